/**
 * Benchmark 3: `runrec emit` end to end (a fresh `deno run` per record, as an
 * agent calls it) against `deno run` of an empty script with the same flags,
 * and a breakdown of where emit's extra time goes.
 *
 * @module
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../../src/cli/permissions.ts";
import { bundleCli } from "../compile.ts";
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

/**
 * A small deliverable in an execution root that is a git work tree (as in real
 * use); the emit benchmarks of the bundle and of the installed command share it.
 */
export async function makeDeliverable(root: string): Promise<string> {
  const delDir = join(root, "PKG-01_Bench", "1_Working", "DEL-01-02_Emit_Bench");
  await Deno.mkdir(delDir, { recursive: true });
  await Deno.mkdir(join(root, "PKG-01_Bench", "0_References"), { recursive: true });
  await Deno.writeTextFile(join(root, "INIT.md"), "# Bench execution root\n");
  await Deno.writeTextFile(
    join(root, "PKG-01_Bench", "0_References", "vendor-datasheet.txt"),
    "Vendor datasheet\n".repeat(200),
  );
  const files: Record<string, string> = {
    "_CONTEXT.md": "# Deliverable Context\n\n- **Deliverable ID:** DEL-01-02\n" +
      "- **Name:** Emit bench\n",
    "_STATUS.md": "# Status — DEL-01-02\n\n**Current State:** IN_PROGRESS\n",
    "_REFERENCES.md": "# References: DEL-01-02\n\n## Applicable References\n" +
      "- `a.md` — own input\n" +
      "- Vendor datasheet — Location: ../../0_References/vendor-datasheet.txt — data\n" +
      "- https://example.org/standard — external, not hashable\n",
    "a.md": "# Input\n\n" + "Some input text.\n".repeat(100),
    "b.md": "# Output\n\n" + "Some output text.\n".repeat(100),
  };
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(join(delDir, name), text);
  }
  // A git work tree with one commit, so emit finds a HEAD to record (read from .git's files).
  const git = (args: string[]) =>
    runCommand("git", ["-c", "user.name=bench", "-c", "user.email=bench@example.org", ...args], {
      cwd: root,
    });
  try {
    await git(["init", "-q"]);
    await git(["add", "-A"]);
    await git(["commit", "-q", "-m", "bench fixture"]);
  } catch { /* no git: emit records an empty GitHead, still a fair run */ }
  return delDir;
}

