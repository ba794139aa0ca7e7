/**
 * A word given where a RunID goes that is not one, said as what it most
 * likely was: a RunID with a space or in lower case, one cut before its SEQ,
 * or a run token. "is not a RunID" alone left the agent to find the
 * difference.
 *
 * @module
 */
import { RUN_ID_SYNTAX } from "../schema.ts";

/**
 * The line for `given`, which is not a RunID, after `option` (`"--supersedes: "`, or `""` for a
 * positional): the syntax, and what it was likely meant as when that can be told.
 *
 * @example
 * ```ts
 * import { notARunId } from "./run_id_words.ts";
 * notARunId("", "run-del-01-02-20260222-1015-001");
 * // '"run-del-01-02-20260222-1015-001" is not a RunID (…): did you mean RUN-DEL-01-02-20260222-1015-001?'
 * notARunId("", "RUN-DEL-01-02-20260222-1015"); // '… is not a RunID (…): it lacks its -SEQ …'
 * ```
 */
export function notARunId(option: string, given: string): string {
  const said = `${option}${JSON.stringify(given)} is not a RunID (RUN-DEL-XX-YY-YYYYMMDD-HHmm-SEQ)`;
  const fixed = given.trim().toUpperCase();
  if (RUN_ID_SYNTAX.test(fixed)) {
    return `${said}: did you mean ${fixed}${
      fixed === given.trim() ? " (no spaces around it)" : ""
    }?`;
  }
  if (RUN_ID_SYNTAX.test(`${fixed}-001`)) {
    return `${said}: it lacks its -SEQ (${fixed}-001 is that minute's first run; ` +
      "runrec log lists the RunIDs)";
  }
  // The token start printed is the pending run's, not the record's: finish printed the RunID.
  if (/(?:^|\/)\.runrec\/pending\//.test(given)) {
    return `${said}: that is a run token; the RunID is the line runrec finish printed ` +
      "(runrec log lists them)";
  }
  return said;
}
