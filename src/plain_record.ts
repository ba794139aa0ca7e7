/**
 * The fast path of reading a record line: one regular expression, compiled
 * by V8 to native code, that accepts the usual spelling of a valid v1.0
 * line (ids, enums and hashes as their fields allow, paths of plain
 * characters, text cells that need no escape or quote) and splits it into
 * its cells in the same pass. A line it does not accept goes the full way
 * (`decodeRecord`, then `validateRecord`), which words every error: this
 * path may refuse more than that one, never accept more, and a seeded
 * property test keeps the two in agreement (tests/plain_record_test.ts).
 *
 * @module
 */
import { readCanonicalCell } from "./codec.ts";
import {
  AGENT_NAME_PATTERN,
  AGENT_TYPE,
  DELIVERABLE_ID_SYNTAX,
  FIELDS,
  type FieldSpec,
  LIFECYCLE_STATES,
  RUN_ID_SYNTAX,
  RUN_STATUSES,
  type RunRecord,
  SCHEMA_VERSION,
  TBD,
} from "./schema.ts";
import { isLowerHex, sha256Hex } from "./sha256.ts";
import { daysInMonth, durationProblem } from "./time.ts";

/** A pattern's source without its `^` and `$`. */
const inner = (pattern: RegExp) => pattern.source.slice(1, -1);
/**
 * 64 characters to be checked as lowercase hex by `isLowerHex`: the class
 * `[0-9a-f]` in the expression costs more (docs/BENCHMARKS.md, stop 24).
 */
const HEX64 = "[^,;=]{64}";
/**
 * A path segment of plain characters, none of which any cell escapes; not
 * `.` or `..` (what follows a segment is `/`, `;`, `=` or `,`), and never
 * starting with `-`, which would be a formula start at the start of a cell.
 */
const SEGMENT = "(?!\\.\\.?[/;=,])[A-Za-z0-9_.][A-Za-z0-9_. -]*";
/** A normalised relative path: `..` only as leading segments, at least one other segment. */
const PATH = `(?:\\.\\./)*${SEGMENT}(?:/${SEGMENT})*`;
const LIST = `((?:${PATH}(?:;${PATH})*)?)`;
const map = (hash: string) => `((?:${PATH}=(?:${hash})(?:;${PATH}=(?:${hash}))*)?)`;
/**
 * A text cell: either plain (group 1: no character that text escapes, no
 * `,` or `"`, no formula start first), whose value is the cell itself, or
 * any other cell as CSV splits it (group 2), read by `readCanonicalCell`.
 */
const TEXT = '(?:([^%",\\x00-\\x1F\\x7F=+\\-@][^%",\\x00-\\x08\\x0A-\\x1F\\x7F]*)|' +
  '("(?:[^"]|"")*"|[^,"]*))';
const oneOf = (values: readonly string[]) => `(${values.join("|")})`;
/**
 * A RunTimestamp of the years 2000-2999 whose month, hour, minute and second
 * are in range; its day is checked against its month by {@linkcode realDay}.
 */
const TIMESTAMP = "(2[0-9]{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])" +
  "T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?Z)";

/**
 * The common spelling of a valid v1.0 line, a group per cell (two per text
 * cell).
 */
const PLAIN_LINE = new RegExp(
  [
    `^${SCHEMA_VERSION.replace(".", "\\.")}`,
    `(${inner(RUN_ID_SYNTAX)})`,
    `(${inner(DELIVERABLE_ID_SYNTAX)})`,
    `(${inner(AGENT_NAME_PATTERN)})`,
    AGENT_TYPE,
    TIMESTAMP,
    "(P[0-9A-Z.]*)", // RunDuration, checked below
    oneOf(RUN_STATUSES),
    TEXT, // RunPassDirective
    `(${HEX64}|TBD)`,
    LIST, // InputFiles
    LIST, // OutputFiles
    oneOf(LIFECYCLE_STATES),
    oneOf(LIFECYCLE_STATES),
    TEXT, // ErrorSummary
    TEXT, // Notes
    map(`${HEX64}|TBD`), // InputHashes
    map(`${HEX64}|TBD|DELETED`), // OutputHashes
    "((?:[^,]{40}(?:[^,]{24})?)?)", // GitHead
    TEXT, // Host
    `(${HEX64})$`,
  ].join(","),
);

