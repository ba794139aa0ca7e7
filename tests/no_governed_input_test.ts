/**
 * The note of a run with no governed input (`no governed input (no input
 * named, no _REFERENCES.md): InputContextSHA TBD`) is written only where no
 * input was named: a run given a folder that holds no file named its input,
 * and its record says so (`input folder "…"`, which `stale` walks), not the
 * contrary.
 *
 * ```sh
 * deno test -A tests/no_governed_input_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { runCli } from "./cli.ts";
import { makeProject } from "./fixtures.ts";

Deno.test("a run given an input folder that holds no file, with no _REFERENCES.md, named its input: its Notes keep the input folder note and not 'no governed input (no input named …)', by emit, start/finish and exec", async () => {
  const { del } = await makeProject();
  await Deno.remove(join(del, "_REFERENCES.md"));
  await Deno.mkdir(join(del, "inbox"));
  const given = ["--input", "inbox"];
  const emitted = await runCli([
    "emit",
    del,
    "--agent",
    "DEPENDENCIES",
    "--status",
    "SUCCESS",
    ...given,
  ]);
  assertEquals(emitted.code, 0, emitted.stderr);
  const started = await runCli(["start", del, "--agent", "4_DOCUMENTS", ...given]);
  assertEquals(started.code, 0, started.stderr);
  const finished = await runCli(["finish", started.stdout.trim(), "--status", "SUCCESS"]);
  assertEquals(finished.code, 0, finished.stderr);
  const execd = await runCli(["exec", del, "--agent", "CHIRALITY_LENS", ...given, "--", "true"]);
  assertEquals(execd.code, 0, execd.stderr);
  const log = await runCli(["log", del, "--format", "json"]);
  const records: { AgentName: string; Notes: string }[] = JSON.parse(log.stdout);
  assertEquals(records.length, 3);
  for (const { AgentName, Notes } of records) {
    assert(Notes.split(" | ").includes('input folder "inbox"'), `${AgentName}: ${Notes}`);
    assert(!Notes.includes("no governed input"), `${AgentName}: ${Notes}`);
  }
});
