/**
 * Where a deliverable folder sits in the project tree: its ID, its execution
 * root and git root.
 *
 * @module
 */
import { basename, dirname, isAbsolute, isInside, join, relative, resolve } from "./path.ts";
import { InputError } from "./errors.ts";
import { type EntryKind, kindOf } from "./walk.ts";
import type { Lookups } from "./lookups.ts";
import { ceilingHides } from "./git_ceiling.ts";
import { dotGitOf } from "./dot_git.ts";

export type { EntryKind };

/** Name of the record file inside a deliverable folder. */
export const RECORD_FILE = "RunRecords.csv";

/**
 * A deliverable folder's name: `DEL-XX-YY`, then `_Label` or nothing (two or
 * more digits each); group 1 is the deliverable ID. The one pattern for it.
 *
 * @example
 * ```ts
 * import { DELIVERABLE_FOLDER } from "./deliverable.ts";
 * DELIVERABLE_FOLDER.exec("DEL-01-02_Some_Deliverable")?.[1]; // "DEL-01-02"
 * DELIVERABLE_FOLDER.test("PKG-01_Package"); // false
 * ```
 */
export const DELIVERABLE_FOLDER: RegExp = /^(DEL-[0-9]{2,}-[0-9]{2,})(?:_|$)/;
const ID_AT_START = /^(DEL-[0-9]{2,}-[0-9]{2,})(?![0-9A-Za-z-])/;
// A name starting with an ID the folder pattern does not take (`DEL-01-02 Flow`, `DEL-01-02.x`).
const ID_PREFIX = /^(DEL-[0-9]{2,}-[0-9]{2,})(?![0-9])/;
// `**DeliverableID:** X`, `- **Deliverable ID:** X`, also `**Deliverable ID**: X`.
const ID_FIELD = /^\s*(?:[-*]\s+)?\*\*Deliverable ?ID(?::\*\*|\*\*:)(.*)$/i;
// `# Context: DEL-99-02`, also with an em dash as real projects write it.
const CONTEXT_HEADING = /^#{1,6}\s+Context\s*[:—–-]\s*(.*)$/i;
/** The host file that may name the deliverable's ID (it wins over the folder name). */
export const CONTEXT_FILE = "_CONTEXT.md";
/** The longest deliverable ID `_CONTEXT.md` may declare (the longest a folder name holds). */
const MAX_ID_LENGTH = 255;

/**
 * The lines of a host Markdown file, its BOM dropped. LF, CRLF and a lone CR
 * each end a line, as Python's universal newlines (the host tool's reading) do.
 *
 * @example
 * ```ts
 * import { markdownLines } from "./deliverable.ts";
 * markdownLines("\uFEFF# A\r\nb\rc\n"); // ["# A", "b", "c", ""]
 * ```
 */
export function markdownLines(text: string): string[] {
  return (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r\n|\r|\n/);
}

/** What `_CONTEXT.md` says the ID is, and what was wrong with it. */
interface ContextReading {
  id?: string;
  problem?: string;
  /** The line of an ID field that holds no ID (`TBD`): a later field is not read. */
  badLine?: number;
}

/**
 * No `_CONTEXT.md`, and maybe one in other case (`_context.md`): said, since it is read where case
 * does not count (macOS, Windows), and the two machines would record the runs under two IDs.
 */
function otherCaseContext(delDir: string): ContextReading {
  const lower = CONTEXT_FILE.toLowerCase();
  const other = [...folderEntries(delDir).keys()].find((name) =>
    name !== CONTEXT_FILE && name.toLowerCase() === lower
  );
  return other === undefined ? {} : {
    problem: `${CONTEXT_FILE}: not found; ${other} beside it is that name in other case, which ` +
      "runrec reads only where case does not count (macOS, Windows): rename it (git mv)",
  };
}

/**
 * The ID in a `_CONTEXT.md` text: its field line, else its heading. A field
 * whose value is not a deliverable ID (`TBD`) is a problem, not a guess.
 */
