/**
 * Rendering helpers shared by the read commands: aligned text tables,
 * Markdown tables, ANSI colour that honours `Io.color`, and a buffered writer
 * so that streaming a million lines does not cost a million writes.
 *
 * @module
 */
import type { Io } from "./command.ts";

/** The ANSI colours runrec uses. */
export type Colour = "red" | "green" | "yellow" | "dim" | "bold";

const ANSI: Record<Colour, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  dim: [2, 22],
  bold: [1, 22],
};

// deno-lint-ignore no-control-regex
const ANSI_SEQUENCE = /\x1b\[[0-9;]*m/g;

/**
 * Wraps `text` in an ANSI colour when `enabled`, else returns it unchanged.
 *
 * @example
 * ```ts
 * import { paint } from "./format.ts";
 * paint("FAILED", "red", false); // "FAILED"
 * paint("FAILED", "red", true); // "\x1b[31mFAILED\x1b[39m"
 * ```
 */
export function paint(text: string, colour: Colour, enabled: boolean): string {
  if (!enabled || text === "") return text;
  const [open, close] = ANSI[colour];
  return `\x1b[${open}m${text}\x1b[${close}m`;
}

/**
 * The colour of a `RunStatus`: SUCCESS green, PARTIAL yellow, FAILED red,
 * SKIPPED dim.
 *
 * @example
 * ```ts
 * import { paintStatus } from "./format.ts";
 * paintStatus("SUCCESS", false); // "SUCCESS"
 * ```
 */
export function paintStatus(status: string, enabled: boolean): string {
  const colour: Colour | undefined = status === "SUCCESS"
    ? "green"
    : status === "PARTIAL"
    ? "yellow"
    : status === "FAILED"
    ? "red"
    : status === "SKIPPED"
    ? "dim"
    : undefined;
  return colour ? paint(status, colour, enabled) : status;
}

/**
 * Width of `text` as a terminal shows it: code points, not UTF-16 units,
 * with ANSI colour sequences not counted.
 */
function displayWidth(text: string): number {
  let width = 0;
  for (const _ of text.replace(ANSI_SEQUENCE, "")) width++;
  return width;
}

// C1 too (U+0080-U+009F): a terminal that honours them takes U+009B as ESC [ and U+009D as ESC ].
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0B-\x1F\x7F-\x9F]/g;

/**
 * Shows the control characters of free text from a record (all but tab and
 * line feed) as their Unicode control pictures (ESC as `␛`), or as `\u0080`
 * to `\u009f` where Unicode has no picture, so that text an agent wrote
 * cannot colour, move or clear the terminal it is printed on.
 *
 * @example
 * ```ts
 * import { showControls } from "./format.ts";
 * showControls("\x1b[31mred\x1b[0m"); // "␛[31mred␛[0m"
 * showControls("\u009b2J"); // "\\u009b2J"
 * ```
 */
