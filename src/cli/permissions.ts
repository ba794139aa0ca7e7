/**
 * The permission flags of the two builds, in one place: `deno task runrec`,
 * `deno task compile` and the tests all use these lists.
 *
 * @module
 */

/** Environment variables runrec reads. */
export const ENV_VARS = [
  "NO_COLOR",
  "HOME",
  "USERPROFILE",
  "TMPDIR",
  "TEMP",
  "TMP",
  "RUNREC_SPOOL_DIR",
] as const;

const COMMON = [
  "--allow-read",
  "--allow-write",
  `--allow-env=${ENV_VARS.join(",")}`,
  // The host name is recorded; the user id names the user's own spool folder in $TMPDIR.
  "--allow-sys=hostname,uid",
  "--deny-net",
  "--no-prompt",
  // runrec reads no deno.json and no npm package: the caller's project configuration
  // (found from the working folder) cannot change it, and start-up skips both (~1-2 ms).
  "--no-config",
  "--no-npm",
  // V8: `--no-lazy` compiles every function when its module loads, so Deno's code cache
  // holds all of runrec's bytecode and a run compiles nothing (emit: 3-4 ms less).
  // `--no-sparkplug`: a run as short as emit's spent ~0.7 ms compiling baseline code
  // it hardly reused (emit: ~1 ms less; validate unchanged, TurboFan does its work).
  // `--no-regexp-tier-up`: a regular expression is compiled once, to native code, not
  // first to bytecode and again on its second use (emit: ~0.4 ms less over 300 paired
  // runs; validate unchanged). A smaller young generation, and `gc()` for the reader to
  // free the native memory of its per-line hashers, keep `validate` of millions of records
  // near 120 MB (without them, 170-280 MB). See docs/BENCHMARKS.md.
  "--v8-flags=--no-lazy,--no-sparkplug,--no-regexp-tier-up,--max-semi-space-size=4,--expose-gc",
];

/**
 * Flags of `dist/runrec` and `deno task runrec`: files, the listed
 * environment variables, the host name, subprocesses (`exec`'s command and
 * `git`), and no network.
 *
 * @example
 * ```ts
 * import { FULL_FLAGS } from "./permissions.ts";
 * console.log(["deno", "run", ...FULL_FLAGS, "src/cli/main.ts"].join(" "));
 * ```
 */
export const FULL_FLAGS: readonly string[] = [...COMMON, "--allow-run"];

/**
 * Flags of `dist/runrec-sandboxed`: files only, no subprocesses, no network.
 *
 * @example
 * ```ts
 * import { SANDBOXED_FLAGS } from "./permissions.ts";
 * SANDBOXED_FLAGS.includes("--deny-run"); // true
 * ```
 */
export const SANDBOXED_FLAGS: readonly string[] = [...COMMON, "--deny-run"];

/** Entry point of the CLI, relative to the repository root. */
export const ENTRY_POINT = "src/cli/main.ts";