function idFromContext(text: string): ContextReading {
  const lines = markdownLines(text);
  let problem: string | undefined;
  let badLine: number | undefined;
  let fromHeading: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const field = ID_FIELD.exec(lines[i]);
    if (field && problem === undefined) {
      const value = field[1].trim().replace(/^`|`$/g, "");
      const id = ID_AT_START.exec(value);
      // A folder name holds at most 255 bytes; a longer ID is no deliverable's.
      if (id && id[1].length <= MAX_ID_LENGTH) return { id: id[1] };
      problem = `${CONTEXT_FILE} line ${i + 1}: DeliverableID ${
        JSON.stringify(value.slice(0, 40))
      } is not DEL-XX-YY`;
      badLine = i + 1;
    }
    const heading = CONTEXT_HEADING.exec(lines[i]);
    if (heading && fromHeading === undefined) {
      const id = ID_AT_START.exec(heading[1].trim())?.[1];
      if (id !== undefined && id.length <= MAX_ID_LENGTH) fromHeading = id;
    }
  }
  return fromHeading ? { id: fromHeading, problem } : { problem, badLine };
}

/** A deliverable's ID, and a note when it was not read as declared. */
export interface DeliverableIdentity {
  /** `DEL-XX-YY`. */
  id: string;
  /** One line for the record's Notes: why the ID came from elsewhere, or disagrees. */
  note?: string;
}

/**
 * The deliverable ID (`DEL-XX-YY`) of a deliverable folder: from `_CONTEXT.md`
 * (`**DeliverableID:**`, `**Deliverable ID:**`, else a `# Context: DEL-XX-YY`
 * heading), else from the folder name `DEL-XX-YY_Label`. When both name an ID
 * and they differ, `_CONTEXT.md` wins (it is the declared identity; the folder
 * name only keeps its prefix) and `note` says so. An unreadable `_CONTEXT.md`,
 * or one whose ID field holds something else (`TBD`), falls back to the folder
 * name, with a `note`: a bad host file never stops a run being recorded.
 *
 * @throws {InputError} only when no ID is found at all: not a deliverable folder.
 *
 * @example
 * ```ts
 * import { deliverableId } from "./deliverable.ts";
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/DEL-01-02_Some_Deliverable`);
 * await Deno.writeTextFile(`${root}/DEL-01-02_Some_Deliverable/_CONTEXT.md`, "**DeliverableID:** TBD\n");
 * console.log(deliverableId(`${root}/DEL-01-02_Some_Deliverable`));
 * // { id: "DEL-01-02", note: '_CONTEXT.md line 1: DeliverableID "TBD" is not DEL-XX-YY; recorded DEL-01-02 from the folder name' }
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function deliverableId(
  delDir: string,
  read: (path: string) => string | undefined = readFolderFile,
): DeliverableIdentity {
  const fromFolder = DELIVERABLE_FOLDER.exec(basename(resolve(delDir)))?.[1];
  let context: ContextReading;
  try {
    const text = read(join(delDir, CONTEXT_FILE));
    context = text === undefined ? otherCaseContext(delDir) : idFromContext(text);
  } catch (error) {
    context = { problem: `${CONTEXT_FILE}: unreadable (${describe(error)})` };
  }
  if (context.id !== undefined) {
    const notes = [context.problem];
    if (fromFolder !== undefined && fromFolder !== context.id) {
      notes.push(
        `${CONTEXT_FILE} names ${context.id}, the folder ${fromFolder}: recorded ${context.id}`,
      );
    }
    const note = notes.filter((n) => n !== undefined).join("; ");
    return note === "" ? { id: context.id } : { id: context.id, note };
  }
  if (fromFolder !== undefined) {
    return context.problem === undefined
      ? { id: fromFolder }
      : { id: fromFolder, note: `${context.problem}; recorded ${fromFolder} from the folder name` };
  }
  const elsewhere = `${enclosingDeliverable(delDir)}${deliverablesBeneath(delDir)}`;
  throw new InputError(
    `${delDir}: not a deliverable folder: no deliverable ID (${
      context.problem ?? `no DeliverableID in ${CONTEXT_FILE}`
    }, and ${folderNameSaid(basename(resolve(delDir)))})${
      elsewhere || deliverableRemedy(delDir, context.badLine)
    }`,
    { path: delDir },
  );
}

/** Why a folder's name gives no ID: `DEL-01-02 Flow` starts with one, but not as the pattern. */
function folderNameSaid(name: string): string {
  const id = ID_PREFIX.exec(name)?.[1];
  return id === undefined
    ? "the folder name does not start with DEL-XX-YY"
    : `the folder name has ${id} followed by ${
      JSON.stringify([...name.slice(id.length)][0] ?? "")
    }, not by _ (DEL-XX-YY_Label)`;
}

