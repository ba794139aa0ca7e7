/**
 * Which runs (`run <id>`) and spool entries (`replayed from spool entry
 * <id>`) a record file may name, found by one read of it and kept for this
 * process as hashes: a finish, a replay of many spool entries or a reap of
 * many runs asks the file about each run or entry, and read it whole for
 * each, under the append lock (scale37 F1, F2). Most are named nowhere, and
 * are told so from the hashes; one that may be is read for as before. Later
 * looks read only what was appended since, by the rule the SEQ index is
 * trusted by (./appended.ts); a file replaced, rewritten or cut is read
 * again from its start. Run before the lock ({@linkcode readNamedLines}),
 * the long read keeps no appender waiting. A text known to lie only past a
 * mark (a run's name, past where the file ended at its start:
 * {@linkcode namedOnlyPast}) is looked for in what follows the mark alone,
 * while the file was only appended to since: a finish reads no more of a long
 * history than what was appended during its run (finish-40 F2).
 *
 * @module
 */
import { appendedSince, type FileMark, ReadOn } from "./appended.ts";

/** The phrases kept, each with the shape of the id that follows it. */
const PHRASES = [
  { phrase: "run ", id: /^[0-9]{8}T[0-9]{9}Z-[0-9a-f]{8}$/ },
  { phrase: "replayed from spool entry ", id: /^[0-9]+-[0-9]+-[0-9]+-[0-9a-f]+$/ },
] as const;

/** An id's characters (a run's `20260222T101500123Z-1a2b3c4d`, a spool entry's `1-2-0001-ab12cd34`). */
const ID_CHAR = /[0-9A-Za-z-]/;

/** Text kept from one chunk for the next: a phrase and its id cut by the chunk's end. */
const CARRY = 160;

const CHUNK = 1 << 20;

/** The hashes of the phrases and ids each record file holds, up to where it was read. */
const known = new ReadOn(() => new Set<number>());

/** The marks texts lie past, by file and text ({@linkcode namedOnlyPast}). */
const marks = new Map<string, FileMark>();

/** Marks kept at once: a library finishing run after run keeps the latest (one dropped costs a read). */
const KEPT_MARKS = 64;

function markKey(path: string, text: string): string {
  return `${path}\n${text}`;
}

/**
 * Tells that the record file at `path` can hold `text` only past `mark`: a
 * run's name (`run <id>`), which only records appended after the run's start
 * hold, past where the file ended then. {@linkcode mayName} then reads only
 * what follows the mark for it, while the file was only appended to since (a
 * checkout, a rewrite or a union merge that put lines before the mark: the
 * whole file, as for any text).
 *
 * @example
 * ```ts
 * import { mayName, namedOnlyPast } from "./named_lines.ts";
 * const path = "/abs/DEL-01-02_X/RunRecords.csv";
 * namedOnlyPast(path, "run 20260222T101500123Z-1a2b3c4d", { size: 123_456, tail: "9f86d0…" });
 * mayName(path, "run 20260222T101500123Z-1a2b3c4d"); // read from byte 123,456 on
 * ```
 */
export function namedOnlyPast(path: string, text: string, mark: FileMark): void {
  marks.delete(markKey(path, text));
  if (marks.size >= KEPT_MARKS) marks.delete(marks.keys().next().value!);
  marks.set(markKey(path, text), mark);
}

/**
 * Brings what is known of the record file at `path` up to date, reading only
 * what was appended since the last look when it was only appended to. A
 * file that cannot be read is left to the look under the lock. Returns
 * nothing; {@linkcode mayName} answers from it. With `texts` (those to be
 * asked about), nothing is read when each lies past a mark that still holds.
 *
 * @example
 * ```ts
 * import { readNamedLines } from "./named_lines.ts";
 * readNamedLines("/abs/DEL-01-02_X/RunRecords.csv"); // before the append lock: the long read
 * ```
 */
export function readNamedLines(path: string, texts?: readonly string[]): void {
  try {
    if (!isRegularFile(path)) return;
    using file = Deno.openSync(path, { read: true });
    if (texts?.every((text) => markHolds(path, text, file))) return;
    placesOf(path, file);
  } catch { /* read again by the look under the lock, which says why */ }
}

/** The mark `text` lies past in the open file at `path`, while the file was only appended to since. */
function markHolds(path: string, text: string, file: Deno.FsFile): FileMark | undefined {
  const mark = marks.get(markKey(path, text));
  if (mark === undefined) return undefined;
  if (appendedSince(file, mark)) return mark;
  marks.delete(markKey(path, text)); // rewritten: the whole file is read for it from now on
  return undefined;
}

