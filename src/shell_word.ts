/**
 * A path or word as a POSIX shell reads it back: for the command lines of
 * the agent blocks and the commands runrec's messages suggest, which a user
 * copies and runs as they are (a folder named `DEL-07-07_Has Space`).
 *
 * @module
 */

/** The characters `oneLine` (names.ts) escapes in a message: none can stand in it as itself. */
// deno-lint-ignore no-control-regex -- the control characters are what is matched
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Escapes of ANSI-C quoting (`$'…'`) for the characters a word spells so. */
const ANSI_C: Record<string, string> = {
  "\\": "\\\\",
  "'": "\\'",
  "\t": "\\t",
  "\n": "\\n",
  "\r": "\\r",
};

/**
 * A word for a POSIX shell line: as it is when it holds only characters no
 * shell treats specially, else in single quotes (a `'` inside as `'\''`). A
 * word holding a control character or a line separator (a folder named with
 * a tab or a line break) is in ANSI-C quotes (`$'a\tb'`: bash, zsh, ksh,
 * POSIX.1-2024), which spell it on one line: in single quotes the message,
 * kept on one line, would show `\t` for it, which the shell reads as two
 * characters.
 *
 * @example
 * ```ts
 * import { shellWord } from "./shell_word.ts";
 * shellWord("_STATUS.md"); // "_STATUS.md"
 * shellWord("My Notes.md"); // "'My Notes.md'"
 * shellWord("it's.md"); // "'it'\\''s.md'"
 * shellWord("a\tb.md"); // "$'a\\tb.md'"
 * ```
 */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  if (!UNPRINTABLE.test(word)) return `'${word.replaceAll("'", "'\\''")}'`;
  const spelt = [...word].map((c) =>
    ANSI_C[c] ??
      (UNPRINTABLE.test(c) ? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}` : c)
  );
  return `$'${spelt.join("")}'`;
}

/**
 * A path as the folder argument of a runrec command a message suggests: {@linkcode shellWord} of
 * it, a relative path starting with `-` written `./-…`, which runrec would read as options.
 *
 * @example
 * ```ts
 * import { pathArgument } from "./shell_word.ts";
 * pathArgument("-PKG-02/DEL-02-01_X"); // "./-PKG-02/DEL-02-01_X"
 * pathArgument("My Folder"); // "'My Folder'"
 * ```
 */
export function pathArgument(path: string): string {
  return shellWord(path.startsWith("-") ? `./${path}` : path);
}
