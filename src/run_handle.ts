/**
 * What `withRun` gives its callback and takes back from it: the run handle,
 * guarded against a misspelt field, the callback's strings checked and made
 * recordable, a throw said as text, and the outcome and warnings printed on
 * stderr.
 *
 * @module
 */
import { InputError } from "./errors.ts";
import { shownValue } from "./argument_kinds.ts";
import { oneLine } from "./names.ts";
import type { RunOutcome } from "./hook.ts";
import type { RunStatus } from "./schema.ts";
import type { FinishReport } from "./finish_report.ts";

/**
 * Characters of a thrown error's message that `withRun` keeps in ErrorSummary.
 *
 * @example
 * ```ts
 * import { ERROR_KEPT } from "./run_handle.ts";
 * const kept = "x".repeat(10_000).slice(0, ERROR_KEPT); // the first 4,000
 * ```
 */
export const ERROR_KEPT = 4_000;

/**
 * The run a {@linkcode withRun} callback is given. Setting a field it has
 * not (a misspelt `run.erorr`) or `id` or `delDir` throws
 * {@linkcode InputError} naming it, as a wrong value of `status`, `error`
 * or `notes` does.
 */
export interface RunHandle {
  /**
   * The pending run's id: the name of its file in `.runrec/pending/` (the `id`
   * of `runrec start --json`), which `runrec finish <del-dir> --run ID` takes.
   * Not the RunID: that is allocated when the record is written, and
   * `onOutcome` receives it.
   */
  readonly id: string;
  /** The deliverable folder, absolute. */
  readonly delDir: string;
  /**
   * Declares a file the run wrote (relative to the deliverable folder, or
   * absolute); throws `InputError` for an empty path.
   */
  output(path: string): void;
  /**
   * The outcome to record when the callback returns: `SUCCESS` unless set
   * (`run.status = "PARTIAL"`; any case, or a host outcome word such as
   * `PASS`, as `recordRun` takes them). A throw records `FAILED` whatever it
   * holds.
   */
  status: RunStatus;
  /** What went wrong, for a PARTIAL or FAILED outcome set by the callback. */
  error?: string;
  /** Free text for the record's Notes. */
  notes?: string;
}

/** The fields of a {@linkcode RunHandle} a callback may set. */
const SETTABLE = ["status", "error", "notes"];

/**
 * `handle`, refusing at the assignment a field it has not or that is not
 * set: a misspelt `run.erorr = "…"` was kept on the object and the run
 * recorded SUCCESS without it (library-sweep F7).
 *
 * @example
 * ```ts
 * import { guardedHandle } from "./run_handle.ts";
 * const run = guardedHandle({ id: "1", delDir: "/p/DEL-01-02", output() {}, status: "SUCCESS" });
 * run.status = "PARTIAL"; // set; a misspelt run.erorr = "…" throws InputError
 * ```
 */
export function guardedHandle(handle: RunHandle): RunHandle {
  return new Proxy(handle, {
    set(target, key, value) {
      if (typeof key === "string" && SETTABLE.includes(key)) {
        return Reflect.set(target, key, value);
      }
      throw new InputError(
        `run.${String(key)}: ${key in target ? "cannot be set" : "not a field of the run"} ` +
          "(a callback sets run.status, run.error and run.notes, and calls run.output(path))",
        { field: `run.${String(key)}` },
      );
    },
    defineProperty(_target, key) {
      throw new InputError(`run.${String(key)}: not a field to define (set run.status, ...)`, {
        field: `run.${String(key)}`,
      });
    },
  });
}

/**
 * Says `outcome`'s warnings and a lost record's line on stderr: `withRun`'s default
 * `onOutcome`.
 *
 * @example
 * ```ts
 * import type { RunOutcome } from "./hook.ts";
 * import { printOutcome } from "./run_handle.ts";
 * declare const outcome: RunOutcome;
 * printOutcome(outcome); // "runrec: warning: …" for each warning
 * ```
 */
export function printOutcome(outcome: RunOutcome): void {
  for (const warning of outcome.warnings) console.error(`runrec: warning: ${warning}`);
  if (outcome.lost) console.error(outcome.lost);
}

/**
 * `value` when it is a string (or `undefined`); else an InputError naming `name`.
 *
 * @example
 * ```ts
 * import { checkedText } from "./run_handle.ts";
 * checkedText("2 of 3 documents", "run.error"); // "2 of 3 documents"
 * checkedText(42, "run.notes"); // throws InputError "run.notes: must be a string, got number 42"
 * ```
 */
export function checkedText(value: unknown, name: string): string | undefined {
  if (value === undefined || typeof value === "string") return value;
  throw new InputError(`${name}: must be a string, got ${shownValue(value)}`, { field: name });
}

/**
 * The callback's strings made recordable: a lone UTF-16 surrogate (text cut
 * with `.slice()`) fails the record's validation, and withRun has no caller
 * left to tell, so it becomes U+FFFD and the record's Notes say where.
 *
 * @example
 * ```ts
 * import { wellFormedReport } from "./run_handle.ts";
 * wellFormedReport({ status: "SUCCESS", notes: "cut \ud83d" }).notes;
 * // "cut \ufffd | run.notes held a lone UTF-16 surrogate, recorded as U+FFFD"
 * ```
 */
export function wellFormedReport(report: FinishReport): FinishReport {
  const fixed: string[] = [];
  const mend = (text: unknown, name: string) => {
    if (typeof text !== "string" || text.isWellFormed()) return text as string | undefined;
    fixed.push(name);
    return text.toWellFormed();
  };
  const error = mend(report.error, "run.error");
  const notes = mend(report.notes, "run.notes");
  const outputs = report.outputs?.map((p) => mend(p, "run.output()") as string);
  if (fixed.length === 0) return report;
  const note = `${[...new Set(fixed)].join(", ")} held a lone UTF-16 surrogate, recorded as U+FFFD`;
  return { ...report, error, outputs, notes: notes ? `${notes} | ${note}` : note };
}

/**
 * A warning of withRun's on stderr; one stderr cannot take (a full disk) is said nowhere.
 *
 * @example
 * ```ts
 * import { sayQuietly } from "./run_handle.ts";
 * sayQuietly("run not recorded: …"); // "runrec: warning: run not recorded: …" on stderr
 * ```
 */
export function sayQuietly(warning: string): void {
  try {
    // One line, as every warning: a callback's thrown message may hold line breaks.
    console.error(`runrec: warning: ${oneLine(warning)}`);
  } catch { /* said nowhere: it must not stand in for the work's value or error */ }
}
