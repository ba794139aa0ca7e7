/**
 * What `--json` prints on the paths the json-outputs sweep found
 * undocumented: each value a document carries is one the command's help
 * lists.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/json_outputs_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals, assertIncludes } from "./assert.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { runCliProcess } from "./cli.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";

Deno.test('json outputs: finish --strict --json of a record that cannot be written says "not written", which its help lists, exits 2 and leaves the run pending (json-outputs F4)', async () => {
  const { del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  await Deno.mkdir(join(del, RECORD_FILE)); // a folder where the record file goes
  const started = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"], FULL_FLAGS, env);
  const token = started.stdout.trim();
  const finish = ["finish", token, "--status", "SUCCESS", "--strict", "--json"];
  const failed = await runCliProcess(finish, FULL_FLAGS, env);
  assertEquals(failed.code, 2, failed.stderr);
  const outcome = JSON.parse(failed.stdout).outcome;
  assertEquals(outcome, "not written");
  const help = await runCliProcess(["finish", "--help"], FULL_FLAGS, env);
  assertIncludes(help.stdout.replace(/\s+/g, " "), `"${outcome}" (exit 2; the run stays pending)`);
  await Deno.remove(join(del, RECORD_FILE));
  const again = await runCliProcess(finish, FULL_FLAGS, env);
  assertEquals(JSON.parse(again.stdout).outcome, "written", again.stderr);
});

Deno.test("json outputs: verify --json marks a damaged pending run as damaged, as its text warning does (json-outputs F5)", async () => {
  const { del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  const started = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"], FULL_FLAGS, env);
  await Deno.writeTextFile(started.stdout.trim(), ""); // emptied by a sync tool or a crash
  const text = await runCliProcess(["verify", del], FULL_FLAGS, env);
  assertIncludes(text.stderr, "damaged");
  const json = await runCliProcess(["verify", del, "--json"], FULL_FLAGS, env);
  const [run] = JSON.parse(json.stdout).pendingRuns;
  assertEquals([run.agent, run.damaged], ["", true]);
});
