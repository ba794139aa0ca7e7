/**
 * Tells a record file moved without git (a plain `mv`, a `cp -r` then
 * `rm`) by its content, as git's rename detection tells a renamed file:
 * never by its folder's name, which a copy shares and a move may change.
 * Tells a file restarted at a path (its deliverable retired and begun
 * again there) from one rewritten in place by its RunIDs and RunTimestamps.
 *
 * @module
 */
import { DELIVERABLE_ID_PATTERN } from "./schema.ts";
import { runIdOfLine } from "./store.ts";
import { parseInstant } from "./time.ts";

/** What a record file's content says it is: its first record's DeliverableID and its RunIDs. */
export interface RecordsOf {
  deliverableId?: string;
  runIds: Set<string>;
}

/**
 * The DeliverableID (third field) and RunIDs of the records in `bytes`, its
 * header left out.
 *
 * @example
 * ```ts
 * import { recordsOf } from "./moved_records.ts";
 * const run = "v1.0,RUN-DEL-01-03-20261001-0001-001,DEL-01-03,A\n";
 * recordsOf(new TextEncoder().encode(`h\n${run}`)).deliverableId; // "DEL-01-03"
 * ```
 */
export function recordsOf(bytes: Uint8Array): RecordsOf {
  // RunIDs and DeliverableIDs are ASCII: any other byte of a line cannot change them.
  const lines = new TextDecoder().decode(bytes).split("\n").slice(1);
  const runIds = new Set<string>();
  let first: string | undefined;
  for (const line of lines) {
    const runId = runIdOfLine(line);
    if (runId === undefined) continue;
    runIds.add(runId);
    first ??= line;
  }
  return { deliverableId: first === undefined ? undefined : deliverableIdOfLine(first), runIds };
}

/**
 * The DeliverableID of a record line (its third field), when it is one.
 *
 * @example
 * ```ts
 * import { deliverableIdOfLine } from "./moved_records.ts";
 * deliverableIdOfLine("v1.0,RUN-DEL-01-03-20261001-0001-001,DEL-01-03,A"); // "DEL-01-03"
 * ```
 */
export function deliverableIdOfLine(line: string): string | undefined {
  // SchemaVersion and RunID never hold a comma: the third field starts after the second.
  const id = line.split(",", 3)[2];
  return id !== undefined && DELIVERABLE_ID_PATTERN.test(id) ? id : undefined;
}

/**
 * Whether `later` holds the records of `earlier` (both {@linkcode recordsOf}),
 * as the same file moved would: its first record has `earlier`'s
 * DeliverableID, and it holds at least half of `earlier`'s RunIDs (git's
 * rename detection pairs files at least half alike). Appended to, or
 * rewritten, it still does; a file of another deliverable does not. An
 * `earlier` with no record holds nothing to tell it by: `false`.
 *
 * @example
 * ```ts
 * import { holdsRecords, recordsOf } from "./moved_records.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * const run = "v1.0,RUN-DEL-01-03-20261001-0001-001,DEL-01-03,A\n";
 * const one = recordsOf(bytes(`h\n${run}`));
 * holdsRecords(one, recordsOf(bytes(`h\n${run}${run.replace("001,", "002,")}`))); // true
 * holdsRecords(recordsOf(bytes("h\n")), one); // false: no record to tell it by
 * ```
 */
export function holdsRecords(earlier: RecordsOf, later: RecordsOf): boolean {
  if (earlier.deliverableId === undefined || earlier.runIds.size === 0) return false;
  if (later.deliverableId !== earlier.deliverableId) return false;
  const kept = [...earlier.runIds].filter((id) => later.runIds.has(id)).length;
  return kept * 2 >= earlier.runIds.size;
}

/**
 * Whether `later`, found where the record file `earlier` was, is a new
 * file begun there (a deliverable retired and restarted at its path)
 * rather than `earlier` rewritten: its first run is numbered 001, as a new
 * file's is, and none of its records reuses a RunID of `earlier` with a
 * RunTimestamp no later than `earlier`'s latest. A record
 * that does is one of `earlier`'s, kept or edited (a tamperer keeps RunIDs
 * and times); a new run reuses a RunID only in the minute of the last runs
 * retired, and started after them. An `earlier` with no record has nothing
 * a new file could replace: `false`.
 *
 * @example
 * ```ts
 * import { restarts } from "./moved_records.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * const file = (seq: string, second: string, agent = "A") =>
 *   bytes(`h\nv1.0,RUN-DEL-01-03-20261001-0001-${seq},DEL-01-03,${agent},TYPE_2,` +
 *     `2026-10-01T00:01:${second}Z\n`);
 * const earlier = file("001", "00");
 * restarts(earlier, file("002", "30")); // false: a new file's first run is 001
 * restarts(earlier, file("001", "30", "B")); // true: a new run (later), one RunID
 * restarts(earlier, file("001", "00", "B")); // false: its record edited
 * ```
 */
export function restarts(earlier: Uint8Array, later: Uint8Array): boolean {
  const before = recordLines(earlier);
  if (before.length === 0) return false;
  // A new file numbers its first run 001 (SCHEMA.md 3.2): one that begins otherwise was not begun.
  const [first] = recordLines(later);
  if (first !== undefined && !runIdOfLine(first)!.endsWith("-001")) return false;
  const runIds = new Set(before.map(runIdOfLine));
  // A RunTimestamp that does not parse proves nothing: earlier, it could be the latest;
  // later, it is not after it.
  let latest = -Infinity;
  for (const line of before) latest = Math.max(latest, startOfLine(line) ?? Infinity);
  const startedAfter = (line: string) => (startOfLine(line) ?? -Infinity) > latest;
  return !recordLines(later).some((line) => runIds.has(runIdOfLine(line)) && !startedAfter(line));
}

/** The RunTimestamp (sixth field: the five before it never hold a comma) of a record line, in ms. */
function startOfLine(line: string): number | undefined {
  const field = line.split(",", 6)[5];
  return field === undefined ? undefined : parseInstant(field);
}

/** The lines of `bytes` that are records (a RunID in their second field), header left out, each without a CR at its end. */
function recordLines(bytes: Uint8Array): string[] {
  return new TextDecoder().decode(bytes).split("\n").slice(1)
    .map((line) => line.endsWith("\r") ? line.slice(0, -1) : line)
    .filter((line) => runIdOfLine(line) !== undefined);
}
