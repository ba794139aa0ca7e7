/**
 * Names near a given one, for "did you mean ...?": the same apart from case,
 * or one or two edits away, counted by the maintained `damerau-levenshtein`
 * package. Its own module, loaded only when a name is not known: the package
 * is CommonJS, which Deno loads through its CommonJS loader: a cost a run of a known
 * agent need not pay (docs/BENCHMARKS.md, stop 25).
 *
 * @module
 */
// The CLI runs with --no-config (no import map): the versions are named here.
// @ts-types="npm:@types/damerau-levenshtein@1.0.2"
// deno-lint-ignore no-import-prefix
import damerauLevenshtein from "npm:damerau-levenshtein@1.0.8";

/**
 * Names alike but for their numbers (`STAGE_1`, `STAGE_2`) or for a short last part after `_`
 * (`DRAFT_EN`, `DRAFT_DE`; `REVIEW_A`, `REVIEW_B`; `STAGE_1`, `STAGE_1A`) are agents of one series,
 * not misspellings of each other; the same numbers written apart (`DEL-01-2`, `DEL-01-02`) are not.
 */
function oneSeries(a: string, b: string): boolean {
  const numbersOut = (n: string) => n.replace(/\d+/g, "#");
  const numbers = (n: string) => (n.match(/\d+/g) ?? []).map(Number).join(",");
  if (numbersOut(a) === numbersOut(b)) return numbers(a) !== numbers(b);
  const cutA = a.lastIndexOf("_");
  const cutB = b.lastIndexOf("_");
  return cutA > 0 && a.slice(0, cutA) === b.slice(0, cutB) &&
    a.length - cutA <= 4 && b.length - cutB <= 4;
}

/**
 * The names of `known` closest to `name`, ignoring case, when any is close:
 * the same apart from case, or one or two edits away (one for names of up to
 * five characters, where two edits make another word), but never one of the
 * same series: alike but for numbers of other values (`STAGE_2` and `STAGE_1`,
 * `5_DOCUMENTS` and `4_DOCUMENTS`) or a last part of up to three characters (`DRAFT_DE` and
 * `DRAFT_EN`). Empty when none is.
 *
 * @example
 * ```ts
 * import { closestNames } from "./near_names.ts";
 * closestNames("chirality_lens", ["CHIRALITY_LENS", "4_DOCUMENTS"]); // ["CHIRALITY_LENS"]
 * closestNames("QA", ["PM", "4_DOCUMENTS"]); // []
 * closestNames("STAGE_2", ["STAGE_1"]); // []
 * closestNames("DRAFT_DE", ["DRAFT_EN"]); // []
 * closestNames("DEL-01-2_Flow", ["DEL-01-02_Flow"]); // ["DEL-01-02_Flow"]
 * ```
 */
export function closestNames(name: string, known: readonly string[]): string[] {
  const wanted = name.toUpperCase();
  let best = Infinity;
  let found: string[] = [];
  for (const candidate of new Set(known)) {
    if (candidate === name) continue;
    if (oneSeries(candidate.toUpperCase(), wanted) && candidate.toUpperCase() !== wanted) continue;
    // No closer than their lengths differ; and the package's table grows with the longer name
    // squared (a 100 KB path given as an --input would take gigabytes).
    if (Math.abs(candidate.length - wanted.length) > 2) continue;
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

/**
 * The edits between `a` and `b`, as {@linkcode closestNames} counts them (a character inserted,
 * removed or replaced, or two neighbours swapped: one each), for a caller with its own limit.
 *
 * @example
 * ```ts
 * import { editsBetween } from "./near_names.ts";
 * editsBetween("RUN-DEL-01-02-20260222-1015-01", "RUN-DEL-01-02-20260222-1015-001"); // 1
 * ```
 */
export function editsBetween(a: string, b: string): number {
  return damerauLevenshtein(a, b).steps;
}
