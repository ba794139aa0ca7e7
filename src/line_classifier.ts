/**
 * What each line of a record file is: a header, a record whose checksum
 * matches (handed on as text), or a problem (UTF-16, CR LF, NUL bytes, bad
 * UTF-8, a torn or changed line). Records are read further by ./reader.ts.
 *
 * @module
 */
import { isHeaderShaped, whereItDiffers } from "./messages.ts";
import { checksumOf } from "./codec.ts";
import { HEADER, LINE_LIMIT_BYTES } from "./schema.ts";
import { additiveHeaderFault } from "./schema_versions.ts";
import { startsWithByteOrderMark, textBeforeCutCharacter, utf8Text } from "./utf8_text.ts";
import type { LineBlock } from "./line_blocks.ts";
import { clip, type LineProblem, lineProblem, tornOrCorrupt } from "./line_problems.ts";

const NEWLINE = 10;

/** Decodes a header line, whatever its bytes (an invalid byte shows as U+FFFD). */
const lenient = new TextDecoder("utf-8");

const COMMA = 44;

const HEADER_START = HEADER.charCodeAt(0);

/** Where {@linkcode classifyBlock} sends what it finds. */
export interface LineSink {
  /** A problem with a line. */
  problem(problem: LineProblem): void;
  /** A line whose checksum matches, as text (without CR, NULs or `\n`), and where it starts. */
  record(line: number, text: string, offset: number): void;
  /** A header line of this or an additive version (faulty added names too), as text (no CR, NULs, `\n`). */
  header(line: number, text: string): void;
}

/**
 * Classifies every line of a block, sending problems and checksum-valid lines to `sink`.
 *
 * @example
 * ```ts
 * import { classifyBlock } from "./line_classifier.ts";
 * const bytes = new TextEncoder().encode("not a header\n\n");
 * classifyBlock({ bytes, firstLine: 1, terminated: true }, {
 *   problem: (p) => console.log(p.line, p.message), // 1: not the header; 2: empty line
 *   header: () => {},
 *   record: () => {},
 * });
 * ```
 */
export function classifyBlock(block: LineBlock, sink: LineSink): void {
  const { bytes, terminated } = block;
  if (block.overlong) {
    const limit = `${LINE_LIMIT_BYTES / (1 << 20)} MiB`;
    sink.problem(
      lineProblem(
        block.firstLine,
        "error",
        "corrupt",
        `is longer than ${limit} (the line limit); skipped`,
      ),
    );
    return;
  }
  const blockOffset = block.offset ?? 0;
  let line = block.firstLine;
  let start = 0;
  for (let end = bytes.indexOf(NEWLINE); end >= 0; end = bytes.indexOf(NEWLINE, start)) {
    classifyLine(bytes.subarray(start, end), line++, true, blockOffset + start, sink);
    start = end + 1;
  }
  // Only the file's last line goes without a `\n`.
  if (!terminated) classifyLine(bytes.subarray(start), line, false, blockOffset + start, sink);
}

/** How a v1 record's line starts (its SchemaVersion). */
const RECORD_START = new TextEncoder().encode("v1.");

