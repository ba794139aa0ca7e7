/**
 * Where a deleted input's bytes went: a file in the same folder holding the
 * bytes the baseline run hashed, as `git status` names a rename. `stale`
 * otherwise says only "deleted", and the user looks for the new name.
 *
 * @module
 */
import { dirname, join, relative } from "./path.ts";
import { sha256Hex } from "./sha256.ts";
import { isRunrecOwn } from "./own_files.ts";

/** How many bytes of the folder's other files are read at most: the search is a courtesy. */
const BUDGET_BYTES = 32 << 20;

/**
 * The path (from `dir`, POSIX) of a regular file beside the deleted `absPath`
 * whose SHA-256 is `sha`, or `undefined` when none is (or the folder cannot
 * be read, or its files are larger than the budget in all).
 *
 * @example
 * ```ts
 * import { movedTo } from "./moved_input.ts";
 * // Spec.md renamed to Spec_v2.md since the run:
 * movedTo("/p/DEL-01-02_X/Spec.md", "5e23…", "/p/DEL-01-02_X"); // "Spec_v2.md"
 * ```
 */
export function movedTo(absPath: string, sha: string, dir: string): string | undefined {
  const folder = dirname(absPath);
  let budget = BUDGET_BYTES;
  try {
    for (const entry of Deno.readDirSync(folder)) {
      const path = join(folder, entry.name);
      if (!entry.isFile || path === absPath || isRunrecOwn(dir, relative(dir, path))) continue;
      const { size } = Deno.statSync(path);
      if (size > budget) continue;
      budget -= size;
      if (sha256Hex(Deno.readFileSync(path)) === sha) return relative(dir, path);
    }
  } catch { /* the folder gone or unreadable: no guess */ }
  return undefined;
}
