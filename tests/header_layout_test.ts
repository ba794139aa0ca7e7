/**
 * Writing after another version's lines (SCHEMA.md 11.3) and reading which
 * header each record sits under: the store appends its own header line when
 * the file's last line is another version's, on real files, through `emit`,
 * a spool replay and a torn tail; `validate` warns about a record under
 * another version's header.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/header_layout_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { checksumOf, encodeRecord, splitCells } from "../src/codec.ts";
import { checkRecordFile, type LineProblem, readRecords } from "../src/reader.ts";
import { HEADER } from "../src/schema.ts";
import { newSpoolEntry, spoolRecord } from "../src/spool.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { emitArgs, runCli } from "./cli.ts";
import { makeProject, sampleDraft, sampleRecord, tempDir } from "./fixtures.ts";

const V11_HEADER = HEADER.replace(",RecordChecksum", ",ReviewedBy,RecordChecksum");

/** A record line of `version`: v1.0's cells with `added` cells before RecordChecksum. */
function lineOf(version: string, seq: number, added: string[] = []): string {
  const id = `RUN-DEL-01-02-20260222-1015-${String(seq).padStart(3, "0")}`;
  const v10 = encodeRecord(sampleRecord({ RunID: id, RunTimestamp: "2026-02-22T10:15:00Z" }));
  const cells = splitCells(v10).slice(0, -1);
  const body = [version, ...cells.slice(1), ...added].join(",");
  return `${body},${checksumOf(body)}`;
}

/** A record file in a new folder holding `text`. */
async function fileWith(text: string): Promise<string> {
  const file = join(await tempDir({ prefix: "runrec-layout-" }), RECORD_FILE);
  await Deno.writeTextFile(file, text);
  return file;
}

/** The lines appended to `file` since it held `before` bytes. */
async function appendedLines(file: string, before: number): Promise<string[]> {
  const bytes = await Deno.readFile(file);
  return new TextDecoder().decode(bytes.subarray(before)).split("\n").slice(0, -1);
}

async function problemsOf(file: string): Promise<LineProblem[]> {
  const problems: LineProblem[] = [];
  for await (const event of readRecords(file)) if (event.kind === "problem") problems.push(event);
  return problems;
}

Deno.test("store: after another version's last line (blank lines passed over) the append starts with its own header line", async () => {
  const cases: [string, string[]][] = [
    ["a v1.1 header line", [HEADER, lineOf("v1.0", 1), V11_HEADER]],
    ["a v1.1 record", [HEADER, V11_HEADER, lineOf("v1.1", 1, ["Zoë"])]],
    ["a v2.0 record", [HEADER, V11_HEADER, lineOf("v2.0", 1, ["x", "y"])]],
    ["a v0.9 record", [HEADER, lineOf("v0.9", 1)]],
    ["a v1.1 record in CR LF", [HEADER, V11_HEADER, `${lineOf("v1.1", 1, ["Zoë"])}\r`]],
    // Blank lines say nothing: the line before them decides.
    ["a v1.1 header, then a blank line", [HEADER, V11_HEADER, ""]],
    ["a v1.1 record, then NULs and blank lines", [
      HEADER,
      V11_HEADER,
      lineOf("v1.1", 1, ["a"]),
      "\0\0\0",
      "",
      "",
    ]],
  ];
  for (const [what, lines] of cases) {
    const file = await fileWith(lines.join("\n") + "\n");
    const size = (await Deno.stat(file)).size;
    const first = await appendRecord(file, sampleDraft());
    const second = await appendRecord(file, sampleDraft());
    const added = await appendedLines(file, size);
    assertEquals(added.length, 3, what);
    assertEquals(added[0], HEADER, `${what}: our header first`);
    assertEquals(added.slice(1), [first, second].map((r) => encodeRecord(r.record)), what);
    assertEquals(first.offset, size, what);
  }
});

Deno.test("store: after our own header or record (or a blank line) no header line is added", async () => {
  for (
    const lines of [
      [HEADER],
      [HEADER, lineOf("v1.0", 1)],
      [HEADER, V11_HEADER, lineOf("v1.1", 1, ["a"]), HEADER, lineOf("v1.0", 2)],
      [HEADER, lineOf("v1.0", 1), ""],
    ]
  ) {
    const file = await fileWith(lines.join("\n") + "\n");
    const size = (await Deno.stat(file)).size;
    const { record } = await appendRecord(file, sampleDraft());
    assertEquals(await appendedLines(file, size), [encodeRecord(record)], lines.join(" / "));
  }
});

