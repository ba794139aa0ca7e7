/**
 * What a command changed in a deliverable folder: the folder's files hashed
 * before and after, compared. runrec's own files never count.
 *
 * @module
 */
import { hashFiles } from "./hash.ts";
import { isRunrecOwn, relativePath } from "./inputs.ts";
import { sortUtf8 } from "./manifest.ts";
import { DELETED, TBD } from "./schema.ts";
import { walk } from "./walk.ts";
import { CollidingNames } from "./names.ts";

/** The files of a folder: POSIX path relative to it → SHA-256, or `TBD` when unreadable. */
export type FolderSnapshot = Map<string, string>;

/**
 * Hashes every regular file beneath `dir` (links followed; `.git`,
 * `node_modules` and runrec's own files left out). A folder that does not
 * exist is empty.
 *
 * @example
 * ```ts
 * import { snapshotFolder } from "./snapshot.ts";
 * const before = await snapshotFolder("DEL-01-02_X");
 * console.log(before.get("Datasheet.md"));
 * ```
 */
export async function snapshotFolder(dir: string): Promise<FolderSnapshot> {
  const files: string[] = [];
  // Several names read as one path: none is hashed, so the path is TBD, as an unreadable file.
  const colliding: string[] = [];
  // A FIFO, socket or device is there, unreadable: TBD, as any file that cannot be read, never
  // taken for a file deleted (bad-input F5).
  const unreadable: string[] = [];
  const unlistable = (path: string, error: Error) => {
    if (error instanceof CollidingNames) colliding.push(path);
  };
  for (const entry of walk(dir, { unlistable })) {
    if (isRunrecOwn(dir, relativePath(dir, entry.path))) continue;
    if (entry.kind === "file") files.push(entry.path);
    else if (entry.kind === "other") unreadable.push(entry.path);
  }
  const hashes = await hashFiles(files);
  const snapshot: FolderSnapshot = new Map();
  for (const path of files) {
    const hash = hashes.get(path);
    snapshot.set(relativePath(dir, path), typeof hash === "string" ? hash : TBD);
  }
  for (const path of [...colliding, ...unreadable]) snapshot.set(relativePath(dir, path), TBD);
  return snapshot;
}

/**
 * The files created, modified or deleted between two snapshots, sorted, each
 * with its hash after (`DELETED` for a deleted file), as a record's outputs.
 *
 * @example
 * ```ts
 * import { changedFiles } from "./snapshot.ts";
 * const before = new Map([["a.md", "1".repeat(64)], ["b.md", "2".repeat(64)]]);
 * const after = new Map([["a.md", "3".repeat(64)], ["c.md", "4".repeat(64)]]);
 * changedFiles(before, after);
 * // { "a.md": "333…", "b.md": "DELETED", "c.md": "444…" }
 * ```
 */
export function changedFiles(
  before: FolderSnapshot,
  after: FolderSnapshot,
): Record<string, string> {
  const changed = new Map<string, string>();
  for (const [path, hash] of after) {
    if (before.get(path) !== hash) changed.set(path, hash);
  }
  for (const path of before.keys()) if (!after.has(path)) changed.set(path, DELETED);
  return Object.fromEntries(sortUtf8([...changed.keys()]).map((p) => [p, changed.get(p)!]));
}

/**
 * `exec`'s note on a SUCCESS or PARTIAL run that changed no file of `delDir`: a command that wrote
 * nothing here most likely wrote elsewhere, and stale reads it as a run that wrote nothing.
 *
 * @example
 * ```ts
 * import { changedNothingNote } from "./snapshot.ts";
 * changedNothingNote("DEL-01-02_X"); // "no file of DEL-01-02_X changed while CMD ran (…)"
 * ```
 */
export function changedNothingNote(delDir: string): string {
  return `no file of ${delDir} ${CHANGED_NOTHING}`;
}

/**
 * `exec`'s note on a run whose command left processes running (process group `group`): files
 * they write later are in no record.
 *
 * @example
 * ```ts
 * import { leftRunningNote } from "./snapshot.ts";
 * leftRunningNote(4242); // "CMD left processes running (process group 4242); …"
 * ```
 */
export function leftRunningNote(group: number): string {
  return `${LEFT_RUNNING} (process group ${group}); files they write later are not in this record`;
}

const CHANGED_NOTHING = "changed while CMD ran (CMD runs in the current folder: did it write " +
  "elsewhere?)";
const LEFT_RUNNING = "CMD left processes running";

/**
 * Whether a run's Notes say `exec` saw it change no file of its folder and it left no process
 * running: it wrote nothing there, though it names no output (a run that names none otherwise may
 * have written anything).
 *
 * @example
 * ```ts
 * import { changedNothingNote, saysItChangedNothing } from "./snapshot.ts";
 * saysItChangedNothing(`${changedNothingNote("D")} | run 20261205T080739096Z-4ea7c4d1`); // true
 * saysItChangedNothing(""); // false
 * ```
 */
export function saysItChangedNothing(notes: string): boolean {
  const said = notes.split(" | ");
  return said.some((note) => note.startsWith("no file of ") && note.endsWith(CHANGED_NOTHING)) &&
    !said.some((note) => note.startsWith(LEFT_RUNNING));
}
