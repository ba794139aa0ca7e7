/**
 * A project in a git repository for the tests of linked work trees' journals kept in the common
 * git folder (src/kept_journals.ts).
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { emitArgs, runCliProcess } from "../cli.ts";
import { git, makeProject, tempDir } from "../fixtures.ts";
import { recordsOf } from "./runs.ts";

/** The deliverable of `makeProject()`, relative to its root. */
export const DEL = join("PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");

/** The folder of the kept journals, relative to the main work tree's top. */
export const KEPT = join(".git", "runrec-journals");

/**
 * The project as a git repository on main, with one record committed; `env` gives runrec a
 * `TMPDIR` of its own.
 *
 * @example
 * ```ts
 * import { cli, DEL, repository } from "./work_tree_project.ts";
 * const { root, env } = await repository();
 * await cli(root, env, "verify", DEL);
 * ```
 */
export async function repository(): Promise<{ root: string; env: Record<string, string> }> {
  const { root } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-work-tree-tmp-" }) };
  await git(root, "init", "-q", "-b", "main");
  assertEquals((await cli(root, env, ...emitArgs(DEL))).code, 0);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "first record");
  return { root, env };
}

/**
 * Runs the CLI in `cwd`, with `env`.
 *
 * @example
 * ```ts
 * import { cli } from "./work_tree_project.ts";
 * await cli(".", {}, "--version");
 * ```
 */
export function cli(cwd: string, env: Record<string, string>, ...args: string[]) {
  return runCliProcess(args, undefined, env, cwd);
}

/**
 * A new linked work tree of `root` (`git worktree add`, with `args`), as a path.
 *
 * @example
 * ```ts
 * import { repository, workTree } from "./work_tree_project.ts";
 * const { root } = await repository();
 * const wt = await workTree(root, "-b", "feat");
 * ```
 */
export async function workTree(root: string, ...args: string[]): Promise<string> {
  const path = join(await tempDir({ prefix: "runrec-work-tree-" }), "agent");
  await git(root, "worktree", "add", "-q", ...args, path);
  return path;
}

/** The files beneath `folder` (none when it is not there). */
export async function filesBeneath(folder: string): Promise<string[]> {
  const found: string[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) {
      const path = join(folder, entry.name);
      if (entry.isDirectory) found.push(...await filesBeneath(path));
      else found.push(path);
    }
  } catch { /* none */ }
  return found;
}

/** The copies of pending runs kept in the common git folder of `root`, of every deliverable. */
export async function keptRuns(root: string): Promise<string[]> {
  return (await filesBeneath(join(root, KEPT))).filter((f) => f.includes("/.runrec/pending/"));
}

/** A process standing for an agent, to be killed with {@linkcode killAgent}. */
export function sleepingAgent(): Deno.ChildProcess {
  return new Deno.Command("sleep", { args: ["600"], stdout: "null", stderr: "null" }).spawn();
}

/** Kills `agent` with SIGKILL and waits for its end. */
export async function killAgent(agent: Deno.ChildProcess): Promise<void> {
  agent.kill("SIGKILL");
  await agent.status;
}

/**
 * A run of agent B started in `cwd`'s {@linkcode DEL}, its agent then killed: the run's token.
 *
 * @example
 * ```ts
 * import { killedRun, repository } from "./work_tree_project.ts";
 * const { root, env } = await repository();
 * const token = await killedRun(root, env);
 * ```
 */
export async function killedRun(cwd: string, env: Record<string, string>): Promise<string> {
  const agent = sleepingAgent();
  const started = await cli(cwd, env, "start", DEL, "--agent", "B", "--pid", `${agent.pid}`);
  assertEquals(started.code, 0, started.stderr);
  await killAgent(agent);
  return started.stdout.trim();
}

/** The records of agent B (the one {@linkcode killedRun} starts) in `del`. */
export async function runsOfB(del: string) {
  return (await recordsOf(del)).filter((r) => r.AgentName === "B");
}
