/**
 * The gits runrec starts under the user's `$GIT_DIR` alone (no `$GIT_WORK_TREE`): git takes the
 * folder it runs in as the work tree's top, and runrec starts some of its gits in a deliverable's
 * folder. Real git repositories, branches and checkouts; the CLI as a process.
 *
 * ```sh
 * deno test -A tests/review3_54_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals, assertIncludes } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { git, gitOutput, makeProject, tempDir } from "./fixtures.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";

/**
 * A project whose deliverable `del` is on branch `feature` only, checked out at `main` with an
 * agent's untracked draft left in the deliverable's folder (the checkout took the rest).
 */
async function takenAwayDeliverable() {
  const { root, del } = await makeProject();
  await Deno.writeTextFile(join(root, "PKG-01_Pkg", "1_Working", "keep.md"), "kept\n");
  await git(root, "init", "-q");
  await git(root, "add", "INIT.md", "_Decomposition", "PKG-01_Pkg/1_Working/keep.md");
  await git(root, "commit", "-qm", "main");
  await git(root, "checkout", "-qb", "feature");
  const first = await runCliProcess(["emit", del, "--agent", "FEAT1", "--status", "SUCCESS"]);
  assertEquals(first.code, 0, first.stderr);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "FEAT1");
  await Deno.writeTextFile(join(del, "draft.md"), "an agent's draft\n");
  await git(root, "checkout", "-q", "main");
  return { root, del };
}

for (
  const [name, gitDir] of [["absolute", (root: string) => join(root, ".git")], [
    "relative",
    () => ".git",
  ]] as const
) {
  Deno.test(`emit with GIT_DIR alone (${name}, from the top) into a deliverable a checkout took away: the record waits in the spool and git checkout back works; runrec's git in the deliverable's folder took that folder as the top and the file was begun, stopping the checkout ('untracked working tree files would be overwritten')`, async () => {
    const { root, del } = await takenAwayDeliverable();
    const env = { GIT_DIR: gitDir(root) };
    const args = ["emit", del, "--agent", "MAIN1", "--status", "SUCCESS"];
    const emitted = await runCliProcess(args, FULL_FLAGS, env, root);
    assertIncludes(emitted.stderr, "not begun again");
    let begun = true;
    await Deno.stat(join(del, "RunRecords.csv")).catch(() => begun = false);
    assertEquals(begun, false, "the record file was begun where the checkout took it away");
    await git(root, "checkout", "-q", "feature");
  });
}

for (
  const [name, gitDir] of [["absolute", (root: string) => join(root, ".git")], [
    "relative",
    () => ".git",
  ]] as const
) {
  Deno.test(`verify --since HEAD with GIT_DIR alone (${name}, from the top) of a record appended since: K-APPEND-1 holds; it said the file was 'moved from' its own path in the working tree and K-APPEND-1 broken (exit 1)`, async () => {
    const { root, del } = await makeProject();
    await git(root, "init", "-q");
    const args = ["emit", del, "--agent", "A1", "--status", "SUCCESS"];
    assertEquals((await runCliProcess(args)).code, 0);
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "A1");
    args[3] = "A2";
    assertEquals((await runCliProcess(args)).code, 0);
    const env = { GIT_DIR: gitDir(root) };
    const verify = await runCliProcess(["verify", del, "--since", "HEAD"], FULL_FLAGS, env, root);
    assertEquals(verify.code, 0, verify.stdout + verify.stderr);
    assertIncludes(verify.stdout, "ok: 2 records, 0 errors, 0 warnings, K-APPEND-1 holds");
  });
}

Deno.test("a superproject's pre-commit hook's verify . --since HEAD, a deliverable in a submodule moved there with git mv (staged): K-APPEND-1 holds and the commit is made, with or without -a; runrec's git in the submodule read the superproject's index (git gives the hook GIT_INDEX_FILE) and verify stopped, 'git diff failed', refusing the commit", async () => {
  const root = await Deno.realPath(await tempDir({ prefix: "runrec-review3-sub-" }));
  const source = join(root, "source");
  const del = join(source, "DEL-01-02_Thing");
  await Deno.mkdir(del, { recursive: true });
  await Deno.writeTextFile(join(del, "_CONTEXT.md"), "**DeliverableID:** DEL-01-02\n");
  await git(source, "init", "-q");
  const emit = ["emit", del, "--agent", "FIRST", "--status", "SUCCESS"];
  assertEquals((await runCliProcess(emit)).code, 0);
  await git(source, "add", "-A");
  await git(source, "commit", "-qm", "first");
  const top = join(root, "super");
  await Deno.mkdir(top);
  await git(top, "init", "-q");
  await Deno.writeTextFile(join(top, "notes.md"), "notes\n");
  await git(top, "add", "notes.md");
  await git(top, "submodule", "add", "-q", source, "sub");
  await git(top, "commit", "-qm", "sub at first");
  const sub = join(top, "sub");
  await Deno.mkdir(join(sub, "PKG-01_Pkg"));
  await git(sub, "mv", "DEL-01-02_Thing", "PKG-01_Pkg/");
  const runrec = [Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY].map((w) => `'${w}'`).join(" ");
  const hook = join(top, ".git", "hooks", "pre-commit");
  await Deno.writeTextFile(hook, `#!/bin/sh\nexec ${runrec} verify . --since HEAD\n`);
  await Deno.chmod(hook, 0o755);
  for (const all of [false, true]) {
    await Deno.writeTextFile(join(top, "notes.md"), `notes ${all}\n`, { append: true });
    if (!all) await git(top, "add", "notes.md");
    const commit = await gitOutput(top, "commit", "-q", ...all ? ["-a"] : [], "-m", `notes ${all}`);
    // git passes a hook's standard output on to its own standard error.
    const said = new TextDecoder().decode(commit.stderr);
    assertEquals(commit.code, 0, `${all ? "git commit -a" : "git commit"}: ${said}`);
    assertIncludes(said, "sub/PKG-01_Pkg/DEL-01-02_Thing/RunRecords.csv: ok: 1 record");
  }
});
