/**
 * twice-56: a pending run recorded twice, or lost. A late finish run from outside the repository
 * (or from a deleted current folder) finds the repository from the token's path and supersedes
 * the FAILED record reap wrote, or refuses; a run whose pending file `git clean -x` removed in
 * the main work tree is reaped once from its copy in the common git folder. Real git work trees,
 * real agents killed (SIGKILL), runrec as real processes.
 *
 * ```sh
 * deno test -A tests/twice56_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import {
  cli,
  DEL,
  filesBeneath,
  keptRuns,
  killAgent,
  killedRun,
  repository,
  runsOfB,
  sleepingAgent,
} from "./support/work_tree_project.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { git, tempDir } from "./fixtures.ts";
import { RUNREC } from "./support/runs.ts";

/**
 * Runs of agent B started in a linked work tree at `wt` (branch t2), their agents killed, the
 * work tree removed with `--force`, and reap run in the main work tree: each written FAILED
 * there. The tokens, in order.
 */
async function reapedInMain(root: string, env: Record<string, string>, wt: string, runs = 1) {
  await git(root, "worktree", "add", "-q", "-b", "t2", wt);
  const tokens: string[] = [];
  for (let i = 0; i < runs; i++) {
    tokens.push(await killedRun(wt, env));
  }
  await git(root, "worktree", "remove", "--force", wt);
  const reap = await cli(root, env, "reap", ".");
  assertEquals(reap.code, 0, reap.stderr);
  const reaped = await runsOfB(join(root, DEL));
  assertEquals(reaped.map((r) => r.RunStatus), tokens.map(() => "FAILED"), reap.stdout);
  return tokens;
}

Deno.test("a linked work tree's killed run reaped FAILED in the main work tree after a forced removal: its late finish by token and --agent, from outside the repository and from a deleted current folder, supersedes the FAILED record once", async () => {
  const { root, env } = await repository();
  // Beside the repository, as `git worktree add ../t2` puts it.
  const [first, second] = await reapedInMain(root, env, `${root}-t2`, 2);
  const [failed1, failed2] = await runsOfB(join(root, DEL));

  const outside = await tempDir({ prefix: "runrec-outside-" });
  const late = await cli(outside, env, "finish", first, "--status", "SUCCESS", "--agent", "B");
  assertEquals(late.code, 0, late.stderr);
  assert(!late.stderr.includes("lost-record"), late.stderr);

  // The current folder deleted under the finish (a shell in a removed folder).
  const gone = join(await tempDir({ prefix: "runrec-gone-" }), "cwd");
  await Deno.mkdir(gone);
  const inGone = await new Deno.Command("sh", {
    args: [
      "-c",
      'cd "$1" && rmdir "$1" && shift && exec "$@"',
      "sh",
      gone,
      ...RUNREC,
      ...["finish", second, "--status", "SUCCESS", "--agent", "B"],
    ],
    env,
  }).output();
  const said = new TextDecoder().decode(inGone.stderr);
  if (inGone.code !== 0) {
    // Deno itself (2.9.6) starts no script in a deleted folder: nothing written, said so.
    assertMatch(said, /current working directory/);
    assertEquals((await runsOfB(join(root, DEL))).length, 3);
    const retried = await cli(
      outside,
      env,
      "finish",
      second,
      "--status",
      "SUCCESS",
      "--agent",
      "B",
    );
    assertEquals(retried.code, 0, retried.stderr);
  }

  const runs = await runsOfB(join(root, DEL));
  assertEquals(runs.map((r) => r.RunStatus), ["FAILED", "FAILED", "SUCCESS", "SUCCESS"]);
  assertMatch(runs[2].Notes, new RegExp(`supersedes=${failed1.RunID}`));
  assertMatch(runs[3].Notes, new RegExp(`supersedes=${failed2.RunID}`));
  const reap = await cli(root, { TMPDIR: await tempDir() }, "reap", ".");
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals((await runsOfB(join(root, DEL))).length, 4);
  assertEquals(await filesBeneath(join(env.TMPDIR, `runrec-spool-${Deno.uid()}`)), []);
});

