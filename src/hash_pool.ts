/**
 * Hashing the files of many deliverables: each file once however many
 * records name it, on worker threads (`./hash_worker.ts`) so that every core
 * hashes while this thread walks folders; the workers read the record files
 * too.
 *
 * @module
 */
import { InputError } from "./errors.ts";
import {
  type FolderRecords,
  readRecordFiles,
  readTexts,
  type RecordsAnswer,
  type TextAnswer,
} from "./folder_records.ts";
import { hashFiles } from "./hash.ts";
import { startWorker } from "./check_pool.ts";

/** What a worker is sent: files to hash, record files or host files to read. */
export interface HashJob {
  /** Sequence number, answered with the results. */
  id: number;
  /** What to do with each path. */
  kind: "hash" | "records" | "texts";
  /** Absolute paths. */
  paths: string[];
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

/** What a worker answers: per path of the job, in order, its hash or why it failed, or its records. */
export interface HashAnswer {
  /** The job's sequence number. */
  id: number;
  /**
   * Lowercase hex SHA-256 or the failure (`hash`); records or the error (`records`); the text
   * (`texts`, see {@linkcode FileHasher.text}).
   */
  results: (string | HashFailure)[] | RecordsAnswer[] | TextAnswer[];
}

/** Most paths in one job: enough to make a message cheap, few enough to keep every worker busy. */
const BATCH_PATHS = 64;

/** Paths waiting in a worker from which this thread, when idle, does the next job itself. */
const BACKLOG_PATHS = 4 * BATCH_PATHS;

/** A job sent to a worker and not answered yet. */
interface Sent {
  worker: number;
  job: HashJob;
  resolve(results: unknown[]): void;
}

/** Hashes files as {@linkcode hashFiles} does. */
export type HashFilesFn = (paths: string[]) => Promise<Map<string, string | Error>>;

/** A shared, caching hasher; {@linkcode FileHasher.close} ends its workers. */
export interface FileHasher {
  /** Hashes `paths` (absolute), each file at most once over the hasher's life. */
  hash: HashFilesFn;
  /** Files hashed so far (each counted once). */
  readonly hashed: number;
  /**
   * The records of the record file at `path` (a regular file), read once.
   *
   * @throws {InputError} naming the file when it cannot be read.
   */
  records(path: string): Promise<FolderRecords>;
  /**
   * The text of the small host file at `path` (`readFolderFile`), read by a
   * worker: `undefined` when there is none, `false` when it cannot be read
   * (the caller reads it itself to learn why).
   */
  text(path: string): Promise<string | undefined | false>;
  /** Settles once the workers have loaded: until then, this thread does their work. */
  readonly loaded: Promise<void>;
  /** Ends the workers. */
  close(): void;
}

/**
 * An `Error` of the class named in `failure` (`Deno.errors.NotFound` for
 * `NotFound`), with its `code`: what {@linkcode hashFiles} would have given.
 *
 * @example
 * ```ts
 * import { errorFrom } from "./hash_pool.ts";
 * errorFrom({ name: "NotFound", message: "gone" }) instanceof Deno.errors.NotFound; // true
 * ```
 */
export function errorFrom(failure: HashFailure): Error {
  const classes = Deno.errors as unknown as Record<string, new (message: string) => Error>;
  const Class = Object.hasOwn(classes, failure.name) ? classes[failure.name] : Error;
  const error = new Class(failure.message);
  if (failure.code !== undefined) Object.assign(error, { code: failure.code });
  return error;
}

/**
 * A hasher that hashes each path once, in `workers` worker threads (default:
 * one per core beyond the first, which this thread keeps busy, at least one
 * and up to 3), or in this thread when `workers` is 0 or no worker
 * loads. The workers start at once, in the background; until they have
 * loaded, this thread hashes. Paths asked for are sent in batches. `onHashed` is told the number
 * of files hashed each time a job ends (for a progress bar).
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
  options: { workers?: number; onHashed?: (hashed: number) => void } = {},
): FileHasher {
  const count = typeof Worker !== "function"
    ? 0
    : options.workers ?? Math.min(Math.max((navigator.hardwareConcurrency ?? 1) - 1, 1), 3);
  // From source the worker is a TypeScript module; in the bundle, a .js file beside this chunk.
  const ext = import.meta.url.endsWith(".ts") ? "ts" : "js";
  const url = new URL(`./hash_worker.${ext}`, import.meta.url);
  const ready = Promise.all(Array.from({ length: count }, () => startWorker(url)))
    .then((started) => started.filter((w): w is Worker => w !== undefined));
  const cache = new Map<string, Promise<string | Error>>();
  // Jobs sent and not answered, so a worker that dies has its jobs hashed here instead.
  const pending = new Map<number, Sent>();
  const queued: number[] = []; // files sent to each worker and not answered yet
  let workers: Worker[] | undefined;
  let failed = false; // a worker died: hash the rest here
  let nextId = 0;
  let hashed = 0;
  const done = (n: number) => {
    hashed += n;
    options.onHashed?.(hashed);
  };

  // Until the workers have loaded (a few hundred ms), this thread works: waiting would idle it.
  const loaded = ready.then((started) => {
    started.forEach((worker, w) => {
      queued[w] = 0;
      worker.onmessage = ({ data }: MessageEvent<HashAnswer>) => {
        queued[w] -= data.results.length;
        const sent = pending.get(data.id);
        pending.delete(data.id);
        sent?.resolve(
          sent.job.kind === "hash"
            ? (data.results as (string | HashFailure)[]).map((r) =>
              typeof r === "string" ? r : errorFrom(r)
            )
            : data.results,
        );
      };
      worker.onerror = (event) => {
        event.preventDefault();
        worker.terminate();
        failed = true;
        for (const [id, sent] of pending) {
          if (sent.worker !== w) continue;
          pending.delete(id);
          runHere(sent.job).then(sent.resolve);
        }
      };
    });
    workers = started;
  });

  const runHere = async ({ kind, paths }: HashJob): Promise<unknown[]> => {
    if (kind === "records") return await readRecordFiles(paths);
    if (kind === "texts") return readTexts(paths);
    const results = await hashFiles(paths);
    return paths.map((p) => results.get(p)!);
  };

  /**
   * Runs a job: in the least busy worker; here when none has loaded, or when
   * this thread waits (`idle`) and every worker has a backlog.
   */
  const run = (kind: HashJob["kind"], paths: string[], idle: boolean): Promise<unknown[]> => {
    const job: HashJob = { id: nextId++, kind, paths };
    const pool = workers;
    if (pool === undefined || pool.length === 0 || failed) return runHere(job);
    let w = 0;
    for (let i = 1; i < pool.length; i++) if (queued[i] < queued[w]) w = i;
    // This thread, busy with the checks, takes no job: it was the slower side when it took
    // every job sent while the worker had a backlog (docs/BENCHMARKS.md, stop 20).
    if (idle && queued[w] >= BACKLOG_PATHS) return runHere(job);
    queued[w] += paths.length;
    return new Promise((resolve) => {
      pending.set(job.id, { worker: w, job, resolve });
      pool[w].postMessage(job);
    });
  };

