/**
 * The append lock on a long history, with real processes: `flush` of many
 * spool entries and `reap` of many runs look each up in the record file;
 * they read it once, before the lock, and under it only what was appended
 * since (scale37 F1, F2). `log` reads a history with runs recorded late a
 * few times, not once more for each (review-38 F2), and one in reverse time
 * order about twice (mem-39 F3).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/scale_locks_test.ts
 * ```
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runIdPrefix } from "../src/schema.ts";
import { newSpoolEntry, SPOOL_FOLDER, spoolRecord } from "../src/spool.ts";
import { readRecords } from "../src/reader.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { encodeRecord } from "../src/codec.ts";
import { assert, assertEquals } from "./assert.ts";
import { emitArgs, runCli } from "./cli.ts";
import { RUNREC } from "./support/runs.ts";
import { EVENT_DEADLINE_MS, spawnHeld } from "./support/held.ts";
import { runScript } from "./support/library_script.ts";
import { makeProject, minutelyHistory, sampleDraft, sampleRecord } from "./fixtures.ts";

/** A project whose record file holds `count` records, one a minute from 2020 on. */
async function projectWithHistory(count: number) {
  const { root, del } = await makeProject();
  const file = join(del, RECORD_FILE);
  const lines = minutelyHistory(count);
  await Deno.writeTextFile(file, `${lines.join("\n")}\n`);
  return { root, del, file };
}

/** Resolves once `path` exists, or `gone` resolved first (then false). */
async function appears(path: string, gone: () => boolean): Promise<boolean> {
  while (!existsSync(path)) {
    if (gone()) return false;
    await new Promise((r) => setTimeout(r, 2)); // polled: the lock file is the event
  }
  return true;
}

async function runIdsOf(file: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const event of readRecords(file)) {
    if (event.kind === "record") ids.push(event.record.RunID);
  }
  return ids;
}

/**
 * Runs `flush` on `del` under strace and, once its lock on `file` is seen, an emit: a library
 * script whose wait for the lock ends on the flush's release (or after an event's deadline), not
 * after the CLI's 10 s, which a loaded machine can outlast. The emit must be appended, not
 * spooled, and both must succeed. Returns the emit's RunID and the bytes of `file` the
 * flush read once it had taken the lock: what makes it hold the lock long.
 */
async function emitWhileFlushHoldsTheLock(
  root: string,
  del: string,
  file: string,
): Promise<{ emitted: string; readUnderLock: number }> {
  const flush = tracedReads(root, ["flush", del]);
  let ended = false;
  const flushed = flush.reads().finally(() => ended = true);
  assert(await appears(`${file}.lock`, () => ended), "flush ended before its lock was seen");
  const { answer } = await runScript(
    root,
    ["--allow-read", "--allow-write", "--allow-env", "--allow-sys", "--allow-run"],
    `const { record } = await rr.emitRecord(${JSON.stringify(del)}, ` +
      `{ agent: "4_DOCUMENTS", status: "SUCCESS" }, { lockWaitMs: ${EVENT_DEADLINE_MS} });\n` +
      "return { id: record.RunID };",
  );
  assertEquals(typeof answer.id, "string", JSON.stringify(answer));
  const reads = await flushed;
  assert(reads.some((read) => read.locked), "the flush's lock was never seen by strace");
  const readUnderLock = reads.reduce((sum, read) => sum + (read.locked ? read.bytes : 0), 0);
  return { emitted: answer.id as string, readUnderLock };
}

Deno.test("flush of 200 spool entries on 200,000 records reads under the lock less than twice the record file, not the whole file for each entry (which held the lock past an emit's 10 s wait, and the emit spooled); an emit made while it holds the lock is appended (scale37 F1)", async () => {
  const { root, del, file } = await projectWithHistory(200_000);
  for (let i = 0; i < 200; i++) {
    const draft = sampleDraft({ Notes: `spooled ${i}` });
    spoolRecord(del, newSpoolEntry(file, draft, "test: the lock was held"));
  }
  const size = (await Deno.stat(file)).size;
  const { emitted, readUnderLock } = await emitWhileFlushHoldsTheLock(root, del, file);
  // A read for each entry was 200 times the file; the SEQ index's whole read under the lock (99
  // MB, flaky-44) is made before it now (review-45 F2): 63 MB, the tails each append looks at.
  assert(readUnderLock < size, `${readUnderLock} bytes read under the lock (${size} bytes)`);
  const ids = await runIdsOf(file);
  assertEquals(ids.length, 200_000 + 200 + 1);
  assert(ids.includes(emitted), `${emitted} appended`);
  assertEquals(
    [...Deno.readDirSync(join(del, SPOOL_FOLDER))].filter((e) => e.name.endsWith(".json")),
    [],
  );
});