export function showControls(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    return code === 0x7F ? "\u2421" : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

// deno-lint-ignore no-control-regex
const CONTROL_OR_COLOUR = /\x1b\[[0-9;]*m|[\x00-\x08\x0A-\x1F\x7F-\x9F]/g;

/** Makes text one line: control characters would break alignment and line-based output. */
function oneLine(text: string): string {
  // Colour sequences stay; any other control character would be a line break or garbage.
  return text.replace(CONTROL_OR_COLOUR, (c) => c.length > 1 ? c : c === "\n" ? "↵" : "�")
    .replaceAll("\t", " ");
}

/** Options of {@linkcode AlignedTable}. */
export interface TableOptions {
  /** Columns aligned to the right (numbers), by index. */
  alignRight?: readonly number[];
  /** Paint the header bold (default false). */
  color?: boolean;
}

/**
 * An aligned text table (two spaces between columns), written a row at a time so that a table
 * too long to hold is not held: every row is measured first, then the header and each row are
 * written, each line ending in `\n` without trailing spaces. Cells may already be coloured;
 * their escape sequences do not count toward the width.
 *
 * @example
 * ```ts
 * import { AlignedTable } from "./format.ts";
 * const rows = [["RUN-1", "SUCCESS"]];
 * const table = new AlignedTable(["RunID", "Status"]);
 * for (const row of rows) table.measure(row);
 * table.head() + rows.map((row) => table.line(row)).join(""); // "RunID  Status\nRUN-1  SUCCESS\n"
 * ```
 */
export class AlignedTable {
  #header: readonly string[];
  #right: Set<number>;
  #color: boolean;
  #widths: number[];

  /** A table of these columns, no row measured yet. */
  constructor(header: readonly string[], options: TableOptions = {}) {
    this.#header = header;
    this.#right = new Set(options.alignRight ?? []);
    this.#color = options.color ?? false;
    this.#widths = header.map(displayWidth);
  }

  /** Widens the columns to fit `row`. */
  measure(row: readonly string[]): void {
    const widths = this.#widths;
    // A loop, not `Math.max(...cells)`: spread, a column of 150,000 rows overflows the stack.
    this.#header.forEach((_, i) =>
      widths[i] = Math.max(widths[i], displayWidth(oneLine(row[i] ?? "")))
    );
  }

  /** The header line, bold when painted. */
  head(): string {
    const head = this.#aligned(this.#header);
    return this.#color ? paint(head.trimEnd(), "bold", true) + "\n" : head;
  }

  /** The line of `row`, padded to the widths measured. */
  line(row: readonly string[]): string {
    return this.#aligned(row.map(oneLine));
  }

  #aligned(cells: readonly string[]): string {
    return cells.map((cell, i) => {
      const pad = " ".repeat(Math.max(0, this.#widths[i] - displayWidth(cell)));
      return this.#right.has(i) ? pad + cell : cell + pad;
    }).join("  ").trimEnd() + "\n";
  }
}

/**
 * Escapes text for one Markdown table cell: `|` and `\` are backslash-escaped,
 * `&` and `<` become entities, line breaks `<br>`, and other control
 * characters are shown as the text outputs show them ({@linkcode showControls}:
 * `␛`, `\u009b`), so that any value stays inside its cell. Not as numeric
 * entities: a renderer decodes `&#155;` back to the control itself (cmark), or
 * `&#128;`-`&#159;` to other characters (HTML's Windows-1252 map).
 *
 * @example
 * ```ts
 * import { escapeMarkdownCell } from "./format.ts";
 * escapeMarkdownCell("a|b\nc"); // "a\\|b<br>c"
 * ```
 */
export function escapeMarkdownCell(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("\\", "\\\\")
    .replaceAll("|", "\\|")
    .replaceAll("<", "&lt;")
    .replace(/\r\n|\r|\n/g, "<br>")
    .replace(CONTROL, showControls);
}

/**
 * {@linkcode escapeMarkdownCell} for an agent's free text (an error summary,
 * a note): `*`, `_`, `~`, backticks, `[` and `]` are backslash-escaped too, so
 * that it shows as written, never as emphasis, code or a link. A `_` inside
 * a word (`4_DOCUMENTS`) cannot emphasise and is left as it is.
 */
function escapeMarkdownText(text: string): string {
  return escapeMarkdownCell(text)
    .replace(/[*~`[\]]/g, "\\$&")
    .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, "\\_");
}

/**
 * Renders a Markdown (GFM) table; every cell is escaped with
 * {@linkcode escapeMarkdownCell}, and those of the columns `freeText` (an
 * agent's text) with {@linkcode escapeMarkdownText}.
 *
 * @example
 * ```ts
 * import { renderMarkdownTable } from "./format.ts";
 * renderMarkdownTable(["Field", "Value"], [["Notes", "a|b"]]);
 * // "| Field | Value |\n|---|---|\n| Notes | a\\|b |\n"
 * ```
 */
export function renderMarkdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  freeText: readonly number[] = [],
): string {
  const table = new MarkdownTable(header, freeText);
  return table.head() + rows.map((row) => table.line(row)).join("");
}

/**
 * {@linkcode renderMarkdownTable} a row at a time, for a table too long to hold.
 *
 * @example
 * ```ts
 * import { MarkdownTable } from "./format.ts";
 * const table = new MarkdownTable(["Field", "Value"]);
 * table.head() + table.line(["Notes", "a|b"]); // "| Field | Value |\n|---|---|\n| Notes | a\\|b |\n"
 * ```
 */
export class MarkdownTable {
  #header: readonly string[];
  #freeText: readonly number[];

  /** A table of these columns; `freeText` as in {@linkcode renderMarkdownTable}. */
  constructor(header: readonly string[], freeText: readonly number[] = []) {
    this.#header = header;
    this.#freeText = freeText;
  }

  /** The header line and the line under it. */
  head(): string {
    return this.line(this.#header) + `|${this.#header.map(() => "---").join("|")}|\n`;
  }

  /** The line of `row`, each cell escaped. */
  line(row: readonly string[]): string {
    const escape = (cell: string, i: number) =>
      this.#freeText.includes(i) ? escapeMarkdownText(cell) : escapeMarkdownCell(cell);
    return `| ${row.map(escape).join(" | ")} |\n`;
  }
}

/**
 * Collects output and hands it to `io.out` in large chunks: one write per
 * record would dominate the time of `log` on a large file.
 *
 * @example
 * ```ts
 * import { BufferedOut } from "./format.ts";
 * const out = new BufferedOut({ out: console.log, err: console.error, isTerminal: false, color: false });
 * out.write("line\n");
 * out.flush();
 * ```
 */
export class BufferedOut {
  #io: Io;
  #parts: string[] = [];
  #size = 0;
  #limit: number;

  /** Builds a writer that flushes to `io.out` every `limit` characters. */
  constructor(io: Io, limit = 1 << 16) {
    this.#io = io;
    this.#limit = limit;
  }

  /** Queues `text`; flushes when enough has gathered. */
  write(text: string): void {
    this.#parts.push(text);
    this.#size += text.length;
    if (this.#size >= this.#limit) this.flush();
  }

  /** Writes everything queued. */
  flush(): void {
    if (this.#parts.length === 0) return;
    this.#io.out(this.#parts.join(""));
    this.#parts = [];
    this.#size = 0;
  }
}

/**
 * Formats a count with its noun, singular or plural.
 *
 * @example
 * ```ts
 * import { plural } from "./format.ts";
 * plural(1, "error"); // "1 error"
 * plural(2, "error"); // "2 errors"
 * ```
 */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/**
 * Folds a warning that repeats word for word on many lines of one file:
 * its first {@linkcode RepeatedWarnings.SHOWN} lines are printed, the rest
 * counted. After a checkout with `core.autocrlf` every line ends in CR LF,
 * and 1,000 lines must not give 1,000 warnings. Errors are never folded.
 * One instance per file.
 *
 * @example
 * ```ts
 * import { RepeatedWarnings } from "./format.ts";
 * const repeats = new RepeatedWarnings();
 * for (let i = 0; i < 4; i++) repeats.isShown("warning", "line ends in CR LF"); // true 3 times
 * repeats.summary("RunRecords.csv"); // ["RunRecords.csv: warning: 1 more line: line ends in CR LF"]
 * ```
 */
export class RepeatedWarnings {
  /** Lines printed of each warning before the rest are counted. */
  static readonly SHOWN = 3;
  #seen = new Map<string, number>();

  /** Whether this problem is to be printed: an error, or one of a warning's first lines. */
  isShown(severity: "error" | "warning", message: string): boolean {
    if (severity === "error") return true;
    const seen = (this.#seen.get(message) ?? 0) + 1;
    this.#seen.set(message, seen);
    return seen <= RepeatedWarnings.SHOWN;
  }

  /** One line per folded warning, saying on how many more lines it was. */
  summary(path: string, color = false): string[] {
    return [...this.#seen].filter(([, seen]) => seen > RepeatedWarnings.SHOWN).map((
      [message, seen],
    ) =>
      `${path}: ${paint("warning:", "yellow", color)} ${
        plural(seen - RepeatedWarnings.SHOWN, "more line")
      }: ${oneLine(message)}`
    );
  }
}

/**
 * One problem as the read commands print it: `path:line: message`, with
 * `warning: ` before the message of a warning (coloured when `color`).
 *
 * @example
 * ```ts
 * import { problemLine } from "./format.ts";
 * problemLine("RunRecords.csv", 7, "error", "RecordChecksum does not match the line", false);
 * // "RunRecords.csv:7: RecordChecksum does not match the line\n"
 * ```
 */
export function problemLine(
  path: string,
  line: number,
  severity: "error" | "warning",
  message: string,
  color: boolean,
): string {
  const label = severity === "warning" ? paint("warning:", "yellow", color) + " " : "";
  // Line 0: the file as a whole (a record in none of its lines).
  return `${path}${line > 0 ? `:${line}` : ""}: ${label}${oneLine(message)}\n`;
}

/** Other names of the formats `log` and `show` write, as an agent or a user of other tools says them. */
const FORMAT_SYNONYMS: Readonly<Record<string, string>> = {
  markdown: "md",
  ndjson: "jsonl",
  jsonlines: "jsonl",
  "json-lines": "jsonl",
  text: "table",
};

/**
 * ` (did you mean md?)` for a word given where one of `choices` goes (a `--format`, `--by`, an
 * action) that names one by another name (`markdown`) or is a slip of typing from one (`tabel`,
 * `opnlineage`, `chek`); `""` otherwise. The names' module is loaded only then: a known word
 * never pays its start-up.
 *
 * @example
 * ```ts
 * import { choiceMeant } from "./format.ts";
 * await choiceMeant("Markdown", ["md", "json"]); // " (did you mean md?)"
 * await choiceMeant("tabel", ["table", "md"]); // " (did you mean table?)"
 * await choiceMeant("xml", ["md", "json"]); // ""
 * ```
 */
export async function choiceMeant(given: string, choices: readonly string[]): Promise<string> {
  const word = given.trim().toLowerCase();
  const synonym = FORMAT_SYNONYMS[word];
  if (synonym !== undefined && choices.includes(synonym)) return ` (did you mean ${synonym}?)`;
  // As given: a choice in other case (`Path`, `Install`) is the one meant.
  const meant = (await import("../near_names.ts")).closestNames(given.trim(), choices);
  return meant.length > 0 ? ` (did you mean ${meant.join(" or ")}?)` : "";
}
