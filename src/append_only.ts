/**
 * K-APPEND-1 between two versions of a record file, on their bytes alone:
 * a later version must have the earlier one as a byte-for-byte prefix, or
 * keep its every line in order with whole records inserted among them (a
 * squash merge of a branch that had merged the other side); a merge's version
 * must keep its first parent's lines in order, every other line one of
 * another parent's (as `merge=union` makes it) or a whole record
 * of a new RunID appended after them all; a version
 * reached another way (a merged side branch) must keep every line, in any
 * order.
 *
 * Lines are compared as bytes, never as decoded text: a record's Notes or
 * paths hold any UTF-8 (em dashes, euro signs), and a damaged line may hold
 * bytes that are no UTF-8 at all.
 *
 * @module
 */
import { changedFields, fieldWords, headerAt } from "./changed_fields.ts";
import { checksumOf } from "./codec.ts";
import { ofOneRun, runIdOfLine } from "./record_lines.ts";

const NEWLINE = 10;

/** Why a later version breaks the rule: the first line where it differs. */
export interface PrefixProblem {
  /** 1-based line of the earlier version where the two first differ. */
  line: number;
  /** What happened, in words. */
  message: string;
  /** The RunID of the record taken out, when one was (a revert, a reset, a hand edit). */
  removed?: string;
  /** The RunID of the record whose line differs, when that line was changed, not taken out. */
  changed?: string;
  /** The columns whose cells that change differs in (with `changed`), by the header's names. */
  fields?: string[];
}

/**
 * Why `later` does not start with `earlier`, or `undefined` when it does:
 * the first line where the two differ, named by its RunID as removed when
 * that record was taken out (its RunID gone, the lines after it kept).
 *
 * @example
 * ```ts
 * import { prefixProblem } from "./append_only.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * prefixProblem(bytes("h\na\n"), bytes("h\na\nb\n")); // undefined
 * prefixProblem(bytes("h\na\n"), bytes("h\nb\n")); // { line: 2, message: "line 2 differs (byte 3 of the file)" }
 * // A record line gone, its RunID with it, is named: "record RUN-… (line 2) was removed".
 * // One edited in place names its fields: "line 2 differs (byte 90 of the file), field RunStatus".
 * ```
 */
export function prefixProblem(earlier: Uint8Array, later: Uint8Array): PrefixProblem | undefined {
  const n = Math.min(earlier.length, later.length);
  let i = 0;
  while (i < n && earlier[i] === later[i]) i++;
  if (i === earlier.length) return undefined;
  let line = 1;
  for (let j = 0; j < i; j++) if (earlier[j] === NEWLINE) line++;
  const removed = removedRecord(earlier, later);
  if (i === later.length) {
    const cut = `line ${line}: the file is cut to ${later.length} bytes (was ${earlier.length})`;
    return removed
      ? { line, message: `${cut}: record ${removed.runId} removed`, removed: removed.runId }
      : { line, message: cut };
  }
  if (removed) {
    const by = removed.by ? ` and another run's record ${removed.by} put in its place` : "";
    return {
      line: removed.line,
      message: `record ${removed.runId} (line ${removed.line}) was removed${by}`,
      removed: removed.runId,
    };
  }
  const message = `line ${line} differs (byte ${i + 1} of the file)`;
  const changed = changedRecord(earlier, later, line);
  if (!changed) return { line, message };
  const { runId, fields } = changed;
  return { line, message: `${message}${fieldWords(fields)}`, changed: runId, fields };
}

/**
 * The RunID of the record at `line` of `earlier` when `later` holds that line changed in place:
 * the same RunID and RunTimestamp (a file begun anew in that minute reuses the RunID, never the
 * millisecond), every other line of `earlier` kept where it was; with the fields changed.
 */
function changedRecord(
  earlier: Uint8Array,
  later: Uint8Array,
  line: number,
): { runId: string; fields: string[] } | undefined {
  const before = byteLines(earlier);
  const after = byteLines(later);
  const [was, now] = [before[line - 1], after[line - 1]];
  const runId = was === undefined ? undefined : runIdOfLine(was);
  if (!runId || now === undefined || runIdOfLine(now) !== runId) return undefined;
  const sameRun = was.split(",", 6)[5] === now.split(",", 6)[5];
  if (!sameRun || !before.every((kept, i) => i === line - 1 || after[i] === kept)) return undefined;
  const fields = changedFields(headerAt(before, line - 1), was, headerAt(after, line - 1), now);
  return { runId, fields };
}

