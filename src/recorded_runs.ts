/**
 * Finding the records of started runs: in `RunRecords.csv`, in the spool, or
 * in the file's journal (a record a git command took away), by the run's id
 * its Notes name; the latest records of an agent's started runs; the record
 * of a RunID.
 *
 * @module
 */
import { join, resolve } from "./path.ts";
import { listSpool, readSpoolItem, spoolEntryOf, spoolFolderNames, spoolFolders } from "./spool.ts";
import { type ReadEnd, readRecords, readRecordsOn } from "./reader.ts";
import { mayName, namedOnlyPast, readNamedLines } from "./named_lines.ts";
import type { FileMark } from "./appended.ts";
import { heldByGit, journaledLines } from "./journal.ts";
import { decodeRecord } from "./codec.ts";
import { NAMED_RUNS } from "./agent_notes.ts";
import type { RunRecord } from "./schema.ts";
import { RECORD_FILE } from "./deliverable.ts";
import type { RecordDraft, SeqAtStart } from "./append_types.ts";
import { parseDuration, parseInstant } from "./time.ts";
import { REAPED_ERROR, RETRIED_START_NOTE } from "./run_files.ts";
import type { PendingRun } from "./pending.ts";
import { namesRun, runIdNote } from "./run_ids.ts";
import { pathArgument } from "./shell_word.ts";

/** A run as the record-file lookups know it: by its id alone (see {@linkcode recordedRuns}). */
export interface RunKey {
  /** The run's id (its pending file's name, the token's last part). */
  id: string;
}

/** A run's record found by {@linkcode recordedRuns}. */
export interface RunRecordFound {
  /** Its RunID; absent for a record still in the spool. */
  runId?: string;
  /** The spool entry holding it, for a record still in the spool. */
  spooledIn?: string;
  /**
   * For a record in a spool entry `runrec flush` does not replay as it is (STUCK): why, and what
   * to correct, as flush says it.
   */
  stuck?: string;
  /** For a record in the file: the spool entry it was appended from (`runrec flush`), if it was. */
  replayedFrom?: string;
  /**
   * For a record in the file: whether a finish of the folder while it was read-only wrote it
   * ({@linkcode READ_ONLY_FINISH_NOTE}), which removes the pending file after, if it is not stopped.
   */
  finishedReadOnly?: boolean;
  /** Whether it is the FAILED record `reap` wrote for the run. */
  reaped: boolean;
  /** For a record in the file: its RunStatus, which a finish repeated with another is told. */
  status?: string;
  /** When the run ended (ms since the epoch: RunTimestamp plus RunDuration), when they read. */
  endedAt?: number;
  /**
   * For a record only the file's journal holds (the file as read lacks it): when it was appended
   * (ms since the epoch). See {@linkcode recordOfGoneRun}.
   */
  journaledAt?: number;
  /**
   * For such a record: whether a branch, tag or stash of the repository holds it (git says), as
   * after a checkout of another branch than the one it was appended on.
   */
  heldByGit?: boolean;
}

/**
 * The note of a record a finish wrote while the run's folder was read-only
 * (its pending file could be read, not claimed): the file stays until the
 * record is in `RunRecords.csv`, then that finish (or `runrec flush`) removes it.
 */
export const READ_ONLY_FINISH_NOTE =
  "finished while its folder was read-only (its pending run file could not be claimed)";

/** When a record's run ended (RunTimestamp plus RunDuration), or `undefined` when they do not read. */
function endOf(record: { RunTimestamp?: string; RunDuration?: string }): number | undefined {
  const start = parseInstant(record.RunTimestamp ?? "");
  const duration = parseDuration(record.RunDuration ?? "");
  return start === undefined || duration === undefined ? undefined : start + duration;
}

/**
 * Reads `delDir`'s record file and spool once, and returns a lookup: the
 * record of a run, found by the run's id named in its Notes (every record
 * `finish`, `withRun`, `exec` and `reap` write names it, see
 * {@linkcode runIdNote}), or `undefined`. Never by start time and agent:
 * runs of one agent started in the same millisecond share those. A record
 * other than `reap`'s FAILED one is preferred, then one in the file to one
 * still in the spool. A pending run's file that
 * comes back (`git stash pop`, a restored copy) after its run was recorded
 * is found so.
 *
 * @example
 * ```ts
 * import { readPendingRun } from "./pending.ts";
 * import { recordedRuns } from "./recorded_runs.ts";
 * const recordOf = await recordedRuns("DEL-01-02_X");
 * recordOf(readPendingRun("DEL-01-02_X/.runrec/pending/x.json"))?.runId;
 * ```
 */
