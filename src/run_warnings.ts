/**
 * The warnings a recorded run may get that do not stop it being written: a
 * retired or archived deliverable, a late record's defaulted duration or
 * inputs changed since, a run still pending for the same agent, a record
 * repeated.
 *
 * @module
 */
import { pathArgument } from "./shell_word.ts";
import { join, relative, resolve, sep as SEP } from "./path.ts";
import { toolRootOwner } from "./deliverable.ts";
import { committedAsTheyAre } from "./git.ts";
import type { Lookups } from "./lookups.ts";
import { kindOf } from "./walk.ts";
import { PENDING_FOLDER } from "./run_files.ts";
import { listPendingRuns } from "./pending.ts";
import { TBD } from "./schema.ts";
import type { RecordDraft } from "./append_types.ts";
import { parseDuration } from "./time.ts";
import type { RunOutcome, RunReport } from "./hook.ts";

/**
 * The warning for a run recorded where `stale` does not look, so that the live deliverable was
 * most likely meant (trial-x F7): a copy in a tool root (`_Archive/`, `_Reconciliation/`), or a
 * deliverable RETIRED in `_STATUS.md` at the run's start, or at its end when its start is not
 * known (emit: review-x F4). Exported for `start`, which says it while the agent can still stop.
 *
 * @example
 * ```ts
 * import { retiredWarning } from "./run_warnings.ts";
 * retiredWarning("/p/DEL-01-02_X", "RETIRED");
 * // "recorded in a RETIRED deliverable (its _STATUS.md said so at the run's start), …"
 * ```
 */
export function retiredWarning(
  dir: string,
  statusBefore: string,
  options: {
    /** The state at the run's end, given where its start was not seen (emit). */
    statusAtEnd?: string;
    /** What the run is: "recorded" (default), or "started". */
    verb?: string;
    lookups?: Lookups;
  } = {},
): string | undefined {
  const { statusAtEnd, verb = "recorded", lookups } = options;
  const root = toolRootOwner(dir, lookups);
  const where = root !== undefined
    ? `an archived or snapshot copy (in ${relative(root, dir).split(SEP)[0]}/, a tool root of ` +
      "its execution root)"
    : statusBefore === "RETIRED"
    ? "a RETIRED deliverable (its _STATUS.md said so at the run's start)"
    : statusBefore === TBD && statusAtEnd === "RETIRED"
    ? "a RETIRED deliverable (its _STATUS.md says so; if this run retired it, say so with " +
      "--status-before)"
    : undefined;
  return where &&
    `${verb} in ${where}, which stale does not check: was the live deliverable meant?`;
}

/**
 * A duration this long, defaulted from `--started` to now, is more likely a run recorded late (an
 * agent's run takes minutes): said, since every consumer that ran meanwhile turns STALE.
 */
const IMPLAUSIBLE_DEFAULT_MS = 60 * 60 * 1000;

/**
 * Stands for the RunID of the record a warning is about, not known until the record is written:
 * the writer puts the RunID in its place once it is.
 */
export const THIS_RUN_ID = "<this record's RunID>";

/**
 * {@linkcode THIS_RUN_ID} in `warnings` replaced by the record's `runId`, once written.
 *
 * @example
 * ```ts
 * import { THIS_RUN_ID, withRunId } from "./run_warnings.ts";
 * withRunId([`--supersedes ${THIS_RUN_ID}`], "RUN-DEL-01-02-20260101-0000-001");
 * // ["--supersedes RUN-DEL-01-02-20260101-0000-001"]
 * ```
 */
export function withRunId(warnings: readonly string[], runId: string | undefined): string[] {
  return runId === undefined
    ? [...warnings]
    : warnings.map((warning) => warning.replaceAll(THIS_RUN_ID, runId));
}

