/**
 * Reading a record file in blocks of whole lines, a chunk at a time, with
 * memory bounded whatever the file holds: the bytes every reader of
 * ./reader.ts classifies. Refuses what is no record file (a link, a folder,
 * a FIFO or device) with a one-line error naming it.
 *
 * @module
 */
import { failureReason, InputError, isOutOfDescriptors, OutOfDescriptors } from "./errors.ts";
import { explainError } from "./names.ts";
import { LINKED_RECORD_FILE } from "./linked_record_file.ts";
import { basename, join } from "./path.ts";
import { RECORD_FILE } from "./deliverable.ts";
import { LINE_LIMIT_BYTES } from "./schema.ts";
import { identityOf, onlyAppendedTo, tailHash } from "./appended.ts";
import { concatBytes } from "./text_lines.ts";

const NEWLINE = 10;

/**
 * Where a read of a record file ended: after its last whole line (a last line
 * without its `\n` is read again by the next read, which may find it whole).
 */
export interface ReadEnd {
  /**
   * The file read: its device and inode, where the system gives them. Absent,
   * the bytes alone tell whether the file was only appended to (a mark kept
   * across processes: a pull or a checkout back gives the file a new inode).
   */
  identity?: string;
  /** Bytes up to the end of the last whole line read, its `\n` included. */
  offset: number;
  /** The number of the line that starts there, from 1. */
  line: number;
  /** The SHA-256 of the bytes before `offset` (./appended.ts `tailHash`). */
  tail: string;
}

/** Bytes read at a time. */
const CHUNK = 64 << 10;

/** Whole lines of a file: bytes ending in `\n` (unless `terminated` is false: the file's tail). */
export interface LineBlock {
  /** The lines' bytes; valid only until the next block is read unless copied. */
  bytes: Uint8Array;
  /** Number of the block's first line, from 1. */
  firstLine: number;
  /** Where the block starts in the file, in bytes (0 when not read from one). */
  offset?: number;
  /** Whether the block ends in `\n` (false only for a last line without one). */
  terminated: boolean;
  /** The block is one line longer than {@linkcode LINE_LIMIT_BYTES}, not read (`bytes` empty). */
  overlong?: boolean;
}

/**
 * Where {@linkcode lineBlocks} may start (`after` an earlier read's end), and,
 * as it reads, whether it started at the file's start and where it ended.
 */
export interface Place {
  after?: ReadEnd;
  fromStart?: boolean;
  end?: ReadEnd;
}

/**
 * Reads a file in blocks of whole lines, a chunk at a time. A line that
 * spans chunks is collected up to {@linkcode LINE_LIMIT_BYTES}; a longer one
 * is skipped to its end unread, so memory stays bounded whatever the file.
 * With `place`, it starts after `place.after` when the file was only
 * appended to since, and notes where it started and ended there; with
 * `from`, at that line.
 *
 * @example
 * ```ts
 * import { lineBlocks } from "./line_blocks.ts";
 * let lines = 0;
 * for await (const block of lineBlocks("RunRecords.csv")) {
 *   for (const byte of block.bytes) if (byte === 10) lines++;
 * }
 * ```
 */
