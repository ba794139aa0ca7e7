/**
 * The spool: where a record goes when it cannot be appended (full disk, a
 * folder in the way, a lock that stays held), so that it is not lost. The
 * next record runrec writes for a run of the same folder (emit, finish, exec,
 * reap, `withRun`, `recordRun`), or `runrec flush`, replays it once; an
 * annotation and the library's `emitRecord` leave it for those.
 *
 * Replays are idempotent: each entry has an id, the replayed record's Notes
 * say `replayed from spool entry <id>`, and a replay first looks, under the
 * append lock, for a record of the file that is this entry's record: its
 * fields, and that text where a replay puts it (a record quoting the text is
 * not one). So a replay that dies at any point (after its write, before it
 * removed the entry) is finished, not repeated, by the next one. A replayer
 * claims an entry by renaming it to `<entry>.claim-<pid>@<host>`; a claim
 * whose process is gone, or older than {@linkcode CLAIM_LEASE_MS}, is taken
 * back.
 *
 * @module
 */
import { isGone, type Lookups, resolvedPath } from "./lookups.ts";
import { checkReplayArguments, checkReplayLostArguments } from "./argument_checks.ts";
import { optionalEnv, optionalUid } from "./optional_access.ts";
import { basename, dirname, isAbsolute, isAtOrBeneath, join, resolve } from "./path.ts";
import { readNamedLines } from "./named_lines.ts";
import { checksumMatches, decodeRecord, encodeRecord } from "./codec.ts";
import { failureReason, InputError } from "./errors.ts";
import { withLongWordsShortened } from "./names.ts";
import {
  DELIVERABLE_FOLDER,
  deliverableId,
  findExecutionRoot,
  findGitRoot,
} from "./deliverable.ts";
import { deliverableFolders } from "./targets.ts";
import { kindOf } from "./walk.ts";
import { spooledRecordHome } from "./git_moved_folder.ts";
import {
  hostname,
  LockRefusedError,
  LONGEST_LOCK_PAUSE_MS,
  notTheHolder,
  pidAlive,
} from "./lock.ts";
import { leaveWarning } from "./notices.ts";
import { privateFolderProblem, sharedSpoolFolder } from "./spool_folders.ts";
import { HEADER, LINE_LIMIT_BYTES, type RunRecord } from "./schema.ts";
import {
  inStateFolder,
  notAFile,
  removeAbandonedTemporaries,
  temporaryPath,
  writeFileDurably,
} from "./state_folder.ts";
import { restoreDroppedRecords, withRecordFile } from "./store.ts";
import { CONTEXT_FILE, RECORD_FILE } from "./deliverable.ts";
import {
  type AppendOptions,
  type AppendResult,
  type RecordDraft,
  type RecordWriter,
  WriteError,
} from "./append_types.ts";
import { linesHolding, runIdOfLine } from "./record_lines.ts";
import {
  journaledRecordFile,
  type JournalOnlyJson,
  journalOnlyJson,
  journalOnlyLines,
  journalOnlyMessage,
} from "./journal.ts";
import { keptJournalOf } from "./kept_journals.ts";
import { foreignLineProblem } from "./put_back_line.ts";
import { deliverableIdOfLine } from "./moved_records.ts";
import { recordsOfRun } from "./records_of_run.ts";
import { readEarlierSeqs } from "./seq_allocation.ts";
import { shellWord } from "./shell_word.ts";
import { jsonText } from "./json_text.ts";
import { type ByteSource, textLines } from "./text_lines.ts";
import { REAPED_ERROR, settleRecordedRuns } from "./run_files.ts";
import { agentText, NAMED_RUNS } from "./agent_notes.ts";

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
  /** Who claimed it (`pid@host`), for a claimed entry. */
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
   * file (git pull, checkout, reset) had dropped, put back (./journal.ts).
   */
  putBack: { runId: string; file: string }[];
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
   * emit) holds when {@linkcode replaySpool} ends: not written yet.
   */
  claimed: { path: string; claimedBy: string }[];
  /**
   * One line per record outside every folder the replay was asked about that
   * stays in the spool: said, not failed for ({@linkcode replaySpool} of named folders).
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
interface SpoolFolder {
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
interface OutsideFolders {
  fromEnv?: SpoolFolder;
  shared?: SpoolFolder;
}

function outsideFolders(): OutsideFolders {
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

function folders(delDirs: DelDirs, outside = outsideFolders()): SpoolFolder[] {
  const found: SpoolFolder[] = [];
  if (outside.fromEnv) found.push(outside.fromEnv);
  for (const delDir of typeof delDirs === "string" ? [delDirs] : delDirs ?? []) {
    found.push({ path: join(resolve(delDir), SPOOL_FOLDER), private: false, delDir });
  }
  if (outside.shared) found.push(outside.shared);
  return found.filter((f, i) => found.findIndex((g) => g.path === f.path) === i);
}

function writeEntry(folder: SpoolFolder, entry: SpoolEntry): string {
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
 * takes it; returns the entry's path and the folders passed over. Throws only when no folder takes it:
 * then the caller prints {@linkcode lostRecordLine}.
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
  for (const folder of folders(delDir)) {
    try {
      const path = writeEntry(folder, entry);
      // Ignored by git, which removes it without asking: `git clean -x` (actions/checkout runs
      // `git clean -ffdx`), `git stash --all`, `git worktree remove` of a linked worktree.
      const caution = folder.delDir === undefined
        ? outsideCaution(folder, delDir)
        : `it waits there until the next write or runrec flush ${shellWord(folder.delDir)}; ` +
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
  /** How long the record waits there and what replays it (in the deliverable's folder: what deletes it). */
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
 */
