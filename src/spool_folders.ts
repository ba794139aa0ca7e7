/**
 * The folders outside a deliverable where runrec keeps a user's spooled records and pending runs:
 * the temporary folder, the user's own folder in it, and whether a folder is private enough to
 * trust what it holds. Apart from ./spool.ts so that the pending runs (./pending.ts) find their
 * folder without importing the spool, which writes to the record files.
 *
 * @module
 */
import { optionalEnv, optionalUid } from "./optional_access.ts";
import { isAbsolute, join, resolve } from "./path.ts";
import { leaveWarning } from "./notices.ts";

/**
 * The temporary folder: `$TMPDIR`, `$TEMP` or `$TMP` (the first set), else
 * `/tmp` (`C:\Windows\Temp` on Windows, where `TEMP` is normally set). A
 * relative one is not used, as `$RUNREC_SPOOL_DIR` is not (env-signals F4).
 */
function tempFolder(): string {
  const fallback = Deno.build.os === "windows" ? "C:\\Windows\\Temp" : "/tmp";
  const name = ["TMPDIR", "TEMP", "TMP"].find((n) => optionalEnv(n) !== undefined);
  const value = name === undefined ? undefined : optionalEnv(name)!;
  if (value === undefined) return fallback;
  if (isAbsolute(value)) return resolve(value);
  leaveWarning(
    `$${name} ${JSON.stringify(value)} is not used for runrec's spool and pending runs: it is a ` +
      "relative path, a different folder in each working folder, where runrec run from elsewhere " +
      `(flush, log, reap, verify) would never find a record; set an absolute path (meanwhile: ${fallback})`,
  );
  return fallback;
}

/**
 * The user's spool folder in the temporary folder, `runrec-spool-<uid>`, as
 * tmux and ssh-agent name theirs; `undefined` where the user's id cannot be
 * read. On Windows, where the temporary folder is the user's own, it is
 * `runrec-spool`.
 *
 * @example
 * ```ts
 * import { sharedSpoolFolder } from "./spool_folders.ts";
 * sharedSpoolFolder(); // "/tmp/runrec-spool-1000" for user 1000
 * ```
 */
export function sharedSpoolFolder(): string | undefined {
  if (Deno.build.os === "windows") return join(tempFolder(), "runrec-spool");
  const uid = optionalUid();
  return uid === undefined ? undefined : join(tempFolder(), `runrec-spool-${uid}`);
}

/**
 * Why a folder outside the deliverable may not hold runrec's files (a link,
 * another user's, open to others), or `undefined` when it may. Its entries name
 * the file they are appended to, so an entry someone else put there would be
 * appended as the user's own record. (Reading is no risk: the records end up in git.)
 *
 * @example
 * ```ts
 * import { privateFolderProblem } from "./spool_folders.ts";
 * privateFolderProblem("/tmp"); // "open to other users (mode 777: …)"
 * ```
 */
export function privateFolderProblem(folder: string): string | undefined {
  if (Deno.build.os === "windows") return undefined;
  const info = Deno.lstatSync(folder);
  if (!info.isDirectory) return "a link or a file, not a real folder";
  if (info.uid !== optionalUid()) {
    return `owned by uid ${info.uid}, not by this user (${optionalUid()})`;
  }
  if (info.mode !== null && (info.mode & 0o022) !== 0) {
    const mode = (info.mode & 0o777).toString(8);
    return `open to other users (mode ${mode}: others may write entries into it; use 700 or 755)`;
  }
  return undefined;
}
