/**
 * The run records of one record file as `runrec stale` uses them: the valid
 * ones with their line numbers, the unreadable lines counted.
 *
 * @module
 */
import { InputError } from "./errors.ts";
import { firstCopies, readRecordBatches } from "./reader.ts";
import { COLUMNS, type RunRecord } from "./schema.ts";

/** The records of one record file, with their line numbers, and problems counted. */
export interface FolderRecords {
  /** Valid records, in file order. */
  records: { line: number; record: RunRecord }[];
  /** The numbers of the lines with an error (see `runrec validate`), in file order. */
  unreadableLines: number[];
  /** The whole cells of each of `unreadableLines`, in the same order (`LineProblem.cells`). */
  unreadableCells: string[][];
  /** The number of the last line when it is torn (a write cut short, not followed by any other). */
  tornTail?: number;
}

/** A line of a record file that holds no valid record, with its whole cells. */
interface BadLine {
  line: number;
  cells: string[];
}

/** What one read of a record file found besides its records (see {@linkcode scanRecordFile}). */
export interface RecordScan {
  /** Lines with an error, in file order. */
  unreadable: BadLine[];
  /** Torn lines that other lines follow: an append cut short, and appends since. */
  followedTorn: BadLine[];
  /** The number of the last line when it is torn. */
  tornTail?: number;
}

const AGENT_CELL = COLUMNS.indexOf("AgentName");
const START_CELL = COLUMNS.indexOf("RunTimestamp");

/**
 * Reads the record file at `path` (a regular file: the caller checks, since a
 * FIFO would block the read).
 *
 * @throws {InputError} naming the file when it cannot be read.
 *
 * @example
 * ```ts
 * import { readRecordFile } from "./folder_records.ts";
 * const { records, unreadableLines } = await readRecordFile("DEL-01-02_X/RunRecords.csv");
 * ```
 */
export async function readRecordFile(path: string): Promise<FolderRecords> {
  const records: FolderRecords["records"] = [];
  const firstCopy = firstCopies();
  const scan = await scanRecordFile(path, (entry) => {
    if (firstCopy(entry.record)) records.push(entry);
  });
  return {
    records,
    ...settleLineProblems(
      scan,
      (agent, start) =>
        records.some(({ record }) => record.AgentName === agent && record.RunTimestamp === start),
    ),
  };
}

/**
 * Reads the record file at `path` once, handing each valid record (every copy) to `onRecord`
 * with its line number, and returns the lines that hold none: a long history's records need not
 * be held.
 *
 * @throws {InputError} naming the file when it cannot be read.
 *
 * @example
 * ```ts
 * import { scanRecordFile } from "./folder_records.ts";
 * let runs = 0;
 * const scan = await scanRecordFile("DEL-01-02_X/RunRecords.csv", () => runs++);
 * console.log(runs, scan.unreadable.length);
 * ```
 */
export async function scanRecordFile(
  path: string,
  onRecord: (entry: { line: number; record: RunRecord }) => void,
): Promise<RecordScan> {
  const scan: RecordScan = { unreadable: [], followedTorn: [] };
  let tail: BadLine | undefined;
  try {
    for await (const batch of readRecordBatches(path)) {
      for (const event of batch) {
        if (tail !== undefined) scan.followedTorn.push(tail);
        tail = undefined;
        if (event.kind === "record") {
          onRecord({ line: event.line, record: event.record });
        } else if (
          event.severity === "error" &&
          !(event.code === "header" && (event.line > 1 || event.cells === undefined))
        ) {
          // A header line with an error (an added column's name, a byte-order mark before it)
          // holds no run: only a line 1 like none of ours may (line_classifier.ts gives it cells).
          scan.unreadable.push({ line: event.line, cells: event.cells ?? [] });
        } else if (event.code === "torn") tail = { line: event.line, cells: event.cells ?? [] };
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${path}: cannot read: ${(error as Error).message.split("\n")[0]}`, {
      path,
    });
  }
  if (tail !== undefined) scan.tornTail = tail.line;
  return scan;
}

/**
 * The unreadable lines of a {@linkcode RecordScan}, given whether a record holds the run of an
 * agent and start (`wasRecorded`). A torn line whose run a record holds (a retry, a spool replay:
 * its agent and start) was recovered. Any other whose agent and start can be read may have been
 * a run's only record, even the latest (a line cut by hand): weighed as unreadable. One cut before
 * them says nothing.
 *
 * @example
 * ```ts
 * import { settleLineProblems } from "./folder_records.ts";
 * settleLineProblems({ unreadable: [], followedTorn: [] }, () => false).unreadableLines; // []
 * ```
 */
export function settleLineProblems(
  scan: RecordScan,
  wasRecorded: (agent: string, start: string) => boolean,
): Omit<FolderRecords, "records"> {
  const unreadable = [...scan.unreadable];
  for (const torn of scan.followedTorn) {
    if (torn.cells.length <= START_CELL) continue;
    if (!wasRecorded(torn.cells[AGENT_CELL], torn.cells[START_CELL])) unreadable.push(torn);
  }
  unreadable.sort((a, b) => a.line - b.line);
  return {
    unreadableLines: unreadable.map(({ line }) => line),
    unreadableCells: unreadable.map(({ cells }) => cells),
    ...(scan.tornTail === undefined ? {} : { tornTail: scan.tornTail }),
  };
}

/**
 * The `"agent\nstart"` keys of the torn lines of `scan` that {@linkcode settleLineProblems} asks
 * about: a reader that holds no records looks for them as it reads again.
 *
 * @example
 * ```ts
 * import { tornRunKeys } from "./folder_records.ts";
 * tornRunKeys({ unreadable: [], followedTorn: [] }).size; // 0
 * ```
 */
export function tornRunKeys(scan: RecordScan): Set<string> {
  return new Set(
    scan.followedTorn.filter(({ cells }) => cells.length > START_CELL).map(({ cells }) =>
      `${cells[AGENT_CELL]}\n${cells[START_CELL]}`
    ),
  );
}
