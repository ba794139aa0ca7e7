/**
 * A record file not begun on a branch that lacks its deliverable, though a
 * file git does not track (an agent's draft) stayed in the folder across the
 * checkout; and begun again where the deliverable is begun again (a fresh
 * `_CONTEXT.md` after a `git merge -s ours` left it out). Real git
 * repositories and real runrec processes.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/branch_drafts_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals, assertIncludes } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { recordsOf } from "./support/runs.ts";

/** A project in git (`merge=union`) whose deliverable holds one committed run of BASE. */
async function committedProject() {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  await Deno.writeTextFile(join(root, ".gitattributes"), `${RECORD_FILE} merge=union eol=lf\n`);
  await git(root, "init", "-q");
  await emit(del, env, "BASE");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  return { root, del, env, base: await git(root, "rev-parse", "HEAD") };
}

/** `runrec emit <del> --agent <agent> --status SUCCESS` as a process; exits 0. */
async function emit(del: string, env: Record<string, string>, agent: string) {
  const emitted = await runCliProcess(
    ["emit", del, "--agent", agent, "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  return emitted;
}

/** The names in `folder`, sorted. */
function names(folder: string): string[] {
  return [...Deno.readDirSync(folder)].map((e) => e.name).sort();
}

Deno.test("an emit on a branch without the deliverable, an untracked draft left in its folder: the record waits in the spool, not in a RunRecords.csv begun for that branch; the checkout back is not stopped, and flush appends it once (review-43 F3)", async () => {
  const { root, del, env, base } = await committedProject();
  await git(root, "checkout", "-qb", "elsewhere");
  await git(root, "rm", "-rq", "PKG-01_Pkg");
  await git(root, "commit", "-qm", "a branch without the deliverable");
  await git(root, "checkout", "-q", "main");
  await Deno.writeTextFile(join(del, "draft.md"), "an output not added yet\n");
  await git(root, "checkout", "-q", "elsewhere");
  assertEquals(names(del), [".runrec", "draft.md"]);
  const emitted = await emit(del, env, "THERE");
  assertIncludes(emitted.stderr, "holds no _CONTEXT.md and no file git tracks, only draft.md");
  assertIncludes(emitted.stderr, "runrec flush");
  // Before: RunRecords.csv begun here, and this checkout stopped ("untracked working tree files").
  assertEquals(names(del).includes(RECORD_FILE), false);
  const away = await runCliProcess(["flush", root], FULL_FLAGS, env);
  assertEquals(away.code, 1, away.stderr);
  await git(root, "checkout", "-q", "main");
  const back = await runCliProcess(["flush", root], FULL_FLAGS, env);
  assertEquals(back.code, 0, back.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.AgentName), ["BASE", "THERE"]);
  assertEquals(new Set(records.map((r) => r.RunID)).size, 2);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "the run's record");
  const verify = await runCli(["verify", root, "--since", base]);
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
});

Deno.test("a deliverable begun again after a git merge -s ours left it out: with a fresh _CONTEXT.md the emit begins its RunRecords.csv; with only other untracked files the record waits, and the remedy the warning names begins it (review-43 F3)", async () => {
  for (const fresh of ["_CONTEXT.md", "Datasheet.md"]) {
    const { root, env } = await committedProject();
    const made = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_New");
    await git(root, "checkout", "-qb", "C");
    await Deno.mkdir(made);
    await Deno.writeTextFile(join(made, "_CONTEXT.md"), "**DeliverableID:** DEL-01-03\n");
    await emit(made, env, "ON_C");
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "C: a new deliverable's first run");
    await git(root, "checkout", "-q", "main");
    await git(root, "merge", "-q", "-s", "ours", "--no-edit", "-m", "merge C (ours)", "C");
    assertEquals(names(made), [".runrec"]);
    await Deno.writeTextFile(join(made, fresh), "**DeliverableID:** DEL-01-03\n");
    const emitted = await emit(made, env, "AGAIN");
    if (fresh === "_CONTEXT.md") {
      assertEquals(emitted.stderr.includes("warning"), false, emitted.stderr);
    } else {
      assertIncludes(emitted.stderr, "add its _CONTEXT.md", fresh);
      assertEquals(names(made).includes(RECORD_FILE), false, fresh);
      await Deno.remove(join(made, ".runrec", `${RECORD_FILE}.journal`));
      const flushed = await runCliProcess(["flush", made], FULL_FLAGS, env);
      assertEquals(flushed.code, 0, flushed.stderr);
    }
    assertEquals((await recordsOf(made)).map((r) => r.AgentName), ["AGAIN"], fresh);
  }
});

Deno.test("an emit after git stash -u took a record file git did not track, the deliverable's other files committed: the record waits, git stash pop brings the file back, and flush appends it once (review-44 F4)", async () => {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "the deliverable, no records yet");
  await emit(del, env, "FIRST");
  await git(root, "stash", "-u", "-q");
  assertEquals(names(del).includes(RECORD_FILE), false);
  const emitted = await emit(del, env, "SECOND");
  assertIncludes(emitted.stderr, "the latest git stash holds it");
  // Before: RunRecords.csv begun, and the pop stopped ("already exists, no checkout").
  await git(root, "stash", "pop", "-q");
  const flushed = await runCliProcess(["flush", del], FULL_FLAGS, env);
  assertEquals(flushed.code, 0, flushed.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.AgentName), ["FIRST", "SECOND"]);
  assertEquals(new Set(records.map((r) => r.RunID)).size, 2);
});
