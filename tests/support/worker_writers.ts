/**
 * Test helper process: a script that records from Workers, as mod.ts advises one that must stay
 * responsive. Each of `workers` Workers, and the main thread, records `runs` runs into one
 * deliverable at once (`Promise.all`), by turns `recordRun`, `startRun` then `finishRun`, and
 * `withRun`, each run's agent named `<prefix>_<thread>_<n>`. Prints one line: the outcomes that
 * were not written (lost, warned of or thrown), as JSON.
 *
 * Usage: worker_writers.ts <del-dir> <prefix> <workers> <runs>
 *
 * @module
 */
import { finishRun, recordRun, type RunOutcome, startRun, withRun } from "../../mod.ts";

/** What a Worker's global scope has, which the main thread's types lack. */
type WorkerScope = {
  name?: string;
  onmessage: unknown;
  postMessage(faults: string[]): void;
  close(): void;
};

/** Records `runs` runs of thread `thread` at once; what went wrong with each that did. */
async function recordAll(del: string, thread: string, runs: number): Promise<string[]> {
  const faults: string[] = [];
  await Promise.all(Array.from({ length: runs }, async (_, n) => {
    const agent = `${thread}_${n}`;
    try {
      let outcome: RunOutcome | undefined;
      if (n % 3 === 0) outcome = await recordRun(del, { agent, status: "SUCCESS" });
      else if (n % 3 === 1) {
        outcome = await finishRun(await startRun(del, { agent }), { status: "SUCCESS" });
      } else await withRun(del, { agent, onOutcome: (o) => outcome = o }, () => {});
      if (!outcome?.written || outcome.lost || outcome.warnings.length > 0) {
        faults.push(`${agent}: ${outcome?.warnings.join("; ")} ${outcome?.lost ?? ""}`);
      }
    } catch (e) {
      faults.push(`${agent}: threw ${(e as Error).message}`);
    }
  }));
  return faults;
}

const scope = globalThis as unknown as WorkerScope;
if (scope.name?.startsWith("writer ")) {
  scope.onmessage = async (e: MessageEvent<[string, string, number]>) => {
    scope.postMessage(await recordAll(...e.data));
    scope.close();
  };
} else {
  const [del, prefix, workers, runs] = Deno.args;
  const threads = Array.from(
    { length: Number(workers) },
    (_, i) =>
      new Promise<string[]>((resolve) => {
        const worker = new Worker(import.meta.url, { type: "module", name: `writer ${i}` });
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => resolve([`worker ${i}: ${e.message}`]);
        worker.postMessage([del, `${prefix}_W${i}`, Number(runs)]);
      }),
  );
  threads.push(recordAll(del, `${prefix}_MAIN`, Number(runs)));
  console.log(JSON.stringify((await Promise.all(threads)).flat()));
}
