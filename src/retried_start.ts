/**
 * A `runrec start` retried after its token was lost (the tool call timed out): the first start's
 * run stays pending beside the retry's, one real run with two starts. It cannot be told from runs
 * of one agent started at once on purpose (a `withRun` fan-out), so it is never merged: the
 * retry's start says what to do, and the FAILED record `reap` writes for the first, once the
 * retry is recorded, says that it was probably a retried start, naming the retry's record.
 *
 * @module
 */
import { NAMED_RUNS } from "./agent_notes.ts";
import { join, resolve } from "./path.ts";
import type { PendingRun } from "./pending.ts";
import { runIdStart } from "./run_ids.ts";
import { REAPED_ERROR, RETRIED_START_NOTE } from "./run_files.ts";
import { type ReadEnd, readRecordsOn } from "./reader.ts";
import type { RunRecord } from "./schema.ts";
import { RECORD_FILE } from "./deliverable.ts";

/** How soon after a start of an agent a like start of it looks like a retry of the first. */
export const RETRY_WINDOW_MS = 2 * 60_000;

/**
 * How soon after a start a like start is too soon to be its retry: a retry follows a tool call
 * that timed out, seconds later at the least; twins within a second are a fan-out (review-r F7).
 */
export const RETRY_NOT_BEFORE_MS = 1_000;

/** What tells two starts apart: the agent, its pass, when, and its own inputs' hashes. */
interface StartFacts {
  agent: string;
  pass: string;
  started: string;
  inputs: Record<string, string>;
}

/** A pending run's {@linkcode StartFacts}. */
function pendingFacts(run: PendingRun): StartFacts {
  const { inputFiles, inputHashes, started } = run.start;
  const inputs = Object.fromEntries(inputFiles.map((f) => [f, inputHashes[f] ?? ""]));
  return { agent: run.agent, pass: run.pass ?? "", started, inputs };
}

/** How many ms after `first` the start `later` was, when it looks like a retry of it. */
function retryAfter(first: StartFacts, later: StartFacts): number | undefined {
  const after = Date.parse(later.started) - Date.parse(first.started);
  const same = (a: Record<string, string>, b: Record<string, string>) =>
    Object.keys(a).length === Object.keys(b).length &&
    Object.entries(a).every(([f, h]) => b[f] === h);
  const like = first.agent === later.agent && first.pass === later.pass &&
    same(first.inputs, later.inputs);
  return like && after >= RETRY_NOT_BEFORE_MS && after <= RETRY_WINDOW_MS ? after : undefined;
}

/** `0.4 s`, `75.0 s`. */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * How long before `run` (starting now) the pending run `earlier` of the same agent started, when
 * `run` looks like a retry of it (same pass and inputs, {@linkcode RETRY_NOT_BEFORE_MS} to
 * {@linkcode RETRY_WINDOW_MS} later), as the start's warning says it; else `undefined`.
 *
 * @example
 * ```ts
 * import { retriedAfter } from "./retried_start.ts";
 * declare const earlier: import("./pending.ts").PendingRun, run: typeof earlier;
 * retriedAfter(earlier, run); // "0.4 s"
 * ```
 */
export function retriedAfter(earlier: PendingRun, run: PendingRun): string | undefined {
  const after = retryAfter(pendingFacts(earlier), pendingFacts(run));
  return after === undefined ? undefined : seconds(after);
}

/**
 * What the FAILED record of the never-finished `run` adds when a run of the same agent in
 * `delDir` started after it ({@linkcode RETRY_NOT_BEFORE_MS} to {@linkcode RETRY_WINDOW_MS}
 * later), with the same pass and inputs, is recorded (not by reap): `probably a retried start: a start N s later with the same inputs
 * (run id <id>) is recorded as RUN-...`; else `undefined`.
 *
 * @example
 * ```ts
 * import { retriedStartNote } from "./retried_start.ts";
 * declare const run: import("./pending.ts").PendingRun;
 * await retriedStartNote("DEL-01-02_X", run);
 * ```
 */
export async function retriedStartNote(
  delDir: string,
  run: PendingRun,
): Promise<string | undefined> {
  return await retriedStartNotesOn(delDir, [run])(run);
}

/**
 * {@linkcode retriedStartNote} of each of `runs` (reap's, of one folder):
 * the function returned reads the record file once for all of them, and
 * each later call only the records appended since (the whole file again
 * when it was replaced: ./reader.ts `readRecordsOn`), where reading it
 * whole for each run made reap's work grow as runs times records (scale37
 * F2). A run not among `runs` is looked for by a read of its own.
 *
 * @example
 * ```ts
 * import { retriedStartNotesOn } from "./retried_start.ts";
 * declare const runs: import("./pending.ts").PendingRun[];
 * const noteOf = retriedStartNotesOn("DEL-01-02_X", runs);
 * for (const run of runs) await noteOf(run);
 * ```
 */
export function retriedStartNotesOn(
  delDir: string,
  runs: readonly PendingRun[],
): (run: PendingRun) => Promise<string | undefined> {
  const file = join(resolve(delDir), RECORD_FILE);
  const asked = new Map(runs.map((run) => [run.id, { run, first: pendingFacts(run) }]));
  let end: ReadEnd | undefined;
  let notes = new Map<string, string>();
  return async (run) => {
    if (!asked.has(run.id)) return await retriedStartNotesOn(delDir, [run])(run);
    try {
      end = await readRecordsOn(file, end, (fromStart) => {
        if (fromStart) notes = new Map();
        return (r) => {
          if (r.ErrorSummary === REAPED_ERROR) return;
          for (const [, id] of r.Notes.matchAll(NAMED_RUNS)) {
            for (const { run, first } of asked.values()) {
              if (id === run.id || notes.has(run.id) || first.agent !== r.AgentName) continue;
              const note = retriedNote(first, r, id);
              if (note !== undefined) notes.set(run.id, note);
            }
          }
        };
      });
    } catch {
      // No record file, or none to read: nothing to say.
      end = undefined;
      notes = new Map();
    }
    return notes.get(run.id);
  };
}

/** What the FAILED record of the run started as `first` says of `r`, a record of run `id`. */
function retriedNote(first: StartFacts, r: RunRecord, id: string): string | undefined {
  const inputs = Object.fromEntries(r.InputFiles.map((f) => [f, r.InputHashes[f] ?? ""]));
  const later = {
    agent: r.AgentName,
    pass: r.RunPassDirective,
    started: runIdStart(id),
    inputs,
  };
  const after = retryAfter(first, later);
  if (after === undefined) return undefined;
  // "run <id>" is the phrase that names a record's own run (agent_notes.ts): not used.
  return `${RETRIED_START_NOTE} a start ${seconds(after)} later with the same ` +
    `inputs (run id ${id}) is recorded as ${r.RunID}`;
}
