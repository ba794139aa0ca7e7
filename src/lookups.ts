/**
 * File-system look-ups (`lstat`, `stat`, real path, host-file text) that a
 * command checking many deliverables (`runrec stale`) asks again and again:
 * the folders of a package share every ancestor, and several checks of one
 * deliverable name the same files. {@linkcode memoLookups} answers each
 * question once per command, so that every check of the run sees the same
 * file system (an emit uses one too, for the folders from its deliverable up to
 * the project's root: they are listed once, and a name a listing lacks is
 * answered without a failing look-up); {@linkcode directLookups} asks the
 * system every time. A question that only wants a kind ({@linkcode Lookups.statKind})
 * gets no error: making one is what a look-up of a missing name costs most.
 *
 * @module
 */
import { basename, dirname, isNormalAbsolute, join } from "./path.ts";
import { type EntryKind, folderEntries, readFolderFile } from "./deliverable.ts";
import { explainError } from "./names.ts";
import { noteLook } from "./look_notes.ts";

/** What a path names: `symlink` only from {@linkcode Lookups.lstat}. */
export type PathKind = "file" | "folder" | "symlink" | "other";

/** The look-ups; each answer is what the `Deno` call would tell, or the error it throws. */
export interface Lookups {
  /** What `Deno.lstatSync(path)` says the path is. */
  lstat(path: string): PathKind | Error;
  /** What `Deno.statSync(path)` says the path is, links followed. */
  stat(path: string): Exclude<PathKind, "symlink"> | Error;
  /**
   * What {@linkcode Lookups.lstat} says, `undefined` for its error (not there, or not to be
   * read). A name a listing shows absent is answered without making the error, which a memo's
   * `lstat` must make (V8 works out the source positions of every stack an error records).
   */
  lstatKind(path: string): PathKind | undefined;
  /** What {@linkcode Lookups.stat} says, `undefined` for its error; as `lstatKind`. */
  statKind(path: string): Exclude<PathKind, "symlink"> | undefined;
  /** `Deno.realPathSync(path)` of an absolute path. */
  realPath(path: string): string | Error;
  /** `readFolderFile(path)`: the text of a small host file, or `undefined`. */
  hostFile(path: string): string | undefined | Error;
  /** `folderEntries(dir)`: what the folder holds by name, links followed; empty if unlistable. */
  folderEntries(dir: string): ReadonlyMap<string, EntryKind>;
}

/** `fn`'s answer, or the error it throws about `path` (a name not valid UTF-8 named as such). */
function attempt<T>(path: string, fn: () => T): T | Error {
  return withoutStack(() => {
    try {
      return fn();
    } catch (error) {
      return explainError(path, error instanceof Error ? error : new Error(String(error)));
    }
  });
}

/**
 * `fn()`, any error it makes without a stack: look-ups keep their answers, errors too, and an
 * error's stack keeps alive every closure on it, with their scopes (propmem-40 F3: 10,000 files
 * not found held a propagation's kept runs twice over).
 */
