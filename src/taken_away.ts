/**
 * A record file git took away with the deliverable's files: a checkout of a
 * branch without the deliverable (or a `git stash -u` of a new one) removes
 * what git tracks and leaves runrec's git-ignored state. A record file begun
 * there would be that branch's, and would stop the checkout back ("untracked
 * working tree files would be overwritten"): a record for it waits in the
 * spool until the file is back.
 *
 * @module
 */
import { basename, dirname } from "./path.ts";
import { journalPath } from "./journal.ts";
import { kindOf } from "./walk.ts";

/**
 * Why the record file `recordFile`, not there now, is not to be begun: its
 * journal says records were appended to it here, and its folder holds only
 * runrec's state (`.runrec*`, the append lock), or only files git does not
 * track while a branch holds the record file there (a draft, an editor's
 * swap file: git keeps untracked files across a checkout); `undefined`
 * otherwise (a new deliverable's first record, a folder holding files). A
 * folder holding nothing else is no deliverable's but one git emptied: a
 * file moved away by hand is begun anew beside the deliverable's other
 * files. The journal's `HEAD` does not tell git's removal from one by hand:
 * a line appended while a checkout runs is noted with the `HEAD` it moves to.
 *
 * @example
 * ```ts
 * import { takenAway } from "./taken_away.ts";
 * takenAway("PKG-01/DEL-01-02_Flow/RunRecords.csv"); // a reason after git checkout of a branch without it
 * ```
 */
export function takenAway(recordFile: string): string | undefined {
  // The journal first: a new deliverable's first record, the common case, lists nothing.
  if (kindOf(journalPath(recordFile)) !== "file") return undefined;
  const lock = `${basename(recordFile)}.lock`; // and its breaker's, `.lock.break`
  let others = false;
  try {
    for (const { name } of Deno.readDirSync(dirname(recordFile))) {
      if (!name.startsWith(".runrec") && !name.startsWith(lock)) others = true;
    }
  } catch {
    return undefined; // not listed: the write says what is wrong
  }
  if (!others) {
    return "not begun again: its folder holds only runrec's state, and its journal says records " +
      "were appended to it here (git took the deliverable's files away: a checkout of a branch " +
      "without it, a stash?; to begin it anew here, remove .runrec/RunRecords.csv.journal)";
  }
  const branch = untrackedHereCommittedThere(recordFile);
  if (branch === undefined) return undefined;
  return `not begun again: git tracks no file in its folder, ${branch} holds the record file ` +
    "there, and its journal says records were appended to it here (a checkout of a branch " +
    "without the deliverable, whose untracked files stayed?; to begin it anew here, remove " +
    ".runrec/RunRecords.csv.journal)";
}

/**
 * A branch (or remote branch) whose tip holds `recordFile` when git's index
 * tracks no file in its folder; `undefined` when it does, none holds it, or
 * git cannot say (not a work tree, not started: the sandboxed build). Asked
 * only on the rare way to beginning a file whose journal is there.
 */
function untrackedHereCommittedThere(recordFile: string): string | undefined {
  const git = (...args: string[]) =>
    new Deno.Command("git", {
      args: ["-C", dirname(recordFile), ...args],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
  // Not granted (the sandboxed build, a library caller's deno): no prompt, the rule above alone.
  if (Deno.permissions.querySync({ name: "run", command: "git" }).state !== "granted") {
    return undefined;
  }
  try {
    const tracked = git("ls-files", "-z", "--", ".");
    if (!tracked.success || tracked.stdout.length > 0) return undefined;
    const refs = git("for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/remotes");
    const names = new TextDecoder().decode(refs.stdout).split("\n").filter(Boolean);
    if (!refs.success || names.length === 0) return undefined;
    // One `git grep` over every tip: `<ref>:<path>` for each that holds the file (its header).
    const found = git(
      "grep",
      "-l",
      "-F",
      "-e",
      "SchemaVersion",
      ...names,
      "--",
      basename(recordFile),
    );
    const first = new TextDecoder().decode(found.stdout).split("\n").find(Boolean);
    return found.success && first !== undefined ? first.slice(0, first.indexOf(":")) : undefined;
  } catch {
    return undefined;
  }
}
