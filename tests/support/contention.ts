/**
 * Writers in contention: OS processes appending at once (`emit_loop.ts`),
 * each optionally under `strace -ttt -T`, and the checks: every RunID a
 * writer printed is in the file once, RunIDs are unique, SEQs are gap-free
 * per minute, and no two writers ever held the lock or wrote at once (the
 * overlap detector, from the traces).
 *
 * @module
 */
import { join } from "node:path";
import { readRecords } from "../../src/reader.ts";
import { replaySpool } from "../../src/spool_flush.ts";
import { RECORD_FILE } from "../../src/deliverable.ts";
import { makeProject, ROOT } from "../fixtures.ts";

/** What a contention run found. */
export interface ContentionResult {
  /** Records the writers said they wrote. */
  written: number;
  /** Records spooled (the lock stayed held past the 5 s deadline), appended by a flush after. */
  spooled: number;
  /** Records found in the files (all deliverables). */
  inFiles: number;
  /** Lock holdings seen in the traces (0 when not traced). */
  holdings: number;
  /** Broken promises, one line each. */
  violations: string[];
}

/** Options of {@linkcode contend}. */
export interface ContentionOptions {
  /** Writer processes. */
  writers: number;
  /** Emits per writer. */
  perWriter: number;
  /** One deliverable for all writers, or one each. */
  shared: boolean;
  /** Trace every writer with `strace -ttt -T` for the overlap detector. */
  traced: boolean;
}

const LOOP = join(ROOT, "tests/support/record_loop.ts");

