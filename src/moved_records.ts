/**
 * Tells a record file moved without git (a plain `mv`, a `cp -r` then
 * `rm`) by its content, as git's rename detection tells a renamed file:
 * never by its folder's name, which a copy shares and a move may change.
 *
 * @module
 */
import { DELIVERABLE_ID_PATTERN } from "./schema.ts";
import { runIdOfLine } from "./store.ts";

/** What a record file's content says it is: its first record's DeliverableID and its RunIDs. */
interface RecordsOf {
  deliverableId?: string;
  runIds: Set<string>;
}

/** The DeliverableID (third field) and RunIDs of the records in `bytes`, its header left out. */
function recordsOf(bytes: Uint8Array): RecordsOf {
  // RunIDs and DeliverableIDs are ASCII: any other byte of a line cannot change them.
  const lines = new TextDecoder().decode(bytes).split("\n").slice(1);
  const runIds = new Set<string>();
  let deliverableId: string | undefined;
  for (const line of lines) {
    const runId = runIdOfLine(line);
    if (runId === undefined) continue;
    runIds.add(runId);
    // SchemaVersion and RunID never hold a comma: the third field starts after the second.
    deliverableId ??= line.split(",", 3)[2];
  }
  return {
    deliverableId: deliverableId && DELIVERABLE_ID_PATTERN.test(deliverableId)
      ? deliverableId
      : undefined,
    runIds,
  };
}

/**
 * Whether `later` holds the records of the record file `earlier`, as the
 * same file moved would: its first record has `earlier`'s DeliverableID, and
 * it holds at least half of `earlier`'s RunIDs (git's rename detection pairs
 * files at least half alike). Appended to, or rewritten, it still does; a
 * file of another deliverable does not. An `earlier` with no record holds
 * nothing to tell it by: `false`.
 *
 * @example
 * ```ts
 * import { holdsRecordsOf } from "./moved_records.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * const run = "v1.0,RUN-DEL-01-03-20261001-0001-001,DEL-01-03,A\n";
 * holdsRecordsOf(bytes(`h\n${run}`), bytes(`h\n${run}${run.replace("001,", "002,")}`)); // true
 * holdsRecordsOf(bytes("h\n"), bytes("h\n")); // false: no record to tell it by
 * ```
 */
export function holdsRecordsOf(earlier: Uint8Array, later: Uint8Array): boolean {
  const before = recordsOf(earlier);
  if (before.deliverableId === undefined || before.runIds.size === 0) return false;
  const after = recordsOf(later);
  if (after.deliverableId !== before.deliverableId) return false;
  const kept = [...before.runIds].filter((id) => after.runIds.has(id)).length;
  return kept * 2 >= before.runIds.size;
}
