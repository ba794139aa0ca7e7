/**
 * A path or word as a POSIX shell reads it back: for the command lines of
 * the agent blocks and the commands runrec's messages suggest, which a user
 * copies and runs as they are (a folder named `DEL-07-07_Has Space`).
 *
 * @module
 */

/**
 * A word for a POSIX shell line: as it is when it holds only characters no
 * shell treats specially, else in single quotes (a `'` inside as `'\''`).
 *
 * @example
 * ```ts
 * import { shellWord } from "./shell_word.ts";
 * shellWord("_STATUS.md"); // "_STATUS.md"
 * shellWord("My Notes.md"); // "'My Notes.md'"
 * shellWord("it's.md"); // "'it'\\''s.md'"
 * ```
 */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
