/**
 * Pending runs: runs that were started (`runrec start`, `exec`, `withRun`)
 * and are not finished yet. Each is one JSON file in the deliverable's
 * git-ignored `.runrec/pending/` folder, written durably (temporary file,
 * fsync, rename), so that the run of an agent that crashes survives to be
 * reaped. The file's path is the run's token.
 *
 * This module keeps, reads and lists the runs' files (in the deliverable
 * folder, or outside it when the folder is read-only). A finisher (`finish`,
 * `reap`) claims a pending run by renaming its file (./run_claims.ts), so
 * each run is written once; a run `reap` wrote as FAILED moves to
 * `.runrec/reaped/` (./reaped_runs.ts), so that its agent's late `finish` can
 * still record what the agent did (see `finishPendingRun` in ./run.ts). The
 * records of runs are found by ./recorded_runs.ts; the markers of a finish
 * without a claimable file by ./finish_markers.ts, exec's by
 * ./command_markers.ts; the runs' ids by ./run_ids.ts.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "./path.ts";
import { failureReason, InputError } from "./errors.ts";
import type { RunStartState } from "./hook.ts";
import { hostname } from "./lock.ts";
import { privateFolderProblem, sharedSpoolFolder } from "./spool_folders.ts";
import {
  inStateFolder,
  linkedStateFolder,
  makeFolders,
  notAFile,
  writeFileDurably,
} from "./state_folder.ts";
import type { FileMark } from "./appended.ts";
import { pathArgument } from "./shell_word.ts";
import { PENDING_FOLDER, REAPED_FOLDER } from "./run_files.ts";
import { FILE, isRunId, runIdStart } from "./run_ids.ts";
import { claimHolder } from "./run_claims.ts";
import { directLookups, resolvedPath } from "./lookups.ts";

/** The folder of markers of runs recorded from their token alone (their pending file gone). */
export const LOST_FOLDER = ".runrec/lost";

export { PENDING_FOLDER, REAPED_ERROR, REAPED_FOLDER } from "./run_files.ts";

/** A started run, as kept until it is finished. */
export interface PendingRun {
  /** The run's id, also its file's name: `20260222T101500123Z-1a2b3c4d`. */
  id: string;
  /** The agent's name. */
  agent: string;
  /** The pass directive, when given. */
  pass?: string;
  /** The process whose end means the agent crashed (on `host`); none: only age tells. */
  pid?: number;
  /** The machine the run started on. */
  host: string;
  /**
   * The git commit checked out at start, when the inputs were hashed (`""`
   * outside a work tree; absent in runs an older runrec started). The
   * record's GitHead is the one at the end: a note names both when they differ.
   */
  gitHead?: string;
  /** What the start fixed: time, StatusBefore, the governed inputs' hashes. */
  start: RunStartState;
  /** The deliverable folder (absolute), for a run kept outside it (the folder was read-only). */
  delDir?: string;
  /**
   * The files of the deliverable folder at start (relative, runrec's own left
   * out): an output missing at finish that is not among them never existed.
   */
  files?: string[];
  /**
   * The folders listed to find `files` (relative, `""` the deliverable
   * folder): an output in any other folder (`node_modules`, a linked or
   * unreadable one) may have existed at start.
   */
  folders?: string[];
  /**
   * The folders found at start but not listed (relative: a linked or an
   * unreadable one); `.git` and `node_modules` never are. Absent in runs an
   * older runrec started: then only an output directly in a listed folder
   * can be told never to have existed.
   */
  unlisted?: string[];
  /**
   * The current folder of the start (absolute), when it could be read: an
   * output named from there is found by a finish run from another folder.
   */
  cwd?: string;
  /**
   * Where `RunRecords.csv` ended at start, taken before the start's time:
   * the records of the runs active
   * meanwhile, and the run's own, were appended after it, so a finish reads
   * only what follows while the file was only appended to since. Absent when
   * there was no file, and in runs an older runrec started: the finish reads
   * the whole file.
   */
  recordsAtStart?: FileMark;
  /**
   * The highest SEQ of the run's RunID prefix (`RUN-<id>-<YYYYMMDD>-<HHmm>-`
   * of its start) in `RunRecords.csv` where it ended at `recordsAtStart`,
   * where the SEQ index answered for it at start: the finish reads only the
   * lines past the mark for its RunID's SEQ while the file was only appended
   * to since (finish-40 F3). Absent otherwise, and in runs an older runrec
   * started: the finish reads the whole file when the start's minute is
   * earlier than the file's latest.
   */
  seqAtStart?: { prefix: string; seq: number };
  /**
   * The linked work tree the run was started in and its branch, in the copy kept in the common
   * git folder (./kept_runs.ts): named in its FAILED record once that work tree is removed.
   */
  keptFrom?: { workTree: string; branch?: string };
}

