/**
 * A root whose record files `runrec log` must interleave: two deliverables
 * whose runs alternate in time, a copy of one of them (two worktrees), a
 * branch's records union-merged out of time order into a file, a line
 * repeated byte for byte, a corrupt line, runs at the same instant in two
 * files, annotations (invalidate, supersede, note, a withdrawal), and
 * agents, statuses and free text to filter and escape. Made from `random`
 * only: one seed, one history, byte for byte.
 *
 * @module
 */
import { join } from "node:path";
import { annotationNotes } from "../../src/annotations.ts";
import { checksumOf, encodeRecord } from "../../src/codec.ts";
import { HEADER, runIdPrefix, type RunRecord } from "../../src/schema.ts";
import { sampleAnnotation, sampleRecord } from "../fixtures.ts";

const STATUSES = ["SUCCESS", "PARTIAL", "FAILED", "SKIPPED"] as const;
const AGENTS = ["4_DOCUMENTS", "2_SPEC", "7_REVIEW"];
const START = Date.parse("2026-03-01T08:00:00Z");

/** A record file being written: its lines, the records it holds by name. */
class RecordFile {
  lines = [HEADER];
  records: RunRecord[] = [];
  #seq = new Map<string, number>();

  constructor(readonly id: string) {}

  /** A run at `minutes` past the start, appended (or only made, with `append` false). */
  run(minutes: number, random: () => number, append = true): RunRecord {
    const at = new Date(START + minutes * 60_000).toISOString();
    const status = STATUSES[Math.floor(random() * STATUSES.length)];
    const record = this.sealed(sampleRecord({
      RunID: this.#runId(at),
      DeliverableID: this.id,
      AgentName: AGENTS[Math.floor(random() * AGENTS.length)],
      RunTimestamp: at,
      RunStatus: status,
      RunPassDirective: random() < 0.2 ? "PASS-2 | *fix*" : "FULL",
      ErrorSummary: status === "FAILED" || status === "PARTIAL"
        ? `exit ${Math.floor(random() * 9)}\nat <tool>`
        : "",
      ...(status === "SKIPPED" ? { StatusAfter: "OPEN" } : {}),
      Notes: `run at ${minutes}`,
    }));
    if (append) this.add(record);
    return record;
  }

  /** An annotation record at `minutes` past the start, of `runId` (and `supersedes`). */
  annotate(
    minutes: number,
    runId: string,
    effect: { invalidates?: true; supersedes?: string },
    note: string,
  ): RunRecord {
    const at = new Date(START + minutes * 60_000).toISOString();
    const checksums = Object.fromEntries(
      this.records.filter((r) => r.RunID === runId || r.RunID === effect.supersedes)
        .map((r) => [r.RunID, r.RecordChecksum]),
    );
    const record = this.sealed(sampleAnnotation({
      RunID: this.#runId(at),
      DeliverableID: this.id,
      RunTimestamp: at,
      Notes: annotationNotes(runId, effect, note, checksums),
    }));
    this.add(record);
    return record;
  }

  add(record: RunRecord): void {
    this.records.push(record);
    this.lines.push(encodeRecord(record));
  }

  #runId(at: string): string {
    const prefix = runIdPrefix(this.id, at);
    const seq = (this.#seq.get(prefix) ?? 0) + 1;
    this.#seq.set(prefix, seq);
    return `${prefix}${String(seq).padStart(3, "0")}`;
  }

  sealed(record: RunRecord): RunRecord {
    const line = encodeRecord(record);
    const body = line.slice(0, line.lastIndexOf(","));
    return { ...record, RecordChecksum: checksumOf(body) };
  }

  async write(path: string): Promise<void> {
    await Deno.mkdir(join(path, ".."), { recursive: true });
    await Deno.writeTextFile(path, `${this.lines.join("\n")}\n`);
  }
}

/** The record files of the history, relative to the root. */
export const LOG_HISTORY_FILES = [
  "PKG-01_P/1_Working/DEL-01-01_A/RunRecords.csv",
  "PKG-01_P/1_Working/DEL-01-02_B/RunRecords.csv",
  "PKG-01_P/2_Copy/DEL-01-01_A/RunRecords.csv",
];

/**
 * Writes the history under `root` (its record files: {@linkcode LOG_HISTORY_FILES}),
 * of about `runs` runs per file, drawn from `random`.
 *
 * @example
 * ```ts
 * import { writeLogHistory } from "./log_history.ts";
 * await writeLogHistory(await Deno.makeTempDir(), Math.random, 30);
 * ```
 */
export async function writeLogHistory(
  root: string,
  random: () => number,
  runs = 30,
): Promise<void> {
  const a = new RecordFile("DEL-01-01");
  const b = new RecordFile("DEL-01-02");
  const copy = new RecordFile("DEL-01-01");
  // A and B alternate in time; some of B's at the same instant as A's (ties go in file order).
  for (let i = 0; i < runs; i++) {
    a.run(i * 20, random);
    b.run(i * 20 + (random() < 0.3 ? 0 : 10), random);
  }
  // A branch's runs, merged into A by a union merge: older than A's last ones, so out of order.
  const branch = Array.from(
    { length: Math.ceil(runs / 2) },
    (_, i) => a.run(i * 20 + 5, random, false),
  );
  for (const record of branch) a.add(record);
  // A line repeated byte for byte (a cherry-pick merged again): one record.
  a.lines.push(a.lines[3]);
  // A corrupt line: skipped with a warning.
  a.lines.push(a.lines[4].replace(/.$/, (c) => c === "0" ? "1" : "0"));
  const [x, y, z] = [a.records[1], a.records[2], a.records[5]];
  const invalidation = a.annotate(runs * 20 + 1, x.RunID, { invalidates: true }, "wrong | input");
  a.annotate(runs * 20 + 2, y.RunID, { supersedes: x.RunID }, "redone");
  a.annotate(runs * 20 + 3, z.RunID, {}, "checked by hand");
  a.annotate(runs * 20 + 4, invalidation.RunID, { invalidates: true }, "x was fine");
  b.annotate(runs * 20 + 5, b.records[0].RunID, { invalidates: true }, "stale inputs");
  // Another branch's run numbered as one of B's (one minute, two clones): two records, one RunID.
  b.add(b.sealed({ ...b.records[2], AgentName: "9_OTHER", Notes: "the other clone's" }));
  // The copy (another worktree of A): a few runs of its own, and one of A's.
  for (let i = 0; i < Math.ceil(runs / 5); i++) copy.run(i * 37 + 3, random);
  copy.add(a.records[0]);
  await a.write(join(root, LOG_HISTORY_FILES[0]));
  await b.write(join(root, LOG_HISTORY_FILES[1]));
  await copy.write(join(root, LOG_HISTORY_FILES[2]));
}
