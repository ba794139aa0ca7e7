/**
 * Notes and warnings that what a command calls leaves for the command line to
 * print once, on stderr, when the command ends: a folder skipped while looking
 * beneath a target, a setting not used, however many times the command met it.
 * Kept apart (no imports) so that every command can take them without loading
 * more.
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
  left.add(`note: ${note}`);
}

/**
 * Leaves `warning` to be printed once, as a warning, when the command ends.
 *
 * @example
 * ```ts
 * import { leaveWarning } from "./notices.ts";
 * leaveWarning('$RUNREC_SPOOL_DIR "spool" is not used: a relative path; set an absolute one');
 * ```
 */
export function leaveWarning(warning: string): void {
  left.add(`warning: ${warning}`);
}

/**
 * The notes and warnings left since the last call, in the order left, each
 * starting with its kind (`note: `, `warning: `); forgets them.
 *
 * @example
 * ```ts
 * import { takeNotices } from "./notices.ts";
 * for (const notice of takeNotices()) console.error(`runrec: ${notice}`);
 * ```
 */
export function takeNotices(): string[] {
  const notices = [...left];
  left.clear();
  return notices;
}
