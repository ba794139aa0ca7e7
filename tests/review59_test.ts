/**
 * Stop 59's review of newuser59's messages: each test is a case where a hint it added was not
 * true, or a remedy did not work as written, and failed before its fix.
 *
 * @module
 */
import { join } from "node:path";
import { makeProject, tempDir } from "./fixtures.ts";
import { emitArgs, runCli, runCliProcess } from "./cli.ts";
import { assert, assertEquals, assertIncludes } from "./assert.ts";

const SHELL_SAID = "the shell's to expand";

Deno.test("an --input whose $ or ~ is its own name's gets the near name, not the shell's expansion; ~/x names a folder ~ where there is one (review59)", async () => {
  const { del } = await makeProject();
  await Deno.writeTextFile(join(del, "price$x.md"), "price\n");
  await Deno.mkdir(join(del, "~"));
  await Deno.writeTextFile(join(del, "~", "notes.md"), "notes\n");
  const hashed = await runCli(
    ["hash", del, "--input", "price$x.mdd", "--input", "~/notes.mdd", "--input", "$HOME/a.md"],
  );
  assertEquals(hashed.code, 0, hashed.stderr);
  assertIncludes(hashed.stderr, "--input price$x.mdd: not found (did you mean price$x.md?)\n");
  assertIncludes(hashed.stderr, "--input ~/notes.mdd: not found (did you mean ~/notes.md?)\n");
  // With no name near it, the variable is still said.
  assertIncludes(hashed.stderr, `--input $HOME/a.md: not found ($HOME is ${SHELL_SAID}`);

  // A folder named ~ where runrec runs: exec makes a new deliverable in it, as it did before.
  const here = await tempDir({ prefix: "runrec-tilde-" });
  await Deno.mkdir(join(here, "~"));
  const made = await runCliProcess(
    ["exec", "~/DEL-01-03_New", "--agent", "4_DOCUMENTS", "--", "mkdir", "~/DEL-01-03_New"],
    undefined,
    {},
    here,
  );
  assertEquals(made.code, 0, made.stderr);
  assert(!made.stderr.includes(SHELL_SAID), made.stderr);
  assert(Deno.statSync(join(here, "~", "DEL-01-03_New", "RunRecords.csv")).isFile);
  const missing = await runCliProcess(emitArgs("~/DEL-01-04_Gone"), undefined, {}, here);
  assertEquals(missing.code, 2, missing.stderr);
  assert(!missing.stderr.includes(SHELL_SAID), missing.stderr);
});

Deno.test("a folder named with its ID and a space, whose _CONTEXT.md's DeliverableID is TBD: the remedy names the line to replace, which then works (review59)", async () => {
  const { root } = await makeProject();
  const named = join(root, "PKG-01_Pkg", "1_Working", "DEL-06-01 Débit");
  await Deno.mkdir(named);
  const context = join(named, "_CONTEXT.md");
  await Deno.writeTextFile(context, "# Context\n\n**DeliverableID:** TBD\n");
  const refused = await runCli(emitArgs(named));
  assertEquals(refused.code, 2, refused.stderr);
  assertIncludes(
    refused.stderr,
    ": write the line **DeliverableID:** DEL-06-01 in its _CONTEXT.md in place of line 3, or " +
      "rename it DEL-06-01_Débit\n",
  );
  // A line added after it is not read: the first ID field is the one.
  await Deno.writeTextFile(context, "**DeliverableID:** DEL-06-01\n", { append: true });
  assertEquals((await runCli(emitArgs(named))).code, 2);
  await Deno.writeTextFile(context, "# Context\n\n**DeliverableID:** DEL-06-01\n");
  const recorded = await runCli(emitArgs(named));
  assertEquals(recorded.code, 0, recorded.stderr);

  // What follows the ID is said as the character it is, not half of one.
  const emoji = join(root, "PKG-01_Pkg", "1_Working", "DEL-06-02🚀Launch");
  await Deno.mkdir(emoji);
  const said = await runCli(emitArgs(emoji));
  assertEquals(said.code, 2, said.stderr);
  assertIncludes(said.stderr, 'the folder name has DEL-06-02 followed by "🚀", not by _');
});
