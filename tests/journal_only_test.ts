/**
 * A record only the journal holds (SCHEMA.md 7.1) is named, never lost in
 * silence: a run finished on a branch that lacked the record file begins an
 * untracked file, which `git checkout -f` discards, and the file the branch
 * begins anew puts nothing back. `verify` fails naming it, `flush` and `show`
 * name it too, and `flush --from` of the journal puts it back once, byte for byte. Lines
 * git carried elsewhere, or that the next append puts back, are not named. A
 * linked work tree removed after `git reset --hard` took its record out leaves
 * its RunID, and the journal the common `.git` kept names the record. Real git repositories, branches, checkouts and
 * work trees; runrec as real processes.
 *
 * ```sh
 * deno test -A tests/journal_only_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { emitArgs, runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { recordsOf } from "./support/runs.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { awaitingPutBackWarning, journalPath } from "../src/journal.ts";
import { sharedStatePath } from "../src/work_tree_lock.ts";

const DEL = join("PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
const JOURNAL = join(DEL, ".runrec", `${RECORD_FILE}.journal`);
const TOOK_OUT = "a git command (checkout, reset, pull) took out of it wait in its journal";

/** The project as a git repository on main, its first commit also branch `old` (no record file). */
async function repository(): Promise<{ root: string; env: Record<string, string> }> {
  const { root } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-journal-only-tmp-" }) };
  await git(root, "init", "-q", "-b", "main");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "project");
  await git(root, "branch", "old");
  return { root, env };
}

/** Runs the CLI in `root`, with `env`. */
function cli(root: string, env: Record<string, string>, ...args: string[]) {
  return runCliProcess(args, undefined, env, root);
}

/** The RunID of `del`'s records, in file order. */
async function runIds(del: string): Promise<string[]> {
  return (await recordsOf(del)).map((r) => r.RunID);
}

Deno.test("a run finished on a branch made before the record file, its new file discarded by git checkout -f: verify and flush name the record only the journal holds, and flush --from of the journal appends it once", async () => {
  const { root, env } = await repository();
  const del = join(root, DEL);
  assertEquals((await cli(root, env, ...emitArgs(DEL))).code, 0);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "first record");
  const start = await cli(root, env, "start", DEL, "--agent", "4_DOCUMENTS");
  assertEquals(start.code, 0, start.stderr);
  await git(root, "checkout", "-q", "old");
  const finish = await cli(root, env, "finish", start.stdout.trim(), "--status", "SUCCESS");
  assertEquals(finish.code, 0, finish.stderr);
  const lost = finish.stdout.trim();
  assertEquals(await runIds(del), [lost]); // a new file, untracked on old
  await git(root, "checkout", "-f", "-q", "main"); // git discards the untracked file

  // On main: main's file lacks it, no ref holds it, and old has no file (flush --from begins it).
  const onMain = await cli(root, env, "verify", DEL);
  assertEquals(onMain.code, 1, onMain.stdout);
  assertMatch(
    onMain.stdout,
    new RegExp(
      `${lost} is in no file, branch, tag or stash, only in this work tree's journal ` +
        `${JOURNAL.replaceAll(".", "\\.")} .*appended on branch old, into a RunRecords.csv that ` +
        `branch did not track.*runrec flush --from ${
          JOURNAL.replaceAll(".", "\\.")
        } appends it, with its RunID \\(or, where another record has taken it since, the next free one, and a ` +
        `note naming it\\), to the RunRecords\\.csv checked out \\(git checkout old first to record ` +
        "it on that branch\\)\n",
    ),
  );

  const show = await cli(root, env, "show", DEL, lost);
  assertEquals(show.code, 1, show.stderr);
  assertMatch(show.stderr, new RegExp(`${lost} is in no file, branch, tag or stash`));

  // Back on old, its next append begins the file anew: a file begun anew puts nothing back.
  await git(root, "checkout", "-q", "old");
  const next = await cli(root, env, ...emitArgs(DEL));
  assertEquals(next.code, 0, next.stderr);
  assertEquals(await runIds(del), [next.stdout.trim()]);
  const verify = await cli(root, env, "verify", DEL, "--json");
  assertEquals(verify.code, 1, verify.stdout);
  const verified = JSON.parse(verify.stdout);
  const [problem] = verified.files[0].problems;
  assertEquals([problem.line, problem.severity, problem.check], [0, "error", "journal"]);
  const command = `runrec flush --from ${JOURNAL}`;
  assertEquals(
    verified.journalOnly.map((j: Record<string, unknown>) => [j.runId, j.branch, j.command]),
    [[lost, null, command]],
  );
  assertMatch(problem.message, new RegExp(`^${lost} .*: it began a RunRecords.csv that is gone`));
  const flush = await cli(root, env, "flush", DEL);
  assertEquals(flush.code, 1, flush.stdout);
  assertMatch(flush.stderr, new RegExp(`${lost} is in no file, branch, tag or stash`));
  const flushed = await cli(root, env, "flush", DEL, "--json");
  assertEquals(flushed.code, 1, flushed.stdout);
  const why = problem.message.split(": ")[1].split("; runrec flush")[0];
  assertEquals(
    JSON.parse(flushed.stdout).journalOnly.map((j: Record<string, unknown>) => [j.runId, j.why]),
    [[lost, why]],
  );

  // The command named puts it back, byte for byte (its RunID kept), once.
  const restore = await cli(root, env, "flush", "--from", JOURNAL);
  assertEquals(restore.code, 0, restore.stderr);
  // Said as named: a file begun anew, not "which a git command had dropped it from" (damage60).
  assertEquals(
    restore.stdout,
    `${lost}  put back into ${join(DEL, RECORD_FILE)} from its journal: ${why}\n`,
  );
  assertEquals(await runIds(del), [next.stdout.trim(), lost]);
  assertEquals((await cli(root, env, "verify", DEL)).code, 0);
  assertEquals((await cli(root, env, "flush", DEL)).code, 0);
  const again = await cli(root, env, "flush", "--from", JOURNAL);
  assertEquals(again.code, 0, again.stderr);
  assertMatch(again.stdout, /no record only this journal holds/);
  assertEquals(await runIds(del), [next.stdout.trim(), lost]);
});

