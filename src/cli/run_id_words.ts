/**
 * A word given where a RunID goes that is not one, said as what it most
 * likely was: a RunID with a space or in lower case, one cut before its SEQ,
 * or a run token. "is not a RunID" alone left the agent to find the
 * difference.
 *
 * @module
 */
import { RUN_ID_SYNTAX, type RunRecord } from "../schema.ts";
import { readRecords } from "../reader.ts";
import { join, relative, resolve } from "../path.ts";
import { deliverableOfRunId, foldersOfDeliverable } from "../run_id_home.ts";
import { pathArgument } from "../shell_word.ts";
import { RECORD_FILE } from "../deliverable.ts";
import { UsageError } from "./command.ts";

/**
 * The line for `given`, which is not a RunID, after `option` (`"--supersedes: "`, or `""` for a
 * positional): the syntax, and what it was likely meant as when that can be told; else the
 * recorded RunIDs `near` it ({@linkcode nearRunIds}).
 *
 * @example
 * ```ts
 * import { notARunId } from "./run_id_words.ts";
 * notARunId("", "run-del-01-02-20260222-1015-001");
 * // '"run-del-01-02-20260222-1015-001" is not a RunID (…): did you mean RUN-DEL-01-02-20260222-1015-001?'
 * notARunId("", "RUN-DEL-01-02-20260222-1015"); // '… is not a RunID (…): it lacks its -SEQ …'
 * notARunId("", "RUN-DEL-01-02-20260222-1015-1"); // '…: did you mean RUN-…-001 (its SEQ has 3 digits or more)?'
 * notARunId("", "'RUN-DEL-01-02-20260222-1015-001'"); // '…: did you mean RUN-…-001 (without the quotes around it)?'
 * ```
 */
export function notARunId(option: string, given: string, near: readonly string[] = []): string {
  const said = `${option}${JSON.stringify(given)} is not a RunID (RUN-DEL-XX-YY-YYYYMMDD-HHmm-SEQ)`;
  // Quotes pasted with it (`'RUN-…'` inside "…") reach runrec as part of the word.
  const unquoted = given.trim().replace(/^(["'`])(.*)\1$/s, "$2").trim();
  const fixed = unquoted.toUpperCase();
  if (RUN_ID_SYNTAX.test(fixed)) {
    const why = unquoted !== given.trim()
      ? " (without the quotes around it)"
      : fixed === given.trim()
      ? " (no spaces around it)"
      : "";
    return `${said}: did you mean ${fixed}${why}?`;
  }
  // A SEQ written as a number (`-1`, a script's counter): the RunID pads it to 3 digits. Not a
  // SEQ of 0 (none is given), nor where recorded RunIDs near it are not that one (a digit lost).
  const padded = fixed.replace(/-([0-9]{1,2})$/, (_, seq: string) => `-${seq.padStart(3, "0")}`);
  if (
    padded !== fixed && RUN_ID_SYNTAX.test(padded) && !padded.endsWith("-000") &&
    (near.length === 0 || near.includes(padded))
  ) {
    return `${said}: did you mean ${padded} (its SEQ has 3 digits or more)?`;
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
  return near.length > 0 ? `${said}: did you mean ${oneOf(near)}?` : said;
}

/**
 * ` (did you mean A, B or C?)` for the RunIDs `near` one not found, `""` for none.
 *
 * @example
 * ```ts
 * import { meantRunIds } from "./run_id_words.ts";
 * meantRunIds(["RUN-DEL-01-02-20260222-1015-001"]); // " (did you mean RUN-…-001?)"
 * ```
 */
export function meantRunIds(near: readonly string[]): string {
  return near.length > 0 ? ` (did you mean ${oneOf(near)}?)` : "";
}

/** `a`, `a or b`, `a, b or c`. */
function oneOf(words: readonly string[]): string {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}

/**
 * The RunIDs recorded in `target` (a record file, or the deliverable folder holding one) one
 * edit from `given` (a digit wrong, dropped, added, or two swapped, as a RunID pasted or typed
 * wrong is; two would name another day's runs), at most 3; `[]` when none is, or the file cannot
 * be read. Read only once a RunID is not found: a failure's cost. `fits` leaves out records the
 * command cannot take (annotate: an annotation, or the run itself as the one it supersedes).
 *
 * @example
 * ```ts
 * import { nearRunIds } from "./run_id_words.ts";
 * // A folder whose RunRecords.csv holds RUN-DEL-01-02-20260222-1015-001:
 * await nearRunIds("DEL-01-02_X", "RUN-DEL-01-02-20260222-1015-01");
 * // ["RUN-DEL-01-02-20260222-1015-001"]
 * ```
 */
export async function nearRunIds(
  target: string,
  given: string,
  fits: (record: RunRecord) => boolean = () => true,
): Promise<string[]> {
  const wanted = given.trim().toUpperCase();
  const found = new Set<string>();
  try {
    const { editsBetween } = await import("../near_names.ts");
    const file = Deno.statSync(target).isDirectory ? join(target, RECORD_FILE) : target;
    for await (const event of readRecords(file)) {
      if (event.kind !== "record") continue;
      const id = event.record.RunID;
      if (id === wanted || Math.abs(id.length - wanted.length) > 1 || !fits(event.record)) continue;
      if (editsBetween(wanted, id) === 1) found.add(id);
    }
  } catch {
    return []; // no record file, or one that cannot be read: the caller says so
  }
  return [...found.keys()].slice(0, 3);
}

/**
 * The line for `runrec <command> RUNID …`, its `<del-dir>` left out (an agent in the deliverable
 * folder: "missing <RUNID>" named the word that was there) or given after the RunID (`swapped`,
 * the folder given: "is not a RunID" named the folder). Says the folder comes first, and the
 * command in that order: with the folder given, or the one folder of the project holding the run.
 */
function folderLeftOut(command: string, runId: string, swapped?: string): string {
  const id = deliverableOfRunId(runId);
  const folders = swapped !== undefined || id === undefined ? [] : foldersOfDeliverable(".", id);
  const folder = swapped ??
    (folders.length === 1 ? relative(Deno.cwd(), resolve(folders[0])) || "." : "");
  const words = `runrec ${command} ${folder === "" ? "<del-dir>" : pathArgument(folder)} ${runId}`;
  return `${swapped === undefined ? "missing <del-dir>: it" : "<del-dir>"} comes before the ` +
    `RunID (${words} ...${folder === "" ? "; . is the current folder" : ""})`;
}

/**
 * Throws {@linkcode folderLeftOut}'s line as a usage error when `positionals` start with a RunID
 * and hold no folder before it (`runrec show RUN-…` from the deliverable folder, or
 * `RUN-… .`): the folder comes first.
 *
 * @example
 * ```ts
 * import { refuseRunIdFirst } from "./run_id_words.ts";
 * refuseRunIdFirst("show", [".", "RUN-DEL-01-02-20260222-1015-001"]); // returns: in order
 * ```
 */
export function refuseRunIdFirst(command: string, positionals: readonly string[]): void {
  const [first, ...others] = positionals;
  const isRunId = (word = "") => RUN_ID_SYNTAX.test(word.trim().toUpperCase());
  if (isRunId(first) && others.length <= 1 && !isRunId(others[0])) {
    throw new UsageError(folderLeftOut(command, first.trim().toUpperCase(), others[0]));
  }
}
