/**
 * Processes held at a system call until the test lets them go: the hold ends
 * on the test's word, not after a fixed time, so a loaded machine changes how
 * long a test takes, never what it sees.
 *
 * The process starts stopped (`kill -STOP` in the shell that then `exec`s
 * it), strace attaches to it (`-p`) with the calls named delayed a minute, and
 * it goes on. `held` waits until strace's trace shows the process at the
 * call; `release` stops strace, which detaches, and the call is made. As the
 * test's own child, not strace's, the process lives on after strace ends.
 *
 * @module
 */
import { join } from "node:path";
import { tempDir } from "../fixtures.ts";

/** How long a wait for an event may take before the test fails, however loaded the machine. */
export const EVENT_DEADLINE_MS = 30_000;

/**
 * Waits until `ready` holds, looking every 10 ms; throws naming `what` after
 * {@link EVENT_DEADLINE_MS}.
 *
 * @example
 * ```ts
 * import { waitFor } from "./held.ts";
 * await waitFor(() => Deno.lstat("/tmp").then(() => true), "/tmp");
 * ```
 */
export async function waitFor(
  ready: () => boolean | Promise<boolean>,
  what: string | (() => string),
): Promise<void> {
  const deadline = performance.now() + EVENT_DEADLINE_MS;
  while (!(await ready())) {
    if (performance.now() > deadline) {
      throw new Error(
        `gave up waiting ${EVENT_DEADLINE_MS / 1000} s: ${
          typeof what === "string" ? what : what()
        }`,
      );
    }
    await new Promise((r) => setTimeout(r, 10)); // polled: `ready` is the event
  }
}

/**
 * A line of `/proc/<pid>/status` (`TracerPid`, `State`), or "" once the process is gone. Read by
 * `cat`: Deno lets a test read `/proc` only with every permission.
 */
async function procStatus(pid: number, field: string): Promise<string> {
  const { stdout } = await new Deno.Command("cat", {
    args: [`/proc/${pid}/status`],
    stdout: "piped",
    stderr: "null",
  }).output();
  const status = new TextDecoder().decode(stdout);
  return new RegExp(`^${field}:[ \t]*(.*)$`, "m").exec(status)?.[1] ?? "";
}

/** What {@link spawnHeld} holds: `calls` of the process (and its children) on `path`. */
export interface HoldOptions {
  /** The calls, as strace names them: `"unlink,unlinkat"`. */
  calls: string;
  /** The path they are made on, as the process names it (strace's `-P` matches it so). */
  path: string;
  /** More paths whose calls are held, timed and signalled as `path`'s (a `-P` each). */
  paths?: string[];
  /** Which of those calls to hold, as strace's `when=` (`"2"`, `"2+"`); every one by default. */
  when?: string;
  /** Held once made, its answer not yet returned (`delay_exit`), rather than before it is made. */
  afterMade?: boolean;
  /** The process's folder. */
  cwd?: string;
  /** Variables added to the process's environment. */
  env?: Record<string, string>;
  /** Its standard output: `"piped"` to read it, `"null"` by default. */
  stdout?: "piped" | "null";
  /** Calls on `path` held a fixed time, in microseconds, as strace's `delay_enter` (`unlink`: 5e6). */
  timed?: Record<string, number>;
  /**
   * Held by a SIGSTOP strace sends as the call is made (it is made, then the process stops), and
   * let go by SIGCONT: strace stays attached, so `signals` and later holds still apply. Without
   * it, `release` detaches strace and nothing more is held or sent.
   */
  byStop?: boolean;
  /** Signals strace sends at calls on `path`, as `signal=`: `{ "unlink,unlinkat": "KILL" }`. */
  signals?: Record<string, string>;
}

/** A process held at a call: see {@link spawnHeld}. */
export interface HeldProcess {
  /** The process itself (its stderr is piped). */
  child: Deno.ChildProcess;
  /** Waits until the process has begun `times` of `calls` (of the held ones by default). */
  held(times: number, what: string, calls?: string): Promise<void>;
  /** Waits until the process has made `times` of `calls` and had their answers. */
  made(times: number, what: string, calls?: string): Promise<void>;
  /**
   * Lets the held call be made, and every later one, at once; the trace so far. Held `byStop`:
   * lets the stopped process go on, and a later held call stops it again.
   */
  release(): Promise<string>;
  /** Waits until strace has ended (with the process, or by `release`); its whole trace. */
  ended(): Promise<string>;
  /** strace's trace so far. */
  trace(): string;
}

