/**
 * The permission flags of the two builds, in one place: `deno task runrec`,
 * `deno task compile`, `deno task install` and the tests all use these lists.
 *
 * @module
 */

/** Environment variables runrec reads. */
export const ENV_VARS = [
  "NO_COLOR",
  // TERM=dumb (an editor's shell buffer): no colour, no progress bar, as git and grep do.
  "TERM",
  "HOME",
  "USERPROFILE",
  "TMPDIR",
  "TEMP",
  "TMP",
  "RUNREC_SPOOL_DIR",
  // GitHead honours it as git does; all three made absolute for the gits runrec starts in other
  // folders, and named for a submodule's (a hook's GIT_INDEX_FILE is the superproject's index).
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  // runrec's search for the repository stops where git's does.
  "GIT_CEILING_DIRECTORIES",
  // The run of the `exec` a command runs under: its start of the same agent is that run again.
  "RUNREC_EXEC_RUN",
] as const;

const COMMON = [
  "--deny-net",
  "--no-prompt",
  // The caller's project configuration (a deno.json found from the working folder) must
  // not change runrec: its one package is named by exact version in src/path.ts.
  "--no-config",
  // V8: `--no-lazy` compiles every function when its module loads, so Deno's code cache holds
  // all of runrec's bytecode and a run compiles nothing; `--no-sparkplug` skips baseline code
  // that a run as short as emit's hardly reuses; `--no-regexp-tier-up` compiles a regular
  // expression once, to native code, instead of to bytecode first and again on its second use;
  // a young generation of at most 4 MiB per thread keeps a long read (validate) from growing
  // its heaps with the file, and one of 2 MiB from the start holds all an emit allocates, which
  // at 1 MiB took one or two collections (emit-speed-38 F2). Measured in docs/BENCHMARKS.md.
  "--v8-flags=--no-lazy,--no-sparkplug,--no-regexp-tier-up,--max-semi-space-size=4,--min-semi-space-size=2",
];

/**
 * Flags of `dist/runrec` and `deno task runrec`: files, the listed
 * environment variables, the host name, the user id (which names the
 * user's own spool folder in `$TMPDIR`) and the uptime (which tells a lock's
 * live holder from a reused pid whatever the wall clock does), subprocesses (`exec`'s command and
 * `git`), and no network.
 *
 * @example
 * ```ts
 * import { FULL_FLAGS } from "./permissions.ts";
 * console.log(["deno", "run", ...FULL_FLAGS, "src/cli/main.ts"].join(" "));
 * ```
 */
export const FULL_FLAGS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  `--allow-env=${ENV_VARS.join(",")}`,
  "--allow-sys=hostname,uid,osUptime",
  ...COMMON,
  "--allow-run",
];

/**
 * Flags of `dist/runrec-sandboxed`: files inside the folder it is started in
 * (Deno resolves `.` against the working folder when the process starts, a
 * compiled binary's too), no subprocesses, no network. Without the user id
 * and the temporary-folder variables, the spool is the deliverable's own
 * `.runrec-spool/`, inside that folder.
 *
 * @example
 * ```ts
 * import { SANDBOXED_FLAGS } from "./permissions.ts";
 * SANDBOXED_FLAGS.includes("--deny-run"); // true
 * ```
 */
export const SANDBOXED_FLAGS: readonly string[] = sandboxedFlags();

/**
 * The sandboxed flags for a launcher that runs runrec's code from
 * `codeFolder`: that folder is readable too, since Deno checks the read
 * permission when it starts a worker thread (`validate` of a large file).
 *
 * @example
 * ```ts
 * import { sandboxedFlags } from "./permissions.ts";
 * sandboxedFlags("/home/me/.local/bin/.runrec-lib")[0];
 * // "--allow-read=.,/home/me/.local/bin/.runrec-lib"
 * ```
 */
export function sandboxedFlags(codeFolder?: string): string[] {
  return [
    codeFolder === undefined ? "--allow-read=." : `--allow-read=.,${codeFolder}`,
    "--allow-write=.",
    "--allow-env=NO_COLOR,TERM,HOME,USERPROFILE",
    "--allow-sys=hostname",
    ...COMMON,
    "--deny-run",
  ];
}

/** Entry point of the CLI, relative to the repository root. */
export const ENTRY_POINT = "src/cli/main.ts";
