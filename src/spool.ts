/**
 * The spool: where a record goes when it cannot be appended (full disk, a
 * folder in the way, a lock that stays held), so that it is not lost. The
 * next successful append to the same file, or `runrec flush`, replays it once.
 *
 * @module
 */
import { folderEntries, type ListFolder } from "./deliverable.ts";
import { basename, isAbsolute, join, resolve } from "./path.ts";
import { appendRecord, type AppendResult, RECORD_FILE, type RecordDraft } from "./store.ts";

/** Name of the spool folder inside a deliverable folder. */
export const SPOOL_FOLDER = ".runrec-spool";

/** Replays after which a spooled record is reported as stuck on every call. */
export const ESCALATE_AFTER = 3;

/** One spooled record, as stored in its JSON file. */
export interface SpoolEntry {
  /** Absolute path of the record file the record belongs to. */
  recordFile: string;
  /** The record, as it was about to be appended. */
  draft: RecordDraft;
  /** Why the append failed, first time and last time. */
  error: string;
  /** When it was spooled. */
  spooledAt: string;
  /** Failed replays so far. */
  attempts: number;
}

/** What a replay did. */
export interface ReplayReport {
  /** Records appended from the spool. */
  replayed: AppendResult[];
  /** One line per record that stays in the spool. */
  failures: string[];
}

function envOrUndefined(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // not permitted: treated as unset
  }
}

/**
 * The temporary folder: `$TMPDIR`, `$TEMP` or `$TMP` (the first set), else
 * `/tmp` (`C:\Windows\Temp` on Windows, where `TEMP` is normally set).
 * Unreadable variables (not permitted) count as unset.
 *
 * @example
 * ```ts
 * import { tempFolder } from "./spool.ts";
 * tempFolder(); // "/tmp" on most Linux systems
 * ```
 */
export function tempFolder(): string {
  const fromEnv = envOrUndefined("TMPDIR") ?? envOrUndefined("TEMP") ?? envOrUndefined("TMP");
  if (fromEnv) return resolve(fromEnv); // relative: to the folder runrec started in, once
  return Deno.build.os === "windows" ? "C:\\Windows\\Temp" : "/tmp";
}

