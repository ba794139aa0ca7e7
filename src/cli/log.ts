/**
 * `runrec log`: lists run records, filtered, as an aligned table, Markdown,
 * CSV, JSON or JSON Lines.
 *
 * @module
 */
import { encodeRecord } from "../codec.ts";
import { readRecords } from "../reader.ts";
import { HEADER, RUN_STATUSES, type RunRecord } from "../schema.ts";
import { describePending, pendingRecords } from "../spool.ts";
import { describePendingRuns, foldersWithPendingRuns, listPendingRuns } from "../pending.ts";
import { resolveTargets } from "../targets.ts";
import { parseInstant } from "../time.ts";
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
import { BufferedOut, paintStatus, renderMarkdownTable, renderTable } from "./format.ts";

const FORMATS = ["table", "md", "csv", "json", "jsonl"] as const;
type Format = typeof FORMATS[number];

const HELP = `runrec log: list run records, filtered

Usage: runrec log <del-dir|file|root>... [--agent A] [--status S] [--since ISO]
                  [--format table|md|csv|json|jsonl] [--json]

Records are listed in file order (the order they were appended), file by
file. Lines that cannot be read are skipped and reported on stderr as
warnings; they never reach stdout. So are records still in the spool and
runs started and not finished yet (runrec finish, or runrec reap).

Options:
  --agent A       only runs of agent A (a comma-separated list for several)
  --status S      only runs with RunStatus S: SUCCESS, PARTIAL, FAILED or SKIPPED
                  (a comma-separated list for several; case does not matter)
  --since ISO     only runs whose RunTimestamp is at or after ISO: a date
                  (2026-02-22) or date-time (2026-02-22T10:15:00Z; without a zone
                  it is read as UTC)
  --format F      table (default): aligned columns RunID, RunTimestamp, Agent,
                    Status, Before→After, Duration, Outputs (count)
                  md: the same as a Markdown table
                  csv: the header and the record lines, byte for byte as in the file
                  json: one JSON array of records (column names as keys)
                  jsonl: one JSON record per line
  --json          the same as --format json
  -h, --help      show this help

Exit codes: 0 listed (even when nothing matches, or lines were skipped);
2 usage error, missing target or unreadable file.

Example:
  runrec log PKG-01_Alpha/1_Working/DEL-01-02_Spec --status FAILED,PARTIAL
  runrec log . --agent 4_DOCUMENTS --since 2026-02-01 --format jsonl
`;

/** The filters of `log`, parsed and checked. */
interface Filters {
  agents?: Set<string>;
  statuses?: Set<string>;
  sinceMs?: number;
}

function commaList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(",").map((v) => v.trim()).filter((v) => v !== "");
  return items.length > 0 ? items : undefined;
}

function parseFilters(parsed: Parsed): Filters {
  const filters: Filters = {};
  const agents = commaList(stringOption(parsed, "agent"));
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
      throw new UsageError(
        `--status: ${JSON.stringify(bad)} is not one of ${RUN_STATUSES.join(", ")}`,
      );
    }
    filters.statuses = new Set(statuses);
  }
  const since = stringOption(parsed, "since");
  if (since !== undefined) {
    filters.sinceMs = parseInstant(since, { zone: "utc" });
    if (filters.sinceMs === undefined) {
      throw new UsageError(
        `--since: expected an ISO 8601 date or date-time like 2026-02-22 or ` +
          `2026-02-22T10:15:00Z, got ${JSON.stringify(since)}`,
      );
    }
  }
  return filters;
}

function matches(record: RunRecord, filters: Filters): boolean {
  if (filters.agents && !filters.agents.has(record.AgentName)) return false;
  if (filters.statuses && !filters.statuses.has(record.RunStatus)) return false;
  if (filters.sinceMs !== undefined) {
    const at = parseInstant(record.RunTimestamp) ?? -Infinity;
    if (at < filters.sinceMs) return false;
  }
  return true;
}

function parseFormat(parsed: Parsed): Format {
  const format = stringOption(parsed, "format");
  if (parsed.values.json) {
    if (format !== undefined && format !== "json") {
      throw new UsageError(`--json and --format ${format} contradict each other`);
    }
    return "json";
  }
  if (format === undefined) return "table";
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format: ${JSON.stringify(format)} is not one of ${FORMATS.join(", ")}`);
  }
  return format as Format;
}

const TABLE_HEADER = [
  "RunID",
  "RunTimestamp",
  "Agent",
  "Status",
  "Before→After",
  "Duration",
  "Outputs",
];

function tableRow(record: RunRecord, color: boolean): string[] {
  return [
    record.RunID,
    record.RunTimestamp,
    record.AgentName,
    paintStatus(record.RunStatus, color),
    `${record.StatusBefore}→${record.StatusAfter}`,
    record.RunDuration,
    String(record.OutputFiles.length),
  ];
}

/** How one format writes the stream of matching records. */
interface Writer {
  record(record: RunRecord): void;
  end(): void;
}

function writerFor(format: Format, io: Io, out: BufferedOut): Writer {
  switch (format) {
    case "csv":
      out.write(`${HEADER}\n`);
      return { record: (r) => out.write(`${encodeRecord(r)}\n`), end: () => {} };
    case "jsonl":
      return { record: (r) => out.write(`${JSON.stringify(r)}\n`), end: () => {} };
    case "json": {
      let first = true;
      out.write("[");
      return {
        record: (r) => {
          out.write(`${first ? "" : ","}\n  ${JSON.stringify(r)}`);
          first = false;
        },
        end: () => out.write(first ? "]\n" : "\n]\n"),
      };
    }
    case "table":
    case "md": {
      // Column widths need every row, so these two formats hold the rows (text only).
      const rows: string[][] = [];
      return {
        record: (r) => rows.push(tableRow(r, format === "table" && io.color)),
        end: () => {
          if (rows.length === 0) io.err("runrec log: no records match\n");
          out.write(
            format === "table"
              ? renderTable(TABLE_HEADER, rows, { alignRight: [6], color: io.color })
              : renderMarkdownTable(TABLE_HEADER, rows),
          );
        },
      };
    }
  }
}

async function run(parsed: Parsed, io: Io): Promise<number> {
  const targets = positionals(parsed, ["del-dir|file|root"], true);
  const filters = parseFilters(parsed);
  const format = parseFormat(parsed);
  const files = await resolveTargets(targets);
  const out = new BufferedOut(io);
  const writer = writerFor(format, io, out);
  let unreadable = 0;
  for (const file of files) {
    if (!file.exists) continue;
    try {
      for await (const event of readRecords(file.path)) {
        if (event.kind === "record") {
          if (matches(event.record, filters)) writer.record(event.record);
        } else {
          io.err(
            `runrec log: warning: ${file.path}:${event.line}: ${describeLineProblem(event)}\n`,
          );
        }
      }
    } catch (e) {
      unreadable++;
      io.err(`runrec log: ${file.path}: cannot read: ${(e as Error).message.split("\n")[0]}\n`);
    }
  }
  writer.end();
  out.flush();
  for (const p of pendingRecords(files.map((f) => f.path))) {
    io.err(`runrec log: warning: ${describePending(p)}\n`);
  }
  for (const dir of foldersWithPendingRuns(targets)) {
    io.err(`runrec log: warning: ${describePendingRuns(dir, listPendingRuns(dir))}\n`);
  }
  return unreadable > 0 ? EXIT.usage : EXIT.ok;
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
    format: { type: "string" },
    json: { type: "boolean" },
  },
  run,
};
