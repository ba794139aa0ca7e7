/**
 * The shape of what a script passes to the library's entry points, checked
 * before anything is read or written: TypeScript's types do not reach a
 * plain JavaScript caller, a JSON file or an `any`, and a wrong type must be
 * an {@linkcode InputError} naming the option, not a TypeError from deep
 * inside (`given.some is not a function`) or a record half written.
 *
 * @module
 */
import { InputError } from "./errors.ts";
import {
  checkFunctionArgument,
  checkOptions,
  checkPathArgument,
  checkPathsArgument,
  EXPECTED,
  fits,
  type OptionKind,
  refuseInherited,
  shownValue,
} from "./argument_kinds.ts";
import { refusePlaceholders } from "./placeholders.ts";
import type { RunEnd, RunOptions, RunReport, RunStartState, StartOptions } from "./hook.ts";
import type { FinishOptions, FinishReport } from "./finish_report.ts";
import type { ReapOptions, StartRunOptions, WithRunOptions } from "./run_options.ts";
import type { StaleOptions } from "./stale.ts";
import type { AppendOptions } from "./append_types.ts";
import type { CollectOptions, ExportedRun } from "./export/runs.ts";
import { type FieldKind, FIELDS } from "./schema.ts";
import type { GovernedOptions } from "./inputs.ts";
import type { CheckOptions } from "./reader.ts";
import type { VerifyFileOptions } from "./verify_file.ts";
import type { ResolveOptions } from "./targets.ts";
import type { AnnotationEffect } from "./annotations.ts";

/**
 * {@linkcode checkOptions}, and no option but those of `kinds`: a script's
 * misspelt option (`input` for `inputs`) would otherwise record a run
 * without its inputs. No word option may hold an unfilled placeholder
 * (placeholders.ts). For the options a script passes to the library's
 * entry points (runrec's own modules pass wider objects between them).
 */
function checkEntryOptions(
  where: string,
  name: string,
  value: unknown,
  kinds: Readonly<Record<string, OptionKind>>,
  required: readonly string[] = [],
): void {
  checkOptions(where, name, value, kinds, required);
  refuseOtherOptions(where, name, value as object, kinds);
  refusePlaceholders(value as Record<string, unknown>);
}

/** Throws {@linkcode InputError} naming the first option of `value` that `kinds` does not list. */
function refuseOtherOptions(
  where: string,
  name: string,
  value: object,
  kinds: Readonly<Record<string, OptionKind>>,
): void {
  const other = Object.keys(value).find((key) => !Object.hasOwn(kinds, key));
  if (other !== undefined) {
    throw new InputError(
      `${where}: ${name}.${other}: not an option (the options are ${
        Object.keys(kinds).join(", ")
      })`,
      { field: `${name}.${other}` },
    );
  }
}

// Each table names every field of its interface: one added there and not here does not compile.

/** The options of a one-step run (`recordRun`, `emitRecord`: hook.ts `RunReport`). */
const RUN_REPORT: Record<keyof RunReport, OptionKind> = {
  agent: "text",
  status: "text",
  inputs: "paths",
  outputs: "paths",
  pass: "text",
  started: "text",
  duration: "text",
  durationMs: "number",
  statusBefore: "text",
  statusAfter: "text",
  error: "text",
  notes: "text",
  outputHashes: "hashes",
  agentsDir: "text",
  allowOutside: "flag",
};

/** The options of a run's start (`startRun`, `withRun`: run.ts `StartRunOptions`). */
const START_OPTIONS: Record<keyof StartRunOptions, OptionKind> = {
  agent: "text",
  inputs: "paths",
  pass: "text",
  pid: "number",
  mayCreate: "flag",
  allowOutside: "flag",
};

/** The options of an append (store.ts `AppendOptions`, whose `checkAppendOptions` checks values). */
const APPEND_OPTIONS: Record<keyof AppendOptions, OptionKind> = {
  fsync: "flag",
  holder: "text",
  leaseSeconds: "number",
  lockWaitMs: "number",
  onLockWait: "function",
};

