/**
 * What the modules of `verify --since`'s history check share: the public
 * failure and rename types, the internal state a repository's check builds
 * (`Repository`, `Track`, `Check`, `Walk`), the record file's
 * pathspec, and how a commit id is shortened in messages.
 *
 * @module
 */
import { RECORD_FILE } from "./deliverable.ts";

/**
 * Git's pathspec of every record file.
 *
 * @example
 * ```ts
 * import { RECORD_PATHSPEC } from "./history_shared.ts";
 * ["log", "--format=%H", "--", RECORD_PATHSPEC]; // git's arguments for every record file's commits
 * ```
 */
// In any case: where case does not count (macOS, Windows) `runrecords.csv` is the record file, and a
// commit renaming it `RunRecords.csv` is checked against it (trial-38 F6).
export const RECORD_PATHSPEC = `:(glob,icase)**/${RECORD_FILE}`;

/**
 * The label of the working tree's version, where a commit id names a committed one.
 *
 * @example
 * ```ts
 * import { WORKING_TREE } from "./history_shared.ts";
 * const label: string = WORKING_TREE; // "working tree"
 * ```
 */
export const WORKING_TREE = "working tree";

/**
 * What `git cat-file` finds for no object: the version before a file existed.
 *
 * @example
 * ```ts
 * import { EMPTY_BLOB } from "./history_shared.ts";
 * const created = (oldBlob: string) => oldBlob === EMPTY_BLOB;
 * created("0".repeat(40)); // true
 * ```
 */
export const EMPTY_BLOB = "0".repeat(40);

/**
 * Versions read whole at once, at most: bounds memory when many diffs need their bytes.
 *
 * @example
 * ```ts
 * import { BATCH } from "./history_shared.ts";
 * const specs = Array.from({ length: 100 }, (_, i) => `HEAD~${i}:RunRecords.csv`);
 * const first = specs.slice(0, BATCH); // 64 versions read at once
 * ```
 */
export const BATCH = 64;

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

/** The first line of a commit, as failures name it. */
export interface CommitInfo {
  id: string;
  parents: string[];
  subject: string;
}

/** A comparison of two versions left to their bytes, or a deletion. */
export type Check =
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
export interface Track {
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
export interface Repository {
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

export interface BaseTree {
  baseFiles: Map<string, string>;
  gitlinks: Map<string, string>;
}

/**
 * The record files one target holds, as `resolveTargets` (targets.ts) finds
 * them in the working tree, so that both sides agree on what a target holds:
 * a file target itself, a deliverable folder its own `RunRecords.csv`, a root
 * every one beneath it that a walk reaches. Paths relative to the top.
 */
export type Scope =
  /** A file target, or a deliverable folder's own record file. */
  | { file: string }
  /** A root: `path` (`""`: the top) is `real` on disk. */
  | { root: string; real: string };

/**
 * Seven hex digits of a commit id, as git abbreviates.
 *
 * @example
 * ```ts
 * import { short } from "./history_shared.ts";
 * short("0123456789abcdef0123456789abcdef01234567"); // "0123456"
 * short("origin/main"); // "origin/main"
 * ```
 */
export function short(id: string): string {
  return /^[0-9a-f]{40,}$/.test(id) ? id.slice(0, 7) : id;
}

/** What the checks of one repository share. */
export interface Walk {
  top: string;
  /**
   * HEAD's commit, the only one whose failure an amend mends; none along a
   * merged branch, whose commits only a new commit mends.
   */
  head?: string;
  /** Commits whose history is not checked: the one `since` names. */
  exclude: string[];
  /** The record files of each merged branch followed so far, by `first other` parent ids. */
  branches: Map<string, Promise<Map<string, Track>>>;
}

/** A file as a branch that a merge brought in left it. */
export interface BranchFile {
  /** The merge's parent that the branch ends in. */
  parent: string;
  /** The record files the first parent renamed since the branch left it, old path to new. */
  renamed?: ReadonlyMap<string, string>;
  /** The file on the branch: its failure if the branch broke K-APPEND-1, its first and last blobs. */
  file: Track;
}

/** The record files one first-parent chain's walk follows. */
export interface Followed {
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

/**
 * Whether `path` (`/`-separated) names a record file, in any case.
 *
 * @example
 * ```ts
 * import { isRecordFile } from "./history_shared.ts";
 * isRecordFile("DEL-01-02_Flow/runrecords.csv"); // true
 * isRecordFile("DEL-01-02_Flow/_CONTEXT.md"); // false
 * ```
 */
export function isRecordFile(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return name.toLowerCase() === RECORD_FILE.toLowerCase();
}

/**
 * `bytes` with every CR that precedes an LF removed.
 *
 * @example
 * ```ts
 * import { withoutCarriageReturns } from "./history_shared.ts";
 * withoutCarriageReturns(new TextEncoder().encode("a\r\nb\r")); // the bytes of "a\nb\r"
 * ```
 */
export function withoutCarriageReturns(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10) continue;
    out[n++] = bytes[i];
  }
  return out.subarray(0, n);
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
