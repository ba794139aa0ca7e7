/**
 * The record files a moved or retired record file's records may have gone
 * to (untracked ones, or ones only added to git's index), looked up by
 * content: keyed by the DeliverableID of their first record, read from
 * their first bytes (a small file whole, in one call), and parsed whole only
 * when that ID matches, one file after another, each once however many
 * files are looked up.
 *
 * @module
 */
import { deliverableIdOfLine, holdsRecords, type RecordsOf, recordsOf } from "./moved_records.ts";
import { runIdOfLine } from "./store.ts";
import { join } from "./path.ts";

/** A record file that holds a looked-up file's records. */
export interface Candidate {
  /** Path from the top of the work tree, `/`-separated. */
  path: string;
  /** Whether git has been told of it (added to the index); else it is untracked. */
  told: boolean;
  bytes: Uint8Array;
  records: RecordsOf;
}

/** Bytes read at a time for a first record. */
const CHUNK = 4096;
/** Files this size at most are read whole for their first record. */
const WHOLE = 64 * 1024;

/**
 * Record files indexed by their first record's DeliverableID.
 *
 * @example
 * ```ts
 * import { RecordCandidates } from "./record_candidates.ts";
 * import { recordsOf } from "./moved_records.ts";
 * const committed = new Uint8Array(); // a version git has
 * const index = await RecordCandidates.index([{ path: "_Archive/DEL-01-03_X/RunRecords.csv", told: false }], "/repo");
 * const [found] = await index.holding(recordsOf(committed));
 * if (found) index.take(found.path);
 * ```
 */
export class RecordCandidates {
  readonly #top: string;
  readonly #byId = new Map<string, { path: string; told: boolean }[]>();
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
    files: { path: string; told: boolean }[],
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
   * The files not taken that hold the records `earlier` holds
   * ({@linkcode holdsRecords}), in the order indexed.
   */
  async holding(earlier: RecordsOf): Promise<Candidate[]> {
    if (earlier.deliverableId === undefined) return [];
    const found: Candidate[] = [];
    for (const { path, told } of this.#byId.get(earlier.deliverableId) ?? []) {
      if (this.#taken.has(path)) continue;
      if (!this.#read.has(path)) {
        const bytes = await regularFileBytes(join(this.#top, ...path.split("/")));
        this.#read.set(path, bytes && { path, told, bytes, records: recordsOf(bytes) });
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

/** The DeliverableID of the first record of `file`, read a chunk at a time until it is found. */
async function firstRecordId(file: string): Promise<string | undefined> {
  const info = await Deno.lstat(file).catch(() => undefined);
  if (!info?.isFile) return undefined; // a link or a FIFO is never opened: it may block
  // A small file is read whole at once: one call, where a chunk takes three.
  if (info.size <= WHOLE) {
    const bytes = await Deno.readFile(file).catch(() => undefined);
    return bytes && firstRecordIdOf(new TextDecoder().decode(bytes));
  }
  const handle = await Deno.open(file).catch(() => undefined);
  if (!handle) return undefined;
  try {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(CHUNK);
    let rest = ""; // a line not yet whole
    let header = true;
    for (;;) {
      const n = await handle.read(buffer);
      const lines =
        (rest + (n === null ? "\n" : decoder.decode(buffer.subarray(0, n), { stream: true })))
          .split("\n");
      rest = lines.pop()!;
      for (const line of lines) {
        if (header) header = false;
        else if (runIdOfLine(line) !== undefined) return deliverableIdOfLine(line);
      }
      if (n === null) return undefined;
    }
  } catch {
    return undefined;
  } finally {
    handle.close();
  }
}

/** The DeliverableID of the first record among the lines of `text`, header left out. */
function firstRecordIdOf(text: string): string | undefined {
  const lines = text.split("\n").slice(1);
  const first = lines.find((line) => runIdOfLine(line) !== undefined);
  return first === undefined ? undefined : deliverableIdOfLine(first);
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
