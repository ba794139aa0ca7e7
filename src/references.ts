/**
 * Reader for `_REFERENCES.md`: which bullet names which file, with the path
 * rules of the host project's `ContentHash` tool, so both tools see the same files.
 *
 * Rules, per bullet line (`- ` or `* `), first that yields a candidate:
 * 1. the target of the first Markdown link `[text](target)`, read literally up
 *    to the first `)` as the host tool reads it; when that names nothing,
 *    CommonMark's readings are tried (`Reference.readings`): balanced
 *    parentheses, then `%XX` decoded as UTF-8;
 * 2. the first `` `inline code` ``, if it looks like a path (a later code span
 *    is prose, as in the host's own `` `REQ-01` — Location: x.md — `y/z` `` lines);
 * 3. the text after `Location:` (also `SourceLocation:`) up to ` —`, if it looks
 *    like a path or is a placeholder;
 * 4. the first word, if it looks like a path or is a placeholder.
 *
 * A candidate loses backticks, surrounding spaces and one trailing `.`, `,` or
 * `;`. `TBD` and `location TBD` are placeholders: a `` `TBD` `` code span names
 * nothing by itself, so a later `Location:` path still counts. A `scheme:`
 * prefix of two or more letters makes it an external URL; `C:\x` is a Windows
 * path, not a URL. A path's `#fragment` and `?query` are dropped. `~` means
 * the home folder. LF, CRLF and a lone CR end a line.
 *
 * @module
 */
import { optionalEnv } from "./optional_access.ts";
import { markdownLines } from "./deliverable.ts";
import { directLookups, type Lookups } from "./lookups.ts";
import { dirname, isAbsolute, join, resolve } from "./path.ts";

/** One bullet of `_REFERENCES.md` that names something. */
export interface Reference {
  /** 1-based line number in `_REFERENCES.md`. */
  line: number;
  /** The bullet's text after its marker, trimmed. */
  text: string;
  /** `path`: a local file or folder; `url`: external; `placeholder`: `TBD`. */
  kind: "path" | "url" | "placeholder";
  /** The path (without `#fragment`/`?query`), the URL, or the placeholder as written. */
  target: string;
  /**
   * For a link's `path`: other readings of its destination, tried in order
   * only when `target` (read literally, as the host tool reads it) names
   * nothing: with balanced parentheses (`[x](file(1).md)`), and
   * percent-decoded as UTF-8 (`c%20d.md`), as CommonMark and GitHub read it.
   */
  readings?: string[];
}

/** Where relative reference targets are looked up, in this order. */
export interface ReferencePlaces {
  /** The folder that holds `_REFERENCES.md`. */
  referencesDir: string;
  /** The git work tree root, if any (tried second, as the host tool does). */
  gitRoot?: string;
  /** The execution root (folder with `INIT.md` or `_Decomposition/`), if known (tried last). */
  executionRoot?: string;
}

const BULLET = /^\s*[-*]\s+/;
const CONTENT_HASH_LINE = /^\s*[-*]\s+ContentHash:/i;
/** A Markdown link `[text](target)` at the start of a string. */
const LINK_AT = /^\[[^\]]+\]\(([^)]+)\)/;

/**
 * The first match of `/\[[^\]]+\]\(([^)]+)\)/` in `content`, found in one
 * pass: that pattern tried from every `[` of a line of thousands of `[`
 * without a `](` took seconds. A link's text holds no `]`, so a start can
 * only end at the first `]` after it: for each `]` followed by `(`, the
 * first `[` since the previous `]` is the one start to try.
 *
 * @example
 * ```ts
 * import { firstLink } from "./references.ts";
 * firstLink("- see [spec](../x.md) and [y](y.md)")?.[1]; // "../x.md"
 * ```
 */
