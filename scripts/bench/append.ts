/**
 * Benchmark 5: appends per second in one process, `appendRecord` with and
 * without fsync, against raw `O_APPEND` writes of a line of the same size.
 *
 * @module
 */
import { join } from "node:path";
import { readRecords } from "../../src/reader.ts";
import { appendRecord } from "../../src/store.ts";
import { RECORD_FILE } from "../../src/deliverable.ts";
import { finishRun, startRun } from "../../src/run.ts";
import {
  type Benchmark,
  type Context,
  formatCount,
  formatMs,
  type Row,
  timeAsync,
  writeAll,
} from "./common.ts";
import { benchDraft, writeRecordFile } from "./records.ts";

const MIN_RATE_NO_FSYNC = 500;

/** `count` raw appends: open with O_APPEND, one write, optional fsync, close. */
async function rawAppends(path: string, line: Uint8Array, count: number, fsync: boolean) {
  for (let i = 0; i < count; i++) {
    using file = await Deno.open(path, { append: true, create: true });
    await writeAll(file, line);
    if (fsync) await file.sync();
  }
}

/** What {@linkcode recordAppends} wrote and how long each append took. */
interface AppendRun {
  bytes: number;
  each: number[];
}

/** `count` appendRecord calls into one file, one after another. */
async function recordAppends(path: string, count: number, fsync: boolean): Promise<AppendRun> {
  // One minute for all, as a loop stamping each record with the current time gets:
  // SEQ climbs to `count`.
  const timestamp = Date.UTC(2026, 10, 25, 9, 30, 0);
  let bytes = 0;
  const each: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const { bytesWritten } = await appendRecord(path, benchDraft(i, timestamp), { fsync });
    each.push(performance.now() - start);
    bytes += bytesWritten;
  }
  return { bytes, each };
}

/** Appends per second over a slice of the per-append times. */
function rateOf(ms: number[]): number {
  return ms.length / (ms.reduce((a, b) => a + b, 0) / 1000);
}

/** Checks that a file holds exactly `count` valid records. */
async function countValid(path: string, count: number): Promise<void> {
  let records = 0;
  for await (const event of readRecords(path)) {
    if (event.kind === "record") records++;
    else throw new Error(`${path}:${event.line}: ${event.message}`);
  }
  if (records !== count) throw new Error(`${path}: ${records} records, expected ${count}`);
}

/** Benchmark 5. */
export const appendRate: Benchmark = {
  id: 5,
  name: "append",
  title: "appends per second in one process: appendRecord vs raw O_APPEND writes",
  async run(ctx: Context): Promise<Row[]> {
    const count = ctx.quick ? 300 : 2_000;
    const rows: Row[] = [];
    for (const fsync of [true, false]) {
      const label = fsync ? "fsync" : "no fsync";
      const recordFile = join(ctx.tmp, `records-${fsync ? "sync" : "nosync"}.csv`);
      ctx.progress(`${formatCount(count)} × appendRecord (${label})`);
      const ours = await timeAsync(() => recordAppends(recordFile, count, fsync));
      await countValid(recordFile, count);
      // The same number of raw appends of a line of the average record's size.
      const size = Math.round(ours.value.bytes / count);
      const tenth = Math.max(1, Math.floor(count / 10));
      const firstRate = rateOf(ours.value.each.slice(0, tenth));
      const lastRate = rateOf(ours.value.each.slice(-tenth));
      const line = new TextEncoder().encode("x".repeat(size - 1) + "\n");
      ctx.progress(`${formatCount(count)} × raw O_APPEND write of ${size} bytes (${label})`);
      const rawFile = join(ctx.tmp, `raw-${fsync ? "sync" : "nosync"}.csv`);
      const raw = await timeAsync(() => rawAppends(rawFile, line, count, fsync));
      const ourRate = count / (ours.ms / 1000);
      const rawRate = count / (raw.ms / 1000);
      const ratio = ourRate / rawRate;
      const low = !fsync && ourRate < MIN_RATE_NO_FSYNC;
      ctx.print(
        `  ${label.padEnd(8)}  appendRecord ${formatCount(ourRate).padStart(6)}/s (${
          formatMs(ours.ms)
        }, ${(ours.ms / count).toFixed(2)} ms each)   raw O_APPEND ${
          formatCount(rawRate).padStart(6)
        }/s (${formatMs(raw.ms)}, ${(raw.ms / count).toFixed(2)} ms each)   ratio ${
          ratio.toFixed(2)
        }${fsync ? "" : `   flag if < ${MIN_RATE_NO_FSYNC}/s: ${low ? "LOW" : "ok"}`}`,
      );
      ctx.print(
        `            appendRecord first ${formatCount(tenth)}: ${formatCount(firstRate)}/s, last ${
          formatCount(tenth)
        }: ${formatCount(lastRate)}/s (each reads only what was appended since the last)`,
      );
      rows.push({
        bench: "5 append",
        what: `appendRecord × ${formatCount(count)}, ${label} (${size} B lines)`,
        measured: `${formatCount(ourRate)}/s (first 10%: ${formatCount(firstRate)}/s, last 10%: ${
          formatCount(lastRate)
        }/s)`,
        reference: `raw O_APPEND write: ${formatCount(rawRate)}/s`,
        ratio: ratio.toFixed(2),
        target: fsync ? "— (informational)" : `— (flag if < ${MIN_RATE_NO_FSYNC}/s)`,
        verdict: low ? "WARN" : "INFO",
      });
    }
    return rows;
  },
};