/** A pending run as a listing finds it. */
export interface PendingItem {
  /** The file's current path (a claimed run's claim name). */
  path: string;
  /** The run's id. */
  id: string;
  /** The run, when its file could be read. */
  run?: PendingRun;
  /** Who claimed it (`pid@host~start`, or an older runrec's `pid@host`), when a finisher has it. */
  claimedBy?: string;
  /** Why the file cannot be read, when it cannot. */
  problem?: string;
  /** Whether the file is damaged (emptied, cut): finish records the run from its token alone. */
  damaged?: boolean;
}

/**
 * The path of a pending run's file: its token.
 *
 * @example
 * ```ts
 * import { pendingPath } from "./pending.ts";
 * pendingPath("/p/DEL-01-02_X", "20260222T101500123Z-1a2b3c4d");
 * // "/p/DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json"
 * ```
 */
export function pendingPath(delDir: string, id: string): string {
  return join(resolve(delDir), PENDING_FOLDER, `${id}.json`);
}

/**
 * Where a reaped run's file is kept: `<delDir>/.runrec/reaped/<id>.json`.
 *
 * @example
 * ```ts
 * import { reapedPath } from "./pending.ts";
 * reapedPath("/p/DEL-01-02_X", "20260222T101500123Z-1a2b3c4d");
 * // "/p/DEL-01-02_X/.runrec/reaped/20260222T101500123Z-1a2b3c4d.json"
 * ```
 */
export function reapedPath(delDir: string, id: string): string {
  return join(resolve(delDir), REAPED_FOLDER, `${id}.json`);
}

/**
 * The deliverable folder and run id a token names, or `undefined` when
 * `token` is not the path of a pending run's file: in a deliverable's
 * `.runrec/pending/`, or in a folder named as this user's
 * {@linkcode outsidePendingFolder}, wherever it is (start's `$TMPDIR` may not
 * be finish's; the run names its deliverable folder; the folder must pass the
 * spool's private-folder check, else {@linkcode InputError}).
 *
 * @example
 * ```ts
 * import { parseToken } from "./pending.ts";
 * parseToken("/p/DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json");
 * // { delDir: "/p/DEL-01-02_X", id: "20260222T101500123Z-1a2b3c4d" }
 * ```
 */
export function parseToken(
  token: string,
): { delDir: string; id: string; path: string } | undefined {
  const path = resolve(token);
  const name = FILE.exec(basename(path));
  if (!name || name[2] !== undefined) return undefined;
  const folder = dirname(path);
  if (basename(folder) === "pending" && basename(dirname(folder)) === ".runrec") {
    return { delDir: dirname(dirname(folder)), id: name[1], path };
  }
  // Kept outside its deliverable folder: in this user's private folder of such runs, under
  // whatever temporary folder start had (a finish's TMPDIR may differ); the file names the folder.
  const own = outsidePendingFolder();
  if (own === undefined || basename(folder) !== basename(own)) return undefined;
  let problem: string | undefined;
  try {
    problem = privateFolderProblem(folder);
  } catch { /* no such folder: the run is read below, and said gone */ }
  if (problem) {
    throw new InputError(`${token}: not taken as a run token: its folder ${folder} is ${problem}`);
  }
  let run: PendingRun;
  try {
    run = readOutsideRun(path);
  } catch (e) {
    if ((e as Error).cause instanceof Deno.errors.NotFound) {
      throw new InputError(
        `${token}: no pending run ${name[1]}: finished already (runrec log says), or its file ` +
          "was removed; to record the run: runrec emit <del-dir> --agent NAME --status S ...",
      );
    }
    throw e;
  }
  if (typeof run.delDir !== "string") {
    throw new InputError(`${token}: not a pending run: it names no deliverable folder`);
  }
  return { delDir: run.delDir, id: name[1], path };
}

