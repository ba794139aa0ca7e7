/**
 * The journals of linked work trees (`git worktree add`), kept in the common git folder too:
 * a work tree's own journal is in the git-ignored `.runrec/` of its deliverable folder, which
 * `git worktree remove` deletes with it, and a record a git command dropped there before the
 * removal was lost for good, named nowhere. Each line a linked work tree's journal gains is
 * added to its copy in `<common git folder>/runrec-journals/<work tree>/<deliverable path>/`,
 * and each rewrite of the journal rewrites the copy, as git keeps a branch's reflog in the
 * common folder when a work tree goes. `verify`, `flush` and `show` in any work tree read the
 * copies of work trees removed since for the deliverable at the same path (./journal.ts
 * `journalOnlyLines`); no append puts their lines back unasked (SCHEMA.md 7.1).
 *
 * @module
 */
import { basename, dirname, join, relative, resolve } from "./path.ts";
import { workTreeOf } from "./git.ts";
import { kindOf } from "./walk.ts";
import { resolvedPath } from "./lookups.ts";
import { sha256Hex } from "./sha256.ts";
import { findExecutionRoot, RECORD_FILE } from "./deliverable.ts";
import { dotGitOf } from "./dot_git.ts";
import { leftByGit, namesakeOf } from "./git_moved_folder.ts";

/**
 * The folder of the common git folder that keeps the linked work trees' journals.
 *
 * @example
 * ```ts
 * import { KEPT_JOURNALS } from "./kept_journals.ts";
 * KEPT_JOURNALS; // "runrec-journals"
 * ```
 */
export const KEPT_JOURNALS = "runrec-journals";

/** The file of a work tree's folder there naming the work tree's top folder, for messages. */
const WORK_TREE_FILE = "worktree";

/** How long a removed work tree's copies are kept: past a journal's day, and an hour. */
const KEPT_MS = 25 * 60 * 60 * 1000;

/**
 * The folder (in `runrec-journals/`) of the linked work tree whose git folder is `gitDir`: its
 * name in `worktrees/` and that folder's identity, so that a work tree added again under the
 * name (git reuses it) is another.
 */
function keyOf(gitDir: string): string | undefined {
  try {
    const { dev, ino, birthtime } = Deno.statSync(gitDir);
    const identity = `${dev}:${ino}:${birthtime?.getTime() ?? ""}`;
    return `${basename(gitDir)}-${sha256Hex(new TextEncoder().encode(identity)).slice(0, 12)}`;
  } catch {
    return undefined;
  }
}

/**
 * Where the copy of the journal of `recordFile` (absolute) is kept, when the file is in a linked
 * work tree; `undefined` in the main work tree (which `git worktree remove` never removes), or
 * outside git.
 *
 * @example
 * ```ts
 * import { keptJournalPath } from "./kept_journals.ts";
 * keptJournalPath("/wt/PKG-01/DEL-01-02_X/RunRecords.csv");
 * // "/repo/.git/runrec-journals/wt-…/PKG-01/DEL-01-02_X/RunRecords.csv.journal"
 * ```
 */
export function keptJournalPath(recordFile: string): string | undefined {
  return keptJournal(recordFile)?.path;
}

/** {@linkcode keptJournalPath}, with the common git folder, the work tree's key and top folder. */
function keptJournal(recordFile: string): KeptPlace | undefined {
  const kept = keptFolder(dirname(recordFile));
  return kept && { ...kept, path: join(kept.folder, `${basename(recordFile)}.journal`) };
}

/**
 * Where the files of deliverable folder `delDir` are kept in the common git folder, when it is in
 * a linked work tree (or, `mainToo`, in the main one): the folder of its copies (`folder`), the
 * common git folder, the work tree's key there, its top folder and its own git folder;
 * `undefined` elsewhere.
 *
 * @example
 * ```ts
 * import { keptFolder } from "./kept_journals.ts";
 * keptFolder("/wt/PKG-01/DEL-01-02_X")?.folder; // in <common .git>/runrec-journals/<key>/PKG-01/
 * ```
 */