export function firstLink(content: string): RegExpExecArray | null {
  let from = 0;
  for (let close = content.indexOf("]"); close >= 0; close = content.indexOf("]", close + 1)) {
    const open = content.indexOf("[", from);
    from = close + 1;
    if (open < 0 || open >= close - 1 || content[close + 1] !== "(") continue;
    const match = LINK_AT.exec(content.slice(open));
    if (match) return Object.assign(match, { index: open, input: content });
  }
  return null;
}
const CODE_SPAN = /`([^`]+)`/;
// Also `SourceLocation:`, which the host tool reads as a location too.
const LOCATION = /[Ll]ocation:\s*/;
/** URL scheme; one letter is a Windows drive (`C:\x`), so two or more. */
const URL_SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]+:/;
const WINDOWS_DRIVE = /^[a-zA-Z]:[\\/]/;
const DOCUMENT_EXTENSIONS = [
  ".md",
  ".txt",
  ".csv",
  ".json",
  ".yml",
  ".yaml",
  ".py",
  ".ts",
  ".tsx",
  ".js",
  ".mjs",
];

/** Backticks, surrounding spaces and one trailing `.`, `,` or `;` go. */
function clean(raw: string): string {
  const cleaned = raw.trim().replace(/^`+|`+$/g, "").trim();
  return /[.,;]$/.test(cleaned) ? cleaned.slice(0, -1) : cleaned;
}

function isPlaceholder(candidate: string): boolean {
  const lowered = candidate.toLowerCase();
  return lowered === "tbd" || lowered === "location tbd";
}

/** The host tool's "looks like a path" test, plus Windows drive paths. */
function looksLikePath(candidate: string): boolean {
  if (candidate === "") return false;
  if (/^(\.\/|\.\.\/|\/|~)/.test(candidate) || candidate.includes("/")) return true;
  if (WINDOWS_DRIVE.test(candidate)) return true;
  const lowered = candidate.toLowerCase();
  return DOCUMENT_EXTENSIONS.some((extension) => lowered.endsWith(extension));
}

/** A link target may be `<with spaces>` or carry a `"title"` after it. */
function linkDestination(raw: string): string {
  const trimmed = raw.trim();
  const angled = /^<([^>]*)>/.exec(trimmed);
  if (angled) return angled[1];
  const titled = /^(\S+)\s+(?:"[^"]*"|'[^']*')$/.exec(trimmed);
  return titled ? titled[1] : trimmed;
}

function locationValue(content: string): string | undefined {
  const match = LOCATION.exec(content);
  if (!match) return undefined;
  const rest = content.slice(match.index + match[0].length);
  const dash = /\s+—/.exec(rest);
  return dash ? rest.slice(0, dash.index) : rest;
}

/** The candidate a bullet's content yields, before classification. */
function candidateOf(content: string): string | undefined {
  const link = firstLink(content);
  if (link) return clean(linkDestination(link[1]));
  // Only the first code span counts: later ones are prose, as the host tool reads them.
  const codeSpan = CODE_SPAN.exec(content);
  const code = codeSpan ? clean(codeSpan[1]) : undefined;
  if (code !== undefined && looksLikePath(code)) return code;
  const location = locationValue(content);
  if (location !== undefined) {
    const candidate = clean(location);
    if (looksLikePath(candidate) || isPlaceholder(candidate)) return candidate;
  }
  const first = clean(content.split(" ", 1)[0]);
  if (looksLikePath(first) || isPlaceholder(first)) return first;
  // `Standard X `TBD``: named as a placeholder in notes rather than silently skipped.
  return code !== undefined && isPlaceholder(code) ? code : undefined;
}

function classify(candidate: string): Pick<Reference, "kind" | "target"> | undefined {
  if (candidate === "") return undefined;
  if (isPlaceholder(candidate)) return { kind: "placeholder", target: candidate };
  if (URL_SCHEME.test(candidate)) return { kind: "url", target: candidate };
  const target = withoutFragment(candidate);
  // `[x](#section)` points into a document, not at a file.
  return target === "" ? undefined : { kind: "path", target };
}

function withoutFragment(candidate: string): string {
  return candidate.split("#", 1)[0].split("?", 1)[0];
}

/**
 * A link destination as CommonMark reads it, from its first character: up to
 * a space or the `)` that closes the link, so `file(1).md` keeps its pair.
 */
function balancedDestination(text: string): string {
  let depth = 0;
  let end = 0;
  for (; end < text.length; end++) {
    const c = text[end];
    if (c === "(") depth++;
    else if (c === ")" && depth-- === 0) break;
    else if (/\s/.test(c)) break;
  }
  return text.slice(0, end);
}

/** `%XX` escapes decoded as UTF-8; `undefined` when there are none or they are malformed. */
function percentDecoded(path: string): string | undefined {
  if (!/%[0-9a-fA-F]{2}/.test(path)) return undefined;
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

/** The other readings of the link `link` whose literal target is `literal`, in the order tried. */
function linkReadings(content: string, link: RegExpExecArray, literal: string): string[] {
  const start = link.index + link[0].length - link[1].length - 1;
  const destination = content.slice(start);
  const balanced = destination.startsWith("<")
    ? literal
    : withoutFragment(clean(balancedDestination(destination)));
  const readings = [balanced, percentDecoded(literal), percentDecoded(balanced)];
  return [...new Set(readings)].filter((r): r is string =>
    r !== undefined && r !== "" && r !== literal
  );
}

/**
 * Every reference in `_REFERENCES.md` text, in line order. Bullets that name
 * nothing, and `ContentHash:` metadata sub-bullets, are left out.
 *
 * @example
 * ```ts
 * import { parseReferences } from "./references.ts";
 * const refs = parseReferences(
 *   "- [Decomposition](../../../_Decomposition/D.md)\n" +
 *     "  - ContentHash: TBD\n" +
 *     "- https://example.org/spec — external\n",
 * );
 * console.log(refs.map((r) => `${r.line} ${r.kind} ${r.target}`));
 * // ["1 path ../../../_Decomposition/D.md", "3 url https://example.org/spec"]
 * ```
 */
export function parseReferences(text: string): Reference[] {
  const references: Reference[] = [];
  const lines = markdownLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const bullet = BULLET.exec(line);
    if (!bullet || CONTENT_HASH_LINE.test(line)) continue;
    const content = line.slice(bullet[0].length).trim();
    const candidate = candidateOf(content);
    const classified = candidate === undefined ? undefined : classify(candidate);
    if (!classified) continue;
    const link = firstLink(content);
    const readings = link && classified.kind === "path"
      ? linkReadings(content, link, classified.target)
      : [];
    references.push({
      line: i + 1,
      text: content,
      ...classified,
      ...(readings.length > 0 ? { readings } : {}),
    });
  }
  return references;
}

