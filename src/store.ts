/**
 * Appending run records to `RunRecords.csv`: validate, lock, allocate the
 * RunID, one `O_APPEND` write, fsync, read back. Existing bytes are never
 * rewritten, truncated or deleted.
 *
 * The store's file operations are synchronous: they run under the append lock,
 * one append at a time, on a few small reads and one write.
 *
 * @module
 */
import { basename, dirname, resolve } from "./path.ts";
import { checksumMatches, decodeRecord, encodeRecord } from "./codec.ts";
import { DELIVERABLE_FOLDER } from "./deliverable.ts";
import { InputError, OptionError } from "./errors.ts";
import { LINKED_RECORD_FILE } from "./linked_record_file.ts";
import { NAMED_RUNS } from "./agent_notes.ts";
import { REAPED_ERROR } from "./run_files.ts";
import { LATE_FINISH, lateFinishNote, REAPED_NOT_FOUND } from "./late_finish.ts";
import { additiveHeaderFault } from "./schema_versions.ts";
import { whereItDiffers } from "./messages.ts";
import {
  heldByGit,
  journalAppended,
  journaledSeq,
  journalPath,
  lineContext,
  putBackDropped,
  type PutBackLine,
  readDroppedAhead,
} from "./journal.ts";
import { awaitGitsVersion } from "./git.ts";
import { kindOf } from "./walk.ts";
import { takenAway } from "./taken_away.ts";
import { leftFolderSeq, workTreeSeq } from "./left_folder_seq.ts";
import { workTreesLock } from "./work_tree_lock.ts";
import { noteWorkTreesSeq } from "./work_tree_seqs.ts";
import { mayName } from "./named_lines.ts";
import {
  acquireLock,
  type ContentionReport,
  type HeldLock,
  LockRefusedError,
  MAX_LEASE_S,
} from "./lock.ts";
import { readSeqIndex, SeqIndex, STORE_EVERY_BYTES, writeSeqIndex } from "./seq_index.ts";
import { appendedSince, type FileMark, readAt, ReadOn } from "./appended.ts";
import {
  type FieldProblem,
  HEADER,
  inColumnOrder,
  LINE_LIMIT_BYTES,
  RUN_ID_SYNTAX,
  runIdPrefix,
  type RunRecord,
  SCHEMA_VERSION,
  validateRecord,
} from "./schema.ts";

/** Name of the record file inside a deliverable folder. */
export const RECORD_FILE = "RunRecords.csv";

/** A record ready to append; the store fills in `RunID` (unless given) and the checksum. */
export type RecordDraft = Omit<RunRecord, "RunID" | "RecordChecksum"> & {
  /** A RunID chosen by the caller; the store allocates one when it is absent. */
  RunID?: string;
};

/** Options of a write to a record file: `emitRecord`'s, `appendAnnotation`'s, a replay's. */
export interface AppendOptions {
  /** Flush the file to the device before returning (default `true`). */
  fsync?: boolean;
  /** Who takes the append lock, for its `holder` field. */
  holder?: string;
  /** Lease of the append lock in seconds (default 30). */
  leaseSeconds?: number;
  /** How long to wait for the append lock held by a live writer, in ms (default 10,000). */
  lockWaitMs?: number;
  /** Called once when the append lock is held by another writer and waiting begins. */
  onLockWait?: (report: ContentionReport) => void;
}

/**
 * Throws an {@linkcode OptionError} naming the option when `options` (an
 * {@linkcode AppendOptions}, or a `RunOptions` with its `spool`) holds a
 * value no write can use: checked before anything is written, so that a
 * caller's mistake is not taken for a failed write (and every record spooled).
 *
 * @example
 * ```ts
 * import { checkAppendOptions } from "./store.ts";
 * checkAppendOptions({ leaseSeconds: 60, lockWaitMs: 0 }); // fine
 * checkAppendOptions({ leaseSeconds: 0 }); // throws "leaseSeconds: must be a number of seconds from 1 to 300, got 0"
 * ```
 */
