/**
 * `runrec show`: one run record, as a readable Markdown document or as JSON.
 *
 * @module
 */
import {
  ambiguousAnnotations,
  type Annotation,
  annotationsFor,
  annotationsIn,
  type AnnotationSource,
  annotationSource,
  otherName,
} from "../annotations.ts";
import { CheckFailure, InputError } from "../errors.ts";
import { deliverableId } from "../deliverable.ts";
import { basename, dirname } from "../path.ts";
import { deliverableOfRunId, runIdHome } from "../run_id_home.ts";
import { firstCopies, type LineRecord, readRecords } from "../reader.ts";
import { RUN_ID_SYNTAX, type RunRecord } from "../schema.ts";
import { meantRunIds, nearRunIds, notARunId, refuseRunIdFirst } from "./run_id_words.ts";
import { refuseOtherFiles, resolveTargets } from "../targets.ts";
import { renumberedNote } from "../record_limits.ts";
import { linesWithRunId } from "../record_lines.ts";
import { pathArgument } from "../shell_word.ts";
import { oneLine } from "../names.ts";
import {
  deletedHolding,
  heldByGit,
  journaledLines,
  journalOnlyLines,
  journalOnlyMessage,
} from "../journal.ts";
import { isGone } from "../lookups.ts";
import {
  type Command,
  EXIT,
  type Io,
  type Parsed,
  positionals,
  stringOption,
  UsageError,
  writeJson,
} from "./command.ts";
import {
  choiceMeant,
  escapeMarkdownCell,
  plural,
  renderMarkdownTable,
  showControls,
} from "./format.ts";
import { extraFields, recordJson } from "./record_json.ts";

const HELP = `runrec show: show one run record

Usage: runrec show <del-dir|file> <RUNID> [--line N] [--format md|json]
                   [--json]

Options:
  --format md    (default) a Markdown document: a table of the fields (a
                 newer version's extra columns by their header's names),
                 the inputs and outputs with their SHA-256, the error
                 summary, notes, and the run's annotations (runrec annotate)
  --format json  the record as one JSON object: column names as keys (a
                 newer version's extra columns by their header's names),
                 lists as arrays, hashes as {path: hash}; then
                 invalidatedBy (RunIDs of the annotations that invalidate
                 the run), supersededBy (RunIDs of the runs that supersede
                 it) and annotations (as runrec log --help describes),
                 recordFile (the record file) and line
  --json         the same as --format json
  --line N       the record on line N of the file: picks one when the RunID
                 appears more than once
  -h, --help     show this help

When the RunID appears more than once (two merged branches both used it; see
runrec verify), a warning on stderr names every line and each record is
shown: one Markdown document after another, or a JSON array of the objects.
--line N shows one of them.

Exit codes: 0 shown; 1 the RunID is not in the records (or not on line N;
one appended in the last day that a git stash or command has taken out of
the file since is said so, with the command that brings it back);
2 usage error (also a malformed RunID or a run of another deliverable: the
message names its folder), missing target or unreadable file.

Example:
  runrec show PKG-01_Alpha/1_Working/DEL-01-02_Spec \\
    RUN-DEL-01-02-20260222-1015-001
`;

/** Where a record was found. */
interface Found {
  path: string;
  event: LineRecord;
}

/**
 * Puts free text in a fenced block longer than any backtick run inside it, so
 * that nothing in it can turn into Markdown structure.
 */
