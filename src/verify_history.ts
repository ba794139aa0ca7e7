/**
 * K-APPEND-1 against git history: every version of a record file since a
 * revision (each first-parent commit's, then the working tree's) has the one
 * before as a byte-for-byte prefix, or keeps its every line in order with
 * whole records inserted among them (a squash merge of a branch that had merged
 * the other side: noted), following the file across renames of its
 * deliverable folder. Every record file a target held in the range (at the
 * revision, or created since) is followed to HEAD and the working tree: one
 * deleted on the way is gone; one moved where the targets' walk does not
 * look (a tool root such as `_Archive/`) is checked there.
 *
 * One `git log -p` per repository streams the range's diffs of record files
 * (`history_log.ts`); a diff that adds lines only at the end is an append.
 * Only a diff that does not prove one, and a merge's, has its versions read
 * whole and compared byte for byte (`append_only.ts`): at a merge, every
 * line added to the first parent's version must be a line of another
 * parent's, as `merge=union` places them; the branch the merge brings in
 * must itself have only appended: its first-parent chain since it left the
 * first parent's history is checked the same way (one more `git log` per
 * merge); and every line that branch added to a record file must be in the
 * merge's version of it (a merge that kept the first parent's file, or left
 * out one the branch created, as `-s ours` does, fails). Those checks are
 * made for the files the branch changed, not for every file at every merge.
 * So the cost follows the bytes the history changed and its merges, not the
 * size of every version. A revision off the
 * first-parent chain (a merged side branch) also has its record lines
 * looked for in HEAD's versions (`append_only.ts`).
 *
 * This module resolves the targets to repositories and checks each; where
 * the check starts is `history_start.ts`, following the files along the log
 * and into merged branches `history_walk.ts`, deciding the byte comparisons
 * it queues `history_settle.ts`, the working tree's files against HEAD's and
 * record files moved where git tracks nothing `history_working_tree.ts`, the
 * messages `history_messages.ts`, and the types they share `history_shared.ts`.
 *
 * @module
 */
import { type Candidate, type RecordCandidates, regularFileBytes } from "./record_candidates.ts";
import { DELIVERABLE_FOLDER, isToolRoot, RECORD_FILE } from "./deliverable.ts";
import { failureReason, InputError, OptionError } from "./errors.ts";
import { ceilingNote } from "./git_ceiling.ts";
import {
  gitDirAloneNote,
  gitRepository,
  gitTopLevel,
  readObjects,
  resolveCommit,
  runGit,
  skipWorktreePaths,
  type TreeChange,
  treeChanges,
} from "./git.ts";
import { addedRecordCount, firstMissingLine } from "./append_only.ts";
import { fieldWords } from "./changed_fields.ts";
import { folderGiven } from "./line_blocks.ts";
import { basename, dirname, join, relative, resolve, sep } from "./path.ts";
import { checkHistoriesOptions } from "./argument_checks.ts";
import { checkPathArgument, checkPathsArgument, shownValue } from "./argument_kinds.ts";
import { holdsRecords, recordsOf, restarts } from "./moved_records.ts";
import { isMiscasedRecordFile } from "./other_case.ts";
import { oneLine } from "./names.ts";
import { recordFileLog } from "./history_log.ts";
import {
  BATCH,
  type CommitInfo,
  type Followed,
  type HistoryResult,
  RECORD_PATHSPEC,
  type Repository,
  type Scope,
  short,
  type Track,
  type Walk,
  WORKING_TREE,
} from "./history_shared.ts";
import {
  commitSubject,
  firstParentWalk,
  meeting,
  SHALLOW_REMEDY,
  sinceError,
  startingPoint,
  treeAt,
} from "./history_start.ts";
import {
  claimSameId,
  folderDeliverableId,
  followLog,
  sameDeliverable,
  trackFrom,
  trackNames,
} from "./history_walk.ts";
import { renameNote, symlinkMessage, untoldMoveNote } from "./history_messages.ts";
import { settleChecks } from "./history_settle.ts";
import {
  asGitWouldCommit,
  candidateIndex,
  chosenOf,
  linkTarget,
  lostBy,
  lostCopies,
  movedUntracked,
  pathAtHead,
  realTarget,
  recordFileAt,
  renamedFrom,
  workingTreeChecks,
  workingTreeKeeps,
} from "./history_working_tree.ts";
export type { HistoryFailure, HistoryResult, Rename } from "./history_shared.ts";

const SPARSE_NOTE = "outside the sparse checkout: checked as committed";

/** What {@linkcode verifyHistories} found. */
export interface HistoryCheck {
  /** Per record file, keyed by the path as given. */
  histories: Map<string, HistoryResult>;
  /**
   * Record files a target held, at the starting commit or at any commit
   * since (a file created since, on a merged branch too), that the work tree
   * lacks (not followed by a rename): deleted, and every record with them;
   * or left out by a sparse checkout and broken in a commit. Named as the
   * targets were given (relative stays relative); each has its entry in
   * `histories`, whose failure names the commit that deleted it (or the
   * working tree).
   */
  gone: string[];
  /**
   * Record files a target held (at the starting commit, or created since)
   * that were moved where its walk does not look, into a tool root
   * (`_Archive/`) or out of the targets, and that HEAD and the working tree
   * have there: followed and checked like the files present, each with its
   * entry in `histories` and a note saying where it went. Named as the
   * targets were given when beneath one, else relative to the working folder.
   */
  moved: string[];
  /**
   * Notes about the range itself (where it starts and why, history fetched),
   * once each, and about record files a sparse checkout left out.
   */
  notes: string[];
}

