/**
 * The problems a record file's lines have, as readers report them: one
 * line each, naming the field at fault; and, for a line that is no valid
 * record, whether an interrupted write cut it (torn, a warning) or a hand
 * changed it (corrupt, an error).
 *
 * @module
 */
import { isHeaderShaped, whereItDiffers } from "./messages.ts";
import { decodeRecord, splitCsvLine, UNTERMINATED_QUOTE } from "./codec.ts";
import { COLUMNS, type FieldProblem, HEADER, SCHEMA_VERSION, validateRecord } from "./schema.ts";
import { versionReading } from "./schema_versions.ts";

/**
 * How a record line of this runrec's SchemaVersion starts.
 *
 * @example
 * ```ts
 * import { CURRENT_VERSION_CELL } from "./line_problems.ts";
 * "v1.0,RUN-DEL-01-02-20260301-1000-001".startsWith(CURRENT_VERSION_CELL); // true
 * ```
 */
export const CURRENT_VERSION_CELL = `${SCHEMA_VERSION},`;

/** What kind of problem a line has. */
export type ProblemCode =
  | "header" // line 1 is not the v1.0 header, or an added column has no name of its own
  | "torn" // an interrupted write: a record cut short
  | "corrupt" // a full-length line whose checksum or encoding is wrong
  | "invalid" // checksum fine, but the record breaks the schema
  | "crlf" // the line ends in CR LF
  | "nul" // NUL bytes (a tail zero-filled after power loss)
  | "blank" // an empty line
  | "no-newline" // the last record has no final `\n`
  | "lifecycle" // a valid record whose states break a lifecycle rule (checkRecordFile only)
  | "future" // a valid record dated after this machine's clock (checkRecordFile only)
  | "annotation"; // a RUNREC_ANNOTATE record runrec annotate did not write (checkRecordFile only)

/** A problem found on one line. `error`s fail `validate`; `warning`s are reported only. */
export interface LineProblem {
  /** Tells a problem from a record. */
  kind: "problem";
  /** The line's number, from 1. */
  line: number;
  /** Whether the problem fails `validate` (`error`) or is only reported (`warning`). */
  severity: "error" | "warning";
  /** What kind of problem it is. */
  code: ProblemCode;
  /** The column at fault, or `""`. */
  field: string;
  /** What is wrong, in one line. */
  message: string;
  /**
   * For a record line that cannot be read (`torn`, `corrupt`, `invalid`):
   * its cells that are whole (`wholeCells`), which may still say
   * whose run it was and when.
   */
  cells?: string[];
}

/**
 * A problem of line `line`, for the readers' events.
 *
 * @example
 * ```ts
 * import { lineProblem } from "./line_problems.ts";
 * lineProblem(7, "warning", "blank", "empty line").kind; // "problem"
 * ```
 */
export function lineProblem(
  line: number,
  severity: "error" | "warning",
  code: ProblemCode,
  message: string,
  field = "",
): LineProblem {
  return { kind: "problem", line, severity, code, field, message };
}

/**
 * The problem of a line whose checksum matches but whose record breaks the
 * schema: its first field problem, as one line.
 *
 * @example
 * ```ts
 * import { invalidLine } from "./line_problems.ts";
 * invalidLine(3, [{ field: "RunStatus", message: "must be one of SUCCESS, ..." }]).message;
 * // "RunStatus must be one of SUCCESS, ..."
 * ```
 */
export function invalidLine(line: number, problems: FieldProblem[]): LineProblem {
  const { field, message } = problems[0];
  return lineProblem(line, "error", "invalid", `${field || "record"} ${message}`, field);
}

const HEX_PREFIX = /^[0-9a-f]{0,63}$/;

const FULL_CHECKSUM_TAIL = /,[0-9a-f]{64}$/;

/**
 * Why a file whose every line under its header is torn (`torn`: their line
 * numbers) holds no run: not "ok: 0 records" alone. Each line stays a
 * warning, as one among good records is (an interrupted write leaves one);
 * but lines written by hand, without a RecordChecksum, are no run records,
 * and a file of them only is most likely that. `validate` and `verify` say it.
 *
 * @example
 * ```ts
 * import { noRunRecord } from "./line_problems.ts";
 * noRunRecord([2]).startsWith("no run record in this file: its one record line, line 2"); // true
 * ```
 */
