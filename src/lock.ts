/**
 * The append lock `RunRecords.csv.lock`: created with `O_CREAT|O_EXCL`, holding
 * the host project's lock fields plus `hostname`, with a short lease and
 * recovery of orphans (lease passed, or holder pid gone on the same host).
 *
 * @module
 */
import { SCHEMA_VERSION } from "./schema.ts";

/** The JSON held in a lock file. */
export interface LockInfo {
  /** Who holds the lock, e.g. `runrec emit (4_DOCUMENTS)`. */
  holder: string;
  /** When it was taken, UTC ISO 8601. */
  acquired: string;
  /** Seconds after `acquired` when the lock counts as orphaned. */
  lease_duration_s: number;
  /** Process id of the holder. */
  pid: number;
  /** The deliverable whose records the lock guards. */
  deliverable_id: string;
  /** Schema version of the holder. */
  schema_version: string;
  /** Host name of the holder; pids are only checked on the same host. */
  hostname: string;
}

/** What a caller who could not get the lock is told. */
export interface ContentionReport {
  deliverable_id: string;
  holder: string;
  lease_remaining_s: number;
  contention_time: string;
}

/** Thrown when the lock stays held by a live holder for longer than the wait allows. */
export class LockContentionError extends Error {
  /** The contention report of the host's lock format. */
  readonly report: ContentionReport;
  /** Builds the error from a report. */
  constructor(lockPath: string, report: ContentionReport) {
    super(
      `${lockPath}: held by ${report.holder} (lease ends in ${report.lease_remaining_s}s); ` +
        `gave up at ${report.contention_time}`,
    );
    this.name = "LockContentionError";
    this.report = report;
  }
}

/** Options of {@linkcode acquireLock}. */
export interface LockOptions {
  /** The deliverable whose records the lock guards. */
  deliverableId: string;
  /** Who is taking it. */
  holder: string;
  /** Lease in seconds (default 30). */
  leaseSeconds?: number;
  /** How long to wait for a live holder, in milliseconds (default: lease + 5 s). */
  waitMs?: number;
  /** Called once, when the lock is found held and waiting starts longer than a moment. */
  onWait?: (report: ContentionReport) => void;
}

/** A lock that is held; release it in a `finally`. */
export interface HeldLock {
  /** Path of the lock file. */
  readonly path: string;
  /** One line per orphaned lock recovered on the way in (for the record's Notes). */
  readonly recoveries: string[];
  /** Removes the lock file. */
  release(): Promise<void>;
}

const DEFAULT_LEASE_S = 30;
/** A breaker file older than this belongs to a process that died mid-recovery. */
const BREAKER_STALE_MS = 10_000;
/**
 * A lock file still not JSON after this long is an orphan: a writer fills its
 * lock in the calls that create it (microseconds apart), so it was left by a
 * crash in between, or by something else, and need not hold writers a lease.
 */
const UNREADABLE_LOCK_MS = 5_000;

let cachedHostname: string | undefined;
/** The host name, or `"unknown"` where the sandbox does not grant it. */
export function hostname(): string {
  if (cachedHostname === undefined) {
    try {
      cachedHostname = Deno.hostname();
    } catch {
      cachedHostname = "unknown";
    }
  }
  return cachedHostname;
}

/**
 * `true`/`false` when the pid's liveness is known, `undefined` when it cannot be
 * checked. `node:process` is imported here, on this rare path only: importing
 * it starts Deno's Node compatibility layer (~15 ms), which a normal append
 * never needs.
 */
async function pidAlive(pid: number): Promise<boolean | undefined> {
  try {
    const { default: process } = await import("node:process");
    process.kill(pid, 0);
    return true;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ESRCH") return false;
    if (code === "EPERM") return true;
    return undefined; // no run permission (sandboxed build): rely on the lease
  }
}

/** Why a lock is orphaned, or `undefined` when its holder may still be working. */
async function orphanReason(
  info: LockInfo | undefined,
  mtimeMs: number,
  now: number,
): Promise<string | undefined> {
  if (!info) {
    // A lock that is not JSON yet may be mid-creation; only an old one is an orphan.
    return now - mtimeMs > UNREADABLE_LOCK_MS
      ? `unreadable lock older than ${UNREADABLE_LOCK_MS / 1000}s`
      : undefined;
  }
  const acquired = Date.parse(info.acquired);
  const leaseEnd = acquired + info.lease_duration_s * 1000;
  if (!Number.isFinite(leaseEnd) || now > leaseEnd) return "lease expired";
  if (info.hostname === hostname() && await pidAlive(info.pid) === false) {
    return `pid ${info.pid} no longer runs`;
  }
  return undefined;
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const info = JSON.parse(text);
    if (
      typeof info?.holder === "string" && typeof info.acquired === "string" &&
      typeof info.lease_duration_s === "number" && typeof info.pid === "number"
    ) return info as LockInfo;
  } catch { /* unreadable: decided by age */ }
  return undefined;
}

/**
 * The lock file's text and age. Synchronous, like the lock's creation and
 * removal: a few tiny files, faster than round trips through the async pool.
 */
