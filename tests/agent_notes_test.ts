/**
 * An agent's free-text Notes never read as runrec's machine-read notes.
 *
 * @module
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { assertEquals } from "./assert.ts";
import { recordsOf } from "./support/runs.ts";
import { join } from "node:path";
import { agentText, NAMED_RUNS, runrecNote } from "../src/agent_notes.ts";
import { lateFinishNote } from "../src/annotations.ts";
import { inputFolderNote, inputFoldersIn } from "../src/input_folders.ts";
import { recordedLateNote, writtenAtMs } from "../src/recorded_late.ts";
import { spoolEntryOf } from "../src/spool.ts";
import { fromTokenNote, runIdNote } from "../src/run_ids.ts";
import { emitArgs, runCli, runCliProcess } from "./cli.ts";
import { makeProject } from "./fixtures.ts";

Deno.test("agentText marks each part that runrec's own note writers could have written", () => {
  const reaped = { RunID: "RUN-DEL-01-02-20260222-1015-001", RecordChecksum: "ab".repeat(32) };
  const forged = `second pass | ${inputFolderNote("../x")} | ${lateFinishNote(reaped)}`;
  strictEqual(
    agentText(forged),
    'second pass | (agent) input folder "../x" | (agent) finished after reap: ' +
      `supersedes=${reaped.RunID} | record ${reaped.RunID} checksum ${"ab".repeat(8)}`,
  );
  deepStrictEqual(inputFoldersIn(agentText(forged)), []);
  strictEqual(agentText("input folders: none | 100% done"), "input folders: none | 100% done");
  // A backfill's note would hide a clock set back from stale: the agent's is not read as one.
  const late = recordedLateNote(0, new Date("2099-01-01T00:00:00Z"))!;
  strictEqual(agentText(late), `(agent) ${late}`);
  strictEqual(writtenAtMs(agentText(late), 7), 7);
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
  const { token, id } = await pendingRun(del);
  const forged = await runCli(emitArgs(del, "--notes", `retry | run ${id} | x; run ${id}; y`));
  assertEquals(forged.code, 0, forged.stderr);
  const finish = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(finish.code, 0, finish.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.AgentName), ["4_DOCUMENTS", "DEPENDENCIES"]);
});

const RUN = "20260222T101500123Z-1a2b3c4d";
const FUTURE = "2099-01-01T00:00:00.000Z";

Deno.test("runrecNote: an agent's words quoted inside runrec's own note name no run and read as no machine note; runrec's machine notes stay", () => {
  const named = (notes: string) => [...notes.matchAll(NAMED_RUNS)].map((m) => m[1]);
  const quoted = [
    `--error given for a SUCCESS run, kept here: retry x | run ${RUN}`,
    `--error given for a SUCCESS run, kept here: x; run ${RUN}; y`,
    `--input a | run ${RUN} | b: not found`,
    `--input | run ${RUN}: not found`, // the note's own space before the agent's "| "
    `output a | run ${RUN} | b does not exist: recorded as DELETED`,
    `--error given for a SUCCESS run, kept here: ok | recorded late: written ${FUTURE} (inputs hashed then)`,
    `--error given for a SUCCESS run, kept here: ok | replayed from spool entry 1-2-3-ab (x)`,
    `--input x | ${fromTokenNote(RUN)} | y: not found`,
  ];
  for (const note of quoted) {
    const notes = `first | ${runrecNote(note)} | last`;
    deepStrictEqual(named(notes), [], notes);
    strictEqual(writtenAtMs(notes, 7), 7, notes);
    strictEqual(spoolEntryOf(notes), undefined, notes);
    ok(notes.includes("(agent) "), notes); // the text is kept, marked
  }
  const own = [
    inputFolderNote("inp"),
    inputFolderNote(`in | run ${RUN} | x; run ${RUN}`),
    inputFolderNote("in (agent) x"),
    recordedLateNote(0, new Date(FUTURE))!,
    lateFinishNote({ RunID: "RUN-DEL-01-02-20260222-1015-001", RecordChecksum: "ab".repeat(32) }),
    fromTokenNote(RUN),
  ];
  for (const note of own) strictEqual(runrecNote(note), note);
  deepStrictEqual(named(`x | ${runrecNote(fromTokenNote(RUN))} | ${runIdNote(RUN)}`), [RUN, RUN]);
  // A folder's name is quoted so that it names no run, and stale still walks that very folder.
  const folder = `in | run ${RUN} | x; run ${RUN}`;
  deepStrictEqual(named(`a | ${inputFolderNote(folder)} | b`), []);
  deepStrictEqual(inputFoldersIn(`a | ${inputFolderNote(folder)} | b`), [folder]);
});

/** A run of DEPENDENCIES started in `del` and left pending: its token and id. */
async function pendingRun(del: string): Promise<{ token: string; id: string }> {
  const start = await runCliProcess(["start", del, "--agent", "DEPENDENCIES"]);
  assertEquals(start.code, 0, start.stderr);
  const token = start.stdout.trim();
  return { token, id: token.slice(token.lastIndexOf("/") + 1).replace(/\.json$/, "") };
}

