/**
 * Checks of one record file on its own: the header, every line's checksum,
 * the schema of every record, and duplicate RunIDs.
 *
 * @module
 */
import { shellWord } from "./shell_word.ts";
import { describeLineProblem } from "./messages.ts";
import { noRunRecord } from "./line_problems.ts";
import { type LineProblem, readRecords } from "./reader.ts";
import { spoolEntryOf } from "./spool.ts";
import { COLUMNS, type RunRecord } from "./schema.ts";
import { checkVerifyFileArguments } from "./argument_checks.ts";

/** Which check a problem comes from. */
export type IntegrityCheck =
  | "header" // line 1 is not the v1.0 header, the file is empty, or an added column has no name of its own
  | "checksum" // a line whose RecordChecksum does not match it
  | "torn" // a record cut short by an interrupted write (warning)
  | "record" // checksum fine, but the record breaks the schema
  | "duplicate" // a RunID already used on an earlier line
  | "format" // CR LF, NUL bytes, blank line, no final newline (warnings)
  | "git" // git ignores the file, or stores it through a filter or encoding (`runrec verify`)
  | "identity" // its folder's DeliverableID is another folder's too (`runrec verify` of a root)
  | "journal"; // a record appended here that only the journal holds (`runrec verify`, line 0)

/** One problem {@linkcode verifyRecordFile} found. */
export interface IntegrityProblem {
  /** 1-based line number; 0 for the file as a whole. */
  line: number;
  /** `error`s fail `verify`; `warning`s are reported only. */
  severity: "error" | "warning";
  /** Which check found it. */
  check: IntegrityCheck;
  /** The column at fault, or `""` for the line as a whole. */
  field: string;
  /** What is wrong, in words; starts with the field or "line" when there is one. */
  message: string;
}

/** Totals of {@linkcode verifyRecordFile}. */
export interface IntegrityResult {
  /** Lines that hold a valid record. */
  records: number;
  /** Problems that fail `verify`. */
  errors: number;
  /** Problems reported only. */
  warnings: number;
  /** Lines whose RunID was already used on an earlier line. */
  duplicates: number;
}

const CODE_TO_CHECK: Record<LineProblem["code"], IntegrityCheck> = {
  header: "header",
  torn: "torn",
  corrupt: "checksum",
  invalid: "record",
  crlf: "format",
  nul: "format",
  blank: "format",
  "no-newline": "format",
  lifecycle: "record", // checkRecordFile's alone: readRecords never yields it
  future: "record", // the same
  annotation: "record", // the same
};

/**
 * A set of RunIDs in about 10 bytes each: it keeps a 53-bit hash, not the
 * string, so that four million records fit in tens of megabytes. A hit is
 * only a candidate duplicate; callers confirm it on the real strings.
 */
class RunIdHashSet {
  #slots = new Float64Array(1 << 12);
  #count = 0;

  /** Adds `id`; returns `true` when its hash was already present. */
  add(id: string): boolean {
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 16777619);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b);
    h2 ^= h2 >>> 13;
    // 32 bits of one hash and 21 of the other: exact in a float64, never 0.
    const key = (h1 >>> 0) * 2097152 + ((h2 >>> 0) & 0x1fffff) + 1;
    if ((this.#count + 1) * 4 > this.#slots.length * 3) this.#grow();
    const hit = this.#insert(key);
    if (!hit) this.#count++;
    return hit;
  }

  /** Slot to start probing at: from both parts of the key, so any table size spreads well. */
  static #spread(key: number): number {
    const high = Math.floor((key - 1) / 2097152);
    const low = (key - 1) % 2097152;
    return (high ^ Math.imul(low, 0x9e3779b1)) >>> 0;
  }

  #insert(key: number): boolean {
    const mask = this.#slots.length - 1;
    let i = RunIdHashSet.#spread(key) & mask;
    while (true) {
      const slot = this.#slots[i];
      if (slot === 0) {
        this.#slots[i] = key;
        return false;
      }
      if (slot === key) return true;
      i = (i + 1) & mask;
    }
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Float64Array(old.length * 2);
    for (const key of old) if (key !== 0) this.#insert(key);
  }
}

