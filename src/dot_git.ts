/**
 * What a folder's `.git` is to git's own search for a repository: a `.git`
 * file (a linked work tree's, a submodule's) or a `.git` folder holding a
 * repository ends the search there; a `.git` folder that holds none (made by
 * `mkdir`, or emptied) is passed over, and the search goes on upwards, as git
 * goes on (setup.c's `is_git_directory`). runrec's searches (the work tree's
 * top, the project's bounds, the git folders) ask this one question, so they
 * find the repository git finds.
 *
 * @module
 */
import { join, resolve } from "./path.ts";
import type { Lookups } from "./lookups.ts";

/** What a folder's `.git` is, when git's search stops there: `symlink` for a link to either. */
export type DotGit = "folder" | "file" | "symlink";

/** The look-ups the judging asks: a name's kind, links followed or not, and a small file's text. */
type Looks = Pick<Lookups, "lstatKind" | "statKind" | "hostFile" | "realPath">;

/** What git's `get_oid_hex_any` reads as a detached HEAD: an object id's first 40 hex digits. */
const OBJECT_ID = /^[0-9a-f]{40}/i;

/**
 * What `dir`'s `.git` is when it ends git's search there, `undefined` when
 * there is none or git passes over it (a folder holding no repository).
 * `lookups` answers the look-ups (default: the system).
 *
 * @example
 * ```ts
 * import { dotGitOf } from "./dot_git.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/.git`);
 * dotGitOf(dir); // undefined: an empty `.git` folder is no repository
 * ```
 */
export function dotGitOf(dir: string, lookups: Looks = directLooks): DotGit | undefined {
  const dotGit = join(dir, ".git");
  const kind = lookups.lstatKind(dotGit);
  if (kind === undefined || kind === "other") return undefined;
  const target = kind === "symlink" ? lookups.statKind(dotGit) : kind; // git follows the link
  if (target === "folder") return holdsRepository(dotGit, lookups) ? kind : undefined;
  return target === "file" ? kind : undefined;
}

/**
 * Whether the git folder `gitDir` holds a repository as git judges one: a `HEAD` naming a ref or
 * a commit, and `objects` and `refs` folders in its common folder.
 */
function holdsRepository(gitDir: string, lookups: Looks): boolean {
  const text = (path: string) => {
    const found = lookups.hostFile(path);
    return typeof found === "string" ? found : undefined;
  };
  const common = text(join(gitDir, "commondir"))?.replace(/[\r\n]+$/, "");
  // Taken from the real folder, as git takes it: a linked `.git` naming a linked work tree's folder
  // in another repository's `worktrees/` has its `../..` there, not beside the link.
  const real = common ? lookups.realPath(gitDir) : gitDir;
  if (typeof real !== "string") return false;
  const commonDir = common ? resolve(real, common) : gitDir;
  if (lookups.statKind(join(commonDir, "objects")) !== "folder") return false;
  if (lookups.statKind(join(commonDir, "refs")) !== "folder") return false;
  const head = join(gitDir, "HEAD");
  // A HEAD that is a symbolic link is judged by where it points alone (git's old way: its branch).
  if (lookups.lstatKind(head) === "symlink") return linkTarget(head);
  const said = text(head);
  return said !== undefined && (/^ref:\s*refs\//.test(said) || OBJECT_ID.test(said));
}

function linkTarget(path: string): boolean {
  try {
    return Deno.readLinkSync(path).startsWith("refs/");
  } catch {
    return false;
  }
}

function kindOf(info: Deno.FileInfo): "file" | "folder" | "symlink" | "other" {
  return info.isSymlink ? "symlink" : info.isFile ? "file" : info.isDirectory ? "folder" : "other";
}

/** The system's answers, asked every time. */
const directLooks: Looks = {
  lstatKind(path) {
    try {
      return kindOf(Deno.lstatSync(path));
    } catch {
      return undefined;
    }
  },
  statKind(path) {
    try {
      const kind = kindOf(Deno.statSync(path));
      return kind === "symlink" ? undefined : kind;
    } catch {
      return undefined;
    }
  },
  realPath(path) {
    try {
      return Deno.realPathSync(path);
    } catch (error) {
      return error as Error;
    }
  },
  hostFile(path) {
    try {
      // A regular file of a few lines only: never a FIFO's open, which would wait for a writer.
      const info = Deno.statSync(path);
      return info.isFile && info.size <= 4096 ? Deno.readTextFileSync(path) : undefined;
    } catch {
      return undefined;
    }
  },
};
