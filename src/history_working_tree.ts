/**
 * The working tree's part of `verify --since`'s history check: each record
 * file as it is now against its last committed version (git's filters and
 * line ends applied as `git add` would), a link's target, and record files
 * moved or copied where git tracks nothing yet, found by their records.
 *
 * @module
 */
import { type Candidate, RecordCandidates } from "./record_candidates.ts";
import {
  blobId,
  cleanBlobId,
  readObjects,
  storedAs,
  type TreeChange,
  treeChanges,
  untrackedFiles,
} from "./git.ts";
import { firstMissingLine, insertedLines, prefixProblem } from "./append_only.ts";
import { basename, dirname, join, resolve } from "./path.ts";
import { recordsOf } from "./moved_records.ts";
import { recordsNotHeld } from "./records_elsewhere.ts";
import { sortUtf8 } from "./manifest.ts";
import { RECORD_FILE } from "./deliverable.ts";
import {
  BATCH,
  EMPTY_BLOB,
  type HistoryResult,
  isRecordFile,
  type Repository,
  short,
  type Track,
  withoutCarriageReturns,
  WORKING_TREE,
} from "./history_shared.ts";
import { folderDeliverableId, sameDeliverable } from "./history_walk.ts";
import {
  editedRemedy,
  insertedNote,
  lineEndsProblem,
  notKeptMessage,
  restartRemedy,
} from "./history_messages.ts";

/**
 * Of the record files `copies` (in tool roots, gone), those whose records
 * are lost, each with the RunID of the first record no record file left
 * holds (a snapshot whose lines the live file holds loses nothing). The
 * versions looked at: the one the check started from, the last one before
 * the deletion (or before a rewrite that failed first), and the index's.
 * One left out by a sparse checkout is not gone.
 *
 * @example
 * ```ts
 * import type { Track } from "./history_shared.ts";
 * import { lostCopies } from "./history_working_tree.ts";
 * declare const copies: Map<Track, string>; // tool roots' copies gone, by their track
 * const lost = await lostCopies(copies, new Set(), "/work/repo");
 * for (const [track, runId] of lost) console.log(track.path, "lost from", runId);
 * ```
 */
export async function lostCopies(
  copies: Map<Track, string>,
  sparse: Set<string>,
  top: string,
): Promise<Map<Track, string>> {
  const gone = [...copies.keys()].filter((track) => !sparse.has(track.path));
  const specs = gone.map((track) => [
    ...track.startBlob === EMPTY_BLOB ? [] : [track.startBlob],
    track.failure ? `${track.failure.previous}:${track.failure.previousPath}` : track.blob,
    ...track.failure ? [] : [`:${track.path}`],
  ]);
  const objects = await readObjects(specs.flat(), top);
  let at = 0;
  const versions = specs.map((list) =>
    list.flatMap(() => {
      const bytes = objects[at++];
      return bytes === undefined ? [] : [bytes];
    })
  );
  const missing = await recordsNotHeld(versions, top);
  const lost = new Map<Track, string>();
  for (const [i, track] of gone.entries()) {
    if (missing[i] !== undefined) lost.set(track, missing[i]!);
  }
  return lost;
}

/**
 * Checks each working tree's file of `working` against HEAD's version of it
 * (a batch of HEAD's blobs at a time), setting its result's failure; returns
 * the entries that failed.
 *
 * @example
 * ```ts
 * import type { HistoryResult, Track } from "./history_shared.ts";
 * import { workingTreeChecks } from "./history_working_tree.ts";
 * declare const result: HistoryResult;
 * declare const track: Track;
 * const file = "/work/repo/PKG-01_X/1_Working/DEL-01-02_Y/RunRecords.csv";
 * const gitPath = "PKG-01_X/1_Working/DEL-01-02_Y/RunRecords.csv";
 * const failed = await workingTreeChecks([{ file, gitPath, track, result }], "/work/repo");
 * if (failed.length > 0) console.log(result.failure?.message);
 * ```
 */
export async function workingTreeChecks(
  working: { file: string; gitPath: string; track: Track; result: HistoryResult }[],
  top: string,
): Promise<typeof working> {
  const failed: typeof working = [];
  for (let i = 0; i < working.length; i += BATCH) {
    const batch = working.slice(i, i + BATCH);
    const blobs = await readObjects(batch.map((w) => w.track.blob), top);
    for (const [j, entry] of batch.entries()) {
      const { file, gitPath, track, result } = entry;
      result.versionsCompared++;
      const problem = await workingTreeProblem(
        file,
        gitPath,
        { bytes: blobs[j]!, label: track.label },
        top,
        result.notes,
      );
      if (!problem) continue;
      result.failure = {
        commit: WORKING_TREE,
        subject: "",
        previous: track.label,
        previousPath: track.path,
        line: problem.line,
        message: problem.message,
        // Where the file kept its path, git diff shows the change (newuser-49 F4).
        ...problem.remedy !== undefined
          ? { remedy: problem.remedy }
          : track.path === gitPath
          ? { remedy: editedRemedy(track.label, file) }
          : {},
      };
      failed.push(entry);
    }
  }
  return failed;
}

