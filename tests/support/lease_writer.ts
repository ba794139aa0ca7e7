/**
 * Test helper process: appends one record to a deliverable's RunRecords.csv
 * with a one-second lease on the append lock, and prints its RunID. The
 * lease tests stop it (SIGSTOP) while it holds the lock.
 *
 * Usage: lease_writer.ts <del-dir> <agent>
 *
 * @module
 */
import { join } from "node:path";
import { appendRecord } from "../../src/store.ts";
import { RECORD_FILE } from "../../src/deliverable.ts";
import { buildDraft } from "../../src/hook.ts";

const [delDir, agent] = Deno.args;
const draft = await buildDraft(delDir, { agent, status: "SUCCESS" });
const { record } = await appendRecord(join(delDir, RECORD_FILE), draft, { leaseSeconds: 1 });
console.log(record.RunID);
