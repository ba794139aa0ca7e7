/**
 * `runrec flush --from` of a journal puts back a record only the journal
 * holds as an append puts back a line git dropped (SCHEMA.md 7.1): byte for
 * byte, or, when another record now holds its RunID (another clone's record
 * of that minute, brought by a pull), under the next free SEQ with a note
 * naming the RunID it had; each once. A saved lost-record line in the same
 * case is appended under the next free SEQ. Real git repositories, a clone, a
 * pull with `merge=union`, runrec as real processes.
 *
 * ```sh
 * deno test -A tests/journal_renumber_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { recordsOf, RUNREC } from "./support/runs.ts";
import { spawnHeld } from "./support/held.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { renumberedNote } from "../src/record_limits.ts";

const DEL = join("PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
const JOURNAL = join(DEL, ".runrec", `${RECORD_FILE}.journal`);

/** The arguments of an emit of `agent`'s successful run into the deliverable. */
function emitArgs(agent: string, ...extra: string[]): string[] {
  return ["emit", DEL, "--agent", agent, "--status", "SUCCESS", ...extra];
}

/** Runs the CLI in `cwd`, with `env`. */
function cli(cwd: string, env: Record<string, string>, ...args: string[]) {
  return runCliProcess(args, undefined, env, cwd);
}

/**
 * An upstream repository whose RunRecords.csv git merges as a union, its main holding one
 * record (of a minute long past, so of none the test's records take) and its first commit also
 * branch `old` (no record file), and a clone of it.
 */
async function clones(): Promise<{ up: string; local: string; env: Record<string, string> }> {
  const { root: up } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-journal-renumber-tmp-" }) };
  await Deno.writeTextFile(join(up, ".gitattributes"), `${RECORD_FILE} merge=union\n`);
  await git(up, "init", "-q", "-b", "main");
  await git(up, "add", "-A");
  await git(up, "commit", "-qm", "project");
  await git(up, "branch", "old");
  const first = emitArgs("FIRST", "--started", "2026-03-01T09:00:00Z", "--duration", "1s");
  const emitted = await cli(up, env, ...first);
  assertEquals(emitted.code, 0, emitted.stderr);
  await git(up, "add", "-A");
  await git(up, "commit", "-qm", "first record");
  const local = join(await tempDir({ prefix: "runrec-journal-renumber-" }), "local");
  await git(up, "clone", "-q", up, local);
  return { up, local, env };
}

/**
 * In `local`: a record by OURS (with `notes`) appended on branch `old`, which lacks the record
 * file, so into a file of its own that `git checkout -f main` discards: in the journal only.
 * Returns its RunID and start.
 */
async function recordOnlyJournalHolds(
  local: string,
  env: Record<string, string>,
  notes?: string,
): Promise<{ runId: string; started: string }> {
  await git(local, "checkout", "-q", "old");
  const extra = notes === undefined ? [] : ["--notes", notes];
  const emitted = await cli(local, env, ...emitArgs("OURS", ...extra));
  assertEquals(emitted.code, 0, emitted.stderr);
  const [record] = await recordsOf(join(local, DEL));
  await git(local, "checkout", "-f", "-q", "main");
  return { runId: emitted.stdout.trim(), started: record.RunTimestamp };
}

/**
 * Upstream, a record by THEIRS (with `notes`) of the minute `started` is in, committed; pulled
 * into `local`, where git merges RunRecords.csv as a union. Returns its RunID.
 */
