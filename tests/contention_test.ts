/**
 * Concurrency and leases with real OS processes: writers in contention on
 * one deliverable and on several, a writer stopped past its lease while it
 * holds the lock, a lock holder killed, and the overlap detector that proves
 * no two writers held the lock or wrote at once. The long runs (16 x 100)
 * are `deno task stress`.
 */
import { join } from "node:path";
import { readRecords } from "../src/reader.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, ROOT } from "./fixtures.ts";
import { contend, overlaps, seqGaps } from "./support/contention.ts";
import { mixedOps } from "./support/mixed_ops.ts";
import { seeded } from "./seed.ts";
import { firstLine } from "./support/runs.ts";

Deno.test("contention: 4 processes x 25 emits into one deliverable: each record once, RunIDs unique, SEQ gap-free, no overlapping holders", async () => {
  const result = await contend({ writers: 4, perWriter: 25, shared: true, traced: true });
  console.log(
    `written ${result.written}, spooled ${result.spooled}, lock holdings ${result.holdings}`,
  );
  assertEquals(result.violations, []);
  assertEquals(result.inFiles, 100);
  assertEquals(result.holdings, result.written, "every direct write seen under its lock");
});

Deno.test("contention: 4 processes x 25 emits into 4 deliverables: each record once, SEQ gap-free", async () => {
  const result = await contend({ writers: 4, perWriter: 25, shared: false, traced: false });
  assertEquals(result.violations, []);
  assertEquals(result.inFiles, 100);
});

Deno.test("contention: 4 processes x 15 mixed operations (emit, start, finish, annotate, flush, reap) on one deliverable: every printed RunID once, RunIDs unique, every started run recorded, nothing left pending", async () => {
  const { seed } = seeded("mixed operations", {});
  const result = await mixedOps({ writers: 4, perWriter: 15, seed });
  console.log(
    `ops ${JSON.stringify(result.ops)}: ${result.records} records, ${result.uniqueRunIds} ` +
      `RunIDs, ${result.started} started (${result.reapedThenFinished} reaped, then finished)`,
  );
  assertEquals(result.violations, []);
  assertEquals(result.uniqueRunIds, result.records);
});

Deno.test("contention: a seed of the mixed operations replays the same operations, however the processes happen to interleave", async () => {
  const { seed } = seeded("mixed operations replayed", {});
  const first = await mixedOps({ writers: 3, perWriter: 8, seed });
  const second = await mixedOps({ writers: 3, perWriter: 8, seed });
  assertEquals([first.violations, second.violations], [[], []]);
  // Each agent names its writer and draw (W1E3: writer 1's fourth draw, an emit).
  assertEquals(second.agents, first.agents);
  assertEquals(second.ops, first.ops);
});

Deno.test("contention: the overlap detector finds two holders of one lock, and a write outside the lock", () => {
  const lock = "/p/D/RunRecords.csv.lock";
  const holder = (t: number, writeAt: number) =>
    [
      `10 ${
        t.toFixed(6)
      } openat(AT_FDCWD</p>, "${lock}", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0666) = 21</p/D/RunRecords.csv.lock> <0.000010>`,
      `10 ${
        writeAt.toFixed(6)
      } write(21</p/D/RunRecords.csv>, "v1.0,RUN"..., 400) = 400 <0.000010>`,
      `10 ${(t + 2).toFixed(6)} unlink("${lock}") = 0 <0.000010>`,
    ].join("\n");
  assertEquals(overlaps([holder(100, 101), holder(103, 104)]).violations, []);
  const [both] = overlaps([holder(100, 101), holder(100.5, 101.5)]).violations;
  assertMatch(both, /writers 0 and 1 held it at once/);
  const outside = `10 99.000000 write(21</p/D/RunRecords.csv>, "x", 1) = 1 <0.000010>`;
  assertMatch(overlaps([outside]).violations[0], /wrote outside its lock/);
  assertEquals(
    seqGaps(["RUN-DEL-01-02-20260222-1015-001", "RUN-DEL-01-02-20260222-1015-003"]).length,
    1,
  );
});

/** The state letter of a process (`T` stopped, `t` stopped by its tracer), from `ps`. */
async function processState(pid: number): Promise<string> {
  const out = await new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] }).output();
  return new TextDecoder().decode(out.stdout).trim()[0] ?? "";
}

