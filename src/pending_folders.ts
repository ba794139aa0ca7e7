/**
 * The deliverable folders at or beneath the targets of a command that hold
 * pending runs (what `log`, `verify`, `export` warn of, and `reap` looks at),
 * and the removal there of what killed writers of run files left.
 *
 * @module
 */
import { dirname, join, resolve } from "./path.ts";
import { removeAbandonedTemporaries } from "./state_folder.ts";
import { holdsNoDeliverables, kindOf, walk } from "./walk.ts";
import { skipsLinkedWorktree } from "./targets.ts";
import { PENDING_FOLDER, REAPED_FOLDER } from "./run_files.ts";
import {
  listPendingRuns,
  listReapedRuns,
  LOST_FOLDER,
  outsidePendingFolder,
  pendingRunsByFolder,
} from "./pending.ts";
import { removeDeadMarkers } from "./finish_markers.ts";
import { removeOrphanCommandMarkers } from "./command_markers.ts";
import { shownPath } from "./deliverable.ts";

/**
 * Every deliverable folder at or beneath `targets` (folders, or record files
 * standing for theirs) that holds pending runs, each once, sorted, each named
 * from the current folder when beneath it (`shownPath`).
 *
 * @example
 * ```ts
 * import { foldersWithPendingRuns } from "./pending_folders.ts";
 * for (const dir of foldersWithPendingRuns(["."])) console.log(dir);
 * ```
 */
export function foldersWithPendingRuns(targets: readonly string[]): string[] {
  // Named as the user would type them (and as `stale` names them), for the warnings and the
  // `runrec reap` line they give: not the absolute path of a folder beneath the current one.
  // Its runs kept in the user's temporary folder (it was read-only at their start) count too.
  const runsOf = pendingRunsByFolder();
  return foldersWhere(targets, (dir) => runsOf(dir).length > 0).map(shownPath);
}

/**
 * Every deliverable folder at or beneath `targets` that holds pending runs,
 * or reaped runs (kept for a late finish, or held by a finisher): what
 * `reap` looks at, each once, sorted.
 *
 * @example
 * ```ts
 * import { foldersWithRunsToSettle } from "./pending_folders.ts";
 * for (const dir of foldersWithRunsToSettle(["."])) console.log(dir);
 * ```
 */
export function foldersWithRunsToSettle(targets: readonly string[]): string[] {
  return foldersWhere(
    targets,
    (dir) => listPendingRuns(dir).length > 0 || listReapedRuns(dir).length > 0,
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
 * import { removeAbandonedRunTemporaries } from "./pending_folders.ts";
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