function homeFolder(): string | undefined {
  return optionalEnv("HOME") ?? optionalEnv("USERPROFILE");
}

/**
 * `target` joined to `base` as the file system resolves it, or `undefined`
 * when nothing is there. `..` after a symbolic link to a folder leads to the
 * parent of the link's target, as it does for any program that opens the
 * path (the host tool too). Resolved step by step, because Deno normalises
 * `..` away on the text before the system sees the path. The path is named
 * lexically when that names the same file, for readable keys.
 *
 * @example
 * ```ts
 * import { onDisk } from "./references.ts";
 * import { directLookups } from "./lookups.ts";
 * const dir = await Deno.realPath(await Deno.makeTempDir());
 * await Deno.mkdir(`${dir}/a/b`, { recursive: true });
 * await Deno.writeTextFile(`${dir}/a/x.md`, "x");
 * await Deno.symlink(`${dir}/a/b`, `${dir}/link`);
 * onDisk(dir, "link/../x.md", directLookups); // `${dir}/a/x.md`, not `${dir}/x.md`
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function onDisk(base: string, target: string, lookups: Lookups): string | undefined {
  let path = base;
  const segments = target.split(/[\\/]/);
  for (const segment of segments) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      const real = lookups.realPath(path);
      if (real instanceof Error) return undefined; // a missing folder has no parent on disk
      path = dirname(real);
    } else {
      path = join(path, segment);
    }
  }
  const real = lookups.realPath(path);
  if (real instanceof Error) return undefined;
  // Without `..` the path walked is the lexical path: nothing to compare.
  if (!segments.includes("..")) return path;
  const lexical = resolve(base, target);
  // The lexical path names something else, or nothing: the link mattered.
  return lookups.realPath(lexical) === real ? lexical : path;
}

/**
 * The absolute path a `path` reference names and the reading that named it:
 * its `target` as {@linkcode resolveReference} resolves it, else the first of
 * its `readings` that names something; `undefined` when none does.
 *
 * @example
 * ```ts
 * import { parseReferences, resolveReading } from "./references.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/c d.md`, "x");
 * const [reference] = parseReferences("- [C](c%20d.md)\n");
 * console.log(resolveReading(reference, { referencesDir: dir })?.reading); // "c d.md"
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function resolveReading(
  reference: Pick<Reference, "target" | "readings">,
  places: ReferencePlaces,
  lookups: Lookups = directLookups,
): { path: string; reading: string } | undefined {
  for (const reading of [reference.target, ...reference.readings ?? []]) {
    const path = resolveReference(reading, places, lookups);
    if (path !== undefined) return { path, reading };
  }
  return undefined;
}

/**
 * The absolute path a `path` reference's target names on its text alone
 * (`~/` in the home folder, a relative one beside `_REFERENCES.md`): where
 * one not found is recorded, the same whether or not this runrec may look
 * there.
 *
 * @example
 * ```ts
 * import { referencedPath } from "./references.ts";
 * console.log(referencedPath("../a.md", "/p/d")); // "/p/a.md"
 * ```
 */
export function referencedPath(target: string, referencesDir: string): string {
  const home = target === "~" || target.startsWith("~/") ? homeFolder() : undefined;
  return home === undefined ? resolve(referencesDir, target) : resolve(home, target.slice(2));
}

/** The root folder of an absolute path: `/`, or a drive such as `C:\\`. */
function rootOf(path: string): string {
  let dir = resolve(path);
  while (dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/**
 * The absolute path a `path` reference's target names: absolute and `~/`
 * targets as such; relative ones tried against the folder of `_REFERENCES.md`,
 * then the git root, then the execution root (the host tool's order, then
 * runrec's addition). The first that exists wins; `undefined` when none
 * exists. `..` is resolved on the file system, after symbolic links.
 * `lookups` answers the file-system questions (default: the system, each
 * time; `runrec stale` passes one that asks each path once per run).
 *
 * @example
 * ```ts
 * import { resolveReference } from "./references.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.md`, "x");
 * console.log(resolveReference("a.md", { referencesDir: dir }) === `${dir}/a.md`); // true
 * console.log(resolveReference("b.md", { referencesDir: dir })); // undefined
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function resolveReference(
  target: string,
  places: ReferencePlaces,
  lookups: Lookups = directLookups,
): string | undefined {
  if (target === "~" || target.startsWith("~/")) {
    const home = homeFolder();
    return home === undefined ? undefined : onDisk(resolve(home), target.slice(2), lookups);
  }
  if (isAbsolute(target)) {
    const root = rootOf(target);
    return onDisk(root, target.slice(root.length), lookups);
  }
  for (const base of [places.referencesDir, places.gitRoot, places.executionRoot]) {
    if (base === undefined) continue;
    const path = onDisk(resolve(base), target, lookups);
    if (path !== undefined) return path;
  }
  return undefined;
}
