/**
 * Where a deliverable folder keeps its started runs' files, and the one step
 * on them a spool replay takes: a module of its own, so that the spool (and
 * `emit`, which replays it) loads none of ./pending.ts.
 *
 * @module
 */
import { NAMED_RUNS } from "./agent_notes.ts";
import { join, resolve } from "./path.ts";

/** The folder of pending runs inside a deliverable folder. */
export const PENDING_FOLDER = ".runrec/pending";

/** The folder of reaped runs inside a deliverable folder: kept for a late `finish`. */
export const REAPED_FOLDER = ".runrec/reaped";

/** What a reaped run's record says went wrong. */
export const REAPED_ERROR = "reaped: the agent never finished";

/** How the Notes of a reaped run's record begin to say it was the first start of a retried start. */
export const RETRIED_START_NOTE = "probably a retried start:";

/**
 * Removes the pending (or reaped) file of each run a record just appended from
 * the spool names in its `notes`: a finish of a read-only folder left it
 * there, its record spooled. Not for a FAILED record `reap` wrote (`error`):
 * its run may still be finished late. An unlink, atomic as a finisher's claim
 * (a rename) is: of the two, one finds the file. A file that cannot be removed
 * is left: `reap` and `finish` know the run is recorded by its id.
 *
 * @example
 * ```ts
 * import { settleRecordedRuns } from "./run_files.ts";
 * settleRecordedRuns("DEL-01-02_X", "done | run 20260222T101500123Z-1a2b3c4d", "");
 * ```
 */
export function settleRecordedRuns(delDir: string, notes: string, error: string): void {
  if (error === REAPED_ERROR) return;
  for (const [, id] of notes.matchAll(NAMED_RUNS)) {
    for (const folder of [PENDING_FOLDER, REAPED_FOLDER]) {
      try {
        Deno.removeSync(join(resolve(delDir), folder, `${id}.json`));
      } catch { /* none, claimed by a finisher, or not removable: known as recorded by its id */ }
    }
  }
}
