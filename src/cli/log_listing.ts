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
 * `lines[i]` of file `files[i]` (an index into the listing's files), and
 * started at `times[i]` (ms; `Infinity` when it cannot be read). Numbers in
 * arrays, not an object per record: a million records take 16 MB.
 */
export interface Places {
  files: Uint32Array;
  lines: Uint32Array;
  times: Float64Array;
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
 * const listing = new Listing("time", undefined);
 * listing.add(0, 2, "2026-02-22T10:15:00Z");
 * listing.add(0, 3, "2026-02-22T09:00:00Z");
 * listing.places().lines; // Uint32Array [3, 2]
 * ```
 */
export class Listing {
  #places: Places = {
    files: new Uint32Array(1024),
    lines: new Uint32Array(1024),
    times: new Float64Array(1024),
  };
  #count = 0;

  /** An empty listing in `order`, of at most `limit` records when given. */
  constructor(readonly order: Order, readonly limit: number | undefined) {}

  /** Adds the record at `line` of the file `file` (an index), started at `timestamp`. */
  add(file: number, line: number, timestamp: string): void {
    if (this.#count === this.#places.lines.length) this.#grow();
    const at = this.#count++;
    this.#places.files[at] = file;
    this.#places.lines[at] = line;
    // A timestamp that cannot be read goes last.
    this.#places.times[at] = parseInstant(timestamp) ?? Infinity;
    if (this.limit !== undefined && this.#count >= 2 * this.limit + SLACK) this.#cut();
  }

  /** The places of the records, in listing order. */
  places(): Places {
    this.#cut();
    const { files, lines, times } = this.#places;
    const count = this.#count;
    return {
      files: files.subarray(0, count),
      lines: lines.subarray(0, count),
      times: times.subarray(0, count),
    };
  }

  #grow(): void {
    const size = this.#places.lines.length * 2;
    const files = new Uint32Array(size);
    const lines = new Uint32Array(size);
    const times = new Float64Array(size);
    files.set(this.#places.files);
    lines.set(this.#places.lines);
    times.set(this.#places.times);
    this.#places = { files, lines, times };
  }

  /** Sorts the places into listing order and keeps the last `limit`. */
  #cut(): void {
    const { files, lines, times } = this.#places;
    let order = new Uint32Array(this.#count).map((_, i) => i);
    // By time, ties (and times that cannot be read, last) in the order added.
    if (this.order === "time") {
      order.sort((a, b) => times[a] < times[b] ? -1 : times[a] > times[b] ? 1 : a - b);
    }
    if (this.limit !== undefined) order = order.subarray(Math.max(0, order.length - this.limit));
    this.#places = {
      files: order.map((i) => files[i]),
      lines: order.map((i) => lines[i]),
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
 * stays bounded whatever the history; a file far out of time order is read
 * again, never held whole. `limits` (tests) holds less.
 *
 * @throws {InputError} naming the file when a record is no longer at its line
 * (the file was replaced while it was read).
 *
 * @example
 * ```ts
 * import { Listing, recordsInOrder } from "./log_listing.ts";
 * const listing = new Listing("time", undefined);
 * listing.add(0, 2, "2026-02-22T10:15:00Z");
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
      read = new FileRead(files[file], places.lines, turns[file]);
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
}

/**
 * A listed record a read passes on its way, of a later turn: `afterLater` when the read passed
 * one of a later turn still before it (it is out of time order: recorded late).
 */
type Met = (turn: number, record: ListedRecord, afterLater: boolean) => void;

/** One forward read of a record file, yielding its listed records as it passes them. */
class FileRead {
  /** The line the read is at: every line before it has been read. */
  nextLine = 1;
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
  /** Where the last record read is: a read closed meanwhile goes on from there. */
  #last: RecordPlace | undefined;

  constructor(file: string, lines: Uint32Array, turns: Uint32Array) {
    this.#file = file;
    this.#lines = lines;
    this.#turns = turns;
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
      // Opened again, it reads its last record again, which is passed by as not listed after it.
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
