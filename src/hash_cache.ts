/**
 * The content hashes of unchanged files, kept between `stale` runs as git's
 * index and DVC's state database keep them: each file's SHA-256 with the
 * `stat` it had (device, inode, size, mtime, ctime, birth time), trusted
 * only while a fresh `stat` gives all six back. A change of content moves
 * ctime, which no program can set back (`touch -d` sets mtime, and moves
 * ctime), so a file whose `stat` is unchanged holds the bytes hashed.
 *
 * Only where the file system keeps a birth time: one that keeps none may
 * keep no change time of its own either (squashfs and ISO 9660 give mtime
 * as ctime: two images mounted in turn give one path the same device, inode
 * and times over other bytes), or has whole-second times (ext4 with 128-byte
 * inodes). Deno's ctime has whole seconds everywhere; RACY_MS covers that.
 *
 * The `stat` kept is the open file's, taken as its bytes were read: what the
 * path named then, whatever it names by the next look (a symbolic link or a
 * folder switched meanwhile, and back). Racy git: a file changed again
 * within the timestamp granularity of its last change keeps its `stat`. An
 * entry is therefore kept only when the file's mtime and ctime were
 * {@linkcode RACY_MS} older than the moment it was opened: any change after
 * that moment stamps a later ctime. Such a file is hashed again until it is
 * that old.
 *
 * The cache is one file, `runrec-hashes` in the common git folder (shared
 * by the work trees, never committed), replaced whole through a temporary
 * file and a rename. One that cannot be read or parsed, is not runrec's, or
 * was written "later" than now (a clock set back) is ignored and replaced.
 * Outside a git repository, or where runrec has no permission to read and
 * write the common git folder, there is none: every file is hashed. Where
 * that folder cannot be written (a read-only `.git`), a cache there is read
 * and none is written.
 *
 * @module
 */
import { type FileStat, fileStatOf } from "./hash.ts";
import type { FileHasher, HashFilesFn } from "./hash_pool.ts";
import { commonGitDir } from "./git.ts";
import { basename, dirname, join } from "./path.ts";
import { SHA256_PATTERN } from "./schema.ts";

/** The cache's file name in the common git folder. */
export const HASH_CACHE_FILE = "runrec-hashes";

/** Its first field: a file without it is not this cache. */
const FORMAT = "runrec-hashes 2";

/**
 * How much older than the moment a file is opened its mtime and ctime must
 * be for its hash to be kept: past any file system's timestamp step and the
 * coarse clock the kernel stamps files with (racy git), and past the time a
 * page written through a shared memory map stays dirty (Linux writes it back
 * within ~35 s by default): only a clean page's next write moves ctime, so
 * bytes written into a page dirty since before the read would not.
 */
export const RACY_MS = 60_000;

/**
 * A cache file larger than this is ignored (and replaced): read whole, it would cost its size in
 * memory, and a sparse or corrupt file can be any size. Far above the entries of a large tree.
 */
const MAX_BYTES = 64 * 1024 * 1024;

/** A temporary file left by a killed run is removed once this old. */
const DEBRIS_MS = 10 * 60 * 1000;

/** A kept hash: the file's state then, and its SHA-256. */
type Entry = [...FileStat, hash: string];

function sameStat(entry: readonly unknown[], stat: FileStat): boolean {
  return stat.every((value, i) => entry[i] === value);
}

/** Whether `value` is an entry as this version writes them. */
function isEntry(value: unknown): value is Entry {
  return Array.isArray(value) && value.length === 7 &&
    value.slice(0, 6).every((n) => Number.isSafeInteger(n)) &&
    typeof value[6] === "string" && SHA256_PATTERN.test(value[6]);
}

/**
 * The entries of the cache file at `path`: none when it is missing, unreadable, foreign, no
 * regular file, or too large.
 */
function readEntries(path: string, now: number): Map<string, Entry> {
  try {
    // Opening a FIFO waits for a writer (a symbolic link is followed to what it names).
    const { isFile, size } = Deno.statSync(path);
    if (!isFile || size > MAX_BYTES) return new Map();
    const stored = JSON.parse(Deno.readTextFileSync(path));
    const fine = stored !== null && typeof stored === "object" && stored.format === FORMAT &&
      Number.isFinite(stored.written) && stored.written <= now &&
      stored.entries !== null && typeof stored.entries === "object";
    if (fine) {
      return new Map(
        Object.entries(stored.entries as Record<string, unknown>)
          .filter((pair): pair is [string, Entry] => isEntry(pair[1])),
      );
    }
  } catch { /* missing, unreadable or not JSON: no cache */ }
  return new Map();
}

/** Whether this process may read and write `path` without a prompt. */
function mayUse(path: string): boolean {
  try {
    return (["read", "write"] as const).every((name) =>
      Deno.permissions.querySync({ name, path }).state === "granted"
    );
  } catch {
    return false;
  }
}

/**
 * A hasher that reads only files whose `stat` changed; {@linkcode HashCache.save} keeps what it
 * learnt.
 */
