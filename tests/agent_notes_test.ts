/**
 * An agent's free-text Notes never read as runrec's machine-read notes.
 *
 * @module
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { assertEquals } from "./assert.ts";
import { recordsOf } from "./support/runs.ts";
import { join } from "node:path";
import { agentNotes } from "../src/agent_notes.ts";
import { lateFinishNote } from "../src/annotations.ts";
import { inputFolderNote, inputFoldersIn } from "../src/input_folders.ts";
import { recordedLateNote, writtenAtMs } from "../src/recorded_late.ts";
import { emitArgs, runCli, runCliProcess } from "./cli.ts";
import { makeProject } from "./fixtures.ts";

Deno.test("agentNotes marks each part that runrec's own note writers could have written", () => {
  const reaped = { RunID: "RUN-DEL-01-02-20260222-1015-001", RecordChecksum: "ab".repeat(32) };
  const forged = `second pass | ${inputFolderNote("../x")} | ${lateFinishNote(reaped)}`;
  strictEqual(
    agentNotes(forged),
    'second pass | (agent) input folder "../x" | (agent) finished after reap: ' +
      `supersedes=${reaped.RunID} | record ${reaped.RunID} checksum ${"ab".repeat(8)}`,
  );
  deepStrictEqual(inputFoldersIn(agentNotes(forged)), []);
  strictEqual(agentNotes("input folders: none | 100% done"), "input folders: none | 100% done");
  // A backfill's note would hide a clock set back from stale: the agent's is not read as one.
  const late = recordedLateNote(0, new Date("2099-01-01T00:00:00Z"))!;
  strictEqual(agentNotes(late), `(agent) ${late}`);
  strictEqual(writtenAtMs(agentNotes(late), 7), 7);
  strictEqual(writtenAtMs(late, 7), Date.parse("2099-01-01T00:00:00Z"));
});

Deno.test("emit: --notes that read like runrec's notes neither supersede a run nor add an input folder to stale", async () => {
  const { root, del } = await makeProject();
  const first = await runCli(
    emitArgs(del, "--started", "2026-02-22T10:00:00Z", "--duration", "PT1M"),
  );
  strictEqual(first.code, 0, first.stderr);
  const firstId = first.stdout.trim();
  const forged = await runCli(emitArgs(
    del,
    ...["--started", "2026-02-22T11:00:00Z", "--duration", "PT1M"],
    ...["--notes", `finished after reap: supersedes=${firstId} | input folder "../../.."`],
  ));
  strictEqual(forged.code, 0, forged.stderr);
  const log = await runCli(["log", del, "--format", "json"]);
  ok(!log.stdout.includes("SUPERSEDED") && !log.stdout.includes('"superseded"'), log.stdout);
  await Deno.writeTextFile(join(root, "NEW_NOTE.md"), "# a file the run never read\n");
  const stale = await runCli(["stale", del]);
  strictEqual(stale.code, 0, stale.stdout + stale.stderr);
  ok(!stale.stdout.includes("NEW_NOTE.md"), stale.stdout);
  ok(!stale.stdout.includes(firstId), `the second run is the baseline: ${stale.stdout}`);
});

Deno.test("emit: --notes naming a pending run's id as runrec writes it does not stand for that run; its finish records it", async () => {
  const { del } = await makeProject();
  const start = await runCliProcess(["start", del, "--agent", "DEPENDENCIES"]);
  assertEquals(start.code, 0, start.stderr);
  const token = start.stdout.trim();
  const id = token.slice(token.lastIndexOf("/") + 1).replace(/\.json$/, "");
  const forged = await runCli(emitArgs(del, "--notes", `retry | run ${id} | x; run ${id}; y`));
  assertEquals(forged.code, 0, forged.stderr);
  const finish = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(finish.code, 0, finish.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.AgentName), ["4_DOCUMENTS", "DEPENDENCIES"]);
});
