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

The run is named by the token runrec start printed (the path of its pending
file), or by its deliverable folder: with --run, or alone when the folder has
exactly one pending run (with --agent, exactly one of that agent's; one kept
outside the folder, read-only at start, counts when this finish has the
$TMPDIR of that start, where it is kept: else finish it by its token). A token
still finds its run when the folder was renamed or moved under its execution
root during the run. Where the run is pending elsewhere (another worktree,
another deliverable folder), finish exits 2 naming it and the finish that works.

Options:
  --run TOKEN|ID    which run of <del-dir> to finish: the token or the id (in the
                    token's file name) runrec start printed, or the RunID runrec
                    reap printed for a run it wrote as FAILED
  --status S        SUCCESS, PARTIAL, FAILED or SKIPPED (required), or a host agent's
                    outcome word (FAILED_INPUTS, PASS, ...: docs/AGENT_PROTOCOL.md);
                    any other word exits 2 and the run stays pending: finish again
  --agent NAME      the agent's name: checked against the run's; needed to record
                    a run whose pending file is gone (git clean -x)
  --output P        a file the run wrote or deleted, or a folder: its files
                    (repeatable); relative to <del-dir> (one named from the
                    current folder, or the folder start ran in, is that file,
                    noted); hashed now, DELETED when it does not exist (TBD,
                    with a warning, when it did not at start either)
  --outputs-from F  each path listed in file F an --output, one a line (LF or CRLF;
                    empty lines skipped), for more than a command line holds; -
                    or /dev/stdin is standard input (repeatable; with --output
                    too); a list of no paths is a warning (nothing piped in?)
  --null            the --outputs-from lists are separated by NUL, not by line
                    ends (find -print0): any path may be given
  --error TEXT      what went wrong (FAILED/PARTIAL; default TBD for those)
  --notes TEXT      free text
  --agents-dir DIR  the host's agent files (AGENT_<NAME>.md) for the agent's profile;
                    default: an agents/ folder in or above the deliverable, up
                    to its git work tree's top (else its execution root), else
                    built in
  --no-fsync        do not flush to disk (faster; a power loss may lose the record)
  --strict          exit 2 when the record cannot be written, and do not spool it;
                    the run then stays pending, to be finished again
  --json            print the record as JSON instead of its RunID, then "outcome":
                    "written", "unconfirmed" (in the file, its write not confirmed: do
                    not repeat it), "spooled" (with "spooledTo", and "lostRecord"
                    when the folder is gone), "lost" (with "lostRecord") or, with
                    --strict, "not written" (exit 2; the run stays pending)

Adds RunDuration, StatusAfter (_STATUS.md now) and the outputs' hashes to what
runrec start captured (RunTimestamp, StatusBefore, the inputs' hashes), appends
the record to <del-dir>/RunRecords.csv and prints its RunID. Notes say what the
start's hashes show (an input changed but not named as an output, an output
unchanged, other runs active meanwhile) and end with "run <id>", by which a
retried finish, reap and log know the run's record.

A run is recorded once: finishing it again exits 2 and says where its record is
(by folder: when it repeats that agent's last finish there, or without --agent
the folder's last, same status and outputs, unchanged, within 10 minutes, its
record in the file or spooled; else it names that record); a finish of another
status than the record's is said to differ, with the runrec annotate that marks
the record (the record stands, as written). As with runrec emit,
a write failure never fails the agent's run: the record is spooled (or printed
as a "runrec: lost-record:" line) and finish exits 0; a folder turned read-only
since the start keeps its run pending until runrec flush <del-dir> appends the
spooled record; meanwhile finish and reap with this user and $TMPDIR leave the
run alone, another's reap may write it FAILED. A run that reap wrote as FAILED
is finished all the same (or flushed), superseding that record. Bad arguments
exit 2, write nothing, and leave the run pending; so does a <token> that is
start's stdout and stderr together, a runrec: line, or a RunID, its one line
naming the token. A run whose pending file is damaged (emptied, cut) is
recorded from its token when --agent names its agent, as for a file removed.
Every rule, with the mistakes agents make: docs/AGENT_PROTOCOL.md, sections 4
and 5.

Examples:
  runrec finish "$TOKEN" --status SUCCESS --output Datasheet.md --output _STATUS.md
  runrec finish PKG-01_X/1_Working/DEL-01-02_Y --status PARTIAL --error "2 of 4 documents"
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
