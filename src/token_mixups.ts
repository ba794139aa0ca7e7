/**
 * What an agent gives `runrec finish` in place of its token, said in one
 * line: start's stderr lines with the token (an agent harness capturing
 * `start 2>&1`), start's `--json` document, or a RunID. Taken for a folder,
 * each was "no such folder".
 *
 * @module
 */
import { findExecutionRoot, isExecutionRoot, RECORD_FILE } from "./deliverable.ts";
import { InputError } from "./errors.ts";
import { join, relative } from "./path.ts";
import { listPendingRuns, parseToken, REAPED_ERROR } from "./pending.ts";
import { recordOfRunId } from "./recorded_runs.ts";
import { RUN_ID_SYNTAX } from "./schema.ts";
import { pathArgument } from "./shell_word.ts";
import { deliverableFolders, SILENT_SEARCH } from "./targets.ts";

const STDOUT_LINE = "the token is the one line runrec start printed on stdout";

/**
 * Throws {@linkcode InputError} when `given`, finish's `<token>`, is start's
 * `--json` document (its `token` field is named), holds more than one line
 * (start's stderr with its token: the token line is named), is one of
 * runrec's stderr lines, or is a RunID that names no path here (where that
 * run is recorded is said, and `agent`'s runs pending in its folder).
 */
export async function refuseMistakenToken(given: string, agent?: string): Promise<void> {
  const document = startJsonToken(given);
  if (document !== undefined) {
    throw new InputError(
      `<token>: runrec start --json's whole document, not its token: give finish its "token" ` +
        `field: ${document}`,
    );
  }
  const lines = given.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "");
  if (lines.length > 1) {
    const token = lines.find(isToken);
    const what = lines.some((line) => line.startsWith("runrec"))
      ? "runrec's stderr lines"
      : `${lines.length} lines`;
    throw new InputError(
      `<token>: not a run token: it holds ${what}; ${STDOUT_LINE}${token ? `: ${token}` : ""}`,
    );
  }
  const runId = given.trim();
  if (/^runrec[ :]/.test(runId) && !namesPath(runId)) {
    throw new InputError(`${runId}: not a run token: a line of runrec's stderr; ${STDOUT_LINE}`);
  }
  if (!RUN_ID_SYNTAX.test(runId) || namesPath(runId)) return;
  throw new InputError(`${runId}: a RunID, not a run token: ${await whereRecorded(runId, agent)}`);
}

/** The `token` of `runrec start --json`'s document when `given` is that document, else `undefined`. */
function startJsonToken(given: string): string | undefined {
  if (!given.trimStart().startsWith("{")) return undefined;
  try {
    const document = JSON.parse(given);
    return typeof document?.token === "string" ? document.token : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Throws {@linkcode InputError} when finish's arguments are a token split at
 * its spaces (`runrec finish $TOKEN` unquoted, a folder's name holding a
 * space): the last of them ends as a token does, and without the quotes it
 * was "unexpected argument", which did not say what to do. Split means the
 * words joined name a token's folder; a whole token after a folder
 * (`finish . "$TOKEN"`) is refused as that, with the forms that work.
 *
 * @example
 * ```ts
 * import { refuseSplitToken } from "./token_mixups.ts";
 * refuseSplitToken(["/p/DEL-01-02_X"]); // returns: one argument, no --run
 * // refuseSplitToken(["/p/DEL-01-02_My", "Pump/.runrec/pending/20260222T101500123Z-1a2b3c4d.json"])
 * // throws: <token>: split at its spaces into 2 arguments ...: quote it
 * ```
 */
export function refuseSplitToken(given: readonly string[], run?: string): void {
  // `--run $TOKEN` split: its first word is the option's value, the others follow <del-dir>.
  const words = run === undefined ? given : [run, ...given.slice(1)];
  const last = words.at(-1);
  if (words.length < 2 || last === undefined || !isToken(last)) return;
  // Split only when the words joined name a token's folder: a whole token after a folder
  // (`finish . "$TOKEN"`) is two things given where one is wanted, and quoting is no remedy.
  // (A folder name with two spaces in a row joins to no folder: split all the same, when the last
  // word alone names no folder here either.)
  if (!namesTokenFolder(words.join(" ")) && namesTokenFolder(last)) {
    if (run !== undefined || words.length !== 2 || isToken(words[0])) return;
    throw new InputError(
      `<token>: given after the folder ${JSON.stringify(words[0])}: the token names its ` +
        `folder itself: runrec finish "$TOKEN" --status S (or runrec finish <del-dir> --run ` +
        `"$TOKEN" --status S)`,
    );
  }
  const [option, example] = run === undefined
    ? ["<token>", `runrec finish "$TOKEN"`]
    : ["--run", `runrec finish <del-dir> --run "$TOKEN"`];
  throw new InputError(
    `${option}: split at its spaces into ${words.length} arguments (${
      words.map((word) => JSON.stringify(word)).join(" ")
    }): quote it, as in ${example} --status S`,
  );
}

/** Whether `path` names something here (a folder named as a RunID is a folder). */
function namesPath(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether `token` is a token as start prints it whose deliverable folder is there. */
function namesTokenFolder(token: string): boolean {
  try {
    const parsed = parseToken(token);
    return parsed !== undefined && namesPath(parsed.delDir);
  } catch {
    return false;
  }
}

/** Whether `line` is a token as start prints it (a pending run's path). */
function isToken(line: string): boolean {
  try {
    return parseToken(line) !== undefined;
  } catch {
    return false;
  }
}

/**
 * Where the run `runId` is recorded in the current folder's execution root and what to do: nothing, or
 * finish the FAILED record reap wrote; `agent`'s runs pending in that folder are named.
 */
async function whereRecorded(runId: string, agent?: string): Promise<string> {
  const id = runId.split("-").slice(1, 4).join("-"); // DEL-XX-YY
  let folders: string[] = [];
  try {
    // The execution root the current folder is in (or is): from `/` the search would take ages.
    const here = Deno.cwd();
    const root = isExecutionRoot(here) ? here : findExecutionRoot(here);
    folders = root === undefined
      ? []
      : deliverableFolders(root, SILENT_SEARCH).filter((dir) =>
        dir.split("/").at(-1)!.startsWith(id)
      );
  } catch { /* not a folder to search: said as not found */ }
  for (const folder of folders) {
    const record = await recordOfRunId(folder, runId);
    if (!record) continue;
    const file = relative(".", join(folder, RECORD_FILE));
    if (record.ErrorSummary === REAPED_ERROR) {
      return `reap wrote that run as FAILED in ${file}; its agent's outcome: runrec finish ` +
        `${pathArgument(relative(".", folder) || ".")} --run ${runId} --status S ...`;
    }
    return `recorded already in ${file} (${record.AgentName}, ${record.RunStatus}); nothing ` +
      `written${pendingOf(folder, agent)}`;
  }
  return `no record of it here; ${STDOUT_LINE} (<del-dir>/.runrec/pending/<id>.json); a run ` +
    `reap wrote as FAILED: runrec finish <del-dir> --run ${runId} --status S ...`;
}

/** `agent`'s runs pending in `folder`, each with its token, as a clause; else `""`. */
function pendingOf(folder: string, agent?: string): string {
  const runs = listPendingRuns(folder).filter((item) =>
    item.run && !item.claimedBy && (agent === undefined || item.run.agent === agent)
  );
  if (runs.length === 0) return "";
  const each = runs.map((item) =>
    `${item.run!.agent} since ${item.run!.start.started}: runrec finish ${
      pathArgument(item.path)
    } ` +
    "--status S ..."
  );
  return `; pending there: ${each.join("; ")}`;
}
