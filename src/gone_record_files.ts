/**
 * Record files gone from a root while a journal of theirs stays: a checkout of a branch that
 * lacks the deliverable's folder takes its tracked files, `RunRecords.csv` with them, and leaves
 * the git-ignored `.runrec/`; a linked work tree removed since left its journal in the common git
 * folder (./kept_journals.ts). `verify` of the root reads their journals, as `verify` of the
 * folder does, so that a record only a journal holds is named there too.
 *
 * @module
 */
import { dirname, join } from "./path.ts";
import { RECORD_FILE } from "./deliverable.ts";
import { journalPath } from "./journal.ts";
import { type KeptCopies, keptCopies, removedWorkTreeRecordFiles } from "./kept_journals.ts";
import { isLinkedWorktreeOf } from "./git.ts";
import { isGone } from "./lookups.ts";
import { sortUtf8 } from "./manifest.ts";
import { holdsNoDeliverables, kindOf, walk } from "./walk.ts";

/**
 * The record files at or beneath the folder `root` that are gone while a journal of theirs stays
 * (in `.runrec/` beside where the file was, or kept for a removed work tree), sorted; their paths
 * are built from `root` as given. Linked work trees beneath it are not entered. `copies`: the
 * command's reading of the kept journals (default: read now).
 *
 * @example
 * ```ts
 * import { goneJournaledRecordFiles } from "./gone_record_files.ts";
 * goneJournaledRecordFiles("."); // [] unless a checkout took a folder's RunRecords.csv
 * ```
 */
export function goneJournaledRecordFiles(
  root: string,
  copies: KeptCopies = keptCopies(),
): string[] {
  const found = new Set<string>();
  const enter = (dir: string, name: string) =>
    !holdsNoDeliverables(name) && !isLinkedWorktreeOf(join(dir, name), dir);
  for (const entry of walk(root, { unlistable: () => {}, enter })) {
    if (entry.name !== ".runrec" || entry.kind !== "folder") continue;
    const file = join(dirname(entry.path), RECORD_FILE);
    if (isGone(file) && kindOf(journalPath(file)) === "file") found.add(file);
  }
  const own = join(root, RECORD_FILE);
  if (isGone(own) && kindOf(journalPath(own)) === "file") found.add(own);
  for (const file of removedWorkTreeRecordFiles(root, copies)) {
    if (isGone(file)) found.add(file);
  }
  return sortUtf8([...found]);
}
