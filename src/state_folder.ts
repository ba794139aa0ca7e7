/**
 * runrec's state folders (`.runrec/`, `.runrec-spool/`, the user's spool):
 * each ignores itself in git with a `.gitignore` of `*`, and a write into one
 * that fails (a full disk) leaves nothing behind that git or the user sees.
 *
 * @module
 */
import { kindOf } from "./walk.ts";
import { dirname, join } from "./path.ts";
import { hostname, pidAlive } from "./lock.ts";

/** What {@linkcode inStateFolder} checks and how it creates the folder. */
export interface StateFolderOptions {
  /** Mode of the folder when it is created (before the umask). */
  mode?: number;
  /** Throws when the folder must not be used; runs before anything is written into it. */
  check?: (folder: string) => void;
}

/**
 * Runs `write` in `folder`, a state folder git must not see: creates it
 * when missing and puts a `.gitignore` of `*` in it first. When anything
 * fails in a folder this call created, the folder (and its `.gitignore`)
 * is removed again if nothing else was put in it, and the error is thrown.
 *
 * @example
 * ```ts
 * import { inStateFolder, writeFileDurably } from "./state_folder.ts";
 * inStateFolder("DEL-01-02_X/.runrec", () =>
 *   writeFileDurably("DEL-01-02_X/.runrec/note.json", "{}\n"));
 * ```
 */
export function inStateFolder<T>(
  folder: string,
  write: () => T,
  options: StateFolderOptions = {},
): T {
  refuseLinkedStateFolder(folder);
  // Looked up first: every append writes the SEQ index here, and a thrown
  // AlreadyExists would cost each of them an exception.
  const created = kindOf(folder) !== "folder";
  if (created) makeFolders(folder, options.mode);
  try {
    options.check?.(folder);
    const ignore = join(folder, ".gitignore");
    if (readOrUndefined(ignore) !== "*\n") writeFileDurably(ignore, "*\n");
    return write();
  } catch (e) {
    if (created) removeIfUnused(folder);
    throw e;
  }
}

/**
 * What an entry of a state folder is when it is not the file runrec wrote
 * there: a link, a folder, or another kind.
 *
 * @example
 * ```ts
 * import { notAFile } from "./state_folder.ts";
 * notAFile({ name: "x.json", isFile: false, isDirectory: true, isSymlink: false }); // "a folder"
 * ```
 */
export function notAFile(entry: Deno.DirEntry): string {
  return entry.isSymlink ? "a symbolic link" : entry.isDirectory ? "a folder" : "not a file";
}

/** Throws when {@linkcode linkedStateFolder} finds a link on the way to `folder`. */
function refuseLinkedStateFolder(folder: string): void {
  const linked = linkedStateFolder(folder);
  if (linked === undefined) return;
  throw new Error(
    `${linked}: not used: a symbolic link, not a folder of the deliverable (runrec's files ` +
      "would go where it leads)",
  );
}

/**
 * The first folder of `folder`, from its `.runrec` one down (`.runrec/`,
 * `.runrec/pending/`), that is a symbolic link; `undefined` when none is, or
 * `folder` is in no such folder. A link committed in its place would send
 * runrec's files, and the sandboxed build's, out of the deliverable
 * (sandboxed-sweep F1); `.runrec-spool/` is checked so where it is used.
 *
 * @example
 * ```ts
 * import { linkedStateFolder } from "./state_folder.ts";
 * linkedStateFolder("DEL-01-02_X/.runrec/pending"); // undefined, unless a link is on the way
 * ```
 */
export function linkedStateFolder(folder: string): string | undefined {
  const parts = folder.split("/");
  const top = parts.indexOf(".runrec");
  if (top < 0) return undefined;
  for (let i = top; i < parts.length; i++) {
    const path = parts.slice(0, i + 1).join("/");
    try {
      if (Deno.lstatSync(path).isSymlink) return path;
    } catch {
      return undefined; // not there (yet): nothing beneath it is a link
    }
  }
  return undefined;
}

/**
 * Writes `text` to `path` through a temporary file beside it (fsync, then
 * rename over `path`), so that `path` is never empty or half written; when
 * that fails the temporary file is removed and the error thrown.
 *
 * @example
 * ```ts
 * import { writeFileDurably } from "./state_folder.ts";
 * writeFileDurably("DEL-01-02_X/.runrec-spool/.gitignore", "*\n");
 * ```
 */
