/**
 * Path helpers, from the maintained `pathe` package: `node:path`'s API with
 * POSIX separators on every platform (a Windows path `C:\x\y` reads as
 * `C:/x/y`), so the paths runrec records are the same on every host.
 *
 * `resolve` and `relative` start from `Deno.cwd()`: left to itself, pathe
 * asks Node's `process.cwd()`, and the first use of `process` starts Deno's
 * Node compatibility layer (docs/BENCHMARKS.md, stop 25).
 *
 * @module
 */
// deno-lint-ignore-file no-import-prefix -- the CLI runs with --no-config, so no import map:
// the version is named here, once.
import * as pathe from "npm:pathe@2.0.3";

export { basename, isAbsolute, normalize, sep } from "npm:pathe@2.0.3";

/**
 * Whether `path` is absolute, POSIX and normal: what {@linkcode resolve}
 * returns unchanged, and what needs no normalising to be cut at a slash.
 *
 * @example
 * ```ts
 * import { isNormalAbsolute } from "./path.ts";
 * isNormalAbsolute("/a/b"); // true
 * isNormalAbsolute("/a/../b"); // false
 * ```
 */
export function isNormalAbsolute(path: string): boolean {
  return path === "/" || (path.startsWith("/") && !NOT_NORMAL.test(path));
}

/**
 * What a normal path lacks: an empty name (`//`, a trailing slash), a `.` or
 * `..` name, a backslash (pathe reads one as a slash) or a colon (`/C:/x` is a
 * Windows drive to pathe). One expression: a string scanned once, not nine times.
 */
const NOT_NORMAL = /\/\/|\/\.\.?(?:\/|$)|\/$|[\\:]/;

/** What a normal relative path lacks: {@linkcode NOT_NORMAL}'s, or a first name `.` or `..`. */
const NOT_NORMAL_RELATIVE = /(?:^|\/)\.\.?(?:\/|$)|\/\/|\/$|[\\:]/;

/** Whether `path` is relative and appends to a normal path as it is: names between slashes. */
function isNormalRelative(path: string): boolean {
  return path !== "" && !path.startsWith("/") && !NOT_NORMAL_RELATIVE.test(path);
}

/** Whether `path` is relative and has no backslash or colon, which pathe reads specially. */
function isPlainRelative(path: string): boolean {
  return !path.startsWith("/") && !path.includes("\\") && !path.includes(":");
}

/**
 * pathe's `join`. A folder that is already normal and normal relative
 * paths (most joins: a folder and a name or two) are joined as they are:
 * pathe normalises every join character by character, ~80 times per `emit`.
 *
 * @example
 * ```ts
 * import { join } from "./path.ts";
 * join("/a/b", "c.md"); // "/a/b/c.md"
 * join("/a/b", ".runrec", "c.json"); // "/a/b/.runrec/c.json"
 * join("/a/b", "../c.md"); // "/a/c.md"
 * ```
 */
export function join(...paths: string[]): string {
  const first = paths[0];
  const rest = paths.slice(1);
  if (rest.length > 0 && isNormalAbsolute(first) && rest.every(isNormalRelative)) {
    return `${first === "/" ? "" : first}/${rest.join("/")}`;
  }
  return pathe.join(...paths);
}

/**
 * Whether the absolute path `path` is `folder` or beneath it, as text (both
 * as given: resolve links first where they matter).
 *
 * @example
 * ```ts
 * import { isAtOrBeneath } from "./path.ts";
 * isAtOrBeneath("/a/b/c.md", "/a/b"); // true
 * isAtOrBeneath("/a/bc", "/a/b"); // false
 * ```
 */
export function isAtOrBeneath(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith("/") ? folder : `${folder}/`);
}

/**
 * Whether `path` is `folder` or beneath it, both resolved from the working
 * folder (links not followed): a name that starts with `..` (`..data`) is
 * beneath, as any other.
 *
 * @example
 * ```ts
 * import { isInside } from "./path.ts";
 * isInside("/a/b/c.md", "/a/b"); // true
 * isInside("/a/..data/c.md", "/a"); // true
 * isInside("/a/bc", "/a/b"); // false
 * ```
 */
export function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === "" || (rel !== ".." && !rel.startsWith("../") && !pathe.isAbsolute(rel));
}

/**
 * pathe's `dirname`. A normal absolute path is cut at its last slash: pathe
 * normalises and splits the whole path first.
 *
 * @example
 * ```ts
 * import { dirname } from "./path.ts";
 * dirname("/a/b.md"); // "/a"
 * dirname("/a"); // "/"
 * ```
 */
export function dirname(path: string): string {
  if (!isNormalAbsolute(path)) return pathe.dirname(path);
  const cut = path.lastIndexOf("/");
  return cut <= 0 ? "/" : path.slice(0, cut);
}

/**
 * The absolute path of `paths` joined, from the working folder.
 *
 * @example
 * ```ts
 * import { resolve } from "./path.ts";
 * resolve("/a/b", "../c"); // "/a/c"
 * ```
 */
export function resolve(...paths: string[]): string {
  // Paths before the last absolute one do not count; none: from the working folder.
  let last = paths.length - 1;
  while (last >= 0 && !pathe.isAbsolute(paths[last])) last--;
  const base = last >= 0 ? paths[last] : Deno.cwd();
  const rest = paths.slice(last + 1);
  // Already normal (as most paths runrec handles are): nothing to normalise again.
  if (!isNormalAbsolute(base)) return pathe.resolve(base, ...rest);
  if (rest.length === 0) return base;
  // As `join` would join them, without checking each path again.
  if (rest.every(isNormalRelative)) return `${base === "/" ? "" : base}/${rest.join("/")}`;
  // Relative paths with `.`, `..` or empty names (`../../x.md`): resolved name by name.
  if (rest.every(isPlainRelative)) {
    const names = base === "/" ? [] : base.slice(1).split("/");
    for (const name of rest.flatMap((path) => path.split("/"))) {
      if (name === "..") names.pop();
      else if (name !== "" && name !== ".") names.push(name);
    }
    return `/${names.join("/")}`;
  }
  return pathe.resolve(base, ...rest);
}

/**
 * The path from `from` to `to`, both taken from the working folder.
 *
 * @example
 * ```ts
 * import { relative } from "./path.ts";
 * relative("/a/b", "/a/c/d"); // "../c/d"
 * ```
 */
export function relative(from: string, to: string): string {
  if (isNormalAbsolute(from) && isNormalAbsolute(to)) {
    // pathe's answer without its normalising: the names after the last slash
    // both share become `..` (from's) and stay (to's).
    const f = from === "/" ? "/" : `${from}/`;
    const t = to === "/" ? "/" : `${to}/`;
    if (t.startsWith(f)) return t.slice(f.length, -1); // at or beneath `from`: most paths asked
    let k = 0;
    let shared = 0;
    for (; k < f.length && f[k] === t[k]; k++) if (f[k] === "/") shared = k;
    const ups: string[] = [];
    for (let i = shared + 1; i < f.length; i++) if (f[i] === "/") ups.push("..");
    const rest = t.slice(shared + 1, -1);
    return ups.length === 0 ? rest : rest === "" ? ups.join("/") : `${ups.join("/")}/${rest}`;
  }
  return pathe.relative(resolve(from), resolve(to));
}