/**
 * The first line where `later` departs from `earlier`, when that line is a
 * record taken out: its RunID is on no line of `later`, and `later` goes on
 * with the line after it (or ends there), or with another run's record in
 * its place and every line after it kept (`by`: a conflict of a cherry-pick
 * or rebase resolved with the other side's file). A line changed in place is
 * not one removed, even when the change hit its RunID: its RunTimestamp is
 * still the run's.
 */
function removedRecord(
  earlier: Uint8Array,
  later: Uint8Array,
): { line: number; runId: string; by?: string } | undefined {
  const before = byteLines(earlier);
  const after = byteLines(later);
  let at = 0;
  while (at < before.length && before[at] === after[at]) at++;
  const runId = at < before.length ? runIdOfLine(before[at]) : undefined;
  if (!runId || after.some((line) => runIdOfLine(line) === runId)) return undefined;
  if (at === after.length || after[at] === before[at + 1]) return { line: at + 1, runId };
  // One line swapped for another run's, the rest kept in order: not a file begun anew.
  const by = runIdOfLine(after[at]);
  const anotherRun = by !== undefined && !before.includes(after[at]) &&
    after[at].split(",", 6)[5] !== before[at].split(",", 6)[5] &&
    before.slice(at + 1).every((line, i) => after[at + 1 + i] === line);
  return anotherRun ? { line: at + 1, runId, by } : undefined;
}

/** How a merge's version of a record file keeps its parents' lines: see {@linkcode mergeLines}. */
export interface MergeLines {
  /** Lines not matched to the first parent's, taken from the other parents. */
  placed: number;
  /**
   * Whole records in no parent's version after every parent's line, each of a RunID no other
   * line holds: runs recorded while the merge was in progress, appended as any commit may.
   */
  appended: number;
  /** The first line in no parent's version that is not such a record, with its line in the merge's. */
  foreign?: ForeignLine;
  /**
   * Whether the first parent's lines are all there but not in their order: a union merge of a
   * criss-cross history (two merge bases) may place one of them after the other side's.
   */
  reordered?: boolean;
}

/** A line of a merge's version that is in no parent's and is not taken as appended. */
export interface ForeignLine {
  /** 1-based line number in the merge's version. */
  line: number;
  /** The record's RunID, or `undefined` for a line that holds none (a conflict marker, a blank). */
  runId?: string;
  /**
   * Why a line holding a RunID is not a record the merge appended: its RecordChecksum does not
   * match its bytes (`checksum`), another line of the merge's or a parent's version holds its
   * RunID (`repeated`), or a parent's line follows it (`amid`).
   */
  because?: "checksum" | "repeated" | "amid";
}

/**
 * How the version a merge commit made (`merged`) keeps its parents'
 * versions, or `undefined` when it does not keep every line of the first
 * parent's (each as often as there). They are kept in order, or `reordered`
 * (a union merge of a criss-cross history: soak7 F1). Every other line must
 * be, byte for byte, a line of one of `otherParents`' versions (as
 * `merge=union` places them), or a whole record of a new RunID after all of
 * those (`appended`: a run recorded while the merge was in progress); the
 * first that is neither is `foreign`.
 *
 * @example
 * ```ts
 * import { mergeLines } from "./append_only.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * mergeLines(bytes("h\na\n"), bytes("h\na\nb\n"), [bytes("h\nb\n")]); // { placed: 1, appended: 0 }
 * mergeLines(bytes("h\na\n"), bytes("h\na\nc\n"), [bytes("h\nb\n")]); // { placed: 0, appended: 0, foreign: { line: 3, runId: undefined } }
 * mergeLines(bytes("h\na\nb\n"), bytes("h\nb\na\n"), [bytes("h\n")]); // { placed: 0, appended: 0, reordered: true }
 * ```
 */