export function keptFolder(
  delDir: string,
  { mainToo = false } = {},
): { folder: string; common: string; key: string; top: string; gitDir: string } | undefined {
  // Runs are kept for the main work tree too (`git clean -x` takes its pending files), not
  // journals: none of its removals takes its journal away with the record file.
  const tree = workTreeOf(delDir, { linkedOnly: !mainToo });
  if (tree === undefined) return undefined;
  const key = keyOf(tree.gitDir);
  if (key === undefined) return undefined;
  const path = relative(tree.top, resolvedPath(delDir));
  if (path === ".." || path.startsWith("../")) return undefined;
  const folder = join(tree.commonDir, KEPT_JOURNALS, key, path);
  return { folder, common: tree.commonDir, key, top: tree.top, gitDir: tree.gitDir };
}

/** A copy's place: its path, the common git folder, its work tree's key and top folder. */
export interface KeptPlace {
  /** The copy's path. */
  path: string;
  /** The common git folder. */
  common: string;
  /** The work tree's folder in `runrec-journals/`. */
  key: string;
  /** The work tree's top folder. */
  top: string;
}

/**
 * Keeps the journal of `recordFile` (at `journal`) in its copy, in a linked work tree: `text`
 * appended to it (`append`), or in its place; `undefined`: the journal is gone, the copy too. A
 * copy not made yet begins with the whole journal: its lines a runrec that kept no copy
 * appended are kept too; so does one whose size is not the journal's before `text`. Best
 * effort: a copy not kept leaves the journal, as before.
 *
 * @example
 * ```ts
 * import { keepJournal } from "./kept_journals.ts";
 * const file = "/wt/PKG-01/DEL-01-02_X/RunRecords.csv";
 * keepJournal(file, "/wt/PKG-01/DEL-01-02_X/.runrec/RunRecords.csv.journal", "\n{…}", true);
 * ```
 */
export function keepJournal(
  recordFile: string,
  journal: string,
  text: string | undefined,
  append: boolean,
): void {
  try {
    const kept = keptJournal(recordFile);
    // A library script allowed to write its project only: Deno would prompt in a terminal.
    if (kept === undefined || !granted(kept.common)) return;
    const { path } = kept;
    let size: number | undefined; // the copy's; `undefined`: none yet
    try {
      // Never through a link or FIFO in its place: another file's, or a wait.
      const copy = Deno.lstatSync(path);
      if (!copy.isFile) return;
      size = copy.size;
    } catch {
      size = undefined;
    }
    // A copy that missed a line (a full disk, a read-only mount, a process killed between the
    // two writes) is made whole again: appended to, it would lack that line for good.
    const inStep = size !== undefined && append && text !== undefined &&
      size + new TextEncoder().encode(text).length === Deno.statSync(journal).size;
    if (text === undefined) {
      if (size !== undefined) Deno.removeSync(path);
    } else if (inStep) {
      Deno.writeTextFileSync(path, text, { append: true });
    } else {
      if (size === undefined) beginWorkTreeFolder(kept);
      Deno.writeTextFileSync(`${path}.tmp`, append ? Deno.readTextFileSync(journal) : text);
      Deno.renameSync(`${path}.tmp`, path);
    }
  } catch { /* not kept: the work tree's journal tells what it can while the work tree is there */ }
}

/**
 * Makes the folder of the copy at `path`, naming its work tree's top folder once; the first copy
 * a work tree makes removes the copies of removed work trees last written over
 * {@linkcode KEPT_MS} ago, but for a run left pending there (./kept_runs.ts).
 *
 * @example
 * ```ts
 * import { beginWorkTreeFolder, keptFolder } from "./kept_journals.ts";
 * const kept = keptFolder("/wt/PKG-01/DEL-01-02_X");
 * if (kept) beginWorkTreeFolder({ ...kept, path: `${kept.folder}/RunRecords.csv.journal` });
 * ```
 */