/**
 * A warning when `--started` came without `--duration` and the duration it defaults to (from then
 * until now) is over an hour: a past run recorded late would claim to have run until now, the
 * "ran since" of every consumer that ran in between (`stale --propagate`). The record is written.
 *
 * @example
 * ```ts
 * import { defaultDurationWarning } from "./run_warnings.ts";
 * import { buildDraft } from "./hook.ts";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * const report = { agent: "DEPENDENCIES", status: "SUCCESS", started: "2026-01-05T09:00:00Z" };
 * const draft = await buildDraft(dir, report);
 * defaultDurationWarning(dir, report, draft); // one warning: RunDuration from then until now
 * ```
 */
export function defaultDurationWarning(
  delDir: string,
  report: RunReport,
  draft: RecordDraft,
): string[] {
  if (report.started === undefined || report.duration !== undefined) return [];
  if (report.durationMs !== undefined) return [];
  const ms = parseDuration(draft.RunDuration) ?? 0;
  if (ms <= IMPLAUSIBLE_DEFAULT_MS) return [];
  const hours = ms / IMPLAUSIBLE_DEFAULT_MS;
  const span = hours < 48 ? `${hours.toFixed(1)} hours` : `${(hours / 24).toFixed(1)} days`;
  return [
    `--started ${report.started} without --duration: RunDuration recorded as ${draft.RunDuration} ` +
    `(${span}, from --started to now); if the run took that long, nothing to do; if it took ` +
    "less (a run recorded late), record it again with --duration (how long it took, e.g. " +
    "--duration 45m) and mark this record superseded: " +
    `runrec annotate ${pathArgument(delDir)} <new RunID> --supersedes ${THIS_RUN_ID} --note ` +
    '"real duration"',
  ];
}

/**
 * When the file at `path` last changed (ms since the epoch), or `undefined` when it cannot be
 * read: the latest of its modification and status-change times, and the link's when it is one.
 * The status change is what a `mv`, `cp -p`, `tar x` or `rsync -a` of an older file leaves new
 * (they keep its modification time), and what repointing a link does.
 */
function lastChanged(path: string): number | undefined {
  try {
    const times = [Deno.statSync(path), Deno.lstatSync(path)].flatMap((info) => [
      info.mtime,
      info.ctime,
    ]);
    return Math.max(...times.map((time) => time?.getTime() ?? 0));
  } catch {
    return undefined; // not found or unreadable: its note says so
  }
}

/**
 * A run recorded late (`--started`) hashes its inputs as they are now: a warning naming those
 * changed after the run ended (modified or replaced since, and not as git held them then), whose
 * hashes are not what the run read, so that `stale` would compare today's bytes with today's; and
 * one naming those git cannot tell of (its history here starts after the run). The record is
 * written.
 *
 * @example
 * ```ts
 * import { inputsChangedSinceWarning } from "./run_warnings.ts";
 * import { buildDraft } from "./hook.ts";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * const report = { agent: "DEPENDENCIES", status: "SUCCESS", started: "2026-01-05T09:00:00Z" };
 * const draft = await buildDraft(dir, report);
 * await inputsChangedSinceWarning(dir, report, draft); // names inputs changed after the run
 * ```
 */
