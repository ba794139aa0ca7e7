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
const asciiDecoder = new TextDecoder("latin1");
const CHUNK = 1 << 20;
const COMMA = 44;
const NEWLINE = 10;
const HEX_PREFIX = /^[0-9a-f]{0,63}$/;

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
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(CHUNK);
  let pending: Uint8Array = new Uint8Array(0);
  let lineNumber = 0;
  while (true) {
    const n = await file.read(buffer);
    if (n === null) break;
    const chunk = pending.length > 0
      ? concat(pending, buffer.subarray(0, n))
      : buffer.subarray(0, n);
    let start = 0;
    let nl = chunk.indexOf(NEWLINE, start);
    while (nl >= 0) {
      lineNumber++;
      yield* classifyLine(chunk.subarray(start, nl), lineNumber, true);
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    // Copy: the buffer is reused by the next read.
    pending = chunk.slice(start);
  }
  if (pending.length > 0) {
    lineNumber++;
    yield* classifyLine(pending, lineNumber, false);
  }
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

function* classifyLine(bytes: Uint8Array, line: number, terminated: boolean): Generator<ReadEvent> {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 13) {
    end--;
    yield problem(line, "warning", "crlf", "line ends in CR LF; read without the CR");
  }
  let nulStart = end;
  while (nulStart > 0 && bytes[nulStart - 1] === 0) nulStart--;
  let begin = 0;
  while (begin < nulStart && bytes[begin] === 0) begin++;
  if (nulStart < end || begin > 0) {
    yield problem(line, "warning", "nul", `${end - nulStart + begin} NUL bytes (zero-filled tail)`);
    end = nulStart;
  }
  const body = bytes.subarray(begin, end);
  if (body.length === 0) {
    if (nulStart === bytes.length) yield problem(line, "warning", "blank", "empty line");
    return;
  }
  if (line === 1) {
    const text = asciiDecoder.decode(body);
    if (text !== HEADER) {
      yield problem(line, "error", "header", `is not the v1.0 header: ${clip(text)}`);
    }
    return;
  }
  if (body.length === HEADER.length && asciiDecoder.decode(body) === HEADER) {
    // Two branches that both created the file can leave a second header after a merge.
    yield problem(line, "warning", "header", "repeated header line (from a merge); skipped");
    return;
  }
  const comma = body.lastIndexOf(COMMA);
  const tail = asciiDecoder.decode(body.subarray(comma + 1));
  const checksumOk = comma > 0 && tail.length === 64 &&
    createHash("sha256").update(body.subarray(0, comma)).digest("hex") === tail;
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    yield problem(line, "error", "corrupt", "is not valid UTF-8");
    return;
  }
  if (!checksumOk) {
    yield tornOrCorrupt(text, line);
    return;
  }
  if (!terminated) yield problem(line, "warning", "no-newline", "last line has no final newline");
  let record: RunRecord;
  try {
    record = decodeRecord(text);
  } catch (e) {
    const field = (e as { field?: string }).field ?? "";
    yield problem(line, "error", "invalid", `${field || "record"} ${(e as Error).message}`, field);
    return;
  }
  const problems = validateRecord(record);
  if (problems.length > 0) {
    const first = problems[0];
    yield problem(line, "error", "invalid", `${first.field} ${first.message}`, first.field);
    return;
  }
  yield { kind: "record", line, record };
}

/** Cut short (fewer fields, or a checksum that is a hex prefix) is torn; the rest corrupt. */
function tornOrCorrupt(text: string, line: number): LineProblem {
  let cells: string[] | undefined;
  try {
    cells = splitCsvLine(text);
  } catch {
    cells = undefined; // an unterminated quote is what a cut inside a quoted field leaves
  }
  const last = cells?.[cells.length - 1] ?? "";
  const cut = cells === undefined || cells.length < COLUMNS.length ||
    (cells.length === COLUMNS.length && HEX_PREFIX.test(last));
  return cut
    ? problem(line, "warning", "torn", "torn record (interrupted write); skipped")
    : problem(line, "error", "corrupt", "RecordChecksum does not match the line", "RecordChecksum");
}

function clip(text: string): string {
  const s = JSON.stringify(text);
  return s.length > 60 ? `${s.slice(0, 57)}..."` : s;
}