export async function* lineBlocks(
  path: string,
  place?: Place,
  from?: { offset: number; line: number },
): AsyncGenerator<LineBlock> {
  // Before opening: opening a FIFO waits for a writer, and a device reads without end.
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (e) {
    throw readError(path, e);
  }
  if (info.isSymlink) throw new InputError(`${path}: cannot read: ${LINKED_RECORD_FILE}`, { path });
  if (info.isDirectory) {
    throw new InputError(`${path}: cannot read: ${folderGiven(path)}`, { path });
  }
  if (!info.isFile) {
    throw new InputError(`${path}: cannot read: not a regular file (a FIFO, socket or device)`, {
      path,
    });
  }
  using file = openToRead(path);
  const opened = file.statSync();
  if (!sameFile(info, opened)) {
    // Replaced between the look and the open: by a link (refused, whatever it leads to), or by
    // another file, as git's checkout renames its new one into place: read, it is the file at the
    // path now, where it was called a link (small-40 F3).
    let now: Deno.FileInfo;
    try {
      now = Deno.lstatSync(path);
    } catch (e) {
      throw readError(path, e);
    }
    if (now.isSymlink) {
      throw new InputError(`${path}: cannot read: ${LINKED_RECORD_FILE}`, { path });
    }
    if (!opened.isFile) {
      throw new InputError(`${path}: cannot read: not a regular file (a FIFO, socket or device)`, {
        path,
      });
    }
    info = opened;
  }
  const identity = identityOf(opened);
  const after = place?.after;
  const sameIdentity = after?.identity === undefined || after.identity === identity;
  const readsOn = after !== undefined && sameIdentity && opened.isFile &&
    onlyAppendedTo(file, opened.size, after.offset, after.tail);
  if (place) place.fromStart = !readsOn;
  let position = readsOn ? after.offset : from?.offset ?? 0; // the file offset of the next byte read
  // The check above read the tail: the next read starts where this one means to, either way.
  file.seekSync(position, Deno.SeekMode.Start);
  // A small file (most record files) gets a buffer its size, not a chunk to allocate and zero;
  // at least a page, so that a file growing meanwhile (an append) is not read a byte at a time.
  // A read from a record on (`from`) is often short (a reader with few files open goes on where
  // it left one): it starts at a page, each full read doubling it up to a chunk.
  const size = from === undefined ? info.size - position + 1 : 0;
  let buffer = new Uint8Array(Math.min(CHUNK, Math.max(size, 4096)));
  let pending: Uint8Array[] = []; // the start of a line that spans chunks
  let pendingBytes = 0;
  let overlong = false; // inside a line longer than the limit: its bytes are dropped
  let lineNumber = readsOn ? after.line : from?.line ?? 1;
  let wholeLinesEnd = position; // the offset after the last `\n` read
  const collect = (piece: Uint8Array) => {
    if (overlong) return;
    pending.push(piece.slice()); // a copy: the buffer is reused by the next read
    pendingBytes += piece.length;
    // A line's `\n` is not part of it.
    if (pendingBytes > LINE_LIMIT_BYTES + (piece.at(-1) === NEWLINE ? 1 : 0)) {
      overlong = true;
      pending = [];
    }
  };
  // The line that spans chunks starts after the last `\n` before it.
  const spanningLine = (terminated: boolean, offset: number): LineBlock => {
    const block = overlong
      ? { bytes: new Uint8Array(0), firstLine: lineNumber, offset, terminated, overlong: true }
      : { bytes: concatBytes(pending), firstLine: lineNumber, offset, terminated };
    pending = [];
    pendingBytes = 0;
    overlong = false;
    lineNumber++;
    return block;
  };
  while (true) {
    // Synchronous reads: one chunk at a time is all a reader needs, and it skips a promise per read.
    let n: number | null;
    try {
      n = file.readSync(buffer);
    } catch (e) {
      throw readError(path, e); // a folder opens, and fails at its first read
    }
    if (n === null) break;
    let chunk = buffer.subarray(0, n);
    // The blocks of this chunk are read before the next: a new buffer leaves them as they are.
    if (n === buffer.length && n < CHUNK) buffer = new Uint8Array(2 * n);
    let chunkAt = position;
    position += n;
    if (pendingBytes > 0 || overlong) {
      const end = chunk.indexOf(NEWLINE);
      if (end < 0) {
        collect(chunk);
        continue;
      }
      collect(chunk.subarray(0, end + 1));
      const lineStart = wholeLinesEnd;
      wholeLinesEnd = chunkAt + end + 1;
      yield spanningLine(true, lineStart);
      chunk = chunk.subarray(end + 1);
      chunkAt += end + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    if (last >= 0) {
      wholeLinesEnd = chunkAt + last + 1;
      const bytes = chunk.subarray(0, last + 1);
      const firstLine = lineNumber;
      for (let i = bytes.indexOf(NEWLINE); i >= 0; i = bytes.indexOf(NEWLINE, i + 1)) lineNumber++;
      yield { bytes, firstLine, offset: chunkAt, terminated: true };
    }
    if (last + 1 < chunk.length) collect(chunk.subarray(last + 1));
  }
  if (place) {
    const tail = tailHash(file, wholeLinesEnd);
    place.end = { identity, offset: wholeLinesEnd, line: lineNumber, tail };
  }
  if (pendingBytes > 0 || overlong) yield spanningLine(false, wholeLinesEnd);
}

/** Whether two looks saw one file (always, where the system gives no inode: Windows). */
function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.ino === null || b.ino === null || (a.ino === b.ino && a.dev === b.dev);
}

