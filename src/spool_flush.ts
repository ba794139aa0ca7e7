/**
 * What `runrec flush` replays: every spooled record of the folders named, each file's
 * {@linkcode REPLAY_BATCH_BYTES} under a lock of their own ({@linkcode replaySpool}), and the
 * records of lost-record lines an orchestrator saved, or of a journal
 * ({@linkcode replayLostRecords}). Apart from `spool.ts`, which an append loads: no emit runs
 * these.
 *
 * @module
 */
import { isGone, resolvedPath } from "./lookups.ts";
import { checkReplayArguments, checkReplayLostArguments } from "./argument_checks.ts";
import { optionalUid } from "./optional_access.ts";
import { basename, dirname, isAtOrBeneath, join, resolve } from "./path.ts";
import { readNamedLines } from "./named_lines.ts";
import { failureReason, InputError } from "./errors.ts";
import { findExecutionRoot, findGitRoot, notAFolder } from "./deliverable.ts";
import { kindOf } from "./walk.ts";
import { spooledRecordHome } from "./git_moved_folder.ts";
import { LockRefusedError, LONGEST_LOCK_PAUSE_MS } from "./lock.ts";
import { privateFolderProblem } from "./spool_folders.ts";
import { HEADER, LINE_LIMIT_BYTES } from "./schema.ts";
import { removeAbandonedTemporaries, syncFolder } from "./state_folder.ts";
import { restoreDroppedRecords, withRecordFile } from "./store.ts";
import { RECORD_FILE } from "./deliverable.ts";
import type { AppendOptions, AppendResult } from "./append_types.ts";
import { runIdOfLine } from "./record_lines.ts";
import {
  journaledRecordFile,
  type JournalOnlyJson,
  journalOnlyJson,
  type JournalOnlyLine,
  journalOnlyLines,
  journalOnlyMessage,
  journalPath,
} from "./journal.ts";
import { keptJournalOf } from "./kept_journals.ts";
import { foreignLineProblem } from "./put_back_line.ts";
import { readEarlierSeqs } from "./seq_allocation.ts";
import { pathArgument, shellWord } from "./shell_word.ts";
import { type ByteSource, textLines } from "./text_lines.ts";
import { agentText } from "./agent_notes.ts";
import {
  alreadyReplayed,
  byIdTime,
  chosenRunIdHolder,
  declaredIdOf,
  type DelDirs,
  emptyReport,
  entryProblem,
  firstMessageLine,
  idInFolderName,
  LOST_RECORD_PREFIX,
  notTriedLine,
  readSpoolItem,
  realPathOf,
  type Refused,
  REPLAY_BATCH_BYTES,
  replayedInto,
  replayItems,
  replayMarker,
  replayOf,
  type ReplayReport,
  RunIdTaken,
  settleRun,
  SPOOL_FOLDER,
  type SpoolEntry,
  spoolFolderNames,
  spoolFolders,
  type SpoolItem,
  stuckLine,
  writeEntry,
} from "./spool.ts";

/** A spool entry as a listing found it, and how to read it again (a replay, later). */
export interface ListedEntry {
  /** The entry as read now. */
  item: SpoolItem;
  /**
   * The entry read again (under its new name, if claimed or given back since), or `undefined`.
   * Given `namesNow` (its folder's entries by their unclaimed names, listed once for a batch), an
   * entry gone from its name is looked for there, not by a listing of its own.
   */
  again: (namesNow?: (folder: string) => ReadonlyMap<string, string>) => SpoolItem | undefined;
}

/**
 * The entries `listSpool` lists, one at a time, none kept: `flush` keeps what orders its batches,
 * and reads each batch's entries again, so that its memory is a batch's, not the spool's.
 *
 * @example
 * ```ts
 * import { spoolEntries } from "./spool_flush.ts";
 * let waiting = 0;
 * for (const { item } of spoolEntries("DEL-01-02_X")) if (item.state === "waiting") waiting++;
 * ```
 */
export function* spoolEntries(delDirs?: DelDirs): Generator<ListedEntry> {
  for (const folder of spoolFolders(delDirs)) {
    const listing = spoolFolderNames(folder);
    for (const item of listing.items) yield { item, again: () => item };
    for (const name of [...listing.names]) {
      const item = readSpoolItem(listing, name);
      if (item === undefined) continue;
      // Looked for under any other name it has then: claimed, or given back by a failed replay.
      // The name alone is kept, not the entry.
      const now = basename(item.path);
      const again = (namesNow?: (folder: string) => ReadonlyMap<string, string>) => {
        const path = join(listing.folder.path, now);
        const name = namesNow && isGone(path)
          ? namesNow(listing.folder.path).get(unclaimedName(now))
          : now;
        return name === undefined ? undefined : readSpoolItem({ ...listing, names: [name] }, name);
      };
      yield { item, again };
    }
  }
}

