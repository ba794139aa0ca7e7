/**
 * Propagation of staleness (`runrec stale --propagate`, K-STALE-1): the
 * ACTIVE `Dependencies.csv` rows of each execution root as a graph, and the
 * consumers of DIRTY deliverables (and of producers that ran since) marked
 * STALE with the chain of edges that made them so; cycles reported, never
 * looped on.
 *
 * @module
 */
import {
  type Annotation,
  annotationsFor,
  annotationsIn,
  ANNOTATOR,
  isUsableBaseline,
} from "./annotations.ts";
import { isInside, join, resolve } from "./path.ts";
import { deliverableId, findExecutionRoot, RECORD_FILE, shownPath } from "./deliverable.ts";
import { DEPENDENCIES_FILE, type DependencyEdge, readDependencies } from "./dependencies.ts";
import { InputError, OptionError } from "./errors.ts";
import { type FolderRecords, readRecordFile } from "./folder_records.ts";
import { annotationPasses, type Pass, readInPasses, streamed } from "./stale_history.ts";
import { miscasedRootAbove, miscasedRootMarkerReason } from "./other_case.ts";
import { memoLookups, resolvedPath } from "./lookups.ts";
import { sortUtf8 } from "./manifest.ts";
import { elementaryCycles } from "./cycles.ts";
import { type RunRecord, SHA256_PATTERN } from "./schema.ts";
import { readLifecycleState } from "./status.ts";
import { deliverableFolders, SILENT_SEARCH } from "./targets.ts";
import { saysItChangedNothing } from "./snapshot.ts";
import type {
  RunRef,
  StaleCheck,
  StaleDeliverable,
  StaleReason,
  StaleReport,
} from "./stale_report.ts";
import {
  endedLater,
  endMs,
  isSuccessOrPartial,
  lastEnded,
  laterThan,
  latest,
  overlapping,
  pickBaseline,
  startMs,
} from "./run_order.ts";
import { lineNumbers } from "./messages.ts";
import { copySources } from "./copy_sources.ts";

/** The runs of a deliverable folder that propagation weighs, of any agent, in file order. */
interface PropagationRuns {
  /** Those that may be a baseline: SUCCESS or PARTIAL, not invalidated or superseded. */
  good: FolderRecords["records"];
  /** SUCCESS or PARTIAL runs an annotation invalidated, each with that annotation. */
  invalidated: { record: RunRecord; line: number; annotation: Annotation }[];
  /** SUCCESS or PARTIAL runs a later run superseded (and none invalidated). */
  superseded: FolderRecords["records"];
  /** The lines of the record file that could not be read: each may be a run, or an annotation. */
  unreadableLines: number[];
  /**
   * Of a long history, whose good runs are not all kept: whether a good run that did not overlap
   * the invalidated run `run` wrote `hash` to `path` (by real path), which {@linkcode mayHaveRead}
   * asks. Of a short one, asked of `good`.
   */
  vouched?: (run: RunRecord, path: string, hash: string) => boolean;
}

/** What propagation asks of a deliverable's runs that only the graph tells. */
interface GraphPlaces {
  /** A run's recorded files by real path. */
  byRealPath: (hashes: Record<string, string>) => FilesByRealPath;
  /** The real folders of the deliverable's producers. */
  producers: string[];
}

/**
 * The runs of a deliverable folder propagation weighs; none if unreadable. A long history
 * (`streamed.fromBytes` up) is read in passes that keep only the runs propagation asks of.
 */
async function propagationRuns(
  folder: string,
  id: string,
  places: GraphPlaces,
): Promise<PropagationRuns> {
  const path = join(folder, RECORD_FILE);
  let read: FolderRecords;
  try {
    if (Deno.statSync(path).size >= streamed.fromBytes) {
      return await readInPasses(path, (pass) => keptPropagationRuns(pass, folder, id, places));
    }
    read = await readRecordFile(path);
  } catch {
    // No record file, or one the checks name already.
    return { good: [], invalidated: [], superseded: [], unreadableLines: [] };
  }
  const annotations = annotationsIn(read.records.map((e) => e.record));
  // As the checks do: records copied with the folder from another deliverable do not count.
  const named = new Set(read.records.map((e) => e.record.DeliverableID));
  const copied = copySources(resolve(folder), id, named);
  const own = read.records.filter(({ record: r }) =>
    !copied.has(r.DeliverableID) && r.AgentName !== ANNOTATOR
  );
  const invalidated = own.flatMap(({ record, line }) => {
    const annotation = annotationsFor(annotations, record).find((a) => a.kind === "invalidated");
    return annotation !== undefined && isSuccessOrPartial(record)
      ? [{ record, line, annotation }]
      : [];
  });
  const good = own.filter(({ record }) => isUsableBaseline(record, annotations));
  const superseded = own.filter((entry) =>
    isSuccessOrPartial(entry.record) && !good.includes(entry) &&
    !invalidated.some(({ record }) => record === entry.record)
  );
  return { good, invalidated, superseded, unreadableLines: read.unreadableLines };
}

