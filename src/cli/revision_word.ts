/**
 * Words that read as a git revision (`main`, `origin/main`, `HEAD~3`, an abbreviated commit id),
 * given where runrec takes a time or a path: a reviewer's `--since` of `verify` put elsewhere.
 *
 * @module
 */

/**
 * Whether `text` reads as a git revision: `HEAD` or a usual branch name (with `~N` or `^`), a
 * name with a `/` (`origin/main`, `feature/x`), one ending in `~N` or `^`, or 7-40 hex digits
 * holding a letter (a number alone is a number).
 *
 * @example
 * ```ts
 * import { looksLikeRevision } from "./revision_word.ts";
 * looksLikeRevision("origin/main"); // true
 * looksLikeRevision("yesterday"); // false
 * ```
 */
export function looksLikeRevision(text: string): boolean {
  return /^(HEAD|main|master|trunk|develop)([~^]\d*)*$|^[\w.-]+\/[\w./-]+$|[~^]\d*$/.test(text) ||
    (/^[0-9a-f]{7,40}$/.test(text) && /[a-f]/.test(text));
}
