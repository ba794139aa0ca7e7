/**
 * Pending runs in a copied deliverable folder. A folder copied (`cp -a`, a
 * template for a new deliverable) while a run was pending holds a copy of the
 * run's file, and that run never ran there: its record would name the copy's
 * DeliverableID with the original's inputs. `start` writes the folder's
 * DeliverableID and real path into the run (`deliverableId`, `startedIn`);
 * a run whose file sits in a folder they do not describe is not recorded
 * there. A folder renamed or moved during the run keeps its DeliverableID
 * and leaves its old path: its run is recorded where it is now.
 *
 * @module
 */
import { deliverableId } from "./deliverable.ts";
import { resolvedPath } from "./lookups.ts";
import { resolve } from "./path.ts";
import { listPendingRuns, type PendingRun, recordedRuns } from "./pending.ts";
import { kindOf } from "./walk.ts";

/** Why a pending run's file is not its run's to record where it is. */
export interface CopiedRun {
  /** One line: where the run was started, and why the folder holding the file is not it. */
  why: string;
  /**
   * The folder the run was started in, when it holds the run still: the file
   * at hand is then provably a copy, and may go.
   */
  original?: string;
  /** What the original holds of the run: `pending` (finish it there) or `recorded`. */
  state?: "pending" | "recorded";
}

/**
 * Why `run`, whose file `delDir` holds, did not run in `delDir` (see the
 * module's doc), or `undefined` when it may have: the folder it started in
 * (renamed, moved), or a run an older runrec started (no `startedIn`).
 *
 * @example
 * ```ts
 * import { copiedRun } from "./copied_run.ts";
 * import { readPendingRun } from "./pending.ts";
 * const file = "DEL-01-04_Copy/.runrec/pending/20260222T101500123Z-1a2b3c4d.json";
 * const copied = await copiedRun("DEL-01-04_Copy", readPendingRun(file));
 * if (copied) console.error(copied.why);
 * ```
 */
export async function copiedRun(delDir: string, run: PendingRun): Promise<CopiedRun | undefined> {
  if (run.startedIn === undefined) return undefined;
  const here = resolvedPath(resolve(delDir));
  let idHere: string | undefined;
  try {
    idHere = deliverableId(delDir).id;
  } catch { /* no ID to compare: the path alone tells */ }
  const idDiffers = run.deliverableId !== undefined && idHere !== undefined &&
    idHere !== run.deliverableId;
  if (!idDiffers && here === run.startedIn) return undefined;
  const original = run.startedIn;
  const state = here === original ? undefined : await stateIn(original, run.id);
  if (state !== undefined) {
    return {
      why: `a copy of run ${run.id}, ${state} in ${original} where it started`,
      original,
      state,
    };
  }
  // Renamed or moved with its DeliverableID: the run's own folder, now here.
  if (!idDiffers) return undefined;
  return {
    why: `run ${run.id} was started in ${run.deliverableId} (${original}), not in this ` +
      `folder's ${idHere}: a copied folder?`,
  };
}

/** What `dir` holds of the run `id`: pending (or being finished), recorded (reaped too), nothing. */
async function stateIn(dir: string, id: string): Promise<CopiedRun["state"]> {
  if (kindOf(dir) !== "folder") return undefined;
  if (listPendingRuns(dir).some((i) => i.id === id)) return "pending";
  return (await recordedRuns(dir))({ id }) !== undefined ? "recorded" : undefined;
}
