/**
 * A deliverable folder git moved while a run was pending in it. A checkout,
 * rebase, pull or merge that renames the folder moves the files git tracks
 * one by one and leaves what it ignores, runrec's `.runrec/` with the run's
 * pending file, alone in the old folder. A finish there would begin a record
 * file of its own (its SEQs from 001 again, one DeliverableID in two folders):
 * the run's record belongs where the folder's files went.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "./path.ts";
import { deliverableIdOfLine } from "./moved_records.ts";
import { DELIVERABLE_FOLDER, RECORD_FILE } from "./deliverable.ts";
import { directLookups, type Lookups, sameFolder } from "./lookups.ts";
import { nearbyFolders } from "./nearby_runs.ts";
import { listPendingRuns, pendingPath, type PendingRun, readPendingRun } from "./pending.ts";
import { inStateFolder } from "./state_folder.ts";
import { InputError } from "./errors.ts";

/**
 * The folder git moved `delDir`'s files to during the run whose pending file
 * is `runFile`: the run saw files in `delDir` at its start, `delDir` now holds
 * only runrec's state, and exactly one other deliverable folder near it (see
 * `nearbyFolders`) has the DeliverableID of its name and holds more than
 * that, or, none having it, exactly one holds a record file whose first
 * record has it (the deliverable renumbered: `git mv` took its file along). `undefined` otherwise: the folder is the run's (a new deliverable's
 * first run in an empty folder saw no files), or no one place is the one.
 *
 * @example
 * ```ts
 * import { folderGitMovedTo } from "./git_moved_folder.ts";
 * const token = "PKG-01/DEL-01-02_Flow/.runrec/pending/20260222T101500123Z-1a2b3c4d.json";
 * folderGitMovedTo("PKG-01/DEL-01-02_Flow", token); // "/…/PKG-01/DEL-01-02_Flow_Sizing" after a rebase renamed it
 * ```
 */
export function folderGitMovedTo(delDir: string, runFile: string): string | undefined {
  const home = namesakeHolding(delDir); // a listing: the run's file is read only when it may be
  return home !== undefined && sawFiles(runFile) ? home : undefined;
}

/**
 * The folder git moved `delDir`'s files to, for a record spooled for `delDir`
 * while it was not: `delDir` holds only runrec's state, no run pending there
 * began in an empty folder (a new deliverable's), and one folder near it took
 * its files (see {@linkcode folderGitMovedTo}); `undefined` otherwise.
 *
 * @example
 * ```ts
 * import { spooledRecordHome } from "./git_moved_folder.ts";
 * spooledRecordHome("PKG-01/DEL-01-02_Flow"); // "/…/PKG-01/DEL-01-05_Flow" after a rebase renumbered it
 * ```
 */
export function spooledRecordHome(delDir: string): string | undefined {
  const home = namesakeHolding(delDir);
  return home !== undefined && mayBeLeftByGit(delDir) ? home : undefined;
}

/**
 * Refuses `delDir` for a new run when git left it behind: it holds only
 * runrec's state and one folder near it has the DeliverableID of its name and
 * holds the files (a shell still in the old folder after a rebase renamed
 * it), and no run pending there began in an empty folder. A record begun there would
 * start the deliverable's SEQs again.
 * `lookups` lists `delDir` (a caller's memo, so that it is listed once).
 *
 * @example
 * ```ts
 * import { refuseLeftFolder } from "./git_moved_folder.ts";
 * refuseLeftFolder("PKG-01/DEL-01-02_Flow"); // throws after a rebase renamed it DEL-01-02_Flow_Sizing
 * ```
 */
export function refuseLeftFolder(delDir: string, lookups: Lookups = directLookups): void {
  const moved = namesakeHolding(delDir, lookups);
  if (moved === undefined || !mayBeLeftByGit(delDir)) return;
  throw new InputError(
    `${delDir}: holds only runrec's state: git moved the deliverable's files to ${moved} (a ` +
      "checkout, pull or rebase renamed the folder); record the run there",
  );
}

/**
 * The one other deliverable folder near `delDir` of the DeliverableID its name gives that holds
 * more than runrec's state, when `delDir` holds only that; `undefined` otherwise.
 */
function namesakeHolding(delDir: string, lookups: Lookups = directLookups): string | undefined {
  const left = deliverableIdOf(delDir) !== undefined && holdsOnlyRunrecState(delDir, lookups);
  return left ? namesakeOf(delDir) : undefined;
}

/**
 * The one other deliverable folder near `delDir` (gone, or holding only runrec's state) that took
 * its files: of the DeliverableID its name gives, holding more than runrec's state, or, none
 * having it, the one whose record file's first record has it (renumbered: `git mv
 * DEL-01-02_X DEL-01-05_X` took its record file along); `undefined` otherwise.
 *
 * @example
 * ```ts
 * import { namesakeOf } from "./git_moved_folder.ts";
 * namesakeOf("PKG-01/DEL-01-02_Flow"); // "/…/PKG-01/DEL-01-02_Flow_Sizing" after git mv
 * ```
 */
