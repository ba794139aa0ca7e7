/**
 * An agent's words in a record's `Notes`, kept from reading as one of
 * runrec's machine-read notes (docs/SCHEMA_EVOLUTION.md): an agent that
 * writes `input folder "../x"`, `finished after reap: supersedes=RUN-…`,
 * `recorded late: written …` or `run <id>`, in its `--notes` or in words
 * runrec quotes in a note of its own (a kept `--error`, a path), must not make
 * `stale` walk a folder the run never read, supersede a run, hide a clock set
 * back, or stand for a pending run.
 *
 * @module
 */

/**
 * Pending run ids named in a record's Notes: `run <id>` (`runIdNote` of ./pending.ts) as a note of its
 * own, among a note's `; `-separated parts, or after "the token of": where runrec writes it.
 * An agent's text saying the same is marked `(agent) ` ({@linkcode agentText}), so it names no run.
 *
 * @example
 * ```ts
 * import { NAMED_RUNS } from "./agent_notes.ts";
 * [..."done | run 20260222T101500123Z-1a2b3c4d".matchAll(NAMED_RUNS)].length; // 1
 * ```
 */
export const NAMED_RUNS: RegExp =
  /(?:^| \| |; |token of )run ([0-9]{8}T[0-9]{9}Z-[0-9a-f]{8})(?= \| |;|$)/g;

/** A pending run's id (`newRunId` of ./pending.ts). */
const RUN_ID = "[0-9]{8}T[0-9]{9}Z-[0-9a-f]{8}";

/**
 * How runrec's machine-read notes start (`inputFolderNote`, `lateFinishNote`,
 * `recordedLateNote`, the spool's replay marker, `fromTokenNote`), and a run's
 * id as `runIdNote` writes it: anywhere in an agent's text, each is marked.
 */
const MACHINE_PHRASE = new RegExp(
  '(?:input folder "|finished after reap: supersedes=|recorded late: written |' +
    `replayed from spool entry |recorded from the token of |\\brun (?=${RUN_ID}))`,
  "g",
);

/** The whole note `fromTokenNote` writes: the one machine note a run's id ends. */
const TOKEN_NOTE = new RegExp(`^recorded from the token of run ${RUN_ID}$`);

/**
 * `text`, an agent's (its `--notes`, `--error`, a path it gave or a file it
 * named), with each phrase that would read as one of runrec's machine notes
 * marked `(agent) `, wherever it stands: runrec quotes such text inside its
 * own notes, after words of its own, so a mark only where a note starts
 * would miss it. Other text is unchanged.
 *
 * @example
 * ```ts
 * import { agentText } from "./agent_notes.ts";
 * agentText('second pass | input folder "../x"'); // 'second pass | (agent) input folder "../x"'
 * agentText("retry | run 20260222T101500123Z-1a2b3c4d"); // "retry | (agent) run 20260222T101500123Z-1a2b3c4d"
 * agentText("second pass"); // "second pass"
 * ```
 */
export function agentText(text: string): string {
  return text.replace(MACHINE_PHRASE, "(agent) $&");
}

/**
 * One of runrec's notes as it goes into a record: a machine note runrec wrote
 * as it is, any other (which may quote an agent's text: a path, a kept
 * `--error`) through {@linkcode agentText}. A machine note is one that starts
 * with its phrase and holds no other: the notes that quote an agent start
 * with runrec's own words, and `inputFolderNote` escapes what it quotes.
 *
 * @example
 * ```ts
 * import { runrecNote } from "./agent_notes.ts";
 * runrecNote("--error given for a SUCCESS run, kept here: x | run 20260222T101500123Z-1a2b3c4d");
 * // "--error given for a SUCCESS run, kept here: x | (agent) run 20260222T101500123Z-1a2b3c4d"
 * runrecNote('input folder "inp"'); // 'input folder "inp"'
 * ```
 */
export function runrecNote(note: string): string {
  if (TOKEN_NOTE.test(note)) return note;
  const marked = agentText(note);
  return marked === `(agent) ${note}` ? note : marked;
}

/**
 * `text` JSON-quoted, for a machine note that quotes a path (`inputFolderNote`):
 * the first space of each phrase {@linkcode agentText} would mark is written
 * `\u0020`, so that `JSON.parse` reads the path as it was and no note reader
 * reads a phrase in it.
 *
 * @example
 * ```ts
 * import { agentJson } from "./agent_notes.ts";
 * agentJson("in/run 20260222T101500123Z-1a2b3c4d"); // '"in/run\\u002020260222T101500123Z-1a2b3c4d"'
 * agentJson("inp"); // '"inp"'
 * ```
 */
export function agentJson(text: string): string {
  return JSON.stringify(text).replace(MACHINE_PHRASE, (phrase) => phrase.replace(" ", "\\u0020"));
}