/**
 * How to make `delDir` a deliverable folder: the ID in `_CONTEXT.md` (in place of its `badLine`,
 * the field no later one overrides), or the name renamed.
 */
function deliverableRemedy(delDir: string, badLine?: number): string {
  const name = basename(resolve(delDir));
  const id = ID_PREFIX.exec(name)?.[1];
  const where = badLine === undefined ? "" : ` in place of line ${badLine}`;
  if (id === undefined) {
    return `: name a deliverable folder, or write the line **DeliverableID:** DEL-XX-YY in ` +
      `this one's ${CONTEXT_FILE}${where}`;
  }
  const label = name.slice(id.length).replace(/^[\s._-]+/, "");
  return `: write the line **DeliverableID:** ${id} in its ${CONTEXT_FILE}${where}, or rename ` +
    `it ${label === "" ? id : `${id}_${label}`}`;
}

/**
 * `; it is inside <folder>` when `target` is in a deliverable folder, or `; it is a link to
 * <folder>` when it leads to one (a deliverable is named by its own folder, as emit names it):
 * what to name instead.
 *
 * @example
 * ```ts
 * import { enclosingDeliverable } from "./deliverable.ts";
 * enclosingDeliverable("examples/PKG-01_Field_Instruments"); // ""
 * ```
 */
export function enclosingDeliverable(target: string): string {
  let real = resolve(target);
  try {
    real = Deno.realPathSync(target);
  } catch { /* read by the search already */ }
  if (real !== resolve(target) && DELIVERABLE_FOLDER.test(basename(real))) {
    return `; it is a link to ${shownPath(real)}`;
  }
  for (let dir = dirname(real); dir !== dirname(dir); dir = dirname(dir)) {
    if (!DELIVERABLE_FOLDER.test(basename(dir))) continue;
    const shown = shownPath(dir);
    return `; it is inside ${shown}${shown.endsWith("..") ? ` (${basename(dir)})` : ""}`;
  }
  return "";
}

/**
 * `; deliverable folders beneath it: A, B and N more: name one` when `target` holds deliverable
 * folders within three levels (an execution root, a package, its `1_Working/`), else "": the
 * folder an agent given its project's root meant. Folders named `.…` and `_…` are passed over.
 */
function deliverablesBeneath(target: string): string {
  const found: string[] = [];
  let level = [resolve(target)];
  for (let depth = 0; depth < 3 && found.length === 0 && level.length > 0; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      for (const [name, kind] of folderEntries(dir)) {
        if (kind !== "folder" || /^[._]/.test(name)) continue;
        (DELIVERABLE_FOLDER.test(name) ? found : next).push(join(dir, name));
      }
    }
    // A folder far above any project (a home folder) is not searched whole: an error's aside.
    level = next.slice(0, 100);
  }
  if (found.length === 0) return "";
  const shown = found.sort().slice(0, 2).map(shownPath).join(", ");
  const more = found.length > 2 ? ` and ${found.length - 2} more` : "";
  return `; deliverable folders beneath it: ${shown}${more}: name one`;
}

/**
 * A path as the user would type it: relative to the working folder when beneath it or one of
 * its ancestors (`..`), else absolute.
 *
 * @example
 * ```ts
 * import { shownPath } from "./deliverable.ts";
 * shownPath(Deno.cwd()); // "."
 * ```
 */
