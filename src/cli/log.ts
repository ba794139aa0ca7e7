/**
 * `runrec log`: lists run records, filtered, as an aligned table, Markdown,
 * CSV, JSON or JSON Lines.
 *
 * @module
 */
import { readFailure } from "../errors.ts";
import { dirname, relative } from "../path.ts";
import {
  ambiguousAnnotations,
  type Annotation,
  annotationMark,
  annotationsFor,
  annotationsIn,
  type AnnotationSource,
  annotationSource,
  isAnnotation,
  runIdsNamedBy,
} from "../annotations.ts";
import { checksumOf, encodeRecord } from "../codec.ts";
import { formerKeys } from "../record_limits.ts";
import { firstCopies, readRecords } from "../reader.ts";
import { HEADER, RUN_STATUSES, type RunRecord } from "../schema.ts";
import { describePending, pendingRecords } from "../spool_pending.ts";
import { awaitingPutBack, awaitingPutBackWarning } from "../journal.ts";
import { pendingRunsByFolder } from "../pending.ts";
import { foldersWithPendingRuns } from "../pending_folders.ts";
import { pendingRunWarnings, removedWorkTreeRunWarnings } from "../pending_warnings.ts";
import { refuseOtherFiles, resolveTargets } from "../targets.ts";
import { parseDurationOption, parseInstant } from "../time.ts";
import { spelledDuration } from "./duration_words.ts";
import { sortUtf8 } from "../manifest.ts";
import { checksumsAt } from "./added_since.ts";
import { agentNotFound } from "../profiles.ts";
import { describeLineProblem } from "../verify.ts";
import {
  type Command,
  EXIT,
  type Io,
  type Parsed,
  positionals,
  stringOption,
  UsageError,
} from "./command.ts";
import { jsonText } from "../json_text.ts";
import {
  AlignedTable,
  BufferedOut,
  choiceMeant,
  MarkdownTable,
  paintStatus,
  plural,
  RepeatedWarnings,
  showControls,
} from "./format.ts";
import { type ListedRecord, Listing, type Order, recordsInOrder } from "./log_listing.ts";
import { extraFields, recordJson } from "./record_json.ts";
import { oneLine } from "../names.ts";

const FORMATS = ["table", "md", "csv", "json", "jsonl"] as const;
type Format = typeof FORMATS[number];

const HELP = `runrec log: list run records, filtered

Usage: runrec log <del-dir|file|root>... [--agent A] [--status S]
                  [--since T|REV] [--until T] [-n N] [--by time|path]
                  [--format table|md|csv|json|jsonl] [--json]

Lists the records of the files named, or beneath a root, by RunTimestamp
(--by path: file by file, in append order), each run marked as the
annotations (runrec annotate) mark it. Lines that cannot be read, records
still in the spool, runs not finished yet, and records a git command took
out of their file (the next append, or runrec flush DIR, puts them back) are
warnings on stderr; they never reach stdout.

Options:
  --agent A       only records of agent A (comma-separated for several)
  --status S      only records with RunStatus S: SUCCESS, PARTIAL, FAILED
                  or SKIPPED (comma-separated for several)
  --since T       only records at or after T: a date (2026-02-22), a
                  date-time (UTC without a zone), a duration before now
                  (24h, 90m, 7d, PT2H), or a git revision (main,
                  origin/main, HEAD~3): those added since it
  --until T       only records before T (as --since)
  -n, --limit N   only the last N matching records, still oldest first
  --by B          time (default): by RunTimestamp, ties in file order;
                  path: file by file, each in append order
  --format F      table (default); md: a Markdown history table; csv: the
                  record lines as in the file; json: one array of records,
                  with invalidatedBy, supersededBy and annotations; jsonl:
                  one record per line
  --json          the same as --format json
  -h, --help      show this help

Exit codes: 0 listed (even when nothing matches, or lines were skipped);
2 usage error, missing target or unreadable file.

Example:
  runrec log PKG-01_Alpha/1_Working/DEL-01-02_Spec --status FAILED,PARTIAL
  runrec log . --agent 4_DOCUMENTS --since 2026-02-01 --format jsonl
  runrec log . --since 24h
  runrec log . --since origin/main --format md
  runrec log . --format md > HISTORY.md
  runrec log . -n 20

Each format's columns, annotations, --since REV, memory: docs/COMMANDS.md,
"runrec log".
`;

