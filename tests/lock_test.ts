/**
 * The append lock against real faults: a holder stopped with SIGSTOP past its
 * lease, then killed; a lock path that is a symbolic link, a folder, a FIFO,
 * garbage, empty, from the future or with an endless lease. Each judgement is
 * made by a real second process, killed past a time bound; whether an emit
 * waited is told by its attempts to take the lock (strace), not by its time.
 */
import { join } from "node:path";
import { InputError } from "../src/errors.ts";
import { acquireLock, LockRefusedError, MAX_LEASE_S, WRITE_GRACE_MS } from "../src/lock.ts";
import { type ReadEvent, readRecords } from "../src/reader.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assert, assertEquals, assertIncludes, assertMatch, assertRejects } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { makeProject, ROOT, sampleDraft, tempDir } from "./fixtures.ts";
import { clockMovedEnv, runCli, runCliProcess } from "./cli.ts";

/** Every event of a record file. */
async function readAll(path: string): Promise<ReadEvent[]> {
  const events: ReadEvent[] = [];
  for await (const event of readRecords(path)) events.push(event);
  return events;
}

/** What tests/support/take_lock.ts printed. */
interface Outcome {
  acquired: boolean;
  recoveries?: string[];
  stillHeld?: boolean;
  kind?: string;
  message?: string;
  ms: number;
}

/**
 * Runs take_lock.ts on `lockPath` as a real process, killed after `boundMs`:
 * a judgement that hangs or spins fails the test instead of hanging it.
 */
async function takeLock(
  lockPath: string,
  waitMs: number,
  boundMs: number,
  env: Record<string, string> = {},
): Promise<Outcome> {
  const started = Date.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "tests/support/take_lock.ts"), lockPath, String(waitMs)],
    stdout: "piped",
    stderr: "piped",
    env,
    signal: AbortSignal.timeout(boundMs),
  }).output();
  const elapsed = Date.now() - started;
  const stdout = new TextDecoder().decode(out.stdout);
  assert(
    out.success && elapsed < boundMs,
    `take_lock did not finish within ${boundMs} ms (took ${elapsed} ms, exit ${out.code}): ` +
      `${stdout}${new TextDecoder().decode(out.stderr)}`,
  );
  return JSON.parse(stdout);
}

/**
 * Runs `runrec emit` on `del` as a real process under the production flags, under strace,
 * killed after `boundMs` (a hang fails the test instead of hanging it). `takes` counts its
 * attempts to create the lock file: a wait for a holder tries again every 50 ms at most, so the
 * count tells a wait from none however long a loaded machine makes the process take.
 */
async function emitProcess(
  del: string,
  agent: string,
  boundMs: number,
  env: Record<string, string> = {},
) {
  const lock = join(del, `${RECORD_FILE}.lock`);
  const trace = join(await tempDir({ prefix: "runrec-emit-trace-" }), "trace");
  const started = Date.now();
  const out = await new Deno.Command(STRACE, {
    args: [
      ...["-f", "-qq", "--seccomp-bpf", "-o", trace, "-P", lock, "-e", "trace=openat"],
      Deno.execPath(),
      "run",
      ...FULL_FLAGS,
      CLI_ENTRY,
      "emit",
      del,
      "--agent",
      agent,
      "--status",
      "SUCCESS",
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
    signal: AbortSignal.timeout(boundMs),
  }).output();
  const elapsed = Date.now() - started;
  const stderr = new TextDecoder().decode(out.stderr);
  assert(elapsed < boundMs, `emit ${agent} did not finish within ${boundMs} ms: ${stderr}`);
  assertEquals(out.code, 0, stderr);
  const takes = (await Deno.readTextFile(trace)).split("\n").filter((l) => /O_EXCL/.test(l));
  return { stderr, elapsed, takes: takes.length };
}

/** strace, named by its path: an emit may be given a PATH without it. */
const STRACE = ["/usr/bin/strace", "/bin/strace"].find((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}) ?? "strace";

/** A lock file's JSON, as another runrec would write it, with `fields` changed. */
function lockJson(fields: Record<string, unknown>): string {
  return JSON.stringify({
    holder: "runrec emit (OTHER)",
    acquired: new Date().toISOString(),
    lease_duration_s: 30,
    pid: 4242,
    deliverable_id: "DEL-01-02",
    schema_version: "v1.0",
    hostname: "other-host",
    token: crypto.randomUUID(),
    ...fields,
  });
}

/** A lock path in a fresh folder. */
async function lockPath(): Promise<string> {
  return join(await tempDir({ prefix: "runrec-lock-" }), `${RECORD_FILE}.lock`);
}

/** Sets a file's (or, `lutime`-less, a link's target's) times `ageMs` into the past. */
function age(path: string, ageMs: number): void {
  const then = new Date(Date.now() - ageMs);
  Deno.utimeSync(path, then, then);
}

/** A pid that ran and is gone (reaped). */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

/** A real process that holds the lock at `path` until its stdin closes; its lock file's text. */
async function spawnHolder(path: string, leaseSeconds: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "tests/support/hold_lock.ts"), path, String(leaseSeconds)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("holder exited before taking the lock");
    text += value;
  }
  reader.releaseLock();
  return { child, lockText: text.trim() };
}

