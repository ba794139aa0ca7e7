/**
 * Appending run records to `RunRecords.csv`: validate, lock, allocate the
 * RunID, one `O_APPEND` write, fsync, read back. Existing bytes are never
 * rewritten, truncated or deleted.
 *
 * @module
 */
import { resolve } from "./path.ts";
import { decodeRecord, encodeRecord } from "./codec.ts";
import { InputError } from "./errors.ts";
import { acquireLock, type ContentionReport } from "./lock.ts";
import {
  type FieldProblem,
  HEADER,
  inColumnOrder,
  runIdPrefix,
  type RunRecord,
  validateRecord,
} from "./schema.ts";

/** Name of the record file inside a deliverable folder. */
export const RECORD_FILE = "RunRecords.csv";

/** A record ready to append; the store fills in `RunID` (unless given) and the checksum. */
export type RecordDraft = Omit<RunRecord, "RunID" | "RecordChecksum"> & { RunID?: string };

/** Options of {@linkcode appendRecord}. */
export interface AppendOptions {
  /** Flush the file to the device before returning (default `true`). */
  fsync?: boolean;
  /** Who takes the append lock, for its `holder` field. */
  holder?: string;
  /** Lease of the append lock in seconds (default 30). */
  leaseSeconds?: number;
  /** Called once when the append lock is held by another writer and waiting begins. */
  onLockWait?: (report: ContentionReport) => void;
}

/** What {@linkcode appendRecord} did. */
export interface AppendResult {
  /** The record as written, with RunID, Notes and RecordChecksum final. */
  record: RunRecord;
  /** The exact bytes written (header and torn-tail separator included). */
  bytesWritten: number;
  /** Byte offset in the file where the written bytes start. */
  offset: number;
  /** Whether the file was created by this append. */
  created: boolean;
  /** Whether the file ended in a torn line, so the write started with `\n`. */
  tornTail: boolean;
}

/** A write that went wrong after validation: the record may not be in the file. */
export class WriteError extends Error {
  /** Whether every byte of the record reached the file before the failure (fsync, read-back). */
  readonly landed: boolean;
  /** Builds the error. */
  constructor(message: string, options?: ErrorOptions & { landed?: boolean }) {
    super(message, options);
    this.name = "WriteError";
    this.landed = options?.landed ?? false;
  }
}

const encoder = new TextEncoder();
const queues = new Map<string, Promise<unknown>>();

/** Runs `task` after every earlier task queued under the same key (one process). */
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

/** What a scan of an existing record file found. */
interface FileState {
  exists: boolean;
  /** Whether the file holds no byte at all (a header is written first). */
  empty: boolean;
  firstLine: string;
  endsWithNewline: boolean;
  /** Highest SEQ used with the RunID prefix, 0 when none (a bigint: SEQ has no digit limit). */
  maxSeq: bigint;
  /** Whether the exact RunID asked for is already in the file. */
  runIdTaken: boolean;
}

/** 64 KiB, reused: large fresh buffers measured slower (allocation and zeroing per append). */
const SCAN_CHUNK = 1 << 16;
/** Safe to share: a scan runs synchronously from open to close. */
let scanBuffer: Uint8Array | undefined;
/**
 * Files up to this size are read and decoded whole, natively (`readTextFileSync`):
 * ~0.2-0.35 ms less per emit than a `TextDecoder` in chunks, which a fresh process
 * starts cold. Larger ones are read in chunks: their text as one string would go to
 * V8's large-object space (above 128 KiB) and cost full collections in a long-lived
 * process (2,000 appends to one file: ~10 % fewer per second when files up to 16 MiB
 * were read whole).
 */
const WHOLE_READ_LIMIT = 128 * 1024;

/**
 * Reads the file once: its header, whether it ends in `\n`, and the highest
 * SEQ already used for `prefix`. RunIDs are the second field of a line, so the
 * scan is a native substring search for `,` + `prefix`; a hit counts only where
 * that comma is the first of its line (not a comma inside a later field).
 *
 * The store's file operations are synchronous: they run under the lock, one
 * append at a time, on a few small reads and one write, where each round trip
 * through Deno's async pool costs more than the system call itself (measured:
 * an append took ~3 ms warm with async calls).
 */
