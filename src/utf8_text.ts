/**
 * A record line's bytes as text, refusing bytes that are not UTF-8, at the
 * cost of Deno's fast decoder.
 *
 * @module
 */

/** Deno's fast path: an invalid byte becomes U+FFFD. */
const lenient = new TextDecoder("utf-8");
/** Throws on bytes that are not UTF-8, by Deno's slower path (~1-3 µs more a 1 KB line). */
const strict = new TextDecoder("utf-8", { fatal: true });

/**
 * `bytes` decoded as UTF-8 (a leading byte-order mark dropped, as
 * `TextDecoder` does), or `undefined` when they are not UTF-8: the same as a
 * fatal `TextDecoder`, whose error this returns as `undefined`. The lenient
 * decoder's text holds U+FFFD wherever a byte was not UTF-8, so only a text
 * holding U+FFFD (bad bytes, or the character itself) is decoded again
 * strictly to tell which.
 *
 * @example
 * ```ts
 * import { utf8Text } from "./utf8_text.ts";
 * utf8Text(new TextEncoder().encode("v1.0,é")); // "v1.0,é"
 * utf8Text(new Uint8Array([0x76, 0xff])); // undefined
 * ```
 */
export function utf8Text(bytes: Uint8Array): string | undefined {
  const text = lenient.decode(bytes);
  if (!text.includes("\uFFFD")) return text;
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * `bytes` but for the first bytes of a character they end in (a write, or the file, cut inside
 * it), decoded as UTF-8; `undefined` when they end in no such bytes or are not UTF-8 before them.
 *
 * @example
 * ```ts
 * import { textBeforeCutCharacter } from "./utf8_text.ts";
 * textBeforeCutCharacter(new Uint8Array([0x76, 0xc3])); // "v": the first byte of "é"
 * textBeforeCutCharacter(new Uint8Array([0x76, 0xff])); // undefined
 * ```
 */
export function textBeforeCutCharacter(bytes: Uint8Array): string | undefined {
  // Up to three bytes of a four-byte character: its lead byte (11xxxxxx) and what followed it.
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? utf8Text(bytes.subarray(0, bytes.length - back)) : undefined;
  }
  return undefined;
}

/**
 * Whether `bytes` start with a UTF-8 byte-order mark (EF BB BF), which an editor or spreadsheet
 * may add when it saves a file.
 *
 * @example
 * ```ts
 * import { startsWithByteOrderMark } from "./utf8_text.ts";
 * startsWithByteOrderMark(new Uint8Array([0xef, 0xbb, 0xbf, 0x76])); // true
 * ```
 */
export function startsWithByteOrderMark(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}
