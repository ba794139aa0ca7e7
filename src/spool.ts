/**
 * The spool: where a record goes when it cannot be appended (full disk, a
 * folder in the way, a lock that stays held), so that it is not lost. The
 * next record runrec writes for a run of the same folder (emit, finish, exec,
 * reap, `withRun`, `recordRun`), or `runrec flush`, replays it once; an
 * annotation and the library's `emitRecord` leave it for those. A record
 * replays the oldest {@linkcode REPLAY_BATCH_BYTES} of them here; `flush`'s
 * replay of them all is ./spool_flush.ts, which no emit loads.
 *
 * Replays are idempotent: each entry has an id, the replayed record's Notes
 * say `replayed from spool entry <id>`, and a replay first looks, under the
 * append lock, for a record of the file that is this entry's record: its
 * fields, and that text where a replay puts it (a record quoting the text is
 * not one). So a replay that dies at any point (after its write, before it
 * removed the entry) is finished, not repeated, by the next one. A replayer
 * claims an entry by renaming it to `<entry>.claim-<pid>@<host>~<start>`
 * (./run_claims.ts `claimerName`); a claim whose process is gone (its pid
 * now another's), or older than {@linkcode CLAIM_LEASE_MS}, is taken back.
 *
 * @module
 */
import { optionalEnv } from "./optional_access.ts";
import { basename, dirname, isAbsolute, join, resolve } from "./path.ts";
import { checksumMatches, decodeRecord, encodeRecord } from "./codec.ts";
import { failureReason } from "./errors.ts";
import { withLongWordsShortened } from "./names.ts";
import { DELIVERABLE_FOLDER, deliverableId } from "./deliverable.ts";
import { kindOf } from "./walk.ts";
import { claimedAtMs, claimerName, claimerState, namesThisPid } from "./run_claims.ts";
import { leaveWarning } from "./notices.ts";
import { privateFolderProblem, sharedSpoolFolder } from "./spool_folders.ts";
import type { RunRecord } from "./schema.ts";
import { inStateFolder, notAFile, temporaryPath, writeFileDurably } from "./state_folder.ts";
import { CONTEXT_FILE, RECORD_FILE } from "./deliverable.ts";
import {
  type AppendResult,
  type RecordDraft,
  type RecordWriter,
  WriteError,
} from "./append_types.ts";
import { linesHolding, runIdOfLine } from "./record_lines.ts";
import { deliverableIdOfLine } from "./moved_records.ts";
import { recordsOfRun } from "./records_of_run.ts";
import { pathArgument, shellWord } from "./shell_word.ts";
import { jsonText } from "./json_text.ts";
import { REAPED_ERROR, settleRecordedRuns } from "./run_files.ts";
import { agentText, NAMED_RUNS } from "./agent_notes.ts";
import { journalPath } from "./journal.ts";

/** Name of the spool folder inside a deliverable folder. */
export const SPOOL_FOLDER = ".runrec-spool";

/** Failed replays after which a spooled record is reported as STUCK on every call. */
export const ESCALATE_AFTER = 3;

/** A claim older than this is taken back even when its process cannot be checked. */
export const CLAIM_LEASE_MS = 60_000;

/** The prefix of the line that carries a record no spool folder took. */
export const LOST_RECORD_PREFIX = "runrec: lost-record: ";

/** One spooled record, as stored in its JSON file. */
export interface SpoolEntry {
  /** Unique id of the entry; the replayed record's Notes name it. */
  id: string;
  /** Absolute path of the record file the record belongs to. */
  recordFile: string;
  /** The record, as it was about to be appended. */
  draft: RecordDraft;
  /** Why the append failed, the last time it was tried. */
  error: string;
  /** When it was spooled. */
  spooledAt: string;
  /** Failed replays so far. */
  attempts: number;
}

/** A spool entry as a listing finds it. */
export interface SpoolItem {
  /** Path of the entry file (a claimed entry's current name). */
  path: string;
  /** `waiting` to be replayed, `claimed` by a replayer now, or `stuck` (see `problem`). */
  state: "waiting" | "claimed" | "stuck";
  /** The entry, when it could be read. */
  entry?: SpoolEntry;
  /** Who claimed it (`pid@host~start`, or an older runrec's `pid@host`), for a claimed entry. */
  claimedBy?: string;
  /** Why it cannot be replayed as it is, for a stuck one. */
  problem?: string;
  /**
   * A stuck entry as read, when its record reads: not replayed, yet its run is recorded there
   * (a retried finish of the run must find it, not record the run again).
   */
  stuckEntry?: SpoolEntry;
}

/** What a replay did. */
export interface ReplayReport {
  /** Records appended from the spool. */
  replayed: AppendResult[];
  /**
   * Records this work tree appended lately that a program replacing their
   * file (git pull, checkout, reset) had dropped, put back (./journal.ts);
   * `why`: what else left the record in its journal only, for one that
   * `flush --from` of the journal put back (what `verify` names as in the
   * journal only).
   */
  putBack: { runId: string; file: string; why?: string }[];
  /**
   * Records replayed that repeat one their file held (same agent, start,
   * status, inputs and outputs: an emit retried after its first try was
   * spooled), each with the warning that names both and how to withdraw it.
   */
  repeats: { runId: string; repeats: string; warning: string }[];
  /**
   * Entries whose record was already in the file (a replay that died after
   * its write): the entry's id (for `flush --from` of a journal, the journal)
   * and the RunID its record is in the file as.
   */
  alreadyWritten: { entry: string; runId: string }[];
  /**
   * Entries not appended because the file holds a record of the run their
   * record names (`run <id>` in its Notes) already: written by a finish or
   * `reap` that did not see this spool (another `$TMPDIR`, another user).
   */
  alreadyRecorded: RunRecordedAlready[];
  /** One line per record that stays in the spool. */
  failures: string[];
  /**
   * Entries of the files asked about that a live replayer (another flush, an
   * emit) holds when `replaySpool` (spool_flush.ts) ends: not written yet.
   */
  claimed: { path: string; claimedBy: string }[];
  /**
   * One line per record outside every folder the replay was asked about that
   * stays in the spool: said, not failed for (`replaySpool` of named folders).
   */
  elsewhere: string[];
  /**
   * Temporary files that writers killed before their rename left in the
   * spool folders, removed (only those whose writer is gone: a live one may be about to rename).
   */
  removedTemporaries: string[];
}

/** A spooled record left out because its run's record is in the file already. */
export interface RunRecordedAlready {
  /** The spool entry's id (or, for `flush --from`, the lost record's). */
  entry: string;
  /** The run's id its Notes name. */
  run: string;
  /** The RunID of the run's record in the file. */
  runId: string;
}

