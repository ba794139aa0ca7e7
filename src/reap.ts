/**
 * Reaping: runs that were started and will never be finished (the agent
 * crashed or was killed) are written as FAILED, each once.
 *
 * @module
 */
import { kindOf } from "./walk.ts";
import { dirname, isAtOrBeneath, join, relative, resolve } from "./path.ts";
import { resolvedPath, sameFolder } from "./lookups.ts";
import type { RunOptions, RunOutcome } from "./hook.ts";
import type { ReapOptions } from "./run_options.ts";
import {
  listOutsidePendingRuns,
  listOutsideReapedRuns,
  listPendingRuns,
  listReapedRuns,
  type PendingItem,
  type PendingRun,
  REAPED_ERROR,
  REAPED_FOLDER,
} from "./pending.ts";
import { dropRunCommand, runCommandRunning } from "./command_markers.ts";
import { claimReadOnlyRun, type MarkerHeld, markerHeldBy } from "./finish_markers.ts";
import { foldersWithRunsToSettle, removeAbandonedRunTemporaries } from "./pending_folders.ts";
import { keepReapedRun, reapedPlace, reapedRecord } from "./reaped_runs.ts";
import {
  recordedRunsOn,
  recordOfRun,
  type RunRecordFound,
  spooledRecordPlace,
  type SpoolReads,
} from "./recorded_runs.ts";
import { claimPendingRun, finisherState, processState, releaseClaim } from "./run_claims.ts";
import { finishClaimed } from "./run.ts";
import { retriedStartNotesOn } from "./retried_start.ts";
import { elapsedSince, formatDuration } from "./time.ts";
import { optionalUptimeMs } from "./optional_access.ts";
import { failureReason } from "./errors.ts";
import { checkReapArguments } from "./argument_checks.ts";
import { requireFolder } from "./deliverable.ts";
import { refuseSlipInsideDeliverable } from "./targets.ts";
import { folderGitMovedTo, leftByGit, moveLeftRun } from "./git_moved_folder.ts";
import { oneLine } from "./names.ts";
import { granted, type RemovedRunFolder } from "./kept_journals.ts";
import {
  nearbyHolder,
  recordedInOtherWorkTree,
  recordedThere,
  removedWorkTreeRuns,
  runsWithFileRemoved,
  startedIn,
} from "./kept_runs.ts";

export type { ReapOptions } from "./run_options.ts";

/** One run reaped (or found recorded already). */
export interface ReapedRun {
  /** The deliverable folder. */
  delDir: string;
  /** The pending run. */
  run: PendingRun;
  /** Why it was reaped. */
  reason: string;
  /** The write of its FAILED record; absent when its record was in place already. */
  outcome?: RunOutcome;
  /** The RunID of its FAILED record, when it is in the record file. */
  runId?: string;
}

/** A run {@linkcode reapRuns} left pending although it was due, and why. */
export interface LeftRun {
  /** The deliverable folder. */
  delDir: string;
  /** The pending run. */
  run: PendingRun;
  /**
   * Why it was left: another process holds its read-only finish's marker, or
   * `exec`'s process is gone while its command runs on.
   */
  reason: string;
}

/** What {@linkcode reapRuns} did. */
export interface ReapReport {
  /** Runs written as FAILED, or whose record a dead finisher had written. */
  reaped: ReapedRun[];
  /**
   * Runs due to be reaped but left pending, each with why: a finish of the
   * run while its folder was read-only holds its marker (alive, or on
   * another machine), or `exec` was killed and its command runs on. Not
   * waited for: reap again.
   */
  left: LeftRun[];
  /** Pending run files that cannot be read or recorded, one line each, naming the file. */
  problems: string[];
  /**
   * Damaged pending run files (emptied, cut), left: the agent a record needs
   * is in the damaged part. One line each, naming the file and the finish
   * that records its run from the token.
   */
  damaged: string[];
  /**
   * Runs left pending whose process cannot be watched from here: started
   * without `--pid` (every LLM agent's), or with the pid of another host or
   * one this runrec may not ask about (the sandboxed build): only
   * `olderThanMs` reaps them. `why` says which.
   */
  unwatched: { delDir: string; run: PendingRun; why: string }[];
  /**
   * Temporary files that writers killed before their rename left in the run
   * folders, removed (only those whose writer is gone: a live one may be about to rename).
   */
  removedTemporaries: string[];
}

