/**
 * `runrec annotate` and the annotations it appends (REQ-03): the annotated
 * run is never changed, the annotation is an ordinary checked record line,
 * and `log`, `show` and {@linkcode isUsableBaseline} honour it.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/annotate_test.ts
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ambiguousAnnotations,
  AnnotationRefused,
  annotationsFor,
  annotationsIn,
  annotationsOf,
  ANNOTATOR,
  appendAnnotation,
  isUsableBaseline,
  lateFinishNote,
} from "../src/annotations.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { acquireLock } from "../src/lock.ts";
import { journalPath } from "../src/journal.ts";
import { readRecords } from "../src/reader.ts";
import type { RunRecord } from "../src/schema.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { emitArgs, runCli, runCliProcess } from "./cli.ts";
import { git, makeProject, ROOT, sampleDraft, tempDir } from "./fixtures.ts";

/** A deliverable with two SUCCESS runs and one FAILED run. */
async function project(): Promise<{ del: string; file: string; runs: RunRecord[] }> {
  const { del } = await makeProject();
  const file = join(del, RECORD_FILE);
  const runs: RunRecord[] = [];
  for (const [at, status] of [["01", "SUCCESS"], ["02", "FAILED"], ["03", "SUCCESS"]]) {
    const draft = sampleDraft({
      RunTimestamp: `2026-02-${at}T09:00:00Z`,
      RunStatus: status,
      ErrorSummary: status === "FAILED" ? "broke" : "",
    });
    runs.push((await appendRecord(file, draft, { fsync: false })).record);
  }
  return { del, file, runs };
}

async function recordsOf(file: string): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for await (const event of readRecords(file)) {
    assert.equal(event.kind, "record");
    if (event.kind === "record") records.push(event.record);
  }
  return records;
}

Deno.test("annotate --invalidates appends one checked line and leaves every earlier byte", async () => {
  const { del, file, runs } = await project();
  const before = await Deno.readFile(file);
  const { code, stdout, stderr } = await runCli([
    "annotate",
    del,
    runs[0].RunID,
    "--invalidates",
    "--note",
    "ran on the wrong decomposition",
  ]);
  assert.equal(code, 0, stderr);
  const after = await Deno.readFile(file);
  assert.deepEqual(after.subarray(0, before.length), before);
  const records = await recordsOf(file);
  assert.equal(records.length, 4);
  const note = records[3];
  assert.equal(stdout, `${note.RunID}\n`);
  assert.equal(note.AgentName, ANNOTATOR);
  assert.equal(note.RunStatus, "SKIPPED");
  // It names the run by RunID and by the start of its RecordChecksum (two clones can share a RunID).
  assert.equal(
    note.Notes,
    `annotates=${runs[0].RunID}; invalidates; note=ran on the wrong decomposition | ` +
      `record ${runs[0].RunID} checksum ${runs[0].RecordChecksum.slice(0, 16)}`,
  );
  assert.equal((await runCli(["validate", del])).code, 0);
  assert.equal((await runCli(["verify", del])).code, 0);
});

Deno.test("annotations: an invalidated or superseded run is not a usable baseline", async () => {
  const { del, file, runs } = await project();
  const [first, failed, third] = runs;
  assert.equal(
    (await runCli(["annotate", del, third.RunID, "--invalidates", "--note", "x"])).code,
    0,
  );
  let annotations = await annotationsOf(file);
  assert.deepEqual(annotations.get(third.RunID)?.map((a) => a.kind), ["invalidated"]);
  assert.equal(isUsableBaseline(third, annotations), false);
  assert.equal(isUsableBaseline(first, annotations), true);
  assert.equal(isUsableBaseline(failed, annotations), false, "a FAILED run is never a baseline");
  const args = ["annotate", del, third.RunID, "--supersedes", first.RunID, "--note", "rerun"];
  assert.equal((await runCli(args)).code, 0);
  annotations = await annotationsOf(file);
  assert.deepEqual(annotations.get(first.RunID)?.map((a) => [a.kind, a.other, a.note]), [
    ["superseded", third.RunID, "rerun"],
  ]);
  assert.equal(isUsableBaseline(first, annotations), false);
  const records = await recordsOf(file);
  for (const annotation of records.slice(3)) {
    assert.equal(isUsableBaseline(annotation, annotations), false, "an annotation is no run");
  }
});

