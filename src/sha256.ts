/**
 * SHA-256, synchronous, for what runrec hashes in memory (a record line, a
 * manifest) and the files of a short run: `hash-wasm`'s WebAssembly module
 * (./sha256_wasm.ts), compiled and instantiated synchronously on first use.
 * Synchronous because a record's checksum is computed where no promise can
 * wait (`crypto.subtle.digest` is async), and not `node:crypto` because
 * importing it starts Deno's Node compatibility layer in every short run
 * (./hash.ts loads it for bulk hashing). Not a JavaScript SHA-256: a short
 * run's few hashes would run in V8's interpreter, which costs more than
 * compiling the module (docs/BENCHMARKS.md); and the module's memory is one
 * fixed block, unlike `node:crypto`'s hashers, which only a full collection
 * frees.
 *
 * @module
 */
import { SHA256_WASM_BASE64 } from "./sha256_wasm.ts";

const encoder = new TextEncoder();

/** What the module exports: hash-wasm's interface (its buffer; init, update, final). */
interface Sha256Exports {
  memory: WebAssembly.Memory;
  Hash_GetBuffer(): number;
  Hash_Init(bits: number): void;
  Hash_Update(length: number): void;
  Hash_Final(): void;
}

/** Bytes the module's buffer takes per update (hash-wasm's `MAX_HEAP`). */
const CHUNK = 16 * 1024;

/** The module's instance in this thread and its buffer; made on first use. */
let module: { exports: Sha256Exports; buffer: Uint8Array } | undefined;

function instantiate(): { exports: Sha256Exports; buffer: Uint8Array } {
  const bytes = (Uint8Array as unknown as { fromBase64(text: string): Uint8Array<ArrayBuffer> })
    .fromBase64(SHA256_WASM_BASE64);
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const sha256 = exports as unknown as Sha256Exports;
  // The module's memory never grows (it exports no way to), so the view stays valid.
  const buffer = new Uint8Array(sha256.memory.buffer, sha256.Hash_GetBuffer(), CHUNK);
  return { exports: sha256, buffer };
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
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const { exports, buffer } = module ??= instantiate();
  exports.Hash_Init(256);
  for (let at = 0; at < bytes.length; at += CHUNK) {
    const chunk = bytes.subarray(at, at + CHUNK);
    buffer.set(chunk);
    exports.Hash_Update(chunk.length);
  }
  exports.Hash_Final();
  return buffer.subarray(0, 32).toHex();
}

/**
 * SHA-256 of the bytes `read` gives, lowercase hex: `read` is called with the module's own
 * buffer (16 KiB) until it returns `null`, so input of any length, a file that grows while read
 * included, is hashed in the module's fixed memory. `read` must not hash anything itself.
 *
 * @example
 * ```ts
 * import { sha256Reading } from "./sha256.ts";
 * using file = Deno.openSync(new URL(import.meta.url).pathname);
 * sha256Reading((into) => file.readSync(into)); // what sha256sum prints for this file
 * ```
 */
export function sha256Reading(read: (into: Uint8Array) => number | null): string {
  const { exports, buffer } = module ??= instantiate();
  exports.Hash_Init(256);
  let n: number | null;
  while ((n = read(buffer)) !== null) {
    if (n > 0) exports.Hash_Update(n);
  }
  exports.Hash_Final();
  return buffer.subarray(0, 32).toHex();
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
  return SHA256_HEX.test(text);
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
  if (text.length === 64) {
    // A hash, 8 of them per record line: the native decoder (which takes A-F too) and a search for
    // A-F take a quarter of the time of the expression below.
    try {
      hashBytes.setFromHex(text);
    } catch {
      return false;
    }
    return !/[A-F]/.test(text);
  }
  return /^[0-9a-f]*$/.test(text);
}

const hashBytes = new Uint8Array(32);
