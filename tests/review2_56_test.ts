/**
 * The pre-receive hook of docs/CI.md attacked with real pushes to a real bare repository (the set-up
 * of `tests/support/pre_receive.ts`): a push that deletes a ref its other refs take over (a merged
 * branch deleted with the merge, a rename, `git push --mirror`) lands; a tag moved from the only
 * commit holding a run to a tree does not; a tag at a commit a ref holds is not checked again; an xargs that starts nothing for no input (BSD's)
 * still has every push checked; the files are checked out as pushed, not as the server's own git
 * configuration would (core.autocrlf); and an `_Archive/` in a folder named `-x` is checked, not
 * read as an option.
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { git, minutelyHistory, tempDir } from "./fixtures.ts";
import { edited, served } from "./support/pre_receive.ts";

Deno.test("review2_56: a branch merged and deleted in one push, a rename and a --mirror push land; a tag moved to a tree off the only commit holding a run is refused; a tag at a commit a ref holds is not checked again", async () => {
  const { root, write, commit, push, onServer } = await served();
  const lines = minutelyHistory(6);
  await git(root, "checkout", "-q", "-b", "feat");
  await write(lines.slice(0, 4));
  await commit("feat run");
  assertEquals((await push("feat")).code, 0);
  // Merged, and deleted in the same push: main's new commit holds what feat held.
  await git(root, "checkout", "-q", "main");
  await git(root, "merge", "-q", "--no-edit", "feat");
  await git(root, "branch", "-q", "-D", "feat");
  const merged = await push("main", ":feat");
  assertEquals(merged.code, 0, merged.stderr);
  assertEquals(await onServer("refs/heads/feat"), "");
  // Renamed in one push: the new name holds what the old one held.
  await git(root, "checkout", "-q", "-b", "old-name");
  await write(lines.slice(0, 5));
  const renamed = await commit("a run on a branch renamed");
  assertEquals((await push("old-name")).code, 0);
  const rename = await push("old-name:refs/heads/new-name", ":old-name");
  assertEquals(rename.code, 0, rename.stderr);
  assertEquals(await onServer("refs/heads/new-name"), renamed);
  assertEquals(await onServer("refs/heads/old-name"), "");
  // --mirror after merging it and deleting it here: the server's new-name goes with the merge.
  await git(root, "fetch", "-q", "--prune", "origin");
  await git(root, "checkout", "-q", "main");
  await git(root, "merge", "-q", "--no-edit", "old-name");
  await git(root, "branch", "-q", "-D", "old-name");
  const mirrored = await push("--mirror");
  assertEquals(mirrored.code, 0, mirrored.stderr);
  assertEquals(await onServer("refs/heads/new-name"), "");
  assertEquals(await onServer("main"), await git(root, "rev-parse", "HEAD"));
  // A run only tag t holds once its branch is gone: t moved to a tree would lose it.
  await git(root, "checkout", "-q", "-b", "tagged");
  await write(lines);
  const run = await commit("a run only a tag keeps");
  await git(root, "tag", "t");
  assertEquals((await push("tagged", "t")).code, 0);
  assertEquals((await push(":tagged")).code, 0, "t holds tagged's run");
  const moved = await push("--force", "HEAD^{tree}:refs/tags/t");
  assertEquals(moved.code, 1, moved.stderr);
  assertMatch(
    moved.stderr,
    /remote: runrec: refs\/tags\/t not moved to a tree: its commit [0-9a-f]{7} "a run only a tag keeps" changed a record file and no other ref holds it/,
  );
  assertEquals(await onServer("refs/tags/t"), run);
  // A tag at a commit a ref other than HEAD already holds (t): nothing new, nothing checked out.
  await git(root, "tag", "t2");
  const tag = await push("t2");
  assertEquals(tag.code, 0, tag.stderr);
  assertEquals(tag.stderr.includes("remote: runrec: "), false, tag.stderr);
});

Deno.test("review2_56: with an xargs that starts nothing for no input (BSD's and macOS's), a push that edits a record is still checked and refused; files checked out as pushed, whatever the server's git configuration; an _Archive/ in a folder named -x is checked", async () => {
  const { root, write, commit, push, pushFrom, pushWith, onServer, refused, bin } = await served();
  // GNU xargs with -r does what BSD's does by default: no input, no command.
  const bsd = await tempDir({ prefix: "runrec-bsd-xargs-" });
  const xargs = new TextDecoder().decode(
    (await new Deno.Command("sh", { args: ["-c", "command -v xargs"] }).output()).stdout,
  ).trim();
  await Deno.writeTextFile(join(bsd, "xargs"), `#!/bin/sh\nexec ${xargs} -r "$@"\n`, {
    mode: 0o755,
  });
  const path = `${bsd}:${Deno.env.get("PATH") ?? ""}`;
  const before = await onServer("main");
  await write(edited(minutelyHistory(2), 1));
  await commit("edit");
  const ran = await pushFrom(bin, path, "main");
  await refused(ran, "main", before);
  assertIncludes(ran.stderr, "K-APPEND-1 broken");
  // The server user's ~/.gitconfig sets core.autocrlf, and .gitattributes lacks README's eol=lf:
  // the files are checked as pushed (LF), not as that configuration would check them out.
  await git(root, "reset", "-q", "--hard", before);
  await Deno.writeTextFile(join(root, ".gitattributes"), "RunRecords.csv merge=union\n");
  await write(minutelyHistory(3));
  await commit("no eol=lf");
  const home = await tempDir({ prefix: "runrec-server-home-" });
  await Deno.writeTextFile(join(home, ".gitconfig"), "[core]\n\tautocrlf = true\n");
  const plain = await pushWith({ HOME: home }, "main");
  assertEquals(plain.code, 0, plain.stderr);
  assertEquals(plain.stderr.includes("CR LF"), false, plain.stderr);
  // Retired into the _Archive/ of a folder named -x: named to verify after --, not as an option.
  await Deno.mkdir(join(root, "-x", "_Archive"), { recursive: true });
  await git(root, "mv", "--", "PKG-01_Pkg", "-x/_Archive/");
  const retired = await commit("retire");
  const archived = await push("main");
  assertEquals(archived.code, 0, archived.stderr);
  // Its one record file counted: checked, not read as an option.
  assertIncludes(
    archived.stderr,
    "remote: runrec: refs/heads/main: ok: 1 record file, 3 records, K-APPEND-1 holds since",
  );
  assertEquals(await onServer("main"), retired);
});
