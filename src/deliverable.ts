/**
 * Where a deliverable folder sits in the project tree: its ID, its execution
 * root and git root, and every deliverable folder beneath a root.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "./path.ts";
import { InputError } from "./errors.ts";
import { sortUtf8 } from "./manifest.ts";

/** A deliverable folder's name: `DEL-XX-YY`, then `_Label` or nothing. */
const DELIVERABLE_FOLDER = /^(DEL-[0-9]{2,}-[0-9]{2,})(?:_|$)/;
const ID_AT_START = /^(DEL-[0-9]{2,}-[0-9]{2,})(?![0-9A-Za-z-])/;
// `**DeliverableID:** X`, `- **Deliverable ID:** X`, also `**Deliverable ID**: X`.
const ID_FIELD = /^\s*(?:[-*]\s+)?\*\*Deliverable ?ID(?::\*\*|\*\*:)(.*)$/i;
// `# Context: DEL-99-02`, also with an em dash as real projects write it.
const CONTEXT_HEADING = /^#{1,6}\s+Context\s*[:—–-]\s*(.*)$/i;

/** Folders never searched for deliverables. */
const SKIPPED_FOLDERS = new Set([".git", "node_modules"]);

/**
 * The lines of a host Markdown file, its BOM dropped, for LF and CRLF alike.
 * Without regular expressions: a first `split(/\r?\n/)` measured ~0.7 ms in a
 * fresh process, which every `emit` is.
 *
 * @example
 * ```ts
 * import { markdownLines } from "./deliverable.ts";
 * markdownLines("\uFEFF# A\r\nb\n"); // ["# A", "b", ""]
 * ```
 */
export function markdownLines(text: string): string[] {
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].endsWith("\r")) lines[i] = lines[i].slice(0, -1);
  }
  return lines;
}

/**
 * The ID in a `_CONTEXT.md` text, or `undefined` when it names none. A field
 * line wins over the heading. A field whose value is not a deliverable ID is
 * bad input: guessing the ID would file records under the wrong deliverable.
 */
function idFromContext(text: string, fileName: string): string | undefined {
  const lines = markdownLines(text);
  let fromHeading: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const field = ID_FIELD.exec(lines[i]);
    if (field) {
      const value = field[1].trim().replace(/^`|`$/g, "");
      const id = ID_AT_START.exec(value);
      if (id) return id[1];
      throw new InputError(
        `${fileName} line ${i + 1}: DeliverableID ${JSON.stringify(value)} is not DEL-XX-YY`,
      );
    }
    const heading = CONTEXT_HEADING.exec(lines[i]);
    if (heading && fromHeading === undefined) {
      fromHeading = ID_AT_START.exec(heading[1].trim())?.[1];
    }
  }
  return fromHeading;
}

/**
 * The deliverable ID (`DEL-XX-YY`) of a deliverable folder: from `_CONTEXT.md`
 * (`**DeliverableID:**`, `**Deliverable ID:**` or a `# Context: DEL-XX-YY`
 * heading), else from the folder name `DEL-XX-YY_Label`. When both name an ID
 * and they differ, `_CONTEXT.md` wins: it is the deliverable's declared
 * identity, while the folder's name is only expected to keep its ID prefix.
 *
 * @throws {InputError} when neither names an ID, `_CONTEXT.md` cannot be read,
 * or its ID field holds something else.
 *
 * @example
 * ```ts
 * import { deliverableId } from "./deliverable.ts";
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/DEL-01-02_Some_Deliverable`);
 * console.log(await deliverableId(`${root}/DEL-01-02_Some_Deliverable`)); // "DEL-01-02"
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function deliverableId(delDir: string, list: ListFolder = folderEntries): Promise<string> {
  try {
    return Promise.resolve(deliverableIdSync(delDir, list));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** {@linkcode deliverableId}, synchronously: one small file, faster than the async pool. */