export function writeFileDurably(path: string, text: string): void {
  refuseLinkedStateFolder(dirname(path)); // `.runrec/pending/` may be the link
  const temporary = temporaryPath(path);
  const file = Deno.openSync(temporary, { write: true, createNew: true });
  try {
    const bytes = new TextEncoder().encode(text);
    for (let done = 0; done < bytes.length;) done += file.writeSync(bytes.subarray(done));
    file.syncSync();
    file.close();
    Deno.renameSync(temporary, path);
    syncFolder(dirname(path));
  } catch (e) {
    try {
      file.close();
    } catch { /* closed already */ }
    try {
      Deno.removeSync(temporary);
    } catch { /* the write's own error is the one reported */ }
    throw e;
  }
}

/**
 * Appends `text` to `path` (created when missing) and, when `sync`, fsyncs
 * it, and its folder when it was created: what a power loss must not take
 * once the caller is told it is written.
 *
 * @example
 * ```ts
 * import { appendDurably } from "./state_folder.ts";
 * appendDurably("DEL-01-02_X/.runrec/RunRecords.csv.journal", "\n{}", true);
 * ```
 */
export function appendDurably(path: string, text: string, sync: boolean): void {
  const created = isMissing(path);
  using file = Deno.openSync(path, { append: true, create: true });
  const bytes = new TextEncoder().encode(text);
  for (let done = 0; done < bytes.length;) done += file.writeSync(bytes.subarray(done));
  if (!sync) return;
  try {
    file.syncSync();
  } catch (e) {
    throw new NotSynced(e as Error);
  }
  if (created) syncFolder(dirname(path));
}

/**
 * {@linkcode appendDurably}'s text was written, but its fsync failed: in the file, not confirmed
 * to be on the disk.
 *
 * @example
 * ```ts
 * import { appendDurably, NotSynced } from "./state_folder.ts";
 * try {
 *   appendDurably("DEL-01-02_X/.runrec/RunRecords.csv.journal", "\n{}", true);
 * } catch (e) {
 *   if (e instanceof NotSynced) console.error(`written, not synced: ${e.cause}`);
 * }
 * ```
 */
export class NotSynced extends Error {
  constructor(cause: Error) {
    super(`written, but its fsync failed: ${cause.message}`, { cause });
  }
}

/**
 * A temporary file's path beside `path`, to be renamed over it: named with
 * the writing process (`<pid>@<host>`), so that a writer killed before its
 * rename leaves one {@linkcode removeAbandonedTemporaries} can tell from a
 * live writer's.
 *
 * @example
 * ```ts
 * import { temporaryPath } from "./state_folder.ts";
 * temporaryPath("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json");
 * // "….json.3f2a9c1e-4242@build-7.tmp"
 * ```
 */
export function temporaryPath(path: string): string {
  return `${path}.${crypto.randomUUID().slice(0, 8)}-${Deno.pid}@${thisHost()}.tmp`;
}

/**
 * How old a temporary file must be to be taken as abandoned when its name
 * does not say a writer runrec can ask about (one named before writers were
 * named, or another machine's): one hour; a writer renames its file within
 * moments.
 */
export const ABANDONED_AFTER_MS = 3_600_000;

/**
 * A temporary file of {@linkcode temporaryPath} (or of older runrecs: no
 * writer named), or a marker's copy written aside or taken over
 * (`<marker>.new-<pid>@<host>`, `.gone-`: see pending.ts `holdMarker`).
 */
const TEMPORARY =
  /(?:\.[0-9a-f]{8}(?:-([0-9]+)@([0-9A-Za-z._-]*))?\.tmp|\.(?:new|gone)-([0-9]+)@([0-9A-Za-z._-]*))$/;

/**
 * Removes the temporary files in `folder` that a writer killed between
 * writing and renaming them left behind, and returns their paths: those
 * whose writer, a process of this machine, is gone; those that name no
 * writer runrec can ask about once older than {@linkcode ABANDONED_AFTER_MS}.
 * A file whose writer is alive is never removed: it may be about to be
 * renamed. A folder that cannot be listed holds none.
 *
 * @example
 * ```ts
 * import { removeAbandonedTemporaries } from "./state_folder.ts";
 * for (const path of removeAbandonedTemporaries("DEL-01-02_X/.runrec/pending")) console.log(path);
 * ```
 */
