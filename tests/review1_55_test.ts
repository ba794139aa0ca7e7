/**
 * gitenv-55's changes attacked (review1-55): the journals removed work trees left in the common
 * git folder, read under `GIT_CEILING_DIRECTORIES`, `GIT_DIR`, at the top, and by the sandboxed
 * build; real repositories, work trees, the CLI as a process.
 *
 * ```sh
 * deno test -A tests/review1_55_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals, assertIncludes } from "./assert.ts";
import { emitArgs, runCliProcess } from "./cli.ts";
import { SANDBOXED_FLAGS } from "../src/cli/permissions.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { cli, DEL, repository, workTree } from "./support/work_tree_project.ts";

/** The project's repository with a record a linked work tree appended, dropped, and removed. */
async function removedWorkTreeRecord() {
  const { root, env } = await repository();
  const wt = await workTree(root, "-b", "feat");
  const runId = (await cli(wt, env, ...emitArgs(DEL))).stdout.trim();
  await git(wt, "reset", "-q", "--hard");
  await git(root, "worktree", "remove", "--force", wt);
  return { root, env, runId };
}

Deno.test("GIT_CEILING_DIRECTORIES hiding the repository: a removed work tree's dropped record is named unchecked by verify of the deliverable and of the root (exit 1) and flush --from of its copy refused; before, verify said ok over it", async () => {
  const { root, env, runId } = await removedWorkTreeRecord();
  const file = join(root, DEL, "RunRecords.csv");
  const before = await Deno.readTextFile(file);
  for (const ceiling of [root, join(root, "PKG-01_Pkg")]) {
    const under = { ...env, GIT_CEILING_DIRECTORIES: ceiling };
    for (const target of [DEL, "."]) {
      const verified = await cli(root, under, "verify", target);
      assertEquals(verified.code, 1, verified.stdout + verified.stderr);
      assertIncludes(verified.stdout, `${runId} is in the journal the work tree`);
      assertIncludes(verified.stdout, "cannot be checked");
    }
  }
  const under = { ...env, GIT_CEILING_DIRECTORIES: root };
  const copy = (await cli(root, env, "verify", DEL)).stdout.match(/\(([^()]*\.journal)\)/)?.[1];
  const flushed = await cli(root, under, "flush", "--from", copy ?? "no copy named");
  assertEquals(flushed.code, 1, flushed.stdout + flushed.stderr);
  assertEquals(await Deno.readTextFile(file), before);
});

Deno.test("a deliverable at its repository's top: a removed work tree's dropped record is named by verify (exit 1); before, the copies' look-up by folder name missed the top's (its name differs between work trees) and verify said ok", async () => {
  const { del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-work-tree-tmp-" }) };
  await git(del, "init", "-q", "-b", "main");
  assertEquals((await cli(del, env, ...emitArgs("."))).code, 0);
  await git(del, "add", "-A");
  await git(del, "commit", "-qm", "first record");
  const wt = await workTree(del, "-b", "feat");
  const runId = (await cli(wt, env, ...emitArgs("."))).stdout.trim();
  await git(wt, "reset", "-q", "--hard");
  await git(del, "worktree", "remove", "--force", wt);
  const verified = await cli(del, env, "verify", ".");
  assertEquals(verified.code, 1, verified.stdout + verified.stderr);
  assertIncludes(
    verified.stdout,
    `${runId} is in no file, branch, tag or stash, only in the journal`,
  );
});

Deno.test("GIT_DIR set (a hook's .git; with GIT_WORK_TREE too): a removed work tree's dropped record is named by verify of the deliverable and of the root (exit 1); before, the kept copies were not read and verify said ok", async () => {
  const { root, env, runId } = await removedWorkTreeRecord();
  const pkg = join(root, "PKG-01_Pkg");
  for (
    const [cwd, gitEnv, target] of [
      [root, { GIT_DIR: ".git" }, DEL],
      [root, { GIT_DIR: ".git", GIT_WORK_TREE: "." }, "."],
      [pkg, { GIT_DIR: join(root, ".git"), GIT_WORK_TREE: root }, "1_Working"],
      [pkg, { GIT_DIR: join("..", ".git") }, "."],
    ] as const
  ) {
    const verified = await cli(cwd, { ...env, ...gitEnv }, "verify", target);
    assertEquals(verified.code, 1, `${JSON.stringify(gitEnv)}: ${verified.stdout}`);
    assertIncludes(verified.stdout, `${runId} is in no file, branch, tag or stash`);
  }
});

Deno.test("the sandboxed build (no git): a removed work tree's dropped record is a warning of verify, 'cannot be checked', and flush --from of its copy is refused (exit 1, file untouched); before, verify said ok with no warning and flush --from 'no record only this journal holds'", async () => {
  const { root, env, runId } = await removedWorkTreeRecord();
  const sandboxed = (...args: string[]) => runCliProcess(args, SANDBOXED_FLAGS, env, root);
  const verified = await sandboxed("verify", DEL);
  assertEquals(verified.code, 0, verified.stdout + verified.stderr);
  assertIncludes(verified.stdout, `warning: ${runId} is in the journal the work tree`);
  assertIncludes(verified.stdout, "cannot be checked: this runrec may not start git");
  assertIncludes(verified.stdout, "ok: 1 record, 0 errors, 1 warning");
  const copy = (await cli(root, env, "verify", DEL)).stdout.match(/\(([^()]*\.journal)\)/)?.[1];
  const file = join(root, DEL, "RunRecords.csv");
  const before = await Deno.readTextFile(file);
  const flushed = await sandboxed("flush", "--from", copy ?? "no copy named");
  assertEquals(flushed.code, 1, flushed.stdout + flushed.stderr);
  assertIncludes(flushed.stderr, "cannot be checked");
  assertEquals(await Deno.readTextFile(file), before);
});