Deno.test("lines git carried elsewhere, or that the next append puts back, are not named: a stash, a branch's uncommitted record, a git reset --hard; those the next append puts back are a warning of verify and log naming the flush that puts them back now (newuser-57 F3)", async () => {
  const { root, env } = await repository();
  const del = join(root, DEL);
  assertEquals((await cli(root, env, ...emitArgs(DEL))).code, 0);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "first record");
  // A stash holds it: git stash pop brings it back.
  const stashed = (await cli(root, env, ...emitArgs(DEL))).stdout.trim();
  await git(root, "stash", "-q");
  const whileStashed = await cli(root, env, "verify", DEL);
  assertEquals(whileStashed.code, 0);
  assert(!whileStashed.stderr.includes(TOOK_OUT), whileStashed.stderr); // the stash holds it
  await git(root, "stash", "pop", "-q");
  assertEquals(await runIds(del), [(await runIds(del))[0], stashed]);
  await git(root, "commit", "-qam", "second record");
  // A branch's record discarded by a forced checkout: back on that branch, the next append
  // puts it back, since the branch's file holds the record it was appended after.
  await git(root, "checkout", "-q", "-b", "side");
  const side = (await cli(root, env, ...emitArgs(DEL))).stdout.trim();
  await git(root, "checkout", "-f", "-q", "main");
  assertEquals((await cli(root, env, "verify", DEL)).code, 0);
  await git(root, "checkout", "-q", "side");
  assertEquals((await cli(root, env, "verify", DEL)).code, 0);
  const flush = await cli(root, env, "flush", DEL);
  assertEquals(flush.code, 0, flush.stderr);
  assertMatch(flush.stdout, new RegExp(`${side}  put back into`));
  // A record git reset --hard took out: put back by the next append, not named meanwhile.
  const reset = (await cli(root, env, ...emitArgs(DEL))).stdout.trim();
  // And one of a second deliverable, committed before: both named by one verify of the root,
  // git asked once for the two (reviewnewuser-57 F2).
  const other = join("PKG-01_Pkg", "1_Working", "DEL-01-03_Other");
  await Deno.mkdir(join(root, other));
  await Deno.writeTextFile(join(root, other, "_CONTEXT.md"), "**DeliverableID:** DEL-01-03\n");
  assertEquals((await cli(root, env, ...emitArgs(other))).code, 0);
  await git(root, "add", other);
  await git(root, "commit", "-qm", "other", "--", other);
  const otherTaken = (await cli(root, env, ...emitArgs(other))).stdout.trim();
  await git(root, "reset", "-q", "--hard");
  const both = await cli(root, env, "verify", ".");
  assertEquals(both.code, 0, both.stdout);
  assertEquals(both.stderr.match(/took out of it/g)?.length, 2, both.stderr);
  assertMatch(
    both.stderr,
    new RegExp(`DEL-01-02_Thing/${RECORD_FILE}: 2 record\\(s\\) .* ${side}, ${reset};`),
  );
  assertMatch(
    both.stderr,
    new RegExp(`DEL-01-03_Other/${RECORD_FILE}: 1 record\\(s\\) .* ${otherTaken};`),
  );
  assertEquals((await cli(root, env, "flush", other)).code, 0);
  const verify = await cli(root, env, "verify", DEL);
  assertEquals(verify.code, 0, verify.stdout);
  // In no file meanwhile, and a commit now would lack it: said, with the command that puts it back.
  // (side's, put back above and not committed, went with it)
  const warning = `${join(DEL, RECORD_FILE)}: 2 record(s) ${TOOK_OUT}, in no file: ${side}, ` +
    `${reset}; ` +
    `the next append puts them back, or runrec flush ${DEL} now (before a commit, which would ` +
    "lack them)\n";
  assertEquals(verify.stderr, `runrec verify: warning: ${warning}`);
  assertEquals((await cli(root, env, "log", DEL)).stderr, `runrec log: warning: ${warning}`);
  // --json names them in takenOut, with that command (takenout-57 1).
  const json = await cli(root, env, "verify", DEL, "--json");
  assertEquals([json.code, json.stderr], [0, ""], json.stdout);
  assertEquals(JSON.parse(json.stdout).takenOut, [
    { recordFile: join(DEL, RECORD_FILE), runIds: [side, reset], command: `runrec flush ${DEL}` },
  ]);
  const put = await cli(root, env, "flush", DEL);
  assertMatch(put.stdout, new RegExp(`${reset}  put back into`));
  assert((await runIds(del)).includes(reset));
  assertEquals((await cli(root, env, "verify", DEL)).stderr, "");
  assertEquals(JSON.parse((await cli(root, env, "verify", DEL, "--json")).stdout).takenOut, []);
});

