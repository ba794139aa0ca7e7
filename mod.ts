/**
 * runrec: the run record store for agent pipelines that keep their state as
 * plain files in git. One record per agent run, appended to
 * `RunRecords.csv` in the deliverable folder: crash-safe, append-only,
 * content-hashed, and checkable.
 *
 * Permissions: what judges or records a deliverable needs `--allow-read` of
 * its project (the execution root or git work tree holding it, with the
 * folders up to it); what records needs `--allow-write` of the deliverable
 * folder and `--allow-sys=hostname` too. Less is an `InputError` naming the
 * flag, thrown before anything is read or written. `--allow-env` lets a
 * record that cannot be written wait in the `$TMPDIR` spool; `--allow-run`
 * lets GitHead ask `git`.
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
export * from "./src/schema.ts";
export * from "./src/codec.ts";
export * from "./src/manifest.ts";
export * from "./src/store.ts";
export * from "./src/reader.ts";
export * from "./src/lock.ts";
export * from "./src/hash.ts";
export * from "./src/references.ts";
export * from "./src/status.ts";
export * from "./src/deliverable.ts";
export * from "./src/inputs.ts";
export * from "./src/hook.ts";
export * from "./src/run.ts";
export * from "./src/pending.ts";
export * from "./src/reap.ts";
export * from "./src/snapshot.ts";
export * from "./src/spool.ts";
export * from "./src/errors.ts";
export * from "./src/time.ts";
export * from "./src/stale.ts";
export * from "./src/dependencies.ts";
export { gitHead } from "./src/git.ts";
export type { Annotation, AnnotationKind } from "./src/annotations.ts";
export { type CollectOptions, collectRuns, type ExportedRun } from "./src/export/runs.ts";
export {
  END_EVENT_TYPE,
  FACETS_SCHEMA_URL,
  OPENLINEAGE_SPEC,
  openLineageEvents,
  PRODUCER,
  runUuid,
} from "./src/export/openlineage.ts";
export { PROV_PREFIXES, provDocument } from "./src/export/prov.ts";
export { type Json, sortedJson, sortedJsonPretty } from "./src/export/json.ts";
export { RUNREC_RUN_NAMESPACE, uuidV5 } from "./src/export/uuid.ts";
