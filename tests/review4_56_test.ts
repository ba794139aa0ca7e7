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
import { dirname, join } from "node:path";
import {
  cli,
  DEL,
  filesBeneath,
  keptRuns,
  killedRun,
  repository,
  runsOfB,
} from "./support/work_tree_project.ts";
import { mountReadOnly, sh, unmount } from "./support/read_only.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { git, tempDir } from "./fixtures.ts";
import { RUNREC } from "./support/runs.ts";

/**
 * A linked work tree `t2` on a tmpfs mounted for `body` (another file system than the common git
 * folder), with a killed agent's run there whose pending file `git clean -x` removed: `body` gets
 * the repository, the work tree and the run's token; the mount is gone after.
 */
async function runOnOtherFileSystem(
  body: (
    run: { root: string; env: Record<string, string>; wt: string; token: string },
  ) => Promise<void>,
): Promise<void> {
  const { root, env } = await repository();
  const mount = await tempDir({ prefix: "runrec-other-fs-" });
  await sh("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mount);
  try {
    const wt = join(mount, "t2");
    await git(root, "worktree", "add", "-q", "-b", "t2", wt);
    const token = await killedRun(wt, env);
    await git(wt, "clean", "-qfdx");
    await body({ root, env, wt, token });
    await git(root, "worktree", "remove", "--force", wt);
  } finally {
    await unmount(mount);
  }
}

/** The late finish of `token` in `wt`: it supersedes the FAILED record once, no copy left. */
async function lateFinishSupersedes(
  root: string,
  env: Record<string, string>,
  wt: string,
  token: string,
) {
  const late = await cli(wt, env, "finish", token, "--status", "SUCCESS");
  assertEquals(late.code, 0, late.stderr);
  const runs = await runsOfB(join(wt, DEL));
  assertEquals(runs.map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  assertMatch(runs[1].Notes, new RegExp(`supersedes=${runs[0].RunID}`));
  const last = await cli(wt, env, "reap", ".");
  assertEquals(last.code, 0, last.stderr);
  assertEquals((await runsOfB(join(wt, DEL))).length, 2);
  assertEquals(await keptRuns(root), []);
}

Deno.test("a linked work tree on another filesystem than its common git folder (tmpfs): a killed agent's run whose pending file git clean -x removed is reaped FAILED from its copy, which cannot be renamed into reaped/ (EXDEV): it is copied there and removed (pending-57), and the late finish by token supersedes the FAILED record once", async () => {
  await runOnOtherFileSystem(async ({ root, env, wt, token }) => {
    const reap = await cli(wt, env, "reap", ".");
    assertEquals(reap.code, 0, reap.stderr);
    assert(!reap.stderr.includes("not moved"), reap.stderr);
    assertEquals((await runsOfB(join(wt, DEL))).map((r) => r.RunStatus), ["FAILED"]);
    const id = token.split("/").at(-1)!;
    assertEquals(await filesBeneath(join(wt, DEL, ".runrec", "reaped")), [
      join(wt, DEL, ".runrec", "reaped", id),
    ]);
    assertEquals(await keptRuns(root), [], reap.stderr);
    const again = await cli(wt, env, "reap", ".");
    assertEquals(again.code, 0, again.stderr);
    assertMatch(again.stderr, /nothing to reap/);
    await lateFinishSupersedes(root, env, wt, token);
  });
});

Deno.test("a reap copying a run across file systems into reaped/, killed (SIGKILL) before its copy is named, or after it, before the claimed copy is removed: the next reaps and the late finish record the run FAILED once, superseded once, and leave no copy (pending-57)", async () => {
  for (const step of ["rename", "fsync"] as const) {
    await runOnOtherFileSystem(async ({ root, env, wt, token }) => {
      const kept = join(wt, DEL, ".runrec", "reaped", token.split("/").at(-1)!);
      // The second rename naming the reaped file names the copy (the first, EXDEV, failed); the
      // sync of reaped/ comes after it, before the claimed copy is removed.
      // strace matches a rename by its first path only, here a temporary file's, named at random:
      // the copy is named by reap's sixth rename (its claim; the .gitignore files of its spool's
      // and the folder's .runrec/; its journal's copy; the EXDEV one), asserted below. The sync of
      // reaped/ comes after it, before the claimed copy is removed.
      await Deno.mkdir(dirname(kept), { recursive: true });
      const fault = step === "rename"
        ? ["-e", "trace=rename,renameat,renameat2"]
        : ["-P", dirname(kept), "-e", "trace=fsync"];
      const inject = step === "rename"
        ? "inject=rename,renameat,renameat2:signal=KILL:when=6"
        : "inject=fsync:signal=KILL";
      const killed = await new Deno.Command("strace", {
        args: [
          ...["-f", "-qq", "-o", "/dev/null", ...fault, "-e", inject],
          ...RUNREC,
          ...["reap", "."],
        ],
        cwd: wt,
        env,
        stdout: "null",
        stderr: "null",
      }).output();
      assertEquals(killed.signal, "SIGKILL", step);
      assertEquals((await runsOfB(join(wt, DEL))).map((r) => r.RunStatus), ["FAILED"], step);
      // Killed where meant: the claimed copy still there; the reaped file named after the rename.
      const [copy, ...more] = await keptRuns(root);
      assertEquals(more, [], step);
      assertMatch(copy, /\.json\.claim-/, step);
      const reaped = await filesBeneath(dirname(kept));
      assertEquals(reaped.includes(kept), step === "fsync", step);
      if (step === "rename") assertMatch(reaped.join(), /\.json\.[0-9a-f]{8}-[0-9]+@.*\.tmp$/);
      const reap = await cli(wt, env, "reap", ".");
      assertEquals(reap.code, 0, reap.stderr);
      assertEquals((await runsOfB(join(wt, DEL))).length, 1, `${step}: ${reap.stdout}`);
      await lateFinishSupersedes(root, env, wt, token);
    });
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
