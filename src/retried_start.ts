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
import { type PendingRun, runIdStart } from "./pending.ts";
import { REAPED_ERROR, RETRIED_START_NOTE } from "./run_files.ts";
import { readRecords } from "./reader.ts";
import { RECORD_FILE } from "./store.ts";

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
  const first = pendingFacts(run);
  try {
    for await (const event of readRecords(join(resolve(delDir), RECORD_FILE))) {
      if (event.kind !== "record" || event.record.ErrorSummary === REAPED_ERROR) continue;
      const r = event.record;
      for (const [, id] of r.Notes.matchAll(NAMED_RUNS)) {
        if (id === run.id) continue;
        const inputs = Object.fromEntries(r.InputFiles.map((f) => [f, r.InputHashes[f] ?? ""]));
        const later = {
          agent: r.AgentName,
          pass: r.RunPassDirective,
          started: runIdStart(id),
          inputs,
        };
        const after = retryAfter(first, later);
        if (after !== undefined) {
          // "run <id>" is the phrase that names a record's own run (agent_notes.ts): not used.
          return `${RETRIED_START_NOTE} a start ${seconds(after)} later with the same ` +
            `inputs (run id ${id}) is recorded as ${r.RunID}`;
        }
      }
    }
  } catch { /* no record file, or none to read: nothing to say */ }
  return undefined;
}
