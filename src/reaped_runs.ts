/**
 * Runs `reap` wrote as FAILED: kept in `.runrec/reaped/` (or beside the runs
 * kept outside their folder) for their agents' late `finish`, and their
 * FAILED records found in `RunRecords.csv`.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "./path.ts";
import { failureReason, InputError } from "./errors.ts";
import { makeFolders, syncFolder, writeFileDurably } from "./state_folder.ts";
import { readRecords } from "./reader.ts";
import type { RunRecord } from "./schema.ts";
import { RECORD_FILE } from "./deliverable.ts";
import { kindOf } from "./walk.ts";
import { REAPED_ERROR } from "./run_files.ts";
import { OUTSIDE_REAPED, reapedPath } from "./pending.ts";
import { FILE } from "./run_ids.ts";
import { releaseClaim } from "./run_claims.ts";

/**
 * Moves a claimed run whose FAILED record `reap` wrote (or spooled) to
 * {@linkcode reapedPath}: no longer pending, but there for its agent's
 * late `finish`. When it cannot be moved there (a read-only folder, an I/O
 * error, a folder gone), it is given back where it was, unclaimed: a late
 * finish finds it there as a reaped run, and the next reap moves it. Returns
 * `undefined` once moved, else what became of it, in words.
 *
 * @example
 * ```ts
 * import { keepReapedRun } from "./reaped_runs.ts";
 * import { claimPendingRun } from "./run_claims.ts";
 * const claimed = claimPendingRun("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json");
 * if (claimed) console.log(keepReapedRun("DEL-01-02_X", claimed) ?? "kept in .runrec/reaped/");
 * ```
 */
export function keepReapedRun(delDir: string, claimed: string): string | undefined {
  const path = reapedPlace(delDir, claimed);
  const inFolder = path === reapedPath(delDir, basename(path, ".json"));
  try {
    // A deliverable folder removed since is not made again to keep the run.
    if (inFolder && kindOf(delDir) !== "folder") throw new Error("the deliverable folder is gone");
    makeFolders(dirname(path), inFolder ? undefined : 0o700);
    moveRunFile(claimed, path);
  } catch (e) {
    // Never removed: the agent's late finish must still find the run, to record what it did.
    // Deno's message names both paths again: the system's reason is what is new.
    const reason = failureReason(e as Error).replace(/: (?:rename|mkdir) '.*$/, "");
    const why = `not moved into ${dirname(path)}/ (${reason})`;
    const back = claimed.replace(/\.claim-[^/\\]*$/, "");
    try {
      releaseClaim(claimed);
    } catch {
      return `${why}, nor given back: ${claimed} stays, which a late finish and the next reap ` +
        "take over (its claimant gone)";
    }
    return `${why}: it waits as ${back}, where its agent's late finish records its outcome ` +
      "(superseding the FAILED record); the next reap moves it";
  }
  syncFolder(dirname(path));
  return undefined;
}

/**
 * Moves the run file `from` to `to`: renamed, or, across file systems (EXDEV: the copy kept in
 * the common git folder of a work tree on another), copied there durably, then removed. Killed
 * between the two, the run is in both places, never in none: its late finish takes the one in
 * `reaped/`, and reap removes the other once the run is recorded (./reap.ts `claimantRecorded`).
 */
function moveRunFile(from: string, to: string): void {
  try {
    Deno.renameSync(from, to);
    return;
  } catch (e) {
    if ((e as { code?: string }).code !== "EXDEV") throw e;
  }
  writeFileDurably(to, Deno.readTextFileSync(from));
  try {
    Deno.removeSync(from);
    syncFolder(dirname(from));
  } catch { /* left, claimed: reap removes it once its run is recorded */ }
}

/**
 * Where a run `reap` wrote as FAILED is kept for its agent's late `finish`,
 * given its pending file (or a claim of it, `file`): in its deliverable
 * folder's `.runrec/reaped/` ({@linkcode reapedPath}), or, for a run kept
 * outside that folder ({@linkcode keepPendingRun}), in `reaped/` beside it,
 * where its token still leads.
 *
 * @example
 * ```ts
 * import { reapedPlace } from "./reaped_runs.ts";
 * reapedPlace("/p/DEL-01-02_X", "/tmp/runrec-pending-1000/20260222T101500123Z-1a2b3c4d.json");
 * // "/tmp/runrec-pending-1000/reaped/20260222T101500123Z-1a2b3c4d.json"
 * ```
 */
export function reapedPlace(delDir: string, file: string): string {
  const base = FILE.exec(basename(file));
  if (!base) throw new InputError(`${file}: not a pending run's file`);
  const folder = dirname(resolve(file));
  if (basename(folder) === "pending" && basename(dirname(folder)) === ".runrec") {
    return reapedPath(delDir, base[1]);
  }
  return basename(folder) === OUTSIDE_REAPED
    ? join(folder, `${base[1]}.json`)
    : join(folder, OUTSIDE_REAPED, `${base[1]}.json`);
}

/**
 * The RunID and RecordChecksum of the FAILED record `reap` wrote for the run
 * `id` of `delDir`, when it is in the deliverable's `RunRecords.csv` once;
 * `undefined` when it is not there (still spooled), is there twice, or the
 * file cannot be read.
 *
 * @example
 * ```ts
 * import { reapedRecord } from "./reaped_runs.ts";
 * console.log((await reapedRecord("DEL-01-02_X", "20260222T101500123Z-1a2b3c4d"))?.RunID);
 * ```
 */
export async function reapedRecord(
  delDir: string,
  id: string,
): Promise<Pick<RunRecord, "RunID" | "RecordChecksum"> | undefined> {
  const found = (await reapedRecords(delDir)).filter((r) => r.id === id);
  return found.length === 1 ? found[0].record : undefined;
}

/**
 * The id of the run whose FAILED record `reap` wrote under `runId` in
 * `delDir`'s `RunRecords.csv`, or `undefined`.
 *
 * @example
 * ```ts
 * import { reapedRunOf } from "./reaped_runs.ts";
 * await reapedRunOf("DEL-01-02_X", "RUN-DEL-01-02-20260222-1015-001"); // "20260222T101500123Z-1a2b3c4d"
 * ```
 */
export async function reapedRunOf(delDir: string, runId: string): Promise<string | undefined> {
  return (await reapedRecords(delDir)).find((r) => r.record.RunID === runId)?.id;
}

/** Each FAILED record `reap` wrote in `delDir`'s `RunRecords.csv`: its RunID, checksum and the run's id. */
async function reapedRecords(
  delDir: string,
): Promise<{ record: Pick<RunRecord, "RunID" | "RecordChecksum">; id: string }[]> {
  const found: { record: Pick<RunRecord, "RunID" | "RecordChecksum">; id: string }[] = [];
  try {
    for await (const event of readRecords(join(resolve(delDir), RECORD_FILE))) {
      if (event.kind !== "record" || event.record.ErrorSummary !== REAPED_ERROR) continue;
      const named = REAPED_NOTE.exec(event.record.Notes);
      const { RunID, RecordChecksum } = event.record;
      if (named) found.push({ record: { RunID, RecordChecksum }, id: named[1] });
    }
  } catch { /* unreadable: the caller goes on without (a late finish still writes its record) */ }
  return found;
}

/** The run's id in a reaped record's Notes: `run <id>`, a note of its own (or, before, a `; ` part). */
const REAPED_NOTE = /(?:^|; | \| )run ([0-9]{8}T[0-9]{9}Z-[0-9a-f]{8})(?=;| \| |$)/;