export async function recordedRuns(
  delDir: string,
): Promise<(run: RunKey) => RunRecordFound | undefined> {
  return await recordedRunsOn(delDir)();
}

/**
 * {@linkcode recordedRuns} for a caller that asks again and again (reap, of
 * each of many runs): each call of the function returned reads only the
 * records appended since its last call (the whole file again when it was
 * replaced or rewritten: ./reader.ts `readRecordsOn`), where reading the
 * whole file each time made reap's work grow as runs times records (scale37 F2).
 * The spool is listed at each call, and only the entries not met before (by
 * this call's earlier calls, or by another folder's given the same `read`:
 * the user's spool folders are every folder's) are read.
 *
 * @example
 * ```ts
 * import { readPendingRun } from "./pending.ts";
 * import { recordedRunsOn } from "./recorded_runs.ts";
 * const recorded = recordedRunsOn("DEL-01-02_X");
 * const run = readPendingRun("DEL-01-02_X/.runrec/pending/x.json");
 * (await recorded())(run)?.runId; // later calls read on from where this one ended
 * ```
 */
export function recordedRunsOn(
  delDir: string,
  read: SpoolReads = new Map(),
): () => Promise<(run: RunKey) => RunRecordFound | undefined> {
  const file = join(resolve(delDir), RECORD_FILE);
  let end: ReadEnd | undefined;
  let inFile = new Map<string, RunRecordFound[]>();
  return async () => {
    // The spool first, then the file: a replay appends to the file before it removes the entry,
    // so a record that leaves the spool between the two looks is found in the file.
    const byId = spooledRuns(delDir, read);
    try {
      // Streamed, and refused up front when not a regular file (a FIFO, a device): never a hang.
      end = await readRecordsOn(file, end, (fromStart) => {
        if (fromStart) inFile = new Map();
        return (r) => {
          const replayedFrom = spoolEntryOf(r.Notes);
          addNamed(inFile, r.Notes, {
            runId: r.RunID,
            reaped: r.ErrorSummary === REAPED_ERROR,
            status: r.RunStatus,
            endedAt: endOf(r),
            ...replayedFrom === undefined ? {} : { replayedFrom },
            ...r.Notes.split(" | ").includes(READ_ONLY_FINISH_NOTE)
              ? { finishedReadOnly: true }
              : {},
          });
        };
      });
    } catch {
      // No file, or not one to read: not there (the write then spools the record).
      end = undefined;
      inFile = new Map();
    }
    const held = inFile;
    return (run) => firstFound([...byId.get(run.id) ?? [], ...held.get(run.id) ?? []]);
  };
}

/**
 * {@linkcode recordedRuns} of one run: a run the record file surely names
 * nowhere (./named_lines.ts, most often: a finish's own run) is looked for
 * in the spool alone, not by a read of every record (scale37 F3).
 *
 * @example
 * ```ts
 * import { readPendingRun } from "./pending.ts";
 * import { recordOfRun } from "./recorded_runs.ts";
 * await recordOfRun("DEL-01-02_X", readPendingRun("DEL-01-02_X/.runrec/pending/x.json"));
 * ```
 */
export async function recordOfRun(
  delDir: string,
  run: RunKey & Pick<PendingRun, "recordsAtStart">,
): Promise<RunRecordFound | undefined> {
  const file = join(resolve(delDir), RECORD_FILE);
  const name = runIdNote(run.id);
  // Its records were appended after its start: past where the file ended then (finish-40 F2).
  const mark = startMark(run);
  if (mark !== undefined) namedOnlyPast(file, name, mark);
  readNamedLines(file, [name]);
  const spooled = spooledRuns(delDir); // first: see recordedRunsOn
  let named: boolean | undefined;
  try {
    named = mayName(file, name);
  } catch { /* read as recordedRuns reads it */ }
  if (named !== false) return (await recordedRuns(delDir))(run);
  return firstFound(spooled.get(run.id) ?? []);
}

