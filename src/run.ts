/**
 * Two-phase runs: start a run before the agent works (the time, StatusBefore
 * and the governed inputs' hashes are fixed then), finish it after (duration,
 * StatusAfter, outputs), and `withRun` for scripts, which does both around a
 * callback. A started run is kept in the deliverable's `.runrec/pending/`
 * until it is finished or reaped (see ./pending.ts).
 *
 * @module
 */
import { deliverableOfRunId, foldersOfDeliverable, runIdHome } from "./run_id_home.ts";
import { isGone, resolvedPath, sameFolder } from "./lookups.ts";
import { retriedAfter, retriedStartNote } from "./retried_start.ts";
import { kindOf, walk } from "./walk.ts";
import { basename, dirname, join, relative, resolve } from "./path.ts";
import {
  DELIVERABLE_FOLDER,
  deliverableId,
  refuseBackslash,
  requireFolder,
  RootOutOfSight,
} from "./deliverable.ts";
import { sharedIdWarning } from "./claimed_ids.ts";
import { nearbyFolders, pendingElsewhere, runAndItsFinish, unfinishedRuns } from "./nearby_runs.ts";
import { emptiedByGit, folderGitMovedTo, leftByGit, refuseLeftFolder } from "./git_moved_folder.ts";
import { failureReason, InputError, OptionError } from "./errors.ts";
import { refuseUnrecordableStart } from "./recordable_start.ts";
import {
  checkFinishArguments,
  checkFinishOptions,
  checkFinishPendingArguments,
  checkFunctionArgument,
  checkStartArguments,
  checkWithRunArguments,
  shownValue,
} from "./argument_checks.ts";
import { requireRecordable } from "./required_permissions.ts";
import { refuseMisspeltFolder } from "./meant_path.ts";
import {
  captureStart,
  checkRunArguments,
  completeDraft,
  EMPTY_PATH,
  type RunOptions,
  type RunOutcome,
  type RunStartState,
  writeRun,
} from "./hook.ts";
import { retiredWarning } from "./run_warnings.ts";
import { hashFiles } from "./hash.ts";
import { sortUtf8 } from "./manifest.ts";
import { hostname, pidAlive } from "./lock.ts";
import { gitHead, workTrees } from "./git.ts";
import { CollidingNames, shortened } from "./names.ts";
import { LATE_FINISH, lateFinishNote, REAPED_NOT_FOUND } from "./late_finish.ts";
import { REAPED_ERROR } from "./run_files.ts";
import { governedInputsIn, isRunrecOwn, REFERENCES_FILE, relativePath } from "./inputs.ts";
import { HOST_OUTCOMES, mapOutcome } from "./outcomes.ts";
import { placeholderProblem } from "./placeholders.ts";
import { concurrentRunsNote, recordFileMark, startEvidenceNotes } from "./run_evidence.ts";
import {
  CLAIM_WAIT_MS,
  claimFailedReadOnly,
  claimHolder,
  claimLostRun,
  claimPendingRun,
  claimReadOnlyRun,
  DamagedRunFile,
  fromTokenNote,
  implausibleStart,
  isRunId,
  keepPendingRun,
  listOutsidePendingRuns,
  listOutsideReapedRuns,
  listPendingRuns,
  listReapedRuns,
  type MarkerHeld,
  markerHeldBy,
  namesRun,
  newRunId,
  outsidePendingFolder,
  parseToken,
  type PendingItem,
  pendingPath,
  type PendingRun,
  processState,
  READ_ONLY_FINISH_NOTE,
  readPendingRun,
  reapedPlace,
  reapedRecord,
  reapedRunOf,
  recordOfGoneRun,
  recordOfRun,
  recordOfRunId,
  releaseClaim,
  type RunEnded,
  runIdNote,
  runIdStart,
  type RunRecordFound,
  startedRunsOf,
  startJudgedAt,
  startSeq,
  takeOverClaim,
} from "./pending.ts";
import {
  DELETED,
  RUN_ID_SYNTAX,
  RUN_STATUSES,
  runIdPrefix,
  type RunStatus,
  TBD,
} from "./schema.ts";
import { leaveNote } from "./notices.ts";
import {
  checkAppendOptions,
  RECORD_FILE,
  type RecordDraft,
  RecordTooLarge,
  restoreDroppedRecords,
  seqAtMark,
} from "./store.ts";
import { shellWord } from "./shell_word.ts";
import { optionalEnv } from "./optional_access.ts";

/** What is known about a run when it starts. */
export interface StartRunOptions {
  /** The agent's name, e.g. `4_DOCUMENTS`. */
  agent: string;
  /** Files the run reads, relative to the deliverable folder or absolute. */
  inputs?: readonly string[];
  /** The pass directive the ORCHESTRATOR gave. */
  pass?: string;
  /**
   * The process whose end means the agent crashed, so that `runrec reap`
   * writes its run as FAILED. Default: none (only `reap --older-than` reaps it).
   */
  pid?: number;
  /**
   * Allow a deliverable folder that does not exist yet (a run that creates
   * it, such as PREPARATION's) when its parent does. Such a run is kept in
   * memory, not in the folder, until it is finished (`creates`): only for
   * callers that finish the run themselves. Default `false`.
   */
  mayCreate?: boolean;
  /** Read governed inputs and outputs outside the project too (`--allow-outside`). */
  allowOutside?: boolean;
}

/** A started run. */
export interface StartedRun {
  /** The deliverable folder, absolute. */
  delDir: string;
  /** The run as kept. */
  run: PendingRun;
  /** The path of the pending run's file; absent for a run kept in memory (`creates`, `notSaved`). */
  token?: string;
  /** The deliverable folder did not exist at the start: the run is to create it (`mayCreate`). */
  creates?: boolean;
  /**
   * Why the pending run's file could not be saved (a full disk): the run is
   * kept in memory, noted in its record, and only this process can finish it.
   */
  notSaved?: string;
  /**
   * What the caller should warn about (an input not found, or holding an unfilled placeholder:
   * also in the notes; an earlier run of the agent still pending, a --pid not running).
   */
  warnings?: string[];
}

/**
 * Refuses a deliverable folder to be created whose name holds no DeliverableID
 * (`DEL-XX-YY_Label`): a run on it could never be recorded, so nothing is run.
 */
async function refuseUnnamedNewFolder(delDir: string): Promise<void> {
  if (DELIVERABLE_FOLDER.test(basename(resolve(delDir)))) return;
  await refuseMisspeltFolder(delDir);
  throw new InputError(
    `${delDir}: no such folder, and a deliverable folder made by the run is named ` +
      "DEL-XX-YY_Label (its DeliverableID): a run on it could not be recorded; nothing run, " +
      "nothing recorded",
  );
}

/**
 * Starts a run: captures RunTimestamp, StatusBefore from `_STATUS.md` and the
 * hashes of every governed input now, and keeps the pending run durably in
 * `<delDir>/.runrec/pending/` (its `token`). A pending run that cannot be
 * saved (a full disk) does not stop the run: it is kept in memory, noted in
 * its record, with `notSaved` saying why (no token: finish it in this
 * process). Throws {@linkcode InputError} for bad arguments, a missing
 * folder, or inputs that alone take more than a record's line holds (16 MiB,
 * SCHEMA.md 6.5), before anything is written.
 *
 * @example
 * ```ts
 * import { finishRun, startRun } from "@runrec/runrec";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * const started = await startRun(dir, { agent: "4_DOCUMENTS", inputs: ["Datasheet.md"] });
 * // ... the agent works ...
 * await finishRun(started, { status: "SUCCESS", outputs: ["Datasheet.md"] });
 * ```
 */
export async function startRun(delDir: string, options: StartRunOptions): Promise<StartedRun> {
  checkStartArguments(delDir, options);
  requireRecordable(delDir);
  // As emit and finish refuse it: the run's record would go where they will not write.
  refuseBackslash(delDir);
  const dir = resolve(delDir);
  const exists = kindOf(dir) === "folder";
  if (!exists && !(options.mayCreate && kindOf(dirname(dir)) === "folder")) {
    await refuseMisspeltFolder(delDir);
    requireFolder(dir, delDir);
  }
  if (!exists) await refuseUnnamedNewFolder(delDir);
  else refuseLeftFolder(delDir);
  checkRunArguments({ agent: options.agent, status: "SUCCESS", pass: options.pass });
  if (options.pid !== undefined && (!Number.isSafeInteger(options.pid) || options.pid <= 0)) {
    throw new OptionError((name) =>
      `${name("pid")}: must be a process id (a whole number above 0)`
    );
  }
  const { files, folders, unlisted } = exists
    ? folderFiles(dir)
    : { files: [], folders: [], unlisted: [] };
  const cwd = currentFolder();
  // Before the start's time is taken: a record appended after that time lies past the mark.
  const recordsAtStart = exists ? recordFileMark(dir) : undefined;
  const [start, head] = await Promise.all([
    captureStart(dir, {
      inputs: options.inputs,
      allowOutside: options.allowOutside,
      mayCreate: !exists,
    }),
    exists ? gitHead(dir) : "",
  ]);
  // Before the run is kept, or exec's command runs: its finish could never write its record.
  refuseUnrecordableStart(join(dir, RECORD_FILE), start);
  // A path is only a path: recorded as given (not found, TBD), with a warning.
  const warnings = (options.inputs ?? []).flatMap((p) => placeholderProblem("--input", p) ?? []);
  start.notes.push(...warnings);
  const run: PendingRun = {
    id: newRunId(start.started),
    agent: options.agent,
    ...(options.pass !== undefined ? { pass: options.pass } : {}),
    ...(options.pid !== undefined ? { pid: options.pid } : {}),
    host: hostname(),
    gitHead: head,
    start,
    files,
    folders,
    unlisted,
    ...(cwd !== undefined ? { cwd } : {}),
    ...(recordsAtStart !== undefined ? { recordsAtStart } : {}),
  };
  // An ID another folder of the root has too: said now, before the run's record shares RunIDs.
  const identity = exists ? deliverableId(dir) : undefined;
  if (recordsAtStart !== undefined && identity !== undefined) {
    // Its finish then reads only past the mark for its RunID's SEQ (finish-40 F3).
    const prefix = runIdPrefix(identity.id, start.started);
    const seq = seqAtMark(join(dir, RECORD_FILE), recordsAtStart, prefix);
    if (seq !== undefined && seq <= BigInt(Number.MAX_SAFE_INTEGER)) {
      run.seqAtStart = { prefix, seq: Number(seq) };
    }
  }
  const shared = identity?.note ? sharedIdWarning(dir, identity.id) : undefined;
  // Said while the agent can still stop (review-x F7): its finish says it again.
  const retired = exists ? retiredWarning(dir, start.statusBefore, { verb: "started" }) : undefined;
  const said = [
    ...new Set([...warnings, ...start.warnings ?? []]),
    ...shared ? [`${identity!.note}; ${shared}`] : [],
    ...retired ? [retired] : [],
    ...exists ? earlierRunWarnings(dir, run) : [],
    ...options.pid !== undefined && pidAlive(options.pid) === false
      // Warned, not refused: refused, the agent would carry on with no run to finish at all.
      ? [
        `--pid ${options.pid}: no such process on this machine: the next runrec reap writes ` +
        "this run FAILED at once (a finish then supersedes that record); give the agent's own " +
        "process, one that lives until its finish, or leave --pid out",
      ]
      : [],
  ];
  const warned = said.length > 0 ? { warnings: said } : {};
  if (!exists) return { delDir: dir, run, creates: true, ...warned };
  try {
    const kept = keepPendingRun(dir, run);
    return { delDir: dir, run: kept.run, token: kept.token, ...warned };
  } catch (e) {
    const why = (e as Error).message.split("\n")[0].replaceAll(`${dir}/`, "");
    run.start.notes.push(`pending run not saved (${why}): reap could not have recorded a crash`);
    return { delDir: dir, run, notSaved: why, ...warned };
  }
}

/**
 * A warning for each run of `run`'s agent still pending in `dir` when it
 * starts `run`: most often a finish forgotten, which `reap` would write
 * FAILED; seconds old with the same inputs, most often a start retried after
 * its token was lost (retried_start.ts: reap says so only once the retry is recorded). The
 * runs kept outside `dir` (it was read-only at their start) count too.
 */
function earlierRunWarnings(dir: string, run: PendingRun): string[] {
  const { agent } = run;
  // A read-only folder's runs are kept outside it (keepPendingRun), as reap finds them too.
  const pending = [...listPendingRuns(dir), ...keptOutside(dir)];
  const exec = optionalEnv(EXEC_RUN_VARIABLE);
  return pending.filter((i) =>
    i.run?.agent === agent && !i.claimedBy && !sameProcessRun(i.run, run)
  ).map((i) => {
    if (i.id === exec) return underExec(dir, run, i.id);
    const since = `${agent}'s run ${i.id} (since ${i.run!.start.started}`;
    const finish = `runrec finish ${shellWord(i.path)} --status S ...`;
    const retried = retriedAfter(i.run!, run);
    if (retried !== undefined) {
      return `${since}, ${retried} before this start, with the same inputs) is still pending ` +
        "here: if this start was retried after its token was lost, go on with this token (the " +
        "earlier run is reaped FAILED, its note saying it was probably a retried start when " +
        "this run is recorded first); if the earlier run is another agent's still at work (a " +
        "fan-out, another session), leave it alone; only if its finish was forgotten, " +
        `${finish} records it`;
    }
    return `${since}) is still pending here: if its finish was forgotten, ${finish} records ` +
      `it; if its agent is gone, runrec reap ${shellWord(dir)}` +
      `${i.run!.pid === undefined ? " --older-than DURATION" : ""} writes it FAILED`;
  });
}

