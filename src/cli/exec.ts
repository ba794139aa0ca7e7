/**
 * `runrec exec`: run a command as one recorded run — start, run it with the
 * standard streams and signals passed through, finish with the files it
 * changed and its exit code as the outcome.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import type { RunOutcome } from "../hook.ts";
import { isGone, isThere } from "../lookups.ts";
import { refuseMisspeltFolder } from "../meant_path.ts";
import { isAbsolute, join, resolve } from "../path.ts";
import { kindOf } from "../walk.ts";
import { shellWord } from "../shell_word.ts";
import { oneLine } from "../names.ts";
import {
  draftOfRun,
  EXEC_RUN_VARIABLE,
  type FinishReport,
  finishRun,
  runFileNow,
  runFolderNow,
  type StartedRun,
  startRun,
} from "../run.ts";
import { keepCrashCopy } from "../pending.ts";
import { dropRunCommand, markRunCommand, nameRunCommand } from "../command_markers.ts";
import { namesRun, runIdNote } from "../run_ids.ts";
import { lostRecordLine, newSpoolEntry } from "../spool.ts";
import { RECORD_FILE } from "../deliverable.ts";
import { TBD } from "../schema.ts";
import { changedFiles, changedNothingNote, leftRunningNote, snapshotFolder } from "../snapshot.ts";
import {
  type Command,
  exitFor,
  folderOption,
  INPUTS_FROM,
  type Io,
  listOption,
  positionals,
  requiredOption,
  stringOption,
  UsageError,
  warningsMayDrop,
} from "./command.ts";
import { lockWaitMessage, printOutcome } from "./outcome.ts";

const HELP = `runrec exec: run a command as one recorded run of an agent

Usage:
  runrec exec <del-dir> --agent NAME [--pass D] [--input P]... [--inputs-from F]...
              [--null] [--partial-codes LIST] [--skipped-codes LIST] [--] CMD [ARGS...]

Starts a run (as runrec start), runs CMD in the current folder with its standard
streams and signals passed through, then finishes the run (as runrec finish) with
  - OutputFiles: every file of <del-dir> CMD created, modified or deleted;
  - RunStatus from the exit code: 0 SUCCESS; a code in --partial-codes PARTIAL;
    a code in --skipped-codes SKIPPED; any other FAILED ("exit code N").
runrec's options go before CMD: CMD and every argument after it are CMD's own
(runrec exec D --agent A ls -la runs ls -la); a -- before CMD is needed only for
a CMD whose name starts with -. runrec's messages, the RunID among them, go to
stderr: stdout is CMD's alone. A record that cannot be written is spooled, as
with emit, and never changes the exit code.

Options:
  --agent NAME          agent name (required)
  --pass D              the pass directive
  --input P             a file the command reads, or a folder: its files (repeatable)
  --inputs-from F       each path listed in file F an --input, one a line (not -:
                        CMD has runrec's standard input)
  --null                the --inputs-from lists are separated by NUL (find -print0)
  --allow-outside       also read inputs and outputs outside the project
  --partial-codes LIST  exit codes that mean PARTIAL, comma-separated (e.g. 3,4)
  --skipped-codes LIST  exit codes that mean SKIPPED, comma-separated
  --no-fsync            do not flush the record to disk
  --agents-dir DIR      the host's agent files (AGENT_<NAME>.md), for the agent's profile

Exit codes: Exits with CMD's exit code (128 + the signal's number when it was
killed; 127 when CMD, or the interpreter its #! line names, cannot be found, 126
when it cannot be started); 2 a usage error or inputs over a record's 16 MiB,
before CMD runs: nothing run, nothing recorded.

Example:
  runrec exec PKG-01_X/1_Working/DEL-01-02_Y --agent DEPENDENCIES --pass FULL \\
    --partial-codes 3 -- ./agents/dependencies.sh PKG-01_X/1_Working/DEL-01-02_Y

Signals, process groups, a <del-dir> CMD creates or removes, lost records:
docs/COMMANDS.md, "runrec exec".
`;

/** Parses a comma-separated list of exit codes (1-255). */
function exitCodes(parsed: Parameters<Command["run"]>[0], name: string): Set<number> {
  const text = stringOption(parsed, name);
  if (text === undefined) return new Set();
  const codes = text.split(",").map((c) => c.trim());
  for (const code of codes) {
    if (!/^[0-9]+$/.test(code) || Number(code) < 1 || Number(code) > 255) {
      throw new UsageError(
        `--${name}: ${JSON.stringify(code)} is not an exit code from 1 to 255 (0 is SUCCESS)`,
      );
    }
  }
  return new Set(codes.map(Number));
}

