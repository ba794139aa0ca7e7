/**
 * The runs still to finish in the deliverable folders near one: beside it, and
 * of its execution root. A finish or an emit given one deliverable's folder
 * for a run started in another would record that run in the wrong deliverable,
 * and `reap` would later write its pending run FAILED (trial-day 5, trial-t
 * F1): `finish` names such a run instead of advising an emit.
 *
 * @module
 */
import { basename, dirname, join, relative, resolve } from "./path.ts";
import { DELIVERABLE_FOLDER, findExecutionRoot, isExecutionRoot } from "./deliverable.ts";
import { deliverableFolders, SILENT_SEARCH } from "./targets.ts";
import { directLookups, sameFolder } from "./lookups.ts";
import {
  listOutsidePendingRuns,
  listPendingRuns,
  listReapedRuns,
  type PendingItem,
} from "./pending.ts";
import { pathArgument, shellWord } from "./shell_word.ts";

/**
 * The deliverable folders beside `delDir` (named `DEL-XX-YY…`, in its parent folder), absolute;
 * `delDir` itself among them when it is one (links to folders followed; none when the parent
 * cannot be listed).
 */
function siblingFolders(delDir: string): string[] {
  const parent = dirname(resolve(delDir));
  const found: string[] = [];
  for (const [name, kind] of directLookups.folderEntries(parent)) {
    if (kind === "folder" && DELIVERABLE_FOLDER.test(name)) found.push(join(parent, name));
  }
  return found;
}

/** A folder as the agent would type it: relative to where runrec runs (absolute if that is gone). */
function asTyped(dir: string): string {
  try {
    return relative(Deno.cwd(), dir) || ".";
  } catch {
    return dir;
  }
}

/** A run still to finish in a deliverable folder: pending, or reaped and waiting for its finish. */
export interface RunInFolder {
  /** The deliverable folder, absolute. */
  dir: string;
  /** The run's file. */
  item: PendingItem;
  /** `pending`, or `reaped (still to finish)`. */
  state: string;
}

/**
 * The runs of a folder still to finish: pending, or reaped (written FAILED) and waiting for their
 * finish.
 *
 * @example
 * ```ts
 * import { unfinishedRuns } from "./nearby_runs.ts";
 * for (const { item, state } of unfinishedRuns("DEL-01-02_X")) console.log(item.id, state);
 * ```
 */
export function unfinishedRuns(dir: string): { item: PendingItem; state: string }[] {
  return [
    ...listPendingRuns(dir).map((item) => ({ item, state: "pending" })),
    ...listReapedRuns(dir).map((item) => ({ item, state: "reaped (still to finish)" })),
  ];
}

/**
 * The deliverable folders where `delDir` may be now, or where a run meant for it may be: those
 * beside it (a label change needs no execution root) and those of the execution root around it
 * (a move to another package), or beneath it when it is one, absolute; `delDir` itself among
 * them when it is one.
 *
 * @example
 * ```ts
 * import { nearbyFolders } from "./nearby_runs.ts";
 * nearbyFolders("examples/PKG-01_Field_Instruments/1_Working/DEL-01-01_Pressure_Transmitter_Spec");
 * ```
 */
export function nearbyFolders(delDir: string): string[] {
  const candidates = siblingFolders(delDir);
  // `delDir` the execution root itself: a token named from there (`.runrec/pending/<id>.json`).
  const root = findExecutionRoot(delDir) ?? (isExecutionRoot(delDir) ? delDir : undefined);
  try {
    if (root !== undefined) candidates.push(...deliverableFolders(root, SILENT_SEARCH));
  } catch { /* an execution root that cannot be listed: beside it is all there is */ }
  return [...new Set(candidates.map((dir) => resolve(dir)))];
}

/**
 * The runs pending (not reaped: a reaped run waits for its late finish however old) in the
 * deliverable folders near `delDir` other than `delDir` ({@linkcode nearbyFolders}: those
 * beside it and of its execution root), of `agent` (`undefined`: of every agent), no finish
 * holding them; a folder's runs kept outside it (it was read-only at their start) count as its
 * own. Runs of the same agent elsewhere are most often
 * this run given the wrong folder, but may be another instance's at work there (a fan-out).
 *
 * @example
 * ```ts
 * import { pendingElsewhere } from "./nearby_runs.ts";
 * for (const { dir, item } of pendingElsewhere("DEL-01-03_Y", "4_DOCUMENTS")) console.log(dir, item.id);
 * ```
 */
export function pendingElsewhere(delDir: string, agent?: string): RunInFolder[] {
  const here = resolve(delDir);
  const others = nearbyFolders(here).filter((dir) => !sameFolder(dir, here));
  const ofAgent = (i: PendingItem) =>
    i.run !== undefined && !i.claimedBy && (agent === undefined || i.run.agent === agent);
  const inFolders = others.flatMap((dir) =>
    listPendingRuns(dir).filter(ofAgent).map((item) => ({ dir, item, state: "pending" }))
  );
  const outside = listOutsidePendingRuns().filter(ofAgent).flatMap((item) => {
    const of = item.run!.delDir;
    const dir = of === undefined ? undefined : others.find((other) => sameFolder(of, other));
    return dir === undefined ? [] : [{ dir, item, state: "pending" }];
  });
  return [...inFolders, ...outside];
}

/**
 * A run still to finish elsewhere, as a message names it: `run RUN (AGENT, since T) is pending in
 * DEL-01-02 (folder)`, the folder as the agent would type it.
 */
function runThere({ dir, item, state }: RunInFolder): string {
  const deliverable = DELIVERABLE_FOLDER.exec(basename(dir))?.[1] ?? "no DeliverableID";
  return `run ${item.id} (${item.run!.agent}, since ${item.run!.start.started}) is ${state} ` +
    `in ${deliverable} (${shellWord(asTyped(dir))})`;
}

/**
 * The finish that records a run still to finish in its own folder: `runrec finish folder --run
 * RUN --status S ...`, the folder as the agent would type it.
 */
function finishThere({ dir, item }: RunInFolder): string {
  return `runrec finish ${pathArgument(asTyped(dir))} --run ${item.id} --status S ...`;
}

/**
 * {@linkcode runThere} with {@linkcode finishThere}: `run RUN (AGENT, since T) is pending in
 * DEL-01-02 (folder): runrec finish folder --run RUN --status S ...`.
 *
 * @example
 * ```ts
 * import { pendingElsewhere, runAndItsFinish } from "./nearby_runs.ts";
 * console.log(pendingElsewhere("DEL-01-03_Y", "4_DOCUMENTS").map(runAndItsFinish).join("; "));
 * ```
 */
export function runAndItsFinish(run: RunInFolder): string {
  return `${runThere(run)}: ${finishThere(run)}`;
}