/** A spool folder, and whether it must be the user's private folder. */
export interface SpoolFolder {
  path: string;
  /** Outside the deliverable (`$RUNREC_SPOOL_DIR`, the temporary folder's): must be private. */
  private: boolean;
  /** The deliverable folder whose own spool this is (not for a private one). */
  delDir?: string;
  /** `$RUNREC_SPOOL_DIR`'s folder, which only a runrec given that variable looks in. */
  fromEnv?: boolean;
}

/** Deliverable folders, as one or several; none means only the user's spool folders. */
export type DelDirs = string | readonly string[] | undefined;

/** The spool folders outside the deliverables: `$RUNREC_SPOOL_DIR`, and the user's. */
export interface OutsideFolders {
  fromEnv?: SpoolFolder;
  shared?: SpoolFolder;
}

/**
 * The spool folders outside the deliverables, found once for a command that looks at many files.
 *
 * @example
 * ```ts
 * import { outsideFolders } from "./spool.ts";
 * outsideFolders().shared?.path; // "/tmp/runrec-spool-1000"
 * ```
 */
export function outsideFolders(): OutsideFolders {
  const fromEnv = spoolDirFromEnv();
  const shared = sharedSpoolFolder();
  return {
    ...(fromEnv ? { fromEnv: { path: resolve(fromEnv), private: true, fromEnv: true } } : {}),
    ...(shared ? { shared: { path: shared, private: true } } : {}),
  };
}

/**
 * `$RUNREC_SPOOL_DIR`, the one place it is read, when it is an absolute path.
 * A relative one names a different folder in each working folder, where no
 * command run from elsewhere finds the records: it is not used, with a warning.
 */
function spoolDirFromEnv(): string | undefined {
  const value = optionalEnv("RUNREC_SPOOL_DIR");
  if (value === undefined || isAbsolute(value)) return value;
  // The order without it: the deliverable's own spool, then the user's.
  const shared = sharedSpoolFolder();
  const instead = `the deliverable's own ${SPOOL_FOLDER}/${shared ? `, else ${shared}` : ""}`;
  leaveWarning(
    `$RUNREC_SPOOL_DIR ${JSON.stringify(value)} is not used: it is a relative path, a ` +
      "different folder in each working folder, where runrec run from elsewhere (flush, log, " +
      `stale, verify) would never find a record; set an absolute path (meanwhile: ${instead})`,
  );
  return undefined;
}

/**
 * The spool folders to look in for `delDirs`, in the order a record is spooled:
 * `$RUNREC_SPOOL_DIR`'s, each deliverable's own `.runrec-spool/`, then the user's in the temporary
 * folder; each once.
 *
 * @example
 * ```ts
 * import { spoolFolders } from "./spool.ts";
 * spoolFolders("DEL-01-02_X").map((folder) => folder.path);
 * ```
 */
export function spoolFolders(delDirs: DelDirs, outside = outsideFolders()): SpoolFolder[] {
  const found: SpoolFolder[] = [];
  if (outside.fromEnv) found.push(outside.fromEnv);
  for (const delDir of typeof delDirs === "string" ? [delDirs] : delDirs ?? []) {
    found.push({ path: join(resolve(delDir), SPOOL_FOLDER), private: false, delDir });
  }
  if (outside.shared) found.push(outside.shared);
  return found.filter((f, i) => found.findIndex((g) => g.path === f.path) === i);
}

/**
 * Writes `entry` durably into the spool `folder` (made, mode 700, and checked first), refusing a
 * deliverable's own spool whose folder is gone; returns the entry file's path.
 *
 * @example
 * ```ts
 * import { spoolFolders, writeEntry } from "./spool.ts";
 * declare const entry: import("./spool.ts").SpoolEntry;
 * const path = writeEntry(spoolFolders("DEL-01-02_X")[0], entry);
 * ```
 */
export function writeEntry(folder: SpoolFolder, entry: SpoolEntry): string {
  // A deliverable folder removed (by the run itself) is not made again to hold its spool.
  if (folder.delDir !== undefined && kindOf(folder.delDir) !== "folder") {
    throw new Error("not used: the deliverable folder is gone");
  }
  // mkdir would explain a file of that name as "File exists".
  if (kindOf(folder.path) === "file") throw new Error("not used: it is a file, not a folder");
  // Spooled records belong to this machine until replayed: the folder keeps them out of
  // commits, and a write that fails in it (a full disk) leaves nothing behind.
  return inStateFolder(folder.path, () => {
    const path = join(folder.path, `${entry.id}.json`);
    writeFileDurably(path, JSON.stringify(entry, null, 1) + "\n");
    return path;
  }, { mode: 0o700, check: () => checkSpoolFolder(folder) });
}

function checkSpoolFolder(folder: SpoolFolder): void {
  // The deliverable's own folder as a link would put the entry outside the deliverable.
  const problem = folder.private
    ? privateFolderProblem(folder.path)
    : Deno.lstatSync(folder.path).isSymlink
    ? "a link, not a real folder of the deliverable"
    : undefined;
  if (problem) throw new Error(`not used: ${problem}`);
}

let spooledHere = 0;

/**
 * A new spool entry for a record that could not be appended to `recordFile`.
 *
 * @example
 * ```ts
 * import { newSpoolEntry } from "./spool.ts";
 * declare const draft: import("./append_types.ts").RecordDraft;
 * const entry = newSpoolEntry("DEL-01-02_X/RunRecords.csv", draft, "ENOSPC");
 * entry.id; // "1767225600000-4242-0001-1a2b3c4d"
 * ```
 */
export function newSpoolEntry(recordFile: string, draft: RecordDraft, error: string): SpoolEntry {
  return {
    // Names sort in spool order: time, then this process's count (several in one millisecond).
    id: `${Date.now()}-${Deno.pid}-${String(++spooledHere).padStart(4, "0")}-` +
      crypto.randomUUID().slice(0, 8),
    recordFile: resolve(recordFile),
    draft,
    error,
    spooledAt: new Date().toISOString(),
    attempts: 0,
  };
}

/**
 * Puts a record that could not be appended into the first spool folder that
 * takes it; returns the entry's path and the folders passed over. Throws only
 * when no folder takes it: then the caller prints {@linkcode lostRecordLine}.
 *
 * @example
 * ```ts
 * import { newSpoolEntry, spoolRecord } from "./spool.ts";
 * declare const draft: import("./append_types.ts").RecordDraft;
 * const entry = newSpoolEntry("DEL-01-02_X/RunRecords.csv", draft, "ENOSPC");
 * const { path } = spoolRecord("DEL-01-02_X", entry);
 * ```
 */
