/**
 * Claims of the design and the docs checked against the CLI, where they did not hold: each test
 * failed before its fix.
 */
import { join } from "node:path";
import { runCli } from "./cli.ts";
import { makeProject } from "./fixtures.ts";
import { assert, assertEquals } from "./assert.ts";

const NO_INPUT_NOTE = "no governed input (no input named, no _REFERENCES.md): InputContextSHA TBD";

Deno.test("a run with no governed input (no input named, no _REFERENCES.md) is recorded with InputContextSHA TBD and the reason in Notes, by emit, start/finish and exec (DESIGN CON-05), and stale says so as its NO_BASELINE reason; a run with inputs has no such note", async () => {
  const { del } = await makeProject();
  await Deno.remove(join(del, "_REFERENCES.md"));
  const emitted = await runCli(["emit", del, "--agent", "DEPENDENCIES", "--status", "SUCCESS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  const started = await runCli(["start", del, "--agent", "4_DOCUMENTS"]);
  assertEquals(started.code, 0, started.stderr);
  const finished = await runCli(["finish", started.stdout.trim(), "--status", "SUCCESS"]);
  assertEquals(finished.code, 0, finished.stderr);
  const execd = await runCli(["exec", del, "--agent", "CHIRALITY_LENS", "--", "true"]);
  assertEquals(execd.code, 0, execd.stderr);
  // One input named: its hash makes the InputContextSHA, and no such note is written.
  const named = await runCli(
    ["emit", del, "--agent", "DEPENDENCIES", "--status", "SUCCESS", "--input", "Datasheet.md"],
  );
  assertEquals(named.code, 0, named.stderr);
  const log = await runCli(["log", del, "--format", "json"]);
  assertEquals(log.code, 0, log.stderr);
  const records: { AgentName: string; InputContextSHA: string; Notes: string }[] = JSON.parse(
    log.stdout,
  );
  assertEquals(records.length, 4);
  for (const record of records.slice(0, 3)) {
    assertEquals(record.InputContextSHA, "TBD", record.AgentName);
    assert(record.Notes.split(" | ").includes(NO_INPUT_NOTE), record.Notes);
  }
  assert(/^[0-9a-f]{64}$/.test(records[3].InputContextSHA), records[3].InputContextSHA);
  assert(!records[3].Notes.includes("no governed input"), records[3].Notes);
  const validated = await runCli(["validate", del]);
  assertEquals(validated.code, 0, validated.stdout);
  // stale says why there is nothing to compare, not that the inputs were never captured.
  const stale = await runCli(["stale", del, "--agent", "CHIRALITY_LENS", "--json"]);
  assertEquals(stale.code, 0, stale.stderr);
  const [check] = JSON.parse(stale.stdout).checks;
  assertEquals(check.verdict, "NO_BASELINE");
  assert(
    check.reason.includes("had no governed input (no input named, no _REFERENCES.md)"),
    check.reason,
  );
});

Deno.test("a _CONTEXT.md named in other case (_context.md) is said, as _STATUS.md's is, not passed over without a word: where case does not count it is read and the runs take its ID (SCHEMA.md 1.3)", async () => {
  const { del } = await makeProject();
  await Deno.remove(join(del, "_CONTEXT.md"));
  await Deno.writeTextFile(join(del, "_context.md"), "**DeliverableID:** DEL-01-09\n");
  const emitted = await runCli(["emit", del, "--agent", "DEPENDENCIES", "--status", "SUCCESS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  const said = "_CONTEXT.md: not found; _context.md beside it is that name in other case, which " +
    "runrec reads only where case does not count (macOS, Windows): rename it (git mv); " +
    "recorded DEL-01-02 from the folder name";
  assert(emitted.stderr.includes(`runrec: note: ${said}\n`), emitted.stderr);
  assert(emitted.stdout.startsWith("RUN-DEL-01-02-"), emitted.stdout);
  const shown = await runCli(["show", del, emitted.stdout.trim(), "--format", "json"]);
  assertEquals(shown.code, 0, shown.stderr);
  assert(JSON.parse(shown.stdout).Notes.split(" | ").includes(said), shown.stdout);
  // No _CONTEXT.md in any case: the folder name, without a note.
  await Deno.remove(join(del, "_context.md"));
  const plain = await runCli(["emit", del, "--agent", "DEPENDENCIES", "--status", "SUCCESS"]);
  assertEquals(plain.code, 0, plain.stderr);
  assert(!plain.stderr.includes("_CONTEXT.md"), plain.stderr);
});
