/**
 * Tells a record file moved without git (a plain `mv`, a `cp -r` then
 * `rm`) by its content, as git's rename detection tells a renamed file:
 * never by its folder's name, which a copy shares and a move may change.
 * Tells a file restarted at a path (its deliverable retired and begun
 * again there) from one rewritten in place by its RunIDs and RunTimestamps.
 *
 * @module
 */
import { DELIVERABLE_ID_SYNTAX } from "./schema.ts";
import { runIdOfLine } from "./record_lines.ts";

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
  return id !== undefined && DELIVERABLE_ID_SYNTAX.test(id) ? id : undefined;
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
 * file's is, and none of its records reuses a RunID of `earlier`. A record
 * that does is one of `earlier`'s, kept or edited (a tamperer keeps RunIDs,
 * and may move a time later within its minute); a new run begun in the
 * minute of the last runs retired gets one of their RunIDs too, and is
 * told from an edit by nothing in the file: restart in a later minute. An
 * `earlier` with no record has nothing a new file could replace: `false`.
 *
 * @example
 * ```ts
 * import { restarts } from "./moved_records.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * const file = (minute: string, seq: string, agent = "A") =>
 *   bytes(`h\nv1.0,RUN-DEL-01-03-20261001-${minute}-${seq},DEL-01-03,${agent}\n`);
 * const earlier = file("0001", "001");
 * restarts(earlier, file("0002", "002")); // false: a new file's first run is 001
 * restarts(earlier, file("0002", "001", "B")); // true: a new run, in a later minute
 * restarts(earlier, file("0001", "001", "B")); // false: a RunID of the earlier file
 * ```
 */
export function restarts(earlier: Uint8Array, later: Uint8Array): boolean {
  const before = new Set(recordLines(earlier).map(runIdOfLine));
  if (before.size === 0) return false;
  const after = recordLines(later).map(runIdOfLine);
  // A new file numbers its first run 001 (SCHEMA.md 3.2): one that begins otherwise was not begun.
  if (after.length > 0 && !after[0]!.endsWith("-001")) return false;
  return !after.some((runId) => before.has(runId));
}

/**
 * When `later`, found where the record file `earlier` was, would be a new
 * file begun there ({@linkcode restarts}) but for RunIDs of `earlier`'s last
 * minute that it reuses (a restart in that minute, or a rewrite of those
 * runs that begins with the first record): the first of them; else
 * `undefined`, also for a file that begins with `earlier`'s first record. What a failure of such a file
 * says to do: restart in a later minute.
 *
 * @example
 * ```ts
 * import { restartInLastMinute } from "./moved_records.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * const run = "v1.0,RUN-DEL-01-03-20261001-0001-001,DEL-01-03,A\n";
 * restartInLastMinute(bytes(`h\n${run}`), bytes(`h\n${run.replace(",A", ",B")}`));
 * // "RUN-DEL-01-03-20261001-0001-001"
 * ```
 */
export function restartInLastMinute(earlier: Uint8Array, later: Uint8Array): string | undefined {
  const [first] = recordLines(earlier);
  const [begins] = recordLines(later);
  // One that begins with the earlier first record was not begun anew: a rewrite further on.
  if (begins === undefined || begins === first || !runIdOfLine(begins)!.endsWith("-001")) {
    return undefined;
  }
  const before = new Set(recordLines(earlier).map(runIdOfLine));
  const after = recordLines(later).map(runIdOfLine);
  // A RunID ends in its minute and a SEQ (`…-20261001-0001-001`): sorted, the last is the latest.
  const minute = (runId: string) => runId.slice(0, runId.lastIndexOf("-"));
  const last = [...before].map((runId) => minute(runId!)).sort().at(-1);
  const reused = after.filter((runId) => before.has(runId));
  return reused.length > 0 && reused.every((runId) => minute(runId!) === last)
    ? reused[0]
    : undefined;
}

/** The lines of `bytes` that are records (a RunID in their second field), header left out, each without a CR at its end. */
function recordLines(bytes: Uint8Array): string[] {
  return new TextDecoder().decode(bytes).split("\n").slice(1)
    .map((line) => line.endsWith("\r") ? line.slice(0, -1) : line)
    .filter((line) => runIdOfLine(line) !== undefined);
}
