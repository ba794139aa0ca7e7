/**
 * A run pending while git rewrites or moves what it runs in: `runrec start`,
 * then a rebase (onto a branch that renamed the deliverable folder, or not), an
 * interactive rebase that drops a commit, a `git commit --amend`, then
 * `runrec finish` (or `runrec reap`, then the agent's late finish); `runrec
 * exec` of a command that rebases; and a checkout of a branch without the
 * deliverable during a run. The record lands once, in the deliverable's file, and
 * `verify --since` the base holds after. Real git repositories and real runrec
 * processes.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/history_edit_runs_test.ts
 * ```
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { assertEquals, assertIncludes } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { git, makeProject, sampleDraft, tempDir } from "./fixtures.ts";
import { pendingFiles, recordsOf } from "./support/runs.ts";

/**
 * A project in git (`merge=union` for the record file) whose deliverable holds
 * one committed run; `base` is that commit, `main` its branch.
 */
async function committedProject() {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  await Deno.writeTextFile(join(root, ".gitattributes"), `${RECORD_FILE} merge=union eol=lf\n`);
  await git(root, "init", "-q");
  await record(del, "BASE");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  return { root, del, env, base: await git(root, "rev-parse", "HEAD") };
}

/**
 * The deliverable folder renamed by a commit on `main`, with `feat` checked out, which has not:
 * a rebase of `feat` onto `main` moves the folder. Returns the renamed folder.
 */
async function renamedOnMain(root: string, del: string): Promise<string> {
  const renamed = join(dirname(del), "DEL-01-02_Thing_Sized");
  await git(root, "checkout", "-qb", "feat");
  await git(root, "checkout", "-q", "main");
  await git(root, "mv", del, renamed);
  await git(root, "commit", "-qm", "the deliverable renamed");
  await git(root, "checkout", "-q", "feat");
  return renamed;
}

/** Appends a run of `agent` to `del`'s file, as emit would (the runs under test are processes). */
async function record(del: string, agent: string): Promise<void> {
  await appendRecord(join(del, RECORD_FILE), sampleDraft({ AgentName: agent }), { fsync: false });
}

/** Starts a run of `agent` in `del`; returns its token. */
async function start(del: string, env: Record<string, string>, agent: string): Promise<string> {
  const started = await runCliProcess(["start", del, "--agent", agent], FULL_FLAGS, env);
  assertEquals(started.code, 0, started.stderr);
  return started.stdout.trim();
}

/** `runrec finish` of `target` (a token or a folder) with `more` arguments. */
async function finish(target: string, env: Record<string, string>, ...more: string[]) {
  const finished = await runCliProcess(
    ["finish", target, "--status", "SUCCESS", ...more],
    FULL_FLAGS,
    env,
  );
  assertEquals(finished.code, 0, finished.stderr);
  return finished;
}

/** The AgentName of each record of `del`, and whether every RunID and RecordChecksum is its own. */
async function agentsOnce(del: string): Promise<{ agents: string[]; unique: boolean }> {
  const records = await recordsOf(del);
  const unique = new Set(records.map((r) => r.RunID)).size === records.length &&
    new Set(records.map((r) => r.RecordChecksum)).size === records.length;
  return { agents: records.map((r) => r.AgentName), unique };
}

/** `runrec verify <root> --since <base>` and `runrec validate <root>`: both exit 0. */
async function verifiedSince(root: string, base: string): Promise<void> {
  const verify = await runCli(["verify", root, "--since", base]);
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
  const validate = await runCli(["validate", root]);
  assertEquals(validate.code, 0, validate.stdout + validate.stderr);
}

Deno.test("finish of runs started before a rebase onto a branch that renamed the deliverable folder: each record lands once, in the renamed folder's file, by token or by the old folder; verify --since the base holds; a new run there is refused (githist-41 F1, F5)", async () => {
  const { root, del, env, base } = await committedProject();
  const renamed = join(dirname(del), "DEL-01-02_Thing_Sized");
  await git(root, "checkout", "-qb", "feat");
  await record(del, "FEAT");
  await git(root, "commit", "-qam", "a run on feat");
  await git(root, "checkout", "-q", "main");
  await record(del, "MAIN");
  await git(root, "mv", del, renamed);
  await git(root, "commit", "-qam", "a run, then the deliverable renamed");
  await git(root, "checkout", "-q", "feat");
  const byToken = await start(del, env, "BY_TOKEN");
  await start(del, env, "BY_FOLDER");
  // git moves the files it tracks and leaves .runrec/, the runs' pending files in it, behind.
  await git(root, "rebase", "-q", "main");
  assertEquals([...Deno.readDirSync(del)].map((e) => e.name), [".runrec"]);
  const finished = await finish(byToken, env);
  await finish(del, env, "--agent", "BY_FOLDER");
  // Before: a record file begun in the left folder, its RunIDs from SEQ 001 again.
  assertEquals(await recordsOf(del), []);
  assertIncludes(
    finished.stderr,
    `runrec: note: deliverable folder moved during the run, from ${basename(del)} (git moved ` +
      "its files, a checkout, pull or rebase): recorded where they are\n",
  );
  assertEquals(pendingFiles(del), []);
  assertEquals(await agentsOnce(renamed), {
    agents: ["BASE", "MAIN", "FEAT", "BY_TOKEN", "BY_FOLDER"],
    unique: true,
  });
  // A new run in the old folder (a shell still there) is refused, one line, nothing written
  // (githist-41 F5; before: a record file begun there, its SEQ 001 again).
  for (const args of [["start"], ["emit", "--status", "SUCCESS"]]) {
    const [command, ...more] = args;
    const refused = await runCliProcess(
      [command, del, "--agent", "LATER", ...more],
      FULL_FLAGS,
      env,
    );
    assertEquals(refused.code, 2, refused.stderr);
    assertEquals(
      refused.stderr,
      `runrec ${command}: ${del}: holds only runrec's state: git moved the deliverable's files ` +
        `to ${renamed} (a checkout, pull or rebase renamed the folder); record the run there\n`,
    );
  }
  assertEquals(await recordsOf(del), []);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "the runs' records");
  await verifiedSince(root, base);
});

