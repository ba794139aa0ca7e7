/**
 * Which fields of a record an edit changed: `verify` names them beside the line, so a reviewer
 * reads "RunStatus" where the byte offset alone said only that something differs. Columns are
 * named by each version's own header, so a column a newer version added is named too.
 *
 * @module
 */
import { splitCells } from "./codec.ts";

/**
 * The names of the columns whose cells differ between `was` (a line of the version whose first
 * line is `wasHeader`) and `now` (likewise), in the earlier header's order; RecordChecksum only
 * when nothing else differs (every edit changes it, or leaves it wrong). Lines are one char per
 * byte, as history reads them; `[]` when either line cannot be split into cells.
 *
 * @example
 * ```ts
 * import { changedFields } from "./changed_fields.ts";
 * const header = "RunID,RunStatus,RecordChecksum";
 * changedFields(header, "R1,FAILED,aa", header, "R1,SUCCESS,bb"); // ["RunStatus"]
 * ```
 */
export function changedFields(
  wasHeader: string,
  was: string,
  nowHeader: string,
  now: string,
): string[] {
  const before = namedCells(wasHeader, was);
  const after = namedCells(nowHeader, now);
  if (before === undefined || after === undefined) return [];
  const names = [...new Set([...before.keys(), ...after.keys()])];
  const changed = names.filter((name) => before.get(name) !== after.get(name));
  const fields = changed.filter((name) => name !== "RecordChecksum");
  return fields.length > 0 ? fields : changed;
}

/**
 * The cells of `line` by the column names of `header`: `column N` past its end, or for a name
 * that is no column name (a hostile header's control bytes never reach a CI log).
 */
function namedCells(header: string, line: string): Map<string, string> | undefined {
  try {
    const names = splitCells(header.replace(/\r$/, ""));
    const cells = splitCells(line.replace(/\r$/, ""));
    const nameOf = (i: number) =>
      /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(names[i] ?? "") ? names[i] : `column ${i + 1}`;
    return new Map(cells.map((cell, i) => [nameOf(i), cell]));
  } catch {
    return undefined;
  }
}

/**
 * The words that name `fields` after a line's message: `, field RunStatus`, `, fields A, B`, or
 * `""` for none.
 *
 * @example
 * ```ts
 * import { fieldWords } from "./changed_fields.ts";
 * fieldWords(["RunStatus", "Notes"]); // ", fields RunStatus, Notes"
 * ```
 */
export function fieldWords(fields: readonly string[]): string {
  if (fields.length === 0) return "";
  return `, field${fields.length === 1 ? "" : "s"} ${fields.join(", ")}`;
}