/**
 * Checks K-APPEND-1 for record files against git: the version at `since`,
 * the version of every first-parent commit in `since..HEAD` that changed the
 * file, and the working tree's, each must have the one before as a
 * byte-for-byte prefix, or keep every line of it, byte for byte and in
 * order, with whole record lines (each holding a RunID and ending in `\n`)
 * inserted among them: what a
 * squash merge (or a rebase) of a branch that had merged the other side
 * commits, as that side's union merge placed the branch's records; a note
 * names the commit, the file and the lines inserted (records are a set
 * ordered by RunID and RunTimestamp, so an insertion takes nothing away).
 * A line changed, reordered or removed, one added without its `\n`, or one
 * inserted that holds no RunID (a conflict's marker) fails, and a line
 * changed below inserted ones is named by its own line. When the
 * file did not exist at `since`, the chain
 * starts from its first version. At a merge commit, the version must keep
 * every line of the first parent's version in order, and every other line
 * must be, byte for byte, a line of another parent's version (what
 * `merge=union` makes; a note says so when it placed lines among earlier
 * ones); any other line fails, named with the merge, and so does a line the
 * merged branch added that the merge's version lacks (`-s ours`), or a
 * record file the merged branch created that the merge left out (then in
 * `gone` when no file present continues it). A file a merge adds takes
 * every line from the other parents' versions the same way. The
 * branch a merge brings in must only have appended too: its first-parent
 * commits since it left the first parent's history (not those `since`
 * contains) are checked like HEAD's, their own merges in turn, renames
 * followed, and a rewrite there fails the merge, naming the merged parent
 * and the branch's commit and line (a union merge takes the branch's lines
 * as they are, so a record it swapped, or changed and restored, would
 * otherwise pass as appended).
 *
 * Where HEAD does not contain `since`, or `since` is off HEAD's
 * first-parent chain (a merged side branch), the check starts where that
 * chain meets it (from every file's first version when it meets none), and
 * a note says so. That chain does not pass through `since`, so every line
 * of its record files must also still be in their versions at HEAD, in any
 * order; a file of it that reaches no file in the work tree is `gone`. A
 * branch or tag holding `since` changes nothing: a branch only behind it
 * is checked with `since` their merge base. A shallow
 * clone whose history since `since` is cut is completed from its remote
 * when that remote is on this machine, else the check stops with an
 * {@linkcode InputError} saying how to fetch it. A record file in a
 * submodule is checked in the submodule's own history, from the commit
 * `since` records for it.
 *
 * Where a file first appears under its path, the record file it was renamed
 * from is followed: the one git's rename detection names (between folders
 * of two DeliverableIDs, a moved folder's file only when it kept its bytes:
 * git pairs two deliverables' files by content alone), else the one record
 * file deleted there whose deliverable folder has the same DeliverableID
 * (in a commit, a deleted record file whose bytes an added one starts with
 * is taken first: a moved folder with more runs appended than it held).
 * A record file HEAD has that a sparse checkout leaves out of the work tree
 * (skip-worktree) is checked as committed, with a note. The working
 * tree's version is compared as git would commit it: line ends converted
 * back when git converts them (`core.autocrlf`, `eol` attributes).
 *
 * `targets` are the folders or files asked about (record files they held
 * at the starting commit or at any commit since, a merged branch's too, and
 * the work tree lacks are `gone`, named as the targets were given, each with
 * its failure in `histories`: the commit that deleted it, or the working
 * tree; those moved where the targets' walk does not look, into a tool root
 * such as `_Archive/` or out of the targets, are `moved`: followed there and
 * checked, with a note); `files` are the record files present.
 * `options.unlisted` are folders beneath the targets that cannot be listed
 * (as `resolveTargets` marks them): HEAD's record files beneath them are
 * unread, not deleted, so they are not `gone` unless a commit broke them.
 *
 * Throws {@linkcode InputError} when one of `files` is a folder (naming the record file inside),
 * `since` names no commit (in a shallow
 * clone, saying how to fetch it when it looks like a commit id or an
 * ancestor of one the clone has), a target is
 * not in a git work tree, or git refuses the repository (another user owns
 * it); `GitUnavailableError` when git cannot run.
 *
 * @example
 * ```ts
 * import { verifyHistories } from "@runrec/runrec";
 * // In a git clone of the project whose origin/main holds the record file; --allow-run (git).
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * const file = `${dir}/RunRecords.csv`;
 * const { histories, gone } = await verifyHistories([dir], [file], "origin/main");
 * if (histories.get(file)?.failure || gone.length > 0) Deno.exitCode = 1;
 * ```
 */
export async function verifyHistories(
  targets: readonly string[],
  files: readonly string[],
  since: string,
  options: { unlisted?: readonly string[] } = {},
): Promise<HistoryCheck> {
  checkPathsArgument(targets, "targets");
  checkPathsArgument(files, "files");
  if (typeof since !== "string" || since.trim() === "") {
    throw new InputError(`since: must be a git revision, got ${shownValue(since)}`, {
      field: "since",
    });
  }
  checkHistoriesOptions(options);
  const notes: string[] = [];
  const unlisted = await Promise.all((options.unlisted ?? []).map(realFolder));
  const repositories = new Map<string, Repository>();
  // The repositories the targets are in, first: `since` is theirs.
  for (const target of targets) {
    const absolute = resolve(target);
    const folder = (await Deno.stat(absolute).catch(cannotRead(target))).isDirectory
      ? absolute
      : dirname(absolute);
    const found = await gitRepository(folder);
    if (!found) {
      throw new OptionError(
        (name) =>
          `${target}: not in a git work tree${ceilingNote()} (${name("since")} needs git history)`,
        { path: target },
      );
    }
    const top = await Deno.realPath(found.top);
    const scope = await scopeOf(await realTarget(absolute), top);
    const known = repositories.get(top);
    if (known) {
      known.scopes.push(scope);
      continue;
    }
    const alone = gitDirAloneNote(top);
    if (alone) notes.push(alone);
    const repository = await startingPoint(top, found.shallow, since, notes);
    repository.scopes.push(scope);
    repositories.set(top, repository);
  }
  // Submodules beneath the targets (by the commits recorded for them), and those holding files.
  const nested = new Set<string>();
  for (const repository of repositories.values()) {
    for (const path of (await repository.tree).gitlinks.keys()) {
      if (reachesFolder(path, repository.scopes)) {
        nested.add(join(repository.top, ...path.split("/")));
      }
    }
  }
  // A folder is no record file: checked as one, git holds no such file and it would be `gone`.
  for (const file of files) {
    if ((await Deno.stat(file).catch(() => undefined))?.isDirectory) {
      throw new InputError(`${file}: ${folderGiven(file)}`, { path: file });
    }
  }
  const realFiles = await Promise.all(files.map((f) => recordFileAt(f).catch(cannotRead(f))));
  const fileTops = await Promise.all(
    realFiles.map((file, i) => repositoryOf(file, repositories, files[i])),
  );
  for (const top of fileTops) if (!repositories.has(top)) nested.add(top);
  // Folders `since` records as submodules that are now plain folders of their parent.
  const absorbed: Absorbed[] = [];
  for (const top of [...nested].sort((a, b) => a.length - b.length)) {
    if (repositories.has(top)) continue;
    const real = await Deno.realPath(top).catch(() => undefined);
    const own = real && await gitTopLevel(real).catch(() => undefined);
    if (!real || !own) continue; // not checked out
    if (await Deno.realPath(own) !== real) {
      const folder = await absorbedFolder(real, [...repositories.values()]);
      if (folder) {
        absorbed.push(folder);
        continue;
      }
    }
    const repository = await submodule(real, since, [...repositories.values()], targets, notes);
    repositories.set(real, repository);
  }

  const histories = new Map<string, HistoryResult>();
  const present = new Set(realFiles);
  const given = await Promise.all(
    targets.map(async (target) => ({ target, real: await realTarget(resolve(target)) })),
  );
  const gone: string[] = [];
  const moved: string[] = [];
  // Record files a repository deleted whose path another repository's file now holds, or whose
  // records were joined into the RunRecords.csv beside them (a runrecords.csv, as its message advises).
  const replaced: { result: HistoryResult; file: string; joined: boolean }[] = [];
  for (const repository of repositories.values()) {
    const mine = files.filter((_, i) => fileTops[i] === repository.top);
    const { missing, moved: followed } = await checkRepository(
      repository,
      since,
      mine,
      histories,
      unlisted,
    );
    for (const [absolute, result] of followed) {
      const path = asGiven(absolute, given);
      if (present.has(absolute) || histories.has(path)) continue;
      histories.set(path, result);
      moved.push(path);
    }
    for (const result of missing) {
      const absolute = join(repository.top, ...result.gitPath.split("/"));
      const path = asGiven(absolute, given);
      const at = realFiles.indexOf(absolute);
      if (at >= 0 && fileTops[at] !== repository.top) {
        replaced.push({ result, file: files[at], joined: false });
        continue;
      }
      const beside = join(dirname(absolute), RECORD_FILE);
      const joined = realFiles.indexOf(beside);
      if (
        isMiscasedRecordFile(basename(absolute)) && result.failure?.deleted && joined >= 0 &&
        fileTops[joined] === repository.top
      ) {
        replaced.push({ result, file: files[joined], joined: true });
        continue;
      }
      if (present.has(absolute) || histories.has(path)) continue;
      if (!result.failure) {
        notes.push(
          `${path}: outside the sparse checkout: checked as committed (K-APPEND-1 holds, ` +
            `${result.versionsCompared} version(s) compared)`,
        );
        continue;
      }
      histories.set(path, result);
      gone.push(path);
    }
  }
  for (const { result, file, joined } of replaced) {
    await checkReplaced(result, histories.get(file)!, file, joined);
  }
  for (const folder of absorbed) {
    for (const [i, real] of realFiles.entries()) {
      if (!real.startsWith(`${folder.real}/`)) continue;
      const history = histories.get(files[i]);
      if (history) await checkAbsorbed(folder, relative(folder.real, real), history, real, since);
    }
  }
  return { histories, gone, moved, notes };
}

