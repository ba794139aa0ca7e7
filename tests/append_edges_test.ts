/**
 * The append path at its edges: a write short by the record's final `\n`
 * (a real one, on a full tmpfs), a torn header line, our own header line
 * after a line that is not a record of ours, a corrupt last line that starts
 * like ours, and a record file holding a blank line 1.
 *
 * @module
 */
import { join } from "node:path";
import { checksumOf, encodeRecord, splitCells } from "../src/codec.ts";
import { emitRecord } from "../src/hook.ts";
import { checkRecordFile, type ReadEvent, readRecords } from "../src/reader.ts";
import { HEADER, inColumnOrder, runIdPrefix } from "../src/schema.ts";
import { newSpoolEntry, spoolRecord } from "../src/spool.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { WriteError } from "../src/append_types.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "./assert.ts";
import { runCli } from "./cli.ts";
import { makeProject, sampleDraft, sampleRecord, tempDir } from "./fixtures.ts";

const PAGE = 4096;
const V11_HEADER = HEADER.replace(",RecordChecksum", ",ReviewedBy,RecordChecksum");
const decoder = new TextDecoder();

/** A record line of `version` with RunID SEQ `seq`: v1.0's cells, `added` cells before RecordChecksum. */
function lineOf(version: string, seq: number, added: string[] = [], notes = ""): string {
  const id = `RUN-DEL-01-02-20260222-1015-${String(seq).padStart(3, "0")}`;
  const v10 = encodeRecord(
    sampleRecord({ RunID: id, RunTimestamp: "2026-02-22T10:15:00Z", Notes: notes }),
  );
  const cells = splitCells(v10).slice(0, -1);
  const body = [version, ...cells.slice(1), ...added].join(",");
  return `${body},${checksumOf(body)}`;
}

/** A record file in a new folder holding `text`. */
async function fileWith(text: string): Promise<string> {
  const file = join(await tempDir({ prefix: "runrec-edges-" }), RECORD_FILE);
  await Deno.writeTextFile(file, text);
  return file;
}

async function readAll(file: string): Promise<ReadEvent[]> {
  const events: ReadEvent[] = [];
  for await (const event of readRecords(file)) events.push(event);
  return events;
}

/** The problems of a file as `line severity code`, as `validate` finds them. */
async function problemsOf(file: string): Promise<string[]> {
  const found: string[] = [];
  for await (const batch of checkRecordFile(file, { workers: 0 })) {
    for (const p of batch.problems) found.push(`${p.line} ${p.severity} ${p.code}`);
  }
  return found;
}

async function run(args: string[]): Promise<void> {
  const out = await new Deno.Command(args[0], { args: args.slice(1) }).output();
  if (!out.success) throw new Error(`${args.join(" ")}: ${decoder.decode(out.stderr)}`);
}

/** A fixed draft, so that its append writes the same bytes into any copy of a file. */
function fixedDraft() {
  return sampleDraft({ RunTimestamp: "2026-02-22T10:15:00Z", Notes: "faulted" });
}

/**
 * Appends {@linkcode fixedDraft} to a record file holding `lines(padding)`
 * (its last record's Notes pad the file) whose tmpfs is full but for `room` bytes of its last page
 * (`room` counted back from the end of the write when negative): a real
 * short write. The record file alone lives on the tmpfs, bind-mounted over
 * the deliverable's. Returns how the append ended; then the space is freed and
 * `after` runs with the record file.
 */
async function appendShort(
  lines: (padding: string) => string[],
  room: number,
  after: (file: string, outcome: unknown, meant: number, sizeBefore: number) => Promise<void>,
): Promise<void> {
  // The bytes the append means to write, measured on a copy that has room.
  const padded = (n: number) => lines("x".repeat(n)).map((l) => `${l}\n`).join("");
  const scratch = await fileWith(padded(1));
  const meant = (await appendRecord(scratch, fixedDraft(), { fsync: false })).bytesWritten;
  const fits = room < 0 ? meant + room : room;
  const length0 = new TextEncoder().encode(padded(1)).length;
  const text = padded(1 + ((((PAGE - fits - length0) % PAGE) + PAGE) % PAGE));
  const sizeBefore = new TextEncoder().encode(text).length;
  assertEquals(sizeBefore % PAGE, PAGE - fits);

  const file = await fileWith("");
  const mount = await tempDir({ prefix: "runrec-edges-tmpfs-" });
  await run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount]);
  try {
    await Deno.writeTextFile(join(mount, RECORD_FILE), text);
    await fillUp(join(mount, "filler"));
    await run(["mount", "--bind", join(mount, RECORD_FILE), file]);
    try {
      const outcome = await appendRecord(file, fixedDraft()).catch((e) => e);
      await Deno.remove(join(mount, "filler"));
      await after(file, outcome, meant, sizeBefore);
    } finally {
      await run(["umount", file]);
    }
  } finally {
    await run(["umount", mount]);
  }
}