/**
 * Starts `argv` with `options.calls` on `options.path` held (a minute at
 * most) until `release()`.
 *
 * @example
 * ```ts
 * import { spawnHeld } from "./held.ts";
 * const rm = await spawnHeld(["rm", "f"], { calls: "unlink,unlinkat", path: "f", cwd: "/tmp/x" });
 * await rm.held(1, "rm at its unlink");
 * // ... "/tmp/x/f" is still there ...
 * await rm.release();
 * await rm.child.status;
 * ```
 */
export async function spawnHeld(argv: string[], options: HoldOptions): Promise<HeldProcess> {
  const traceFile = join(await tempDir({ prefix: "runrec-held-" }), "trace");
  const child = new Deno.Command("sh", {
    args: ["-c", 'kill -STOP $$ && exec "$@"', "sh", ...argv],
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: options.stdout ?? "null",
    stderr: "piped",
  }).spawn();
  const pid = child.pid;
  await waitFor(
    async () => (await procStatus(pid, "State")).startsWith("T"),
    `${argv[0]} started stopped`,
  );
  const when = options.when === undefined ? "" : `:when=${options.when}`;
  const hold = options.byStop
    ? "signal=STOP"
    : `${options.afterMade ? "delay_exit" : "delay_enter"}=60000000`;
  const timed = Object.entries(options.timed ?? {}).flatMap((
    [calls, us],
  ) => ["-e", `inject=${calls}:delay_enter=${us}`]);
  const signals = Object.entries(options.signals ?? {}).flatMap((
    [calls, signal],
  ) => ["-e", `inject=${calls}:signal=${signal}`]);
  const traced = [
    options.calls,
    ...Object.keys(options.timed ?? {}),
    ...Object.keys(options.signals ?? {}),
  ].join(",");
  const strace = new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", traceFile, "-p", String(pid), "-P", options.path],
      ...(options.paths ?? []).flatMap((path) => ["-P", path]),
      ...["-e", `trace=${traced}`],
      ...["-e", `inject=${options.calls}:${hold}${when}`, ...timed, ...signals],
    ],
    cwd: options.cwd, // where a relative -P path is resolved, for the calls made on a descriptor
    stdout: "null",
    stderr: "null",
  }).spawn();
  await waitFor(
    async () => (await procStatus(pid, "TracerPid")) === String(strace.pid),
    `strace attached to ${argv[0]}`,
  );
  Deno.kill(pid, "SIGCONT");
  const trace = () => {
    try {
      return Deno.readTextFileSync(traceFile);
    } catch {
      return "";
    }
  };
  const names = (calls: string) => calls.replaceAll(",", "|");
  // A call's line: `PID name(args` when it begins, `) = answer` (or, when another process's
  // line came between, `PID <... name resumed>) = answer`) once it is made.
  const count = (pattern: RegExp) => (trace().match(pattern) ?? []).length;
  const waitCount = (pattern: RegExp, times: number, what: string) =>
    waitFor(
      () => count(pattern) >= times,
      () => `${what}; strace's trace:\n${trace().slice(-2000)}`,
    );
  // Held by stop: the thread that made the `times`th held call has stopped since (each thread
  // of the process says so in the trace; the others' stops are not counted).
  const stoppedAfter = (times: number, calls: string) => {
    const text = trace();
    const made = [...text.matchAll(new RegExp(`^(\\d+) +(?:${names(calls)})\\(`, "gm"))][times - 1];
    if (made === undefined) return false;
    return new RegExp(`^${made[1]} +--- stopped by SIGSTOP ---$`, "m").test(text.slice(made.index));
  };
  const ended = async () => {
    await strace.status;
    return trace();
  };
  return {
    child,
    trace,
    ended,
    held: async (times, what, calls = options.calls) => {
      await waitCount(new RegExp(`^\\d+ +(?:${names(calls)})\\(`, "gm"), times, what);
      if (options.byStop && calls === options.calls) {
        await waitFor(
          () => stoppedAfter(times, calls),
          () => `${what} (stopped); strace's trace:\n${trace().slice(-2000)}`,
        );
      }
    },
    made: (times, what, calls = options.calls) =>
      waitCount(
        new RegExp(
          `^\\d+ +(?:(?:${names(calls)})\\(|<\\.\\.\\. (?:${names(calls)}) resumed>).* = .*$`,
          "gm",
        ),
        times,
        what,
      ),
    release: async () => {
      if (options.byStop) {
        Deno.kill(pid, "SIGCONT");
        return trace();
      }
      try {
        strace.kill("SIGINT");
      } catch { /* it ended */ }
      return await ended();
    },
  };
}

