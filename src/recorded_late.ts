/**
 * The machine-read note of a run recorded after it ended (`emit --started`
 * with the run's own duration: a backfill),
 *
 * ```text
 * recorded late: written <ISO time> (inputs hashed then)
 * ```
 *
 * so that `runrec stale` can tell a record written after the baseline but
 * stamped earlier because it was backfilled from one stamped by a clock set
 * back. A record without it was written at its run's end.
 *
 * @module
 */

/** Past this much after the run's end, a record is recorded late: the clock's granularity aside. */
export const RECORDED_LATE_AFTER_MS = 60_000;

/** One note, delimited by runrec's ` | ` between notes or an end of Notes. */
const RECORDED_LATE =
  /(?:^| \| )recorded late: written (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z) \(inputs hashed then\)(?= \| |$)/;

/**
 * The note for a record written at `written`, a run that ended at `endedMs`
 * (ms since the epoch); `undefined` when it is written at the run's end.
 *
 * @example
 * ```ts
 * import { recordedLateNote } from "./recorded_late.ts";
 * const written = new Date("2026-02-22T12:00:00Z");
 * recordedLateNote(Date.parse("2026-02-22T10:20:00Z"), written);
 * // "recorded late: written 2026-02-22T12:00:00.000Z (inputs hashed then)"
 * recordedLateNote(written.getTime(), written); // undefined
 * ```
 */
export function recordedLateNote(endedMs: number, written: Date): string | undefined {
  if (!(written.getTime() - endedMs > RECORDED_LATE_AFTER_MS)) return undefined;
  return `recorded late: written ${written.toISOString()} (inputs hashed then)`;
}

/**
 * When a record was written, by its Notes ({@linkcode recordedLateNote}),
 * else at its run's end `endedMs`.
 *
 * @example
 * ```ts
 * import { writtenAtMs } from "./recorded_late.ts";
 * writtenAtMs("recorded late: written 2026-02-22T12:00:00.000Z (inputs hashed then)", 0);
 * // 1771761600000
 * writtenAtMs("second pass", 5); // 5
 * ```
 */
export function writtenAtMs(notes: string, endedMs: number): number {
  const written = RECORDED_LATE.exec(notes)?.[1];
  return written === undefined ? endedMs : Date.parse(written);
}
