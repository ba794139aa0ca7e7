/**
 * Finding the run a finish names: by token, by deliverable folder (and
 * `--agent`), or by `--run` (a pending run's id, or the RunID `reap` gave
 * it): in a renamed or moved folder, kept outside a read-only one, pending
 * in another work tree, another deliverable or another case, a token
 * mangled in the pasting, and the run a token names whose file is gone.
 *
 * @module
 */
import { deliverableOfRunId, foldersOfDeliverable, runIdHome } from "./run_id_home.ts";
import { isGone, isThere, resolvedPath, sameFolder } from "./lookups.ts";
import { kindOf } from "./walk.ts";
import { basename, dirname, join, relative, resolve } from "./path.ts";
import { DELIVERABLE_FOLDER, deliverableId, RECORD_FILE, requireFolder } from "./deliverable.ts";
import { removedWorkTreeHome, repositoryKnown, samePathHere } from "./kept_journals.ts";
import { removedFileCopies, removedFileCopy, waitingRunCopy } from "./kept_runs.ts";
import { nearbyFolders, pendingElsewhere, runAndItsFinish, unfinishedRuns } from "./nearby_runs.ts";
import { folderGitMovedTo, leftByGit } from "./git_moved_folder.ts";
import { failureReason, InputError, OptionError } from "./errors.ts";
import { hostname } from "./lock.ts";
import { gitSync, workTreeOf, workTrees } from "./git.ts";
import { optionalEnv } from "./optional_access.ts";
import {
  keptOutside,
  listOutsideReapedRuns,
  listPendingRuns,
  listReapedRuns,
  parseToken,
  type PendingItem,
  pendingPath,
  type PendingRun,
  reapedPath,
} from "./pending.ts";
import { implausibleStart } from "./implausible_start.ts";
import { reapedRunOf } from "./reaped_runs.ts";
import { recordOfGoneRun, recordOfRunId } from "./recorded_runs.ts";
import { claimHolder } from "./run_claims.ts";
import { fromTokenNote, isRunId, runIdStart } from "./run_ids.ts";
import { RUN_ID_SYNTAX, TBD } from "./schema.ts";
import { leaveNote } from "./notices.ts";
import { restoreDroppedRecords } from "./store.ts";
import { pathArgument, shellWord } from "./shell_word.ts";
import type { FinishReport } from "./finish_report.ts";
import { goneError, keptElsewhere, recordedError, unknownRunError } from "./run_refusals.ts";
import { lastRunContext, retriedTwins, twinRefusal } from "./repeated_finish.ts";

/**
 * Puts back what a git command dropped from `delDir`'s record file (a retried
 * finish's record among it), saying so in a note, before a finish looks for
 * a run's record. A failure leaves the look as it was.
 */
async function putBackBeforeLooking(delDir: string): Promise<void> {
  const file = join(delDir, RECORD_FILE);
  const runIds = await restoreDroppedRecords(file).catch(() => [] as string[]);
  for (const runId of runIds) {
    leaveNote(
      `${runId} put back into ${file}, which a git command (pull, checkout, reset, revert) had ` +
        "dropped it from",
    );
  }
}

/**
 * The run a token names whose pending file is gone (`git clean -x` between
 * start and finish), as far as the token tells it: its start time (in its
 * id), its folder, and the agent the finisher names. Its inputs were
 * captured in the file that is gone: TBD, noted. Throws
 * {@linkcode InputError} when the run was finished already or is being
 * finished, when no token named it, when its folder is gone, and when
 * nothing says that it was ever started: no `--agent` (the agent block
 * always gives it), or a start time {@linkcode implausibleStart} refuses.
 * `status` is the finish's: a record of another status is said to differ.
 *
 * @example
 * ```ts
 * import { runFromToken } from "./named_run.ts";
 * const dir = "DEL-01-02_Flow";
 * const id = "20260222T101500123Z-1a2b3c4d";
 * const run = await runFromToken(dir, id, `${dir}/.runrec/pending/${id}.json`, "DEPENDENCIES");
 * run.start.inputsUnknown; // true: its inputs were in the file that is gone
 * ```
 */
