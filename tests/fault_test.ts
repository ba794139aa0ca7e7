/**
 * Crash and fault points, a seeded sample: the full sweep (every site of
 * every write path, every fault) is `deno task stress`. Each case runs the
 * CLI as a real process under `strace` fault injection, a real tmpfs for
 * short writes, real `kill -9`s; see tests/support/faults.ts.
 */
import { join } from "node:path";
import { newSpoolEntry, spoolRecord } from "../src/spool.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, sampleDraft, tempDir } from "./fixtures.ts";
import { seededRandom } from "./seed.ts";
import {
  type CaseResult,
  casesOf,
  describe,
  type FaultCase,
  PATHS,
  randomKill,
  runCases,
  runShortWrite,
  summarise,
} from "./support/faults.ts";

function report(results: CaseResult[]): void {
  for (const [path, s] of summarise(results)) {
    console.log(
      `${path}: ${s.cases} cases, ${s.landed} landed on their site, ${s.violations} broken`,
    );
  }
  assertEquals(results.filter((r) => r.violations.length > 0).map(describe), []);
}

Deno.test("faults: a seeded sample of injected faults over every write path keeps every promise", async () => {
  const random = seededRandom("fault sample");
  const sample: FaultCase[] = [];
  for (const path of PATHS) {
    const cases = await casesOf(path);
    // Every path reaches the record file, the lock and (but flush) its own write.
    assert(cases.some((c) => c.site.syscall === "fsync"), `${path}: no fsync among its sites`);
    console.log(`${path}: ${cases.length} cases in the full sweep`);
    // The record file's write and fsync always; the rest drawn at random.
    const key = cases.filter((c) =>
      /RunRecords\.csv$/.test(c.site.file) && ["write", "fsync"].includes(c.site.syscall) &&
      (c.fault === "EIO" || c.fault === "kill-after")
    ).slice(0, 2);
    const rest = cases.filter((c) => !key.includes(c));
    for (let i = 0; i < 3; i++) key.push(rest[Math.floor(random() * rest.length)]);
    sample.push(...key);
  }
  const results = await runCases(sample, 2);
  assert(results.filter((r) => r.landed).length >= sample.length / 2, "most faults landed");
  report(results);
});

Deno.test("faults: a real short write (a full tmpfs) leaves a torn tail that is reported, and the record is replayed on a line of its own", async () => {
  const results = [await runShortWrite("emit", 1), await runShortWrite("replay", 300)];
  assertEquals(results.map((r) => r.landed), [true, true], "the writes were cut short");
  report(results);
});

Deno.test("faults: the record file and both spools on one full disk (a tmpfs), filled mid-append: each record once after the lost-record line is flushed back, an annotate refused leaves only a torn tail", async () => {
  const results = [
    await runShortWrite("emit", 200, true),
    await runShortWrite("finish", 1, true),
    await runShortWrite("annotate", 200, true),
  ];
  assertEquals(results.map((r) => r.landed), [true, true, true], "the writes were cut short");
  report(results);
});

Deno.test("faults: emits killed with kill -9 at random times, half of them during a spool replay, lose and duplicate nothing", async () => {
  const random = seededRandom("random kills");
  const results: CaseResult[] = [];
  for (let i = 0; i < 6; i++) results.push(await randomKill(i % 2 === 1, random, i % 2 ? 30 : 600));
  report(results);
});

Deno.test("spool (defect): a torn line holding a replay's marker does not count as its record written", async () => {
  const { del } = await makeProject();
  const file = join(del, RECORD_FILE);
  const tmp = await tempDir();
  const first = await runCliProcess(["emit", del, "--agent", "BEFORE", "--status", "SUCCESS"]);
  assertEquals(first.code, 0, first.stderr);
  const entry = newSpoolEntry(
    file,
    sampleDraft({ DeliverableID: "DEL-01-02", AgentName: "TORN" }),
    "x",
  );
  spoolRecord(del, entry);
  // What a replay's write cut short after its Notes leaves: the marker, and no checksum.
  const torn =
    `v1.0,RUN-DEL-01-02-20260222-1015-009,DEL-01-02,TORN,TYPE_2,2026-02-22T10:15:00.000Z,` +
    `PT0S,SUCCESS,,TBD,,,TBD,TBD,,replayed from spool entry ${entry.id} (spooled x),{},`;
  await Deno.writeTextFile(file, torn, { append: true });
  const flush = await runCliProcess(["flush", del], undefined, { TMPDIR: tmp });
  assertEquals(flush.code, 0, flush.stderr);
  assertMatch(flush.stdout, /replayed into DEL-01-02/);
  const text = await Deno.readTextFile(file);
  const whole = text.split("\n").filter((l) => l.includes(",TORN,") && !l.startsWith(torn));
  assertEquals(whole.length, 1, text);
});

Deno.test("exec (defect): a pending run that cannot be saved (a full disk) does not stop the command; its record is written and says so", async () => {
  const { del } = await makeProject();
  // A file where the pending folder belongs: its mkdir fails, as on a full or failing disk.
  await Deno.mkdir(join(del, ".runrec"));
  await Deno.writeTextFile(join(del, ".runrec", "pending"), "");
  // The run is kept in the user's temporary folder instead.
  const tmp = await tempDir();
  const out = await runCliProcess(["exec", del, "--agent", "EXEC", "--", "true"], undefined, {
    TMPDIR: tmp,
  });
  assertEquals(out.code, 0, out.stderr);
  assertMatch(
    await Deno.readTextFile(join(del, RECORD_FILE)),
    /,EXEC,.*pending run kept in .*runrec-pending-\d+ \(/,
  );
  // Nowhere to keep it (the temporary folder is a file): kept in memory, and said so.
  const nowhere = join(tmp, "a-file");
  await Deno.writeTextFile(nowhere, "");
  const inMemory = await runCliProcess(["exec", del, "--agent", "EXEC2", "--", "true"], undefined, {
    TMPDIR: nowhere,
  });
  assertEquals(inMemory.code, 0, inMemory.stderr);
  assertMatch(
    await Deno.readTextFile(join(del, RECORD_FILE)),
    /,EXEC2,.*pending run not saved \(/,
  );
});
