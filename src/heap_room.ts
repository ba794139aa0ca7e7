/**
 * Room left in V8's heap, for readers that must hold what they read (`export`
 * sorts every run): they stop with one line saying so before V8's
 * out-of-memory crash, a fatal error with a stack and exit 133 (mem-38 F2).
 *
 * @module
 */
import { getHeapSpaceStatistics, getHeapStatistics } from "node:v8";
import { InputError } from "./errors.ts";

/** The share of the old generation's limit past which a reader stops. */
const FULL = 0.85;
/** The young generation as runrec runs: 3 semi-spaces of 4 MiB (`--max-semi-space-size=4`). */
const YOUNG = 3 * 4 * 2 ** 20;
/** Records read between two looks: a look costs a system call. */
const EVERY = 2048;

/** What {@linkcode HeapRoom} throws: the heap is full. */
export class HeapFull extends InputError {
  /** Creates the error with a one-line message. */
  constructor(message: string) {
    super(message);
    this.name = "HeapFull";
  }
}

/**
 * Counts what a reader holds and throws {@linkcode HeapFull} (an `InputError`) when the heap
 * is {@linkcode FULL}: `advice` says what to do instead.
 *
 * @example
 * ```ts
 * import { HeapRoom } from "./heap_room.ts";
 * const room = new HeapRoom("export fewer record files at once");
 * for (let i = 0; i < 10; i++) room.held("RunRecords.csv", i + 2);
 * ```
 */
export class HeapRoom {
  #limit = oldLimit();
  #count = 0;

  /** A watch that advises `advice` when the heap is full. */
  constructor(readonly advice: string) {}

  /** One more thing held, read at `line` of `file`. */
  held(file: string, line: number): void {
    if (++this.#count % EVERY !== 0) return;
    const used = oldUsed();
    if (used < FULL * this.#limit) return;
    const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
    throw new HeapFull(
      `${file}:${line}: ${this.#count.toLocaleString("en-US")} records read fill ${
        mb(used)
      } MB of the ${mb(this.#limit)} MB this process may use: ${this.advice}`,
    );
  }
}

/**
 * The old generation's limit (`--max-old-space-size`), where what is held lives: the heap's, less
 * the young generation's, 3 semi-spaces. V8's statistics give neither (nor does Deno give its
 * flags), so the semi-space is taken as runrec runs with it (4 MiB, ./cli/permissions.ts): right
 * for runrec, and on V8's default heap of gigabytes the error is a few percent, on the safe side.
 */
function oldLimit(): number {
  return getHeapStatistics().heap_size_limit - YOUNG;
}

/** Bytes in use outside the young generation. */
function oldUsed(): number {
  return getHeapSpaceStatistics().filter((s) => !s.space_name.startsWith("new_"))
    .reduce((sum, s) => sum + s.space_used_size, 0);
}
