/**
 * The rules a file runrec keeps for itself in the common git folder follows
 * (`runrec-hashes`, ./hash_cache.ts; `runrec-verdicts`, ./verdict_cache.ts):
 * one header line naming its format and when it was written, then one line
 * per folder (its path as a JSON string, a tab, the rest); replaced whole through a
 * temporary file and a rename; ignored (and replaced) when it cannot be read,
 * is not of that format, is too large, or was written "later" than now (a
 * clock set back); none outside a git repository or where runrec may not
 * read and write that folder; read and not written where the folder cannot
 * be written (a read-only `.git`). And the racy rule both trust a file's
 * `stat` by: the file system's clock, taken from a probe file.
 *
 * @module
 */
import { commonGitDir } from "./git.ts";
import { optionalUid } from "./optional_access.ts";
import { basename, dirname, isAbsolute, join } from "./path.ts";
import type { Stamp } from "./racy.ts";

export { RACY_MS, type Stamp } from "./racy.ts";

/**
 * A kept file larger than this is ignored (and replaced): read whole, it would cost its size in
 * memory, and a sparse or corrupt file can be any size. Far above the entries of a large tree.
 */
const MAX_BYTES = 64 * 1024 * 1024;

/** A temporary file left by a killed run is removed once this old. */
const DEBRIS_MS = 10 * 60 * 1000;

/** What tells a kept file from one another run has put in its place (a rename: a new inode). */
export function identity(info: Deno.FileInfo): string {
  return [info.dev, info.ino, info.size, info.mtime?.getTime()].join(" ");
}

/** A kept file's lines, unparsed, by key; and the {@linkcode identity} of that file. */
export type Lines = { lines: Map<string, string>; read?: string };

/** /proc's status of this process, by line, once read: a process's user, groups and capabilities stay. */
let status: string[] | undefined;

/**
 * The lines of /proc's status of this process, with its mount table when `mounts` (read at each
 * ask: a library's later run may find a file system mounted since): by `cat`, as Deno refuses
 * /proc to a process without `--allow-all` (cat's own are this process's user, groups,
 * capabilities and mounts). `null` on a system with no /proc; undefined where `cat` cannot tell.
 */
