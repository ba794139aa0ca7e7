/**
 * Putting back a line of the record file a git command dropped (./journal.ts
 * `putBackDropped`, `runrec flush --from` of a journal), under a new RunID
 * with a note when a record appended since took its RunID.
 *
 * @module
 */
import { checksumMatches, decodeRecord, encodeRecord } from "./codec.ts";
import type { PutBackLine } from "./journal.ts";
import { noteWorkTreesSeq } from "./work_tree_seqs.ts";
import type { HeldLock } from "./lock.ts";
import { STORE_EVERY_BYTES, writeSeqIndex } from "./seq_index.ts";
import { inColumnOrder, LINE_LIMIT_BYTES, validateRecord } from "./schema.ts";
import { encoder, isCutFrom, linesHolding, runIdOfLine } from "./record_lines.ts";
import { settledFileState } from "./record_file_state.ts";
import { allocate, nextSeq } from "./seq_allocation.ts";
import { FileReplaced, writeLine } from "./record_write.ts";
import { RecordTooLarge, renumberedNote } from "./record_limits.ts";

/**
 * Writes a line the journal puts back (./journal.ts `putBackDropped`, and
 * `runrec flush --from` of a journal) and returns where, and the line written
 * (no offset: the file holds it already, as it is or put back before under a
 * new RunID, and it is not written again). A record appended
 * since git dropped the line may hold its RunID: then the line is given a SEQ
 * of its minute past the file's, the journal's and those of the lines `later`
 * put back after it (which keep theirs), and a note naming the RunID it had,
 * since a RunID must name one record and the other one is in the file,
 * perhaps committed (skew-39 F1).
 *
 * @example
 * ```ts
 * import { putBackLine } from "./put_back_line.ts";
 * declare const lock: import("./lock.ts").HeldLock;
 * declare const line: string; // a line the journal holds and the file lacks
 * const file = "DEL-01-02_X/RunRecords.csv";
 * putBackLine({ file, path: "/abs/DEL-01-02_X/RunRecords.csv", lock, fsync: true }, line, []);
 * ```
 */
export function putBackLine(
  { file, path, lock, fsync }: { file: string; path: string; lock: HeldLock; fsync: boolean },
  line: string,
  later: readonly string[],
): PutBackLine {
  const state = settledFileState(file, path);
  // Gone still: put back by a later look, into git's file, never into one begun here, which
  // would keep git's out (review-40 F4).
  if (!state.exists) throw new FileReplaced(`${path}: removed by another program meanwhile`);
  const runId = runIdOfLine(line);
  if (runId === undefined) {
    return { offset: writeLine(path, state, line, lock, fsync).lineOffset, line };
  }
  // The file's highest SEQ of the line's minute, from the SEQ index (stored again below): a SEQ
  // past it is free, and only one the file may hold is looked for line by line: a whole read of
  // the file for each line kept appenders waiting on a long put-back (review-40 F2).
  const prefix = runId.slice(0, runId.lastIndexOf("-") + 1);
  const { index, stored, maxSeq: fileSeq } = allocate(path, state, prefix, undefined, undefined);
  // A line of it cut short in place (the file truncated after its append) is no record: the whole
  // line follows it with its own RunID, as an interrupted write's retry does.
  const heldByAnother = () =>
    [...linesHolding(path, runId)].some((held) =>
      runIdOfLine(held) === runId && !isCutFrom(held, line)
    );
  if (BigInt(runId.slice(prefix.length)) <= fileSeq && heldByAnother()) {
    // The line itself, put back by another process while this one waited for the lock (two
    // `runrec flush --from` of one journal at once): a second copy would record its run twice.
    if ([...linesHolding(path, line)].includes(line)) return { line };
    // Put back so once, the journal not rewritten after (the process killed, a full disk): that
    // record is this one, and a second put-back would record its run twice (review-39b F1).
    const before = [...linesHolding(path, renumberedNote(runId))].find(checksumMatches);
    if (before !== undefined) return { line: before };
    const record = decodeRecord(line);
    const seqs = later.flatMap((l) => {
      const id = runIdOfLine(l);
      return id?.startsWith(prefix) ? [BigInt(id.slice(prefix.length))] : [];
    });
    const maxSeq = [fileSeq, ...seqs].reduce((a, b) => a > b ? a : b);
    const note = renumberedNote(runId);
    const renumbered = inColumnOrder({
      ...record,
      RunID: `${prefix}${String(nextSeq(path, prefix, maxSeq)).padStart(3, "0")}`,
      Notes: record.Notes === "" ? note : `${record.Notes} | ${note}`,
      RecordChecksum: "",
    });
    line = encodeRecord(renumbered);
    // Only a line an older runrec appended, without the note's room (`appendLimit`), can be over:
    // left in the journal, never a line every reader refuses.
    const bytes = encoder.encode(line).length;
    if (bytes > LINE_LIMIT_BYTES) throw new RecordTooLarge(file, renumbered, bytes);
  }
  // Noted before the write, as an append's RunID is (review-48 F1).
  noteWorkTreesSeq(path, runIdOfLine(line)!);
  const written = writeLine(path, state, line, lock, fsync);
  index.see(runIdOfLine(line)!);
  index.size = written.offset + written.bytes;
  if (index.size - stored >= STORE_EVERY_BYTES) writeSeqIndex(path, index);
  return { offset: written.lineOffset, line };
}

/**
 * Why the journal's `line` is no record this runrec writes (another runrec version's: its
 * post-write check would refuse it), else `undefined`. Such a line is never put back: it is
 * left in the journal, for the runrec that wrote it (leftovers-52 3).
 *
 * @example
 * ```ts
 * import { foreignLineProblem } from "./put_back_line.ts";
 * declare const line: string; // a line the journal holds and the file lacks
 * const problem = foreignLineProblem(line); // "SchemaVersion must be one of v1.0" for a v2.0 line
 * ```
 */
export function foreignLineProblem(line: string): string | undefined {
  try {
    const [first] = validateRecord(decodeRecord(line));
    return first && `${first.field} ${first.message}`;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