/** An entry of a history with its place in {@linkcode PropagationRuns}' lists: good first. */
type Ranked = FolderRecords["records"][number] & { rank: number };

/**
 * The runs of {@linkcode PropagationRuns} that propagation's answers depend on, by passes over a
 * long history (propmem-40 F1): every invalidated run; as a consumer, each output's last writer,
 * the latest good run, each agent's latest run that read each producer and latest good run that
 * read each of its files; as a producer, the good run that ended last, of all, of those that
 * wrote each file and of those whose writes are not known, and, after each invalidated run, the
 * first good run to end (of all, and of those that wrote each of its files), with the bytes good
 * runs that did not overlap it wrote to its files. Each answer is a latest or first of these, or
 * whether one exists: the same of what is kept as of every run (ties broken as the lists' order
 * breaks them).
 */
async function keptPropagationRuns(
  pass: Pass,
  folder: string,
  id: string,
  places: GraphPlaces,
): Promise<Omit<PropagationRuns, "unreadableLines">> {
  const { annotations, deliverableIds } = await annotationPasses(pass, true);
  const copied = copySources(resolve(folder), id, new Set(deliverableIds.keys()));
  const invalidatedBy = (record: RunRecord) =>
    annotationsFor(annotations, record).find((a) => a.kind === "invalidated");
  // Its list: 0 good, 1 superseded, 2 invalidated; none when it is none of them.
  const rankOf = (record: RunRecord): number | undefined => {
    if (copied.has(record.DeliverableID) || record.AgentName === ANNOTATOR) return undefined;
    if (!isSuccessOrPartial(record)) return undefined;
    if (invalidatedBy(record) !== undefined) return 2;
    return isUsableBaseline(record, annotations) ? 0 : 1;
  };
  // The first of the latest, in the lists' order (good, superseded, invalidated; each in file
  // order), as a loop over them keeps it.
  const latestOf = (
    kept: Map<string, Ranked>,
    key: string,
    entry: Ranked,
    later: (a: RunRecord, b: RunRecord) => boolean,
  ) => {
    const best = kept.get(key);
    if (
      best === undefined || later(entry.record, best.record) ||
      (!later(best.record, entry.record) && entry.rank < best.rank)
    ) kept.set(key, entry);
  };
  const lastWriters = new Map<string, Ranked>();
  const latestReaders = new Map<string, Ranked>(); // by producer and agent
  const lastReaders = new Map<string, Ranked>(); // good ones, by agent and file
  const latestGood = new Map<string, Ranked>();
  const lastEndedWriters = new Map<string, Ranked>(); // good ones, by file ("" all of them)
  const invalidated: PropagationRuns["invalidated"] = [];
  await pass(({ line, record }) => {
    const rank = rankOf(record);
    if (rank === undefined) return;
    const entry = { line, record, rank };
    const wrote = places.byRealPath(record.OutputHashes);
    for (const path of wrote.keys()) latestOf(lastWriters, path, entry, laterThan);
    if (rank === 2) {
      invalidated.push({ line, record, annotation: invalidatedBy(record)! });
      return;
    }
    const read = [...places.byRealPath(record.InputHashes).keys()];
    for (const producer of places.producers) {
      if (!read.some((path) => isInside(path, producer))) continue;
      latestOf(latestReaders, `${producer}\n${record.AgentName}`, entry, laterThan);
    }
    if (rank === 1) return;
    for (const path of read) {
      if (!places.producers.some((producer) => isInside(path, producer))) continue;
      latestOf(lastReaders, `${record.AgentName}\n${path}`, entry, laterThan);
    }
    latestOf(latestGood, "", entry, laterThan);
    latestOf(lastEndedWriters, "", entry, endedLater);
    // What it wrote is not known (changedWhatItRead): keyed apart from any path.
    if (wrote.size === 0 && !saysItChangedNothing(record.Notes)) {
      latestOf(lastEndedWriters, "\n", entry, endedLater);
    }
    for (const path of wrote.keys()) latestOf(lastEndedWriters, path, entry, endedLater);
  });
  const kept = [
    lastWriters,
    latestReaders,
    lastReaders,
    latestGood,
    lastEndedWriters,
  ].flatMap((found) => [...found.values()]);
  const vouchers = invalidated.length === 0
    ? undefined
    : await afterInvalidated(pass, invalidated, places, kept);
  const unique = [...new Set(kept)].sort((a, b) => a.line - b.line);
  const entries = (rank: number) =>
    unique.filter((entry) => entry.rank === rank).map(({ line, record }) => ({ line, record }));
  return {
    good: entries(0),
    superseded: entries(1),
    invalidated,
    ...vouchers === undefined ? {} : {
      vouched: (run, path, hash) => vouchers.get(run)?.get(path)?.has(hash) ?? false,
    },
  };

  /**
   * One more pass for {@linkcode mayHaveRead}: of the good runs that ended after each
   * invalidated run, the first to end (of all, and of those that wrote each of its files), pushed
   * to `kept`; and the bytes that good runs not overlapping it wrote to its files.
   */
  async function afterInvalidated(
    pass: Pass,
    runs: PropagationRuns["invalidated"],
    places: GraphPlaces,
    kept: Ranked[],
  ): Promise<Map<RunRecord, Map<string, Set<string>>>> {
    const wroteBy = runs.map(({ record }) => places.byRealPath(record.OutputHashes));
    const firstEnded = runs.map(() => new Map<string, Ranked>()); // by file ("" all of them)
    const vouchers = new Map(runs.map(({ record }) => [record, new Map<string, Set<string>>()]));
    const endedFirst = (a: RunRecord, b: RunRecord) => endMs(a) < endMs(b);
    await pass(({ line, record }) => {
      if (rankOf(record) !== 0) return;
      const entry = { line, record, rank: 0 };
      const wrote = places.byRealPath(record.OutputHashes);
      runs.forEach(({ record: run }, i) => {
        const ended = endMs(record) > endMs(run);
        if (ended) latestOf(firstEnded[i], "", entry, endedFirst);
        const bytes = vouchers.get(run)!;
        for (const [path, hash] of wrote) {
          if (!wroteBy[i].has(path)) continue;
          if (ended) latestOf(firstEnded[i], path, entry, endedFirst);
          if (overlapping(record, run)) continue;
          if (!bytes.has(path)) bytes.set(path, new Set());
          bytes.get(path)!.add(hash);
        }
      });
    });
    for (const found of firstEnded) kept.push(...found.values());
    return vouchers;
  }
}

