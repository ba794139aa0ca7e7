/**
 * The SEQ index: what an append needs to allocate a RunID's SEQ without
 * reading the whole record file. For each DeliverableID it keeps the latest
 * minute seen in a RunID and the highest SEQ of that minute, and how many
 * bytes of the file it has seen, with a hash of the last of them.
 *
 * It lives in the deliverable's git-ignored `.runrec/` folder and is only a
 * cache: it is trusted only while the file was only appended to since
 * (./appended.ts: the hash of the last 4 KiB it saw matches), so a
 * checkout, a rewrite or a union merge that put lines before its end makes
 * the store scan the file afresh. A lost or garbled index costs one scan.
 * An append reads the lines after it, and stores it again only once they
 * come to {@linkcode STORE_EVERY_BYTES}: an append reads less than that past
 * the index, or the whole of a file shorter than that (whose index, one left by
 * an older runrec or by the file before a reset, is not read).
 *
 * @module
 */
import { onlyAppendedTo, tailHash } from "./appended.ts";
import { basename, dirname, join } from "./path.ts";
import { inStateFolder } from "./state_folder.ts";

/**
 * How far past the stored index an append may have to read before it stores
 * the index again: one read of the file (writing the index, a rename, cost an
 * emit more than reading that much).
 */
export const STORE_EVERY_BYTES = 1 << 16;

const RUN_ID = /^RUN-(DEL-[0-9]{2,}-[0-9]{2,})-([0-9]{8}-[0-9]{4})-([0-9]{3,})$/;

/** The latest minute of one DeliverableID's RunIDs and its highest SEQ. */
interface Latest {
  minute: string;
  seq: bigint;
}

/**
 * The index of one record file, in memory.
 *
 * @example
 * ```ts
 * import { SeqIndex } from "./seq_index.ts";
 * const index = new SeqIndex();
 * index.see("RUN-DEL-01-02-20260222-1015-004");
 * index.lookup("RUN-DEL-01-02-20260222-1015-"); // 4n
 * index.lookup("RUN-DEL-01-02-20260222-1016-"); // 0n: a later minute
 * index.lookup("RUN-DEL-01-02-20260222-1014-"); // undefined: scan the file
 * ```
 */
export class SeqIndex {
  /** Bytes of the file seen so far. */
  size = 0;
  readonly #latest = new Map<string, Latest>();

  /** Takes in one RunID (anything else is ignored). */
  see(runId: string): void {
    const m = RUN_ID.exec(runId);
    if (!m) return;
    const [, id, minute, digits] = m;
    const seq = BigInt(digits);
    const known = this.#latest.get(id);
    if (!known || minute > known.minute) this.#latest.set(id, { minute, seq });
    else if (minute === known.minute && seq > known.seq) known.seq = seq;
  }

  /**
   * The highest SEQ used with `prefix` (`RUN-<id>-<YYYYMMDD>-<HHmm>-`): `0n`
   * when no RunID of that deliverable is as late, `undefined` when the minute
   * is earlier than the latest seen, which only a scan of the file can answer.
   */
  lookup(prefix: string): bigint | undefined {
    const m = RUN_ID.exec(`${prefix}000`);
    if (!m) return undefined;
    const known = this.#latest.get(m[1]);
    if (!known || m[2] > known.minute) return 0n;
    return m[2] === known.minute ? known.seq : undefined;
  }

  /** The index as stored. */
  toJSON(): object {
    const latest: Record<string, [string, string]> = {};
    for (const [id, { minute, seq }] of this.#latest) latest[id] = [minute, String(seq)];
    return { size: this.size, latest };
  }

  /** Rebuilds an index from its stored form; `undefined` when it is not one. */
  static fromJSON(data: unknown): SeqIndex | undefined {
    if (typeof data !== "object" || data === null) return undefined;
    const { size, latest } = data as { size?: unknown; latest?: unknown };
    if (!Number.isSafeInteger(size) || (size as number) < 0) return undefined;
    if (typeof latest !== "object" || latest === null) return undefined;
    const index = new SeqIndex();
    for (const [id, value] of Object.entries(latest)) {
      if (!Array.isArray(value) || value.length !== 2) return undefined;
      const runId = `RUN-${id}-${value[0]}-${String(value[1]).padStart(3, "0")}`;
      if (!RUN_ID.test(runId)) return undefined;
      index.see(runId);
    }
    index.size = size as number;
    return index;
  }
}

/**
 * Path of the index of `recordFile`, in the git-ignored `.runrec/` beside it.
 *
 * @example
 * ```ts
 * import { seqIndexPath } from "./seq_index.ts";
 * seqIndexPath("/p/DEL-01-02_X/RunRecords.csv"); // "/p/DEL-01-02_X/.runrec/RunRecords.csv.seq.json"
 * ```
 */
export function seqIndexPath(recordFile: string): string {
  return join(dirname(recordFile), ".runrec", `${basename(recordFile)}.seq.json`);
}

/**
 * The stored index of `recordFile` when it can be trusted for a file of
 * `fileSize` bytes, else a fresh, empty one (which makes the store scan the
 * whole file).
 *
 * @example
 * ```ts
 * import { readSeqIndex } from "./seq_index.ts";
 * const index = readSeqIndex("/p/DEL-01-02_X/RunRecords.csv", 12_345);
 * index.size; // 0 when the file must be scanned from its start
 * ```
 */
export function readSeqIndex(recordFile: string, fileSize: number): SeqIndex {
  let stored: { tail?: unknown } & object;
  try {
    stored = JSON.parse(Deno.readTextFileSync(seqIndexPath(recordFile)));
  } catch {
    return new SeqIndex(); // none yet, or unreadable: a scan rebuilds it
  }
  const index = SeqIndex.fromJSON(stored);
  if (!index || typeof stored.tail !== "string") return new SeqIndex();
  try {
    using file = Deno.openSync(recordFile, { read: true });
    if (onlyAppendedTo(file, fileSize, index.size, stored.tail)) return index;
  } catch { /* the file went away: nothing to trust */ }
  return new SeqIndex();
}

/**
 * Stores the index of `recordFile` after the file has grown to `index.size`
 * bytes. A failure is ignored: the index is a cache, and the next append
 * scans the file instead.
 *
 * @example
 * ```ts
 * import { SeqIndex, writeSeqIndex } from "./seq_index.ts";
 * declare const index: SeqIndex;
 * writeSeqIndex("/p/DEL-01-02_X/RunRecords.csv", index);
 * ```
 */
export function writeSeqIndex(recordFile: string, index: SeqIndex): void {
  const path = seqIndexPath(recordFile);
  // One name, not one per process: what a killed writer left is overwritten by the next instead
  // of piling up. Two at once (one before its lock) leave one's whole, or bytes no parse takes.
  const temporary = `${path}.tmp`;
  try {
    inStateFolder(dirname(path), () => {
      using file = Deno.openSync(recordFile, { read: true });
      const stored = { ...index.toJSON(), tail: tailHash(file, index.size) };
      Deno.writeTextFileSync(temporary, JSON.stringify(stored) + "\n");
      Deno.renameSync(temporary, path);
    });
  } catch {
    Deno.remove(temporary).catch(() => {});
  }
}