function fenced(text: string): string {
  if (text === "") return "_none_\n";
  text = showControls(text); // an agent's text must not drive the terminal it is shown on
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}\n`;
}

/** What an annotation says about the run it is shown with. */
function says(a: Annotation): string {
  switch (a.kind) {
    case "invalidated":
      return "INVALIDATED";
    case "superseded":
      return `SUPERSEDED by ${otherName(a)}`;
    case "supersedes":
      return `supersedes ${otherName(a)}`;
    case "note":
      return "note";
  }
}

/**
 * Renders a record as a Markdown document: a field table, inputs and outputs
 * with their hashes, the error summary and notes.
 */
function renderRecordMarkdown(
  record: RunRecord,
  path: string,
  line: number,
  annotations: readonly Annotation[] = [],
  extras: readonly [string, string][] = [],
): string {
  const fields: [string, string][] = [
    ["RunID", record.RunID],
    ["DeliverableID", record.DeliverableID],
    ["AgentName", record.AgentName],
    ["AgentType", record.AgentType],
    ["RunStatus", record.RunStatus],
    ["RunTimestamp", record.RunTimestamp],
    ["RunDuration", record.RunDuration],
    ["RunPassDirective", record.RunPassDirective],
    ["StatusBefore", record.StatusBefore],
    ["StatusAfter", record.StatusAfter],
    ["InputContextSHA", record.InputContextSHA],
    ["GitHead", record.GitHead],
    ["Host", record.Host],
    ["SchemaVersion", record.SchemaVersion],
    ...extras,
    ["RecordChecksum", record.RecordChecksum],
  ];
  const listed = new Set(record.InputFiles);
  const inputs = Object.entries(record.InputHashes).map(([p, hash]) => [
    p,
    hash,
    listed.has(p) ? "input" : "governed reference",
  ]);
  const outputs = record.OutputFiles.map((p) => [p, record.OutputHashes[p] ?? ""]);
  // Hashes for outputs not listed in OutputFiles still belong in the document.
  for (const [p, hash] of Object.entries(record.OutputHashes)) {
    if (!record.OutputFiles.includes(p)) outputs.push([p, hash]);
  }
  return [
    `# Run ${escapeMarkdownCell(record.RunID)}\n`,
    `From \`${oneLine(path).replaceAll("`", "'")}\`, line ${line}.\n`,
    renderMarkdownTable(["Field", "Value"], fields),
    `## Inputs (${plural(inputs.length, "file")})\n`,
    inputs.length > 0 ? renderMarkdownTable(["Path", "SHA-256", "Kind"], inputs) : "_none_\n",
    `## Outputs (${plural(outputs.length, "file")})\n`,
    outputs.length > 0 ? renderMarkdownTable(["Path", "SHA-256"], outputs) : "_none_\n",
    "## Error summary\n",
    fenced(record.ErrorSummary),
    "## Notes\n",
    fenced(record.Notes),
    `## Annotations (${annotations.length})\n`,
    annotations.length > 0
      ? renderMarkdownTable(
        ["Annotation", "Timestamp", "Says", "Note"],
        annotations.map((a) => [a.annotationId, a.timestamp, says(a), a.note]),
        [3], // the note, a person's free text
      )
      : "_none_\n",
  ].join("\n");
}

/**
 * Throws {@linkcode InputError} when `runId` was allocated in another deliverable than
 * `target`'s, naming where it belongs: the folder given is the mistake, which the RunID
 * itself tells (trial-t F9). A target that is no deliverable's (a file named otherwise, a
 * folder without `_CONTEXT.md`) is passed over.
 */
function refuseOtherDeliverable(target: string, runId: string): void {
  let own: string;
  try {
    const folder = Deno.statSync(target).isDirectory ? target : dirname(target);
    own = deliverableId(folder).id;
  } catch {
    return;
  }
  if (deliverableOfRunId(runId) === own) return;
  throw new InputError(
    `${runId} is not a run of ${own} (${target}): it is a run of ${runIdHome(target, runId)}; ` +
      "show it from there",
  );
}

