/**
 * A path given from the current folder where runrec takes it from the
 * deliverable folder (`emit $P --output $P/Spec.md`, run from the execution
 * root): not found there, while the file meant is there all the same.
 *
 * @module
 */
import { isThere } from "./lookups.ts";
import { isAbsolute, isAtOrBeneath, relative, resolve } from "./path.ts";

/**
 * The path from `delDir` (absolute) of the file `given` names from the
 * current folder, when `given` is relative, names nothing from `delDir`,
 * and names something beneath `delDir` from the current folder; else
 * `undefined`.
 *
 * @example
 * ```ts
 * import { meantPath } from "./meant_path.ts";
 * // In /p, with /p/DEL-01-02_X/Spec.md there and no /p/DEL-01-02_X/DEL-01-02_X/Spec.md:
 * meantPath("/p/DEL-01-02_X", "DEL-01-02_X/Spec.md"); // "Spec.md"
 * ```
 */
export function meantPath(delDir: string, given: string): string | undefined {
  if (isAbsolute(given)) return undefined;
  try {
    const fromHere = resolve(Deno.cwd(), given);
    if (fromHere === delDir || !isAtOrBeneath(fromHere, delDir)) return undefined;
    if (isThere(resolve(delDir, given)) || !isThere(fromHere)) return undefined;
    return relative(delDir, fromHere);
  } catch {
    return undefined; // no current folder (removed), or none runrec may read: no guess
  }
}

/**
 * What a note adds for a path not found from `delDir`: why, and the path
 * meant ({@linkcode meantPath}), or `""`.
 *
 * @example
 * ```ts
 * import { meantPathHint } from "./meant_path.ts";
 * meantPathHint("/p/DEL-01-02_X", "DEL-01-02_X/Spec.md");
 * // " (paths are relative to <del-dir>: did you mean Spec.md?)"
 * ```
 */
export function meantPathHint(delDir: string, given: string): string {
  const meant = meantPath(delDir, given);
  return meant === undefined ? "" : ` (paths are relative to <del-dir>: did you mean ${meant}?)`;
}
