/**
 * The journals linked work trees keep in the common git folder, attacked: a locked work tree on a
 * device not mounted is not a removed one, and a copy that missed a line is made whole again.
 * Real git repositories and work trees, real mounts (root), runrec as real processes.
 *
 * ```sh
 * deno test -A tests/review2_54_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { cli, DEL, KEPT, repository } from "./support/work_tree_project.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { emitArgs } from "./cli.ts";
import { git, tempDir } from "./fixtures.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";

/** Runs a program; throws with its stderr when it fails. */
async function run(...args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command(args[0], { args: args.slice(1) }).output();
  if (code !== 0) throw new Error(`${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
}

/** The one journal the common git folder of `root` keeps for DEL, relative to `root`. */
async function keptJournal(root: string): Promise<string> {
  const found: string[] = [];
  for await (const tree of Deno.readDir(join(root, KEPT))) {
    const path = join(KEPT, tree.name, DEL, `${RECORD_FILE}.journal`);
    if (await Deno.stat(join(root, path)).then(() => true, () => false)) found.push(path);
  }
  assertEquals(found.length, 1, `one kept journal: ${found}`);
  return found[0];
}

Deno.test("a locked linked work tree on a device not mounted now (git worktree lock) is not a removed one: the main work tree's verify does not name its record, in its file still, and flush --from of its copy is refused", async () => {
  const { root, env } = await repository();
  const device = await tempDir({ prefix: "runrec-review2-54-device-" });
  const mount = await tempDir({ prefix: "runrec-review2-54-mount-" });
  await run("mount", "--bind", device, mount);
  let mounted = true;
  try {
    const wt = join(mount, "agent");
    await git(root, "worktree", "add", "-q", "-b", "feat", wt);
    const made = (await cli(wt, env, ...emitArgs(DEL))).stdout.trim();
    await git(root, "worktree", "lock", "--reason", "on a removable disk", wt);
    await run("umount", mount);
    mounted = false;
    assert(!(await Deno.stat(wt).then(() => true, () => false)), "the work tree is out of reach");

    const verify = await cli(root, env, "verify", ".");
    assertEquals(verify.code, 0, verify.stdout + verify.stderr);
    assert(!verify.stdout.includes(made), verify.stdout);
    const kept = await keptJournal(root);
    const before = await Deno.readTextFile(join(root, DEL, RECORD_FILE));
    const flush = await cli(root, env, "flush", "--from", kept);
    assertEquals(flush.code, 1, flush.stdout + flush.stderr);
    assertMatch(flush.stderr, /the journal of a linked work tree that is there still/);
    assertEquals(await Deno.readTextFile(join(root, DEL, RECORD_FILE)), before);

    // The disk back: the record is in the work tree's file, where it was appended.
    await run("mount", "--bind", device, mount);
    mounted = true;
    assert((await Deno.readTextFile(join(wt, DEL, RECORD_FILE))).includes(made));
    await git(root, "worktree", "unlock", wt);
  } finally {
    if (mounted) await run("umount", mount);
  }
});

Deno.test("a linked work tree's kept journal that missed a line (the common git folder read-only for one append) is made whole at the next append: a reset then drops all three records and, the work tree removed, all three are named", async () => {
  const { root, env } = await repository();
  const wt = join(await tempDir({ prefix: "runrec-review2-54-wt-" }), "agent");
  await git(root, "worktree", "add", "-q", "-b", "feat", wt);
  const made = [(await cli(wt, env, ...emitArgs(DEL))).stdout.trim()];
  const kept = join(root, KEPT);
  await run("mount", "--bind", kept, kept);
  try {
    await run("mount", "-o", "remount,ro,bind", kept);
    const readOnly = await cli(wt, env, ...emitArgs(DEL));
    // The copy is a side job: the record is written, with nothing said and exit 0.
    assertEquals([readOnly.code, readOnly.stderr], [0, ""]);
    made.push(readOnly.stdout.trim());
  } finally {
    await run("umount", kept);
  }
  made.push((await cli(wt, env, ...emitArgs(DEL))).stdout.trim());
  await git(wt, "reset", "-q", "--hard");
  await git(root, "worktree", "remove", "--force", wt);

  const verify = await cli(root, env, "verify", DEL, "--json");
  assertEquals(verify.code, 1, verify.stdout + verify.stderr);
  const named = JSON.parse(verify.stdout).journalOnly.map((j: { runId: string }) => j.runId);
  assertEquals(named, made);
});

Deno.test("an emit in a linked work tree killed (SIGKILL, strace) as it opens the kept journal: the record and its journal line are written, and the next append makes the copy whole", async () => {
  const { root, env } = await repository();
  const wt = join(await tempDir({ prefix: "runrec-review2-54-wt-" }), "agent");
  await git(root, "worktree", "add", "-q", "-b", "feat", wt);
  assertEquals((await cli(wt, env, ...emitArgs(DEL))).code, 0);
  const kept = join(root, await keptJournal(root));
  const journal = join(wt, DEL, ".runrec", `${RECORD_FILE}.journal`);
  const killed = await new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", "/dev/null", "-P", kept, "-e", "trace=openat"],
      ...["-e", "inject=openat:signal=SIGKILL", Deno.execPath(), "run", ...FULL_FLAGS],
      ...[CLI_ENTRY, ...emitArgs(DEL)],
    ],
    cwd: wt,
    env: { ...env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(killed.code, 137, new TextDecoder().decode(killed.stderr));
  const lines = (path: string) => Deno.readTextFileSync(path).trim().split("\n").length;
  assertEquals(lines(join(wt, DEL, RECORD_FILE)), 4, "the header and three records");
  assertEquals([lines(kept), lines(journal)], [1, 2], "the copy missed the killed append's line");
  assertEquals((await cli(wt, env, ...emitArgs(DEL))).code, 0);
  assertEquals(Deno.readTextFileSync(kept), Deno.readTextFileSync(journal));
});

Deno.test("a deliverable deleted on purpose (git rm -r, committed) after its records were committed: verify . and verify of the folder say nothing is lost, flush --from of its journal appends nothing; a record appended after the deletion is still named", async () => {
  const { root, env } = await repository();
  const second = (await cli(root, env, ...emitArgs(DEL))).stdout.trim();
  await git(root, "commit", "-qam", "second record");
  await git(root, "rm", "-rq", DEL);
  await git(root, "commit", "-qm", "deliverable dropped");
  assert(await Deno.stat(join(root, DEL, ".runrec")).then(() => true), "its journal stays");

  const verify = await cli(root, env, "verify", ".");
  assertEquals([verify.code, verify.stdout], [0, "no RunRecords.csv found under .\n"]);
  const folder = await cli(root, env, "verify", DEL);
  assertEquals(folder.code, 0, folder.stdout);
  const journal = join(DEL, ".runrec", `${RECORD_FILE}.journal`);
  const flush = await cli(root, env, "flush", "--from", journal);
  assertEquals(flush.code, 0, flush.stderr);
  assertMatch(flush.stdout, /no record only this journal holds/);
  assert(!(await Deno.stat(join(root, DEL, RECORD_FILE)).then(() => true, () => false)));
  const deleting = (await git(root, "rev-parse", "HEAD")).trim().slice(0, 12);
  const show = await cli(root, env, "show", DEL, second);
  assertEquals(show.code, 1, show.stdout + show.stderr);
  assertMatch(show.stderr, new RegExp(`commit ${deleting} deleted the file, which held it`));

  // Begun again, then discarded uncommitted: that record is lost, and named.
  await Deno.writeTextFile(join(root, DEL, "_CONTEXT.md"), "**DeliverableID:** DEL-01-02\n");
  const lost = (await cli(root, env, ...emitArgs(DEL))).stdout.trim();
  await Deno.remove(join(root, DEL, RECORD_FILE));
  const named = await cli(root, env, "verify", ".");
  assertEquals(named.code, 1, named.stdout + named.stderr);
  assertMatch(named.stdout, new RegExp(`${lost} is in no file`));
  assertEquals(named.stdout.match(/ is in no file/g)?.length, 1, named.stdout);
});