async function run(parsed: Parsed, io: Io): Promise<number> {
  refuseRunIdFirst("show", parsed.positionals);
  const [target, runId] = positionals(parsed, ["del-dir|file", "RUNID"]);
  // Any case, as --status takes one (`--format JSON`).
  const typed = stringOption(parsed, "format");
  const given = typed?.toLowerCase();
  const format = parsed.values.json ? "json" : given ?? "md";
  if (format !== "md" && format !== "json") {
    throw new UsageError(
      `--format: ${JSON.stringify(typed)} is not one of md, json${await choiceMeant(format, [
        "md",
        "json",
      ])}`,
    );
  }
  if (parsed.values.json && given === "md") {
    throw new UsageError("--json and --format md contradict each other");
  }
  if (!RUN_ID_SYNTAX.test(runId)) {
    throw new UsageError(notARunId("", runId, await nearRunIds(target, runId)));
  }
  const lineOption = stringOption(parsed, "line");
  const onLine = lineOption === undefined ? undefined : Number(lineOption);
  if (lineOption !== undefined && !(/^[0-9]+$/.test(lineOption) && onLine! >= 1)) {
    throw new UsageError(
      `--line: expected a line number (1 or more), got ${JSON.stringify(lineOption)}`,
    );
  }
  const files = await resolveTargets([target]);
  await refuseOtherFiles(files);
  const found: Found[] = [];
  // Only what annotationsIn reads: a long history's records are not held whole.
  const annotatingByFile = new Map<string, AnnotationSource[]>();
  let unread = 0;
  const damaged: { path: string; line: number; why: string }[] = [];
  // A torn line is only a warning, but a line written without a checksum (by hand, by another
  // tool) is one too: it may hold the RunID sought, said so rather than "not found" (newuser-49 F2).
  const torn: { path: string; line: number; why: string }[] = [];
  // Records put back under another RunID that had this one at their append (skew-39 F1).
  const renumbered: Found[] = [];
  const hadRunId = renumberedNote(runId);
  const holding = new Map<string, number[]>(); // the files holding it, and on which lines
  for (const file of files) {
    if (!file.exists) continue;
    const firstCopy = firstCopies();
    for await (const event of readRecords(file.path)) {
      if (event.kind === "record") {
        const first = firstCopy(event.record);
        if (first) {
          const list = annotatingByFile.get(file.path) ?? [];
          list.push(annotationSource(event.record));
          annotatingByFile.set(file.path, list);
        }
        // A line repeating an earlier one byte for byte is the same record, read once; named by
        // its line, it is shown (help-texts F2).
        if (event.record.RunID === runId) {
          holding.set(file.path, [...holding.get(file.path) ?? [], event.line]);
        }
        if (
          event.record.RunID === runId && (onLine === undefined ? first : event.line === onLine)
        ) {
          found.push({ path: file.path, event });
        }
        if (event.record.Notes.includes(hadRunId)) renumbered.push({ path: file.path, event });
      } else if (event.severity === "error") {
        unread++;
        damaged.push({ path: file.path, line: event.line, why: event.message });
      } else if (event.code === "torn") {
        torn.push({ path: file.path, line: event.line, why: event.message });
      }
    }
  }
  if (found.length === 0) {
    // There, on a line no reader takes (another major version's, a damaged one): said so, as
    // annotate says it, not "not found" (versions-sweep F5).
    const unreadable = [...damaged, ...torn];
    for (const path of new Set(unreadable.map((d) => d.path))) {
      const lines = new Set(linesWithRunId(path, runId));
      const held = unreadable.find((d) => d.path === path && lines.has(d.line));
      if (held === undefined) continue;
      throw new InputError(
        `${path}: line ${held.line} holds ${runId} but cannot be read (${held.why}); see ` +
          `runrec validate ${pathArgument(path)}`,
      );
    }
    refuseOtherDeliverable(target, runId);
    for (const file of files) if (!holding.has(file.path)) outOfFile(file.path, runId);
    // A file not there holds no run: said so, as annotate says it (trial-37 F6).
    const where = files.length !== 1
      ? target
      : files[0].exists
      ? files[0].path
      : `${target}: no ${basename(files[0].path)} here (no run of it is recorded yet)`;
    const hint = unread > 0
      ? ` (${plural(unread, "line")} could not be read; see runrec validate)`
      : "";
    // As typed: a number past 2^53 would be said rounded.
    const on = lineOption === undefined ? "" : ` on line ${lineOption}`;
    const near = files.length === 1 && onLine === undefined
      ? await nearRunIds(files[0].path, runId)
      : [];
    // Held on another line than --line names: which, so the next try needs no search.
    const held = [...holding].map(([path, lines]) =>
      `${holding.size > 1 ? `${path} ` : ""}line${lines.length > 1 ? "s" : ""} ${lines.join(", ")}`
    );
    const elsewhere = held.length > 0 ? `; it is on ${held.join("; ")}` : "";
    throw new CheckFailure(
      `${runId} not found${on} in ${where}${hint}${meantRunIds(near)}${elsewhere}`,
    );
  }
  for (const { path, event } of renumbered) {
    io.err(
      `runrec show: note: ${path}:${event.line}: ${event.record.RunID} was appended as ${runId}, ` +
        "then put back under its own RunID after a git command dropped it and another record " +
        `took ${runId}: runrec show ${pathArgument(target)} ${event.record.RunID}\n`,
    );
  }
  if (found.length > 1) {
    io.err(
      `runrec show: warning: ${runId} appears ${found.length} times (${
        oneLine(found.map((f) => `${f.path}:${f.event.line}`).join(", "))
      }): two runs collide (see runrec verify); showing each, --line N shows one\n`,
    );
  }
  const annotationsOf = (f: Found) =>
    annotationsFor(annotationsIn(annotatingByFile.get(f.path) ?? []), f.event.record);
  for (const path of new Set(found.map((f) => f.path))) {
    for (const line of ambiguousAnnotations(annotatingByFile.get(path) ?? [])) {
      if (line.startsWith(`RunID ${runId} `)) {
        io.err(`runrec show: warning: ${oneLine(`${path}: ${line}`)}\n`);
      }
    }
    // A line no reader takes may be an annotation of this run: its list may lack it, as stale
    // and log say (annotate-sweep F4).
    const unreadLines = damaged.filter((d) => d.path === path).map((d) => d.line);
    if (unreadLines.length > 0) {
      io.err(
        `runrec show: warning: ${oneLine(path)}: ${plural(unreadLines.length, "line")} ` +
          `(${unreadLines.slice(0, 5).join(", ")}${unreadLines.length > 5 ? ", …" : ""}) cannot ` +
          "be read (see runrec validate): an annotation of this run may be among them\n",
      );
    }
  }
  if (format === "json") {
    const objects = found.map((f) =>
      recordJson(f.event.record, extraFields(f.event), annotationsOf(f), {
        file: f.path,
        line: f.event.line,
      })
    );
    writeJson(io, objects.length === 1 ? objects[0] : objects);
  } else {
    io.out(
      found.map((f) =>
        renderRecordMarkdown(
          f.event.record,
          f.path,
          f.event.line,
          annotationsOf(f),
          extraFields(f.event),
        )
      ).join("\n"),
    );
  }
  return EXIT.ok;
}

