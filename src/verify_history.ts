/**
 * K-APPEND-1 against git history: every version of a record file since a
 * revision (each first-parent commit's, then the working tree's) has the one
 * before as a byte-for-byte prefix, following the file across renames of its
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
 * @module
 */
import {
  addedLineMissing,
  addedRecordCount,
  firstMissingLine,
  mergeLines,
  prefixProblem,
} from "./append_only.ts";
import { failureReason, InputError, OptionError } from "./errors.ts";
import {
  blobId,
  cleanBlobId,
  gitRepository,
  gitTopLevel,
  readObjects,
  resolveCommit,
  runGit,
  skipWorktreePaths,
  storedAs,
  type TreeChange,
  treeChanges,
  untrackedFiles,
} from "./git.ts";
import { sortUtf8 } from "./manifest.ts";
import { holdsRecords, recordsOf, restartInLastMinute, restarts } from "./moved_records.ts";
import { type Candidate, RecordCandidates, regularFileBytes } from "./record_candidates.ts";
import { type FileChange, type LoggedCommit, recordFileLog } from "./history_log.ts";
import {
  CONTEXT_FILE,
  DELIVERABLE_FOLDER,
  deliverableId,
  HOST_FILE_LIMIT,
  isToolRoot,
} from "./deliverable.ts";
import { claimedIds } from "./claimed_ids.ts";
import { basename, dirname, join, relative, resolve, sep } from "./path.ts";
import { DELIVERABLE_ID_SYNTAX } from "./schema.ts";
import { shellWord } from "./shell_word.ts";
import { oneLine } from "./names.ts";
import { closestNames } from "./near_names.ts";
import { recordsNotHeld } from "./records_elsewhere.ts";
import { isMiscasedRecordFile } from "./other_case.ts";
import {
  checkHistoriesOptions,
  checkPathArgument,
  checkPathsArgument,
  shownValue,
} from "./argument_checks.ts";

const RECORD_FILE = "RunRecords.csv";
// In any case: where case does not count (macOS, Windows) `runrecords.csv` is the record file, and a
// commit renaming it `RunRecords.csv` is checked against it (trial-38 F6).
const RECORD_PATHSPEC = `:(glob,icase)**/${RECORD_FILE}`;
const WORKING_TREE = "working tree";
const SPARSE_NOTE = "outside the sparse checkout: checked as committed";
/** What `git cat-file` finds for no object: the version before a file existed. */
const EMPTY_BLOB = "0".repeat(40);
const NEWLINE = 10;
/** Versions read whole at once, at most: bounds memory when many diffs need their bytes. */
const BATCH = 64;

/** Where K-APPEND-1 first fails. */
export interface HistoryFailure {
  /** The commit whose version breaks the rule, or `"working tree"`. */
  commit: string;
  /** Subject line of that commit (`""` for the working tree). */
  subject: string;
  /** The version it was compared with: a commit id. */
  previous: string;
  /** The file's path in `previous`; not the checked path when the file was renamed since. */
  previousPath: string;
  /** First line (1-based) where the two versions differ. */
  line: number;
  /** What happened, in words. */
  message: string;
  /** `true` when the file itself was deleted: `line` is then 1, no line of it at fault. */
  deleted?: boolean;
  /** What to do when the commit undid runs on purpose (a revert, `git rm`): keep their records. */
  remedy?: string;
}

/** A rename of the record file (its deliverable folder renamed or moved) that the check followed. */
export interface Rename {
  /** The commit that renamed it, or `"working tree"`. */
  commit: string;
  /** Path before, relative to the top of the work tree, `/`-separated. */
  from: string;
  /** Path after. */
  to: string;
}

/** What {@linkcode verifyHistories} found for one file. */
export interface HistoryResult {
  /** The revision as given. */
  since: string;
  /** The commit it names (in a submodule: the commit the revision records for it). */
  sinceCommit: string;
  /**
   * The commit the check starts from: `sinceCommit`, or where HEAD's
   * first-parent history meets it (a branch behind its base, a revision off
   * that chain); `null` when they share no history.
   */
  base: string | null;
  /** The top folder of the git work tree (the submodule's, for a file in one), symbolic links resolved. */
  workTree: string;
  /** Path of the file relative to the top of the work tree, `/`-separated. */
  gitPath: string;
  /** Its path at `base`, or where its history starts: `gitPath` unless it was renamed. */
  pathAtSince: string;
  /** Whether the file existed at `base`. */
  existedAtSince: boolean;
  /** Renames followed, oldest first. */
  renames: Rename[];
  /** Commits in `base..HEAD` (first-parent) that changed the file, oldest first. */
  commits: string[];
  /** Versions compared: the one at `base`, each commit's, the working tree's. */
  versionsCompared: number;
  /** `undefined` when every later version extends every earlier one. */
  failure?: HistoryFailure;
  /** Things worth knowing that are not failures (union merges accepted, file new since REV). */
  notes: string[];
}

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

/** The first line of a commit, as failures name it. */
interface CommitInfo {
  id: string;
  parents: string[];
  subject: string;
}

/** A comparison of two versions left to their bytes, or a deletion. */
type Check =
  | {
    kind: "bytes";
    commit: CommitInfo;
    previous: string;
    previousPath: string;
    oldBlob: string;
    newBlob: string;
    /** The file's names, newest first: where a merge's other parents hold it. */
    names: string[];
    /** At a merge: the merged branches' versions of the file, whose added lines it must keep. */
    merged?: BranchFile[];
  }
  /**
   * A deletion of the file, whose last version (`blob`) is read to count the records lost; at a
   * merge, the merged branches' versions of it (a branch's deletion is named by its commit).
   */
  | {
    kind: "deleted";
    commit: CommitInfo;
    previous: string;
    previousPath: string;
    blob: string;
    merged?: BranchFile[];
  }
  /** The file made a symbolic link, whose target `blob` holds: runrec refuses it as a record file. */
  | { kind: "link"; commit: CommitInfo; previous: string; previousPath: string; blob: string }
  /** A merge that kept the first parent's version (`blob`) of a file a merged branch changed. */
  | { kind: "kept"; commit: CommitInfo; blob: string; merged: BranchFile[] }
  /**
   * A merge in whose tree a file a merged branch changed was not followed:
   * its version is the first of `specs` (`<merge>:<path>`) git has; with
   * none, the merge left the file out.
   */
  | { kind: "absent"; commit: CommitInfo; specs: string[]; merged: BranchFile[] };

/** One record file's history, followed forward from the starting commit. */
interface Track {
  pathAtBase: string;
  existedAtBase: boolean;
  /** Its path now, and the blob and commit of its latest version. */
  path: string;
  blob: string;
  /** The blob it was followed from (`EMPTY_BLOB` for a file created since): what a branch added to. */
  startBlob: string;
  label: string;
  renames: Rename[];
  commits: string[];
  versions: number;
  notes: string[];
  checks: Check[];
  failure?: HistoryFailure;
}

/** A git repository the check covers: one a target is in, or a submodule beneath one. */
interface Repository {
  /** Top of its work tree, symbolic links resolved. */
  top: string;
  /** The record files the targets hold in it. */
  scopes: Scope[];
  sinceCommit: string;
  base?: string;
  head?: string;
  /**
   * When `sinceCommit` is off HEAD's first-parent chain and HEAD contains
   * it: the first commit of that chain that contains it (the merge that
   * brought it in). The chain from `base` does not pass through
   * `sinceCommit`, so its record lines are looked for in HEAD's versions.
   */
  join?: CommitInfo;
  /**
   * Why HEAD's versions must hold `sinceCommit`'s record lines, as failures
   * name it: `merged`, HEAD contains it off the first-parent chain (`join`
   * is the merge that brought it in); `rewritten`, HEAD does not contain
   * it and no branch or tag does (`join` is HEAD); `unrelated`, HEAD's
   * history and its share no commit (`join` is HEAD): a rewrite from
   * scratch (an orphan branch); `diverged`, HEAD does not contain it and
   * a branch or tag does (`join` is HEAD): a rewrite another ref kept, a
   * branch behind it, a submodule moved to another history.
   */
  relation?: "merged" | "rewritten" | "unrelated" | "diverged";
  /** Record files at `base` (path to blob id) and submodules (path to the commit recorded for it). */
  tree: Promise<BaseTree>;
}

interface BaseTree {
  baseFiles: Map<string, string>;
  gitlinks: Map<string, string>;
}

/**
 * Checks K-APPEND-1 for record files against git: the version at `since`,
 * the version of every first-parent commit in `since..HEAD` that changed the
 * file, and the working tree's, each must have the one before as a
 * byte-for-byte prefix. When the file did not exist at `since`, the chain
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
 * as they are, so a record it inserted, swapped, or changed and restored
 * would otherwise pass as appended).
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
 * Throws {@linkcode InputError} when `since` names no commit (in a shallow
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
    throw new InputError(`since: must be a git revision, got ${shownValue(since)}`);
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
      throw new InputError(`${target}: not in a git work tree (--since needs git history)`);
    }
    const top = await Deno.realPath(found.top);
    const scope = await scopeOf(await realTarget(absolute), top);
    const known = repositories.get(top);
    if (known) {
      known.scopes.push(scope);
      continue;
    }
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
  const realFiles = await Promise.all(files.map((f) => recordFileAt(f).catch(cannotRead(f))));
  const fileTops = await Promise.all(realFiles.map((file) => repositoryOf(file, repositories)));
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
    throw new InputError(`${path}: cannot read: ${failureReason(error)}`, { cause: error });
  };
}

/**
 * {@linkcode verifyHistories} for one record file.
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
 * in. Found in the file system, not by running git once per file.
 */
