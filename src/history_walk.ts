/**
 * Following record files along a first-parent chain's `git log`: renames
 * and restarts paired, files created and deleted, and the branches a merge
 * brings in followed the same way; each version left to compare is queued
 * as a `Check` on its file's `Track`.
 *
 * @module
 */
import { CONTEXT_FILE, deliverableId, HOST_FILE_LIMIT } from "./deliverable.ts";
import { DELIVERABLE_ID_SYNTAX } from "./schema.ts";
import { type FileChange, type LoggedCommit, recordFileLog } from "./history_log.ts";
import { claimedIds } from "./claimed_ids.ts";
import { holdsRecords, recordsOf, restarts } from "./moved_records.ts";
import { join } from "./path.ts";
import { oneLine } from "./names.ts";
import { prefixProblem } from "./append_only.ts";
import { readObjects, runGit, treeChanges } from "./git.ts";
import {
  type BranchFile,
  type Check,
  type CommitInfo,
  EMPTY_BLOB,
  type Followed,
  isRecordFile,
  RECORD_PATHSPEC,
  short,
  type Track,
  type Walk,
} from "./history_shared.ts";
import { newFileNote, renameNote } from "./history_messages.ts";
import { settleChecks } from "./history_settle.ts";

/**
 * A record file's track from its version `blob` at commit `label`, where the check starts.
 *
 * @example
 * ```ts
 * import { trackFrom } from "./history_walk.ts";
 * const track = trackFrom("DEL-01-02/RunRecords.csv", "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", "origin/main");
 * track.versions; // 1
 * ```
 */
export function trackFrom(path: string, blob: string, label: string): Track {
  return {
    pathAtBase: path,
    existedAtBase: true,
    path,
    blob,
    startBlob: blob,
    label,
    renames: [],
    commits: [],
    versions: 1,
    notes: [],
    checks: [],
  };
}

/** Moves the tracks along one commit's changes of record files. */
function applyCommit(commit: LoggedCommit, followed: Followed): void {
  const { alive, deleted, start, left } = followed;
  const changes = commit.changes.filter((c) => isRecordFile(c.path));
  const renames: { from: string; change: FileChange }[] = [];
  const added: FileChange[] = [];
  const removed: FileChange[] = [];
  for (const change of changes) {
    // Git pairs files by content alone: between two DeliverableIDs, only a file that kept its
    // bytes (a folder moved to a new DEL number, runs appended or not) is one renamed.
    const renamed = change.status === "R" && change.from !== undefined &&
      (change.appended || "restartedAt" in change || sameDeliverable(change.from, change.path));
    if (renamed) {
      renames.push({ from: change.from!, change });
    } else if (change.status === "R" || change.status === "C") {
      if (change.status === "R") removed.push({ ...change, path: change.from! });
      added.push(change);
    } else if (change.status === "A") added.push(change);
    else if (change.status === "D") removed.push(change);
    else advance(alive.get(change.path), commit, change);
  }
  // A file added where one record file of the same DeliverableID was deleted: a rename
  // whose rewrite hid it from git.
  for (const change of [...added]) {
    const id = folderDeliverableId(change.path);
    const candidates = removed.filter((r) => id && folderDeliverableId(r.path) === id);
    if (candidates.length !== 1) continue;
    removed.splice(removed.indexOf(candidates[0]), 1);
    added.splice(added.indexOf(change), 1);
    renames.push({
      from: candidates[0].path,
      change: { ...change, oldBlob: candidates[0].oldBlob, appended: false },
    });
  }
  const moving = renames.map(({ from, change }) => {
    const track = alive.get(from);
    alive.delete(from);
    return { track, from, change };
  });
  for (const { track, from, change } of moving) {
    if (!track) continue;
    track.renames.push({ commit: commit.id, from, to: change.path });
    track.notes.push(
      "restartedAt" in change
        ? `moved from ${oneLine(from)} in commit ${short(commit.id)}, where a new file begins ` +
          "(found by its records, not its name); checked against its history there"
        : renameNote(from, commit.id),
    );
    alive.set(change.path, track);
    left.set(from, track);
    advance(track, commit, change);
  }
  for (const change of removed) {
    const track = alive.get(change.path);
    if (!track) continue;
    alive.delete(change.path);
    track.checks.push({
      kind: "deleted",
      commit,
      previous: track.label,
      previousPath: track.path,
      blob: change.oldBlob,
    });
    deleted.set(change.path, track);
  }
  for (const change of added) {
    const revived = deleted.get(change.path);
    if (revived) {
      // Deleted before and added again: the deletion stands.
      deleted.delete(change.path);
      alive.set(change.path, revived);
      Object.assign(revived, { blob: change.newBlob, label: commit.id });
      revived.commits.push(commit.id);
      continue;
    }
    // A merge that adds a file takes its lines from the other parents' versions of it.
    const checks: Check[] = change.link
      ? [{
        kind: "link",
        commit,
        previous: commit.parents[0] ?? commit.id,
        previousPath: change.path,
        blob: change.newBlob,
      }]
      : commit.parents.length < 2
      ? []
      : [{
        kind: "bytes",
        commit,
        previous: commit.parents[0],
        previousPath: change.path,
        oldBlob: EMPTY_BLOB,
        newBlob: change.newBlob,
        names: [change.path],
      }];
    alive.set(change.path, {
      pathAtBase: change.path,
      existedAtBase: false,
      path: change.path,
      blob: change.newBlob,
      startBlob: EMPTY_BLOB,
      label: commit.id,
      renames: [],
      commits: [commit.id],
      versions: 1,
      notes: [newFileNote(start, commit.id, left.get(change.path), change.path)],
      checks,
    });
  }
}

