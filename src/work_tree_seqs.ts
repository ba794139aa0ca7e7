/**
 * The RunIDs appends in a repository with linked work trees gave, noted in
 * the common `.git` folder beside the work trees' shared lock
 * (./work_tree_lock.ts): a work tree's own journal goes with it when it is
 * removed (`git worktree remove`), and its branch's runs of a minute, merged
 * later, held a RunID another work tree gave again (review-47 F2).
 *
 * @module
 */
import { dirname, join } from "./path.ts";
import { commonGitDir, hasLinkedWorkTrees } from "./git.ts";
import { kindOf } from "./walk.ts";
import { LOCK_FOLDER, sharedStatePath } from "./work_tree_lock.ts";

/** The size past which the notes are cut to their later half when one is added. */
const NOTES_LIMIT = 16 * 1024;

/**
 * Notes `runId`, about to be appended to `recordFile` under the work trees' shared lock (before the
 * write: a process killed after it has noted it all the same, review-48 F1), where the
 * repository has linked work trees (only they can give one RunID apart). Best effort: a note not
 * made leaves the work trees' journals, as before.
 *
 * @example
 * ```ts
 * import { noteWorkTreesSeq } from "./work_tree_seqs.ts";
 * noteWorkTreesSeq("/repo/PKG-01/DEL-01-02_X/RunRecords.csv", "RUN-DEL-01-02-20260222-1015-001");
 * ```
 */
export function noteWorkTreesSeq(recordFile: string, runId: string): void {
  try {
    if (!hasLinkedWorkTrees(dirname(recordFile))) return;
    const path = sharedStatePath(recordFile, "seqs");
    // A library script allowed to write its project only: Deno would prompt in a terminal.
    if (path === undefined || !granted("write", dirname(path))) return;
    let kept = "";
    try {
      const info = Deno.lstatSync(path);
      if (!info.isFile) return; // a link or FIFO in its place: another file's, or a wait
      if (info.size > NOTES_LIMIT) {
        const lines = Deno.readTextFileSync(path).split("\n").filter((l) => l !== "");
        kept = lines.slice(lines.length >> 1).join("\n") + "\n";
      }
    } catch { /* none yet */ }
    if (kept === "") {
      Deno.writeTextFileSync(path, `${runId}\n`, { append: true });
    } else {
      // Under the shared lock: no other note is being made meanwhile. A new file, never one a
      // link or FIFO in its place leads to (a wait while both locks are held).
      try {
        Deno.removeSync(`${path}.tmp`);
      } catch { /* none */ }
      Deno.writeTextFileSync(`${path}.tmp`, `${kept}${runId}\n`, { createNew: true });
      Deno.renameSync(`${path}.tmp`, path);
    }
  } catch { /* not noted: the journals tell what they can */ }
}

/**
 * The highest SEQ of `prefix` (`RUN-<id>-<YYYYMMDD>-<HHmm>-`) noted by
 * {@linkcode noteWorkTreesSeq} for `recordFile`'s deliverable, in any work tree of its repository,
 * those removed since included; `0n` for none.
 *
 * @example
 * ```ts
 * import { notedWorkTreesSeq } from "./work_tree_seqs.ts";
 * notedWorkTreesSeq("/repo/PKG-01/DEL-01-02_X/RunRecords.csv", "RUN-DEL-01-02-20260222-1015-"); // 0n
 * ```
 */
export function notedWorkTreesSeq(recordFile: string, prefix: string): bigint {
  let text: string;
  try {
    // A repository that never had linked work trees has no notes: one stat, no _CONTEXT.md read.
    const common = commonGitDir(dirname(recordFile));
    const folder = common === undefined ? undefined : join(common, LOCK_FOLDER);
    if (folder === undefined || !granted("read", folder) || kindOf(folder) !== "folder") return 0n;
    const path = sharedStatePath(recordFile, "seqs");
    if (path === undefined || !Deno.lstatSync(path).isFile) return 0n;
    text = Deno.readTextFileSync(path);
  } catch {
    return 0n;
  }
  let seq = 0n;
  for (const line of text.split("\n")) {
    const digits = line.startsWith(prefix) ? line.slice(prefix.length) : "";
    if (/^[0-9]+$/.test(digits) && BigInt(digits) > seq) seq = BigInt(digits);
  }
  return seq;
}

/** Whether this process may `name` (read, write) `path` without a prompt. */
function granted(name: "read" | "write", path: string): boolean {
  return Deno.permissions.querySync({ name, path }).state === "granted";
}
