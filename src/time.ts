/**
 * Timestamps and durations in the forms records use: UTC ISO 8601 ending in
 * `Z`, and ISO 8601 durations such as `PT2M34.5S`.
 *
 * @module
 */

/**
 * Formats milliseconds as an ISO 8601 duration (`PT0S`, `PT1.5S`, `PT2M34.5S`, `PT1H2M`).
 *
 * @example
 * ```ts
 * import { formatDuration } from "./time.ts";
 * formatDuration(154_500); // "PT2M34.5S"
 * ```
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`duration must be ≥ 0 ms, got ${ms}`);
  const totalMs = Math.round(ms);
  const hours = Math.floor(totalMs / 3_600_000);
  const minutes = Math.floor((totalMs % 3_600_000) / 60_000);
  const seconds = (totalMs % 60_000) / 1000;
  let out = "PT";
  if (hours) out += `${hours}H`;
  if (minutes) out += `${minutes}M`;
  if (seconds || out === "PT") out += `${seconds}S`;
  return out;
}

const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * Parses an ISO 8601 duration of days, hours, minutes and seconds into
 * milliseconds; `undefined` when it is not one.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./time.ts";
 * parseDuration("PT2M34.5S"); // 154500
 * ```
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m || text === "P" || text.endsWith("T")) return undefined;
  const [d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0));
  return Math.round(((d * 24 + h) * 60 + mi) * 60_000 + s * 1000);
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
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    return undefined;
  }
  const [y, mo, d, h, mi, sec] = text.split(/[-T:Z+.]/).map(Number);
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate(); // days in month mo of year y
  if (mo < 1 || mo > 12 || d < 1 || d > days || h > 23 || mi > 59 || (sec || 0) > 59) {
    return undefined; // Date.parse would roll 2026-02-30 over into March
  }
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : isoTimestamp(ms);
}

const MS_PER_DAY = 86_400_000;

/**
 * `new Date(ms).toISOString()` without its first-call cost: the first
 * `toISOString` of a process measured ~0.75 ms (every `emit` is a fresh
 * process), this arithmetic a few microseconds. Days to a civil date by
 * H. Hinnant's `civil_from_days`; outside years 0-9999, or for a time `Date`
 * cannot hold, `Date` itself answers (and throws the same `RangeError`).
 *
 * @example
 * ```ts
 * import { isoTimestamp } from "./time.ts";
 * isoTimestamp(0); // "1970-01-01T00:00:00.000Z"
 * isoTimestamp(Date.UTC(2026, 1, 22, 10, 15, 7, 5)); // "2026-02-22T10:15:07.005Z"
 * ```
 */
export function isoTimestamp(ms: number): string {
  const t = Math.trunc(ms); // as Date's TimeClip
  const days = Math.floor(t / MS_PER_DAY);
  let rest = t - days * MS_PER_DAY;
  const z = days + 719_468; // days since 0000-03-01
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra -
    (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153); // month from March = 0
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  if (!(year >= 0 && year <= 9999)) return new Date(ms).toISOString();
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const pad = (n: number, width: number) => String(n).padStart(width, "0");
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hours, 2)}:${pad(minutes, 2)}:` +
    `${pad(seconds, 2)}.${pad(rest - seconds * 1000, 3)}Z`;
}