/** A folder that `since` records as a submodule and HEAD holds as a plain folder. */
interface Absorbed {
  /** The folder, symbolic links resolved. */
  real: string;
  /** Its path in its parent repository, `/`-separated. */
  path: string;
  /** The commit `since` records for it. */
  commit: string;
  /** The parent repository's top. */
  top: string;
}

/**
 * The folder `real`, in one of `outer`'s work trees, as a submodule
 * absorbed into it: `since` records a commit for it and HEAD's tree has no
 * submodule there; `undefined` when HEAD still has one (not checked out).
 */
async function absorbedFolder(real: string, outer: Repository[]): Promise<Absorbed | undefined> {
  const parent = outer.filter((r) => real.startsWith(`${r.top}/`))
    .sort((a, b) => b.top.length - a.top.length)[0];
  if (!parent) return undefined;
  const path = gitRelative(parent.top, real);
  const commit = (await parent.tree).gitlinks.get(path);
  if (!commit) return undefined;
  const { stdout } = await runGit(
    ["ls-tree", "-z", "HEAD", "--", `:(top,literal)${path}`],
    parent.top,
  );
  if (new TextDecoder().decode(stdout).split(" ")[1] === "commit") return undefined;
  return { real, path, commit, top: parent.top };
}

/**
 * A record file (`history`, at `real`, `inner` inside the absorbed folder)
 * that the submodule held at `folder.commit` and its parent now holds:
 * every line of the submodule's version must be in the file; read from the
 * submodule's git folder the parent keeps (`.git/modules/<path>`). A clone
 * without it checks the file from its first version, and a note says so.
 */
async function checkAbsorbed(
  folder: Absorbed,
  inner: string,
  history: HistoryResult,
  real: string,
  since: string,
) {
  const modules = new TextDecoder().decode(
    (await runGit(["rev-parse", "--path-format=absolute", "--git-common-dir"], folder.top)).stdout,
  ).trim();
  const gitDir = join(modules, "modules", ...folder.path.split("/"));
  const spec = `${folder.commit}:${inner.split(sep).join("/")}`;
  const [before] = await Deno.stat(gitDir).then(
    () => readObjects([spec], gitDir),
    () => [undefined],
  );
  const was = `${folder.path} was a submodule at ${since} (commit ${short(folder.commit)})`;
  const gitPath = `${folder.path}/${inner.split(sep).join("/")}`;
  const missing = before &&
    firstMissingLine(before, await committedBytes(real, gitPath, folder.top));
  if (before && !missing) {
    history.notes.push(`${was}: every line of its version of this file is still here`);
    return;
  }
  // Named at the commit that made it a plain file, when one did (else the working tree).
  const made = history.commits[0];
  history.failure ??= {
    commit: made ?? WORKING_TREE,
    subject: made ? await commitSubject(made, folder.top) : "",
    previous: folder.commit,
    previousPath: gitPath,
    line: missing ? missing.line : 1,
    // A version this clone does not hold (a fresh clone has no .git/modules of a folder that
    // is no longer a submodule) is unchecked: never a pass.
    message: missing
      ? `${was}: ${missing.runId ? `record ${missing.runId}` : "a line"} (line ` +
        `${missing.line}) of its version is not in the file now`
      : `${was}, whose version of this file is not in this clone: unchecked (check it where ` +
        `${gitDir} holds that commit: the clone that made it a plain folder)`,
  };
}

/** A working-tree file's bytes as git would commit them (its line ends converted back), to compare with a blob. */
async function committedBytes(file: string, gitPath: string, top: string): Promise<Uint8Array> {
  const bytes = await Deno.readFile(file);
  return await asGitWouldCommit(bytes, file, gitPath, top) ?? bytes;
}

/**
 * A record file `deleted` (its repository's check, failed) whose records `file` now holds:
 * another repository's file at its path (a submodule or a nested clone put in the deliverable
 * folder's place), or, `joined`, the RunRecords.csv beside a runrecords.csv joined into it. The
 * deletion loses nothing only when every line of the deleted version is in `file`; else the
 * first missing line is `now`'s failure, named at the commit that deleted it. Another failure
 * of `deleted` (a rewrite before) is `now`'s as it is.
 */
