/**
 * runrec: the run record store for agent pipelines that keep their state as
 * plain files in git. One record per agent run, appended to
 * `RunRecords.csv` in the deliverable folder: crash-safe, append-only,
 * content-hashed, and checkable. The `runrec` command line is a thin layer
 * over these functions.
 *
 * Permissions: what judges or records a deliverable needs `--allow-read` of
 * its project (the execution root or git work tree holding it, with the
 * folders up to it); what records needs `--allow-write` of the deliverable
 * folder and `--allow-sys=hostname` too. Less is an `InputError` naming the
 * flag, thrown before anything is read or written; but `recordRun`, which
 * never throws for a record it could not write, returns it as `lost` (its
 * line, to be saved and flushed later). `--allow-env` lets a
 * record that cannot be written wait in the `$TMPDIR` spool; `--allow-run`
 * lets `verifyHistory` run `git`, and a writer ask whether a lock's holder
 * on this host still runs (without it the lease decides); `--allow-sys=osUptime`
 * lets it tell that holder from a reused pid, and a run's duration, by the
 * host's uptime, which a wall clock stepped meanwhile (NTP, a VM snapshot)
 * does not move (without it the wall clock decides). GitHead needs no
 * `--allow-run`: it is read from `.git`'s files (only a repository in git's
 * reftable format is asked through `git`).
 *
 * Arguments: each function checks its arguments before it reads or writes
 * anything. A wrong type, a list with holes, a misspelt option, or a field a
 * report or options object inherits rather than holds as its own (runrec
 * reads what `JSON.stringify` would write: a plain object's own fields) is an
 * `InputError` naming the argument, as `report.inputs`, in its message and
 * in its `field`; one for a file or folder (a deliverable folder gone, a
 * record file that cannot be read) names it in its `path` too. A message is
 * one line (a name's line break is written `\n`). A callback the script gives
 * (`isBaseline`, `warn`, `onProgress`) that throws rejects the call with its
 * own error, never one blamed on a file; a notice's (`onLockWait`, `withRun`'s
 * `onOutcome`) is said as a warning, and the call goes on.
 *
 * Output: a library call prints nothing on stdout. On stderr it prints
 * only what the CLI would say as a note or warning (`runrec: note: skipped
 * .worktrees/agent-1: another worktree of this repository; name it to check
 * it`, a tool root's record files not read, a record put back that a git
 * command had dropped, a relative `$TMPDIR` not used), when it meets it, and
 * what `withRun` says (by default its outcome's warnings; a finish that threw),
 * and an `onLockWait` that threw.
 * A note stderr cannot take (a full disk) is dropped: it fails no call.
 *
 * Recording and checking read and write files synchronously (a record is
 * hashed, locked and written in one go): the event loop waits meanwhile,
 * about 0.1 s for a typical run, longer for large inputs. A script that
 * must stay responsive (timers, a server) calls runrec from a `Worker`.
 *
 * Each example below makes the deliverable folder it needs in a temporary
 * folder (in a project it is `PKG-01_…/1_Working/DEL-01-02_…`), so each runs
 * as written (`deno test --doc mod.ts`). The examples on single functions
 * run as written from the top folder of a copy of `examples/` (README's
 * library section), on its deliverable DEL-01-02; the few that need more say
 * so first (a git clone, a file of saved lines). All import the package by
 * its name, `@runrec/runrec`; until it is published, import the `mod.ts` of a
 * checkout instead (README).
 *
 * @example Record a run in one step (a failed write is spooled, never thrown)
 * ```ts
 * import { recordRun } from "@runrec/runrec";
 *
 * const root = await Deno.makeTempDir();
 * const dir = `${root}/DEL-01-02_Flow_Meter`;
 * await Deno.mkdir(dir);
 * await Deno.writeTextFile(`${dir}/_CONTEXT.md`, "# Context: DEL-01-02\n");
 * await Deno.writeTextFile(`${dir}/Datasheet.md`, "# Datasheet\n");
 *
 * const outcome = await recordRun(dir, {
 *   agent: "4_DOCUMENTS",
 *   status: "SUCCESS",
 *   inputs: ["_CONTEXT.md"],
 *   outputs: ["Datasheet.md"],
 *   durationMs: 154_500,
 * });
 * for (const warning of outcome.warnings) console.error(`runrec: warning: ${warning}`);
 * if (outcome.lost) console.error(outcome.lost); // the only copy of the record: save it
 * console.log(outcome.written?.record.RunID); // RUN-DEL-01-02-<date>-<time>-001
 * await Deno.remove(root, { recursive: true });
 * ```
 *
 * `emitRecord` does the same but throws when the record cannot be written,
 * for callers that handle that themselves.
 *
 * @example Record a script's run with `withRun` (inputs hashed before, outputs after), and read it back
 * ```ts
 * import { readRecords, withRun } from "@runrec/runrec";
 *
 * const root = await Deno.makeTempDir();
 * const dir = `${root}/DEL-01-02_Flow_Meter`;
 * await Deno.mkdir(dir);
 * await Deno.writeTextFile(`${dir}/_CONTEXT.md`, "# Context: DEL-01-02\n");
 *
 * await withRun(dir, { agent: "4_DOCUMENTS", inputs: ["_CONTEXT.md"] }, async (run) => {
 *   await Deno.writeTextFile(`${dir}/Datasheet.md`, "# Datasheet\n");
 *   run.output("Datasheet.md");
 *   // run.status = "PARTIAL"; run.error = "..."  for another outcome; a throw records FAILED
 * });
 *
 * for await (const event of readRecords(`${dir}/RunRecords.csv`)) {
 *   if (event.kind === "record") {
 *     console.log(event.record.AgentName, event.record.RunStatus); // 4_DOCUMENTS SUCCESS
 *   } else console.error(`line ${event.line}: ${event.message}`);
 * }
 * await Deno.remove(root, { recursive: true });
 * ```
 *
 * @example Start a run before the agent works and finish it after
 * ```ts
 * import { finishRun, startRun } from "@runrec/runrec";
 *
 * const root = await Deno.makeTempDir();
 * const dir = `${root}/DEL-01-02_Flow_Meter`;
 * await Deno.mkdir(dir);
 * await Deno.writeTextFile(`${dir}/_CONTEXT.md`, "# Context: DEL-01-02\n");
 *
 * const started = await startRun(dir, { agent: "4_DOCUMENTS", inputs: ["_CONTEXT.md"] });
 * await Deno.writeTextFile(`${dir}/Datasheet.md`, "# Datasheet\n"); // the agent's work
 * const outcome = await finishRun(started, { status: "SUCCESS", outputs: ["Datasheet.md"] });
 * console.log(outcome.written?.record.RunStatus); // SUCCESS
 * await Deno.remove(root, { recursive: true });
 * ```
 *
 * `finishPendingRun` finishes a run that another process started (`runrec
 * start`), by its token or id. `replaySpool` appends the records that waited
 * in a spool (`runrec flush`), `replayLostRecords` those of saved lost-record
 * lines (`runrec flush --from`), and `reapRuns` records as FAILED the runs
 * whose agent died (`runrec reap`).
 *
 * @example Check a record file (runrec validate, verify, verify --since) and annotate a run
 * ```ts
 * import {
 *   annotationsOf,
 *   appendAnnotation,
 *   checkRecordFile,
 *   recordRun,
 *   verifyHistories,
 *   verifyRecordFile,
 * } from "@runrec/runrec";
 *
 * const root = await Deno.makeTempDir();
 * const dir = `${root}/DEL-01-02_Flow_Meter`;
 * await Deno.mkdir(dir);
 * const file = `${dir}/RunRecords.csv`;
 * const first = await recordRun(dir, { agent: "4_DOCUMENTS", status: "SUCCESS" });
 * const git = (...args: string[]) => new Deno.Command("git", { args, cwd: root }).output();
 * await git("init", "-q");
 * await git("add", ".");
 * await git("-c", "user.name=A", "-c", "user.email=a@example.com", "commit", "-qm", "first run");
 *
 * // validate: every line against the schema, and the lifecycle rules
 * for await (const batch of checkRecordFile(file)) {
 *   for (const problem of batch.problems) console.error(`${file}:${problem.line}: ${problem.message}`);
 * }
 * // verify: the header, every line's checksum, no RunID naming two records
 * const integrity = await verifyRecordFile(file, (p) => console.error(`${file}:${p.line}: ${p.message}`));
 * console.log(integrity.records, integrity.errors); // 1 0
 *
 * // annotate: an annotation is a record too, appended like any other
 * const runId = first.written!.record.RunID;
 * await appendAnnotation(dir, runId, { invalidates: true }, "ran on the wrong decomposition");
 * console.log((await annotationsOf(file)).get(runId)?.map((a) => a.kind)); // ["invalidated"]
 *
 * // verify --since: every version of the file since the revision only appended to the one before
 * const { histories, gone } = await verifyHistories([root], [file], "HEAD");
 * console.log(histories.get(file)?.failure, gone); // undefined []
 * await Deno.remove(root, { recursive: true });
 * ```
 *
 * @example Staleness (runrec stale), the input hash (runrec hash) and export (runrec export)
 * ```ts
 * import {
 *   checkStaleness,
 *   collectRuns,
 *   governedInputs,
 *   inputContextSha,
 *   openLineageEvents,
 *   recordRun,
 *   sortedJson,
 * } from "@runrec/runrec";
 *
 * const root = await Deno.makeTempDir();
 * const dir = `${root}/DEL-01-02_Flow_Meter`;
 * await Deno.mkdir(dir);
 * await Deno.writeTextFile(`${dir}/_CONTEXT.md`, "# Context: DEL-01-02\n");
 * await recordRun(dir, { agent: "4_DOCUMENTS", status: "SUCCESS", inputs: ["_CONTEXT.md"] });
 *
 * await Deno.writeTextFile(`${dir}/_CONTEXT.md`, "# Context: DEL-01-02\nRevised.\n");
 * const report = await checkStaleness([root]);
 * for (const check of report.checks) {
 *   console.log(check.verdict, check.agent, check.inputs.map((change) => change.path));
 * } // DIRTY 4_DOCUMENTS ["_CONTEXT.md"]
 *
 * const { hashes } = await governedInputs(dir, ["_CONTEXT.md"]);
 * console.log(inputContextSha(hashes)); // the InputContextSHA a run reading them now records
 *
 * const runs = await collectRuns([root], { warn: (message) => console.error(message) });
 * for (const event of openLineageEvents(runs)) console.log(sortedJson(event)); // JSON Lines
 * await Deno.remove(root, { recursive: true });
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
  type FinishOptions,
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
export type { FileMark } from "./src/appended.ts";
export { RECORD_FILE } from "./src/deliverable.ts";
export {
  type AppendOptions,
  type AppendResult,
  type RecordDraft,
  WriteError,
} from "./src/append_types.ts";
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
  type AnnotationEffect,
  type AnnotationKind,
  AnnotationRefused,
  annotationsFor,
  annotationsIn,
  annotationsOf,
  type AnnotationSource,
  appendAnnotation,
  isAnnotation,
} from "./src/annotations.ts";

// Staleness (runrec stale).
export {
  type Baseline,
  type ChangeKind,
  checkStaleness,
  type FileChange,
  type RunRef,
  type StaleCheck,
  type StaleDeliverable,
  type StaleOptions,
  type StaleReason,
  type StaleReport,
  type Verdict,
} from "./src/stale.ts";
export type { DependencyEdge } from "./src/dependencies.ts";

// Recovery (runrec flush, runrec reap): records that waited in a spool, runs whose agent died.
export { type DelDirs, type ReplayReport, type RunRecordedAlready } from "./src/spool.ts";
export {
  type LostRecordsReport,
  type OnReplayed,
  replayLostRecords,
  replaySpool,
} from "./src/spool_flush.ts";
export {
  type LeftRun,
  type ReapedRun,
  type ReapOptions,
  type ReapReport,
  reapRuns,
} from "./src/reap.ts";

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
export { CheckFailure, InputError, type InputErrorOptions } from "./src/errors.ts";
