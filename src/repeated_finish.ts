/**
 * A finish by folder that may repeat one already recorded (its first answer
 * lost, the call retried): the folder's last run compared with what this
 * finish would record, "finished already" when it is the same, and the
 * pending first start of a retried start (its retry recorded) refused.
 *
 * @module
 */
import { retriedStartNote } from "./retried_start.ts";
import { join, resolve } from "./path.ts";
import { InputError } from "./errors.ts";
import { completeDraft } from "./hook.ts";
import { REAPED_ERROR } from "./run_files.ts";
import type { PendingItem } from "./pending.ts";
import { type RunEnded, spooledRecordPlace, startedRunsOf } from "./recorded_runs.ts";
import { runIdStart } from "./run_ids.ts";
import { DELETED, TBD } from "./schema.ts";
import { RECORD_FILE } from "./deliverable.ts";
import type { RecordDraft } from "./append_types.ts";
import { pathArgument } from "./shell_word.ts";
import type { FinishReport } from "./finish_report.ts";

/**
 * How soon after a run's record ended a finish by folder of its agent may repeat that finish: a
 * finish is retried when its tool call timed out, and agent hosts let a call run 10 minutes at
 * the most (Claude Code's Bash tool: 2 minutes by default, 600 s at most).
 */
const RETRY_WITHIN_MS = 10 * 60_000;

/**
 * For `finish <del-dir> [--agent A]` when no run here is (or may be) A's (without `--agent`: no
 * run here at all): what the advice to emit adds about A's last started run here (without
 * `--agent`, the folder's last; its record in the file or waiting in the spool) (`"; A's last run
 * here, RUN-…, ended …"`, and an earlier run of A's with this finish's outcome, ended within
 * {@linkcode RETRY_WITHIN_MS}, soak5 F3), or `""` when there is none. Throws {@linkcode
 * InputError} "finished already" when this finish repeats the finish of that last run, its first
 * answer lost (trial-q F1, review-s F1 and F6): an emit would record the run twice. Only a finish
 * that could be that one is (review-r F3): see {@linkcode unlikeFinish}. An earlier run like it is
 * only named: a new run whose start was lost may end as it did (review-t F1).
 *
 * @example
 * ```ts
 * import { lastRunContext } from "./repeated_finish.ts";
 * // No run of DEPENDENCIES pending here: what the advice to emit adds about its last run, or a
 * // throw "finished already" when this finish repeats that run's.
 * const dir = "DEL-01-02_Flow";
 * const context = await lastRunContext(dir, { status: "SUCCESS", agent: "DEPENDENCIES" });
 * ```
 */
