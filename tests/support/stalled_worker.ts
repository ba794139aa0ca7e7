/**
 * Test helper process: a Worker of it appends a record with a one-second lease (the test stalls
 * that write: `strace -e inject=write:delay_enter=…`), and once the Worker has held the lock past
 * that lease, the main thread appends another. Prints each outcome as a line.
 *
 * Usage: stalled_worker.ts <del-dir>
 *
 * @module
 */
import { join } from "node:path";
import { appendRecord } from "../../src/store.ts";
import { RECORD_FILE } from "../../src/deliverable.ts";
import { buildDraft } from "../../src/hook.ts";

/** Appends a record of `agent` to `del`'s file; the outcome as a line. */
async function append(del: string, agent: string): Promise<string> {
  const draft = await buildDraft(del, { agent, status: "SUCCESS" });
  try {
    const options = { leaseSeconds: 1, lockWaitMs: 20_000 };
    const { record } = await appendRecord(join(del, RECORD_FILE), draft, options);
    return `${agent} ${record.RunID}`;
  } catch (e) {
    return `${agent} ${(e as Error).message}`;
  }
}

/** What a Worker's global scope has, which the main thread's types lack. */
type WorkerScope = { name?: string; onmessage: unknown; postMessage(line: string): void };

const scope = globalThis as unknown as WorkerScope;
if (scope.name === "stalled") {
  scope.onmessage = async (e: MessageEvent<string>) =>
    scope.postMessage(await append(e.data, "WORKER"));
} else {
  const del = Deno.args[0];
  const worker = new Worker(import.meta.url, { type: "module", name: "stalled" });
  const workers = new Promise<string>((resolve) => worker.onmessage = (e) => resolve(e.data));
  worker.postMessage(del);
  const lock = join(del, `${RECORD_FILE}.lock`);
  while (!await Deno.lstat(lock).then(() => true, () => false)) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await new Promise((resolve) => setTimeout(resolve, 1500)); // its lease of a second passes
  console.log(await append(del, "MAIN"));
  console.log(await workers);
  worker.terminate();
}