function deliverableIdSync(delDir: string, list: ListFolder): string {
  const contextFile = join(delDir, "_CONTEXT.md");
  let text: string | undefined;
  try {
    text = readFolderFile(contextFile, list);
  } catch (error) {
    throw new InputError(`${contextFile}: unreadable (${describe(error)})`);
  }
  const fromContext = text === undefined ? undefined : idFromContext(text, contextFile);
  if (fromContext) return fromContext;
  const fromFolder = DELIVERABLE_FOLDER.exec(basename(resolve(delDir)))?.[1];
  if (fromFolder) return fromFolder;
  throw new InputError(
    `${delDir}: no deliverable ID (no DeliverableID in _CONTEXT.md and the folder name ` +
      `does not start with DEL-XX-YY)`,
  );
}

function describe(error: unknown): string {
  if (error instanceof Deno.errors.InvalidData) return error.message;
  return error instanceof Error ? error.name : String(error);
}

/**
 * The text of a small file of a deliverable folder (`_CONTEXT.md`,
 * `_STATUS.md`, `_REFERENCES.md`), or `undefined` when there is none. Looked
 * up in its folder's listing (by `list`) first: a FIFO of that name would block
 * a read for ever, and a missing file then throws nothing.
 *
 * Throws `Deno.errors.InvalidData` ("not a regular file") for a folder, FIFO or
 * device of that name, and the system's error for a file it cannot read.
 *
 * @example
 * ```ts
 * import { readFolderFile } from "./deliverable.ts";
 * readFolderFile("DEL-01-02_X/_STATUS.md"); // its text, or undefined
 * ```
 */
export function readFolderFile(path: string, list: ListFolder = folderEntries): string | undefined {
  const entries = list(dirname(path));
  const kind = entries.get(basename(path));
  // An empty listing may be a folder that cannot be listed: then the read says what is wrong.
  if (kind === undefined && entries.size > 0) return undefined;
  if (kind === "folder" || kind === "other") {
    throw new Deno.errors.InvalidData("not a regular file: a folder, FIFO or device");
  }
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** What a name in a folder is, symbolic links followed. */
export type EntryKind = "file" | "folder" | "other";

/** Lists a folder as {@linkcode folderEntries} does; the walks below take one. */
export type ListFolder = (dir: string) => Map<string, EntryKind>;

/**
 * A {@linkcode ListFolder} that lists each folder once and answers from memory
 * after that: one run's view of the tree, shared by its walks (emit's walks to
 * the execution root, the git root and `.git`, and its spool check, list the
 * same folders; listing each once saved 0.5-0.65 ms per emit). Make one per run,
 * not one for a long-lived process: it never sees later changes.
 *
 * @example
 * ```ts
 * import { findExecutionRoot, findGitRoot, listingCache } from "./deliverable.ts";
 * const list = listingCache();
 * const root = await findExecutionRoot(".", list);
 * const gitRoot = await findGitRoot(".", list); // lists no folder twice
 * ```
 */
export function listingCache(): ListFolder {
  const listings = new Map<string, Map<string, EntryKind>>();
  return (dir) => {
    let entries = listings.get(dir);
    if (entries === undefined) listings.set(dir, entries = folderEntries(dir));
    return entries;
  };
}

/**
 * The entries of `dir` by name, from one listing; empty when `dir` cannot be
 * listed. Looking names up in a listing, rather than calling `stat` on paths
 * that may not exist, throws no errors: in a fresh process each thrown
 * `NotFound` costs ~0.06-0.2 ms, and the walks up to the execution and git
 * roots threw a dozen.
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
      let kind: EntryKind = entry.isFile ? "file" : entry.isDirectory ? "folder" : "other";
      if (entry.isSymlink) {
        try {
          const target = Deno.statSync(join(dir, entry.name));
          kind = target.isFile ? "file" : target.isDirectory ? "folder" : "other";
        } catch {
          kind = "other"; // a dangling link
        }
      }
      entries.set(entry.name, kind);
    }
  } catch { /* not a listable folder: nothing is found in it */ }
  return entries;
}

