/**
 * K-APPEND-1 against git history: every version of a record file since a
 * revision (each first-parent commit's, then the working tree's) has the one
 * before as a byte-for-byte prefix, following the file across renames of its
 * deliverable folder.
 *
 * @module
 */
import { prefixProblem, unionMergeLines } from "./append_only.ts";
import { InputError } from "./errors.ts";
import {
  blobId,
  cleanBlobId,
  type CommitInfo,
  fileAtCommit,
  firstParentCommits,
  gitTopLevel,
  hasFile,
  resolveCommit,
  runGit,
  treeChanges,
} from "./git.ts";
import { dirname, join, relative, resolve, sep } from "./path.ts";
import { DELIVERABLE_ID_PATTERN } from "./schema.ts";

const RECORD_FILE = "RunRecords.csv";
const WORKING_TREE = "working tree";

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

/** What {@linkcode verifyHistory} found for one file. */
export interface HistoryResult {
  /** The revision as given. */
  since: string;
  /** The commit it names. */
  sinceCommit: string;
  /** The top folder of the git work tree, symbolic links resolved. */
  workTree: string;
  /** Path of the file relative to the top of the work tree, `/`-separated. */
  gitPath: string;
  /** Its path at `since`, or where its history starts: `gitPath` unless it was renamed. */
  pathAtSince: string;
  /** Whether the file existed at `since`. */
  existedAtSince: boolean;
  /** Renames followed, oldest first. */
  renames: Rename[];
  /** Commits in `since..HEAD` (first-parent) that changed the file, oldest first. */
  commits: string[];
  /** Versions compared: the one at `since`, each commit's, the working tree's. */
  versionsCompared: number;
  /** `undefined` when every later version extends every earlier one. */
  failure?: HistoryFailure;
  /** Things worth knowing that are not failures (union merges accepted, file new since REV). */
  notes: string[];
}

/** One version of the file in the chain being compared. */
interface Version {
  /** A commit id, or `"working tree"`. */
  label: string;
  /** The file's path in it. */
  path: string;
  bytes: Uint8Array;
}

/** A commit of the file's history, with the path the file has there. */
interface Step {
  commit: CommitInfo;
  path: string;
}

/**
 * The record files (`RunRecords.csv`) that revision `since` holds at or
 * beneath `target` (a file or a folder), as absolute paths of the work tree:
 * the ones a check of K-APPEND-1 must still find. A record file the revision
 * has and the work tree lacks was deleted or moved, and every record in it
 * with it.
 *
 * Throws {@linkcode InputError} when `target` is not in a git work tree or
 * `since` names no commit.
 *
 * @example
 * ```ts
 * import { recordFilesAtRevision } from "./verify_history.ts";
 * const paths = await recordFilesAtRevision("examples", "HEAD~1");
 * ```
 */
export async function recordFilesAtRevision(target: string, since: string): Promise<string[]> {
  const absolute = resolve(target);
  const folder = (await Deno.stat(absolute)).isDirectory ? absolute : dirname(absolute);
  const top = await gitTopLevel(folder);
  if (!top) throw new InputError(`${target}: not in a git work tree (--since needs git history)`);
  const sinceCommit = await resolveCommit(since, top);
  if (!sinceCommit) {
    throw new InputError(`--since: unknown revision ${JSON.stringify(since)} in ${top}`);
  }
  const realTop = await Deno.realPath(top);
  const gitPath = relative(realTop, await Deno.realPath(absolute)).split(sep).join("/");
  const { code, stdout, stderr } = await runGit(
    ["ls-tree", "-r", "-z", "--name-only", "--full-tree", sinceCommit, "--", gitPath || "."],
    top,
  );
  if (code !== 0) throw new Error(`git ls-tree failed: ${stderr.split("\n")[0]}`);
  return new TextDecoder().decode(stdout).split("\0")
    .filter(isRecordFile)
    .map((path) => join(realTop, ...path.split("/")));
}

