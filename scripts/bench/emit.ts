/**
 * Benchmark 3: `runrec emit` end to end (a fresh `deno run` per record, as an
 * agent calls it) against `deno run` of an empty script with the same flags,
 * and a breakdown of where emit's extra time goes.
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

/** A small deliverable in an execution root that is a git work tree (as in real use). */
async function makeDeliverable(root: string): Promise<string> {
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
  // A git work tree with one commit, so emit's `git rev-parse HEAD` finds a HEAD.
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
    const runs = ctx.quick ? 7 : 15;
    const warmups = 2;
    const root = join(ctx.tmp, "root");
    const delDir = await makeDeliverable(root);
    const main = join(ctx.root, "src/cli/main.ts");
    const empty = join(ctx.tmp, "empty.ts");
    await Deno.writeTextFile(empty, "// An empty script: deno's own start-up cost.\n");
    const emitArgs = (extra: string[] = []) => [
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
    const emptyArgs = ["run", ...FULL_FLAGS, empty];

    // emit fsyncs its record: on ext4 that waits for data the earlier benchmarks left dirty
    // (~1.4 GB), which measured 95 ms or 116 ms for the same emit. Flush it first.
    await runCommand("sync", []).catch(() => ctx.progress("sync not available: not flushed"));
    ctx.progress(`warm-up: ${warmups} runs each`);
    for (let i = 0; i < warmups; i++) {
      await runChecked(ctx.deno, emitArgs());
      await runChecked(ctx.deno, emptyArgs);
    }
    const emitMs: number[] = [];
    const emptyMs: number[] = [];
    for (let i = 1; i <= runs; i++) {
      if (i % 5 === 0) ctx.progress(`run ${i}/${runs}`);
      emitMs.push((await runChecked(ctx.deno, emitArgs())).ms);
      emptyMs.push((await runChecked(ctx.deno, emptyArgs)).ms);
    }
    const records = (await Deno.readTextFile(join(delDir, "RunRecords.csv"))).split("\n")
      .filter((l) => l !== "").length - 1;
    if (records !== warmups + runs) {
      throw new Error(`RunRecords.csv holds ${records} records, expected ${warmups + runs}`);
    }
    const ratio = median(emitMs) / median(emptyMs);
    const pass = ratio <= 1.5;
    ctx.print(`  ${runs} runs each after ${warmups} warm-ups, interleaved, median`);
    ctx.print(
      `  runrec emit (deno run FULL_FLAGS src/cli/main.ts emit ...)  median ${
        formatMs(median(emitMs))
      }   runs: ${formatRuns(emitMs)}`,
    );
    ctx.print(
      `  deno run FULL_FLAGS empty.ts                              median ${
        formatMs(median(emptyMs))
      }   runs: ${formatRuns(emptyMs)}`,
    );
    ctx.print(
      `  ratio (time emit / empty) ${ratio.toFixed(2)}   target <= 1.50   ${
        pass ? "PASS" : "FAIL"
      }`,
    );

    ctx.progress("breakdown: where the time goes");
    const breakdown = await diagnose(ctx, delDir, emitArgs);
    return [
      {
        bench: "3 emit",
        what: "`runrec emit` end to end, median wall time",
        measured: formatMs(median(emitMs)),
        reference: `deno run empty.ts: ${formatMs(median(emptyMs))}`,
        ratio: ratio.toFixed(2),
        target: "≤ 1.50",
        verdict: pass ? "PASS" : "FAIL",
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
  emitArgs: (extra?: string[]) => string[],
): Promise<Row[]> {
  const runs = ctx.quick ? 5 : 9;
  const main = join(ctx.root, "src/cli/main.ts");
  const hook = new URL("../../src/hook.ts", import.meta.url).href;
  const mainUrl = new URL("../../src/cli/main.ts", import.meta.url).href;

  // 1. Module graph size (deno info) and load cost of the whole CLI (`--version` does no work).
  let moduleCount = "?";
  const info = await runCommand(ctx.deno, ["info", "--json", main], { stdout: "piped" });
  if (info.code === 0) {
    const modules = (JSON.parse(info.stdout).modules ?? []) as { specifier: string }[];
    const local = modules.filter((m) => m.specifier.startsWith("file:")).length;
    moduleCount = `${modules.length} modules (${local} local files, ${
      modules.length - local
    } node:/npm:)`;
  }

  // 2. node: built-ins alone; 3. emit without fsync. All interleaved with the empty script.
  const nodeScript = join(ctx.tmp, "node_builtins.ts");
  await Deno.writeTextFile(
    nodeScript,
    'import "node:crypto";\nimport "node:fs";\nimport "node:path";\nimport "node:util";\n' +
      'import "node:process";\n',
  );
  const variants: Record<string, string[]> = {
    empty: ["run", ...FULL_FLAGS, join(ctx.tmp, "empty.ts")],
    node: ["run", ...FULL_FLAGS, nodeScript],
    version: ["run", ...FULL_FLAGS, main, "--version"],
    noFsync: emitArgs(["--no-fsync"]),
  };
  const times: Record<string, number[]> = { empty: [], node: [], version: [], noFsync: [] };
  for (let round = 0; round <= runs; round++) {
    for (const [name, args] of Object.entries(variants)) {
      const { ms } = await runChecked(ctx.deno, args);
      if (round > 0) times[name].push(ms); // round 0 is a warm-up
    }
  }
  const emptyMs = median(times.empty);
  const nodeMs = median(times.node);
  const versionMs = median(times.version);
  const noFsyncMs = median(times.noFsync);

  // 4. One `git rev-parse` as emit starts it.
  const gitMs: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const r = await runCommand("git", ["rev-parse", "--verify", "-q", "HEAD"], { cwd: delDir });
    if (i > 0) gitMs.push(r.ms);
  }

  // 5. Inside one process: runtime ready, node: built-ins, the CLI's own modules, then
  // the first and second emit.
  const probe = join(ctx.tmp, "probe.ts");
  await Deno.writeTextFile(
    probe,
    `const ready = performance.now();
for (const m of ["node:crypto", "node:fs", "node:path", "node:util", "node:process"]) await import(m);
const nodeLoaded = performance.now();
await import(${JSON.stringify(mainUrl)});
const { emitRecord } = await import(${JSON.stringify(hook)});
const loaded = performance.now();
const report = { agent: "X", status: "SUCCESS", inputs: ["a.md"], outputs: ["b.md"] };
await emitRecord(${JSON.stringify(delDir)}, report);
const first = performance.now();
await emitRecord(${JSON.stringify(delDir)}, report);
const second = performance.now();
await emitRecord(${JSON.stringify(delDir)}, report, { fsync: false });
const third = performance.now();
console.log(JSON.stringify({ ready, node: nodeLoaded - ready, load: loaded - nodeLoaded, first: first - loaded,
  second: second - first, secondNoFsync: third - second }));
`,
  );
  const probes: Record<string, number>[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const r = await runChecked(ctx.deno, ["run", ...FULL_FLAGS, probe], { stdout: "piped" });
    if (i > 0) probes.push(JSON.parse(r.stdout));
  }
  const p = (key: string) => median(probes.map((x) => x[key]));
  const emptyReady = await (async () => {
    const readyScript = join(ctx.tmp, "ready.ts");
    await Deno.writeTextFile(readyScript, "console.log(performance.now());\n");
    const values: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
      const r = await runChecked(ctx.deno, ["run", ...FULL_FLAGS, readyScript], {
        stdout: "piped",
      });
      if (i > 0) values.push(Number(r.stdout.trim()));
    }
    return median(values);
  })();

  ctx.print(`  where the time goes (medians of ${runs} runs, each its own process):`);
  ctx.print(`    deno run empty.ts                         ${formatMs(emptyMs)}`);
  ctx.print(`    deno run node-builtins.ts (5 node: mods)  ${formatMs(nodeMs)}`);
  ctx.print(
    `    deno run main.ts --version (load only)    ${formatMs(versionMs)}   graph: ${moduleCount}`,
  );
  ctx.print(`    runrec emit --no-fsync                    ${formatMs(noFsyncMs)}`);
  ctx.print(`    git rev-parse HEAD (one spawn)            ${formatMs(median(gitMs))}`);
  ctx.print(
    `    in-process: runtime ready at ${formatMs(emptyReady)} (empty script) / ${
      formatMs(p("ready"))
    } (probe); import of 5 node: built-ins ${formatMs(p("node"))}; then the CLI's local modules ${
      formatMs(p("load"))
    }; first emitRecord ${formatMs(p("first"))}; second ${
      formatMs(p("second"))
    }; second without fsync ${formatMs(p("secondNoFsync"))}`,
  );
  return [
    {
      bench: "3 emit",
      what: "breakdown: `main.ts --version` (start-up + module load only)",
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
      what: "breakdown: import of node:crypto/fs/path/util/process, then the CLI's local modules",
      measured: `${formatMs(p("node"))} + ${formatMs(p("load"))}`,
      reference: `runtime ready at ${formatMs(emptyReady)}`,
      ratio: "—",
      target: "— (informational)",
      verdict: "INFO",
    },
    {
      bench: "3 emit",
      what: "breakdown: first `emitRecord` call in a fresh process (in-process timer)",
      measured: formatMs(p("first")),
      reference: `second call: ${formatMs(p("second"))}; git rev-parse: ${formatMs(median(gitMs))}`,
      ratio: "—",
      target: "— (informational)",
      verdict: "INFO",
    },
  ];
}
