/**
 * A duration spelt in words (`5min`, `2 hours`, `1day`), as people and
 * agents type one, said as the short form the duration options take (`5m`,
 * `2h`, `1d`), and a bare number's choice of units: the refusal alone listed
 * the forms, which left the agent to match them.
 *
 * @module
 */

/** Each unit word, by the one letter the options take for it. */
const UNITS: readonly [RegExp, string][] = [
  [/^(?:s|secs?|seconds?)$/i, "s"],
  [/^(?:m|mins?|minutes?)$/i, "m"],
  [/^(?:h|hrs?|hours?)$/i, "h"],
  [/^(?:d|days?)$/i, "d"],
];

/** Weeks, which no option takes: said in days (`1w`, `2 weeks ago`: `7d`, `14d`; newuser-49 F5). */
const WEEKS = /^(?:w|wks?|weeks?)$/i;

/**
 * `" (did you mean 5m?)"` for a duration spelt in words, the units to choose from for a bare
 * number, else `""`.
 *
 * @example
 * ```ts
 * import { spelledDuration } from "./duration_words.ts";
 * spelledDuration("5min"); // " (did you mean 5m?)"
 * spelledDuration("2 hours"); // " (did you mean 2h?)"
 * spelledDuration("2 hours ago"); // " (did you mean 2h?)" (log --since: a duration before now)
 * spelledDuration("1w"); // " (did you mean 7d?)"
 * spelledDuration("2.weeks.ago"); // " (did you mean 14d?)" (git's way)
 * spelledDuration("90"); // " (a number needs its unit, with no space: 90s, 90m, 90h or 90d)"
 * spelledDuration("soon"); // ""
 * ```
 */
export function spelledDuration(text: string): string {
  // A bare number (`--duration 90`, `--older-than 1 hour` split by the shell): which unit is meant
  // cannot be told, so each is named.
  const bare = /^\s*([0-9]+(?:\.[0-9]+)?)\s*$/.exec(text)?.[1];
  if (bare !== undefined) {
    return ` (a number needs its unit, with no space: ${bare}s, ${bare}m, ${bare}h or ${bare}d)`;
  }
  // "ago" is how people say log --since's duration before now: the duration alone means that.
  // Dots too, as git's log --since takes them (`2.weeks.ago`; newuser-49 F5).
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)[\s.]*([a-z]+)(?:[\s.]+ago)?\s*$/i.exec(text);
  if (!m) return "";
  // Rounded: 1.1 × 7 is 7.700000000000001 in floating point.
  if (WEEKS.test(m[2])) return ` (did you mean ${Number((Number(m[1]) * 7).toFixed(6))}d?)`;
  const unit = UNITS.find(([word]) => word.test(m[2]))?.[1];
  const meant = unit === undefined ? undefined : `${m[1]}${unit}`;
  return meant === undefined || meant === text ? "" : ` (did you mean ${meant}?)`;
}