/**
 * Checks K-APPEND-1 for one record file against git: the version at `since`,
 * the version of every first-parent commit in `since..HEAD` that changed the
 * file, and the working tree's, each must have the one before as a
 * byte-for-byte prefix. When the file did not exist at `since`, the chain
 * starts from its first version. A merge commit whose version is not an
 * extension of its first parent's is still accepted when it is what
 * `merge=union` makes: every line of the first parent's version in order,
 * and every other line a record with a valid checksum taken from another
 * parent's version (a note says so).
 *
 * Where the file first appears under its path in a commit (or in the working
 * tree), the record file it was renamed from is followed: the one git's
 * rename detection names (unless the two folders name different
 * DeliverableIDs), else the one record file deleted there whose deliverable
 * folder has the same DeliverableID (`DEL-XX-YY_Label`). So a
 * folder renamed with its records rewritten fails, as the rewrite would
 * without the rename. The working tree's version is compared as git would
 * commit it: line ends converted back when git converts them
 * (`core.autocrlf`, `eol` attributes).
 *
 * Throws {@linkcode InputError} when `since` names no commit or the file is
 * not in a git work tree, and `GitUnavailableError` when git cannot run.
 *
 * @example
 * ```ts
 * import { verifyHistory } from "./verify_history.ts";
 * const result = await verifyHistory("DEL-01-02_X/RunRecords.csv", "origin/main");
 * if (result.failure) console.log(result.failure.commit, result.failure.line);
 * ```
 */
