/**
 * Names near a given one, for "did you mean ...?": the same apart from case,
 * or one or two edits away, counted by the maintained `damerau-levenshtein`
 * package. Its own module, loaded only when a name is not known: the package
 * is CommonJS, which costs a run from source ~7 ms to load.
 *
 * @module
 */
// The CLI runs with --no-config (no import map): the versions are named here.
// @ts-types="npm:@types/damerau-levenshtein@1.0.2"
// deno-lint-ignore no-import-prefix
import damerauLevenshtein from "npm:damerau-levenshtein@1.0.8";

/**
 * The names of `known` closest to `name`, ignoring case, when any is close:
 * the same apart from case, or one or two edits away (one for names of up to
 * five characters, where two edits make another word), but never one that
 * differs only in its numbers (`STAGE_2` and `STAGE_1`, `5_DOCUMENTS` and
 * `4_DOCUMENTS`: a series). Empty when none is.
 *
 * @example
 * ```ts
 * import { closestNames } from "./near_names.ts";
 * closestNames("chirality_lens", ["CHIRALITY_LENS", "4_DOCUMENTS"]); // ["CHIRALITY_LENS"]
 * closestNames("QA", ["PM", "4_DOCUMENTS"]); // []
 * closestNames("STAGE_2", ["STAGE_1"]); // []
 * ```
 */
export function closestNames(name: string, known: readonly string[]): string[] {
  const wanted = name.toUpperCase();
  let best = Infinity;
  let found: string[] = [];
  // Names alike but for their numbers are agents of a series, not misspellings of each other.
  const series = (n: string) => n.toUpperCase().replace(/\d+/g, "#");
  for (const candidate of new Set(known)) {
    if (candidate === name) continue;
    if (series(candidate) === series(name) && candidate.toUpperCase() !== wanted) continue;
    // Optimal string alignment: a character inserted, removed or replaced, or two neighbours
    // swapped, is one edit (`LENZ` → `LENS` 1, `LNES` → `LENS` 1).
    const edits = damerauLevenshtein(wanted, candidate.toUpperCase()).steps;
    const limit = Math.max(wanted.length, candidate.length) <= 5 ? 1 : 2;
    if (edits > limit || edits > best) continue;
    if (edits < best) [best, found] = [edits, []];
    found.push(candidate);
  }
  return found.sort();
}