/** Records in the large file of {@linkcode appendBySize}: a deliverable worked on for years. */
const LARGE = 100_000;
/** Steady-state appends/s at {@linkcode LARGE} records must be at least this share of at 10. */
const MIN_SIZE_RATIO = 0.8;

/** Appends/s into a file that already holds `records` records (the first append, which builds the SEQ index, timed apart). */
async function ratePastSize(dir: string, records: number, count: number, fsync: boolean) {
  const path = join(dir, `size-${records}-${fsync ? "sync" : "nosync"}.csv`);
  await writeRecordFile(path, records);
  const now = Date.now();
  const first = await timeAsync(() => appendRecord(path, benchDraft(0, now), { fsync }));
  const each: number[] = [];
  for (let i = 1; i <= count; i++) {
    const start = performance.now();
    await appendRecord(path, benchDraft(i, now), { fsync });
    each.push(performance.now() - start);
  }
  await Deno.remove(path);
  return { first: first.ms, rate: rateOf(each) };
}

/**
 * Finishes/s (`finishRun` of a run `startRun` began, the finish timed) in a deliverable folder
 * whose record file already holds `records` records: a finish reads only what was appended
 * since its run's start (finish-40 F1, F2).
 */
async function finishesPastSize(dir: string, records: number, count: number) {
  const del = join(dir, `DEL-01-02_Finish${records}`);
  await Deno.mkdir(del);
  await Deno.writeTextFile(join(del, "_STATUS.md"), "**Current State:** OPEN\n");
  const path = join(del, RECORD_FILE);
  await writeRecordFile(path, records);
  await appendRecord(path, benchDraft(0, Date.now())); // the SEQ index, as a history has it
  const each: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = await startRun(del, { agent: "4_DOCUMENTS" });
    const start = performance.now();
    await finishRun(started, { status: "SUCCESS" }, { fsync: false });
    each.push(performance.now() - start);
  }
  await Deno.remove(del, { recursive: true });
  return rateOf(each);
}

/** Benchmark 8. */
export const appendBySize: Benchmark = {
  id: 8,
  name: "append-size",
  title: `appends and finishes per second at ${
    formatCount(LARGE)
  } records against at 10 (cost independent of size)`,
  async run(ctx: Context): Promise<Row[]> {
    const count = ctx.quick ? 100 : 500;
    const rows: Row[] = [];
    for (const fsync of [false, true]) {
      const label = fsync ? "fsync" : "no fsync";
      ctx.progress(`${count} appends at 10 and at ${formatCount(LARGE)} records (${label})`);
      const small = await ratePastSize(ctx.tmp, 10, count, fsync);
      const large = await ratePastSize(ctx.tmp, LARGE, count, fsync);
      const ratio = large.rate / small.rate;
      const pass = ratio >= MIN_SIZE_RATIO;
      ctx.print(
        `  ${label.padEnd(8)}  at 10 records ${formatCount(small.rate)}/s, at ${
          formatCount(LARGE)
        } ${formatCount(large.rate)}/s: ratio ${ratio.toFixed(2)} (target >= ${MIN_SIZE_RATIO}); ` +
          `first append into the large file (no SEQ index yet: a full scan) ${
            formatMs(large.first)
          }`,
      );
      rows.push({
        bench: "8 append-size",
        what: `appendRecord × ${count} at ${formatCount(LARGE)} records, ${label}`,
        measured: `${formatCount(large.rate)}/s (first append ${formatMs(large.first)})`,
        reference: `at 10 records: ${formatCount(small.rate)}/s`,
        ratio: ratio.toFixed(2),
        target: `>= ${MIN_SIZE_RATIO}`,
        verdict: pass ? "PASS" : "FAIL",
      });
    }
    const finishes = ctx.quick ? 20 : 50;
    ctx.progress(`${finishes} finishes at 10 and at ${formatCount(LARGE)} records (no fsync)`);
    const small = await finishesPastSize(ctx.tmp, 10, finishes);
    const large = await finishesPastSize(ctx.tmp, LARGE, finishes);
    const ratio = large / small;
    const pass = ratio >= MIN_SIZE_RATIO;
    ctx.print(
      `  finish    at 10 records ${formatCount(small)}/s, at ${formatCount(LARGE)} ${
        formatCount(large)
      }/s: ratio ${ratio.toFixed(2)} (target >= ${MIN_SIZE_RATIO})`,
    );
    rows.push({
      bench: "8 append-size",
      what: `finishRun × ${finishes} at ${formatCount(LARGE)} records, no fsync`,
      measured: `${formatCount(large)}/s`,
      reference: `at 10 records: ${formatCount(small)}/s`,
      ratio: ratio.toFixed(2),
      target: `>= ${MIN_SIZE_RATIO}`,
      verdict: pass ? "PASS" : "FAIL",
    });
    return rows;
  },
};
