/**
 * The append lock `RunRecords.csv.lock`: a file created with `O_CREAT|O_EXCL`
 * holding the host project's lock fields plus `hostname` and a random
 * `token`, as one JSON object.
 *
 * How a lock found in place is judged (each judgement takes bounded time):
 *
 * - **Same host** (its `hostname` is ours): the holder's pid decides. A live
 *   holder is never taken over, however old its lease: it may be stalled
 *   (stopped, swapped out, inside its `write`) and still write. It is
 *   orphaned when the pid no longer runs, is a zombie (asked once the lock
 *   has been held a second), or, once the lease has passed, belongs to a
 *   process that started after the lock was taken (pid reuse). The state and
 *   start are read from `/proc/<pid>/stat` by `cat`, or from `ps -o
 *   stat=,etime=` where there is no `/proc`; where neither answers, a zombie
 *   or a reused pid counts as the holder. A process started after the lock
 *   was taken is told by its start since boot against the lock's
 *   `pid_start_uptime_ms`, which a wall clock stepped since does not move
 *   (by `acquired` in a lock without it, or whose start was recorded later
 *   than the process's: a Worker's, or one across a suspend). So a holder
 *   killed within its lease whose pid was reused at once holds the lock until
 *   its lease ends. Liveness is checked with `kill(pid, 0)`; where that is not
 *   allowed (the sandboxed build has no `--allow-run`) the lease decides, as
 *   below. A lock naming this very process (whichever of its threads took it)
 *   is held while a thread of it holds the lock file open: its taker `flock`s
 *   it before writing its bytes and closes it after removing it, and the
 *   system closes it when a Worker holding it is ended (an orphan then) or
 *   the process exits; a stalled thread keeps it. Where the file system
 *   cannot `flock`, the lease decides, and one taken before this process
 *   started (a container's process restarted under the pid of one killed
 *   holding it) is an orphan at once. A lock file this user cannot read
 *   counts as held until {@linkcode MAX_LEASE_S} after its mtime.
 * - **Another host**, or liveness unknown: the lease decides. The lock is
 *   orphaned once `acquired` + `lease_duration_s` has passed, or when it
 *   cannot be a runrec lock: a lease above {@linkcode MAX_LEASE_S} or
 *   `acquired` more than {@linkcode MAX_CLOCK_SKEW_MS} in the future.
 * - **Not a lock**: a symbolic link (dangling, to a file, a loop) is an
 *   orphan: the link is removed, never its target. An empty file, garbage or
 *   a half-written lock may be a writer between its create and its write, so
 *   it is an orphan only once its mtime is {@linkcode WRITE_GRACE_MS} away
 *   from now. A folder, a FIFO, a socket or a device is never opened nor
 *   removed: the lock is refused at once with a {@linkcode LockRefusedError}
 *   saying what is in the way.
 *
 * Every orphan removed is reported in {@linkcode HeldLock.recoveries}, for the
 * record's Notes. Every wait has a deadline: a live holder is waited for up to
 * `waitMs` (default {@linkcode DEFAULT_WAIT_MS}), then the lock is refused.
 *
 * Right before its write, a writer calls {@linkcode HeldLock.stillHeld}: the
 * lock file must be the one it created (same inode, same bytes, its token
 * included), or it does not write (the caller spools the record). On one host
 * nobody takes over a live holder, so a stalled writer never shares the lock.
 *
 * What remains possible where the lease decides (a writer on another host, or
 * the sandboxed build): a writer on host A stalled past its lease, after its
 * check (inside its `write`, say), while host B recovers the lock; both then
 * append. Each append is one `O_APPEND` write, so the file stays valid, but
 * two records may share a RunID: `runrec verify` reports duplicate RunIDs.
 * Hosts must agree on the time (NTP): a lease is read against the reader's
 * clock. Machines or containers sharing a host name but not a pid space would
 * judge each other's pids: give them distinct host names. A lock path turned
 * into a FIFO between the `lstat` and the `open` of a judgement would block
 * that `open` (Deno has no `O_NONBLOCK` open; only a deliberate swap within
 * microseconds does it).
 *
 * @module
 */
import { SCHEMA_VERSION } from "./schema.ts";
import { agentText } from "./agent_notes.ts";
import { OptionError, thrownMessage } from "./errors.ts";
import { leaveWarning } from "./notices.ts";
import { oneLine } from "./names.ts";
import { optionalUptimeMs } from "./optional_access.ts";