/** The outcome of an exit. */
function statusOf(
  exit: Deno.CommandStatus,
  partial: Set<number>,
  skipped: Set<number>,
): { status: string; error?: string; notes?: string } {
  if (exit.signal) return { status: "FAILED", error: `killed by signal ${exit.signal}` };
  if (exit.code === 0) return { status: "SUCCESS" };
  if (partial.has(exit.code)) return { status: "PARTIAL", error: `exit code ${exit.code}` };
  if (skipped.has(exit.code)) return { status: "SKIPPED", notes: `exit code ${exit.code}` };
  return { status: "FAILED", error: `exit code ${exit.code}` };
}

// SIGHUP too: a closing terminal or SSH session sends it, and CMD must not be left running with
// its run pending (reaped FAILED later although it finished). SIGQUIT as GNU timeout does.
const FORWARDED: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];

/**
 * The signals a terminal's keys send (Ctrl-C, Ctrl-\) to its whole foreground process group: a CMD
 * in runrec's group has one already, and a second is, to many programs, "stop now, skip the
 * clean-up" (sudo does not pass these on either).
 */
const TERMINAL_KEYS: Deno.Signal[] = ["SIGINT", "SIGQUIT"];

/**
 * Whether CMD gets a process group (and session) of its own, so that signals reach the processes
 * it starts too and those it leaves running can be seen: only where no standard stream is a
 * terminal, since a new session has none (a prompt on /dev/tty, job control would fail).
 */
function ownGroup(): boolean {
  if (Deno.build.os === "windows") return false;
  return !Deno.stdin.isTerminal() && !Deno.stdout.isTerminal() && !Deno.stderr.isTerminal();
}

/**
 * Whether a terminal's keys can reach CMD in runrec's group: only where runrec has a controlling
 * terminal. A harness may start it in a session of its own (none) with stderr on a terminal; a
 * SIGINT it sends runrec is then the only one CMD could get.
 */
function terminalKeysReach(): boolean {
  if (Deno.build.os === "windows") return true; // a console's Ctrl-C reaches every process on it
  try {
    Deno.openSync("/dev/tty").close();
    return true;
  } catch {
    return false; // ENXIO: no controlling terminal
  }
}

/** Sends `signal` to CMD's process group, else (none, or gone) to CMD alone. */
function signalCommand(child: Deno.ChildProcess, signal: Deno.Signal, group: boolean): void {
  try {
    if (group) return Deno.kill(-child.pid, signal);
  } catch { /* no such group: CMD alone, below */ }
  try {
    child.kill(signal);
  } catch { /* it has ended already */ }
}

/**
 * Whether CMD's process group still has processes (CMD has ended): asked with SIGCHLD, which
 * every process ignores unless it waits for children (Deno has no signal 0). Asked again after
 * a moment, so that a child that ended with CMD and is not yet reaped is not counted.
 */
async function groupLeft(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      Deno.kill(-pid, "SIGCHLD");
    } catch {
      return false; // no process left in the group
    }
    if (attempt === 0) await new Promise((done) => setTimeout(done, 200));
  }
  return true;
}

/**
 * For a CMD not found that is a file of the deliverable folder (`./build.sh` there): CMD runs in
 * the current folder, so the path that names it from there; else `""`. Run from the deliverable
 * folder itself, only a name without a slash (`build.sh`, looked for on PATH) gets a hint: a
 * path there named the file, which did not start for another reason, said before it.
 */
