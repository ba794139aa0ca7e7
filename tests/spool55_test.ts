/**
 * The spool and `flush` at many records: a large replay in batches, each under its own lock; a
 * file that refuses writes tried once, not once for each record waiting; through the CLI, real
 * processes, real faults (a read-only bind mount, `kill -9`).
 *
 * ```sh
 * deno test -A tests/spool55_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { agentsOf, recordsOf, RUNREC } from "./support/runs.ts";
import { waitFor } from "./support/held.ts";
import { runScript } from "./support/library_script.ts";
import { runCliProcess } from "./cli.ts";
import { saveLostMany, spoolMany } from "./support/spooled.ts";
import { mountReadOnly, unmount } from "./support/read_only.ts";
import { SPOOL_FOLDER } from "../src/spool.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { journalPath } from "../src/journal.ts";

/**
 * The lines `del`'s record file holds whole, polled while a replay appends: a read beside a write
 * of 10 KB sees a prefix of it (the file's size grows a page at a time), a line cut short that
 * `agentsOf` throws for ("unreadable line"), failing the test once in a few loaded runs.
 */
async function wholeLines(del: string): Promise<number> {
  const bytes = await Deno.readFile(join(del, RECORD_FILE)).catch(() => new Uint8Array());
  return Math.max(0, bytes.filter((b) => b === 0x0a).length - 1); // the header's
}

/** `child` killed, if it still runs, and waited for. */
async function stopped(child: Deno.ChildProcess | undefined): Promise<void> {
  try {
    child?.kill("SIGKILL");
  } catch { /* ended */ }
  await child?.status;
}

/** The entries in `del`'s own spool (claims too). */
function spoolNames(del: string): string[] {
  try {
    return [...Deno.readDirSync(join(del, SPOOL_FOLDER))].map((e) => e.name)
      .filter((name) => name.includes(".json"));
  } catch {
    return [];
  }
}

