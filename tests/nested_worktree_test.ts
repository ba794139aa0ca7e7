/**
 * A linked work tree of the repository kept inside it (`git worktree add
 * .worktrees/agent-1`, git-ignored; a common layout of agent tooling) is
 * another checkout, not part of the folder that holds it: the read commands
 * walking a folder skip it with one note, and naming it reads it.
 * (gitflow finding 17)
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { runScript } from "./support/library_script.ts";

const NOTE = "runrec: note: skipped .worktrees/agent-1: another worktree of this repository; " +
  "name it to check it\n";

/** `text` split into lines, counting those equal to `line` (without its newline). */
function count(text: string, line: string): number {
  return text.split("\n").filter((l) => l === line.replace(/\n$/, "")).length;
}

/** A project in git with one run, and a linked work tree in `.worktrees/agent-1` with a second. */
async function projectWithWorktree() {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  await Deno.writeTextFile(join(root, ".gitignore"), ".worktrees/\n");
  const emit = (dir: string, agent: string, started: string) =>
    runCliProcess(
      ["emit", dir, "--agent", agent, "--status", "SUCCESS", "--started", started],
    );
  assert.equal((await emit(del, "4_DOCUMENTS", "2026-01-01T10:00:00Z")).code, 0);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  const base = await git(root, "rev-parse", "HEAD");
  await git(root, "worktree", "add", "-q", ".worktrees/agent-1", "-b", "agent-1");
  const worktree = join(root, ".worktrees", "agent-1");
  const otherDel = join(worktree, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  assert.equal((await emit(otherDel, "DEPENDENCIES", "2026-01-01T10:05:00Z")).code, 0);
  await git(worktree, "commit", "-qam", "agent-1 run");
  return { root, base, worktree };
}

Deno.test("nested worktree: log, validate, stale and verify of the repository skip a linked work tree inside it, with one note each; naming it reads it", async () => {
  const { root, base, worktree } = await projectWithWorktree();
  const run = (...args: string[]) => runCliProcess(args, undefined, {}, root);
  // An agent at work in the other worktree: its pending run is that worktree's, not this one's.
  const otherDel = join(worktree, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  assert.equal((await runCliProcess(["start", otherDel, "--agent", "DEPENDENCIES"])).code, 0);

  const log = await run("log", ".", "--format", "csv");
  assert.equal(log.code, 0, log.stderr);
  assert.equal(log.stdout.trim().split("\n").length, 2, log.stdout); // header + one record
  assert.doesNotMatch(log.stdout, /DEPENDENCIES/);
  assert.equal(count(log.stderr, NOTE), 1, log.stderr);
  assert.doesNotMatch(log.stderr, /started and not finished/);

  const validate = await run("validate", ".");
  assert.equal(validate.code, 0, validate.stdout);
  // One file (the worktree's would add a second, and a total line).
  assert.equal(
    validate.stdout,
    "PKG-01_Pkg/1_Working/DEL-01-02_Thing/RunRecords.csv: ok: 1 record, 0 errors, 0 warnings\n",
  );
  assert.equal(count(validate.stderr, NOTE), 1, validate.stderr);

  // stale looks for deliverables several times (targets, dependency graph): still one note.
  const stale = await run("stale", ".");
  assert.doesNotMatch(stale.stdout, /worktrees/);
  assert.equal(count(stale.stderr, NOTE), 1, stale.stderr);
  assert.equal(stale.stderr.split("\n").filter((l) => l.includes("skipped")).length, 1);

  const verify = await run("verify", ".", "--since", base);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.doesNotMatch(verify.stdout, /worktrees|records no commit/);
  assert.match(verify.stdout, /K-APPEND-1 holds since [0-9a-f]{40} \([0-9a-f]{7}\)/);
  assert.equal(count(verify.stderr, NOTE), 1, verify.stderr);

  // Named, the work tree is read as what it is: its branch's checkout, both runs, no note.
  const named = await run("log", ".worktrees/agent-1", "--format", "csv");
  assert.equal(named.code, 0, named.stderr);
  assert.equal(named.stdout.trim().split("\n").length, 3, named.stdout);
  assert.match(named.stdout, /DEPENDENCIES/);
  assert.doesNotMatch(named.stderr, /skipped/);
  assert.match(named.stderr, /1 run\(s\) started and not finished: DEPENDENCIES/);
  const namedVerify = await run("verify", ".worktrees/agent-1", "--since", base);
  assert.equal(namedVerify.code, 0, namedVerify.stdout + namedVerify.stderr);
  assert.doesNotMatch(namedVerify.stdout, /records no commit/);
  const namedStale = await run("stale", ".worktrees/agent-1");
  assert.match(namedStale.stdout, /worktrees\/agent-1\/PKG-01_Pkg/);
});

Deno.test("nested worktree: a linked work tree of another repository, and a folder whose .git file names no work tree, are still read", async () => {
  const { root } = await projectWithWorktree();
  // A linked work tree of another repository (its own records) is not "another worktree of
  // this repository": read, as a nested clone is.
  const { root: other } = await makeProject();
  await git(other, "init", "-q");
  await git(other, "add", "-A");
  await git(other, "commit", "-qm", "other");
  await git(other, "worktree", "add", "-q", join(root, "vendor", "other-wt"));
  const otherDel = join(root, "vendor", "other-wt", "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  const emitted = await runCliProcess(
    ["emit", otherDel, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
  );
  assert.equal(emitted.code, 0, emitted.stderr);
  const log = await runCli(["log", root, "--format", "csv"]);
  assert.equal(log.code, 0, log.stderr);
  assert.equal(log.stdout.trim().split("\n").length, 3, log.stdout); // header + root + other-wt
  assert.equal(log.stderr.split("\n").filter((l) => l.includes("skipped")).length, 1);
  assert.match(log.stderr, /skipped .*\.worktrees\/agent-1: another worktree/);
  assert.doesNotMatch(log.stderr, /other-wt/);
  // A helper folder that merely holds a `.git` FILE naming no work tree is read too.
  const plain = await tempDir();
  await Deno.mkdir(join(plain, "x"));
  await Deno.writeTextFile(join(plain, "x", ".git"), "gitdir: /nonexistent/modules/x\n");
  await Deno.writeTextFile(
    join(plain, "x", "RunRecords.csv"),
    await Deno.readTextFile(
      join(root, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing", "RunRecords.csv"),
    ),
  );
  const validate = await runCli(["validate", plain]);
  assert.match(validate.stdout, /x\/RunRecords.csv: ok: 1 record/);
});

Deno.test("nested worktree: verify names the start of a nested repository's check without an empty ()", async () => {
  const { root, base } = await projectWithWorktree();
  // A clone kept inside (not a submodule, not a linked work tree): checked from its first versions.
  await git(root, "clone", "-q", root, "vendor/clone");
  const verify = await runCliProcess(["verify", ".", "--since", base], undefined, {}, root);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.match(verify.stdout, /vendor\/clone: a repository [0-9a-f]{40} records no commit for/);
  assert.doesNotMatch(verify.stdout, /\(\)/);
  assert.match(
    verify.stdout,
    /vendor\/clone\/PKG-01_Pkg\/1_Working\/DEL-01-02_Thing\/RunRecords.csv: K-APPEND-1 holds from its first version \(not in [0-9a-f]{40}'s repository\): \d+ versions? compared/,
  );
});

Deno.test("nested worktree: a script's checkStaleness, collectRuns and resolveTargets of the repository say on stderr the linked work tree they skip, once a call, as the CLI says it; a command still says it once (lib-40 F2)", async () => {
  const { root } = await projectWithWorktree();
  const { answer, stderr } = await runScript(
    root,
    ["--allow-read", "--allow-write", "--allow-env", "--allow-sys", "--allow-run"],
    `const stale = await rr.checkStaleness(["."]);
    const runs = await rr.collectRuns(["."], { warn: (message) => console.error(message) });
    const files = await rr.resolveTargets(["."]);
    return { checks: stale.checks.length, runs: runs.length, files: files.length };`,
  );
  // The repository's own run only: the work tree's is skipped, and said to be, by each call.
  assert.deepEqual(answer, { checks: 1, runs: 1, files: 1 });
  assert.equal(count(stderr, NOTE), 3, stderr);

  const stale = await runCliProcess(["stale", "."], undefined, {}, root);
  assert.equal(count(stale.stderr, NOTE), 1, stale.stderr);
});

Deno.test("nested worktree: a script whose standard error cannot be written (a full disk) gets its resolveTargets and checkStaleness answered all the same: the note of the work tree skipped, said nowhere, fails no call (review-41 F2)", async () => {
  const { root } = await projectWithWorktree();
  const { answer } = await runScript(
    root,
    ["--allow-read", "--allow-write", "--allow-env", "--allow-sys", "--allow-run"],
    `const files = await rr.resolveTargets(["."]);
    const stale = await rr.checkStaleness(["."]);
    return { files: files.length, checks: stale.checks.length };`,
    {},
    "/dev/full",
  );
  // Before: { threw: "Error", message: "No space left on device (os error 28)" }.
  assert.deepEqual(answer, { files: 1, checks: 1 });
});