/**
 * The ACTIVE dependencies of one execution root (or target without one), and where each deliverable
 * is: what {@linkcode readGraphs} reads.
 */
export interface DependencyGraph {
  /** Whether a deliverable folder (as given or shown) belongs to this root. */
  has: (folder: string) => boolean;
  /** Each deliverable's folder, as shown, by ID. */
  folderOf: Map<string, string>;
  /** The edges from each producer, one per consumer. */
  consumersOf: Map<string, DependencyEdge[]>;
  /** The producers of each consumer. */
  producersOf: Map<string, string[]>;
  /** Deliverables a row says depend on themselves: cycles of one, not followed. */
  selfEdges: Set<string>;
}

/**
 * Reads every `Dependencies.csv` of the execution roots of `folders` (or,
 * without one, beneath the target): one graph per root, a root nested in
 * another (an archived copy of the project) being its own. Pushes to
 * `warnings` what cannot be followed: a row naming a deliverable no folder
 * of its root has is one.
 *
 * @throws {InputError} when a row names an ID two folders of one root have:
 * which one it means cannot be told.
 *
 * @example
 * ```ts
 * import { readGraphs } from "./stale_propagation.ts";
 * const warnings: string[] = [];
 * const [graph] = readGraphs(["examples"], ["examples/DEL-01-02_X"], warnings);
 * graph?.consumersOf.size; // the producers with ACTIVE rows
 * ```
 */
