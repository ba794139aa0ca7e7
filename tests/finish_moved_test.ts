/**
 * `runrec finish <token>` when the deliverable folder is no longer where
 * `runrec start` left it: moved to another package (found under the
 * execution root, or named with the way forward), or gone altogether (a
 * removed worktree: the record goes out as a lost-record line, exit 0, and
 * is never recorded twice).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/finish_moved_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { LOST_RECORD_PREFIX } from "../src/spool.ts";
import { runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { pendingFiles, recordsOf } from "./support/runs.ts";

/** A project committed in git, and a private `$TMPDIR` (its user spool is the test's own). */
async function committedProject(): Promise<{ root: string; del: string; tmp: string }> {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  return { root, del, tmp: await tempDir({ prefix: "runrec-tmp-" }) };
}

/** The `runrec: lost-record:` lines of `stderr`. */
function lostLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.startsWith(LOST_RECORD_PREFIX));
}

Deno.test("finish <token> after the deliverable folder was moved to another package (git mv): found under the execution root and recorded there, once", async () => {
  const { root, del, tmp } = await committedProject();
  const env = { TMPDIR: tmp };
  const start = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"], FULL_FLAGS, env);
  assertEquals(start.code, 0, start.stderr);
  const token = start.stdout.trim();
  await Deno.mkdir(join(root, "PKG-02_Other", "1_Working"), { recursive: true });
  const moved = join(root, "PKG-02_Other", "1_Working", "DEL-01-02_Thing");
  await git(root, "mv", del, moved);
  await git(root, "commit", "-qm", "move deliverable to PKG-02");
  const finish = await runCliProcess(
    ["finish", token, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(finish.code, 0, finish.stderr);
  assertEquals(lostLines(finish.stderr), []);
  assertEquals((await recordsOf(moved)).map((r) => [r.AgentName, r.RunStatus]), [
    ["4_DOCUMENTS", "SUCCESS"],
  ]);
  assertEquals(pendingFiles(moved), []);
  // Finished: the same finish again writes nothing.
  const again = await runCliProcess(
    ["finish", token, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(again.code, 2, again.stderr);
  assertEquals((await recordsOf(moved)).length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <token> whose run is pending in a folder of another deliverable, or in two folders: exit 2 naming each and the finish that works", async () => {
  const { root, del, tmp } = await committedProject();
  const env = { TMPDIR: tmp };
  const token = (await runCliProcess(["start", del, "--agent", "A"], FULL_FLAGS, env)).stdout
    .trim();
  const id = token.split("/").at(-1)!.replace(/\.json$/, "");
  // Copied into two packages, then the original removed: which copy is the run's is unknown.
  const copies = ["PKG-02_Two", "PKG-03_Three"].map((p) => join(root, p, "1_Working"));
  for (const dir of copies) {
    await Deno.mkdir(dir, { recursive: true });
    await new Deno.Command("cp", { args: ["-a", del, dir] }).output();
  }
  await Deno.remove(del, { recursive: true });
  const two = await runCliProcess(
    ["finish", token, "--agent", "A", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(two.code, 2, two.stderr);
  assertEquals(two.stderr.trimEnd().split("\n").length, 1, two.stderr);
  assertIncludes(two.stderr, join(copies[0], "DEL-01-02_Thing"));
  assertIncludes(two.stderr, join(copies[1], "DEL-01-02_Thing"));
  assertIncludes(two.stderr, `runrec finish <that folder> --run ${id}`);
  assertEquals(lostLines(two.stderr), []);
  // One copy left, of another DeliverableID: named, not taken.
  await Deno.remove(join(copies[1], "DEL-01-02_Thing"), { recursive: true });
  const other = join(copies[0], "DEL-01-07_Other");
  await Deno.rename(join(copies[0], "DEL-01-02_Thing"), other);
  const elsewhere = await runCliProcess(
    ["finish", token, "--agent", "A", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(elsewhere.code, 2, elsewhere.stderr);
  assertIncludes(elsewhere.stderr, `runrec finish <that folder> --run ${id}`);
  assertIncludes(elsewhere.stderr, `${other} (DEL-01-07)`);
  assertEquals(lostLines(elsewhere.stderr), []);
  // The way forward it names works.
  const named = await runCliProcess(
    ["finish", other, "--run", id, "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(named.code, 0, named.stderr);
  assertEquals((await recordsOf(other)).length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <token> after the worktree it ran in was removed: exit 0, the record goes out as a lost-record line; never recorded twice, appended once when the worktree is back", async () => {
  const { root, tmp } = await committedProject();
  const env = { TMPDIR: tmp };
  const wt = join(await tempDir({ prefix: "runrec-wt-" }), "wt");
  await git(root, "worktree", "add", "-q", wt, "-b", "wt");
  const del = join(wt, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  const start = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"], FULL_FLAGS, env, wt);
  assertEquals(start.code, 0, start.stderr);
  const token = start.stdout.trim();
  const id = token.split("/").at(-1)!.replace(/\.json$/, "");
  await git(root, "worktree", "remove", "--force", wt);
  // No copy of the run kept in the common git folder (a start by a runrec before stop 55): the
  // token is all (with the copy, finish records it in the main work tree: review4_55).
  await Deno.remove(join(root, ".git", "runrec-journals"), { recursive: true });
  const finishArgs = ["finish", token, "--status", "SUCCESS"];

  // Without --agent nothing says which agent ran: exit 2, naming both ways forward.
  const bare = await runCliProcess(finishArgs, FULL_FLAGS, env, root);
  assertEquals(bare.code, 2, bare.stderr);
  assertEquals(bare.stderr.trimEnd().split("\n").length, 1, bare.stderr);
  assertIncludes(bare.stderr, `runrec finish <its new path> --run ${id}`);
  assertIncludes(bare.stderr, "--agent NAME");

  const finish = await runCliProcess(
    [...finishArgs, "--agent", "4_DOCUMENTS"],
    FULL_FLAGS,
    env,
    root,
  );
  assertEquals(finish.code, 0, finish.stderr);
  const lost = lostLines(finish.stderr);
  assertEquals(lost.length, 1, finish.stderr);
  const entry = JSON.parse(lost[0].slice(LOST_RECORD_PREFIX.length));
  assertEquals(entry.recordFile, join(del, "RunRecords.csv"));
  assertEquals([entry.draft.AgentName, entry.draft.RunStatus], ["4_DOCUMENTS", "SUCCESS"]);
  assertEquals(entry.draft.StatusBefore, "TBD");
  assertIncludes(entry.draft.Notes, "recorded from the token");
  assertMatch(finish.stderr, /runrec: warning: .*DEL-01-02_Thing: removed during the run/);
  // Nothing made where the worktree was.
  assertEquals(await Deno.stat(wt).then(() => "there", () => "gone"), "gone");

  // The same finish again (the agent did not see the first answer): no second record.
  const again = await runCliProcess(
    [...finishArgs, "--agent", "4_DOCUMENTS"],
    FULL_FLAGS,
    env,
    root,
  );
  assertEquals(again.code, 2, again.stderr);
  assertIncludes(again.stderr, "finished already");
  assertEquals(lostLines(again.stderr), []);
  // It says where the record waits and that nothing more is needed: an emit would record the
  // run twice once the worktree is back and both are flushed (review19 F6).
  assertEquals(again.stderr.trimEnd().split("\n").length, 1, again.stderr);
  assertMatch(again.stderr, /: its record waits in the spool, \S+: runrec flush /);
  assertIncludes(again.stderr, "lost-record line");
  assertIncludes(again.stderr, "nothing more is needed");
  assert(!again.stderr.includes("to record the run: runrec emit"), again.stderr);

  // The worktree back: the ORCHESTRATOR's saved line and the spool append the record once.
  await git(root, "worktree", "add", "-q", wt, "wt");
  const saved = join(tmp, "lost.txt");
  await Deno.writeTextFile(saved, `${lost[0]}\n`);
  const fromLine = await runCliProcess(["flush", "--from", saved], FULL_FLAGS, env, root);
  assertEquals(fromLine.code, 0, fromLine.stderr);
  const spool = await runCliProcess(["flush", del], FULL_FLAGS, env, root);
  assertEquals(spool.code, 0, spool.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.AgentName, r.RunStatus]), [["4_DOCUMENTS", "SUCCESS"]]);
  // And a finish now (the pending file is not in the new worktree) does not record it again.
  const late = await runCliProcess(
    [...finishArgs, "--agent", "4_DOCUMENTS"],
    FULL_FLAGS,
    env,
    root,
  );
  assertEquals(late.code, 2, late.stderr);
  assertIncludes(late.stderr, `its record is ${records[0].RunID} (SUCCESS) in `);
  assert(!late.stderr.includes("runrec emit"), late.stderr);
  assertEquals((await recordsOf(del)).length, 1);
  assert(lostLines(late.stderr).length === 0, late.stderr);
  await Deno.remove(root, { recursive: true });
});