/**
 * Spool entries (oldest first) cut into runs of {@linkcode REPLAY_BATCH_BYTES} of their records'
 * JSON (`bytes` each), in order.
 */
function inBatches<T extends { bytes: number }>(items: readonly T[]): T[][] {
  const batches: T[][] = [];
  let held = REPLAY_BATCH_BYTES;
  for (const item of items) {
    if (held >= REPLAY_BATCH_BYTES) {
      batches.push([]);
      held = 0;
    }
    batches.at(-1)!.push(item);
    held += item.bytes;
  }
  return batches;
}

/**
 * A spool entry `replaySpool` will replay, as little of it as orders its batches: the entry itself
 * is read again for its batch ({@linkcode ListedEntry}), so that thousands are not held.
 */
interface Queued {
  id: string;
  recordFile: string;
  /** The length of its record's JSON, which batches are cut by. */
  bytes: number;
  again: ListedEntry["again"];
}

/**
 * `items` by the record file they are for, named as the first names it: entries naming one file by
 * two paths (a symlinked folder) are one file's, replayed in one spool order as `replayInto` does.
 */
function byRecordFile(items: readonly Queued[]): Map<string, Queued[]> {
  const byName = new Map<string, Queued[]>();
  for (const item of items) {
    const file = item.recordFile;
    byName.get(file)?.push(item) ?? byName.set(file, [item]);
  }
  const byReal = new Map<string, string>();
  const files = new Map<string, Queued[]>();
  for (const [name, named] of byName) {
    const real = realPathOf(name);
    const file = byReal.get(real) ?? name;
    byReal.set(real, file);
    files.set(file, [...files.get(file) ?? [], ...named]);
  }
  return files;
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
  // A file holds no spool: said, as `runrec flush FILE` says it, not "nothing waits". A folder
  // gone is taken: records may wait for it (each said as a failure, below).
  for (const dir of typeof delDirs === "string" ? [delDirs] : delDirs ?? []) {
    if (kindOf(dir) === "file") throw new InputError(notAFolder(dir), { path: dir });
  }
  const report = emptyReport();
  const asked = askedAbout(delDirs);
  // An entry that cannot be read is found again by every file's replay: said once, and a
  // failure (whose record it holds is not known).
  const failures = new Set<string>();
  const elsewhere = new Set<string>();
  for (const dir of namedDirs(delDirs)) {
    const file = join(dir, RECORD_FILE);
    try {
      const runIds = await restoreDroppedRecords(file, { holder: "runrec flush", ...options });
      report.putBack.push(...runIds.map((runId) => ({ runId, file })));
    } catch (e) {
      failures.add(`${file}: its journal not checked for dropped records: ${firstMessageLine(e)}`);
    }
  }
  const queued = queuedEntries(delDirs, failures);
  for (const [file, waiting] of byRecordFile(queued)) {
    const left = asked(file) ? failures : elsewhere;
    if (isGone(dirname(file))) {
      // No folder to lock: said plainly, with what to do, instead of the lock's ENOENT.
      for (const { again } of waiting) {
        const item = again();
        if (item?.entry !== undefined) left.add(goneFolderLine(item.path, item.entry, delDirs));
      }
      continue;
    }
    // Before the lock: each entry is looked for (scale37 F1), and most are of an earlier minute
    // than the file's latest, whose SEQ the SEQ index does not keep (F4).
    readNamedLines(resolve(file));
    readEarlierSeqs(resolve(file));
    // Each batch under a lock of its own: see REPLAY_BATCH_BYTES.
    const batches = inBatches(waiting.sort((a, b) => byIdTime(a.id, b.id)));
    const from = (i: number) => batches.slice(i).reduce((n, batch) => n + batch.length, 0);
    for (const [i, queuedBatch] of batches.entries()) {
      if (i > 0) await letWaitersIn();
      const batch = readAgain(queuedBatch, failures);
      const one = emptyReport();
      let refused: Refused | undefined;
      let locked = true;
      try {
        // One fsync for the batch, not one for each record, before its entries are removed.
        const synced = options.fsync !== false;
        refused = await withRecordFile(
          file,
          { holder: "runrec flush", ...options, fsync: false },
          (writer) => {
            const sync = synced ? batchSync(writer.path) : undefined;
            return replayItems(writer, batch, one, sync);
          },
        );
      } catch (e) {
        // A lock held past the wait is let go in time; anything else (a read-only folder, a full
        // disk) is the user's to mend: either way, say what to run then.
        const then = `; runrec flush ${pathArgument(dirname(file))} again once ` +
          (e instanceof LockRefusedError && e.kind === "held" ? "it is free" : "that is mended");
        left.add(
          `${file}: ${from(i)} spooled record(s) not replayed: ${firstMessageLine(e)}${then}`,
        );
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
  for (const { item } of spoolEntries(delDirs)) {
    if (item.state !== "claimed") continue;
    if (asked(item.entry!.recordFile)) {
      report.claimed.push({ path: item.path, claimedBy: item.claimedBy! });
    } else elsewhere.add(`CLAIMED by ${item.claimedBy}: ${item.path}`);
  }
  report.failures = [...failures];
  report.elsewhere = [...elsewhere];
  // Not in a folder that is not the user's own: nothing of it is runrec's to remove.
  report.removedTemporaries = spoolFolders(delDirs)
    .filter((f) => !f.private || kindOf(f.path) !== "folder" || !privateFolderProblem(f.path))
    .flatMap((f) => removeAbandonedTemporaries(f.path));
  return report;
}

/**
 * How many spooled records a {@linkcode replaySpool} of `delDirs` leaves as its own: those of
 * record files at or beneath `delDirs` (waiting, claimed or stuck, their folder there or not),
 * and those whose file is not known (an entry that cannot be read), as its failures count them.
 *
 * @example
 * ```ts
 * import { leftSpooled } from "./spool_flush.ts";
 * leftSpooled(["DEL-01-02_X"]); // 0 once every record is in its file
 * ```
 */
export function leftSpooled(delDirs: DelDirs): number {
  const asked = askedAbout(delDirs);
  let left = 0;
  for (const { item } of spoolEntries(delDirs)) {
    if (item.entry === undefined || asked(item.entry.recordFile)) left++;
  }
  return left;
}

/**
 * The entries to replay, each once, in listing order: those that cannot be read are added to
 * `failures`, and one git moved is moved first ({@linkcode followMovedFolder}). Only what orders
 * the batches is kept of each.
 */
function queuedEntries(delDirs: DelDirs, failures: Set<string>): Queued[] {
  const queued: Queued[] = [];
  // An entry moved into a folder listed later, or renamed during the listing, is met twice.
  const seen = new Set<string>();
  for (const { item, again } of spoolEntries(delDirs)) {
    if (item.state === "stuck") failures.add(stuckLine(item));
    if (item.entry === undefined || seen.has(item.entry.id)) continue;
    seen.add(item.entry.id);
    const path = item.path;
    followMovedFolder(item);
    const { id, recordFile, draft } = item.entry;
    const bytes = JSON.stringify(draft).length;
    queued.push({ id, recordFile, bytes, again: item.path === path ? again : () => item });
  }
  return queued;
}

/**
 * A batch's entries read again: those gone since (appended by another replayer) are left out, and
 * one that cannot be read now is added to `failures`.
 */
function readAgain(batch: readonly Queued[], failures: Set<string>): SpoolItem[] {
  // A folder listed once for the batch, and only if an entry is gone from its name: another
  // flush emptying the spool meanwhile made each entry's own listing a spool's (N times N names).
  const listed = new Map<string, ReadonlyMap<string, string>>();
  const namesNow = (folder: string) => {
    let names = listed.get(folder);
    if (names === undefined) listed.set(folder, names = entryNames(folder));
    return names;
  };
  return batch.flatMap(({ recordFile, again }) => {
    const item = again(namesNow);
    if (item?.state === "stuck") failures.add(stuckLine(item));
    // Edited meanwhile to name another file: that file's replay (the next flush) takes it.
    return item?.entry?.recordFile === recordFile ? [item] : [];
  });
}

/** A spool folder's entries, by their unclaimed names (`<id>.json`), each to its name now. */
function entryNames(folder: string): Map<string, string> {
  const names = new Map<string, string>();
  try {
    for (const { name } of Deno.readDirSync(folder)) names.set(unclaimedName(name), name);
  } catch { /* cannot be listed now: an entry gone from its name is not found, as before */ }
  return names;
}

/** An entry's name without its claim: `<id>.json`. */
function unclaimedName(name: string): string {
  return name.replace(/(\.json)\.claim-.*$/, "$1");
}

/**
 * The one sync of a batch appended to `file` unsynced, noted under the lock before its first
 * append: the file, and its journal's notes of the batch's records, as an append syncs both
 * (./journal.ts `journalAppended`), or a power cut may keep records whose notes it takes; the
 * folder entry of each the batch created too, as an append's new file's (./record_write.ts).
 */
function batchSync(file: string): () => void {
  const journal = journalPath(file);
  const [begun, journalBegun] = [isGone(file), isGone(journal)];
  return () => {
    syncFile(file, begun);
    try {
      if (!isGone(journal)) syncFile(journal, journalBegun); // none: no note was written
    } catch (e) {
      throw new Error(
        `${journal}: ${failureReason(e as Error)}: the records are synced, their notes not; ` +
          "after a power cut, a git command that drops them may not be undone: commit them first",
      );
    }
  };
}

/** Flushes `file` to the disk, and its folder's entry when `begun` (created since the last). */
function syncFile(file: string, begun: boolean): void {
  using handle = Deno.openSync(file, { read: true });
  handle.syncSync();
  const failed = begun ? syncFolder(dirname(file)) : undefined;
  if (failed !== undefined) throw failed;
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
  const id = home === undefined ? undefined : declaredIdOf(home);
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

/**
 * The line for an entry whose deliverable folder is gone, with what to do.
 * It names a folder to move the entry into only when one folder named is
 * surely its deliverable's (see {@linkcode homeOf}); that folder's own spool
 * then takes the entry.
 */
function goneFolderLine(path: string, entry: SpoolEntry, delDirs: DelDirs): string {
  const home = homeOf(entry, delDirs);
  const move = home
    ? `${join(home, SPOOL_FOLDER)}/ (mkdir it) and runrec flush ${pathArgument(home)}`
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
    idInFolderName(dir) === id && declaredIdOf(dir) === id && projectOf(dir) === project
  );
  return homes.length === 1 ? homes[0] : undefined;
}

/** The git work tree and execution root `dir` is in, as one key; `undefined`: neither. */
function projectOf(dir: string): string | undefined {
  const real = resolvedPath(resolve(dir));
  const [tree, root] = [findGitRoot(real), findExecutionRoot(real)];
  return tree === undefined && root === undefined ? undefined : `${tree}\n${root}`;
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
 * import { replayLostFile } from "./spool_flush.ts";
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
    const lines = lost.filter((l) => !elsewhere.includes(l));
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
  const why = e instanceof Deno.errors.NotCapable ? firstMessageLine(e) : failureReason(e as Error);
  return new InputError(`${file}: cannot read: ${why}`, { path: file });
}

/**
 * The longest lost-record line read: the JSON of a record whose line is at the line limit
 * (SCHEMA.md 6.5), which writes a byte of it as three at most (a C1 control `\u009b` for two, a
 * one-letter list element `"a",` for `a;`), and room for the entry's other members. A line of a
 * record runrec wrote is never longer; memory holds one such line at most.
 */
const LOST_LINE_LIMIT_BYTES = 3 * LINE_LIMIT_BYTES + (1 << 20);

/**
 * A pause between two batches' locks, so that a writer waiting for the lock (an emit, another
 * flush) finds it free: taken again at once, it never did, and gave up after its wait.
 */
function letWaitersIn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, LONGEST_LOCK_PAUSE_MS));
}