/**
 * The environment variable in which `exec` names its run to CMD: a run of the same agent
 * started in the same folder beneath it is that run, recorded twice (trial-37 F3).
 *
 * @example
 * ```ts
 * import { EXEC_RUN_VARIABLE } from "./run.ts";
 * new Deno.Command("sh", { env: { [EXEC_RUN_VARIABLE]: "20260222T101500123Z-1a2b3c4d" } });
 * ```
 */
export const EXEC_RUN_VARIABLE = "RUNREC_EXEC_RUN";

/**
 * The warning for `run` started beneath `runrec exec`'s run `execId` of the same agent and
 * folder, and the note its record keeps: exec records the command's run when it ends, so this
 * one is that run's second record. Not refused: the agent's block would emit instead.
 */
function underExec(dir: string, run: PendingRun, execId: string): string {
  // "run id", not "run <id>": that would read as this record's own run (agent_notes.ts).
  run.start.notes.push(`started under runrec exec (run id ${execId}), which records this run too`);
  return `this command runs under runrec exec, whose run ${execId} of ${run.agent} in this ` +
    "folder is recorded when the command ends: this run's record would be a second one; under " +
    "runrec exec, leave runrec start and finish out (or run the agent without exec); once " +
    `recorded, take this one back: runrec annotate ${shellWord(dir)} <its RunID> --invalidates ` +
    '--note "recorded twice"';
}

/**
 * Whether `earlier` and `run` both watch this very process (a `withRun`
 * fan-out, or one nested in another's callback): it finishes each itself, so
 * none was forgotten, and its agent is not gone (trial-37 F2).
 */
function sameProcessRun(earlier: PendingRun, run: PendingRun): boolean {
  return run.pid === Deno.pid && earlier.pid === Deno.pid && earlier.host === run.host;
}

/**
 * The files of a deliverable folder (relative, runrec's own left out), the
 * folders listed to find them (`""` the deliverable folder itself), and the
 * folders found but not listed (a linked folder, one it cannot read), so that
 * finish can tell an output the run deleted from one that never was: only
 * where a folder was listed. The walk does not list `node_modules` nor `.git`.
 */
function folderFiles(dir: string): { files: string[]; folders: string[]; unlisted: string[] } {
  const files: string[] = [];
  const folders = new Set([relativePath(dir, dir)]);
  const unlisted = new Set<string>();
  const unlistable = (path: string, error: Error) => {
    // Names that read alike stand for files not listed: their folder's listing is incomplete.
    unlisted.add(relativePath(dir, error instanceof CollidingNames ? dirname(path) : path));
  };
  for (const entry of walk(dir, { unlistable })) {
    const rel = relativePath(dir, entry.path);
    if (entry.kind === "file" && !isRunrecOwn(dir, rel)) files.push(rel);
    if (entry.kind === "folder") (entry.linked ? unlisted : folders).add(rel);
  }
  return {
    files: files.sort(),
    folders: [...folders].filter((f) => !unlisted.has(f)).sort(),
    unlisted: [...unlisted].sort(),
  };
}

/** The current folder, or `undefined` when it cannot be read (removed, or not permitted). */
function currentFolder(): string | undefined {
  try {
    return Deno.cwd();
  } catch {
    return undefined;
  }
}

/** What is known about a run when it ends. */
export interface FinishReport {
  /** `SUCCESS`, `PARTIAL`, `FAILED` or `SKIPPED`, as {@linkcode RunReport}'s `status`. */
  status: string;
  /** Files the run wrote, relative to the deliverable folder or absolute. */
  outputs?: readonly string[];
  /** Hashes of outputs already known (`DELETED` for a deleted file). */
  outputHashes?: Record<string, string>;
  /** What went wrong (FAILED/PARTIAL). */
  error?: string;
  /** Free text. */
  notes?: string;
  /**
   * The host's agent files, for the agent's profile (default: an `agents/` folder in or above
   * the deliverable, up to the project's root).
   */
  agentsDir?: string;
  /**
   * The agent's name as the finisher knows it: checked against the pending
   * run's, and the only one there is for a run whose pending file is gone.
   */
  agent?: string;
}

/**
 * Finishes a started run: adds the duration, StatusAfter and the outputs'
 * hashes, writes the record as `emit` does (a failed write is spooled, never
 * thrown), and removes the pending run once the record is written or
 * spooled. Throws {@linkcode InputError} for bad arguments (the run stays
 * pending) and when the run was finished already. A run that `reap` wrote
 * as FAILED meanwhile is finished all the same: its record's Notes say that
 * it supersedes the FAILED one, which stays. A run whose pending file was
 * removed under it (`git clean -x`), and not recorded, is recorded from
 * `started`; so is a run that removed its own deliverable folder, into the
 * user's spool until the folder is back (then `replaySpool` appends it).
 *
 * @example
 * ```ts
 * import { finishRun, startRun } from "@runrec/runrec";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * const started = await startRun(dir, { agent: "DEPENDENCIES" });
 * const outcome = await finishRun(started, { status: "PARTIAL", error: "2 of 3 documents" });
 * for (const warning of outcome.warnings) console.error(`runrec: warning: ${warning}`);
 * ```
 */
export async function finishRun(
  started: StartedRun,
  report: FinishReport,
  options: FinishOptions = {},
): Promise<RunOutcome> {
  checkFinishArguments(started, report);
  checkFinishOptions(started.delDir, options);
  return printed(await finishStarted(started, report, options), options);
}

/** {@linkcode finishRun} once its arguments are checked, before its outcome is printed. */
async function finishStarted(
  started: StartedRun,
  report: FinishReport,
  options: FinishOptions,
): Promise<RunOutcome> {
  checkAppendOptions(options); // before the run is claimed: a bad option leaves it pending
  requireRecordable(started.delDir);
  let { run } = started;
  if (report.agent !== undefined && report.agent !== run.agent) {
    throw new OptionError((name) =>
      `${name("agent")} ${report.agent}: run ${run.id} was started by ${run.agent}; ` +
      "it is still pending"
    );
  }
  if (started.token === undefined) {
    if (started.creates) requireFolder(started.delDir); // the run that was to create it did not
    return await finishClaimed(started.delDir, run, undefined, report, options);
  }
  const { delDir, token } = whereRunIs(started.delDir, run.id, started.token);
  if (delDir !== started.delDir && kindOf(started.delDir) === "folder") {
    const notes = [...run.start.notes, gitMovedNote(started.delDir, delDir)];
    run = { ...run, start: { ...run.start, notes } };
  }
  let claim: { claimed: string; reaped: boolean } | undefined;
  try {
    claim = await claimForFinish(delDir, run.id, token);
  } catch (e) {
    if (!(e instanceof ReadOnlyRun)) throw e;
    return (await finishReadOnly(delDir, e, { ...report, agent: run.agent }, options)).outcome;
  }
  if (claim) {
    const reaped = await recordedAlready(delDir, run, claim);
    return await refusedStillPending(
      { target: token },
      () =>
        reaped
          ? finishReaped(delDir, run, claim.claimed, report, options)
          : finishClaimed(delDir, run, claim.claimed, report, options),
    );
  }
  // No file to claim. A finisher writes the record before it lets go of its claim, so a run
  // neither claimed nor recorded is one whose file was removed under it: it is recorded here.
  if (claimHolder(token) !== undefined) throw goneError(delDir, run.id);
  const found = await recordOfGoneRun(delDir, run);
  if (found) throw recordedError(delDir, run.id, delDir, found, run.agent);
  // With the folder itself gone, finishClaimed says so: no guess about git clean beside it.
  const notes = kindOf(delDir) === "folder"
    ? [
      ...run.start.notes,
      "pending run file removed during the run (git clean -x?): recorded from what the " +
      "finishing process held; reap could not have recorded a crash",
    ]
    : run.start.notes;
  const held = { ...run, start: { ...run.start, notes } };
  return await finishLost(delDir, held, report, options);
}

/**
 * Records a run whose pending file is gone, once: under a marker only one
 * finisher gets ({@linkcode claimLostRun}), and only when its record is not
 * there yet, checked again once the marker is held (a finisher that raced
 * this one may have written it). The marker is dropped once the finish is
 * over: then the record (in the file or the spool) says the run is finished,
 * and a record that was lost leaves the run to be finished again.
 */
async function finishLost(
  delDir: string,
  run: PendingRun,
  report: FinishReport,
  options: FinishOptions,
): Promise<RunOutcome> {
  // A folder removed during the run has no marker: its record goes to the user's spool.
  if (kindOf(delDir) !== "folder") {
    return await finishClaimed(delDir, run, undefined, report, options);
  }
  let marker: string | MarkerHeld;
  try {
    marker = await claimLostRun(delDir, run.id);
  } catch {
    // No marker can be made (a full or failing disk): recorded without one, as the record
    // matters more than the rare race it guards against; the write spools it if need be.
    return await finishClaimed(delDir, run, undefined, report, options);
  }
  if (typeof marker !== "string") throw beingFinished(delDir, run.id, marker);
  try {
    const found = await recordOfGoneRun(delDir, run);
    if (found) throw recordedError(delDir, run.id, delDir, found, run.agent);
    return await finishClaimed(delDir, run, undefined, report, options);
  } finally {
    dropMarker(marker);
  }
}

/** Removes a lost run's marker; one left behind only delays a retry until its holder is gone. */
function dropMarker(marker: string): void {
  try {
    Deno.removeSync(marker);
  } catch { /* the finish's own outcome is what the caller needs */ }
}

/**
 * The deliverable folder a started run is finished in: its own, or the
 * renamed one holding the run when the run renamed its folder (a label
 * change), so that what it did is compared with what is there now.
 *
 * @example
 * ```ts
 * import { runFolderNow, startRun } from "./run.ts";
 * const started = await startRun("DEL-01-02_Flow", { agent: "DEPENDENCIES" });
 * await Deno.rename("DEL-01-02_Flow", "DEL-01-02_Flow_Meter");
 * runFolderNow(started); // "/abs/DEL-01-02_Flow_Meter"
 * ```
 */
export function runFolderNow(started: StartedRun): string {
  return started.token === undefined
    ? started.delDir
    : whereRunIs(started.delDir, started.run.id, started.token).delDir;
}

/**
 * The run's pending file now (in its renamed folder, if the run renamed it); `undefined` for a
 * run kept in memory.
 *
 * @example
 * ```ts
 * import { runFileNow, type StartedRun } from "./run.ts";
 * declare const started: StartedRun;
 * console.log(runFileNow(started) ?? "kept in memory");
 * ```
 */
export function runFileNow(started: StartedRun): string | undefined {
  return started.token === undefined
    ? undefined
    : whereRunIs(started.delDir, started.run.id, started.token).token;
}

/**
 * Where the run's file is: at its token, or in the renamed folder when the
 * run renamed its deliverable folder (a label change). A folder git left
 * behind keeps the file, and the run is recorded where its files went
 * (./git_moved_folder.ts).
 */
function whereRunIs(delDir: string, id: string, token: string): { delDir: string; token: string } {
  if (kindOf(delDir) === "folder") {
    return { delDir: folderGitMovedTo(delDir, token) ?? delDir, token };
  }
  if (token !== pendingPath(delDir, id)) return { delDir, token };
  try {
    const moved = movedFolder({ delDir, id });
    if (moved) return { delDir: moved.delDir, token: pendingPath(moved.delDir, id) };
  } catch { /* held elsewhere too: not this run's folder to guess */ }
  return { delDir, token }; // removed, not moved
}

/**
 * Finishes the pending run that `target` and `run` name, as `runrec finish`
 * does: `target` is a token (the path `start` printed), or a deliverable
 * folder with `run` its token or id, or a deliverable folder alone with
 * exactly one pending run (or one of `report.agent`'s). A run whose folder
 * turned read-only since its start is recorded into the user's spool, its
 * file left for `runrec flush` (see `finishReadOnly`).
 *
 * @example
 * ```ts
 * import { finishPendingRun, startRun } from "@runrec/runrec";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * await startRun(dir, { agent: "DEPENDENCIES" }); // or runrec start, in another process
 * const { outcome } = await finishPendingRun(dir, undefined, { status: "SUCCESS" });
 * console.log(outcome.written?.record.RunID);
 * ```
 */
export async function finishPendingRun(
  target: string,
  run: string | undefined,
  report: FinishReport,
  options: FinishOptions = {},
): Promise<{ delDir: string; run: PendingRun; outcome: RunOutcome }> {
  checkFinishPendingArguments(target, run, report, options);
  const finished = await finishNamedRun(target, run, report, options);
  return { ...finished, outcome: printed(finished.outcome, options) };
}

/** {@linkcode finishPendingRun} once its arguments are checked, before its outcome is printed. */
async function finishNamedRun(
  target: string,
  run: string | undefined,
  report: FinishReport,
  options: FinishOptions,
): Promise<{ delDir: string; run: PendingRun; outcome: RunOutcome }> {
  checkAppendOptions(options); // before the run is claimed: a bad option leaves it pending
  const { delDir, id, path, movedFrom } = await locateRun(target, run, report);
  let claim: { claimed: string; reaped: boolean } | undefined;
  try {
    claim = await claimForFinish(delDir, id, path);
  } catch (e) {
    if (!(e instanceof ReadOnlyRun)) throw e;
    return { delDir, ...await finishReadOnly(delDir, e, report, options) };
  }
  if (!claim) {
    const lost = await runFromToken(delDir, id, path, report.agent);
    return { delDir, run: lost, outcome: await finishLost(delDir, lost, report, options) };
  }
  let pending: PendingRun;
  try {
    pending = readPendingRun(claim.claimed);
    // The same folder through a link (started through it, finished through the real path) is no other.
    const implausible = pending.delDir !== undefined && !sameFolder(resolve(pending.delDir), delDir)
      ? `it names another deliverable folder, ${pending.delDir}`
      : implausibleStart(pending.start.started, startJudgedAt(claim.claimed));
    if (implausible) {
      throw new InputError(
        `${claim.claimed}: not finished: ${implausible}; it stays pending, unchanged ` +
          "(delete the file if no agent of yours started this run)",
      );
    }
    if (report.agent !== undefined && report.agent !== pending.agent) {
      throw new OptionError((name) =>
        `${name("agent")} ${report.agent}: run ${id} was started by ${pending.agent}; ` +
        "it is still pending"
      );
    }
  } catch (e) {
    if (e instanceof DamagedRunFile && report.agent !== undefined && !claim.reaped && path) {
      return await finishDamaged({ delDir, id, path, claimed: claim.claimed }, e, report, options);
    }
    releaseClaim(claim.claimed);
    // Named as the finisher knows it, not by the claim's name it no longer has.
    const file = claim.claimed.replace(/\.claim-[^/\\]*$/, "");
    throw e instanceof InputError && !(e instanceof OptionError)
      ? new InputError(e.message.replaceAll(claim.claimed, file), { cause: e })
      : e;
  }
  if (movedFrom !== undefined) pending.start.notes.push(gitMovedNote(movedFrom, delDir));
  // Said again as it was given: a reaped run's claimed file is no token finish takes.
  const reaped = await recordedAlready(delDir, pending, claim);
  const outcome = await refusedStillPending(
    { target, run },
    () =>
      reaped
        ? finishReaped(delDir, pending, claim.claimed, report, options)
        : finishClaimed(delDir, pending, claim.claimed, report, options),
  );
  return { delDir, run: pending, outcome };
}