/**
 * Where each of the record files `deleted` (HEAD's, deleted in the working
 * tree and git not told) went, when a plain `mv` or a `cp -r` and `rm` took
 * it where git tracks nothing yet: the untracked record file that holds its
 * records, told by content ({@linkcode holdsRecords}), never by name (see
 * {@linkcode chosenOf}). Each file is one deleted file's at most.
 *
 * @example
 * ```ts
 * import type { Track } from "./history_shared.ts";
 * import { candidateIndex, movedUntracked } from "./history_working_tree.ts";
 * declare const deleted: Track[];
 * const moves = await movedUntracked(deleted, () => candidateIndex([], "/work/repo"), "/work/repo");
 * for (const { track, chosen } of moves) console.log(track.path, "went to", chosen.path);
 * ```
 */
export async function movedUntracked(
  deleted: Track[],
  candidates: () => Promise<RecordCandidates>,
  top: string,
): Promise<{ track: Track; chosen: Candidate; copies: string[] }[]> {
  if (deleted.length === 0) return [];
  const index = await candidates();
  const found: { track: Track; chosen: Candidate; copies: string[] }[] = [];
  // One version at a time: a batch of them would be held beside the candidates read.
  for (const track of deleted) {
    const [before] = await readObjects([track.blob], top);
    if (before === undefined) continue;
    const holding = (await index.holding(recordsOf(before), track.path)).filter((c) => !c.told);
    const choice = await chosenOf(before, holding, top);
    if (!choice) continue;
    index.take(choice.chosen.path);
    found.push({ track, ...choice });
  }
  return found;
}

/**
 * Of the files `holding` the records of the version `before`, the one it
 * went to: one that kept every byte of it, and of those one git does not
 * ignore, then the one with more records, then the first by path. The
 * others are its `copies`.
 *
 * @example
 * ```ts
 * import type { Candidate } from "./record_candidates.ts";
 * import { chosenOf } from "./history_working_tree.ts";
 * declare const before: Uint8Array; // the deleted file's last committed version
 * declare const holding: Candidate[]; // the files that hold its records
 * const found = await chosenOf(before, holding, "/work/repo");
 * console.log(found?.chosen.path, found?.copies);
 * ```
 */
export async function chosenOf(
  before: Uint8Array,
  holding: Candidate[],
  top: string,
): Promise<{ chosen: Candidate; copies: string[] } | undefined> {
  if (holding.length <= 1) return holding[0] && { chosen: holding[0], copies: [] };
  const absolute = (c: Candidate) => join(top, ...c.path.split("/"));
  const storage = await storedAs(holding.map(absolute), top);
  const rank = (c: Candidate) => [
    prefixProblem(before, c.bytes) ? 1 : 0,
    storage.get(absolute(c))?.ignoredBy ? 1 : 0,
    -c.records.runIds.size,
  ];
  const ranked = holding.map((c, order) => ({ c, key: [...rank(c), order] }));
  ranked.sort((x, y) => {
    const at = x.key.findIndex((v, i) => v !== y.key[i]);
    return at < 0 ? 0 : x.key[at] - y.key[at];
  });
  const [chosen, ...others] = ranked.map(({ c }) => c);
  return { chosen, copies: others.map((c) => c.path) };
}

/**
 * The index of the record files a file's records may have gone to in the
 * working tree: those git does not track, and those added to its index or
 * renamed there (`staged`, the working tree's changes since HEAD), by path;
 * a rename's target only for the file renamed.
 *
 * @example
 * ```ts
 * import { candidateIndex } from "./history_working_tree.ts";
 * const candidates = await candidateIndex([], "/work/repo"); // untracked record files only
 * ```
 */
export async function candidateIndex(
  staged: TreeChange[],
  top: string,
): Promise<RecordCandidates> {
  const untracked = await untrackedFiles(RECORD_FILE, top);
  // Renamed too: `git mv` of a folder, then a new file begun, untracked, at the path it left.
  const told = new Map(
    staged.filter((c) => "ARC".includes(c.status) && isRecordFile(c.path))
      .map((c) => [c.path, c.status === "R" ? c.from : undefined]),
  );
  const paths = sortUtf8([...new Set([...untracked, ...told.keys()])]);
  return await RecordCandidates.index(
    paths.map((path) => ({ path, told: told.has(path), renamedFrom: told.get(path) })),
    top,
  );
}