Deno.test("the warning of records git took out names a folder starting with - as the flush it suggests can take it (reviewnewuser-57 F4)", () => {
  const warning = awaitingPutBackWarning(join("-PKG-02", "DEL-02-01_X", RECORD_FILE), ["RUN-X"]);
  assertMatch(warning, / or runrec flush \.\/-PKG-02\/DEL-02-01_X now /);
});

Deno.test("a deliverable retired into _Archive/ by a copy and git rm -r, then begun again at its path: the journal left behind names nothing, the copy holding its lines, staged or committed", async () => {
  const { root, env } = await repository();
  const del = join(root, DEL);
  const archived = (await cli(root, env, ...emitArgs(DEL))).stdout.trim();
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "first record");
  const archive = join(root, "PKG-01_Pkg", "_Archive");
  await Deno.mkdir(archive);
  await new Deno.Command("cp", { args: ["-r", del, archive] }).output();
  await git(root, "rm", "-rq", DEL); // the ignored .runrec/ stays, with its journal
  await git(root, "add", "-A");
  await Deno.writeTextFile(join(del, "_CONTEXT.md"), "**DeliverableID:** DEL-01-02\n");
  const restarted = (await cli(root, env, ...emitArgs(DEL))).stdout.trim();
  assertEquals(await runIds(del), [restarted]);
  assertEquals((await cli(root, env, "verify", DEL)).code, 0);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "retired and begun again");
  const verify = await cli(root, env, "verify", DEL);
  assertEquals(verify.code, 0, verify.stdout);
  assert(!verify.stdout.includes(archived));
});