/**
 * Where a run's record file ended at its start (`recordsAtStart`), when its
 * pending file holds one that reads as a mark: one edited by hand is only a
 * place to try, which a wrong one fails (then the whole file is read).
 *
 * @example
 * ```ts
 * import { readPendingRun } from "./pending.ts";
 * import { startMark } from "./recorded_runs.ts";
 * startMark(readPendingRun("DEL-01-02_X/.runrec/pending/x.json"))?.size; // 12345
 * ```
 */
export function startMark(run: Pick<PendingRun, "recordsAtStart">): FileMark | undefined {
  const mark = run.recordsAtStart;
  const valid = Number.isSafeInteger(mark?.size) && mark!.size >= 0 &&
    typeof mark?.tail === "string";
  return valid ? { size: mark!.size, tail: mark!.tail } : undefined;
}

/**
 * The highest SEQ of `run`'s RunID prefix where its record file ended at its
 * start ({@linkcode PendingRun} `seqAtStart`, with its mark), when its pending
 * file holds both as this runrec writes them; `undefined` otherwise (then the
 * finish reads as it did before, the whole file where the index cannot answer).
 *
 * @example
 * ```ts
 * import { readPendingRun } from "./pending.ts";
 * import { startSeq } from "./recorded_runs.ts";
 * startSeq(readPendingRun("DEL-01-02_X/.runrec/pending/x.json"))?.seq; // 2n
 * ```
 */
export function startSeq(
  run: Pick<PendingRun, "recordsAtStart" | "seqAtStart">,
): SeqAtStart | undefined {
  const mark = startMark(run);
  const saved = run.seqAtStart;
  const valid = typeof saved?.prefix === "string" && Number.isSafeInteger(saved.seq) &&
    saved.seq >= 0;
  return mark !== undefined && valid
    ? { prefix: saved!.prefix, seq: BigInt(saved!.seq), mark }
    : undefined;
}

/**
 * {@linkcode recordOfRun} of a run whose pending file is gone (finished, or removed by hand), or,
 * where that finds none or reap's FAILED record only, the record of it that `delDir`'s journal
 * says was appended to its record file in the last day. Another program may be rewriting the file as git does (unlink, create, write): a look
 * between the steps finds no file, or an empty one, and a second record (an emit, or a finish
 * from the token) would record the run twice (race-37 F2).
 *
 * @example
 * ```ts
 * import { recordOfGoneRun } from "./recorded_runs.ts";
 * (await recordOfGoneRun("DEL-01-02_X", { id: "20260222T101500123Z-1a2b3c4d" }))?.runId;
 * ```
 */
export async function recordOfGoneRun(
  delDir: string,
  run: RunKey,
): Promise<RunRecordFound | undefined> {
  const found = await recordOfRun(delDir, run);
  // Reap's FAILED record alone is no outcome: the journal may hold the late finish's, which a
  // stash or a rewrite keeps out of the file now (review-39b F2).
  if (found !== undefined && !found.reaped) return found;
  return firstFound([
    ...(found === undefined ? [] : [found]),
    ...journaledRecordsOf(delDir, run.id),
  ]);
}

/** The records of the run `id` that `delDir`'s journal holds (see {@linkcode recordOfGoneRun}). */
function journaledRecordsOf(delDir: string, id: string): RunRecordFound[] {
  const note = runIdNote(id);
  const found: RunRecordFound[] = [];
  const file = join(resolve(delDir), RECORD_FILE);
  for (const { line, at } of journaledLines(file, note)) {
    let record: RunRecord;
    try {
      record = decodeRecord(line);
    } catch {
      continue; // not a record this runrec reads: it names no run
    }
    if (!namesRun(record.Notes, id)) continue;
    found.push({
      runId: record.RunID,
      reaped: record.ErrorSummary === REAPED_ERROR,
      endedAt: endOf(record),
      journaledAt: at,
      // Another branch's record (appended there, then checked out of): recorded, not to be
      // recorded again here (review-40 F3).
      heldByGit: heldByGit(delDir, [line])?.has(line) ?? false,
    });
  }
  return found;
}