/** The options of a write that may spool (hook.ts `RunOptions`). */
const RUN_OPTIONS: Record<keyof RunOptions, OptionKind> = { ...APPEND_OPTIONS, spool: "flag" };

/** The options of `finishRun` and `finishPendingRun` (run.ts `FinishOptions`). */
const FINISH_OPTIONS: Record<keyof FinishOptions, OptionKind> = {
  ...RUN_OPTIONS,
  print: "function",
};

/** The options of `reapRuns` (reap.ts `ReapOptions`). */
const REAP_OPTIONS: Record<keyof ReapOptions, OptionKind> = {
  ...RUN_OPTIONS,
  olderThanMs: "number",
  now: "number",
};

/** The options of `withRun` (run.ts `WithRunOptions`): a start's, a write's, and `onOutcome`. */
const WITH_RUN_OPTIONS: Record<keyof WithRunOptions, OptionKind> = {
  agent: "text",
  inputs: "paths",
  pass: "text",
  mayCreate: "flag",
  allowOutside: "flag",
  ...RUN_OPTIONS,
  onOutcome: "function",
};

/** The options of a run's end (`finishRun`: run.ts `FinishReport`). */
const FINISH_REPORT: Record<keyof FinishReport, OptionKind> = {
  status: "text",
  agent: "text",
  outputs: "paths",
  outputHashes: "hashes",
  error: "text",
  notes: "text",
  agentsDir: "text",
};

/** The options of `checkStaleness` (stale.ts `StaleOptions`). */
const STALE_OPTIONS: Record<keyof StaleOptions, OptionKind> = {
  agents: "names",
  propagate: "flag",
  isBaseline: "function",
  workers: "number",
  allowOutside: "flag",
  onProgress: "function",
};

/**
 * Checks the arguments of `checkStaleness`: the targets and the options;
 * throws {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkStaleArguments } from "./argument_checks.ts";
 * checkStaleArguments(["examples"], { agents: ["4_DOCUMENTS"], propagate: true });
 * ```
 */
export function checkStaleArguments(targets: unknown, options: unknown): void {
  checkPathsArgument(targets, "targets");
  // An empty list (a glob that matched nothing) would check nothing and pass a gate (trial-w F6).
  if ((targets as unknown[]).length === 0) {
    throw new InputError("checkStaleness(): targets: no folder given (nothing would be checked)", {
      field: "targets",
    });
  }
  checkEntryOptions("checkStaleness", "options", options, STALE_OPTIONS);
  const { workers, agents } = options as StaleOptions;
  // 1.5 threads were 1, -1 none, and 1e9 ran the process out of memory starting them.
  if (workers !== undefined && !isWorkerCount(workers)) {
    throw new InputError(
      `checkStaleness: options.workers: must be a whole number of threads from 0 to ${MAX_WORKERS}` +
        `, got ${shownValue(workers)}`,
      { field: "options.workers" },
    );
  }
  // As no targets: no agent checked, a report with no check in it passes a gate.
  if (agents?.length === 0) {
    throw new InputError(
      "checkStaleness: options.agents: an empty list (no agent would be checked; leave it out " +
        "to check every agent)",
      { field: "options.agents" },
    );
  }
}

/**
 * The most worker threads a caller may ask for (`checkRecordFile`,
 * `checkStaleness`): the default is at most 3, and each thread holds its own
 * engine's memory.
 */
export const MAX_WORKERS = 16;

/**
 * Whether `count` is a number of worker threads one may ask for: a whole
 * number from 0 to {@linkcode MAX_WORKERS}.
 *
 * @example
 * ```ts
 * import { isWorkerCount } from "./argument_checks.ts";
 * isWorkerCount(2); // true
 * isWorkerCount(1e9); // false
 * ```
 */
