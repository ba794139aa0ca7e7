/**
 * Schema evolution (docs/SCHEMA_EVOLUTION.md): a file that mixes v1.0
 * records with records of a test-only v1.1 (one added column) and v2.0
 * (breaking) schema. v1.1 is read with its added cell kept; v2.0 is an
 * error naming the version; the file is never changed.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/schema_evolution_test.ts
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { checksumOf, encodeRecord, splitCells } from "../src/codec.ts";
import { readRecordFile } from "../src/folder_records.ts";
import { type LineRecord, readRecords } from "../src/reader.ts";
import { HEADER } from "../src/schema.ts";
import { KNOWN_VERSIONS, versionReading } from "../src/schema_versions.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { runCli } from "./cli.ts";
import { sampleRecord, tempDir } from "./fixtures.ts";

/** A record line of `version`: v1.0's cells with `added` cells before RecordChecksum. */
function lineOf(version: string, seq: number, added: string[]): string {
  const id = `RUN-DEL-01-02-20260222-1015-${String(seq).padStart(3, "0")}`;
  const v10 = encodeRecord(sampleRecord({ RunID: id, RunTimestamp: "2026-02-22T10:15:00Z" }));
  const cells = splitCells(v10).slice(0, -1);
  const body = [version, ...cells.slice(1), ...added].join(",");
  return `${body},${checksumOf(body)}`;
}

const V11_HEADER = HEADER.replace(",RecordChecksum", ",ReviewedBy,RecordChecksum");

/** A deliverable whose RunRecords.csv mixes v1.0, v1.1 and v2.0 lines. */
async function mixedFile(): Promise<{ del: string; file: string; bytes: Uint8Array }> {
  const root = await tempDir({ prefix: "runrec-evolve-" });
  const del = join(root, "DEL-01-02_Mixed");
  await Deno.mkdir(del);
  const file = join(del, RECORD_FILE);
  const lines = [
    HEADER,
    lineOf("v1.0", 1, []),
    V11_HEADER, // a v1.1 writer appends its header before its first record (SCHEMA.md 11.3)
    lineOf("v1.1", 2, ["alice"]), // v1.1 adds a ReviewedBy column
    lineOf("v2.0", 3, ["x", "y"]), // v2.0 changes the meaning of columns
    lineOf("v1.0", 4, []), // a writer that did not append its header first (a warning)
    lineOf("v1.1", 5, ['"quoted, with comma"']),
  ];
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  return { del, file, bytes: await Deno.readFile(file) };
}

Deno.test("schema versions: the registry knows v1.0; a newer minor is additive, a new major refused", () => {
  assert.deepEqual(KNOWN_VERSIONS.map((k) => k.version), ["v1.0"]);
  assert.equal(versionReading("v1.0").read, "known");
  assert.equal(versionReading("v1.1").read, "additive");
  assert.equal(versionReading("v1.12").read, "additive");
  for (const version of ["v2.0", "v0.9", "1.1", "v1", "vX.Y"]) {
    const reading = versionReading(version);
    assert.equal(reading.read, "refused", version);
    if (reading.read === "refused") assert.ok(reading.message.includes(`"${version}"`));
  }
});

Deno.test("schema versions: v1.0 and v1.1 records are read from one file, v2.0 is an error naming it", async () => {
  const { file } = await mixedFile();
  const records: LineRecord[] = [];
  const problems: string[] = [];
  for await (const event of readRecords(file)) {
    if (event.kind === "record") records.push(event);
    else problems.push(`${event.line} ${event.severity} ${event.field}: ${event.message}`);
  }
  assert.deepEqual(records.map((r) => [r.line, r.record.SchemaVersion, r.unknownCells]), [
    [2, "v1.0", undefined],
    [4, "v1.1", ["alice"]],
    [6, "v1.0", undefined],
    [7, "v1.1", ['"quoted, with comma"']],
  ]);
  assert.equal(records[1].record.RunID, "RUN-DEL-01-02-20260222-1015-002");
  assert.equal(records[1].record.OutputFiles[0], "Datasheet.md");
  assert.equal(problems.length, 2, problems.join("\n"));
  assert.match(problems[0], /^5 error SchemaVersion: SchemaVersion "v2\.0" is a schema version/);
  assert.match(problems[0], /a new major version needs a newer runrec/);
  // Line 6's writer did not append the v1.0 header first (SCHEMA.md 11.3): read all the same.
  assert.match(problems[1], /^6 warning SchemaVersion: a v1\.0 record .* under header line 3/);
});