/**
 * Where a run's spooled record (`found`) waits and what appends it: `runrec
 * flush` of `place`; for an entry flush does not replay as it is (STUCK), once
 * it is corrected as its problem says.
 *
 * @example
 * ```ts
 * import { recordOfRun, spooledRecordPlace } from "./recorded_runs.ts";
 * const found = await recordOfRun("DEL-01-02_X", { id: "20260222T101500123Z-1a2b3c4d" });
 * if (found?.spooledIn) console.log(`its record ${spooledRecordPlace(found, "DEL-01-02_X")}`);
 * ```
 */
export function spooledRecordPlace(
  found: Pick<RunRecordFound, "spooledIn" | "stuck">,
  place: string,
): string {
  const flush = `runrec flush ${pathArgument(place)}`;
  return found.stuck === undefined
    ? `waits in the spool, ${found.spooledIn}: ${flush} appends it`
    : `is in the spool, ${found.spooledIn}, STUCK (${found.stuck}): ${flush} appends it once ` +
      "that is corrected";
}

/**
 * What the spool entries read so far tell of runs, by each entry's path (`null`: none), for
 * {@linkcode recordedRunsOn}. The spool folders are listed again at each look; an entry is read at
 * the first look that lists it, as an entry's record never changes under its name (a failed replay
 * rewrites its attempts; a claim, or a move to another folder's spool, is a new name).
 */
export type SpoolReads = Map<string, { notes: string; found: RunRecordFound } | null>;

/**
 * The records in `delDir`'s spool, by the runs their Notes name. `read` keeps what entries told
 * an earlier look of the same caller: reap looked at the whole spool again for each of a folder's
 * runs, reading every entry each time.
 */
function spooledRuns(delDir: string, read: SpoolReads = new Map()): Map<string, RunRecordFound[]> {
  const byId = new Map<string, RunRecordFound[]>();
  for (const folder of spoolFolders(delDir)) {
    const listing = spoolFolderNames(folder);
    for (const name of [...listing.names]) {
      let told = read.get(join(folder.path, name));
      if (told === undefined) {
        const item = readSpoolItem(listing, name);
        if (item === undefined) continue; // appended since the listing: the file holds it
        // A stuck entry's record too: its run is recorded there, to be corrected, not recorded
        // again.
        const draft = (item.entry ?? item.stuckEntry)?.draft;
        told = draft === undefined ? null : {
          notes: draft.Notes ?? "",
          found: {
            spooledIn: item.path,
            reaped: draft.ErrorSummary === REAPED_ERROR,
            endedAt: endOf(draft),
            ...item.state === "stuck" ? { stuck: item.problem } : {},
          },
        };
        read.set(item.path, told);
      }
      if (told !== null) addNamed(byId, told.notes, { ...told.found });
    }
  }
  return byId;
}

/**
 * The record of a run among those `found`: not reap's FAILED record first, then one in the file
 * (a replay dead before removing the entry leaves the record in both).
 */
function firstFound(found: readonly RunRecordFound[]): RunRecordFound | undefined {
  const rank = (f: RunRecordFound) => (f.reaped ? 2 : 0) + (f.spooledIn === undefined ? 0 : 1);
  return found.toSorted((a, b) => rank(a) - rank(b))[0];
}

/** Adds `found` under each run `notes` name. */
function addNamed(byId: Map<string, RunRecordFound[]>, notes: string, found: RunRecordFound): void {
  for (const [, id] of notes.matchAll(NAMED_RUNS)) {
    const there = byId.get(id);
    if (there === undefined) byId.set(id, [found]);
    else there.push(found);
  }
}

/**
 * Whether the record of `run` (by its id, see {@linkcode recordedRuns}) is in
 * `delDir`'s record file or spool already: a finisher that died may have
 * written it.
 *
 * @example
 * ```ts
 * import { readPendingRun } from "./pending.ts";
 * import { runRecorded } from "./recorded_runs.ts";
 * await runRecorded("DEL-01-02_X", readPendingRun("DEL-01-02_X/.runrec/pending/x.json"));
 * ```
 */