/** The JSON held in a lock file. */
export interface LockInfo {
  /** Who holds the lock, e.g. `runrec emit (4_DOCUMENTS)`. */
  readonly holder: string;
  /** When it was taken, UTC ISO 8601. */
  readonly acquired: string;
  /** Seconds after `acquired` when a holder on another host counts as gone. */
  readonly lease_duration_s: number;
  /** Process id of the holder. */
  readonly pid: number;
  /** The deliverable whose records the lock guards. */
  readonly deliverable_id: string;
  /** Schema version of the holder. */
  readonly schema_version: string;
  /** Host name of the holder; pids are only checked on the same host. */
  readonly hostname: string;
  /** Random, unique to this taking of the lock: the holder tells its own lock by it. */
  readonly token: string;
  /**
   * The host's uptime (ms since boot) when the holder process started, where it may ask: a pid
   * whose start differs is another process, whatever the wall clock did since (clock-sweep F2).
   */
  readonly pid_start_uptime_ms?: number;
  /**
   * The holder keeps the lock file open with a `flock` of its own until it has removed it (where
   * each open file has its own: not NFS's): a lock naming the judging process is held while a
   * thread of it holds the file open.
   */
  readonly held_open?: boolean;
}

/** What a caller who could not get the lock is told (the host project's contention report). */
export interface ContentionReport {
  /** The deliverable whose lock is contended. */
  readonly deliverable_id: string;
  /** Who holds the lock, or what is in its place (e.g. `a directory`). */
  readonly holder: string;
  /** Seconds left of the holder's lease (0 when it has none or it passed). */
  readonly lease_remaining_s: number;
  /** When the caller gave up, UTC ISO 8601. */
  readonly contention_time: string;
}

/**
 * Why a lock was refused: `held` (a live holder, an unexpired lease, or a
 * lock that may be mid-creation, still there at the deadline) or `unusable`
 * (something that is not a lock and that runrec does not remove, such as a
 * folder or a FIFO: waiting would not help).
 */
export type RefusalKind = "held" | "unusable";

/**
 * Thrown when a write does not get the record file's lock
 * (`RunRecords.csv.lock`): at once for an unusable lock path (a folder, say),
 * after `lockWaitMs` for a held lock.
 *
 * @example
 * ```ts
 * import { emitRecord, LockRefusedError } from "@runrec/runrec";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * try {
 *   await emitRecord(dir, { agent: "DEPENDENCIES", status: "SUCCESS" }, {
 *     lockWaitMs: 0,
 *   });
 * } catch (e) {
 *   if (!(e instanceof LockRefusedError)) throw e;
 *   console.error(e.kind, e.report.holder);
 * }
 * ```
 */
export class LockRefusedError extends Error {
  /** `held` or `unusable`. */
  readonly kind: RefusalKind;
  /** The contention report of the host's lock format. */
  readonly report: ContentionReport;
  /** Builds the error; `detail` says what was found. Its message is one line, as a WriteError's. */
  constructor(lockPath: string, kind: RefusalKind, report: ContentionReport, detail: string) {
    super(oneLine(`${lockPath}: ${detail}`));
    this.name = "LockRefusedError";
    this.kind = kind;
    this.report = report;
  }
}

/** Options of `acquireLock`. */
export interface LockOptions {
  /** The deliverable whose records the lock guards. */
  deliverableId: string;
  /** Who is taking it. */
  holder: string;
  /** Lease in seconds, 1 to {@linkcode MAX_LEASE_S} (default {@linkcode DEFAULT_LEASE_S}). */
  leaseSeconds?: number;
  /**
   * How long to wait for a holder, in milliseconds (default
   * {@linkcode DEFAULT_WAIT_MS}); 0 tries once: orphans are still recovered,
   * a held lock is refused at once.
   */
  waitMs?: number;
  /** Called once, when the lock is found held and waiting starts longer than a moment. */
  onWait?: (report: ContentionReport) => void;
}

/** A lock that is held; release it in a `finally`. */
export interface HeldLock {
  /** Path of the lock file. */
  readonly path: string;
  /** One line per orphan recovered on the way in, for the record's Notes (well-formed text). */
  readonly recoveries: readonly string[];
  /** Whether the lock file is still the one this holder created: check it right before writing. */
  stillHeld(): boolean;
  /** Removes the lock file, if it is still this holder's. */
  release(): Promise<void>;
}

/** Lease written into a lock unless the caller asks for another. */
export const DEFAULT_LEASE_S = 30;
/** The longest lease a runrec lock may hold; a lock with a longer one is not runrec's. */
export const MAX_LEASE_S = 300;
/** How long `acquireLock` waits for a holder unless told otherwise. */
export const DEFAULT_WAIT_MS = 10_000;

/**
 * The longest pause of a writer waiting for a lock between two looks at it: a process that takes
 * the lock again and again (a replay in batches) leaves it free this long between, or a waiter
 * never finds it free. Short, as each batch of a flush pauses this long whether a writer waits or
 * not (none says it waits); a look costs a waiter an open and a read of the lock file.
 */