export function noRunRecord(torn: readonly number[]): string {
  const lines = torn.length === 1
    ? `its one record line, line ${torn[0]}, has no whole RecordChecksum`
    : `none of its ${torn.length} record lines (line ${torn[0]} on) has a whole RecordChecksum`;
  return `no run record in this file: ${lines} (an interrupted write leaves one such line; a ` +
    "line written by hand is no run record, SCHEMA.md 1.5: runrec emit records a run)";
}

/**
 * The lines git writes around a conflict it leaves for the user to resolve.
 *
 * @example
 * ```ts
 * import { CONFLICT_MARKER } from "./line_problems.ts";
 * CONFLICT_MARKER.test(">>>>>>> feature"); // true
 * ```
 */
export const CONFLICT_MARKER = /^(?:<{7} |={7}$|>{7} |\|{7} )/;

/** How every record line of a v1.x version starts: its SchemaVersion, then the start of RunID. */
const V1_RECORD_START = /^v1\.\d+,RUN-DEL-/;

/** Every proper prefix of such a start: what a write cut within its first cells leaves. */
const V1_RECORD_START_PREFIX =
  /^v(?:1(?:\.(?:\d+(?:,(?:R(?:U(?:N(?:-(?:D(?:E(?:L)?)?)?)?)?)?)?)?)?)?)?$/;

/** Our header line without its last column: what an additive version's header line starts with. */
const HEADER_BASE = HEADER.slice(0, HEADER.lastIndexOf(",") + 1);

/** What may follow {@linkcode HEADER_BASE} in a cut-off header line: column names and commas. */
const ADDED_COLUMNS = /^[A-Za-z0-9_,]*$/;

/** Cell counts of a record line cut right after one of its 64-hex-digit fields. */
const CUT_AFTER_HASH = new Set(
  (["InputContextSHA", "GitHead"] as const).map((name) => COLUMNS.indexOf(name) + 1),
);

/**
 * A line cut short by an interrupted write is torn (a warning); a line that
 * ends in a full checksum, or has every field, was written whole and then
 * changed, so it is corrupt (an error).
 *
 * @example
 * ```ts
 * import { tornOrCorrupt } from "./line_problems.ts";
 * tornOrCorrupt("v1.0,RUN-DEL-01-02-2026", 5).code; // "torn"
 * tornOrCorrupt("hello", 5).code; // "corrupt"
 * ```
 */
export function tornOrCorrupt(text: string, line: number): LineProblem {
  let cells: string[] | undefined;
  // A cut inside a quoted field leaves an unterminated quote; no cut leaves a quote inside an
  // unquoted field or text after a closing quote, which the encoder never writes.
  let prefix = true;
  try {
    cells = splitCsvLine(text);
  } catch (e) {
    prefix = (e as Error).message === UNTERMINATED_QUOTE;
  }
  // An interrupted write leaves the start of a record line (of any v1.x version, whose
  // column count this reader may not know) or of a header line; anything else was put there.
  const ours = text.startsWith(CURRENT_VERSION_CELL);
  const startsLikeRecord = V1_RECORD_START.test(text) || V1_RECORD_START_PREFIX.test(text);
  // A line ending in `,` and 64 hex digits may be cut right after InputContextSHA or a SHA-256
  // GitHead: with just the cells up to one of those, it was cut, not written whole (seeds-trace F3).
  const endsWhole = FULL_CHECKSUM_TAIL.test(text) &&
    !(cells !== undefined && CUT_AFTER_HASH.has(cells.length));
  const cutHeader = isCutHeader(text);
  const what = cutHeader ? "header line" : "record";
  const cut = cutHeader || startsLikeRecord && !endsWhole && prefix &&
      (!ours || cells === undefined || cells.length < COLUMNS.length ||
        (cells.length === COLUMNS.length && HEX_PREFIX.test(cells[cells.length - 1])));
  // Another version's header (a merge brought its records): a header, no run (versions-sweep F3).
  if (isHeaderShaped(text)) {
    return lineProblem(
      line,
      "error",
      "header",
      `a header line, not v1.0's: ${whereItDiffers(text)} (another schema version's, or ours ` +
        "damaged); it holds no run, and records are read by their own SchemaVersion",
    );
  }
  if (CONFLICT_MARKER.test(text)) {
    return lineProblem(
      line,
      "error",
      "corrupt",
      `is a git conflict marker ${clip(text)}: an unresolved merge (keep both sides' lines and ` +
        "delete the markers: with the .gitattributes line 'RunRecords.csv merge=union' in place, " +
        "git checkout -m of this file does it while the merge is in progress; the line also " +
        "avoids it next time)",
    );
  }
  const found = cut
    ? lineProblem(line, "warning", "torn", `torn ${what} (interrupted write); skipped`)
    : startsLikeRecord
    ? lineProblem(
      line,
      "error",
      "corrupt",
      `RecordChecksum does not match the line${alsoInvalid(text)}`,
      "RecordChecksum",
    )
    : lineProblem(line, "error", "corrupt", `is not a run record: ${clip(text)}`);
  return startsLikeRecord && !cutHeader ? { ...found, cells: wholeCells(text) } : found;
}