function scanFile(path: string, prefix: string, runId?: string): FileState {
  const state: FileState = {
    exists: false,
    empty: true,
    firstLine: "",
    endsWithNewline: true,
    maxSeq: 0n,
    runIdTaken: false,
  };
  let info: Deno.FileInfo;
  try {
    // Before opening: opening a FIFO would wait for a writer for ever.
    info = Deno.statSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return state;
    throw e;
  }
  if (!info.isFile) throw new WriteError(`${path}: not a regular file`);
  const file = Deno.openSync(path, { read: true });
  try {
    state.exists = true;
    const needle = `,${prefix}`;
    let headerSeen = false;
    let maxSmall = 0; // the highest SEQ of up to 15 digits: a number, cheaper per line
    // Searches whole lines (`text` holds no unfinished one), each byte once over the scan.
    const visit = (text: string) => {
      if (!headerSeen) {
        const nl = text.indexOf("\n");
        state.firstLine = text.slice(0, Math.min(nl < 0 ? text.length : nl, 4096));
      }
      for (let hit = text.indexOf(needle); hit >= 0; hit = text.indexOf(needle, hit + 1)) {
        const lineStart = text.lastIndexOf("\n", hit) + 1;
        if (lineStart === 0 && !headerSeen) continue; // the header line
        if (text.indexOf(",", lineStart) !== hit) continue;
        const digits = hit + needle.length;
        let i = digits;
        let seq = 0; // exact while at most 15 digits; a longer SEQ is read as a bigint
        for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) {
          seq = seq * 10 + c - 48;
        }
        if (text.charCodeAt(i) !== COMMA || i === digits) continue;
        if (i - digits <= 15) {
          if (seq > maxSmall) maxSmall = seq;
        } else if (BigInt(text.slice(digits, i)) > state.maxSeq) {
          state.maxSeq = BigInt(text.slice(digits, i));
        }
        if (runId !== undefined && text.slice(hit + 1, i) === runId) state.runIdTaken = true;
      }
      headerSeen = true;
    };
    if (info.size <= WHOLE_READ_LIMIT) {
      // One native read and decode: no decoder of ours to start, no chunks to join.
      const text = Deno.readTextFileSync(path);
      state.empty = text === "";
      visit(text);
      state.endsWithNewline = state.empty || text.endsWith("\n");
    } else {
      scanInChunks(file, visit, state);
    }
    if (BigInt(maxSmall) > state.maxSeq) state.maxSeq = BigInt(maxSmall);
  } finally {
    file.close();
  }
  return state;
}

/** The scan of a file too large to read whole: 64 KiB at a time, lines searched when complete. */
function scanInChunks(file: Deno.FsFile, visit: (text: string) => void, state: FileState): void {
  const buffer = scanBuffer ??= new Uint8Array(SCAN_CHUNK);
  let carry = ""; // the unfinished last line of what was read so far
  let lastByte = NEWLINE;
  // Keeps a BOM, as readTextFileSync does: a file that starts with one is not a record file.
  const streaming = new TextDecoder("utf-8", { ignoreBOM: true });
  while (true) {
    const n = file.readSync(buffer);
    if (n === null) break;
    state.empty = false;
    lastByte = buffer[n - 1];
    const fresh = streaming.decode(buffer.subarray(0, n), { stream: true });
    const nl = fresh.lastIndexOf("\n");
    if (nl < 0) {
      carry += fresh; // a line longer than a chunk: searched once it is complete
      continue;
    }
    visit(carry + fresh.slice(0, nl));
    carry = fresh.slice(nl + 1);
  }
  // The torn last line (no newline) counts too: its RunID may already be in use.
  const rest = carry + streaming.decode();
  if (rest !== "") visit(rest);
  state.endsWithNewline = state.empty || lastByte === NEWLINE;
}

const NEWLINE = 10;
const COMMA = 44;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * What is wrong with a draft, checked as the record it will become (with a
 * stand-in RunID when it has none): the check before the lock, shared with
 * callers that want to name their own options in messages.
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
  const problems = validateRecord({ ...draft, RunID: runId, RecordChecksum: "0".repeat(64) });
  return problems;
}

/**
 * Appends one record to a record file, following DESIGN.md's writing steps:
 * validate; take the append lock; allocate `RunID` SEQ under it; create the
 * file with its header (`O_EXCL`) or append with one `O_APPEND` write,
 * starting with `\n` after a torn tail; fsync; read the bytes back and check
 * them. Appends from one process to one file run one after another.
 *
 * Throws {@linkcode InputError} when the record is invalid (nothing written)
 * and {@linkcode WriteError} (or the lock's error) when the write failed.
 *
 * @example
 * ```ts
 * import { appendRecord } from "./store.ts";
 * declare const draft: import("./store.ts").RecordDraft;
 * const { record } = await appendRecord("DEL-01-02_X/RunRecords.csv", draft);
 * console.log(record.RunID); // RUN-DEL-01-02-20260222-1015-001
 * ```
 */