Deno.test("a linked work tree's killed run reaped FAILED in the main work tree, the work tree far from the repository: its late finish by token from outside refuses in one line naming the command to run from inside, writes nothing; run there, or from outside with GIT_DIR naming the repository, it supersedes (pendingb-57)", async () => {
  const { root, env } = await repository();
  const far = join(await tempDir({ prefix: "runrec-far-" }), "a", "b");
  await Deno.mkdir(far, { recursive: true });
  const [token, second] = await reapedInMain(root, env, join(far, "t2"), 2);
  // A repository beside it that does not name its work tree tells nothing.
  await git(far, "init", "-q", "other");

  const outside = await tempDir({ prefix: "runrec-outside-" });
  const late = await cli(outside, env, "finish", token, "--status", "SUCCESS", "--agent", "B");
  assertEquals(late.code, 2, late.stderr);
  assertEquals(late.stderr.trimEnd().split("\n").length, 1, late.stderr);
  assertMatch(late.stderr, /cd <the repository> && runrec finish /);
  assert(late.stderr.includes(token), late.stderr);
  assertEquals((await runsOfB(join(root, DEL))).map((r) => r.RunStatus), ["FAILED", "FAILED"]);
  assertEquals(await filesBeneath(join(env.TMPDIR, `runrec-spool-${Deno.uid()}`)), []);

  const inside = await cli(root, env, "finish", token, "--status", "SUCCESS", "--agent", "B");
  assertEquals(inside.code, 0, inside.stderr);
  // GIT_DIR alone: git takes the current folder for the work tree; the run is in the main one.
  const gitDir = { ...env, GIT_DIR: join(root, ".git") };
  const named = await cli(outside, gitDir, "finish", second, "--status", "SUCCESS", "--agent", "B");
  assertEquals(named.code, 0, named.stderr);
  const runs = await runsOfB(join(root, DEL));
  assertEquals(runs.map((r) => r.RunStatus), ["FAILED", "FAILED", "SUCCESS", "SUCCESS"]);
  assertMatch(runs[3].Notes, new RegExp(`supersedes=${runs[1].RunID}`));
  // Again: no work tree holds the run now; refused in one line, nothing written.
  const again = await cli(outside, gitDir, "finish", second, "--status", "SUCCESS", "--agent", "B");
  assertEquals(again.code, 2, again.stderr);
  assertEquals(again.stderr.trimEnd().split("\n").length, 1, again.stderr);
  assertMatch(again.stderr, /GIT_DIR .*cd <the work tree> && runrec finish /);
  assertEquals((await runsOfB(join(root, DEL))).length, 4);
  assertEquals(await filesBeneath(join(env.TMPDIR, `runrec-spool-${Deno.uid()}`)), []);
});

Deno.test("a linked work tree's killed run reaped FAILED in the main work tree, the work tree far from the repository: its late finish by token from inside a repository of another project (a folder there named as the deliverable's), or a linked work tree of one, refuses in one line and writes nothing (pending-57, pendingb-57)", async () => {
  const { root, env } = await repository();
  // Not beside the repository, nor a folder up: nothing found from the token's path.
  const far = join(await tempDir({ prefix: "runrec-far-" }), "a", "b");
  await Deno.mkdir(far, { recursive: true });
  const [token] = await reapedInMain(root, env, join(far, "t2"));
  const other = join(far, "other");
  await git(far, "init", "-q", "other");
  await git(other, "commit", "-q", "--allow-empty", "-m", "another project");
  const linked = join(await tempDir({ prefix: "runrec-other-wt-" }), "wt");
  await git(other, "worktree", "add", "-q", linked);
  // A folder named as the deliverable's, in no execution root, stands for none (pendingb-57).
  await Deno.mkdir(join(other, "DEL-01-02_Thing", "x"), { recursive: true });
  for (const cwd of [other, linked]) {
    const late = await cli(cwd, env, "finish", token, "--status", "SUCCESS", "--agent", "B");
    assertEquals(late.code, 2, late.stderr);
    assertEquals(late.stderr.trimEnd().split("\n").length, 1, late.stderr);
    assertMatch(late.stderr, /cd <the repository> && runrec finish /);
  }
  assertEquals((await runsOfB(join(root, DEL))).map((r) => r.RunStatus), ["FAILED"]);
  assertEquals(await filesBeneath(join(env.TMPDIR, `runrec-spool-${Deno.uid()}`)), []);
});

