/**
 * Staleness with evidence: for each deliverable and each agent that has run
 * on it, whether the governed inputs are still what that agent's latest good
 * run (its baseline) read, and if not, which paths changed; optionally, the
 * deliverables that consume a changed one through `Dependencies.csv`.
 *
 * @module
 */
import { checkStaleArguments } from "./argument_checks.ts";
import { requireReadable } from "./required_permissions.ts";
import { retiredReason } from "./retired.ts";
import { annotationsFor, ANNOTATOR, isUsableBaseline } from "./annotations.ts";
import { basename, dirname, isInside, join, relative, resolve } from "./path.ts";
import { outsideSparseCheckout } from "./git.ts";
import {
  DELIVERABLE_FOLDER,
  deliverableId,
  enclosingDeliverable,
  findExecutionRoot,
  findGitRoot,
  toolRootOwner,
} from "./deliverable.ts";
import {
  failureReason,
  InputError,
  OptionError,
  OutOfDescriptors,
  refuseOutOfDescriptors,
} from "./errors.ts";
import { DEFAULT_WAIT_MS, WRITE_GRACE_MS } from "./lock.ts";
import { collidingReason, explainError, namesReadingAs } from "./names.ts";
import { type FileHasher, type HashFilesFn, startFileHasher } from "./hash_pool.ts";
import { hashCacheFor } from "./hash_cache.ts";
import { aheadOfNow, noteLook, type Remembered, remembered } from "./look_notes.ts";
import { dotGitOf } from "./dot_git.ts";
import { VERSION } from "./cli/version.ts";
import { optionalEnv } from "./optional_access.ts";
import { hashFiles } from "./hash.ts";
import type { FolderRecords } from "./folder_records.ts";
import {
  aloneWhenLong,
  emptyHistory,
  type HistoryRules,
  readStaleHistory,
  type StaleHistory,
} from "./stale_history.ts";
import { LINKED_RECORD_FILE } from "./linked_record_file.ts";
import {
  MISCASED_RECORD_FILE,
  miscasedBesideRecordFile,
  miscasedRecordFiles,
} from "./other_case.ts";
import {
  type GovernedInputs,
  governedInputsIn,
  type ReferenceMemo,
  REFERENCES_FILE,
} from "./inputs.ts";
import { isInsideProject, type ProjectBounds, projectBounds } from "./project_bounds.ts";
import { inputFoldersIn } from "./input_folders.ts";
import { meantPath } from "./meant_path.ts";
import { type Lookups, type MemoLookups, memoLookups, resolvedPath } from "./lookups.ts";
import { NO_GOVERNED_INPUT, sortUtf8 } from "./manifest.ts";
import { agentNotFoundReason, findProfile, looksMisspelt } from "./profiles.ts";
import {
  AGENT_NAME_PATTERN,
  COLUMNS,
  DELETED,
  LIFECYCLE_STATES,
  runIdPrefix,
  type RunRecord,
  SHA256_PATTERN,
  TBD,
} from "./schema.ts";
import { sha256Hex } from "./sha256.ts";
import { lifecycleChangeFrom, parseLifecycleState } from "./status.ts";
import { onlyContentHashesFrom } from "./content_hash_lines.ts";
import { writtenAtMs } from "./recorded_late.ts";
import { RECORD_FILE } from "./deliverable.ts";
import { spoolEntryOf } from "./spool.ts";
import { describePending, pendingRecords } from "./spool_pending.ts";
import { keptOutsideOf, listPendingRuns, PENDING_FOLDER } from "./pending.ts";
import { describePendingRuns } from "./pending_warnings.ts";
import {
  deliverableFolders,
  noteSkippedToolRoot,
  noteSkippedWorktree,
  toolRootsSkipped,
} from "./targets.ts";
import { CLOCK_SKEW_MS, parseInstant } from "./time.ts";
import { movedTo } from "./moved_input.ts";
import type {
  Baseline,
  ChangeKind,
  FileChange,
  StaleCheck,
  StaleDeliverable,
  StaleOptions,
  StaleReport,
} from "./stale_report.ts";
import {
  endMs,
  isSuccessOrPartial,
  laterThan,
  overlapping,
  pickBaseline,
  startMs,
} from "./run_order.ts";
import { lineNumbers, listed } from "./messages.ts";
import { copySources } from "./copy_sources.ts";
import {
  propagateStaleness,
  readGraphs,
  relatedDeliverables,
  upstreamFolders,
} from "./stale_propagation.ts";

export { deliverableFolders };
export type {
  Baseline,
  ChangeKind,
  FileChange,
  RunRef,
  StaleCheck,
  StaleDeliverable,
  StaleOptions,
  StaleReason,
  StaleReport,
  Verdict,
} from "./stale_report.ts";

/** Deliverables from this many up are hashed on worker threads. */
const WORKERS_FROM = 16;

/**
 * Folders checked at once: enough that this thread always has a folder to
 * work on while the others wait for their hashes (only hashes: the records
 * are read here); more only keep more alive across each wait, which V8 then
 * copies and moves to its old generation (docs/BENCHMARKS.md, stops 21, 25).
 */
const FOLDERS_AT_ONCE = 16;

/** `fn` of each item, at most `limit` running at once; results in the items' order. */
async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/**
 * The records of a deliverable folder: none without a record file; a line
 * naming the file and why when it cannot be read. `size`: its record file's, as
 * found just before (`undefined`: not found then, so looked at again).
 */
async function readFolderRecords(
  dir: string,
  size: number | undefined,
  lookups: Lookups,
  rules: HistoryRules,
): Promise<StaleHistory | string> {
  const path = join(dir, RECORD_FILE);
  if (lookups.lstatKind(path) === "symlink") return `${path}: cannot read: ${LINKED_RECORD_FILE}`;
  const info = lookups.stat(path);
  // As every reader: a runrecords.csv holds records runrec cannot weigh here (review-38).
  const miscased = miscasedRecordFiles(lookups.folderEntries(resolve(dir)).keys())[0];
  if (miscased !== undefined) {
    const why = info instanceof Deno.errors.NotFound
      ? MISCASED_RECORD_FILE
      : miscasedBesideRecordFile(miscased);
    return `${join(dir, miscased)}: cannot read: ${why}`;
  }
  if (info instanceof Deno.errors.NotFound) return emptyHistory();
  if (info instanceof Error) return `${path}: cannot read: ${info.message.split("\n")[0]}`;
  if (info !== "file") return `${path}: not a regular file (a folder, FIFO or device)`;
  try {
    return await readStaleHistory(path, size ?? Deno.statSync(path).size, rules);
  } catch (error) {
    // Out of descriptors, the file is not unreadable: the command stops, naming the limit.
    if (error instanceof InputError && !(error instanceof OutOfDescriptors)) return error.message;
    throw error;
  }
}

/** Where the cells an unreadable line may still show are. */
const RUN_ID_CELL = COLUMNS.indexOf("RunID");
const DELIVERABLE_CELL = COLUMNS.indexOf("DeliverableID");
const AGENT_CELL = COLUMNS.indexOf("AgentName");
const START_CELL = COLUMNS.indexOf("RunTimestamp");
const NOTES_CELL = COLUMNS.indexOf("Notes");

/**
 * Whether a record line that cannot be read, of which `cells` are whole, may
 * be `agent`'s latest run (its agent cell is `agent`'s, or names no agent with
 * a readable record here; and its start is not before the baseline's, or
 * does not agree with its RunID) or an annotation that bears on the choice
 * (its agent cell is not another agent's, and its Notes are not whole or name
 * the baseline, a later run of `agent` or an annotation). Any other line
 * (another agent's run, or an older one) cannot change the baseline.
 */
function mayBeBaselineOrItsAnnotation(
  cells: readonly string[],
  agent: string,
  baseline: RunRecord,
  runs: FolderRecords["records"],
  records: FolderRecords["records"],
  agentsHere: ReadonlySet<string>,
): boolean {
  // A changed line may have its agent or start changed: one that no other line bears out is no alibi.
  const named = cells[AGENT_CELL] ?? "";
  const whose = named === ANNOTATOR || agentsHere.has(named) ? named : undefined;
  const stamp = cells[START_CELL] ?? "";
  const agrees = (cells[RUN_ID_CELL] ?? "").startsWith(
    runIdPrefix(cells[DELIVERABLE_CELL] ?? "", stamp),
  );
  const started = agrees ? parseInstant(stamp) : undefined;
  if ((whose ?? agent) === agent && (started === undefined || started >= startMs(baseline))) {
    return true;
  }
  if ((whose ?? ANNOTATOR) !== ANNOTATOR) return false;
  const notes = cells[NOTES_CELL];
  if (notes === undefined) return true;
  const bearing = [
    baseline,
    ...runs.map((e) => e.record).filter((r) => !laterThan(baseline, r)),
    ...records.map((e) => e.record).filter((r) => r.AgentName === ANNOTATOR),
  ];
  return bearing.some((r) => notes.includes(r.RunID));
}

/** When the record was written: at the run's end, unless it says it was recorded late. */
function writtenMs(record: RunRecord): number {
  return writtenAtMs(record.Notes, endMs(record));
}

/**
 * Whether `later`, a run of the baseline's host written after it, is stamped before it, and was
 * written before it by more than a lock wait (concurrent runs append in lock order), and neither
 * replayed from the spool nor a backfill (which write late): what a clock set back leaves.
 */
function stampedBefore(later: RunRecord, baseline: RunRecord): boolean {
  return later.Host === baseline.Host && startMs(later) < startMs(baseline) &&
    writtenMs(later) < writtenMs(baseline) - DEFAULT_WAIT_MS - WRITE_GRACE_MS &&
    spoolEntryOf(later.Notes) === undefined;
}

/**
 * Whether none of `record`'s recorded outputs is on disk with the bytes it recorded: then no
 * check asks who wrote a file's bytes and finds it. Each path is hashed once per folder, apart
 * from the checks' hasher: what they count is what they compare.
 */
function holdsNoFileNow(
  dir: string,
  lookups: Lookups,
): (record: RunRecord) => Promise<boolean> {
  const now = new Map<string, string | undefined>();
  return async (record) => {
    for (const [path, hash] of Object.entries(record.OutputHashes)) {
      if (!SHA256_PATTERN.test(hash)) continue;
      if (!now.has(path)) {
        // Where the check reads it: in a deliverable folder relabelled since, when it was.
        const abs = resolve(dir, relabelledPath(dir, path, lookups) ?? path);
        // Never a FIFO: opening one waits for a writer.
        const result = isRegularFile(abs, lookups) ? (await hashFiles([abs])).get(abs) : undefined;
        now.set(path, typeof result === "string" ? result : undefined);
      }
      if (now.get(path) === hash) return false;
    }
    return true;
  };
}