/**
 * `commit` with each record file it deleted and one it added whose bytes
 * start with all of the deleted one's taken as a rename, proven an append: a
 * folder moved (to a new DEL number too) in the commit that appended more
 * runs than it held, which git's rename detection (50 % alike) leaves a
 * deletion and an addition. Only a pair each side of which has no other.
 */
async function pairedByBytes(commit: LoggedCommit, top: string): Promise<LoggedCommit> {
  const removed = commit.changes.filter((c) => c.status === "D" && isRecordFile(c.path));
  const added = commit.changes.filter((c) => c.status === "A" && isRecordFile(c.path));
  if (removed.length === 0 || added.length === 0) return commit;
  const objects = await readObjects([
    ...removed.map((c) => c.oldBlob),
    ...added.map((c) => c.newBlob),
  ], top);
  const extendsFile = (r: number, a: number) => {
    const [before, after] = [objects[r], objects[removed.length + a]];
    return before !== undefined && after !== undefined && before.length > 0 &&
      !prefixProblem(before, after);
  };
  const renames = new Map<FileChange, FileChange>();
  for (const [a, addition] of added.entries()) {
    const from = removed.flatMap((_, r) => extendsFile(r, a) ? [r] : []);
    if (from.length !== 1 || added.some((_, b) => b !== a && extendsFile(from[0], b))) continue;
    const deletion = removed[from[0]];
    renames.set(addition, {
      ...addition,
      status: "R",
      from: deletion.path,
      oldBlob: deletion.oldBlob,
      appended: true,
    });
    renames.set(deletion, addition);
  }
  if (renames.size === 0) return commit;
  // The rename takes the addition's place; its deletion goes.
  const changes = commit.changes.flatMap((c) =>
    !renames.has(c) ? [c] : c.status === "A" ? [renames.get(c)!] : []
  );
  return { ...commit, changes };
}

/** A record file renamed where a new file was begun in its place: always followed. */
type RestartRename = FileChange & { restartedAt: string };

/**
 * `commit` with each record file it rewrote into a new file ({@linkcode restarts})
 * whose records a record file it added holds ({@linkcode holdsRecords})
 * taken as that file renamed there, and a new file added in its place: a
 * deliverable retired (moved into `_Archive/`) and restarted at its path in
 * one commit (a squash merge too), which git shows as a change and an
 * addition. Of several added files, one that kept every byte, then the one
 * with more records; each is one file's at most. The rename is an append
 * only when the added file kept every byte, else its bytes are compared.
 */