Deno.test("annotations: log marks invalidated and superseded runs; show lists them", async () => {
  const { del, runs } = await project();
  const [first, , third] = runs;
  await runCli(["annotate", del, first.RunID, "--invalidates", "--note", "bad | input"]);
  await runCli(["annotate", del, third.RunID, "--supersedes", first.RunID, "--note", "rerun"]);
  const table = await runCli(["log", del]);
  assert.equal(table.code, 0);
  const rows = table.stdout.trimEnd().split("\n").slice(1);
  assert.equal(rows.length, 5, "annotations are rows, as in every format");
  assert.match(rows[0], new RegExp(`SUCCESS \\[INVALIDATED; SUPERSEDED by ${third.RunID}\\]`));
  assert.doesNotMatch(rows[2], /\[/);
  assert.match(rows[3], new RegExp(`SKIPPED \\[marks ${first.RunID} INVALIDATED\\]`));
  const md = await runCli(["log", del, "--format", "md"]);
  assert.ok(md.stdout.includes(`| SUCCESS [INVALIDATED; SUPERSEDED by ${third.RunID}] |`));
  const jsonl = await runCli(["log", del, "--format", "jsonl"]);
  assert.equal(jsonl.stdout.trimEnd().split("\n").length, 5, "jsonl lists every record");
  const show = await runCli(["show", del, first.RunID]);
  assert.equal(show.code, 0);
  assert.ok(show.stdout.includes("## Annotations (2)\n"), show.stdout);
  assert.match(show.stdout, /\| INVALIDATED \| bad \\\| input \|/);
  assert.ok(show.stdout.includes(`| SUPERSEDED by ${third.RunID} | rerun |`));
  const plain = await runCli(["show", del, runs[1].RunID]);
  assert.ok(plain.stdout.includes("## Annotations (0)\n\n_none_\n"));
});

Deno.test("annotate: unknown RunID exits 1, bad usage exits 2, and the file is unchanged", async () => {
  const { del, file, runs } = await project();
  const before = await Deno.readFile(file);
  const id = runs[0].RunID;
  const cases: [string[], number, RegExp][] = [
    [[id.replace(/-001$/, "-009"), "--invalidates", "--note", "x"], 1, /is not a run in/],
    [[id, "--supersedes", id.replace(/01-0900/, "09-0900"), "--note", "x"], 1, /is not a run/],
    [[id, "--invalidates"], 2, /--note/],
    [[id, "--invalidates", "--supersedes", runs[2].RunID, "--note", "x"], 2, /contradict/],
    [[id, "--supersedes", id, "--note", "x"], 2, /itself/],
    [["RUN-nope", "--note", "x"], 2, /not a RunID/],
  ];
  for (const [args, exit, message] of cases) {
    const { code, stdout, stderr } = await runCli(["annotate", del, ...args]);
    assert.equal(code, exit, `${args.join(" ")}: ${stderr}`);
    assert.equal(stdout, "");
    assert.match(stderr, message);
    assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
  }
  assert.deepEqual(await Deno.readFile(file), before);
  // A folder where the record file should be: one line naming it.
  const { del: other } = await project();
  await Deno.remove(join(other, RECORD_FILE));
  await Deno.mkdir(join(other, RECORD_FILE));
  const folder = await runCli(["annotate", other, id, "--invalidates", "--note", "x"]);
  assert.equal(folder.code, 2);
  assert.equal(
    folder.stderr,
    `runrec annotate: ${join(other, RECORD_FILE)}: cannot read: is a folder\n`,
  );
});

Deno.test("appendAnnotation (the library) refuses a run the file holds no record of, as runrec annotate does: an annotation could never be taken back; the file is unchanged", async () => {
  const { del, file, runs } = await project();
  const before = await Deno.readFile(file);
  const missing = runs[0].RunID.replace(/-001$/, "-009");
  const refusals: [string, () => Promise<unknown>][] = [
    [missing, () => appendAnnotation(del, missing, { invalidates: true }, "x")],
    [missing, () => appendAnnotation(del, runs[0].RunID, { supersedes: missing }, "x")],
  ];
  for (const [id, annotate] of refusals) {
    await assert.rejects(annotate, (e: Error) => {
      assert.ok(e instanceof AnnotationRefused, String(e));
      assert.equal(e.message, `${file}: no record of ${id} in it; nothing written`);
      return true;
    });
  }
  assert.deepEqual(await Deno.readFile(file), before);
});

Deno.test("annotate --note is kept as given, spaces and tabs too, as emit keeps --notes; a blank one is refused", async () => {
  const { del, file, runs } = await project();
  const note = "  lead and trail \t ";
  const blank = await runCli(["annotate", del, runs[0].RunID, "--note", " \t "]);
  assert.equal(blank.code, 2, blank.stderr);
  assert.match(blank.stderr, /--note: a reason is required/);
  const { code, stderr } = await runCli(["annotate", del, runs[0].RunID, "--note", note]);
  assert.equal(code, 0, stderr);
  const annotations = await annotationsOf(file);
  assert.deepEqual(annotations.get(runs[0].RunID)?.map((a) => a.note), [note]);
  const emitted = await runCli(emitArgs(del, "--notes", note));
  assert.equal(emitted.code, 0, emitted.stderr);
  assert.equal((await recordsOf(file)).at(-1)!.Notes.startsWith(note), true);
});

Deno.test("annotations: stale takes no invalidated run as its baseline", async () => {
  const { del } = await makeProject();
  const first = await runCli(["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"]);
  const runId = first.stdout.trim();
  const clean = await runCli(["stale", del, "--json"]);
  assert.equal(clean.code, 0, clean.stderr);
  assert.match(clean.stdout, /"CLEAN"/);
  const annotated = await runCli(["annotate", del, runId, "--note", "bad input", "--invalidates"]);
  assert.equal(annotated.code, 0, annotated.stderr);
  const out = await runCli(["stale", del, "--json"]);
  assert.match(out.stdout, /"NO_BASELINE"/);
  assert.doesNotMatch(out.stdout, /RUNREC_ANNOTATE/);
  // The reason says why the one SUCCESS is no baseline.
  const text = await runCli(["stale", del]);
  assert.match(text.stdout, /1 SUCCESS; 1 of them invalidated or superseded/);
  assert.match(text.stdout, /^1 check: 0 DIRTY, 0 CLEAN, 1 NO_BASELINE \(staleness unknown/m);
});

Deno.test("annotate: a RunID two merged branches both used is refused without --line, naming both lines and the option; --line N annotates that record only", async () => {
  const { root, del } = await makeProject();
  const file = join(del, RECORD_FILE);
  await Deno.writeTextFile(join(root, ".gitattributes"), `${RECORD_FILE} merge=union\n`);
  await git(root, "init", "-q", "-b", "main");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "project");
  // One minute, two clones (branches): each allocates SEQ 001.
  const at = "2026-02-22T10:15:00Z";
  await git(root, "checkout", "-qb", "feature");
  await appendRecord(file, sampleDraft({ AgentName: "FEATURE", RunTimestamp: at }), {
    fsync: false,
  });
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "feature run");
  await git(root, "checkout", "-q", "main");
  // Two clones in truth: the other has neither this one's journal nor the notes of the RunIDs
  // given in this repository (.git/runrec-locks), which keep its SEQ here.
  await Deno.remove(journalPath(file));
  await Deno.remove(join(root, ".git", "runrec-locks"), { recursive: true });
  await appendRecord(file, sampleDraft({ AgentName: "MAIN", RunTimestamp: at }), { fsync: false });
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "main run");
  await git(root, "merge", "-q", "--no-edit", "feature");
  const records = await recordsOf(file);
  assert.deepEqual(records.map((r) => r.AgentName).sort(), ["FEATURE", "MAIN"]);
  assert.equal(records[0].RunID, records[1].RunID, "the merge left one RunID twice");

  const before = await Deno.readFile(file);
  const { code, stdout, stderr } = await runCli([
    "annotate",
    del,
    records[0].RunID,
    "--invalidates",
    "--note",
    "wrong inputs",
  ]);
  assert.equal(code, 2, stderr);
  assert.equal(stdout, "");
  assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
  assert.match(stderr, new RegExp(`${records[0].RunID} names 2 records \\(line 2 \\(`));
  // It names each line's agent and the option that says which is meant.
  assert.match(stderr, /line 2 \((MAIN|FEATURE)\), line 3 \((MAIN|FEATURE)\)/);
  assert.match(stderr, /nothing written: say which with --line N/);
  assert.match(stderr, new RegExp(`runrec show .* ${records[0].RunID} --line N`));
  assert.deepEqual(await Deno.readFile(file), before);

  // A line that holds no record of it, or a line number that is none: refused, nothing written.
  const wrongLine = await runCli(["annotate", del, records[0].RunID, "--line", "1", "--note", "x"]);
  assert.equal(wrongLine.code, 1, wrongLine.stderr);
  // Where it is, so the next try needs no search (newuser-60 F4).
  assert.match(
    wrongLine.stderr,
    new RegExp(
      `line 1 holds no record of ${records[0].RunID}; ${records[0].RunID} is on lines 2, 3\n$`,
    ),
  );
  const notANumber = await runCli([
    "annotate",
    del,
    records[0].RunID,
    "--line",
    "2x",
    "--note",
    "x",
  ]);
  assert.equal(notANumber.code, 2, notANumber.stderr);
  assert.match(notANumber.stderr, /--line: expected a line number \(1 or more\), got "2x"/);
  // Past the file's end: said so, not "holds no record" (review-f F4).
  const past = await runCli(["annotate", del, records[0].RunID, "--line", "99", "--note", "x"]);
  assert.equal(past.code, 2, past.stderr);
  assert.match(past.stderr, /--line 99: .*RunRecords\.csv has 3 lines; nothing written/);
  assert.deepEqual(await Deno.readFile(file), before);
  // A torn last line (an append cut short) holds no record: said as a line that cannot be read.
  const torn = new Uint8Array([...before, ...new TextEncoder().encode("v1.0,RUN-DEL-01-02")]);
  await Deno.writeFile(file, torn);
  const onTorn = await runCli(["annotate", del, records[0].RunID, "--line", "4", "--note", "x"]);
  assert.equal(onTorn.code, 2, onTorn.stderr);
  assert.match(onTorn.stderr, /--line 4: the line cannot be read \(.*\); nothing written/);
  assert.deepEqual(await Deno.readFile(file), torn);
  await Deno.writeFile(file, before);

  // --line 3 picks the record on line 3: it is invalidated, the other stays a baseline.
  const picked = await runCli([
    ...["annotate", del, records[0].RunID, "--line", "3", "--invalidates"],
    ...["--note", "wrong inputs"],
  ]);
  assert.equal(picked.code, 0, picked.stderr);
  const after = await recordsOf(file);
  assert.equal(after.length, 3);
  assert.match(
    after[2].Notes,
    new RegExp(`record ${records[0].RunID} checksum ${records[1].RecordChecksum.slice(0, 16)}$`),
  );
  const annotations = await annotationsOf(file);
  assert.equal(isUsableBaseline(records[0], annotations), true, "line 2's record is untouched");
  assert.equal(isUsableBaseline(records[1], annotations), false, "line 3's is invalidated");
});