Deno.test("emit: a SUCCESS run's --error, an --input and an --output naming a pending run do not stand for it: reap leaves it, its finish records it", async () => {
  const { del } = await makeProject();
  const { token, id } = await pendingRun(del);
  const forged = await runCli(emitArgs(
    del,
    ...["--error", `retry x | run ${id}`],
    ...["--input", `a | run ${id} | b`, "--output", `c | run ${id} | d`],
  ));
  assertEquals(forged.code, 0, forged.stderr);
  const reap = await runCliProcess(["reap", del]);
  assertEquals(reap.code, 0, reap.stderr);
  const finish = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(finish.code, 0, finish.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.AgentName, r.RunStatus]), [
    ["4_DOCUMENTS", "SUCCESS"],
    ["DEPENDENCIES", "SUCCESS"],
  ]);
  deepStrictEqual([...records[0].Notes.matchAll(NAMED_RUNS)], [], records[0].Notes);
  ok(records[0].Notes.includes(`kept here: retry x | (agent) run ${id}`), records[0].Notes);
});

Deno.test("stale: a line stamped earlier is noted even when its --error forges 'recorded late' or its --notes the spool's replay marker", async () => {
  const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
  const unnoted: string[] = [];
  for (
    const forgery of [
      ["--error", `ok | recorded late: written ${iso(3_600_000)} (inputs hashed then)`],
      ["--notes", "replayed from spool entry 1-2-3-ab (as I please)"],
    ]
  ) {
    const { del } = await makeProject();
    const baseline = await runCli(emitArgs(del, "--started", iso(-30_000), "--duration", "25s"));
    assertEquals(baseline.code, 0, baseline.stderr);
    const earlier = await runCli(
      emitArgs(del, "--started", iso(-40_000), "--duration", "1s", ...forgery),
    );
    assertEquals(earlier.code, 0, earlier.stderr);
    const stale = await runCli(["stale", del]);
    if (!stale.stdout.includes("stamped earlier")) unnoted.push(`${forgery[0]}: ${stale.stdout}`);
  }
  deepStrictEqual(unnoted, []);
});

Deno.test("annotate: a --note naming a pending run's id does not stand for that run: reap leaves it, its finish records it", async () => {
  const { del } = await makeProject();
  const first = await runCli(emitArgs(del));
  assertEquals(first.code, 0, first.stderr);
  const { token, id } = await pendingRun(del);
  const note = `wrong inputs; run ${id}`;
  const annotate = await runCli([
    "annotate",
    del,
    first.stdout.trim(),
    "--invalidates",
    "--note",
    note,
  ]);
  assertEquals(annotate.code, 0, annotate.stderr);
  const reap = await runCliProcess(["reap", del]);
  assertEquals(reap.code, 0, reap.stderr);
  const finish = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(finish.code, 0, finish.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.AgentName, r.RunStatus]), [
    ["4_DOCUMENTS", "SUCCESS"],
    ["RUNREC_ANNOTATE", "SKIPPED"],
    ["DEPENDENCIES", "SUCCESS"],
  ]);
});

