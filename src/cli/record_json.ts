/**
 * The JSON object of one run record, as `log` and `show` print it: its
 * columns, the cells a newer additive version adds (under the names of its
 * header line, SCHEMA.md 11.4), and what annotations say about the run, so
 * that an agent reading JSON can tell an invalidated or superseded run.
 *
 * @module
 */
import type { Annotation } from "../annotations.ts";
import { readAddedCell } from "../codec.ts";
import type { LineRecord } from "../reader.ts";
import { relative } from "../path.ts";
import { COLUMNS, type RunRecord } from "../schema.ts";

/** The keys runrec adds after the columns; lowerCamelCase, so no column can take them. */
const MARK_KEYS = ["invalidatedBy", "supersededBy", "annotations", "recordFile", "line"];

/**
 * The cells a record of a newer additive version adds, by the names its
 * header line gives them (`event.header`), decoded. A cell no header line
 * names (a header with another number of columns, or none) goes by its
 * position in the line: `column21` for the first, the 21st cell.
 *
 * @example
 * ```ts
 * import { extraFields } from "./record_json.ts";
 * import { HEADER } from "../schema.ts";
 * const header = HEADER.replace(",RecordChecksum", ",ReviewedBy,RecordChecksum");
 * extraFields({ unknownCells: ['"Zoë, QA"'], header }); // [["ReviewedBy", "Zoë, QA"]]
 * ```
 */
export function extraFields(
  event: Pick<LineRecord, "unknownCells" | "header">,
): [string, string][] {
  const cells = event.unknownCells ?? [];
  const names = event.header?.split(",") ?? [];
  const named = names.length === COLUMNS.length + cells.length;
  return cells.map((cell, i) => [
    named ? names[COLUMNS.length - 1 + i] : `column${COLUMNS.length + i}`,
    valueOf(cell),
  ]);
}

/** A cell as the text it stands for (the reader refused a record whose cell is spelt otherwise). */
function valueOf(cell: string): string {
  return readAddedCell(cell) ?? cell;
}

/**
 * The JSON object of a record: its columns in order (the extra cells of a
 * newer version just before RecordChecksum, as in the line), then
 * `invalidatedBy` (the RunIDs of the annotations that invalidate it),
 * `supersededBy` (the RunIDs of the runs that supersede it) and
 * `annotations` (every annotation of it, oldest first). The three are
 * always present, empty for a run nothing annotates. Then, given `place`,
 * `recordFile` (the record file, relative to the working folder) and `line`
 * (its line there): which copy of a deliverable, or which of two records one
 * RunID names, a record is.
 *
 * @example
 * ```ts
 * import { recordJson } from "./record_json.ts";
 * declare const record: import("../schema.ts").RunRecord;
 * const json = recordJson(record, [], []);
 * json.invalidatedBy; // []
 * ```
 */
export function recordJson(
  record: RunRecord,
  extras: readonly [string, string][],
  annotations: readonly Annotation[],
  place?: { file: string; line: number },
): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const name of COLUMNS.slice(0, -1)) json[name] = record[name];
  for (const [name, value] of extras) {
    // A header naming a column twice, or one of runrec's own keys, cannot hide a value.
    if (!Object.hasOwn(json, name) && !MARK_KEYS.includes(name)) json[name] = value;
  }
  json.RecordChecksum = record.RecordChecksum;
  json.invalidatedBy = annotations.filter((a) => a.kind === "invalidated")
    .map((a) => a.annotationId);
  json.supersededBy = annotations.filter((a) => a.kind === "superseded")
    .map((a) => a.otherNow ?? a.other);
  json.annotations = annotations;
  if (place !== undefined) {
    json.recordFile = relative(Deno.cwd(), place.file);
    json.line = place.line;
  }
  return json;
}