export function mergeLines(
  firstParent: Uint8Array,
  merged: Uint8Array,
  otherParents: Uint8Array[],
): MergeLines | undefined {
  const ours = byteLines(firstParent);
  const others = otherParents.flatMap(byteLines);
  const theirs = new Set(others);
  const lines = byteLines(merged);
  // Which of the merge's lines are the first parent's, in order if they can be.
  const kept = keptInOrder(ours, lines);
  const reordered = kept.filter(Boolean).length < ours.length;
  if (reordered) {
    // Not in order: each of the first parent's lines must still be there, as often.
    const left = new Map<string, number>();
    for (const line of ours) left.set(line, (left.get(line) ?? 0) + 1);
    for (const [i, line] of lines.entries()) {
      const count = left.get(line) ?? 0;
      kept[i] = count > 0;
      if (count > 0) left.set(line, count - 1);
    }
    if (![...left.values()].every((count) => count === 0)) return undefined;
  }
  const result: MergeLines = { placed: 0, appended: 0, ...reordered && { reordered } };
  const fromParent = lines.map((line, i) => kept[i] || theirs.has(line));
  const lastParentLine = fromParent.lastIndexOf(true);
  // How many lines of the merge's and its parents' versions hold each RunID: counted only for a
  // merge that added a record line, not for every union merge of a long file.
  let held: Map<string, number> | undefined;
  const holders = (runId: string) =>
    (held ??= runIdCounts([...lines, ...ours, ...others])).get(runId)!;
  for (const [i, line] of lines.entries()) {
    if (kept[i]) continue;
    if (fromParent[i]) {
      result.placed++;
      continue;
    }
    const runId = runIdOfLine(line);
    const because = runId === undefined
      ? undefined
      : !checksumHolds(line)
      ? "checksum"
      : holders(runId) > 1
      ? "repeated"
      : i < lastParentLine
      ? "amid"
      : undefined;
    if (runId !== undefined && because === undefined) result.appended++;
    else result.foreign ??= { line: i + 1, runId, ...because && { because } };
  }
  return result;
}

/**
 * Which of `lines` are `ours`, matched in order, each to the first line after
 * the one before it that is the same bytes: all of `ours` are matched when it
 * is a subsequence of `lines` (matching the earliest never misses one).
 */
function keptInOrder(ours: string[], lines: string[]): boolean[] {
  let j = 0;
  return lines.map((line) => {
    if (j === ours.length || line !== ours[j]) return false;
    j++;
    return true;
  });
}

/**
 * How many lines `later` inserted among `earlier`'s lines, when it keeps
 * every line of `earlier`, byte for byte and in order, and adds only whole
 * record lines (each holding a RunID and ending in `\n`) before, among or
 * after them; else `undefined` (a line changed, split, reordered or removed,
 * a line added without its `\n`, or one that holds no RunID: a conflict's
 * marker, an empty line). What a squash merge, or a rebase, of a branch that
 * had merged the other side by `merge=union` commits: that branch's records
 * among the other side's. 0 when `later` only appended.
 *
 * @example
 * ```ts
 * import { insertedLines } from "./append_only.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * insertedLines(bytes("h\na\n"), bytes("h\na\nb\n")); // 0 (appended)
 * insertedLines(bytes("h\na\nb\n"), bytes("h\nb\na\n")); // undefined (reordered)
 * const run = "v1.0,RUN-DEL-01-02-20260401-0000-001,x";
 * insertedLines(bytes("h\na\n"), bytes(`h\n${run}\na\n`)); // 1
 * insertedLines(bytes("h\na\n"), bytes(`h\n${run}\na\n${run}`)); // undefined (no \n at the end)
 * insertedLines(bytes("h\na\n"), bytes("h\n=======\na\n")); // undefined (no RunID)
 * ```
 */
export function insertedLines(earlier: Uint8Array, later: Uint8Array): number | undefined {
  const ours = byteLines(earlier);
  const lines = byteLines(later);
  const kept = keptInOrder(ours, lines);
  if (kept.filter(Boolean).length < ours.length) return undefined;
  // A last line without its `\n` is the earlier version's own (a torn tail kept), never one added.
  const torn = later.length > 0 && later[later.length - 1] !== NEWLINE;
  if (torn && !kept[lines.length - 1]) return undefined;
  // Lines after the earlier version's last one are appended, not inserted.
  const inserted = lines.slice(0, Math.max(kept.lastIndexOf(true), 0)).filter((_, i) => !kept[i]);
  // A squash brings records; a marker or an empty line among them is a conflict left unresolved.
  if (inserted.some((line) => runIdOfLine(line) === undefined)) return undefined;
  return inserted.length;
}

/** How many of `lines` hold each RunID. */
function runIdCounts(lines: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const runId = runIdOfLine(line);
    if (runId !== undefined) counts.set(runId, (counts.get(runId) ?? 0) + 1);
  }
  return counts;
}

/**
 * Whether a line (one char per byte) ends in the SHA-256 of the bytes before its last comma:
 * a record written whole and never changed. A CR before the line's LF is not the record's: a
 * CRLF line is read without it (a warning), as in any commit's version.
 */
function checksumHolds(line: string): boolean {
  line = line.endsWith("\r") ? line.slice(0, -1) : line;
  const comma = line.lastIndexOf(",");
  const body = Uint8Array.from(line.slice(0, Math.max(comma, 0)), (c) => c.charCodeAt(0));
  return comma >= 0 && checksumOf(body) === line.slice(comma + 1);
}