/** Where `git` is, as a process started by name finds it on this process's PATH. */
export function gitOnPath(): string {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(join(dir, "git")).isFile) return join(dir, "git");
    } catch { /* not here */ }
  }
  throw new Error("git not on PATH");
}

/** A gate for the gits a process starts: see {@link gitGate}. */
export interface GitGate {
  /** The environment that sends a process's `git` through the gate (its PATH). */
  env: Record<string, string>;
  /** From now on, each git started waits at the gate. */
  close(): Promise<void>;
  /** The gits waiting go on, and later ones do not wait. */
  open(): Promise<void>;
  /** Waits until a git has come to the gate closed: the process is asking git. */
  asked(what: string): Promise<void>;
}

/**
 * A `git` first on PATH (in {@link GitGate.env}) that, while the gate is
 * closed, notes that it was started and waits for it to open before it runs
 * the real git: a process held while it asks git, as long as the test needs.
 *
 * @example
 * ```ts
 * import { gitGate } from "./held.ts";
 * const gate = await gitGate();
 * await gate.close();
 * const child = new Deno.Command("git", { args: ["--version"], env: gate.env }).spawn();
 * await gate.asked("git --version");
 * await gate.open();
 * await child.status;
 * ```
 */
export async function gitGate(): Promise<GitGate> {
  const dir = await tempDir({ prefix: "runrec-git-gate-" });
  const closed = join(dir, "closed");
  const asked = join(dir, "asked");
  const script = [
    "#!/bin/sh",
    `if [ -e '${closed}' ]; then`,
    `  echo "$$" >> '${asked}'`,
    `  while [ -e '${closed}' ]; do sleep 0.01; done`,
    "fi",
    `exec '${gitOnPath()}' "$@"`,
    "",
  ].join("\n");
  await Deno.mkdir(join(dir, "bin"));
  await Deno.writeTextFile(join(dir, "bin", "git"), script, { mode: 0o755 });
  return {
    env: { PATH: `${join(dir, "bin")}:${Deno.env.get("PATH") ?? ""}` },
    close: () => Deno.writeTextFile(closed, ""),
    open: () => Deno.remove(closed),
    asked: (what) =>
      waitFor(() => Deno.lstat(asked).then((info) => info.size > 0, () => false), what),
  };
}

/** How a child process ended, and what it wrote. */
export interface ChildEnd {
  /** Its exit status (`signal` set when it was killed). */
  status: Deno.CommandStatus;
  /** Its standard output, as text. */
  stdout: string;
  /** Its standard error, as text. */
  stderr: string;
}

/**
 * The end of `child` (spawned with stdout and stderr piped), killed by SIGKILL if it has not
 * ended within `ms`: the bound of a test whose process once waited for ever.
 *
 * @example
 * ```ts
 * import { endWithin } from "./held.ts";
 * const child = new Deno.Command("true", { stdout: "piped", stderr: "piped" }).spawn();
 * const { status } = await endWithin(child);
 * status.code; // 0
 * ```
 */
export async function endWithin(child: Deno.ChildProcess, ms = 60_000): Promise<ChildEnd> {
  const bound = setTimeout(() => child.kill("SIGKILL"), ms);
  try {
    const [status, stdout, stderr] = await Promise.all([
      child.status,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    return { status, stdout, stderr };
  } finally {
    clearTimeout(bound);
  }
}

/**
 * Kills each of `pids` that still runs (a zombie has ended) and returns those: the processes a
 * test's subject should have ended and did not.
 *
 * @example
 * ```ts
 * import { killRunning } from "./held.ts";
 * await killRunning([]); // []
 * ```
 */
export async function killRunning(pids: readonly number[]): Promise<number[]> {
  const left: number[] = [];
  for (const pid of pids) {
    if ((await procStatus(pid, "State")).match(/^$|^Z/)) continue;
    left.push(pid);
    Deno.kill(pid, "SIGKILL");
  }
  return left;
}

/**
 * Waits until no process has `pid` (one not this process's child, so not awaitable: a killed
 * command reparented to init is reaped by it).
 *
 * @example
 * ```ts
 * import { processGone } from "./held.ts";
 * await processGone(2 ** 22 + 1); // above pid_max: gone at once
 * ```
 */
export async function processGone(pid: number): Promise<void> {
  while (true) {
    try {
      Deno.kill(pid, 0 as unknown as Deno.Signal);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
