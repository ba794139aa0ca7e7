/**
 * Wording shared by the commands that report problems of record files
 * (`validate`, `verify`, `log`).
 *
 * @module
 */

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
  if (!/^(is|has) /.test(problem.message)) return problem.message;
  return `${problem.code === "header" ? "header" : "line"} ${problem.message}`;
}
