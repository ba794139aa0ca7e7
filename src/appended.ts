/**
 * Whether a file was only appended to since it was read: the bytes before
 * where that read ended are still there, as told by the SHA-256 of the last
 * {@linkcode TAIL_WINDOW} of them. A checkout, a rewrite or a union merge
 * that put lines before that end changes them (or cuts the file shorter).
 * The SEQ index (./seq_index.ts) is trusted by this rule, and annotate reads
 * on from where it read before the lock by it (./annotations.ts).
 *
 * @module
 */
import { sha256Hex } from "./sha256.ts";

/** Bytes before a read's end whose hash must still match for the read to hold. */
export const TAIL_WINDOW = 4096;

/**
 * SHA-256 of the {@linkcode TAIL_WINDOW} bytes of the open file before `end`
 * (`""` when the file is shorter than `end`).
 *
 * @example
 * ```ts
 * import { tailHash } from "./appended.ts";
 * using file = Deno.openSync("DEL-01-02_X/RunRecords.csv");
 * const tail = tailHash(file, file.statSync().size);
 * ```
 */
export function tailHash(file: Deno.FsFile, end: number): string {
  const start = Math.max(0, end - TAIL_WINDOW);
  const bytes = new Uint8Array(end - start);
  file.seekSync(start, Deno.SeekMode.Start);
  let got = 0;
  while (got < bytes.length) {
    const n = file.readSync(bytes.subarray(got));
    if (n === null) break;
    got += n;
  }
  return got === bytes.length ? sha256Hex(bytes) : "";
}

/**
 * Whether the open file, of `size` bytes, was only appended to since a read
 * that ended at byte `end` with {@linkcode tailHash} `tail`.
 *
 * @example
 * ```ts
 * import { onlyAppendedTo, tailHash } from "./appended.ts";
 * using file = Deno.openSync("DEL-01-02_X/RunRecords.csv");
 * const end = file.statSync().size;
 * const tail = tailHash(file, end);
 * // ... later, the file open again:
 * onlyAppendedTo(file, file.statSync().size, end, tail); // true unless rewritten or cut
 * ```
 */
export function onlyAppendedTo(
  file: Deno.FsFile,
  size: number,
  end: number,
  tail: string,
): boolean {
  return end <= size && tailHash(file, end) === tail;
}
