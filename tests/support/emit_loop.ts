/**
 * Test helper process: emits `count` records into a deliverable folder, one
 * after another, printing each RunID. Used by the concurrency and crash tests.
 *
 * Usage: emit_loop.ts <del-dir> <count> <agent> [--no-fsync]
 *
 * @module
 */
import { emitRecord } from "../../src/hook.ts";

const [delDir, count, agent, flag] = Deno.args;
for (let i = 0; i < Number(count); i++) {
  const { record } = await emitRecord(delDir, {
    agent,
    status: "SUCCESS",
    outputs: ["Datasheet.md"],
    notes: `run ${i} of ${agent}, with a comma, a "quote" and a\nnewline`,
  }, { fsync: flag !== "--no-fsync" });
  console.log(record.RunID);
}
