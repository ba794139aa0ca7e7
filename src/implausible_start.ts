/**
 * Whether a finish believes a pending run's start time: not in the future
 * (beyond the clock skew allowed, judged against the run file's time too),
 * and, for a run recorded from its token alone, not more than a day ago.
 *
 * @module
 */
import { CLOCK_SKEW_MS } from "./time.ts";

/**
 * How long ago a run may have started and still be finished: a day, longer
 * than any agent's session. An older start is more likely a token copied from
 * an old log, or a file edited by hand, than a run ending now, and its record
 * would span every run since; `reap --older-than` records such a run.
 */
export const FINISH_WITHIN_MS = 24 * 3_600_000;

/**
 * Why a run started at `started` is not to be recorded by a finish at `now`,
 * or `undefined`: a start in the future (beyond {@linkcode CLOCK_SKEW_MS}).
 * A pending run's file is held to that alone (a run may last long); a token
 * whose file is gone (`fromToken`) also to a start within
 * {@linkcode FINISH_WITHIN_MS}: it carries no more than its start.
 *
 * @example
 * ```ts
 * import { implausibleStart } from "./implausible_start.ts";
 * implausibleStart("2099-01-01T00:00:00.000Z", Date.now()); // "its start time ... is in the future"
 * ```
 */
export function implausibleStart(
  started: string,
  now: number,
  fromToken = false,
): string | undefined {
  const whose = fromToken ? "the token's" : "its";
  const age = now - Date.parse(started);
  if (Number.isNaN(age)) return `${whose} start time ${started} is not a time`;
  if (age < -CLOCK_SKEW_MS) return `${whose} start time ${started} is in the future`;
  if (fromToken && age > FINISH_WITHIN_MS) {
    return `${whose} start time ${started} is more than a day ago: too old to record from it`;
  }
  return undefined;
}

/**
 * The clock a pending run's start is judged against: this machine's, or the
 * run file's modification time when that is later. A file `start` wrote was
 * written no earlier than the start it holds, so a start after now but not
 * after its file is a clock set back since the start (an NTP step, a VM
 * restored from a snapshot), not a run from the future (clock-sweep F1).
 *
 * @example
 * ```ts
 * import { implausibleStart, startJudgedAt } from "./implausible_start.ts";
 * const file = "DEL-01-02_X/.runrec/pending/20261205T101500123Z-1a2b3c4d.json";
 * implausibleStart("2026-12-05T10:15:00.123Z", startJudgedAt(file)); // undefined
 * ```
 */
export function startJudgedAt(path: string): number {
  const now = Date.now();
  try {
    return Math.max(now, Deno.statSync(path).mtime?.getTime() ?? now);
  } catch {
    return now;
  }
}