/** Whether the process a run was started with (`pid`, on this host) is seen running. */
function processAlive(run: PendingRun): boolean {
  return run.pid !== undefined && processState(`${run.pid}@${run.host}`) === "alive";
}

/** Why a pending run is to be reaped now, or `undefined` when it is not. */
function whyReap(
  item: PendingItem,
  { now, uptime }: { now: number; uptime?: number },
  olderThanMs?: number,
): string | undefined {
  const run = item.run!;
  // A claimed run is being finished: only its finisher's death makes it ours.
  const watched = item.claimedBy ?? (run.pid !== undefined ? `${run.pid}@${run.host}` : undefined);
  if (watched !== undefined) {
    const state = item.claimedBy ? finisherState(item.claimedBy, item.path) : processState(watched);
    if (state === "alive") return undefined;
    // exec killed, its command running on: the agent is at work, whatever its age (trial-37 F1).
    if (!item.claimedBy && runCommandRunning(item.path) !== undefined) return undefined;
    if (state === "gone") {
      return item.claimedBy
        ? `the finisher ${item.claimedBy} died`
        : `its process ${run.pid} on ${run.host} is gone`;
    }
  }
  const age = elapsedSince(run.start.started, run.start.startedUptimeMs, now, uptime).ms;
  if (olderThanMs !== undefined && age > olderThanMs) {
    return `started ${formatDuration(Math.max(0, Math.round(age)))} ago, longer than ` +
      formatDuration(olderThanMs);
  }
  return undefined;
}

/**
 * Writes every pending run at or beneath `targets` whose process is gone
 * (a pid recorded on this machine), or, with `olderThanMs`, that started
 * longer ago and whose process is not seen running, as a FAILED record with
 * ErrorSummary `reaped: the agent never finished`. Each run is claimed first, so a
 * run is written once even when `finish` or another `reap` races. A reaped
 * run is kept in `.runrec/reaped/`: its agent's late `finish` still writes
 * the agent's record, which supersedes the FAILED one. Throws
 * `InputError` when a target is not a folder.
 *
 * @example
 * ```ts
 * import { reapRuns } from "@runrec/runrec";
 * const { reaped } = await reapRuns(["."], { olderThanMs: 24 * 3_600_000 });
 * for (const r of reaped) console.log(r.outcome?.written?.record.RunID, r.reason);
 * ```
 */