export function readGraphs(
  targets: readonly string[],
  folders: readonly string[],
  warnings: string[],
): DependencyGraph[] {
  // Consumers may live anywhere in the execution root, not only under the targets.
  const roots = new Set<string>();
  // The real folders: a link to a deliverable (or root) leads to the graph the folder is in.
  for (const folder of folders) {
    const root = findExecutionRoot(realOf(folder));
    if (root !== undefined) roots.add(root);
  }
  const places = [...roots];
  const bare: string[] = []; // targets with no execution root above them
  for (const target of targets) {
    if (!places.some((r) => isInside(realOf(target), r))) {
      // One in other case is a root elsewhere: the consumers followed would differ (exit 2).
      const marker = miscasedRootAbove(realOf(target));
      if (marker) throw new InputError(`${marker}: ${miscasedRootMarkerReason(marker)}`);
      warnings.push(
        `${target}: no execution root (INIT.md or _Decomposition/) above it: only the deliverables under it are followed`,
      );
      places.push(realOf(target));
      bare.push(realOf(target));
    }
  }
  // The place a folder belongs to: its nearest execution root, else the nearest bare target.
  const placeOf = (folder: string): string | undefined => {
    const abs = realOf(folder);
    const within = bare.filter((t) => isInside(abs, t)).sort((a, b) => b.length - a.length);
    return findExecutionRoot(abs) ?? within[0];
  };
  const graphs: DependencyGraph[] = [];
  for (const place of places) {
    // A folder that cannot be listed is named already, when under a target; else its
    // registers are out of reach: said once.
    const unlistable = (dir: string) => {
      const warning = `${dir}: cannot list folder: its Dependencies.csv registers not followed`;
      if (!warnings.some((w) => w.startsWith(`${dir}: cannot list folder`))) {
        warnings.push(warning);
      }
    };
    const foldersOf = new Map<string, string[]>();
    const edges: DependencyEdge[] = [];
    // Its tool roots are named by the search of the targets beneath it, if any: not here. Their
    // deliverables (retired to `_Archive/`) stand for IDs no live folder has (below).
    const toolRoots: string[] = [];
    const skippedToolRoot = (folder: string) => toolRoots.push(folder);
    const listings = new Map<string, readonly Deno.DirEntry[]>();
    const listed = (dir: string, entries: readonly Deno.DirEntry[]) => listings.set(dir, entries);
    for (const folder of deliverableFolders(place, { unlistable, skippedToolRoot, listed })) {
      if (placeOf(folder) !== place) continue; // a nested execution root's: its own graph
      const shown = shownPath(folder);
      try {
        const id = deliverableId(folder).id;
        foldersOf.set(id, [...foldersOf.get(id) ?? [], shown]);
      } catch { /* no ID: its register still counts */ }
      const names = listings.get(folder)?.map((entry) => entry.name);
      const register = readDependencies(join(shown, DEPENDENCIES_FILE), names);
      warnings.push(...register.warnings);
      edges.push(...register.edges);
    }
    // A producer retired and moved to `_Archive/` is the one folder of its ID there: followed as
    // one retired in place is (its own last run still counts: propagate-sweep F8). Registers
    // there are not read: an archived deliverable consumes nothing any more.
    const archived = new Map<string, string[]>();
    for (const toolRoot of toolRoots) {
      for (const folder of deliverableFolders(toolRoot, SILENT_SEARCH)) {
        try {
          const id = deliverableId(folder).id;
          if (!foldersOf.has(id)) archived.set(id, [...archived.get(id) ?? [], shownPath(folder)]);
        } catch { /* no ID: nothing to stand for */ }
      }
    }
    for (const [id, list] of archived) if (list.length === 1) foldersOf.set(id, list);
    const folderOf = new Map([...foldersOf].map(([id, list]) => [id, list[0]]));
    const consumersOf = new Map<string, DependencyEdge[]>();
    const producersOf = new Map<string, string[]>();
    const selfEdges = new Set<string>();
    for (const edge of edges) {
      // With an execution root read whole, a deliverable no folder has is a row to fix; beneath a
      // target with no root above it, one the target does not hold is not followed, as its
      // warning says (propagate-sweep F6).
      const missing = [edge.consumer, edge.producer].find((id) => !folderOf.has(id));
      if (missing !== undefined) {
        const target = edge.direction === "UPSTREAM" ? edge.producer : edge.consumer;
        warnings.push(
          `${edge.file} line ${edge.line}: ${
            missing === target ? "TargetDeliverableID" : "FromDeliverableID"
          } ${missing} names no deliverable under ${shownPath(place)}; row not followed`,
        );
        continue;
      }
      // A deliverable consuming itself would be STALE for ever (each run "ran since" itself). One
      // no folder has is no cycle: its row is warned of above as naming none (cycle37 F4).
      if (edge.consumer === edge.producer) {
        warnings.push(
          `${edge.file} line ${edge.line}: ${edge.consumer} depends on itself (a cycle of one); ` +
            "row not followed: remove it",
        );
        selfEdges.add(edge.consumer);
        continue;
      }
      // Two folders with one ID (a backup copy beside it): whose runs count cannot be told.
      for (const id of [edge.consumer, edge.producer]) {
        const list = foldersOf.get(id) ?? [];
        if (list.length > 1) {
          throw new OptionError((name) =>
            `${edge.file} line ${edge.line}: ${id} is the ID of ${list.length} folders under ` +
            `${shownPath(place)} (${list.join(", ")}): ${name("propagate")} cannot tell which ` +
            "one this row means; move the copy out of the execution root or rename it"
          );
        }
      }
      const list = consumersOf.get(edge.producer) ?? [];
      if (list.some((e) => e.consumer === edge.consumer)) continue;
      list.push(edge);
      consumersOf.set(edge.producer, list);
      producersOf.set(edge.consumer, [...producersOf.get(edge.consumer) ?? [], edge.producer]);
    }
    // A copy of a deliverable (archived in a tool root, or its record file kept in a subfolder
    // of it) is not the node its ID names: its checks neither start staleness nor pass it on
    // (propagate-sweep F1, F2).
    const nodes = new Set([...folderOf.values()].map(realOf));
    const has = (folder: string) => {
      if (placeOf(folder) !== place) return false;
      let id: string;
      try {
        id = deliverableId(folder).id;
      } catch {
        return true; // no ID: in no row
      }
      return !folderOf.has(id) || nodes.has(realOf(folder));
    };
    graphs.push({ has, folderOf, consumersOf, producersOf, selfEdges });
  }
  return graphs;
}

/**
 * The folders of the deliverables upstream of `folders`, transitively, that are not among them.
 *
 * @example
 * ```ts
 * import { readGraphs, upstreamFolders } from "./stale_propagation.ts";
 * const [graph] = readGraphs(["examples"], [], []);
 * if (graph) upstreamFolders(graph, []); // []
 * ```
 */
export function upstreamFolders(graph: DependencyGraph, folders: readonly string[]): string[] {
  const targetIds = new Set<string>();
  for (const folder of folders) {
    try {
      targetIds.add(deliverableId(folder).id);
    } catch { /* no ID: nothing names it as a consumer */ }
  }
  const found = new Set<string>(targetIds);
  const queue = [...targetIds];
  while (queue.length > 0) {
    for (const producer of graph.producersOf.get(queue.shift()!) ?? []) {
      if (found.has(producer)) continue;
      found.add(producer);
      queue.push(producer);
    }
  }
  const given = new Set(folders.map(realOf));
  return sortUtf8(
    [...found].filter((id) => !targetIds.has(id)).map((id) => graph.folderOf.get(id))
      .filter((f): f is string => f !== undefined && !given.has(realOf(f))),
  );
}