Deno.test("an emit replays the oldest 256 KiB of 150 spooled records and says how many wait; flush replays the rest 256 KiB under each lock, its journal under 2 MiB: a folder's whole spool under one lock grew the journal with each record, read whole by each append (spool-55 1, 2)", async () => {
  const { root, del } = await makeProject();
  try {
    // 150 records of 10 KB: a journal entry of 30 KB each (the line, the one before, the first).
    const agents = spoolMany(del, 150, 10_000);
    const started = performance.now();
    const emit = await runCliProcess(["emit", del, "--agent", "LATER", "--status", "SUCCESS"]);
    assertEquals(emit.code, 0, emit.stderr);
    const replayed = (await agentsOf(del)).slice(0, -1);
    assert(replayed.length > 0 && replayed.length < 30, `${replayed.length} replayed`);
    assertEquals(replayed, agents.slice(0, replayed.length));
    assert(
      emit.stderr.includes(`${150 - replayed.length} more spooled record(s) wait`),
      emit.stderr,
    );
    const run = await runCliProcess(["flush", del]);
    assertEquals(run.code, 0, run.stderr);
    assertEquals(await agentsOf(del), [...replayed, "LATER", ...agents.slice(replayed.length)]);
    assertEquals(spoolNames(del), []);
    const journal = (await Deno.stat(journalPath(join(del, RECORD_FILE)))).size;
    console.log(
      `journal after 150: ${journal} bytes, ${Math.round(performance.now() - started)} ms`,
    );
    assert(journal < 2 << 20, `journal of ${journal} bytes`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("an emit whose record file refuses writes tries one spooled record, not each of the 60 waiting, and says how many it left; flush the same (spool-55 3)", async () => {
  const { root, del } = await makeProject();
  const file = join(del, RECORD_FILE);
  try {
    const first = await runCliProcess(["emit", del, "--agent", "FIRST", "--status", "SUCCESS"]);
    assertEquals(first.code, 0, first.stderr);
    const agents = spoolMany(del, 60, 100);
    await mountReadOnly(file);
    try {
      const emit = await runCliProcess(["emit", del, "--agent", "LATER", "--status", "SUCCESS"]);
      assertEquals(emit.code, 0, emit.stderr);
      const tried = emit.stderr.split("\n").filter((l) => l.includes("still not written after"));
      assertEquals(tried.length, 1, emit.stderr.slice(0, 2000));
      assert(emit.stderr.includes("59 more spooled record(s) not tried"), emit.stderr);
      const flush = await runCliProcess(["flush", del]);
      assertEquals(flush.code, 1, flush.stderr);
      const failed = flush.stderr.split("\n").filter((l) => l.includes("still not written after"));
      assertEquals(failed.length, 1, flush.stderr.slice(0, 2000));
      // The 60 and the emit's own, spooled beside them.
      assert(flush.stderr.includes("60 more spooled record(s) not tried"), flush.stderr);
    } finally {
      await unmount(file);
    }
    const flush = await runCliProcess(["flush", del]);
    assertEquals(flush.code, 0, flush.stderr);
    assertEquals(await agentsOf(del), ["FIRST", ...agents, "LATER"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("flush --from prints each record as its batch is appended, holding none (the report kept each, ~7 KB, for a printout at the end); killed mid-way, the records of the batches done are printed, and run again it appends the rest, each once (spool-55 5)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  let child: Deno.ChildProcess | undefined;
  try {
    const saved = join(tmp, "lost.txt");
    const agents = await saveLostMany(del, saved, 150, 10_000);
    child = new Deno.Command(RUNREC[0], {
      args: [...RUNREC.slice(1), "flush", "--from", saved],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const output = child.output();
    // Past two batches (24 records of 10 KB each): the kill lands in the third or later.
    await waitFor(async () => await wholeLines(del) >= 60, "60 records appended");
    child.kill("SIGKILL");
    const killed = await output;
    assertEquals(killed.signal, "SIGKILL");
    const printed = new TextDecoder().decode(killed.stdout).split("\n")
      .filter((line) => line.includes("replayed into")).map((line) => line.split(" ")[0]);
    const inFile = (await recordsOf(del)).map((r) => r.RunID);
    assert(printed.length >= 40, `${printed.length} printed of ${inFile.length} appended`);
    assertEquals(printed, inFile.slice(0, printed.length));
    const again = await runCliProcess(["flush", "--from", saved]);
    assertEquals(again.code, 0, again.stderr);
    assertEquals(await agentsOf(del), agents);
  } finally {
    // A failure before the kill: the flush still writing would fail the removal, hiding it.
    await stopped(child);
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a writer waiting for the lock while flush replays a large spool gets it between two batches: the flush took it again at once, and the waiter gave up after its wait (spool-55 4)", async () => {
  const { root, del } = await makeProject();
  let flush: Deno.ChildProcess | undefined;
  try {
    const agents = spoolMany(del, 200, 10_000);
    // Each fsync held 20 ms: the flush takes 4 s at least, whatever the machine.
    const slow = ["-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync,fdatasync"];
    flush = new Deno.Command("strace", {
      args: [...slow, "-e", "inject=fsync,fdatasync:delay_enter=20000", ...RUNREC, "flush", del],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const flushed = flush.output();
    await waitFor(async () => await wholeLines(del) >= 10, "10 records appended");
    // Waits 2 s for the lock, where the flush needs longer for the rest and under 1 s for a
    // batch; not spooled if refused.
    const { answer } = await runScript(
      del,
      ["-A"],
      `const o = await rr.recordRun(".", { agent: "WAITER", status: "SUCCESS" },
        { lockWaitMs: 2000, spool: false });
      return { runId: o.written?.record.RunID, warnings: o.warnings };`,
    );
    const out = await flushed;
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assert(typeof answer.runId === "string", JSON.stringify(answer));
    const found = await agentsOf(del);
    assertEquals(found.filter((a) => a !== "WAITER"), agents);
    assertEquals(found.filter((a) => a === "WAITER").length, 1);
  } finally {
    await stopped(flush);
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("log and verify name a replayer that claimed 60 spooled records once, not once for each: 2,500 claims of one flush made a 25 KB warning line (spool-55 6)", async () => {
  const { root, del } = await makeProject();
  try {
    spoolMany(del, 60, 10);
    // Claimed by a live process: this test's.
    const spool = join(del, SPOOL_FOLDER);
    for (const name of spoolNames(del)) {
      await Deno.rename(join(spool, name), join(spool, `${name}.claim-${Deno.pid}@host`));
    }
    for (const command of ["log", "verify"]) {
      const run = await runCliProcess([command, del]);
      assertEquals(run.code, 0, run.stderr);
      assert(run.stderr.includes(`60 claimed by ${Deno.pid}@host;`), run.stderr);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