Deno.test("exec whose command rebases onto a branch that renamed the deliverable folder records the run once, in the renamed folder's file, saying so; verify --since the base holds (githist-41 F6)", async () => {
  const { root, del, env, base } = await committedProject();
  const renamed = await renamedOnMain(root, del);
  const rebase = [
    "git",
    "-c",
    "user.name=t",
    "-c",
    "user.email=t@t.invalid",
    "rebase",
    "-q",
    "main",
  ];
  const exec = await runCliProcess(
    ["exec", del, "--agent", "REBASER", "--", ...rebase],
    FULL_FLAGS,
    env,
    root,
  );
  assertEquals(exec.code, 0, exec.stderr);
  // Before: spooled in the old folder, as if the files had gone for good.
  assertEquals(await agentsOnce(renamed), { agents: ["BASE", "REBASER"], unique: true });
  assertIncludes(exec.stderr, `deliverable folder moved during the run, from ${basename(del)}`);
  assertEquals(await recordsOf(del), []);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "the run's record");
  await verifiedSince(root, base);
});

Deno.test("reap of a run started before a rebase onto a branch that renamed the deliverable folder writes its FAILED record in the renamed folder's file; the agent's late finish by token supersedes it there; verify --since the base holds (githist-41 F3)", async () => {
  const { root, del, env, base } = await committedProject();
  const renamed = await renamedOnMain(root, del);
  const token = await start(del, env, "LATE");
  await git(root, "rebase", "-q", "main");
  // The old folder named, as an agent's cleanup would: the run is reaped where the files went.
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  assertIncludes(reap.stdout, `${basename(renamed)} LATE started `);
  // Before: a record file begun in the old folder, its RunID the deliverable's first (SEQ 001).
  assertEquals(await recordsOf(del), []);
  await finish(token, env);
  assertEquals(await recordsOf(del), []);
  const records = await recordsOf(renamed);
  assertEquals(records.map((r) => [r.AgentName, r.RunStatus]), [
    ["BASE", "SUCCESS"],
    ["LATE", "FAILED"],
    ["LATE", "SUCCESS"],
  ]);
  assertEquals(new Set(records.map((r) => r.RunID)).size, 3);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "the run's records");
  await verifiedSince(root, base);
});

Deno.test("reap of the old folder a rebase left a run in reaps, where the files went, that run alone: a run started in the renamed folder, still at work, is not reaped with it (review-42 F3)", async () => {
  const { root, del, env } = await committedProject();
  const renamed = await renamedOnMain(root, del);
  await start(del, env, "LEFT");
  await git(root, "rebase", "-q", "main");
  const atWork = await start(renamed, env, "AT_WORK"); // no --pid: --older-than judges it
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  // Before: AT_WORK, in a folder not named, was reaped FAILED too.
  assertEquals((await recordsOf(renamed)).map((r) => [r.AgentName, r.RunStatus]), [
    ["BASE", "SUCCESS"],
    ["LEFT", "FAILED"],
  ]);
  assertEquals(pendingFiles(renamed), [basename(atWork)]);
  await finish(atWork, env);
  assertEquals((await recordsOf(renamed)).map((r) => r.AgentName), ["BASE", "LEFT", "AT_WORK"]);
});

/**
 * A run AWAY started on main, finished on branch `elsewhere`, which lacks the deliverable (its
 * folder left holding runrec's state): the finish's output. `elsewhere` stays checked out.
 */