export async function runFromToken(
  delDir: string,
  id: string,
  path: string | undefined,
  agent: string | undefined,
  status?: string,
): Promise<PendingRun> {
  const started = runIdStart(id);
  // No folder at all (a removed worktree; a moved one was looked for): recorded all the same.
  const folderGone = path !== undefined && isGone(delDir);
  if (path === undefined || (!folderGone && kindOf(delDir) !== "folder")) {
    // `--run <id>` of a run recorded here already (or finished by the finish it waited for).
    const found = path === undefined ? await recordOfGoneRun(delDir, { id }) : undefined;
    if (found) throw recordedError(delDir, id, delDir, found, agent, status);
    // `--run <id>` of a run started in another worktree, or in another deliverable folder:
    // that finish, not emit.
    throw (path === undefined
      ? pendingInOtherWorkTrees(delDir, { id }) ?? pendingNextDoor(delDir, id) ??
        unknownRunError(delDir, id)
      : goneError(delDir, id));
  }
  if (claimHolder(path) !== undefined) throw goneError(delDir, id);
  // The user's spool holds a gone folder's record, and a moved folder's file the record its
  // finish wrote there (its old path back since): a second finish finds it and records nothing.
  const wanted = DELIVERABLE_FOLDER.exec(basename(delDir))?.[1];
  const others = nearbyFolders(delDir).filter((dir) => dir !== delDir);
  const sameId = others.filter((dir) => DELIVERABLE_FOLDER.exec(basename(dir))?.[1] === wanted);
  // A record a git command dropped since the first finish is this run's: put back, it is found.
  await putBackBeforeLooking(delDir);
  for (const place of [delDir, ...sameId]) {
    const found = await recordOfGoneRun(place, { id });
    if (found) throw recordedError(delDir, id, place, found, agent, status);
  }
  const lookAlike = pendingLookAlike(delDir, id, agent, others);
  if (lookAlike) throw lookAlike;
  // A token named from a folder that is no deliverable's (`.runrec/pending/<id>.json` from the
  // execution root): that, not "its file was removed", and before a marker is made there.
  if (!folderGone) deliverableId(delDir);
  if (agent === undefined) {
    if (folderGone) {
      throw new InputError(
        `${delDir}: no such folder (moved or removed since runrec start?), and no deliverable ` +
          `folder of its execution root holds run ${id}: if it moved, runrec finish <its new ` +
          `path> --run ${id}; if it is gone (a removed worktree), finish with --agent NAME ` +
          "records the run from its token",
      );
    }
    throw goneError(delDir, id, "finish with --agent NAME records it from the token");
  }
  // Reap may have written it FAILED in the repository, which nothing here names: a record from
  // the token, linked to none, would be its second.
  if (folderGone && !repositoryKnown(delDir)) {
    throw new InputError(
      `${delDir}: no such folder (a removed work tree?), and no repository found from here or ` +
        "from its path names its work tree (nor holds its deliverable folder): reap there may " +
        "have written the run FAILED, which a record from the " +
        "token would not supersede; nothing written; run it from inside the repository: " +
        `cd <the repository> && runrec finish ${pathArgument(path)} --agent ${shellWord(agent)}` +
        `${status === undefined ? "" : ` --status ${shellWord(status)}`} ...`,
    );
  }
  const implausible = implausibleStart(started, Date.now(), true);
  if (implausible) throw goneError(delDir, id, implausible);
  const notes = [
    `${folderGone ? "deliverable folder" : "pending run file"} gone before finish ` +
    `(${folderGone ? "a removed worktree?" : "git clean -x?"}): inputs not captured at start ` +
    "(TBD), StatusBefore unknown",
    // A note of its own: runrec's notes are marked where they quote a run id, its machine notes not.
    fromTokenNote(id),
  ];
  return {
    id,
    agent,
    host: hostname(),
    start: {
      started,
      statusBefore: TBD,
      inputFiles: [],
      inputHashes: {},
      notes,
      inputsUnknown: true,
    },
  };
}

/**
 * The error naming the pending (or reaped) runs a token whose file is gone may
 * have meant, or `undefined`: the run `id` in another deliverable folder near
 * it (`others`: the folder moved and its old path came back, or the token was
 * given with another deliverable's folder), or
 * a run of `agent` in `delDir` whose id shares the token's start or its random
 * part (one of the two mistyped). Recorded from the token, that run would be
 * recorded twice: once by this finish, once by its own finish or by reap.
 */
function pendingLookAlike(
  delDir: string,
  id: string,
  agent: string | undefined,
  others: readonly string[],
): InputError | undefined {
  const runsOf = (dir: string) =>
    unfinishedRuns(dir).filter(({ item }) => item.run && !item.claimedBy);
  const [start, random] = id.split("-");
  const near = (kindOf(delDir) === "folder" ? runsOf(delDir) : []).filter(({ item }) =>
    item.id !== id && (agent === undefined || item.run!.agent === agent) &&
    (item.id.startsWith(`${start}-`) || item.id.endsWith(`-${random}`))
  ).map((run) => ({ dir: delDir, ...run }));
  const moved = others.flatMap((dir) =>
    runsOf(dir).filter(({ item }) => item.id === id).map((run) => ({ dir, ...run }))
  );
  const found = [...moved, ...near];
  if (found.length === 0) return undefined;
  // The pending file's path finishes a reaped run too (see claimForFinish).
  const each = found.map(({ dir, item, state }) =>
    `run ${item.id} (${item.run!.agent}, since ${item.run!.start.started}) is ${state} in ` +
    `${dir}: runrec finish ${pathArgument(pendingPath(dir, item.id))} --status S ...`
  ).join("; ");
  return new InputError(
    `${delDir}: no pending run ${id}, but ${each}; if that is this run (a token mistyped or ` +
      "given with another folder, or its folder moved and the old path back), finish it so; " +
      "nothing written (recorded from this token, the run would be recorded twice)",
  );
}

