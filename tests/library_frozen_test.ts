/**
 * The schema tables the library exports are frozen: a caller that pushes to
 * one (`RUN_STATUSES.push("DONE")`) must not make runrec write a record that
 * `validate` rejects.
 */
import { assert, assertEquals, assertRejects, assertThrows } from "./assert.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { runScript } from "./support/library_script.ts";
import { recordsOf } from "./support/runs.ts";
import { COLUMNS, FIELDS, InputError, LIFECYCLE_STATES, recordRun, RUN_STATUSES } from "../mod.ts";
import { END_EVENT_TYPE } from "../src/export/openlineage.ts";
import { PROV_PREFIXES } from "../src/export/prov.ts";

Deno.test("library frozen: the exported schema tables and each field spec are frozen", () => {
  for (const [name, table] of Object.entries({ RUN_STATUSES, LIFECYCLE_STATES, FIELDS, COLUMNS })) {
    assert(Object.isFrozen(table), `${name} is not frozen`);
  }
  for (const field of FIELDS) assert(Object.isFrozen(field), `FIELDS ${field.name} is not frozen`);
  assert(Object.isFrozen(END_EVENT_TYPE), "END_EVENT_TYPE is not frozen");
  assert(Object.isFrozen(PROV_PREFIXES), "PROV_PREFIXES is not frozen");
});

Deno.test('library frozen: RUN_STATUSES.push("DONE") throws, and recordRun still refuses status DONE', async () => {
  const { del } = await makeProject();
  assertThrows(() => (RUN_STATUSES as unknown as string[]).push("DONE"), TypeError);
  assertThrows(() => (LIFECYCLE_STATES as unknown as string[]).push("WHATEVER"), TypeError);
  assertThrows(() => {
    (FIELDS[0] as { check?: unknown }).check = () => undefined;
  }, TypeError);
  assertEquals(RUN_STATUSES, ["SUCCESS", "PARTIAL", "FAILED", "SKIPPED"]);
  await assertRejects(
    () => recordRun(del, { agent: "M", status: "DONE" }),
    InputError,
    "status must be one of",
  );
  assertEquals(await recordsOf(del), []);
});

Deno.test("library frozen: a script that recompiles RUN_ID_PATTERN or DELIVERABLE_ID_PATTERN (compile('.*')) changes its own copy, never what validateRecord takes for a RunID or a DeliverableID (lib-40 F4)", async () => {
  const { answer } = await runScript(
    await tempDir({ prefix: "runrec-patterns-" }),
    ["--allow-read", "--allow-write", "--allow-sys=hostname"],
    `const dir = \`\${Deno.cwd()}/DEL-01-02_Flow\`;
    await Deno.mkdir(dir);
    const { written } = await rr.recordRun(dir, { agent: "A", status: "SUCCESS" });
    rr.RUN_ID_PATTERN.compile(".*");
    rr.DELIVERABLE_ID_PATTERN.compile(".*");
    const record = { ...written.record, RunID: "RUN-1", DeliverableID: "DEL-1" };
    return { fields: rr.validateRecord(record).map((problem) => problem.field) };`,
  );
  assert((answer.fields as string[]).includes("RunID"), JSON.stringify(answer));
  assert((answer.fields as string[]).includes("DeliverableID"), JSON.stringify(answer));
});
