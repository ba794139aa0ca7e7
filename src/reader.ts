/**
 * Streaming reader of `RunRecords.csv`. It never modifies the file; torn,
 * corrupt, CRLF and NUL-padded lines are reported with their line numbers and
 * skipped.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { decodeRecord, splitCsvLine } from "./codec.ts";
import { COLUMNS, HEADER, type RunRecord, validateRecord } from "./schema.ts";

/** What kind of problem a line has. */
export type ProblemCode =
  | "header" // the first line is not the v1.0 header
  | "torn" // an interrupted write: a record cut short
  | "corrupt" // a full-length line whose checksum or encoding is wrong
  | "invalid" // checksum fine, but the record breaks the schema
  | "crlf" // the line ends in CR LF
  | "nul" // NUL bytes (a tail zero-filled after power loss)
  | "blank" // an empty line
  | "no-newline"; // the last record has no final `\n`

/** A problem found on one line. `error`s fail `validate`; `warning`s are reported only. */
export interface LineProblem {
  kind: "problem";
  line: number;
  severity: "error" | "warning";
  code: ProblemCode;
  /** The column at fault, or `""`. */
  field: string;
  message: string;
}

/** One record read from a line. */
export interface LineRecord {
  kind: "record";
  line: number;
  record: RunRecord;
}

/** What {@linkcode readRecords} yields, in file order. */
export type ReadEvent = LineRecord | LineProblem;

const decoder = new TextDecoder("utf-8", { fatal: true });
/** Three times faster than the fatal decoder; U+FFFD in its output sends a chunk down the careful path. */
const lenientDecoder = new TextDecoder();
const asciiDecoder = new TextDecoder("latin1");
const CHUNK = 256 << 10;
const COMMA = 44;
const NEWLINE = 10;
const HEX_PREFIX = /^[0-9a-f]{0,63}$/;
const FULL_CHECKSUM_TAIL = /,[0-9a-f]{64}$/;

/**
 * Streams the events of a record file: every record and every problem, with
 * 1-based line numbers. Memory stays flat whatever the file size.
 *
 * @example
 * ```ts
 * import { readRecords } from "./reader.ts";
 * for await (const event of readRecords("RunRecords.csv")) {
 *   if (event.kind === "record") console.log(event.record.RunID);
 *   else console.error(`RunRecords.csv:${event.line}: ${event.message}`);
 * }
 * ```
 */
export async function* readRecords(path: string): AsyncGenerator<ReadEvent> {
  for await (const batch of readRecordBatches(path)) yield* batch;
}

/**
 * The events of {@linkcode readRecords}, a batch per chunk read: the fast way
 * through a large file, since each `yield` of an async generator costs a
 * promise.
 *
 * @example
 * ```ts
 * import { readRecordBatches } from "./reader.ts";
 * let records = 0;
 * for await (const batch of readRecordBatches("RunRecords.csv")) {
 *   for (const event of batch) if (event.kind === "record") records++;
 * }
 * ```
 */
