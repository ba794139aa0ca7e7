/**
 * runrec under git's environment (`GIT_CEILING_DIRECTORIES`, `GIT_DIR` alone) and with linked
 * work trees moved or removed: real git repositories, branches, work trees; the CLI as a process.
 *
 * ```sh
 * deno test -A tests/gitenv55_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals, assertIncludes } from "./assert.ts";
import { emitArgs } from "./cli.ts";
import { git } from "./fixtures.ts";
import { cli, DEL, repository, workTree } from "./support/work_tree_project.ts";

Deno.test("GIT_CEILING_DIRECTORIES at or between a deliverable and its repository's top: runrec finds no repository either, and verify names each record only the journal holds as unchecked (exit 1), flush --from appends none, verify --since says why; before, verify said ok over them", async () => {
  const { root, env } = await repository();
  await git(root, "checkout", "-qb", "feat");
  const runIds = [];
  for (const agent of ["B", "C"]) {
    const emitted = await cli(root, env, ...emitArgs(DEL, "--notes", agent));
    assertEquals(emitted.code, 0, emitted.stderr);
    runIds.push(emitted.stdout.trim());
  }
  await git(root, "checkout", "-qf", "main");
  await git(root, "branch", "-qD", "feat");
  const file = join(root, DEL, "RunRecords.csv");
  const before = await Deno.readTextFile(file);
  for (const ceiling of [root, join(root, "PKG-01_Pkg")]) {
    const under = { ...env, GIT_CEILING_DIRECTORIES: ceiling };
    for (const target of [DEL, "."]) {
      const verified = await cli(root, under, "verify", target);
      assertEquals(verified.code, 1, verified.stdout + verified.stderr);
      for (const runId of runIds) {
        assertIncludes(verified.stdout, `${runId} is in this work tree's journal`);
      }
      assertIncludes(verified.stdout, `GIT_CEILING_DIRECTORIES=${ceiling} keeps git's search`);
    }
    const journal = join(DEL, ".runrec", "RunRecords.csv.journal");
    const flushed = await cli(root, under, "flush", "--from", journal);
    assertEquals(flushed.code, 1, flushed.stdout + flushed.stderr);
    assertIncludes(flushed.stderr, "cannot be checked");
    assertEquals(await Deno.readTextFile(file), before);
    const since = await cli(root, under, "verify", DEL, "--since", "HEAD");
    assertEquals(since.code, 2);
    assertIncludes(since.stderr, `not in a git work tree as git finds one under`);
  }
  // A ceiling above the top hides nothing: the records are named lost, as without one.
  const above = await cli(
    root,
    { ...env, GIT_CEILING_DIRECTORIES: join(root, "..") },
    "verify",
    DEL,
  );
  assertEquals(above.code, 1);
  assertIncludes(above.stdout, "which is gone");
});

Deno.test("verify --since HEAD with GIT_DIR alone, runrec started in a subfolder: works as from the top when a .git there names GIT_DIR; with no .git naming it (git takes the subfolder as the top) it says to set GIT_WORK_TREE; before, a false 'moved … K-APPEND-1 broken' (exit 1) or 'resolves outside the git work tree' (exit 2) with no remedy", async () => {
  const { root, env } = await repository();
  assertEquals((await cli(root, env, ...emitArgs(DEL))).code, 0);
  const [pkg, beside] = [join(root, "PKG-01_Pkg"), join(root, "_Decomposition")];
  const fromPkg = join("1_Working", "DEL-01-02_Thing");
  const fromBeside = join("..", DEL);
  for (const gitDir of [join(root, ".git"), join("..", ".git")]) {
    for (const [cwd, target] of [[pkg, fromPkg], [beside, fromBeside]]) {
      const verified = await cli(
        cwd,
        { ...env, GIT_DIR: gitDir },
        "verify",
        target,
        "--since",
        "HEAD",
      );
      assertEquals(verified.code, 0, verified.stdout + verified.stderr);
      assertIncludes(verified.stdout, "K-APPEND-1 holds since HEAD");
    }
  }
  // The git folder kept apart, no .git in the work tree: git's rule, and what to do.
  const apart = join(root, "..", `${root.split("/").pop()}.git`);
  await Deno.rename(join(root, ".git"), apart);
  try {
    const under = { ...env, GIT_DIR: apart };
    const inside = await cli(pkg, under, "verify", fromPkg, "--since", "HEAD");
    assertIncludes(inside.stdout, "GIT_DIR is set without GIT_WORK_TREE, so git takes");
    const outside = await cli(beside, under, "verify", fromBeside, "--since", "HEAD");
    assertEquals(outside.code, 2);
    assertIncludes(outside.stderr, "set GIT_WORK_TREE to the top");
    const set = await cli(
      pkg,
      { ...under, GIT_WORK_TREE: root },
      "verify",
      fromPkg,
      "--since",
      "HEAD",
    );
    assertEquals(set.code, 0, set.stdout + set.stderr);
  } finally {
    await Deno.remove(apart, { recursive: true });
  }
});

/** `DEL` moved by `git mv` (a new label, the DeliverableID kept). */
const MOVED = join("PKG-01_Pkg", "1_Working", "DEL-01-02_Thing_Moved");

