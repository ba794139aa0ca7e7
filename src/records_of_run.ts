/**
 * The records of the file that are of the run an append writes: a record of
 * the same run already there (then nothing is written), one it repeats
 * (`sameRunAs`), and reap's FAILED record it supersedes.
 *
 * @module
 */
import { checksumMatches, decodeRecord } from "./codec.ts";
import { NAMED_RUNS } from "./agent_notes.ts";
import { REAPED_ERROR } from "./run_files.ts";
import { LATE_FINISH, lateFinishNote, REAPED_NOT_FOUND } from "./late_finish.ts";
import { readAt } from "./appended.ts";
import type { RunRecord } from "./schema.ts";
import type { RecordDraft } from "./append_types.ts";
import { fileContains, linesHolding } from "./record_lines.ts";
import { refuseLink } from "./record_file_state.ts";

/** How much of a record file's end {@linkcode AppendResult}'s `sameRunAs` is looked for in. */
export const SAME_RUN_BYTES = 1 << 16;

/**
 * The whole records of `draft`'s agent, started when it started, among the
 * last {@linkcode SAME_RUN_BYTES} of the file's `size` bytes, latest first.
 *
 * @example
 * ```ts
 * import { recentRecordsOf } from "./records_of_run.ts";
 * declare const draft: import("./append_types.ts").RecordDraft;
 * const path = "/abs/DEL-01-02_X/RunRecords.csv";
 * recentRecordsOf(path, 123456, "RUN-DEL-01-02-20260222-1015-", draft)[0]?.RunID;
 * ```
 */
export function recentRecordsOf(
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
 *
 * @example
 * ```ts
 * import { recordsOfItsRun } from "./records_of_run.ts";
 * declare const draft: import("./append_types.ts").RecordDraft;
 * recordsOfItsRun("/abs/DEL-01-02_X/RunRecords.csv", draft).length; // 0 for an emit's record
 * ```
 */
export function recordsOfItsRun(path: string, draft: RecordDraft): RunRecord[] {
  return [...draft.Notes.matchAll(NAMED_RUNS)].flatMap(([, run]) => recordsOfRun(path, draft, run));
}

/**
 * `draft`, a record of a run the file holds the FAILED record `reap` wrote of (once, among
 * `ofItsRun`), saying it supersedes that record, as a late finish does (`lateFinishNote`) when
 * it does not say so yet: its finish found that record spooled, not in the file (this append's
 * replay put it there just now), or it is a late finish replayed from the spool (soak5 F1).
 *
 * @example
 * ```ts
 * import { supersedingReaped } from "./records_of_run.ts";
 * declare const draft: import("./append_types.ts").RecordDraft;
 * declare const reaped: import("./schema.ts").RunRecord; // reap's FAILED record of its run
 * supersedingReaped(draft, [reaped]).Notes; // names the record it supersedes
 * ```
 */
export function supersedingReaped(draft: RecordDraft, ofItsRun: readonly RunRecord[]): RecordDraft {
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
 * import { recordsOfRun } from "./records_of_run.ts";
 * declare const draft: import("./append_types.ts").RecordDraft;
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
 * Whether `record` and `draft` tell of the same run (see `sameRunAs`).
 *
 * @example
 * ```ts
 * import { isSameRun } from "./records_of_run.ts";
 * declare const record: import("./schema.ts").RunRecord;
 * declare const draft: import("./append_types.ts").RecordDraft;
 * isSameRun(record, draft); // true for an emit repeated after a tool's timeout
 * ```
 */
export function isSameRun(record: RunRecord, draft: RecordDraft): boolean {
  const sameHashes = (a: Record<string, string>, b: Record<string, string>) =>
    Object.keys(a).length === Object.keys(b).length &&
    Object.entries(a).every(([path, hash]) => Object.hasOwn(b, path) && b[path] === hash);
  return record.AgentName === draft.AgentName && record.RunTimestamp === draft.RunTimestamp &&
    record.RunStatus === draft.RunStatus &&
    record.RunPassDirective === draft.RunPassDirective &&
    sameHashes(record.InputHashes, draft.InputHashes) &&
    sameHashes(record.OutputHashes, draft.OutputHashes);
}
