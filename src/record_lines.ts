/**
 * Reading a record file's lines as the store reads them, a chunk at a time,
 * memory bounded however long a line: each line's head (its RunID, its
 * AgentName), the lines holding a text, whether a whole record holds it.
 *
 * @module
 */
import { checksumMatches } from "./codec.ts";
import { mayName } from "./named_lines.ts";
import { readAt } from "./appended.ts";
import { RUN_ID_SYNTAX } from "./schema.ts";
import { tornOrCorrupt } from "./line_problems.ts";

/**
 * The UTF-8 encoder of the store's writes and searches: a record line's bytes are its UTF-8.
 *
 * @example
 * ```ts
 * import { encoder } from "./record_lines.ts";
 * encoder.encode("é").length; // 2
 * ```
 */
export const encoder = new TextEncoder();

/**
 * The lines of `path` (without `\n`, `\r`) that hold `text`, read a chunk at a time.
 *
 * @example
 * ```ts
 * import { linesHolding } from "./record_lines.ts";
 * for (const line of linesHolding("DEL-01-02_X/RunRecords.csv", "run 2026")) console.log(line);
 * ```
 */
export function* linesHolding(path: string, text: string): Generator<string> {
  const file = Deno.openSync(path, { read: true });
  try {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(CHUNK);
    let rest = "";
    for (let n = file.readSync(buffer); n !== null; n = file.readSync(buffer)) {
      const lines = (rest + decoder.decode(buffer.subarray(0, n), { stream: true })).split("\n");
      rest = lines.pop()!;
      for (const line of lines) if (line.includes(text)) yield line.replace(/\r$/, "");
    }
    rest += decoder.decode();
    if (rest.includes(text)) yield rest;
  } finally {
    file.close();
  }
}

/**
 * The byte that ends a record line, `\n`.
 *
 * @example
 * ```ts
 * import { NEWLINE } from "./record_lines.ts";
 * new Uint8Array([65, NEWLINE]).lastIndexOf(NEWLINE); // 1
 * ```
 */
export const NEWLINE = 10;

/** The RunID in a line's second field (where encode writes it, never quoted), if any. */
export function runIdOfLine(head: string): string | undefined {
  const first = head.indexOf(",");
  if (first < 0) return undefined;
  const second = head.indexOf(",", first + 1);
  const id = head.slice(first + 1, second < 0 ? undefined : second);
  return RUN_ID_SYNTAX.test(id) ? id : undefined;
}

/**
 * Whether two record lines are of one run: the same RunID, AgentName and RunTimestamp (the
 * second, fourth and sixth fields). Two clones' runs of one minute may share a RunID alone.
 *
 * @example
 * ```ts
 * import { ofOneRun } from "./record_lines.ts";
 * ofOneRun("v1.0,RUN-X-001,D,A,T,2026-01-01T00:00:00Z,x", "v1.0,RUN-X-001,D,A,T,2026-01-01T00:00:00Z,y"); // true
 * ```
 */
export function ofOneRun(a: string, b: string): boolean {
  const [x, y] = [a.split(",", 6), b.split(",", 6)];
  return x[1] === y[1] && x[3] === y[3] && x[5] === y[5];
}

/**
 * Of record `lines`, those whose run ({@linkcode ofOneRun}) a line of `path` holds damaged, and
 * how: `"edited"` by hand (other bytes, its checksum no longer matching) or `"cut"` short (a
 * prefix of the line, or a line the reader skips as torn: the file truncated after the append, a
 * record lost that its whole line restores). A line of that run whose checksum matches is
 * neither: it may be another clone's run of the same agent at the same `--started`, which took
 * the same RunID where this clone's file was begun anew. One read of the line heads, and one
 * more for each RunID found, so that lines whose runs the file lacks cost a single read however
 * many.
 *
 * @example
 * ```ts
 * import { damagedRunsIn } from "./record_lines.ts";
 * damagedRunsIn("DEL-01-02_X/RunRecords.csv", []); // Map {}
 * ```
 */
