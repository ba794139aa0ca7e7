/**
 * `$GIT_CEILING_DIRECTORIES` as git reads it: git's search for the repository holding a folder does
 * not go up into a folder listed there (the folder itself is always looked at). runrec's own
 * search, from the files, stops where git's does, so that runrec and the gits it starts in a
 * deliverable's folder see one repository or none (a journal's lines were let pass unchecked).
 *
 * @module
 */
import { optionalEnv } from "./optional_access.ts";
import { resolvedPath } from "./lookups.ts";
import { isAbsolute, isInside, resolve } from "./path.ts";

/**
 * Whether `$GIT_CEILING_DIRECTORIES` keeps git's search from `from` (a folder) from reaching its
 * ancestor `top`: a folder listed there is above `from` and at or beneath `top`. As git: entries
 * not absolute are ignored; those after an empty entry are taken as written, the others with
 * their symbolic links resolved. Unset (or not readable): `false`, with no look-up.
 *
 * @example
 * ```ts
 * import { ceilingHides } from "./git_ceiling.ts";
 * // true with GIT_CEILING_DIRECTORIES=/home/me
 * ceilingHides("/home/me/proj/DEL-01-02_X", "/home/me");
 * ```
 */
export function ceilingHides(from: string, top: string): boolean {
  const value = optionalEnv("GIT_CEILING_DIRECTORIES");
  if (!value) return false;
  const [realFrom, realTop] = [resolvedPath(resolve(from)), resolvedPath(resolve(top))];
  let resolving = true;
  for (const entry of value.split(Deno.build.os === "windows" ? ";" : ":")) {
    if (entry === "") resolving = false;
    if (!isAbsolute(entry)) continue;
    const ceiling = resolving ? resolvedPath(resolve(entry)) : resolve(entry);
    if (realFrom !== ceiling && isInside(realFrom, ceiling) && isInside(ceiling, realTop)) {
      return true;
    }
  }
  return false;
}

/**
 * What to add to "not in a git work tree" while `$GIT_CEILING_DIRECTORIES` is set: git's search
 * (and runrec's) may have stopped below the repository; `""` while it is not.
 *
 * @example
 * ```ts
 * import { ceilingNote } from "./git_ceiling.ts";
 * `DEL: not in a git work tree${ceilingNote()}`;
 * ```
 */
export function ceilingNote(): string {
  const value = optionalEnv("GIT_CEILING_DIRECTORIES");
  return value ? ` as git finds one under GIT_CEILING_DIRECTORIES=${value}` : "";
}
