/**
 * A deliverable folder that turns read-only between `start` and `finish`
 * (a real read-only bind mount, as root): the finish spools the record with
 * the run's id and leaves the pending file; a second finish and `reap`
 * record nothing while the record waits; `flush`, once the folder is
 * writable, appends it once and removes the pending file. Kills at the
 * likely crash points are real (`strace` injecting SIGKILL).
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { pendingFiles, recordsOf, RUNREC, RUNREC_SH } from "./support/runs.ts";
import { spawnHeld } from "./support/held.ts";
import {
  mountFullTmpfs,
  mountReadOnly,
  sh,
  startedRun,
  unmount,
  userSpool,
  whileReadOnly,
} from "./support/read_only.ts";

/** After the folder is writable again: flush appends the one record and settles the run. */
async function flushedOnce(del: string, id: string, env: Record<string, string>) {
  const flush = await runCliProcess(["flush", del], undefined, env);
  assertEquals(flush.code, 0, flush.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.AgentName, r.RunStatus]), [["4_DOCUMENTS", "SUCCESS"]]);
  assertIncludes(records[0].Notes, `run ${id}`);
  assertEquals(pendingFiles(del), [], "flush removed the pending file");
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"], undefined, env);
  assertEquals([reap.code, reap.stdout], [0, ""], reap.stderr);
  assertEquals((await recordsOf(del)).length, 1);
}

Deno.test("finish of a folder turned read-only: spooled (exit 0) with the run's id; a second finish and reap record nothing; flush appends it once and removes the pending file", async () => {
  const { del, tmp, env, token, id, finish, cleanup } = await startedRun();
  await whileReadOnly(del, async () => {
    const first = await runCliProcess(finish, undefined, env);
    assertEquals(first.code, 0, first.stderr);
    assertIncludes(first.stderr, "is read-only now");
    assertEquals(userSpool(tmp).length, 1);
    const second = await runCliProcess(finish, undefined, env);
    assertEquals(second.code, 2, second.stderr);
    assertIncludes(second.stderr, "its record waits in the spool");
    const reap = await runCliProcess(["reap", del, "--older-than", "0s"], undefined, env);
    assertEquals(reap.code, 0, reap.stderr);
    assertIncludes(reap.stdout, "its record waits in the spool");
    assertEquals(userSpool(tmp).length, 1, "nothing spooled again");
    // A flush meanwhile fails on the folder and says what to run once it is mended (it named
    // the error alone: newuser-60 F8).
    const early = await runCliProcess(["flush", del], undefined, env);
    assertEquals(early.code, 1, early.stderr);
    assertIncludes(early.stderr, "1 spooled record(s) not replayed: ");
    assertIncludes(
      early.stderr,
      `Read-only file system (os error 30); runrec flush ${del} again once that is mended\n`,
    );
    assertEquals(userSpool(tmp).length, 1, "the record still waits");
  });
  // Writable again, not flushed yet: the run is still not recorded a second time.
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"], undefined, env);
  assertIncludes(reap.stdout, "its record waits in the spool");
  const third = await runCliProcess(finish, undefined, env);
  assertEquals(third.code, 2, third.stderr);
  assertIncludes(third.stderr, "its record waits in the spool");
  assertEquals(pendingFiles(del), [token.split("/").at(-1)!]);
  assertEquals(await recordsOf(del), []);
  await flushedOnce(del, id, env);
  await cleanup();
});

Deno.test("finish --strict of a folder turned read-only: exit 2, nothing spooled, the run still pending", async () => {
  const { del, tmp, env, id, finish, cleanup } = await startedRun();
  await whileReadOnly(del, async () => {
    const strict = await runCliProcess([...finish, "--strict"], undefined, env);
    assertEquals(strict.code, 2, strict.stderr);
    assertEquals(userSpool(tmp), []);
  });
  const again = await runCliProcess(finish, undefined, env);
  assertEquals(again.code, 0, again.stderr);
  const records = await recordsOf(del);
  assertEquals(records.length, 1);
  assertIncludes(records[0].Notes, `run ${id}`);
  await cleanup();
});