export async function reapRuns(
  targets: readonly string[],
  options: ReapOptions = {},
): Promise<ReapReport> {
  checkReapArguments(targets, options);
  // A file is no folder to look in: its folder may hold runs it does not name.
  for (const target of targets) {
    requireFolder(target);
    refuseSlipInsideDeliverable(target);
  }
  const { olderThanMs, now: givenNow, ...writeOptions } = options;
  // A time given is taken as is; the clock's is checked against this host's uptime (clock-sweep F4).
  const clock = givenNow === undefined
    ? { now: Date.now(), uptime: optionalUptimeMs() }
    : { now: givenNow };
  const report: ReapReport = {
    reaped: [],
    left: [],
    problems: [],
    damaged: [],
    unwatched: [],
    removedTemporaries: removeAbandonedRunTemporaries(targets),
  };
  const moved = adoptLeftRuns(targets, clock, olderThanMs); // before the folders are listed
  const folders = pendingRunsAt(targets);
  // A folder no target holds, where runs git left went, is reaped of those runs alone.
  for (const [home, ids] of moved) {
    if (folders.some(({ delDir }) => sameFolder(delDir, home))) continue;
    const items = listPendingRuns(home).filter((item) => ids.has(item.id));
    folders.push({ delDir: home, items, reapedClaims: [] });
  }
  // Last, the copies of runs whose own file was taken from a work tree still there (`git clean
  // -x`): a run reaped above, where its folder went, has its copy removed with it.
  for (const { delDir, items } of runsWithFileRemoved(targets)) {
    folders.push({ delDir, items, reapedClaims: [], fileRemoved: true });
  }
  // The user's spool folders hold every folder's entries: each is read once, not once a folder.
  const spoolReads: SpoolReads = new Map();
  for (const { delDir, items, reapedClaims, reapedRuns, removed, fileRemoved } of folders) {
    // Read once per folder, and only where a run waits: the record file may be large. Each later
    // look reads on from where the last ended, not the whole file for each run (scale37 F2).
    const history: FolderHistory = {
      recorded: recordedRunsOn(delDir, spoolReads),
      retried: retriedStartNotesOn(delDir, items.flatMap((item) => item.run ? [item.run] : [])),
    };
    let recordOf: ((run: PendingRun) => RunRecordFound | undefined) | undefined;
    for (const item of items) {
      if (!item.run) {
        (item.damaged ? report.damaged : report.problems)
          .push(item.problem ?? `${item.path}: unreadable`);
        continue;
      }
      let elsewhere: ReturnType<typeof removedWorkTreeRun>;
      try {
        elsewhere = removed && removedWorkTreeRun(delDir, item, removed);
      } catch (e) {
        report.problems.push(`${item.path}: not reaped: ${failureReason(e as Error)}`);
        continue;
      }
      if (elsewhere && "left" in elsewhere) report.left.push(elsewhere.left);
      if (elsewhere && "reaped" in elsewhere) report.reaped.push(elsewhere.reaped);
      if (elsewhere) continue;
      // Its file not removed but moved with its folder (git mv), there still: reaped there.
      const movedTo = fileRemoved ? nearbyHolder(delDir, item.id) : undefined;
      if (movedTo !== undefined) {
        report.left.push({ delDir, run: item.run, reason: `pending in ${movedTo}: reap it there` });
        continue;
      }
      if (!item.claimedBy) recordOf ??= await history.recorded();
      const found = item.claimedBy ? undefined : recordOf!(item.run);
      if (found !== undefined && !found.reaped) {
        // A pending file back (git stash pop, a restored copy) after its run was recorded (its
        // id named in a record). Never the file of a process alive: left for its own finish.
        if (found.spooledIn !== undefined) {
          report.reaped.push(recordSpooled(delDir, item.run, found));
          continue;
        }
        if (processAlive(item.run)) continue;
        try {
          const back = removeRecordedRun(delDir, item, found);
          if (back) {
            report.reaped.push(back);
            dropRunCommand(item.path);
          }
        } catch (e) {
          report.problems.push(`${item.path}: not removed: ${failureReason(e as Error)}`);
        }
        continue;
      }
      // Its only record reap's FAILED one: a reap that could not keep it in reaped/ left it here.
      const due = found?.reaped ? "reaped already" : whyReap(item, clock, olderThanMs);
      const reason = due && removed
        ? `${due}; started in ${startedIn(item.run, removed.workTree)}`
        : due && fileRemoved
        ? `${due}; its pending file was removed (git clean -x?): reaped from its copy in the ` +
          "common git folder"
        : due;
      if (!reason) {
        const { pid, host } = item.run;
        if (item.claimedBy) continue;
        // Never "nothing to reap" while a run's process cannot be looked at (sandboxed-sweep F3).
        if (pid === undefined) {
          report.unwatched.push({ delDir, run: item.run, why: "started without --pid" });
        } else if (processState(`${pid}@${host}`) === "gone") {
          // Not reaped for all its process is gone: its exec was killed, its command runs on.
          const command = runCommandRunning(item.path);
          const reason = command === undefined
            ? `its process ${pid} (runrec exec) is gone, and its command ended meanwhile: reap again`
            : `its process ${pid} (runrec exec) is gone, but its command (pid ${command}) runs ` +
              "on: reaped once that ends";
          report.left.push({ delDir, run: item.run, reason });
        } else if (processState(`${pid}@${host}`) === "unknown") {
          const why = `its process ${pid} on ${host} cannot be asked about from here (another ` +
            "host, or the sandboxed build)";
          report.unwatched.push({ delDir, run: item.run, why });
        }
        continue;
      }
      try {
        const done = await reapOne(delDir, item, reason, writeOptions, history);
        if (done && "left" in done) report.left.push(done.left);
        else if (done) {
          report.reaped.push(done);
          dropRunCommand(item.path); // its command ended: the marker guards nothing
        }
      } catch (e) {
        // One run that cannot be claimed or recorded must not keep the others from being reaped.
        report.problems.push(`${item.path}: not reaped: ${failureReason(e as Error)}`);
      }
    }
    for (const item of reapedRuns ?? []) {
      try {
        const settled = await dropSupersededRun(delDir, item, history);
        if (settled) report.reaped.push(settled);
      } catch (e) {
        report.problems.push(`${item.path}: not removed: ${failureReason(e as Error)}`);
      }
    }
    for (const item of reapedClaims) {
      try {
        const settled = await settleReapedClaim(delDir, item);
        if (settled) report.reaped.push(settled);
      } catch (e) {
        report.problems.push(`${item.path}: not settled: ${failureReason(e as Error)}`);
      }
    }
  }
  return report;
}