/** The filters of `log`, parsed and checked. */
interface Filters {
  agents?: Set<string>;
  statuses?: Set<string>;
  sinceMs?: number;
  untilMs?: number;
  /** `--since REV`: only the records added since this git revision ({@linkcode checksumsAt}). */
  sinceRevision?: string;
}

function commaList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(",").map((v) => v.trim()).filter((v) => v !== "");
  return items.length > 0 ? items : undefined;
}

function parseFilters(parsed: Parsed): Filters {
  const filters: Filters = {};
  const agents = commaList(stringOption(parsed, "agent"))?.map((a) => a.toUpperCase());
  if (stringOption(parsed, "agent") !== undefined && !agents) {
    throw new UsageError("--agent needs an agent name");
  }
  if (agents) filters.agents = new Set(agents);
  const statusOption = stringOption(parsed, "status");
  const statuses = commaList(statusOption)?.map((s) => s.toUpperCase());
  if (statusOption !== undefined) {
    const bad = statuses?.find((s) => !(RUN_STATUSES as readonly string[]).includes(s)) ??
      (statuses ? undefined : statusOption);
    if (bad !== undefined) {
      // By emit's rule: a word that starts as a status does (`SUCESS`) most likely meant it.
      const start = bad.trim().slice(0, 3).toUpperCase();
      const meant = start.length === 3 ? RUN_STATUSES.find((w) => w.startsWith(start)) : undefined;
      throw new UsageError(
        `--status: ${JSON.stringify(bad)} is not one of ${RUN_STATUSES.join(", ")}` +
          (meant === undefined ? "" : ` (did you mean ${meant}?)`),
      );
    }
    filters.statuses = new Set(statuses);
  }
  const since = stringOption(parsed, "since");
  // A word that is no time is a git revision, as verify's --since takes (git log REV..).
  if (since !== undefined && instantOf(since) === undefined && isRevisionWord(since)) {
    filters.sinceRevision = since;
  } else if (since !== undefined) filters.sinceMs = instantOption("since", since);
  const until = stringOption(parsed, "until");
  if (until !== undefined) filters.untilMs = instantOption("until", until);
  // A range no instant is in lists nothing, as a typo would: said, not "no records match"
  // (newuser-49 F3).
  if (filters.untilMs !== undefined && filters.untilMs <= (filters.sinceMs ?? -Infinity)) {
    throw new UsageError(
      `--until ${until} is not after --since ${since}: no RunTimestamp is in that range ` +
        "(--until is exclusive: --since 2026-02-21 --until 2026-02-22 is that day's runs)",
    );
  }
  return filters;
}

/** The instant `text` names: a date, a date-time, or a duration before now; else `undefined`. */
function instantOf(text: string): number | undefined {
  const at = parseInstant(text, { zone: "utc" });
  if (at !== undefined) return at;
  // A duration: what reap's --older-than takes, before now (agent-trial F7).
  const ago = /^[0-9P]/.test(text) ? parseDurationOption(text) : undefined;
  return ago !== undefined && Number.isFinite(ago) ? Date.now() - ago : undefined;
}

/** An instant `--since` or `--until` names: a date, a date-time, or a duration before now. */
function instantOption(name: string, text: string): number {
  const at = instantOf(text);
  if (at !== undefined) return at;
  throw new UsageError(
    `--${name}: expected an ISO 8601 date or date-time like 2026-02-22 or ` +
      `2026-02-22T10:15:00Z, or a duration before now like 24h or 7d, got ${JSON.stringify(text)}` +
      sinceWords(text),
  );
}

/**
 * {@linkcode spelledDuration} for a time before now, and git's `yesterday` (newuser-49 F5): a
 * word that is neither a time nor a revision.
 */
function sinceWords(text: string): string {
  return /^\s*yesterday\s*$/i.test(text) ? " (did you mean 1d?)" : spelledDuration(text);
}