Deno.test("a lock a live holder took under a second ago is judged held without starting a process (every waiter judges it many times a second: 8 writers on one deliverable started 544 cats for 320 records)", async () => {
  const path = await lockPath();
  const trace = join(await tempDir({ prefix: "runrec-lock-trace-" }), "trace");
  const taker = new Deno.Command(STRACE, {
    args: [
      ...["-f", "-qq", "-o", trace, "-e", "trace=execve", Deno.execPath(), "run", "-A"],
      ...[join(ROOT, "tests/support/take_lock.ts"), path, "0", "--on-line"],
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const said = taker.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  while (!output.includes("ready\n")) output += (await said.read()).value ?? "";
  // Taken now, judged at once: well within the second after which a holder is looked at.
  const { child } = await spawnHolder(path, 30);
  try {
    const tell = taker.stdin.getWriter();
    await tell.write(new TextEncoder().encode("go\n"));
    await tell.close();
    for (let read = await said.read(); !read.done; read = await said.read()) output += read.value;
    assert((await taker.status).success, output);
  } finally {
    await child.stdin.close();
    await child.status;
  }
  const outcome: Outcome = JSON.parse(output.slice(output.indexOf("ready\n") + 6));
  assertEquals(outcome.kind, "held", output);
  assertIncludes(outcome.message!, "a live holder is never taken over");
  const started = (await Deno.readTextFile(trace)).split("\n").filter((line) =>
    /execve\("[^"]*\/(cat|ps)"/.test(line)
  );
  assertEquals(started, [], "processes started to judge the lock");
});

Deno.test("lock (defect 3): a holder stopped past its lease is not taken over; once killed, its lock is recovered at once and noted", async () => {
  const { del } = await makeProject();
  const file = join(del, RECORD_FILE);
  const { child, lockText } = await spawnHolder(`${file}.lock`, 1);
  child.kill("SIGSTOP");
  try {
    // A second emit, a real process: it waits its full deadline (10 s), well past the
    // holder's 1 s lease, and must spool rather than take the lock over.
    const second = await emitProcess(del, "SECOND", 40_000);
    assert(second.takes > 10, `${second.takes} attempts to take the lock: it did not wait`);
    assertIncludes(second.stderr, "spooled");
    assertIncludes(second.stderr, "a live holder is never taken over");
    assertEquals(Deno.readTextFileSync(`${file}.lock`), lockText, "the stopped holder's lock");
    await assertRejects(() => Deno.stat(file), Deno.errors.NotFound, undefined);
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await child.stdin.close().catch(() => {});
  }
  // Its holder gone, the lock is recovered without waiting (the wait deadline is 10 s).
  const third = await emitProcess(del, "THIRD", 40_000);
  // Two attempts: refused, then taken once the orphan is removed. A wait makes one every 50 ms at
  // most (129 in the second's 10 s): ten or fewer is under 0.4 s of waiting, however long it took.
  assert(third.takes <= 10, `recovery: ${third.takes} attempts in ${third.elapsed} ms`);
  const records = (await readAll(file)).flatMap((e) => e.kind === "record" ? [e.record] : []);
  assertEquals(records.map((r) => r.AgentName).sort(), ["SECOND", "THIRD"]);
  assertMatch(
    records.map((r) => r.Notes).join("\n"),
    new RegExp(
      `recovered orphaned lock \\(pid ${child.pid} no longer runs\\) of held by test pid ${child.pid}`,
    ),
  );
});

Deno.test("lock (defect 3): a live pid on this host holds the lock past its lease; a reused pid does not", async () => {
  const path = await lockPath();
  const { child, lockText } = await spawnHolder(path, 1);
  try {
    // The holder's lease is long over (its `acquired` moved an hour back): it still runs.
    const info = JSON.parse(lockText);
    assert(Number.isSafeInteger(info.pid_start_uptime_ms), lockText);
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    // A lock whose holder started an hour before this pid's process did: pid reused.
    Deno.writeTextFileSync(
      path,
      JSON.stringify({
        ...info,
        acquired: hourAgo,
        pid_start_uptime_ms: info.pid_start_uptime_ms - 3_600_000,
      }),
    );
    const reused = await takeLock(path, 0, 5000);
    assert(reused.acquired, JSON.stringify(reused));
    assertMatch(
      reused.recoveries!.join(),
      new RegExp(`pid ${child.pid} now belongs to another process than the one that took the lock`),
    );
    // An older runrec's lock (no pid_start_uptime_ms) taken an hour ago cannot belong to a
    // process started seconds ago: pid reused.
    const { pid_start_uptime_ms: _, ...older } = info;
    Deno.writeTextFileSync(path, JSON.stringify({ ...older, acquired: hourAgo }));
    const reusedOlder = await takeLock(path, 0, 5000);
    assert(reusedOlder.acquired, JSON.stringify(reusedOlder));
    assertMatch(
      reusedOlder.recoveries!.join(),
      new RegExp(`pid ${child.pid} now belongs to a process started after the lock was taken`),
    );
    // The same holder with its true `acquired`, its lease over: waited for, never taken.
    Deno.writeTextFileSync(path, lockText);
    const refused = await takeLock(path, 1500, 5000);
    assertEquals([refused.acquired, refused.kind], [false, "held"]);
    assert(refused.ms >= 1400, `gave up after ${refused.ms} ms, before its 1.5 s deadline`);
    assertIncludes(refused.message!, `pid ${child.pid} on this host runs`);
    assertEquals(Deno.readTextFileSync(path), lockText);
  } finally {
    await child.stdin.close();
    await child.status;
  }
});

Deno.test("lock: a live holder on this host is not taken over by a process whose clock stepped a day forward since the lock was taken (clock-sweep F2)", async () => {
  const path = await lockPath();
  const { child, lockText } = await spawnHolder(path, 1);
  try {
    // Its lease long over by the moved clock, the holder's start against its `acquired` looks a
    // day later: its start since boot, in the lock, says it is the holder.
    const refused = await takeLock(path, 0, 5000, clockMovedEnv("+1d"));
    assertEquals([refused.acquired, refused.kind], [false, "held"], JSON.stringify(refused));
    assertIncludes(refused.message!, `pid ${child.pid} on this host runs`);
    assertEquals(Deno.readTextFileSync(path), lockText);
  } finally {
    await child.stdin.close();
    await child.status;
  }
});

Deno.test("lock (defect 3): stillHeld is false once the lock file is replaced or rewritten, and release leaves the new one", async () => {
  const path = await lockPath();
  const lock = await acquireLock(path, { deliverableId: "DEL-01-02", holder: "t" });
  assert(lock.stillHeld());
  const ours = Deno.readTextFileSync(path);
  // Same bytes in a new file renamed over ours (another inode): not ours.
  Deno.writeTextFileSync(`${path}.copy`, ours);
  Deno.renameSync(`${path}.copy`, path);
  assert(!lock.stillHeld(), "a new file with the same bytes");
  // Another host's lock written over ours in place: not ours.
  const theirs = lockJson({ acquired: new Date().toISOString() });
  Deno.writeTextFileSync(path, theirs);
  assert(!lock.stillHeld(), "other bytes");
  await lock.release();
  assertEquals(Deno.readTextFileSync(path), theirs, "release removes only its own lock");
  Deno.removeSync(path);
  assert(!lock.stillHeld(), "gone");
});

Deno.test("lock (defect 4): a symbolic link as the lock (dangling, to a file, a loop) is removed, never its target, within 5 s", async () => {
  const dangling = await lockPath();
  Deno.symlinkSync(join(dangling, "..", "nowhere"), dangling);
  const toFile = await lockPath();
  const target = join(toFile, "..", "precious.txt");
  Deno.writeTextFileSync(target, "keep me\n");
  Deno.symlinkSync(target, toFile);
  const loop = await lockPath();
  Deno.symlinkSync(`${loop}.other`, loop);
  Deno.symlinkSync(loop, `${loop}.other`);
  for (const path of [dangling, toFile, loop]) {
    const outcome = await takeLock(path, 60_000, 5000);
    assert(outcome.acquired && outcome.stillHeld, JSON.stringify(outcome));
    assertMatch(
      outcome.recoveries!.join(),
      /\(a symbolic link to .+, not a lock; the link removed\)/,
    );
    await assertRejects(() => Deno.lstat(path), Deno.errors.NotFound, undefined);
  }
  assertEquals(Deno.readTextFileSync(target), "keep me\n");
});

Deno.test("lock (defect 4): a folder or a FIFO as the lock is refused at once with what is in the way, whatever the wait", async () => {
  const folder = await lockPath();
  Deno.mkdirSync(folder);
  const fifo = await lockPath();
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert(made.success, "mkfifo");
  for (const [path, what] of [[folder, "a directory"], [fifo, "a FIFO"]]) {
    const outcome = await takeLock(path, 60_000, 5000);
    assertEquals([outcome.acquired, outcome.kind], [false, "unusable"], JSON.stringify(outcome));
    assertIncludes(outcome.message!, `${path}: ${what}, not a lock file`);
    assert(outcome.ms < 1000, `refused after ${outcome.ms} ms`);
  }
  assert(Deno.lstatSync(folder).isDirectory && Deno.lstatSync(fifo).isFifo, "both left in place");
});

Deno.test("lock (defect 4): garbage, an oversized file, a lease over the maximum or `acquired` in the future is recovered within 5 s", async () => {
  const cases: [string, string, RegExp][] = [
    ["garbage", "garbage, not a lock", /not a lock runrec writes, last changed 2s or more ago/],
    ["oversized", lockJson({ holder: "x".repeat(10_000) }), /over 4096 bytes/],
    ["not a pid", lockJson({ pid: -1, hostname: Deno.hostname() }), /not a lock runrec writes/],
    [
      "endless lease",
      lockJson({ lease_duration_s: 10 * MAX_LEASE_S }),
      new RegExp(`lease 3000s outside 0-${MAX_LEASE_S}s\\) of runrec emit \\(OTHER\\) pid 4242`),
    ],
    [
      "acquired in the future",
      lockJson({ acquired: new Date(Date.now() + 3_600_000).toISOString() }),
      /\(acquired in the future\) of runrec emit \(OTHER\) pid 4242 on other-host/,
    ],
    ["expired lease", lockJson({ acquired: "2026-01-01T00:00:00.000Z" }), /\(lease expired\)/],
  ];
  for (const [name, text, note] of cases) {
    const path = await lockPath();
    Deno.writeTextFileSync(path, text);
    age(path, WRITE_GRACE_MS + 1000);
    const outcome = await takeLock(path, 60_000, 5000);
    assert(outcome.acquired, `${name}: ${JSON.stringify(outcome)}`);
    assertMatch(outcome.recoveries!.join(), note, name);
  }
});

Deno.test("lock (defect 4): an empty lock is given the write grace by its mtime, then recovered", async () => {
  const path = await lockPath();
  Deno.writeFileSync(path, new Uint8Array());
  // Fresh: perhaps a writer between its create and its write. A try-once is refused.
  const once = await takeLock(path, 0, 5000);
  assertEquals([once.acquired, once.kind], [false, "held"], JSON.stringify(once));
  assertIncludes(once.message!, "empty, perhaps being written");
  // A writer that waits gets it once the grace has passed, not later.
  const waited = await takeLock(path, 60_000, WRITE_GRACE_MS + 5000);
  assert(waited.acquired, JSON.stringify(waited));
  assertMatch(
    waited.recoveries!.join(),
    /\(empty, last changed 2s or more ago\) of unknown holder/,
  );
});

Deno.test("lock (defect 4): a held lock is refused at the deadline given, or at once with waitMs 0, with the contention report", async () => {
  const path = await lockPath();
  const held = await acquireLock(path, { deliverableId: "DEL-01-02", holder: "live holder" });
  try {
    for (const waitMs of [0, 300]) {
      const started = Date.now();
      const error = await acquireLock(path, { deliverableId: "DEL-01-02", holder: "t", waitMs })
        .then(() => undefined, (e) => e);
      const elapsed = Date.now() - started;
      assert(error instanceof LockRefusedError, String(error));
      assertEquals([error.kind, error.report.holder], ["held", "live holder"]);
      assertEquals(error.report.deliverable_id, "DEL-01-02");
      assert(error.report.lease_remaining_s > 25, JSON.stringify(error.report));
      assert(elapsed >= waitMs && elapsed < waitMs + 500, `waitMs ${waitMs}: ${elapsed} ms`);
    }
  } finally {
    await held.release();
  }
});

Deno.test("lock (defect 4): a lock that cannot be recovered (a FIFO) does not make later emits wait longer", async () => {
  const { del } = await makeProject();
  const fifo = join(del, `${RECORD_FILE}.lock`);
  assert((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success, "mkfifo");
  // Each emit replays every record spooled so far, then spools its own.
  for (let i = 1; i <= 4; i++) {
    const { stderr, elapsed, takes } = await emitProcess(del, `A${i}`, 30_000);
    assertIncludes(stderr, "a FIFO, not a lock file");
    // One attempt each (refused at once); a wait would make one every 50 ms at most.
    assert(takes <= 10, `emit ${i}: ${takes} attempts to take the lock in ${elapsed} ms`);
  }
  Deno.removeSync(fifo);
  await emitProcess(del, "A5", 30_000);
  const records = (await readAll(join(del, RECORD_FILE))).filter((e) => e.kind === "record");
  assertEquals(records.length, 5);
});

Deno.test("lock (defect 4): a holder of lone surrogates and control characters is noted as well-formed text", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  const evil = "agent \uD800 bell\u0007 line\nbreak\u2028 \uDFFF end";
  Deno.writeTextFileSync(
    `${file}.lock`,
    lockJson({ holder: evil, pid: await deadPid(), hostname: Deno.hostname() }),
  );
  const { record } = await appendRecord(file, sampleDraft());
  assert(record.Notes.isWellFormed(), JSON.stringify(record.Notes));
  assert(!/[\p{Cc}\u2028\u2029]/u.test(record.Notes), JSON.stringify(record.Notes));
  assertIncludes(record.Notes, "of agent \uFFFD bell? line?break? \uFFFD end pid ");
  const events = await readAll(file);
  assertEquals(events.filter((e) => e.kind === "problem"), []);
  assertEquals(events.filter((e) => e.kind === "record").length, 1);
});

Deno.test("lock: a lease outside 1 s to the maximum is refused before anything is created", async () => {
  const path = await lockPath();
  for (const leaseSeconds of [0, MAX_LEASE_S + 1, Number.NaN]) {
    await assertRejects(
      () => acquireLock(path, { deliverableId: "DEL-01-02", holder: "t", leaseSeconds }),
      InputError,
      "leaseSeconds: must be a number of seconds from 1 to",
    );
  }
  await assertRejects(() => Deno.lstat(path), Deno.errors.NotFound, undefined);
});

Deno.test("lock (defect 4): a recovery breaker left by a recoverer that died is cleared, and the orphan recovered within 5 s", async () => {
  const path = await lockPath();
  const pid = await deadPid();
  Deno.writeTextFileSync(path, lockJson({ pid, hostname: Deno.hostname() }));
  Deno.writeTextFileSync(`${path}.break`, lockJson({ pid, hostname: Deno.hostname() }));
  const outcome = await takeLock(path, 60_000, 5000);
  assert(outcome.acquired, JSON.stringify(outcome));
  assertMatch(outcome.recoveries!.join(), new RegExp(`\\(pid ${pid} no longer runs\\)`));
  await assertRejects(() => Deno.lstat(`${path}.break`), Deno.errors.NotFound, undefined);
});

/**
 * A zombie: a child that has exited while its parent (a python process,
 * sleeping) never waits for it, as a container's PID 1 may never. Returns its
 * pid and a way to end the parent.
 */
async function spawnZombie(): Promise<{ pid: number; end: () => Promise<void> }> {
  const parent = new Deno.Command("python3", {
    args: [
      "-c",
      "import os, sys\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\nsys.stdin.read()",
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = parent.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  const pid = Number(new TextDecoder().decode(value).trim());
  // Wait until it has exited: ps says Z.
  for (let i = 0; i < 200; i++) {
    const ps = await new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)] }).output();
    if (new TextDecoder().decode(ps.stdout).trim().startsWith("Z")) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    pid,
    end: async () => {
      await parent.stdin.close();
      await parent.stdout.cancel();
      await parent.status;
    },
  };
}

Deno.test("lock (soak F2): a holder on this host that exited and was never waited for (a zombie) does not hold the lock: recovered at once, within its lease", async () => {
  const path = await lockPath();
  const zombie = await spawnZombie();
  try {
    Deno.writeTextFileSync(
      path,
      JSON.stringify({
        holder: "test",
        // Held 2 s of its 30 s lease: longer than an append holds it, so ps is asked.
        acquired: new Date(Date.now() - 2000).toISOString(),
        lease_duration_s: 30,
        pid: zombie.pid,
        deliverable_id: "DEL-01-01",
        schema_version: "v1.0",
        hostname: Deno.hostname(),
      }),
    );
    const taken = await takeLock(path, 3000, 8000);
    assert(taken.acquired, JSON.stringify(taken));
    assert(taken.ms < 2000, `took ${taken.ms} ms`);
    assertMatch(taken.recoveries!.join(), new RegExp(`pid ${zombie.pid} exited \\(a zombie\\)`));
  } finally {
    await zombie.end();
  }
});

Deno.test("reap (soak F2): a run started with --pid of a process that exited and was never waited for (a zombie) is reaped as its process gone", async () => {
  const { del } = await makeProject();
  const zombie = await spawnZombie();
  try {
    const start = await runCli([
      "start",
      del,
      "--agent",
      "4_DOCUMENTS",
      "--pid",
      String(zombie.pid),
    ]);
    assertEquals(start.code, 0, start.stderr);
    const reap = await runCli(["reap", del]);
    assertEquals(reap.code, 0, reap.stderr);
    assertMatch(reap.stdout + reap.stderr, new RegExp(`process ${zombie.pid} on .* is gone`));
    const records = (await readAll(join(del, RECORD_FILE))).flatMap((e) =>
      e.kind === "record" ? [e.record] : []
    );
    assertEquals(records.map((r) => r.RunStatus), ["FAILED"]);
  } finally {
    await zombie.end();
  }
});

/**
 * A PATH holding only `tools` (links to this host's): `["git", "cat"]` is a
 * debian-slim image's, which has no procps `ps`; `["git", "ps"]` stands for a
 * system without `/proc` to read (macOS).
 */
async function pathOf(...tools: string[]): Promise<string> {
  const dir = await tempDir({ prefix: "runrec-bin-" });
  for (const tool of tools) {
    const found = Deno.env.get("PATH")!.split(":").map((d) => join(d, tool)).find((path) => {
      try {
        return Deno.statSync(path).isFile;
      } catch {
        return false;
      }
    });
    Deno.symlinkSync(found!, join(dir, tool));
  }
  return dir;
}

Deno.test("lock (review-q F4): with no ps on PATH (debian-slim), a zombie holder is still recovered at once: its /proc state is read by cat; with no cat, ps is asked", async () => {
  for (const tools of [["git", "cat"], ["git", "ps"]]) {
    const { del } = await makeProject();
    const file = join(del, RECORD_FILE);
    const zombie = await spawnZombie();
    try {
      Deno.writeTextFileSync(
        `${file}.lock`,
        lockJson({
          acquired: new Date(Date.now() - 5000).toISOString(),
          pid: zombie.pid,
          hostname: Deno.hostname(),
        }),
      );
      const emit = await emitProcess(del, "4_DOCUMENTS", 20_000, { PATH: await pathOf(...tools) });
      // Two attempts (refused, then taken): no wait, which makes one every 50 ms at most.
      assert(
        emit.takes <= 10,
        `${tools}: ${emit.takes} attempts in ${emit.elapsed} ms: ${emit.stderr}`,
      );
      const records = (await readAll(file)).flatMap((e) => e.kind === "record" ? [e.record] : []);
      assertEquals(records.length, 1, `${tools}: ${emit.stderr}`);
      assertMatch(records[0].Notes, new RegExp(`pid ${zombie.pid} exited \\(a zombie\\)`));
    } finally {
      await zombie.end();
    }
  }
});

Deno.test("reap (review-q F4): with no ps on PATH, a run started with --pid of a zombie is reaped as its process gone", async () => {
  const { del } = await makeProject();
  const zombie = await spawnZombie();
  try {
    const start = await runCli([
      "start",
      del,
      "--agent",
      "4_DOCUMENTS",
      "--pid",
      String(zombie.pid),
    ]);
    assertEquals(start.code, 0, start.stderr);
    const reap = await runCliProcess(["reap", del], FULL_FLAGS, {
      PATH: await pathOf("git", "cat"),
    });
    assertEquals(reap.code, 0, reap.stderr);
    assertMatch(reap.stdout + reap.stderr, new RegExp(`process ${zombie.pid} on .* is gone`));
    const records = (await readAll(join(del, RECORD_FILE))).flatMap((e) =>
      e.kind === "record" ? [e.record] : []
    );
    assertEquals(records.map((r) => r.RunStatus), ["FAILED"]);
  } finally {
    await zombie.end();
  }
});

Deno.test("lock (review-q F4): with no ps on PATH, a reused pid is told from the holder by its start in /proc; with no cat, by ps", async () => {
  const path = await lockPath();
  const { child, lockText } = await spawnHolder(path, 1);
  try {
    const info = JSON.parse(lockText);
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const { pid_start_uptime_ms: startUptime, ...older } = info;
    for (const tools of [["cat"], ["ps"]]) {
      const env = { PATH: await pathOf(...tools) };
      // A holder that started an hour before this pid's process: pid reused (clock-sweep F2).
      const earlier = { ...info, acquired: hourAgo, pid_start_uptime_ms: startUptime - 3_600_000 };
      Deno.writeTextFileSync(path, JSON.stringify(earlier));
      const another = await takeLock(path, 0, 5000, env);
      assert(another.acquired, `${tools}: ${JSON.stringify(another)}`);
      assertMatch(
        another.recoveries!.join(),
        new RegExp(
          `pid ${child.pid} now belongs to another process than the one that took the lock`,
        ),
      );
      // An older runrec's lock taken an hour ago cannot belong to a process started seconds ago.
      Deno.writeTextFileSync(path, JSON.stringify({ ...older, acquired: hourAgo }));
      const reused = await takeLock(path, 0, 5000, env);
      assert(reused.acquired, `${tools}: ${JSON.stringify(reused)}`);
      assertMatch(
        reused.recoveries!.join(),
        new RegExp(`pid ${child.pid} now belongs to a process started after the lock was taken`),
      );
      // The same holder with its true `acquired`, its lease over (1 s): never taken. (A wait for
      // the clock itself: within its lease a live holder's start is not asked at all.)
      const leaseEnd = Date.parse(info.acquired) + info.lease_duration_s * 1000;
      await new Promise((done) => setTimeout(done, Math.max(0, leaseEnd + 100 - Date.now())));
      Deno.writeTextFileSync(path, lockText);
      const refused = await takeLock(path, 0, 5000, env);
      assertEquals([refused.acquired, refused.kind], [false, "held"], `${tools}`);
      assertEquals(Deno.readTextFileSync(path), lockText);
      // Its start recorded ten minutes late (a Worker's clock starts with the Worker, a suspend
      // stops it): no proof of another process, and its true `acquired` keeps it (review F1).
      const late = JSON.stringify({ ...info, pid_start_uptime_ms: startUptime + 600_000 });
      Deno.writeTextFileSync(path, late);
      const kept = await takeLock(path, 0, 5000, env);
      assertEquals([kept.acquired, kept.kind], [false, "held"], `${tools}: a start recorded late`);
      assertEquals(Deno.readTextFileSync(path), late);
    }
  } finally {
    await child.stdin.close();
    await child.status;
  }
});