/** Writes `filler` until its file system is full. */
async function fillUp(filler: string): Promise<void> {
  using handle = await Deno.open(filler, { createNew: true, write: true });
  const chunk = new Uint8Array(PAGE);
  try {
    while (true) await handle.write(chunk);
  } catch (e) {
    if (!(e instanceof Error) || !/No space/.test(e.message)) throw e;
  }
}

Deno.test("store (defect 1): a real short write that lands all but the record's final newline writes the record once; the next append ends its line", async () => {
  const before = (notes: string) => [HEADER, lineOf("v1.0", 1, [], notes)];
  await appendShort(before, -1, async (file, outcome, meant, sizeBefore) => {
    assert(!(outcome instanceof Error), `the append failed: ${outcome}`);
    const result = outcome as Awaited<ReturnType<typeof appendRecord>>;
    assertEquals(result.bytesWritten, meant - 1, "the write was short by one byte");
    assertEquals((await Deno.stat(file)).size, sizeBefore + meant - 1);
    const read = await readAll(file);
    const records = read.flatMap((e) => e.kind === "record" ? [e.record.RunID] : []);
    assertEquals(records.at(-1), result.record.RunID);
    assertEquals(
      read.flatMap((e) => e.kind === "problem" ? [e.code] : []),
      ["no-newline"],
    );
    // The next append ends the line with its torn-tail `\n`: the record is there once, no problems.
    const next = await appendRecord(file, sampleDraft({ Notes: "clean" }));
    assert(next.tornTail, "the next append starts with the missing newline");
    const again = await readAll(file);
    assertEquals(again.filter((e) => e.kind === "problem"), []);
    const ids = again.flatMap((e) => e.kind === "record" ? [e.record.RunID] : []);
    assertEquals(ids.filter((id) => id === result.record.RunID).length, 1);
    assertEquals(ids.length, 3);
  });
});

Deno.test("store: a real short write two bytes short (the edge of defect 1) is a torn line: a WriteError whose record did not land", async () => {
  await appendShort(
    (notes) => [HEADER, lineOf("v1.0", 1, [], notes)],
    -2,
    async (file, outcome, meant) => {
      assert(outcome instanceof WriteError, `not a WriteError: ${outcome}`);
      assertMatch(outcome.message, new RegExp(`short write: ${meant - 2} of ${meant} bytes`));
      assertEquals(outcome.landed, false);
      assertEquals(await problemsOf(file), ["3 warning torn"]);
    },
  );
});

Deno.test("spool (defect 1): a replayed record whose line lacks only its final newline counts as written: flush does not write it again", async () => {
  const { del } = await makeProject();
  await emitRecord(del, { agent: "BEFORE", status: "SUCCESS" });
  const file = join(del, RECORD_FILE);
  const entry = newSpoolEntry(file, sampleDraft({ AgentName: "SPOOLED" }), "an earlier fault");
  spoolRecord(del, entry);
  // What a replay short by its `\n` left (its process then killed before the entry was removed).
  const note = `replayed from spool entry ${entry.id} (spooled ${entry.spooledAt}: ${entry.error})`;
  const line = encodeRecord(inColumnOrder({
    ...entry.draft,
    RunID: `${runIdPrefix(entry.draft.DeliverableID, entry.draft.RunTimestamp)}077`,
    Notes: note,
    RecordChecksum: "",
  }));
  await Deno.writeTextFile(file, line, { append: true });
  const flush = await runCli(["flush", del]);
  assertEquals(flush.code, 0, flush.stderr);
  const agents = (await readAll(file)).flatMap((e) =>
    e.kind === "record" ? [e.record.AgentName] : []
  );
  assertEquals(agents.filter((a) => a === "SPOOLED").length, 1, agents.join(","));
});

Deno.test("reader (defect 2): a real short write that cuts our header line is a torn line (a warning), and the file stays valid", async () => {
  const before = (notes: string) => [HEADER, V11_HEADER, lineOf("v1.1", 1, ["Zoe"], notes)];
  await appendShort(before, 100, async (file, outcome) => {
    assert(outcome instanceof WriteError && !outcome.landed, `${outcome}`);
    assertEquals(await problemsOf(file), ["4 warning torn"]);
    await appendRecord(file, sampleDraft({ Notes: "clean" }));
    assertEquals(await problemsOf(file), ["4 warning torn"]);
    const validate = await runCli(["validate", file]);
    assertEquals(validate.code, 0, validate.stdout + validate.stderr);
    assertMatch(validate.stdout + validate.stderr, /4: warning: torn header line/);
  });
});

Deno.test("reader (defect 2): a cut-off header line of an additive version and a cut-off v1.1 record are torn, not corrupt", async () => {
  const v11 = lineOf("v1.1", 2, ["Zoe"]);
  const file = await fileWith(
    [
      HEADER,
      lineOf("v1.0", 1),
      V11_HEADER.slice(0, HEADER.length + 3), // into the added column's name
      V11_HEADER,
      v11.slice(0, 15), // v1.1,RUN-DEL-01
      v11.slice(0, v11.length - 10), // cut inside its checksum
      v11.slice(0, 2), // v1
      HEADER.slice(0, 7),
      HEADER,
      lineOf("v1.0", 3),
    ].join("\n") + "\n",
  );
  assertEquals(await problemsOf(file), [
    "3 warning torn",
    "5 warning torn",
    "6 warning torn",
    "7 warning torn",
    "8 warning torn",
  ]);
  // A line that only looks like a header or a record at its start, then differs, is still corrupt.
  const corrupt = await fileWith(`${HEADER}\nSchemaVersion,RunID,Deliverable ID\nv1.1,RUX\n`);
  assertEquals(await problemsOf(corrupt), ["2 error corrupt", "3 error corrupt"]);
});