export function isWorkerCount(count: unknown): boolean {
  return Number.isSafeInteger(count) && (count as number) >= 0 && (count as number) <= MAX_WORKERS;
}

/** Throws {@linkcode InputError} unless `value`, when given, is a whole number, 0 or more. */
function refuseNotWhole(where: string, name: string, value: unknown, what: string): void {
  if (value === undefined || (Number.isSafeInteger(value) && (value as number) >= 0)) return;
  throw new InputError(`${where}: ${name}: must be ${what}, 0 or more, got ${shownValue(value)}`, {
    field: name,
  });
}

/**
 * Checks the arguments of `recordRun` and `emitRecord`: the deliverable
 * folder's path and the report's options; throws {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkRunReport } from "./argument_checks.ts";
 * checkRunReport("DEL-01-02_Flow", { agent: "X", status: "SUCCESS" });
 * ```
 */
export function checkRunReport(delDir: unknown, report: unknown): void {
  checkPathArgument(delDir, "delDir");
  checkEntryOptions(delDir, "report", report, RUN_REPORT, ["agent", "status"]);
}

/**
 * Checks the arguments of `startRun` and `withRun`; throws {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkStartArguments } from "./argument_checks.ts";
 * checkStartArguments("DEL-01-02_Flow", { agent: "X", inputs: ["a.md"] });
 * ```
 */
export function checkStartArguments(delDir: unknown, options: unknown): void {
  checkPathArgument(delDir, "delDir");
  checkEntryOptions(delDir, "options", options, START_OPTIONS, ["agent"]);
}

/**
 * Throws {@linkcode InputError} when the write options a script passes to
 * `recordRun` or `finishRun` (`RunOptions`), or with `spools` false to
 * `emitRecord` (`AppendOptions`: it never spools), hold one that is not an
 * option: a misspelt `fsnyc` would otherwise be ignored. Their values are
 * checked by store.ts `checkAppendOptions`.
 *
 * @example
 * ```ts
 * import { checkWriteOptions } from "./argument_checks.ts";
 * checkWriteOptions("DEL-01-02_Flow", { fsync: false, lockWaitMs: 500 });
 * ```
 */
export function checkWriteOptions(where: string, options: unknown, spools = true): void {
  checkOptionNames(where, options, spools ? RUN_OPTIONS : APPEND_OPTIONS);
}

/**
 * Throws {@linkcode InputError} unless `options` is an object holding only
 * options of `kinds`, each its own field; their values are checked elsewhere.
 */
function checkOptionNames(
  where: string,
  options: unknown,
  kinds: Readonly<Record<string, OptionKind>>,
): void {
  if (!fits(options, "object")) {
    throw new InputError(
      `${where}: options: must be ${EXPECTED.object}, got ${shownValue(options)}`,
      { field: "options" },
    );
  }
  refuseInherited(where, "options", options as object, kinds);
  refuseOtherOptions(where, "options", options as object, kinds);
}

/**
 * Throws {@linkcode InputError} when the options a script passes to
 * `finishRun` or `finishPendingRun` (`FinishOptions`: a write's and `print`)
 * hold one that is not an option.
 *
 * @example
 * ```ts
 * import { checkFinishOptions } from "./argument_checks.ts";
 * checkFinishOptions("DEL-01-02_Flow", { fsync: false, print: () => true });
 * ```
 */
export function checkFinishOptions(where: string, options: unknown): void {
  checkOptionNames(where, options, FINISH_OPTIONS);
}

/**
 * Checks the arguments of `finishPendingRun`: the token or folder, the run
 * id, the report's options and the write's; throws {@linkcode InputError}
 * before the run is claimed.
 *
 * @example
 * ```ts
 * import { checkFinishPendingArguments } from "./argument_checks.ts";
 * checkFinishPendingArguments("DEL-01-02_Flow", undefined, { status: "SUCCESS" }, {});
 * ```
 */