Deno.test("a removed work tree's dropped record of a deliverable git mv moved on its branch is named where the deliverable is: verify of the old folder on main, of the new one on the branch, once by verify .; flush --from appends it into the new folder there (before: named at the path it was kept for only, and flush --from began the old folder again)", async () => {
  const { root, env } = await repository();
  // Kept for the new path (moved before the run), and for the old one (moved after).
  const lost: Record<string, string> = {};
  for (const when of ["before", "after"]) {
    const wt = await workTree(root, "-b", when);
    if (when === "before") {
      await git(wt, "mv", DEL, MOVED);
      await git(wt, "commit", "-qm", "moved");
    }
    const at = when === "before" ? MOVED : DEL;
    lost[when] = (await cli(wt, env, ...emitArgs(at))).stdout.trim();
    await git(wt, "reset", "-q", "--hard");
    if (when === "after") {
      await git(wt, "mv", DEL, MOVED);
      await git(wt, "commit", "-qm", "moved");
    }
    await git(root, "worktree", "remove", "--force", wt);
  }
  const named = async (target: string, expected: string[]) => {
    const verified = await cli(root, env, "verify", target);
    const shown = verified.stdout + verified.stderr;
    for (const runId of Object.values(lost)) {
      const times = shown.split(`${runId} is in no file`).length - 1;
      assertEquals(times, expected.includes(runId) ? 1 : 0, `${target}: ${shown}`);
    }
  };
  // On main the deliverable is at the old path: the record kept for the new one is named there.
  await named(DEL, [lost.before, lost.after]);
  await named(".", [lost.before, lost.after]);
  // On each branch the deliverable is at the new path: both named there until put back.
  const left = [lost.before, lost.after];
  for (const when of ["before", "after"]) {
    await git(root, "checkout", "-q", when);
    await named(MOVED, left);
    await named(".", left);
    const kept = (await cli(root, env, "verify", MOVED, "--json")).stdout;
    const command = JSON.parse(kept).journalOnly
      .find((j: { runId: string }) => j.runId === lost[when]).command as string;
    const journal = command.replace(/^runrec flush --from /, "").replace(/^'|'$/g, "");
    const flushed = await cli(root, env, "flush", "--from", journal);
    assertEquals(flushed.code, 0, flushed.stdout + flushed.stderr);
    assertIncludes(flushed.stdout, join(MOVED, "RunRecords.csv"));
    assertEquals(await git(root, "status", "--porcelain", "--", DEL), "");
    left.shift();
    await named(".", left);
    await git(root, "checkout", "-qf", "main");
  }
});