async function pairedRestarts(commit: LoggedCommit, top: string): Promise<LoggedCommit> {
  // A diff that proved an append kept every record: no restart.
  const changed = commit.changes.filter((c) =>
    c.status === "M" && !c.appended && isRecordFile(c.path)
  );
  const added = commit.changes.filter((c) => c.status === "A" && isRecordFile(c.path));
  if (changed.length === 0 || added.length === 0) return commit;
  const objects = await readObjects([
    ...changed.flatMap((c) => [c.oldBlob, c.newBlob]),
    ...added.map((c) => c.newBlob),
  ], top);
  const addedBytes = objects.slice(2 * changed.length);
  const addedRecords = addedBytes.map((bytes) => bytes && recordsOf(bytes));
  const taken = new Set<FileChange>();
  const replaced = new Map<FileChange, FileChange[]>();
  for (const [m, change] of changed.entries()) {
    const [before, after] = [objects[2 * m], objects[2 * m + 1]];
    if (before === undefined || after === undefined) continue;
    if (!restarts(before, after)) continue;
    const earlier = recordsOf(before);
    const holding: { addition: FileChange; kept: boolean; records: number }[] = [];
    for (const [a, addition] of added.entries()) {
      const records = addedRecords[a];
      if (taken.has(addition) || !records || !holdsRecords(earlier, records)) continue;
      // Its `_CONTEXT.md`s as this commit holds them: either folder may be renamed since.
      if (!await claimSameId(addition.path, change.path, top, commit.id)) continue;
      const kept = !prefixProblem(before, addedBytes[a]!);
      holding.push({ addition, kept, records: records.runIds.size });
    }
    const [chosen] = holding.sort((x, y) =>
      Number(y.kept) - Number(x.kept) || y.records - x.records
    );
    if (chosen === undefined) continue;
    taken.add(chosen.addition);
    const { addition, kept } = chosen;
    const rename: RestartRename = {
      ...addition,
      status: "R",
      from: change.path,
      oldBlob: change.oldBlob,
      appended: kept,
      restartedAt: change.path,
    };
    replaced.set(change, [
      rename,
      { ...change, status: "A", oldBlob: EMPTY_BLOB, appended: false },
    ]);
  }
  if (replaced.size === 0) return commit;
  const changes = commit.changes.flatMap((c) => replaced.get(c) ?? (taken.has(c) ? [] : [c]));
  return { ...commit, changes };
}

/**
 * A followed file's names, newest first: where a merge's other parents may hold it.
 *
 * @example
 * ```ts
 * import { trackFrom, trackNames } from "./history_walk.ts";
 * trackNames(trackFrom("DEL-01-02/RunRecords.csv", "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", "HEAD"));
 * // ["DEL-01-02/RunRecords.csv"]
 * ```
 */
export function trackNames(track: Track, newest?: string): string[] {
  return [
    ...new Set([
      ...(newest === undefined ? [] : [newest]),
      track.path,
      ...track.renames.map((r) => r.from).reverse(),
      track.pathAtBase,
    ]),
  ];
}

/**
 * One more version of a followed file; a check of its bytes unless its diff
 * proved an append. A merge is always checked: an append proves only that
 * the first parent's lines are kept, not where the added lines come from.
 */
function advance(
  track: Track | undefined,
  commit: LoggedCommit,
  change: FileChange,
): void {
  if (!track) return;
  if (change.link) {
    const { label: previous, path: previousPath } = track;
    track.checks.push({ kind: "link", commit, previous, previousPath, blob: change.newBlob });
  } else if (!change.appended || commit.parents.length > 1) {
    track.checks.push({
      kind: "bytes",
      commit,
      previous: track.label,
      previousPath: track.path,
      oldBlob: change.oldBlob,
      newBlob: change.newBlob,
      names: trackNames(track, change.path),
    });
  }
  track.path = change.path;
  track.blob = change.newBlob;
  track.label = commit.id;
  track.commits.push(commit.id);
  track.versions++;
}