export function checkAppendOptions(options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new InputError(`options: must be an object, got ${JSON.stringify(options)}`);
  }
  const { fsync, holder, leaseSeconds, lockWaitMs, onLockWait, spool } = options as Record<
    string,
    unknown
  >;
  const refuse = (key: string, rule: string, value: unknown) => {
    const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
    throw new OptionError((name) => `${name(key)}: must be ${rule}, got ${shown}`);
  };
  for (const [key, value] of [["fsync", fsync], ["spool", spool]] as const) {
    if (value !== undefined && typeof value !== "boolean") refuse(key, "true or false", value);
  }
  if (holder !== undefined && typeof holder !== "string") refuse("holder", "a string", holder);
  if (
    leaseSeconds !== undefined &&
    !(typeof leaseSeconds === "number" && leaseSeconds >= 1 && leaseSeconds <= MAX_LEASE_S)
  ) refuse("leaseSeconds", `a number of seconds from 1 to ${MAX_LEASE_S}`, leaseSeconds);
  if (
    lockWaitMs !== undefined &&
    !(typeof lockWaitMs === "number" && Number.isFinite(lockWaitMs) && lockWaitMs >= 0)
  ) refuse("lockWaitMs", "a number of milliseconds, 0 or more", lockWaitMs);
  if (onLockWait !== undefined && typeof onLockWait !== "function") {
    refuse("onLockWait", "a function", onLockWait);
  }
}

/** What an append did. */
export interface AppendResult {
  /** The record as written, with RunID, Notes and RecordChecksum final. */
  record: RunRecord;
  /**
   * The exact bytes written (header and torn-tail separator included): one
   * short of the bytes meant when a short write left only the record's final
   * `\n` out (the record is whole all the same; the next append adds the `\n`).
   */
  bytesWritten: number;
  /** Byte offset in the file where the written bytes start. */
  offset: number;
  /** Whether the file was created by this append. */
  created: boolean;
  /** Whether the file ended in a torn line, so the write started with `\n`. */
  tornTail: boolean;
  /**
   * The RunID of an earlier record of the file that this one repeats: the same agent, start
   * time, RunStatus, pass directive, and inputs' and outputs' hashes (an agent that ran `emit`
   * again after a tool timeout). Looked for among the file's last 64 KiB only (tens of runs: a
   * retry follows its first try), so that an append costs the same however long the file.
   * Written all the same: two real runs may look alike.
   */
  sameRunAs?: string;
  /**
   * Nothing was written: the file's last 64 KiB already held `record`, this
   * run's record (a finish racing another finish of its run).
   */
  alreadyRecorded?: boolean;
  /**
   * Why the line could not be noted in the journal (`./journal.ts`: a full
   * disk, a `.runrec/` another user made): a git command that drops it before
   * it is committed is not undone.
   */
  unjournalled?: string;
}

/**
 * A write that went wrong after validation. `emitRecord` throws it;
 * `recordRun` spools the record instead.
 *
 * @example
 * ```ts
 * import { emitRecord, WriteError } from "@runrec/runrec";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * try {
 *   await emitRecord(dir, { agent: "DEPENDENCIES", status: "SUCCESS" });
 * } catch (e) {
 *   if (!(e instanceof WriteError)) throw e;
 *   console.error(e.landed ? `written, not confirmed: do not write it again (${e.message})` : e.message);
 * }
 * ```
 */
export class WriteError extends Error {
  /**
   * Whether the record's bytes reached the file before the failure (a failed
   * fsync or read-back): such a record must never be spooled or written again.
   */
  readonly landed: boolean;
  /** The record whose bytes landed, with its RunID, when the store knows it. */
  readonly record?: RunRecord;
  /** Builds the error. */
  constructor(
    message: string,
    options?: ErrorOptions & { landed?: boolean; record?: RunRecord },
  ) {
    super(message, options);
    this.name = "WriteError";
    this.landed = options?.landed ?? false;
    if (options?.record !== undefined) this.record = options.record;
  }
}

/** An open, locked record file: what may be done under one append lock. */
export interface RecordWriter {
  /** Absolute path of the record file. */
  readonly path: string;
  /**
   * Appends one validated record (see `appendRecord`); `atStart`, for the
   * record of a started run, is the highest SEQ of its minute where the file
   * ended at the run's start (see {@linkcode SeqAtStart}).
   */
  append(draft: RecordDraft, atStart?: SeqAtStart): AppendResult;
  /**
   * Whether a whole record of the file (not a torn line) holds `text` (a full
   * read: for replays, which are rare).
   */
  contains(text: string): boolean;
  /**
   * Puts back the lines this work tree appended to the file lately that a
   * program replacing it (git pull, checkout, reset) dropped, and returns
   * their RunIDs (see ./journal.ts). The first append under the lock does it.
   */
  restoreDropped(): string[];
}

