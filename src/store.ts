/**
 * Appending run records to `RunRecords.csv`: validate, lock, allocate the
 * RunID, one `O_APPEND` write, fsync, read back. Existing bytes are never
 * rewritten, truncated or deleted.
 *
 * The store's file operations are synchronous: they run under the append lock,
 * one append at a time, on a few small reads and one write.
 *
 * This module takes the lock and runs the steps: the checks before the lock
 * are ./record_limits.ts, the look at the file ./record_file_state.ts, the SEQ
 * ./seq_allocation.ts, the records of the run ./records_of_run.ts, the write
 * and its read-back ./record_write.ts, a line git dropped ./put_back_line.ts;
 * what an append takes and gives is ./append_types.ts, the reads of lines
 * ./record_lines.ts.
 *
 * @module
 */
import { basename, dirname, resolve } from "./path.ts";
import { encodeRecord } from "./codec.ts";
import { DELIVERABLE_FOLDER } from "./deliverable.ts";
import { InputError } from "./errors.ts";
import { REAPED_ERROR } from "./run_files.ts";
import {
  heldByGit,
  journalAppended,
  journalPath,
  lineContext,
  putBackDropped,
  readDroppedAhead,
} from "./journal.ts";
import { awaitGitsVersion } from "./git.ts";
import { kindOf } from "./walk.ts";
import { takenAway } from "./taken_away.ts";
import { workTreesLock } from "./work_tree_lock.ts";
import { noteWorkTreesSeq } from "./work_tree_seqs.ts";
import { acquireLock, type HeldLock, LockRefusedError } from "./lock.ts";
import { STORE_EVERY_BYTES, writeSeqIndex } from "./seq_index.ts";
import { inColumnOrder, runIdPrefix } from "./schema.ts";
import {
  type AppendOptions,
  type AppendResult,
  checkAppendOptions,
  type RecordDraft,
  type RecordWriter,
  type SeqAtStart,
  WriteError,
} from "./append_types.ts";
import { fileContains } from "./record_lines.ts";
import { refuseLink, settledFileState } from "./record_file_state.ts";
import { allocate, freshenSeqIndex, nextSeq } from "./seq_allocation.ts";
import { FileReplaced, linePrefix, writeLine } from "./record_write.ts";
import {
  isSameRun,
  recentRecordsOf,
  recordsOfItsRun,
  supersedingReaped,
} from "./records_of_run.ts";
import { rejectInvalid, rejectTooLarge, RENUMBERED } from "./record_limits.ts";
import { putBackLine } from "./put_back_line.ts";

const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `task` after every earlier task queued under the same key, so that two
 * appends of one process never contend for their own lock file.
 */
function serialise<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(task, task);
  const settled = next.catch(() => {});
  queues.set(key, settled);
  settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return next;
}

/**
 * Appends one record to a record file, following SCHEMA.md 7.1's writing steps:
 * validate; take the append lock; allocate the RunID's SEQ under it; create
 * the file with its header (`O_EXCL`) or append with one `O_APPEND` write,
 * starting with `\n` after a torn tail; fsync; read the bytes back and check
 * them.
 *
 * Throws {@linkcode InputError} when the record is invalid ({@linkcode RecordTooLarge} when
 * its line would be over the line limit; nothing written)
 * and {@linkcode WriteError} (or the lock's error) when the write failed;
 * `WriteError.landed` says whether the record is in the file all the same.
 *
 * @example
 * ```ts
 * import { appendRecord } from "./store.ts";
 * declare const draft: import("./append_types.ts").RecordDraft;
 * const { record } = await appendRecord("DEL-01-02_X/RunRecords.csv", draft);
 * console.log(record.RunID); // RUN-DEL-01-02-20260222-1015-001
 * ```
 */