Deno.test("a linked work tree's killed run reaped FAILED in the main work tree, its copies cleaned up a day later (the next linked work tree's first copy): its late finish by token from the main work tree supersedes the FAILED record, never a second record from the token (pending-57)", async () => {
  const { root, env } = await repository();
  const far = await tempDir({ prefix: "runrec-far-" });
  const [token] = await reapedInMain(root, env, join(far, "t2"));
  // Written two days ago: the next linked work tree's first copy removes the removed one's.
  const kept = join(root, ".git", "runrec-journals");
  const keys = [...Deno.readDirSync(kept)].map((e) => e.name);
  await new Deno.Command("find", {
    args: [kept, "-mindepth", "1", "-exec", "touch", "-h", "-d", "2 days ago", "{}", "+"],
  }).output();
  const next = join(await tempDir({ prefix: "runrec-next-" }), "t3");
  await git(root, "worktree", "add", "-q", "-b", "t3", next);
  const started = await cli(next, env, "start", DEL, "--agent", "C");
  assertEquals(started.code, 0, started.stderr);
  const left = [...Deno.readDirSync(kept)].map((e) => e.name);
  assert(keys.every((key) => !left.includes(key) || key.startsWith(".git-")), left.join());

  const late = await cli(root, env, "finish", token, "--status", "SUCCESS", "--agent", "B");
  assertEquals(late.code, 0, late.stderr);
  assert(!late.stderr.includes("lost-record"), late.stderr);
  const runs = await runsOfB(join(root, DEL));
  assertEquals(runs.map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  assertMatch(runs[1].Notes, new RegExp(`supersedes=${runs[0].RunID}`));
});

Deno.test("a killed agent's run in the main work tree whose pending file git clean -x removed: reap writes it FAILED once from its copy in the common git folder, saying so; a late finish supersedes it", async () => {
  const { root, env } = await repository();
  const token = await killedRun(root, env);
  await git(root, "clean", "-qfdx");
  assertEquals(await Deno.stat(token).then(() => "there", () => "gone"), "gone");

  const reap = await cli(root, env, "reap", ".");
  assertEquals(reap.code, 0, reap.stderr);
  const [failed, ...more] = await runsOfB(join(root, DEL));
  assertEquals([failed?.RunStatus, more.length], ["FAILED", 0], reap.stdout + reap.stderr);
  assertMatch(failed.Notes, /its pending file was removed/);
  assertEquals(await keptRuns(root), []);
  const again = await cli(root, env, "reap", ".");
  assertEquals(again.code, 0, again.stderr);
  assertEquals((await runsOfB(join(root, DEL))).length, 1);

  const late = await cli(root, env, "finish", token, "--status", "SUCCESS");
  assertEquals(late.code, 0, late.stderr);
  const runs = await runsOfB(join(root, DEL));
  assertEquals(runs.map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  assertMatch(runs[1].Notes, new RegExp(`supersedes=${failed.RunID}`));
});

Deno.test("in the main work tree, a finish killed (SIGKILL) after its record, before removing the run's copy, then git clean -x: reap removes the copy and writes no FAILED record; a live agent's run whose pending file was removed is left by reap and finishes once", async () => {
  const { root, env } = await repository();
  const killed = sleepingAgent();
  const first = await cli(root, env, "start", DEL, "--agent", "B", "--pid", `${killed.pid}`);
  assertEquals(first.code, 0, first.stderr);
  const [copy] = await keptRuns(root);
  assert(copy !== undefined, "start keeps a copy of the main work tree's run");
  const finish = await new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", "/dev/null", "-P", copy],
      ...["-e", "trace=unlink,unlinkat", "-e", "inject=unlink,unlinkat:signal=KILL"],
      ...RUNREC,
      ...["finish", first.stdout.trim(), "--status", "SUCCESS"],
    ],
    cwd: root,
    env,
    stdout: "null",
    stderr: "null",
  }).output();
  assertEquals(finish.signal, "SIGKILL");
  await killAgent(killed);
  assertEquals(await keptRuns(root), [copy]);

  const alive = sleepingAgent();
  try {
    const second = await cli(root, env, "start", DEL, "--agent", "B", "--pid", `${alive.pid}`);
    assertEquals(second.code, 0, second.stderr);
    await git(root, "clean", "-qfdx");
    const reap = await cli(root, env, "reap", ".");
    assertEquals(reap.code, 0, reap.stderr);
    assertEquals((await runsOfB(join(root, DEL))).map((r) => r.RunStatus), ["SUCCESS"]);
    // The killed finish's copy removed (its record found), the live agent's left.
    const left = await keptRuns(root);
    assert(left.length === 1 && left[0] !== copy, reap.stdout);
    const late = await cli(
      root,
      env,
      ...["finish", second.stdout.trim(), "--status", "SUCCESS", "--agent", "B"],
    );
    assertEquals(late.code, 0, late.stderr);
    // Recorded from the token, its copy gone with it.
    assertEquals(await keptRuns(root), []);
  } finally {
    await killAgent(alive);
  }
  const reap = await cli(root, env, "reap", ".");
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals((await runsOfB(join(root, DEL))).map((r) => r.RunStatus), ["SUCCESS", "SUCCESS"]);
  assertEquals(await keptRuns(root), []);
});

