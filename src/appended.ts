/**
 * Whether a file was only appended to since it was read: the bytes before
 * where that read ended are still there, as told by the SHA-256 of the last
 * {@linkcode TAIL_WINDOW} of them. A checkout, a rewrite or a union merge
 * that put lines before that end changes them (or cuts the file shorter).
 * The SEQ index (./seq_index.ts) is trusted by this rule, and annotate reads
 * on from where it read before the lock by it (./annotations.ts), as do the
 * names of runs and spool entries (./named_lines.ts) and the SEQs of earlier
 * minutes (./store.ts) through {@linkcode ReadOn}.
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
  const bytes = readAt(file, start, end - start);
  return bytes.length === end - start ? sha256Hex(bytes) : "";
}

/**
 * Reads exactly `length` bytes of the open file at `offset` (fewer only at
 * the end of the file).
 *
 * @example
 * ```ts
 * import { readAt } from "./appended.ts";
 * using file = Deno.openSync("DEL-01-02_X/RunRecords.csv");
 * const head = readAt(file, 0, 4096); // the file's first 4 KiB, or all of a shorter one
 * ```
 */
export function readAt(file: Deno.FsFile, offset: number, length: number): Uint8Array {
  const buffer = new Uint8Array(length);
  file.seekSync(offset, Deno.SeekMode.Start);
  let got = 0;
  while (got < length) {
    const n = file.readSync(buffer.subarray(got));
    if (n === null) break;
    got += n;
  }
  return buffer.subarray(0, got);
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

/**
 * Where a file ended: its size and the SHA-256 of the bytes before that
 * point, to tell later whether it was only appended to since.
 */
export interface FileMark {
  /** Bytes the file held. */
  size: number;
  /** SHA-256 (hex) of the 4 KiB before `size` (of all `size` bytes when fewer). */
  tail: string;
}

/**
 * Where the open file ends now, to tell later with {@linkcode appendedSince}
 * whether it was only appended to since.
 *
 * @example
 * ```ts
 * import { appendedSince, fileMark } from "./appended.ts";
 * using file = Deno.openSync("DEL-01-02_X/RunRecords.csv");
 * const mark = fileMark(file);
 * appendedSince(file, mark); // true
 * ```
 */
export function fileMark(file: Deno.FsFile): FileMark {
  const { size } = file.statSync();
  return { size, tail: tailHash(file, size) };
}

/**
 * Whether the open file was only appended to since it ended at `mark`
 * ({@linkcode fileMark}).
 *
 * @example
 * ```ts
 * import { appendedSince, fileMark } from "./appended.ts";
 * using file = Deno.openSync("DEL-01-02_X/RunRecords.csv");
 * appendedSince(file, fileMark(file)); // true
 * ```
 */
export function appendedSince(file: Deno.FsFile, mark: FileMark): boolean {
  return onlyAppendedTo(file, file.statSync().size, mark.size, mark.tail);
}

/**
 * A file's device and inode, or `undefined` where the system gives none (Windows).
 *
 * @example
 * ```ts
 * import { identityOf } from "./appended.ts";
 * identityOf(Deno.statSync("DEL-01-02_X/RunRecords.csv")); // "2049:1234567"
 * ```
 */
export function identityOf(info: Deno.FileInfo): string | undefined {
  return info.ino === null || info.dev === null ? undefined : `${info.dev}:${info.ino}`;
}

/** Record files whose reads a process keeps at once: one writing to many (a library's) keeps the latest. */
export const KEPT_FILES = 16;

/**
 * What one process learnt by reading files, read on from where each read
 * ended while the file keeps its identity (device and inode) and was only
 * appended to ({@linkcode onlyAppendedTo}), else learnt afresh from its start;
 * at most {@linkcode KEPT_FILES} files, the latest. A long read made before
 * the append lock leaves only what was appended since to read under it.
 *
 * @example
 * ```ts
 * import { ReadOn } from "./appended.ts";
 * const bytesSeen = new ReadOn(() => ({ bytes: 0 }));
 * using file = Deno.openSync("DEL-01-02_X/RunRecords.csv");
 * const seen = bytesSeen.readOn("DEL-01-02_X/RunRecords.csv", file, (learnt, from, size) => {
 *   learnt.bytes += size - from; // a real read looks at the bytes from `from` on
 *   return size; // where the read ended (a record reader: after its last whole line)
 * });
 * ```
 */
export class ReadOn<T> {
  #fresh: () => T;
  #kept = new Map<
    string,
    { identity: string | undefined; end: number; tail: string; learnt: T }
  >();

  /** `fresh` makes what is learnt of a file read from its start. */
  constructor(fresh: () => T) {
    this.#fresh = fresh;
  }

  /**
   * What is learnt of the open `file` at `path`, brought up to date:
   * `read(learnt, from, size)` reads the file from byte `from` into `learnt`
   * and returns where its read ended.
   */
  readOn(
    path: string,
    file: Deno.FsFile,
    read: (learnt: T, from: number, size: number) => number,
  ): T {
    const info = file.statSync();
    const identity = identityOf(info);
    let kept = this.#kept.get(path);
    if (
      kept === undefined || kept.identity !== identity ||
      !onlyAppendedTo(file, info.size, kept.end, kept.tail)
    ) {
      kept = { identity, end: 0, tail: "", learnt: this.#fresh() };
      this.#kept.delete(path);
      if (this.#kept.size >= KEPT_FILES) this.#kept.delete(this.#kept.keys().next().value!);
      this.#kept.set(path, kept);
    }
    kept.end = read(kept.learnt, kept.end, info.size);
    kept.tail = tailHash(file, kept.end);
    return kept.learnt;
  }
}