async function checkReplaced(
  deleted: HistoryResult,
  now: HistoryResult,
  file: string,
  joined: boolean,
) {
  const failure = deleted.failure;
  if (!failure || now.failure) return; // none: a sparse entry, its note said
  const beside = `the ${RECORD_FILE} beside it`;
  if (!failure.deleted) {
    now.failure = failure;
    return;
  }
  const [before] = await readObjects(
    [`${failure.previous}:${failure.previousPath}`],
    deleted.workTree,
  );
  const missing = before &&
    firstMissingLine(before, await committedBytes(file, now.gitPath, now.workTree));
  if (before && !missing) {
    const where = failure.commit === WORKING_TREE
      ? "the working tree"
      : `commit ${short(failure.commit)}`;
    const holder = joined ? beside : "the file now in its place, another repository's,";
    now.notes.push(
      `${deleted.gitPath} of ${deleted.workTree} was deleted in ${where}; ${holder} holds every ` +
        "line of it",
    );
    return;
  }
  const holder = joined
    ? beside
    : `the file now in its place, another repository's (${now.workTree}),`;
  const lacks = !missing
    ? "its last version cannot be read"
    : `${holder} lacks ${
      missing.runId ? `record ${missing.runId}` : "a line"
    } (line ${missing.line})`;
  now.failure = { ...failure, line: missing?.line ?? 1, message: `${failure.message}; ${lacks}` };
  // Its remedy (`git checkout REV -- path`) cannot restore a file where a repository now is.
  if (!joined) delete now.failure.remedy;
}

/**
 * Where the folder `path` is, its parent's symbolic links resolved: the folder
 * itself may not resolve (another user's, or a name not valid UTF-8, which
 * reads back as not found), but the walk listed its parent.
 */
async function realFolder(path: string): Promise<string> {
  const absolute = resolve(path);
  const parent = await Deno.realPath(dirname(absolute)).catch(() => dirname(absolute));
  return join(parent, basename(absolute));
}

/**
 * `absolute` as the target holding it was given (relative stays relative);
 * else relative to the working folder.
 */
function asGiven(absolute: string, given: { target: string; real: string }[]): string {
  for (const { target, real } of given) {
    if (absolute === real) return target;
    if (absolute.startsWith(`${real}/`)) return join(target, relative(real, absolute));
  }
  // Beneath no target (moved out of them): as the working folder sees it, like the rest.
  return relative(Deno.cwd(), absolute) || ".";
}

/** A rejection handler that throws the one-line InputError of a path that cannot be read. */
function cannotRead(path: string): (error: Error) => never {
  return (error) => {
    throw new InputError(`${path}: cannot read: ${failureReason(error)}`, {
      cause: error,
      path,
    });
  };
}

/**
 * {@linkcode verifyHistories} for one record file. A folder given for it (a deliverable's) is
 * an {@linkcode InputError} naming the record file inside.
 *
 * @example
 * ```ts
 * import { verifyHistory } from "@runrec/runrec";
 * // In a git clone of the project whose origin/main holds the record file; --allow-run (git).
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * const result = await verifyHistory(`${dir}/RunRecords.csv`, "origin/main");
 * if (result.failure) console.log(result.failure.commit, result.failure.line);
 * ```
 */
export async function verifyHistory(path: string, since: string): Promise<HistoryResult> {
  checkPathArgument(path, "path");
  const { histories, notes } = await verifyHistories([path], [path], since);
  const result = histories.get(path)!;
  return { ...result, notes: [...notes, ...result.notes] };
}

/**
 * The top of the repository holding `file` (a real path): the nearest folder
 * above it with a `.git` (a submodule's), else the known repository it is
 * in. Found in the file system, not by running git once per file. An error's
 * `path` is the file as the caller gave it (`given`).
 */
async function repositoryOf(
  file: string,
  known: Map<string, Repository>,
  given: string = file,
): Promise<string> {
  for (let dir = dirname(file);; dir = dirname(dir)) {
    if (known.has(dir)) return dir;
    const hasGit = await Deno.lstat(join(dir, ".git")).then(() => true, () => false);
    if (hasGit) {
      const top = await gitTopLevel(dir);
      if (top) return await Deno.realPath(top);
    }
    if (dirname(dir) === dir) {
      throw new OptionError(
        (name) =>
          `${file}: not in a git work tree${ceilingNote()} (${name("since")} needs git history)`,
        { path: given },
      );
    }
  }
}

/** `path` relative to `top`, `/`-separated; an InputError when it is outside. */
function gitRelative(top: string, path: string): string {
  const relativePath = relative(top, path).split(sep).join("/");
  if (relativePath === ".." || relativePath.startsWith("../")) {
    const note = gitDirAloneNote(top);
    throw new InputError(
      `${path}: resolves outside the git work tree ${top}${note ? `; ${note}` : ""}`,
      { path },
    );
  }
  return relativePath;
}

/** The scope of the target `real` (symbolic links resolved) in the work tree `top`. */
async function scopeOf(real: string, top: string): Promise<Scope> {
  const path = gitRelative(top, real);
  if (!(await Deno.stat(real)).isDirectory) return { file: path };
  // A deliverable folder: named DEL-XX-YY…, or holding a record file.
  const own = DELIVERABLE_FOLDER.test(basename(real)) ||
    await Deno.lstat(join(real, RECORD_FILE)).then(() => true, () => false);
  return own
    ? { file: path === "" ? RECORD_FILE : `${path}/${RECORD_FILE}` }
    : { root: path, real };
}

/** Whether a target holds the record file `path`. */
function holdsFile(path: string, scopes: Scope[]): boolean {
  return scopes.some((scope) =>
    "file" in scope ? scope.file === path : walkReaches(scope, path.split("/").slice(0, -1))
  );
}

/** Whether a root target's walk enters the folder `path` (a submodule's). */
function reachesFolder(path: string, scopes: Scope[]): boolean {
  return scopes.some((scope) => "root" in scope && walkReaches(scope, path.split("/")));
}

/**
 * Whether a walk of the root `scope` enters every folder of `folders` (a
 * path from the top, split): not `.git`, `node_modules`, `.runrec*` or a
 * tool root of an execution root (`_Reconciliation/`), as targets.ts skips.
 */
function walkReaches(scope: { root: string; real: string }, folders: string[]): boolean {
  return beneathRoot(scope, folders) && skippedFolder(scope, folders) === undefined;
}

