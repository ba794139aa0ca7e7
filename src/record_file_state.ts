/**
 * What an append must know of the record file before it writes: whether it
 * exists and which file it is, its size, what its header lacks, whether it
 * ends in a torn line or in another schema version's line; refused when it is
 * a link, not a regular file, not a run record file, or mid-merge.
 *
 * @module
 */
import { checksumMatches } from "./codec.ts";
import { LINKED_RECORD_FILE } from "./linked_record_file.ts";
import { additiveHeaderFault } from "./schema_versions.ts";
import { whereItDiffers } from "./messages.ts";
import { awaitGitsVersion } from "./git.ts";
import { identityOf, readAt } from "./appended.ts";
import { HEADER, LINE_LIMIT_BYTES, SCHEMA_VERSION } from "./schema.ts";
import { WriteError } from "./append_types.ts";
import { CHUNK, NEWLINE } from "./record_lines.ts";
import { shellWord } from "./shell_word.ts";

/**
 * A record file that is a symbolic link would send records out of the
 * deliverable (into another deliverable's file, or any file): refused.
 * Checked before the lock and again right before each open.
 *
 * @example
 * ```ts
 * import { refuseLink } from "./record_file_state.ts";
 * refuseLink("/abs/DEL-01-02_X/RunRecords.csv"); // throws a WriteError for a link or a folder
 * ```
 */
export function refuseLink(path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw new WriteError(`${path}: cannot stat: ${(e as Error).message}`, { cause: e });
  }
  if (info.isSymlink) {
    throw new WriteError(`${path}: ${LINKED_RECORD_FILE}`);
  }
  if (!info.isFile) throw new WriteError(`${path}: not a regular file`);
}

/**
 * The state of the record file at `path` once git is done writing it (see `awaitGitsVersion`):
 * waited for before the read, and again when the read finds it gone or empty, as git may have
 * taken the index and unlinked it between the two. A file created then keeps git's out (its
 * create fails: "File exists"), and the next checkout drops what was appended to it for good,
 * since the journal puts back no line of a file begun anew (review-40 F4).
 *
 * @example
 * ```ts
 * import { settledFileState } from "./record_file_state.ts";
 * const path = "/abs/DEL-01-02_X/RunRecords.csv";
 * const state = settledFileState("DEL-01-02_X/RunRecords.csv", path);
 * console.log(state.exists ? state.size : "no file yet");
 * ```
 */
export function settledFileState(file: string, path: string): FileState {
  awaitGitsVersion(path);
  const state = readFileState(file, path);
  if (state.exists && state.size > 0) return state;
  awaitGitsVersion(path);
  return readFileState(file, path);
}

/**
 * What the store needs to know of the file before an append.
 *
 * @example
 * ```ts
 * import type { FileState } from "./record_file_state.ts";
 * declare const state: FileState;
 * const tornTail = state.headerMissing === "" && !state.endsWithNewline;
 * ```
 */
export interface FileState {
  exists: boolean;
  /** Which file it is (device and inode, where the platform says), to see it replaced. */
  identity?: string;
  size: number;
  endsWithNewline: boolean;
  /**
   * What is missing of the header line, `\n` included: all of it for an
   * empty file, the rest of it after an interrupted first write (possibly
   * zero-filled at power loss), `""` when the header is whole.
   */
  headerMissing: string;
  /**
   * Whether the last whole line belongs to another schema version (its header
   * line or its record), so our header line must come first (SCHEMA.md 11.3).
   */
  afterOtherVersion: boolean;
}

/** How much of a file's start is read to find its header line. */
const HEAD_WINDOW = 1 << 16;

/**
 * Reads the header (which must be runrec's), the last byte and the last whole
 * line; nothing in between, so an append costs the same however long the file.
 */
function readFileState(file: string, path: string): FileState {
  let handle: Deno.FsFile;
  try {
    handle = Deno.openSync(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return {
        exists: false,
        size: 0,
        endsWithNewline: true,
        headerMissing: `${HEADER}\n`,
        afterOtherVersion: false,
      };
    }
    throw new WriteError(`${path}: cannot open: ${(e as Error).message}`, { cause: e });
  }
  try {
    const info = handle.statSync();
    const size = info.size;
    const head = readAt(handle, 0, Math.min(size, HEAD_WINDOW));
    const headerMissing = missingHeader(file, head, head.length === size);
    const tail = readAt(handle, Math.max(0, size - TAIL_WINDOW), Math.min(size, TAIL_WINDOW));
    refuseConflict(file, tail);
    const last = size === 0 ? NEWLINE : tail[tail.length - 1];
    const afterOtherVersion = headerMissing === "" && lastLineIsOtherVersion(handle, size);
    return {
      exists: true,
      identity: identityOf(info),
      size,
      endsWithNewline: last === NEWLINE,
      headerMissing,
      afterOtherVersion,
    };
  } finally {
    handle.close();
  }
}

