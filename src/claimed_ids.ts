/**
 * One DeliverableID claimed by two deliverable folders of one execution root
 * (a `_CONTEXT.md` copied with its ID): their runs get the same RunIDs, which
 * export then merges into one run. `emit`/`start` warn of it, `verify` of a
 * root fails on it. Which IDs a record file's folder claims is answered here
 * once ({@linkcode claimedIds}), for this check and for `verify --since`'s
 * question whether a copy elsewhere is a deliverable's retired file.
 *
 * @module
 */
import {
  DELIVERABLE_FOLDER,
  deliverableId,
  findExecutionRoot,
  requireRootInSight,
  toolRootOwner,
} from "./deliverable.ts";
import { basename, dirname, relative, resolve } from "./path.ts";
import { resolvedPath } from "./lookups.ts";
import { readRecords } from "./reader.ts";
import { DELIVERABLE_ID_SYNTAX } from "./schema.ts";
import { deliverableFolders, type RecordTarget, SILENT_SEARCH } from "./targets.ts";
import type { IntegrityProblem } from "./verify_file.ts";

/** A DeliverableID anywhere in a folder's name (`2026-12_DEL-01-03_Old`). */
const NAMED_ID = /DEL-[0-9]{2,}-[0-9]{2,}/g;

/**
 * The DeliverableIDs a record file's folder claims: its own (`own`, from its
 * `_CONTEXT.md`, else its name), and each one a folder of its path names
 * (`folders`: the path from the execution root, or the work tree's top, to
 * the file's folder): a retired or snapshot copy keeps its deliverable's ID
 * in its path (`_Archive/2026-12_DEL-01-03_Old`, `_Archive/DEL-01-03/v1`,
 * `DEL-01-03_X/backup`) whether or not a `_CONTEXT.md` came with it. Two
 * record files are of one deliverable when their claims meet.
 *
 * @example
 * ```ts
 * import { claimedIds } from "./claimed_ids.ts";
 * claimedIds(["_Archive", "DEL-01-03", "v1"], undefined); // Set { "DEL-01-03" }
 * claimedIds(["PKG-01_P", "1_Working", "Level_Switch"], "DEL-01-04"); // Set { "DEL-01-04" }
 * ```
 */
export function claimedIds(folders: readonly string[], own: string | undefined): Set<string> {
  const ids = new Set(folders.flatMap((folder) => [...folder.matchAll(NAMED_ID)].map((m) => m[0])));
  if (own !== undefined) ids.add(own);
  return ids;
}

/** The real absolute path of `path` (links resolved), as far as it exists. */
function realOf(path: string): string {
  return resolvedPath(resolve(path));
}