export function shownPath(absPath: string): string {
  const rel = relative(Deno.cwd(), absPath);
  // An ancestor of the working folder as `..`: the folder to name from there.
  if (rel === "") return ".";
  return /^\.\.(\/\.\.)*$/.test(rel) || isInside(absPath, Deno.cwd()) ? rel : absPath;
}

function describe(error: unknown): string {
  if (error instanceof Deno.errors.InvalidData || error instanceof HostFileTooLarge) {
    return error.message;
  }
  return error instanceof Error ? error.name : String(error);
}

/**
 * The most bytes runrec reads of a host Markdown file: real ones are a few
 * KiB, and a hostile one must not cost a run its memory or its record.
 */
export const HOST_FILE_LIMIT = 1024 * 1024;

/**
 * A host file larger than {@linkcode HOST_FILE_LIMIT}: not read.
 *
 * @example
 * ```ts
 * import { HostFileTooLarge } from "./deliverable.ts";
 * new HostFileTooLarge(2_000_000).message;
 * // "too large: 2000000 bytes, more than the 1048576 runrec reads of a host file"
 * ```
 */
export class HostFileTooLarge extends Error {
  /** Builds the error for a file of `size` bytes. */
  constructor(size: number) {
    super(`too large: ${size} bytes, more than the ${HOST_FILE_LIMIT} runrec reads of a host file`);
    this.name = "HostFileTooLarge";
  }
}

/**
 * The text of a small file of a deliverable folder (`_CONTEXT.md`,
 * `_STATUS.md`, `_REFERENCES.md`), or `undefined` when there is none.
 * Checked to be a regular file first: a FIFO of that name would block a read
 * for ever. Bytes that are not UTF-8 read as U+FFFD.
 *
 * Throws `Deno.errors.InvalidData` ("not a regular file") for a folder, FIFO or
 * device of that name, {@linkcode HostFileTooLarge} for a file over
 * {@linkcode HOST_FILE_LIMIT}, and the system's error for a file it cannot read.
 *
 * @example
 * ```ts
 * import { readFolderFile } from "./deliverable.ts";
 * readFolderFile("DEL-01-02_X/_STATUS.md"); // its text, or undefined
 * ```
 */
export function readFolderFile(path: string): string | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw error;
  }
  if (!info.isFile) {
    throw new Deno.errors.InvalidData("not a regular file: a folder, FIFO or device");
  }
  if (info.size > HOST_FILE_LIMIT) throw new HostFileTooLarge(info.size);
  // Read no more than the limit, however the file grows meanwhile; a buffer the
  // size the file had (one byte more, to see it end), grown only if it grew.
  using file = Deno.openSync(path);
  let buffer = new Uint8Array(info.size + 1);
  let length = 0;
  while (true) {
    if (length === buffer.length) {
      if (length > HOST_FILE_LIMIT) break;
      const grown = new Uint8Array(Math.min(buffer.length * 2, HOST_FILE_LIMIT + 1));
      grown.set(buffer);
      buffer = grown;
    }
    const read = file.readSync(buffer.subarray(length));
    if (read === null) break;
    length += read;
  }
  if (length > HOST_FILE_LIMIT) throw new HostFileTooLarge(length);
  return new TextDecoder().decode(buffer.subarray(0, length));
}

/** Lists a folder as {@linkcode folderEntries} does. */
export type ListFolder = (dir: string) => ReadonlyMap<string, EntryKind>;

/**
 * The entries of `dir` by name, symbolic links followed; empty when `dir`
 * cannot be listed.
 *
 * @example
 * ```ts
 * import { folderEntries } from "./deliverable.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/INIT.md`, "");
 * folderEntries(dir).get("INIT.md"); // "file"
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function folderEntries(dir: string): Map<string, EntryKind> {
  const entries = new Map<string, EntryKind>();
  try {
    for (const entry of Deno.readDirSync(dir)) {
      const kind: EntryKind = entry.isSymlink
        ? kindOf(join(dir, entry.name))
        : entry.isFile
        ? "file"
        : entry.isDirectory
        ? "folder"
        : "other";
      entries.set(entry.name, kind);
    }
  } catch { /* not a listable folder: nothing is found in it */ }
  return entries;
}

