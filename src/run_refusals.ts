/**
 * Why a finish writes nothing: the one-line errors of a run being finished
 * by another process, gone, unknown, kept in another $TMPDIR or recorded
 * already (reap's FAILED record only, too), and a finish refused for a bad
 * argument said with the run still pending and how to finish it again.
 *
 * @module
 */
import { isGone } from "./lookups.ts";
import { kindOf } from "./walk.ts";
import { join, resolve } from "./path.ts";
import { RECORD_FILE, RootOutOfSight } from "./deliverable.ts";
import { InputError, OptionError } from "./errors.ts";
import type { RunOutcome } from "./hook.ts";
import { HOST_OUTCOMES, mapOutcome } from "./outcomes.ts";
import { listPendingRuns, outsidePendingFolder } from "./pending.ts";
import { type MarkerHeld, markerHeldBy } from "./finish_markers.ts";
import { type RunRecordFound, spooledRecordPlace } from "./recorded_runs.ts";
import { RUN_STATUSES } from "./schema.ts";
import { pathArgument, shellWord } from "./shell_word.ts";

/**
 * A run no record can hold (over the line limit): its pending run is gone, so not "still pending".
 *
 * @example
 * ```ts
 * import { RunNotRecordable } from "./run_refusals.ts";
 * const refused = new RunNotRecordable("its record is over the line limit");
 * refused.message; // said as it is: no "the run is still pending"
 * ```
 */
export class RunNotRecordable extends InputError {}

/**
 * Finishes a claimed run; a finish refused for a bad argument (the claim
 * given back) is said with what the agent needs to know: the run is still
 * pending, and how to finish it (`runrec finish <again>`, or the library
 * function a script holding the run calls again; an outcome word runrec
 * does not know is the common case).
 *
 * @example
 * ```ts
 * import { refusedStillPending } from "./run_refusals.ts";
 * import type { RunOutcome } from "./hook.ts";
 * declare const finish: () => Promise<RunOutcome>;
 * // A bad --status: "…; the run is still pending: run runrec finish DEL-01-02_Flow again …"
 * const outcome = await refusedStillPending({ target: "DEL-01-02_Flow" }, finish);
 * ```
 */
export async function refusedStillPending(
  again: FinishAgain,
  finish: () => Promise<RunOutcome>,
): Promise<RunOutcome> {
  try {
    return await finish();
  } catch (e) {
    throw e instanceof InputError && !(e instanceof RunNotRecordable) ? stillPending(e, again) : e;
  }
}

/**
 * What a finish named its run by: its token or deliverable folder, and `--run`'s value; or the
 * library function a script finishes its run with again (`finishRun`, which holds the run).
 */
interface FinishAgain {
  target: string;
  run?: string;
  call?: string;
}

function stillPending(e: InputError, { target, run, call }: FinishAgain): InputError {
  // Told to start again from the project's root, where a path from here names nothing (review-r F8).
  const path = e instanceof RootOutOfSight ? resolve(target) : target;
  const again = call !== undefined
    ? `call ${call}`
    : `run runrec finish ${pathArgument(path)}${
      run === undefined ? "" : ` --run ${shellWord(run)}`
    }`;
  const said = (name: (key: string) => string) =>
    e instanceof OptionError ? e.messageWith(name) : e.message;
  const words = (name: (key: string) => string) =>
    e instanceof OptionError && said(name).startsWith(name("status"))
      ? ` with ${name("status")} ${RUN_STATUSES.join(", ")} or a host outcome word (${
        HOST_OUTCOMES.map((o) => o.word).join(", ")
      }), your own word in ${name("notes")}`
      : e instanceof RootOutOfSight
      ? " from the repository root"
      : " with that corrected";
  return new OptionError(
    (name) => `${said(name)}; the run is still pending: ${again} again${words(name)}`,
    { cause: e, path: e.path, line: e.line, field: e.field },
  );
}

/**
 * Why a run cannot be claimed: a finisher has it, or it is gone (and `why`
 * it is not recorded from its token, when that was tried).
 */
/**
 * The error for a run whose marker another process holds, naming it (see `markerHeldBy`).
 *
 * @example
 * ```ts
 * import { beingFinished } from "./run_refusals.ts";
 * import type { MarkerHeld } from "./finish_markers.ts";
 * declare const held: MarkerHeld;
 * throw beingFinished("DEL-01-02_Flow", "20260222T101500123Z-1a2b3c4d", held);
 * ```
 */
export function beingFinished(delDir: string, id: string, held: MarkerHeld): InputError {
  return new InputError(
    `run ${id} of ${delDir} is being finished by another process: ${markerHeldBy(held)}`,
  );
}

