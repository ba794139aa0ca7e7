import { join } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch, assertRejects } from "./assert.ts";
import { InputError } from "../src/errors.ts";
import { acquireLock } from "../src/lock.ts";
import { type ReadEvent, readRecords } from "../src/reader.ts";
import { HEADER, LINE_LIMIT_BYTES, RUN_ID_PATTERN, type RunRecord } from "../src/schema.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { WriteError } from "../src/append_types.ts";
import { RecordTooLarge } from "../src/record_limits.ts";
import { agentsRecordedIn, RECENT_AGENTS_BYTES } from "../src/record_lines.ts";
import { checkWritten } from "../src/record_write.ts";
import { SAME_RUN_BYTES } from "../src/records_of_run.ts";
import { encodeRecord } from "../src/codec.ts";
import { journalPath } from "../src/journal.ts";
import { git, makeProject, ROOT, sampleDraft, sampleRecord, tempDir } from "./fixtures.ts";
import { runCli } from "./cli.ts";
import { seededRandom } from "./seed.ts";

async function readAll(path: string): Promise<ReadEvent[]> {
  const events: ReadEvent[] = [];
  for await (const e of readRecords(path)) events.push(e);
  return events;
}

function isPrefix(before: Uint8Array, after: Uint8Array): boolean {
  return before.length <= after.length && before.every((b, i) => b === after[i]);
}

