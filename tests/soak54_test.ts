/**
 * Stop 54's soak of the git workflow (tests/soak_test.ts, tests/soak_runs_test.ts) widened to
 * reap, octopus merges, three clones at once, `git reset --hard` to an older commit and `exec`
 * killed by a signal: each test here is a case the soak found runrec wrong in, replayed alone
 * with real git commands; each failed before its fix.
 */
import { join } from "node:path";
import { runCliProcess } from "./cli.ts";
import { git } from "./fixtures.ts";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { DELIVERABLES, RECORD_FILE, teamRepository } from "./support/soak.ts";

Deno.test("verify of a folder above a deliverable whose record file `git reset --hard HEAD~2` took away names the records only its journal holds (exit 1), as flush does; the flush --from it prints puts them back", async () => {
  const { clones: [clone] } = await teamRepository();
  const minutes = ["01", "02", "03"];
  const emitInto = async (del: string, notes: string) => {
    const started = `2026-01-05T10:${minutes.shift()}:00Z`;
    const args = ["emit", join(clone, del), "--agent", "A", "--status", "SUCCESS"];
    const emitted = await runCliProcess(
      [...args, "--started", started, "--duration-ms", "1000", "--notes", notes],
      FULL_FLAGS,
      {},
      clone,
    );
    assertEquals(emitted.code, 0, emitted.stderr);
    await git(clone, "add", "-A");
    await git(clone, "commit", "-qm", notes);
    return emitted.stdout.trim();
  };
  await emitInto(DELIVERABLES[0], "first");
  // The last deliverable's record file begins in the two commits the reset takes away.
  const runIds = [
    await emitInto(DELIVERABLES[2], "second"),
    await emitInto(DELIVERABLES[2], "third"),
  ];
  await git(clone, "reset", "-q", "--hard", "HEAD~2");
  const flushed = await runCliProcess(["flush", clone], FULL_FLAGS, {});
  assertEquals(flushed.code, 1, flushed.stderr);
  for (const runId of runIds) assertIncludes(flushed.stderr, `${runId} is in no file`);

  for (const target of [clone, join(clone, "PKG-01_Pkg")]) {
    const verified = await runCliProcess(["verify", target], FULL_FLAGS, {});
    assertEquals(verified.code, 1, `verify ${target}: ${verified.stdout}${verified.stderr}`);
    for (const runId of runIds) assertIncludes(verified.stdout, `${runId} is in no file`);
  }
  const json = await runCliProcess(["verify", ".", "--json"], FULL_FLAGS, {}, clone);
  assertEquals(json.code, 1, json.stderr);
  const { journalOnly } = JSON.parse(json.stdout) as { journalOnly: { command: string }[] };
  assertEquals(journalOnly.length, 2, json.stdout);
  const [tool, ...args] = journalOnly[0].command.split(" ");
  assertEquals(tool, "runrec");
  const putBack = await runCliProcess(args, FULL_FLAGS, {}, clone);
  assertEquals(putBack.code, 0, putBack.stderr);
  const text = await Deno.readTextFile(join(clone, DELIVERABLES[2], RECORD_FILE));
  for (const runId of runIds) assert(text.includes(`${runId},`), text);
  const after = await runCliProcess(["verify", clone], FULL_FLAGS, {});
  assertEquals(after.code, 0, after.stdout + after.stderr);
});