/**
 * The claim a late finish left on a reaped run (`item`, in `.runrec/reaped/`)
 * once that finish is gone: killed, or unable to remove it (its folder
 * turned read-only, its record LOST and appended later by `flush --from`).
 * Removed when the run has its record (other than reap's FAILED one), else
 * given back for its agent's late finish; `undefined` while the finish may
 * be under way (alive, or on another machine), or another process took it.
 */
async function settleReapedClaim(
  delDir: string,
  item: PendingItem,
): Promise<ReapedRun | undefined> {
  if (!item.run) throw new Error(item.problem ?? "unreadable");
  if (finisherState(item.claimedBy!, item.path) !== "gone") return undefined;
  const claimed = claimPendingRun(item.path); // the dead finisher's claim, taken over
  if (!claimed) return undefined;
  const run = item.run;
  const found = await recordOfRun(delDir, run);
  const runId = found?.runId === undefined ? {} : { runId: found.runId };
  if (found !== undefined && !found.reaped) {
    Deno.removeSync(claimed);
    return {
      delDir,
      run,
      reason: `the late finish ${item.claimedBy} wrote its record and left its claim on the ` +
        `run kept in ${reapedFolderOf(delDir, item.path)} (killed, or its folder read-only ` +
        "then); the claim removed",
      ...runId,
    };
  }
  releaseClaim(claimed);
  return {
    delDir,
    run,
    reason: `the late finish ${item.claimedBy} died holding the run before its record was ` +
      `written: given back, kept in ${reapedFolderOf(delDir, item.path)} for its agent's late ` +
      "finish",
    ...runId,
  };
}

/**
 * A reaped run's file (`item`, in `.runrec/reaped/`) whose late finish is recorded already (a
 * record other than reap's FAILED one, in the file): put back after that finish removed it (`git
 * stash pop`, a restored copy). Claimed, then looked for again, so that no finish of it is under
 * way, and removed; `undefined` while the run waits for its late finish, or another process
 * took the file.
 */