export function beginWorkTreeFolder({ path, common, key, top }: KeptPlace): void {
  const folders = join(common, KEPT_JOURNALS);
  const own = join(folders, key);
  const named = kindOf(join(own, WORK_TREE_FILE)) === "file";
  Deno.mkdirSync(dirname(path), { recursive: true });
  if (named) return;
  Deno.writeTextFileSync(join(own, WORK_TREE_FILE), `${top}\n`);
  const { live } = workTreeStates(common);
  for (const other of listed(folders)) {
    if (other === key || live.has(other)) continue;
    // A run pending there is removed by its reap or finish, whatever its age.
    if (keptRunFoldersBeneath(join(folders, other)).length > 0) continue;
    try {
      // A folder's time is its making's: its copies' times tell when the work tree last wrote.
      const written = [join(folders, other), ...journalsBeneath(join(folders, other))]
        .map((file) => Deno.statSync(file).mtime?.getTime() ?? 0);
      if (Date.now() - Math.max(...written) > KEPT_MS) {
        Deno.removeSync(join(folders, other), { recursive: true });
      }
    } catch { /* left for the next */ }
  }
}

/** A journal a linked work tree removed since left in the common git folder. */
export interface RemovedJournal {
  /** The copy's path. */
  path: string;
  /** The removed work tree's top folder, as it was. */
  workTree: string;
  /**
   * Its work tree's folder is gone while git still lists it (`prunable`: moved by hand, not by
   * `git worktree move`, or deleted, and not pruned yet): moved, its own journal comes back
   * with `git worktree repair`, so `flush --from` of the copy is refused.
   */
  prunable?: boolean;
}

/**
 * The copies removed work trees left, read once for a command: the work trees' states and the
 * copies' listing are looked up once per repository, not once per record file. A new one for
 * each command (a library process calls again): nothing is kept between commands.
 */
export interface KeptCopies {
  /** The copies of the work tree whose top is `top` (of common git folder `commonDir`). */
  of(top: string, commonDir: string): Map<string, RemovedJournal[]>;
}

/**
 * A {@linkcode KeptCopies} for one command.
 *
 * @example
 * ```ts
 * import { keptCopies, removedWorkTreeJournals } from "./kept_journals.ts";
 * const copies = keptCopies();
 * for (const file of ["/repo/A/RunRecords.csv", "/repo/B/RunRecords.csv"]) {
 *   removedWorkTreeJournals(file, copies); // the listing read at the first only
 * }
 * ```
 */
export function keptCopies(): KeptCopies {
  const read = new Map<string, Map<string, RemovedJournal[]>>();
  return {
    of(top, commonDir) {
      const known = read.get(top);
      if (known) return known;
      const copies = copiesOf(top, commonDir);
      read.set(top, copies);
      return copies;
    },
  };
}

/**
 * The copies of removed work trees in the common git folder `commonDir`, by the deliverable path
 * (relative to `top`) they are of: the path each was kept for, or, where that folder is gone here
 * and one deliverable folder near it has its DeliverableID (git moved it: `git mv` on that
 * branch or this one), that folder's: named where the deliverable is, once.
 */
function copiesOf(top: string, commonDir: string): Map<string, RemovedJournal[]> {
  const byPath = new Map<string, RemovedJournal[]>();
  const folders = join(commonDir, KEPT_JOURNALS);
  if (kindOf(folders) !== "folder") return byPath;
  const { live, prunable } = workTreeStates(commonDir);
  const add = (path: string, copy: RemovedJournal) =>
    byPath.set(path, [...byPath.get(path) ?? [], copy]);
  for (const key of listed(folders).filter((k) => !live.has(k))) {
    const named = readText(join(folders, key, WORK_TREE_FILE))?.trim();
    for (const journal of journalsBeneath(join(folders, key))) {
      const path = relative(join(folders, key), dirname(journal));
      const copy: RemovedJournal = {
        path: journal,
        workTree: named || key,
        ...prunable.has(key) ? { prunable: true } : {},
      };
      add(movedHome(top, path) ?? path, copy);
    }
  }
  return byPath;
}

/**
 * Where the deliverable kept at `path` (relative to `top`) is here when that folder is gone (or
 * holds only runrec's state, git-ignored: a checkout moves the rest): the folder git moved its
 * files to, within `top`; `undefined` otherwise.
 */
function movedHome(top: string, path: string): string | undefined {
  const at = join(top, path);
  if (!(kindOf(at) === "other" || leftByGit(at))) return undefined;
  const home = namesakeOf(at);
  if (home === undefined) return undefined;
  const within = relative(top, resolvedPath(home));
  return within === ".." || within.startsWith("../") ? undefined : within;
}

