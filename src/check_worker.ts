/**
 * A worker of `./check_pool.ts`: says it is ready (`null`), then checks the
 * jobs of whole-line blocks the reader sends, with the reader's own rules,
 * and answers each with its batch. Started by the pool; not imported.
 *
 * @module
 */
import type { CheckAnswer, CheckJob } from "./check_pool.ts";
import { checkJob } from "./reader.ts";

/** The worker's side of its message port. */
const port = self as unknown as {
  onmessage: ((event: MessageEvent<CheckJob>) => void) | null;
  postMessage(message: CheckAnswer | null): void;
};

port.onmessage = ({ data: { id, blocks } }) => port.postMessage({ id, batch: checkJob(blocks) });
// Loaded: the reader sends jobs only to workers that said so.
port.postMessage(null);
