/**
 * The journal of a record file: the lines this work tree appended to it in
 * the last hour, in the git-ignored `.runrec/` beside it. git takes no
 * runrec lock: a `git pull` (merge, checkout, reset, stash, rebase) checks
 * that `RunRecords.csv` is as committed, then writes another file in its
 * place, and a record appended between the two is in the file git replaced.
 * The next append (or `runrec flush`) finds such a line missing from a file
 * that is not the one it was appended to, and puts it back, byte for byte.
 * A file rewritten in place is an edit, not git's: `verify` judges those.
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

/** One appended line: when, on which `HEAD`, into which file (device:inode), at which offset. */
interface Entry {
  at: number;
  head: string;
  file: string;
  offset: number;
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
  const kept = entries.filter((entry) => {
    if (entry.head !== head || entry.at < stashed) return now - entry.at < KEPT_MS;
    // A file rewritten in place was not replaced: an edit, for verify to judge.
    const identity = identityOf(recordFile);
    const replaced = identity === "" || identity !== entry.file;
    if (replaced && !lineAt(recordFile, entry) && !access.holds(entry.line)) {
      entry.offset = access.append(entry.line);
      entry.file = identityOf(recordFile);
      entry.at = now; // checked for another hour, as a line just appended
      putBack.push(entry.line.split(",")[1]);
    }
    return now - entry.at < CHECKED_MS;
  });
  if (putBack.length > 0 || kept.length < entries.length) {
    try {
      writeFileDurably(path, kept.map((entry) => `\n${JSON.stringify(entry)}`).join(""));
    } catch { /* kept as it was: its lines are checked again next time */ }
  }
  return putBack;
}

/** An entry of the journal's text line, or none for a blank or spoilt one. */
function parseEntry(text: string): Entry[] {
  try {
    const entry = JSON.parse(text);
    return typeof entry?.line === "string" && typeof entry.head === "string" &&
        typeof entry.file === "string" &&
        Number.isSafeInteger(entry.at) && Number.isSafeInteger(entry.offset)
      ? [entry]
      : [];
  } catch {
    return [];
  }
}

/** Whether the entry's line is where it was appended: the usual case, one small read. */
function lineAt(recordFile: string, entry: Entry): boolean {
  const bytes = new TextEncoder().encode(`${entry.line}\n`);
  const found = new Uint8Array(bytes.length);
  try {
    using file = Deno.openSync(recordFile, { read: true });
    file.seekSync(entry.offset, Deno.SeekMode.Start);
    for (let got = 0; got < found.length;) {
      const n = file.readSync(found.subarray(got));
      if (n === null) return false;
      got += n;
    }
  } catch {
    return false;
  }
  return found.every((byte, i) => byte === bytes[i]);
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