/** The error for a run whose file another finisher has claimed, if one has. */
function claimedError(delDir: string, id: string): InputError | undefined {
  const claim = listPendingRuns(delDir).find((i) => i.id === id && i.claimedBy);
  return claim && new InputError(`run ${id} of ${delDir} is being finished by ${claim.claimedBy}`);
}

/**
 * The error for a run neither pending nor recorded (its file removed), with `why` a token
 * does not record it, unless another finisher has claimed it.
 *
 * @example
 * ```ts
 * import { goneError } from "./run_refusals.ts";
 * goneError("DEL-01-02_Flow", "20260222T101500123Z-1a2b3c4d").message;
 * // "DEL-01-02_Flow: no pending run 2026…, and no record of it: its file was removed …"
 * ```
 */
export function goneError(delDir: string, id: string, why?: string): InputError {
  // Looked for: no record names it (that is recordedError), so never "finished already".
  return claimedError(delDir, id) ?? new InputError(
    `${delDir}: no pending run ${id}, and no record of it: its file was removed (git clean, ` +
      `git stash -u)${why === undefined ? "" : `; ${why}`}; to record the run: runrec emit ` +
      `${pathArgument(delDir)} --agent NAME --status S ...`,
  );
}

/**
 * `finish <del-dir> --run <id>` of a run neither pending there nor recorded: never "finished
 * already" (soak6 F1), and the run may be kept in its start's $TMPDIR.
 *
 * @example
 * ```ts
 * import { unknownRunError } from "./run_refusals.ts";
 * unknownRunError("DEL-01-02_Flow", "20260222T101500123Z-1a2b3c4d").message;
 * // "DEL-01-02_Flow: no pending run 2026…, and no record of it (a mistyped id, …"
 * ```
 */
export function unknownRunError(delDir: string, id: string): InputError {
  return claimedError(delDir, id) ?? new InputError(
    `${delDir}: no pending run ${id}, and no record of it (a mistyped id, or its file removed: ` +
      `git clean, git stash -u); ${keptElsewhere()}; once its pending file is gone for good, ` +
      `record the run: runrec emit ${pathArgument(delDir)} --agent NAME --status S ...`,
  );
}

/**
 * Where else a pending run may be: a start in a read-only folder keeps it in its own $TMPDIR,
 * which a finish with another $TMPDIR (an agent's new shell) does not see (soak6 F1). Its
 * emit would make a second record once reap finds the run there.
 *
 * @example
 * ```ts
 * import { keptElsewhere } from "./run_refusals.ts";
 * keptElsewhere(); // "a run started while its folder was read-only is kept in its start's …"
 * ```
 */
export function keptElsewhere(): string {
  const looked = outsidePendingFolder();
  return "a run started while its folder was read-only is kept in its start's $TMPDIR" +
    (looked === undefined ? "" : `, not in this finish's (${looked})`) +
    ": finish it by the token runrec start printed, or with that TMPDIR";
}

/**
 * Why a finish of the run `id` of `delDir` writes nothing: its record (`found`
 * in `place`, by the run's id) is there already, in the record file or
 * waiting in the spool. Nothing more is needed: an emit would record it twice.
 * A finish reporting another status (`finishing`) than the record's is told
 * that its status is not recorded, and how to mark the record.
 *
 * @example
 * ```ts
 * import { recordedError } from "./run_refusals.ts";
 * import { type RunRecordFound, spooledRecordPlace } from "./recorded_runs.ts";
 * declare const found: RunRecordFound;
 * const id = "20260222T101500123Z-1a2b3c4d";
 * throw recordedError("DEL-01-02_Flow", id, "DEL-01-02_Flow", found, "DEPENDENCIES");
 * ```
 */
