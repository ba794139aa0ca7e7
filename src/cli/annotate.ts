/**
 * `runrec annotate`: appends an annotation to a run (REQ-03: a superseded or
 * invalid run is annotated, never removed). See ../annotations.ts.
 *
 * @module
 */
import { isInside, join, relative } from "../path.ts";
import {
  AnnotationRefused,
  AnnotationUnconfirmed,
  ANNOTATOR,
  appendAnnotation,
  isAnnotation,
} from "../annotations.ts";
import {
  deliverableId,
  findExecutionRoot,
  folderEntries,
  isExecutionRoot,
  RECORD_FILE,
  requireFolder,
} from "../deliverable.ts";
import { deliverableFolders, SILENT_SEARCH } from "../targets.ts";
import { miscasedRecordFileError } from "../other_case.ts";
import { deliverableOfRunId, runIdHome } from "../run_id_home.ts";
import { CheckFailure, InputError } from "../errors.ts";
import { readRecords } from "../reader.ts";
import { RUN_ID_SYNTAX, type RunRecord } from "../schema.ts";
import { meantRunIds, nearRunIds, notARunId, refuseRunIdFirst } from "./run_id_words.ts";
import { linesWithRunId } from "../record_lines.ts";
import {
  type Command,
  EXIT,
  type Io,
  listOption,
  type Parsed,
  positionals,
  stringOption,
  UsageError,
} from "./command.ts";
import { lockWaitMessage, printRecorded } from "./outcome.ts";
import { pathArgument, shellWord } from "../shell_word.ts";
import { oneLine } from "../names.ts";

const HELP = `runrec annotate: annotate a run (never remove it), or withdraw an annotation

Usage: runrec annotate <del-dir> <RUNID> --note TEXT
                       [--supersedes RUNID | --invalidates] [--line N]...

Appends one annotation record to the deliverable's RunRecords.csv (AgentName
${ANNOTATOR}, RunStatus SKIPPED, Notes "annotates=<RUNID>; ...; note=TEXT").
The annotated run stays as it was. log marks invalidated and superseded runs,
show lists a run's annotations, and stale never takes such a run as baseline.
To withdraw a mistaken annotation, invalidate the annotation itself: give its
RunID (the one annotate printed) with --invalidates.

Options:
  --note TEXT          why (required; kept as given, spaces and all)
  --invalidates        RUNID is invalid: its outputs must not be trusted; or,
                       when RUNID is an annotation, withdraw that annotation
  --supersedes OLD     RUNID supersedes the run OLD (OLD is no longer current)
  --line N             the record of RUNID (or OLD) on line N of the file,
                       where that RunID names several records (two branches)
  -h, --help           show this help

Exit codes: 0 annotated; 1 a RunID is not a run in the deliverable's records,
or line N holds no record of it; 2 usage error, a missing or unreadable file,
a run of another deliverable, or a refused annotation (already in force, a
cycle, a RunID naming two records and no --line): nothing written.

Examples:
  runrec annotate DEL-01-02_Spec RUN-DEL-01-02-20260222-1015-001 --invalidates \\
    --note "ran on the wrong decomposition"
  # it printed RUN-DEL-01-02-20260301-0900-001; to take that back:
  runrec annotate DEL-01-02_Spec RUN-DEL-01-02-20260301-0900-001 --invalidates \\
    --note "wrong RunID"

Refusals, a <del-dir> above the deliverable, RunIDs of two records, exit codes
in full: docs/COMMANDS.md, "runrec annotate".
`;

/** Refuses a word that is not a RunID, offering the records one edit from it that `fits`. */
async function checkRunId(
  delDir: string,
  option: string,
  id: string,
  fits: (record: RunRecord) => boolean,
): Promise<void> {
  if (!RUN_ID_SYNTAX.test(id)) {
    throw new UsageError(notARunId(option, id, await nearRunIds(delDir, id, fits)));
  }
}

/** One record of a RunID annotate was given. */
interface Found {
  runId: string;
  /** The line it is on (its first copy's, after a union merge repeated it). */
  line: number;
  agent: string;
  /** Whether it is an annotation. */
  annotation: boolean;
  checksum: string;
  timestamp: string;
}