function entryProblem(entry: SpoolEntry, ownFile: string | undefined): string | undefined {
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
  const id = readId(home);
  if (!nothingAt(from) || id === undefined) return "";
  const runId = typeof draft.RunID === "string" ? " and delete its RunID" : "";
  return `; its folder is gone and its DeliverableID ${JSON.stringify(draft.DeliverableID)} is ` +
    `not ${id}: if ${basename(home)} is ${basename(from)} renamed (git mv, mv), set the entry's ` +
    `recordFile to ${ownFile} and its DeliverableID to ${id}${runId}, then runrec flush ` +
    `${shellWord(home)}; else move it into the ${SPOOL_FOLDER}/ of the folder it belongs to`;
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
  const own = readId(dir);
  if (own === undefined && kindOf(dir) === "folder") {
    return `the folder of its recordFile, ${dir}, is not a deliverable folder (no DeliverableID ` +
      `in its ${CONTEXT_FILE} or its name): correct the recordFile`;
  }
  if (own === undefined || id === own || id === idOf(dir)) return undefined;
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

/** The path with links resolved in its folder, or itself when that cannot be resolved. */
function realPathOf(path: string): string {
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
  return folders(delDirs).flatMap(listSpoolFolder);
}

/** The entries of one spool folder, as {@linkcode listSpool} lists them. */
function listSpoolFolder(folder: SpoolFolder): SpoolItem[] {
  const items: SpoolItem[] = [];
  let names: string[];
  // Entries that are not files (a link, a folder) are named, never passed over (bad-input F1).
  const odd: Deno.DirEntry[] = [];
  try {
    const entries = [...Deno.readDirSync(folder.path)];
    names = entries.filter((e) => e.isFile).map((e) => e.name);
    odd.push(...entries.filter((e) => !e.isFile && e.name.endsWith(".json")));
  } catch (e) {
    // A file of that name holds no entries (a write there says it is not a folder).
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return items;
    // The reason alone: the system's message names the path again (env-signals F9).
    items.push({
      path: folder.path,
      state: "stuck",
      problem: `cannot list: ${failureReason(e as Error)}`,
    });
    return items;
  }
  for (const entry of odd) {
    const what = notAFile(entry);
    items.push({
      path: join(folder.path, entry.name),
      state: "stuck",
      problem: `not replayed: ${what}, not a spool entry runrec wrote (remove it, or put the ` +
        "entry's file in its place)",
    });
  }
  const entryNames = names.filter((n) => n.endsWith(".json") || CLAIM.test(n)).sort();
  if (entryNames.length === 0) return items;
  const problem = folder.private ? privateFolderProblem(folder.path) : undefined;
  const ownFile = folder.delDir ? join(resolve(folder.delDir), RECORD_FILE) : undefined;
  const ownId = folder.delDir ? idOf(resolve(folder.delDir)) : undefined;
  for (const name of entryNames) {
    const path = join(folder.path, name);
    const claim = CLAIM.exec(name);
    const item: SpoolItem = { path, state: claim ? "claimed" : "waiting" };
    if (claim) item.claimedBy = `${claim[2]}@${claim[3]}`;
    if (problem) {
      item.state = "stuck";
      item.problem = `not replayed: the folder is ${problem}`;
      items.push(item);
      continue;
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
        // A claim is a rename: the entry is listed under its new name, so that a look at the
        // spool, then at the file, never misses a record on its way from one to the other.
        const moved = renamedEntry(folder.path, claim ? claim[1] : name, entryNames);
        if (moved !== undefined) entryNames.push(moved);
        continue;
      }
      item.state = "stuck";
      item.problem = `unreadable spool entry: ${message(e)}`;
    }
    items.push(item);
  }
  return items;
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
 */
function stuckLine(item: SpoolItem): string {
  return `STUCK: ${withLongWordsShortened(item.path)}: ${item.problem}`;
}

function message(e: unknown): string {
  return (e as Error).message.split("\n")[0];
}

/** Whether a claim may be taken back: its process is gone, or it is older than the lease. */
function claimAbandoned(item: SpoolItem): boolean {
  const [pid, host] = item.claimedBy!.split(/@(.*)/s);
  let mtime: number;
  let claimedAt: number; // the rename that claimed it changed the entry's ctime
  try {
    const info = Deno.statSync(item.path);
    mtime = info.mtime?.getTime() ?? 0;
    claimedAt = info.ctime?.getTime() ?? mtime;
  } catch {
    return false;
  }
  if (host === claimHost() && Number(pid) === Deno.pid) {
    // Our own, in flight (a replay takes moments); unless claimed before this process started, by
    // a replayer gone since under its pid (a container's process restarted), or older than the
    // lease (a Worker of ours ended mid-replay).
    return notTheHolder(Deno.pid, claimedAt) !== undefined ||
      Date.now() - claimedAt > CLAIM_LEASE_MS;
  }
  if (host === claimHost()) {
    const alive = pidAlive(Number(pid));
    if (alive === false) return true;
    // Killed, and not yet waited for by its parent (a zombie), or the pid given again since the
    // claim: gone all the same, as the append lock judges its holder (race-sweep F1).
    if (alive && notTheHolder(Number(pid), mtime) !== undefined) return true;
  }
  return Date.now() - mtime > CLAIM_LEASE_MS;
}

/** The host name as it can appear in a file name. */
function claimHost(): string {
  return hostname().replace(/[^0-9A-Za-z.-]/g, "_");
}

/**
 * Claims an entry by renaming it to our own claim name. `undefined` when
 * another process got there first; throws when the rename fails otherwise
 * (a read-only spool: the entry is stuck, not somebody else's).
 */
function claim(item: SpoolItem): string | undefined {
  const base = item.claimedBy ? CLAIM.exec(basename(item.path))![1] : basename(item.path);
  const claimed = join(item.path, "..", `${base}.claim-${Deno.pid}@${claimHost()}`);
  try {
    Deno.renameSync(item.path, claimed);
    return claimed;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** Spool order: the milliseconds an id starts with, then the id (one process's count). */
function bySpoolTime(a: SpoolItem, b: SpoolItem): number {
  const time = (item: SpoolItem) => Number(/^[0-9]+/.exec(item.entry?.id ?? "")?.[0] ?? 0);
  const id = (item: SpoolItem) => item.entry?.id ?? "";
  return time(a) - time(b) || (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0);
}

/** The text a replayed record's Notes carry, and the file is searched for. */
function replayMarker(entry: SpoolEntry): string {
  return `replayed from spool entry ${entry.id}`;
}

/**
 * Whether a whole record of the writer's file is the record `entry` replays:
 * its draft's fields, and its Notes with the marker where a replay puts it
 * (after the draft's Notes; the lock's recovery notes may follow). A record
 * that merely quotes the marker (an agent's --notes, a line pulled from
 * another clone) is another record: the entry is still to be written.
 */
function alreadyReplayed(writer: RecordWriter, entry: SpoolEntry): string | undefined {
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
 */
function chosenRunIdHolder(writer: RecordWriter, entry: SpoolEntry): string | undefined {
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
class RunIdTaken extends Error {
  constructor(
    file: string,
    entry: SpoolEntry,
    holder: string,
    kind = "entry",
    then = `runrec flush ${shellWord(dirname(file))}`,
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
  // Oldest first across every spool folder: ids start with the time they were spooled.
  const items = listSpool(delDir).sort(bySpoolTime);
  for (const item of items) if (item.state === "stuck") report.failures.push(stuckLine(item));
  const mine = items.filter((item) =>
    item.entry !== undefined &&
    (item.entry.recordFile === writer.path || realPathOf(item.entry.recordFile) === writer.path)
  );
  const [batch = [], ...later] = inBatches(mine);
  const waiting = later.reduce((n, items) => n + items.length, 0);
  const refused = replayItems(writer, batch, report);
  if (refused !== undefined) {
    report.failures.push(
      notTriedLine(writer.path, { ...refused, untried: refused.untried + waiting }),
    );
  } else if (waiting > 0) {
    report.failures.push(
      `${writer.path}: ${waiting} more spooled record(s) wait: each append replays the oldest ` +
        `256 KiB of them; runrec flush ${shellWord(dirname(writer.path))} appends them all`,
    );
  }
  return report;
}

/**
 * `items` by the record file they are for, named as the first names it: entries naming one file by
 * two paths (a symlinked folder) are one file's, replayed in one spool order as `replayInto` does.
 */
function byRecordFile(items: readonly SpoolItem[]): Map<string, SpoolItem[]> {
  const byName = new Map<string, SpoolItem[]>();
  for (const item of items) {
    if (item.entry === undefined) continue;
    const file = item.entry.recordFile;
    byName.get(file)?.push(item) ?? byName.set(file, [item]);
  }
  const byReal = new Map<string, string>();
  const files = new Map<string, SpoolItem[]>();
  for (const [name, named] of byName) {
    const real = realPathOf(name);
    const file = byReal.get(real) ?? name;
    byReal.set(real, file);
    files.set(file, [...files.get(file) ?? [], ...named]);
  }
  return files;
}

/** Why a file took none of a replay's records, and how many were left untried for it. */
interface Refused {
  why: string;
  untried: number;
}

/**
 * Replays `items` (the writer's file's, oldest first) under the writer's lock. When an append
 * fails for the file itself (a {@linkcode WriteError}: read-only, full, taken away), the rest are
 * not tried: each would fail the same way, and a writer's wait would grow with the spool.
 */
function replayItems(
  writer: RecordWriter,
  items: readonly SpoolItem[],
  report: ReplayReport,
): Refused | undefined {
  for (const [i, item] of items.entries()) {
    const why = replayOne(writer, item, report);
    if (why !== undefined) return { why, untried: items.length - i - 1 };
  }
  return undefined;
}

/** The failure line of the records a replay left untried, their file refusing a write. */
function notTriedLine(file: string, { why, untried }: Refused): string {
  return `${file}: ${untried} more spooled record(s) not tried, the file refusing the one before ` +
    `(${why}); they wait for runrec flush ${shellWord(dirname(file))} once it can be written`;
}

/** Replays one entry; returns why, when its append failed for the file itself (see replayItems). */
function replayOne(
  writer: RecordWriter,
  item: SpoolItem,
  report: ReplayReport,
): string | undefined {
  const entry = item.entry!;
  if (item.state === "claimed" && !claimAbandoned(item)) return;
  let claimed: string | undefined;
  try {
    claimed = claim(item);
  } catch (e) {
    report.failures.push(`STUCK: ${item.path}: cannot be claimed for replay: ${message(e)}`);
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
    replayedInto(report, writer, replay.draft);
    Deno.removeSync(claimed);
    settleRun(writer, entry);
  } catch (e) {
    if (e instanceof WriteError && e.landed) {
      // In the file already: never appended again (the marker would find it anyway).
      Deno.removeSync(claimed);
      report.failures.push(`${item.path}: replayed, but ${message(e)}`);
      return;
    }
    entry.attempts++;
    entry.error = message(e);
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
 */
function replayOf(
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

/** The pending file a finish of a read-only folder left beside this record, removed now it is in. */
function settleRun(writer: RecordWriter, entry: SpoolEntry): void {
  settleRecordedRuns(dirname(writer.path), entry.draft.Notes ?? "", entry.draft.ErrorSummary ?? "");
}

/** The variables that name the spool folders outside the deliverables. */
const SPOOL_VARIABLES = ["RUNREC_SPOOL_DIR", "TMPDIR", "TEMP", "TMP"];

/**
 * A replay of the user's spools only needs to find them: without the permissions that name them
 * (`$RUNREC_SPOOL_DIR`, `$TMPDIR`, the user's id) it would look nowhere, or in the wrong folder,
 * and say nothing waits.
 */
function requireUserSpool(): void {
  const denied = [
    ...SPOOL_VARIABLES.some((name) =>
        Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted"
      )
      ? [`--allow-env=${SPOOL_VARIABLES.join(",")}`]
      : [],
    ...Deno.build.os !== "windows" && optionalUid() === undefined ? ["--allow-sys=uid"] : [],
  ];
  if (denied.length > 0) {
    throw new InputError(
      "replaySpool(): the user's spools ($RUNREC_SPOOL_DIR, $TMPDIR/runrec-spool-<uid>) cannot " +
        `be found without ${denied.join(" and ")}`,
    );
  }
}

/**
 * Replays every spooled record in the spool folders of `delDirs` (one
 * deliverable folder or several; none: of the user only), one record file at
 * a time, oldest first, each 256 KiB of its records under an append lock of
 * their own; once the file refuses a write, the rest of its records are not
 * tried (one failure says how many). A record that stays in the spool is a
 * failure when its file is at or beneath one of `delDirs` (`flush` passes the
 * roots it was given among them), whether or not its folder is still there,
 * or when its file is not known; else it is said in `elsewhere`: a flush of
 * named folders is not failed by another deliverable's record in the user's
 * spool. An entry whose deliverable folder is gone is appended nowhere: it
 * waits for the folder, or to be moved into the `.runrec-spool/` of the
 * folder it belongs to. With no folders, the permissions that find the user's
 * spools (`--allow-env=RUNREC_SPOOL_DIR,TMPDIR,TEMP,TMP`, `--allow-sys=uid`) are
 * required: an `InputError` names the missing ones; with folders, their own
 * spools are replayed, and `$RUNREC_SPOOL_DIR` and the user's spool in
 * `$TMPDIR` only where those permissions are granted. Given `onReplayed`, each
 * record appended is handed to it once its batch is done, and the report's
 * `replayed` stays empty: thousands of records are not held.
 *
 * @example
 * ```ts
 * import { replaySpool } from "@runrec/runrec";
 * // Runs recorded while RunRecords.csv could not be written, appended now, each once.
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * const { replayed, failures } = await replaySpool(dir);
 * for (const r of replayed) console.log(r.record.RunID);
 * for (const failure of failures) console.error(failure);
 * // Or each as it is appended, none held: a spool of thousands.
 * await replaySpool(dir, {}, (r) => console.log(r.record.RunID));
 * ```
 */
export async function replaySpool(
  delDirs?: DelDirs,
  options: AppendOptions = {},
  onReplayed?: OnReplayed,
): Promise<ReplayReport> {
  checkReplayArguments(delDirs, options, onReplayed);
  if (delDirs === undefined) requireUserSpool();
  const report = emptyReport();
  const items = listSpool(delDirs);
  const asked = askedAbout(delDirs);
  // An entry that cannot be read is found again by every file's replay: said once, and a
  // failure (whose record it holds is not known).
  const stuck = new Set(
    items.flatMap((i) => i.state === "stuck" ? [stuckLine(i)] : []),
  );
  const failures = new Set(stuck);
  const elsewhere = new Set<string>();
  for (const dir of namedDirs(delDirs)) {
    const file = join(dir, RECORD_FILE);
    try {
      const runIds = await restoreDroppedRecords(file, { holder: "runrec flush", ...options });
      report.putBack.push(...runIds.map((runId) => ({ runId, file })));
    } catch (e) {
      failures.add(`${file}: its journal not checked for dropped records: ${message(e)}`);
    }
  }
  for (const item of items) followMovedFolder(item);
  for (const [file, waiting] of byRecordFile(items)) {
    const left = asked(file) ? failures : elsewhere;
    if (isGone(dirname(file))) {
      // No folder to lock: said plainly, with what to do, instead of the lock's ENOENT.
      for (const item of waiting) left.add(goneFolderLine(item.path, item.entry!, delDirs));
      continue;
    }
    // Before the lock: each entry is looked for (scale37 F1), and most are of an earlier minute
    // than the file's latest, whose SEQ the SEQ index does not keep (F4).
    readNamedLines(resolve(file));
    readEarlierSeqs(resolve(file));
    // Each batch under a lock of its own: see REPLAY_BATCH_BYTES.
    const batches = inBatches(waiting.sort(bySpoolTime));
    const from = (i: number) => batches.slice(i).reduce((n, batch) => n + batch.length, 0);
    for (const [i, batch] of batches.entries()) {
      if (i > 0) await letWaitersIn();
      const one = emptyReport();
      let refused: Refused | undefined;
      let locked = true;
      try {
        refused = await withRecordFile(
          file,
          { holder: "runrec flush", ...options },
          (writer) => replayItems(writer, batch, one),
        );
      } catch (e) {
        // A lock held past the wait is let go in time: say what to run then.
        const then = e instanceof LockRefusedError && e.kind === "held"
          ? `; runrec flush ${shellWord(dirname(file))} again once it is free`
          : "";
        left.add(`${file}: ${from(i)} spooled record(s) not replayed: ${message(e)}${then}`);
        locked = false;
      }
      report.replayed.push(...one.replayed);
      handOver(report, onReplayed);
      report.repeats.push(...one.repeats);
      report.alreadyWritten.push(...one.alreadyWritten);
      report.alreadyRecorded.push(...one.alreadyRecorded);
      for (const failure of one.failures) left.add(failure);
      if (refused !== undefined) {
        left.add(notTriedLine(file, { ...refused, untried: refused.untried + from(i + 1) }));
      }
      if (refused !== undefined || !locked) break;
    }
  }
  // Claimed by a live replayer (another flush, an emit) now that this one is done.
  for (const item of listSpool(delDirs)) {
    if (item.state !== "claimed") continue;
    if (asked(item.entry!.recordFile)) {
      report.claimed.push({ path: item.path, claimedBy: item.claimedBy! });
    } else elsewhere.add(`CLAIMED by ${item.claimedBy}: ${item.path}`);
  }
  report.failures = [...failures];
  report.elsewhere = [...elsewhere];
  // Not in a folder that is not the user's own: nothing of it is runrec's to remove.
  report.removedTemporaries = folders(delDirs)
    .filter((f) => !f.private || kindOf(f.path) !== "folder" || !privateFolderProblem(f.path))
    .flatMap((f) => removeAbandonedTemporaries(f.path));
  return report;
}

/**
 * Moves a waiting entry whose deliverable folder git left holding runrec's
 * state alone (a checkout or rebase renamed or renumbered the folder while its
 * record waited) into the own spool of the folder the files went to, for that
 * folder's record file: a replay where it was would begin a file there (the
 * deliverable's SEQs from 001, its history in two files). Its record takes
 * that folder's DeliverableID, as a finish there gives it, and says where it
 * was spooled. Written there before it is removed here: a crash between
 * leaves two copies, which the replay marker appends once.
 */
function followMovedFolder(item: SpoolItem): void {
  const entry = item.entry;
  if (item.state !== "waiting" || entry === undefined) return;
  const from = dirname(entry.recordFile);
  if (kindOf(entry.recordFile) !== "other") return; // there: its own file takes it
  const home = spooledRecordHome(from);
  const id = home === undefined ? undefined : readId(home);
  if (home === undefined || id === undefined) return;
  const note = `spooled for ${basename(from)}, which git moved to ${basename(home)}`;
  const draft = { ...entry.draft, DeliverableID: id };
  draft.Notes = [entry.draft.Notes, note].filter(Boolean).join(" | ");
  // A RunID the run's start reserved names the old ID: the file gives one of the new.
  if (draft.RunID !== undefined && !draft.RunID.startsWith(`RUN-${id}-`)) delete draft.RunID;
  const moved: SpoolEntry = { ...entry, recordFile: join(home, RECORD_FILE), draft };
  try {
    const path = writeEntry(
      { path: join(home, SPOOL_FOLDER), private: false, delDir: home },
      moved,
    );
    Deno.removeSync(item.path);
    item.path = path;
    item.entry = moved;
  } catch { /* left where it was: replayed as before, or reported */ }
}

/**
 * A test of whether a record file is at or beneath one of `delDirs` (a
 * deliverable folder or a root named to flush), as written or with links
 * resolved, whether or not its folder is still there; every file is, when
 * none are given.
 */
function askedAbout(delDirs: DelDirs): (file: string) => boolean {
  if (delDirs === undefined) return () => true;
  // Resolved when first asked: a flush of a root with nothing spooled resolves none of its folders.
  let named: string[] | undefined;
  return (file) => {
    named ??= namedDirs(delDirs).flatMap((dir) => [dir, resolvedPath(dir)]);
    return [file, resolvedPath(file)].some((path) =>
      named!.some((dir) => isAtOrBeneath(path, dir))
    );
  };
}

/** `delDirs` as a list of absolute paths. */
function namedDirs(delDirs: DelDirs): string[] {
  return (typeof delDirs === "string" ? [delDirs] : delDirs ?? []).map((dir) => resolve(dir));
}

/** The DeliverableID a folder's name carries, if any. */
function idOf(dir: string): string | undefined {
  return DELIVERABLE_FOLDER.exec(basename(dir))?.[1];
}

/**
 * The line for an entry whose deliverable folder is gone, with what to do.
 * It names a folder to move the entry into only when one folder named is
 * surely its deliverable's (see {@linkcode homeOf}); that folder's own spool
 * then takes the entry.
 */
function goneFolderLine(path: string, entry: SpoolEntry, delDirs: DelDirs): string {
  const home = homeOf(entry, delDirs);
  const move = home
    ? `${join(home, SPOOL_FOLDER)}/ (mkdir it) and runrec flush ${shellWord(home)}`
    : `the ${SPOOL_FOLDER}/ of the folder this record belongs to (mkdir it) and runrec flush ` +
      "that folder";
  return `STUCK: ${path}: its deliverable folder ${dirname(entry.recordFile)} is gone (renamed, ` +
    `moved or removed); move the folder back, or move this entry into ${move}`;
}

/**
 * The one folder of `delDirs` of the entry's DeliverableID, by its label (what
 * its own spool takes) and by what runrec reads (`_CONTEXT.md` first), in the
 * same project as the entry's gone folder: the same git work tree and
 * execution root, since a DeliverableID is only unique in its project.
 * `undefined` when there is none, several, or the project is not known.
 */
function homeOf(entry: SpoolEntry, delDirs: DelDirs): string | undefined {
  const id = entry.draft.DeliverableID;
  const project = projectOf(dirname(entry.recordFile));
  if (project === undefined) return undefined;
  const homes = [...new Set(namedDirs(delDirs))].filter((dir) =>
    idOf(dir) === id && readId(dir) === id && projectOf(dir) === project
  );
  return homes.length === 1 ? homes[0] : undefined;
}

/** The git work tree and execution root `dir` is in, as one key; `undefined`: neither. */
function projectOf(dir: string): string | undefined {
  const real = resolvedPath(resolve(dir));
  const [tree, root] = [findGitRoot(real), findExecutionRoot(real)];
  return tree === undefined && root === undefined ? undefined : `${tree}\n${root}`;
}

/**
 * Appends a replayed record with `writer` into `report`; one that repeats a
 * record of the file (a retried emit whose first try was spooled too) is
 * written, and warned of as emit warns of a repeat (retry-sweep F1).
 */
function replayedInto(report: ReplayReport, writer: RecordWriter, draft: RecordDraft): void {
  const result = writer.append(draft);
  report.replayed.push(result);
  if (result.sameRunAs === undefined) return;
  const { RunID, AgentName, RunTimestamp } = result.record;
  report.repeats.push({
    runId: RunID,
    repeats: result.sameRunAs,
    warning: `${RunID} replayed into ${writer.path} repeats ${result.sameRunAs} (${AgentName} ` +
      `started at ${RunTimestamp}, the same status, inputs and outputs): if it records that run ` +
      `again (an emit retried after its first try was spooled), withdraw it: runrec annotate ` +
      `${shellWord(dirname(writer.path))} ${RunID} --invalidates --note "recorded twice"`,
  });
}

/** The DeliverableID runrec records for `dir`, or `undefined` for none. */
function readId(dir: string): string | undefined {
  try {
    return deliverableId(dir).id;
  } catch {
    return undefined;
  }
}

function emptyReport(): ReplayReport {
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

/** What {@linkcode replayLostRecords} did. */
export interface LostRecordsReport extends ReplayReport {
  /** Lines of the file that carry a record (or fail to): 0 for a file with none. */
  lines: number;
}

/**
 * A {@linkcode LostRecordsReport} with, given a journal, the lines it holds that are not put back
 * here (another line of history's, or a commit's), each as `runrec flush --json` names a record
 * only a journal holds, with the command that records it where it belongs (each is in `failures`
 * too): what `flush --from --json` prints as `journalOnly`.
 */
export interface LostLinesReport extends LostRecordsReport {
  /** The journal's lines not put back here, with what records each. */
  journalOnly: JournalOnlyJson[];
}

/**
 * Appends records carried by lost-record lines (or spool entries, one JSON
 * object per line) from a file an orchestrator saved, each once: a record
 * already in its file is not appended again. The file is only read. Given a
 * record file's journal (`.runrec/RunRecords.csv.journal`), it puts back the
 * records only that journal holds (in no file, branch, tag or stash, and put
 * back by no append: SCHEMA.md 7.1), each once, as an append puts back a line
 * git dropped: byte for byte, or under the next free RunID with a note naming
 * its own when another record holds that RunID by then.
 *
 * @example
 * ```ts
 * import { replayLostRecords } from "@runrec/runrec";
 * // lost-records.txt: the lines "runrec: lost-record: {...}" an orchestrator saved from failed
 * // emits' stderr (an empty file holds none).
 * const report = await replayLostRecords("lost-records.txt");
 * if (report.lines === 0) console.log("no lost-record line in it");
 * ```
 */
export function replayLostRecords(
  file: string,
  options: AppendOptions = {},
): Promise<LostRecordsReport> {
  return replayLostFile(file, options);
}

/**
 * {@linkcode replayLostRecords}, its report naming a journal's lines not put back here as
 * `flush --json` does (`runrec flush --from FILE`).
 *
 * @example
 * ```ts
 * import { replayLostFile } from "./spool.ts";
 * const report = await replayLostFile("DEL-01-02_X/.runrec/RunRecords.csv.journal");
 * for (const line of report.journalOnly) console.log(line.runId, line.command);
 * ```
 */
export async function replayLostFile(
  file: string,
  options: AppendOptions = {},
  onReplayed?: OnReplayed,
): Promise<LostLinesReport> {
  checkReplayLostArguments(file, options);
  const report: LostLinesReport = { ...emptyReport(), lines: 0, journalOnly: [] };
  // A journal (.runrec/RunRecords.csv.journal): the records only it holds, each once.
  // Or the journal a removed linked work tree left in the common git folder: of the file at its
  // deliverable path in this work tree.
  const kept = keptJournalOf(file);
  if (kept?.live) {
    report.failures.push(
      `${file}: the journal of a linked work tree that is there still: runrec flush in that ` +
        "work tree puts back what it holds",
    );
    return report;
  }
  if (kept?.prunable) {
    // Moved by hand (not `git worktree move`), its own journal is back once it is repaired.
    report.failures.push(
      `${file}: the journal of a linked work tree whose folder is gone while git still lists ` +
        "it (prunable): moved by hand, git worktree repair NEW-FOLDER brings its journal back, " +
        "and runrec flush there puts back what it holds; deleted, git worktree " +
        "prune first, then runrec flush --from this journal",
    );
    return report;
  }
  const journaled = journaledRecordFile(resolve(file)) ?? kept?.recordFile;
  if (journaled !== undefined && kindOf(file) === "file") {
    // A folder or FIFO at the record file's path: its journal's lines cannot be looked for
    // there, and "no record only this journal holds" would be said of lines it holds.
    if (!isGone(journaled) && kindOf(journaled) !== "file") {
      report.failures.push(
        `${join(dirname(dirname(file)), RECORD_FILE)}: records only its journal holds not put ` +
          "back: not a regular file (a folder, FIFO or device)",
      );
      return report;
    }
    // As the user named the journal.
    const named = kept === undefined ? join(dirname(dirname(file)), RECORD_FILE) : journaled;
    const lost = journalOnlyLines(journaled, file);
    // Another line of history's run (a branch, a detached HEAD's commit) is not this one's to
    // record, and one a commit holds is recorded already: each is named with its remedy.
    const elsewhere = lost.filter((l) => l.branchFile || l.commit || l.keptIn || l.unchecked);
    for (const l of elsewhere) {
      report.failures.push(
        `${named}: not put back here: ${journalOnlyMessage(named, l)}`,
      );
      report.journalOnly.push(journalOnlyJson(named, l));
    }
    const lines = lost.filter((l) => !elsewhere.includes(l)).map((l) => l.line);
    report.lines = lost.length;
    if (lines.length > 0) {
      await putBackJournalOnly(file, { journaled, named }, lines, report, options);
    }
    return report;
  }
  let opened: Deno.FsFile;
  try {
    opened = Deno.openSync(file);
  } catch (e) {
    throw unreadable(file, e);
  }
  using input = opened;
  const reading = {
    readSync(buffer: Uint8Array) {
      try {
        return input.readSync(buffer);
      } catch (e) {
        throw unreadable(file, e); // a folder opens, and fails at its first read
      }
    },
  };
  return await replayLostRecordLines(reading, file, options, onReplayed);
}

/** The one-line error of a `--from` file that cannot be opened or read. */
function unreadable(file: string, e: unknown): InputError {
  // Deno's refusal stays whole: the CLI says it in its sandbox's words, naming the path.
  const why = e instanceof Deno.errors.NotCapable ? message(e) : failureReason(e as Error);
  return new InputError(`${file}: cannot read: ${why}`);
}

/**
 * The longest lost-record line read: the JSON of a record whose line is at the line limit
 * (SCHEMA.md 6.5), which writes a byte of it as three at most (a C1 control `\u009b` for two, a
 * one-letter list element `"a",` for `a;`), and room for the entry's other members. A line of a
 * record runrec wrote is never longer; memory holds one such line at most.
 */
const LOST_LINE_LIMIT_BYTES = 3 * LINE_LIMIT_BYTES + (1 << 20);

/**
 * Bytes of records replayed under one lock (lost-record lines held before their records are
 * appended; a file's spool entries, by their records' JSON). Each append under a lock reads the
 * journal whole, and only the next lock's look cuts it to under 1 MiB: a lock held for thousands
 * of records made each append cost more than the one before.
 */
const REPLAY_BATCH_BYTES = 256 << 10;

/**
 * A pause between two batches' locks, so that a writer waiting for the lock (an emit, another
 * flush) finds it free: taken again at once, it never did, and gave up after its wait.
 */
function letWaitersIn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, LONGEST_LOCK_PAUSE_MS));
}

/** Spool entries (oldest first) cut into runs of {@linkcode REPLAY_BATCH_BYTES}, in order. */
function inBatches(items: readonly SpoolItem[]): SpoolItem[][] {
  const batches: SpoolItem[][] = [];
  let held = REPLAY_BATCH_BYTES;
  for (const item of items) {
    if (held >= REPLAY_BATCH_BYTES) {
      batches.push([]);
      held = 0;
    }
    batches.at(-1)!.push(item);
    held += JSON.stringify(item.entry?.draft ?? {}).length;
  }
  return batches;
}

/**
 * {@linkcode replayLostRecords} of lost-record lines read a line at a time from `input` (an
 * open file, standard input), named `source` (a file's name, or "standard input") in its
 * messages. The records of each 256 KiB of lines are appended before more are read, so memory
 * stays bounded whatever `input` holds; a line longer than {@linkcode LOST_LINE_LIMIT_BYTES} is
 * refused, named by its number. A read that fails once records are appended is a failure of the
 * report, not thrown: those records are in their files, and a run again appends each once.
 *
 * @example
 * ```ts
 * import { replayLostRecordLines } from "./spool.ts";
 * const report = await replayLostRecordLines(Deno.stdin, "standard input");
 * console.log(report.lines); // the lines that carried a record, or failed to
 * ```
 */
export async function replayLostRecordLines(
  input: ByteSource,
  source: string,
  options: AppendOptions = {},
  onReplayed?: OnReplayed,
): Promise<LostLinesReport> {
  const report: LostLinesReport = { ...emptyReport(), lines: 0, journalOnly: [] };
  const byFile = new Map<string, { entry: SpoolEntry; line: number }[]>();
  let held = 0; // the length of the lines in byFile
  let lastLine = 0; // the number of the last line read
  let appended = false; // whether a batch was appended: a read failing after it is reported
  try {
    for (const { number, text: raw } of textLines(input, LOST_LINE_LIMIT_BYTES)) {
      lastLine = number;
      if (raw === undefined) {
        report.lines++;
        report.failures.push(
          `${source}:${number}: not a lost record: longer than ` +
            `${LOST_LINE_LIMIT_BYTES >> 20} MiB, more than any lost-record line runrec writes ` +
            "(a record's line holds 16 MiB at most, SCHEMA.md 6.5); not read",
        );
        continue;
      }
      const text = raw.trim();
      const at = text.indexOf(LOST_RECORD_PREFIX);
      const json = at >= 0 ? text.slice(at + LOST_RECORD_PREFIX.length) : text;
      if (at < 0 && !json.startsWith("{")) continue; // other output saved with them
      report.lines++;
      let entry: SpoolEntry;
      try {
        entry = JSON.parse(json);
      } catch (e) {
        report.failures.push(`${source}:${number}: not a lost record: ${message(e)}`);
        continue;
      }
      const wrong = entryProblem(entry, undefined);
      if (wrong) {
        report.failures.push(`${source}:${number}: not replayed: ${wrong}`);
        continue;
      }
      byFile.set(entry.recordFile, [...byFile.get(entry.recordFile) ?? [], {
        entry,
        line: number,
      }]);
      held += raw.length;
      if (held < REPLAY_BATCH_BYTES) continue;
      if (appended) await letWaitersIn();
      handOver(await replayLost(source, byFile, report, options), onReplayed);
      byFile.clear();
      held = 0;
      appended = true;
    }
  } catch (e) {
    if (!appended || !(e instanceof InputError)) throw e;
    await letWaitersIn();
    handOver(await replayLost(source, byFile, report, options), onReplayed);
    report.failures.push(
      `${message(e)}, after line ${lastLine}: the records of the lines before it were appended ` +
        "(each once); once it reads, the same runrec flush --from appends the rest",
    );
    return report;
  }
  if (appended && byFile.size > 0) await letWaitersIn();
  return handOver(await replayLost(source, byFile, report, options), onReplayed);
}

/**
 * Called with each record a replay appends, once its batch is appended; given, the report's
 * `replayed` is left empty, so that memory does not grow with the records (`runrec flush` prints
 * each as it comes).
 */
export type OnReplayed = (replayed: AppendResult) => void;

/** Hands the records `report` holds appended to `onReplayed`, if given, and keeps none of them. */
function handOver<Report extends ReplayReport>(report: Report, onReplayed?: OnReplayed): Report {
  if (onReplayed !== undefined) {
    for (const replayed of report.replayed.splice(0)) onReplayed(replayed);
  }
  return report;
}

/**
 * Puts back `lines`, the records only the journal `file` of `recordFile` holds, as an append puts
 * back a line git dropped (./put_back_line.ts): byte for byte, or under the next free SEQ with a
 * note naming its RunID when another record holds that RunID now (another clone's of that minute,
 * pulled). Each once: the file may hold it already, put back by another process meanwhile.
 */
async function putBackJournalOnly(
  file: string,
  { journaled: recordFile, named }: { journaled: string; named: string },
  lines: readonly string[],
  report: LostRecordsReport,
  options: AppendOptions,
): Promise<void> {
  // A line this runrec would not write (another version's) is refused before any write: the
  // post-write check found it only once in the file, or in a file begun for it.
  const writable = lines.filter((line) => {
    const problem = foreignLineProblem(line);
    if (problem === undefined) return true;
    report.failures.push(
      `${named}: records only its journal holds not put back: ${runIdOfLine(line)}: ` +
        `${problem} (another runrec version's record: put it back with the runrec that wrote it)`,
    );
    return false;
  });
  if (writable.length === 0) return;
  try {
    await withRecordFile(recordFile, { holder: "runrec flush", ...options }, (writer) => {
      // Checked out, the branch that lacked the file (the line began one there) gets it again.
      const begun = isGone(recordFile);
      try {
        if (begun) Deno.writeTextFileSync(recordFile, `${HEADER}\n`, { createNew: true });
        for (const [i, line] of writable.entries()) {
          const written = writer.putBack(line, writable.slice(i + 1));
          const [was, is] = [line, written.line].map((l) => runIdOfLine(l)!);
          if (written.offset === undefined) report.alreadyWritten.push({ entry: file, runId: is });
          else report.putBack.push({ runId: was === is ? was : `${was} as ${is}`, file: named });
        }
      } catch (e) {
        // A file begun here that holds no record is taken away: a header alone, left behind,
        // would be a file the branch never had (leftovers-52 2).
        if (begun && !(e instanceof Deno.errors.AlreadyExists)) removeIfHeaderOnly(recordFile);
        throw e;
      }
    });
  } catch (e) {
    report.failures.push(
      `${named}: records only its journal holds not put back: ${message(e)}`,
    );
  }
}

/** Removes the record file `path` a put-back began, if it holds its header (or part) alone. */
function removeIfHeaderOnly(path: string): void {
  try {
    if (`${HEADER}\n`.startsWith(Deno.readTextFileSync(path))) Deno.removeSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** Appends the records of `byFile`, read from `file` (lines numbered there), into `report`. */
async function replayLost<Report extends LostRecordsReport>(
  file: string,
  byFile: Map<string, { entry: SpoolEntry; line: number }[]>,
  report: Report,
  options: AppendOptions,
): Promise<Report> {
  for (const [recordFile, lost] of byFile) {
    const folder = dirname(recordFile);
    if (isGone(folder)) {
      // No folder to lock: said plainly, with what to do, instead of the lock's ENOENT.
      for (const { line } of lost) {
        report.failures.push(
          `${file}:${line}: not replayed: its deliverable folder ${folder} is gone (renamed, ` +
            "moved or removed): move the folder back, or set the line's recordFile to the " +
            `${RECORD_FILE} of the folder where the deliverable is now, then run runrec flush ` +
            `--from ${shellWord(file)} again`,
        );
      }
      continue;
    }
    readNamedLines(resolve(recordFile)); // before the lock: see flush's
    readEarlierSeqs(resolve(recordFile));
    try {
      await withRecordFile(recordFile, { holder: "runrec flush", ...options }, (writer) => {
        for (const { entry, line } of lost) {
          const written = alreadyReplayed(writer, entry);
          const chosen = chosenRunIdHolder(writer, entry);
          if (written !== undefined || chosen === "this") {
            report.alreadyWritten.push({ entry: entry.id, runId: written ?? entry.draft.RunID! });
            settleRun(writer, entry);
            continue;
          }
          if (chosen !== undefined) {
            // As a spool entry's: never renumbered; the lines after it go on (leftovers-52 4).
            const then = `runrec flush --from ${shellWord(file)} again`;
            const taken = new RunIdTaken(writer.path, entry, chosen, "line", then);
            report.failures.push(`${file}:${line}: not replayed: ${taken.message}`);
            continue;
          }
          const why = agentText(entry.error);
          const note = `${replayMarker(entry)} (lost ${entry.spooledAt}: ${why})`;
          const replay = replayOf(writer, entry, note);
          if ("recorded" in replay) report.alreadyRecorded.push(replay.recorded);
          else replayedInto(report, writer, replay.draft);
          // As a spool's replay does: the run's pending (or reaped) file goes with it.
          settleRun(writer, entry);
        }
      });
    } catch (e) {
      report.failures.push(`${recordFile}: lost records not replayed: ${message(e)}`);
    }
  }
  return report;
}

/** Spooled records of one record file that are not in it yet. */
export interface PendingRecords {
  /** The record file. */
  recordFile: string;
  /** Entries waiting to be replayed. */
  waiting: number;
  /** Entries a replayer has claimed (`pid@host` each). */
  claimedBy: string[];
  /** Entries in the deliverable's own spool folder that cannot be replayed, with why. */
  stuck: string[];
}

/**
 * What the spool holds for the record files the targets stand for (files
 * with nothing spooled are left out): a file is itself; a folder is the
 * `RunRecords.csv` of each deliverable folder it is or holds (named
 * `DEL-XX-YY…` or holding one), whether that file exists yet or not. This is
 * what `log`, `verify` and `export` warn about, since those records are not
 * in their files yet.
 *
 * A folder beneath a target that cannot be listed is passed over: the read
 * commands name it when they look for record files.
 *
 * @throws {InputError} for a target that cannot be listed.
 *
 * @example
 * ```ts
 * import { pendingRecords } from "./spool.ts";
 * for (const p of pendingRecords(["."])) console.log(p.recordFile, p.waiting);
 * ```
 */
export function pendingRecords(
  targets: readonly string[],
  options: {
    /** Answers whether a deliverable's own spool folder is there (`stale`'s view of the files). */
    lookups?: Lookups;
  } = {},
): PendingRecords[] {
  const files = new Set<string>();
  for (const target of targets) {
    if (basename(resolve(target)) !== RECORD_FILE && kindOf(target) === "folder") {
      // A folder beneath it that cannot be listed, or a tool root: the command's own walk names it.
      const [unlistable, skippedToolRoot, miscasedRoot] = [() => {}, () => {}, () => {}];
      for (const dir of deliverableFolders(target, { unlistable, skippedToolRoot, miscasedRoot })) {
        files.add(join(resolve(dir), RECORD_FILE));
      }
    } else files.add(resolve(target));
  }
  const pending: PendingRecords[] = [];
  // The folders outside the deliverables are the same for every file: found and listed once.
  const outside = outsideFolders();
  const listed = new Map<string, SpoolItem[]>();
  const list = (folder: SpoolFolder) => {
    if (!folder.private) {
      // Most deliverables have no spool folder: known from their listing, it is not tried.
      const gone = options.lookups?.lstat(folder.path) instanceof Deno.errors.NotFound;
      return gone ? [] : listSpoolFolder(folder);
    }
    let items = listed.get(folder.path);
    if (items === undefined) listed.set(folder.path, items = listSpoolFolder(folder));
    return items;
  };
  // An entry names its file as the writer reached it: through a link to the project, or not.
  const reals = new Map<string, string>();
  const real = (path: string) => {
    let found = reals.get(path);
    if (found === undefined) reals.set(path, found = resolvedPath(path, options.lookups));
    return found;
  };
  for (const file of files) {
    const own = join(dirname(file), SPOOL_FOLDER);
    const items = folders(dirname(file), outside).flatMap(list).filter((i) =>
      i.entry
        ? i.entry.recordFile === file || real(i.entry.recordFile) === real(file)
        : i.path.startsWith(`${own}/`)
    );
    if (items.length === 0) continue;
    pending.push({
      recordFile: file,
      waiting: items.filter((i) => i.state === "waiting").length,
      claimedBy: items.flatMap((i) => i.state === "claimed" ? [i.claimedBy!] : []),
      stuck: items.flatMap((i) => i.state === "stuck" ? [`${i.path}: ${i.problem}`] : []),
    });
  }
  return pending;
}

/**
 * One line about a file's pending records, for a warning.
 *
 * @example
 * ```ts
 * import { describePending, pendingRecords } from "./spool.ts";
 * for (const p of pendingRecords(["DEL-01-02_X"])) console.error(describePending(p));
 * ```
 */
export function describePending(p: PendingRecords): string {
  const parts = [`${p.waiting} spooled record(s) not in the file yet`];
  if (p.claimedBy.length > 0) {
    // Each replayer once: one flush claims thousands.
    const by = new Map<string, number>();
    for (const who of p.claimedBy) by.set(who, (by.get(who) ?? 0) + 1);
    const each = [...by].map(([who, n]) => by.size > 1 ? `${who} (${n})` : who);
    parts.push(`${p.claimedBy.length} claimed by ${each.join(", ")}`);
  }
  if (p.stuck.length > 0) parts.push(`${p.stuck.length} STUCK (${p.stuck.join("; ")})`);
  return `${p.recordFile}: ${parts.join(", ")}; append them with runrec flush ${
    shellWord(dirname(p.recordFile))
  }`;
}