/**
 * Why the working tree's file does not extend HEAD's version `committed`,
 * or `undefined`; compared as git would commit it when git converts its
 * line ends (a note says so).
 */
async function workingTreeProblem(
  file: string,
  gitPath: string,
  head: { bytes: Uint8Array; label: string },
  top: string,
  notes: string[],
) {
  const committed = head.bytes;
  const absolute = await Deno.realPath(file);
  const working = await Deno.readFile(absolute);
  // Asked even when the raw bytes extend HEAD's: git may convert CR LF bytes that HEAD holds.
  const converted = await asGitWouldCommit(working, absolute, gitPath, top);
  if (converted) {
    notes.push(
      "the working tree's line ends are git's conversion (core.autocrlf or eol); " +
        "compared as git would commit it",
    );
  }
  const stored = converted ?? working;
  const found = prefixProblem(committed, stored);
  if (!found) return undefined;
  // A `git merge --squash` not committed yet: as the commit that inserts lines (see settleTrack).
  const inserted = insertedLines(committed, stored);
  if (inserted) {
    const where = `the working tree (against ${short(head.label)})`;
    notes.push(insertedNote(where, inserted, gitPath));
    return undefined;
  }
  // Lines inserted above the first one changed or removed: that one is named, not them.
  const missing = firstMissingLine(committed, stored);
  if (missing && missing.line > found.line) {
    return { line: missing.line, message: notKeptMessage(missing), remedy: undefined };
  }
  // A record edited in place (its RunID and time kept) is no restart: git diff shows the edit.
  return lineEndsProblem(committed, stored) ??
    { ...found, remedy: found.changed ? undefined : restartRemedy(committed, stored) };
}

/**
 * The record file that `path` in the working tree was renamed from since
 * HEAD: the one git's rename detection pairs with it (`across`: their
 * folders name two DeliverableIDs), else the only record file deleted there
 * whose deliverable folder has the same DeliverableID.
 *
 * @example
 * ```ts
 * import { renamedFrom } from "./history_working_tree.ts";
 * const from = await renamedFrom("PKG-02_Z/1_Working/DEL-02-01_Y/RunRecords.csv", "/work/repo");
 * if (from) console.log(`renamed from ${from.from}`);
 * ```
 */
export async function renamedFrom(
  path: string,
  top: string,
): Promise<{ from: string; across: boolean } | undefined> {
  const changes = await treeChanges("HEAD", undefined, top);
  const renamed = changes.find((c) => c.status === "R" && c.path === path);
  if (renamed?.from && isRecordFile(renamed.from)) {
    return { from: renamed.from, across: !sameDeliverable(renamed.from, path) };
  }
  const id = folderDeliverableId(path);
  if (!id) return undefined;
  const deleted = changes.filter((c) =>
    c.status === "D" && isRecordFile(c.path) && folderDeliverableId(c.path) === id
  );
  return deleted.length === 1 ? { from: deleted[0].path, across: false } : undefined;
}

/**
 * Whether the working tree's `file` has the blob `committed` as a byte-for-byte prefix.
 *
 * @example
 * ```ts
 * import { workingTreeKeeps } from "./history_working_tree.ts";
 * const blob = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"; // a committed version's blob id
 * await workingTreeKeeps(blob, "/work/repo/PKG-01_X/1_Working/DEL-01-02_Y/RunRecords.csv", "/work/repo");
 * ```
 */
export async function workingTreeKeeps(
  committed: string,
  file: string,
  top: string,
): Promise<boolean> {
  const [bytes] = await readObjects([committed], top);
  return bytes !== undefined && !prefixProblem(bytes, await Deno.readFile(file));
}

/**
 * The working tree's `bytes` as git would commit them, when that differs
 * from the bytes only by CR LF line ends turned into LF (`core.autocrlf`,
 * `eol` attributes); else `undefined`. git is asked, nothing is guessed:
 * the blob git would store must be exactly the converted bytes.
 *
 * @example
 * ```ts
 * import { asGitWouldCommit } from "./history_working_tree.ts";
 * const file = "/work/repo/PKG-01_X/1_Working/DEL-01-02_Y/RunRecords.csv";
 * const bytes = await Deno.readFile(file);
 * const committed = await asGitWouldCommit(bytes, file, "PKG-01_X/1_Working/DEL-01-02_Y/RunRecords.csv", "/work/repo");
 * // undefined unless git turns this file's CR LF into LF
 * ```
 */