/** The note of a run recorded in `delDir`, where git moved the files of `movedFrom` during it. */
function gitMovedNote(movedFrom: string, delDir: string): string {
  return `deliverable folder moved during the run, from ${relative(dirname(delDir), movedFrom)} ` +
    "(git moved its files, a checkout, pull or rebase): recorded where they are";
}

/**
 * Finishes a run whose pending file is damaged (emptied or cut: it tells no
 * more than the token) as one whose file is gone: recorded from its token and
 * `report.agent`, the damage noted. The file is moved aside meanwhile, put
 * back when the run is not recorded, and removed once it is.
 */
async function finishDamaged(
  { delDir, id, path, claimed }: { delDir: string; id: string; path: string; claimed: string },
  damaged: DamagedRunFile,
  report: FinishReport,
  options: FinishOptions,
): Promise<{ delDir: string; run: PendingRun; outcome: RunOutcome }> {
  const aside = `${path}.damaged`;
  Deno.renameSync(claimed, aside);
  let run: PendingRun;
  let outcome: RunOutcome;
  try {
    run = await runFromToken(delDir, id, path, report.agent);
    run.start.notes = run.start.notes.map((note) =>
      note.startsWith("pending run file gone")
        ? `pending run file damaged (${damaged.damage}), removed: inputs not captured at ` +
          "start (TBD), StatusBefore unknown"
        : note
    );
    outcome = await finishLost(delDir, run, report, options);
  } catch (e) {
    Deno.renameSync(aside, path); // not recorded: left pending, as it was
    throw e;
  }
  try {
    Deno.removeSync(aside);
  } catch { /* recorded: a file left aside is listed nowhere */ }
  return { delDir, run, outcome };
}

/**
 * Puts back what a git command dropped from `delDir`'s record file (a retried
 * finish's record among it), saying so in a note, before a finish looks for
 * a run's record. A failure leaves the look as it was.
 */
async function putBackBeforeLooking(delDir: string): Promise<void> {
  const file = join(delDir, RECORD_FILE);
  const runIds = await restoreDroppedRecords(file).catch(() => [] as string[]);
  for (const runId of runIds) {
    leaveNote(
      `${runId} put back into ${file}, which a git command (pull, checkout, reset, revert) had ` +
        "dropped it from",
    );
  }
}

/**
 * The run a token names whose pending file is gone (`git clean -x` between
 * start and finish), as far as the token tells it: its start time (in its
 * id), its folder, and the agent the finisher names. Its inputs were
 * captured in the file that is gone: TBD, noted. Throws
 * {@linkcode InputError} when the run was finished already or is being
 * finished, when no token named it, when its folder is gone, and when
 * nothing says that it was ever started: no `--agent` (the agent block
 * always gives it), or a start time {@linkcode implausibleStart} refuses.
 */
async function runFromToken(
  delDir: string,
  id: string,
  path: string | undefined,
  agent: string | undefined,
): Promise<PendingRun> {
  const started = runIdStart(id);
  // No folder at all (a removed worktree; a moved one was looked for): recorded all the same.
  const folderGone = path !== undefined && isGone(delDir);
  if (path === undefined || (!folderGone && kindOf(delDir) !== "folder")) {
    // `--run <id>` of a run recorded here already (or finished by the finish it waited for).
    const found = path === undefined ? await recordOfGoneRun(delDir, { id }) : undefined;
    if (found) throw recordedError(delDir, id, delDir, found, agent);
    // `--run <id>` of a run started in another worktree, or in another deliverable folder:
    // that finish, not emit.
    throw (path === undefined
      ? pendingInOtherWorkTrees(delDir, { id }) ?? pendingNextDoor(delDir, id) ??
        unknownRunError(delDir, id)
      : goneError(delDir, id));
  }
  if (claimHolder(path) !== undefined) throw goneError(delDir, id);
  // The user's spool holds a gone folder's record, and a moved folder's file the record its
  // finish wrote there (its old path back since): a second finish finds it and records nothing.
  const wanted = DELIVERABLE_FOLDER.exec(basename(delDir))?.[1];
  const others = nearbyFolders(delDir).filter((dir) => dir !== delDir);
  const sameId = others.filter((dir) => DELIVERABLE_FOLDER.exec(basename(dir))?.[1] === wanted);
  // A record a git command dropped since the first finish is this run's: put back, it is found.
  await putBackBeforeLooking(delDir);
  for (const place of [delDir, ...sameId]) {
    const found = await recordOfGoneRun(place, { id });
    if (found) throw recordedError(delDir, id, place, found, agent);
  }
  const lookAlike = pendingLookAlike(delDir, id, agent, others);
  if (lookAlike) throw lookAlike;
  if (agent === undefined) {
    if (folderGone) {
      throw new InputError(
        `${delDir}: no such folder (moved or removed since runrec start?), and no deliverable ` +
          `folder of its execution root holds run ${id}: if it moved, runrec finish <its new ` +
          `path> --run ${id}; if it is gone (a removed worktree), finish with --agent NAME ` +
          "records the run from its token",
      );
    }
    throw goneError(delDir, id, "finish with --agent NAME records it from the token");
  }
  const implausible = implausibleStart(started, Date.now(), true);
  if (implausible) throw goneError(delDir, id, implausible);
  const notes = [
    `${folderGone ? "deliverable folder" : "pending run file"} gone before finish ` +
    `(${folderGone ? "a removed worktree?" : "git clean -x?"}): inputs not captured at start ` +
    "(TBD), StatusBefore unknown",
    // A note of its own: runrec's notes are marked where they quote a run id, its machine notes not.
    fromTokenNote(id),
  ];
  return {
    id,
    agent,
    host: hostname(),
    start: {
      started,
      statusBefore: TBD,
      inputFiles: [],
      inputHashes: {},
      notes,
      inputsUnknown: true,
    },
  };
}

/**
 * The error naming the pending (or reaped) runs a token whose file is gone may
 * have meant, or `undefined`: the run `id` in another deliverable folder near
 * it (`others`: the folder moved and its old path came back, or the token was
 * given with another deliverable's folder), or
 * a run of `agent` in `delDir` whose id shares the token's start or its random
 * part (one of the two mistyped). Recorded from the token, that run would be
 * recorded twice: once by this finish, once by its own finish or by reap.
 */
function pendingLookAlike(
  delDir: string,
  id: string,
  agent: string | undefined,
  others: readonly string[],
): InputError | undefined {
  const runsOf = (dir: string) =>
    unfinishedRuns(dir).filter(({ item }) => item.run && !item.claimedBy);
  const [start, random] = id.split("-");
  const near = (kindOf(delDir) === "folder" ? runsOf(delDir) : []).filter(({ item }) =>
    item.id !== id && (agent === undefined || item.run!.agent === agent) &&
    (item.id.startsWith(`${start}-`) || item.id.endsWith(`-${random}`))
  ).map((run) => ({ dir: delDir, ...run }));
  const moved = others.flatMap((dir) =>
    runsOf(dir).filter(({ item }) => item.id === id).map((run) => ({ dir, ...run }))
  );
  const found = [...moved, ...near];
  if (found.length === 0) return undefined;
  // The pending file's path finishes a reaped run too (see claimForFinish).
  const each = found.map(({ dir, item, state }) =>
    `run ${item.id} (${item.run!.agent}, since ${item.run!.start.started}) is ${state} in ` +
    `${dir}: runrec finish ${shellWord(pendingPath(dir, item.id))} --status S ...`
  ).join("; ");
  return new InputError(
    `${delDir}: no pending run ${id}, but ${each}; if that is this run (a token mistyped or ` +
      "given with another folder, or its folder moved and the old path back), finish it so; " +
      "nothing written (recorded from this token, the run would be recorded twice)",
  );
}

/** Characters of a thrown error's message that `withRun` keeps in ErrorSummary. */
const ERROR_KEPT = 4_000;

/**
 * Claims the run `id` of `delDir` for finishing: its pending file or, when
 * `reap` wrote the run as FAILED meanwhile, its reaped file. While a live
 * process on this machine holds the run (`reap` writing it, another
 * `finish`), waits for it, up to {@linkcode CLAIM_WAIT_MS}.
 */
async function claimForFinish(
  delDir: string,
  id: string,
  path = pendingPath(delDir, id),
): Promise<{ claimed: string; reaped: boolean } | undefined> {
  const pending = await claimRunFile(delDir, path, false);
  if (pending !== NO_FILE) {
    return pending === undefined ? undefined : { claimed: pending, reaped: false };
  }
  const reaped = await claimRunFile(delDir, reapedPlace(delDir, path), true);
  return reaped === NO_FILE || reaped === undefined ? undefined : { claimed: reaped, reaped: true };
}

/** What {@linkcode claimRunFile} answers when there is no such file to claim. */
const NO_FILE = Symbol("no run file");

/**
 * Claims the run file `path` (pending, or `reaped`), taking over the claim of
 * a finisher that died holding it. Returns the claimed path, `undefined` when
 * a live process holds it or the dead finisher wrote the run's record first
 * (a record other than reap's FAILED one), or {@linkcode NO_FILE}. A dead
 * claimant of a pending file whose run's only record is reap's FAILED one was
 * that reap, killed before it kept the run in `reaped/`: the run is taken
 * over, and finished as a reaped one (see `recordedAlready`).
 */
