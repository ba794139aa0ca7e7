/**
 * `runrec annotate` on a long history, with real processes: it reads the
 * history before it takes the append lock, so an emit meanwhile is appended
 * at once (scale-sweep F5); under the lock it reads what was appended since,
 * or the whole file again when it was replaced, and judges by that.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/annotate_history_test.ts
 * ```
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { decodeRecord, encodeRecord } from "../src/codec.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { acquireLock } from "../src/lock.ts";
import { readRecords } from "../src/reader.ts";
import { runIdPrefix, type RunRecord, TBD } from "../src/schema.ts";
import { inputContextSha } from "../src/manifest.ts";
import { TAIL_WINDOW } from "../src/appended.ts";
import { SPOOL_FOLDER } from "../src/spool.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { annotationNotes, ANNOTATOR, appendAnnotation } from "../src/annotations.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { emitArgs, runCliProcess } from "./cli.ts";
import { makeProject, minutelyHistory, sampleRecord } from "./fixtures.ts";

/** The line of an annotation record saying `notes`, with the RunID and RunTimestamp of `at`. */
function annotationLine(at: Pick<RunRecord, "RunID" | "RunTimestamp">, notes: string): string {
  return encodeRecord(sampleRecord({
    RunID: at.RunID,
    RunTimestamp: at.RunTimestamp,
    AgentName: ANNOTATOR,
    RunStatus: "SKIPPED",
    RunPassDirective: "ANNOTATE",
    InputContextSHA: inputContextSha({}),
    InputFiles: [],
    OutputFiles: [],
    InputHashes: {},
    OutputHashes: {},
    StatusBefore: TBD,
    StatusAfter: TBD,
    Notes: notes,
  }));
}

/** A project whose deliverable's record file holds `lines`; its folder, file and last RunID. */
async function projectWith(lines: readonly string[]) {
  const { del } = await makeProject();
  const file = join(del, RECORD_FILE);
  await Deno.writeTextFile(file, `${lines.join("\n")}\n`);
  const last = lines.at(-1)!.split(",")[1];
  return { del, file, last };
}

async function recordsOf(file: string): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for await (const event of readRecords(file)) {
    if (event.kind === "record") records.push(event.record);
  }
  return records;
}

/** `runrec annotate` as a real process, its output piped. */
function annotate(...args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...FULL_FLAGS, CLI_ENTRY, "annotate", ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

/**
 * Bytes the process has read so far, of any file (`rchar` of /proc/<pid>/io). Read by `cat`:
 * Deno opens a file under /proc only with --allow-all, which the suite does not run with.
 */
function bytesRead(pid: number): number {
  const { stdout } = new Deno.Command("cat", { args: [`/proc/${pid}/io`] }).outputSync();
  const io = new TextDecoder().decode(stdout);
  return Number(/^rchar: (\d+)$/m.exec(io)![1]);
}

/** Standard error of `child` up to `text` (or its end), and a reader for the rest. */
async function stderrUntil(child: Deno.ChildProcess, text: string) {
  const reader = child.stderr.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  while (!seen.includes(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += decoder.decode(value);
  }
  const rest = async () => {
    let all = seen;
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      all += decoder.decode(r.value);
    }
    return all;
  };
  return { seen, rest };
}

/** What a child said and how it ended, its standard error read on from `stderr` when given. */
async function outcome(child: Deno.ChildProcess, stderr?: { rest(): Promise<string> }) {
  const [status, stdout, err] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    stderr ? stderr.rest() : new Response(child.stderr).text(),
  ]);
  return { code: status.code, stdout, stderr: err };
}

/** Records in the long history: its read takes seconds, an emit a fraction of one. */
const LONG = 200_000;

Deno.test("annotate on a long history: an emit made while annotate reads it is appended at once, not kept waiting for the lock nor spooled (scale-sweep F5)", async () => {
  const { del, file, last } = await projectWith(minutelyHistory(LONG));
  const size = (await Deno.stat(file)).size;
  const child = annotate(del, last, "--invalidates", "--note", "wrong inputs");
  let finished = false;
  child.status.then(() => finished = true);
  // The CLI reads the file once to find the run, then annotate's own read of the history begins:
  // once it has read a further third of the file (Deno reads ~12 MB besides), it is well into it.
  while (!finished && bytesRead(child.pid) < size * 1.3) {
    await new Promise((r) => setTimeout(r, 5)); // polled: the bytes read are the event
  }
  assert(!finished, "annotate ended before its read of the history could be watched");
  const emit = await runCliProcess(emitArgs(del));
  assertEquals(emit.code, 0, emit.stderr);
  assert(!/waiting for the append lock|spooled/.test(emit.stderr), emit.stderr);
  assert(!finished, "annotate ended before the emit: the history is too short to show anything");
  const annotated = await outcome(child);
  assertEquals(annotated.code, 0, annotated.stderr);
  const tail = (await recordsOf(file)).slice(LONG);
  assertEquals(tail.map((r) => r.RunID), [emit.stdout.trim(), annotated.stdout.trim()]);
  assertEquals(tail[1].AgentName, ANNOTATOR);
  assert(!existsSync(join(del, SPOOL_FOLDER)), "nothing spooled");
});

