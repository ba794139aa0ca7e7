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
      { field: "--duration" },
    );
  }
  if (ms > MAX_DURATION_MS) {
    throw new InputError(
      `--duration: must be at most ten years (P3650D), got ${JSON.stringify(text)}`,
      { field: "--duration" },
    );
  }
  return formatDuration(ms);
}

const HELP = `runrec emit: append one run record to <del-dir>/RunRecords.csv

Usage:
  runrec emit <del-dir> --agent NAME --status S [options]

Records a run in one step, at its end, and prints its RunID. Inputs are hashed
as they are then: to hash them as the run read them, and take StatusBefore from
_STATUS.md, use runrec start and runrec finish (or runrec exec). A record that
cannot be written is spooled with a warning (exit 0; --strict: exit 2); the next
emit to the folder, or runrec flush, appends it.

Options:
  --agent NAME          agent name, e.g. 4_DOCUMENTS (required)
  --status S            SUCCESS, PARTIAL, FAILED or SKIPPED (required), or a host agent's
                        outcome word (FAILED_INPUTS, PASS, ...: docs/AGENT_PROTOCOL.md)
  --input P             a file the run read, or a folder: its files (repeatable)
  --output P            a file the run wrote or deleted, or a folder (repeatable)
  --inputs-from F       each path listed in file F (- for stdin) an --input, one a line
  --outputs-from F      each path listed in file F an --output, as --inputs-from
  --null                those lists are separated by NUL (find -print0), not line ends
  --allow-outside       also read inputs and outputs outside the project
  --pass D              the pass directive the run was dispatched with
  --started ISO         when the run started (default: now minus the duration)
  --duration D          how long it took: PT2M34.5S, or 154.5s, 90m (default: from
                        --started to now, else PT0S)
  --duration-ms N       how long it took, in milliseconds
  --status-before X     lifecycle state at run start (default TBD)
  --status-after X      the state you set at run end (_STATUS.md wins)
  --error TEXT          what went wrong (FAILED/PARTIAL; default TBD for those)
  --notes TEXT          free text
  --agents-dir DIR      the host's agent files (AGENT_<NAME>.md), for the agent's profile
  --no-fsync            do not flush to disk (faster; a power loss may lose the record)
  --strict              exit 2 when the record cannot be written, and do not spool it
  --json                print the record as JSON instead of its RunID, then "outcome":
                        "written", "unconfirmed", "spooled" or "lost"

Exit codes: 0 recorded (or spooled); 2 usage error, or the record not written
with --strict, or a lost record that cannot be printed either.

Example:
  runrec emit PKG-01_X/1_Working/DEL-01-02_Y --agent 4_DOCUMENTS --status SUCCESS \\
    --input _CONTEXT.md --output Datasheet.md --output Specification.md --duration PT2M34.5S

Paths, warnings, the spool and lost records, backfills: docs/COMMANDS.md, "runrec emit".
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
        { field: "--duration-ms" },
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