async function finishedOnBranchWithout(root: string, del: string, env: Record<string, string>) {
  await git(root, "checkout", "-qb", "elsewhere");
  await git(root, "rm", "-rq", "PKG-01_Pkg");
  await git(root, "commit", "-qm", "a branch without the deliverable");
  await git(root, "checkout", "-q", "main");
  const token = await start(del, env, "AWAY");
  await git(root, "checkout", "-q", "elsewhere");
  return await finish(token, env);
}

Deno.test("finish of a run whose files a git checkout of a branch without the deliverable took away: the record waits in the folder's spool, the checkout back is not stopped, and flush appends it once (githist-41 F4)", async () => {
  const { root, del, env, base } = await committedProject();
  const finished = await finishedOnBranchWithout(root, del, env);
  // Before: a RunRecords.csv begun for the branch without the deliverable, which stopped this.
  await git(root, "checkout", "-q", "main");
  assertIncludes(finished.stderr, "record not written (the deliverable folder's files are gone)");
  const flush = await runCliProcess(["flush", del], FULL_FLAGS, env);
  assertEquals(flush.code, 0, flush.stderr);
  assertEquals(await agentsOnce(del), { agents: ["BASE", "AWAY"], unique: true });
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "the run's record");
  await verifiedSince(root, base);
});

Deno.test("an emit, and a flush of the root, on a branch without the deliverable (its folder left holding runrec's state) spool their records, not a RunRecords.csv begun for that branch: the checkout back is not stopped, and flush then appends each once (review-42 F2)", async () => {
  const { root, del, env, base } = await committedProject();
  await finishedOnBranchWithout(root, del, env); // spooled (githist-41 F4)
  const emitted = await runCliProcess(
    ["emit", del, "--agent", "THERE", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  assertIncludes(emitted.stderr, "not begun again: its folder holds only runrec's state");
  // Before: the emit (or this flush) began a RunRecords.csv there, and the checkout back stopped.
  const away = await runCliProcess(["flush", root], FULL_FLAGS, env);
  assertEquals(away.code, 1, away.stderr);
  assertEquals(await Array.fromAsync(Deno.readDir(del), (e) => e.name).then((n) => n.sort()), [
    ".runrec",
    ".runrec-spool",
  ]);
  await git(root, "checkout", "-q", "main");
  const back = await runCliProcess(["flush", root], FULL_FLAGS, env);
  assertEquals(back.code, 0, back.stderr);
  assertEquals(await agentsOnce(del), { agents: ["BASE", "AWAY", "THERE"], unique: true });
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "the runs' records");
  await verifiedSince(root, base);
});

Deno.test("finish of runs started before a plain rebase, an interactive rebase dropping a commit of another file, or an amend: each record lands once and verify --since the base holds", async () => {
  const edits: Record<string, (root: string, del: string) => Promise<void>> = {
    "rebase": async (root) => void await git(root, "rebase", "-q", "main"),
    "rebase -i, a commit dropped": async (root) => {
      const drop = "sed -i '/other file/s/^pick/drop/'";
      await git(root, "-c", `sequence.editor=${drop}`, "rebase", "-q", "-i", "main");
    },
    "commit --amend": async (root, del) => {
      await Deno.writeTextFile(join(del, "Datasheet.md"), "# Datasheet, amended\n");
      await git(root, "commit", "-qa", "--amend", "--no-edit");
    },
  };
  for (const [edit, apply] of Object.entries(edits)) {
    const { root, del, env, base } = await committedProject();
    await git(root, "checkout", "-qb", "feat");
    await record(del, "FEAT");
    await Deno.writeTextFile(join(root, "INIT.md"), "# Init, edited\n");
    await git(root, "commit", "-qam", "a run on feat, and an other file");
    await git(root, "checkout", "-q", "main");
    await record(del, "MAIN");
    await git(root, "commit", "-qam", "a run on main");
    await git(root, "checkout", "-q", "feat");
    const token = await start(del, env, "PENDING");
    await apply(root, del);
    await finish(token, env);
    const { agents, unique } = await agentsOnce(del);
    assertEquals(agents.filter((a) => a === "PENDING").length, 1, edit);
    assertEquals(unique, true, edit);
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "the run's record");
    await verifiedSince(root, base);
  }
});

Deno.test("a new deliverable's first run in an empty folder is recorded there, though another folder of its DeliverableID holds files: not one git left, which holds runrec's state and no run pending there that began in an empty folder (stop 41, lead)", async () => {
  const { del, env } = await committedProject();
  const fresh = join(dirname(del), `${basename(del).split("_")[0]}_Fresh`);
  await Deno.mkdir(fresh);
  for (const command of ["start", "emit"]) {
    const ran = await runCliProcess(
      [command, fresh, "--agent", "FIRST", ...command === "emit" ? ["--status", "SUCCESS"] : []],
      FULL_FLAGS,
      env,
    );
    assertEquals(ran.code, 0, ran.stderr); // before: exit 2, "holds only runrec's state"
  }
  assertEquals((await recordsOf(fresh)).map((r) => r.AgentName), ["FIRST"]);
});
