/**
 * Claiming a pending run: a finisher (`finish`, `reap`) renames the run's
 * file to `<id>.json.claim-<pid>@<host>~<start>` (see {@linkcode claimerName}),
 * so that of two racing finishers one wins the rename and each run is written
 * once; a claim is given back (a finish refused), or taken over from a
 * finisher that is gone (told by `finisherState`).
 *
 * @module
 */
import { basename, dirname, join } from "./path.ts";
import { InputError } from "./errors.ts";
import {
  hostname,
  isZombie,
  notTheHolder,
  ownStartUptimeMs,
  pidAlive,
  startedSinceBootMs,
} from "./lock.ts";
import { FILE } from "./run_ids.ts";

/**
 * This machine's name as it appears in a claim's file name.
 *
 * @example
 * ```ts
 * import { claimHost } from "./run_claims.ts";
 * claimHost(); // "build-07"
 * ```
 */
export function claimHost(): string {
  return hostname().replace(/[^0-9A-Za-z.-]/g, "_");
}

/**
 * How this process names itself in a claim: `<pid>@<host>`, then `~<start>`, its start in ms
 * since the host's boot, where it may ask ({@linkcode ownStartUptimeMs}). A live pid whose start
 * is another was given again since the claim, which no step of the wall clock fakes. A runrec
 * before the start was added reads `<host>~<start>` as another machine's: it leaves the claim.
 *
 * @example
 * ```ts
 * import { claimerName } from "./run_claims.ts";
 * claimerName(); // "4242@build-07~37034000"
 * ```
 */
export function claimerName(): string {
  const start = claimStartMs();
  return `${Deno.pid}@${claimHost()}${start === undefined ? "" : `~${start}`}`;
}

/** This process's start as its claims name it, read once. */
let claimStart: { ms: number | undefined } | undefined;

/**
 * This process's start since boot as its claims name it: `/proc`'s, to the tick and the same in
 * each of its threads, so that a claim naming it is told its own exactly (a claim's ctime, read to
 * the whole second, cannot tell one made in the second the process started); else
 * {@linkcode ownStartUptimeMs}, a Worker's its own.
 */
function claimStartMs(): number | undefined {
  claimStart ??= { ms: startedSinceBootMs(Deno.pid) ?? ownStartUptimeMs() };
  return claimStart.ms;
}

/** A claimer's name (`pid@host`, maybe `~start`) read: the start is `undefined` in the old form. */
function claimerOf(name: string): { pid: number; host: string; startMs?: number } {
  const [pid, rest = ""] = name.split(/@(.*)/s);
  const start = /~([0-9]+)$/.exec(rest);
  return {
    pid: Number(pid),
    host: start ? rest.slice(0, start.index) : rest,
    ...start ? { startMs: Number(start[1]) } : {},
  };
}

/**
 * Whether the claimer's name `name` names this very process's pid on this host (whatever start
 * it gives: a process restarted under this pid names it too).
 *
 * @example
 * ```ts
 * import { claimerName, namesThisPid } from "./run_claims.ts";
 * namesThisPid(claimerName()); // true
 * ```
 */
export function namesThisPid(name: string): boolean {
  const { pid, host } = claimerOf(name);
  return pid === Deno.pid && host === claimHost();
}

/**
 * Claims a pending run for this process by renaming its file; returns the
 * claim's path, or `undefined` when the file is gone (another finisher has
 * it, or it was finished).
 *
 * @example
 * ```ts
 * import { claimPendingRun } from "./run_claims.ts";
 * const claimed = claimPendingRun("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json");
 * ```
 */
export function claimPendingRun(path: string): string | undefined {
  const base = FILE.exec(basename(path));
  if (!base) throw new InputError(`${path}: not a pending run's file`);
  const claimed = join(dirname(path), `${base[1]}.json.claim-${claimerName()}`);
  for (let attempt = 1;; attempt++) {
    try {
      Deno.renameSync(path, claimed);
      return claimed;
    } catch (e) {
      // Interrupted by a signal before anything happened: asked again, as the system means.
      if (e instanceof Deno.errors.Interrupted && attempt < 3) continue;
      return claimFailure(e);
    }
  }
}