/**
 * The copies of the journals of work trees removed since (`git worktree remove`, or deleted and
 * pruned; or their folder gone, not yet pruned) kept for the deliverable at `recordFile`'s path
 * (absolute) in the work tree holding it, its folder there or not; or, that folder gone here,
 * kept for the folder git moved to this one. `copies`: the command's reading (default: read
 * now). Where no linked work tree ever kept one: one `stat`.
 *
 * @example
 * ```ts
 * import { removedWorkTreeJournals } from "./kept_journals.ts";
 * removedWorkTreeJournals("/repo/PKG-01/DEL-01-02_X/RunRecords.csv"); // [] unless one was removed
 * ```
 */
export function removedWorkTreeJournals(
  recordFile: string,
  copies: KeptCopies = keptCopies(),
): RemovedJournal[] {
  // Past `$GIT_CEILING_DIRECTORIES` too: their lines are then named unchecked, not passed over.
  const tree = workTreeOf(nearestFolder(dirname(recordFile)), { pastCeiling: true });
  if (tree === undefined) return [];
  const byPath = copies.of(tree.top, tree.commonDir);
  // Most folders are no copy's, told by their name before their path is resolved (a `readlink`
  // a folder up to the root), but for a link (its target's name is the copy's) and the top's
  // copies (`""`: its name is each work tree's own).
  const folder = resolve(dirname(recordFile));
  const named = [...byPath.keys()].some((path) =>
    path === "" || basename(path) === basename(folder)
  );
  if (!named && !isLink(folder)) return [];
  const path = relative(tree.top, resolvedPath(folder));
  if (path === ".." || path.startsWith("../")) return [];
  return (byPath.get(path) ?? [])
    .filter((copy) => basename(copy.path) === `${basename(recordFile)}.journal`);
}

/**
 * The record files (in the work tree holding `root`, at or beneath `root`, their paths built from
 * `root` as given) whose deliverable a removed work tree's kept journal is of: `verify` of a
 * root reads them where their folder is gone here. A copy of a folder git moved is read where
 * the folder is now.
 *
 * @example
 * ```ts
 * import { removedWorkTreeRecordFiles } from "./kept_journals.ts";
 * removedWorkTreeRecordFiles("/repo"); // [] unless a removed work tree kept a journal
 * ```
 */
export function removedWorkTreeRecordFiles(
  root: string,
  copies: KeptCopies = keptCopies(),
): string[] {
  const tree = workTreeOf(root, { pastCeiling: true });
  if (tree === undefined) return [];
  if (kindOf(join(tree.commonDir, KEPT_JOURNALS)) !== "folder") return [];
  const under = relative(tree.top, resolvedPath(resolve(root)));
  const found = new Set<string>();
  for (const path of copies.of(tree.top, tree.commonDir).keys()) {
    if (under === "" || path === under || path.startsWith(`${under}/`)) {
      found.add(join(root, path.slice(under === "" ? 0 : under.length + 1), RECORD_FILE));
    }
  }
  return [...found].sort();
}

/** The folder of runs a removed work tree left pending, kept in the common git folder. */
export interface RemovedRunFolder {
  /** The kept folder standing for the deliverable folder: its `.runrec/pending/` holds the runs. */
  kept: string;
  /** The deliverable folder's path in the removed work tree, relative to its top. */
  path: string;
  /** The deliverable folder in the work tree asked from, where those runs are recorded. */
  delDir: string;
  /** The removed work tree's top folder, as it was. */
  workTree: string;
  /** The copy of that work tree's journal of the deliverable (there or not). */
  journal: string;
  /** Its work tree's folder is gone while git still lists it: moved by hand, perhaps. */
  prunable?: boolean;
}

/**
 * The folders of runs pending in work trees removed since (as {@linkcode removedWorkTreeJournals}
 * tells them), whose deliverable is at or beneath `root` in the work tree holding it: at the same
 * path, or where git moved it; paths built from `root` as given.
 *
 * @example
 * ```ts
 * import { removedWorkTreeRunFolders } from "./kept_journals.ts";
 * removedWorkTreeRunFolders("/repo"); // [] unless a removed work tree left a run pending
 * ```
 */
