/**
 * Which fields of a record an edit changed: `verify` names them beside the line, so a reviewer
 * reads "RunStatus" where the byte offset alone said only that something differs. Columns are
 * named by the header line in force above the record, so a column a newer version added is named
 * too.
 *
 * @module
 */
import { splitCells } from "./codec.ts";
import { isHeaderShaped } from "./messages.ts";

/** More names than these after a line are counted, not listed: a pasted line may hold 1,000. */
const SHOWN = 5;

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
 * The header line in force at `lines[at]` (lines of a record file, one char per byte): the nearest
 * header line above it, as a writer of another version appends its own (SCHEMA.md 11.3), else the
 * first line.
 *
 * @example
 * ```ts
 * import { headerAt } from "./changed_fields.ts";
 * headerAt(["SchemaVersion,A,RecordChecksum", "v1.0,a,1", "SchemaVersion,A,B,RecordChecksum", "v1.1,a,b,2"], 3);
 * // "SchemaVersion,A,B,RecordChecksum"
 * ```
 */
export function headerAt(lines: readonly string[], at: number): string {
  for (let i = Math.min(at, lines.length) - 1; i > 0; i--) {
    if (isHeaderShaped(lines[i].replace(/\r$/, ""))) return lines[i];
  }
  return lines[0] ?? "";
}

/**
 * The cells of `line` by the column names of `header`. `column N` for a cell past the header's
 * names, or whose name is no column name (a hostile header's control bytes never reach a CI log)
 * or one an earlier column has. A line of more cells than a runrec header names (an additive
 * version's record under an older header, after a merge) ends with its RecordChecksum all the same
 * (SCHEMA.md 11.1):
 * its added cells are named by number, not by the older header's last name.
 */
function namedCells(header: string, line: string): Map<string, string> | undefined {
  try {
    const shown = header.replace(/\r$/, "");
    const names = splitCells(shown);
    const cells = splitCells(line.replace(/\r$/, ""));
    const longer = cells.length > names.length && isHeaderShaped(shown);
    const nameOf = (i: number) => {
      if (longer && i === cells.length - 1) return "RecordChecksum";
      const name = longer && i >= names.length - 1 ? "" : names[i] ?? "";
      return /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name) && names.indexOf(name) === i
        ? name
        : `column ${i + 1}`;
    };
    return new Map(cells.map((cell, i) => [nameOf(i), cell]));
  } catch {
    return undefined;
  }
}

/**
 * The words that name `fields` after a line's message: `, field RunStatus`, `, fields A, B`, or
 * `""` for none; past five, how many more.
 *
 * @example
 * ```ts
 * import { fieldWords } from "./changed_fields.ts";
 * fieldWords(["RunStatus", "Notes"]); // ", fields RunStatus, Notes"
 * ```
 */
export function fieldWords(fields: readonly string[]): string {
  if (fields.length === 0) return "";
  const more = fields.length > SHOWN ? ` and ${fields.length - SHOWN} more` : "";
  return `, field${fields.length === 1 ? "" : "s"} ${fields.slice(0, SHOWN).join(", ")}${more}`;
}
