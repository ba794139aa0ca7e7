/**
 * The pending runs of linked work trees, kept in the common git folder too, beside the copies of
 * their journals (./kept_journals.ts): a run's file is in the git-ignored `.runrec/pending/` of
 * its deliverable folder, which `git worktree remove` deletes without asking, and the run of an
 * agent killed there was then recorded by no one and named nowhere. `start` keeps a copy in
 * `<common git folder>/runrec-journals/<work tree>/<deliverable path>/.runrec/pending/`; the
 * finish or reap that ends the run removes it. Once the work tree is removed, `reap` in any work
 * tree of the repository writes the dead run FAILED once, in its deliverable folder of the same
 * path (or where git moved it), by claiming the copy as it claims a run's own file; `verify` and
 * `log` name the runs waiting there.
 *
 * @module
 */
import { basename, dirname, join, relative, resolve } from "./path.ts";
import { resolvedPath } from "./lookups.ts";
import { PENDING_FOLDER, REAPED_ERROR } from "./run_files.ts";
import { runIdNote } from "./run_ids.ts";
import { RECORD_FILE } from "./deliverable.ts";
import { kindOf } from "./walk.ts";
import { leftByGit } from "./git_moved_folder.ts";
import { nearbyFolders, unfinishedRuns } from "./nearby_runs.ts";
import { failureReason } from "./errors.ts";
import { gitSync, workTrees } from "./git.ts";
import {
  listPendingRuns,
  listReapedRuns,
  type PendingItem,
  pendingPath,
  type PendingRun,
  reapedPath,
} from "./pending.ts";
import {
  beginWorkTreeFolder,
  granted,
  KEPT_JOURNALS,
  keptFolder,
  keptRunFoldersBeneath,
  ownRunFolders,
  type RemovedRunFolder,
  removedWorkTreeRunFolders,
} from "./kept_journals.ts";

/**
 * Keeps a copy of `run`, just kept in `delDir`'s `.runrec/pending/`, in the common git folder,
 * when `delDir` is in a work tree (main or linked); naming the work tree and its branch. Best
 * effort: a copy not kept leaves the run as before, and never fails its start; the warning it
 * gives says so.
 *
 * @example
 * ```ts
 * import { keepRunCopy } from "./kept_runs.ts";
 * declare const run: import("./pending.ts").PendingRun;
 * const warning = keepRunCopy("/wt/PKG-01/DEL-01-02_X", run); // undefined: kept, or no need
 * ```
 */
export function keepRunCopy(delDir: string, run: PendingRun): string | undefined {
  let kept: ReturnType<typeof keptFolder> = undefined;
  try {
    kept = keptFolder(resolve(delDir), { mainToo: true });
    // A library script allowed to write its project only: Deno would prompt in a terminal.
    if (kept === undefined || !granted(kept.common)) return;
    const path = join(kept.folder, PENDING_FOLDER, `${run.id}.json`);
    beginWorkTreeFolder({ ...kept, path });
    const branch = branchOf(kept.gitDir);
    // Marks in this work tree's record file: the record a reap writes from the copy goes into
    // another's, read whole.
    const { recordsAtStart: _file, seqAtStart: _seq, ...rest } = run;
    const copy: PendingRun = {
      ...rest,
      keptFrom: { workTree: kept.top, ...branch === undefined ? {} : { branch } },
    };
    // Whole or not there for a reap reading it now; not synced, for the start's time: the run's
    // own file is, and a copy a power loss left damaged is named by reap, never taken for none.
    Deno.writeTextFileSync(`${path}.tmp`, JSON.stringify(copy, null, 1) + "\n");
    Deno.renameSync(`${path}.tmp`, path);
  } catch (e) {
    // The main work tree's copy guards against `git clean -x` only, and a read-only `.git` would
    // have each start say so: its run's own file is all, as before the copies.
    if (kept !== undefined && kept.gitDir === kept.common) return;
    // The run's own file is all, as before: said while the agent can still see to it.
    return `${delDir}: run ${run.id} not kept in the common git folder (${
      failureReason(e as Error)
    }): ` +
      "finish or reap it before git worktree remove of this work tree, which takes its file away";
  }
}

