/**
 * Names runrec cannot carry, and names in one-line messages.
 *
 * A name that is not valid UTF-8 (legal on Linux) reaches JavaScript with
 * U+FFFD in place of its bad bytes, in `Deno.args` and in `readDir` entries
 * alike, and that lossy name then reads as "not found"; a path longer than
 * the system allows (PATH_MAX, 4096 bytes on Linux) cannot be read at all.
 * Both are named for what they are, not as missing or empty. A name holding
 * a line break would split a one-line message: it is shown escaped.
 *
 * @module
 */

/** Why a name that is not valid UTF-8 is neither recorded nor read. */
export const NOT_UTF8 = "name not valid UTF-8 (runrec cannot record or read it: rename it)";

/**
 * Why `count` names of one folder that read as the same text (names not
 * valid UTF-8, and maybe one valid name holding U+FFFD) are not recorded nor
 * read: which of them a path means cannot be told, so none is hashed. The
 * valid name's file, when one is a file, is named by the start of its
 * `sha256`, so that `stale` can tell when it changed.
 *
 * @example
 * ```ts
 * import { collidingReason } from "./names.ts";
 * collidingReason(2); // "2 names read as this one (not valid UTF-8: runrec cannot record or read them: rename them)"
 * collidingReason(2, "e3b0c44298fc1c149afbf4c8996fb924"); // "…: rename them; the valid one's SHA-256 starts e3b0c44298fc1c14)"
 * ```
 */
export function collidingReason(count: number, sha256?: string): string {
  const valid = sha256 === undefined
    ? ""
    : `; the valid one's SHA-256 starts ${sha256.slice(0, 16)}`;
  return `${count} names read as this one (not valid UTF-8: runrec cannot record or read them: ` +
    `rename them${valid})`;
}

/** Why a path longer than the system allows is not read. */
export const TOO_LONG = "path longer than the system allows (ENAMETOOLONG): runrec cannot read it";

/**
 * A name that is not valid UTF-8: its code `EILSEQ` ("illegal byte
 * sequence") survives the trip from a hashing worker, as a class would not.
 *
 * @example
 * ```ts
 * import { UnreadableName } from "./names.ts";
 * new UnreadableName().code; // "EILSEQ"
 * ```
 */
export class UnreadableName extends Error {
  /** The `errno` name of the failure, as the system's errors carry one. */
  readonly code = "EILSEQ";

  /** An error saying {@linkcode NOT_UTF8}. */
  constructor() {
    super(NOT_UTF8);
    this.name = "UnreadableName";
  }
}

/**
 * A name that holds a backslash, met by a walk on a host where `\\` is no
 * part of a name runrec can use: it reads a backslash as a folder separator
 * (SCHEMA.md 2.2), so such a file or folder would be taken for another.
 *
 * @example
 * ```ts
 * import { BackslashInName } from "./names.ts";
 * new BackslashInName().message; // "its name holds a backslash, …"
 * ```
 */
export class BackslashInName extends Error {
  /** An error saying why the name is not read. */
  constructor() {
    super(
      "its name holds a backslash, which runrec reads as a folder separator (SCHEMA.md 2.2): " +
        "not read (rename it)",
    );
    this.name = "BackslashInName";
  }
}

/**
 * Several names of one folder that read as the same text: which one a path
 * means cannot be told. Its code is `EILSEQ`, as {@linkcode UnreadableName}'s.
 *
 * @example
 * ```ts
 * import { CollidingNames } from "./names.ts";
 * new CollidingNames(2).message; // "2 names read as this one (not valid UTF-8: …)"
 * ```
 */
export class CollidingNames extends Error {
  /** The `errno` name of the failure, as the system's errors carry one. */
  readonly code = "EILSEQ";

  /** An error saying {@linkcode collidingReason} for `count` names. */
  constructor(readonly count: number) {
    super(collidingReason(count));
    this.name = "CollidingNames";
  }
}

/**
 * How many names of its folder read as the name of `path` or of a folder on
 * the way to it (absolute, or relative to the working folder), at the first
 * name holding U+FFFD that more than one entry reads as; 1 when none does.
 * A name not valid UTF-8 reads with U+FFFD, so it can read as another name.
 *
 * @example
 * ```ts
 * import { namesReadingAs } from "./names.ts";
 * namesReadingAs("/no-such-folder/a\uFFFD.md"); // 1
 * ```
 */
export function namesReadingAs(path: string): number {
  if (!path.includes("\uFFFD")) return 1; // most paths: not split for nothing
  const names = path.split("/");
  for (let i = 0; i < names.length; i++) {
    if (!names[i].includes("\uFFFD")) continue;
    const parent = names.slice(0, i).join("/") || (path.startsWith("/") ? "/" : ".");
    let count = 0;
    try {
      for (const entry of Deno.readDirSync(parent)) if (entry.name === names[i]) count++;
    } catch {
      return 1; // the look-up of the path itself says why
    }
    if (count > 1) return count;
  }
  return 1;
}