function runRef({ record, line }: { record: RunRecord; line: number }): RunRef {
  return { RunID: record.RunID, RunTimestamp: record.RunTimestamp, line };
}

/** A run's recorded files (its inputs or its outputs) by real path, each with its hash. */
type FilesByRealPath = Map<string, string>;

/** A producer's run with what it wrote, by real path. */
type RunWrites = { record: RunRecord; wrote: FilesByRealPath };

/**
 * Whether a consumer's run `theirs` may have read what the producer's invalidated run `run` left.
 * By files where both runs name some, as a run's error reaches a consumer only through a file it
 * wrote that the consumer read: `theirs` read (`read`) a file `run` wrote (`wrote`), unless the
 * bytes it read are a good run's that did not overlap it (vouched for) or another invalidated run's (that run is named
 * instead), or, when they are not `run`'s bytes (a FAILED run's on top of them, a hand edit) or a
 * hash is missing, a good run rewrote that file between the two runs. A file a good run rewrote
 * after `theirs` began does not count when the producer `ranSince` it: that reason says it
 * (TUTORIAL). Where either names none, by times: `theirs` ended after `run` started and no good
 * run ended in between (any agent's, as what it rewrote is not known either).
 */
function mayHaveRead(
  theirs: RunRecord,
  read: FilesByRealPath,
  run: RunRecord,
  wrote: FilesByRealPath,
  producerWrites: {
    good: RunWrites[];
    invalidated: RunWrites[];
    vouched: (run: RunRecord, path: string, hash: string) => boolean;
  },
  ranSince: boolean,
): boolean {
  if (endMs(theirs) <= startMs(run)) return false; // it ended before that run began
  const { good, invalidated } = producerWrites;
  const rewroteBetween = (path?: string) =>
    good.some(({ record, wrote }) =>
      (path === undefined || wrote.has(path)) &&
      endMs(record) > endMs(run) && endMs(record) <= startMs(theirs)
    );
  if (read.size === 0 || wrote.size === 0) return !rewroteBetween();
  return [...read].some(([path, hash]) => {
    const left = wrote.get(path);
    if (left === undefined) return false;
    // Rewritten by a good run since `theirs` began: the producer's "ran since" says it.
    const rewrittenSince = (g: RunWrites) => g.wrote.has(path) && endMs(g.record) > startMs(theirs);
    if (ranSince && good.some(rewrittenSince)) return false;
    if (SHA256_PATTERN.test(hash) && SHA256_PATTERN.test(left)) {
      // A good run that overlapped `run` may hold its bytes as its own (`exec` records every file
      // changed in the folder meanwhile): it vouches for nothing of `run`'s.
      if (producerWrites.vouched(run, path, hash)) return false;
      if (hash === left) return true;
      if (invalidated.some(({ wrote }) => wrote.get(path) === hash)) return false;
    }
    return !rewroteBetween(path);
  });
}

/**
 * In one root's graph, from its `checks`: the consumers of DIRTY deliverables
 * and those whose producer ran well since they last did, STALE, each
 * transitively and with every reason; RETIRED ones apart; the cycles met
 * (warned of when there are more than are listed).
 *
 * @example
 * ```ts
 * import { propagateStaleness, readGraphs } from "./stale_propagation.ts";
 * const [graph] = readGraphs(["examples"], [], []);
 * if (graph) console.log((await propagateStaleness(graph, [])).stale); // []: nothing DIRTY
 * ```
 */