export async function* readRecordBatches(path: string): AsyncGenerator<ReadEvent[]> {
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(CHUNK);
  let pending: Uint8Array = new Uint8Array(0);
  let lineNumber = 0;
  while (true) {
    const n = await file.read(buffer);
    if (n === null) break;
    const chunk = buffer.subarray(0, n);
    const events: ReadEvent[] = [];
    let start = 0;
    const nl = chunk.indexOf(NEWLINE);
    if (pending.length > 0) {
      if (nl < 0) {
        pending = concat(pending, chunk);
        continue;
      }
      // Only the line that spans two reads is copied.
      classifyLine(concat(pending, chunk.subarray(0, nl)), undefined, ++lineNumber, true, events);
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    if (last >= start) {
      const whole = chunk.subarray(start, last + 1);
      // One decode per chunk is cheaper than one per line; invalid UTF-8 falls back to lines.
      let text: string | undefined = lenientDecoder.decode(whole);
      if (text.includes("\uFFFD")) text = undefined; // maybe invalid UTF-8: decode line by line
      let byteStart = 0;
      let charStart = 0;
      let byteEnd = whole.indexOf(NEWLINE);
      while (byteEnd >= 0) {
        const charEnd = text === undefined ? 0 : text.indexOf("\n", charStart);
        const lineText = text === undefined ? undefined : text.slice(charStart, charEnd);
        classifyLine(whole.subarray(byteStart, byteEnd), lineText, ++lineNumber, true, events);
        byteStart = byteEnd + 1;
        charStart = charEnd + 1;
        byteEnd = whole.indexOf(NEWLINE, byteStart);
      }
      start = last + 1;
    }
    // Copy: the buffer is reused by the next read.
    pending = chunk.slice(start);
    if (events.length > 0) yield events;
  }
  if (pending.length > 0) {
    const events: ReadEvent[] = [];
    classifyLine(pending, undefined, ++lineNumber, false, events);
    yield events;
  }
}

/** Whether `bytes` from `offset` hold exactly the ASCII string `text` (no decoding needed). */
function asciiEquals(bytes: Uint8Array, offset: number, text: string): boolean {
  if (bytes.length - offset !== text.length) return false;
  for (let i = 0; i < text.length; i++) {
    if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  }
  return true;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function problem(
  line: number,
  severity: "error" | "warning",
  code: ProblemCode,
  message: string,
  field = "",
): LineProblem {
  return { kind: "problem", line, severity, code, field, message };
}

/**
 * Classifies one line (without its `\n`) into `events`. `decoded` is the
 * line's text when the caller already decoded it (only for lines without
 * CR or NUL bytes is it used as is).
 */
function classifyLine(
  bytes: Uint8Array,
  decoded: string | undefined,
  line: number,
  terminated: boolean,
  events: ReadEvent[],
): void {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 13) {
    end--;
    events.push(problem(line, "warning", "crlf", "line ends in CR LF; read without the CR"));
  }
  let nulStart = end;
  while (nulStart > 0 && bytes[nulStart - 1] === 0) nulStart--;
  let begin = 0;
  while (begin < nulStart && bytes[begin] === 0) begin++;
  if (nulStart < end || begin > 0) {
    events.push(
      problem(line, "warning", "nul", `${end - nulStart + begin} NUL bytes (zero-filled tail)`),
    );
    end = nulStart;
  }
  const body = bytes.subarray(begin, end);
  if (body.length === 0) {
    if (nulStart === bytes.length) events.push(problem(line, "warning", "blank", "empty line"));
    return;
  }
  if (line === 1) {
    const text = asciiDecoder.decode(body);
    if (text !== HEADER) {
      events.push(problem(line, "error", "header", `is not the v1.0 header: ${clip(text)}`));
    }
    return;
  }
  if (body.length === HEADER.length && asciiEquals(body, 0, HEADER)) {
    // Two branches that both created the file can leave a second header after a merge.
    events.push(problem(line, "warning", "header", "repeated header line (from a merge); skipped"));
    return;
  }
  const comma = body.lastIndexOf(COMMA);
  const checksumOk = comma > 0 && body.length - comma - 1 === 64 &&
    asciiEquals(
      body,
      comma + 1,
      createHash("sha256").update(body.subarray(0, comma)).digest("hex"),
    );
  let text: string;
  if (decoded !== undefined && begin === 0 && end === bytes.length) {
    text = decoded;
  } else {
    try {
      text = decoder.decode(body);
    } catch {
      events.push(problem(line, "error", "corrupt", "is not valid UTF-8"));
      return;
    }
  }
  if (!checksumOk) {
    events.push(tornOrCorrupt(text, line));
    return;
  }
  if (!terminated) {
    events.push(problem(line, "warning", "no-newline", "last line has no final newline"));
  }
  let record: RunRecord;
  try {
    record = decodeRecord(text);
  } catch (e) {
    const field = (e as { field?: string }).field ?? "";
    events.push(
      problem(line, "error", "invalid", `${field || "record"} ${(e as Error).message}`, field),
    );
    return;
  }
  const problems = validateRecord(record);
  if (problems.length > 0) {
    const first = problems[0];
    events.push(problem(line, "error", "invalid", `${first.field} ${first.message}`, first.field));
    return;
  }
  events.push({ kind: "record", line, record });
}

/**
 * A line cut short by an interrupted write is torn (a warning); a line that
 * ends in a full checksum, or has every field, was written whole and then
 * changed, so it is corrupt (an error).
 */
function tornOrCorrupt(text: string, line: number): LineProblem {
  let cells: string[] | undefined;
  try {
    cells = splitCsvLine(text);
  } catch {
    cells = undefined; // an unterminated quote is what a cut inside a quoted field leaves
  }
  const endsWhole = FULL_CHECKSUM_TAIL.test(text);
  const cut = !endsWhole && (cells === undefined || cells.length < COLUMNS.length ||
    (cells.length === COLUMNS.length && HEX_PREFIX.test(cells[cells.length - 1])));
  return cut
    ? problem(line, "warning", "torn", "torn record (interrupted write); skipped")
    : problem(line, "error", "corrupt", "RecordChecksum does not match the line", "RecordChecksum");
}

function clip(text: string): string {
  const s = JSON.stringify(text);
  return s.length > 60 ? `${s.slice(0, 57)}..."` : s;
}