Deno.test("reader (defect 3): our header line after a corrupt line, a foreign record, a torn line, a blank or itself is a writer's, not a merge's: no warning", async () => {
  const cases: [string, string[]][] = [
    ["corrupt", [HEADER, lineOf("v1.0", 1), "this is garbage,1,2", HEADER, lineOf("v1.0", 2)]],
    ["v1.1 record", [HEADER, lineOf("v1.1", 1, ["Zoe"]), HEADER, lineOf("v1.0", 2)]],
    ["torn", [HEADER, lineOf("v1.0", 1), lineOf("v1.0", 2).slice(0, 40), HEADER]],
    ["blank", [HEADER, lineOf("v1.0", 1), "", HEADER, lineOf("v1.0", 2)]],
    ["itself", [V11_HEADER, lineOf("v1.1", 1, ["Zoe"]), HEADER, HEADER, lineOf("v1.0", 2)]],
  ];
  for (const [what, lines] of cases) {
    const file = await fileWith(lines.join("\n") + "\n");
    const read = (await readAll(file)).filter((e) => e.kind === "problem");
    assertEquals(read.filter((p) => /repeated header/.test(p.message)), [], what);
  }
  // Right after a whole record of the header in force, only a merge puts it there: still warned.
  const merged = await fileWith([HEADER, lineOf("v1.0", 1), HEADER, lineOf("v1.0", 2)].join("\n"));
  const read = (await readAll(merged)).filter((e) => e.kind === "problem");
  assertEquals(read.map((p) => `${p.line} ${p.code}`), ["3 header", "4 no-newline"]);
  assertMatch(read[0].kind === "problem" ? read[0].message : "", /repeated header line/);
});

Deno.test("emit (defect 3): after a tail that is our header line without its newline, emit's header line draws no warning", async () => {
  const { del } = await makeProject();
  const file = join(del, RECORD_FILE);
  const lines = [HEADER, V11_HEADER, lineOf("v1.1", 1, ["Zoe"])];
  await Deno.writeTextFile(file, lines.join("\n") + `\n${HEADER}`);
  await emitRecord(del, { agent: "AFTER", status: "SUCCESS" });
  const text = await Deno.readTextFile(file);
  assert(text.endsWith("\n") && text.split("\n").filter((l) => l === HEADER).length === 3);
  const validate = await runCli(["validate", file]);
  assertEquals(validate.code, 0);
  assertMatch(validate.stdout, /ok: 2 records, 0 errors, 0 warnings/);
});

Deno.test("store (defect 4): a corrupt last line starting with v1.0, is not ours: the append writes our header line first", async () => {
  const whole = lineOf("v1.0", 5);
  const changed = whole.replace("4_DOCUMENTS", "4_DOCUMENTZ");
  assert(changed !== whole);
  for (const last of ["v1.0,garbage", changed]) {
    const file = await fileWith(
      [HEADER, V11_HEADER, lineOf("v1.1", 1, ["Zoe"]), last].join("\n") + "\n",
    );
    const result = await appendRecord(file, sampleDraft());
    const written = decoder.decode((await Deno.readFile(file)).subarray(result.offset));
    assert(written.startsWith(`${HEADER}\n`), `no header line after ${JSON.stringify(last)}`);
    const layout = (await readAll(file)).filter((e) => e.kind === "problem" && e.code === "header");
    assertEquals(layout, [], `a layout warning after ${JSON.stringify(last)}`);
  }
  // A whole record of ours last: no header line.
  const ours = await fileWith(
    [HEADER, V11_HEADER, lineOf("v1.1", 1, ["Z"]), whole].join("\n") + "\n",
  );
  const result = await appendRecord(ours, sampleDraft());
  const written = decoder.decode((await Deno.readFile(ours)).subarray(result.offset));
  assert(written.startsWith("v1.0,"));
});

Deno.test("validate and emit (defect 5): a record file holding one blank line fails validate on line 1; emit refuses it and says how to fix it", async () => {
  const { del } = await makeProject();
  const file = join(del, RECORD_FILE);
  await Deno.writeTextFile(file, "\n");
  const validate = await runCli(["validate", file]);
  assertEquals(validate.code, 1);
  const lines = (validate.stdout + validate.stderr).trim().split("\n");
  assert(lines.some((l) => l.startsWith(`${file}:1: `) && /header is empty/.test(l)), lines[0]);
  await assertRejects(
    () => appendRecord(file, sampleDraft()),
    WriteError,
    'header is "": delete the empty line(s) before the header line, or the file if it holds nothing else',
  );
  assertEquals(await Deno.readTextFile(file), "\n", "the file is unchanged");
});
