/**
 * The journal of a record file: the lines this work tree appended to it in
 * the last hour, in the git-ignored `.runrec/` beside it. git takes no
 * runrec lock: a `git pull` (merge, checkout, reset, stash, rebase) checks
 * that `RunRecords.csv` is as committed, then writes another file in its
 * place, and a record appended between the two is in the file git replaced.
 * The next append (or `runrec flush`) finds such a line missing from a file
 * that replaced the one it was appended to and still holds the record before
 * it, and puts it back, byte for byte. A file rewritten in place, or begun
 * anew, is not git's doing.
 *
 * A line is put back only on the `HEAD` it was appended on: after a branch
 * switch it belongs to the other branch. One a `git stash` made since may
 * hold is left to `git stash pop`, unless the stash is gone.
 *
 * @module
 */
import { basename, dirname, join } from "./path.ts";
import { checkoutOf } from "./git.ts";
import { inStateFolder, writeFileDurably } from "./state_folder.ts";

/** How long a line is checked for after its append: longer than any git command runs. */
const CHECKED_MS = 60 * 60 * 1000;

/** How long a line appended on another `HEAD` (or held by a stash) waits to be checked. */
const KEPT_MS = 24 * 60 * 60 * 1000;

/**
 * One appended line: when, on which `HEAD`, into which file (its identity:
 * {@linkcode identityOf}), at which offset, after which record line (`""`:
 * the file's first record).
 */
interface Entry {
  at: number;
  head: string;
  file: string;
  offset: number;
  previous: string;
  line: string;
}

/**
 * Path of the journal of `recordFile`, in the git-ignored `.runrec/` beside it.
 *
 * @example
 * ```ts
 * import { journalPath } from "./journal.ts";
 * journalPath("/p/DEL-01-02_X/RunRecords.csv"); // "/p/DEL-01-02_X/.runrec/RunRecords.csv.journal"
 * ```
 */
export function journalPath(recordFile: string): string {
  return join(dirname(recordFile), ".runrec", `${basename(recordFile)}.journal`);
}

/**
 * Notes in the journal that `line` was appended to `recordFile` at `offset`.
 * A failure is ignored: the record is written, and without its entry only a
 * git command racing the append could drop it unseen, as before journals.
 *
 * @example
 * ```ts
 * import { journalAppended } from "./journal.ts";
 * journalAppended("/p/DEL-01-02_X/RunRecords.csv", 1234, "v1.0,RUN-DEL-01-02-…");
 * ```
 */
export function journalAppended(recordFile: string, offset: number, line: string): void {
  const path = journalPath(recordFile);
  try {
    const entry: Entry = {
      at: Date.now(),
      head: checkoutOf(dirname(recordFile)).head,
      file: identityOf(recordFile),
      offset,
      previous: lineBefore(recordFile, offset),
      line,
    };
    // Each entry starts a line of its own: one a full disk cut short spoils no other.
    inStateFolder(
      dirname(path),
      () => Deno.writeTextFileSync(path, `\n${JSON.stringify(entry)}`, { append: true }),
    );
  } catch { /* see above */ }
}

/** How {@linkcode putBackDropped} looks into the record file and appends to it. */
export interface RecordFileAccess {
  /** Whether a whole record of the file is `line`, wherever it is. */
  holds(line: string): boolean;
  /** Appends `line` at the file's end; returns the offset it landed at. */
  append(line: string): number;
}

/**
 * Puts back the journal's lines that are missing from `recordFile` and
 * returns their RunIDs. Called under the append lock. Lines checked long
 * enough are dropped from the journal; a failure to read or rewrite it puts
 * nothing back.
 *
 * @example
 * ```ts
 * import { putBackDropped, type RecordFileAccess } from "./journal.ts";
 * declare const access: RecordFileAccess;
 * putBackDropped("/p/DEL-01-02_X/RunRecords.csv", access); // [] unless git dropped a line
 * ```
 */