async function theirsPulled(
  { up, local, env }: { up: string; local: string; env: Record<string, string> },
  started: string,
  notes?: string,
): Promise<string> {
  const extra = notes === undefined ? [] : ["--notes", notes];
  const emitted = await cli(
    up,
    env,
    ...emitArgs("THEIRS", "--started", started, "--duration", "0s", ...extra),
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  await git(up, "commit", "-qam", "their record");
  await git(local, "pull", "-q", "--no-rebase");
  return emitted.stdout.trim();
}

/** The RunID, agent and Notes of `del`'s records, in file order. */
async function records(del: string): Promise<string[][]> {
  return (await recordsOf(del)).map((r) => [r.RunID, r.AgentName, r.Notes]);
}

/** The next SEQ's RunID after `runId`. */
function nextOf(runId: string): string {
  const seq = Number(runId.slice(runId.lastIndexOf("-") + 1)) + 1;
  return `${runId.slice(0, runId.lastIndexOf("-") + 1)}${String(seq).padStart(3, "0")}`;
}

Deno.test("a record only the journal holds, whose RunID another clone's record pulled since holds: flush --from puts it back under the next SEQ with a note naming its RunID, once", async () => {
  const repos = await clones();
  const { local, env } = repos;
  const del = join(local, DEL);
  const ours = await recordOnlyJournalHolds(local, env, "our pass");
  const theirs = await theirsPulled(repos, ours.started, "their pass");
  assertEquals(theirs, ours.runId, "one RunID in both clones: the same minute, each its first");

  const verify = await cli(local, env, "verify", DEL);
  assertEquals(verify.code, 1, verify.stdout);
  assertMatch(verify.stdout, new RegExp(`${ours.runId} is in no file, branch, tag or stash`));
  // The command named puts it back, as an append puts back a line git dropped.
  const restore = await cli(local, env, "flush", "--from", JOURNAL);
  assertEquals(restore.code, 0, restore.stderr); // was 1: "RunID … is already in the file"
  const renumbered = nextOf(ours.runId);
  assertEquals(
    restore.stdout,
    `${ours.runId} as ${renumbered}  put back into ${join(DEL, RECORD_FILE)} from its journal: ` +
      "it was appended on branch old, into a RunRecords.csv that branch did not track (git " +
      "checkout -f discards such a file), so no append puts it back\n",
  );
  const after = [
    ["THEIRS", theirs, "their pass"],
    ["OURS", renumbered, `our pass | ${renumberedNote(ours.runId)}`],
  ];
  const expected = (rows: string[][]) => rows.map(([agent, id, notes]) => [id, agent, notes]);
  assertEquals((await records(del)).slice(1), expected(after));
  const checked = await cli(local, env, "verify", DEL);
  assertEquals(checked.code, 0, checked.stdout);
  assertEquals((await cli(local, env, "flush", DEL)).code, 0);

  // Again: nothing left, nothing appended; nor by the next append (the put-back knows it).
  const again = await cli(local, env, "flush", "--from", JOURNAL);
  assertEquals(again.code, 0, again.stderr);
  assertMatch(again.stdout, /no record only this journal holds/);
  const next = await cli(local, env, ...emitArgs("NEXT"));
  assertEquals(next.code, 0, next.stderr);
  const rows = await records(del);
  assertEquals(rows.slice(1, 3), expected(after));
  assertEquals(rows.map((r) => r[1]), ["FIRST", "THEIRS", "OURS", "NEXT"]);

  // Taken out by git reset --hard, it is put back by the next append as any line appended.
  await git(local, "reset", "-q", "--hard");
  assertEquals((await records(del)).map((r) => r[1]), ["FIRST", "THEIRS"]);
  const flushed = await cli(local, env, "flush", DEL);
  assertEquals(flushed.code, 0, flushed.stderr);
  assertEquals((await records(del)).map((r) => r[0]), [
    rows[0][0],
    theirs,
    renumbered,
    rows[3][0],
  ]);
});

Deno.test("a record only the journal holds with no Notes, whose RunID another clone's record pulled since holds, is named and put back: never taken for that record", async () => {
  const repos = await clones();
  const { local, env } = repos;
  const del = join(local, DEL);
  const ours = await recordOnlyJournalHolds(local, env);
  const theirs = await theirsPulled(repos, ours.started);
  assertEquals(theirs, ours.runId);
  // Its Notes, "", begin every record's: it was taken for the other record, appended again from
  // the journal, and named by nothing (verify exit 0, the run lost in silence).
  const verify = await cli(local, env, "verify", DEL);
  assertEquals(verify.code, 1, verify.stdout);
  assertMatch(verify.stdout, new RegExp(`${ours.runId} is in no file, branch, tag or stash`));
  const restore = await cli(local, env, "flush", "--from", JOURNAL);
  assertEquals(restore.code, 0, restore.stderr);
  assertEquals((await records(del)).slice(1), [
    [theirs, "THEIRS", (await records(del))[1][2]],
    [nextOf(ours.runId), "OURS", renumberedNote(ours.runId)],
  ]);
  assertEquals((await cli(local, env, "verify", DEL)).code, 0);
});

Deno.test("two flush --from of one journal at once put a record only it holds back once: as it is, or under the next SEQ", async () => {
  for (const taken of [false, true]) {
    const repos = await clones();
    const { local, env } = repos;
    const del = join(local, DEL);
    const ours = await recordOnlyJournalHolds(local, env, "our pass");
    if (taken) await theirsPulled(repos, ours.started, "their pass");
    const agents = taken ? ["FIRST", "THEIRS", "OURS"] : ["FIRST", "OURS"];
    const putBackAs = taken ? nextOf(ours.runId) : ours.runId;
    // The second held as it first tries the lock, the record only the journal holds found; the
    // first, run meanwhile, puts it back; the second, let go, takes the lock and finds it there.
    const file = join(local, DEL, RECORD_FILE);
    const second = await spawnHeld([...RUNREC, "flush", "--from", JOURNAL], {
      calls: "openat",
      path: `${file}.lock`,
      cwd: local,
      env,
      stdout: "piped",
    });
    await second.held(1, "the second flush --from at its first try of the lock");
    const first = await cli(local, env, "flush", "--from", JOURNAL);
    assertEquals(first.code, 0, first.stderr);
    const as = taken ? ` as ${putBackAs}` : "";
    assertMatch(first.stdout, new RegExp(`^${ours.runId}${as} {2}put back into`));
    await second.release();
    const { code, stdout, stderr } = await second.child.output();
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    assertEquals(code, 0, text(stderr));
    assertEquals(
      text(stdout),
      `${putBackAs}  lost record ${JOURNAL} is already in its file; nothing appended\n`,
    );
    assertEquals((await records(del)).map((r) => r[1]), agents, taken ? "taken" : "free");
  }
});

Deno.test("a saved lost-record line of a minute another clone's record pulled since has is appended under the next SEQ, once", async () => {
  const repos = await clones();
  const { local, env } = repos;
  const del = join(local, DEL);
  // The lock path a folder (refused at once), the spool folders under a file: neither written
  // nor spooled, the record is printed as a lost-record line, and saved.
  await Deno.mkdir(join(del, `${RECORD_FILE}.lock`));
  await Deno.writeTextFile(join(del, ".runrec-spool"), "");
  const blocker = join(env.TMPDIR, "a-file");
  await Deno.writeTextFile(blocker, "");
  const blocked = { TMPDIR: blocker, RUNREC_SPOOL_DIR: join(blocker, "spool") };
  const lost = await cli(local, blocked, ...emitArgs("LOST", "--json"));
  assertEquals(lost.code, 0, lost.stderr);
  const { lostRecord } = JSON.parse(lost.stdout);
  assert(lostRecord.startsWith("runrec: lost-record: {"), lost.stdout);
  const saved = join(env.TMPDIR, "orchestrator.log");
  await Deno.writeTextFile(saved, `${lostRecord}\n`);
  await Deno.remove(join(del, `${RECORD_FILE}.lock`));
  await Deno.remove(join(del, ".runrec-spool"));
  const started = JSON.parse(lostRecord.slice(lostRecord.indexOf("{"))).draft.RunTimestamp;
  const theirs = await theirsPulled(repos, started, "their pass");

  const first = await cli(local, env, "flush", "--from", saved);
  assertEquals(first.code, 0, first.stderr);
  assertEquals(first.stdout, `${nextOf(theirs)}  replayed into DEL-01-02\n`);
  const second = await cli(local, env, "flush", "--from", saved);
  assertEquals(second.code, 0, second.stderr);
  assertMatch(second.stdout, /is already in its file; nothing appended/);
  assertEquals((await records(del)).map((r) => r.slice(0, 2)).slice(1), [
    [theirs, "THEIRS"],
    [nextOf(theirs), "LOST"],
  ]);
  assertEquals((await cli(local, env, "verify", DEL)).code, 0);
});
