/**
 * `deno task compile`: bundles the CLI into `dist/bundle/` (minified
 * JavaScript: the entry point, one file for the commands that record runs,
 * one for the others, and the chunks they share), then builds
 * `dist/runrec` (full permissions, network denied) and
 * `dist/runrec-sandboxed` (files in the folder it is started in, nothing
 * else) from that bundle. Both binaries therefore run exactly the code in
 * `dist/bundle/`, which `deno run` can also run where no binary can be built
 * (`deno task install` then installs launchers over it).
 *
 * Why a bundle: Deno loads a TypeScript module through its transpile cache,
 * source map included, and loading `emit`'s modules took ~3.2 ms against
 * ~1.1 ms for the bundle; see docs/BENCHMARKS.md.
 *
 * `deno compile` needs the `denort` runtime of the target; where Deno cannot
 * download it, set `DENORT_BIN` to a local copy (Deno reads that variable
 * itself; a relative path is named from the folder `deno task` was started
 * in). Without either, only the bundle is built, and the exit code is 2. A
 * binary for another platform (`--target`) cannot be started here: it is
 * built and not checked.
 *
 * Usage: deno task compile [--target TRIPLE]
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ENTRY_POINT, FULL_FLAGS, SANDBOXED_FLAGS } from "../src/cli/permissions.ts";

/** Worker modules: entry points of the bundle of their own, started by URL. */
const WORKERS = ["src/check_worker.ts", "src/hash_worker.ts"];

/** Where the bundle goes, relative to the repository root. */
export const BUNDLE_DIR = "dist/bundle";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const USAGE = `Usage: deno task compile [--target TRIPLE]

Bundles the CLI into ${BUNDLE_DIR}/, then builds dist/runrec and dist/runrec-sandboxed from it,
for this machine or for TRIPLE (deno compile's --target; docs/INTERNALS.md lists them).
`;

/**
 * The environment of `deno compile`: this one, `DENORT_BIN` made absolute, or taken out when it
 * is empty (a CI variable not set), which Deno would take for a path naming no file.
 */
function compileEnv(denort: string | undefined): Record<string, string> {
  const { DENORT_BIN: _given, ...env } = Deno.env.toObject();
  return denort ? { ...env, DENORT_BIN: denort } : env;
}

/**
 * Bundles the CLI (and the worker modules) into `outDir/cli/` with `deno
 * bundle`; returns the path of the bundle's entry point, `cli/main.js`.
 *
 * @throws {Error} with `deno bundle`'s own message when it fails.
 *
 * @example
 * ```ts
 * import { bundleCli } from "./compile.ts";
 * const main = await bundleCli(await Deno.makeTempDir());
 * // deno run <FULL_FLAGS> main emit ...
 * ```
 */
export async function bundleCli(outDir: string = join(ROOT, BUNDLE_DIR)): Promise<string> {
  // Built beside `outDir`, then put in its place file by file: a process running the bundle,
  // or a second build at the same time (two installs, the tests), never meets a half-built one.
  const started = Date.now();
  const building = `${outDir}.building-${crypto.randomUUID()}`;
  const cli = join(building, "cli");
  // `deno bundle` names no path when it cannot write: the folder is made here first, and named
  // (a checkout mounted read-only, or another user's: ci-trial F5).
  try {
    await Deno.mkdir(cli, { recursive: true });
  } catch (e) {
    throw new Error(
      `${outDir} cannot be written (${(e as Error).message.split(":")[0]}): the bundle is built ` +
        "inside the runrec checkout; install from a checkout this user may write",
    );
  }
  try {
    await denoBundle(["--code-splitting", "--outdir", cli, ENTRY_POINT]);
    // A worker runs in an isolate of its own, which shares no module with the CLI's: bundled
    // apart, each worker is one file, and the CLI's chunks are not split along what the workers
    // import (emit loaded 9 files, now 5). Beside the chunks, where the pools look for them.
    await denoBundle(["--outdir", cli, ...WORKERS]);
    await replaceFiles(building, outDir, started);
  } finally {
    await Deno.remove(building, { recursive: true }).catch(() => {});
  }
  return join(outDir, "cli", "main.js");
}

/**
 * Puts each file of the folder `built` at its place in `target`, the entry point last, each by
 * one rename over the file there: a run of the bundle meanwhile finds every file it loads (a
 * folder swapped whole, by two renames, is not there between them: 5 of 309 runs during two
 * builds failed so). The chunks' names hold their content's hash, so a build of the same code
 * replaces each file with the same bytes. Files an earlier build left that this one has not are
 * removed; those written since `started` are another build's, at work now, and stay.
 */
async function replaceFiles(built: string, target: string, started: number): Promise<void> {
  const entry = join("cli", "main.js");
  const files = filesBeneath(built).sort((a, b) => Number(a === entry) - Number(b === entry));
  for (const file of files) {
    await Deno.mkdir(dirname(join(target, file)), { recursive: true });
    await Deno.rename(join(built, file), join(target, file));
  }
  const placed = new Set(files);
  for (const file of filesBeneath(target)) {
    if (placed.has(file)) continue;
    const written = (await Deno.stat(join(target, file)).catch(() => undefined))?.mtime;
    if (written && written.getTime() < started) {
      await Deno.remove(join(target, file)).catch(() => {});
    }
  }
}