function readLock(path: string): { text: string; mtimeMs: number } | undefined {
  try {
    const file = Deno.openSync(path);
    try {
      const stat = file.statSync();
      const bytes = new Uint8Array(stat.size + 1);
      let length = 0;
      let n: number | null;
      while (length < bytes.length && (n = file.readSync(bytes.subarray(length))) !== null) {
        length += n;
      }
      return {
        text: new TextDecoder().decode(bytes.subarray(0, length)),
        mtimeMs: stat.mtime?.getTime() ?? 0,
      };
    } finally {
      file.close();
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/**
 * Whether the lock file holds exactly `bytes`: compared as bytes, with no
 * `fstat` and no decoding (each a cold path of Deno's, ~0.1-0.2 ms, in the
 * release every append makes).
 */
function holds(path: string, bytes: Uint8Array): boolean {
  const file = Deno.openSync(path);
  try {
    const back = new Uint8Array(bytes.length + 1);
    let length = 0;
    let n: number | null;
    while (length < back.length && (n = file.readSync(back.subarray(length))) !== null) length += n;
    if (length !== bytes.length) return false;
    for (let i = 0; i < length; i++) if (back[i] !== bytes[i]) return false;
    return true;
  } finally {
    file.close();
  }
}

/**
 * Removes an orphaned lock unless it changed since it was judged: a breaker
 * file taken with `O_EXCL` makes sure two recoverers cannot both remove a
 * lock, and the second one remove the first one's fresh lock.
 */
async function breakOrphan(path: string, judgedText: string): Promise<boolean> {
  const breaker = `${path}.break`;
  try {
    (await Deno.open(breaker, { createNew: true, write: true })).close();
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    const stat = await Deno.stat(breaker).catch(() => undefined);
    if (stat?.mtime && Date.now() - stat.mtime.getTime() > BREAKER_STALE_MS) {
      await Deno.remove(breaker).catch(() => {});
    }
    return false;
  }
  try {
    const current = readLock(path);
    if (current?.text !== judgedText) return false;
    await Deno.remove(path);
    return true;
  } finally {
    await Deno.remove(breaker).catch(() => {});
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Takes the lock at `path`, waiting for a live holder and recovering orphans.
 * Throws {@linkcode LockContentionError} when the wait runs out, and the file
 * system's error when the lock cannot be created at all.
 *
 * @example
 * ```ts
 * import { acquireLock } from "./lock.ts";
 * const lock = await acquireLock("/tmp/RunRecords.csv.lock", {
 *   deliverableId: "DEL-01-02",
 *   holder: "example",
 * });
 * try {
 *   // append here
 * } finally {
 *   await lock.release();
 * }
 * ```
 */
export async function acquireLock(path: string, options: LockOptions): Promise<HeldLock> {
  const lease = options.leaseSeconds ?? DEFAULT_LEASE_S;
  const deadline = Date.now() + (options.waitMs ?? (lease + 5) * 1000);
  const recoveries: string[] = [];
  let delay = 2;
  let told = false;
  while (true) {
    const info: LockInfo = {
      holder: options.holder,
      acquired: new Date(Date.now()).toISOString(),
      lease_duration_s: lease,
      pid: Deno.pid,
      deliverable_id: options.deliverableId,
      schema_version: SCHEMA_VERSION,
      hostname: hostname(),
    };
    const text = JSON.stringify(info);
    const bytes = new TextEncoder().encode(text);
    try {
      const file = Deno.openSync(path, { createNew: true, write: true });
      try {
        let written = 0;
        while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
      } catch (e) {
        // A lock we created but could not fill (full disk) would block others for a lease.
        file.close();
        try {
          Deno.removeSync(path);
        } catch { /* already gone */ }
        throw e;
      }
      file.close();
      return {
        path,
        recoveries,
        release: () => {
          // Remove only our own lock: an expired lease may have let another take it.
          try {
            if (holds(path, bytes)) Deno.removeSync(path);
          } catch { /* gone, or not ours to remove */ }
          return Promise.resolve();
        },
      };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    const now = Date.now();
    const current = readLock(path);
    if (!current) continue; // released between our attempts
    const held = parseLock(current.text);
    const reason = await orphanReason(held, current.mtimeMs, now);
    if (reason) {
      if (await breakOrphan(path, current.text)) {
        recoveries.push(
          `recovered orphaned lock (${reason}) of ${held?.holder ?? "unknown holder"}` +
            (held ? ` pid ${held.pid} on ${held.hostname} taken ${held.acquired}` : ""),
        );
      }
      continue;
    }
    if (now >= deadline) {
      const leaseEnd = held ? Date.parse(held.acquired) + held.lease_duration_s * 1000 : now;
      throw new LockContentionError(path, {
        deliverable_id: held?.deliverable_id ?? options.deliverableId,
        holder: held?.holder ?? "unknown",
        lease_remaining_s: Math.max(0, Math.round((leaseEnd - now) / 1000)),
        contention_time: new Date(now).toISOString(),
      });
    }
    if (delay === 50 && options.onWait && !told) {
      told = true; // the holder has kept it for ~200 ms: a long wait may follow, so say so
      const leaseEnd = held ? Date.parse(held.acquired) + held.lease_duration_s * 1000 : now;
      options.onWait({
        deliverable_id: held?.deliverable_id ?? options.deliverableId,
        holder: held?.holder ?? "unknown (lock file not readable yet)",
        lease_remaining_s: Math.max(0, Math.round((leaseEnd - now) / 1000)),
        contention_time: new Date(now).toISOString(),
      });
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 50);
  }
}
