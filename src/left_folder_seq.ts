/**
 * SEQs given in a folder git left beside the record file's, or elsewhere in
 * its execution root: a deliverable renamed with `git mv` on one branch (or
 * moved into another package) and not on another has a folder of each name
 * in one work tree, each with its own `.runrec/` journal. A
 * checkout between them leaves the other name's folder holding runrec's
 * state alone (its record file is that branch's), and the SEQs its journal
 * gave in a minute must not be given again here: the branches' merge would
 * hold two records of one RunID (SCHEMA.md 3.3).
 *
 * @module
 */
import { readAt } from "./appended.ts";
import { basename, dirname, join, relative, resolve } from "./path.ts";
import { hasLinkedWorkTrees, headMovedSince, workTrees } from "./git.ts";
import { journaledSeq, journalPath } from "./journal.ts";
import { kindOf } from "./walk.ts";
import { notedWorkTreesSeq } from "./work_tree_seqs.ts";
import { deliverableOfRunId } from "./run_id_home.ts";
import {
  CONTEXT_FILE,
  DELIVERABLE_FOLDER,
  deliverableId,
  findExecutionRoot,
} from "./deliverable.ts";

/**
 * The highest SEQ of `prefix` (`RUN-<id>-<YYYYMMDD>-<HHmm>-`) that the
 * journals of the folders near `recordFile`'s own gave (see `foldersNear`),
 * in folders whose record file is not there (git took it with a branch), `0n`
 * for none. Looked for only when `HEAD` moved other than by a commit since
 * the prefix's minute began: otherwise no folder can have been renamed under
 * the runs of that minute, and no folder is listed.
 *
 * @example
 * ```ts
 * import { leftFolderSeq } from "./left_folder_seq.ts";
 * leftFolderSeq("/p/PKG-01/DEL-01-02_X/RunRecords.csv", "RUN-DEL-01-02-20260222-1015-"); // 0n
 * ```
 */
export function leftFolderSeq(recordFile: string, prefix: string): bigint {
  const minute = minuteOf(prefix);
  const folder = resolve(dirname(recordFile));
  if (minute === undefined || !headMovedSince(folder, minute)) return 0n;
  const name = basename(recordFile);
  let seq = 0n;
  const id = deliverableOfRunId(prefix);
  for (const near of foldersNear(folder, id)) {
    const other = join(near, name);
    // A record file there (a deliverable of its own, a copy) numbers its own runs.
    if (kindOf(journalPath(other)) !== "file" || kindOf(other) !== "other") continue;
    const given = journaledSeq(other, prefix);
    if (given > seq) seq = given;
  }
  return seq;
}

/**
 * The folders other than `folder` (absolute) beside it, whatever their names (a rename may drop
 * the DEL prefix), and those named with DeliverableID `id` at its depth under its execution
 * root (`PKG-02/1_Working/DEL-01-02_X` for `PKG-01/1_Working/DEL-01-02_X`): a `git mv` into
 * another package leaves the other name's folder there (review-45 F1). Not a walk of the
 * root, which read 1,000 deliverables' folders in 183 ms under the append lock.
 */
function foldersNear(folder: string, id: string | undefined): string[] {
  const found = new Set(subfolders(dirname(folder)));
  const root = findExecutionRoot(folder);
  const depth = root === undefined ? 0 : relative(root, folder).split("/").length;
  if (root !== undefined && id !== undefined && depth <= MAX_DEPTH) {
    let level = [root];
    for (let i = 1; i < depth; i++) level = level.flatMap(subfolders);
    for (const dir of level.flatMap(subfolders)) {
      if (DELIVERABLE_FOLDER.exec(basename(dir))?.[1] === id) found.add(dir);
    }
  }
  found.delete(folder);
  return [...found];
}

/** How deep under its execution root a deliverable folder is looked for in other packages. */
const MAX_DEPTH = 4;

/** The folders in `dir` (not `.git`, `.runrec`, or other hidden ones), absolute; none if unlisted. */
function subfolders(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].filter((e) => e.isDirectory && !e.name.startsWith("."))
      .map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

/**
 * The highest SEQ of `prefix` (`RUN-<id>-<YYYYMMDD>-<HHmm>-`) that the journal of the same
 * record file in each other work tree of the repository gave (`git worktree add`: an agent's
 * branch each), `0n` for none: each work tree keeps its own `.runrec/`, and the branches' merge
 * would hold two records of one RunID (review-45 F4). Two work trees' appends at the same
 * moment take one lock the work trees share (./work_tree_lock.ts) besides their own: the one
 * that waited reads the other's journal line (review-46 F2).
 *
 * @example
 * ```ts
 * import { workTreeSeq } from "./left_folder_seq.ts";
 * workTreeSeq("/repo/PKG-01/DEL-01-02_X/RunRecords.csv", "RUN-DEL-01-02-20260222-1015-"); // 0n
 * ```
 */