/** Whether `folders` (a path from the top, split) is the root `scope` or beneath it. */
function beneathRoot(scope: { root: string }, folders: string[]): boolean {
  const depth = scope.root === "" ? 0 : scope.root.split("/").length;
  return folders.length >= depth && folders.slice(0, depth).join("/") === scope.root;
}

/**
 * The first folder of `folders` (a path from the top, split) beneath the
 * root `scope` that its walk does not enter, as a path from the top;
 * `undefined` when it enters them all, or they are not beneath it.
 */
function skippedFolder(scope: { root: string; real: string }, folders: string[]) {
  if (!beneathRoot(scope, folders)) return undefined;
  const depth = scope.root === "" ? 0 : scope.root.split("/").length;
  let dir = scope.real;
  for (let i = depth; i < folders.length; i++) {
    const name = folders[i];
    if (name === ".git" || name === "node_modules" || name.startsWith(".runrec")) {
      return folders.slice(0, i + 1).join("/");
    }
    if (isToolRoot(dir, name)) return folders.slice(0, i + 1).join("/");
    dir = join(dir, name);
  }
  return undefined;
}

/** A submodule (or a repository nested in the work tree): checked from the commit its parent records for it. */
async function submodule(
  top: string,
  since: string,
  outer: Repository[],
  targets: readonly string[],
  notes: string[],
): Promise<Repository> {
  const parent = outer.filter((r) => top.startsWith(`${r.top}/`))
    .sort((a, b) => b.top.length - a.top.length)[0];
  const path = parent ? gitRelative(parent.top, top) : top;
  const recorded = (await parent?.tree)?.gitlinks.get(path);
  let base: string | undefined;
  if (recorded) {
    base = await resolveCommit(recorded, top);
    if (!base) {
      throw sinceError(
        `submodule ${path}: commit ${short(recorded)}, which ${since} records for it, ` +
          "is not in its repository; fetch it (`git submodule update --init`, or " +
          "`git -C <submodule> fetch --unshallow` in a shallow one)",
      );
    }
    notes.push(
      `submodule ${path}: checked in its own history, from ${short(base)} (the commit ` +
        `${since} records for it)`,
    );
  } else {
    notes.push(
      `${path}: a repository ${since} records no commit for: its record files are checked ` +
        "from their first versions",
    );
  }
  const scopes: Scope[] = [];
  for (const target of targets) {
    const real = await realTarget(resolve(target)).catch(() => resolve(target));
    if (real === top || real.startsWith(`${top}/`)) scopes.push(await scopeOf(real, top));
    // A root above it holds all of it (a deliverable folder above holds its own file only).
    else if (top.startsWith(`${real}/`) && "root" in await scopeOf(real, dirname(real))) {
      scopes.push({ root: "", real: top });
    }
  }
  const walk = base ? await firstParentWalk(base, top) : [];
  const shallow = (await gitRepository(top))?.shallow ?? new Set();
  const cut = walk.find((c) => shallow.has(c.id));
  if (cut) {
    throw sinceError(
      `submodule ${path} is a shallow clone and lacks history since ${short(base!)}: ` +
        SHALLOW_REMEDY,
    );
  }
  const head = walk.at(-1)?.id ?? await resolveCommit("HEAD", top);
  if (!base) {
    const tree = await treeAt(undefined, top);
    return { top, scopes, sinceCommit: "", head, tree: Promise.resolve(tree) };
  }
  // A submodule moved to a history without the recorded commit (a sibling, an orphan) is
  // checked from where the two meet, and the recorded commit's lines must still be at HEAD.
  const named = `${short(base)} (the commit ${since} records for submodule ${path})`;
  const meets = await meeting(top, base, walk, head, {
    named,
    since: short(base),
    notes,
    remedy: false,
  });
  const tree = await treeAt(meets.base, top);
  return { top, scopes, sinceCommit: base, head, ...meets, tree: Promise.resolve(tree) };
}

/** What {@linkcode checkRepository} found beyond the files present. */
interface RepositoryCheck {
  /**
   * The record files a target held (at the starting commit, or created
   * since), or that a revision off the first-parent chain held, whose history
   * leads to no file present: each with its failure (the commit that deleted
   * it, or the working tree), or none when git's sparse checkout left out a
   * file whose committed history holds.
   */
  missing: HistoryResult[];
  /**
   * The record files a target held that HEAD and the working tree have
   * where the targets' walk does not look (moved into a tool root, or out of
   * the targets): followed there and checked, by absolute path.
   */
  moved: Map<string, HistoryResult>;
}

/**
 * Follows every record file of one repository from its starting commit to
 * HEAD and the working tree; fills `histories` for `files` (the ones
 * present in it). A file HEAD has beneath one of the `unlisted` folders
 * (absolute) is unread, not missing, unless a commit broke it.
 */
