/**
 * Streaming reader of `RunRecords.csv`. It never modifies the file; torn,
 * corrupt, CRLF and NUL-padded lines are reported with their line numbers and
 * skipped.
 *
 * @module
 */
import { checkInWorkers, startCheckWorkers } from "./check_pool.ts";
import {
  failureReason,
  InputError,
  isOutOfDescriptors,
  OptionError,
  OutOfDescriptors,
} from "./errors.ts";
import { explainError } from "./names.ts";
import { isHeaderShaped, whereItDiffers } from "./messages.ts";
import { LINKED_RECORD_FILE } from "./linked_record_file.ts";
import { basename, join } from "./path.ts";
import {
  checksumOf,
  decodeRecord,
  readAddedCell,
  splitCells,
  splitCsvLine,
  UNTERMINATED_QUOTE,
} from "./codec.ts";
import { forgedAnnotationProblem } from "./annotation_shape.ts";
import { lifecycleProblems } from "./lifecycle.ts";
import { CLOCK_SKEW_MS, parseInstant } from "./time.ts";
import { plainRecord } from "./plain_record.ts";
import { ChecksumSet } from "./checksum_set.ts";
import { useWasmSha256 } from "./sha256.ts";
import {
  COLUMNS,
  crossFieldProblems,
  type FieldProblem,
  HEADER,
  LINE_LIMIT_BYTES,
  type RunRecord,
  SCHEMA_VERSION,
  validateRecord,
} from "./schema.ts";
import { additiveHeaderFault, isAdditiveHeader, versionReading } from "./schema_versions.ts";
import { cellsOf, HeaderLayout, type LayoutItem, LayoutRecorder } from "./header_layout.ts";
import {
  checkCheckFileArguments,
  checkPathArgument,
  checkRecordArgument,
  isWorkerCount,
  MAX_WORKERS,
} from "./argument_checks.ts";
import { onlyAppendedTo, tailHash } from "./appended.ts";
import { utf8Text } from "./utf8_text.ts";
export type { LayoutItem } from "./header_layout.ts";

/** What kind of problem a line has. */
export type ProblemCode =
  | "header" // line 1 is not the v1.0 header, or an added column has no name of its own
  | "torn" // an interrupted write: a record cut short
  | "corrupt" // a full-length line whose checksum or encoding is wrong
  | "invalid" // checksum fine, but the record breaks the schema
  | "crlf" // the line ends in CR LF
  | "nul" // NUL bytes (a tail zero-filled after power loss)
  | "blank" // an empty line
  | "no-newline" // the last record has no final `\n`
  | "lifecycle" // a valid record whose states break a lifecycle rule (checkRecordFile only)
  | "future" // a valid record dated after this machine's clock (checkRecordFile only)
  | "annotation"; // a RUNREC_ANNOTATE record runrec annotate did not write (checkRecordFile only)

/** A problem found on one line. `error`s fail `validate`; `warning`s are reported only. */
export interface LineProblem {
  /** Tells a problem from a record. */
  kind: "problem";
  /** The line's number, from 1. */
  line: number;
  /** Whether the problem fails `validate` (`error`) or is only reported (`warning`). */
  severity: "error" | "warning";
  /** What kind of problem it is. */
  code: ProblemCode;
  /** The column at fault, or `""`. */
  field: string;
  /** What is wrong, in one line. */
  message: string;
  /**
   * For a record line that cannot be read (`torn`, `corrupt`, `invalid`):
   * its cells that are whole (`wholeCells`), which may still say
   * whose run it was and when.
   */
  cells?: string[];
}

/** One record read from a line. */
export interface LineRecord {
  /** Tells a record from a problem. */
  kind: "record";
  /** The line's number, from 1. */
  line: number;
  /** Where the line starts in the file, in bytes (a reader may read the record again there). */
  offset: number;
  /** The record the line holds: a plain object, the caller's to change. */
  record: RunRecord;
  /**
   * For a record of a newer additive version (docs/SCHEMA_EVOLUTION.md): the
   * cells it adds, as written, which this runrec does not read.
   */
  unknownCells?: string[];
  /**
   * The header line above the record (the last one before it in the file)
   * when that is not the v1.0 header: a newer additive version's header
   * (SCHEMA.md 11.3), which names the cells in `unknownCells`.
   */
  header?: string;
}

/** What {@linkcode readRecords} yields, in file order. */
export type ReadEvent = LineRecord | LineProblem;

/** What {@linkcode checkRecordFile} yields per chunk: valid records counted, problems listed. */
export interface CheckBatch {
  /** Lines in this batch that hold a valid record. */
  records: number;
  /** Problems in this batch, in line order. */
  problems: LineProblem[];
  /**
   * The batch's header lines and record runs, for the check of which header
   * each record sits under (./header_layout.ts), done in file order.
   * Internal: its findings are already among `problems`.
   *
   * @ignore
   */
  layout: LayoutItem[];
}

/** Decodes a header line, whatever its bytes (an invalid byte shows as U+FFFD). */
const lenient = new TextDecoder("utf-8");
/** From this many bytes, a read hashes enough lines to repay loading the WebAssembly SHA-256. */
const WASM_SHA256_FROM_BYTES = 4 << 20;

