/**
 * The composite InputContextSHA: SHA-256 of a `sha256sum`-style manifest of
 * every governed input, sorted by path in UTF-8 byte order.
 *
 * @module
 */
import { isSha256Hex, sha256Hex } from "./sha256.ts";
import { checkArgument, shownValue } from "./argument_kinds.ts";
import { InputError } from "./errors.ts";

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
 * and returns them.
 *
 * @example
 * ```ts
 * import { sortUtf8 } from "./manifest.ts";
 * sortUtf8(["b", "\u{1F600}", "\uFFFD", "a"]); // ["a", "b", "\uFFFD", "\u{1F600}"]
 * ```
 */
export function sortUtf8<T extends string>(strings: T[]): T[] {
  return strings.sort(compareUtf8);
}

const SHA256SUM_ESCAPES: Readonly<Record<string, string>> = {
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
};
const NEEDS_ESCAPE = /[\\\n\r]/g;

/** Whether `sha256sum` escapes `path` (few paths: most manifests need no escaping at all). */
function needsEscape(path: string): boolean {
  return path.includes("\\") || path.includes("\n") || path.includes("\r");
}

/** A path as GNU `sha256sum` (coreutils 9.1) writes it: `\` `\\`, newline `\n`, CR `\r`. */
function escapedPath(path: string): string {
  return path.replace(NEEDS_ESCAPE, (c) => SHA256SUM_ESCAPES[c]);
}

/**
 * One manifest line, as GNU `sha256sum` (coreutils 9.1) writes it: a name
 * holding `\`, a newline or a CR is escaped (`\\`, `\n`, `\r`) and its
 * line starts with `\`, so no name can forge a line of its own.
 */
function manifestLine(hash: string, path: string): string {
  const escaped = escapedPath(path);
  return `${escaped === path ? "" : "\\"}${hash}  ${escaped}\n`;
}

/**
 * The manifest text: one `manifestLine` per input, sorted by the
 * path as the line writes it (what `LC_ALL=C sort -k2` compares).
 *
 * @throws {InputError} naming the path whose hash is neither 64 lowercase hex digits nor `TBD`.
 *
 * @example
 * ```ts
 * import { manifestText } from "@runrec/runrec";
 * manifestText({ "b.md": "TBD", "a.md": "0".repeat(64) });
 * // "000…000  a.md\nTBD  b.md\n"
 * ```
 */
export function manifestText(hashes: Readonly<Record<string, string>>): string {
  checkHashes(hashes);
  return manifestOf(hashes);
}

/**
 * Throws {@linkcode InputError} unless `hashes` maps each path to a hash as
 * runrec writes one: another tool's SHA-256 in upper case was taken for an
 * unreadable input (`TBD`), and a word beside a good hash went into the manifest.
 */
function checkHashes(hashes: Readonly<Record<string, string>>): void {
  checkArgument(hashes, "hashes", "hashes");
  for (const [path, hash] of Object.entries(hashes)) {
    if (hash === "TBD" || isSha256Hex(hash)) continue;
    const upper = isSha256Hex(hash.toLowerCase()) ? " (in upper case: lower it)" : "";
    throw new InputError(
      `hashes[${JSON.stringify(path)}]: must be a SHA-256 in 64 lowercase hex digits, or TBD, ` +
        `got ${shownValue(hash)}${upper}`,
      { field: `hashes[${JSON.stringify(path)}]` },
    );
  }
}

/** {@linkcode manifestText} of hashes known to be path → hash strings. */
function manifestOf(hashes: Readonly<Record<string, string>>): string {
  const paths = Object.keys(hashes);
  if (!paths.some(needsEscape)) return unescapedManifest(hashes);
  // Escaping is one-to-one, so each escaped path names one input.
  const byEscaped = new Map(paths.map((path) => [escapedPath(path), path]));
  return sortUtf8([...byEscaped.keys()])
    .map((escaped) => manifestLine(hashes[byEscaped.get(escaped)!], byEscaped.get(escaped)!))
    .join("");
}

