/**
 * SHA-256 of files, lowercase hex: the same value as `sha256sum`, `openssl dgst
 * -sha256` and the host tool's `ContentHash`.
 *
 * Two hashers, chosen per file, so that a short run (`runrec emit`, a few small
 * files) never loads `node:crypto` — importing it starts Deno's Node
 * compatibility layer — while bulk hashing still gets its native speed:
 *
 * - ./sha256.ts (WebAssembly, compiled on first use in well under a
 *   millisecond), each file read into the module's own buffer, until the process has hashed
 *   {@linkcode WASM_BUDGET} bytes that way (about as long as the import takes:
 *   neither choice costs more than twice the better);
 * - `node:crypto`, imported on first need, for the file that would pass the
 *   budget and every file after it, streamed through a reused buffer (one
 *   `fstat` fewer per file).
 *
 * Reads are synchronous (`Deno.FsFile.readSync`). Throughput against `sha256sum` and
 * `openssl`: docs/BENCHMARKS.md ("Figures that were in source comments").
 *
 * @module
 */
import { sha256Reading } from "./sha256.ts";
import { explainError } from "./names.ts";
import { failureReason, InputError } from "./errors.ts";
import { checkPathArgument, checkPathsArgument } from "./argument_kinds.ts";

/** Size of the read buffer of `node:crypto`'s hashing; 2 MiB measured fastest. */
const CHUNK_BYTES = 2 * 1024 * 1024;

/**
 * Bytes the WebAssembly hasher takes per process before `node:crypto` is
 * loaded: a file that would pass it is hashed with `node:crypto`.
 */
export const WASM_BUDGET = 4 * 1024 * 1024;

type CreateHash = typeof import("node:crypto").createHash;

let createHash: CreateHash | undefined;
let wasmBytes = 0;
let sharedBuffer: Uint8Array | undefined;

/** Loads `node:crypto` once. */
async function loadNodeCrypto(): Promise<CreateHash> {
  createHash ??= (await import("node:crypto")).createHash;
  return createHash;
}

/**
 * Streams the open file `file` to its end through `node:crypto`. Safe to share one buffer: no
 * other code can run between the reads of a synchronous loop.
 */
function streamHash(file: Deno.FsFile, create: CreateHash): string {
  const hash = create("sha256");
  const buffer = sharedBuffer ??= new Uint8Array(CHUNK_BYTES);
  let n: number | null;
  while ((n = file.readSync(buffer)) !== null) {
    if (n > 0) hash.update(buffer.subarray(0, n));
  }
  return hash.digest("hex");
}

/** What identifies a file's state: device, inode, size, mtime, ctime and birth time (ms). */
export type FileStat = [
  dev: number,
  ino: number,
  size: number,
  mtime: number,
  ctime: number,
  birthtime: number,
];

/**
 * The {@linkcode FileStat} of `info`, or `undefined` where a field is missing (a file system
 * without it).
 *
 * @example
 * ```ts
 * import { fileStatOf } from "./hash.ts";
 * fileStatOf(Deno.statSync(new URL(import.meta.url).pathname))?.length; // 6 on Linux
 * ```
 */
export function fileStatOf(info: Deno.FileInfo): FileStat | undefined {
  const { dev, ino, size, mtime, ctime, birthtime } = info;
  if (ino === null || mtime === null || ctime === null || birthtime === null) return undefined;
  return [dev, ino, size, mtime.getTime(), ctime.getTime(), birthtime.getTime()];
}

/**
 * The {@linkcode FileStat} of the open `file`, the file a hash was read from whatever its path
 * names by then; none where it has none.
 */
function readState(file: Deno.FsFile): FileStat | undefined {
  try {
    return fileStatOf(file.statSync());
  } catch {
    return undefined; // the hash stands; it is only not kept
  }
}

/**
 * Hashes one file, choosing the hasher by its size and the budget left; with `states`, notes
 * there the state of the file read.
 */
