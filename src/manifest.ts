/**
 * The composite InputContextSHA: SHA-256 of a `sha256sum`-style manifest of
 * every governed input, sorted by path in UTF-8 byte order.
 *
 * @module
 */
import { isSha256Hex, sha256Hex } from "./sha256.ts";

const encoder = new TextEncoder();

/**
 * Compares two strings by their UTF-8 bytes, the order `LC_ALL=C sort` uses.
 *
 * @example
 * ```ts
 * import { compareUtf8 } from "./manifest.ts";
 * ["b", "a", "\u{1F600}", "\uFFFD"].sort(compareUtf8); // ["a", "b", "\uFFFD", "\u{1F600}"]
 * ```
 */
export function compareUtf8(a: string, b: string): number {
  // UTF-16 order differs from UTF-8 order only around surrogates; compare bytes then.
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Sorts `strings` in place by their UTF-8 bytes, as {@linkcode compareUtf8},
 * and returns them. Without surrogates UTF-16 order is that order, so the
 * built-in comparison sorts them: in a fresh process (every `emit`) a first
 * sort calling `compareUtf8` measured 0.5-2.5 ms, the built-in one 0.1 ms.
 *
 * @example
 * ```ts
 * import { sortUtf8 } from "./manifest.ts";
 * sortUtf8(["b", "\u{1F600}", "\uFFFD", "a"]); // ["a", "b", "\uFFFD", "\u{1F600}"]
 * ```
 */
export function sortUtf8<T extends string>(strings: T[]): T[] {
  return strings.some((s) => SURROGATE.test(s)) ? strings.sort(compareUtf8) : strings.sort();
}

/**
 * The manifest text: one `<hash>  <path>\n` line per input, sorted by path.
 *
 * @example
 * ```ts
 * import { manifestText } from "./manifest.ts";
 * manifestText({ "b.md": "TBD", "a.md": "0".repeat(64) });
 * // "000…000  a.md\nTBD  b.md\n"
 * ```
 */
export function manifestText(hashes: Record<string, string>): string {
  return sortUtf8(Object.keys(hashes)).map((path) => `${hashes[path]}  ${path}\n`).join("");
}

/**
 * InputContextSHA of per-file hashes: SHA-256 of {@linkcode manifestText},
 * or `TBD` when no input could be hashed (none given, or all unreadable).
 * Equals `sha256sum PATHS | LC_ALL=C sort -k2 | sha256sum` for ordinary paths.
 *
 * @example
 * ```ts
 * import { inputContextSha } from "./manifest.ts";
 * inputContextSha({}); // "TBD"
 * ```
 */
export function inputContextSha(hashes: Record<string, string>): string {
  return Object.values(hashes).some(isSha256Hex) ? sha256Hex(manifestText(hashes)) : "TBD";
}