Deno.test("store: first append creates the file with the header; later ones only append", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  let before = new Uint8Array();
  for (let i = 0; i < 5; i++) {
    const result = await appendRecord(file, sampleDraft({ Notes: `run ${i}` }));
    const after = await Deno.readFile(file);
    assert(isPrefix(before, after), `append ${i} changed earlier bytes`);
    assertEquals(result.created, i === 0);
    assertEquals(result.offset, before.length);
    before = after;
  }
  const lines = new TextDecoder().decode(before).split("\n");
  assertEquals(lines[0], HEADER);
  assertEquals(lines.length, 7); // header, 5 records, "" after the final newline
  const records = (await readAll(file)).filter((e) => e.kind === "record");
  assertEquals(records.length, 5);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("store: the last line decides the header however long it is: none after our long record, ours after another version's long line", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  const long = "x".repeat(9000); // longer than the first look back (4 KiB) and than two of them
  await appendRecord(file, sampleDraft({ Notes: long }));
  await appendRecord(file, sampleDraft({ Notes: "after our long record" }));
  let lines = (await Deno.readTextFile(file)).split("\n");
  assertEquals(lines.filter((l) => l === HEADER).length, 1);
  assertEquals(lines.length, 4); // header, 2 records, "" after the final newline
  // A newer minor version's line (SCHEMA.md 11.3) as long: our header comes first.
  await Deno.writeTextFile(file, `v1.1,${long}\n`, { append: true });
  await appendRecord(file, sampleDraft({ Notes: "after a v1.1 line" }));
  lines = (await Deno.readTextFile(file)).split("\n");
  assertEquals(lines.slice(3, 5).map((l) => l.slice(0, 5)), ["v1.1,", HEADER.slice(0, 5)]);
  assertEquals(lines[4], HEADER);
  assertIncludes(lines[5], "after a v1.1 line");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("store: SEQ is one more than the highest in the file for that minute", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  const stamp = "2026-02-22T10:15:30.000Z";
  const a = await appendRecord(file, sampleDraft({ RunTimestamp: stamp }));
  const b = await appendRecord(file, sampleDraft({ RunTimestamp: stamp }));
  const other = await appendRecord(file, sampleDraft({ RunTimestamp: "2026-02-22T10:16:00.000Z" }));
  assertEquals(a.record.RunID, "RUN-DEL-01-02-20260222-1015-001");
  assertEquals(b.record.RunID, "RUN-DEL-01-02-20260222-1015-002");
  assertEquals(other.record.RunID, "RUN-DEL-01-02-20260222-1016-001");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("store: a SEQ beyond 2^53 is counted exactly, so the next RunID is new", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  const stamp = "2026-02-22T10:15:30.000Z";
  // 2^53 + 1 reads back as 2^53 through a float; the next SEQ must still be 2^53 + 2.
  const big = "9007199254740993";
  await appendRecord(
    file,
    sampleDraft({ RunTimestamp: stamp, RunID: `RUN-DEL-01-02-20260222-1015-${big}` }),
  );
  const next = await appendRecord(file, sampleDraft({ RunTimestamp: stamp }));
  assertEquals(next.record.RunID, "RUN-DEL-01-02-20260222-1015-9007199254740994");
  const huge = "1" + "0".repeat(40);
  await appendRecord(
    file,
    sampleDraft({ RunTimestamp: stamp, RunID: `RUN-DEL-01-02-20260222-1015-${huge}` }),
  );
  const after = await appendRecord(file, sampleDraft({ RunTimestamp: stamp }));
  assertEquals(after.record.RunID, `RUN-DEL-01-02-20260222-1015-1${"0".repeat(39)}1`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("store: appends from one process are serialised", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  const stamp = new Date().toISOString();
  const results = await Promise.all(
    Array.from(
      { length: 30 },
      (_, i) => appendRecord(file, sampleDraft({ RunTimestamp: stamp, Notes: `${i}` })),
    ),
  );
  const ids = results.map((r) => r.record.RunID);
  assertEquals(new Set(ids).size, 30);
  const events = await readAll(file);
  assertEquals(events.filter((e) => e.kind === "problem"), []);
  assertEquals(events.length, 30);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("store: an invalid record is refused before anything is written", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  await assertRejects(
    () => appendRecord(file, sampleDraft({ RunStatus: "DONE" })),
    InputError,
    "RunStatus",
  );
  await assertRejects(() => Deno.stat(file), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("store: a torn tail is reported and the next record starts on its own line", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  await appendRecord(file, sampleDraft());
  const whole = await Deno.readFile(file);
  // Simulate an interrupted write: half a record, no final newline.
  const second = await appendRecord(join(dir, "copy.csv"), sampleDraft());
  const half = (await Deno.readFile(join(dir, "copy.csv"))).slice(
    HEADER.length + 1,
    HEADER.length + 1 + 120,
  );
  await Deno.writeFile(file, half, { append: true });
  const torn = await Deno.readFile(file);
  const events = await readAll(file);
  assertEquals(events.map((e) => e.kind === "problem" ? `${e.line}:${e.code}` : `${e.line}:ok`), [
    "2:ok",
    "3:torn",
  ]);
  const result = await appendRecord(file, sampleDraft());
  assert(result.tornTail);
  const after = await Deno.readFile(file);
  assert(isPrefix(torn, after), "the torn bytes were changed");
  assert(isPrefix(whole, after));
  const again = await readAll(file);
  assertEquals(again.map((e) => e.kind === "problem" ? `${e.line}:${e.code}` : `${e.line}:ok`), [
    "2:ok",
    "3:torn",
    "4:ok",
  ]);
  assert(second.record.RunID.length > 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("store: trailing NUL bytes (zero-filled tail) are reported and kept", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  await appendRecord(file, sampleDraft());
  await Deno.writeFile(file, new Uint8Array(512), { append: true });
  const padded = await Deno.readFile(file);
  const events = await readAll(file);
  assertEquals(
    events.filter((e) => e.kind === "problem").map((e) => (e as { code: string }).code),
    ["nul"],
  );
  await appendRecord(file, sampleDraft());
  const after = await Deno.readFile(file);
  assert(isPrefix(padded, after));
  const records = (await readAll(file)).filter((e) => e.kind === "record");
  assertEquals(records.length, 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("store: a NUL tail's warning says git will not merge a file with NUL bytes in its first 8,000 bytes, and git's union merge indeed conflicts", async () => {
  // Two branches add a record each to a file ending in a lost write's zeros: git (the oracle)
  // conflicts while the zeros are in its first 8,000 bytes, and merges both sides after that.
  const merged = async (earlier: number) => {
    const dir = await tempDir();
    const file = join(dir, RECORD_FILE);
    await git(dir, "init", "-q");
    await Deno.writeTextFile(join(dir, ".gitattributes"), `${RECORD_FILE} merge=union\n`);
    for (let i = 0; i < earlier; i++) await appendRecord(file, sampleDraft());
    await git(dir, "add", ".");
    await git(dir, "commit", "-qm", "first");
    await git(dir, "checkout", "-qb", "other");
    await appendRecord(file, sampleDraft({ AgentName: "B" }));
    await git(dir, "commit", "-qam", "B ran");
    await git(dir, "checkout", "-q", "main");
    await Deno.writeFile(file, new Uint8Array(64), { append: true });
    await git(dir, "commit", "-qam", "a lost write's zeros");
    const nul = (await readAll(file)).find((e) => e.kind === "problem") as { message: string };
    assertIncludes(
      nul.message,
      "64 NUL bytes (zero-filled, as after a lost write; in the file's first 8,000 bytes",
    );
    const size = (await Deno.stat(file)).size;
    const conflicts = await git(dir, "merge", "-q", "other").then(() => false, () => true);
    const agents = (await readAll(file)).flatMap((e) =>
      e.kind === "record" ? [e.record.AgentName] : []
    );
    await Deno.remove(dir, { recursive: true });
    return { size, conflicts, hasB: agents.includes("B") };
  };
  const small = await merged(1);
  assert(small.size - 64 < 8000, `${small.size}`);
  assertEquals([small.conflicts, small.hasB], [true, false]);
  const large = await merged(40);
  assert(large.size - 64 > 8000, `${large.size}`);
  assertEquals([large.conflicts, large.hasB], [false, true]);
});

Deno.test("store: a file that is not a record file is never appended to", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  await Deno.writeTextFile(file, "name,value\nx,1\n");
  await assertRejects(() => appendRecord(file, sampleDraft()), WriteError, "not a run record file");
  assertEquals(await Deno.readTextFile(file), "name,value\nx,1\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("store: a directory where the file is expected is a write error", async () => {
  const dir = await tempDir();
  await Deno.mkdir(join(dir, RECORD_FILE));
  await assertRejects(() => appendRecord(join(dir, RECORD_FILE), sampleDraft()), Error);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lock: an orphaned lock (dead pid, same host) is recovered and noted", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  await Deno.writeTextFile(
    `${file}.lock`,
    JSON.stringify({
      holder: "crashed agent",
      acquired: new Date().toISOString(),
      lease_duration_s: 300,
      pid: dead.pid,
      deliverable_id: "DEL-01-02",
      schema_version: "v1.0",
      hostname: Deno.hostname(),
    }),
  );
  const { record } = await appendRecord(file, sampleDraft());
  assertMatch(record.Notes, /recovered orphaned lock \(pid \d+ no longer runs\) of crashed agent/);
  await assertRejects(() => Deno.stat(`${file}.lock`), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lock: a lock file that is not JSON waits 2 s at most, then is recovered", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  await Deno.writeTextFile(`${file}.lock`, "garbage, not a lock");
  // Fresh: it may be mid-creation, so a writer with a short wait gives up.
  await assertRejects(() =>
    acquireLock(`${file}.lock`, { deliverableId: "DEL-01-02", holder: "t", waitMs: 300 })
  );
  // Six seconds old: an orphan.
  const old = new Date(Date.now() - 6000);
  Deno.utimeSync(`${file}.lock`, old, old);
  const started = Date.now();
  const { record } = await appendRecord(file, sampleDraft());
  assert(Date.now() - started < 3000, "no wait for a lease");
  assertMatch(record.Notes, /recovered orphaned lock \(not a lock runrec writes, last changed 2s/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lock: an expired lease from another host is recovered; a live holder makes others wait", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  await Deno.writeTextFile(
    `${file}.lock`,
    JSON.stringify({
      holder: "other machine",
      acquired: "2026-01-01T00:00:00.000Z",
      lease_duration_s: 30,
      pid: 1,
      deliverable_id: "DEL-01-02",
      schema_version: "v1.0",
      hostname: "elsewhere",
    }),
  );
  const { record } = await appendRecord(file, sampleDraft());
  assertIncludes(record.Notes, "lease expired");
  const held = await acquireLock(`${file}.lock`, {
    deliverableId: "DEL-01-02",
    holder: "live holder",
  });
  const told: string[] = [];
  await assertRejects(
    () =>
      acquireLock(`${file}.lock`, {
        deliverableId: "DEL-01-02",
        holder: "waiter",
        waitMs: 600,
        onWait: (r) => told.push(r.holder),
      }),
    Error,
    "held by live holder",
  );
  assertEquals(told, ["live holder"], "the waiter is told once who holds the lock");
  await held.release();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("concurrency: 8 OS processes x 25 emits give every record, valid, unique RunIDs", async () => {
  const { root, del } = await makeProject();
  const children = Array.from({ length: 8 }, (_, i) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(ROOT, "tests/support/emit_loop.ts"), del, "25", `AGENT_${i}`],
      stdout: "piped",
      stderr: "piped",
    }).spawn());
  const outputs = await Promise.all(children.map((c) => c.output()));
  for (const out of outputs) assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const printed = outputs.flatMap((o) => new TextDecoder().decode(o.stdout).trim().split("\n"));
  assertEquals(printed.length, 200);
  assertEquals(new Set(printed).size, 200);
  const events = await readAll(join(del, RECORD_FILE));
  assertEquals(events.filter((e) => e.kind === "problem"), []);
  const ids = events.map((e) => e.kind === "record" ? e.record.RunID : "");
  assertEquals(ids.length, 200);
  assertEquals(new Set(ids).size, 200);
  assert(ids.every((id) => RUN_ID_PATTERN.test(id)));
  assertEquals(new Set(ids), new Set(printed));
  await Deno.remove(root, { recursive: true });
});

Deno.test("crash: processes killed mid-run never corrupt the file; the next run recovers the lock", async () => {
  const { root, del } = await makeProject();
  const file = join(del, RECORD_FILE);
  let expectedAtLeast = 0;
  for (let round = 0; round < 6; round++) {
    const before = await Deno.readFile(file).catch(() => new Uint8Array());
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(ROOT, "tests/support/emit_loop.ts"),
        del,
        "1000",
        `KILLED_${round}`,
        "--no-fsync",
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    // Let it get going, then kill it without warning at a varying moment.
    const reader = child.stdout.getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 20 + round * 37));
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    const after = await Deno.readFile(file);
    assert(isPrefix(before, after), `round ${round}: earlier bytes changed`);
    expectedAtLeast += 1;
  }
  // A run after the kills must succeed (recovering any lock the killed process held).
  const result = await appendRecord(file, sampleDraft({ DeliverableID: "DEL-01-02" }), {
    leaseSeconds: 30,
  });
  const events = await readAll(file);
  const records = events.filter((e) => e.kind === "record");
  const errors = events.filter((e) => e.kind === "problem" && e.severity === "error");
  assertEquals(errors, []);
  assert(records.length >= expectedAtLeast + 1);
  const ids = records.map((e) => e.kind === "record" ? e.record.RunID : "");
  assertEquals(new Set(ids).size, ids.length);
  assert(ids.includes(result.record.RunID));
  await Deno.remove(root, { recursive: true });
});

Deno.test("store: SEQ scan reads past chunk boundaries, ignores RunIDs quoted in other fields", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  const stamp = "2026-02-22T10:15:30.000Z";
  // Files up to 128 KiB are read whole: one of a few records, then one of 2 MiB in chunks.
  const huge = encodeRecord(sampleRecord({ Notes: "x".repeat(1024 * 1024) }));
  // 3,000 records of one minute in shuffled order (about 2 MiB: several read chunks).
  const random = seededRandom("SEQ scan shuffle");
  const seqs = Array.from({ length: 3000 }, (_, i) => i + 1).sort(() => random() - 0.5);
  const lines = seqs.map((seq) =>
    encodeRecord(
      sampleRecord({
        RunTimestamp: stamp,
        RunID: `RUN-DEL-01-02-20260222-1015-${String(seq).padStart(3, "0")}`,
        // Multi-byte characters split across read chunks, and a decoy RunID in a later field
        // (quoted, since it holds commas): SEQ 9999 must not count.
        Notes: "décor 😀 ,RUN-DEL-01-02-20260222-1015-9999, ".repeat(10),
      }),
    )
  );
  const cases: [string[], number][] = [
    [lines.slice(0, 50), Math.max(...seqs.slice(0, 50))], // ~60 KiB
    [[huge, ...lines], 3000],
  ];
  for (const [chosen, max] of cases) {
    // The scan of the file is under test: the last case's journalled line, whose SEQ an append
    // also passes (race-37 F1), goes.
    await Deno.remove(journalPath(file)).catch(() => {});
    await Deno.writeTextFile(file, `${HEADER}\n${chosen.join("\n")}\n`);
    const { record } = await appendRecord(file, sampleDraft({ RunTimestamp: stamp }));
    assertEquals(record.RunID, `RUN-DEL-01-02-20260222-1015-${String(max + 1).padStart(3, "0")}`);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("store: a torn last line longer than many read chunks still counts its SEQ", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  const stamp = "2026-02-22T10:15:30.000Z";
  // A crash mid-write left a record's start and no newline: 100 KiB (the file is read whole),
  // then 2 MiB (read in 64 KiB chunks: the line spans 32).
  for (const [size, seq] of [[100 * 1024, "050"], [2 * 1024 * 1024, "051"]]) {
    const torn = `v1.0,RUN-DEL-01-02-20260222-1015-${seq},DEL-01-02,${"x".repeat(Number(size))}`;
    await Deno.writeTextFile(file, `${HEADER}\n${torn}`);
    const { record, tornTail } = await appendRecord(file, sampleDraft({ RunTimestamp: stamp }));
    assertEquals([record.RunID, tornTail], [
      `RUN-DEL-01-02-20260222-1015-0${Number(seq) + 1}`,
      true,
    ]);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("store: SEQ scan agrees with a plain reading of the file on random files", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  const prefix = "RUN-DEL-01-02-20260222-1015-";
  let seed = 20261125;
  const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  const pieces = [
    () => `v1.0,${prefix}${String(random(2000)).padStart(3, "0")},DEL-01-02,X`, // counts
    () => `v1.0,RUN-DEL-01-02-20260222-1016-${random(9000)},DEL-01-02,X`, // another minute
    () => `v1.0,"x,${prefix}7777",y`, // decoy after a first comma inside quotes
    () => `v1.0,${prefix},no digits`,
    () => `v1.0,${prefix}12x,not only digits`,
    () => `${prefix}5555,no comma before it`,
    () => `v1.0,${prefix}${random(900)},é😀${"z".repeat(random(3) === 0 ? 70_000 : 20)}`, // long
  ];
  for (let round = 0; round < 25; round++) {
    const lines = Array.from({ length: random(60) }, () => pieces[random(pieces.length)]());
    const eol = random(4) === 0 ? "\r\n" : "\n";
    const torn = random(3) === 0 ? pieces[0]() : ""; // no newline at the end
    const text = `${HEADER}${eol}${lines.map((l) => l + eol).join("")}${torn}`;
    await Deno.writeTextFile(file, text);
    // Each round's file is another: the last round's line goes with its journal, which would keep
    // that line's SEQ from the next append (race-37 F1).
    await Deno.remove(journalPath(file)).catch(() => {});
    // The plain reading: every line but the header, its second field, when it is prefix + digits.
    let max = 0n;
    for (const line of text.split("\n").slice(1)) {
      const field = line.split(",")[1] ?? "";
      const digits = field.startsWith(prefix) ? field.slice(prefix.length) : "";
      if (/^[0-9]+$/.test(digits) && line.indexOf(",") + 1 + field.length < line.length) {
        if (BigInt(digits) > max) max = BigInt(digits);
      }
    }
    const { record } = await appendRecord(
      file,
      sampleDraft({ RunTimestamp: "2026-02-22T10:15:30.000Z" }),
    );
    assertEquals(record.RunID, `${prefix}${String(max + 1n).padStart(3, "0")}`, `round ${round}`);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("store: a header after a byte-order mark is not a record file's; nothing is appended", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  const text = `\uFEFF${HEADER}\n`;
  await Deno.writeTextFile(file, text);
  await assertRejects(
    () => appendRecord(file, sampleDraft()),
    WriteError,
    "not a run record file: header starts with a UTF-8 byte-order mark (EF BB BF), then",
  );
  const [problem] = (await readAll(file)).filter((e) => e.kind === "problem");
  assertIncludes(problem.kind === "problem" ? problem.message : "", "byte-order mark");
  assertEquals(await Deno.readTextFile(file), text);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("store: a header cut short or zero-filled by a lost first write is completed, never rewritten", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  const cases: [string, Uint8Array][] = [
    ["all NUL (a new file's length survived power loss, its data did not)", new Uint8Array(1200)],
    ["a torn header", new TextEncoder().encode(HEADER.slice(0, 25))],
    ["NULs, then a torn header", new Uint8Array([0, 0, 0, ...new TextEncoder().encode("Schema")])],
  ];
  for (const [what, before] of cases) {
    await Deno.writeFile(file, before);
    const { record } = await appendRecord(file, sampleDraft());
    const after = await Deno.readFile(file);
    assertEquals(after.subarray(0, before.length), before, `${what}: its bytes stay`);
    const out = await runCli(["validate", file]);
    assertEquals(out.code, 0, `${what}: ${out.stdout}${out.stderr}`);
    assertIncludes(new TextDecoder().decode(after), `,${record.RunID},`);
    await Deno.remove(file);
  }
  // Anything else on line 1 is not a record file: refused, nothing appended.
  await Deno.writeTextFile(file, "Schema,Something,Else");
  await assertRejects(() => appendRecord(file, sampleDraft()), WriteError, "not a run record file");
  assertEquals(await Deno.readTextFile(file), "Schema,Something,Else");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("store: a record whose line would be over 16 MiB is refused naming its size; a long field within it is written", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  // A 5 MiB field: over any per-field limit of old, well within the line.
  const { record } = await appendRecord(file, sampleDraft({ Notes: "n".repeat(5 << 20) }), {
    fsync: false,
  });
  assertEquals(record.Notes.length, 5 << 20);
  const before = await Deno.readFile(file);
  // `%` is written `%25`: 6 MiB of it takes 18 MiB of line.
  let error: unknown;
  try {
    await appendRecord(file, sampleDraft({ Notes: "%".repeat(6 << 20) }), { fsync: false });
  } catch (e) {
    error = e;
  }
  assert(error instanceof RecordTooLarge && error instanceof InputError, String(error));
  assert(error.bytes > LINE_LIMIT_BYTES);
  assertMatch(
    error.message,
    new RegExp(
      `record not written: its line would take ${error.bytes} bytes, more than the ` +
        `limit of ${LINE_LIMIT_BYTES} \\(16 MiB`,
    ),
  );
  assertEquals(await Deno.readFile(file), before);
  assertEquals((await readAll(file)).filter((e) => e.kind === "record").length, 1);
});

Deno.test("agentsRecordedIn: the agents of the file's last RECENT_AGENTS_BYTES, so an emit costs the same however long the history; a short file is read whole", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  // Line heads as appendRecord writes them; the rest of each line is padding (not checked here).
  const line = (agent: string, n: number) =>
    `1.0,RUN-DEL-01-02-20261001-0000-${String(n).padStart(3, "0")},DEL-01-02,${agent},TYPE2,` +
    `${"x".repeat(1000)}\n`;
  await Deno.writeTextFile(file, `${HEADER}\n${line("OLD_AGENT", 1)}${line("LINTER", 2)}`);
  assertEquals([...agentsRecordedIn(file)].sort(), ["LINTER", "OLD_AGENT"]);
  const recent = Math.ceil(RECENT_AGENTS_BYTES / line("LINTER", 3).length) + 10;
  await Deno.writeTextFile(
    file,
    Array.from({ length: recent }, (_, i) => line(i % 2 ? "LINTER" : "QA_REVIEW", i + 3)).join(""),
    { append: true },
  );
  assertEquals([...agentsRecordedIn(file)].sort(), ["LINTER", "QA_REVIEW"]);
  assertEquals(agentsRecordedIn(join(dir, "none.csv")).size, 0); // no file: none
  await Deno.remove(dir, { recursive: true });
});

Deno.test("appendRecord: a record repeating an earlier one of the last SAME_RUN_BYTES (agent, start, status, pass, inputs' and outputs' hashes) is written, naming it in sameRunAs; one further back, or differing, is not", async () => {
  const dir = join(await tempDir(), "DEL-01-02_X");
  await Deno.mkdir(dir);
  const file = join(dir, RECORD_FILE);
  const at = "2026-02-22T10:15:00.000Z";
  const run = sampleDraft({ RunTimestamp: at });
  const first = await appendRecord(file, run);
  assertEquals(first.sameRunAs, undefined);
  const again = await appendRecord(file, { ...run, RunDuration: "PT2M", Notes: "retried" });
  assertEquals(again.sameRunAs, first.record.RunID);
  for (
    const other of [
      { OutputFiles: ["B.md"], OutputHashes: { "B.md": "DELETED" } },
      { RunStatus: "FAILED", ErrorSummary: "x" },
      { AgentName: "OTHER" },
      { RunPassDirective: "P3_ONLY" },
    ]
  ) {
    assertEquals((await appendRecord(file, { ...run, ...other })).sameRunAs, undefined);
  }
  // Past the window: not looked for (the append costs the same however long the file).
  const filler = "x".repeat(4000);
  for (let i = 0; i * 4000 < SAME_RUN_BYTES; i++) {
    await appendRecord(file, { ...run, Notes: filler, RunPassDirective: "FILL" }, { fsync: false });
  }
  const late = await appendRecord(file, run, { fsync: false });
  assertEquals(late.sameRunAs, undefined);
});

Deno.test("appendRecord: a record naming a run (run <id>) the file records already is not appended, however far back that record is: a record over 64 KiB long, or 64 KiB of other records since (review-q F1)", async () => {
  const dir = join(await tempDir(), "DEL-01-02_X");
  await Deno.mkdir(dir);
  const file = join(dir, RECORD_FILE);
  const at = "2026-02-22T10:15:00.000Z";
  const longRun = "20260222T101500000Z-1a2b3c4d";
  const first = await appendRecord(
    file,
    sampleDraft({ RunTimestamp: at, Notes: `${"A".repeat(70_000)} | run ${longRun}` }),
  );
  const again = await appendRecord(
    file,
    sampleDraft({ RunTimestamp: at, Notes: `B | run ${longRun}` }),
  );
  assertEquals([again.alreadyRecorded, again.bytesWritten, again.record.RunID], [
    true,
    0,
    first.record.RunID,
  ]);
  // A short record of the run, then another agent's records (its --notes long) appended since.
  const shortRun = "20260222T101500000Z-5e6f7a8b";
  const short = await appendRecord(
    file,
    sampleDraft({ RunTimestamp: at, Notes: `run ${shortRun}` }),
  );
  for (let i = 0; i < 3; i++) {
    await appendRecord(file, sampleDraft({ AgentName: "DEPENDENCIES", Notes: "x".repeat(30_000) }));
  }
  const late = await appendRecord(
    file,
    sampleDraft({ RunTimestamp: at, Notes: `C | run ${shortRun}` }),
  );
  assertEquals([late.alreadyRecorded, late.record.RunID], [true, short.record.RunID]);
  // Reap's FAILED record far back does not record the run for its late finish, which supersedes it.
  const reapedRun = "20260222T101500000Z-9c0d1e2f";
  await appendRecord(
    file,
    sampleDraft({
      RunTimestamp: at,
      RunStatus: "FAILED",
      ErrorSummary: "reaped: the agent never finished",
      Notes: `${"R".repeat(70_000)} | run ${reapedRun}`,
    }),
  );
  const finished = await appendRecord(
    file,
    sampleDraft({ RunTimestamp: at, Notes: `run ${reapedRun}` }),
  );
  assertEquals(finished.alreadyRecorded, undefined);
  const records = (await readAll(file)).filter((e) => e.kind === "record");
  assertEquals(records.length, 7);
});

Deno.test("append: a record file whose lines end in CR alone is refused, saying so (not that line 1 must be the header), and left as it is (review-y F10)", async () => {
  const dir = await tempDir();
  const file = join(dir, "RunRecords.csv");
  const text = await Deno.readTextFile(join(ROOT, "tests", "fixtures", "bad", "cr-only.csv"));
  await Deno.writeTextFile(file, text);
  await assertRejects(
    () => appendRecord(file, sampleDraft(), { fsync: false }),
    WriteError,
    "its lines end in CR alone, not LF: convert the line ends to LF",
  );
  assertEquals(await Deno.readTextFile(file), text);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("store: the post-write check passes a well-formed record read back, and reports a malformed one (a bad status, another SchemaVersion, a RunID of the wrong shape), a short read-back and other bytes, each as landed (seeds-trace F1)", async () => {
  const dir = await tempDir();
  const path = join(dir, RECORD_FILE);
  const good = `${encodeRecord(sampleRecord())}\n`;
  const malformed: [string, string][] = [
    ["RunStatus", encodeRecord({ ...sampleRecord(), RunStatus: "DONE" } as RunRecord)],
    ["SchemaVersion", encodeRecord({ ...sampleRecord(), SchemaVersion: "v1.9" })],
    ["RunID", encodeRecord({ ...sampleRecord(), RunID: "RUN-DEL-01-02-2026-1" })],
  ];
  const bytes = (text: string) => new TextEncoder().encode(text);
  const check = (text: string, written = text) => {
    Deno.writeTextFileSync(path, `${HEADER}\n${written}`);
    checkWritten(path, HEADER.length + 1, bytes(text));
  };
  check(good);
  for (const [field, line] of malformed) {
    const error = (() => {
      try {
        check(`${line}\n`);
      } catch (e) {
        return e;
      }
    })();
    assert(error instanceof WriteError, `${field}: ${error}`);
    assertMatch(error.message, new RegExp(`post-write check: .*${field}`));
    assert(error.landed, field);
  }
  for (const [what, written] of [["short", good.slice(0, 40)], ["other", good.replace("A", "B")]]) {
    let thrown: unknown;
    try {
      check(good, written);
    } catch (e) {
      thrown = e;
    }
    assert(thrown instanceof WriteError && thrown.landed, what);
    assertIncludes(thrown.message, "post-write check: bytes at offset");
  }
});

Deno.test("store: an append passes a SEQ the journal holds however far back, after a clock stepped back since (review-39b's left case)", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  const { record } = await appendRecord(file, sampleDraft(), { fsync: false });
  // 100 appends of two hours before, ~100 KiB of journal, made once the clock had stepped back
  // half an hour: their entries' times are earlier than the first's minute.
  const earlier = new Date(Date.now() - 2 * 3600_000).toISOString();
  for (let i = 0; i < 100; i++) {
    await appendRecord(file, sampleDraft({ RunTimestamp: earlier, Notes: "n".repeat(600) }), {
      fsync: false,
    });
  }
  const journal = journalPath(file);
  // Each entry written as a line break, then its JSON.
  const [first, ...later] = Deno.readTextFileSync(journal).split("\n").filter((e) => e !== "");
  const steppedBack = later.map((entry) =>
    JSON.stringify({ ...JSON.parse(entry), at: JSON.parse(first).at - 30 * 60_000 })
  );
  Deno.writeTextFileSync(journal, [first, ...steppedBack].map((entry) => `\n${entry}`).join(""));
  // The first record cut off in place by hand: the journal holds it, and may put it back.
  const text = Deno.readTextFileSync(file);
  const line = text.split("\n").find((l) => l.includes(record.RunID))!;
  Deno.writeTextFileSync(file, text.replace(`${line}\n`, ""));
  const next = await appendRecord(file, sampleDraft({ RunTimestamp: record.RunTimestamp }), {
    fsync: false,
  });
  assert(next.record.RunID !== record.RunID, `${record.RunID} given twice`);
});
