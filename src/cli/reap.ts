/**
 * `runrec reap`: write runs that were started and never finished (the agent
 * crashed) as FAILED records.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { relative } from "../path.ts";
import { reapCommandLine } from "../pending_warnings.ts";
import { describeReaped, type ReapReport, reapRuns } from "../reap.ts";
import { parseDurationOption } from "../time.ts";
import { spelledDuration } from "./duration_words.ts";
import { type Command, EXIT, positionals, stringOption } from "./command.ts";
import { lockWaitMessage, printRecorded } from "./outcome.ts";

const HELP = `runrec reap: write runs whose agent never finished as FAILED

Usage:
  runrec reap [<del-dir|root>...] [--older-than DURATION] [--json]

Looks for runs begun with runrec start (or exec, or withRun) in every
deliverable folder at or beneath the targets (default: the current folder),
and among the runs start kept in the temporary folder for such a folder (it
was read-only), and
writes, once each, a FAILED record with ErrorSummary "reaped: the agent never
finished" and the reason in Notes, for each run
  - whose process is gone: the --pid given to start (exec and withRun watch
    their own), on this machine; or
  - with --older-than: that started longer ago than DURATION, unless its
    process is seen running on this machine.
RunDuration of a reaped run is the time until it was reaped; its OutputFiles
are empty. A run that finish is writing right now is left alone; one whose
finish while its folder was read-only holds its marker (<id>.finishing in the
temporary folder's runrec-pending-<uid>) is left pending and named on stderr
("runrec reap: <folder> <agent> started <time>: left pending: ..."), not
waited for: reap again once that finish is done. So is a run of an exec
killed (SIGKILL) while its command runs on ("its command (pid N) runs on"):
reaped once that command ends. A reaped run
is kept in .runrec/reaped/ (one kept in the temporary folder: in reaped/
beside it): should its agent finish after all, runrec finish still writes
the agent's record, which supersedes the FAILED one. A run that cannot be
moved there (an I/O error, a full disk, a read-only folder) stays where it
was, for its late finish all the same, said in a warning ("run <id> not
moved into ...") and by each reap until one moves it ("left pending: reaped
already ..."). A late finish that died holding a reaped run (or could not
remove its claim) has its claim removed once the agent's record is written,
else given back for the late finish. Where a run
of the same agent started 1 second to 2 minutes later with the same pass and
inputs is recorded, the reason adds "probably a retried start: a start N s
later with the same inputs (run id ID) is recorded as RUN-...": a start
retried after its token was lost (docs/AGENT_PROTOCOL.md section 5).

Options:
  --older-than D  also reap runs older than D: an ISO 8601 duration PnDTnHnMn.nS
                  (PT2H, P1D) or a number with s, m, h or d (90m, 2h, 1d)
  --no-fsync      do not flush records to disk
  --json          print {reaped: [...], left: [...], unwatched: [...],
                  problems: [...], damaged: [...], removedTemporaries: [...]}
                  as JSON (unwatched: the runs left pending whose process
                  cannot be watched from here, started without --pid or
                  with one this runrec cannot ask about; stderr names them
                  too)

Prints one line per reaped run (RunID, folder, agent, start, reason); in
place of the RunID, what became of a record not written: "(spooled)" (a
warning says where), "(written, not confirmed)" after its RunID, "(LOST:
...)", or "(recorded already)" for a run whose finisher wrote its record and
died; a reap killed after writing its FAILED record leaves the run for the
next reap to keep in .runrec/reaped/ ("(recorded already as RUN-...) ...
<pid@host> died holding the run after its FAILED record was written ..."). A pending
file that came back (git stash pop, a restored copy) after its run was
recorded is removed, whatever its age: "(recorded already as
RUN-...)". As with emit, a record that cannot be written is spooled (exit 0), and
records spooled earlier that the write appended are said ("replayed ... from
the spool"). A temporary file a process killed before its rename left in .runrec/ (or in
the temporary folder's runrec-pending-<uid>) is removed and named on stderr:
once its writer (named in the file name) is gone from this machine, else
once it is an hour old; never one a live writer may still rename. So is a
read-only finish's marker there (<id>.finishing) whose holder is gone (or a
process started since: its pid reused), or that names no pid@host. A pending
run that cannot be read, claimed or recorded is named in
one line ("runrec reap: <file>: not reaped: <why>"), and every other run is
reaped all the same; "nothing to reap" on stderr when there was none. A
damaged pending run file (emptied or cut: not JSON, a field missing) is left
(exit 0): the agent a record needs is in the damaged part; its line ("runrec
reap: <file>: damaged pending run (...): runrec finish <file> --agent NAME
--status S records the run from its token (inputs TBD); left pending") says
how to record it. Runs
started without --pid (a language-model agent's) are reaped only with
--older-than: a line on stderr names those left pending and says so. A run
whose finish spooled its record (its folder was read-only) is not reaped:
"(recorded already) ... its record waits in the spool", for runrec flush. A
warning about a run reaped (an agent name that is a near miss of a known one,
a record spooled) starts with its RunID and folder.

Exit codes: 0 done (also when nothing was reaped, or a damaged run file was
left); 2 usage error, or a pending run file that cannot be read otherwise
(not a regular file, edited by hand: delete it if it is garbage), claimed
(a failing disk: reap again) or recorded (a run whose record would be over
16 MiB is removed).

Examples:
  runrec reap PKG-01_X/1_Working/DEL-01-02_Y
  runrec reap . --older-than 12h
`;

/** Milliseconds of `--older-than`: an ISO 8601 duration or `<number><s|m|h|d>`. */
function parseAge(text: string): number {
  const ms = parseDurationOption(text);
  if (ms === undefined || !Number.isFinite(ms)) {
    throw new InputError(
      "--older-than: expected a duration like 2h, 90m, 1d or PT2H (ISO 8601 in days, hours, " +
        `minutes and seconds: PnDTnHnMn.nS), got ${JSON.stringify(text)}${spelledDuration(text)}`,
    );
  }
  // Past 285,000 years every run is younger: the same answer, in a whole number reapRuns takes.
  return Math.min(Math.round(ms), Number.MAX_SAFE_INTEGER);
}