/**
 * Whether `text`, no time, may name a git revision: one word, not an option, and neither a date
 * (`2026-02-30`) nor a duration (`5 min`, `2h ago`) misspelt, which are said as such; a whole
 * commit id always (git's null one, all digits, is a push's "before" of a new branch).
 */
function isRevisionWord(text: string): boolean {
  if (/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(text)) return true;
  return /^[^\s-]\S*$/.test(text) && !/^\d{4}-\d/.test(text) && sinceWords(text) === "";
}

function matches(
  record: RunRecord,
  filters: Filters,
  before?: ReadonlySet<string>,
): boolean {
  if (before?.has(record.RecordChecksum)) return false;
  if (filters.agents && !filters.agents.has(record.AgentName.toUpperCase())) return false;
  if (filters.statuses && !filters.statuses.has(record.RunStatus)) return false;
  if (filters.sinceMs !== undefined || filters.untilMs !== undefined) {
    const at = parseInstant(record.RunTimestamp) ?? -Infinity;
    if (filters.sinceMs !== undefined && at < filters.sinceMs) return false;
    if (filters.untilMs !== undefined && !(at < filters.untilMs)) return false;
  }
  return true;
}

async function parseFormat(parsed: Parsed): Promise<Format> {
  // Any case, as --status takes one (`--format JSON`).
  const typed = stringOption(parsed, "format");
  const format = typed?.toLowerCase();
  if (parsed.values.json) {
    if (format !== undefined && format !== "json") {
      throw new UsageError(`--json and --format ${format} contradict each other`);
    }
    return "json";
  }
  if (format === undefined) return "table";
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(
      `--format: ${JSON.stringify(typed)} is not one of ${FORMATS.join(", ")}` +
        await choiceMeant(format, FORMATS),
    );
  }
  return format as Format;
}

const ORDERS = ["time", "path"] as const;

async function parseOrder(parsed: Parsed): Promise<Order> {
  const by = stringOption(parsed, "by") ?? "time";
  if (!(ORDERS as readonly string[]).includes(by)) {
    throw new UsageError(
      `--by: ${JSON.stringify(by)} is not one of ${ORDERS.join(", ")}${await choiceMeant(
        by,
        ORDERS,
      )}`,
    );
  }
  return by as Order;
}

function parseLimit(parsed: Parsed): number | undefined {
  const limit = stringOption(parsed, "limit");
  if (limit === undefined) return undefined;
  if (!/^[0-9]+$/.test(limit) || Number(limit) < 1 || !Number.isSafeInteger(Number(limit))) {
    throw new UsageError(
      `-n/--limit: expected a whole number above 0, got ${JSON.stringify(limit)}`,
    );
  }
  return Number(limit);
}

const TABLE_HEADER = [
  "RunID",
  "RunTimestamp",
  "Agent",
  "Status",
  "Pass",
  "Before→After",
  "Duration",
  "Outputs",
  "Error",
];

const MD_HEADER = [
  "RunID",
  "Timestamp",
  "Agent",
  "Status",
  "Pass",
  "Before→After",
  "Duration",
  "Error",
];

/** The md columns of an agent's free text, Pass and Error: its Markdown is shown, not rendered. */
const MD_FREE_TEXT = [MD_HEADER.indexOf("Pass"), MD_HEADER.indexOf("Error")];

/** The first non-empty line of an error summary, cut to fit a table cell. */
function errorCell(summary: string): string {
  const first = summary.split("\n").find((line) => line.trim() !== "") ?? "";
  const more = first.length > 60 || first.trim() !== summary.trim();
  return more ? `${first.slice(0, 60)}…` : first;
}

function statusCell(record: RunRecord, mark: string, color: boolean): string {
  const status = paintStatus(record.RunStatus, color);
  return mark === "" ? status : `${status} [${mark}]`;
}

