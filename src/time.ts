/**
 * Timestamps and durations in the forms records use (UTC ISO 8601 ending in
 * `Z`, ISO 8601 durations such as `PT2M34.5S`), parsed in one place, and the
 * plausibility rules for them:
 *
 * - a run starts in the years {@linkcode EARLIEST_YEAR} to
 *   {@linkcode LATEST_YEAR}, and a run reported now started no later than
 *   {@linkcode CLOCK_SKEW_MS} after this machine's clock;
 * - a duration is exact to the millisecond (at most 3 fraction digits) and
 *   at most `MAX_DURATION_MS`.
 *
 * @module
 */
import { InputError, OptionError } from "./errors.ts";
import { checkArgument, shownValue } from "./argument_kinds.ts";

/** The earliest year a RunTimestamp may hold. */
export const EARLIEST_YEAR = 2000;
/** The latest year a RunTimestamp may hold. */
export const LATEST_YEAR = 2999;
/** How far a reported start may lie after this machine's clock (5 minutes: clocks drift). */
export const CLOCK_SKEW_MS = 5 * 60_000;
/** The longest duration a run may have: ten years (longer ones are typing mistakes). */
export const MAX_DURATION_MS = 10 * 365 * 86_400_000;

const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * Milliseconds since the epoch of an ISO 8601 date or date-time: the one
 * date-time parser of runrec. `zone: "required"` (the default) accepts only a
 * date-time with `Z` or `±hh:mm`; `zone: "utc"` also accepts a date alone or
 * a date-time without a zone, read as UTC. `undefined` when the text is not
 * one, or not a real date and time (no February 30, no hour 24). Fraction
 * digits beyond the millisecond are cut.
 *
 * @example
 * ```ts
 * import { parseInstant } from "./time.ts";
 * parseInstant("2026-02-22T11:15:00+01:00"); // 1771755300000
 * parseInstant("2026-02-22", { zone: "utc" }); // 1771718400000
 * parseInstant("2026-02-30T10:00:00Z"); // undefined
 * ```
 */
export function parseInstant(
  text: string,
  options: { zone?: "required" | "utc" } = {},
): number | undefined {
  const m = INSTANT.exec(text);
  if (!m) return undefined;
  const zone = m[8];
  if (zone === undefined && options.zone !== "utc") return undefined;
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
  const h = Number(m[4] ?? 0), mi = Number(m[5] ?? 0), s = Number(m[6] ?? 0);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  const ms = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
  // Date.UTC reads years 0-99 as 1900-1999; setUTCFullYear does not.
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s, ms));
  date.setUTCFullYear(y);
  let offset = 0;
  if (zone !== undefined && zone !== "Z") {
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(4, 6));
    if (zh > 23 || zm > 59) return undefined;
    offset = (zone[0] === "+" ? 1 : -1) * (zh * 60 + zm) * 60_000;
  }
  return date.getTime() - offset;
}

/**
 * The days of a month (1-12) of a year of the Gregorian calendar.
 *
 * @example
 * ```ts
 * import { daysInMonth } from "./time.ts";
 * daysInMonth(2024, 2); // 29
 * ```
 */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Parses an ISO 8601 date-time with a zone (`Z` or `±hh:mm`) and returns it
 * as UTC ending in `Z`; `undefined` when it is not one.
 *
 * @example
 * ```ts
 * import { normaliseTimestamp } from "./time.ts";
 * normaliseTimestamp("2026-02-22T11:15:00+01:00"); // "2026-02-22T10:15:00.000Z"
 * ```
 */
export function normaliseTimestamp(text: string): string | undefined {
  const ms = parseInstant(text);
  return ms === undefined || !yearInRange(ms) ? undefined : new Date(ms).toISOString();
}

function yearInRange(ms: number): boolean {
  const year = new Date(ms).getUTCFullYear();
  return year >= EARLIEST_YEAR && year <= LATEST_YEAR;
}

const RUN_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/**
 * What is wrong with a RunTimestamp as records hold it (UTC, `Z`, seconds,
 * up to 9 fraction digits, a real date in the years {@linkcode EARLIEST_YEAR}
 * to {@linkcode LATEST_YEAR}), or `undefined` when it is fine.
 *
 * @example
 * ```ts
 * import { runTimestampProblem } from "./time.ts";
 * runTimestampProblem("2026-02-22T10:15:00.000Z"); // undefined
 * runTimestampProblem("9999-12-31T00:00:00Z"); // "must be in the years 2000 to 2999, got ..."
 * ```
 */