export function workTreeSeq(recordFile: string, prefix: string): bigint {
  // Noted in the common `.git` folder: those of a work tree removed since too (review-47 F2).
  let seq = notedWorkTreesSeq(recordFile, prefix);
  try {
    if (!hasLinkedWorkTrees(dirname(recordFile))) return seq;
    const trees = workTrees(dirname(recordFile));
    if (trees === undefined || trees.others.length === 0) return seq;
    const path = relative(
      trees.top,
      join(Deno.realPathSync(dirname(recordFile)), basename(recordFile)),
    );
    const id = deliverableOfRunId(prefix);
    for (const other of trees.others) {
      for (const file of sameDeliverableIn(join(other, path), id)) {
        // And its file's last lines: one written by a process killed before its journal note
        // (kill -9 at its fsync), whose SEQ the other work tree gave again (review-46 F3).
        for (const given of [journaledSeq(file, prefix), tailSeq(file, prefix)]) {
          if (given > seq) seq = given;
        }
      }
    }
  } catch { /* no work trees to be read: this one's SEQs */ }
  return seq;
}

/**
 * The record files of deliverable `id` in another work tree, `file` being where this work tree's
 * is there: `file` alone while it is a file; else (the folder renamed with `git mv` on that work
 * tree's branch, or on this one's) the record files of the folders beside its folder, and of those
 * at its depth in other packages, that claim `id` (their name's prefix, else their
 * `_CONTEXT.md`): each work tree's path of one deliverable differs, and so did every SEQ read
 * (review-47 F1).
 */
function sameDeliverableIn(file: string, id: string | undefined): string[] {
  if (kindOf(file) === "file" || id === undefined) return [file];
  const claims = (dir: string) => {
    const named = DELIVERABLE_FOLDER.exec(basename(dir))?.[1];
    if (named !== undefined) return named === id;
    // Without one, no ID: not a deliverable's folder (and no search beneath it for the error's aside).
    if (kindOf(join(dir, CONTEXT_FILE)) !== "file") return false;
    try {
      return deliverableId(dir).id === id;
    } catch {
      return false; // not a deliverable's folder
    }
  };
  const folders = foldersNear(dirname(file), id).filter(claims);
  return [file, ...folders.map((dir) => join(dir, basename(file)))];
}

/**
 * How much of another work tree's record file's end {@linkcode tailSeq} reads: the lines of the
 * minute an append is given a SEQ in are the last ones there, unless 64 KiB of later minutes' runs
 * (some 60) were appended since; an append that old is a late record (SCHEMA.md 3.3).
 */
const TAIL_BYTES = 1 << 16;

/**
 * The highest SEQ of `prefix` among the RunIDs of the last {@linkcode TAIL_BYTES} of the record
 * file at `recordFile` (each line's second field, whole: followed by a comma), `0n` for none or
 * no file.
 */
function tailSeq(recordFile: string, prefix: string): bigint {
  let text: string;
  let from: number;
  try {
    // Never a FIFO in its place (opening one waits for a writer), nor a link (another file's).
    if (!Deno.lstatSync(recordFile).isFile) return 0n;
    using file = Deno.openSync(recordFile, { read: true });
    const { size, isFile } = file.statSync();
    if (!isFile) return 0n;
    from = Math.max(0, size - TAIL_BYTES);
    text = new TextDecoder("latin1").decode(readAt(file, from, size - from));
  } catch {
    return 0n;
  }
  const lines = text.split("\n").slice(from > 0 ? 1 : 0); // the first read from inside is a line's end
  let seq = 0n;
  for (const line of lines) {
    const field = line.split(",", 3);
    if (field.length < 3 || !field[1].startsWith(prefix)) continue;
    const digits = field[1].slice(prefix.length);
    if (/^[0-9]+$/.test(digits) && BigInt(digits) > seq) seq = BigInt(digits);
  }
  return seq;
}

/** When the minute of a RunID prefix (`…-20260222-1015-`) began, ms since the epoch. */
function minuteOf(prefix: string): number | undefined {
  const at = /-([0-9]{4})([0-9]{2})([0-9]{2})-([0-9]{2})([0-9]{2})-$/.exec(prefix);
  if (!at) return undefined;
  const [year, month, day, hour, min] = at.slice(1).map(Number);
  return Date.UTC(year, month - 1, day, hour, min);
}