export function removedWorkTreeRunFolders(root: string): RemovedRunFolder[] {
  const tree = workTreeOf(nearestFolder(root));
  if (tree === undefined) return [];
  const folders = join(tree.commonDir, KEPT_JOURNALS);
  if (kindOf(folders) !== "folder") return [];
  const under = relative(tree.top, resolvedPath(resolve(root)));
  const { live, prunable } = workTreeStates(tree.commonDir);
  const found: RemovedRunFolder[] = [];
  for (const key of listed(folders).filter((k) => !live.has(k))) {
    const named = readText(join(folders, key, WORK_TREE_FILE))?.trim();
    for (const kept of keptRunFoldersBeneath(join(folders, key))) {
      const path = relative(join(folders, key), kept);
      const home = movedHome(tree.top, path) ?? path;
      if (!(under === "" || home === under || home.startsWith(`${under}/`))) continue;
      found.push({
        kept,
        path,
        delDir: join(root, home.slice(under === "" ? 0 : under.length + 1)),
        workTree: named || key,
        journal: join(kept, `${RECORD_FILE}.journal`),
        ...prunable.has(key) ? { prunable: true } : {},
      });
    }
  }
  return found;
}

/**
 * The deliverable folder of the work tree holding the current folder (or, from outside it, one
 * found from `delDir`'s path: {@linkcode repositoriesNear}) that stands for `delDir` (absolute), a
 * deliverable folder of a linked work tree removed since: at the same path, or where git moved
 * it; `undefined` when `delDir` is in no removed work tree of those repositories.
 * A run of the removed work tree reaped here is finished late here.
 *
 * @example
 * ```ts
 * import { removedWorkTreeHome } from "./kept_journals.ts";
 * removedWorkTreeHome("/gone-wt/PKG-01/DEL-01-02_X"); // "/repo/PKG-01/DEL-01-02_X"
 * ```
 */
export function removedWorkTreeHome(delDir: string): string | undefined {
  for (const tree of repositoriesNear(delDir)) {
    const folders = join(tree.commonDir, KEPT_JOURNALS);
    const { live } = workTreeStates(tree.commonDir);
    for (const key of listed(folders).filter((k) => !live.has(k))) {
      const top = readText(join(folders, key, WORK_TREE_FILE))?.trim();
      if (!top) continue;
      const path = relative(top, resolve(delDir));
      if (path === "" || path === ".." || path.startsWith("../")) continue;
      return join(tree.top, movedHome(tree.top, path) ?? path);
    }
  }
  return undefined;
}

/**
 * Whether a late finish of `delDir` (absolute), a deliverable folder gone, can tell the
 * repository it was in: one found from here or from `delDir`'s path names the removed work tree
 * that held it ({@linkcode removedWorkTreeHome}), or the work tree holding the current folder
 * holds a folder at the path `delDir` ends with, in an execution root (a work tree of the same
 * project, whose repository kept no copy of the run: a start by an older runrec, or its common git
 * folder read-only then, so that no reap there recorded it). `false` run from outside any repository,
 * from a deleted folder, or from a repository of another project, with nothing naming it.
 *
 * @example
 * ```ts
 * import { repositoryKnown } from "./kept_journals.ts";
 * repositoryKnown("/gone-wt/PKG-01/DEL-01-02_X"); // true inside a work tree holding PKG-01/DEL-01-02_X
 * ```
 */
export function repositoryKnown(delDir: string): boolean {
  return removedWorkTreeHome(delDir) !== undefined || samePathHere(delDir) !== undefined;
}

/**
 * The folder of the work tree holding the current folder at the path `delDir` (absolute, gone)
 * ends with, the longest such path first: where a work tree of the same project has the
 * deliverable folder a removed work tree had; `undefined` outside a work tree, or where it has
 * none.
 *
 * @example
 * ```ts
 * import { samePathHere } from "./kept_journals.ts";
 * samePathHere("/gone-wt/PKG-01/DEL-01-02_X"); // "/repo/PKG-01/DEL-01-02_X", run in /repo
 * ```
 */
