/**
 * A linked work tree's journal outlives the work tree, as git's branch reflogs do: a record a
 * git command dropped there before `git worktree remove` is named in the other work trees, with
 * `flush --from` of the journal the common git folder kept. `verify .` reads the journal of a
 * folder whose RunRecords.csv a checkout took; a detached HEAD's record committed there is not
 * put back beside that commit once HEAD is at the append's commit again. Real git repositories,
 * work trees, resets and checkouts; runrec as real processes.
 *
 * ```sh
 * deno test -A tests/worktree54_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { cli, DEL, KEPT, repository, workTree } from "./support/work_tree_project.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { emitArgs } from "./cli.ts";
import { git } from "./fixtures.ts";
import { recordsOf } from "./support/runs.ts";
import { RECORD_FILE } from "../src/deliverable.ts";

/** The RunIDs of `del`'s records, in file order. */
async function runIds(del: string): Promise<string[]> {
  return (await recordsOf(del)).map((r) => r.RunID);
}

/** The journals the common git folder of `root` keeps for `del`, relative to `root`. */
async function keptJournals(root: string, del = DEL): Promise<string[]> {
  const found: string[] = [];
  for await (const tree of Deno.readDir(join(root, KEPT))) {
    const path = join(KEPT, tree.name, del, `${RECORD_FILE}.journal`);
    if (await Deno.stat(join(root, path)).then(() => true, () => false)) found.push(path);
  }
  return found;
}

Deno.test("a record a git reset --hard dropped in a linked work tree, the work tree then removed (git worktree remove --force): verify in the main work tree names it with flush --from of the journal the common git folder kept; refused on main, put back once on its branch", async () => {
  const { root, env } = await repository();
  const wt = await workTree(root, "-b", "feat");
  const lost = (await cli(wt, env, ...emitArgs(DEL))).stdout.trim();
  await git(wt, "reset", "-q", "--hard");
  assert(!(await runIds(join(wt, DEL))).includes(lost));
  await git(root, "worktree", "remove", "--force", wt);

  const [kept] = await keptJournals(root);
  assert(kept !== undefined, "the common git folder keeps the work tree's journal");
  const verify = await cli(root, env, "verify", DEL);
  assertEquals(verify.code, 1, verify.stdout + verify.stderr);
  assertMatch(
    verify.stdout,
    new RegExp(
      `${lost} is in no file, branch, tag or stash, only in the journal the work tree ` +
        `${wt.replaceAll(".", "\\.")}, removed since, left in the common git folder .*: it was ` +
        "appended in that work tree on branch feat, whose RunRecords.csv lacks it, so no append " +
        "puts it back; git checkout feat first to record it on that branch: there runrec " +
        `flush --from \\S+${kept.slice(KEPT.length).replaceAll(".", "\\.")} appends it`,
    ),
  );
  assertEquals((await cli(root, env, "verify", ".")).code, 1); // a root's verify names it too
  assertMatch((await cli(root, env, "flush", DEL)).stderr, new RegExp(`${lost} is in no file`));
  const show = await cli(root, env, "show", DEL, lost);
  assertEquals(show.code, 1, show.stdout + show.stderr);
  assertMatch(
    show.stderr,
    new RegExp(`${lost} is in no file, .*only in the journal the work tree`),
  );

  // Another line of history's run: refused on main, the file untouched.
  const before = await Deno.readTextFile(join(root, DEL, RECORD_FILE));
  const onMain = await cli(root, env, "flush", "--from", kept);
  assertEquals(onMain.code, 1, onMain.stdout + onMain.stderr);
  assertMatch(onMain.stderr, /not put back here: .*git checkout feat first/);
  assertEquals(await Deno.readTextFile(join(root, DEL, RECORD_FILE)), before);

  await git(root, "checkout", "-q", "feat");
  const restore = await cli(root, env, "flush", "--from", kept);
  assertEquals(restore.code, 0, restore.stderr);
  assertMatch(restore.stdout, new RegExp(`^${lost}  put back into `));
  assertEquals((await runIds(join(root, DEL))).slice(1), [lost]);
  assertEquals((await cli(root, env, "verify", ".")).code, 0);
  const again = await cli(root, env, "flush", "--from", kept);
  assertMatch(again.stdout, /no record only this journal holds/);
  assertEquals((await runIds(join(root, DEL))).slice(1), [lost]);
});

