/**
 * Pending runs: runs that were started (`runrec start`, `exec`, `withRun`)
 * and are not finished yet. Each is one JSON file in the deliverable's
 * git-ignored `.runrec/pending/` folder, written durably (temporary file,
 * fsync, rename), so that the run of an agent that crashes survives to be
 * reaped. The file's path is the run's token.
 *
 * A finisher (`finish`, `reap`) claims a pending run by renaming its file to
 * `<id>.json.claim-<pid>@<host>`: of two racing finishers one wins the rename,
 * so each run is written once. A run `reap` wrote as FAILED moves to
 * `.runrec/reaped/`, so that its agent's late `finish` can still record what
 * the agent did (see `finishPendingRun` in ./run.ts).
 *
 * @module
 */
import { basename, dirname, join, resolve } from "./path.ts";
import { failureReason, InputError } from "./errors.ts";
import type { RunStartState } from "./hook.ts";
import { hostname, isZombie, notTheHolder, pidAlive } from "./lock.ts";
import { listSpool, privateFolderProblem, sharedSpoolFolder, spoolEntryOf } from "./spool.ts";
import {
  fileNamesIn,
  inStateFolder,
  linkedStateFolder,
  notAFile,
  removeAbandonedTemporaries,
  syncFolder,
  writeFileDurably,
} from "./state_folder.ts";
import { type ReadEnd, readRecords, readRecordsOn } from "./reader.ts";
import { mayName, namedOnlyPast, readNamedLines } from "./named_lines.ts";
import type { FileMark } from "./appended.ts";
import { heldByGit, journaledLines } from "./journal.ts";
import { decodeRecord } from "./codec.ts";
import { NAMED_RUNS } from "./agent_notes.ts";
import type { RunRecord } from "./schema.ts";
import { RECORD_FILE, type RecordDraft, type SeqAtStart } from "./store.ts";
import { holdsNoDeliverables, kindOf, walk } from "./walk.ts";
import { CLOCK_SKEW_MS, parseDuration, parseInstant } from "./time.ts";
import { skipsLinkedWorktree } from "./targets.ts";
import { shellWord } from "./shell_word.ts";
import { rootOutOfSight } from "./deliverable.ts";
import { PENDING_FOLDER, REAPED_ERROR, REAPED_FOLDER, RETRIED_START_NOTE } from "./run_files.ts";

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
}

/** A pending run as a listing finds it. */
export interface PendingItem {
  /** The file's current path (a claimed run's claim name). */
  path: string;
  /** The run's id. */
  id: string;
  /** The run, when its file could be read. */
  run?: PendingRun;
  /** Who claimed it (`pid@host`), when a finisher has it. */
  claimedBy?: string;
  /** Why the file cannot be read, when it cannot. */
  problem?: string;
  /** Whether the file is damaged (emptied, cut): finish records the run from its token alone. */
  damaged?: boolean;
}

const ID = /^[0-9]{8}T[0-9]{9}Z-[0-9a-f]{8}$/;
const FILE = /^([0-9]{8}T[0-9]{9}Z-[0-9a-f]{8})\.json(?:\.claim-([0-9]+@.*))?$/;

/**
 * A new run id for a run started at `started` (UTC ISO 8601): it sorts by
 * start time.
 *
 * @example
 * ```ts
 * import { newRunId } from "./pending.ts";
 * newRunId("2026-02-22T10:15:00.123Z"); // "20260222T101500123Z-1a2b3c4d"
 * ```
 */
export function newRunId(started: string): string {
  return `${started.replace(/[-:.]/g, "")}-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * When the run `id` started (UTC ISO 8601, milliseconds): the time its id
 * was made from by {@linkcode newRunId}.
 *
 * @example
 * ```ts
 * import { runIdStart } from "./pending.ts";
 * runIdStart("20260222T101500123Z-1a2b3c4d"); // "2026-02-22T10:15:00.123Z"
 * ```
 */
export function runIdStart(id: string): string {
  const [, y, mo, d, h, mi, s, ms] = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)(\d{3})Z/.exec(id)!;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`;
}

/**
 * Whether `text` is a run id.
 *
 * @example
 * ```ts
 * import { isRunId } from "./pending.ts";
 * isRunId("20260222T101500123Z-1a2b3c4d"); // true
 * ```
 */
