/**
 * Turns the targets of the read commands (`validate`, `verify`, `log`,
 * `show`) into record files: a file is itself, a deliverable folder is its
 * `RunRecords.csv`, any other folder is every `RunRecords.csv` beneath it.
 *
 * @module
 */
import { basename, join } from "./path.ts";
import { InputError } from "./errors.ts";
import { sortUtf8 } from "./manifest.ts";
import { RECORD_FILE } from "./store.ts";

/** One record file a target stands for. */
export interface RecordTarget {
  /** Path of the record file, built from the target as given (relative stays relative). */
  path: string;
  /** The command-line target it came from. */
  target: string;
  /**
   * Whether the file exists. `false` only for a deliverable folder that has no
   * `RunRecords.csv` yet: no runs recorded, which is not an error.
   */
  exists: boolean;
}

/** Folder names that are never searched for record files. */
const SKIPPED_FOLDERS = new Set([".git", "node_modules"]);

/** `DEL-XX-YY_Label` (or just `DEL-XX-YY`): the name of a deliverable folder. */
const DELIVERABLE_FOLDER = /^DEL-[0-9]{2,}-[0-9]{2,}(?:_|$)/;

/**
 * Whether a folder name is that of a deliverable folder (`DEL-XX-YY_Label`).
 *
 * @example
 * ```ts
 * import { isDeliverableFolderName } from "./targets.ts";
 * isDeliverableFolderName("DEL-01-02_Some_Deliverable"); // true
 * isDeliverableFolderName("PKG-01_Package"); // false
 * ```
 */
export function isDeliverableFolderName(name: string): boolean {
  return DELIVERABLE_FOLDER.test(name);
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw new InputError(`${path}: cannot read: ${(e as Error).message.split("\n")[0]}`);
  }
}

/** A record file that is a folder, a FIFO or a device: reading it would mislead or block. */
function notRegular(path: string): InputError {
  return new InputError(`${path}: not a regular file (a folder, FIFO or device)`);
}

/**
 * Every `RunRecords.csv` beneath `root`, sorted by path (UTF-8 byte order).
 * `.git` and `node_modules` are skipped, and symbolic links to folders are
 * not followed (they could loop).
 *
 * @example
 * ```ts
 * import { findRecordFiles } from "./targets.ts";
 * for (const file of await findRecordFiles("examples")) console.log(file);
 * ```
 */
export async function findRecordFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch (e) {
      throw new InputError(`${dir}: cannot list folder: ${(e as Error).message.split("\n")[0]}`);
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.name === RECORD_FILE) {
        // A link to a record file counts; anything else of that name is named, not passed over.
        if (entry.isFile || (await statOrUndefined(path))?.isFile) found.push(path);
        else throw notRegular(path);
      } else if (entry.isDirectory) {
        if (!SKIPPED_FOLDERS.has(entry.name)) await walk(path);
      }
    }
  };
  await walk(root);
  return sortUtf8(found);
}

/**
 * Resolves command-line targets into record files, in the order given
 * (files beneath a root sorted), each file once:
 *
 * - a file → itself, whatever its name;
 * - a folder holding `RunRecords.csv`, or named `DEL-XX-YY_…` → its
 *   `RunRecords.csv` (`exists: false` when it has none yet);
 * - any other folder → every `RunRecords.csv` beneath it (possibly none).
 *
 * Throws {@linkcode InputError} for a target that does not exist.
 *
 * @example
 * ```ts
 * import { resolveTargets } from "./targets.ts";
 * for (const t of await resolveTargets(["examples/"])) {
 *   console.log(t.path, t.exists ? "" : "(no records yet)");
 * }
 * ```
 */
export async function resolveTargets(targets: readonly string[]): Promise<RecordTarget[]> {
  const resolved: RecordTarget[] = [];
  const seen = new Set<string>();
  const add = async (path: string, target: string, exists: boolean) => {
    // Same file named twice (or through two targets): check it once.
    const key = exists ? await Deno.realPath(path).catch(() => path) : path;
    if (seen.has(key)) return;
    seen.add(key);
    resolved.push({ path, target, exists });
  };
  for (const target of targets) {
    const info = await statOrUndefined(target);
    if (!info) throw new InputError(`${target}: no such file or folder`);
    if (info.isFile) {
      await add(target, target, true);
      continue;
    }
    if (!info.isDirectory || basename(target.replace(/[\\/]+$/, "")) === RECORD_FILE) {
      throw notRegular(target);
    }
    const own = join(target, RECORD_FILE);
    const ownInfo = await statOrUndefined(own);
    if (ownInfo && !ownInfo.isFile) throw notRegular(own);
    if (ownInfo?.isFile) {
      await add(own, target, true);
    } else if (isDeliverableFolderName(basename(await Deno.realPath(target)))) {
      await add(own, target, false);
    } else {
      for (const file of await findRecordFiles(target)) await add(file, target, true);
    }
  }
  return resolved;
}
