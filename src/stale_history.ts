/**
 * What `runrec stale` reads of a deliverable's record file: the records its rules look at, and
 * counts of the rest. A short history is held whole; a long one is read again in a few passes
 * that keep, of each agent, its baseline (latest good run, not annotated out) and the runs after
 * or overlapping it, the annotations, and the runs whose recorded outputs are the files' bytes
 * now (whose they are is told by bytes, whenever they ran): memory grows with what is kept, not
 * with the history (mem-38 F3).
 *
 * @module
 */
import {
  ambiguousAnnotations,
  type Annotation,
  annotationsFor,
  annotationsIn,
  type AnnotationSource,
  annotationSource,
  ANNOTATOR,
  runIdsNamedBy,
} from "./annotations.ts";
import { InputError, replacedFile } from "./errors.ts";
import { firstCopies, readRecordBatches } from "./reader.ts";
import {
  type FolderRecords,
  readRecordFile,
  type RecordScan,
  scanRecordFile,
  settleLineProblems,
  tornRunKeys,
} from "./folder_records.ts";
import type { RunRecord } from "./schema.ts";

/** A record with its line. */
export type Entry = FolderRecords["records"][number];

/** What one agent's runs here (none of another deliverable's copied folder) come to. */
export interface AgentRuns {
  /** How many. */
  count: number;
  /** How many of each RunStatus, in the order each status first appears. */
  statuses: Map<string, number>;
  /** How many are SUCCESS or PARTIAL yet no baseline (invalidated or superseded). */
  annotatedOut: number;
  /** Whether an annotation invalidated every one. */
  allInvalidated: boolean;
  /** The line of the last in file order. */
  lastLine: number;
}

/** A deliverable's record file as stale weighs it. */
export interface StaleHistory extends Omit<FolderRecords, "records"> {
  /**
   * The records the rules look at, in file order (every one of a short history): annotations,
   * each agent's baseline and runs not before it (or overlapping it, or after its line), runs
   * that recorded a file's bytes now, and the first record.
   */
  records: Entry[];
  /** The annotations of the whole file (`annotationsIn`). */
  annotations: Map<string, Annotation[]>;
  /** `ambiguousAnnotations` of the whole file. */
  ambiguous: string[];
  /** How many records name each DeliverableID. */
  deliverableIds: Map<string, number>;
  /** The DeliverableIDs whose records were copied with their folder (`copiedFrom` said so). */
  copiedFrom: Set<string>;
  /** Each agent's runs, counted (annotations and copied records not among them). */
  agents: Map<string, AgentRuns>;
  /** The line of each AgentName's first record (annotations' and copied ones too). */
  firstLines: Map<string, number>;
}

/** What {@linkcode readStaleHistory} asks of the check. */
export interface HistoryRules {
  /** The DeliverableIDs of another folder still there, given those the records name. */
  copiedFrom: (ids: ReadonlySet<string>, first: RunRecord | undefined) => Set<string>;
  /** The baseline rule, given the file's annotations. */
  isBaseline: (
    annotations: ReadonlyMap<string, readonly Annotation[]>,
  ) => (r: RunRecord) => boolean;
  /**
   * Whether a record may be kept out although it is no baseline's nor after one: none of its
   * outputs is on disk as it recorded it. Asked of long histories only.
   */
  holdsNoFileNow: (record: RunRecord) => Promise<boolean>;
  /** Whether `later`, written after the baseline, is the run stale's clock note would name. */
  writtenBefore: (later: RunRecord, baseline: RunRecord) => boolean;
  /** {@linkcode pickBaseline}'s order. */
  laterThan: (a: RunRecord, b: RunRecord) => boolean;
  startMs: (record: RunRecord) => number;
  endMs: (record: RunRecord) => number;
}

/**
 * The history of a deliverable with no record file.
 *
 * @example
 * ```ts
 * import { emptyHistory } from "./stale_history.ts";
 * emptyHistory().records.length; // 0
 * ```
 */
export function emptyHistory(): StaleHistory {
  return {
    records: [],
    unreadableLines: [],
    unreadableCells: [],
    annotations: new Map(),
    ambiguous: [],
    deliverableIds: new Map(),
    copiedFrom: new Set(),
    agents: new Map(),
    firstLines: new Map(),
  };
}

/**
 * Record files from `bytes` up are read in passes, their records not held: a short history is
 * read once (faster). Tests set it to 0 to weigh every history so.
 *
 * @example
 * ```ts
 * import { streamed } from "./stale_history.ts";
 * streamed.fromBytes = 0; // every file read in passes
 * ```
 */
