/**
 * The lifecycle rules of a deliverable, as the host's SPEC (section 3.3)
 * states them, and the checks of one record against them: the rules
 * `validate` warns about and agent profiles add to a record's Notes. They
 * never refuse a record: `_STATUS.md` is the authority, a record only says
 * what was observed.
 *
 * @module
 */
import { TBD } from "./schema.ts";

/** States a deliverable does not leave in the normal course: a SUCCESS run from one is suspect. */
export const TERMINAL_STATES: readonly string[] = ["ISSUED", "RETIRED"];

/**
 * Every change of `_STATUS.md` the host's lifecycle allows, as `[from, to]`:
 * `TBD` → `OPEN` (PREPARATION creates the folder), the forward ladder, the
 * two human reversals (`CHECKING` → `IN_PROGRESS`, `ISSUED` → `IN_PROGRESS`),
 * and `RETIRED` from any state.
 */
export const LIFECYCLE_TRANSITIONS: readonly (readonly [string, string])[] = [
  [TBD, "OPEN"],
  ["OPEN", "INITIALIZED"],
  ["INITIALIZED", "SEMANTIC_READY"],
  ["INITIALIZED", "IN_PROGRESS"],
  ["SEMANTIC_READY", "IN_PROGRESS"],
  ["IN_PROGRESS", "CHECKING"],
  ["CHECKING", "ISSUED"],
  ["CHECKING", "IN_PROGRESS"],
  ["ISSUED", "IN_PROGRESS"],
  ...["OPEN", "INITIALIZED", "SEMANTIC_READY", "IN_PROGRESS", "CHECKING", "ISSUED"].map(
    (from) => [from, "RETIRED"] as const,
  ),
];

/**
 * Whether `from` → `to` is a change the lifecycle allows. No change is
 * always allowed; a change to or from an unknown state (`TBD`) cannot be
 * judged and is allowed, except that `TBD` → `OPEN` is the one listed.
 *
 * @example
 * ```ts
 * import { isLifecycleTransition } from "./lifecycle.ts";
 * isLifecycleTransition("OPEN", "INITIALIZED"); // true
 * isLifecycleTransition("OPEN", "ISSUED"); // false
 * isLifecycleTransition("TBD", "CHECKING"); // true (unknown: not judged)
 * ```
 */
export function isLifecycleTransition(from: string, to: string): boolean {
  if (from === to || from === TBD || to === TBD) return true;
  return LIFECYCLE_TRANSITIONS.some(([f, t]) => f === from && t === to);
}

/** The three fields of a record the lifecycle rules look at. */
export interface LifecycleFacts {
  /** `SUCCESS`, `PARTIAL`, `FAILED` or `SKIPPED`. */
  RunStatus: string;
  /** The lifecycle state at run start, or `TBD`. */
  StatusBefore: string;
  /** The lifecycle state at run end, or `TBD`. */
  StatusAfter: string;
}

/** One broken lifecycle rule: the field it shows in, and one line saying what is wrong. */
export interface LifecycleProblem {
  /** `RunStatus` or `StatusAfter`. */
  field: "RunStatus" | "StatusAfter";
  /** What is wrong, in one line. */
  message: string;
}

/**
 * The lifecycle rules a record breaks: SUCCESS from a terminal state
 * (`ISSUED`, `RETIRED`), SKIPPED with a changed state, and a change of state
 * the lifecycle does not allow. Unknown states (`TBD`) break no rule.
 *
 * @example
 * ```ts
 * import { lifecycleProblems } from "./lifecycle.ts";
 * lifecycleProblems({ RunStatus: "SUCCESS", StatusBefore: "ISSUED", StatusAfter: "ISSUED" });
 * // [{ field: "RunStatus", message: "SUCCESS from ISSUED, a terminal state" }]
 * lifecycleProblems({ RunStatus: "SKIPPED", StatusBefore: "OPEN", StatusAfter: "OPEN" }); // []
 * ```
 */
export function lifecycleProblems(facts: LifecycleFacts): LifecycleProblem[] {
  const { RunStatus: status, StatusBefore: before, StatusAfter: after } = facts;
  const problems: LifecycleProblem[] = [];
  if (status === "SUCCESS" && TERMINAL_STATES.includes(before)) {
    problems.push({ field: "RunStatus", message: `SUCCESS from ${before}, a terminal state` });
  }
  const known = before !== TBD && after !== TBD;
  if (status === "SKIPPED" && known && before !== after) {
    problems.push({
      field: "StatusAfter",
      message: `SKIPPED run changed the state ${before} → ${after} (a skipped run changes nothing)`,
    });
  }
  if (!isLifecycleTransition(before, after)) {
    problems.push({
      field: "StatusAfter",
      message: `${before} → ${after} is not a lifecycle transition`,
    });
  }
  return problems;
}
