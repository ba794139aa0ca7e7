/**
 * The agent's own `Notes` text, kept from reading as one of runrec's
 * machine-read notes (docs/SCHEMA_EVOLUTION.md): an agent that writes
 * `input folder "../x"`, `finished after reap: supersedes=RUN-…` or
 * `run <id>` between ` | ` separators must not make `stale` walk a folder
 * the run never read, supersede a run, or stand for a pending run.
 *
 * @module
 */

import { NAMED_RUNS } from "./pending.ts";

/** How runrec's machine-read notes start (`inputFolderNote`, `lateFinishNote`). */
const MACHINE_NOTE = /^(?:input folder "|finished after reap: supersedes=)/;

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