export function spoolRecord(delDir: string, entry: SpoolEntry): SpoolResult {
  const skipped: string[] = [];
  for (const folder of spoolFolders(delDir)) {
    try {
      const path = writeEntry(folder, entry);
      // Ignored by git, which removes it without asking: `git clean -x` (actions/checkout runs
      // `git clean -ffdx`), `git stash --all`, `git worktree remove` of a linked worktree.
      const caution = folder.delDir === undefined
        ? outsideCaution(folder, delDir)
        : `it waits there until the next write or runrec flush ${pathArgument(folder.delDir)}; ` +
          "git clean -x, git stash --all and git worktree remove take it away: flush first";
      return { path, skipped, caution };
    } catch (e) {
      skipped.push(`${folder.path}: ${failureReason(e as Error)}`);
    }
  }
  throw new Error(`no spool folder took the record (${skipped.join("; ")})`);
}

/**
 * How a record spooled outside its deliverable is replayed: a runrec started with another
 * `$TMPDIR` (a cron job, the operator's shell after a CI job's), or without the
 * `$RUNREC_SPOOL_DIR` that named this folder, does not look in it, so the command names it.
 */
function outsideCaution(folder: SpoolFolder, delDir: string): string {
  const unseen = folder.fromEnv ? "without this $RUNREC_SPOOL_DIR" : "with another $TMPDIR";
  return `it waits there until the next write with this spool folder, or ` +
    `RUNREC_SPOOL_DIR=${shellWord(folder.path)} runrec flush ${shellWord(resolve(delDir))} ` +
    `(a runrec ${unseen} does not look there)`;
}

/** Where {@linkcode spoolRecord} put a record, and the folders it passed over first. */
export interface SpoolResult {
  /** Path of the entry. */
  path: string;
  /** One line per folder tried before and not used, with why (e.g. `$RUNREC_SPOOL_DIR`'s mode). */
  skipped: string[];
  /**
   * How long the record waits there and what replays it (in the deliverable's folder: what
   * deletes it).
   */
  caution?: string;
}

/**
 * The one line that carries a record no spool folder took, for stderr: an
 * orchestrator saves such lines and appends them later with
 * `runrec flush --from FILE`.
 *
 * @example
 * ```ts
 * import { lostRecordLine, newSpoolEntry } from "./spool.ts";
 * declare const draft: import("./append_types.ts").RecordDraft;
 * console.error(lostRecordLine(newSpoolEntry("DEL-01-02_X/RunRecords.csv", draft, "EROFS")));
 * ```
 */
export function lostRecordLine(entry: SpoolEntry): string {
  // Its C1 controls escaped as C0 ones are: the same record once parsed, none sent to a terminal.
  return `${LOST_RECORD_PREFIX}${jsonText(entry)}`;
}

/**
 * What makes `entry` unfit to replay, or `undefined`: an entry appends to the
 * file it names, so it must name a `RunRecords.csv` (in a deliverable's own
 * spool folder, that deliverable's) and hold a record.
 *
 * @example
 * ```ts
 * import { entryProblem } from "./spool.ts";
 * declare const entry: import("./spool.ts").SpoolEntry;
 * entryProblem(entry, "/p/DEL-01-02_X/RunRecords.csv"); // undefined: fit to replay
 * ```
 */
export function entryProblem(entry: SpoolEntry, ownFile: string | undefined): string | undefined {
  if (typeof entry !== "object" || entry === null) return "not a spool entry";
  const { recordFile, draft } = entry;
  if (typeof recordFile !== "string" || !isAbsolute(recordFile)) {
    return "recordFile is not an absolute path";
  }
  if (basename(recordFile) !== RECORD_FILE) {
    return `recordFile ${recordFile} is not a ${RECORD_FILE}`;
  }
  if (typeof draft !== "object" || draft === null) return "it holds no record";
  if (ownFile && recordFile !== ownFile && realPathOf(recordFile) !== realPathOf(ownFile)) {
    return `recordFile ${recordFile} is not this deliverable's (${ownFile})` +
      renamedFolderRemedy(recordFile, draft, ownFile);
  }
  if (typeof entry.id !== "string" || !/^[0-9A-Za-z-]+$/.test(entry.id)) return "it has no id";
  const foreign = foreignDeliverable(recordFile, draft.DeliverableID);
  if (foreign) return foreign;
  if (typeof entry.attempts !== "number") entry.attempts = 0;
  return undefined;
}

/**
 * What to do with an entry of a deliverable's own spool whose recordFile's
 * folder is gone, its ID neither this folder's nor one of its file's records:
 * most likely its folder renamed and renumbered (`git mv DEL-01-02_X
 * DEL-01-05_X`, the spool going along) before its first record was appended,
 * which nothing on disk proves (an entry moved here by hand looks the same),
 * so the user files it, under this folder's ID, as a replay does for a folder
 * git moved. `""` when its folder is there.
 */
function renamedFolderRemedy(recordFile: string, draft: RecordDraft, ownFile: string): string {
  const [from, home] = [dirname(recordFile), dirname(ownFile)];
  const id = declaredIdOf(home);
  if (!nothingAt(from) || id === undefined) return "";
  const runId = typeof draft.RunID === "string" ? " and delete its RunID" : "";
  return `; its folder is gone and its DeliverableID ${JSON.stringify(draft.DeliverableID)} is ` +
    `not ${id}: if ${basename(home)} is ${basename(from)} renamed (git mv, mv), set the entry's ` +
    `recordFile to ${ownFile} and its DeliverableID to ${id}${runId}, then runrec flush ` +
    `${pathArgument(home)}; else move it into the ${SPOOL_FOLDER}/ of the folder it belongs to`;
}

/**
 * Why a record of `id` is not one of the deliverable whose record file is
 * `recordFile`, or `undefined` when it is, or when that folder is gone (said
 * where the record would be appended: moved, renamed or removed). Its
 * folder's IDs count, `_CONTEXT.md`'s and its name's, and any a record of the
 * file has: a record made while one was unreadable, or before the deliverable
 * was renumbered, stays at home. A record saved or spooled for one
 * deliverable, then edited to name another (its ID or its file), would land
 * in a file of the wrong deliverable; one edited to name a folder of no
 * deliverable would begin a record file there, which emit refuses to do.
 */
function foreignDeliverable(recordFile: string, id: unknown): string | undefined {
  const dir = dirname(recordFile);
  const own = declaredIdOf(dir);
  if (own === undefined && kindOf(dir) === "folder") {
    return `the folder of its recordFile, ${dir}, is not a deliverable folder (no DeliverableID ` +
      `in its ${CONTEXT_FILE} or its name): correct the recordFile`;
  }
  if (own === undefined || id === own || id === idInFolderName(dir)) return undefined;
  // Read only where an ID differs, and never a FIFO (it would wait for a writer).
  if (typeof id === "string" && kindOf(recordFile) === "file" && fileHoldsId(recordFile, id)) {
    return undefined;
  }
  return `its DeliverableID ${JSON.stringify(id)} is not that of the folder of its recordFile, ` +
    `${dir} (${own}): correct the one that is wrong`;
}