/**
 * What to do about the runs left pending because they were started without
 * `--pid` (an LLM agent's): reap tells those only by age.
 */
function unwatchedNote(
  runs: readonly ReapReport["unwatched"][number][],
  age: string | undefined,
): string | undefined {
  if (runs.length === 0) return undefined;
  const each = runs.map(({ delDir, run, why }) =>
    `${relative(Deno.cwd(), delDir) || "."} ${run.agent} since ${run.start.started} (${why})`
  ).join(", ");
  const folders = [...new Set(runs.map(({ delDir }) => relative(Deno.cwd(), delDir) || "."))];
  const whose = runs.every(({ run }) => run.pid === undefined)
    ? "started without --pid"
    : "whose process cannot be watched from here";
  return age === undefined
    ? `${runs.length} pending run(s) ${whose}, so not seen to be gone: ${each}; ` +
      `once their agents are gone, ${
        reapCommandLine(folders, " --older-than DURATION (2h, 1d)")
      } reaps those started longer ago`
    : `${runs.length} pending run(s) ${whose}, less than ${age} ago: ${each}; left pending`;
}

/** The `reap` command. */
export const reapCommand: Command = {
  name: "reap",
  summary: "write runs whose agent never finished as FAILED",
  help: HELP,
  options: {
    "older-than": { type: "string" },
    "no-fsync": { type: "boolean" },
    json: { type: "boolean" },
  },
  async run(parsed, io) {
    const targets = parsed.positionals.length > 0
      ? positionals(parsed, ["del-dir|root"], "targets")
      : ["."];
    const age = stringOption(parsed, "older-than");
    const report = await reapRuns(targets, {
      olderThanMs: age === undefined ? undefined : parseAge(age),
      fsync: !parsed.values["no-fsync"],
      onLockWait: lockWaitMessage(io),
    });
    for (const { outcome, runId, run, delDir } of report.reaped) {
      // As emit says them: the spooled records this write replayed, and what became of its own.
      for (const { record } of outcome?.replayed ?? []) {
        io.err(`runrec: replayed ${record.RunID} from the spool\n`);
      }
      // Said by a supervisor, not the agent: each warning names the run and folder it is about.
      const about = `${runId ?? run.id} (${relative(Deno.cwd(), delDir) || "."})`;
      for (const warning of outcome?.warnings ?? []) {
        io.err(`runrec: warning: ${about}: ${warning}\n`);
      }
      if (outcome?.lost) io.err(`${outcome.lost}\n`);
    }
    for (const problem of report.problems) io.err(`runrec reap: ${problem}\n`);
    for (const damaged of report.damaged) io.err(`runrec reap: ${damaged}; left pending\n`);
    for (const { delDir, run, reason } of report.left) {
      const where = relative(Deno.cwd(), delDir) || ".";
      io.err(
        `runrec reap: ${where} ${run.agent} started ${run.start.started}: left pending: ${reason}\n`,
      );
    }
    for (const path of report.removedTemporaries) {
      io.err(`runrec reap: removed ${path}, a temporary file its killed writer left\n`);
    }
    if (parsed.values.json) {
      const reaped = report.reaped.map((r) => ({
        delDir: r.delDir,
        id: r.run.id,
        agent: r.run.agent,
        started: r.run.start.started,
        reason: r.reason,
        RunID: r.runId ?? "",
        outcome: !r.outcome
          ? "recorded already"
          : r.outcome.written
          ? "written"
          : r.outcome.unconfirmed
          ? "unconfirmed"
          : r.outcome.spooledTo
          ? "spooled"
          : r.outcome.lost
          ? "lost"
          : "not written",
        spooledTo: r.outcome?.spooledTo ?? "",
        replayed: (r.outcome?.replayed ?? []).map((w) => w.record.RunID),
      }));
      const left = report.left.map((r) => ({
        delDir: r.delDir,
        id: r.run.id,
        agent: r.run.agent,
        started: r.run.start.started,
        reason: r.reason,
      }));
      const unwatched = report.unwatched.map(({ delDir, run, why }) => ({
        delDir,
        id: run.id,
        agent: run.agent,
        started: run.start.started,
        why,
      }));
      printRecorded(
        io,
        () => {
          const { problems, damaged, removedTemporaries } = report;
          const doc = { reaped, left, unwatched, problems, damaged, removedTemporaries };
          io.out(JSON.stringify(doc, null, 2) + "\n");
        },
      );
    } else {
      printRecorded(io, () => {
        for (const r of report.reaped) io.out(`${describeReaped(r, Deno.cwd())}\n`);
        // On stderr, so stdout stays one line per reaped run: an orchestrator's log shows reap ran.
        const said = report.left.length + report.problems.length + report.damaged.length;
        if (report.reaped.length + said === 0) {
          io.err("runrec reap: nothing to reap\n");
        }
      });
    }
    const unwatched = unwatchedNote(report.unwatched, age);
    if (unwatched) io.err(`runrec reap: ${unwatched}\n`);
    return report.problems.length > 0 ? EXIT.usage : EXIT.ok;
  },
};
