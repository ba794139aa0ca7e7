/**
 * Hashing the files of many deliverables: each file once however many
 * records name it, on up to three worker threads (`./hash_worker.ts`) so that
 * the other cores hash while this thread checks folders.
 *
 * @module
 */
import { roomForWorkers } from "./descriptors.ts";
import { type FileStat, hashFilesNoting } from "./hash.ts";

/** What a worker is sent: files to hash. */
export interface HashJob {
  /** Sequence number, answered with the results. */
  id: number;
  /** Absolute paths. */
  paths: string[];
  /** Whether to answer the state of each file read too. */
  states: boolean;
}

/** A failed read as it crosses to another thread (an `Error` loses its class on the way). */
export interface HashFailure {
  /** The error's class name, e.g. `NotFound`, `IsADirectory`. */
  name: string;
  /** Its message. */
  message: string;
  /** The system's code, e.g. `ENOENT`, when it had one. */
  code?: string;
}

/** What a worker answers: per path of the job, in order, its hash or why it failed. */
export interface HashAnswer {
  /** The job's sequence number. */
  id: number;
  /** Lowercase hex SHA-256, or the failure. */
  results: (string | HashFailure)[];
  /** Asked for: the state of each file read, `null` where it has none. */
  states?: (FileStat | null)[];
}

/** Most paths in one job: enough to make a message cheap, few enough to keep every worker busy. */
const BATCH_PATHS = 64;

/** Paths waiting in a worker from which this thread, when idle, does the next job itself. */
const BACKLOG_PATHS = 4 * BATCH_PATHS;

/** A job sent to a worker and not answered yet. */
interface Sent {
  worker: number;
  job: HashJob;
  resolve(results: (string | Error)[]): void;
}

/** Hashes files as {@linkcode hashFilesNoting} does. */
export type HashFilesFn = (paths: string[]) => Promise<Map<string, string | Error>>;

/** A shared, caching hasher; {@linkcode FileHasher.close} ends its workers. */
export interface FileHasher {
  /** Hashes `paths` (absolute), each file at most once over the hasher's life. */
  hash: HashFilesFn;
  /** With `states`: the state of the file read for `path`'s hash, once hashed. */
  stateOf(path: string): FileStat | undefined;
  /** Files hashed so far (each counted once). */
  readonly hashed: number;
  /** Settles once every worker has loaded or failed to. */
  readonly loaded: Promise<void>;
  /** Ends the workers; a `hash` after it rejects, where it would wait for ever. */
  close(): void;
}

/**
 * An `Error` of the class named in `failure` (`Deno.errors.NotFound` for
 * `NotFound`), with its `code`: what {@linkcode hashFilesNoting} would have given.
 */
function errorFrom(failure: HashFailure): Error {
  const classes = Deno.errors as unknown as Record<string, new (message: string) => Error>;
  const Class = Object.hasOwn(classes, failure.name) ? classes[failure.name] : Error;
  const error = new Class(failure.message);
  if (failure.code !== undefined) Object.assign(error, { code: failure.code });
  return error;
}

/**
 * A worker started at once, without waiting for it to load (messages sent
 * meanwhile wait in its port); `undefined` when this process may not read its
 * module, whose worker would fail with an "Uncaught" line on stderr that no
 * caller can catch, or when none can be started.
 */
function spawnWorker(url: URL): Worker | undefined {
  if (Deno.permissions.querySync({ name: "read", path: url }).state !== "granted") return undefined;
  try {
    return new Worker(url, { type: "module" });
  } catch {
    return undefined;
  }
}

/**
 * A hasher that hashes each path once, in `workers` worker threads (default:
 * one per core beyond the first, which this thread keeps busy, at least one
 * and up to 3), or in this thread when `workers` is 0 or no worker
 * starts. Paths asked for are sent in batches, to the workers from the
 * start: a worker loads its few modules while this thread reads the first
 * folders. A worker that fails has its jobs, and every later one, hashed
 * here. `onHashed` is told the number of files hashed each time a job ends
 * (for a progress bar).
 *
 * @example
 * ```ts
 * import { startFileHasher } from "./hash_pool.ts";
 * const hasher = startFileHasher({ workers: 1 });
 * try {
 *   const hashes = await hasher.hash([new URL(import.meta.url).pathname]);
 *   console.log(hashes.size); // 1
 * } finally {
 *   hasher.close();
 * }
 * ```
 */