Deno.test("annotationsIn: a run's own late-finish note supersedes the reaped record it names by RunID and checksum, not another clone's record of that RunID; the phrase elsewhere does not", () => {
  const run = (runId: string, notes: string, checksum = "0".repeat(64)) =>
    ({
      AgentName: "A",
      RunID: runId,
      RunTimestamp: "2026-02-22T10:15:00.000Z",
      Notes: notes,
      RecordChecksum: checksum,
    }) as RunRecord;
  const reaped = run("RUN-DEL-01-02-20260222-1015-001", "reaped", "ab".repeat(32));
  const note = lateFinishNote(reaped);
  assert.equal(
    note,
    `finished after reap: supersedes=${reaped.RunID} | record ${reaped.RunID} checksum ${
      "ab".repeat(8)
    }`,
  );
  const late = run("RUN-DEL-01-02-20260222-1015-002", `done | ${note} | run 1`, "cd".repeat(32));
  const annotations = annotationsIn([
    reaped,
    late,
    run("RUN-DEL-01-02-20260222-1015-003", `quoting "${note}" in prose`),
  ]);
  assert.deepEqual(annotations.get(reaped.RunID)?.map((a) => [a.kind, a.other, a.note]), [
    ["superseded", late.RunID, "finished after reap wrote it as FAILED"],
  ]);
  assert.deepEqual(annotations.get(late.RunID)?.map((a) => a.kind), ["supersedes"]);
  assert.equal(annotations.has("RUN-DEL-01-02-20260222-1015-003"), false);
  // Another clone's record numbered like the reaped one (one minute): the note does not mark it.
  const other = run(reaped.RunID, "another clone's run", "ef".repeat(32));
  const merged = annotationsIn([reaped, other, late]);
  assert.equal(isUsableBaseline({ ...other, RunStatus: "SUCCESS" }, merged), true);
  assert.deepEqual(annotationsFor(merged, reaped).map((a) => a.kind), ["superseded"]);
  assert.deepEqual(ambiguousAnnotations([reaped, other, late]), []);
  // Written before it named the record (RunID alone): it marks both, and says so.
  const older = run(late.RunID, `done | finished after reap: supersedes=${reaped.RunID}`);
  const old = annotationsIn([reaped, other, older]);
  assert.equal(isUsableBaseline({ ...other, RunStatus: "SUCCESS" }, old), false);
  assert.equal(ambiguousAnnotations([reaped, other, older]).length, 1);
});