Deno.test("a linked work tree removed after git reset --hard took its record out: flush in it first puts the record back; removed, its .runrec/ journal goes with it, and the main work tree's verify names the record from the journal the common .git kept", async () => {
  const { root, env } = await repository();
  assertEquals((await cli(root, env, ...emitArgs(DEL))).code, 0);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "first record");
  const worktree = join(await tempDir({ prefix: "runrec-journal-only-wt-" }), "wt");
  await git(root, "worktree", "add", "-q", "-b", "feature", worktree);
  const del = join(worktree, DEL);

  // Before the work tree is removed, its journal puts the record back.
  const kept = (await cli(worktree, env, ...emitArgs(DEL))).stdout.trim();
  await git(worktree, "reset", "-q", "--hard");
  assert(!(await runIds(del)).includes(kept));
  assertEquals((await cli(worktree, env, "verify", DEL)).code, 0); // the next append puts it back
  assertMatch((await cli(worktree, env, "flush", DEL)).stdout, new RegExp(`${kept}  put back`));
  await git(worktree, "commit", "-qam", "kept");

  // Removed right after the reset: git removes it (.runrec/ is ignored), and its journal with it.
  const gone = (await cli(worktree, env, ...emitArgs(DEL))).stdout.trim();
  await git(worktree, "reset", "-q", "--hard");
  const notes = sharedStatePath(join(del, RECORD_FILE), "seqs")!;
  await git(root, "worktree", "remove", worktree);
  assertEquals(await Deno.stat(journalPath(join(del, RECORD_FILE))).catch(() => "gone"), "gone");
  const refs = (await git(root, "for-each-ref", "--format=%(objectname)")).split("\n");
  const held = await git(root, "grep", "-c", gone, ...refs, "--", ".").catch(() => "");
  assertEquals(held, "");
  // Its RunID, so that no append gives it again; and the journal the common .git kept names it.
  assert((await Deno.readTextFile(notes)).includes(gone));
  const verify = await cli(root, env, "verify", DEL);
  assertEquals(verify.code, 1, verify.stdout);
  assertMatch(
    verify.stdout,
    new RegExp(`${gone} is in no file, branch, tag or stash, only in the journal the work tree`),
  );
});

Deno.test("a record committed only on a branch deleted since (git branch -D) is named with the commit HEAD's reflog holds it in, and flush --from of the journal refuses it: a branch at that commit keeps it", async () => {
  const { root, env } = await repository();
  const del = join(root, DEL);
  assertEquals((await cli(root, env, ...emitArgs(DEL))).code, 0);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "first record");
  await git(root, "checkout", "-q", "-b", "trial", "old"); // no record file on it
  const trial = (await cli(root, env, ...emitArgs(DEL))).stdout.trim();
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "trial record");
  const commit = (await git(root, "rev-parse", "HEAD")).trim().slice(0, 12);
  await git(root, "checkout", "-q", "main");
  assertEquals((await cli(root, env, "verify", DEL)).code, 0); // branch trial holds it
  await git(root, "branch", "-q", "-D", "trial");
  const verify = await cli(root, env, "verify", DEL);
  assertEquals(verify.code, 1, verify.stdout);
  assertMatch(
    verify.stdout,
    new RegExp(
      `${trial} is in no file, branch, tag or stash, only in commit ${commit} and this work ` +
        `tree's journal .*committed on branch trial, deleted since, and only HEAD's reflog names ` +
        `that commit; git branch kept-${trial} ${commit} keeps it`,
    ),
  );
  const before = await Deno.readTextFile(join(del, RECORD_FILE));
  const restore = await cli(root, env, "flush", "--from", JOURNAL);
  assertEquals(restore.code, 1, restore.stdout);
  assertMatch(restore.stderr, /not put back here: .*git branch kept-/);
  assertEquals(await Deno.readTextFile(join(del, RECORD_FILE)), before);
  await git(root, "branch", `kept-${trial}`, commit);
  assertEquals((await cli(root, env, "verify", DEL)).code, 0);
});

