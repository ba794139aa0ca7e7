/**
 * `deno task compile`: builds `dist/runrec` (full permissions, network
 * denied) and `dist/runrec-sandboxed` (files only). `deno compile` needs the
 * `denort` runtime of the target; where Deno cannot download it, set
 * `DENORT_BIN` to a local copy (Deno reads that variable itself).
 *
 * Usage: deno task compile [--target TRIPLE]
 *
 * @module
 */
import { ENTRY_POINT, FULL_FLAGS, SANDBOXED_FLAGS } from "../src/cli/permissions.ts";

/** Worker modules, which `deno compile` does not find from the entry point by itself. */
const WORKERS = ["src/check_worker.ts"];

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
  const root = new URL("..", import.meta.url).pathname;
  await Deno.mkdir(`${root}dist`, { recursive: true });
  for (const build of BUILDS) {
    const flags = build.flags.filter((f) => f !== "--no-prompt");
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "compile",
        "--quiet",
        ...flags,
        ...WORKERS.flatMap((w) => ["--include", w]),
        ...args,
        "--output",
        build.output,
        ENTRY_POINT,
      ],
      cwd: root,
      stdout: "inherit",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      const reason = lastCause(new TextDecoder().decode(stderr));
      const hint = Deno.env.get("DENORT_BIN")
        ? `DENORT_BIN=${Deno.env.get("DENORT_BIN")}`
        : "set DENORT_BIN to a denort binary of this Deno version";
      console.error(`compile: ${build.output} not built: ${reason} (${hint})`);
      return 2;
    }
    // A DENORT_BIN that is not a denort (the full deno, say) builds a binary that ignores runrec.
    const probe = await new Deno.Command(`${root}${build.output}`, { args: ["--version"] })
      .output().catch(() => undefined);
    if (!probe || !new TextDecoder().decode(probe.stdout).startsWith("runrec ")) {
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