function tableRow(record: RunRecord, mark: string, color: boolean): string[] {
  // Free text is shown with its control characters made visible: only runrec's colours reach the terminal.
  return [
    record.RunID,
    record.RunTimestamp,
    record.AgentName,
    statusCell(record, mark, color),
    showControls(record.RunPassDirective),
    `${record.StatusBefore}→${record.StatusAfter}`,
    record.RunDuration,
    String(record.OutputFiles.length),
    showControls(errorCell(record.ErrorSummary)),
  ];
}

function mdRow(record: RunRecord, mark: string): string[] {
  return [
    record.RunID,
    record.RunTimestamp,
    record.AgentName,
    statusCell(record, mark, false),
    record.RunPassDirective,
    `${record.StatusBefore}→${record.StatusAfter}`,
    record.RunDuration,
    errorCell(record.ErrorSummary),
  ];
}

/**
 * The record's line as written: a record of a newer additive version
 * (docs/SCHEMA_EVOLUTION.md) gets back the cells this runrec does not read.
 */
function lineOf(record: RunRecord, unknownCells: string[] | undefined): string {
  const line = encodeRecord(record);
  if (unknownCells === undefined) return line;
  const body = `${line.slice(0, line.lastIndexOf(","))},${unknownCells.join(",")}`;
  return `${body},${checksumOf(body)}`;
}

/**
 * What an annotation record does, for its row's mark: `marks <id> INVALIDATED`,
 * `withdraws <id>` (it invalidates an annotation of `sources`, the file's records),
 * `marks <id> SUPERSEDED` or `note on <id>`. Read from the annotations it made,
 * by RunID and time: two annotations that two branches numbered alike (SCHEMA.md 3.3)
 * keep their own deeds.
 */
function annotationDeeds(
  annotations: Map<string, Annotation[]>,
  sources: readonly AnnotationSource[],
  putBackAs: ReadonlyMap<string, readonly PutBackAs[]>,
): Map<string, string> {
  const annotationRecords = sources.filter(isAnnotation);
  // By the record it names (its checksum's start), else by RunID (written before they named one).
  const isWithdrawal = (runId: string, a: Annotation) =>
    annotationRecords.some((r) =>
      r.RunID === runId && (a.target === undefined || r.RecordChecksum.startsWith(a.target))
    );
  // An annotation made before a put-back renumbered its record names the RunID the record had:
  // another record's now. Its row names the record it marks (and withdraws it, if an annotation).
  const putBack = (runId: string, a: Annotation) =>
    a.target === undefined
      ? undefined
      : putBackAs.get(runId)?.find((p) => p.checksum.startsWith(a.target!));
  const deeds = new Map<string, string>();
  for (const [runId, list] of annotations) {
    for (const a of list) {
      const key = deedKey(a.annotationId, a.timestamp);
      const now = putBack(runId, a);
      const name = now === undefined ? runId : `${now.runId} (was ${runId})`;
      if (a.kind === "invalidated") {
        const withdraws = now === undefined ? isWithdrawal(runId, a) : now.annotation;
        deeds.set(key, withdraws ? `withdraws ${name}` : `marks ${name} INVALIDATED`);
      }
      if (a.kind === "superseded") deeds.set(key, `marks ${name} SUPERSEDED`);
      if (a.kind === "note") deeds.set(key, `note on ${name}`);
    }
  }
  return deeds;
}

/** A record a put-back renumbered: its checksum under the RunID it had, and its RunID now. */
interface PutBackAs {
  checksum: string;
  runId: string;
  /** Whether it is an annotation record (invalidating it withdraws it). */
  annotation: boolean;
}

function deedKey(runId: string, timestamp: string): string {
  return `${runId} ${timestamp}`;
}

/**
 * The folder of each record file, relative to the working folder, when two of the files read
 * hold records of one deliverable (`filesOf`: each DeliverableID's files; two worktrees, a copy):
 * their rows' RunIDs then look alike, and the table and md formats show each row's folder
 * (trial-r F4), whatever the filters leave (review-t F7). Else `undefined`: the RunID names the
 * deliverable.
 */