export async function asGitWouldCommit(
  bytes: Uint8Array,
  absolute: string,
  gitPath: string,
  top: string,
): Promise<Uint8Array | undefined> {
  const lf = withoutCarriageReturns(bytes);
  if (lf.length === bytes.length) return undefined;
  const [clean, converted] = await Promise.all([
    cleanBlobId(absolute, gitPath, top),
    blobId(lf, top),
  ]);
  return clean === converted ? lf : undefined;
}

/**
 * What lost (`dropped` a line, `changed` a record, `deleted` a file) what `sinceCommit` held and
 * HEAD lacks, in words.
 *
 * @example
 * ```ts
 * import type { Repository } from "./history_shared.ts";
 * import { lostBy } from "./history_working_tree.ts";
 * declare const repository: Repository;
 * console.log(`a record ${lostBy(repository, "dropped")}`); // e.g. "dropped by this merge or …"
 * ```
 */
export function lostBy(
  { relation, sinceCommit, base }: Repository,
  verb: "dropped" | "changed" | "deleted",
): string {
  return relation === "rewritten"
    ? `${verb} when history was rewritten (no branch or tag holds ${short(sinceCommit)})`
    : relation === "unrelated"
    ? `${verb} when history was rewritten from scratch (HEAD's history shares no commit with ` +
      `${short(sinceCommit)})`
    : relation === "diverged"
    ? `${verb} since ${short(sinceCommit)}, which HEAD does not contain` +
      // A branch only behind it lost nothing: the check it wants starts where it left.
      (base ? ` (a branch only behind it: check it --since ${short(base)}, their merge base)` : "")
    : `${verb} by this merge or by the branch it merged`;
}

/**
 * The path at HEAD of the record file at `path` that `change` changed:
 * its own (modified), where git's rename detection took it (`across`: to
 * another DeliverableID's folder, a rename only if it kept every line), else
 * the one record file added in a folder of its DeliverableID; `undefined`
 * when none.
 *
 * @example
 * ```ts
 * import type { TreeChange } from "./git.ts";
 * import { pathAtHead } from "./history_working_tree.ts";
 * declare const change: TreeChange; // what changed the file since the starting commit
 * declare const changes: TreeChange[]; // everything that did
 * pathAtHead("PKG-01_X/1_Working/DEL-01-02_Y/RunRecords.csv", change, changes)?.path;
 * ```
 */
export function pathAtHead(
  path: string,
  change: TreeChange,
  changes: TreeChange[],
): { path: string; across?: boolean } | undefined {
  if (change.status === "R" && isRecordFile(change.path)) {
    return { path: change.path, across: !sameDeliverable(path, change.path) };
  }
  if (change.status !== "R" && change.status !== "D") return { path };
  const id = folderDeliverableId(path);
  const added = changes.filter((c) =>
    (c.status === "A" || c.status === "R") && isRecordFile(c.path) &&
    id !== undefined && folderDeliverableId(c.path) === id
  );
  return added.length === 1 ? { path: added[0].path } : undefined;
}

/**
 * The target of the symbolic link `file`; `undefined` when `file` is not one.
 *
 * @example
 * ```ts
 * import { linkTarget } from "./history_working_tree.ts";
 * await linkTarget("PKG-01_X/1_Working/DEL-01-02_Y/RunRecords.csv"); // undefined: not a link
 * ```
 */
export async function linkTarget(file: string): Promise<string | undefined> {
  const info = await Deno.lstat(file).catch(() => undefined);
  return info?.isSymlink ? await Deno.readLink(file).catch(() => "?") : undefined;
}

/**
 * A target's real path: a folder's, links resolved; a file's as {@linkcode recordFileAt} gives it.
 *
 * @example
 * ```ts
 * import { realTarget } from "./history_working_tree.ts";
 * await realTarget(Deno.cwd()); // this folder, its links resolved
 * ```
 */
export async function realTarget(absolute: string): Promise<string> {
  return (await Deno.stat(absolute)).isDirectory
    ? await Deno.realPath(absolute)
    : await recordFileAt(absolute);
}

/**
 * The path of the record file `file`, absolute, the links of its folders resolved but not a
 * link the file itself is: a record file that is a symbolic link is named as the repository's
 * file, which runrec refuses, never as the path it names.
 *
 * @example
 * ```ts
 * import { recordFileAt } from "./history_working_tree.ts";
 * await recordFileAt("PKG-01_X/1_Working/DEL-01-02_Y/RunRecords.csv"); // absolute, folders' links resolved
 * ```
 */
export async function recordFileAt(file: string): Promise<string> {
  const absolute = resolve(file);
  return join(await Deno.realPath(dirname(absolute)), basename(absolute));
}