Deno.test("a journal edited by hand (a record's line changed, its checksum no longer matching, and lines of no record) names nothing and appends nothing: verify passes, flush --from of it appends nothing", async () => {
  const { root, env } = await repository();
  const del = join(root, DEL);
  const first = (await cli(root, env, ...emitArgs(DEL))).stdout.trim();
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "first record");
  const journal = join(root, JOURNAL);
  const [entry] = (await Deno.readTextFile(journal)).split("\n").filter(Boolean).map((line) =>
    JSON.parse(line)
  );
  // The record's line as another run's, at an offset where it is not: a forged record.
  const forged = {
    ...entry,
    head: "ref: refs/heads/gone",
    previous: "",
    first: "",
    line: entry.line.replace(first, first.replace(/-001$/, "-009")).replace("SUCCESS", "FAILED"),
  };
  await Deno.writeTextFile(
    journal,
    `\n${JSON.stringify(forged)}\nnot json\n{"line": 5}\n${"x".repeat(1000)}`,
    { append: true },
  );
  const verify = await cli(root, env, "verify", DEL);
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
  const flush = await cli(root, env, "flush", "--from", JOURNAL);
  assertEquals(flush.code, 0, flush.stderr);
  assertMatch(flush.stdout, /no record only this journal holds/);
  assertEquals(await runIds(del), [first]);
});

Deno.test("a record edited in place (its first, the checksum broken, committed) is an edit: verify does not name its journaled line as lost, and flush --from of the journal appends nothing (ci59-59)", async () => {
  const { root, env } = await repository();
  const file = join(root, DEL, RECORD_FILE);
  for (let i = 0; i < 2; i++) assertEquals((await cli(root, env, ...emitArgs(DEL))).code, 0);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "two records");
  const lines = (await Deno.readTextFile(file)).split("\n");
  lines[1] = lines[1].replace(",SUCCESS,", ",PARTIAL,");
  await Deno.writeTextFile(file, lines.join("\n"));
  await git(root, "commit", "-qam", "an edit by hand");
  const before = await Deno.readTextFile(file);

  const verify = await cli(root, env, "verify", DEL);
  assertEquals(verify.code, 1, verify.stderr);
  assertMatch(verify.stdout + verify.stderr, /RecordChecksum does not match the line/);
  assert(!/in no file, branch, tag or stash/.test(verify.stdout + verify.stderr), verify.stdout);
  const flush = await cli(root, env, "flush", "--from", JOURNAL);
  assertEquals(flush.code, 0, flush.stderr);
  assertMatch(flush.stdout + flush.stderr, /nothing appended/);
  assertEquals(await Deno.readTextFile(file), before, "the file as the edit left it");
});