/** Runs the writers, then checks the files and, when traced, the overlap of lock holdings. */
export async function contend(options: ContentionOptions): Promise<ContentionResult> {
  const dels: string[] = [];
  const roots: string[] = [];
  for (let i = 0; i < (options.shared ? 1 : options.writers); i++) {
    const { root, del } = await makeProject();
    roots.push(root);
    dels.push(del);
  }
  const logs: string[] = [];
  const children = Array.from({ length: options.writers }, (_, i) => {
    const del = dels[options.shared ? 0 : i];
    const deno = [Deno.execPath(), "run", "-A", LOOP, del, String(options.perWriter), `W${i}`];
    const log = join(roots[0], `writer-${i}.trace`);
    logs.push(log);
    const argv = options.traced
      ? [
        "strace",
        "-f",
        "-qq",
        "-ttt",
        "-T",
        "-y",
        "-o",
        log,
        "-e",
        "trace=openat,write,unlink,unlinkat",
        ...deno,
      ]
      : deno;
    return new Deno.Command(argv[0], { args: argv.slice(1), stdout: "piped", stderr: "piped" })
      .spawn();
  });
  const outputs = await Promise.all(children.map((c) => c.output()));
  const violations: string[] = [];
  const printed: string[] = [];
  let spooled = 0;
  outputs.forEach((out, i) => {
    if (!out.success) {
      violations.push(`writer ${i} failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
      if (line.startsWith("SPOOLED ")) spooled++;
      else if (line !== "") printed.push(`${options.shared ? 0 : i} ${line}`);
    }
  });
  // What the lock's deadline sent to the spool is appended now, as the next emit would.
  for (const del of dels) {
    const { failures } = await replaySpool(del);
    violations.push(...failures);
  }
  const seen = new Map<string, number>();
  const runs = new Map<string, number>();
  for (const [d, del] of dels.entries()) {
    for await (const event of readRecords(join(del, RECORD_FILE))) {
      if (event.kind !== "record") {
        violations.push(`${del}: line ${event.line}: ${event.code}`);
        continue;
      }
      const key = `${d} ${event.record.RunID}`; // RunIDs are unique per deliverable
      seen.set(key, (seen.get(key) ?? 0) + 1);
      const run = /^run \d+ of W\d+/.exec(event.record.Notes)![0];
      runs.set(run, (runs.get(run) ?? 0) + 1);
    }
  }
  for (const [id, n] of seen) if (n > 1) violations.push(`RunID ${id} ${n} times`);
  for (const id of printed) {
    if (seen.get(id) !== 1) violations.push(`${id} printed, in files ${seen.get(id) ?? 0} times`);
  }
  for (let w = 0; w < options.writers; w++) {
    for (let i = 0; i < options.perWriter; i++) {
      const n = runs.get(`run ${i} of W${w}`) ?? 0;
      if (n !== 1) violations.push(`run ${i} of W${w}: ${n} records, not 1`);
    }
  }
  for (let d = 0; d < dels.length; d++) {
    const ids = [...seen.keys()].filter((k) => k.startsWith(`${d} `)).map((k) => k.split(" ")[1]);
    violations.push(...seqGaps(ids).map((g) => `${dels[d]}: ${g}`));
  }
  let holdings = 0;
  if (options.traced) {
    const overlap = overlaps(await Promise.all(logs.map((l) => Deno.readTextFile(l))));
    holdings = overlap.holdings;
    violations.push(...overlap.violations);
  }
  for (const root of roots) await Deno.remove(root, { recursive: true });
  return {
    written: printed.length,
    spooled,
    inFiles: [...seen.values()].reduce((a, b) => a + b, 0),
    holdings,
    violations,
  };
}

/** SEQ gaps: in each deliverable and minute, SEQs must run 1, 2, 3, ... with none missing. */
export function seqGaps(runIds: string[]): string[] {
  const byMinute = new Map<string, number[]>();
  for (const id of runIds) {
    const m = /^(RUN-.*-\d{8}-\d{4})-(\d+)$/.exec(id)!;
    byMinute.set(m[1], [...byMinute.get(m[1]) ?? [], Number(m[2])]);
  }
  const gaps: string[] = [];
  for (const [minute, seqs] of byMinute) {
    seqs.sort((a, b) => a - b);
    if (seqs.some((s, i) => s !== i + 1)) {
      gaps.push(`${minute}: SEQs ${seqs.join(",")} are not 1..${seqs.length}`);
    }
  }
  return gaps;
}

/** A lock holding seen in a trace: from the lock's create to its removal, by one process. */
interface Holding {
  writer: number;
  lock: string;
  /** When the call after the create was entered: the lock was surely held from here. */
  from: number;
  /** When the removal was entered: the lock was surely held until here. */
  to: number;
  /** The record-file writes made meanwhile, [entry, exit]. */
  writes: [number, number][];
  /** The trace lines of the create and the removal, for the report. */
  lines: string[];
}

/** The calls of an `strace -f -ttt -T -y` log, an interrupted call joined with its resumption. */
function traceCalls(log: string): { tid: string; at: number; text: string; took: number }[] {
  const open = new Map<string, { at: number; text: string }>();
  const calls: { tid: string; at: number; text: string; took: number }[] = [];
  for (const line of log.split("\n")) {
    const m = /^(\d+) +(\d+\.\d+) (.*)$/.exec(line);
    if (!m) continue;
    const [, tid, at, rest] = m;
    if (rest.endsWith("<unfinished ...>")) {
      open.set(tid, { at: Number(at), text: rest.slice(0, -"<unfinished ...>".length) });
      continue;
    }
    let text = rest;
    let start = Number(at);
    const resumed = /^<\.\.\. [a-z0-9_]+ resumed>(.*)$/.exec(rest);
    if (resumed) {
      const begun = open.get(tid);
      if (!begun) continue;
      open.delete(tid);
      text = begun.text + resumed[1];
      start = begun.at;
    }
    const took = Number(/<(\d+\.\d+)>$/.exec(text)?.[1] ?? 0);
    calls.push({ tid, at: start, text, took });
  }
  return calls;
}

/**
 * The overlap detector: from each writer's trace, the spans during which it
 * surely held a lock (its `O_EXCL` create had returned, its removal not yet
 * begun) and its writes to the record file. No two spans of one lock may
 * overlap, and every record write must lie inside a span of its writer.
 */
export function overlaps(logs: string[]): { holdings: number; violations: string[] } {
  const holdings: Holding[] = [];
  const violations: string[] = [];
  logs.forEach((log, writer) => {
    let held: Holding | undefined;
    let created: Holding | undefined;
    for (const call of traceCalls(log)) {
      // strace stamps a call while its thread is stopped at the call's entry: the first
      // call after the create is stamped after the create returned, the removal before it runs.
      if (created) {
        created.from = call.at;
        created = undefined;
      }
      const lockCreate = /^openat\(.*"([^"]*RunRecords\.csv\.lock)", [^)]*O_EXCL.*\) = \d+/.exec(
        call.text,
      );
      if (lockCreate) {
        held = created = {
          writer,
          lock: lockCreate[1],
          from: Infinity,
          to: Infinity,
          writes: [],
          lines: [`${call.tid} ${call.at} ${call.text}`],
        };
        holdings.push(held);
        continue;
      }
      if (
        held && /^unlink(at)?\(.*RunRecords\.csv\.lock"/.test(call.text) &&
        call.text.includes(held.lock)
      ) {
        held.to = call.at;
        held.lines.push(`${call.tid} ${call.at} ${call.text}`);
        held = undefined;
        continue;
      }
      if (/^write\(\d+<[^>]*\/RunRecords\.csv>/.test(call.text)) {
        if (!held || call.at < held.from) {
          violations.push(`writer ${writer} wrote outside its lock at ${call.at}`);
        } else held.writes.push([call.at, call.at + call.took]);
      }
    }
  });
  const byLock = Map.groupBy(holdings, (h) => h.lock);
  for (const [lock, spans] of byLock) {
    spans.sort((a, b) => a.from - b.from);
    for (let i = 1; i < spans.length; i++) {
      if (spans[i].from < spans[i - 1].to) {
        violations.push(
          `${lock}: writers ${spans[i - 1].writer} and ${spans[i].writer} held it at once ` +
            `(${spans[i].from} < ${spans[i - 1].to}): ${spans[i - 1].lines.join(" / ")} // ` +
            spans[i].lines.join(" / "),
        );
      }
    }
    for (const h of spans) {
      for (const [start] of h.writes) {
        if (start > h.to) violations.push(`writer ${h.writer} wrote after its release`);
      }
    }
  }
  return { holdings: holdings.length, violations };
}
