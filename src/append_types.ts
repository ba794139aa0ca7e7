/**
 * What an append to a record file takes and gives: the record to write
 * (`RecordDraft`), its options (`AppendOptions`, checked before anything is
 * written), what it did (`AppendResult`), the writer under one lock
 * (`RecordWriter`), the SEQ a run's start saw (`SeqAtStart`), and how a write
 * fails (`WriteError`). Of no write: a module of its own, so that the modules
 * of the steps of an append import it and not ./store.ts.
 *
 * @module
 */
import { InputError, OptionError } from "./errors.ts";
import { type ContentionReport, MAX_LEASE_S } from "./lock.ts";
import type { FileMark } from "./appended.ts";
import type { PutBackLine } from "./journal.ts";
import type { RunRecord } from "./schema.ts";
import { oneLine } from "./names.ts";

/** A record ready to append; the store fills in `RunID` (unless given) and the checksum. */
export type RecordDraft = Omit<RunRecord, "RunID" | "RecordChecksum"> & {
  /** A RunID chosen by the caller; the store allocates one when it is absent. */
  RunID?: string;
};

/** Options of a write to a record file: `emitRecord`'s, `appendAnnotation`'s, a replay's. */
export interface AppendOptions {
  /**
   * Flush the file to the device before returning, with its folder when the
   * append created it and the journal's note of the line (default `true`).
   */
  fsync?: boolean;
  /** Who takes the append lock, for its `holder` field. */
  holder?: string;
  /** Lease of the append lock in seconds (default 30). */
  leaseSeconds?: number;
  /** How long to wait for the append lock held by a live writer, in ms (default 10,000). */
  lockWaitMs?: number;
  /**
   * Called once when the append lock is held by another writer and waiting begins. A throw of
   * it is said on stderr as a warning; the wait goes on as it would have.
   */
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
 * import { checkAppendOptions } from "./append_types.ts";
 * checkAppendOptions({ leaseSeconds: 60, lockWaitMs: 0 }); // fine
 * checkAppendOptions({ leaseSeconds: 0 }); // throws "leaseSeconds: must be a number of seconds from 1 to 300, got 0"
 * ```
 */
export function checkAppendOptions(options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new InputError(`options: must be an object, got ${JSON.stringify(options)}`, {
      field: "options",
    });
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
  /**
   * Why the journal's note of the line was written but not synced (its fsync failed): a power
   * cut may take the note, and then a git command that drops the line is not undone.
   */
  journalUnsynced?: string;
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
  /** Builds the error; its message on one line (a name's line break written `\n`). */
  constructor(
    message: string,
    options?: ErrorOptions & { landed?: boolean; record?: RunRecord },
  ) {
    // One line: a warning takes a failure's first line, which a name's break would cut short.
    super(oneLine(message), options);
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
  /**
   * Appends `line`, a record only the file's journal holds, as
   * {@linkcode RecordWriter.restoreDropped} puts a line back: byte for byte,
   * or under the next free SEQ of its minute past those of `later` (the
   * lines to be put back after it) with a note naming its RunID when a record
   * of the file holds that RunID; nothing when the file holds it already, as
   * it is or so put back. Returns where (no offset: nothing written) and the
   * line the file holds.
   */
  putBack(line: string, later: readonly string[]): PutBackLine;
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
