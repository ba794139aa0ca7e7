/**
 * `isoTimestamp` is `Date.prototype.toISOString` without its first-call cost:
 * it must agree with it on every millisecond records can hold.
 *
 * @module
 */
import fc from "fast-check";
import { assertEquals } from "./assert.ts";
import { isoTimestamp } from "../src/time.ts";

const YEAR_9999_END = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

Deno.test("time: isoTimestamp equals toISOString at the edges of months, years and eras", () => {
  const edges = [
    0,
    -1,
    Date.UTC(2000, 1, 29, 23, 59, 59, 999), // leap day of a 400-year leap year
    Date.UTC(1900, 2, 1), // the day after a 100-year non-leap February
    Date.UTC(2024, 1, 29, 12),
    Date.UTC(2026, 11, 31, 23, 59, 59, 999),
    Date.UTC(1969, 11, 31, 23, 59, 59, 999),
    new Date("0000-01-01T00:00:00.000Z").getTime(),
    YEAR_9999_END,
    YEAR_9999_END + 1, // year 10000: Date's own form, +010000-…
    new Date("0000-01-01T00:00:00.000Z").getTime() - 1, // year -1: Date's own form
    1_771_755_307_005.7, // a fraction of a millisecond is cut, as Date does
    -1.5,
  ];
  for (const ms of edges) assertEquals(isoTimestamp(ms), new Date(ms).toISOString(), String(ms));
});

Deno.test("time: isoTimestamp equals toISOString for any millisecond of years 0-9999", () => {
  const start = new Date("0000-01-01T00:00:00.000Z").getTime();
  fc.assert(
    fc.property(fc.integer({ min: start, max: YEAR_9999_END }), (ms) => {
      assertEquals(isoTimestamp(ms), new Date(ms).toISOString());
    }),
    { numRuns: 20_000 },
  );
});