/**
 * Removes the copy {@linkcode keepRunCopy} kept of run `id` of `delDir`: its run is ended.
 *
 * @example
 * ```ts
 * import { dropRunCopy } from "./kept_runs.ts";
 * dropRunCopy("/wt/PKG-01/DEL-01-02_X", "20260222T101500123Z-1a2b3c4d");
 * ```
 */
export function dropRunCopy(delDir: string, id: string): void {
  try {
    const kept = keptFolder(resolve(delDir), { mainToo: true });
    if (kept === undefined || !granted(kept.common)) return;
    const name = join(PENDING_FOLDER, `${id}.json`);
    try {
      Deno.removeSync(join(kept.folder, name));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) return;
      // A start killed between writing the copy and naming it left this half, read by none.
      try {
        Deno.removeSync(join(kept.folder, `${name}.tmp`));
      } catch { /* none */ }
      // Kept at the path the run started at: its folder renamed or moved since (git mv). Left,
      // reap would take it for a run whose file was removed there, and record it twice.
      const copies = keptRunFoldersBeneath(join(kept.common, KEPT_JOURNALS, kept.key));
      const copy = copies.map((folder) => join(folder, name)).find((p) => kindOf(p) === "file");
      if (copy !== undefined) Deno.removeSync(copy);
    }
  } catch { /* none, or left: reap finds its run recorded in the journal kept beside it */ }
}

/**
 * The copy of run `id`, left pending by a removed (and pruned) work tree, still waiting for the
 * deliverable folder `home` of this work tree to be recorded in: claimed by the agent's own late
 * finish.
 *
 * @example
 * ```ts
 * import { waitingRunCopy } from "./kept_runs.ts";
 * waitingRunCopy("/repo/PKG-01/DEL-01-02_X", "20260222T101500123Z-1a2b3c4d"); // undefined: none
 * ```
 */
export function waitingRunCopy(home: string, id: string): string | undefined {
  return removedWorkTreeRunFolders(home)
    // A work tree git lists still (moved by hand?) may hold the run yet: not this one's.
    .filter((folder) => !folder.prunable && resolve(folder.delDir) === resolve(home))
    .map((folder) => join(folder.kept, PENDING_FOLDER, `${id}.json`))
    .find((path) => kindOf(path) === "file");
}

/**
 * The runs kept for the deliverable folders at or beneath `targets` of the work tree holding each,
 * whose own file is gone from the folder (`git clean -x`, `git stash --all`): neither pending
 * nor reaped there, nor held by a finish or reap.
 *
 * @example
 * ```ts
 * import { runsWithFileRemoved } from "./kept_runs.ts";
 * for (const { delDir, items } of runsWithFileRemoved(["."])) console.log(delDir, items);
 * ```
 */
export function runsWithFileRemoved(
  targets: readonly string[],
): { delDir: string; items: PendingItem[] }[] {
  const seen = new Set<string>();
  const found: { delDir: string; items: PendingItem[] }[] = [];
  for (const target of targets) {
    for (const { kept, delDir } of ownRunFolders(target)) {
      if (seen.has(kept)) continue;
      seen.add(kept);
      // A folder gone, or left by git with runrec's state only (moved: its runs went with it,
      // and are reaped where they are now).
      if (kindOf(delDir) !== "folder" || leftByGit(delDir)) continue;
      // Claims included: a finish holding the run's own file (renamed) is at work on it.
      const own = new Set([...listPendingRuns(delDir), ...listReapedRuns(delDir)].map((i) => i.id));
      const items = listPendingRuns(kept).filter((i) => !own.has(i.id));
      if (items.length > 0) found.push({ delDir, items });
    }
  }
  return found;
}