/** Whether a record of the record file at `path` has DeliverableID `id`; not when unreadable. */
function fileHoldsId(path: string, id: string): boolean {
  try {
    return linesHolding(path, `,${id},`).some((line) => deliverableIdOfLine(line) === id);
  } catch {
    return false; // the entry waits, said stuck, until the file can be read
  }
}

/**
 * The DeliverableID a folder's name carries, if any.
 *
 * @example
 * ```ts
 * import { idInFolderName } from "./spool.ts";
 * idInFolderName("PKG-01/DEL-01-02_Pressure_Spec"); // "DEL-01-02"
 * ```
 */
export function idInFolderName(dir: string): string | undefined {
  return DELIVERABLE_FOLDER.exec(basename(dir))?.[1];
}

/**
 * The path with links resolved in its folder, or itself when that cannot be resolved.
 *
 * @example
 * ```ts
 * import { realPathOf } from "./spool.ts";
 * realPathOf("/tmp/link-to-del/RunRecords.csv"); // its folder's real path, then RunRecords.csv
 * ```
 */
export function realPathOf(path: string): string {
  try {
    return join(Deno.realPathSync(join(path, "..")), basename(path));
  } catch {
    return path;
  }
}

const CLAIM = /^(.+\.json)\.claim-([0-9]+)@(.*)$/;

/**
 * Every spool entry in the spool folders of `delDirs` (one deliverable
 * folder or several) and the user's own, waiting, claimed or stuck: what
 * `flush`, `log` and `verify` show.
 *
 * @example
 * ```ts
 * import { listSpool } from "./spool.ts";
 * for (const item of listSpool("DEL-01-02_X")) console.log(item.state, item.path);
 * ```
 */
export function listSpool(delDirs?: DelDirs): SpoolItem[] {
  return spoolFolders(delDirs).flatMap(listSpoolFolder);
}

/**
 * The entries of one spool folder, as {@linkcode listSpool} lists them.
 *
 * @example
 * ```ts
 * import { listSpoolFolder, spoolFolders } from "./spool.ts";
 * listSpoolFolder(spoolFolders("DEL-01-02_X")[0]).length; // its entries
 * ```
 */
export function listSpoolFolder(folder: SpoolFolder): SpoolItem[] {
  const listing = spoolFolderNames(folder);
  for (const name of [...listing.names]) {
    const item = readSpoolItem(listing, name);
    if (item !== undefined) listing.items.push(item);
  }
  return listing.items;
}

/** A spool folder's entry names (spool order), before any entry is read. */
export interface SpoolListing {
  folder: SpoolFolder;
  /**
   * What the listing found wrong (the folder unlistable, an entry that is not a file);
   * {@linkcode listSpoolFolder} adds each entry it reads.
   */
  items: SpoolItem[];
  /** The entries' names, claimed ones too; a name an entry took since is added when met. */
  names: string[];
  /** Why a private folder's entries are not replayed. */
  problem?: string;
  ownFile?: string;
  ownId?: string;
}

/**
 * The names in a spool folder, none of its entries read: an emit reads only those it replays.
 *
 * @example
 * ```ts
 * import { spoolFolderNames, spoolFolders } from "./spool.ts";
 * spoolFolderNames(spoolFolders("DEL-01-02_X")[0]).names; // ["1767225600000-4242-0001-1a2b3c4d.json"]
 * ```
 */
export function spoolFolderNames(folder: SpoolFolder): SpoolListing {
  const listing: SpoolListing = { folder, items: [], names: [] };
  let names: string[];
  // Entries that are not files (a link, a folder) are named, never passed over (bad-input F1).
  const odd: Deno.DirEntry[] = [];
  try {
    const entries = [...Deno.readDirSync(folder.path)];
    names = entries.filter((e) => e.isFile).map((e) => e.name);
    odd.push(...entries.filter((e) => !e.isFile && e.name.endsWith(".json")));
  } catch (e) {
    // A file of that name holds no entries (a write there says it is not a folder).
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return listing;
    }
    // The reason alone: the system's message names the path again (env-signals F9).
    listing.items.push({
      path: folder.path,
      state: "stuck",
      problem: `cannot list: ${failureReason(e as Error)}`,
    });
    return listing;
  }
  for (const entry of odd) {
    const what = notAFile(entry);
    listing.items.push({
      path: join(folder.path, entry.name),
      state: "stuck",
      problem: `not replayed: ${what}, not a spool entry runrec wrote (remove it, or put the ` +
        "entry's file in its place)",
    });
  }
  listing.names = names.filter((n) => n.endsWith(".json") || CLAIM.test(n)).sort();
  if (listing.names.length === 0) return listing;
  listing.problem = folder.private ? privateFolderProblem(folder.path) : undefined;
  listing.ownFile = folder.delDir ? join(resolve(folder.delDir), RECORD_FILE) : undefined;
  listing.ownId = folder.delDir ? idInFolderName(resolve(folder.delDir)) : undefined;
  return listing;
}

/**
 * The entry `name` of `listing` read, or `undefined` when it is gone (another replayer appended
 * it); one claimed or given back since the listing is read under its new name.
 *
 * @example
 * ```ts
 * import { readSpoolItem, spoolFolderNames, spoolFolders } from "./spool.ts";
 * const listing = spoolFolderNames(spoolFolders("DEL-01-02_X")[0]);
 * for (const name of listing.names) console.log(readSpoolItem(listing, name)?.state);
 * ```
 */
