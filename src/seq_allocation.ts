/**
 * The SEQ of a RunID an append gives: the highest SEQ of its prefix in the
 * file (from the SEQ index brought up to date, or read once a process for an
 * earlier minute, or past the mark a run's start kept), and the SEQs the
 * journal, a folder git left and the other work trees gave.
 *
 * @module
 */
import { journaledSeq } from "./journal.ts";
import { leftFolderSeq, workTreeSeq } from "./left_folder_seq.ts";
import { readSeqIndex, SeqIndex, STORE_EVERY_BYTES, writeSeqIndex } from "./seq_index.ts";
import { appendedSince, type FileMark, ReadOn } from "./appended.ts";
import type { SeqAtStart } from "./append_types.ts";
import { runIdOfLine, scanLines } from "./record_lines.ts";
import type { FileState } from "./record_file_state.ts";

/**
 * The SEQ an append gives: 1 + the highest of the file's (`fileSeq`), of the lines the journal
 * may put back (race-37 F1: `journaledSeq`), of those a folder git left beside it gave (its
 * other name on another branch: `leftFolderSeq`) and of those the repository's other work trees
 * gave (`workTreeSeq`).
 *
 * @example
 * ```ts
 * import { nextSeq } from "./seq_allocation.ts";
 * nextSeq("/abs/DEL-01-02_X/RunRecords.csv", "RUN-DEL-01-02-20260222-1015-", 2n); // 3n
 * ```
 */
export function nextSeq(path: string, prefix: string, fileSeq: bigint): bigint {
  const given = [
    journaledSeq(path, prefix),
    leftFolderSeq(path, prefix),
    workTreeSeq(path, prefix),
    fileSeq,
  ];
  return given.reduce((a, b) => a > b ? a : b) + 1n;
}

/**
 * The highest SEQ used with `prefix`, and whether `runId` (when the caller
 * chose one) is taken, from the SEQ index brought up to date with the file:
 * only the bytes appended since the index was stored are read, unless the
 * answer needs the whole file (a minute earlier than the latest one, as a
 * `--started` in the past gives, or a chosen RunID that may be in use).
 * A started run's finish reads only past where the file ended at its start
 * while `atStart` holds for the file (finish-40 F3).
 *
 * @example
 * ```ts
 * import { allocate } from "./seq_allocation.ts";
 * import { settledFileState } from "./record_file_state.ts";
 * const path = "/abs/DEL-01-02_X/RunRecords.csv";
 * const state = settledFileState(path, path);
 * allocate(path, state, "RUN-DEL-01-02-20260222-1015-", undefined, undefined).maxSeq; // 2n
 * ```
 */
export function allocate(
  path: string,
  state: FileState,
  prefix: string,
  runId: string | undefined,
  atStart: SeqAtStart | undefined,
): { index: SeqIndex; stored: number; maxSeq: bigint; taken: boolean } {
  const index = state.exists ? readSeqIndex(path, state.size) : new SeqIndex();
  const stored = index.size; // the bytes the stored index saw, if it is trusted
  seeAppended(path, index, state.size);
  const known = index.lookup(prefix);
  const surelyFree = runId === undefined ||
    (known !== undefined && runId.startsWith(prefix) && BigInt(runId.slice(prefix.length)) > known);
  const mayBeTaken = !surelyFree;
  if (known !== undefined && !mayBeTaken) return { index, stored, maxSeq: known, taken: false };
  if (!mayBeTaken) {
    // An earlier minute than the latest: a run finished long after its start, reaped, or replayed
    // from the spool. Read once a process, then on from there, not the whole file under the lock
    // for each (scale37 F4).
    const maxSeq = seqPastStart(path, prefix, atStart) ?? earlierSeqs(path).get(prefix) ?? 0n;
    return { index, stored, maxSeq, taken: false };
  }
  let maxSeq = 0n;
  let taken = false;
  scanLines(path, 0, (head) => {
    const id = runIdOfLine(head);
    if (id === undefined) return;
    if (id === runId) taken = true;
    if (id.startsWith(prefix)) {
      const seq = BigInt(id.slice(prefix.length));
      if (seq > maxSeq) maxSeq = seq;
    }
  });
  return { index, stored, maxSeq, taken };
}