/** Commits of a chain queued at most while the branches their merges bring in are followed. */
const AHEAD = 32;

/**
 * Applies a chain's logged commits in order and, at each merge, checks the
 * record files the merged branches changed against the merge's. The
 * branches of the next merges (a `git log` each) are followed at once while
 * a merge waits for its own.
 *
 * @example
 * ```ts
 * import { recordFileLog } from "./history_log.ts";
 * import { type Followed, RECORD_PATHSPEC } from "./history_shared.ts";
 * import { followLog } from "./history_walk.ts";
 * // In a git clone; --allow-run (git). `followed` holds the tracks of the starting commit's files.
 * declare const followed: Followed;
 * const top = Deno.cwd();
 * await followLog(recordFileLog(top, "HEAD~3", RECORD_PATHSPEC), followed, { top, exclude: [], branches: new Map() });
 * ```
 */
export async function followLog(
  commits: AsyncIterable<LoggedCommit>,
  followed: Followed,
  walk: Walk,
): Promise<void> {
  const queue: { commit: LoggedCommit; merged?: Promise<BranchFile[]> }[] = [];
  const applyFirst = async () => {
    const { commit, merged } = queue.shift()!;
    if (!followed.complete) followFromHere(commit, followed);
    applyCommit(commit, followed);
    if (merged) mergeChecks(commit, await merged, followed);
  };
  for await (const logged of commits) {
    const commit = await pairedRestarts(await pairedByBytes(logged, walk.top), walk.top);
    const merged = commit.parents.length > 1 ? mergedFiles(walk, commit) : undefined;
    // Awaited in turn below: a failure before then is not an unhandled one.
    merged?.catch(() => {});
    queue.push({ commit, merged });
    if (queue.length >= AHEAD) await applyFirst();
  }
  while (queue.length > 0) await applyFirst();
}

/** On a merged branch: a file is followed from the first commit that changes it, as it was. */
function followFromHere(commit: LoggedCommit, { alive, deleted }: Followed): void {
  for (const change of commit.changes) {
    const path = change.from ?? change.path;
    if (change.status === "A" || alive.has(path) || deleted.has(path)) continue;
    alive.set(path, trackFrom(path, change.oldBlob, commit.parents[0]));
  }
}

/** The record files each branch that `merge` brings in changed, as it left them. */
async function mergedFiles(walk: Walk, merge: CommitInfo): Promise<BranchFile[]> {
  const [first, ...others] = merge.parents;
  const files = await Promise.all(
    others.map(async (parent) => {
      const branch = [...(await mergedBranch(walk, first, parent)).values()];
      const renamed = branch.length === 0 ? new Map() : await renamedOnFirst(walk, first, parent);
      return branch.map((file) => ({ parent, file, renamed }));
    }),
  );
  return files.flat();
}

/**
 * The record files `first` renamed since it and `other` parted (a deliverable retired to
 * `_Archive/` while a branch recorded on it), old path to new: git's merge follows them, so a
 * branch's file is checked under its new name (ci-trial F1). Empty when git cannot say.
 */
async function renamedOnFirst(
  walk: Walk,
  first: string,
  other: string,
): Promise<Map<string, string>> {
  const base = await runGit(["merge-base", first, other], walk.top);
  if (base.code !== 0) return new Map();
  const since = new TextDecoder().decode(base.stdout).trim();
  // The record files alone: a rename of one is a rename between two record files' paths.
  try {
    const changes = await treeChanges(since, first, walk.top, RECORD_PATHSPEC);
    return new Map(changes.filter((c) => c.status === "R").map((c) => [c.from!, c.path]));
  } catch {
    return new Map();
  }
}

/**
 * The checks a merge owes the record files its branches changed (none for
 * a branch that changed none): every line a branch added must be in the
 * merge's version of the file, the one followed under one of its names (its
 * renames on either side too), else, on a merged branch's chain, the one in
 * the merge's tree. A file the merge left out (`-s ours` leaves out every
 * file the branch created) fails.
 */
