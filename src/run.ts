/**
 * Two-phase runs: start a run before the agent works (the time, StatusBefore
 * and the governed inputs' hashes are fixed then), finish it after (duration,
 * StatusAfter, outputs), and `withRun` for scripts, which does both around a
 * callback. A started run is kept in the deliverable's `.runrec/pending/`
 * until it is finished or reaped (see ./pending.ts).
 *
 * Here: `startRun`, `finishRun`, `finishPendingRun` and `withRun`, the
 * claiming and recording of a run. Split out: finding the run a finish names
 * (./named_run.ts), a finish by folder that repeats a recorded one
 * (./repeated_finish.ts), why a finish writes nothing (./run_refusals.ts),
 * what `withRun` gives its callback (./run_handle.ts), and the types a
 * finish is given (./finish_report.ts).
 *
 * @module
 */
import { resolvedPath, sameFolder } from "./lookups.ts";
import { dropRunCopy, keepRunCopy, removedFileCopy, startedIn } from "./kept_runs.ts";
import { KEPT_JOURNALS } from "./kept_journals.ts";
import { retriedAfter } from "./retried_start.ts";
import { kindOf, walk } from "./walk.ts";
import { basename, dirname, isAtOrBeneath, join, relative, resolve } from "./path.ts";
import {
  DELIVERABLE_FOLDER,
  deliverableId,
  refuseBackslash,
  requireFolder,
  shownPath,
} from "./deliverable.ts";
import { sharedIdWarning } from "./claimed_ids.ts";
import { emptiedByGit, folderGitMovedTo, refuseLeftFolder } from "./git_moved_folder.ts";
import { failureReason, InputError, OptionError, thrownMessage } from "./errors.ts";
import { refuseUnrecordableStart } from "./recordable_start.ts";
import {
  checkFinishArguments,
  checkFinishOptions,
  checkFinishPendingArguments,
  checkStartArguments,
  checkWithRunArguments,
} from "./argument_checks.ts";
import { checkFunctionArgument, shownValue } from "./argument_kinds.ts";
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
import { gitHead } from "./git.ts";
import { CollidingNames, shortened } from "./names.ts";
import { LATE_FINISH, lateFinishNote, REAPED_NOT_FOUND } from "./late_finish.ts";
import { REAPED_ERROR } from "./run_files.ts";
import { governedInputsIn, isRunrecOwn, REFERENCES_FILE, relativePath } from "./inputs.ts";
import { mapOutcome } from "./outcomes.ts";
import { placeholderProblem } from "./placeholders.ts";
import { concurrentRunsNote, recordFileMark, startEvidenceNotes } from "./run_evidence.ts";
import {
  DamagedRunFile,
  keepPendingRun,
  keptOutside,
  listPendingRuns,
  outsidePendingFolder,
  pendingPath,
  type PendingRun,
  readPendingRun,
} from "./pending.ts";
import {
  CLAIM_WAIT_MS,
  claimLostRun,
  claimReadOnlyRun,
  type MarkerHeld,
} from "./finish_markers.ts";
import { implausibleStart, startJudgedAt } from "./implausible_start.ts";
import { reapedPlace, reapedRecord } from "./reaped_runs.ts";
import { READ_ONLY_FINISH_NOTE, recordOfGoneRun, recordOfRun, startSeq } from "./recorded_runs.ts";
import {
  claimFailedReadOnly,
  claimHolder,
  claimPendingRun,
  finisherState,
  releaseClaim,
  takeOverClaim,
} from "./run_claims.ts";
import { namesRun, newRunId, runIdNote } from "./run_ids.ts";
import { RUN_STATUSES, runIdPrefix, type RunStatus, TBD } from "./schema.ts";
import { RECORD_FILE } from "./deliverable.ts";
import { checkAppendOptions } from "./append_types.ts";
import { RecordTooLarge } from "./record_limits.ts";
import { seqAtMark } from "./seq_allocation.ts";
import { pathArgument, shellWord } from "./shell_word.ts";
import { optionalEnv } from "./optional_access.ts";
import type { FinishOptions, FinishReport } from "./finish_report.ts";
import type { StartRunOptions, WithRunOptions } from "./run_options.ts";
import {
  beingFinished,
  goneError,
  recordedError,
  refusedStillPending,
  RunNotRecordable,
} from "./run_refusals.ts";
import { locateRun, movedFolder, runFromToken } from "./named_run.ts";
import {
  checkedText,
  ERROR_KEPT,
  guardedHandle,
  printOutcome,
  type RunHandle,
  sayQuietly,
  wellFormedReport,
} from "./run_handle.ts";
export type { FinishOptions, FinishReport } from "./finish_report.ts";
export type { StartRunOptions, WithRunOptions } from "./run_options.ts";
export type { RunHandle } from "./run_handle.ts";

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
    { path: delDir },
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
  const warned = () => said.length > 0 ? { warnings: said } : {};
  if (!exists) return { delDir: dir, run, creates: true, ...warned() };
  try {
    const kept = keepPendingRun(dir, run);
    const outside = kept.token !== pendingPath(dir, run.id);
    // A linked work tree's, kept in the common git folder too: `git worktree remove` takes the
    // run's file away with the work tree (./kept_runs.ts).
    const notKept = outside ? undefined : keepRunCopy(dir, kept.run);
    if (notKept !== undefined) said.push(notKept);
    if (outside) said.push(keptOutsideWarning(dirname(kept.token)));
    return { delDir: dir, run: kept.run, token: kept.token, ...warned() };
  } catch (e) {
    const why = (e as Error).message.split("\n")[0].replaceAll(`${dir}/`, "");
    run.start.notes.push(`pending run not saved (${why}): reap could not have recorded a crash`);
    return { delDir: dir, run, notSaved: why, ...warned() };
  }
}

