// deno-lint-ignore-file no-control-regex -- control characters are what the escapes match
/**
 * One CSV line <-> one run record. Every record stays on one physical line:
 * control characters are percent-escaped before RFC 4180 quoting, and list
 * separators are escaped inside list elements; a cell never starts with a
 * character that makes a spreadsheet evaluate it. Each record has exactly
 * one spelling, and only that spelling decodes (rules in SCHEMA.md).
 *
 * @module
 */
import { sha256Hex } from "./sha256.ts";
import { compareUtf8, sortUtf8 } from "./manifest.ts";
import { COLUMNS, FIELDS, type FieldSpec, type RunRecord } from "./schema.ts";

/** Characters escaped in every text value: `%`, C0 controls but TAB, and DEL. */
const TEXT_ESCAPES = /[%\x00-\x08\x0A-\x1F\x7F]/g;
/** In list elements `;` separates, so it is escaped too. */
const LIST_ESCAPES = /[%;\x00-\x08\x0A-\x1F\x7F]/g;
/** In hash keys `;` separates pairs and `=` separates path from hash. */
const KEY_ESCAPES = /[%;=\x00-\x08\x0A-\x1F\x7F]/g;

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
 * uppercase hex digits. Works in one pass over a buffer as long as the
 * value, so even a line of nothing but escapes costs memory in proportion
 * to its length.
 *
 * @example
 * ```ts
 * import { unescapeValue } from "./codec.ts";
 * unescapeValue("a%3Bb%0A100%25"); // "a;b\n100%"
 * ```
 */
export function unescapeValue(value: string): string {
  if (!value.includes("%")) return value;
  const out = new Uint16Array(value.length);
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c !== PERCENT) {
      out[n++] = c;
      continue;
    }
    const high = hexDigit(value.charCodeAt(i + 1));
    const low = hexDigit(value.charCodeAt(i + 2));
    if (high < 0 || low < 0) {
      throw new Error(`bad escape ${JSON.stringify(value.slice(i, i + 3))} (a % must start %XX)`);
    }
    out[n++] = high * 16 + low;
    i += 2;
  }
  return utf16.decode(out.subarray(0, n));
}

const PERCENT = 37;
/** Decodes the UTF-16 code units `unescapeValue` collects (exact: escapes are below U+0100). */
// ignoreBOM: a value may start with U+FEFF, which the decoder would otherwise drop unseen.
const utf16 = new TextDecoder("utf-16le", { ignoreBOM: true });

/** The value of an uppercase hex digit, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Characters that make a spreadsheet read a cell as a formula when they
 * start it (OWASP's CSV injection list); CR is escaped everywhere already.
 */
const FORMULA_START = /^[=+\-@\t]/;