function inDeliverableHint(command: string, delDir: string): string {
  if (isAbsolute(command)) return "";
  const there = join(delDir, command);
  if (kindOf(there) !== "file") return "";
  // A word without a slash is looked for on PATH: `./` makes it a path.
  const path = shellWord(isAbsolute(there) || there.includes("/") ? there : `./${there}`);
  if (resolve(delDir) !== resolve(".")) {
    return ` (CMD runs in the current folder, not <del-dir>: from here it is ${path})`;
  }
  return command.includes("/")
    ? ""
    : ` (a name without a slash is looked for on PATH only: ${path} runs the file here)`;
}

/**
 * Runs the command to its end; a command that cannot be started is exit 127 or 126.
 * `spawned` is told CMD's pid once it runs.
 * `left`: CMD had its own process group and processes of it still run.
 */
async function runCommand(
  command: string,
  args: string[],
  runId: string,
  spawned: (pid: number) => void,
): Promise<{
  exit: Deno.CommandStatus;
  /** Stops holding the signals that came after CMD ended, and names them. */
  release: () => Deno.Signal[];
  startError?: string;
  left?: number;
}> {
  const group = ownGroup();
  const keys = !group && terminalKeysReach();
  // Listening before CMD starts: a signal sent once CMD has shown signs of life must not find
  // runrec still without its listener (and end it, CMD left running). Listeners run from the
  // event loop, so only once CMD was spawned.
  let child: Deno.ChildProcess | undefined;
  const forward = new Map<Deno.Signal, () => void>();
  // Once CMD has ended, a signal waits until its run is recorded (env-signals F1): ending exec
  // then would leave the run pending, reaped FAILED later although CMD finished.
  let ended = false;
  const late: Deno.Signal[] = [];
  for (const signal of FORWARDED) {
    const keyed = keys && TERMINAL_KEYS.includes(signal);
    const pass = () =>
      ended ? late.push(signal) : child && !keyed && signalCommand(child, signal, group);
    try {
      Deno.addSignalListener(signal, pass);
      forward.set(signal, pass);
    } catch { /* a signal this platform does not have (Windows: SIGTERM) */ }
  }
  const stopListening = () => {
    for (const [signal, pass] of forward) Deno.removeSignalListener(signal, pass);
  };
  try {
    child = new Deno.Command(command, {
      args,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
      // A runrec start of the same agent and folder in CMD then knows it records this run again.
      env: { [EXEC_RUN_VARIABLE]: runId },
      // setsid(): CMD leads a process group of its own, as under GNU timeout.
      detached: group,
    }).spawn();
    spawned(child.pid);
  } catch (e) {
    stopListening();
    const { why, code } = startFailure(command, e);
    return {
      exit: { success: false, code, signal: null },
      release: () => [],
      startError: `command ${JSON.stringify(command)} could not be started: ${why}`,
    };
  }
  let exit: Deno.CommandStatus;
  try {
    exit = await child.status;
  } finally {
    ended = true;
  }
  const release = () => {
    stopListening();
    return late;
  };
  return { exit, release, ...(group && await groupLeft(child.pid) ? { left: child.pid } : {}) };
}

/**
 * The outcome of a run whose record `exec` could not write: it goes out as a lost-record line
 * (for `runrec flush --from`), since CMD has run and exec is not retried. The line names the
 * run, so that reap's FAILED record and this one are linked whichever lands first. `why` goes
 * into the record's notes, `warning` on stderr before the line.
 */
async function lostOutcome(
  started: StartedRun,
  end: FinishReport,
  why: string,
  warning: string,
): Promise<RunOutcome> {
  const { run } = started;
  const delDir = runFolderNow(started); // renamed by CMD (a label change): its file is there
  const start = { ...run.start, notes: [...run.start.notes, why] };
  const built = await draftOfRun(delDir, run, start, end);
  if (!namesRun(built.draft.Notes, run.id)) {
    built.draft.Notes = [built.draft.Notes, runIdNote(run.id)].filter((n) => n !== "").join(" | ");
  }
  const entry = newSpoolEntry(join(delDir, RECORD_FILE), built.draft, why);
  return {
    draft: built.draft,
    notes: built.notes,
    replayed: [],
    warnings: [...built.warnings ?? [], warning],
    lost: lostRecordLine(entry),
  };
}

