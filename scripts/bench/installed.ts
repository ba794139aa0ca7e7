/**
 * Benchmark 9: the installed `runrec emit` (what `deno task install` puts on
 * PATH: the compiled binary, or the launcher over the bundle) against
 * `deno run` of an empty script, and against the way agents called runrec
 * before it was installable, `npx -y deno@2.9.6 task runrec emit ...` from the
 * checkout (informational).
 *
 * @module
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../../src/cli/permissions.ts";
import {
  type Benchmark,
  type Context,
  formatMs,
  formatRuns,
  median,
  type Row,
  runChecked,
  runCommand,
} from "./common.ts";
import { makeDeliverable } from "./emit.ts";

const EMIT = ["--agent", "X", "--status", "SUCCESS", "--input", "a.md", "--output", "b.md"];

/** Benchmark 9. */
export const installedEmit: Benchmark = {
  id: 9,
  name: "installed",
  title: "the installed runrec's emit vs deno run of an empty script, and vs npx deno task runrec",
  async run(ctx: Context): Promise<Row[]> {
    const runs = ctx.quick ? 9 : 45;
    const npxRuns = ctx.quick ? 3 : 9;
    const warmups = 2;
    const delDir = await makeDeliverable(join(ctx.tmp, "root"));
    const bin = join(ctx.tmp, "bin");
    ctx.progress(`installing into ${bin} with deno task install's script`);
    const install = await runChecked(
      ctx.deno,
      ["run", "-A", join(ctx.root, "scripts/install.ts"), "--dir", bin],
      { stdout: "piped" },
    );
    const how = /^ {2}runrec {12}(.*)$/m.exec(install.stdout)?.[1] ?? "installed";
    const empty = join(ctx.tmp, "empty.ts");
    await Deno.writeTextFile(empty, "// An empty script: deno's own start-up cost.\n");

    // Both run in the deliverable, as an agent does: `runrec emit . ...`.
    const variants: Record<string, [string, string[]]> = {
      empty: [ctx.deno, ["run", ...FULL_FLAGS, empty]],
      installed: [join(bin, "runrec"), ["emit", ".", ...EMIT]],
    };
    const times: Record<string, number[]> = { empty: [], installed: [] };
    await runCommand("sync", []).catch(() => ctx.progress("sync not available: not flushed"));
    ctx.progress(`warm-up: ${warmups} runs each, then ${runs} interleaved`);
    for (let round = -warmups; round < runs; round++) {
      const order = round % 2 === 0 ? ["empty", "installed"] : ["installed", "empty"];
      for (const name of order) {
        const [program, args] = variants[name];
        const { ms } = await runChecked(program, args, { cwd: delDir });
        if (round >= 0) times[name].push(ms);
      }
    }
    const emptyMs = median(times.empty);
    const installedMs = median(times.installed);
    const ratio = installedMs / emptyMs;
    const pass = ratio <= 2.0;

    // Today's way without an install: the npm wrapper and `deno task` from the checkout
    // (paths must be absolute there). Informational, and only where npx is at hand.
    ctx.progress(`npx -y deno@2.9.6 task runrec emit: ${npxRuns} runs`);
    const npxTimes: number[] = [];
    let npxProblem = "";
    for (let i = -1; i < npxRuns && npxProblem === ""; i++) {
      const ran = await runCommand(
        "npx",
        ["-y", "deno@2.9.6", "task", "runrec", "emit", delDir, ...EMIT],
        { cwd: ctx.root },
      ).catch((e) => ({ code: -1, ms: 0, stderr: (e as Error).message, stdout: "" }));
      if (ran.code !== 0) npxProblem = ran.stderr.trim().split("\n").pop() ?? `exit ${ran.code}`;
      else if (i >= 0) npxTimes.push(ran.ms);
    }

    ctx.print(`  ${runs} runs each after ${warmups} warm-ups, interleaved, median`);
    ctx.print(`  installed runrec: ${how}`);
    ctx.print(
      `  runrec emit . (installed, run in the deliverable)  median ${
        formatMs(installedMs)
      }   runs: ${formatRuns(times.installed)}`,
    );
    ctx.print(
      `  deno run FULL_FLAGS empty.ts                        median ${formatMs(emptyMs)}   runs: ${
        formatRuns(times.empty)
      }`,
    );
    ctx.print(`  ratio ${ratio.toFixed(2)}   target <= 2.00   ${pass ? "PASS" : "FAIL"}`);
    const rows: Row[] = [{
      bench: "9 installed",
      what: "installed `runrec emit .` (what `deno task install` put on PATH), median wall time",
      measured: formatMs(installedMs),
      reference: `deno run empty.ts: ${formatMs(emptyMs)}`,
      ratio: ratio.toFixed(2),
      target: "≤ 2.00",
      verdict: pass ? "PASS" : "FAIL",
    }];
    if (npxProblem === "") {
      const npxMs = median(npxTimes);
      ctx.print(
        `  npx -y deno@2.9.6 task runrec emit (before install) median ${formatMs(npxMs)}   runs: ${
          formatRuns(npxTimes)
        };  ${(npxMs / installedMs).toFixed(1)}x the installed command`,
      );
      rows.push({
        bench: "9 installed",
        what: "`npx -y deno@2.9.6 task runrec emit` from the checkout, median wall time",
        measured: formatMs(npxMs),
        reference: `installed runrec emit: ${formatMs(installedMs)}`,
        ratio: (npxMs / installedMs).toFixed(2),
        target: "— (informational)",
        verdict: "INFO",
      });
    } else {
      ctx.print(`  npx -y deno@2.9.6 task runrec emit: not measured (${npxProblem})`);
    }
    return rows;
  },
};