async function checkRepository(
  repository: Repository,
  since: string,
  files: string[],
  histories: Map<string, HistoryResult>,
  unlisted: string[],
): Promise<RepositoryCheck> {
  const { top, base, head, scopes } = repository;
  // Where the check starts, as notes name it: not `since` when it starts elsewhere.
  const start = base && base !== repository.sinceCommit
    ? short(base)
    : !base && repository.relation
    ? "HEAD's first-parent chain until then"
    : since;
  const alive = new Map<string, Track>();
  const deleted = new Map<string, Track>();
  // git log starts before the tree at `base` is read: the two run at once.
  const log = head && head !== base ? recordFileLog(top, base, RECORD_PATHSPEC) : undefined;
  const first = log?.next();
  for (const [path, blob] of (await repository.tree).baseFiles) {
    alive.set(path, trackFrom(path, blob, base!));
  }
  const exclude = repository.sinceCommit ? [repository.sinceCommit] : [];
  const walk: Walk = { top, head, exclude, branches: new Map() };
  if (log && first) {
    const commits = async function* () {
      for (let next = await first; !next.done; next = await log.next()) yield next.value;
    };
    const followed: Followed = {
      alive,
      deleted,
      start,
      complete: true,
      probes: new Map(),
      left: new Map(),
    };
    await followLog(commits(), followed, walk);
  }
  const tracks = [...new Set([...alive.values(), ...deleted.values()])];
  await settleChecks(tracks, walk);
  const sinceTracks = repository.join
    ? await checkSinceLines(repository, repository.join, alive)
    : new Map<string, Track | undefined>();

  const reached = new Set<Track>();
  const working: { file: string; gitPath: string; track: Track; result: HistoryResult }[] = [];
  const present = new Set<string>(); // the files' paths from the top
  const untold = new Map<string, string>(); // path from the top → file, of those git has not
  // Moves git has not been told of: the next commit would delete the file and leave its records
  // untracked (a snapshot copy looks the same), so they fail until the move is added.
  // Each with what the next commit would do to the file it left: delete it, or rewrite it.
  const untrackedMoves = new Map<HistoryResult, { track: Track; left: string }>();
  let told: TreeChange[] | undefined; // what git has been told of since HEAD (the index)
  for (const file of files) {
    const gitPath = gitRelative(top, await recordFileAt(file));
    present.add(gitPath);
    const link = await linkTarget(file);
    let track = alive.get(gitPath);
    if (!track && head && link === undefined) {
      const found = await renamedFrom(gitPath, top);
      const candidate = found && alive.get(found.from);
      // Between two DeliverableIDs, git's pairing is a move only when the file kept its bytes.
      if (candidate && (!found.across || await workingTreeKeeps(candidate.blob, file, top))) {
        track = candidate;
        track.renames.push({ commit: WORKING_TREE, from: track.path, to: gitPath });
        track.notes.push(renameNote(track.path, WORKING_TREE));
      }
    }
    track ??= deleted.get(gitPath);
    const result = historyResult(repository, since, gitPath, track);
    if (track && track.path !== gitPath && track.renames.at(-1)?.commit === WORKING_TREE) {
      // Paired in the working tree: a move only once the index holds it (the new file added,
      // the old one removed), else the next commit deletes the one and leaves the other out.
      told ??= await treeChanges("HEAD", "index", top);
      const from = track.path;
      const added = told.some((c) =>
        (c.status === "R" && c.from === from && c.path === gitPath) ||
        (c.status === "A" && c.path === gitPath)
      );
      const removed = told.some((c) =>
        (c.status === "R" || c.status === "D") && (c.from ?? c.path) === from
      );
      if (!added || !removed) untrackedMoves.set(result, { track, left: "deleted" });
    }
    if (!track) {
      result.notes.push(`not in git history since ${since}; nothing to compare`);
      if (link === undefined) untold.set(gitPath, file);
    } else {
      reached.add(track);
      if (track.failure) result.failure = track.failure;
      else if (link === undefined) working.push({ file, gitPath, track, result });
    }
    // Never read through: the link may name any file (/etc/shadow).
    if (link !== undefined) {
      result.failure ??= {
        commit: WORKING_TREE,
        subject: "",
        previous: track?.label ?? head ?? repository.sinceCommit,
        previousPath: track?.path ?? gitPath,
        line: 1,
        message: symlinkMessage(link, "the working tree"),
      };
    }
    histories.set(file, result);
  }
  // Files a target held that HEAD (or a `git mv` not committed) has where the targets' walk
  // does not look: followed there. One that is not there is missing below.
  const moved = new Map<string, HistoryResult>();
  // `file` (at `gitPath`) checked against `track`'s history: one of `files` (`among`), or moved
  // where the targets' walk does not look.
  const follow = (track: Track, gitPath: string, file: string, note?: string, among = false) => {
    reached.add(track);
    if (note) track.notes.push(note);
    const result = historyResult(repository, since, gitPath, track);
    if (!among) result.notes.push(movedNote(gitPath, scopes));
    if (track.failure) result.failure = track.failure;
    else working.push({ file, gitPath, track, result });
    (among ? histories : moved).set(file, result);
    return result;
  };
  let staged: TreeChange[] | undefined; // the working tree's changes since HEAD, when needed
  const unstaged: Track[] = []; // deleted in the working tree, git not told: a plain `mv`?
  for (const track of tracks) {
    if (reached.has(track) || alive.get(track.path) !== track || !heldByTargets(track, scopes)) {
      continue;
    }
    let gitPath = track.path;
    if (holdsFile(gitPath, scopes)) {
      staged ??= await treeChanges("HEAD", undefined, top);
      const to = staged.find((c) => c.status === "R" && c.from === track.path)?.path;
      if (to === undefined) {
        if (staged.some((c) => c.status === "D" && c.path === track.path)) unstaged.push(track);
        continue;
      }
      if (holdsFile(to, scopes)) continue;
      gitPath = to;
    }
    const file = join(top, ...gitPath.split("/"));
    if (!await Deno.stat(file).then((info) => info.isFile, () => false)) continue;
    if (gitPath !== track.path) {
      // Between two DeliverableIDs, git's pairing is a move only when the file kept its bytes.
      if (!sameDeliverable(track.path, gitPath) && !await workingTreeKeeps(track.blob, file, top)) {
        continue;
      }
      track.renames.push({ commit: WORKING_TREE, from: track.path, to: gitPath });
      follow(track, gitPath, file, renameNote(track.path, WORKING_TREE));
    } else follow(track, gitPath, file);
  }
  // The record files a file's records may have gone to in the working tree, read when needed.
  let candidates: Promise<RecordCandidates> | undefined;
  const index = async () =>
    await (candidates ??= (async () =>
      candidateIndex(staged ??= await treeChanges("HEAD", undefined, top), top))());
  // `track` followed to the file `to` holds its records in: one of `files` git had not been
  // told of, taken for new, or one where the targets' walk does not look.
  const followTo = (track: Track, to: Candidate, note: string, left = "deleted") => {
    track.renames.push({ commit: WORKING_TREE, from: track.path, to: to.path });
    const file = untold.get(to.path);
    const result = file === undefined
      ? follow(track, to.path, join(top, ...to.path.split("/")), note)
      : follow(track, to.path, file, note, true);
    if (!to.told) untrackedMoves.set(result, { track, left });
    return result;
  };
  for (const { track, chosen, copies } of await movedUntracked(unstaged, index, top)) {
    followTo(track, chosen, untoldMoveNote(track, chosen, copies, false));
  }
  const rewritten = await workingTreeChecks(working, top);
  // A file rewritten into a new one whose records an added or untracked file (or its own git mv)
  // holds: its deliverable retired there and restarted here. Followed there; this is a new file.
  const restarted: typeof working = [];
  for (const entry of rewritten) {
    const { file, gitPath, track } = entry;
    const [before] = await readObjects([track.blob], top);
    if (!before || !restarts(before, await Deno.readFile(file))) continue;
    const found = await index();
    // Retired, the deliverable's folder keeps its ID: a copy elsewhere is a snapshot, which
    // excuses no rewrite.
    const retiredCopies: Candidate[] = [];
    for (const copy of await found.holding(recordsOf(before), track.path)) {
      if (await claimSameId(copy.path, gitPath, top)) retiredCopies.push(copy);
    }
    const choice = await chosenOf(before, retiredCopies, top);
    if (!choice) continue;
    found.take(choice.chosen.path);
    const { chosen, copies } = choice;
    const fresh = historyResult(repository, since, gitPath, undefined);
    fresh.notes = [
      `a new file at this path; the one it replaced was moved to ${oneLine(chosen.path)} in the ` +
      "working tree (followed there); nothing to compare",
    ];
    histories.set(file, fresh);
    const result = followTo(
      track,
      chosen,
      untoldMoveNote(track, chosen, copies, true),
      "rewritten",
    );
    restarted.push(...working.filter((w) => w.result === result));
  }
  // A file of the targets taken for new may hold the records of one outside them that was
  // moved there or retired there and restarted (the targets name `_Archive` alone).
  for (const [gitPath, file] of untold) {
    if (histories.get(file)?.renames.length) continue; // followed above
    const later = await regularFileBytes(file).then((bytes) => bytes && recordsOf(bytes));
    if (later?.deliverableId === undefined) continue;
    for (const track of tracks) {
      if (
        reached.has(track) || track.failure || alive.get(track.path) !== track ||
        folderDeliverableId(track.path) !== later.deliverableId
      ) continue;
      const [before] = await readObjects([track.blob], top);
      const earlier = before && recordsOf(before);
      if (!earlier || !holdsRecords(earlier, later)) continue;
      const there = await regularFileBytes(join(top, ...track.path.split("/")));
      // Still holding its records where it was: this file is a copy of it, not its move; one
      // that does not, a retired copy only in a folder of its ID.
      if (there && (!restarts(before, there) || !await claimSameId(gitPath, track.path, top))) {
        continue;
      }
      staged ??= await treeChanges("HEAD", undefined, top);
      const told = staged.some((c) => c.status === "A" && c.path === gitPath);
      const to: Candidate = { path: gitPath, told, bytes: new Uint8Array(), records: later };
      const note = untoldMoveNote(track, to, [], there !== undefined);
      const result = followTo(track, to, note, there ? "rewritten" : "deleted");
      restarted.push(...working.filter((w) => w.result === result));
      break;
    }
  }
  await workingTreeChecks(restarted, top);
  for (const [result, { track, left }] of untrackedMoves) {
    if (result.failure) continue; // rewritten there: that says more
    result.failure = {
      commit: WORKING_TREE,
      subject: "",
      previous: track.label,
      previousPath: track.path,
      line: 1,
      message: `moved from ${oneLine(track.path)}, and git has not been told: committed as it ` +
        `is, that file is ${left} and its records are left untracked; \`git add -A\` (or git ` +
        "add of both paths) records the move, which is then followed",
    };
  }
  // Files a target held at `base` or since, and those of a merged `since`, that reach no file
  // present: deleted in a commit, or in the working tree.
  let missing: { path: string; track?: Track }[] = [];
  for (const track of tracks) {
    if (reached.has(track) || !heldByTargets(track, scopes)) continue;
    // Not in HEAD and not failed: a file a merge left out whose branch added no record to it.
    if (alive.get(track.path) !== track && !track.failure) continue;
    missing.push({ path: track.path, track });
  }
  for (const [path, track] of sinceTracks) {
    if (!track) missing.push({ path });
    else if (!reached.has(track) && !missing.some((m) => m.track === track)) {
      missing.push({ path, track });
    }
  }
  // Record files in a tool root beneath a root target (a snapshot, a retired deliverable), which
  // its walk skips: one gone fails too, unless a record file left holds every record it held.
  const copies = new Map<Track, string>(); // each with its tool root
  const unheld = tracks.filter((track) => !reached.has(track) && !heldByTargets(track, scopes));
  // Gone from the working tree: what git says it lacks, asked once, not a look-up per file.
  const goneHere = !unheld.some((track) => alive.get(track.path) === track)
    ? new Set<string>()
    : new Set(
      (staged ??= await treeChanges("HEAD", undefined, top)).flatMap((c) =>
        c.status === "D" ? [c.path] : c.status === "R" ? [c.from!] : []
      ),
    );
  for (const track of unheld) {
    const gone = alive.get(track.path) === track ? goneHere.has(track.path) : !!track.failure;
    const toolRoot = gone ? skippedToolRoot(track, scopes) : undefined;
    if (toolRoot === undefined) continue;
    copies.set(track, toolRoot);
    missing.push({ path: track.path, track });
  }
  // A file in a folder that cannot be listed was not read, so its absence proves nothing.
  const unread = (t: Track) => {
    const absolute = join(top, ...t.path.split("/"));
    return unlisted.some((folder) => absolute.startsWith(`${folder}${sep}`));
  };
  missing = missing.filter(({ track }) =>
    !(track && !track.failure && alive.get(track.path) === track && unread(track))
  );
  const inHead = missing.flatMap(({ track }) =>
    track && alive.get(track.path) === track ? [track.path] : []
  );
  const sparse = await skipWorktreePaths(inHead, top);
  // Deleted in the working tree, a file that held no record (a header alone) takes none with it,
  // as a commit deleting it does; one whose version in the index holds a record (appended and
  // staged since HEAD) takes that record with it.
  const deletedHere = missing.flatMap(({ track }) =>
    track && !track.failure && alive.get(track.path) === track && !sparse.has(track.path)
      ? [track]
      : []
  );
  const [versions, inIndex] = await Promise.all([
    readObjects(deletedHere.map((t) => t.blob), top),
    readObjects(deletedHere.map((t) => `:${t.path}`), top),
  ]);
  // A file a reader refused as a symbolic link (not among `files`) is there, and is not one.
  const links = new Map<Track, string>();
  for (const track of deletedHere) {
    const link = await linkTarget(join(top, ...track.path.split("/")));
    if (link !== undefined) links.set(track, link);
  }
  const holdsNoRecord = (version: Uint8Array) => addedRecordCount(new Uint8Array(), version) === 0;
  const empty = new Set(
    deletedHere.filter((track, i) =>
      !links.has(track) && versions[i] !== undefined && holdsNoRecord(versions[i]!) &&
      (inIndex[i] === undefined || holdsNoRecord(inIndex[i]!))
    ),
  );
  const lost = await lostCopies(copies, sparse, top);
  const results = missing.filter(({ track }) =>
    !(track && (empty.has(track) || copies.has(track) && !lost.has(track)))
  ).map(
    ({ path, track }) => {
      const failure = track?.failure ?? (!track
        ? {
          commit: repository.join!.id,
          subject: repository.join!.subject,
          previous: repository.sinceCommit,
          previousPath: path,
          line: 1,
          message: `the file is not in HEAD: ${lostBy(repository, "deleted")}`,
          deleted: true,
        }
        : sparse.has(track.path)
        ? undefined
        : links.has(track)
        ? {
          commit: WORKING_TREE,
          subject: "",
          previous: track.label,
          previousPath: track.path,
          line: 1,
          message: symlinkMessage(links.get(track)!, "the working tree"),
        }
        : {
          commit: WORKING_TREE,
          subject: "",
          previous: track.label,
          previousPath: track.path,
          line: 1,
          message: "deleted in the working tree (not committed)",
          deleted: true,
        });
      if (track && sparse.has(track.path)) track.notes.push(SPARSE_NOTE);
      const result = historyResult(repository, since, track?.path ?? path, track);
      const copy = track && lost.get(track);
      return !failure ? result : {
        ...result,
        failure: copy === undefined ? failure : {
          ...failure,
          message: `${failure.message}; it was in ${copies.get(track!)}/, a tool root, which ` +
            `checks of the folders above skip, and record ${copy} is in no record file left`,
        },
      };
    },
  );
  return { missing: results, moved };
}