export function readSpoolItem(listing: SpoolListing, name: string): SpoolItem | undefined {
  const { folder, problem, ownFile, ownId } = listing;
  const path = join(folder.path, name);
  const claim = CLAIM.exec(name);
  const item: SpoolItem = { path, state: claim ? "claimed" : "waiting" };
  if (claim) item.claimedBy = `${claim[2]}@${claim[3]}`;
  if (problem) {
    item.state = "stuck";
    item.problem = `not replayed: the folder is ${problem}`;
    return item;
  }
  try {
    const entry = JSON.parse(Deno.readTextFileSync(path));
    if (entry && typeof entry === "object" && entry.id === undefined) {
      entry.id = (claim ? claim[1] : name).slice(0, -".json".length); // before ids were stored
    }
    // The deliverable's own spool moves with its folder: an entry of this deliverable
    // spooled before the folder was renamed belongs to the file under its new name. Renumbered
    // too (`git mv DEL-01-02_X DEL-01-05_X`), where its file holds records of the entry's ID.
    if (
      ownFile && ownId && typeof entry?.recordFile === "string" &&
      entry.recordFile !== ownFile && !exists(dirname(entry.recordFile)) &&
      (entry.draft?.DeliverableID === ownId ||
        (typeof entry.draft?.DeliverableID === "string" && kindOf(ownFile) === "file" &&
          fileHoldsId(ownFile, entry.draft.DeliverableID)))
    ) {
      entry.recordFile = ownFile;
    }
    const wrong = entryProblem(entry, ownFile);
    if (wrong) {
      item.state = "stuck";
      item.problem = `not replayed: ${wrong}`;
      const draft = entry?.draft;
      if (typeof draft === "object" && draft !== null && typeof draft.Notes === "string") {
        item.stuckEntry = entry;
      }
    } else {
      item.entry = entry;
    }
  } catch (e) {
    // Gone since the listing: another replayer claimed or appended it (a flush at the same
    // time), not a stuck entry. One that is there and cannot be read (a dangling link) is.
    if (e instanceof Deno.errors.NotFound && nothingAt(path)) {
      // A claim is a rename: the entry is read under its new name, so that a look at the
      // spool, then at the file, never misses a record on its way from one to the other.
      const moved = renamedEntry(folder.path, claim ? claim[1] : name, listing.names);
      if (moved === undefined) return undefined;
      listing.names.push(moved);
      return readSpoolItem(listing, moved);
    }
    item.state = "stuck";
    item.problem = `unreadable spool entry: ${firstMessageLine(e)}`;
  }
  return item;
}

/** Spool order of entry names (`<id>.json`, claimed or not), as {@linkcode bySpoolTime}'s. */
function byNameTime(a: string, b: string): number {
  const id = (name: string) => name.replace(/\.json(\.claim-.*)?$/, "");
  return byIdTime(id(a), id(b));
}

/**
 * The name the entry `base` (`<id>.json`) has now in `folder`, claimed or
 * given back, when it is not one of `listed`; else `undefined`.
 */
function renamedEntry(folder: string, base: string, listed: readonly string[]): string | undefined {
  try {
    for (const e of Deno.readDirSync(folder)) {
      const named = e.name === base || CLAIM.exec(e.name)?.[1] === base;
      if (named && !listed.includes(e.name)) return e.name;
    }
  } catch { /* the folder cannot be listed now: the entry is not found */ }
  return undefined;
}

/** Whether nothing is at `path`, not even a symbolic link (a dangling link is something). */
function nothingAt(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return false;
  } catch (e) {
    return e instanceof Deno.errors.NotFound;
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The failure line of an entry that stays in the spool; a path longer than any the system takes
 * (a `$RUNREC_SPOOL_DIR` of 100,000 characters) shortened, as errors are (env-signals F9).
 *
 * @example
 * ```ts
 * import { stuckLine } from "./spool.ts";
 * declare const item: import("./spool.ts").SpoolItem;
 * stuckLine(item); // "STUCK: <entry path>: <its problem>"
 * ```
 */
export function stuckLine(item: SpoolItem): string {
  return `STUCK: ${withLongWordsShortened(item.path)}: ${item.problem}`;
}

/**
 * The first line of an error's message: a spool or flush failure is said on one line.
 *
 * @example
 * ```ts
 * import { firstMessageLine } from "./spool.ts";
 * firstMessageLine(new Error("No space left on device\n  at write")); // "No space left on device"
 * ```
 */
export function firstMessageLine(e: unknown): string {
  return (e as Error).message.split("\n")[0];
}

/** Whether a claim may be taken back: its process is gone, or it is older than the lease. */
function claimAbandoned(item: SpoolItem): boolean {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(item.path);
  } catch {
    return false;
  }
  const claimedAt = claimedAtMs(item.path) ?? 0;
  // Killed, a zombie, or its pid given again since the claim (this very process's too: a
  // container's restarted), as the append lock judges its holder (race-sweep F1).
  if (claimerState(item.claimedBy!, claimedAt) === "gone") return true;
  // Our own is in flight (a replay takes moments) for the lease from its claim (a Worker of ours
  // ended mid-replay); another's, alive or not to be asked, for the lease from its last write.
  const ours = namesThisPid(item.claimedBy!);
  return Date.now() - (ours ? claimedAt : info.mtime?.getTime() ?? 0) > CLAIM_LEASE_MS;
}

/**
 * Claims an entry by renaming it to our own claim name. `undefined` when
 * another process got there first; throws when the rename fails otherwise
 * (a read-only spool: the entry is stuck, not somebody else's).
 */