/**
 * Checks one record file, streaming it: the header, every line's checksum,
 * the schema of every record, and duplicate RunIDs (naming both lines, and
 * saying so when the two lines are identical, as a union merge of the same
 * record leaves them, and else naming both runs and why it happens: two
 * clones recording runs in the same minute). Each problem goes to `onProblem` as it is found;
 * duplicates and re-examined torn lines come after the first pass.
 *
 * A line the reader calls torn but that ends in a complete 64-hex checksum
 * is reported as a checksum error: a cut write cannot end that way, a
 * flipped comma or quote can. Memory stays flat but for the RunID hashes.
 *
 * @example
 * ```ts
 * import { recordRun, verifyRecordFile } from "@runrec/runrec";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * await recordRun(dir, { agent: "4_DOCUMENTS", status: "SUCCESS" }); // a record to read
 * const result = await verifyRecordFile(`${dir}/RunRecords.csv`, (p) =>
 *   console.log(`${dir}/RunRecords.csv:${p.line}: ${p.message}`));
 * if (result.errors > 0) Deno.exitCode = 1;
 * ```
 */
export async function verifyRecordFile(
  path: string,
  onProblem: (problem: IntegrityProblem) => void = () => {},
  options: VerifyFileOptions = {},
): Promise<IntegrityResult> {
  checkVerifyFileArguments(path, onProblem, options);
  const result: IntegrityResult = { records: 0, errors: 0, warnings: 0, duplicates: 0 };
  const report = (problem: IntegrityProblem) => {
    if (problem.severity === "error") result.errors++;
    else result.warnings++;
    onProblem(problem);
  };
  const ids = new RunIdHashSet();
  const candidates = new Set<string>();
  // Replayed records by spool entry: one entry is one run (SCHEMA.md 7.3, 8.2).
  const replays = new Map<string, { line: number; runId: string }>();
  let sawLine = false;
  const torn: number[] = [];
  let foreign: { line: number; id: string; count: number } | undefined;
  for await (const event of readRecords(path)) {
    sawLine = true;
    if (event.kind === "record") {
      result.records++;
      const owner = event.record.DeliverableID;
      if (options.deliverableId !== undefined && owner !== options.deliverableId) {
        foreign ??= { line: event.line, id: owner, count: 0 };
        foreign.count++;
      }
      const id = event.record.RunID;
      if (ids.add(id)) candidates.add(id);
      const entry = spoolEntryOf(event.record.Notes);
      const first = entry === undefined ? undefined : replays.get(entry);
      if (entry !== undefined && first === undefined) {
        replays.set(entry, { line: event.line, runId: id });
      } else if (first !== undefined && first.runId !== id) {
        report({
          line: event.line,
          severity: "error",
          check: "duplicate",
          field: "Notes",
          message: `${id} was replayed from spool entry ${entry}, as ${first.runId} on line ` +
            `${first.line} was: one spooled run written twice (a replay cut short after its ` +
            "write, then repeated on another branch, and the two merged); keep one: runrec " +
            `annotate <del-dir> ${id} --invalidates --note "replayed twice"`,
        });
        result.duplicates++;
      }
      continue;
    }
    if (event.code === "torn") torn.push(event.line);
    report({
      line: event.line,
      severity: event.severity,
      check: CODE_TO_CHECK[event.code],
      field: event.field,
      message: describeLineProblem(event),
    });
  }
  // A header alone is a file with no records yet, as validate says; no byte at all is not.
  if (!sawLine && (await Deno.stat(path)).size === 0) {
    report({
      line: 1,
      severity: "warning",
      check: "header",
      field: "",
      message: "file is empty (no header, no records)",
    });
  }
  if (result.records === 0 && torn.length > 0) {
    report({
      line: torn[0],
      severity: "warning",
      check: "torn",
      field: "RecordChecksum",
      message: noRunRecord(torn),
    });
  }
  if (foreign) {
    report({
      line: foreign.line,
      severity: "warning",
      check: "record",
      field: "DeliverableID",
      message: `DeliverableID ${foreign.id} is not this folder's ${options.deliverableId} ` +
        `(${foreign.count} record(s) of another deliverable: the folder was copied or moved ` +
        "from it; runrec stale reads them as this folder's only when no folder has that ID)",
    });
  }
  if (candidates.size > 0) {
    for (const problem of await confirmDuplicates(path, candidates, options.collidedBefore)) {
      if (problem.severity === "error") result.duplicates++;
      report(problem);
    }
  }
  return result;
}