/**
 * The first folder from `top` down to `absPath`'s parent that cannot be
 * listed, or `undefined`: a file beneath it is unseen by the walk of a
 * governed folder, so it would look no longer governed. Only asked for a path
 * that was governed and is not now; `listable` keeps each folder's answer.
 */
function unlistableFolder(
  absPath: string,
  top: string,
  listable: Map<string, boolean>,
): string | undefined {
  if (!isInside(dirname(absPath), top)) return undefined;
  const rel = relative(top, dirname(absPath));
  let folder = top;
  for (const name of ["", ...(rel === "" ? [] : rel.split("/"))]) {
    folder = name === "" ? folder : join(folder, name);
    if (!listable.has(folder)) {
      try {
        Deno.readDirSync(folder);
        listable.set(folder, true);
      } catch {
        listable.set(folder, false);
      }
    }
    if (!listable.get(folder)) return folder;
  }
  return undefined;
}

/** Why a path git's sparse checkout leaves out of the work tree cannot be hashed. */
const NOT_CHECKED_OUT = "not checked out (a sparse checkout leaves it out)";

/** What a symbolic link loop is called, as the system (and emit's note) says it. */
const LOOP = "Too many levels of symbolic links";

/**
 * How a path that cannot be hashed now stands: gone, or there and unreadable, and why. `dir`, the
 * deliverable folder, tells a path that does not resolve from its place now from one deleted.
 */
function missingOrUnreadable(
  absPath: string,
  lookups: Lookups,
  error?: Error,
  dir?: string,
): { change: "removed" | "unreadable"; reason: string } {
  refuseOutOfDescriptors(error);
  // In the words of emit's note: unchanged, the same names are CLEAN with a note.
  const colliding = namesReadingAs(absPath);
  if (colliding > 1) return { change: "unreadable", reason: collidingReason(colliding) };
  const link = lookups.lstat(absPath);
  if (link instanceof Deno.errors.NotFound || link instanceof Deno.errors.NotADirectory) {
    // Left out by git's sparse checkout, not deleted: what it holds is not known here.
    if (outsideSparseCheckout(absPath)) {
      return { change: "unreadable", reason: NOT_CHECKED_OUT };
    }
    const unresolved = dir === undefined ? undefined : unresolvedFrom(dir, absPath, lookups);
    return { change: "removed", reason: unresolved ?? "deleted" };
  }
  if (link instanceof Error) return { change: "unreadable", reason: failureReason(link) };
  const kind = lookups.stat(absPath);
  if (!(kind instanceof Error)) {
    if (kind === "folder") return { change: "unreadable", reason: unlistedReason(absPath) };
    if (kind !== "file") return { change: "unreadable", reason: "not a regular file" };
  } else if (kind instanceof Deno.errors.FilesystemLoop) {
    return { change: "unreadable", reason: LOOP };
  } else if (link === "symlink") {
    return { change: "unreadable", reason: "dangling symbolic link" };
  }
  return { change: "unreadable", reason: error ? failureReason(error) : "cannot be read" };
}

/**
 * Why a path outside the deliverable folder `dir`, not found now, may never have been deleted:
 * the folder that would hold it is not there either, as when the deliverable folder moved since
 * the run (into `_Archive/`, another package) and its relative path now leads elsewhere.
 */
function unresolvedFrom(dir: string, absPath: string, lookups: Lookups): string | undefined {
  if (!relative(dir, absPath).startsWith("../")) return undefined;
  const parent = dirname(absPath);
  if (!(lookups.lstat(parent) instanceof Deno.errors.NotFound)) return undefined;
  return `does not resolve from the folder's place now: no folder ${relative(dir, parent)} ` +
    "(the folder moved since the run?)";
}

/**
 * `path` (relative to `dir`, as a record names an input), gone now, with the deliverable folder in
 * it that is gone replaced by the one beside it with the same DeliverableID (relabelled), when the
 * file is there; else `undefined`.
 */
function relabelledPath(dir: string, path: string, lookups: Lookups): string | undefined {
  if (lookups.lstatKind(resolve(dir, path)) !== undefined) return undefined;
  const parts = path.split("/");
  let parent = dir;
  for (const [i, part] of parts.slice(0, -1).entries()) {
    const here = resolve(parent, part);
    if (lookups.lstatKind(here) !== undefined) {
      parent = here;
      continue;
    }
    const id = DELIVERABLE_FOLDER.exec(part)?.[1];
    const same = id === undefined ? [] : [...lookups.folderEntries(parent)].filter(
      ([name, kind]) => kind === "folder" && DELIVERABLE_FOLDER.exec(name)?.[1] === id,
    );
    if (same.length !== 1) return undefined;
    const moved = [...parts.slice(0, i), same[0][0], ...parts.slice(i + 1)].join("/");
    return lookups.statKind(resolve(dir, moved)) === "file" ? moved : undefined;
  }
  return undefined;
}

/** Why a folder recorded `TBD` (its walk could not list it) is unread: the listing's error. */
function unlistedReason(absPath: string): string {
  try {
    Deno.readDirSync(absPath);
    return "is a folder";
  } catch (error) {
    refuseOutOfDescriptors(error);
    return `folder cannot be listed: ${failureReason(explainError(absPath, error as Error))}`;
  }
}

/** Whether `absPath` is a regular file now (a FIFO must never be opened: it would block). */
function isRegularFile(absPath: string, lookups: Lookups): boolean {
  return lookups.stat(absPath) === "file";
}

/**
 * The run a file's bytes now are the recorded output of, found by content: the bytes say who
 * wrote them where times cannot (runs overlap, and a duration may be a default or cut short).
 */
interface Writer {
  /** The run. */
  record: RunRecord;
  /** `written by RUN-… (AGENT)`, with its status when not SUCCESS and `invalidated` when it is. */
  reason: string;
}

/** The writer of a path's bytes with a given hash, other than the run `except` (a baseline). */
type Writers = (path: string, hash: string, except: RunRecord) => Writer | undefined;

/** The runs whose OutputHashes hold a path with a given hash, in file order. */
type Holders = (path: string, hash: string) => readonly RunRecord[];

/**
 * Every recorded output of the folder's runs, by path and hash, in file order. Built once per
 * folder, when a check first asks who wrote a changed file (most folders have none).
 */
function writesByPathAndHash(records: FolderRecords["records"]): Map<string, RunRecord[]> {
  const writes = new Map<string, RunRecord[]>();
  for (const { record } of records) {
    if (record.AgentName === ANNOTATOR) continue;
    for (const [path, hash] of Object.entries(record.OutputHashes)) {
      if (!SHA256_PATTERN.test(hash)) continue;
      const key = `${path}\n${hash}`;
      const list = writes.get(key);
      if (list) list.push(record);
      else writes.set(key, [record]);
    }
  }
  return writes;
}

/**
 * {@linkcode Writers} over a folder's records: of the runs whose OutputHashes hold the hash, one
 * not invalidated first (an invalidated one is named as such), then the first as
 * {@linkcode laterThan} orders them: the run that made those bytes (a later run that recorded them
 * again, through a folder output or as a run that failed and left the file, did not). Whenever
 * each started or ended: the bytes decide.
 */
function writersOf(holders: Holders, isInvalidated: (record: RunRecord) => boolean): Writers {
  return (path, hash, except) => {
    let best: RunRecord | undefined;
    for (const record of holders(path, hash)) {
      if (record === except) continue;
      const better = best === undefined ||
        (isInvalidated(best) !== isInvalidated(record)
          ? isInvalidated(best)
          : laterThan(best, record));
      if (better) best = record;
    }
    if (best === undefined) return undefined;
    // A run that failed may have left a file half written: say so.
    const marks = [
      ...best.RunStatus === "SUCCESS" ? [] : [best.RunStatus],
      ...isInvalidated(best) ? ["invalidated"] : [],
    ];
    return {
      record: best,
      reason: `written by ${best.RunID} (${[best.AgentName, ...marks].join(", ")})`,
    };
  };
}

type Hash = (paths: string[]) => Promise<Map<string, string | Error>>;

/**
 * Why the baseline could not hash `path` (TBD at the run), as its Notes say,
 * in the forms src/inputs.ts writes them: `--input P: <why>` for a path given
 * itself, `<label>: <path> <why>` for one found in an input folder or through
 * `_REFERENCES.md`, and `_REFERENCES.md line N: <target> not found…` for a
 * reference that named nothing. `undefined` when no note names it.
 */
function reasonAtRun(baseline: RunRecord, dir: string, path: string): string | undefined {
  const names = (named: string) => relative(dir, resolve(dir, named)) === path;
  for (const note of baseline.Notes.split(" | ")) {
    const noted = /^(?:--input (.+?)|_REFERENCES\.md line \d+): (.*)$/.exec(note);
    if (noted === null) continue;
    const [, given, rest] = noted;
    if (rest.startsWith(`${path} `)) return rest.slice(path.length + 1);
    if (given !== undefined && names(given)) return rest;
    const target = /^(.+?) not found\b/.exec(rest)?.[1];
    if (given === undefined && target !== undefined && names(target)) return "not found";
  }
  return undefined;
}

/** What {@linkcode compareInputs} needs to know of a deliverable and its baseline. */
interface InputComparison {
  dir: string;
  baseline: RunRecord;
  /** The governed inputs now: path → hash or `TBD`. */
  now: Record<string, string>;
  /** The notes of reading them now (URLs and placeholders not hashed among them). */
  nowNotes: string[];
  /** Why each regular file that could not be hashed now failed, by absolute path. */
  errors: Map<string, string | Error>;
  writers: Writers;
  holders: Holders;
  lookups: Lookups;
  bounds: ProjectBounds;
  /** Whether inputs outside the project are read now (`stale --allow-outside`). */
  allowOutside: boolean;
  /** Whether each folder asked about could be listed. */
  listable: Map<string, boolean>;
  /**
   * The notes of inputs the run did not read (outside the project, a file it could not read):
   * what they held then is not known, so no change found is no CLEAN.
   */
  unread: string[];
}

/**
 * Whether the outside rule keeps `absPath` from being read now. Where this
 * runrec may not read at all (a sandbox started below the project), the
 * permission is why, and is said instead: `--allow-outside` would not help.
 */
function keptOut(
  absPath: string,
  c: Pick<InputComparison, "allowOutside" | "bounds" | "lookups">,
): boolean {
  if (c.allowOutside || isInsideProject(absPath, c.bounds, c.lookups)) return false;
  return Deno.permissions.querySync({ name: "read", path: absPath }).state === "granted";
}

/**
 * The note for an input `TBD` at the run and not there now. One not found then that names a
 * file from the current folder (given from there by a run before trial-t F2, or from another
 * folder than the run's) is no "not found now": the note says it was looked for from
 * `<del-dir>`, and names that file.
 */