/** Bytes read at a time. */
const CHUNK = 64 << 10;
const COMMA = 44;
const HEADER_START = HEADER.charCodeAt(0);
const NEWLINE = 10;
const HEX_PREFIX = /^[0-9a-f]{0,63}$/;
const FULL_CHECKSUM_TAIL = /,[0-9a-f]{64}$/;
/** The lines git writes around a conflict it leaves for the user to resolve. */
const CONFLICT_MARKER = /^(?:<{7} |={7}$|>{7} |\|{7} )/;
/** How every record line of a v1.x version starts: its SchemaVersion, then the start of RunID. */
const V1_RECORD_START = /^v1\.\d+,RUN-DEL-/;
/** Every proper prefix of such a start: what a write cut within its first cells leaves. */
const V1_RECORD_START_PREFIX =
  /^v(?:1(?:\.(?:\d+(?:,(?:R(?:U(?:N(?:-(?:D(?:E(?:L)?)?)?)?)?)?)?)?)?)?)?$/;
/** Our header line without its last column: what an additive version's header line starts with. */
const HEADER_BASE = HEADER.slice(0, HEADER.lastIndexOf(",") + 1);
/** What may follow {@linkcode HEADER_BASE} in a cut-off header line: column names and commas. */
const ADDED_COLUMNS = /^[A-Za-z0-9_,]*$/;

/**
 * Streams the events of a record file: every record and every problem, with
 * 1-based line numbers. Memory stays flat whatever the file size.
 *
 * @throws {InputError} naming the file and why (`not found`, `is a folder`,
 * `no permission (Deno --allow-read)`) when it cannot be opened or read; the
 * system's error is its `cause`. What the file holds never throws: each bad
 * line is a `problem` event.
 *
 * @example
 * ```ts
 * import { readRecords, recordRun } from "@runrec/runrec";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * await recordRun(dir, { agent: "4_DOCUMENTS", status: "SUCCESS" }); // a record to read
 * for await (const event of readRecords(`${dir}/RunRecords.csv`)) {
 *   if (event.kind === "record") console.log(event.record.RunID);
 *   else console.error(`${dir}/RunRecords.csv:${event.line}: ${event.message}`);
 * }
 * ```
 */
export async function* readRecords(path: string): AsyncGenerator<ReadEvent> {
  checkPathArgument(path, "path");
  for await (const batch of readRecordBatches(path)) yield* batch;
}

/**
 * The events of {@linkcode readRecords}, a batch per chunk read: the fast way
 * through a large file, since each `yield` of an async generator costs a
 * promise. With `from` (a record's place, as an earlier read gave it), from
 * that line on: a reader that knows where a record is need not read the lines
 * before it again. Throws as {@linkcode readRecords} does.
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
export async function* readRecordBatches(
  path: string,
  from?: RecordPlace,
): AsyncGenerator<ReadEvent[]> {
  yield* eventBatches(lineBlocks(path, undefined, from), from?.header);
}

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

/**
 * Reads the records of a record file as {@linkcode readRecords} does, from
 * where an earlier read of it ended (`after`) when it is the same file and
 * was only appended to since (./appended.ts: the rule the SEQ index is
 * trusted by), else from its start. `begin` is told which, before any record
 * is read, and gives the function each record (in file order) is passed to;
 * problems are not passed. Returns where this read ended. Throws as
 * {@linkcode readRecords} does.
 *
 * @example
 * ```ts
 * import { readRecordsOn } from "./reader.ts";
 * let runIds: string[] = [];
 * const read = (fromStart: boolean) => {
 *   if (fromStart) runIds = [];
 *   return (record: { RunID: string }) => void runIds.push(record.RunID);
 * };
 * const end = await readRecordsOn("RunRecords.csv", undefined, read);
 * // later: only the records appended since (all of them again if the file was replaced)
 * await readRecordsOn("RunRecords.csv", end, read);
 * ```
 */
export async function readRecordsOn(
  path: string,
  after: ReadEnd | undefined,
  begin: (fromStart: boolean) => (record: RunRecord) => void,
): Promise<ReadEnd> {
  checkPathArgument(path, "path");
  const place: Place = { after };
  let visit: ((record: RunRecord) => void) | undefined;
  for await (const batch of eventBatches(lineBlocks(path, place))) {
    visit ??= begin(place.fromStart!);
    for (const event of batch) if (event.kind === "record") visit(event.record);
  }
  if (visit === undefined) begin(place.fromStart!); // no line read: still told
  return place.end!;
}

/**
 * The events of the lines of `blocks`, a batch per block. Which header line is in force is
 * judged from the lines read only, `header` (an additive one) at first.
 */
async function* eventBatches(
  blocks: AsyncIterable<LineBlock>,
  header?: string, // the last header line read, unless it is v1.0's
): AsyncGenerator<ReadEvent[]> {
  const layout = new HeaderLayout();
  for await (const block of blocks) {
    const events: ReadEvent[] = [];
    const recorder = new LayoutRecorder();
    classifyBlock(block, {
      problem: (p) => events.push(p),
      header(line, text) {
        recorder.header(line, text);
        // Cells are named by an additive header only: under a faulty one they go by position.
        header = isAdditiveHeader(text) ? text : undefined;
      },
      record(line, text, offset) {
        const event = eventOf(line, text, offset, header);
        if (event.kind === "record") {
          recorder.record(line, event.record.SchemaVersion, cellsOf(event.unknownCells));
        }
        events.push(event);
      },
    });
    const findings = layoutProblems(layout, recorder.items);
    if (findings.length > 0) {
      events.push(...findings);
      events.sort((a, b) => a.line - b.line);
    }
    if (events.length > 0) yield events;
  }
}