Deno.test("a clone's record lost where its file was begun anew, under the RunID, agent and --started of another clone's record its pull brought: a run, not an edit; verify names it and flush --from appends it (review3-59)", async () => {
  const { root, env } = await repository();
  const started = "2026-02-22T10:15:00Z"; // a retried job's scheduled start, given to both
  assertEquals((await cli(root, env, ...emitArgs(DEL, "--started", started))).code, 0);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "X's record");
  const remote = join(await tempDir({ prefix: "runrec-journal-only-remote-" }), "r.git");
  await git(root, "clone", "-q", "--bare", root, remote);
  // Clone Y, on branch old (no record file), never saw X's record: its emit takes the same RunID.
  const y = join(await tempDir({ prefix: "runrec-journal-only-y-" }), "y");
  await git(root, "clone", "-q", "-b", "old", remote, y);
  const emitted = await cli(
    y,
    env,
    "emit",
    DEL,
    "--agent",
    "4_DOCUMENTS",
    "--status",
    "FAILED",
    "--started",
    started,
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  const lost = emitted.stdout.trim();
  await git(y, "checkout", "-f", "-q", "-b", "main", "origin/main"); // discards Y's new file
  const theirs = await Deno.readTextFile(join(y, DEL, RECORD_FILE));
  assert(theirs.includes(`${lost},`), "X's record holds the RunID Y's took");

  const verify = await cli(y, env, "verify", DEL);
  assertEquals(verify.code, 1, verify.stdout);
  assertMatch(verify.stdout, new RegExp(`${lost} is in no file, branch, tag or stash`));
  const flush = await cli(y, env, "flush", "--from", JOURNAL);
  assertEquals(flush.code, 0, flush.stderr);
  assertEquals((await recordsOf(join(y, DEL))).map((r) => r.RunStatus), ["SUCCESS", "FAILED"]);
  // Put back under the next free RunID: named no more, and not appended again.
  assertEquals((await cli(y, env, "verify", DEL)).code, 0);
  assertMatch((await cli(y, env, "flush", "--from", JOURNAL)).stdout, /nothing appended/);
  assertEquals((await recordsOf(join(y, DEL))).length, 2);
});

Deno.test("a record file cut in place inside a record after its append (its first or its last; zero bytes after the cut or none), another run appended since: verify names the run only the journal holds whole, and flush --from appends its line byte for byte, once, under its RunID (lead-60)", async () => {
  for (
    const { records, cutRecord, zeros } of [
      { records: 1, cutRecord: 1, zeros: 0 },
      { records: 2, cutRecord: 2, zeros: 0 },
      { records: 2, cutRecord: 2, zeros: 4096 },
    ]
  ) {
    const { root, env } = await repository();
    const file = join(root, DEL, RECORD_FILE);
    for (let i = 0; i < records; i++) {
      assertEquals((await cli(root, env, ...emitArgs(DEL))).code, 0);
    }
    const whole = (await Deno.readTextFile(file)).split("\n")[cutRecord];
    const lost = whole.split(",")[1];
    // Cut 100 bytes into its checksum's end, in place (same inode): a disk's or an editor's doing.
    const bytes = await Deno.readFile(file);
    const kept = bytes.subarray(0, bytes.length - 101);
    await Deno.writeFile(file, new Uint8Array([...kept, ...new Uint8Array(zeros)]));
    const label = `${records} records, record ${cutRecord} cut, ${zeros} zero bytes`;

    const named = new RegExp(
      `${lost} is in no file, branch, tag or stash, only in this work tree's journal .*the file ` +
        "holds its line cut short",
    );
    const verify = await cli(root, env, "verify", DEL);
    assertEquals(verify.code, 1, `${label}: ${verify.stdout}`);
    assertMatch(verify.stdout, named);
    // Another run appended since: the append puts nothing back, and verify still names it.
    if (zeros === 0) {
      assertEquals((await cli(root, env, ...emitArgs(DEL))).code, 0);
      const again = await cli(root, env, "verify", DEL);
      assertEquals(again.code, 1, `${label}: ${again.stdout}`);
      assertMatch(again.stdout, named);
    }
    const flush = await cli(root, env, "flush", "--from", JOURNAL);
    assertEquals(flush.code, 0, `${label}: ${flush.stderr}`);
    assertMatch(flush.stdout, new RegExp(`^${lost} {2}put back into `));
    const lines = (await Deno.readTextFile(file)).split("\n");
    assertEquals(lines.filter((line) => line === whole).length, 1, `${label}: its line, once`);
    const after = await cli(root, env, "verify", DEL);
    assertEquals(after.code, 0, `${label}: ${after.stdout}`);
    assertMatch(after.stdout + after.stderr, /torn record/); // the cut line is left, a warning
    assertMatch((await cli(root, env, "flush", "--from", JOURNAL)).stdout, /nothing appended/);
    const holding = (await Deno.readTextFile(file)).split("\n").filter((l) => l.includes(lost));
    assertEquals(holding.length, 2, `${label}: the cut line and the whole one, no third`);
  }
});

