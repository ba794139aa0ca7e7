/**
 * Benchmark 6: `runrec verify --since BASE` over a long history (40
 * deliverables, 150 commits that each append a run to every one) against
 * `git log -p BASE..HEAD -- '*RunRecords.csv'` of the same range, which
 * reads every diff once: the least any check of every version must do.
 *
 * @module
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../../src/cli/permissions.ts";
import { encodeRecord } from "../../src/codec.ts";
import { HEADER } from "../../src/schema.ts";
import { benchRecord } from "./records.ts";
import {
  type Benchmark,
  type Context,
  formatMs,
  formatRuns,
  median,
  type Row,
  runChecked,
} from "./common.ts";

const encoder = new TextEncoder();

/**
 * A repository of `deliverables` record files and `commits` commits, each
 * appending one record to every file, written by one `git fast-import`
 * (committing through a work tree would take minutes). Returns its first
 * commit, the BASE of the range.
 */
export async function makeHistory(
  root: string,
  deliverables: number,
  commits: number,
): Promise<string> {
  await runChecked("git", ["init", "-q", "-b", "main", root]);
  const child = new Deno.Command("git", {
    args: ["fast-import", "--quiet"],
    cwd: root,
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const files = Array.from({ length: deliverables }, () => `${HEADER}\n`);
  for (let c = 0; c < commits; c++) {
    const parts: string[] = [
      `commit refs/heads/main\nmark :${c + 1}\n`,
      `committer bench <bench@example.org> ${1767600000 + c * 60} +0000\n`,
      `data <<EOF\nrun ${c + 1}\nEOF\n`,
    ];
    if (c > 0) parts.push(`from :${c}\n`);
    await writer.write(encoder.encode(parts.join("")));
    for (let d = 0; d < deliverables; d++) {
      files[d] += `${encodeRecord(benchRecord(c * deliverables + d))}\n`;
      const bytes = encoder.encode(files[d]);
      const path = `PKG-01_Bench/1_Working/DEL-${
        String(d + 1).padStart(2, "0")
      }-01_Bench/RunRecords.csv`;
      await writer.write(encoder.encode(`M 100644 inline ${path}\ndata ${bytes.length}\n`));
      await writer.write(bytes);
      await writer.write(encoder.encode("\n"));
    }
  }
  await writer.close();
  const output = await child.output();
  if (output.code !== 0) {
    throw new Error(`git fast-import: ${new TextDecoder().decode(output.stderr)}`);
  }
  await runChecked("git", ["checkout", "-q", "main"], { cwd: root });
  const base = await runChecked("git", ["rev-list", "--max-parents=0", "HEAD"], {
    cwd: root,
    stdout: "piped",
  });
  return base.stdout.trim();
}

/** Benchmark 6. */
export const verifyHistoryBench: Benchmark = {
  id: 6,
  name: "verify-history",
  title: "runrec verify --since over a long history vs git log -p of the same range",
  async run(ctx: Context): Promise<Row[]> {
    const deliverables = ctx.quick ? 10 : 40;
    const commits = ctx.quick ? 50 : 150;
    const runs = ctx.quick ? 3 : 5;
    const root = join(ctx.tmp, "repo");
    ctx.progress(`generating ${deliverables} deliverables x ${commits} commits`);
    const base = await makeHistory(root, deliverables, commits);
    const variants: Record<string, [string, string[]]> = {
      verify: [ctx.deno, [
        "run",
        ...FULL_FLAGS,
        join(ctx.root, "src/cli/main.ts"),
        "verify",
        root,
        "--since",
        base,
      ]],
      gitLog: ["git", ["log", "-p", `${base}..HEAD`, "--", "*RunRecords.csv"]],
    };
    const times: Record<string, number[]> = { verify: [], gitLog: [] };
    // One warm-up round, then interleaved rounds.
    for (let round = 0; round <= runs; round++) {
      for (const [name, [program, args]] of Object.entries(variants)) {
        const { ms, stdout } = await runChecked(program, args, { cwd: root, stdout: "piped" });
        if (name === "verify" && !stdout.includes("K-APPEND-1 holds")) {
          throw new Error(`verify did not check the history: ${stdout.slice(0, 300)}`);
        }
        if (round > 0) times[name].push(ms);
      }
      ctx.progress(`round ${round}/${runs}`);
    }
    const verifyMs = median(times.verify);
    const gitMs = median(times.gitLog);
    const ratio = verifyMs / gitMs;
    const pass = ratio <= 2.0;
    const shape = `${deliverables} deliverables × ${commits} commits`;
    ctx.print(`  ${shape}, ${runs} runs each after a warm-up, interleaved, median`);
    ctx.print(
      `  runrec verify ROOT --since BASE   median ${formatMs(verifyMs)}   runs: ${
        formatRuns(times.verify)
      }`,
    );
    ctx.print(
      `  git log -p BASE..HEAD -- '*RunRecords.csv'   median ${formatMs(gitMs)}   runs: ${
        formatRuns(times.gitLog)
      }`,
    );
    ctx.print(`  ratio ${ratio.toFixed(2)}   target <= 2.00   ${pass ? "PASS" : "FAIL"}`);
    return [{
      bench: "6 verify-history",
      what: `\`runrec verify ROOT --since BASE\`, ${shape} (time)`,
      measured: formatMs(verifyMs),
      reference: `git log -p BASE..HEAD: ${formatMs(gitMs)}`,
      ratio: ratio.toFixed(2),
      target: "≤ 2.00",
      verdict: pass ? "PASS" : "FAIL",
    }];
  },
};