export const streamed = { fromBytes: 16 << 20 };

/** The checks of long histories, one after another. */
let longTurn: Promise<unknown> = Promise.resolve();

/**
 * `check` of the deliverable whose record file is at `path`: when that file is long
 * (`streamed.fromBytes` up), once the checks of the other long ones begun before it have ended,
 * as each holds what its passes keep until it ends: memory grows with one long history, not with
 * as many as are checked at once (propmem-40 F2). A short one (or none) is checked now. `check`
 * is given the size found (`undefined` when the file could not be looked at): its reading needs
 * it, and a second look cost a `stat` a deliverable.
 *
 * @example
 * ```ts
 * import { aloneWhenLong } from "./stale_history.ts";
 * const size = await aloneWhenLong("DEL-01-02_X/RunRecords.csv", (size) => Promise.resolve(size));
 * console.log(size); // undefined: no such file
 * ```
 */
export function aloneWhenLong<T>(
  path: string,
  check: (size: number | undefined) => Promise<T>,
): Promise<T> {
  let size: number;
  try {
    size = Deno.statSync(path).size;
  } catch {
    return check(undefined); // none, or one its check names
  }
  if (size < streamed.fromBytes) return check(size);
  const turn = longTurn.then(() => check(size));
  longTurn = turn.then(() => {}, () => {}); // a check that failed ends its turn all the same
  return turn;
}

/**
 * The {@linkcode StaleHistory} of the record file at `path` (a regular file of `size` bytes):
 * read whole below `streamed.fromBytes`, else in passes.
 *
 * @example
 * ```ts
 * import { readStaleHistory } from "./stale_history.ts";
 * declare const rules: import("./stale_history.ts").HistoryRules;
 * const history = await readStaleHistory("DEL-01-02_X/RunRecords.csv", 100, rules);
 * console.log(history.agents.size);
 * ```
 */
export async function readStaleHistory(
  path: string,
  size: number,
  rules: HistoryRules,
): Promise<StaleHistory> {
  if (size < streamed.fromBytes) {
    const read = await readRecordFile(path);
    const pass: Pass = async (visit) => {
      for (const entry of read.records) {
        // Awaited only when a visit has work to wait for; its throw (a caller's isBaseline) is
        // the pass's, not a rejection no one handles.
        const visited = visit(entry);
        if (visited !== undefined) await visited;
      }
    };
    return { ...read, ...await weigh(pass, rules, false) };
  }
  return await readInPasses(path, (pass) => weigh(pass, rules, true));
}

/**
 * A pass over the first copies of a file's records, in file order. The first pass's visits are
 * not awaited: it must not hold a record past the call.
 */
export type Pass = (visit: (entry: Entry) => void | Promise<void>) => Promise<void>;

/**
 * What `weigh` makes of the record file at `path` read in passes (its records let go as each
 * pass goes on), with the lines that hold no record.
 *
 * @throws {InputError} naming the file when it cannot be read, or was replaced between passes.
 *
 * @example
 * ```ts
 * import { readInPasses } from "./stale_history.ts";
 * let runs = 0;
 * const read = await readInPasses("DEL-01-02_X/RunRecords.csv", (pass) => pass(() => void runs++));
 * console.log(runs, read.unreadableLines);
 * ```
 */
