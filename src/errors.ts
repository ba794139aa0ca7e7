/**
 * The two kinds of failure the CLI maps to exit codes: bad input (exit 2) and a
 * check that found a problem (exit 1). Messages are one line meant for users.
 *
 * @module
 */
import { nameReason, oneLine } from "./names.ts";

/**
 * Where an {@linkcode InputError} is at fault, beside its message: the file or
 * folder, its line, and the argument, option or field.
 */
export interface InputErrorOptions extends ErrorOptions {
  /** The file or folder at fault, as the caller named it (a relative one stays relative). */
  readonly path?: string;
  /** Its line at fault, from 1. */
  readonly line?: number;
  /**
   * The argument, option or field at fault, as the message names it: an argument's own field
   * when its type or name is wrong (`report.status`, `options.workers`), the option's key when
   * its value is refused (`status`, `durationMs`).
   */
  readonly field?: string;
}

/**
 * Bad input or an unreadable file: the CLI prints the message and exits `2`.
 * The message names the file, and the line and field when there is one; so
 * do `path`, `line` and `field`, for a script to tell a folder that is gone
 * from a misspelt option without reading the message. A Worker's
 * `postMessage` keeps of an error only its message (the class and these go):
 * post `{ ...error, message: error.message }`, which holds them all.
 *
 * @example
 * ```ts
 * import { InputError, recordRun } from "@runrec/runrec";
 *
 * const root = await Deno.makeTempDir();
 * const dir = `${root}/DEL-01-02_Flow_Meter`;
 * const said = (e: unknown) => {
 *   if (!(e instanceof InputError)) throw e;
 *   return [e.path === dir, e.field];
 * };
 * await recordRun(dir, { agent: "4_DOCUMENTS", status: "SUCCESS" }).catch((e) => {
 *   console.log(said(e)); // [true, undefined]: no such folder
 * });
 * await Deno.mkdir(dir);
 * await recordRun(dir, { agent: "4_DOCUMENTS", status: "DONE" as "SUCCESS" }).catch((e) => {
 *   console.log(said(e)); // [false, "status"]
 * });
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export class InputError extends Error {
  // Declared, not defined: an error holds only those it was given, as its own fields.
  /** The file or folder at fault, when there is one. */
  declare readonly path?: string;
  /** The line of `path` at fault, from 1, when there is one. */
  declare readonly line?: number;
  /** The argument, option or field at fault, when there is one. */
  declare readonly field?: string;

  /**
   * Creates the error with a one-line message (a line break a name holds is written `\n`, as
   * the CLI prints it), and where it is at fault (`path` as given).
   */
  constructor(message: string, options?: InputErrorOptions) {
    super(oneLine(message), options);
    this.name = "InputError";
    if (options?.path !== undefined) this.path = options.path;
    if (options?.line !== undefined) this.line = options.line;
    if (options?.field !== undefined) this.field = options.field;
  }
}

/**
 * Bad input in one of a caller's options: an {@linkcode InputError} whose
 * message names each option as the caller knows it. Its `message` names
 * the library's keys (`durationMs`); the CLI asks {@linkcode OptionError.messageWith}
 * for its flags (`--duration-ms`), so neither reads the other's names.
 *
 * @example
 * ```ts
 * import { OptionError } from "./errors.ts";
 * const error = new OptionError((name) => `${name("durationMs")}: must be a whole number`);
 * error.message; // "durationMs: must be a whole number"
 * error.field; // "durationMs"
 * error.messageWith((key) => `--${key}`); // "--durationMs: must be a whole number"
 * ```
 */
export class OptionError extends InputError {
  readonly #compose: (name: (key: string) => string) => string;

  /**
   * Creates the error from a message that names each option through `name`; its `field` is the
   * first option it names, unless `options` gives one.
   */
  constructor(
    compose: (name: (key: string) => string) => string,
    options?: InputErrorOptions,
  ) {
    const named: string[] = [];
    const message = compose((key) => {
      named.push(key);
      return key;
    });
    super(message, { ...options, field: options?.field ?? named[0] });
    this.#compose = compose;
  }

  /** The message with each option named by `name`. */
  messageWith(name: (key: string) => string): string {
    return this.#compose(name);
  }
}

/**
 * A check found a problem (invalid record, integrity failure, stale deliverable):
 * the CLI prints the message and exits `1`.
 *
 * @example
 * ```ts
 * import { CheckFailure } from "@runrec/runrec";
 * const error = new CheckFailure("RunRecords.csv line 7: RecordChecksum does not match");
 * console.log(error.name); // "CheckFailure"
 * ```
 */
export class CheckFailure extends Error {
  /** Creates the error with a one-line message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CheckFailure";
  }
}

/**
 * Why a file, a folder or a program could not be opened when this process
 * has as many files open as its limit allows (EMFILE; ENFILE: the system's):
 * the limit, not the file, is at fault, and a file said to be unreadable so
 * would be a wrong answer.
 */
export const TOO_MANY_OPEN_FILES = "too many files open at once: the limit on open files " +
  "(ulimit -n) leaves runrec too few; raise it (ulimit -n 4096) and run again";

/**
 * Whether `error` (or an error it was caused by) is a failure to open for
 * want of file descriptors: {@linkcode TOO_MANY_OPEN_FILES}.
 *
 * @example
 * ```ts
 * import { isOutOfDescriptors } from "./errors.ts";
 * isOutOfDescriptors(Object.assign(new Error("Too many open files (os error 24)"), { code: "EMFILE" })); // true
 * isOutOfDescriptors(new Deno.errors.NotFound("open 'x'")); // false
 * ```
 */
export function isOutOfDescriptors(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (code === "EMFILE" || code === "ENFILE") return true;
  }
  return false;
}

