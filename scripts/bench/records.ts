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
import { type RecordDraft, runIdPrefix } from "../../src/store.ts";
import { formatDuration } from "../../src/time.ts";
import { writeAll } from "./common.ts";

/** Number of distinct record shapes. */
export const VARIANTS = 100;

/** The deliverable every generated record belongs to. */
export const BENCH_DELIVERABLE = "DEL-01-02";

const AGENTS = ["4_DOCUMENTS", "DEPENDENCIES", "5_CHECK", "PREPARATION", "3_SEMANTIC"];
const STATUSES = ["SUCCESS", "SUCCESS", "SUCCESS", "PARTIAL", "FAILED", "SKIPPED"];
const STATES = ["INITIALIZED", "SEMANTIC_READY", "IN_PROGRESS", "CHECKING", "ISSUED"];
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
const BASE_MS = Date.UTC(2026, 0, 5, 8, 0, 0);

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
    StatusBefore: STATES[v % STATES.length],
    StatusAfter: STATES[(v + 1) % STATES.length],
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
 * benchRecord(0).RunID; // "RUN-DEL-01-02-20260105-0800-001"
 * ```
 */
export function benchRecord(index: number): RunRecord {
  const { timestampMs, runId } = identity(index);
  const record = { ...benchDraft(index, timestampMs), RunID: runId, RecordChecksum: "" };
  const line = encodeRecord(record);
  record.RecordChecksum = line.slice(line.lastIndexOf(",") + 1);
  return record;
}

/**
 * Writes a record file of `count` valid records. Each shape is encoded once
 * with `encodeRecord`; per record only RunID and RunTimestamp change (the
 * first six columns never need quoting), and the checksum is recomputed. Every
 * 50,000th line is compared with a full `encodeRecord` of the same record.
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
  progress?: (done: number) => void,
): Promise<number> {
  // The encoded columns after RunTimestamp, per shape.
  const tails: string[] = [];
  for (let v = 0; v < VARIANTS; v++) {
    const line = encodeRecord(benchRecord(v));
    const body = line.slice(0, line.lastIndexOf(","));
    let at = -1;
    for (let i = 0; i < 6; i++) at = body.indexOf(",", at + 1);
    tails.push(body.slice(at));
  }
  const encoder = new TextEncoder();
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  let batch: string[] = [`${HEADER}\n`];
  let batchChars = 0;
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const { timestampMs, runId } = identity(i);
    const stamp = new Date(timestampMs).toISOString();
    const agent = benchDraftAgent(i);
    const body = `v1.0,${runId},${BENCH_DELIVERABLE},${agent},TYPE_2,${stamp}${
      tails[i % VARIANTS]
    }`;
    const line = `${body},${checksumOf(body)}`;
    if (i % 50_000 === 0) checkLine(i, line);
    batch.push(line, "\n");
    batchChars += line.length + 1;
    if (batchChars >= 8 << 20) {
      const chunk = encoder.encode(batch.join(""));
      await writeAll(file, chunk);
      bytes += chunk.length;
      batch = [];
      batchChars = 0;
      progress?.(i + 1);
    }
  }
  const chunk = encoder.encode(batch.join(""));
  await writeAll(file, chunk);
  return bytes + chunk.length;
}

function benchDraftAgent(index: number): string {
  return AGENTS[(index % VARIANTS) % AGENTS.length];
}

/** The fast path must produce exactly what `encodeRecord` does, and a valid record. */
function checkLine(index: number, line: string): void {
  const record = benchRecord(index);
  const expected = encodeRecord(record);
  if (line !== expected) {
    throw new Error(`generated line ${index} differs from encodeRecord:\n${line}\n${expected}`);
  }
  const problems = validateRecord(record);
  if (problems.length > 0) {
    throw new Error(`generated record ${index} is invalid: ${problems[0].field} ${problems[0].message}`);
  }
}