async function claimRunFile(
  delDir: string,
  path: string,
  reaped: boolean,
): Promise<string | undefined | typeof NO_FILE> {
  const deadline = Date.now() + CLAIM_WAIT_MS;
  while (true) {
    let claimed: string | undefined;
    try {
      claimed = claimPendingRun(path);
    } catch (e) {
      if (claimFailedReadOnly(e)) throw new ReadOnlyRun(path, reaped, e);
      // The run stays pending (reap records it): said naming its file.
      throw new InputError(`${path}: ${(e as Error).message}`, { cause: e });
    }
    if (claimed) return claimed;
    const holder = claimHolder(path);
    if (holder === undefined) {
      // Given back between the two looks (a finish refused for its --status): claim it now.
      if (kindOf(path) !== "file" || Date.now() > deadline) return NO_FILE;
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    const state = processState(holder);
    if (state === "gone") {
      // A finisher killed mid-way: its run is ours to finish, unless it wrote the record first.
      const taken = takeOverClaim(path, holder);
      if (taken === undefined) continue;
      let run: PendingRun;
      try {
        run = readPendingRun(taken);
      } catch (e) {
        releaseClaim(taken); // refused (edited by hand): left as it was, not held by us
        throw e;
      }
      const found = await recordOfRun(delDir, run);
      if (found === undefined || found.reaped) return taken;
      Deno.removeSync(taken);
      return undefined;
    }
    if (state !== "alive" || Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A run whose file cannot be claimed because its folder is read-only now: see `finishReadOnly`. */
class ReadOnlyRun extends InputError {
  constructor(readonly path: string, readonly reaped: boolean, cause: unknown) {
    super(`${path}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Finishes a run whose folder turned read-only after its start (its file
 * there can be read, not claimed): the record goes to the user's spool with
 * the run's id in its Notes, and the file stays. A marker in this user's
 * folder of pending runs ({@linkcode claimReadOnlyRun}) lets one finisher at a
 * time in, and one that finds the run's record (in the file or the spool)
 * writes nothing; `reap` leaves a run whose record is spooled; `runrec flush`,
 * once the folder is writable, appends the record and removes the file. A
 * folder writable again by the time of the write takes the record: the file
 * is removed then.
 */
async function finishReadOnly(
  delDir: string,
  readOnly: ReadOnlyRun,
  report: FinishReport,
  options: FinishOptions,
): Promise<{ run: PendingRun; outcome: RunOutcome }> {
  let run: PendingRun;
  let marker: string | MarkerHeld;
  try {
    run = readPendingRun(readOnly.path);
  } catch {
    throw readOnly; // the run stays pending
  }
  try {
    marker = await claimReadOnlyRun(run.id);
  } catch (e) {
    // Said, since freeing $TMPDIR is the remedy: the run stays pending.
    throw new InputError(
      `${readOnly.message}; and the marker that finishes a run of a read-only folder could not ` +
        `be made in ${outsidePendingFolder() ?? "this user's folder of pending runs"} ` +
        `(${failureReason(e as Error)}); the run stays pending`,
      { cause: e },
    );
  }
  if (typeof marker !== "string") throw beingFinished(delDir, run.id, marker);
  try {
    const implausible = run.delDir !== undefined && !sameFolder(resolve(run.delDir), delDir)
      ? `it names another deliverable folder, ${run.delDir}`
      : implausibleStart(run.start.started, startJudgedAt(readOnly.path));
    if (implausible) {
      throw new InputError(`${readOnly.path}: not finished: ${implausible}; it stays pending`);
    }
    if (report.agent !== undefined && report.agent !== run.agent) {
      throw new OptionError((name) =>
        `${name("agent")} ${report.agent}: run ${run.id} was started by ${run.agent}; ` +
        "it is still pending"
      );
    }
    const found = await recordOfRun(delDir, run);
    if (found && !found.reaped) throw recordedError(delDir, run.id, delDir, found, run.agent);
    // Said so whether the record is spooled or, the folder writable again by the write, written.
    const notes = [...run.start.notes, READ_ONLY_FINISH_NOTE];
    const held = { ...run, start: { ...run.start, notes } };
    const outcome = readOnly.reaped || found?.reaped
      ? await finishReaped(delDir, held, undefined, report, options)
      : await finishClaimed(delDir, held, undefined, report, options);
    const again = `runrec flush ${shellWord(delDir)}`;
    if (outcome.written || outcome.unconfirmed) {
      // The folder became writable before the write: the record is in the file, as a finish's.
      try {
        Deno.removeSync(readOnly.path);
      } catch (e) {
        outcome.warnings.push(
          `${readOnly.path} not removed (${failureReason(e as Error)}): run ${run.id} is ` +
            "recorded; reap removes it",
        );
      }
      return { run, outcome };
    }
    outcome.warnings.push(
      outcome.spooledTo
        ? `${delDir} is read-only now: run ${run.id}'s record waits in ${outcome.spooledTo}; ` +
          `once the folder is writable, ${again} appends it and removes ${readOnly.path}; ` +
          // A finish or reap looks in its own user's spool only: where its $TMPDIR says.
          "meanwhile a finish or reap that looks in that spool (this user, this $TMPDIR) leaves " +
          "the run alone; a reap by another user or with another $TMPDIR may write it FAILED, " +
          "and this record, appended after, supersedes that one"
        : outcome.lost
        ? `${delDir} is read-only now: ${readOnly.path} stays; once the record's line below ` +
          "is appended (runrec flush --from FILE), do not finish the run again"
        : `${delDir} is read-only now: run ${run.id} is still pending, nothing recorded`,
    );
    return { run, outcome };
  } finally {
    dropMarker(marker);
  }
}

/**
 * Whether the claimed run is to be finished as one `reap` wrote as FAILED.
 * A pending file that came back (`git stash pop`, a restored copy) after its
 * run was recorded (from its token, its file gone) is recognised by its
 * record: removed, and the finish refused, so that the run is recorded once.
 * A claimed file back for a run `reap` wrote as FAILED is finished as a late
 * finish of it.
 */
async function recordedAlready(
  delDir: string,
  run: PendingRun,
  claim: { claimed: string; reaped: boolean },
): Promise<boolean> {
  const found = await recordOfRun(delDir, run);
  if (found?.spooledIn !== undefined && !found.reaped) {
    // Its finish spooled the record (a read-only folder): flush appends it and removes the file.
    releaseClaim(claim.claimed);
    throw recordedError(delDir, run.id, delDir, found, run.agent);
  }
  if (claim.reaped) return true;
  if (found === undefined) return false;
  if (found.reaped) {
    // Finished from this file: the copy reap kept would let a second late finish in.
    try {
      Deno.removeSync(reapedPlace(delDir, claim.claimed));
    } catch { /* none kept */ }
    return true;
  }
  Deno.removeSync(claim.claimed);
  const why = found.replayedFrom !== undefined
    ? "runrec flush appended it from the spool (a finish while the folder was read-only) as " +
      "this finish began: its pending file is removed"
    : found.finishedReadOnly
    ? "a finish while its folder was read-only wrote it and was stopped before removing its " +
      "pending file, which is removed now"
    : "its pending file had come back (git stash pop, a restored copy?) and is removed";
  throw new InputError(
    `${delDir}: run ${run.id} (${run.agent}) is recorded already as ` +
      `${found.runId ?? "a record in the spool"}: ${why}; nothing written`,
  );
}

/**
 * Finishes a run that `reap` wrote as FAILED (its agent was thought gone):
 * the agent's own record is written all the same, and its Notes say that
 * it supersedes the FAILED record (`lateFinishNote`), which stays (REQ-03).
 * A FAILED record still spooled is linked by the append that finds it in the
 * file: this one's, after replaying it, or the replay of both by `flush`
 * (store.ts `supersedingReaped`).
 */
async function finishReaped(
  delDir: string,
  run: PendingRun,
  claimed: string | undefined,
  report: FinishReport,
  options: FinishOptions,
): Promise<RunOutcome> {
  const reaped = await reapedRecord(delDir, run.id);
  const note = reaped === undefined ? REAPED_NOT_FOUND : lateFinishNote(reaped);
  const late = { ...run, start: { ...run.start, notes: [...run.start.notes, note] } };
  const outcome = await finishClaimed(delDir, late, claimed, report, options);
  const written = outcome.written;
  const linked = written !== undefined && LATE_FINISH.test(written.record.Notes);
  // Spooled (or lost): the append that replays it links it, if reap's record is there first,
  // as it may be in the same spool: not found in the file is no news (review-u F8).
  if (written === undefined || linked) {
    outcome.notes = outcome.notes.filter((n) => n !== REAPED_NOT_FOUND);
  }
  if (written !== undefined && !written.alreadyRecorded && !linked) {
    // In a spool this finish does not list (another $TMPDIR, another user), reap's record is left
    // out when replayed, this run being recorded (review-t F4): there is nothing to annotate.
    outcome.warnings.push(
      `the FAILED record reap wrote for run ${run.id} is not in RunRecords.csv once (in a ` +
        "spool this finish does not see, lost, or there twice after a merge): this record does " +
        "not name it; a spooled copy replayed later is left out, this run being recorded",
    );
  }
  return outcome;
}

/**
 * A run's start with its governed inputs as its own `_REFERENCES.md` lists them at its end: when
 * the run named that file among its outputs (PREPARATION writes it) and changed it, the files it
 * lists now that the start did not hash are hashed at the end, and those it no longer lists are
 * dropped, each with a note, as an `emit` at that moment would record them. Otherwise `stale`
 * would find each "now a governed input" (or "no longer" one) and the run DIRTY for ever. A
 * `_REFERENCES.md` another hand changed during the run is no reason: the run read the old list.
 */
async function withOwnReferences(
  delDir: string,
  start: RunStartState,
  report: FinishReport,
): Promise<RunStartState> {
  if (start.inputsUnknown) return start;
  const dir = resolve(delDir);
  const references = join(dir, REFERENCES_FILE);
  const named = [...report.outputs ?? [], ...Object.keys(report.outputHashes ?? {})];
  if (!named.some((p) => resolve(dir, p) === references)) return start;
  const now = (await hashFiles([references])).get(references);
  if (typeof now !== "string" || now === start.inputHashes[REFERENCES_FILE]) return start;
  const end = await governedInputsIn(dir, start.inputFiles, {
    allowOutside: start.allowOutside,
  });
  const added = Object.keys(end.hashes).filter((p) => !Object.hasOwn(start.inputHashes, p));
  const dropped = Object.keys(start.inputHashes).filter((p) => !Object.hasOwn(end.hashes, p));
  if (added.length === 0 && dropped.length === 0) return start;
  const inputHashes: Record<string, string> = {};
  for (const path of sortUtf8(Object.keys(end.hashes))) {
    inputHashes[path] = Object.hasOwn(start.inputHashes, path)
      ? start.inputHashes[path]
      : end.hashes[path];
  }
  // `_REFERENCES.md` itself, new at the end, goes without saying; a reference not found is TBD,
  // and the end's note on its line says why.
  const hashed = added.filter((p) => p !== REFERENCES_FILE && end.hashes[p] !== TBD);
  const notes = [
    ...start.notes,
    ...end.notes.filter((n) => n.startsWith(REFERENCES_FILE) && !start.notes.includes(n)),
    ...hashed.length === 0 ? [] : [
      `hashed at the end: ${counted(hashed, "governed input")} the run's own ${REFERENCES_FILE} ` +
      `added (${shownAtMost3(hashed)})`,
    ],
    ...dropped.length === 0 ? [] : [
      `dropped at the end: ${counted(dropped, "governed input")} the run's own ` +
      `${REFERENCES_FILE} no longer lists (${shownAtMost3(dropped)})`,
    ],
  ];
  return { ...start, inputHashes, notes };
}

/** `1 governed input`, `2 governed inputs`. */
function counted(items: readonly string[], noun: string): string {
  return `${items.length} ${noun}${items.length === 1 ? "" : "s"}`;
}

/** The first three of `items`, and `…` for the rest. */
function shownAtMost3(items: readonly string[]): string {
  return items.length <= 3 ? items.join(", ") : `${items.slice(0, 3).join(", ")}, …`;
}

/**
 * Builds and writes the record of a run claimed with `claimPendingRun` (or
 * kept in memory, `claimed` absent); the claim is removed (or passed to
 * `retire`) once the record is written or spooled, and given back when the
 * record was refused. A deliverable folder removed during the run is not
 * made again: its record is spooled outside it (`$TMPDIR/runrec-spool-<uid>`),
 * for `runrec flush` to append once the folder is back, and a warning says so.
 *
 * @example
 * ```ts
 * import { finishClaimed } from "./run.ts";
 * import { claimPendingRun, readPendingRun } from "./pending.ts";
 * const claimed = claimPendingRun("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json")!;
 * await finishClaimed("DEL-01-02_X", readPendingRun(claimed), claimed, { status: "FAILED" });
 * ```
 */
export async function finishClaimed(
  delDir: string,
  run: PendingRun,
  claimed: string | undefined,
  report: FinishReport,
  options: FinishOptions = {},
  retire: (claimed: string) => void = Deno.removeSync,
): Promise<RunOutcome> {
  const removed = kindOf(delDir) !== "folder";
  if (removed) {
    const note = madeByRun(run)
      ? "the deliverable folder was not there at the run's start, nor is it now"
      : "the deliverable folder was removed during the run";
    run = { ...run, start: { ...run.start, notes: [...run.start.notes, note] } };
  }
  const emptied = !removed && emptiedByGit(delDir, run);
  if (emptied) {
    const note = "the deliverable folder's files were taken away during the run (a git checkout " +
      "of a branch without it?)";
    run = { ...run, start: { ...run.start, notes: [...run.start.notes, note] } };
  }
  let outcome: RunOutcome;
  try {
    const start = await withOwnReferences(delDir, run.start, report);
    const built = await draftOfRun(delDir, run, start, report);
    const atStart = startSeq(run);
    if (atStart !== undefined) built.seqAtStart = atStart;
    if (emptied) built.spoolBecause = "the deliverable folder's files are gone";
    // A reaped run is no one's choice of folder or names: nothing to take back (review-x F7).
    if (report.error === REAPED_ERROR) delete built.mayBeMistaken;
    // A reaped run records no outputs: which runs were active beside it says nothing of them, and
    // asking for each of many reaped runs read every pending file again (scale-sweep F4).
    const concurrent = report.error === REAPED_ERROR
      ? undefined
      : await concurrentRunsNote(delDir, run, Date.now());
    const evidence = [
      concurrent ?? [],
      ...await startEvidenceNotes(delDir, run, built.draft),
    ].flat();
    if (evidence.length > 0) {
      built.draft.Notes = [built.draft.Notes, ...evidence].filter((n) => n !== "").join(" | ");
      built.notes.push(...evidence);
    }
    // The run's id: a retried finish, reap and a pending file back know its record by it, and
    // never by start time and agent, which runs started in the same millisecond share.
    if (!namesRun(built.draft.Notes, run.id)) {
      built.draft.Notes = [built.draft.Notes, runIdNote(run.id)].filter((n) => n !== "")
        .join(" | ");
    }
    const { print: _printedLater, ...writeOptions } = options;
    outcome = await writeRun(delDir, built, {
      holder: `runrec finish (${run.agent})`,
      ...writeOptions,
    });
  } catch (e) {
    if (!claimed) throw e;
    if (e instanceof RecordTooLarge) {
      // No record of it fits: left pending, reap would record a false FAILED.
      Deno.removeSync(claimed);
      throw new RunNotRecordable(`${e.message}; its pending run is removed`, { cause: e });
    }
    releaseClaim(claimed);
    throw e;
  }
  if (removed && outcome.spooledTo) {
    const gone = madeByRun(run)
      ? "not there at the run's start, nor now: its record waits in " +
        `${outcome.spooledTo}; once the folder is there`
      : `removed during the run: its record waits in ${outcome.spooledTo}; once the folder is ` +
        "back (git checkout)";
    outcome.warnings.push(
      `${delDir}: ${gone}, runrec flush ${shellWord(delDir)} appends it` +
        (outcome.lost
          ? "; the lost-record line below carries it too, should the folder not come back " +
            "there (a removed worktree): keep it; flush --from appends it once, whichever first"
          : ""),
    );
  }
  if (!claimed) return outcome;
  const kept = outcome.written || outcome.unconfirmed || outcome.spooledTo;
  if (!kept && outcome.lost && options.print) {
    // Its line is all that holds the record: the run leaves pending once the line is out.
    (outcome as HeldOutcome).settle = (said) => said ? retire(claimed) : releaseClaim(claimed);
    return outcome;
  }
  try {
    if (kept || outcome.lost) retire(claimed);
    else releaseClaim(claimed); // --strict and not written: still pending, to finish again
  } catch (e) {
    outcome.warnings.push(`pending run ${claimed} not removed: ${(e as Error).message}`);
  }
  return outcome;
}

/**
 * The record of a started run `run` ending as `report` says, from its start `start` (the run's
 * own, or one with notes added): what the start saw of the folder goes with it.
 *
 * @example
 * ```ts
 * import { draftOfRun, type StartedRun } from "./run.ts";
 * declare const started: StartedRun;
 * const built = await draftOfRun(started.delDir, started.run, started.run.start, {
 *   status: "SUCCESS",
 * });
 * console.log(built.draft.RunStatus); // "SUCCESS"
 * ```
 */
export function draftOfRun(
  delDir: string,
  run: PendingRun,
  start: RunStartState,
  report: FinishReport,
): ReturnType<typeof completeDraft> {
  const { agent: _named, ...end } = report;
  return completeDraft(delDir, start, {
    agent: run.agent,
    pass: run.pass,
    filesAtStart: run.files,
    foldersAtStart: run.folders,
    foldersUnlistedAtStart: run.unlisted,
    cwdAtStart: run.cwd,
    ...end,
  });
}

/**
 * Whether `run` was to make its deliverable folder: it was not there at the start (`exec` whose
 * command creates it, its copy reaped), so none of it was listed, the folder itself included.
 */
function madeByRun(run: PendingRun): boolean {
  return run.folders !== undefined && !run.folders.includes("") &&
    !(run.unlisted ?? []).includes("");
}

/** Options of {@linkcode finishRun} and {@linkcode finishPendingRun}. */
export interface FinishOptions extends RunOptions {
  /**
   * Prints the finish's outcome and returns whether a lost record's line
   * (`outcome.lost`) went out, on stderr or in a JSON document. Given, the run
   * of a record neither written nor spooled leaves pending only once its line
   * went out; when `print` returns false or throws, the run stays pending, for
   * `reap` or another finish. Without it, that run leaves pending as its line
   * is returned in the outcome: the caller keeps it.
   */
  print?: (outcome: RunOutcome) => boolean;
}

/** A finish's outcome whose run is held, neither pending nor removed, until its lost line is out. */
interface HeldOutcome extends RunOutcome {
  settle?: (said: boolean) => void;
}

/**
 * Prints `outcome` with `options.print`, then lets go of a run held for its
 * lost line: removed when the line went out, back to pending otherwise.
 */
function printed(outcome: RunOutcome, options: FinishOptions): RunOutcome {
  const { settle } = outcome as HeldOutcome;
  delete (outcome as HeldOutcome).settle;
  if (!options.print) return outcome;
  let said = false;
  try {
    said = options.print(outcome);
  } finally {
    try {
      settle?.(said);
    } catch { /* removed or given back by hand: what was printed stands */ }
  }
  return outcome;
}

/**
 * The deliverable folder and run id named by `target` and `run` (see
 * {@linkcode finishPendingRun}), and the run file's path when a token named
 * it. `run` may be the RunID `reap` gave a run it wrote as FAILED. A token
 * whose deliverable folder was renamed since (its label changed) is found
 * in the renamed folder. A folder without the run `run` names throws
 * {@linkcode InputError} naming the deliverable folder near it where that
 * run is pending. A folder without a run of the agent (without `--agent`:
 * without any run) throws naming the agent's runs pending in the deliverable
 * folders near it, if any ({@linkcode pendingInOtherDeliverables}), else the
 * advice to emit. A run of the folder kept outside it (read-only at start)
 * is the folder's, as `reap` finds it. A run whose folder git moved during
 * it (its files gone, runrec's state left: ./git_moved_folder.ts) is
 * recorded where the files went, its pending file taken where it is, and
 * `movedFrom` names the folder it started in.
 */
async function locateRun(
  target: string,
  run: string | undefined,
  report: FinishReport,
): Promise<{ delDir: string; id: string; path?: string; movedFrom?: string }> {
  const named = await namedRun(target, run, report);
  const path = named.path ?? pendingPath(named.delDir, named.id);
  const movedTo = folderGitMovedTo(named.delDir, path);
  // Its pending file stays where git left it; its record goes where the folder's files are.
  return movedTo === undefined
    ? named
    : { delDir: movedTo, id: named.id, path, movedFrom: named.delDir };
}

/** The deliverable folder and run id `target` and `run` name (see {@linkcode locateRun}). */
async function namedRun(
  target: string,
  run: string | undefined,
  report: FinishReport,
): Promise<{ delDir: string; id: string; path?: string }> {
  const { agent } = report;
  if (target === "") throw new InputError("the run's token or deliverable folder is empty");
  if (run !== undefined) {
    const token = parseToken(run);
    if (token) {
      if (resolve(token.delDir) !== resolve(target)) {
        throw new InputError(`--run ${run}: a run of ${token.delDir}, not of ${target}`);
      }
      return token;
    }
    requireFolder(resolve(target), target);
    if (RUN_ID_SYNTAX.test(run)) {
      const id = await reapedAs(target, run);
      // A run kept outside the folder (read-only at start) is reaped beside its token.
      const outside = reapedOutside(resolve(target)).find((i) => i.id === id);
      return { delDir: resolve(target), id, ...outside && { path: tokenOf(outside) } };
    }
    if (!isRunId(run)) {
      throw new InputError(
        `--run: ${JSON.stringify(run)} is not a run token, a pending run's id or a RunID`,
      );
    }
    // A run of the folder kept outside it is finished from its file there (or, reaped, beside it).
    const outside = keptOutside(resolve(target)).find((i) => i.id === run) ??
      reapedOutside(resolve(target)).find((i) => i.id === run);
    return { delDir: resolve(target), id: run, ...outside && { path: tokenOf(outside) } };
  }
  const token = parseToken(target) ?? tokenAsPasted(target);
  // A folder gone altogether (a removed worktree) keeps the token: finish records it from there.
  // One git left behind may hold the run still, or reap moved it where the files went.
  if (token) {
    const there = kindOf(token.delDir) === "folder" && !leftByGit(token.delDir);
    return there ? token : movedFolder(token) ?? token;
  }
  const kind = kindOf(target);
  if (kind === "file" || (target.endsWith(".json") && kind !== "folder")) {
    // Meant as a token (a pending run's file), but not one `runrec start` prints.
    throw new InputError(
      `${target}: not a run token (runrec start prints <del-dir>/.runrec/pending/<id>.json) ` +
        (kind === "file" ? "but a file" : "and no such folder"),
    );
  }
  if (kind !== "folder" || PENDING_FOLDER_END.test(target)) throwIfMangledToken(target);
  requireFolder(resolve(target), target);
  const delDir = resolve(target);
  // Kept outside (the folder read-only at start): start --help promises finish <del-dir> finds it.
  const items = [...listPendingRuns(delDir), ...keptOutside(delDir)];
  const waiting = items.filter((i) => i.run && !i.claimedBy);
  const held = heldRunOf(items, agent);
  if (held !== undefined) return { delDir, id: held.id, path: runFileOf(held) };
  // With --agent, only that agent's runs are meant: another agent's would be refused.
  const ofAgent = (i: PendingItem) => agent === undefined || i.run!.agent === agent;
  const meant = waiting.filter(ofAgent);
  if (meant.length === 1) {
    // The first start of a retried start whose retry is recorded: a finish by folder of it
    // most likely repeats the retry's (review-s F4).
    const [twin] = await retriedTwins(delDir, meant);
    if (twin !== undefined) throw await twinRefusal(target, twin, report);
    return { delDir, id: meant[0].id, path: meant[0].path };
  }
  const list = (found: PendingItem[]) =>
    found.map((i) => `${i.id} (${i.run!.agent}, since ${i.run!.start.started})`).join(", ");
  if (meant.length === 0) {
    const elsewhere = pendingInOtherWorkTrees(target, { agent });
    if (elsewhere) throw elsewhere;
    const reapedRuns = [...listReapedRuns(target), ...reapedOutside(delDir)].filter((i) =>
      i.run && !i.claimedBy && ofAgent(i)
    );
    // A reaped first start of a retried start (reap's note says so) is no run of A's to wait for.
    const twins = await retriedTwins(delDir, reapedRuns);
    const reaped = reapedRuns.filter((i) => !twins.some((t) => t.item === i));
    const unreadable = items.filter((i) => i.problem).map((i) => i.problem);
    // Never "finished already" while a run here may be A's: unreadable, held, or reaped and
    // waiting for its late finish (review-r F2).
    const mayBeAgents = unreadable.length > 0 || reaped.length > 0 ||
      items.some((i) => i.claimedBy && ofAgent(i));
    const twinsSaid = twins.map(({ item, note }) =>
      `; reap wrote ${item.id} (${item.run!.agent}, since ${item.run!.start.started}) as ` +
      `FAILED, ${note}: only if it is another run, finish it with --run ${item.id}`
    ).join("");
    // A record a git command dropped since a first finish is the answer: put back, it is found
    // (retry-sweep F2).
    await putBackBeforeLooking(delDir);
    const last = mayBeAgents ? "" : await lastRunContext(target, report, { aside: twinsSaid });
    const otherCase = pendingInOtherCase(target, waiting, agent);
    if (otherCase) throw otherCase;
    const nextDoor = mayBeAgents ? undefined : pendingInOtherDeliverables(target, agent, last);
    if (nextDoor) throw nextDoor;
    const none = agent === undefined
      ? "no pending run (none started, or finished already)"
      : `${agent} has no pending run here (its start may have failed, or it was never ` +
        "started, or is finished already)";
    // Nothing here to explain it: the run may be kept where only its start's $TMPDIR finds it.
    const keptOut = reaped.length + twins.length + unreadable.length + waiting.length === 0
      ? keptElsewhere()
      : undefined;
    const late = reaped.length === 0
      ? ""
      : `; reap wrote ${list(reaped)} as FAILED: to finish one all the same, name it with --run`;
    const bad = unreadable.length === 0 ? "" : `; unreadable: ${unreadable.join("; ")}`;
    const others = waiting.length === 0
      ? ""
      : `; pending here are only other agents' runs, which --agent ${agent} cannot finish: ` +
        list(waiting);
    const name = agent === undefined ? "NAME" : shellWord(agent);
    const emit = keptOut === undefined
      ? "to record a run that runrec start did not keep"
      : `${keptOut}; only to record a run that runrec start did not keep`;
    throw new InputError(
      `${target}: ${none}${late}${twinsSaid}${bad}${last}; ${emit}: ` +
        `runrec emit ${shellWord(target)} --agent ${name} --status S ...${others}`,
    );
  }
  const whose = agent === undefined ? "" : ` of ${agent}`;
  // Runs of as many agents as runs: the agent's name, which the agent knows, picks one too.
  const byAgent = agent === undefined &&
      new Set(meant.map((i) => i.run!.agent)).size === meant.length
    ? " (or its agent with --agent)"
    : "";
  throw new InputError(
    `${target}: ${meant.length} pending runs${whose}; name one with --run${byAgent}: ` +
      list(meant),
  );
}

/**
 * The error naming the runs (or the run `id`, or `agent`'s runs) pending in
 * `target`'s folder of the repository's other worktrees, each with the
 * finish that records it there; `undefined` when there are none. A run started in one linked
 * worktree and finished in another is not one to `emit`: its pending file,
 * reaped there, would be a second record once the branches meet.
 */
function pendingInOtherWorkTrees(
  target: string,
  { id, agent }: { id?: string; agent?: string },
): InputError | undefined {
  const trees = workTrees(target);
  if (trees === undefined) return undefined;
  const rel = relative(trees.top, resolvedPath(resolve(target)));
  if (rel === ".." || rel.startsWith("../")) return undefined;
  const found = trees.others.flatMap((tree) =>
    listPendingRuns(join(tree, rel)).filter((i) =>
      i.run && !i.claimedBy && (id === undefined || i.id === id) &&
      (agent === undefined || i.run.agent === agent)
    )
  );
  if (found.length === 0) return undefined;
  const each = found.map((i) =>
    `run ${i.id} (${i.run!.agent}, since ${i.run!.start.started}) is pending in ` +
    `${dirname(dirname(dirname(i.path)))}: runrec finish ${shellWord(i.path)} --status S ...`
  );
  const which = id !== undefined ? `${id} ` : agent !== undefined ? `of ${agent} ` : "";
  return new InputError(
    `${target}: no pending run ${which}here, but the same folder of ` +
      `another worktree of this repository holds it: ${each.join("; ")} (its record goes to ` +
      "that worktree's RunRecords.csv, on its branch; emit instead would record the run twice)",
  );
}

/**
 * The error for `finish <del-dir> --agent A` when no run here is A's but a run of A's name in
 * other case is pending here (`start --agent chirality_lens`, trial-t F10), naming it and the
 * finish that records it; `undefined` when there is none. Told to emit under A, the agent would
 * leave that run pending, for reap to write FAILED.
 */
function pendingInOtherCase(
  target: string,
  waiting: readonly PendingItem[],
  agent: string | undefined,
): InputError | undefined {
  if (agent === undefined) return undefined;
  const found = waiting.filter((i) =>
    i.run!.agent !== agent && i.run!.agent.toLowerCase() === agent.toLowerCase()
  );
  if (found.length === 0) return undefined;
  const names = [...new Set(found.map((i) => i.run!.agent))].join(" or ");
  const each = found.map((i) =>
    `run ${i.id} (${i.run!.agent}, since ${i.run!.start.started}) is pending here, started ` +
    `under that name: runrec finish ${shellWord(target)} --run ${i.id} --agent ` +
    `${shellWord(i.run!.agent)} --status S ...`
  ).join("; ");
  return new InputError(
    `${target}: ${agent} has no pending run here; did you mean ${names}? ${each}; nothing ` +
      `written (an emit under ${agent} would leave that run pending, for reap to write FAILED)`,
  );
}

/** How many runs pending elsewhere a finish's refusal names at most. */
const RUNS_NAMED = 3;

/**
 * The error for `finish <del-dir> [--agent A]` when no run here is (or may be) A's, but runs of A
 * (without `--agent`: of any agent) are pending in other deliverable folders near it
 * ({@linkcode pendingElsewhere}: beside it, of its execution root), naming them and the finish that
 * records each there (trial-t F1); `undefined` when there are none. The advice to emit here
 * recorded such a run in the wrong deliverable, and reap later wrote its pending run FAILED. Such a
 * run may also be another instance's at work there (a fan-out, review-g 3): the message says to
 * leave it alone then and emit this one here, and writes nothing. `last` is what {@linkcode lastRunContext} adds.
 */
function pendingInOtherDeliverables(
  target: string,
  agent: string | undefined,
  last: string,
): InputError | undefined {
  const found = pendingElsewhere(target, agent);
  if (found.length === 0) return undefined;
  const more = found.length > RUNS_NAMED ? `; and ${found.length - RUNS_NAMED} more` : "";
  const runs = found.slice(0, RUNS_NAMED).map(runAndItsFinish).join("; ") + more;
  const which = found.length === 1 ? "that is" : "one of these is";
  const none = agent === undefined
    ? "no pending run here (none started, or finished already)"
    : `${agent} has no pending run here`;
  const otherwise = agent === undefined
    ? "else name this run's agent, whose runs finish looks for here and elsewhere: runrec " +
      `finish ${shellWord(target)} --agent NAME --status S ...`
    : "if it is another instance's, at work there (a fan-out), leave it alone and record this " +
      `run here: runrec emit ${shellWord(target)} --agent ${shellWord(agent)} --status S ...`;
  return new InputError(
    `${target}: ${none}, but ${runs}: if ${which} this run (given the wrong folder), finish it ` +
      "so, in its own deliverable folder, not with an emit here (that would record it in the " +
      `wrong deliverable, and reap would write it FAILED there); ${otherwise}; nothing ` +
      `written${last}`,
  );
}

/**
 * The error naming the deliverable folder near `delDir` ({@linkcode nearbyFolders}) where the run
 * `id` is pending (or reaped, still to finish); `undefined` when it is in none. Given another
 * deliverable's folder, a finish must not send its agent to emit: the run would be recorded in the
 * wrong deliverable, and its own pending run reaped FAILED later.
 */
function pendingNextDoor(delDir: string, id: string): InputError | undefined {
  const found = nearbyFolders(delDir).filter((dir) => dir !== delDir).flatMap((dir) =>
    unfinishedRuns(dir).filter(({ item }) => item.run && !item.claimedBy && item.id === id)
      .map((run) => ({ dir, ...run }))
  );
  if (found.length === 0) return undefined;
  return new InputError(
    `${delDir}: no pending run ${id} here, but ${found.map(runAndItsFinish).join("; ")}: ` +
      "finish it in its own deliverable folder; " +
      "nothing written (an emit here would record the run in the wrong deliverable, and reap " +
      "its pending run FAILED)",
  );
}

/** The id of the run that `reap` wrote as FAILED under `runId` in `target`'s records. */
async function reapedAs(target: string, runId: string): Promise<string> {
  const id = await reapedRunOf(target, runId);
  if (id === undefined) {
    await refuseRecordedRunId(target, runId);
    // The RunID of another deliverable's reaped run: finished in its own folder, not emitted here.
    const of = deliverableOfRunId(runId);
    const here = resolve(target);
    for (const dir of nearbyFolders(here)) {
      if (dir === here || DELIVERABLE_FOLDER.exec(basename(dir))?.[1] !== of) continue;
      const theirs = await reapedRunOf(dir, runId);
      const elsewhere = theirs === undefined ? undefined : pendingNextDoor(here, theirs);
      if (elsewhere) throw elsewhere;
    }
    await refuseOtherDeliverable(here, target, runId);
    throw new InputError(
      `--run ${runId}: not a run that reap wrote as FAILED in ${target}; --run takes the ` +
        "token or id runrec start printed, or the RunID of a reaped run",
    );
  }
  return id;
}

/**
 * Throws {@linkcode InputError} when `runId` (neither pending nor reaped in `target`) was
 * allocated in another deliverable: "recorded already" in its own folder when it is, else naming
 * that folder (trial-t F9). A target without a DeliverableID in its name is passed over.
 */
async function refuseOtherDeliverable(here: string, target: string, runId: string): Promise<void> {
  const own = DELIVERABLE_FOLDER.exec(basename(here))?.[1];
  const of = deliverableOfRunId(runId);
  if (own === undefined || of === undefined || of === own) return;
  for (const dir of foldersOfDeliverable(here, of)) await refuseRecordedRunId(dir, runId);
  throw new InputError(
    `--run ${runId}: not a run of ${own} (${target}): it is a run of ${runIdHome(here, runId)}; ` +
      "finish it in its own deliverable folder; nothing written",
  );
}

/**
 * `target` without the spaces a copy left around it and the quotes a JSON tool call kept around it
 * (`"'<token>'"`, review-r F8), or `undefined` when there are none. Only when `target` as given
 * names nothing: then no other file can be meant.
 */
function unquoted(target: string): string | undefined {
  let bare = target.trim();
  for (let m; (m = /^(['"])(.*)\1$/s.exec(bare));) bare = m[2].trim();
  if (bare === target || bare === "") return undefined;
  try {
    Deno.lstatSync(target);
    return undefined; // there as given (or cannot tell): not ours to rename
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) return undefined;
  }
  return bare;
}

/** The token `target` is once {@linkcode unquoted}, or `undefined`. */
function tokenAsPasted(target: string): ReturnType<typeof parseToken> {
  const bare = unquoted(target);
  return bare === undefined ? undefined : parseToken(bare);
}

/** A path that ends in a deliverable's `.runrec/pending` folder: a token cut at its folder. */
const PENDING_FOLDER_END = /(?:^|\/)\.runrec\/pending\/*$/;

/**
 * Throws {@linkcode InputError} for a token as agents mangle it: a run's id alone, its path
 * without `.json` (trial-q F5), or cut at its `.runrec/pending` folder (review-r F8). Taken for a
 * folder, it would get "no such folder" (or, the pending folder, an emit into it), which says
 * nothing of what a token is. The pending folder's runs are named, to pick one with `--run`.
 */
function throwIfMangledToken(target: string): void {
  const bare = unquoted(target) ?? target;
  const inPending = /(?:^|\/)\.runrec\/pending(?:\/|$)/.exec(bare);
  if (!isRunId(bare) && !inPending) return;
  const delDir = inPending ? bare.slice(0, inPending.index) || "." : undefined;
  const folder = delDir === undefined ? "<del-dir>" : shellWord(delDir);
  const listed = delDir !== undefined
    ? listPendingRuns(delDir).filter((i) => i.run && !i.claimedBy)
    : [];
  // A token cut short (`….jso`, `…/pending/2026`: a pasted line's end lost): the runs pending
  // there whose id it starts.
  const start = basename(bare).replace(/\.j?s?o?n?$/, "");
  const cut = start === "" || PENDING_FOLDER_END.test(bare)
    ? []
    : listed.filter((i) => i.id.startsWith(start));
  const runs = PENDING_FOLDER_END.test(bare) ? listed : cut.length > 1 ? cut : [];
  const named = isRunId(basename(bare)) ? basename(bare) : undefined;
  const id = named ?? (runs.length === 1 ? runs[0].id : cut.length === 1 ? cut[0].id : "ID");
  const pending = runs.length === 0
    ? ""
    : `; pending there: ${
      runs.map((i) => `${i.id} (${i.run!.agent}, since ${i.run!.start.started})`).join(", ")
    }`;
  throw new InputError(
    `${target}: not a run token: runrec start prints <del-dir>/.runrec/pending/<id>.json, the ` +
      `whole path; a run's id goes with its folder: runrec finish ${folder} --run ${id} ...` +
      pending,
  );
}

/**
 * The runs kept outside `delDir` (`keepPendingRun`: the folder was read-only at start) that name
 * it, as `reap` finds them: through a symbolic link or not, as start named it.
 */
function keptOutside(delDir: string): PendingItem[] {
  return listOutsidePendingRuns().filter((i) =>
    i.run?.delDir !== undefined && sameFolder(i.run.delDir, delDir)
  );
}

/** The runs of `delDir` kept outside it that reap wrote as FAILED, kept beside them (`reapedPlace`). */
function reapedOutside(delDir: string): PendingItem[] {
  return listOutsideReapedRuns().filter((i) =>
    i.run?.delDir !== undefined && sameFolder(i.run.delDir, delDir)
  );
}

/** The token of a run kept outside its folder: its pending file's path, reaped or not. */
function tokenOf(item: PendingItem): string {
  const folder = dirname(item.path);
  return join(basename(folder) === "reaped" ? dirname(folder) : folder, `${item.id}.json`);
}

/** The run file of `item` as it is when no finish holds it (a claim renames it). */
function runFileOf(item: PendingItem): string {
  return join(dirname(item.path), `${item.id}.json`);
}

/**
 * A's one run here that another finish holds (claimed), when A has no other run here and no run
 * file here is unreadable (it may be A's): a finish by folder retried while the first still
 * writes (trial-q F1) waits for it, as a token's finish does; else `undefined`.
 */
function heldRunOf(
  items: readonly PendingItem[],
  agent: string | undefined,
): PendingItem | undefined {
  if (agent === undefined || items.some((i) => i.run === undefined)) return undefined;
  const agents = items.filter((i) => i.run!.agent === agent);
  return agents.length === 1 && agents[0].claimedBy ? agents[0] : undefined;
}

/**
 * How soon after a run's record ended a finish by folder of its agent may repeat that finish: a
 * finish is retried when its tool call timed out, and agent hosts let a call run 10 minutes at
 * the most (Claude Code's Bash tool: 2 minutes by default, 600 s at most).
 */
const RETRY_WITHIN_MS = 10 * 60_000;

/**
 * For `finish <del-dir> [--agent A]` when no run here is (or may be) A's (without `--agent`: no
 * run here at all): what the advice to emit adds about A's last started run here (without
 * `--agent`, the folder's last; its record in the file or waiting in the spool) (`"; A's last run
 * here, RUN-…, ended …"`, and an earlier run of A's with this finish's outcome, ended within
 * {@linkcode RETRY_WITHIN_MS}, soak5 F3), or `""` when there is none. Throws {@linkcode
 * InputError} "finished already" when this finish repeats the finish of that last run, its first
 * answer lost (trial-q F1, review-s F1 and F6): an emit would record the run twice. Only a finish
 * that could be that one is (review-r F3): see {@linkcode unlikeFinish}. An earlier run like it is
 * only named: a new run whose start was lost may end as it did (review-t F1).
 */
async function lastRunContext(
  target: string,
  report: FinishReport,
  { aside = "", lead }: { aside?: string; lead?: string } = {},
): Promise<string> {
  const { agent } = report;
  const runs = await startedRunsOf(target, agent);
  const last = runs[0];
  // Reap's FAILED record last: that run is still to finish, late.
  if (last === undefined || last.record.ErrorSummary === REAPED_ERROR) return "";
  const whose = last.record.AgentName;
  const unlike = await unlikeFinish(target, last, { ...report, agent: whose });
  if (unlike !== undefined) {
    // An earlier run like this finish may be the one it repeats (its answer lost before A's next
    // run), or a new run like it whose start was lost: named, never judged (soak5 F3, review-t F1).
    const like = await earlierRunLike(target, runs.slice(1), { ...report, agent: whose });
    const name = (run: RunEnded) =>
      run.record.RunID ?? `run ${run.id} (its record waiting in the spool)`;
    const ended = (run: RunEnded) => endedAt(run) && `, ended ${endedAt(run)}`;
    const which = agent === undefined
      ? `the last run here, ${name(last)} of ${whose}`
      : `${agent}'s last run here, ${name(last)}`;
    const earlier = like === undefined
      ? `${which}${ended(last)} (${unlike})`
      : `${which}${ended(last)}, is unlike it (${unlike}), but an earlier one, ${name(like)}` +
        `${ended(like)}, has this outcome`;
    return `; ${earlier}: if this repeats its finish, nothing more is needed`;
  }
  // A finish whose write failed (the lock busy 10 s, a full disk) spooled the record (review-s F1).
  const where = last.spooledIn === undefined
    ? ` (runrec log says): its record is ${last.record.RunID} in ` +
      join(resolve(target), RECORD_FILE)
    : `: its record waits in the spool, ${last.spooledIn}: runrec flush ${shellWord(target)} ` +
      "appends it";
  const none = lead ?? (agent === undefined ? "no pending run" : `no pending run of ${agent}`);
  const run = agent === undefined
    ? `${none}: the last run here, ${last.id} (${whose}, started`
    : `${none}: its last run here, ${last.id} (started`;
  // Without --agent the repeat is judged by the folder's last run's agent: another agent's finish
  // is told how to be judged by its own.
  const notWhose = agent === undefined
    ? `; if this finish is of another agent's run, not ${whose}'s, name that agent: runrec ` +
      `finish ${shellWord(target)} --agent NAME ...`
    : "";
  const ended = endedAt(last);
  throw new InputError(
    `${target}: ${run} ${runIdStart(last.id)}, ended ${ended}), finished already${where}; ` +
      "nothing written, nothing more is needed (an emit would record the run twice)" + aside +
      notWhose,
  );
}

/** When `run` ended, as ISO 8601, or `""` when its record does not say. */
function endedAt(run: RunEnded): string {
  return run.endedAt === undefined ? "" : new Date(run.endedAt).toISOString();
}

/**
 * The first of `earlier` (latest ended first), runs of `report.agent` ended within
 * {@linkcode RETRY_WITHIN_MS}, with the outcome this finish gives ({@linkcode unlikeFinish}):
 * the finish it may repeat, retried after the agent's next run was recorded (soak5 F3). Reap's
 * FAILED records are no finish to repeat.
 */
async function earlierRunLike(
  target: string,
  earlier: readonly RunEnded[],
  report: FinishReport & { agent: string },
): Promise<RunEnded | undefined> {
  for (const run of earlier) {
    if (run.endedAt !== undefined && Date.now() - run.endedAt > RETRY_WITHIN_MS) break;
    if (run.record.AgentName !== report.agent || run.record.ErrorSummary === REAPED_ERROR) continue;
    if (await unlikeFinish(target, run, report) === undefined) return run;
  }
  return undefined;
}

/** A run of the folder that is the first start of a retried start, and reap's note saying so. */
interface RetriedTwin {
  item: PendingItem;
  note: string;
}

/**
 * The runs of `items` (pending or reaped) that are the first start of a retried start whose retry
 * is recorded in `delDir` (retried_start.ts `retriedStartNote`: the same agent, pass and inputs,
 * started 1 s to 2 min before a recorded run), each with the note `reap` gives it.
 */
async function retriedTwins(delDir: string, items: PendingItem[]): Promise<RetriedTwin[]> {
  const twins: RetriedTwin[] = [];
  for (const item of items) {
    const note = item.run && await retriedStartNote(delDir, item.run);
    if (note) twins.push({ item, note });
  }
  return twins;
}

/**
 * Why `finish <del-dir>` does not record the one pending run `twin` (review-s F4): it is the first
 * start of a retried start whose retry is recorded, one real run; recorded too, the run would be
 * twice. Throws "finished already" when this finish repeats the run's last record
 * ({@linkcode lastRunContext}); else the error names both and the `--run` that records the pending
 * run all the same, for a run that is really another (a fan-out).
 */
async function twinRefusal(
  target: string,
  { item, note }: RetriedTwin,
  report: FinishReport,
): Promise<InputError> {
  const agent = item.run!.agent;
  const aside = `; ${item.id} (${agent}, since ${item.run!.start.started}), pending here, is ` +
    `${note}: reap writes it FAILED, saying so; only if it is another run (a fan-out), runrec ` +
    `finish ${shellWord(target)} --run ${item.id} --status S ... records it`;
  const lead = `no run of ${agent} to finish by folder`;
  const last = await lastRunContext(target, { ...report, agent }, { aside, lead });
  return new InputError(`${target}: ${lead}${aside}${last}; nothing written`);
}

/**
 * Why the finish `report` cannot repeat the one that recorded `last`, or `undefined` when it can:
 * the record ended within {@linkcode RETRY_WITHIN_MS}, and the record this finish would write has
 * its RunStatus (and ErrorSummary, when `--error` is given) and its OutputHashes: the same
 * outputs, none changed since. An output the record's Notes say was named from the folder `runrec
 * start` ran in (gone with the pending run now) is compared as the file it named (review-s F9).
 */
async function unlikeFinish(
  target: string,
  last: { record: RecordDraft; endedAt?: number },
  report: FinishReport & { agent: string },
): Promise<string | undefined> {
  const { record } = last;
  if (last.endedAt === undefined) return "its end not known";
  if (Date.now() - last.endedAt > RETRY_WITHIN_MS) {
    return `more than ${RETRY_WITHIN_MS / 60_000} minutes ago`;
  }
  let draft: RecordDraft;
  try {
    const start = {
      started: record.RunTimestamp,
      statusBefore: record.StatusBefore,
      inputFiles: [],
      inputHashes: {},
      notes: [],
    };
    const named = namedFromStart(record.Notes);
    const outputs = report.outputs?.map((path) => named.get(path) ?? path);
    draft = (await completeDraft(target, start, { ...report, outputs })).draft;
  } catch (e) {
    return `this finish cannot be compared with it: ${(e as Error).message}`;
  }
  if (draft.RunStatus !== record.RunStatus) {
    return `recorded ${record.RunStatus}, this finish says ${draft.RunStatus}`;
  }
  if (report.error !== undefined && draft.ErrorSummary !== record.ErrorSummary) {
    return "recorded with another --error";
  }
  const was = Object.keys(record.OutputHashes).join(", ") || "none";
  const now = Object.keys(draft.OutputHashes).join(", ") || "none";
  if (was !== now) return `its outputs: ${was}; this finish names: ${now}`;
  const changed = Object.keys(record.OutputHashes).filter((path) =>
    !sameContent(record.OutputHashes[path], draft.OutputHashes[path])
  );
  return changed.length === 0 ? undefined : `changed since: ${changed.join(", ")}`;
}

/**
 * The outputs a record's Notes say were named from the folder `runrec start` ran in (hook.ts
 * `pathMeant`): each path as given, to the path recorded.
 */
function namedFromStart(notes: string): Map<string, string> {
  const named = new Map<string, string>();
  for (const note of notes.split(" | ")) {
    const m =
      /^--output (.+): recorded as (.+), the file it names from the folder runrec start ran in /
        .exec(note);
    if (m) named.set(m[1], m[2]);
  }
  return named;
}

/** Whether two of an output's hashes say the same content: equal, or no file's either time. */
function sameContent(a: string, b: string): boolean {
  const absent = (hash: string) => hash === TBD || hash === DELETED;
  return a === b || (absent(a) && absent(b));
}

/** Throws {@linkcode InputError} when `runId` (given as `--run`) is a record of `target`'s already. */
async function refuseRecordedRunId(target: string, runId: string): Promise<void> {
  const record = await recordOfRunId(target, runId);
  if (record === undefined) return;
  throw new InputError(
    `--run ${runId}: recorded already as that RunID in ${join(resolve(target), RECORD_FILE)} ` +
      `(${record.AgentName}, ${record.RunStatus}); nothing written, nothing more is needed (an ` +
      "emit would record the run twice)",
  );
}

/**
 * The token's run in the folder it now lives in: the deliverable folder was
 * renamed (its label changed, its DeliverableID not) or moved to another
 * package during the run. Found when exactly one folder holds the run,
 * beside the token's folder or anywhere in its execution root, and it is of
 * the same DeliverableID; `undefined` when none holds it (the folder is
 * gone: a removed worktree). Throws {@linkcode InputError} naming the
 * folders when others hold it (copies, another deliverable's folder).
 */
function movedFolder(
  token: { delDir: string; id: string },
): { delDir: string; id: string } | undefined {
  try {
    Deno.statSync(token.delDir);
  } catch (e) {
    // There, for all this runrec can tell: it may not look (a sandbox started elsewhere).
    if (e instanceof Deno.errors.NotCapable) {
      throw new InputError(`${token.delDir}: cannot read the folder: ${failureReason(e)}`);
    }
  }
  const idOf = (dir: string) => DELIVERABLE_FOLDER.exec(basename(dir))?.[1];
  const wanted = idOf(token.delDir);
  const holders = foldersHoldingRun(token.delDir, token.id);
  if (holders.length === 1 && idOf(holders[0]) === wanted) {
    return { delDir: holders[0], id: token.id };
  }
  if (holders.length === 0) return undefined;
  const each = holders.map((dir) => `${dir} (${idOf(dir) ?? "no DeliverableID"})`).join(", ");
  throw new InputError(
    `${token.delDir}: no such folder (moved or removed since runrec start?); run ${token.id} ` +
      `is pending in ${each}: if it belongs there, runrec finish <that folder> --run ${token.id}`,
  );
}

/** The deliverable folders holding the run `id` (pending, or reaped) of {@linkcode nearbyFolders}. */
function foldersHoldingRun(delDir: string, id: string): string[] {
  return nearbyFolders(delDir).filter((dir) =>
    unfinishedRuns(dir).some(({ item }) => item.id === id)
  );
}

/** A run no record can hold (over the line limit): its pending run is gone, so not "still pending". */
class RunNotRecordable extends InputError {}

/**
 * Finishes a claimed run; a finish refused for a bad argument (the claim
 * given back) is said with what the agent needs to know: the run is still
 * pending, and how to finish it (`runrec finish <again>`; an outcome word
 * runrec does not know is the common case).
 */
async function refusedStillPending(
  again: FinishAgain,
  finish: () => Promise<RunOutcome>,
): Promise<RunOutcome> {
  try {
    return await finish();
  } catch (e) {
    throw e instanceof InputError && !(e instanceof RunNotRecordable) ? stillPending(e, again) : e;
  }
}

/** What a finish named its run by: its token or deliverable folder, and `--run`'s value. */
interface FinishAgain {
  target: string;
  run?: string;
}

function stillPending(e: InputError, { target, run }: FinishAgain): InputError {
  // Told to start again from the project's root, where a path from here names nothing (review-r F8).
  const path = e instanceof RootOutOfSight ? resolve(target) : target;
  const again = shellWord(path) + (run === undefined ? "" : ` --run ${shellWord(run)}`);
  const said = (name: (key: string) => string) =>
    e instanceof OptionError ? e.messageWith(name) : e.message;
  const words = (name: (key: string) => string) =>
    e instanceof OptionError && said(name).startsWith(name("status"))
      ? ` with ${name("status")} ${RUN_STATUSES.join(", ")} or a host outcome word (${
        HOST_OUTCOMES.map((o) => o.word).join(", ")
      }), your own word in ${name("notes")}`
      : e instanceof RootOutOfSight
      ? " from the repository root"
      : " with that corrected";
  return new OptionError(
    (name) =>
      `${said(name)}; the run is still pending: run runrec finish ${again} again${words(name)}`,
    { cause: e },
  );
}

/**
 * Why a run cannot be claimed: a finisher has it, or it is gone (and `why`
 * it is not recorded from its token, when that was tried).
 */
/** The error for a run whose marker another process holds, naming it (see `markerHeldBy`). */
function beingFinished(delDir: string, id: string, held: MarkerHeld): InputError {
  return new InputError(
    `run ${id} of ${delDir} is being finished by another process: ${markerHeldBy(held)}`,
  );
}

/** The error for a run whose file another finisher has claimed, if one has. */
function claimedError(delDir: string, id: string): InputError | undefined {
  const claim = listPendingRuns(delDir).find((i) => i.id === id && i.claimedBy);
  return claim && new InputError(`run ${id} of ${delDir} is being finished by ${claim.claimedBy}`);
}

function goneError(delDir: string, id: string, why?: string): InputError {
  // Looked for: no record names it (that is recordedError), so never "finished already".
  return claimedError(delDir, id) ?? new InputError(
    `${delDir}: no pending run ${id}, and no record of it: its file was removed (git clean, ` +
      `git stash -u)${why === undefined ? "" : `; ${why}`}; to record the run: runrec emit ` +
      `${shellWord(delDir)} --agent NAME --status S ...`,
  );
}

/**
 * `finish <del-dir> --run <id>` of a run neither pending there nor recorded: never "finished
 * already" (soak6 F1), and the run may be kept in its start's $TMPDIR.
 */
function unknownRunError(delDir: string, id: string): InputError {
  return claimedError(delDir, id) ?? new InputError(
    `${delDir}: no pending run ${id}, and no record of it (a mistyped id, or its file removed: ` +
      `git clean, git stash -u); ${keptElsewhere()}; once its pending file is gone for good, ` +
      `record the run: runrec emit ${shellWord(delDir)} --agent NAME --status S ...`,
  );
}

/**
 * Where else a pending run may be: a start in a read-only folder keeps it in its own $TMPDIR,
 * which a finish with another $TMPDIR (an agent's new shell) does not see (soak6 F1). Its
 * emit would make a second record once reap finds the run there.
 */
function keptElsewhere(): string {
  const looked = outsidePendingFolder();
  return "a run started while its folder was read-only is kept in its start's $TMPDIR" +
    (looked === undefined ? "" : `, not in this finish's (${looked})`) +
    ": finish it by the token runrec start printed, or with that TMPDIR";
}

/**
 * Why a finish of the run `id` of `delDir` writes nothing: its record (`found`
 * in `place`, by the run's id) is there already, in the record file or
 * waiting in the spool. Nothing more is needed: an emit would record it twice.
 */
function recordedError(
  delDir: string,
  id: string,
  place: string,
  found: RunRecordFound,
  agent?: string,
): InputError {
  if (found.reaped) return reapedOnlyError(delDir, id, place, found, agent);
  // `runrec log` shows a record in the file, not one in the spool of a folder that is gone.
  const where = found.heldByGit
    ? `: its record is ${found.runId}, appended to ${join(place, RECORD_FILE)} at ` +
      `${new Date(found.journaledAt!).toISOString()} (its journal says), which the file as read ` +
      "now lacks and a branch or stash holds (git says): a git command is rewriting the file, the " +
      "record is on a branch not checked out now, or a stash holds it (git stash pop brings it back)"
    : found.journaledAt !== undefined
    ? `: its record is ${found.runId}, appended to ${join(place, RECORD_FILE)} at ` +
      `${new Date(found.journaledAt).toISOString()} (its journal says), which the file as read ` +
      "now lacks: another program (a git checkout, pull) is rewriting it, a git stash holds it " +
      "(git stash pop brings it back), or it was removed since; runrec log says which once the " +
      "file is settled"
    : found.runId !== undefined
    ? ` (runrec log says): its record is ${found.runId} in ${join(place, RECORD_FILE)}`
    : `: its record waits in the spool, ${found.spooledIn}: ` +
      `runrec flush ${shellWord(place)} appends it` +
      (isGone(place)
        ? " once the folder is back (git checkout), as does runrec flush --from with the " +
          "lost-record line the first finish printed, whichever first"
        : "");
  // An agent finishing its current run with its previous run's token: the runs it started since
  // that one ended are named. Not those started before: a retried finish of a run recorded
  // meanwhile (its first answer lost) would be sent to another instance's run.
  const pending = kindOf(delDir) === "folder" && found.endedAt !== undefined
    ? listPendingRuns(delDir).filter((i) =>
      i.run && !i.claimedBy && i.id !== id && (agent === undefined || i.run.agent === agent) &&
      Date.parse(i.run.start.started) >= found.endedAt!
    )
    : [];
  if (pending.length > 0) {
    const each = pending.map((i) =>
      `run ${i.id} (${i.run!.agent}, since ${i.run!.start.started}): ` +
      `runrec finish ${shellWord(i.path)} --status S ...`
    ).join("; ");
    return new InputError(
      `${delDir}: no pending run ${id}: finished already${where}; nothing written; if this ` +
        `outcome is for a run pending in this folder, finish that run with its own token: ${each}`,
    );
  }
  // Where only the journal holds the record, it may be gone for good: no "nothing more is needed",
  // and the way to tell, once git is done with the file.
  const needed = found.journaledAt === undefined || found.heldByGit
    ? "nothing more is needed (an emit would record the run twice)"
    : "no emit while that record may be there (it would record the run twice); once no git " +
      `command runs and no stash holds it, runrec flush ${shellWord(place)} puts it back if git ` +
      "dropped it, and a record runrec log still lacks after that was removed by hand: only " +
      "then may the run be recorded again";
  return new InputError(
    `${delDir}: no pending run ${id}: finished already${where}; nothing written, ${needed}`,
  );
}

/**
 * Why a late finish of the run `id` writes nothing when its only record
 * (`found`, in `place`) is the FAILED one `reap` wrote and its file is gone
 * (removed since, or by an older runrec's reap): the agent's outcome is not
 * recorded yet, and what records it is said.
 */
function reapedOnlyError(
  delDir: string,
  id: string,
  place: string,
  found: RunRecordFound,
  agent?: string,
): InputError {
  const failed = found.runId ?? "<its RunID>";
  const file = join(place, RECORD_FILE);
  const where = found.journaledAt !== undefined
    ? `${failed}, appended to ${file} at ${new Date(found.journaledAt).toISOString()} (its ` +
      "journal says), which the file as read now lacks"
    : found.runId !== undefined
    ? `${found.runId} in ${file}`
    : `waiting in the spool, ${found.spooledIn} (runrec flush ${shellWord(place)} appends it)`;
  // Out of the file, it is brought back first: a stash is not popped over a record appended
  // since, and annotate names only a record in the file (small-40 F4).
  const first = found.journaledAt === undefined
    ? ""
    : `bring ${failed} back first (git stash pop, when a stash holds it; runrec flush ` +
      `${shellWord(place)}, when git dropped it; when a git command is rewriting the file, ` +
      "once it is done), then ";
  return new InputError(
    `${delDir}: no pending run ${id}: its only record is the FAILED one reap wrote (the agent ` +
      `was thought gone), ${where}, and its run file is gone, so this late finish is not ` +
      `recorded; nothing written; to record this outcome: ${first}runrec emit ` +
      `${shellWord(place)} --agent ${agent ?? "NAME"} --status S ..., then runrec annotate ` +
      `${shellWord(place)} <the new RunID> --supersedes ${failed} --note "late finish after reap"`,
  );
}

/**
 * The run a {@linkcode withRun} callback is given. Setting a field it has
 * not (a misspelt `run.erorr`) or `id` or `delDir` throws
 * {@linkcode InputError} naming it, as a wrong value of `status`, `error`
 * or `notes` does.
 */
export interface RunHandle {
  /**
   * The pending run's id: the name of its file in `.runrec/pending/` (the `id`
   * of `runrec start --json`), which `runrec finish <del-dir> --run ID` takes.
   * Not the RunID: that is allocated when the record is written, and
   * `onOutcome` receives it.
   */
  readonly id: string;
  /** The deliverable folder, absolute. */
  readonly delDir: string;
  /**
   * Declares a file the run wrote (relative to the deliverable folder, or
   * absolute); throws `InputError` for an empty path.
   */
  output(path: string): void;
  /**
   * The outcome to record when the callback returns: `SUCCESS` unless set
   * (`run.status = "PARTIAL"`; any case, or a host outcome word such as
   * `PASS`, as `recordRun` takes them). A throw records `FAILED` whatever it
   * holds.
   */
  status: RunStatus;
  /** What went wrong, for a PARTIAL or FAILED outcome set by the callback. */
  error?: string;
  /** Free text for the record's Notes. */
  notes?: string;
}

/** The fields of a {@linkcode RunHandle} a callback may set. */
const SETTABLE = ["status", "error", "notes"];

/**
 * `handle`, refusing at the assignment a field it has not or that is not
 * set: a misspelt `run.erorr = "…"` was kept on the object and the run
 * recorded SUCCESS without it (library-sweep F7).
 */
function guardedHandle(handle: RunHandle): RunHandle {
  return new Proxy(handle, {
    set(target, key, value) {
      if (typeof key === "string" && SETTABLE.includes(key)) {
        return Reflect.set(target, key, value);
      }
      throw new InputError(
        `run.${String(key)}: ${key in target ? "cannot be set" : "not a field of the run"} ` +
          "(a callback sets run.status, run.error and run.notes, and calls run.output(path))",
      );
    },
    defineProperty(_target, key) {
      throw new InputError(`run.${String(key)}: not a field to define (set run.status, ...)`);
    },
  });
}

/** Options of {@linkcode withRun}. */
export interface WithRunOptions extends Omit<StartRunOptions, "pid">, RunOptions {
  /**
   * Called with the outcome of the record's write, before the run leaves
   * pending. Default: each warning, and a lost record's line, printed on
   * stderr. When it throws, a run whose record was neither written nor
   * spooled stays pending, for `reap`: its line may have been kept nowhere.
   */
  onOutcome?: (outcome: RunOutcome) => void;
}

function printOutcome(outcome: RunOutcome): void {
  for (const warning of outcome.warnings) console.error(`runrec: warning: ${warning}`);
  if (outcome.lost) console.error(outcome.lost);
}

/**
 * Runs `work` as one recorded run of an agent on `delDir`: starts the run
 * before (inputs hashed now, StatusBefore read now), finishes it after.
 * When `work` returns, the record holds `run.status` (default `SUCCESS`)
 * and the outputs declared with `run.output(path)`; when it throws, the
 * record is `FAILED` with the error's message (its first 4,000 UTF-16
 * units or so, never cut inside a character), and the error is re-thrown
 * unchanged. A lone UTF-16 surrogate in what the callback gives (`run.error`,
 * `run.notes`, an output's path) is recorded as U+FFFD, and the record's
 * Notes say so. A record that cannot be written is spooled and reported
 * through `onOutcome`; a run that cannot be recorded at all (another
 * process finished it, or the folder it was to create was not made) is
 * said on stderr. Neither changes what `withRun` returns or throws. The
 * run is held in memory as well: a callback that removes `.runrec/` (`git
 * clean -x`) or its deliverable folder is recorded all the same (see
 * {@linkcode finishRun}).
 * While `work` runs, the pending run watches this process: if it dies,
 * `runrec reap` writes the run as FAILED; unless the pending run could not
 * be saved (a full disk): it is then kept in memory only, and a crash goes
 * unrecorded (a run that finishes says so in its record's Notes).
 *
 * @example
 * ```ts
 * import { withRun } from "@runrec/runrec";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * const pages = await withRun(dir, { agent: "4_DOCUMENTS", inputs: ["_CONTEXT.md"] }, async (run) => {
 *   await Deno.writeTextFile(`${dir}/Datasheet.md`, "# Datasheet\n");
 *   run.output("Datasheet.md");
 *   if (Math.random() < 0.5) run.status = "PARTIAL";
 *   return 1;
 * });
 * ```
 */
export async function withRun<T>(
  delDir: string,
  options: WithRunOptions,
  work: (run: RunHandle) => Promise<T> | T,
): Promise<T> {
  checkFunctionArgument(work, "work");
  // Before the work runs: a finish refused for an option could only be said on stderr.
  checkWithRunArguments(delDir, options);
  checkAppendOptions(options);
  const {
    agent,
    inputs,
    pass,
    mayCreate,
    allowOutside,
    onOutcome = printOutcome,
    ...writeOptions
  } = options;
  const started = await startRun(
    delDir,
    { agent, inputs, pass, mayCreate, allowOutside, pid: Deno.pid },
  );
  const outputs: string[] = [];
  let status: RunStatus = "SUCCESS";
  let errorSaid: string | undefined;
  let notesSaid: string | undefined;
  // Once the callback is done, what the handle is told would be dropped unsaid (trial-w F8).
  let finished = false;
  const refuseLate = (call: string) => {
    if (finished) {
      throw new InputError(
        `${call}: run ${started.run.id} is finished already: tell the run before the callback ` +
          "returns (await what writes its files)",
      );
    }
  };
  const handle: RunHandle = {
    get id() {
      return started.run.id;
    },
    get delDir() {
      return started.delDir;
    },
    output: (path) => {
      refuseLate(`run.output(${JSON.stringify(path)})`);
      if (typeof path !== "string") {
        throw new InputError(`run.output(${shownValue(path)}): a path must be a string`);
      }
      // At the call, named as the script wrote it: "" would stand for every file.
      if (path.trim() === "") {
        throw new InputError(`run.output(${JSON.stringify(path)}): ${EMPTY_PATH}`);
      }
      outputs.push(path);
    },
    get status() {
      return status;
    },
    get error() {
      return errorSaid;
    },
    set error(value: string | undefined) {
      refuseLate("run.error");
      // At the assignment, as run.status is: at the finish it would cost the record (library F1).
      errorSaid = checkedText(value, "run.error");
    },
    get notes() {
      return notesSaid;
    },
    set notes(value: string | undefined) {
      refuseLate("run.notes");
      notesSaid = checkedText(value, "run.notes");
    },
    set status(value: RunStatus) {
      refuseLate("run.status");
      // The words recordRun takes (any case; a host outcome word): the finish maps them.
      if (typeof value !== "string" || mapOutcome(value.trim().toUpperCase()) === undefined) {
        throw new InputError(
          `run.status: must be one of ${RUN_STATUSES.join(", ")} (any case) or a host ` +
            "outcome word (PASS, FAILED_INPUTS, ...)",
        );
      }
      status = value;
    },
  };
  let value: T;
  try {
    value = await work(guardedHandle(handle));
  } catch (error) {
    finished = true;
    const message = thrownMessage(error);
    await finishQuietly(
      started,
      wellFormedReport({
        status: "FAILED",
        outputs,
        // The whole message (log's table shows its first line), cut to a length a record
        // holds well, never inside a surrogate pair.
        error: shortened(message.trim(), ERROR_KEPT) || "the run threw",
        notes: handle.notes,
      }),
      writeOptions,
      onOutcome,
    );
    throw error;
  }
  finished = true;
  await finishQuietly(
    started,
    wellFormedReport({
      status,
      outputs,
      error: handle.error,
      notes: handle.notes,
    }),
    writeOptions,
    onOutcome,
  );
  return value;
}

/** `value` when it is a string (or `undefined`); else an InputError naming `name`. */
function checkedText(value: unknown, name: string): string | undefined {
  if (value === undefined || typeof value === "string") return value;
  throw new InputError(`${name}: must be a string, got ${shownValue(value)}`);
}

/**
 * What a throw says, for its FAILED record: an Error's message (else, for an
 * AggregateError, its errors' messages, else its name); a plain object as
 * JSON, not `[object Object]` (trial-w F9).
 */
function thrownMessage(error: unknown): string {
  if (error instanceof Error) {
    if (error.message.trim() !== "") return error.message;
    const inner = error instanceof AggregateError
      ? error.errors.map((e) => thrownMessage(e)).filter((m) => m !== "").join("; ")
      : "";
    return inner === "" ? error.name : `${error.name}: ${inner}`;
  }
  if (typeof error === "object" && error !== null) {
    try {
      return JSON.stringify(error);
    } catch { /* a cycle: said as String() says it */ }
  }
  return String(error);
}

/**
 * The callback's strings made recordable: a lone UTF-16 surrogate (text cut
 * with `.slice()`) fails the record's validation, and withRun has no caller
 * left to tell, so it becomes U+FFFD and the record's Notes say where.
 */
function wellFormedReport(report: FinishReport): FinishReport {
  const fixed: string[] = [];
  const mend = (text: unknown, name: string) => {
    if (typeof text !== "string" || text.isWellFormed()) return text as string | undefined;
    fixed.push(name);
    return text.toWellFormed();
  };
  const error = mend(report.error, "run.error");
  const notes = mend(report.notes, "run.notes");
  const outputs = report.outputs?.map((p) => mend(p, "run.output()") as string);
  if (fixed.length === 0) return report;
  const note = `${[...new Set(fixed)].join(", ")} held a lone UTF-16 surrogate, recorded as U+FFFD`;
  return { ...report, error, outputs, notes: notes ? `${notes} | ${note}` : note };
}

/**
 * Finishes a `withRun` run; a finish that throws (the run was finished by
 * another process, or the folder it was to create was not), or an
 * `onOutcome` that throws, is said on stderr, so that it never changes what
 * `withRun` returns or throws.
 */
async function finishQuietly(
  started: StartedRun,
  report: FinishReport,
  options: RunOptions,
  onOutcome: (outcome: RunOutcome) => void,
): Promise<void> {
  // Told before the run leaves pending: a record neither written nor spooled whose line the
  // callback could not take (it threw: stderr on a full disk) keeps its run pending, for reap,
  // never removed with the record said nowhere (review-41 F3). The start's warnings (an input
  // not found) go with the outcome's, as exec says them.
  let thrown: { error: unknown } | undefined;
  const print = (outcome: RunOutcome) => {
    try {
      onOutcome({ ...outcome, warnings: [...started.warnings ?? [], ...outcome.warnings] });
      return true;
    } catch (error) {
      thrown = { error };
      return false;
    }
  };
  try {
    await finishRun(started, report, { ...options, print });
  } catch (e) {
    sayQuietly(`run not recorded: ${(e as Error).message.split("\n")[0]}`);
    return;
  }
  // A callback that throws is said too: it must not stand in for the work's value or error
  // (trial-w F2).
  if (thrown !== undefined) sayQuietly(`onOutcome threw: ${thrownMessage(thrown.error)}`);
}

/** A warning of withRun's on stderr; one stderr cannot take (a full disk) is said nowhere. */
function sayQuietly(warning: string): void {
  try {
    console.error(`runrec: warning: ${warning}`);
  } catch { /* said nowhere: it must not stand in for the work's value or error */ }
}
