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
 * within the timestamp granularity of its last change keeps its `stat`. So,
 * as git judges an index entry against the index file's own mtime, a run
 * that reads files first writes a probe file beside the cache and takes its
 * mtime: the file system's clock, not the process's (which libfaketime, a
 * stepped clock or a restored VM can put ahead). An entry is kept only when
 * the file's mtime and ctime are {@linkcode RACY_MS} older than that stamp,
 * and only for a file on the probe's device: another file system may be
 * stamped by another clock (a network server's). Any change after the read
 * stamps a later ctime; a file changed more recently is hashed again until
 * it is that old.
 *
 * The cache is one file, `runrec-hashes` in the common git folder (shared
 * by the work trees, never committed), replaced whole through a temporary
 * file and a rename. A header line, then one line per folder: the folder
 * (JSON) and a tab, then its files' entries (a JSON object by file name). A
 * run parses only the lines of the folders it hashes in and rewrites only
 * those it learnt something in, copying the others unread: a small run in
 * a repository also used for a large tree neither parses nor `stat`s the
 * large tree's entries. One that cannot be read, is not runrec's, or was
 * written "later" than now (a clock set back) is ignored and replaced.
 * Outside a git repository, or where runrec has no permission to read and
 * write the common git folder, there is none: every file is hashed. Where
 * that folder cannot be written (a read-only `.git`), a cache there is read
 * and none is written.
 *
 * @module
 */
import { type FileStat, fileStatOf } from "./hash.ts";
import type { FileHasher, HashFilesFn } from "./hash_pool.ts";
import {
  fileSystemNow,
  identity,
  keptFilePath,
  RACY_MS,
  readLines,
  type Stamp,
  temporaryBeside,
  writeLines,
} from "./git_folder_file.ts";
import { SHA256_PATTERN } from "./schema.ts";

export { RACY_MS };

/** The cache's file name in the common git folder. */
export const HASH_CACHE_FILE = "runrec-hashes";

/** The header's format: a file without it is not this cache. */
const FORMAT = "runrec-hashes 3";

/** A kept hash: the file's state then, and its SHA-256. */
type Entry = [...FileStat, hash: string];

/** A folder's entries, by file name. */
type Folder = Map<string, Entry>;

function sameStat(entry: readonly unknown[], stat: FileStat): boolean {
  return stat.every((value, i) => entry[i] === value);
}

/** Whether `value` is an entry as this version writes them. */
function isEntry(value: unknown): value is Entry {
  return Array.isArray(value) && value.length === 7 &&
    value.slice(0, 6).every((n) => Number.isSafeInteger(n)) &&
    typeof value[6] === "string" && SHA256_PATTERN.test(value[6]);
}

/** `file` cut after its last slash: the key of its folder's line (JSON), and its name there. */
function placeOf(file: string): [key: string, name: string] {
  const cut = file.lastIndexOf("/") + 1;
  return [JSON.stringify(file.slice(0, cut)), file.slice(cut)];
}

/** The well-formed entries of a folder line's JSON. */
function parseFolder(json: string | undefined): Folder {
  try {
    const stored = json === undefined ? undefined : JSON.parse(json);
    if (stored !== null && typeof stored === "object" && !Array.isArray(stored)) {
      return new Map(
        Object.entries(stored as Record<string, unknown>)
          .filter((pair): pair is [string, Entry] => isEntry(pair[1])),
      );
    }
  } catch { /* a damaged line: no entries */ }
  return new Map();
}

/**
 * A hasher that reads only files whose `stat` changed; {@linkcode HashCache.save} keeps what it
 * learnt.
 */
export interface HashCache {
  /** Hashes `paths` (absolute) as the hasher given does, from the cache where it may. */
  hash: HashFilesFn;
  /**
   * Whether the hash of each of `paths` (absolute) is known, from the cache or this run, without
   * reading any: those from the cache count as {@linkcode HashCache.hits}, as `hash` counts them.
   * `statOf`: the `stat` of a file, when the caller has it.
   */
  served(paths: readonly string[], statOf?: (path: string) => Deno.FileInfo | Error): boolean;
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
export function hashCacheFor(
  dir: string,
  hasher: Pick<FileHasher, "hash" | "stateOf">,
  stampTaken?: Stamp,
): HashCache {
  const path = keptFilePath(dir, HASH_CACHE_FILE);
  if (path === undefined) {
    return { hash: hasher.hash, served: (paths) => paths.length === 0, hits: 0, save() {} };
  }
  const temporary = temporaryBeside(path);
  const first = readLines(path, FORMAT, Date.now());
  const lines = first.lines;
  const folders = new Map<string, Folder>(); // the lines parsed, by key
  const used = new Map<string, Map<string, Entry | undefined>>(); // by key: undefined, dropped
  const learnt = new Set<string>(); // keys of the folders this run changed an entry of
  const known = new Map<string, Promise<string | Error>>();
  // null: no probe could be written, nothing is kept. One taken before the run's first look
  // (the verdict cache's) serves: an earlier stamp keeps less, never more.
  let stamp: Stamp | undefined | null = stampTaken;
  let hits = 0;

  const usedIn = (key: string) => used.get(key) ?? used.set(key, new Map()).get(key)!;

  /** The kept hash of `file`, when its `stat` is as it was when it was read. */
  const look = (
    file: string,
    statOf: (path: string) => Deno.FileInfo | Error = Deno.statSync,
  ): string | undefined => {
    const [key, name] = placeOf(file);
    if (!folders.has(key)) folders.set(key, parseFolder(lines.get(key)));
    const entry = folders.get(key)!.get(name);
    if (entry === undefined) return undefined;
    try {
      const info = statOf(file);
      if (info instanceof Error) throw info;
      const stat = info.isFile ? fileStatOf(info) : undefined;
      if (stat !== undefined && sameStat(entry, stat)) {
        usedIn(key).set(name, entry);
        return entry[6];
      }
    } catch { /* gone or unreadable: the hasher says why */ }
    usedIn(key).set(name, undefined);
    learnt.add(key);
    return undefined;
  };

  /** What to keep of `file`'s hash: nothing when it changed too recently to be sure of (racy). */
  const learn = (file: string, result: string | Error) => {
    const state = hasher.stateOf(file);
    if (typeof result !== "string" || state === undefined || !stamp) return;
    const [dev, ino, size, mtime, ctime, birthtime] = state;
    if (dev === stamp.dev && Math.max(mtime, ctime) < stamp.at - RACY_MS) {
      const [key, name] = placeOf(file);
      usedIn(key).set(name, [dev, ino, size, mtime, ctime, birthtime, result]);
      learnt.add(key);
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
      // Stamped before any of them is opened: a change after its read is stamped later.
      if (stamp === undefined) stamp = fileSystemNow(temporary) ?? null;
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

  const served: HashCache["served"] = (paths, statOf) =>
    paths.every((file) => {
      if (known.has(file)) return true;
      const hash = look(file, statOf);
      if (hash === undefined) return false;
      hits++;
      known.set(file, Promise.resolve(hash));
      return true;
    });

  const save = () => {
    if (learnt.size === 0) return;
    // Another run may have written meanwhile: its lines stay as it wrote them, and in a folder
    // this run changed, its entries stay while their files are unchanged.
    const now = Date.now();
    let same = false;
    try {
      same = first.read === identity(Deno.statSync(path));
    } catch { /* gone: none to keep */ }
    const current = same ? lines : readLines(path, FORMAT, now).lines;
    const learntLines: [string, string][] = [];
    for (const key of learnt) {
      const mine = used.get(key)!;
      const folder = JSON.parse(key) as string;
      const entries: Folder = new Map();
      for (const [name, entry] of parseFolder(current.get(key))) {
        if (mine.has(name)) continue;
        try {
          const stat = fileStatOf(Deno.statSync(folder + name));
          if (stat !== undefined && sameStat(entry, stat)) entries.set(name, entry);
        } catch { /* no longer there: dropped */ }
      }
      for (const [name, entry] of mine) if (entry !== undefined) entries.set(name, entry);
      current.delete(key);
      if (entries.size > 0) learntLines.push([key, JSON.stringify(Object.fromEntries(entries))]);
    }
    // This run's lines first: where not all fit in the file, they are the ones kept.
    writeLines(path, temporary, FORMAT, [...learntLines, ...current], now);
  };

  return {
    hash,
    served,
    get hits() {
      return hits;
    },
    save,
  };
}