Deno.test("four finishes at once of a folder turned read-only: one spools the record, the others record nothing", async () => {
  const { del, tmp, env, id, finish, cleanup } = await startedRun();
  await whileReadOnly(del, async () => {
    const codes = (await Promise.all(
      [1, 2, 3, 4].map(() => runCliProcess(finish, undefined, env)),
    )).map((r) => r.code).sort();
    assertEquals(codes, [0, 2, 2, 2]);
    assertEquals(userSpool(tmp).length, 1);
  });
  await flushedOnce(del, id, env);
  await cleanup();
});

/** Runs `finish` under strace, killed (SIGKILL) at the first `syscalls` on `path`. */
async function finishKilledAt(
  finish: string[],
  env: Record<string, string>,
  path: string,
  syscalls: string,
): Promise<void> {
  const out = await new Deno.Command("strace", {
    args: [
      "-f",
      "-qq",
      "-o",
      "/dev/null",
      "-P",
      path,
      `-e`,
      `trace=${syscalls}`,
      "-e",
      `inject=${syscalls}:signal=KILL`,
      "--",
      ...RUNREC,
      ...finish,
    ],
    env: { NO_COLOR: "1", ...env },
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(out.signal ?? out.code, out.signal ? "SIGKILL" : 137, "the finish was killed");
}

Deno.test("finish killed (kill -9) after spooling, before dropping its marker: the next finish records nothing; flush appends the record once", async () => {
  const { del, tmp, env, id, finish, cleanup } = await startedRun();
  const marker = join(tmp, `runrec-pending-${Deno.uid()}`, `${id}.finishing`);
  await whileReadOnly(del, async () => {
    await finishKilledAt(finish, env, marker, "unlink,unlinkat");
    assertEquals(userSpool(tmp).length, 1);
    assert((await Deno.stat(marker)).isFile, "the dead finisher's marker is left");
    const again = await runCliProcess(finish, undefined, env);
    assertEquals(again.code, 2, again.stderr);
    assertIncludes(again.stderr, "its record waits in the spool");
    assertEquals(userSpool(tmp).length, 1);
  });
  await flushedOnce(del, id, env);
  await cleanup();
});

Deno.test("finish killed (kill -9) holding its marker, before anything is spooled: the next finish takes the marker over and spools the record once", async () => {
  const { del, tmp, env, id, finish, cleanup } = await startedRun();
  await whileReadOnly(del, async () => {
    // Killed as it tries the deliverable's own spool folder, the first place a record goes.
    await finishKilledAt(finish, env, join(del, ".runrec-spool"), "mkdir,mkdirat");
    assertEquals(userSpool(tmp), []);
    const again = await runCliProcess(finish, undefined, env);
    assertEquals(again.code, 0, again.stderr);
    assertEquals(userSpool(tmp).length, 1);
  });
  await flushedOnce(del, id, env);
  await cleanup();
});

Deno.test("two finishes taking over a dead finisher's marker at once: the slower one's take-over finds the other's live marker there and gives it back; one record is spooled (review-q F3)", async () => {
  const { del, tmp, env, id, finish, cleanup } = await startedRun();
  const marker = join(tmp, `runrec-pending-${Deno.uid()}`, `${id}.finishing`);
  await whileReadOnly(del, async () => {
    // A finisher killed holding the marker, nothing spooled: the marker names a dead process.
    await finishKilledAt(finish, env, join(del, ".runrec-spool"), "mkdir,mkdirat");
    assert((await Deno.stat(marker)).isFile, "the dead finisher's marker is left");
    // C has read the dead holder (its close of the marker) and is stopped before its take-over.
    const finishing = (notes: string) => [...RUNREC, ...finish, "--notes", notes];
    const c = await spawnHeld(finishing("C"), {
      calls: "close",
      path: marker,
      when: "1",
      byStop: true,
      env: { NO_COLOR: "1", ...env },
    });
    await c.held(1, "C read the dead finisher's marker");
    // B takes the dead marker over meanwhile and links its own (its second link there; the first
    // found the dead one), then is stopped before it spools.
    const b = await spawnHeld(finishing("B"), {
      calls: "link,linkat",
      path: marker,
      when: "2",
      byStop: true,
      env: { NO_COLOR: "1", ...env },
    });
    await b.held(2, "B linked its own marker");
    // C's take-over finds B's live marker and gives it back: it then reads the marker again (its
    // second close there), waiting for B.
    await c.release();
    await c.made(2, "C gave B's marker back and looked at it again");
    assertIncludes(Deno.readTextFileSync(marker), `${b.child.pid}@`, "B's marker, given back");
    await b.release();
    const [outC, outB] = await Promise.all([c.child.output(), b.child.output()]);
    await Promise.all([b.ended(), c.ended()]);
    const text = (o: Deno.CommandOutput) => new TextDecoder().decode(o.stderr);
    const both = `B: ${text(outB)}\nC: ${text(outC)}`;
    assertEquals([outB.code, outC.code], [0, 2], both);
    assertIncludes(text(outC), "its record waits in the spool");
    assertEquals(userSpool(tmp).length, 1, "one finisher spooled the record");
  });
  await flushedOnce(del, id, env);
  assertIncludes((await recordsOf(del))[0].Notes, "B");
  await cleanup();
});

/**
 * A read-only finish whose folder turns writable while it holds its marker (stopped once it has
 * linked the marker), so that it writes the record, killed (SIGKILL) as it removes the pending
 * file: its record is in the file, its pending file and its marker are left.
 */
async function killedAfterItsRecord() {
  const started = await startedRun();
  const { del, tmp, env, id, finish } = started;
  const marker = join(tmp, `runrec-pending-${Deno.uid()}`, `${id}.finishing`);
  const pendingFile = join(del, ".runrec", "pending", `${id}.json`);
  await mountReadOnly(del);
  // Stopped once its marker is linked; killed (SIGKILL) as it removes the pending file.
  const first = await spawnHeld([...RUNREC, ...finish], {
    calls: "link,linkat",
    path: marker,
    paths: [pendingFile],
    when: "1",
    byStop: true,
    signals: { "unlink,unlinkat": "KILL" },
    env: { NO_COLOR: "1", ...env },
  });
  await first.held(1, "the finish linked its marker");
  await unmount(del); // writable again before its write
  await first.release();
  const out = await first.child.output();
  await first.ended();
  assertEquals(out.signal ?? out.code, out.signal ? "SIGKILL" : 137, "the finish was killed");
  const records = await recordsOf(del);
  assertEquals(records.length, 1);
  assertIncludes(records[0].Notes, "finished while its folder was read-only");
  assertEquals(pendingFiles(del), [`${id}.json`], "its pending file is left");
  assert((await Deno.stat(marker)).isFile, "its marker is left, naming a dead process");
  return { ...started, marker };
}

Deno.test("a read-only finish killed after its record landed, before removing its pending file: the next finish says so (not 'git stash pop'), removes the file and writes nothing (review-q F5)", async () => {
  const { del, env, finish, cleanup } = await killedAfterItsRecord();
  const again = await runCliProcess(finish, undefined, env);
  assertEquals(again.code, 2, again.stderr);
  assertIncludes(
    again.stderr,
    "a finish while its folder was read-only wrote it and was stopped before removing its " +
      "pending file, which is removed now",
  );
  assert(!again.stderr.includes("git stash pop"), again.stderr);
  assertEquals(pendingFiles(del), []);
  assertEquals((await recordsOf(del)).length, 1);
  await cleanup();
});

Deno.test("verify after a read-only finish killed after its record landed: says a read-only finish left the pending file, not that it came back (review-47's left item)", async () => {
  const { del, env, id, cleanup } = await killedAfterItsRecord();
  const out = await runCliProcess(["verify", del], undefined, env);
  assertIncludes(out.stderr, `run ${id} (4_DOCUMENTS`);
  assertIncludes(
    out.stderr,
    "a finish while its folder was read-only wrote it and was stopped before removing its " +
      "pending file; not to be finished again: runrec reap",
  );
  assert(!out.stderr.includes("git stash pop"), out.stderr);
  assertEquals(pendingFiles(del), [`${id}.json`], "verify removes nothing");
  await cleanup();
});

Deno.test("verify after a finish whose pending file was put back (a restored copy): says it came back", async () => {
  const { del, env, id, finish, cleanup } = await startedRun();
  const pendingFile = join(del, ".runrec", "pending", `${id}.json`);
  const saved = await Deno.readFile(pendingFile);
  const done = await runCliProcess(finish, undefined, env);
  assertEquals(done.code, 0, done.stderr);
  await Deno.writeFile(pendingFile, saved);
  const out = await runCliProcess(["verify", del], undefined, env);
  assertIncludes(out.stderr, `run ${id} (4_DOCUMENTS`);
  assertIncludes(out.stderr, "but its pending file is back (git stash pop, a restored copy?)");
  assert(!out.stderr.includes("read-only"), out.stderr);
  await cleanup();
});

Deno.test("reap after a read-only finish killed after its record landed: removes its pending file, saying why, and its dead marker from $TMPDIR (review-q F5)", async () => {
  const { del, env, marker, cleanup } = await killedAfterItsRecord();
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"], undefined, env);
  assertEquals(reap.code, 0, reap.stderr);
  assertIncludes(
    reap.stdout,
    "a finish while its folder was read-only wrote its record and was stopped before removing " +
      "its pending file; removed",
  );
  assertIncludes(reap.stderr, `runrec reap: removed ${marker}`);
  assertEquals(await Deno.stat(marker).then(() => true, () => false), false, "marker removed");
  assertEquals(pendingFiles(del), []);
  assertEquals((await recordsOf(del)).length, 1);
  await cleanup();
});

Deno.test("verify and log while a read-only finish's record waits in the spool: its run is said to wait there, not to be unfinished", async () => {
  const { del, env, id, finish, cleanup } = await startedRun();
  await whileReadOnly(del, async () => {
    const first = await runCliProcess(finish, undefined, env);
    assertEquals(first.code, 0, first.stderr);
  });
  for (const command of ["verify", "log"]) {
    const out = await runCliProcess([command, del], undefined, env);
    assertEquals(out.code, 0, out.stderr);
    assertIncludes(out.stderr, `run ${id} (4_DOCUMENTS`);
    assertIncludes(out.stderr, "its record waits in the spool");
    assert(!out.stderr.includes("not finished"), `${command}: ${out.stderr}`);
  }
  await flushedOnce(del, id, env);
  await cleanup();
});

Deno.test("two finishes of one run racing while its folder turns writable again (one took the read-only path, the other claimed the pending file): the run is recorded once (soak2 G1)", async () => {
  await racingFinishes("A", "B");
});

Deno.test("two finishes of one run racing while its folder turns writable again, each with --notes over 64 KiB: the run is recorded once (review-q F1)", async () => {
  await racingFinishes("A".repeat(70_000), "B".repeat(70_000));
});

/**
 * One finish takes the read-only path (its marker held) and waits for the lock; the folder
 * turns writable; a second claims the pending file and waits too; then both append.
 */
async function racingFinishes(notesA: string, notesB: string): Promise<void> {
  const { del, tmp, env, id, finish, cleanup } = await startedRun();
  // A live lock holder keeps both finishers waiting, so that they append one after the other.
  const holder = new Deno.Command("sleep", { args: ["300"] }).spawn();
  const lockFile = join(del, "RunRecords.csv.lock");
  Deno.writeTextFileSync(
    lockFile,
    JSON.stringify({
      holder: "test",
      acquired: new Date().toISOString(),
      lease_duration_s: 30,
      pid: holder.pid,
      deliverable_id: "DEL-01-02",
      schema_version: "v1.0",
      hostname: Deno.hostname(),
    }),
  );
  try {
    await mountReadOnly(del);
    const first = new Deno.Command(RUNREC[0], {
      args: [...RUNREC.slice(1), ...finish, "--notes", notesA],
      env,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // The first finish holds its marker (the read-only path) and waits for the lock.
    const marker = join(tmp, `runrec-pending-${Deno.uid()}`, `${id}.finishing`);
    for (let i = 0; i < 400 && !(await Deno.stat(marker).then(() => true, () => false)); i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    await unmount(del); // writable again
    const second = new Deno.Command(RUNREC[0], {
      args: [...RUNREC.slice(1), ...finish, "--notes", notesB],
      env,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // The second has claimed the pending file and waits for the lock too.
    for (let i = 0; i < 400 && !pendingFiles(del).some((n) => n.includes(".claim-")); i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    Deno.removeSync(lockFile);
    const [a, b] = await Promise.all([first.output(), second.output()]);
    assertEquals([a.code, b.code], [0, 0], new TextDecoder().decode(b.stderr));
    const records = await recordsOf(del);
    assertEquals(records.length, 1, records.map((r) => r.Notes).join("\n"));
    const flush = await runCliProcess(["flush", del], undefined, env);
    assertEquals(flush.code, 0, flush.stderr);
    const reap = await runCliProcess(["reap", del, "--older-than", "0s"], undefined, env);
    assertEquals(reap.code, 0, reap.stderr);
    assertEquals((await recordsOf(del)).length, 1);
  } finally {
    holder.kill();
    await holder.status;
    await new Deno.Command("umount", { args: [del], stderr: "null" }).output();
    await cleanup();
  }
}

Deno.test("finish of a folder turned read-only with $TMPDIR full: exit 2 naming the marker it could not make and why, the run still pending (soak3 F3)", async () => {
  const { del, tmp, finish, token, cleanup } = await startedRun();
  const full = join(tmp, "full");
  await Deno.mkdir(full);
  await mountFullTmpfs(full);
  try {
    await whileReadOnly(del, async () => {
      const refused = await runCliProcess(finish, undefined, { TMPDIR: full });
      assertEquals(refused.code, 2, refused.stderr);
      assertIncludes(refused.stderr, `could not be made in ${full}/runrec-pending-`);
      assertIncludes(refused.stderr, "No space left on device");
      assertEquals(refused.stderr.trim().split("\n").length, 1, refused.stderr);
    });
  } finally {
    await sh("umount", full);
  }
  assertEquals(pendingFiles(del), [token.split("/").at(-1)!]);
  assertEquals(await recordsOf(del), []);
  await cleanup();
});

/** This machine's name as a marker holds it (`pid@host`). */
const HOST = Deno.hostname().replace(/[^0-9A-Za-z.-]/g, "_");

Deno.test("reap of a run whose read-only finish's marker names no pid@host (zero-filled by a crash) or a pid reused since: the marker is removed, the run reaped (review-r F6)", async () => {
  const { del, tmp, env, id, cleanup } = await startedRun();
  const marker = join(tmp, `runrec-pending-${Deno.uid()}`, `${id}.finishing`);
  await Deno.mkdir(join(tmp, `runrec-pending-${Deno.uid()}`), { mode: 0o700 });
  Deno.writeFileSync(marker, new Uint8Array(12)); // zeros: its data never reached the disk
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"], undefined, env);
  assertEquals(reap.code, 0, reap.stderr);
  assertIncludes(reap.stderr, `runrec reap: removed ${marker}`);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED"]);
  assertEquals(pendingFiles(del), []);

  // A live process started after the marker was made holds its pid now: not the marker's holder.
  const second = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"], undefined, env);
  assertEquals(second.code, 0, second.stderr);
  const secondId = second.stdout.trim().split("/").at(-1)!.replace(/\.json$/, "");
  const reused = new Deno.Command("sleep", { args: ["60"] }).spawn();
  const secondMarker = join(tmp, `runrec-pending-${Deno.uid()}`, `${secondId}.finishing`);
  Deno.writeTextFileSync(secondMarker, `${reused.pid}@${HOST}`);
  const madeBefore = new Date(Date.now() - 2 * 3_600_000);
  Deno.utimeSync(secondMarker, madeBefore, madeBefore);
  const began = Date.now();
  const again = await runCliProcess(["reap", del, "--older-than", "0s"], undefined, env);
  assertEquals(again.code, 0, again.stderr);
  assert(Date.now() - began < 30_000, "not waited for");
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED", "FAILED"]);
  assertEquals(pendingFiles(del), []);
  assertEquals(await Deno.stat(secondMarker).then(() => true, () => false), false);
  reused.kill();
  await reused.status;
  await cleanup();
});

Deno.test("reap of a run whose read-only finish's marker a live process or another machine holds: left pending and said so, not waited for; reaped once the holder is gone (review-r F6)", async () => {
  const { del, tmp, env, id, cleanup } = await startedRun();
  const folder = join(tmp, `runrec-pending-${Deno.uid()}`);
  const marker = join(folder, `${id}.finishing`);
  await Deno.mkdir(folder, { mode: 0o700 });
  Deno.writeTextFileSync(marker, "4242@another-host");
  const elsewhere = await runCliProcess(["reap", del, "--older-than", "0s"], undefined, env);
  assertEquals([elsewhere.code, elsewhere.stdout], [0, ""], elsewhere.stderr);
  assertIncludes(
    elsewhere.stderr,
    `4_DOCUMENTS started ${runIdStartOf(id)}: left pending: a finish of it may be under way: ` +
      `its marker ${marker} names pid 4242 on another-host, a machine this process cannot look at`,
  );
  assert(!elsewhere.stderr.includes("nothing to reap"), elsewhere.stderr);

  const holder = new Deno.Command("sleep", { args: ["60"] }).spawn();
  Deno.writeTextFileSync(marker, `${holder.pid}@${HOST}`);
  const began = Date.now();
  const live = await runCliProcess(["reap", del, "--older-than", "0s"], undefined, env);
  assertEquals([live.code, live.stdout], [0, ""], live.stderr);
  assert(Date.now() - began < 30_000, "not waited for");
  assertIncludes(live.stderr, `its marker ${marker} is held by pid ${holder.pid}, alive on this`);
  assertEquals(pendingFiles(del), [`${id}.json`], "still pending");
  assertEquals(await recordsOf(del), []);

  holder.kill();
  await holder.status;
  const after = await runCliProcess(["reap", del, "--older-than", "0s"], undefined, env);
  assertEquals(after.code, 0, after.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED"]);
  await cleanup();
});

/** When the run `id` started, as reap says it. */
function runIdStartOf(id: string): string {
  return id.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)(\d{3})Z-.*$/, "$1-$2-$3T$4:$5:$6.$7Z");
}

Deno.test("exec whose folder turns read-only during CMD, with $TMPDIR full: its record goes out as a lost-record line (exec is not retried); flush --from after reap supersedes reap's FAILED record with it, before reap leaves reap nothing to do; either way no run file is left (soak6 F2)", async () => {
  for (const order of ["reap first", "flush first"]) {
    const { root, del } = await makeProject();
    const tmp = await tempDir();
    await mountFullTmpfs(tmp);
    try {
      const turnReadOnly = `echo made > '${del}/o.txt' && mount --bind '${del}' '${del}' && ` +
        `mount -o remount,ro,bind '${del}'`;
      const env = { TMPDIR: tmp };
      const exec = await runCliProcess(
        ["exec", del, "--agent", "4_DOCUMENTS", "--", "sh", "-c", turnReadOnly],
        undefined,
        env,
      );
      await unmount(del);
      assertEquals(exec.code, 0, exec.stderr);
      assertIncludes(exec.stderr, "runrec: warning: run not recorded: ");
      assertIncludes(exec.stderr, "its lost-record line follows");
      assertEquals(exec.stderr.match(/^runrec: lost-record: /gm)?.length, 1, exec.stderr);
      const lost = join(root, "lost.txt");
      await Deno.writeTextFile(lost, exec.stderr);
      assertEquals(await recordsOf(del), []);
      await Deno.remove(join(tmp, "filler"));
      const reap = () => runCliProcess(["reap", del, "--older-than", "0s"], undefined, env);
      const flush = () => runCliProcess(["flush", "--from", lost], undefined, env);
      for (const step of order === "reap first" ? [reap, flush] : [flush, reap]) {
        const out = await step();
        assertEquals(out.code, 0, out.stderr);
      }
      const records = await recordsOf(del);
      if (order === "reap first") {
        assertEquals(records.map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
        assertIncludes(records[1].Notes, `supersedes=${records[0].RunID}`);
      } else {
        assertEquals(records.map((r) => r.RunStatus), ["SUCCESS"]);
      }
      assertEquals(records.at(-1)!.OutputFiles, ["o.txt"]);
      for (const folder of ["pending", "reaped"]) {
        const left = await Array.fromAsync(Deno.readDir(join(del, ".runrec", folder)))
          .catch(() => []);
        assertEquals(left, [], `${order}: .runrec/${folder}`);
      }
      assertEquals((await flush()).code, 0);
      assertEquals((await recordsOf(del)).length, records.length, "flushed once");
    } finally {
      await new Deno.Command("umount", { args: [del], stderr: "null" }).output();
      await unmount(tmp);
    }
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("exec whose CMD finished the run itself: no lost-record line (the run is recorded), the finish's word said, one record (review-v F1)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const inner = `${RUNREC_SH} finish '${del}' --status FAILED`;
  const exec = await runCliProcess(
    ["exec", del, "--agent", "4_DOCUMENTS", "--", "sh", "-c", inner],
    undefined,
    { TMPDIR: tmp },
  );
  assertEquals(exec.code, 0, exec.stderr);
  assertEquals(exec.stderr.includes("lost-record"), false, exec.stderr);
  assertIncludes(exec.stderr, "runrec: warning: run not recorded: ");
  // CMD exited 0 after recording FAILED: exec's SUCCESS is said to differ, not recorded.
  assertIncludes(exec.stderr, "this finish's SUCCESS differs from the recorded FAILED");
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED"]);
  await Deno.remove(root, { recursive: true });
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("exec whose CMD renamed its folder (a label change), then the folder turned read-only with $TMPDIR full: the run's file is looked for where it is, and its lost-record line goes out (review-w F1)", async () => {
  const { root, del } = await makeProject();
  const renamed = `${del}_Renamed`;
  const tmp = await tempDir();
  await mountFullTmpfs(tmp);
  try {
    const cmd = `echo made > '${del}/o.txt' && mv '${del}' '${renamed}' && ` +
      `mount --bind '${renamed}' '${renamed}' && mount -o remount,ro,bind '${renamed}'`;
    const env = { TMPDIR: tmp };
    const exec = await runCliProcess(
      ["exec", del, "--agent", "4_DOCUMENTS", "--", "sh", "-c", cmd],
      undefined,
      env,
    );
    await unmount(renamed);
    assertEquals(exec.code, 0, exec.stderr);
    assertEquals(exec.stderr.match(/^runrec: lost-record: /gm)?.length, 1, exec.stderr);
    const lost = join(root, "lost.txt");
    await Deno.writeTextFile(lost, exec.stderr);
    await Deno.remove(join(tmp, "filler"));
    for (const args of [["reap", renamed, "--older-than", "0s"], ["flush", "--from", lost]]) {
      const out = await runCliProcess(args, undefined, env);
      assertEquals(out.code, 0, out.stderr);
    }
    const records = await recordsOf(renamed);
    assertEquals(records.map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
    assertIncludes(records[1].Notes, `supersedes=${records[0].RunID}`);
  } finally {
    await new Deno.Command("umount", { args: [renamed], stderr: "null" }).output();
    await unmount(tmp);
  }
  await Deno.remove(root, { recursive: true });
  await Deno.remove(tmp, { recursive: true });
});