export const LONGEST_LOCK_PAUSE_MS = 25;
/** How long an empty or unparsable lock file is taken for one being written. */
export const WRITE_GRACE_MS = 2_000;
/** How far in the future `acquired` may be (clocks of two hosts disagreeing). */
export const MAX_CLOCK_SKEW_MS = 60_000;
/** A lock larger than this is garbage: a real one is a few hundred bytes. */
const MAX_LOCK_BYTES = 4096;
/** Longest text of a lock field copied into a note. */
const MAX_NOTE_FIELD = 120;

/**
 * The host name, or `"unknown"` where the sandbox does not grant it.
 *
 * @example
 * ```ts
 * import { hostname } from "./lock.ts";
 * console.log(hostname()); // e.g. "build-01"
 * ```
 */
export function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}

/**
 * Makes text from a lock file safe for a record's Notes: well-formed UTF-16
 * (a lone surrogate becomes U+FFFD), no control or line-separator characters,
 * at most {@linkcode MAX_NOTE_FIELD} characters, and never read as a machine
 * note (any writer of the folder may have left the file: ./agent_notes.ts).
 */
function noteText(text: string): string {
  const clean = text.toWellFormed().replace(/[\p{Cc}\u2028\u2029]/gu, "?");
  return agentText(clean.length > MAX_NOTE_FIELD ? `${clean.slice(0, MAX_NOTE_FIELD)}...` : clean);
}

/** What was found at the lock path. */
type Verdict =
  | { kind: "free" }
  | { kind: "orphan"; reason: string; of: string; identity: Identity }
  | { kind: "held"; detail: string; holder: string; deliverableId?: string; leaseEnd?: number }
  | { kind: "unusable"; detail: string; holder: string };

/**
 * How long a live holder on this host holds the lock before the system is asked whether it exited
 * or is stopped: asking starts a process, and an append holds the lock for milliseconds.
 */
const ZOMBIE_CHECK_AFTER_MS = 1000;

/** What tells one lock file from another at the same path. */
interface Identity {
  ino: number | null;
  mtimeMs: number;
  /** The text read (symbolic links: their target); `undefined` when too long or unreadable. */
  content?: string;
}

/**
 * Whether `pid` runs on this host: `undefined` when this process may not ask
 * (no `--allow-run`, as in the sandboxed build). A zombie (exited, not yet
 * waited for by its parent) is still seen: see {@linkcode isZombie}.
 *
 * @example
 * ```ts
 * import { pidAlive } from "./lock.ts";
 * pidAlive(Deno.pid); // true
 * ```
 */
export function pidAlive(pid: number): boolean | undefined {
  try {
    // Signal 0 delivers nothing: it only asks whether the process exists.
    Deno.kill(pid, 0 as unknown as Deno.Signal);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false; // ESRCH
    if (e instanceof Deno.errors.PermissionDenied) return true; // EPERM: another user's
    return undefined;
  }
}

/**
 * What the system says of a live pid: exited and not yet waited for (state Z), and when it
 * started, by the wall clock and (where known) in ms since boot, which no clock step moves.
 */
interface ProcessFacts {
  zombie: boolean;
  /** Stopped by a signal (state T: Ctrl-Z, SIGSTOP) or by a debugger (t). */
  stopped: boolean;
  startedMs: number;
  startedSinceBootMs?: number;
}

/** What was said of a pid, and when: asked at most once a second per pid. */
const factsSeen = new Map<number, { facts: ProcessFacts | undefined; atMs: number }>();

/**
 * What the system says of `pid`, or `undefined` where it cannot say. Deno
 * refuses `/proc` to a process without `--allow-all`, so `/proc/<pid>/stat` is
 * read by `cat` (coreutils or busybox: in images without procps `ps`, like
 * debian-slim); where there is no `/proc` (macOS), `ps` is asked. Neither takes
 * a lock a stalled process may hold, so a sync call is bounded.
 */
function processFacts(pid: number): ProcessFacts | undefined {
  const now = Date.now();
  const seen = factsSeen.get(pid);
  if (seen && now - seen.atMs < 1000) return seen.facts;
  const facts = factsFromProc(pid, now) ?? factsFromPs(pid, now);
  factsSeen.set(pid, { facts, atMs: now });
  return facts;
}

/**
 * When `pid` started, in ms since the host's boot, to the tick, where `/proc` tells it (every
 * thread of a process reads the same); `undefined` elsewhere.
 *
 * @example
 * ```ts
 * import { startedSinceBootMs } from "./lock.ts";
 * startedSinceBootMs(Deno.pid); // 37034170, say, on Linux with --allow-run
 * ```
 */
export function startedSinceBootMs(pid: number): number | undefined {
  return processFacts(pid)?.startedSinceBootMs;
}