/** The manifest with no path escaped: right when none needs it; what runrec wrote before 5.4. */
function unescapedManifest(hashes: Readonly<Record<string, string>>): string {
  return sortUtf8(Object.keys(hashes)).map((path) => `${hashes[path]}  ${path}\n`).join("");
}

/**
 * InputContextSHA of per-file hashes: SHA-256 of {@linkcode manifestText},
 * or `TBD` when no input could be hashed (none given, or all unreadable).
 * Equals `sha256sum PATHS | LC_ALL=C sort -k2 | sha256sum` for readable inputs.
 *
 * @throws {InputError} naming the path whose hash is neither 64 lowercase hex digits nor `TBD`.
 *
 * @example
 * ```ts
 * import { inputContextSha } from "@runrec/runrec";
 * inputContextSha({}); // "TBD"
 * ```
 */
export function inputContextSha(hashes: Readonly<Record<string, string>>): string {
  // A Map (hashFiles') or a list has no fields: it would be TBD, as if no input were readable.
  checkHashes(hashes);
  return contextShaOf(hashes);
}

/**
 * The note of a record whose run had no governed input: why its InputContextSHA is `TBD` (DESIGN
 * CON-05 puts the reason in Notes), and what tells such a run from one whose inputs were never
 * captured (a finish from its token alone).
 *
 * @example
 * ```ts
 * import { NO_GOVERNED_INPUT } from "./manifest.ts";
 * "x | " + NO_GOVERNED_INPUT; // a record's Notes with it
 * ```
 */
export const NO_GOVERNED_INPUT =
  "no governed input (no input named, no _REFERENCES.md): InputContextSHA TBD";

/**
 * {@linkcode inputContextSha} of hashes as a draft or a record holds them, not checked here:
 * the record's own checks name a wrong hash by its column (`InputHashes has hash …`).
 *
 * @example
 * ```ts
 * import { contextShaOf } from "./manifest.ts";
 * contextShaOf({ "a.md": "TBD" }); // "TBD"
 * ```
 */
export function contextShaOf(hashes: Readonly<Record<string, string>>): string {
  const manifest = inputContextManifest(hashes);
  return manifest === undefined ? "TBD" : sha256Hex(manifest);
}

/**
 * The text whose SHA-256 is {@linkcode inputContextSha} ({@linkcode manifestText}),
 * or `undefined` when that is `TBD`: for a caller that hashes many at once.
 *
 * @example
 * ```ts
 * import { inputContextManifest } from "./manifest.ts";
 * inputContextManifest({ "a.md": "TBD" }); // undefined
 * inputContextManifest({ "a.md": "0".repeat(64) }); // "000…000  a.md\n"
 * ```
 */
export function inputContextManifest(
  hashes: Readonly<Record<string, string>>,
): string | undefined {
  return Object.values(hashes).some(isSha256Hex) ? manifestOf(hashes) : undefined;
}

/**
 * The InputContextSHA values a record with these `InputHashes` may hold:
 * {@linkcode inputContextSha}, and when a path holds `\`, a newline or a CR
 * also the value runrec wrote before it escaped paths (unescaped lines sorted
 * by path), so that records written then stay valid (SCHEMA.md 5.4).
 *
 * @example
 * ```ts
 * import { acceptedInputContextShas } from "./manifest.ts";
 * acceptedInputContextShas({ "a.md": "0".repeat(64) }).length; // 1
 * acceptedInputContextShas({ "a\\b.md": "0".repeat(64) }).length; // 2
 * ```
 */
export function acceptedInputContextShas(hashes: Readonly<Record<string, string>>): string[] {
  // A record's cells are judged by the schema's checks, not thrown at.
  const current = contextShaOf(hashes);
  const paths = Object.keys(hashes);
  if (current === "TBD" || !paths.some(needsEscape)) return [current];
  return [current, sha256Hex(unescapedManifest(hashes))];
}