export function removeAbandonedTemporaries(folder: string): string[] {
  const now = Date.now();
  const removed: string[] = [];
  for (const name of fileNamesIn(folder)) {
    const match = TEMPORARY.exec(name);
    if (!match) continue;
    const path = join(folder, name);
    try {
      const pid = match[1] ?? match[3];
      const host = match[2] ?? match[4];
      const abandoned = pid !== undefined && host === thisHost()
        ? pidAlive(Number(pid)) === false
        : now - (Deno.statSync(path).mtime?.getTime() ?? now) > ABANDONED_AFTER_MS;
      if (!abandoned) continue;
      Deno.removeSync(path);
      removed.push(path);
    } catch { /* renamed or removed meanwhile, or not ours to remove: left */ }
  }
  return removed;
}

/**
 * The names of the files (not folders) in `folder`; none when it cannot be
 * listed (missing, or not ours to read), which a sweep of leftovers skips.
 *
 * @example
 * ```ts
 * import { fileNamesIn } from "./state_folder.ts";
 * const names = fileNamesIn("DEL-01-02_X/.runrec/pending");
 * ```
 */
export function fileNamesIn(folder: string): string[] {
  try {
    return [...Deno.readDirSync(folder)].filter((e) => e.isFile).map((e) => e.name);
  } catch {
    return [];
  }
}

/** This machine's name as a file name holds it. */
function thisHost(): string {
  return hostname().replace(/[^0-9A-Za-z._-]/g, "_");
}

/**
 * Whether no entry is at `path` (`lstat` finds nothing): what creating it adds to its folder.
 * Not `isGone` of ./lookups.ts, which follows links: a dangling symbolic link is an entry here
 * (an open that creates follows it and makes its target, elsewhere), gone there. A name under a
 * file, or under a folder that cannot be searched, is not missing either: creating it fails.
 *
 * @example
 * ```ts
 * import { isMissing } from "./state_folder.ts";
 * isMissing("/no/such/folder"); // true
 * ```
 */
export function isMissing(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return false;
  } catch (e) {
    return e instanceof Deno.errors.NotFound;
  }
}

function readOrUndefined(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Removes a folder this process just created when it holds nothing but its
 * `.gitignore`. (Another process that found the folder meanwhile and wrote
 * into it keeps it: the folder is then not empty and stays.)
 */
function removeIfUnused(folder: string): void {
  try {
    const names = [...Deno.readDirSync(folder)].map((e) => e.name);
    if (!names.every((n) => n === ".gitignore")) return;
    if (names.length > 0) Deno.removeSync(join(folder, ".gitignore"));
    Deno.removeSync(folder);
  } catch { /* left as it is: the write's own error is the one reported */ }
}

/**
 * Makes `folder` and the folders missing above it, and syncs the folder
 * that holds each one made: a file later synced in a folder whose own entry
 * was not can be gone after a power loss (POSIX; ext4's and XFS's rules).
 *
 * @example
 * ```ts
 * import { makeFolders } from "./state_folder.ts";
 * makeFolders("DEL-01-02_X/.runrec/pending");
 * ```
 */
export function makeFolders(folder: string, mode = 0o777): void {
  const missing: string[] = [];
  for (let f = folder; isMissing(f) && dirname(f) !== f; f = dirname(f)) missing.push(f);
  Deno.mkdirSync(folder, { recursive: true, mode });
  for (const made of missing.reverse()) syncFolder(dirname(made));
}

/**
 * Flushes a folder's entries (a file created or renamed in it) to disk; not
 * possible everywhere, so best effort. Returns the fsync's failure (EIO,
 * ENOSPC), for a caller that must not report the entry durable; a folder
 * that cannot be opened (Windows) or synced (EINVAL, ENOTSUP: a file system
 * that has no such sync) is no failure.
 *
 * @example
 * ```ts
 * import { syncFolder } from "./state_folder.ts";
 * syncFolder("DEL-01-02_X/.runrec"); // undefined
 * ```
 */
export function syncFolder(path: string): Error | undefined {
  let folder: Deno.FsFile;
  try {
    folder = Deno.openSync(path, { read: true });
  } catch {
    return undefined; // Windows cannot open a folder; the rename stands
  }
  try {
    folder.syncSync();
  } catch (e) {
    const code = (e as { code?: string }).code;
    return code === "EINVAL" || code === "ENOTSUP" ? undefined : e as Error;
  } finally {
    folder.close();
  }
}