Deno.test("schema versions: validate fails on the v2.0 line naming file, line and version; log reads the rest", async () => {
  const { del, file, bytes } = await mixedFile();
  const validate = await runCli(["validate", del]);
  assert.equal(validate.code, 1);
  assert.ok(validate.stdout.includes(`${file}:5`) || validate.stderr.includes(`${file}:5`));
  assert.match(validate.stdout + validate.stderr, /"v2\.0"/);
  const log = await runCli(["log", del, "--format", "jsonl"]);
  assert.equal(log.code, 0);
  assert.deepEqual(
    log.stdout.trimEnd().split("\n").map((l) => JSON.parse(l).SchemaVersion),
    ["v1.0", "v1.1", "v1.0", "v1.1"],
  );
  assert.match(log.stderr, new RegExp(`${file}:5: .*"v2\\.0"`));
  const csv = await runCli(["log", del, "--format", "csv", "--by", "path"]);
  const lines = new TextDecoder().decode(bytes).split("\n");
  assert.equal(
    csv.stdout,
    [0, 1, 2, 3, 5, 6].map((i) => `${lines[i]}\n`).join(""),
    "v1.1 lines kept whole, under their header line as in the file",
  );
  assert.deepEqual(await Deno.readFile(file), bytes, "reading never changes the file");
});

Deno.test("schema versions: a v2.0 header and record after v1.0 ones: the header named as another version's (no run), the record's cells not read by v1.0's positions, show naming its line (versions-sweep F3-F5)", async () => {
  const root = await tempDir({ prefix: "runrec-evolve-" });
  const del = join(root, "DEL-01-02_Mixed");
  await Deno.mkdir(del);
  const file = join(del, RECORD_FILE);
  // v2.0 swaps AgentName and AgentType: a major change (SCHEMA.md 11.1).
  const swap = (
    cells: string[],
  ) => [cells[0], cells[1], cells[2], cells[4], cells[3], ...cells.slice(5)];
  const v2Header = swap(HEADER.split(",")).join(",");
  const v2Cells = swap(splitCells(lineOf("v2.0", 2, [])).slice(0, -1));
  const v2Body = v2Cells.join(",");
  await Deno.writeTextFile(
    file,
    [HEADER, lineOf("v1.0", 1, []), v2Header, `${v2Body},${checksumOf(v2Body)}`].join("\n") + "\n",
  );
  const validate = await runCli(["validate", file]);
  assert.match(
    validate.stdout,
    /:3: a header line, not v1\.0's: "SchemaVersion,RunID,DeliverableID,AgentType,.*\(another schema version's, or ours damaged\); it holds no run/,
  );
  const problems: { line: number; cells?: string[] }[] = [];
  for await (const event of readRecords(file)) if (event.kind === "problem") problems.push(event);
  assert.deepEqual(problems.map((p) => [p.line, p.cells]), [[3, undefined], [4, []]]);
  const { unreadableLines } = await readRecordFile(file);
  assert.deepEqual(unreadableLines, [4], "the header line holds no run");
  const show = await runCli(["show", del, v2Cells[1]]);
  assert.equal(show.code, 2);
  assert.match(
    show.stderr,
    new RegExp(`line 4 holds ${v2Cells[1]} but cannot be read \\(SchemaVersion "v2\\.0"`),
  );
  // As line 1, said to be another version's header.
  await Deno.writeTextFile(file, `${v2Header}\n${v2Body},${checksumOf(v2Body)}\n`);
  const first = await runCli(["validate", file]);
  assert.match(
    first.stdout,
    /:1: header is not the v1\.0 header: "SchemaVersion,RunID,DeliverableID,AgentType,.*\(another schema version's, or ours damaged\)/,
  );
});

Deno.test("schema versions: a v1.1 line with fewer cells than v1.0 is an error, not a guess", async () => {
  const { file } = await mixedFile();
  const short = lineOf("v1.1", 7, []).split(",").slice(0, 5).join(",");
  const body = short.slice(0, short.lastIndexOf(","));
  await Deno.writeTextFile(file, `${body},${checksumOf(body)}\n`, { append: true });
  const problems: string[] = [];
  for await (const event of readRecords(file)) {
    if (event.kind === "problem") problems.push(`${event.line}: ${event.message}`);
  }
  assert.equal(problems.length, 3);
  assert.match(
    problems[2],
    /^8: record has 5 fields; a v1\.1 record has at least the 21 of v1\.0$/,
  );
});