Deno.test("reap of 20 runs on 20,000 records reads the record file a few times, not a few times for every run reaped (it was 3 reads a run: 64 s for 30 runs on 100,000 records) (scale37 F2)", async () => {
  const { root, del, file } = await projectWithHistory(20_000);
  const runs = 20;
  for (let i = 0; i < runs; i++) {
    const started = await runCli(["start", del, "--agent", "4_DOCUMENTS"]);
    assertEquals(started.code, 0, started.stderr);
  }
  const bytes = await recordFileBytesRead(root, ["reap", del, "--older-than", "0s"]);
  const size = (await Deno.stat(file)).size;
  assert(
    bytes < 8 * size,
    `${bytes} bytes of ${RECORD_FILE} read for ${runs} runs (${size} bytes)`,
  );
  const reaped = (await runIdsOf(file)).length - 20_000;
  assertEquals(reaped, runs);
});

/** Bytes of the record file read by `runrec <args>`, by strace. */
async function recordFileBytesRead(root: string, args: string[]): Promise<number> {
  return (await recordFileReads(root, args)).reduce((sum, read) => sum + read.bytes, 0);
}

/** Bytes of the record file read by `runrec <args>` once it took the append lock, by strace. */
async function recordFileBytesReadUnderLock(root: string, args: string[]): Promise<number> {
  const reads = await recordFileReads(root, args);
  assert(reads.some((read) => read.locked), "the append lock was never taken");
  return reads.reduce((sum, read) => sum + (read.locked ? read.bytes : 0), 0);
}

/** Each read of the record file by `runrec <args>` (strace), and whether the lock was opened before it. */
async function recordFileReads(
  root: string,
  args: string[],
): Promise<{ bytes: number; locked: boolean }[]> {
  return await tracedReads(root, args).reads();
}

/** `runrec <args>` started under strace: `reads()` waits for its end, then gives its record file reads. */
function tracedReads(root: string, args: string[]) {
  const trace = join(root, `reads-${args[0]}.txt`);
  const child = new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-y", "-e", "trace=openat,read,pread64", "-e", "signal=none", "-o", trace],
      ...RUNREC,
      ...args,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reads = async () => {
    const out = await child.output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    let locked = false;
    const found = [];
    for (const line of (await Deno.readTextFile(trace)).split("\n")) {
      if (line.includes("openat(") && line.includes(`${RECORD_FILE}.lock"`)) locked = true;
      if (!line.includes("openat(") && line.includes(`${RECORD_FILE}>`)) {
        found.push({ bytes: Number(/= (\d+)$/.exec(line)?.[1] ?? 0), locked });
      }
    }
    return found;
  };
  return { reads };
}

Deno.test("log of 20,000 records, 10 of them recorded late (appended at the end, runs of long before): the record file is read 3 times, not once more for each late record (review-38 F2)", async () => {
  const { root, del, file } = await projectWithHistory(20_000);
  // Ten runs, spread over the history, appended at its end: a finish or flush long after.
  const [header, ...records] = minutelyHistory(20_000);
  const late = [];
  for (let i = 10; i >= 1; i--) late.push(...records.splice(i * 1_800, 1));
  await Deno.writeTextFile(file, `${[header, ...records, ...late].join("\n")}\n`);
  const size = (await Deno.stat(file)).size;
  const bytes = await recordFileBytesRead(root, ["log", del, "--format", "jsonl"]);
  assert(bytes < 3.5 * size, `${bytes} bytes of ${RECORD_FILE} read (${size} bytes)`);
});

Deno.test("log of 20,000 records in reverse time order (a merge of many late records) reads the record file about twice, not again from its start for every 4,096 records (mem-39 F3)", async () => {
  const { root, del, file } = await projectWithHistory(20_000);
  const [header, ...records] = minutelyHistory(20_000);
  await Deno.writeTextFile(file, `${[header, ...records.toReversed()].join("\n")}\n`);
  const size = (await Deno.stat(file)).size;
  // One read to list, one to print: each read of the records starts at the first it holds.
  const bytes = await recordFileBytesRead(root, ["log", del, "--format", "jsonl"]);
  assert(bytes < 2.5 * size, `${bytes} bytes of ${RECORD_FILE} read (${size} bytes)`);
});