export function damagedRunsIn(
  path: string,
  lines: readonly string[],
): Map<string, "edited" | "cut"> {
  const byRunId = new Map<string, string[]>();
  for (const line of lines) {
    const runId = runIdOfLine(line);
    if (runId !== undefined) byRunId.set(runId, [...byRunId.get(runId) ?? [], line]);
  }
  const found = new Set<string>();
  if (byRunId.size > 0) {
    scanLines(path, 0, (head) => {
      const runId = runIdOfLine(head);
      if (runId !== undefined && byRunId.has(runId)) found.add(runId);
    });
  }
  const damaged = new Map<string, "edited" | "cut">();
  for (const runId of found) {
    for (const line of linesHolding(path, runId)) {
      if (checksumMatches(line)) continue;
      for (const wanted of byRunId.get(runId)!) {
        if (isCutFrom(line, wanted)) damaged.set(wanted, "cut");
        else if (ofOneRun(line, wanted) && !damaged.has(wanted)) {
          // One the reader skips as torn (a warning: other bytes after a cut) is the record lost
          // all the same; an edit it names as corrupt, an error of verify's.
          damaged.set(wanted, tornOrCorrupt(line, 0).code === "torn" ? "cut" : "edited");
        }
      }
    }
  }
  return damaged;
}

/**
 * Whether `line` is `whole` cut short (a torn write, or the file truncated later): not a record
 * of its own, and `whole` restores it. What may follow the cut is passed over: zero bytes a crash
 * left, blanks (a CR LF line end), and the first bytes of the character it went through (read as
 * U+FFFD), all of which a reader takes for a torn line too.
 *
 * @example
 * ```ts
 * import { isCutFrom } from "./record_lines.ts";
 * isCutFrom("v1.0,RUN-X-001,D", "v1.0,RUN-X-001,D,A"); // true
 * isCutFrom("v1.0,RUN-X-001,\uFFFD", "v1.0,RUN-X-001,é"); // true
 * ```
 */
export function isCutFrom(line: string, whole: string): boolean {
  const kept = line.replace(/[\0\s]+$/, "");
  const inCharacter = kept.endsWith("\uFFFD") && !whole.startsWith(kept);
  const cut = inCharacter ? kept.slice(0, -1) : kept;
  return cut.length < whole.length && whole.startsWith(cut) &&
    (!inCharacter || whole.codePointAt(cut.length)! > 0x7f);
}

/**
 * The numbers (from 1) of the lines of `path` whose RunID field holds
 * `runId`, read as the store reads them, from the line's head: a damaged
 * line (its checksum wrong, its encoding broken) is found too, where a
 * reader sees no record.
 *
 * @example
 * ```ts
 * import { linesWithRunId } from "./record_lines.ts";
 * linesWithRunId("DEL-01-02_X/RunRecords.csv", "RUN-DEL-01-02-20260222-1015-001"); // [3]
 * ```
 */
export function linesWithRunId(path: string, runId: string): number[] {
  const found: number[] = [];
  let line = 0;
  scanLines(path, 0, (head) => {
    line++;
    if (runIdOfLine(head) === runId) found.push(line);
  });
  return found;
}

/** How much of a record file's end {@linkcode agentsRecordedIn} reads: ~1,000 recent runs. */
export const RECENT_AGENTS_BYTES = 1 << 20;

/**
 * The AgentNames the lines of a record file hold, read from each line's head as
 * {@linkcode runIdOfLine} reads its RunID (the cells before AgentName are never quoted): what
 * agents ran in the deliverable lately, from its last {@linkcode RECENT_AGENTS_BYTES} only, so
 * that an emit costs the same however long the history. None when there is no file, it is no
 * regular file or it cannot be read.
 *
 * @example
 * ```ts
 * import { agentsRecordedIn } from "./record_lines.ts";
 * agentsRecordedIn("DEL-01-02_X/RunRecords.csv").has("4_DOCUMENTS"); // true once it ran there
 * ```
 */
export function agentsRecordedIn(path: string): Set<string> {
  const agents = new Set<string>();
  try {
    // Never a FIFO in its place (opening one waits for a writer), nor a link (another file's).
    const info = Deno.lstatSync(path);
    if (!info.isFile) return agents;
    const from = Math.max(0, info.size - RECENT_AGENTS_BYTES);
    let midLine = from > 0; // the first line read from inside the file is a line's end
    scanLines(path, from, (head) => {
      if (midLine) {
        midLine = false;
        return;
      }
      if (runIdOfLine(head) === undefined) return; // the header, a blank or foreign line
      // A cell is whole when another follows it: a line torn inside AgentName names no agent.
      const cells = head.split(",", 5);
      if (cells.length === 5 && cells[3] !== "") agents.add(cells[3]);
    });
  } catch {
    // No record file yet, or one that cannot be read: no agent recorded that can be told.
  }
  return agents;
}

/** How much of each line {@linkcode scanLines} keeps: a RunID is near its start. */
const LINE_HEAD = 1024;

/**
 * How much of a record file is read at a time: memory stays bounded however long the file or a
 * line.
 *
 * @example
 * ```ts
 * import { CHUNK } from "./record_lines.ts";
 * const buffer = new Uint8Array(CHUNK);
 * ```
 */