/** Whether `bytes` from `offset` hold exactly the ASCII string `text` (no decoding needed). */
function asciiEquals(bytes: Uint8Array, offset: number, text: string): boolean {
  if (bytes.length - offset !== text.length) return false;
  for (let i = 0; i < text.length; i++) {
    if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Whether a line reads as UTF-16 text: over its first bytes, every other
 * byte is NUL (the high bytes of ASCII letters) and the bytes between are
 * not. A line of UTF-16LE after the first starts with the NUL of the `\n`
 * before it, so either parity counts.
 */
function isUtf16Text(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0 && bytes[1] !== 0) return false; // neither parity: the common case, told at once
  const head = bytes.subarray(0, 64);
  if (head.length < 8) return false;
  for (const parity of [0, 1]) {
    if (head.every((b, i) => (i % 2 === parity) === (b === 0))) return true;
  }
  return false;
}

/**
 * Classifies one line (without its `\n`): problems go to the sink, and a line
 * whose checksum matches goes on as text.
 *
 * @example
 * ```ts
 * import { classifyLine } from "./line_classifier.ts";
 * import { HEADER } from "./schema.ts";
 * classifyLine(new TextEncoder().encode(HEADER), 1, true, 0, {
 *   problem: () => {},
 *   header: (line) => console.log(`line ${line} is the header`),
 *   record: () => {},
 * });
 * ```
 */
export function classifyLine(
  bytes: Uint8Array,
  line: number,
  terminated: boolean,
  offset: number,
  sink: LineSink,
): void {
  // A file in UTF-16 reads as NUL bytes and bad UTF-8: its byte-order mark says what it is.
  if (
    line === 1 && (bytes[0] === 0xff && bytes[1] === 0xfe || bytes[0] === 0xfe && bytes[1] === 0xff)
  ) {
    sink.problem(
      lineProblem(
        line,
        "error",
        "header",
        "is UTF-16 (a byte-order mark), not UTF-8: save the file as UTF-8",
      ),
    );
    return;
  }
  // Without a byte-order mark (or on the lines after it), UTF-16 is NULs between ASCII letters:
  // said once a line as what it is, not as NUL bytes and a line that is no record (review-y F10).
  if (isUtf16Text(bytes)) {
    sink.problem(
      lineProblem(
        line,
        "error",
        line === 1 ? "header" : "corrupt",
        "is UTF-16 text (a NUL byte beside each letter), not UTF-8: save the file as UTF-8",
      ),
    );
    return;
  }
  let end = bytes.length;
  // A CR within line 1 ends lines too (an old Mac's line ends): the file reads as one line.
  // CR CR LF (a CR LF file converted again) ends in CR LF: only a CR before other bytes counts.
  const crAlone = line === 1 &&
    bytes.subarray(0, end - 1).some((b, i, head) =>
      b === 13 && i + 1 < head.length && head[i + 1] !== 13
    );
  if (crAlone) {
    sink.problem(
      lineProblem(
        line,
        "warning",
        "crlf",
        "lines end in CR alone, not LF: convert the line ends to LF",
      ),
    );
  }
  if (end > 0 && bytes[end - 1] === 13) {
    end--;
    // CR CR LF: CR LF line ends converted to CR LF once more; read as one CR LF is.
    while (end > 0 && bytes[end - 1] === 13) end--;
    const crs = bytes.length - end;
    if (!crAlone) {
      sink.problem(
        lineProblem(
          line,
          "warning",
          "crlf",
          crs === 1
            ? "line ends in CR LF; read without the CR"
            : `line ends in ${crs} CRs then LF (CR LF converted again?); read without them`,
        ),
      );
    }
  }
  const lineEnd = end; // past the line's bytes, its CRs cut
  let nulStart = end;
  while (nulStart > 0 && bytes[nulStart - 1] === 0) nulStart--;
  let begin = 0;
  while (begin < nulStart && bytes[begin] === 0) begin++;
  if (nulStart < end || begin > 0) {
    const count = end - nulStart + begin;
    // Zero-filled blocks are what a file system leaves where a write was lost at power loss.
    // git takes a file with a NUL in its first 8,000 bytes for binary: a merge of it conflicts
    // instead of joining both sides' lines (the reader does not count bytes: the warning says when).
    const what = count === 1 ? "1 NUL byte" : `${count} NUL bytes`;
    sink.problem(
      lineProblem(
        line,
        "warning",
        "nul",
        `${what} (zero-filled, as after a lost write; in the file's first 8,000 bytes, they make ` +
          "git take it for binary and not merge it)",
      ),
    );
    end = nulStart;
  }
  // Most lines have nothing to cut: no second view of them.
  const body = begin === 0 && end === bytes.length ? bytes : bytes.subarray(begin, end);
  if (body.length === 0 && line === 1 && terminated) {
    // The writer refuses a file whose line 1 is not the header: so does the check.
    sink.problem(lineProblem(line, "error", "header", "is empty, not the v1.0 header"));
    return;
  }
  if (body.length === 0) {
    // A line of NUL bytes is said above; a CR LF file's blank line is blank too.
    if (nulStart === lineEnd) {
      sink.problem(lineProblem(line, "warning", "blank", "empty line"));
    }
    return;
  }
  const fault = body[0] === HEADER_START ? additiveHeaderFault(lenient.decode(body)) : undefined;
  if (fault !== undefined) {
    // The header of a newer additive version (SCHEMA.md 11.3): its records are read by their own
    // SchemaVersion. One whose added names clash still starts a layout, whose cells go by position.
    if (fault !== "") sink.problem(lineProblem(line, "error", "header", fault));
    sink.header(line, lenient.decode(body));
    return;
  }
  if (asciiEquals(body, 0, HEADER)) {
    // Ours, as line 1 or after another version's (11.3) or again after a merge: header_layout.ts tells.
    sink.header(line, HEADER);
    return;
  }
  if (line === 1) {
    // A byte-order mark is invisible when shown: name it.
    const bom = startsWithByteOrderMark(body);
    const shown = new TextDecoder().decode(body.subarray(bom ? 3 : 0, 200));
    const text = new TextDecoder().decode(body); // without the mark: the decoder drops it
    // An editor or spreadsheet that saved the file added the mark: the way out is to drop it,
    // where what follows it is a header line (a hand-kept file's is not: adopt-56 F3).
    const markOnly = bom && (text === HEADER || isHeaderShaped(text));
    // A header's shape is quoted where it departs from ours, whose first characters it shares
    // (versions-sweep F3).
    const headerShaped = !bom && isHeaderShaped(text);
    // A header of another tool, or a hand-made one, is said where it departs from ours, not by
    // its first characters, which are ours (newuser-49 F1).
    const headerStart = !markOnly && text.startsWith("SchemaVersion,");
    const what = markOnly
      ? "starts with a UTF-8 byte-order mark (EF BB BF), then"
      : (bom ? "starts with a UTF-8 byte-order mark (EF BB BF) and " : "") + (headerShaped
        ? `is not the v1.0 header: ${whereItDiffers(text)} (another schema version's, or ours ` +
          "damaged)"
        : headerStart
        ? `is not the v1.0 header: ${whereItDiffers(text)}${missingColumns(text)}`
        : "is not the v1.0 header:");
    const fix = markOnly ? ": delete those 3 bytes (until then, records wait in the spool)" : "";
    // A file that lost its header line (a copy made with `tail -n +2`) starts with a record,
    // which is checked as one (review-u F3).
    const record = RECORD_START.every((b, k) => body[k] === b);
    const lost = record ? " (a record: the header line is missing)" : "";
    const quoted = headerShaped || headerStart ? "" : ` ${clip(shown)}`;
    const problem = lineProblem(line, "error", "header", `${what}${quoted}${fix}${lost}`);
    // Only our header, after a byte-order mark or cut at a column (an older tool's), holds no
    // run (newuser-49); any other line 1 may hold one whose cells are not known (`cells`): a
    // record spoilt at its start, or glued to a header by CR-only line ends or a lost newline.
    const header = bom ? new TextDecoder().decode(body.subarray(3)) : text;
    const holdsNoRun = header === HEADER || HEADER.startsWith(`${header},`);
    sink.problem(lost === "" && !holdsNoRun ? { ...problem, cells: [] } : problem);
    if (lost === "") return;
  }
  const comma = body.lastIndexOf(COMMA);
  const checksumOk = comma > 0 && body.length - comma - 1 === 64 &&
    asciiEquals(body, comma + 1, checksumOf(body.subarray(0, comma)));
  const text = utf8Text(body);
  if (text === undefined) {
    // Cut inside a character, a record line is torn as one cut between two is.
    const before = checksumOk ? undefined : textBeforeCutCharacter(body);
    const cut = before === undefined ? undefined : tornOrCorrupt(before, line);
    sink.problem(
      cut?.code === "torn" ? cut : lineProblem(line, "error", "corrupt", "is not valid UTF-8"),
    );
    return;
  }
  if (!checksumOk) {
    sink.problem(tornOrCorrupt(text, line));
    return;
  }
  if (!terminated) {
    sink.problem(lineProblem(line, "warning", "no-newline", "last line has no final newline"));
  }
  sink.record(line, text, offset);
}

/**
 * What a header line made of our header's columns, without RecordChecksum, lacks, as a clause:
 * such a file was written by a tool that knew the host procedure's 16 fields (or fewer), or by
 * hand, perhaps in another order, so none of its lines is a run record. Empty for any other line.
 *
 * @example
 * ```ts
 * import { missingColumns } from "./line_classifier.ts";
 * missingColumns("SchemaVersion,RunID"); // ": 2 columns, without DeliverableID, …, RecordChecksum …"
 * ```
 */
export function missingColumns(line: string): string {
  const columns = HEADER.split(",");
  const given = line.split(",");
  const ours = given.every((name) => columns.includes(name) && name !== "RecordChecksum");
  if (!ours || new Set(given).size !== given.length) return "";
  const missing = columns.filter((name) => !given.includes(name));
  const named = missing.length > 5
    ? `${missing[0]}, …, ${missing[missing.length - 1]}`
    : missing.join(", ");
  // A column swapped by hand (adopt-56): the first place the order departs from ours.
  const at = given.findIndex((name, i) => name !== columns[i]);
  const order = at < 0 ? "" : `, in another order (${given[at]} where ${columns[at]} goes)`;
  return `: ${given.length} columns${order}, without ${named} (a file another tool wrote, or by ` +
    "hand: its lines have no RecordChecksum, so none is a run record; SCHEMA.md 1.4, 1.5)";
}
