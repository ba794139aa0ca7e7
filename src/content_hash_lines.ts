/**
 * Whether `_REFERENCES.md` differs from a version a run read only in its
 * `ContentHash:` lines: what the host project's hash tool writes (a line
 * filled in, added, or brought up to date with the file it hashes). Any other
 * edit (its `## Notes`, a reference's description) is words an agent reads.
 *
 * @module
 */
import { sha256Hex } from "./sha256.ts";
import { SHA256_PATTERN, TBD } from "./schema.ts";

/** A `ContentHash:` line (the host's sub-bullet of a reference): its label, its value. */
const CONTENT_HASH_LINE = /^(\s*[-*+]\s+ContentHash:[ \t]*)(\S.*?)?([ \t]*)$/;

/** At most this many earlier versions are hashed; past it, the edit is not told apart. */
const MAX_VERSIONS = 1000;
/** A file larger than this (characters) is not rebuilt: the edit is not told apart. */
const MAX_CHARS = 1 << 20;

/**
 * Whether `text` is the version of `_REFERENCES.md` whose SHA-256 was
 * `earlierHash` but for the values of its `ContentHash:` lines, each of which
 * may have been absent then, `TBD`, as it is now, or, where it now holds the
 * hash a governed file has now (`hashesNow`), the hash that file had at the
 * run (`hashesThen`). Told by rebuilding each such version (at most 1,000)
 * and comparing its SHA-256: a match proves nothing else differs.
 *
 * @example
 * ```ts
 * import { onlyContentHashesFrom } from "./content_hash_lines.ts";
 * import { sha256Hex } from "./sha256.ts";
 * const then = "- [D](D.md)\n  - ContentHash: TBD\n";
 * const hash = "a".repeat(64);
 * const now = `- [D](D.md)\n  - ContentHash: ${hash}\n`;
 * onlyContentHashesFrom(now, sha256Hex(then), {}, { "D.md": hash }); // true
 * onlyContentHashesFrom(now + "- use revision C\n", sha256Hex(then), {}, {}); // false
 * ```
 */
export function onlyContentHashesFrom(
  text: string,
  earlierHash: string,
  hashesThen: Readonly<Record<string, string>>,
  hashesNow: Readonly<Record<string, string>>,
): boolean {
  if (text.length > MAX_CHARS) return false;
  // Lines with their own ends, so that a rebuilt version keeps the file's bytes (CR LF and all).
  const lines = text.split(/(?<=\n)/);
  // Per ContentHash line, what it may have been at the run (`undefined`: no such line).
  const choices = new Map<number, (string | undefined)[]>();
  lines.forEach((line, i) => {
    const found = CONTENT_HASH_LINE.exec(line.replace(/\r?\n$/, ""));
    if (!found) return;
    const value = found[2] ?? "";
    const then = Object.keys(hashesNow).filter((path) => hashesNow[path] === value)
      .map((path) => hashesThen[path]).filter((hash) => hash !== undefined && hash !== value);
    const options = [value, TBD, undefined, ...then.filter((h) => SHA256_PATTERN.test(h))];
    choices.set(i, [...new Set(options)]);
  });
  if (choices.size === 0) return false;
  const at = [...choices.keys()];
  const versionWith = (values: (string | undefined)[]) =>
    lines.map((line, i) => {
      const k = at.indexOf(i);
      if (k < 0) return line;
      const value = values[k];
      if (value === undefined) return ""; // the line was not there
      const end = /\r?\n$/.exec(line)?.[0] ?? "";
      const [, label, , trailing] = CONTENT_HASH_LINE.exec(
        line.slice(0, line.length - end.length),
      )!;
      return `${label}${value}${trailing}${end}`;
    }).join("");
  // The hash tool's run over every line first (all filled in, or all added), then each mix.
  const tried = new Set<string>();
  const matches = (values: (string | undefined)[]) => {
    const key = JSON.stringify(values);
    if (tried.has(key)) return false;
    tried.add(key);
    return sha256Hex(versionWith(values)) === earlierHash;
  };
  if (matches(at.map(() => TBD)) || matches(at.map(() => undefined))) return true;
  const counter = at.map(() => 0);
  while (tried.size < MAX_VERSIONS) {
    if (matches(counter.map((n, k) => choices.get(at[k])![n]))) return true;
    // The next mix, as an odometer turns.
    let k = 0;
    while (k < at.length && ++counter[k] === choices.get(at[k])!.length) counter[k++] = 0;
    if (k === at.length) return false;
  }
  return false;
}