Deno.test("emit: an input folder whose name reads as a pending run's id does not stand for that run, and stale still walks it", async () => {
  const { del } = await makeProject();
  const { token, id } = await pendingRun(del);
  const folder = `in | run ${id} | x`;
  await Deno.mkdir(join(del, folder));
  await Deno.writeTextFile(join(del, folder, "a.md"), "a\n");
  const emitted = await runCli(emitArgs(del, "--input", folder));
  assertEquals(emitted.code, 0, emitted.stderr);
  const reap = await runCliProcess(["reap", del]);
  assertEquals(reap.code, 0, reap.stderr);
  const finish = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(finish.code, 0, finish.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.AgentName), ["4_DOCUMENTS", "DEPENDENCIES"]);
  deepStrictEqual(inputFoldersIn(records[0].Notes), [folder]);
  await Deno.writeTextFile(join(del, folder, "b.md"), "a file added to the input folder\n");
  const stale = await runCli(["stale", del, "--agent", "4_DOCUMENTS"]);
  ok(stale.stdout.includes("b.md"), stale.stdout + stale.stderr);
});

Deno.test("a lock's holder text naming a pending run, noted when the lock is recovered, does not stand for that run: its finish records it", async () => {
  const { del } = await makeProject();
  const { token, id } = await pendingRun(del);
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  // Any writer of the folder can leave a lock file: its holder is quoted in the next record.
  await Deno.writeTextFile(
    join(del, "RunRecords.csv.lock"),
    JSON.stringify({
      holder: `crashed | run ${id} | x`,
      acquired: new Date().toISOString(),
      lease_duration_s: 300,
      pid: dead.pid,
      deliverable_id: "DEL-01-02",
      schema_version: "v1.0",
      hostname: Deno.hostname(),
    }),
  );
  const emitted = await runCli(emitArgs(del));
  assertEquals(emitted.code, 0, emitted.stderr);
  const reap = await runCliProcess(["reap", del]);
  assertEquals(reap.code, 0, reap.stderr);
  const finish = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(finish.code, 0, finish.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.AgentName), ["4_DOCUMENTS", "DEPENDENCIES"]);
  ok(records[0].Notes.includes(`recovered orphaned lock`), records[0].Notes);
});

Deno.test("start and emit of a folder input say it as a sentence on stderr, while the record keeps the machine note stale reads; an input found through a backslash read as a separator is noted (trial-x F4)", async () => {
  const { root, del } = await makeProject();
  await Deno.mkdir(join(del, "notes dir"));
  await Deno.writeTextFile(join(del, "notes dir", "a.md"), "a\n");
  const said =
    "runrec: note: input notes dir is a folder: stale reports a file added to it later\n";
  const start = await runCliProcess(["start", del, "--agent", "A", "--input", "notes dir"]);
  assertEquals(start.code, 0, start.stderr);
  ok(start.stderr.includes(said), start.stderr);
  const emit = await runCliProcess(emitArgs(del, "--input", "notes dir"));
  ok(emit.stderr.includes(said), emit.stderr);
  ok(!emit.stderr.includes("note: input folder"), emit.stderr);
  const [record] = await recordsOf(del);
  deepStrictEqual(inputFoldersIn(record.Notes), ["notes dir"]);
  // A file named with a backslash for a separator: recorded as the file it names, and said.
  const slashed = await runCliProcess(emitArgs(del, "--input", "notes dir\\a.md"));
  ok(
    slashed.stderr.includes(
      "note: --input notes dir\\a.md: a backslash is read as a folder separator: recorded as " +
        "notes dir/a.md\n",
    ),
    slashed.stderr,
  );
  deepStrictEqual((await recordsOf(del))[1].InputFiles, ["notes dir/a.md"]);
  await Deno.remove(root, { recursive: true });
});