function quote(value: string): string {
  return /[,"]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * The cell as written: escaped, a formula-starting first character
 * percent-escaped too (it decodes back to itself), then quoted.
 */
function cellOf(escaped: string): string {
  return quote(
    FORMULA_START.test(escaped) ? escaped.replace(FORMULA_START, percentEscape) : escaped,
  );
}

/**
 * Encodes one field's value as its CSV cell, exactly as it appears in the
 * line (quotes included).
 *
 * @example
 * ```ts
 * import { encodeField } from "./codec.ts";
 * import { FIELDS } from "./schema.ts";
 * const notes = FIELDS.find((f) => f.name === "Notes")!;
 * encodeField(notes, "=1+1, said he"); // "\"%3D1+1, said he\""
 * ```
 */
export function encodeField(spec: FieldSpec, value: unknown): string {
  switch (spec.kind) {
    case "text":
      return cellOf(escapeValue(value as string, "text"));
    case "list":
      return cellOf((value as string[]).map((v) => escapeValue(v, "list")).join(";"));
    case "hashes": {
      const hashes = value as Record<string, string>;
      return cellOf(
        sortUtf8(Object.keys(hashes))
          .map((path) => `${escapeValue(path, "key")}=${escapeValue(hashes[path], "key")}`)
          .join(";"),
      );
    }
  }
}

/**
 * Decodes one cell (quotes included) into the field's value, accepting only
 * the spelling {@linkcode encodeField} writes: a needless quote or escape,
 * an unsorted map or an unescaped formula start is an error, so that a value
 * has one spelling and a line re-encodes to itself byte for byte. The
 * one-pass {@linkcode readCanonicalCell} decides, on the cell `line[start..end)`:
 * re-encoding every cell to compare would hold a large escaped field three
 * times over (its cell, its value, its re-encoding), past the memory
 * tests/long_line_test.ts allows a 12 MB field. A cell it refuses is decoded
 * and re-encoded to say what is wrong.
 */
function decodeField(spec: FieldSpec, line: string, start: number, end: number): unknown {
  return readCell(spec, line, start, end) ??
    decodeByReencoding(spec, line.slice(start, end));
}

/** The definition of canonical: decode, re-encode, compare. Throws what is wrong. */
function decodeByReencoding(spec: FieldSpec, cell: string): unknown {
  const raw = unquote(cell);
  const value = spec.kind === "text"
    ? unescapeValue(raw)
    : spec.kind === "list"
    ? decodeList(raw)
    : decodeHashes(raw);
  const canonical = encodeField(spec, value);
  if (canonical !== cell) {
    throw new Error(
      `is not written as runrec writes it: ${clip(cell)} (expected ${clip(canonical)})`,
    );
  }
  return value;
}

/** Bits of {@linkcode ESCAPED}: the kinds of value that escape a character. */
const TEXT = 1;
const LIST = 2;
const KEY = 4;
/**
 * Per character below U+0100 (the only ones `%XX` spells): which kinds of
 * value escape it, plus {@linkcode FORMULA} when it starts a formula. Built
 * from the escaping patterns themselves, so the two cannot disagree.
 */
const ESCAPED = new Uint8Array(256);
const FORMULA = 8;
{
  // Each pattern without its `g` flag (whose `test` would move `lastIndex`), compiled once:
  // every regular expression made is compiled on its first test.
  const [text, list, key] = [TEXT_ESCAPES, LIST_ESCAPES, KEY_ESCAPES].map((p) =>
    new RegExp(p.source)
  );
  for (let c = 0; c < 256; c++) {
    const char = String.fromCharCode(c);
    ESCAPED[c] = (text.test(char) ? TEXT : 0) | (list.test(char) ? LIST : 0) |
      (key.test(char) ? KEY : 0) | (FORMULA_START.test(char) ? FORMULA : 0);
  }
}

/**
 * The value of one cell when it is exactly what {@linkcode encodeField}
 * writes for that value, else `undefined`; decided in one pass, without
 * re-encoding. A cell is written as `encodeField` writes it iff it is quoted
 * exactly when its content holds `,` or `"`; every character the value's
 * kind escapes is escaped (`%` only starts an escape); every `%XX` is
 * uppercase and spells a character that kind escapes, or a formula start
 * at the first position; a bare formula start never comes first; and a
 * map's keys are unique and in UTF-8 order.
 *
 * @example
 * ```ts
 * import { readCanonicalCell } from "./codec.ts";
 * import { FIELDS } from "./schema.ts";
 * const notes = FIELDS.find((f) => f.name === "Notes")!;
 * readCanonicalCell(notes, '"100%25, done"'); // "100%, done"
 * readCanonicalCell(notes, '"100%25 done"'); // undefined: quoted without a reason
 * readCanonicalCell(notes, "%41"); // undefined: "A" is never escaped
 * ```
 */
export function readCanonicalCell(spec: FieldSpec, cell: string): unknown {
  return readCell(spec, cell, 0, cell.length);
}

/**
 * The text of a cell a newer minor version adds (SCHEMA.md 11.1: written as
 * 6.1 writes text, since an escaping change is a major one), or `undefined`
 * when it is not written so (quoted without a reason, a needless or bad
 * `%XX`, a bare formula start): the same spellings refused in a known column.
 *
 * @example
 * ```ts
 * import { readAddedCell } from "./codec.ts";
 * readAddedCell("alice"); // "alice"
 * readAddedCell("%zz"); // undefined
 * ```
 */
export function readAddedCell(cell: string): string | undefined {
  return readCell({ kind: "text" } as FieldSpec, cell, 0, cell.length) as string | undefined;
}

/** {@linkcode readCanonicalCell} of the cell `text[start..end)`. */
function readCell(spec: FieldSpec, text: string, start: number, end: number): unknown {
  if (text.charCodeAt(start) !== QUOTE) return readContent(spec, text, start, end);
  let content = text.slice(start + 1, end - 1);
  const quotes = content.includes('"');
  if (!quotes && !content.includes(",")) return undefined; // quoted without a reason
  if (quotes) content = content.replaceAll('""', '"');
  return readContent(spec, content, 0, content.length);
}

/** The value of an unquoted cell content `text[start..end)`, or `undefined` (see above). */
function readContent(spec: FieldSpec, text: string, start: number, end: number): unknown {
  if (spec.kind === "text") return readEscaped(text, start, end, TEXT, start);
  if (start === end) return spec.kind === "list" ? [] : {};
  const parts: string[] = [];
  const hashes: Record<string, string> = {};
  let lastPath: string | undefined;
  for (let from = start; from <= end;) {
    let to = text.indexOf(";", from);
    if (to < 0 || to > end) to = end;
    if (spec.kind === "list") {
      const element = readEscaped(text, from, to, LIST, start);
      if (element === undefined) return undefined;
      parts.push(element);
    } else {
      const eq = text.indexOf("=", from);
      if (eq < 0 || eq > to) return undefined; // a pair without "=": an error to report
      if (eq === start) return undefined; // "=" first: a bare formula start
      const path = readEscaped(text, from, eq, KEY, start);
      const hash = readEscaped(text, eq + 1, to, KEY, start);
      if (path === undefined || hash === undefined) return undefined;
      // Each path once, in the order encode sorts them.
      if (lastPath !== undefined && compareUtf8(lastPath, path) >= 0) return undefined;
      setOwn(hashes, path, hash);
      lastPath = path;
    }
    from = to + 1;
  }
  return spec.kind === "list" ? parts : hashes;
}

const QUOTE = 34;

/**
 * `text[from..to)` unescaped, when it is escaped exactly as `escapeValue(value,
 * kind)` writes it, with the formula guard at `first` (where the cell's
 * content starts); else `undefined`.
 */
function readEscaped(
  text: string,
  from: number,
  to: number,
  kind: number,
  first: number,
): string | undefined {
  let escapes = false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const flags = c < 256 ? ESCAPED[c] : 0;
    if ((flags & kind) === 0) {
      if (i === first && (flags & FORMULA) !== 0) return undefined; // a formula start left bare
      continue;
    }
    if (c !== PERCENT || i + 2 >= to) return undefined; // left bare, or a cut escape
    const high = hexDigit(text.charCodeAt(i + 1));
    const low = hexDigit(text.charCodeAt(i + 2));
    if (high < 0 || low < 0) return undefined;
    const escaped = ESCAPED[high * 16 + low];
    if ((escaped & kind) === 0 && !(i === first && (escaped & FORMULA) !== 0)) return undefined;
    escapes = true;
    i += 2;
  }
  const raw = text.slice(from, to);
  if (!escapes) return raw;
  // unescapeValue turns a lone surrogate into U+FFFD, which re-encodes differently: a
  // string from UTF-8 has none, so such a value is left to the re-encoding check.
  return raw.isWellFormed() ? unescapeValue(raw) : undefined;
}

/** Sets `map[key]`, even for `__proto__`, which an assignment would take as the prototype. */
function setOwn(map: Record<string, string>, key: string, value: string): void {
  if (key !== "__proto__") map[key] = value;
  else {Object.defineProperty(map, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });}
}

