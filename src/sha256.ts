/**
 * SHA-256, synchronous, for the short inputs runrec hashes on its hot paths (a
 * record line, a manifest, a small file): no `node:crypto` (whose import
 * starts Deno's Node compatibility layer) and no promise per call
 * (`crypto.subtle.digest`).
 *
 * The compression function exists twice: in TypeScript (a 16-word schedule
 * ring in an `Int32Array`) and as a 514-byte WebAssembly module, which is used
 * whenever WebAssembly is available. A CLI run hashes a few KiB once, so
 * TypeScript would run in V8's interpreter; WebAssembly runs compiled from the
 * first byte, compiled on first use (a compile started in the background when
 * the module loads answers only when the event loop turns, after emit's
 * synchronous work has compiled anyway). The state and the padding block are
 * reused by every call. What each costs: docs/BENCHMARKS.md ("Figures that
 * were in source comments").
 *
 * @module
 */

/** Round constants: first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
export const K: Int32Array = new Int32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);

/** Initial hash value: fractional parts of the square roots of the first 8 primes. */
export const INITIAL: Int32Array = new Int32Array([
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
]);

/** Message schedule, a ring of the last 16 words. */
const W = new Int32Array(16);
/** State of {@linkcode sha256Hex}. */
const STATE = new Int32Array(8);
/** The last one or two blocks, padded. */
const TAIL = new Uint8Array(128);
/** The digest's bytes, big-endian, before they are written as hex. */
const DIGEST = new Uint8Array(32);
const encoder = new TextEncoder();

/** Compresses the 64-byte blocks `data[offset..end)` into the state `H`. */
function compress(H: Int32Array, data: Uint8Array, offset: number, end: number): void {
  let h0 = H[0], h1 = H[1], h2 = H[2], h3 = H[3], h4 = H[4], h5 = H[5], h6 = H[6], h7 = H[7];
  for (let p = offset; p < end; p += 64) {
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let t = 0; t < 64; t++) {
      let w: number;
      if (t < 16) {
        const j = p + 4 * t;
        w = (data[j] << 24) | (data[j + 1] << 16) | (data[j + 2] << 8) | data[j + 3];
      } else {
        const x = W[(t - 15) & 15];
        const y = W[(t - 2) & 15];
        w = (W[t & 15] + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) +
          W[(t - 7) & 15] + (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10))) | 0;
      }
      W[t & 15] = w;
      const t1 =
        (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
          (g ^ (e & (f ^ g))) + K[t] + w) | 0;
      const t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
        ((a & b) | (c & (a | b)))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + h) | 0;
  }
  H[0] = h0;
  H[1] = h1;
  H[2] = h2;
  H[3] = h3;
  H[4] = h4;
  H[5] = h5;
  H[6] = h6;
  H[7] = h7;
}

// ---------------------------------------------------------------------------
// The same compression function as WebAssembly (see the module comment). The
// module is embedded; its source, an assembler of readable instructions, is
// in tests/sha256_test.ts, which checks the bytes. Where WebAssembly is
// unavailable (`--jitless`) the TypeScript compression above is used.
//
// Memory (one 64 KiB page): state at 0 (8 words), K at 32 (64 words), the
// schedule W at 288 (64 words), input blocks from 1024. Words are stored
// little-endian, so the big-endian message words are byte-swapped on load.
// Exports: `m` (the memory) and `c(from, to)`, which compresses the blocks in
// memory[from..to) into the state.

/** Where the input blocks go in the module's memory. */
const WASM_INPUT = 1024;

/**
 * The WebAssembly module, hex. `tests/sha256_test.ts` holds its source, a
 * small assembler of readable instructions, and fails when these bytes differ
 * from what it assembles. (Hex, not base64: `atob` is slow on its first use.)
 */
export const SHA256_WASM_HEX =
  "0061736d0100000001060160027f7f00030201000503010001070902016d0200016300000adb0301d803010d" +
  "7f02400340200020014f0d014100210a0340200a2000200a6a280200210b200b4108784180fe837871200b41" +
  "087741ff81fc0771723602a002200a41046a220a41c000490d000b0340200a200a2802e401210b200a280298" +
  "02210c200a2802e001200b410778200b41127873200b410376736a200a280284026a200c411178200c411378" +
  "73200c410a76736a3602a002200a41046a220a418002490d000b410028020021024100280204210341002802" +
  "082104410028020c2105410028021021064100280214210741002802182108410028021c21094100210a0340" +
  "200920064106782006410b78732006411978736a20082006200720087371736a200a2802206a200a2802a002" +
  "6a210d20024102782002410d787320024116787320022003712004200220037271726a210e20082109200721" +
  "08200621072005200d6a2106200421052003210420022103200d200e6a2102200a41046a220a418002490d00" +
  "0b4100410028020020026a3602004100410028020420036a3602044100410028020820046a36020841004100" +
  "28020c20056a36020c4100410028021020066a3602104100410028021420076a360214410041002802182008" +
  "6a3602184100410028021c20096a36021c200041c0006a21000c000b0b0b";

