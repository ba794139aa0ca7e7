/**
 * A run started in a linked work tree whose agent was killed outlives `git worktree remove`: its
 * copy in the common git folder is reaped FAILED once from any work tree, naming the removed
 * work tree and its branch; `verify` names it before; a run recorded before the removal is not
 * reaped again; two reaps at once, and a reap killed mid-way, write one record. Real git work
 * trees, real kills, runrec as real processes.
 *
 * ```sh
 * deno test -A tests/pending55_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import {
  cli,
  DEL,
  KEPT,
  killAgent,
  killedRun,
  repository,
  runsOfB,
  sleepingAgent,
  workTree,
} from "./support/work_tree_project.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { git } from "./fixtures.ts";
import { RUNREC } from "./support/runs.ts";
import { whileReadOnly } from "./support/read_only.ts";

/**
 * A repository with a linked work tree on branch `t2` whose agent B started a run on the
 * deliverable and was killed; the work tree then removed (`git worktree remove`, exit 0).
 */
async function killedRunRemoved() {
  const { root, env } = await repository();
  const wt = await workTree(root, "-b", "t2");
  const token = await killedRun(wt, env);
  await git(root, "worktree", "remove", wt);
  return { root, env, wt, token };
}

/** The kept copies of pending runs in the common git folder of `root`. */
async function keptRuns(root: string, del = DEL): Promise<string[]> {
  const found: string[] = [];
  for await (const tree of Deno.readDir(join(root, KEPT))) {
    const folder = join(root, KEPT, tree.name, del, ".runrec", "pending");
    try {
      for await (const file of Deno.readDir(folder)) found.push(join(folder, file.name));
    } catch { /* none */ }
  }
  return found;
}

Deno.test("a killed agent's run pending in a linked work tree, the work tree removed: verify in the main work tree names it, reap writes it FAILED once there naming the work tree and its branch, a late finish supersedes it", async () => {
  const { root, env, wt, token } = await killedRunRemoved();

  const verify = await cli(root, env, "verify", ".");
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
  assertMatch(
    verify.stderr,
    new RegExp(
      `DEL-01-02_Thing: 1 run\\(s\\) started in the work tree ${wt.replaceAll(".", "\\.")} ` +
        "\\(branch t2\\), removed since, and not finished: B since .*runrec reap ",
    ),
  );

  const log = await cli(root, env, "log", DEL);
  assertMatch(
    log.stderr,
    /runrec log: warning: .*started in the work tree .* \(branch t2\), removed since/,
  );
  const json = JSON.parse((await cli(root, env, "verify", ".", "--json")).stdout);
  assertEquals(json.pendingRuns.map((r: { agent: string }) => r.agent), ["B"]);
  assertEquals(json.pendingRuns[0].startedIn, `the work tree ${wt} (branch t2), removed since`);

  const reap = await cli(root, env, "reap", ".");
  assertEquals(reap.code, 0, reap.stderr);
  const [failed, ...more] = await runsOfB(join(root, DEL));
  assertEquals(more.length, 0);
  assertEquals(failed?.RunStatus, "FAILED", reap.stdout + reap.stderr);
  assert(failed.Notes.includes(`started in the work tree ${wt} (branch t2), removed since`));
  assertEquals(await keptRuns(root), []);

  const again = await cli(root, env, "reap", ".");
  assertEquals(again.code, 0, again.stderr);
  assertEquals((await runsOfB(join(root, DEL))).length, 1);
  assertEquals((await cli(root, env, "verify", ".")).stderr, "");

  const late = await cli(root, env, "finish", token, "--status", "SUCCESS");
  assertEquals(late.code, 0, late.stderr);
  const runs = await runsOfB(join(root, DEL));
  assertEquals(runs.map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  assertMatch(runs[1].Notes, new RegExp(`supersedes=${failed.RunID}`));
});

Deno.test("two reaps at once, from the main work tree and from another linked one, write the removed work tree's killed run FAILED once", async () => {
  const { root, env, wt } = await killedRunRemoved();
  const t3 = await workTree(root, "-b", "t3");
  const reaps = await Promise.all([
    cli(root, env, "reap", "."),
    cli(t3, env, "reap", "."),
    cli(root, env, "reap", DEL),
  ]);
  for (const reap of reaps) assertEquals(reap.code, 0, reap.stderr);
  const runs = [...await runsOfB(join(root, DEL)), ...await runsOfB(join(t3, DEL))];
  assertEquals(runs.map((r) => r.RunStatus), ["FAILED"], reaps.map((r) => r.stdout).join(""));
  assert(runs[0].Notes.includes(`the work tree ${wt} (branch t2)`));
  assertEquals(await keptRuns(root), []);
});

/**
 * `runrec reap .` in `cwd` under strace, killed (SIGKILL) at the first of the system calls
 * `trace` names on `file`: a real fault at a chosen step.
 */
function reapKilledAt(cwd: string, env: Record<string, string>, file: string, trace: string) {
  return new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", "/dev/null", "-P", file],
      ...["-e", `trace=${trace}`, "-e", `inject=${trace}:signal=KILL`],
      ...RUNREC,
      ...["reap", "."],
    ],
    cwd,
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
}

