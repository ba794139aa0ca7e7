/**
 * exec and withRun hold their run in memory: a run whose pending file is
 * removed under it (git clean -x), or that removes or renames its own
 * deliverable folder, is still recorded (or spooled, and said), never lost;
 * a run another finisher recorded is still never recorded twice.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch, assertRejects } from "./assert.ts";
import { InputError } from "../src/errors.ts";
import type { RunOutcome } from "../src/hook.ts";
import { finishRun, startRun, withRun } from "../src/run.ts";
import { runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { pendingFiles, recordsOf, RUNREC_SH } from "./support/runs.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";

/** A project committed in git, and a private `$TMPDIR` (its user spool is the test's own). */
async function committedProject(): Promise<{ root: string; del: string; tmp: string }> {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  return { root, del, tmp: await tempDir({ prefix: "runrec-tmp-" }) };
}

/** `runrec exec <del> --agent DEPENDENCIES -- sh -c SCRIPT` in `root`, as a real process. */
function execSh(root: string, del: string, tmp: string, script: string) {
  return runCliProcess(
    ["exec", del, "--agent", "DEPENDENCIES", "--", "sh", "-c", script],
    FULL_FLAGS,
    { TMPDIR: tmp },
    root,
  );
}

/** The spool entries in the user spool folder of `$TMPDIR` `tmp`. */
function userSpool(tmp: string): string[] {
  const found: string[] = [];
  for (const folder of Deno.readDirSync(tmp)) {
    if (!folder.name.startsWith("runrec-spool-")) continue;
    for (const entry of Deno.readDirSync(join(tmp, folder.name))) {
      if (entry.name.endsWith(".json")) found.push(join(tmp, folder.name, entry.name));
    }
  }
  return found;
}

/** `work` run with `$TMPDIR` set to `tmp` in this process, restored after. */
async function withTmpdir<T>(tmp: string, work: () => Promise<T>): Promise<T> {
  const saved = Deno.env.get("TMPDIR");
  Deno.env.set("TMPDIR", tmp);
  try {
    return await work();
  } finally {
    if (saved === undefined) Deno.env.delete("TMPDIR");
    else Deno.env.set("TMPDIR", saved);
  }
}