/** The highest SEQ of each RunID prefix of a record file, and how far the file was read for it. */
const earlierSeqsRead = new ReadOn(() => new PrefixSeqs());

/**
 * The highest SEQ used with each RunID prefix (`RUN-<id>-<YYYYMMDD>-<HHmm>-`)
 * in the record file at `path`, for a minute earlier than the SEQ index's
 * latest: read once a process, then on from where the last read ended when
 * the file was only appended to (./appended.ts), else afresh. Run before the
 * append lock ({@linkcode readEarlierSeqs}), the long read keeps no appender
 * waiting; under it, only what was appended since is read.
 */
function earlierSeqs(path: string): PrefixSeqs {
  using file = Deno.openSync(path, { read: true });
  return earlierSeqsRead.readOn(path, file, (seqs, from) =>
    scanLines(path, from, (head) => {
      const id = runIdOfLine(head);
      if (id !== undefined) seqs.see(id);
    }));
}

/**
 * Reads, before the append lock, what an append needs: the SEQ index brought
 * up to date with the file (stored when that read much of it), and for a
 * record of an earlier minute than the file's latest, its SEQs (see
 * `earlierSeqs`); a file that cannot be read, or is no regular file, is left
 * to the append. Given the
 * RunID `prefix` of the one record to append, not where the stored SEQ index
 * answers for it (a minute as late as the file's latest), nor where its run's
 * start kept that minute's SEQ (`atStart`) and the file was only appended to
 * since: the append reads past that mark instead.
 *
 * @example
 * ```ts
 * import { readEarlierSeqs } from "./seq_allocation.ts";
 * readEarlierSeqs("/abs/DEL-01-02_X/RunRecords.csv"); // before a flush's appends
 * readEarlierSeqs("/abs/DEL-01-02_X/RunRecords.csv", "RUN-DEL-01-02-20260222-1015-");
 * ```
 */
export function readEarlierSeqs(path: string, prefix?: string, atStart?: SeqAtStart): void {
  try {
    const { isFile, size } = Deno.statSync(path);
    if (!isFile) return;
    // Read past the mark under the lock instead (finish-40 F3).
    if (prefix !== undefined && atStart?.prefix === prefix && markHolds(path, atStart.mark)) return;
    // Records appended since it was stored may be of a later minute: seen as the append sees them.
    const index = upToDateSeqIndex(path, size);
    if (prefix !== undefined && index.lookup(prefix) !== undefined) return;
    earlierSeqs(path);
  } catch { /* the append reads it, and says why it cannot */ }
}

/**
 * The highest SEQ of `prefix` in the record file at `path` when it ended at
 * `mark` (or a higher one of a line appended since), where the SEQ index
 * answers for it having read at most {@linkcode STORE_EVERY_BYTES} of the
 * file; `undefined` otherwise (the minute earlier than the file's latest, no
 * index, the file not only appended to since the mark): a start saves it for
 * its finish, which then reads only past the mark (finish-40 F3).
 *
 * @example
 * ```ts
 * import { seqAtMark } from "./seq_allocation.ts";
 * declare const mark: import("./appended.ts").FileMark;
 * seqAtMark("/abs/DEL-01-02_X/RunRecords.csv", mark, "RUN-DEL-01-02-20260222-1015-"); // 2n
 * ```
 */
export function seqAtMark(path: string, mark: FileMark, prefix: string): bigint | undefined {
  try {
    using file = Deno.openSync(path, { read: true });
    const { isFile, size } = file.statSync();
    if (!isFile || !appendedSince(file, mark)) return undefined;
    const index = readSeqIndex(path, size);
    if (size - index.size > STORE_EVERY_BYTES) return undefined; // a whole read: left to the finish
    // Lines past the mark seen too: a SEQ higher than the mark's is never given again either.
    seeAppended(path, index, size);
    return index.lookup(prefix);
  } catch {
    return undefined;
  }
}