/**
 * The run kept outside its folder at `path`, read from its file or, once
 * reaped, from the copy kept for its late finish ({@linkcode reapedPlace});
 * from a claim of either while a finisher holds it (a reap killed mid-way
 * leaves its claim): the run names its folder.
 */
function readOutsideRun(path: string): PendingRun {
  for (const file of [path, join(dirname(path), OUTSIDE_REAPED, basename(path))]) {
    const holder = claimHolder(file);
    for (const at of [file, ...(holder === undefined ? [] : [`${file}.claim-${holder}`])]) {
      try {
        return readPendingRun(at);
      } catch (e) {
        if (!((e as Error).cause instanceof Deno.errors.NotFound)) throw e;
      }
    }
  }
  return readPendingRun(path); // in none of its places: said as gone
}

/**
 * Where a started run is kept when its deliverable folder cannot hold it (a
 * read-only folder): the user's own `runrec-pending-<uid>` in the temporary
 * folder, as the spool keeps records; `undefined` where the user's id
 * cannot be read.
 *
 * @example
 * ```ts
 * import { outsidePendingFolder } from "./pending.ts";
 * outsidePendingFolder(); // "/tmp/runrec-pending-1000" for user 1000
 * ```
 */
export function outsidePendingFolder(): string | undefined {
  const spool = sharedSpoolFolder();
  return spool === undefined
    ? undefined
    : join(dirname(spool), basename(spool).replace("runrec-spool", "runrec-pending"));
}

/**
 * Keeps a started run: in its deliverable folder ({@linkcode savePendingRun}),
 * or, when that fails (a read-only folder, a full disk), in
 * {@linkcode outsidePendingFolder}, with a note saying so. Returns the token
 * and the run as kept; throws the folder's error when neither place takes it.
 *
 * @example
 * ```ts
 * import { keepPendingRun } from "./pending.ts";
 * declare const run: import("./pending.ts").PendingRun;
 * const { token } = keepPendingRun("DEL-01-02_X", run);
 * ```
 */
export function keepPendingRun(
  delDir: string,
  run: PendingRun,
): { token: string; run: PendingRun } {
  try {
    return { token: savePendingRun(delDir, run), run };
  } catch (e) {
    const folder = outsidePendingFolder();
    if (folder === undefined) throw e;
    const why = (e as Error).message.split("\n")[0];
    const notes = [...run.start.notes, `pending run kept in ${folder} (${why})`];
    const kept: PendingRun = { ...run, start: { ...run.start, notes } };
    try {
      return keepOutside(delDir, kept, folder);
    } catch (outside) {
      // Both places, as emit names both spool folders: the second is often the one to fix
      // (a $TMPDIR that is a file: env-signals F6).
      throw new Error(`${why}; nor in ${folder}: ${failureReason(outside as Error)}`);
    }
  }
}

/** Keeps `run` of `delDir` in `folder`, this user's {@linkcode outsidePendingFolder}. */
function keepOutside(
  delDir: string,
  run: PendingRun,
  folder: string,
): { token: string; run: PendingRun } {
  const kept: PendingRun = { ...run, delDir: resolve(delDir) };
  const token = inStateFolder(
    folder,
    () => writeRunFile(join(folder, `${run.id}.json`), kept),
    PRIVATE_FOLDER,
  );
  return { token, run: kept };
}

/**
 * Keeps a copy of the run `exec` holds in memory, its deliverable folder not
 * there yet (CMD is to create it), in this user's
 * {@linkcode outsidePendingFolder}: should `exec` die, `reap` of a folder
 * above finds it there and writes it FAILED, where the run would have left no
 * trace (trial-37 F7). Its path, or `undefined` when it cannot be kept (best
 * effort: the run is recorded from memory all the same). `exec` finishes the
 * run by the copy, as by a token: removed once its record is written (or its
 * lost-record line printed), left pending for `reap` when neither can be.
 *
 * @example
 * ```ts
 * import { keepCrashCopy } from "./pending.ts";
 * declare const run: import("./pending.ts").PendingRun;
 * const copy = keepCrashCopy("DEL-01-05_New", run);
 * ```
 */
