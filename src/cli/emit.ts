/**
 * `runrec emit`: record one run in one step, at its end.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { recordRun, type RunReport } from "../hook.ts";
import { formatDuration, MAX_DURATION_MS, parseDuration, parseDurationOption } from "../time.ts";
import { spelledDuration } from "./duration_words.ts";
import {
  type Command,
  EXIT,
  folderOption,
  INPUTS_FROM,
  listOption,
  OUTPUTS_FROM,
  positionals,
  requiredOption,
  stringOption,
} from "./command.ts";
import { lockWaitMessage, printOutcome } from "./outcome.ts";

/**
 * `--duration` as the record writes it. ISO 8601 goes as given (the record's
 * check names what is wrong with it); a number with a unit (`90s`, as `reap
 * --older-than` takes) becomes ISO 8601, refused here, naming the text as
 * typed, unless it is whole milliseconds within the limit.
 */
function durationOption(text: string | undefined): string | undefined {
  if (text === undefined || parseDuration(text) !== undefined) return text;
  const ms = parseDurationOption(text);
  if (ms === undefined || !Number.isSafeInteger(ms)) {
    throw new InputError(
      "--duration: expected an ISO 8601 duration in days, hours, minutes and seconds " +
        "(PnDTnHnMn.nS: PT2M34.5S) or a number with s, m, h or d " +
        `(154.5s, 90m), exact to the millisecond, got ${JSON.stringify(text)}` +
        spelledDuration(text),
    );
  }
  if (ms > MAX_DURATION_MS) {
    throw new InputError(
      `--duration: must be at most ten years (P3650D), got ${JSON.stringify(text)}`,
    );
  }
  return formatDuration(ms);
}

const HELP = `runrec emit: append one run record to <del-dir>/RunRecords.csv

Usage:
  runrec emit <del-dir> --agent NAME --status S [options]

Options:
  --agent NAME          agent name, e.g. 4_DOCUMENTS (required); a name one or two
                        edits from a known agent's is recorded as given, with a
                        warning naming the closest
  --status S            SUCCESS, PARTIAL, FAILED or SKIPPED (required), or a host agent's
                        outcome word (FAILED_INPUTS, PASS, ...: docs/AGENT_PROTOCOL.md)
  --input P             a file the run read, or a folder: its files (repeatable);
                        _REFERENCES.md and the files it lists are always hashed
  --output P            a file the run wrote or deleted, or a folder: its files
                        (repeatable; one that does not exist is recorded as DELETED,
                        with a warning naming a near name if there is one)
  --inputs-from F       each path listed in file F an --input, one a line (LF or CRLF;
                        empty lines skipped), for more than a command line holds;
                        - or /dev/stdin is standard input (repeatable; with --input
                        too); a list of no paths is a warning (nothing piped in?)
  --outputs-from F      each path listed in file F an --output, as --inputs-from
  --null                the lists of --inputs-from and --outputs-from are separated
                        by NUL, not by line ends (find -print0): any path may be given
  --allow-outside       also read inputs and outputs outside the project (the git
                        work tree, else the execution root): by default such a
                        file is TBD, not read
  --pass D              the pass directive the run was dispatched with
  --started ISO         when the run started (default: now minus the duration)
  --duration D          how long it took: ISO 8601 PnDTnHnMn.nS (PT2M34.5S) or a
                        number with s, m, h or d (154.5s, 90m) (default: from --started to now,
                        else PT0S; over an hour so, a warning says what was recorded:
                        a past run recorded late needs its --duration)
  --duration-ms N       how long it took, in milliseconds
  --status-before X     lifecycle state at run start (default TBD)
  --status-after X      the state you set at run end: _STATUS.md wins, and a claim that
                        disagrees with it is noted (a word that is not a lifecycle
                        state is noted and not used, exit 0)
  --error TEXT          what went wrong (FAILED/PARTIAL; default TBD for those)
  --notes TEXT          free text
  --agents-dir DIR      the host's agent files (AGENT_<NAME>.md): the agent's profile
                        (write scope, _STATUS.md changes) comes from there; default:
                        an agents/ folder in or above <del-dir>, up to its git
                        work tree's top (else its execution root), else
                        runrec's built-in one
  --no-fsync            do not flush to disk (faster; a power loss may lose the record)
  --strict              exit 2 when the record cannot be written, and do not spool it
                        (default: warn, spool, exit 0)
  --json                print the record as JSON instead of its RunID, then "outcome":
                        "written", "unconfirmed" (in the file, its write not confirmed: do
                        not repeat it), "spooled" (with "spooledTo") or "lost" (with
                        "lostRecord")

Prints the RunID. Paths are relative to <del-dir> (absolute paths are made relative);
one that names nothing there but a file from the current folder (--output
$P/Spec.md run from the execution root; outside the project only with
--allow-outside) is recorded as that file, from <del-dir>, with a note. An
--input not found is recorded TBD with a warning (stale cannot see it change),
naming a near name or "one path per --input" where one fits. An emit
that repeats a record of the file (same agent, --started, status, inputs and
outputs: a retry) is written, with a warning naming the earlier record.
A write failure never fails the agent's run: runrec prints a warning, keeps the
record in a spool ($RUNREC_SPOOL_DIR if set to an absolute path, else
<del-dir>/.runrec-spool/, else $TMPDIR/runrec-spool-<uid>/) and exits 0, unless
--strict (exit 2). The next successful emit to the folder, or runrec flush, appends
spooled records. A spooled record gets its RunID when it is appended, so nothing is
printed on stdout for it.
When no spool folder takes it either, the record is printed on stderr on one line
starting "runrec: lost-record: "; save that line and append it later with
runrec flush --from FILE (each record is appended once, however often replayed).
When that line cannot be printed either (stderr on a full disk, or a pipe whose
reader has gone), emit exits 2.
Bad arguments exit 2 and write nothing; so does a value still holding an agent
block's placeholder ({STARTED}, {STATUS_BEFORE}, {DELIVERABLE_PATH}), but an
--input or --output holding one is recorded as not found, with a warning.

emit runs at the end of a run, so inputs are hashed as they are then. To
record them as the run read them, and StatusBefore from _STATUS.md, use
runrec start at the run's start and runrec finish at its end (or runrec exec).
A run recorded more than a minute after it ended (--started with its
--duration: a backfill) is noted "recorded late: written <time> (inputs hashed
then)", and a warning names the inputs changed since the run ended, as their
times and git's history of HEAD show (what it cannot see: docs/AGENT_PROTOCOL.md,
section 4).

Example:
  runrec emit PKG-01_X/1_Working/DEL-01-02_Y --agent 4_DOCUMENTS --status SUCCESS \\
    --input _CONTEXT.md --output Datasheet.md --output Specification.md --duration PT2M34.5S
`;