/** Whether the record file at `path` was only appended to since it ended at `mark`. */
function markHolds(path: string, mark: FileMark): boolean {
  using file = Deno.openSync(path, { read: true });
  return appendedSince(file, mark);
}

/**
 * The highest SEQ of `prefix` in the record file at `path`, from `atStart`
 * and the lines past its mark, when it is of `prefix` and the file was only
 * appended to since its mark; `undefined` when the whole file must be read.
 */
function seqPastStart(path: string, prefix: string, atStart: SeqAtStart | undefined) {
  if (atStart?.prefix !== prefix || !markHolds(path, atStart.mark)) return undefined;
  let maxSeq = atStart.seq;
  scanLines(path, atStart.mark.size, (head) => {
    const id = runIdOfLine(head);
    if (id?.startsWith(prefix)) {
      const seq = BigInt(id.slice(prefix.length));
      if (seq > maxSeq) maxSeq = seq;
    }
  });
  return maxSeq;
}

/**
 * The SEQ index of the record file at `path` (`size` bytes) brought up to date with it, and
 * stored when that read much of the file (none was stored, or a file git wrote, a merge: the whole
 * file). Before the append lock, so that the append reads on from it under the lock: its tail
 * check there tells whether the file was only appended to since (review-45 F2).
 */
function upToDateSeqIndex(path: string, size: number): SeqIndex {
  const index = readSeqIndex(path, size);
  const stored = index.size;
  seeAppended(path, index, size);
  if (index.size - stored >= STORE_EVERY_BYTES) writeSeqIndex(path, index);
  return index;
}

/**
 * Before the append lock: the SEQ index of the record file at `path` brought up to date when it
 * lags the file by {@linkcode STORE_EVERY_BYTES} or more, which the append would read under the
 * lock (a file git wrote with no index stored: 99 MB read there, 0.4 s, every writer waiting).
 *
 * @example
 * ```ts
 * import { freshenSeqIndex } from "./seq_allocation.ts";
 * freshenSeqIndex("/abs/DEL-01-02_X/RunRecords.csv"); // before the append lock
 * ```
 */
export function freshenSeqIndex(path: string): void {
  try {
    const { isFile, size } = Deno.statSync(path);
    if (!isFile) return;
    const index = readSeqIndex(path, size);
    if (size - index.size < STORE_EVERY_BYTES) return; // what the append reads on is short
    seeAppended(path, index, size);
    writeSeqIndex(path, index);
  } catch { /* the append reads it, and says why it cannot */ }
}

/** Brings `index` up to the file's `size` bytes: the RunIDs of the lines appended since it was stored. */
function seeAppended(path: string, index: SeqIndex, size: number): void {
  if (index.size >= size) return;
  scanLines(path, index.size, (head) => {
    const id = runIdOfLine(head);
    if (id) index.see(id);
  });
  index.size = size;
}

/** The highest SEQ of each RunID prefix, kept by number: a slice of a line would keep its chunk. */
class PrefixSeqs {
  readonly #byDeliverable = new Map<string, Map<number, bigint>>();

  see(runId: string): void {
    const { id, minute, seq } = partsOf(runId);
    let minutes = this.#byDeliverable.get(id);
    if (minutes === undefined) {
      minutes = new Map();
      this.#byDeliverable.set(` ${id}`.slice(1), minutes); // its own copy (see the class)
    }
    if (!(seq <= (minutes.get(minute) ?? -1n))) minutes.set(minute, seq);
  }

  get(prefix: string): bigint | undefined {
    const { id, minute } = partsOf(`${prefix}0`);
    return this.#byDeliverable.get(id)?.get(minute);
  }
}

/** A RunID's deliverable, minute (`YYYYMMDDHHmm` as a number) and SEQ. */
function partsOf(runId: string): { id: string; minute: number; seq: bigint } {
  const last = runId.lastIndexOf("-");
  const time = runId.lastIndexOf("-", runId.lastIndexOf("-", last - 1) - 1);
  return {
    id: runId.slice(0, time),
    minute: Number(runId.slice(time + 1, last).replace("-", "")),
    seq: BigInt(runId.slice(last + 1)),
  };
}