async function dropSupersededRun(
  delDir: string,
  item: PendingItem,
  history: FolderHistory,
): Promise<ReapedRun | undefined> {
  const run = item.run!;
  const recorded = (found: RunRecordFound | undefined) =>
    found !== undefined && !found.reaped && found.runId !== undefined;
  if (!recorded((await history.recorded())(run))) return undefined;
  const claimed = claimPendingRun(item.path);
  if (!claimed) return undefined;
  const found = await recordOfRun(delDir, run);
  if (!recorded(found)) {
    releaseClaim(claimed);
    return undefined;
  }
  Deno.removeSync(claimed);
  return {
    delDir,
    run,
    reason: `its file in ${reapedFolderOf(delDir, item.path)} came back (git stash pop, a ` +
      "restored copy?) after its late finish was recorded; removed",
    runId: found!.runId,
  };
}

/** A run whose finish spooled its record (a read-only folder): flush appends it, removes the file. */
function recordSpooled(delDir: string, run: PendingRun, found: RunRecordFound): ReapedRun {
  return {
    delDir,
    run,
    reason: `its record ${spooledRecordPlace(found, delDir)} and removes its pending file; ` +
      "not reaped",
  };
}

/**
 * Removes the pending file of a run that is recorded already (`found`): its
 * file came back after the run was recorded from its token. `undefined` when
 * another process took the file meanwhile.
 */
function removeRecordedRun(
  delDir: string,
  item: PendingItem,
  found: RunRecordFound,
): ReapedRun | undefined {
  const claimed = claimPendingRun(item.path);
  if (!claimed) return undefined;
  Deno.removeSync(claimed);
  return {
    delDir,
    run: item.run!,
    reason: found.finishedReadOnly
      ? "a finish while its folder was read-only wrote its record and was stopped before " +
        "removing its pending file; removed"
      : "its pending file came back (git stash pop, a restored copy?) after the run was " +
        `recorded${found.runId === undefined ? " (the record is in the spool)" : ""}; removed`,
    ...(found.runId !== undefined ? { runId: found.runId } : {}),
  };
}

/** A folder's record file as reap looks at it again and again, each look reading on from the last. */
interface FolderHistory {
  recorded: ReturnType<typeof recordedRunsOn>;
  retried: ReturnType<typeof retriedStartNotesOn>;
}

/**
 * Claims and reaps one pending run; `undefined` when another process
 * finished or reaped it meanwhile, a {@linkcode LeftRun} when a finish of it
 * holds its read-only marker (not waited for: reap looks at every run).
 * Throws when it can be neither claimed nor recorded.
 */
async function reapOne(
  delDir: string,
  item: PendingItem,
  reason: string,
  writeOptions: RunOptions,
  history: FolderHistory,
): Promise<ReapedRun | { left: LeftRun } | undefined> {
  const claimed = claimPendingRun(item.path);
  if (!claimed) return undefined; // finished or reaped meanwhile
  const run = item.run!;
  // A finish of the folder while it was read-only may be spooling the run's record right now.
  let marker: string | MarkerHeld | null = null; // null: none can be made here, nor by a finish
  try {
    marker = await claimReadOnlyRun(run.id, 0);
  } catch { /* reaped without one */ }
  try {
    if (marker !== null && typeof marker !== "string") {
      releaseClaim(claimed); // that finish records it
      return {
        left: { delDir, run, reason: `a finish of it may be under way: ${markerHeldBy(marker)}` },
      };
    }
    // Looked at again now the run is held: a flush may have appended its spooled record since.
    const found = (await history.recorded())(run);
    if (found?.spooledIn !== undefined && !found.reaped) {
      releaseClaim(claimed); // flush appends it and removes the file
      return recordSpooled(delDir, run, found);
    }
    if (found?.reaped) return keptForLateFinish(delDir, item, claimed, found);
    if (found !== undefined && item.claimedBy) {
      return claimantRecorded(delDir, item, claimed);
    }
    if (found !== undefined) {
      Deno.removeSync(claimed);
      return {
        delDir,
        run,
        reason: `recorded meanwhile${
          found.replayedFrom === undefined ? "" : " (appended from the spool)"
        }; its pending file removed, not reaped`,
        ...(found.runId !== undefined ? { runId: found.runId } : {}),
      };
    }
    return await reapClaimed(delDir, run, claimed, reason, writeOptions, history);
  } finally {
    try {
      if (typeof marker === "string") Deno.removeSync(marker);
    } catch { /* one left behind only delays a finish until this process is gone */ }
  }
}