export function checkFinishPendingArguments(
  target: unknown,
  run: unknown,
  report: unknown,
  options: unknown,
): void {
  // An empty token or run id is the caller's to explain (finish names what it is).
  for (const [name, value] of [["target", target], ["run", run ?? ""]] as const) {
    if (!fits(value, "text")) {
      throw new InputError(`${name}: must be ${EXPECTED.text}, got ${shownValue(value)}`, {
        field: name,
      });
    }
  }
  checkEntryOptions(target as string, "report", report, FINISH_REPORT, ["status"]);
  checkFinishOptions(target as string, options);
}

/**
 * Checks the arguments of `reapRuns`; throws {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkReapArguments } from "./argument_checks.ts";
 * checkReapArguments(["."], { olderThanMs: 86_400_000 });
 * ```
 */
export function checkReapArguments(targets: unknown, options: unknown): void {
  checkPathsArgument(targets, "targets");
  checkEntryOptions("reapRuns", "options", options, REAP_OPTIONS);
  const { olderThanMs, now } = options as ReapOptions;
  // NaN reaped nothing, said nothing; -1 was a RangeError from the message's duration.
  refuseNotWhole("reapRuns", "options.olderThanMs", olderThanMs, "a whole number of milliseconds");
  if (now !== undefined && !Number.isFinite(now)) {
    throw new InputError(
      `reapRuns: options.now: must be a time in ms since the epoch, got ${shownValue(now)}`,
      { field: "options.now" },
    );
  }
}

/**
 * Checks the arguments of `replaySpool`: no folder, a folder or a list of
 * them, an append's options, and a function for `onReplayed`; throws {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkReplayArguments } from "./argument_checks.ts";
 * checkReplayArguments(["DEL-01-02_Flow"], { lockWaitMs: 500 });
 * ```
 */
export function checkReplayArguments(
  delDirs: unknown,
  options: unknown,
  onReplayed?: unknown,
): void {
  if (typeof delDirs === "string") checkPathArgument(delDirs, "delDirs");
  else if (delDirs !== undefined) checkPathsArgument(delDirs, "delDirs");
  checkEntryOptions("replaySpool", "options", options, APPEND_OPTIONS);
  if (onReplayed !== undefined) checkFunctionArgument(onReplayed, "onReplayed");
}

/**
 * Checks the arguments of `replayLostRecords`: the file's path and an
 * append's options; throws {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkReplayLostArguments } from "./argument_checks.ts";
 * checkReplayLostArguments("lost-records.txt", {});
 * ```
 */
export function checkReplayLostArguments(file: unknown, options: unknown): void {
  checkPathArgument(file, "file");
  checkEntryOptions("replayLostRecords", "options", options, APPEND_OPTIONS);
}

/**
 * Checks the arguments of `withRun` but its work: the deliverable folder's
 * path and the options of its start and its write; throws {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkWithRunArguments } from "./argument_checks.ts";
 * checkWithRunArguments("DEL-01-02_Flow", { agent: "X", inputs: ["a.md"], fsync: false });
 * ```
 */
export function checkWithRunArguments(delDir: unknown, options: unknown): void {
  checkPathArgument(delDir, "delDir");
  checkEntryOptions(delDir, "options", options, WITH_RUN_OPTIONS, ["agent"]);
}

/**
 * Checks the arguments of `finishRun`: a run `startRun` returned, and the
 * report's options; throws {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkFinishArguments } from "./argument_checks.ts";
 * declare const started: import("./run.ts").StartedRun;
 * checkFinishArguments(started, { status: "SUCCESS" });
 * ```
 */
export function checkFinishArguments(started: unknown, report: unknown): void {
  const run = (started as { run?: unknown } | null)?.run as
    | { id?: unknown; agent?: unknown; start?: unknown }
    | undefined;
  const delDir = (started as { delDir?: unknown } | null)?.delDir;
  if (
    typeof delDir !== "string" || typeof run?.id !== "string" ||
    typeof run.agent !== "string" || !fits(run.start, "object")
  ) {
    throw new InputError(`started: must be the run startRun returned, got ${shownValue(started)}`, {
      field: "started",
    });
  }
  checkEntryOptions(delDir, "report", report, FINISH_REPORT, ["status"]);
}

