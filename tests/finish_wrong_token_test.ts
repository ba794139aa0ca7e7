/**
 * `runrec finish` given a token that is not its current run's: one character
 * mistyped, the old path of a folder that moved (and came back), or the
 * agent's previous, finished run. The finish refuses (exit 2) naming the run
 * pending with its token, writes nothing, and the run is recorded once when
 * finished with that token.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/finish_wrong_token_test.ts
 * ```
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { assertEquals, assertIncludes } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { pendingFiles, recordsOf } from "./support/runs.ts";

/** A project committed in git, and a private `$TMPDIR` (its user spool is the test's own). */
async function committedProject(): Promise<{ root: string; del: string; env: { TMPDIR: string } }> {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  return { root, del, env: { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) } };
}

async function start(del: string, env: Record<string, string>): Promise<string> {
  const started = await runCliProcess(
    ["start", del, "--agent", "4_DOCUMENTS", "--input", "Datasheet.md"],
    FULL_FLAGS,
    env,
  );
  assertEquals(started.code, 0, started.stderr);
  return started.stdout.trim();
}

function finish(token: string, env: Record<string, string>, status = "SUCCESS") {
  return runCliProcess(
    ["finish", token, "--agent", "4_DOCUMENTS", "--status", status],
    FULL_FLAGS,
    env,
  );
}

Deno.test("finish with a token mistyped (one hex digit doubled, the last dropped): exit 2 naming the pending run's token, nothing written; that token records the run once", async () => {
  const { root, del, env } = await committedProject();
  const token = await start(del, env);
  for (
    const typo of [
      token.replace(/Z-([0-9a-f])/, "Z-$1$1").replace(/[0-9a-f]\.json$/, ".json"), // random part
      token.replace(/([0-9])Z-/, (_, d) => `${(Number(d) + 1) % 10}Z-`), // start time
    ]
  ) {
    const wrong = await finish(typo, env);
    assertEquals(wrong.code, 2, wrong.stderr);
    assertIncludes(wrong.stderr, `runrec finish ${token} `);
    assertEquals(wrong.stderr.trim().split("\n").length, 1, wrong.stderr);
    assertEquals(await recordsOf(del), []);
    assertEquals(pendingFiles(del), [basename(token)]);
  }
  assertEquals((await finish(token, env)).code, 0);
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.RunStatus, r.InputFiles]), [["SUCCESS", ["Datasheet.md"]]]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish with the token of a folder renamed during the run whose old path came back (git checkout): exit 2 naming the run's token in the renamed folder, never a second record", async () => {
  const { root, del, env } = await committedProject();
  const token = await start(del, env);
  const renamed = join(del, "..", "DEL-01-02_Renamed");
  await git(root, "mv", del, renamed); // the folder, its .runrec/ with it
  await git(root, "checkout", "-q", "HEAD", "--", del); // the old folder is back, without the run
  const wrong = await finish(token, env);
  assertEquals(wrong.code, 2, wrong.stderr);
  const moved = join(renamed, ".runrec", "pending", basename(token));
  assertIncludes(wrong.stderr, `runrec finish ${moved} `);
  assertEquals(await recordsOf(del), []);
  assertEquals((await finish(moved, env)).code, 0);
  const reap = await runCliProcess(["reap", root, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals(await recordsOf(del), []);
  assertEquals((await recordsOf(renamed)).map((r) => r.RunStatus), ["SUCCESS"]);
  await Deno.remove(root, { recursive: true });
});

/**
 * A project whose deliverable has a neighbour, DEL-01-03_Other (in a git repository with one
 * commit when `committed`), and a `$TMPDIR` of the test's own.
 */
async function projectWithNeighbour({ committed }: { committed: boolean }) {
  const { root, del } = await makeProject();
  const other = join(dirname(del), "DEL-01-03_Other");
  await Deno.mkdir(other);
  await Deno.writeTextFile(join(other, "_CONTEXT.md"), "**DeliverableID:** DEL-01-03\n");
  if (committed) {
    await git(root, "init", "-q");
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "base");
  }
  return { root, del, other, env: { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) } };
}

