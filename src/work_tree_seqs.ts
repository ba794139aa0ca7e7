/**
 * The RunIDs appends in a repository gave, noted in the common `.git` folder
 * beside the work trees' shared lock
 * (./work_tree_lock.ts): a work tree's own journal goes with it when it is
 * removed (`git worktree remove`), and its branch's runs of a minute, merged
 * later, held a RunID another work tree gave again (review-47 F2).
 *
 * @module
 */
import { readAt } from "./appended.ts";
import { dirname, join } from "./path.ts";
import { commonGitDir } from "./git.ts";
import { kindOf } from "./walk.ts";
import { LOCK_FOLDER, sharedStatePath } from "./work_tree_lock.ts";

/**
 * The most digits a noted SEQ may have: one minute of appends to one file, each under its lock
 * and `fsync`ed, is far below a billion. A longer one was written there by hand, never given (a
 * 5,000-digit one made every RunID of its minute 5,000 digits long): passed over, it gives no
 * SEQ twice.
 */
const MAX_NOTED_SEQ_DIGITS = 9;

/** The size past which the notes are cut to their later half when one is added. */
const NOTES_LIMIT = 16 * 1024;

/**
 * Notes `runId`, about to be appended to `recordFile` under its lock (and the work trees' shared
 * one, where the repository has linked work trees), before the write: a process killed after it
 * has noted it all the same (review-48 F1). In a repository without linked work trees too: one
 * `git worktree add` later, of a branch that moved the folder to another depth, reads the runs
 * made before it here and nowhere else (review-48 F4). Best effort: a note not made leaves the
 * work trees' journals and record files, as before.
 *
 * @example
 * ```ts
 * import { noteWorkTreesSeq } from "./work_tree_seqs.ts";
 * noteWorkTreesSeq("/repo/PKG-01/DEL-01-02_X/RunRecords.csv", "RUN-DEL-01-02-20260222-1015-001");
 * ```
 */
export function noteWorkTreesSeq(recordFile: string, runId: string): void {
  try {
    const path = sharedStatePath(recordFile, "seqs");
    // A library script allowed to write its project only: Deno would prompt in a terminal.
    if (path === undefined || !granted("write", dirname(path))) return;
    Deno.mkdirSync(dirname(path), { recursive: true });
    let kept = "";
    try {
      const info = Deno.lstatSync(path);
      if (!info.isFile) return; // a link or FIFO in its place: another file's, or a wait
      if (info.size > NOTES_LIMIT) {
        const { lines } = notesTail(path);
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
 * those removed since included; `0n` for none. A note of more than
 * {@linkcode MAX_NOTED_SEQ_DIGITS} digits is passed over: no append gave it.
 *
 * @example
 * ```ts
 * import { notedWorkTreesSeq } from "./work_tree_seqs.ts";
 * notedWorkTreesSeq("/repo/PKG-01/DEL-01-02_X/RunRecords.csv", "RUN-DEL-01-02-20260222-1015-"); // 0n
 * ```
 */
export function notedWorkTreesSeq(recordFile: string, prefix: string): bigint {
  let lines: string[];
  try {
    // A repository that never had linked work trees has no notes: one stat, no _CONTEXT.md read.
    const common = commonGitDir(dirname(recordFile));
    const folder = common === undefined ? undefined : join(common, LOCK_FOLDER);
    if (folder === undefined || !granted("read", folder) || kindOf(folder) !== "folder") return 0n;
    const path = sharedStatePath(recordFile, "seqs");
    if (path === undefined || !Deno.lstatSync(path).isFile) return 0n;
    lines = notesTail(path).lines;
  } catch {
    return 0n;
  }
  let seq = 0n;
  for (const line of lines) {
    const digits = line.startsWith(prefix) ? line.slice(prefix.length) : "";
    if (!/^[0-9]+$/.test(digits) || digits.replace(/^0+/, "").length > MAX_NOTED_SEQ_DIGITS) {
      continue;
    }
    if (BigInt(digits) > seq) seq = BigInt(digits);
  }
  return seq;
}

/**
 * The notes' last lines, those of their last `2 × NOTES_LIMIT` bytes (the file is cut past
 * `NOTES_LIMIT`, so that is all of it unless something else wrote there): a notes file of a
 * gigabyte was read whole under the locks by every append (26 s, 1.2 GB), and past V8's longest
 * string its notes were not read at all (review-48 F2).
 */
function notesTail(path: string): { lines: string[] } {
  using file = Deno.openSync(path, { read: true });
  const { size } = file.statSync();
  const from = Math.max(0, size - 2 * NOTES_LIMIT);
  const text = new TextDecoder("latin1").decode(readAt(file, from, size - from));
  // Read from inside a line, the first is that line's end.
  const lines = text.split("\n").slice(from > 0 ? 1 : 0).filter((l) => l !== "");
  return { lines };
}

/** Whether this process may `name` (read, write) `path` without a prompt. */
function granted(name: "read" | "write", path: string): boolean {
  return Deno.permissions.querySync({ name, path }).state === "granted";
}