export function runTimestampProblem(text: string): string | undefined {
  const ms = RUN_TIMESTAMP.test(text) ? parseInstant(text) : undefined;
  if (ms === undefined) {
    return `must be UTC ISO 8601 like 2026-02-22T10:15:00Z, got ${show(text)}`;
  }
  if (!yearInRange(ms)) {
    return `must be in the years ${EARLIEST_YEAR} to ${LATEST_YEAR}, got ${show(text)}`;
  }
  return undefined;
}

/**
 * The start of a run being recorded now, as a RunTimestamp: `started` (ISO
 * 8601 with a zone) when given, else `now` minus the duration. Throws an
 * {@linkcode OptionError} naming `started` when it is not a date-time, lies
 * outside the years {@linkcode EARLIEST_YEAR}-{@linkcode LATEST_YEAR}, or
 * later than `now` plus {@linkcode CLOCK_SKEW_MS}, or when the run would end
 * (start plus `durationMs`) later than that.
 *
 * @example
 * ```ts
 * import { runStart } from "./time.ts";
 * runStart(undefined, 1500, Date.UTC(2026, 1, 22, 10, 15)); // "2026-02-22T10:14:58.500Z"
 * runStart("2026-02-22T11:15:00+01:00", 0); // "2026-02-22T10:15:00.000Z"
 * ```
 */
export function runStart(
  started: string | undefined,
  durationMs: number,
  now: number = Date.now(),
): string {
  if (started === undefined) return clockStamp(now - durationMs);
  const ms = parseInstant(started);
  if (ms === undefined) {
    throw new OptionError((name) =>
      // The form, not just its name: "2026-12-06 12:00" lacks the T and the zone both.
      `${name("started")}: not an ISO 8601 date-time with zone, like 2026-02-22T10:15:00Z ` +
      `(UTC) or 2026-02-22T11:15:00+01:00: ${show(started)}`
    );
  }
  if (!yearInRange(ms)) {
    throw new OptionError((name) =>
      `${name("started")}: must be in the years ${EARLIEST_YEAR} to ${LATEST_YEAR}, got ${
        show(started)
      }`
    );
  }
  if (ms > now + CLOCK_SKEW_MS) {
    throw new OptionError((name) =>
      `${name("started")}: ${show(started)} is in the future (this machine's clock says ` +
      `${new Date(now).toISOString()})`
    );
  }
  if (ms + durationMs > now + CLOCK_SKEW_MS) {
    throw new OptionError((name) =>
      `${name("started")} ${show(started)} and a duration of ${formatDuration(durationMs)} end ` +
      `in the future (this machine's clock says ${new Date(now).toISOString()})`
    );
  }
  return new Date(ms).toISOString();
}

/**
 * How long ago, at `now` (this host's uptime then: `uptimeNow`, if known), a
 * run started at `started` (ISO 8601), when this host's uptime was
 * `startedUptimeMs` (if known): by the wall clock, or by the
 * uptime when the two differ by more than its rounding, as they do when the
 * wall clock was stepped meanwhile (an NTP step, a VM restored from a
 * snapshot: clock-sweep F4); `steppedMs` then says how far (negative: set
 * back). An uptime lower now than then is a boot since: the wall clock's.
 *
 * @example
 * ```ts
 * import { elapsedSince } from "./time.ts";
 * elapsedSince("2026-02-22T10:15:00Z", 5_000, Date.UTC(2026, 1, 22, 10, 16), 65_000); // { ms: 60000 }
 * ```
 */
export function elapsedSince(
  started: string,
  startedUptimeMs: number | undefined,
  now: number,
  uptimeNow: number | undefined,
): { ms: number; steppedMs?: number } {
  const wall = now - Date.parse(started);
  if (uptimeNow === undefined || startedUptimeMs === undefined || uptimeNow < startedUptimeMs) {
    return { ms: wall };
  }
  const byUptime = uptimeNow - startedUptimeMs;
  // Uptimes are whole seconds, rounded up: a second or two apart is the same time.
  return Math.abs(wall - byUptime) <= 2000
    ? { ms: wall }
    : { ms: byUptime, steppedMs: wall - byUptime };
}

/**
 * `ms` (this machine's clock, now or a duration before) as a RunTimestamp;
 * throws an {@linkcode InputError} naming the clock when it lies outside the
 * years {@linkcode EARLIEST_YEAR} to {@linkcode LATEST_YEAR}: a machine that
 * booted without its time (1970) before NTP set it (clock-sweep F5).
 *
 * @example
 * ```ts
 * import { clockStamp } from "./time.ts";
 * clockStamp(Date.UTC(2026, 1, 22, 10, 15)); // "2026-02-22T10:15:00.000Z"
 * ```
 */