const DEL2 = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
const DEL3 = "PKG-01_Field_Instruments/1_Working/DEL-01-03_Level_Switch_Datasheet";

/** A copy of examples/ with `count` SUCCESS runs of 4_DOCUMENTS in DEL-01-02, a day apart, oldest first. */
async function examplesWithRuns(
  count: number,
): Promise<{ root: string; del: string; ids: string[] }> {
  const dir = await tempDir({ prefix: "runrec-annotate-" });
  const root = join(dir, "examples");
  const copy = await new Deno.Command("cp", { args: ["-R", join(ROOT, "examples"), root] })
    .output();
  assert.equal(copy.code, 0, new TextDecoder().decode(copy.stderr));
  const del = join(root, DEL2);
  const ids: string[] = [];
  for (let day = 1; day <= count; day++) {
    const { code, stdout, stderr } = await runCli([
      ...emitArgs(del, "--started", `2026-02-0${day}T09:00:00Z`, "--duration", "PT1S"),
      ...["--input", "Specification.md", "--output", "Datasheet.md"],
    ]);
    assert.equal(code, 0, stderr);
    ids.push(stdout.trim());
  }
  return { root, del, ids };
}

/** Runs `annotate`, expecting success; returns the annotation's RunID. */
async function annotate(del: string, ...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runCli(["annotate", del, ...args]);
  assert.equal(code, 0, stderr);
  return stdout.trim();
}

/** Runs `annotate`, expecting a one-line refusal with `exit` and the file left as it was. */
async function refused(del: string, exit: number, ...args: string[]): Promise<string> {
  const file = join(del, RECORD_FILE);
  const before = await Deno.readFile(file).catch(() => undefined);
  const { code, stdout, stderr } = await runCli(["annotate", del, ...args]);
  assert.equal(code, exit, stderr);
  assert.equal(stdout, "");
  assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
  assert.deepEqual(await Deno.readFile(file).catch(() => undefined), before, "nothing written");
  return stderr;
}

/** The baseline RunID `stale --json` reports for DEL-01-02's 4_DOCUMENTS, or its verdict. */
async function baselineOf(del: string): Promise<string> {
  const { stdout, stderr } = await runCli(["stale", del, "--json"]);
  const check = JSON.parse(stdout).checks.find((c: { agent: string }) => c.agent === "4_DOCUMENTS");
  assert.ok(check, stdout + stderr);
  return check.verdict === "NO_BASELINE" ? "NO_BASELINE" : check.baseline.RunID;
}