export async function appendRecord(
  file: string,
  draft: RecordDraft,
  options: AppendOptions = {},
): Promise<AppendResult> {
  rejectInvalid(file, draft); // before the lock, so bad input never waits
  return await withRecordFile(
    file,
    { holder: `runrec (${draft.AgentName})`, ...options },
    (w) => w.append(draft),
  );
}

/**
 * Takes the append lock of a record file, runs `use` with a writer for it,
 * and releases the lock: several appends (a spool replay and the run's own
 * record) under one lock, so a lock that stays held is waited for once.
 *
 * @example
 * ```ts
 * import { withRecordFile } from "./store.ts";
 * declare const a: import("./append_types.ts").RecordDraft;
 * declare const b: import("./append_types.ts").RecordDraft;
 * await withRecordFile("DEL-01-02_X/RunRecords.csv", {}, (writer) => {
 *   writer.append(a);
 *   writer.append(b);
 * });
 * ```
 */
export function withRecordFile<T>(
  file: string,
  options: AppendOptions,
  use: (writer: RecordWriter) => T | Promise<T>,
): Promise<T> {
  checkAppendOptions(options); // a bad option is the caller's mistake, not a failed write
  const path = resolve(file);
  return serialise(path, async () => {
    refuseLink(path);
    freshenSeqIndex(path);
    readDroppedAhead(path); // what the journal's check reads of a file git wrote: before the lock
    const lockOptions = {
      deliverableId: deliverableIdOf(path),
      holder: options.holder ?? "runrec",
      leaseSeconds: options.leaseSeconds,
      waitMs: options.lockWaitMs,
      onWait: options.onLockWait,
    };
    const lock = await acquireLock(`${path}.lock`, lockOptions).catch((e) => {
      // A lock file that cannot be made (a full disk, a read-only folder) is a failed write,
      // named by its file; a lock refused or a bad option stays what it is.
      if (e instanceof LockRefusedError || e instanceof InputError) throw e;
      // The lock's path once: a reason naming it again (or its breaker beside it) names it short.
      const reason = String((e as Error).message).replace(`: open '${path}.lock'`, "")
        .replace(`${path}.lock`, `${basename(path)}.lock`);
      throw new WriteError(`${path}.lock: cannot take the lock: ${reason}`, { cause: e });
    });
    try {
      // Then the one the repository's work trees share: each holds its own file's (review-46 F2).
      const shared = await workTreesLock(path, lockOptions).catch((e) => {
        if (e instanceof LockRefusedError || e instanceof InputError) throw e;
        return undefined; // not made (a read-only .git): this work tree's lock alone, as before
      });
      // An orphan of it recovered (its holder killed) is noted as the file's own lock's is.
      const held = shared === undefined
        ? lock
        : { ...lock, recoveries: [...lock.recoveries, ...shared.recoveries] };
      try {
        return await use(lockedWriter(file, path, held, options.fsync ?? true));
      } finally {
        await shared?.release();
      }
    } finally {
      await lock.release();
    }
  });
}

/**
 * Puts back, under the lock, the lines of the record file `file` that a git
 * command dropped (its journal's: SCHEMA.md 7.1), and returns their RunIDs;
 * none when it has no journal. A run's retried finish looks here first: a
 * record dropped since its first finish is that run's, recorded.
 *
 * @example
 * ```ts
 * import { restoreDroppedRecords } from "./store.ts";
 * await restoreDroppedRecords("DEL-01-02_X/RunRecords.csv"); // [] unless git dropped a line
 * ```
 */
export async function restoreDroppedRecords(
  file: string,
  options: AppendOptions = {},
): Promise<string[]> {
  if (kindOf(journalPath(resolve(file))) !== "file") return [];
  return await withRecordFile(file, options, (writer) => writer.restoreDropped());
}

/** The deliverable ID in the record file's folder name, for the lock's `deliverable_id`. */
function deliverableIdOf(path: string): string {
  return DELIVERABLE_FOLDER.exec(basename(dirname(path)))?.[1] ?? "TBD";
}

