/**
 * `checkRecordFile` (what `validate` runs) and `readRecords` (what every other
 * reader runs) reach the same verdict on every line of a damaged file.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { checksumOf, encodeRecord } from "../src/codec.ts";
import { checkInWorkers } from "../src/check_pool.ts";
import {
  checkJob,
  checkRecordFile,
  type LineBlock,
  type LineProblem,
  readRecords,
} from "../src/reader.ts";
import { HEADER, type RunRecord } from "../src/schema.ts";
import { sampleRecord, tempDir } from "./fixtures.ts";

/** A line with a valid checksum over any body, so schema checks decide. */
function signed(body: string): string {
  return `${body},${checksumOf(body)}`;
}

function bodyOf(record: RunRecord): string {
  const line = encodeRecord(record);
  return line.slice(0, line.lastIndexOf(","));
}

Deno.test("check: checkRecordFile and readRecords agree line by line; check adds lifecycle warnings", async () => {
  const good = (i: number) =>
    encodeRecord(
      sampleRecord({ RunID: `RUN-DEL-01-02-20260222-1015-${String(i).padStart(3, "0")}` }),
    );
  const lines = [
    HEADER,
    good(1),
    signed(bodyOf(sampleRecord({ RunStatus: "DONE" }))), // an enum out of range
    signed(bodyOf(sampleRecord({ InputContextSHA: "f".repeat(64) }))), // a cross-field rule
    signed(bodyOf(sampleRecord()).replace("Datasheet.md", "Data%ZZsheet.md")), // a bad escape
    signed("v1.0,too,few"), // wrong field count
    good(2).replace("SUCCESS", "SUCCESZ"), // corrupt
    good(3).slice(0, 90), // torn
    good(4) + "\r", // CRLF
    good(5),
    signed(bodyOf(sampleRecord({ RunStatus: "DONE" }))), // the same invalid cell again
    good(6),
    encodeRecord(sampleRecord({
      RunID: "RUN-DEL-01-02-20260222-1015-007",
      StatusBefore: "ISSUED",
      StatusAfter: "ISSUED",
    })), // valid, but SUCCESS from a terminal state
  ];
  const dir = await tempDir();
  const file = join(dir, "RunRecords.csv");
  await Deno.writeTextFile(file, lines.join("\n") + "\n" + "\0".repeat(64));
  const readProblems: LineProblem[] = [];
  let readCount = 0;
  for await (const e of readRecords(file)) {
    if (e.kind === "record") readCount++;
    else readProblems.push(e);
  }
  const checkProblems: LineProblem[] = [];
  let checkCount = 0;
  for await (const batch of checkRecordFile(file)) {
    checkCount += batch.records;
    checkProblems.push(...batch.problems);
  }
  assertEquals(checkCount, readCount);
  assertEquals(checkProblems.filter((p) => p.code !== "lifecycle"), readProblems);
  assertEquals(
    checkProblems.filter((p) => p.code === "lifecycle").map((p) => `${p.line}:${p.severity}`),
    ["13:warning"],
  );
  assertEquals(readCount, 5);
  const codes = readProblems.map((p) => `${p.line}:${p.code}:${p.field}`);
  assertEquals(codes, [
    "3:invalid:RunStatus",
    "4:invalid:InputContextSHA",
    "5:invalid:OutputFiles",
    "6:invalid:",
    "7:corrupt:RecordChecksum",
    "8:torn:",
    "9:crlf:",
    "11:invalid:RunStatus",
    "14:nul:",
  ]);
  assert(readProblems[2].message.includes("bad escape"), readProblems[2].message);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("check: a line that is not the start of a record is an error, not a torn write", async () => {
  const dir = await tempDir();
  const file = join(dir, "RunRecords.csv");
  const record = encodeRecord(sampleRecord());
  await Deno.writeTextFile(
    file,
    [HEADER, record, "hello world, this is not a record", record.slice(0, 70)].join("\n") + "\n",
  );
  const problems: LineProblem[] = [];
  for await (const batch of checkRecordFile(file)) problems.push(...batch.problems);
  assertEquals(problems.map((p) => `${p.line}:${p.code}:${p.severity}`), [
    "3:corrupt:error",
    "4:torn:warning",
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("check: with worker threads, the same batches in the same order as without", async () => {
  // ~4,000 lines (~4 MB, ~16 jobs of 8 blocks): damage every 97th line, some at block edges.
  const lines = [HEADER];
  for (let i = 1; i < 4000; i++) {
    const record = sampleRecord({
      RunID: `RUN-DEL-01-02-20260222-1015-${String(i).padStart(4, "0")}`,
      Notes: `run ${i} ${"·".repeat(i % 700)}`, // varying lengths move lines across block edges
    });
    const line = encodeRecord(record);
    if (i % 97 === 0) lines.push(line.replace("SUCCESS", "SUCCESZ")); // corrupt
    else if (i % 211 === 0) lines.push(signed(bodyOf({ ...record, RunStatus: "DONE" }))); // invalid
    else if (i % 401 === 0) lines.push(line + "\r"); // CRLF
    else if (i % 307 === 0) {
      lines.push(encodeRecord({ ...record, StatusBefore: "ISSUED", StatusAfter: "ISSUED" })); // lifecycle
    } else lines.push(line);
  }
  const dir = await tempDir();
  const file = join(dir, "RunRecords.csv");
  await Deno.writeTextFile(file, lines.join("\n") + "\n" + lines[5].slice(0, 80));
  const run = async (workers: number) => {
    const batches = [];
    for await (const batch of checkRecordFile(file, { workers })) batches.push(batch);
    return {
      records: batches.reduce((n, b) => n + b.records, 0),
      problems: batches.flatMap((b) => b.problems),
    };
  };
  const alone = await run(0);
  assertEquals(await run(1), alone);
  assertEquals(await run(2), alone);
  const expected = (n: number) => Math.floor(3999 / n);
  assertEquals(alone.problems.filter((p) => p.code === "corrupt").length, expected(97));
  assert(alone.problems.filter((p) => p.code === "invalid").length > 0);
  assert(alone.problems.filter((p) => p.code === "lifecycle").length > 0);
  assertEquals(alone.problems.at(-1)?.code, "torn");
  // Problems come in line order.
  const order = alone.problems.map((p) => p.line);
  assertEquals(order, [...order].sort((a, b) => a - b));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("check: a worker that cannot start is not used; one that fails on a job fails the check", async () => {
  const lines = [HEADER];
  for (let i = 1; i < 1500; i++) {
    const RunID = `RUN-DEL-01-02-20260222-1015-${String(i).padStart(4, "0")}`;
    const line = encodeRecord(sampleRecord({ RunID, Notes: "n".repeat(i % 300) }));
    lines.push(i % 101 === 0 ? line.replace("SUCCESS", "SUCCESZ") : line);
  }
  const bytes = new TextEncoder().encode(lines.join("\n") + "\n");
  // Whole-line blocks of ~32 KiB, as the reader makes them.
  const blocks: LineBlock[] = [];
  let firstLine = 1;
  for (let start = 0; start < bytes.length;) {
    const end = bytes.lastIndexOf(10, Math.min(bytes.length, start + 32768) - 1) + 1;
    const block = bytes.subarray(start, end);
    blocks.push({ bytes: block, firstLine, terminated: true });
    firstLine += block.filter((b) => b === 10).length;
    start = end;
  }
  const expected = checkJob(blocks);
  assertEquals(expected.problems.length, Math.floor(1499 / 101));
  async function* stream() {
    for (const block of blocks) yield { ...block, bytes: block.bytes.slice() };
  }

  // In a child process: Deno prints each uncaught worker error, handled or not.
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", join(import.meta.dirname!, "fixtures/failing_workers.ts")],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(child.stderr);
  assertEquals(child.code, 0, stderr);
  assertEquals(JSON.parse(new TextDecoder().decode(child.stdout)), {
    unloadableStarted: false,
    failingStarted: true,
    checkError: "record check worker failed: Uncaught Error: fails on its job",
  });
  // Both failures happened in their workers, as Deno reports them.
  assertMatch(stderr, /Uncaught \(in worker ""\).*cannot start/);
  assertMatch(stderr, /Uncaught \(in worker ""\) Error: fails on its job/);

  // Without workers this thread checks everything, with the same result.
  const batches = [];
  for await (const batch of checkInWorkers(stream(), [], checkJob)) batches.push(batch);
  assertEquals(batches.reduce((n, b) => n + b.records, 0), expected.records);
  assertEquals(batches.flatMap((b) => b.problems), expected.problems);
});