function mergeChecks(commit: LoggedCommit, merged: BranchFile[], followed: Followed): void {
  const { alive, deleted } = followed;
  for (const branchFile of merged) {
    const { file } = branchFile;
    // A file the branch left as it found it, unbroken, has no line the merge could drop.
    if (file.blob === file.startBlob && !file.failure) continue;
    const own = trackNames(file);
    const names = [...own, ...own.flatMap((n) => branchFile.renamed?.get(n) ?? [])];
    const named = (track: Track) => trackNames(track).some((n) => names.includes(n));
    const track = names.map((n) => alive.get(n)).find((t) => t !== undefined) ??
      [...new Set(alive.values())].find(named);
    if (track) {
      const last = track.checks.at(-1);
      // A file the merge changed has its check there: the branch's lines are checked with it.
      const merging = last?.kind === "bytes" || last?.kind === "kept" || last?.kind === "absent";
      if (merging && last.commit.id === commit.id) {
        (last.merged ??= []).push(branchFile);
      } else track.checks.push({ kind: "kept", commit, blob: track.blob, merged: [branchFile] });
      continue;
    }
    // Deleted on this chain: that deletion fails the file already. Deleted by this merge, it is
    // the branch's deletion: the branch's commit is the one to name (ci-trial F3).
    const gone = names.map((n) => deleted.get(n)).find((t) => t !== undefined) ??
      [...new Set(deleted.values())].find(named);
    if (gone) {
      const last = gone.checks.at(-1);
      if (last?.kind === "deleted" && last.commit.id === commit.id) {
        (last.merged ??= []).push(branchFile);
      }
      continue;
    }
    // HEAD's chain follows every file: one it does not is not in the merge's tree. Kept with the
    // deleted files there, so that a file added later at the path goes on with its failure.
    const probes = followed.complete ? deleted : followed.probes;
    let probe = probes.get(file.path);
    if (!probe) {
      probe = {
        ...trackFrom(file.path, EMPTY_BLOB, commit.id),
        existedAtBase: false,
        versions: 0,
        notes: [
          file.failure?.deleted
            ? `created and deleted on the branch merge ${short(commit.id)} brought in`
            : `left out by merge ${short(commit.id)}, whose merged branch changed it`,
        ],
      };
      probes.set(file.path, probe);
    }
    probe.checks.push({
      kind: "absent",
      commit,
      specs: followed.complete ? [] : names.map((n) => `${commit.id}:${n}`),
      merged: [branchFile],
    });
  }
}

/**
 * The record files `other`'s first-parent chain changed since it left
 * `first`'s history, by their path at `other`, each checked as HEAD's are
 * (the branch's own merges in turn), renames followed; once per pair of
 * parents. A file the branch created is checked from its first version.
 * Checked like the first-parent chain: a union merge takes the branch's
 * lines as they are, so a record the branch inserted, moved or changed and
 * restored reaches the first parent looking appended. A file one of the
 * branch's own merges left out is among them, with that failure.
 */
function mergedBranch(walk: Walk, first: string, other: string): Promise<Map<string, Track>> {
  const key = `${first} ${other}`;
  let files = walk.branches.get(key);
  if (!files) {
    files = followBranch(walk, first, other);
    walk.branches.set(key, files);
  }
  return files;
}

async function followBranch(walk: Walk, first: string, other: string) {
  const followed: Followed = {
    alive: new Map(),
    deleted: new Map(),
    start: `the history of ${short(first)}`,
    complete: false,
    probes: new Map(),
    left: new Map(),
  };
  const { alive, deleted, probes } = followed;
  const log = recordFileLog(walk.top, first, RECORD_PATHSPEC, other, walk.exclude);
  await followLog(log, followed, walk);
  await settleChecks(
    [...new Set([...alive.values(), ...deleted.values(), ...probes.values()])],
    { ...walk, head: undefined },
  );
  // A file the branch's own merge left out goes on with that failure, which fails its merge;
  // so does one the branch deleted (records committed there and gone, even from a file it created).
  const files = new Map(alive);
  for (const [path, probe] of probes) if (probe.failure) files.set(path, probe);
  for (const [path, track] of deleted) if (!files.has(path)) files.set(path, track);
  return files;
}