function foldersToShow(
  filesOf: ReadonlyMap<string, ReadonlySet<string>>,
): Map<string, string> | undefined {
  if ([...filesOf.values()].every((files) => files.size === 1)) return undefined;
  const files = new Set([...filesOf.values()].flatMap((f) => [...f]));
  return new Map([...files].map((file) => [file, relative(Deno.cwd(), dirname(file)) || "."]));
}

/**
 * Writes the matching records in one format: `count` of them, which `listed` reads again (in
 * listing order) each time it is called. Each row is written as it is read, so no format holds
 * every record; the table reads them twice, to measure its columns first.
 */
async function write(
  format: Format,
  count: number,
  listed: () => AsyncIterable<ListedRecord>,
  annotations: Map<string, Map<string, Annotation[]>>,
  deeds: Map<string, Map<string, string>>,
  filesOf: ReadonlyMap<string, ReadonlySet<string>>,
  io: Io,
  out: BufferedOut,
  none: string,
): Promise<void> {
  const about = (r: ListedRecord) => annotationsFor(annotations.get(r.file)!, r.record);
  const json = (r: ListedRecord) =>
    jsonText(recordJson(r.record, extraFields(r), about(r), { file: r.file, line: r.line }));
  switch (format) {
    case "csv": {
      // Each record goes under the header line it has in its file, repeated only when it changes.
      let written: string | undefined;
      for await (const r of listed()) {
        const header = r.header ?? HEADER;
        if (header !== written) out.write(`${header}\n`);
        written = header;
        out.write(`${lineOf(r.record, r.unknownCells)}\n`);
      }
      if (written === undefined) out.write(`${HEADER}\n`);
      return;
    }
    case "jsonl":
      for await (const r of listed()) out.write(`${json(r)}\n`);
      return;
    case "json": {
      // Element by element: the array of a large file is too long for one string.
      if (count === 0) out.write("[]\n");
      else {
        let first = true;
        for await (const r of listed()) {
          out.write(`${first ? "[" : ","}\n  ${json(r)}`);
          first = false;
        }
        out.write("\n]\n");
      }
      return;
    }
    case "table":
    case "md": {
      if (count === 0) io.err(`runrec log: ${none}\n`);
      // An annotation withdrawn (invalidated by another) did nothing: its row says by which.
      const withdrawnBy = (r: ListedRecord) =>
        about(r).filter((a) => a.kind === "invalidated").map((a) => a.annotationId);
      const mark = (r: ListedRecord) =>
        !isAnnotation(r.record)
          ? annotationMark(about(r))
          : withdrawnBy(r).length > 0
          ? `withdrawn by ${withdrawnBy(r).join(", ")}`
          : deeds.get(r.file)!.get(deedKey(r.record.RunID, r.record.RunTimestamp)) ?? "";
      const folders = foldersToShow(filesOf);
      const folder = folders === undefined ? [] : ["Folder"];
      const folderOf = (r: ListedRecord) => folders === undefined ? [] : [folders.get(r.file)!];
      if (format === "md") {
        const table = new MarkdownTable(
          [...folder, ...MD_HEADER],
          MD_FREE_TEXT.map((i) => i + folder.length),
        );
        out.write(table.head());
        for await (const r of listed()) {
          out.write(table.line([...folderOf(r), ...mdRow(r.record, mark(r))]));
        }
        return;
      }
      const row = (r: ListedRecord) => [...folderOf(r), ...tableRow(r.record, mark(r), io.color)];
      const table = new AlignedTable([...folder, ...TABLE_HEADER], {
        alignRight: [folder.length + 7],
        color: io.color,
      });
      for await (const r of listed()) table.measure(row(r));
      out.write(table.head());
      for await (const r of listed()) out.write(table.line(row(r)));
    }
  }
}

/**
 * A line for each agent of `--agent` (as given) with no record in the files read, naming the
 * agents that have some and a near name: "no records match" alone hides a misspelt name
 * (trial-t F4). Case does not matter, as for the filter.
 */
async function agentsNotFound(
  option: string | undefined,
  recorded: ReadonlySet<string>,
): Promise<string[]> {
  const recordedUpper = new Set([...recorded].map((a) => a.toUpperCase()));
  const missing = (commaList(option) ?? []).filter((a) => !recordedUpper.has(a.toUpperCase()));
  return await Promise.all(
    missing.map((agent) =>
      agentNotFound(agent, "no record of that agent", sortUtf8([...recorded]))
    ),
  );
}