/** The options of `captureStart` (hook.ts `StartOptions`). */
const CAPTURE_OPTIONS: Record<keyof StartOptions, OptionKind> = {
  inputs: "paths",
  started: "text",
  statusBefore: "text",
  allowOutside: "flag",
  mayCreate: "flag",
};

/** What `completeDraft` needs of a run's start (hook.ts `RunStartState`). */
const START_STATE: Record<keyof RunStartState, OptionKind> = {
  started: "text",
  statusBefore: "text",
  inputFiles: "paths",
  inputHashes: "hashes",
  notes: "paths",
  warnings: "paths",
  allowOutside: "flag",
  inputsUnknown: "flag",
  startedUptimeMs: "number",
};

/** What `completeDraft` needs of a run's end (hook.ts `RunEnd`). */
const RUN_END: Record<keyof RunEnd, OptionKind> = {
  agent: "text",
  status: "text",
  pass: "text",
  outputs: "paths",
  outputHashes: "hashes",
  statusAfter: "text",
  agentsDir: "text",
  error: "text",
  notes: "text",
  duration: "text",
  durationMs: "number",
  filesAtStart: "paths",
  foldersAtStart: "paths",
  foldersUnlistedAtStart: "paths",
  cwdAtStart: "path",
};

/**
 * Checks the arguments of `captureStart`; throws {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkCaptureArguments } from "./argument_checks.ts";
 * checkCaptureArguments("DEL-01-02_Flow", { inputs: ["a.md"] });
 * ```
 */
export function checkCaptureArguments(delDir: unknown, options: unknown): void {
  checkPathArgument(delDir, "delDir");
  checkOptions(delDir, "options", options, CAPTURE_OPTIONS);
}

/**
 * Checks the arguments of `completeDraft`: a start `captureStart` returned
 * and the run's end; throws {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkCompleteArguments } from "./argument_checks.ts";
 * declare const start: import("./hook.ts").RunStartState;
 * checkCompleteArguments("DEL-01-02_Flow", start, { agent: "X", status: "SUCCESS" });
 * ```
 */
export function checkCompleteArguments(delDir: unknown, start: unknown, end: unknown): void {
  checkPathArgument(delDir, "delDir");
  checkOptions(delDir, "start", start, START_STATE, [
    "started",
    "statusBefore",
    "inputFiles",
    "inputHashes",
    "notes",
  ]);
  const { startedUptimeMs } = start as RunStartState;
  refuseNotWhole(String(delDir), "start.startedUptimeMs", startedUptimeMs, "a whole number of ms");
  checkOptions(delDir, "end", end, RUN_END, ["agent", "status"]);
}

/**
 * Checks the arguments of `writeRun`: a record `completeDraft` built;
 * throws {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkWriteArguments } from "./argument_checks.ts";
 * declare const built: import("./hook.ts").BuiltRecord;
 * checkWriteArguments("DEL-01-02_Flow", built);
 * ```
 */
export function checkWriteArguments(delDir: unknown, built: unknown): void {
  checkPathArgument(delDir, "delDir");
  checkOptions(delDir, "built", built, { draft: "object", notes: "paths" }, ["draft", "notes"]);
}

/** The options of `collectRuns` (export/runs.ts `CollectOptions`). */
const COLLECT_OPTIONS: Record<keyof CollectOptions, OptionKind> = {
  namespace: "text",
  warn: "function",
  unreadable: "function",
};

/**
 * Checks the arguments of `collectRuns`: the targets (a list, not one path:
 * a string would be read as one target per character) and the options;
 * throws {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkCollectArguments } from "./argument_checks.ts";
 * checkCollectArguments(["examples"], { warn: console.error, namespace: "github.com/acme/plant" });
 * ```
 */
