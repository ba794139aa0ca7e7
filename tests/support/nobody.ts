/**
 * Runs the CLI as user nobody: a real second user, whom permission bits stop
 * (root they do not), for tests of folders and files the checker cannot read.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { FULL_FLAGS } from "../../src/cli/permissions.ts";
import { CLI_ENTRY } from "./cli_entry.ts";
import type { CliResult } from "../cli.ts";
import { tempDir } from "../fixtures.ts";

/** User and group id of nobody. */
export const NOBODY = 65534;

const decoder = new TextDecoder();

/** One DENO_DIR that user nobody can write, shared by a test file's runs. */
let nobodyDenoDir: string | undefined;

/** A deno executable nobody can start, found or made once. */
let nobodyDeno: string | undefined;

/** Whether user nobody may reach and start `path`: every folder on the way and the file `o+x`. */
function othersMayStart(path: string): boolean {
  for (let at = path; at !== "/"; at = dirname(at)) {
    if (((Deno.statSync(at).mode ?? 0) & 0o001) === 0) return false;
  }
  return true;
}

/**
 * `Deno.execPath()`, or where it is installed under a private folder (npx's cache in `/root`), a
 * hard link to it (a copy across file systems) in the nobody DENO_DIR.
 */
async function denoForNobody(denoDir: string): Promise<string> {
  if (othersMayStart(Deno.execPath())) return Deno.execPath();
  const linked = join(denoDir, "deno");
  await Deno.link(Deno.execPath(), linked).catch(() => Deno.copyFile(Deno.execPath(), linked));
  return linked;
}

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
    nobodyDeno = await denoForNobody(nobodyDenoDir);
  }
  const output = await new Deno.Command("setpriv", {
    args: [
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      groups.length === 0 ? "--clear-groups" : `--groups=${groups.join(",")}`,
      nobodyDeno!,
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