/**
 * The deliverable folder and run id named by `target` and `run` (see
 * {@linkcode finishPendingRun}), and the run file's path when a token named
 * it. `run` may be the RunID `reap` gave a run it wrote as FAILED. A token
 * whose deliverable folder was renamed since (its label changed) is found
 * in the renamed folder. A folder without the run `run` names throws
 * {@linkcode InputError} naming the deliverable folder near it where that
 * run is pending. A folder without a run of the agent (without `--agent`:
 * without any run) throws naming the agent's runs pending in the deliverable
 * folders near it, if any ({@linkcode pendingInOtherDeliverables}), else the
 * advice to emit. A run of the folder kept outside it (read-only at start)
 * is the folder's, as `reap` finds it. A run whose folder git moved during
 * it (its files gone, runrec's state left: ./git_moved_folder.ts) is
 * recorded where the files went, its pending file taken where it is, and
 * `movedFrom` names the folder it started in.
 *
 * @example
 * ```ts
 * import { locateRun } from "./named_run.ts";
 * const report = { status: "SUCCESS", agent: "DEPENDENCIES" };
 * const { delDir, id, path, movedFrom } = await locateRun("DEL-01-02_Flow", undefined, report);
 * ```
 */
export async function locateRun(
  target: string,
  run: string | undefined,
  report: FinishReport,
): Promise<{ delDir: string; id: string; path?: string; movedFrom?: string }> {
  const named = await namedRun(target, run, report);
  const path = named.path ?? pendingPath(named.delDir, named.id);
  const movedTo = folderGitMovedTo(named.delDir, path);
  // Its pending file stays where git left it; its record goes where the folder's files are.
  return movedTo === undefined
    ? named
    : { delDir: movedTo, id: named.id, path, movedFrom: named.delDir };
}

