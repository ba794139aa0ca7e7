/**
 * Reading the host's dependency register, `Dependencies.csv` (v3.1), for the
 * edges `runrec stale --propagate` follows: which deliverable consumes which.
 *
 * The layout read (the host's SPEC section 6): a header row naming the
 * columns, then one row per dependency, each with `RegisterSchemaVersion`
 * `v3.1`. Columns are found by name, in any order; extra columns are
 * ignored. A row is an edge between deliverables when its `Status` is
 * `ACTIVE`, its `TargetType` (if the column exists) is `DELIVERABLE` and its
 * `TargetDeliverableID` is a deliverable ID. `Direction` says which way
 * information flows: `UPSTREAM` (legacy `INBOUND`) means the row's
 * deliverable (`FromDeliverableID`) consumes the target; `DOWNSTREAM`
 * (legacy `OUTBOUND`) means the target consumes it. A register without these
 * columns (an older or simplified layout) gives no edges and one warning;
 * it never stops a check.
 *
 * @module
 */
import { DELIVERABLE_ID_SYNTAX } from "./schema.ts";
import { otherCaseName } from "./other_case.ts";
import { dirname, join } from "./path.ts";

/** The register's file name in a deliverable folder. */
export const DEPENDENCIES_FILE = "Dependencies.csv";

/** The register schema version whose rows are followed. */
export const REGISTER_VERSION = "v3.1";

/** One ACTIVE dependency between deliverables: `consumer` needs what `producer` makes. */
export interface DependencyEdge {
  /** The deliverable that needs the information (`DEL-XX-YY`). */
  consumer: string;
  /** The deliverable that provides it (`DEL-XX-YY`). */
  producer: string;
  /** The row's `DependencyID` (may be empty). */
  dependencyId: string;
  /**
   * The row's `Direction` (legacy `INBOUND`, `OUTBOUND` read as these): with
   * `UPSTREAM` the producer is the row's `TargetDeliverableID`, with
   * `DOWNSTREAM` the consumer is.
   */
  direction: "UPSTREAM" | "DOWNSTREAM";
  /** The register file the row is in, as given. */
  file: string;
  /** The row's line number in that file, from 1. */
  line: number;
}

/** The edges of one register, and what could not be read. */
export interface DependencyRegister {
  /** ACTIVE deliverable-to-deliverable edges, in file order. */
  edges: DependencyEdge[];
  /** One line per problem (`file line N: ...`); the rows concerned are skipped. */
  warnings: string[];
}

/** The columns an edge needs; `TargetType` is optional (checked when present). */
const NEEDED = [
  "RegisterSchemaVersion",
  "FromDeliverableID",
  "Direction",
  "TargetDeliverableID",
  "Status",
];

/** A CSV row and the line it starts on. */
interface CsvRow {
  line: number;
  cells: string[];
}

/**
 * One row of a CSV text from index `i`: its cells, the index after it, the
 * line breaks it spans, and whether a quoted field was left open at the end.
 */
function readRow(
  text: string,
  i: number,
): { cells: string[]; next: number; breaks: number; open: boolean } {
  const cells: string[] = [];
  let breaks = 0;
  while (true) {
    let cell = "";
    if (text[i] === '"') {
      i++;
      while (true) {
        if (i >= text.length) return { cells, next: i, breaks, open: true };
        if (text[i] === '"') {
          if (text[i + 1] !== '"') break;
          i++;
        } else if (text[i] === "\n") breaks++;
        cell += text[i++];
      }
      i++;
    }
    while (i < text.length && text[i] !== "," && text[i] !== "\n") {
      if (!(text[i] === "\r" && text[i + 1] === "\n")) cell += text[i];
      i++;
    }
    cells.push(cell);
    if (i >= text.length || text[i] === "\n") return { cells, next: i + 1, breaks, open: false };
    i++;
  }
}

/**
 * The rows of a CSV text (RFC 4180: quoted fields may hold commas, `""`
 * and line breaks; CRLF or LF; a byte-order mark is dropped). Blank lines are
 * skipped. A quote never closed swallows the rows after it: a row spanning
 * lines that is left open, or whose cells are not as many as the header's and
 * whose quoted lines read as rows (many commas), is named in `problems` by its
 * first line and left out, and reading goes on at its second line, so one bad
 * row costs only itself.
 */
function parseCsv(text: string): { rows: CsvRow[]; problems: string[] } {
  const rows: CsvRow[] = [];
  const problems: string[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < text.length) {
    const row = readRow(text, i);
    const width = rows[0]?.cells.length;
    // A quote left open by mistake and closed rows later holds those rows: lines of many commas.
    // A Statement written over two lines holds none, with a trailing column left off or not
    // (propagate-sweep F3).
    const swallowed = row.breaks > 0 && width !== undefined && row.cells.length !== width &&
      row.cells.some((cell) =>
        cell.split("\n").slice(1).some((l) => l.split(",").length > width / 2)
      );
    if (row.open || swallowed) {
      problems.push(`line ${line}: a quoted field is never closed; that row is skipped`);
      const next = text.indexOf("\n", i);
      if (next < 0) break;
      i = next + 1;
      line++;
      continue;
    }
    const blank = row.cells.length === 1 && row.cells[0].trim() === "";
    if (!blank) rows.push({ line, cells: row.cells });
    i = row.next;
    line += row.breaks + 1;
  }
  return { rows, problems };
}

