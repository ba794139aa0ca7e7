/**
 * The streaming reader on damaged files: torn tail, NUL padding, CR LF,
 * blank lines, a flipped byte, a bad header; and it never modifies a file.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/reader_test.ts
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type LineProblem,
  type ReadEnd,
  type ReadEvent,
  readRecordAt,
  readRecords,
  readRecordsOn,
} from "../src/reader.ts";
import { HEADER } from "../src/schema.ts";
import { sampleDraft, sampleRecord, tempDir } from "./fixtures.ts";
import { checksumOf, encodeRecord } from "../src/codec.ts";
import { inputContextSha } from "../src/manifest.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import type { RecordDraft } from "../src/append_types.ts";
import { InputError } from "../src/errors.ts";

function draft(agent: string, notes = ""): RecordDraft {
  return sampleDraft({ AgentName: agent, Notes: notes });
}

/** A deliverable folder with `count` records; returns the record file's path. */
async function fixture(count: number): Promise<string> {
  const dir = join(await tempDir({ prefix: "runrec-reader-" }), "DEL-01-02_Reader");
  await Deno.mkdir(dir);
  const file = join(dir, RECORD_FILE);
  for (let i = 0; i < count; i++) {
    await appendRecord(file, draft(`agent-${i}`, `note, "quoted"; line\nbreak ${i}`), {
      fsync: false,
    });
  }
  return file;
}

async function events(path: string): Promise<ReadEvent[]> {
  return await Array.fromAsync(readRecords(path));
}

function problems(list: ReadEvent[]): LineProblem[] {
  return list.filter((e): e is LineProblem => e.kind === "problem");
}

const encoder = new TextEncoder();

Deno.test("reader: a clean file yields every record with its line number and no problem", async () => {
  const file = await fixture(3);
  const got = await events(file);
  assert.deepEqual(got.map((e) => [e.kind, e.line]), [["record", 2], ["record", 3], [
    "record",
    4,
  ]]);
  const first = got[0];
  assert.ok(first.kind === "record");
  assert.equal(first.record.Notes, `note, "quoted"; line\nbreak 0`);
});

Deno.test("reader: a torn tail without final newline is a warning, earlier records are read", async () => {
  const file = await fixture(2);
  const bytes = await Deno.readFile(file);
  await Deno.writeFile(file, bytes.subarray(0, bytes.length - 40));
  const got = await events(file);
  assert.equal(got.filter((e) => e.kind === "record").length, 1);
  const [torn] = problems(got);
  assert.equal(torn.code, "torn");
  assert.equal(torn.severity, "warning");
  assert.equal(torn.line, 3);
});

Deno.test("reader: trailing NUL bytes are reported as a warning and ignored", async () => {
  const file = await fixture(2);
  const bytes = await Deno.readFile(file);
  await Deno.writeFile(file, new Uint8Array([...bytes, 0, 0, 0, 0]));
  const got = await events(file);
  assert.equal(got.filter((e) => e.kind === "record").length, 2);
  const list = problems(got);
  assert.equal(list.length, 1);
  assert.equal(list[0].code, "nul");
  assert.equal(list[0].severity, "warning");
  assert.equal(list[0].line, 4);
});

Deno.test("reader: CR LF lines are read without the CR, each reported", async () => {
  const file = await fixture(2);
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, text.replaceAll("\n", "\r\n"));
  const got = await events(file);
  assert.equal(got.filter((e) => e.kind === "record").length, 2);
  const list = problems(got);
  assert.deepEqual(list.map((p) => [p.line, p.code, p.severity]), [
    [1, "crlf", "warning"],
    [2, "crlf", "warning"],
    [3, "crlf", "warning"],
  ]);
});

Deno.test("reader: a blank line is a warning and does not shift line numbers", async () => {
  const file = await fixture(2);
  const lines = (await Deno.readTextFile(file)).split("\n");
  lines.splice(2, 0, "");
  await Deno.writeTextFile(file, lines.join("\n"));
  const got = await events(file);
  assert.deepEqual(got.map((e) => [e.kind, e.line]), [["record", 2], ["problem", 3], [
    "record",
    4,
  ]]);
  assert.equal(problems(got)[0].code, "blank");
});