async function hashOne(path: string, states?: Map<string, FileStat>): Promise<string> {
  // Opening a FIFO waits for a writer, and a device may never end: neither is opened. The
  // size comes from the same look (a file changed meanwhile only picks another hasher). A FIFO
  // put in the file's place after this look still blocks the open: Deno's open cannot ask for
  // O_NONBLOCK, and node:fs's costs more than the look saves (docs/BENCHMARKS.md).
  const { isFile, isDirectory, size } = Deno.statSync(path);
  if (!isFile && !isDirectory) throw new Error("not a regular file (a FIFO, socket or device)");
  const file = Deno.openSync(path);
  try {
    if (isDirectory) file.readSync(new Uint8Array(1)); // throws the system's EISDIR
    if (states !== undefined) {
      const state = readState(file);
      if (state !== undefined) states.set(path, state);
    }
    // Once node:crypto is loaded it takes every file.
    if (createHash === undefined) {
      if (wasmBytes + size <= WASM_BUDGET) {
        // Streamed, not read whole: a file replaced or grown since its size was taken is
        // hashed in the module's fixed memory, and counts what was read.
        return sha256Reading((into) => {
          const n = file.readSync(into);
          wasmBytes += n ?? 0;
          return n;
        });
      }
      await loadNodeCrypto();
    }
    return streamHash(file, createHash!);
  } finally {
    file.close();
  }
}

/**
 * Lowercase hex SHA-256 of a file's bytes. Rejects when the file cannot be read
 * (missing, a folder, a FIFO or device, no permission) with an {@linkcode InputError} naming
 * the file and why; the system's error (a `Deno.errors` class) is its `cause`.
 *
 * @example
 * ```ts
 * import { hashFile } from "@runrec/runrec";
 * const path = await Deno.makeTempFile();
 * console.log(await hashFile(path));
 * // "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
 * await Deno.remove(path);
 * ```
 */
export async function hashFile(path: string): Promise<string> {
  checkPathArgument(path, "path");
  try {
    return await hashOne(path);
  } catch (e) {
    const reason = failureReason(explainError(path, e as Error));
    throw new InputError(`${path}: cannot hash: ${reason}`, { cause: e, path });
  }
}

/**
 * Hashes many files. Each path maps to its lowercase hex SHA-256, or to the
 * `Error` that prevented reading it; one unreadable file never stops the rest.
 * Paths are hashed one after another: concurrency measured slower here.
 *
 * @example
 * ```ts
 * import { hashFiles } from "@runrec/runrec";
 * const path = await Deno.makeTempFile();
 * const hashes = await hashFiles([path, path + ".missing"]);
 * console.log(hashes.get(path)); // "e3b0c442…b855"
 * console.log(hashes.get(path + ".missing") instanceof Error); // true
 * await Deno.remove(path);
 * ```
 */
export async function hashFiles(
  paths: readonly string[],
): Promise<Map<string, string | Error>> {
  checkPathsArgument(paths, "paths");
  return await hashFilesNoting(paths);
}

/**
 * {@linkcode hashFiles}, noting in `states` the state of each file read (for
 * src/hash_cache.ts: the `stat` of the bytes hashed, not of whatever the path names later).
 *
 * @example
 * ```ts
 * import { hashFilesNoting, type FileStat } from "./hash.ts";
 * const states = new Map<string, FileStat>();
 * await hashFilesNoting([new URL(import.meta.url).pathname], states);
 * console.log(states.size); // 1
 * ```
 */
export async function hashFilesNoting(
  paths: readonly string[],
  states?: Map<string, FileStat>,
): Promise<Map<string, string | Error>> {
  const result = new Map<string, string | Error>();
  for (const path of paths) {
    if (result.has(path)) continue;
    try {
      result.set(path, await hashOne(path, states));
    } catch (error) {
      result.set(
        path,
        explainError(path, error instanceof Error ? error : new Error(String(error))),
      );
    }
  }
  return result;
}