export interface HashCache {
  /** Hashes `paths` (absolute) as the hasher given does, from the cache where it may. */
  hash: HashFilesFn;
  /** Files whose hash came from the cache, unread. */
  readonly hits: number;
  /** Replaces the cache file when this run learnt something; never throws. */
  save(): void;
}

/**
 * `hasher` with the cache of the git repository holding `dir`; `hasher`
 * itself outside one, or where the cache may not be read and written. The
 * hasher must note the state of each file it reads (`states: true`).
 *
 * @example
 * ```ts
 * import { hashCacheFor } from "./hash_cache.ts";
 * import { startFileHasher } from "./hash_pool.ts";
 * const hasher = startFileHasher({ workers: 0, states: true });
 * const cache = hashCacheFor(".", hasher);
 * const hashes = await cache.hash([new URL(import.meta.url).pathname]);
 * cache.save();
 * hasher.close();
 * console.log(hashes.size); // 1
 * ```
 */
export function hashCacheFor(dir: string, hasher: Pick<FileHasher, "hash" | "stateOf">): HashCache {
  let common: string | undefined;
  try {
    common = commonGitDir(dir);
  } catch { /* no repository to say */ }
  const path = common === undefined ? undefined : join(common, HASH_CACHE_FILE);
  if (path === undefined || !mayUse(common!)) {
    return { hash: hasher.hash, hits: 0, save() {} };
  }
  const kept = readEntries(path, Date.now());
  const learnt = new Map<string, Entry | undefined>(); // undefined: its entry is dropped
  const known = new Map<string, Promise<string | Error>>();
  let hits = 0;

  /** The kept hash of `file`, when its `stat` is as it was when it was read. */
  const look = (file: string): string | undefined => {
    const entry = kept.get(file);
    if (entry === undefined) return undefined;
    try {
      const info = Deno.statSync(file);
      const stat = info.isFile ? fileStatOf(info) : undefined;
      if (stat !== undefined && sameStat(entry, stat)) return entry[6];
    } catch { /* gone or unreadable: the hasher says why */ }
    learnt.set(file, undefined);
    return undefined;
  };

  /** What to keep of `file`'s hash: nothing when it changed too recently to be sure of (racy). */
  const learn = (file: string, result: string | Error) => {
    const state = hasher.stateOf(file);
    if (typeof result !== "string" || state === undefined) return;
    const [dev, ino, size, mtime, ctime, birthtime, openedAt] = state;
    if (Math.max(mtime, ctime) < openedAt - RACY_MS) {
      learnt.set(file, [dev, ino, size, mtime, ctime, birthtime, result]);
    }
  };

  const hash: HashFilesFn = async (paths) => {
    const unread: string[] = [];
    for (const file of paths) {
      if (known.has(file)) continue;
      const hash = look(file);
      if (hash !== undefined) {
        hits++;
        known.set(file, Promise.resolve(hash));
      } else unread.push(file);
    }
    if (unread.length > 0) {
      const read = hasher.hash(unread);
      for (const file of unread) {
        known.set(
          file,
          read.then((hashes) => {
            const result = hashes.get(file)!;
            learn(file, result);
            return result;
          }),
        );
      }
    }
    const results = await Promise.all(paths.map((file) => known.get(file)!));
    return new Map(paths.map((file, i) => [file, results[i]]));
  };

  const save = () => {
    if (learnt.size === 0) return;
    const temporary = `${path}.${Deno.pid}.tmp`;
    try {
      // Another run may have written meanwhile: its entries stay while their files are unchanged.
      const now = Date.now();
      const entries: Record<string, Entry> = {};
      for (const [file, entry] of readEntries(path, now)) {
        if (learnt.has(file) || known.has(file)) continue;
        try {
          const stat = fileStatOf(Deno.statSync(file));
          if (stat !== undefined && sameStat(entry, stat)) entries[file] = entry;
        } catch { /* no longer there: dropped */ }
      }
      for (const [file, entry] of kept) {
        if (known.has(file) && !learnt.has(file)) entries[file] = entry;
      }
      for (const [file, entry] of learnt) if (entry !== undefined) entries[file] = entry;
      const text = JSON.stringify({ format: FORMAT, written: now, entries });
      Deno.writeTextFileSync(temporary, text + "\n");
      Deno.renameSync(temporary, path);
      removeDebris(path, now);
    } catch {
      try {
        Deno.removeSync(temporary);
      } catch { /* never made */ }
    }
  };

  return {
    hash,
    get hits() {
      return hits;
    },
    save,
  };
}

/** Removes the temporary files of runs killed while they wrote the cache. */
function removeDebris(path: string, now: number): void {
  const folder = dirname(path);
  const prefix = `${basename(path)}.`;
  for (const entry of Deno.readDirSync(folder)) {
    if (!entry.name.startsWith(prefix) || !entry.name.endsWith(".tmp")) continue;
    const file = join(folder, entry.name);
    try {
      if (now - (Deno.statSync(file).mtime?.getTime() ?? now) > DEBRIS_MS) Deno.removeSync(file);
    } catch { /* another run removed it */ }
  }
}