Deno.test("a record dropped in a work tree added at a detached HEAD, removed since: flush --from of its kept journal appends it in the main work tree at that commit; one committed on the work tree's branch is named nowhere", async () => {
  const { root, env } = await repository();
  const detached = await workTree(root, "--detach");
  const lost = (await cli(detached, env, ...emitArgs(DEL))).stdout.trim();
  await git(detached, "checkout", "-q", "-f", "HEAD");
  const committed = await workTree(root, "-b", "done");
  const kept = (await cli(committed, env, ...emitArgs(DEL))).stdout.trim();
  await git(committed, "commit", "-qam", "recorded");
  await git(root, "worktree", "remove", "--force", detached);
  await git(root, "worktree", "remove", committed);

  const verify = await cli(root, env, "verify", DEL);
  assertEquals(verify.code, 1, verify.stdout + verify.stderr);
  assertMatch(verify.stdout, new RegExp(`${lost} is in no file.*runrec flush --from \\S+ appends`));
  assert(!verify.stdout.includes(kept), verify.stdout); // branch done holds it
  const [journal] = (await keptJournals(root)).filter((path) =>
    Deno.readTextFileSync(join(root, path)).includes(lost)
  );
  const restore = await cli(root, env, "flush", "--from", journal);
  assertEquals(restore.code, 0, restore.stderr);
  assertEquals((await runIds(join(root, DEL))).slice(1), [lost]);
  assertEquals((await cli(root, env, "verify", DEL)).code, 0);
});

Deno.test("a linked work tree's journal an older runrec wrote (no copy kept) is kept whole at the work tree's next append: both records a reset then dropped are named once the work tree is removed", async () => {
  const { root, env } = await repository();
  const wt = await workTree(root, "-b", "feat");
  const older = (await cli(wt, env, ...emitArgs(DEL))).stdout.trim();
  await Deno.remove(join(root, KEPT), { recursive: true }); // as a runrec that kept none left it
  const newer = (await cli(wt, env, ...emitArgs(DEL))).stdout.trim();
  await git(wt, "reset", "-q", "--hard");
  await git(root, "worktree", "remove", "--force", wt);
  const verify = await cli(root, env, "verify", DEL, "--json");
  assertEquals(verify.code, 1, verify.stdout + verify.stderr);
  const named = JSON.parse(verify.stdout).journalOnly.map((j: { runId: string }) => j.runId);
  assertEquals(named, [older, newer]);
});

Deno.test("verify . and flush . name a record only the journal holds of a folder whose RunRecords.csv a checkout took (the branch lacks the folder), and says nothing of such a folder whose records are held", async () => {
  const { root, env } = await repository();
  const two = join("PKG-01_Pkg", "1_Working", "DEL-01-03_Two");
  await Deno.mkdir(join(root, two), { recursive: true });
  await Deno.writeTextFile(join(root, two, "_CONTEXT.md"), "**DeliverableID:** DEL-01-03\n");
  assertEquals((await cli(root, env, ...emitArgs(two))).code, 0);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "second deliverable");
  await git(root, "checkout", "-q", "-b", "without");
  await git(root, "rm", "-rq", two);
  await git(root, "commit", "-qm", "drop the second deliverable");
  await git(root, "checkout", "-q", "main");
  assertEquals((await cli(root, env, "verify", ".")).code, 0);
  await git(root, "checkout", "-q", "without"); // held by main: nothing to say
  const quiet = await cli(root, env, "verify", ".");
  assertEquals(quiet.code, 0, quiet.stdout);
  assert(!quiet.stdout.includes("DEL-01-03"), quiet.stdout);

  await git(root, "checkout", "-q", "--detach", "main");
  const lost = (await cli(root, env, ...emitArgs(two))).stdout.trim();
  await git(root, "checkout", "-q", "-f", "without"); // takes the folder's files, the line too
  assertEquals(await Deno.stat(join(root, two, RECORD_FILE)).catch(() => "gone"), "gone");
  const verify = await cli(root, env, "verify", ".");
  assertEquals(verify.code, 1, verify.stdout + verify.stderr);
  assertMatch(verify.stdout, new RegExp(`DEL-01-03_Two/RunRecords.csv: ${lost} is in no file`));
  assertMatch(verify.stdout, /DEL-01-03_Two\/RunRecords\.csv: FAILED: no RunRecords\.csv, 1 error/);
  const json = JSON.parse((await cli(root, env, "verify", ".", "--json")).stdout);
  assertEquals(json.journalOnly.map((j: { runId: string }) => j.runId), [lost]);
  const flush = await cli(root, env, "flush", ".");
  assertEquals(flush.code, 1, flush.stdout + flush.stderr);
  assertMatch(flush.stderr, new RegExp(`${lost} is in no file`));
});

Deno.test("a record appended at a detached HEAD and committed there, HEAD then at the append's commit again: the next append does not put it back beside that commit, and verify names the commit holding it", async () => {
  const { root, env } = await repository();
  const del = join(root, DEL);
  await git(root, "checkout", "-q", "--detach");
  const made = (await cli(root, env, ...emitArgs(DEL))).stdout.trim();
  await git(root, "commit", "-qam", "recorded at a detached HEAD");
  const commit = (await git(root, "rev-parse", "HEAD")).trim();
  await git(root, "checkout", "-q", "main");
  await git(root, "checkout", "-q", "--detach", "main"); // the commit the line was appended at

  const verify = await cli(root, env, "verify", DEL);
  assertEquals(verify.code, 1, verify.stdout + verify.stderr);
  assertMatch(
    verify.stdout,
    new RegExp(
      `${made} is in no file, branch, tag or stash, only in commit ${commit.slice(0, 12)}`,
    ),
  );
  const next = (await cli(root, env, ...emitArgs(DEL))).stdout.trim();
  assertEquals((await runIds(del)).slice(1), [next]);
  await git(root, "checkout", "-q", "-b", "at-append", "main"); // a branch there: the same
  assertEquals((await cli(root, env, ...emitArgs(DEL))).code, 0);
  assert(!(await runIds(del)).includes(made));
  // Kept on a branch as the message says: held, nothing named.
  await git(root, "branch", `kept-${made}`, commit);
  assertEquals((await cli(root, env, "verify", DEL)).code, 0);
});

