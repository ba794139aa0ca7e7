/**
 * Reading text a line at a time from an open file or a pipe, in memory
 * bounded whatever it holds: a line longer than a limit is passed over
 * unread and named by its number, as ./line_blocks.ts does for record files.
 *
 * @module
 */

/** What lines are read from: an open file, or standard input. */
export interface ByteSource {
  /** Reads into `buffer`: the bytes read, or `null` at the end. */
  readSync(buffer: Uint8Array): number | null;
}

/** One line read: its number (from 1) and its text without its `\n`, absent when too long. */
export interface TextLine {
  /** The line's number, from 1. */
  number: number;
  /** The line as UTF-8 (bytes that are not read as U+FFFD); absent for a line over the limit. */
  text?: string;
}

/** Bytes read at a time. */
const CHUNK = 64 << 10;

const NEWLINE = 10;

/**
 * The lines of `source`, read a chunk at a time. A line of more than `limit`
 * bytes is skipped to its end unread (its `text` absent), so that memory holds
 * one chunk and one line of `limit` bytes at most. A last line without its
 * `\n` is a line; an empty source has none.
 *
 * @example
 * ```ts
 * import { textLines } from "./text_lines.ts";
 * using file = Deno.openSync("lost-records.txt");
 * for (const { number, text } of textLines(file, 1 << 20)) {
 *   if (text === undefined) console.error(`line ${number}: longer than 1 MiB`);
 * }
 * ```
 */
export function* textLines(source: ByteSource, limit: number): Generator<TextLine> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(CHUNK);
  let pending: Uint8Array[] = []; // the start of a line that spans chunks
  let pendingBytes = 0;
  let number = 1;
  const keep = (piece: Uint8Array) => {
    pendingBytes += piece.length;
    if (pendingBytes > limit) pending = [];
    else pending.push(piece.slice()); // a copy: the buffer is reused by the next read
  };
  const line = (last: Uint8Array): TextLine => {
    pendingBytes += last.length;
    const read = pendingBytes > limit ? { number } : {
      number,
      text: decoder.decode(pending.length === 0 ? last : concatBytes([...pending, last])),
    };
    pending = [];
    pendingBytes = 0;
    number++;
    return read;
  };
  while (true) {
    const n = source.readSync(buffer);
    if (n === null) break;
    const chunk = buffer.subarray(0, n);
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end >= 0; end = chunk.indexOf(NEWLINE, start)) {
      yield line(chunk.subarray(start, end));
      start = end + 1;
    }
    keep(chunk.subarray(start));
  }
  if (pendingBytes > 0) yield line(new Uint8Array(0));
}

/**
 * The bytes of `parts`, one after another, in a new array.
 *
 * @example
 * ```ts
 * import { concatBytes } from "./text_lines.ts";
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