Deno.test("annotate: an annotation of the same run appended by another process between annotate's read and its lock is seen: one invalidation is written, the other refused naming it (scale-sweep F5)", async () => {
  // Far longer than the 4 KiB whose hash says it was only appended to, and ending in a torn line:
  // annotate reads on from that line.
  const lines = minutelyHistory(2_000);
  const { del, file, last } = await projectWith(lines);
  await Deno.writeTextFile(file, lines[5].slice(0, 120), { append: true });
  // Held here: each process reads the history, then waits for the lock; the first to take it
  // appends its annotation after the other's read.
  const lock = await acquireLock(`${file}.lock`, { deliverableId: "DEL-01-02", holder: "test" });
  const children = ["first", "second"].map((note) =>
    annotate(del, last, "--invalidates", "--note", note)
  );
  const stderrs = await Promise.all(
    children.map((child) => stderrUntil(child, "waiting for the append lock")),
  );
  await lock.release();
  const results = await Promise.all(children.map((child, i) => outcome(child, stderrs[i])));
  const written = results.filter((r) => r.code === 0);
  const refused = results.filter((r) => r.code === 2);
  assertEquals([written.length, refused.length], [1, 1], JSON.stringify(results));
  const id = written[0].stdout.trim();
  assertMatch(refused[0].stderr, new RegExp(`${last} is already invalidated by annotation ${id}`));
  const annotations = (await recordsOf(file)).filter((r) => r.AgentName === ANNOTATOR);
  assertEquals(annotations.map((r) => r.RunID), [id]);
});

Deno.test("annotate: a record file replaced between annotate's read and its lock (same size, same last bytes, another inode) is read again under the lock and judged by what it holds (scale-sweep F5)", async () => {
  const lines = minutelyHistory(40);
  const { del, file, last } = await projectWith(lines);
  const target = (await recordsOf(file)).at(-1)!;
  // Another version of the file: an early run's line is an invalidation of the last run instead,
  // as long, so that only the file's identity tells it from the one read.
  const early = (await recordsOf(file))[1];
  const invalidation = (pad: number) =>
    annotationLine(
      early,
      annotationNotes(last, { invalidates: true }, "x".repeat(pad), {
        [last]: target.RecordChecksum,
      }),
    );
  const pad = lines[2].length - invalidation(1).length + 1;
  const other = lines.with(2, invalidation(pad));
  const replacement = `${other.join("\n")}\n`;
  const read = await Deno.readTextFile(file);
  assertEquals(replacement.length, read.length);
  assertEquals(replacement.slice(-TAIL_WINDOW), read.slice(-TAIL_WINDOW));
  const lock = await acquireLock(`${file}.lock`, { deliverableId: "DEL-01-02", holder: "test" });
  const child = annotate(del, last, "--invalidates", "--note", "wrong inputs");
  const stderr = await stderrUntil(child, "waiting for the append lock");
  await Deno.writeTextFile(`${file}.new`, replacement);
  await Deno.rename(`${file}.new`, file); // as git checkout does: a new file in its place
  await lock.release();
  const result = await outcome(child, stderr);
  assertEquals(result.code, 2, result.stderr);
  assertMatch(
    result.stderr,
    new RegExp(`${last} is already invalidated by annotation ${early.RunID}`),
  );
  assertEquals(await Deno.readTextFile(file), replacement, "nothing written");
});

Deno.test("appendAnnotation: annotations appended between its read and its lock that name runs it had passed over are weighed with those runs' records (scale-sweep F5)", async () => {
  // Two records of one RunID (two clones, one minute), and runs enough that most are passed over.
  const lines = minutelyHistory(50);
  const twin = lines[1].split(",")[1];
  lines.push(encodeRecord(sampleRecord({ ...decodeRecord(lines[1]), Notes: "the other clone" })));
  const { del, file } = await projectWith(lines);
  const [first, second] = (await recordsOf(file)).filter((r) => r.RunID === twin);
  const later = (minute: number) => {
    const at = new Date(Date.parse("2030-01-01T00:00:00Z") + minute * 60_000).toISOString();
    return { RunID: `${runIdPrefix("DEL-01-02", at)}001`, RunTimestamp: at };
  };
  const invalidating = (id: string, checksum: string) =>
    annotationNotes(id, { invalidates: true }, "meanwhile", { [id]: checksum });
  // Appended meanwhile: A invalidates the first record, B the second, and W withdraws B.
  const a = annotationLine(later(0), invalidating(twin, first.RecordChecksum));
  const b = annotationLine(later(1), invalidating(twin, second.RecordChecksum));
  const bChecksum = b.slice(b.lastIndexOf(",") + 1);
  const w = annotationLine(later(2), invalidating(later(1).RunID, bChecksum));
  const withdrawal = later(2).RunID;
  const lock = await acquireLock(`${file}.lock`, { deliverableId: "DEL-01-02", holder: "test" });
  const { promise: waiting, resolve } = Promise.withResolvers<void>();
  // Withdrawing W makes B apply again: the second record invalidated once, the first once, so it
  // is no repeat (weighed by RunID alone, without the records, it would be refused).
  const written = appendAnnotation(del, withdrawal, { invalidates: true }, "B was right", {
    onLockWait: () => resolve(),
  });
  await waiting; // it has read the file, and waits for the lock
  await Deno.writeTextFile(file, `${a}\n${b}\n${w}\n`, { append: true });
  await lock.release();
  const record = await written;
  assertEquals((await recordsOf(file)).at(-1)?.RunID, record.RunID);
});
