/**
 * Runs the CLI as user nobody: a real second user, whom permission bits stop
 * (root they do not), for tests of folders and files the checker cannot read.
 *
 * @module
 */
import { FULL_FLAGS } from "../../src/cli/permissions.ts";
import { CLI_ENTRY } from "./cli_entry.ts";
import type { CliResult } from "../cli.ts";
import { tempDir } from "../fixtures.ts";

/** User and group id of nobody. */
export const NOBODY = 65534;

const decoder = new TextDecoder();

/** One DENO_DIR that user nobody can write, shared by a test file's runs. */
let nobodyDenoDir: string | undefined;

/**
 * `runrec <args>` as user nobody, in `cwd`, with the shipped permission flags; in `groups`
 * (supplementary group ids), none by default.
 *
 * @example
 * ```ts
 * import { runAsNobody } from "./nobody.ts";
 * const { code } = await runAsNobody(["validate", "/tmp/x/RunRecords.csv"]);
 * ```
 */
export async function runAsNobody(
  args: string[],
  cwd = "/",
  groups: readonly number[] = [],
): Promise<CliResult> {
  if (nobodyDenoDir === undefined) {
    nobodyDenoDir = await tempDir({ prefix: "runrec_nobody_deno_" });
    await Deno.chmod(nobodyDenoDir, 0o777);
  }
  const output = await new Deno.Command("setpriv", {
    args: [
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      groups.length === 0 ? "--clear-groups" : `--groups=${groups.join(",")}`,
      Deno.execPath(),
      "run",
      ...FULL_FLAGS,
      CLI_ENTRY,
      ...args,
    ],
    cwd,
    env: { NO_COLOR: "1", DENO_DIR: nobodyDenoDir, HOME: "/nonexistent", TMPDIR: "/tmp" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