/**
 * The copy kept of run `id` of `delDir` (in a work tree there now) whose own file is gone from the
 * folder (`git clean -x`): a finish claims it as the run's file, its inputs with it, and no reap
 * later records the run again. `undefined` when the run's file is there (pending or reaped), or no
 * copy is.
 *
 * @example
 * ```ts
 * import { removedFileCopy } from "./kept_runs.ts";
 * removedFileCopy("/repo/PKG-01/DEL-01-02_X", "20260222T101500123Z-1a2b3c4d"); // undefined: none
 * ```
 */
export function removedFileCopy(delDir: string, id: string): string | undefined {
  // Claimed too (renamed `<id>.json.claim-…`): a reap or finish at work on the run's own file.
  const own = [pendingPath, reapedPath].map((file) => file(delDir, id));
  if (own.some((file) => namesThere(dirname(file), basename(file)))) return undefined;
  try {
    const kept = keptFolder(resolve(delDir), { mainToo: true });
    if (kept === undefined) return undefined;
    const name = `${id}.json`;
    // Claimed too: a finish holding it is waited for, not raced from the token.
    if (!namesThere(join(kept.folder, PENDING_FOLDER), name)) return undefined;
    // Its file moved with its folder (git mv; the old path back): the run is there, not here.
    return nearbyHolder(delDir, id) === undefined
      ? join(kept.folder, PENDING_FOLDER, name)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether folder `folder` holds the file `name`, or a claim of it (`<name>.claim-…`). */
function namesThere(folder: string, name: string): boolean {
  try {
    return [...Deno.readDirSync(folder)].some((entry) =>
      entry.name === name || entry.name.startsWith(`${name}.claim-`)
    );
  } catch {
    return false;
  }
}

/**
 * The runs of `delDir` itself whose own file is gone while their copy remains
 * ({@linkcode runsWithFileRemoved}): a finish by folder finds them as pending runs.
 *
 * @example
 * ```ts
 * import { removedFileCopies } from "./kept_runs.ts";
 * removedFileCopies("/repo/PKG-01/DEL-01-02_X"); // [] for none
 * ```
 */
export function removedFileCopies(delDir: string): PendingItem[] {
  return runsWithFileRemoved([delDir])
    .filter((found) => resolve(found.delDir) === resolve(delDir))
    .flatMap((found) => found.items)
    .filter((item) => nearbyHolder(delDir, item.id) === undefined);
}

/**
 * The deliverable folder near `delDir` (not it) where run `id` is pending or reaped: its file
 * moved there with its folder (`git mv`), so its copy at `delDir`'s path is no removed file's.
 *
 * @example
 * ```ts
 * import { nearbyHolder } from "./kept_runs.ts";
 * nearbyHolder("/repo/PKG-01/DEL-01-02_X", "20260222T101500123Z-1a2b3c4d"); // undefined: none
 * ```
 */
export function nearbyHolder(delDir: string, id: string): string | undefined {
  return nearbyFolders(delDir).find((dir) =>
    resolve(dir) !== resolve(delDir) && unfinishedRuns(dir).some(({ item }) => item.id === id)
  );
}

/** The branch checked out in the work tree whose git folder is `gitDir`, from its `HEAD`. */
function branchOf(gitDir: string): string | undefined {
  try {
    const head = Deno.readTextFileSync(join(gitDir, "HEAD")).trim();
    const ref = /^ref: refs\/heads\/(.+)$/.exec(head);
    return ref ? ref[1] : `detached at ${head.slice(0, 12)}`;
  } catch {
    return undefined;
  }
}

/** The runs a removed work tree left pending, as kept, with their folder there. */
export interface RemovedWorkTreeRuns {
  /** The kept folder, and the deliverable folder (in the work tree asked from) they are of. */
  folder: RemovedRunFolder;
  /** The runs, waiting or claimed. */
  items: PendingItem[];
}

/**
 * The runs work trees removed since left pending for the deliverable folders at or beneath
 * `targets`, in the work trees holding them.
 *
 * @example
 * ```ts
 * import { removedWorkTreeRuns } from "./kept_runs.ts";
 * for (const { folder, items } of removedWorkTreeRuns(["."])) console.log(folder.delDir, items);
 * ```
 */
export function removedWorkTreeRuns(targets: readonly string[]): RemovedWorkTreeRuns[] {
  const seen = new Set<string>();
  const found: RemovedWorkTreeRuns[] = [];
  for (const target of targets) {
    for (const folder of removedWorkTreeRunFolders(target)) {
      if (seen.has(folder.kept)) continue;
      seen.add(folder.kept);
      const items = listPendingRuns(folder.kept);
      if (items.length > 0) found.push({ folder, items });
    }
  }
  return found;
}

/**
 * Where run `run` (a copy) was started: its removed work tree, and the branch checked out there.
 *
 * @example
 * ```ts
 * import { startedIn } from "./kept_runs.ts";
 * declare const run: import("./pending.ts").PendingRun;
 * startedIn(run, "/wt"); // "the work tree /wt (branch feat), removed since"
 * ```
 */
export function startedIn(run: PendingRun | undefined, workTree: string): string {
  const branch = run?.keptFrom?.branch;
  return `the work tree ${run?.keptFrom?.workTree ?? workTree}` +
    `${branch === undefined ? "" : ` (branch ${branch})`}, removed since`;
}

/**
 * Where the removed work tree of `folder` recorded `run` (a copy) before it went, a finish killed
 * before it removed the copy, or a finish from the token alone: its kept journal, or the record
 * file its branch holds; `undefined` when neither names the run.
 *
 * @example
 * ```ts
 * import { recordedThere } from "./kept_runs.ts";
 * declare const folder: import("./kept_journals.ts").RemovedRunFolder;
 * declare const run: import("./pending.ts").PendingRun;
 * recordedThere(folder, run); // "its journal kept in the common git folder names it"
 * ```
 */
export function recordedThere(folder: RemovedRunFolder, run: PendingRun): string | undefined {
  const named = runIdNote(run.id);
  try {
    if (Deno.readTextFileSync(folder.journal).includes(named)) {
      return "its journal kept in the common git folder names it";
    }
  } catch { /* none kept */ }
  const branch = run.keptFrom?.branch;
  if (branch === undefined || branch.startsWith("detached at ")) return undefined;
  try {
    // The journal keeps a day: a record committed on the branch is there for good.
    const file = `refs/heads/${branch}:${folder.path}/${RECORD_FILE}`;
    const shown = gitSync(folder.kept, "cat-file", "-p", file);
    if (shown.success && new TextDecoder().decode(shown.stdout).includes(named)) {
      return `its branch's ${RECORD_FILE} holds its record`;
    }
  } catch { /* git not started: the journal is all */ }
  return undefined;
}

/**
 * The deliverable folder at `delDir`'s path in another work tree of the repository whose record
 * file names `run` (a copy), and whether that record is reap's FAILED one: a reap there wrote it
 * and was killed, or could not keep the run for its late finish, before the copy left the common
 * git folder (else the removed work tree's branch was merged there); `undefined` for none.
 *
 * @example
 * ```ts
 * import { recordedInOtherWorkTree } from "./kept_runs.ts";
 * declare const run: import("./pending.ts").PendingRun;
 * recordedInOtherWorkTree("/repo/PKG-01/DEL-01-02_X", run)?.folder; // "/repo-t3/PKG-01/…"
 * ```
 */
export function recordedInOtherWorkTree(
  delDir: string,
  run: PendingRun,
): { folder: string; reaped: boolean } | undefined {
  let trees: { top: string; others: string[] } | undefined;
  let path: string;
  try {
    trees = workTrees(delDir);
    if (trees === undefined) return undefined;
    path = relative(trees.top, resolvedPath(resolve(delDir)));
  } catch {
    return undefined; // not in this work tree: nothing to look for beside it
  }
  const named = runIdNote(run.id);
  for (const folder of trees.others.map((other) => join(other, path))) {
    let text = "";
    try {
      text = Deno.readTextFileSync(join(folder, RECORD_FILE));
    } catch { /* none there */ }
    const line = text.split("\n").find((l) => l.includes(named));
    if (line !== undefined) return { folder, reaped: line.includes(REAPED_ERROR) };
  }
  return undefined;
}