export function putBackDropped(recordFile: string, access: RecordFileAccess): string[] {
  const path = journalPath(recordFile);
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return []; // no journal: nothing appended here lately
  }
  const entries = text.split("\n").flatMap(parseEntry);
  const { head, stashed } = checkoutOf(dirname(recordFile));
  const now = Date.now();
  const putBack: string[] = [];
  let changed = false;
  const kept = entries.filter((entry) => {
    if (entry.head !== head || entry.at < stashed) return now - entry.at < KEPT_MS;
    const identity = identityOf(recordFile);
    if (identity === "" || identity !== entry.file) {
      // Another file at the path (git's, after a pull): judged once, then known by its identity,
      // so that the appends after a pull do not each read the whole file again.
      if (isDropped(recordFile, entry, access)) {
        entry.offset = access.append(entry.line);
        entry.at = now; // checked for another hour, as a line just appended
        putBack.push(entry.line.split(",")[1]);
      }
      entry.file = identityOf(recordFile);
      changed = true;
    }
    return now - entry.at < CHECKED_MS;
  });
  if (changed || kept.length < entries.length) {
    try {
      // None left: no file, so that `flush` of a root takes no lock where nothing is owed.
      if (kept.length === 0) Deno.removeSync(path);
      else writeFileDurably(path, kept.map((entry) => `\n${JSON.stringify(entry)}`).join(""));
    } catch { /* kept as it was: its lines are checked again next time */ }
  }
  return putBack;
}

/**
 * Whether the entry's line is missing from the file that replaced the one it
 * was appended to, and that file holds the record line before it: git's
 * version of the file, with every record committed before. One begun anew (a
 * deliverable retired to `_Archive/` and restarted) holds no earlier record,
 * nor does a file whose first record it was. (A file rewritten in place, the
 * same one, is an edit, for `verify` to judge: not asked about.)
 */
function isDropped(recordFile: string, entry: Entry, access: RecordFileAccess): boolean {
  return entry.previous !== "" && !lineAt(recordFile, entry) && !access.holds(entry.line) &&
    access.holds(entry.previous);
}

/** How far before a line its previous line is looked for: far longer than a record. */
const PREVIOUS_BYTES = 1 << 16;

/** The record line that ends right before `offset`; `""` for the header or none found. */
function lineBefore(recordFile: string, offset: number): string {
  const start = Math.max(0, offset - PREVIOUS_BYTES);
  const bytes = read(recordFile, start, offset - start);
  const text = new TextDecoder().decode(bytes).replace(/\r?\n$/, "");
  const from = text.lastIndexOf("\n");
  if (from < 0 && start > 0) return "";
  const line = text.slice(from + 1);
  return line.startsWith("SchemaVersion,") ? "" : line;
}

/** Up to `length` bytes of the file at `offset`; fewer at its end or when it cannot be read. */
function read(recordFile: string, offset: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let got = 0;
  try {
    using file = Deno.openSync(recordFile, { read: true });
    file.seekSync(offset, Deno.SeekMode.Start);
    while (got < length) {
      const n = file.readSync(bytes.subarray(got));
      if (n === null) break;
      got += n;
    }
  } catch { /* what was read */ }
  return bytes.subarray(0, got);
}

/** An entry of the journal's text line, or none for a blank or spoilt one. */
function parseEntry(text: string): Entry[] {
  try {
    const entry = JSON.parse(text);
    return typeof entry?.line === "string" && typeof entry.head === "string" &&
        typeof entry.file === "string" && typeof entry.previous === "string" &&
        Number.isSafeInteger(entry.at) && Number.isSafeInteger(entry.offset)
      ? [entry]
      : [];
  } catch {
    return [];
  }
}

/** Whether the entry's line is where it was appended: the usual case, one small read. */
function lineAt(recordFile: string, entry: Entry): boolean {
  const expected = new TextEncoder().encode(`${entry.line}\n`);
  const found = read(recordFile, entry.offset, expected.length);
  return found.length === expected.length && found.every((byte, i) => byte === expected[i]);
}

/**
 * The file's device, inode and birth time (git's new file often gets the
 * inode number just freed), `""` when it is gone or the platform lacks one.
 */
function identityOf(recordFile: string): string {
  try {
    const { dev, ino, birthtime } = Deno.statSync(recordFile);
    return ino === null || birthtime === null ? "" : `${dev}:${ino}:${birthtime.getTime()}`;
  } catch {
    return "";
  }
}