Deno.test("a linked work tree moved by plain mv (git lists it prunable): verify names its dropped record with git worktree repair and prune, flush --from of its kept journal is refused; repaired, its own flush puts the record back once; deleted and pruned, flush --from appends it once (before: flush --from appended it, and the repaired work tree's flush a second time)", async () => {
  const { root, env } = await repository();
  const file = join(root, DEL, "RunRecords.csv");
  const dropped = async (wt: string) => {
    const runId = (await cli(wt, env, ...emitArgs(DEL))).stdout.trim();
    await git(wt, "reset", "-q", "--hard");
    return runId;
  };
  const wt = await workTree(root, "--detach");
  const runId = await dropped(wt);
  const moved = `${wt}-moved`;
  await Deno.rename(wt, moved);
  const verified = await cli(root, env, "verify", DEL, "--json");
  assertEquals(verified.code, 1, verified.stderr);
  const [named] = JSON.parse(verified.stdout).journalOnly;
  assertEquals(named.runId, runId);
  assertIncludes(named.command, "git worktree repair NEW-FOLDER");
  const journal = named.command.replace(/^.* runrec flush --from /, "").replace(/ appends it$/, "");
  const before = await Deno.readTextFile(file);
  const refused = await cli(root, env, "flush", "--from", journal);
  assertEquals(refused.code, 1, refused.stdout + refused.stderr);
  assertIncludes(refused.stderr, "prunable");
  assertEquals(await Deno.readTextFile(file), before);
  // Repaired: live again, and its own journal puts the record back there, once.
  await git(root, "worktree", "repair", moved);
  assertEquals((await cli(root, env, "verify", DEL)).code, 0);
  assertEquals((await cli(moved, env, "flush", DEL)).code, 0);
  const there = await Deno.readTextFile(join(moved, DEL, "RunRecords.csv"));
  assertEquals(there.split(runId).length - 1, 1);
  assertEquals((await cli(root, env, "verify", DEL)).code, 0);
  // Deleted, then pruned: removed, and flush --from appends its record once.
  const gone = await workTree(root, "--detach");
  const lost = await dropped(gone);
  await Deno.remove(gone, { recursive: true });
  const deleted = await cli(root, env, "verify", DEL);
  assertIncludes(deleted.stdout, "git worktree prune first");
  await git(root, "worktree", "prune");
  const verify = await cli(root, env, "verify", DEL, "--json");
  const command: string = JSON.parse(verify.stdout).journalOnly[0].command;
  const flushed = await cli(root, env, ...command.replace(/^runrec /, "").split(" "));
  assertEquals(flushed.code, 0, flushed.stdout + flushed.stderr);
  assertEquals((await Deno.readTextFile(file)).split(lost).length - 1, 1);
  assertEquals((await cli(root, env, "verify", DEL)).code, 0);
});

Deno.test("a removed work tree's dropped record of a deliverable renumbered by git mv on its branch after the run (DEL-01-02_Thing to DEL-01-05_Thing) is named at the renumbered folder, whose file's first record has its DeliverableID, and flush --from appends it there", async () => {
  const { root, env } = await repository();
  const renumbered = join("PKG-01_Pkg", "1_Working", "DEL-01-05_Thing");
  const wt = await workTree(root, "-b", "renumbered");
  const lost = (await cli(wt, env, ...emitArgs(DEL))).stdout.trim();
  await git(wt, "reset", "-q", "--hard");
  await git(wt, "mv", DEL, renumbered);
  await git(wt, "commit", "-qm", "renumbered");
  await git(root, "worktree", "remove", "--force", wt);
  await git(root, "checkout", "-q", "renumbered");
  const verified = await cli(root, env, "verify", renumbered, "--json");
  assertEquals(verified.code, 1, verified.stderr);
  const [named] = JSON.parse(verified.stdout).journalOnly;
  assertEquals(named.runId, lost);
  const flushed = await cli(root, env, ...named.command.replace(/^runrec /, "").split(" "));
  assertEquals(flushed.code, 0, flushed.stdout + flushed.stderr);
  assertIncludes(flushed.stdout, join(renumbered, "RunRecords.csv"));
  assertEquals(await git(root, "status", "--porcelain", "--", DEL), "");
  assertEquals((await cli(root, env, "verify", ".")).code, 0);
});