/** The result for the record file at `gitPath`, as far as its followed history `track` goes. */
function historyResult(
  repository: Repository,
  since: string,
  gitPath: string,
  track: Track | undefined,
): HistoryResult {
  return {
    since,
    sinceCommit: repository.sinceCommit,
    base: repository.base ?? null,
    workTree: repository.top,
    gitPath,
    pathAtSince: track?.pathAtBase ?? gitPath,
    existedAtSince: track?.existedAtBase ?? false,
    renames: track?.renames ?? [],
    commits: track?.commits ?? [],
    versionsCompared: track?.versions ?? 0,
    notes: track?.notes ?? [],
  };
}

/**
 * Whether a target held the followed file under one of its names: at
 * `base`, where it was created since, or after a rename. Records a target
 * held stay its to keep, wherever the file went.
 */
function heldByTargets(track: Track, scopes: Scope[]): boolean {
  return trackNames(track).some((name) => holdsFile(name, scopes));
}

/**
 * The tool root (a path from the top) that a root target's walk skips and that held the
 * followed file under one of its names; `undefined` when none did.
 */
function skippedToolRoot(track: Track, scopes: Scope[]): string | undefined {
  for (const name of trackNames(track)) {
    const folders = name.split("/").slice(0, -1);
    for (const scope of scopes) {
      if (!("root" in scope)) continue;
      const skipped = skippedFolder(scope, folders);
      if (skipped !== undefined && basename(skipped).startsWith("_")) return skipped;
    }
  }
  return undefined;
}

