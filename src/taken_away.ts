/**
 * A record file git took away with the deliverable's files: a checkout of a
 * branch without the deliverable (or a `git stash -u` of a new one) removes
 * what git tracks and leaves runrec's git-ignored state, and any file git
 * does not track (an agent's draft, an editor's swap file). A record file
 * begun there would be that branch's, and would stop the checkout back
 * ("untracked working tree files would be overwritten"): a record for it
 * waits in the spool until the file is back.
 *
 * @module
 */
import { basename, dirname, join } from "./path.ts";
import { spooledRecordHome } from "./git_moved_folder.ts";
import { journalPath } from "./journal.ts";
import { CONTEXT_FILE } from "./deliverable.ts";
import { checkoutOf, gitSync } from "./git.ts";
import { kindOf } from "./walk.ts";

/**
 * Why the record file `recordFile`, not there now, is not to be begun: its
 * journal says records were appended to it here, and its folder holds only
 * runrec's state (`.runrec*`, the append lock), or beside it only files git
 * does not track and no `_CONTEXT.md` (drafts a checkout left: the
 * deliverable's own files went with the branch); `undefined` otherwise (a
 * new deliverable's first record, a folder holding files git tracks, a
 * deliverable begun again with a fresh `_CONTEXT.md`, say after a
 * `git merge -s ours` left it out). A folder holding nothing else is no
 * deliverable's but one git emptied: a file moved away by hand is begun anew
 * beside the deliverable's other files. The journal's `HEAD` does not tell
 * git's removal from one by hand: a line appended while a checkout runs is
 * noted with the `HEAD` it moves to.
 *
 * @example
 * ```ts
 * import { takenAway } from "./taken_away.ts";
 * takenAway("PKG-01/DEL-01-02_Flow/RunRecords.csv"); // a reason after git checkout of a branch without it
 * ```
 */
export function takenAway(recordFile: string): string | undefined {
  // The journal first: a new deliverable's first record, the common case, lists nothing.
  if (kindOf(journalPath(recordFile)) !== "file") return movedAway(recordFile);
  const others = othersThan(recordFile);
  if (others === undefined) return undefined; // not listed: the write says what is wrong
  const remedy = "to begin it anew here, remove .runrec/RunRecords.csv.journal";
  if (others.length === 0) {
    return "not begun again: its folder holds only runrec's state, and its journal says records " +
      "were appended to it here (git took the deliverable's files away: a checkout of a branch " +
      `without it, a stash?; ${remedy})`;
  }
  if (stashHolds(recordFile)) {
    return "not begun again: the latest git stash holds it (`git stash -u` took it, a file git " +
      "did not track): begun here, `git stash pop` could not bring it back; it waits until " +
      `the pop brings the file back (then \`runrec flush\`; ${remedy})`;
  }
  // A fresh _CONTEXT.md begins the deliverable again; git asked only when it is not there.
  if (others.includes(CONTEXT_FILE) || tracksAny(dirname(recordFile)) !== false) return undefined;
  const named = others.slice(0, 3).join(", ") + (others.length > 3 ? ", …" : "");
  return "not begun again: its journal says records were appended to it here, and its folder " +
    `holds no ${CONTEXT_FILE} and no file git tracks, only ${named} beside runrec's state ` +
    "(files git does not track, left by a checkout of a branch without the deliverable?): it " +
    "waits until that branch is back (then `runrec flush`); commit or remove such files before " +
    `switching; if the deliverable is begun again here, add its ${CONTEXT_FILE} (or ${remedy})`;
}

/**
 * Why not begun in a folder without a journal: `git mv` took the journal
 * along with the files, renamed or renumbered, and a checkout or rebase left
 * this name's folder holding runrec's state alone (its `.runrec/` of pending
 * runs); `undefined` when no one folder near it took its files, or it holds
 * no `.runrec/` (a new deliverable's first record, looked at no further).
 */
function movedAway(recordFile: string): string | undefined {
  const folder = dirname(recordFile);
  if (kindOf(join(folder, ".runrec")) !== "folder") return undefined;
  const home = spooledRecordHome(folder);
  return home === undefined ? undefined : "not begun: its folder holds only runrec's state, " +
    `and git moved the deliverable's files to ${home} (a checkout, pull or rebase renamed it); ` +
    "`runrec flush` moves the record there";
}

/** The names in `recordFile`'s folder other than runrec's state; `undefined` when not listed. */
function othersThan(recordFile: string): string[] | undefined {
  const lock = `${basename(recordFile)}.lock`; // and its breaker's, `.lock.break`
  try {
    return [...Deno.readDirSync(dirname(recordFile))].map((entry) => entry.name)
      .filter((name) => !name.startsWith(".runrec") && !name.startsWith(lock)).sort();
  } catch {
    return undefined;
  }
}

/**
 * Whether the latest stash holds the record file among the files git did not
 * track (`git stash -u` keeps them in its third parent); git is asked only
 * when the repository has a stash (its reflog, read from the files).
 */
function stashHolds(recordFile: string): boolean {
  const folder = dirname(recordFile);
  if (checkoutOf(folder).stashed === 0) return false;
  try {
    const listed = gitSync(
      folder,
      "ls-tree",
      "--name-only",
      "stash@{0}^3",
      "--",
      basename(recordFile),
    );
    return listed.success && listed.stdout.length > 0;
  } catch {
    return false; // not started (the sandboxed build): begun, as before
  }
}

/**
 * Whether git's index tracks a file in `folder` or beneath it; `undefined`
 * when git cannot say (no repository, or not started: the sandboxed build).
 */
function tracksAny(folder: string): boolean | undefined {
  try {
    const listed = gitSync(folder, "ls-files", "-z", "--", ".");
    return listed.success ? listed.stdout.length > 0 : undefined;
  } catch {
    return undefined;
  }
}