const spec = (name: keyof RunRecord): FieldSpec => FIELDS.find((f) => f.name === name)!;
const PASS = spec("RunPassDirective");
const ERROR = spec("ErrorSummary");
const NOTES = spec("Notes");
const HOST = spec("Host");

/**
 * The record a line holds when the line is in the common spelling of a
 * valid v1.0 record: then it equals `decodeRecord(line)` and every field
 * passes its own check (`validateRecord` would report only cross-field
 * rules, which the caller still checks: `crossFieldProblems`, with the
 * InputContextSHA its InputHashes give). Otherwise
 * `undefined`, which says nothing about the line: read it the full way.
 *
 * @example
 * ```ts
 * import { plainRecord } from "./plain_record.ts";
 * plainRecord("v1.0,not,a,record"); // undefined
 * ```
 */
export function plainRecord(line: string): PlainRecord | undefined {
  const reading = plainReading(line);
  return reading && {
    record: reading.record,
    inputContextSha: reading.manifest === undefined
      ? "TBD"
      : sha256Hex(utf8Bytes(reading.manifest)),
  };
}

const encoder = new TextEncoder();
/** Room for the manifest of ~100 inputs. */
const manifestBytes = new Uint8Array(16 << 10);

/**
 * A text's UTF-8 bytes, in a buffer reused line after line when they fit
 * (each manifest is hashed before the next line is read): encoding into a
 * fresh buffer cost twice as much.
 */
function utf8Bytes(text: string): Uint8Array {
  const { read, written } = encoder.encodeInto(text, manifestBytes);
  return read === text.length ? manifestBytes.subarray(0, written) : encoder.encode(text);
}

/** A line the fast path read: its record, and its InputHashes' manifest (`inputContextManifest`). */
interface PlainReading {
  record: RunRecord;
  manifest: string | undefined;
}

/** The longest line the fast path reads: 40,000 inputs' worth (6 MB overflowed nothing). */
const PLAIN_LINE_LIMIT = 4 << 20;