export async function propagateStaleness(
  graph: DependencyGraph,
  checks: readonly StaleCheck[],
): Promise<Pick<StaleReport, "stale" | "retired" | "cycles" | "warnings">> {
  const report: Pick<StaleReport, "stale" | "retired" | "cycles" | "warnings"> = {
    stale: [],
    retired: [],
    cycles: [],
    warnings: [],
  };
  const { folderOf, consumersOf } = graph;
  // A deliverable's check counts when it is of the folder the graph knows by its ID: not a copy
  // of its record file kept in a subfolder of it (propagate-sweep F2).
  const ofGraph = (c: StaleCheck) => {
    const folder = folderOf.get(c.deliverableId);
    return folder === undefined || resolve(folder) === resolve(c.folder);
  };
  const dirty = sortUtf8([
    ...new Set(
      checks.filter((c) => c.verdict === "DIRTY" && ofGraph(c)).map((c) => c.deliverableId),
    ),
  ]);
  const memo = <T>(of: (id: string, folder: string) => Promise<T>, none: T) => {
    const known = new Map<string, Promise<T>>();
    return (id: string): Promise<T> => {
      const folder = folderOf.get(id);
      if (folder === undefined) return Promise.resolve(none);
      if (!known.has(id)) known.set(id, of(id, folder));
      return known.get(id)!;
    };
  };
  const runsOf = memo((id, folder) =>
    propagationRuns(folder, id, {
      byRealPath: (hashes) => byRealPath(id, hashes),
      producers: (graph.producersOf.get(id) ?? []).flatMap((producer) => {
        const at = folderOf.get(producer);
        return at === undefined ? [] : [realOf(at)];
      }),
    }), {
    good: [],
    invalidated: [],
    superseded: [],
    unreadableLines: [],
  });
  // A RETIRED deliverable will not run again: not STALE, and its outputs will not change.
  const isRetired = memo(
    async (_id, folder) =>
      (await readLifecycleState(join(folder, "_STATUS.md"))).state === "RETIRED",
    false,
  );
  // A run's files by real path: a consumer may have read the producer's files through a link in
  // its own folder, and a record names them relative to the folder of the deliverable that ran.
  const lookups = memoLookups();
  const byRealPath = (id: string, hashes: Record<string, string>): FilesByRealPath => {
    const from = realOf(folderOf.get(id) ?? ".");
    return new Map(
      Object.entries(hashes).map((
        [path, hash],
      ) => [resolvedPath(resolve(from, path), lookups), hash]),
    );
  };
  const outputs = new Map<RunRecord, FilesByRealPath>();
  const wroteBy = (id: string, record: RunRecord) => {
    if (!outputs.has(record)) outputs.set(record, byRealPath(id, record.OutputHashes));
    return outputs.get(record)!;
  };
  // The consumer's runs a producer's are compared with, each with the producer's files it read: of
  // each agent, its latest that read a file of the producer, and each earlier one that did, is
  // still the last run to have written one of its outputs, and read a file of the producer no
  // later run of the agent read again, as each agent's outputs come from what it read; when no
  // run of any agent read one, its latest of any agent (see StaleOptions.propagate), which read
  // none.
  const consumerRuns = async (consumer: string, producer: string) => {
    const producerFolder = folderOf.get(producer);
    const under = producerFolder === undefined ? undefined : realOf(producerFolder);
    const { good, superseded, invalidated } = await runsOf(consumer);
    // Each output's last writer: the latest SUCCESS or PARTIAL run of the consumer (any agent's,
    // annotated or not) that wrote it. A run stands while it is one, of a file still there.
    const lastWriter = new Map<string, RunRecord>();
    for (const { record } of [...good, ...superseded, ...invalidated]) {
      for (const path of wroteBy(consumer, record).keys()) {
        const other = lastWriter.get(path);
        if (other === undefined || laterThan(record, other)) lastWriter.set(path, record);
      }
    }
    const stillStands = (run: RunRecord) =>
      [...wroteBy(consumer, run).keys()].some((path) =>
        lastWriter.get(path) === run && lookups.stat(path) === "file" // never a FIFO
      );
    const withReads = (entry: FolderRecords["records"][number]) => ({
      ...entry,
      read: new Map(
        [...byRealPath(consumer, entry.record.InputHashes)].filter(([path]) =>
          under !== undefined && isInside(path, under)
        ),
      ),
    });
    const readings = good.map(withReads);
    // An agent's latest run that read the producer, superseded since (`annotate --supersedes`):
    // the agent says its outputs no longer come from the producer, so it is not compared.
    const agents = new Map<string, ReturnType<typeof withReads>[]>();
    for (const reading of [...readings, ...superseded.map(withReads)]) {
      if (reading.read.size === 0) continue;
      const agent = reading.record.AgentName;
      agents.set(agent, [...agents.get(agent) ?? [], reading]);
    }
    // A consumer that never ran well has no run to compare: it has no output to be stale.
    if (readings.length === 0) return [];
    const isSuperseded = (run: RunRecord) => superseded.some(({ record }) => record === run);
    if (agents.size === 0) {
      const run = latest(readings);
      return readings.filter(({ record }) => record === run);
    }
    return sortUtf8([...agents.keys()]).flatMap((agent) => {
      const group = agents.get(agent)!;
      const run = latest(group);
      // An earlier run is covered when later runs of the agent read again every file of the
      // producer it read: the agent saw them anew and rewrote what needed it.
      const covered = (earlier: (typeof group)[number]) =>
        [...earlier.read.keys()].every((path) =>
          group.some(({ record, read }) =>
            !isSuperseded(record) && laterThan(record, earlier.record) && read.has(path)
          )
        );
      return group.filter((entry) =>
        !isSuperseded(entry.record) &&
        (entry.record === run || (stillStands(entry.record) && !covered(entry)))
      );
    });
  };

  // Where staleness starts: each DIRTY deliverable, each producer that ran since, and each
  // invalidated producer's run a consumer may have read; `from`, the deliverable whose change it
  // passes on, when not the chain's first producer.
  type Origin = Pick<StaleReason, "chain" | "ranSince" | "invalidated"> & {
    start: string;
    from?: string;
  };
  // An edge whose producer consumes, through other edges, what its consumer makes: runs of the
  // two in turn would each make the other STALE. A cycle through a RETIRED member is one all the
  // same: retiring it changes no file.
  const inCycle = (edge: DependencyEdge) => {
    const seen = new Set([edge.consumer]);
    const queue = [edge.consumer];
    while (queue.length > 0) {
      for (const next of consumersOf.get(queue.shift()!) ?? []) {
        if (next.consumer === edge.producer) return true;
        if (seen.has(next.consumer)) continue;
        seen.add(next.consumer);
        queue.push(next.consumer);
      }
    }
    return false;
  };
  // A deliverable DIRTY only through files of one deliverable it consumes (a run there rewrote
  // what it read, or a hand edit) passes that one's change on: a chain of it back there is no
  // reason, as for a producer that ran since (cycle37 F1).
  const changedFrom = (id: string): string | undefined => {
    const producers = (graph.producersOf.get(id) ?? []).map((p) => ({
      id: p,
      folder: realOf(folderOf.get(p)!),
    }));
    const owners = new Set(
      checks.filter((c) => c.deliverableId === id && c.verdict === "DIRTY" && ofGraph(c))
        .flatMap((c) =>
          c.inputs.map(({ path }) => resolvedPath(resolve(realOf(c.folder), path), lookups))
        )
        .map((path) => producers.find(({ folder }) => isInside(path, folder))?.id),
    );
    return owners.size === 1 ? [...owners][0] : undefined;
  };
  const origins: Origin[] = dirty.map((id) => ({ start: id, chain: [], from: changedFrom(id) }));
  const checked = sortUtf8([...new Set(checks.map((c) => c.deliverableId))]);
  for (const producer of checked) {
    const { good, invalidated, unreadableLines, vouched } = await runsOf(producer);
    // A line that cannot be read may be the producer's latest run: its consumers are told.
    if (unreadableLines.length > 0) {
      const consumers = new Set((consumersOf.get(producer) ?? []).map((edge) => edge.consumer));
      const note = `its producer ${producer}'s ${RECORD_FILE} ${lineNumbers(unreadableLines)} ` +
        "could not be read (see runrec validate): were it a run since this deliverable's, this one would be STALE";
      for (const check of checks) {
        if (consumers.has(check.deliverableId) && !check.notes.includes(note)) {
          check.notes.push(note);
        }
      }
    }
    const last = lastEnded(good);
    if (last === undefined && invalidated.length === 0) continue;
    const goodWrites = good.map((entry) => ({ ...entry, wrote: wroteBy(producer, entry.record) }));
    const producerWrites = {
      good: goodWrites,
      invalidated: invalidated.map(({ record }) => ({ record, wrote: wroteBy(producer, record) })),
      vouched: vouched ??
        ((run: RunRecord, path: string, hash: string) =>
          goodWrites.some(({ record, wrote }) =>
            !overlapping(record, run) && wrote.get(path) === hash
          )),
    };
    for (const edge of consumersOf.get(producer) ?? []) {
      for (const reading of await consumerRuns(edge.consumer, producer)) {
        const { record: theirs, read } = reading;
        const consumerRunRef = runRef(reading);
        // The producer's run ended after the consumer's started: the consumer read it unfinished.
        // In a cycle, only a run that changed what the consumer read: else each run of one member
        // would make the other STALE, for ever, however settled their files (trial-v F4).
        const since = last === undefined || endMs(last.record) <= startMs(theirs)
          ? undefined
          : inCycle(edge)
          ? changedWhatItRead(theirs, read, goodWrites)
          : last;
        if (since !== undefined) {
          origins.push({
            start: edge.consumer,
            chain: [edge],
            ranSince: { ...runRef(since), consumerRun: consumerRunRef },
          });
        }
        for (const entry of invalidated) {
          const { record, annotation } = entry;
          const wrote = wroteBy(producer, record);
          if (!mayHaveRead(theirs, read, record, wrote, producerWrites, since !== undefined)) {
            continue;
          }
          origins.push({
            start: edge.consumer,
            chain: [edge],
            invalidated: {
              ...runRef(entry),
              consumerRun: consumerRunRef,
              annotation: { RunID: annotation.annotationId, note: annotation.note },
            },
          });
        }
      }
    }
  }
  // Breadth first from each origin: each deliverable it reaches gets a shortest chain from it.
  const reasons = new Map<string, StaleReason[]>();
  const add = (id: string, reason: StaleReason) => {
    reasons.set(id, [...reasons.get(id) ?? [], reason]);
  };
  for (const origin of origins) {
    const chainTo = new Map([[origin.start, origin.chain]]);
    // A chain back to the producer it starts at is a cycle (listed below), no reason: else that
    // producer would be STALE through its own run, as a self-edge made it.
    const first = origin.from ?? origin.chain[0]?.producer;
    const reason = (chain: DependencyEdge[]): StaleReason => ({
      cause: origin.ranSince ? "ranSince" : origin.invalidated ? "invalidated" : "dirty",
      chain,
      ...(origin.ranSince ? { ranSince: origin.ranSince } : {}),
      ...(origin.invalidated ? { invalidated: origin.invalidated } : {}),
    });
    if (origin.chain.length > 0) add(origin.start, reason(origin.chain));
    const queue = [origin.start];
    while (queue.length > 0) {
      const id = queue.shift()!;
      if (await isRetired(id)) continue;
      for (const edge of consumersOf.get(id) ?? []) {
        if (chainTo.has(edge.consumer) || edge.consumer === first) continue;
        const chain = [...chainTo.get(id)!, edge];
        chainTo.set(edge.consumer, chain);
        add(edge.consumer, reason(chain));
        queue.push(edge.consumer);
      }
    }
  }
  const dirtySet = new Set(dirty);
  for (const id of sortUtf8([...reasons.keys()].filter((id) => !dirtySet.has(id)))) {
    const last = pickBaseline((await runsOf(id)).good, () => true);
    const entry: StaleDeliverable = {
      deliverableId: id,
      ...(folderOf.has(id) ? { folder: folderOf.get(id)! } : {}),
      ...(last ? { lastRun: runRef(last) } : {}),
      reasons: reasons.get(id)!
        .sort((a, b) =>
          a.chain.length - b.chain.length ||
          (a.chain[0].producer < b.chain[0].producer
            ? -1
            : a.chain[0].producer > b.chain[0].producer
            ? 1
            : 0)
        ),
    };
    (await isRetired(id) ? report.retired : report.stale).push(entry);
  }
  // From every deliverable checked: a cycle of the register is said before it marks anything. A
  // cycle of one too, when its deliverable is one of them or downstream of them, as other cycles
  // are: a target named alone is not told of another's (cycle37 F5).
  const starts = [...new Set([...checked, ...origins.map((o) => o.start)])];
  const next = (id: string) => (consumersOf.get(id) ?? []).map((edge) => edge.consumer);
  const { cycles, more } = elementaryCycles(starts, next, CYCLES_LISTED);
  const reached = new Set(starts);
  for (const queue = [...starts]; queue.length > 0;) {
    for (const id of next(queue.pop()!)) {
      if (!reached.has(id)) queue.push(id), reached.add(id);
    }
  }
  const ofOne = sortUtf8([...graph.selfEdges].filter((id) => reached.has(id)));
  report.cycles = [...ofOne.map((id) => [id, id]), ...cycles];
  if (more) {
    report.warnings.push(
      `more than ${CYCLES_LISTED} dependency cycles: the first ${CYCLES_LISTED} are listed`,
    );
  }
  return report;
}

