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
  const result: FolderRecords = { records: [], unreadableLines: [], unreadableCells: [] };
  const firstCopy = firstCopies();
  // Torn lines that other lines follow: an append cut short, and appends since (SCHEMA.md 8.1).
  const followed: { line: number; cells: string[] }[] = [];
  let tail: { line: number; cells: string[] } | undefined;
  const unreadable: { line: number; cells: string[] }[] = [];
  try {
    for await (const batch of readRecordBatches(path)) {
      for (const event of batch) {
        if (tail !== undefined) followed.push(tail);
        tail = undefined;
        if (event.kind === "record") {
          if (!firstCopy(event.record)) continue;
          result.records.push({ line: event.line, record: event.record });
        } else if (event.severity === "error" && !(event.code === "header" && event.line > 1)) {
          // A header line past line 1 with an error (an added column's name) holds no run.
          unreadable.push({ line: event.line, cells: event.cells ?? [] });
        } else if (event.code === "torn") tail = { line: event.line, cells: event.cells ?? [] };
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${path}: cannot read: ${(error as Error).message.split("\n")[0]}`);
  }
  if (tail !== undefined) result.tornTail = tail.line;
  // A torn line whose run a record holds (a retry, a spool replay: its agent and start) was
  // recovered. Any other whose agent and start can be read may have been a run's only record, even
  // the latest (a line cut by hand): weighed as unreadable. One cut before them says nothing.
  for (const torn of followed) {
    if (torn.cells.length <= START_CELL) continue;
    const recorded = result.records.some(({ record }) =>
      record.AgentName === torn.cells[AGENT_CELL] && record.RunTimestamp === torn.cells[START_CELL]
    );
    if (!recorded) unreadable.push(torn);
  }
  for (const { line, cells } of unreadable.sort((a, b) => a.line - b.line)) {
    result.unreadableLines.push(line);
    result.unreadableCells.push(cells);
  }
  return result;
}