export function keepCrashCopy(delDir: string, run: PendingRun): string | undefined {
  const folder = outsidePendingFolder();
  if (folder === undefined) return undefined;
  try {
    return keepOutside(delDir, run, folder).token;
  } catch {
    return undefined;
  }
}

/**
 * As the spool's: a folder another user could write into must not hold runs, nor markers.
 *
 * @example
 * ```ts
 * import { PRIVATE_FOLDER } from "./pending.ts";
 * import { inStateFolder } from "./state_folder.ts";
 * inStateFolder("/tmp/runrec-pending-1000", () => "kept", PRIVATE_FOLDER);
 * ```
 */
export const PRIVATE_FOLDER = {
  mode: 0o700,
  check: (folder: string) => {
    const problem = privateFolderProblem(folder);
    if (problem) throw new Error(problem);
  },
};

/**
 * Keeps a started run durably in `<delDir>/.runrec/pending/` (temporary
 * file, fsync, rename; the folder is git-ignored) and returns its path.
 *
 * @example
 * ```ts
 * import { savePendingRun } from "./pending.ts";
 * declare const run: import("./pending.ts").PendingRun;
 * const token = savePendingRun("DEL-01-02_X", run);
 * ```
 */
export function savePendingRun(delDir: string, run: PendingRun): string {
  const path = pendingPath(delDir, run.id);
  return inStateFolder(dirname(dirname(path)), () => {
    makeFolders(dirname(path));
    return writeRunFile(path, run);
  });
}

/** Writes a run's file durably (temporary file, fsync, rename) and returns its path. */
function writeRunFile(path: string, run: PendingRun): string {
  writeFileDurably(path, JSON.stringify(run, null, 1) + "\n");
  return path;
}

/**
 * Reads a pending run's file; throws {@linkcode InputError} naming the file
 * when it is not one.
 *
 * @example
 * ```ts
 * import { readPendingRun } from "./pending.ts";
 * const run = readPendingRun("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json");
 * console.log(run.agent);
 * ```
 */
export function readPendingRun(path: string): PendingRun {
  let run: PendingRun;
  try {
    run = JSON.parse(readBounded(path));
  } catch (e) {
    // JSON.parse quotes the text it choked on, line breaks and all: say what it is instead.
    if (e instanceof SyntaxError) throw new DamagedRunFile(path, "not valid JSON", { cause: e });
    throw new InputError(`${path}: not a pending run: ${(e as Error).message.split("\n")[0]}`, {
      cause: e,
    });
  }
  const start = run?.start;
  if (
    typeof run !== "object" || run === null || !isRunId(run.id) ||
    typeof run.agent !== "string" || typeof start !== "object" || start === null ||
    typeof start.started !== "string" || typeof start.statusBefore !== "string" ||
    !Array.isArray(start.inputFiles) || typeof start.inputHashes !== "object" ||
    !Array.isArray(start.notes)
  ) {
    throw new DamagedRunFile(path, "a field is missing or of the wrong type");
  }
  // What start wrote agrees with itself: a file edited by hand (a start time moved, a run
  // copied from another folder) would be recorded as a run that never happened.
  const named = FILE.exec(basename(path))?.[1];
  const forged = named !== undefined && named !== run.id
    ? `its id ${run.id} is not its file's name`
    : start.started !== runIdStart(run.id)
    ? `its start time ${start.started} is not its id's (${runIdStart(run.id)}): edited by hand?`
    : undefined;
  if (forged) throw new InputError(`${path}: not a pending run: ${forged}`);
  // Only a duration's measure (clock-sweep F4): one that is no uptime is dropped, not trusted,
  // and so is another host's (a folder shared): its uptime measures nothing here.
  const up = start.startedUptimeMs;
  if (up !== undefined && (!(Number.isSafeInteger(up) && up >= 0) || run.host !== hostname())) {
    delete start.startedUptimeMs;
  }
  return run;
}

/**
 * A pending run's file that is not JSON or lacks a field (emptied or cut by a
 * sync tool, a crash, a hand edit): it tells no more than its token, so
 * `finish <token> --agent NAME` records the run from the token, as for a file
 * gone. `reap` leaves it: the agent a record needs is in the damaged part.
 */