function lockedWriter(file: string, path: string, lock: HeldLock, fsync: boolean): RecordWriter {
  const recoveries = [...lock.recoveries];
  let journalChecked = false;
  const writer: RecordWriter = {
    path,
    append(draft, atStart) {
      rejectInvalid(file, draft);
      writer.restoreDropped();
      // The lock's recoveries are noted in the first record written under it.
      const notes = [draft.Notes, ...recoveries.splice(0)].filter((n) => n !== "").join(" | ");
      return appendLocked(file, path, { ...draft, Notes: notes }, lock, fsync, atStart);
    },
    contains(text) {
      refuseLink(path);
      return fileContains(path, text);
    },
    restoreDropped() {
      if (journalChecked) return [];
      journalChecked = true;
      awaitGitsVersion(path); // what git dropped is judged against the file it writes
      let putBack: string[];
      try {
        putBack = putBackDropped(
          path,
          (line, later) => putBackLine({ file, path, lock, fsync }, line, later),
        );
      } catch {
        return []; // left to the next append: the journal keeps them
      }
      if (putBack.length > 0) {
        // Noted in the next record written under this lock, if any.
        const renumbered = putBack.some((id) => id.includes(" as "))
          ? `; a RunID another record took meanwhile is given the next free one (${RENUMBERED})`
          : "";
        recoveries.push(
          `put back ${putBack.join(" ")}, which a git command (pull, checkout, reset, revert) ` +
            `had dropped from ${basename(path)}: runs are never taken out (SCHEMA.md 7.1)` +
            renumbered,
        );
      }
      return putBack;
    },
    putBack(line, later) {
      writer.restoreDropped(); // the lines dropped before it first, in their order
      const context = lineContext(path, Deno.statSync(path).size); // before the write, as an append's
      const written = putBackLine({ file, path, lock, fsync }, line, later);
      // Noted as an append's line is: a git command that drops it again is undone the same way.
      if (written.offset !== undefined) {
        journalAppended(path, written.offset, written.line, context, fsync);
      }
      return written;
    },
  };
  return writer;
}

/**
 * How many times an append starts over when the file at the path was
 * replaced or changed by something that takes no lock (git's checkout, pull
 * or reset writes a new file in its place) between its look and its write.
 */
const ATTEMPTS = 3;

function appendLocked(
  file: string,
  path: string,
  draft: RecordDraft,
  lock: HeldLock,
  fsync: boolean,
  atStart: SeqAtStart | undefined,
): AppendResult {
  for (let attempt = 1;; attempt++) {
    try {
      return appendOnce(file, path, draft, lock, fsync, atStart);
    } catch (e) {
      // Unlinked while it was read, before the write (git replacing it): looked at again once
      // git's file is there, not spooled (review-40 F5).
      if (e instanceof Deno.errors.NotFound && attempt < ATTEMPTS) continue;
      if (!(e instanceof FileReplaced)) throw e;
      // A copy of the file we wrote, put in its place (git stash pop, an editor's save), may
      // hold our line already: then it is written, and a retry would write the run twice.
      const landedCopy = () =>
        new WriteError(`${path}: replaced by a copy that holds the record`, { landed: true });
      if (e.line !== undefined && fileContains(path, e.line)) throw landedCopy();
      // So may the stash a `git stash` made of the file we wrote before it replaced it: popped,
      // it brings the record back, and one written again now would be there twice.
      if (e.line !== undefined && heldByGit(dirname(path), [e.line])?.has(e.line)) {
        throw new WriteError(
          `${path}: replaced by git, which keeps the record (a stash: git stash pop brings it back)`,
          { landed: true },
        );
      }
      // Popped while git was asked (the pop writes the file, then drops the stash): back already.
      if (e.line !== undefined && fileContains(path, e.line)) throw landedCopy();
      if (attempt === ATTEMPTS) throw e;
    }
  }
}