/**
 * Throws {@linkcode CheckFailure} when the journal of `path` says the record `runId` was appended
 * to it in the last day, and the file as read lacks it: a git stash or another branch holds it,
 * or git dropped it or is writing the file, each said with what brings it back, where "not found"
 * alone sent the user who had been told that RunID looking elsewhere (small-40 F5).
 */
function outOfFile(path: string, runId: string): void {
  // Nothing puts it back: the command that does is named (SCHEMA.md 7.1), a line of a linked work
  // tree removed since too, which this work tree's journal lacks.
  const only = journalOnlyLines(path).find((lost) => lost.runId === runId);
  if (only !== undefined) throw new CheckFailure(journalOnlyMessage(path, only));
  const entry = journaledLines(path, `,${runId},`).find((e) => e.line.split(",")[1] === runId);
  if (entry === undefined) return;
  const dir = dirname(path);
  const deletion = isGone(path) ? deletedHolding(path, entry.line) : undefined;
  const why = deletion !== undefined
    ? `commit ${deletion} deleted the file, which held it (the deliverable removed with its ` +
      "records; that commit's parent holds them)"
    : heldByGit(dir, [entry.line])?.has(entry.line)
    ? "a git stash holds it (git stash pop brings it back), or another branch (checked out, it " +
      "is there)"
    : "git dropped it (a checkout, pull or reset: runrec flush " + `${pathArgument(dir)} puts it ` +
      "back) or is writing the file (once it is done, runrec show finds it)";
  throw new CheckFailure(
    `${runId} not found in ${path}, to which its journal says it was appended at ` +
      `${new Date(entry.at).toISOString()}: ${why}`,
  );
}

/**
 * The `show` command.
 *
 * @example
 * ```ts
 * import { main, processIo } from "./main.ts";
 * await main(["show", "DEL-01-02_X", "RUN-DEL-01-02-20260222-1015-001"], processIo());
 * ```
 */
export const showCommand: Command = {
  name: "show",
  summary: "show one run record as Markdown or JSON",
  help: HELP,
  options: { format: { type: "string" }, json: { type: "boolean" }, line: { type: "string" } },
  readsOnly: true,
  run,
};
