/**
 * review4-56: twice-56's runs kept in the common git folder, attacked. A reap that wrote a run
 * FAILED from its copy and could not move the copy into the folder's `reaped/` (the work tree on
 * another filesystem than `.git`) deleted the copy it said waits for the late finish; a read-only
 * `.git` made every start of the main work tree warn of `git worktree remove`; a start killed
 * between writing its copy and naming it left the half behind for good. Real mounts, real agents
 * killed (SIGKILL), runrec as real processes.
 *
 * ```sh
 * deno test -A tests/review4_56_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { cli, DEL, keptRuns, repository } from "./support/work_tree_project.ts";
import { mountReadOnly, sh, unmount } from "./support/read_only.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { git, tempDir } from "./fixtures.ts";
import { recordsOf, RUNREC } from "./support/runs.ts";

/** The records of agent B in `del`. */
async function runsOfB(del: string) {
  return (await recordsOf(del)).filter((r) => r.AgentName === "B");
}

Deno.test("a linked work tree on another filesystem than its common git folder (tmpfs): a killed agent's run whose pending file git clean -x removed is reaped FAILED from its copy, which cannot move into reaped/ (EXDEV): the copy waits, a second reap leaves it, and the late finish by token supersedes the FAILED record once", async () => {
  const { root, env } = await repository();
  const mount = await tempDir({ prefix: "runrec-other-fs-" });
  await sh("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mount);
  try {
    const wt = join(mount, "t2");
    await git(root, "worktree", "add", "-q", "-b", "t2", wt);
    const agent = new Deno.Command("sleep", { args: ["600"], stdout: "null", stderr: "null" })
      .spawn();
    const started = await cli(wt, env, "start", DEL, "--agent", "B", "--pid", `${agent.pid}`);
    assertEquals(started.code, 0, started.stderr);
    agent.kill("SIGKILL");
    await agent.status;
    await git(wt, "clean", "-qfdx");

    const reap = await cli(wt, env, "reap", ".");
    assertEquals(reap.code, 0, reap.stderr);
    assertMatch(reap.stderr, /Invalid cross-device link|os error 18/);
    assertEquals((await runsOfB(join(wt, DEL))).map((r) => r.RunStatus), ["FAILED"]);
    // What the warning says: the run waits, in the common git folder, for its late finish.
    assertEquals((await keptRuns(root)).length, 1, reap.stderr);
    const again = await cli(wt, env, "reap", ".");
    assertEquals(again.code, 0, again.stderr);
    assertEquals((await keptRuns(root)).length, 1, again.stdout + again.stderr);

    const late = await cli(wt, env, "finish", started.stdout.trim(), "--status", "SUCCESS");
    assertEquals(late.code, 0, late.stderr);
    const runs = await runsOfB(join(wt, DEL));
    assertEquals(runs.map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
    assertMatch(runs[1].Notes, new RegExp(`supersedes=${runs[0].RunID}`));
    assertEquals(await keptRuns(root), []);
    const last = await cli(wt, env, "reap", ".");
    assertEquals(last.code, 0, last.stderr);
    assertEquals((await runsOfB(join(wt, DEL))).length, 2);
    await git(root, "worktree", "remove", "--force", wt);
  } finally {
    await unmount(mount);
  }
});

Deno.test("a start in the main work tree whose .git is read-only (a bind mount): no warning of git worktree remove, which the main work tree has none of; its finish records the run once", async () => {
  const { root, env } = await repository();
  const dotGit = join(root, ".git");
  await mountReadOnly(dotGit);
  let started;
  try {
    started = await cli(root, env, "start", DEL, "--agent", "B");
  } finally {
    await unmount(dotGit);
  }
  assertEquals(started.code, 0, started.stderr);
  assertEquals(started.stderr, "");
  const finish = await cli(root, env, "finish", started.stdout.trim(), "--status", "SUCCESS");
  assertEquals(finish.code, 0, finish.stderr);
  assertEquals((await runsOfB(join(root, DEL))).map((r) => r.RunStatus), ["SUCCESS"]);
});

Deno.test("a start in the main work tree killed (SIGKILL) between writing its run's copy and naming it: the half-written copy goes when reap ends the run, nothing stays in runrec-journals", async () => {
  const { root, env } = await repository();
  // The first rename names the run's pending file, the second its copy.
  const start = await new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", "/dev/null", "-e", "trace=rename,renameat,renameat2"],
      ...["-e", "inject=rename,renameat,renameat2:signal=KILL:when=2"],
      ...RUNREC,
      ...["start", DEL, "--agent", "B"],
    ],
    cwd: root,
    env,
    stdout: "null",
    stderr: "null",
  }).output();
  assertEquals(start.signal, "SIGKILL");
  const halves = await keptRuns(root);
  assertEquals(halves.length, 1);
  assert(halves[0].endsWith(".json.tmp"), halves[0]);

  const reap = await cli(root, env, "reap", "--older-than", "0s", ".");
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals((await runsOfB(join(root, DEL))).map((r) => r.RunStatus), ["FAILED"]);
  assertEquals(await keptRuns(root), []);
});

Deno.test("exec in the main work tree whose command runs git clean -x: one record, its Notes not saying reap could not have recorded a crash (the run's copy in the common git folder would have let it), no copy left; reap then finds nothing", async () => {
  const { root, env } = await repository();
  const exec = await cli(root, env, "exec", DEL, "--agent", "B", "--", "git", "clean", "-qfdx");
  assertEquals(exec.code, 0, exec.stderr);
  const [run] = await runsOfB(join(root, DEL));
  assertEquals(run.RunStatus, "SUCCESS");
  assertMatch(run.Notes, /pending run file removed during the run/);
  assert(!run.Notes.includes("reap could not have recorded a crash"), run.Notes);
  assertMatch(run.Notes, /its copy in the common git folder kept for reap/);
  assertEquals(await keptRuns(root), []);
  const reap = await cli(root, env, "reap", "--older-than", "0s", ".");
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals((await runsOfB(join(root, DEL))).length, 1);
});