Deno.test("annotate: a supersede cycle (RunIDs swapped) is refused, naming both RunIDs and the annotation; stale keeps its baseline", async () => {
  const { del, ids: [older, newer] } = await examplesWithRuns(2);
  const first = await annotate(del, newer, "--supersedes", older, "--note", "rerun");
  assert.equal(await baselineOf(del), newer);
  const stderr = await refused(del, 2, older, "--supersedes", newer, "--note", "typo: swapped");
  assert.ok(
    stderr.includes(
      `${older} cannot supersede ${newer}: ${newer} already supersedes ${older} (annotation ${first})`,
    ),
    stderr,
  );
  assert.ok(stderr.includes(`runrec annotate ${del} ${first} --invalidates`), stderr);
  assert.equal(await baselineOf(del), newer, "no cycle, so a baseline");
});

Deno.test("annotate: a cycle through a chain of supersedes is refused, naming the chain", async () => {
  const { del, ids: [a, b, c] } = await examplesWithRuns(3);
  const ab = await annotate(del, b, "--supersedes", a, "--note", "rerun");
  const bc = await annotate(del, c, "--supersedes", b, "--note", "rerun");
  const stderr = await refused(del, 2, a, "--supersedes", c, "--note", "x");
  assert.ok(
    stderr.includes(`${c} already supersedes ${a} through ${b} (annotations ${bc}, ${ab})`),
    stderr,
  );
  assert.equal(await baselineOf(del), c);
});

Deno.test("annotate: invalidating an invalidated run or superseding a superseded run again is refused, naming the annotation", async () => {
  const { del, ids: [a, b, c] } = await examplesWithRuns(3);
  const invalid = await annotate(del, a, "--invalidates", "--note", "wrong inputs");
  const again = await refused(del, 2, a, "--invalidates", "--note", "wrong inputs");
  assert.match(
    again,
    new RegExp(`${a} is already invalidated by annotation ${invalid}; nothing written`),
  );
  const sup = await annotate(del, c, "--supersedes", b, "--note", "rerun");
  for (const newer of [c, a]) {
    const stderr = await refused(del, 2, newer, "--supersedes", b, "--note", "rerun");
    assert.match(stderr, new RegExp(`${b} is already superseded by ${c} \\(annotation ${sup}\\)`));
  }
  const records = await recordsOf(join(del, RECORD_FILE));
  assert.equal(records.length, 5, "3 runs and 2 annotations, no repeats");
});

