/**
 * Notes and warnings that what a command calls leaves for the command line to
 * print once, on stderr, when the command ends: a folder skipped while looking
 * beneath a target, a setting not used, however many times the command met it.
 * Outside a command (a script's call to the library) each is printed on stderr
 * when it is left: kept for a command that never comes, a script was never
 * told that a folder went unchecked (lib-40 F2).
 * Kept apart (no imports) so that every command can take them without loading
 * more.
 *
 * @module
 */

const left = new Set<string>();

/** How many commands that print what is left when they end are running (the CLI's `main`). */
let holding = 0;

/**
 * Keeps the notes and warnings left from now until {@linkcode takeNotices},
 * for the command to print once each when it ends.
 *
 * @example
 * ```ts
 * import { holdNotices, takeNotices } from "./notices.ts";
 * holdNotices();
 * // ... the command's work ...
 * for (const notice of takeNotices()) console.error(`runrec: ${notice}`);
 * ```
 */
export function holdNotices(): void {
  holding++;
}

/** Keeps `notice` for the command, or says it now when no command will. */
function leave(notice: string): void {
  if (holding > 0) {
    left.add(notice);
    return;
  }
  try {
    console.error(`runrec: ${notice}`);
  } catch {
    // Said nowhere (stderr on a full disk), as a command's are: a note fails no call (review-41 F2).
  }
}

/**
 * Leaves `note` to be printed once when the command ends (the same note
 * left again is one note); outside a command, prints it now.
 *
 * @example
 * ```ts
 * import { leaveNote } from "./notices.ts";
 * leaveNote("skipped .worktrees/agent-1: another worktree of this repository; name it to check it");
 * ```
 */
export function leaveNote(note: string): void {
  leave(`note: ${note}`);
}

/**
 * Leaves `warning` to be printed once, as a warning, when the command ends;
 * outside a command, prints it now.
 *
 * @example
 * ```ts
 * import { leaveWarning } from "./notices.ts";
 * leaveWarning('$RUNREC_SPOOL_DIR "spool" is not used: a relative path; set an absolute one');
 * ```
 */
export function leaveWarning(warning: string): void {
  leave(`warning: ${warning}`);
}

/**
 * The notes and warnings left since the last call, in the order left, each
 * starting with its kind (`note: `, `warning: `); forgets them, and ends the
 * hold of one {@linkcode holdNotices}.
 *
 * @example
 * ```ts
 * import { holdNotices, takeNotices } from "./notices.ts";
 * holdNotices();
 * for (const notice of takeNotices()) console.error(`runrec: ${notice}`);
 * ```
 */
export function takeNotices(): string[] {
  holding = Math.max(0, holding - 1);
  const notices = [...left];
  left.clear();
  return notices;
}
