/**
 * A record only the journal holds (SCHEMA.md 7.1), once appended by the
 * command `verify` names for it, is named no more, on any branch: `runrec
 * flush --from` of the journal on the branch it was appended on (as the
 * message asks) appends it there, even where that branch has no record file
 * (where `verify` names it too), and back on the other branch it is not named
 * again (a second `flush --from` there would record the run twice). A record
 * `git stash -u` took is not named: the stash holds it. Real git
 * repositories, branches, checkouts and stashes; runrec as real processes.
 *
 * ```sh
 * deno test -A tests/journal_replayed_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals, assertMatch } from "./assert.ts";
import { emitArgs, runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { recordsOf } from "./support/runs.ts";
import { DEL, JOURNAL, lostOnOld } from "./support/journal_lost.ts";
import { RECORD_FILE } from "../src/deliverable.ts";

/** What `flush --from` of the journal says of a record it put back. */
const PUT_BACK = `put back into ${join(DEL, RECORD_FILE)} from its journal: `;

/** `lostOnOld()`, checked: on main, verify names the record with "git checkout old first". */
async function namedOnMain() {
  const lostRun = await lostOnOld();
  const verify = await lostRun.cli("verify", DEL);
  assertEquals(verify.code, 1, verify.stdout);
  assertMatch(verify.stdout, new RegExp(`${lostRun.lost} .*\\(git checkout old first`));
  return lostRun;
}

/** Runs the CLI in `root`, with `env`. */
function cli(root: string, env: Record<string, string>, ...args: string[]) {
  return runCliProcess(args, undefined, env, root);
}

/** The RunID of `del`'s records, in file order. */
async function runIds(del: string): Promise<string[]> {
  return (await recordsOf(del)).map((r) => r.RunID);
}

Deno.test("a record only the journal holds, named with 'git checkout old first': on old, which has no record file, flush --from of the journal appends it there, and back on main it is named no more", async () => {
  const { root, env, first, lost } = await namedOnMain();
  const del = join(root, DEL);
  await git(root, "checkout", "-q", "old"); // as the message says: old has no RunRecords.csv
  const verify = await cli(root, env, "verify", DEL);
  assertEquals(verify.code, 1, verify.stdout);
  assertMatch(verify.stdout, new RegExp(`${lost} is in no file, branch, tag or stash`));
  assertMatch(verify.stdout, /FAILED: no RunRecords.csv, 1 error\n$/);
  const json = JSON.parse((await cli(root, env, "verify", DEL, "--json")).stdout);
  assertEquals(json.journalOnly.map((j: { runId: string }) => j.runId), [lost]);
  assertEquals([json.files[0].exists, json.files[0].ok, json.ok], [false, false, false]);
  const onOld = await cli(root, env, "flush", DEL);
  assertEquals(onOld.code, 1, onOld.stderr);
  assertMatch(onOld.stderr, new RegExp(`${lost} is in no file, branch, tag or stash`));
  const restore = await cli(root, env, "flush", "--from", JOURNAL);
  // Why it was in the journal only, not "which a git command had dropped": none did here (damage60).
  assertEquals(
    [restore.code, restore.stdout],
    [
      0,
      `${lost}  ${PUT_BACK}the RunRecords.csv it was appended to is gone, and none is here now\n`,
    ],
    restore.stderr,
  );
  assertEquals(await runIds(del), [lost]);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "the lost record, on old");
  await git(root, "checkout", "-q", "main");
  const onMain = await cli(root, env, "verify", DEL);
  assertEquals(onMain.code, 0, onMain.stdout);
  const again = await cli(root, env, "flush", "--from", JOURNAL);
  assertEquals(again.code, 0, again.stderr);
  assertMatch(again.stdout, /no record only this journal holds/);
  assertEquals(await runIds(del), [first]);
});

Deno.test("a record only the journal holds, appended by flush --from on the branch it was appended on and committed there, is held by that branch: on main, verify passes and flush --from appends nothing (it was recorded twice)", async () => {
  const { root, env, first, lost } = await namedOnMain();
  const del = join(root, DEL);
  await git(root, "checkout", "-q", "old");
  const next = (await cli(root, env, ...emitArgs(DEL))).stdout.trim(); // begins old's file
  const restore = await cli(root, env, "flush", "--from", JOURNAL);
  assertEquals(
    restore.stdout,
    `${lost}  ${PUT_BACK}it began a RunRecords.csv that is gone since, and the file here now was ` +
      "begun anew (a file begun anew holds no record of git's, so the next append does not put " +
      "it back)\n",
  );
  assertEquals(await runIds(del), [next, lost]);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "records on old");
  await git(root, "checkout", "-q", "main");
  const verify = await cli(root, env, "verify", DEL);
  assertEquals(verify.code, 0, verify.stdout);
  const again = await cli(root, env, "flush", "--from", JOURNAL);
  assertEquals(again.code, 0, again.stderr);
  assertMatch(again.stdout, /no record only this journal holds/);
  assertEquals(await runIds(del), [first]);
});

Deno.test("a deliverable's first records, in a file git did not track, taken by git stash -u: flush names none as only in the journal (the stash's third parent holds them), and git stash pop brings them back", async () => {
  const { root } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-journal-replayed-tmp-" }) };
  await git(root, "init", "-q", "-b", "main");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "project");
  const del = join(root, DEL);
  const stashed = (await cli(root, env, ...emitArgs(DEL))).stdout.trim();
  await git(root, "stash", "-q", "-u");
  const flush = await cli(root, env, "flush", DEL, "--json");
  assertEquals(JSON.parse(flush.stdout).journalOnly, [], flush.stdout);
  assertEquals(flush.code, 0, flush.stderr);
  await git(root, "stash", "pop", "-q");
  assertEquals(await runIds(del), [stashed]);
  assertEquals((await cli(root, env, "verify", DEL)).code, 0);
});
