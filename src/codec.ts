// deno-lint-ignore-file no-control-regex -- control characters are what the escapes match
/**
 * One CSV line <-> one run record. Every record stays on one physical line:
 * control characters are percent-escaped before RFC 4180 quoting, and list
 * separators are escaped inside list elements (rules in SCHEMA.md).
 *
 * @module
 */
import { sha256Hex } from "./sha256.ts";
import { sortUtf8 } from "./manifest.ts";
import {
  checkField,
  COLUMNS,
  crossFieldProblems,
  type CrossFields,
  type FieldProblem,
  FIELDS,
  type FieldSpec,
  type RunRecord,
} from "./schema.ts";

/** Characters escaped in every text value: `%`, C0 controls but TAB, and DEL. */
const TEXT_ESCAPES = /[%\x00-\x08\x0A-\x1F\x7F]/g;
/** In list elements `;` separates, so it is escaped too. */
const LIST_ESCAPES = /[%;\x00-\x08\x0A-\x1F\x7F]/g;
/** In hash keys `;` separates pairs and `=` separates path from hash. */
const KEY_ESCAPES = /[%;=\x00-\x08\x0A-\x1F\x7F]/g;
const ESCAPE_SEQUENCE = /%([0-9A-F]{2})|%/g;

function percentEscape(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`;
}

/** A line that cannot be decoded, with the column at fault when there is one. */
export class DecodeError extends Error {
  /** The column at fault, or `""` for the line as a whole. */
  readonly field: string;
  /** Builds the error. */
  constructor(field: string, message: string) {
    super(message);
    this.name = "DecodeError";
    this.field = field;
  }
}

/**
 * Escapes a value for one physical line: `%`, control characters but TAB, and
 * the separators of its kind.
 *
 * @example
 * ```ts
 * import { escapeValue } from "./codec.ts";
 * escapeValue("a;b\n100%", "list"); // "a%3Bb%0A100%25"
 * ```
 */
export function escapeValue(value: string, kind: "text" | "list" | "key"): string {
  const pattern = kind === "text" ? TEXT_ESCAPES : kind === "list" ? LIST_ESCAPES : KEY_ESCAPES;
  return value.replace(pattern, percentEscape);
}

/**
 * Reverses {@linkcode escapeValue}. Throws on a `%` not followed by two
 * uppercase hex digits, so that every value has exactly one spelling.
 *
 * @example
 * ```ts
 * import { unescapeValue } from "./codec.ts";
 * unescapeValue("a%3Bb%0A100%25"); // "a;b\n100%"
 * ```
 */
export function unescapeValue(value: string): string {
  if (!value.includes("%")) return value;
  return value.replace(ESCAPE_SEQUENCE, (whole, hex: string | undefined) => {
    if (hex === undefined) throw new Error(`bad escape "${whole}" (a % must start %XX)`);
    return String.fromCharCode(parseInt(hex, 16));
  });
}

function quote(value: string): string {
  return /[,"]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function encodeField(spec: FieldSpec, value: unknown): string {
  switch (spec.kind) {
    case "text":
      return quote(escapeValue(value as string, "text"));
    case "list":
      return quote((value as string[]).map((v) => escapeValue(v, "list")).join(";"));
    case "hashes":
      return quote(
        sortUtf8(Object.keys(value as Record<string, string>))
          .map((path) =>
            `${escapeValue(path, "key")}=${
              escapeValue((value as Record<string, string>)[path], "key")
            }`
          )
          .join(";"),
      );
  }
}

/**
 * Decoded list and hash cells by their raw text. Consecutive records of one
 * deliverable mostly repeat their inputs, so a small cache saves decoding
 * (and, through identity, validating) them again; values are frozen because
 * records share them.
 */
const cellCache = new Map<string, readonly string[] | Readonly<Record<string, string>>>();
const CELL_CACHE_SIZE = 512;

/**
 * A copy of `text` that shares no memory with the string it was cut from.
 * Cut strings keep their whole source alive (here: a 256 KiB chunk of the
 * file), so anything kept in a cache is detached first.
 */
function detach(text: string): string {
  return (" " + text).slice(1);
}

function decodeField(spec: FieldSpec, raw: string): unknown {
  if (spec.kind === "text") return unescapeValue(raw);
  const key = spec.kind === "list" ? `L${raw}` : `H${raw}`;
  let value = cellCache.get(key);
  if (value === undefined) {
    const own = detach(raw);
    value = Object.freeze(spec.kind === "list" ? decodeList(own) : decodeHashes(own));
    if (cellCache.size >= CELL_CACHE_SIZE) cellCache.clear();
    cellCache.set(key, value);
  }
  return value;
}

function decodeList(raw: string): string[] {
  return raw === "" ? [] : raw.split(";").map(unescapeValue);
}

function decodeHashes(raw: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  if (raw === "") return hashes;
  for (const pair of raw.split(";")) {
    const eq = pair.indexOf("=");
    if (eq < 0) throw new Error(`pair ${JSON.stringify(pair)} has no "="`);
    const path = unescapeValue(pair.slice(0, eq));
    if (Object.hasOwn(hashes, path)) throw new Error(`lists ${JSON.stringify(path)} twice`);
    hashes[path] = unescapeValue(pair.slice(eq + 1));
  }
  return hashes;
}

/**
 * SHA-256 (lowercase hex) of a line's body: every byte before the comma that
 * precedes `RecordChecksum`.
 *
 * @example
 * ```ts
 * import { checksumOf } from "./codec.ts";
 * checksumOf("v1.0,RUN-…").length; // 64
 * ```
 */
export function checksumOf(body: string | Uint8Array): string {
  return sha256Hex(body);
}

/**
 * Encodes a record as one CSV line without its `\n`, computing
 * `RecordChecksum` (whatever the record holds there is ignored).
 *
 * @example
 * ```ts
 * import { encodeRecord, decodeRecord } from "./codec.ts";
 * declare const record: import("./schema.ts").RunRecord;
 * const line = encodeRecord(record);
 * decodeRecord(line).RunID === record.RunID; // true
 * ```
 */
export function encodeRecord(record: RunRecord): string {
  const cells: string[] = [];
  for (const spec of FIELDS) {
    if (spec.name === "RecordChecksum") continue;
    cells.push(encodeField(spec, record[spec.name]));
  }
  const body = cells.join(",");
  return `${body},${checksumOf(body)}`;
}

/** Splits one CSV line (no line break inside) into raw cells, undoing RFC 4180 quoting. */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let i = 0;
  while (true) {
    if (line[i] === '"') {
      let value = "";
      i++;
      while (true) {
        const close = line.indexOf('"', i);
        if (close < 0) throw new DecodeError("", "unterminated quoted field");
        value += line.slice(i, close);
        if (line[close + 1] === '"') {
          value += '"';
          i = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      cells.push(value);
      if (i === line.length) return cells;
      if (line[i] !== ",") {
        throw new DecodeError("", `text after a closing quote at column ${i + 1}`);
      }
      i++;
    } else {
      const comma = line.indexOf(",", i);
      const cell = comma < 0 ? line.slice(i) : line.slice(i, comma);
      if (cell.includes('"')) throw new DecodeError("", `stray quote at column ${i + 1}`);
      cells.push(cell);
      if (comma < 0) return cells;
      i = comma + 1;
    }
  }
}

/**
 * Decodes one line (without its `\n`) into a record. Checks the field count
 * and the escaping, not the field values: see `validateRecord` for those, and
 * {@linkcode checksumMatches} for the checksum. Lists and hash maps in the
 * result are frozen (records read from one file share equal ones).
 *
 * @example
 * ```ts
 * import { decodeRecord } from "./codec.ts";
 * try {
 *   decodeRecord("v1.0,too,short");
 * } catch (e) {
 *   console.log((e as Error).message); // "has 3 fields, expected 21"
 * }
 * ```
 */
export function decodeRecord(line: string): RunRecord {
  const cells = splitCsvLine(line);
  if (cells.length !== COLUMNS.length) {
    throw new DecodeError("", `has ${cells.length} fields, expected ${COLUMNS.length}`);
  }
  const record: Record<string, unknown> = {};
  for (let i = 0; i < FIELDS.length; i++) {
    const spec = FIELDS[i];
    try {
      record[spec.name] = decodeField(spec, cells[i]);
    } catch (e) {
      throw new DecodeError(spec.name, (e as Error).message);
    }
  }
  return record as unknown as RunRecord;
}

/**
 * Whether the line's last field is the SHA-256 of everything before its comma.
 *
 * @example
 * ```ts
 * import { checksumMatches } from "./codec.ts";
 * checksumMatches("a,b,0000"); // false
 * ```
 */
export function checksumMatches(line: string): boolean {
  const comma = line.lastIndexOf(",");
  return comma >= 0 && checksumOf(line.slice(0, comma)) === line.slice(comma + 1);
}

/** A cell's raw text, decoded value, and what is wrong with it on its own. */
interface CellVerdict {
  raw: string;
  value: unknown;
  problem: string | undefined;
  /** The cell's escaping is broken (decodeRecord would have thrown). */
  undecodable: boolean;
}

/** Columns whose values are (nearly) unique per record: not worth remembering. */
const REMEMBER = FIELDS.map((f) => !["RunID", "RunTimestamp", "RecordChecksum"].includes(f.name));
const VERDICT_CACHE_SIZE = 4096;
/**
 * Per column, verdicts of recent cells: records of one file repeat most of
 * their cells. Keyed by {@linkcode sampleHash} and confirmed with `===`: a
 * `Map` keyed by the cell itself hashes every character of every fresh cell
 * (measured ~3 µs per line, half of the check).
 */
const verdicts: Map<number, CellVerdict>[] = FIELDS.map(() => new Map());

/** A cheap hash of a string's length and at most ~34 of its characters. */
function sampleHash(text: string): number {
  const n = text.length;
  let h = n;
  const step = n > 32 ? n >> 4 : 1;
  for (let i = 0; i < n; i += step) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return n > 0 ? (Math.imul(h, 31) + text.charCodeAt(n - 1)) | 0 : h;
}

function verdictOf(index: number, raw: string): CellVerdict {
  if (!REMEMBER[index]) return judge(FIELDS[index], raw);
  const key = sampleHash(raw);
  const known = verdicts[index].get(key);
  if (known !== undefined && known.raw === raw) return known;
  // Detached: a cut string keeps its whole source chunk alive while cached.
  const verdict = judge(FIELDS[index], detach(raw));
  if (verdicts[index].size >= VERDICT_CACHE_SIZE) verdicts[index].clear();
  verdicts[index].set(key, verdict);
  return verdict;
}

function judge(spec: FieldSpec, raw: string): CellVerdict {
  try {
    const value = decodeField(spec, raw);
    return { raw, value, problem: checkField(spec, value), undecodable: false };
  } catch (e) {
    return { raw, value: undefined, problem: (e as Error).message, undecodable: true };
  }
}

/** Column index of each field the cross-field rules read. */
const AT = Object.fromEntries(COLUMNS.map((name, i) => [name, i])) as Record<string, number>;

/**
 * Checks one line (without its `\n`, checksum already verified) against the
 * schema without building a record: the verdict of `decodeRecord` followed by
 * `validateRecord`, from the same rules, with each distinct cell decoded and
 * checked once. Returns the problems, first one first; `[]` when valid.
 *
 * @example
 * ```ts
 * import { checkRecordLine } from "./codec.ts";
 * checkRecordLine("v1.0,x")[0].message; // "has 2 fields, expected 21"
 * ```
 */
export function checkRecordLine(line: string): FieldProblem[] {
  let cells: string[];
  try {
    cells = splitCsvLine(line);
  } catch (e) {
    return [{ field: "", message: (e as Error).message }];
  }
  if (cells.length !== COLUMNS.length) {
    return [{ field: "", message: `has ${cells.length} fields, expected ${COLUMNS.length}` }];
  }
  const problems: FieldProblem[] = [];
  const values: unknown[] = new Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const { value, problem, undecodable } = verdictOf(i, cells[i]);
    if (undecodable) return [{ field: FIELDS[i].name, message: problem! }]; // as decodeRecord
    if (problem) problems.push({ field: FIELDS[i].name, message: problem });
    values[i] = value;
  }
  if (problems.length > 0) return problems;
  const cross = {
    RunID: values[AT.RunID],
    DeliverableID: values[AT.DeliverableID],
    RunTimestamp: values[AT.RunTimestamp],
    RunStatus: values[AT.RunStatus],
    ErrorSummary: values[AT.ErrorSummary],
    InputContextSHA: values[AT.InputContextSHA],
    InputFiles: values[AT.InputFiles],
    OutputFiles: values[AT.OutputFiles],
    InputHashes: values[AT.InputHashes],
    OutputHashes: values[AT.OutputHashes],
  } as CrossFields;
  return crossFieldProblems(cross);
}
