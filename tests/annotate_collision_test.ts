/**
 * Annotations across clones (attack-stale F2): two clones that write in one
 * minute give different records one RunID (SCHEMA.md 3.3). An annotation
 * names its record by RunID and the start of its RecordChecksum, so after a
 * union merge one clone's annotation or withdrawal cannot hit the other
 * clone's record; an annotation written before that (RunID alone) marks every
 * record of a shared RunID and withdraws none, and readers say so.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/annotate_collision_test.ts
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ambiguousAnnotations,
  annotationNotes,
  annotationsFor,
  annotationsIn,
  ANNOTATOR,
  isUsableBaseline,
} from "../src/annotations.ts";
import { recordsOf } from "./support/runs.ts";
import type { RunRecord } from "../src/schema.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { runCli } from "./cli.ts";
import { git, ROOT, tempDir } from "./fixtures.ts";

const DEL = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";

/** Runs the CLI, expecting exit 0; returns its stdout trimmed. */
async function ok(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runCli(args);
  assert.equal(code, 0, stderr);
  return stdout.trim();
}

/** Runs of `agents` in a git copy of examples/ (merge=union for RunRecords.csv), committed. */
async function repoWithRuns(...agents: string[]): Promise<{ a: string; runs: string[] }> {
  const dir = await tempDir({ prefix: "runrec-collision-" });
  const a = join(dir, "a");
  const copy = await new Deno.Command("cp", { args: ["-R", join(ROOT, "examples"), a] }).output();
  assert.equal(copy.code, 0);
  assert.match(await Deno.readTextFile(join(a, ".gitattributes")), /RunRecords\.csv merge=union/);
  await git(a, "init", "-q");
  await git(a, "add", "-A");
  await git(a, "commit", "-qm", "init");
  const runs: string[] = [];
  for (const [i, agent] of agents.entries()) {
    runs.push(
      await ok(
        ...["emit", join(a, DEL), "--agent", agent, "--status", "SUCCESS"],
        ...["--input", "Specification.md", "--started", `2026-12-01T10:${i}0:00Z`],
        ...["--duration", "5s"],
      ),
    );
  }
  await git(a, "add", "-A");
  await git(a, "commit", "-qm", "runs");
  return { a, runs };
}

/** A clone of `a` beside it, as `b`. */
async function cloneOf(a: string): Promise<string> {
  const b = join(a, "..", "b");
  await git(join(a, ".."), "clone", "-q", a, b);
  return b;
}

/** Waits, when the minute is nearly over, so that what follows is written in one minute. */
async function startOfMinute(): Promise<void> {
  const seconds = new Date().getUTCSeconds();
  if (seconds > 50) await new Promise((done) => setTimeout(done, (61 - seconds) * 1000));
}

/** Commits `b`'s changes and `a`'s, then merges `b` into `a` (union merge of the record file). */
async function mergeInto(a: string, b: string): Promise<void> {
  for (const repo of [b, a]) {
    await git(repo, "add", "-A");
    await git(repo, "commit", "-qm", `annotations in ${repo}`);
  }
  await git(a, "pull", "-q", "--no-rebase", "--no-edit", b, "HEAD");
}

/** The verdict of `agent`'s check in `stale --json`, with its baseline's RunID and the notes. */
async function staleOf(del: string, agent: string) {
  // Named: an agent whose every run is invalidated is otherwise a note, not a check.
  const { stdout, stderr } = await runCli(["stale", del, "--agent", agent, "--json"]);
  const check = JSON.parse(stdout).checks.find((c: { agent: string }) => c.agent === agent);
  assert.ok(check, stdout + stderr);
  return {
    verdict: check.verdict as string,
    baseline: check.baseline?.RunID as string | undefined,
    notes: check.notes as string[],
  };
}

/** `show --format json` of `runId`: its invalidatedBy. */
async function invalidatedBy(del: string, runId: string): Promise<string[]> {
  const shown = JSON.parse(await ok("show", del, runId, "--format", "json"));
  return shown.invalidatedBy;
}

