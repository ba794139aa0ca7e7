/**
 * The few git facts runrec uses: `HEAD` read from the repository's files, the
 * rest by running `git` (the only program runrec starts besides `exec`'s
 * command).
 *
 * @module
 */
import { optionalEnv } from "./optional_access.ts";
import { findGitRoot, folderEntries } from "./deliverable.ts";
import { InputError } from "./errors.ts";
import { dubiousOwnership } from "./git_ownership.ts";
import { ceilingHides } from "./git_ceiling.ts";
import { dotGitOf } from "./dot_git.ts";
import { type Lookups, memoLookups, resolvedPath } from "./lookups.ts";
import { basename, dirname, isInside, join, relative, resolve } from "./path.ts";
import { type Remembered, remembered } from "./look_notes.ts";
import { type EntryKind, kindOf } from "./walk.ts";

/** What git's search asks of a folder: whether it holds a name, and what it is. */
type NameLookup = (dir: string) => Pick<ReadonlyMap<string, EntryKind>, "get" | "has">;

/** Output of one git call. */
export interface GitResult {
  /** Exit code of git. */
  code: number;
  /** Standard output, raw bytes. */
  stdout: Uint8Array;
  /** Standard error as text, trimmed. */
  stderr: string;
}

/**
 * The environment of a git runrec starts in `cwd`: no prompt for a password,
 * C messages, and no fetch of what a partial clone left out (git 2.44 and
 * later): runrec reaches no network, nor does the git it runs. A relative
 * `$GIT_DIR` or `$GIT_WORK_TREE` (git gives a hook `.git` and `.` after
 * `git --git-dir=.git --work-tree=. commit`) is made absolute, as the user
 * meant it: git would take it from `cwd`, a deliverable's folder, and find
 * no repository there (a lost record not named by `verify`). `$GIT_DIR`
 * alone gets the folder above runrec's whose `.git` is or names it, else the
 * top the user's git takes with it ({@linkcode usersTop}; git would take
 * `cwd`).
 * For a repository nested in that work tree (a submodule's checkout) they
 * name that one, and `$GIT_INDEX_FILE` (a hook's: the superproject's index)
 * that one's index, as git's own commands in a submodule clear them.
 */
function gitEnvironment(cwd: string): Record<string, string> {
  const env: Record<string, string> = {
    GIT_TERMINAL_PROMPT: "0",
    LC_ALL: "C",
    GIT_NO_LAZY_FETCH: "1",
  };
  const [gitDir, workTree, index] = ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"].map(optionalEnv);
  if (gitDir) env.GIT_DIR = resolve(gitDir);
  const top = environmentTop();
  if (!top) return env;
  if (gitDir || workTree) env.GIT_WORK_TREE = top;
  // git reads a relative one from the top.
  if (index) env.GIT_INDEX_FILE = resolve(top, index);
  const nested = nestedTop(resolve(cwd), top);
  if (!nested) return env;
  const ownIndex = index && gitDirsOf(nested)?.gitDir;
  return {
    ...env,
    GIT_DIR: join(nested, ".git"),
    GIT_WORK_TREE: nested,
    ...ownIndex ? { GIT_INDEX_FILE: join(ownIndex, "index") } : {},
  };
}

/**
 * The top of the work tree git's environment names (`$GIT_WORK_TREE`, or the one the user's git
 * takes with `$GIT_DIR` or `$GIT_INDEX_FILE`); `undefined` where it names none.
 */
function environmentTop(): string | undefined {
  const [gitDir, workTree, index] = ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"].map(optionalEnv);
  return workTree ? resolve(workTree) : gitDir || index ? usersTop() : undefined;
}

/** {@linkcode usersTop}'s answer, asked once. */
let userTop: { top?: string } | undefined;

/**
 * The top of the work tree the user's own git takes in runrec's folder, for
 * `$GIT_DIR` alone (that folder, or the repository's `core.worktree`; none
 * for a bare one) or `$GIT_INDEX_FILE` alone (a hook's). Git would take each
 * folder runrec starts a git in as the top (a deliverable's: its tracked
 * files then the whole index's). But a `$GIT_DIR` named `.git` above runrec's
 * folder names its top itself: started in a subfolder, runrec works as from
 * there, where git would see every other file deleted.
 */