/** The compiled engine, or `undefined` where WebAssembly is unavailable. */
interface WasmEngine {
  run: (from: number, to: number) => void;
  bytes: Uint8Array;
  words: Int32Array;
}

function wasmCode(): Uint8Array<ArrayBuffer> {
  // Decoded natively: a loop over the 514 bytes runs in the interpreter in a fresh process.
  return Uint8Array.fromHex(SHA256_WASM_HEX);
}

function instantiate(module: WebAssembly.Module): WasmEngine {
  const instance = new WebAssembly.Instance(module, {});
  const memory = instance.exports.m as WebAssembly.Memory;
  const engine: WasmEngine = {
    run: instance.exports.c as (from: number, to: number) => void,
    bytes: new Uint8Array(memory.buffer),
    words: new Int32Array(memory.buffer),
  };
  engine.words.set(K, 8);
  return engine;
}

/** `null` until compiled; `undefined` where WebAssembly is unavailable. */
let wasm: WasmEngine | undefined | null = null;

/** The engine, compiled on first use. */
function loadWasm(): WasmEngine | undefined {
  try {
    return instantiate(new WebAssembly.Module(wasmCode()));
  } catch {
    return undefined;
  }
}

/** Compresses the 64-byte blocks `data[offset..end)` into `state`, in WebAssembly when possible. */
function compressBlocks(state: Int32Array, data: Uint8Array, offset: number, end: number): void {
  if (wasm === null) wasm = loadWasm();
  if (wasm === undefined) return compress(state, data, offset, end);
  const { run, bytes, words } = wasm;
  const room = bytes.length - WASM_INPUT; // a multiple of 64
  words.set(state, 0);
  for (let p = offset; p < end; p += room) {
    const q = Math.min(end, p + room);
    bytes.set(data.subarray(p, q), WASM_INPUT);
    run(WASM_INPUT, WASM_INPUT + q - p);
  }
  state.set(words.subarray(0, 8));
}

/** SHA-256 of `bytes[0..length)`, lowercase hex. */
function digestHex(bytes: Uint8Array, length: number): string {
  STATE.set(INITIAL);
  const full = length - (length % 64);
  compressBlocks(STATE, bytes, 0, full);
  return finish(STATE, bytes.subarray(full, length), length);
}

/** Pads the last `rest` bytes (< 64) of a `length`-byte message, compresses, returns hex. */
function finish(H: Int32Array, rest: Uint8Array, length: number): string {
  TAIL.fill(0);
  TAIL.set(rest);
  TAIL[rest.length] = 0x80;
  const tailLength = rest.length < 56 ? 64 : 128;
  // Message length in bits, 64-bit big-endian (exact for lengths below 2^53 / 8 bytes).
  const high = Math.floor(length / 0x20000000);
  const low = (length * 8) >>> 0;
  TAIL[tailLength - 8] = high >>> 24;
  TAIL[tailLength - 7] = high >>> 16;
  TAIL[tailLength - 6] = high >>> 8;
  TAIL[tailLength - 5] = high;
  TAIL[tailLength - 4] = low >>> 24;
  TAIL[tailLength - 3] = low >>> 16;
  TAIL[tailLength - 2] = low >>> 8;
  TAIL[tailLength - 1] = low;
  compressBlocks(H, TAIL, 0, tailLength);
  for (let i = 0; i < 8; i++) {
    const w = H[i];
    DIGEST[4 * i] = w >>> 24;
    DIGEST[4 * i + 1] = w >>> 16;
    DIGEST[4 * i + 2] = w >>> 8;
    DIGEST[4 * i + 3] = w;
  }
  return DIGEST.toHex();
}

/**
 * SHA-256 of `data`, lowercase hex; a string is hashed as its UTF-8 bytes
 * (lone surrogates become U+FFFD, as `TextEncoder` and `node:crypto` do).
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./sha256.ts";
 * sha256Hex(""); // "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
 * sha256Hex("abc"); // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * sha256Hex(new Uint8Array([0x61, 0x62, 0x63])); // the same as "abc"
 * ```
 */
export function sha256Hex(data: string | Uint8Array): string {
  const bytes = typeof data === "string" ? utf8(data) : data;
  return digestHex(bytes, bytes.length);
}