/** What annotate reads of a record file about the RunIDs it was given. */
interface Lines {
  /** The records of each given RunID, in file order (each once). */
  recordsOf: Map<string, Found[]>;
  /** The record on each line that holds one of them (a repeated copy too): what --line may name. */
  onLine: Map<number, Found>;
  /** What is wrong with each line that holds no readable record (an error `validate` reports). */
  damaged: Map<number, string>;
  /** The number of the file's last line that holds anything. */
  last: number;
}

/**
 * What the record file says of the RunIDs `ids`, or `undefined` when there is
 * no file. Only these are kept: a long history's other records are not held.
 */
async function readLines(file: string, ids: readonly string[]): Promise<Lines | undefined> {
  const lines: Lines = { recordsOf: new Map(), onLine: new Map(), damaged: new Map(), last: 1 };
  const firstOf = new Map<string, Found>();
  try {
    for await (const event of readRecords(file)) {
      lines.last = Math.max(lines.last, event.line);
      // A torn line is only a warning to validate, but it holds no record --line could pick.
      if (event.kind === "problem" && (event.severity === "error" || event.code === "torn")) {
        lines.damaged.set(event.line, event.message);
      }
      if (event.kind !== "record" || !ids.includes(event.record.RunID)) continue;
      const { RunID, RecordChecksum, AgentName, RunTimestamp } = event.record;
      const first = firstOf.get(RecordChecksum);
      if (first !== undefined) {
        lines.onLine.set(event.line, first);
        continue;
      }
      const found: Found = {
        runId: RunID,
        line: event.line,
        agent: AgentName,
        annotation: isAnnotation(event.record),
        checksum: RecordChecksum,
        timestamp: RunTimestamp,
      };
      firstOf.set(RecordChecksum, found);
      lines.onLine.set(event.line, found);
      lines.recordsOf.set(RunID, [...(lines.recordsOf.get(RunID) ?? []), found]);
    }
  } catch (e) {
    if ((e as Error).cause instanceof Deno.errors.NotFound) return undefined;
    if (e instanceof InputError) throw e;
    throw new InputError(`${file}: cannot read: ${(e as Error).message}`);
  }
  return lines;
}

/**
 * The line numbers of `--line`: each a line of the file (1 or more), said as
 * given when it is not one.
 */