/**
 * Whether the file's last whole line (a torn tail is passed over) is not ours:
 * neither our header line nor a record of our SchemaVersion whose checksum
 * matches. When every writer obeys SCHEMA.md 11.3 the last line tells the
 * layout in force, so the header line above it need not be looked for. Blank
 * lines (or NULs a power loss left) say nothing: the line before them decides.
 * A corrupt line (one starting `v1.0,` too) counts as another version's: a
 * header line more is harmless, a record under a foreign header is not.
 */
function lastLineIsOtherVersion(handle: Deno.FsFile, size: number): boolean {
  // No whole line (the header is being completed), or nothing but blank lines: ours to start.
  for (let end = lastNewlineBefore(handle, size); end >= 0;) {
    const start = lastNewlineBefore(handle, end) + 1;
    // Longer than the reader's line limit: not a line it reads, so not ours.
    if (end - start > LINE_LIMIT_BYTES) return true;
    const text = new TextDecoder().decode(readAt(handle, start, end - start))
      .replace(/\r$/, "").replace(/^\0+|\0+$/g, "");
    if (text !== "") {
      return text !== HEADER && !(text.startsWith(`${SCHEMA_VERSION},`) && checksumMatches(text));
    }
    end = start - 1;
  }
  return false;
}

/** Offset of the last `\n` before byte `end`, or -1; reads back one chunk at a time. */
function lastNewlineBefore(handle: Deno.FsFile, end: number): number {
  for (let to = end; to > 0;) {
    const from = Math.max(0, to - CHUNK);
    const at = readAt(handle, from, to - from).lastIndexOf(NEWLINE);
    if (at >= 0) return from + at;
    to = from;
  }
  return -1;
}

/** How much of a file's end is read for its last line (a git conflict marker is short). */
const TAIL_WINDOW = 512;

/**
 * Refuses a file whose last line is git's `>>>>>>> ` conflict marker: it is
 * mid-merge, and resolving the conflict as git suggests (`--ours` or
 * `--theirs`) would drop a record appended now. The record is spooled instead.
 */
function refuseConflict(file: string, tail: Uint8Array): void {
  const text = new TextDecoder().decode(tail).replace(/\r?\n$/, "");
  const lastLine = text.slice(text.lastIndexOf("\n") + 1);
  if (!lastLine.startsWith(">>>>>>> ")) return;
  throw new WriteError(
    `${file}: an unresolved git merge conflict (its last line is ${
      JSON.stringify(lastLine.slice(0, 40))
    }): ` +
      "keep both sides' lines and delete the markers: with the .gitattributes line " +
      `'RunRecords.csv merge=union' in place, git checkout -m -- ${shellWord(file)} does it ` +
      "(and the line avoids the conflict next time)",
  );
}

/**
 * What is missing of the header line, given the file's first bytes (`whole`:
 * all of the file). Leading NUL bytes are skipped, as readers skip them: a
 * file system may zero-fill what a lost write left. A header cut short is
 * completed by appending its rest, so no byte is ever rewritten; anything
 * else that is not the header is refused.
 */
function missingHeader(file: string, head: Uint8Array, whole: boolean): string {
  let start = 0;
  while (start < head.length && head[start] === 0) start++;
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(head.subarray(start));
  const nl = text.indexOf("\n");
  const firstLine = (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, "");
  // A newer additive version's header may be line 1 (SCHEMA.md 11.3): ours then follows it.
  // Even one whose added names the reader reports: refusing every append would not mend it.
  if (nl >= 0 && (firstLine === HEADER || additiveHeaderFault(firstLine) !== undefined)) return "";
  if (nl < 0 && whole && HEADER.startsWith(firstLine)) return `${HEADER.slice(firstLine.length)}\n`;
  const bom = text.startsWith("\uFEFF");
  const rest = firstLine.slice(bom ? 1 : 0);
  // Dropping the mark mends only a header line that is ours after it.
  const markOnly = bom && (rest === HEADER || additiveHeaderFault(rest) !== undefined);
  const fix = markOnly
    ? "delete those 3 bytes"
    : rest === ""
    ? "delete the empty line(s) before the header line, or the file if it holds nothing else"
    : rest.includes("\r")
    ? "its lines end in CR alone, not LF: convert the line ends to LF"
    : /^SchemaVersion,.*,RecordChecksum$/.test(rest)
    // Rewritten to ours, it would make the other version's records unreadable (review-x F5).
    ? "a header of another schema version (a file a newer runrec began?): flush this record " +
      "with that runrec; only if it is this version's header mistyped, correct it (SCHEMA.md " +
      "1.4, 11.3)"
    : "line 1 must be the v1.0 header line, or a newer additive version's (SCHEMA.md 1.4, 11.3)";
  throw new WriteError(
    `${file}:1: not a run record file: header ` +
      (bom ? "starts with a UTF-8 byte-order mark (EF BB BF), then " : "is ") +
      `${whereItDiffers(rest)}: ${fix}${bom && !markOnly ? "; the mark must go too" : ""}`,
  );
}
