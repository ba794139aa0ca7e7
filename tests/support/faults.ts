/**
 * The fault-injection harness: runs one write path of the CLI (`emit`,
 * `finish`, `exec`, an emit that replays the spool, `flush`, `flush --from`,
 * `annotate`, `start`, `reap`) under `strace` in a git repository, finds
 * every file-system system call it makes on the project's files (`.git`'s
 * RunID notes included) or the spool, and for each of them fails it (EIO,
 * ENOSPC, EINTR) or kills the process right before or right after it. A short write is made real with a
 * tiny tmpfs. After each case it runs the follow-up a user would (`flush`,
 * `reap`, another `emit`, `verify`) and checks runrec's promises on the file.
 *
 * `strace` counts system calls per call name and per thread (`when=N` is the
 * N-th `openat` of a thread, say): a site is the N-th call of its name in the
 * thread that made it in a traced run of the same path, and each case's own
 * trace says whether the fault landed on the file of that site.
 *
 * @module
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../../src/cli/permissions.ts";
import { CLI_ENTRY } from "./cli_entry.ts";
import { emitRecord } from "../../src/hook.ts";
import { pidAlive } from "../../src/lock.ts";
import { readRecords } from "../../src/reader.ts";
import { startRun } from "../../src/run.ts";
import { lostRecordLine, newSpoolEntry, SPOOL_FOLDER, spoolRecord } from "../../src/spool.ts";
import { RECORD_FILE } from "../../src/deliverable.ts";
import { ANNOTATION_AGENT } from "../../src/annotation_shape.ts";
import { type CliResult, runCli } from "../cli.ts";
import { git, makeProject, sampleDraft, tempDir } from "../fixtures.ts";

/** The write paths the harness drives. */
export const PATHS = [
  "emit",
  "finish",
  "exec",
  "replay",
  "flush",
  "annotate",
  "flush-from",
  "start",
  "reap",
] as const;
/** One write path. */
export type PathName = typeof PATHS[number];

/** The faults tried at each site. */
export const FAULTS = ["EIO", "ENOSPC", "EINTR", "kill-before", "kill-after"] as const;
/** One fault. */
export type Fault = typeof FAULTS[number];

/** System calls whose failure the sweep tries (reads included: a failed read must not lose a record). */
export const SYSCALLS = [
  "open",
  "openat",
  "creat",
  "read",
  "write",
  "pwrite64",
  "writev",
  "fsync",
  "fdatasync",
  "rename",
  "renameat",
  "renameat2",
  "unlink",
  "unlinkat",
  "mkdir",
  "mkdirat",
  "link",
  "linkat",
  "ftruncate",
] as const;

/** A call to fault: the `nth` call named `syscall` in its thread, on `file`. */
export interface Site {
  syscall: string;
  nth: number;
  /** The file it touched, relative to the case folder (`project/...` or `tmp/...`). */
  file: string;
  /** Whether the call changes the file system: a write, sync, rename, removal, or an open to write. */
  writes?: boolean;
}

/** What one case found. */
export interface CaseResult {
  path: PathName;
  fault: Fault | "short-write";
  site: Site;
  /** Whether the fault hit the site's file (from the case's own trace). */
  landed: boolean;
  /** The promises broken; empty when all held. */
  violations: string[];
}

/** A deliverable prepared for one case, and what the check needs to know of it. */
interface Prepared {
  caseDir: string;
  root: string;
  del: string;
  env: Record<string, string>;
  args: string[];
  /** The agent of the record the path writes itself (none for flush). */
  agent?: string;
  /** Agents of records already spooled: each must end in the file exactly once. */
  spooled: string[];
  /** The record file's bytes before the case. */
  before: Uint8Array;
}

/** The file of a case folder that holds saved lost-record lines, for `flush --from`. */
const LOST_LINES = "lost-records.txt";

const RUNREC = [Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY];
const decoder = new TextDecoder();