/** The nearest of `start`'s ancestors (and `start`, if `includeStart`) that `holds`. */
function nearestAncestor(
  start: string,
  includeStart: boolean,
  holds: (dir: string) => boolean,
): string | undefined {
  let dir = resolve(start);
  if (!includeStart) {
    if (dirname(dir) === dir) return undefined;
    dir = dirname(dir);
  }
  while (true) {
    if (holds(dir)) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The execution root of a deliverable folder: the nearest ancestor (not the
 * folder itself) holding an `INIT.md` file or a `_Decomposition/` folder, as
 * an absolute path; `undefined` when there is none. Ancestors that cannot be
 * listed are passed over. `lookups` answers the look-ups (default: the system).
 *
 * @example
 * ```ts
 * import { findExecutionRoot } from "./deliverable.ts";
 * const root = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${root}/INIT.md`, "");
 * await Deno.mkdir(`${root}/PKG-01_P/1_Working/DEL-01-02_D`, { recursive: true });
 * console.log(findExecutionRoot(`${root}/PKG-01_P/1_Working/DEL-01-02_D`) === root); // true
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function findExecutionRoot(delDir: string, lookups?: Lookups): string | undefined {
  return nearestAncestor(delDir, false, (dir) => isExecutionRoot(dir, lookups));
}

/**
 * Whether `dir` is an execution root: it holds `INIT.md` or `_Decomposition/`
 * (asked of `lookups`, when given).
 *
 * @example
 * ```ts
 * import { isExecutionRoot } from "./deliverable.ts";
 * isExecutionRoot("examples"); // true
 * ```
 */
export function isExecutionRoot(dir: string, lookups?: Lookups): boolean {
  // Two stats, not a listing: an ancestor such as /tmp or a home folder may hold thousands of
  // names. `lookups` answers from the listings a run has made, where it has made them.
  const kind = (path: string) => lookups ? lookups.statKind(path) : kindOf(path);
  return kind(join(dir, "INIT.md")) === "file" || kind(join(dir, "_Decomposition")) === "folder";
}

/**
 * Whether the folder `name` of `dir` is a tool root: a `_`-named folder of an
 * execution root (`_Scripts/`, `_Reconciliation/`), which holds derived
 * outputs and snapshot copies of deliverables. A walk of a root does not
 * enter it: a snapshot's `RunRecords.csv` is a copy, not a deliverable's
 * history (a tool root given as the target itself is read).
 *
 * @example
 * ```ts
 * import { isToolRoot } from "./deliverable.ts";
 * isToolRoot("examples", "_Reconciliation"); // true: examples is an execution root
 * ```
 */
export function isToolRoot(dir: string, name: string): boolean {
  return name.startsWith("_") && isExecutionRoot(dir);
}

/**
 * The execution root whose tool root (`_Archive/`, `_Reconciliation/`) holds
 * `folder`, the nearest above it (a nested one, an archived whole project,
 * is inside the outer root's tool root); `undefined` when none does, or when
 * a linked work tree's execution root comes first (one kept in `_worktrees/`
 * is a checkout, not a snapshot). A snapshot or a retired copy
 * there has its original's ID by right.
 *
 * @example
 * ```ts
 * import { toolRootOwner } from "./deliverable.ts";
 * toolRootOwner("examples/_Archive/DEL-01-02_Flow_Meter_Selection"); // "examples"
 * ```
 */
export function toolRootOwner(folder: string, lookups?: Lookups): string | undefined {
  // No `_` folder on the path (most runs): no tool root holds it, and nothing is asked.
  if (!/(^|\/)_/.test(resolve(folder))) return undefined;
  for (
    let dir = resolve(folder), parent = dirname(dir);
    parent !== dir;
    dir = parent, parent = dirname(dir)
  ) {
    const name = basename(dir);
    if (name.startsWith("_") && isExecutionRoot(parent, lookups)) return parent;
    // A linked work tree's root (kept in `_worktrees/`: its `.git` is a file): a checkout, not a
    // snapshot in the outer one's tool root (review-x F2). A whole clone archived (`.git` a
    // folder) is a copy like any other (review-y F4).
    if (dotGitOf(dir, lookups) === "file" && isExecutionRoot(dir, lookups)) return undefined;
  }
  return undefined;
}

/**
 * The root of the git work tree holding `dir`: the nearest of `dir` and its
 * ancestors whose `.git` ends git's search (./dot_git.ts: a `.git` file, as
 * worktrees and submodules have, or a folder holding a repository), unless `$GIT_CEILING_DIRECTORIES` keeps git's search from it. No `git`
 * process is started. `undefined` outside a work tree. `lookups` answers the
 * look-ups (default: the system).
 *
 * @example
 * ```ts
 * import { findGitRoot } from "./deliverable.ts";
 * const root = await Deno.makeTempDir();
 * await new Deno.Command("git", { args: ["init", "-q", root] }).output();
 * await Deno.mkdir(`${root}/a/b`, { recursive: true });
 * console.log(findGitRoot(`${root}/a/b`) === root); // true
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function findGitRoot(dir: string, lookups?: Lookups): string | undefined {
  const top = nearestAncestor(
    dir,
    true,
    (candidate) => dotGitOf(candidate, lookups) !== undefined,
  );
  return top !== undefined && ceilingHides(dir, top) ? undefined : top;
}

/**
 * Throws {@linkcode InputError} (one line, naming `shown`) when no project
 * root (a git work tree, or an execution root) holding `dir` is in sight:
 * this process may not read above some ancestor of `dir` (an `--allow-read`
 * narrowed to a folder, as the sandboxed build's is) and no root is found
 * below it. A look-up refused there is no answer: the root may be there,
 * and what runrec reads (and how it names a deliverable) depends on it.
 * `lookups`: as for {@linkcode findGitRoot}.
 *
 * @example
 * ```ts
 * import { requireRootInSight } from "./deliverable.ts";
 * requireRootInSight("examples/PKG-01_Field_Instruments", "PKG-01"); // fine with --allow-read
 * ```
 */
export function requireRootInSight(dir: string, shown: string, lookups?: Lookups): void {
  const seen = rootOutOfSight(dir, lookups);
  if (seen === undefined) return;
  throw new RootOutOfSight(
    `${shown}: cannot see above ${seen} for its project's root (.git or INIT.md; ` +
      "runrec-sandboxed reads only the folder it was started in): start runrec from the " +
      "repository root, naming the folder from there",
    { path: shown },
  );
}

/**
 * The highest folder this process may see of `dir` and its ancestors when
 * no project root holding `dir` is in sight there ({@linkcode
 * requireRootInSight} would throw), else `undefined`.
 *
 * @example
 * ```ts
 * import { rootOutOfSight } from "./deliverable.ts";
 * console.log(rootOutOfSight("examples")); // undefined with --allow-read
 * ```
 */
export function rootOutOfSight(dir: string, lookups?: Lookups): string | undefined {
  const seen = sightLimit(resolve(dir));
  if (seen === undefined) return undefined;
  const found = findGitRoot(dir, lookups) !== undefined ||
    findExecutionRoot(dir, lookups) !== undefined;
  return found ? undefined : seen;
}

/**
 * The error of {@linkcode requireRootInSight}: runrec is to be started again from the project's
 * root, where a path relative to the folder it was started in names nothing.
 */
export class RootOutOfSight extends InputError {}

/** The highest of `dir` (absolute) and its ancestors whose parent this process may not read. */
function sightLimit(dir: string): string | undefined {
  for (let seen = dir; dirname(seen) !== seen; seen = dirname(seen)) {
    if (Deno.permissions.querySync({ name: "read", path: dirname(seen) }).state !== "granted") {
      return seen;
    }
  }
  return undefined;
}

/**
 * Throws {@linkcode InputError} (one line, naming `shown`) unless `path` is
 * an existing folder. The error's `path` is `shown`, the folder as given; a
 * folder given by an option (`--agents-dir`) names it as `field`, before
 * `shown` in the message.
 *
 * @example
 * ```ts
 * import { requireFolder } from "./deliverable.ts";
 * requireFolder(".", "."); // fine
 * ```
 */
export function requireFolder(path: string, shown: string = path, field?: string): void {
  const named = field === undefined ? shown : `${field} ${shown}`;
  const where = { path: shown, ...field !== undefined && { field } };
  const problem = backslashProblem(shown);
  if (problem) throw new InputError(`${named}: ${problem}`, where);
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(path);
  } catch (e) {
    throw new InputError(
      e instanceof Deno.errors.NotFound
        ? `${named}: no such folder`
        : `${named}: cannot read the folder: ${(e as Error).message}`,
      { cause: e, ...where },
    );
  }
  if (!stat.isDirectory) throw new InputError(notAFolder(named, path), where);
}