/**
 * Whether `path` (absolute, or relative to the working folder) is not found
 * because a name in it is not valid UTF-8: one of its names holds U+FFFD,
 * its folder lists an entry of that (lossy) name, yet the path up to it
 * reads as not found. A real U+FFFD in a valid name is found, so never lossy.
 *
 * @example
 * ```ts
 * import { isLossyName } from "./names.ts";
 * isLossyName("/no-such-folder/a\uFFFD.md"); // false: nothing of that name is listed
 * ```
 */
export function isLossyName(path: string): boolean {
  const names = path.split("/");
  for (let i = 0; i < names.length; i++) {
    if (!names[i].includes("\uFFFD")) continue;
    const upTo = names.slice(0, i + 1).join("/");
    try {
      Deno.lstatSync(upTo);
      continue; // a valid name that holds U+FFFD
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) return false;
    }
    const parent = names.slice(0, i).join("/") || (path.startsWith("/") ? "/" : ".");
    try {
      return [...Deno.readDirSync(parent)].some((entry) => entry.name === names[i]);
    } catch {
      return false;
    }
  }
  return false;
}

/**
 * The error to report for a failed look-up of `path`: an
 * {@linkcode UnreadableName} when it is not found because a name in it is
 * not valid UTF-8 ({@linkcode isLossyName}), else `error` itself.
 *
 * @example
 * ```ts
 * import { explainError } from "./names.ts";
 * const error = new Deno.errors.NotFound("gone");
 * explainError("/tmp/gone.md", error) === error; // true
 * ```
 */
export function explainError(path: string, error: Error): Error {
  const notFound = error instanceof Deno.errors.NotFound ||
    (error as { code?: unknown }).code === "ENOENT";
  return notFound && isLossyName(path) ? new UnreadableName() : error;
}

/**
 * The reason to show for an error about a name runrec cannot carry (not
 * valid UTF-8, or a path too long), or `undefined` for any other error. Told
 * by the error's code: the system's message for a path too long repeats the
 * whole path.
 *
 * @example
 * ```ts
 * import { nameReason, UnreadableName } from "./names.ts";
 * nameReason(new UnreadableName()); // "name not valid UTF-8 (runrec cannot record or read it: rename it)"
 * nameReason(new Error("other")); // undefined
 * ```
 */
export function nameReason(error: unknown): string | undefined {
  if (error instanceof CollidingNames) return error.message;
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === "EILSEQ" ? NOT_UTF8 : code === "ENAMETOOLONG" ? TOO_LONG : undefined;
}

const ESCAPES: Record<string, string> = {
  "\b": "\\b",
  "\t": "\\t",
  "\n": "\\n",
  "\f": "\\f",
  "\r": "\\r",
};

/**
 * `text` on one line: control characters and line separators are written
 * as JSON escapes (`\n`, `\u0085`), so that a name holding a line break
 * cannot split a message, a note or a line of text output.
 *
 * @example
 * ```ts
 * import { oneLine } from "./names.ts";
 * oneLine("output gone\nname.md does not exist"); // "output gone\\nname.md does not exist"
 * oneLine("Prüfung Ü.md"); // "Prüfung Ü.md"
 * ```
 */
export function oneLine(text: string): string {
  return text.replace(
    // deno-lint-ignore no-control-regex -- the control characters are what is escaped
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * `text` cut in the middle to at most `max` characters (an ellipsis in
 * place of what is left out), so that both its start and its end, where a
 * message says why, are kept. A surrogate pair is never split.
 *
 * @example
 * ```ts
 * import { shortened } from "./names.ts";
 * shortened("--input deep/dddddddddd/f.md: too long", 21); // "--input de…: too long"
 * ```
 */
export function shortened(text: string, max: number): string {
  if (text.length <= max) return text;
  let head = Math.ceil((max - 1) / 2);
  let tail = text.length - Math.floor((max - 1) / 2);
  if (/[\uD800-\uDBFF]/.test(text[head - 1] ?? "")) head--;
  if (/[\uDC00-\uDFFF]/.test(text[tail] ?? "")) tail++;
  return `${text.slice(0, head)}…${text.slice(tail)}`;
}

/**
 * The longest path Linux accepts: a longer word is no path a command that a
 * message suggests needs (a pending token's), so cutting it breaks no paste.
 */
const PATH_MAX = 4096;

/**
 * `text` with each word (a run of characters without a space) longer than
 * `max` {@linkcode shortened}: an argument of 100 KB given by mistake, which
 * a message may echo twice (once in the system's own words), costs a line,
 * while the words around it, which say why, are kept whole.
 *
 * @example
 * ```ts
 * import { withLongWordsShortened } from "./names.ts";
 * withLongWordsShortened(`${"a".repeat(9)}: no such folder`, 8); // "aaaa…aa: no such folder"
 * ```
 */
export function withLongWordsShortened(text: string, max = PATH_MAX): string {
  return text.replace(new RegExp(`[^ ]{${max + 1},}`, "g"), (word) => shortened(word, max));
}
