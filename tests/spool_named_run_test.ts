/**
 * A record spooled by a finish of a read-only folder names its run (`run
 * <id>`): replaying it appends it only when no finish or `reap` that did not
 * see that spool (another `$TMPDIR`) recorded the run meanwhile; a second
 * finish or `reap` racing `flush` does not record the run again. Real
 * processes, real read-only bind mounts; the races are widened with `strace`
 * delays.
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { tempDir } from "./fixtures.ts";
import { pendingFiles, recordsOf, RUNREC } from "./support/runs.ts";
import { type HeldProcess, spawnHeld, waitFor } from "./support/held.ts";
import { mountReadOnly, sh, startedRun, userSpool, whileReadOnly } from "./support/read_only.ts";

const REAPED_ERROR = "reaped: the agent never finished";

/** The finish of `started` while its folder is read-only: spooled to its `$TMPDIR`; its stderr. */
async function spooledFinish(started: Awaited<ReturnType<typeof startedRun>>): Promise<string> {
  return await whileReadOnly(started.del, async () => {
    const first = await runCliProcess(started.finish, undefined, started.env);
    assertEquals(first.code, 0, first.stderr);
    assertEquals(userSpool(started.tmp).length, 1);
    return first.stderr;
  });
}

/** runrec with `args`, held at `hold.calls` on `hold.path` until released (support/held.ts). */
function heldRunrec(
  args: string[],
  env: Record<string, string>,
  hold: { calls: string; path: string; afterMade?: boolean },
): Promise<HeldProcess> {
  return spawnHeld([...RUNREC, ...args], {
    ...hold,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
  });
}

async function outputOf(child: Deno.ChildProcess) {
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("a read-only finish's spooled record, replayed after a finish with another TMPDIR recorded the run: left out and said, the run recorded once", async () => {
  const started = await startedRun();
  const { del, tmp, env, id, finish, cleanup } = started;
  await spooledFinish(started);
  const other = { TMPDIR: await tempDir() };
  const second = await runCliProcess(finish, undefined, other);
  assertEquals(second.code, 0, second.stderr);
  const flush = await runCliProcess(["flush", del], undefined, env);
  assertEquals(flush.code, 0, flush.stderr);
  assertIncludes(flush.stdout, `run ${id} is recorded already, as `);
  assertIncludes(flush.stdout, "removed, not appended");
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.AgentName, r.RunStatus]), [["4_DOCUMENTS", "SUCCESS"]]);
  assertEquals(userSpool(tmp), [], "the entry is removed");
  assertEquals(pendingFiles(del), []);
  await cleanup();
  await Deno.remove(other.TMPDIR, { recursive: true });
});

