/**
 * The record files a moved or retired record file's records may have gone
 * to (untracked ones, ones added to git's index, and a rename staged there
 * for the file it was renamed from alone), looked up by
 * content: keyed by the DeliverableID of their first record, read from
 * their first bytes, and parsed whole only
 * when that ID matches, one file after another, each once however many
 * files are looked up.
 *
 * @module
 */
import { deliverableIdOfLine, holdsRecords, type RecordsOf, recordsOf } from "./moved_records.ts";
import { runIdOfLine } from "./record_lines.ts";
import { LINE_LIMIT_BYTES } from "./schema.ts";
import { join } from "./path.ts";

/** A record file to index: its path from the top of the work tree, whether git was told of it. */
export interface IndexedFile {
  /** Path from the top of the work tree, `/`-separated. */
  path: string;
  /** Whether git has been told of it (added to the index); else it is untracked. */
  told: boolean;
  /** For a rename staged in git's index, the path it was renamed from. */
  renamedFrom?: string;
}

/** A record file that holds a looked-up file's records. */
export interface Candidate extends IndexedFile {
  bytes: Uint8Array;
  records: RecordsOf;
}

/** Bytes read at a time for a first record. */
const CHUNK = 4096;
/** How much of a line is kept: its RunID and DeliverableID lie at its start. */
const LINE_HEAD = 1024;
const NEWLINE = 0x0a;

/**
 * Record files indexed by their first record's DeliverableID.
 *
 * @example
 * ```ts
 * import { RecordCandidates } from "./record_candidates.ts";
 * import { recordsOf } from "./moved_records.ts";
 * const committed = new Uint8Array(); // a version git has
 * const index = await RecordCandidates.index([{ path: "_Archive/DEL-01-03_X/RunRecords.csv", told: false }], "/repo");
 * const [found] = await index.holding(recordsOf(committed), "DEL-01-03_X/RunRecords.csv");
 * if (found) index.take(found.path);
 * ```
 */
export class RecordCandidates {
  readonly #top: string;
  readonly #byId = new Map<string, IndexedFile[]>();
  /** Candidates read whole, by path: `undefined` when the file could not be read. */
  readonly #read = new Map<string, Candidate | undefined>();
  readonly #taken = new Set<string>();

  private constructor(top: string) {
    this.#top = top;
  }

  /**
   * The index of `files` (paths from `top`), each file's first record read
   * in turn; a file that is not a regular one (a link, a FIFO) is left out.
   */
  static async index(
    files: IndexedFile[],
    top: string,
  ): Promise<RecordCandidates> {
    const index = new RecordCandidates(top);
    for (const file of files) {
      const id = await firstRecordId(join(top, ...file.path.split("/")));
      if (id === undefined) continue;
      const same = index.#byId.get(id);
      if (same) same.push(file);
      else index.#byId.set(id, [file]);
    }
    return index;
  }

  /**
   * The files not taken that hold the records `earlier`, the version of
   * the file at `from`, holds ({@linkcode holdsRecords}), in the order
   * indexed. A staged rename's target is one only when renamed from `from`:
   * another file's records went there, not these.
   */
  async holding(earlier: RecordsOf, from: string): Promise<Candidate[]> {
    if (earlier.deliverableId === undefined) return [];
    const found: Candidate[] = [];
    for (const file of this.#byId.get(earlier.deliverableId) ?? []) {
      const { path, renamedFrom } = file;
      if (this.#taken.has(path) || (renamedFrom !== undefined && renamedFrom !== from)) continue;
      if (!this.#read.has(path)) {
        const bytes = await regularFileBytes(join(this.#top, ...path.split("/")));
        this.#read.set(path, bytes && { ...file, bytes, records: recordsOf(bytes) });
      }
      const candidate = this.#read.get(path);
      if (candidate && holdsRecords(earlier, candidate.records)) found.push(candidate);
    }
    return found;
  }

  /** Marks the file at `path` as the one a file went to: no other file is given it. */
  take(path: string): void {
    this.#taken.add(path);
  }
}

/**
 * The DeliverableID of the first record of `file`, read a chunk at a time
 * until it is found: of each line only its head is kept, and a line longer
 * than a record may be ({@linkcode LINE_LIMIT_BYTES}) ends the search, as in
 * a file that is not a record file.
 */
async function firstRecordId(file: string): Promise<string | undefined> {
  const info = await Deno.lstat(file).catch(() => undefined);
  if (!info?.isFile) return undefined; // a link or a FIFO is never opened: it may block
  const handle = await Deno.open(file).catch(() => undefined);
  if (!handle) return undefined;
  try {
    const buffer = new Uint8Array(CHUNK);
    const head = new Uint8Array(LINE_HEAD); // the start of the line being read
    let kept = 0; // bytes of `head` in use
    let length = 0; // bytes of the line being read, so far
    let header = true;
    for (;;) {
      const n = await handle.read(buffer);
      // The end of the file ends its last line.
      const chunk = n === null ? Uint8Array.of(NEWLINE) : buffer.subarray(0, n);
      for (let start = 0; start < chunk.length;) {
        const newline = chunk.indexOf(NEWLINE, start);
        const end = newline < 0 ? chunk.length : newline;
        length += end - start;
        if (length > LINE_LIMIT_BYTES) return undefined;
        const piece = chunk.subarray(start, Math.min(end, start + LINE_HEAD - kept));
        head.set(piece, kept);
        kept += piece.length;
        if (newline < 0) break;
        if (!header) {
          const line = new TextDecoder().decode(head.subarray(0, kept));
          if (runIdOfLine(line) !== undefined) return deliverableIdOfLine(line);
        }
        header = false;
        kept = 0;
        length = 0;
        start = newline + 1;
      }
      if (n === null) return undefined;
    }
  } catch {
    return undefined;
  } finally {
    handle.close();
  }
}

/**
 * The bytes of `file` when it is a regular file (a link or a FIFO is never
 * opened: it may block); `undefined` when it is not, or cannot be read.
 *
 * @example
 * ```ts
 * import { regularFileBytes } from "./record_candidates.ts";
 * const bytes = await regularFileBytes("DEL-01-02_X/RunRecords.csv");
 * ```
 */
export async function regularFileBytes(file: string): Promise<Uint8Array | undefined> {
  const info = await Deno.lstat(file).catch(() => undefined);
  return info?.isFile ? await Deno.readFile(file).catch(() => undefined) : undefined;
}
