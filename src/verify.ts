/**
 * Integrity checks of record files, by concern: each file on its own
 * (`verify_file.ts`: header, checksums, duplicate RunIDs), K-APPEND-1
 * against git history (`verify_history.ts`, with the byte rules in
 * `append_only.ts`), and the wording of line problems (`messages.ts`).
 *
 * @example
 * ```ts
 * import { verifyHistory, verifyRecordFile } from "./verify.ts";
 * const file = await verifyRecordFile("RunRecords.csv");
 * const history = await verifyHistory("RunRecords.csv", "HEAD~1");
 * if (file.errors > 0 || history.failure) Deno.exitCode = 1;
 * ```
 *
 * @module
 */
export { describeLineProblem } from "./messages.ts";
export {
  type IntegrityCheck,
  type IntegrityProblem,
  type IntegrityResult,
  verifyRecordFile,
} from "./verify_file.ts";
export {
  type HistoryCheck,
  type HistoryFailure,
  type HistoryResult,
  type Rename,
  verifyHistories,
  verifyHistory,
} from "./verify_history.ts";
