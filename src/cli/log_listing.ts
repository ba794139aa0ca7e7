/**
 * The order `runrec log` lists records in, kept as a few numbers per record
 * (its file, its line, its RunTimestamp), and the records read again from
 * their files in that order: a listing of a million records never holds them
 * all (mem-38 F1).
 *
 * @module
 */
import { replacedFile } from "../errors.ts";
import { type LineRecord, type ReadEvent, readRecordBatches, type RecordPlace } from "../reader.ts";
import { parseInstant } from "../time.ts";

/** A record to list, and the record file it is in. */
export interface ListedRecord extends LineRecord {
  /** The record file, as resolved from the targets. */
  file: string;
}

/** Places added past twice the limit before a cut: `-n 1` would sort and copy at every other record. */
const SLACK = 4096;

/** How a listing is ordered: by RunTimestamp (ties in file order), or file by file. */
export type Order = "time" | "path";

/**
 * Where the listed records are, in listing order: record `i` is at line
 * `lines[i]` of file `files[i]` (an index into the listing's files), from
 * byte `offsets[i]`, and started at `times[i]` (ms; `Infinity` when it cannot
 * be read). Numbers in arrays, not an object per record: a long history's
 * listing costs a few numbers a record.
 */
export interface Places {
  files: Uint32Array;
  lines: Uint32Array;
  offsets: Float64Array;
  times: Float64Array;
  /**
   * Of each file (by index) whose records sit under another version's header
   * (rare: SCHEMA.md 11.3), the header each of its records from `line` on sits
   * under (`undefined`: v1.0's), in file order: a read that starts at a record
   * is told it.
   */
  headers: Map<number, HeaderFrom[]>;
}

/** The header the records of a file sit under from `line` on (`undefined`: v1.0's). */
export interface HeaderFrom {
  line: number;
  header: string | undefined;
}

/**
 * The records to list, in order, as their places: with a limit, only the
 * last `limit`. Places are cut back to the limit whenever they reach twice
 * it (and at least {@linkcode SLACK} more: a cut sorts and copies them), so a
 * long history costs memory for `2 * limit + SLACK` places.
 *
 * @example
 * ```ts
 * import { Listing } from "./log_listing.ts";
 * import { readRecords } from "../reader.ts";
 * const listing = new Listing("time", undefined);
 * for await (const event of readRecords("RunRecords.csv")) {
 *   if (event.kind === "record") listing.add(0, event);
 * }
 * listing.places().lines; // the records' lines, in time order
 * ```
 */