function missingThenAndNow(
  c: Pick<InputComparison, "dir" | "baseline" | "allowOutside">,
  path: string,
): string {
  const notFound = reasonAtRun(c.baseline, c.dir, path)?.startsWith("not found") ?? false;
  const meant = notFound ? meantPath(c.dir, path, { allowOutside: c.allowOutside }) : undefined;
  if (meant === undefined) return `input ${path}: could not be hashed at the run, not found now`;
  return `input ${path}: not found from <del-dir>, at the run nor now (from the current folder ` +
    `it names ${meant}, which this run's record has no hash of: a run that names it so lets ` +
    "stale see it change)";
}

/**
 * Compares the governed inputs now with the baseline's. An input the run
 * itself wrote is expected with its output hash (the run changed it), and
 * one it deleted is expected gone. Bytes that another run overlapping it
 * recorded as its output too are not the baseline's to vouch for (`exec`
 * records every file changed while it ran): compared with what it read.
 */
function compareInputs(c: InputComparison, notes: string[]): FileChange[] {
  const { dir, baseline, now, lookups } = c;
  const changes: FileChange[] = [];
  // With `_REFERENCES.md` unreadable now, what it lists is unknown: that one line says so.
  const referencesUnreadable = now["_REFERENCES.md"] === TBD &&
    !keptOut(resolve(dir, "_REFERENCES.md"), c) &&
    missingOrUnreadable(resolve(dir, "_REFERENCES.md"), lookups).change === "unreadable";
  let unlisted = 0;
  const paths = sortUtf8([...new Set([...Object.keys(baseline.InputHashes), ...Object.keys(now)])]);
  for (const path of paths) {
    const written = baseline.OutputHashes[path];
    const contested = written !== undefined && SHA256_PATTERN.test(written) &&
      writtenMeanwhile(c, path, written);
    const then = written !== undefined && SHA256_PATTERN.test(written) && !contested
      ? written
      : written === DELETED
      ? DELETED
      : baseline.InputHashes[path];
    const current = now[path];
    if (current === then && current !== TBD) continue; // as the baseline read it: most paths
    const abs = resolve(dir, path);
    if (then === DELETED) {
      // The run deleted it: gone, or no longer governed, is as the run left it.
      if (current === undefined) continue;
      if (current === TBD) {
        const gone = missingOrUnreadable(abs, lookups, asError(c.errors.get(abs)));
        if (gone.change === "removed") continue;
        changes.push({ path, ...gone, baseline: then, current: null });
      } else {
        const reason = "recreated since the run deleted it";
        changes.push({ path, change: "added", baseline: then, current, reason });
      }
    } else if (then === undefined) {
      // A folder unlistable now, whose files the run hashed: those files say so, each.
      if (
        current === TBD && Object.keys(baseline.InputHashes).some((p) => p.startsWith(`${path}/`))
      ) {
        continue;
      }
      const state = current === TBD && !keptOut(abs, c) ? unreadableNow(abs, c) : undefined;
      const why = current !== TBD
        ? ""
        : state === undefined
        ? `; ${outsideReason(c)}`
        : `; ${state.change === "removed" ? "not found" : state.reason}`;
      // Unreadable now is said so, as for an input missing at the run (TUTORIAL "Unreadable").
      changes.push({
        path,
        change: state?.change === "unreadable" ? "unreadable" : "added",
        baseline: null,
        current,
        reason: `now a governed input${why}${
          inputFoldersIn(baseline.Notes).includes(path) ? "; a folder at the run" : ""
        }`,
      });
    } else if (current === undefined) {
      const link = lookups.lstat(abs);
      if (link instanceof Deno.errors.NotFound || link instanceof Deno.errors.NotADirectory) {
        const { change, reason } = missingOrUnreadable(abs, lookups, undefined, dir);
        changes.push({ path, change, baseline: then, current: null, reason });
        continue;
      }
      const folder = unlistableFolder(abs, c.bounds.root, c.listable);
      if (folder !== undefined) {
        const reason = `folder ${relative(dir, folder) || "."} cannot be listed`;
        changes.push({ path, change: "unreadable", baseline: then, current: null, reason });
      } else if (referencesUnreadable) {
        unlisted++;
      } else if (link instanceof Error) {
        const reason = failureReason(link);
        changes.push({ path, change: "unreadable", baseline: then, current: null, reason });
      } else {
        const reason = "no longer a governed input";
        changes.push({ path, change: "removed", baseline: then, current: null, reason });
      }
    } else if (current === TBD) {
      // Not read at the run by choice (outside the project): nothing to compare with, whether
      // this runrec may read it now or not (the sandboxed build may not: sandboxed-sweep F4).
      if (then === TBD && reasonAtRun(baseline, dir, path)?.startsWith("is outside the ")) {
        // Not there now says no more: emit does not look outside, so it may never have been.
        const gone = lookups.lstat(abs) instanceof Deno.errors.NotFound;
        c.unread.push(outsideAtRunNote(c, path, gone));
        continue;
      }
      if (keptOut(abs, c)) {
        if (then === TBD) {
          c.unread.push(outsideAtRunNote(c, path));
        } else {
          const reason = outsideReason(c);
          changes.push({ path, change: "unreadable", baseline: then, current: null, reason });
        }
        continue;
      }
      const state = unreadableNow(abs, c);
      if (state.change === "removed" && then === TBD) {
        notes.push(missingThenAndNow(c, path));
        continue;
      }
      // Not in the work tree at the run (emit found nothing there) nor now, a sparse checkout
      // leaving it out: nothing changed that can be told (git-config F2).
      if (
        state.reason === NOT_CHECKED_OUT && then === TBD &&
        reasonAtRun(baseline, dir, path)?.startsWith("not found")
      ) {
        notes.push(`input ${path}: not found at the run, ${NOT_CHECKED_OUT} now`);
        continue;
      }
      // Unreadable then and now for the same reason (a FIFO, a loop): nothing changed that
      // can be told, as for a file missing then and now. Else its content is unknown: DIRTY.
      if (then === TBD && reasonAtRun(baseline, dir, path)?.includes(state.reason)) {
        const note = `input ${path}: could not be read at the run nor now (${state.reason})`;
        // A regular file denied to runrec holds bytes neither read: not known to be as it was.
        // (Names that read as one, not valid UTF-8, stay a note: the reason holds how many, and
        // the valid one's hash, so that a change of either is DIRTY.)
        const denied = isRegularFile(abs, lookups) && state.reason.startsWith("permission denied");
        (denied ? c.unread : notes).push(note);
        continue;
      }
      changes.push({ path, ...state, baseline: then, current: null });
    } else if (then === TBD) {
      const why = reasonAtRun(baseline, dir, path) ?? "";
      // Not read at the run by choice: nothing to compare with, read now or not (trial-v F3).
      if (why.startsWith("is outside the ")) {
        c.unread.push(outsideAtRunNote(c, path));
        continue;
      }
      const reason = why.startsWith("not found")
        ? "not found at the run"
        : "unreadable at the run, readable now";
      const change = why.startsWith("not found") ? "added" : "changed";
      changes.push({ path, change, baseline: then, current, reason });
    } else {
      const note = lifecycleEditNote(c, path, then, current);
      if (note !== undefined) {
        notes.push(note);
        continue;
      }
      const writer = c.writers(path, current, baseline);
      const both = contested && current === written
        ? "; the baseline, which it overlapped, recorded them too: whose write they are cannot " +
          "be told"
        : "";
      changes.push({
        path,
        change: "changed",
        baseline: then,
        current,
        ...(writer ? { reason: `${writer.reason}${both}`, writer: writer.record.RunID } : {}),
      });
    }
  }
  if (unlisted > 0) {
    notes.push(
      `_REFERENCES.md cannot be read: ${unlisted} input(s) it listed at the run not checked`,
    );
  }
  // A deleted input whose bytes are in a file beside it: named, as git names a rename.
  for (const gone of changes) {
    if (gone.reason !== "deleted" || !SHA256_PATTERN.test(gone.baseline ?? "")) continue;
    const moved = movedTo(resolve(dir, gone.path), gone.baseline!, dir);
    if (moved !== undefined) gone.reason = `deleted; renamed to ${moved}? it holds the same bytes`;
  }
  return changes;
}

/**
 * Whether another run that overlapped the baseline recorded the input `path` with the bytes
 * `hash` the baseline recorded as its output: which of the two wrote them cannot be told
 * (trial-37 F4).
 */
function writtenMeanwhile(c: InputComparison, path: string, hash: string): boolean {
  const { baseline } = c;
  if (baseline.InputHashes[path] === undefined) return false;
  return c.holders(path, hash).some((run) =>
    run.RecordChecksum !== baseline.RecordChecksum && overlapping(run, baseline)
  );
}

/**
 * The note of an input outside the project that the run did not read (emit without
 * `--allow-outside` records it TBD): no change can be told, with `--allow-outside` or not.
 */
function outsideAtRunNote(c: InputComparison, path: string, gone = false): string {
  return `input ${path}: outside the ${c.bounds.kind} at the run: not read then${
    gone ? " (and not there now: deleted, or never there)" : ""
  }, so no change can be told (emit --allow-outside records its hash)`;
}

/**
 * The note that stands for a change of a host file that is no change of what
 * the run read: `_REFERENCES.md` with the same references, edited only in
 * its `ContentHash:` lines (the host's hash tool filling them in), or `_STATUS.md` with only its lifecycle state
 * moved on (which StatusBefore/StatusAfter record). `undefined` for any other.
 */
function lifecycleEditNote(
  c: InputComparison,
  path: string,
  then: string,
  current: string,
): string | undefined {
  if (path !== REFERENCES_FILE && path !== STATUS_FILE) return undefined;
  const text = c.lookups.hostFile(resolve(c.dir, path));
  // The text read must be the content hashed: else it changed again in between.
  if (typeof text !== "string" || sha256Hex(text) !== current) return undefined;
  if (path === REFERENCES_FILE) {
    // Only what the host's hash tool writes: any other edit is words the agent reads (stale-48).
    const same = sameReferences(c) &&
      onlyContentHashesFrom(text, then, c.baseline.InputHashes, c.now);
    return same ? `changed ${REFERENCES_FILE} (its references are the same)` : undefined;
  }
  // A Current State that is no lifecycle state now ("range now 0-10 bar, redo") is words the
  // agent reads, not a change of state: TBD would rebuild as any state (stale-47 F3).
  const reading = parseLifecycleState(text, STATUS_FILE);
  if (reading.problem !== undefined) return undefined;
  const now = reading.state;
  const recorded = [c.baseline.StatusBefore, c.baseline.StatusAfter, now].filter((s) =>
    s !== TBD && LIFECYCLE_STATES.includes(s)
  );
  const states = recorded.length > 0 ? [...new Set(recorded)] : LIFECYCLE_STATES;
  const before = lifecycleChangeFrom(text, then, states);
  if (before === undefined) return undefined;
  return before === now
    ? `changed ${STATUS_FILE} (only its lifecycle history, state ${now})`
    : `changed ${STATUS_FILE} (only its lifecycle state, ${before} → ${now})`;
}

