/**
 * `runrec finish`: the agent's last step after `runrec start` — add the
 * outcome and outputs to the pending run and write its record.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { placeholderProblem } from "../placeholders.ts";
import { finishPendingRun } from "../run.ts";
import {
  type Command,
  EXIT,
  folderOption,
  listOption,
  positionals,
  requiredOption,
  stringOption,
} from "./command.ts";
import { lockWaitMessage, printOutcome } from "./outcome.ts";

const HELP = `runrec finish: finish a run begun with runrec start and append its record

Usage:
  runrec finish <token> --status S [options]
  runrec finish <del-dir> [--run TOKEN|ID] --status S [options]

The run is named by the token runrec start printed (the path of its pending
file), or by its deliverable folder: with --run, or alone when the folder has
exactly one pending run (or exactly one of the agent --agent names). A token
still works when the deliverable folder's label was renamed or the folder
moved to another package during the run: the one folder of its DeliverableID
under the execution root holding the run. A folder with no pending run whose
same folder in another worktree of the repository holds one names it and its
token (exit 2): finish it there. So does a deliverable folder given with --run
ID (or the RunID reap gave the run) for a run pending in another deliverable
folder of its execution root: the error names where it is pending and the
runrec finish <its folder> --run ID that records it there; nothing is written.
A folder given alone is not looked for elsewhere: its own run may be the one
lost. runrec emit is suggested only for a run pending nowhere.

Options:
  --run TOKEN|ID    which run of <del-dir> to finish: the token or the id (in the
                    token's file name) runrec start printed, or the RunID runrec
                    reap printed for a run it wrote as FAILED
  --status S        SUCCESS, PARTIAL, FAILED or SKIPPED (required), or a host agent's
                    outcome word (FAILED_INPUTS, PASS, ...: docs/AGENT_PROTOCOL.md);
                    any other word exits 2 and the run stays pending: finish again
  --agent NAME      the agent's name: checked against the run's; needed to record
                    a run whose pending file is gone (git clean -x)
                    (an agent name runrec does not know is warned of, as by emit)
  --output P        a file the run wrote or deleted, or a folder: its files
                    (repeatable); hashed now, DELETED when it does not exist
                    (TBD, never existed, when it did not at start either:
                    a warning, naming a near name if there is one)
  --error TEXT      what went wrong (FAILED/PARTIAL; default TBD for those)
  --notes TEXT      free text
  --agents-dir DIR  the host's agent files (AGENT_<NAME>.md) for the agent's profile;
                    default: an agents/ folder in or above the deliverable, else
                    built in
  --no-fsync        do not flush to disk (faster; a power loss may lose the record)
  --strict          exit 2 when the record cannot be written, and do not spool it;
                    the run then stays pending, to be finished again
  --json            print the record as JSON instead of its RunID, then "outcome":
                    "written", "unconfirmed" (in the file, its write not confirmed: do
                    not repeat it), "spooled" (with "spooledTo", and "lostRecord"
                    when the folder is gone) or "lost" (with "lostRecord")

Adds RunDuration (from the start until now), StatusAfter (_STATUS.md now) and
the outputs' hashes to what runrec start captured (RunTimestamp, StatusBefore,
the inputs' hashes), appends the record to <del-dir>/RunRecords.csv and prints
its RunID. The pending run is removed once the record is written or spooled,
or its lost-record line went out (on stderr, or in --json's document); when
that line cannot be printed either (stderr on a full disk), the run stays
pending, for reap or another finish, and finish exits 2.
Notes say what the hashes taken at start show: an input changed during the run
but not named as an output, _STATUS.md's state moved without it being named, an
output named but unchanged since start, an output that never existed (TBD, not
DELETED); and other runs active in the folder at the same time. They end with
the run's id ("run <id>"): a retried finish, reap and log know the run's record
by it, never by start time and agent (runs started in one millisecond share
those).

A run that names _REFERENCES.md among its outputs (PREPARATION) and changed it
is recorded as reading the references it lists at its end: those it added are
hashed then, those it dropped leave InputHashes, each named in a note. A
_REFERENCES.md changed during a run that does not name it is only noted: the
run read the list it had at start.

A run whose pending file was removed (git clean -x) before finish is recorded
from the token all the same when --agent names its agent (the agent block
gives it) and the token's start time is in the last day: StatusBefore and
inputs TBD, noted. So is a run whose deliverable folder is gone altogether (a
removed worktree): its record waits in the user's spool and is printed as a
"runrec: lost-record:" line too, exit 0. Otherwise, as for a token that names
no run, finish exits 2. So it does, naming the run and its token, when a run
the token may mean is pending (or reaped): the agent's run in that folder whose
id shares the token's start time or random part (a token mistyped), or the same
run in another deliverable folder near it (its folder renamed and the old path
back, or the token given with another deliverable's folder). Its
record's Notes name the run ("recorded from the token of run <id>"): should
the pending file come back (git stash pop, a restored copy), finish exits 2
naming the RunID and removes it.

As with runrec emit, a write failure never fails the agent's run: runrec
warns, keeps the record in the spool, exits 0 (see runrec emit --help: spool,
replay, lost-record lines). So does a deliverable folder that turned read-only
since the start: the record, naming the run's id, waits in the user's spool,
and the pending file stays; a second finish and reap record nothing meanwhile
(they say where the record waits); runrec flush <del-dir>, once the folder is
writable, appends it and removes the pending file. Finishing a run twice is an
error (exit 2): the second finish writes nothing and says where the record is
(its RunID, or the spool entry of a gone folder's run: flush, or the
lost-record line, appends it; nothing more is needed). Bad arguments exit 2,
write nothing, and leave the run pending. When the run is finished already and
runs of the same --agent started since it ended are pending in that folder (a
previous run's token given for the current run), the error names them and
their tokens instead: finish the current run with its own. A run that runrec
reap wrote as FAILED (its agent seemed gone) is finished all the same: its
Notes say that it supersedes the FAILED record, which stays (log marks that
one SUPERSEDED).

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
    error: { type: "string" },
    notes: { type: "string" },
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