const encoder = new TextEncoder();
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
 * What is wrong with a draft, checked as the record it will become (with a
 * stand-in RunID when it has none).
 *
 * @example
 * ```ts
 * import { draftProblems } from "./store.ts";
 * declare const draft: import("./store.ts").RecordDraft;
 * for (const p of draftProblems(draft)) console.error(`${p.field} ${p.message}`);
 * ```
 */
export function draftProblems(draft: RecordDraft): FieldProblem[] {
  const runId = draft.RunID ?? `${runIdPrefix(draft.DeliverableID, draft.RunTimestamp)}001`;
  return validateRecord({ ...draft, RunID: runId, RecordChecksum: "0".repeat(64) });
}

/**
 * A record whose line would be longer than {@linkcode LINE_LIMIT_BYTES}
 * (SCHEMA.md 6.5), or than its {@linkcode appendLimit}: not written, and no
 * other spelling of it fits either.
 *
 * @example
 * ```ts
 * import { appendRecord, RecordTooLarge } from "./store.ts";
 * declare const draft: import("./store.ts").RecordDraft;
 * try {
 *   await appendRecord("DEL-01-02_X/RunRecords.csv", draft);
 * } catch (e) {
 *   if (e instanceof RecordTooLarge) console.error(`${e.bytes} of ${e.limit} bytes: ${e.message}`);
 * }
 * ```
 */
export class RecordTooLarge extends InputError {
  /** The length of the record's line in bytes, without its `\n`. */
  readonly bytes: number;
  /** The most bytes its line may take: {@linkcode appendLimit}. */
  readonly limit: number;
  /** Builds the error for `record`, meant for `file`, whose line takes `bytes`. */
  constructor(file: string, record: RecordDraft, bytes: number, limit = LINE_LIMIT_BYTES) {
    const over = bytes > LINE_LIMIT_BYTES
      ? `more than the limit of ${LINE_LIMIT_BYTES} (16 MiB, SCHEMA.md 6.5)`
      : `more than ${limit}, the limit of ${LINE_LIMIT_BYTES} (16 MiB, SCHEMA.md 6.5) less the ` +
        `room of the note a line git dropped is put back with under a new RunID (7.1)`;
    super(
      `${file}: record not written: its line would take ${bytes} bytes, ${over}: ` +
        `${record.InputFiles.length} input and ${record.OutputFiles.length} output files are ` +
        `more than one record holds`,
    );
    this.name = "RecordTooLarge";
    this.bytes = bytes;
    this.limit = limit;
  }
}

/**
 * The most bytes an append may write for the line of the record `runId`:
 * {@linkcode LINE_LIMIT_BYTES} less the room the line takes more should git
 * drop it and another record take its RunID, put back then under a SEQ one
 * digit longer at most, its note (`" | "` and {@linkcode renumberedNote})
 * added to its Notes, quoted for the note's commas (small-40 F1).
 */
function appendLimit(runId: string): number {
  return LINE_LIMIT_BYTES - encoder.encode(` | ${renumberedNote(runId)}`).length - 3;
}

/** Throws {@linkcode RecordTooLarge} when the record's line would be over its limit. */
function rejectTooLarge(file: string, record: RunRecord, line = encodeRecord(record)): void {
  const bytes = encoder.encode(line).length;
  const limit = appendLimit(record.RunID);
  if (bytes > limit) throw new RecordTooLarge(file, record, bytes, limit);
}