/**
 * Whether `_REFERENCES.md` lists what it listed at the run: the same files
 * governed now as then (a reference added or removed adds or removes one),
 * and the same URLs and placeholders, as the Notes of each name them.
 */
function sameReferences(c: InputComparison): boolean {
  // A file the run reads through its folders given as inputs (walked again) is governed whatever
  // _REFERENCES.md lists: one added to or removed from such a folder is no reference (oracle-41 F2).
  const folders = inputFoldersIn(c.baseline.Notes);
  const inInputFolder = (path: string) =>
    folders.some((f) => f === "." ? !path.startsWith("../") : path.startsWith(`${f}/`));
  const paths = (hashes: Record<string, string>) =>
    sortUtf8(Object.keys(hashes).filter((p) => p !== REFERENCES_FILE && !inInputFolder(p)))
      .join("\n");
  if (paths(c.now) !== paths(c.baseline.InputHashes)) return false;
  const unhashed = (notes: string[]) => {
    // Notes cut short ("and N more notes") may leave one out: then they are not known to agree.
    if (notes.some((n) => /^and \d+ more notes/.test(n))) return undefined;
    const named = notes.map((n) => REFERENCE_NOTE.exec(n)?.[1]).filter((n) => n !== undefined);
    return sortUtf8(named).join("\n");
  };
  const then = unhashed(c.baseline.Notes.split(" | "));
  return then !== undefined && then === unhashed(c.nowNotes);
}

const STATUS_FILE = "_STATUS.md";

/** A note on a reference runrec does not hash, without its line number (lines move). */
const REFERENCE_NOTE = /^_REFERENCES\.md line \d+: ((?:external URL|placeholder) .* not hashed)$/;

/** An error of the hasher's answer, if it was one. */
function asError(result: string | Error | undefined): Error | undefined {
  return result instanceof Error ? result : undefined;
}

/** Why an input outside the project is not read now. */
function outsideReason(c: InputComparison): string {
  return `outside the ${c.bounds.kind}: not read; stale run again with --allow-outside reads it`;
}

/** How a governed input that could not be hashed now stands (not kept out by the outside rule). */
function unreadableNow(
  absPath: string,
  c: InputComparison,
): { change: "removed" | "unreadable"; reason: string } {
  // The valid name's hash, as emit's note names it: an edit to it is a change.
  const count = namesReadingAs(absPath);
  const valid = c.errors.get(absPath);
  if (count > 1) {
    const reason = collidingReason(count, typeof valid === "string" ? valid : undefined);
    return { change: "unreadable", reason };
  }
  const state = missingOrUnreadable(absPath, c.lookups, asError(c.errors.get(absPath)), c.dir);
  // Denied on the way there: the folder that cannot be entered says more than the file.
  if (!(c.lookups.lstat(absPath) instanceof Deno.errors.PermissionDenied)) return state;
  const folder = unlistableFolder(absPath, c.bounds.root, c.listable);
  if (folder === undefined) return state;
  return {
    change: "unreadable",
    reason: `folder ${relative(c.dir, folder) || "."} cannot be listed`,
  };
}

/**
 * The baseline's outputs that are not as it left them. One outside the
 * project is not read unless `c.allowOutside`, as at the run.
 */
async function compareOutputs(
  c: Pick<InputComparison, "dir" | "baseline" | "writers" | "lookups" | "bounds" | "allowOutside">,
  hash: Hash,
): Promise<FileChange[]> {
  const { dir, baseline, writers, lookups } = c;
  const entries = sortUtf8(Object.keys(baseline.OutputHashes)).map((path) =>
    [path, baseline.OutputHashes[path], resolve(dir, path)] as const
  ).filter(([, , abs]) => !keptOut(abs, c));
  const readable = entries.filter(([, , abs]) => isRegularFile(abs, lookups)).map(([, , abs]) =>
    abs
  );
  const hashes = await hash(readable);
  const changes: FileChange[] = [];
  for (const [path, then, abs] of entries) {
    const result = hashes.get(abs);
    if (typeof result === "string") {
      if (then === TBD || result === then) continue;
      const writer = writers(path, result, baseline);
      const reason = [
        ...then === DELETED ? ["recreated since the run"] : [],
        ...writer ? [writer.reason] : [],
      ].join("; ");
      const change: ChangeKind = then === DELETED ? "added" : "changed";
      changes.push({
        path,
        change,
        baseline: then,
        current: result,
        ...(reason ? { reason } : {}),
        ...(writer ? { writer: writer.record.RunID } : {}),
      });
      continue;
    }
    const { change, reason } = missingOrUnreadable(abs, lookups, result, dir);
    // Not hashed at the run (`TBD`) and not now: nothing that can be told changed.
    if (then === TBD || (change === "removed" && then === DELETED)) continue;
    changes.push({ path, change, baseline: then, current: null, reason });
  }
  return changes;
}

/**
 * Why a file differs only in its line endings, as a `core.autocrlf` checkout leaves it, and in a
 * few words the remedy the tutorial gives teams with Windows clones.
 */
const LINE_ENDINGS_ONLY = "only line endings differ from the run: core.autocrlf? " +
  "`* text=auto eol=lf` in .gitattributes keeps them alike (docs/TUTORIAL.md)";

const CR = 0x0d;
const LF = 0x0a;

/** `bytes` with each CR LF turned to LF. */
function toLf(bytes: Uint8Array): Uint8Array {
  if (!bytes.includes(CR)) return bytes;
  return bytes.filter((b, i) => b !== CR || bytes[i + 1] !== LF);
}

/** `bytes` with each LF not after a CR turned to CR LF. */
function toCrLf(bytes: Uint8Array): Uint8Array {
  // Each LF found natively (`indexOf`), and the lines between copied whole: not byte by byte.
  const bare: number[] = [];
  for (let i = bytes.indexOf(LF); i >= 0; i = bytes.indexOf(LF, i + 1)) {
    if (bytes[i - 1] !== CR) bare.push(i);
  }
  if (bare.length === 0) return bytes;
  const out = new Uint8Array(bytes.length + bare.length);
  let from = 0;
  bare.forEach((at, added) => {
    out.set(bytes.subarray(from, at), from + added);
    out[at + added] = CR;
    from = at; // the LF starts the next piece
  });
  out.set(bytes.subarray(from), from + bare.length);
  return out;
}

/** The largest file read whole to tell a change of line endings only: a larger one is not told. */
const LINE_ENDINGS_MAX_BYTES = 16 << 20;

/**
 * Gives each changed file no reason names yet the reason
 * {@linkcode LINE_ENDINGS_ONLY} when its bytes, CR LF turned to LF or the
 * reverse, hash to the baseline's hash: git said clean, the hash (of the raw
 * bytes, as the host's) says changed. Only changed files are read again.
 */
function explainLineEndings(dir: string, changes: FileChange[]): void {
  // Synchronous, as the checks' other reads: an asynchronous stat or read costs this thread more.
  for (const change of changes) {
    if (change.change !== "changed" || change.reason !== undefined) continue;
    if (change.baseline === null || !SHA256_PATTERN.test(change.baseline)) continue;
    const path = resolve(dir, change.path);
    let bytes: Uint8Array;
    try {
      // Never a FIFO (opening one waits for a writer), nor a file too large to copy twice.
      const info = Deno.statSync(path);
      if (!info.isFile || info.size > LINE_ENDINGS_MAX_BYTES) continue;
      bytes = Deno.readFileSync(path);
    } catch {
      continue; // changed again since it was hashed: the change stands, unexplained
    }
    // A conversion that changes nothing gives the hash that already differs: not hashed again.
    const others = [toLf(bytes), toCrLf(bytes)].filter((b) => b !== bytes);
    if (others.some((b) => sha256Hex(b) === change.baseline)) change.reason = LINE_ENDINGS_ONLY;
  }
}

/** Where a deliverable folder's references are looked up, and the project bounding its inputs. */
interface FolderPlaces {
  gitRoot?: string;
  executionRoot?: string;
  bounds: ProjectBounds;
}

/**
 * The git and execution roots and project of deliverable folders, each
 * ancestor looked at once: the deliverables of a package share every ancestor.
 */
function rootFinder(lookups: MemoLookups): (dir: string) => FolderPlaces {
  // With the looks that found them: a check given a parent's roots rests on those (./observed.ts).
  const byParent = new Map<string, Remembered<{ gitRoot?: string; executionRoot?: string }>>();
  const rootsOf = (dir: string) => {
    const parent = dirname(dir);
    // The execution root is never the folder itself, so the parent's nearest-or-self is it.
    const shared = remembered(byParent, parent, () => ({
      gitRoot: findGitRoot(parent),
      executionRoot: findExecutionRoot(join(parent, "-")),
    }));
    // `.git` in the folder itself (a file for worktrees and submodules), one git stops at.
    // Asked by kind: most folders have none, and the listing says so with no error made.
    const ownGit = dotGitOf(dir, lookups) !== undefined;
    return { gitRoot: ownGit ? dir : shared.gitRoot, executionRoot: shared.executionRoot };
  };
  return (dir) => {
    const roots = rootsOf(dir);
    // The project is the one the folder really is in, reached through links or not.
    const real = resolvedPath(dir, lookups);
    const bounds = projectBounds(real, real === dir ? roots : rootsOf(real), lookups);
    return { ...roots, bounds };
  };
}

/** The paths whose InputHashes differ between two records. */
function differingInputs(a: RunRecord, b: RunRecord): string[] {
  const paths = new Set([...Object.keys(a.InputHashes), ...Object.keys(b.InputHashes)]);
  return sortUtf8([...paths].filter((p) => a.InputHashes[p] !== b.InputHashes[p]));
}

/**
 * Whether `agent` looks misspelt in this folder, as the recording warning judged it at its latest
 * run here: by the agents recorded before that run, and a near miss of an agent file's name or of
 * a built-in agent that ran here (that warning's candidates: never a project's own agent, of which
 * it knows none). Loading the edit distance may fail: then it is not (NO_BASELINE, never a
 * withdrawn check).
 */
function misspeltHere(
  agent: string,
  dir: string,
  firstLines: ReadonlyMap<string, number>,
  lastLine: number,
  ranHere: ReadonlySet<string>,
  lookups: MemoLookups,
): Promise<boolean> {
  const recordedBefore = new Set(
    [...firstLines].filter(([, line]) => line < lastLine).map(([n]) => n),
  );
  const others = [...ranHere].filter((name) => name !== agent);
  return looksMisspelt(agent, dir, others, recordedBefore, lookups).catch(() => false);
}

/**
 * One deliverable folder: its ID, records and a check per agent; or, when
 * its record file cannot be read, the line saying so. `recordSize`: the size
 * of its record file as {@linkcode aloneWhenLong} found it (`undefined`: not found).
 */
