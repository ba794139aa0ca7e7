/**
 * `log --since REV`: the records a branch added since a git revision, as `git log REV..` lists
 * a branch's commits. A record counts as added when the record file at REV holds no line with
 * its RecordChecksum: what a merge brought from REV's side is in REV's file already, and a
 * record file REV lacks holds only added records.
 *
 * @module
 */
import { basename, dirname, relative } from "../path.ts";
import { gitTopLevel, GitUnavailableError, readObjects, treeChanges } from "../git.ts";
import { shellWord } from "../shell_word.ts";
import { UsageError } from "./command.ts";
import { revisionHint } from "../history_start.ts";

/** What the CLI says where git cannot run: the sandboxed build, which has no `--allow-run`. */
export const SANDBOXED_GIT = "this runrec has no permission to run programs (sandboxed build), " +
  "so it cannot run git; use the runrec command (not runrec-sandboxed) for this";

/** What {@linkcode checksumsAt} found of a record file at a revision. */
export interface FileAtRevision {
  /** The RecordChecksums of its lines (the header's last name among them). */
  checksums: Set<string>;
  /** Its path at the revision, from the top of the work tree, when it was renamed since. */
  renamedFrom?: string;
}

/**
 * The record file `path` as commit `rev` holds it: at the same path, or where git's rename
 * detection finds it moved from since (a folder `git mv`ed); `undefined` when `rev` holds
 * neither. Throws {@linkcode UsageError} when `rev` names no commit of the repository holding
 * `path`, or `path` is in none, `InputError` when git refuses that repository (another user
 * owns it), and {@linkcode GitUnavailableError} when git cannot run. One
 * `git cat-file` a file (and a `git diff` for one not at its path).
 *
 * @example
 * ```ts
 * import { checksumsAt } from "./added_since.ts";
 * const before = await checksumsAt("main", "examples/PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection/RunRecords.csv");
 * before?.checksums.size; // the lines main's version of the file holds, or undefined: not in main
 * ```
 */
export async function checksumsAt(rev: string, path: string): Promise<FileAtRevision | undefined> {
  if (rev.startsWith("-") || /\s/.test(rev)) throw notACommit(rev, path);
  let objects: (Uint8Array | undefined)[];
  try {
    // The commit first: a file missing from it is told apart from a revision that names none.
    objects = await readObjects([`${rev}^{commit}`, `${rev}:./${basename(path)}`], dirname(path));
  } catch (e) {
    if (!(e instanceof GitUnavailableError)) {
      // git refuses a repository another user owns: its message and remedy, not "no repository".
      await gitTopLevel(dirname(path));
      throw notACommit(rev, path, true);
    }
    const denied = e.cause instanceof Deno.errors.NotCapable ||
      e.cause instanceof Deno.errors.PermissionDenied;
    throw new GitUnavailableError(
      `--since ${shellWord(rev)}: ${denied ? SANDBOXED_GIT : e.message}`,
    );
  }
  const [commit, file] = objects;
  if (commit === undefined) {
    const top = await gitTopLevel(dirname(path));
    throw notACommit(rev, path, false, top === undefined ? "" : await revisionHint(rev, top));
  }
  if (file !== undefined) return { checksums: checksumsOf(file) };
  const renamedFrom = await renamedSince(rev, path);
  if (renamedFrom === undefined) return undefined;
  const [moved] = await readObjects([`${rev}:${renamedFrom}`], dirname(path));
  return moved === undefined ? undefined : { checksums: checksumsOf(moved), renamedFrom };
}

/** RecordChecksum is every record line's last field (SCHEMA.md 2). */
function checksumsOf(file: Uint8Array): Set<string> {
  const text = new TextDecoder().decode(file);
  return new Set(text.split("\n").map((line) => line.slice(line.lastIndexOf(",") + 1).trimEnd()));
}

/** The path from the top that `path` had at `rev`, by git's rename detection; else `undefined`. */
async function renamedSince(rev: string, path: string): Promise<string | undefined> {
  const top = await gitTopLevel(dirname(path));
  if (top === undefined) return undefined;
  const here = relative(Deno.realPathSync(top), Deno.realPathSync(path)).replaceAll("\\", "/");
  const changes = await treeChanges(rev, undefined, top, `:(top,glob)**/${basename(path)}`);
  return changes.find((change) => change.status === "R" && change.path === here)?.from;
}

function notACommit(rev: string, path: string, noRepository = false, hint = ""): UsageError {
  const time = `${JSON.stringify(rev)} is ${noRepository ? "not" : "neither"} a time ` +
    "(2026-02-22, 2026-02-22T10:15:00Z, 24h, 7d)";
  return new UsageError(
    noRepository
      ? `--since: ${time}, and ${path} is in no git repository, where it could name a commit`
      : `--since: ${time} nor a commit of the git repository holding ${path}${hint}`,
  );
}
