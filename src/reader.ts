/**
 * Streaming reader of `RunRecords.csv`. It never modifies the file; torn,
 * corrupt, CRLF and NUL-padded lines are reported with their line numbers and
 * skipped.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { checkInWorkers, startCheckWorkers } from "./check_pool.ts";
import { checkRecordLine, decodeRecord, splitCsvLine } from "./codec.ts";
import {
  COLUMNS,
  type FieldProblem,
  HEADER,
  type RunRecord,
  SCHEMA_VERSION,
  validateRecord,
} from "./schema.ts";

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

/** What {@linkcode checkRecordFile} yields per chunk: valid records counted, problems listed. */
export interface CheckBatch {
  /** Lines in this batch that hold a valid record. */
  records: number;
  /** Problems in this batch, in line order. */
  problems: LineProblem[];
}

const decoder = new TextDecoder("utf-8", { fatal: true });
/** Three times faster than the fatal decoder; U+FFFD in its output sends a chunk down the careful path. */
const lenientDecoder = new TextDecoder();
/** 32 KiB: the decoded text of a block stays a young-generation string (measured ~20% faster than 256 KiB). */
const CHUNK = 32 << 10;
/**
 * Every line's checksum makes a `node:crypto` hasher whose native memory is
 * freed only by a full garbage collection, which a small JavaScript heap seldom
 * triggers: without one every 32 Ki lines, a million records took 170 MB in one
 * thread and 280 MB with a worker (measured; ~120 MB with them).
 */
const GC_EVERY_LINES = 1 << 15;
/** `gc` exists when V8 runs with `--expose-gc`, as the CLI's flags set. */
const collectGarbage = (globalThis as { gc?: () => void }).gc ?? (() => {});
const COMMA = 44;
const NEWLINE = 10;
const HEX_PREFIX = /^[0-9a-f]{0,63}$/;
const FULL_CHECKSUM_TAIL = /,[0-9a-f]{64}$/;
/** How every record line starts (SchemaVersion, then the start of RunID). */
const RECORD_START = `${SCHEMA_VERSION},RUN-DEL-`;

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
  let events: ReadEvent[] = [];
  const sink: LineSink = {
    problem: (p) => events.push(p),
    record(line, text) {
      let record: RunRecord;
      try {
        record = decodeRecord(text);
      } catch (e) {
        const field = (e as { field?: string }).field ?? "";
        events.push(
          invalid(line, [{ field: field as FieldProblem["field"], message: (e as Error).message }]),
        );
        return;
      }
      const problems = validateRecord(record);
      events.push(problems.length > 0 ? invalid(line, problems) : { kind: "record", line, record });
    },
  };
  for await (const _ of scanLines(path, sink)) {
    if (events.length > 0) yield events;
    events = [];
  }
}

/**
 * Checks every line of a record file without building record objects: the
 * same verdicts as {@linkcode readRecords} (the same rules decide them), at a
 * fraction of the cost. Used by `runrec validate`. Files of 8 MiB and more
 * are checked by this thread and worker threads together (one per further
 * core, up to 3, unless `options.workers` says how many); batches still come
 * in file order.
 *
 * @example
 * ```ts
 * import { checkRecordFile } from "./reader.ts";
 * let records = 0;
 * for await (const batch of checkRecordFile("RunRecords.csv")) {
 *   records += batch.records;
 *   for (const p of batch.problems) console.error(`${p.line}: ${p.message}`);
 * }
 * ```
 */
export async function* checkRecordFile(
  path: string,
  options: CheckOptions = {},
): AsyncGenerator<CheckBatch> {
  const workers = await startCheckWorkers(path, options.workers);
  if (workers.length === 0) {
    for await (const block of lineBlocks(path)) yield checkBlock(block);
    return;
  }
  try {
    yield* checkInWorkers(lineBlocks(path), workers, checkJob);
  } finally {
    for (const worker of workers) worker.terminate();
  }
}

/** Options of {@linkcode checkRecordFile}. */
export interface CheckOptions {
  /**
   * Worker threads to share the work with: `0` checks in this thread only.
   * Default: one per core beyond the first, up to 3, for files of 8 MiB or more.
   */
  workers?: number;
}

/**
 * Checks the blocks of one job into one batch: what a worker of
 * `./check_pool.ts` runs, and this thread for the jobs it keeps.
 *
 * @example
 * ```ts
 * import { checkJob } from "./reader.ts";
 * const bytes = new TextEncoder().encode("not a header\n");
 * checkJob([{ bytes, firstLine: 1, terminated: true }]).problems.length; // 1
 * ```
 */
