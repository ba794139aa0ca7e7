/**
 * Checking a large record file on several cores: the reading thread sends
 * jobs of whole-line blocks to worker threads (`./check_worker.ts`), checks
 * the jobs no worker is free for itself, and hands the batches on in file
 * order. Generic over what a block and a batch are, so it imports nothing
 * from the reader.
 *
 * @module
 */
import { roomForWorkers } from "./descriptors.ts";

/** Files from this size up are checked with workers: below it, starting one costs more. */
export const PARALLEL_FROM_BYTES = 8 << 20;
/** Blocks per job (~512 KiB): few messages. */
const BLOCKS_PER_JOB = 8;
/** Jobs queued per worker: one running, one waiting, so a worker never idles on the reader. */
const JOBS_PER_WORKER = 2;
/** Batches held for file order before the reader waits for a worker's answer. */
const MAX_HELD = 16;

/** A block of lines as the reader hands it over: its bytes are copied and transferred. */
export interface Block {
  /** The block's bytes. */
  bytes: Uint8Array;
}

/** What the reader sends a worker: whole-line blocks, their bytes transferred. */
export interface CheckJob<B extends Block = Block> {
  /** Sequence number, answered with the batch. */
  id: number;
  /** Blocks in file order. */
  blocks: B[];
}

/** What a worker answers: the job's sequence number, its batch, and the blocks' buffers back. */
export interface CheckAnswer<Batch = unknown> {
  /** The job's sequence number. */
  id: number;
  /** The job's batch. */
  batch: Batch;
  /** The job's block buffers, transferred back for the reader to fill again. */
  buffers: ArrayBuffer[];
}

/** Size of the buffers the reader copies blocks into and reuses: most blocks fit one. */
const SPARE_BYTES = 64 << 10;

/**
 * Starts a worker and waits until it says it is ready (its first message,
 * `null`); `undefined` when it fails to load instead, or when this process
 * may not read its module.
 *
 * @example
 * ```ts
 * import { startWorker } from "./check_pool.ts";
 * const worker = await startWorker(new URL("./check_worker.ts", import.meta.url));
 * worker?.terminate();
 * ```
 */
export function startWorker(url: string | URL): Promise<Worker | undefined> {
  // A worker whose module this process may not read fails to load with an "Uncaught" line on
  // stderr that no caller can catch: one not allowed is not started (the work stays here).
  const module = new URL(url);
  if (
    module.protocol === "file:" &&
    Deno.permissions.querySync({ name: "read", path: module }).state !== "granted"
  ) {
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(url, { type: "module" });
    } catch {
      return resolve(undefined);
    }
    worker.onmessage = () => resolve(worker);
    worker.onerror = (event) => {
      event.preventDefault(); // a worker that cannot load must not end the process
      worker.terminate();
      resolve(undefined);
    };
  });
}

/**
 * Starts the workers for checking `path` and returns those that loaded:
 * `count` of them, or by default one per core beyond the first (up to 3)
 * when the file has at least {@linkcode PARALLEL_FROM_BYTES}; none without
 * `Worker` or when the file cannot be sized (reading it then reports why).
 *
 * @example
 * ```ts
 * import { startCheckWorkers } from "./check_pool.ts";
 * const workers = await startCheckWorkers("RunRecords.csv");
 * for (const worker of workers) worker.terminate();
 * ```
 */
export async function startCheckWorkers(path: string, count?: number): Promise<Worker[]> {
  if (typeof Worker !== "function" || count === 0) return [];
  if (count === undefined) {
    try {
      if ((await Deno.stat(path)).size < PARALLEL_FROM_BYTES) return [];
    } catch {
      return [];
    }
    count = Math.min((navigator.hardwareConcurrency ?? 1) - 1, 3);
  }
  // From source the worker is a TypeScript module; in the bundle (`deno task compile`)
  // it is `check_worker.js` beside the chunk that holds this code.
  const ext = import.meta.url.endsWith(".ts") ? "ts" : "js";
  const url = new URL(`./check_worker.${ext}`, import.meta.url);
  // Too few descriptors left, a worker's start would end the process (a Deno panic): checked here.
  if (!roomForWorkers(url, count)) return [];
  const started = await Promise.all(Array.from({ length: count }, () => startWorker(url)));
  return started.filter((w): w is Worker => w !== undefined);
}

/** A job's place in file order: its batch once known. */
interface Held<Batch> {
  batch?: Batch;
  answered?: Promise<void>;
}