/** The paths of the files beneath `dir`, relative to it. */
function filesBeneath(dir: string, under = ""): string[] {
  return [...Deno.readDirSync(join(dir, under))].flatMap((entry) =>
    entry.isDirectory ? filesBeneath(dir, join(under, entry.name)) : [join(under, entry.name)]
  );
}

/** Runs `deno bundle` (minified, for Deno) with `args`; throws its error message. */
async function denoBundle(args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform=deno",
      "--minify", // ~0.5 ms less to load per run; errors never print stack traces anyway
      ...args,
    ],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`deno bundle failed: ${lastCause(new TextDecoder().decode(stderr))}`);
  }
}

/** One build: its output path and flags. */
export const BUILDS = [
  { output: "dist/runrec", flags: FULL_FLAGS },
  { output: "dist/runrec-sandboxed", flags: SANDBOXED_FLAGS },
] as const;

/**
 * Compiles both builds; returns the exit code (0 when both were built).
 *
 * @example
 * ```ts
 * import { compileAll } from "./compile.ts";
 * const code = await compileAll([]);
 * ```
 */
export async function compileAll(args: string[]): Promise<number> {
  // Read here, not passed on: deno compile took `--help` as its own and built nothing to check.
  let target: string | undefined;
  try {
    const { values } = parseArgs({
      args,
      options: { target: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    // `--target "$T"` with T unset: not another platform, whose binaries go unchecked.
    if (values.target === "") throw new Error("--target is empty (an unset variable?): name one");
    target = values.target;
  } catch (e) {
    console.error(`compile: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  // A binary for another platform cannot be started here to check it.
  const foreign = target !== undefined && target !== Deno.build.target;
  // A build that fails must not leave an older binary behind, looking current.
  for (const build of BUILDS) await Deno.remove(join(ROOT, build.output)).catch(() => {});
  // A relative DENORT_BIN is the caller's: `deno task` runs this in the checkout, and names the
  // caller's folder in INIT_CWD. deno compile (run in the checkout too) is given it absolute.
  const given = Deno.env.get("DENORT_BIN");
  const denort = given ? resolve(Deno.env.get("INIT_CWD") ?? Deno.cwd(), given) : undefined;
  // deno compile says only "No such file or directory" of a DENORT_BIN that names no file.
  if (denort && !(await Deno.stat(denort).then((i) => i.isFile, () => false))) {
    console.error(
      `compile: DENORT_BIN=${given}${denort === given ? "" : ` (${denort})`} names no file: ` +
        `set it to a denort binary of Deno ` +
        `${Deno.version.deno}, or unset it to let deno compile download one`,
    );
    return 2;
  }
  let entry: string;
  try {
    entry = await bundleCli();
  } catch (e) {
    console.error(`compile: ${(e as Error).message}`);
    return 2;
  }
  console.error(`compile: bundled the CLI into ${BUNDLE_DIR}/`);
  for (const build of BUILDS) {
    const flags = build.flags.filter((f) => f !== "--no-prompt");
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "compile",
        "--quiet",
        ...flags,
        ...WORKERS.flatMap((w) => [
          "--include",
          join(BUNDLE_DIR, "cli", `${basename(w, ".ts")}.js`),
        ]),
        ...(target ? ["--target", target] : []),
        "--output",
        build.output,
        entry,
      ],
      cwd: ROOT,
      env: compileEnv(denort),
      clearEnv: true,
      stdout: "inherit",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      const cause = lastCause(new TextDecoder().decode(stderr));
      // deno compile downloads denort; offline, that is a name lookup failing, said plainly.
      const reason = /lookup address|dns error|error sending request|connect/i.test(cause)
        ? `deno compile could not download its denort runtime (no network here?): ${cause}`
        : cause;
      const hint = /invalid value/.test(cause)
        ? "" // a --target deno compile does not know: no denort would help
        : denort
        ? ` (DENORT_BIN=${denort})`
        : " (set DENORT_BIN to a denort binary of this Deno version)";
      console.error(`compile: ${build.output} not built: ${reason}${hint}`);
      return 2;
    }
    if (foreign) {
      const exe = target!.includes("windows") ? ".exe" : "";
      console.error(`compile: built ${build.output}${exe} for ${target} (not run here)`);
      continue;
    }
    // A DENORT_BIN that is not a denort (the full deno, say) builds a binary that ignores runrec.
    const probe = await new Deno.Command(join(ROOT, build.output), { args: ["--version"] })
      .output().catch(() => undefined);
    if (!probe || !new TextDecoder().decode(probe.stdout).startsWith("runrec ")) {
      await Deno.remove(join(ROOT, build.output)).catch(() => {});
      console.error(
        `compile: ${build.output} was built but does not run runrec (is DENORT_BIN a denort?)`,
      );
      return 2;
    }
    console.error(`compile: built ${build.output}`);
  }
  return 0;
}

/** The innermost cause in `deno compile`'s error output, without colour codes. */
function lastCause(stderr: string): string {
  // deno-lint-ignore no-control-regex -- strips ANSI colour codes
  const lines = stderr.replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim());
  const causes = lines.filter((l) =>
    /^(error:|\d+: )/.test(l) && !/^\d+: <unknown>/.test(l) && !/^\d+: Setting up/.test(l)
  );
  return (causes.pop() ?? "deno compile failed").replace(/^\d+: /, "");
}

if (import.meta.main) Deno.exit(await compileAll(Deno.args));