/**
 * Whether two record files may be one renamed: their folders do not name two DeliverableIDs.
 *
 * @example
 * ```ts
 * import { sameDeliverable } from "./history_walk.ts";
 * sameDeliverable("DEL-01-02_Old/RunRecords.csv", "DEL-01-02_New/RunRecords.csv"); // true
 * sameDeliverable("DEL-01-02_Old/RunRecords.csv", "DEL-01-03_New/RunRecords.csv"); // false
 * ```
 */
export function sameDeliverable(from: string, to: string): boolean {
  const a = folderDeliverableId(from);
  const b = folderDeliverableId(to);
  return !a || !b || a === b;
}

/**
 * Whether the places of two record files (paths from the work tree's top) claim one
 * DeliverableID, as `verify` groups folders ({@linkcode claimedIds}): their folders' own IDs,
 * from each `_CONTEXT.md` as commit `at` holds it (the working tree's when `undefined`), else
 * their names; and the IDs the folders of each path name (`_Archive/2026-12_DEL-01-03_Old`).
 *
 * @example
 * ```ts
 * import { claimSameId } from "./history_walk.ts";
 * // In a git clone; --allow-read (the folders' _CONTEXT.md).
 * await claimSameId("DEL-01-02_Flow/RunRecords.csv", "_Archive/2026-12_DEL-01-02_Flow/RunRecords.csv", Deno.cwd());
 * ```
 */
export async function claimSameId(
  a: string,
  b: string,
  top: string,
  at?: string,
): Promise<boolean> {
  const claimed = async (path: string) => {
    const folders = path.split("/").slice(0, -1);
    return claimedIds(folders, await ownIdAt(folders.join("/"), top, at));
  };
  const there = await claimed(b);
  return [...await claimed(a)].some((id) => there.has(id));
}

/**
 * The DeliverableID of `folder` (a path from the top; `""`: the top) as commit `at` holds it
 * (the working tree when `undefined`): its `_CONTEXT.md`'s, else its name's; `undefined` for
 * none. A commit's `_CONTEXT.md` is read from the commit: the folder may be gone since.
 */
async function ownIdAt(folder: string, top: string, at?: string): Promise<string | undefined> {
  let read: ((path: string) => string | undefined) | undefined;
  if (at !== undefined) {
    const spec = `${at}:${folder === "" ? "" : `${folder}/`}${CONTEXT_FILE}`;
    // A path with a line break cannot be asked of `git cat-file --batch`: the name decides.
    const [bytes] = spec.includes("\n") ? [undefined] : await readObjects([spec], top);
    const text = bytes && bytes.length <= HOST_FILE_LIMIT
      ? new TextDecoder().decode(bytes)
      : undefined;
    read = () => text;
  }
  try {
    const { id } = deliverableId(join(top, ...folder.split("/")), read);
    return DELIVERABLE_ID_SYNTAX.test(id) ? id : undefined;
  } catch {
    return undefined; // no _CONTEXT.md naming one, nor a folder name
  }
}

/**
 * `DEL-XX-YY` of the folder holding `path` when the folder is named `DEL-XX-YY[_Label]`.
 *
 * @example
 * ```ts
 * import { folderDeliverableId } from "./history_walk.ts";
 * folderDeliverableId("PKG-01/DEL-01-02_Flow/RunRecords.csv"); // "DEL-01-02"
 * folderDeliverableId("_Archive/RunRecords.csv"); // undefined
 * ```
 */
export function folderDeliverableId(path: string): string | undefined {
  const folders = path.split("/").slice(0, -1);
  const id = (folders.at(-1) ?? "").split("_")[0];
  return DELIVERABLE_ID_SYNTAX.test(id) ? id : undefined;
}