export function startFileHasher(
  options: { workers?: number; onHashed?: (hashed: number) => void; states?: boolean } = {},
): FileHasher {
  const count = typeof Worker !== "function"
    ? 0
    : options.workers ?? Math.min(Math.max((navigator.hardwareConcurrency ?? 1) - 1, 1), 3);
  // From source the worker is a TypeScript module; in the bundle, a .js file beside this chunk.
  const ext = import.meta.url.endsWith(".ts") ? "ts" : "js";
  const url = new URL(`./hash_worker.${ext}`, import.meta.url);
  // Too few descriptors left, a worker's start would end the process (a Deno panic): hashed here.
  const room = roomForWorkers(url, count);
  const workers = Array.from({ length: room ? count : 0 }, () => spawnWorker(url))
    .filter((w): w is Worker => w !== undefined);
  const cache = new Map<string, Promise<string | Error>>();
  const states = new Map<string, FileStat>();
  // Jobs sent and not answered, so a worker that dies has its jobs hashed here instead.
  const pending = new Map<number, Sent>();
  const queued = workers.map(() => 0); // files sent to each worker and not answered yet
  const up = workers.map(() => false); // whether each worker has said it has loaded
  let failed = false; // a worker died: hash the rest here
  let nextId = 0;
  let hashed = 0;
  const done = (n: number) => {
    hashed += n;
    options.onHashed?.(hashed);
  };

  const runHere = async ({ paths, states: noted }: HashJob): Promise<(string | Error)[]> => {
    const results = await hashFilesNoting(paths, noted ? states : undefined);
    return paths.map((p) => results.get(p)!);
  };

  const loaded = Promise.all(workers.map((worker, w) =>
    new Promise<void>((ready) => {
      // The first message, `null`, says the worker has loaded; the others answer jobs.
      worker.onmessage = ({ data }: MessageEvent<HashAnswer | null>) => {
        if (data === null) {
          up[w] = true;
          return ready();
        }
        queued[w] -= data.results.length;
        const sent = pending.get(data.id);
        pending.delete(data.id);
        data.states?.forEach((state, i) => {
          if (state !== null && sent !== undefined) states.set(sent.job.paths[i], state);
        });
        sent?.resolve(data.results.map((r) => typeof r === "string" ? r : errorFrom(r)));
      };
      worker.onerror = (event) => {
        event.preventDefault(); // a worker that cannot load or dies must not end the process
        worker.terminate();
        failed = true;
        for (const [id, sent] of pending) {
          if (sent.worker !== w) continue;
          pending.delete(id);
          runHere(sent.job).then(sent.resolve);
        }
        ready();
      };
    })
  )).then(() => {});

  /**
   * Runs a job: in the least busy worker; here when there is none, or when
   * this thread waits (`idle`) and the least busy worker has loaded and has
   * a backlog. Not while it loads: this thread would hash with the slower
   * WebAssembly hasher, then load `node:crypto` as well (docs/BENCHMARKS.md,
   * stop 25).
   */
  const run = (paths: string[], idle: boolean): Promise<(string | Error)[]> => {
    const job: HashJob = { id: nextId++, paths, states: options.states ?? false };
    if (workers.length === 0 || failed) return runHere(job);
    let w = 0;
    for (let i = 1; i < workers.length; i++) if (queued[i] < queued[w]) w = i;
    // This thread takes a job only when it waits and the worker has a backlog: busy with the
    // checks, it was the slower side when it took every job sent (docs/BENCHMARKS.md, stop 20).
    if (idle && up[w] && queued[w] >= BACKLOG_PATHS) return runHere(job);
    queued[w] += paths.length;
    return new Promise((resolve) => {
      pending.set(job.id, { worker: w, job, resolve });
      workers[w].postMessage(job);
    });
  };

  /**
   * Paths asked for since the last job was sent: sent together once every
   * caller waits (or the batch is full), since each message costs the sender
   * about as much as hashing a small file.
   */
  let batch: string[] = [];
  let job: PromiseWithResolvers<(string | Error)[]> | undefined;
  let jobs = 0; // batches begun: a wake-up is for the batch it was posted for only
  // A message to this thread, as a timer would be, arrives once every caller waits; Deno's
  // `setTimeout` would first load Node's timers (docs/BENCHMARKS.md, stale).
  const wake = new MessageChannel();
  // From the wake-up, this thread has nothing else to run; a batch filled up, it is busy.
  const send = (idle: boolean) => {
    if (job === undefined) return;
    const [paths, sent] = [batch, job];
    [batch, job] = [[], undefined];
    run(paths, idle).then(sent.resolve);
    sent.promise.then(() => done(paths.length));
  };
  wake.port1.onmessage = ({ data }: MessageEvent<number>) => {
    if (data === jobs) send(true);
  };
  const hashLater = (path: string): Promise<string | Error> => {
    if (job === undefined) {
      job = Promise.withResolvers();
      wake.port2.postMessage(++jobs);
    }
    const i = batch.push(path) - 1;
    const result = job.promise.then((results) => results[i]);
    if (batch.length >= BATCH_PATHS) send(false);
    return result;
  };

  let closed = false;
  const hash: HashFilesFn = async (paths) => {
    // Its wake-up and workers are gone: a batch begun now would never be sent.
    if (closed) throw new Error("the file hasher is closed");
    const results = await Promise.all(paths.map((path) => {
      let result = cache.get(path);
      if (result === undefined) cache.set(path, result = hashLater(path));
      return result;
    }));
    const hashes = new Map<string, string | Error>();
    paths.forEach((path, i) => hashes.set(path, results[i]));
    return hashes;
  };

  return {
    hash,
    stateOf: (path) => states.get(path),
    get hashed() {
      return hashed;
    },
    loaded,
    close() {
      closed = true;
      for (const worker of workers) worker.terminate();
      wake.port1.close();
      wake.port2.close();
    },
  };
}
