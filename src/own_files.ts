/**
 * Which files are runrec's own, and so never governed inputs nor outputs
 * listed from a folder: the record file, its lock and the `.runrec*` state
 * (spool, pending runs, SEQ index) of a deliverable folder, and the user's
 * spool folders in the temporary folder. A file of such a name in an
 * ordinary folder is data like any other.
 *
 * @module
 */
import { basename, resolve } from "./path.ts";
import { DELIVERABLE_FOLDER, RECORD_FILE } from "./deliverable.ts";
import { directLookups, type Lookups } from "./lookups.ts";

/** The file that gives a deliverable folder its identity (the host system's file formats). */
const CONTEXT_FILE = "_CONTEXT.md";

/** The user's spool and pending folders in the temporary folder: runrec's wherever met. */
const TEMP_STATE_FOLDER = /^runrec-(?:spool|pending)(?:-[0-9]+)?$/;

/** Whether `name` is one runrec gives what it keeps in a deliverable folder. */
function isStateName(name: string): boolean {
  return name === RECORD_FILE || name.startsWith(`${RECORD_FILE}.lock`) ||
    name.startsWith(".runrec");
}

/**
 * Whether `folder` is a deliverable folder: the one being recorded, one
 * named `DEL-XX-YY…`, or one holding `_CONTEXT.md`. Holding a
 * `RunRecords.csv` alone does not make one: that file may be data.
 */
function isDeliverableFolder(
  folder: string,
  delDir: string,
  lookups: Lookups = directLookups,
): boolean {
  const abs = resolve(folder);
  return abs === resolve(delDir) || DELIVERABLE_FOLDER.test(basename(abs)) ||
    lookups.statKind(resolve(abs, CONTEXT_FILE)) === "file";
}

/**
 * Whether `path` (relative to the deliverable folder `delDir`, POSIX) is
 * runrec's own: a `RunRecords.csv`, its lock, or `.runrec*` state directly in
 * a deliverable folder ({@linkcode isDeliverableFolder}: this one, or
 * another beside or beneath it, whose record file changes with each of its
 * runs), or anything in a `$TMPDIR` spool folder. They change with every run
 * and differ between machines, so they are never governed inputs. The same
 * names in an ordinary folder (`data/RunRecords.csv`) are data.
 *
 * @example
 * ```ts
 * import { isRunrecOwn } from "./own_files.ts";
 * const dir = "/p/PKG-01/1_Working/DEL-01-02_X";
 * isRunrecOwn(dir, "RunRecords.csv"); // true
 * isRunrecOwn(dir, ".runrec-spool/DEL-01-02-x.json"); // true
 * isRunrecOwn(dir, "../DEL-01-03_Y/RunRecords.csv"); // true
 * isRunrecOwn(dir, "data/RunRecords.csv"); // false: data/ is no deliverable folder
 * isRunrecOwn(dir, "Datasheet.md"); // false
 * ```
 */
export function isRunrecOwn(
  delDir: string,
  path: string,
  lookups: Lookups = directLookups,
): boolean {
  const names = path.split("/");
  // Most paths hold no such name: no folder to look at.
  if (!names.some((name) => TEMP_STATE_FOLDER.test(name) || isStateName(name))) return false;
  let folder = resolve(delDir);
  for (const name of names) {
    if (TEMP_STATE_FOLDER.test(name)) return true;
    if (isStateName(name) && isDeliverableFolder(folder, delDir, lookups)) return true;
    folder = resolve(folder, name);
  }
  return false;
}
