/**
 * `runrec start`: the agent's first step — fix the run's start (time,
 * StatusBefore, the inputs' hashes) and keep it pending until `finish`.
 *
 * @module
 */
import { pathArgument, shellWord } from "../shell_word.ts";
import { oneLine } from "../names.ts";
import { InputError } from "../errors.ts";
import { startRun } from "../run.ts";
import { join } from "../path.ts";
import { shownNote } from "../input_folders.ts";
import { findProfile, unknownAgentAtStart } from "../profiles.ts";
import { RECORD_FILE } from "../deliverable.ts";
import { agentsRecordedIn } from "../record_lines.ts";
import {
  type Command,
  EXIT,
  INPUTS_FROM,
  type Io,
  listOption,
  positionals,
  requiredOption,
  stringOption,
  writeJson,
} from "./command.ts";

const HELP = `runrec start: start a run (the agent's first step); finish it with runrec finish

Usage:
  runrec start <del-dir> --agent NAME [--input P]... [--inputs-from F]... [--null]
               [--pass D] [--allow-outside] [--pid PID] [--json]

Captures now what the record must hold as the run's start: RunTimestamp,
StatusBefore (the **Current State:** of _STATUS.md), and the SHA-256 of every
governed input with their InputContextSHA. So a file the run reads and then
rewrites is recorded as it was read. Keeps the pending run in
<del-dir>/.runrec/pending/ and prints its token, for runrec finish <token>;
runs never finished are written as FAILED by runrec reap.

Options:
  --agent NAME   agent name, e.g. 4_DOCUMENTS (required)
  --input P      a file the run reads, or a folder: its files (repeatable);
                 _REFERENCES.md and the files it lists are always hashed
  --inputs-from F  each path listed in file F (- for stdin) an --input, one a line
  --null         the --inputs-from lists are separated by NUL (find -print0)
  --pass D       the pass directive the run was dispatched with
  --allow-outside  also read inputs, and finish's outputs, outside the project
  --pid PID      the agent's process: once it is gone, runrec reap writes the run as
                 FAILED (default: none; such a run is reaped only with --older-than)
  --json         print the pending run as JSON (its "token" field is the token)

Exit codes: 0 started (the token printed); 2 usage error, inputs over a record's
16 MiB, a run that cannot be kept (its folder and $TMPDIR unwritable), or a token
that cannot be printed: nothing kept.

Example:
  TOKEN=$(runrec start PKG-01_X/1_Working/DEL-01-02_Y --agent 4_DOCUMENTS \\
    --input _CONTEXT.md --input Datasheet.md --pass FULL --pid $$)
  ...
  runrec finish "$TOKEN" --status SUCCESS --output Datasheet.md

Where the run is kept, --pid, warnings of earlier pending runs: docs/COMMANDS.md,
"runrec start"; the agent's steps: docs/AGENT_PROTOCOL.md, section 1 (a retried
start: section 4).
`;

/** The `start` command. */
export const startCommand: Command = {
  name: "start",
  summary: "start a run (the agent's first step): its start time, StatusBefore, input hashes",
  help: HELP,
  options: {
    agent: { type: "string" },
    input: { type: "string", multiple: true },
    ...INPUTS_FROM,
    pass: { type: "string" },
    pid: { type: "string" },
    "allow-outside": { type: "boolean" },
    json: { type: "boolean" },
  },
  async run(parsed, io) {
    const [delDir] = positionals(parsed, ["del-dir"]);
    const pid = stringOption(parsed, "pid");
    if (pid !== undefined && !/^[1-9][0-9]*$/.test(pid)) {
      throw new InputError(`--pid: must be a process id (a whole number above 0), got "${pid}"`);
    }
    const agent = requiredOption(parsed, "agent");
    const started = await startRun(delDir, {
      agent,
      inputs: listOption(parsed, "input"),
      pass: stringOption(parsed, "pass"),
      pid: pid === undefined ? undefined : Number(pid),
      allowOutside: parsed.values["allow-outside"] === true,
    });
    // Kept in memory only, the run ends with this process: the agent records it in one step.
    const token = started.token;
    if (token === undefined) {
      throw new InputError(
        `${delDir}: the run cannot be kept (${started.notSaved}); record it at its end with ` +
          `runrec emit ${pathArgument(delDir)} --agent ${
            shellWord(agent)
          } --status S ... (finish's options) ` +
          "instead of runrec finish",
      );
    }
    // The token first: an agent that never gets it records the run with emit (the block's
    // fallback), so the run must not stay pending too, for reap to record it again as FAILED.
    // Printed as it is, a control in its folder's name too: it is the pending run file's path,
    // which finish opens byte for byte (escaped, it would name no file).
    try {
      if (parsed.values.json) writeJson(io, { token, ...started.run });
      else io.out(`${token}\n`);
      const lost = io.outLost?.();
      if (lost) throw new Error(lost);
    } catch (e) {
      const why = (e as Error).message.split("\n")[0];
      let left = "";
      try {
        Deno.removeSync(token);
      } catch (removeError) {
        if (!(removeError instanceof Deno.errors.NotFound)) {
          left = `; but its pending run could not be removed ` +
            `(${(removeError as Error).message.split("\n")[0]}): remove ${token}, or reap ` +
            "records it as FAILED";
        }
      }
      say(
        io,
        `runrec start: the token could not be written (${why}): the run was not started and ` +
          "nothing is kept; start it again with its standard output open, or record the run " +
          `at its end with runrec emit${left}\n`,
      );
      return EXIT.usage;
    }
    // Once the token is out the run is started: a note that cannot be printed changes nothing.
    const warned = new Set([
      ...started.warnings ?? [],
      ...await unknownAgentSaid(started.delDir, agent, token),
    ]);
    for (const warning of warned) say(io, `runrec: warning: ${oneLine(warning)}\n`);
    for (const note of started.run.start.notes) {
      if (!warned.has(note)) say(io, `runrec: note: ${shownNote(note)}\n`);
    }
    return EXIT.ok;
  },
};

/**
 * The warning of a started run's agent name that runrec does not know and that is a near miss of
 * one it does (misspelt or mis-cased: `unknownAgentAtStart`), said at the start, while the agent
 * can still start again under the name it meant (trial-t F10); none for a known name or a
 * project's own. Said by this command only: `exec` records the run itself, and warns then. Advice
 * only: a failure to tell is no failure of the start.
 */
async function unknownAgentSaid(delDir: string, agent: string, token: string): Promise<string[]> {
  if (findProfile(agent, delDir) !== undefined) return [];
  const recorded = () => agentsRecordedIn(join(delDir, RECORD_FILE));
  const warning = await unknownAgentAtStart(agent, delDir, token, recorded).catch(() => undefined);
  return warning === undefined ? [] : [warning];
}

/** Writes to stderr; where it cannot be written (a full disk, closed), it is said nowhere. */
function say(io: Io, text: string): void {
  try {
    io.err(text);
  } catch { /* said nowhere */ }
}