/** The deliverable folder and run id `target` and `run` name (see {@linkcode locateRun}). */
async function namedRun(
  target: string,
  run: string | undefined,
  report: FinishReport,
): Promise<{ delDir: string; id: string; path?: string }> {
  const { agent } = report;
  if (target === "") {
    throw new InputError("the run's token or deliverable folder is empty", { field: "target" });
  }
  if (run !== undefined) {
    const token = parseToken(run);
    if (token) {
      if (resolve(token.delDir) !== resolve(target)) {
        throw new OptionError((name) =>
          `${name("run")} ${run}: a run of ${token.delDir}, not of ${target}`
        );
      }
      return token;
    }
    requireFolder(resolve(target), target);
    if (RUN_ID_SYNTAX.test(run)) {
      const id = await reapedAs(target, run);
      // A run kept outside the folder (read-only at start) is reaped beside its token.
      const outside = reapedOutside(resolve(target)).find((i) => i.id === id);
      return { delDir: resolve(target), id, ...outside && { path: tokenOf(outside) } };
    }
    if (!isRunId(run)) {
      throw new OptionError((name) =>
        `${name("run")}: ${JSON.stringify(run)} is not a run token, a pending run's id or a RunID`
      );
    }
    // A run of the folder kept outside it is finished from its file there (or, reaped, beside it).
    const outside = keptOutside(resolve(target)).find((i) => i.id === run) ??
      reapedOutside(resolve(target)).find((i) => i.id === run);
    const copy = outside ? undefined : removedFileCopy(resolve(target), run);
    const path = outside ? tokenOf(outside) : copy;
    return { delDir: resolve(target), id: run, ...path !== undefined && { path } };
  }
  const token = parseToken(target) ?? tokenAsPasted(target);
  // A folder gone altogether (a removed worktree) keeps the token: finish records it from there.
  // One git left behind may hold the run still, or reap moved it where the files went.
  if (token) {
    const there = kindOf(token.delDir) === "folder" && !leftByGit(token.delDir);
    if (!there) return movedFolder(token) ?? token;
    const held = [pendingPath, reapedPath].some((file) => isThere(file(token.delDir, token.id)));
    if (held) return token;
    const elsewhere = reapedInOtherWorkTree(token);
    if (elsewhere !== undefined) return elsewhere;
    // Its file removed (`git clean -x`): the copy kept in the common git folder is the run's.
    const copy = removedFileCopy(token.delDir, token.id);
    return copy === undefined ? token : { ...token, path: copy };
  }
  const kind = kindOf(target);
  if (kind === "file" || (target.endsWith(".json") && kind !== "folder")) {
    // Meant as a token (a pending run's file), but not one `runrec start` prints.
    throw new InputError(
      `${target}: not a run token (runrec start prints <del-dir>/.runrec/pending/<id>.json) ` +
        (kind === "file" ? "but a file" : "and no such folder"),
      { path: target },
    );
  }
  if (kind !== "folder" || PENDING_FOLDER_END.test(target)) throwIfMangledToken(target);
  requireFolder(resolve(target), target);
  const delDir = resolve(target);
  // Kept outside (the folder read-only at start): start --help promises finish <del-dir> finds it.
  // And those whose file was removed (`git clean -x`), kept in the common git folder.
  const items = [...listPendingRuns(delDir), ...keptOutside(delDir), ...removedFileCopies(delDir)];
  const waiting = items.filter((i) => i.run && !i.claimedBy);
  const held = heldRunOf(items, agent);
  if (held !== undefined) return { delDir, id: held.id, path: runFileOf(held) };
  // With --agent, only that agent's runs are meant: another agent's would be refused.
  const ofAgent = (i: PendingItem) => agent === undefined || i.run!.agent === agent;
  const meant = waiting.filter(ofAgent);
  if (meant.length === 1) {
    // The first start of a retried start whose retry is recorded: a finish by folder of it
    // most likely repeats the retry's (review-s F4).
    const [twin] = await retriedTwins(delDir, meant);
    if (twin !== undefined) throw await twinRefusal(target, twin, report);
    return { delDir, id: meant[0].id, path: meant[0].path };
  }
  const list = (found: PendingItem[]) =>
    found.map((i) => `${i.id} (${i.run!.agent}, since ${i.run!.start.started})`).join(", ");
  if (meant.length === 0) {
    const elsewhere = pendingInOtherWorkTrees(target, { agent });
    if (elsewhere) throw elsewhere;
    const reapedRuns = [...listReapedRuns(target), ...reapedOutside(delDir)].filter((i) =>
      i.run && !i.claimedBy && ofAgent(i)
    );
    // A reaped first start of a retried start (reap's note says so) is no run of A's to wait for.
    const twins = await retriedTwins(delDir, reapedRuns);
    const reaped = reapedRuns.filter((i) => !twins.some((t) => t.item === i));
    const unreadable = items.filter((i) => i.problem).map((i) => i.problem);
    // Never "finished already" while a run here may be A's: unreadable, held, or reaped and
    // waiting for its late finish (review-r F2).
    const mayBeAgents = unreadable.length > 0 || reaped.length > 0 ||
      items.some((i) => i.claimedBy && ofAgent(i));
    const twinsSaid = twins.map(({ item, note }) =>
      `; reap wrote ${item.id} (${item.run!.agent}, since ${item.run!.start.started}) as ` +
      `FAILED, ${note}: only if it is another run, finish it with --run ${item.id}`
    ).join("");
    // A record a git command dropped since a first finish is the answer: put back, it is found
    // (retry-sweep F2).
    await putBackBeforeLooking(delDir);
    const last = mayBeAgents ? "" : await lastRunContext(target, report, { aside: twinsSaid });
    const otherCase = pendingInOtherCase(target, waiting, agent);
    if (otherCase) throw otherCase;
    const nextDoor = mayBeAgents ? undefined : pendingInOtherDeliverables(target, agent, last);
    if (nextDoor) throw nextDoor;
    const none = agent === undefined
      ? "no pending run (none started, or finished already)"
      : `${agent} has no pending run here (its start may have failed, or it was never ` +
        "started, or is finished already)";
    // Nothing here to explain it: the run may be kept where only its start's $TMPDIR finds it.
    const keptOut = reaped.length + twins.length + unreadable.length + waiting.length === 0
      ? keptElsewhere()
      : undefined;
    const late = reaped.length === 0
      ? ""
      : `; reap wrote ${list(reaped)} as FAILED: to finish one all the same, name it with --run`;
    const bad = unreadable.length === 0 ? "" : `; unreadable: ${unreadable.join("; ")}`;
    const others = waiting.length === 0
      ? ""
      : `; pending here are only other agents' runs, which --agent ${agent} cannot finish: ` +
        list(waiting);
    const name = agent === undefined ? "NAME" : shellWord(agent);
    const emit = keptOut === undefined
      ? "to record a run that runrec start did not keep"
      : `${keptOut}; only to record a run that runrec start did not keep`;
    throw new InputError(
      `${target}: ${none}${late}${twinsSaid}${bad}${last}; ${emit}: ` +
        `runrec emit ${pathArgument(target)} --agent ${name} --status S ...${others}`,
    );
  }
  const whose = agent === undefined ? "" : ` of ${agent}`;
  // Runs of as many agents as runs: the agent's name, which the agent knows, picks one too.
  const byAgent = agent === undefined &&
    new Set(meant.map((i) => i.run!.agent)).size === meant.length;
  throw new OptionError((name) =>
    `${target}: ${meant.length} pending runs${whose}; name one with ${name("run")}` +
    (byAgent ? ` (or its agent with ${name("agent")})` : "") + `: ${list(meant)}`
  );
}

