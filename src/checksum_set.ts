/**
 * A set of RecordChecksums held as bytes: 32 bytes and a slot each, a fraction
 * of what a set of their strings costs (V8). `firstCopies` (./reader.ts) keeps
 * one for each record of a history, however long.
 *
 * @module
 */
const FULL_CHECKSUM = /^[0-9a-f]{64}$/;
/** Words (32 bits) of one checksum. */
const WORDS = 8;
const EMPTY = -1;

/**
 * SHA-256 checksums (64 lowercase hex digits), each added once. Anything else
 * (a checksum cut short) is kept as text.
 *
 * @example
 * ```ts
 * import { ChecksumSet } from "./checksum_set.ts";
 * const seen = new ChecksumSet();
 * seen.add("ab".repeat(32)); // true: new
 * seen.add("ab".repeat(32)); // false: there already
 * ```
 */
export class ChecksumSet {
  // Small at first, grown by doubling: a reader makes one per file and pass, most of them short.
  #words = new Uint32Array(16 * WORDS);
  #count = 0;
  #slots = new Int32Array(32).fill(EMPTY);
  #others = new Set<string>();
  #scratch = new Uint32Array(WORDS);

  /** Adds `checksum`; whether it was not there yet. */
  add(checksum: string): boolean {
    if (!FULL_CHECKSUM.test(checksum)) {
      const added = !this.#others.has(checksum);
      this.#others.add(checksum);
      return added;
    }
    const words = this.#scratch;
    for (let w = 0; w < WORDS; w++) words[w] = parseInt(checksum.slice(w * 8, w * 8 + 8), 16);
    const slot = this.#find(words);
    if (this.#slots[slot] !== EMPTY) return false;
    if ((this.#count + 1) * WORDS > this.#words.length) this.#growWords();
    this.#words.set(words, this.#count * WORDS);
    this.#slots[slot] = this.#count++;
    // At most half the slots in use: probes stay short.
    if (this.#count * 2 > this.#slots.length) this.#rehash();
    return true;
  }

  /** The slot holding `words`, else the empty slot where it would go. */
  #find(words: Uint32Array): number {
    const mask = this.#slots.length - 1;
    // A SHA-256's first word is as good a hash as any.
    for (let slot = words[0] & mask;; slot = (slot + 1) & mask) {
      const entry = this.#slots[slot];
      if (entry === EMPTY || this.#holds(entry, words)) return slot;
    }
  }

  #holds(entry: number, words: Uint32Array): boolean {
    const at = entry * WORDS;
    for (let w = 0; w < WORDS; w++) if (this.#words[at + w] !== words[w]) return false;
    return true;
  }

  #growWords(): void {
    const words = new Uint32Array(this.#words.length * 2);
    words.set(this.#words);
    this.#words = words;
  }

  #rehash(): void {
    this.#slots = new Int32Array(this.#slots.length * 2).fill(EMPTY);
    const mask = this.#slots.length - 1;
    for (let entry = 0; entry < this.#count; entry++) {
      let slot = this.#words[entry * WORDS] & mask;
      while (this.#slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      this.#slots[slot] = entry;
    }
  }
}