export async function lastRunContext(
  target: string,
  report: FinishReport,
  { aside = "", lead }: { aside?: string; lead?: string } = {},
): Promise<string> {
  const { agent } = report;
  const runs = await startedRunsOf(target, agent);
  const last = runs[0];
  // Reap's FAILED record last: that run is still to finish, late.
  if (last === undefined || last.record.ErrorSummary === REAPED_ERROR) return "";
  const whose = last.record.AgentName;
  const unlike = await unlikeFinish(target, last, { ...report, agent: whose });
  if (unlike !== undefined) {
    // An earlier run like this finish may be the one it repeats (its answer lost before A's next
    // run), or a new run like it whose start was lost: named, never judged (soak5 F3, review-t F1).
    const like = await earlierRunLike(target, runs.slice(1), { ...report, agent: whose });
    const name = (run: RunEnded) =>
      run.record.RunID ??
        `run ${run.id} (its record ${run.stuck === undefined ? "waiting" : "STUCK"} in the spool)`;
    const ended = (run: RunEnded) => endedAt(run) && `, ended ${endedAt(run)}`;
    const which = agent === undefined
      ? `the last run here, ${name(last)} of ${whose}`
      : `${agent}'s last run here, ${name(last)}`;
    const earlier = like === undefined
      ? `${which}${ended(last)} (${unlike})`
      : `${which}${ended(last)}, is unlike it (${unlike}), but an earlier one, ${name(like)}` +
        `${ended(like)}, has this outcome`;
    return `; ${earlier}: if this repeats its finish, nothing more is needed`;
  }
  // A finish whose write failed (the lock busy 10 s, a full disk) spooled the record (review-s F1).
  const where = last.spooledIn === undefined
    ? ` (runrec log says): its record is ${last.record.RunID} in ` +
      join(resolve(target), RECORD_FILE)
    : `: its record ${spooledRecordPlace(last, target)}`;
  const none = lead ?? (agent === undefined ? "no pending run" : `no pending run of ${agent}`);
  const run = agent === undefined
    ? `${none}: the last run here, ${last.id} (${whose}, started`
    : `${none}: its last run here, ${last.id} (started`;
  // Without --agent the repeat is judged by the folder's last run's agent: another agent's finish
  // is told how to be judged by its own.
  const notWhose = agent === undefined
    ? `; if this finish is of another agent's run, not ${whose}'s, name that agent: runrec ` +
      `finish ${pathArgument(target)} --agent NAME ...`
    : "";
  const ended = endedAt(last);
  throw new InputError(
    `${target}: ${run} ${runIdStart(last.id)}, ended ${ended}), finished already${where}; ` +
      (last.stuck === undefined
        ? "nothing written, nothing more is needed (an emit would record the run twice)"
        : "nothing written, no emit or other finish (it would record the run twice)") +
      aside +
      notWhose,
  );
}

/** When `run` ended, as ISO 8601, or `""` when its record does not say. */
function endedAt(run: RunEnded): string {
  return run.endedAt === undefined ? "" : new Date(run.endedAt).toISOString();
}

/**
 * The first of `earlier` (latest ended first), runs of `report.agent` ended within
 * {@linkcode RETRY_WITHIN_MS}, with the outcome this finish gives ({@linkcode unlikeFinish}):
 * the finish it may repeat, retried after the agent's next run was recorded (soak5 F3). Reap's
 * FAILED records are no finish to repeat.
 */
async function earlierRunLike(
  target: string,
  earlier: readonly RunEnded[],
  report: FinishReport & { agent: string },
): Promise<RunEnded | undefined> {
  for (const run of earlier) {
    if (run.endedAt !== undefined && Date.now() - run.endedAt > RETRY_WITHIN_MS) break;
    if (run.record.AgentName !== report.agent || run.record.ErrorSummary === REAPED_ERROR) continue;
    if (await unlikeFinish(target, run, report) === undefined) return run;
  }
  return undefined;
}

/** A run of the folder that is the first start of a retried start, and reap's note saying so. */
interface RetriedTwin {
  item: PendingItem;
  note: string;
}

/**
 * The runs of `items` (pending or reaped) that are the first start of a retried start whose retry
 * is recorded in `delDir` (retried_start.ts `retriedStartNote`: the same agent, pass and inputs,
 * started 1 s to 2 min before a recorded run), each with the note `reap` gives it.
 *
 * @example
 * ```ts
 * import { listPendingRuns } from "./pending.ts";
 * import { retriedTwins } from "./repeated_finish.ts";
 * const dir = "DEL-01-02_Flow";
 * const twins = await retriedTwins(dir, listPendingRuns(dir));
 * twins.map(({ item }) => item.id); // the pending first starts whose retry is recorded
 * ```
 */
export async function retriedTwins(delDir: string, items: PendingItem[]): Promise<RetriedTwin[]> {
  const twins: RetriedTwin[] = [];
  for (const item of items) {
    const note = item.run && await retriedStartNote(delDir, item.run);
    if (note) twins.push({ item, note });
  }
  return twins;
}