/** The ID of a deliverable folder, or `undefined` when it has none (or an odd one). */
function idOf(folder: string): string | undefined {
  try {
    const { id } = deliverableId(folder);
    return DELIVERABLE_ID_SYNTAX.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Another deliverable folder of `delDir`'s execution root whose ID is `id`,
 * as a path relative to `delDir`; `undefined` when there is none (or no
 * execution root). A nested execution root (an archived copy) is its own.
 * Walks the root: asked only when `_CONTEXT.md` and the folder name disagree.
 */
function otherFolderWithId(delDir: string, id: string): string | undefined {
  const dir = realOf(delDir);
  const root = findExecutionRoot(dir);
  if (root === undefined) return undefined;
  for (const folder of deliverableFolders(root, SILENT_SEARCH)) {
    const real = realOf(folder);
    if (real === dir || findExecutionRoot(real) !== root) continue;
    if (idOf(real) === id) return relative(dir, real);
  }
  return undefined;
}

/**
 * When `_CONTEXT.md` gives `delDir` the ID `id` while its name says another,
 * and another folder of its execution root has `id` too: the clause a warning
 * adds to the ID note. `undefined` otherwise (a moved or renamed folder).
 *
 * @example
 * ```ts
 * import { sharedIdWarning } from "./claimed_ids.ts";
 * sharedIdWarning("PKG-01_P/1_Working/DEL-01-02_Copy", "DEL-01-01");
 * // "folder ../DEL-01-01_Original has DEL-01-01 too: …" when it has
 * ```
 */
export function sharedIdWarning(delDir: string, id: string): string | undefined {
  const fromFolder = DELIVERABLE_FOLDER.exec(basename(resolve(delDir)))?.[1];
  if (fromFolder === undefined || fromFolder === id) return undefined;
  const other = otherFolderWithId(delDir, id);
  if (other === undefined) return undefined;
  return `folder ${other} has ${id} too: the runs of both get the same RunIDs (runrec ` +
    `verify fails on them); give this folder its own ID in _CONTEXT.md (${fromFolder}?)`;
}

/**
 * The problems of record files whose deliverable folders claim one
 * DeliverableID with another folder of the same execution root, by record
 * file path: an error naming every such folder on line 1 of each, and an
 * error on each record whose RunID a record of another of those folders
 * has too. Only the folders of `files` that hold a record file count: one
 * with no runs yet has nothing recorded under the ID (`emit` warns of it).
 * A folder claims the IDs {@linkcode claimedIds} gives it; only a folder
 * whose own ID it is, outside a tool root, is a deliverable the first error
 * names. A copy (in a tool root, such as `_Archive/`, of the root its tool
 * root is in, or one that only names the ID in its path) has its
 * original's ID by right, and is compared by RunID only.
 *
 * @throws {InputError} for a file of several whose execution root this process may not
 * see (`requireRootInSight`): which folders share its root cannot be told.
 *
 * @example
 * ```ts
 * import { resolveTargets } from "./targets.ts";
 * import { sharedIdProblems } from "./claimed_ids.ts";
 * const problems = await sharedIdProblems(await resolveTargets(["."]));
 * for (const [file, list] of problems) console.log(file, list.map((p) => p.message));
 * ```
 */
export async function sharedIdProblems(
  files: readonly RecordTarget[],
): Promise<Map<string, IntegrityProblem[]>> {
  // Folders by execution root and ID; a folder reached twice (a link) is one. A copy joins its
  // groups only for RunIDs: a snapshot's lines are the original's, a different record under one
  // of its RunIDs is two runs under one name all the same.
  const groups = new Map<string, Map<string, { file: RecordTarget; copy: boolean }>>();
  const compared = files.filter((f) => !f.unlisted && f.exists && f.unreadable === undefined);
  // One file shares its ID with no other: nothing to compare, no root needed (a sandbox in it).
  if (compared.length < 2) return new Map();
  for (const file of compared) {
    const folder = realOf(dirname(file.path));
    const own = idOf(folder);
    const toolRoot = toolRootOwner(folder);
    const root = toolRoot ?? findExecutionRoot(folder);
    // Which folders share a root must be seen, not guessed from a look-up refused (trial-q F3).
    if (root === undefined) requireRootInSight(folder, file.path);
    const folders = root === undefined ? [basename(folder)] : relative(root, folder).split("/");
    for (const id of claimedIds(folders, own)) {
      const key = `${root ?? ""}\n${id}`;
      const group = groups.get(key) ?? new Map();
      if (!group.has(folder)) {
        group.set(folder, { file, copy: toolRoot !== undefined || id !== own });
      }
      groups.set(key, group);
    }
  }
  const problems = new Map<string, IntegrityProblem[]>();
  const add = (path: string, problem: IntegrityProblem) =>
    problems.set(path, [...problems.get(path) ?? [], problem]);
  for (const [key, group] of groups) {
    if (group.size < 2) continue;
    const id = key.slice(key.indexOf("\n") + 1);
    const claimants = [...group.values()];
    const live = claimants.filter((c) => !c.copy).map((c) => c.file);
    const named = live.map((f) => dirname(f.path)).join(", ");
    for (const file of live.length < 2 ? [] : live) {
      add(file.path, {
        line: 1,
        severity: "error",
        check: "identity",
        field: "DeliverableID",
        message: `DeliverableID ${id} is claimed by ${live.length} folders: ${named} ` +
          "(a _CONTEXT.md copied?): their runs get the same RunIDs; give each folder its own " +
          "ID in _CONTEXT.md",
      });
    }
    // Each RunID's records across the folders: a different record in another folder is two runs
    // under one name (the same record there is a copy).
    const where = new Map<string, { path: string; line: number; checksum: string }[]>();
    const checksums = new Map<string, string[]>(); // each file's records, in file order
    for (const { file } of claimants) {
      const own: string[] = [];
      try {
        for await (const event of readRecords(file.path)) {
          if (event.kind !== "record") continue;
          const list = where.get(event.record.RunID) ?? [];
          list.push({ path: file.path, line: event.line, checksum: event.record.RecordChecksum });
          where.set(event.record.RunID, list);
          own.push(event.record.RecordChecksum);
        }
      } catch { /* unreadable now: verify names it */ }
      checksums.set(file.path, own);
    }
    // A copy in a tool root is of a live file that begins as it does (a snapshot, or the file
    // retired there). A live file that begins otherwise (restarted) yet holds the copy's records
    // got them from a branch that recorded on the retired deliverable, merged into the new one.
    for (const copy of claimants.filter((c) => c.copy).map((c) => c.file.path)) {
      const retired = new Set(checksums.get(copy));
      for (const file of live) {
        const records = checksums.get(file.path) ?? [];
        if (records.length === 0 || retired.has(records[0])) continue;
        for (const [runId, list] of where) {
          const here = list.find((w) => w.path === file.path && retired.has(w.checksum));
          if (here === undefined || !list.some((w) => w.path === copy)) continue;
          add(file.path, {
            line: here.line,
            severity: "error",
            check: "identity",
            field: "RunID",
            message: `record ${runId} is a run of the deliverable retired to ${copy}, whose ` +
              "records this restarted file holds (a branch that recorded on the old deliverable, " +
              "merged after the restart?): it belongs with the retired copy",
          });
        }
      }
    }
    for (const [runId, list] of where) {
      for (const { path, line, checksum } of list) {
        const others = list.filter((w) => w.path !== path && w.checksum !== checksum)
          .map((w) => `${w.path}:${w.line}`);
        if (others.length === 0) continue;
        add(path, {
          line,
          severity: "error",
          check: "identity",
          field: "RunID",
          message: `RunID ${runId} is also the RunID of ${others.join(", ")} (DeliverableID ` +
            `${id} in ${claimants.length} folders): two runs under one name`,
        });
      }
    }
  }
  return problems;
}
