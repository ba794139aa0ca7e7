/**
 * git's refusal of a repository that another user owns ("detected dubious
 * ownership": a shared checkout, a CI container under another uid), said as
 * one line with a remedy that works where runrec runs.
 *
 * @module
 */
import { shellWord } from "./shell_word.ts";

/**
 * git's own message when it refuses a repository that another user owns,
 * with its remedy, as one line; else `undefined`. git's remedy writes
 * `~/.gitconfig`, which fails with `HOME` unset, naming no folder or one this
 * user may not write (a CI job's environment, a container's `HOME=/`), so
 * there the line also gives the setting through git's environment, which the
 * git runrec starts inherits.
 *
 * @example
 * ```ts
 * import { dubiousOwnership } from "./git_ownership.ts";
 * dubiousOwnership("fatal: detected dubious ownership in repository at '/repo'\n");
 * // "detected dubious ownership in repository at '/repo'", and a remedy if HOME is unset
 * dubiousOwnership("fatal: not a git repository"); // undefined
 * ```
 */
export function dubiousOwnership(stderr: string): string | undefined {
  if (!stderr.includes("dubious ownership")) return undefined;
  const said = stderr.split("\n").map((line) => line.trim()).filter((line) => line !== "")
    .join(" ").replace(/^fatal: /, "");
  const repository = /dubious ownership in repository at '(.*)'$/m.exec(stderr)?.[1];
  const home = homeLack();
  if (repository === undefined || home === undefined) return said;
  return `${said}; HOME is ${home}, so that git config fails: set HOME to a folder this user ` +
    `may write, or run runrec with GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory ` +
    `GIT_CONFIG_VALUE_0=${shellWord(repository)} in its environment`;
}

/** Why `$HOME` holds no `.gitconfig` git could write, or `undefined` when it may. */
function homeLack(): string | undefined {
  // Not granted (a library caller's deno): unknown, so git's remedy is left as it is.
  if (Deno.permissions.querySync({ name: "env", variable: "HOME" }).state !== "granted") {
    return undefined;
  }
  const home = Deno.env.get("HOME");
  if (!home) return "unset";
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(home);
  } catch (e) {
    return e instanceof Deno.errors.NotFound ? `${home}, which does not exist` : undefined;
  }
  // A container run under a uid with no home of its own gets HOME=/, there but not writable.
  return mayWrite(info) ? undefined : `${home}, which this user may not write`;
}

/**
 * Whether this user may make a file in the folder `info` describes, by its mode bits; `true`
 * when unknown (this user's id not granted, or a group's write bit: the groups are not known).
 */
function mayWrite(info: Deno.FileInfo): boolean {
  if (Deno.permissions.querySync({ name: "sys", kind: "uid" }).state !== "granted") return true;
  const uid = Deno.uid();
  const mode = info.mode;
  if (uid === null || uid === 0 || mode === null || info.uid === null) return true;
  if (info.uid === uid) return (mode & 0o200) !== 0;
  return (mode & 0o022) !== 0;
}
