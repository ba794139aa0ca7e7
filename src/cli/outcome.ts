/**
 * What `emit`, `finish`, `exec` and `reap` print about a record's write: the
 * replays, runrec's notes, warnings and a lost record's line on stderr; the
 * RunID (or the record as JSON) on stdout.
 *
 * @module
 */
import { failureReason } from "../errors.ts";
import type { RunOutcome } from "../hook.ts";
import type { RecordDraft } from "../append_types.ts";
import type { ContentionReport } from "../lock.ts";
import { type Io, writeJson } from "./command.ts";
import { oneLine } from "../names.ts";
import { shownNote } from "../input_folders.ts";

/**
 * Prints one run's outcome; `json` prints the record (without a RunID when
 * it was not written), then what became of it, instead of its RunID; `runIdTo: "err"` says the RunID
 * on stderr (`exec`, whose stdout is the command's). Returns whether a lost
 * record's line went out (on stderr, or in the JSON document). Each line on
 * stderr is tried apart. A failure is thrown (once all is tried) only when a
 * lost record's line went nowhere: a record written or spooled stands, and
 * a caller told otherwise would record the run again.
 *
 * @example
 * ```ts
 * import { printOutcome } from "./outcome.ts";
 * import { processIo } from "./main.ts";
 * declare const outcome: import("../hook.ts").RunOutcome;
 * printOutcome(processIo(), outcome, { json: false });
 * ```
 */
export function printOutcome(
  io: Io,
  outcome: RunOutcome,
  options: { json: boolean; runIdTo?: "out" | "err" },
): boolean {
  let failure: unknown;
  const err = (text: string) => {
    try {
      io.err(text);
      return true;
    } catch (e) {
      failure ??= e;
      return false;
    }
  };
  for (const { record } of outcome.replayed) {
    err(`runrec: replayed ${record.RunID} from the spool\n`);
  }
  // One line each, whatever names they hold (the notes are already).
  for (const note of outcome.notes) err(`runrec: note: ${oneLine(shownNote(note))}\n`);
  for (const warning of outcome.warnings) err(`runrec: warning: ${oneLine(warning)}\n`);
  let said = outcome.lost !== undefined && err(`${outcome.lost}\n`);
  // Unconfirmed, it is in the file all the same: its RunID is said (seeds-trace F2).
  const record = outcome.written?.record ?? outcome.unconfirmedRecord;
  let documented = false;
  printRecorded(io, () => {
    // Not written: JSON still gets one document, the record as built, without RunID.
    if (options.json) {
      writeJson(io, { ...record ?? noRunId(outcome.draft), ...whatBecameOf(outcome) });
      // A reader gone before it (`| head -1`) got nothing: the lostRecord it holds is not said
      // (trial-40 F8).
      documented = io.outLost?.() === undefined;
    } else if (record && options.runIdTo === "err") {
      io.err(`runrec: recorded ${record.RunID} (${record.RunStatus})\n`);
    } else if (record) io.out(`${record.RunID}\n`);
  });
  said ||= documented && outcome.lost !== undefined;
  if (failure !== undefined && outcome.lost !== undefined && !said) throw failure;
  return said;
}

/**
 * Runs `print`, which says what was recorded; an output that fails is a
 * warning on stderr. The records stand whatever becomes of this output: a
 * caller that saw a failure would record the runs again, so a stream that
 * cannot be written is said, not an exit code.
 *
 * @example
 * ```ts
 * import { printRecorded } from "./outcome.ts";
 * import { processIo } from "./main.ts";
 * const io = processIo();
 * printRecorded(io, () => io.out("RUN-DEL-01-02-20260222-1015-001\n"));
 * ```
 */
export function printRecorded(io: Io, print: () => void): void {
  try {
    print();
  } catch (e) {
    try {
      io.err(`runrec: warning: the outcome could not be printed (${failureReason(e as Error)})\n`);
    } catch { /* stderr is gone too: the records stand all the same */ }
  }
}

function noRunId(draft: RecordDraft): RecordDraft & { RunID: string; RecordChecksum: string } {
  return { ...draft, RunID: "", RecordChecksum: "" };
}

/**
 * The keys `--json` adds after the record's columns: `outcome` (`written`,
 * `unconfirmed`, `spooled`, `lost`, or `not written` under `--strict`, which
 * does not spool), and where a record not written went:
 * `spooledTo`, or `lostRecord` (the line to save for `runrec flush --from`).
 */
function whatBecameOf(outcome: RunOutcome): Record<string, string> {
  // Unconfirmed: the bytes are in the file (written stays unset); a retry would duplicate them.
  if (outcome.unconfirmed) return { outcome: "unconfirmed" };
  if (outcome.written) return { outcome: "written" };
  if (outcome.spooledTo !== undefined) {
    // Spooled outside a folder that is gone: its lost-record line goes out too.
    const spooled: Record<string, string> = { outcome: "spooled", spooledTo: outcome.spooledTo };
    if (outcome.lost !== undefined) spooled.lostRecord = outcome.lost;
    return spooled;
  }
  if (outcome.lost !== undefined) return { outcome: "lost", lostRecord: outcome.lost };
  return { outcome: "not written" };
}

/**
 * The `onLockWait` callback that says on stderr whom a write waits for. A
 * note that cannot be printed changes nothing: the write goes on waiting.
 *
 * @example
 * ```ts
 * import { lockWaitMessage } from "./outcome.ts";
 * import { processIo } from "./main.ts";
 * const onLockWait = lockWaitMessage(processIo());
 * ```
 */
export function lockWaitMessage(io: Io): (report: ContentionReport) => void {
  return (r) => {
    try {
      io.err(
        `runrec: waiting for the append lock held by ${r.holder} ` +
          `(lease ends in ${r.lease_remaining_s}s)\n`,
      );
    } catch { /* stderr is gone: the record is written all the same */ }
  };
}
