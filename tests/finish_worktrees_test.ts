/**
 * `runrec finish <del-dir>` in one linked worktree of a repository for a run
 * started in another: the run pending there is named with the finish that
 * works (never `runrec emit`, which records the run a second time once the
 * other worktree's pending run is reaped and the branches meet).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/finish_worktrees_test.ts
 * ```
 *
 * @module
 */
import { join, relative } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { pendingFiles, recordsOf } from "./support/runs.ts";

Deno.test("finish <del-dir> in one worktree for a run started in another (linked or main): exit 2 naming the run pending there and its token, not emit; that finish records it once", async () => {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  const wt = join(await tempDir({ prefix: "runrec-wt-" }), "wt");
  await git(root, "worktree", "add", "-q", wt, "-b", "wt");
  const rel = relative(root, del);
  const otherDel = join(wt, rel);
  const start = await runCliProcess(["start", rel, "--agent", "DEPENDENCIES"], FULL_FLAGS, env, wt);
  assertEquals(start.code, 0, start.stderr);
  const token = start.stdout.trim();
  const id = token.split("/").at(-1)!.replace(/\.json$/, "");
  // The last step, in the main worktree: the folder alone, and the folder with --run.
  for (const extra of [[], ["--run", id]]) {
    const finish = await runCliProcess(
      ["finish", rel, ...extra, "--agent", "DEPENDENCIES", "--status", "SUCCESS"],
      FULL_FLAGS,
      env,
      root,
    );
    assertEquals(finish.code, 2, finish.stderr);
    assertEquals(finish.stderr.trim().split("\n").length, 1, finish.stderr);
    assertIncludes(finish.stderr, `run ${id} (DEPENDENCIES`);
    assertIncludes(finish.stderr, `pending in ${await Deno.realPath(otherDel)}`);
    assertIncludes(finish.stderr, `runrec finish ${await Deno.realPath(token)}`);
    assert(!finish.stderr.includes("runrec emit"), finish.stderr);
  }
  assertEquals(await recordsOf(del), []);
  assertEquals(pendingFiles(otherDel), [`${id}.json`]);
  // Following the advice, from the main worktree: recorded once, in the run's own worktree.
  const done = await runCliProcess(
    ["finish", await Deno.realPath(token), "--agent", "DEPENDENCIES", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
    root,
  );
  assertEquals(done.code, 0, done.stderr);
  assertEquals((await recordsOf(otherDel)).map((r) => [r.AgentName, r.RunStatus]), [
    ["DEPENDENCIES", "SUCCESS"],
  ]);
  assertEquals(pendingFiles(otherDel), []);
  assertEquals(await recordsOf(del), []);
  // Nothing pending anywhere: the old advice stands (no run was started).
  const none = await runCliProcess(
    ["finish", rel, "--agent", "DEPENDENCIES", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
    root,
  );
  assertEquals(none.code, 2, none.stderr);
  assertIncludes(none.stderr, "no pending run");
  // The other way round: started in the main worktree, finished in the linked one.
  const main = await runCliProcess(["start", rel, "--agent", "A"], FULL_FLAGS, env, root);
  assertEquals(main.code, 0, main.stderr);
  const fromLinked = await runCliProcess(
    ["finish", rel, "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
    wt,
  );
  assertEquals(fromLinked.code, 2, fromLinked.stderr);
  assertIncludes(fromLinked.stderr, `runrec finish ${await Deno.realPath(main.stdout.trim())}`);
  assert(!fromLinked.stderr.includes("runrec emit"), fromLinked.stderr);
  await git(root, "worktree", "remove", "--force", wt);
  await Deno.remove(root, { recursive: true });
});
