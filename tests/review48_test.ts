/**
 * The write path attacked at stop 48: a run's RunID noted for the other work
 * trees of a repository, and what a process killed at a chosen system call
 * leaves. Real git repositories, real runrec processes, real faults (strace).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/review48_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { sharedStatePath } from "../src/work_tree_lock.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { recordsOf } from "./support/runs.ts";
import {
  assertEachOnce,
  committedProject,
  emit,
  emitWithFault,
  withOtherWorkTree,
} from "./support/work_trees.ts";

Deno.test("runs of one minute in two work trees of one repository, the other's emit killed (kill -9) at its fsync, its line written and neither journalled nor noted, committed, and that work tree removed: the next run here gives the next SEQ, and the merge holds no RunID twice (review-48 F1)", async () => {
  const { root, del, env, other, otherDel, minute } = await withOtherWorkTree();
  const killed = await emitWithFault(otherDel, env, "OTHER_1", minute, {
    trace: "fsync",
    inject: "fsync:signal=KILL",
  });
  assertEquals(killed.signal, "SIGKILL");
  assertEquals((await recordsOf(otherDel)).map((r) => r.AgentName), ["BASE", "OTHER_1"]);
  await git(other, "commit", "-qam", "a run on other");
  // Its orphaned lock file keeps it from being clean: removed as an orchestrator does, by force.
  await git(root, "worktree", "remove", "--force", other); // its journal and file with it
  await emit(del, env, "MAIN_1", minute); // before: SEQ 001 again, other's
  await git(root, "commit", "-qam", "a run on main");
  await git(root, "merge", "-q", "--no-edit", "other");
  await assertEachOnce(root, del, ["BASE", "MAIN_1", "OTHER_1"]);
});

Deno.test("an append reads only the end of the RunIDs noted in the common .git folder: a notes file of over a gigabyte (sparse) is neither read whole nor left unread, the SEQ noted at its end is not given again, and the notes are cut (review-48 F2)", async () => {
  const { del, env, otherDel, minute } = await withOtherWorkTree();
  await emit(otherDel, env, "OTHER_1", minute); // the notes' folder made, the first note
  const notes = sharedStatePath(join(del, RECORD_FILE), "seqs")!;
  const prefix = `RUN-DEL-01-02-${minute.slice(0, 10).replaceAll("-", "")}-${
    minute.slice(11, 16).replace(":", "")
  }-`;
  // Past V8's longest string (2^29 characters): read whole, it was not read at all.
  await Deno.truncate(notes, 1100 * 1024 * 1024);
  await Deno.writeTextFile(notes, `\n${prefix}050\n`, { append: true });
  await emit(del, env, "MAIN_1", minute); // before: SEQ 002, 050 unread (in 26 s, 1.2 GB)
  const [main] = (await recordsOf(del)).filter((r) => r.AgentName === "MAIN_1");
  assertEquals(main.RunID, `${prefix}051`);
  const kept = (await Deno.readTextFile(notes)).split("\n").filter((l) => l !== "");
  assertEquals(kept.slice(-2), [`${prefix}050`, `${prefix}051`]);
});

Deno.test("runs of one minute in a submodule's work tree and in a work tree its git worktree add made after the first run: the second gives the next SEQ, reading the submodule's record file (its main work tree, named by core.worktree), and the merge holds no RunID twice (review-48 F3)", async () => {
  const { root: project } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  await Deno.writeTextFile(join(project, ".gitattributes"), `${RECORD_FILE} merge=union eol=lf\n`);
  await git(project, "init", "-q");
  await git(project, "add", "-A");
  await git(project, "commit", "-qm", "project");
  const superproject = await tempDir({ prefix: "runrec-super-" });
  await git(superproject, "init", "-q");
  await git(superproject, "submodule", "add", "-q", project, "sub");
  await git(superproject, "commit", "-qm", "the project as a submodule");
  const sub = join(superproject, "sub"); // its .git a file: gitdir ../.git/modules/sub
  const deliverable = join("PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
  await emit(join(sub, deliverable), env, "MAIN_1", minute);
  // Its note taken away, as a runrec of stop 47 (no linked work tree: no note) leaves it: the
  // submodule's record file alone tells the SEQ.
  await Deno.remove(join(superproject, ".git", "modules", "sub", "runrec-locks"), {
    recursive: true,
  });
  await git(sub, "add", "-A");
  await git(sub, "commit", "-qm", "a run on main");
  const other = join(await tempDir({ prefix: "runrec-wt-" }), "other");
  await git(sub, "worktree", "add", "-q", other, "-b", "other", "HEAD~1");
  await emit(join(other, deliverable), env, "OTHER_1", minute); // before: SEQ 001 again, main's
  await git(other, "add", "-A");
  await git(other, "commit", "-qm", "a run on other");
  await git(sub, "merge", "-q", "--no-edit", "other");
  await assertEachOnce(sub, join(sub, deliverable), ["MAIN_1", "OTHER_1"]);
});

Deno.test("a run in a repository without linked work trees, then a work tree added (git worktree add) of a branch that moved the deliverable folder to another depth, and its run of the same minute: the next SEQ, not that one again, and the merge holds no RunID twice (review-48 F4)", async () => {
  const { root, del, env } = await committedProject();
  // The branch moves the folder up a level, out of 1_Working: no folder beside or at its depth.
  await git(root, "checkout", "-qb", "other");
  const moved = join("PKG-01_Pkg", "DEL-01-02_Thing");
  await git(root, "mv", del, join(root, moved));
  await git(root, "commit", "-qm", "the deliverable moved up");
  await git(root, "checkout", "-q", "main");
  const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
  await emit(del, env, "MAIN_1", minute);
  await git(root, "commit", "-qam", "a run on main");
  const other = join(await tempDir({ prefix: "runrec-wt-" }), "other");
  await git(root, "worktree", "add", "-q", other, "other");
  await emit(join(other, moved), env, "OTHER_1", minute); // before: SEQ 001 again, main's
  await git(other, "commit", "-qam", "a run on other");
  await git(root, "merge", "-q", "--no-edit", "-X", "find-renames=10%", "other");
  await assertEachOnce(root, join(root, moved), ["BASE", "MAIN_1", "OTHER_1"]);
});