Deno.test("a record edited by hand through a new file (sed -i, an editor's save), in a folder git does not hold or in a git work tree: verify names the edit alone, and neither flush nor the next append puts the journal's original back as a second record of the run (newuser60, lead-60)", async () => {
  for (const inGit of [false, true]) {
    const { root } = await makeProject();
    const env = { TMPDIR: await tempDir({ prefix: "runrec-journal-only-tmp-" }) };
    if (inGit) {
      await git(root, "init", "-q", "-b", "main");
      await git(root, "add", "-A");
      await git(root, "commit", "-qm", "project");
    }
    const file = join(root, DEL, RECORD_FILE);
    for (let i = 0; i < 3; i++) assertEquals((await cli(root, env, ...emitArgs(DEL))).code, 0);
    const edited = (await Deno.readTextFile(file)).split("\n");
    const runId = edited[2].split(",")[1];
    edited[2] = edited[2].replace(",SUCCESS,", ",PARTIAL,");
    await Deno.writeTextFile(`${file}.new`, edited.join("\n"));
    await Deno.rename(`${file}.new`, file); // a new file in its place, as sed -i writes it
    const label = inGit ? "in a git work tree" : "in no git";

    const verify = await cli(root, env, "verify", DEL);
    assertEquals(verify.code, 1, label);
    assertMatch(verify.stdout, /:3: RecordChecksum does not match the line/);
    assert(!/took out of it/.test(verify.stderr), `${label}: ${verify.stderr}`);
    const flush = await cli(root, env, "flush", DEL);
    assertEquals(flush.code, 0, `${label}: ${flush.stderr}`);
    assert(!/put back/.test(flush.stdout), `${label}: ${flush.stdout}`);
    assertEquals((await cli(root, env, ...emitArgs(DEL))).code, 0);
    const lines = (await Deno.readTextFile(file)).split("\n").filter((l) => l !== "");
    assertEquals(lines.length, 5, `${label}: the header, three records and the last run's`);
    assertEquals(lines.filter((l) => l.includes("PARTIAL")).length, 1, label);
    assertEquals(lines.filter((l) => l.split(",")[5] === edited[2].split(",")[5]).length, 1);
    assertEquals(lines.filter((l) => l.includes(runId)).length, 1, `${label}: ${runId} once`);
  }
});