async function repositoryOf(file: string, known: Map<string, Repository>): Promise<string> {
  for (let dir = dirname(file);; dir = dirname(dir)) {
    if (known.has(dir)) return dir;
    const hasGit = await Deno.lstat(join(dir, ".git")).then(() => true, () => false);
    if (hasGit) {
      const top = await gitTopLevel(dir);
      if (top) return await Deno.realPath(top);
    }
    if (dirname(dir) === dir) {
      throw new InputError(`${file}: not in a git work tree (--since needs git history)`);
    }
  }
}

/** `path` relative to `top`, `/`-separated; an InputError when it is outside. */
function gitRelative(top: string, path: string): string {
  const relativePath = relative(top, path).split(sep).join("/");
  if (relativePath === ".." || relativePath.startsWith("../")) {
    throw new InputError(`${path}: resolves outside the git work tree ${top}`);
  }
  return relativePath;
}

/**
 * The record files one target holds, as `resolveTargets` (targets.ts) finds
 * them in the working tree, so that both sides agree on what a target holds:
 * a file target itself, a deliverable folder its own `RunRecords.csv`, a root
 * every one beneath it that a walk reaches. Paths relative to the top.
 */
type Scope =
  /** A file target, or a deliverable folder's own record file. */
  | { file: string }
  /** A root: `path` (`""`: the top) is `real` on disk. */
  | { root: string; real: string };

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

/** Seven hex digits of a commit id, as git abbreviates. */
function short(id: string): string {
  return /^[0-9a-f]{40,}$/.test(id) ? id.slice(0, 7) : id;
}

/**
 * Where the check of the repository at `top` starts for `since`: the
 * first-parent commit of HEAD's history that `since` contains. A shallow
 * clone that lacks part of that history is completed first, or refused.
 */
async function startingPoint(
  top: string,
  shallow: Set<string>,
  since: string,
  notes: string[],
): Promise<Repository> {
  let sinceCommit = await resolveCommit(since, top);
  // Only a name the clone's cut could explain is worth fetching for; a typo is just unknown.
  const cutOff = !sinceCommit && shallow.size > 0 && await mayBeCutOff(since, top);
  let deepened = cutOff ? await deepen(top, notes) : undefined;
  if (deepened === true) {
    shallow.clear();
    sinceCommit = await resolveCommit(since, top);
  }
  if (!sinceCommit) {
    throw sinceError(
      `unknown revision ${JSON.stringify(since)} in ${top}` +
        (cutOff && shallow.size > 0
          ? `: a shallow clone, which may lack that commit: ${shallowRemedy(deepened)}`
          : !await resolveCommit("HEAD", top)
          ? ": the repository has no commits yet (commit the record files first; runrec verify " +
            "without --since checks them as they are)"
          : await unfetchedBranch(since, top) || await nearRefs(since, top)),
    );
  }
  let walk = await firstParentWalk(sinceCommit, top);
  const cut = walk.find((c) => shallow.has(c.id));
  // A merged branch cut short would be checked from its cut only: a rewrite before it passes.
  const branchCut = !cut && shallow.size > 0
    ? await cutBranch(sinceCommit, walk, shallow, top)
    : undefined;
  if (cut || branchCut) deepened = await deepen(top, notes);
  if ((cut || branchCut) && deepened === true) {
    shallow.clear();
    walk = await firstParentWalk(sinceCommit, top);
  } else if (cut) {
    throw sinceError(
      `${top} is a shallow clone and lacks history since ${since}: commit ` +
        `${short(cut.id)}'s parents are not here, so K-APPEND-1 cannot be checked; ` +
        shallowRemedy(deepened),
    );
  } else if (branchCut) {
    const { merge, commit } = branchCut;
    throw sinceError(
      `${top} is a shallow clone and lacks the history of the branch that commit ` +
        `${short(merge.id)} ${JSON.stringify(merge.subject)} merges: commit ${short(commit)}'s ` +
        "parents are not here, so the branch cannot be followed to where it left; " +
        shallowRemedy(deepened),
    );
  }
  const head = walk.at(-1)?.id ?? await resolveCommit("HEAD", top);
  const named = `${since} (${short(sinceCommit)})`;
  const meets = await meeting(top, sinceCommit, walk, head, { named, since, notes, remedy: true });
  return { top, scopes: [], sinceCommit, head, ...meets, tree: treeAt(meets.base, top) };
}

/** How {@linkcode meeting} words its note about the revision, and where the note goes. */
interface MeetingNote {
  /** The revision with its commit: `main~3 (abc1234)`. */
  named: string;
  /** The revision alone, as the note's "every record ... holds" names it. */
  since: string;
  /** Where the note goes. */
  notes: string[];
  /**
   * Whether the note says how to check a branch only behind the revision
   * (`--since` the merge base): for the repository `--since` names a commit in.
   */
  remedy: boolean;
}

/**
 * Where HEAD's first-parent chain (`walk`: the commits of `sinceCommit..HEAD`
 * on it) meets `sinceCommit` (`base`: the newest commit of the chain that
 * `sinceCommit` contains, `undefined` when the chain reaches its first
 * commit first), and why HEAD's files must also hold `sinceCommit`'s record
 * lines (`relation`, with `join`); a note says which ({@linkcode MeetingNote}).
 * A revision HEAD does not contain is never taken for one a branch is only
 * behind: a branch or tag holding it proves nothing about HEAD.
 */
async function meeting(
  top: string,
  sinceCommit: string,
  walk: CommitInfo[],
  head: string | undefined,
  { named, since, notes, remedy }: MeetingNote,
): Promise<Pick<Repository, "base" | "join" | "relation">> {
  const oldest = walk[0];
  // With no commit of HEAD's first-parent chain outside `since`, HEAD itself is where they meet.
  const base = oldest ? oldest.parents[0] : head;
  if (base === sinceCommit) return { base };
  const contained = (await runGit(["merge-base", "--is-ancestor", sinceCommit, "HEAD"], top))
    .code === 0;
  // With no base, HEAD's chain reached its first commit without meeting `since`: nothing
  // before that chain holds `since`'s lines, so each must still be in HEAD's files.
  const relation: Repository["relation"] = contained
    ? "merged"
    : !base
    ? "unrelated"
    : await onSomeRef(sinceCommit, top)
    ? "diverged"
    // Not in HEAD and in no branch or tag: what a force-push, amend or reset leaves behind.
    : "rewritten";
  const join = relation === "merged"
    ? await joinCommit(sinceCommit, walk, top)
    : await commitInfo(head!, top);
  const must = `and every record ${since} holds must still be in HEAD's files`;
  notes.push(
    relation === "merged"
      ? `${named} is not on HEAD's first-parent chain (a merged branch): ` +
        (base
          ? `checked from ${short(base)}, the newest commit of that chain it contains`
          : "that chain shares no commit with its history (a merge of unrelated histories " +
            `took it in): every record file is checked from its first version, ${must}`)
      : relation === "unrelated"
      ? `HEAD's history shares no commit with ${named} in ${top} (history rewritten from ` +
        `scratch, as an orphan branch): every record file is checked from its first version, ${must}`
      : relation === "rewritten"
      ? `HEAD does not contain ${named}, and no branch or tag does: history was rewritten ` +
        `since (a force-push, amend or reset); checked from their merge base ${
          short(base!)
        }, ${must}`
      : `HEAD does not contain ${named}: checked from their merge base ${short(base!)}, ${must}` +
        (remedy
          ? ` (for a branch only behind ${since}, check from where it left: --since ${
            short(base!)
          })`
          : ""),
  );
  return { base, join, relation };
}

/**
 * For `since` naming a remote's branch (`origin/main`) this clone has no ref
 * for: why (a clone of one branch, as `--depth` makes, fetches no other) and
 * the remedy, as a clause to append; else `""`.
 */
async function unfetchedBranch(since: string, top: string): Promise<string> {
  const slash = since.indexOf("/");
  if (slash <= 0) return "";
  const remote = since.slice(0, slash);
  const branch = since.slice(slash + 1);
  const remotes = new TextDecoder().decode((await runGit(["remote"], top)).stdout).split("\n");
  if (!remotes.includes(remote)) return "";
  return `: this clone has no ref for ${remote}'s ${branch} (a clone of one branch, as ` +
    `--depth or --single-branch makes, fetches no other): git fetch ${remote} ` +
    `${branch}:refs/remotes/${since} first (GitHub Actions: actions/checkout with ` +
    "`fetch-depth: 0`)";
}

/**
 * The branches and tags one or two edits from `since` (`mian`, `orgin/main`), as
 * `" (did you mean main?)"`, else `""`: the refs are listed only once `since` is not found.
 */
async function nearRefs(since: string, top: string): Promise<string> {
  const refs = new TextDecoder().decode(
    (await runGit(["for-each-ref", "--format=%(refname:short)"], top)).stdout,
  ).split("\n").filter((r) => r !== "");
  const near = closestNames(since, refs).slice(0, 3);
  return near.length === 0 ? "" : ` (did you mean ${near.join(" or ")}?)`;
}

/**
 * An error in `since`, named as its caller knows it: `since` to a script,
 * `--since` on the command line.
 */
function sinceError(rest: string): OptionError {
  return new OptionError((name) => `${name("since")}: ${rest}`);
}

const SHALLOW_REMEDY = "fetch it with `git fetch --unshallow` " +
  "(GitHub Actions: actions/checkout with `fetch-depth: 0`)";

/**
 * What to do about a shallow clone: fetch the rest, or, when verify's own
 * fetch failed (a read-only checkout), clone it whole elsewhere, since that
 * same fetch would fail again.
 */
