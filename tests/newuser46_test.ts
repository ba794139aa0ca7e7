/**
 * Stop 46's new users: an agent, a script author and a team lead meeting runrec from its docs
 * alone, and the items stop 45 left. Each test is one friction they met, which failed before
 * its fix.
 */
import { join } from "node:path";
import { runCli } from "./cli.ts";
import { makeProject } from "./fixtures.ts";
import { assertEquals } from "./assert.ts";

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("exec --input a.md gone.md -- CMD, gone.md naming no file and no command, says --input takes one path and gone.md was taken as CMD; nothing run, nothing recorded (newuser-46 F1)", async () => {
  const { del } = await makeProject();
  const ran = join(del, "ran.txt");
  for (
    const [words, shown] of [
      [["gone.md"], "--input Datasheet.md --input gone.md"],
      [["gone.md", "Notes.md"], "--input Datasheet.md --input gone.md --input Notes.md"],
      [["./gone.sh"], "--input Datasheet.md --input ./gone.sh"],
    ]
  ) {
    const run = await runCli([
      ...["exec", del, "--agent", "4_DOCUMENTS", "--input", "Datasheet.md"],
      ...words,
      ...["--", "touch", ran],
    ]);
    assertEquals(run.code, 2, run.stderr);
    assertEquals(
      run.stderr,
      `runrec exec: --input: takes one path, and ${words.length} more followed it: give each ` +
        `its own (${shown}), or list them in a file (--inputs-from F); ${words[0]} was taken as ` +
        "CMD and names no command: nothing run, nothing recorded (see runrec exec --help)\n",
    );
  }
  assertEquals(await exists(ran), false);
  assertEquals(await exists(join(del, "RunRecords.csv")), false);
  assertEquals(await exists(join(del, ".runrec", "pending")), false);
  // A command the shell finds, after an option's value, is CMD, its -- its own.
  const found = await runCli([
    ...["exec", del, "--agent", "4_DOCUMENTS", "--input", "Datasheet.md"],
    ...["touch", "--", ran],
  ]);
  assertEquals(found.code, 0, found.stderr);
  assertEquals(await exists(ran), true);
});
