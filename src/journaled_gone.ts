/**
 * The record files that git took away from deliverable folders beneath a command's folder targets
 * while their journals hold records only they hold (SCHEMA.md 7.1): a `git reset --hard` to a
 * commit before the file began leaves no file for a walk to find, and `verify` must name them.
 *
 * @module
 */
import { join, resolve } from "./path.ts";
import { RECORD_FILE } from "./deliverable.ts";
import { journalOnlyLines, journalPath } from "./journal.ts";
import { isThere } from "./lookups.ts";
import { deliverableFolders, SILENT_SEARCH } from "./targets.ts";

/**
 * The record file of each deliverable folder at or beneath the folders among `targets` that has
 * none now, is not in `listed` (the files a command reads already), and whose journal holds
 * records that no file, branch, tag or stash holds.
 *
 * @example
 * ```ts
 * import { goneWithJournaledRecords } from "./journaled_gone.ts";
 * goneWithJournaledRecords(["."], []); // ["PKG-01_X/1_Working/DEL-01-04_Y/RunRecords.csv"] after a reset
 * ```
 */
export function goneWithJournaledRecords(
  targets: readonly string[],
  listed: readonly string[],
): string[] {
  const known = new Set(listed.map((path) => resolve(path)));
  const gone: string[] = [];
  for (const target of targets) {
    if (!Deno.statSync(target).isDirectory) continue;
    for (const dir of deliverableFolders(target, SILENT_SEARCH)) {
      const file = join(dir, RECORD_FILE);
      const absolute = resolve(file);
      if (known.has(absolute) || isThere(absolute) || !isThere(journalPath(absolute))) continue;
      known.add(absolute);
      if (journalOnlyLines(absolute).length > 0) gone.push(file);
    }
  }
  return gone;
}
