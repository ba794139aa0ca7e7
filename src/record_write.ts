/**
 * The write of one record line: what it needs before it (header, a torn
 * tail's `\n`), one `write` call that fails when another program replaced
 * the file, fsync, and the read-back check of the bytes.
 *
 * @module
 */
import { decodeRecord } from "./codec.ts";
import type { HeldLock } from "./lock.ts";
import { identityOf, readAt } from "./appended.ts";
import { HEADER, validateRecord } from "./schema.ts";
import { WriteError } from "./append_types.ts";
import { encoder } from "./record_lines.ts";
import type { FileState } from "./record_file_state.ts";
import { syncFolder } from "./state_folder.ts";
import { dirname } from "./path.ts";

/**
 * The file at the path is not the one an append looked at (before its
 * write) or wrote to (after it: `line` is the line written to the file it
 * replaced), so the append starts over from a fresh look.
 *
 * @example
 * ```ts
 * import { FileReplaced } from "./record_write.ts";
 * const replaced = new FileReplaced("/abs/DEL-01-02_X/RunRecords.csv: removed meanwhile");
 * replaced.line; // undefined: nothing was written to it
 * ```
 */
export class FileReplaced extends WriteError {
  /** The record's line, when it was written to the replaced file. */
  readonly line?: string;
  /** Builds the error. */
  constructor(message: string, line?: string) {
    super(message);
    this.line = line;
  }
}

/**
 * What an append writes before its line (ASCII): what the file lacks (the
 * header, a torn tail's `\n`, our header after another version's line).
 *
 * @example
 * ```ts
 * import { linePrefix } from "./record_write.ts";
 * declare const state: import("./record_file_state.ts").FileState;
 * linePrefix(state); // "" when the file ends in a whole line of this version
 * ```
 */
export function linePrefix(state: FileState): string {
  const tornTail = state.headerMissing === "" && !state.endsWithNewline;
  const ownHeader = state.afterOtherVersion ? `${HEADER}\n` : "";
  return state.headerMissing + (tornTail ? "\n" : "") + ownHeader;
}

/**
 * Appends one record line to the file `state` describes, after what it
 * lacks before a line (the header, a torn tail's `\n`, our header after
 * another version's line), and reads it back. `offset` and `bytes`: where
 * the write landed and how much of it; `lineOffset`: where the line starts.
 *
 * @example
 * ```ts
 * import { writeLine } from "./record_write.ts";
 * declare const state: import("./record_file_state.ts").FileState;
 * declare const lock: import("./lock.ts").HeldLock;
 * declare const line: string;
 * writeLine("/abs/DEL-01-02_X/RunRecords.csv", state, line, lock, true).lineOffset;
 * ```
 */
export function writeLine(
  path: string,
  state: FileState,
  line: string,
  lock: HeldLock,
  fsync: boolean,
): { offset: number; bytes: number; lineOffset: number; tornTail: boolean } {
  const tornTail = state.headerMissing === "" && !state.endsWithNewline;
  const before = linePrefix(state);
  const bytes = encoder.encode(`${before}${line}\n`);
  // The last moment to find the lock taken over; after this, our bytes may land.
  if (!lock.stillHeld()) {
    throw new WriteError(`${path}.lock: the append lock is no longer ours; record not written`);
  }
  const { offset, written } = writeOnce(path, bytes, state, fsync);
  checkWritten(path, offset, bytes.subarray(0, written));
  return { offset, bytes: written, lineOffset: offset + before.length, tornTail };
}

/**
 * One `write` call; returns the offset where the bytes landed and how many
 * landed: all, or all but the final `\n` (a record whole without it).
 */