async function run(parsed: Parsed, io: Io): Promise<number> {
  const targets = positionals(parsed, ["del-dir|file|root"], "targets");
  const filters = parseFilters(parsed);
  const format = await parseFormat(parsed);
  const order = await parseOrder(parsed);
  // Only where each record is: the records themselves are read again as they are written.
  const listing = new Listing(order, parseLimit(parsed));
  const files = await resolveTargets(targets, { keepUnreadable: true });
  await refuseOtherFiles(files);
  const out = new BufferedOut(io);
  const read: string[] = []; // the files read, as the listing's places name them
  // Annotations are per file: a RunID is unique only within its deliverable's file.
  const annotations = new Map<string, Map<string, Annotation[]>>();
  const deeds = new Map<string, Map<string, string>>();
  const recordedAgents = new Set<string>();
  const filesOf = new Map<string, Set<string>>(); // each DeliverableID's record files
  let unreadable = 0;
  let seen = 0; // records read, matching or not
  let damaged = 0; // lines that cannot be read (errors, torn lines skipped)
  for (const file of files) {
    if (!file.exists) continue;
    const fileIndex = read.push(file.path) - 1;
    // The RunIDs annotations name: a second read gathers what annotationsIn weighs of them.
    const named = new Set<string>();
    let lastLine = 0;
    const firstCopy = firstCopies();
    const repeats = new RepeatedWarnings();
    const shown = oneLine(file.path); // one line however the path is named (fs-semantics F2)
    let annotating: AnnotationSource[] = [];
    const putBackAs = new Map<string, PutBackAs[]>(); // by the RunID each had before
    // `--since REV`: the records the file held at REV are not listed (all are added where it
    // held none). Outside the try: an unknown revision ends the command, as verify's does.
    const before = filters.sinceRevision === undefined
      ? undefined
      : await fileAtRevision(io, shown, filters.sinceRevision, file.path);
    try {
      if (file.unreadable !== undefined) throw new Error(file.unreadable);
      for await (const event of readRecords(file.path)) {
        lastLine = event.line;
        if (event.kind === "record") {
          if (!firstCopy(event.record)) continue;
          seen++;
          if (!isAnnotation(event.record)) recordedAgents.add(event.record.AgentName);
          const id = event.record.DeliverableID;
          filesOf.set(id, (filesOf.get(id) ?? new Set()).add(file.path));
          for (const runId of runIdsNamedBy(event.record) ?? []) named.add(runId);
          for (const was of formerKeys(event.record)) {
            const known = putBackAs.get(was.RunID) ?? [];
            putBackAs.set(was.RunID, [...known, {
              checksum: was.RecordChecksum,
              runId: event.record.RunID,
              annotation: isAnnotation(event.record),
            }]);
          }
          if (matches(event.record, filters, before)) {
            listing.add(fileIndex, event);
          }
        } else {
          if (event.severity === "error" || event.code === "torn") damaged++;
          if (!repeats.isShown(event.severity, describeLineProblem(event))) continue;
          io.err(
            `runrec log: warning: ${
              oneLine(`${shown}:${event.line}: ${describeLineProblem(event)}`)
            }\n`,
          );
        }
      }
      for (const line of repeats.summary(shown)) io.err(`runrec log: ${line}\n`);
      if (named.size > 0) annotating = await annotationSources(file.path, named, lastLine);
    } catch (e) {
      unreadable++;
      io.err(`runrec log: ${shown}: cannot read: ${readFailure(e)}\n`);
    }
    annotations.set(file.path, annotationsIn(annotating));
    deeds.set(file.path, annotationDeeds(annotations.get(file.path)!, annotating, putBackAs));
    for (const line of ambiguousAnnotations(annotating)) {
      io.err(`runrec log: warning: ${oneLine(`${shown}: ${line}`)}\n`);
    }
  }
  const places = listing.places();
  const count = places.lines.length;
  const listed = () => recordsInOrder(read, places);
  // With no record to filter, "no records match" would send the user to the filters.
  const none = seen > 0
    ? "no records match"
    : damaged > 0
    ? `no records to list: ${plural(damaged, "line")} could not be read (the warnings above; ` +
      "runrec validate)"
    : "no records to list";
  await write(format, count, listed, annotations, deeds, filesOf, io, out, none);
  out.flush();
  if (count === 0) {
    for (const line of await agentsNotFound(stringOption(parsed, "agent"), recordedAgents)) {
      io.err(`runrec log: warning: ${oneLine(line)}\n`);
    }
  }
  for (const p of pendingRecords(targets)) {
    io.err(`runrec log: warning: ${oneLine(describePending(p))}\n`);
  }
  // Records a git command took out, not listed above: in no file until put back.
  const awaiting = await awaitingPutBack(files.filter((f) => f.exists).map((f) => f.path));
  for (const [file, runIds] of awaiting) {
    io.err(`runrec log: warning: ${oneLine(awaitingPutBackWarning(file, runIds))}\n`);
  }
  const runsOf = pendingRunsByFolder();
  for (const dir of foldersWithPendingRuns(targets)) {
    // A run recorded already (its file back, or its record in the spool) is said as such, so
    // that nobody finishes or reaps it a second time.
    for (const warning of await pendingRunWarnings(dir, runsOf)) {
      io.err(`runrec log: warning: ${oneLine(warning)}\n`);
    }
  }
  // Runs a work tree removed since left pending (./kept_runs.ts), as verify names them.
  for (const warning of removedWorkTreeRunWarnings(targets)) {
    io.err(`runrec log: warning: ${oneLine(warning)}\n`);
  }
  return unreadable > 0 ? EXIT.usage : EXIT.ok;
}

