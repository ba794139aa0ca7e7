/**
 * The path helpers runrec needs, without `node:path` (whose import starts
 * Deno's Node compatibility layer, ~14 ms per process).
 *
 * The top-level functions follow the platform (`Deno.build.os`); `posix` and
 * `win32` hold both flavours for tests and for code that needs one
 * explicitly. Results equal `node:path`'s for:
 *
 * - POSIX: every input (`/` separates; `\` is an ordinary character), including
 *   `..` beyond the root, repeated and trailing slashes, and `node:path`'s
 *   treatment of a leading `//` in `dirname`.
 * - Windows: `\` and `/` both separate; drive-absolute (`C:\x`), drive-relative
 *   (`C:x`), rooted (`\x`, the current drive) and UNC (`\\server\share\x`)
 *   paths; drive letters and UNC roots compare case-insensitively in
 *   `relative` and `resolve`. Not covered: device paths (`\\?\C:\x`,
 *   `\\.\pipe\x`) are treated as UNC; a drive-relative path on another
 *   drive than the current folder's (`D:x` from `C:\`) resolves against that
 *   drive's root, not its per-drive current folder.
 *
 * @module
 */

/** One set of path rules. */
export interface PathFlavour {
  /** The preferred separator. */
  readonly sep: "/" | "\\";
  /** Joins `parts` and normalizes the result; `"."` when all are empty. */
  join(...parts: string[]): string;
  /** The absolute, normalized path of `paths` applied right to left onto `cwd()`. */
  resolve(...paths: string[]): string;
  /** The path from `from` to `to` (both resolved first); `""` when they are the same. */
  relative(from: string, to: string): string;
  /** The path without its last segment (trailing separators ignored). */
  dirname(path: string): string;
  /** The last segment (trailing separators ignored). */
  basename(path: string): string;
  /** Whether `path` starts at a root. */
  isAbsolute(path: string): boolean;
  /** Resolves `.` and `..` segments and repeated separators, keeping a trailing one. */
  normalize(path: string): string;
  /** The path with `/` separators (as records store paths). */
  toPosix(path: string): string;
}

/** A path split into its root and the rest. */
interface Parsed {
  /** `C:` or `\\server\share` (Windows), else `""`. */
  device: string;
  /** Whether a separator follows the device (or starts the path). */
  rooted: boolean;
  /** Everything after the root. */
  rest: string;
}

const CODE_SLASH = 47;
const CODE_BACKSLASH = 92;