/** Whether the open file holds `text` past `mark` (a last line not ended counts, as readers take it). */
function heldPast(file: Deno.FsFile, mark: FileMark, text: string): boolean {
  const wanted = hashOf(text);
  let held = false;
  scan(file, mark.size, file.statSync().size, (hash) => held ||= hash === wanted);
  return held;
}

/**
 * Whether the record file at `path` may hold `text` (`run <id>` or
 * `replayed from spool entry <id>`, followed by no other id character):
 * `false` when it surely does not, `true` when it may (the caller reads it
 * for `text` to know), `undefined` for any other text, which is not kept.
 * `false` when there is no file. Throws when the file cannot be read.
 *
 * @example
 * ```ts
 * import { mayName } from "./named_lines.ts";
 * mayName("/abs/DEL-01-02_X/RunRecords.csv", "run 20260222T101500123Z-1a2b3c4d"); // false
 * ```
 */
export function mayName(path: string, text: string): boolean | undefined {
  if (!isKept(text)) return undefined;
  let file: Deno.FsFile;
  try {
    if (!isRegularFile(path)) return undefined; // refused, or read, by the caller as before
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
  try {
    const mark = markHolds(path, text, file);
    if (mark !== undefined) return heldPast(file, mark, text);
    const { named, unfinished } = placesOf(path, file);
    return named.has(hashOf(text)) || unfinished.has(hashOf(text));
  } finally {
    file.close();
  }
}

/** Looked at before opening: opening a FIFO waits for a writer, and a device reads without end. */
function isRegularFile(path: string): boolean {
  return Deno.statSync(path).isFile;
}

/** Whether `text` is a phrase kept, with an id of its shape after it. */
function isKept(text: string): boolean {
  return PHRASES.some(({ phrase, id }) =>
    text.startsWith(phrase) && id.test(text.slice(phrase.length))
  );
}

/**
 * The hashes the open file holds, brought up to date; and those found after
 * its last `\n` (a last line not ended, which readers take), kept for this
 * look only.
 */
function placesOf(path: string, file: Deno.FsFile) {
  const unfinished = new Set<number>();
  const named = known.readOn(
    path,
    file,
    (named, from, size) =>
      scan(file, from, size, (hash, finished) => {
        (finished ? named : unfinished).add(hash);
      }),
  );
  return { named, unfinished };
}

/**
 * Reads the file from `from` to `size`, passing the hash of each
 * phrase-and-id found to `found` with whether a `\n` follows it; returns the offset after the last
 * `\n` read (`from` when none).
 */
function scan(
  file: Deno.FsFile,
  from: number,
  size: number,
  found: (hash: number, finished: boolean) => void,
): number {
  // One character a byte, so that a string index is a byte offset: the phrases and ids are ASCII.
  const decoder = new TextDecoder("latin1");
  const buffer = new Uint8Array(CHUNK);
  let hits: { hash: number; offset: number }[] = []; // those no `\n` is read after yet
  let carry = "";
  let lineEnd = from;
  file.seekSync(from, Deno.SeekMode.Start);
  for (let read = from; read < size;) {
    const n = file.readSync(buffer.subarray(0, Math.min(CHUNK, size - read)));
    if (n === null) break;
    const base = read - carry.length; // the file offset of text[0]
    const text = carry + decoder.decode(buffer.subarray(0, n));
    read += n;
    const last = read >= size;
    const keepFrom = last ? text.length : Math.max(carry.length, text.length - CARRY);
    for (const { phrase, id } of PHRASES) {
      for (let i = text.indexOf(phrase); i >= 0 && i < keepFrom; i = text.indexOf(phrase, i + 1)) {
        let j = i + phrase.length;
        while (j < text.length && ID_CHAR.test(text[j])) j++;
        if (!id.test(text.slice(i + phrase.length, j))) continue;
        hits.push({ hash: hashOf(text.slice(i, j)), offset: base + i });
      }
    }
    const newline = text.lastIndexOf("\n");
    if (newline >= 0) lineEnd = Math.max(lineEnd, base + newline + 1);
    for (const { hash, offset } of hits) if (offset < lineEnd) found(hash, true);
    hits = hits.filter(({ offset }) => offset >= lineEnd);
    carry = text.slice(keepFrom);
  }
  for (const { hash } of hits) found(hash, false);
  return lineEnd;
}

/** FNV-1a of `text`'s characters (two texts that hash alike cost a read, never an answer). */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