async function checkFolder(
  folder: string,
  recordSize: number | undefined,
  options: StaleOptions,
  hash: HashFilesFn,
  roots: (dir: string) => FolderPlaces,
  lookups: MemoLookups,
  agentsThatRan: Set<string>,
  everyAgent = false,
): Promise<StaleCheck[] | string> {
  const dir = resolve(folder);
  // Most of what the checks look up is in the folder: one listing answers for all of it.
  lookups.list(dir);
  // Read in this thread, as are the host files: records cloned across from a worker cost more
  // than reading them here (docs/BENCHMARKS.md, stop 25).
  const idOf = (first: RunRecord | undefined) => {
    try {
      return deliverableId(dir, (path) => {
        const text = lookups.hostFile(path);
        if (text instanceof Error) throw text;
        return text;
      }).id;
    } catch {
      // Not named DEL-… and no ID in _CONTEXT.md: the records say whose they are.
      return first?.DeliverableID ?? basename(dir);
    }
  };
  const read = await readFolderRecords(folder, recordSize, lookups, {
    copiedFrom: (named, first) => copySources(dir, idOf(first), named),
    isBaseline: (annotations) =>
      options.isBaseline ?? ((r: RunRecord) => isUsableBaseline(r, annotations)),
    holdsNoFileNow: holdsNoFileNow(dir, lookups),
    writtenBefore: stampedBefore,
    laterThan,
    startMs,
    endMs,
  });
  if (typeof read === "string") return read;
  const { records, unreadableLines, unreadableCells, tornTail, annotations, copiedFrom } = read;
  const id = idOf(records[0]?.record);
  // A line that cannot be read may be any agent's latest run, or an annotation of its baseline.
  const unreadNote = unreadableLines.length === 0
    ? undefined
    : `${RECORD_FILE} ${lineNumbers(unreadableLines)} could not be read (see runrec validate)`;
  const folderNotes: string[] = unreadNote === undefined ? [] : [unreadNote];
  // A torn last line is an append cut short: no record, and its run was not told it was recorded.
  if (tornTail !== undefined) {
    folderNotes.push(
      `${RECORD_FILE} line ${tornTail} is torn (a write cut short): not a record, so not ` +
        "weighed; its run is not recorded unless runrec spooled the record, which its next " +
        "write here appends (stale warns while one is spooled)",
    );
  }
  // Annotations are records of their own (SCHEMA_EVOLUTION.md): they mark runs, and run nothing.
  // After a RunID collision (two clones, one minute) an old annotation may name several records;
  // after a merge, two branches' annotations may make a supersede cycle.
  folderNotes.push(...read.ambiguous);
  // Records of another deliverable: copied with its folder when that one is still there (no
  // baseline here), else the folder was moved from it (its runs are this deliverable's).
  const countOf = (ids: string[]) =>
    ids.reduce((sum, other) => sum + read.deliverableIds.get(other)!, 0);
  const foreign = countOf([...read.deliverableIds.keys()].filter((d) => copiedFrom.has(d)));
  const movedIds = [...read.deliverableIds.keys()].filter((d) => d !== id && !copiedFrom.has(d));
  if (foreign > 0) {
    folderNotes.push(
      `${foreign} record(s) name ${[...copiedFrom].join(", ")}, not this folder's ${id}, ` +
        "and that deliverable has its own folder (this one was copied from it?): not used as " +
        "baselines",
    );
  }
  if (movedIds.length > 0) {
    const ids = sortUtf8(movedIds).join(", ");
    folderNotes.push(
      `${countOf(movedIds)} record(s) name ${ids}, which no other folder has: read as this ` +
        `folder's (moved from ${ids} to ${id})`,
    );
  }
  // Each agent's runs the rules weigh (all of a short history); `read.agents` counts them all.
  const byAgent = new Map<string, FolderRecords["records"]>();
  for (const agent of read.agents.keys()) byAgent.set(agent, []);
  for (const entry of records) {
    if (entry.record.AgentName === ANNOTATOR || copiedFrom.has(entry.record.DeliverableID)) {
      continue;
    }
    // None when the file was rewritten between the reads of a long history: not weighed.
    byAgent.get(entry.record.AgentName)?.push(entry);
  }
  for (const agent of byAgent.keys()) agentsThatRan.add(agent);
  const agentsHere = new Set(byAgent.keys());
  // The lines that cannot be read, by the agent their agent cell names (whole): an agent whose
  // runs here are all on such lines is listed (NO_BASELINE), never left out as if it never ran.
  const unreadByAgent = new Map<string, number[]>();
  unreadableCells.forEach((cells, i) => {
    const named = cells[AGENT_CELL];
    if (named === undefined || named === ANNOTATOR || !AGENT_NAME_PATTERN.test(named)) return;
    unreadByAgent.set(named, [...unreadByAgent.get(named) ?? [], unreadableLines[i]]);
  });
  // A misspelt name whose every run here was taken back (`annotate --invalidates`) is no check
  // unless asked for by name: a note, or a NO_BASELINE gate could never pass. Misspelt by the
  // recording warning's rule (looksMisspelt); any other agent (built in, with an agent file, or the
  // project's own) whose runs were all invalidated has no baseline: NO_BASELINE. When no other
  // agent ran here, the deliverable has no good run at all: its checks stay, NO_BASELINE.
  const ranAll = new Set([...byAgent.keys(), ...unreadByAgent.keys()]);
  // The names asked for as recorded here: `--agent 4_documents` is 4_DOCUMENTS, as in log.
  const askedHere = options.agents && inRecordedCase(options.agents, ranAll);
  const takenBack: string[] = [];
  for (const [agent, runs] of read.agents) {
    if (
      runs.allInvalidated && !unreadByAgent.has(agent) &&
      findProfile(agent, dir, undefined, lookups) === undefined &&
      await misspeltHere(agent, dir, read.firstLines, runs.lastLine, ranAll, lookups)
    ) takenBack.push(agent);
  }
  const withdrawn = takenBack.length === ranAll.size || (askedHere && !everyAgent)
    ? []
    : takenBack.filter((agent) => !askedHere?.includes(agent));
  for (const agent of sortUtf8(withdrawn)) {
    folderNotes.push(
      `every run of ${agent} here (${read.agents.get(agent)!.count}) is invalidated: not a check ` +
        `(stale --agent ${agent} gives its verdict)`,
    );
  }
  const ranHere = [...ranAll].filter((agent) => !withdrawn.includes(agent));
  // `everyAgent`: the agents asked for and every other that ran (propagation needs them all).
  const agents = askedHere === undefined
    ? sortUtf8(ranHere)
    : everyAgent
    ? sortUtf8([...new Set([...askedHere, ...ranHere])])
    : askedHere;
  const noBaseline = (agent: string, reason: string, notes = folderNotes): StaleCheck => ({
    folder,
    deliverableId: id,
    agent,
    verdict: "NO_BASELINE",
    inputs: [],
    outputs: [],
    reason,
    notes: [...notes],
  });
  // An invalidated or superseded run is never a baseline.
  const isBaseline = options.isBaseline ?? ((r: RunRecord) => isUsableBaseline(r, annotations));
  // It will not run again: its inputs are not compared (its relative paths resolve from where it
  // is now, not from where it ran); its last good run is shown, as it stood when retired.
  const retired = retiredReason(dir, lookups);
  if (retired !== undefined) {
    return (agents.length === 0 ? [""] : agents).map((agent): StaleCheck => {
      const chosen = pickBaseline(byAgent.get(agent) ?? [], isBaseline);
      return {
        folder,
        deliverableId: id,
        agent,
        verdict: "RETIRED",
        ...(chosen === undefined ? {} : { baseline: baselineOf(chosen) }),
        inputs: [],
        outputs: [],
        reason: `${retired}: it will not run again, so it is not compared, nor counted`,
        notes: [...folderNotes],
      };
    });
  }
  if (agents.length === 0) {
    const why = foreign > 0
      ? `no runs of ${id} recorded`
      : unreadableLines.length > 0
      ? "no readable run records"
      : "no runs recorded";
    return [noBaseline("", why)];
  }

  // Agents whose baselines name the same inputs share one look at the folder; those that name
  // others still share where its _REFERENCES.md leads.
  const governed = new Map<
    string,
    Promise<GovernedInputs & { relabelled: Map<string, string> }>
  >();
  const references: ReferenceMemo = {};
  const places = roots(dir);
  const allowOutside = options.allowOutside ?? false;
  const listable = new Map<string, boolean>();
  let writes: Map<string, RunRecord[]> | undefined;
  const holders: Holders = (path, hash) =>
    (writes ??= writesByPathAndHash(records)).get(`${path}\n${hash}`) ?? [];
  const isInvalidated = (record: RunRecord) =>
    annotationsFor(annotations, record).some((a) => a.kind === "invalidated");
  const writers = writersOf(holders, isInvalidated);
  // A run whose output on disk is compared with what it read: a baseline, or a good run a later
  // one superseded, whose bytes are there all the same (oracle-41 F1). An invalidated run is
  // named as the writer, never compared.
  const madeFromItsInputs = (run: RunRecord) =>
    isBaseline(run) || (isSuccessOrPartial(run) && !isInvalidated(run));
  // The governed inputs as `run` would read them now: its InputFiles, and the folders it was
  // given, walked again (a file added to one is a change: InputFiles lists only the files they
  // held; one gone since, or kept out by the outside rule now, its files say so, each once).
  const inputsNow = (run: RunRecord) => {
    const given = inputFoldersIn(run.Notes).filter((f) =>
      allowOutside || isInsideProject(resolve(dir, f), places.bounds, lookups)
    );
    const folders = given.filter((f) => lookups.stat(resolve(dir, f)) === "folder");
    // A folder given that is a file now (or a FIFO): the agent would read that under the name,
    // so it is governed, and added since the run, never left out as a folder gone (stale-47 F1).
    const turned = given.filter((f) => {
      const kind = lookups.stat(resolve(dir, f));
      return !(kind instanceof Error) && kind !== "folder";
    });
    // An input in a deliverable folder relabelled since the run (the ID stays, the label may
    // change: HOST_FORMATS) is read where it is now, under the path recorded (agent-trial F2).
    const relabelled = new Map<string, string>(); // the path now → the path recorded
    const files = [
      ...run.InputFiles.map((path) => {
        const moved = relabelledPath(dir, path, lookups);
        if (moved !== undefined) relabelled.set(moved, path);
        return moved ?? path;
      }),
      ...turned,
    ];
    const key = JSON.stringify([files, folders]);
    if (!governed.has(key)) {
      governed.set(
        key,
        governedInputsIn(dir, [...files, ...folders], {
          hash,
          lookups,
          references,
          allowOutside,
          ...places,
        }).then((now) => ({
          ...now,
          hashes: Object.fromEntries(
            Object.entries(now.hashes).map(([path, hash]) => [relabelled.get(path) ?? path, hash]),
          ),
          relabelled,
        })),
      );
    }
    return governed.get(key)!;
  };
  // How the governed inputs now differ from what `run` read; what is no change goes to `notes`.
  const changesSince = async (
    run: RunRecord,
    now: Awaited<ReturnType<typeof inputsNow>>,
    notes: string[],
    unread: string[] = [],
  ) => {
    const comparison = {
      dir,
      baseline: run,
      now: now.hashes,
      nowNotes: now.notes,
      errors: new Map<string, string | Error>(),
      writers,
      holders,
      lookups,
      bounds: places.bounds,
      allowOutside,
      listable,
      unread,
    };
    // Why each file that could not be hashed failed; one the outside rule keeps out is never read.
    const tbd = Object.entries(now.hashes).filter(([, h]) => h === TBD).map(([p]) =>
      resolve(dir, p)
    ).filter((path) => isRegularFile(path, lookups) && !keptOut(path, comparison));
    comparison.errors = await hash(tbd);
    for (const [moved, path] of now.relabelled) {
      notes.push(
        `input ${path}: read at ${moved}, its deliverable folder relabelled since the run`,
      );
    }
    return compareInputs(comparison, notes);
  };
  // An output on disk as another good run of the baseline's agent recorded it (two runs
  // overlapped and the one that started first finished last; a file put back) was made from what
  // that run read: it is compared too, as a second baseline for that output. Times cannot say this
  // (a duration may be a default or cut short); the bytes can. Every such run counts, whatever
  // other runs recorded the bytes again (a folder output, a run that failed); bytes that one of
  // them made from today's inputs are up to date. A path already changed since the baseline is
  // said once.
  const changesOf = new Map<RunRecord, Promise<FileChange[]>>();
  const changesSinceRun = (run: RunRecord) => {
    let changes = changesOf.get(run);
    if (changes === undefined) {
      changes = inputsNow(run).then((now) => changesSince(run, now, []));
      changesOf.set(run, changes);
    }
    return changes;
  };
  const sinceOutputWriters = async (
    baseline: RunRecord,
    outputs: readonly Pick<FileChange, "path" | "current">[],
    said: ReadonlySet<string>,
  ): Promise<FileChange[]> => {
    const wrote = new Map<RunRecord, string[]>();
    for (const { path, current } of outputs) {
      if (current === null) continue;
      const made = holders(path, current).filter((run) =>
        run !== baseline && run.AgentName === baseline.AgentName && madeFromItsInputs(run) &&
        !copiedFrom.has(run.DeliverableID)
      );
      // Of a run and the one that superseded it, both holding the bytes, the current one counts.
      const usable = made.filter(isBaseline);
      const runs = usable.length > 0 ? usable : made;
      let latest: RunRecord | undefined;
      for (const run of runs) {
        if ((await changesSinceRun(run)).length === 0) {
          latest = undefined;
          break;
        }
        if (latest === undefined || laterThan(run, latest)) latest = run;
      }
      if (latest !== undefined) wrote.set(latest, [...wrote.get(latest) ?? [], path]);
    }
    const found: FileChange[] = [];
    const seen = new Set(said);
    for (const [run, paths] of wrote) {
      // "As it recorded", not "what it wrote": the run that made the bytes may be another holder,
      // named as the output's writer.
      const one = paths.length === 1;
      const why = `since ${run.RunID} (${listed(paths)} on disk ${one ? "is" : "are"} as it ` +
        `recorded ${one ? "it" : "them"})`;
      for (const change of await changesSinceRun(run)) {
        if (seen.has(change.path)) continue;
        seen.add(change.path);
        const reason = change.reason === undefined ? why : `${why}; ${change.reason}`;
        found.push({ ...change, reason, since: run.RunID });
      }
    }
    return found;
  };
  // The outputs of the agent's other good runs that ended after the baseline started (they
  // overlapped it) and that it did not write, with their bytes now: made from what that run read,
  // whichever run started last (review-i 4). Runs that ended before it started are not asked
  // about: an agent that writes a dated report each run is compared by its latest run only.
  const overlappingOutputs = async (
    baseline: RunRecord,
    runs: FolderRecords["records"],
  ): Promise<Pick<FileChange, "path" | "current">[]> => {
    const paths = new Set<string>();
    for (const { record } of runs) {
      if (
        record === baseline || !madeFromItsInputs(record) || endMs(record) <= startMs(baseline)
      ) {
        continue;
      }
      for (const [path, written] of Object.entries(record.OutputHashes)) {
        if (SHA256_PATTERN.test(written) && !(path in baseline.OutputHashes)) paths.add(path);
      }
    }
    if (paths.size === 0) return []; // most checks: runs of one agent do not overlap
    const outside = { allowOutside, bounds: places.bounds, lookups };
    const files = sortUtf8([...paths]).map((path) => [path, resolve(dir, path)] as const)
      .filter(([, abs]) => !keptOut(abs, outside) && isRegularFile(abs, lookups));
    const hashes = await hash(files.map(([, abs]) => abs));
    return files.flatMap(([path, abs]) => {
      const current = hashes.get(abs);
      return typeof current === "string" ? [{ path, current }] : [];
    });
  };
  const checks = await Promise.all(agents.map(async (agent): Promise<StaleCheck> => {
    const runs = byAgent.get(agent) ?? [];
    const counted = read.agents.get(agent);
    if (counted === undefined) {
      const unread = unreadByAgent.get(agent);
      return noBaseline(
        agent,
        unread === undefined
          ? noRunsHere(agent)
          : `${agent}'s runs here are on ${RECORD_FILE} ${lineNumbers(unread)}, which cannot be ` +
            "read (see runrec validate): its staleness is unknown",
      );
    }
    const chosen = pickBaseline(runs, isBaseline);
    if (chosen === undefined) {
      // SUCCESS or PARTIAL runs that are no baseline were invalidated or superseded: say so.
      const { count, statuses, annotatedOut } = counted;
      return noBaseline(
        agent,
        `none of its ${count} run(s) is a baseline (SUCCESS or PARTIAL, not invalidated ` +
          `or superseded): ${[...statuses].map(([status, n]) => `${n} ${status}`).join(", ")}` +
          (annotatedOut > 0 ? `; ${annotatedOut} of them invalidated or superseded` : ""),
      );
    }
    const baseline = chosen.record;
    const givenFolders = inputFoldersIn(baseline.Notes);
    // Its inputs were never captured (a finish from the token after its pending run file went):
    // what it read is unknown, so nothing can be compared, nor called added (agent-trial F1).
    // Not so of a run given input folders that held no file: they held nothing, and a file
    // added to one since is a change.
    if (
      baseline.InputContextSHA === TBD && baseline.InputFiles.length === 0 &&
      Object.keys(baseline.InputHashes).length === 0 && givenFolders.length === 0
    ) {
      // A run that had none says so in its Notes (emit, finish, exec since stop 51): no input
      // named and no _REFERENCES.md, which naming its inputs mends, not another run alone.
      const noneGoverned = baseline.Notes.split(" | ").includes(NO_GOVERNED_INPUT);
      return noBaseline(
        agent,
        noneGoverned
          ? `its latest good run ${baseline.RunID} had no governed input (no input named, no ` +
            "_REFERENCES.md): what it read is unknown, so nothing can be compared; name what " +
            "the agent reads (--input) or list it in _REFERENCES.md"
          : `its latest good run ${baseline.RunID} recorded no inputs (InputContextSHA TBD: not ` +
            "captured at its start): what it read is unknown until the agent runs again",
      );
    }
    // The outputs are hashed with the inputs: one wait for the worker instead of two.
    const [now, outputs] = await Promise.all([
      inputsNow(baseline),
      compareOutputs(
        { dir, baseline, writers, lookups, bounds: places.bounds, allowOutside },
        hash,
      ),
    ]);
    const notes = [...folderNotes];
    // The latest by RunTimestamp is the baseline (file order is not time order, SCHEMA.md 8.3).
    // A run of the same host written after it but stamped as written before it (not replayed
    // from the spool, nor a backfill, which write late) is what a clock set back leaves: said, as
    // it may be the latest.
    // Not one made within a lock wait of the baseline: concurrent runs append in lock order.
    const laterLine = runs.find((e) =>
      e.line > chosen.line && isBaseline(e.record) && stampedBefore(e.record, baseline)
    );
    if (laterLine) {
      notes.push(
        `${laterLine.record.RunID} (line ${laterLine.line}) was written after the baseline but ` +
          `is stamped earlier (${laterLine.record.RunTimestamp}): the baseline is the latest by ` +
          "RunTimestamp; if a clock was wrong at either run (not a run recorded late with " +
          "--started, nor a merge of branches), that run is the latest",
      );
    }
    if (aheadOfNow(startMs(baseline) - CLOCK_SKEW_MS)) {
      notes.push(
        `the baseline ${baseline.RunID} is stamped ${baseline.RunTimestamp}, after this ` +
          "machine's clock: written by a host whose clock ran ahead, or edited; until then, a " +
          "run stamped earlier is taken for an older one (see runrec validate)",
      );
    }
    // Runs started as the baseline (branches merged) that read other inputs: which ran last
    // cannot be told. Ended alike too, no order is better than a coin toss: no verdict.
    const endedAlike: FolderRecords["records"] = [];
    for (const tied of runs) {
      if (tied === chosen || startMs(tied.record) !== startMs(baseline)) continue;
      const paths = isBaseline(tied.record) ? differingInputs(baseline, tied.record) : [];
      if (paths.length === 0) continue;
      if (endMs(tied.record) === endMs(baseline)) {
        endedAlike.push(tied);
        continue;
      }
      notes.push(
        `${tied.record.RunID} (line ${tied.line}) started as the baseline did but read other ` +
          `inputs (${listed(paths)}): which ran last cannot be told (branches merged?); the ` +
          "baseline is the one that ended later",
      );
    }
    if (endedAlike.length > 0) {
      const named = endedAlike.map((e) => `${e.record.RunID} (line ${e.line})`);
      const paths = sortUtf8([
        ...new Set(endedAlike.flatMap((e) => differingInputs(baseline, e.record))),
      ]);
      return noBaseline(
        agent,
        `${baseline.RunID} (line ${chosen.line}) and ${listed(named)} started and ended alike ` +
          `but read other inputs (${listed(paths)}): which ran last cannot be told (branches ` +
          `merged?); run ${agent} again to settle it`,
      );
    }
    // An empty folder gone leaves no file to say so (a folder's files say it themselves).
    for (const f of givenFolders) {
      const held = Object.keys(baseline.InputHashes).some((p) => p.startsWith(`${f}/`));
      if (!held && lookups.stat(resolve(dir, f)) instanceof Deno.errors.NotFound) {
        notes.push(`input folder ${JSON.stringify(f)} is gone since the run`);
      }
    }
    const notRead: string[] = [];
    const inputs = await changesSince(baseline, now, notes, notRead);
    const written = [...outputs, ...await overlappingOutputs(baseline, runs)];
    inputs.push(...await sinceOutputWriters(baseline, written, new Set(inputs.map((c) => c.path))));
    explainLineEndings(dir, [...inputs, ...outputs]);
    // Files the walk does not hash (references past those runrec follows, a linked folder) were
    // hashed neither by the run nor now: a change there is unseen, so no change found is no
    // CLEAN. Nor is it with a record line unread: the baseline may not be this one.
    // So are inputs the run did not read (outside the project): what they held is not known.
    const unseen = [
      ...[...new Set(now.unseen)].map((what) => `${what}, so a change there cannot be seen`),
      ...notRead,
    ];
    const mayMatter = unreadableLines.filter((_, i) =>
      mayBeBaselineOrItsAnnotation(unreadableCells[i], agent, baseline, runs, records, agentsHere)
    );
    if (inputs.length === 0 && (unseen.length > 0 || mayMatter.length > 0)) {
      const unread = mayMatter.length === 0 ? [] : [
        `nothing changed since ${baseline.RunID}, but ${RECORD_FILE} ${lineNumbers(mayMatter)} ` +
        `could not be read (see runrec validate): it may be a later run of ${agent} or an ` +
        "annotation of that run (restore it from git history if it was changed)",
      ];
      const said = mayMatter.length === unreadableLines.length;
      return noBaseline(
        agent,
        [...unread, ...unseen].join("; "),
        folderNotes.filter((n) => !said || n !== unreadNote),
      );
    }
    notes.push(...unseen);
    return {
      folder,
      deliverableId: id,
      agent,
      verdict: inputs.length > 0 ? "DIRTY" : "CLEAN",
      baseline: baselineOf(chosen),
      inputs,
      outputs,
      notes,
    };
  }));
  // V8 keeps alive the closure a call site called last (its feedback), and with it this scope:
  // the records would be held until another check's closure takes its place (propmem-40 F2).
  records.length = 0;
  byAgent.clear();
  writes = undefined;
  changesOf.clear();
  return checks;
}