/** Undoes RFC 4180 quoting of one cell as {@linkcode splitCells} cut it (well formed). */
function unquote(cell: string): string {
  if (cell[0] !== '"') return cell;
  return cell.slice(1, -1).replaceAll('""', '"');
}

/** Quotes a cell for an error message, shortened so the message stays one line. */
function clip(text: string): string {
  const s = JSON.stringify(text);
  return s.length > 60 ? `${s.slice(0, 57)}..."` : s;
}

function decodeList(raw: string): string[] {
  return raw === "" ? [] : raw.split(";").map(unescapeValue);
}

function decodeHashes(raw: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  if (raw === "") return hashes;
  for (const pair of raw.split(";")) {
    const eq = pair.indexOf("=");
    if (eq < 0) throw new Error(`pair ${clip(pair)} has no "="`);
    const path = unescapeValue(pair.slice(0, eq));
    if (Object.hasOwn(hashes, path)) throw new Error(`lists ${clip(path)} twice`);
    setOwn(hashes, path, unescapeValue(pair.slice(eq + 1)));
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

/**
 * The length in bytes (UTF-8) of the line {@linkcode encodeRecord} writes for
 * `record`, without its `\n`: what the line limit (SCHEMA.md 6.5) is checked
 * against.
 *
 * @example
 * ```ts
 * import { encodedLineBytes, encodeRecord } from "./codec.ts";
 * declare const record: import("./schema.ts").RunRecord;
 * encodedLineBytes(record) === new TextEncoder().encode(encodeRecord(record)).length; // true
 * ```
 */
export function encodedLineBytes(record: RunRecord): number {
  return new TextEncoder().encode(encodeRecord(record)).length;
}

/**
 * `text` copied on its own. A decoded record's fields are slices of its line,
 * and a slice keeps the whole line in memory (V8): what is held per record of
 * a long history is copied first.
 *
 * @example
 * ```ts
 * import { ownCopy } from "./codec.ts";
 * declare const record: import("./schema.ts").RunRecord;
 * const kept = ownCopy(record.RunID); // the line can go
 * ```
 */
export function ownCopy(text: string): string {
  return [...text].join("");
}

/**
 * Splits one CSV line (no line break inside) into its cells as written,
 * quotes included. Throws {@linkcode DecodeError} on a quote out of place.
 *
 * @example
 * ```ts
 * import { splitCells } from "./codec.ts";
 * splitCells('a,"b,c",'); // ["a", "\"b,c\"", ""]
 * ```
 */
export function splitCells(line: string): string[] {
  const ends = cellEnds(line);
  return ends.map((end, i) => line.slice(i === 0 ? 0 : ends[i - 1] + 1, end));
}

/**
 * What {@linkcode splitCells} says of a line that ends inside a quoted
 * field: the one way a line cut short can break the quoting.
 *
 * @example
 * ```ts
 * import { splitCells, UNTERMINATED_QUOTE } from "./codec.ts";
 * try {
 *   splitCells('a,"b');
 * } catch (e) {
 *   console.log((e as Error).message === UNTERMINATED_QUOTE); // true
 * }
 * ```
 */
export const UNTERMINATED_QUOTE = "unterminated quoted field";

/** Where each cell of a line ends (the index of its comma, or the line's length). */
function cellEnds(line: string): number[] {
  const ends: number[] = [];
  let start = 0;
  // The first quote at or after `start`, found once: searching from every cell rescans the line.
  let nextQuote = -2;
  while (true) {
    let end: number;
    if (line.charCodeAt(start) === QUOTE) {
      end = start + 1;
      while (true) {
        const close = line.indexOf('"', end);
        if (close < 0) throw new DecodeError("", UNTERMINATED_QUOTE);
        end = close + 1;
        if (line.charCodeAt(end) !== QUOTE) break;
        end++; // a doubled quote inside the value
      }
      if (end < line.length && line[end] !== ",") {
        throw new DecodeError("", `text after a closing quote at column ${end + 1}`);
      }
    } else {
      const comma = line.indexOf(",", start);
      end = comma < 0 ? line.length : comma;
      if (nextQuote !== -1 && nextQuote < start) nextQuote = line.indexOf('"', start);
      if (nextQuote >= 0 && nextQuote < end) {
        throw new DecodeError("", `stray quote at column ${nextQuote + 1}`);
      }
    }
    ends.push(end);
    if (end === line.length) return ends;
    start = end + 1;
  }
}

/**
 * Splits one CSV line into its values, undoing RFC 4180 quoting.
 *
 * @example
 * ```ts
 * import { splitCsvLine } from "./codec.ts";
 * splitCsvLine('a,"b,c","d""e"'); // ["a", "b,c", 'd"e']
 * ```
 */
export function splitCsvLine(line: string): string[] {
  return splitCells(line).map(unquote);
}

/**
 * Decodes one line (without its `\n`) into a record. Checks the field count
 * and the escaping, not the field values: see `validateRecord` for those, and
 * {@linkcode checksumMatches} for the checksum. Only the one spelling
 * {@linkcode encodeRecord} writes is accepted: anything else throws a
 * {@linkcode DecodeError} naming the field, so `encodeRecord(decodeRecord(line))`
 * is `line` for every line that decodes.
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
  const ends = cellEnds(line);
  if (ends.length !== COLUMNS.length) {
    throw new DecodeError("", `has ${ends.length} fields, expected ${COLUMNS.length}`);
  }
  const record: Record<string, unknown> = { ...EMPTY_RECORD };
  for (let i = 0; i < FIELDS.length; i++) {
    const spec = FIELDS[i];
    const start = i === 0 ? 0 : ends[i - 1] + 1;
    try {
      record[spec.name] = decodeField(spec, line, start, ends[i]);
    } catch (e) {
      throw new DecodeError(spec.name, (e as Error).message);
    }
  }
  return record as unknown as RunRecord;
}

/** Every column, in order: a record copied from it is filled in place, with no new property. */
const EMPTY_RECORD: Readonly<Record<string, unknown>> = Object.fromEntries(
  COLUMNS.map((name) => [name, ""]),
);

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