function procLines(mounts: boolean): string[] | null | undefined {
  if (Deno.build.os !== "linux") return null;
  if (!mounts && status !== undefined) return status;
  try {
    const out = new Deno.Command("cat", {
      args: ["/proc/self/status", ...(mounts ? ["/proc/self/mountinfo"] : [])],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    if (!out.success) return undefined;
    const lines = new TextDecoder().decode(out.stdout).split("\n");
    status ??= lines.filter((line) => /^\w+:\t/.test(line));
    return lines;
  } catch { /* not allowed to run it, or none */ }
  return undefined;
}

/**
 * Who reads files here, as far as what they may read goes: the user, the groups (`sg` or a
 * container started without its extra groups gives the same user fewer) and the capabilities
 * (root's, or a process's that may read past permissions), from /proc; the user alone where there
 * is no /proc; undefined where it cannot be told.
 */
function reader(): string | undefined {
  const lines = procLines(false);
  if (lines === null) {
    const uid = optionalUid();
    return uid === undefined ? undefined : `Uid: ${uid}`;
  }
  return lines?.filter((line) => /^(Uid|Gid|Groups|CapEff):/.test(line)).join("; ");
}

/**
 * The lines of the kept file at `path` of `format`: none when it is missing, unreadable, foreign,
 * no regular file, too large, written later than `now`, another user's, or written by a
 * {@linkcode reader} other than this process: what its writer read (a hash, a verdict) may rest on
 * files this one may not read.
 */
export function readLines(path: string, format: string, now: number): Lines {
  try {
    // Opening a FIFO waits for a writer (a symbolic link is followed to what it names).
    const info = Deno.statSync(path);
    if (!info.isFile || info.size > MAX_BYTES) return { lines: new Map() };
    const uid = optionalUid();
    if (uid !== undefined && info.uid !== null && info.uid !== uid) return { lines: new Map() };
    const [first, ...lines] = Deno.readTextFileSync(path).split("\n");
    const header = JSON.parse(first);
    const fine = header !== null && typeof header === "object" && header.format === format &&
      Number.isFinite(header.written) && header.written <= now && header.reader !== undefined &&
      header.reader === reader();
    if (fine) {
      const kept = new Map(lines.flatMap((line) => {
        const tab = line.indexOf("\t");
        return tab > 0 ? [[line.slice(0, tab), line.slice(tab + 1)]] : [];
      }));
      return { lines: kept, read: identity(info) };
    }
  } catch { /* missing, unreadable or not JSON: none */ }
  return { lines: new Map() };
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
 * The path of the kept file `name` in the common git folder of the repository holding `dir`;
 * undefined outside one, or where this process may not read and write that folder.
 */
export function keptFilePath(dir: string, name: string): string | undefined {
  let common: string | undefined;
  try {
    common = commonGitDir(dir);
  } catch { /* no repository to say */ }
  return common === undefined || !mayUse(common) ? undefined : join(common, name);
}

/** A temporary file's name beside `path`, this run's own. */
export function temporaryBeside(path: string): string {
  // Not the process id alone: two containers on one work tree can each run runrec as process 1.
  return `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
}

/**
 * Replaces the kept file at `path` by `lines` under a header of `format`, through `temporary` and
 * a rename, and removes old debris; where it cannot be written, leaves it as it was. Each key is
 * a folder's path (JSON): the line of a folder no longer there is left out, and so are the last
 * lines given when all would pass the size a reader takes (a large tree keeps what fits, rather
 * than a file no run reads).
 */
export function writeLines(
  path: string,
  temporary: string,
  format: string,
  lines: Iterable<[key: string, rest: string]>,
  now: number,
): void {
  try {
    const header = JSON.stringify({ format, written: now, reader: reader() });
    const kept = [header];
    // Asked once: a process that may read every path is prompted for none (a query a line costs).
    const readsAll = Deno.permissions.querySync({ name: "read" }).state === "granted";
    for (const [key, rest] of lines) {
      if (!folderGone(folderOf(key), readsAll)) kept.push(`${key}\t${rest}`);
    }
    let bytes = encoder.encode(kept.join("\n") + "\n");
    if (bytes.length > MAX_BYTES) bytes = encoder.encode(firstThatFit(kept).join("\n") + "\n");
    // Only its writer may read it: another user may not read the files it tells of.
    Deno.writeFileSync(temporary, bytes, { mode: 0o600 });
    Deno.renameSync(temporary, path);
    removeDebris(path, now);
  } catch {
    try {
      Deno.removeSync(temporary);
    } catch { /* never made */ }
  }
}

const encoder = new TextEncoder();

/** The first of `lines` that fit in {@linkcode MAX_BYTES} with a newline each. */
function firstThatFit(lines: string[]): string[] {
  let bytes = 0;
  const fit = lines.findIndex((line) => (bytes += encoder.encode(line).length + 1) > MAX_BYTES);
  return fit === -1 ? lines : lines.slice(0, fit);
}

/** The folder a line's key names; undefined for a key of a damaged line. */
function folderOf(key: string): string | undefined {
  try {
    const folder = JSON.parse(key);
    return typeof folder === "string" ? folder : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `path` (a damaged line's undefined) names no folder now; a relative one is no key (a
 * query of `""` throws where reads are bounded). A folder this process may not read is not asked
 * about (a library caller's prompt): its line stays. `readsAll`: the process may read any path.
 */
function folderGone(path: string | undefined, readsAll: boolean): boolean {
  if (path === undefined || !isAbsolute(path)) return true;
  if (!readsAll && Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
    return false;
  }
  try {
    return !Deno.statSync(path).isDirectory;
  } catch {
    return true;
  }
}

/**
 * Writes a byte to `probe`, a new file, and removes it: the device it was on and the mtime the
 * file system gave it. None where it cannot be written, or on a file system whose files' times
 * miss writes ({@linkcode missesMappedWrites}): there nothing can be kept.
 */
export function fileSystemNow(probe: string): Stamp | undefined {
  try {
    const file = Deno.openSync(probe, { write: true, create: true, truncate: true });
    try {
      file.writeSync(new Uint8Array(1));
      const { dev, mtime } = file.statSync();
      if (mtime === null || missesMappedWrites(dev)) return undefined;
      return { dev, at: mtime.getTime() };
    } finally {
      file.close();
      Deno.removeSync(probe);
    }
  } catch {
    return undefined;
  }
}

/** File systems whose pages are never written back: a page once written through a map stays writable. */
const MEMORY_FILE_SYSTEMS = new Set(["tmpfs", "ramfs", "hugetlbfs"]);

/**
 * Whether files on device `dev` may change with no new mtime or ctime: on a file system held in
 * memory a program that keeps a file mapped writes into it again and again, and only its first
 * write stamps the file (on a disk's, each write-back makes the next write stamp it again). Told
 * by /proc's mount table (Linux's tmpfs); where it cannot be read, assumed so.
 */
function missesMappedWrites(dev: number): boolean {
  const lines = procLines(true);
  if (lines === null) return false;
  if (lines === undefined) return true;
  // st_dev as Linux packs it: the major number in bits 8-19 (and from 44), the minor in 0-7 and 20-43.
  const packed = BigInt(dev);
  const major = ((packed >> 8n) & 0xfffn) | ((packed >> 32n) & ~0xfffn);
  const minor = (packed & 0xffn) | ((packed >> 12n) & ~0xffn);
  const device = `${major}:${minor}`;
  for (const line of lines) {
    const fields = line.split(" ");
    if (fields[2] !== device) continue;
    // After the optional fields' "-": the file system's type.
    const type = fields[fields.indexOf("-", 6) + 1];
    if (MEMORY_FILE_SYSTEMS.has(type)) return true;
  }
  return false;
}

/** Removes the temporary files of runs killed while they wrote the kept file at `path`. */
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