/**
 * In a cycle, the producer's good run (of `runs`) that changed what a consumer's run `theirs` read
 * of it (`read`), if one did: of those that ended after `theirs` started, the last to write a file
 * read, when it left other bytes (an earlier one's rewrite is not hidden by a later run that wrote
 * other files: cycle37 F3). What a run wrote is not known when it names no output and does not
 * say it changed none (`exec`'s note: cycle37 F2), nor what `theirs` read when it names no file of
 * the producer: then the last of them.
 */
function changedWhatItRead<T extends RunWrites>(
  theirs: RunRecord,
  read: FilesByRealPath,
  runs: readonly T[],
): T | undefined {
  const since = runs.filter(({ record }) => endMs(record) > startMs(theirs));
  const unknown = since.filter(({ record, wrote }) =>
    wrote.size === 0 && !saysItChangedNothing(record.Notes)
  );
  if (read.size === 0) return lastEnded(since);
  if (unknown.length > 0) return lastEnded(unknown);
  return lastEnded([...read].flatMap(([path, hash]) => {
    const writer = lastEnded(since.filter(({ wrote }) => wrote.has(path)));
    return writer !== undefined && writer.wrote.get(path) !== hash ? [writer] : [];
  }));
}

/** The real absolute path of a folder (links resolved), as far as it exists. */
function realOf(path: string): string {
  return resolvedPath(resolve(path));
}