/** A record as a check names its baseline. */
function baselineOf({ record, line }: FolderRecords["records"][number]): Baseline {
  return {
    RunID: record.RunID,
    RunStatus: record.RunStatus,
    RunTimestamp: record.RunTimestamp,
    line,
  };
}

/**
 * Checks the staleness of every deliverable the targets stand for (a
 * deliverable folder, or a folder such as an execution root beneath which
 * every deliverable folder is checked). Per deliverable and agent that has
 * run on it: the baseline is the agent's latest run that `isBaseline`
 * accepts (by RunTimestamp); its governed inputs are computed again as the
 * run would now (its `InputFiles`, the folders its Notes name as input
 * folders, `_REFERENCES.md` and what it lists now) and compared path by path
 * with its `InputHashes`; an input that cannot be read now is a change, unless it
 * could not be read at the run for the same reason (noted). An output no longer as
 * the baseline left it is put down to the run whose `OutputHashes` hold its bytes
 * now (by content, never by time); when that is another good run of the same agent,
 * that run's inputs are compared too, as for the baseline; so are those of such a run that ended
 * after the baseline started, for the files it wrote that the baseline did not. A deliverable that
 * will not run again (RETIRED in `_STATUS.md`, or in a tool root such as `_Archive/`) is a
 * `RETIRED` check: nothing compared. Each file is hashed once
 * however many checks name it, on worker threads for larger roots.
 *
 * With `propagate`, the ACTIVE rows of every `Dependencies.csv` in the
 * execution roots of the checked deliverables are followed from each DIRTY
 * deliverable to the deliverables that consume it, transitively; the
 * deliverables upstream of the targets are checked too (`upstream`), so a
 * target's answer is the one its execution root would give.
 *
 * A record file that cannot be read is named in `unreadable`, a folder
 * beneath a target that cannot be listed in `warnings`; the other
 * deliverables are checked all the same.
 *
 * @throws {InputError} for a missing target, one that holds no deliverable
 * folder, a folder that cannot be listed,
 * a missing permission to read a target's project (never a DIRTY verdict),
 * an agent of `agents` with no run in the deliverables checked and no agent file (misspelt?),
 * or, with `propagate`, a register row naming an ID two folders of one
 * execution root have (which one it means cannot be told).
 *
 * @example
 * ```ts
 * import { checkStaleness } from "@runrec/runrec";
 * const report = await checkStaleness(["PKG-01_Field_Instruments"], { propagate: true });
 * for (const check of report.checks) {
 *   console.log(check.verdict, check.deliverableId, check.agent, check.inputs.map((c) => c.path));
 * }
 * ```
 */