/** Synchronous: a few listings, each faster than a round trip through the async pool. */
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
 * an absolute path; `undefined` when there is none. `list` lists folders
 * (default: afresh; a {@linkcode listingCache} shares listings within a run).
 *
 * @example
 * ```ts
 * import { findExecutionRoot } from "./deliverable.ts";
 * const root = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${root}/INIT.md`, "");
 * await Deno.mkdir(`${root}/PKG-01_P/1_Working/DEL-01-02_D`, { recursive: true });
 * console.log(await findExecutionRoot(`${root}/PKG-01_P/1_Working/DEL-01-02_D`) === root); // true
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function findExecutionRoot(
  delDir: string,
  list: ListFolder = folderEntries,
): Promise<string | undefined> {
  return Promise.resolve(nearestAncestor(
    delDir,
    false,
    (dir) => {
      const entries = list(dir);
      return entries.get("INIT.md") === "file" || entries.get("_Decomposition") === "folder";
    },
  ));
}

/**
 * The root of the git work tree holding `dir`: the nearest of `dir` and its
 * ancestors with a `.git` folder or file (worktrees and submodules use a file).
 * No `git` process is started. `undefined` outside a work tree. `list` as for
 * {@linkcode findExecutionRoot}.
 *
 * @example
 * ```ts
 * import { findGitRoot } from "./deliverable.ts";
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/.git`);
 * await Deno.mkdir(`${root}/a/b`, { recursive: true });
 * console.log(await findGitRoot(`${root}/a/b`) === root); // true
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function findGitRoot(
  dir: string,
  list: ListFolder = folderEntries,
): Promise<string | undefined> {
  return Promise.resolve(nearestAncestor(dir, true, (candidate) => list(candidate).has(".git")));
}

/**
 * Every deliverable folder (named `DEL-XX-YY` or `DEL-XX-YY_Label`) at or
 * beneath `root`, sorted, as `root` joined with the relative path. Deliverable
 * folders are not searched further (deliverables do not nest), symbolic links
 * are not followed, `.git` and `node_modules` are skipped, and sub-folders that
 * cannot be listed are passed over.
 *
 * @throws {InputError} when `root` is not a readable folder.
 *
 * @example
 * ```ts
 * import { findDeliverables } from "./deliverable.ts";
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/PKG-01_P/1_Working/DEL-01-02_D`, { recursive: true });
 * console.log(await findDeliverables(root)); // [`${root}/PKG-01_P/1_Working/DEL-01-02_D`]
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function findDeliverables(root: string): Promise<string[]> {
  try {
    if (!(await Deno.stat(root)).isDirectory) throw new InputError(`${root}: not a folder`);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(
      `${root}: ${error instanceof Deno.errors.NotFound ? "not found" : "unreadable"}`,
    );
  }
  if (DELIVERABLE_FOLDER.test(basename(resolve(root)))) return [root];
  const found: string[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch {
      if (dir === root) throw new InputError(`${root}: unreadable`);
      continue;
    }
    for (const entry of entries) {
      if (!entry.isDirectory || SKIPPED_FOLDERS.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (DELIVERABLE_FOLDER.test(entry.name)) found.push(path);
      else pending.push(path);
    }
  }
  return sortUtf8(found);
}

/**
 * Throws {@linkcode InputError} (one line, naming `shown`) unless `path` is
 * an existing folder.
 *
 * @example
 * ```ts
 * import { requireFolder } from "./deliverable.ts";
 * requireFolder(".", "."); // fine
 * ```
 */
export function requireFolder(path: string, shown: string = path): void {
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(path);
  } catch (e) {
    throw new InputError(
      e instanceof Deno.errors.NotFound
        ? `${shown}: no such folder`
        : `${shown}: cannot read the folder: ${(e as Error).message}`,
    );
  }
  if (!stat.isDirectory) throw new InputError(`${shown}: is not a folder`);
}
