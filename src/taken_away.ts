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
 * folder holds only runrec's state (`.runrec*`, the append lock) and its
 * journal says records were appended to it here; `undefined` otherwise (a
 * new deliverable's first record, a folder holding files). A folder holding
 * nothing else is no deliverable's but one git emptied: a file moved away
 * by hand is begun anew beside the deliverable's other files. The journal's
 * `HEAD` does not tell git's removal from one by hand: a line appended while
 * a checkout runs is noted with the `HEAD` it moves to.
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
  try {
    for (const { name } of Deno.readDirSync(dirname(recordFile))) {
      if (!name.startsWith(".runrec") && !name.startsWith(lock)) return undefined;
    }
  } catch {
    return undefined; // not listed: the write says what is wrong
  }
  return "not begun again: its folder holds only runrec's state, and its journal says records " +
    "were appended to it here (git took the deliverable's files away: a checkout of a branch " +
    "without it, a stash?; to begin it anew here, remove .runrec/RunRecords.csv.journal)";
}
