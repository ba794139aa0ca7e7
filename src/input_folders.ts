/**
 * The folders a run was given as inputs, kept in its Notes. InputFiles lists
 * the files such a folder held at the run (schema v1.0: a list of files), so
 * a file added to the folder later, or any file of a folder that was empty,
 * would go unseen; runrec therefore adds one machine-read note per folder,
 *
 * ```text
 * input folder "<path>"
 * ```
 *
 * the path JSON-quoted and relative to the deliverable folder (`"."` for the
 * folder itself), and `runrec stale` walks those folders again. See
 * docs/SCHEMA_EVOLUTION.md ("Annotations (REQ-03)", on the notes runrec reads).
 *
 * @module
 */
import { agentJson } from "./agent_notes.ts";

/** One note, delimited by runrec's ` | ` between notes or an end of Notes. */
const INPUT_FOLDER = /(?:^| \| )input folder ("(?:[^"\\\n]|\\.)*")(?= \| |$)/g;

/**
 * The note runrec adds to a run's Notes for a folder given as input.
 *
 * @example
 * ```ts
 * import { inputFolderNote } from "./input_folders.ts";
 * inputFolderNote("inp"); // 'input folder "inp"'
 * inputFolderNote(""); // 'input folder "."'
 * ```
 */
export function inputFolderNote(path: string): string {
  return `input folder ${agentJson(path === "" ? "." : path)}`;
}

/**
 * A note runrec printed as a person reads it: an {@linkcode inputFolderNote} (a marker `stale`
 * reads) said as a sentence (trial-x F4); any other note as it is.
 *
 * @example
 * ```ts
 * import { shownNote } from "./input_folders.ts";
 * shownNote('input folder "notes dir"');
 * // "input notes dir is a folder: stale reports a file added to it later"
 * ```
 */
export function shownNote(note: string): string {
  const match = /^input folder ("(?:[^"\\\n]|\\.)*")$/.exec(note);
  if (match === null) return note;
  return `input ${JSON.parse(match[1])} is a folder: stale reports a file added to it later`;
}

/**
 * The input folders a run's Notes name ({@linkcode inputFolderNote}), in
 * order, each once; relative to the deliverable folder.
 *
 * @example
 * ```ts
 * import { inputFoldersIn } from "./input_folders.ts";
 * inputFoldersIn('second pass | input folder "inp" | input folder "."'); // ["inp", "."]
 * ```
 */
export function inputFoldersIn(notes: string): string[] {
  const folders = new Set<string>();
  for (const match of notes.matchAll(INPUT_FOLDER)) {
    try {
      const path = JSON.parse(match[1]);
      if (typeof path === "string" && path !== "") folders.add(path);
    } catch { /* not runrec's note: free text that looks like one */ }
  }
  return [...folders];
}
