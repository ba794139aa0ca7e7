/**
 * A worker of `./check_pool.ts`: checks the jobs of whole-line blocks the
 * reader sends, with the reader's own rules, and answers with their batch.
 * Started by the pool; not imported.
 *
 * @module
 */
import type { CheckAnswer, CheckJob } from "./check_pool.ts";
import { checkJob } from "./reader.ts";

/** The worker's side of its message port. */
const port = self as unknown as {
  onmessage: ((event: MessageEvent<CheckJob>) => void) | null;
  postMessage(message: CheckAnswer): void;
};

port.onmessage = ({ data: { id, blocks } }) => port.postMessage({ id, batch: checkJob(blocks) });