function writeOnce(
  path: string,
  bytes: Uint8Array,
  state: FileState,
  fsync: boolean,
): { offset: number; written: number } {
  let handle: Deno.FsFile;
  try {
    handle = Deno.openSync(
      path,
      state.exists ? { append: true } : { createNew: true, write: true },
    );
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) {
      throw new FileReplaced(`${path}: created by another program meanwhile`);
    }
    // Unlinked since it was read (git replacing it): tried again once git's file is there, not
    // spooled (review-40 F4).
    if (state.exists && e instanceof Deno.errors.NotFound) {
      throw new FileReplaced(`${path}: removed by another program meanwhile`);
    }
    throw new WriteError(`${path}: cannot open for append: ${(e as Error).message}`, { cause: e });
  }
  try {
    const opened = handle.statSync();
    // Only runrec's writers take the lock: what else changed the file (git) was not looked at.
    if (state.exists && (identityOf(opened) !== state.identity || opened.size !== state.size)) {
      throw new FileReplaced(`${path}: replaced or changed by another program meanwhile`);
    }
    const before = opened.size;
    let written: number;
    try {
      written = handle.writeSync(bytes);
    } catch (e) {
      throw new WriteError(`${path}: write failed: ${(e as Error).message}`, { cause: e });
    }
    // Short of the record's final `\n` only, the record is whole: readers take it, so it
    // is written (never spooled) and the next append's torn-tail `\n` ends its line.
    if (written < bytes.length - 1) {
      // A torn line: not a record (no valid checksum); the next append starts a new line.
      throw new WriteError(`${path}: short write: ${written} of ${bytes.length} bytes`);
    }
    if (fsync) {
      try {
        handle.syncSync();
      } catch (e) {
        throw new WriteError(`${path}: fsync failed: ${(e as Error).message}`, {
          cause: e,
          landed: true,
        });
      }
      // A file just created is durable only once its folder's entry is too; its bytes are in it
      // all the same, so a failure is the file's fsync's: landed, never spooled.
      const folderFailed = state.exists ? undefined : syncFolder(dirname(path));
      if (folderFailed !== undefined) {
        throw new WriteError(`${dirname(path)}: fsync failed: ${folderFailed.message}`, {
          cause: folderFailed,
          landed: true,
        });
      }
    }
    const wrote = handle.statSync();
    const now = identityAt(path);
    if (identityOf(wrote) !== now) {
      // Moved or removed with our bytes in it (a folder renamed): they are in a file, not ours to
      // write again. Unlinked, with another file in its place (git checkout, pull, reset): that
      // file lacks them unless it is a copy of ours.
      if (now === "gone" || wrote.nlink !== 0) {
        throw new WriteError(`${path}: moved or removed while the record was written`, {
          landed: true,
        });
      }
      throw new FileReplaced(
        `${path}: replaced by another program while the record was written`,
        recordLineOf(bytes.subarray(0, written)),
      );
    }
    // Under the lock no one else appends, so our bytes start where the file ended.
    return { offset: before, written };
  } finally {
    handle.close();
  }
}

/** The record's line among the bytes an append wrote (its header line may come first). */
function recordLineOf(bytes: Uint8Array): string {
  const text = new TextDecoder().decode(bytes).replace(/\n$/, "");
  return text.slice(text.lastIndexOf("\n") + 1);
}

/** {@linkcode identityOf} the file at `path`, or `"gone"` when there is none. */
function identityAt(path: string): string | undefined {
  try {
    return identityOf(Deno.lstatSync(path));
  } catch {
    return "gone";
  }
}

/**
 * Post-write validation: the bytes in the file are ours and their last line
 * (ended by `\n`, or not when a short write left it out) decodes to a valid
 * record; else a {@linkcode WriteError} (`landed`: the bytes are there, so
 * the record is never spooled to be written again).
 *
 * @example
 * ```ts
 * import { checkWritten } from "./record_write.ts";
 * declare const line: Uint8Array; // a record line just written at offset 1234
 * checkWritten("DEL-01-02_X/RunRecords.csv", 1234, line); // throws when it is not a valid record
 * ```
 */
export function checkWritten(path: string, offset: number, bytes: Uint8Array): void {
  let back: Uint8Array;
  try {
    const handle = Deno.openSync(path, { read: true });
    try {
      back = readAt(handle, offset, bytes.length);
    } finally {
      handle.close();
    }
  } catch (e) {
    throw new WriteError(`${path}: post-write check: ${(e as Error).message}`, {
      cause: e,
      landed: true,
    });
  }
  if (back.length !== bytes.length || back.some((b, i) => b !== bytes[i])) {
    throw new WriteError(`${path}: post-write check: bytes at offset ${offset} differ`, {
      landed: true,
    });
  }
  const line = recordLineOf(back);
  let problem: string | undefined;
  try {
    const [first] = validateRecord(decodeRecord(line));
    if (first) problem = `${first.field} ${first.message}`;
  } catch (e) {
    problem = (e as Error).message;
  }
  if (problem) throw new WriteError(`${path}: post-write check: ${problem}`, { landed: true });
}
