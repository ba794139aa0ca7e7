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

/** At most this many earlier versions are hashed; past it, the edit is not told apart: DIRTY. */
const MAX_VERSIONS = 100;
/** A value the host's hash tool writes: `64-lowercase-hex | TBD | ERROR: <reason>`. */
const TOOL_VALUE = /^(?:[0-9a-f]{64}|TBD|ERROR: .*)$/;

/** A file larger than this (characters) is not rebuilt: the edit is not told apart. */
const MAX_CHARS = 1 << 20;

/**
 * Whether `text` is the version of `_REFERENCES.md` whose SHA-256 was
 * `earlierHash` but for the values of its `ContentHash:` lines, each one the
 * host's tool writes now (a hash, `TBD`, `ERROR: …`) and each of which may
 * have been absent then, `TBD`, as it is now, or, where it now holds the
 * hash a governed file has now (`hashesNow`), the hash that file had at the
 * run (`hashesThen`). Told by rebuilding each such version (at most 100)
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
  // Per ContentHash line holding a governed file's hash now, the hash that file had at the run.
  const hashedThen = new Map<number, string>();
  lines.forEach((line, i) => {
    const found = CONTENT_HASH_LINE.exec(line.replace(/\r?\n$/, ""));
    if (!found) return;
    const value = found[2] ?? "";
    // Only what the tool writes there: other words in a ContentHash line are read as any.
    if (!TOOL_VALUE.test(value)) return void choices.set(i, []);
    const then = Object.keys(hashesNow).filter((path) => hashesNow[path] === value)
      .map((path) => hashesThen[path]).filter((hash) => hash !== undefined && hash !== value);
    const hashed = then.filter((h) => SHA256_PATTERN.test(h));
    choices.set(i, [...new Set([value, TBD, undefined, ...hashed])]);
    if (hashed.length > 0) hashedThen.set(i, hashed[0]);
  });
  if (choices.size === 0 || [...choices.values()].some((c) => c.length === 0)) return false;
  const at = [...choices.keys()];
  // The text between the ContentHash lines, and each line's label and ending: a version is those
  // pieces joined around the values tried, built in one pass.
  const between = at.map((i, k) => lines.slice(k === 0 ? 0 : at[k - 1] + 1, i).join(""));
  const after = lines.slice(at[at.length - 1] + 1).join("");
  const parts = at.map((i) => {
    const end = /\r?\n$/.exec(lines[i])?.[0] ?? "";
    const [, label, , trailing] = CONTENT_HASH_LINE.exec(
      lines[i].slice(0, lines[i].length - end.length),
    )!;
    return { label, end: `${trailing}${end}` };
  });
  const versionWith = (values: (string | undefined)[]) => {
    let version = "";
    values.forEach((value, k) => {
      // `undefined`: the line was not there.
      version += between[k] + (value === undefined ? "" : parts[k].label + value + parts[k].end);
    });
    return version + after;
  };
  // The hash tool's run over every line first (all filled in, or all added), then each mix.
  const tried = new Set<string>();
  const matches = (values: (string | undefined)[]) => {
    const key = JSON.stringify(values);
    if (tried.has(key)) return false;
    tried.add(key);
    return sha256Hex(versionWith(values)) === earlierHash;
  };
  const atRun = at.map((i) => hashedThen.get(i) ?? choices.get(i)![0]);
  if ([TBD, undefined].some((v) => matches(at.map(() => v))) || matches(atRun)) return true;
  // Then the versions differing from that in one line, two, …, those whose lines were all `TBD`
  // or all absent first: the tool filling in the one reference added since its last run is one
  // line wherever it is, where mixes in the order of an odometer reached only the first lines.
  const alternatives = at.map((i, k) => choices.get(i)!.filter((v) => v !== atRun[k]));
  const onlyTbd = alternatives.map((values) => values.filter((v) => v === TBD));
  const onlyAbsent = alternatives.map((values) => values.filter((v) => v === undefined));
  for (let count = 1; count <= at.length; count++) {
    for (const each of [onlyTbd, onlyAbsent, alternatives]) {
      for (const values of changedIn(atRun, each, count, 0)) {
        if (tried.size >= MAX_VERSIONS) return false;
        if (matches(values)) return true;
      }
    }
  }
  return false;
}

/** `base` with `count` of its values from `from` on each replaced by one of its `alternatives`. */
function* changedIn(
  base: readonly (string | undefined)[],
  alternatives: readonly (string | undefined)[][],
  count: number,
  from: number,
): Generator<(string | undefined)[]> {
  if (count === 0) {
    yield [...base];
    return;
  }
  for (let k = from; k <= base.length - count; k++) {
    for (const value of alternatives[k]) {
      const changed = [...base];
      changed[k] = value;
      yield* changedIn(changed, alternatives, count - 1, k + 1);
    }
  }
}