/**
 * Checks `blocks` in jobs shared between `workers` (each already ready: see
 * {@linkcode startWorker}) and this thread (`checkHere`), yielding the
 * batches in file order. A job goes to the least busy worker unless each
 * already has {@linkcode JOBS_PER_WORKER}; then this thread checks it, so
 * the split follows each thread's speed. A worker that fails fails the check.
 *
 * @example
 * ```ts
 * import { checkInWorkers, startCheckWorkers } from "./check_pool.ts";
 * import { checkJob, type LineBlock } from "./reader.ts";
 * declare const blocks: AsyncIterable<LineBlock>;
 * const workers = await startCheckWorkers("RunRecords.csv", 1);
 * for await (const batch of checkInWorkers(blocks, workers, checkJob)) console.log(batch.records);
 * ```
 */
export async function* checkInWorkers<B extends Block, Batch>(
  blocks: AsyncIterable<B>,
  workers: Worker[],
  checkHere: (blocks: B[]) => Batch,
): AsyncGenerator<Batch> {
  const queued = workers.map(() => 0);
  const answer = new Map<number, (batch: Batch) => void>();
  // Buffers come back with each answer and are filled again: memory stays a few buffers
  // per job in flight, not a trail of copies waiting for the garbage collector.
  const spare: ArrayBuffer[] = [];
  const reuse = (buffers: ArrayBuffer[]) => {
    for (const buffer of buffers) if (buffer.byteLength === SPARE_BYTES) spare.push(buffer);
  };
  const copyOf = (bytes: Uint8Array): Uint8Array => {
    const buffer = bytes.length <= SPARE_BYTES
      ? spare.pop() ?? new ArrayBuffer(SPARE_BYTES)
      : new ArrayBuffer(bytes.length);
    const copy = new Uint8Array(buffer, 0, bytes.length);
    copy.set(bytes);
    return copy;
  };
  let failure: Error | undefined;
  const rejects = new Set<(error: Error) => void>();
  workers.forEach((worker, w) => {
    worker.onmessage = ({ data }: MessageEvent<CheckAnswer<Batch>>) => {
      queued[w]--;
      reuse(data.buffers);
      answer.get(data.id)?.(data.batch);
      answer.delete(data.id);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      worker.terminate();
      failure = new Error(`record check worker failed: ${event.message}`);
      for (const reject of rejects) reject(failure);
    };
  });
  // A message to ourselves: awaiting it runs the event loop once, delivering answers.
  const channel = new MessageChannel();
  let wake = () => {};
  channel.port1.onmessage = () => wake();
  const letAnswersIn = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
      channel.port2.postMessage(0);
    });

  const held: Held<Batch>[] = [];
  let nextId = 0;
  const dispatch = (job: B[]) => {
    let w = -1;
    for (let i = 0; i < workers.length; i++) {
      if (queued[i] >= JOBS_PER_WORKER) continue;
      if (w < 0 || queued[i] < queued[w]) w = i;
    }
    if (w < 0 || failure) {
      held.push({ batch: checkHere(job) });
      return reuse(job.map((b) => b.bytes.buffer as ArrayBuffer));
    }
    const id = nextId++;
    const place: Held<Batch> = {};
    place.answered = new Promise<void>((resolve, reject) => {
      rejects.add(reject);
      answer.set(id, (batch) => {
        place.batch = batch;
        rejects.delete(reject);
        resolve();
      });
    });
    place.answered.catch(() => {}); // a failure is thrown where the batch is awaited
    queued[w]++;
    workers[w].postMessage(
      { id, blocks: job } satisfies CheckJob<B>,
      job.map((b) => b.bytes.buffer as ArrayBuffer),
    );
    held.push(place);
  };
  try {
    let job: B[] = [];
    for await (const block of blocks) {
      // A copy: the reader reuses its buffer, and the copy's memory moves to the worker.
      job.push({ ...block, bytes: copyOf(block.bytes) });
      if (job.length < BLOCKS_PER_JOB) continue;
      dispatch(job);
      job = [];
      await letAnswersIn();
      if (failure) throw failure;
      while (held.length > 0 && (held[0].batch || held.length > MAX_HELD)) {
        await held[0].answered;
        yield held.shift()!.batch!;
      }
    }
    if (job.length > 0) dispatch(job);
    while (held.length > 0) {
      await held[0].answered;
      yield held.shift()!.batch!;
    }
  } finally {
    channel.port1.close();
    channel.port2.close();
  }
}