/**
 * {@linkcode wholeCells} of a line whose SchemaVersion this reader knows the
 * layout of; none of one it refuses (a new major version may reorder its
 * columns: what its cells mean is not guessed, versions-sweep F4).
 *
 * @example
 * ```ts
 * import { cellsOfKnownLayout } from "./line_problems.ts";
 * cellsOfKnownLayout("v1.0,RUN-DEL-01-02-20260301-1000-001,DEL-01-02,WRI");
 * // ["v1.0", "RUN-DEL-01-02-20260301-1000-001", "DEL-01-02"]
 * cellsOfKnownLayout("v9.0,a,b,c"); // []
 * ```
 */
export function cellsOfKnownLayout(text: string): string[] {
  const version = text.slice(0, Math.max(0, text.indexOf(",")));
  // A version cell spoilt by hand (`v1.O`) still heads a v1.0 line: its cells are read.
  const another = /^v[0-9]+\.[0-9]+$/.test(version) && versionReading(version).read === "refused";
  return another ? [] : wholeCells(text);
}

/**
 * The cells of a record line that cannot be read that are whole: all it
 * splits into as CSV (up to a quote that is never closed), but the last,
 * which a cut may have shortened (or is the RecordChecksum):
 * `v1.0,RUN-…,DEL-01-02,WRI` gives `v1.0`, `RUN-…` and `DEL-01-02`.
 */
function wholeCells(text: string): string[] {
  try {
    return splitCsvLine(text).slice(0, -1);
  } catch {
    // The cells before a cell that opens a quote never closed (RunID to RunTimestamp are never quoted).
    return text.slice(0, text.indexOf('"')).split(",").slice(0, -1);
  }
}

/**
 * The fields of a changed line of ours that are invalid too, as `; also <field> <why>`:
 * they show what the hand that changed it got wrong (a misspelt RunStatus).
 */
function alsoInvalid(text: string): string {
  if (!text.startsWith(CURRENT_VERSION_CELL)) return "";
  let problems: FieldProblem[];
  try {
    problems = validateRecord(decodeRecord(text));
  } catch (e) {
    const field = (e as { field?: string }).field;
    problems = [{ field: (field ?? "") as FieldProblem["field"], message: (e as Error).message }];
  }
  const shown = problems.map((p) => `${p.field || "record"} ${p.message}`);
  return shown.length === 0 ? "" : `; also ${shown.join("; ")}`;
}

/**
 * Whether a line is a proper prefix of a header line, ours or an additive
 * version's (SCHEMA.md 11.3): a writer's header line cut short, then ended by
 * the next append's `\n`.
 */
function isCutHeader(text: string): boolean {
  if (text.length < HEADER_BASE.length) return HEADER_BASE.startsWith(text);
  return text.startsWith(HEADER_BASE) && ADDED_COLUMNS.test(text.slice(HEADER_BASE.length));
}

/** Characters of a line a message quotes: enough to know it, too few to leak a secret's line. */
const QUOTED_CHARACTERS = 24;

/**
 * The start of a line as a message quotes it: escaped, at most
 * {@linkcode QUOTED_CHARACTERS} characters.
 *
 * @example
 * ```ts
 * import { clip } from "./line_problems.ts";
 * clip("short"); // '"short"'
 * clip("x".repeat(100)); // '"xxxxxxxxxxxxxxxxxxxxxxxx..."'
 * ```
 */
export function clip(text: string): string {
  const characters = [...text.slice(0, 2 * QUOTED_CHARACTERS)];
  if (characters.length <= QUOTED_CHARACTERS) return JSON.stringify(text);
  return `${JSON.stringify(characters.slice(0, QUOTED_CHARACTERS).join("")).slice(0, -1)}..."`;
}