/** Benchmark 3. */
export const emitStartup: Benchmark = {
  id: 3,
  name: "emit",
  title: "runrec emit end to end vs deno run of an empty script",
  async run(ctx: Context): Promise<Row[]> {
    const runs = ctx.quick ? 9 : 45;
    const warmups = 2;
    const root = join(ctx.tmp, "root");
    const delDir = await makeDeliverable(root);
    ctx.progress("bundling the CLI as deno task compile does");
    const bundle = await bundleCli(join(ctx.tmp, "bundle"));
    const source = join(ctx.root, "src/cli/main.ts");
    const empty = join(ctx.tmp, "empty.ts");
    await Deno.writeTextFile(empty, "// An empty script: deno's own start-up cost.\n");
    const emitArgs = (main: string, extra: string[] = []) => [
      "run",
      ...FULL_FLAGS,
      main,
      "emit",
      delDir,
      "--agent",
      "X",
      "--status",
      "SUCCESS",
      "--input",
      "a.md",
      "--output",
      "b.md",
      ...extra,
    ];
    const variants: Record<string, string[]> = {
      empty: ["run", ...FULL_FLAGS, empty],
      bundle: emitArgs(bundle),
      source: emitArgs(source),
    };

    // emit fsyncs its record: on ext4 that waits for data the earlier benchmarks left dirty
    // (~1.4 GB), which measured 95 ms or 116 ms for the same emit. Flush it first.
    await runCommand("sync", []).catch(() => ctx.progress("sync not available: not flushed"));
    ctx.progress(`warm-up: ${warmups} runs each`);
    const times: Record<string, number[]> = { empty: [], bundle: [], source: [] };
    const names = Object.keys(variants);
    for (let round = -warmups; round < runs; round++) {
      if (round > 0 && round % 10 === 0) ctx.progress(`run ${round}/${runs}`);
      // The order turns each round, so no variant always runs right after the same other one.
      const turn = (round + warmups) % names.length;
      for (const name of [...names.slice(turn), ...names.slice(0, turn)]) {
        const args = variants[name];
        const { ms } = await runChecked(ctx.deno, args);
        if (round >= 0) times[name].push(ms);
      }
    }
    const records = (await Deno.readTextFile(join(delDir, "RunRecords.csv"))).split("\n")
      .filter((l) => l !== "").length - 1;
    if (records !== 2 * (warmups + runs)) {
      throw new Error(`RunRecords.csv holds ${records} records, expected ${2 * (warmups + runs)}`);
    }
    const emptyMs = median(times.empty);
    const ratio = median(times.bundle) / emptyMs;
    const sourceRatio = median(times.source) / emptyMs;
    const pass = ratio <= 2.0;
    ctx.print(
      `  ${runs} runs each after ${warmups} warm-ups, interleaved in turning order, median`,
    );
    ctx.print(
      `  runrec emit, as deno task compile ships it (its bundle, deno run FULL_FLAGS)  median ${
        formatMs(median(times.bundle))
      }   runs: ${formatRuns(times.bundle)}`,
    );
    ctx.print(
      `  runrec emit from source (deno task runrec: deno run FULL_FLAGS src/cli/main.ts) median ${
        formatMs(median(times.source))
      }   runs: ${formatRuns(times.source)}`,
    );
    ctx.print(
      `  deno run FULL_FLAGS empty.ts                                                 median ${
        formatMs(emptyMs)
      }   runs: ${formatRuns(times.empty)}`,
    );
    ctx.print(
      `  ratio (time emit / empty) ${ratio.toFixed(2)}   target <= 2.00   ${
        pass ? "PASS" : "FAIL"
      };  from source ${sourceRatio.toFixed(2)} (informational)`,
    );

    ctx.progress("breakdown: where the time goes");
    const breakdown = await diagnose(ctx, delDir, bundle, (extra) => emitArgs(bundle, extra));
    return [
      {
        bench: "3 emit",
        what:
          "`runrec emit` end to end as `deno task compile` ships it (the bundle), median wall time",
        measured: formatMs(median(times.bundle)),
        reference: `deno run empty.ts: ${formatMs(emptyMs)}`,
        ratio: ratio.toFixed(2),
        target: "≤ 2.00",
        verdict: pass ? "PASS" : "FAIL",
      },
      {
        bench: "3 emit",
        what: "`runrec emit` from source (`deno task runrec`), median wall time",
        measured: formatMs(median(times.source)),
        reference: `deno run empty.ts: ${formatMs(emptyMs)}`,
        ratio: sourceRatio.toFixed(2),
        target: "— (informational)",
        verdict: "INFO",
      },
      ...breakdown,
    ];
  },
};

/**
 * Splits emit's time into start-up, module loading and the work itself, each
 * measured as its own process, so a failed target comes with its cause.
 */
