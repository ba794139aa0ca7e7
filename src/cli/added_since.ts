/**
 * `log --since REV`: the records a branch added since a git revision, as `git log REV..` lists
 * a branch's commits. A record counts as added when the record file at REV holds no line with
 * its RecordChecksum: what a merge brought from REV's side is in REV's file already, and a
 * record file REV lacks holds only added records.
 *
 * @module
 */
import { basename, dirname } from "../path.ts";
import { GitUnavailableError, readObjects } from "../git.ts";
import { shellWord } from "../shell_word.ts";
import { UsageError } from "./command.ts";

/** What the CLI says where git cannot run: the sandboxed build, which has no `--allow-run`. */
export const SANDBOXED_GIT = "this runrec has no permission to run programs (sandboxed build), " +
  "so it cannot run git; use the runrec command (not runrec-sandboxed) for this";

/**
 * The RecordChecksums of the record file `path` as commit `rev` holds it (the same path, from
 * its folder), or `undefined` when `rev` holds no such file. Throws {@linkcode UsageError} when
 * `rev` names no commit of the repository holding `path`, or `path` is in none, and
 * {@linkcode GitUnavailableError} when git cannot run. One `git cat-file` a file.
 *
 * @example
 * ```ts
 * import { checksumsAt } from "./added_since.ts";
 * const before = await checksumsAt("main", "examples/PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection/RunRecords.csv");
 * before?.size; // the records main's version of the file holds, or undefined: not in main
 * ```
 */
export async function checksumsAt(rev: string, path: string): Promise<Set<string> | undefined> {
  if (rev.startsWith("-") || /\s/.test(rev)) throw notACommit(rev, path);
  let objects: (Uint8Array | undefined)[];
  try {
    // The commit first: a file missing from it is told apart from a revision that names none.
    objects = await readObjects([`${rev}^{commit}`, `${rev}:./${basename(path)}`], dirname(path));
  } catch (e) {
    if (!(e instanceof GitUnavailableError)) throw notACommit(rev, path, true);
    const denied = e.cause instanceof Deno.errors.NotCapable ||
      e.cause instanceof Deno.errors.PermissionDenied;
    throw new GitUnavailableError(
      `--since ${shellWord(rev)}: ${denied ? SANDBOXED_GIT : e.message}`,
    );
  }
  const [commit, file] = objects;
  if (commit === undefined) throw notACommit(rev, path);
  if (file === undefined) return undefined;
  // RecordChecksum is every record line's last field (SCHEMA.md 2); the header's is its name.
  const text = new TextDecoder().decode(file);
  return new Set(text.split("\n").map((line) => line.slice(line.lastIndexOf(",") + 1).trimEnd()));
}

function notACommit(rev: string, path: string, noRepository = false): UsageError {
  const time = `${JSON.stringify(rev)} is ${noRepository ? "not" : "neither"} a time ` +
    "(2026-02-22, 2026-02-22T10:15:00Z, 24h, 7d)";
  return new UsageError(
    noRepository
      ? `--since: ${time}, and ${path} is in no git repository, where it could name a commit`
      : `--since: ${time} nor a commit of the git repository holding ${path}`,
  );
}