/**
 * A run started on a history of 20,000 records whose SEQ index is made, as a history appended to
 * by runrec has it (the first append reads all): its token.
 */
async function runStartedOnLongHistory() {
  const { root, del, file } = await projectWithHistory(20_000);
  const emitted = await runCli(emitArgs(del));
  assertEquals(emitted.code, 0, emitted.stderr);
  const started = await runCli(["start", del, "--agent", "4_DOCUMENTS"]);
  assertEquals(started.code, 0, started.stderr);
  return { root, del, file, token: started.stdout.trim() };
}

Deno.test("finish on 20,000 records: a run no record names yet is not looked for by a read of every record; the history is read twice, not three times (scale37 F3)", async () => {
  const { root, file, token } = await runStartedOnLongHistory();
  const size = (await Deno.stat(file)).size;
  const bytes = await recordFileBytesRead(root, ["finish", token, "--status", "SUCCESS"]);
  assert(bytes < 2.5 * size, `${bytes} bytes of ${RECORD_FILE} read (${size} bytes)`);
  assertEquals((await runIdsOf(file)).length, 20_002);
});

Deno.test("finish on 20,000 records reads only the records appended since its run's start, and what an append reads: neither the runs active meanwhile nor its own record are looked for by a read of the whole history (it read it twice) (finish-40 F1, F2)", async () => {
  const { root, del, file, token } = await runStartedOnLongHistory();
  const meanwhile = await runCli(["emit", del, "--agent", "DEPENDENCIES", "--status", "SUCCESS"]);
  assertEquals(meanwhile.code, 0, meanwhile.stderr);
  const size = (await Deno.stat(file)).size;
  const bytes = await recordFileBytesRead(root, ["finish", token, "--status", "SUCCESS"]);
  // An append reads a few 64 KiB windows at the file's end, whatever its size.
  assert(bytes < 512 * 1024, `${bytes} bytes of ${RECORD_FILE} read (${size} bytes)`);
  const finished = (await Deno.readTextFile(file)).trimEnd().split("\n").at(-1)!;
  assert(finished.includes(`${meanwhile.stdout.trim()} (DEPENDENCIES, `), finished);
});

Deno.test("finish on 20,000 records of a run started in minute M, during which a run of minute M+1 was recorded: its SEQ of M (003, after the 001 and 002 appended before its start) is found past where the file ended at its start, not by a read of the whole history (10.2 MB read for 9.9 MB) (finish-40 F3)", async () => {
  const { root, del, file } = await projectWithHistory(20_000);
  // Two runs of this minute (the first append makes the SEQ index, reading all).
  const minute = new Date().toISOString().slice(0, 16);
  for (let i = 0; i < 2; i++) {
    const emitted = await runCli(emitArgs(del, "--started", `${minute}:00Z`));
    assertEquals(emitted.code, 0, emitted.stderr);
  }
  const token = (await runCli(["start", del, "--agent", "4_DOCUMENTS"])).stdout.trim();
  const started: string = JSON.parse(await Deno.readTextFile(token)).start.started;
  const nextMinute = new Date(Date.parse(started.slice(0, 16) + ":00Z") + 60_000).toISOString();
  const meanwhile = await runCli(emitArgs(del, "--started", nextMinute));
  assertEquals(meanwhile.code, 0, meanwhile.stderr);
  const size = (await Deno.stat(file)).size;
  const bytes = await recordFileBytesRead(root, ["finish", token, "--status", "SUCCESS"]);
  assert(bytes < 512 * 1024, `${bytes} bytes of ${RECORD_FILE} read (${size} bytes)`);
  const ids = await runIdsOf(file);
  assertEquals(new Set(ids).size, ids.length, "a RunID given twice");
  // 003, unless the minute turned between the emits and the start (then 001).
  const prefix = runIdPrefix("DEL-01-02", started);
  const ofMinute = ids.filter((id) => id.startsWith(prefix));
  assertEquals(ids.at(-1), `${prefix}${String(ofMinute.length).padStart(3, "0")}`);
});

