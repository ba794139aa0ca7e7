/**
 * `deno task bench`: runrec's performance targets, each measured against a
 * reference tool in the same run (openssl, sha256sum, `deno run` of an empty
 * script, Python's csv module, raw `O_APPEND` writes, `git log -p`).
 *
 * Usage: deno task bench [--quick] [--only NAME[,NAME]]... [--deno PATH]
 *
 * Prints, per benchmark, the measured numbers, the reference, the ratio, the
 * target and PASS/FAIL, then a Markdown summary table for docs/BENCHMARKS.md.
 * Progress goes to stderr. Exits 1 when a target fails (after printing
 * everything), 2 on a usage error.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { type Benchmark, type Context, firstLine, type Row } from "./bench/common.ts";
import { hashLarge, hashMany } from "./bench/hashing.ts";
import { emitStartup } from "./bench/emit.ts";
import { installedEmit } from "./bench/installed.ts";
import { validateLarge } from "./bench/validate.ts";
import { appendBySize, appendRate } from "./bench/append.ts";
import { verifyHistoryBench } from "./bench/verify_history.ts";
import { staleBench } from "./bench/stale.ts";

/**
 * Every benchmark, in the order they run: emit (and the installed command's) first, on a quiet disk. After the
 * hashing benchmarks wrote their gigabyte, emit's `fsync` took ~2 ms longer per
 * run even after a `sync` (`emit --no-fsync` measured 1.49×, `emit` 1.69×).
 */
export const BENCHMARKS: readonly Benchmark[] = [
  emitStartup,
  installedEmit,
  hashLarge,
  hashMany,
  validateLarge,
  appendRate,
  appendBySize,
  verifyHistoryBench,
  staleBench,
];

const USAGE = `Usage: deno task bench [--quick] [--only NAME[,NAME]]... [--deno PATH]

  --quick       smaller sizes and fewer repetitions
  --only NAME   run only these benchmarks (name or number): ${
  BENCHMARKS.map((b) => `${b.id} ${b.name}`).join(", ")
}
  --deno PATH   deno binary for subprocesses (default: the running one, which
                npx or deno task starts as the platform binary, not a wrapper)
`;

/**
 * The summary rows as a Markdown table.
 *
 * @example
 * ```ts
 * import { markdownTable } from "./bench.ts";
 * console.log(markdownTable([]));
 * ```
 */
export function markdownTable(rows: Row[]): string {
  const cell = (s: string) => s.replaceAll("|", "\\|");
  const lines = [
    "| # | Benchmark | runrec | Reference (same run) | Ratio | Target | Result |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${
        [r.bench, r.what, r.measured, r.reference, r.ratio, r.target, r.verdict].map(cell)
          .join(" | ")
      } |`,
    );
  }
  return lines.join("\n");
}

/**
 * Runs the selected benchmarks and prints their results; returns the exit code.
 *
 * @example
 * ```ts
 * import { bench } from "./bench.ts";
 * const code = await bench(["--quick", "--only", "append"]);
 * ```
 */
export async function bench(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        quick: { type: "boolean" },
        only: { type: "string", multiple: true },
        deno: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
  } catch (e) {
    console.error(`bench: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  const wanted = (parsed.values.only ?? []).flatMap((o) => o.split(",")).map((o) => o.trim());
  const unknown = wanted.filter((w) => !BENCHMARKS.some((b) => b.name === w || `${b.id}` === w));
  if (unknown.length > 0) {
    console.error(`bench: unknown benchmark ${unknown.join(", ")}\n${USAGE}`);
    return 2;
  }
  const selected = BENCHMARKS.filter((b) =>
    wanted.length === 0 || wanted.includes(b.name) || wanted.includes(`${b.id}`)
  );
  const root = fileURLToPath(new URL("..", import.meta.url));
  const deno = parsed.values.deno ?? Deno.execPath();
  const quick = parsed.values.quick ?? false;
  console.log(`runrec benchmarks${quick ? " (--quick)" : ""}: ${new Date().toISOString()}`);
  console.log(`deno for subprocesses: ${deno}`);
  console.log(`host: ${Deno.build.target}, ${navigator.hardwareConcurrency} CPUs`);

  const rows: Row[] = [];
  for (const benchmark of selected) {
    const tmp = await Deno.makeTempDir({ prefix: `runrec_bench_${benchmark.name}_` });
    const ctx: Context = {
      quick,
      deno,
      root,
      tmp,
      progress: (message) => console.error(`[${benchmark.name}] ${message}`),
      print: (message) => console.log(message),
    };
    console.log(`\n== ${benchmark.id}. ${benchmark.name}: ${benchmark.title} ==`);
    const started = performance.now();
    try {
      rows.push(...await benchmark.run(ctx));
    } catch (e) {
      const message = firstLine((e as Error).message ?? String(e));
      console.log(`  ERROR: ${message}`);
      rows.push({
        bench: `${benchmark.id} ${benchmark.name}`,
        what: benchmark.title,
        measured: `error: ${message.slice(0, 120)}`,
        reference: "—",
        ratio: "—",
        target: "—",
        verdict: "FAIL",
      });
    } finally {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      ctx.progress(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  }

  console.log("\n## Summary\n");
  console.log(markdownTable(rows));
  const failed = rows.filter((r) => r.verdict === "FAIL");
  const warned = rows.filter((r) => r.verdict === "WARN");
  console.log(
    `\n${failed.length === 0 ? "All targets met" : `${failed.length} target(s) failed`}` +
      (warned.length > 0 ? `; ${warned.length} warning(s)` : "") + ".",
  );
  return failed.length === 0 ? 0 : 1;
}

if (import.meta.main) {
  Deno.exit(await bench(Deno.args));
}
