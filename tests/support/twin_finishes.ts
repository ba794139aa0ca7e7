/**
 * Test helper process: finishes one run twice at once, as a library script may, from the main
 * thread and from a Worker (`both`) or twice from the main thread (`main`). Prints one line of
 * JSON: each finish's outcome (or `{ threw }`), when the finishes began, and when this process
 * started (`performance.timeOrigin`).
 *
 * Usage: twin_finishes.ts <token> <both|main>
 *
 * @module
 */
import { finishPendingRun } from "../../mod.ts";

/** The token's run finished SUCCESS: its outcome, or what it threw. */
function finish(token: string): Promise<unknown> {
  return finishPendingRun(token, undefined, { status: "SUCCESS" })
    .then((r) => r.outcome, (e) => ({ threw: (e as Error).message }));
}

const scope = globalThis as unknown as {
  name?: string;
  onmessage: unknown;
  postMessage(x: unknown): void;
  close(): void;
};
if (scope.name === "twin") {
  scope.onmessage = async (e: MessageEvent<string>) => {
    scope.postMessage(await finish(e.data));
    scope.close();
  };
  scope.postMessage("ready");
} else {
  const [token, mode] = Deno.args;
  let other: Promise<unknown> | undefined;
  if (mode === "both") {
    const worker = new Worker(import.meta.url, { type: "module", name: "twin" });
    const answers: ((value: unknown) => void)[] = [];
    worker.onmessage = (e) => answers.shift()!(e.data);
    await new Promise((resolve) => answers.push(resolve));
    other = new Promise((resolve) => answers.push(resolve));
    worker.postMessage(token);
  }
  const beganAt = Date.now();
  const both = await Promise.all([finish(token), other ?? finish(token)]);
  console.log(JSON.stringify({ both, beganAt, start: performance.timeOrigin }));
}