/** What a failed claim means: no such run (`undefined`), or why it cannot be claimed (thrown). */
function claimFailure(e: unknown): undefined {
  // A file where its folder would be: no such run either.
  if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
    return undefined;
  }
  // Deno's message names both paths again: the system's reason is what is new.
  const why = (e as Error).message.split("\n")[0].replace(/: rename '.*$/, "");
  throw new Error(`cannot claim it (rename: ${why})`, { cause: e });
}

/**
 * Whether `e`, thrown by {@linkcode claimPendingRun}, says the run's folder is
 * on a read-only file system: the file is there and can be read, but neither
 * claimed nor removed until the folder is writable again.
 *
 * @example
 * ```ts
 * import { claimFailedReadOnly, claimPendingRun } from "./run_claims.ts";
 * try {
 *   claimPendingRun("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json");
 * } catch (e) {
 *   if (claimFailedReadOnly(e)) console.error("read-only now");
 * }
 * ```
 */
export function claimFailedReadOnly(e: unknown): boolean {
  return ((e as Error)?.cause as { code?: string } | undefined)?.code === "EROFS";
}

/**
 * Who holds the claim on the run file `path` (`pid@host~start`, or `pid@host`
 * from a runrec before stop 57), when a finisher has it.
 *
 * @example
 * ```ts
 * import { claimHolder } from "./run_claims.ts";
 * claimHolder("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json"); // "4242@build-07~37034000"
 * ```
 */
export function claimHolder(path: string): string | undefined {
  const base = FILE.exec(basename(path));
  if (!base) return undefined;
  try {
    for (const entry of Deno.readDirSync(dirname(path))) {
      const match = FILE.exec(entry.name);
      if (match && match[1] === base[1] && match[2] !== undefined) return match[2];
    }
  } catch { /* no folder: no claim */ }
  return undefined;
}

/**
 * Takes over the claim on the run file `path` held by `holder`, a process
 * that is gone (a finisher killed mid-way): renames its claim to this
 * process's. Returns the new claim's path, or `undefined` when another
 * process took it first.
 *
 * @example
 * ```ts
 * import { claimHolder, processState, takeOverClaim } from "./run_claims.ts";
 * const path = "DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json";
 * const holder = claimHolder(path);
 * if (holder && processState(holder) === "gone") takeOverClaim(path, holder);
 * ```
 */
