/**
 * The one rule for a record file that is a symbolic link, for its readers
 * and its writers alike.
 *
 * @module
 */
/**
 * Why a record file that is a symbolic link is neither read nor written: it
 * would take records (or a secret's lines) from, or send them to, anywhere.
 *
 * @example
 * ```ts
 * import { LINKED_RECORD_FILE } from "./linked_record_file.ts";
 * console.error(`DEL-01-02_X/RunRecords.csv: ${LINKED_RECORD_FILE}`);
 * ```
 */
export const LINKED_RECORD_FILE =
  "is a symbolic link; runrec reads and writes only a regular file in the deliverable folder";