function claim(item: SpoolItem): string | undefined {
  const base = item.claimedBy ? CLAIM.exec(basename(item.path))![1] : basename(item.path);
  const claimed = join(item.path, "..", `${base}.claim-${claimerName()}`);
  try {
    Deno.renameSync(item.path, claimed);
    return claimed;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/**
 * Spool order: the milliseconds an id starts with, then the id (one process's count).
 *
 * @example
 * ```ts
 * import { bySpoolTime } from "./spool.ts";
 * declare const items: import("./spool.ts").SpoolItem[];
 * items.sort(bySpoolTime); // oldest first
 * ```
 */
export function bySpoolTime(a: SpoolItem, b: SpoolItem): number {
  return byIdTime(a.entry?.id ?? "", b.entry?.id ?? "");
}

/**
 * Spool order of two entry ids: the milliseconds each starts with, then the id.
 *
 * @example
 * ```ts
 * import { byIdTime } from "./spool.ts";
 * ["1767225600001-7-0001-aa", "1767225600000-9-0001-bb"].sort(byIdTime); // the second first
 * ```
 */
export function byIdTime(a: string, b: string): number {
  const time = (id: string) => Number(/^[0-9]+/.exec(id)?.[0] ?? 0);
  return time(a) - time(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The text a replayed record's Notes carry, and the file is searched for.
 *
 * @example
 * ```ts
 * import { replayMarker } from "./spool.ts";
 * declare const entry: import("./spool.ts").SpoolEntry;
 * replayMarker(entry); // "replayed from spool entry <entry.id>"
 * ```
 */
export function replayMarker(entry: SpoolEntry): string {
  return `replayed from spool entry ${entry.id}`;
}

/**
 * Whether a whole record of the writer's file is the record `entry` replays:
 * its draft's fields, and its Notes with the marker where a replay puts it
 * (after the draft's Notes; the lock's recovery notes may follow). A record
 * that merely quotes the marker (an agent's --notes, a line pulled from
 * another clone) is another record: the entry is still to be written.
 *
 * @example
 * ```ts
 * import { alreadyReplayed } from "./spool.ts";
 * declare const writer: import("./append_types.ts").RecordWriter;
 * declare const entry: import("./spool.ts").SpoolEntry;
 * const runId = alreadyReplayed(writer, entry); // the RunID of its record, if written
 * ```
 */
export function alreadyReplayed(writer: RecordWriter, entry: SpoolEntry): string | undefined {
  const marker = replayMarker(entry);
  // The quick byte search first (it also refuses a record file that is not a regular file).
  if (!writer.contains(marker)) return undefined;
  const notesHead = `${[entry.draft.Notes, marker].filter(Boolean).join(" | ")} (`;
  for (const line of linesHolding(writer.path, marker)) {
    if (!checksumMatches(line)) continue; // a torn or altered line: not a written record
    try {
      const record = decodeRecord(line);
      if (record.Notes.startsWith(notesHead) && sameDraft(record, entry.draft)) {
        return record.RunID;
      }
    } catch { /* not a record of this layout: not the entry's */ }
  }
  return undefined;
}

/**
 * Who holds the RunID `entry`'s draft sets, in the writer's file: `"this"` when a whole record of
 * it holds the draft's fields (Notes aside), else that record's agent and timestamp; `undefined`
 * when the draft sets none, or no line of the file has it.
 *
 * @example
 * ```ts
 * import { chosenRunIdHolder } from "./spool.ts";
 * declare const writer: import("./append_types.ts").RecordWriter;
 * declare const entry: import("./spool.ts").SpoolEntry;
 * chosenRunIdHolder(writer, entry); // "this", "<agent>'s record of <time>", or undefined
 * ```
 */
export function chosenRunIdHolder(writer: RecordWriter, entry: SpoolEntry): string | undefined {
  const runId = entry.draft.RunID;
  if (runId === undefined) return undefined;
  let other: string | undefined;
  for (const line of linesHolding(writer.path, `,${runId},`)) {
    if (runIdOfLine(line) !== runId || !checksumMatches(line)) continue;
    try {
      const record = decodeRecord(line);
      if (sameDraft(record, entry.draft)) return "this";
      other ??= `${record.AgentName}'s record of ${record.RunTimestamp}`;
    } catch { /* not a record of this layout: not the entry's */ }
  }
  return other;
}

/** A spool entry's own RunID, another record's in the file now: said with what to do. */
export class RunIdTaken extends Error {
  constructor(
    file: string,
    entry: SpoolEntry,
    holder: string,
    kind = "entry",
    then = `runrec flush ${pathArgument(dirname(file))}`,
  ) {
    super(
      `its RunID ${entry.draft.RunID}, set in the ${kind} (runrec sets none in a spooled ` +
        `record), is ${holder} in ${file} now; not renumbered, since whoever set it may have ` +
        `given it out: delete the ${kind}'s "RunID" (the file gives it the next free one) or ` +
        `set a free one, then ${then}`,
    );
  }
}

/** Whether `record` holds `draft`'s fields (Notes aside; RunID when the draft chose one). */
function sameDraft(record: RunRecord, draft: RecordDraft): boolean {
  const expected = { ...draft, RunID: draft.RunID ?? record.RunID, Notes: record.Notes };
  return encodeRecord({ ...expected, RecordChecksum: "" }) ===
    encodeRecord({ ...record, RecordChecksum: "" });
}

const REPLAY_MARKER = /(?:^| \| )replayed from spool entry ([0-9]+-[0-9]+-[0-9]+-[0-9a-f]+) /;

/**
 * The spool entry a record was replayed from, read from its Notes, or
 * `undefined` for a record written directly.
 *
 * @example
 * ```ts
 * import { spoolEntryOf } from "./spool.ts";
 * spoolEntryOf("replayed from spool entry 1796186888696-20249-0001-a8822f3c (spooled …)");
 * // "1796186888696-20249-0001-a8822f3c"
 * ```
 */
export function spoolEntryOf(notes: string): string | undefined {
  return REPLAY_MARKER.exec(notes)?.[1];
}

/**
 * Replays, under the writer's lock, the oldest spool entries for the writer's
 * file found in the spool folders of `delDir`: 256 KiB of records at most
 * (see {@linkcode REPLAY_BATCH_BYTES}), so that a writer's wait does not grow
 * with the spool; one line says how many wait still (for the next append, or
 * `runrec flush`). An entry whose record is already in the file is removed,
 * not appended again. Failures stay in the spool and are reported.
 *
 * @example
 * ```ts
 * import { replayInto } from "./spool.ts";
 * import { withRecordFile } from "./store.ts";
 * const report = await withRecordFile("DEL-01-02_X/RunRecords.csv", {}, (writer) =>
 *   replayInto(writer, "DEL-01-02_X"));
 * ```
 */
export function replayInto(writer: RecordWriter, delDir?: string): ReplayReport {
  const report = emptyReport();
  const listings = spoolFolders(delDir).map(spoolFolderNames);
  for (const { items } of listings) report.failures.push(...items.map(stuckLine));
  // Oldest first across every spool folder: ids, and so names, start with the time spooled.
  const names = listings.flatMap((listing) => listing.names.map((name) => ({ listing, name })))
    .sort((a, b) => byNameTime(a.name, b.name));
  const mine = (item: SpoolItem) =>
    item.entry !== undefined &&
    (item.entry.recordFile === writer.path || realPathOf(item.entry.recordFile) === writer.path);
  // Only the entries of the batch are read; the rest are counted: a spool of thousands read
  // whole made each emit's wait grow with it.
  const batch: SpoolItem[] = [];
  let held = 0; // this file's records in the batch
  let others = 0; // other files' records read in the user's folders
  const past = { waiting: 0, claimed: 0 }; // the own folder's entries past the batch
  const unread = new Map<string, number>(); // the user's folders' entries past what is read
  for (const { listing, name } of names) {
    const { folder } = listing;
    // The deliverable's own folder holds this file's entries only (another's is stuck there).
    if (held >= REPLAY_BATCH_BYTES && !folder.private) {
      past[CLAIM.test(name) ? "claimed" : "waiting"]++;
      continue;
    }
    // The user's folders hold every deliverable's: read until the batch is full, and a batch's
    // worth of others' at most, as thousands of others' made each emit's wait grow with them.
    if (folder.private && (held >= REPLAY_BATCH_BYTES || others >= REPLAY_BATCH_BYTES)) {
      unread.set(folder.path, (unread.get(folder.path) ?? 0) + 1);
      continue;
    }
    const item = readSpoolItem(listing, name);
    if (item === undefined) continue;
    if (item.state === "stuck") report.failures.push(stuckLine(item));
    if (mine(item)) {
      batch.push(item);
      held += JSON.stringify(item.entry!.draft).length;
    } else others += item.entry ? JSON.stringify(item.entry.draft).length : 4096; // one unreadable
  }
  batch.sort(bySpoolTime);
  const refused = replayItems(writer, batch, report);
  if (refused !== undefined) {
    report.failures.push(
      notTriedLine(writer.path, { ...refused, untried: refused.untried + past.waiting }),
    );
  } else if (past.waiting + past.claimed > 0 || unread.size > 0) {
    report.failures.push(leftUnreadLine(writer.path, past, unread));
  }
  return report;
}

/**
 * The line of what an emit's replay left unread: its own spool's entries past the batch (those
 * claimed by another replayer apart), and the user's folders' entries past what it read. Unread,
 * an entry may be one `flush` cannot append (STUCK), or, in the user's folders, another file's.
 */
function leftUnreadLine(
  file: string,
  past: { waiting: number; claimed: number },
  unread: ReadonlyMap<string, number>,
): string {
  const parts = [
    ...past.waiting ? [`${past.waiting} more spooled record(s) wait, not read`] : [],
    ...past.claimed ? [`${past.claimed} more claimed by another replayer`] : [],
    ...[...unread].map(([folder, n]) => `${n} entries of ${folder} not read (any file's)`),
  ];
  return `${file}: ${parts.join("; ")}: each append replays the oldest 256 KiB of this file's; ` +
    `runrec flush ${pathArgument(dirname(file))} appends them, naming any it cannot (STUCK)`;
}

/** Why a file took none of a replay's records, and how many were left untried for it. */
export interface Refused {
  why: string;
  untried: number;
}

/**
 * Replays `items` (the writer's file's, oldest first) under the writer's lock. When an append
 * fails for the file itself (a {@linkcode WriteError}: read-only, full, taken away), the rest are
 * not tried: each would fail the same way, and a writer's wait would grow with the spool. The
 * entries whose records were appended are removed at the end, after `sync` (`flush`'s one fsync
 * of the file for the batch, its writer's appends not synced each): killed before, the next
 * replay finds each record in the file ({@linkcode alreadyReplayed}) and appends none again.
 *
 * @example
 * ```ts
 * import { emptyReport, replayItems } from "./spool.ts";
 * declare const writer: import("./append_types.ts").RecordWriter;
 * declare const items: import("./spool.ts").SpoolItem[];
 * const refused = replayItems(writer, items, emptyReport()); // undefined: each tried
 * ```
 */
export function replayItems(
  writer: RecordWriter,
  items: readonly SpoolItem[],
  report: ReplayReport,
  sync?: () => void,
): Refused | undefined {
  const appended: Appended[] = [];
  let refused: Refused | undefined;
  for (const [i, item] of items.entries()) {
    const why = replayOne(writer, item, report, appended);
    if (why !== undefined) {
      refused = { why, untried: items.length - i - 1 };
      break;
    }
  }
  if (appended.length > 0 && sync !== undefined) {
    try {
      sync();
    } catch (e) {
      // In the file, unconfirmed: never appended again, as an append's own failed fsync. Named
      // by their RunIDs: each batch's line its own, never taken for another batch's.
      const [first, last] = [appended[0].runId, appended.at(-1)!.runId];
      report.failures.push(
        `${writer.path}: ${appended.length} record(s) replayed, but fsync failed ` +
          `(${first === last ? first : `${first} to ${last}`}): ${firstMessageLine(e)}`,
      );
    }
  }
  for (const { claimed, entry } of appended) {
    try {
      Deno.removeSync(claimed);
      settleRun(writer, entry);
    } catch (e) {
      // The next replay finds its record in the file, and removes it then.
      report.failures.push(`${claimed}: replayed, but not removed: ${firstMessageLine(e)}`);
    }
  }
  return refused;
}

/**
 * The failure line of the records a replay left untried, their file refusing a write.
 *
 * @example
 * ```ts
 * import { notTriedLine } from "./spool.ts";
 * notTriedLine("/p/DEL-01-02_X/RunRecords.csv", { why: "read-only file system", untried: 3 });
 * ```
 */
export function notTriedLine(file: string, { why, untried }: Refused): string {
  return `${file}: ${untried} more spooled record(s) not tried, the file refusing the one before ` +
    `(${why}); they wait for runrec flush ${pathArgument(dirname(file))} once it can be written`;
}

/** An entry whose record a replay appended, to be removed once its batch is synced. */
interface Appended {
  claimed: string;
  entry: SpoolEntry;
  runId: string;
}

/**
 * Replays one entry; returns why, when its append failed for the file itself (see replayItems).
 * An entry whose record it appends is added to `appended`, to be removed once synced.
 */
function replayOne(
  writer: RecordWriter,
  item: SpoolItem,
  report: ReplayReport,
  appended: Appended[],
): string | undefined {
  const entry = item.entry!;
  if (item.state === "claimed" && !claimAbandoned(item)) return;
  let claimed: string | undefined;
  try {
    claimed = claim(item);
  } catch (e) {
    report.failures.push(
      `STUCK: ${item.path}: cannot be claimed for replay: ${firstMessageLine(e)}`,
    );
    return;
  }
  if (!claimed) return; // another replayer has it
  const marker = replayMarker(entry);
  try {
    const written = alreadyReplayed(writer, entry);
    if (written !== undefined) {
      Deno.removeSync(claimed);
      settleRun(writer, entry);
      report.alreadyWritten.push({ entry: entry.id, runId: written });
      return;
    }
    // A RunID set in the entry (runrec spools none: a hand edit, another tool) that a record
    // took meanwhile: the same record written (a retry that got through) is this one;
    // another's is never renumbered in silence (leftovers-52 4).
    const chosen = chosenRunIdHolder(writer, entry);
    if (chosen === "this") {
      Deno.removeSync(claimed);
      settleRun(writer, entry);
      report.alreadyWritten.push({ entry: entry.id, runId: entry.draft.RunID! });
      return;
    }
    if (chosen !== undefined) throw new RunIdTaken(writer.path, entry, chosen);
    const replay = replayOf(
      writer,
      entry,
      `${marker} (spooled ${entry.spooledAt}: ${agentText(entry.error)})`,
    );
    if ("recorded" in replay) {
      Deno.removeSync(claimed);
      const { Notes, ErrorSummary } = replay.record;
      settleRecordedRuns(dirname(writer.path), Notes, ErrorSummary);
      report.alreadyRecorded.push(replay.recorded);
      return;
    }
    const { record } = replayedInto(report, writer, replay.draft);
    appended.push({ claimed, entry, runId: record.RunID });
  } catch (e) {
    if (e instanceof WriteError && e.landed) {
      // In the file already: never appended again (the marker would find it anyway).
      Deno.removeSync(claimed);
      report.failures.push(`${item.path}: replayed, but ${firstMessageLine(e)}`);
      return;
    }
    entry.attempts++;
    entry.error = firstMessageLine(e);
    const back = claimed.replace(/\.claim-[^/\\]*$/, "");
    // Give the entry back as it was first, then record the attempt beside it and rename it
    // over: a full disk can fail the update, never empty the entry.
    try {
      Deno.renameSync(claimed, back);
      const updated = temporaryPath(back);
      try {
        Deno.writeTextFileSync(updated, JSON.stringify(entry, null, 1) + "\n");
        Deno.renameSync(updated, back);
      } catch {
        Deno.remove(updated).catch(() => {});
      }
    } catch { /* left claimed: taken back once this process is gone */ }
    const loud = entry.attempts >= ESCALATE_AFTER || e instanceof RunIdTaken ? "STUCK: " : "";
    report.failures.push(
      `${loud}${back}: record for ${entry.recordFile} still not written after ` +
        `${entry.attempts} replay(s): ${entry.error}`,
    );
    if (e instanceof WriteError) return entry.error;
  }
  return undefined;
}

/**
 * What replaying `entry` appends (its draft with `note`, runrec's replay
 * note), or the record of its run the writer's file holds already. A record
 * that names a run (`run <id>` in its Notes: every finish and `reap` writes
 * one) may have been spooled where a later finish or `reap` of the run did
 * not look (another `$TMPDIR`, another user): that one's record in the file
 * stands, and this one is left out, unless the file holds only the FAILED
 * record `reap` wrote and this one is not it: then it is the agent's late
 * finish, and its append says it supersedes that record (store.ts
 * `supersedingReaped`), as `finish` says it.
 *
 * @example
 * ```ts
 * import { replayOf } from "./spool.ts";
 * declare const writer: import("./append_types.ts").RecordWriter;
 * declare const entry: import("./spool.ts").SpoolEntry;
 * const replay = replayOf(writer, entry, "replayed from spool entry …");
 * if ("draft" in replay) writer.append(replay.draft);
 * ```
 */
export function replayOf(
  writer: RecordWriter,
  entry: SpoolEntry,
  note: string,
): { draft: RecordDraft } | { recorded: RunRecordedAlready; record: RunRecord } {
  const { draft } = entry;
  const notes = [draft.Notes, note];
  for (const [, run] of (draft.Notes ?? "").matchAll(NAMED_RUNS)) {
    const found = recordsOfRun(writer.path, draft, run);
    const reaped = found.find((r) => r.ErrorSummary === REAPED_ERROR);
    const other = found.find((r) => r.ErrorSummary !== REAPED_ERROR);
    const recorded = draft.ErrorSummary === REAPED_ERROR ? other ?? reaped : other;
    if (recorded) {
      return { recorded: { entry: entry.id, run, runId: recorded.RunID }, record: recorded };
    }
  }
  return { draft: { ...draft, Notes: notes.filter(Boolean).join(" | ") } };
}

/**
 * The pending file a finish of a read-only folder left beside this record, removed now it is in.
 *
 * @example
 * ```ts
 * import { settleRun } from "./spool.ts";
 * declare const writer: import("./append_types.ts").RecordWriter;
 * declare const entry: import("./spool.ts").SpoolEntry;
 * settleRun(writer, entry);
 * ```
 */
export function settleRun(writer: RecordWriter, entry: SpoolEntry): void {
  settleRecordedRuns(dirname(writer.path), entry.draft.Notes ?? "", entry.draft.ErrorSummary ?? "");
}

/**
 * Appends a replayed record with `writer` into `report`, and returns it; one that repeats a
 * record of the file (a retried emit whose first try was spooled too) is
 * written, and warned of as emit warns of a repeat (retry-sweep F1). One whose note in the
 * journal could not be written, or synced, is said as emit says its own record's: a git command
 * that drops it before it is committed is undone by nothing, and its entry is gone.
 *
 * @example
 * ```ts
 * import { emptyReport, replayedInto } from "./spool.ts";
 * declare const writer: import("./append_types.ts").RecordWriter;
 * declare const draft: import("./append_types.ts").RecordDraft;
 * replayedInto(emptyReport(), writer, draft);
 * ```
 */
export function replayedInto(
  report: ReplayReport,
  writer: RecordWriter,
  draft: RecordDraft,
): AppendResult {
  const result = writer.append(draft);
  report.replayed.push(result);
  const { unjournalled, journalUnsynced } = result;
  if (unjournalled !== undefined || journalUnsynced !== undefined) {
    report.failures.push(
      `${result.record.RunID} is replayed into ${writer.path}, but ` +
        (unjournalled !== undefined
          ? `could not be noted in ${journalPath(writer.path)} (${unjournalled}): a git pull or ` +
            "checkout that drops it before it is committed will not be undone; commit it " +
            "first, or make that folder writable to whoever appends here"
          : `the note of it in ${journalPath(writer.path)} was not synced ` +
            `(${journalUnsynced}): after a power cut, a git command that drops it may not be ` +
            "undone; commit it first"),
    );
  }
  if (result.sameRunAs === undefined) return result;
  const { RunID, AgentName, RunTimestamp } = result.record;
  report.repeats.push({
    runId: RunID,
    repeats: result.sameRunAs,
    warning: `${RunID} replayed into ${writer.path} repeats ${result.sameRunAs} (${AgentName} ` +
      `started at ${RunTimestamp}, the same status, inputs and outputs): if it records that run ` +
      `again (an emit retried after its first try was spooled), withdraw it: runrec annotate ` +
      `${pathArgument(dirname(writer.path))} ${RunID} --invalidates --note "recorded twice"`,
  });
  return result;
}

/**
 * The DeliverableID runrec records for `dir`, or `undefined` for none.
 *
 * @example
 * ```ts
 * import { declaredIdOf } from "./spool.ts";
 * declaredIdOf("PKG-01/DEL-01-02_Pressure_Spec"); // "DEL-01-02", or its _CONTEXT.md's
 * ```
 */
export function declaredIdOf(dir: string): string | undefined {
  try {
    return deliverableId(dir).id;
  } catch {
    return undefined;
  }
}

/**
 * A replay report with nothing in it yet, for a replay to fill.
 *
 * @example
 * ```ts
 * import { emptyReport } from "./spool.ts";
 * const report = emptyReport();
 * report.failures.length; // 0
 * ```
 */
export function emptyReport(): ReplayReport {
  return {
    replayed: [],
    putBack: [],
    repeats: [],
    alreadyWritten: [],
    alreadyRecorded: [],
    failures: [],
    claimed: [],
    elsewhere: [],
    removedTemporaries: [],
  };
}

/**
 * Bytes of records replayed under one lock (lost-record lines held before their records are
 * appended; a file's spool entries, by their records' JSON). Each append under a lock reads the
 * journal whole, and only the next lock's look cuts it to under 1 MiB: a lock held for thousands
 * of records made each append cost more than the one before.
 */
export const REPLAY_BATCH_BYTES = 256 << 10;
