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
import { cli, DEL, repository } from "./support/work_tree_project.ts";

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