/**
 * The error naming the runs (or the run `id`, or `agent`'s runs) pending in
 * `target`'s folder of the repository's other worktrees, each with the
 * finish that records it there; `undefined` when there are none. A run started in one linked
 * worktree and finished in another is not one to `emit`: its pending file,
 * reaped there, would be a second record once the branches meet.
 */
function pendingInOtherWorkTrees(
  target: string,
  { id, agent }: { id?: string; agent?: string },
): InputError | undefined {
  const trees = workTrees(target);
  if (trees === undefined) return undefined;
  const rel = relative(trees.top, resolvedPath(resolve(target)));
  if (rel === ".." || rel.startsWith("../")) return undefined;
  const found = trees.others.flatMap((tree) =>
    listPendingRuns(join(tree, rel)).filter((i) =>
      i.run && !i.claimedBy && (id === undefined || i.id === id) &&
      (agent === undefined || i.run.agent === agent)
    )
  );
  if (found.length === 0) return undefined;
  const each = found.map((i) =>
    `run ${i.id} (${i.run!.agent}, since ${i.run!.start.started}) is pending in ` +
    `${dirname(dirname(dirname(i.path)))}: runrec finish ${pathArgument(i.path)} --status S ...`
  );
  const which = id !== undefined ? `${id} ` : agent !== undefined ? `of ${agent} ` : "";
  return new InputError(
    `${target}: no pending run ${which}here, but the same folder of ` +
      `another worktree of this repository holds it: ${each.join("; ")} (its record goes to ` +
      "that worktree's RunRecords.csv, on its branch; emit instead would record the run twice)",
  );
}

/**
 * The error for `finish <del-dir> --agent A` when no run here is A's but a run of A's name in
 * other case is pending here (`start --agent chirality_lens`, trial-t F10), naming it and the
 * finish that records it; `undefined` when there is none. Told to emit under A, the agent would
 * leave that run pending, for reap to write FAILED.
 */
function pendingInOtherCase(
  target: string,
  waiting: readonly PendingItem[],
  agent: string | undefined,
): InputError | undefined {
  if (agent === undefined) return undefined;
  const found = waiting.filter((i) =>
    i.run!.agent !== agent && i.run!.agent.toLowerCase() === agent.toLowerCase()
  );
  if (found.length === 0) return undefined;
  const names = [...new Set(found.map((i) => i.run!.agent))].join(" or ");
  const each = found.map((i) =>
    `run ${i.id} (${i.run!.agent}, since ${i.run!.start.started}) is pending here, started ` +
    `under that name: runrec finish ${pathArgument(target)} --run ${i.id} --agent ` +
    `${shellWord(i.run!.agent)} --status S ...`
  ).join("; ");
  return new InputError(
    `${target}: ${agent} has no pending run here; did you mean ${names}? ${each}; nothing ` +
      `written (an emit under ${agent} would leave that run pending, for reap to write FAILED)`,
  );
}

/** How many runs pending elsewhere a finish's refusal names at most. */
const RUNS_NAMED = 3;

/**
 * The error for `finish <del-dir> [--agent A]` when no run here is (or may be) A's, but runs of A
 * (without `--agent`: of any agent) are pending in other deliverable folders near it
 * ({@linkcode pendingElsewhere}: beside it, of its execution root), naming them and the finish that
 * records each there (trial-t F1); `undefined` when there are none. The advice to emit here
 * recorded such a run in the wrong deliverable, and reap later wrote its pending run FAILED. Such a
 * run may also be another instance's at work there (a fan-out, review-g 3): the message says to
 * leave it alone then and emit this one here, and writes nothing. `last` is what {@linkcode lastRunContext} adds.
 */
function pendingInOtherDeliverables(
  target: string,
  agent: string | undefined,
  last: string,
): InputError | undefined {
  const found = pendingElsewhere(target, agent);
  if (found.length === 0) return undefined;
  const more = found.length > RUNS_NAMED ? `; and ${found.length - RUNS_NAMED} more` : "";
  const runs = found.slice(0, RUNS_NAMED).map(runAndItsFinish).join("; ") + more;
  const which = found.length === 1 ? "that is" : "one of these is";
  const none = agent === undefined
    ? "no pending run here (none started, or finished already)"
    : `${agent} has no pending run here`;
  const otherwise = agent === undefined
    ? "else name this run's agent, whose runs finish looks for here and elsewhere: runrec " +
      `finish ${pathArgument(target)} --agent NAME --status S ...`
    : "if it is another instance's, at work there (a fan-out), leave it alone and record this " +
      `run here: runrec emit ${pathArgument(target)} --agent ${shellWord(agent)} --status S ...`;
  return new InputError(
    `${target}: ${none}, but ${runs}: if ${which} this run (given the wrong folder), finish it ` +
      "so, in its own deliverable folder, not with an emit here (that would record it in the " +
      `wrong deliverable, and reap would write it FAILED there); ${otherwise}; nothing ` +
      `written${last}`,
  );
}

