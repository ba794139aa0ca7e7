/**
 * A duration spelt in words (`5min`, `2 hours`, `1day`), as people and
 * agents type one, said as the short form the duration options take (`5m`,
 * `2h`, `1d`): the refusal alone listed the forms, which left the agent to
 * match them.
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

/**
 * `" (did you mean 5m?)"` for a duration spelt in words, else `""`.
 *
 * @example
 * ```ts
 * import { spelledDuration } from "./duration_words.ts";
 * spelledDuration("5min"); // " (did you mean 5m?)"
 * spelledDuration("2 hours"); // " (did you mean 2h?)"
 * spelledDuration("soon"); // ""
 * ```
 */
export function spelledDuration(text: string): string {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-z]+)\s*$/i.exec(text);
  if (!m) return "";
  const unit = UNITS.find(([word]) => word.test(m[2]))?.[1];
  const meant = unit === undefined ? undefined : `${m[1]}${unit}`;
  return meant === undefined || meant === text ? "" : ` (did you mean ${meant}?)`;
}
