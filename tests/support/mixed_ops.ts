/**
 * Writers of every kind at once on one deliverable: each writer a loop of CLI
 * processes, one at a time, each a seeded draw of `emit`, `start`, `finish`
 * (of a run the writer started), `annotate` (of a run it recorded), `flush`
 * and `reap --older-than 2s` (which may write FAILED for another writer's run
 * not yet finished; that finish then supersedes it). Then `flush`, `validate`
 * and `verify`, and the checks: every RunID printed is in the file once,
 * RunIDs are unique, every started run is recorded (once, or reap's FAILED
 * and the late finish superseding it), nothing left pending or spooled.
 *
 * @module
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../../src/cli/permissions.ts";
import { RECORD_FILE } from "../../src/deliverable.ts";
import { readRecords } from "../../src/reader.ts";
import { SPOOL_FOLDER } from "../../src/spool.ts";
import { git, makeProject } from "../fixtures.ts";
import { fixedRandom } from "../seed.ts";
import { CLI_ENTRY } from "./cli_entry.ts";

/** The operations a writer draws from. */
export const MIXED_OPS = ["emit", "start", "finish", "annotate", "flush", "reap"] as const;

/** What a mixed run found. */
export interface MixedResult {
  /** Operations run, by kind. */
  ops: Record<string, number>;
  /** Record lines in the file (annotations and reap's FAILED records included). */
  records: number;
  /** Distinct RunIDs among them. */
  uniqueRunIds: number;
  /** Runs started; each must be recorded. */
  started: number;
  /** Started runs reap wrote FAILED before their finish came. */
  reapedThenFinished: number;
  /** The agents of the records, sorted: `W<writer>E<i>` an emit, `W<writer>S<i>` a start. */
  agents: string[];
  /** Broken promises, one line each. */
  violations: string[];
}

const decoder = new TextDecoder();

