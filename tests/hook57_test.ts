/**
 * The pre-receive hook of docs/CI.md where server-56 and review2-56 left it (the set-up of
 * `tests/support/pre_receive.ts`: real pushes to a real bare repository): a new ref is checked
 * since where it leaves what the server holds, whatever HEAD names, and so is a ref that held no
 * commit; a git command that fails refuses the push; a ref that passes prints one line.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { git, minutelyHistory, writeTree } from "./fixtures.ts";
import { edited, remoteLines, served } from "./support/pre_receive.ts";

Deno.test("hook57: with HEAD naming no commit (git init --bare's master, the team pushing main), a new branch that edits a record main holds is refused, and so is a tag moved from a tree to it; a branch forked from another branch is checked from where it leaves it; a ref that passes prints one line", async () => {
  const { bare, root, write, commit, push, onServer, refused } = await served();
  await git(bare, "symbolic-ref", "HEAD", "refs/heads/master");
  const main = await git(root, "rev-parse", "--short=7", "HEAD");
  await git(root, "checkout", "-q", "-b", "sneaky");
  await write(edited(minutelyHistory(2), 1));
  await commit("sneaky edit");
  const sneaky = await push("sneaky");
  await refused(sneaky, "sneaky", "");
  assertMatch(
    sneaky.stderr,
    /remote: .*RunRecords\.csv:2: K-APPEND-1 broken in commit [0-9a-f]{7} "sneaky edit"/,
  );
  // A tag of a tree held no commit: moved to the same commit, it is checked as a new ref.
  const tree = await git(root, "rev-parse", "main^{tree}");
  await git(root, "tag", "t", tree);
  assertEquals((await push("t")).code, 0);
  await git(root, "tag", "-f", "t", "sneaky");
  const tag = await push("--force", "t");
  assertEquals(tag.code, 1, tag.stderr);
  assertIncludes(tag.stderr, "K-APPEND-1 broken");
  assertEquals(await onServer("refs/tags/t"), tree);
  // A release branch with a run of its own: a branch forked from it is checked since its fork,
  // not since main (nor HEAD), so rewriting release's run is refused and appending lands.
  await git(root, "checkout", "-q", "-b", "release", "main");
  await write(minutelyHistory(3));
  const release = await commit("release run");
  const released = await push("release");
  assertEquals(remoteLines(released), [
    `remote: runrec: refs/heads/release: ok: 1 record file, 3 records, K-APPEND-1 holds since ${main}`,
  ]);
  await git(root, "checkout", "-q", "-b", "fork");
  await write(edited(minutelyHistory(3), 3));
  await commit("fork rewrites release's run");
  await refused(await push("fork"), "fork", "");
  // One that leaves main and release (it merged release after editing main's run): checked since
  // the newer, release, from where release leaves main's first-parent chain.
  await git(root, "checkout", "-q", "-b", "twice", "main");
  await write(edited(minutelyHistory(2), 2));
  await commit("twice edits main's run");
  await git(root, "merge", "-q", "--no-edit", "-X", "theirs", "release");
  const twice = await push("twice");
  await refused(twice, "twice", "");
  assertMatch(twice.stderr, /:3: K-APPEND-1 broken in commit [0-9a-f]{7} "twice edits main's run"/);
  await git(root, "checkout", "-q", "-b", "good", "release");
  await write(minutelyHistory(4));
  await commit("good appends");
  const good = await push("good");
  assertEquals(remoteLines(good), [
    `remote: runrec: refs/heads/good: ok: 1 record file, 4 records, K-APPEND-1 holds since ${
      release.slice(0, 7)
    }`,
  ]);
});

Deno.test("hook57: a git command that fails in the hook refuses the push: a deletion whose history cannot be read (a corrupt object) is refused, not let through as losing nothing", async () => {
  const { bare, root, write, commit, push, onServer } = await served();
  await git(root, "checkout", "-q", "-b", "feat");
  await write(minutelyHistory(3));
  const run = await commit("a run not merged");
  assertEquals((await push("feat")).code, 0);
  // The commit's tree, pushed as a loose object (a push of a few objects is not kept as a pack),
  // overwritten on the server's disk: git log cannot tell what the commit changed.
  const tree = await git(root, "rev-parse", "feat^{tree}");
  const object = join(bare, "objects", tree.slice(0, 2), tree.slice(2));
  assert((await Deno.lstat(object)).isFile);
  await Deno.chmod(object, 0o644);
  await Deno.writeTextFile(object, "not a zlib stream\n");
  const deleted = await push(":feat");
  assertEquals(deleted.code, 1, deleted.stderr);
  assertIncludes(
    deleted.stderr,
    "remote: runrec: refs/heads/feat refused: git log failed, so it could not be checked",
  );
  assertEquals(await onServer("refs/heads/feat"), run);
});

Deno.test("hook57: a deletion is not let through by a move git refuses after the hook (receive.denyNonFastForwards, as git init --shared sets) nor by a stand-in commit pushed under refs/replace/", async () => {
  const { bare, root, write, commit, push, onServer } = await served();
  await git(bare, "config", "receive.denyNonFastForwards", "true");
  await git(root, "checkout", "-q", "-b", "feat");
  await write(minutelyHistory(3));
  const run = await commit("a run not merged");
  await git(root, "checkout", "-q", "-b", "x", "main");
  await writeTree(root, { "NOTES.md": "notes\n" });
  await commit("notes");
  assertEquals((await push("feat", "x")).code, 0);
  // x force-moved to feat's commit would hold the run, but git refuses that move after the hook.
  const forced = await push("--force", "feat:x", ":feat");
  assertEquals(forced.code, 1, forced.stderr);
  assertMatch(
    forced.stderr,
    /remote: runrec: refs\/heads\/feat not deleted: its commit [0-9a-f]{7} "a run not merged"/,
  );
  assertEquals(await onServer("refs/heads/feat"), run);
  // A commit that changes nothing, pushed as the run's replacement: git would read it for the run's.
  const standIn = await git(root, "commit-tree", "-p", "main", "-m", "a stand-in", "main^{tree}");
  assertEquals((await push(`${standIn}:refs/replace/${run}`)).code, 0);
  const deleted = await push(":feat");
  assertEquals(deleted.code, 1, deleted.stderr);
  assertMatch(
    deleted.stderr,
    /remote: runrec: refs\/heads\/feat not deleted: its commit [0-9a-f]{7} "a run not merged"/,
  );
  assertEquals(await onServer("refs/heads/feat"), run);
});