/**
 * Prints what became of the run; `loud`, some of its notes, as warnings instead (once each).
 * Returns whether a lost record's line went out (see `printOutcome`).
 */
function report(io: Io, outcome: RunOutcome, loud: readonly (string | undefined)[]): boolean {
  const quiet = outcome.notes.filter((n) => !loud.includes(n));
  const warned = outcome.notes.filter((n) => loud.includes(n));
  return printOutcome(
    io,
    { ...outcome, notes: quiet, warnings: [...warned, ...outcome.warnings] },
    {
      json: false,
      runIdTo: "err",
    },
  );
}

/** Why exec takes no `--output`: its outputs are what CMD changed. */
const OUTPUTS_FOUND = "exec records as outputs the files of <del-dir> CMD changed; to name " +
  "them yourself, record the run with runrec emit, or start and finish";

/** The `exec` command. */
export const execCommand: Command = {
  name: "exec",
  summary: "run a command as one recorded run (outputs and status from what it did)",
  help: HELP,
  options: {
    agent: { type: "string" },
    pass: { type: "string" },
    input: { type: "string", multiple: true },
    ...INPUTS_FROM,
    "partial-codes": { type: "string" },
    "skipped-codes": { type: "string" },
    "agents-dir": { type: "string" },
    "allow-outside": { type: "boolean" },
    "no-fsync": { type: "boolean" },
  },
  // CMD's own options are CMD's: `exec D --agent A ls -la` runs `ls -la` (trial-q).
  commandAt: 1,
  // What start, finish and emit take but exec learns from CMD: said, not a near option.
  notTaken: {
    status: "exec records CMD's exit code as the status (0 SUCCESS, --partial-codes, " +
      "--skipped-codes, else FAILED); to give one yourself, record the run with runrec emit",
    output: OUTPUTS_FOUND,
    "outputs-from": OUTPUTS_FOUND,
  },
  async run(parsed, given) {
    // Exits with the command's code whatever becomes of runrec's own messages (stderr on a
    // full disk, closed): a failed write of one would otherwise stand in for that code.
    const io = warningsMayDrop(given);
    // Named CMD, as the usage line names it (help-texts F5).
    // `exec --agent A -- CMD`: the words after the `--` are CMD's, so <del-dir> was left out.
    if (parsed.beforeSeparator === 0 && !isThere(parsed.positionals[0] ?? "")) {
      throw new UsageError(
        "missing <del-dir>: it comes before the -- (runrec exec <del-dir> --agent NAME -- CMD...)",
      );
    }
    if (parsed.positionals.length === 1) throw new UsageError("missing CMD");
    if (parsed.positionals[1] === "") throw new UsageError("CMD: empty");
    const [delDir, command, ...args] = positionals(parsed, ["del-dir", "command"], "arguments");
    const partial = exitCodes(parsed, "partial-codes");
    const agentsDir = folderOption(parsed, "agents-dir"); // before the command runs
    const skipped = exitCodes(parsed, "skipped-codes");
    const both = [...partial].find((c) => skipped.has(c));
    if (both !== undefined) {
      throw new UsageError(`exit code ${both} is in both --partial-codes and --skipped-codes`);
    }
    if (parsed.values.agent === undefined && args.some((a) => /^--agent(=|$)/.test(a))) {
      throw new UsageError(
        `--agent is required before CMD: ${command} and every argument after it are its own ` +
          "(--agent after it too)",
      );
    }
    const agent = requiredOption(parsed, "agent");
    // A build that may start no program (runrec-sandboxed) has no run to record: the
    // agent's command never ran, so a FAILED record would be runrec's doing, not the agent's.
    if (Deno.permissions.querySync({ name: "run", command }).state !== "granted") {
      throw new InputError(
        `cannot start ${JSON.stringify(command)}: this runrec may start no program (Deno ` +
          "--allow-run; runrec-sandboxed never does): nothing run, nothing recorded; run the " +
          "command yourself, then record it with runrec emit",
      );
    }
    // CMD would write the real folder, and the run would have no record.
    await refuseMisspeltFolder(
      delDir,
      " (nothing run, nothing recorded; exec runs CMD on a folder not there yet only when no " +
        "folder beside it has its DeliverableID or a name this near)",
    );
    const before = await snapshotFolder(delDir);
    const begun = await startRun(delDir, {
      agent,
      inputs: listOption(parsed, "input"),
      pass: stringOption(parsed, "pass"),
      pid: Deno.pid,
      mayCreate: true,
      allowOutside: parsed.values["allow-outside"] === true,
    });
    // Inputs not found: warned of with the outcome, where the notes that name them are printed.
    const loud = begun.run.start.warnings ?? [];
    for (const warning of begun.warnings ?? []) {
      if (!loud.includes(warning)) io.err(`runrec: warning: ${oneLine(warning)}\n`);
    }
    // Its folder not there yet (CMD is to create it), the run is held in memory: a copy kept
    // outside lets reap record a crash of exec (trial-37 F7). The run is finished by it, as by a
    // token, so that a finish of the copy by another process is not followed by a second record,
    // and is left pending as a token's run is when its record can be neither written nor printed.
    const crashCopy = begun.token === undefined && begun.creates
      ? keepCrashCopy(begun.delDir, begun.run)
      : undefined;
    const started = crashCopy === undefined ? begun : { ...begun, token: crashCopy };
    // exec killed (SIGKILL, the OOM killer), CMD runs on: reap waits for it (trial-37 F1).
    const runFile = started.token;
    const marked = runFile !== undefined && markRunCommand(runFile);
    const ran = await runCommand(
      command,
      args,
      started.run.id,
      (pid) => marked && nameRunCommand(runFile, pid),
    );
    const { exit, left, release } = ran;
    const startError = ran.startError && ran.startError + inDeliverableHint(command, delDir);
    const fileNow = runFileNow(started) ?? crashCopy; // CMD may have renamed the folder
    if (fileNow !== undefined) dropRunCommand(fileNow);
    try {
      if (startError) io.err(`runrec exec: ${startError}\n`);
      if (left !== undefined) {
        // Their later writes are in no run's record: the record and the agent say so.
        const note = leftRunningNote(left);
        started.run.start.notes.push(note);
        io.err(`runrec: warning: ${oneLine(note)}; have CMD wait for them (shell: wait)\n`);
      }
      // A command that renamed the folder (its label) changed what is in the renamed one.
      const after = await snapshotFolder(runFolderNow(started));
      const outputs = changedFiles(before, after);
      const outcome = statusOf(exit, partial, skipped);
      // A good run that made nothing here most likely wrote elsewhere (CMD runs in the current
      // folder): said to the agent and in the record. A FAILED or SKIPPED run may well make nothing.
      // A file unread both times (a name not valid UTF-8) may have changed: nothing is said, since
      // stale takes the note for a run that wrote nothing (trial-40 F4).
      const madeNothing = Object.keys(outputs).length === 0 && ![...after.values()].includes(TBD) &&
          outcome.status !== "FAILED" && outcome.status !== "SKIPPED"
        ? changedNothingNote(delDir)
        : undefined;
      if (madeNothing !== undefined) started.run.start.notes.push(madeNothing);
      if (started.creates && isGone(started.delDir)) {
        try {
          const ended = { ...outcome, error: startError ?? outcome.error };
          const lost = await lostOutcome(
            started,
            ended,
            "the deliverable folder did not exist when CMD ended",
            `${delDir}: CMD did not create it, so the run's record was not written: its lost-record ` +
              "line follows; save it, and once the folder is there append it with runrec flush --from FILE",
          );
          report(io, lost, [...loud, madeNothing]);
        } catch (e) {
          io.err(`runrec: warning: run not recorded: ${exitFor(e).message}\n`);
        }
        // No folder to reap it into: the copy is no pending run.
        if (crashCopy !== undefined) removeQuietly(crashCopy);
        return exit.code;
      }
      const end: FinishReport = {
        ...outcome,
        error: startError ?? outcome.error,
        outputs: Object.keys(outputs),
        outputHashes: outputs,
        agentsDir,
      };
      try {
        await finishRun(started, end, {
          fsync: !parsed.values["no-fsync"],
          onLockWait: lockWaitMessage(io),
          // The stream as given: a lost record's line that cannot go out keeps the run pending
          // (reap records it), where the io above would drop it unsaid.
          print: (done) => report(given, done, [...loud, madeNothing]),
        });
      } catch (e) {
        // The command has run: its exit code stands. Its run left pending (the finish could not
        // take it), its record goes out as a lost-record line, as exec is not retried (soak6 F2);
        // recorded or being finished by another finish, it is said as the finish said it.
        const why = exitFor(e).message;
        const file = runFileNow(started); // CMD may have renamed the folder (review-w F1)
        if (file === undefined || !isFile(file)) {
          io.err(`runrec: warning: run not recorded: ${why}\n`);
          return exit.code;
        }
        try {
          const lost = await lostOutcome(
            started,
            end,
            "its record could not be written when CMD ended",
            `run not recorded: ${why}; its lost-record line follows: save it, and append it with ` +
              "runrec flush --from FILE (after a reap too: it supersedes reap's FAILED record)",
          );
          report(io, lost, [...loud, madeNothing]);
        } catch {
          io.err(`runrec: warning: run not recorded: ${why}\n`);
        }
      }
      return exit.code;
    } finally {
      for (const signal of release()) {
        io.err(`runrec exec: ${signal} came after CMD ended: its run was recorded first\n`);
      }
    }
  },
};