  /**
   * Paths asked for since the last job of their kind was sent: sent together
   * once every caller waits (or the batch is full), since each message costs
   * the sender about as much as hashing a small file.
   */
  const batcher = (kind: HashJob["kind"], onDone?: (n: number) => void) => {
    let batch: string[] = [];
    let job: PromiseWithResolvers<unknown[]> | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // From the timer, this thread has nothing else to run; a batch filled up, it is busy.
    const send = (idle: boolean) => {
      if (job === undefined) return;
      clearTimeout(timer);
      const [paths, sent] = [batch, job];
      [batch, job] = [[], undefined];
      run(kind, paths, idle).then(sent.resolve);
      if (onDone) sent.promise.then(() => onDone(paths.length));
    };
    return (path: string): Promise<unknown> => {
      if (job === undefined) {
        job = Promise.withResolvers();
        timer = setTimeout(() => send(true), 0);
      }
      const i = batch.push(path) - 1;
      const result = job.promise.then((results) => results[i]);
      if (batch.length >= BATCH_PATHS) send(false);
      return result;
    };
  };
  const hashLater = batcher("hash", done);
  const readLater = batcher("records");
  const textLater = batcher("texts");

  const hash: HashFilesFn = async (paths) => {
    for (const path of paths) {
      if (!cache.has(path)) cache.set(path, hashLater(path) as Promise<string | Error>);
    }
    const results = await Promise.all(paths.map((path) => cache.get(path)!));
    return new Map(paths.map((path, i) => [path, results[i]]));
  };

  const records = async (path: string): Promise<FolderRecords> => {
    const answer = await readLater(path) as RecordsAnswer;
    if ("error" in answer) throw new InputError(answer.error);
    return answer;
  };

  const text = async (path: string) => {
    const answer = await textLater(path) as TextAnswer;
    return answer === null ? undefined : answer;
  };

  return {
    hash,
    records,
    text,
    get hashed() {
      return hashed;
    },
    loaded,
    close() {
      ready.then((started) => started.forEach((worker) => worker.terminate()));
    },
  };
}
