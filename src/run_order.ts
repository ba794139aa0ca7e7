/**
 * The order of runs in time, as staleness needs it: when a run started and
 * ended, which of two is later (never by file order, which a merge decides),
 * and whether a run succeeded enough to be a baseline.
 *
 * @module
 */
import type { FolderRecords } from "./folder_records.ts";
import type { RunRecord } from "./schema.ts";
import { parseDuration, parseInstant } from "./time.ts";

/**
 * The default baseline rule: a run that succeeded, in full or in part.
 *
 * @example
 * ```ts
 * import { isSuccessOrPartial } from "./run_order.ts";
 * isSuccessOrPartial({ RunStatus: "PARTIAL" } as import("./schema.ts").RunRecord); // true
 * ```
 */
export function isSuccessOrPartial(record: RunRecord): boolean {
  return record.RunStatus === "SUCCESS" || record.RunStatus === "PARTIAL";
}

/**
 * RunTimestamp in ms; a record that fails validation never gets here, so it parses.
 *
 * @example
 * ```ts
 * import { startMs } from "./run_order.ts";
 * startMs({ RunTimestamp: "2026-01-01T00:00:00Z" } as import("./schema.ts").RunRecord); // 1767225600000
 * ```
 */
export function startMs(record: RunRecord): number {
  return parseInstant(record.RunTimestamp) ?? 0;
}

/**
 * When a run ended: RunTimestamp plus RunDuration, in ms.
 *
 * @example
 * ```ts
 * import { endMs } from "./run_order.ts";
 * endMs({ RunTimestamp: "2026-01-01T00:00:00Z", RunDuration: "PT2S" } as import("./schema.ts").RunRecord); // 1767225602000
 * ```
 */
export function endMs(record: RunRecord): number {
  return startMs(record) + (parseDuration(record.RunDuration) ?? 0);
}

/**
 * Whether `a` comes after `b` in {@linkcode pickBaseline}'s order.
 *
 * @example
 * ```ts
 * import { laterThan } from "./run_order.ts";
 * const run = (at: string) => ({ RunTimestamp: at, RunDuration: "PT1S" }) as import("./schema.ts").RunRecord;
 * laterThan(run("2026-01-02T00:00:00Z"), run("2026-01-01T00:00:00Z")); // true
 * ```
 */
export function laterThan(a: RunRecord, b: RunRecord): boolean {
  const started = startMs(a) - startMs(b);
  if (started !== 0) return started > 0;
  const ended = endMs(a) - endMs(b);
  return ended !== 0 ? ended > 0 : a.RecordChecksum > b.RecordChecksum;
}

/**
 * The baseline among `records`: the latest by RunTimestamp that `isBaseline`
 * accepts; of equal timestamps, the one that ended later, then the greater
 * RecordChecksum. Never the file order: a merge of two branches puts their
 * lines in either order.
 *
 * @example
 * ```ts
 * import { pickBaseline } from "./run_order.ts";
 * const run = (at: string) => ({ RunTimestamp: at, RunDuration: "PT1S", RunStatus: "SUCCESS" });
 * const records = [run("2026-01-02T00:00:00Z"), run("2026-01-01T00:00:00Z")]
 *   .map((record, i) => ({ record, line: i + 2 })) as import("./folder_records.ts").FolderRecords["records"];
 * pickBaseline(records, () => true)?.line; // 2
 * ```
 */
export function pickBaseline(
  records: FolderRecords["records"],
  isBaseline: (record: RunRecord) => boolean,
): FolderRecords["records"][number] | undefined {
  let best: FolderRecords["records"][number] | undefined;
  for (const entry of records) {
    if (!isBaseline(entry.record)) continue;
    if (best === undefined || laterThan(entry.record, best.record)) best = entry;
  }
  return best;
}

/**
 * The latest of `runs` by RunTimestamp, ties broken as {@linkcode pickBaseline} breaks them.
 *
 * @example
 * ```ts
 * import { latest } from "./run_order.ts";
 * latest([]); // undefined
 * ```
 */
export function latest(runs: FolderRecords["records"]): RunRecord | undefined {
  return pickBaseline(runs, () => true)?.record;
}

/**
 * The run of `runs` that ended last: make's rule compares the producer's newest output, and a short
 * run started later must not hide a long one ending after. Of equal ends, the one that started
 * later, then the greater RecordChecksum: never the later line, which a merge's direction decides.
 *
 * @example
 * ```ts
 * import { lastEnded } from "./run_order.ts";
 * const run = (at: string, took: string) => ({ record: { RunTimestamp: at, RunDuration: took } as import("./schema.ts").RunRecord });
 * lastEnded([run("2026-01-01T00:00:00Z", "PT1H"), run("2026-01-01T00:10:00Z", "PT1S")]); // the first
 * ```
 */
export function lastEnded<T extends { record: RunRecord }>(runs: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const entry of runs) {
    if (best === undefined || endedLater(entry.record, best.record)) best = entry;
  }
  return best;
}

/**
 * Whether `a` ended after `b`; of equal ends, started later, then the greater RecordChecksum.
 *
 * @example
 * ```ts
 * import { endedLater } from "./run_order.ts";
 * const run = (at: string, took: string) => ({ RunTimestamp: at, RunDuration: took }) as import("./schema.ts").RunRecord;
 * endedLater(run("2026-01-01T00:00:00Z", "PT1H"), run("2026-01-01T00:10:00Z", "PT1S")); // true
 * ```
 */
export function endedLater(a: RunRecord, b: RunRecord): boolean {
  return endMs(a) !== endMs(b)
    ? endMs(a) > endMs(b)
    : startMs(a) !== startMs(b)
    ? startMs(a) > startMs(b)
    : a.RecordChecksum > b.RecordChecksum;
}

/**
 * Whether two runs' time spans overlap.
 *
 * @example
 * ```ts
 * import { overlapping } from "./run_order.ts";
 * const run = (at: string) => ({ RunTimestamp: at, RunDuration: "PT1H" }) as import("./schema.ts").RunRecord;
 * overlapping(run("2026-01-01T00:00:00Z"), run("2026-01-01T00:30:00Z")); // true
 * ```
 */
export function overlapping(a: RunRecord, b: RunRecord): boolean {
  return startMs(a) < endMs(b) && startMs(b) < endMs(a);
}