/** Removes `path`, if it is there. */
function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch { /* gone already */ }
}

/** Whether `path` is a file now (a run's pending file still there, not claimed nor removed). */
function isFile(path: string): boolean {
  try {
    return Deno.lstatSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Why CMD could not be started, as a shell would say it, with what to do, and a shell's exit code
 * (127 it or its `#!` interpreter not found, 126 found and not run): the file that is there names
 * the mistake better than the system call's error.
 */
function startFailure(command: string, e: unknown): { why: string; code: number } {
  const there = kindOf(command);
  const notExecutable = "not executable (chmod +x it, or name its interpreter: sh FILE)";
  const noInterpreter = "the interpreter its #! line names is not there";
  const notFound = e instanceof Deno.errors.NotFound;
  if (!notFound && !(e instanceof Deno.errors.PermissionDenied)) {
    return { why: (e as Error).message.split("\n")[0], code: 126 };
  }
  if (command.includes("/")) {
    if (there === "folder") return { why: "a folder, not a program", code: 126 };
    if (there !== "file") return { why: "not found", code: 127 };
    return notFound
      ? { why: noInterpreter, code: 127 }
      : { why: `permission denied: ${notExecutable}`, code: 126 };
  }
  // As in a shell, a command without a / is looked for on PATH only, where a file that is not
  // executable is passed over, and one whose #! interpreter is missing is not found.
  const onPath = fileOnPath(command);
  if (onPath?.executable) return { why: `${onPath.path}: ${noInterpreter}`, code: 127 };
  if (onPath) return { why: `permission denied: ${onPath.path} is ${notExecutable}`, code: 126 };
  return there === "file"
    ? {
      why: `not found on PATH (the one in the current folder is ${shellWord(`./${command}`)})`,
      code: 127,
    }
    : { why: "not found", code: 127 };
}

/**
 * The first file named `name` in a folder of PATH, and whether it is executable: asked through
 * `sh`, as runrec may not read PATH; `undefined` when there is none, or `sh` cannot say.
 */
function fileOnPath(name: string): { path: string; executable: boolean } | undefined {
  const script = 'IFS=:; for d in $PATH; do f="${d:-.}/$1"; [ -f "$f" ] || continue; ' +
    '[ -x "$f" ] && printf x || printf -; printf %s "$f"; exit; done';
  try {
    const found = new Deno.Command("sh", { args: ["-c", script, "sh", name], stderr: "null" })
      .outputSync();
    const text = new TextDecoder().decode(found.stdout);
    return found.success && text !== ""
      ? { path: text.slice(1), executable: text.startsWith("x") }
      : undefined;
  } catch {
    return undefined;
  }
}