export function isRunId(text: string): boolean {
  return ID.test(text);
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

/** As the spool's: a folder another user could write into must not hold runs, nor markers. */
const PRIVATE_FOLDER = {
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
    Deno.mkdirSync(dirname(path), { recursive: true });
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
  constructor(readonly path: string, readonly damage: string, options?: ErrorOptions) {
    super(
      `${path}: damaged pending run (${damage}): runrec finish ${shellWord(canonicalName(path))} ` +
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
 */
function readBounded(path: string): string {
  const info = Deno.statSync(path);
  if (!info.isFile) throw new Error("not a regular file");
  if (info.size > PENDING_FILE_MAX) throw new Error(`larger than ${PENDING_FILE_MAX} bytes`);
  return Deno.readTextFileSync(path);
}

/**
 * How long ago a run may have started and still be finished: a day, longer
 * than any agent's session. An older start is more likely a token copied from
 * an old log, or a file edited by hand, than a run ending now, and its record
 * would span every run since; `reap --older-than` records such a run.
 */
export const FINISH_WITHIN_MS = 24 * 3_600_000;

/**
 * Why a run started at `started` is not to be recorded by a finish at `now`,
 * or `undefined`: a start in the future (beyond {@linkcode CLOCK_SKEW_MS}).
 * A pending run's file is held to that alone (a run may last long); a token
 * whose file is gone (`fromToken`) also to a start within
 * {@linkcode FINISH_WITHIN_MS}: it carries no more than its start.
 *
 * @example
 * ```ts
 * import { implausibleStart } from "./pending.ts";
 * implausibleStart("2099-01-01T00:00:00.000Z", Date.now()); // "its start time ... is in the future"
 * ```
 */
export function implausibleStart(
  started: string,
  now: number,
  fromToken = false,
): string | undefined {
  const whose = fromToken ? "the token's" : "its";
  const age = now - Date.parse(started);
  if (Number.isNaN(age)) return `${whose} start time ${started} is not a time`;
  if (age < -CLOCK_SKEW_MS) return `${whose} start time ${started} is in the future`;
  if (fromToken && age > FINISH_WITHIN_MS) {
    return `${whose} start time ${started} is more than a day ago: too old to record from it`;
  }
  return undefined;
}

/**
 * The clock a pending run's start is judged against: this machine's, or the
 * run file's modification time when that is later. A file `start` wrote was
 * written no earlier than the start it holds, so a start after now but not
 * after its file is a clock set back since the start (an NTP step, a VM
 * restored from a snapshot), not a run from the future (clock-sweep F1).
 *
 * @example
 * ```ts
 * import { implausibleStart, startJudgedAt } from "./pending.ts";
 * const file = "DEL-01-02_X/.runrec/pending/20261205T101500123Z-1a2b3c4d.json";
 * implausibleStart("2026-12-05T10:15:00.123Z", startJudgedAt(file)); // undefined
 * ```
 */
export function startJudgedAt(path: string, now: number = Date.now()): number {
  try {
    return Math.max(now, Deno.statSync(path).mtime?.getTime() ?? now);
  } catch {
    return now;
  }
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

/** This machine's name as it appears in a claim's file name. */
function claimHost(): string {
  return hostname().replace(/[^0-9A-Za-z.-]/g, "_");
}

/**
 * Claims a pending run for this process by renaming its file; returns the
 * claim's path, or `undefined` when the file is gone (another finisher has
 * it, or it was finished).
 *
 * @example
 * ```ts
 * import { claimPendingRun } from "./pending.ts";
 * const claimed = claimPendingRun("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json");
 * ```
 */
export function claimPendingRun(path: string): string | undefined {
  const base = FILE.exec(basename(path));
  if (!base) throw new InputError(`${path}: not a pending run's file`);
  const claimed = join(dirname(path), `${base[1]}.json.claim-${Deno.pid}@${claimHost()}`);
  for (let attempt = 1;; attempt++) {
    try {
      Deno.renameSync(path, claimed);
      return claimed;
    } catch (e) {
      // Interrupted by a signal before anything happened: asked again, as the system means.
      if (e instanceof Deno.errors.Interrupted && attempt < 3) continue;
      return claimFailure(e);
    }
  }
}

/** What a failed claim means: no such run (`undefined`), or why it cannot be claimed (thrown). */
function claimFailure(e: unknown): undefined {
  // A file where its folder would be: no such run either.
  if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
    return undefined;
  }
  // Deno's message names both paths again: the system's reason is what is new.
  const why = (e as Error).message.split("\n")[0].replace(/: rename '.*$/, "");
  throw new Error(`cannot claim it (rename: ${why})`, { cause: e });
}

/**
 * Whether `e`, thrown by {@linkcode claimPendingRun}, says the run's folder is
 * on a read-only file system: the file is there and can be read, but neither
 * claimed nor removed until the folder is writable again.
 *
 * @example
 * ```ts
 * import { claimFailedReadOnly, claimPendingRun } from "./pending.ts";
 * try {
 *   claimPendingRun("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json");
 * } catch (e) {
 *   if (claimFailedReadOnly(e)) console.error("read-only now");
 * }
 * ```
 */
export function claimFailedReadOnly(e: unknown): boolean {
  return ((e as Error)?.cause as { code?: string } | undefined)?.code === "EROFS";
}

/**
 * Who holds the claim on the run file `path` (`pid@host`), when a finisher
 * has it.
 *
 * @example
 * ```ts
 * import { claimHolder } from "./pending.ts";
 * claimHolder("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json"); // "4242@build-07"
 * ```
 */
export function claimHolder(path: string): string | undefined {
  const base = FILE.exec(basename(path));
  if (!base) return undefined;
  try {
    for (const entry of Deno.readDirSync(dirname(path))) {
      const match = FILE.exec(entry.name);
      if (match && match[1] === base[1] && match[2] !== undefined) return match[2];
    }
  } catch { /* no folder: no claim */ }
  return undefined;
}

/**
 * Takes over the claim on the run file `path` held by `holder`, a process
 * that is gone (a finisher killed mid-way): renames its claim to this
 * process's. Returns the new claim's path, or `undefined` when another
 * process took it first.
 *
 * @example
 * ```ts
 * import { claimHolder, processState, takeOverClaim } from "./pending.ts";
 * const path = "DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json";
 * const holder = claimHolder(path);
 * if (holder && processState(holder) === "gone") takeOverClaim(path, holder);
 * ```
 */
export function takeOverClaim(path: string, holder: string): string | undefined {
  const theirs = `${path}.claim-${holder}`;
  const ours = `${path}.claim-${Deno.pid}@${claimHost()}`;
  try {
    Deno.renameSync(theirs, ours);
    return ours;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** A run as the record-file lookups know it: by its id alone (see {@linkcode recordedRuns}). */
export interface RunKey {
  /** The run's id (its pending file's name, the token's last part). */
  id: string;
}

/** A run's record found by {@linkcode recordedRuns}. */
export interface RunRecordFound {
  /** Its RunID; absent for a record still in the spool. */
  runId?: string;
  /** The spool entry holding it, for a record still in the spool. */
  spooledIn?: string;
  /** For a record in the file: the spool entry it was appended from (`runrec flush`), if it was. */
  replayedFrom?: string;
  /**
   * For a record in the file: whether a finish of the folder while it was read-only wrote it
   * ({@linkcode READ_ONLY_FINISH_NOTE}), which removes the pending file after, if it is not stopped.
   */
  finishedReadOnly?: boolean;
  /** Whether it is the FAILED record `reap` wrote for the run. */
  reaped: boolean;
  /** When the run ended (ms since the epoch: RunTimestamp plus RunDuration), when they read. */
  endedAt?: number;
  /**
   * For a record only the file's journal holds (the file as read lacks it): when it was appended
   * (ms since the epoch). See {@linkcode recordOfGoneRun}.
   */
  journaledAt?: number;
  /**
   * For such a record: whether a branch, tag or stash of the repository holds it (git says), as
   * after a checkout of another branch than the one it was appended on.
   */
  heldByGit?: boolean;
}

/**
 * The note of a record a finish wrote while the run's folder was read-only
 * (its pending file could be read, not claimed): the file stays until the
 * record is in `RunRecords.csv`, then that finish (or `runrec flush`) removes it.
 */
export const READ_ONLY_FINISH_NOTE =
  "finished while its folder was read-only (its pending run file could not be claimed)";

/** When a record's run ended (RunTimestamp plus RunDuration), or `undefined` when they do not read. */
function endOf(record: { RunTimestamp?: string; RunDuration?: string }): number | undefined {
  const start = parseInstant(record.RunTimestamp ?? "");
  const duration = parseDuration(record.RunDuration ?? "");
  return start === undefined || duration === undefined ? undefined : start + duration;
}

/**
 * Reads `delDir`'s record file and spool once, and returns a lookup: the
 * record of a run, found by the run's id named in its Notes (every record
 * `finish`, `withRun`, `exec` and `reap` write names it, see
 * {@linkcode runIdNote}), or `undefined`. Never by start time and agent:
 * runs of one agent started in the same millisecond share those. A record
 * other than `reap`'s FAILED one is preferred, then one in the file to one
 * still in the spool. A pending run's file that
 * comes back (`git stash pop`, a restored copy) after its run was recorded
 * is found so.
 *
 * @example
 * ```ts
 * import { readPendingRun, recordedRuns } from "./pending.ts";
 * const recordOf = await recordedRuns("DEL-01-02_X");
 * recordOf(readPendingRun("DEL-01-02_X/.runrec/pending/x.json"))?.runId;
 * ```
 */
export async function recordedRuns(
  delDir: string,
): Promise<(run: RunKey) => RunRecordFound | undefined> {
  return await recordedRunsOn(delDir)();
}

/**
 * {@linkcode recordedRuns} for a caller that asks again and again (reap, of
 * each of many runs): each call of the function returned reads only the
 * records appended since its last call (the whole file again when it was
 * replaced or rewritten: ./reader.ts `readRecordsOn`), where reading the
 * whole file each time made reap's work grow as runs times records (scale37 F2).
 *
 * @example
 * ```ts
 * import { readPendingRun, recordedRunsOn } from "./pending.ts";
 * const recorded = recordedRunsOn("DEL-01-02_X");
 * const run = readPendingRun("DEL-01-02_X/.runrec/pending/x.json");
 * (await recorded())(run)?.runId; // later calls read on from where this one ended
 * ```
 */
export function recordedRunsOn(
  delDir: string,
): () => Promise<(run: RunKey) => RunRecordFound | undefined> {
  const file = join(resolve(delDir), RECORD_FILE);
  let end: ReadEnd | undefined;
  let inFile = new Map<string, RunRecordFound[]>();
  return async () => {
    // The spool first, then the file: a replay appends to the file before it removes the entry,
    // so a record that leaves the spool between the two looks is found in the file.
    const byId = spooledRuns(delDir);
    try {
      // Streamed, and refused up front when not a regular file (a FIFO, a device): never a hang.
      end = await readRecordsOn(file, end, (fromStart) => {
        if (fromStart) inFile = new Map();
        return (r) => {
          const replayedFrom = spoolEntryOf(r.Notes);
          addNamed(inFile, r.Notes, {
            runId: r.RunID,
            reaped: r.ErrorSummary === REAPED_ERROR,
            endedAt: endOf(r),
            ...replayedFrom === undefined ? {} : { replayedFrom },
            ...r.Notes.split(" | ").includes(READ_ONLY_FINISH_NOTE)
              ? { finishedReadOnly: true }
              : {},
          });
        };
      });
    } catch {
      // No file, or not one to read: not there (the write then spools the record).
      end = undefined;
      inFile = new Map();
    }
    const held = inFile;
    return (run) => firstFound([...byId.get(run.id) ?? [], ...held.get(run.id) ?? []]);
  };
}

/**
 * {@linkcode recordedRuns} of one run: a run the record file surely names
 * nowhere (./named_lines.ts, most often: a finish's own run) is looked for
 * in the spool alone, not by a read of every record (scale37 F3).
 *
 * @example
 * ```ts
 * import { readPendingRun, recordOfRun } from "./pending.ts";
 * await recordOfRun("DEL-01-02_X", readPendingRun("DEL-01-02_X/.runrec/pending/x.json"));
 * ```
 */
export async function recordOfRun(
  delDir: string,
  run: RunKey & Pick<PendingRun, "recordsAtStart">,
): Promise<RunRecordFound | undefined> {
  const file = join(resolve(delDir), RECORD_FILE);
  const name = runIdNote(run.id);
  // Its records were appended after its start: past where the file ended then (finish-40 F2).
  const mark = startMark(run);
  if (mark !== undefined) namedOnlyPast(file, name, mark);
  readNamedLines(file, [name]);
  const spooled = spooledRuns(delDir); // first: see recordedRunsOn
  let named: boolean | undefined;
  try {
    named = mayName(file, name);
  } catch { /* read as recordedRuns reads it */ }
  if (named !== false) return (await recordedRuns(delDir))(run);
  return firstFound(spooled.get(run.id) ?? []);
}

/**
 * Where a run's record file ended at its start (`recordsAtStart`), when its
 * pending file holds one that reads as a mark: one edited by hand is only a
 * place to try, which a wrong one fails (then the whole file is read).
 *
 * @example
 * ```ts
 * import { readPendingRun, startMark } from "./pending.ts";
 * startMark(readPendingRun("DEL-01-02_X/.runrec/pending/x.json"))?.size; // 12345
 * ```
 */
export function startMark(run: Pick<PendingRun, "recordsAtStart">): FileMark | undefined {
  const mark = run.recordsAtStart;
  const valid = Number.isSafeInteger(mark?.size) && mark!.size >= 0 &&
    typeof mark?.tail === "string";
  return valid ? { size: mark!.size, tail: mark!.tail } : undefined;
}

/**
 * The highest SEQ of `run`'s RunID prefix where its record file ended at its
 * start ({@linkcode PendingRun} `seqAtStart`, with its mark), when its pending
 * file holds both as this runrec writes them; `undefined` otherwise (then the
 * finish reads as it did before, the whole file where the index cannot answer).
 *
 * @example
 * ```ts
 * import { readPendingRun, startSeq } from "./pending.ts";
 * startSeq(readPendingRun("DEL-01-02_X/.runrec/pending/x.json"))?.seq; // 2n
 * ```
 */
export function startSeq(
  run: Pick<PendingRun, "recordsAtStart" | "seqAtStart">,
): SeqAtStart | undefined {
  const mark = startMark(run);
  const saved = run.seqAtStart;
  const valid = typeof saved?.prefix === "string" && Number.isSafeInteger(saved.seq) &&
    saved.seq >= 0;
  return mark !== undefined && valid
    ? { prefix: saved!.prefix, seq: BigInt(saved!.seq), mark }
    : undefined;
}

/**
 * {@linkcode recordOfRun} of a run whose pending file is gone (finished, or removed by hand), or,
 * where that finds none or reap's FAILED record only, the record of it that `delDir`'s journal
 * says was appended to its record file in the last day. Another program may be rewriting the file as git does (unlink, create, write): a look
 * between the steps finds no file, or an empty one, and a second record (an emit, or a finish
 * from the token) would record the run twice (race-37 F2).
 *
 * @example
 * ```ts
 * import { recordOfGoneRun } from "./pending.ts";
 * (await recordOfGoneRun("DEL-01-02_X", { id: "20260222T101500123Z-1a2b3c4d" }))?.runId;
 * ```
 */
export async function recordOfGoneRun(
  delDir: string,
  run: RunKey,
): Promise<RunRecordFound | undefined> {
  const found = await recordOfRun(delDir, run);
  // Reap's FAILED record alone is no outcome: the journal may hold the late finish's, which a
  // stash or a rewrite keeps out of the file now (review-39b F2).
  if (found !== undefined && !found.reaped) return found;
  return firstFound([
    ...(found === undefined ? [] : [found]),
    ...journaledRecordsOf(delDir, run.id),
  ]);
}

/** The records of the run `id` that `delDir`'s journal holds (see {@linkcode recordOfGoneRun}). */
function journaledRecordsOf(delDir: string, id: string): RunRecordFound[] {
  const note = runIdNote(id);
  const found: RunRecordFound[] = [];
  const file = join(resolve(delDir), RECORD_FILE);
  for (const { line, at } of journaledLines(file, note)) {
    let record: RunRecord;
    try {
      record = decodeRecord(line);
    } catch {
      continue; // not a record this runrec reads: it names no run
    }
    if (!namesRun(record.Notes, id)) continue;
    found.push({
      runId: record.RunID,
      reaped: record.ErrorSummary === REAPED_ERROR,
      endedAt: endOf(record),
      journaledAt: at,
      // Another branch's record (appended there, then checked out of): recorded, not to be
      // recorded again here (review-40 F3).
      heldByGit: heldByGit(delDir, [line])?.has(line) ?? false,
    });
  }
  return found;
}

/** The records in `delDir`'s spool, by the runs their Notes name. */
function spooledRuns(delDir: string): Map<string, RunRecordFound[]> {
  const byId = new Map<string, RunRecordFound[]>();
  for (const item of listSpool(delDir)) {
    const draft = item.entry?.draft;
    if (draft === undefined) continue;
    addNamed(byId, draft.Notes ?? "", {
      spooledIn: item.path,
      reaped: draft.ErrorSummary === REAPED_ERROR,
      endedAt: endOf(draft),
    });
  }
  return byId;
}

/**
 * The record of a run among those `found`: not reap's FAILED record first, then one in the file
 * (a replay dead before removing the entry leaves the record in both).
 */
function firstFound(found: readonly RunRecordFound[]): RunRecordFound | undefined {
  const rank = (f: RunRecordFound) => (f.reaped ? 2 : 0) + (f.spooledIn === undefined ? 0 : 1);
  return found.toSorted((a, b) => rank(a) - rank(b))[0];
}

/** Adds `found` under each run `notes` name. */
function addNamed(byId: Map<string, RunRecordFound[]>, notes: string, found: RunRecordFound): void {
  for (const [, id] of notes.matchAll(NAMED_RUNS)) {
    const there = byId.get(id);
    if (there === undefined) byId.set(id, [found]);
    else there.push(found);
  }
}

/**
 * Whether the record of `run` (by its id, see {@linkcode recordedRuns}) is in
 * `delDir`'s record file or spool already: a finisher that died may have
 * written it.
 *
 * @example
 * ```ts
 * import { readPendingRun, runRecorded } from "./pending.ts";
 * await runRecorded("DEL-01-02_X", readPendingRun("DEL-01-02_X/.runrec/pending/x.json"));
 * ```
 */
export async function runRecorded(delDir: string, run: RunKey): Promise<boolean> {
  return (await recordedRuns(delDir))(run) !== undefined;
}

/**
 * The last records of the runs `agent` started (any agent's when `agent` is not given) in
 * `delDir`'s record file or waiting in its spool (their Notes name the run, see
 * {@linkcode recordedRuns}), the latest ended first: each with the run's id, when it ended, and
 * the spool entry holding it when it is not in the file yet (review-s F1: a finish whose write
 * failed spools it). The first start of a retried start that reap wrote FAILED saying so is left
 * out (the retry's record is the run's, review-s F4); any other FAILED record of reap's is in (that
 * run is still to finish, late).
 *
 * @example
 * ```ts
 * import { startedRunsOf } from "./pending.ts";
 * (await startedRunsOf("DEL-01-02_X", "PREPARATION"))[0]?.record.RunID;
 * ```
 */
export async function startedRunsOf(
  delDir: string,
  agent?: string,
): Promise<RunEnded[]> {
  const twin = (r: RecordDraft) =>
    r.ErrorSummary === REAPED_ERROR && r.Notes.includes(RETRIED_START_NOTE);
  const started = (r: RecordDraft) =>
    (agent === undefined || r.AgentName === agent) && namedRunOf(r.Notes) !== undefined && !twin(r);
  const runs: RunEnded[] = [];
  // The user's spool holds other folders' records too: only this folder's file's count. A
  // spooled record is later than the file's (it waits to be appended) unless it ended before.
  const file = join(resolve(delDir), RECORD_FILE);
  for (const item of listSpool(delDir)) {
    const draft = item.entry?.recordFile === file ? item.entry.draft : undefined;
    if (draft === undefined || !started(draft)) continue;
    runs.push({
      id: namedRunOf(draft.Notes)!,
      record: draft,
      endedAt: endOf(draft),
      spooledIn: item.path,
    });
  }
  for (const record of (await recordsOf(delDir, started)).reverse()) {
    runs.push({ id: namedRunOf(record.Notes)!, record, endedAt: endOf(record) });
  }
  return runs.sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0));
}

/** A run's last record, as {@linkcode startedRunsOf} finds it. */
export interface RunEnded {
  /** The run's id (its start's). */
  id: string;
  /** The record (a spooled one has no RunID yet). */
  record: RecordDraft;
  /** When the run ended, when its record says. */
  endedAt?: number;
  /** The spool entry holding the record, when it is not in the record file yet. */
  spooledIn?: string;
}

/**
 * The record of `delDir`'s record file whose RunID is `runId`, or `undefined`.
 *
 * @example
 * ```ts
 * import { recordOfRunId } from "./pending.ts";
 * (await recordOfRunId("DEL-01-02_X", "RUN-DEL-01-02-20260222-1015-001"))?.AgentName;
 * ```
 */
export async function recordOfRunId(delDir: string, runId: string): Promise<RunRecord | undefined> {
  return (await recordsOf(delDir, (r) => r.RunID === runId)).at(-1);
}

/** The run a record's Notes name last (see {@linkcode recordedRuns}), or `undefined`. */
function namedRunOf(notes: string): string | undefined {
  return [...notes.matchAll(NAMED_RUNS)].at(-1)?.[1];
}

/**
 * The records of `delDir`'s record file that `wanted` keeps, in file order: none when there is no
 * file to read. The whole file is read: for a refusal's words, not for a write.
 */
async function recordsOf(
  delDir: string,
  wanted: (record: RunRecord) => boolean,
): Promise<RunRecord[]> {
  const kept: RunRecord[] = [];
  try {
    for await (const event of readRecords(join(resolve(delDir), RECORD_FILE))) {
      if (event.kind === "record" && wanted(event.record)) kept.push(event.record);
    }
  } catch { /* no file, or not one to read: none */ }
  return kept;
}

/**
 * What the Notes of every record of a started run say to name it (its id),
 * so that a finisher that died after its write, a retried finish, `reap` and
 * a pending file that comes back find the record of this run and no other.
 *
 * @example
 * ```ts
 * import { runIdNote } from "./pending.ts";
 * runIdNote("20260222T101500123Z-1a2b3c4d"); // "run 20260222T101500123Z-1a2b3c4d"
 * ```
 */
export function runIdNote(id: string): string {
  return `run ${id}`;
}

/**
 * Whether `notes` name the run `id` as {@linkcode recordedRuns} reads them.
 *
 * @example
 * ```ts
 * import { namesRun } from "./pending.ts";
 * namesRun("part a | run 20260222T101500123Z-1a2b3c4d", "20260222T101500123Z-1a2b3c4d"); // true
 * ```
 */
export function namesRun(notes: string, id: string): boolean {
  return [...notes.matchAll(NAMED_RUNS)].some((m) => m[1] === id);
}

/**
 * What a record's Notes say to name the pending run it was recorded for
 * from its token alone (its file gone): a pending file of that run that comes
 * back later is then known as recorded, even under another agent's name.
 *
 * @example
 * ```ts
 * import { fromTokenNote } from "./pending.ts";
 * fromTokenNote("20260222T101500123Z-1a2b3c4d"); // "recorded from the token of run 20260222T101500123Z-1a2b3c4d"
 * ```
 */
export function fromTokenNote(id: string): string {
  return `recorded from the token of run ${id}`;
}

/** How long a finisher waits for a live process holding the run it is to finish. */
export const CLAIM_WAIT_MS = 60_000;

/**
 * Claims the run `id` of `delDir` whose pending file is gone (`git clean -x`)
 * for recording from its token: a marker `.runrec/lost/<id>` holding this
 * process's `pid@host`, made by a hard link (which fails when the marker
 * exists), so that of finishers racing on one token one records it. Returns
 * the marker's path, or who holds it ({@linkcode MarkerHeld}: waited for up
 * to {@linkcode CLAIM_WAIT_MS} while it lives). A marker whose holder died is
 * taken over (see {@linkcode markerHolderState}): the caller checks
 * {@linkcode runRecorded} after, since that holder may have written the
 * record. The marker appears whole (written aside, then linked into place),
 * so a marker is never empty; the caller removes it when its finish is over.
 *
 * @example
 * ```ts
 * import { claimLostRun } from "./pending.ts";
 * const marker = await claimLostRun("DEL-01-02_X", "20260222T101500123Z-1a2b3c4d");
 * ```
 */
export async function claimLostRun(delDir: string, id: string): Promise<string | MarkerHeld> {
  const path = join(resolve(delDir), LOST_FOLDER, id);
  return await holdMarker(
    path,
    (make) =>
      inStateFolder(dirname(dirname(path)), () => {
        Deno.mkdirSync(dirname(path), { recursive: true });
        return make();
      }),
    CLAIM_WAIT_MS,
  );
}

/**
 * Claims the run `id`, whose pending file cannot be claimed because its
 * deliverable folder is read-only now, for recording without its file: a
 * marker `<id>.finishing` in this user's {@linkcode outsidePendingFolder}, as
 * {@linkcode claimLostRun} makes one, so that of finishers (and a `reap` of
 * the folder once it is writable) one records the run. Returns the marker's
 * path, or who holds it when a live process (or one on another machine)
 * does, after waiting up to `waitMs` for a live one to let go; throws when
 * no marker can be made there.
 *
 * @example
 * ```ts
 * import { claimReadOnlyRun } from "./pending.ts";
 * const marker = await claimReadOnlyRun("20260222T101500123Z-1a2b3c4d");
 * if (typeof marker !== "string") console.error(`held by ${marker.holder}`);
 * ```
 */
export async function claimReadOnlyRun(
  id: string,
  waitMs = CLAIM_WAIT_MS,
): Promise<string | MarkerHeld> {
  const folder = outsidePendingFolder();
  if (folder === undefined) throw new Error("this user's id cannot be read");
  return await holdMarker(
    join(folder, `${id}${MARKER_SUFFIX}`),
    (make) => inStateFolder(folder, make, PRIVATE_FOLDER),
    waitMs,
  );
}

/** A marker another process holds: its path, its holder's `pid@host`, and whether that is seen alive here. */
export interface MarkerHeld {
  /** The marker's path. */
  path: string;
  /** Its holder, `pid@host`. */
  holder: string;
  /** `alive` on this machine, or `unknown`: another machine's, which this process cannot look at. */
  state: "alive" | "unknown";
}

/**
 * Who holds a marker, in words, and what to do: wait for a live holder on
 * this machine; look at another machine's, or remove its marker.
 *
 * @example
 * ```ts
 * import { markerHeldBy } from "./pending.ts";
 * markerHeldBy({ path: "/tmp/m", holder: "4242@other", state: "unknown" });
 * // "its marker /tmp/m names pid 4242 on other, a machine this process cannot look at ..."
 * ```
 */
export function markerHeldBy({ path, holder, state }: MarkerHeld): string {
  const [pid, host] = holder.split(/@(.*)/s);
  return state === "alive"
    ? `its marker ${path} is held by pid ${pid}, alive on this machine: try again once that ` +
      "process is done"
    : `its marker ${path} names pid ${pid} on ${host}, a machine this process cannot look at ` +
      "(a $TMPDIR shared between machines?): if no finish of the run is under way there, " +
      "remove the marker and try again";
}

/** The end of a read-only finish's marker's name, after the run's id. */
const MARKER_SUFFIX = ".finishing";

/**
 * Makes the marker `path` holding this process's `pid@host`, `inFolder`
 * preparing its folder around `make`; waits up to `waitMs` while a live
 * process holds it, takes over one whose holder is gone
 * ({@linkcode markerHolderState}). See {@linkcode claimLostRun}.
 */
async function holdMarker(
  path: string,
  inFolder: (make: () => string) => string,
  waitMs: number,
): Promise<string | MarkerHeld> {
  const me = `${Deno.pid}@${claimHost()}`;
  const deadline = Date.now() + waitMs;
  while (true) {
    try {
      return inFolder(() => {
        // Written aside, then linked: a marker is never seen empty, even after a kill or ENOSPC.
        const aside = `${path}.new-${me}`;
        Deno.writeTextFileSync(aside, me);
        try {
          Deno.linkSync(aside, path);
        } finally {
          Deno.removeSync(aside);
        }
        return path;
      });
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    let marker: { holder: string; madeMs?: number };
    try {
      marker = readMarker(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue; // taken over, not made again yet
      throw e;
    }
    const state = markerHolderState(marker);
    if (state === "gone") {
      removeDeadMarker(path, marker.holder);
      continue;
    }
    if (state !== "alive" || Date.now() > deadline) return { path, holder: marker.holder, state };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A marker's text (its holder) and when it was made, read in that order: a
 * marker replaced between the two reads looks newer than its text's holder,
 * never older, so a live holder is never taken for a reused pid.
 */
function readMarker(path: string): { holder: string; madeMs?: number } {
  const holder = readBounded(path);
  const made = Deno.statSync(path).mtime;
  return made === null ? { holder } : { holder, madeMs: made.getTime() };
}

/**
 * Whether a marker's holder is `alive` on this machine, `gone`, or `unknown`
 * (another machine's). A marker whose text is not `pid@host` guards nothing,
 * as if its holder were gone: never so as written now, it is an older
 * runrec's killed mid-write (empty), or zeros a crash left before its data
 * reached the disk. Nor does a live pid started after the marker was made:
 * its holder died and the pid was reused, told as for the lock
 * (`notTheHolder`, ./lock.ts).
 */
function markerHolderState(
  { holder, madeMs }: { holder: string; madeMs?: number },
): "alive" | "gone" | "unknown" {
  const pid = /^([1-9][0-9]*)@[^\s\0]+$/.exec(holder)?.[1];
  if (pid === undefined) return "gone";
  const state = processState(holder);
  if (state !== "alive" || madeMs === undefined) return state;
  return notTheHolder(Number(pid), madeMs) === undefined ? "alive" : "gone";
}

/**
 * Removes the marker `path` when it still names `holder`, a process that is
 * gone; returns whether it did. Renamed aside first, so that of two takers
 * one has it, then read again: another taker may have taken the dead
 * holder's over and linked its own since `holder` was read, and that one is
 * linked back, for its live holder.
 */
function removeDeadMarker(path: string, holder: string): boolean {
  const aside = `${path}.gone-${Deno.pid}@${claimHost()}`;
  try {
    Deno.renameSync(path, aside);
  } catch {
    return false; // another taker has it, or it is gone
  }
  let named: string | undefined;
  try {
    named = readBounded(aside);
  } catch { /* unreadable: given back, as a live holder's would be */ }
  if (named !== holder) {
    try {
      Deno.linkSync(aside, path);
    } catch {
      // A third taker linked its own meanwhile: two hold it, and the run's record is still
      // appended once (the append and the spool's replay look for the run in the file).
    }
  }
  try {
    Deno.removeSync(aside);
  } catch { /* removed by reap as a dead writer's copy once this process is gone */ }
  return named === holder;
}

/** The end of the name of the marker `exec` keeps beside its run's file while CMD runs. */
const COMMAND_SUFFIX = ".command";

/** The marker naming the command of the run whose file (or claim) is `runFile`. */
function commandMarkerPath(runFile: string): string {
  const id = FILE.exec(basename(runFile))?.[1] ?? basename(runFile);
  return join(dirname(runFile), `${id}${COMMAND_SUFFIX}`);
}

/**
 * Writes beside the run's file `runFile` a marker naming `pid`, the command
 * `exec` runs for it (`<id>.command`, `pid@host`): `exec` killed, the command
 * runs on (in a process group of its own), and `reap` leaves the run pending
 * while it does ({@linkcode runCommandRunning}). Best effort: a marker that
 * cannot be written only loses that. Returns whether it was written.
 *
 * @example
 * ```ts
 * import { markRunCommand } from "./pending.ts";
 * markRunCommand("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json", 4242);
 * ```
 */
export function markRunCommand(runFile: string, pid: number): boolean {
  // Written in place, not renamed from a temporary file: CMD may rename the folder (its label)
  // meanwhile, and the marker then moves with the run's file where a temporary would be left
  // behind. One cut short guards nothing: reap judges by exec's process alone, as without it.
  try {
    Deno.writeTextFileSync(commandMarkerPath(runFile), `${pid}@${claimHost()}`, {
      createNew: true,
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes the marker {@linkcode markRunCommand} wrote for the run whose file
 * (or claim) is `runFile`, if any: its command has ended, or its run was reaped.
 *
 * @example
 * ```ts
 * import { dropRunCommand } from "./pending.ts";
 * dropRunCommand("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json");
 * ```
 */
export function dropRunCommand(runFile: string): void {
  try {
    Deno.removeSync(commandMarkerPath(runFile));
  } catch { /* none, or removed by reap meanwhile */ }
}

/**
 * The pid of the command `exec` runs for the run whose file (or claim) is
 * `runFile`, when its marker names a process alive on this machine (not a
 * pid reused since: {@linkcode markerHolderState}); else `undefined`.
 *
 * @example
 * ```ts
 * import { runCommandRunning } from "./pending.ts";
 * runCommandRunning("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json"); // 4242
 * ```
 */
export function runCommandRunning(runFile: string): number | undefined {
  let marker: { holder: string; madeMs?: number };
  try {
    marker = readMarker(commandMarkerPath(runFile));
  } catch {
    return undefined;
  }
  return markerHolderState(marker) === "alive" ? Number(marker.holder.split("@")[0]) : undefined;
}

/**
 * Gives a claimed run back (a finish refused for bad arguments): it is
 * pending again under its own name.
 *
 * @example
 * ```ts
 * import { claimPendingRun, releaseClaim } from "./pending.ts";
 * const claimed = claimPendingRun("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json");
 * if (claimed) releaseClaim(claimed);
 * ```
 */
export function releaseClaim(claimed: string): void {
  Deno.renameSync(claimed, claimed.replace(/\.claim-[^/\\]*$/, ""));
}

/**
 * Moves a claimed run whose FAILED record `reap` wrote (or spooled) to
 * {@linkcode reapedPath}: no longer pending, but there for its agent's
 * late `finish`. When it cannot be moved there (a read-only folder, an I/O
 * error, a folder gone), it is given back where it was, unclaimed: a late
 * finish finds it there as a reaped run, and the next reap moves it. Returns
 * `undefined` once moved, else what became of it, in words.
 *
 * @example
 * ```ts
 * import { claimPendingRun, keepReapedRun } from "./pending.ts";
 * const claimed = claimPendingRun("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json");
 * if (claimed) console.log(keepReapedRun("DEL-01-02_X", claimed) ?? "kept in .runrec/reaped/");
 * ```
 */
export function keepReapedRun(delDir: string, claimed: string): string | undefined {
  const path = reapedPlace(delDir, claimed);
  const inFolder = path === reapedPath(delDir, basename(path, ".json"));
  try {
    // A deliverable folder removed since is not made again to keep the run.
    if (inFolder && kindOf(delDir) !== "folder") throw new Error("the deliverable folder is gone");
    Deno.mkdirSync(dirname(path), { recursive: true, ...(inFolder ? {} : { mode: 0o700 }) });
    Deno.renameSync(claimed, path);
  } catch (e) {
    // Never removed: the agent's late finish must still find the run, to record what it did.
    // Deno's message names both paths again: the system's reason is what is new.
    const reason = failureReason(e as Error).replace(/: (?:rename|mkdir) '.*$/, "");
    const why = `not moved into ${dirname(path)}/ (${reason})`;
    const back = claimed.replace(/\.claim-[^/\\]*$/, "");
    try {
      releaseClaim(claimed);
    } catch {
      return `${why}, nor given back: ${claimed} stays, which a late finish and the next reap ` +
        "take over (its claimant gone)";
    }
    return `${why}: it waits as ${back}, where its agent's late finish records its outcome ` +
      "(superseding the FAILED record); the next reap moves it";
  }
  syncFolder(dirname(path));
  return undefined;
}

/**
 * Where a run `reap` wrote as FAILED is kept for its agent's late `finish`,
 * given its pending file (or a claim of it, `file`): in its deliverable
 * folder's `.runrec/reaped/` ({@linkcode reapedPath}), or, for a run kept
 * outside that folder ({@linkcode keepPendingRun}), in `reaped/` beside it,
 * where its token still leads.
 *
 * @example
 * ```ts
 * import { reapedPlace } from "./pending.ts";
 * reapedPlace("/p/DEL-01-02_X", "/tmp/runrec-pending-1000/20260222T101500123Z-1a2b3c4d.json");
 * // "/tmp/runrec-pending-1000/reaped/20260222T101500123Z-1a2b3c4d.json"
 * ```
 */
export function reapedPlace(delDir: string, file: string): string {
  const base = FILE.exec(basename(file));
  if (!base) throw new InputError(`${file}: not a pending run's file`);
  const folder = dirname(resolve(file));
  if (basename(folder) === "pending" && basename(dirname(folder)) === ".runrec") {
    return reapedPath(delDir, base[1]);
  }
  return basename(folder) === OUTSIDE_REAPED
    ? join(folder, `${base[1]}.json`)
    : join(folder, OUTSIDE_REAPED, `${base[1]}.json`);
}

/** The folder, beside the runs kept outside their folders, of those `reap` wrote as FAILED. */
const OUTSIDE_REAPED = "reaped";

/**
 * The RunID and RecordChecksum of the FAILED record `reap` wrote for the run
 * `id` of `delDir`, when it is in the deliverable's `RunRecords.csv` once;
 * `undefined` when it is not there (still spooled), is there twice, or the
 * file cannot be read.
 *
 * @example
 * ```ts
 * import { reapedRecord } from "./pending.ts";
 * console.log((await reapedRecord("DEL-01-02_X", "20260222T101500123Z-1a2b3c4d"))?.RunID);
 * ```
 */
export async function reapedRecord(
  delDir: string,
  id: string,
): Promise<Pick<RunRecord, "RunID" | "RecordChecksum"> | undefined> {
  const found = (await reapedRecords(delDir)).filter((r) => r.id === id);
  return found.length === 1 ? found[0].record : undefined;
}

/**
 * The id of the run whose FAILED record `reap` wrote under `runId` in
 * `delDir`'s `RunRecords.csv`, or `undefined`.
 *
 * @example
 * ```ts
 * import { reapedRunOf } from "./pending.ts";
 * await reapedRunOf("DEL-01-02_X", "RUN-DEL-01-02-20260222-1015-001"); // "20260222T101500123Z-1a2b3c4d"
 * ```
 */
export async function reapedRunOf(delDir: string, runId: string): Promise<string | undefined> {
  return (await reapedRecords(delDir)).find((r) => r.record.RunID === runId)?.id;
}

/** Each FAILED record `reap` wrote in `delDir`'s `RunRecords.csv`: its RunID, checksum and the run's id. */
async function reapedRecords(
  delDir: string,
): Promise<{ record: Pick<RunRecord, "RunID" | "RecordChecksum">; id: string }[]> {
  const found: { record: Pick<RunRecord, "RunID" | "RecordChecksum">; id: string }[] = [];
  try {
    for await (const event of readRecords(join(resolve(delDir), RECORD_FILE))) {
      if (event.kind !== "record" || event.record.ErrorSummary !== REAPED_ERROR) continue;
      const named = REAPED_NOTE.exec(event.record.Notes);
      const { RunID, RecordChecksum } = event.record;
      if (named) found.push({ record: { RunID, RecordChecksum }, id: named[1] });
    }
  } catch { /* unreadable: the caller goes on without (a late finish still writes its record) */ }
  return found;
}

/** The run's id in a reaped record's Notes: `run <id>`, a note of its own (or, before, a `; ` part). */
const REAPED_NOTE = /(?:^|; | \| )run ([0-9]{8}T[0-9]{9}Z-[0-9a-f]{8})(?=;| \| |$)/;

/**
 * Whether the process `pid@host` (a claim's, or the one a run watches) is
 * `alive` or `gone` on this machine; `unknown` on another machine, or when
 * this process may not ask.
 *
 * @example
 * ```ts
 * import { processState } from "./pending.ts";
 * import { hostname } from "./lock.ts";
 * processState(`${Deno.pid}@${hostname()}`); // "alive"
 * ```
 */
export function processState(pidAtHost: string): "alive" | "gone" | "unknown" {
  const [pid, host] = pidAtHost.split(/@(.*)/s);
  if (host !== claimHost() && host !== hostname()) return "unknown";
  const alive = pidAlive(Number(pid));
  if (alive === undefined) return "unknown";
  return alive && !isZombie(Number(pid)) ? "alive" : "gone";
}

/**
 * Every deliverable folder at or beneath `targets` (folders, or record files
 * standing for theirs) that holds pending runs, each once, sorted.
 *
 * @example
 * ```ts
 * import { foldersWithPendingRuns } from "./pending.ts";
 * for (const dir of foldersWithPendingRuns(["."])) console.log(dir);
 * ```
 */
export function foldersWithPendingRuns(targets: readonly string[]): string[] {
  return foldersWhere(targets, (dir) => listPendingRuns(dir).length > 0);
}

/**
 * Every deliverable folder at or beneath `targets` that holds pending runs,
 * or reaped runs a finisher holds ({@linkcode listReapedClaims}): what
 * `reap` looks at, each once, sorted.
 *
 * @example
 * ```ts
 * import { foldersWithRunsToSettle } from "./pending.ts";
 * for (const dir of foldersWithRunsToSettle(["."])) console.log(dir);
 * ```
 */
export function foldersWithRunsToSettle(targets: readonly string[]): string[] {
  return foldersWhere(
    targets,
    (dir) => listPendingRuns(dir).length > 0 || listReapedClaims(dir).length > 0,
  );
}

/**
 * Removes the temporary files that writers killed before their rename left
 * in the run folders (`.runrec/`, its `pending/`, `reaped/` and `lost/`) of
 * every deliverable folder at or beneath `targets`, and in this user's
 * folder of pending runs kept outside their folders; returns their paths.
 * Only those safely abandoned: see `removeAbandonedTemporaries`
 * (./state_folder.ts). Also the read-only finishes' markers there whose
 * holder is gone (see {@linkcode removeDeadMarkers}).
 *
 * @example
 * ```ts
 * import { removeAbandonedRunTemporaries } from "./pending.ts";
 * for (const path of removeAbandonedRunTemporaries(["."])) console.log(`removed ${path}`);
 * ```
 */
export function removeAbandonedRunTemporaries(targets: readonly string[]): string[] {
  const state = dirname(PENDING_FOLDER);
  const folders = foldersWhere(targets, (dir) => kindOf(join(dir, state)) === "folder")
    .flatMap((dir) => [state, PENDING_FOLDER, REAPED_FOLDER, LOST_FOLDER].map((f) => join(dir, f)));
  const outside = outsidePendingFolder();
  if (outside !== undefined) folders.push(outside);
  const temporaries = folders.flatMap((folder) => removeAbandonedTemporaries(folder));
  for (const folder of folders) removeOrphanCommandMarkers(folder);
  return outside === undefined ? temporaries : [...temporaries, ...removeDeadMarkers(outside)];
}

/**
 * Removes, unsaid, the markers `<id>.command` ({@linkcode markRunCommand}) in
 * `folder` whose run has no file there any more (recorded, reaped, or
 * flushed from the spool while its `exec` could not remove the marker: a
 * folder turned read-only, a kill): they guard nothing.
 */
function removeOrphanCommandMarkers(folder: string): void {
  const names = fileNamesIn(folder);
  const runs = new Set(names.map((name) => FILE.exec(name)?.[1]));
  for (const name of names) {
    const id = name.slice(0, -COMMAND_SUFFIX.length);
    if (!name.endsWith(COMMAND_SUFFIX) || !isRunId(id) || runs.has(id)) continue;
    try {
      Deno.removeSync(join(folder, name));
    } catch { /* removed meanwhile, or not ours to remove: left */ }
  }
}

/**
 * Removes the markers `<id>.finishing` ({@linkcode claimReadOnlyRun}) in
 * `folder` whose holder is gone from this machine (a finish or reap killed
 * before it dropped its marker), and those that name no holder or a reused
 * pid ({@linkcode markerHolderState}); returns their paths. Such a marker guards
 * nothing: the next finisher of its run takes it over, as it would find none.
 */
function removeDeadMarkers(folder: string): string[] {
  const removed: string[] = [];
  for (const name of fileNamesIn(folder)) {
    if (!name.endsWith(MARKER_SUFFIX) || !isRunId(name.slice(0, -MARKER_SUFFIX.length))) continue;
    const path = join(folder, name);
    try {
      const marker = readMarker(path);
      const gone = markerHolderState(marker) === "gone";
      if (gone && removeDeadMarker(path, marker.holder)) removed.push(path);
    } catch { /* removed meanwhile, or not ours to read: left */ }
  }
  return removed;
}

/**
 * Every folder at or beneath `targets` (folders, or record files standing
 * for theirs) for which `holds` is true, each once, sorted; not entering a
 * linked worktree nor a folder that holds no deliverables.
 */
function foldersWhere(targets: readonly string[], holds: (dir: string) => boolean): string[] {
  const found = new Set<string>();
  const look = (dir: string) => {
    if (holds(dir)) found.add(resolve(dir));
  };
  for (const target of targets) {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(target);
    } catch {
      continue; // the command names a missing target itself
    }
    if (!info.isDirectory) {
      look(dirname(resolve(target)));
      continue;
    }
    look(target);
    // Not another worktree's pending runs either: its agents and their records are its own.
    const enter = (dir: string, name: string) =>
      !holdsNoDeliverables(name) && !skipsLinkedWorktree(dir, name);
    for (const entry of walk(target, { unlistable: () => {}, enter })) {
      if (entry.kind === "folder") look(entry.path);
    }
  }
  return [...found].sort();
}

/**
 * The `runrec reap` command line that reaches `folders` (as named from the
 * current folder), `options` after them; to be started from the
 * repository's root when this runrec cannot see a project root from here
 * (the sandboxed build started beneath it), where reap would refuse them.
 *
 * @example
 * ```ts
 * import { reapCommandLine } from "./pending.ts";
 * console.log(reapCommandLine(["a b"], " --older-than 2h")); // "runrec reap 'a b' --older-than 2h"
 * ```
 */
export function reapCommandLine(folders: readonly string[], options = ""): string {
  const words = folders.map(shellWord).join(" ");
  const seen = folders.map((f) => rootOutOfSight(f)).find((s) => s !== undefined);
  return seen === undefined
    ? `runrec reap ${words}${options}`
    : `runrec reap FOLDER${options} started from the repository's root, FOLDER naming ${words} ` +
      `from there (this runrec cannot see above ${seen} for the project's root)`;
}

/**
 * One warning line about the pending runs of a deliverable folder.
 *
 * @example
 * ```ts
 * import { describePendingRuns, listPendingRuns } from "./pending.ts";
 * console.error(describePendingRuns("DEL-01-02_X", listPendingRuns("DEL-01-02_X")));
 * ```
 */
export function describePendingRuns(delDir: string, items: readonly PendingItem[]): string {
  const runs = items.map((i) =>
    i.run
      ? `${i.run.agent} since ${i.run.start.started}${i.claimedBy ? ` (finishing)` : ""}`
      : i.damaged
      ? `${basename(i.path)} (damaged: reap leaves it; runrec finish ${shellWord(i.path)} ` +
        "--agent NAME --status S records it from its token)"
      : `${basename(i.path)} (unreadable)`
  );
  if (items.every((i) => i.damaged)) {
    return `${delDir}: ${items.length} run(s) started and not finished: ${runs.join(", ")}`;
  }
  // Without a process to watch, reap tells a crashed agent's run only by its age.
  const unwatched = items.filter((i) => i.run && i.run.pid === undefined).length;
  const reap = unwatched === 0
    ? `${reapCommandLine([delDir])} once their agents are gone`
    : unwatched === items.length
    ? `${reapCommandLine([delDir], " --older-than DURATION")} once their agents are gone ` +
      "(started without --pid: reap tells them by age alone)"
    : `${reapCommandLine([delDir])} once their agents are gone (--older-than DURATION ` +
      `for the ${unwatched} started without --pid: reap tells those by age alone)`;
  return `${delDir}: ${items.length} run(s) started and not finished: ${runs.join(", ")}; ` +
    `finish them with runrec finish, or ${reap}`;
}

/**
 * The warnings about the pending runs of `delDir`: one line for the runs
 * waiting for their finish or reap ({@linkcode describePendingRuns}), and one
 * for each whose record is there already, in the file or waiting in the spool
 * (a read-only folder's finish), which is no run left to finish
 * ({@linkcode describeRecordedPending}). A run `reap` wrote as FAILED waits
 * still: its agent may finish it late.
 *
 * @example
 * ```ts
 * import { pendingRunWarnings } from "./pending.ts";
 * for (const w of await pendingRunWarnings("DEL-01-02_X")) console.error(`runrec: warning: ${w}`);
 * ```
 */
export async function pendingRunWarnings(delDir: string): Promise<string[]> {
  const recordOf = await recordedRuns(delDir);
  const warnings: string[] = [];
  const waiting: PendingItem[] = [];
  for (const item of listPendingRuns(delDir)) {
    const found = item.run && !item.claimedBy ? recordOf(item.run) : undefined;
    if (found === undefined || found.reaped) waiting.push(item);
    else warnings.push(describeRecordedPending(delDir, item, found));
  }
  if (waiting.length > 0) warnings.push(describePendingRuns(delDir, waiting));
  return warnings;
}

/**
 * One warning line about a pending run's file that is back although its run
 * is recorded (`found`, see {@linkcode recordedRuns}), and what removes it.
 *
 * @example
 * ```ts
 * import { describeRecordedPending, listPendingRuns, recordedRuns } from "./pending.ts";
 * const recordOf = await recordedRuns("DEL-01-02_X");
 * for (const item of listPendingRuns("DEL-01-02_X")) {
 *   const found = item.run && recordOf(item.run);
 *   if (found) console.error(describeRecordedPending("DEL-01-02_X", item, found));
 * }
 * ```
 */
export function describeRecordedPending(
  delDir: string,
  item: PendingItem,
  found: RunRecordFound,
): string {
  const run = `${delDir}: run ${item.id} (${item.run?.agent}, since ${item.run?.start.started})`;
  if (found.runId === undefined) {
    // A finish of a read-only folder leaves the file beside its spooled record.
    return `${run} is recorded: its record waits in the spool, ${found.spooledIn}; not to be ` +
      `finished again: runrec flush ${shellWord(delDir)} appends it and removes its pending file`;
  }
  // A read-only finish stopped before its removal left the file; else it came back.
  const why = found.finishedReadOnly
    ? "a finish while its folder was read-only wrote it and was stopped before removing its " +
      "pending file"
    : "its pending file is back (git stash pop, a restored copy?)";
  return `${run} is recorded already as ${found.runId}, but ${why}; not to be finished again: ` +
    `runrec reap ${shellWord(delDir)} removes it`;
}