Deno.test("schema versions: a cell a v1.1 record adds is text as runrec writes it: another spelling is an error naming the column, and log gives each value once (versions-sweep F1)", async () => {
  const root = await tempDir({ prefix: "runrec-evolve-" });
  const file = join(root, RECORD_FILE);
  const spellings = ["=SUM(A1:A9)", '"alice"', "%41", "%zz", "%25zz", "%3DSUM(A1:A9)"];
  const lines = [V11_HEADER, ...spellings.map((cell, i) => lineOf("v1.1", i + 1, [cell]))];
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  const problems: string[] = [];
  const values: string[] = [];
  for await (const event of readRecords(file)) {
    if (event.kind === "problem") problems.push(`${event.line}: ${event.message}`);
    else values.push(event.unknownCells![0]);
  }
  assert.deepEqual(problems.map((p) => p.slice(0, 2)), ["2:", "3:", "4:", "5:"]);
  assert.match(problems[0], /column 21 \(one v1\.1 adds\) is not written as runrec writes text/);
  assert.deepEqual(values, ["%25zz", "%3DSUM(A1:A9)"]);
  const log = await runCli(["log", file, "--format", "jsonl"]);
  const reviewed = log.stdout.trimEnd().split("\n").map((l) => JSON.parse(l).ReviewedBy);
  assert.deepEqual(reviewed, ["%zz", "=SUM(A1:A9)"]);
});

Deno.test("schema versions: a file that starts with a v1.1 header is read without a problem", async () => {
  const { file } = await mixedFile();
  const v11 = [V11_HEADER, lineOf("v1.1", 1, ["bob"])].join("\n") + "\n";
  await Deno.writeTextFile(file, v11);
  const events = [];
  for await (const event of readRecords(file)) events.push(event);
  assert.deepEqual(events.map((e) => e.kind), ["record"]);
});

Deno.test("schema versions: a file started by a v1.1 writer (its header on line 1) is appended to: v1.0's header, then the record", async () => {
  const { del, file } = await mixedFile();
  const v11 = [V11_HEADER, lineOf("v1.1", 1, ["bob"])].join("\n") + "\n";
  await Deno.writeTextFile(file, v11);
  const emit = await runCli(["emit", del, "--agent", "A", "--status", "SUCCESS"]);
  assert.equal(emit.code, 0, emit.stderr);
  assert.doesNotMatch(emit.stderr, /spooled|not written/);
  const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
  assert.equal(lines.length, 4);
  assert.equal(
    lines.slice(0, 2).join("\n") + "\n",
    v11,
    "line 1 and the v1.1 record are untouched",
  );
  assert.equal(lines[2], HEADER);
  assert.match(lines[3], /^v1\.0,RUN-DEL-01-02-/);
  const validate = await runCli(["validate", file]);
  assert.equal(validate.code, 0, validate.stdout + validate.stderr);
  assert.match(validate.stdout, /2 records/);
});

Deno.test("schema versions: v0.9 is named older than the first version, v01.0 no version's spelling", () => {
  const message = (version: string) => {
    const reading = versionReading(version);
    return reading.read === "refused" ? reading.message : reading.read;
  };
  assert.match(message("v0.9"), /^"v0\.9" is a schema version this runrec cannot read/);
  assert.match(message("v0.9"), /older than v1\.0, the first version of this schema/);
  assert.doesNotMatch(message("v0.9"), /newer runrec/);
  assert.match(message("v2.0"), /a new major version needs a newer runrec$/);
  for (const version of ["v01.0", "v1.00", "v1.01", "v00.1"]) {
    assert.equal(message(version), `"${version}" is not a schema version (vMAJOR.MINOR)`, version);
  }
});

/** v1.0's header with `added` names before RecordChecksum. */
function headerWith(...added: string[]): string {
  return HEADER.replace(",RecordChecksum", `,${added.join(",")},RecordChecksum`);
}

