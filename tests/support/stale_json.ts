/**
 * `runrec stale --json` through the CLI, for the tests of its verdicts: the
 * check's JSON shape, the run, and the rows of evidence a test compares.
 *
 * @module
 */
import { assert, assertEquals } from "../assert.ts";
import { type CliResult, runCli } from "../cli.ts";

const decoder = new TextDecoder();

/** One `runrec stale --json` check, as the JSON document gives it. */
export interface JsonCheck {
  /** The agent the check is of. */
  agent: string;
  /** CLEAN, DIRTY, NO_BASELINE, STALE. */
  verdict: string;
  /** The record compared with. */
  baseline?: { RunID: string; line: number };
  /** Why there is no baseline, when there is none. */
  reason?: string;
  /** Each input that changed. */
  inputs: { path: string; change: string; reason?: string }[];
  /** Each output edited since. */
  outputs: { path: string; change: string; reason?: string }[];
  /** What the check could not tell. */
  notes: string[];
}

/**
 * Runs `runrec`, failing the test when it exits with another code than `code`.
 *
 * @example
 * ```ts
 * import { runrec } from "./stale_json.ts";
 * await runrec(0, "emit", "DEL-01-02_X", "--agent", "A", "--status", "SUCCESS");
 * ```
 */
export async function runrec(code: number, ...args: string[]): Promise<CliResult> {
  const result = await runCli(args);
  assertEquals(result.code, code, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
  return result;
}

/**
 * `runrec stale <args> --json`: the exit code and the checks.
 *
 * @example
 * ```ts
 * import { stale } from "./stale_json.ts";
 * const { code, checks } = await stale("DEL-01-02_X");
 * ```
 */
export async function stale(...args: string[]): Promise<{ code: number; checks: JsonCheck[] }> {
  const result = await runCli(["stale", ...args, "--json"]);
  assert(result.code !== 2, result.stderr);
  return { code: result.code, checks: JSON.parse(result.stdout).checks };
}

/**
 * The one check of `agent`.
 *
 * @example
 * ```ts
 * import { checkOf, stale } from "./stale_json.ts";
 * checkOf((await stale("DEL-01-02_X")).checks, "A").verdict; // "CLEAN"
 * ```
 */
export function checkOf(checks: JsonCheck[], agent: string): JsonCheck {
  const found = checks.filter((c) => c.agent === agent);
  assertEquals(found.length, 1, JSON.stringify(checks));
  return found[0];
}

/**
 * Input evidence as [change, path, reason] rows.
 *
 * @example
 * ```ts
 * import { checkOf, evidence, stale } from "./stale_json.ts";
 * evidence(checkOf((await stale("DEL-01-02_X")).checks, "A")); // [["changed", "a.md", undefined]]
 * ```
 */
export function evidence(check: JsonCheck): (string | undefined)[][] {
  return check.inputs.map((c) => [c.change, c.path, c.reason]);
}

/**
 * Makes a FIFO at `path` (`mkfifo`).
 *
 * @example
 * ```ts
 * import { mkfifo } from "./stale_json.ts";
 * await mkfifo("/tmp/x/inp");
 * ```
 */
export async function mkfifo(path: string): Promise<void> {
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  assertEquals(made.code, 0, decoder.decode(made.stderr));
}
