/**
 * The note a late finish's record carries to supersede the FAILED record
 * `reap` wrote for its run: a module of its own, so that a spool replay (and
 * `emit`, which replays the spool) can write it without loading
 * ./annotations.ts.
 *
 * @module
 */
import type { RunRecord } from "./schema.ts";

/**
 * runrec's note in a run that supersedes the FAILED record `reap` wrote for it, with the name of
 * that record (since it was written that way) right after it.
 */
export const LATE_FINISH =
  /(?:^| \| )finished after reap: supersedes=(RUN-[A-Z0-9-]+)(?: \| record \1 checksum ([0-9a-f]{16,64}))?(?: \| |$)/;

/**
 * The note of a late finish that did not find the FAILED record `reap` wrote (spooled, not in the
 * file yet): the append that finds it there replaces this note with {@linkcode lateFinishNote}.
 */
export const REAPED_NOT_FOUND =
  "finished after reap wrote this run as FAILED (that record not found)";

/** How many hex digits of a RecordChecksum an annotation writes: 64 bits tell records apart. */
const KEY_LENGTH = 16;

/**
 * runrec's note naming the record `runId` whose RecordChecksum is `checksum`.
 *
 * @example
 * ```ts
 * import { recordKey } from "./late_finish.ts";
 * recordKey("RUN-DEL-01-02-20260222-1015-001", "3f9a0c1e5b2d4f68".padEnd(64, "0"));
 * // " | record RUN-DEL-01-02-20260222-1015-001 checksum 3f9a0c1e5b2d4f68"
 * ```
 */
export function recordKey(runId: string, checksum: string): string {
  return ` | record ${runId} checksum ${checksum.slice(0, KEY_LENGTH)}`;
}

/**
 * The note runrec adds to the record of a run finished after `reap` wrote
 * it as FAILED: the record then supersedes that one, which it names by
 * RunID and the first 16 hex digits of its RecordChecksum, as annotations
 * do (`annotationNotes`, ./annotations.ts).
 *
 * @example
 * ```ts
 * import { lateFinishNote } from "./late_finish.ts";
 * lateFinishNote({ RunID: "RUN-DEL-01-02-20260222-1015-001", RecordChecksum: "3f9a0c1e5b2d4f68".padEnd(64, "0") });
 * // "finished after reap: supersedes=RUN-DEL-01-02-20260222-1015-001 | record RUN-DEL-01-02-20260222-1015-001 checksum 3f9a0c1e5b2d4f68"
 * ```
 */
export function lateFinishNote(reaped: Pick<RunRecord, "RunID" | "RecordChecksum">): string {
  return `finished after reap: supersedes=${reaped.RunID}${
    recordKey(reaped.RunID, reaped.RecordChecksum)
  }`;
}