let inProcess: Promise<unknown> = Promise.resolve();

/**
 * Runs `task` after every earlier one: work in this process that reads the
 * environment (the follow-up commands set it; temporary folders depend on it).
 */
function exclusive<T>(task: () => Promise<T>): Promise<T> {
  const run = inProcess.then(task);
  inProcess = run.catch(() => {});
  return run;
}

/**
 * Runs the CLI in this process with `env` set: the follow-up commands, one
 * at a time (the environment is the process's), without a process start each.
 */
function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return exclusive(async () => {
    const saved = Object.keys(env).map((k) => [k, Deno.env.get(k)] as const);
    for (const [k, value] of Object.entries(env)) Deno.env.set(k, value);
    try {
      return await runCli(args);
    } finally {
      for (const [k, value] of saved) {
        value === undefined ? Deno.env.delete(k) : Deno.env.set(k, value);
      }
    }
  });
}

/**
 * A fresh project for one case of `path` under `caseDir` (a tmpfs for the
 * short-write cases): one record already in the file, two records spooled
 * for `replay` and `flush`, a started run for `finish`.
 */
function prepare(path: PathName, caseDir?: string): Promise<Prepared> {
  return exclusive(() => prepareNow(path, caseDir));
}

async function prepareNow(path: PathName, caseDir?: string): Promise<Prepared> {
  caseDir ??= await tempDir({ prefix: "runrec-fault-" });
  const made = await makeProject();
  const root = join(caseDir, "project");
  // Copied, not renamed: the case folder may be a tmpfs of its own.
  const copied = await new Deno.Command("cp", { args: ["-a", made.root, root] }).output();
  if (!copied.success) throw new Error(`cp: ${decoder.decode(copied.stderr)}`);
  await Deno.remove(made.root, { recursive: true });
  const del = join(root, made.del.slice(made.root.length + 1));
  const tmp = join(caseDir, "tmp");
  await Deno.mkdir(tmp, { recursive: true });
  // A git repository, as users keep projects: appends then note their RunIDs in `.git` too.
  await git(root, "init", "-q");
  const before = await emitRecord(del, { agent: "BEFORE", status: "SUCCESS" });
  await git(root, "add", "-A");
  await git(root, "commit", "-q", "-m", "before");
  const file = join(del, RECORD_FILE);
  const spooled: string[] = [];
  if (path === "replay" || path === "flush") {
    for (const agent of ["SPOOLED1", "SPOOLED2"]) {
      const draft = sampleDraft({ DeliverableID: "DEL-01-02", AgentName: agent });
      spoolRecord(del, newSpoolEntry(file, draft, "an earlier fault"));
      spooled.push(agent);
    }
  }
  if (path === "flush-from") {
    // The lost-record lines an orchestrator saved from the stderr of emits that wrote nowhere.
    const lines = ["LOST1", "LOST2"].map((agent) => {
      spooled.push(agent);
      const draft = sampleDraft({ DeliverableID: "DEL-01-02", AgentName: agent });
      return lostRecordLine(newSpoolEntry(file, draft, "a full disk"));
    });
    await Deno.writeTextFile(join(caseDir, LOST_LINES), lines.join("\n") + "\n");
  }
  const env = { TMPDIR: tmp };
  const emit = ["emit", del, "--agent", "CASE", "--status", "SUCCESS", "--output", "Datasheet.md"];
  let args: string[];
  let agent: string | undefined = "CASE";
  if (path === "flush") {
    args = ["flush", del];
    agent = undefined;
  } else if (path === "flush-from") {
    args = ["flush", "--from", join(caseDir, LOST_LINES)];
    agent = undefined;
  } else if (path === "start") {
    args = ["start", del, "--agent", "CASE"];
  } else if (path === "reap") {
    // A run begun by a process that is gone: reap writes its FAILED record.
    await startRun(del, { agent: "CASE" });
    args = ["reap", del, "--older-than", "0s"];
  } else if (path === "finish") {
    const started = await startRun(del, { agent: "CASE" });
    args = ["finish", started.token!, "--status", "SUCCESS", "--output", "Datasheet.md"];
  } else if (path === "annotate") {
    args = ["annotate", del, before.record.RunID, "--note", "checked"];
    agent = ANNOTATION_AGENT;
  } else if (path === "exec") {
    args = ["exec", del, "--agent", "CASE", "--", "true"];
  } else {
    args = emit;
  }
  return { caseDir, root, del, env, args, agent, spooled, before: await Deno.readFile(file) };
}