/**
 * Why `finish <del-dir>` does not record the one pending run `twin` (review-s F4): it is the first
 * start of a retried start whose retry is recorded, one real run; recorded too, the run would be
 * twice. Throws "finished already" when this finish repeats the run's last record
 * ({@linkcode lastRunContext}); else the error names both and the `--run` that records the pending
 * run all the same, for a run that is really another (a fan-out).
 *
 * @example
 * ```ts
 * import { listPendingRuns } from "./pending.ts";
 * import { retriedTwins, twinRefusal } from "./repeated_finish.ts";
 * const dir = "DEL-01-02_Flow";
 * const [twin] = await retriedTwins(dir, listPendingRuns(dir));
 * if (twin) throw await twinRefusal(dir, twin, { status: "SUCCESS" });
 * ```
 */
export async function twinRefusal(
  target: string,
  { item, note }: RetriedTwin,
  report: FinishReport,
): Promise<InputError> {
  const agent = item.run!.agent;
  const aside = `; ${item.id} (${agent}, since ${item.run!.start.started}), pending here, is ` +
    `${note}: reap writes it FAILED, saying so; only if it is another run (a fan-out), runrec ` +
    `finish ${pathArgument(target)} --run ${item.id} --status S ... records it`;
  const lead = `no run of ${agent} to finish by folder`;
  const last = await lastRunContext(target, { ...report, agent }, { aside, lead });
  return new InputError(`${target}: ${lead}${aside}${last}; nothing written`);
}

/**
 * Why the finish `report` cannot repeat the one that recorded `last`, or `undefined` when it can:
 * the record ended within {@linkcode RETRY_WITHIN_MS}, and the record this finish would write has
 * its RunStatus (and ErrorSummary, when `--error` is given) and its OutputHashes: the same
 * outputs, none changed since. An output the record's Notes say was named from the folder `runrec
 * start` ran in (gone with the pending run now) is compared as the file it named (review-s F9).
 */
async function unlikeFinish(
  target: string,
  last: { record: RecordDraft; endedAt?: number },
  report: FinishReport & { agent: string },
): Promise<string | undefined> {
  const { record } = last;
  if (last.endedAt === undefined) return "its end not known";
  if (Date.now() - last.endedAt > RETRY_WITHIN_MS) {
    return `more than ${RETRY_WITHIN_MS / 60_000} minutes ago`;
  }
  let draft: RecordDraft;
  try {
    const start = {
      started: record.RunTimestamp,
      statusBefore: record.StatusBefore,
      inputFiles: [],
      inputHashes: {},
      notes: [],
    };
    const named = namedFromStart(record.Notes);
    const outputs = report.outputs?.map((path) => named.get(path) ?? path);
    draft = (await completeDraft(target, start, { ...report, outputs })).draft;
  } catch (e) {
    return `this finish cannot be compared with it: ${(e as Error).message}`;
  }
  if (draft.RunStatus !== record.RunStatus) {
    return `recorded ${record.RunStatus}, this finish says ${draft.RunStatus}`;
  }
  if (report.error !== undefined && draft.ErrorSummary !== record.ErrorSummary) {
    return "recorded with another --error";
  }
  const was = Object.keys(record.OutputHashes).join(", ") || "none";
  const now = Object.keys(draft.OutputHashes).join(", ") || "none";
  if (was !== now) return `its outputs: ${was}; this finish names: ${now}`;
  const changed = Object.keys(record.OutputHashes).filter((path) =>
    !sameContent(record.OutputHashes[path], draft.OutputHashes[path])
  );
  return changed.length === 0 ? undefined : `changed since: ${changed.join(", ")}`;
}

/**
 * The outputs a record's Notes say were named from the folder `runrec start` ran in (hook.ts
 * `pathMeant`): each path as given, to the path recorded.
 */
function namedFromStart(notes: string): Map<string, string> {
  const named = new Map<string, string>();
  for (const note of notes.split(" | ")) {
    const m =
      /^--output (.+): recorded as (.+), the file it names from the folder runrec start ran in /
        .exec(note);
    if (m) named.set(m[1], m[2]);
  }
  return named;
}

/** Whether two of an output's hashes say the same content: equal, or no file's either time. */
function sameContent(a: string, b: string): boolean {
  const absent = (hash: string) => hash === TBD || hash === DELETED;
  return a === b || (absent(a) && absent(b));
}
