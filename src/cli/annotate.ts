/**
 * `runrec annotate`: appends an annotation to a run (REQ-03: a superseded or
 * invalid run is annotated, never removed). See ../annotations.ts.
 *
 * @module
 */
import { join } from "node:path";
import { ANNOTATOR, appendAnnotation, isAnnotation } from "../annotations.ts";
import { requireFolder } from "../deliverable.ts";
import { CheckFailure, InputError } from "../errors.ts";
import { firstCopies, readRecords } from "../reader.ts";
import { RUN_ID_PATTERN } from "../schema.ts";
import { RECORD_FILE } from "../store.ts";
import {
  type Command,
  EXIT,
  type Io,
  type Parsed,
  positionals,
  stringOption,
  UsageError,
} from "./command.ts";

const HELP = `runrec annotate: annotate a run (never remove it)

Usage: runrec annotate <del-dir> <RUNID> --note TEXT [--supersedes RUNID | --invalidates]

Appends one annotation record to the deliverable's RunRecords.csv (AgentName
${ANNOTATOR}, RunStatus SKIPPED, Notes "annotates=<RUNID>; ...; note=TEXT").
The annotated run stays as it was. log marks invalidated and superseded runs,
show lists a run's annotations, and stale never takes such a run as baseline.

Options:
  --note TEXT          why (required)
  --invalidates        RUNID is invalid: its outputs must not be trusted
  --supersedes OLD     RUNID supersedes the run OLD (OLD is no longer current)
  -h, --help           show this help

Exit codes: 0 annotated; 1 a RunID is not in the deliverable's records;
2 usage error, missing folder, unreadable file, or a RunID that names two
records (runs of one minute recorded on two branches and merged: an
annotation could not tell them apart).

Example:
  runrec annotate DEL-01-02_Spec RUN-DEL-01-02-20260222-1015-001 --invalidates \\
    --note "ran on the wrong decomposition"
`;

function checkRunId(option: string, id: string): void {
  if (!RUN_ID_PATTERN.test(id)) {
    throw new UsageError(
      `${option}${JSON.stringify(id)} is not a RunID (RUN-DEL-XX-YY-YYYYMMDD-HHmm-SEQ)`,
    );
  }
}

/** The lines of each RunID's runs (annotations left out). */
async function runLines(file: string): Promise<Map<string, number[]>> {
  const runs = new Map<string, number[]>();
  const firstCopy = firstCopies();
  try {
    for await (const event of readRecords(file)) {
      if (event.kind === "record" && !isAnnotation(event.record) && firstCopy(event.record)) {
        const lines = runs.get(event.record.RunID) ?? [];
        runs.set(event.record.RunID, [...lines, event.line]);
      }
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return runs;
    if (e instanceof InputError) throw e;
    // The system's message does not always name the file (reading a folder: EISDIR).
    throw new InputError(`${file}: cannot read: ${(e as Error).message}`);
  }
  return runs;
}

async function run(parsed: Parsed, io: Io): Promise<number> {
  const [delDir, runId] = positionals(parsed, ["del-dir", "RUNID"]);
  const note = stringOption(parsed, "note")?.trim();
  if (!note) throw new UsageError("--note: a reason is required");
  const supersedes = stringOption(parsed, "supersedes");
  const invalidates = parsed.values.invalidates === true;
  if (invalidates && supersedes !== undefined) {
    throw new UsageError("--invalidates and --supersedes contradict each other");
  }
  checkRunId("", runId);
  if (supersedes !== undefined) {
    checkRunId("--supersedes: ", supersedes);
    if (supersedes === runId) throw new UsageError("--supersedes: a run cannot supersede itself");
  }
  requireFolder(delDir);
  const file = join(delDir, RECORD_FILE);
  const runs = await runLines(file);
  for (const id of [runId, ...(supersedes !== undefined ? [supersedes] : [])]) {
    const lines = runs.get(id);
    if (!lines) throw new CheckFailure(`${id} is not a run in ${file}`);
    // An annotation names its run by RunID alone, so it would hold for every record of that
    // RunID: two clones' runs of one minute, merged (SCHEMA.md 3.3).
    if (lines.length > 1) {
      throw new InputError(
        `${file}: ${id} names ${lines.length} records (lines ${lines.join(", ")}: runs recorded ` +
          "in the same minute on two branches, SCHEMA.md 3.3); an annotation cannot tell them " +
          "apart, so none is written",
      );
    }
  }
  const record = await appendAnnotation(delDir, runId, { invalidates, supersedes }, note);
  io.out(`${record.RunID}\n`);
  return EXIT.ok;
}

/**
 * The `annotate` command.
 *
 * @example
 * ```ts
 * import { main, processIo } from "./main.ts";
 * await main([
 *   "annotate", "DEL-01-02_X", "RUN-DEL-01-02-20260222-1015-001", "--invalidates", "--note", "bad input",
 * ], processIo());
 * ```
 */
export const annotateCommand: Command = {
  name: "annotate",
  summary: "annotate a run as invalid or superseded (never removes it)",
  help: HELP,
  options: {
    note: { type: "string" },
    supersedes: { type: "string" },
    invalidates: { type: "boolean" },
  },
  run,
};
