/**
 * Test helper process: records `count` runs into a deliverable folder the way
 * `runrec emit` does (`recordRun`: a record that cannot be written in time is
 * spooled, never lost), one after another. Prints one line per run: its
 * RunID, or `SPOOLED <path>`. Each record's Notes say `run <i> of <agent>`.
 *
 * Usage: record_loop.ts <del-dir> <count> <agent>
 *
 * @module
 */
import { recordRun } from "../../src/hook.ts";

const [delDir, count, agent] = Deno.args;
for (let i = 0; i < Number(count); i++) {
  const outcome = await recordRun(delDir, {
    agent,
    status: "SUCCESS",
    notes: `run ${i} of ${agent}`,
  });
  if (outcome.lost) throw new Error(`record lost: ${outcome.warnings.join("; ")}`);
  console.log(outcome.written ? outcome.written.record.RunID : `SPOOLED ${outcome.spooledTo}`);
}