export class DamagedRunFile extends InputError {
  constructor(override readonly path: string, readonly damage: string, options?: ErrorOptions) {
    super(
      `${path}: damaged pending run (${damage}): runrec finish ${
        pathArgument(canonicalName(path))
      } ` +
        "--agent NAME --status S records the run from its token (inputs TBD)",
      options,
    );
  }
}

/** A run file's name without a claim's suffix: the token its start printed. */
function canonicalName(path: string): string {
  return path.replace(/\.claim-[^/\\]*$/, "");
}

/** The most a pending run's file holds: its folder's file list, however large, fits. */
const PENDING_FILE_MAX = 64 * 1024 * 1024;

/**
 * The text of a pending run's file, refused up front when it is not a regular
 * file (a FIFO would wait for a writer, a device read without end) or is
 * larger than start ever writes.
 *
 * @example
 * ```ts
 * import { readBounded } from "./pending.ts";
 * JSON.parse(readBounded("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json"));
 * ```
 */
export function readBounded(path: string): string {
  const info = Deno.statSync(path);
  if (!info.isFile) throw new Error("not a regular file");
  if (info.size > PENDING_FILE_MAX) throw new Error(`larger than ${PENDING_FILE_MAX} bytes`);
  return Deno.readTextFileSync(path);
}

/**
 * Every pending run of a deliverable folder, waiting or claimed, oldest
 * first; none when it has no `.runrec/pending/`.
 *
 * @example
 * ```ts
 * import { listPendingRuns } from "./pending.ts";
 * for (const item of listPendingRuns("DEL-01-02_X")) console.log(item.id, item.run?.agent);
 * ```
 */
export function listPendingRuns(delDir: string): PendingItem[] {
  return listRunFiles(join(resolve(delDir), PENDING_FOLDER));
}

/**
 * Every reaped run of a deliverable folder that its agent can still finish
 * (see {@linkcode keepReapedRun}), oldest first.
 *
 * @example
 * ```ts
 * import { listReapedRuns } from "./pending.ts";
 * for (const item of listReapedRuns("DEL-01-02_X")) console.log(item.id, item.run?.agent);
 * ```
 */
export function listReapedRuns(delDir: string): PendingItem[] {
  return listRunFiles(join(resolve(delDir), REAPED_FOLDER));
}

/**
 * The reaped runs of a deliverable folder that a finisher holds (a late
 * finish under way, or one that died holding it), oldest first.
 *
 * @example
 * ```ts
 * import { listReapedClaims } from "./pending.ts";
 * for (const item of listReapedClaims("DEL-01-02_X")) console.log(item.id, item.claimedBy);
 * ```
 */
export function listReapedClaims(delDir: string): PendingItem[] {
  return listRunFiles(join(resolve(delDir), REAPED_FOLDER), true);
}

/**
 * The reaped runs kept outside their deliverable folders for their agents'
 * late finish ({@linkcode reapedPlace}), each naming its folder in
 * `run.delDir`, oldest first.
 *
 * @example
 * ```ts
 * import { listOutsideReapedRuns } from "./pending.ts";
 * for (const item of listOutsideReapedRuns()) console.log(item.run?.delDir, item.id);
 * ```
 */
export function listOutsideReapedRuns(): PendingItem[] {
  const folder = outsidePendingFolder();
  return folder === undefined ? [] : listRunFiles(join(folder, OUTSIDE_REAPED));
}

/**
 * The runs kept outside their deliverable folders (`keepPendingRun`),
 * each naming its folder in `run.delDir`, oldest first.
 *
 * @example
 * ```ts
 * import { listOutsidePendingRuns } from "./pending.ts";
 * for (const item of listOutsidePendingRuns()) console.log(item.run?.delDir, item.id);
 * ```
 */
export function listOutsidePendingRuns(): PendingItem[] {
  const folder = outsidePendingFolder();
  return folder === undefined ? [] : listRunFiles(folder);
}

/**
 * The runs kept outside `delDir` (`keepPendingRun`: the folder was read-only at start) that name
 * it, as `reap` finds them: through a symbolic link or not, as start named it.
 *
 * @example
 * ```ts
 * import { keptOutside } from "./pending.ts";
 * keptOutside("DEL-01-02_Flow").map((item) => item.id); // its runs started while it was read-only
 * ```
 */