Deno.test("schema versions (defect): a header whose added column repeats a name, or is no column name, is an error naming it; no cell under it is lost", async () => {
  const { del, file } = await mixedFile();
  const clashes = [
    ["ReviewedBy", "ReviewedBy"], // a name twice
    ["ReviewedBy", "RunID"], // a v1.0 name: its value would lose to the record's RunID
    ["ReviewedBy", "_producer"], // an OpenLineage facet key
    ["ReviewedBy", "invalidatedBy"], // runrec's JSON keys, log --json and show --json
    ["ReviewedBy", "annotations"],
    ["ReviewedBy", "supersedes"], // export --format prov's runrec:supersedes
    ["ReviewedBy", ""],
  ];
  for (const added of clashes) {
    const bad = headerWith(...added);
    await Deno.writeTextFile(
      file,
      [HEADER, lineOf("v1.0", 1, []), bad, lineOf("v1.1", 2, ["alice", "bob"])].join("\n") + "\n",
    );
    const bytes = await Deno.readFile(file);
    const what = JSON.stringify(added[1]);
    const validate = await runCli(["validate", del]);
    assert.equal(validate.code, 1, `${what}: ${validate.stdout}`);
    assert.match(
      validate.stdout,
      new RegExp(`:3: .*header line names .*${what.replace(/"/g, '\\"')}`),
    );
    assert.match(validate.stdout, /SCHEMA\.md 11\.1.*column21/);
    const verify = await runCli(["verify", del]);
    assert.equal(verify.code, 1, what);
    assert.match(verify.stdout + verify.stderr, /:3: .*header line names/);
    const log = await runCli(["log", del, "--format", "jsonl"]);
    assert.equal(log.code, 0, what);
    assert.equal(log.stderr.trimEnd().split("\n").length, 1, `${what}: one message: ${log.stderr}`);
    assert.match(log.stderr, /:3: .*header line names/);
    const json = JSON.parse(log.stdout.trimEnd().split("\n")[1]);
    assert.equal(json.column21, "alice", what);
    assert.equal(json.column22, "bob", what);
    assert.deepEqual(json.invalidatedBy, [], what);
    const run = "RUN-DEL-01-02-20260222-1015-002";
    const show = await runCli(["show", del, run, "--format", "json"]);
    assert.equal(JSON.parse(show.stdout).column22, "bob", `${what}: ${show.stderr}`);
    for (const format of ["openlineage", "prov"]) {
      const exported = await runCli(["export", del, "--format", format]);
      assert.match(exported.stdout, /"bob"/, `${what} in ${format}: ${exported.stderr}`);
    }
    // A header line holds no run: stale does not weigh it as a record it could not read.
    assert.deepEqual((await readRecordFile(file)).unreadableLines, [], what);
    assert.deepEqual(await Deno.readFile(file), bytes, "reading never changes the file");
  }
});

Deno.test("schema versions (defect): under a faulty header after a good one of as many columns, cells go by position, not by the good one's names", async () => {
  const { file } = await mixedFile();
  await Deno.writeTextFile(
    file,
    [
      headerWith("ReviewedBy", "Approver"),
      lineOf("v1.1", 1, ["alice", "carol"]),
      headerWith("Approver", "Approver"),
      lineOf("v1.2", 2, ["dave", "erin"]),
    ].join("\n") + "\n",
  );
  const events = [];
  for await (const event of readRecords(file)) events.push(event);
  assert.deepEqual(
    events.map((e) => e.kind === "record" ? [e.line, e.header] : [e.line, e.code]),
    [[2, headerWith("ReviewedBy", "Approver")], [3, "header"], [4, undefined]],
  );
});

Deno.test("schema versions: a file whose line 1 is a faulty additive header is still appended to (the reader reports it)", async () => {
  const { del, file } = await mixedFile();
  await Deno.writeTextFile(file, `${headerWith("RunID")}\n${lineOf("v1.1", 1, ["x"])}\n`);
  const emit = await runCli(["emit", del, "--agent", "A", "--status", "SUCCESS"]);
  assert.equal(emit.code, 0, emit.stderr);
  const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
  assert.deepEqual([lines.length, lines[2]], [4, HEADER]);
  const validate = await runCli(["validate", del]);
  assert.equal(validate.code, 1);
  assert.match(validate.stdout, /:1: .*"RunID" again/);
});

Deno.test("schema versions: a file a newer major version began (its header on line 1): emit spools the record, saying so, and never advises making line 1 the v1.0 header (review-x F5)", async () => {
  const root = await tempDir({ prefix: "runrec-evolve-" });
  const del = join(root, "DEL-01-02_Newer");
  await Deno.mkdir(del);
  const file = join(del, RECORD_FILE);
  const v20Header = HEADER.replace(",RunStatus,", ",Outcome,").replace(
    ",RecordChecksum",
    ",Reviewer,RecordChecksum",
  );
  const text = `${v20Header}\n${lineOf("v2.0", 1, ["x"])}\n`;
  await Deno.writeTextFile(file, text);
  const emit = await runCli(["emit", del, "--agent", "A", "--status", "SUCCESS"]);
  assert.equal(emit.code, 0, emit.stderr);
  assert.match(emit.stderr, /a header of another schema version \(a file a newer runrec began\?\)/);
  assert.doesNotMatch(emit.stderr, /line 1 must be the v1\.0 header/);
  assert.equal(await Deno.readTextFile(file), text, "the newer version's file is left as it is");
  await Deno.remove(root, { recursive: true });
});