Deno.test("an agent alive through a forced removal of its linked work tree beside the repository: its finish by token from outside the repository records the run once in the main work tree, its Notes naming the removed work tree and its branch", async () => {
  const { root, env } = await repository();
  const wt = `${root}-t2`;
  await git(root, "worktree", "add", "-q", "-b", "t2", wt);
  const alive = sleepingAgent();
  try {
    const started = await cli(wt, env, "start", DEL, "--agent", "B", "--pid", `${alive.pid}`);
    assertEquals(started.code, 0, started.stderr);
    await git(root, "worktree", "remove", "--force", wt);
    const outside = await tempDir({ prefix: "runrec-outside-" });
    const finish = await cli(outside, env, "finish", started.stdout.trim(), "--status", "SUCCESS");
    assertEquals(finish.code, 0, finish.stderr);
  } finally {
    await killAgent(alive);
  }
  const reap = await cli(root, { TMPDIR: await tempDir() }, "reap", ".");
  assertEquals(reap.code, 0, reap.stderr);
  const runs = await runsOfB(join(root, DEL));
  assertEquals(runs.map((r) => r.RunStatus), ["SUCCESS"]);
  assert(runs[0].Notes.includes(`started in the work tree ${wt} (branch t2), removed since`));
  assertEquals(await keptRuns(root), []);
});

Deno.test("a killed agent's run in the main work tree whose folder git mv renamed during the run, its old path back (git checkout): reap writes it FAILED once, in the renamed folder, and leaves no copy", async () => {
  const { root, env } = await repository();
  const del = join(root, DEL);
  await killedRun(root, env);
  const renamed = join(del, "..", "DEL-01-02_Renamed");
  await git(root, "mv", del, renamed); // its .runrec/ with it
  await git(root, "checkout", "-q", "HEAD", "--", del);

  const reap = await cli(root, env, "reap", ".");
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals(await runsOfB(del), [], reap.stdout);
  assertEquals((await runsOfB(renamed)).map((r) => r.RunStatus), ["FAILED"]);
  assertEquals(await keptRuns(root), []);
});