function shallowRemedy(fetchFailure: string | true | undefined): string {
  if (typeof fetchFailure !== "string") return SHALLOW_REMEDY;
  return `verify's own \`git fetch --unshallow\` from the remote on this machine failed ` +
    `(${fetchFailure}): verify a clone made with the full history instead (\`git clone\` ` +
    "without --depth; GitHub Actions: actions/checkout with `fetch-depth: 0`)";
}

/**
 * Whether `since`, which names no commit here, may name one a shallow clone
 * lacks: it looks like a commit id, or an ancestor of a commit the clone has
 * (`HEAD~3`, `main^2`).
 */
async function mayBeCutOff(since: string, top: string): Promise<boolean> {
  if (/^[0-9a-f]{4,64}$/i.test(since)) return true;
  const start = /^(.+?)(?:[~^][0-9]*)+$/.exec(since)?.[1];
  return start !== undefined && await resolveCommit(start, top) !== undefined;
}

/**
 * A commit of `since..HEAD` off its first-parent chain (`walk`) whose
 * parents a shallow clone lacks, with the merge of that chain that brings
 * it in; `undefined` when the clone holds every merged branch back to where
 * it left.
 */
async function cutBranch(
  since: string,
  walk: CommitInfo[],
  shallow: Set<string>,
  top: string,
): Promise<{ merge: CommitInfo; commit: string } | undefined> {
  const { stdout } = await runGit(["rev-list", `${since}..HEAD`], top);
  const commit = new TextDecoder().decode(stdout).split("\n").find((id) => shallow.has(id));
  if (!commit) return undefined;
  return { merge: await joinCommit(commit, walk, top), commit };
}

/** The first-parent commits of `since..HEAD`, oldest first, with their parents. */
async function firstParentWalk(since: string, top: string): Promise<CommitInfo[]> {
  const { code, stdout } = await runGit(
    ["rev-list", "--first-parent", "--parents", "--reverse", `${since}..HEAD`],
    top,
  );
  if (code !== 0) return []; // no commit on HEAD yet
  return new TextDecoder().decode(stdout).split("\n").filter((l) => l !== "").map((line) => {
    const [id, ...parents] = line.split(" ");
    return { id, parents, subject: "" };
  });
}

/**
 * The oldest commit of `walk` (HEAD's first-parent chain beyond `base`)
 * that contains `sinceCommit`, with its subject. HEAD contains it, so one does.
 */
async function joinCommit(sinceCommit: string, walk: CommitInfo[], top: string) {
  const { stdout } = await runGit(["rev-list", "--ancestry-path", `${sinceCommit}..HEAD`], top);
  const descendants = new Set(new TextDecoder().decode(stdout).split("\n"));
  const join = walk.find((c) => descendants.has(c.id))!;
  return { ...join, subject: await commitSubject(join.id, top) };
}

/** Whether a branch, remote-tracking branch or tag contains `commit`. */
async function onSomeRef(commit: string, top: string): Promise<boolean> {
  const { stdout } = await runGit(
    [
      "for-each-ref",
      "--count=1",
      "--format=%(refname)",
      "--contains",
      commit,
      "refs/heads/",
      "refs/remotes/",
      "refs/tags/",
    ],
    top,
  );
  return new TextDecoder().decode(stdout).trim() !== "";
}

/** A commit with its subject. */
async function commitInfo(id: string, top: string): Promise<CommitInfo> {
  return { id, parents: [], subject: await commitSubject(id, top) };
}

/** The first line of commit `id`'s message, in UTF-8 whatever the user's config asks of `git log`. */
async function commitSubject(id: string, top: string): Promise<string> {
  const { stdout } = await runGit(
    ["-c", "i18n.logOutputEncoding=UTF-8", "log", "-1", "--format=%s", id],
    top,
  );
  return new TextDecoder().decode(stdout).trim();
}

/**
 * Completes a shallow clone from its remote when that remote is on this
 * machine (a path or `file://`), so that no network is used: `true` when it
 * did, git's error when its fetch failed (a read-only checkout), else `undefined`.
 */
async function deepen(top: string, notes: string[]): Promise<true | string | undefined> {
  const names = new TextDecoder().decode((await runGit(["remote"], top)).stdout).split("\n")
    .filter((n) => n !== "");
  const name = names.includes("origin") ? "origin" : names.length === 1 ? names[0] : undefined;
  if (!name) return undefined;
  const url = new TextDecoder().decode((await runGit(["remote", "get-url", name], top)).stdout)
    .trim();
  const path = url.startsWith("file://")
    ? decodeURIComponent(url.slice("file://".length))
    : /^[^/]*:/.test(url)
    ? undefined // ssh, https, scp-like host:path: not on this machine
    : resolve(top, url);
  if (!path || !(await Deno.stat(path).then(() => true, () => false))) return undefined;
  const fetched = await runGit(["fetch", "-q", "--unshallow", name], top);
  if (fetched.code !== 0) {
    return fetched.stderr.split("\n").map((line) => line.trim()).find((line) => line !== "") ??
      `git exited with ${fetched.code}`;
  }
  notes.push(
    `${top} was a shallow clone: fetched the rest of its history from ${name} (${url}, ` +
      `on this machine)`,
  );
  return true;
}

