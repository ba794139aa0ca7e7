/**
 * OpenLineage RunEvents (spec 2-0-2) for run records: per record a `START`
 * event at RunTimestamp and a `COMPLETE`, `FAIL` or `ABORT` event at
 * RunTimestamp + RunDuration. The deliverable is the job, every input and
 * output file a dataset carrying its SHA-256; an annotated run's events carry
 * its annotations (facet `runrec_annotations`). docs/EXPORT.md describes the
 * mapping.
 *
 * @module
 */
import type { Annotation } from "../annotations.ts";
import { checkRunsArgument } from "../argument_checks.ts";
import { checkArgument } from "../argument_kinds.ts";
import { VERSION } from "../cli/version.ts";
import { FIELDS, type RunRecord } from "../schema.ts";
import { type Json, sortedJson } from "./json.ts";
import { compareText, type ExportedRun, fileName, runEndTime } from "./runs.ts";
import { RUNREC_RUN_NAMESPACE, uuidV5 } from "./uuid.ts";

/** The OpenLineage spec version the events follow. */
export const OPENLINEAGE_SPEC = "2-0-2";

/** The `producer` of every event and facet: this runrec release. */
export const PRODUCER = `https://jsr.io/@runrec/runrec/${VERSION}`;

/** The JSON Schema of runrec's own facets, as published with the package. */
export const FACETS_SCHEMA_URL = `${PRODUCER}/src/export/openlineage_facets.json`;

const RUN_EVENT_SCHEMA = `https://openlineage.io/spec/${OPENLINEAGE_SPEC}/OpenLineage.json` +
  "#/$defs/RunEvent";

/** The end event's `eventType` for each RunStatus (docs/EXPORT.md says why). */
export const END_EVENT_TYPE: Readonly<Record<string, "COMPLETE" | "FAIL" | "ABORT">> = Object
  .freeze({
    SUCCESS: "COMPLETE",
    // Its outputs are usable (SCHEMA.md 4.1) and can be a baseline: a completed run, with an error.
    PARTIAL: "COMPLETE",
    FAILED: "FAIL",
    // It decided nothing needed doing and produced nothing: neither a success nor a failure.
    SKIPPED: "ABORT",
  });

/** The record's text fields (every field but lists and hashes), as the run facet carries them. */
const TEXT_FIELDS = FIELDS.filter((f) => f.kind === "text").map((f) => f.name);

/**
 * The runId of a run: a version-5 UUID of `<namespace>/<RunID>` in
 * the namespace `934777e2-299a-583c-9b05-43c0bb74f109` (docs/EXPORT.md). The namespace keeps two projects whose
 * RunIDs coincide (both have a DEL-01-01) apart on one lineage server.
 *
 * @example
 * ```ts
 * import { runUuid } from "@runrec/runrec";
 * runUuid("examples", "RUN-DEL-01-02-20260222-1015-001"); // the same UUID on every call
 * ```
 */
export function runUuid(namespace: string, runId: string): string {
  checkArgument(namespace, "namespace", "text");
  checkArgument(runId, "runId", "word");
  return uuidV5(RUNREC_RUN_NAMESPACE, `${namespace}/${runId}`);
}

/**
 * The two RunEvents of each run, in the runs' order: `START`, then the end
 * event. Plain JSON values; write each with `sortedJson` for JSON Lines.
 *
 * @example
 * ```ts
 * import { collectRuns, openLineageEvents, sortedJson } from "@runrec/runrec";
 * const runs = await collectRuns(["PKG-01_Field_Instruments"], { warn: console.error });
 * for (const event of openLineageEvents(runs)) console.log(sortedJson(event));
 * ```
 */
export function openLineageEvents(runs: readonly ExportedRun[]): Json[] {
  checkRunsArgument(runs, "runs");
  return runs.flatMap((run) => [startEvent(run), endEvent(run)]);
}

/**
 * The events of {@linkcode openLineageEvents} as JSON Lines (keys sorted),
 * one line at a time: each is built as it is asked for, so that an export of
 * many runs never holds more than one event.
 *
 * @example
 * ```ts
 * import { collectRuns } from "./runs.ts";
 * import { openLineageLines } from "./openlineage.ts";
 * const runs = await collectRuns(["examples/"], { warn: console.error });
 * for (const line of openLineageLines(runs)) Deno.stdout.writeSync(new TextEncoder().encode(line));
 * ```
 */
export function* openLineageLines(runs: readonly ExportedRun[]): Generator<string> {
  for (const run of runs) {
    yield `${sortedJson(startEvent(run))}\n`;
    yield `${sortedJson(endEvent(run))}\n`;
  }
}

