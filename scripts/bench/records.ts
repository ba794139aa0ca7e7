/**
 * Valid run records for the benchmarks: about a hundred distinct shapes
 * (agents, outcomes, 2-6 inputs, 0-4 outputs, notes with commas, quotes,
 * newlines and non-ASCII text), each with a unique RunID, a RunTimestamp in
 * its minute, a consistent InputContextSHA and a valid checksum.
 *
 * @module
 */
import { checksumOf, encodeRecord } from "../../src/codec.ts";
import { inputContextSha } from "../../src/manifest.ts";
import { HEADER, type RunRecord, validateRecord } from "../../src/schema.ts";
import { runIdPrefix } from "../../src/schema.ts";
import type { RecordDraft } from "../../src/append_types.ts";
import { formatDuration } from "../../src/time.ts";
import { writeAll } from "./common.ts";

/** Number of distinct record shapes. */
export const VARIANTS = 100;

/** The deliverable every generated record belongs to. */
export const BENCH_DELIVERABLE = "DEL-01-02";

const AGENTS = ["4_DOCUMENTS", "DEPENDENCIES", "5_CHECK", "PREPARATION", "3_SEMANTIC"];
const STATUSES = ["SUCCESS", "SUCCESS", "SUCCESS", "PARTIAL", "FAILED", "SKIPPED"];
/** State changes the lifecycle allows (./src/lifecycle.ts): the records break no rule. */
const TRANSITIONS = [
  ["INITIALIZED", "SEMANTIC_READY"],
  ["SEMANTIC_READY", "IN_PROGRESS"],
  ["IN_PROGRESS", "CHECKING"],
  ["CHECKING", "ISSUED"],
  ["CHECKING", "IN_PROGRESS"],
];
const INPUTS = [
  "_CONTEXT.md",
  "_STATUS.md",
  "Specification.md",
  "Datasheet.md",
  "../../../_Decomposition/Example_Decomposition.md",
  "../../0_References/vendor-datasheet.txt",
];
const OUTPUTS = ["Datasheet.md", "Specification.md", "Guidance.md", "Procedure.md"];
const NOTES = [
  "",
  "",
  "Reviewed against the vendor datasheet",
  'Sizing basis "normal flow, 120%" confirmed',
  "Two passes; second pass after comments\nfrom the client",
  "Überprüft — Straße 5; 日本語 ✓",
];
/**
 * The first record's time: four records a minute, 4,000,000 records span 694 days, all before the
 * run (validate warns of a record dated after its clock).
 */
const BASE_MS = Date.UTC(2024, 0, 5, 8, 0, 0);

/** Deterministic 64 hex digits for a seed (not a real hash of anything). */
function fakeHash(seed: string): string {
  return checksumOf(`runrec bench ${seed}`);
}

/**
 * A valid record draft of shape `variant` (0-99) at `timestampMs`, without
 * RunID and checksum, as `appendRecord` takes it.
 *
 * @example
 * ```ts
 * import { benchDraft } from "./records.ts";
 * benchDraft(3, Date.UTC(2026, 0, 5)).AgentName; // "PREPARATION"
 * ```
 */
export function benchDraft(variant: number, timestampMs: number): RecordDraft {
  const v = variant % VARIANTS;
  const status = STATUSES[v % STATUSES.length];
  const inputFiles = INPUTS.slice(0, 1 + (v % 3));
  const inputHashes: Record<string, string> = { "_REFERENCES.md": fakeHash(`ref ${v}`) };
  for (const path of INPUTS.slice(0, 2 + (v % 5))) inputHashes[path] = fakeHash(`${path} ${v}`);
  for (const path of inputFiles) inputHashes[path] ??= fakeHash(`${path} ${v}`);
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(inputHashes).sort()) sorted[key] = inputHashes[key];
  const outputFiles = status === "SKIPPED" ? [] : OUTPUTS.slice(0, 1 + (v % 4));
  const outputHashes: Record<string, string> = {};
  for (const path of outputFiles) outputHashes[path] = fakeHash(`out ${path} ${v}`);
  return {
    SchemaVersion: "v1.0",
    DeliverableID: BENCH_DELIVERABLE,
    AgentName: AGENTS[v % AGENTS.length],
    AgentType: "TYPE_2",
    RunTimestamp: new Date(timestampMs).toISOString(),
    RunDuration: formatDuration(1_000 + v * 1_537),
    RunStatus: status,
    RunPassDirective: ["FULL", "UPDATE", "", "PASS-2"][v % 4],
    InputContextSHA: inputContextSha(sorted),
    InputFiles: inputFiles,
    OutputFiles: outputFiles,
    StatusBefore: TRANSITIONS[v % TRANSITIONS.length][0],
    // A skipped run changes nothing.
    StatusAfter: TRANSITIONS[v % TRANSITIONS.length][status === "SKIPPED" ? 0 : 1],
    ErrorSummary: status === "FAILED" || status === "PARTIAL"
      ? `Agent stopped: missing input, see log (code ${v})`
      : "",
    Notes: NOTES[v % NOTES.length],
    InputHashes: sorted,
    OutputHashes: outputHashes,
    GitHead: fakeHash(`head ${v}`).slice(0, 40),
    Host: "bench-host",
  };
}

