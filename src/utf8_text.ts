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