function startEvent(run: ExportedRun): Json {
  return {
    eventType: "START",
    eventTime: run.record.RunTimestamp,
    producer: PRODUCER,
    schemaURL: RUN_EVENT_SCHEMA,
    run: { runId: runUuid(run.namespace, run.runName), facets: runFacets(run) },
    job: job(run),
    inputs: datasets(run, run.record.InputHashes),
    outputs: [],
  };
}

function endEvent(run: ExportedRun): Json {
  const { record } = run;
  const facets = runFacets(run);
  if (record.ErrorSummary !== "") {
    facets.errorMessage = {
      _producer: PRODUCER,
      _schemaURL: "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json" +
        "#/$defs/ErrorMessageRunFacet",
      message: record.ErrorSummary,
      // Required by the facet; a record does not say what the agent is written in.
      programmingLanguage: "unknown",
    };
  }
  return {
    eventType: END_EVENT_TYPE[record.RunStatus],
    eventTime: runEndTime(run),
    producer: PRODUCER,
    schemaURL: RUN_EVENT_SCHEMA,
    run: { runId: runUuid(run.namespace, run.runName), facets },
    job: job(run),
    inputs: datasets(run, record.InputHashes),
    outputs: datasets(run, record.OutputHashes),
  };
}

/** The facets of both events: `runrec_run`, and `runrec_annotations` when there are any. */
function runFacets(run: ExportedRun): { [name: string]: Json } {
  const facets: { [name: string]: Json } = { runrec_run: runFacet(run) };
  if (run.annotations.length > 0) facets.runrec_annotations = annotationsFacet(run.annotations);
  return facets;
}

/**
 * The run's annotations, as `runrec_annotations`: a lineage server shows
 * an invalidated or superseded run as such, where `runrec log` would.
 */
function annotationsFacet(annotations: readonly Annotation[]): Json {
  return {
    _producer: PRODUCER,
    _schemaURL: `${FACETS_SCHEMA_URL}#/$defs/RunrecAnnotationsRunFacet`,
    annotations: annotations.map((a) => {
      const entry: { [key: string]: Json } = {
        annotationRunID: a.annotationId,
        timestamp: a.timestamp,
        kind: a.kind,
        note: a.note,
      };
      if (a.other !== undefined) entry.otherRunID = a.other;
      return entry;
    }),
  };
}

/** The record's text fields under their column names (SCHEMA.md), as `runrec_run`. */
function runFacet(run: ExportedRun): Json {
  const facet: { [key: string]: Json } = {
    _producer: PRODUCER,
    _schemaURL: `${FACETS_SCHEMA_URL}#/$defs/RunrecRunFacet`,
  };
  for (const name of TEXT_FIELDS) facet[name] = run.record[name] as string;
  // A newer version's cells are passed on (SCHEMA_EVOLUTION.md), never over a field of this one.
  for (const [name, value] of run.extras) if (!Object.hasOwn(facet, name)) facet[name] = value;
  return facet;
}

function job(run: ExportedRun): Json {
  return {
    namespace: run.namespace,
    name: run.record.DeliverableID,
    facets: {
      jobType: {
        _producer: PRODUCER,
        _schemaURL: "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json" +
          "#/$defs/JobTypeJobFacet",
        processingType: "BATCH",
        integration: "RUNREC",
        jobType: "DELIVERABLE",
      },
      documentation: {
        _producer: PRODUCER,
        _schemaURL: "https://openlineage.io/spec/facets/1-1-0/DocumentationJobFacet.json" +
          "#/$defs/DocumentationJobFacet",
        description: `Deliverable ${run.record.DeliverableID}, folder ${run.folder}`,
        contentType: "text/plain",
      },
    },
  };
}

/**
 * One dataset per file, sorted by name: named by its path from the run's
 * base folder, in the run's namespace, with the recorded hash.
 */
function datasets(run: ExportedRun, hashes: RunRecord["InputHashes"]): Json[] {
  const named = Object.entries(hashes).map(([path, sha256]) => ({
    name: fileName(run, path),
    sha256,
  }));
  named.sort((a, b) => compareText(a.name, b.name));
  return named.map(({ name, sha256 }) => ({
    namespace: run.namespace,
    name,
    facets: {
      runrec_file: {
        _producer: PRODUCER,
        _schemaURL: `${FACETS_SCHEMA_URL}#/$defs/RunrecFileDatasetFacet`,
        sha256,
      },
    },
  }));
}
