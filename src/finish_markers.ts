/**
 * The markers that stand for a claim where a run's file cannot be claimed:
 * `.runrec/lost/<id>` for a run recorded from its token (its file gone), and
 * `<id>.finishing` in this user's folder of runs kept outside for a run whose
 * folder is read-only. Made whole by a hard link, so that of racing finishers
 * one holds it; a marker whose holder is gone is taken over or removed.
 *
 * @module
 */
import { dirname, join, resolve } from "./path.ts";
import { fileNamesIn, inStateFolder } from "./state_folder.ts";
import { LOST_FOLDER, outsidePendingFolder, PRIVATE_FOLDER, readBounded } from "./pending.ts";
import { isRunId } from "./run_ids.ts";
import { claimerState, claimHost } from "./run_claims.ts";

/** How long a finisher waits for a live process holding the run it is to finish. */
export const CLAIM_WAIT_MS = 60_000;

/**
 * Claims the run `id` of `delDir` whose pending file is gone (`git clean -x`)
 * for recording from its token: a marker `.runrec/lost/<id>` holding this
 * process's `pid@host`, made by a hard link (which fails when the marker
 * exists), so that of finishers racing on one token one records it. Returns
 * the marker's path, or who holds it ({@linkcode MarkerHeld}: waited for up
 * to {@linkcode CLAIM_WAIT_MS} while it lives). A marker whose holder died is
 * taken over (see {@linkcode markerHolderState}): the caller checks
 * {@linkcode runRecorded} after, since that holder may have written the
 * record. The marker appears whole (written aside, then linked into place),
 * so a marker is never empty; the caller removes it when its finish is over.
 *
 * @example
 * ```ts
 * import { claimLostRun } from "./finish_markers.ts";
 * const marker = await claimLostRun("DEL-01-02_X", "20260222T101500123Z-1a2b3c4d");
 * ```
 */
export async function claimLostRun(delDir: string, id: string): Promise<string | MarkerHeld> {
  const path = join(resolve(delDir), LOST_FOLDER, id);
  return await holdMarker(
    path,
    (make) =>
      inStateFolder(dirname(dirname(path)), () => {
        Deno.mkdirSync(dirname(path), { recursive: true });
        return make();
      }),
    CLAIM_WAIT_MS,
  );
}

/**
 * Claims the run `id`, whose pending file cannot be claimed because its
 * deliverable folder is read-only now, for recording without its file: a
 * marker `<id>.finishing` in this user's {@linkcode outsidePendingFolder}, as
 * {@linkcode claimLostRun} makes one, so that of finishers (and a `reap` of
 * the folder once it is writable) one records the run. Returns the marker's
 * path, or who holds it when a live process (or one on another machine)
 * does, after waiting up to `waitMs` for a live one to let go; throws when
 * no marker can be made there.
 *
 * @example
 * ```ts
 * import { claimReadOnlyRun } from "./finish_markers.ts";
 * const marker = await claimReadOnlyRun("20260222T101500123Z-1a2b3c4d");
 * if (typeof marker !== "string") console.error(`held by ${marker.holder}`);
 * ```
 */
export async function claimReadOnlyRun(
  id: string,
  waitMs = CLAIM_WAIT_MS,
): Promise<string | MarkerHeld> {
  const folder = outsidePendingFolder();
  if (folder === undefined) throw new Error("this user's id cannot be read");
  return await holdMarker(
    join(folder, `${id}${MARKER_SUFFIX}`),
    (make) => inStateFolder(folder, make, PRIVATE_FOLDER),
    waitMs,
  );
}

/** A marker another process holds: its path, its holder's `pid@host`, and whether that is seen alive here. */
export interface MarkerHeld {
  /** The marker's path. */
  path: string;
  /** Its holder, `pid@host`. */
  holder: string;
  /** `alive` on this machine, or `unknown`: another machine's, which this process cannot look at. */
  state: "alive" | "unknown";
}

/**
 * Who holds a marker, in words, and what to do: wait for a live holder on
 * this machine; look at another machine's, or remove its marker.
 *
 * @example
 * ```ts
 * import { markerHeldBy } from "./finish_markers.ts";
 * markerHeldBy({ path: "/tmp/m", holder: "4242@other", state: "unknown" });
 * // "its marker /tmp/m names pid 4242 on other, a machine this process cannot look at ..."
 * ```
 */
export function markerHeldBy({ path, holder, state }: MarkerHeld): string {
  const [pid, host] = holder.split(/@(.*)/s);
  return state === "alive"
    ? `its marker ${path} is held by pid ${pid}, alive on this machine: try again once that ` +
      "process is done"
    : `its marker ${path} names pid ${pid} on ${host}, a machine this process cannot look at ` +
      "(a $TMPDIR shared between machines?): if no finish of the run is under way there, " +
      "remove the marker and try again";
}

/** The end of a read-only finish's marker's name, after the run's id. */
const MARKER_SUFFIX = ".finishing";

