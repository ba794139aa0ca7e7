/**
 * Reader of the host's agent instruction files (`agents/AGENT_<NAME>.md`):
 * the agent's name and type, its "Agent Type" table, and where its PROTOCOL
 * section ends. It keeps every line with its own line ending, so an editor
 * built on it can change one place and leave every other byte as it was.
 *
 * @module
 */

/** An agent instruction file's name: `AGENT_<NAME>.md`; group 1 is the agent's name. */
export const AGENT_FILE_NAME: RegExp = /^AGENT_(.+)\.md$/;

/** The line that opens the PROTOCOL section. */
export const PROTOCOL_BEGIN = "[[BEGIN:PROTOCOL]]";
/** The line that closes the PROTOCOL section. */
export const PROTOCOL_END = "[[END:PROTOCOL]]";

/** One line of a file: its text, and the line ending that followed it (`""` for the last). */
export interface FileLine {
  /** The line without its ending. */
  text: string;
  /** `"\n"`, `"\r\n"`, `"\r"`, or `""` for a last line without one. */
  eol: string;
  /**
   * Whether the line is inside YAML front matter, a fenced code block or an HTML comment of several
   * lines (not structure).
   */
  quoted: boolean;
}

/** What an agent instruction file says about itself. */
export interface AgentFile {
  /** The agent's name, from the file name (`AGENT_4_DOCUMENTS.md` → `4_DOCUMENTS`). */
  name: string;
  /** The file's lines; joining `text + eol` gives the file back byte for byte. */
  lines: FileLine[];
  /** The agent type: the `AGENT_TYPE:` line, else the table's `AGENT_TYPE` (`TYPE 2` → `2`). */
  agentType?: string;
  /** The `| **KEY** | value |` rows of the "Agent Type" table, the first of each key. */
  table: Record<string, string>;
  /** Index of the `[[BEGIN:PROTOCOL]]` line. */
  protocolBegin?: number;
  /** Index of the first `[[END:PROTOCOL]]` line after it: the one that closes the section. */
  protocolEnd?: number;
  /**
   * Index of a second `[[BEGIN:PROTOCOL]]` line, if there is one (a file should have one section).
   */
  secondProtocolBegin?: number;
}

const LINE_BREAK = /\r\n|\n|\r/g;
const TYPE_LINE = /^AGENT_TYPE:\s*(\S+)\s*$/;
const TABLE_ROW = /^\s*\|\s*\*\*([A-Z][A-Z0-9_]*)\*\*\s*\|(.*)\|\s*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const COMMENT_OPEN = /^ {0,3}<!--/;

/**
 * Splits text into lines, each with its own ending, and marks the lines of
 * YAML front matter and fenced code blocks as quoted.
 */
function splitLines(text: string): FileLine[] {
  const lines: FileLine[] = [];
  let start = 0;
  for (const match of text.matchAll(LINE_BREAK)) {
    lines.push({ text: text.slice(start, match.index), eol: match[0], quoted: false });
    start = match.index + match[0].length;
  }
  if (start < text.length || lines.length === 0) {
    lines.push({ text: text.slice(start), eol: "", quoted: false });
  }
  markQuoted(lines);
  return lines;
}

function markQuoted(lines: FileLine[]): void {
  let i = 0;
  // Front matter: a first line `---` up to the next `---` (or `...`).
  if (lines[0]?.text.replace(/^\uFEFF/, "").trimEnd() === "---") {
    const close = lines.findIndex((l, j) => j > 0 && /^(---|\.\.\.)\s*$/.test(l.text));
    if (close > 0) {
      for (; i <= close; i++) lines[i].quoted = true;
    }
  }
  let fence: string | undefined;
  let comment = false;
  for (; i < lines.length; i++) {
    const open = FENCE.exec(lines[i].text)?.[1];
    if (comment) {
      // An HTML comment that began on an earlier line runs to the line holding `-->`.
      lines[i].quoted = true;
      comment = !lines[i].text.includes("-->");
    } else if (fence === undefined) {
      const html = COMMENT_OPEN.exec(lines[i].text);
      if (html && !lines[i].text.slice(html[0].length).includes("-->")) {
        // Spans lines: quoted, opening line included (a one-line comment, like the block's own
        // markers, is not).
        comment = true;
        lines[i].quoted = true;
      } else if (open !== undefined) {
        fence = open;
        lines[i].quoted = true;
      }
    } else {
      lines[i].quoted = true;
      // A fence closes with the same character, at least as long, and nothing after it.
      if (
        open !== undefined && open[0] === fence[0] && open.length >= fence.length &&
        lines[i].text.trim() === open
      ) {
        fence = undefined;
      }
    }
  }
}