export function samePathHere(delDir: string): string | undefined {
  const here = currentWorkTree();
  if (here === undefined) return undefined;
  const parts = resolve(delDir).split("/").filter((part) => part !== "");
  return parts.map((_, i) => join(here.top, ...parts.slice(i)))
    .find((folder) => kindOf(folder) === "folder" && rootedHere(folder, here.top));
}

/**
 * Whether the folder `folder` has an execution root in the work tree at `top`: a folder merely
 * named as the deliverable's (in another project, or none) stands for no run of it.
 */
function rootedHere(folder: string, top: string): boolean {
  const root = findExecutionRoot(folder);
  return root !== undefined && (root === top || root.startsWith(`${top}/`));
}

/** The work tree holding the current folder; `undefined` outside one, or in a deleted folder. */
function currentWorkTree(): { top: string; commonDir: string } | undefined {
  try {
    return workTreeOf(Deno.cwd());
  } catch {
    return undefined;
  }
}

/**
 * The work trees a late finish of a removed work tree's run looks in for the repository that
 * kept it, found from the current folder (when it is there), else from the token's path: the work
 * tree holding the nearest folder of `delDir` that is there (a work tree added inside the
 * repository), then those beside it or a folder up (`git worktree add ../t2`). One at a time:
 * the first that names the work tree ends the look.
 */
function* repositoriesNear(delDir: string): Generator<{ top: string; commonDir: string }> {
  const here = currentWorkTree();
  if (here !== undefined) yield here;
  const near = nearestFolder(delDir);
  const holding = workTreeOf(near);
  if (holding !== undefined) yield holding;
  for (const folder of [near, dirname(near)]) {
    for (const name of listed(folder)) {
      const beside = join(folder, name);
      if (dotGitOf(beside) === undefined) continue;
      const tree = workTreeOf(beside);
      if (tree !== undefined && resolvedPath(tree.top) === resolvedPath(beside)) yield tree;
    }
  }
}

/**
 * The folders of runs kept for the deliverable folders at or beneath `root` of the work tree
 * holding it, while that work tree is there (main or linked): a run's copy whose own file is
 * gone (`git clean -x`, `git stash --all`) is reaped from there.
 *
 * @example
 * ```ts
 * import { ownRunFolders } from "./kept_journals.ts";
 * ownRunFolders("/repo"); // [] unless a run is pending in this work tree
 * ```
 */
export function ownRunFolders(root: string): { kept: string; delDir: string }[] {
  const tree = workTreeOf(nearestFolder(root));
  if (tree === undefined) return [];
  const key = keyOf(tree.gitDir);
  if (key === undefined) return [];
  const own = join(tree.commonDir, KEPT_JOURNALS, key);
  const under = relative(tree.top, resolvedPath(resolve(root)));
  if (under === ".." || under.startsWith("../")) return [];
  return keptRunFoldersBeneath(under === "" ? own : join(own, under)).map((kept) => ({
    kept,
    delDir: join(root, relative(under === "" ? own : join(own, under), kept)),
  }));
}

/**
 * The folders beneath `folder` whose `.runrec/pending/` a work tree kept runs in.
 *
 * @example
 * ```ts
 * import { keptRunFoldersBeneath } from "./kept_journals.ts";
 * keptRunFoldersBeneath("/repo/.git/runrec-journals/agent-0123456789ab"); // [] for none
 * ```
 */
export function keptRunFoldersBeneath(folder: string): string[] {
  const found: string[] = [];
  for (const entry of entriesOf(folder)) {
    if (!entry.isDirectory) continue;
    if (entry.name === ".runrec") {
      if (entriesOf(join(folder, entry.name, "pending")).length > 0) found.push(folder);
    } else found.push(...keptRunFoldersBeneath(join(folder, entry.name)));
  }
  return found;
}

/** Whether `path` is a symbolic link. */
function isLink(path: string): boolean {
  try {
    return Deno.lstatSync(path).isSymlink;
  } catch {
    return false;
  }
}

/** The kept journals beneath `folder`. */
function journalsBeneath(folder: string): string[] {
  const found: string[] = [];
  for (const entry of entriesOf(folder)) {
    const path = join(folder, entry.name);
    if (entry.isDirectory) found.push(...journalsBeneath(path));
    else if (entry.isFile && entry.name === `${RECORD_FILE}.journal`) found.push(path);
  }
  return found;
}