/** `export --format prov` of `del`: the runrec:invalidatedBy of the run `runId`. */
async function exportedInvalidatedBy(del: string, runId: string): Promise<string[]> {
  const prov = JSON.parse(await ok("export", del, "--format", "prov"));
  const runs = Object.values(prov.activity as Record<string, Record<string, unknown>>)
    .filter((run) => run["runrec:RunID"] === runId);
  assert.equal(runs.length, 1, `${runId} exported once`);
  return runs[0]["runrec:invalidatedBy"] as string[];
}

Deno.test("annotate across clones: a withdrawal in one clone does not withdraw the other clone's invalidation of the same annotation RunID", async () => {
  const { a, runs: [r1, r2] } = await repoWithRuns("4_DOCUMENTS", "DEPENDENCIES");
  const b = await cloneOf(a);
  await startOfMinute();
  const ann1 = await ok("annotate", join(a, DEL), r1, "--invalidates", "--note", "A: wrong input");
  const ann2 = await ok("annotate", join(b, DEL), r2, "--invalidates", "--note", "B: R2 bad");
  await ok("annotate", join(b, DEL), ann2, "--invalidates", "--note", "B: R2 was fine");
  assert.equal(ann1, ann2, "both clones numbered their annotation alike (one minute)");
  await mergeInto(a, b);
  const del = join(a, DEL);

  // Each annotation names its record: A's invalidation stands, B's withdrawal takes B's back.
  const records = await recordsOf(del);
  const run1 = records.find((r) => r.RunID === r1)!;
  const annotation1 = records.find((r) => r.RunID === ann1 && r.Notes.includes("A: wrong"))!;
  assert.match(
    annotation1.Notes,
    new RegExp(` \\| record ${r1} checksum ${run1.RecordChecksum.slice(0, 16)}$`),
  );
  assert.deepEqual(await staleOf(del, "4_DOCUMENTS").then((c) => c.verdict), "NO_BASELINE");
  const dependencies = await staleOf(del, "DEPENDENCIES");
  assert.equal(dependencies.baseline, r2, "B's withdrawal gave R2 back");
  assert.deepEqual(dependencies.notes, [], "nothing ambiguous to say");
  assert.deepEqual(await invalidatedBy(del, r1), [ann1]);
  assert.deepEqual(await invalidatedBy(del, r2), []);
  const log = JSON.parse(await ok("log", del, "--format", "json"));
  assert.deepEqual(log.find((r: RunRecord) => r.RunID === r1).invalidatedBy, [ann1]);
  assert.equal(String(await exportedInvalidatedBy(del, r1)), String([ann1]));
});