Deno.test("a finish by token of a run whose pending file git clean -x removed, its record's write held up (strace delay), while reap (--older-than 0s) looks at the run's copy: the finish holds the copy, reap leaves it; one SUCCESS record, with the start's inputs, no FAILED", async () => {
  const { root, env } = await repository();
  const del = join(root, DEL);
  const started = await cli(root, env, "start", DEL, "--agent", "B");
  assertEquals(started.code, 0, started.stderr);
  await git(root, "clean", "-qfdx");
  const finish = new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", "/dev/null", "-P", join(del, "RunRecords.csv")],
      ...["-e", "trace=write,pwrite64", "-e", "inject=write,pwrite64:delay_enter=1500000:when=1"],
      ...RUNREC,
      ...["finish", started.stdout.trim(), "--status", "SUCCESS", "--agent", "B"],
    ],
    cwd: root,
    env,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // The finish holds the run (the copy claimed, renamed) before its write is held up.
  const claimed = async () => (await keptRuns(root)).some((f) => f.includes(".json.claim-"));
  for (let i = 0; i < 200 && !await claimed(); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  assert(await claimed(), "the finish claimed the run's copy");
  const reap = await cli(root, env, "reap", ".", "--older-than", "0s");
  const done = await finish.output();
  assertEquals(done.code, 0, new TextDecoder().decode(done.stderr));
  assertEquals(reap.code, 0, reap.stderr);
  const [recorded, ...more] = await runsOfB(del);
  assertEquals([recorded?.RunStatus, more.length], ["SUCCESS", 0], reap.stdout);
  assert(recorded.InputContextSHA !== "TBD", "recorded from its copy, not from the token");
  assertMatch(recorded.Notes, /finished from its copy in the common git folder/);
  const again = await cli(root, env, "reap", ".", "--older-than", "0s");
  assertEquals(again.code, 0, again.stderr);
  assertEquals((await runsOfB(del)).map((r) => r.RunStatus), ["SUCCESS"], again.stdout);
  assertEquals(await keptRuns(root), []);
});

Deno.test("after git clean -x in the main work tree, four finishes of one token race: the run's copy is claimed by one, recorded once with its start's inputs; the others exit 2 (finished already, or being finished)", async () => {
  const { root, env } = await repository();
  const started = await cli(root, env, "start", DEL, "--agent", "B");
  assertEquals(started.code, 0, started.stderr);
  await git(root, "clean", "-qfdx");
  const token = started.stdout.trim();
  const results = await Promise.all(
    [1, 2, 3, 4].map(() => cli(root, env, "finish", token, "--status", "SUCCESS", "--agent", "B")),
  );
  const said = results.map((r) => `${r.code} ${r.stderr}`).join("\n");
  assertEquals(results.filter((r) => r.code === 0).length, 1, said);
  for (const lost of results.filter((r) => r.code !== 0)) {
    assertEquals(lost.code, 2, said);
    assertMatch(lost.stderr, /finished already|being finished/);
  }
  const [recorded, ...more] = await runsOfB(join(root, DEL));
  assertEquals([recorded?.RunStatus, more.length], ["SUCCESS", 0], said);
  assert(recorded.InputContextSHA !== "TBD", said);
  assertEquals(await keptRuns(root), []);
});

Deno.test("a late finish by token while reap holds the killed agent's run (its pending file claimed, its FAILED write held up by strace): the finish waits, then supersedes the FAILED record; never a second unlinked record from the run's copy", async () => {
  const { root, env } = await repository();
  const del = join(root, DEL);
  const token = await killedRun(root, env);
  const reap = new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", "/dev/null", "-P", join(del, "RunRecords.csv")],
      ...["-e", "trace=write,pwrite64", "-e", "inject=write,pwrite64:delay_enter=1500000:when=1"],
      ...RUNREC,
      ...["reap", "."],
    ],
    cwd: root,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const pending = join(del, ".runrec", "pending");
  const claimed = async () => (await filesBeneath(pending)).some((f) => f.includes(".claim-"));
  for (let i = 0; i < 200 && !await claimed(); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  assert(await claimed(), "reap claimed the run's pending file");
  const late = await cli(root, env, "finish", token, "--status", "SUCCESS");
  const reaped = await reap.output();
  assertEquals(reaped.code, 0, new TextDecoder().decode(reaped.stderr));
  assertEquals(late.code, 0, late.stderr);
  const runs = await runsOfB(del);
  assertEquals(runs.map((r) => r.RunStatus), ["FAILED", "SUCCESS"], late.stderr);
  assertMatch(runs[1].Notes, new RegExp(`supersedes=${runs[0].RunID}`));
  assertEquals(await keptRuns(root), []);
});
