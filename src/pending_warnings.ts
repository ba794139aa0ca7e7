/**
 * What the commands say of a folder's pending runs: the runs waiting for
 * their finish or reap, a run file back although its run is recorded, and the
 * `runrec reap` command line that reaches them.
 *
 * @module
 */
import { basename } from "./path.ts";
import { pathArgument } from "./shell_word.ts";
import { oneLine } from "./names.ts";
import { rootOutOfSight } from "./deliverable.ts";
import { type PendingItem, pendingRunsByFolder } from "./pending.ts";
import { recordedThere, removedWorkTreeRuns, startedIn } from "./kept_runs.ts";
import { recordedRuns, type RunRecordFound, spooledRecordPlace } from "./recorded_runs.ts";

/**
 * The `runrec reap` command line that reaches `folders` (as named from the
 * current folder), `options` after them; to be started from the
 * repository's root when this runrec cannot see a project root from here
 * (the sandboxed build started beneath it), where reap would refuse them.
 *
 * @example
 * ```ts
 * import { reapCommandLine } from "./pending_warnings.ts";
 * console.log(reapCommandLine(["a b"], " --older-than 2h")); // "runrec reap 'a b' --older-than 2h"
 * ```
 */
export function reapCommandLine(folders: readonly string[], options = ""): string {
  const words = folders.map((f) => pathArgument(f)).join(" ");
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
 * import { listPendingRuns } from "./pending.ts";
 * import { describePendingRuns } from "./pending_warnings.ts";
 * console.error(describePendingRuns("DEL-01-02_X", listPendingRuns("DEL-01-02_X")));
 * ```
 */
export function describePendingRuns(
  delDir: string,
  items: readonly PendingItem[],
  startedIn?: string,
): string {
  const runs = items.map((i) =>
    i.run
      ? `${i.run.agent} since ${i.run.start.started}${i.claimedBy ? ` (finishing)` : ""}`
      : i.damaged
      ? `${basename(i.path)} (damaged: reap leaves it; runrec finish ${pathArgument(i.path)} ` +
        "--agent NAME --status S records it from its token)"
      : `${basename(i.path)} (unreadable)`
  );
  const shown = oneLine(delDir); // a folder's name must not drive the terminal the line is shown on
  if (items.every((i) => i.damaged)) {
    return `${shown}: ${items.length} run(s) started and not finished: ${runs.join(", ")}`;
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
  const started = startedIn === undefined ? "started" : `started in ${oneLine(startedIn)},`;
  return `${shown}: ${items.length} run(s) ${started} and not finished: ${runs.join(", ")}; ` +
    `finish them with runrec finish, or ${reap}`;
}

/**
 * The warnings about the runs work trees removed since left pending for the deliverable folders
 * at or beneath `targets` (./kept_runs.ts): one line for each folder, as for a folder's own
 * ({@linkcode describePendingRuns}), naming the work tree; a run recorded there before it went
 * is no run left to finish (the next reap removes its copy).
 *
 * @example
 * ```ts
 * import { removedWorkTreeRunWarnings } from "./pending_warnings.ts";
 * for (const w of removedWorkTreeRunWarnings(["."])) console.error(`runrec: warning: ${w}`);
 * ```
 */
export function removedWorkTreeRunWarnings(targets: readonly string[]): string[] {
  return removedWorkTreeRuns(targets).flatMap(({ folder, items }) => {
    const waiting = items.filter((i) => !i.run || recordedThere(folder, i.run) === undefined);
    return waiting.length === 0
      ? []
      : [describePendingRuns(folder.delDir, waiting, startedIn(waiting[0].run, folder.workTree))];
  });
}

/**
 * The warnings about the pending runs of `delDir`: one line for the runs
 * waiting for their finish or reap ({@linkcode describePendingRuns}), and one
 * for each whose record is there already, in the file or waiting in the spool
 * (a read-only folder's finish), which is no run left to finish
 * ({@linkcode describeRecordedPending}). A run `reap` wrote as FAILED waits
 * still: its agent may finish it late. `runsOf` (`pendingRunsByFolder()`) is shared by a caller
 * that looks at many folders.
 *
 * @example
 * ```ts
 * import { pendingRunWarnings } from "./pending_warnings.ts";
 * for (const w of await pendingRunWarnings("DEL-01-02_X")) console.error(`runrec: warning: ${w}`);
 * ```
 */
export async function pendingRunWarnings(
  delDir: string,
  runsOf: (delDir: string) => PendingItem[] = pendingRunsByFolder(),
): Promise<string[]> {
  const recordOf = await recordedRuns(delDir);
  const warnings: string[] = [];
  const waiting: PendingItem[] = [];
  // Its runs kept in the user's temporary folder too (it was read-only at their start), as reap
  // finds them: else nothing named them until a reap.
  for (const item of runsOf(delDir)) {
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
 */
function describeRecordedPending(
  delDir: string,
  item: PendingItem,
  found: RunRecordFound,
): string {
  const run = `${delDir}: run ${item.id} (${item.run?.agent}, since ${item.run?.start.started})`;
  if (found.stuck !== undefined) {
    // Its record waits to be corrected: not finished again, which would record the run twice.
    return `${run} is recorded: its record ${spooledRecordPlace(found, delDir)}; not to be ` +
      "finished again";
  }
  if (found.runId === undefined) {
    // A finish of a read-only folder leaves the file beside its spooled record.
    return `${run} is recorded: its record waits in the spool, ${found.spooledIn}; not to be ` +
      `finished again: runrec flush ${
        pathArgument(delDir)
      } appends it and removes its pending file`;
  }
  // A read-only finish stopped before its removal left the file; else it came back.
  const why = found.finishedReadOnly
    ? "a finish while its folder was read-only wrote it and was stopped before removing its " +
      "pending file"
    : "its pending file is back (git stash pop, a restored copy?)";
  return `${run} is recorded already as ${found.runId}, but ${why}; not to be finished again: ` +
    `runrec reap ${pathArgument(delDir)} removes it`;
}