/**
 * The ACTIVE deliverable-to-deliverable edges of a `Dependencies.csv` text
 * (see the module documentation for the layout read). `file` names the file
 * in warnings. Never throws: what cannot be read is a warning.
 *
 * @example
 * ```ts
 * import { parseDependencies } from "./dependencies.ts";
 * const text = "RegisterSchemaVersion,DependencyID,FromDeliverableID,Direction,TargetType," +
 *   "TargetDeliverableID,Status\n" +
 *   "v3.1,DEP-01-02-001,DEL-01-02,UPSTREAM,DELIVERABLE,DEL-01-01,ACTIVE\n";
 * const { edges } = parseDependencies(text, "Dependencies.csv");
 * console.log(edges[0].consumer, edges[0].producer); // "DEL-01-02" "DEL-01-01"
 * ```
 */
export function parseDependencies(text: string, file: string): DependencyRegister {
  const edges: DependencyEdge[] = [];
  const warnings: string[] = [];
  const { rows, problems } = parseCsv(text);
  warnings.push(...problems.map((problem) => `${file} ${problem}`));
  if (rows.length === 0) return { edges, warnings };
  const header = rows[0].cells.map((c) => c.trim());
  const missing = NEEDED.filter((name) => !header.includes(name));
  if (missing.length > 0) {
    return {
      edges,
      warnings: [
        ...warnings,
        `${file}: not a v3.1 register layout (no ${missing.join(", ")} column${
          missing.length > 1 ? "s" : ""
        }); its rows are not followed`,
      ],
    };
  }
  const column = (name: string) => header.indexOf(name);
  const at = {
    version: column("RegisterSchemaVersion"),
    id: column("DependencyID"),
    from: column("FromDeliverableID"),
    direction: column("Direction"),
    targetType: column("TargetType"),
    target: column("TargetDeliverableID"),
    status: column("Status"),
  };
  for (const { line, cells } of rows.slice(1)) {
    const cell = (index: number) => index < 0 ? "" : (cells[index] ?? "").trim();
    const where = `${file} line ${line}`;
    if (cell(at.version) !== REGISTER_VERSION) {
      warnings.push(
        `${where}: RegisterSchemaVersion ${
          JSON.stringify(cell(at.version))
        } is not ${REGISTER_VERSION}; skipped`,
      );
      continue;
    }
    if (cell(at.status).toUpperCase() !== "ACTIVE") continue;
    if (at.targetType >= 0 && cell(at.targetType).toUpperCase() !== "DELIVERABLE") continue;
    const target = cell(at.target);
    if (target === "") continue;
    const from = cell(at.from);
    if (!DELIVERABLE_ID_SYNTAX.test(target) || !DELIVERABLE_ID_SYNTAX.test(from)) {
      warnings.push(
        `${where}: ${
          !DELIVERABLE_ID_SYNTAX.test(from) ? "FromDeliverableID" : "TargetDeliverableID"
        } ${
          JSON.stringify(DELIVERABLE_ID_SYNTAX.test(from) ? target : from)
        } is not DEL-XX-YY; skipped`,
      );
      continue;
    }
    const direction = cell(at.direction).toUpperCase();
    const dependencyId = cell(at.id);
    if (direction === "UPSTREAM" || direction === "INBOUND") {
      edges.push({
        consumer: from,
        producer: target,
        dependencyId,
        direction: "UPSTREAM",
        file,
        line,
      });
    } else if (direction === "DOWNSTREAM" || direction === "OUTBOUND") {
      edges.push({
        consumer: target,
        producer: from,
        dependencyId,
        direction: "DOWNSTREAM",
        file,
        line,
      });
    } else {
      warnings.push(
        `${where}: Direction ${
          JSON.stringify(cell(at.direction))
        } is not UPSTREAM or DOWNSTREAM; skipped`,
      );
    }
  }
  return { edges, warnings };
}

/**
 * The edges of the `Dependencies.csv` at `path`: none, without a warning,
 * when there is no such file; a warning when it cannot be read, or when it
 * is not there but its name in other case is (`names`: its folder's entries,
 * when listed already).
 *
 * @example
 * ```ts
 * import { readDependencies } from "./dependencies.ts";
 * const { edges, warnings } = readDependencies("DEL-01-02_X/Dependencies.csv");
 * ```
 */
export function readDependencies(path: string, names?: Iterable<string>): DependencyRegister {
  let text: string;
  try {
    const info = Deno.statSync(path);
    if (!info.isFile) {
      return { edges: [], warnings: [`${path}: not a regular file; not followed`] };
    }
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      // Followed where case does not count (macOS, Windows): here its consumers would go unwarned.
      const other = otherCaseName(path, names);
      return {
        edges: [],
        warnings: other === undefined ? [] : [
          `${join(dirname(path), other)}: named ${DEPENDENCIES_FILE} in other case, which ` +
          "runrec follows only where case does not count (macOS, Windows): its rows are not " +
          `followed here (rename it ${DEPENDENCIES_FILE}: git mv)`,
        ],
      };
    }
    return {
      edges: [],
      warnings: [`${path}: cannot read (${(error as Error).message.split("\n")[0]}); not followed`],
    };
  }
  // UTF-16 (Excel's "Unicode text") decodes as a byte-order mark gone bad and NULs between the
  // letters: said as what it is, not as a register without its columns (bad-input F8).
  const start = text.slice(0, 256);
  if (start.startsWith("\uFFFD\uFFFD") || start.includes("\0")) {
    return {
      edges: [],
      warnings: [`${path}: UTF-16 text, not UTF-8: save it as UTF-8; its rows are not followed`],
    };
  }
  // CR alone ends its lines (Excel's "CSV (Macintosh)"): read as it means (propagate-sweep F7).
  if (!text.includes("\n")) text = text.replaceAll("\r", "\n");
  return parseDependencies(text, path);
}