/** The event of a checksum-valid line at `offset`, under the additive `header` if any. */
function eventOf(line: number, text: string, offset: number, header?: string): ReadEvent {
  const result = recordOf(line, text);
  if (!("record" in result)) return { ...result, cells: cellsOfKnownLayout(text) };
  return header === undefined
    ? { kind: "record", line, offset, ...result }
    : { kind: "record", line, offset, ...result, header };
}

/** Where a record was read: its line's offset and number, and the additive header above it. */
export type RecordPlace = Pick<LineRecord, "offset" | "line" | "header">;

/** Bytes read at a time from a line's start: most records are shorter. */
const LINE_CHUNK = 4096;

/**
 * The event of the line at `place.offset` of a record file, read again: the
 * record {@linkcode readRecords} gave there (its `line` and `header` as
 * given), or the line's problem, or `undefined` when the file ends before
 * it. For readers that keep where records are, not the records (`export
 * --format prov` visits runs in another order than the file's). The caller
 * checks that the record is the one it read there: a file replaced since
 * holds another. Throws as {@linkcode readRecords} does.
 *
 * @example
 * ```ts
 * import { readRecordAt, readRecords } from "./reader.ts";
 * for await (const event of readRecords("RunRecords.csv")) {
 *   if (event.kind !== "record") continue;
 *   const again = readRecordAt("RunRecords.csv", event); // the same record
 * }
 * ```
 */
export function readRecordAt(path: string, place: RecordPlace): ReadEvent | undefined {
  checkPathArgument(path, "path");
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (e) {
    throw readError(path, e);
  }
  if (!info.isFile) throw new InputError(`${path}: cannot read: not a regular file`);
  using file = openToRead(path);
  const read = lineAt(file, path, place.offset);
  if (read === undefined) return undefined;
  let event: ReadEvent | undefined;
  classifyLine(read.bytes, place.line, read.terminated, place.offset, {
    // A record's event wins over the warning of its missing newline, said before it.
    problem: (p) => event ??= p,
    header: () => event ??= problem(place.line, "error", "header", "is a header line"),
    record: (line, text, offset) => event = eventOf(line, text, offset, place.header),
  });
  return event;
}

/** The bytes of the line at `offset` (without its `\n`), whether it ends in one; up to the line limit. */
function lineAt(
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
        return { bytes: concat(parts), terminated: true };
      }
      parts.push(buffer.subarray(0, n));
      size += n;
    }
  } catch (e) {
    throw readError(path, e);
  }
  return size === 0 ? undefined : { bytes: concat(parts), terminated: false };
}

/** The warnings of a block's layout (./header_layout.ts), checked in file order. */
function layoutProblems(layout: HeaderLayout, items: readonly LayoutItem[]): LineProblem[] {
  return layout.check(items).map(({ line, field, message }) =>
    problem(line, "warning", "header", message, field)
  );
}

/**
 * A filter for one file's records that passes each record line once: a
 * cherry-pick or squash merge followed by a merge of the same branch leaves
 * a record twice, byte for byte (one RecordChecksum), and it is one run.
 * Readers that list or count runs (`log`, `show`, `stale`, `export`,
 * `annotate`) read a file through it; `verify` reports the repeat.
 *
 * @example
 * ```ts
 * import { firstCopies, readRecords, recordRun } from "@runrec/runrec";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * await recordRun(dir, { agent: "4_DOCUMENTS", status: "SUCCESS" }); // a record to read
 * const firstCopy = firstCopies();
 * for await (const event of readRecords(`${dir}/RunRecords.csv`)) {
 *   if (event.kind === "record" && firstCopy(event.record)) console.log(event.record.RunID);
 * }
 * ```
 */
export function firstCopies(): (record: RunRecord) => boolean {
  // Checksums held as bytes (./checksum_set.ts): one for each record of a history, however long.
  const seen = new ChecksumSet();
  return (record) => {
    checkRecordArgument(record, "record");
    return seen.add(record.RecordChecksum);
  };
}

/**
 * The RunIDs that name two or more different records (distinct
 * RecordChecksums) among `records`: a collision of runs recorded apart in one
 * minute (SCHEMA.md 3.3), not a line repeated byte for byte.
 *
 * @example
 * ```ts
 * import { collidedRunIds } from "./reader.ts";
 * collidedRunIds([
 *   { RunID: "RUN-DEL-01-02-20260301-1000-001", RecordChecksum: "a" },
 *   { RunID: "RUN-DEL-01-02-20260301-1000-001", RecordChecksum: "b" },
 * ]); // ["RUN-DEL-01-02-20260301-1000-001"]
 * ```
 */
