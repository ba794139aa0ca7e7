/**
 * SEQs given in a folder git left beside the record file's, or elsewhere in
 * its execution root: a deliverable renamed with `git mv` on one branch (or
 * moved into another package) and not on another has a folder of each name
 * in one work tree, each with its own `.runrec/` journal. A
 * checkout between them leaves the other name's folder holding runrec's
 * state alone (its record file is that branch's), and the SEQs its journal
 * gave in a minute must not be given again here: the branches' merge would
 * hold two records of one RunID (SCHEMA.md 3.3).
 *
 * @module
 */
import { basename, dirname, join, resolve } from "./path.ts";
import { headMovedSince } from "./git.ts";
import { journaledSeq, journalPath } from "./journal.ts";
import { kindOf } from "./walk.ts";
import { nearbyFolders } from "./nearby_runs.ts";

/**
 * The highest SEQ of `prefix` (`RUN-<id>-<YYYYMMDD>-<HHmm>-`) that the
 * journals of the deliverable folders near `recordFile`'s own (beside it, and
 * of its execution root: see `nearbyFolders`) gave, in folders whose record
 * file is not there (git took it with a branch), `0n` for none. Looked for
 * only when `HEAD` moved other than by a commit since the prefix's minute
 * began: otherwise no folder can have been renamed under the runs of that
 * minute, and no folder is listed.
 *
 * @example
 * ```ts
 * import { leftFolderSeq } from "./left_folder_seq.ts";
 * leftFolderSeq("/p/PKG-01/DEL-01-02_X/RunRecords.csv", "RUN-DEL-01-02-20260222-1015-"); // 0n
 * ```
 */
export function leftFolderSeq(recordFile: string, prefix: string): bigint {
  const minute = minuteOf(prefix);
  const folder = resolve(dirname(recordFile));
  if (minute === undefined || !headMovedSince(folder, minute)) return 0n;
  const name = basename(recordFile);
  let seq = 0n;
  for (const near of foldersNear(folder)) {
    const other = join(near, name);
    // A record file there (a deliverable of its own, a copy) numbers its own runs.
    if (kindOf(journalPath(other)) !== "file" || kindOf(other) !== "other") continue;
    const given = journaledSeq(other, prefix);
    if (given > seq) seq = given;
  }
  return seq;
}

/**
 * The folders other than `folder` (absolute) beside it, whatever their names (a rename may drop
 * the DEL prefix), and the deliverable folders of its execution root: a `git mv` into another
 * package leaves the other name's folder there (review-45 F1).
 */
function foldersNear(folder: string): string[] {
  const found = new Set<string>();
  try {
    for (const entry of Deno.readDirSync(dirname(folder))) {
      if (entry.isDirectory) found.add(join(dirname(folder), entry.name));
    }
  } catch { /* not listed: the execution root's folders, if any */ }
  for (const near of nearbyFolders(folder)) found.add(near);
  found.delete(folder);
  return [...found];
}

/** When the minute of a RunID prefix (`…-20260222-1015-`) began, ms since the epoch. */
function minuteOf(prefix: string): number | undefined {
  const at = /-([0-9]{4})([0-9]{2})([0-9]{2})-([0-9]{2})([0-9]{2})-$/.exec(prefix);
  if (!at) return undefined;
  const [year, month, day, hour, min] = at.slice(1).map(Number);
  return Date.UTC(year, month - 1, day, hour, min);
}