export function namesakeOf(delDir: string): string | undefined {
  const id = deliverableIdOf(delDir);
  if (id === undefined) return undefined;
  const others = nearbyFolders(delDir).filter((dir) =>
    !sameFolder(dir, resolve(delDir)) && !holdsOnlyRunrecState(dir)
  );
  const named = others.filter((dir) => deliverableIdOf(dir) === id);
  if (named.length > 0) return named.length === 1 ? named[0] : undefined;
  const renumbered = others.filter((dir) => firstRecordId(join(dir, RECORD_FILE)) === id);
  return renumbered.length === 1 ? renumbered[0] : undefined;
}

/**
 * The DeliverableID of the first record of the record file at `path` (its third field), from
 * the file's first bytes; `undefined` when there is none or it cannot be read.
 */
function firstRecordId(path: string): string | undefined {
  try {
    using file = Deno.openSync(path, { read: true });
    const head = new Uint8Array(FIRST_BYTES);
    const size = file.readSync(head) ?? 0;
    const line = new TextDecoder().decode(head.subarray(0, size)).split("\n")[1];
    return line === undefined ? undefined : deliverableIdOfLine(line);
  } catch {
    return undefined;
  }
}

/** How much of a record file holds its header and its first record's DeliverableID. */
const FIRST_BYTES = 16 * 1024;

/**
 * Moves the pending run file `runFile` of `delDir` into the pending folder of
 * `home`, the folder git moved `delDir`'s files to, and returns its new path:
 * a run reaped there is found by its token too (see `movedFolder` in
 * ./run.ts). Throws when the file cannot be moved: it stays where it was.
 *
 * @example
 * ```ts
 * import { folderGitMovedTo, moveLeftRun } from "./git_moved_folder.ts";
 * const token = "PKG-01/DEL-01-02_Flow/.runrec/pending/20260222T101500123Z-1a2b3c4d.json";
 * const home = folderGitMovedTo("PKG-01/DEL-01-02_Flow", token);
 * if (home !== undefined) moveLeftRun(token, home);
 * ```
 */
export function moveLeftRun(runFile: string, home: string): string {
  const to = pendingPath(home, basename(runFile, ".json"));
  return inStateFolder(dirname(dirname(to)), () => {
    Deno.mkdirSync(dirname(to), { recursive: true });
    Deno.renameSync(runFile, to);
    return to;
  });
}

/**
 * Whether `delDir` is a folder git left behind: it holds only runrec's state
 * (see {@linkcode folderGitMovedTo}).
 *
 * @example
 * ```ts
 * import { leftByGit } from "./git_moved_folder.ts";
 * leftByGit("PKG-01/DEL-01-02_Flow"); // true when only .runrec/ is left in it
 * ```
 */
export function leftByGit(delDir: string): boolean {
  return deliverableIdOf(delDir) !== undefined && holdsOnlyRunrecState(delDir);
}

/**
 * Whether git took `delDir`'s files away during `run` (a checkout of a branch
 * without the deliverable): the run saw files there at its start, and the
 * folder now holds only runrec's state.
 *
 * @example
 * ```ts
 * import { emptiedByGit } from "./git_moved_folder.ts";
 * declare const run: import("./pending.ts").PendingRun;
 * emptiedByGit("PKG-01/DEL-01-02_Flow", run); // true after git checkout of a branch without it
 * ```
 */
export function emptiedByGit(delDir: string, run: PendingRun): boolean {
  return (run.files ?? []).length > 0 && leftByGit(delDir);
}

/** The DeliverableID a folder's name gives (`DEL-01-02_Flow` → `DEL-01-02`). */
function deliverableIdOf(dir: string): string | undefined {
  return DELIVERABLE_FOLDER.exec(basename(resolve(dir)))?.[1];
}

/**
 * Whether `dir` holds runrec's state folders (`.runrec`, `.runrec-spool`, the append lock) and
 * nothing else: an empty folder is a new deliverable's, not one git left.
 */
function holdsOnlyRunrecState(dir: string, lookups: Lookups = directLookups): boolean {
  const names = [...lookups.folderEntries(dir).keys()];
  // The append lock (and its breaker's) too: a replay holds it while it asks.
  const state = (name: string) =>
    name.startsWith(".runrec") || name.startsWith(`${RECORD_FILE}.lock`);
  return names.length > 0 && names.every(state);
}

/**
 * Whether `delDir`'s state may be one git left: no run pending there saw an empty folder at its
 * start. A new deliverable's folder holds only runrec's state too while its first run is pending.
 */
function mayBeLeftByGit(delDir: string): boolean {
  return !listPendingRuns(delDir).some(({ run }) => run?.files?.length === 0);
}

/** Whether the run's start listed files in its folder; `false` when its file cannot be read. */
function sawFiles(runFile: string): boolean {
  try {
    return (readPendingRun(runFile).files ?? []).length > 0; // see emptiedByGit
  } catch {
    return false; // gone, claimed or damaged: the finish says so where it is
  }
}
