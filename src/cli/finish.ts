/**
 * `runrec finish`: the agent's last step after `runrec start` — add the
 * outcome and outputs to the pending run and write its record.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { placeholderProblem } from "../placeholders.ts";
import { finishPendingRun } from "../run.ts";
import { refuseMistakenToken, refuseSplitToken } from "../token_mixups.ts";
import {
  type Command,
  EXIT,
  folderOption,
  listOption,
  OUTPUTS_FROM,
  positionals,
  requiredOption,
  stringOption,
  UsageError,
} from "./command.ts";
import { isThere } from "../lookups.ts";
import { refuseSplitText } from "./stray_arguments.ts";
import { lockWaitMessage, printOutcome } from "./outcome.ts";

const HELP = `runrec finish: finish a run begun with runrec start and append its record

Usage:
  runrec finish <token> --status S [options]
  runrec finish <del-dir> [--run TOKEN|ID] --status S [options]

Adds RunDuration, StatusAfter (_STATUS.md now) and the outputs' hashes to what
runrec start captured, appends the record to <del-dir>/RunRecords.csv and prints
its RunID. The run is named by the token runrec start printed, or by its
deliverable folder (with --run, or alone when the folder has exactly one pending
run; with --agent, one of that agent's). A run is recorded once: finishing it
again exits 2 and says where its record is. A write failure never fails the
agent's run: the record is spooled, as with emit, and finish exits 0.

Options:
  --run TOKEN|ID    which run of <del-dir>: the token or id runrec start printed,
                    or the RunID runrec reap printed for a run it wrote as FAILED
  --status S        SUCCESS, PARTIAL, FAILED or SKIPPED (required), or a host agent's
                    outcome word (FAILED_INPUTS, PASS, ...: docs/AGENT_PROTOCOL.md)
  --agent NAME      the agent's name: checked against the run's; needed to record
                    a run whose pending file is gone (git clean -x) and not kept in
                    the common git folder (outside git, or the sandboxed build)
  --output P        a file the run wrote or deleted, or a folder (repeatable)
  --outputs-from F  each path listed in file F (- for stdin) an --output, one a line
  --null            the --outputs-from lists are separated by NUL (find -print0)
  --error TEXT      what went wrong (FAILED/PARTIAL; default TBD for those)
  --notes TEXT      free text
  --agents-dir DIR  the host's agent files (AGENT_<NAME>.md), for the agent's profile
  --no-fsync        do not flush to disk (faster; a power loss may lose the record)
  --strict          exit 2 when the record cannot be written, and do not spool it
  --json            print the record as JSON instead of its RunID, then "outcome":
                    "written", "unconfirmed", "spooled", "lost" or, with --strict,
                    "not written" (exit 2; the run stays pending)

Exit codes: 0 recorded (or spooled); 2 a run recorded already, or (the run stays
pending: finish again) a usage error, a run that cannot be claimed (its folder
read-only and $TMPDIR unwritable) or, with --strict, a record not written.

Examples:
  runrec finish "$TOKEN" --status SUCCESS --output Datasheet.md --output _STATUS.md
  runrec finish PKG-01_X/1_Working/DEL-01-02_Y --status PARTIAL --error "2 of 4 documents"

Finding the run, repeated finishes, read-only folders, Notes: docs/COMMANDS.md,
"runrec finish"; the mistakes agents make: docs/AGENT_PROTOCOL.md, sections 4, 5.
`;

/** The `finish` command. */
export const finishCommand: Command = {
  name: "finish",
  summary: "finish a started run (the agent's last step) and append its record",
  help: HELP,
  options: {
    run: { type: "string" },
    status: { type: "string" },
    agent: { type: "string" },
    output: { type: "string", multiple: true },
    ...OUTPUTS_FROM,
    error: { type: "string", text: true },
    notes: { type: "string", text: true },
    "agents-dir": { type: "string" },
    "no-fsync": { type: "boolean" },
    strict: { type: "boolean" },
    json: { type: "boolean" },
  },
  async run(parsed, io) {
    const run = stringOption(parsed, "run");
    // Before positionals' own check, to say what a token is.
    for (const [option, value] of [["<token>", parsed.positionals[0]], ["--run", run]] as const) {
      const problem = value === undefined ? undefined : placeholderProblem(option, value);
      if (problem) throw new InputError(`${problem} (the token runrec start printed)`);
    }
    // `runrec finish "$TOKEN"` after a start that printed none (it said why): emit, as the agent
    // block says, not "an empty path" (agent-trial F6).
    if (parsed.positionals.length === 1 && parsed.positionals[0] === "") {
      throw new UsageError(
        "<token|del-dir>: empty: did runrec start print no token? Then it kept no run: record it " +
          "with runrec emit <del-dir> --agent A --status S and finish's other options instead",
      );
    }
    // A whole token last, words of --notes or --error before it: the text was split, not it.
    const last = parsed.positionals.at(-1);
    if (last !== undefined && isThere(last)) refuseSplitText(parsed, parsed.positionals.length - 1);
    refuseSplitToken(parsed.positionals, run);
    if (parsed.positionals.length === 1) {
      await refuseMistakenToken(parsed.positionals[0], stringOption(parsed, "agent"));
    }
    const [target] = positionals(parsed, ["token|del-dir"]);
    const status = requiredOption(parsed, "status");
    const strict = parsed.values.strict === true;
    const { outcome } = await finishPendingRun(target, run, {
      status,
      agent: stringOption(parsed, "agent"),
      outputs: listOption(parsed, "output"),
      error: stringOption(parsed, "error"),
      notes: stringOption(parsed, "notes"),
      agentsDir: folderOption(parsed, "agents-dir"),
    }, {
      fsync: !parsed.values["no-fsync"],
      spool: !strict,
      onLockWait: lockWaitMessage(io),
      // Before the run leaves pending: a lost record's line that cannot go out keeps it there.
      print: (done) => printOutcome(io, done, { json: parsed.values.json === true }),
    });
    return strict && !outcome.written && !outcome.unconfirmed ? EXIT.usage : EXIT.ok;
  },
};
