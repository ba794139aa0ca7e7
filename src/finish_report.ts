/**
 * What a finish is given: the run's end as the finisher reports it
 * (`FinishReport`) and the options of `finishRun` and `finishPendingRun`
 * (`FinishOptions`). Both are public, re-exported by ./run.ts.
 *
 * @module
 */
import type { RunOptions, RunOutcome } from "./hook.ts";

/** What is known about a run when it ends. */
export interface FinishReport {
  /** `SUCCESS`, `PARTIAL`, `FAILED` or `SKIPPED`, as {@linkcode RunReport}'s `status`. */
  status: string;
  /** Files the run wrote, relative to the deliverable folder or absolute. */
  outputs?: readonly string[];
  /** Hashes of outputs already known (`DELETED` for a deleted file). */
  outputHashes?: Record<string, string>;
  /** What went wrong (FAILED/PARTIAL). */
  error?: string;
  /** Free text. */
  notes?: string;
  /**
   * The host's agent files, for the agent's profile (default: an `agents/` folder in or above
   * the deliverable, up to the project's root).
   */
  agentsDir?: string;
  /**
   * The agent's name as the finisher knows it: checked against the pending
   * run's, and the only one there is for a run whose pending file is gone.
   */
  agent?: string;
}

/** Options of {@linkcode finishRun} and {@linkcode finishPendingRun}. */
export interface FinishOptions extends RunOptions {
  /**
   * Prints the finish's outcome and returns whether a lost record's line
   * (`outcome.lost`) went out, on stderr or in a JSON document. Given, the run
   * of a record neither written nor spooled leaves pending only once its line
   * went out; when `print` returns false or throws, the run stays pending, for
   * `reap` or another finish. Without it, that run leaves pending as its line
   * is returned in the outcome: the caller keeps it.
   */
  print?: (outcome: RunOutcome) => boolean;
}