/**
 * The error naming the deliverable folder near `delDir` ({@linkcode nearbyFolders}) where the run
 * `id` is pending (or reaped, still to finish); `undefined` when it is in none. Given another
 * deliverable's folder, a finish must not send its agent to emit: the run would be recorded in the
 * wrong deliverable, and its own pending run reaped FAILED later.
 */
function pendingNextDoor(delDir: string, id: string): InputError | undefined {
  const found = nearbyFolders(delDir).filter((dir) => dir !== delDir).flatMap((dir) =>
    unfinishedRuns(dir).filter(({ item }) => item.run && !item.claimedBy && item.id === id)
      .map((run) => ({ dir, ...run }))
  );
  if (found.length === 0) return undefined;
  return new InputError(
    `${delDir}: no pending run ${id} here, but ${found.map(runAndItsFinish).join("; ")}: ` +
      "finish it in its own deliverable folder; " +
      "nothing written (an emit here would record the run in the wrong deliverable, and reap " +
      "its pending run FAILED)",
  );
}

/** The id of the run that `reap` wrote as FAILED under `runId` in `target`'s records. */
async function reapedAs(target: string, runId: string): Promise<string> {
  const id = await reapedRunOf(target, runId);
  if (id === undefined) {
    await refuseRecordedRunId(target, runId);
    // The RunID of another deliverable's reaped run: finished in its own folder, not emitted here.
    const of = deliverableOfRunId(runId);
    const here = resolve(target);
    for (const dir of nearbyFolders(here)) {
      if (dir === here || DELIVERABLE_FOLDER.exec(basename(dir))?.[1] !== of) continue;
      const theirs = await reapedRunOf(dir, runId);
      const elsewhere = theirs === undefined ? undefined : pendingNextDoor(here, theirs);
      if (elsewhere) throw elsewhere;
    }
    await refuseOtherDeliverable(here, target, runId);
    throw new OptionError((name) =>
      `${name("run")} ${runId}: not a run that reap wrote as FAILED in ${target}; ` +
      `${name("run")} takes the token or id runrec start printed, or the RunID of a reaped run`
    );
  }
  return id;
}

/**
 * Throws {@linkcode InputError} when `runId` (neither pending nor reaped in `target`) was
 * allocated in another deliverable: "recorded already" in its own folder when it is, else naming
 * that folder (trial-t F9). A target without a DeliverableID in its name is passed over.
 */
async function refuseOtherDeliverable(here: string, target: string, runId: string): Promise<void> {
  const own = DELIVERABLE_FOLDER.exec(basename(here))?.[1];
  const of = deliverableOfRunId(runId);
  if (own === undefined || of === undefined || of === own) return;
  for (const dir of foldersOfDeliverable(here, of)) await refuseRecordedRunId(dir, runId);
  const home = runIdHome(here, runId);
  throw new OptionError((name) =>
    `${name("run")} ${runId}: not a run of ${own} (${target}): it is a run of ${home}; ` +
    "finish it in its own deliverable folder; nothing written"
  );
}

/**
 * `target` without the spaces a copy left around it and the quotes a JSON tool call kept around it
 * (`"'<token>'"`, review-r F8), or `undefined` when there are none. Only when `target` as given
 * names nothing: then no other file can be meant.
 */