Deno.test("finish with the run's token given with another deliverable's folder: exit 2 naming the run where it is pending, never a record in the other one", async () => {
  const { root, del, other, env } = await projectWithNeighbour({ committed: true });
  const token = await start(del, env);
  const wrong = await finish(token.replace(del, other), env);
  assertEquals(wrong.code, 2, wrong.stderr);
  assertIncludes(wrong.stderr, `runrec finish ${token} `);
  assertEquals(await recordsOf(other), []);
  assertEquals((await finish(token, env)).code, 0);
  const reap = await runCliProcess(["reap", root, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS"]);
  assertEquals(await recordsOf(other), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish with the agent's previous, finished token while its current run is pending: exit 2 naming the current run's token, not 'nothing more is needed'; a retried finish is not sent to a run started before it ended", async () => {
  const { root, del, env } = await committedProject();
  const first = await start(del, env);
  assertEquals((await finish(first, env)).code, 0);
  const second = await start(del, env);
  const stale = await finish(first, env, "PARTIAL");
  assertEquals(stale.code, 2, stale.stderr);
  assertIncludes(stale.stderr, `runrec finish ${second} `);
  assertEquals(stale.stderr.includes("nothing more is needed"), false, stale.stderr);
  assertEquals((await finish(second, env, "PARTIAL")).code, 0);
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS", "PARTIAL"]);
  // With no other run pending, the same stale finish says nothing more is needed.
  const again = await finish(first, env, "PARTIAL");
  assertEquals(again.code, 2);
  assertIncludes(again.stderr, "nothing more is needed");
  // Two instances of the agent: the first retries its finish (its answer lost). The other
  // instance's run, started before the first ended, is not offered for this outcome.
  const mine = await start(del, env);
  const theirs = await start(del, env);
  assertEquals((await finish(mine, env)).code, 0);
  const retried = await finish(mine, env);
  assertEquals(retried.code, 2);
  assertIncludes(retried.stderr, "nothing more is needed");
  assertEquals(retried.stderr.includes(theirs), false, retried.stderr);
  assertEquals((await finish(theirs, env)).code, 0);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), [
    "SUCCESS",
    "PARTIAL",
    "SUCCESS",
    "SUCCESS",
  ]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <another deliverable's folder> --run ID (the run pending in its own): exit 2 naming where it is pending and the finish that records it there, not emit; nothing written; that finish records it once", async () => {
  const { root, del, other, env } = await projectWithNeighbour({ committed: true });
  const id = basename(await start(del, env), ".json");
  const cwd = dirname(del); // the agent's folder: the folders named as it would type them
  const finishIn = (folder: string, ...more: string[]) =>
    runCliProcess(
      ["finish", folder, ...more, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
      FULL_FLAGS,
      env,
      cwd,
    );
  const wrong = await finishIn("DEL-01-03_Other", "--run", id);
  assertEquals(wrong.code, 2, wrong.stderr);
  assertEquals(wrong.stderr.trim().split("\n").length, 1, wrong.stderr);
  assertIncludes(wrong.stderr, `is pending in DEL-01-02 (DEL-01-02_Thing)`);
  assertIncludes(wrong.stderr, `runrec finish DEL-01-02_Thing --run ${id} `);
  assertEquals(wrong.stderr.includes("runrec emit"), false, wrong.stderr);
  assertEquals(await recordsOf(other), []);
  assertEquals(pendingFiles(del), [`${id}.json`]);
  // A folder given alone is not looked for elsewhere, even with the same agent's run pending
  // there: this folder's own run may be the one lost, and that run is another deliverable's
  // (review-g 3).
  const alone = await finishIn("DEL-01-03_Other");
  assertEquals(alone.code, 2, alone.stderr);
  assertEquals(alone.stderr.includes(id), false, alone.stderr);
  assertIncludes(alone.stderr, "runrec emit");
  assertEquals((await finishIn("DEL-01-02_Thing", "--run", id)).code, 0);
  const reap = await runCliProcess(["reap", root, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS"]);
  assertEquals(await recordsOf(other), []);
  // Pending nowhere (finished): the hint to record it with emit stays.
  const gone = await finishIn("DEL-01-03_Other", "--run", id);
  assertEquals(gone.code, 2, gone.stderr);
  assertIncludes(gone.stderr, "runrec emit");
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <another deliverable's folder> --run <the RunID reap gave its run>: exit 2 naming the finish in its own folder; that finish records the late outcome there", async () => {
  const { root, del, other, env } = await projectWithNeighbour({ committed: false });
  const id = basename(await start(del, env), ".json");
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  const [reaped] = await recordsOf(del);
  const cwd = dirname(del);
  const wrong = await runCliProcess(
    ["finish", "DEL-01-03_Other", "--run", reaped.RunID, "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
    cwd,
  );
  assertEquals(wrong.code, 2, wrong.stderr);
  assertIncludes(wrong.stderr, `runrec finish DEL-01-02_Thing --run ${id} `);
  assertEquals(await recordsOf(other), []);
  const right = await runCliProcess(
    ["finish", "DEL-01-02_Thing", "--run", id, "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
    cwd,
  );
  assertEquals(right.code, 0, right.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  await Deno.remove(root, { recursive: true });
});