export const CHUNK = 1 << 16;

/**
 * Calls `visit` with the first {@linkcode LINE_HEAD} bytes of every line from
 * byte `from` on, the torn last line included: memory stays bounded however
 * long a line is. Returns the offset after the last `\n` read. Bytes are read one character each (a RunID is ASCII), so
 * string offsets are byte offsets.
 *
 * @example
 * ```ts
 * import { scanLines } from "./record_lines.ts";
 * let lines = 0;
 * scanLines("DEL-01-02_X/RunRecords.csv", 0, () => lines++);
 * ```
 */
export function scanLines(path: string, from: number, visit: (head: string) => void): number {
  const handle = Deno.openSync(path, { read: true });
  try {
    handle.seekSync(from, Deno.SeekMode.Start);
    const buffer = new Uint8Array(CHUNK);
    const oneCharPerByte = new TextDecoder("latin1");
    let head = "";
    let lineEnd = from;
    for (let read = from;;) {
      const n = handle.readSync(buffer);
      if (n === null) break;
      const text = oneCharPerByte.decode(buffer.subarray(0, n));
      let start = 0;
      while (start < text.length) {
        const nl = text.indexOf("\n", start);
        const end = nl < 0 ? text.length : nl;
        if (head.length < LINE_HEAD) {
          head += text.slice(start, Math.min(end, start + LINE_HEAD - head.length));
        }
        if (nl < 0) break;
        visit(head);
        head = "";
        start = nl + 1;
        lineEnd = read + start;
      }
      read += n;
    }
    if (head !== "") visit(head);
    return lineEnd;
  } finally {
    handle.close();
  }
}

/**
 * Whether a whole record of the file holds the UTF-8 of `text` (which must
 * not span a line): a line whose checksum matches, the last line without its
 * `\n` included (readers take it). A torn line holding `text` does not count:
 * its record was not written.
 *
 * @example
 * ```ts
 * import { fileContains } from "./record_lines.ts";
 * fileContains("DEL-01-02_X/RunRecords.csv", "run 20260222T101500123Z-1a2b3c4d"); // true once recorded
 * ```
 */
export function fileContains(path: string, text: string): boolean {
  // A run's or spool entry's name, most often named nowhere: told so without a read of the whole
  // file, which under the lock kept appenders waiting for each entry or run (scale37 F1).
  if (mayName(path, text) === false) return false;
  const needle = encoder.encode(text);
  let carry = new Uint8Array(0);
  let consumed = 0; // file offset of the window's first byte
  let handle: Deno.FsFile;
  try {
    handle = Deno.openSync(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
  try {
    const buffer = new Uint8Array(CHUNK);
    while (true) {
      const n = handle.readSync(buffer);
      if (n === null) return false;
      const window = new Uint8Array(carry.length + n);
      window.set(carry);
      window.set(buffer.subarray(0, n), carry.length);
      for (
        let at = indexOfBytes(window, needle, 0);
        at >= 0;
        at = indexOfBytes(window, needle, at + 1)
      ) {
        if (isWholeRecordAt(path, consumed + at)) return true;
      }
      const keep = Math.min(window.length, needle.length - 1);
      consumed += window.length - keep;
      carry = window.slice(window.length - keep);
    }
  } finally {
    handle.close();
  }
}

/**
 * Whether the line holding byte `offset` carries a matching checksum: as the
 * reader takes it, a last line without its `\n` included.
 */
function isWholeRecordAt(path: string, offset: number): boolean {
  const handle = Deno.openSync(path, { read: true });
  try {
    let start = offset;
    while (start > 0) {
      const from = Math.max(0, start - CHUNK);
      const nl = readAt(handle, from, start - from).lastIndexOf(NEWLINE);
      if (nl >= 0) {
        start = from + nl + 1;
        break;
      }
      start = from;
    }
    const size = handle.statSync().size;
    let end = offset;
    while (end < size) {
      const nl = readAt(handle, end, Math.min(CHUNK, size - end)).indexOf(NEWLINE);
      if (nl >= 0) {
        end += nl;
        break;
      }
      end = Math.min(size, end + CHUNK);
    }
    const line = new TextDecoder().decode(readAt(handle, start, end - start)).replace(/\r$/, "");
    return checksumMatches(line.replace(/^\0+|\0+$/g, ""));
  } finally {
    handle.close();
  }
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  if (needle.length === 0) return from;
  for (let i = haystack.indexOf(needle[0], from); i >= 0; i = haystack.indexOf(needle[0], i + 1)) {
    if (i + needle.length > haystack.length) return -1;
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}