export function keptOutside(delDir: string): PendingItem[] {
  return keptOutsideOf()(delDir);
}

/**
 * A folder's runs waiting for their finish or reap, for a look at many folders (verify, log,
 * export of a root): those in it ({@linkcode listPendingRuns}) and those kept outside it
 * ({@linkcode keptOutside}). The user's kept runs, other projects' too, are read and their folders
 * resolved once for all the folders: a root's every folder resolved every kept run's links again.
 *
 * @example
 * ```ts
 * import { pendingRunsByFolder } from "./pending.ts";
 * const runsOf = pendingRunsByFolder();
 * for (const dir of ["DEL-01-02_Flow", "DEL-01-03_Level"]) console.log(dir, runsOf(dir).length);
 * ```
 */
export function pendingRunsByFolder(): (delDir: string) => PendingItem[] {
  const kept = keptOutsideOf();
  return (delDir) => [...listPendingRuns(delDir), ...kept(delDir)];
}

/**
 * {@linkcode keptOutside} of any folder, the runs kept outside read once: for a look at many
 * folders that lists their own pending runs itself (stale).
 *
 * @example
 * ```ts
 * import { keptOutsideOf } from "./pending.ts";
 * const outside = keptOutsideOf();
 * outside("DEL-01-02_Flow").length; // 0 unless a run of it was kept outside
 * ```
 */
export function keptOutsideOf(): (delDir: string) => PendingItem[] {
  const kept = listOutsidePendingRuns().flatMap((item) => {
    const named = item.run?.delDir;
    if (named === undefined) return [];
    // A folder gone since has no real path: only a folder named as it is can be it.
    const real = directLookups.realPath(named);
    return [{ item, named, real: typeof real === "string" ? real : undefined }];
  });
  const anyThere = kept.some((k) => k.real !== undefined);
  return (delDir) => {
    if (kept.length === 0) return [];
    const named = resolve(delDir);
    // Links resolved only where a kept run's folder is there to be reached through one.
    const real = anyThere ? resolvedPath(named) : undefined;
    return kept.filter((k) => k.named === named || (k.real !== undefined && k.real === real))
      .map((k) => k.item);
  };
}

/** The run files of a folder of pending or reaped runs (`claimedOnly`: those a finisher holds). */
function listRunFiles(folder: string, claimedOnly = false): PendingItem[] {
  // None when it cannot be listed: none yet, or said when a run is started or finished there.
  const items: PendingItem[] = [];
  // Nor through a link: it leads out of the deliverable (start refuses to keep a run there).
  if (linkedStateFolder(folder) !== undefined) return items;
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(folder)].sort((a, b) => a.name < b.name ? -1 : 1);
  } catch { /* none */ }
  for (const entry of entries) {
    const match = FILE.exec(entry.name);
    if (!match || (claimedOnly && match[2] === undefined)) continue;
    const item: PendingItem = { path: join(folder, entry.name), id: match[1] };
    if (match[2] !== undefined) item.claimedBy = match[2];
    // A link, folder or FIFO under a run file's name is named, never taken for no run (bad-input F2).
    if (!entry.isFile) {
      const what = notAFile(entry);
      items.push({ ...item, problem: `${item.path}: ${what}, not a run file runrec wrote` });
      continue;
    }
    try {
      item.run = readPendingRun(item.path);
    } catch (e) {
      if ((e as Error).cause instanceof Deno.errors.NotFound) continue; // finished meanwhile
      item.problem = (e as Error).message;
      if (e instanceof DamagedRunFile) item.damaged = true;
    }
    items.push(item);
  }
  return items;
}

/**
 * The folder, beside the runs kept outside their folders, of those `reap` wrote as FAILED.
 *
 * @example
 * ```ts
 * import { OUTSIDE_REAPED, outsidePendingFolder } from "./pending.ts";
 * import { join } from "./path.ts";
 * const folder = outsidePendingFolder();
 * if (folder) console.log(join(folder, OUTSIDE_REAPED)); // "/tmp/runrec-pending-1000/reaped"
 * ```
 */
export const OUTSIDE_REAPED = "reaped";