/** The record of {@linkcode plainRecord}, and the manifest whose SHA-256 its InputContextSHA must be. */
function plainReading(line: string): PlainReading | undefined {
  // The expression's stack grows with a cell's length: a line of 8 MB (80,000 inputs) overflowed
  // it. A line that long, or one that overflows all the same, is read the full way (scale-sweep F3).
  if (line.length > PLAIN_LINE_LIMIT) return undefined;
  let m: RegExpExecArray | null;
  try {
    m = PLAIN_LINE.exec(line);
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
  if (m === null || !line.isWellFormed()) return undefined;
  if (
    !isLowerHex(m[23]) || !(m[9] === TBD || isLowerHex(m[9])) ||
    !(m[20] === "" || isLowerHex(m[20]))
  ) {
    return undefined;
  }
  if (!realDay(m[4]) || durationProblem(m[5]) !== undefined) return undefined;
  const pass = text(PASS, m[7], m[8]);
  const error = text(ERROR, m[14], m[15]);
  const notes = text(NOTES, m[16], m[17]);
  const host = text(HOST, m[21], m[22]);
  const inputFiles = paths(m[10]);
  const outputFiles = paths(m[11]);
  const manifest: Manifest = { text: "", hashed: false };
  const inputHashes = hashes(m[18], manifest);
  const outputHashes = hashes(m[19]);
  if (
    pass === undefined || error === undefined || notes === undefined || host === undefined ||
    inputFiles === undefined || outputFiles === undefined || inputHashes === undefined ||
    outputHashes === undefined
  ) {
    return undefined;
  }
  // In column order, as decodeRecord builds it (JSON output lists the keys in this order).
  const record: RunRecord = {
    SchemaVersion: SCHEMA_VERSION,
    RunID: m[1],
    DeliverableID: m[2],
    AgentName: m[3],
    AgentType: AGENT_TYPE,
    RunTimestamp: m[4],
    RunDuration: m[5],
    RunStatus: m[6],
    RunPassDirective: pass,
    InputContextSHA: m[9],
    InputFiles: inputFiles,
    OutputFiles: outputFiles,
    StatusBefore: m[12],
    StatusAfter: m[13],
    ErrorSummary: error,
    Notes: notes,
    InputHashes: inputHashes,
    OutputHashes: outputHashes,
    GitHead: m[20],
    Host: host,
    RecordChecksum: m[23],
  };
  return { record, manifest: manifest.hashed ? manifest.text : undefined };
}

/** A record of the fast path, and the InputContextSHA its InputHashes give. */
export interface PlainRecord {
  /** The record the line holds. */
  record: RunRecord;
  /**
   * `inputContextSha(record.InputHashes)`: the one value its InputContextSHA
   * may hold, since no path of a plain record is escaped in the manifest
   * (`acceptedInputContextShas` gives only this one).
   */
  inputContextSha: string;
}

/** Whether the day of a timestamp TIMESTAMP matched is one its month has (no February 30). */
function realDay(timestamp: string): boolean {
  const digit = (at: number) => timestamp.charCodeAt(at) - 48;
  const day = digit(8) * 10 + digit(9);
  if (day <= 28) return true;
  const year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
  return day <= daysInMonth(year, digit(5) * 10 + digit(6));
}

/** A text cell's value: a plain cell is its value; any other is read by the canonical reader. */
function text(spec: FieldSpec, plain: string | undefined, other: string | undefined) {
  if (plain !== undefined) return plain;
  return other === "" ? "" : readCanonicalCell(spec, other!) as string | undefined;
}

/** A list cell's paths, or `undefined` when one is listed twice (an error to word). */
function paths(cell: string): string[] | undefined {
  if (cell === "") return [];
  const list = cell.split(";");
  return listedOnce(list) ? list : undefined;
}

/** Whether no path of `list` is listed twice. */
function listedOnce(list: string[]): boolean {
  // A short list (most are 1-5 paths) is compared pair by pair: building a Set cost 5 % of a line.
  if (list.length > 16) return new Set(list).size === list.length;
  for (let i = 1; i < list.length; i++) {
    for (let j = 0; j < i; j++) if (list[i] === list[j]) return false;
  }
  return true;
}

/** The InputContextSHA manifest of a map cell's pairs, built as {@linkcode hashes} reads them. */
interface Manifest {
  /** `manifestText` of the pairs: a line each, in cell order, since no plain path is escaped. */
  text: string;
  /** Whether a hash is a SHA-256: if none is, InputContextSHA is TBD and nothing is hashed. */
  hashed: boolean;
}

/**
 * A map cell's pairs, or `undefined` when its paths are not in strictly
 * increasing order (encode sorts them by UTF-8, which for these ASCII
 * paths is the order of `<`; a path listed twice is not increasing).
 * Builds the pairs' `manifest` as it goes.
 */
function hashes(cell: string, manifest?: Manifest): Record<string, string> | undefined {
  const map: Record<string, string> = {};
  if (cell === "") return map;
  let last = "";
  // A walk with indexOf, not `split`: splitting cost as much as all the rest.
  for (let from = 0; from <= cell.length;) {
    let to = cell.indexOf(";", from);
    if (to < 0) to = cell.length;
    const eq = cell.indexOf("=", from); // within the pair: the expression matched `path=hash`
    const path = cell.slice(from, eq);
    if (last !== "" && !(last < path)) return undefined;
    if (path === "__proto__") return undefined; // decodeRecord's own way of setting it applies
    const hash = cell.slice(eq + 1, to);
    if (hash.length === 64 && !isLowerHex(hash)) return undefined;
    map[path] = hash;
    if (manifest !== undefined) {
      manifest.text += `${hash}  ${path}\n`;
      manifest.hashed ||= hash.length === 64;
    }
    last = path;
    from = to + 1;
  }
  return map;
}