/**
 * What a run kept outside its folder (`folder`, the user's `runrec-pending-<uid>`) asks of the
 * user: only a runrec of the same temporary folder looks there, so a reap of another (a cron job's,
 * a service's own `/tmp`) passes it over, and its dead agent's run would never be written FAILED.
 */
function keptOutsideWarning(folder: string): string {
  return `this run is kept in ${folder}, not in its deliverable folder: runrec reap, log, ` +
    `verify and stale find it there only with this temporary folder (TMPDIR=${
      shellWord(dirname(folder))
    }); ` +
    "one with another (a cron job's, a service's own /tmp) passes it over, and would never write " +
    "it FAILED should its process die before its finish: reap with that TMPDIR";
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
    const finish = `runrec finish ${pathArgument(i.path)} --status S ...`;
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
      `it; if its agent is gone, runrec reap ${pathArgument(dir)}` +
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
  // The folder as the user would type it (newuser-49 F7).
  const folder = pathArgument(shownPath(resolve(dir)));
  return `this command runs under runrec exec, whose run ${execId} of ${run.agent} in this ` +
    "folder is recorded when the command ends: this run's record would be a second one; under " +
    "runrec exec, leave runrec start and finish out (or run the agent without exec); once " +
    `recorded, take this one back: runrec annotate ${folder} <its RunID> --invalidates ` +
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
      { target: token, call: "finishRun" },
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
  if (found) throw recordedError(delDir, run.id, delDir, found, run.agent, report.status);
  // With the folder itself gone, finishClaimed says so: no guess about git clean beside it. The
  // copy kept in the common git folder is what reap would have recorded a crash from.
  const notes = kindOf(delDir) === "folder"
    ? [
      ...run.start.notes,
      "pending run file removed during the run (git clean -x?): recorded from what the " +
      "finishing process held" +
      (removedFileCopy(delDir, run.id) === undefined
        ? "; reap could not have recorded a crash"
        : ", its copy in the common git folder kept for reap"),
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
    if (found) throw recordedError(delDir, run.id, delDir, found, run.agent, report.status);
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
    if (moved) return { delDir: moved.delDir, token: moved.path ?? pendingPath(moved.delDir, id) };
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
    const lost = await runFromToken(delDir, id, path, report.agent, report.status);
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
  // Claimed from its copy (./kept_runs.ts): of a work tree removed since (said as reap says it),
  // or its file removed from this one (said by reap's FAILED record, when reaped: the late
  // finish's note names that record).
  if (pending.keptFrom !== undefined && path?.includes(`/${KEPT_JOURNALS}/`)) {
    const own = isAtOrBeneath(resolvedPath(delDir), resolvedPath(pending.keptFrom.workTree));
    if (!own) {
      pending.start.notes.push(`started in ${startedIn(pending, pending.keptFrom.workTree)}`);
    } else if (!reaped) {
      pending.start.notes.push(
        "pending run file removed during the run (git clean -x?): finished from its copy in " +
          "the common git folder",
      );
    }
  }
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
    run = await runFromToken(delDir, id, path, report.agent, report.status);
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
    const state = finisherState(holder, `${path}.claim-${holder}`);
    if (state === "gone") {
      // A finisher killed mid-way (its pid maybe given again since, even to this process): its run
      // is ours to finish, unless it wrote the record first.
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
  constructor(override readonly path: string, readonly reaped: boolean, cause: unknown) {
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
    if (found && !found.reaped) {
      throw recordedError(delDir, run.id, delDir, found, run.agent, report.status);
    }
    // Said so whether the record is spooled or, the folder writable again by the write, written.
    const notes = [...run.start.notes, READ_ONLY_FINISH_NOTE];
    const held = { ...run, start: { ...run.start, notes } };
    const outcome = readOnly.reaped || found?.reaped
      ? await finishReaped(delDir, held, undefined, report, options)
      : await finishClaimed(delDir, held, undefined, report, options);
    const again = `runrec flush ${pathArgument(delDir)}`;
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
 * `retireClaim`) once the record is written or spooled, and given back when the
 * record was refused. A deliverable folder removed during the run is not
 * made again: its record is spooled outside it (`$TMPDIR/runrec-spool-<uid>`),
 * for `runrec flush` to append once the folder is back, and a warning says so.
 *
 * @example
 * ```ts
 * import { finishClaimed } from "./run.ts";
 * import { readPendingRun } from "./pending.ts";
 * import { claimPendingRun } from "./run_claims.ts";
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
  retireClaim: (claimed: string) => void = Deno.removeSync,
): Promise<RunOutcome> {
  // The run ends: its copy in the common git folder goes too, unless the copy is what was claimed:
  // `retireClaim` settled it then, and a reap that could not move it into reaped/ gave it back,
  // for the agent's late finish.
  const retire = (claimed: string) => {
    retireClaim(claimed);
    if (!claimed.includes(`/${KEPT_JOURNALS}/`)) dropRunCopy(delDir, run.id);
  };
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
      `${delDir}: ${gone}, runrec flush ${pathArgument(delDir)} appends it` +
        (outcome.lost
          ? "; the lost-record line below carries it too, should the folder not come back " +
            "there (a removed worktree): keep it; flush --from appends it once, whichever first"
          : ""),
    );
  }
  const kept = outcome.written || outcome.unconfirmed || outcome.spooledTo;
  if (!claimed) {
    // Recorded from its token (its file removed): the copy goes too, or reap finds it recorded.
    if (kept) dropRunCopy(delDir, run.id);
    return outcome;
  }
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
  const refuseLate = (call: string, field: string = call) => {
    if (finished) {
      throw new InputError(
        `${call}: run ${started.run.id} is finished already: tell the run before the callback ` +
          "returns (await what writes its files)",
        { field },
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
      refuseLate(`run.output(${JSON.stringify(path)})`, "run.output()");
      if (typeof path !== "string") {
        throw new InputError(`run.output(${shownValue(path)}): a path must be a string`, {
          field: "run.output()",
        });
      }
      // At the call, named as the script wrote it: "" would stand for every file.
      if (path.trim() === "") {
        throw new InputError(`run.output(${JSON.stringify(path)}): ${EMPTY_PATH}`, {
          field: "run.output()",
        });
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
          { field: "run.status" },
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