function makeFlavour(windows: boolean, cwd: () => string): PathFlavour {
  const sep = windows ? "\\" : "/";
  const isSep = windows
    ? (code: number) => code === CODE_SLASH || code === CODE_BACKSLASH
    : (code: number) => code === CODE_SLASH;

  /** Length of a drive prefix `X:` (Windows only), else 0. */
  function driveLength(path: string): number {
    if (!windows || path.length < 2 || path.charCodeAt(1) !== 58) return 0;
    const c = path.charCodeAt(0) | 0x20;
    return c >= 97 && c <= 122 ? 2 : 0;
  }

  function parse(path: string): Parsed {
    if (windows && path.length > 2 && isSep(path.charCodeAt(0)) && isSep(path.charCodeAt(1))) {
      // UNC: \\server\share, both parts non-empty.
      const m = /^[\\/]{2}([^\\/]+)[\\/]+([^\\/]+)/.exec(path);
      if (m) {
        return { device: `\\\\${m[1]}\\${m[2]}`, rooted: true, rest: path.slice(m[0].length) };
      }
    }
    const drive = driveLength(path);
    const rooted = path.length > drive && isSep(path.charCodeAt(drive));
    return { device: path.slice(0, drive), rooted, rest: path.slice(drive) };
  }

  /** The segments of `rest` with `.` and `..` resolved. */
  function segments(rest: string, allowAboveRoot: boolean): string[] {
    const out: string[] = [];
    // Split on one character: empty segments (from `//`) are skipped below anyway.
    for (const segment of (windows ? rest.replaceAll("\\", "/") : rest).split("/")) {
      if (segment === "" || segment === ".") continue;
      if (segment === "..") {
        if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
        else if (allowAboveRoot) out.push("..");
      } else {
        out.push(segment);
      }
    }
    return out;
  }

  function rootOf({ device, rooted }: Parsed): string {
    return device + (rooted ? sep : "");
  }

  function normalize(path: string): string {
    if (path === "") return ".";
    const parsed = parse(path);
    let body = segments(parsed.rest, !parsed.rooted).join(sep);
    if (body === "" && !parsed.rooted) body = ".";
    if (body !== "" && isSep(path.charCodeAt(path.length - 1))) body += sep;
    // A relative Windows path whose first segment looks like a drive (`C:`) keeps a `.\`.
    if (windows && parsed.device === "" && !parsed.rooted && body.charCodeAt(1) === 58) {
      body = `.\\${body}`;
    }
    return rootOf(parsed) + body;
  }

  function isAbsolute(path: string): boolean {
    if (path === "") return false;
    if (isSep(path.charCodeAt(0))) return true;
    const drive = driveLength(path);
    return drive > 0 && path.length > drive && isSep(path.charCodeAt(drive));
  }

  function join(...parts: string[]): string {
    const kept = parts.filter((p) => p !== "");
    if (kept.length === 0) return ".";
    let joined = kept.join(sep);
    if (windows) {
      // Two leading separators would read as a UNC root: keep them only when the first
      // part clearly is one (exactly two separators, then a name), as node:path does.
      const first = kept[0];
      let count = 0;
      let collapse = true;
      if (isSep(first.charCodeAt(0))) {
        count++;
        if (first.length > 1 && isSep(first.charCodeAt(1))) {
          count++;
          if (first.length > 2) {
            if (isSep(first.charCodeAt(2))) count++;
            else collapse = false;
          }
        }
      }
      if (collapse) {
        while (count < joined.length && isSep(joined.charCodeAt(count))) count++;
        if (count >= 2) joined = `\\${joined.slice(count)}`;
      }
    }
    return normalize(joined);
  }

  /** An absolute path as its device and resolved segments. */
  function resolveParts(paths: string[]): { device: string; parts: string[] } {
    let device = "";
    let tail = "";
    let absolute = false;
    for (let i = paths.length - 1; i >= -1; i--) {
      const path = i >= 0 ? paths[i] : cwd();
      if (path === "") continue;
      const parsed = parse(path);
      if (windows && parsed.device !== "" && device !== "") {
        // Another drive's path cannot extend this one.
        if (parsed.device.toLowerCase() !== device.toLowerCase()) continue;
      }
      if (device === "") device = parsed.device;
      if (!absolute) {
        tail = `${parsed.rest}${sep}${tail}`;
        absolute = parsed.rooted;
      }
      if (absolute && (device !== "" || !windows)) break;
    }
    return { device, parts: segments(tail, false) };
  }

  function resolve(...paths: string[]): string {
    const { device, parts } = resolveParts(paths);
    return device + sep + parts.join(sep);
  }

  function relative(from: string, to: string): string {
    const a = resolveParts([from]);
    const b = resolveParts([to]);
    const fold = windows ? (s: string) => s.toLowerCase() : (s: string) => s;
    if (fold(a.device) !== fold(b.device)) return b.device + sep + b.parts.join(sep);
    let common = 0;
    while (
      common < a.parts.length && common < b.parts.length &&
      fold(a.parts[common]) === fold(b.parts[common])
    ) common++;
    const up = new Array<string>(a.parts.length - common).fill("..");
    return [...up, ...b.parts.slice(common)].join(sep);
  }

  /** Length of the root `dirname` and `basename` keep: `/`, `C:`, `C:\`, `\`, `\\server\share\`. */
  function rootLength(path: string): number {
    if (!windows) return isSep(path.charCodeAt(0)) ? 1 : 0;
    if (path.length > 2 && isSep(path.charCodeAt(0)) && isSep(path.charCodeAt(1))) {
      const m = /^[\\/]{2}[^\\/]+[\\/]+[^\\/]+/.exec(path);
      if (m) return m[0].length + (isSep(path.charCodeAt(m[0].length)) ? 1 : 0);
    }
    const drive = driveLength(path);
    return drive + (path.length > drive && isSep(path.charCodeAt(drive)) ? 1 : 0);
  }

  function dirname(path: string): string {
    if (path === "") return ".";
    const root = rootLength(path);
    if (root === path.length) return path;
    let end = -1;
    let inLastSegment = false;
    for (let i = path.length - 1; i >= Math.max(root, 1); i--) {
      if (isSep(path.charCodeAt(i))) {
        if (inLastSegment) {
          end = i;
          break;
        }
      } else {
        inLastSegment = true;
      }
    }
    if (end === -1) return root > 0 ? path.slice(0, root) : ".";
    // node:path keeps a leading `//` on POSIX (`dirname("//a")` is `//`).
    if (!windows && root === 1 && end === 1) return "//";
    return path.slice(0, end);
  }

  function basename(path: string): string {
    const start = driveLength(path);
    let end = path.length;
    while (end > start && isSep(path.charCodeAt(end - 1))) end--;
    let begin = end;
    while (begin > start && !isSep(path.charCodeAt(begin - 1))) begin--;
    return path.slice(begin, end);
  }

  function toPosix(path: string): string {
    return windows ? path.replaceAll("\\", "/") : path;
  }

  return { sep, join, resolve, relative, dirname, basename, isAbsolute, normalize, toPosix };
}

const cwd = () => Deno.cwd();

/**
 * POSIX rules, whatever the platform.
 *
 * @example
 * ```ts
 * import { posix } from "./path.ts";
 * posix.join("a/b", "../c"); // "a/c"
 * ```
 */