/**
 * The error that ends a command which ran out of file descriptors: one line
 * naming the limit (exit 2), never a file called unreadable.
 *
 * @example
 * ```ts
 * import { OutOfDescriptors } from "./errors.ts";
 * new OutOfDescriptors().message; // "too many files open at once: …"
 * ```
 */
export class OutOfDescriptors extends InputError {
  /** Creates the error, with the failure that met the limit as its cause. */
  constructor(options?: ErrorOptions) {
    super(TOO_MANY_OPEN_FILES, options);
  }
}

/**
 * Throws {@linkcode OutOfDescriptors} when `error` is a failure for want of
 * file descriptors: what a reader calls before it reports a file it could
 * not open as unreadable.
 *
 * @example
 * ```ts
 * import { refuseOutOfDescriptors } from "./errors.ts";
 * refuseOutOfDescriptors(new Deno.errors.PermissionDenied("open 'x'")); // returns
 * ```
 */
export function refuseOutOfDescriptors(error: unknown): void {
  if (isOutOfDescriptors(error)) throw new OutOfDescriptors({ cause: error });
}

/**
 * Why a file could not be read, in a few words and without the absolute path
 * that Deno's messages carry: what notes and verdicts say after the path.
 *
 * @example
 * ```ts
 * import { failureReason } from "./errors.ts";
 * failureReason(new Deno.errors.PermissionDenied("open '/x'")); // "permission denied"
 * failureReason(new Deno.errors.NotCapable("Requires read access")); // "no permission (outside what this runrec may read: Deno --allow-read)"
 * ```
 */
export function failureReason(error: Error | undefined): string {
  const name = nameReason(error);
  if (name !== undefined) return name;
  if (isOutOfDescriptors(error)) return TOO_MANY_OPEN_FILES;
  if (error instanceof Deno.errors.NotFound) return "not found";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "is a folder";
  if (error instanceof Deno.errors.NotADirectory) return "is not a folder";
  // Deno's permissions, not the file: the caller needs to give a wider grant.
  if (error instanceof Deno.errors.NotCapable) {
    const kind = /Requires (\w+) access/.exec(error.message)?.[1] ?? "read";
    // Deno guards some system paths (/proc, /dev) with --allow-all alone: no grant a user gives.
    if (kind === "all") return "no permission (a system path runrec does not use)";
    // Said so that a user of runrec-sandboxed, who has no flag to add, reads it too (F7).
    const what = kind === "read" || kind === "write" ? kind : `use (${kind})`;
    return `no permission (outside what this runrec may ${what}: Deno --allow-${kind})`;
  }
  return error?.message.split("\n")[0] ?? "unreadable";
}

const CANNOT_READ = ": cannot read: ";

/**
 * Why a record file could not be read, for a caller that names the file
 * itself: the reason in the reader's error (`<path>: cannot read: <why>`),
 * else the error's first line. Throws {@linkcode OutOfDescriptors} instead
 * when the file could not be opened for want of file descriptors.
 *
 * @example
 * ```ts
 * import { InputError, readFailure } from "./errors.ts";
 * readFailure(new InputError("x/RunRecords.csv: cannot read: permission denied")); // "permission denied"
 * ```
 */
export function readFailure(error: unknown): string {
  // A reader's own catch ends here: the limit stops the command, no file is called unreadable.
  refuseOutOfDescriptors(error);
  const message = (error as Error).message.split("\n")[0];
  const at = message.indexOf(CANNOT_READ);
  return error instanceof InputError && at >= 0 ? message.slice(at + CANNOT_READ.length) : message;
}

/**
 * The error of a record no longer at the line it was read at: the file was replaced between two
 * reads (a checkout, a rebase). Shared by the readers that read records again.
 *
 * @example
 * ```ts
 * import { replacedFile } from "./errors.ts";
 * throw replacedFile("RunRecords.csv", 3);
 * ```
 */
export function replacedFile(file: string, line: number): InputError {
  return new InputError(
    `${file}:${line}: no longer holds the record listed (the file was replaced while it was ` +
      "read): run the command again",
    { path: file, line },
  );
}

/**
 * What a throw says, for a FAILED record or a callback's warning: an Error's message (else, for an
 * AggregateError, its errors' messages, else its name); a plain object as
 * JSON, not `[object Object]` (trial-w F9).
 *
 * @example
 * ```ts
 * import { thrownMessage } from "./errors.ts";
 * thrownMessage(new Error("disk full")); // "disk full"
 * thrownMessage({ code: 7 }); // {"code":7}, as JSON
 * ```
 */
export function thrownMessage(error: unknown): string {
  if (error instanceof Error) {
    if (error.message.trim() !== "") return error.message;
    const inner = error instanceof AggregateError
      ? error.errors.map((e) => thrownMessage(e)).filter((m) => m !== "").join("; ")
      : "";
    return inner === "" ? error.name : `${error.name}: ${inner}`;
  }
  if (typeof error === "object" && error !== null) {
    try {
      return JSON.stringify(error);
    } catch { /* a cycle: said as String() says it */ }
  }
  return String(error);
}
