/**
 * Stop 45's new users: an agent, a script and a CI job meeting runrec from its docs alone, and
 * the two items stop 44 left. Each test is one friction they met, which failed before its fix.
 */
import { join } from "node:path";
import { readRecords } from "../mod.ts";
import { InputError } from "../src/errors.ts";
import { runCli } from "./cli.ts";
import { makeProject, writeTree } from "./fixtures.ts";
import { assertEquals, assertRejects } from "./assert.ts";

const readAll = async (path: string) => {
  for await (const _ of readRecords(path)) { /* read it all */ }
};

Deno.test("readRecords given a deliverable folder names the RunRecords.csv inside it, or says it holds none (newuser-45 F1)", async () => {
  const { del } = await makeProject();
  await assertRejects(
    () => readAll(del),
    InputError,
    `${del}: cannot read: is a folder, holding no RunRecords.csv (a record file is a ` +
      "deliverable's RunRecords.csv)",
  );
  const emitted = await runCli(["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  await assertRejects(
    () => readAll(del),
    InputError,
    `${del}: cannot read: is a folder (did you mean ${join(del, "RunRecords.csv")}?)`,
  );
  let records = 0;
  for await (const event of readRecords(join(del, "RunRecords.csv"))) {
    if (event.kind === "record") records++;
  }
  assertEquals(records, 1);
});

Deno.test("stale --agent in another case, of an agent that never ran in a folder checked, names it as the other folders' records spell it, or as its agent file does and says none ran (newuser-45 F2)", async () => {
  const { root, del } = await makeProject();
  const other = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_Other");
  await writeTree(other, { "_CONTEXT.md": "**DeliverableID:** DEL-01-03\n" });
  const emitted = await runCli(["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  const both = await runCli(["stale", del, other, "--agent", "4_documents", "--json"]);
  assertEquals(both.code, 0, both.stderr);
  const checks = (out: string) =>
    JSON.parse(out).checks.map((
      c: { deliverableId: string; agent: string; reason?: string },
    ) => [c.deliverableId, c.agent, c.reason ?? ""]);
  assertEquals(checks(both.stdout), [
    ["DEL-01-02", "4_DOCUMENTS", ""],
    ["DEL-01-03", "4_DOCUMENTS", "4_DOCUMENTS has no runs here"],
  ]);
  // Where it ran in none, the name is its (built-in) agent file's, and the reason says none ran.
  const alone = await runCli(["stale", other, "--agent", "4_documents", "--json"]);
  assertEquals(alone.code, 0, alone.stderr);
  assertEquals(checks(alone.stdout), [
    [
      "DEL-01-03",
      "4_DOCUMENTS",
      "4_DOCUMENTS has no runs here, nor in any other deliverable checked",
    ],
  ]);
  // Two spellings of one agent are one check.
  const twice = await runCli(["stale", other, "--agent", "4_documents,4_DOCUMENTS", "--json"]);
  assertEquals(checks(twice.stdout).length, 1);
});