/** The user's id, or `undefined` on Windows and when not permitted (`--allow-sys=uid`). */
function userId(): number | undefined {
  try {
    return Deno.uid() ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * The spool folder in the temporary folder, shared by every deliverable: one
 * per user, `runrec-spool-<uid>`, as tmux and ssh-agent name theirs, so that no
 * other user can create it first or write entries into it. `undefined` where
 * the user's id cannot be read (not permitted): then there is none. On Windows,
 * where the temporary folder is the user's own, it is `runrec-spool`.
 *
 * @example
 * ```ts
 * import { sharedSpoolFolder } from "./spool.ts";
 * sharedSpoolFolder(); // "/tmp/runrec-spool-1000" for user 1000
 * ```
 */
export function sharedSpoolFolder(): string | undefined {
  if (Deno.build.os === "windows") return join(tempFolder(), "runrec-spool");
  const uid = userId();
  return uid === undefined ? undefined : join(tempFolder(), `runrec-spool-${uid}`);
}

/**
 * Why the shared spool folder cannot be trusted, or `undefined` when it is
 * the user's own: a real folder (not a link), owned by the user, that no one
 * else may read or write. Its entries name the file they are appended to, so
 * an entry someone else put there would be appended as the user's own record.
 */
function sharedFolderProblem(folder: string): string | undefined {
  if (Deno.build.os === "windows") return undefined;
  const info = Deno.lstatSync(folder);
  if (!info.isDirectory) return "not a folder (a link or a file)";
  if (info.uid !== userId()) return `owned by uid ${info.uid}, not by this user (${userId()})`;
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    return `open to other users (mode ${(info.mode & 0o777).toString(8)}, must be 700)`;
  }
  return undefined;
}

/**
 * Spool folders in the order they are tried: `$RUNREC_SPOOL_DIR`, the
 * deliverable's own `.runrec-spool/`, then the user's folder in the temporary
 * folder ({@linkcode sharedSpoolFolder}: outside the deliverable, for when
 * that is unwritable).
 *
 * @example
 * ```ts
 * import { spoolFolders } from "./spool.ts";
 * spoolFolders("DEL-01-02_X"); // [".../DEL-01-02_X/.runrec-spool", "/tmp/runrec-spool-1000"]
 * ```
 */
export function spoolFolders(delDir?: string): string[] {
  const folders: string[] = [];
  const fromEnv = envOrUndefined("RUNREC_SPOOL_DIR");
  if (fromEnv) folders.push(resolve(fromEnv));
  if (delDir) folders.push(join(resolve(delDir), SPOOL_FOLDER));
  const shared = sharedSpoolFolder();
  if (shared) folders.push(shared);
  return [...new Set(folders)];
}

async function writeEntry(folder: string, name: string, entry: SpoolEntry): Promise<string> {
  await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
  if (folder === sharedSpoolFolder()) {
    const problem = sharedFolderProblem(folder);
    if (problem) throw new Error(`not used: ${problem}`);
  }
  // Spooled records belong to this machine until replayed: keep them out of commits.
  await Deno.writeTextFile(join(folder, ".gitignore"), "*\n").catch(() => {});
  const path = join(folder, name);
  const temporary = `${path}.tmp`;
  await Deno.writeTextFile(temporary, JSON.stringify(entry, null, 1) + "\n", { createNew: true });
  await Deno.rename(temporary, path);
  return path;
}

/**
 * Puts a record that could not be appended into the first spool folder that
 * takes it; returns the entry's path. Throws only when no folder takes it.
 *
 * @example
 * ```ts
 * import { spoolRecord } from "./spool.ts";
 * declare const draft: import("./store.ts").RecordDraft;
 * const where = await spoolRecord("DEL-01-02_X", "DEL-01-02_X/RunRecords.csv", draft, "ENOSPC");
 * ```
 */
export async function spoolRecord(
  delDir: string,
  recordFile: string,
  draft: RecordDraft,
  error: string,
): Promise<string> {
  const entry: SpoolEntry = {
    recordFile: resolve(recordFile),
    draft,
    error,
    spooledAt: new Date().toISOString(),
    attempts: 0,
  };
  const name = `${Date.now()}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}.json`;
  const problems: string[] = [];
  for (const folder of spoolFolders(delDir)) {
    try {
      return await writeEntry(folder, name, entry);
    } catch (e) {
      problems.push(`${folder}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no spool folder took the record (${problems.join("; ")})`);
}

/**
 * Creates the user's shared spool folder when it is missing (mode 700), so
 * that listing it throws nothing: the first thrown error of a process costs
 * ~0.35 ms (Deno's error path runs cold), a tenth of `emit`'s own work.
 */
function ensureFolder(folder: string): void {
  try {
    Deno.mkdirSync(folder, { recursive: true, mode: 0o700 });
  } catch { /* unwritable: listing it reports what is there, if anything */ }
}

/**
 * What makes `entry` unfit to replay, or `undefined`: an entry appends to the
 * file it names, so it must name a `RunRecords.csv` (in a deliverable's own
 * spool folder, that deliverable's) and hold a record.
 */
function entryProblem(entry: SpoolEntry, ownFile: string): string | undefined {
  if (typeof entry !== "object" || entry === null) return "not a spool entry";
  const { recordFile, draft } = entry;
  if (typeof recordFile !== "string" || !isAbsolute(recordFile)) {
    return "recordFile is not an absolute path";
  }
  if (basename(recordFile) !== RECORD_FILE) {
    return `recordFile ${recordFile} is not a ${RECORD_FILE}`;
  }
  if (ownFile && recordFile !== ownFile && realPathOf(recordFile) !== realPathOf(ownFile)) {
    return `recordFile ${recordFile} is not this deliverable's (${ownFile})`;
  }
  if (typeof draft !== "object" || draft === null) return "it holds no record";
  if (typeof entry.attempts !== "number") entry.attempts = 0;
  return undefined;
}

/** The path with links resolved in its folder, or itself when that cannot be resolved. */
function realPathOf(path: string): string {
  try {
    return join(Deno.realPathSync(join(path, "..")), basename(path));
  } catch {
    return path;
  }
}

function entriesIn(folder: string): string[] {
  const names: string[] = [];
  try {
    for (const item of Deno.readDirSync(folder)) {
      if (item.isFile && item.name.endsWith(".json")) names.push(join(folder, item.name));
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return names.sort();
}

/**
 * Replays spooled records: those for `recordFile` (or every record, when it
 * is omitted) in the spool folders of `delDir`. Each entry is claimed by an
 * atomic rename first, so two replayers never append the same record twice.
 * The deliverable's own spool folder is looked up in a listing of `delDir`
 * (by `list`), which throws no `NotFound` when it does not exist.
 *
 * @example
 * ```ts
 * import { replaySpool } from "./spool.ts";
 * const { replayed, failures } = await replaySpool("DEL-01-02_X");
 * ```
 */
export async function replaySpool(
  delDir?: string,
  recordFile?: string,
  list: ListFolder = folderEntries,
): Promise<ReplayReport> {
  const report: ReplayReport = { replayed: [], failures: [] };
  const target = recordFile ? resolve(recordFile) : undefined;
  const own = delDir === undefined ? undefined : join(resolve(delDir), SPOOL_FOLDER);
  const shared = sharedSpoolFolder();
  for (const folder of spoolFolders(delDir)) {
    if (folder === own && list(resolve(delDir!)).get(SPOOL_FOLDER) !== "folder") continue;
    if (folder === shared) ensureFolder(folder);
    const paths = entriesIn(folder);
    const problem = folder === shared && paths.length > 0 && sharedFolderProblem(folder);
    if (problem) {
      report.failures.push(`${folder}: ${paths.length} spooled record(s) not replayed: ${problem}`);
      continue;
    }
    for (const path of paths) {
      let entry: SpoolEntry;
      try {
        entry = JSON.parse(await Deno.readTextFile(path));
      } catch (e) {
        report.failures.push(`STUCK: ${path}: unreadable spool entry: ${(e as Error).message}`);
        continue;
      }
      const wrong = entryProblem(entry, folder === own ? join(resolve(delDir!), RECORD_FILE) : "");
      if (wrong) {
        report.failures.push(`STUCK: ${path}: not replayed: ${wrong}`);
        continue;
      }
      if (target && entry.recordFile !== target) continue;
      const claimed = `${path}.replaying-${Deno.pid}`;
      try {
        await Deno.rename(path, claimed);
      } catch {
        continue; // another process claimed it
      }
      try {
        const note = `replayed from spool (spooled ${entry.spooledAt}: ${entry.error})`;
        const draft = {
          ...entry.draft,
          Notes: [entry.draft.Notes, note].filter(Boolean).join(" | "),
        };
        report.replayed.push(await appendRecord(entry.recordFile, draft));
        await Deno.remove(claimed);
      } catch (e) {
        entry.attempts++;
        const message = (e as Error).message.split("\n")[0];
        await Deno.writeTextFile(claimed, JSON.stringify({ ...entry, error: message }, null, 1));
        await Deno.rename(claimed, path);
        const loud = entry.attempts >= ESCALATE_AFTER ? "STUCK: " : "";
        report.failures.push(
          `${loud}${path}: record for ${entry.recordFile} still not written after ` +
            `${entry.attempts} replay(s): ${message}`,
        );
      }
    }
  }
  return report;
}
