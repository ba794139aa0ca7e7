/**
 * The one folder walker: every entry beneath a folder, for the governed
 * inputs (a referenced folder stands for its files) and the read commands
 * (every `RunRecords.csv` beneath a target).
 *
 * @module
 */
import { BackslashInName, CollidingNames, explainError } from "./names.ts";
import { join } from "./path.ts";

/** What a name in a folder is, symbolic links followed (a dangling link is `other`). */
export type EntryKind = "file" | "folder" | "other";

/** One entry the walk met. */
export interface WalkEntry {
  /** The walked folder joined with the entry's path beneath it. */
  path: string;
  /** The entry's own name. */
  name: string;
  /** What it is, symbolic links followed. */
  kind: EntryKind;
  /** Whether it is a symbolic link (a linked folder is reported, not entered). */
  linked: boolean;
}

/** Options of {@linkcode walk}. */
export interface WalkOptions {
  /**
   * Called with each folder that cannot be listed (the walked folder too),
   * and the error (an `UnreadableName` for a name not valid UTF-8); and with
   * each path that several names of its folder read as, and a
   * `CollidingNames`, or each path whose name holds a backslash (written
   * with `/` before it) and a `BackslashInName` (such names are not yielded
   * nor entered). The walk goes
   * on with the rest. Default: throw the error.
   */
  unlistable?: (dir: string, error: Error) => void;
  /** Whether to enter the folder `name` of `dir` (default: every folder not skipped anyway). */
  enter?: (dir: string, name: string) => boolean;
  /** Called with each installed-packages folder (`node_modules`) not entered. */
  packages?: (path: string) => void;
}

/**
 * Folders never entered: git's store (history, not content) and installed
 * packages (`node_modules`: thousands of files no agent writes, reported to
 * `packages`). Everything else is walked; callers leave out runrec's own files
 * (`isRunrecOwn`), which only they can tell.
 *
 * @example
 * ```ts
 * import { walkSkips } from "./walk.ts";
 * walkSkips("node_modules"); // true
 * walkSkips("figures"); // false
 * ```
 */
export function walkSkips(name: string): boolean {
  return name === ".git" || name === "node_modules";
}

/**
 * Whether a folder named `name` can hold no deliverable folder: installed
 * packages and runrec's own state. The searches for deliverables skip them;
 * the governed inputs do not (a folder stands for every file beneath it).
 *
 * @example
 * ```ts
 * import { holdsNoDeliverables } from "./walk.ts";
 * holdsNoDeliverables("node_modules"); // true
 * holdsNoDeliverables("PKG-01_Valves"); // false
 * ```
 */
export function holdsNoDeliverables(name: string): boolean {
  return name === "node_modules" || name.startsWith(".runrec");
}

/**
 * Whether a listed name holds a backslash, which runrec reads as a folder
 * separator (SCHEMA.md 2.2): `join` would name another path with it
 * (fs-semantics F1). No name holds one on Windows.
 *
 * @example
 * ```ts
 * import { holdsBackslash } from "./walk.ts";
 * holdsBackslash("P\\Q"); // true (not on Windows)
 * ```
 */
export function holdsBackslash(name: string): boolean {
  return name.includes("\\") && Deno.build.os !== "windows";
}

/**
 * `name` in `dir` as written, backslash and all, for a message.
 *
 * @example
 * ```ts
 * import { literalChild } from "./walk.ts";
 * literalChild(".", "P\\Q"); // "P\\Q"
 * ```
 */
export function literalChild(dir: string, name: string): string {
  return dir === "." ? name : `${dir.replace(/\/+$/, "")}/${name}`;
}

/**
 * Every file, folder and other entry beneath `dir` (not `dir` itself), in no
 * particular order. A symbolic link is reported as what it leads to, but a
 * linked folder is never entered, so links cannot make the walk loop.
 * `.git` and `node_modules` folders are neither reported nor entered.
 *
 * @example
 * ```ts
 * import { walk } from "./walk.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/a`);
 * await Deno.writeTextFile(`${dir}/a/b.md`, "");
 * for (const entry of walk(dir)) console.log(entry.kind, entry.path);
 * // "folder …/a", "file …/a/b.md"
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function* walk(dir: string, options: WalkOptions = {}): Generator<WalkEntry> {
  const unlistable = options.unlistable ?? ((_dir, error) => {
    throw error;
  });
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop()!;
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(current)];
    } catch (error) {
      unlistable(current, explainError(current, error as Error));
      continue;
    }
    // Names not valid UTF-8 read with U+FFFD: a name listed twice stands for several files.
    const counts = new Map<string, number>();
    for (const entry of entries) counts.set(entry.name, (counts.get(entry.name) ?? 0) + 1);
    const told = new Set<string>();
    for (const entry of entries) {
      if (holdsBackslash(entry.name)) {
        unlistable(literalChild(current, entry.name), new BackslashInName());
        continue;
      }
      const path = join(current, entry.name);
      if (entry.isDirectory && walkSkips(entry.name)) {
        if (entry.name === "node_modules") options.packages?.(path);
        continue;
      }
      const count = counts.get(entry.name)!;
      if (count > 1) {
        if (!told.has(entry.name)) unlistable(path, new CollidingNames(count));
        told.add(entry.name);
        continue;
      }
      const kind = entry.isSymlink
        ? kindOf(path)
        : entry.isFile
        ? "file"
        : entry.isDirectory
        ? "folder"
        : "other";
      yield { path, name: entry.name, kind, linked: entry.isSymlink };
      if (kind === "folder" && !entry.isSymlink && (options.enter?.(current, entry.name) ?? true)) {
        pending.push(path);
      }
    }
  }
}

/**
 * What `path` is, a symbolic link followed; `other` when it cannot be told
 * (a dangling link, a loop, no permission).
 *
 * @example
 * ```ts
 * import { kindOf } from "./walk.ts";
 * kindOf("."); // "folder"
 * ```
 */
export function kindOf(path: string): EntryKind {
  try {
    const info = Deno.statSync(path);
    return info.isFile ? "file" : info.isDirectory ? "folder" : "other";
  } catch {
    return "other";
  }
}
