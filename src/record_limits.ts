/**
 * What an append refuses before it takes the lock: a draft that is no valid
 * record, and a line longer than the line limit less the room of the note a
 * line git dropped is put back with under a new RunID (that note's text too).
 *
 * @module
 */
import { encodeRecord } from "./codec.ts";
import { InputError } from "./errors.ts";
import {
  type FieldProblem,
  LINE_LIMIT_BYTES,
  runIdPrefix,
  type RunRecord,
  validateRecord,
} from "./schema.ts";
import type { RecordDraft } from "./append_types.ts";
import { encoder } from "./record_lines.ts";

/**
 * What is wrong with a draft, checked as the record it will become (with a
 * stand-in RunID when it has none).
 *
 * @example
 * ```ts
 * import { draftProblems } from "./record_limits.ts";
 * declare const draft: import("./append_types.ts").RecordDraft;
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
 * import { appendRecord } from "./store.ts";
 * import { RecordTooLarge } from "./record_limits.ts";
 * declare const draft: import("./append_types.ts").RecordDraft;
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

/**
 * Throws {@linkcode RecordTooLarge} when the record's line would be over its limit.
 *
 * @example
 * ```ts
 * import { rejectTooLarge } from "./record_limits.ts";
 * declare const record: import("./schema.ts").RunRecord;
 * rejectTooLarge("DEL-01-02_X/RunRecords.csv", record); // throws RecordTooLarge when over
 * ```
 */
export function rejectTooLarge(file: string, record: RunRecord, line = encodeRecord(record)): void {
  const bytes = encoder.encode(line).length;
  const limit = appendLimit(record.RunID);
  if (bytes > limit) throw new RecordTooLarge(file, record, bytes, limit);
}

/**
 * Throws an {@linkcode InputError} naming `file` and the fields when `draft` is no valid record,
 * or {@linkcode RecordTooLarge} when its line would be over its limit: checked before the lock, so
 * that bad input never waits and is never spooled.
 *
 * @example
 * ```ts
 * import { rejectInvalid } from "./record_limits.ts";
 * declare const draft: import("./append_types.ts").RecordDraft;
 * rejectInvalid("DEL-01-02_X/RunRecords.csv", draft); // throws when it is no valid record
 * ```
 */
export function rejectInvalid(file: string, draft: RecordDraft): void {
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
 * Why a line put back can hold a RunID another record took: said where it is renumbered.
 *
 * @example
 * ```ts
 * import { RENUMBERED, renumberedNote } from "./record_limits.ts";
 * renumberedNote("RUN-DEL-01-02-20260222-1015-002").endsWith(`(${RENUMBERED})`); // true
 * ```
 */
export const RENUMBERED =
  "a writer that keeps no journal, such as an older runrec, or another clone's record of that minute, merged";

/**
 * The note of a record put back under a new RunID (see `putBackLine`), naming `runId`, the one
 * it was appended with and the agent was given (skew-39 F1).
 *
 * @example
 * ```ts
 * import { renumberedNote } from "./record_limits.ts";
 * renumberedNote("RUN-DEL-01-02-20260222-1015-002").includes("its RunID at its append"); // true
 * ```
 */
export function renumberedNote(runId: string): string {
  return `put back after a git command dropped it; its RunID at its append, ${runId}, ` +
    `was taken meanwhile by another record (${RENUMBERED})`;
}

/**
 * The RunIDs and RecordChecksums `record` had before a put-back renumbered it (see
 * {@linkcode renumberedNote}), the latest first: the record as appended, with the RunID its note
 * names and its Notes before the note. An annotation made of it then names it so, and still
 * means it (leftovers-52 1). Empty for a record never renumbered.
 *
 * @example
 * ```ts
 * import { formerKeys } from "./record_limits.ts";
 * declare const record: import("./schema.ts").RunRecord;
 * for (const was of formerKeys(record)) console.log(`${record.RunID} was ${was.RunID}`);
 * ```
 */
export function formerKeys(record: RunRecord): Pick<RunRecord, "RunID" | "RecordChecksum">[] {
  const keys: Pick<RunRecord, "RunID" | "RecordChecksum">[] = [];
  let was = record;
  // Asked of every record a reader takes annotations for: the plain test first, the rare
  // renumbered record alone read by the regular expression.
  while (was.Notes.endsWith(`(${RENUMBERED})`)) {
    const runId = RENUMBERED_AT_END.exec(was.Notes)?.[1];
    if (runId === undefined) return keys;
    const note = renumberedNote(runId);
    const notes = was.Notes === note ? "" : was.Notes.slice(0, -` | ${note}`.length);
    const line = encodeRecord({ ...was, RunID: runId, Notes: notes });
    was = { ...was, RunID: runId, Notes: notes, RecordChecksum: line.slice(-64) };
    keys.push({ RunID: was.RunID, RecordChecksum: was.RecordChecksum });
  }
  return keys;
}

/** A renumbered note ending a record's Notes (as `putBackLine` writes it), its RunID caught. */
const RENUMBERED_AT_END = new RegExp(
  `(?:^| \\| )${
    renumberedNote("(RUN-[A-Z0-9-]+)").split("(RUN-[A-Z0-9-]+)").map(escaped).join(
      "(RUN-[A-Z0-9-]+)",
    )
  }$`,
);

/** `text` as a regular expression matching it alone. */
function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