Deno.test("a record file changed in place after an append, at a line end (truncated there, its last record zero-filled, an older copy copied over it: the same file): verify names the run only the journal holds, and flush --from appends it once, saying why (damage60)", async () => {
  const IN_PLACE = "the file it was appended to lacks it now, changed in place since";
  const damages: [string, (bytes: Uint8Array, cut: number) => Uint8Array][] = [
    ["truncated at a line end", (bytes, cut) => bytes.subarray(0, cut)],
    // A crash on ext4 that kept the size and not the data: the last write's bytes read as zeros.
    [
      "zero-filled",
      (bytes, cut) =>
        new Uint8Array([...bytes.subarray(0, cut), ...new Uint8Array(bytes.length - cut)]),
    ],
    ["an older copy copied over it", (bytes) => bytes], // copied over below, as `cp` does
  ];
  for (const [label, damage] of damages) {
    const { root, env } = await repository();
    const file = join(root, DEL, RECORD_FILE);
    assertEquals((await cli(root, env, ...emitArgs(DEL))).code, 0);
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "first record");
    const before = await Deno.readFile(file);
    const lost = (await cli(root, env, ...emitArgs(DEL))).stdout.trim();
    const whole = (await Deno.readTextFile(file)).split("\n")[2];
    const bytes = await Deno.readFile(file);
    const { ino } = await Deno.stat(file);
    // In place: the same inode, as `cp OLD RunRecords.csv` or a disk's loss leaves it.
    await Deno.writeFile(file, damage(bytes, before.length));
    if (label.includes("copied")) {
      await Deno.writeFile(`${file}.old`, before);
      await Deno.copyFile(`${file}.old`, file);
      await Deno.remove(`${file}.old`);
    }
    assertEquals((await Deno.stat(file)).ino, ino, label);

    const verify = await cli(root, env, "verify", DEL);
    assertEquals(verify.code, 1, `${label}: ${verify.stdout}`); // was 0: lost in silence
    assertMatch(
      verify.stdout,
      new RegExp(`${lost} is in no file, branch, tag or stash.*${IN_PLACE}`),
    );
    // The next append puts nothing back (the file is the one the line went to) nor takes its SEQ.
    const next = (await cli(root, env, ...emitArgs(DEL))).stdout.trim();
    assert(next > lost, `${label}: ${next} after ${lost}`);
    assertMatch((await cli(root, env, "verify", DEL)).stdout, new RegExp(`${lost} is in no file`));
    const flush = await cli(root, env, "flush", "--from", JOURNAL);
    assertEquals(flush.code, 0, `${label}: ${flush.stderr}`);
    // Said as it was: no git command dropped it.
    assertEquals(
      flush.stdout.split(": ")[0],
      `${lost}  put back into ${join(DEL, RECORD_FILE)} from its journal`,
    );
    assertMatch(flush.stdout, new RegExp(`: ${IN_PLACE}`));
    const lines = (await Deno.readTextFile(file)).split("\n");
    assertEquals(lines.filter((line) => line === whole).length, 1, `${label}: its line, once`);
    assertEquals((await cli(root, env, "verify", DEL)).code, 0, label);
    assertMatch((await cli(root, env, "flush", "--from", JOURNAL)).stdout, /nothing appended/);
    if (label.includes("truncated")) {
      // git's version in its place now: the next append (or flush) puts back the two records it
      // lacks, each once, though the journal notes the put-back line twice (appended, put back).
      await git(root, "checkout", "--", join(DEL, RECORD_FILE));
      const verified = await cli(root, env, "verify", DEL);
      assertMatch(verified.stderr, new RegExp(`2 record\\(s\\) .*: ${lost}, ${next};`));
      assertEquals((await cli(root, env, "flush", DEL)).code, 0);
      const back = (await Deno.readTextFile(file)).split("\n");
      assertEquals(back.filter((line) => line === whole).length, 1, `${label}: once again`);
      assertEquals((await recordsOf(join(root, DEL))).length, 3);
    }
  }
  // Not so a record edited in place, its RunID and start too (the checksum broken): an edit,
  // which verify names as one; flush --from would record the run twice.
  const { root, env } = await repository();
  const file = join(root, DEL, RECORD_FILE);
  const ran = (await cli(root, env, ...emitArgs(DEL))).stdout.trim();
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, text.replace(`${ran.slice(0, -3)}001`, `${ran.slice(0, -3)}009`));
  const edited = await cli(root, env, "verify", DEL);
  assertEquals(edited.code, 1, edited.stdout);
  assertMatch(edited.stdout, /:2: RecordChecksum does not match the line/);
  assert(!edited.stdout.includes("is in no file"), edited.stdout);
  assertMatch((await cli(root, env, "flush", "--from", JOURNAL)).stdout, /nothing appended/);
  // Nor when git replaced the edited file since (stash and pop: another file, the same bytes):
  // the next append put the original back beside the edit, the run twice (review3-60).
  const again = await repository();
  const path = join(again.root, DEL, RECORD_FILE);
  await cli(again.root, again.env, ...emitArgs(DEL));
  await git(again.root, "add", "-A");
  await git(again.root, "commit", "-qm", "first record");
  const second = (await cli(again.root, again.env, ...emitArgs(DEL))).stdout.trim();
  const original = (await Deno.readTextFile(path)).split("\n")[2];
  await Deno.writeTextFile(path, (await Deno.readTextFile(path)).replace(second, `${second}9`));
  await git(again.root, "stash");
  await git(again.root, "stash", "pop");
  const stashed = await cli(again.root, again.env, "verify", DEL);
  assert(!stashed.stderr.includes(second), stashed.stderr); // was: "took out of it … <second>"
  assertEquals((await cli(again.root, again.env, ...emitArgs(DEL))).code, 0);
  assert(!(await Deno.readTextFile(path)).includes(original), "the run put back beside its edit");
});