Deno.test("reader: a flipped byte in a middle record is an error on that line", async () => {
  const file = await fixture(3);
  const bytes = await Deno.readFile(file);
  const text = new TextDecoder().decode(bytes);
  const lineStarts = [0, ...[...text.matchAll(/\n/g)].map((m) => m.index! + 1)];
  // Flip a letter of the agent name on line 3 (the second record).
  const at = text.indexOf("agent-1", lineStarts[2]);
  bytes[at] ^= 0x20;
  await Deno.writeFile(file, bytes);
  const got = await events(file);
  assert.deepEqual(got.filter((e) => e.kind === "record").map((e) => e.line), [2, 4]);
  const [bad] = problems(got);
  assert.equal(bad.line, 3);
  assert.equal(bad.severity, "error");
  assert.equal(bad.code, "corrupt");
  assert.equal(bad.field, "RecordChecksum");
});

Deno.test("reader: a quote put into a middle record's checksum, or in place of the comma before it, is corrupt, never torn", async () => {
  for (const at of ["checksum", "comma"] as const) {
    const file = await fixture(3);
    const lines = (await Deno.readTextFile(file)).split("\n");
    const comma = lines[2].lastIndexOf(",");
    const cut = at === "checksum" ? comma + 10 : comma;
    lines[2] = `${lines[2].slice(0, cut)}"${lines[2].slice(cut + 1)}`;
    await Deno.writeTextFile(file, lines.join("\n"));
    const got = await events(file);
    assert.deepEqual(got.filter((e) => e.kind === "record").map((e) => e.line), [2, 4], at);
    const [bad] = problems(got);
    assert.deepEqual([bad.line, bad.severity, bad.code], [3, "error", "corrupt"], at);
  }
});

Deno.test("reader: a record cut inside a quoted field (an unterminated quote) is still torn", async () => {
  const file = await fixture(2);
  const lines = (await Deno.readTextFile(file)).split("\n");
  // Cut the second record inside its quoted Notes, then a later record follows on its own line.
  lines[2] = lines[2].slice(0, lines[2].indexOf('"note') + 6);
  await Deno.writeTextFile(file, `${lines.slice(0, 3).join("\n")}\n${lines[1]}\n`);
  const [torn] = problems(await events(file));
  assert.deepEqual([torn.line, torn.severity, torn.code], [3, "warning", "torn"]);
});

Deno.test("reader: a bad header is an error on line 1, records still read", async () => {
  const file = await fixture(1);
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, text.replace(HEADER, HEADER.replace("RunID", "RunId")));
  const got = await events(file);
  const [bad] = problems(got);
  assert.equal(bad.line, 1);
  assert.equal(bad.code, "header");
  assert.equal(bad.severity, "error");
  assert.equal(got.filter((e) => e.kind === "record").length, 1);
});

Deno.test("reader: reading never changes the file (bytes and mtime)", async () => {
  const file = await fixture(3);
  const damaged = new Uint8Array([
    ...await Deno.readFile(file),
    ...encoder.encode("\r\n\nv1.0,RUN-torn"),
    0,
    0,
  ]);
  await Deno.writeFile(file, damaged);
  const before = await Deno.stat(file);
  await events(file);
  const after = await Deno.stat(file);
  assert.deepEqual(await Deno.readFile(file), damaged);
  assert.equal(after.mtime?.getTime(), before.mtime?.getTime());
  assert.equal(after.size, before.size);
});

Deno.test("reader: records longer than many read chunks, and a long torn tail, keep their lines", async () => {
  const dir = join(await tempDir({ prefix: "runrec-reader-" }), "DEL-01-02_Reader");
  await Deno.mkdir(dir);
  const file = join(dir, RECORD_FILE);
  // Notes of 300 KiB span about ten 32 KiB reads; the middle record ends exactly where
  // later bytes begin, and a torn copy of the first record's start follows without newline.
  for (const agent of ["A", "B", "C"]) {
    await appendRecord(file, draft(agent, "é".repeat(150 * 1024)), { fsync: false });
  }
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, text + text.split("\n")[1].slice(0, 100 * 1024));
  const got = await events(file);
  const records = got.filter((e) => e.kind === "record");
  assert.deepEqual(records.map((r) => [r.line, r.record.AgentName]), [[2, "A"], [3, "B"], [
    4,
    "C",
  ]]);
  assert.deepEqual(problems(got).map((p) => [p.line, p.code]), [[5, "torn"]]);
});