export function checkCollectArguments(targets: unknown, options: unknown): void {
  checkPathsArgument(targets, "targets");
  checkEntryOptions("collectRuns", "options", options, COLLECT_OPTIONS, ["warn"]);
}

/**
 * Throws {@linkcode InputError} unless `value` is a list of runs as
 * `collectRuns` returns them (`openLineageEvents`, `provDocument`).
 *
 * @example
 * ```ts
 * import { checkRunsArgument } from "./argument_checks.ts";
 * checkRunsArgument([], "runs"); // fine
 * ```
 */
export function checkRunsArgument(value: unknown, name: string): void {
  if (!Array.isArray(value)) {
    throw new InputError(
      `${name}: must be a list of runs (collectRuns' result), got ${shownValue(value)}`,
      { field: name },
    );
  }
  // Array.from: a hole is a run missing, not one skipped (every() skips holes).
  Array.from(value).forEach((run, at) => checkRun(run, `${name}[${at}]`));
}

/** What an export reads of a run (export/runs.ts `ExportedRun`), and of its record. */
const EXPORTED_RUN: Record<keyof ExportedRun, OptionKind> = {
  record: "object",
  namespace: "text",
  base: "text",
  folder: "text",
  file: "text",
  line: "number",
  runName: "text",
  startMs: "number",
  endMs: "number",
  annotations: "list",
  extras: "list",
};

/** What each kind of a record's field holds (schema.ts `FIELDS`). */
const RECORD_FIELD: Record<FieldKind, OptionKind> = {
  text: "text",
  list: "paths",
  hashes: "hashes",
};

/** Throws {@linkcode InputError} naming the first field of `run` that is no run's. */
function checkRun(run: unknown, name: string): void {
  const wrong = (field: string, value: unknown, kind: OptionKind) =>
    new InputError(
      `${name}${field}: must be ${EXPECTED[kind]}, got ${shownValue(value)} (a run as ` +
        "collectRuns returns it)",
      { field: `${name}${field}` },
    );
  if (!fits(run, "object")) throw wrong("", run, "object");
  for (const [field, kind] of Object.entries(EXPORTED_RUN)) {
    const value = (run as Record<string, unknown>)[field];
    if (!fits(value, kind)) throw wrong(`.${field}`, value, kind);
  }
  const record = (run as { record: Record<string, unknown> }).record;
  for (const { name: field, kind } of FIELDS) {
    const value = record[field];
    if (!fits(value, RECORD_FIELD[kind])) {
      throw wrong(`.record.${field}`, value, RECORD_FIELD[kind]);
    }
  }
}

// The read functions' options: a misspelt one (`allowOutsid`) is refused as the write
// functions' are, never ignored (library-sweep F7). runrec's own callers pass these exactly,
// or call the unchecked function beneath (inputs.ts `governedInputsIn`).

/** The options of `governedInputs` (inputs.ts `GovernedOptions`). */
const GOVERNED_OPTIONS: Record<keyof GovernedOptions, OptionKind> = {
  hash: "function",
  gitRoot: "path",
  executionRoot: "path",
  allowOutside: "flag",
  mayCreate: "flag",
};

/**
 * Checks the arguments of `governedInputs`: the deliverable folder's path,
 * the inputs and the options; throws {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkGovernedArguments } from "./argument_checks.ts";
 * checkGovernedArguments("DEL-01-02_Flow", ["_CONTEXT.md"], { allowOutside: true });
 * ```
 */
export function checkGovernedArguments(delDir: unknown, inputs: unknown, options: unknown): void {
  checkPathArgument(delDir, "delDir");
  checkPathsArgument(inputs, "inputs");
  checkEntryOptions("governedInputs", "options", options, GOVERNED_OPTIONS);
}