/**
 * `<shown>: is not a folder`, and, for a file in a deliverable folder (`stale Datasheet.md`),
 * the folder to name instead.
 *
 * @example
 * ```ts
 * import { notAFolder } from "./deliverable.ts";
 * notAFolder("examples/INIT.md"); // "examples/INIT.md: is not a folder"
 * ```
 */
export function notAFolder(shown: string, path: string = shown): string {
  const inside = enclosingDeliverable(path);
  return `${shown}: is not a folder${inside}${inside === "" ? "" : ": name that"}`;
}

/**
 * Why `path` cannot be used on a POSIX host when it, or the working folder
 * it is taken from, holds a backslash: runrec reads `\` as a folder
 * separator (SCHEMA.md 2.2), so it would name another file. `undefined`
 * when neither holds one.
 */
function backslashProblem(path: string): string | undefined {
  if (Deno.build.os === "windows") return undefined;
  let where = path.includes("\\") ? "the path" : undefined;
  if (where === undefined && !isAbsolute(path)) {
    try {
      if (Deno.cwd().includes("\\")) where = `the working folder ${Deno.cwd()}`;
    } catch { /* no permission to ask: nothing to say */ }
  }
  if (where === undefined) return undefined;
  const said = "runrec reads a backslash as a folder separator (SCHEMA.md 2.2)";
  // A name holding one is there: the path names it, not a Windows habit (fs-semantics F1).
  if (where === "the path" && kindOf(path) !== "other") {
    return `${said}, and a name in the path holds one: rename it`;
  }
  const slashed = where === "the path" ? slashedSpelling(path) : undefined;
  if (slashed) {
    return `${said}, and will not guess: write the ${slashed.kind} with /: ${slashed.path}`;
  }
  // Nothing of that name either way (`C:\proj\DEL-01-03`): there is nothing to rename.
  if (where === "the path") {
    return /^[a-zA-Z]:(?:[\\/]|$)/.test(path)
      ? `a Windows drive path, which names no folder on ${Deno.build.os}: give the path as this ` +
        "system names it (relative, or from /)"
      : `${said}: no such folder, written with / either (${path.replaceAll("\\", "/")})`;
  }
  return `${said}, and ${where} holds one: rename it`;
}

/**
 * `path` with its backslashes written as `/` and what it names there, when it names a folder
 * or file (the separators of a Windows habit); else `undefined`.
 */
function slashedSpelling(path: string): { path: string; kind: string } | undefined {
  const slashed = path.replaceAll("\\", "/");
  const kind = kindOf(slashed);
  return kind === "other" ? undefined : { path: slashed, kind };
}

/**
 * Throws an {@linkcode InputError} when {@linkcode backslashProblem} has one for `path`.
 *
 * @example
 * ```ts
 * import { refuseBackslash } from "./deliverable.ts";
 * refuseBackslash("PKG-01/DEL-01-02_X"); // no backslash: returns
 * ```
 */
export function refuseBackslash(path: string): void {
  const problem = backslashProblem(path);
  if (problem) throw new InputError(`${path}: ${problem}`, { path });
}