Deno.test("flush of 100 spool entries of a minute before the history's last, on 200,000 records: each entry's SEQ is not found by a read of every line under the lock (less than twice the file is read under it); an emit meanwhile is appended, not spooled (scale37 F4)", async () => {
  const { root, del, file } = await projectWithHistory(200_000);
  // A minute the history holds one record of (SEQ 001), long before its last.
  const minute = "2020-03-01T00:00:00.000Z";
  for (let i = 0; i < 100; i++) {
    const draft = sampleDraft({ RunTimestamp: minute, Notes: `spooled ${i}` });
    spoolRecord(del, newSpoolEntry(file, draft, "test: the lock was held"));
  }
  const size = (await Deno.stat(file)).size;
  const { readUnderLock } = await emitWhileFlushHoldsTheLock(root, del, file);
  assert(readUnderLock < 2 * size, `${readUnderLock} bytes read under the lock (${size} bytes)`);
  const prefix = runIdPrefix("DEL-01-02", minute);
  const ofMinute = (await runIdsOf(file)).filter((id) => id.startsWith(prefix));
  const expected = Array.from(
    { length: 101 },
    (_, i) => `${prefix}${String(i + 1).padStart(3, "0")}`,
  );
  assertEquals(ofMinute.toSorted(), expected);
});

Deno.test("emit of a run that started in an earlier minute than now but later than the history's last (--duration 120s): the SEQ index answers, the history is not read (it was read whole before the lock: 40 MB for 200,000 records) (review-37 F3)", async () => {
  const { root, del, file } = await projectWithHistory(20_000);
  // Its SEQ index made, its latest minute long before now.
  const indexed = await runCli(emitArgs(del, "--started", "2021-01-01T00:00:00Z"));
  assertEquals(indexed.code, 0, indexed.stderr);
  const size = (await Deno.stat(file)).size;
  const bytes = await recordFileBytesRead(root, emitArgs(del, "--duration", "120s"));
  assert(bytes < size / 4, `${bytes} bytes of ${RECORD_FILE} read (${size} bytes)`);
  assertEquals((await runIdsOf(file)).length, 20_002);
});

Deno.test("emit of a run of a minute before the history's latest, which records appended since the SEQ index was stored hold: its SEQ is read before the lock, not by a read of the whole file under it (review-37 F3)", async () => {
  const { root, del, file } = await projectWithHistory(20_000);
  // The index stored at 2021-01-01 00:00; two records of 00:10 appended since (not stored again).
  const indexed = await runCli(emitArgs(del, "--started", "2021-01-01T00:00:00Z"));
  assertEquals(indexed.code, 0, indexed.stderr);
  for (let i = 0; i < 2; i++) {
    const later = await runCli(emitArgs(del, "--started", "2021-01-01T00:10:00Z"));
    assertEquals(later.code, 0, later.stderr);
  }
  const size = (await Deno.stat(file)).size;
  const bytes = await recordFileBytesReadUnderLock(
    root,
    emitArgs(del, "--started", "2021-01-01T00:05:00Z"),
  );
  assert(bytes < size / 4, `${bytes} bytes of ${RECORD_FILE} read under the lock (${size} bytes)`);
  assertEquals((await runIdsOf(file)).length, 20_004);
});

/**
 * A project whose record file git wrote (a clone: no SEQ index, no journal), of 20,000 records
 * and a union merge's last two, of one minute: ours (SEQ 001) and the merged branch's (005).
 */
async function clonedMergedHistory() {
  const project = await projectWithHistory(20_000);
  const minute = "2024-01-01T00:00";
  const prefix = runIdPrefix("DEL-01-02", `${minute}:00Z`);
  const merged = [["001", "00", "OURS"], ["005", "05", "THEIRS"]].map(([seq, second, agent]) =>
    encodeRecord(sampleRecord({
      RunID: `${prefix}${seq}`,
      RunTimestamp: `${minute}:${second}Z`,
      AgentName: agent,
    }))
  );
  await Deno.writeTextFile(project.file, `${merged.join("\n")}\n`, { append: true });
  const size = (await Deno.stat(project.file)).size;
  /** The SEQs of the minute's RunIDs, in file order. */
  const seqs = async () =>
    (await runIdsOf(project.file)).filter((id) => id.startsWith(prefix))
      .map((id) => id.slice(prefix.length));
  return { ...project, minute, size, seqs };
}