/** Options of {@linkcode verifyRecordFile}. */
export interface VerifyFileOptions {
  /** The DeliverableID of the file's folder: records naming another are warned about, once. */
  deliverableId?: string;
  /**
   * The revision `verify --since` starts from, and the RunIDs that already
   * named two different records there (asked only when the file repeats a
   * RunID): a collision older than the range is a warning, so that it fails
   * one check, not every later one.
   */
  collidedBefore?: { ids: () => Promise<ReadonlySet<string>>; revision: string };
}

/**
 * What to do about two runs with one RunID (no record can be renumbered): docs/CI.md's way out.
 */
const WAY_OUT = ": merge as it is, accepting this one failed check (verify --since a later " +
  'commit only warns of it); docs/CI.md, "Two branches, one minute"';

/** Reads the file again for the lines whose RunID may repeat; reports the real repeats. */
async function confirmDuplicates(
  path: string,
  candidates: Set<string>,
  collidedBefore: VerifyFileOptions["collidedBefore"],
): Promise<IntegrityProblem[]> {
  // Each RunID's distinct records so far, in file order.
  const seen = new Map<
    string,
    { line: number; checksum: string; who: string; record: RunRecord }[]
  >();
  const problems: IntegrityProblem[] = [];
  const older = await collidedBefore?.ids() ?? new Set<string>();
  for await (const event of readRecords(path)) {
    if (event.kind !== "record" || !candidates.has(event.record.RunID)) continue;
    const { RunID: id, RecordChecksum: checksum, AgentName, RunTimestamp } = event.record;
    const who = `${AgentName} at ${RunTimestamp}`;
    const records = seen.get(id) ?? [];
    const first = records[0];
    if (!first) {
      seen.set(id, [{ line: event.line, checksum, who, record: event.record }]);
      continue;
    }
    // One record twice, byte for byte: one run, read once by every reader; named against its
    // first copy, not against another record of the RunID (git-config F3).
    const copied = records.find((r) => r.checksum === checksum);
    if (copied) {
      problems.push({
        line: event.line,
        severity: "warning",
        check: "duplicate",
        field: "RunID",
        message: `RunID ${id} repeats line ${copied.line} byte for byte: the same record, ` +
          "merged twice (a cherry-pick or squash merge, then a merge of the same branch); " +
          "intact, and read once",
      });
      continue;
    }
    records.push({ line: event.line, checksum, who, record: event.record });
    const old = older.has(id);
    const since = old ? ` (already so at ${collidedBefore!.revision}: not new in this range)` : "";
    // The same agent's run at the same millisecond is one run: a record edited, both kept.
    if (first.record.AgentName === AgentName && first.record.RunTimestamp === RunTimestamp) {
      const changed = COLUMNS.filter((column) =>
        column !== "RecordChecksum" &&
        // Lists and maps are compared by what they hold.
        JSON.stringify(first.record[column]) !== JSON.stringify(event.record[column])
      );
      problems.push({
        line: event.line,
        severity: old ? "warning" : "error",
        check: "duplicate",
        field: "RunID",
        message: `RunID ${id}: line ${event.line} is an edited copy of line ${first.line} (same ` +
          `AgentName and RunTimestamp; ${changed.join(", ") || "other cells"} differ): one ` +
          "record changed and both versions kept, not two runs; the commit that added the copy: " +
          `\`git --no-pager log --oneline --no-relative -S ${checksum} -- ${shellWord(path)}\`` +
          since,
      });
      continue;
    }
    problems.push({
      line: event.line,
      severity: old ? "warning" : "error",
      check: "duplicate",
      field: "RunID",
      message: `RunID ${id} is already on line ${first.line}, a different record: line ` +
        `${first.line} ${first.who}, line ${event.line} ${who}; two runs recorded apart (in two ` +
        "clones, on two branches, or one stashed) in the same minute got one RunID, SCHEMA.md " +
        "3.3; both records are intact, nothing to repair" + (old ? since : WAY_OUT),
    });
  }
  return problems;
}