/**
 * A pending run (`item`, held by this reap as `claimed`) whose only record is
 * reap's FAILED one (`found`): a reap killed (its claim left) or unable to
 * move it (a read-only folder, an I/O error) before keeping it for its
 * agent's late finish. Kept in `reaped/` now, as that reap would have; left
 * where it is, and said, when it still cannot be moved.
 */
function keptForLateFinish(
  delDir: string,
  item: PendingItem,
  claimed: string,
  found: RunRecordFound,
): ReapedRun | { left: LeftRun } {
  const run = item.run!;
  const notKept = keepReapedRun(delDir, claimed);
  if (notKept !== undefined) {
    const failed = found.runId ?? `its FAILED record waits in the spool, ${found.spooledIn}`;
    return { left: { delDir, run, reason: `reaped already (${failed}); ${notKept}` } };
  }
  // A late finish that took such a claim over and died before its write leaves the same.
  const before = item.claimedBy
    ? `${item.claimedBy} died holding the run after its FAILED record was written, before ` +
      "keeping it"
    : "its FAILED record was written by a reap that could not keep it";
  return {
    delDir,
    run,
    reason: `${before} for its agent's late finish: kept in ${
      reapedFolderOf(delDir, reapedPlace(delDir, claimed))
    } now`,
    ...(found.runId === undefined ? {} : { runId: found.runId }),
  };
}

/** The folder of a reaped run's file `path`, as said: `.runrec/reaped/`, or the one beside a run kept outside. */
function reapedFolderOf(delDir: string, path: string): string {
  const folder = dirname(path);
  return folder === join(resolve(delDir), REAPED_FOLDER) ? `${REAPED_FOLDER}/` : `${folder}/`;
}

/**
 * The run of a finisher that died after writing its record (`found`, not
 * reap's): the run is finished, not reaped, and its file is removed (kept in
 * reaped/, a retried finish would record it again).
 */
function claimantRecorded(delDir: string, item: PendingItem, claimed: string): ReapedRun {
  Deno.removeSync(claimed);
  return {
    delDir,
    run: item.run!,
    reason: `the finisher ${item.claimedBy} died after writing its record`,
  };
}

/** {@linkcode reapOne} once the run is claimed, not recorded, and no finish of it is under way. */
async function reapClaimed(
  delDir: string,
  run: PendingRun,
  claimed: string,
  reason: string,
  writeOptions: RunOptions,
  history: FolderHistory,
): Promise<ReapedRun> {
  // A start retried after its token was lost leaves this twin of a recorded run: said in its
  // FAILED record, as a pending run may be a fan-out's and is never dropped (AGENT_PROTOCOL.md §4).
  const retried = await history.retried(run);
  const said = retried === undefined ? reason : `${reason}; ${retried}`;
  const notKept: string[] = []; // why the run is not in reaped/, when it is not
  const outcome = await finishClaimed(
    delDir,
    run,
    claimed,
    {
      status: "FAILED",
      error: REAPED_ERROR,
      // The run's id is added as a note of its own by the finish, as to every record of a run.
      notes: `${REAPED_ERROR}: ${said}; RunDuration is the time until reaped; OutputFiles ` +
        "unknown",
    },
    { holder: `runrec reap (${run.agent})`, ...writeOptions },
    // Kept, not deleted: the agent may yet finish, and its record then supersedes this one.
    (path) => {
      const why = keepReapedRun(delDir, path);
      if (why !== undefined) notKept.push(why);
    },
  );
  for (const why of notKept) outcome.warnings.push(`run ${run.id} ${why}`);
  // A record written but not confirmed has its RunID in the file only.
  const runId = outcome.written?.record.RunID ??
    (outcome.unconfirmed ? (await reapedRecord(delDir, run.id))?.RunID : undefined);
  return { delDir, run, reason: said, outcome, ...(runId !== undefined ? { runId } : {}) };
}

