/**
 * Whether the records of a deleted record file are still held by another:
 * a snapshot copy in a tool root (`_Reconciliation/`, `_Archive/`) deleted
 * loses nothing while the live file holds every line of it; a retired
 * deliverable's file deleted with its folder loses its records.
 *
 * @module
 */
import { runGit } from "./git.ts";
import { join } from "./path.ts";
import { regularFileBytes } from "./record_candidates.ts";
import { runIdOfLine } from "./record_lines.ts";
import { RECORD_FILE } from "./deliverable.ts";

/** The lines of `bytes`, each without a CR at its end. */
function linesOf(bytes: Uint8Array): string[] {
  return new TextDecoder().decode(bytes).split("\n")
    .map((line) => line.endsWith("\r") ? line.slice(0, -1) : line);
}

/**
 * For each entry of `lost` (the versions of one deleted record file), the
 * RunID of its first record that no record file git's index holds has, in
 * the working tree, byte for byte; `undefined` when every record is held.
 * The record files are read only when there is a record to look for.
 *
 * @example
 * ```ts
 * import { recordsNotHeld } from "./records_elsewhere.ts";
 * const snapshot = new TextEncoder().encode("h\nv1.0,RUN-DEL-01-03-20261001-0001-001,DEL-01-03\n");
 * const [missing] = await recordsNotHeld([[snapshot]], ".");
 * console.log(missing ?? "every record is in a record file left");
 * ```
 */
export async function recordsNotHeld(
  lost: Uint8Array[][],
  top: string,
): Promise<(string | undefined)[]> {
  const records = lost.map((versions) =>
    versions.flatMap((bytes) =>
      linesOf(bytes).slice(1).filter((line) => runIdOfLine(line) !== undefined)
    )
  );
  if (records.every((lines) => lines.length === 0)) return records.map(() => undefined);
  const held = new Set<string>();
  for (const path of await indexedRecordFiles(top)) {
    const bytes = await regularFileBytes(join(top, ...path.split("/")));
    if (bytes) { for (const line of linesOf(bytes)) held.add(line); }
  }
  return records.map((lines) => {
    const missing = lines.find((line) => !held.has(line));
    return missing === undefined ? undefined : runIdOfLine(missing);
  });
}

/** The record files git's index holds (HEAD's, and those added since), paths from the top. */
async function indexedRecordFiles(top: string): Promise<string[]> {
  const { code, stdout, stderr } = await runGit(
    ["ls-files", "--cached", "-z", "--", `:(top,glob)**/${RECORD_FILE}`],
    top,
  );
  if (code !== 0) throw new Error(`git ls-files failed: ${stderr.split("\n")[0]}`);
  return new TextDecoder().decode(stdout).split("\0").filter((path) => path !== "");
}