/**
 * {@linkcode replayLostRecords} of lost-record lines read a line at a time from `input` (an
 * open file, standard input), named `source` (a file's name, or "standard input") in its
 * messages. The records of each {@linkcode REPLAY_BATCH_BYTES} of lines are appended before
 * more are read, so memory stays bounded whatever `input` holds; a line longer than
 * {@linkcode LOST_LINE_LIMIT_BYTES} is refused, named by its number. A read that fails once
 * records are appended is a failure of the report, not thrown: those records are in their files,
 * and a run again appends each once.
 *
 * @example
 * ```ts
 * import { replayLostRecordLines } from "./spool_flush.ts";
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
        report.failures.push(`${source}:${number}: not a lost record: ${firstMessageLine(e)}`);
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
      `${
        firstMessageLine(e)
      }, after line ${lastLine}: the records of the lines before it were appended ` +
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
 * Puts back `lost`, the records only the journal `file` of `recordFile` holds, as an append puts
 * back a line git dropped (./put_back_line.ts): byte for byte, or under the next free SEQ with a
 * note naming its RunID when another record holds that RunID now (another clone's of that minute,
 * pulled). Each once: the file may hold it already, put back by another process meanwhile. Each
 * put back is reported with why the file lacked it: a git command is one cause of several.
 */
