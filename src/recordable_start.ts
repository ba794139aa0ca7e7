/**
 * A start whose record could never be written: its inputs alone take the
 * record's line past its limit, so the finish, after the run's work, would
 * refuse the record and drop the run (inputs-41 F2).
 *
 * @module
 */
import { encodeField } from "./codec.ts";
import { InputError } from "./errors.ts";
import type { RunStartState } from "./hook.ts";
import { FIELDS, LINE_LIMIT_BYTES } from "./schema.ts";

const encoder = new TextEncoder();

/**
 * The bytes of the record's line that `start`'s inputs take, InputFiles and
 * InputHashes: no more than the whole line, whatever the run's end adds.
 */
function inputBytes(start: Pick<RunStartState, "inputFiles" | "inputHashes">): number {
  const cell = (name: string, value: unknown) =>
    encoder.encode(encodeField(FIELDS.find((f) => f.name === name)!, value)).length;
  return cell("InputFiles", start.inputFiles) + cell("InputHashes", start.inputHashes);
}

/**
 * Throws an `InputError` naming `file` (the run's RunRecords.csv) when
 * `start`'s inputs alone take more than a record's line holds (SCHEMA.md
 * 6.5): said before the run is kept, and before `exec` runs its command.
 *
 * @example
 * ```ts
 * import { refuseUnrecordableStart } from "./recordable_start.ts";
 * refuseUnrecordableStart("D/RunRecords.csv", { inputFiles: [], inputHashes: {} }); // fits
 * ```
 */
export function refuseUnrecordableStart(
  file: string,
  start: Pick<RunStartState, "inputFiles" | "inputHashes">,
): void {
  const bytes = inputBytes(start);
  if (bytes <= LINE_LIMIT_BYTES) return;
  throw new InputError(
    `${file}: run not started: its inputs alone take ${bytes} bytes of its record's line, more ` +
      `than the limit of ${LINE_LIMIT_BYTES} (16 MiB, SCHEMA.md 6.5): ` +
      `${start.inputFiles.length} input files are more than one record holds`,
  );
}