Deno.test("reader: a FIFO, a device or a link to /dev/zero is refused at once in one line, never read (a FIFO would wait for a writer, a device never ends)", async () => {
  const dir = await Deno.makeTempDir();
  const fifo = join(dir, "fifo.csv");
  const mkfifo = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.ok(mkfifo.success, "mkfifo failed");
  const zero = join(dir, "zero.csv");
  await Deno.symlink("/dev/zero", zero);
  for (const path of [fifo, zero, "/dev/null"]) {
    let message = "";
    try {
      for await (const _ of readRecords(path)) { /* read */ }
    } catch (e) {
      assert.ok(e instanceof InputError, `${path}: ${e}`);
      message = e.message;
    }
    const why = path === zero
      ? "is a symbolic link; runrec reads and writes only a regular file in the deliverable folder"
      : "not a regular file (a FIFO, socket or device)";
    assert.equal(message, `${path}: cannot read: ${why}`);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("reader: a line that is not a record is quoted by a short escaped prefix only, never whole (a secret's line stays out of CI logs)", async () => {
  const dir = await tempDir();
  const path = join(dir, RECORD_FILE);
  const secret = "root:$6$saltsalt$" + "h".repeat(80);
  await Deno.writeTextFile(path, `${secret}\n${secret}\n`);
  const messages: string[] = [];
  for await (const event of readRecords(path)) {
    if (event.kind === "problem") messages.push(event.message);
  }
  assert.deepEqual(messages, [
    'is not the v1.0 header: "root:$6$saltsalt$hhhhhhh..."',
    'is not a run record: "root:$6$saltsalt$hhhhhhh..."',
  ]);
});

Deno.test("reader: a UTF-16 file with or without a byte-order mark is said to be UTF-16 on each line, not NUL bytes; CR CR LF line ends read as CR LF (review-y F10)", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  await appendRecord(file, sampleDraft({ AgentName: "ONE" }));
  await appendRecord(file, sampleDraft({ AgentName: "TWO" }));
  const text = await Deno.readTextFile(file);
  const utf16le = (s: string) => {
    const bytes = new Uint8Array(s.length * 2);
    for (let i = 0; i < s.length; i++) bytes[2 * i] = s.charCodeAt(i); // ASCII here
    return bytes;
  };
  const events = async (bytes: Uint8Array) => {
    await Deno.writeFile(file, bytes);
    const all: ReadEvent[] = [];
    for await (const event of readRecords(file)) all.push(event);
    return all;
  };
  for (const bom of [[], [0xff, 0xfe]]) {
    const read = await events(new Uint8Array([...bom, ...utf16le(text)]));
    const problems = read.filter((e): e is LineProblem => e.kind === "problem");
    const byLine = (n: number) => problems.filter((p) => p.line === n).map((p) => p.message);
    assert.match(
      byLine(1).join("|"),
      bom.length ? /^is UTF-16 \(a byte-order mark\)/ : /^is UTF-16 text/,
    );
    for (const n of [2, 3]) {
      assert.deepEqual(byLine(n), [
        "is UTF-16 text (a NUL byte beside each letter), not UTF-8: save the file as UTF-8",
      ]);
    }
  }
  const twice = await events(new TextEncoder().encode(text.replaceAll("\n", "\r\r\n")));
  assert.deepEqual(
    twice.map((e) =>
      e.kind === "record" ? e.record.AgentName : e.kind === "problem" ? e.message : ""
    ),
    [
      "line ends in 2 CRs then LF (CR LF converted again?); read without them",
      "line ends in 2 CRs then LF (CR LF converted again?); read without them",
      "ONE",
      "line ends in 2 CRs then LF (CR LF converted again?); read without them",
      "TWO",
    ],
  );
});

Deno.test("reader: a record cut at any byte, a write cut short, is torn (a warning), never corrupt: also just after InputContextSHA or a SHA-256 GitHead, which end in 64 hex digits (seeds-trace F3)", async () => {
  const root = await tempDir();
  const file = join(root, RECORD_FILE);
  const { record } = await appendRecord(
    file,
    { ...sampleDraft({ AgentName: "A", Notes: 'a "quoted", note' }), GitHead: "c".repeat(64) },
    { fsync: false },
  );
  const whole = await Deno.readTextFile(file);
  const line = whole.slice(whole.indexOf("\n") + 1, -1);
  assert.ok(line.includes(`,${record.InputContextSHA},`) && line.includes(`,${"c".repeat(64)},`));
  const verdicts = new Map<string, number[]>();
  for (let cut = 1; cut < line.length; cut++) {
    await Deno.writeTextFile(file, `${HEADER}\n${line.slice(0, cut)}`);
    const [problem] = problems(await events(file));
    const verdict = `${problem.severity} ${problem.code}`;
    verdicts.set(verdict, [...verdicts.get(verdict) ?? [], cut]);
  }
  assert.deepEqual([...verdicts.keys()], ["warning torn"], JSON.stringify([...verdicts]));
});

Deno.test("reader: a record line of 9 MB (80,000 inputs) is read, as SCHEMA.md 6.5 allows, not a stack overflow in every reader (scale-sweep F3)", async () => {
  const root = await tempDir();
  const file = join(root, RECORD_FILE);
  const inputs = Array.from({ length: 80_000 }, (_, i) => `data/d${i % 80}/f${i}.txt`).sort();
  const hashes = Object.fromEntries(inputs.map((p) => [p, "a".repeat(64)]));
  const record = sampleRecord({
    InputFiles: inputs,
    InputHashes: hashes,
    InputContextSHA: inputContextSha(hashes),
  });
  const line = encodeRecord({ ...record, RecordChecksum: "" });
  assert.ok(line.length > 8_000_000, `${line.length}`);
  await Deno.writeTextFile(file, `${HEADER}\n${line}\n`);
  const got = await events(file);
  assert.deepEqual(problems(got), []);
  const read = got.filter((e) => e.kind === "record");
  assert.equal(read.length, 1);
  assert.equal((read[0] as { record: { InputFiles: string[] } }).record.InputFiles.length, 80_000);
});

/** The RunIDs `readRecordsOn` passes on, whether it read from the start, and where it ended. */
async function readOn(path: string, after?: ReadEnd) {
  const runIds: string[] = [];
  let fromStart: boolean | undefined;
  const end = await readRecordsOn(path, after, (start) => {
    fromStart = start;
    return (record) => void runIds.push(record.RunID);
  });
  return { runIds, fromStart, end };
}

Deno.test("readRecordsOn: after a read, only the records appended since; a line read torn is read again, whole (scale-sweep F5)", async () => {
  const file = await fixture(3);
  const first = await readOn(file);
  assert.equal(first.fromStart, true);
  assert.equal(first.runIds.length, 3);
  assert.equal(first.end.offset, (await Deno.stat(file)).size);
  const added = (await appendRecord(file, draft("later"), { fsync: false })).record;
  const second = await readOn(file, first.end);
  assert.deepEqual([second.fromStart, second.runIds], [false, [added.RunID]]);
  // A line caught half written: not a record yet, and read again from its start once whole.
  const line = encodeRecord(sampleRecord({ RunID: "RUN-DEL-01-02-20260222-1015-099" }));
  await Deno.writeTextFile(file, line.slice(0, 100), { append: true });
  const torn = await readOn(file, second.end);
  assert.deepEqual([torn.fromStart, torn.runIds], [false, []]);
  assert.equal(torn.end.offset, second.end.offset, "it ends before the torn line");
  await Deno.writeTextFile(file, `${line.slice(100)}\n`, { append: true });
  const whole = await readOn(file, torn.end);
  assert.deepEqual([whole.fromStart, whole.runIds], [false, ["RUN-DEL-01-02-20260222-1015-099"]]);
  assert.equal(whole.end.line, 7, "the header, 5 records, and the next line's number");
});

Deno.test("readRecordsOn: a file not only appended to is read from its start: replaced by another (even one that holds the same bytes and more), cut short, or changed in place (scale-sweep F5)", async () => {
  const file = await fixture(3);
  const bytes = await Deno.readFile(file);
  const more = encodeRecord(sampleRecord({ RunID: "RUN-DEL-01-02-20260222-1015-099" }));
  const cases: Record<string, () => Promise<void>> = {
    "replaced by a copy with a record more": async () => {
      await Deno.writeTextFile(`${file}.new`, `${new TextDecoder().decode(bytes)}${more}\n`);
      await Deno.rename(`${file}.new`, file);
    },
    "cut short": () => Deno.truncate(file, bytes.length - 10),
    "changed in place": async () => {
      using handle = await Deno.open(file, { write: true });
      // A byte other than the one there (a checksum's hex digit may be `f` already).
      const other = bytes[bytes.length - 20] === 0x66 ? "e" : "f";
      await handle.seek(bytes.length - 20, Deno.SeekMode.Start);
      await handle.write(new TextEncoder().encode(other));
    },
    // `cat > file`, `rsync --inplace`: the same inode, other and more bytes (review F4).
    "rewritten in place, longer": async () => {
      const others = [1, 2, 3, 4, 5, 6, 7].map((n) =>
        encodeRecord(sampleRecord({ RunID: `RUN-DEL-01-02-20260222-1016-00${n}` }))
      );
      await Deno.writeTextFile(file, `${[HEADER, ...others].join("\n")}\n`);
    },
  };
  for (const [what, change] of Object.entries(cases)) {
    await Deno.remove(file);
    await Deno.writeFile(file, bytes);
    const { end } = await readOn(file);
    assert.equal((await readOn(file, end)).fromStart, false, `${what}: untouched, it reads on`);
    await change();
    const again = await readOn(file, end);
    assert.equal(again.fromStart, true, what);
    // Every record the file now holds, from its first line: the check of the tail read the file.
    assert.deepEqual(again.runIds, (await readOn(file)).runIds, what);
  }
});

Deno.test("readRecordAt: each record read again at the offset readRecords gave is the same event: across read chunks, a line longer than a chunk, a CR LF line, under a newer version's header, a last line without newline; past the end nothing, a header a problem (mem-38 F2)", async () => {
  const dir = join(await tempDir({ prefix: "runrec-reader-" }), "DEL-01-02_Reader");
  await Deno.mkdir(dir);
  const file = join(dir, RECORD_FILE);
  // 150 records of about 1 KiB cross the 64 KiB chunks; one of 300 KiB spans several.
  for (let i = 0; i < 150; i++) {
    const notes = i === 70 ? "é".repeat(150 * 1024) : `${i} ${"x".repeat(900)}`;
    await appendRecord(file, draft(`agent-${i}`, notes), { fsync: false });
  }
  const lines = (await Deno.readTextFile(file)).split("\n");
  lines[40] += "\r";
  // A v1.1 record under its header (an added column, ReviewedBy), as a newer runrec writes.
  const line = lines[1];
  const body = line.slice(0, line.lastIndexOf(",")).replace("v1.0,", "v1.1,") + ',"alice, QA"';
  const v11 = HEADER.replace(",RecordChecksum", ",ReviewedBy,RecordChecksum");
  lines.splice(-1, 1, v11, `${body},${checksumOf(body)}`, lines[5]);
  await Deno.writeTextFile(file, lines.join("\n")); // no final newline
  const bytes = await Deno.readFile(file);
  const starts = [0];
  bytes.forEach((b, i) => b === 10 && starts.push(i + 1));
  const read = (await events(file)).filter((e) => e.kind === "record");
  assert.equal(read.length, 152);
  for (const event of read) {
    assert.equal(event.offset, starts[event.line - 1], `line ${event.line}`);
    assert.deepEqual(readRecordAt(file, event), event, `line ${event.line}`);
  }
  assert.equal(read.at(-2)?.header, v11);
  assert.equal(readRecordAt(file, { offset: bytes.length, line: 200 }), undefined);
  assert.equal(readRecordAt(file, { offset: 0, line: 1 })?.kind, "problem");
});