Deno.test("annotate: --invalidates on an annotation withdraws it: stale gets its baseline back, log, show and export drop it, log's row of it says withdrawn by which, the withdrawal's that it withdraws it (trial-r, trial-v F6)", async () => {
  const { del, ids: [run] } = await examplesWithRuns(1);
  const mistake = await annotate(del, run, "--invalidates", "--note", "wrong run");
  assert.equal(await baselineOf(del), "NO_BASELINE");
  const withdrawal = await annotate(del, mistake, "--invalidates", "--note", "typo");
  assert.equal(await baselineOf(del), run, "stale has its baseline back");
  const log = await runCli(["log", del]);
  assert.equal(log.code, 0, log.stderr);
  // The run's row is unmarked; the withdrawn annotation's row no longer marks it, the withdrawal's does.
  const rowOf = (id: string) => log.stdout.split("\n").find((l) => l.startsWith(id)) ?? "";
  assert.match(rowOf(run), /SUCCESS +[A-Z]/, log.stdout);
  assert.doesNotMatch(rowOf(run), /INVALIDATED|SUPERSEDED/);
  assert.doesNotMatch(rowOf(mistake), /\[marks/, log.stdout);
  // It says it was withdrawn, and by which annotation (trial-r: a bare SKIPPED said nothing).
  assert.match(rowOf(mistake), new RegExp(`SKIPPED \\[withdrawn by ${withdrawal}\\]`), log.stdout);
  // And the withdrawal's row says it withdraws it, not that it invalidates a run (trial-v F6).
  assert.match(rowOf(withdrawal), new RegExp(`\\[withdraws ${mistake}\\]`), log.stdout);
  const show = await runCli(["show", del, run]);
  assert.ok(show.stdout.includes("## Annotations (0)\n"), show.stdout);
  const lineage = await runCli(["export", del, "--format", "openlineage"]);
  assert.equal(lineage.code, 0, lineage.stderr);
  assert.doesNotMatch(lineage.stdout, /runrec_annotations/);
  // Withdrawing it twice is refused; withdrawing the withdrawal makes the first apply again.
  const twice = await refused(del, 2, mistake, "--invalidates", "--note", "typo");
  assert.match(twice, new RegExp(`${mistake} is already withdrawn by annotation ${withdrawal}`));
  await annotate(del, withdrawal, "--invalidates", "--note", "it was right after all");
  assert.equal(await baselineOf(del), "NO_BASELINE");
  assert.equal((await runCli(["validate", del])).code, 0);
});

Deno.test("annotate: withdrawing a withdrawal that would bring back a supersede cycle is refused", async () => {
  const { del, ids: [older, newer] } = await examplesWithRuns(2);
  const first = await annotate(del, newer, "--supersedes", older, "--note", "rerun");
  const withdrawal = await annotate(del, first, "--invalidates", "--note", "not a rerun");
  const reverse = await annotate(del, older, "--supersedes", newer, "--note", "older is right");
  const stderr = await refused(del, 2, withdrawal, "--invalidates", "--note", "undo");
  assert.match(stderr, new RegExp(`already supersedes .*\\(annotation ${reverse}\\)`));
  assert.equal(await baselineOf(del), older);
});

Deno.test("annotate: an older run superseding a newer one is written with a warning giving the way back", async () => {
  const { del, ids: [older, newer] } = await examplesWithRuns(2);
  const { code, stdout, stderr } = await runCli([
    ...["annotate", del, older, "--supersedes", newer, "--note", "newer one was wrong"],
  ]);
  assert.equal(code, 0, stderr);
  const annotation = stdout.trim();
  assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
  assert.ok(
    stderr.startsWith(
      `runrec annotate: warning: ${older} (2026-02-01T09:00:00.000Z) now supersedes`,
    ),
    stderr,
  );
  assert.ok(stderr.includes(`runrec annotate ${del} ${annotation} --invalidates`), stderr);
  assert.equal(await baselineOf(del), older);
  // Newer superseding older: no warning.
  const { del: other, ids } = await examplesWithRuns(2);
  const plain = await runCli(["annotate", other, ids[1], "--supersedes", ids[0], "--note", "x"]);
  assert.equal(plain.stderr, "");
});

Deno.test("annotate: messages say a RunID is an annotation, a run of another deliverable (and where), or that the folder has no record file", async () => {
  const { root, del, ids: [run] } = await examplesWithRuns(1);
  const note = await annotate(del, run, "--invalidates", "--note", "x");
  for (const args of [[note, "--note", "x"], [run, "--supersedes", note, "--note", "x"]]) {
    const stderr = await refused(del, 1, ...args);
    assert.ok(
      stderr.includes(
        `${note} is an annotation (${join(del, RECORD_FILE)} line 3), not a run: to withdraw it, ` +
          `runrec annotate ${del} ${note} --invalidates --note WHY`,
      ),
      stderr,
    );
  }
  // A run of DEL-01-03, given to DEL-01-02.
  const del3 = join(root, DEL3);
  const { stdout } = await runCli(emitArgs(del3));
  const foreign = stdout.trim();
  const wrong = await refused(del, 2, foreign, "--invalidates", "--note", "x");
  assert.match(wrong, new RegExp(`${foreign} is not a run in .*: it is a run of DEL-01-03 \\(`));
  assert.match(
    wrong,
    /DEL-01-03_Level_Switch_Datasheet\), not of DEL-01-02; annotate it in its own/,
  );
  // A folder that is no deliverable's and holds none of DEL-01-03.
  const pkg = join(root, DEL3, "..", "..", "0_References");
  const elsewhere = await refused(pkg, 2, foreign, "--invalidates", "--note", "x");
  assert.ok(
    elsewhere.startsWith(
      `runrec annotate: ${pkg}: no ${RECORD_FILE} here: is it a deliverable folder? ${foreign} ` +
        "is a run of DEL-01-03 (",
    ),
    elsewhere,
  );
  assert.doesNotMatch(elsewhere, /is not a run in/);
});

Deno.test("a RunID of another deliverable: annotate, show and finish exit 2, each naming the RunID's own folder, annotate's two sentences apart (trial-t F9)", async () => {
  const { root, ids: [run] } = await examplesWithRuns(1);
  const cli = (...args: string[]) => runCliProcess(args, undefined, undefined, root);
  const own = `DEL-01-02 (${DEL2})`;
  // DEL-01-03 has no record file yet.
  const noFile = await cli("annotate", DEL3, run, "--note", "x");
  assert.equal(noFile.code, 2);
  assert.equal(
    noFile.stderr,
    `runrec annotate: ${DEL3}: no ${RECORD_FILE} here: no run of DEL-01-03 is recorded yet; ` +
      `${run} is a run of ${own}\n`,
  );
  const show = await cli("show", DEL3, run);
  assert.equal(show.code, 2);
  assert.equal(
    show.stderr,
    `runrec show: ${run} is not a run of DEL-01-03 (${DEL3}): it is a run of ${own}; show it ` +
      "from there\n",
  );
  const finish = await cli("finish", DEL3, "--run", run, "--status", "SUCCESS");
  assert.equal(finish.code, 2);
  assert.equal(
    finish.stderr,
    `runrec finish: --run ${run}: recorded already as that RunID in ` +
      `${join(root, DEL2, RECORD_FILE)} (4_DOCUMENTS, SUCCESS); nothing written, nothing more is ` +
      "needed (an emit would record the run twice)\n",
  );
  const unknown = run.replace(/-\d{3}$/, "-099");
  const notRecorded = await cli("finish", DEL3, "--run", unknown, "--status", "SUCCESS");
  assert.equal(notRecorded.code, 2);
  assert.equal(
    notRecorded.stderr,
    `runrec finish: --run ${unknown}: not a run of DEL-01-03 (${DEL3}): it is a run of ${own}; ` +
      "finish it in its own deliverable folder; nothing written\n",
  );
  // With a record file in DEL-01-03, annotate says the same, exit 2; nothing was written there.
  assert.equal((await cli(...emitArgs(DEL3))).code, 0);
  const before = await Deno.readTextFile(join(root, DEL3, RECORD_FILE));
  const withFile = await cli("annotate", DEL3, run, "--note", "x");
  assert.equal(withFile.code, 2);
  assert.ok(withFile.stderr.includes(`it is a run of ${own}, not of DEL-01-03;`), withFile.stderr);
  assert.equal(await Deno.readTextFile(join(root, DEL3, RECORD_FILE)), before);
  // A RunID of this deliverable that is not in its file stays a lookup that found nothing: 1.
  const missing = await cli("show", DEL2, unknown);
  assert.equal(missing.code, 1);
});