export function collidedRunIds(
  records: Iterable<Pick<RunRecord, "RunID" | "RecordChecksum">>,
): string[] {
  const checksums = new Map<string, string>();
  const collided = new Set<string>();
  for (const { RunID, RecordChecksum } of records) {
    const first = checksums.get(RunID);
    if (first === undefined) checksums.set(RunID, RecordChecksum);
    else if (first !== RecordChecksum) collided.add(RunID);
  }
  return [...collided].sort();
}

/**
 * A checksum-valid line decoded and validated: the one way every reader
 * checks a record (`decodeRecord`, then `validateRecord`; a line in the
 * common spelling takes the fast path of ./plain_record.ts, to the same verdict).
 */
function recordOf(
  line: number,
  text: string,
): { record: RunRecord; unknownCells?: string[] } | LineProblem {
  if (!text.startsWith(CURRENT_VERSION_CELL)) return otherVersionOf(line, text);
  const fast = plainRecord(text);
  if (fast !== undefined) {
    // Its fields each passed their own check: what validateRecord has left are the cross-field rules.
    const problems = crossFieldProblems(fast.record, [fast.inputContextSha]);
    return problems.length > 0 ? invalid(line, problems) : { record: fast.record };
  }
  let record: RunRecord;
  try {
    record = decodeRecord(text);
  } catch (e) {
    const field = (e as { field?: string }).field ?? "";
    return invalid(line, [{
      field: field as FieldProblem["field"],
      message: (e as Error).message,
    }]);
  }
  const problems = validateRecord(record);
  return problems.length > 0 ? invalid(line, problems) : { record };
}

const CURRENT_VERSION_CELL = `${SCHEMA_VERSION},`;

/**
 * A checksum-valid line of another SchemaVersion, read as the registry says
 * (./schema_versions.ts): a newer minor version is read as the newest known
 * one of its major, the cells it adds before RecordChecksum kept unread;
 * anything else is an error naming the version.
 */
function otherVersionOf(
  line: number,
  text: string,
): { record: RunRecord; unknownCells?: string[] } | LineProblem {
  const version = text.slice(0, text.includes(",") ? text.indexOf(",") : text.length);
  const reading = versionReading(version);
  if (reading.read === "refused") {
    return invalid(line, [{ field: "SchemaVersion", message: reading.message }]);
  }
  if (reading.known.version !== SCHEMA_VERSION) {
    // Only v1.0 is known today; a second known version brings its own decoder here.
    throw new Error(`no decoder for ${reading.known.version}`);
  }
  let cells: string[];
  try {
    cells = splitCells(text);
  } catch (e) {
    return invalid(line, [{ field: "", message: (e as Error).message }]);
  }
  const known = reading.known.columns.length;
  if (cells.length < known) {
    return invalid(line, [{
      field: "",
      message: `has ${cells.length} fields; a ${version} record has at least the ${known} of ` +
        `${reading.known.version}`,
    }]);
  }
  // Validated as the known version it extends (every known column keeps its rules), then labelled as written.
  const asKnown = [reading.known.version, ...cells.slice(1, known - 1), cells.at(-1)].join(",");
  const result = recordOf(line, asKnown);
  if (!("record" in result)) return result;
  const added = cells.slice(known - 1, -1);
  // Each added cell is text as 6.1 writes it: another spelling is refused as in a known column
  // (versions-sweep F1), and no two spellings read as one value.
  const miswritten = added.findIndex((cell) => readAddedCell(cell) === undefined);
  if (miswritten >= 0) {
    return invalid(line, [{
      field: "",
      message: `column ${known + miswritten} (one ${version} adds) is not written as runrec ` +
        `writes text (SCHEMA.md 6.1): ${JSON.stringify(added[miswritten].slice(0, 40))}`,
    }]);
  }
  result.record.SchemaVersion = version;
  return { record: result.record, unknownCells: added };
}

/**
 * Checks every line of a record file, counting the valid records and listing
 * the problems: the same verdicts as {@linkcode readRecords}, plus a warning
 * for each lifecycle rule a valid record breaks (./lifecycle.ts) and for a
 * RUNREC_ANNOTATE record `runrec annotate` did not write (./annotation_shape.ts). Used by
 * `runrec validate`. Files of 8 MiB and more
 * are checked by this thread and worker threads together (one per further
 * core, up to 3, unless `options.workers` says how many); batches still come
 * in file order. Throws as {@linkcode readRecords} does, and when a worker
 * thread fails. The worker threads end when the iteration does: run it to
 * the end, leave a `for await` loop, or call the iterator's `return()`; an
 * iterator dropped half-way keeps them, and with them the process, alive.
 *
 * @example
 * ```ts
 * import { checkRecordFile, recordRun } from "@runrec/runrec";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * await recordRun(dir, { agent: "4_DOCUMENTS", status: "SUCCESS" }); // a record to read
 * let records = 0;
 * for await (const batch of checkRecordFile(`${dir}/RunRecords.csv`)) {
 *   records += batch.records;
 *   for (const p of batch.problems) console.error(`${p.line}: ${p.message}`);
 * }
 * ```
 */