async function putBackJournalOnly(
  file: string,
  { journaled: recordFile, named }: { journaled: string; named: string },
  lost: readonly JournalOnlyLine[],
  report: LostRecordsReport,
  options: AppendOptions,
): Promise<void> {
  const lines = lost.map((l) => l.line);
  const whyOf = new Map(lost.map((l) => [l.line, l.why]));
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
        if (begun) {
          Deno.writeTextFileSync(recordFile, `${HEADER}\n`, { createNew: true });
          // Its entry, as an append's new file's: the put back's fsync covers only its bytes.
          if (options.fsync ?? true) syncFolder(dirname(recordFile));
        }
        for (const [i, line] of writable.entries()) {
          const written = writer.putBack(line, writable.slice(i + 1));
          const [was, is] = [line, written.line].map((l) => runIdOfLine(l)!);
          if (written.offset === undefined) report.alreadyWritten.push({ entry: file, runId: is });
          else {
            const runId = was === is ? was : `${was} as ${is}`;
            report.putBack.push({ runId, file: named, why: whyOf.get(line) });
          }
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
      `${named}: records only its journal holds not put back: ${firstMessageLine(e)}`,
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
    readNamedLines(resolve(recordFile)); // before the lock: see replaySpool's
    readEarlierSeqs(resolve(recordFile));
    const appended: SpoolEntry[] = [];
    let handled = 0; // lines appended, found in the file, or refused
    try {
      // One fsync for the batch, as flush's replay of a spool; the lines stay in `file`.
      const unsynced = { holder: "runrec flush", ...options, fsync: false };
      await withRecordFile(recordFile, unsynced, (writer) => {
        const sync = batchSync(writer.path);
        try {
          // One line: appended, found in the file, or refused; `handled` once it is.
          const replayLine = ({ entry, line }: { entry: SpoolEntry; line: number }) => {
            const written = alreadyReplayed(writer, entry);
            const chosen = chosenRunIdHolder(writer, entry);
            if (written !== undefined || chosen === "this") {
              report.alreadyWritten.push({ entry: entry.id, runId: written ?? entry.draft.RunID! });
              settleRun(writer, entry);
              return;
            }
            if (chosen !== undefined) {
              // As a spool entry's: never renumbered; the lines after it go on (leftovers-52 4).
              const then = `runrec flush --from ${shellWord(file)} again`;
              const taken = new RunIdTaken(writer.path, entry, chosen, "line", then);
              report.failures.push(`${file}:${line}: not replayed: ${taken.message}`);
              return;
            }
            const why = agentText(entry.error);
            const note = `${replayMarker(entry)} (lost ${entry.spooledAt}: ${why})`;
            const replay = replayOf(writer, entry, note);
            if ("recorded" in replay) {
              report.alreadyRecorded.push(replay.recorded);
              settleRun(writer, entry);
            } else {
              replayedInto(report, writer, replay.draft);
              appended.push(entry);
            }
          };
          for (const lostLine of lost) {
            replayLine(lostLine);
            handled++;
          }
        } finally {
          // Those appended before a line whose append failed (a full disk) too: synced, and their
          // runs settled, as a spool's replay does for the records before a refused one.
          if (appended.length > 0 && options.fsync !== false) {
            try {
              sync();
            } catch (e) {
              report.failures.push(
                `${recordFile}: ${appended.length} lost record(s) replayed, but fsync failed: ` +
                  firstMessageLine(e),
              );
            }
          }
          // As a spool's replay does, once its record is synced: the run's pending (or reaped)
          // file.
          for (const entry of appended) settleRun(writer, entry);
        }
      });
    } catch (e) {
      // The records before the line that failed are in the file (each printed): said apart.
      report.failures.push(
        appended.length === 0
          ? `${recordFile}: lost records not replayed: ${firstMessageLine(e)}`
          : `${recordFile}: ${appended.length} lost record(s) appended, then ${
            lost.length - handled
          } not, the append of the next failing: ${firstMessageLine(e)}; the same runrec ` +
            "flush --from again appends those, each once",
      );
    }
  }
  return report;
}