function withoutStack<T>(fn: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return fn();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function kindOf(info: Deno.FileInfo | Deno.DirEntry): PathKind {
  return info.isSymlink ? "symlink" : info.isFile ? "file" : info.isDirectory ? "folder" : "other";
}

/** The error the system's `call` gives for a path that is not there, without asking it. */
function notFound(call: "lstat" | "stat", path: string): Error {
  const error = withoutStack(() =>
    new Deno.errors.NotFound(`No such file or directory (os error 2): ${call} '${path}'`)
  );
  return Object.assign(error, { code: "ENOENT" });
}

function kindOrUndefined<K extends PathKind>(kind: K | Error): K | undefined {
  return kind instanceof Error ? undefined : kind;
}

/**
 * Look-ups that ask the system every time.
 *
 * @example
 * ```ts
 * import { directLookups } from "./lookups.ts";
 * directLookups.stat("/"); // "folder"
 * ```
 */
export const directLookups: Lookups = {
  lstat: (path) => attempt(path, () => kindOf(Deno.lstatSync(path))),
  stat: (path) => attempt(path, () => kindOf(Deno.statSync(path)) as Exclude<PathKind, "symlink">),
  lstatKind: (path) => kindOrUndefined(directLookups.lstat(path)),
  statKind: (path) => kindOrUndefined(directLookups.stat(path)),
  realPath: (path) => attempt(path, () => Deno.realPathSync(path)),
  hostFile: (path) => attempt(path, () => readFolderFile(path)),
  folderEntries,
};

/** {@linkcode Lookups} that also take a folder's listing to answer for its entries. */
export interface MemoLookups extends Lookups {
  /**
   * Lists `dir` (absolute) once: what it holds is then known without a look-up
   * per name. Unlistable: ignored. `entries`: its listing, when the caller
   * has just read it (a walk), so that it is not read again.
   */
  list(dir: string, entries?: readonly Deno.DirEntry[]): void;
}

/**
 * A name of printable ASCII only: a file system that folds names (macOS,
 * ext4 casefold) folds such a name by case alone, so a lower-cased compare
 * with a listing is exact.
 */
const ASCII = /^[ -~]*$/;

/**
 * Look-ups answered once each for the life of the returned object (one
 * command): a path is `lstat`ed once (or read from its folder's listing), and
 * that one answer also gives its `stat` (unless it is a symbolic link) and
 * its real path (its parent's real path and its name, unless it is a link);
 * a listed folder's `folderEntries` are its listing's.
 * A printable-ASCII name missing, in any case, from a listed folder of
 * ASCII names is answered "not found" without asking the system (FAT's
 * short `LONGFI~1.MD` aliases are not listed, and would be missed). Every
 * answer is as of its first look-up or of the listing: use a fresh one per
 * command, or per phase of one that must see later changes.
 *
 * @example
 * ```ts
 * import { memoLookups } from "./lookups.ts";
 * const lookups = memoLookups();
 * lookups.realPath("/") === "/"; // true
 * ```
 */
export function memoLookups(): MemoLookups {
  const lstats = new Map<string, PathKind | Error>();
  const stats = new Map<string, Exclude<PathKind, "symlink"> | Error>();
  const reals = new Map<string, string | Error>();
  const texts = new Map<string, string | undefined | Error>();
  // Folders listed (or tried), each with the names it holds in lower case when all are ASCII
  // (printable: a name with a control character is asked too).
  const listed = new Map<string, Set<string> | undefined>();
  // What each folder listed holds, as folderEntries says (not its `DirEntry`s, which cost more).
  const listings = new Map<string, Map<string, EntryKind>>();
  // The links each listing holds: where they lead is its answer too, which no folder time tells.
  const links = new Map<string, string[]>();
  const list = (dir: string, given?: readonly Deno.DirEntry[]) => {
    if (listed.has(dir) || !isNormalAbsolute(dir)) return;
    listed.set(dir, undefined);
    let entries: readonly Deno.DirEntry[];
    try {
      entries = given ?? [...Deno.readDirSync(dir)];
    } catch {
      return; // its names are asked one by one
    }
    const prefix = dir === "/" ? "" : dir;
    for (const entry of entries) {
      // A name not valid UTF-8 is listed lossily, and its lossy name is not there: asked, it says so.
      if (entry.name.includes("\uFFFD")) continue;
      const path = `${prefix}/${entry.name}`;
      if (!lstats.has(path)) lstats.set(path, kindOf(entry)); // an answer given stands
    }
    if (entries.every((e) => ASCII.test(e.name))) {
      listed.set(dir, new Set(entries.map((e) => e.name.toLowerCase())));
    }
    // As folderEntries: links followed (few, and asked after the names are known).
    const kinds = new Map<string, EntryKind>();
    const linked: string[] = [];
    for (const entry of entries) {
      if (entry.isSymlink) linked.push(`${prefix}/${entry.name}`);
      const kind = entry.isSymlink ? stat(`${prefix}/${entry.name}`) : kindOf(entry) as EntryKind;
      kinds.set(entry.name, kind instanceof Error ? "other" : kind);
    }
    listings.set(dir, kinds);
    if (linked.length > 0) links.set(dir, linked);
  };
  /**
   * Whether the listing of `path`'s folder (or of a folder above) shows it is
   * not there. A name not listed may still be there on a case-insensitive file
   * system (macOS, Windows: `readme.md` names a listed `README.md`), or on one
   * that normalises Unicode: only an ASCII name, in a folder of ASCII names,
   * none of them it in another case, is known absent.
   */
  const unlisted = (path: string): boolean => {
    if (!isNormalAbsolute(path) || path === "/") return false;
    const cut = path.lastIndexOf("/");
    const parent = cut === 0 ? "/" : path.slice(0, cut);
    // Beneath a path known not to be there, nothing is there either.
    const above = lstats.get(parent);
    if (above instanceof Deno.errors.NotFound || (above === undefined && unlisted(parent))) {
      return true;
    }
    const names = listed.get(parent);
    const name = path.slice(cut + 1);
    return names !== undefined && ASCII.test(name) && !names.has(name.toLowerCase());
  };
  const lstat = (path: string) => {
    let kind = lstats.get(path);
    if (kind === undefined) {
      kind = unlisted(path) ? notFound("lstat", path) : directLookups.lstat(path);
      lstats.set(path, kind);
    }
    return kind;
  };
  const stat = (path: string) => {
    const link = lstat(path);
    if (!(link instanceof Error) && link !== "symlink") return link;
    let kind = stats.get(path);
    if (kind === undefined) {
      // Nothing there (known from the listing): nothing for a link to lead to either.
      kind = link instanceof Deno.errors.NotFound && unlisted(path)
        ? notFound("stat", path)
        : directLookups.stat(path);
      stats.set(path, kind);
    }
    return kind;
  };
  // A name known absent asks nothing and makes no error; `lstat`'s answer, made or cached, else.
  const lstatKind = (path: string) =>
    !lstats.has(path) && unlisted(path) ? undefined : kindOrUndefined(lstat(path));
  // Where `lstat` fails `stat` fails too (no name to follow, or its folder unreadable).
  const statKind = (path: string) => {
    const link = lstatKind(path);
    return link === "symlink" ? kindOrUndefined(stat(path)) : link;
  };
  const realPath = (path: string): string | Error => {
    let real = reals.get(path);
    if (real !== undefined) return real;
    const cut = path.lastIndexOf("/");
    const link = cut > 0 && isNormalAbsolute(path) ? lstat(path) : undefined;
    if (link === undefined || link instanceof Error || link === "symlink") {
      // A link, a root's child, a path with `..`, or nothing there: the system says.
      real = directLookups.realPath(path);
    } else {
      const parent = realPath(path.slice(0, cut));
      // An ancestor runrec may not read (the sandboxed build reads one folder): the system
      // resolves the path itself, which it may read.
      real = parent instanceof Error
        ? directLookups.realPath(path)
        : `${parent === "/" ? "" : parent}/${path.slice(cut + 1)}`;
    }
    reals.set(path, real);
    return real;
  };
  const hostFile = (path: string) => {
    if (!texts.has(path)) texts.set(path, directLookups.hostFile(path));
    return texts.get(path);
  };
  const entriesOf = (dir: string): ReadonlyMap<string, EntryKind> => {
    list(dir);
    if (!listed.has(dir)) return folderEntries(dir); // a path `list` does not take
    return listings.get(dir) ?? new Map(); // none: unlistable
  };
  const noteListing = (dir: string) => {
    noteLook("list", dir);
    for (const link of links.get(dir) ?? []) noteLook("stat", link);
  };
  // Each question is noted for the work running now, answered from the memo or not: what a kept
  // check rests on is asked again later (./observed.ts), whoever asked it first.
  return {
    lstat: (path) => (noteLook("lstat", path), lstat(path)),
    stat: (path) => (noteLook("stat", path), stat(path)),
    lstatKind: (path) => (noteLook("lstat", path), lstatKind(path)),
    statKind: (path) => (noteLook("stat", path), statKind(path)),
    // Its answer is found from each folder's on the way, kept or not.
    realPath: (path) => {
      for (let cut = path.indexOf("/", 1); cut > 0; cut = path.indexOf("/", cut + 1)) {
        noteLook("real", path.slice(0, cut));
      }
      noteLook("real", path);
      return realPath(path);
    },
    hostFile: (path) => (noteLook("read", path), hostFile(path)),
    folderEntries: (dir) => {
      const entries = entriesOf(dir);
      noteListing(dir);
      return entries;
    },
    list: (dir, entries) => {
      list(dir, entries);
      noteListing(dir);
    },
  };
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

/**
 * Whether the absolute paths `a` and `b` name one folder, links resolved: a run started
 * through a symbolic link (`~/work` on a data disk) is finished or reaped through the real path.
 *
 * @example
 * ```ts
 * import { sameFolder } from "./lookups.ts";
 * sameFolder("/tmp", "/tmp/"); // true
 * ```
 */
export function sameFolder(a: string, b: string): boolean {
  return a === b || resolvedPath(a) === resolvedPath(b);
}

/**
 * Whether anything is at `path`, a dangling link too (links are not
 * followed): what a user names is there even when it cannot be read. Not the
 * opposite of {@linkcode isGone}: a dangling link is both there and gone, and a
 * name under a folder that cannot be searched neither (unknown).
 *
 * @example
 * ```ts
 * import { isThere } from "./lookups.ts";
 * isThere("/"); // true
 * ```
 */
export function isThere(path: string): boolean {
  return !(directLookups.lstat(path) instanceof Error);
}

/**
 * Whether `path` is not there at all (not merely unreadable): nothing at
 * it, or a file where a folder on the way should be. Links are followed: a
 * dangling symbolic link is gone (what it names is not there), where
 * {@linkcode isThere} says there, and state_folder.ts's `isMissing`, which asks
 * whether creating the name adds an entry, not missing. A name under a folder
 * that cannot be searched is not gone: it may be there.
 *
 * @example
 * ```ts
 * import { isGone } from "./lookups.ts";
 * isGone("/no/such/folder"); // true
 * ```
 */
export function isGone(path: string): boolean {
  try {
    Deno.statSync(path);
    return false;
  } catch (e) {
    return e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory;
  }
}