/** A command's standard output, or `undefined` when it fails, is missing or is not allowed. */
function outputOf(command: string, args: string[]): string | undefined {
  try {
    const out = new Deno.Command(command, { args, stdout: "piped", stderr: "null" }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `pid`'s facts from `/proc/<pid>/stat`, then `cat`'s own: the two start
 * times are in ticks since boot, so their difference is `pid`'s age at about now.
 */
function factsFromProc(pid: number, now: number): ProcessFacts | undefined {
  const text = outputOf("cat", [`/proc/${pid}/stat`, "/proc/self/stat"]);
  if (text === undefined) return undefined;
  // cat's own line is the last; pid's command name may hold anything, even a newline.
  const catAt = text.lastIndexOf("\n", text.length - 2) + 1;
  const target = parseStat(text.slice(0, catAt));
  const cat = parseStat(text.slice(catAt));
  if (!target || !cat) return undefined;
  // Ticks are USER_HZ, 100 a second on every architecture Deno runs on.
  return {
    zombie: target.state === "Z",
    stopped: /^[Tt]$/.test(target.state),
    startedMs: now - (cat.startTicks - target.startTicks) * 10,
    startedSinceBootMs: target.startTicks * 10,
  };
}

/** The state letter and start time (ticks since boot) of one `/proc/<pid>/stat` line (proc(5)). */
function parseStat(line: string): { state: string; startTicks: number } | undefined {
  // Fields from the state (the 3rd) on follow the last ")", which closes the command's name.
  const fields = line.slice(line.lastIndexOf(")") + 2).split(" ");
  const startTicks = Number(fields[19]); // the 22nd field
  return /^[A-Z]$/.test(fields[0]) && Number.isSafeInteger(startTicks)
    ? { state: fields[0], startTicks }
    : undefined;
}

/** `pid`'s facts from `ps -o stat=,etime=` (etime: `[[dd-]hh:]mm:ss`). */
function factsFromPs(pid: number, now: number): ProcessFacts | undefined {
  const text = outputOf("ps", ["-o", "stat=,etime=", "-p", String(pid)]) ?? "";
  const m = /^\s*(\S+)\s+(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  const [days, hours, minutes, seconds] = m.slice(2).map((v) => Number(v ?? 0));
  const ageMs = (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000;
  const uptime = optionalUptimeMs();
  return {
    zombie: m[1].startsWith("Z"),
    stopped: /^[Tt]/.test(m[1]),
    startedMs: now - ageMs,
    startedSinceBootMs: uptime === undefined ? undefined : uptime - ageMs,
  };
}

/** The host's uptime in ms when this process started (to the second), if this process may ask. */
function startUptimeMs(): number | undefined {
  const uptime = optionalUptimeMs();
  return uptime === undefined ? undefined : Math.round(uptime - performance.now());
}

/** This thread's {@linkcode startUptimeMs}, read once: later reads move with the second's edge. */
let ownStart: { ms: number | undefined } | undefined;

/**
 * When this process started, in ms since the host's boot (to the second; a Worker's, when
 * its thread started), read once; `undefined` where this process may not ask. No step of the wall
 * clock moves it: a claim carries it, to be told from a later process given its pid.
 *
 * @example
 * ```ts
 * import { ownStartUptimeMs } from "./lock.ts";
 * ownStartUptimeMs(); // 37034000, say, with --allow-sys
 * ```
 */
export function ownStartUptimeMs(): number | undefined {
  ownStart ??= { ms: startUptimeMs() };
  return ownStart.ms;
}

/**
 * Whether `pid` has exited and waits for its parent to collect it (state Z):
 * a parent that never waits (a container's PID 1) keeps it for ever, and
 * `kill(pid, 0)` still succeeds. `false` where the system cannot say (neither
 * `/proc` read by `cat` nor `ps`, or no `--allow-run`).
 *
 * @example
 * ```ts
 * import { isZombie } from "./lock.ts";
 * isZombie(Deno.pid); // false
 * ```
 */
export function isZombie(pid: number): boolean {
  return processFacts(pid)?.zombie ?? false;
}

/**
 * Why a live `pid` is not the lock's holder (a zombie, or a process started
 * after `acquiredMs`: the pid was reused), or `undefined` when it is, or when
 * the system cannot tell. `etime` has a resolution of a second, hence the margin
 * of two seconds; `/proc` tells a start to the tick, and a caller may ask for less (`marginMs`).
 * A read-only finish's marker is judged so too, against the time it was made.
 * Given `holderStartUptimeMs` (the lock's `pid_start_uptime_ms`), the pid's start
 * since boot must be that one instead: a wall clock stepped forward since the
 * lock was taken made the holder look started after it (clock-sweep F2), and
 * a pid of a boot since is another process.
 *
 * @example
 * ```ts
 * import { notTheHolder } from "./lock.ts";
 * notTheHolder(Deno.pid, Date.now()); // undefined: this process started before now
 * ```
 */
export function notTheHolder(
  pid: number,
  acquiredMs: number,
  holderStartUptimeMs?: number,
  marginMs = 2000,
): string | undefined {
  const facts = processFacts(pid);
  if (!facts) return undefined;
  if (facts.zombie) return `pid ${pid} is a zombie`;
  const sinceBoot = facts.startedSinceBootMs;
  if (holderStartUptimeMs !== undefined && sinceBoot !== undefined) {
    // Both read to the second (uptime, etime): a few seconds apart is the same process. A pid
    // reused started after the holder; a start recorded late (a Worker's clock starts with the
    // Worker, a suspend stops it) proves nothing, so `acquired` decides then.
    if (sinceBoot - holderStartUptimeMs > 3000) {
      return `pid ${pid} now belongs to another process than the one that took the lock`;
    }
    if (sinceBoot >= holderStartUptimeMs - 3000) return undefined;
  }
  // `ps` tells a start to the second only: two seconds' margin there.
  const margin = sinceBoot === undefined ? 2000 : Math.min(marginMs, 2000);
  return facts.startedMs > acquiredMs + margin
    ? `pid ${pid} now belongs to a process started after the lock was taken`
    : undefined;
}

/** The lock's fields, or `undefined` when the text is not a lock runrec could have written. */
function parseLock(text: string): LockInfo | undefined {
  let info;
  try {
    info = JSON.parse(text);
  } catch {
    return undefined;
  }
  const valid = typeof info === "object" && info !== null &&
    typeof info.holder === "string" && typeof info.acquired === "string" &&
    Number.isFinite(Date.parse(info.acquired)) && typeof info.lease_duration_s === "number" &&
    Number.isSafeInteger(info.pid) && info.pid > 0; // kill(0 or -1, ...) would ask a group
  if (!valid) return undefined;
  return {
    holder: info.holder,
    acquired: info.acquired,
    lease_duration_s: info.lease_duration_s,
    pid: info.pid,
    deliverable_id: String(info.deliverable_id ?? ""),
    schema_version: String(info.schema_version ?? ""),
    hostname: typeof info.hostname === "string" ? info.hostname : "",
    token: String(info.token ?? ""),
    pid_start_uptime_ms: Number.isSafeInteger(info.pid_start_uptime_ms)
      ? info.pid_start_uptime_ms
      : undefined,
    held_open: info.held_open === true,
  };
}

/** What kind of thing a non-file is, for messages. */
function kindOf(stat: Deno.FileInfo): string {
  if (stat.isDirectory) return "a directory";
  if (stat.isFifo) return "a FIFO";
  if (stat.isSocket) return "a socket";
  if (stat.isBlockDevice || stat.isCharDevice) return "a device";
  return "not a regular file";
}

/**
 * Reads a regular file of at most `limit` bytes; `undefined` when it is
 * longer, or is no longer the file `stat` describes.
 */
function readSmallFile(path: string, stat: Deno.FileInfo, limit: number): string | undefined {
  // Opened only after lstat said "regular file": opening a FIFO would block for a writer.
  const file = Deno.openSync(path);
  try {
    if (file.statSync().ino !== stat.ino) return undefined;
    const bytes = new Uint8Array(limit + 1);
    let length = 0;
    let n: number | null;
    while (length < bytes.length && (n = file.readSync(bytes.subarray(length))) !== null) {
      length += n;
    }
    return length > limit ? undefined : new TextDecoder().decode(bytes.subarray(0, length));
  } finally {
    file.close();
  }
}

/** Judges what is at `path` now (see the module documentation). */
function judge(path: string): Verdict {
  let stat: Deno.FileInfo;
  try {
    stat = Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { kind: "free" };
    const message = (e as Error).message;
    return { kind: "unusable", detail: `cannot inspect the lock: ${message}`, holder: "unknown" };
  }
  const now = Date.now();
  const mtimeMs = stat.mtime?.getTime() ?? 0;
  if (stat.isSymlink) {
    let target: string;
    try {
      target = Deno.readLinkSync(path);
    } catch {
      target = "?";
    }
    return {
      kind: "orphan",
      reason: `a symbolic link to ${noteText(target)}, not a lock; the link removed`,
      of: "no holder",
      identity: { ino: stat.ino, mtimeMs, content: target },
    };
  }
  if (!stat.isFile) {
    const what = kindOf(stat);
    return {
      kind: "unusable",
      detail: `${what}, not a lock file: runrec does not remove it; remove it so that records ` +
        `can be written`,
      holder: what,
    };
  }
  let text: string | undefined;
  try {
    text = readSmallFile(path, stat, MAX_LOCK_BYTES);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { kind: "free" };
    // Unreadable (another user's): its holder and lease are unknown; the longest lease counts.
    const leaseEnd = mtimeMs + MAX_LEASE_S * 1000;
    if (Math.abs(now - mtimeMs) > MAX_LEASE_S * 1000) {
      return {
        kind: "orphan",
        reason: `an unreadable lock older than the longest lease, ${MAX_LEASE_S}s`,
        of: "unknown holder",
        identity: { ino: stat.ino, mtimeMs },
      };
    }
    return {
      kind: "held",
      detail: `cannot read the lock (${(e as Error).message}); counted as held until ` +
        `${MAX_LEASE_S}s after its last change`,
      holder: "unknown (lock file not readable)",
      leaseEnd,
    };
  }
  const info = text === undefined ? undefined : parseLock(text);
  if (!info) {
    const what = text === ""
      ? "empty"
      : text === undefined
      ? `over ${MAX_LOCK_BYTES} bytes`
      : "not a lock runrec writes";
    // A writer fills its lock right after creating it: only an old one is left over.
    if (Math.abs(now - mtimeMs) < WRITE_GRACE_MS) {
      return {
        kind: "held",
        detail: `${what}, perhaps being written`,
        holder: "unknown (lock file being written)",
        leaseEnd: mtimeMs + WRITE_GRACE_MS,
      };
    }
    return {
      kind: "orphan",
      reason: `${what}, last changed ${WRITE_GRACE_MS / 1000}s or more ago`,
      of: "unknown holder",
      identity: { ino: stat.ino, mtimeMs, content: text },
    };
  }
  const identity = { ino: stat.ino, mtimeMs, content: text };
  const of = `${noteText(info.holder)} pid ${info.pid} on ${noteText(info.hostname)} taken ` +
    noteText(info.acquired);
  const acquiredMs = Date.parse(info.acquired);
  const leaseEnd = acquiredMs + info.lease_duration_s * 1000;
  const held = (detail: string): Verdict => ({
    kind: "held",
    detail,
    holder: info.holder,
    deliverableId: info.deliverable_id,
    leaseEnd,
  });
  // This process's own pid runs whatever thread took the lock, a Worker ended while holding it
  // included: the lock file's flock tells whether its taker holds it open still. A stalled one
  // (inside its write) does, and is never taken over; where flock cannot tell, the lease decides.
  const ours = info.pid === Deno.pid && info.hostname === hostname();
  if (ours) {
    const open = info.held_open ? heldInThisProcess(path) : undefined;
    // Taken before this process started: by one gone since (a container's restarted under its pid).
    const gone = open === true
      ? undefined
      : notTheHolder(info.pid, acquiredMs, info.pid_start_uptime_ms);
    if (gone) return { kind: "orphan", reason: gone, of, identity };
    if (open === false) {
      const reason = "taken in this process, and no thread of it holds it open: a Worker ended " +
        "while holding it";
      return { kind: "orphan", reason, of, identity };
    }
    if (open) {
      return held(
        `taken in this process (pid ${info.pid}: another task or a Worker of it), which holds ` +
          "it open; a live holder is never taken over",
      );
    }
  }
  if (info.hostname === hostname() && info.hostname !== "unknown" && !ours) {
    const alive = pidAlive(info.pid);
    if (alive === false) {
      return { kind: "orphan", reason: `pid ${info.pid} no longer runs`, of, identity };
    }
    // An append holds the lock for milliseconds: one held over a second may be a zombie's or a
    // stopped process's. Asked no sooner: each waiter judges the lock many times a second.
    const heldLong = now - acquiredMs > ZOMBIE_CHECK_AFTER_MS;
    if (alive && heldLong && isZombie(info.pid)) {
      return { kind: "orphan", reason: `pid ${info.pid} exited (a zombie)`, of, identity };
    }
    if (alive) {
      // Within its lease a live pid is taken for the holder; its start (a process) is asked only
      // after.
      const reason = now > leaseEnd
        ? notTheHolder(info.pid, acquiredMs, info.pid_start_uptime_ms)
        : undefined;
      if (reason) return { kind: "orphan", reason, of, identity };
      // A holder stopped (Ctrl-Z, SIGSTOP) holds the lock until it is let go on.
      const stopped = heldLong && processFacts(info.pid)?.stopped
        ? ` but is stopped (kill -CONT ${info.pid} lets it finish)`
        : "";
      return held(
        `pid ${info.pid} on this host runs${stopped}; a live holder is never taken over`,
      );
    }
  }
  if (!(info.lease_duration_s > 0 && info.lease_duration_s <= MAX_LEASE_S)) {
    const reason = `lease ${noteText(String(info.lease_duration_s))}s outside 0-${MAX_LEASE_S}s`;
    return { kind: "orphan", reason, of, identity };
  }
  if (acquiredMs > now + MAX_CLOCK_SKEW_MS) {
    return { kind: "orphan", reason: "acquired in the future", of, identity };
  }
  if (now > leaseEnd) {
    const whose = ours ? " (taken in this process: a Worker ended while holding it?)" : "";
    return { kind: "orphan", reason: `lease expired${whose}`, of, identity };
  }
  if (ours) {
    return held(
      `taken in this process (pid ${info.pid}: a Worker of it); taken over when its lease ends ` +
        `at ${new Date(leaseEnd).toISOString()}`,
    );
  }
  return held(
    `lease of host ${noteText(info.hostname) || "unknown"} not expired: it ends at ` +
      `${new Date(leaseEnd).toISOString()}, when the lock is taken over`,
  );
}

/** Whether what is at `path` is still the thing judged: same inode, same content. */
function unchanged(path: string, identity: Identity): boolean {
  try {
    const stat = Deno.lstatSync(path);
    if (stat.ino !== identity.ino || (stat.mtime?.getTime() ?? 0) !== identity.mtimeMs) {
      return false;
    }
    if (stat.isSymlink) return Deno.readLinkSync(path) === identity.content;
    if (identity.content === undefined) return stat.isFile; // not read when judged: not compared
    return stat.isFile && readSmallFile(path, stat, MAX_LOCK_BYTES) === identity.content;
  } catch {
    return false;
  }
}

/**
 * Writes a new lock file with `O_CREAT|O_EXCL`; `undefined` when something
 * is already at `path`. A lock created but not filled (full disk) is removed:
 * it would hold others off for the write grace. The file is left open, with
 * its `flock` taken before its bytes (`bytesFor`, told whether it holds it)
 * are written: the holder closes it once the lock is removed (see
 * {@linkcode heldInThisProcess}).
 */
function createLock(
  path: string,
  bytesFor: (heldOpen: boolean) => Uint8Array,
): { stat: Deno.FileInfo; file: Deno.FsFile; bytes: Uint8Array } | undefined {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { createNew: true, write: true });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return undefined;
    throw e;
  }
  let filled = false;
  try {
    let heldOpen = false;
    try {
      // Asked from another open file too: NFS makes flock a lock of the process, which any
      // thread of it gets (and any close lets go of): the lease decides there.
      heldOpen = file.tryLockSync(true) && heldInThisProcess(path) === true;
    } catch { /* a file system without flock: the lease decides there */ }
    const bytes = bytesFor(heldOpen);
    let written = 0;
    while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
    const stat = file.statSync();
    filled = true;
    return { stat, file, bytes };
  } finally {
    if (!filled) {
      file.close();
      Deno.removeSync(path);
    }
  }
}

/**
 * Whether a thread of this process holds the lock file at `path` open (its
 * `flock`, which {@linkcode createLock} takes, is released only when the file
 * is closed: by its taker once done, or by the system when the taker's Worker
 * ended, or its process did); `undefined` where the file system cannot say.
 * A thread stalled inside its write still holds it.
 */
function heldInThisProcess(path: string): boolean | undefined {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch {
    return undefined;
  }
  try {
    return !file.tryLockSync(true);
  } catch {
    return undefined;
  } finally {
    file.close();
  }
}

/** Builds the bytes of a lock file for this process. */
function lockBytes(options: LockOptions, lease: number, heldOpen: boolean): Uint8Array {
  const info: LockInfo = {
    holder: options.holder,
    acquired: new Date().toISOString(),
    lease_duration_s: lease,
    pid: Deno.pid,
    deliverable_id: options.deliverableId,
    schema_version: SCHEMA_VERSION,
    hostname: hostname(),
    token: crypto.randomUUID(),
    pid_start_uptime_ms: startUptimeMs(),
    ...heldOpen ? { held_open: true } : {},
  };
  return new TextEncoder().encode(JSON.stringify(info));
}

/**
 * Removes the orphan judged, unless it changed since. A breaker lock, taken
 * with `O_EXCL` and judged by the same rules, keeps two recoverers from both
 * removing: the second would remove the first one's fresh lock. Returns
 * whether the orphan is gone.
 */
function breakOrphan(path: string, identity: Identity, options: LockOptions): boolean {
  const breakerPath = `${path}.break`;
  const breakerOptions = { ...options, holder: `${options.holder} (recovering)` };
  const breaker = createLock(breakerPath, (open) => lockBytes(breakerOptions, 10, open));
  if (!breaker) {
    const verdict = judge(breakerPath);
    // A recoverer that died mid-recovery left its breaker: remove it and try again later.
    if (verdict.kind === "orphan" && unchanged(breakerPath, verdict.identity)) {
      Deno.removeSync(breakerPath);
    } else if (verdict.kind === "unusable") {
      throw new Error(`${breakerPath}: ${verdict.detail}`);
    }
    return false;
  }
  try {
    if (!unchanged(path, identity)) return false;
    Deno.removeSync(path);
    return true;
  } finally {
    Deno.removeSync(breakerPath);
    breaker.file.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Takes the lock at `path`: recovers orphans (noted in `recoveries`), waits
 * for a holder up to `waitMs`, and throws {@linkcode LockRefusedError} when
 * it does not get the lock (at once when the path holds something that is not
 * a lock, such as a folder). Other file-system errors are thrown as they are.
 *
 * @example
 * ```ts
 * import { acquireLock } from "./lock.ts";
 * const lock = await acquireLock("/tmp/RunRecords.csv.lock", {
 *   deliverableId: "DEL-01-02",
 *   holder: "example",
 * });
 * try {
 *   if (lock.stillHeld()) {
 *     // append here
 *   }
 * } finally {
 *   await lock.release();
 * }
 * ```
 */
export async function acquireLock(path: string, options: LockOptions): Promise<HeldLock> {
  const lease = options.leaseSeconds ?? DEFAULT_LEASE_S;
  if (!(lease >= 1 && lease <= MAX_LEASE_S)) {
    throw new OptionError((name) =>
      `${name("leaseSeconds")}: must be a number of seconds from 1 to ${MAX_LEASE_S}, got ${lease}`
    );
  }
  const started = Date.now();
  const deadline = started + (options.waitMs ?? DEFAULT_WAIT_MS);
  const recoveries: string[] = [];
  let quickRetries = 0;
  let delay = 2;
  let told = false;
  while (true) {
    const created = createLock(path, (open) => lockBytes(options, lease, open));
    if (created) return heldLock(path, created, recoveries);
    let verdict = judge(path);
    // Released or recovered just now: try again at once, a few times (others may be quicker).
    if (verdict.kind === "free" && quickRetries++ < 5) continue;
    if (verdict.kind === "orphan") {
      if (breakOrphan(path, verdict.identity, options)) {
        recoveries.push(`recovered orphaned lock (${verdict.reason}) of ${verdict.of}`);
        if (quickRetries++ < 5) continue;
      }
      verdict = { kind: "held", detail: "an orphan being recovered", holder: verdict.of };
    }
    const now = Date.now();
    const report: ContentionReport = {
      deliverable_id: (verdict.kind === "held" && verdict.deliverableId) || options.deliverableId,
      holder: verdict.kind === "free" ? "unknown" : noteText(verdict.holder),
      lease_remaining_s: verdict.kind === "held" && verdict.leaseEnd !== undefined
        ? Math.max(0, Math.round((verdict.leaseEnd - now) / 1000))
        : 0,
      contention_time: new Date(now).toISOString(),
    };
    if (verdict.kind === "unusable") {
      throw new LockRefusedError(path, "unusable", report, verdict.detail);
    }
    if (now >= deadline) {
      const detail = verdict.kind === "held" ? verdict.detail : "taken and released repeatedly";
      throw new LockRefusedError(
        path,
        "held",
        report,
        `held by ${report.holder} (${detail}); gave up after ` +
          `${((now - started) / 1000).toFixed(1)}s`,
      );
    }
    if (!told && now - started >= 200 && options.onWait) {
      told = true; // held for a while: a long wait may follow, so say so once
      try {
        options.onWait(report);
      } catch (e) {
        // A caller's notice that fails is its own: the wait goes on, and no lock is given up.
        // Said on one line, whatever was thrown: an object String() cannot take threw again here.
        leaveWarning(oneLine(`onLockWait threw: ${thrownMessage(e)}`));
      }
    }
    // Jittered, growing pauses spread contending writers out; never past the deadline.
    await sleep(Math.min(delay + Math.random() * delay, deadline - now));
    delay = Math.min(delay * 2, LONGEST_LOCK_PAUSE_MS / 2);
  }
}

/** The handle of a lock this process created: `bytes` at the inode of `created`, held open. */
function heldLock(
  path: string,
  created: { stat: Deno.FileInfo; file: Deno.FsFile; bytes: Uint8Array },
  recoveries: readonly string[],
): HeldLock {
  const { bytes } = created;
  const text = new TextDecoder().decode(bytes);
  const ino = created.stat.ino;
  const stillHeld = () => {
    try {
      const stat = Deno.lstatSync(path);
      return stat.isFile && stat.ino === ino && stat.size === bytes.length &&
        readSmallFile(path, stat, bytes.length) === text;
    } catch {
      return false;
    }
  };
  return {
    path,
    recoveries,
    stillHeld,
    release: () => {
      // Only our own: another holder may have recovered it (another host, after our lease).
      try {
        if (stillHeld()) Deno.removeSync(path);
      } catch { /* gone already */ }
      try {
        created.file.close(); // its flock with it, once it is removed: never a live lock's
      } catch { /* released twice */ }
      return Promise.resolve();
    },
  };
}