export const posix: PathFlavour = makeFlavour(false, cwd);

/**
 * Windows rules, whatever the platform (`resolve` uses `Deno.cwd()`, which on
 * POSIX is no Windows path: pass an absolute path first to test it there).
 *
 * @example
 * ```ts
 * import { win32 } from "./path.ts";
 * win32.join("C:\\a", "b/../c"); // "C:\\a\\c"
 * ```
 */
export const win32: PathFlavour = makeFlavour(true, cwd);

const platform = Deno.build.os === "windows" ? win32 : posix;

/**
 * The platform's separator: `\` on Windows, else `/`.
 *
 * @example
 * ```ts
 * import { sep } from "./path.ts";
 * ["a", "b"].join(sep); // "a/b" on Linux
 * ```
 */
export const sep: "/" | "\\" = platform.sep;

/**
 * Joins `parts` with the separator and normalizes; empty parts are skipped,
 * and no parts (or only empty ones) give `"."`.
 *
 * @example
 * ```ts
 * import { join } from "./path.ts";
 * join("/p/DEL-01", "../0_References", "x.md"); // "/p/0_References/x.md"
 * join("a", "", "b/"); // "a/b/"
 * ```
 */
export function join(...parts: string[]): string {
  return platform.join(...parts);
}

/**
 * The absolute, normalized path: `paths` applied from right to left until one
 * is absolute, then onto `Deno.cwd()`. No trailing separator but for the root;
 * `..` never climbs above the root.
 *
 * @example
 * ```ts
 * import { resolve } from "./path.ts";
 * resolve("/p", "a/./b", "../c/"); // "/p/a/c"
 * resolve("/p", "/q", "x"); // "/q/x"
 * resolve("/..", ".."); // "/"
 * resolve(); // Deno.cwd()
 * ```
 */
export function resolve(...paths: string[]): string {
  return platform.resolve(...paths);
}

/**
 * The path from `from` to `to`, both resolved first; `""` when they are the
 * same folder. Case-insensitive on Windows; a path on another Windows drive
 * comes back absolute.
 *
 * @example
 * ```ts
 * import { relative } from "./path.ts";
 * relative("/p/PKG-01/1_Working/DEL-01", "/p/_Decomposition/X.md"); // "../../../_Decomposition/X.md"
 * relative("/p/a", "/p/a/b/c"); // "b/c"
 * relative("/p/a", "/p/b"); // "../b"
 * relative("/p/a", "/p/a"); // ""
 * ```
 */
export function relative(from: string, to: string): string {
  return platform.relative(from, to);
}

/**
 * The path without its last segment, trailing separators ignored; `"."` for a
 * bare name, the root for the root.
 *
 * @example
 * ```ts
 * import { dirname } from "./path.ts";
 * dirname("/p/a/b.md"); // "/p/a"
 * dirname("/p/a/"); // "/p"
 * dirname("b.md"); // "."
 * dirname("/"); // "/"
 * ```
 */
export function dirname(path: string): string {
  return platform.dirname(path);
}

/**
 * The last segment of `path`, trailing separators ignored; `""` for the root.
 *
 * @example
 * ```ts
 * import { basename } from "./path.ts";
 * basename("/p/DEL-01-02_Flow/"); // "DEL-01-02_Flow"
 * basename("/"); // ""
 * ```
 */
export function basename(path: string): string {
  return platform.basename(path);
}

/**
 * Whether `path` is absolute: starts with `/` (POSIX); starts with `\` or `/`,
 * or a drive and a separator, `C:\` (Windows).
 *
 * @example
 * ```ts
 * import { isAbsolute } from "./path.ts";
 * isAbsolute("/p/a"); // true
 * isAbsolute("a/b"); // false
 * ```
 */
export function isAbsolute(path: string): boolean {
  return platform.isAbsolute(path);
}

/**
 * Resolves `.` and `..` segments and repeated separators, keeping a trailing
 * separator; `..` stays at the start of a relative path, disappears above the
 * root of an absolute one; `""` gives `"."`.
 *
 * @example
 * ```ts
 * import { normalize } from "./path.ts";
 * normalize("a//b/../c/."); // "a/c"
 * normalize("../a/.."); // ".."
 * normalize("/../a/"); // "/a/"
 * ```
 */
export function normalize(path: string): string {
  return platform.normalize(path);
}

/**
 * `path` with `/` separators: on Windows every `\` becomes `/`; on POSIX the
 * path is returned as it is (`\` is an ordinary character there).
 *
 * @example
 * ```ts
 * import { toPosix } from "./path.ts";
 * toPosix("../../_Decomposition/X.md"); // unchanged on POSIX; from "..\\..\\_Decomposition\\X.md" on Windows
 * ```
 */
export function toPosix(path: string): string {
  return platform.toPosix(path);
}