Deno.test("exec: a command that runs git clean -fdx (removing .runrec/pending) is still recorded, once", async () => {
  const { root, del, tmp } = await committedProject();
  const result = await execSh(
    root,
    del,
    tmp,
    `echo a,b > '${del}/Dependencies.csv' && git clean -fdxq`,
  );
  assertEquals(result.code, 0, result.stderr);
  assert(!result.stderr.includes("not recorded"), result.stderr);
  const records = await recordsOf(del);
  assertEquals(records.length, 1, result.stderr);
  const [record] = records;
  assertMatch(result.stderr, new RegExp(`runrec: recorded ${record.RunID} \\(SUCCESS\\)`));
  assertEquals([record.AgentName, record.RunStatus], ["DEPENDENCIES", "SUCCESS"]);
  assertEquals(record.OutputFiles, ["Dependencies.csv"]);
  assertIncludes(record.Notes, "pending run file removed during the run");
  assertEquals(pendingFiles(del), []);
  assertEquals(userSpool(tmp), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("withRun: a callback that runs git clean -fdx returns its value and its run is recorded", async () => {
  const { root, del } = await committedProject();
  const outcomes: RunOutcome[] = [];
  const value = await withRun(
    del,
    { agent: "DEPENDENCIES", onOutcome: (o) => outcomes.push(o) },
    async (run) => {
      await Deno.writeTextFile(join(del, "Dependencies.csv"), "a,b\n");
      await git(root, "clean", "-fdxq"); // a build step cleaning untracked files
      run.output("Dependencies.csv");
      return "work done";
    },
  );
  assertEquals(value, "work done");
  const [record] = await recordsOf(del);
  assertEquals(outcomes.map((o) => o.written?.record.RunID), [record.RunID]);
  assertEquals([record.RunStatus, record.OutputFiles], ["SUCCESS", ["Dependencies.csv"]]);
  assertIncludes(record.Notes, "pending run file removed during the run");
  // A callback that throws after the clean: its own error, and a FAILED record.
  const thrown = new RangeError("the build failed");
  let caught: unknown;
  try {
    await withRun(del, { agent: "DEPENDENCIES", onOutcome: () => {} }, async () => {
      // Only .runrec/: a full clean would take the (untracked) RunRecords.csv too.
      await git(root, "clean", "-fdxq", "--", join(del, ".runrec"));
      throw thrown;
    });
  } catch (e) {
    caught = e;
  }
  assert(caught === thrown, `not the callback's error: ${caught}`);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.RunStatus, r.ErrorSummary]), [
    ["SUCCESS", ""],
    ["FAILED", "the build failed"],
  ]);
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: the files it keeps in the deliverable folder are all there before CMD starts, so a CMD that deletes the folder never finds one made meanwhile (its rm -rf failed 'Directory not empty')", async () => {
  const { root, del, tmp } = await committedProject();
  const pending = join(del, ".runrec", "pending");
  const listed = join(tmp, "listed");
  // Ten runs: the marker written after CMD started was missing from CMD's first look 6 in 10.
  for (let i = 0; i < 10; i++) {
    const result = await execSh(root, del, tmp, `ls -A '${pending}' > '${listed}'`);
    assertEquals(result.code, 0, result.stderr);
    const names = Deno.readTextFileSync(listed).split("\n").filter(Boolean);
    assert(names.some((name) => name.endsWith(".command")), `run ${i}: CMD saw ${names}`);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: a command that deletes its deliverable folder exits with its own code; the record waits in the user spool, the folder is not remade, flush appends it once the folder is back", async () => {
  const { root, del, tmp } = await committedProject();
  const result = await execSh(root, del, tmp, `rm -rf '${del}'; exit 3`);
  assertEquals(result.code, 3, result.stderr);
  assert(!result.stderr.includes("not recorded"), result.stderr);
  const spooled = userSpool(tmp);
  assertEquals(spooled.length, 1, result.stderr);
  assertIncludes(
    result.stderr,
    `${del}: removed during the run: its record waits in ${spooled[0]}; once the folder is ` +
      `back (git checkout), runrec flush ${del} appends it`,
  );
  // Gone it stays: no folder made again to hold a spool or a record.
  assertEquals(await Deno.stat(del).then(() => "there", () => "gone"), "gone");
  await git(root, "checkout", "--", ".");
  const flush = await runCliProcess(["flush", del], FULL_FLAGS, { TMPDIR: tmp });
  assertEquals(flush.code, 0, flush.stderr);
  const [record] = await recordsOf(del);
  assertEquals([record.AgentName, record.RunStatus, record.ErrorSummary], [
    "DEPENDENCIES",
    "FAILED",
    "exit code 3",
  ]);
  assertEquals(record.StatusAfter, "TBD");
  assertEquals(record.OutputHashes["Datasheet.md"], "DELETED");
  assertIncludes(record.Notes, "the deliverable folder was removed during the run");
  assertEquals(userSpool(tmp), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("withRun: a callback that deletes its deliverable folder returns its value; the record waits in the user spool", async () => {
  const { root, del, tmp } = await committedProject();
  const outcomes: RunOutcome[] = [];
  const value = await withTmpdir(
    tmp,
    () =>
      withRun(del, { agent: "DEPENDENCIES", onOutcome: (o) => outcomes.push(o) }, async () => {
        await Deno.remove(del, { recursive: true });
        return 1;
      }),
  );
  assertEquals(value, 1);
  const spooled = userSpool(tmp);
  assertEquals(outcomes.map((o) => o.spooledTo), spooled);
  assertIncludes(outcomes[0].warnings.join("\n"), `${del}: removed during the run`);
  assertEquals(await Deno.stat(del).then(() => "there", () => "gone"), "gone");
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: a command that renames its deliverable folder's label is recorded once, in the renamed folder", async () => {
  const { root, del, tmp } = await committedProject();
  const renamed = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-02_Renamed");
  const result = await execSh(
    root,
    del,
    tmp,
    `mv '${del}' '${renamed}' && echo a,b > '${renamed}/Dependencies.csv'`,
  );
  assertEquals(result.code, 0, result.stderr);
  assert(!result.stderr.includes("not recorded"), result.stderr);
  const [record] = await recordsOf(renamed);
  assertEquals([record.RunStatus, record.OutputFiles], ["SUCCESS", ["Dependencies.csv"]]);
  assertEquals(pendingFiles(renamed), []);
  assertEquals(userSpool(tmp), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: a run its own command finished with runrec finish is not recorded a second time", async () => {
  const { root, del, tmp } = await committedProject();
  const result = await execSh(
    root,
    del,
    tmp,
    `${RUNREC_SH} finish '${del}' --status PARTIAL --error 'finished inside'`,
  );
  assertEquals(result.code, 0, result.stderr);
  assertMatch(result.stderr, /runrec: warning: run not recorded: .*finished already/);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.RunStatus), ["PARTIAL"]);
  assertEquals(pendingFiles(del), []);
  assertEquals(userSpool(tmp), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finishRun twice on one started run: the second throws finished already, one record", async () => {
  const { root, del } = await makeProject();
  const started = await startRun(del, { agent: "DEPENDENCIES" });
  const first = await finishRun(started, { status: "SUCCESS" });
  assert(first.written !== undefined, first.warnings.join("\n"));
  await assertRejects(
    () => finishRun(started, { status: "SUCCESS" }),
    InputError,
    "finished already",
  );
  assertEquals((await recordsOf(del)).length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("reap of a run kept outside its deliverable folder, removed since: the FAILED record waits in the user spool, the folder is not remade", async () => {
  const { root, del, tmp } = await committedProject();
  // A file where .runrec/ would be: the run is kept in $TMPDIR/runrec-pending-<uid>/.
  await Deno.writeTextFile(join(del, ".runrec"), "in the way\n");
  const env = { TMPDIR: tmp };
  const start = await runCliProcess(["start", del, "--agent", "DEPENDENCIES"], FULL_FLAGS, env);
  assertEquals(start.code, 0, start.stderr);
  await Deno.remove(del, { recursive: true });
  const reap = await runCliProcess(["reap", root, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals(await Deno.stat(del).then(() => "there", () => "gone"), "gone");
  const spooled = userSpool(tmp);
  assertEquals(spooled.length, 1, reap.stderr);
  assertIncludes(reap.stderr, `${del}: removed during the run: its record waits in ${spooled[0]}`);
  await Deno.remove(root, { recursive: true });
});