export function appendRecord(
  file: string,
  draft: RecordDraft,
  options: AppendOptions = {},
): Promise<AppendResult> {
  const path = resolve(file);
  const prefix = runIdPrefix(draft.DeliverableID, draft.RunTimestamp);
  // Validate before taking the lock, so bad input never waits.
  const problems = draftProblems(draft);
  if (problems.length > 0) {
    const what = problems.map((p) => `${p.field || "record"} ${p.message}`).join("; ");
    return Promise.reject(new InputError(`${file}: record not written: ${what}`));
  }
  return serialise(path, () => appendLocked(file, path, draft, prefix, options));
}

async function appendLocked(
  file: string,
  path: string,
  draft: RecordDraft,
  prefix: string,
  options: AppendOptions,
): Promise<AppendResult> {
  const lock = await acquireLock(`${path}.lock`, {
    deliverableId: draft.DeliverableID,
    holder: options.holder ?? `runrec (${draft.AgentName})`,
    leaseSeconds: options.leaseSeconds,
    onWait: options.onLockWait,
  });
  try {
    const state = scanFile(path, prefix, draft.RunID);
    if (!state.empty && state.firstLine.replace(/\r$/, "") !== HEADER) {
      const bom = state.firstLine.startsWith("\uFEFF");
      throw new WriteError(
        `${file}:1: not a run record file: header ` +
          (bom ? "starts with a UTF-8 byte-order mark (EF BB BF), then " : "is ") +
          JSON.stringify(state.firstLine.slice(bom ? 1 : 0, 60)),
      );
    }
    if (draft.RunID && state.runIdTaken) {
      throw new InputError(`${file}: RunID ${draft.RunID} is already in the file`);
    }
    const notes = [draft.Notes, ...lock.recoveries].filter((n) => n !== "").join(" | ");
    const record = inColumnOrder({
      ...draft,
      RunID: draft.RunID ?? `${prefix}${String(state.maxSeq + 1n).padStart(3, "0")}`,
      Notes: notes,
      RecordChecksum: "",
    });
    const line = encodeRecord(record);
    record.RecordChecksum = line.slice(line.lastIndexOf(",") + 1);
    // No second validation: only RunID (built from validated fields) and Notes (free text)
    // changed since the check before the lock, and the read-back check below parses it again.
    const needsHeader = state.empty;
    const tornTail = !state.endsWithNewline;
    const bytes = encoder.encode(
      (needsHeader ? `${HEADER}\n` : "") + (tornTail ? "\n" : "") + `${line}\n`,
    );
    const offset = writeOnce(path, bytes, !state.exists, options.fsync ?? true);
    checkWritten(path, offset, bytes, line);
    return { record, bytesWritten: bytes.length, offset, created: !state.exists, tornTail };
  } finally {
    await lock.release();
  }
}

/** One `write` call; returns the offset where the bytes landed. */
function writeOnce(path: string, bytes: Uint8Array, create: boolean, fsync: boolean): number {
  let handle: Deno.FsFile;
  try {
    handle = Deno.openSync(path, create ? { createNew: true, write: true } : { append: true });
  } catch (e) {
    throw new WriteError(`${path}: cannot open for append: ${(e as Error).message}`, { cause: e });
  }
  try {
    let written: number;
    try {
      written = handle.writeSync(bytes);
    } catch (e) {
      throw new WriteError(`${path}: write failed: ${(e as Error).message}`, { cause: e });
    }
    if (written !== bytes.length) {
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
    // With O_APPEND the position after the write is the end of our bytes.
    const end = handle.seekSync(0, Deno.SeekMode.Current);
    return end - bytes.length;
  } finally {
    handle.close();
  }
}

/** Post-write validation: the bytes in the file are ours and decode to a valid record. */
function checkWritten(path: string, offset: number, bytes: Uint8Array, line: string): void {
  const handle = Deno.openSync(path, { read: true });
  try {
    handle.seekSync(offset, Deno.SeekMode.Start);
    const back = new Uint8Array(bytes.length);
    let got = 0;
    while (got < back.length) {
      const n = handle.readSync(back.subarray(got));
      if (n === null) break;
      got += n;
    }
    if (got !== bytes.length || !sameBytes(back, bytes)) {
      throw new WriteError(`${path}: post-write check: bytes at offset ${offset} differ`, {
        landed: true,
      });
    }
    // The bytes in the file are the UTF-8 of `line` (and of what came before it), so the
    // line read back is `line`: parsed and checked as such, without decoding the bytes
    // again, and its checksum holds without hashing it again.
    const problems = validateRecord(decodeRecord(line));
    if (problems.length > 0) {
      throw new WriteError(
        `${path}: post-write check: ${problems[0].field} ${problems[0].message}`,
      );
    }
  } finally {
    handle.close();
  }
}