function rejectInvalid(file: string, draft: RecordDraft): void {
  const problems = draftProblems(draft);
  if (problems.length > 0) {
    const what = problems.map((p) => `${p.field || "record"} ${p.message}`).join("; ");
    throw new InputError(`${file}: record not written: ${what}`);
  }
  // With a stand-in RunID: so that a record too large is refused before the lock, and never
  // spooled.
  const runId = draft.RunID ?? `${runIdPrefix(draft.DeliverableID, draft.RunTimestamp)}001`;
  rejectTooLarge(file, { ...draft, RunID: runId, RecordChecksum: "" });
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
 * declare const draft: import("./store.ts").RecordDraft;
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
 * declare const a: import("./store.ts").RecordDraft;
 * declare const b: import("./store.ts").RecordDraft;
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

/**
 * A record file that is a symbolic link would send records out of the
 * deliverable (into another deliverable's file, or any file): refused.
 * Checked before the lock and again right before each open.
 */
function refuseLink(path: string): void {
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

function lockedWriter(file: string, path: string, lock: HeldLock, fsync: boolean): RecordWriter {
  const recoveries = [...lock.recoveries];
  let journalChecked = false;
  const writer: RecordWriter = {
    path,
    append(draft, atStart) {
      rejectInvalid(file, draft);
      const putBack = writer.restoreDropped();
      if (putBack.length > 0) {
        const renumbered = putBack.some((id) => id.includes(" as "))
          ? `; a RunID another record took meanwhile is given the next free one (${RENUMBERED})`
          : "";
        recoveries.push(
          `put back ${putBack.join(" ")}, which a git command (pull, checkout, reset, revert) ` +
            `had dropped from ${basename(path)}: runs are never taken out (SCHEMA.md 7.1)` +
            renumbered,
        );
      }
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
      try {
        return putBackDropped(
          path,
          (line, later) => putBackLine({ file, path, lock, fsync }, line, later),
        );
      } catch {
        return []; // left to the next append: the journal keeps them
      }
    },
  };
  return writer;
}

/** Why a line put back can hold a RunID another record took: said where it is renumbered. */
const RENUMBERED =
  "a writer that keeps no journal, such as an older runrec, or another clone's record of that minute, merged";

/**
 * The note of a record put back under a new RunID (see `putBackLine`), naming `runId`, the one
 * it was appended with and the agent was given (skew-39 F1).
 *
 * @example
 * ```ts
 * import { renumberedNote } from "./store.ts";
 * renumberedNote("RUN-DEL-01-02-20260222-1015-002").includes("its RunID at its append"); // true
 * ```
 */
export function renumberedNote(runId: string): string {
  return `put back after a git command dropped it; its RunID at its append, ${runId}, ` +
    `was taken meanwhile by another record (${RENUMBERED})`;
}

/**
 * Writes a line the journal puts back (./journal.ts `putBackDropped`) and
 * returns where, and the line written (no offset: the file holds it put back
 * before under a new RunID, and it is not written again). A record appended
 * since git dropped the line may hold its RunID: then the line is given a SEQ
 * of its minute past the file's, the journal's and those of the lines `later`
 * put back after it (which keep theirs), and a note naming the RunID it had,
 * since a RunID must name one record and the other one is in the file,
 * perhaps committed (skew-39 F1).
 */
function putBackLine(
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
  if (BigInt(runId.slice(prefix.length)) <= fileSeq && linesWithRunId(path, runId).length > 0) {
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

/**
 * The file at the path is not the one an append looked at (before its
 * write) or wrote to (after it: `line` is the line written to the file it
 * replaced), so the append starts over from a fresh look.
 */
class FileReplaced extends WriteError {
  /** The record's line, when it was written to the replaced file. */
  readonly line?: string;
  /** Builds the error. */
  constructor(message: string, line?: string) {
    super(message);
    this.line = line;
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
    throw new InputError(`${file}: RunID ${draft.RunID} is already in the file`);
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
    journalAppended(path, state.size + linePrefix(state).length, line, context);
    throw new WriteError(e.message, { cause: e.cause, landed: true, record });
  }
  const unjournalled = journalAppended(path, written.lineOffset, line, context);
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
    ...(unjournalled === undefined ? {} : { unjournalled }),
  };
}

/**
 * The state of the record file at `path` once git is done writing it (see `awaitGitsVersion`):
 * waited for before the read, and again when the read finds it gone or empty, as git may have
 * taken the index and unlinked it between the two. A file created then keeps git's out (its
 * create fails: "File exists"), and the next checkout drops what was appended to it for good,
 * since the journal puts back no line of a file begun anew (review-40 F4).
 */
function settledFileState(file: string, path: string): FileState {
  awaitGitsVersion(path);
  const state = readFileState(file, path);
  if (state.exists && state.size > 0) return state;
  awaitGitsVersion(path);
  return readFileState(file, path);
}

/**
 * The SEQ an append gives: 1 + the highest of the file's (`fileSeq`), of the lines the journal
 * may put back (race-37 F1: `journaledSeq`), of those a folder git left beside it gave (its
 * other name on another branch: `leftFolderSeq`) and of those the repository's other work trees
 * gave (`workTreeSeq`).
 */
function nextSeq(path: string, prefix: string, fileSeq: bigint): bigint {
  const given = [
    journaledSeq(path, prefix),
    leftFolderSeq(path, prefix),
    workTreeSeq(path, prefix),
    fileSeq,
  ];
  return given.reduce((a, b) => a > b ? a : b) + 1n;
}

/**
 * What an append writes before its line (ASCII): what the file lacks (the
 * header, a torn tail's `\n`, our header after another version's line).
 */
function linePrefix(state: FileState): string {
  const tornTail = state.headerMissing === "" && !state.endsWithNewline;
  const ownHeader = state.afterOtherVersion ? `${HEADER}\n` : "";
  return state.headerMissing + (tornTail ? "\n" : "") + ownHeader;
}

/**
 * Appends one record line to the file `state` describes, after what it
 * lacks before a line (the header, a torn tail's `\n`, our header after
 * another version's line), and reads it back. `offset` and `bytes`: where
 * the write landed and how much of it; `lineOffset`: where the line starts.
 */
function writeLine(
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

/** How much of a record file's end {@linkcode AppendResult}'s `sameRunAs` is looked for in. */
export const SAME_RUN_BYTES = 1 << 16;

/**
 * The whole records of `draft`'s agent, started when it started, among the
 * last {@linkcode SAME_RUN_BYTES} of the file's `size` bytes, latest first.
 */
function recentRecordsOf(
  path: string,
  size: number,
  prefix: string,
  draft: RecordDraft,
): RunRecord[] {
  const from = Math.max(0, size - SAME_RUN_BYTES);
  let tail: Uint8Array;
  try {
    const handle = Deno.openSync(path, { read: true });
    try {
      tail = readAt(handle, from, size - from);
    } finally {
      handle.close();
    }
  } catch {
    return []; // a look-up that cannot read costs the record nothing: it is written
  }
  const text = new TextDecoder().decode(tail);
  // Only the lines holding its RunTimestamp: most records of the minute started at another
  // millisecond, and need no checksum nor decoding.
  const needle = `,${draft.RunTimestamp},`;
  const found: RunRecord[] = [];
  // Each line once (a line may hold the needle many times, in its Notes).
  for (let at = text.lastIndexOf(needle); at >= 0;) {
    const start = text.lastIndexOf("\n", at) + 1;
    if (start === 0 && from > 0) break; // a line that starts before the window
    const end = text.indexOf("\n", at);
    const record = recordOf(text.slice(start, end < 0 ? undefined : end), prefix, draft);
    if (record !== undefined) found.push(record);
    at = start >= 2 ? text.lastIndexOf(needle, start - 2) : -1;
  }
  return found;
}

/** `line` decoded when it is a whole record of `draft`'s agent, started when it started. */
function recordOf(line: string, prefix: string, draft: RecordDraft): RunRecord | undefined {
  // The cells before AgentName are never quoted (agentsRecordedIn reads them so too).
  const cells = line.split(",", 6);
  if (!cells[1]?.startsWith(prefix) || cells[3] !== draft.AgentName) return undefined;
  if (cells[5] !== draft.RunTimestamp || !checksumMatches(line)) return undefined;
  try {
    return decodeRecord(line);
  } catch {
    return undefined; // not a record this runrec reads: no run to compare
  }
}

/**
 * The whole records of the file at `path` of the runs `draft` names (`run <id>` in Notes: see
 * {@linkcode recordsOfRun}). Emit's records name no run, and cost no read here.
 */
function recordsOfItsRun(path: string, draft: RecordDraft): RunRecord[] {
  return [...draft.Notes.matchAll(NAMED_RUNS)].flatMap(([, run]) => recordsOfRun(path, draft, run));
}

/**
 * `draft`, a record of a run the file holds the FAILED record `reap` wrote of (once, among
 * `ofItsRun`), saying it supersedes that record, as a late finish does (`lateFinishNote`) when
 * it does not say so yet: its finish found that record spooled, not in the file (this append's
 * replay put it there just now), or it is a late finish replayed from the spool (soak5 F1).
 */
function supersedingReaped(draft: RecordDraft, ofItsRun: readonly RunRecord[]): RecordDraft {
  const reaped = ofItsRun.filter((r) => r.ErrorSummary === REAPED_ERROR);
  if (reaped.length !== 1 || draft.ErrorSummary === REAPED_ERROR) return draft;
  if (LATE_FINISH.test(draft.Notes)) return draft;
  const notes = draft.Notes.split(" | ").filter((note) => note && note !== REAPED_NOT_FOUND);
  return { ...draft, Notes: [...notes, lateFinishNote(reaped[0])].join(" | ") };
}

/**
 * The whole records of the file at `path` that are run `run`'s: naming it as
 * runrec does (`run <id>` in Notes), of `draft`'s agent and start
 * (RunTimestamp). The agent and start guard against a name an agent's own
 * text put there. The whole file is read (a record may be 16 MiB long, or
 * far back behind others appended since): only for a draft naming a run, a
 * finish's, exec's or reap's, never an emit's.
 *
 * @example
 * ```ts
 * import { recordsOfRun } from "./store.ts";
 * declare const draft: import("./store.ts").RecordDraft;
 * recordsOfRun("DEL-01-02_X/RunRecords.csv", draft, "20260222T101500123Z-1a2b3c4d").length; // 1
 * ```
 */
export function recordsOfRun(path: string, draft: RecordDraft, run: string): RunRecord[] {
  const needle = `run ${run}`;
  refuseLink(path);
  // The quick byte search first: most files hold no record of the run.
  if (!fileContains(path, needle)) return [];
  const found: RunRecord[] = [];
  for (const line of linesHolding(path, needle)) {
    if (!checksumMatches(line)) continue; // a torn or altered line: not a written record
    let record: RunRecord;
    try {
      record = decodeRecord(line);
    } catch {
      continue; // not a record of this layout
    }
    const names = [...record.Notes.matchAll(NAMED_RUNS)].some(([, id]) => id === run);
    if (
      names && record.AgentName === draft.AgentName && record.RunTimestamp === draft.RunTimestamp
    ) found.push(record);
  }
  return found;
}

/**
 * The lines of `path` (without `\n`, `\r`) that hold `text`, read a chunk at a time.
 *
 * @example
 * ```ts
 * import { linesHolding } from "./store.ts";
 * for (const line of linesHolding("DEL-01-02_X/RunRecords.csv", "run 2026")) console.log(line);
 * ```
 */
export function* linesHolding(path: string, text: string): Generator<string> {
  const file = Deno.openSync(path, { read: true });
  try {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(CHUNK);
    let rest = "";
    for (let n = file.readSync(buffer); n !== null; n = file.readSync(buffer)) {
      const lines = (rest + decoder.decode(buffer.subarray(0, n), { stream: true })).split("\n");
      rest = lines.pop()!;
      for (const line of lines) if (line.includes(text)) yield line.replace(/\r$/, "");
    }
    rest += decoder.decode();
    if (rest.includes(text)) yield rest;
  } finally {
    file.close();
  }
}

/** Whether `record` and `draft` tell of the same run (see `sameRunAs`). */
function isSameRun(record: RunRecord, draft: RecordDraft): boolean {
  const sameHashes = (a: Record<string, string>, b: Record<string, string>) =>
    Object.keys(a).length === Object.keys(b).length &&
    Object.entries(a).every(([path, hash]) => Object.hasOwn(b, path) && b[path] === hash);
  return record.AgentName === draft.AgentName && record.RunTimestamp === draft.RunTimestamp &&
    record.RunStatus === draft.RunStatus &&
    record.RunPassDirective === draft.RunPassDirective &&
    sameHashes(record.InputHashes, draft.InputHashes) &&
    sameHashes(record.OutputHashes, draft.OutputHashes);
}

/** What the store needs to know of the file before an append. */
interface FileState {
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

const NEWLINE = 10;

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
      "keep both sides' lines and delete the markers (the .gitattributes line " +
      "'RunRecords.csv merge=union' avoids the conflict)",
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
  const fix = bom
    ? "delete those 3 bytes"
    : firstLine === ""
    ? "delete the empty line(s) before the header line, or the file if it holds nothing else"
    : firstLine.includes("\r")
    ? "its lines end in CR alone, not LF: convert the line ends to LF"
    : /^SchemaVersion,.*,RecordChecksum$/.test(firstLine)
    // Rewritten to ours, it would make the other version's records unreadable (review-x F5).
    ? "a header of another schema version (a file a newer runrec began?): flush this record " +
      "with that runrec; only if it is this version's header mistyped, correct it (SCHEMA.md " +
      "1.4, 11.3)"
    : "line 1 must be the v1.0 header line, or a newer additive version's (SCHEMA.md 1.4, 11.3)";
  const shown = firstLine.slice(bom ? 1 : 0);
  throw new WriteError(
    `${file}:1: not a run record file: header ` +
      (bom ? "starts with a UTF-8 byte-order mark (EF BB BF), then " : "is ") +
      `${whereItDiffers(shown)}: ${fix}`,
  );
}

/**
 * The highest SEQ used with `prefix`, and whether `runId` (when the caller
 * chose one) is taken, from the SEQ index brought up to date with the file:
 * only the bytes appended since the index was stored are read, unless the
 * answer needs the whole file (a minute earlier than the latest one, as a
 * `--started` in the past gives, or a chosen RunID that may be in use).
 * A started run's finish reads only past where the file ended at its start
 * while `atStart` holds for the file (finish-40 F3).
 */
function allocate(
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
 * import { readEarlierSeqs } from "./store.ts";
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
 * The highest SEQ of one RunID prefix in a record file where it ended at a
 * run's start (`mark`, taken before the start's time): the finish of that
 * run reads only the lines past the mark for the SEQ of its minute, while the
 * file was only appended to since (finish-40 F3).
 */
export interface SeqAtStart {
  /** `RUN-<id>-<YYYYMMDD>-<HHmm>-` of the run's start. */
  prefix: string;
  /** The highest SEQ of `prefix` in the file's first `mark.size` bytes (`0n`: none). */
  seq: bigint;
  /** Where the file ended at the run's start. */
  mark: FileMark;
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
 * import { seqAtMark } from "./store.ts";
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
 */
function freshenSeqIndex(path: string): void {
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

/** The RunID in a line's second field (where encode writes it, never quoted), if any. */
export function runIdOfLine(head: string): string | undefined {
  const first = head.indexOf(",");
  if (first < 0) return undefined;
  const second = head.indexOf(",", first + 1);
  const id = head.slice(first + 1, second < 0 ? undefined : second);
  return RUN_ID_SYNTAX.test(id) ? id : undefined;
}

/**
 * The numbers (from 1) of the lines of `path` whose RunID field holds
 * `runId`, read as the store reads them, from the line's head: a damaged
 * line (its checksum wrong, its encoding broken) is found too, where a
 * reader sees no record.
 *
 * @example
 * ```ts
 * import { linesWithRunId } from "./store.ts";
 * linesWithRunId("DEL-01-02_X/RunRecords.csv", "RUN-DEL-01-02-20260222-1015-001"); // [3]
 * ```
 */
export function linesWithRunId(path: string, runId: string): number[] {
  const found: number[] = [];
  let line = 0;
  scanLines(path, 0, (head) => {
    line++;
    if (runIdOfLine(head) === runId) found.push(line);
  });
  return found;
}

/** How much of a record file's end {@linkcode agentsRecordedIn} reads: ~1,000 recent runs. */
export const RECENT_AGENTS_BYTES = 1 << 20;

/**
 * The AgentNames the lines of a record file hold, read from each line's head as
 * {@linkcode runIdOfLine} reads its RunID (the cells before AgentName are never quoted): what
 * agents ran in the deliverable lately, from its last {@linkcode RECENT_AGENTS_BYTES} only, so
 * that an emit costs the same however long the history. None when there is no file, it is no
 * regular file or it cannot be read.
 *
 * @example
 * ```ts
 * import { agentsRecordedIn } from "./store.ts";
 * agentsRecordedIn("DEL-01-02_X/RunRecords.csv").has("4_DOCUMENTS"); // true once it ran there
 * ```
 */
export function agentsRecordedIn(path: string): Set<string> {
  const agents = new Set<string>();
  try {
    // Never a FIFO in its place (opening one waits for a writer), nor a link (another file's).
    const info = Deno.lstatSync(path);
    if (!info.isFile) return agents;
    const from = Math.max(0, info.size - RECENT_AGENTS_BYTES);
    let midLine = from > 0; // the first line read from inside the file is a line's end
    scanLines(path, from, (head) => {
      if (midLine) {
        midLine = false;
        return;
      }
      if (runIdOfLine(head) === undefined) return; // the header, a blank or foreign line
      // A cell is whole when another follows it: a line torn inside AgentName names no agent.
      const cells = head.split(",", 5);
      if (cells.length === 5 && cells[3] !== "") agents.add(cells[3]);
    });
  } catch {
    // No record file yet, or one that cannot be read: no agent recorded that can be told.
  }
  return agents;
}

/** How much of each line {@linkcode scanLines} keeps: a RunID is near its start. */
const LINE_HEAD = 1024;
const CHUNK = 1 << 16;

/**
 * Calls `visit` with the first {@linkcode LINE_HEAD} bytes of every line from
 * byte `from` on, the torn last line included: memory stays bounded however
 * long a line is. Returns the offset after the last `\n` read. Bytes are read one character each (a RunID is ASCII), so
 * string offsets are byte offsets.
 */
function scanLines(path: string, from: number, visit: (head: string) => void): number {
  const handle = Deno.openSync(path, { read: true });
  try {
    handle.seekSync(from, Deno.SeekMode.Start);
    const buffer = new Uint8Array(CHUNK);
    const oneCharPerByte = new TextDecoder("latin1");
    let head = "";
    let lineEnd = from;
    for (let read = from;;) {
      const n = handle.readSync(buffer);
      if (n === null) break;
      const text = oneCharPerByte.decode(buffer.subarray(0, n));
      let start = 0;
      while (start < text.length) {
        const nl = text.indexOf("\n", start);
        const end = nl < 0 ? text.length : nl;
        if (head.length < LINE_HEAD) {
          head += text.slice(start, Math.min(end, start + LINE_HEAD - head.length));
        }
        if (nl < 0) break;
        visit(head);
        head = "";
        start = nl + 1;
        lineEnd = read + start;
      }
      read += n;
    }
    if (head !== "") visit(head);
    return lineEnd;
  } finally {
    handle.close();
  }
}

/**
 * Whether a whole record of the file holds the UTF-8 of `text` (which must
 * not span a line): a line whose checksum matches, the last line without its
 * `\n` included (readers take it). A torn line holding `text` does not count:
 * its record was not written.
 */
function fileContains(path: string, text: string): boolean {
  // A run's or spool entry's name, most often named nowhere: told so without a read of the whole
  // file, which under the lock kept appenders waiting for each entry or run (scale37 F1).
  if (mayName(path, text) === false) return false;
  const needle = encoder.encode(text);
  let carry = new Uint8Array(0);
  let consumed = 0; // file offset of the window's first byte
  let handle: Deno.FsFile;
  try {
    handle = Deno.openSync(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
  try {
    const buffer = new Uint8Array(CHUNK);
    while (true) {
      const n = handle.readSync(buffer);
      if (n === null) return false;
      const window = new Uint8Array(carry.length + n);
      window.set(carry);
      window.set(buffer.subarray(0, n), carry.length);
      for (
        let at = indexOfBytes(window, needle, 0);
        at >= 0;
        at = indexOfBytes(window, needle, at + 1)
      ) {
        if (isWholeRecordAt(path, consumed + at)) return true;
      }
      const keep = Math.min(window.length, needle.length - 1);
      consumed += window.length - keep;
      carry = window.slice(window.length - keep);
    }
  } finally {
    handle.close();
  }
}

/**
 * Whether the line holding byte `offset` carries a matching checksum: as the
 * reader takes it, a last line without its `\n` included.
 */
function isWholeRecordAt(path: string, offset: number): boolean {
  const handle = Deno.openSync(path, { read: true });
  try {
    let start = offset;
    while (start > 0) {
      const from = Math.max(0, start - CHUNK);
      const nl = readAt(handle, from, start - from).lastIndexOf(NEWLINE);
      if (nl >= 0) {
        start = from + nl + 1;
        break;
      }
      start = from;
    }
    const size = handle.statSync().size;
    let end = offset;
    while (end < size) {
      const nl = readAt(handle, end, Math.min(CHUNK, size - end)).indexOf(NEWLINE);
      if (nl >= 0) {
        end += nl;
        break;
      }
      end = Math.min(size, end + CHUNK);
    }
    const line = new TextDecoder().decode(readAt(handle, start, end - start)).replace(/\r$/, "");
    return checksumMatches(line.replace(/^\0+|\0+$/g, ""));
  } finally {
    handle.close();
  }
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  if (needle.length === 0) return from;
  for (let i = haystack.indexOf(needle[0], from); i >= 0; i = haystack.indexOf(needle[0], i + 1)) {
    if (i + needle.length > haystack.length) return -1;
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
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

/** A file's device and inode, or `undefined` where the platform gives none (Windows). */
function identityOf(info: Deno.FileInfo): string | undefined {
  return info.ino === null || info.dev === null ? undefined : `${info.dev}:${info.ino}`;
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
 * import { checkWritten } from "./store.ts";
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
