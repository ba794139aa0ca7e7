/**
 * The SEQ of a started run's RunID, of its start's minute, when records of a
 * later minute were appended during the run (the SEQ index keeps only the
 * latest minute): the start keeps the highest SEQ of its minute where the
 * file ended (`seqAtStart`, beside `recordsAtStart`), and the finish reads
 * only past that mark for it, while the file was only appended to since; in
 * every other case it reads the whole file as before. Each test checks that
 * no RunID is given twice (finish-40 F3).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/finish_seq_test.ts
 * ```
 *
 * @module
 */
import { join, relative } from "node:path";
import { encodeRecord } from "../src/codec.ts";
import { readRecords } from "../src/reader.ts";
import { runIdPrefix } from "../src/schema.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assert, assertEquals } from "./assert.ts";
import { emitArgs, runCliProcess } from "./cli.ts";
import { git, makeProject, sampleRecord } from "./fixtures.ts";

/** The RunIDs of the file's records, in file order. */
async function runIdsOf(file: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const event of readRecords(file)) {
    if (event.kind === "record") ids.push(event.record.RunID);
  }
  return ids;
}

/** `runrec emit` of a run started at `started`; returns its RunID. */
async function emitAt(del: string, started: string): Promise<string> {
  const emitted = await runCliProcess(emitArgs(del, "--started", started));
  assertEquals(emitted.code, 0, emitted.stderr);
  return emitted.stdout.trim();
}

/**
 * A project whose record file holds two runs of this minute (SEQ 001, 002) and
 * a run started in it: its token, its start, and the start of the next minute.
 */
async function runStartedAfterTwo() {
  const { root, del } = await makeProject();
  const file = join(del, RECORD_FILE);
  const minute = `${new Date().toISOString().slice(0, 16)}:00.000Z`;
  await emitAt(del, minute);
  await emitAt(del, minute);
  const started = await runCliProcess(["start", del, "--agent", "A"]);
  assertEquals(started.code, 0, started.stderr);
  const token = started.stdout.trim();
  const run = JSON.parse(await Deno.readTextFile(token));
  const prefix = runIdPrefix("DEL-01-02", run.start.started);
  // The minute turned between the emits and the start: the run's minute holds none.
  const before = run.start.started.slice(0, 16) === minute.slice(0, 16) ? 2 : 0;
  assertEquals(run.seqAtStart, { prefix, seq: before });
  const next = new Date(Date.parse(`${run.start.started.slice(0, 16)}:00Z`) + 60_000);
  return { root, del, file, token, run, prefix, before, nextMinute: next.toISOString() };
}

/** Finishes the run of `token`; returns its RunID. */
async function finish(token: string): Promise<string> {
  const finished = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(finished.code, 0, finished.stderr);
  return finished.stdout.trim();
}

/** Asserts that no RunID of `file` is given twice, and returns them. */
async function uniqueRunIds(file: string): Promise<string[]> {
  const ids = await runIdsOf(file);
  assertEquals(new Set(ids).size, ids.length, `a RunID given twice: ${ids.join(" ")}`);
  return ids;
}

/** `prefix` and a SEQ as a RunID holds it. */
function withSeq(prefix: string, seq: number): string {
  return `${prefix}${String(seq).padStart(3, "0")}`;
}

Deno.test("finish of a run started in minute M, during which a run of M+1 was recorded and the record file rewritten with a run of M (SEQ 003) before where it ended at the start: the whole file is read, its SEQ is 004 (finish-40 F3)", async () => {
  const { del, file, token, run, prefix, before, nextMinute } = await runStartedAfterTwo();
  await emitAt(del, nextMinute);
  // Another clone's run of M merged in before the mark (a union merge's order).
  const [header, ...lines] = (await Deno.readTextFile(file)).split("\n");
  const merged = encodeRecord(sampleRecord({
    RunID: withSeq(prefix, before + 1),
    RunTimestamp: run.start.started,
    Notes: "merged",
  }));
  await Deno.writeTextFile(file, [header, merged, ...lines].join("\n"));
  assertEquals(await finish(token), withSeq(prefix, before + 2));
  await uniqueRunIds(file);
});

Deno.test("finish of a run an older runrec started (its pending run keeps no seqAtStart), during which a run of the next minute was recorded: its SEQ is found by a read of the whole file, after the two before its start (finish-40 F3)", async () => {
  const { del, file, token, run, prefix, before, nextMinute } = await runStartedAfterTwo();
  delete run.seqAtStart;
  await Deno.writeTextFile(token, JSON.stringify(run, null, 1));
  await emitAt(del, nextMinute);
  assertEquals(await finish(token), withSeq(prefix, before + 1));
  await uniqueRunIds(file);
});

Deno.test("finish of a run started in minute M while an emit --started in M records a run at the same time, after a run of M+1 was recorded: the three runs of M hold SEQs 001 to 003, each once (finish-40 F3)", async () => {
  const { del, file, token, run, prefix, before, nextMinute } = await runStartedAfterTwo();
  await emitAt(del, nextMinute);
  const [finished, emitted] = await Promise.all([
    finish(token),
    emitAt(del, run.start.started),
  ]);
  const ofMinute = (await uniqueRunIds(file)).filter((id) => id.startsWith(prefix)).toSorted();
  const expected = Array.from({ length: before + 2 }, (_, i) => withSeq(prefix, i + 1));
  assertEquals(ofMinute, expected);
  assert([finished, emitted].every((id) => expected.includes(id)), `${finished} ${emitted}`);
});

Deno.test("finish of a run started in minute M, during which a run of M (SEQ 003) was recorded and git stashed it (the journal keeps its SEQ, the file is back to its bytes at the start), then a run of M+1 was recorded: its SEQ is 004, 003 held by the stash alone (finish-40 F3)", async () => {
  const { root, del, file, token, run, prefix, before, nextMinute } = await runStartedAfterTwo();
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "the runs before the start");
  const stashed = await emitAt(del, run.start.started);
  assertEquals(stashed, withSeq(prefix, before + 1));
  await git(root, "stash", "-q");
  await emitAt(del, nextMinute);
  assertEquals(await finish(token), withSeq(prefix, before + 2));
  // The stash still holds that run (its pop needs the file committed first): never given again.
  const ids = await uniqueRunIds(file);
  assert(!ids.includes(stashed), ids.join(" "));
  const kept = await git(root, "show", `stash@{0}:${relative(root, file)}`);
  assert(kept.includes(stashed), kept);
});
