/**
 * The runs of {@linkcode collectRuns}, in its order, without holding them
 * (mem-38 F2): a first read keeps where each run is and its start time (a few
 * numbers), what annotations say, and which RunIDs name several records;
 * the runs are read again, in order, as they are exported, or one by one
 * from where they are (PROV-JSON's activities, in their ids' order).
 *
 * @module
 */
import {
  ambiguousAnnotations,
  annotationsFor,
  annotationsIn,
  type AnnotationSource,
  annotationSource,
  isAnnotation,
  runIdsNamedBy,
} from "../annotations.ts";
import { type ListedRecord, Listing, recordsInOrder } from "../cli/log_listing.ts";
import { extraFields } from "../cli/record_json.ts";
import { readFailure, replacedFile } from "../errors.ts";
import { describeLineProblem } from "../messages.ts";
import { firstCopies, readRecordAt, readRecords, type RecordPlace } from "../reader.ts";
import { refuseOtherFiles, resolveTargets } from "../targets.ts";
import { formerKeys } from "../record_limits.ts";
import { parseDuration, parseInstant } from "../time.ts";
import {
  type CollectOptions,
  compareAnnotations,
  compareRuns,
  compareText,
  type ExportedRun,
  namespaceWarnings,
  placeOf,
  type RunPlace,
} from "./runs.ts";

/** A record file whose runs are exported: where they are named from, what annotates them. */
interface ExportedFile extends RunPlace {
  path: string;
  annotations: ReturnType<typeof annotationsIn>;
  /** The RunIDs that name several records of the file: their run names take the checksum. */
  collided: Set<string>;
}

/** Where a run is: its file (an index into the export's files), and its place there. */
export interface RunAt extends RecordPlace {
  file: number;
}

/** The runs of an export, to be read in order. */
export interface StreamedRuns {
  /** How many runs. */
  count: number;
  /**
   * The runs, in {@linkcode collectRuns}' order, read again from their files; at the end, the
   * warnings about run names repeated across files and about a namespace spanning roots.
   */
  runs(): AsyncGenerator<ExportedRun>;
  /** The runs of `runs()`, each with where it is; the warnings only when `warn` is true. */
  placedRuns(warn: boolean): AsyncGenerator<{ run: ExportedRun; at: RunAt }>;
  /**
   * The run at `at`, read again (out of order). The caller checks it is the run it placed there:
   * a record file replaced since holds another. Throws an `InputError` naming the file and line
   * when the line holds no record.
   */
  runAt(at: RunAt): ExportedRun;
}

/**
 * {@linkcode collectRuns} for an export of any size: the same runs, in the same order, with the
 * same warnings (those about run names repeated across files come after the runs, when they are
 * known), never all held. `options.unreadable` is required.
 *
 * @example
 * ```ts
 * import { streamRuns } from "./streamed_runs.ts";
 * const streamed = await streamRuns(["examples/"], { warn: console.error, unreadable: console.error });
 * for await (const run of streamed.runs()) console.log(run.record.RunID);
 * ```
 */
export async function streamRuns(
  targets: readonly string[],
  options: CollectOptions & { unreadable(message: string): void },
): Promise<StreamedRuns> {
  const listing = new Listing("time", undefined);
  const exported: ExportedFile[] = [];
  const executionRoots = new Map<string, string | undefined>();
  // Hashes of namespace and RunID, counted: the run names two files may share are among those
  // counted twice, found for sure as the runs are read again.
  const names = new HashCounts();
  const files = await resolveTargets(targets, { keepUnreadable: true });
  await refuseOtherFiles(files);
  for (const file of files) {
    if (!file.exists) continue;
    if (file.unreadable !== undefined) {
      options.unreadable(`${file.path}: cannot read: ${file.unreadable}`);
      continue;
    }
    const place = await placeOf(file.path, executionRoots, options.namespace);
    const at = exported.length;
    const read = await firstRead(file.path, at, listing, options.warn).catch((e) => {
      options.unreadable(`${file.path}: cannot read: ${readFailure(e)}`);
      return undefined;
    });
    if (read === undefined) continue;
    const { sources, lines } = read.named.size > 0 || read.repeated.size > 0
      ? await secondRead(file.path, read)
      : { sources: [], lines: new Map<string, number[]>() };
    for (const line of ambiguousAnnotations(sources)) options.warn(`${file.path}: ${line}`);
    const collided = new Set<string>();
    for (const [runId, at] of lines) {
      if (at.length < 2) continue;
      collided.add(runId);
      options.warn(
        `${runId} names ${at.length} records in ${file.path} (lines ${at.join(", ")}: a RunID ` +
          "collision, see runrec verify); each runId is made from its RunID and RecordChecksum",
      );
    }
    for (const hash of read.runNames) names.add(nameHash(place.namespace, hash));
    exported.push({ ...place, path: file.path, annotations: annotationsIn(sources), collided });
  }
  const places = listing.places();
  const quiet = { ...options, warn: () => {} };
  return {
    count: places.lines.length,
    async *runs() {
      for await (const { run } of runsInOrder(exported, places, names, options)) yield run;
    },
    placedRuns: (warn) => runsInOrder(exported, places, names, warn ? options : quiet),
    runAt: (at) => runAt(exported[at.file], at),
  };
}