Deno.test("annotate across clones: another clone's run numbered like an annotation, invalidated there, does not withdraw the annotation", async () => {
  const { a, runs: [r0] } = await repoWithRuns("4_DOCUMENTS");
  const b = await cloneOf(a);
  await startOfMinute();
  const annA = await ok("annotate", join(a, DEL), r0, "--invalidates", "--note", "A: R0 bad");
  const rb = await ok(
    ...["emit", join(b, DEL), "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    ...["--input", "Specification.md"],
  );
  await ok("annotate", join(b, DEL), rb, "--invalidates", "--note", "B: RB was a test run");
  assert.equal(annA, rb, "A's annotation and B's run numbered alike (one minute)");
  await mergeInto(a, b);
  const del = join(a, DEL);

  // R0 and RB are both invalidated: no baseline.
  const check = await staleOf(del, "4_DOCUMENTS");
  assert.equal(check.verdict, "NO_BASELINE", JSON.stringify(check));
  assert.deepEqual(await invalidatedBy(del, r0), [annA]);
  assert.equal(String(await exportedInvalidatedBy(del, r0)), String([annA]));
});

/** The line of the record file `del` that holds `text`. */
async function lineWith(del: string, text: string): Promise<number> {
  const lines = (await Deno.readTextFile(join(del, RECORD_FILE))).split("\n");
  const found = lines.flatMap((line, i) => line.includes(text) ? [i + 1] : []);
  assert.equal(found.length, 1, `one line holds ${text}`);
  return found[0];
}

/** Runs the CLI, expecting exit `code`; returns its stderr, one line. */
async function refused(code: number, ...args: string[]): Promise<string> {
  const { code: got, stdout, stderr } = await runCli(args);
  assert.equal(got, code, stderr);
  assert.equal(stdout, "");
  assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
  return stderr;
}

Deno.test("annotate --line: two clones' annotations numbered alike can each be withdrawn, by the line of the one meant; without it the refusal names both lines and --line", async () => {
  const { a, runs: [r1, r2] } = await repoWithRuns("4_DOCUMENTS", "DEPENDENCIES");
  const b = await cloneOf(a);
  await startOfMinute();
  const annA = await ok("annotate", join(a, DEL), r1, "--invalidates", "--note", "A: wrong input");
  const annB = await ok("annotate", join(b, DEL), r2, "--invalidates", "--note", "B: R2 bad");
  assert.equal(annA, annB, "both clones numbered their annotation alike (one minute)");
  await mergeInto(a, b);
  const del = join(a, DEL);
  const file = join(del, RECORD_FILE);
  const [lineA, lineB] = [await lineWith(del, "A: wrong input"), await lineWith(del, "B: R2 bad")];

  // Without --line: refused (exit 2), naming both lines, their agent and the option.
  const before = await Deno.readFile(file);
  const message = await refused(2, "annotate", del, annA, "--invalidates", "--note", "take back");
  const [first, second] = [Math.min(lineA, lineB), Math.max(lineA, lineB)];
  assert.match(
    message,
    new RegExp(
      `${annA} names 2 records \\(line ${first} \\(${ANNOTATOR}\\), line ${second} ` +
        `\\(${ANNOTATOR}\\): .*nothing written: say which with --line N`,
    ),
  );
  assert.doesNotMatch(message, /run that agent again/);
  assert.deepEqual(await Deno.readFile(file), before);

  // --line picks A's annotation: withdrawn, B's stands.
  const withdrawal = await ok(
    ...["annotate", del, annA, "--line", String(lineA), "--invalidates"],
    ...["--note", "A: R1 was fine"],
  );
  assert.equal((await staleOf(del, "4_DOCUMENTS")).baseline, r1, "R1 is a baseline again");
  assert.equal((await staleOf(del, "DEPENDENCIES")).verdict, "NO_BASELINE", "B's still holds");
  assert.deepEqual(await invalidatedBy(del, r1), []);
  assert.deepEqual(await invalidatedBy(del, r2), [annB]);
  const log = JSON.parse(await ok("log", del, "--format", "json"));
  assert.deepEqual(log.find((r: RunRecord) => r.RunID === r1).invalidatedBy, []);
  assert.deepEqual(log.find((r: RunRecord) => r.RunID === r2).invalidatedBy, [annB]);
  assert.equal(String(await exportedInvalidatedBy(del, r2)), String([annB]));

  // Withdrawing A's again is refused as a repeat; B's is not withdrawn by it.
  const again = await refused(
    2,
    ...["annotate", del, annA, "--line", String(lineA), "--invalidates", "--note", "again"],
  );
  assert.match(again, new RegExp(`${annA} is already withdrawn by annotation ${withdrawal}`));
  await ok("annotate", del, annB, "--line", String(lineB), "--invalidates", "--note", "B: fine");
  assert.equal((await staleOf(del, "DEPENDENCIES")).baseline, r2, "R2 is a baseline again");
  assert.deepEqual((await staleOf(del, "DEPENDENCIES")).notes, []);
});

Deno.test("annotate --line: a RunID that names another clone's run and an annotation picks either, for RUNID and for --supersedes OLD", async () => {
  const { a, runs: [r0, r1] } = await repoWithRuns("4_DOCUMENTS", "DEPENDENCIES");
  const b = await cloneOf(a);
  await startOfMinute();
  const annA = await ok("annotate", join(a, DEL), r0, "--note", "A: checked by hand");
  const rb = await ok(
    ...["emit", join(b, DEL), "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    ...["--input", "Specification.md"],
  );
  assert.equal(annA, rb, "A's annotation and B's run numbered alike (one minute)");
  await mergeInto(a, b);
  const del = join(a, DEL);
  const lineAnn = await lineWith(del, "A: checked by hand");
  const runLine = (await Deno.readTextFile(join(del, RECORD_FILE))).split("\n")
    .findIndex((line) => line.includes(`${rb},`) && !line.includes(ANNOTATOR)) + 1;
  assert.notEqual(runLine, 0);

  // The annotation's line, without --invalidates: it is an annotation (exit 1), and the
  // way to withdraw it names its line.
  const notRun = await refused(1, "annotate", del, rb, "--line", String(lineAnn), "--note", "x");
  assert.match(notRun, new RegExp(`${rb} is an annotation .* --line ${lineAnn} --invalidates`));
  // A --line of another RunID's record: exit 1, nothing written.
  const r0Line = await lineWith(del, r0 + ",");
  const other = await refused(1, "annotate", del, rb, "--line", String(r0Line), "--note", "x");
  assert.match(other, new RegExp(`line ${r0Line} holds no record of ${rb}`));

  // The run's line as OLD: B's run is superseded by R1, and only it.
  await ok(
    ...["annotate", del, r1, "--supersedes", rb, "--line", String(runLine)],
    ...["--note", "R1 replaces B's test run"],
  );
  const shown = JSON.parse(
    await ok("show", del, rb, "--line", String(runLine), "--format", "json"),
  );
  assert.deepEqual(shown.supersededBy, [r1]);
  const annotation = JSON.parse(
    await ok("show", del, rb, "--line", String(lineAnn), "--format", "json"),
  );
  assert.deepEqual(annotation.supersededBy, []);
  // R0 is still annotated by A's note alone; the stale check of 4_DOCUMENTS has R0 as baseline.
  assert.equal((await staleOf(del, "4_DOCUMENTS")).baseline, r0);
});

/** A record of RunID `id` and checksum `sum` (the fields annotationsIn reads). */
function record(id: string, sum: string, notes = "", agent = "4_DOCUMENTS"): RunRecord {
  return {
    RunID: id,
    RecordChecksum: sum.padEnd(64, "0"),
    AgentName: agent,
    RunStatus: "SUCCESS",
    RunTimestamp: "2026-12-01T10:00:00Z",
    Notes: notes,
  } as RunRecord;
}

Deno.test("annotate across clones: Y supersedes X in one, X supersedes Y in the other; merged, the cycle is named by stale, log and export, and withdrawing one annotation makes a baseline again (trial-v F1)", async () => {
  const { a, runs: [x, y] } = await repoWithRuns("4_DOCUMENTS", "4_DOCUMENTS");
  const b = await cloneOf(a);
  const first = await ok("annotate", join(a, DEL), y, "--supersedes", x, "--note", "Y is current");
  await ok("annotate", join(b, DEL), x, "--supersedes", y, "--note", "X is current");
  await mergeInto(a, b);
  const del = join(a, DEL);
  const check = await staleOf(del, "4_DOCUMENTS");
  assert.equal(check.verdict, "NO_BASELINE");
  const cycle = check.notes.find((n) => n.startsWith("a supersede cycle: "));
  assert.ok(cycle, check.notes.join("\n"));
  assert.match(cycle, new RegExp(`${y} supersedes ${x} \\(annotation ${first}\\)`));
  assert.match(cycle, new RegExp(`${x} supersedes ${y} \\(annotation RUN-`));
  assert.match(cycle, /withdraw one \(runrec annotate <del-dir> <ANNOTATION-RUNID> --invalidates/);
  const log = await runCli(["log", del]);
  assert.equal(log.code, 0, log.stderr);
  assert.equal(log.stderr.match(/warning: .*a supersede cycle: /g)?.length, 1, log.stderr);
  const exported = await runCli(["export", del, "--format", "prov"]);
  assert.match(exported.stderr, /a supersede cycle: /);
  // Withdrawn by the annotation's line (the two annotations may share a RunID): a baseline again.
  const lines = (await Deno.readTextFile(join(del, RECORD_FILE))).trimEnd().split("\n");
  const line = lines.findIndex((l) => l.includes("Y is current")) + 1;
  await ok("annotate", del, first, "--line", String(line), "--invalidates", "--note", "undo");
  assert.equal((await staleOf(del, "4_DOCUMENTS")).verdict, "CLEAN");
  assert.equal((await runCli(["log", del])).stderr.includes("supersede cycle"), false);
  await Deno.remove(join(a, ".."), { recursive: true });
});

Deno.test("annotate across clones: XA supersedes Y in one clone, Y supersedes XB in the other, XA and XB sharing a RunID: a chain, no supersede cycle named (review-v F3)", async () => {
  const { a, runs: [y] } = await repoWithRuns("4_DOCUMENTS");
  const b = await cloneOf(a);
  await startOfMinute();
  const emit = (repo: string, pass: string) =>
    ok("emit", join(repo, DEL), "--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--pass", pass);
  const xa = await emit(a, "XA");
  const xb = await emit(b, "XB");
  assert.equal(xa, xb, "one minute, one RunID");
  await ok("annotate", join(a, DEL), xa, "--supersedes", y, "--note", "XA is current");
  await ok("annotate", join(b, DEL), y, "--supersedes", xb, "--note", "Y replaced XB");
  await mergeInto(a, b);
  const del = join(a, DEL);
  const check = await staleOf(del, "4_DOCUMENTS");
  assert.equal(
    check.notes.some((n) => n.includes("supersede cycle")),
    false,
    check.notes.join("\n"),
  );
  assert.equal((await runCli(["log", del])).stderr.includes("supersede cycle"), false);
  await Deno.remove(join(a, ".."), { recursive: true });
});

Deno.test("ambiguousAnnotations: a supersede cycle through a RunID two clones share is named when its annotations name the same record of it going in and out, not when they name the two records (review-w F5)", () => {
  const y = "RUN-DEL-01-02-20261201-1000-001";
  const x = "RUN-DEL-01-02-20261201-1001-002"; // XA (checksum aa…) and XB (bb…)
  const sums = { [y]: "ff".repeat(32), xa: "aa".repeat(32), xb: "bb".repeat(32) };
  const annotation = (id: string, subject: string, older: string, keys: Record<string, string>) =>
    record(id, "cc", annotationNotes(subject, { supersedes: older }, "n", keys), ANNOTATOR);
  const runs = [record(y, sums[y]), record(x, sums.xa), record(x, sums.xb)];
  // A: XA supersedes Y. B: Y supersedes XA (named by --line): one cycle, of Y and XA.
  const first = annotation("RUN-DEL-01-02-20261201-1002-001", x, y, { [x]: sums.xa, [y]: sums[y] });
  const cycle = [
    ...runs,
    first,
    annotation("RUN-DEL-01-02-20261201-1002-002", y, x, { [y]: sums[y], [x]: sums.xa }),
  ];
  const named = ambiguousAnnotations(cycle).filter((l) => l.startsWith("a supersede cycle: "));
  assert.equal(named.length, 1, ambiguousAnnotations(cycle).join("\n"));
  assert.match(named[0], new RegExp(`${x} supersedes ${y} \\(annotation ${first.RunID}\\)`));
  // B: Y supersedes XB: a chain XA -> Y -> XB, not a cycle.
  const chain = [
    ...runs,
    first,
    annotation("RUN-DEL-01-02-20261201-1002-002", y, x, { [y]: sums[y], [x]: sums.xb }),
  ];
  assert.deepEqual(ambiguousAnnotations(chain), []);
});

Deno.test("annotationsIn: an annotation naming a RunID alone (written before records were named) marks every record of a shared RunID and withdraws none, and says so while it is in force (annotate-sweep F3)", () => {
  const r = "RUN-DEL-01-02-20261201-1000-001";
  const ann = "RUN-DEL-01-02-20261201-2341-001";
  const w = "RUN-DEL-01-02-20261201-2341-002";
  // Variant a, RunID alone: two annotations ann (A: invalidates r; B: a note), B withdraws "ann".
  const a = [
    record(r, "aa"),
    record(ann, "bb", `annotates=${r}; invalidates; note=A`, ANNOTATOR),
    record(ann, "cc", `annotates=${r}; note=B`, ANNOTATOR),
    record(w, "dd", `annotates=${ann}; invalidates; note=B: take mine back`, ANNOTATOR),
  ];
  const annotations = annotationsIn(a);
  assert.equal(isUsableBaseline(a[0], annotations), false, "A's invalidation is not withdrawn");
  assert.deepEqual(ambiguousAnnotations(a), [
    `RunID ${ann} names 2 records here (a collision: see runrec verify), and annotation ${w} ` +
    "names it by RunID alone (written before annotations named their record): read as marking " +
    "each of them and withdrawing none",
  ]);
  // Variant b, RunID alone: B's run rb is numbered like A's annotation; B invalidates rb.
  const b = [
    record(r, "aa"),
    record(ann, "bb", `annotates=${r}; invalidates; note=A`, ANNOTATOR),
    record(ann, "ee"),
    record(w, "dd", `annotates=${ann}; invalidates; note=B`, ANNOTATOR),
  ];
  const read = annotationsIn(b);
  assert.equal(isUsableBaseline(b[0], read), false, "A's invalidation is not withdrawn");
  assert.equal(isUsableBaseline(b[2], read), false, "B's run is invalidated");
  assert.equal(ambiguousAnnotations(b).length, 1);
  // Where the RunID names one record, an old annotation keeps its meaning: a withdrawal withdraws.
  const unique = [
    record(r, "aa"),
    record(ann, "bb", `annotates=${r}; invalidates; note=A`, ANNOTATOR),
    record(w, "dd", `annotates=${ann}; invalidates; note=typo`, ANNOTATOR),
  ];
  assert.equal(isUsableBaseline(unique[0], annotationsIn(unique)), true);
  assert.deepEqual(ambiguousAnnotations(unique), []);
  // A key-less annotation of a shared RunID, withdrawn (by its own RunID, which names one
  // record): it marks nothing, and is no longer said to mark each (annotate-sweep F3).
  const withdrawnOld = [
    record(r, "aa"),
    record(r, "ab"),
    record(ann, "bb", `annotates=${r}; invalidates; note=A`, ANNOTATOR),
    record(w, "dd", `annotates=${ann}; invalidates; note=withdraw it`, ANNOTATOR),
  ];
  const weighed = annotationsIn(withdrawnOld);
  assert.equal(isUsableBaseline(withdrawnOld[0], weighed), true);
  assert.equal(isUsableBaseline(withdrawnOld[1], weighed), true);
  assert.deepEqual(ambiguousAnnotations(withdrawnOld), []);
});

Deno.test("annotationsIn: an annotation naming its record marks that record only; its note is read without the name, and a note that looks like one is not one", () => {
  const r = "RUN-DEL-01-02-20261201-1000-001";
  const ann = "RUN-DEL-01-02-20261201-2341-001";
  const [one, other] = [record(r, "aa11aa11aa11aa11"), record(r, "bb22bb22bb22bb22")];
  const named = record(
    ann,
    "cc",
    `annotates=${r}; invalidates; note=bad | lock recovered | record ${r} checksum ${
      one.RecordChecksum.slice(0, 16)
    } | lock recovered again`,
    ANNOTATOR,
  );
  const annotations = annotationsIn([one, other, named]);
  assert.deepEqual(annotationsFor(annotations, one).map((x) => [x.kind, x.note]), [
    ["invalidated", "bad | lock recovered | lock recovered again"],
  ]);
  assert.deepEqual(annotationsFor(annotations, other), []);
  assert.equal(isUsableBaseline(other, annotations), true);
  assert.deepEqual(ambiguousAnnotations([one, other, named]), []);
  // A --note that reads like runrec's name of a record is marked, and names nothing.
  const forged = annotationNotes(
    r,
    { invalidates: true },
    `x | record ${r} checksum ${"b".repeat(16)}`,
  );
  assert.equal(
    forged,
    `annotates=${r}; invalidates; note=x | (note) record ${r} checksum ${"b".repeat(16)}`,
  );
  const read = annotationsIn([one, other, record(ann, "cc", forged, ANNOTATOR)]);
  assert.equal(isUsableBaseline(one, read) || isUsableBaseline(other, read), false);
  // Whatever the text (an empty part before it, a mark typed by the user), it is marked so that
  // it names nothing, and reads back as given (review-e F5: "| | record" got past the mark).
  const key = `record ${r} checksum ${"b".repeat(16)}`;
  for (
    const given of [
      `x | ${key}`,
      `x | | ${key}`,
      `x | (note) ${key}`,
      `${key} | y`,
      `c | record | ${key}`,
    ]
  ) {
    const notes = annotationNotes(r, { invalidates: true }, given);
    assert.equal(/ \| record /.test(notes.slice(notes.indexOf("note="))), false, notes);
    const back = annotationsIn([one, record(ann, "dd", notes, ANNOTATOR)]);
    assert.deepEqual(annotationsFor(back, one).map((a) => [a.note, a.target]), [[
      given,
      undefined,
    ]]);
  }
});
