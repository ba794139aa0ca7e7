/**
 * Stop 44's new users: an agent, a script and a CI job meeting runrec from its docs alone. Each
 * test is one friction they met, which failed before its fix.
 */
import { join } from "node:path";
import { runCli } from "./cli.ts";
import { makeProject } from "./fixtures.ts";
import { assertEquals, assertIncludes } from "./assert.ts";

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("a stray word after --input or --output that names no file says it is a second path needing its own option, or a path needing quotes; nothing is written (newuser-44 F1)", async () => {
  const { del } = await makeProject();
  for (
    const [option, value, words] of [
      ["--input", "Datasheet.md", ["Gone.md"]], // a second path, misspelt or deleted
      ["--output", "Datasheet.md", ["Report.md"]], // an output not written yet
      ["--input", "Data", ["sheet", "v2.md"]], // a path with spaces, not there
    ] as const
  ) {
    const run = await runCli([
      "emit",
      del,
      "--agent",
      "A",
      "--status",
      "SUCCESS",
      option,
      value,
      ...words,
    ]);
    assertEquals(run.code, 2, run.stderr);
    const quoted = [value, ...words].join(" ");
    assertEquals(
      run.stderr,
      `runrec emit: unexpected argument "${words[0]}" (it follows ${option} ${value}: a second ` +
        `path needs its own ${option} (${option} ${words[0]}); a path holding spaces needs ` +
        `quotes (${option} '${quoted}')) (see runrec emit --help)\n`,
    );
  }
  assertEquals(await exists(join(del, "RunRecords.csv")), false);
  // Every word naming a file is stop 43's "takes one path" line, not this one.
  const many = await runCli(
    ["emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "Datasheet.md", "_STATUS.md"],
  );
  assertIncludes(many.stderr, "--input: takes one path, and 1 more followed it");
});

Deno.test("stale --agent matches an agent's name in any case, as log --agent does, and says so in its help; a misspelt one is still refused (newuser-44 F2)", async () => {
  const { del } = await makeProject();
  const emitted = await runCli(
    ["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--input", "Datasheet.md"],
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  for (const asked of ["4_documents", "4_Documents"]) {
    const clean = await runCli(["stale", del, "--agent", asked, "--json"]);
    assertEquals(clean.code, 0, clean.stderr);
    const report = JSON.parse(clean.stdout);
    assertEquals(
      report.checks.map((c: { agent: string; verdict: string }) => [c.agent, c.verdict]),
      [["4_DOCUMENTS", "CLEAN"]],
    );
  }
  await Deno.writeTextFile(join(del, "Datasheet.md"), "# Datasheet, revised\n");
  const dirty = await runCli(["stale", del, "--agent", "4_documents"]);
  assertEquals(dirty.code, 1, dirty.stderr);
  assertIncludes(dirty.stdout, "DIRTY        DEL-01-02  4_DOCUMENTS");
  // log agrees.
  const log = await runCli(["log", del, "--agent", "4_documents", "--format", "json"]);
  assertEquals(JSON.parse(log.stdout).length, 1);
  const misspelt = await runCli(["stale", del, "--agent", "4_documnts"]);
  assertEquals(misspelt.code, 2);
  assertIncludes(misspelt.stderr, "did you mean 4_DOCUMENTS?");
  const help = await runCli(["stale", "--help"]);
  assertIncludes(help.stdout, "case does not\n                matter, as in log");
});