/** The run at `at` of `file`, read again. */
function runAt(file: ExportedFile, at: RecordPlace): ExportedRun {
  const event = readRecordAt(file.path, at);
  if (event?.kind !== "record") throw replacedFile(file.path, at.line);
  return exportedRun(file, { ...event, file: file.path });
}

/** What the first read of a file keeps. */
interface FirstRead {
  /** The RunIDs annotations name. */
  named: Set<string>;
  /** Hashes of RunIDs met twice or more (their records are read again to tell which). */
  repeated: ReadonlySet<number>;
  /** The hash of each run's RunID (not of annotations), for the names repeated across files. */
  runNames: Int32Array;
  /** The last line read: the second read stops there. */
  lastLine: number;
}

/** Reads `path`, warning of each line that cannot be read, each run's place added to `listing`. */
async function firstRead(
  path: string,
  file: number,
  listing: Listing,
  warn: (message: string) => void,
): Promise<FirstRead> {
  const named = new Set<string>();
  const counts = new HashCounts();
  const runNames: number[] = [];
  const firstCopy = firstCopies();
  let lastLine = 0;
  for await (const event of readRecords(path)) {
    lastLine = event.line;
    if (event.kind === "problem") {
      warn(`${path}:${event.line}: ${describeLineProblem(event)}`);
      continue;
    }
    const { record } = event;
    if (!firstCopy(record)) continue;
    for (const runId of runIdsNamedBy(record) ?? []) named.add(runId);
    const hash = textHash(record.RunID);
    counts.add(hash);
    if (isAnnotation(record)) continue;
    runNames.push(hash);
    listing.add(file, event);
  }
  return { named, repeated: counts.repeated(), runNames: Int32Array.from(runNames), lastLine };
}

/**
 * Reads `path` again up to where the first read ended, for the annotation sources
 * `annotationsIn` weighs (./annotations.ts `runIdsNamedBy`) and the lines of each RunID whose
 * hash was met twice, in file order.
 */
async function secondRead(
  path: string,
  first: FirstRead,
): Promise<{ sources: AnnotationSource[]; lines: Map<string, number[]> }> {
  const sources: AnnotationSource[] = [];
  const lines = new Map<string, number[]>();
  const firstCopy = firstCopies();
  for await (const event of readRecords(path)) {
    if (event.line > first.lastLine) break;
    if (event.kind !== "record" || !firstCopy(event.record)) continue;
    const { record } = event;
    // A record a put-back renumbered too: an annotation naming it as it was links to it.
    if (
      first.named.has(record.RunID) || runIdsNamedBy(record) !== undefined ||
      formerKeys(record).length > 0
    ) {
      sources.push(annotationSource(record));
    }
    if (first.repeated.has(textHash(record.RunID))) {
      lines.set(record.RunID, [...(lines.get(record.RunID) ?? []), event.line]);
    }
  }
  return { sources, lines };
}

/**
 * The runs at `places`, read again, in collectRuns' order: by start time (the places' order),
 * then, among runs of one instant, by {@linkcode compareRuns}.
 */