Deno.test("store: a torn tail is passed over: the line before it tells the version", async () => {
  const torn = lineOf("v1.0", 9).slice(0, 80);
  const afterV11 = await fileWith([HEADER, V11_HEADER, lineOf("v1.1", 1, ["a"]), torn].join("\n"));
  const size = (await Deno.stat(afterV11)).size;
  const result = await appendRecord(afterV11, sampleDraft());
  assert(result.tornTail);
  const text = new TextDecoder().decode((await Deno.readFile(afterV11)).subarray(size));
  assertEquals(text, `\n${HEADER}\n${encodeRecord(result.record)}\n`);

  const afterV10 = await fileWith([HEADER, lineOf("v1.0", 1), torn].join("\n"));
  const size10 = (await Deno.stat(afterV10)).size;
  const ours = await appendRecord(afterV10, sampleDraft());
  const text10 = new TextDecoder().decode((await Deno.readFile(afterV10)).subarray(size10));
  assertEquals(text10, `\n${encodeRecord(ours.record)}\n`);
});

Deno.test("store: the last line is found however long it is (a v1.1 record over many read chunks)", async () => {
  const long = lineOf("v1.1", 1, ["x".repeat(300_000)]);
  const file = await fileWith([HEADER, V11_HEADER, long].join("\n") + "\n");
  const size = (await Deno.stat(file)).size;
  const { record } = await appendRecord(file, sampleDraft());
  assertEquals(await appendedLines(file, size), [HEADER, encodeRecord(record)]);
});

Deno.test("emit: after a v1.1 writer's lines, emit writes its header line; validate and log read it clean", async () => {
  const { del } = await makeProject();
  const file = join(del, RECORD_FILE);
  await Deno.writeTextFile(
    file,
    [HEADER, lineOf("v1.0", 1), V11_HEADER, lineOf("v1.1", 2, ["Zoë"])].join("\n") + "\n",
  );
  const size = (await Deno.stat(file)).size;
  const emit = await runCli(
    emitArgs(del, "--started", "2026-02-28T09:00:00Z", "--duration", "PT4S"),
  );
  assertEquals(emit.code, 0, emit.stderr);
  const added = await appendedLines(file, size);
  assertEquals(added.length, 2);
  assertEquals(added[0], HEADER);
  assert(added[1].startsWith("v1.0,RUN-DEL-01-02-20260228-0900-"));
  const validate = await runCli(["validate", del]);
  assertEquals(validate.code, 0, validate.stdout + validate.stderr);
  assertMatch(validate.stdout, /3 records, 0 errors, 0 warnings/);
  assertEquals(await problemsOf(file), []);
});

Deno.test("flush: a spooled record replayed after a v1.1 writer's lines gets its header line first", async () => {
  const { del } = await makeProject();
  const file = join(del, RECORD_FILE);
  const draft = sampleDraft({ DeliverableID: "DEL-01-02", AgentName: "EARLIER" });
  spoolRecord(del, newSpoolEntry(file, draft, "test fault"));
  await Deno.writeTextFile(
    file,
    [HEADER, V11_HEADER, lineOf("v1.1", 1, ["Zoë"])].join("\n") + "\n",
  );
  const size = (await Deno.stat(file)).size;
  const flush = await runCli(["flush", del]);
  assertEquals(flush.code, 0, flush.stdout + flush.stderr);
  const added = await appendedLines(file, size);
  assertEquals(added.length, 2, added.join("\n"));
  assertEquals(added[0], HEADER);
  assertEquals(added[1].split(",")[3], "EARLIER");
  assertEquals(await problemsOf(file), []);
});

Deno.test("validate: a record under another version's header line is a warning naming both lines and a merge as the likely cause, not only its writer (versions-sweep F2)", async () => {
  const file = await fileWith(
    [
      HEADER,
      lineOf("v1.0", 1),
      V11_HEADER,
      lineOf("v1.1", 2, ["a"]),
      lineOf("v1.0", 3), // a writer that ignored 11.3
      lineOf("v1.0", 4),
      HEADER,
      lineOf("v1.0", 5),
      HEADER, // the same header again: a merge of two new files
      lineOf("v1.1", 6, ["b"]), // under our header
    ].join("\n") + "\n",
  );
  const expected = [
    "5 warning SchemaVersion",
    "9 warning ",
    "10 warning SchemaVersion",
  ];
  const read = await problemsOf(file);
  assertEquals(read.map((p) => `${p.line} ${p.severity} ${p.field}`), expected);
  assertMatch(
    read[0].message,
    /a v1\.0 record \(21 fields\) under header line 3, whose 22 columns are not its version's: .*a merge of branches two runrec versions wrote puts records so/,
  );
  assertMatch(read[0].message, /SCHEMA\.md 11\.3.*so is the next record, line 6$/);
  assertMatch(read[1].message, /repeated header line/);
  assertMatch(read[2].message, /a v1\.1 record \(22 fields\) under header line 7/);
  for (const workers of [0, 1]) {
    const checked: LineProblem[] = [];
    for await (const batch of checkRecordFile(file, { workers })) checked.push(...batch.problems);
    assertEquals(checked.filter((p) => p.code === "header"), read, `workers: ${workers}`);
  }
  const validate = await runCli(["validate", file]);
  assertEquals(validate.code, 0, "a warning does not fail validate");
  assertMatch(validate.stdout + validate.stderr, /:5: .*under header line 3/);
});