/**
 * Moves each run to reap now that git left behind in a renamed deliverable
 * folder's old place (./git_moved_folder.ts) to where the folder's files
 * went, so that its FAILED record goes into that file and not into one begun
 * in the old folder; returns the ids of the runs moved, by the folder they
 * went to, to be reaped there though no target holds it. A run not moved is
 * reaped where it is.
 */
function adoptLeftRuns(
  targets: readonly string[],
  clock: { now: number; uptime?: number },
  olderThanMs?: number,
): Map<string, Set<string>> {
  const homes = new Map<string, Set<string>>();
  for (const delDir of foldersWithRunsToSettle(targets)) {
    if (!leftByGit(delDir)) continue; // most folders: no pending file read twice
    for (const item of listPendingRuns(delDir)) {
      if (!item.run || item.claimedBy || !whyReap(item, clock, olderThanMs)) continue;
      const home = folderGitMovedTo(delDir, item.path);
      if (home === undefined) continue;
      try {
        moveLeftRun(item.path, home);
        homes.set(home, (homes.get(home) ?? new Set()).add(item.id));
      } catch { /* reaped where it is, as before */ }
    }
  }
  return homes;
}

/**
 * The pending runs of every deliverable folder at or beneath `targets`: those
 * in the folders, and those kept outside them (a read-only folder) that name
 * such a folder; and the reaped runs a finisher holds (`reapedClaims`), in
 * the folders and beside the runs kept outside.
 */
function pendingRunsAt(targets: readonly string[]): RunsToSettle[] {
  const found: RunsToSettle[] = foldersWithRunsToSettle(targets).map((delDir) => {
    const reaped = listReapedRuns(delDir);
    return {
      delDir,
      items: listPendingRuns(delDir),
      reapedClaims: reaped.filter((item) => item.claimedBy !== undefined),
      reapedRuns: reaped.filter((item) => item.claimedBy === undefined && item.run),
    };
  });
  // Links resolved on both sides: a run started through a link is reaped through the real path.
  const bases = targets.map((target) => {
    const path = resolve(target);
    return resolvedPath(kindOf(path) === "folder" ? path : dirname(path));
  });
  const ours = (item: PendingItem) => {
    const delDir = item.run?.delDir;
    // Unreadable: another project's, perhaps; not ours to name.
    return delDir !== undefined &&
      bases.some((base) => isAtOrBeneath(resolvedPath(delDir), base));
  };
  for (const item of listOutsidePendingRuns().filter(ours)) {
    found.push({ delDir: item.run!.delDir!, items: [item], reapedClaims: [] });
  }
  for (const item of listOutsideReapedRuns().filter((i) => i.claimedBy && ours(i))) {
    found.push({ delDir: item.run!.delDir!, items: [], reapedClaims: [item] });
  }
  // The runs of work trees removed since, kept in the common git folder (./kept_runs.ts).
  for (const { folder, items } of removedWorkTreeRuns(targets)) {
    found.push({ delDir: folder.delDir, items, reapedClaims: [], removed: folder });
  }
  return found;
}

/** A deliverable folder's runs for reap to look at. */
interface RunsToSettle {
  delDir: string;
  items: PendingItem[];
  reapedClaims: PendingItem[];
  /** The reaped runs kept for a late finish, unclaimed: one superseded since is removed. */
  reapedRuns?: PendingItem[];
  /** The runs are a removed work tree's, kept in the common git folder, for `delDir` here. */
  removed?: RemovedRunFolder;
  /** The runs are copies kept in the common git folder of runs whose file `delDir` lost. */
  fileRemoved?: boolean;
}

/**
 * A run a removed work tree left pending (`item`, its copy in the common git folder) that is
 * not to be reaped here: recorded in that work tree before it went (its kept journal or its
 * branch's record file names it: the copy is removed), or in another work tree's file by a reap
 * killed before the copy left (kept there for the late finish); left and said: its copy not
 * writable here, its work tree's folder gone but still listed by git (moved by hand?), or its
 * deliverable folder not in this work tree. `undefined`: reaped as any other (and a copy a live
 * process holds is left to it).
 */