async function* runsInOrder(
  files: readonly ExportedFile[],
  places: ReturnType<Listing["places"]>,
  names: HashCounts,
  options: CollectOptions,
): AsyncGenerator<{ run: ExportedRun; at: RunAt }> {
  const repeated = names.repeated();
  // The runs of a name counted twice: `namespace\nrunName` → their files and lines, in pairs. Only
  // numbers: a RunID read is a slice of its line, and would hold the line (a copied folder's
  // every run).
  const shared = new Map<string, number[]>();
  const paths = files.map((f) => f.path);
  const indexOf = new Map(paths.map((path, i) => [path, i]));
  let instant: { run: ExportedRun; at: RunAt }[] = [];
  const byRun = (a: { run: ExportedRun }, b: { run: ExportedRun }) => compareRuns(a.run, b.run);
  for await (const listed of recordsInOrder(paths, places)) {
    const fileIndex = indexOf.get(listed.file)!;
    const run = exportedRun(files[fileIndex], listed);
    const { line, offset, header } = listed;
    if (repeated.has(nameHash(run.namespace, textHash(run.record.RunID)))) {
      const key = `${run.namespace}\n${run.runName}`;
      const at = shared.get(key);
      if (at === undefined) shared.set(key, [fileIndex, run.line]);
      else at.push(fileIndex, run.line);
    }
    if (instant.length > 0 && instant[0].run.startMs !== run.startMs) {
      yield* instant.sort(byRun);
      instant = [];
    }
    instant.push({ run, at: { file: fileIndex, line, offset, header } });
  }
  yield* instant.sort(byRun);
  warnShared(shared, paths, options.warn);
  const withRuns = new Set(places.files);
  const bases = [...new Set(files.filter((_, i) => withRuns.has(i)).map((f) => f.base))]
    .sort(compareText);
  for (const warning of namespaceWarnings(bases, options.namespace)) options.warn(warning);
}

/** The run of a record read again. */
function exportedRun(file: ExportedFile, listed: ListedRecord): ExportedRun {
  const { record } = listed;
  // A valid record has both; `?? 0` only satisfies the type checker.
  const startMs = parseInstant(record.RunTimestamp) ?? 0;
  return {
    record,
    namespace: file.namespace,
    base: file.base,
    folder: file.folder,
    file: file.path,
    line: listed.line,
    runName: file.collided.has(record.RunID)
      ? `${record.RunID}/${record.RecordChecksum}`
      : record.RunID,
    startMs,
    endMs: startMs + (parseDuration(record.RunDuration) ?? 0),
    annotations: annotationsFor(file.annotations, record).sort(compareAnnotations),
    extras: extraFields(listed),
  };
}

/**
 * Warns of each run name two runs share in one namespace, in file order, as collectRuns does.
 * `shared`: each `namespace\nrunName` with its runs' files and lines, in pairs.
 */
function warnShared(
  shared: Map<string, number[]>,
  paths: readonly string[],
  warn: (message: string) => void,
): void {
  const byFile = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];
  const pairs = (at: number[]) =>
    Array.from({ length: at.length / 2 }, (_, i): [number, number] => [at[2 * i], at[2 * i + 1]]);
  const lists = [...shared.entries()].filter(([, at]) => at.length > 2)
    .map(([key, at]) => [key, pairs(at).sort(byFile)] as const)
    .sort(([, a], [, b]) => byFile(a[0], b[0]));
  for (const [key, at] of lists) {
    const where = at.map(([file, line]) => `${paths[file]}:${line}`).join(", ");
    const [namespace, runName] = [
      key.slice(0, key.indexOf("\n")),
      key.slice(key.indexOf("\n") + 1),
    ];
    // A run name is its RunID, or RunID/RecordChecksum for a RunID two records of a file share.
    const runId = runName.split("/")[0];
    warn(
      `${runId} appears ${at.length} times in namespace ${JSON.stringify(namespace)} ` +
        `(${where}); they share one run id (see runrec verify)`,
    );
  }
}

/**
 * 32-bit hashes (never 0), each told apart as met once or more: a table of numbers, so a million
 * take 8 MB, not a map's 60.
 */
class HashCounts {
  #table = new Int32Array(1024);
  #size = 0;
  #twice = new Set<number>();

  add(hash: number): void {
    const slot = this.#slot(hash);
    if (this.#table[slot] === hash) {
      this.#twice.add(hash);
      return;
    }
    this.#table[slot] = hash;
    // At most half the slots in use: probes stay short.
    if (++this.#size * 2 > this.#table.length) this.#grow();
  }

  /** The hashes added twice or more. */
  repeated(): ReadonlySet<number> {
    return this.#twice;
  }

  /** The slot holding `hash`, else the empty one where it goes. */
  #slot(hash: number): number {
    const mask = this.#table.length - 1;
    let slot = hash & mask;
    while (this.#table[slot] !== 0 && this.#table[slot] !== hash) slot = (slot + 1) & mask;
    return slot;
  }

  #grow(): void {
    const old = this.#table;
    this.#table = new Int32Array(old.length * 2);
    for (const hash of old) if (hash !== 0) this.#table[this.#slot(hash)] = hash;
  }
}

/** FNV-1a of `text`'s UTF-16 code units, as a signed 32-bit number other than 0. */
function textHash(text: string, hash = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash | 0) || 1;
}

/** The hash of a namespace and a RunID's hash: runs of one RunID in two namespaces differ. */
function nameHash(namespace: string, runIdHash: number): number {
  return textHash(namespace, runIdHash);
}
