/**
 * `runrec stale`: an output that differs from the baseline's is put down to the run whose
 * recorded output is its bytes now, by content and never by time (runs overlap, and a duration
 * may be a default or cut short); when that run is a good run of the same agent, its inputs are
 * compared too (trial-day 1, review-g 10).
 *
 * @module
 */
import { join } from "node:path";
import { readRecords } from "../src/reader.ts";
import type { RunRecord } from "../src/schema.ts";
import { sha256Hex } from "../src/sha256.ts";
import { assertEquals, assertIncludes } from "./assert.ts";
import { type CliResult, runCli } from "./cli.ts";
import { makeProject } from "./fixtures.ts";

/** One change of a `runrec stale --json` check. */
interface JsonChange {
  path: string;
  change: string;
  baseline: string | null;
  current: string | null;
  reason?: string;
  writer?: string;
  since?: string;
}

/** One `runrec stale --json` check. */
interface JsonCheck {
  agent: string;
  verdict: string;
  baseline?: { RunID: string };
  inputs: JsonChange[];
  outputs: JsonChange[];
}

/** Runs `runrec`, failing the test when it exits with another code than `code`. */
async function runrec(code: number, ...args: string[]): Promise<CliResult> {
  const result = await runCli(args);
  assertEquals(result.code, code, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
  return result;
}

/** The records of a deliverable, in file order. */
async function records(del: string): Promise<RunRecord[]> {
  const found: RunRecord[] = [];
  for await (const event of readRecords(join(del, "RunRecords.csv"))) {
    if (event.kind === "record") found.push(event.record);
  }
  return found;
}

/** Emits a SUCCESS run of `agent` and returns its RunID. */
async function emit(del: string, agent: string, ...more: string[]): Promise<string> {
  await runrec(0, "emit", del, "--agent", agent, "--status", "SUCCESS", ...more);
  return (await records(del)).at(-1)!.RunID;
}

/**
 * `del` with Specification.md at v0 and Datasheet.md at x, and a run of 4_DOCUMENTS that reads the
 * one and writes the other (returns its RunID).
 */
async function documentsDay(del: string) {
  const spec = join(del, "Specification.md");
  const datasheet = join(del, "Datasheet.md");
  await Deno.writeTextFile(spec, "spec v0\n");
  await Deno.writeTextFile(datasheet, "datasheet x\n");
  const run = () =>
    emit(del, "4_DOCUMENTS", "--input", "Specification.md", "--output", "Datasheet.md");
  return { spec, datasheet, run };
}

/**
 * Trial-day 1's overlap in `del`: run A of 4_DOCUMENTS reads Specification.md v0, run B reads v1
 * (the baseline: it started last); B finishes and writes Datasheet.md, then A writes it.
 */
async function overlappingRuns(del: string) {
  const spec = join(del, "Specification.md");
  const datasheet = join(del, "Datasheet.md");
  await Deno.writeTextFile(spec, "spec v0\n");
  const start = async () =>
    (await runrec(0, "start", del, "--agent", "4_DOCUMENTS", "--input", "Specification.md"))
      .stdout.trim();
  const finish = (token: string) =>
    runrec(0, "finish", token, "--status", "SUCCESS", "--output", "Datasheet.md");
  const a = await start(); // reads spec v0
  await Deno.writeTextFile(spec, "spec v1\n");
  const b = await start(); // reads spec v1
  await Deno.writeTextFile(datasheet, "from v1\n");
  await finish(b);
  await Deno.writeTextFile(datasheet, "from v0\n");
  await finish(a);
  const [runB, runA] = (await records(del)).map((r) => r.RunID);
  return { spec, datasheet, runA, runB };
}

/** `stale --json` of one agent's check, which must exit with `code`. */
async function checkOf(del: string, agent: string, code: number): Promise<JsonCheck> {
  const result = await runrec(code, "stale", del, "--agent", agent, "--json");
  return (JSON.parse(result.stdout).checks as JsonCheck[]).find((c) => c.agent === agent)!;
}

Deno.test("stale: two overlapping runs of one agent, the one that started first finishing last: the output on disk is its, so its inputs are compared too (DIRTY since it, naming it); a run on the new input clears it (trial-day 1)", async () => {
  const { del } = await makeProject();
  const { datasheet, runA, runB } = await overlappingRuns(del);
  const check = await checkOf(del, "4_DOCUMENTS", 1);
  assertEquals(check.verdict, "DIRTY");
  assertEquals(check.baseline?.RunID, runB);
  assertEquals(check.inputs, [{
    path: "Specification.md",
    change: "changed",
    baseline: sha256Hex("spec v0\n"),
    current: sha256Hex("spec v1\n"),
    reason: `since ${runA} (Datasheet.md on disk is as it recorded it)`,
    since: runA,
  }]);
  assertEquals(check.outputs.map((c) => [c.path, c.reason, c.writer]), [[
    "Datasheet.md",
    `written by ${runA} (4_DOCUMENTS)`,
    runA,
  ]]);
  const text = await runrec(1, "stale", del);
  assertIncludes(
    text.stdout,
    `  changed          Specification.md  (since ${runA} (Datasheet.md on disk is as it recorded it))\n`,
  );
  // The agent runs again on the specification as it is: its output is on disk, CLEAN.
  await Deno.writeTextFile(datasheet, "from v1 again\n");
  await emit(del, "4_DOCUMENTS", "--input", "Specification.md", "--output", "Datasheet.md");
  const again = await checkOf(del, "4_DOCUMENTS", 0);
  assertEquals([again.verdict, again.inputs, again.outputs], ["CLEAN", [], []]);
});

Deno.test("stale: an output rewritten by another agent's run that started before the baseline and ended after it names that run; so does one recorded late with --started and no --duration (review-g 10)", async () => {
  for (const late of [false, true]) {
    const { del } = await makeProject();
    const datasheet = join(del, "Datasheet.md");
    await emit(
      del,
      "4_DOCUMENTS",
      "--output",
      "Datasheet.md",
      "--started",
      "2026-11-01T08:00:00Z",
      "--duration",
      "1h",
    );
    await Deno.writeTextFile(datasheet, "rewritten by the long DEPENDENCIES run\n");
    const long = await emit(
      del,
      "DEPENDENCIES",
      "--output",
      "Datasheet.md",
      "--started",
      "2026-11-01T07:00:00Z",
      ...late ? [] : ["--duration", "3h"],
    );
    const check = await checkOf(del, "4_DOCUMENTS", 0);
    assertEquals(check.verdict, "CLEAN");
    assertEquals(check.outputs.map((c) => [c.path, c.reason, c.writer]), [[
      "Datasheet.md",
      `written by ${long} (DEPENDENCIES)`,
      long,
    ]]);
  }
});

Deno.test("stale: an output put back to what an earlier run of the agent wrote names that run, and is DIRTY only when that run's inputs changed since", async () => {
  const { del } = await makeProject();
  // A normal day: each run reads the specification as it is and writes the datasheet.
  const { spec, datasheet, run } = await documentsDay(del);
  const first = await run();
  await Deno.writeTextFile(datasheet, "datasheet y\n");
  await run(); // the same specification, another datasheet
  assertEquals((await checkOf(del, "4_DOCUMENTS", 0)).outputs, []);
  // The datasheet put back to the first run's bytes: made from the specification as it is.
  await Deno.writeTextFile(datasheet, "datasheet x\n");
  let check = await checkOf(del, "4_DOCUMENTS", 0);
  assertEquals([check.verdict, check.inputs], ["CLEAN", []]);
  assertEquals(check.outputs.map((c) => c.writer), [first]);
  // The specification moves on and the agent runs on it; the old datasheet put back again.
  await Deno.writeTextFile(spec, "spec v1\n");
  await Deno.writeTextFile(datasheet, "datasheet z\n");
  await run();
  await Deno.writeTextFile(datasheet, "datasheet x\n");
  check = await checkOf(del, "4_DOCUMENTS", 1);
  assertEquals(check.inputs.map((c) => [c.change, c.path, c.since]), [[
    "changed",
    "Specification.md",
    first,
  ]]);
});

Deno.test("stale: of runs that wrote an output's bytes, one not invalidated is named before an invalidated one; an invalidated run is named as such and never compared", async () => {
  const { del } = await makeProject();
  const { spec, datasheet, run } = await documentsDay(del);
  const bad = await run();
  await runrec(0, "annotate", del, bad, "--invalidates", "--note", "wrong range");
  await Deno.writeTextFile(spec, "spec v1\n");
  await Deno.writeTextFile(datasheet, "datasheet y\n");
  await run();
  await Deno.writeTextFile(datasheet, "datasheet x\n");
  let check = await checkOf(del, "4_DOCUMENTS", 0);
  assertEquals([check.verdict, check.inputs], ["CLEAN", []]);
  assertEquals(check.outputs.map((c) => [c.reason, c.writer]), [[
    `written by ${bad} (4_DOCUMENTS, invalidated)`,
    bad,
  ]]);
  // Another agent's run that wrote the same bytes, earlier, is named instead.
  await Deno.writeTextFile(datasheet, "datasheet x\n");
  const other = await emit(
    del,
    "DEPENDENCIES",
    "--output",
    "Datasheet.md",
    "--started",
    "2026-01-01T00:00:00Z",
    "--duration",
    "1m",
  );
  check = await checkOf(del, "4_DOCUMENTS", 0);
  assertEquals(check.outputs.map((c) => [c.reason, c.writer]), [[
    `written by ${other} (DEPENDENCIES)`,
    other,
  ]]);
});

Deno.test("stale: the second baseline holds whatever later runs record the same bytes again (another agent's folder output, a FAILED run), and names the run that made them as their writer (review-i 1, 2)", async () => {
  const { del } = await makeProject();
  const { runA } = await overlappingRuns(del);
  const dirtySinceA = async () => {
    const check = await checkOf(del, "4_DOCUMENTS", 1);
    assertEquals(check.verdict, "DIRTY");
    assertEquals(check.inputs.map((c) => [c.path, c.since]), [["Specification.md", runA]]);
    // Named as the writer: the run that made the bytes, not one that recorded them later.
    assertEquals(check.outputs.map((c) => c.writer), [runA]);
  };
  await dirtySinceA();
  // Another agent records the folder as its output: every file in it, Datasheet.md's bytes too.
  await Deno.writeTextFile(join(del, "Procedure.md"), "procedure\n");
  await emit(del, "PROCEDURE_WRITER", "--output", ".");
  await dirtySinceA();
  // A run of the same agent fails and records the file as it left it.
  await runrec(0, "emit", del, "--agent", "4_DOCUMENTS", "--status", "FAILED", ...[
    "--input",
    "Specification.md",
    "--output",
    "Datasheet.md",
  ]);
  await dirtySinceA();
});

Deno.test("stale: a run recorded again with its real duration and the first record superseded (as emit's warning advises) is the second baseline; bytes a run on today's inputs also made are up to date (review-i 3)", async () => {
  const { del } = await makeProject();
  const spec = join(del, "Specification.md");
  const datasheet = join(del, "Datasheet.md");
  await Deno.writeTextFile(spec, "spec v0\n");
  await Deno.writeTextFile(datasheet, "from v0\n");
  const run = ["--input", "Specification.md", "--output", "Datasheet.md"];
  const backfilled = ["--started", "2026-03-01T10:00:00Z"];
  const first = await emit(del, "4_DOCUMENTS", ...run, ...backfilled); // ends "now"
  const copy = await emit(del, "4_DOCUMENTS", ...run, ...backfilled, "--duration", "10m");
  await runrec(0, "annotate", del, copy, "--supersedes", first, "--note", "real duration");
  await Deno.writeTextFile(spec, "spec v1\n");
  await Deno.writeTextFile(datasheet, "from v1\n");
  await emit(del, "4_DOCUMENTS", ...run); // the baseline
  await Deno.writeTextFile(datasheet, "from v0\n"); // put back
  const check = await checkOf(del, "4_DOCUMENTS", 1);
  assertEquals(check.inputs.map((c) => [c.path, c.since]), [["Specification.md", copy]]);

  // Another run of the agent made those bytes from today's specification: they are up to date.
  await emit(del, "4_DOCUMENTS", ...run, "--started", "2026-03-02T10:00:00Z", "--duration", "1m");
  const current = await checkOf(del, "4_DOCUMENTS", 0);
  assertEquals([current.verdict, current.inputs], ["CLEAN", []]);
  assertEquals(current.outputs.map((c) => c.writer), [copy]);
});

Deno.test("stale: two overlapping runs of one agent, the baseline (started last) writing only Guidance.md, the other (on the old input, ended last) Datasheet.md: DIRTY since that run, naming it (review-i 4)", async () => {
  const { del } = await makeProject();
  const spec = join(del, "Specification.md");
  await Deno.writeTextFile(spec, "spec v0\n");
  const start = async () =>
    (await runrec(0, "start", del, "--agent", "4_DOCUMENTS", "--input", "Specification.md"))
      .stdout.trim();
  const a = await start(); // reads spec v0
  await Deno.writeTextFile(spec, "spec v1\n");
  const b = await start(); // reads spec v1: the baseline
  await Deno.writeTextFile(join(del, "Guidance.md"), "from v1\n");
  await runrec(0, "finish", b, "--status", "SUCCESS", "--output", "Guidance.md");
  await Deno.writeTextFile(join(del, "Datasheet.md"), "from v0\n");
  await runrec(0, "finish", a, "--status", "SUCCESS", "--output", "Datasheet.md");
  const [runB, runA] = (await records(del)).map((r) => r.RunID);
  const check = await checkOf(del, "4_DOCUMENTS", 1);
  assertEquals(check.baseline?.RunID, runB);
  assertEquals(check.inputs.map((c) => [c.path, c.since, c.reason]), [[
    "Specification.md",
    runA,
    `since ${runA} (Datasheet.md on disk is as it recorded it)`,
  ]]);
  // Datasheet.md rewritten by a run on the new specification: CLEAN.
  await Deno.writeTextFile(join(del, "Datasheet.md"), "from v1\n");
  await emit(del, "4_DOCUMENTS", "--input", "Specification.md", "--output", "Datasheet.md");
  assertEquals((await checkOf(del, "4_DOCUMENTS", 0)).inputs, []);
});

Deno.test("stale: runs of one agent one after another, each writing its own file (a dated report, or another file), are compared by the latest only: CLEAN though older ones read an older input (review-g 2)", async () => {
  const { del } = await makeProject();
  const spec = join(del, "Specification.md");
  for (const day of ["01", "02", "03"]) {
    await Deno.writeTextFile(spec, `spec ${day}\n`);
    await Deno.writeTextFile(join(del, `Report-2026-11-${day}.md`), `report ${day}\n`);
    await emit(
      del,
      "4_DOCUMENTS",
      "--input",
      "Specification.md",
      "--output",
      `Report-2026-11-${day}.md`,
      "--started",
      `2026-11-${day}T09:00:00Z`,
      "--duration",
      "1m",
    );
  }
  const check = await checkOf(del, "4_DOCUMENTS", 0);
  assertEquals([check.verdict, check.inputs], ["CLEAN", []]);
  // Two sequential runs writing different files (not dated): the same.
  await Deno.writeTextFile(spec, "spec 04\n");
  await Deno.writeTextFile(join(del, "Datasheet.md"), "from 04\n");
  await emit(del, "DATASHEETS", "--input", "Specification.md", "--output", "Datasheet.md");
  await Deno.writeTextFile(spec, "spec 05\n");
  await Deno.writeTextFile(join(del, "Guidance.md"), "from 05\n");
  await emit(del, "DATASHEETS", "--input", "Specification.md", "--output", "Guidance.md");
  const other = await checkOf(del, "DATASHEETS", 0);
  assertEquals([other.verdict, other.inputs], ["CLEAN", []]);
});

Deno.test("stale: an input another run rewrote during the baseline (its recorded output), which the baseline recorded among its outputs too (exec records every file changed meanwhile), is compared with what the baseline read: DIRTY naming that run, not CLEAN (trial-37 F4)", async () => {
  const { del } = await makeProject();
  const spec = join(del, "Specification.md");
  await Deno.writeTextFile(spec, "spec v0\n");
  const token = (await runrec(0, "start", del, "--agent", "A", "--input", "Specification.md"))
    .stdout.trim(); // A reads spec v0
  await Deno.writeTextFile(spec, "spec v1\n");
  const runB = await emit(del, "B", "--output", "Specification.md"); // B rewrites it meanwhile
  await Deno.writeTextFile(join(del, "Out.md"), "from v0\n");
  // As exec records A: every file changed while it ran.
  await runrec(0, "finish", token, "--status", "SUCCESS", ...["--output", "Out.md"], ...[
    "--output",
    "Specification.md",
  ]);
  const check = await checkOf(del, "A", 1);
  assertEquals(check.verdict, "DIRTY");
  assertEquals(check.inputs.map((c) => [c.path, c.change, c.baseline, c.current, c.writer]), [[
    "Specification.md",
    "changed",
    sha256Hex("spec v0\n"),
    sha256Hex("spec v1\n"),
    runB,
  ]]);
  assertIncludes(
    check.inputs[0].reason!,
    `written by ${runB} (B); the baseline, which it overlapped, recorded them too: whose write ` +
      "they are cannot be told",
  );
  // A run of A on the specification as it is now clears it.
  await emit(del, "A", "--input", "Specification.md", "--output", "Out.md");
  assertEquals((await checkOf(del, "A", 0)).verdict, "CLEAN");
});

Deno.test("stale: an output on disk as a superseded run of the agent recorded it (overlapping runs, the baseline marked as superseding the one that finished last) still has that run's inputs compared: DIRTY since it, not CLEAN (oracle-41 F1)", async () => {
  // The baseline rewrote the file the superseded run wrote: the superseded run's bytes came last.
  const { del } = await makeProject();
  const { runA, runB } = await overlappingRuns(del);
  await runrec(0, "annotate", del, runB, "--supersedes", runA, "--note", "B is current");
  const check = await checkOf(del, "4_DOCUMENTS", 1);
  assertEquals(check.baseline?.RunID, runB);
  assertEquals(check.inputs.map((c) => [c.path, c.since]), [["Specification.md", runA]]);

  // The superseded run wrote a file the baseline did not, and ended after it started.
  const other = (await makeProject()).del;
  await Deno.writeTextFile(join(other, "Specification.md"), "spec v0\n");
  const start = async () =>
    (await runrec(0, "start", other, "--agent", "4_DOCUMENTS", "--input", "Specification.md"))
      .stdout.trim();
  const a = await start(); // reads spec v0
  await Deno.writeTextFile(join(other, "Specification.md"), "spec v1\n");
  const b = await start(); // reads spec v1: the baseline
  await Deno.writeTextFile(join(other, "Guidance.md"), "from v1\n");
  await runrec(0, "finish", b, "--status", "SUCCESS", "--output", "Guidance.md");
  await Deno.writeTextFile(join(other, "Datasheet.md"), "from v0\n");
  await runrec(0, "finish", a, "--status", "SUCCESS", "--output", "Datasheet.md");
  const [second, first] = (await records(other)).map((r) => r.RunID);
  await runrec(0, "annotate", other, second, "--supersedes", first, "--note", "B is current");
  const overlapped = await checkOf(other, "4_DOCUMENTS", 1);
  assertEquals(overlapped.inputs.map((c) => [c.path, c.since]), [["Specification.md", first]]);
});
