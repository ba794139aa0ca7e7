/**
 * Helpers of the two-phase run tests: the records of a folder, the bytes of
 * its host files, and the CLI's command line for shell scripts.
 *
 * @module
 */
import { join } from "node:path";
import { readRecords } from "../../src/reader.ts";
import type { RunRecord } from "../../src/schema.ts";
import { appendRecord } from "../../src/store.ts";
import { RECORD_FILE } from "../../src/deliverable.ts";
import { FULL_FLAGS } from "../../src/cli/permissions.ts";
import { makeProject, sampleDraft, tempDir } from "../fixtures.ts";
import { CLI_ENTRY } from "./cli_entry.ts";
import { runCli } from "../cli.ts";
import { assertEquals } from "../assert.ts";

/** Every record of `del`'s RunRecords.csv (none when it has none). */
export async function recordsOf(del: string): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  try {
    await Deno.stat(join(del, RECORD_FILE));
  } catch {
    return records;
  }
  for await (const event of readRecords(join(del, RECORD_FILE))) {
    if (event.kind === "record") records.push(event.record);
    else throw new Error(`unreadable line ${event.line}`);
  }
  return records;
}

/**
 * The AgentNames of `del`'s records, in file order.
 *
 * @example
 * ```ts
 * import { agentsOf } from "./runs.ts";
 * await agentsOf("PKG-01_Pkg/1_Working/DEL-01-02_Thing"); // ["FIRST", "THEIRS"]
 * ```
 */
export async function agentsOf(del: string): Promise<string[]> {
  return (await recordsOf(del)).map((r) => r.AgentName);
}

/** The host files runrec must never change, by name → bytes (missing ones left out). */
export function hostFiles(del: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of ["_STATUS.md", "_DEPENDENCIES.md", "Dependencies.csv", "_CONTEXT.md"]) {
    try {
      files[name] = new TextDecoder().decode(Deno.readFileSync(join(del, name)));
    } catch { /* not there */ }
  }
  return files;
}

/** The runrec CLI as argv, with the production flags, for a shell script to call. */
export const RUNREC: readonly string[] = [
  Deno.execPath(),
  "run",
  ...FULL_FLAGS,
  CLI_ENTRY,
];

/** `RUNREC` quoted for `sh -c`. */
export const RUNREC_SH: string = RUNREC.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");

/**
 * `runrec args` run under `wrapper` (`strace …`, `/usr/bin/time …`), in `cwd`, `env` added, its
 * standard output dropped: its exit code and standard error.
 *
 * @example
 * ```ts
 * import { runrecUnder } from "./runs.ts";
 * const { code, stderr } = await runrecUnder(["strace", "-f", "-qq", "-o", "/dev/null"], ["--version"]);
 * ```
 */
export async function runrecUnder(
  wrapper: readonly string[],
  args: readonly string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<{ code: number; stderr: string }> {
  const [program, ...before] = wrapper;
  const run = await new Deno.Command(program, {
    args: [...before, ...RUNREC, ...args],
    cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  return { code: run.code, stderr: new TextDecoder().decode(run.stderr) };
}

/**
 * `command`, a `runrec …` a message suggests, run by `sh` in `cwd` as a user pastes it (`runrec`
 * the CLI): its exit code, stdout and stderr.
 *
 * @example
 * ```ts
 * import { pasted } from "./runs.ts";
 * const { code } = await pasted(".", "runrec validate ./-PKG-01_Pkg");
 * ```
 */
export async function pasted(
  cwd: string,
  command: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = await new Deno.Command("sh", {
    args: ["-c", command.replaceAll(/(^|[;&|(] *)runrec /g, `$1${RUNREC_SH} `)],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return { code: run.code, stdout: text.decode(run.stdout), stderr: text.decode(run.stderr) };
}

/** The files of `.runrec/pending/` of `del` (claims included). */
export function pendingFiles(del: string): string[] {
  try {
    return [...Deno.readDirSync(join(del, ".runrec", "pending"))].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** Reads a child's stdout until its first line, returns that line, and closes the pipe. */
export async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel(); // nothing more is read: the pipe is closed
  return text.split("\n")[0];
}

/**
 * Every file beneath `dir`, by path → text: to show that nothing was written.
 *
 * @example
 * ```ts
 * import { filesOf } from "./runs.ts";
 * const before = await filesOf(Deno.cwd());
 * ```
 */
export async function filesOf(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) Object.assign(files, await filesOf(path));
    else files[path] = await Deno.readTextFile(path);
  }
  return files;
}

/** Appends one run by `agent` stamped `at` to the record file of `dir` (no fsync: a test's file). */
export async function appendRun(dir: string, agent: string, at: string): Promise<void> {
  await appendRecord(
    join(dir, RECORD_FILE),
    sampleDraft({ AgentName: agent, RunTimestamp: at }),
    { fsync: false },
  );
}

/**
 * A run of `del` begun with `runrec start` (agent 4_DOCUMENTS) and ended with
 * `runrec finish --status status`: its token, and the RunID the finish printed.
 */
export async function finishedRun(
  del: string,
  status: string,
): Promise<{ token: string; runId: string }> {
  const start = await runCli(["start", del, "--agent", "4_DOCUMENTS"]);
  assertEquals(start.code, 0, start.stderr);
  const token = start.stdout.trim();
  const finish = await runCli(["finish", token, "--status", status]);
  assertEquals(finish.code, 0, finish.stderr);
  return { token, runId: finish.stdout.trim() };
}

/** Writes the agent file `agents/AGENT_<name>.md` of a Type 2 agent in the project `root`. */
export async function writeAgentFile(root: string, name: string): Promise<void> {
  await Deno.mkdir(join(root, "agents"), { recursive: true });
  await Deno.writeTextFile(join(root, "agents", `AGENT_${name}.md`), "AGENT_TYPE: 2\n");
}

/** The lines of `stderr` that warn of an agent name runrec does not know. */
export function unknownAgentWarnings(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.includes("is not a known agent"));
}

/** A project of `makeProject`'s, and an environment whose `$TMPDIR` is its own (no spool shared). */
export async function isolatedProject(): Promise<{ del: string; env: { TMPDIR: string } }> {
  const { del } = await makeProject();
  return { del, env: { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) } };
}