/**
 * The deliverables of `graph` that are among `ids` or upstream or downstream of one of them (not
 * a sibling: downstream of one upstream of them only). A target named alone is told of the cycles
 * through these, and of no other (docs/TUTORIAL.md).
 *
 * @example
 * ```ts
 * import { readGraphs, relatedDeliverables } from "./stale_propagation.ts";
 * const [graph] = readGraphs(["examples"], [], []);
 * if (graph) relatedDeliverables(graph, new Set(["DEL-01-02"])).has("DEL-01-02"); // true
 * ```
 */
export function relatedDeliverables(graph: DependencyGraph, ids: ReadonlySet<string>): Set<string> {
  const related = new Set(ids);
  const downstream = (id: string) => (graph.consumersOf.get(id) ?? []).map((e) => e.consumer);
  const upstream = (id: string) => graph.producersOf.get(id) ?? [];
  for (const step of [downstream, upstream]) {
    const seen = new Set(ids);
    for (const queue = [...ids]; queue.length > 0;) {
      for (const next of step(queue.pop()!)) {
        if (!seen.has(next)) seen.add(next), queue.push(next), related.add(next);
      }
    }
  }
  return related;
}

/** How many dependency cycles `--propagate` lists: a dense register has millions. */
const CYCLES_LISTED = 1000;