export async function checkStaleness(
  targets: readonly string[],
  options: StaleOptions = {},
): Promise<StaleReport> {
  checkStaleArguments(targets, options);
  for (const target of targets) requireReadable(target);
  const seen = new Set<string>();
  const folders: string[] = [];
  const warnings: string[] = [];
  // A folder that cannot be listed may hide deliverables: named, and the rest still checked.
  const unlistable = (dir: string, error: Error) => {
    warnings.push(
      `${dir}: cannot list folder (${failureReason(error)}): deliverables beneath it not checked`,
    );
  };
  // The search's listings answer where each folder really is and what it holds at the start
  // (spooled records, pending runs), with no look-up each.
  const walked = memoLookups();
  const listed = (dir: string, entries: readonly Deno.DirEntry[]) =>
    walked.list(resolve(dir), entries);
  // A tool root (`_Archive/`) holding record files is named: its deliverables are not checked.
  let skippedRecords = false; // a tool root holding record files was named (not looked in)
  const skippedToolRoot = toolRootsSkipped(targets, (folder, files) => {
    skippedRecords = true;
    noteSkippedToolRoot(folder, files);
  });
  // A target holding only linked work trees (`_worktrees/`): their note says where to look.
  let skippedWorktrees = false;
  const skippedWorktree = (folder: string) => {
    skippedWorktrees = true;
    noteSkippedWorktree(folder);
  };
  const empty: string[] = [];
  for (const target of targets) {
    const found = deliverableFolders(target, {
      unlistable,
      listed,
      skippedToolRoot,
      skippedWorktree,
    });
    if (found.length === 0) empty.push(target);
    for (const folder of found) {
      // By real path, as log and export count: a folder named twice (through a link) is one.
      const key = resolvedPath(resolve(folder), walked); // from the listings: no look-up each
      if (seen.has(key)) continue;
      seen.add(key);
      folders.push(folder);
    }
  }
  // "0 checks" and exit 0 for a slip of the path (0_References for 1_Working) would open a
  // staleness gate (trial-v F2): with nothing found at all, and nothing named that hides some,
  // it is refused; a target that holds none beside others that do is warned of (review-v F5).
  for (const target of empty) {
    // `stale . _Archive`: the target inside it holds them.
    const inside = (t: string) =>
      resolve(t) !== resolve(target) && isInside(resolve(t), resolve(target));
    if (targets.some(inside)) continue;
    // The note of the tool root or work tree skipped says where they are.
    if (skippedRecords || skippedWorktrees) continue;
    // A tool root (`stale _Archive`) may well hold none yet: said, no slip (review-w F6, review-x F8).
    const inToolRoot = toolRootOwner(resolve(target)) !== undefined;
    const why = `${target}: no deliverable folder (DEL-<pkg>-<n>_<Name>) in or beneath it` +
      enclosingDeliverable(target) +
      (inToolRoot ? "" : "; tool roots (_Archive) are looked in only when named");
    if (folders.length > 0 || warnings.length > 0 || inToolRoot) warnings.push(why);
    else throw new InputError(`${why}: a slip of the path?`);
  }
  // Whether a target is STALE depends on every deliverable upstream of it: those are checked
  // too, so that a deliverable named alone gets the answer its execution root would give.
  const graphs = options.propagate ? readGraphs(targets, folders, warnings) : undefined;
  const upstream = graphs === undefined ? [] : sortUtf8(
    graphs.flatMap((graph) => upstreamFolders(graph, folders.filter((f) => graph.has(f)))),
  );
  const all = [...folders, ...upstream];
  // Records not in their files yet are runs that happened: the verdicts are made without them
  // (a producer's spooled run hides a STALE), so say so, as log and export do.
  let spooled: ReturnType<typeof pendingRecords> = [];
  try {
    // The targets' folders are found already, nested ones included: their record files are
    // given, so that each folder is not searched again.
    spooled = pendingRecords([...folders.map((f) => join(f, RECORD_FILE)), ...upstream], {
      lookups: walked,
    });
  } catch { /* a folder that cannot be listed: its check names it */ }
  for (const p of spooled) {
    warnings.push(`${describePending(p)}; stale does not count them until then`);
  }
  // Runs kept in the user's temporary folder (their folder read-only at start) too, as verify
  // and log name them.
  const outside = keptOutsideOf();
  for (const folder of all) {
    // Most folders have no runs pending: their listing says so, with no look-up that fails and no
    // error made. One that cannot be looked in cannot be listed either: none to say.
    const own = walked.lstatKind(join(resolve(folder), PENDING_FOLDER)) === undefined
      ? []
      : listPendingRuns(folder);
    const runs = [...own, ...outside(folder)];
    if (runs.length > 0) warnings.push(describePendingRuns(folder, runs));
  }
  // The checks look again, each folder as its check starts (one listing): a file changed since
  // the search is judged as it is when its deliverable is checked, as `git status` does.
  const lookups = memoLookups();
  const roots = rootFinder(lookups);
  // Made before the first check looks: a look changed after its stamp is not kept. A caller's
  // own rule for a baseline is code no look can see: none kept then; none outside git either.
  // The recording layer sets up Node's compatibility (AsyncLocalStorage): loaded here only.
  const layer = options.isBaseline === undefined ? await import("./observed.ts") : undefined;
  const verdicts = layer && (await import("./verdict_cache.ts")).verdictCacheFor(all[0] ?? ".");
  // Started for the first file to read: with the hash cache filled, maybe none (no worker).
  let pool: FileHasher | undefined;
  const startPool = (paths: string[]) =>
    (pool ??= startFileHasher({
      workers: options.workers ?? (all.length >= WORKERS_FROM ? undefined : 0),
      states: true,
    })).hash(paths);
  const hasher = {
    // Its batches mix the checks' files, read where no recording sees them: each check notes its
    // own (`hash` below).
    hash: (paths: string[]) =>
      layer === undefined ? startPool(paths) : layer.outsideRecording(() => startPool(paths)),
    stateOf: (path: string) => pool?.stateOf(path),
  };
  const verdictKey = verdictKeys(options);
  // A run none of whose checks could be kept records none (a fresh clone, a read-only .git).
  const recorded = verdicts !== undefined &&
    all.some((folder) => verdicts.mayKeep(resolve(folder)));
  const saw = new Map<string, string>(); // what looks at folders first answered in this run
  // Files whose stat is as it was when they were last hashed are not read again.
  const cache = hashCacheFor(all[0] ?? ".", hasher, verdicts?.stamp);
  const hash: HashFilesFn = (paths) => {
    for (const path of paths) noteLook("hash", path); // read by a worker, or kept
    return cache.hash(paths);
  };
  const checks: StaleCheck[] = [];
  const upstreamChecks: StaleCheck[] = [];
  const unasked: StaleCheck[] = []; // the targets' checks of agents not asked for
  const unreadable: string[] = [];
  const agentsThatRan = new Set<string>();
  let filesHashed: number;
  let filesCached: number;
  // The layer's wrappers come off when the checks end: a library caller's process is its own again.
  const release = layer?.holdLayer();
  try {
    let done = 0;
    options.onProgress?.(0, all.length);
    // --agent limits the checks reported, not propagation: whether a deliverable is DIRTY, and
    // so its consumers STALE, is every agent's answer. Upstream ones are reported for every agent.
    const asked = options.agents && new Set(options.agents.map((a) => a.toUpperCase()));
    const perFolder = await mapConcurrently(all, FOLDERS_AT_ONCE, async (folder, i) => {
      const checkOptions = i < folders.length ? options : { ...options, agents: undefined };
      const judge = (ran: Set<string>) =>
        aloneWhenLong(join(folder, RECORD_FILE), (recordSize) =>
          checkFolder(
            folder,
            recordSize,
            checkOptions,
            hash,
            roots,
            lookups,
            ran,
            graphs !== undefined,
          ));
      let result: StaleCheck[] | string;
      if (verdicts === undefined) result = await judge(agentsThatRan);
      else {
        const dir = resolve(folder);
        const key = verdictKey(folder, checkOptions.agents);
        const kept = keptChecksOf(verdicts.kept(dir, key));
        // Given only with every hash it read kept too, so that the counts are judging's: a run
        // with the hash cache removed reads every file.
        if (kept !== undefined && cache.served(kept.hashed, verdicts.stat)) {
          result = kept.result;
          for (const agent of kept.ran) agentsThatRan.add(agent);
        } else if (!recorded) result = await judge(agentsThatRan);
        else {
          const ran = new Set<string>();
          const judged = await layer!.recording(() => judge(ran), saw);
          result = judged.result;
          for (const agent of ran) agentsThatRan.add(agent);
          if (judged.unkept === undefined) {
            const hashed = [...judged.seen].flatMap((look) =>
              look.startsWith("hash\t") ? [look.slice(5)] : []
            );
            verdicts.keep(dir, key, judged.seen, { result, ran: [...ran], hashed }, saw);
          } else verdicts.drop(dir);
        }
      }
      options.onProgress?.(++done, all.length);
      return result;
    });
    perFolder.forEach((result, i) => {
      if (typeof result === "string") unreadable.push(result);
      else if (i >= folders.length) upstreamChecks.push(...result);
      else {
        for (const check of result) {
          const wanted = asked === undefined || asked.has(check.agent.toUpperCase());
          (wanted ? checks : unasked).push(check);
        }
      }
    });
    filesHashed = pool?.hashed ?? 0;
    filesCached = cache.hits;
  } finally {
    pool?.close();
    release?.();
  }
  cache.save();
  verdicts?.save();
  if (options.agents !== undefined) {
    await refuseUnknownAgents(options.agents, agentsThatRan, folders);
    nameAsRecorded(checks, agentsThatRan);
  }
  const report: StaleReport = {
    checks,
    upstream: upstreamChecks,
    stale: [],
    retired: [],
    cycles: [],
    warnings,
    unreadable,
    filesHashed,
    filesCached,
  };
  // Each execution root is its own graph: a nested copy of a project keeps its IDs to itself.
  for (const graph of graphs ?? []) {
    const mine = (checks: StaleCheck[]) => checks.filter((c) => graph.has(c.folder));
    const targets = [...mine(report.checks), ...mine(unasked)];
    const found = await propagateStaleness(graph, [...targets, ...mine(report.upstream)]);
    // What is listed is the targets' answer: a reason that passes through no target of this root
    // (a sibling that consumes the same producer, a deliverable upstream) is another's to report.
    const targetIds = new Set(targets.map((c) => c.deliverableId));
    const throughTargets = (entries: StaleDeliverable[]) =>
      entries.flatMap((entry) => {
        const reasons = entry.reasons.filter((reason) =>
          reason.chain.some((edge) => targetIds.has(edge.producer) || targetIds.has(edge.consumer))
        );
        return reasons.length > 0 ? [{ ...entry, reasons }] : [];
      });
    report.stale.push(...throughTargets(found.stale));
    report.retired.push(...throughTargets(found.retired));
    // Cycles through the targets and those upstream or downstream of them: not a sibling's.
    const related = relatedDeliverables(graph, targetIds);
    report.cycles.push(...found.cycles.filter((cycle) => cycle.some((id) => related.has(id))));
    report.warnings.push(...found.warnings);
  }
  const byId = (a: StaleDeliverable, b: StaleDeliverable) =>
    a.deliverableId < b.deliverableId ? -1 : a.deliverableId > b.deliverableId ? 1 : 0;
  report.stale.sort(byId);
  report.retired.sort(byId);
  return report;
}