Deno.test("annotationsIn: a withdrawn annotation does not apply; a hand-written withdrawal loop still ends", () => {
  const record = (runId: string, notes: string) =>
    ({
      AgentName: ANNOTATOR,
      RunID: runId,
      RunTimestamp: "2026-03-01T09:00:00Z",
      Notes: notes,
    }) as RunRecord;
  const run = "RUN-DEL-01-02-20260222-1015-001";
  const [a, w1, w2] = ["001", "002", "003"].map((seq) => `RUN-DEL-01-02-20260301-0900-${seq}`);
  const withdrawn = annotationsIn([
    record(a, `annotates=${run}; invalidates; note=x`),
    record(w1, `annotates=${a}; invalidates; note=typo`),
  ]);
  assert.equal(withdrawn.has(run), false);
  assert.deepEqual(withdrawn.get(a)?.map((x) => [x.kind, x.annotationId]), [["invalidated", w1]]);
  // w1 and w2 withdraw each other: only a hand edit writes that; it must not hang.
  const loop = annotationsIn([
    record(a, `annotates=${run}; invalidates; note=x`),
    record(w1, `annotates=${w2}; invalidates; note=x`),
    record(w2, `annotates=${w1}; invalidates; note=x`),
  ]);
  assert.deepEqual(loop.get(run)?.map((x) => x.kind), ["invalidated"]);
});

Deno.test("annotate: four processes invalidating one run at once write one annotation; the others are refused under the lock", async () => {
  const { del, file, runs } = await project();
  // Held here, so every process has read the file and weighed its annotation before any writes.
  const lock = await acquireLock(`${file}.lock`, { deliverableId: "DEL-01-02", holder: "test" });
  const children = Array.from({ length: 4 }, (_, i) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...FULL_FLAGS,
        CLI_ENTRY,
        "annotate",
        del,
        runs[0].RunID,
        "--invalidates",
        "--note",
        `writer ${i}`,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn());
  const decoder = new TextDecoder();
  const stderrs = await Promise.all(children.map(async (child) => {
    // Read until the process says it waits for the lock; keep the rest for later.
    const reader = child.stderr.getReader();
    let text = "";
    while (!text.includes("waiting for the append lock")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    return { reader, text };
  }));
  await lock.release();
  const results = await Promise.all(children.map(async (child, i) => {
    const { reader } = stderrs[i];
    let text = stderrs[i].text;
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      text += decoder.decode(r.value);
    }
    const status = await child.status;
    await child.stdout.cancel();
    return { code: status.code, stderr: text };
  }));
  for (const { stderr } of results) {
    assert.match(stderr, /waiting for the append lock held by test/);
  }
  const codes = results.map((r) => r.code).sort();
  assert.deepEqual(codes, [0, 2, 2, 2], JSON.stringify(results));
  for (const { code, stderr } of results.filter((r) => r.code === 2)) {
    assert.equal(code, 2);
    assert.match(stderr, /is already invalidated by annotation RUN-.*; nothing written/);
  }
  const annotations = (await recordsOf(file)).filter((r) => r.AgentName === ANNOTATOR);
  assert.equal(annotations.length, 1);
});

/** Runs the CLI as a real process under `strace`, injecting `fault` on the record file only. */
async function underFault(args: string[], file: string, fault: string) {
  const out = await new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", "/dev/null", "-P", file, "-e", `inject=${fault}`],
      ...[Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, ...args],
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("annotate: an annotation whose fsync fails is reported written but not confirmed (exit 0, its RunID printed), so it is not repeated", async () => {
  const { del, file, runs } = await project();
  const out = await underFault(
    ["annotate", del, runs[0].RunID, "--invalidates", "--note", "checked by hand"],
    file,
    "fsync:error=EIO",
  );
  const records = await recordsOf(file);
  assert.equal(records.length, 4, "the annotation is in the file");
  const annotation = records[3];
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, `${annotation.RunID}\n`);
  assert.match(
    out.stderr,
    new RegExp(
      `^runrec annotate: warning: annotation ${annotation.RunID} written but not confirmed ` +
        `\\(.*fsync failed.*\\): do not repeat it\\n$`,
    ),
  );
  // It counts: repeating the invalidation is refused, not written twice.
  const again = await runCli(["annotate", del, runs[0].RunID, "--invalidates", "--note", "x"]);
  assert.equal(again.code, 2, again.stderr);
  assert.equal((await recordsOf(file)).length, 4);
});

