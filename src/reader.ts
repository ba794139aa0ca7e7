/**
 * Streaming reader of `RunRecords.csv`. It never modifies the file; torn,
 * corrupt, CRLF and NUL-padded lines are reported with their line numbers and
 * skipped. The file is read in blocks of whole lines (./line_blocks.ts),
 * each line is told a header, a record or a problem (./line_classifier.ts,
 * ./line_problems.ts), and a record's line is read and checked here.
 *
 * @module
 */
import { checkInWorkers, startCheckWorkers } from "./check_pool.ts";
import { InputError, OptionError } from "./errors.ts";
import { decodeRecord, readAddedCell, splitCells } from "./codec.ts";
import { forgedAnnotationProblem } from "./annotation_shape.ts";
import { lifecycleProblems } from "./lifecycle.ts";
import { CLOCK_SKEW_MS, parseInstant } from "./time.ts";
import { plainRecord } from "./plain_record.ts";
import { ChecksumSet } from "./checksum_set.ts";
import {
  crossFieldProblems,
  type FieldProblem,
  type RunRecord,
  SCHEMA_VERSION,
  validateRecord,
} from "./schema.ts";
import { isAdditiveHeader, versionReading } from "./schema_versions.ts";
import { cellsOf, HeaderLayout, type LayoutItem, LayoutRecorder } from "./header_layout.ts";
import { checkCheckFileArguments, isWorkerCount, MAX_WORKERS } from "./argument_checks.ts";
import { checkPathArgument, checkRecordArgument } from "./argument_kinds.ts";
import {
  lineAt,
  type LineBlock,
  lineBlocks,
  openToRead,
  type Place,
  type ReadEnd,
  readError,
} from "./line_blocks.ts";
import { classifyBlock, classifyLine } from "./line_classifier.ts";
import {
  cellsOfKnownLayout,
  CURRENT_VERSION_CELL,
  invalidLine,
  type LineProblem,
  lineProblem,
} from "./line_problems.ts";
export type { LayoutItem } from "./header_layout.ts";
export type { LineBlock, ReadEnd } from "./line_blocks.ts";
export type { LineProblem, ProblemCode } from "./line_problems.ts";

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
  if (!info.isFile) throw new InputError(`${path}: cannot read: not a regular file`, { path });
  using file = openToRead(path);
  const read = lineAt(file, path, place.offset);
  if (read === undefined) return undefined;
  let event: ReadEvent | undefined;
  classifyLine(read.bytes, place.line, read.terminated, place.offset, {
    // A record's event wins over the warning of its missing newline, said before it.
    problem: (p) => event ??= p,
    header: () => event ??= lineProblem(place.line, "error", "header", "is a header line"),
    record: (line, text, offset) => event = eventOf(line, text, offset, place.header),
  });
  return event;
}

/** The warnings of a block's layout (./header_layout.ts), checked in file order. */
function layoutProblems(layout: HeaderLayout, items: readonly LayoutItem[]): LineProblem[] {
  return layout.check(items).map(({ line, field, message }) =>
    lineProblem(line, "warning", "header", message, field)
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
    return problems.length > 0 ? invalidLine(line, problems) : { record: fast.record };
  }
  let record: RunRecord;
  try {
    record = decodeRecord(text);
  } catch (e) {
    const field = (e as { field?: string }).field ?? "";
    return invalidLine(line, [{
      field: field as FieldProblem["field"],
      message: (e as Error).message,
    }]);
  }
  const problems = validateRecord(record);
  return problems.length > 0 ? invalidLine(line, problems) : { record };
}

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
    return invalidLine(line, [{ field: "SchemaVersion", message: reading.message }]);
  }
  if (reading.known.version !== SCHEMA_VERSION) {
    // Only v1.0 is known today; a second known version brings its own decoder here.
    throw new Error(`no decoder for ${reading.known.version}`);
  }
  let cells: string[];
  try {
    cells = splitCells(text);
  } catch (e) {
    return invalidLine(line, [{ field: "", message: (e as Error).message }]);
  }
  const known = reading.known.columns.length;
  if (cells.length < known) {
    return invalidLine(line, [{
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
    return invalidLine(line, [{
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
        batch.problems.push(lineProblem(line, "warning", "lifecycle", message, field));
      }
      const forged = forgedAnnotationProblem(result.record);
      if (forged) {
        batch.problems.push(
          lineProblem(line, "warning", "annotation", forged.message, forged.field),
        );
      }
      const started = result.record.RunTimestamp;
      // Parsed only when it sorts after the limit (a valid record's time always parses).
      const ahead = started > latest ? (parseInstant(started) ?? now) - now : 0;
      if (ahead > CLOCK_SKEW_MS) {
        batch.problems.push(
          lineProblem(line, "warning", "future", futureMessage(started, ahead), "RunTimestamp"),
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