export async function runRecorded(delDir: string, run: RunKey): Promise<boolean> {
  return (await recordedRuns(delDir))(run) !== undefined;
}

/**
 * The last records of the runs `agent` started (any agent's when `agent` is not given) in
 * `delDir`'s record file or waiting in its spool (their Notes name the run, see
 * {@linkcode recordedRuns}), the latest ended first: each with the run's id, when it ended, and
 * the spool entry holding it when it is not in the file yet (review-s F1: a finish whose write
 * failed spools it). The first start of a retried start that reap wrote FAILED saying so is left
 * out (the retry's record is the run's, review-s F4); any other FAILED record of reap's is in (that
 * run is still to finish, late).
 *
 * @example
 * ```ts
 * import { startedRunsOf } from "./recorded_runs.ts";
 * (await startedRunsOf("DEL-01-02_X", "PREPARATION"))[0]?.record.RunID;
 * ```
 */
export async function startedRunsOf(
  delDir: string,
  agent?: string,
): Promise<RunEnded[]> {
  const twin = (r: RecordDraft) =>
    r.ErrorSummary === REAPED_ERROR && r.Notes.includes(RETRIED_START_NOTE);
  const started = (r: RecordDraft) =>
    (agent === undefined || r.AgentName === agent) && namedRunOf(r.Notes) !== undefined && !twin(r);
  const runs: RunEnded[] = [];
  // The user's spool holds other folders' records too: only this folder's file's count. A
  // spooled record is later than the file's (it waits to be appended) unless it ended before.
  const file = join(resolve(delDir), RECORD_FILE);
  for (const item of listSpool(delDir)) {
    // A STUCK entry's record too: its run is recorded there, to be corrected, not recorded again.
    const entry = item.entry ?? item.stuckEntry;
    const draft = entry?.recordFile === file ? entry.draft : undefined;
    if (draft === undefined || !started(draft)) continue;
    runs.push({
      id: namedRunOf(draft.Notes)!,
      record: draft,
      endedAt: endOf(draft),
      spooledIn: item.path,
      ...item.state === "stuck" ? { stuck: item.problem } : {},
    });
  }
  for (const record of (await recordsOf(delDir, started)).reverse()) {
    runs.push({ id: namedRunOf(record.Notes)!, record, endedAt: endOf(record) });
  }
  return runs.sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0));
}

/** A run's last record, as {@linkcode startedRunsOf} finds it. */
export interface RunEnded {
  /** The run's id (its start's). */
  id: string;
  /** The record (a spooled one has no RunID yet). */
  record: RecordDraft;
  /** When the run ended, when its record says. */
  endedAt?: number;
  /** The spool entry holding the record, when it is not in the record file yet. */
  spooledIn?: string;
  /** For an entry `runrec flush` does not replay as it is (STUCK): why, as flush says it. */
  stuck?: string;
}

/**
 * The record of `delDir`'s record file whose RunID is `runId`, or `undefined`.
 *
 * @example
 * ```ts
 * import { recordOfRunId } from "./recorded_runs.ts";
 * (await recordOfRunId("DEL-01-02_X", "RUN-DEL-01-02-20260222-1015-001"))?.AgentName;
 * ```
 */
export async function recordOfRunId(delDir: string, runId: string): Promise<RunRecord | undefined> {
  return (await recordsOf(delDir, (r) => r.RunID === runId)).at(-1);
}

/** The run a record's Notes name last (see {@linkcode recordedRuns}), or `undefined`. */
function namedRunOf(notes: string): string | undefined {
  return [...notes.matchAll(NAMED_RUNS)].at(-1)?.[1];
}

/**
 * The records of `delDir`'s record file that `wanted` keeps, in file order: none when there is no
 * file to read. The whole file is read: for a refusal's words, not for a write.
 */
async function recordsOf(
  delDir: string,
  wanted: (record: RunRecord) => boolean,
): Promise<RunRecord[]> {
  const kept: RunRecord[] = [];
  try {
    for await (const event of readRecords(join(resolve(delDir), RECORD_FILE))) {
      if (event.kind === "record" && wanted(event.record)) kept.push(event.record);
    }
  } catch { /* no file, or not one to read: none */ }
  return kept;
}
