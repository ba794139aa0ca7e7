/**
 * The lock the work trees of one repository share for a record file: each
 * `git worktree add` work tree has its own copy of `RunRecords.csv` and its
 * own append lock beside it, and the SEQ of a minute is told to the others
 * only by the journal (./left_folder_seq.ts `workTreeSeq`), noted after the
 * write. Two appends at the same moment in two work trees gave one RunID
 * (review-46 F2), which the branches' merge held twice. Taken after the
 * file's own lock, in the common `.git` folder, only while the repository has
 * linked work trees; named by the deliverable's ID, not its folder's path,
 * which a `git mv` in one work tree changes there alone (review-47 F1).
 *
 * @module
 */
import { basename, dirname, join, relative } from "./path.ts";
import { commonGitDir, hasLinkedWorkTrees, workTrees } from "./git.ts";
import { acquireLock, type HeldLock, type LockOptions } from "./lock.ts";
import { sha256Hex } from "./sha256.ts";
import { deliverableId } from "./deliverable.ts";

/**
 * The folder of the common `.git` folder that holds the shared locks.
 *
 * @example
 * ```ts
 * import { LOCK_FOLDER } from "./work_tree_lock.ts";
 * LOCK_FOLDER; // "runrec-locks"
 * ```
 */
export const LOCK_FOLDER = "runrec-locks";

/**
 * Takes the lock the work trees of the repository holding `recordFile` share for its deliverable
 * (whatever its folder's path in each), with `options` as the file's own lock; `undefined` when the repository has no
 * linked work trees, or the lock's folder cannot be made (a read-only `.git`, or one this process
 * may not write to: each work tree's own lock then, as before). A lock held past the wait is refused as the file's own is.
 *
 * @example
 * ```ts
 * import { workTreesLock } from "./work_tree_lock.ts";
 * const lock = await workTreesLock("/repo/PKG-01/DEL-01-02_X/RunRecords.csv", {
 *   deliverableId: "DEL-01-02",
 *   holder: "runrec",
 * });
 * await lock?.release();
 * ```
 */
export async function workTreesLock(
  recordFile: string,
  options: LockOptions,
): Promise<HeldLock | undefined> {
  const path = sharedLockPath(recordFile);
  if (path === undefined) return undefined;
  // A library script allowed to write its project only: Deno would prompt in a terminal.
  const allowed = Deno.permissions.querySync({ name: "write", path: dirname(dirname(path)) });
  if (allowed.state !== "granted") return undefined;
  try {
    Deno.mkdirSync(dirname(path), { recursive: true });
  } catch {
    return undefined;
  }
  return await acquireLock(path, options);
}

/**
 * Where the work trees' shared lock of `recordFile` is: in the common `.git` folder, named by the
 * DeliverableID its folder claims (a folder renamed with `git mv` in one work tree has another
 * path there: review-47 F1), else by the file's path in its work tree; `undefined` without linked
 * work trees.
 */
function sharedLockPath(recordFile: string): string | undefined {
  if (!hasLinkedWorkTrees(dirname(recordFile))) return undefined;
  return sharedStatePath(recordFile, "lock");
}

/**
 * The file `<name>.<ext>` of the common `.git` folder's `runrec-locks/` that the work trees share
 * for `recordFile`'s deliverable (see {@linkcode workTreesLock}), whether or not the repository
 * has linked work trees now; `undefined` outside a repository.
 *
 * @example
 * ```ts
 * import { sharedStatePath } from "./work_tree_lock.ts";
 * sharedStatePath("/repo/PKG-01/DEL-01-02_X/RunRecords.csv", "seqs"); // "/repo/.git/runrec-locks/….seqs"
 * ```
 */
export function sharedStatePath(recordFile: string, ext: string): string | undefined {
  const folder = dirname(recordFile);
  const common = commonGitDir(folder);
  if (common === undefined) return undefined;
  let key: string;
  try {
    key = `deliverable ${deliverableId(folder).id}`;
  } catch {
    // The work trees are listed only here, where the key needs them: most of this look's cost.
    const trees = workTrees(folder);
    try {
      if (trees === undefined) return undefined;
      key = relative(trees.top, join(Deno.realPathSync(folder), basename(recordFile)));
    } catch {
      return undefined;
    }
  }
  const name = sha256Hex(new TextEncoder().encode(key)).slice(0, 32);
  return join(common, LOCK_FOLDER, `${name}.${ext}`);
}
