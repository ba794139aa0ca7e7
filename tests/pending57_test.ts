/**
 * pending-57: the edges twice-56 and review4-56 left on start/finish/reap. A reaped run's file
 * `git stash pop` put back after its late finish is cleared by reap; a late finish claiming the
 * copy of a reaped run whose file was removed carries one note; a late finish from inside an
 * unrelated repository refuses where nothing names the run's work tree; a copy that cannot be
 * renamed into `reaped/` (another file system) is copied there; a claim naming a live pid whose
 * start differs (a pid reused) is taken back. Real git, real agents killed (SIGKILL), real mounts,
 * runrec as real processes.
 *
 * ```sh
 * deno test -A tests/pending57_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { cli, DEL, keptRuns, repository } from "./support/work_tree_project.ts";
import { mountReadOnly, unmount } from "./support/read_only.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { git } from "./fixtures.ts";
import { recordsOf } from "./support/runs.ts";

/** A process standing for an agent, to be killed. */
function agent(): Deno.ChildProcess {
  return new Deno.Command("sleep", { args: ["600"], stdout: "null", stderr: "null" }).spawn();
}

/** Kills `child` with SIGKILL and waits for its end. */
async function kill(child: Deno.ChildProcess): Promise<void> {
  child.kill("SIGKILL");
  await child.status;
}

/** The records of agent B in `del`. */
async function runsOfB(del: string) {
  return (await recordsOf(del)).filter((r) => r.AgentName === "B");
}

/** A run of agent B started in `cwd`'s `DEL`, its agent killed: its token. */
async function killedRun(cwd: string, env: Record<string, string>): Promise<string> {
  const process = agent();
  const started = await cli(cwd, env, "start", DEL, "--agent", "B", "--pid", `${process.pid}`);
  assertEquals(started.code, 0, started.stderr);
  await kill(process);
  return started.stdout.trim();
}

/** Whether `path` is there. */
async function there(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("a reaped run's file that git stash pop put back after its late finish superseded the FAILED record: reap removes it, writes nothing; one waiting for its late finish is left", async () => {
  const { root, env } = await repository();
  const token = await killedRun(root, env);
  const id = token.split("/").at(-1)!.replace(/\.json$/, "");
  const kept = join(root, DEL, ".runrec", "reaped", `${id}.json`);
  assertEquals((await cli(root, env, "reap", ".")).code, 0);
  assert(await there(kept), "reap keeps the run for its late finish");
  // Stashed with git's ignored files, and put back at once: the stash keeps a copy.
  await git(root, "stash", "push", "-q", "--all", "--", join(DEL, ".runrec", "reaped"));
  await git(root, "stash", "apply", "-q");
  const waiting = await cli(root, env, "reap", ".");
  assertEquals(waiting.code, 0, waiting.stderr);
  assert(await there(kept), `a run waiting for its late finish is left: ${waiting.stdout}`);

  const late = await cli(root, env, "finish", token, "--status", "SUCCESS");
  assertEquals(late.code, 0, late.stderr);
  assert(!await there(kept));
  await git(root, "stash", "pop", "-q");
  assert(await there(kept), "git stash pop puts the reaped file back");

  const reap = await cli(root, env, "reap", ".");
  assertEquals(reap.code, 0, reap.stderr);
  assertMatch(reap.stdout, /came back \(git stash pop, a restored copy\?\) after its late finish/);
  assert(!await there(kept), reap.stdout);
  assertEquals((await runsOfB(join(root, DEL))).map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  const again = await cli(root, env, "reap", ".");
  assertEquals(again.code, 0, again.stderr);
  assertEquals((await runsOfB(join(root, DEL))).length, 2);
});

Deno.test("a killed agent's run whose pending file git clean -x removed, reaped FAILED from its copy while reaped/ is read-only (a bind mount): its late finish claims the copy and supersedes with one note, not also 'finished from its copy'", async () => {
  const { root, env } = await repository();
  const token = await killedRun(root, env);
  await git(root, "clean", "-qfdx");
  const reaped = join(root, DEL, ".runrec", "reaped");
  await Deno.mkdir(reaped, { recursive: true });
  await mountReadOnly(reaped);
  try {
    const reap = await cli(root, env, "reap", ".");
    assertEquals(reap.code, 0, reap.stderr);
    assertMatch(reap.stderr, /not moved into/);
  } finally {
    await unmount(reaped);
  }
  assertEquals((await keptRuns(root)).length, 1);
  const late = await cli(root, env, "finish", token, "--status", "SUCCESS");
  assertEquals(late.code, 0, late.stderr);
  const [failed, success] = await runsOfB(join(root, DEL));
  assertEquals([failed.RunStatus, success.RunStatus], ["FAILED", "SUCCESS"]);
  assertMatch(success.Notes, new RegExp(`finished after reap: supersedes=${failed.RunID}`));
  assert(!success.Notes.includes("finished from its copy"), success.Notes);
  assertEquals(await keptRuns(root), []);
});
