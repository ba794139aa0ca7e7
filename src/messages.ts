/**
 * Wording shared by the commands that report problems of record files
 * (`validate`, `verify`, `log`).
 *
 * @module
 */
import { HEADER } from "./schema.ts";
import { checkOptions } from "./argument_kinds.ts";

/**
 * The message of a reader problem as one readable clause: the reader's
 * messages that begin with a verb ("is not the v1.0 header", "is not valid
 * UTF-8") get the subject they lack.
 *
 * @example
 * ```ts
 * import { describeLineProblem } from "@runrec/runrec";
 * describeLineProblem({ code: "header", message: "is not the v1.0 header: \"x\"" });
 * // 'header is not the v1.0 header: "x"'
 * ```
 */
export function describeLineProblem(problem: { code: string; message: string }): string {
  checkOptions("describeLineProblem", "problem", problem, { code: "text", message: "text" }, [
    "code",
    "message",
  ]);
  if (!/^(is|has) /.test(problem.message)) return problem.message;
  return `${problem.code === "header" ? "header" : "line"} ${problem.message}`;
}

/**
 * A line that should be the header, quoted where it departs from it (the
 * columns before are the same, and a long line is cut to one line's worth).
 *
 * @example
 * ```ts
 * import { whereItDiffers } from "./messages.ts";
 * whereItDiffers("SchemaVersion,RunID"); // '"SchemaVersion,RunID"'
 * ```
 */
export function whereItDiffers(line: string): string {
  let at = 0;
  while (at < line.length && line[at] === HEADER[at]) at++;
  if (at < 40) return JSON.stringify(line.slice(0, 60));
  return `${JSON.stringify(`…${line.slice(at - 20, at + 40)}`)} (from character ${at - 19})`;
}

/**
 * Whether a line has a header line's shape (`SchemaVersion,…,RecordChecksum`):
 * one not this version's is another schema version's header.
 *
 * @example
 * ```ts
 * import { isHeaderShaped } from "./messages.ts";
 * isHeaderShaped("SchemaVersion,RunID,Outcome,RecordChecksum"); // true
 * ```
 */
export function isHeaderShaped(line: string): boolean {
  return /^SchemaVersion,.*,RecordChecksum$/.test(line);
}

/**
 * The first few of `items`, then how many more: `a, b, c and 4 more`.
 *
 * @example
 * ```ts
 * import { listed } from "./messages.ts";
 * listed(["a", "b", "c"]); // "a, b and c"
 * listed([1, 2, 3, 4, 5, 6, 7]); // "1, 2, 3, 4, 5 and 2 more"
 * ```
 */
export function listed(items: readonly (string | number)[], shown = 5): string {
  const head = items.slice(0, items.length > shown ? shown : items.length - 1).join(", ");
  const rest = items.length > shown ? `${items.length - shown} more` : String(items.at(-1));
  return items.length === 1 ? String(items[0]) : `${head} and ${rest}`;
}

/**
 * Line numbers as a note says them: `line 3`, `lines 3 and 7`, `lines 3, 7, … and 9 more`.
 *
 * @example
 * ```ts
 * import { lineNumbers } from "./messages.ts";
 * lineNumbers([3, 7]); // "lines 3 and 7"
 * ```
 */
export function lineNumbers(lines: readonly number[]): string {
  return `${lines.length === 1 ? "line" : "lines"} ${listed(lines)}`;
}