function removedWorkTreeRun(
  delDir: string,
  item: PendingItem,
  removed: RemovedRunFolder,
): { reaped: ReapedRun } | { left: LeftRun } | undefined {
  const run = item.run!;
  // Held by a reap or finish at work: its own to settle.
  if (item.claimedBy !== undefined && finisherState(item.claimedBy, item.path) !== "gone") {
    return undefined;
  }
  const where = startedIn(run, removed.workTree);
  // A library script allowed to write its project only: Deno would prompt in a terminal.
  if (!granted(removed.kept)) {
    const reason = `started in ${where}: its copy in the common git folder cannot be claimed by ` +
      "this runrec (not allowed to write there: the sandboxed build?); reap with runrec";
    return { left: { delDir, run, reason } };
  }
  const recorded = recordedThere(removed, run);
  if (recorded !== undefined) {
    const claimed = claimPendingRun(item.path);
    if (claimed !== undefined) Deno.removeSync(claimed);
    const reason = `started in ${where}, and recorded there (${recorded}); its copy in the ` +
      "common git folder removed, not reaped";
    return { reaped: { delDir, run, reason } };
  }
  // Reaped from another work tree already: the next reap from here must not record it again.
  const other = recordedInOtherWorkTree(delDir, run);
  if (other !== undefined) {
    const claimed = claimPendingRun(item.path);
    // Reap's FAILED record there: kept there for the agent's late finish, as that reap would have.
    if (claimed !== undefined && !other.reaped) Deno.removeSync(claimed);
    const notKept = claimed === undefined || !other.reaped
      ? undefined
      : keepReapedRun(other.folder, claimed);
    const reason = `started in ${where}; recorded in ${other.folder} already` +
      (other.reaped
        ? " by a reap killed (or unable to keep it) before its copy left the common git folder"
        : "") +
      `; not reaped here${notKept === undefined ? "" : `: ${notKept}`}`;
    return { reaped: { delDir: other.folder, run, reason } };
  }
  if (removed.prunable) {
    const reason = `started in ${where}: its folder is gone, but git lists it still; ` +
      "git worktree repair if it was moved (its run is reaped there), else git worktree prune, " +
      "and reap again";
    return { left: { delDir, run, reason } };
  }
  if (kindOf(delDir) !== "folder") {
    const reason = `started in ${where}, in a deliverable folder not in this work tree: reap ` +
      "it from a work tree that has it (its branch merged)";
    return { left: { delDir, run, reason } };
  }
  return undefined;
}

/**
 * A reaped run in one line, its folder relative to `cwd`.
 *
 * @example
 * ```ts
 * import { describeReaped, reapRuns } from "./reap.ts";
 * for (const r of (await reapRuns(["."])).reaped) console.log(describeReaped(r, Deno.cwd()));
 * ```
 */
export function describeReaped(reaped: ReapedRun, cwd: string): string {
  const where = oneLine(relative(cwd, reaped.delDir)) || "."; // no raw control to the terminal
  return `${whatBecameOf(reaped)} ${where} ${reaped.run.agent} started ` +
    `${reaped.run.start.started}: ${reaped.reason}`;
}

/** Its RunID, or what became of a FAILED record that has none yet, as emit says it. */
function whatBecameOf({ outcome, runId }: ReapedRun): string {
  if (!outcome) {
    return runId === undefined ? "(recorded already)" : `(recorded already as ${runId})`;
  }
  if (outcome.written) return runId!;
  if (outcome.unconfirmed) return `${runId ?? "(RunID not found)"} (written, not confirmed)`;
  if (outcome.spooledTo) return "(spooled)"; // where: its warning says
  if (outcome.lost) return "(LOST: its line is on stderr)";
  return "(not written)";
}