/**
 * `path` opened to read; synchronous, as the reads (an asynchronous open
 * costs a thread hop). Throws {@linkcode readError}'s error when it cannot be.
 *
 * @example
 * ```ts
 * import { openToRead } from "./line_blocks.ts";
 * using file = openToRead("RunRecords.csv");
 * ```
 */
export function openToRead(path: string): Deno.FsFile {
  try {
    return Deno.openSync(path, { read: true });
  } catch (e) {
    throw readError(path, e);
  }
}

/**
 * Why a folder is no record file, naming the record file inside it that the caller most likely
 * meant (a deliverable folder given for its `RunRecords.csv`).
 *
 * @example
 * ```ts
 * import { folderGiven } from "./line_blocks.ts";
 * folderGiven("examples/PKG-01_Field_Instruments"); // "is a folder, holding no RunRecords.csv (…)"
 * ```
 */
export function folderGiven(path: string): string {
  if (basename(path) === RECORD_FILE) return "is a folder";
  const inside = join(path, RECORD_FILE);
  let holds = false;
  try {
    holds = Deno.statSync(inside).isFile;
  } catch { /* none there, or not to be looked at: said as none */ }
  return holds
    ? `is a folder (did you mean ${inside}?)`
    : "is a folder, holding no RunRecords.csv (a record file is a deliverable's RunRecords.csv)";
}

/**
 * The one-line error of a record file that cannot be opened or read, naming it.
 *
 * @example
 * ```ts
 * import { readError } from "./line_blocks.ts";
 * readError("RunRecords.csv", new Deno.errors.NotFound()).message; // "RunRecords.csv: cannot read: not found"
 * ```
 */
export function readError(path: string, error: unknown): InputError {
  if (isOutOfDescriptors(error)) return new OutOfDescriptors({ cause: error });
  const reason = failureReason(explainError(path, error as Error));
  return new InputError(`${path}: cannot read: ${reason}`, { cause: error, path });
}

/** Bytes read at a time from a line's start: most records are shorter. */
const LINE_CHUNK = 4096;

/**
 * The bytes of the line at `offset` of an open record file (without its
 * `\n`), and whether it ends in one; up to the line limit. `undefined` when
 * the file ends there.
 *
 * @example
 * ```ts
 * import { lineAt, openToRead } from "./line_blocks.ts";
 * using file = openToRead("RunRecords.csv");
 * const header = lineAt(file, "RunRecords.csv", 0); // line 1's bytes
 * ```
 */
export function lineAt(
  file: Deno.FsFile,
  path: string,
  offset: number,
): { bytes: Uint8Array; terminated: boolean } | undefined {
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    file.seekSync(offset, Deno.SeekMode.Start);
    while (size <= LINE_LIMIT_BYTES) {
      const buffer = new Uint8Array(LINE_CHUNK);
      const n = file.readSync(buffer);
      if (n === null) break;
      const end = buffer.subarray(0, n).indexOf(NEWLINE);
      if (end >= 0) {
        parts.push(buffer.subarray(0, end));
        return { bytes: concatBytes(parts), terminated: true };
      }
      parts.push(buffer.subarray(0, n));
      size += n;
    }
  } catch (e) {
    throw readError(path, e);
  }
  return size === 0 ? undefined : { bytes: concatBytes(parts), terminated: false };
}
