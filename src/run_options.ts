/**
 * The options of a run's start (`startRun`), of `withRun` and of `reap`: types
 * only, in a module of their own so that ./argument_checks.ts, which checks
 * them, imports neither ./run.ts nor ./reap.ts (./run.ts imports it back
 * through ./hook.ts). ./run.ts and ./reap.ts re-export them.
 *
 * @module
 */
import type { RunOptions, RunOutcome } from "./hook.ts";

/** What is known about a run when it starts. */
export interface StartRunOptions {
  /** The agent's name, e.g. `4_DOCUMENTS`. */
  agent: string;
  /** Files the run reads, relative to the deliverable folder or absolute. */
  inputs?: readonly string[];
  /** The pass directive the ORCHESTRATOR gave. */
  pass?: string;
  /**
   * The process whose end means the agent crashed, so that `runrec reap`
   * writes its run as FAILED. Default: none (only `reap --older-than` reaps it).
   */
  pid?: number;
  /**
   * Allow a deliverable folder that does not exist yet (a run that creates
   * it, such as PREPARATION's) when its parent does. Such a run is kept in
   * memory, not in the folder, until it is finished (`creates`): only for
   * callers that finish the run themselves. Default `false`.
   */
  mayCreate?: boolean;
  /** Read governed inputs and outputs outside the project too (`--allow-outside`). */
  allowOutside?: boolean;
}

/** Options of {@linkcode withRun}. */
export interface WithRunOptions extends Omit<StartRunOptions, "pid">, RunOptions {
  /**
   * Called with the outcome of the record's write, before the run leaves
   * pending. Default: each warning, and a lost record's line, printed on
   * stderr. When it throws, a run whose record was neither written nor
   * spooled stays pending, for `reap`: its line may have been kept nowhere.
   */
  onOutcome?: (outcome: RunOutcome) => void;
}

/** Options of {@linkcode reapRuns}. */
export interface ReapOptions extends RunOptions {
  /** Also reap runs started longer ago than this (ms) whose process cannot be seen alive. */
  olderThanMs?: number;
  /** The time now (ms since the epoch), for tests. */
  now?: number;
}
