/**
 * The agent's own `Notes` text, kept from reading as one of runrec's
 * machine-read notes (docs/SCHEMA_EVOLUTION.md): an agent that writes
 * `input folder "../x"`, `finished after reap: supersedes=RUN-…` or
 * `run <id>` between ` | ` separators must not make `stale` walk a folder
 * the run never read, supersede a run, or stand for a pending run.
 *
 * @module
 */

/**
 * Pending run ids named in a record's Notes: `run <id>` (`runIdNote` of ./pending.ts) as a note of its
 * own, among a note's `; `-separated parts, or after "the token of": where runrec writes it.
 * An agent's text saying the same is marked `(agent) ` ({@linkcode agentNotes}), so it names no run.
 *
 * @example
 * ```ts
 * import { NAMED_RUNS } from "./agent_notes.ts";
 * [..."done | run 20260222T101500123Z-1a2b3c4d".matchAll(NAMED_RUNS)].length; // 1
 * ```
 */
export const NAMED_RUNS: RegExp =
  /(?:^| \| |; |token of )run ([0-9]{8}T[0-9]{9}Z-[0-9a-f]{8})(?= \| |;|$)/g;

/** How runrec's machine-read notes start (`inputFolderNote`, `lateFinishNote`, `recordedLateNote`). */
const MACHINE_NOTE = /^(?:input folder "|finished after reap: supersedes=|recorded late: written )/;

/**
 * `text` with each ` | `-separated part that would read as a machine note
 * marked `(agent) `; any other text unchanged.
 *
 * @example
 * ```ts
 * import { agentNotes } from "./agent_notes.ts";
 * agentNotes('second pass | input folder "../x"'); // 'second pass | (agent) input folder "../x"'
 * agentNotes("second pass"); // "second pass"
 * ```
 */
export function agentNotes(text: string): string {
  return text.split(" | ").map((part) => MACHINE_NOTE.test(part) ? `(agent) ${part}` : part)
    .join(" | ")
    // A run's id where runrec writes the ids of the runs a record stands for: not the agent's.
    .replace(NAMED_RUNS, (match, id) => match.replace(`run ${id}`, `(agent) run ${id}`));
}