/**
 * The note of a record file a target held that is now at `path`, where the
 * targets' walk does not look: in a tool root (named, with what to do), or
 * outside the targets.
 */
function movedNote(path: string, scopes: Scope[]): string {
  const folders = path.split("/").slice(0, -1);
  const skipped = scopes.flatMap((scope) => "root" in scope ? [skippedFolder(scope, folders)] : [])
    .find((folder) => folder !== undefined);
  if (skipped === undefined) return "moved out of the targets; followed here and checked";
  const name = basename(skipped);
  const what = name.startsWith("_")
    ? `a tool root (a "_" folder of an execution root, for snapshot copies), which checks of ` +
      "the folders above skip"
    : "a folder that checks of the folders above skip";
  return `moved into ${skipped}/, ${what}: followed here and checked; to keep it checked, ` +
    `name it as a target, or move it out of ${name}/`;
}

/**
 * K-APPEND-1 for a revision off HEAD's first-parent chain, which the chain
 * from `base` does not pass through: every line of each of its record files
 * (under the targets) must still be in that file's version at HEAD, in any
 * order (a union merge may place them among others). The file is followed
 * to HEAD by git's rename detection, else by its DeliverableID. A missing
 * line is its file's failure, named at `join`: the chain keeps every line
 * from there on, so it was lost by that merge or the branch it merged.
 * Returns each file's track at HEAD (`undefined`: none there).
 */
async function checkSinceLines(
  repository: Repository,
  join: CommitInfo,
  alive: Map<string, Track>,
): Promise<Map<string, Track | undefined>> {
  const { top, sinceCommit, scopes } = repository;
  const [{ baseFiles }, changes] = await Promise.all([
    treeAt(sinceCommit, top),
    treeChanges(sinceCommit, repository.head, top),
  ]);
  const tracks = new Map<string, Track | undefined>();
  const compared: { path: string; blob: string; track: Track; across: boolean }[] = [];
  for (const [path, blob] of baseFiles) {
    if (!holdsFile(path, scopes)) continue;
    const own = changes.find((c) => c.path === path && c.status !== "R" && c.status !== "C");
    const renamed = changes.find((c) => c.status === "R" && c.from === path);
    const at = own || renamed ? pathAtHead(path, own ?? renamed!, changes) : { path };
    const track = at && alive.get(at.path);
    tracks.set(path, track);
    // An unchanged file is HEAD's as it was; a track that already failed keeps its failure.
    if (track && (own || renamed) && !track.failure) {
      compared.push({ path, blob, track, across: at.across === true });
    }
  }
  for (let i = 0; i < compared.length; i += BATCH) {
    const batch = compared.slice(i, i + BATCH);
    const objects = await readObjects(batch.flatMap((c) => [c.blob, c.track.blob]), top);
    for (const [j, { path, track, across }] of batch.entries()) {
      const missing = firstMissingLine(objects[2 * j]!, objects[2 * j + 1]!);
      if (missing && across) {
        // Paired across two DeliverableIDs and not kept: another deliverable's file, no rename.
        tracks.set(path, undefined);
        continue;
      }
      track.versions++;
      if (!missing) continue;
      const what = missing.runId
        ? `record ${missing.runId} (line ${missing.line})`
        : `line ${missing.line}`;
      // Its run still there with other bytes: the record was edited, not dropped.
      const lost = missing.changedAt === undefined
        ? `is not in HEAD's version: ${lostBy(repository, "dropped")}`
        : `is not in HEAD's version as it was: HEAD's line ${missing.changedAt} holds that ` +
          `run (RunID, AgentName, RunTimestamp) with other bytes${
            fieldWords(missing.fields ?? [])
          }, ` +
          lostBy(repository, "changed");
      track.failure = {
        commit: join.id,
        subject: join.subject,
        previous: sinceCommit,
        previousPath: path,
        line: missing.line,
        message: `${what} ${lost}`,
      };
    }
  }
  return tracks;
}