function lineNumbers(values: readonly string[]): number[] {
  return values.map((value) => {
    const line = Number(value);
    if (!/^[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(line)) {
      throw new UsageError(
        `--line: expected a line number (1 or more), got ${JSON.stringify(value)}`,
      );
    }
    return line;
  });
}

/**
 * The record each `--line` picks, by RunID: a line must hold a record of
 * one of the RunIDs given, and no two lines may pick records of one RunID.
 */
function picked(file: string, lines: Lines, numbers: readonly number[], ids: readonly string[]) {
  const picks = new Map<string, Found>();
  for (const n of numbers) {
    const found = lines.onLine.get(n);
    if (found === undefined) {
      if (lines.damaged.has(n)) {
        throw new InputError(
          `${file}: --line ${n}: the line cannot be read (${
            lines.damaged.get(n)
          }); nothing written`,
        );
      }
      if (n > lines.last) {
        throw new UsageError(`--line ${n}: ${file} has ${lines.last} lines; nothing written`);
      }
      // Where they are, so the next try needs no search.
      const held = ids.map((id) =>
        [id, (lines.recordsOf.get(id) ?? []).map((f) => f.line)] as const
      )
        .filter(([, at]) => at.length > 0)
        .map(([id, at]) => `${id} is on line${at.length > 1 ? "s" : ""} ${at.join(", ")}`);
      throw new CheckFailure(
        `--line ${n}: ${file} line ${n} holds no record of ${ids.join(" or ")}` +
          (held.length > 0 ? `; ${held.join("; ")}` : ""),
      );
    }
    const other = picks.get(found.runId);
    if (other !== undefined && other !== found) {
      throw new UsageError(
        `--line ${other.line} and --line ${n} both pick a record of ${found.runId}: give one`,
      );
    }
    picks.set(found.runId, found);
  }
  return picks;
}

/** The folder's own DeliverableID, or `undefined` when it is not a deliverable folder. */
function ownId(delDir: string): string | undefined {
  try {
    return deliverableId(delDir).id;
  } catch {
    return undefined;
  }
}

/**
 * The one-line error for a RunID that is not a readable run of `file`: `old` when it is the
 * `--supersedes` one; `fits` picks the records a near RunID may be offered from.
 */
async function notARun(
  delDir: string,
  file: string,
  lines: Lines,
  id: string,
  record: Found | undefined,
  old: boolean,
  fits: (record: RunRecord) => boolean,
): Promise<Error> {
  // Which of the two RunIDs given is wrong: the message says, or the agent fixes the other one.
  const option = old ? "--supersedes: " : "";
  if (record?.annotation) {
    const pick = (lines.recordsOf.get(id)?.length ?? 0) > 1 ? ` --line ${record.line}` : "";
    return new CheckFailure(
      `${option}${id} is an annotation (${file} line ${record.line}), not a run: to withdraw it, ` +
        `runrec annotate ${pathArgument(delDir)} ${id}${pick} --invalidates --note WHY`,
    );
  }
  // There, but on a line no reader takes: saying "not a run" would send the user looking elsewhere.
  const unreadable = lines.damaged.size === 0
    ? undefined
    : linesWithRunId(file, id).find((n) => lines.damaged.has(n));
  if (unreadable !== undefined) {
    return new InputError(
      `${file}: line ${unreadable} holds ${id} but cannot be read ` +
        `(${lines.damaged.get(unreadable)}); nothing is written: see ` +
        `runrec validate ${pathArgument(delDir)}`,
    );
  }
  const own = ownId(delDir);
  // The RunID says where it belongs: the folder given is the mistake, as for show and finish.
  if (own !== undefined && deliverableOfRunId(id) !== own) {
    // A run can only supersede a run of its own deliverable: another folder would not help.
    const remedy = old
      ? "a run supersedes only a run of its own deliverable; nothing written"
      : "annotate it in its own deliverable folder";
    return new InputError(
      `${option}${id} is not a run in ${file}: it is a run of ${
        runIdHome(delDir, id)
      }, not of ${own}; ${remedy}`,
    );
  }
  // Lines that cannot be read (a file saved as UTF-16, CR line ends) may hold it: unknown, not
  // "not a run" (bad-input F4).
  const [damagedLine, why] = lines.damaged.entries().next().value ?? [];
  if (damagedLine !== undefined) {
    return new InputError(
      `${file}: ${id} is not among its readable records, and ${lines.damaged.size} line(s) ` +
        `cannot be read (line ${damagedLine}: ${why}): it may be on one; nothing is written: ` +
        `see runrec validate ${pathArgument(delDir)}`,
    );
  }
  return new CheckFailure(
    `${option}${id} is not a run in ${file}${meantRunIds(await nearRunIds(file, id, fits))}`,
  );
}

/**
 * The one-line error for a RunID that names several records and no `--line`
 * picks one: runs (or annotations) of one minute recorded on two branches and
 * merged (SCHEMA.md 3.3).
 */
function collided(delDir: string, file: string, id: string, records: readonly Found[]): Error {
  const each = records.map((r) => `line ${r.line} (${r.agent})`).join(", ");
  return new InputError(
    `${file}: ${id} names ${records.length} records (${each}: recorded in the same minute on ` +
      "two branches, SCHEMA.md 3.3); nothing written: say which with --line N (to see each: " +
      `runrec show ${pathArgument(delDir)} ${id} --line N)`,
  );
}

/**
 * The folder to annotate in: `target`, or, when `target` is a folder above deliverables (the
 * project's root, a package) with no record file, the one deliverable folder beneath it that
 * has the RunID's DeliverableID or whose record file holds the RunID, as `show` finds a run from
 * there (newuser-49 F6). Several (a copy, a deliverable renumbered since) are refused, named:
 * the record may be in a copy, which an annotation there would leave unmarked where it counts.
 */
function deliverableBeneath(target: string, runId: string): string {
  const id = deliverableOfRunId(runId);
  if (id === undefined || ownId(target) !== undefined) return target;
  if (folderEntries(target).has(RECORD_FILE)) return target;
  // A symbolic link to a package (or root) is looked beneath where it leads: the walk of the
  // root does not follow links, and its folders are named by their real paths.
  const real = realPathOf(target);
  const root = isExecutionRoot(real) ? real : findExecutionRoot(real);
  if (root === undefined) return target;
  // A FIFO is never opened (it would block); a file that cannot be read may hold it.
  const holds = (folder: string) => {
    if (folderEntries(folder).get(RECORD_FILE) !== "file") return false;
    try {
      return linesWithRunId(join(folder, RECORD_FILE), runId).length > 0;
    } catch {
      return true;
    }
  };
  const beneath = deliverableFolders(root, SILENT_SEARCH)
    .filter((f) => isInside(f, real) && (ownId(f) === id || holds(f)))
    .map((f) => relative(Deno.cwd(), f) || ".");
  if (beneath.length > 1) {
    throw new InputError(
      `${target}: no ${RECORD_FILE} here; ${runId} is of ${beneath.length} deliverable folders ` +
        `beneath it (${beneath.join(", ")}; a copy?): name the one meant`,
    );
  }
  return beneath.length === 1 ? beneath[0] : target;
}

/** `path` with its symbolic links resolved, or as given where it cannot be (it is not there). */
function realPathOf(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}

/** Whether deliverableBeneath looked beneath `folder`: a folder of an execution root. */
function searchedBeneath(folder: string): boolean {
  const real = realPathOf(folder);
  try {
    if (!Deno.statSync(real).isDirectory) return false;
  } catch {
    return false; // not there: requireFolder says so
  }
  return isExecutionRoot(real) || findExecutionRoot(real) !== undefined;
}

/** The one-line error for a folder without a record file. */
function noRecordFile(delDir: string, runId: string): InputError {
  const own = ownId(delDir);
  const id = deliverableOfRunId(runId);
  const where = runIdHome(delDir, runId);
  // A root (or package) was looked beneath (deliverableBeneath): say so, not "is it one?".
  if (own === undefined && id !== undefined && where === id && searchedBeneath(delDir)) {
    return new InputError(
      `${delDir}: no ${RECORD_FILE} here, and no deliverable folder beneath it is ${id} or ` +
        `records ${runId}`,
    );
  }
  const what = own === undefined
    ? `${delDir}: no ${RECORD_FILE} here: is it a deliverable folder?`
    : `${delDir}: no ${RECORD_FILE} here: no run of ${own} is recorded yet`;
  // Pointing to a deliverable only helps when there is one to go to.
  const hint = deliverableOfRunId(runId) === own || where === deliverableOfRunId(runId)
    ? ""
    : `${what.endsWith("?") ? " " : "; "}${runId} is a run of ${where}`;
  return new InputError(what + hint);
}

async function run(parsed: Parsed, io: Io): Promise<number> {
  refuseRunIdFirst("annotate", parsed.positionals);
  // `annotate D RUNID "why"` (or why unquoted): the reason given without its --note.
  const reason = parsed.positionals.slice(2);
  if (
    reason.length > 0 && !/^RUN-/i.test(reason[0]) && stringOption(parsed, "note") === undefined
  ) {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(reason[0])}: a note goes after --note (--note ` +
        `${shellWord(reason.join(" "))})`,
    );
  }
  const [target, runId] = positionals(parsed, ["del-dir", "RUNID"]);
  const delDir = deliverableBeneath(target, runId);
  // Near RunIDs of a mistyped one are looked for in its deliverable's folder, but only a RunID
  // is a run of it.
  if (delDir !== target && RUN_ID_SYNTAX.test(runId)) {
    io.err(`runrec annotate: note: ${runId} is a run of ${delDir}\n`);
  }
  // Kept as given, as emit keeps --notes: only a blank note is refused.
  const note = stringOption(parsed, "note");
  if (note === undefined || note.trim() === "") {
    throw new UsageError("--note: a reason is required");
  }
  const supersedes = stringOption(parsed, "supersedes");
  const invalidates = parsed.values.invalidates === true;
  if (invalidates && supersedes !== undefined) {
    throw new UsageError("--invalidates and --supersedes contradict each other");
  }
  // As notARun offers: an annotation only to withdraw, never RUNID as the run it supersedes.
  await checkRunId(delDir, "", runId, (r) => invalidates || !isAnnotation(r));
  if (supersedes !== undefined) {
    await checkRunId(
      delDir,
      "--supersedes: ",
      supersedes,
      (r) => !isAnnotation(r) && r.RunID !== runId,
    );
    if (supersedes === runId) throw new UsageError("--supersedes: a run cannot supersede itself");
  }
  const numbers = lineNumbers(listOption(parsed, "line"));
  requireFolder(delDir);
  // As every reader: its runs may be the ones meant, and runrec writes beside it here (review-39 F4).
  const miscased = miscasedRecordFileError(delDir, folderEntries(delDir));
  if (miscased !== undefined) throw new InputError(miscased);
  const file = join(delDir, RECORD_FILE);
  const ids = [runId, ...(supersedes !== undefined ? [supersedes] : [])];
  const lines = await readLines(file, ids);
  if (lines === undefined) throw noRecordFile(delDir, runId);
  const picks = picked(file, lines, numbers, ids);
  // The record each RunID names: its only one, or the one --line picks.
  const meant = new Map<string, Found>();
  for (const id of ids) {
    const all = lines.recordsOf.get(id) ?? [];
    const found = picks.has(id) ? [picks.get(id)!] : all;
    if (found.length > 1) throw collided(delDir, file, id, found);
    // Only `--invalidates` may name an annotation: it withdraws it.
    if (found.length === 0 || (found[0].annotation && !(invalidates && id === runId))) {
      const old = id !== runId;
      // Only what this annotate could take is offered: an annotation only to withdraw, and not
      // the run OLD would be superseded by.
      const fits = (r: RunRecord) =>
        isAnnotation(r) ? invalidates && !old : !(old && r.RunID === runId);
      throw await notARun(delDir, file, lines, id, found[0], old, fits);
    }
    meant.set(id, found[0]);
  }
  let record: RunRecord;
  try {
    // The records read here, named by their checksums: the ones the checks above were about.
    const effect = {
      invalidates,
      supersedes,
      record: meant.get(runId)!.checksum,
      ...(supersedes !== undefined ? { supersedesRecord: meant.get(supersedes)!.checksum } : {}),
    };
    record = await appendAnnotation(delDir, runId, effect, note, {
      onLockWait: lockWaitMessage(io),
    });
  } catch (e) {
    if (e instanceof AnnotationUnconfirmed) return unconfirmed(e, io);
    if (!(e instanceof AnnotationRefused) || e.withdraw === undefined) throw e;
    throw new InputError(
      `${e.message}; to undo that first: ` +
        `runrec annotate ${pathArgument(delDir)} ${e.withdraw} --invalidates --note WHY`,
    );
  }
  // Appended: output that fails from here on is said, never an exit code a caller would retry on.
  printRecorded(io, () => io.out(`${record.RunID}\n`));
  if (supersedes !== undefined) {
    printRecorded(io, () => warnIfOlder(meant, runId, supersedes, delDir, record, io));
  }
  return EXIT.ok;
}

/**
 * An annotation in the file whose fsync or read-back failed is written, as
 * `emit` treats its record: exit 0 and a warning, so that no one retries it
 * (a retry would append a second annotation).
 */
function unconfirmed(e: AnnotationUnconfirmed, io: Io): number {
  const id = e.record?.RunID;
  if (id) printRecorded(io, () => io.out(`${id}\n`));
  const which = id ? `annotation ${id}` : "the annotation (its RunID could not be read back)";
  printRecorded(io, () =>
    io.err(
      `runrec annotate: warning: ${
        oneLine(`${which} written but not confirmed (${e.message})`)
      }: do not repeat it\n`,
    ));
  return EXIT.ok;
}

/**
 * A run superseding a newer one is allowed (the newer run may be the mistake), but is most
 * often two RunIDs swapped: said, with the way back.
 */
function warnIfOlder(
  meant: ReadonlyMap<string, Found>,
  newer: string,
  older: string,
  delDir: string,
  annotation: RunRecord,
  io: Io,
): void {
  const at = (id: string) => meant.get(id)!.timestamp;
  if (Date.parse(at(newer)) >= Date.parse(at(older))) return;
  const warning = `${newer} (${at(newer)}) now supersedes the newer run ${older} ` +
    `(${at(older)}); if the RunIDs were swapped, withdraw it: ` +
    `runrec annotate ${pathArgument(delDir)} ${annotation.RunID} --invalidates ` +
    `--note "swapped RunIDs"`;
  io.err(`runrec annotate: warning: ${oneLine(warning)}\n`);
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
    note: { type: "string", text: true },
    supersedes: { type: "string" },
    invalidates: { type: "boolean" },
    line: { type: "string", multiple: true },
  },
  run,
};
