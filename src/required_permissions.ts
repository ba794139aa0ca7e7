/**
 * What the library's entry points need from Deno's permissions, checked
 * before anything is read or written. A missing permission makes Deno throw
 * `NotCapable`, which a reader cannot tell from an absent file: an
 * execution root it may not read looks like none, and a record built so
 * says its references are "not found" or "outside", and `stale` calls it
 * DIRTY. So a missing permission is one clear error up front instead.
 *
 * @module
 */
import { dirname, isAtOrBeneath, resolve } from "./path.ts";
import { InputError } from "./errors.ts";
import { isExecutionRoot, requireRootInSight } from "./deliverable.ts";
import { dotGitOf } from "./dot_git.ts";
import type { Lookups, MemoLookups } from "./lookups.ts";

/**
 * Throws {@linkcode InputError} unless this process may read the project
 * `path` lies in: every folder from `path` up to its nearest execution root
 * (`INIT.md` or `_Decomposition/`) or git work tree, or up to `/` when there
 * is neither; through a symbolic link, the folders it leads to as well.
 * What lies beneath that root is read by the same grant. Given `lookups`, each
 * folder checked is listed into it once it may be read, so that a run's later
 * questions about these folders (`.git`, `INIT.md`, `agents/`) are answered
 * from the listings, without a failing look-up (and its thrown error) per name.
 *
 * @example
 * ```ts
 * import { requireReadable } from "./required_permissions.ts";
 * requireReadable("examples/PKG-01_Field_Instruments"); // fine with --allow-read
 * ```
 */
export function requireReadable(
  path: string,
  shown: string = path,
  lookups?: MemoLookups,
): void {
  const given = resolve(path);
  requireFoldersUp(given, shown, lookups);
  let real: string;
  try {
    real = Deno.realPathSync(given);
  } catch {
    return; // not there (yet): the checks of the folders above suffice
  }
  if (real !== given) requireFoldersUp(real, shown, lookups);
}

function requireFoldersUp(start: string, shown: string, lookups?: MemoLookups): void {
  const cwd = Deno.cwd();
  for (let folder = start;; folder = dirname(folder)) {
    if (!granted({ name: "read", path: folder })) {
      // Granted up to the folder it was started in and no further (the sandboxed build,
      // `--allow-read=.`): it may hold projects; a deliverable's root unseen above it is
      // refused where its bounds are found (project_bounds.ts `projectBounds`).
      if (folder !== cwd && isAtOrBeneath(cwd, folder) && isAtOrBeneath(start, cwd)) return;
      throw missing(shown, `read access to "${folder}"`, "--allow-read");
    }
    lookups?.list(folder);
    if (isProjectRoot(folder, lookups) || dirname(folder) === folder) return;
  }
}

/**
 * Throws {@linkcode InputError} unless this process may record a run of the
 * deliverable folder `delDir`: read its project ({@linkcode requireReadable}),
 * see its project's root (`requireRootInSight`),
 * write the folder (the record, its lock, pending runs) and know the host
 * name (a record's Host, and whether a lock's holder is alive). `lookups`: as
 * for {@linkcode requireReadable}.
 *
 * @example
 * ```ts
 * import { requireRecordable } from "./required_permissions.ts";
 * requireRecordable("examples/PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection");
 * ```
 */
export function requireRecordable(
  delDir: string,
  shown: string = delDir,
  lookups?: MemoLookups,
): void {
  requireReadable(delDir, shown, lookups);
  // What a record says of the project (its inputs, what changed) needs the project's root.
  requireRootInSight(delDir, shown, lookups);
  const dir = resolve(delDir);
  if (!granted({ name: "write", path: dir })) {
    throw missing(shown, `write access to "${dir}"`, "--allow-write");
  }
  requireHostname(shown);
}

/**
 * Throws {@linkcode InputError} unless this process may know the host name:
 * a record's Host, and the rule that says whether a lock's holder is alive,
 * would be `unknown` without it.
 *
 * @example
 * ```ts
 * import { requireHostname } from "./required_permissions.ts";
 * requireHostname("DEL-01-02_Flow"); // fine with --allow-sys=hostname
 * ```
 */
export function requireHostname(shown: string): void {
  if (!granted({ name: "sys", kind: "hostname" })) {
    throw missing(shown, "access to the host name", "--allow-sys=hostname");
  }
}

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}

/** Worded as Deno's own permission errors end, which the CLI rewrites for its builds. */
function missing(shown: string, what: string, flag: string): InputError {
  return new InputError(`${shown}: no ${what}, run again with the ${flag} flag`, { path: shown });
}

/** A folder that bounds what runrec reads (./inputs.ts `projectBounds`). */
function isProjectRoot(folder: string, lookups?: Lookups): boolean {
  return isExecutionRoot(folder, lookups) || dotGitOf(folder, lookups) !== undefined;
}