function usersTop(): string | undefined {
  if (userTop) return userTop.top;
  try {
    const asked = new Deno.Command("git", {
      args: ["rev-parse", "--show-toplevel"],
      env: { GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const top = new TextDecoder().decode(asked.stdout).trim();
    userTop = { top: asked.success && top ? dotGitTop(top) : undefined };
  } catch {
    userTop = {}; // not started (the sandboxed build): as git has it in each folder
  }
  return userTop.top;
}

/**
 * The folder above `top` (git's top for `$GIT_DIR` alone: runrec's folder) whose `.git` is
 * `$GIT_DIR` or names it (a `.git` file), else `top`.
 */
function dotGitTop(top: string): string {
  const gitDir = gitDirAlone();
  if (gitDir === undefined) return top;
  for (let at = dirname(top); at !== dirname(at); at = dirname(at)) {
    const own = gitDirsOf(at)?.gitDir;
    if (own !== undefined && resolvedPath(own) === gitDir) return at;
  }
  return top;
}

/** `$GIT_DIR` (links resolved) when it is set and `$GIT_WORK_TREE` is not. */
function gitDirAlone(): string | undefined {
  const gitDir = optionalEnv("GIT_DIR");
  return gitDir && !optionalEnv("GIT_WORK_TREE") ? resolvedPath(resolve(gitDir)) : undefined;
}

/**
 * What to say of the work tree's top `top` that git took, with `$GIT_DIR` alone, from the folder
 * runrec was started in, no `.git` there or above naming `$GIT_DIR`: that folder may be a
 * subfolder; `""` otherwise.
 *
 * @example
 * ```ts
 * import { gitDirAloneNote } from "./git.ts";
 * gitDirAloneNote("/work/repo/PKG-01"); // "GIT_DIR is set without GIT_WORK_TREE: …" there
 * ```
 */
export function gitDirAloneNote(top: string): string {
  const gitDir = gitDirAlone();
  if (gitDir === undefined || usersTop() !== top || dotGitTop(top) !== top) return "";
  const own = gitDirsOf(top)?.gitDir;
  if (own !== undefined && resolvedPath(own) === gitDir) return "";
  return `GIT_DIR is set without GIT_WORK_TREE, so git takes ${top}, the folder runrec was ` +
    "started in, as the work tree's top: where it is not, set GIT_WORK_TREE to the top (or " +
    "start runrec there)";
}

/** The top of a work tree nested in `top` (a `.git` below it) that holds `folder`, if any. */
function nestedTop(folder: string, top: string): string | undefined {
  for (let at = folder; at !== top && isInside(at, top); at = dirname(at)) {
    if (dotGitOf(at) !== undefined) return at;
  }
  return undefined;
}

/**
 * Settings given ahead of every git runrec starts: they win over the user's,
 * the system's and the repository's configuration, each of which could
 * otherwise change output runrec reads. Colour escapes, a signature check's
 * lines before a commit's id (`log.showSignature`), a line number or column
 * before a `git grep` match, paths named from the top or only below the
 * folder git runs in, a root commit's changes left out (`log.showRoot`), a
 * log following one file's renames, which a glob pathspec cannot take (git
 * stops on "BUG: unsupported magic"), subjects in another encoding.
 */
const GIT_SETTINGS: readonly string[] = [
  "color.ui=never",
  "color.diff=never",
  "color.grep=never",
  "log.showSignature=false",
  "log.showRoot=true",
  "log.follow=false",
  "grep.lineNumber=false",
  "grep.column=false",
  "grep.fullName=false",
  "diff.relative=false",
  "diff.suppressBlankEmpty=false",
  "core.quotePath=false",
  "i18n.logOutputEncoding=UTF-8",
].flatMap((setting) => ["-c", setting]);

/**
 * What git prints for `args`, run synchronously in the repository holding `dir` with runrec's
 * settings ({@linkcode GIT_SETTINGS}) and environment, its standard error dropped: for the looks
 * made where no promise can wait (the journal's, an append's). Throws when git cannot be started.
 *
 * @example
 * ```ts
 * import { gitSync } from "./git.ts";
 * const listed = gitSync("DEL-01-02_X", "ls-files", "-z", "--", ".");
 * console.log(listed.success && listed.stdout.length > 0); // whether git tracks a file there
 * ```
 */
export function gitSync(dir: string, ...args: string[]): Deno.CommandOutput {
  return new Deno.Command("git", {
    args: [...GIT_SETTINGS, "-C", dir, ...args],
    env: gitEnvironment(dir),
    stdout: "piped",
    stderr: "null",
  }).outputSync();
}

/**
 * For a git failure in a partial clone (`git clone --filter`): what is
 * missing, and how to get it, as a clause to append; else `""`. A plain
 * `git fetch --refetch` applies the clone's filter again and fetches none
 * of them: `--no-filter` does.
 */
async function partialCloneHint(cwd: string): Promise<string> {
  const { code, stdout } = await git(["config", "--get-regexp", "^remote\\..*\\.promisor$"], cwd);
  if (code !== 0 || !/ true$/m.test(new TextDecoder().decode(stdout))) return "";
  return " (a partial clone, made with --filter: it lacks old file contents runrec reads, and " +
    "runrec fetches nothing; clone without --filter, or fetch them first: " +
    "git fetch --refetch --no-filter)";
}

/** The line of git's standard error that says why it failed: its first `fatal:` or `error:`. */
function gitReason(stderr: string): string {
  const lines = stderr.trim().split("\n");
  return lines.find((line) => /^(?:fatal|error): /.test(line)) ?? lines[0];
}

/**
 * Runs `git` with `args` in `cwd`, writing `input` (if any) to its standard
 * input. Throws only when git cannot be started (not installed, or no
 * permission to run programs), or when `signal` was aborted before it
 * started; aborted while git runs, git and the programs it started are
 * killed (its result then says SIGKILL's exit code, 137).
 *
 * @example
 * ```ts
 * import { git } from "./git.ts";
 * const { code, stdout } = await git(["rev-parse", "HEAD"], ".");
 * if (code === 0) console.log(new TextDecoder().decode(stdout).trim());
 * ```
 */
export async function git(
  args: string[],
  cwd: string,
  input?: Uint8Array,
  signal?: AbortSignal,
): Promise<GitResult> {
  signal?.throwIfAborted();
  const child = new Deno.Command("git", {
    args: [...GIT_SETTINGS, ...args],
    cwd,
    stdin: input ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: gitEnvironment(cwd),
    // Given a deadline, git leads a process group of its own: killed with it are the programs it
    // started (a clean filter), which would otherwise hold its output open, and the caller waiting.
    detached: signal !== undefined,
  }).spawn();
  // SIGKILL: a stopped git keeps a SIGTERM pending for ever; the callers' gits only read.
  const kill = () => {
    try {
      return Deno.kill(-child.pid, "SIGKILL");
    } catch { /* no group (Windows), or none left: git alone, below */ }
    try {
      child.kill("SIGKILL");
    } catch { /* it has ended */ }
  };
  signal?.addEventListener("abort", kill, { once: true });
  // Collect the output while writing: a large input must not wait on a full pipe.
  const done = child.output();
  if (input) {
    const writer = child.stdin.getWriter();
    try {
      await writer.write(input);
      await writer.close();
    } catch {
      // git stopped reading early: its exit code and message say why.
    }
  }
  const output = await done.finally(() => signal?.removeEventListener("abort", kill));
  return {
    code: output.code,
    stdout: output.stdout,
    stderr: new TextDecoder().decode(output.stderr).trim(),
  };
}

/** A full object id: SHA-1 (40 hex digits) or SHA-256 (64). */
const OBJECT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Refs kept per work tree (in its own git folder), not in the common one. */
const PER_WORKTREE = /^(refs\/(worktree|bisect|rewritten)\/|[A-Z_]+$)/;

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** The git folder a `.git` file (`gitdir: <path>`) in `folder` points at, or `undefined`. */
function gitFileTarget(dotGit: string, folder: string): string | undefined {
  const target = /^gitdir:\s*(.+?)\s*$/m.exec(readText(dotGit) ?? "")?.[1];
  return target ? resolve(folder, target) : undefined;
}

/**
 * The folder git itself names for a git folder: its own, and the common one (linked work trees).
 */
function withCommonDir(gitDir: string, list: NameLookup): { gitDir: string; commonDir: string } {
  const common = list(gitDir).has("commondir")
    ? readText(join(gitDir, "commondir"))?.trim()
    : undefined;
  // From the real folder, as git takes it (./dot_git.ts): a `.git` linked to a linked work tree's.
  return { gitDir, commonDir: common ? resolve(realFolder(gitDir), common) : gitDir };
}

/**
 * The git folders of the work tree rooted at `workTree` (the folder holding
 * `.git`): its own (the `.git` folder, or the one a `.git` file names, as in
 * submodules and linked work trees) and the common one; `undefined` when it
 * has no `.git`. Read from the files; no git is started.
 *
 * @example
 * ```ts
 * import { gitDirsOf } from "./git.ts";
 * gitDirsOf(".")?.gitDir; // "/work/repo/.git" in a plain clone
 * ```
 */
export function gitDirsOf(
  workTree: string,
  list: NameLookup = folderEntries,
  lookups?: Lookups,
): { gitDir: string; commonDir: string } | undefined {
  // Asked of the listing first: most folders have no `.git`, and the listing says so.
  const kind = list(workTree).get(".git");
  const dotGit = join(workTree, ".git");
  const gitDir = kind === "folder"
    ? (dotGitOf(workTree, lookups) !== undefined ? dotGit : undefined)
    : kind === "file"
    ? gitFileTarget(dotGit, workTree)
    : undefined;
  return gitDir ? withCommonDir(gitDir, list) : undefined;
}

/**
 * Whether `folder` is a linked work tree (`git worktree add`) of the
 * repository holding `dir`: its `.git` file names a git folder with a
 * `commondir` (in the common folder's `worktrees/`), the same common folder
 * as `dir`'s. Another checkout of the repository, not part of `dir`'s; a
 * submodule's checkout (its git folder has no `commondir`), a nested clone
 * and another repository's work tree are not. Read from the files.
 *
 * @example
 * ```ts
 * import { isLinkedWorktreeOf } from "./git.ts";
 * isLinkedWorktreeOf("/work/repo/.worktrees/agent-1", "/work/repo"); // true after `git worktree add`
 * ```
 */
export function isLinkedWorktreeOf(folder: string, dir: string): boolean {
  try {
    if (!Deno.lstatSync(join(folder, ".git")).isFile) return false;
  } catch {
    return false; // no `.git` file: the common case, one stat per folder
  }
  const dirs = gitDirsOf(folder);
  if (dirs === undefined || dirs.commonDir === dirs.gitDir) return false;
  const own = findGitDirs(dir, folderEntries);
  if (own === undefined) return false;
  return resolvedPath(resolve(own.commonDir)) === resolvedPath(resolve(dirs.commonDir));
}

/**
 * Whether `absPath` lies outside the cone of its git work tree's sparse
 * checkout (cone mode, git's default): not checked out, so absent by design.
 * Read from the git folder's files (`info/sparse-checkout`, `config`,
 * `config.worktree`), no git started. Outside cone mode, `false`.
 *
 * @example
 * ```ts
 * import { outsideSparseCheckout } from "./git.ts";
 * outsideSparseCheckout("/work/repo/PKG-02_Other/x.md"); // true when the cone holds PKG-01 only
 * ```
 */
export function outsideSparseCheckout(absPath: string): boolean {
  const root = findGitRoot(dirname(absPath));
  const dirs = root === undefined ? undefined : gitDirsOf(root);
  if (root === undefined || dirs === undefined) return false;
  const config = [join(dirs.commonDir, "config"), join(dirs.gitDir, "config.worktree")]
    .map((file) => readText(file) ?? "").join("\n");
  if (!/^\s*sparsecheckoutcone\s*=\s*true\s*$/im.test(config)) return false;
  const patterns = (readText(join(dirs.gitDir, "info", "sparse-checkout")) ?? "").split("\n");
  return !inCone(relative(root, absPath), patterns);
}

/**
 * Whether the work-tree path `rel` (`/`-separated) is in the cone that a
 * cone-mode sparse-checkout file describes: a file at the top; a file of a
 * listed folder (`/A/B/`); anything beneath a listed folder that is not
 * limited to its own files (`!/A/B/*\/`).
 */
function inCone(rel: string, patterns: string[]): boolean {
  const folders = rel.split("/").slice(0, -1);
  if (folders.length === 0) return true;
  const listed = new Set(patterns.filter((p) => /^\/.+\/$/.test(p)).map((p) => p.slice(1, -1)));
  const ownFilesOnly = new Set(
    patterns.filter((p) => /^!\/.+\/\*\/$/.test(p)).map((p) => p.slice(2, -3)),
  );
  if (listed.has(folders.join("/"))) return true;
  return folders.some((_, i) => {
    const folder = folders.slice(0, i + 1).join("/");
    return listed.has(folder) && !ownFilesOnly.has(folder);
  });
}

/** `$GIT_DIR` as git reads it (relative to the working folder), or `undefined` when unset. */
function gitDirFromEnvironment(): string | undefined {
  // Without permission to read it, the folders decide, as when it is unset.
  const value = optionalEnv("GIT_DIR");
  return value ? resolve(value) : undefined;
}

/**
 * `dir` with symbolic links resolved, as git sees its working folder; for a
 * missing `dir`, its nearest existing ancestor's real path with the rest.
 */
function realFolder(dir: string): string {
  const absolute = resolve(dir);
  for (let current = absolute, rest = "";;) {
    try {
      return join(Deno.realPathSync(current), rest);
    } catch {
      const parent = dirname(current);
      if (parent === current) return absolute;
      rest = join(basename(current), rest);
      current = parent;
    }
  }
}

/**
 * The git folders of the work tree holding `dir`: its own, and the common
 * one. As git finds them: `$GIT_DIR` when set (whatever `dir` is), else the
 * nearest `.git` above `dir`'s real path (symbolic links resolved, as the
 * working folder git starts in) that `$GIT_CEILING_DIRECTORIES` leaves in reach (any,
 * `pastCeiling`).
 */
function findGitDirs(
  dir: string,
  list: NameLookup,
  pastCeiling = false,
  lookups?: Lookups,
): { gitDir: string; commonDir: string } | undefined {
  const fromEnvironment = gitDirFromEnvironment();
  if (fromEnvironment) {
    // GIT_DIR may name a git folder or a `.git` file pointing at one.
    const gitDir = gitFileTarget(fromEnvironment, dirname(fromEnvironment)) ?? fromEnvironment;
    return gitDir ? withCommonDir(gitDir, list) : undefined;
  }
  for (let current = realFolder(dir);;) {
    const dirs = gitDirsOf(current, list, lookups);
    if (dirs) return !pastCeiling && ceilingHides(dir, current) ? undefined : dirs;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/**
 * Whether the repository holding `dir` has linked work trees (`git worktree add`): its common
 * folder's `worktrees/` lists one. Asked of the `.git` search an append has made already, so that
 * an append in a repository without any lists no folder more.
 *
 * @example
 * ```ts
 * import { hasLinkedWorkTrees } from "./git.ts";
 * hasLinkedWorkTrees("PKG-01_X/1_Working/DEL-01-02_Y"); // false in a plain clone
 * ```
 */
export function hasLinkedWorkTrees(dir: string): boolean {
  const dirs = gitDirsKnown(dir);
  if (!dirs) return false;
  try {
    return [...Deno.readDirSync(join(dirs.commonDir, "worktrees"))].some((e) => e.isDirectory);
  } catch {
    return false;
  }
}

/**
 * The common `.git` folder of the repository holding `dir` (the main work tree's, which linked
 * work trees share), from the `.git` search an append has made already; `undefined` outside one.
 *
 * @example
 * ```ts
 * import { commonGitDir } from "./git.ts";
 * commonGitDir("PKG-01_X/1_Working/DEL-01-02_Y"); // "/work/repo/.git"
 * ```
 */
export function commonGitDir(dir: string): string | undefined {
  return gitDirsKnown(dir)?.commonDir;
}

/**
 * The work tree holding `dir`: its top folder (the folder of its `.git`, symbolic links resolved;
 * where `$GIT_DIR` names the git folder, the top git's environment names), its own git folder and
 * the common one; `undefined` outside one, or, `linkedOnly`, in a work tree that is not a linked
 * one (or where `$GIT_DIR` is set: an append starts no git to ask). From the `.git` search an
 * append has made already, and one `lstat` a folder up to the top.
 * `pastCeiling`: found where `$GIT_CEILING_DIRECTORIES` hides it from git too (runrec's own state
 * in the common git folder, whose lines are then named unchecked).
 *
 * @example
 * ```ts
 * import { workTreeOf } from "./git.ts";
 * workTreeOf("PKG-01_X/1_Working/DEL-01-02_Y")?.top; // "/work/repo-wt2" in a linked work tree
 * ```
 */
export function workTreeOf(
  dir: string,
  { linkedOnly = false, pastCeiling = false } = {},
): { top: string; gitDir: string; commonDir: string } | undefined {
  const dirs = gitDirsKnown(dir) ??
    // Looked for again only where a ceiling may have hidden it.
    (pastCeiling && optionalEnv("GIT_CEILING_DIRECTORIES")
      ? findGitDirs(dir, gitNamesOnly, true)
      : undefined);
  if (dirs === undefined) return undefined;
  if (gitDirFromEnvironment() !== undefined) {
    const top = linkedOnly ? undefined : environmentTop();
    if (top === undefined || !isInside(realFolder(dir), resolvedPath(top))) return undefined;
    return { top: resolvedPath(top), ...dirs };
  }
  if (linkedOnly && dirs.gitDir === dirs.commonDir) return undefined; // no folder more looked at
  for (let current = realFolder(dir);;) {
    if (dotGitOf(current) !== undefined) return { top: current, ...dirs };
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/**
 * The work tree holding `dir` (the folder of its `.git`, symbolic links
 * resolved) and the repository's other work trees: the main one (the folder
 * of the common `.git` folder) and each linked one its
 * `worktrees/<name>/gitdir` file names, those that exist. Read from the
 * files, as `git worktree list` would list them; no git is started.
 * `undefined` outside a work tree.
 *
 * @example
 * ```ts
 * import { workTrees } from "./git.ts";
 * workTrees("PKG-01_X/1_Working/DEL-01-02_Y")?.others; // ["/work/repo-wt2"]
 * ```
 */
export function workTrees(dir: string): { top: string; others: string[] } | undefined {
  let top = realFolder(dir);
  let dirs = gitDirsOf(top);
  while (dirs === undefined) {
    const parent = dirname(top);
    if (parent === top) return undefined;
    top = parent;
    dirs = gitDirsOf(top);
  }
  if (ceilingHides(dir, top)) return undefined;
  const found: string[] = [];
  const main = mainWorkTree(dirs.commonDir);
  if (main !== undefined) found.push(main);
  const linked = join(dirs.commonDir, "worktrees");
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(linked)].filter((e) => e.isDirectory).map((e) => e.name);
  } catch { /* no linked work trees */ }
  for (const name of names.sort()) {
    const dotGit = readText(join(linked, name, "gitdir"))?.trim();
    // The path of the work tree's `.git` file, relative to this folder when git wrote it so.
    if (dotGit) found.push(dirname(resolve(join(linked, name), dotGit)));
  }
  const others = [...new Set(found.map(realFolder))].filter((wt) =>
    wt !== top && gitDirsOf(wt) !== undefined
  );
  return { top, others };
}

/**
 * The main work tree of the common git folder `commonDir`: the folder of a `.git` folder, else
 * the one its config's `core.worktree` names (a submodule's git folder, kept in the
 * superproject's `.git/modules/`): the work trees a submodule's `git worktree add` made read its
 * record files too (review-48 F3). `undefined` for none (a bare repository).
 */
function mainWorkTree(commonDir: string): string | undefined {
  if (basename(commonDir) === ".git") return dirname(commonDir);
  let section = "";
  for (const line of (readText(join(commonDir, "config")) ?? "").split("\n")) {
    const header = /^\s*\[\s*([A-Za-z0-9.-]+)/.exec(line)?.[1];
    if (header !== undefined) section = header.toLowerCase();
    const value = /^\s*worktree\s*=\s*"?(.*?)"?\s*$/i.exec(line)?.[1];
    if (section === "core" && value) return resolve(commonDir, value);
  }
  return undefined;
}

/** The id `ref` (e.g. `refs/heads/main`) names: its loose file, else `packed-refs`. */
function readRef(
  dirs: { gitDir: string; commonDir: string },
  ref: string,
  depth = 0,
): string | undefined {
  if (depth > 5 || ref.split("/").includes("..")) return undefined;
  const base = PER_WORKTREE.test(ref) ? dirs.gitDir : dirs.commonDir;
  const loose = readText(join(base, ...ref.split("/")))?.trim();
  if (loose !== undefined) {
    if (OBJECT_ID.test(loose)) return loose;
    const target = /^ref:\s*(\S+)$/.exec(loose)?.[1];
    return target ? readRef(dirs, target, depth + 1) : undefined;
  }
  for (const line of readText(join(base, "packed-refs"))?.split("\n") ?? []) {
    if (line.startsWith("#") || line.startsWith("^")) continue;
    const space = line.indexOf(" ");
    if (space > 0 && line.slice(space + 1).trimEnd() === ref) {
      const id = line.slice(0, space);
      return OBJECT_ID.test(id) ? id : undefined;
    }
  }
  return undefined;
}

/**
 * The commit `head` (what `HEAD` of the work tree holding `dir` says, as {@linkcode checkoutOf}
 * gives it) is at, read from the files; `undefined` when that cannot be told (outside git, a
 * branch without a commit, refs not kept as files).
 *
 * @example
 * ```ts
 * import { checkoutOf, headCommitOf } from "./git.ts";
 * headCommitOf(".", checkoutOf(".").head); // 40 hex digits, or undefined
 * ```
 */
export function headCommitOf(dir: string, head: string): string | undefined {
  if (OBJECT_ID.test(head)) return head;
  const dirs = gitDirsKnown(dir);
  const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
  return dirs && ref ? readRef(dirs, ref) : undefined;
}

/**
 * `HEAD` of the git work tree holding `dir`, or `""` when there is none or its
 * branch has no commit yet. Read from the files, without starting git (a
 * process per run): the nearest `.git` folder, or `.git` file
 * (`gitdir: …`, linked work trees and submodules, with their `commondir`);
 * `HEAD` is an id (detached) or `ref: refs/heads/x`, whose id is in
 * `refs/heads/x` or in `packed-refs`. Repositories whose refs are not files
 * (the `reftable` format) are asked through `git rev-parse` (`""` in the
 * sandboxed build, which may not start it). As git does, `$GIT_DIR` names
 * the repository when set, and the search starts from `dir`'s real path (a
 * deliverable reached through a symbolic link has its target's HEAD).
 * `$GIT_WORK_TREE` changes no HEAD. `lookups` answers the look-ups (emit
 * passes its run's, which judged the `.git` and read `HEAD` in its folder
 * checks already).
 *
 * @example
 * ```ts
 * import { gitHead } from "./git.ts";
 * console.log(await gitHead(".")); // 40 hex digits, or ""
 * ```
 */
export function gitHead(dir: string, lookups?: Lookups): Promise<string> {
  try {
    const list = lookups?.folderEntries ?? folderEntries;
    const dirs = findGitDirs(dir, list, false, lookups);
    if (!dirs) return Promise.resolve("");
    gitDirsFound.set(dir, { value: dirs }); // the append's journal asks for them next (checkoutOf)
    const headFile = join(dirs.gitDir, "HEAD");
    const said = lookups === undefined ? readText(headFile) : lookups.hostFile(headFile);
    const head = typeof said === "string" ? said.trim() : "";
    if (OBJECT_ID.test(head)) return Promise.resolve(head);
    const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
    if (
      ref === "refs/heads/.invalid" || list(dirs.commonDir).get("reftable") === "folder"
    ) {
      return gitHeadFromGit(dir);
    }
    return Promise.resolve(ref ? readRef(dirs, ref) ?? "" : "");
  } catch {
    return Promise.resolve("");
  }
}

/**
 * A folder's names one at a time, each looked up when asked: an append asks
 * git's few names every time, and listing a folder of many (an execution
 * root) would cost it far more.
 */
function gitNamesOnly(folder: string): ReturnType<NameLookup> {
  const get = (name: string) => {
    const kind = kindOf(join(folder, name));
    return kind === "other" ? undefined : kind;
  };
  return { get, has: (name) => get(name) !== undefined };
}

/**
 * What `HEAD` of the work tree holding `dir` says (`ref: refs/heads/x`, or a
 * commit id when detached; `""` outside git) and when its repository last
 * made or took a `git stash` (ms since the epoch; 0 for never). Read from the
 * files; no git is started.
 *
 * @example
 * ```ts
 * import { checkoutOf } from "./git.ts";
 * checkoutOf(".").head; // "ref: refs/heads/main"
 * ```
 */
export function checkoutOf(dir: string): { head: string; stashed: number } {
  const dirs = gitDirsKnown(dir);
  if (!dirs) return { head: "", stashed: 0 };
  let stashed = 0;
  try {
    // Every stash made, popped or dropped rewrites its reflog; the last one gone removes it.
    stashed = Deno.statSync(join(dirs.commonDir, "logs/refs/stash")).mtime?.getTime() ?? 0;
  } catch { /* no stash */ }
  return { head: readText(join(dirs.gitDir, "HEAD"))?.trim() ?? UNKNOWN_HEAD, stashed };
}

/**
 * When `HEAD` of the work tree holding `dir` last left `head`'s branch for
 * another (`git checkout`, `git switch`), from HEAD's reflog: ms since the
 * epoch, rounded up to the next second (the reflog keeps seconds); 0 when it
 * never did, `head` is no branch, or the reflog cannot be read. No git is
 * started.
 *
 * @example
 * ```ts
 * import { checkoutOf, leftBranchAt } from "./git.ts";
 * leftBranchAt(".", checkoutOf(".").head); // 0 unless this checkout left its branch and came back
 * ```
 */
export function leftBranchAt(dir: string, head: string): number {
  const branch = head.startsWith("ref: refs/heads/") ? head.slice(16) : undefined;
  const dirs = gitDirsKnown(dir);
  if (branch === undefined || !dirs) return 0;
  let left = 0;
  for (const line of (readText(join(dirs.gitDir, "logs/HEAD")) ?? "").split("\n")) {
    const moved = /> ([0-9]+) [+-][0-9]{4}\tcheckout: moving from (\S+) to (\S+)$/.exec(line);
    if (moved && moved[2] === branch && moved[3] !== branch) {
      left = Math.max(left, (Number(moved[1]) + 1) * 1000);
    }
  }
  return left;
}

/**
 * Whether `HEAD` of the work tree holding `dir` moved other than by a commit
 * (a checkout, merge, rebase, reset, pull) at or after `since` (ms since the
 * epoch), from HEAD's reflog: only such a move renames a folder under a
 * writer. `false` outside git or when the reflog cannot be read. No git is
 * started; the reflog is read only when it changed since `since`.
 *
 * @example
 * ```ts
 * import { headMovedSince } from "./git.ts";
 * headMovedSince(".", Date.now() - 60_000); // true just after a `git checkout`
 * ```
 */
export function headMovedSince(dir: string, since: number): boolean {
  const dirs = gitDirsKnown(dir);
  if (!dirs) return false;
  const log = join(dirs.gitDir, "logs/HEAD");
  try {
    if ((Deno.statSync(log).mtime?.getTime() ?? 0) < since) return false;
  } catch {
    return false;
  }
  // The reflog keeps seconds: an entry of the second `since` falls in counts.
  const from = Math.floor(since / 1000);
  return reflogTail(log).split("\n").some((line) => {
    const entry = /> ([0-9]+) [+-][0-9]{4}\t(.*)$/.exec(line);
    return entry !== null && Number(entry[1]) >= from &&
      !/^commit( \((amend|initial)\))?:/.test(entry[2]);
  });
}

/**
 * The last {@linkcode REFLOG_TAIL} bytes of a reflog (its latest entries, a
 * first one cut short): a long-lived clone's `logs/HEAD` holds megabytes, and
 * an append asks only about the last minutes. `""` when it cannot be read.
 */
function reflogTail(path: string): string {
  try {
    using file = Deno.openSync(path, { read: true });
    const size = file.statSync().size;
    file.seekSync(Math.max(0, size - REFLOG_TAIL), Deno.SeekMode.Start);
    const bytes = new Uint8Array(Math.min(size, REFLOG_TAIL));
    let read = 0;
    while (read < bytes.length) {
      const n = file.readSync(bytes.subarray(read));
      if (n === null) break;
      read += n;
    }
    return new TextDecoder().decode(bytes.subarray(0, read));
  } catch {
    return "";
  }
}

/** How much of a reflog's end {@linkcode headMovedSince} reads: some 400 entries. */
const REFLOG_TAIL = 64 * 1024;

/**
 * {@linkcode checkoutOf}'s `head` in a work tree whose `HEAD` cannot be read
 * (the sandboxed build started in a linked work tree, whose git folder is in
 * the main one's): which branch is checked out cannot be told.
 */
export const UNKNOWN_HEAD = "unknown";

/**
 * The commits in which a rebase or merge under way keeps the uncommitted
 * changes it took aside (`--autostash`), in the work tree holding `dir`:
 * not stashes `git stash list` names, but put back by the command when it
 * ends. Read from the files.
 *
 * @example
 * ```ts
 * import { autostashes } from "./git.ts";
 * autostashes("."); // [] unless a `git pull --rebase --autostash` is under way
 * ```
 */
export function autostashes(dir: string): string[] {
  const dirs = gitDirsKnown(dir);
  if (!dirs) return [];
  return ["rebase-merge/autostash", "rebase-apply/autostash", "MERGE_AUTOSTASH"]
    .map((name) => readText(join(dirs.gitDir, name))?.trim() ?? "")
    .filter((id) => OBJECT_ID.test(id));
}

/**
 * The `index.lock` of the work tree holding `dir`, while one is held: when git took it (ms since
 * the epoch) and which it is (its path, inode and time: a lock a later git command takes is
 * another). A checkout, pull, merge, reset or stash holds it while it unlinks the files it
 * replaces and writes their new versions. One stat; `undefined` when none is held, and outside
 * git.
 */
function heldIndexLock(dir: string): { takenAt: number; lock: string } | undefined {
  const dirs = gitDirsKnown(dir);
  if (!dirs) return undefined;
  const path = join(dirs.gitDir, "index.lock");
  try {
    const info = Deno.lstatSync(path);
    const takenAt = info.mtime?.getTime() ?? 0;
    return { takenAt, lock: `${path} ${info.ino} ${takenAt}` };
  } catch {
    return undefined;
  }
}

/**
 * How long an append waits for git to write the record file it is
 * replacing, and how lately git must have written it to be writing it still;
 * a lock git left behind (a git killed mid-command) costs a process this long
 * once, as it stops every git command until it is removed.
 */
const GIT_WRITE_WAIT_MS = 2000;

/**
 * Waits, while git holds the index, for the record file it removed (or
 * created, and has not written yet) to hold its version: git replaces a file
 * by unlinking it and creating a new one, and a file runrec created in
 * between would keep git's out (its create fails), and every record before
 * ours with it, as would bytes git then wrote over ours (soak8 F6), into the
 * file it created or between two of its writes of a large one (soak-39 F1).
 *
 * @example
 * ```ts
 * import { awaitGitsVersion } from "./git.ts";
 * awaitGitsVersion("DEL-01-02_X/RunRecords.csv"); // returns at once unless git is replacing it
 * ```
 */
export function awaitGitsVersion(path: string): void {
  const deadline = Date.now() + GIT_WRITE_WAIT_MS;
  for (;;) {
    const held = heldIndexLock(dirname(path));
    if (held === undefined || waitedOut.has(held.lock) || !gitsToWrite(path, held.takenAt)) return;
    // Waited out: a lock git left behind, most likely; this process waits for that one no more.
    if (Date.now() >= deadline) {
      waitedOut.add(held.lock);
      return;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

/**
 * Whether git, holding the index since `takenAt`, is yet to write the record file at `path`:
 * gone, empty, or created since git took the index and written lately. git writes a large file
 * in pieces (16 KiB each), and bytes appended between two of them are covered by the next
 * (soak-39 F1). A file last written a while ago is not being written: under a lock a killed git
 * left, appends a few seconds apart do not each wait. Nor is one created before git took the
 * index: git writes a new file, and the bytes added to that one are appends, runrec's own, as
 * under a lock a killed git or an open `git commit -a` holds (review-40 F1: each append waited 2 s
 * for the one before it).
 */
function gitsToWrite(path: string, takenAt: number): boolean {
  try {
    const info = Deno.lstatSync(path);
    if (info.size === 0) return true;
    const [bornAt, writtenAt] = [info.birthtime, info.mtime].map((t) => t?.getTime());
    if (bornAt !== undefined && bornAt < takenAt) return false;
    return (writtenAt ?? 0) >= takenAt && Date.now() - (writtenAt ?? 0) < GIT_WRITE_WAIT_MS;
  } catch {
    return true;
  }
}

/**
 * The index locks a wait for git's version of a record file ran out on in this process. Only
 * those: a process that met a killed git's lock (in one repository) waits for every git command
 * after it (review-41 F1: a library's process waited for none again, in any repository).
 */
const waitedOut = new Set<string>();

/**
 * The git folders found for each folder asked about, in this process, with the looks that found
 * them (a check of `stale` whose answer rests on them records those: ./observed.ts).
 */
const gitDirsFound = new Map<string, Remembered<{ gitDir: string; commonDir: string }>>();

/**
 * The git folders of the work tree holding `dir`, found once a process (an
 * append asks at each record; a {@linkcode gitHead} of `dir` found them
 * already); looked for again while none is (`git init` may come later in a
 * process).
 */
function gitDirsKnown(dir: string): { gitDir: string; commonDir: string } | undefined {
  const dirs = remembered(gitDirsFound, dir, () => findGitDirs(dir, gitNamesOnly));
  if (dirs === undefined) gitDirsFound.delete(dir);
  return dirs;
}

/**
 * How long a write path waits for git's answer to a question whose answer it can do without (a
 * HEAD, whether inputs changed): a git stopped, or stalled on a file system, must not keep the
 * record from its file. As long as a live lock holder is waited for (SCHEMA.md 7.5).
 */
const GIT_ANSWER_MS = 10_000;

/**
 * `git rev-parse HEAD` in `dir`; `""` when it fails, cannot be started, or does not answer
 * within {@linkcode GIT_ANSWER_MS}.
 */
async function gitHeadFromGit(dir: string): Promise<string> {
  try {
    const { code, stdout } = await git(
      ["rev-parse", "--verify", "-q", "HEAD"],
      dir,
      undefined,
      AbortSignal.timeout(GIT_ANSWER_MS),
    );
    const head = new TextDecoder().decode(stdout).trim();
    return code === 0 && OBJECT_ID.test(head) ? head : "";
  } catch {
    return "";
  }
}

/**
 * Thrown when git cannot be started at all: not installed, or no permission
 * to run programs (a script started without `--allow-run`, whose message names
 * the flag; the CLI's sandboxed build says so instead). Its message is one
 * line, meant for users; the CLI exits `2`.
 *
 * @example
 * ```ts
 * import { GitUnavailableError, verifyHistory } from "@runrec/runrec";
 * // In a git clone of the project whose origin/main holds the record file; --allow-run (git).
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * try {
 *   await verifyHistory(`${dir}/RunRecords.csv`, "origin/main");
 * } catch (e) {
 *   if (!(e instanceof GitUnavailableError)) throw e; // a missing file, a bad revision: not this
 *   console.error(e.message); // no git, or no --allow-run: say so and go on
 * }
 * ```
 */
export class GitUnavailableError extends Error {
  /** Builds the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "GitUnavailableError";
  }
}

/**
 * Like {@linkcode git}, but a git that cannot be started becomes a
 * {@linkcode GitUnavailableError} saying why in one line.
 *
 * @example
 * ```ts
 * import { runGit } from "./git.ts";
 * const { code } = await runGit(["status", "--porcelain"], ".");
 * ```
 */
export async function runGit(
  args: string[],
  cwd: string,
  input?: Uint8Array,
  signal?: AbortSignal,
): Promise<GitResult> {
  try {
    return await git(args, cwd, input, signal);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      // Said to a library caller, who starts deno: the CLI says it for its builds instead.
      throw new GitUnavailableError(
        "no permission to run programs, so git cannot run: run deno again with --allow-run " +
          "(or --allow-run=git)",
        { cause: e },
      );
    }
    if (e instanceof Deno.errors.NotFound) {
      throw new GitUnavailableError("git is not installed or not on PATH", { cause: e });
    }
    throw e;
  }
}

const textDecoder = new TextDecoder();

/**
 * The top folder of the git work tree holding `dir`, or `undefined` outside one.
 * Throws {@linkcode InputError} with git's own message and remedy when git
 * refuses the repository because another user owns it.
 *
 * @example
 * ```ts
 * import { gitTopLevel } from "./git.ts";
 * console.log(await gitTopLevel(".")); // e.g. "/work/main"
 * ```
 */
export async function gitTopLevel(dir: string): Promise<string | undefined> {
  const { code, stdout, stderr } = await runGit(["rev-parse", "--show-toplevel"], dir);
  const refused = dubiousOwnership(stderr);
  if (code !== 0 && refused) throw new InputError(`${dir}: git: ${refused}`);
  const top = textDecoder.decode(stdout).replace(/\n$/, "");
  return code === 0 && top !== "" ? top : undefined;
}

/**
 * The full commit id `rev` names, or `undefined` when git knows no such commit.
 *
 * @example
 * ```ts
 * import { resolveCommit } from "./git.ts";
 * console.log(await resolveCommit("HEAD~1", ".")); // 40 hex digits, or undefined
 * ```
 */
export async function resolveCommit(rev: string, cwd: string): Promise<string | undefined> {
  // `--end-of-options` so that a rev starting with `-` is never read as an option.
  const { code, stdout } = await runGit(
    ["rev-parse", "--verify", "-q", "--end-of-options", `${rev}^{commit}`],
    cwd,
  );
  const id = textDecoder.decode(stdout).trim();
  return code === 0 && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(id) ? id : undefined;
}

/** One file added, deleted or renamed between two trees, as {@linkcode treeChanges} reports it. */
export interface TreeChange {
  /** `A` added, `D` deleted, `R` renamed (git's rename detection), `M` and others as git says. */
  status: string;
  /** Path in the newer tree (the older one's for `D`), relative to the top, `/`-separated. */
  path: string;
  /** For `R`: the path in the older tree. */
  from?: string;
}

/**
 * The files that differ between commit `older` and commit `newer` (or the
 * working tree, when `newer` is `undefined`; the index, when it is
 * `"index"`: what git has been told of), with git's rename detection (`-M`,
 * a rename that keeps at least half of the content); of the paths `pathspec`
 * names, when given.
 *
 * @example
 * ```ts
 * import { treeChanges } from "./git.ts";
 * for (const change of await treeChanges("HEAD~1", "HEAD", ".")) {
 *   if (change.status === "R") console.log(change.from, "->", change.path);
 * }
 * ```
 */
export async function treeChanges(
  older: string,
  newer: string | undefined,
  cwd: string,
  pathspec?: string,
): Promise<TreeChange[]> {
  const trees = newer === "index" ? ["--cached", older] : [older, ...newer ? [newer] : []];
  const { code, stdout, stderr } = await runGit(
    [
      "diff",
      "-z",
      "--name-status",
      "-M",
      "--no-ext-diff",
      ...trees,
      "--",
      ...pathspec ? [pathspec] : [],
    ],
    cwd,
  );
  if (code !== 0) throw new Error(`git diff failed: ${stderr.split("\n")[0]}`);
  const fields = textDecoder.decode(stdout).split("\0");
  const changes: TreeChange[] = [];
  for (let i = 0; i + 1 < fields.length;) {
    const status = fields[i++].charAt(0);
    // Renames and copies name two paths (old, new); every other status one.
    if (status === "R" || status === "C") {
      changes.push({ status, from: fields[i], path: fields[i + 1] });
      i += 2;
    } else changes.push({ status, path: fields[i++] });
  }
  return changes;
}

/**
 * The files named `name` in the work tree at `top` that git does not track
 * (a folder moved with a plain `mv`, not added yet), ignored ones too:
 * paths relative to the top, `/`-separated. Nested repositories are
 * not looked in.
 *
 * @example
 * ```ts
 * import { untrackedFiles } from "./git.ts";
 * console.log(await untrackedFiles("RunRecords.csv", ".")); // ["_Archive/DEL-01-03_X/RunRecords.csv"]
 * ```
 */
export async function untrackedFiles(name: string, top: string): Promise<string[]> {
  const { code, stdout, stderr } = await runGit(
    ["ls-files", "--others", "-z", "--", `:(top,glob)**/${name}`],
    top,
  );
  if (code !== 0) throw new Error(`git ls-files failed: ${stderr.split("\n")[0]}`);
  return textDecoder.decode(stdout).split("\0").filter((path) => path !== "");
}

/**
 * Which of `paths` (relative to the top of the work tree at `top`,
 * `/`-separated) the index marks skip-worktree: left out of the work tree
 * by a sparse checkout, so absent by design, not deleted.
 *
 * @example
 * ```ts
 * import { skipWorktreePaths } from "./git.ts";
 * const outside = await skipWorktreePaths(["DEL-01-03_X/RunRecords.csv"], ".");
 * console.log(outside.size > 0 ? "outside the sparse checkout" : "checked out");
 * ```
 */
export async function skipWorktreePaths(paths: string[], top: string): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  const { code, stdout, stderr } = await runGit(
    ["ls-files", "-t", "-z", "--", ...paths.map((path) => `:(top,literal)${path}`)],
    top,
  );
  if (code !== 0) throw new Error(`git ls-files failed: ${stderr.split("\n")[0]}`);
  // `<tag> <path>`: `S` marks skip-worktree.
  const entries = textDecoder.decode(stdout).split("\0");
  return new Set(entries.filter((e) => e.startsWith("S ")).map((e) => e.slice(2)));
}

/**
 * The blob id git would store for the file at `absolute` if it were
 * committed at `path`: after its line-end conversion (`core.autocrlf`,
 * `eol` and `text` attributes) and clean filters. Nothing is written.
 *
 * @example
 * ```ts
 * import { cleanBlobId } from "./git.ts";
 * console.log(await cleanBlobId("/repo/DEL-01-02_X/RunRecords.csv", "DEL-01-02_X/RunRecords.csv", "/repo"));
 * ```
 */
export async function cleanBlobId(absolute: string, path: string, cwd: string): Promise<string> {
  const { code, stdout, stderr } = await runGit(
    ["hash-object", `--path=${path}`, "--", absolute],
    cwd,
  );
  if (code !== 0) throw new Error(`git hash-object failed: ${stderr.split("\n")[0]}`);
  return textDecoder.decode(stdout).trim();
}

/** What git tells of files since a time: see {@linkcode committedAsTheyAre}. */
export interface SinceThen {
  /** The paths that hold what git held for them then. */
  unchanged: Set<string>;
  /**
   * The paths in a work tree whose history starts after then (a shallow clone, a repository made
   * since): git cannot tell.
   */
  noHistoryThen: Set<string>;
  /** Whether git was asked and did not answer in time (both sets are then empty). */
  unanswered: boolean;
}

/** One thing to compare with a commit: a file's bytes, or a symbolic link's own text. */
interface Comparison {
  /** The path asked about, as given. */
  path: string;
  /** The top of the work tree holding `at`. */
  top: string;
  /** Where, relative to `top`, `/`-separated. */
  at: string;
  /** The link's text, when this compares a link; else the bytes of the file at `at` are compared. */
  link?: string;
}

/**
 * The comparisons that tell whether `path` holds what it held: the bytes of the file it leads to
 * (git tracks that file there), and the link's own text when it is a symbolic link (a link
 * repointed since leads to other bytes). None when one of them is outside every work tree.
 */
function comparisonsOf(path: string, lookups: Lookups): Comparison[] {
  const inTree = (real: string | Error, link?: string): Comparison | undefined => {
    if (real instanceof Error) return undefined;
    const top = findGitRoot(dirname(real), lookups);
    const at = top === undefined ? "" : relative(top, real).split("\\").join("/");
    // Outside the work tree, or a name the line protocol cannot carry: git cannot tell.
    if (top === undefined || !isInside(real, top) || at.includes("\n")) return undefined;
    return { path, top, at, ...(link === undefined ? {} : { link }) };
  };
  const bytes = inTree(lookups.realPath(path));
  if (lookups.lstat(path) !== "symlink") return bytes ? [bytes] : [];
  try {
    const folder = lookups.realPath(dirname(path));
    const link = inTree(
      folder instanceof Error ? folder : join(folder, basename(path)),
      Deno.readLinkSync(path),
    );
    return bytes && link ? [bytes, link] : [];
  } catch {
    return []; // unreadable
  }
}

/**
 * The commit checked out in the work tree at `top` at `before` (ms since the epoch): HEAD's reflog
 * says, when it reaches back that far (a branch merged by fast-forward since, a rebase, a checkout
 * of another branch: it names what was there); else (a fresh clone) HEAD's first-parent history,
 * by commit time. `undefined` when neither reaches back that far; throws when git fails (no
 * commit yet, a repository git refuses).
 */
async function commitAt(
  top: string,
  before: number,
  signal: AbortSignal,
): Promise<string | undefined> {
  const seconds = Math.floor(before / 1000);
  const reflog = await runGit(
    ["rev-parse", "--verify", `HEAD@{@${seconds}}`],
    top,
    undefined,
    signal,
  );
  // Asked for a time before its first entry, git answers with that entry, and warns.
  if (reflog.code === 0 && !reflog.stderr.includes("only goes back to")) {
    return textDecoder.decode(reflog.stdout).trim();
  }
  const log = await runGit(
    ["log", "-1", "--first-parent", "--format=%H", `--before=@${seconds}`, "HEAD"],
    top,
    undefined,
    signal,
  );
  if (log.code !== 0) throw new Error(`git log failed: ${log.stderr.split("\n")[0]}`);
  const commit = textDecoder.decode(log.stdout).trim();
  return commit === "" ? undefined : commit;
}

/** Whether each of `comparisons` (all in one work tree) holds what `commit` held there. */
async function sameAsIn(
  commit: string,
  comparisons: Comparison[],
  signal: AbortSignal,
): Promise<Map<Comparison, boolean>> {
  const top = comparisons[0].top;
  const files = comparisons.filter((c) => c.link === undefined);
  const links = comparisons.filter((c) => c.link !== undefined);
  const lines = (list: string[]) => new TextEncoder().encode(list.map((l) => `${l}\n`).join(""));
  const [then, now, linkTexts] = await Promise.all([
    runGit(
      ["cat-file", "--batch-check=%(objectname)"],
      top,
      lines(files.map((c) => `${commit}:${c.at}`)),
      signal,
    ),
    // As git would store them: clean filters and line ends applied.
    runGit(["hash-object", "--stdin-paths"], top, lines(files.map((c) => c.at)), signal),
    links.length === 0 ? [] : readObjects(links.map((c) => `${commit}:${c.at}`), top, signal),
  ]);
  const [was, is] = [then, now].map((out) =>
    out.code === 0 ? textDecoder.decode(out.stdout).split("\n") : []
  );
  return new Map([
    ...files.map((c, i) => [c, was[i] !== undefined && was[i] === is[i]] as const),
    ...links.map((c, i) => {
      const text = linkTexts[i];
      return [c, text !== undefined && textDecoder.decode(text) === c.link] as const;
    }),
  ]);
}

/**
 * Of `paths` (absolute), those that hold what they held at `before` (ms since the epoch) as git
 * would store them, whatever their modification times say (a clone, a checkout, a `touch`); and
 * those git cannot tell of because their work tree's history starts after `before`. Then is the
 * commit HEAD's reflog names at `before`, else (a fresh clone) the last of HEAD's first-parent
 * history committed by then. A symbolic link is judged by the file it leads to and by its own text.
 * A few git calls per work tree however many paths; in neither set when git cannot tell otherwise
 * (outside a work tree, git failing, not answering within 10 s, or not allowed to run).
 *
 * @example
 * ```ts
 * import { committedAsTheyAre } from "./git.ts";
 * const { unchanged } = await committedAsTheyAre(["/p/DEL-01-02_X/Spec.md"], Date.parse("2026-12-01T09:20:00Z"));
 * console.log(unchanged.has("/p/DEL-01-02_X/Spec.md"));
 * ```
 */
export async function committedAsTheyAre(
  paths: readonly string[],
  before: number,
): Promise<SinceThen> {
  const told: SinceThen = { unchanged: new Set(), noHistoryThen: new Set(), unanswered: false };
  // One look-up per folder on the way up to each work tree's top, however many paths are in it.
  const lookups = memoLookups();
  const byPath = new Map(paths.map((path) => [path, comparisonsOf(path, lookups)]));
  const byTop = Map.groupBy([...byPath.values()].flat(), (c) => c.top);
  const same = new Map<Comparison, boolean>();
  const noHistory = new Set<string>();
  const answerBy = AbortSignal.timeout(GIT_ANSWER_MS);
  try {
    for (const [top, comparisons] of byTop) {
      const commit = await commitAt(top, before, answerBy);
      if (commit === undefined) noHistory.add(top);
      else for (const [c, held] of await sameAsIn(commit, comparisons, answerBy)) same.set(c, held);
    }
    answerBy.throwIfAborted(); // a git killed at the deadline answered nothing
  } catch {
    // git cannot run here (a sandbox), fails or does not answer: it cannot tell
    return { ...told, unanswered: answerBy.aborted };
  }
  for (const [path, comparisons] of byPath) {
    if (comparisons.length === 0) continue;
    if (comparisons.every((c) => same.get(c))) told.unchanged.add(path);
    else if (comparisons.every((c) => same.get(c) || noHistory.has(c.top))) {
      told.noHistoryThen.add(path);
    }
  }
  return told;
}

/**
 * The blob id of exactly `bytes`, with no conversion. Nothing is written.
 *
 * @example
 * ```ts
 * import { blobId } from "./git.ts";
 * console.log(await blobId(new TextEncoder().encode("x\n"), ".")); // 40 or 64 hex digits
 * ```
 */
export async function blobId(bytes: Uint8Array, cwd: string): Promise<string> {
  const { code, stdout, stderr } = await runGit(
    ["hash-object", "--no-filters", "--stdin"],
    cwd,
    bytes,
  );
  if (code !== 0) throw new Error(`git hash-object failed: ${stderr.split("\n")[0]}`);
  return textDecoder.decode(stdout).trim();
}

/**
 * The objects `specs` name (object ids, or `rev:path`), read by one
 * `git cat-file --batch`, in order; `undefined` for one git does not have.
 * Raw bytes: no text conversion. Specs must not hold a line break.
 *
 * @example
 * ```ts
 * import { readObjects } from "./git.ts";
 * const [bytes] = await readObjects(["HEAD:README.md"], ".");
 * console.log(bytes?.length ?? "not in HEAD");
 * ```
 */
export async function readObjects(
  specs: string[],
  cwd: string,
  signal?: AbortSignal,
): Promise<(Uint8Array | undefined)[]> {
  if (specs.length === 0) return [];
  const input = new TextEncoder().encode(specs.map((spec) => `${spec}\n`).join(""));
  const { code, stdout, stderr } = await runGit(["cat-file", "--batch"], cwd, input, signal);
  if (code !== 0) throw new Error(`git cat-file --batch failed: ${stderr.split("\n")[0]}`);
  const objects: (Uint8Array | undefined)[] = [];
  let at = 0;
  for (const _ of specs) {
    const end = stdout.indexOf(10, at);
    const header = textDecoder.decode(stdout.subarray(at, end));
    at = end + 1;
    // `<id> <type> <size>`, then the content and a newline; or `<spec> missing` (or ambiguous).
    const size = /^[0-9a-f]+ \S+ (\d+)$/.exec(header)?.[1];
    if (size === undefined) {
      objects.push(undefined);
      continue;
    }
    objects.push(stdout.subarray(at, at + Number(size)));
    at += Number(size) + 1;
  }
  return objects;
}

/**
 * The lines git prints for `args` in `cwd`, as raw bytes without their
 * `\n`, while git runs: memory follows the longest line, not the output.
 * Throws when git exits non-zero (after the lines), with its first line of
 * standard error.
 *
 * @example
 * ```ts
 * import { gitLines } from "./git.ts";
 * for await (const line of gitLines(["log", "--format=%H"], ".")) console.log(line.length);
 * ```
 */
export async function* gitLines(args: string[], cwd: string): AsyncGenerator<Uint8Array> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("git", {
      args: [...GIT_SETTINGS, ...args],
      cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: gitEnvironment(cwd),
    }).spawn();
  } catch (e) {
    // The same one-line reasons as runGit gives.
    await runGit(["--version"], cwd);
    throw e;
  }
  const stderr = new Response(child.stderr).text();
  let finished = false;
  try {
    let pending = new Uint8Array(0);
    for await (const chunk of child.stdout) {
      let data = chunk;
      if (pending.length > 0) {
        data = new Uint8Array(pending.length + chunk.length);
        data.set(pending);
        data.set(chunk, pending.length);
      }
      let start = 0;
      for (let end = data.indexOf(10); end >= 0; end = data.indexOf(10, start)) {
        yield data.subarray(start, end);
        start = end + 1;
      }
      pending = data.slice(start);
    }
    if (pending.length > 0) yield pending;
    finished = true;
  } finally {
    // A consumer that stops early must not leave git running.
    if (!finished) {
      try {
        child.kill();
      } catch { /* already gone */ }
    }
    await child.status;
  }
  const { code } = await child.status;
  if (code !== 0) {
    const subcommand = args.find((arg, i) => !arg.startsWith("-") && args[i - 1] !== "-c");
    const said = gitReason(await stderr);
    throw new Error(`git ${subcommand} failed: ${said}${await partialCloneHint(cwd)}`);
  }
}

/** What {@linkcode gitRepository} finds. */
export interface RepositoryFacts {
  /** Top folder of the work tree. */
  top: string;
  /** The commits a shallow clone lacks the parents of (its `shallow` file); empty when complete. */
  shallow: Set<string>;
}

/**
 * The git work tree holding `dir` (its top, and the commits whose parents a
 * shallow clone lacks), or `undefined` outside one. Throws
 * {@linkcode InputError} with git's own message and remedy when git refuses
 * the repository because another user owns it.
 *
 * @example
 * ```ts
 * import { gitRepository } from "./git.ts";
 * const facts = await gitRepository(".");
 * if (facts && facts.shallow.size > 0) console.log(`${facts.top} is a shallow clone`);
 * ```
 */
export async function gitRepository(dir: string): Promise<RepositoryFacts | undefined> {
  // One path per call: a path may hold a newline, so only the final one is git's.
  const [top, found] = await Promise.all([
    gitTopLevel(dir),
    runGit(["rev-parse", "--git-path", "shallow"], dir),
  ]);
  if (!top || found.code !== 0) return undefined;
  const shallowPath = textDecoder.decode(found.stdout).replace(/\n$/, "");
  const text = readText(resolve(dir, shallowPath)) ?? "";
  const shallow = new Set(text.split("\n").map((line) => line.trim()).filter((l) => l !== ""));
  return { top, shallow };
}

/**
 * How git would store a file, where that keeps its records from being checked:
 * {@linkcode storedAs}.
 */
export interface StoredAs {
  /** The rule that ignores it, as git names it: `.gitignore:1: *.csv`. */
  ignoredBy?: string;
  /** The clean/smudge filter git stores it through (`lfs`). */
  filter?: string;
  /** The encoding git checks it out in (`UTF-16LE-BOM`). */
  encoding?: string;
  /** Whether git expands `$Id$` in it on checkout (the `ident` attribute). */
  ident?: boolean;
}

/**
 * For each of `paths` (absolute, in the work tree holding `cwd`) that git
 * would not store as its bytes: ignored (`.gitignore` and the like, and not
 * tracked), stored through a clean/smudge filter or a
 * `working-tree-encoding`, or with `$Id$` expanded on checkout (`ident`).
 * Paths git stores as they are are left out; so is
 * everything when git cannot answer (not a work tree, a path in a submodule).
 *
 * @example
 * ```ts
 * import { storedAs } from "./git.ts";
 * const file = "/repo/DEL-01-02_X/RunRecords.csv";
 * const how = (await storedAs([file], "/repo")).get(file);
 * if (how?.ignoredBy) console.log(`ignored by ${how.ignoredBy}`);
 * ```
 */
export async function storedAs(paths: string[], cwd: string): Promise<Map<string, StoredAs>> {
  const found = new Map<string, StoredAs>();
  if (paths.length === 0) return found;
  const input = new TextEncoder().encode(paths.map((path) => `${path}\0`).join(""));
  const [ignore, attributes] = await Promise.all([
    runGit(["check-ignore", "-v", "-z", "--stdin"], cwd, input),
    runGit(
      ["check-attr", "-z", "--stdin", "filter", "working-tree-encoding", "ident"],
      cwd,
      input,
    ),
  ]);
  const entry = (path: string) => found.get(path) ?? found.set(path, {}).get(path)!;
  // Exit 1: nothing ignored. Fields: source, line, pattern, path; a `!` pattern re-includes it.
  const ignored = ignore.code === 0 ? textDecoder.decode(ignore.stdout).split("\0") : [];
  for (let i = 0; i + 3 < ignored.length; i += 4) {
    const [source, line, pattern, path] = ignored.slice(i, i + 4);
    if (!pattern.startsWith("!")) entry(path).ignoredBy = `${source}:${line}: ${pattern}`;
  }
  // Fields: path, attribute, value; a driver or encoding is a value other than these.
  const plain = new Set(["unspecified", "unset", "set"]);
  const values = attributes.code === 0 ? textDecoder.decode(attributes.stdout).split("\0") : [];
  for (let i = 0; i + 2 < values.length; i += 3) {
    const [path, attribute, value] = values.slice(i, i + 3);
    if (attribute === "ident") {
      if (value === "set") entry(path).ident = true;
      continue;
    }
    if (plain.has(value)) continue;
    if (attribute === "filter") entry(path).filter = value;
    else entry(path).encoding = value;
  }
  return found;
}
