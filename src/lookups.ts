/**
 * File-system look-ups (`lstat`, `stat`, real path, host-file text) that a
 * command checking many deliverables (`runrec stale`) asks again and again:
 * the folders of a package share every ancestor, and several checks of one
 * deliverable name the same files. {@linkcode memoLookups} answers each
 * question once per command, so that every check of the run sees the same
 * file system; {@linkcode directLookups} asks the system every time, for a
 * single emit.
 *
 * @module
 */
import { basename, dirname, isNormalAbsolute, join } from "./path.ts";
import { readFolderFile } from "./deliverable.ts";

/** The look-ups; each answer is what the `Deno` call would return or throw. */
export interface Lookups {
  /** `Deno.lstatSync(path)`, or the error it throws. */
  lstat(path: string): Deno.FileInfo | Error;
  /** `Deno.statSync(path)`, or the error it throws. */
  stat(path: string): Deno.FileInfo | Error;
  /** `Deno.realPathSync(path)` of an absolute path, or the error it throws. */
  realPath(path: string): string | Error;
  /** `readFolderFile(path)`: the text of a small host file, `undefined`, or the error. */
  hostFile(path: string): string | undefined | Error;
}

function attempt<T>(fn: () => T): T | Error {
  try {
    return fn();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * Look-ups that ask the system every time.
 *
 * @example
 * ```ts
 * import { directLookups } from "./lookups.ts";
 * directLookups.stat("/") instanceof Error; // false
 * ```
 */
export const directLookups: Lookups = {
  lstat: (path) => attempt(() => Deno.lstatSync(path)),
  stat: (path) => attempt(() => Deno.statSync(path)),
  realPath: (path) => attempt(() => Deno.realPathSync(path)),
  hostFile: (path) => attempt(() => readFolderFile(path)),
};

/**
 * Look-ups answered once each for the life of the returned object (one
 * command): a path is `lstat`ed once, and that one answer also gives its
 * `stat` (unless it is a symbolic link) and its real path (its parent's real
 * path and its name, unless it is a link). Use a fresh one per command: it
 * never notices a change on disk.
 *
 * @example
 * ```ts
 * import { memoLookups } from "./lookups.ts";
 * const lookups = memoLookups();
 * lookups.realPath("/") === "/"; // true
 * ```
 */
export function memoLookups(): Lookups {
  const lstats = new Map<string, Deno.FileInfo | Error>();
  const stats = new Map<string, Deno.FileInfo | Error>();
  const reals = new Map<string, string | Error>();
  const texts = new Map<string, string | undefined | Error>();
  const lstat = (path: string) => {
    let info = lstats.get(path);
    if (info === undefined) lstats.set(path, info = directLookups.lstat(path));
    return info;
  };
  const stat = (path: string) => {
    const link = lstat(path);
    if (!(link instanceof Error) && !link.isSymlink) return link;
    let info = stats.get(path);
    if (info === undefined) stats.set(path, info = directLookups.stat(path));
    return info;
  };
  const realPath = (path: string): string | Error => {
    let real = reals.get(path);
    if (real !== undefined) return real;
    const cut = path.lastIndexOf("/");
    const link = cut > 0 && isNormalAbsolute(path) ? lstat(path) : undefined;
    if (link === undefined || link instanceof Error || link.isSymlink) {
      // A link, a root's child, a path with `..`, or nothing there: the system says.
      real = directLookups.realPath(path);
    } else {
      const parent = realPath(path.slice(0, cut));
      real = parent instanceof Error
        ? parent
        : `${parent === "/" ? "" : parent}/${path.slice(cut + 1)}`;
    }
    reals.set(path, real);
    return real;
  };
  const hostFile = (path: string) => {
    if (!texts.has(path)) texts.set(path, directLookups.hostFile(path));
    return texts.get(path);
  };
  return { lstat, stat, realPath, hostFile };
}

/**
 * `path` (absolute) with its symbolic links resolved; when it does not exist,
 * its nearest existing ancestor resolved and the missing tail kept as written.
 *
 * @example
 * ```ts
 * import { resolvedPath } from "./lookups.ts";
 * resolvedPath("/no-such-folder/x.md"); // "/no-such-folder/x.md"
 * ```
 */
export function resolvedPath(path: string, lookups: Lookups = directLookups): string {
  const real = lookups.realPath(path);
  if (typeof real === "string") return real;
  const parent = dirname(path);
  return parent === path ? path : join(resolvedPath(parent, lookups), basename(path));
}