/** The `strace` command line for `args` with the given tracing and injection options. */
function straced(p: Prepared, log: string, options: string[]): Deno.ChildProcess {
  return new Deno.Command("strace", {
    args: ["-f", "-qq", "-y", "-o", log, ...options, ...RUNREC, ...p.args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...p.env },
  }).spawn();
}

/** One parsed line of an `strace -f -y` log. */
interface TraceLine {
  tid: number;
  syscall: string;
  text: string;
}

/** The calls of a log, in order, each once (an `<unfinished ...>` call counted at its start). */
function parseTrace(log: string): TraceLine[] {
  const lines: TraceLine[] = [];
  for (const text of log.split("\n")) {
    const m = /^(\d+) +([a-z0-9_]+)\(/.exec(text);
    if (m) lines.push({ tid: Number(m[1]), syscall: m[2], text });
  }
  return lines;
}

/** The file of the case folder a trace line names (the first), relative to it. */
function fileIn(text: string, caseDir: string): string | undefined {
  const at = text.indexOf(`${caseDir}/`);
  if (at < 0) return undefined;
  const rest = text.slice(at + caseDir.length + 1);
  return /^[^"<>,)]*/.exec(rest)![0];
}

/** Replaces the parts of a file name that change between runs (ids, pids, hosts). */
function normalise(file: string): string {
  return file
    .replace(/\/[0-9]+-[0-9]+-[0-9]{4}-[0-9a-f]{8}\.json/, "/<entry>.json")
    .replace(/\/[0-9TZ]+-[0-9a-f]{8}\.json/, "/<run>.json")
    .replace(/\.claim-.*$/, ".claim-<pid>@<host>")
    .replace(/\.[0-9]+\.tmp$/, ".<pid>.tmp");
}

/**
 * Every site of `path`: one traced run of it, and each call of {@linkcode SYSCALLS}
 * that touched the project or the spool, numbered per thread and call name.
 */
export async function sitesOf(path: PathName): Promise<Site[]> {
  // Once untraced first: a module Deno has not yet cached is written to its cache on the first
  // run, writes a later run does not make, which would shift the call numbers of every site.
  const warm = await prepare(path);
  const warmed = await new Deno.Command(RUNREC[0], {
    args: [...RUNREC.slice(1), ...warm.args],
    stdout: "null",
    stderr: "null",
    env: { NO_COLOR: "1", ...warm.env },
  }).output();
  if (!warmed.success) throw new Error(`${path}: the untraced run failed`);
  await Deno.remove(warm.caseDir, { recursive: true });
  const p = await prepare(path);
  const log = join(p.caseDir, "trace.log");
  const child = straced(p, log, ["-e", `trace=${SYSCALLS.join(",")}`]);
  const out = await child.output();
  if (!out.success) {
    throw new Error(`${path}: the traced run failed: ${decoder.decode(out.stderr)}`);
  }
  const counts = new Map<string, number>();
  const sites: Site[] = [];
  for (const line of parseTrace(await Deno.readTextFile(log))) {
    const key = `${line.tid} ${line.syscall}`;
    const nth = (counts.get(key) ?? 0) + 1;
    counts.set(key, nth);
    const file = fileIn(line.text, p.caseDir);
    if (file === undefined) continue;
    const writes = !["open", "openat", "read"].includes(line.syscall) ||
      /O_WRONLY|O_RDWR|O_CREAT/.test(line.text);
    sites.push({ syscall: line.syscall, nth, file: normalise(file), writes });
  }
  await Deno.remove(p.caseDir, { recursive: true });
  return sites;
}

/**
 * Waits for the child, killing the traced process with SIGKILL once `pattern`
 * shows in its trace log (and `strace`, which would sit out its delay).
 */
async function killWhenLogged(child: Deno.ChildProcess, log: string, pattern: RegExp) {
  let done = false;
  const output = child.output().finally(() => done = true);
  while (!done) {
    const text = await Deno.readTextFile(log).catch(() => "");
    const m = pattern.exec(text);
    if (m) {
      const pid = Number(m[1]);
      try {
        Deno.kill(pid, "SIGKILL");
        child.kill("SIGKILL");
      } catch { /* it ended by itself */ }
      // The follow-up must not see the killed process as alive (it is reaped by init now).
      const end = Date.now() + 10_000;
      while (Date.now() < end && pidAlive(pid)) await new Promise((r) => setTimeout(r, 5));
      break;
    }
    await new Promise((r) => setTimeout(r, 5)); // polled: strace writes the line, then stalls
  }
  return await output;
}

/** Runs one injected case and checks the promises; the case folder is removed after. */
export async function runCase(path: PathName, site: Site, fault: Fault): Promise<CaseResult> {
  const p = await prepare(path);
  const log = join(p.caseDir, "case.log");
  const when = `when=${site.nth}`;
  const inject = fault === "kill-before"
    ? `signal=KILL:${when}`
    : fault === "kill-after"
    ? `delay_exit=60000000:${when}`
    : `error=${fault}:${when}`;
  const child = straced(p, log, [
    "-e",
    `trace=${site.syscall}`,
    "-e",
    `inject=${site.syscall}:${inject}`,
  ]);
  const out = fault === "kill-after"
    ? await killWhenLogged(child, log, /^(\d+) .*\(DELAYED\)$/m)
    : await child.output();
  const trace = await Deno.readTextFile(log).catch(() => "");
  const hit = fault === "kill-after"
    ? /^\d+ .*\(DELAYED\)$/m.exec(trace)?.[0]
    : fault === "kill-before"
    ? killedCall(trace, site.syscall)
    : /^\d+ .*\(INJECTED\)$/m.exec(trace)?.[0];
  const hitFile = hit === undefined ? undefined : fileIn(hit, p.caseDir);
  const landed = hitFile !== undefined && normalise(hitFile) === site.file;
  const stderr = decoder.decode(out.stderr);
  // A fault that missed the project's files can hit the runtime's own descriptors (the eventfd
  // that wakes Deno's I/O driver), and Deno panics: a crash of the process, judged as a kill.
  const runtimeCrash = hit !== undefined && hitFile === undefined &&
    /^thread '[^']*'.* panicked at /m.test(stderr);
  const killed = out.signal === "SIGKILL" || out.code === 137 || runtimeCrash;
  const violations = await checkAfter(p, {
    code: out.code,
    killed,
    stdout: decoder.decode(out.stdout),
    stderr,
  });
  await Deno.remove(p.caseDir, { recursive: true }).catch(() => {});
  return { path, fault, site, landed, violations };
}

/** The start of the call a thread was killed in (it shows as `= ?`), if any. */
function killedCall(trace: string, syscall: string): string | undefined {
  const lines = trace.split("\n");
  const at = lines.findIndex((l) => /^\d+ .*= \?$/.test(l));
  if (at < 0) return undefined;
  // strace pads a short thread id with spaces to its column: "3233  fsync(".
  const call = new RegExp(`^${lines[at].split(" ")[0]} +${syscall}\\(`);
  return lines.slice(0, at + 1).findLast((l) => call.test(l));
}

/** How the faulted run ended. */
interface RunEnd {
  code: number;
  killed: boolean;
  stdout: string;
  stderr: string;
}

/**
 * The follow-up a user would run after a failed or killed write, then the
 * promises, each broken one as a line: records reported written are in the
 * file once; no record twice; the old bytes unchanged; a torn tail reported
 * and the next record on its own line; a record not written spooled or
 * printed as a lost-record line (so in the file after the follow-up); the
 * lock free or recovered at once.
 */
async function checkAfter(p: Prepared, run: RunEnd): Promise<string[]> {
  const v: string[] = [];
  const file = join(p.del, RECORD_FILE);
  if (!run.killed && /^\s+at /m.test(run.stderr)) {
    v.push(`stack trace on stderr: ${run.stderr.slice(0, 300)}`);
  }
  // finish and reap may refuse when they cannot claim a pending run (EIO on the rename): one line
  // naming it, exit 2; the run stays pending and the next reap records it (checked below).
  const claimRefused = ["finish", "reap"].includes(p.args[0]) && run.code === 2 &&
    /^runrec (finish|reap): [^\n]*\.runrec\/pending\/[^\n]*\n$/.test(run.stderr);
  // annotate refuses when it cannot write its line (one line, exit 2); the file must be as it was,
  // and the same annotate run again writes it, or says it is there already.
  const annotate = p.args[0] === "annotate";
  const annotateRefused = annotate && run.code === 2 &&
    /^runrec annotate: [^\n]*\n$/.test(run.stderr);
  if (annotateRefused && !tornTailOnly(p.before, await Deno.readFile(file))) {
    v.push(`annotate refused (exit 2) and the record file changed: ${run.stderr.trim()}`);
  }
  // flush --from that cannot read its file (EIO on the saved lines) says so in one line, exit 2:
  // the lines are still there, and the same flush --from again (below) puts each back once.
  const fromUnread = p.args[1] === "--from" && run.code === 2 &&
    /^runrec flush: --from [^\n]*: cannot read: [^\n]*\n$/.test(run.stderr);
  if (
    !run.killed && run.code !== 0 && !(run.code === 1 && p.agent === undefined) &&
    !claimRefused && !annotateRefused && !fromUnread
  ) {
    v.push(`exit ${run.code} (a run must not fail because of its record): ${run.stderr.trim()}`);
  }
  const reported = [
    ...run.stdout.matchAll(/^(RUN-[A-Z0-9-]+)$/gm),
    ...run.stderr.matchAll(/recorded (RUN-[A-Z0-9-]+)/g),
    ...run.stdout.matchAll(/^(RUN-[A-Z0-9-]+) {2}replayed/gm),
  ].map((m) => m[1]);
  // The follow-up: lost-record lines appended, the spool flushed, runs whose process is gone reaped.
  if (run.stderr.includes("runrec: lost-record: ")) {
    const saved = join(p.caseDir, "saved-stderr.txt");
    await Deno.writeTextFile(saved, run.stderr);
    const from = await cli(["flush", "--from", saved], p.env);
    if (from.code !== 0) v.push(`flush --from: exit ${from.code}: ${from.stderr.trim()}`);
  }
  if (p.args[1] === "--from") {
    const again = await cli(p.args, p.env);
    if (again.code !== 0) v.push(`flush --from again: exit ${again.code}: ${again.stderr.trim()}`);
  }
  const flush = await cli(["flush", p.del], p.env);
  if (flush.code !== 0) v.push(`flush: exit ${flush.code}: ${flush.stderr.trim()}`);
  if (p.agent !== undefined) {
    const reap = await cli(["reap", p.del, "--older-than", "0s"], p.env);
    if (reap.code !== 0) v.push(`reap: exit ${reap.code}: ${reap.stderr.trim()}`);
  }
  if (annotate && (run.killed || annotateRefused)) {
    const again = await cli(p.args, p.env);
    if (again.code !== 0 && !/annotated so already/.test(again.stderr)) {
      v.push(`annotate again: exit ${again.code}: ${again.stderr.trim()}`);
    }
  }
  const tornBefore = await endsTorn(file);
  const check = await cli(["emit", p.del, "--agent", "CHECK", "--status", "SUCCESS"], p.env);
  if (check.code !== 0 || !/^RUN-/.test(check.stdout) || /spooled|LOST/.test(check.stderr)) {
    v.push(`the next emit was not written (lock not free?): ${check.stderr.trim()}`);
  }
  const verify = await cli(["verify", p.del], p.env);
  if (verify.code !== 0) {
    v.push(`verify: exit ${verify.code}: ${(verify.stdout + verify.stderr).trim()}`);
  }
  if (tornBefore && !/torn/i.test(verify.stdout + verify.stderr)) {
    v.push("a torn tail was not reported by verify");
  }
  // The file: old bytes kept, each record once, each lost one back.
  const bytes = await Deno.readFile(file);
  if (!p.before.every((b, i) => bytes[i] === b)) v.push("bytes already in the file changed");
  const agents = new Map<string, number>();
  const ids = new Map<string, number>();
  let unreadable = 0;
  for await (const event of readRecords(file)) {
    if (event.kind !== "record") {
      if (event.code !== "torn") unreadable++;
      continue;
    }
    const a = event.record.AgentName;
    agents.set(a, (agents.get(a) ?? 0) + 1);
    ids.set(event.record.RunID, (ids.get(event.record.RunID) ?? 0) + 1);
  }
  if (unreadable > 0) v.push(`${unreadable} line(s) neither a record nor a torn tail`);
  for (const [id, n] of ids) if (n > 1) v.push(`RunID ${id} ${n} times`);
  for (const id of reported) {
    if (ids.get(id) !== 1) v.push(`reported ${id} is in the file ${ids.get(id) ?? 0} times`);
  }
  const once = ["BEFORE", "CHECK", ...p.spooled];
  // A run that ended by itself, or that had a pending run to reap, is in the file once.
  // A run begun (start, or killed in its finish or reap) is recorded by the reap that follows.
  const begun = ["finish", "reap", "annotate"].includes(p.args[0]);
  if (p.agent && (!run.killed || begun)) once.push(p.agent);
  for (const a of once) {
    if (agents.get(a) !== 1) v.push(`${a}: ${agents.get(a) ?? 0} records, not 1`);
  }
  if (p.agent && (agents.get(p.agent) ?? 0) > 1) {
    v.push(`${p.agent}: ${agents.get(p.agent)} records`);
  }
  const spoolLeft = [join(p.del, SPOOL_FOLDER), join(p.env.TMPDIR, `runrec-spool-${Deno.uid()}`)]
    .flatMap((d) => listNames(d).filter((n) => n.includes(".json") && !n.endsWith(".tmp")));
  if (spoolLeft.length > 0) v.push(`left in the spool: ${spoolLeft.join(", ")}`);
  return v;
}

/**
 * Whether `after` is `before` and at most a torn tail: bytes with no line end
 * but the separator a torn last line gets (SCHEMA.md 7.1: a write cut short
 * leaves its bytes, never removed).
 */
function tornTailOnly(before: Uint8Array, after: Uint8Array): boolean {
  if (after.length < before.length || !before.every((b, i) => after[i] === b)) return false;
  const added = after.subarray(before.length);
  return added.indexOf(10, 1) < 0 && (added[0] !== 10 || added.length > 1 || added.length === 0);
}

/** Whether a file's last byte is not a newline (a torn tail). */
async function endsTorn(file: string): Promise<boolean> {
  const bytes = await Deno.readFile(file).catch(() => new Uint8Array([10]));
  return bytes.length > 0 && bytes[bytes.length - 1] !== 10;
}

function listNames(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * A real short write: the case runs on a tmpfs of its own, filled so that
 * the record file's last page holds `room` more bytes and one page (the
 * lock's; two for `exec`, whose start also writes) is free: the record's
 * `write` stores `room` bytes and returns that count. With `spoolOnDisk`
 * the user's spool is on that full tmpfs too, so the record has nowhere to
 * go but a lost-record line. Then the space is freed (the fault fixed) and
 * the follow-up checks run.
 */
export async function runShortWrite(
  path: PathName,
  room: number,
  spoolOnDisk = false,
): Promise<CaseResult> {
  const caseDir = await tempDir({ prefix: "runrec-short-" });
  const mount = (args: string[]) => new Deno.Command(args[0], { args: args.slice(1) }).output();
  const mounted = await mount(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", caseDir]);
  if (!mounted.success) throw new Error(`mount: ${decoder.decode(mounted.stderr)}`);
  try {
    const p = await prepare(path, caseDir);
    // The tmp folder (the user's spool) shares the full tmpfs only when asked: else moved out.
    const tmp = spoolOnDisk ? p.env.TMPDIR : await tempDir({ prefix: "runrec-short-tmp-" });
    p.env.TMPDIR = tmp;
    const file = join(p.del, RECORD_FILE);
    await padTo(p.del, file, room);
    p.before = await Deno.readFile(file);
    const filler = join(caseDir, "filler");
    // reap first keeps a marker (and its folder's .gitignore) in the temporary folder: on this disk
    // when the spool is.
    await fill(filler, (path === "exec" ? 2 : 1) + (spoolOnDisk && path === "reap" ? 2 : 0));
    const out = await new Deno.Command(RUNREC[0], {
      args: [...RUNREC.slice(1), ...p.args],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", ...p.env },
    }).output();
    const stderr = decoder.decode(out.stderr);
    const landed = new RegExp(`short write: ${room} of`).test(stderr);
    await Deno.remove(filler);
    const violations = await checkAfter(p, {
      code: out.code,
      killed: false,
      stdout: decoder.decode(out.stdout),
      stderr,
    });
    await Deno.remove(tmp, { recursive: true });
    const site = {
      syscall: "write",
      nth: 0,
      file: `project/.../${RECORD_FILE} (${room} bytes fit${spoolOnDisk ? ", spools full" : ""})`,
    };
    return { path, fault: "short-write", site, landed, violations };
  } finally {
    await mount(["umount", caseDir]);
    await Deno.remove(caseDir, { recursive: true }).catch(() => {});
  }
}

const PAGE = 4096;

/** Appends padding records until the file's last page has exactly `room` bytes left. */
async function padTo(del: string, file: string, room: number): Promise<void> {
  const gap = async () => {
    const size = (await Deno.stat(file)).size;
    return (((PAGE - room - size) % PAGE) + PAGE) % PAGE;
  };
  for (let i = 0; i < 3 && await gap() !== 0; i++) {
    // A record with a one-letter note measures the rest; a longer note then fills the gap.
    const before = (await Deno.stat(file)).size;
    await emitRecord(del, { agent: "PAD", status: "SUCCESS", notes: "x" });
    const length = (await Deno.stat(file)).size - before;
    const want = await gap();
    if (want === 0) return;
    const extra = want >= length ? want - length : want + PAGE - length;
    await emitRecord(del, { agent: "PAD", status: "SUCCESS", notes: "x".repeat(extra + 1) });
  }
  if (await gap() !== 0) throw new Error(`could not leave ${room} bytes in ${file}'s last page`);
}

/** Fills the file system of `filler` until only `pages` pages are free. */
async function fill(filler: string, pages: number): Promise<void> {
  const handle = await Deno.open(filler, { createNew: true, write: true });
  const chunk = new Uint8Array(PAGE);
  let size = 0;
  try {
    while (true) size += await handle.write(chunk);
  } catch (e) {
    if (!(e instanceof Error) || !/No space/.test(e.message)) throw e;
  } finally {
    handle.close();
  }
  await Deno.truncate(filler, Math.max(0, Math.floor(size / PAGE) * PAGE - pages * PAGE));
}

/** One case to run: a site of a path and a fault. */
export interface FaultCase {
  path: PathName;
  site: Site;
  fault: Fault;
}

/** Every case of `path`: each of its sites with each fault. */
export async function casesOf(path: PathName): Promise<FaultCase[]> {
  const sites = await sitesOf(path);
  return sites.flatMap((site) => FAULTS.map((fault) => ({ path, site, fault })));
}

/**
 * Runs `cases`, `parallel` at a time, calling `report` with each result as it
 * comes; returns all results in the order of `cases`.
 */
export async function runCases(
  cases: readonly FaultCase[],
  parallel: number,
  report: (result: CaseResult) => void = () => {},
): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      const c = cases[i];
      results[i] = await runCase(c.path, c.site, c.fault);
      report(results[i]);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
}

/** Counts per path: cases run, cases whose fault landed on its site, promises broken. */
export function summarise(results: readonly CaseResult[]): Map<string, {
  cases: number;
  landed: number;
  violations: number;
}> {
  const byPath = new Map<string, { cases: number; landed: number; violations: number }>();
  for (const r of results) {
    const key = r.fault === "short-write" ? `${r.path} (short write)` : r.path;
    const s = byPath.get(key) ?? { cases: 0, landed: 0, violations: 0 };
    s.cases++;
    if (r.landed) s.landed++;
    if (r.violations.length > 0) s.violations++;
    byPath.set(key, s);
  }
  return byPath;
}

/** One line per broken case: what was injected where, and what broke. */
export function describe(r: CaseResult): string {
  const where = `${r.site.syscall} #${r.site.nth} on ${r.site.file}`;
  return `${r.path}: ${r.fault} at ${where}: ${r.violations.join("; ")}`;
}

/**
 * One randomly timed `kill -9` of an emit: `replay` kills it during the
 * replay of its spooled records (a random time after its first claim
 * appears), otherwise a random time in its first `windowMs`. Then the
 * follow-up checks, as for the injected cases.
 */
export async function randomKill(
  replay: boolean,
  random: () => number,
  windowMs: number,
): Promise<CaseResult> {
  const p = await prepare(replay ? "replay" : "emit");
  if (replay) {
    // More entries make the replay long enough to be hit.
    const file = join(p.del, RECORD_FILE);
    for (let i = 3; i <= 8; i++) {
      const agent = `SPOOLED${i}`;
      await exclusive(() => {
        spoolRecord(
          p.del,
          newSpoolEntry(file, sampleDraft({ DeliverableID: "DEL-01-02", AgentName: agent }), "x"),
        );
        return Promise.resolve();
      });
      p.spooled.push(agent);
    }
  }
  const child = new Deno.Command(RUNREC[0], {
    args: [...RUNREC.slice(1), ...p.args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...p.env },
  }).spawn();
  let done = false;
  const output = child.output().finally(() => done = true);
  const delay = random() * windowMs;
  if (replay) {
    const spool = join(p.del, SPOOL_FOLDER);
    while (!done && !listNames(spool).some((n) => n.includes(".claim-"))) {
      await new Promise((r) => setTimeout(r, 1)); // polled: the claim is the event
    }
  }
  if (!done) {
    await new Promise((r) => setTimeout(r, delay)); // the random time of the kill: the fault itself
    try {
      child.kill("SIGKILL");
    } catch { /* ended already */ }
  }
  const out = await output;
  const violations = await checkAfter(p, {
    code: out.code,
    killed: out.signal === "SIGKILL",
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  });
  await Deno.remove(p.caseDir, { recursive: true }).catch(() => {});
  const site = { syscall: "kill", nth: Math.round(delay), file: replay ? "during replay" : "emit" };
  return {
    path: replay ? "replay" : "emit",
    fault: "kill-before",
    site,
    landed: out.signal === "SIGKILL",
    violations,
  };
}