Deno.test("an emit into a record file of 20,000 records that git wrote (a clone of a union merge: no SEQ index stored) reads the history before the lock, not under it (200,000 records: 99 MB read there, every writer waiting 0.4 s), and its SEQ goes on past the merged branch's (review-45 F2)", async () => {
  const { root, del, minute, size, seqs } = await clonedMergedHistory();
  const bytes = await recordFileBytesReadUnderLock(
    root,
    emitArgs(del, "--started", `${minute}:10Z`),
  );
  assert(bytes < size / 4, `${bytes} bytes read under the lock (${size} bytes)`);
  assertEquals(await seqs(), ["001", "005", "006"]);
});

Deno.test("a flush of 5 spool entries into a record file of 20,000 records that git wrote (a clone of a union merge: no SEQ index stored) reads the history before the lock, not once more under it, and their SEQs go on past the merged branch's (review-45 F2)", async () => {
  const { root, del, file, minute, size, seqs } = await clonedMergedHistory();
  for (let i = 0; i < 5; i++) {
    const draft = sampleDraft({ RunTimestamp: `${minute}:2${i}.000Z`, Notes: `spooled ${i}` });
    spoolRecord(del, newSpoolEntry(file, draft, "test: the lock was held"));
  }
  const bytes = await recordFileBytesReadUnderLock(root, ["flush", del]);
  assert(bytes < size / 4, `${bytes} bytes read under the lock (${size} bytes)`);
  assertEquals(await seqs(), ["001", "005", "006", "007", "008", "009", "010"]);
});

/**
 * A record file of 20,000 records and a union merge's two of one minute (see
 * {@linkcode clonedMergedHistory}), an emit's record (SEQ 006) appended to it, then a merge made
 * from the other side pulled: their record (009) put before ours, in a new file, so that ours is no
 * longer where its journal noted it. Returns the lines before ours, and ours.
 */
async function mergedFromTheOtherSide() {
  const project = await clonedMergedHistory();
  const { del, file, minute } = project;
  const first = await runCli(emitArgs(del, "--started", `${minute}:10Z`));
  assertEquals(first.code, 0, first.stderr);
  const lines = (await Deno.readTextFile(file)).split("\n").slice(0, -1);
  const ours = lines.pop()!;
  lines.push(encodeRecord(sampleRecord({
    RunID: `${runIdPrefix("DEL-01-02", `${minute}:00Z`)}009`,
    RunTimestamp: `${minute}:30Z`,
    AgentName: "THEIRS",
  })));
  await replaceFile(file, [...lines, ours]);
  return { ...project, before: lines, ours };
}

/** Writes `lines` to a new file put in `file`'s place, as git does. */
async function replaceFile(file: string, lines: readonly string[]) {
  await Deno.writeTextFile(`${file}.new`, `${lines.join("\n")}\n`);
  await Deno.rename(`${file}.new`, file);
}

Deno.test("an emit into a record file of 20,000 records that a merge made from the other side replaced (their record put before the one this work tree appended, which its journal noted at another offset) looks for that line before the lock, not by a read of the whole file under it (10.2 MB for 9.9 MB), and records each run once (review-46 F1)", async () => {
  const { root, del, file, minute, seqs } = await mergedFromTheOtherSide();
  const size = (await Deno.stat(file)).size;
  const bytes = await recordFileBytesReadUnderLock(
    root,
    emitArgs(del, "--started", `${minute}:40Z`),
  );
  assert(bytes < size / 4, `${bytes} bytes read under the lock (${size} bytes)`);
  assertEquals(await seqs(), ["001", "005", "009", "006", "010"]);
});

Deno.test("an emit that looked for its journal's line before the lock (review-46 F1), while a git command put a file without that line in the record file's place before it took the lock, puts the line back once: what it found before the lock is not trusted of another file", async () => {
  const { del, file, minute, seqs, before, ours } = await mergedFromTheOtherSide();
  const emitting = await spawnHeld(
    [...RUNREC, ...emitArgs(del, "--started", `${minute}:40Z`)],
    { calls: "openat", path: `${file}.lock`, stdout: "piped" },
  );
  await emitting.held(1, "the emit at its open of the lock file");
  await replaceFile(file, before); // a reset to before ours: a new file, the line gone
  await emitting.release();
  const out = await emitting.child.output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assertEquals(await seqs(), ["001", "005", "009", "006", "010"]);
  const lines = (await Deno.readTextFile(file)).split("\n");
  assertEquals(lines.filter((line) => line === ours).length, 1);
});