export function takeOverClaim(path: string, holder: string): string | undefined {
  const theirs = `${path}.claim-${holder}`;
  const ours = `${path}.claim-${claimerName()}`;
  try {
    Deno.renameSync(theirs, ours);
    return ours;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/**
 * Gives a claimed run back (a finish refused for bad arguments): it is
 * pending again under its own name.
 *
 * @example
 * ```ts
 * import { claimPendingRun, releaseClaim } from "./run_claims.ts";
 * const claimed = claimPendingRun("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json");
 * if (claimed) releaseClaim(claimed);
 * ```
 */
export function releaseClaim(claimed: string): void {
  Deno.renameSync(claimed, claimed.replace(/\.claim-[^/\\]*$/, ""));
}

/**
 * Whether the process `pid@host` (the one a run watches, its host as the run names it, or a
 * claim's without its `~start`) is `alive` or `gone` on this machine; `unknown` on another
 * machine, or when this process may not ask.
 *
 * @example
 * ```ts
 * import { processState } from "./run_claims.ts";
 * import { hostname } from "./lock.ts";
 * processState(`${Deno.pid}@${hostname()}`); // "alive"
 * ```
 */
export function processState(pidAtHost: string): "alive" | "gone" | "unknown" {
  // The host whole: a run names its host as the system does, `~` and all.
  const [pidText, host] = pidAtHost.split(/@(.*)/s);
  if (host !== claimHost() && host !== hostname()) return "unknown";
  const pid = Number(pidText);
  const alive = pidAlive(pid);
  if (alive === undefined) return "unknown";
  return alive && !isZombie(pid) ? "alive" : "gone";
}

/**
 * Whether the process that made a claim or marker at `sinceMs` (`pid@host`, maybe
 * `~start`: {@linkcode claimerName}) is `alive`, `gone` or `unknown`, as
 * {@linkcode processState} tells, save that a live pid that is not the claimer's
 * process is `gone`: its claimer died and the pid was given again. Told as for
 * the lock (`notTheHolder`, ./lock.ts): by the start the name gives, against the
 * pid's start since boot, and a start after `sinceMs` (both: neither a step of
 * the wall clock nor another time namespace's count since boot makes a live
 * claimer gone); without a start, by a start after `sinceMs` alone; this very
 * process's pid so too unless the name gives this process's own start (a
 * container's process restarted at once under the pid of one killed mid-way
 * gives another start, to the tick). `sinceMs` of a claim: {@linkcode claimedAtMs}.
 *
 * @example
 * ```ts
 * import { claimerState } from "./run_claims.ts";
 * import { hostname } from "./lock.ts";
 * claimerState(`${Deno.pid}@${hostname()}`, Date.now()); // "alive"
 * claimerState(`${Deno.pid}@${hostname()}`, Date.now() - 86_400_000); // "gone": started since
 * ```
 */
export function claimerState(
  pidAtHost: string,
  sinceMs: number | undefined,
): "alive" | "gone" | "unknown" {
  const { pid, host, startMs } = claimerOf(pidAtHost);
  const state = processState(`${pid}@${host}`);
  if (state !== "alive") return state;
  const own = namesThisPid(pidAtHost);
  // Made by this very process (a thread of it), since it started.
  if (own && startMs !== undefined && startMs === claimStartMs()) return "alive";
  if (startMs !== undefined && !own) {
    // A start recorded late (a Worker's) leaves the claim its own. Another start is another
    // process only if it also started after the claim: a claimer in another time namespace
    // (`unshare --time`, a restored container) counts its boot elsewhere.
    if (notTheHolder(pid, Number.POSITIVE_INFINITY, startMs) === undefined) return "alive";
    // The claim's ctime is read to the whole second: the lock's margin of two.
    return sinceMs === undefined || notTheHolder(pid, sinceMs) !== undefined ? "gone" : "alive";
  }
  if (sinceMs === undefined) return state;
  // This very process made a claim only after it started, which it knows to the tick: one made
  // moments before is a predecessor's (a container's process restarted at once under its pid).
  const margin = own ? OWN_START_MARGIN_MS : undefined;
  return notTheHolder(pid, sinceMs, undefined, margin) === undefined ? "alive" : "gone";
}

/**
 * How long before this very process's start, as the system tells it (to a tick of 10 ms; a
 * file's ctime lags by up to a tick of the kernel's coarse clock), a claim naming it may have been
 * made and still be its own.
 */
const OWN_START_MARGIN_MS = 100;

/**
 * Whether the finisher holding the claim `claim` on a pending run (`holder`,
 * `pid@host~start`, or `pid@host` of a runrec before the start was added) is
 * `alive`, `gone` or `unknown`: as {@linkcode claimerState} judges it, by the
 * start the name gives (a finisher killed mid-finish whose pid another process
 * got since is gone), and a claim naming this very process made before it
 * started is gone (a container's process restarted under the pid of one killed
 * mid-finish, which would otherwise wait for itself). Another live pid's claim
 * in the old form is held while the pid runs: told against the claim's ctime,
 * it rests on the wall clock, and a clock moved forward since the claim (a
 * step, libfaketime) would make a live finisher look gone and its run
 * finished twice.
 *
 * @example
 * ```ts
 * import { finisherState } from "./run_claims.ts";
 * finisherState("4242@another-machine", "DEL-01-02_X/.runrec/pending/x.json.claim-4242@another-machine");
 * // "unknown"
 * ```
 */
export function finisherState(holder: string, claim: string): "alive" | "gone" | "unknown" {
  return namesThisPid(holder) || claimerOf(holder).startMs !== undefined
    ? claimerState(holder, claimedAtMs(claim))
    : processState(holder);
}

/**
 * When the claim `path` was made: the rename that made it set its ctime (its
 * mtime is when its content was written, maybe long before); `undefined` when
 * it is gone.
 *
 * @example
 * ```ts
 * import { claimedAtMs } from "./run_claims.ts";
 * claimedAtMs("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json.claim-4@vm");
 * ```
 */
export function claimedAtMs(path: string): number | undefined {
  try {
    const info = Deno.statSync(path);
    return (info.ctime ?? info.mtime)?.getTime();
  } catch {
    return undefined;
  }
}