/** A line of the earlier version that the later one lacks. */
export interface MissingLine {
  /** 1-based line number in the earlier version. */
  line: number;
  /** The record's RunID, or `undefined` for a line that holds none (the header, a torn line). */
  runId?: string;
  /**
   * The line of the later version that holds the record's run with other
   * bytes (the record changed, not dropped): the same RunID, AgentName and
   * RunTimestamp, as `verify` tells an edited copy (SCHEMA.md 3.3); absent
   * when none does.
   */
  changedAt?: number;
  /** With `changedAt`: the columns whose cells differ there, by each version's header. */
  fields?: string[];
}

/**
 * The first line of `earlier` that occurs nowhere in `later`, or
 * `undefined` when every one does. An unterminated last line counts as its
 * text: runrec ends a torn tail with `\n` before its next append.
 *
 * @example
 * ```ts
 * import { firstMissingLine } from "./append_only.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * firstMissingLine(bytes("h\na\nb\n"), bytes("h\nb\nc\na\n")); // undefined
 * firstMissingLine(bytes("h\na\nb\n"), bytes("h\nb\n")); // { line: 2, runId: undefined }
 * ```
 */
export function firstMissingLine(
  earlier: Uint8Array,
  later: Uint8Array,
): MissingLine | undefined {
  const laterLines = byteLines(later);
  const kept = new Set(laterLines);
  const lines = byteLines(earlier);
  const at = lines.findIndex((line) => !kept.has(line));
  if (at < 0) return undefined;
  const runId = runIdOfLine(lines[at]);
  const changedAt = runId === undefined
    ? -1
    : laterLines.findIndex((line) => ofOneRun(line, lines[at]));
  if (changedAt < 0) return { line: at + 1, runId };
  const fields = changedFields(
    headerAt(lines, at),
    lines[at],
    headerAt(laterLines, changedAt),
    laterLines[changedAt],
  );
  return { line: at + 1, runId, changedAt: changedAt + 1, fields };
}

/**
 * The first line of `end` that is not in `start` (a line a branch added) and
 * not in `merged` (the merge's version), or `undefined` when the merge kept
 * every added line. Lines count as a set, in any order: one identical line
 * added on both sides is kept once by a merge.
 *
 * @example
 * ```ts
 * import { addedLineMissing } from "./append_only.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * addedLineMissing(bytes("h\n"), bytes("h\nb\n"), bytes("h\na\nb\n")); // undefined
 * addedLineMissing(bytes("h\n"), bytes("h\nb\n"), bytes("h\na\n")); // { line: 2, runId: undefined }
 * ```
 */
export function addedLineMissing(
  start: Uint8Array,
  end: Uint8Array,
  merged: Uint8Array,
): MissingLine | undefined {
  const old = new Set(byteLines(start));
  const kept = new Set(byteLines(merged));
  const lines = byteLines(end);
  const at = lines.findIndex((line) => !old.has(line) && !kept.has(line));
  if (at < 0) return undefined;
  return { line: at + 1, runId: runIdOfLine(lines[at]) };
}

/**
 * How many lines of `end` that are not in `start` hold a RunID: the records
 * a branch added to a file (all of them when `start` is empty, the header
 * left out).
 *
 * @example
 * ```ts
 * import { addedRecordCount } from "./append_only.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * const line = "x,RUN-DEL-01-02-20260401-0000-001,y\n";
 * addedRecordCount(bytes(""), bytes(`h\n${line}`)); // 1
 * ```
 */
export function addedRecordCount(start: Uint8Array, end: Uint8Array): number {
  const old = new Set(byteLines(start));
  return byteLines(end).filter((line) => !old.has(line) && runIdOfLine(line) !== undefined)
    .length;
}

/**
 * The lines of `bytes` without their `\n`, each as a string of one char per
 * byte (code 0-255), so that string equality is byte equality. Not
 * `TextDecoder("latin1")`: the web maps that label to windows-1252, which
 * turns bytes 0x80-0x9F into other code points.
 */
function byteLines(bytes: Uint8Array): string[] {
  let text = "";
  // In slices: one call with every byte as an argument overflows the stack.
  for (let i = 0; i < bytes.length; i += 8192) {
    const slice = bytes.subarray(i, i + 8192);
    // An ASCII slice decodes to the same chars ten times faster (verify --since over many
    // merges of a large file spent most of its time here).
    text += isAscii(slice) ? ASCII.decode(slice) : String.fromCharCode(...slice);
  }
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

const ASCII = new TextDecoder();

function isAscii(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (byte > 0x7f) return false;
  return true;
}
