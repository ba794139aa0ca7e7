/**
 * Reader for `_REFERENCES.md`: which bullet names which file, with the path
 * rules of the host project's `ContentHash` tool, so both tools see the same files.
 *
 * Rules, per bullet line (`- ` or `* `), first that yields a candidate:
 * 1. the target of the first Markdown link `[text](target)`;
 * 2. the first `` `inline code` `` that looks like a path;
 * 3. the text after `Location:` up to ` —`, if it looks like a path;
 * 4. the first word, if it looks like a path.
 *
 * A candidate loses backticks, surrounding spaces and one trailing `.`, `,` or
 * `;`. `TBD` and `location TBD` are placeholders (accepted at rules 2 and 3 too,
 * so `Location: TBD` is reported rather than silently dropped). A `scheme:`
 * prefix of two or more letters makes it an external URL; `C:\x` is a Windows
 * path, not a URL. A path's `#fragment` and `?query` are dropped.
 *
 * Where the host tool and HOST_FORMATS.md differ, this module follows
 * HOST_FORMATS.md: rule 2 takes the first code span that looks like a path
 * (the tool gives up after the first code span), and `~` means the home folder.
 *
 * @module
 */
import { markdownLines } from "./deliverable.ts";
import { isAbsolute, join, resolve } from "./path.ts";

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
}

/** Where relative reference targets are looked up, in this order. */
export interface ReferencePlaces {
  /** The folder that holds `_REFERENCES.md`. */
  referencesDir: string;
  /** The execution root (folder with `INIT.md` or `_Decomposition/`), if known. */
  executionRoot?: string;
  /** The git work tree root, if any. */
  gitRoot?: string;
}

const BULLET = /^\s*[-*]\s+/;
const CONTENT_HASH_LINE = /^\s*[-*]\s+ContentHash:/i;
const LINK = /\[[^\]]+\]\(([^)]+)\)/;
const CODE_SPAN = /`([^`]+)`/g;
const LOCATION = /\b[Ll]ocation:\s*/;
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
  const link = LINK.exec(content);
  if (link) return clean(linkDestination(link[1]));
  for (const code of content.matchAll(CODE_SPAN)) {
    const candidate = clean(code[1]);
    if (looksLikePath(candidate) || isPlaceholder(candidate)) return candidate;
  }
  const location = locationValue(content);
  if (location !== undefined) {
    const candidate = clean(location);
    if (looksLikePath(candidate) || isPlaceholder(candidate)) return candidate;
  }
  const candidate = clean(content.split(" ", 1)[0]);
  return looksLikePath(candidate) ? candidate : undefined;
}

function classify(candidate: string): Pick<Reference, "kind" | "target"> | undefined {
  if (candidate === "") return undefined;
  if (isPlaceholder(candidate)) return { kind: "placeholder", target: candidate };
  if (URL_SCHEME.test(candidate)) return { kind: "url", target: candidate };
  const target = candidate.split("#", 1)[0].split("?", 1)[0];
  // `[x](#section)` points into a document, not at a file.
  return target === "" ? undefined : { kind: "path", target };
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
    if (classified) references.push({ line: i + 1, text: content, ...classified });
  }
  return references;
}

function homeFolder(): string | undefined {
  try {
    return Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  } catch {
    return undefined; // no permission to read the environment
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path a `path` reference's target names: absolute and `~/`
 * targets as such; relative ones tried against the folder of `_REFERENCES.md`,
 * then the execution root, then the git root. The first that exists wins;
 * `undefined` when none exists.
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
export function resolveReference(target: string, places: ReferencePlaces): string | undefined {
  if (target === "~" || target.startsWith("~/")) {
    const home = homeFolder();
    if (home === undefined) return undefined;
    const path = join(home, target.slice(1));
    return exists(path) ? path : undefined;
  }
  if (isAbsolute(target)) return exists(target) ? resolve(target) : undefined;
  for (const base of [places.referencesDir, places.executionRoot, places.gitRoot]) {
    if (base === undefined) continue;
    const path = resolve(base, target);
    if (exists(path)) return path;
  }
  return undefined;
}