export async function readInPasses<T>(
  path: string,
  weigh: (pass: Pass) => Promise<T>,
): Promise<T & Omit<FolderRecords, "records">> {
  let scan: RecordScan | undefined;
  let torn = new Set<string>();
  const recorded = new Set<string>();
  // The passes after the first read the lines it read, as they were then: runs appended since
  // (a writer at work) are not weighed, as a single read would not have seen them.
  let lastLine = 0;
  // Each record line's checksum, its first 32 bits: a later pass that finds another record at a
  // line read a file replaced meanwhile (a checkout), whose records must not be weighed together.
  const checksums: number[] = [];
  const checksumOf = (record: RunRecord) => parseInt(record.RecordChecksum.slice(0, 8), 16);
  // Each pass sees each record once: a line repeated by a union merge is one record.
  const pass: Pass = async (visit) => {
    const firstCopy = firstCopies();
    if (scan === undefined) {
      // The first pass finds the lines that hold no record, and which torn ones to look for.
      scan = await scanRecordFile(path, (entry) => {
        lastLine = entry.line;
        checksums.push(checksumOf(entry.record));
        if (firstCopy(entry.record)) void visit(entry);
      });
      torn = tornRunKeys(scan);
      return;
    }
    let seen = 0;
    let visitFailed = false;
    try {
      for await (const batch of readRecordBatches(path)) {
        for (const event of batch) {
          if (event.kind !== "record" || event.line > lastLine) continue;
          if (checksumOf(event.record) !== checksums[seen++]) throw replacedFile(path, event.line);
          if (!firstCopy(event.record)) continue;
          const { record, line } = event;
          if (torn.size > 0) {
            const key = `${record.AgentName}\n${record.RunTimestamp}`;
            if (torn.has(key)) recorded.add(key);
          }
          try {
            await visit({ line, record });
          } catch (error) {
            visitFailed = true;
            throw error;
          }
        }
      }
    } catch (error) {
      // A visit's throw (a caller's isBaseline) is its own: the file was read all right.
      if (visitFailed || error instanceof InputError) throw error;
      throw new InputError(`${path}: cannot read: ${(error as Error).message.split("\n")[0]}`, {
        path,
      });
    }
    if (seen !== checksums.length) throw replacedFile(path, lastLine);
  };
  const weighed = await weigh(pass);
  // Every record was seen again after the first pass: each torn line's run was looked for.
  const problems = settleLineProblems(scan!, (agent, start) => recorded.has(`${agent}\n${start}`));
  return { ...problems, ...weighed };
}

/** Everything of a {@linkcode StaleHistory} but the lines that hold no record. */
async function weigh(
  pass: Pass,
  rules: HistoryRules,
  prune: boolean,
): Promise<Omit<StaleHistory, keyof Omit<FolderRecords, "records">>> {
  const { annotations, ambiguous, deliverableIds, firstLines, first } = await annotationPasses(
    pass,
    prune,
  );
  const copiedFrom = rules.copiedFrom(new Set(deliverableIds.keys()), first?.record);
  const isBaseline = rules.isBaseline(annotations);
  const isRun = (record: RunRecord) =>
    record.AgentName !== ANNOTATOR && !copiedFrom.has(record.DeliverableID);
  // Pass 3: each agent's runs counted, and its baseline.
  const agents = new Map<string, AgentRuns>();
  const baselines = new Map<string, Entry>();
  // The spans of the good runs whose outputs are on disk as they recorded them: a check compares
  // such a run's inputs too (stale.ts, sinceOutputWriters), and asks which runs overlapped it.
  const outputRunSpans: Span[] = [];
  await pass((entry) => {
    const { record } = entry;
    if (!isRun(record)) return;
    const agent = record.AgentName;
    let runs = agents.get(agent);
    if (runs === undefined) {
      runs = { count: 0, statuses: new Map(), annotatedOut: 0, allInvalidated: true, lastLine: 0 };
      agents.set(agent, runs);
    }
    runs.count++;
    runs.statuses.set(record.RunStatus, (runs.statuses.get(record.RunStatus) ?? 0) + 1);
    runs.lastLine = entry.line;
    const baseline = isBaseline(record);
    const good = record.RunStatus === "SUCCESS" || record.RunStatus === "PARTIAL";
    if (good && !baseline) runs.annotatedOut++;
    const invalidated = annotationsFor(annotations, record).some((a) => a.kind === "invalidated");
    if (!invalidated) runs.allInvalidated = false;
    const best = baselines.get(agent);
    if (baseline && (best === undefined || rules.laterThan(record, best.record))) {
      baselines.set(agent, entry);
    }
    // A superseded run's output on disk is compared too (oracle-41 F1). Only then is there
    // anything to wait for: a history read whole is weighed without an await a record.
    if (!(prune && good && !invalidated)) return;
    return rules.holdsNoFileNow(record).then((none) => {
      if (!none) outputRunSpans.push([rules.startMs(record), rules.endMs(record)]);
    });
  });
  // Pass 4: what the rules look at. A short history is held whole.
  const records: Entry[] = [];
  if (!prune) {
    await pass((entry) => void records.push(entry));
    return { records, annotations, ambiguous, deliverableIds, copiedFrom, agents, firstLines };
  }
  const clockNoted = new Set<string>();
  const overlapsWeighedRun = overlapsAny([
    ...outputRunSpans,
    ...[...baselines.values()].map((
      { record },
    ): Span => [rules.startMs(record), rules.endMs(record)]),
  ]);
  await pass(async (entry) => {
    // The first record says whose the folder is when neither its name nor _CONTEXT.md does.
    if (entry.line === first!.line || await kept(entry)) records.push(entry);
  });
  return { records, annotations, ambiguous, deliverableIds, copiedFrom, agents, firstLines };

  async function kept({ line, record }: Entry): Promise<boolean> {
    if (record.AgentName === ANNOTATOR) return true;
    const chosen = isRun(record) ? baselines.get(record.AgentName) : undefined;
    if (chosen !== undefined) {
      const baseline = chosen.record;
      const { laterThan, startMs, endMs } = rules;
      // Not before it, tied with it, or overlapping it: its rules weigh these.
      if (
        chosen.line === line || !laterThan(baseline, record) ||
        startMs(record) === startMs(baseline) || endMs(record) > startMs(baseline)
      ) return true;
      // The first run after its line stamped before it (a clock set back): said in a note.
      if (
        line > chosen.line && !clockNoted.has(record.AgentName) && isBaseline(record) &&
        rules.writtenBefore(record, baseline)
      ) {
        clockNoted.add(record.AgentName);
        return true;
      }
    }
    // Any run that overlapped a run whose inputs are compared may have recorded the same bytes of
    // a file that run read and wrote: whose write they are cannot be told (stale.ts,
    // writtenMeanwhile).
    if (overlapsWeighedRun(rules.startMs(record), rules.endMs(record))) return true;
    return !await rules.holdsNoFileNow(record);
  }
}

