/**
 * Defects found reviewing stop 50's changes, each with the test that failed
 * on the code before its fix.
 */
import { join } from "node:path";
import { runCli } from "./cli.ts";
import { makeProject } from "./fixtures.ts";
import { assertEquals, assertMatch } from "./assert.ts";

Deno.test("exec D --agent A -- CMD ... -- x: a CMD after exec's own -- is run whatever it names, its later -- its own: a command not found is a FAILED record (exit 127), a script not executable one too (exit 126), not refused as a word before the -- (diffreview-50)", async () => {
  const { del } = await makeProject();
  const file = join(del, "RunRecords.csv");
  const gone = await runCli(
    ["exec", del, "--agent", "A", "--", "runrec-no-such-command-50", "--", "x"],
  );
  assertEquals(gone.code, 127, gone.stderr);
  assertMatch(gone.stderr, /could not be started/);
  const script = join(del, "tool.sh");
  await Deno.writeTextFile(script, "#!/bin/sh\nexit 0\n");
  const notExecutable = await runCli(["exec", del, "--agent", "A", "--", script, "--", "x"]);
  assertEquals(notExecutable.code, 126, notExecutable.stderr);
  const statuses = (await Deno.readTextFile(file)).trimEnd().split("\n").slice(1)
    .map((line) => line.split(",")[7]);
  assertEquals(statuses, ["FAILED", "FAILED"]);
  // Without exec's own --, the word before the -- is still refused (leftovers-50 5).
  const stray = await runCli(["exec", del, "--agent", "A", "runrec-no-such-command-50", "--", "x"]);
  assertEquals(stray.code, 2, stray.stderr);
  assertMatch(stray.stderr, /unexpected argument runrec-no-such-command-50 before --/);
});