export function clockStamp(ms: number = Date.now()): string {
  if (!yearInRange(ms)) {
    throw new InputError(
      `this machine's clock reads ${new Date(ms).toISOString()}, outside the years ` +
        `${EARLIEST_YEAR} to ${LATEST_YEAR} a RunTimestamp may hold: set the clock (NTP) and ` +
        "run again",
    );
  }
  return new Date(ms).toISOString();
}

/**
 * Formats whole milliseconds as an ISO 8601 duration (`PT0S`, `PT1.5S`,
 * `PT2M34.5S`, `PT1H2M`); throws {@linkcode InputError} naming `ms` for
 * anything else.
 *
 * @example
 * ```ts
 * import { formatDuration } from "@runrec/runrec";
 * formatDuration(154_500); // "PT2M34.5S"
 * ```
 */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new InputError(
      `ms: must be a whole number of milliseconds, 0 or more, got ${shownValue(ms)}`,
      { field: "ms" },
    );
  }
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  let out = "PT";
  if (hours) out += `${hours}H`;
  if (minutes) out += `${minutes}M`;
  if (seconds || out === "PT") out += `${seconds}S`;
  return out;
}

const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d{1,3}))?S)?)?$/;

/**
 * Parses an ISO 8601 duration of days, hours, minutes and seconds (at most 3
 * fraction digits) into milliseconds; `undefined` when it is not one.
 * Exact: no rounding. Does not apply the longest RunDuration runrec
 * records (10 years).
 *
 * @example
 * ```ts
 * import { parseDuration } from "@runrec/runrec";
 * parseDuration("PT2M34.5S"); // 154500
 * ```
 */
export function parseDuration(text: string): number | undefined {
  checkArgument(text, "text", "text");
  const m = DURATION.exec(text);
  if (!m || text === "P" || text.endsWith("T")) return undefined;
  const d = Number(m[1] ?? 0), h = Number(m[2] ?? 0), mi = Number(m[3] ?? 0), s = Number(m[4] ?? 0);
  const ms = Number((m[5] ?? "").padEnd(3, "0"));
  return ((d * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Milliseconds of a duration as a person types it on the command line: an
 * ISO 8601 duration ({@linkcode parseDuration}) or a number with `s`, `m`,
 * `h` or `d` (`90s`, `1.5h`, `2d`); `undefined` when it is neither.
 *
 * @example
 * ```ts
 * import { parseDurationOption } from "./time.ts";
 * parseDurationOption("90m"); // 5400000
 * parseDurationOption("1.001s"); // 1001
 * parseDurationOption("PT2H"); // 7200000
 * parseDurationOption("5x"); // undefined
 * ```
 */
export function parseDurationOption(text: string): number | undefined {
  const short = /^([0-9]+)(?:\.([0-9]+))?([smhd])$/.exec(text);
  if (!short) return parseDuration(text);
  const [, whole, fraction = "", unit] = short;
  // In decimal, not through a binary fraction: 1.001s is 1001 ms exactly (a fraction of a
  // millisecond stays one, for a caller that needs whole ones to refuse).
  const numerator = BigInt(whole + fraction) * BigInt(UNIT_MS[unit]);
  const denominator = 10n ** BigInt(fraction.length);
  return numerator % denominator === 0n
    ? Number(numerator / denominator)
    : Number(numerator) / Number(denominator);
}

/**
 * What is wrong with a RunDuration, or `undefined` when it is fine: an ISO
 * 8601 duration exact to the millisecond and at most
 * `MAX_DURATION_MS`.
 *
 * @example
 * ```ts
 * import { durationProblem } from "./time.ts";
 * durationProblem("PT2M34.5S"); // undefined
 * durationProblem("P99999999999D"); // "must be at most ten years (P3650D), got \"P99999999999D\""
 * ```
 */
export function durationProblem(text: string): string | undefined {
  const ms = parseDuration(text);
  if (ms === undefined) {
    return `must be an ISO 8601 duration exact to the millisecond like PT2M34.5S, got ${
      show(text)
    }`;
  }
  if (ms > MAX_DURATION_MS) return `must be at most ten years (P3650D), got ${show(text)}`;
  return undefined;
}

/** Quotes a value for an error message, shortened so the message stays one line. */
function show(value: string): string {
  const s = JSON.stringify(value);
  return s.length > 60 ? `${s.slice(0, 57)}..."` : s;
}