Deno.test("a read-only finish's spooled record, replayed after a reap with another TMPDIR wrote the run FAILED: appended as the late finish, superseding that record, as the finish's warning says (review-q F6)", async () => {
  const started = await startedRun();
  const { del, tmp, env, id, cleanup } = started;
  const warned = await spooledFinish(started);
  // The warning promises no more than is kept: only a finish or reap looking in that spool waits.
  assertIncludes(warned, "meanwhile a finish or reap that looks in that spool (this user, this");
  assertIncludes(warned, "a reap by another user or with another $TMPDIR may write it FAILED");
  assert(!warned.includes("finish and reap leave the run alone meanwhile"), warned);
  const other = { TMPDIR: await tempDir() };
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"], undefined, other);
  assertEquals(reap.code, 0, reap.stderr);
  const flush = await runCliProcess(["flush", del], undefined, env);
  assertEquals(flush.code, 0, flush.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  assertEquals(records[0].ErrorSummary, REAPED_ERROR);
  assertIncludes(records[1].Notes, `finished after reap: supersedes=${records[0].RunID}`);
  assertIncludes(records[1].Notes, `run ${id}`);
  assertEquals(userSpool(tmp), []);
  assertEquals(pendingFiles(del), []);
  const kept = join(del, ".runrec", "reaped", `${id}.json`);
  assert(await Deno.stat(kept).then(() => false, () => true), "the reaped copy is removed");
  // Flushed again: nothing more.
  const again = await runCliProcess(["flush", del], undefined, env);
  assertEquals([again.code, again.stdout], [0, "nothing spooled\n"], again.stderr);
  assertEquals((await recordsOf(del)).length, 2);
  await cleanup();
  await Deno.remove(other.TMPDIR, { recursive: true });
});

Deno.test("a second finish racing flush (held at its look at the spool, flush meanwhile): the run recorded once, the finish refused naming the flush", async () => {
  const started = await startedRun();
  const { del, tmp, env, finish, cleanup } = started;
  await spooledFinish(started);
  const spool = join(tmp, `runrec-spool-${Deno.uid()}`);
  const second = await heldRunrec(finish, env, { calls: "openat", path: spool });
  await second.held(1, "the second finish at its look at the spool");
  const flush = await runCliProcess(["flush", del], undefined, env);
  assertEquals(flush.code, 0, flush.stderr);
  await second.release();
  const out = await outputOf(second.child);
  assertEquals(out.code, 2, out.stderr);
  assertIncludes(out.stderr, "runrec flush appended it from the spool");
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS"]);
  assertEquals(pendingFiles(del), []);
  await cleanup();
});

Deno.test("a second finish whose look at the spool entry comes just after flush claimed it (a rename): it finds the entry claimed and refuses; the run recorded once", async () => {
  const started = await startedRun();
  const { del, tmp, env, finish, cleanup } = started;
  await spooledFinish(started);
  const entry = join(tmp, `runrec-spool-${Deno.uid()}`, userSpool(tmp)[0]);
  // The finish lists the entry, then is held at its read of it; flush claims it meanwhile and is
  // held right after, holding the append lock, until the finish has ended.
  const second = await heldRunrec(finish, env, { calls: "openat", path: entry });
  await second.held(1, "the second finish at its read of the spool entry");
  const flush = await heldRunrec(["flush", del], env, {
    calls: "rename,renameat,renameat2",
    path: entry,
    afterMade: true,
  });
  await flush.held(1, "the flush's claim of the spool entry");
  await second.release();
  const out = await outputOf(second.child);
  await flush.release();
  const flushed = await outputOf(flush.child);
  assertEquals(flushed.code, 0, flushed.stderr);
  assertEquals(out.code, 2, out.stderr);
  assertIncludes(out.stderr, "its record waits in the spool");
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS"]);
  assertEquals(pendingFiles(del), []);
  await cleanup();
});

Deno.test("a reap (another TMPDIR) holding the run while flush appends its spooled record: no FAILED record, the pending file removed", async () => {
  const started = await startedRun();
  const { del, id, env, cleanup } = started;
  await spooledFinish(started);
  const other = { TMPDIR: await tempDir() };
  const pending = join(del, ".runrec", "pending", `${id}.json`);
  // Held once its claim (a rename of the pending file) is made, until the flush has ended.
  const reap = await heldRunrec(["reap", del, "--older-than", "0s"], other, {
    calls: "rename,renameat,renameat2",
    path: pending,
    afterMade: true,
  });
  await reap.held(1, "the reap's claim of the pending file");
  const flush = await runCliProcess(["flush", del], undefined, env);
  assertEquals(flush.code, 0, flush.stderr);
  await reap.release();
  const out = await outputOf(reap.child);
  assertEquals(out.code, 0, out.stderr);
  assertIncludes(out.stdout, "recorded meanwhile (appended from the spool)");
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS"]);
  assertEquals(pendingFiles(del), []);
  await cleanup();
  await Deno.remove(other.TMPDIR, { recursive: true });
});

Deno.test("a folder made writable during a read-only finish: the record is written, the pending file removed, and no message says it is spooled or nothing recorded", async () => {
  const { del, tmp, env, id, finish, cleanup } = await startedRun();
  const marker = join(tmp, `runrec-pending-${Deno.uid()}`, `${id}.finishing`);
  await mountReadOnly(del);
  // The finish is held once it has made its marker (a hard link); the folder is made writable
  // meanwhile.
  const held = await heldRunrec(finish, env, {
    calls: "link,linkat",
    path: marker,
    afterMade: true,
  });
  let mounted = true;
  try {
    await held.held(1, "the finish's marker");
    await waitFor(() => Deno.stat(marker).then(() => true, () => false), "the finish's marker");
    await sh("umount", del);
    mounted = false;
  } finally {
    if (mounted) await sh("umount", del);
    await held.release();
  }
  const child = held.child;
  const out = await outputOf(child);
  assertEquals(out.code, 0, out.stderr);
  assert(!out.stderr.includes("nothing recorded"), out.stderr);
  assert(!out.stderr.includes("spooled"), out.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.RunStatus), ["SUCCESS"]);
  assertIncludes(records[0].Notes, `run ${id}`);
  assert(!records[0].Notes.includes("spooled"), records[0].Notes);
  assertEquals(pendingFiles(del), []);
  assertEquals(userSpool(tmp), []);
  await cleanup();
});

Deno.test("a late finish while reap's FAILED record waits in another TMPDIR's spool: recorded, its warning promises no link and advises no annotate; that spool's flush then leaves reap's record out (review-t F4)", async () => {
  const started = await startedRun();
  const { del, env, id, cleanup } = started;
  const other = { TMPDIR: await tempDir() };
  // reap cannot append (a lock that is a folder) nor spool in the folder (a file in the way): its
  // FAILED record goes to the other TMPDIR's spool.
  await Deno.mkdir(join(del, "RunRecords.csv.lock"));
  await Deno.writeTextFile(join(del, ".runrec-spool"), "in the way\n");
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"], undefined, other);
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals(userSpool(other.TMPDIR).length, 1, reap.stderr);
  await Deno.remove(join(del, "RunRecords.csv.lock"));
  await Deno.remove(join(del, ".runrec-spool"));
  const late = await runCliProcess(started.finish, undefined, env);
  assertEquals(late.code, 0, late.stderr);
  assertIncludes(
    late.stderr,
    `the FAILED record reap wrote for run ${id} is not in RunRecords.csv`,
  );
  assertIncludes(late.stderr, "a spooled copy replayed later is left out, this run being recorded");
  assertEquals(late.stderr.includes("annotate"), false, late.stderr);
  const flush = await runCliProcess(["flush", del], undefined, other);
  assertEquals(flush.code, 0, flush.stderr);
  assertIncludes(flush.stdout + flush.stderr, "recorded already");
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS"]);
  assertEquals(userSpool(other.TMPDIR), []);
  await cleanup();
  await Deno.remove(other.TMPDIR, { recursive: true });
});