Deno.test("a reap of a removed work tree's run killed (SIGKILL) with the copy claimed, before or after its record's write: the next reap (from another linked work tree, after the write) leaves one FAILED record and no copy", async () => {
  for (const trace of ["write,pwrite64", "fsync,fdatasync"]) {
    const { root, env } = await killedRunRemoved();
    const file = join(root, DEL, "RunRecords.csv");
    const killed = await reapKilledAt(root, env, file, trace);
    assertEquals(killed.signal, "SIGKILL", `${trace}: ${new TextDecoder().decode(killed.stderr)}`);
    const written = (await runsOfB(join(root, DEL))).length;
    assertEquals(written, trace === "fsync,fdatasync" ? 1 : 0, trace);
    assert((await keptRuns(root)).some((f) => f.includes(".claim-")), trace);
    // The next reap from another work tree, after the record's write: it is in the main one's file.
    const next = written === 1 ? await workTree(root, "-b", "t3") : root;
    const reap = await cli(next, env, "reap", ".");
    assertEquals(reap.code, 0, reap.stderr);
    const runs = [
      ...await runsOfB(join(root, DEL)),
      ...next === root ? [] : await runsOfB(join(next, DEL)),
    ];
    assertEquals(runs.map((r) => r.RunStatus), ["FAILED"], `${trace}: ${reap.stdout}`);
    assertEquals(await keptRuns(root), [], trace);
    assertEquals((await cli(next, env, "reap", ".")).stdout, "", trace);
  }
});

Deno.test("a finish in a linked work tree killed (SIGKILL) after its record, before removing the run's copy; the branch committed, the work tree removed: reap in the main work tree removes the copy, writes no FAILED record", async () => {
  const { root, env } = await repository();
  const wt = await workTree(root, "-b", "t2");
  const process = sleepingAgent();
  const started = await cli(wt, env, "start", DEL, "--agent", "B", "--pid", `${process.pid}`);
  assertEquals(started.code, 0, started.stderr);
  const [copy] = await keptRuns(root);
  assert(copy !== undefined, "start keeps a copy of the run in the common git folder");
  const finish = await new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", "/dev/null", "-P", copy],
      ...["-e", "trace=unlink,unlinkat", "-e", "inject=unlink,unlinkat:signal=KILL"],
      ...RUNREC,
      ...["finish", started.stdout.trim(), "--status", "SUCCESS"],
    ],
    cwd: wt,
    env,
    stdout: "null",
    stderr: "null",
  }).output();
  assertEquals(finish.signal, "SIGKILL");
  await killAgent(process);
  assertEquals((await runsOfB(join(wt, DEL))).map((r) => r.RunStatus), ["SUCCESS"]);
  assertEquals(await keptRuns(root), [copy]);
  await git(wt, "commit", "-qam", "B's run");
  await git(root, "worktree", "remove", wt);

  const reap = await cli(root, env, "reap", ".");
  assertEquals(reap.code, 0, reap.stderr);
  assertMatch(reap.stdout, /recorded there \(its journal kept in the common git folder names it\)/);
  assertEquals(await runsOfB(join(root, DEL)), []);
  assertEquals(await keptRuns(root), []);
  await git(root, "merge", "-q", "t2");
  assertEquals((await runsOfB(join(root, DEL))).map((r) => r.RunStatus), ["SUCCESS"]);
});

Deno.test("a removed work tree's killed run: left and said while git lists its deleted folder (prunable), reaped once pruned into the folder git mv moved the deliverable to on main; a finished run leaves no copy", async () => {
  const { root, env } = await repository();
  const wt = await workTree(root, "-b", "t2");
  const finished = await cli(wt, env, "start", DEL, "--agent", "A");
  assertEquals(
    (await cli(wt, env, "finish", finished.stdout.trim(), "--status", "SUCCESS")).code,
    0,
  );
  assertEquals(await keptRuns(root), []);
  await killedRun(wt, env);
  await Deno.remove(wt, { recursive: true });
  const moved = DEL.replace("DEL-01-02_Thing", "DEL-01-02_Renamed");
  await git(root, "mv", DEL, moved);
  await git(root, "commit", "-qm", "renamed");

  const left = await cli(root, env, "reap", ".");
  assertEquals(left.code, 0, left.stderr);
  assertMatch(
    left.stderr,
    /left pending: .*\(branch t2\), removed since: its folder is gone, but git lists it still; git worktree repair/,
  );
  assertEquals(await runsOfB(join(root, moved)), []);

  await git(root, "worktree", "prune");
  const reap = await cli(root, env, "reap", ".");
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals((await runsOfB(join(root, moved))).map((r) => r.RunStatus), ["FAILED"], reap.stderr);
  assertEquals(await keptRuns(root, moved), []);
});

Deno.test("a finish in a linked work tree while the common git folder's kept copies are read-only (a bind mount): its journal's copy misses the record and its run's copy stays; the branch committed and the work tree removed, reap finds the record on the branch and writes no FAILED record", async () => {
  const { root, env } = await repository();
  const wt = await workTree(root, "-b", "t2");
  const process = sleepingAgent();
  const started = await cli(wt, env, "start", DEL, "--agent", "B", "--pid", `${process.pid}`);
  assertEquals(started.code, 0, started.stderr);
  const [tree] = [...Deno.readDirSync(join(root, KEPT))].map((e) => join(root, KEPT, e.name));
  await whileReadOnly(tree, async () => {
    const finish = await cli(wt, env, "finish", started.stdout.trim(), "--status", "SUCCESS");
    assertEquals(finish.code, 0, finish.stderr);
  });
  await killAgent(process);
  assertEquals((await keptRuns(root)).length, 1);
  await git(wt, "commit", "-qam", "B's run");
  await git(root, "worktree", "remove", wt);

  assertEquals((await cli(root, env, "verify", DEL)).stderr, "");
  const reap = await cli(root, env, "reap", ".");
  assertEquals(reap.code, 0, reap.stderr);
  assertMatch(reap.stdout, /recorded there \(its branch's RunRecords\.csv holds its record\)/);
  assertEquals(await runsOfB(join(root, DEL)), []);
  assertEquals(await keptRuns(root), []);
});