function unquoted(target: string): string | undefined {
  let bare = target.trim();
  for (let m; (m = /^(['"])(.*)\1$/s.exec(bare));) bare = m[2].trim();
  if (bare === target || bare === "") return undefined;
  try {
    Deno.lstatSync(target);
    return undefined; // there as given (or cannot tell): not ours to rename
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) return undefined;
  }
  return bare;
}

/** The token `target` is once {@linkcode unquoted}, or `undefined`. */
function tokenAsPasted(target: string): ReturnType<typeof parseToken> {
  const bare = unquoted(target);
  return bare === undefined ? undefined : parseToken(bare);
}

/** A path that ends in a deliverable's `.runrec/pending` folder: a token cut at its folder. */
const PENDING_FOLDER_END = /(?:^|\/)\.runrec\/pending\/*$/;

/**
 * Throws {@linkcode InputError} for a token as agents mangle it: a run's id alone, its path
 * without `.json` (trial-q F5), or cut at its `.runrec/pending` folder (review-r F8). Taken for a
 * folder, it would get "no such folder" (or, the pending folder, an emit into it), which says
 * nothing of what a token is. The pending folder's runs are named, to pick one with `--run`.
 */
function throwIfMangledToken(target: string): void {
  const bare = unquoted(target) ?? target;
  const inPending = /(?:^|\/)\.runrec\/pending(?:\/|$)/.exec(bare);
  if (!isRunId(bare) && !inPending) return;
  const delDir = inPending ? bare.slice(0, inPending.index) || "." : undefined;
  const folder = delDir === undefined ? "<del-dir>" : pathArgument(delDir);
  const listed = delDir !== undefined
    ? listPendingRuns(delDir).filter((i) => i.run && !i.claimedBy)
    : [];
  // A token cut short (`….jso`, `…/pending/2026`: a pasted line's end lost): the runs pending
  // there whose id it starts.
  const start = basename(bare).replace(/\.j?s?o?n?$/, "");
  const cut = start === "" || PENDING_FOLDER_END.test(bare)
    ? []
    : listed.filter((i) => i.id.startsWith(start));
  const runs = PENDING_FOLDER_END.test(bare) ? listed : cut.length > 1 ? cut : [];
  const named = isRunId(basename(bare)) ? basename(bare) : undefined;
  const id = named ?? (runs.length === 1 ? runs[0].id : cut.length === 1 ? cut[0].id : "ID");
  const pending = runs.length === 0
    ? ""
    : `; pending there: ${
      runs.map((i) => `${i.id} (${i.run!.agent}, since ${i.run!.start.started})`).join(", ")
    }`;
  throw new InputError(
    `${target}: not a run token: runrec start prints <del-dir>/.runrec/pending/<id>.json, the ` +
      `whole path; a run's id goes with its folder: runrec finish ${folder} --run ${id} ...` +
      pending,
  );
}

/** The runs of `delDir` kept outside it that reap wrote as FAILED, kept beside them (`reapedPlace`). */
function reapedOutside(delDir: string): PendingItem[] {
  return listOutsideReapedRuns().filter((i) =>
    i.run?.delDir !== undefined && sameFolder(i.run.delDir, delDir)
  );
}

/** The token of a run kept outside its folder: its pending file's path, reaped or not. */
function tokenOf(item: PendingItem): string {
  const folder = dirname(item.path);
  return join(basename(folder) === "reaped" ? dirname(folder) : folder, `${item.id}.json`);
}

/** The run file of `item` as it is when no finish holds it (a claim renames it). */
function runFileOf(item: PendingItem): string {
  return join(dirname(item.path), `${item.id}.json`);
}

/**
 * A's one run here that another finish holds (claimed), when A has no other run here and no run
 * file here is unreadable (it may be A's): a finish by folder retried while the first still
 * writes (trial-q F1) waits for it, as a token's finish does; else `undefined`.
 */
function heldRunOf(
  items: readonly PendingItem[],
  agent: string | undefined,
): PendingItem | undefined {
  if (agent === undefined || items.some((i) => i.run === undefined)) return undefined;
  const agents = items.filter((i) => i.run!.agent === agent);
  return agents.length === 1 && agents[0].claimedBy ? agents[0] : undefined;
}

/** Throws {@linkcode InputError} when `runId` (given as `--run`) is a record of `target`'s already. */
async function refuseRecordedRunId(target: string, runId: string): Promise<void> {
  const record = await recordOfRunId(target, runId);
  if (record === undefined) return;
  throw new OptionError((name) =>
    `${name("run")} ${runId}: recorded already as that RunID in ` +
    `${join(resolve(target), RECORD_FILE)} (${record.AgentName}, ${record.RunStatus}); nothing ` +
    "written, nothing more is needed (an emit would record the run twice)"
  );
}

/**
 * The token's run in the folder it now lives in: the deliverable folder was
 * renamed (its label changed, its DeliverableID not) or moved to another
 * package during the run. Found when exactly one folder holds the run,
 * beside the token's folder or anywhere in its execution root, and it is of
 * the same DeliverableID; `undefined` when none holds it (the folder is
 * gone: a removed worktree). Throws {@linkcode InputError} naming the
 * folders when others hold it (copies, another deliverable's folder).
 *
 * @example
 * ```ts
 * import { movedFolder } from "./named_run.ts";
 * // The token's folder renamed since start (its label changed): where the run is pending now.
 * const token = { delDir: "PKG-01/DEL-01-02_Flow", id: "20260222T101500123Z-1a2b3c4d" };
 * const moved = movedFolder(token); // { delDir: "PKG-01/DEL-01-02_Flow_Meter", id: … }
 * ```
 */
export function movedFolder(
  token: { delDir: string; id: string },
): { delDir: string; id: string; path?: string } | undefined {
  try {
    Deno.statSync(token.delDir);
  } catch (e) {
    // There, for all this runrec can tell: it may not look (a sandbox started elsewhere).
    if (e instanceof Deno.errors.NotCapable) {
      throw new InputError(`${token.delDir}: cannot read the folder: ${failureReason(e)}`);
    }
  }
  const idOf = (dir: string) => DELIVERABLE_FOLDER.exec(basename(dir))?.[1];
  const wanted = idOf(token.delDir);
  const holders = foldersHoldingRun(token.delDir, token.id);
  if (holders.length === 1 && idOf(holders[0]) === wanted) {
    return { delDir: holders[0], id: token.id };
  }
  if (holders.length === 0) {
    // In a work tree removed since: its run reaped here from the copy kept (./kept_runs.ts), or
    // (the agent alive through a forced removal) that copy still waiting, finished here by it.
    const home = removedWorkTreeHome(token.delDir);
    if (home === undefined) {
      // Named by none (its key cleaned up since, a day after): the folder here at its path,
      // when it holds the run (by its id) reaped.
      const here = samePathHere(token.delDir);
      const held = here !== undefined &&
        unfinishedRuns(here).some(({ item }) => item.id === token.id);
      return held ? { delDir: here, id: token.id } : undefined;
    }
    if (unfinishedRuns(home).some(({ item }) => item.id === token.id)) {
      return { delDir: home, id: token.id };
    }
    // Reaped by a reap run in another work tree than the one found (from outside the repository).
    const elsewhere = reapedInOtherWorkTree({ delDir: home, id: token.id }) ??
      reapedInListedWorkTree({ delDir: home, id: token.id });
    if (elsewhere !== undefined) return elsewhere;
    const copy = waitingRunCopy(home, token.id);
    if (copy !== undefined) return { delDir: home, id: token.id, path: copy };
    if (!outsideGitDirsWorkTrees(home)) return undefined;
    // `$GIT_DIR` alone, run outside its work trees: git took this folder for the top, and a record
    // from the token would go to a folder that never was, beside reap's FAILED one.
    throw new InputError(
      `${token.delDir}: no such folder (a removed work tree?), and no work tree of the ` +
        `repository GIT_DIR names holds run ${token.id} at ${relative(Deno.cwd(), home)}, ` +
        "where git (GIT_DIR set without GIT_WORK_TREE) takes the current folder for the work " +
        "tree; nothing written; run it from inside the work tree: cd <the work tree> && " +
        `runrec finish ${shellWord(pendingPath(token.delDir, token.id))} ...`,
    );
  }
  const each = holders.map((dir) => `${dir} (${idOf(dir) ?? "no DeliverableID"})`).join(", ");
  throw new InputError(
    `${token.delDir}: no such folder (moved or removed since runrec start?); run ${token.id} ` +
      `is pending in ${each}: if it belongs there, runrec finish <that folder> --run ${token.id}`,
  );
}

/**
 * The deliverable folder at the token's path in another work tree of the repository that holds
 * its run reaped (or pending): the token's work tree was removed, its run reaped there from the
 * copy kept (./kept_runs.ts), and a work tree added again at its path since (or the one
 * {@linkcode movedFolder} found for it is not the one reap ran in).
 */
function reapedInOtherWorkTree(
  token: { delDir: string; id: string },
): { delDir: string; id: string } | undefined {
  const trees = workTrees(token.delDir);
  if (trees === undefined) return undefined;
  const path = relative(trees.top, resolvedPath(resolve(token.delDir)));
  const delDir = trees.others.map((other) => join(other, path))
    .find((dir) => unfinishedRuns(dir).some(({ item }) => item.id === token.id));
  return delDir === undefined ? undefined : { delDir, id: token.id };
}

/**
 * The deliverable folder at the token's path in a work tree `git worktree list` names that holds
 * its run: run outside the repository's work trees with `$GIT_DIR` set alone, git takes the
 * current folder for the top, and the home found there ({@linkcode removedWorkTreeHome}) is no
 * folder; the repository's own work trees are asked of git.
 */
function reapedInListedWorkTree(
  home: { delDir: string; id: string },
): { delDir: string; id: string } | undefined {
  if (!outsideGitDirsWorkTrees(home.delDir)) return undefined;
  const top = workTreeOf(Deno.cwd())?.top;
  if (top === undefined) return undefined;
  const path = relative(top, resolve(home.delDir));
  if (path === "" || path.startsWith("..")) return undefined;
  const listed = new TextDecoder().decode(gitSync(".", "worktree", "list", "--porcelain").stdout);
  const delDir = [...listed.matchAll(/^worktree (.+)$/gm)].map((m) => join(m[1], path))
    .find((dir) => unfinishedRuns(dir).some(({ item }) => item.id === home.id));
  return delDir === undefined ? undefined : { delDir, id: home.id };
}

/** Whether `$GIT_DIR` is set alone and `home`, found beneath the top git took for it, is no folder. */
function outsideGitDirsWorkTrees(home: string): boolean {
  return optionalEnv("GIT_DIR") !== undefined && optionalEnv("GIT_WORK_TREE") === undefined &&
    kindOf(home) !== "folder";
}

/** The deliverable folders holding the run `id` (pending, or reaped) of {@linkcode nearbyFolders}. */
function foldersHoldingRun(delDir: string, id: string): string[] {
  return nearbyFolders(delDir).filter((dir) =>
    unfinishedRuns(dir).some(({ item }) => item.id === id)
  );
}
