// deno-lint-ignore-file no-control-regex -- control characters are what the escapes match
/**
 * One CSV line <-> one run record. Every record stays on one physical line:
 * control characters are percent-escaped before RFC 4180 quoting, and list
 * separators are escaped inside list elements (rules in SCHEMA.md).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { compareUtf8 } from "./manifest.ts";
import { COLUMNS, FIELDS, type FieldSpec, type RunRecord } from "./schema.ts";

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
        Object.entries(value as Record<string, string>)
          .sort(([a], [b]) => compareUtf8(a, b))
          .map(([path, hash]) => `${escapeValue(path, "key")}=${escapeValue(hash, "key")}`)
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

function decodeField(spec: FieldSpec, raw: string): unknown {
  if (spec.kind === "text") return unescapeValue(raw);
  const key = spec.kind === "list" ? `L${raw}` : `H${raw}`;
  let value = cellCache.get(key);
  if (value === undefined) {
    value = Object.freeze(spec.kind === "list" ? decodeList(raw) : decodeHashes(raw));
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
  return createHash("sha256").update(body).digest("hex");
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
