/**
 * A worker of `./check_pool.ts`: says it is ready (`null`), then checks the
 * jobs of whole-line blocks the reader sends, with the reader's own rules,
 * and answers each with its batch, handing the blocks' buffers back. Started
 * by the pool; not imported.
 *
 * @module
 */
import type { CheckAnswer, CheckJob } from "./check_pool.ts";
import { type CheckBatch, checkJob, type LineBlock } from "./reader.ts";

/** The worker's side of its message port. */
const port = self as unknown as {
  onmessage: ((event: MessageEvent<CheckJob<LineBlock>>) => void) | null;
  postMessage(message: CheckAnswer<CheckBatch> | null, transfer?: Transferable[]): void;
};

port.onmessage = ({ data: { id, blocks } }) => {
  const buffers = blocks.map((block) => block.bytes.buffer as ArrayBuffer);
  port.postMessage({ id, batch: checkJob(blocks), buffers }, buffers);
};
// Loaded: the pool hands out only workers that said so.
port.postMessage(null);