function appendOnce(
  file: string,
  path: string,
  draft: RecordDraft,
  lock: HeldLock,
  fsync: boolean,
  atStart: SeqAtStart | undefined,
): AppendResult {
  refuseLink(path);
  const state = settledFileState(file, path);
  // Spooled, not begun for the branch that took the files away: it waits for them to be back.
  const gone = state.exists ? undefined : takenAway(path);
  if (gone !== undefined) throw new WriteError(`${path}: ${gone}`);
  const prefix = runIdPrefix(draft.DeliverableID, draft.RunTimestamp);
  const index = allocate(path, state, prefix, draft.RunID, atStart);
  if (draft.RunID && index.taken) {
    throw new InputError(`${file}: RunID ${draft.RunID} is already in the file`, {
      path: file,
      field: "RunID",
    });
  }
  // Only a record of the same deliverable and minute can repeat it, or be of its run: most
  // appends look no further.
  const sameMinute = index.maxSeq > 0n;
  const ofItsRun = sameMinute ? recordsOfItsRun(path, draft) : [];
  const recorded = ofItsRun.find((r) =>
    r.ErrorSummary !== REAPED_ERROR || draft.ErrorSummary === REAPED_ERROR
  );
  if (recorded !== undefined) {
    // Two finishes of one run racing (one recorded it without claiming its pending file, its
    // folder read-only then): the second writes nothing. The record reap wrote FAILED does not
    // count for a finish, which supersedes it.
    return {
      record: recorded,
      bytesWritten: 0,
      offset: -1,
      created: false,
      tornTail: false,
      alreadyRecorded: true,
    };
  }
  draft = supersedingReaped(draft, ofItsRun);
  const record = inColumnOrder({
    ...draft,
    RunID: draft.RunID ??
      `${prefix}${String(nextSeq(path, prefix, index.maxSeq)).padStart(3, "0")}`,
    RecordChecksum: "",
  });
  const line = encodeRecord(record);
  rejectTooLarge(file, record, line);
  record.RecordChecksum = line.slice(line.lastIndexOf(",") + 1);
  const recent = draft.RunID === undefined && sameMinute
    ? recentRecordsOf(path, state.size, prefix, draft)
    : [];
  const sameRunAs = recent.find((r) => isSameRun(r, draft))?.RunID;
  const context = lineContext(path, state.size);
  // For the other work trees, before the line is written: a process killed between its write and
  // a later note left its SEQ unknown once its work tree was removed (review-48 F1). A write that
  // then fails leaves a gap in SEQ, which is no error (SCHEMA.md 3.2).
  noteWorkTreesSeq(path, record.RunID);
  let written: ReturnType<typeof writeLine>;
  try {
    written = writeLine(path, state, line, lock, fsync);
  } catch (e) {
    // In the file, unconfirmed: the caller names it by its RunID (seeds-trace F2), and the journal
    // notes it where it went, so that a git command that replaced the file under the write (what
    // the check most often saw) is undone as for any append.
    if (!(e instanceof WriteError && e.landed)) throw e;
    journalAppended(path, state.size + linePrefix(state).length, line, context, fsync);
    throw new WriteError(e.message, { cause: e.cause, landed: true, record });
  }
  const journaled = journalAppended(path, written.lineOffset, line, context, fsync);
  index.index.see(record.RunID);
  index.index.size = written.offset + written.bytes;
  // Stored again only once the next append would read much past it: most appends write nothing.
  if (index.index.size - index.stored >= STORE_EVERY_BYTES) writeSeqIndex(path, index.index);
  return {
    record,
    bytesWritten: written.bytes,
    offset: written.offset,
    created: !state.exists,
    tornTail: written.tornTail,
    ...(sameRunAs === undefined ? {} : { sameRunAs }),
    ...(journaled && "unnoted" in journaled ? { unjournalled: journaled.unnoted } : {}),
    ...(journaled && "unsynced" in journaled ? { journalUnsynced: journaled.unsynced } : {}),
  };
}
