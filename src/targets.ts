/**
 * Turns the targets of the read commands (`validate`, `verify`, `log`,
 * `show`) into record files: a file is itself, a deliverable folder is its
 * `RunRecords.csv`, any other folder is every `RunRecords.csv` beneath it.
 *
 * @module
 */
import { basename, join } from "./path.ts";
import { DELIVERABLE_FOLDER } from "./deliverable.ts";
import { InputError } from "./errors.ts";
import { sortUtf8 } from "./manifest.ts";
import { RECORD_FILE } from "./store.ts";
import { walk } from "./walk.ts";

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
 * Every `RunRecords.csv` beneath `root`, sorted by path (UTF-8 byte order),
 * as {@linkcode walk} finds them: `.git`, `node_modules` and `.runrec*` are
 * skipped, and symbolic links to folders are not followed (they could loop).
 *
 * @example
 * ```ts
 * import { findRecordFiles } from "./targets.ts";
 * for (const file of findRecordFiles("examples")) console.log(file);
 * ```
 */
export function findRecordFiles(root: string): string[] {
  const found: string[] = [];
  const unlistable = (dir: string, error: Error) => {
    throw new InputError(`${dir}: cannot list folder: ${error.message.split("\n")[0]}`);
  };
  for (const entry of walk(root, { unlistable })) {
    if (entry.name !== RECORD_FILE) continue;
    // A link to a record file counts; anything else of that name is named, not passed over.
    if (entry.kind !== "file") throw notRegular(entry.path);
    found.push(entry.path);
  }
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
    } else if (DELIVERABLE_FOLDER.test(basename(await Deno.realPath(target)))) {
      await add(own, target, false);
    } else {
      for (const file of findRecordFiles(target)) await add(file, target, true);
    }
  }
  return resolved;
}