export function checkJob(blocks: LineBlock[]): CheckBatch {
  const batch: CheckBatch = { records: 0, problems: [] };
  for (const block of blocks) {
    const part = checkBlock(block);
    batch.records += part.records;
    for (const problem of part.problems) batch.problems.push(problem);
  }
  return batch;
}

function invalid(line: number, problems: FieldProblem[]): LineProblem {
  const { field, message } = problems[0];
  return problem(line, "error", "invalid", `${field || "record"} ${message}`, field);
}

/** Where {@linkcode scanLines} sends what it finds. */
interface LineSink {
  /** A problem with a line. */
  problem(problem: LineProblem): void;
  /** A line whose checksum matches, as text (without CR, NULs or `\n`). */
  record(line: number, text: string): void;
}

/** Whole lines of a file: bytes ending in `\n` (unless `terminated` is false: the file's tail). */
export interface LineBlock {
  /** The lines' bytes; valid only until the next block is read unless copied. */
  bytes: Uint8Array;
  /** Number of the block's first line, from 1. */
  firstLine: number;
  /** Whether the block ends in `\n` (false only for a last line without one). */
  terminated: boolean;
}

/** Reads a file in blocks of whole lines, one chunk at a time; memory stays flat. */
async function* lineBlocks(path: string): AsyncGenerator<LineBlock> {
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(CHUNK);
  // The start of a line that spans reads, in pieces: joined once, when its end is read
  // (joining at every read was quadratic in the line's length: 37 s for a 64 MB line).
  let pending: Uint8Array[] = [];
  let lineNumber = 1;
  while (true) {
    // Synchronous reads: one chunk at a time is all a reader needs, and it skips a promise per read.
    const n = file.readSync(buffer);
    if (n === null) break;
    const chunk = buffer.subarray(0, n);
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < 0) {
      pending.push(chunk.slice());
      continue;
    }
    // The line that spans reads joins this block (a copy only when there is one).
    const bytes = pending.length > 0
      ? concat([...pending, chunk.subarray(0, last + 1)])
      : chunk.subarray(0, last + 1);
    const firstLine = lineNumber;
    for (let i = bytes.indexOf(NEWLINE); i >= 0; i = bytes.indexOf(NEWLINE, i + 1)) lineNumber++;
    yield { bytes, firstLine, terminated: true };
    // Copy: the buffer is reused by the next read.
    pending = last + 1 < n ? [chunk.slice(last + 1)] : [];
  }
  if (pending.length > 0) {
    yield { bytes: concat(pending), firstLine: lineNumber, terminated: false };
  }
}

/**
 * Classifies every line of a block, sending problems and checksum-valid
 * lines to `sink`.
 */
function classifyBlock(block: LineBlock, sink: LineSink): void {
  const { bytes, terminated } = block;
  let lineNumber = block.firstLine;
  if (!terminated) {
    classifyLine(bytes, undefined, lineNumber, false, sink);
    return;
  }
  // One decode per block is cheaper than one per line; invalid UTF-8 falls back to lines.
  let text: string | undefined = lenientDecoder.decode(bytes);
  if (text.includes("\uFFFD")) text = undefined;
  let byteStart = 0;
  let charStart = 0;
  for (
    let byteEnd = bytes.indexOf(NEWLINE);
    byteEnd >= 0;
    byteEnd = bytes.indexOf(NEWLINE, byteStart)
  ) {
    const charEnd = text === undefined ? 0 : text.indexOf("\n", charStart);
    const lineText = text === undefined ? undefined : text.slice(charStart, charEnd);
    classifyLine(bytes.subarray(byteStart, byteEnd), lineText, lineNumber++, true, sink);
    byteStart = byteEnd + 1;
    charStart = charEnd + 1;
  }
  linesSinceGc += lineNumber - block.firstLine;
  if (linesSinceGc >= GC_EVERY_LINES) {
    linesSinceGc = 0;
    collectGarbage();
  }
}

let linesSinceGc = 0;

/** Classifies each block of the file, yielding after each so the caller can pass results on. */
async function* scanLines(path: string, sink: LineSink): AsyncGenerator<void> {
  for await (const block of lineBlocks(path)) {
    classifyBlock(block, sink);
    yield;
  }
}

/** Checks one block of lines without building records. */
function checkBlock(block: LineBlock): CheckBatch {
  const batch: CheckBatch = { records: 0, problems: [] };
  classifyBlock(block, checkSink(batch));
  return batch;
}