/**
 * What a kept journal at `path` (as named) is: the record file of the work tree holding the
 * current folder at its deliverable path, and whether the work tree that kept it is there
 * still; `undefined` when `path` is no kept journal of that work tree's repository.
 *
 * @example
 * ```ts
 * import { keptJournalOf } from "./kept_journals.ts";
 * keptJournalOf(".git/runrec-journals/wt-…/PKG-01/DEL-01-02_X/RunRecords.csv.journal");
 * // { recordFile: "/repo/PKG-01/DEL-01-02_X/RunRecords.csv", live: false }
 * ```
 */
export function keptJournalOf(
  path: string,
): { recordFile: string; live: boolean; prunable: boolean } | undefined {
  if (basename(path) !== `${RECORD_FILE}.journal`) return undefined;
  const tree = workTreeOf(Deno.cwd(), { pastCeiling: true });
  if (tree === undefined) return undefined;
  const folders = resolvedPath(join(tree.commonDir, KEPT_JOURNALS));
  const rel = relative(folders, resolvedPath(resolve(path)));
  if (rel === ".." || rel.startsWith("../") || !rel.includes("/")) return undefined;
  const [key, ...rest] = rel.split("/");
  const kept = rest.slice(0, -1).join("/");
  const { live, prunable } = workTreeStates(tree.commonDir);
  // Into the folder git moved the deliverable to, when its own is gone here.
  const home = live.has(key) ? undefined : movedHome(tree.top, kept);
  return {
    recordFile: join(tree.top, home ?? kept, RECORD_FILE),
    live: live.has(key),
    prunable: prunable.has(key),
  };
}

/**
 * The folders (in `runrec-journals/`) of the linked work trees there now (`live`), and of those
 * git still lists whose folder is gone (`prunable`: moved by hand or deleted, not pruned yet;
 * counted removed: their records are named, and `flush --from` of their copies refused).
 */
function workTreeStates(commonDir: string): { live: Set<string>; prunable: Set<string> } {
  const trees = join(commonDir, "worktrees");
  const live = new Set<string>();
  const prunable = new Set<string>();
  // The main work tree's (its runs' copies): never removed while its git folder is there.
  const main = keyOf(commonDir);
  if (main !== undefined) live.add(main);
  for (const name of listed(trees)) {
    const key = keyOf(join(trees, name));
    if (key === undefined) continue;
    // A locked one (`git worktree lock`: on a device not mounted now, which git never prunes)
    // is live, whatever its folder.
    const dotGit = readText(join(trees, name, "gitdir"))?.trim();
    const locked = kindOf(join(trees, name, "locked")) === "file";
    if (locked || (dotGit && kindOf(resolve(join(trees, name), dotGit)) === "file")) live.add(key);
    else prunable.add(key);
  }
  return { live, prunable };
}

/** The folders in `folder` (none when it cannot be listed). */
function listed(folder: string): string[] {
  return entriesOf(folder).filter((e) => e.isDirectory).map((e) => e.name).sort();
}

function entriesOf(folder: string): Deno.DirEntry[] {
  try {
    return [...Deno.readDirSync(folder)];
  } catch {
    return [];
  }
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * `folder`, or its nearest ancestor that is there (git is asked from it about a folder gone).
 *
 * @example
 * ```ts
 * import { nearestFolder } from "./kept_journals.ts";
 * nearestFolder("/tmp/no-such-folder/x"); // "/tmp"
 * ```
 */
export function nearestFolder(folder: string): string {
  for (let current = resolve(folder);; current = dirname(current)) {
    if (kindOf(current) === "folder" || dirname(current) === current) return current;
  }
}

/**
 * Whether this process may write in `path` without a prompt.
 *
 * @example
 * ```ts
 * import { granted } from "./kept_journals.ts";
 * granted("/repo/.git"); // false in a library script allowed to write its project only
 * ```
 */
export function granted(path: string): boolean {
  return Deno.permissions.querySync({ name: "write", path }).state === "granted";
}