export function recordedError(
  delDir: string,
  id: string,
  place: string,
  found: RunRecordFound,
  agent?: string,
  finishing?: string,
): InputError {
  if (found.reaped) return reapedOnlyError(delDir, id, place, found, agent);
  // `runrec log` shows a record in the file, not one in the spool of a folder that is gone.
  const where = found.heldByGit
    ? `: its record is ${found.runId}, appended to ${join(place, RECORD_FILE)} at ` +
      `${new Date(found.journaledAt!).toISOString()} (its journal says), which the file as read ` +
      "now lacks and a branch or stash holds (git says): a git command is rewriting the file, the " +
      "record is on a branch not checked out now, or a stash holds it (git stash pop brings it back)"
    : found.journaledAt !== undefined
    ? `: its record is ${found.runId}, appended to ${join(place, RECORD_FILE)} at ` +
      `${new Date(found.journaledAt).toISOString()} (its journal says), which the file as read ` +
      "now lacks: another program (a git checkout, pull) is rewriting it, a git stash holds it " +
      "(git stash pop brings it back), or it was removed since; runrec log says which once the " +
      "file is settled"
    : found.runId !== undefined
    ? ` (runrec log says): its record is ${found.runId}${
      found.status === undefined ? "" : ` (${found.status})`
    } in ${join(place, RECORD_FILE)}`
    : `: its record ${spooledRecordPlace(found, place)}` +
      (isGone(place)
        ? " once the folder is back (git checkout), as does runrec flush --from with the " +
          "lost-record line the first finish printed, whichever first"
        : "");
  // An agent finishing its current run with its previous run's token: the runs it started since
  // that one ended are named. Not those started before: a retried finish of a run recorded
  // meanwhile (its first answer lost) would be sent to another instance's run.
  const pending = kindOf(delDir) === "folder" && found.endedAt !== undefined
    ? listPendingRuns(delDir).filter((i) =>
      i.run && !i.claimedBy && i.id !== id && (agent === undefined || i.run.agent === agent) &&
      Date.parse(i.run.start.started) >= found.endedAt!
    )
    : [];
  if (pending.length > 0) {
    const each = pending.map((i) =>
      `run ${i.id} (${i.run!.agent}, since ${i.run!.start.started}): ` +
      `runrec finish ${pathArgument(i.path)} --status S ...`
    ).join("; ");
    return new InputError(
      `${delDir}: no pending run ${id}: finished already${where}; nothing written; if this ` +
        `outcome is for a run pending in this folder, finish that run with its own token: ${each}`,
    );
  }
  // Where only the journal holds the record, it may be gone for good: no "nothing more is needed",
  // and the way to tell, once git is done with the file.
  // A run has one record: a second finish's other status (FAILED after SUCCESS) is not written
  // over it, but said, with the way to mark the record that stands.
  // Its word as it would be recorded: `success` and `PASS` are SUCCESS, the same status.
  const status = finishing === undefined
    ? undefined
    : mapOutcome(finishing.trim().toUpperCase())?.status ?? finishing;
  const differs = status !== undefined && found.status !== undefined &&
    found.runId !== undefined && status !== found.status;
  const needed = differs
    ? `this finish's ${status} differs from the recorded ${found.status} and is not recorded ` +
      "(a run has one record; an emit would record it twice): if the record is wrong, mark it " +
      `with runrec annotate ${pathArgument(place)} ${found.runId} --invalidates --note '...'`
    : found.stuck !== undefined
    ? "no emit or other finish (it would record the run twice)"
    : found.journaledAt === undefined || found.heldByGit
    ? "nothing more is needed (an emit would record the run twice)"
    : "no emit while that record may be there (it would record the run twice); once no git " +
      `command runs and no stash holds it, runrec flush ${
        pathArgument(place)
      } puts it back if git ` +
      "dropped it, and a record runrec log still lacks after that was removed by hand: only " +
      "then may the run be recorded again";
  return new InputError(
    `${delDir}: no pending run ${id}: finished already${where}; nothing written, ${needed}`,
  );
}

/**
 * Why a late finish of the run `id` writes nothing when its only record
 * (`found`, in `place`) is the FAILED one `reap` wrote and its file is gone
 * (removed since, or by an older runrec's reap): the agent's outcome is not
 * recorded yet, and what records it is said.
 */
function reapedOnlyError(
  delDir: string,
  id: string,
  place: string,
  found: RunRecordFound,
  agent?: string,
): InputError {
  const failed = found.runId ?? "<its RunID>";
  const file = join(place, RECORD_FILE);
  const where = found.journaledAt !== undefined
    ? `${failed}, appended to ${file} at ${new Date(found.journaledAt).toISOString()} (its ` +
      "journal says), which the file as read now lacks"
    : found.runId !== undefined
    ? `${found.runId} in ${file}`
    : `which ${spooledRecordPlace(found, place)}`;
  // Out of the file, it is brought back first: a stash is not popped over a record appended
  // since, and annotate names only a record in the file (small-40 F4).
  const first = found.journaledAt === undefined
    ? ""
    : `bring ${failed} back first (git stash pop, when a stash holds it; runrec flush ` +
      `${pathArgument(place)}, when git dropped it; when a git command is rewriting the file, ` +
      "once it is done), then ";
  return new InputError(
    `${delDir}: no pending run ${id}: its only record is the FAILED one reap wrote (the agent ` +
      `was thought gone), ${where}, and its run file is gone, so this late finish is not ` +
      `recorded; nothing written; to record this outcome: ${first}runrec emit ` +
      `${pathArgument(place)} --agent ${agent ?? "NAME"} --status S ..., then runrec annotate ` +
      `${
        pathArgument(place)
      } <the new RunID> --supersedes ${failed} --note "late finish after reap"`,
  );
}
