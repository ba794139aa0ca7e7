/**
 * A shell pipeline for tests that use coreutils or git as an oracle.
 *
 * @module
 */

const decoder = new TextDecoder();

/**
 * Runs `sh -c script` in `cwd` with `args` as "$@", in the C locale; returns
 * stdout, and throws with stderr when it fails.
 *
 * @example
 * ```ts
 * import { sh } from "./sh.ts";
 * console.log(await sh(".", 'printf %s "$1"', ["hello"])); // "hello"
 * ```
 */
export async function sh(cwd: string, script: string, args: string[] = []): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command("sh", {
    args: ["-c", script, "sh", ...args],
    cwd,
    env: { LC_ALL: "C" },
  }).output();
  if (code !== 0) throw new Error(`sh failed: ${decoder.decode(stderr)}`);
  return decoder.decode(stdout);
}