/** A run's start and end, in ms. */
type Span = [from: number, to: number];

/**
 * Whether a run from `start` to `end` overlaps any of `spans` (`start < to && from < end`), each
 * asked in log time: a history may hold thousands of runs whose outputs are on disk.
 */
function overlapsAny(spans: Span[]): (start: number, end: number) => boolean {
  spans.sort(([a], [b]) => a - b);
  // The latest end among the spans up to each one: those starting before `end` reach past
  // `start` when the latest of them does.
  const latestEnd: number[] = [];
  for (const [, to] of spans) latestEnd.push(Math.max(to, latestEnd.at(-1) ?? -Infinity));
  return (start, end) => {
    let [low, high] = [0, spans.length]; // the spans starting before `end`: [0, low)
    while (low < high) {
      const mid = (low + high) >> 1;
      if (spans[mid][0] < end) low = mid + 1;
      else high = mid;
    }
    return low > 0 && latestEnd[low - 1] > start;
  };
}

/** What the first passes over a record file find: its annotations and whom its records name. */
export interface AnnotationPasses {
  /** The annotations of the whole file (`annotationsIn`). */
  annotations: Map<string, Annotation[]>;
  /** `ambiguousAnnotations` of the whole file. */
  ambiguous: string[];
  /** How many records name each DeliverableID. */
  deliverableIds: Map<string, number>;
  /** The line of each AgentName's first record. */
  firstLines: Map<string, number>;
  /** The first record. */
  first: Entry | undefined;
}

/**
 * The annotations of a record file and the DeliverableIDs its records name, by one `pass` (two
 * when anything annotates and `prune`: the second keeps only the runs annotations name).
 *
 * @example
 * ```ts
 * import { annotationPasses, type Pass } from "./stale_history.ts";
 * declare const pass: Pass;
 * const { annotations } = await annotationPasses(pass, true);
 * console.log(annotations.size);
 * ```
 */
export async function annotationPasses(pass: Pass, prune: boolean): Promise<AnnotationPasses> {
  // Pass 1: the DeliverableIDs, each name's first line, and what annotations say.
  const deliverableIds = new Map<string, number>();
  const firstLines = new Map<string, number>();
  const statements: AnnotationSource[] = [];
  const named = new Set<string>();
  let first: Entry | undefined;
  await pass(({ line, record }) => {
    first ??= { line, record };
    deliverableIds.set(record.DeliverableID, (deliverableIds.get(record.DeliverableID) ?? 0) + 1);
    if (!firstLines.has(record.AgentName)) firstLines.set(record.AgentName, line);
    const ids = runIdsNamedBy(record);
    if (ids === undefined) return;
    statements.push(record);
    for (const id of ids) named.add(id);
  });
  // Pass 2 (when anything annotates): the sources annotationsIn reads, of the RunIDs named.
  let sources: AnnotationSource[] = statements;
  if (prune && statements.length > 0) {
    sources = [];
    await pass(({ record }) => {
      if (runIdsNamedBy(record) !== undefined || named.has(record.RunID)) {
        sources.push(annotationSource(record));
      }
    });
  } else if (!prune) {
    sources = [];
    await pass(({ record }) => void sources.push(record));
  }
  const annotations = annotationsIn(sources);
  const ambiguous = ambiguousAnnotations(sources);
  return { annotations, ambiguous, deliverableIds, firstLines, first };
}