/** Timestamp and RunID of record `index`: four records per minute, SEQ 001-004. */
function identity(index: number): { timestampMs: number; runId: string } {
  const timestampMs = BASE_MS + index * 15_000;
  const stamp = new Date(timestampMs).toISOString();
  const seq = String((index % 4) + 1).padStart(3, "0");
  return { timestampMs, runId: `${runIdPrefix(BENCH_DELIVERABLE, stamp)}${seq}` };
}

/**
 * The complete, valid record number `index` of a generated file.
 *
 * @example
 * ```ts
 * import { benchRecord } from "./records.ts";
 * benchRecord(0).RunID; // "RUN-DEL-01-02-20240105-0800-001"
 * ```
 */
export function benchRecord(index: number): RunRecord {
  const { timestampMs, runId } = identity(index);
  const record = { ...benchDraft(index, timestampMs), RunID: runId, RecordChecksum: "" };
  const line = encodeRecord(record);
  record.RecordChecksum = line.slice(line.lastIndexOf(",") + 1);
  return record;
}

/** Options of {@linkcode writeRecordFile}. */
export interface WriteOptions {
  /** Append records `from` to `count - 1` to an existing file written with `from` records. */
  from?: number;
  /** Called after each written batch with the number of records written so far. */
  progress?: (done: number) => void;
}

/**
 * Writes a record file of `count` valid records; returns the bytes written.
 * Each shape is encoded once with `encodeRecord`; per record only RunID,
 * AgentName and RunTimestamp change (the first six columns never need
 * quoting), and the checksum is recomputed over the line's bytes. Every
 * 50,000th line is compared with a full `encodeRecord` of the same record.
 * With `from`, extends a file holding records `0..from-1` to `count` records.
 *
 * @example
 * ```ts
 * import { writeRecordFile } from "./records.ts";
 * await writeRecordFile(await Deno.makeTempFile(), 1000);
 * ```
 */
export async function writeRecordFile(
  path: string,
  count: number,
  options: WriteOptions = {},
): Promise<number> {
  const from = options.from ?? 0;
  const encoder = new TextEncoder();
  // The encoded columns after RunTimestamp, per shape, as UTF-8 bytes.
  const tails: Uint8Array[] = [];
  for (let v = 0; v < VARIANTS; v++) {
    const line = encodeRecord(benchRecord(v));
    const body = line.slice(0, line.lastIndexOf(","));
    let at = -1;
    for (let i = 0; i < 6; i++) at = body.indexOf(",", at + 1);
    tails.push(encoder.encode(body.slice(at)));
  }
  using file = await Deno.open(
    path,
    from > 0 ? { append: true } : { write: true, create: true, truncate: true },
  );
  const buffer = new Uint8Array(16 << 20);
  let pos = from > 0 ? 0 : encoder.encodeInto(`${HEADER}\n`, buffer).written;
  let bytes = 0;
  for (let i = from; i < count; i++) {
    const { timestampMs, runId } = identity(i);
    const stamp = new Date(timestampMs).toISOString();
    const start = pos;
    pos += encoder.encodeInto(
      `v1.0,${runId},${BENCH_DELIVERABLE},${benchDraftAgent(i)},TYPE_2,${stamp}`,
      buffer.subarray(pos),
    ).written;
    const tail = tails[i % VARIANTS];
    buffer.set(tail, pos);
    pos += tail.length;
    const checksum = checksumOf(buffer.subarray(start, pos));
    buffer[pos++] = 44; // ","
    pos += encoder.encodeInto(checksum, buffer.subarray(pos)).written;
    buffer[pos++] = 10; // "\n"
    if (i % 50_000 === 0) checkLine(i, buffer.subarray(start, pos - 1));
    if (pos > buffer.length - (64 << 10)) {
      await writeAll(file, buffer.subarray(0, pos));
      bytes += pos;
      pos = 0;
      options.progress?.(i + 1);
    }
  }
  await writeAll(file, buffer.subarray(0, pos));
  return bytes + pos;
}

function benchDraftAgent(index: number): string {
  return AGENTS[(index % VARIANTS) % AGENTS.length];
}

/** The fast path must produce exactly what `encodeRecord` does, and a valid record. */
function checkLine(index: number, bytes: Uint8Array): void {
  const line = new TextDecoder().decode(bytes);
  const record = benchRecord(index);
  const expected = encodeRecord(record);
  if (line !== expected) {
    throw new Error(`generated line ${index} differs from encodeRecord:\n${line}\n${expected}`);
  }
  const problems = validateRecord(record);
  if (problems.length > 0) {
    throw new Error(
      `generated record ${index} is invalid: ${problems[0].field} ${problems[0].message}`,
    );
  }
}