function checkSink(batch: CheckBatch): LineSink {
  return {
    problem: (p) => batch.problems.push(p),
    record(line, text) {
      const problems = checkRecordLine(text);
      if (problems.length === 0) batch.records++;
      else batch.problems.push(invalid(line, problems));
    },
  };
}

/** Whether `bytes` from `offset` hold exactly the ASCII string `text` (no decoding needed). */
function asciiEquals(bytes: Uint8Array, offset: number, text: string): boolean {
  if (bytes.length - offset !== text.length) return false;
  for (let i = 0; i < text.length; i++) {
    if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  }
  return true;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
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
 * Classifies one line (without its `\n`): problems go to the sink, and a line
 * whose checksum matches goes on as text. `decoded` is the line's text when
 * the caller already decoded it (used only for lines without CR or NULs).
 */
function classifyLine(
  bytes: Uint8Array,
  decoded: string | undefined,
  line: number,
  terminated: boolean,
  sink: LineSink,
): void {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 13) {
    end--;
    sink.problem(problem(line, "warning", "crlf", "line ends in CR LF; read without the CR"));
  }
  let nulStart = end;
  while (nulStart > 0 && bytes[nulStart - 1] === 0) nulStart--;
  let begin = 0;
  while (begin < nulStart && bytes[begin] === 0) begin++;
  if (nulStart < end || begin > 0) {
    const count = end - nulStart + begin;
    // Zero-filled blocks are what a file system leaves where a write was lost at power loss.
    const what = count === 1 ? "1 NUL byte" : `${count} NUL bytes`;
    sink.problem(problem(line, "warning", "nul", `${what} (zero-filled, as after a lost write)`));
    end = nulStart;
  }
  const body = bytes.subarray(begin, end);
  if (body.length === 0) {
    if (nulStart === bytes.length) sink.problem(problem(line, "warning", "blank", "empty line"));
    return;
  }
  if (line === 1) {
    if (!asciiEquals(body, 0, HEADER)) {
      // A byte-order mark is invisible when shown: name it.
      const bom = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
      const shown = new TextDecoder().decode(body.subarray(bom ? 3 : 0, 200));
      const what = bom
        ? "starts with a UTF-8 byte-order mark (EF BB BF), then"
        : "is not the v1.0 header:";
      sink.problem(problem(line, "error", "header", `${what} ${clip(shown)}`));
    }
    return;
  }
  if (asciiEquals(body, 0, HEADER)) {
    // Two branches that both created the file can leave a second header after a merge.
    sink.problem(
      problem(line, "warning", "header", "repeated header line (from a merge); skipped"),
    );
    return;
  }
  const comma = body.lastIndexOf(COMMA);
  const checksumOk = comma > 0 && body.length - comma - 1 === 64 &&
    asciiEquals(
      body,
      comma + 1,
      // createHash measured faster per line than the one-shot hash() here.
      createHash("sha256").update(body.subarray(0, comma)).digest("hex"),
    );
  let text: string;
  if (decoded !== undefined && begin === 0 && end === bytes.length) {
    text = decoded;
  } else {
    try {
      text = decoder.decode(body);
    } catch {
      sink.problem(problem(line, "error", "corrupt", "is not valid UTF-8"));
      return;
    }
  }
  if (!checksumOk) {
    sink.problem(tornOrCorrupt(text, line));
    return;
  }
  if (!terminated) {
    sink.problem(problem(line, "warning", "no-newline", "last line has no final newline"));
  }
  sink.record(line, text);
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
  // An interrupted write leaves the start of a record line; anything else was put there.
  const startsLikeRecord = text.startsWith(RECORD_START) || RECORD_START.startsWith(text);
  const endsWhole = FULL_CHECKSUM_TAIL.test(text);
  const cut = startsLikeRecord && !endsWhole &&
    (cells === undefined || cells.length < COLUMNS.length ||
      (cells.length === COLUMNS.length && HEX_PREFIX.test(cells[cells.length - 1])));
  return cut
    ? problem(line, "warning", "torn", "torn record (interrupted write); skipped")
    : startsLikeRecord
    ? problem(line, "error", "corrupt", "RecordChecksum does not match the line", "RecordChecksum")
    : problem(line, "error", "corrupt", `is not a run record: ${clip(text)}`);
}

function clip(text: string): string {
  const s = JSON.stringify(text);
  return s.length > 60 ? `${s.slice(0, 57)}..."` : s;
}