/** Strings up to this many UTF-16 units are encoded into a reused buffer. */
const REUSED_UNITS = 1 << 16;
/** Room for {@linkcode REUSED_UNITS} units: each takes at most 3 bytes of UTF-8. */
const UTF8 = new Uint8Array(3 * REUSED_UNITS);

/**
 * UTF-8 of `text`, valid until the next call: a fresh `Uint8Array` per call
 * costs as much as hashing a short string, and `validate` hashes two per record.
 */
function utf8(text: string): Uint8Array {
  if (text.length > REUSED_UNITS) return encoder.encode(text);
  return UTF8.subarray(0, encoder.encodeInto(text, UTF8).written);
}

/**
 * Incremental SHA-256, for data that arrives in chunks (a file read piece by
 * piece). Same speed as {@linkcode sha256Hex} per byte; `reset()` reuses it.
 *
 * @example
 * ```ts
 * import { Sha256 } from "./sha256.ts";
 * const hash = new Sha256();
 * hash.update(new TextEncoder().encode("a")).update(new TextEncoder().encode("bc"));
 * hash.digestHex(); // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * ```
 */
export class Sha256 {
  #state = new Int32Array(8);
  #block = new Uint8Array(64);
  #buffered = 0;
  #length = 0;

  /** A fresh hash of the empty message. */
  constructor() {
    this.reset();
  }

  /** Starts over with the empty message. */
  reset(): this {
    this.#state.set(INITIAL);
    this.#buffered = 0;
    this.#length = 0;
    return this;
  }

  /** Appends `data` to the message. */
  update(data: Uint8Array): this {
    let offset = 0;
    this.#length += data.length;
    if (this.#buffered > 0) {
      const take = Math.min(64 - this.#buffered, data.length);
      this.#block.set(data.subarray(0, take), this.#buffered);
      this.#buffered += take;
      offset = take;
      if (this.#buffered < 64) return this;
      compressBlocks(this.#state, this.#block, 0, 64);
      this.#buffered = 0;
    }
    const full = offset + ((data.length - offset) & ~63);
    compressBlocks(this.#state, data, offset, full);
    if (full < data.length) {
      this.#block.set(data.subarray(full));
      this.#buffered = data.length - full;
    }
    return this;
  }

  /** The hash of everything appended so far, lowercase hex; call `reset()` before reusing. */
  digestHex(): string {
    return finish(this.#state, this.#block.subarray(0, this.#buffered), this.#length);
  }
}

/**
 * Whether `text` is 64 lowercase hex digits.
 *
 * @example
 * ```ts
 * import { isSha256Hex } from "./sha256.ts";
 * isSha256Hex("0".repeat(64)); // true
 * isSha256Hex("TBD"); // false
 * ```
 */
export function isSha256Hex(text: string): boolean {
  return text.length === 64 && isLowerHex(text);
}

/**
 * Whether every character of `text` is `0-9` or `a-f`.
 *
 * @example
 * ```ts
 * import { isLowerHex } from "./sha256.ts";
 * isLowerHex("09af"); // true
 * isLowerHex("09AF"); // false
 * ```
 */
export function isLowerHex(text: string): boolean {
  // Native hex parsing: validate checks ~10 hashes a record, and the loop below costs it more
  // (docs/BENCHMARKS.md, stop 25). It takes `A-F` too, and only an even length: those are
  // looked at apart.
  if (text.length > 2 * HEX_BYTES.length || text.length % 2 !== 0) return isLowerHexSlow(text);
  try {
    HEX_BYTES.setFromHex(text);
  } catch {
    return false; // not hex at all
  }
  return !UPPER_HEX.test(text);
}

/** Room for the bytes of a SHA-256's hex, which `setFromHex` writes into. */
const HEX_BYTES = new Uint8Array(32);
const UPPER_HEX = /[A-F]/;

/** {@linkcode isLowerHex} for any length, a character at a time. */
function isLowerHexSlow(text: string): boolean {
  // No branch per character: a hash's digits are random, so a branch on each is mispredicted.
  let outside = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Negative exactly when c is in neither 48-57 ("0"-"9") nor 97-102 ("a"-"f").
    outside |= ((c - 48) | (57 - c)) & ((c - 97) | (102 - c));
  }
  return outside >= 0;
}

/**
 * 64 lowercase hex digits (`SHA256_PATTERN` of ./schema.ts is this one).
 *
 * @example
 * ```ts
 * import { SHA256_HEX } from "./sha256.ts";
 * SHA256_HEX.test("f".repeat(64)); // true
 * ```
 */
export const SHA256_HEX: RegExp = /^[0-9a-f]{64}$/;
