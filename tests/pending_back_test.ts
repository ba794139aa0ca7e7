/**
 * A pending run's file that comes back after its run was recorded from the
 * token (`git stash --all` before finish, `git stash pop` after; a restored
 * backup): recognised as recorded by `reap`, `finish` and `log`, never
 * recorded a second time.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/pending_back_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { pendingFiles, recordsOf } from "./support/runs.ts";

/**
 * A committed project with one earlier record, and a run started, its
 * pending file hidden (`git stash --all`, or `git clean -xfd` after a backup
 * copy), finished from its token, then brought back (from the stash's
 * untracked files: `git stash pop` itself refuses, as runrec's own files in
 * `.runrec/` are there again; or from the copy). Returns the RunID finish printed.
 */
async function runFinishedWhileHidden(how: "stash" | "clean"): Promise<
  { root: string; del: string; env: Record<string, string>; id: string; runId: string }
> {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  const emit = await runCliProcess(
    [
      "emit",
      del,
      "--agent",
      "4_DOCUMENTS",
      "--status",
      "SUCCESS",
      "--started",
      "2026-01-01T10:00:00Z",
    ],
    FULL_FLAGS,
    env,
  );
  assertEquals(emit.code, 0, emit.stderr);
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  const start = await runCliProcess(["start", del, "--agent", "DEPENDENCIES"], FULL_FLAGS, env);
  assertEquals(start.code, 0, start.stderr);
  const token = start.stdout.trim();
  const id = token.split("/").at(-1)!.replace(/\.json$/, "");
  await Deno.writeTextFile(join(del, "Datasheet.md"), "draft\n");
  const pending = join(del, ".runrec", "pending", `${id}.json`);
  const copy = join(env.TMPDIR, "pending-copy.json");
  if (how === "stash") await git(root, "stash", "-q", "--all");
  else {
    await Deno.copyFile(pending, copy);
    await git(root, "clean", "-qxfd");
  }
  assertEquals(pendingFiles(del), []);
  const finish = await runCliProcess(
    ["finish", token, "--agent", "DEPENDENCIES", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(finish.code, 0, finish.stderr);
  if (how === "stash") {
    await git(root, "checkout", "stash@{0}", "--", join(del, "Datasheet.md"));
    await git(root, "checkout", "stash@{0}^3", "--", pending);
    await git(root, "stash", "drop", "-q");
  } else {
    await Deno.mkdir(join(del, ".runrec", "pending"), { recursive: true });
    await Deno.copyFile(copy, pending);
  }
  assertEquals(pendingFiles(del), [`${id}.json`]);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.AgentName, r.RunStatus]), [
    ["4_DOCUMENTS", "SUCCESS"],
    ["DEPENDENCIES", "SUCCESS"],
  ]);
  // The trace the record carries: the pending run's id.
  assertIncludes(records[1].Notes, `run ${id}`);
  return { root, del, env, id, runId: finish.stdout.trim() };
}

Deno.test("a pending file back after its run was finished from the token (git stash --all, restored): log says recorded, reap removes it and writes nothing", async () => {
  const { root, del, env, id, runId } = await runFinishedWhileHidden("stash");
  assertMatch(runId, /^RUN-DEL-01-02-\d{8}-\d{4}-\d{3}$/);
  const log = await runCliProcess(["log", del], FULL_FLAGS, env);
  assertEquals(log.code, 0, log.stderr);
  assert(!log.stderr.includes("started and not finished"), log.stderr);
  assertIncludes(log.stderr, `run ${id}`);
  assertIncludes(log.stderr, `recorded already as ${runId}`);
  assertIncludes(log.stderr, `runrec reap ${del}`);
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  assertIncludes(reap.stdout, `(recorded already as ${runId})`);
  assertEquals(pendingFiles(del), []);
  assertEquals((await recordsOf(del)).map((r) => [r.AgentName, r.RunStatus]), [
    ["4_DOCUMENTS", "SUCCESS"],
    ["DEPENDENCIES", "SUCCESS"],
  ]);
  const verify = await runCliProcess(["verify", del], FULL_FLAGS, env);
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a pending file back after its run was finished from the token (git clean -x, a copy restored): the same finish again exits 2 naming its RunID, removes the file, writes nothing", async () => {
  const { root, del, env, id, runId } = await runFinishedWhileHidden("clean");
  const token = join(del, ".runrec", "pending", `${id}.json`);
  const finish = await runCliProcess(
    ["finish", token, "--agent", "DEPENDENCIES", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(finish.code, 2, finish.stderr);
  assertIncludes(finish.stderr, `recorded already as ${runId}`);
  assert(!finish.stderr.includes("runrec emit"), finish.stderr);
  assertEquals(pendingFiles(del), []);
  assertEquals((await recordsOf(del)).length, 2);
  await Deno.remove(root, { recursive: true });
});
