/**
 * The one date-time parser and the plausibility rules of timestamps and
 * durations (issue 8, defect 18).
 *
 * @module
 */
import fc from "fast-check";
import { assert, assertEquals, assertMatch, assertThrows } from "./assert.ts";
import { InputError, OptionError } from "../src/errors.ts";
import { flagOf } from "../src/cli/command.ts";
import {
  CLOCK_SKEW_MS,
  durationProblem,
  formatDuration,
  MAX_DURATION_MS,
  normaliseTimestamp,
  parseDuration,
  parseInstant,
  runStart,
  runTimestampProblem,
} from "../src/time.ts";
import { seeded } from "./seed.ts";

const NOW = Date.UTC(2026, 1, 22, 10, 15, 0, 0);

Deno.test("time: parseInstant agrees with Date on every millisecond of years 0-9999", () => {
  fc.assert(
    fc.property(
      fc.integer({
        min: Date.parse("0000-01-01T00:00:00Z"),
        max: Date.parse("9999-12-31T23:59:59.999Z"),
      }),
      (ms) => {
        const iso = new Date(ms).toISOString();
        assertEquals(parseInstant(iso), ms, iso);
      },
    ),
    seeded("parseInstant", { numRuns: 5_000 }),
  );
});

Deno.test("time: parseInstant reads zones, dates alone only as UTC, and rejects unreal dates", () => {
  assertEquals(parseInstant("2026-02-22T11:15:00+01:00"), NOW);
  assertEquals(parseInstant("2026-02-22T10:15:00.0009Z"), NOW); // cut below the millisecond
  assertEquals(parseInstant("2026-02-22"), undefined);
  assertEquals(parseInstant("2026-02-22", { zone: "utc" }), Date.UTC(2026, 1, 22));
  assertEquals(parseInstant("2026-02-22T10:15", { zone: "utc" }), NOW);
  for (const bad of ["2026-02-29T00:00:00Z", "2026-02-22T24:00:00Z", "2026-13-01T00:00:00Z"]) {
    assertEquals(parseInstant(bad), undefined, bad);
  }
  assertEquals(normaliseTimestamp("2026-02-22T11:15:00+01:00"), "2026-02-22T10:15:00.000Z");
});

Deno.test("time: started in the future, in year 0000 or in 9999 is refused with one line, naming `started` (the CLI: --started)", () => {
  const cases: [string, RegExp][] = [
    [new Date(NOW + CLOCK_SKEW_MS + 1000).toISOString(), /^started: .* is in the future/],
    ["0000-01-01T00:00:00Z", /^started: must be in the years 2000 to 2999/],
    ["9999-12-31T23:59:59Z", /^started: must be in the years 2000 to 2999/],
    ["yesterday", /^started: not an ISO 8601 date-time/],
  ];
  for (const [started, message] of cases) {
    let error: unknown;
    try {
      runStart(started, 0, NOW);
    } catch (e) {
      error = e;
    }
    assert(error instanceof OptionError, `${started} accepted`);
    assertMatch(error.message, message);
    assertMatch(error.messageWith(flagOf), new RegExp(`^--${message.source.slice(1)}`));
    assert(!error.message.includes("\n"));
  }
  // Within the clock-skew allowance, and in the past: recorded exactly.
  const skewed = new Date(NOW + CLOCK_SKEW_MS).toISOString();
  assertEquals(runStart(skewed, 0, NOW), skewed);
  assertEquals(runStart("2026-02-22T09:00:00.123Z", 0, NOW), "2026-02-22T09:00:00.123Z");
  assertEquals(runStart(undefined, 1_500, NOW), "2026-02-22T10:14:58.500Z");
});

Deno.test("time: RunTimestamp must be a real UTC date-time in the years 2000-2999", () => {
  assertEquals(runTimestampProblem("2026-02-22T10:15:00.123456789Z"), undefined);
  assertMatch(runTimestampProblem("0000-01-01T00:00:00Z")!, /years 2000 to 2999/);
  assertMatch(runTimestampProblem("9999-12-31T00:00:00Z")!, /years 2000 to 2999/);
  assertMatch(runTimestampProblem("2026-02-22T10:15:00+01:00")!, /UTC ISO 8601/);
});

Deno.test("time: durations are exact to the millisecond; fractions and absurd ones refused", () => {
  assertEquals(parseDuration("PT0.001S"), 1);
  assertEquals(parseDuration("PT2M34.5S"), 154_500);
  assertEquals(parseDuration("P1DT1H"), 90_000_000);
  assertEquals(parseDuration("PT0.0015S"), undefined); // below the millisecond
  assertThrows(() => formatDuration(1.5), InputError, "ms: must be a whole number");
  assertMatch(durationProblem("P99999999999D")!, /at most ten years/);
  assertMatch(durationProblem("PT0.0001S")!, /exact to the millisecond/);
  assertEquals(durationProblem(formatDuration(MAX_DURATION_MS)), undefined);
  assertMatch(durationProblem(formatDuration(MAX_DURATION_MS + 1))!, /at most ten years/);
  // Long enough that no start could be computed used to throw "Invalid time value".
  assertEquals(runStart(undefined, MAX_DURATION_MS, NOW).slice(0, 4), "2016");
});

Deno.test("time: formatDuration and parseDuration round-trip every whole millisecond", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: MAX_DURATION_MS }), (ms) => {
      assertEquals(parseDuration(formatDuration(ms)), ms);
    }),
    seeded("duration round trip", { numRuns: 5_000 }),
  );
});
