/**
 * The project a deliverable folder belongs to (its git work tree, else its
 * execution root), which bounds what runrec reads and where it looks for
 * the project's agent files.
 *
 * @module
 */
import { dirname, isAtOrBeneath, isInside, isNormalAbsolute, join, resolve } from "./path.ts";
import {
  findExecutionRoot,
  findGitRoot,
  isExecutionRoot,
  requireRootInSight,
} from "./deliverable.ts";
import { gitDirsOf } from "./git.ts";
import { directLookups, type Lookups, resolvedPath } from "./lookups.ts";
import { dotGitOf } from "./dot_git.ts";

/** The folder every governed input must resolve inside, and what that folder is. */
export interface ProjectBounds {
  /** The folder, absolute, symbolic links resolved. */
  root: string;
  /** What it is, as notes name it. */
  kind: "git work tree" | "execution root" | "deliverable folder";
}

/**
 * The project a deliverable folder belongs to, which bounds what runrec reads:
 * the git work tree holding the folder (its superproject's, when that work
 * tree is a submodule: a package kept as a submodule reads the decomposition
 * above it), else its execution root (the nearest
 * ancestor with `INIT.md` or `_Decomposition/`), else the folder itself.
 * Symbolic links are resolved first: a deliverable reached through a link
 * belongs to the project it really is in. A caller that knows the git and
 * execution roots of the folder's real path passes them as `places`.
 *
 * @throws {InputError} when neither root is found and this process may not
 * read above some ancestor (`requireRootInSight`): the root may be there.
 *
 * @example
 * ```ts
 * import { projectBounds } from "./project_bounds.ts";
 * const dir = await Deno.makeTempDir();
 * projectBounds(dir); // { root: dir (resolved), kind: "deliverable folder" }
 * await Deno.remove(dir);
 * ```
 */
export function projectBounds(
  delDir: string,
  places?: { gitRoot?: string; executionRoot?: string },
  lookups: Lookups = directLookups,
): ProjectBounds {
  const real = resolvedPath(resolve(delDir), lookups);
  const gitRoot = places ? places.gitRoot : findGitRoot(real, lookups);
  if (gitRoot !== undefined) {
    return { root: resolvedPath(superprojectOf(gitRoot, lookups), lookups), kind: "git work tree" };
  }
  const executionRoot = places ? places.executionRoot : findExecutionRoot(real, lookups);
  if (executionRoot !== undefined) {
    return { root: resolvedPath(executionRoot, lookups), kind: "execution root" };
  }
  // Neither found may mean neither seen (trial-q F3): then no bounds can be told.
  requireRootInSight(real, delDir, lookups);
  return { root: real, kind: "deliverable folder" };
}

/**
 * The top of the project holding `dir`, as its path is written (links not resolved): the git
 * work tree's (its superproject's, for a submodule), else the execution root (`dir` itself
 * when it is one), as {@linkcode projectBounds} finds them; `undefined` when there is neither.
 * Where runrec stops looking upwards for the project's agent files (trial-t F6).
 *
 * @example
 * ```ts
 * import { projectTop } from "./project_bounds.ts";
 * projectTop("examples/PKG-01_Field_Instruments"); // the repository's top (a git work tree)
 * ```
 */
export function projectTop(dir: string, lookups: Lookups = directLookups): string | undefined {
  const gitRoot = findGitRoot(dir, lookups);
  if (gitRoot !== undefined) return superprojectOf(gitRoot, lookups);
  return isExecutionRoot(dir, lookups) ? resolve(dir) : findExecutionRoot(dir, lookups);
}

/**
 * The outermost work tree `gitRoot` is a submodule of, or `gitRoot` itself:
 * a submodule's git folder lies beneath its superproject's `modules/`
 * (nested submodules, beneath their parent's).
 */
function superprojectOf(gitRoot: string, lookups: Lookups): string {
  let root = gitRoot;
  while (true) {
    // A `.git` folder holds the work tree's own repository: git gives a submodule's checkout a
    // `.git` file. So the walk above it (to `/`, when there is no superproject) is not needed.
    if (dotGitOf(root, lookups) === "folder") return root;
    const own = gitDirsOf(root);
    const above = findGitRoot(dirname(root), lookups);
    const aboveDirs = above === undefined ? undefined : gitDirsOf(above);
    if (own === undefined || above === undefined || aboveDirs === undefined) return root;
    const modules = join(aboveDirs.gitDir, "modules");
    if (!isInsideProject(own.gitDir, { root: modules, kind: "git work tree" })) return root;
    root = above;
  }
}

/**
 * Whether `path`, once its symbolic links are resolved, lies inside the
 * project `bounds` names (the root itself counts as inside).
 *
 * @example
 * ```ts
 * import { isInsideProject } from "./project_bounds.ts";
 * isInsideProject("/etc/shadow", { root: "/work/repo", kind: "git work tree" }); // false
 * ```
 */
export function isInsideProject(
  path: string,
  bounds: ProjectBounds,
  lookups: Lookups = directLookups,
): boolean {
  const real = resolvedPath(resolve(path), lookups);
  // Normal paths (every POSIX one) are compared as text: no normalising, in every check of a stale run.
  if (isNormalAbsolute(real) && isNormalAbsolute(bounds.root)) {
    return isAtOrBeneath(real, bounds.root);
  }
  return isInside(real, bounds.root);
}
