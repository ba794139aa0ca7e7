/**
 * `runrec reap`: write runs that were started and never finished (the agent
 * crashed) as FAILED records.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { relative } from "../path.ts";
import { oneLine } from "../names.ts";
import { reapCommandLine } from "../pending_warnings.ts";
import { describeReaped, type ReapReport, reapRuns } from "../reap.ts";
import { parseDurationOption } from "../time.ts";
import { spelledDuration } from "./duration_words.ts";
import { type Command, EXIT, positionals, stringOption } from "./command.ts";
import { jsonText } from "../json_text.ts";
import { lockWaitMessage, printRecorded } from "./outcome.ts";

const HELP = `runrec reap: write runs whose agent never finished as FAILED

Usage:
  runrec reap [<del-dir|root>...] [--older-than DURATION] [--json]

Writes, once each, a FAILED record (ErrorSummary "reaped: the agent never finished",
the reason in Notes) for each run begun with runrec start, exec or withRun in a
deliverable folder at or beneath the targets (default: the current folder):
  - whose process is gone: the --pid given to start (exec and withRun watch
    their own), on this machine; or
  - with --older-than: that started longer ago than DURATION, unless its
    process is seen running on this machine.
Runs started without --pid (a language-model agent's) are reaped only with
--older-than. Should a reaped run's agent finish after all, runrec finish still
writes the agent's record, which supersedes the FAILED one. A run left in a
linked work tree removed since (git worktree remove) is reaped from any work
tree, into its deliverable folder there (docs/COMMANDS.md, "runrec reap").

Options:
  --older-than D  also reap runs older than D: an ISO 8601 duration PnDTnHnMn.nS
                  (PT2H, P1D) or a number with s, m, h or d (90m, 2h, 1d)
  --no-fsync      do not flush records to disk
  --json          print {reaped: [...], left: [...], unwatched: [...],
                  problems: [...], damaged: [...], removedTemporaries: [...]}
                  as JSON

Prints one line per reaped run (RunID, folder, agent, start, reason); stderr names
each run left pending or not reaped, and why.

Exit codes: 0 done (also when nothing was reaped, or a damaged run file was
left); 2 usage error, or a pending run file that cannot be read, claimed or
recorded.

Examples:
  runrec reap PKG-01_X/1_Working/DEL-01-02_Y
  runrec reap . --older-than 12h

Runs left pending, late finishes, damaged run files and what each line says:
docs/COMMANDS.md, "runrec reap".
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
    `${
      oneLine(relative(Deno.cwd(), delDir)) || "."
    } ${run.agent} since ${run.start.started} (${why})`
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
        io.err(`runrec: warning: ${oneLine(`${about}: ${warning}`)}\n`);
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
          io.out(jsonText(doc, 2) + "\n");
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