async function runrec(args: string[], tmp: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...FULL_FLAGS, CLI_ENTRY, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", TMPDIR: tmp },
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

function names(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * Runs `writers` loops of `perWriter` operations on one deliverable of a git
 * project (seed `seed` draws them), then checks the file.
 *
 * @example
 * ```ts
 * import { mixedOps } from "./mixed_ops.ts";
 * const result = await mixedOps({ writers: 8, perWriter: 50, seed: 49 });
 * console.log(result.records, result.uniqueRunIds, result.violations);
 * ```
 */
export async function mixedOps(
  options: { writers: number; perWriter: number; seed: number },
): Promise<MixedResult> {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-q", "-m", "project");
  const tmp = join(root, ".tmp");
  await Deno.mkdir(tmp);
  const ops: Record<string, number> = {};
  const printed: string[] = [];
  const startedAgents: string[] = [];
  const v: string[] = [];
  const fail = (what: string, out: { code: number; stderr: string }) =>
    v.push(`${what}: exit ${out.code}: ${out.stderr.trim().slice(0, 300)}`);

  const writer = async (w: number) => {
    // Each writer its own numbers: one shared generator would be drawn from in the order the
    // processes happen to end, and the seed would not replay the same operations.
    const random = fixedRandom(options.seed * 16 + w);
    const recorded: string[] = [];
    const tokens: string[] = [];
    const finish = async (token: string) => {
      const out = await runrec(["finish", token, "--status", "SUCCESS"], tmp);
      if (out.code !== 0) fail(`W${w} finish`, out);
      else recorded.push(...(/RUN-[A-Z0-9-]+/.exec(out.stdout + out.stderr) ?? []));
    };
    for (let i = 0; i < options.perWriter; i++) {
      const draw = random();
      const op = draw < 0.35
        ? "emit"
        : draw < 0.55
        ? "start"
        : draw < 0.75
        ? "finish"
        : draw < 0.87
        ? "annotate"
        : draw < 0.94
        ? "flush"
        : "reap";
      if (op === "finish" && tokens.length === 0 || op === "annotate" && recorded.length === 0) {
        continue; // nothing of its own to finish or annotate yet
      }
      ops[op] = (ops[op] ?? 0) + 1;
      if (op === "emit") {
        const out = await runrec(
          ["emit", del, "--agent", `W${w}E${i}`, "--status", "SUCCESS"],
          tmp,
        );
        const id = /^RUN-\S+$/m.exec(out.stdout)?.[0];
        // Spooled means the lock was not had within its deadline: not expected at this load.
        if (out.code !== 0 || id === undefined || /spool|lost/i.test(out.stderr)) {
          fail(`W${w} emit`, out);
        } else (printed.push(id), recorded.push(id));
      } else if (op === "start") {
        const out = await runrec(["start", del, "--agent", `W${w}S${i}`], tmp);
        if (out.code !== 0) fail(`W${w} start`, out);
        else (tokens.push(out.stdout.trim()), startedAgents.push(`W${w}S${i}`));
      } else if (op === "finish") {
        await finish(tokens.shift()!);
      } else if (op === "annotate") {
        const target = recorded[Math.floor(random() * recorded.length)];
        const out = await runrec(["annotate", del, target, "--note", `W${w} ${i}`], tmp);
        const id = /^RUN-\S+$/m.exec(out.stdout)?.[0];
        if (out.code !== 0 || id === undefined) fail(`W${w} annotate ${target}`, out);
        else printed.push(id);
      } else if (op === "flush") {
        const out = await runrec(["flush", del], tmp);
        if (out.code !== 0) fail(`W${w} flush`, out);
      } else {
        const out = await runrec(["reap", del, "--older-than", "2s"], tmp);
        if (out.code !== 0) fail(`W${w} reap`, out);
      }
    }
    for (const token of tokens) await finish(token);
  };
  await Promise.all(Array.from({ length: options.writers }, (_, w) => writer(w)));

  const flush = await runrec(["flush", del], tmp);
  if (flush.code !== 0) fail("flush after", flush);
  for (const check of ["validate", "verify"]) {
    const out = await runrec([check, del], tmp);
    if (out.code !== 0) fail(check, { code: out.code, stderr: out.stdout + out.stderr });
  }
  const ids = new Map<string, number>();
  const byAgent = new Map<string, string[]>();
  let records = 0;
  for await (const event of readRecords(join(del, RECORD_FILE))) {
    if (event.kind !== "record") {
      v.push(`line ${event.line}: ${event.code}`);
      continue;
    }
    records++;
    const { RunID, AgentName, RunStatus, Notes } = event.record;
    ids.set(RunID, (ids.get(RunID) ?? 0) + 1);
    byAgent.set(AgentName, [...(byAgent.get(AgentName) ?? []), `${RunStatus} ${Notes}`]);
  }
  for (const [id, n] of ids) if (n > 1) v.push(`RunID ${id} ${n} times`);
  for (const id of printed) {
    if (ids.get(id) !== 1) v.push(`${id} printed, ${ids.get(id) ?? 0} in file`);
  }
  let reapedThenFinished = 0;
  for (const agent of startedAgents) {
    const lines = byAgent.get(agent) ?? [];
    const reaped = lines.length === 2 && lines[0].startsWith("FAILED reaped: ") &&
      /^SUCCESS finished after reap: supersedes=/.test(lines[1]);
    if (reaped) reapedThenFinished++;
    else if (lines.length !== 1) v.push(`${agent}: ${lines.length} records`);
  }
  for (const [agent, lines] of byAgent) {
    if (/^W\d+E\d+$/.test(agent) && lines.length !== 1) v.push(`${agent}: ${lines.length} records`);
  }
  const left = [
    ...names(join(del, ".runrec", "pending")).filter((n) => n.endsWith(".json")),
    ...names(join(del, SPOOL_FOLDER)),
    ...names(join(tmp, `runrec-spool-${Deno.uid()}`)),
  ];
  if (left.length > 0) v.push(`left pending or spooled: ${left.join(", ")}`);
  await Deno.remove(root, { recursive: true });
  return {
    ops,
    records,
    uniqueRunIds: ids.size,
    started: startedAgents.length,
    reapedThenFinished,
    agents: [...byAgent.keys()].sort(),
    violations: v,
  };
}