/** The record files and submodules of commit `base` (none when `undefined`). */
async function treeAt(
  base: string | undefined,
  top: string,
): Promise<BaseTree> {
  const baseFiles = new Map<string, string>();
  const gitlinks = new Map<string, string>();
  if (!base) return { baseFiles, gitlinks };
  const { code, stdout, stderr } = await runGit(
    ["ls-tree", "-r", "-z", "--full-tree", base],
    top,
  );
  if (code !== 0) throw new Error(`git ls-tree failed: ${stderr.split("\n")[0]}`);
  for (const entry of new TextDecoder().decode(stdout).split("\0")) {
    // `<mode> <type> <id>\t<path>`
    const tab = entry.indexOf("\t");
    if (tab < 0) continue;
    const [, type, id] = entry.slice(0, tab).split(" ");
    const path = entry.slice(tab + 1);
    if (type === "commit") gitlinks.set(path, id);
    else if (type === "blob" && isRecordFile(path)) baseFiles.set(path, id);
  }
  return { baseFiles, gitlinks };
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
        `submodule ${top}: commit ${short(recorded)}, which ${since} records for it, ` +
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
      `submodule ${top} is a shallow clone and lacks history since ${short(base!)}: ` +
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
  const walk: Walk = { top, exclude, branches: new Map() };
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

/**
 * Of the record files `copies` (in tool roots, gone), those whose records
 * are lost, each with the RunID of the first record no record file left
 * holds (a snapshot whose lines the live file holds loses nothing). The
 * versions looked at: the one the check started from, the last one before
 * the deletion (or before a rewrite that failed first), and the index's.
 * One left out by a sparse checkout is not gone.
 */
async function lostCopies(
  copies: Map<Track, string>,
  sparse: Set<string>,
  top: string,
): Promise<Map<Track, string>> {
  const gone = [...copies.keys()].filter((track) => !sparse.has(track.path));
  const specs = gone.map((track) => [
    ...track.startBlob === EMPTY_BLOB ? [] : [track.startBlob],
    track.failure ? `${track.failure.previous}:${track.failure.previousPath}` : track.blob,
    ...track.failure ? [] : [`:${track.path}`],
  ]);
  const objects = await readObjects(specs.flat(), top);
  let at = 0;
  const versions = specs.map((list) =>
    list.flatMap(() => {
      const bytes = objects[at++];
      return bytes === undefined ? [] : [bytes];
    })
  );
  const missing = await recordsNotHeld(versions, top);
  const lost = new Map<Track, string>();
  for (const [i, track] of gone.entries()) {
    if (missing[i] !== undefined) lost.set(track, missing[i]!);
  }
  return lost;
}

/**
 * Checks each working tree's file of `working` against HEAD's version of it
 * (a batch of HEAD's blobs at a time), setting its result's failure; returns
 * the entries that failed.
 */
async function workingTreeChecks(
  working: { file: string; gitPath: string; track: Track; result: HistoryResult }[],
  top: string,
): Promise<typeof working> {
  const failed: typeof working = [];
  for (let i = 0; i < working.length; i += BATCH) {
    const batch = working.slice(i, i + BATCH);
    const blobs = await readObjects(batch.map((w) => w.track.blob), top);
    for (const [j, entry] of batch.entries()) {
      const { file, gitPath, track, result } = entry;
      result.versionsCompared++;
      const problem = await workingTreeProblem(file, gitPath, blobs[j]!, top, result.notes);
      if (!problem) continue;
      result.failure = {
        commit: WORKING_TREE,
        subject: "",
        previous: track.label,
        previousPath: track.path,
        line: problem.line,
        message: problem.message,
        ...problem.remedy === undefined ? {} : { remedy: problem.remedy },
      };
      failed.push(entry);
    }
  }
  return failed;
}

/**
 * The note of the file `to` that `track`'s records were found in, moved
 * there in the working tree without git's rename (a plain `mv`, or a
 * retire and restart: a new file `begins` at the path it left).
 */
function untoldMoveNote(track: Track, to: Candidate, copies: string[], begins: boolean): string {
  return `moved from ${oneLine(track.path)} in the working tree` +
    `${to.told ? "" : ", not added to git"}${begins ? ", where a new file begins" : ""} ` +
    `(found by its records, not its name)${copiesNote(copies)}; checked against its history ` +
    "there";
}

/** What a note on a file followed says of the `copies` of it not followed: three named at most. */
function copiesNote(copies: string[]): string {
  // At most three named, as the note on a skipped tool root names its files.
  const shown = copies.slice(0, 3).map(oneLine);
  const more = copies.length > 3 ? ` and ${copies.length - 3} more` : "";
  return copies.length === 0
    ? ""
    : copies.length === 1
    ? `; ${shown[0]} holds its records too (a copy), not followed: name it to check it`
    : `; ${shown.join(", ")}${more} hold its records too (copies), not followed: name them to ` +
      "check them";
}

/**
 * Where each of the record files `deleted` (HEAD's, deleted in the working
 * tree and git not told) went, when a plain `mv` or a `cp -r` and `rm` took
 * it where git tracks nothing yet: the untracked record file that holds its
 * records, told by content ({@linkcode holdsRecords}), never by name (see
 * {@linkcode chosenOf}). Each file is one deleted file's at most.
 */
async function movedUntracked(
  deleted: Track[],
  candidates: () => Promise<RecordCandidates>,
  top: string,
): Promise<{ track: Track; chosen: Candidate; copies: string[] }[]> {
  if (deleted.length === 0) return [];
  const index = await candidates();
  const found: { track: Track; chosen: Candidate; copies: string[] }[] = [];
  // One version at a time: a batch of them would be held beside the candidates read.
  for (const track of deleted) {
    const [before] = await readObjects([track.blob], top);
    if (before === undefined) continue;
    const holding = (await index.holding(recordsOf(before), track.path)).filter((c) => !c.told);
    const choice = await chosenOf(before, holding, top);
    if (!choice) continue;
    index.take(choice.chosen.path);
    found.push({ track, ...choice });
  }
  return found;
}

/**
 * Of the files `holding` the records of the version `before`, the one it
 * went to: one that kept every byte of it, and of those one git does not
 * ignore, then the one with more records, then the first by path. The
 * others are its `copies`.
 */
async function chosenOf(
  before: Uint8Array,
  holding: Candidate[],
  top: string,
): Promise<{ chosen: Candidate; copies: string[] } | undefined> {
  if (holding.length <= 1) return holding[0] && { chosen: holding[0], copies: [] };
  const absolute = (c: Candidate) => join(top, ...c.path.split("/"));
  const storage = await storedAs(holding.map(absolute), top);
  const rank = (c: Candidate) => [
    prefixProblem(before, c.bytes) ? 1 : 0,
    storage.get(absolute(c))?.ignoredBy ? 1 : 0,
    -c.records.runIds.size,
  ];
  const ranked = holding.map((c, order) => ({ c, key: [...rank(c), order] }));
  ranked.sort((x, y) => {
    const at = x.key.findIndex((v, i) => v !== y.key[i]);
    return at < 0 ? 0 : x.key[at] - y.key[at];
  });
  const [chosen, ...others] = ranked.map(({ c }) => c);
  return { chosen, copies: others.map((c) => c.path) };
}

/**
 * The index of the record files a file's records may have gone to in the
 * working tree: those git does not track, and those added to its index or
 * renamed there (`staged`, the working tree's changes since HEAD), by path;
 * a rename's target only for the file renamed.
 */
async function candidateIndex(
  staged: TreeChange[],
  top: string,
): Promise<RecordCandidates> {
  const untracked = await untrackedFiles(RECORD_FILE, top);
  // Renamed too: `git mv` of a folder, then a new file begun, untracked, at the path it left.
  const told = new Map(
    staged.filter((c) => "ARC".includes(c.status) && isRecordFile(c.path))
      .map((c) => [c.path, c.status === "R" ? c.from : undefined]),
  );
  const paths = sortUtf8([...new Set([...untracked, ...told.keys()])]);
  return await RecordCandidates.index(
    paths.map((path) => ({ path, told: told.has(path), renamedFrom: told.get(path) })),
    top,
  );
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
          `run (RunID, AgentName, RunTimestamp) with other bytes, ${lostBy(repository, "changed")}`;
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

/**
 * What lost (`dropped` a line, `changed` a record, `deleted` a file) what `sinceCommit` held and
 * HEAD lacks, in words.
 */
function lostBy(
  { relation, sinceCommit, base }: Repository,
  verb: "dropped" | "changed" | "deleted",
): string {
  return relation === "rewritten"
    ? `${verb} when history was rewritten (no branch or tag holds ${short(sinceCommit)})`
    : relation === "unrelated"
    ? `${verb} when history was rewritten from scratch (HEAD's history shares no commit with ` +
      `${short(sinceCommit)})`
    : relation === "diverged"
    ? `${verb} since ${short(sinceCommit)}, which HEAD does not contain` +
      // A branch only behind it lost nothing: the check it wants starts where it left.
      (base ? ` (a branch only behind it: check it --since ${short(base)}, their merge base)` : "")
    : `${verb} by this merge or by the branch it merged`;
}

/**
 * The path at HEAD of the record file at `path` that `change` changed:
 * its own (modified), where git's rename detection took it (`across`: to
 * another DeliverableID's folder, a rename only if it kept every line), else
 * the one record file added in a folder of its DeliverableID; `undefined`
 * when none.
 */
function pathAtHead(
  path: string,
  change: TreeChange,
  changes: TreeChange[],
): { path: string; across?: boolean } | undefined {
  if (change.status === "R" && isRecordFile(change.path)) {
    return { path: change.path, across: !sameDeliverable(path, change.path) };
  }
  if (change.status !== "R" && change.status !== "D") return { path };
  const id = folderDeliverableId(path);
  const added = changes.filter((c) =>
    (c.status === "A" || c.status === "R") && isRecordFile(c.path) &&
    id !== undefined && folderDeliverableId(c.path) === id
  );
  return added.length === 1 ? { path: added[0].path } : undefined;
}

/** A record file's track from its version `blob` at commit `label`, where the check starts. */
function trackFrom(path: string, blob: string, label: string): Track {
  return {
    pathAtBase: path,
    existedAtBase: true,
    path,
    blob,
    startBlob: blob,
    label,
    renames: [],
    commits: [],
    versions: 1,
    notes: [],
    checks: [],
  };
}

/** Moves the tracks along one commit's changes of record files. */
function applyCommit(commit: LoggedCommit, followed: Followed): void {
  const { alive, deleted, start, left } = followed;
  const changes = commit.changes.filter((c) => isRecordFile(c.path));
  const renames: { from: string; change: FileChange }[] = [];
  const added: FileChange[] = [];
  const removed: FileChange[] = [];
  for (const change of changes) {
    // Git pairs files by content alone: between two DeliverableIDs, only a file that kept its
    // bytes (a folder moved to a new DEL number, runs appended or not) is one renamed.
    const renamed = change.status === "R" && change.from !== undefined &&
      (change.appended || "restartedAt" in change || sameDeliverable(change.from, change.path));
    if (renamed) {
      renames.push({ from: change.from!, change });
    } else if (change.status === "R" || change.status === "C") {
      if (change.status === "R") removed.push({ ...change, path: change.from! });
      added.push(change);
    } else if (change.status === "A") added.push(change);
    else if (change.status === "D") removed.push(change);
    else advance(alive.get(change.path), commit, change);
  }
  // A file added where one record file of the same DeliverableID was deleted: a rename
  // whose rewrite hid it from git.
  for (const change of [...added]) {
    const id = folderDeliverableId(change.path);
    const candidates = removed.filter((r) => id && folderDeliverableId(r.path) === id);
    if (candidates.length !== 1) continue;
    removed.splice(removed.indexOf(candidates[0]), 1);
    added.splice(added.indexOf(change), 1);
    renames.push({
      from: candidates[0].path,
      change: { ...change, oldBlob: candidates[0].oldBlob, appended: false },
    });
  }
  const moving = renames.map(({ from, change }) => {
    const track = alive.get(from);
    alive.delete(from);
    return { track, from, change };
  });
  for (const { track, from, change } of moving) {
    if (!track) continue;
    track.renames.push({ commit: commit.id, from, to: change.path });
    track.notes.push(
      "restartedAt" in change
        ? `moved from ${oneLine(from)} in commit ${short(commit.id)}, where a new file begins ` +
          "(found by its records, not its name); checked against its history there"
        : renameNote(from, commit.id),
    );
    alive.set(change.path, track);
    left.set(from, track);
    advance(track, commit, change);
  }
  for (const change of removed) {
    const track = alive.get(change.path);
    if (!track) continue;
    alive.delete(change.path);
    track.checks.push({
      kind: "deleted",
      commit,
      previous: track.label,
      previousPath: track.path,
      blob: change.oldBlob,
    });
    deleted.set(change.path, track);
  }
  for (const change of added) {
    const revived = deleted.get(change.path);
    if (revived) {
      // Deleted before and added again: the deletion stands.
      deleted.delete(change.path);
      alive.set(change.path, revived);
      Object.assign(revived, { blob: change.newBlob, label: commit.id });
      revived.commits.push(commit.id);
      continue;
    }
    // A merge that adds a file takes its lines from the other parents' versions of it.
    const checks: Check[] = change.link
      ? [{
        kind: "link",
        commit,
        previous: commit.parents[0] ?? commit.id,
        previousPath: change.path,
        blob: change.newBlob,
      }]
      : commit.parents.length < 2
      ? []
      : [{
        kind: "bytes",
        commit,
        previous: commit.parents[0],
        previousPath: change.path,
        oldBlob: EMPTY_BLOB,
        newBlob: change.newBlob,
        names: [change.path],
      }];
    alive.set(change.path, {
      pathAtBase: change.path,
      existedAtBase: false,
      path: change.path,
      blob: change.newBlob,
      startBlob: EMPTY_BLOB,
      label: commit.id,
      renames: [],
      commits: [commit.id],
      versions: 1,
      notes: [newFileNote(start, commit.id, left.get(change.path), change.path)],
      checks,
    });
  }
}

/**
 * `commit` with each record file it deleted and one it added whose bytes
 * start with all of the deleted one's taken as a rename, proven an append: a
 * folder moved (to a new DEL number too) in the commit that appended more
 * runs than it held, which git's rename detection (50 % alike) leaves a
 * deletion and an addition. Only a pair each side of which has no other.
 */
async function pairedByBytes(commit: LoggedCommit, top: string): Promise<LoggedCommit> {
  const removed = commit.changes.filter((c) => c.status === "D" && isRecordFile(c.path));
  const added = commit.changes.filter((c) => c.status === "A" && isRecordFile(c.path));
  if (removed.length === 0 || added.length === 0) return commit;
  const objects = await readObjects([
    ...removed.map((c) => c.oldBlob),
    ...added.map((c) => c.newBlob),
  ], top);
  const extendsFile = (r: number, a: number) => {
    const [before, after] = [objects[r], objects[removed.length + a]];
    return before !== undefined && after !== undefined && before.length > 0 &&
      !prefixProblem(before, after);
  };
  const renames = new Map<FileChange, FileChange>();
  for (const [a, addition] of added.entries()) {
    const from = removed.flatMap((_, r) => extendsFile(r, a) ? [r] : []);
    if (from.length !== 1 || added.some((_, b) => b !== a && extendsFile(from[0], b))) continue;
    const deletion = removed[from[0]];
    renames.set(addition, {
      ...addition,
      status: "R",
      from: deletion.path,
      oldBlob: deletion.oldBlob,
      appended: true,
    });
    renames.set(deletion, addition);
  }
  if (renames.size === 0) return commit;
  // The rename takes the addition's place; its deletion goes.
  const changes = commit.changes.flatMap((c) =>
    !renames.has(c) ? [c] : c.status === "A" ? [renames.get(c)!] : []
  );
  return { ...commit, changes };
}

/** A record file renamed where a new file was begun in its place: always followed. */
type RestartRename = FileChange & { restartedAt: string };

/**
 * `commit` with each record file it rewrote into a new file ({@linkcode restarts})
 * whose records a record file it added holds ({@linkcode holdsRecords})
 * taken as that file renamed there, and a new file added in its place: a
 * deliverable retired (moved into `_Archive/`) and restarted at its path in
 * one commit (a squash merge too), which git shows as a change and an
 * addition. Of several added files, one that kept every byte, then the one
 * with more records; each is one file's at most. The rename is an append
 * only when the added file kept every byte, else its bytes are compared.
 */
async function pairedRestarts(commit: LoggedCommit, top: string): Promise<LoggedCommit> {
  // A diff that proved an append kept every record: no restart.
  const changed = commit.changes.filter((c) =>
    c.status === "M" && !c.appended && isRecordFile(c.path)
  );
  const added = commit.changes.filter((c) => c.status === "A" && isRecordFile(c.path));
  if (changed.length === 0 || added.length === 0) return commit;
  const objects = await readObjects([
    ...changed.flatMap((c) => [c.oldBlob, c.newBlob]),
    ...added.map((c) => c.newBlob),
  ], top);
  const addedBytes = objects.slice(2 * changed.length);
  const addedRecords = addedBytes.map((bytes) => bytes && recordsOf(bytes));
  const taken = new Set<FileChange>();
  const replaced = new Map<FileChange, FileChange[]>();
  for (const [m, change] of changed.entries()) {
    const [before, after] = [objects[2 * m], objects[2 * m + 1]];
    if (before === undefined || after === undefined) continue;
    if (!restarts(before, after)) continue;
    const earlier = recordsOf(before);
    const holding: { addition: FileChange; kept: boolean; records: number }[] = [];
    for (const [a, addition] of added.entries()) {
      const records = addedRecords[a];
      if (taken.has(addition) || !records || !holdsRecords(earlier, records)) continue;
      // Its `_CONTEXT.md`s as this commit holds them: either folder may be renamed since.
      if (!await claimSameId(addition.path, change.path, top, commit.id)) continue;
      const kept = !prefixProblem(before, addedBytes[a]!);
      holding.push({ addition, kept, records: records.runIds.size });
    }
    const [chosen] = holding.sort((x, y) =>
      Number(y.kept) - Number(x.kept) || y.records - x.records
    );
    if (chosen === undefined) continue;
    taken.add(chosen.addition);
    const { addition, kept } = chosen;
    const rename: RestartRename = {
      ...addition,
      status: "R",
      from: change.path,
      oldBlob: change.oldBlob,
      appended: kept,
      restartedAt: change.path,
    };
    replaced.set(change, [
      rename,
      { ...change, status: "A", oldBlob: EMPTY_BLOB, appended: false },
    ]);
  }
  if (replaced.size === 0) return commit;
  const changes = commit.changes.flatMap((c) => replaced.get(c) ?? (taken.has(c) ? [] : [c]));
  return { ...commit, changes };
}

/**
 * The note of a record file first added at `path` in `commit`: new since
 * `start`, or, where a followed file was renamed away from (`before`), a new
 * file in its place.
 */
function newFileNote(start: string, commit: string, before: Track | undefined, path: string) {
  const first = `checked from its first version, in commit ${short(commit)}`;
  const move = before?.renames.findLast((r) => r.from === path);
  if (!before || !move) return `not in ${start}; ${first}`;
  return `a new file at this path; the one it replaced was moved to ${oneLine(before.path)} in ` +
    `commit ${short(move.commit)} (followed there); ${first}`;
}

/** A followed file's names, newest first: where a merge's other parents may hold it. */
function trackNames(track: Track, newest?: string): string[] {
  return [
    ...new Set([
      ...(newest === undefined ? [] : [newest]),
      track.path,
      ...track.renames.map((r) => r.from).reverse(),
      track.pathAtBase,
    ]),
  ];
}

/** How many times `byte` occurs in `bytes`. */
function byteCount(bytes: Uint8Array, byte: number): number {
  let count = 0;
  for (const b of bytes) if (b === byte) count++;
  return count;
}

/** `parent:path` for each parent of a merge but the first, at each of `paths` (the file's names). */
function otherParentVersions(commit: CommitInfo, paths: string[]): string[] {
  return commit.parents.slice(1).flatMap((parent) => paths.map((path) => `${parent}:${path}`));
}

/**
 * One more version of a followed file; a check of its bytes unless its diff
 * proved an append. A merge is always checked: an append proves only that
 * the first parent's lines are kept, not where the added lines come from.
 */
function advance(
  track: Track | undefined,
  commit: LoggedCommit,
  change: FileChange,
): void {
  if (!track) return;
  if (change.link) {
    const { label: previous, path: previousPath } = track;
    track.checks.push({ kind: "link", commit, previous, previousPath, blob: change.newBlob });
  } else if (!change.appended || commit.parents.length > 1) {
    track.checks.push({
      kind: "bytes",
      commit,
      previous: track.label,
      previousPath: track.path,
      oldBlob: change.oldBlob,
      newBlob: change.newBlob,
      names: trackNames(track, change.path),
    });
  }
  track.path = change.path;
  track.blob = change.newBlob;
  track.label = commit.id;
  track.commits.push(commit.id);
  track.versions++;
}

/** What the checks of one repository share. */
interface Walk {
  top: string;
  /** Commits whose history is not checked: the one `since` names. */
  exclude: string[];
  /** The record files of each merged branch followed so far, by `first other` parent ids. */
  branches: Map<string, Promise<Map<string, Track>>>;
}

/** A file as a branch that a merge brought in left it. */
interface BranchFile {
  /** The merge's parent that the branch ends in. */
  parent: string;
  /** The record files the first parent renamed since the branch left it, old path to new. */
  renamed?: ReadonlyMap<string, string>;
  /** The file on the branch: its failure if the branch broke K-APPEND-1, its first and last blobs. */
  file: Track;
}

/** The record files one first-parent chain's walk follows. */
interface Followed {
  alive: Map<string, Track>;
  deleted: Map<string, Track>;
  /** Where the chain starts, as notes name it. */
  start: string;
  /**
   * Whether `alive` holds every record file of the commit reached (HEAD's
   * chain, followed from a whole tree), not only those the chain changed (a
   * merged branch's, each followed from the first commit that changes it).
   */
  complete: boolean;
  /** On a chain not complete: files a merged branch changed that its merge did not change. */
  probes: Map<string, Track>;
  /** Paths a followed file was renamed away from: a file added there later is a new one. */
  left: Map<string, Track>;
}

/** Commits of a chain queued at most while the branches their merges bring in are followed. */
const AHEAD = 32;

/**
 * Applies a chain's logged commits in order and, at each merge, checks the
 * record files the merged branches changed against the merge's. The
 * branches of the next merges (a `git log` each) are followed at once while
 * a merge waits for its own.
 */
async function followLog(
  commits: AsyncIterable<LoggedCommit>,
  followed: Followed,
  walk: Walk,
): Promise<void> {
  const queue: { commit: LoggedCommit; merged?: Promise<BranchFile[]> }[] = [];
  const applyFirst = async () => {
    const { commit, merged } = queue.shift()!;
    if (!followed.complete) followFromHere(commit, followed);
    applyCommit(commit, followed);
    if (merged) mergeChecks(commit, await merged, followed);
  };
  for await (const logged of commits) {
    const commit = await pairedRestarts(await pairedByBytes(logged, walk.top), walk.top);
    const merged = commit.parents.length > 1 ? mergedFiles(walk, commit) : undefined;
    // Awaited in turn below: a failure before then is not an unhandled one.
    merged?.catch(() => {});
    queue.push({ commit, merged });
    if (queue.length >= AHEAD) await applyFirst();
  }
  while (queue.length > 0) await applyFirst();
}

/** On a merged branch: a file is followed from the first commit that changes it, as it was. */
function followFromHere(commit: LoggedCommit, { alive, deleted }: Followed): void {
  for (const change of commit.changes) {
    const path = change.from ?? change.path;
    if (change.status === "A" || alive.has(path) || deleted.has(path)) continue;
    alive.set(path, trackFrom(path, change.oldBlob, commit.parents[0]));
  }
}

/** The record files each branch that `merge` brings in changed, as it left them. */
async function mergedFiles(walk: Walk, merge: CommitInfo): Promise<BranchFile[]> {
  const [first, ...others] = merge.parents;
  const files = await Promise.all(
    others.map(async (parent) => {
      const branch = [...(await mergedBranch(walk, first, parent)).values()];
      const renamed = branch.length === 0 ? new Map() : await renamedOnFirst(walk, first, parent);
      return branch.map((file) => ({ parent, file, renamed }));
    }),
  );
  return files.flat();
}

/**
 * The record files `first` renamed since it and `other` parted (a deliverable retired to
 * `_Archive/` while a branch recorded on it), old path to new: git's merge follows them, so a
 * branch's file is checked under its new name (ci-trial F1). Empty when git cannot say.
 */
async function renamedOnFirst(
  walk: Walk,
  first: string,
  other: string,
): Promise<Map<string, string>> {
  const base = await runGit(["merge-base", first, other], walk.top);
  if (base.code !== 0) return new Map();
  const since = new TextDecoder().decode(base.stdout).trim();
  // The record files alone: a rename of one is a rename between two record files' paths.
  try {
    const changes = await treeChanges(since, first, walk.top, RECORD_PATHSPEC);
    return new Map(changes.filter((c) => c.status === "R").map((c) => [c.from!, c.path]));
  } catch {
    return new Map();
  }
}

/**
 * The checks a merge owes the record files its branches changed (none for
 * a branch that changed none): every line a branch added must be in the
 * merge's version of the file, the one followed under one of its names (its
 * renames on either side too), else, on a merged branch's chain, the one in
 * the merge's tree. A file the merge left out (`-s ours` leaves out every
 * file the branch created) fails.
 */
function mergeChecks(commit: LoggedCommit, merged: BranchFile[], followed: Followed): void {
  const { alive, deleted } = followed;
  for (const branchFile of merged) {
    const { file } = branchFile;
    // A file the branch left as it found it, unbroken, has no line the merge could drop.
    if (file.blob === file.startBlob && !file.failure) continue;
    const own = trackNames(file);
    const names = [...own, ...own.flatMap((n) => branchFile.renamed?.get(n) ?? [])];
    const named = (track: Track) => trackNames(track).some((n) => names.includes(n));
    const track = names.map((n) => alive.get(n)).find((t) => t !== undefined) ??
      [...new Set(alive.values())].find(named);
    if (track) {
      const last = track.checks.at(-1);
      // A file the merge changed has its check there: the branch's lines are checked with it.
      const merging = last?.kind === "bytes" || last?.kind === "kept" || last?.kind === "absent";
      if (merging && last.commit.id === commit.id) {
        (last.merged ??= []).push(branchFile);
      } else track.checks.push({ kind: "kept", commit, blob: track.blob, merged: [branchFile] });
      continue;
    }
    // Deleted on this chain: that deletion fails the file already. Deleted by this merge, it is
    // the branch's deletion: the branch's commit is the one to name (ci-trial F3).
    const gone = names.map((n) => deleted.get(n)).find((t) => t !== undefined) ??
      [...new Set(deleted.values())].find(named);
    if (gone) {
      const last = gone.checks.at(-1);
      if (last?.kind === "deleted" && last.commit.id === commit.id) {
        (last.merged ??= []).push(branchFile);
      }
      continue;
    }
    // HEAD's chain follows every file: one it does not is not in the merge's tree. Kept with the
    // deleted files there, so that a file added later at the path goes on with its failure.
    const probes = followed.complete ? deleted : followed.probes;
    let probe = probes.get(file.path);
    if (!probe) {
      probe = {
        ...trackFrom(file.path, EMPTY_BLOB, commit.id),
        existedAtBase: false,
        versions: 0,
        notes: [
          file.failure?.deleted
            ? `created and deleted on the branch merge ${short(commit.id)} brought in`
            : `left out by merge ${short(commit.id)}, whose merged branch changed it`,
        ],
      };
      probes.set(file.path, probe);
    }
    probe.checks.push({
      kind: "absent",
      commit,
      specs: followed.complete ? [] : names.map((n) => `${commit.id}:${n}`),
      merged: [branchFile],
    });
  }
}

/**
 * Decides the checks left to bytes, in each file's order: the first that
 * fails is its failure. Versions are read a batch at a time.
 */
async function settleChecks(tracks: Track[], walk: Walk): Promise<void> {
  let batch: Track[] = [];
  let specs = new Set<string>();
  const flush = async () => {
    const list = [...specs];
    const objects = await readObjects(list, walk.top);
    const bytes = new Map(list.map((spec, i) => [spec, objects[i]]));
    const crissCross = await crissCrossMerges(batch, bytes, walk.top);
    for (const track of batch) settleTrack(track, bytes, crissCross);
    batch = [];
    specs = new Set();
  };
  for (const track of tracks) {
    if (track.checks.length === 0) continue;
    batch.push(track);
    for (const check of track.checks) {
      if (check.kind === "deleted" || check.kind === "link") {
        specs.add(check.blob);
        continue;
      }
      if (check.kind === "bytes") {
        specs.add(check.oldBlob).add(check.newBlob);
        if (check.commit.parents.length > 1) {
          for (const spec of otherParentVersions(check.commit, check.names)) specs.add(spec);
        }
      } else if (check.kind === "kept") specs.add(check.blob);
      else for (const spec of check.specs) specs.add(spec);
      // What each merged branch added to the file.
      for (const { file } of check.merged ?? []) specs.add(file.startBlob).add(file.blob);
    }
    if (specs.size >= BATCH) await flush();
  }
  if (batch.length > 0) await flush();
}

/**
 * The record files `other`'s first-parent chain changed since it left
 * `first`'s history, by their path at `other`, each checked as HEAD's are
 * (the branch's own merges in turn), renames followed; once per pair of
 * parents. A file the branch created is checked from its first version.
 * Checked like the first-parent chain: a union merge takes the branch's
 * lines as they are, so a record the branch inserted, moved or changed and
 * restored reaches the first parent looking appended. A file one of the
 * branch's own merges left out is among them, with that failure.
 */
function mergedBranch(walk: Walk, first: string, other: string): Promise<Map<string, Track>> {
  const key = `${first} ${other}`;
  let files = walk.branches.get(key);
  if (!files) {
    files = followBranch(walk, first, other);
    walk.branches.set(key, files);
  }
  return files;
}

async function followBranch(walk: Walk, first: string, other: string) {
  const followed: Followed = {
    alive: new Map(),
    deleted: new Map(),
    start: `the history of ${short(first)}`,
    complete: false,
    probes: new Map(),
    left: new Map(),
  };
  const { alive, deleted, probes } = followed;
  const log = recordFileLog(walk.top, first, RECORD_PATHSPEC, other, walk.exclude);
  await followLog(log, followed, walk);
  await settleChecks(
    [...new Set([...alive.values(), ...deleted.values(), ...probes.values()])],
    walk,
  );
  // A file the branch's own merge left out goes on with that failure, which fails its merge;
  // so does one the branch deleted (records committed there and gone, even from a file it created).
  const files = new Map(alive);
  for (const [path, probe] of probes) if (probe.failure) files.set(path, probe);
  for (const [path, track] of deleted) if (!files.has(path)) files.set(path, track);
  return files;
}

/**
 * The merge commits among `tracks`' checks whose version of a file is not the first parent's
 * with lines added after it, and whose parents have more than one merge base (a criss-cross
 * history): only there may a union merge move a line of the first parent's after another
 * (soak7 F1). Git is asked about those merges alone, few in any history.
 */
async function crissCrossMerges(
  tracks: Track[],
  bytes: Map<string, Uint8Array | undefined>,
  top: string,
): Promise<Set<string>> {
  const asked = new Map<string, boolean>();
  for (const track of tracks) {
    for (const check of track.checks) {
      if (check.kind !== "bytes" || check.commit.parents.length < 2) continue;
      if (asked.has(check.commit.id)) continue;
      const before = check.oldBlob === EMPTY_BLOB ? new Uint8Array() : bytes.get(check.oldBlob);
      const after = bytes.get(check.newBlob);
      if (before === undefined || after === undefined || !prefixProblem(before, after)) continue;
      const [first, ...others] = check.commit.parents;
      let twoBases = false;
      for (const other of others) {
        const bases = await runGit(["merge-base", "--all", first, other], top);
        const count = new TextDecoder().decode(bases.stdout).trim().split("\n").length;
        if (bases.code === 0 && count > 1) twoBases = true;
      }
      asked.set(check.commit.id, twoBases);
    }
  }
  return new Set([...asked].filter(([, twoBases]) => twoBases).map(([id]) => id));
}

function settleTrack(
  track: Track,
  bytes: Map<string, Uint8Array | undefined>,
  crissCross: ReadonlySet<string>,
): void {
  for (const check of track.checks) {
    const failAt = (failure: Omit<HistoryFailure, "commit" | "subject">) => {
      track.failure = { commit: check.commit.id, subject: check.commit.subject, ...failure };
    };
    if (check.kind === "link") {
      return failAt({
        previous: check.previous,
        previousPath: check.previousPath,
        line: 1,
        message: symlinkMessage(new TextDecoder().decode(bytes.get(check.blob)), "this commit"),
      });
    }
    if (check.kind === "deleted") {
      // A merged branch deleted it: its commit is named, as a branch's edit is (ci-trial F3).
      const deleter = check.merged?.find(({ file }) => file.failure?.deleted);
      if (deleter) {
        const failure = deleter.file.failure!;
        return failAt({
          previous: failure.previous,
          previousPath: failure.previousPath,
          line: 1,
          message: `merges ${short(deleter.parent)}, whose branch deleted the file: in commit ` +
            `${short(failure.commit)} ${JSON.stringify(failure.subject)}: ${failure.message}`,
          deleted: true,
          ...failure.remedy === undefined ? {} : { remedy: failure.remedy },
        });
      }
      const last = bytes.get(check.blob);
      const records = last && addedRecordCount(new Uint8Array(), last);
      // A file that held no record (a header alone) takes none with it.
      if (records === 0) continue;
      return failAt({
        previous: check.previous,
        previousPath: check.previousPath,
        line: 1,
        message: records === undefined
          ? `deletes the file, last held at ${short(check.previous)}`
          : `deletes the file, which held ${records} record${records === 1 ? "" : "s"} at ` +
            short(check.previous),
        deleted: true,
        remedy: restoreRemedy(check.previous, check.previousPath, "restore it"),
      });
    }
    const merged = check.merged ?? [];
    // The branch's own rewrite first: a union merge of it breaks the merge's lines too.
    const broken = merged.find(({ file }) => file.failure);
    if (broken) {
      const failure = broken.file.failure!;
      return failAt({
        previous: failure.previous,
        previousPath: failure.previousPath,
        line: failure.line,
        message: `merges ${short(broken.parent)}, whose branch did not only append: in commit ` +
          `${short(failure.commit)} ${JSON.stringify(failure.subject)}: ${failure.message}`,
      });
    }
    if (check.kind === "kept") {
      const dropped = droppedLine(bytes.get(check.blob), merged, bytes);
      if (dropped) return failAt(dropped);
      continue;
    }
    if (check.kind === "absent") {
      const version = check.specs.map((spec) => bytes.get(spec)).find((b) => b !== undefined);
      const dropped = version ? droppedLine(version, merged, bytes) : fileDropped(merged[0], bytes);
      if (dropped) return failAt(dropped);
      continue;
    }
    const fail = (line: number, message: string) =>
      failAt({ previous: check.previous, previousPath: check.previousPath, line, message });
    // A file a merge added has no earlier version: its every line is the merge's. Any other
    // version git could not give is a failure, never an empty file that everything extends.
    const before = check.oldBlob === EMPTY_BLOB ? new Uint8Array() : bytes.get(check.oldBlob);
    if (before === undefined) return fail(1, `version ${check.oldBlob.slice(0, 7)} cannot be read`);
    const after = bytes.get(check.newBlob)!;
    const problem = prefixProblem(before, after);
    if (check.commit.parents.length < 2) {
      if (problem?.removed) {
        return failAt({
          previous: check.previous,
          previousPath: check.previousPath,
          line: problem.line,
          message: problem.message,
          remedy: restoreRemedy(
            check.previous,
            check.previousPath,
            "put its lines back",
            [problem.removed],
            check.names[0],
          ),
        });
      }
      const lineEnds = problem && lineEndsProblem(before, after);
      if (lineEnds) {
        const { line, message, remedy } = lineEnds;
        return failAt({
          previous: check.previous,
          previousPath: check.previousPath,
          line,
          message,
          remedy,
        });
      }
      if (problem) {
        const remedy = restartRemedy(before, after);
        return failAt({
          previous: check.previous,
          previousPath: check.previousPath,
          line: problem.line,
          message: problem.message,
          ...remedy === undefined ? {} : { remedy },
        });
      }
      continue;
    }
    // The other parents' versions: at this file's names, and each merged branch's file (which
    // may be at a name the first parent renamed since, as git's merge follows it).
    const others = [
      ...otherParentVersions(check.commit, check.names).map((spec) => bytes.get(spec)),
      ...(check.merged ?? []).map(({ file }) => bytes.get(file.blob)),
    ].filter((b): b is Uint8Array => b !== undefined);
    const merge = mergeLines(before, after, others);
    if (!merge && problem) return fail(problem.line, problem.message);
    if (!merge) {
      // A byte prefix, but the first parent's unterminated last line was continued.
      const line = byteCount(before, NEWLINE) + 1;
      return fail(line, `line ${line}, unterminated, was continued by the merge`);
    }
    if (merge.foreign) {
      const { line, runId } = merge.foreign;
      return fail(
        line,
        `line ${line}${runId ? ` (record ${runId})` : ""} is in no parent's version: ` +
          "the merge added it",
      );
    }
    // One merge base: git's union merge keeps the first parent's lines in their order, so a
    // merge that moved one reordered records by hand (review-45 F3).
    if (merge.reordered && !crissCross.has(check.commit.id)) {
      return fail(
        problem!.line,
        `line ${problem!.line}: the merge moved lines of its first parent's version out of ` +
          "their order (records are never reordered; merge=union does so only where the " +
          "branches merged each other before)",
      );
    }
    const dropped = droppedLine(after, merged, bytes);
    if (dropped) return failAt(dropped);
    if (!problem) continue;
    track.notes.push(
      merge.reordered
        ? `merge ${short(check.commit.id)} kept every line of its parents but not in the first ` +
          "parent's order (as merge=union may in a criss-cross history); accepted"
        : `merge ${short(check.commit.id)} placed ${merge.placed} record line(s) from its other ` +
          `parent among earlier lines (merge=union); accepted`,
    );
  }
}

/**
 * The first line a merged branch added to a file (since it left the first
 * parent's history) that the merge's version `after` lacks, as a failure
 * against the branch's version; `undefined` when every one is kept. Lines
 * are compared as a set: a line both sides added alike is kept once.
 */
function droppedLine(
  after: Uint8Array | undefined,
  merged: BranchFile[],
  bytes: Map<string, Uint8Array | undefined>,
): Omit<HistoryFailure, "commit" | "subject"> | undefined {
  for (const { parent, file } of merged) {
    const start = file.startBlob === EMPTY_BLOB ? new Uint8Array() : bytes.get(file.startBlob);
    const end = bytes.get(file.blob);
    const unread = [[after, "the merge's"], [start, "the branch's first"], [end, "the branch's"]]
      .find(([b]) => b === undefined);
    if (unread) {
      return {
        previous: parent,
        previousPath: file.path,
        line: 1,
        message: `${unread[1]} version cannot be read, so the lines the merge kept are unknown`,
      };
    }
    const missing = addedLineMissing(start!, end!, after!);
    if (!missing) continue;
    const what = missing.runId ? `record ${missing.runId}` : `a line`;
    return {
      previous: parent,
      previousPath: file.path,
      line: missing.line,
      message: `the merge drops ${what} (line ${missing.line} of ${short(parent)}'s version), ` +
        "which the merged branch appended: redo the merge keeping its lines " +
        `(\`${RECORD_FILE} merge=union\` in .gitattributes, or copy them from \`git show ` +
        `${short(parent)}:${file.path}\`); once pushed, re-add them in a new commit (a check ` +
        "from before this merge still fails)",
    };
  }
  return undefined;
}

/**
 * A merge that left out a file the merged branch changed, as the whole
 * file's failure; `undefined` when the branch added no record to it (a
 * header alone).
 */
function fileDropped(
  { parent, file }: BranchFile,
  bytes: Map<string, Uint8Array | undefined>,
): Omit<HistoryFailure, "commit" | "subject"> | undefined {
  const created = file.startBlob === EMPTY_BLOB;
  const start = created ? new Uint8Array() : bytes.get(file.startBlob);
  const end = bytes.get(file.blob);
  const count = start && end ? addedRecordCount(start, end) : undefined;
  if (count === 0) return undefined;
  const records = count === undefined ? "records" : `${count} record${count === 1 ? "" : "s"}`;
  return {
    previous: parent,
    previousPath: file.path,
    line: 1,
    deleted: true,
    message: `the merge drops ${file.path}, ` +
      (created
        ? `which the merged branch created${count === undefined ? "" : ` (${records})`}`
        : `to which the merged branch appended ${records}`),
    remedy:
      `redo the merge keeping it (\`git checkout ${short(parent)} -- ${
        shellWord(`:/${file.path}`)
      }\` ` +
      `before committing it); once pushed, restore it in a new commit from \`git show ` +
      `${short(parent)}:${file.path}\` (a check from before this merge still fails)`,
  };
}

/**
 * What to do when a commit took records out on purpose (`git revert` of an
 * agent's commit, `git rm -r` of a folder): records are never taken out, a
 * run is undone by annotating it (SCHEMA.md 8.3). `to` is where the file
 * is now when the commit moved it from `path`: the old version is put back
 * there, never over a new file begun at `path`, followed by the lines the
 * file gained since.
 */
function restoreRemedy(
  previous: string,
  path: string,
  restore: string,
  runIds?: string[],
  to = path,
) {
  const folder = to.includes("/") ? to.slice(0, to.lastIndexOf("/")) : ".";
  // The old version, then the lines the file gained since (compared without CR: a work tree
  // checked out with CR LF): a checkout of the old version alone would drop every record
  // appended since, committed or not (review-z F1). Run from the repository's top, as git
  // names the paths, in a folder made again if `git rm -r` took it (review-aa F6, F7).
  const file = shellWord(to);
  const next = shellWord(`${to}.new`);
  const command = `\`(cd "$(git rev-parse --show-toplevel)" && mkdir -p ${shellWord(folder)} && ` +
    `git show ${
      shellWord(`${short(previous)}:${path}`)
    } > ${next} && { tr -d '\\r' 2>/dev/null < ${file} ` +
    `| grep -vxFf ${next} >> ${next}; mv ${next} ${file}; } && git add ${file})\``;
  // A commit that only deleted the file is empty once it is back: amended, it must be allowed to.
  const amend = restore === "restore it"
    ? "git commit --amend --allow-empty"
    : "git commit --amend";
  return `if a revert or \`git rm\` took it, ${restore} in that commit (${command}, then ` +
    `\`${amend}\`) or, once pushed, in a new one (a check from before it still fails); to undo ` +
    "a run, keep its record and mark it " +
    // From the repository's top, as git names the folder: verify may run in a subfolder.
    `\`runrec annotate "$(git rev-parse --show-toplevel)"/${shellWord(folder)} ` +
    `${runIds?.[0] ?? "RUN-…"} --invalidates --note "undone"\``;
}

/**
 * Why a record file that is a symbolic link to `target` in `where` fails: runrec refuses it (its
 * lines would be whatever file the link names, also one outside the repository).
 */
function symlinkMessage(target: string, where: string): string {
  const shown = target.length > 120 ? `${target.slice(0, 120)}…` : target;
  return `the file is a symbolic link in ${where} (to ${JSON.stringify(shown)}), which runrec ` +
    "refuses as a record file: its lines would be another file's; commit the record file itself";
}

/** The target of the symbolic link `file`; `undefined` when `file` is not one. */
async function linkTarget(file: string): Promise<string | undefined> {
  const info = await Deno.lstat(file).catch(() => undefined);
  return info?.isSymlink ? await Deno.readLink(file).catch(() => "?") : undefined;
}

/** A target's real path: a folder's, links resolved; a file's as {@linkcode recordFileAt} gives it. */
async function realTarget(absolute: string): Promise<string> {
  return (await Deno.stat(absolute)).isDirectory
    ? await Deno.realPath(absolute)
    : await recordFileAt(absolute);
}

/**
 * The path of the record file `file`, absolute, the links of its folders resolved but not a
 * link the file itself is: a record file that is a symbolic link is named as the repository's
 * file, which runrec refuses, never as the path it names.
 */
async function recordFileAt(file: string): Promise<string> {
  const absolute = resolve(file);
  return join(await Deno.realPath(dirname(absolute)), basename(absolute));
}

function renameNote(from: string, commit: string): string {
  const where = commit === WORKING_TREE ? "the working tree" : `commit ${short(commit)}`;
  return `renamed from ${from} in ${where}; checked against its history there`;
}

/**
 * Why the working tree's file does not extend HEAD's version `committed`,
 * or `undefined`; compared as git would commit it when git converts its
 * line ends (a note says so).
 */
async function workingTreeProblem(
  file: string,
  gitPath: string,
  committed: Uint8Array,
  top: string,
  notes: string[],
) {
  const absolute = await Deno.realPath(file);
  const working = await Deno.readFile(absolute);
  // Asked even when the raw bytes extend HEAD's: git may convert CR LF bytes that HEAD holds.
  const converted = await asGitWouldCommit(working, absolute, gitPath, top);
  if (converted) {
    notes.push(
      "the working tree's line ends are git's conversion (core.autocrlf or eol); " +
        "compared as git would commit it",
    );
  }
  const stored = converted ?? working;
  const found = prefixProblem(committed, stored);
  if (!found) return undefined;
  return lineEndsProblem(committed, stored) ??
    { ...found, remedy: restartRemedy(committed, stored) };
}

/**
 * The failure of a version `after` that differs from `before` only in its
 * line ends (CR LF and LF), its records unchanged, or `undefined`. Still a
 * failure: every line is rewritten, and a merge=union with a branch holding
 * the other line ends would keep both copies of every record.
 */
function lineEndsProblem(
  before: Uint8Array,
  after: Uint8Array,
): { line: number; message: string; remedy: string } | undefined {
  const plainBefore = withoutCarriageReturns(before);
  if (prefixProblem(plainBefore, withoutCarriageReturns(after))) return undefined;
  const change = plainBefore.length < before.length ? "CR LF -> LF" : "LF -> CR LF";
  return {
    line: 1,
    message: `only line ends changed (${change}), records unchanged; ` +
      "every line is rewritten, which a merge with a branch holding the old line ends doubles",
    remedy: "commit the normalisation on its own (`git add --renormalize .`) and " +
      "verify --since that commit",
  };
}

/**
 * What to do when a record file was rewritten into `after`, which begins as a new file would
 * but reuses RunIDs of the last minute of `before`, the version it replaced: a deliverable
 * restarted in that minute, which no check can tell from those runs rewritten. `undefined`
 * otherwise.
 */
function restartRemedy(before: Uint8Array, after: Uint8Array): string | undefined {
  const reused = restartInLastMinute(before, after);
  return reused === undefined ? undefined : `if a new file was begun here (a deliverable ` +
    `restarted), its first run reuses RunID ${reused} of the last minute of the file it ` +
    "replaced, so it cannot be told from those runs rewritten: restart in a later minute";
}

/**
 * The record file that `path` in the working tree was renamed from since
 * HEAD: the one git's rename detection pairs with it (`across`: their
 * folders name two DeliverableIDs), else the only record file deleted there
 * whose deliverable folder has the same DeliverableID.
 */
async function renamedFrom(
  path: string,
  top: string,
): Promise<{ from: string; across: boolean } | undefined> {
  const changes = await treeChanges("HEAD", undefined, top);
  const renamed = changes.find((c) => c.status === "R" && c.path === path);
  if (renamed?.from && isRecordFile(renamed.from)) {
    return { from: renamed.from, across: !sameDeliverable(renamed.from, path) };
  }
  const id = folderDeliverableId(path);
  if (!id) return undefined;
  const deleted = changes.filter((c) =>
    c.status === "D" && isRecordFile(c.path) && folderDeliverableId(c.path) === id
  );
  return deleted.length === 1 ? { from: deleted[0].path, across: false } : undefined;
}

/** Whether the working tree's `file` has the blob `committed` as a byte-for-byte prefix. */
async function workingTreeKeeps(committed: string, file: string, top: string): Promise<boolean> {
  const [bytes] = await readObjects([committed], top);
  return bytes !== undefined && !prefixProblem(bytes, await Deno.readFile(file));
}

/** Whether two record files may be one renamed: their folders do not name two DeliverableIDs. */
function sameDeliverable(from: string, to: string): boolean {
  const a = folderDeliverableId(from);
  const b = folderDeliverableId(to);
  return !a || !b || a === b;
}

/**
 * Whether the places of two record files (paths from the work tree's top) claim one
 * DeliverableID, as `verify` groups folders ({@linkcode claimedIds}): their folders' own IDs,
 * from each `_CONTEXT.md` as commit `at` holds it (the working tree's when `undefined`), else
 * their names; and the IDs the folders of each path name (`_Archive/2026-12_DEL-01-03_Old`).
 */
async function claimSameId(a: string, b: string, top: string, at?: string): Promise<boolean> {
  const claimed = async (path: string) => {
    const folders = path.split("/").slice(0, -1);
    return claimedIds(folders, await ownIdAt(folders.join("/"), top, at));
  };
  const there = await claimed(b);
  return [...await claimed(a)].some((id) => there.has(id));
}

/**
 * The DeliverableID of `folder` (a path from the top; `""`: the top) as commit `at` holds it
 * (the working tree when `undefined`): its `_CONTEXT.md`'s, else its name's; `undefined` for
 * none. A commit's `_CONTEXT.md` is read from the commit: the folder may be gone since.
 */
async function ownIdAt(folder: string, top: string, at?: string): Promise<string | undefined> {
  let read: ((path: string) => string | undefined) | undefined;
  if (at !== undefined) {
    const spec = `${at}:${folder === "" ? "" : `${folder}/`}${CONTEXT_FILE}`;
    // A path with a line break cannot be asked of `git cat-file --batch`: the name decides.
    const [bytes] = spec.includes("\n") ? [undefined] : await readObjects([spec], top);
    const text = bytes && bytes.length <= HOST_FILE_LIMIT
      ? new TextDecoder().decode(bytes)
      : undefined;
    read = () => text;
  }
  try {
    const { id } = deliverableId(join(top, ...folder.split("/")), read);
    return DELIVERABLE_ID_SYNTAX.test(id) ? id : undefined;
  } catch {
    return undefined; // no _CONTEXT.md naming one, nor a folder name
  }
}

/** `DEL-XX-YY` of the folder holding `path` when the folder is named `DEL-XX-YY[_Label]`. */
function folderDeliverableId(path: string): string | undefined {
  const folders = path.split("/").slice(0, -1);
  const id = (folders.at(-1) ?? "").split("_")[0];
  return DELIVERABLE_ID_SYNTAX.test(id) ? id : undefined;
}

function isRecordFile(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return name.toLowerCase() === RECORD_FILE.toLowerCase();
}

/**
 * The working tree's `bytes` as git would commit them, when that differs
 * from the bytes only by CR LF line ends turned into LF (`core.autocrlf`,
 * `eol` attributes); else `undefined`. git is asked, nothing is guessed:
 * the blob git would store must be exactly the converted bytes.
 */
async function asGitWouldCommit(
  bytes: Uint8Array,
  absolute: string,
  gitPath: string,
  top: string,
): Promise<Uint8Array | undefined> {
  const lf = withoutCarriageReturns(bytes);
  if (lf.length === bytes.length) return undefined;
  const [clean, converted] = await Promise.all([
    cleanBlobId(absolute, gitPath, top),
    blobId(lf, top),
  ]);
  return clean === converted ? lf : undefined;
}

/** `bytes` with every CR that precedes an LF removed. */
function withoutCarriageReturns(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10) continue;
    out[n++] = bytes[i];
  }
  return out.subarray(0, n);
}