/** The options of `checkRecordFile` (reader.ts `CheckOptions`). */
const CHECK_FILE_OPTIONS: Record<keyof CheckOptions, OptionKind> = { workers: "number" };

/**
 * Checks the arguments of `checkRecordFile`: the file's path and the
 * options (the number of workers is checked where it is used); throws
 * {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkCheckFileArguments } from "./argument_checks.ts";
 * checkCheckFileArguments("RunRecords.csv", { workers: 0 });
 * ```
 */
export function checkCheckFileArguments(path: unknown, options: unknown): void {
  checkPathArgument(path, "path");
  checkEntryOptions("checkRecordFile", "options", options, CHECK_FILE_OPTIONS);
}

/** The options of `verifyRecordFile` (verify_file.ts `VerifyFileOptions`). */
const VERIFY_FILE_OPTIONS: Record<keyof VerifyFileOptions, OptionKind> = {
  deliverableId: "text",
  collidedBefore: "object",
};

/**
 * Checks the arguments of `verifyRecordFile`: the file's path, the function
 * told each problem and the options; throws {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkVerifyFileArguments } from "./argument_checks.ts";
 * checkVerifyFileArguments("RunRecords.csv", () => {}, { deliverableId: "DEL-01-02" });
 * ```
 */
export function checkVerifyFileArguments(
  path: unknown,
  onProblem: unknown,
  options: unknown,
): void {
  checkPathArgument(path, "path");
  checkFunctionArgument(onProblem, "onProblem");
  checkEntryOptions("verifyRecordFile", "options", options, VERIFY_FILE_OPTIONS);
  // Read only when the file repeats a RunID: a wrong one would fail then, from inside.
  const { collidedBefore } = options as VerifyFileOptions;
  if (collidedBefore !== undefined) {
    checkOptions("verifyRecordFile", "options.collidedBefore", collidedBefore, {
      ids: "function",
      revision: "word",
    }, ["ids", "revision"]);
  }
}

/** The options of `resolveTargets` (targets.ts `ResolveOptions`). */
const RESOLVE_OPTIONS: Record<keyof ResolveOptions, OptionKind> = {
  keepUnreadable: "flag",
  skippedToolRoot: "function",
  historyToo: "flag",
};

/**
 * Checks the arguments of `resolveTargets`: the targets and the options;
 * throws {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkResolveArguments } from "./argument_checks.ts";
 * checkResolveArguments(["examples"], { keepUnreadable: true });
 * ```
 */
export function checkResolveArguments(targets: unknown, options: unknown): void {
  checkPathsArgument(targets, "targets");
  checkEntryOptions("resolveTargets", "options", options, RESOLVE_OPTIONS);
}

/**
 * Checks the options of `verifyHistories` (`unlisted`, the folders that
 * cannot be listed); throws {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkHistoriesOptions } from "./argument_checks.ts";
 * checkHistoriesOptions({ unlisted: ["DEL-01-02_Flow/locked"] });
 * ```
 */
export function checkHistoriesOptions(options: unknown): void {
  checkEntryOptions("verifyHistories", "options", options, { unlisted: "paths" });
}

/** What an annotation says (annotations.ts `AnnotationEffect`). */
const ANNOTATION_EFFECT: Record<keyof AnnotationEffect, OptionKind> = {
  invalidates: "flag",
  supersedes: "text",
  record: "text",
  supersedesRecord: "text",
};

/**
 * Checks the effect and the write options of `appendAnnotation`: a misspelt
 * `invalidate` would otherwise write a plain note, for good (the store is
 * append-only); throws {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { checkAnnotationOptions } from "./argument_checks.ts";
 * checkAnnotationOptions("DEL-01-02_Flow", { invalidates: true }, { lockWaitMs: 500 });
 * ```
 */
export function checkAnnotationOptions(where: string, effect: unknown, options: unknown): void {
  checkEntryOptions(where, "effect", effect, ANNOTATION_EFFECT);
  checkOptionNames(where, options, APPEND_OPTIONS);
}