/** The `emit` command. */
export const emitCommand: Command = {
  name: "emit",
  summary: "append one run record in one step, at the end of a run",
  help: HELP,
  options: {
    agent: { type: "string" },
    status: { type: "string" },
    input: { type: "string", multiple: true },
    output: { type: "string", multiple: true },
    ...INPUTS_FROM,
    ...OUTPUTS_FROM,
    pass: { type: "string" },
    started: { type: "string" },
    duration: { type: "string" },
    "duration-ms": { type: "string" },
    "status-before": { type: "string" },
    "status-after": { type: "string" },
    error: { type: "string", text: true },
    notes: { type: "string", text: true },
    "agents-dir": { type: "string" },
    "allow-outside": { type: "boolean" },
    "no-fsync": { type: "boolean" },
    strict: { type: "boolean" },
    json: { type: "boolean" },
  },
  async run(parsed, io) {
    const [delDir] = positionals(parsed, ["del-dir"]);
    const durationMs = stringOption(parsed, "duration-ms");
    if (durationMs !== undefined && !/^\d+$/.test(durationMs)) {
      throw new InputError(
        `--duration-ms: must be a whole number of milliseconds, got "${durationMs}"`,
      );
    }
    const report: RunReport = {
      agent: requiredOption(parsed, "agent"),
      status: requiredOption(parsed, "status"),
      inputs: listOption(parsed, "input"),
      outputs: listOption(parsed, "output"),
      pass: stringOption(parsed, "pass"),
      started: stringOption(parsed, "started"),
      duration: durationOption(stringOption(parsed, "duration")),
      durationMs: durationMs === undefined ? undefined : Number(durationMs),
      statusBefore: stringOption(parsed, "status-before"),
      statusAfter: stringOption(parsed, "status-after"),
      error: stringOption(parsed, "error"),
      notes: stringOption(parsed, "notes"),
      agentsDir: folderOption(parsed, "agents-dir"),
      allowOutside: parsed.values["allow-outside"] === true,
    };
    const strict = parsed.values.strict === true;
    const outcome = await recordRun(delDir, report, {
      fsync: !parsed.values["no-fsync"],
      spool: !strict,
      onLockWait: lockWaitMessage(io),
    });
    if (strict && !outcome.written && !outcome.unconfirmed) {
      // Not a warning: --strict makes the failed write this command's error (exit 2).
      const failed = outcome.warnings.find((w) => w.startsWith("record not written"));
      outcome.warnings = outcome.warnings.filter((w) => w !== failed);
      printOutcome(io, outcome, { json: false }); // --json gets the error's document
      throw new InputError(failed ?? "record not written");
    }
    printOutcome(io, outcome, { json: parsed.values.json === true });
    return EXIT.ok;
  },
};
