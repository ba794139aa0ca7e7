/**
 * Notes that what a command calls leaves for the command line to print once,
 * on stderr, when the command ends: a folder skipped while looking beneath a
 * target, however many times the command looked there. Kept apart (no
 * imports) so that every command can take them without loading more.
 *
 * @module
 */

const left = new Set<string>();

/**
 * Leaves `note` to be printed once when the command ends (the same note
 * left again is one note).
 *
 * @example
 * ```ts
 * import { leaveNote } from "./notices.ts";
 * leaveNote("skipped .worktrees/agent-1: another worktree of this repository; name it to check it");
 * ```
 */
export function leaveNote(note: string): void {
  left.add(note);
}

/**
 * The notes left since the last call, in the order left; forgets them.
 *
 * @example
 * ```ts
 * import { takeNotes } from "./notices.ts";
 * for (const note of takeNotes()) console.error(`runrec: note: ${note}`);
 * ```
 */
export function takeNotes(): string[] {
  const notes = [...left];
  left.clear();
  return notes;
}