Deno.test("lease: a writer stopped past its lease while holding the lock is not taken over; resumed, it writes once, bytes not interleaved", async () => {
  const { del } = await makeProject();
  const file = join(del, RECORD_FILE);
  const seeded = await runCliProcess(["emit", del, "--agent", "FIRST", "--status", "SUCCESS"]);
  assertEquals(seeded.code, 0, seeded.stderr);
  // SIGSTOP injected at the writer's record write: it holds the lock, its write done (the signal
  // comes as the write returns), its lock not yet released.
  const writer = new Deno.Command("strace", {
    args: [
      "-f",
      "-qq",
      "-o",
      "/dev/null",
      "-P",
      file,
      "-e",
      "trace=write",
      "-e",
      "inject=write:signal=STOP:when=1",
      Deno.execPath(),
      "run",
      "-A",
      join(ROOT, "tests/support/lease_writer.ts"),
      del,
      "STALLED",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lock = `${file}.lock`;
  let pid = 0;
  // A traced process shows "t" at each of its system calls too: stopped once its record is written.
  const stalled = () => Deno.readTextFileSync(file).includes(",STALLED,");
  while (pid === 0 || !stalled() || !"Tt".includes(await processState(pid) || "?")) {
    await new Promise((r) => setTimeout(r, 10)); // polled: the stop is the event
    try {
      pid = JSON.parse(Deno.readTextFileSync(lock)).pid;
    } catch { /* not taken yet */ }
  }
  // Its 1 s lease passes while another writer waits 2.5 s: the live holder is never taken over.
  const taker = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "tests/support/take_lock.ts"), lock, "2500"],
    stdout: "piped",
  }).output();
  const took = JSON.parse(new TextDecoder().decode(taker.stdout));
  assertEquals([took.acquired, took.kind], [false, "held"], JSON.stringify(took));
  assert(took.ms >= 2000, `gave up after ${took.ms} ms, past the 1 s lease`);
  // An emit meanwhile waits its deadline and spools; nothing is lost.
  const waiting = await runCliProcess(["emit", del, "--agent", "WAITED", "--status", "SUCCESS"]);
  // Should it fail again (once under load, never since): whether the writer went on, or the lock
  // was judged wrong, the state and the record's Notes say.
  const why = `emit: ${waiting.stderr}; writer ${await processState(pid) || "gone"}; file:\n` +
    Deno.readTextFileSync(file);
  assertMatch(waiting.stderr, /spooled to /, why);
  Deno.kill(pid, "SIGCONT");
  const out = await writer.output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const flush = await runCliProcess(["flush", del]);
  assertEquals(flush.code, 0, flush.stderr);
  const agents: string[] = [];
  const ids = new Set<string>();
  for await (const event of readRecords(file)) {
    assert(event.kind === "record", `line ${event.line} is not a record: bytes interleaved`);
    agents.push(event.record.AgentName);
    ids.add(event.record.RunID);
  }
  assertEquals(agents.sort(), ["FIRST", "STALLED", "WAITED"]);
  assertEquals(ids.size, 3, "RunIDs unique");
});

Deno.test("lease: a lock whose holder was killed is recovered at once on this host, and the recovery is noted in the next record", async () => {
  const { del } = await makeProject();
  const lock = join(del, `${RECORD_FILE}.lock`);
  const holder = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "tests/support/hold_lock.ts"), lock, "30"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const held = JSON.parse(await firstLine(holder.stdout));
  holder.kill("SIGKILL");
  await holder.status;
  await holder.stdin.close().catch(() => {});
  const started = performance.now();
  const emit = await runCliProcess(["emit", del, "--agent", "AFTER", "--status", "SUCCESS"]);
  const ms = performance.now() - started;
  assertEquals(emit.code, 0, emit.stderr);
  assert(!/waiting for the append lock|spooled/.test(emit.stderr), emit.stderr);
  const text = await Deno.readTextFile(join(del, RECORD_FILE));
  assertMatch(text, new RegExp(`recovered orphaned lock \\(pid ${held.pid} no longer runs\\)`));
  console.log(`recovered in ${Math.round(ms)} ms (an emit included)`);
});