export async function* checkRecordFile(
  path: string,
  options: CheckOptions = {},
): AsyncGenerator<CheckBatch> {
  checkCheckFileArguments(path, options);
  const count = options.workers;
  // 1e9 ran the process out of memory starting them.
  if (count !== undefined && !isWorkerCount(count)) {
    throw new OptionError((name) =>
      `${name("workers")}: must be a whole number of threads from 0 to ${MAX_WORKERS}, got ${count}`
    );
  }
  const workers = await startCheckWorkers(path, options.workers);
  const layout = new HeaderLayout();
  const withLayout = (batch: CheckBatch): CheckBatch => {
    const findings = layoutProblems(layout, batch.layout);
    if (findings.length > 0) {
      batch.problems.push(...findings);
      batch.problems.sort((a, b) => a.line - b.line);
    }
    return batch;
  };
  if (workers.length === 0) {
    for await (const block of lineBlocks(path)) yield withLayout(checkBlock(block));
    return;
  }
  try {
    for await (const batch of checkInWorkers(lineBlocks(path), workers, checkJob)) {
      yield withLayout(batch);
    }
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
  const batch: CheckBatch = { records: 0, problems: [], layout: [] };
  for (const block of blocks) {
    const part = checkBlock(block);
    batch.records += part.records;
    for (const problem of part.problems) batch.problems.push(problem);
    for (const item of part.layout) batch.layout.push(item);
  }
  return batch;
}

function invalid(line: number, problems: FieldProblem[]): LineProblem {
  const { field, message } = problems[0];
  return problem(line, "error", "invalid", `${field || "record"} ${message}`, field);
}

/** Where {@linkcode classifyBlock} sends what it finds. */
interface LineSink {
  /** A problem with a line. */
  problem(problem: LineProblem): void;
  /** A line whose checksum matches, as text (without CR, NULs or `\n`), and where it starts. */
  record(line: number, text: string, offset: number): void;
  /** A header line of this or an additive version (faulty added names too), as text (no CR, NULs, `\n`). */
  header(line: number, text: string): void;
}

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
interface Place {
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
 */
async function* lineBlocks(
  path: string,
  place?: Place,
  from?: Pick<RecordPlace, "offset" | "line">,
): AsyncGenerator<LineBlock> {
  // Before opening: opening a FIFO waits for a writer, and a device reads without end.
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (e) {
    throw readError(path, e);
  }
  if (info.isSymlink) throw new InputError(`${path}: cannot read: ${LINKED_RECORD_FILE}`);
  if (info.isDirectory) throw new InputError(`${path}: cannot read: ${folderGiven(path)}`);
  if (!info.isFile) {
    throw new InputError(`${path}: cannot read: not a regular file (a FIFO, socket or device)`);
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
    if (now.isSymlink) throw new InputError(`${path}: cannot read: ${LINKED_RECORD_FILE}`);
    if (!opened.isFile) {
      throw new InputError(`${path}: cannot read: not a regular file (a FIFO, socket or device)`);
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
  if (info.size - position >= WASM_SHA256_FROM_BYTES) await useWasmSha256();
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
      : { bytes: concat(pending), firstLine: lineNumber, offset, terminated };
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

/** A file's device and inode, or `undefined` where the system gives none (Windows). */
function identityOf(info: Deno.FileInfo): string | undefined {
  return info.ino === null || info.dev === null ? undefined : `${info.dev}:${info.ino}`;
}

/** `path` opened to read; synchronous, as the reads (an asynchronous open costs a thread hop). */
function openToRead(path: string): Deno.FsFile {
  try {
    return Deno.openSync(path, { read: true });
  } catch (e) {
    throw readError(path, e);
  }
}

/**
 * Why a folder is no record file, naming the record file inside it that the caller most likely
 * meant (a deliverable folder given for its `RunRecords.csv`).
 */
function folderGiven(path: string): string {
  if (basename(path) === "RunRecords.csv") return "is a folder";
  const inside = join(path, "RunRecords.csv");
  let holds = false;
  try {
    holds = Deno.statSync(inside).isFile;
  } catch { /* none there, or not to be looked at: said as none */ }
  return holds
    ? `is a folder (did you mean ${inside}?)`
    : "is a folder, holding no RunRecords.csv (a record file is a deliverable's RunRecords.csv)";
}

/** The one-line error of a record file that cannot be opened or read, naming it. */
function readError(path: string, error: unknown): InputError {
  if (isOutOfDescriptors(error)) return new OutOfDescriptors({ cause: error });
  const reason = failureReason(explainError(path, error as Error));
  return new InputError(`${path}: cannot read: ${reason}`, { cause: error });
}

/** Classifies every line of a block, sending problems and checksum-valid lines to `sink`. */
function classifyBlock(block: LineBlock, sink: LineSink): void {
  const { bytes, terminated } = block;
  if (block.overlong) {
    const limit = `${LINE_LIMIT_BYTES / (1 << 20)} MiB`;
    sink.problem(
      problem(
        block.firstLine,
        "error",
        "corrupt",
        `is longer than ${limit} (the line limit); skipped`,
      ),
    );
    return;
  }
  const blockOffset = block.offset ?? 0;
  let line = block.firstLine;
  let start = 0;
  for (let end = bytes.indexOf(NEWLINE); end >= 0; end = bytes.indexOf(NEWLINE, start)) {
    classifyLine(bytes.subarray(start, end), line++, true, blockOffset + start, sink);
    start = end + 1;
  }
  // Only the file's last line goes without a `\n`.
  if (!terminated) classifyLine(bytes.subarray(start), line, false, blockOffset + start, sink);
}

/**
 * Checks one block of lines: what a worker of `./check_pool.ts` runs for each
 * block. A valid record is checked against the lifecycle rules too, and
 * against this machine's clock (warnings).
 */
function checkBlock(block: LineBlock): CheckBatch {
  const batch: CheckBatch = { records: 0, problems: [], layout: [] };
  const recorder = new LayoutRecorder();
  const now = Date.now();
  // RunTimestamps are UTC ISO strings: one that sorts before this one is not in the future.
  const latest = new Date(now + CLOCK_SKEW_MS).toISOString();
  classifyBlock(block, {
    problem: (p) => batch.problems.push(p),
    header: (line, text) => recorder.header(line, text),
    record(line, text) {
      const result = recordOf(line, text);
      if (!("record" in result)) {
        batch.problems.push({ ...result, cells: cellsOfKnownLayout(text) });
        return;
      }
      batch.records++;
      recorder.record(line, result.record.SchemaVersion, cellsOf(result.unknownCells));
      for (const { field, message } of lifecycleProblems(result.record)) {
        batch.problems.push(problem(line, "warning", "lifecycle", message, field));
      }
      const forged = forgedAnnotationProblem(result.record);
      if (forged) {
        batch.problems.push(problem(line, "warning", "annotation", forged.message, forged.field));
      }
      const started = result.record.RunTimestamp;
      // Parsed only when it sorts after the limit (a valid record's time always parses).
      const ahead = started > latest ? (parseInstant(started) ?? now) - now : 0;
      if (ahead > CLOCK_SKEW_MS) {
        batch.problems.push(
          problem(line, "warning", "future", futureMessage(started, ahead), "RunTimestamp"),
        );
      }
    },
  });
  batch.layout = recorder.items;
  return batch;
}

/** Why a record started `ahead` ms after this machine's clock is odd. */
function futureMessage(started: string, ahead: number): string {
  const hours = ahead / 3_600_000;
  const by = hours < 48 ? `${Math.ceil(hours)} h` : `${Math.floor(hours / 24)} days`;
  return `RunTimestamp ${started} is ${by} after this machine's clock: written by a host whose clock ran ` +
    "ahead, or edited (runrec emit refuses a start more than 5 minutes ahead)";
}

/** How a v1 record's line starts (its SchemaVersion). */
const RECORD_START = new TextEncoder().encode("v1.");

/** Whether `bytes` from `offset` hold exactly the ASCII string `text` (no decoding needed). */
function asciiEquals(bytes: Uint8Array, offset: number, text: string): boolean {
  if (bytes.length - offset !== text.length) return false;
  for (let i = 0; i < text.length; i++) {
    if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Whether a line reads as UTF-16 text: over its first bytes, every other
 * byte is NUL (the high bytes of ASCII letters) and the bytes between are
 * not. A line of UTF-16LE after the first starts with the NUL of the `\n`
 * before it, so either parity counts.
 */
function isUtf16Text(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0 && bytes[1] !== 0) return false; // neither parity: the common case, told at once
  const head = bytes.subarray(0, 64);
  if (head.length < 8) return false;
  for (const parity of [0, 1]) {
    if (head.every((b, i) => (i % 2 === parity) === (b === 0))) return true;
  }
  return false;
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
 * whose checksum matches goes on as text.
 */
function classifyLine(
  bytes: Uint8Array,
  line: number,
  terminated: boolean,
  offset: number,
  sink: LineSink,
): void {
  // A file in UTF-16 reads as NUL bytes and bad UTF-8: its byte-order mark says what it is.
  if (
    line === 1 && (bytes[0] === 0xff && bytes[1] === 0xfe || bytes[0] === 0xfe && bytes[1] === 0xff)
  ) {
    sink.problem(
      problem(
        line,
        "error",
        "header",
        "is UTF-16 (a byte-order mark), not UTF-8: save the file as UTF-8",
      ),
    );
    return;
  }
  // Without a byte-order mark (or on the lines after it), UTF-16 is NULs between ASCII letters:
  // said once a line as what it is, not as NUL bytes and a line that is no record (review-y F10).
  if (isUtf16Text(bytes)) {
    sink.problem(
      problem(
        line,
        "error",
        line === 1 ? "header" : "corrupt",
        "is UTF-16 text (a NUL byte beside each letter), not UTF-8: save the file as UTF-8",
      ),
    );
    return;
  }
  let end = bytes.length;
  // A CR within line 1 ends lines too (an old Mac's line ends): the file reads as one line.
  // CR CR LF (a CR LF file converted again) ends in CR LF: only a CR before other bytes counts.
  const crAlone = line === 1 &&
    bytes.subarray(0, end - 1).some((b, i, head) =>
      b === 13 && i + 1 < head.length && head[i + 1] !== 13
    );
  if (crAlone) {
    sink.problem(
      problem(
        line,
        "warning",
        "crlf",
        "lines end in CR alone, not LF: convert the line ends to LF",
      ),
    );
  }
  if (end > 0 && bytes[end - 1] === 13) {
    end--;
    // CR CR LF: CR LF line ends converted to CR LF once more; read as one CR LF is.
    while (end > 0 && bytes[end - 1] === 13) end--;
    const crs = bytes.length - end;
    if (!crAlone) {
      sink.problem(
        problem(
          line,
          "warning",
          "crlf",
          crs === 1
            ? "line ends in CR LF; read without the CR"
            : `line ends in ${crs} CRs then LF (CR LF converted again?); read without them`,
        ),
      );
    }
  }
  let nulStart = end;
  while (nulStart > 0 && bytes[nulStart - 1] === 0) nulStart--;
  let begin = 0;
  while (begin < nulStart && bytes[begin] === 0) begin++;
  if (nulStart < end || begin > 0) {
    const count = end - nulStart + begin;
    // Zero-filled blocks are what a file system leaves where a write was lost at power loss.
    // git takes a file with a NUL in its first 8,000 bytes for binary: a merge of it conflicts
    // instead of joining both sides' lines (the reader does not count bytes: the warning says when).
    const what = count === 1 ? "1 NUL byte" : `${count} NUL bytes`;
    sink.problem(
      problem(
        line,
        "warning",
        "nul",
        `${what} (zero-filled, as after a lost write; in the file's first 8,000 bytes, they make ` +
          "git take it for binary and not merge it)",
      ),
    );
    end = nulStart;
  }
  // Most lines have nothing to cut: no second view of them.
  const body = begin === 0 && end === bytes.length ? bytes : bytes.subarray(begin, end);
  if (body.length === 0 && line === 1 && terminated) {
    // The writer refuses a file whose line 1 is not the header: so does the check.
    sink.problem(problem(line, "error", "header", "is empty, not the v1.0 header"));
    return;
  }
  if (body.length === 0) {
    if (nulStart === bytes.length) sink.problem(problem(line, "warning", "blank", "empty line"));
    return;
  }
  const fault = body[0] === HEADER_START ? additiveHeaderFault(lenient.decode(body)) : undefined;
  if (fault !== undefined) {
    // The header of a newer additive version (SCHEMA.md 11.3): its records are read by their own
    // SchemaVersion. One whose added names clash still starts a layout, whose cells go by position.
    if (fault !== "") sink.problem(problem(line, "error", "header", fault));
    sink.header(line, lenient.decode(body));
    return;
  }
  if (asciiEquals(body, 0, HEADER)) {
    // Ours, as line 1 or after another version's (11.3) or again after a merge: header_layout.ts tells.
    sink.header(line, HEADER);
    return;
  }
  if (line === 1) {
    // A byte-order mark is invisible when shown: name it.
    const bom = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
    const shown = new TextDecoder().decode(body.subarray(bom ? 3 : 0, 200));
    const text = new TextDecoder().decode(body);
    // A header's shape is quoted where it departs from ours, whose first characters it shares
    // (versions-sweep F3).
    const headerShaped = !bom && isHeaderShaped(text);
    const what = bom
      ? "starts with a UTF-8 byte-order mark (EF BB BF), then"
      : headerShaped
      ? `is not the v1.0 header: ${whereItDiffers(text)} (another schema version's, or ours ` +
        "damaged)"
      : "is not the v1.0 header:";
    // An editor or spreadsheet that saved the file added the mark: the way out is to drop it.
    const fix = bom ? ": delete those 3 bytes (until then, records wait in the spool)" : "";
    // A file that lost its header line (a copy made with `tail -n +2`) starts with a record,
    // which is checked as one (review-u F3).
    const record = RECORD_START.every((b, k) => body[k] === b);
    const lost = record ? " (a record: the header line is missing)" : "";
    const quoted = headerShaped ? "" : ` ${clip(shown)}`;
    sink.problem(problem(line, "error", "header", `${what}${quoted}${fix}${lost}`));
    if (lost === "") return;
  }
  const comma = body.lastIndexOf(COMMA);
  const checksumOk = comma > 0 && body.length - comma - 1 === 64 &&
    asciiEquals(body, comma + 1, checksumOf(body.subarray(0, comma)));
  const text = utf8Text(body);
  if (text === undefined) {
    sink.problem(problem(line, "error", "corrupt", "is not valid UTF-8"));
    return;
  }
  if (!checksumOk) {
    sink.problem(tornOrCorrupt(text, line));
    return;
  }
  if (!terminated) {
    sink.problem(problem(line, "warning", "no-newline", "last line has no final newline"));
  }
  sink.record(line, text, offset);
}

/** Cell counts of a record line cut right after one of its 64-hex-digit fields. */
const CUT_AFTER_HASH = new Set(
  (["InputContextSHA", "GitHead"] as const).map((name) => COLUMNS.indexOf(name) + 1),
);

/**
 * A line cut short by an interrupted write is torn (a warning); a line that
 * ends in a full checksum, or has every field, was written whole and then
 * changed, so it is corrupt (an error).
 */
function tornOrCorrupt(text: string, line: number): LineProblem {
  let cells: string[] | undefined;
  // A cut inside a quoted field leaves an unterminated quote; no cut leaves a quote inside an
  // unquoted field or text after a closing quote, which the encoder never writes.
  let prefix = true;
  try {
    cells = splitCsvLine(text);
  } catch (e) {
    prefix = (e as Error).message === UNTERMINATED_QUOTE;
  }
  // An interrupted write leaves the start of a record line (of any v1.x version, whose
  // column count this reader may not know) or of a header line; anything else was put there.
  const ours = text.startsWith(CURRENT_VERSION_CELL);
  const startsLikeRecord = V1_RECORD_START.test(text) || V1_RECORD_START_PREFIX.test(text);
  // A line ending in `,` and 64 hex digits may be cut right after InputContextSHA or a SHA-256
  // GitHead: with just the cells up to one of those, it was cut, not written whole (seeds-trace F3).
  const endsWhole = FULL_CHECKSUM_TAIL.test(text) &&
    !(cells !== undefined && CUT_AFTER_HASH.has(cells.length));
  const cutHeader = isCutHeader(text);
  const what = cutHeader ? "header line" : "record";
  const cut = cutHeader || startsLikeRecord && !endsWhole && prefix &&
      (!ours || cells === undefined || cells.length < COLUMNS.length ||
        (cells.length === COLUMNS.length && HEX_PREFIX.test(cells[cells.length - 1])));
  // Another version's header (a merge brought its records): a header, no run (versions-sweep F3).
  if (isHeaderShaped(text)) {
    return problem(
      line,
      "error",
      "header",
      `a header line, not v1.0's: ${whereItDiffers(text)} (another schema version's, or ours ` +
        "damaged); it holds no run, and records are read by their own SchemaVersion",
    );
  }
  if (CONFLICT_MARKER.test(text)) {
    return problem(
      line,
      "error",
      "corrupt",
      `is a git conflict marker ${clip(text)}: an unresolved merge (keep both sides' lines and ` +
        "delete the markers; the .gitattributes line 'RunRecords.csv merge=union' avoids it)",
    );
  }
  const found = cut
    ? problem(line, "warning", "torn", `torn ${what} (interrupted write); skipped`)
    : startsLikeRecord
    ? problem(
      line,
      "error",
      "corrupt",
      `RecordChecksum does not match the line${alsoInvalid(text)}`,
      "RecordChecksum",
    )
    : problem(line, "error", "corrupt", `is not a run record: ${clip(text)}`);
  return startsLikeRecord && !cutHeader ? { ...found, cells: wholeCells(text) } : found;
}

/**
 * {@linkcode wholeCells} of a line whose SchemaVersion this reader knows the
 * layout of; none of one it refuses (a new major version may reorder its
 * columns: what its cells mean is not guessed, versions-sweep F4).
 */
function cellsOfKnownLayout(text: string): string[] {
  const version = text.slice(0, Math.max(0, text.indexOf(",")));
  // A version cell spoilt by hand (`v1.O`) still heads a v1.0 line: its cells are read.
  const another = /^v[0-9]+\.[0-9]+$/.test(version) && versionReading(version).read === "refused";
  return another ? [] : wholeCells(text);
}

/**
 * The cells of a record line that cannot be read that are whole: all it
 * splits into as CSV (up to a quote that is never closed), but the last,
 * which a cut may have shortened (or is the RecordChecksum):
 * `v1.0,RUN-…,DEL-01-02,WRI` gives `v1.0`, `RUN-…` and `DEL-01-02`.
 */
function wholeCells(text: string): string[] {
  try {
    return splitCsvLine(text).slice(0, -1);
  } catch {
    // The cells before a cell that opens a quote never closed (RunID to RunTimestamp are never quoted).
    return text.slice(0, text.indexOf('"')).split(",").slice(0, -1);
  }
}

/**
 * The fields of a changed line of ours that are invalid too, as `; also <field> <why>`:
 * they show what the hand that changed it got wrong (a misspelt RunStatus).
 */
function alsoInvalid(text: string): string {
  if (!text.startsWith(CURRENT_VERSION_CELL)) return "";
  let problems: FieldProblem[];
  try {
    problems = validateRecord(decodeRecord(text));
  } catch (e) {
    const field = (e as { field?: string }).field;
    problems = [{ field: (field ?? "") as FieldProblem["field"], message: (e as Error).message }];
  }
  const shown = problems.map((p) => `${p.field || "record"} ${p.message}`);
  return shown.length === 0 ? "" : `; also ${shown.join("; ")}`;
}

/**
 * Whether a line is a proper prefix of a header line, ours or an additive
 * version's (SCHEMA.md 11.3): a writer's header line cut short, then ended by
 * the next append's `\n`.
 */
function isCutHeader(text: string): boolean {
  if (text.length < HEADER_BASE.length) return HEADER_BASE.startsWith(text);
  return text.startsWith(HEADER_BASE) && ADDED_COLUMNS.test(text.slice(HEADER_BASE.length));
}

/** Characters of a line a message quotes: enough to know it, too few to leak a secret's line. */
const QUOTED_CHARACTERS = 24;

/** The start of a line as a message quotes it: escaped, at most {@linkcode QUOTED_CHARACTERS}. */
function clip(text: string): string {
  const characters = [...text.slice(0, 2 * QUOTED_CHARACTERS)];
  if (characters.length <= QUOTED_CHARACTERS) return JSON.stringify(text);
  return `${JSON.stringify(characters.slice(0, QUOTED_CHARACTERS).join("")).slice(0, -1)}..."`;
}