export async function inputsChangedSinceWarning(
  delDir: string,
  report: RunReport,
  draft: RecordDraft,
): Promise<string[]> {
  if (report.started === undefined) return [];
  const ended = Date.parse(draft.RunTimestamp) + (parseDuration(draft.RunDuration) ?? 0);
  // A minute's grace: the run's last writes and the clock's granularity.
  const touched = draft.InputFiles.filter((path) =>
    (lastChanged(resolve(delDir, path)) ?? 0) > ended + 60_000
  );
  // One git held as it is when the run ended was only touched since (a clone, a checkout).
  const told = await committedAsTheyAre(touched.map((p) => resolve(delDir, p)), ended);
  const untold = touched.filter((path) => told.noHistoryThen.has(resolve(delDir, path)));
  const changed = told.unanswered ? [] : touched.filter((path) => {
    const absolute = resolve(delDir, path);
    return !told.unchanged.has(absolute) && !told.noHistoryThen.has(absolute);
  });
  const listed = (paths: string[]) =>
    (paths.length <= 3 ? paths : [...paths.slice(0, 3), "…"]).join(", ");
  return [
    ...changed.length === 0 ? [] : [
      `--started ${report.started}: ${listed(changed)} changed after the run ended (modified ` +
      "or replaced since): InputHashes hold the bytes now, not what the run read, so stale " +
      "cannot see that change; record a run late before its inputs change",
    ],
    ...untold.length === 0 ? [] : [
      `--started ${report.started}: whether ${listed(untold)} changed after the run ended ` +
      "cannot be told: modified since, and git's history here starts after the run (a shallow " +
      "clone, or a repository begun since); InputHashes hold the bytes now",
    ],
    ...!told.unanswered ? [] : [
      `--started ${report.started}: whether ${listed(touched)} changed after the run ended ` +
      "cannot be told: modified since, and git did not answer within 10 s (a git stopped or " +
      "stalled, killed); InputHashes hold the bytes now",
    ],
  ];
}

/**
 * A warning for each run of `agent` pending in `delDir` when an emit recorded `runId`: an agent
 * that ran `start` and ended with `emit` (or emits under `runrec exec`) has recorded its run
 * twice once that run is finished or reaped (trial-x F1). Neither runrec nor the pid can tell
 * that case from another run of the agent at work (a fan-out: review-x F1, review-y F1-F5), so
 * the warning says what to do in each, and the agent, who knows, chooses.
 *
 * @example
 * ```ts
 * import { pendingRunWarnings } from "./run_warnings.ts";
 * pendingRunWarnings("/p/DEL-01-02_X", "DEPENDENCIES", "DEL-01-02-20260105-0900-001");
 * // [] unless a run of DEPENDENCIES is pending in that folder
 * ```
 */
export function pendingRunWarnings(
  delDir: string,
  agent: string,
  runId: string | undefined,
): string[] {
  // Most folders have no pending run folder: nothing to list.
  if (kindOf(join(resolve(delDir), PENDING_FOLDER)) !== "folder") return [];
  const takeBack = runId === undefined
    ? "take this record back once it is appended (runrec annotate <del-dir> <its RunID> " +
      '--invalidates --note "recorded twice")'
    : `take this record back (runrec annotate ${pathArgument(delDir)} ${runId} --invalidates ` +
      '--note "recorded twice")';
  return listPendingRuns(delDir).filter((i) => i.run?.agent === agent && !i.claimedBy).map((i) =>
    `${agent}'s run ${i.id} (since ${i.run!.start.started}) is still pending here: if this emit ` +
    `recorded that same run, ${takeBack} and let that run be finished (runrec finish ` +
    `${
      pathArgument(i.path)
    } --status S ...; one runrec exec or withRun started finishes itself); ` +
    `if it is another run of ${agent} at work, nothing to do`
  );
}

/**
 * The warning for an emit that repeats an earlier record (an agent that retried it after a tool
 * timeout): a finish cannot, its pending run is recorded once.
 *
 * @example
 * ```ts
 * import { repeatWarning } from "./run_warnings.ts";
 * import { recordRun } from "./hook.ts";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * const outcome = await recordRun(dir, { agent: "DEPENDENCIES", status: "SUCCESS" });
 * repeatWarning(dir, outcome, "DEL-01-02-20260105-0900-001"); // "… withdraw it: runrec annotate …"
 * ```
 */
export function repeatWarning(delDir: string, outcome: RunOutcome, repeated: string): string {
  const { RunID, AgentName, RunTimestamp } = outcome.written!.record;
  return `a record of ${AgentName} started at ${RunTimestamp} with the same status, inputs and ` +
    `outputs is in the file already: ${repeated}; if this one records that run again (a ` +
    `command retried after a timeout), withdraw it: runrec annotate ${pathArgument(delDir)} ` +
    `${RunID} --invalidates --note "recorded twice"`;
}