export class Listing {
  #places: Omit<Places, "headers"> = {
    files: new Uint32Array(1024),
    lines: new Uint32Array(1024),
    offsets: new Float64Array(1024),
    times: new Float64Array(1024),
  };
  #count = 0;
  #headers = new Map<number, HeaderFrom[]>();

  /** An empty listing in `order`, of at most `limit` records when given. */
  constructor(readonly order: Order, readonly limit: number | undefined) {}

  /** Adds `read`, a record of the file `file` (an index), its records added in file order. */
  add(file: number, read: LineRecord): void {
    if (this.#count === this.#places.lines.length) this.#grow();
    const at = this.#count++;
    this.#places.files[at] = file;
    this.#places.lines[at] = read.line;
    this.#places.offsets[at] = read.offset;
    // A timestamp that cannot be read goes last.
    this.#places.times[at] = parseInstant(read.record.RunTimestamp) ?? Infinity;
    const headers = this.#headers.get(file);
    if (read.header !== (headers?.at(-1)?.header)) {
      if (headers === undefined) {
        this.#headers.set(file, [{ line: read.line, header: read.header }]);
      } else headers.push({ line: read.line, header: read.header });
    }
    if (this.limit !== undefined && this.#count >= 2 * this.limit + SLACK) this.#cut();
  }

  /** The places of the records, in listing order. */
  places(): Places {
    this.#cut();
    const { files, lines, offsets, times } = this.#places;
    const count = this.#count;
    return {
      files: files.subarray(0, count),
      lines: lines.subarray(0, count),
      offsets: offsets.subarray(0, count),
      times: times.subarray(0, count),
      headers: this.#headers,
    };
  }

  #grow(): void {
    const size = this.#places.lines.length * 2;
    const files = new Uint32Array(size);
    const lines = new Uint32Array(size);
    const offsets = new Float64Array(size);
    const times = new Float64Array(size);
    files.set(this.#places.files);
    lines.set(this.#places.lines);
    offsets.set(this.#places.offsets);
    times.set(this.#places.times);
    this.#places = { files, lines, offsets, times };
  }

  /** Sorts the places into listing order and keeps the last `limit`. */
  #cut(): void {
    const { files, lines, offsets, times } = this.#places;
    let order = new Uint32Array(this.#count).map((_, i) => i);
    // By time, ties (and times that cannot be read, last) in the order added.
    if (this.order === "time") {
      order.sort((a, b) => times[a] < times[b] ? -1 : times[a] > times[b] ? 1 : a - b);
    }
    if (this.limit !== undefined) order = order.subarray(Math.max(0, order.length - this.limit));
    this.#places = {
      files: order.map((i) => files[i]),
      lines: order.map((i) => lines[i]),
      offsets: Float64Array.from(order, (i) => offsets[i]),
      times: Float64Array.from(order, (i) => times[i]),
    };
    this.#count = order.length;
  }
}

/**
 * How much {@linkcode recordsInOrder} holds: records read ahead of their turn, reads of a file,
 * files open at once.
 */
export interface ReadLimits {
  held: number;
  readsPerFile: number;
  /** Files open at once (default {@linkcode OPEN_FILES}). */
  openFiles?: number;
}

/** Records read ahead of their turn and held: beyond it, they are read again when their turn comes. */
const HELD = 4096;
/** Reads of one file at once: a file that union merges interleaved reads well with one per branch. */
const READS_PER_FILE = 4;
/**
 * Reads with their file open at once: the others close theirs and go on from their last record
 * when next asked. A root of more deliverables than a process may open files (256 on macOS) whose
 * runs take turns in time would fail (review-39 F3); four files a union merge interleaved still
 * read with a read per branch.
 */
const OPEN_FILES = 16;

/**
 * The records at `places` (in listing order), read again from `files`, in
 * that order. Each file is read forward, by up to {@linkcode READS_PER_FILE}
 * reads at once: a file in time order by one, one a union merge interleaved
 * by one per branch. Records met before their turn are held: the next
 * {@linkcode HELD} turns, and up to as many records met after one of a later
 * turn (runs recorded late: a `finish` or `flush` long after the run began),
 * which a read in time order would meet only past their turn. So memory
 * stays bounded whatever the history. A read starts at the first line of the
 * turns it will hold, by its offset: a file far out of time order (its lines
 * in reverse) is read in stretches of {@linkcode HELD} records, each line
 * about once, never again from its start nor held whole. `limits` (tests)
 * holds less.
 *
 * @throws {InputError} naming the file when a record is no longer at its line
 * (the file was replaced while it was read).
 *
 * @example
 * ```ts
 * import { Listing, recordsInOrder } from "./log_listing.ts";
 * import { readRecords } from "../reader.ts";
 * const listing = new Listing("time", undefined);
 * for await (const event of readRecords("RunRecords.csv")) {
 *   if (event.kind === "record") listing.add(0, event);
 * }
 * for await (const r of recordsInOrder(["RunRecords.csv"], listing.places())) {
 *   console.log(r.record.RunID);
 * }
 * ```
 */
export async function* recordsInOrder(
  files: readonly string[],
  places: Places,
  limits: ReadLimits = { held: HELD, readsPerFile: READS_PER_FILE },
): AsyncGenerator<ListedRecord> {
  const count = places.lines.length;
  // Each file's turns, in file order (by line).
  const sizes = new Uint32Array(files.length);
  for (const file of places.files) sizes[file]++;
  const turns = Array.from(sizes, (size) => new Uint32Array(size));
  const filled = new Uint32Array(files.length);
  places.files.forEach((file, turn) => turns[file][filled[file]++] = turn);
  for (const of of turns) of.sort((a, b) => places.lines[a] - places.lines[b]);
  const held = new Map<number, ListedRecord>();
  // Records met after one of a later turn: each late one read alone would take a read of the
  // file up to it (review-38 F2).
  const late = new Map<number, ListedRecord>();
  const reads = files.map(() => [] as FileRead[]);
  const open = new Set<FileRead>(); // the reads holding their file open
  try {
    for (let turn = 0; turn < count; turn++) {
      const early = held.get(turn) ?? late.get(turn);
      held.delete(turn);
      late.delete(turn);
      const record = early ?? await readTo(turn, (t, r, afterLater) => {
        if (t <= turn) return;
        if (t < turn + limits.held) held.set(t, r);
        else if (afterLater && late.size < limits.held) late.set(t, r);
      });
      if ((parseInstant(record.record.RunTimestamp) ?? Infinity) !== places.times[turn]) {
        throw replacedFile(files[places.files[turn]], places.lines[turn]);
      }
      yield record;
    }
  } finally {
    for (const read of reads.flat()) await read.close();
  }

  /** The record of `turn`, read by the read of its file closest before it (a new one if none). */
  async function readTo(turn: number, met: Met): Promise<ListedRecord> {
    const file = places.files[turn];
    const line = places.lines[turn];
    const ofFile = reads[file];
    let read = ofFile.filter((r) => r.nextLine <= line).sort((a, b) => b.nextLine - a.nextLine)[0];
    if (read === undefined) {
      if (ofFile.length >= limits.readsPerFile) {
        // The read used longest ago starts over.
        const oldest = ofFile.sort((a, b) => a.used - b.used).shift()!;
        await oldest.close();
        open.delete(oldest);
      }
      read = new FileRead(files[file], places, turns[file], firstToHold(turn));
      ofFile.push(read);
    }
    if (!open.has(read) && open.size >= (limits.openFiles ?? OPEN_FILES)) {
      const oldest = [...open].reduce((a, b) => a.used <= b.used ? a : b);
      await oldest.close(met, turn + limits.held);
      open.delete(oldest);
    }
    open.add(read);
    read.used = turn;
    const record = await read.to(line, met);
    if (record === undefined) throw replacedFile(files[file], line);
    return record;
  }

  /**
   * Of `turn` and the turns a read for it will hold (its file's, of the next `limits.held`, not
   * held yet), the one at the first line: where a new read for `turn` starts.
   */
  function firstToHold(turn: number): number {
    const file = places.files[turn];
    let first = turn;
    for (let t = turn + 1; t < Math.min(count, turn + limits.held); t++) {
      if (
        places.files[t] === file && places.lines[t] < places.lines[first] && !held.has(t) &&
        !late.has(t)
      ) first = t;
    }
    return first;
  }
}

/**
 * A listed record a read passes on its way, of a later turn: `afterLater` when the read passed
 * one of a later turn still before it (it is out of time order: recorded late).
 */
type Met = (turn: number, record: ListedRecord, afterLater: boolean) => void;

/** One forward read of a record file from a listed record on, yielding its listed records as it passes them. */
class FileRead {
  /** The line the read is at: every listed line from its first to before this one has been read. */
  nextLine: number;
  /** The turn it was last used at. */
  used = 0;
  #file: string;
  /** The line of each turn, and the turns of this file's records in file order. */
  #lines: Uint32Array;
  #turns: Uint32Array;
  /** The next of `#turns` not yet passed. */
  #next = 0;
  /** The latest turn passed. */
  #latest = -1;
  /** The read of the file; none when closed (the file opened again when next asked). */
  #batches: AsyncGenerator<ReadEvent[]> | undefined;
  #batch: ReadEvent[] = [];
  #at = 0;
  /** Where the read goes on from when its file is opened again: its last record, or its first. */
  #last: RecordPlace;

  /** A read of `file` (of `places`, whose records are `turns`) from the record of turn `from` on. */
  constructor(file: string, places: Places, turns: Uint32Array, from: number) {
    this.#file = file;
    this.#lines = places.lines;
    this.#turns = turns;
    const line = places.lines[from];
    this.nextLine = line;
    // The first of the file's turns at or after `line`: turns are in line order.
    let low = 0;
    for (let high = turns.length; low < high;) {
      const middle = (low + high) >>> 1;
      if (places.lines[turns[middle]] < line) low = middle + 1;
      else high = middle;
    }
    this.#next = low;
    const headers = places.headers.get(places.files[from]);
    this.#last = {
      line,
      offset: places.offsets[from],
      header: headers?.findLast((h) => h.line <= line)?.header,
    };
  }

  /**
   * Reads on to `line`, giving `met` every listed record passed on the way;
   * returns the record of `line`, or `undefined` when that line holds none.
   */
  async to(line: number, met: Met): Promise<ListedRecord | undefined> {
    while (true) {
      const event = await this.#event();
      if (event === undefined || event.line > line) return undefined;
      const listed = this.#take(event);
      if (listed === undefined) continue;
      if (event.line === line) return listed.record;
      met(listed.turn, listed.record, listed.afterLater);
    }
  }

  /** Moves past `event`: its record, turn and whether it is after a later turn, when listed. */
  #take(event: ReadEvent): { turn: number; record: ListedRecord; afterLater: boolean } | undefined {
    this.nextLine = event.line + 1;
    if (event.kind !== "record") return undefined;
    this.#last = { offset: event.offset, line: event.line, header: event.header };
    const turn = this.#turnAt(event.line);
    if (turn === undefined) return undefined;
    this.#next++;
    const afterLater = turn < this.#latest;
    this.#latest = Math.max(this.#latest, turn);
    return { turn, record: { ...event, file: this.#file }, afterLater };
  }

  /** The turn of the listed record at `line`, if one is (`#next` moved up to it). */
  #turnAt(line: number): number | undefined {
    const turns = this.#turns;
    while (this.#next < turns.length && this.#lines[turns[this.#next]] < line) this.#next++;
    return this.#lines[turns[this.#next]] === line ? turns[this.#next] : undefined;
  }

  async #event(): Promise<ReadEvent | undefined> {
    while (this.#at >= this.#batch.length) {
      // Opened again, it reads its last record again, which is passed by as not listed after it
      // (or its first, not read yet).
      this.#batches ??= readRecordBatches(this.#file, this.#last);
      const next = await this.#batches.next();
      if (next.done) return undefined;
      this.#batch = next.value;
      this.#at = 0;
    }
    return this.#batch[this.#at++];
  }

  /**
   * Closes its file: asked again, the read goes on from its last record. With `met`, the listed
   * records it read and has not passed go to `met` first, up to the first of a turn from `until`
   * on: held, they need no read again.
   */
  async close(met?: Met, until = 0): Promise<void> {
    for (; met !== undefined && this.#at < this.#batch.length; this.#at++) {
      const event = this.#batch[this.#at];
      const turn = event.kind === "record" ? this.#turnAt(event.line) : undefined;
      if (turn !== undefined && turn >= until) break;
      const listed = this.#take(event);
      if (listed !== undefined) met(listed.turn, listed.record, listed.afterLater);
    }
    await this.#batches?.return(undefined);
    this.#batches = undefined;
    this.#batch = [];
    this.#at = 0;
  }
}