/**
 * Makes the marker `path` holding this process's `pid@host`, `inFolder`
 * preparing its folder around `make`; waits up to `waitMs` while a live
 * process holds it, takes over one whose holder is gone
 * ({@linkcode markerHolderState}). See {@linkcode claimLostRun}.
 */
async function holdMarker(
  path: string,
  inFolder: (make: () => string) => string,
  waitMs: number,
): Promise<string | MarkerHeld> {
  const me = `${Deno.pid}@${claimHost()}`;
  const deadline = Date.now() + waitMs;
  while (true) {
    try {
      return inFolder(() => {
        // Written aside, then linked: a marker is never seen empty, even after a kill or ENOSPC.
        const aside = `${path}.new-${me}`;
        Deno.writeTextFileSync(aside, me);
        try {
          Deno.linkSync(aside, path);
        } finally {
          Deno.removeSync(aside);
        }
        return path;
      });
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    let marker: { holder: string; madeMs?: number };
    try {
      marker = readMarker(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue; // taken over, not made again yet
      throw e;
    }
    const state = markerHolderState(marker);
    if (state === "gone") {
      removeDeadMarker(path, marker.holder);
      continue;
    }
    if (state !== "alive" || Date.now() > deadline) return { path, holder: marker.holder, state };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A marker's text (its holder) and when it was made, read in that order: a
 * marker replaced between the two reads looks newer than its text's holder,
 * never older, so a live holder is never taken for a reused pid.
 *
 * @example
 * ```ts
 * import { readMarker } from "./finish_markers.ts";
 * readMarker("/tmp/runrec-pending-1000/20260222T101500123Z-1a2b3c4d.finishing").holder;
 * // "4242@build-07"
 * ```
 */
export function readMarker(path: string): { holder: string; madeMs?: number } {
  const holder = readBounded(path);
  const made = Deno.statSync(path).mtime;
  return made === null ? { holder } : { holder, madeMs: made.getTime() };
}

/**
 * Whether a marker's holder is `alive` on this machine, `gone`, or `unknown`
 * (another machine's). A marker whose text is not `pid@host` guards nothing,
 * as if its holder were gone: never so as written now, it is an older
 * runrec's killed mid-write (empty), or zeros a crash left before its data
 * reached the disk. Nor does a live pid started after the marker was made:
 * its holder died and the pid was reused, told as for the lock
 * (`notTheHolder`, ./lock.ts).
 *
 * @example
 * ```ts
 * import { markerHolderState } from "./finish_markers.ts";
 * markerHolderState({ holder: "" }); // "gone": it names no holder
 * markerHolderState({ holder: "4242@another-machine" }); // "unknown"
 * ```
 */
export function markerHolderState(
  { holder, madeMs }: { holder: string; madeMs?: number },
): "alive" | "gone" | "unknown" {
  return /^[1-9][0-9]*@[^\s\0]+$/.test(holder) ? claimerState(holder, madeMs) : "gone";
}

/**
 * Removes the marker `path` when it still names `holder`, a process that is
 * gone; returns whether it did. Renamed aside first, so that of two takers
 * one has it, then read again: another taker may have taken the dead
 * holder's over and linked its own since `holder` was read, and that one is
 * linked back, for its live holder.
 */
function removeDeadMarker(path: string, holder: string): boolean {
  const aside = `${path}.gone-${Deno.pid}@${claimHost()}`;
  try {
    Deno.renameSync(path, aside);
  } catch {
    return false; // another taker has it, or it is gone
  }
  let named: string | undefined;
  try {
    named = readBounded(aside);
  } catch { /* unreadable: given back, as a live holder's would be */ }
  if (named !== holder) {
    try {
      Deno.linkSync(aside, path);
    } catch {
      // A third taker linked its own meanwhile: two hold it, and the run's record is still
      // appended once (the append and the spool's replay look for the run in the file).
    }
  }
  try {
    Deno.removeSync(aside);
  } catch { /* removed by reap as a dead writer's copy once this process is gone */ }
  return named === holder;
}

/**
 * Removes the markers `<id>.finishing` ({@linkcode claimReadOnlyRun}) in
 * `folder` whose holder is gone from this machine (a finish or reap killed
 * before it dropped its marker), and those that name no holder or a reused
 * pid ({@linkcode markerHolderState}); returns their paths. Such a marker guards
 * nothing: the next finisher of its run takes it over, as it would find none.
 *
 * @example
 * ```ts
 * import { removeDeadMarkers } from "./finish_markers.ts";
 * for (const path of removeDeadMarkers("/tmp/runrec-pending-1000")) console.log(`removed ${path}`);
 * ```
 */
export function removeDeadMarkers(folder: string): string[] {
  const removed: string[] = [];
  for (const name of fileNamesIn(folder)) {
    if (!name.endsWith(MARKER_SUFFIX) || !isRunId(name.slice(0, -MARKER_SUFFIX.length))) continue;
    const path = join(folder, name);
    try {
      const marker = readMarker(path);
      const gone = markerHolderState(marker) === "gone";
      if (gone && removeDeadMarker(path, marker.holder)) removed.push(path);
    } catch { /* removed meanwhile, or not ours to read: left */ }
  }
  return removed;
}
