/**
 * What the items of stop 53's leftovers left wrong, tried through the CLI: a supersede made
 * before a put-back renumbered both runs it names. Real git repositories, a clone and a pull
 * with `merge=union`, runrec as real processes.
 *
 * ```sh
 * deno test -A tests/review2_53_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { git, tempDir } from "./fixtures.ts";
import { DEL, detachedAfterOld, supersededThenRenumbered } from "./support/journal_lost.ts";

Deno.test("a supersede made before a put-back renumbered both runs: show, log, show --json, export --format prov and annotate's refusal name the superseding run by the RunID it has now, not the other clone's record that holds its old one (review2-53 F1)", async () => {
  const { run, older, newer, olderWas, newerWas } = await supersededThenRenumbered();
  // Was: "SUPERSEDED by <newerWas>", "supersedes <olderWas>": THEIRS's records now.
  const shownOlder = await run("show", DEL, older.RunID);
  assertIncludes(shownOlder.stdout, `SUPERSEDED by ${newer.RunID} (was ${newerWas.RunID})`);
  const shownNewer = await run("show", DEL, newer.RunID);
  assertIncludes(shownNewer.stdout, `supersedes ${older.RunID} (was ${olderWas.RunID})`);
  const json = JSON.parse((await run("show", DEL, older.RunID, "--json")).stdout);
  assertEquals(json.supersededBy, [newer.RunID]);
  const log = await run("log", DEL);
  const row = log.stdout.split("\n").find((line) => line.startsWith(`${older.RunID} `))!;
  assertIncludes(row, `SUPERSEDED by ${newer.RunID} (was ${newerWas.RunID})`);
  // PROV links the superseding run's activity, not THEIRS's.
  const prov = JSON.parse((await run("export", DEL, "--format", "prov")).stdout);
  const activities = prov.activity as Record<string, Record<string, unknown>>;
  const activityOf = (runId: string) =>
    Object.keys(activities).find((key) => activities[key]["runrec:RunID"] === runId);
  const links = activities[activityOf(older.RunID)!]["runrec:supersededBy"];
  assertIncludes(JSON.stringify(links), activityOf(newer.RunID)!);
  const again = await run("annotate", DEL, newer.RunID, "--supersedes", older.RunID, "--note", "x");
  assertEquals(again.code, 2, again.stderr);
  assertIncludes(
    again.stderr,
    `${older.RunID} is already superseded by ${newer.RunID} (was ${newerWas.RunID})`,
  );
});

Deno.test("a detached HEAD's line left unheld: the reflog's commits searched for it are those made here, not each one HEAD was checked out at since (a reused CI workspace), and the line is still named with the commit to check out (review2-53 F2)", async () => {
  const made = await detachedAfterOld();
  const { root, detached } = made;
  const appendedAt = made.appendedAt.slice(0, 12);
  // A job's checkout of a commit made elsewhere (no ref holds it here), as CI's fetch and
  // checkout of the commit to build; then another line's.
  const tree = (await git(root, "rev-parse", "main^{tree}")).trim();
  const elsewhere = (await git(root, "commit-tree", "-p", "main", "-m", "a job's", tree)).trim();
  await git(root, "checkout", "-f", "-q", "--detach", elsewhere);
  await git(root, "checkout", "-f", "-q", "old");
  const trace = join(await tempDir({ prefix: "runrec-review2-53-trace-" }), "git.trace");
  const verify = await runCliProcess(["verify", DEL], undefined, { GIT_TRACE: trace }, root);
  assertEquals(verify.code, 1, verify.stdout);
  assertIncludes(verify.stdout, `${detached} is in no file, branch, tag or stash`);
  assertIncludes(verify.stdout, `git checkout ${appendedAt} first`);
  // Was: `git grep … <elsewhere> …`, each commit checked out since read whole.
  const greps = (await Deno.readTextFile(trace)).split("\n").filter((l) => l.includes(" grep "));
  assert(greps.length > 0, "git grep traced");
  assertEquals(greps.filter((l) => l.includes(elsewhere)), []);
});