Deno.test("a record of a branch deleted before the record was committed is named as appended on a branch that is gone, and flush --from of the journal appends it to the file checked out", async () => {
  const { root, env } = await repository();
  const del = join(root, DEL);
  await git(root, "checkout", "-q", "-b", "trial");
  await git(root, "commit", "-q", "--allow-empty", "-m", "trial begins");
  const trial = (await cli(root, env, ...emitArgs(DEL))).stdout.trim();
  await git(root, "checkout", "-q", "-f", "main");
  await git(root, "branch", "-q", "-D", "trial");
  const verify = await cli(root, env, "verify", DEL);
  assertEquals(verify.code, 1, verify.stdout);
  assertMatch(verify.stdout, new RegExp(`${trial} .*appended on branch trial, which is gone`));
  const restore = await cli(
    root,
    env,
    "flush",
    "--from",
    join(DEL, ".runrec", `${RECORD_FILE}.journal`),
  );
  assertEquals(restore.code, 0, restore.stderr);
  assertEquals((await runIds(del)).slice(1), [trial]);
  assertEquals((await cli(root, env, "verify", DEL)).code, 0);
});

Deno.test("the copies of a work tree removed over a day ago are removed when another work tree makes its first copy; those of one removed within the day stay", async () => {
  const { root, env } = await repository();
  const old = await workTree(root, "-b", "old-agent");
  assertEquals((await cli(old, env, ...emitArgs(DEL))).code, 0);
  const recent = await workTree(root, "-b", "recent-agent");
  assertEquals((await cli(recent, env, ...emitArgs(DEL))).code, 0);
  await git(root, "worktree", "remove", "--force", old);
  await git(root, "worktree", "remove", "--force", recent);
  // git names the first work tree "agent", the second (its folder named so too) "agent1".
  const oldCopy = (await keptJournals(root)).find((p) => p.includes("/agent-"))!;
  const twoDaysAgo = new Date(Date.now() - 48 * 60 * 60 * 1000);
  await Deno.utime(join(root, oldCopy), twoDaysAgo, twoDaysAgo);
  await Deno.utime(join(root, oldCopy.split("/").slice(0, 3).join("/")), twoDaysAgo, twoDaysAgo);
  assertEquals((await keptJournals(root)).length, 2);
  const next = await workTree(root, "-b", "next");
  assertEquals((await cli(next, env, ...emitArgs(DEL))).code, 0);
  const after = await keptJournals(root);
  assertEquals(after.length, 2, after.join(" ")); // the recent one's and next's
  assert(!after.includes(oldCopy), after.join(" "));
});

Deno.test("a deliverable begun in a linked work tree, its record never committed and the work tree removed (git worktree remove --force): verify . and flush . in the main work tree, which lacks the folder, name the record; on the work tree's branch flush --from of the kept journal appends it", async () => {
  const { root, env } = await repository();
  const wt = await workTree(root, "-b", "feat");
  const fresh = join("PKG-01_Pkg", "1_Working", "DEL-01-04_Fresh");
  await Deno.mkdir(join(wt, fresh), { recursive: true });
  await Deno.writeTextFile(join(wt, fresh, "_CONTEXT.md"), "**DeliverableID:** DEL-01-04\n");
  await git(wt, "add", "-A");
  await git(wt, "commit", "-qm", "a new deliverable");
  const lost = (await cli(wt, env, ...emitArgs(fresh))).stdout.trim();
  await git(root, "worktree", "remove", "--force", wt); // the untracked record file with it

  const verify = await cli(root, env, "verify", ".");
  assertEquals(verify.code, 1, verify.stdout + verify.stderr);
  assertMatch(verify.stdout, new RegExp(`DEL-01-04_Fresh/RunRecords.csv: ${lost} is in no file`));
  const flush = await cli(root, env, "flush", ".");
  assertEquals(flush.code, 1, flush.stdout + flush.stderr);
  assertMatch(flush.stderr, new RegExp(`${lost} is in no file.*git checkout feat first`));

  await git(root, "checkout", "-q", "feat");
  const kept = (await keptJournals(root, fresh))[0];
  const restore = await cli(root, env, "flush", "--from", kept);
  assertEquals(restore.code, 0, restore.stderr);
  assertEquals(await runIds(join(root, fresh)), [lost]);
  assertEquals((await cli(root, env, "verify", ".")).code, 0);
});