/** What is kept of a deliverable's checks: the result, the agents that ran, the files hashed. */
type KeptChecks = { result: StaleCheck[] | string; ran: string[]; hashed: string[] };

/** `value` as kept checks; `undefined` when it is not shaped as they are written (damaged). */
function keptChecksOf(value: unknown): KeptChecks | undefined {
  const strings = (list: unknown) =>
    Array.isArray(list) && list.every((item) => typeof item === "string");
  const isCheck = (check: unknown) => {
    const c = check as Record<string, unknown> | null;
    return typeof c === "object" && c !== null &&
      ["folder", "deliverableId", "agent", "verdict"].every((k) => typeof c[k] === "string") &&
      Array.isArray(c.inputs) && Array.isArray(c.outputs) && strings(c.notes);
  };
  const kept = value as Partial<KeptChecks> | null;
  const fine = typeof kept === "object" && kept !== null && strings(kept.ran) &&
    strings(kept.hashed) &&
    (typeof kept.result === "string" || (Array.isArray(kept.result) && kept.result.every(isCheck)));
  return fine ? kept as KeptChecks : undefined;
}

/**
 * The environment variables the judging reads, or git would: which repository, which work tree,
 * where `~` is. Read in a check, any variable is recorded among its looks as well.
 */
const VERDICT_VARIABLES = [
  "HOME",
  "USERPROFILE",
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_COMMON_DIR",
  "GIT_CEILING_DIRECTORIES",
  "GIT_DISCOVERY_ACROSS_FILESYSTEM",
];

/**
 * What a deliverable's kept checks are kept under: runrec's version (the rules), the options that
 * change a verdict (`propagate` checks every agent), the working folder, the variables that say
 * which repository and which home; then the folder as named (checks say it) and its agents.
 */
function verdictKeys(options: StaleOptions): (folder: string, agents: unknown) => string {
  const run = JSON.stringify([
    VERSION,
    import.meta.url,
    options.allowOutside ?? false,
    options.propagate ?? false,
    Deno.cwd(),
    VERDICT_VARIABLES.map((name) => optionalEnv(name) ?? null),
  ]);
  return (folder, agents) => `${run}${JSON.stringify([folder, agents ?? null])}`;
}

/**
 * Refuses an agent asked for that has no run in any deliverable checked and that runrec does not
 * know (no agent file, not built in): most likely misspelt, and its NO_BASELINE checks alone
 * would pass a CI gate (trial-t F4). One that has an agent file but no run yet is NO_BASELINE.
 *
 * @throws {InputError} naming the first such agent, the agents that ran, and a near name.
 */
async function refuseUnknownAgents(
  asked: readonly string[],
  ran: ReadonlySet<string>,
  folders: readonly string[],
): Promise<void> {
  const ranAnyCase = new Set([...ran].map((a) => a.toUpperCase()));
  const known = (agent: string) =>
    ranAnyCase.has(agent.toUpperCase()) ||
    folders.some((folder) =>
      findProfile(agent, folder) !== undefined ||
      findProfile(agent.toUpperCase(), folder) !== undefined
    );
  const unknown = asked.find((agent) => !known(agent));
  if (unknown === undefined) return;
  const reason = await agentNotFoundReason(
    unknown,
    "no run by that agent in the deliverables checked, and no agent file names it",
    sortUtf8([...ran]),
  );
  // Named as the caller knows the option: `agents` here, `--agent` on the command line.
  throw new OptionError((name) => `${name("agents")} ${unknown}: ${reason}`);
}

/** The reason of a NO_BASELINE check of an agent asked for that has no run in its folder. */
function noRunsHere(agent: string): string {
  return `${agent} has no runs here`;
}

/**
 * Names each agent asked for that has no run in its check's folder as the records of the other
 * folders checked spell it (`--agent 4_documents` is 4_DOCUMENTS, which ran elsewhere), or, where
 * none of them holds it in any case, as its agent file does, and says so: a name as typed reads
 * as one the records hold.
 */
function nameAsRecorded(checks: StaleCheck[], ran: ReadonlySet<string>): void {
  for (const check of checks) {
    const { agent } = check;
    if (check.reason !== noRunsHere(agent)) continue;
    const same = sortUtf8([...ran].filter((r) => r.toUpperCase() === agent.toUpperCase()));
    const filed = findProfile(agent, check.folder) === undefined &&
      findProfile(agent.toUpperCase(), check.folder) !== undefined;
    check.agent = same[0] ?? (filed ? agent.toUpperCase() : agent);
    check.reason = noRunsHere(check.agent) +
      (same.length > 0 ? "" : ", nor in any other deliverable checked");
  }
  // `--agent 4_documents --agent 4_DOCUMENTS` asks for one agent: one check a folder.
  const seen = new Set<string>();
  const once = checks.filter((c) => {
    const key = JSON.stringify([c.folder, c.agent]);
    return !seen.has(key) && seen.add(key);
  });
  checks.splice(0, checks.length, ...once);
}

/**
 * The agents of `asked` as `recorded` spells them: each name is every recorded one equal to it in
 * any case, or itself when none is (an agent with no run here: NO_BASELINE).
 */
function inRecordedCase(asked: readonly string[], recorded: ReadonlySet<string>): string[] {
  return [
    ...new Set(asked.flatMap((name) => {
      const same = [...recorded].filter((r) => r.toUpperCase() === name.toUpperCase());
      return same.length > 0 ? same : [name];
    })),
  ];
}