async function diagnose(
  ctx: Context,
  delDir: string,
  bundle: string,
  emitArgs: (extra?: string[]) => string[],
): Promise<Row[]> {
  const runs = ctx.quick ? 5 : 15;
  const hook = new URL("../../src/hook.ts", import.meta.url).href;

  // 1. `--version` (start-up and the bundle's entry chunk, no work); 2. emit without fsync.
  // Interleaved with the empty script.
  const variants: Record<string, string[]> = {
    empty: ["run", ...FULL_FLAGS, join(ctx.tmp, "empty.ts")],
    version: ["run", ...FULL_FLAGS, bundle, "--version"],
    noFsync: emitArgs(["--no-fsync"]),
  };
  const times: Record<string, number[]> = { empty: [], version: [], noFsync: [] };
  for (let round = 0; round <= runs; round++) {
    for (const [name, args] of Object.entries(variants)) {
      const { ms } = await runChecked(ctx.deno, args);
      if (round > 0) times[name].push(ms); // round 0 is a warm-up
    }
  }
  const emptyMs = median(times.empty);
  const versionMs = median(times.version);
  const noFsyncMs = median(times.noFsync);

  // 3. Inside one process (from source, where the steps can be imported one by one): runtime
  // ready, the emit modules loaded, then the first and second emit.
  const probe = join(ctx.tmp, "probe.ts");
  await Deno.writeTextFile(
    probe,
    `const ready = performance.now();
const { emitRecord } = await import(${JSON.stringify(hook)});
const loaded = performance.now();
const report = { agent: "X", status: "SUCCESS", inputs: ["a.md"], outputs: ["b.md"] };
await emitRecord(${JSON.stringify(delDir)}, report);
const first = performance.now();
await emitRecord(${JSON.stringify(delDir)}, report);
const second = performance.now();
console.log(JSON.stringify({ ready, load: loaded - ready, first: first - loaded, second: second - first }));
`,
  );
  const probes: Record<string, number>[] = [];
  const readyScript = join(ctx.tmp, "ready.ts");
  await Deno.writeTextFile(readyScript, "console.log(performance.now());\n");
  const emptyReadyMs: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const r = await runChecked(ctx.deno, ["run", ...FULL_FLAGS, probe], { stdout: "piped" });
    const e = await runChecked(ctx.deno, ["run", ...FULL_FLAGS, readyScript], { stdout: "piped" });
    if (i === 0) continue;
    probes.push(JSON.parse(r.stdout));
    emptyReadyMs.push(Number(e.stdout.trim()));
  }
  const p = (key: string) => median(probes.map((x) => x[key]));

  ctx.print(`  where the time goes (medians of ${runs} runs, each its own process):`);
  ctx.print(`    deno run empty.ts                          ${formatMs(emptyMs)}`);
  ctx.print(`    runrec --version (start-up, entry chunk)   ${formatMs(versionMs)}`);
  ctx.print(`    runrec emit --no-fsync                     ${formatMs(noFsyncMs)}`);
  ctx.print(
    `    in-process, from source: runtime ready at ${formatMs(p("ready"))} (empty script: ${
      formatMs(median(emptyReadyMs))
    }); emit's modules loaded in ${formatMs(p("load"))}; first emitRecord ${
      formatMs(p("first"))
    }; second ${formatMs(p("second"))}`,
  );
  return [
    {
      bench: "3 emit",
      what: "breakdown: `runrec --version` (start-up and entry chunk only)",
      measured: formatMs(versionMs),
      reference: `deno run empty.ts: ${formatMs(emptyMs)}`,
      ratio: (versionMs / emptyMs).toFixed(2),
      target: "— (informational)",
      verdict: "INFO",
    },
    {
      bench: "3 emit",
      what: "breakdown: `runrec emit --no-fsync`",
      measured: formatMs(noFsyncMs),
      reference: `deno run empty.ts: ${formatMs(emptyMs)}`,
      ratio: (noFsyncMs / emptyMs).toFixed(2),
      target: "— (informational)",
      verdict: "INFO",
    },
    {
      bench: "3 emit",
      what: "breakdown, from source in one process: emit's modules loaded; first `emitRecord`",
      measured: `${formatMs(p("load"))}; ${formatMs(p("first"))}`,
      reference: `second emitRecord: ${formatMs(p("second"))}`,
      ratio: "—",
      target: "— (informational)",
      verdict: "INFO",
    },
  ];
}