/**
 * Whether a line (outside quotes) is the marker line `marker`, trailing blanks
 * aside and indented at most 3 spaces (4 make it indented code, in CommonMark).
 */
function isMarkerLine(line: FileLine, marker: string): boolean {
  return !line.quoted && /^ {0,3}\S/.test(line.text) && line.text.trim() === marker;
}

/**
 * Reads an agent instruction file's text. Never throws: what is not there is
 * left out (no type, no table rows, no protocol section).
 *
 * @example
 * ```ts
 * import { parseAgentFile } from "./agent_file.ts";
 * const file = parseAgentFile(
 *   "AGENT_TYPE: 2\n| **WRITE_SCOPE** | deliverable-local |\n[[BEGIN:PROTOCOL]]\n## PROTOCOL\n[[END:PROTOCOL]]\n",
 *   "AGENT_CHIRALITY_LENS.md",
 * );
 * file.name; // "CHIRALITY_LENS"
 * file.agentType; // "2"
 * file.table.WRITE_SCOPE; // "deliverable-local"
 * [file.protocolBegin, file.protocolEnd]; // [2, 4]
 * ```
 */
export function parseAgentFile(text: string, fileName: string): AgentFile {
  const base = fileName.split(/[\\/]/).at(-1) ?? fileName;
  const name = AGENT_FILE_NAME.exec(base)?.[1] ?? base.replace(/\.md$/, "");
  const lines = splitLines(text);
  const table: Record<string, string> = {};
  let typeLine: string | undefined;
  let protocolBegin: number | undefined;
  let protocolEnd: number | undefined;
  let secondProtocolBegin: number | undefined;
  lines.forEach((line, i) => {
    if (line.quoted) return;
    typeLine ??= TYPE_LINE.exec(line.text)?.[1];
    const row = TABLE_ROW.exec(line.text);
    if (row && !Object.hasOwn(table, row[1])) table[row[1]] = row[2].trim();
    if (isMarkerLine(line, PROTOCOL_BEGIN)) {
      if (protocolBegin === undefined) protocolBegin = i;
      else secondProtocolBegin ??= i;
    }
    if (
      protocolBegin !== undefined && protocolEnd === undefined && isMarkerLine(line, PROTOCOL_END)
    ) {
      protocolEnd = i;
    }
  });
  const tableType = table.AGENT_TYPE === undefined
    ? undefined
    : /(\d+)/.exec(table.AGENT_TYPE)?.[1];
  return {
    name,
    lines,
    agentType: typeLine ?? tableType,
    table,
    protocolBegin,
    protocolEnd,
    secondProtocolBegin,
  };
}

/**
 * The first word of a `WRITE_SCOPE` value, lowercase: `deliverable-local
 * (the four docs ...)` → `deliverable-local`. `undefined` when there is none.
 *
 * @example
 * ```ts
 * import { writeScopeKind } from "./agent_file.ts";
 * writeScopeKind("deliverable-local (the four docs + `_STATUS.md` safe update only)"); // "deliverable-local"
 * writeScopeKind("Tool-root-only"); // "tool-root-only"
 * ```
 */
export function writeScopeKind(value: string | undefined): string | undefined {
  return /^[`*\s]*([A-Za-z][A-Za-z-]*)/.exec(value ?? "")?.[1].toLowerCase();
}
