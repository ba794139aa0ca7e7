/**
 * The few git facts runrec uses, read by running `git` (the only program
 * runrec starts besides `exec`'s command).
 *
 * @module
 */

/** Output of one git call. */
export interface GitResult {
  /** Exit code of git. */
  code: number;
  /** Standard output, raw bytes. */
  stdout: Uint8Array;
  /** Standard error as text, trimmed. */
  stderr: string;
}

/**
 * Runs `git` with `args` in `cwd`. Throws only when git cannot be started
 * (not installed, or no permission to run programs).
 *
 * @example
 * ```ts
 * import { git } from "./git.ts";
 * const { code, stdout } = await git(["rev-parse", "HEAD"], ".");
 * if (code === 0) console.log(new TextDecoder().decode(stdout).trim());
 * ```
 */
export async function git(args: string[], cwd: string): Promise<GitResult> {
  const output = await new Deno.Command("git", {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" },
  }).output();
  return {
    code: output.code,
    stdout: output.stdout,
    stderr: new TextDecoder().decode(output.stderr).trim(),
  };
}

/**
 * `HEAD` of the git work tree holding `dir`, or `""` when there is none, git
 * is missing, or running programs is not permitted (sandboxed build).
 *
 * @example
 * ```ts
 * import { gitHead } from "./git.ts";
 * console.log(await gitHead(".")); // 40 hex digits, or ""
 * ```
 */
export async function gitHead(dir: string): Promise<string> {
  try {
    const { code, stdout } = await git(["rev-parse", "--verify", "-q", "HEAD"], dir);
    const head = new TextDecoder().decode(stdout).trim();
    return code === 0 && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(head) ? head : "";
  } catch {
    return "";
  }
}
