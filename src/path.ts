/**
 * Path helpers, from the maintained `pathe` package: `node:path`'s API with
 * POSIX separators on every platform (a Windows path `C:\x\y` reads as
 * `C:/x/y`), so the paths runrec records are the same on every host.
 *
 * `resolve` and `relative` start from `Deno.cwd()`: left to itself, pathe
 * asks Node's `process.cwd()`, and the first use of `process` starts Deno's
 * Node compatibility layer, ~30 ms per process (docs/BENCHMARKS.md).
 *
 * @module
 */
// deno-lint-ignore-file no-import-prefix -- the CLI runs with --no-config, so no import map:
// the version is named here, once.
import * as pathe from "npm:pathe@2.0.3";

export { basename, dirname, isAbsolute, join, normalize, sep } from "npm:pathe@2.0.3";

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
  // Paths before the last absolute one do not count: no need to ask for the working folder.
  const last = paths.findLastIndex((path) => pathe.isAbsolute(path));
  return last >= 0 ? pathe.resolve(...paths.slice(last)) : pathe.resolve(Deno.cwd(), ...paths);
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
  return pathe.relative(resolve(from), resolve(to));
}
