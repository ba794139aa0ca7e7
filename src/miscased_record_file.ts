/**
 * The one rule for a file named `RunRecords.csv` in other case
 * (`runrecords.csv`), for its readers and its writers alike.
 *
 * @module
 */
import { RECORD_FILE } from "./store.ts";

/**
 * Why a file named `RunRecords.csv` in other case is not read: on a file
 * system that tells case apart (Linux, a CI runner) it is another file,
 * which runrec neither reads nor writes; on one that does not (macOS,
 * Windows) runrec reads and appends to it. Its records are then checked on one
 * machine and unseen on the other, so `validate` and `verify` in CI would
 * pass whatever it holds.
 *
 * @example
 * ```ts
 * import { MISCASED_RECORD_FILE } from "./miscased_record_file.ts";
 * console.error(`DEL-01-02_X/runrecords.csv: cannot read: ${MISCASED_RECORD_FILE}`);
 * ```
 */
export const MISCASED_RECORD_FILE = `is named ${RECORD_FILE} in other case: where case counts ` +
  `(Linux, CI) runrec neither reads nor writes it, so its records go unchecked; rename it ` +
  `${RECORD_FILE} (git mv)`;

/**
 * Whether `name` is `RunRecords.csv` in other case (`runrecords.csv`,
 * `RUNRECORDS.CSV`), not the name itself.
 *
 * @example
 * ```ts
 * import { isMiscasedRecordFile } from "./miscased_record_file.ts";
 * isMiscasedRecordFile("runrecords.csv"); // true
 * isMiscasedRecordFile("RunRecords.csv"); // false
 * ```
 */
export function isMiscasedRecordFile(name: string): boolean {
  return name !== RECORD_FILE && name.toLowerCase() === RECORD_FILE.toLowerCase();
}

/**
 * Of a folder's entry `names`, those that are `RunRecords.csv` in other case, sorted.
 *
 * @example
 * ```ts
 * import { miscasedRecordFiles } from "./miscased_record_file.ts";
 * miscasedRecordFiles(["_STATUS.md", "runrecords.csv"]); // ["runrecords.csv"]
 * ```
 */
export function miscasedRecordFiles(names: Iterable<string>): string[] {
  return [...names].filter(isMiscasedRecordFile).sort();
}

/**
 * A warning for each `RunRecords.csv` in other case among `names`, the
 * entries of the deliverable folder a command records in.
 *
 * @example
 * ```ts
 * import { miscasedWarnings } from "./miscased_record_file.ts";
 * miscasedWarnings(["_STATUS.md", "runrecords.csv"]); // ["runrecords.csv in this folder is …"]
 * ```
 */
export function miscasedWarnings(names: Iterable<string>): string[] {
  return miscasedRecordFiles(names).map((name) =>
    `${name} in this folder is ${RECORD_FILE} in other case: runrec appends to it only where ` +
    `case does not count (macOS, Windows); elsewhere (Linux, CI) it writes ${RECORD_FILE} ` +
    `beside it, and reads and checks only that: rename it ${RECORD_FILE} (git mv), joining ` +
    "the two files' record lines if both are there"
  );
}