export async function verifyHistory(path: string, since: string): Promise<HistoryResult> {
  const absolute = resolve(path);
  const top = await gitTopLevel(dirname(absolute));
  if (!top) throw new InputError(`${path}: not in a git work tree (--since needs git history)`);
  const workTree = await Deno.realPath(top);
  const gitPath = relative(workTree, await Deno.realPath(absolute)).split(sep).join("/");
  if (gitPath.startsWith("../") || gitPath === "..") {
    throw new InputError(`${path}: resolves outside the git work tree ${top}`);
  }
  const sinceCommit = await resolveCommit(since, top);
  if (!sinceCommit) {
    throw new InputError(`--since: unknown revision ${JSON.stringify(since)} in ${top}`);
  }
  const { steps, renames, pathAtSince } = await followRenames(gitPath, sinceCommit, top);
  const result: HistoryResult = {
    since,
    sinceCommit,
    workTree,
    gitPath,
    pathAtSince,
    existedAtSince: false,
    renames,
    commits: [],
    versionsCompared: 0,
    notes: renames.map((r) =>
      `renamed from ${r.from} in ${
        r.commit === WORKING_TREE ? "the working tree" : `commit ${short(r.commit)}`
      }; checked against its history there`
    ),
  };
  let previous: Version | undefined;
  const atSince = await fileAtCommit(sinceCommit, pathAtSince, top);
  if (atSince) {
    result.existedAtSince = true;
    previous = { label: sinceCommit, path: pathAtSince, bytes: atSince };
    result.versionsCompared++;
  }
  for (const { commit, path: pathThen } of steps) {
    result.commits.push(commit.id);
    const bytes = await fileAtCommit(commit.id, pathThen, top);
    if (!bytes) {
      if (previous) {
        result.failure = failure(commit, previous, 1, "deletes the file");
        return result;
      }
      continue;
    }
    result.versionsCompared++;
    if (!previous) {
      if (!result.existedAtSince) {
        result.notes.push(
          `not in ${since}; checked from its first version, in commit ${short(commit.id)}`,
        );
      }
      previous = { label: commit.id, path: pathThen, bytes };
      continue;
    }
    const problem = prefixProblem(previous.bytes, bytes);
    if (problem) {
      const placed = commit.parents.length > 1
        ? await unionMergePlaced(previous, bytes, commit, pathThen, top)
        : undefined;
      if (placed === undefined) {
        result.failure = failure(commit, previous, problem.line, problem.message);
        return result;
      }
      result.notes.push(
        `merge ${short(commit.id)} placed ${placed} record line(s) from its other parent ` +
          `among earlier lines (merge=union); accepted`,
      );
    }
    previous = { label: commit.id, path: pathThen, bytes };
  }
  let working: Uint8Array | undefined;
  try {
    working = await Deno.readFile(absolute);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (!previous) {
    result.notes.push(`not in git history since ${since}; nothing to compare`);
    return result;
  }
  const workingTree: CommitInfo = { id: WORKING_TREE, parents: [], subject: "" };
  if (!working) {
    result.failure = failure(workingTree, previous, 1, "the file is deleted in the working tree");
    return result;
  }
  result.versionsCompared++;
  let problem = prefixProblem(previous.bytes, working);
  const converted = problem && await asGitWouldCommit(working, absolute, gitPath, top);
  if (converted) {
    result.notes.push(
      "the working tree's line ends are git's conversion (core.autocrlf or eol); " +
        "compared as git would commit it",
    );
    problem = prefixProblem(previous.bytes, converted);
  }
  if (problem) result.failure = failure(workingTree, previous, problem.line, problem.message);
  return result;
}

/**
 * The commits that changed the file since `sinceCommit`, oldest first, each
 * with the file's path there, following renames back from `gitPath`; and
 * the path the history starts at.
 */
async function followRenames(
  gitPath: string,
  sinceCommit: string,
  top: string,
): Promise<{ steps: Step[]; renames: Rename[]; pathAtSince: string }> {
  const renames: Rename[] = [];
  let path = gitPath;
  if (!(await hasFile("HEAD", path, top))) {
    const from = await renamedFrom(path, "HEAD", undefined, top);
    if (from) {
      renames.unshift({ commit: WORKING_TREE, from, to: path });
      path = from;
    }
  }
  const steps: Step[] = [];
  // Each round looks further back (`until` moves to an older commit), so it ends.
  for (let until = "HEAD";;) {
    const commits = await firstParentCommits(sinceCommit, path, top, until);
    steps.unshift(...commits.map((commit) => ({ commit, path })));
    const first = commits[0];
    const parent = first?.parents[0];
    // The file is older than this segment, or this segment starts with no parent before it.
    if (!parent || await hasFile(parent, path, top)) break;
    const from = await renamedFrom(path, parent, first.id, top);
    if (!from) break;
    renames.unshift({ commit: first.id, from, to: path });
    path = from;
    until = parent;
  }
  return { steps, renames, pathAtSince: path };
}

/**
 * The record file that `path` was renamed from between commit `older` and
 * `newer` (the working tree when `undefined`): the one git's rename
 * detection pairs with it unless their folders name different
 * DeliverableIDs, else the only record file deleted there whose deliverable
 * folder has the same DeliverableID. A rewrite that keeps less
 * than half of the file hides a rename from git, not from the folder name.
 */
async function renamedFrom(
  path: string,
  older: string,
  newer: string | undefined,
  top: string,
): Promise<string | undefined> {
  const changes = await treeChanges(older, newer, top);
  const id = folderDeliverableId(path);
  // Git pairs files by content alone: two small record files of different deliverables
  // look alike, so a pair whose folders name two DeliverableIDs is no rename.
  const renamed = changes.find((c) => c.status === "R" && c.path === path);
  const fromId = renamed?.from && folderDeliverableId(renamed.from);
  if (renamed?.from && isRecordFile(renamed.from) && (!id || !fromId || fromId === id)) {
    return renamed.from;
  }
  if (!id) return undefined;
  const deleted = changes.filter((c) =>
    c.status === "D" && isRecordFile(c.path) && folderDeliverableId(c.path) === id
  );
  return deleted.length === 1 ? deleted[0].path : undefined;
}

/** `DEL-XX-YY` of the folder holding `path` when the folder is named `DEL-XX-YY[_Label]`. */
function folderDeliverableId(path: string): string | undefined {
  const folders = path.split("/").slice(0, -1);
  const id = (folders.at(-1) ?? "").split("_")[0];
  return DELIVERABLE_ID_PATTERN.test(id) ? id : undefined;
}

function isRecordFile(path: string): boolean {
  return path === RECORD_FILE || path.endsWith(`/${RECORD_FILE}`);
}

/**
 * The lines a merge commit placed from its other parents, when its version
 * is what `merge=union` makes of the first parent's (`previous`); the other
 * parents' versions are read at the file's path in the merge, else at its
 * path before.
 */
async function unionMergePlaced(
  previous: Version,
  merged: Uint8Array,
  commit: CommitInfo,
  path: string,
  top: string,
): Promise<number | undefined> {
  const others: Uint8Array[] = [];
  for (const parent of commit.parents.slice(1)) {
    const bytes = await fileAtCommit(parent, path, top) ??
      await fileAtCommit(parent, previous.path, top);
    if (bytes) others.push(bytes);
  }
  return unionMergeLines(previous.bytes, merged, others);
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

function failure(
  commit: CommitInfo,
  previous: Version,
  line: number,
  message: string,
): HistoryFailure {
  return {
    commit: commit.id,
    subject: commit.subject,
    previous: previous.label,
    previousPath: previous.path,
    line,
    message,
  };
}

/** Seven hex digits of a commit id, as git abbreviates. */
function short(id: string): string {
  return /^[0-9a-f]{40,}$/.test(id) ? id.slice(0, 7) : id;
}