Deno.test("annotate: a RunRecords.csv that is a FIFO, a device or a link to /dev/zero is refused in one line, exit 2, without waiting", async () => {
  const { del, file, runs } = await project();
  const good = await Deno.readFile(file);
  const makers: Record<string, () => Promise<void>> = {
    fifo: async () => void await new Deno.Command("mkfifo", { args: [file] }).output(),
    device: async () =>
      void await new Deno.Command("mknod", { args: [file, "c", "1", "5"] }).output(),
    "link to /dev/zero": () => Deno.symlink("/dev/zero", file),
  };
  for (const [kind, make] of Object.entries(makers)) {
    await Deno.remove(file);
    await make();
    // A real process with a deadline: a read that waited on the FIFO (or read /dev/zero
    // without end) fails the test instead of hanging it.
    const child = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...FULL_FLAGS,
        CLI_ENTRY,
        "annotate",
        del,
        runs[0].RunID,
        "--note",
        "n",
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
      signal: AbortSignal.timeout(30_000),
    }).output();
    const text = new TextDecoder();
    const out = {
      code: child.code,
      stdout: text.decode(child.stdout),
      stderr: text.decode(child.stderr),
    };
    assert.equal(out.code, 2, `${kind}: ${out.stderr}`);
    assert.match(
      out.stderr,
      kind === "link to /dev/zero"
        ? /^runrec annotate: .*RunRecords\.csv: .*is a symbolic link; runrec reads and writes only a regular file.*\n$/
        : /^runrec annotate: .*RunRecords\.csv: .*not a regular file.*\n$/,
      kind,
    );
    assert.equal(out.stdout, "", kind);
  }
  await Deno.remove(file);
  await Deno.writeFile(file, good);
});

Deno.test("annotate: a RunID on a damaged line (checksum mismatch) is said to be on that line, unreadable, with runrec validate; nothing is written", async () => {
  const { del, file, runs } = await project();
  // One byte of the second run's line changed: its checksum no longer matches.
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, text.replace("2026-02-02T09:00:00", "2026-02-02T09:00:01"));
  const before = await Deno.readFile(file);
  for (const args of [[runs[1].RunID], [runs[0].RunID, "--supersedes", runs[1].RunID]]) {
    const { code, stdout, stderr } = await runCli([
      "annotate",
      del,
      ...args,
      ...(args.length === 1 ? ["--invalidates"] : []),
      "--note",
      "bad inputs",
    ]);
    assert.equal(code, 2, stderr);
    assert.equal(stdout, "");
    assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
    assert.doesNotMatch(stderr, /is not a run/);
    assert.match(
      stderr,
      new RegExp(
        `${file}: line 3 holds ${runs[1].RunID} but cannot be read \\(.*checksum.*\\)`,
        "i",
      ),
    );
    assert.match(stderr, new RegExp(`runrec validate ${del}`));
  }
  assert.deepEqual(await Deno.readFile(file), before);
});

Deno.test("annotate: a RunID not among the readable records of a file with lines it cannot read (saved as UTF-16) is exit 2 saying so, not 'not a run' (bad-input F4)", async () => {
  const { del } = await makeProject();
  const emitted = await runCliProcess(emitArgs(del));
  const file = join(del, RECORD_FILE);
  const text = await Deno.readTextFile(file);
  const utf16 = new Uint8Array(2 + text.length * 2);
  utf16.set([0xff, 0xfe]);
  for (let i = 0; i < text.length; i++) utf16[2 + 2 * i] = text.charCodeAt(i);
  await Deno.writeFile(file, utf16);
  const refused = await runCliProcess(
    ["annotate", del, emitted.stdout.trim(), "--invalidates", "--note", "wrong inputs"],
  );
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(
    refused.stderr,
    /is not among its readable records, and \d+ line\(s\) cannot be read/,
  );
});

Deno.test("show of a run whose annotation's line cannot be read warns that an annotation may be among the lines it skipped, as log and stale say (annotate-sweep F4)", async () => {
  const { del } = await makeProject();
  const emitted = await runCli(["emit", del, "--agent", "A", "--status", "SUCCESS"]);
  const runId = emitted.stdout.trim();
  const annotated = await runCli(["annotate", del, runId, "--invalidates", "--note", "wrong"]);
  assert.equal(annotated.code, 0, annotated.stderr);
  const file = join(del, RECORD_FILE);
  const lines = (await Deno.readTextFile(file)).split("\n");
  lines[2] = lines[2].replace("note=wrong", "note=wrung"); // the annotation spoilt
  await Deno.writeTextFile(file, lines.join("\n"));
  const shown = await runCli(["show", del, runId]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(
    shown.stderr,
    /runrec show: warning: .*RunRecords\.csv: 1 line \(3\) cannot be read \(see runrec validate\): an annotation of this run may be among them/,
  );
});