/**
 * The RecordChecksums the record file `path` (said as `shown`) held at `rev`, noting where it was
 * renamed since, or that `rev` holds no such file: then none, and each record counts as added.
 */
async function fileAtRevision(
  io: Io,
  shown: string,
  rev: string,
  path: string,
): Promise<Set<string>> {
  const found = await checksumsAt(rev, path);
  if (found?.renamedFrom !== undefined) {
    io.err(`runrec log: note: ${shown}: ${oneLine(found.renamedFrom)} in ${rev} (renamed since)\n`);
  }
  if (found === undefined) {
    io.err(`runrec log: note: ${shown}: not in ${rev}: each of its records counts as added\n`);
  }
  return found?.checksums ?? new Set();
}

/**
 * What annotationsIn weighs of a record file, read again up to `lastLine` (the end of the first
 * read): the source of each record that annotates and of each record of a RunID they name
 * (`named`). The others cannot change what it says, so none of them is held.
 */
async function annotationSources(
  path: string,
  named: ReadonlySet<string>,
  lastLine: number,
): Promise<AnnotationSource[]> {
  const sources: AnnotationSource[] = [];
  const firstCopy = firstCopies();
  for await (const event of readRecords(path)) {
    if (event.line > lastLine) break;
    if (event.kind !== "record" || !firstCopy(event.record)) continue;
    const { record } = event;
    // A record a put-back renumbered too: an annotation naming it as it was is shown so.
    if (
      named.has(record.RunID) || runIdsNamedBy(record) !== undefined ||
      formerKeys(record).length > 0
    ) {
      sources.push(annotationSource(record));
    }
  }
  return sources;
}

/**
 * The `log` command.
 *
 * @example
 * ```ts
 * import { main, processIo } from "./main.ts";
 * const code = await main(["log", "examples/", "--status", "FAILED"], processIo());
 * ```
 */
export const logCommand: Command = {
  name: "log",
  summary: "list run records, filtered, as a table, Markdown, CSV, JSON or JSON Lines",
  help: HELP,
  options: {
    agent: { type: "string" },
    status: { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    limit: { type: "string", short: "n" },
    by: { type: "string" },
    format: { type: "string" },
    json: { type: "boolean" },
  },
  readsOnly: true,
  run,
};
