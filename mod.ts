/**
 * runrec: the run record store for agent pipelines that keep their state as
 * plain files in git. One record per agent run, appended to
 * `RunRecords.csv` in the deliverable folder: crash-safe, append-only,
 * content-hashed, and checkable.
 *
 * @example Record a run from a Deno script (never throws for a failed write: it spools)
 * ```ts
 * import { recordRun } from "./mod.ts";
 * const outcome = await recordRun("PKG-01_X/1_Working/DEL-01-02_Y", {
 *   agent: "4_DOCUMENTS",
 *   status: "SUCCESS",
 *   inputs: ["_CONTEXT.md"],
 *   outputs: ["Datasheet.md"],
 *   durationMs: 154_500,
 * });
 * for (const warning of outcome.warnings) console.error(`runrec: warning: ${warning}`);
 * if (outcome.lost) console.error(outcome.lost); // the only copy of the record: save it
 * console.log(outcome.written?.record.RunID);
 * ```
 *
 * `emitRecord` does the same but throws when the record cannot be written,
 * for callers that handle that themselves.
 *
 * @example Record a script's run: inputs hashed before, outputs after
 * ```ts
 * import { withRun } from "./mod.ts";
 * await withRun("PKG-01_X/1_Working/DEL-01-02_Y", {
 *   agent: "4_DOCUMENTS",
 *   inputs: ["_CONTEXT.md", "Datasheet.md"],
 * }, async (run) => {
 *   await Deno.writeTextFile("PKG-01_X/1_Working/DEL-01-02_Y/Datasheet.md", "# Datasheet\n");
 *   run.output("Datasheet.md");
 *   // run.status = "PARTIAL"; run.error = "..."  for another outcome; a throw records FAILED
 * });
 * ```
 *
 * @example Start and finish a run in two steps
 * ```ts
 * import { finishRun, startRun } from "./mod.ts";
 * const started = await startRun("PKG-01_X/1_Working/DEL-01-02_Y", { agent: "DEPENDENCIES" });
 * // ... the agent works ...
 * const outcome = await finishRun(started, { status: "SUCCESS", outputs: ["Dependencies.csv"] });
 * console.log(outcome.written?.record.RunID);
 * ```
 *
 * @example Read records back
 * ```ts
 * import { readRecords } from "./mod.ts";
 * for await (const event of readRecords("PKG-01_X/1_Working/DEL-01-02_Y/RunRecords.csv")) {
 *   if (event.kind === "record") console.log(event.record.RunStatus);
 * }
 * ```
 *
 * @example Export the records beneath a root as OpenLineage events (JSON Lines)
 * ```ts
 * import { collectRuns, openLineageEvents, sortedJson } from "./mod.ts";
 * const runs = await collectRuns(["."], { warn: (message) => console.error(message) });
 * for (const event of openLineageEvents(runs)) console.log(sortedJson(event));
 * ```
 *
 * @module
 */
// Record a run: in one step, or started and finished around the agent's work.
export {
  emitRecord,
  recordRun,
  type RunOptions,
  type RunOutcome,
  type RunReport,
  type RunStartState,
} from "./src/hook.ts";
export {
  finishPendingRun,
  type FinishReport,
  finishRun,
  type RunHandle,
  type StartedRun,
  startRun,
  type StartRunOptions,
  withRun,
  type WithRunOptions,
} from "./src/run.ts";
export type { PendingRun } from "./src/pending.ts";
export {
  type AppendOptions,
  type AppendResult,
  RECORD_FILE,
  type RecordDraft,
  WriteError,
} from "./src/store.ts";
export { type ContentionReport, LockRefusedError, type RefusalKind } from "./src/lock.ts";

// Read and check record files (runrec log, validate, verify).
export {
  type CheckBatch,
  type CheckOptions,
  checkRecordFile,
  firstCopies,
  type LineProblem,
  type LineRecord,
  type ProblemCode,
  type ReadEvent,
  readRecords,
} from "./src/reader.ts";
export { type RecordTarget, type ResolveOptions, resolveTargets } from "./src/targets.ts";
export {
  describeLineProblem,
  type HistoryCheck,
  type HistoryFailure,
  type HistoryResult,
  type IntegrityCheck,
  type IntegrityProblem,
  type IntegrityResult,
  type Rename,
  verifyHistories,
  verifyHistory,
  verifyRecordFile,
} from "./src/verify.ts";
export type { VerifyFileOptions } from "./src/verify_file.ts";
export { GitUnavailableError } from "./src/git.ts";

// Annotations (runrec annotate).
export {
  type Annotation,
  type AnnotationKind,
  AnnotationRefused,
  annotationsIn,
  annotationsOf,
  appendAnnotation,
  isAnnotation,
} from "./src/annotations.ts";

// Staleness (runrec stale).
export {
  type Baseline,
  type ChangeKind,
  checkStaleness,
  type FileChange,
  type StaleCheck,
  type StaleDeliverable,
  type StaleOptions,
  type StaleReport,
  type Verdict,
} from "./src/stale.ts";
export type { DependencyEdge } from "./src/dependencies.ts";

// Export (runrec export).
export { type CollectOptions, collectRuns, type ExportedRun } from "./src/export/runs.ts";
export { openLineageEvents, runUuid } from "./src/export/openlineage.ts";
export { provDocument } from "./src/export/prov.ts";
export { type Json, sortedJson, sortedJsonPretty } from "./src/export/json.ts";

// Hashes (runrec hash).
export { hashFile, hashFiles } from "./src/hash.ts";
export { type GovernedInputs, governedInputs, type GovernedOptions } from "./src/inputs.ts";
export { inputContextSha, manifestText } from "./src/manifest.ts";

// The schema (SCHEMA.md's field table) and durations.
export {
  COLUMNS,
  DELETED,
  DELIVERABLE_ID_PATTERN,
  type FieldKind,
  type FieldProblem,
  FIELDS,
  type FieldSpec,
  HEADER,
  LIFECYCLE_STATES,
  type Requirement,
  RUN_ID_PATTERN,
  RUN_STATUSES,
  type RunRecord,
  type RunStatus,
  SCHEMA_VERSION,
  TBD,
  validateRecord,
} from "./src/schema.ts";
export { formatDuration, parseDuration } from "./src/time.ts";

// Errors.
export { CheckFailure, InputError } from "./src/errors.ts";
