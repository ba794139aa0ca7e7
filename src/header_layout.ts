/**
 * Which header line each record sits under (SCHEMA.md 11.3): a writer whose
 * version differs from the file's last header line appends its own header
 * first. A record is read by its own SchemaVersion wherever it is (11.1), so
 * one under another version's header is a warning, not an error; so is a
 * header line that repeats the one in force right after a whole record of
 * that layout (only a merge of two new files puts it there). After a blank,
 * torn, corrupt or foreign line, or the same header line, a repeat is a
 * writer following 11.3 (it cannot tell what that line was): no warning.
 *
 * Blocks of lines may be classified apart (in worker threads), so each block
 * lists its layout ({@linkcode LayoutRecorder}) and one
 * {@linkcode HeaderLayout} checks the lists in file order.
 *
 * @module
 */
import { COLUMNS, HEADER, SCHEMA_VERSION } from "./schema.ts";

/** A header line, or a run of consecutive records of one layout, in one block. */
export type LayoutItem =
  | { line: number; header: string }
  | { line: number; last: number; count: number; version: string; cells: number };

/** A finding on one line: the caller makes it a warning. */
export interface LayoutFinding {
  /** The line, from 1. */
  line: number;
  /** The column at fault, or `""`. */
  field: "SchemaVersion" | "";
  /** What is wrong, in one line. */
  message: string;
}

/**
 * Lists the header lines and records of one block in order, records of one
 * version and cell count merged into runs (a block is mostly one run).
 *
 * @example
 * ```ts
 * import { LayoutRecorder } from "./header_layout.ts";
 * import { COLUMNS, HEADER } from "./schema.ts";
 * const recorder = new LayoutRecorder();
 * recorder.header(1, HEADER);
 * recorder.record(2, "v1.0", COLUMNS.length);
 * recorder.record(3, "v1.0", COLUMNS.length);
 * recorder.items.length; // 2
 * ```
 */
export class LayoutRecorder {
  /** The header lines and record runs seen, in line order. */
  readonly items: LayoutItem[] = [];

  /** Notes a header line (its text without line end). */
  header(line: number, text: string): void {
    this.items.push({ line, header: text });
  }

  /** Notes a valid record of `version` with `cells` cells, RecordChecksum included. */
  record(line: number, version: string, cells: number): void {
    const last = this.items.at(-1);
    if (last && "version" in last && last.version === version && last.cells === cells) {
      last.last = line;
      last.count++;
    } else {
      this.items.push({ line, last: line, count: 1, version, cells });
    }
  }
}

/**
 * Checks blocks' layouts in file order against the header line in force.
 *
 * @example
 * ```ts
 * import { HeaderLayout, LayoutRecorder } from "./header_layout.ts";
 * import { COLUMNS, HEADER } from "./schema.ts";
 * const recorder = new LayoutRecorder();
 * recorder.header(1, HEADER.replace(",RecordChecksum", ",ReviewedBy,RecordChecksum"));
 * recorder.record(2, "v1.0", COLUMNS.length);
 * new HeaderLayout().check(recorder.items)[0].line; // 2
 * ```
 */
export class HeaderLayout {
  #header: { line: number; text: string; columns: number } | undefined;
  /** The last line of the last run of records that fit the header in force, if any. */
  #lastFitting = 0;

  /** The findings of one block's items, in line order. */
  check(items: readonly LayoutItem[]): LayoutFinding[] {
    const findings: LayoutFinding[] = [];
    for (const item of items) {
      if ("header" in item) {
        const repeated = this.#header?.text === item.header;
        if (repeated && this.#lastFitting === item.line - 1) {
          // Two branches that both created the file can leave a second header after a merge.
          findings.push({
            line: item.line,
            field: "",
            message: "repeated header line (from a merge); skipped",
          });
        } else if (!repeated) {
          const columns = item.header.split(",").length;
          this.#header = { line: item.line, text: item.header, columns };
        }
        continue;
      }
      const header = this.#header;
      if (header === undefined) continue; // no header line: already an error on line 1
      const ours = item.version === SCHEMA_VERSION;
      if (ours === (header.text === HEADER) && header.columns === item.cells) {
        this.#lastFitting = item.last;
        continue;
      }
      const more = item.count === 1
        ? ""
        : item.count === 2
        ? `; so is the next record, line ${item.last}`
        : `; so are the next ${item.count - 1} records, to line ${item.last}`;
      // Most often a merge of branches two versions wrote (a writer's append after its own
      // version's record needs no header): not blamed on the writer alone (versions-sweep F2).
      findings.push({
        line: item.line,
        field: "SchemaVersion",
        message: `a ${item.version} record (${item.cells} fields) under header line ` +
          `${header.line}, whose ${header.columns} columns are not its version's: read by its ` +
          "SchemaVersion; a merge of branches two runrec versions wrote puts records so, as " +
          `does a writer that did not append its own header line first (SCHEMA.md 11.3)${more}`,
      });
    }
    return findings;
  }
}

/**
 * Cells of a record of a known or additive version with `unknownCells` added
 * cells (RecordChecksum included).
 *
 * @example
 * ```ts
 * import { cellsOf } from "./header_layout.ts";
 * cellsOf(["alice"]); // 22
 * ```
 */
export function cellsOf(unknownCells: readonly string[] | undefined): number {
  return COLUMNS.length + (unknownCells?.length ?? 0);
}
