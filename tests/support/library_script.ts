/**
 * Runs a script that imports the library (`mod.ts`) in a real Deno process,
 * with only the permissions a test grants: what a Deno script author runs.
 *
 * @module
 */
import { join } from "node:path";
import { assert } from "../assert.ts";
import { tempDir } from "../fixtures.ts";

/** The library, as a script imports it. */
export const MOD = new URL("../../mod.ts", import.meta.url).href;

/** What a script printed as JSON: its answer, or `{ threw, message }`; and its stderr. */
export interface ScriptResult {
  /** Its answer, or `{ threw, message }`. */
  answer: Record<string, unknown>;
  /** Its standard error. */
  stderr: string;
}

/**
 * The arguments of `deno` that run `script` (then `args`) as a script author does: no config, no
 * prompt, no network, and `flags` granted.
 *
 * @example
 * ```ts
 * import { scriptRun } from "./library_script.ts";
 * new Deno.Command(Deno.execPath(), { args: scriptRun(["--allow-read"], "script.ts") });
 * ```
 */
export function scriptRun(flags: readonly string[], script: string, ...args: string[]): string[] {
  return ["run", "--no-config", "--no-prompt", "--deny-net", ...flags, script, ...args];
}

/**
 * Runs `body` (statements using `rr`, the library, that `return` a JSON value)
 * in a Deno process started in `cwd` with `flags` and nothing else granted,
 * and `env` added to its environment; its standard error sent to the file
 * `stderrTo` when given (`/dev/full`: then none is read).
 */
export async function runScript(
  cwd: string,
  flags: string[],
  body: string,
  env: Record<string, string> = {},
  stderrTo?: string,
): Promise<ScriptResult> {
  const script = join(await tempDir({ prefix: "runrec-script-" }), "script.ts");
  await Deno.writeTextFile(
    script,
    `import * as rr from ${JSON.stringify(MOD)};\n` +
      `try {\n  const answer = await (async () => {\n${body}\n  })();\n` +
      `  console.log(JSON.stringify(answer ?? {}));\n` +
      `} catch (e) {\n  console.log(JSON.stringify({ threw: (e as Error).name, ` +
      `message: (e as Error).message }));\n}\n`,
  );
  const deno = [Deno.execPath(), ...scriptRun(flags, script)];
  const [program, ...args] = stderrTo === undefined
    ? deno
    : ["sh", "-c", `exec "$@" 2>${stderrTo}`, "sh", ...deno];
  const output = await new Deno.Command(program, {
    args,
    cwd,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert(output.success, `the script failed: ${stderr}`);
  return { answer: JSON.parse(stdout.trim().split("\n").at(-1)!), stderr };
}
