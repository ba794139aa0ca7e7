/**
 * SHA-256, synchronous, for what runrec hashes in memory (a record line, a
 * manifest, a small file): `@noble/hashes`, a maintained and audited
 * JavaScript implementation. Synchronous because a record's checksum is
 * computed where no promise can wait (`crypto.subtle.digest` is async), and
 * not `node:crypto` because importing it starts Deno's Node compatibility
 * layer in every short run (./hash.ts loads it for bulk hashing).
 *
 * A long read (a large record file) first calls {@linkcode useWasmSha256}:
 * `hash-wasm`'s WebAssembly hashes a record line in half the time, but takes
 * milliseconds to load, which a short run (emit) would only lose, and its
 * native memory stays flat, unlike `node:crypto`'s hashers.
 *
 * @module
 */
// deno-lint-ignore no-import-prefix -- the CLI runs with --no-config, so no import map
import { sha256 } from "npm:@noble/hashes@2.0.1/sha2.js";

const encoder = new TextEncoder();

/** The SHA-256 of bytes, lowercase hex: `@noble/hashes` until {@linkcode useWasmSha256}. */
let digestHex = (data: Uint8Array): string => sha256(data).toHex();
let wasmLoaded: Promise<void> | undefined;
let implementation: "@noble/hashes" | "hash-wasm" = "@noble/hashes";

/**
 * Which package {@linkcode sha256Hex} hashes with in this thread now.
 *
 * @example
 * ```ts
 * import { sha256Implementation } from "./sha256.ts";
 * sha256Implementation(); // "@noble/hashes", until useWasmSha256() resolves
 * ```
 */
export function sha256Implementation(): "@noble/hashes" | "hash-wasm" {
  return implementation;
}

/**
 * Makes {@linkcode sha256Hex} use `hash-wasm`'s WebAssembly SHA-256 in this
 * thread from now on (the same hashes, in about half the time a line);
 * resolves once it is loaded. Loading it once takes a few milliseconds, so
 * only reads of large files call this.
 *
 * @example
 * ```ts
 * import { sha256Hex, useWasmSha256 } from "./sha256.ts";
 * await useWasmSha256();
 * sha256Hex("abc"); // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * ```
 */
export function useWasmSha256(): Promise<void> {
  wasmLoaded ??= (async () => {
    // Imported here, not above, so that a short run never loads or compiles it.
    const { createSHA256 } = await import("./wasm_sha256.ts");
    const hasher = await createSHA256();
    digestHex = (data) => hasher.init().update(data).digest("binary").toHex();
    implementation = "hash-wasm";
  })();
  return wasmLoaded;
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
  return digestHex(typeof data === "string" ? encoder.encode(data) : data);
}

/** An incremental SHA-256 hash, for data read in chunks. */
export interface Sha256Hasher {
  /** Appends `data` to the message. */
  update(data: Uint8Array): Sha256Hasher;
  /** The hash of everything appended, lowercase hex; the hasher cannot be used after. */
  digestHex(): string;
}

/**
 * A fresh incremental SHA-256 of the empty message.
 *
 * @example
 * ```ts
 * import { sha256Hasher } from "./sha256.ts";
 * const hash = sha256Hasher();
 * hash.update(new TextEncoder().encode("a")).update(new TextEncoder().encode("bc"));
 * hash.digestHex(); // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * ```
 */
export function sha256Hasher(): Sha256Hasher {
  const hash = sha256.create();
  const hasher: Sha256Hasher = {
    update(data) {
      hash.update(data);
      return hasher;
    },
    digestHex: () => hash.digest().toHex(),
  };
  return hasher;
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
