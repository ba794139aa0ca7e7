/**
 * Benchmark 4: `runrec validate FILE --json` on a large record file against
 * Python's `csv` module reading the same file; peak RSS at two sizes to show
 * that memory stays flat; and an in-process split of the reader's time.
 *
 * @module
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../../src/cli/permissions.ts";
import { bundleCli } from "../compile.ts";
import { checksumMatches, decodeRecord } from "../../src/codec.ts";
import { readRecords } from "../../src/reader.ts";
import { validateRecord } from "../../src/schema.ts";
import {
  type Benchmark,
  best,
  type Context,
  formatBytes,
  formatCount,
  formatMB,
  formatMs,
  formatRuns,
  plain,
  type Row,
  runWithRss,
} from "./common.ts";
import { writeRecordFile } from "./records.ts";

const PYTHON_CSV = "import csv,sys; n=sum(1 for _ in csv.reader(open(sys.argv[1], newline='')))";
const RSS_LIMIT = 150e6;
const FLAT_LIMIT = 1.2;

/** One timed `runrec validate` run, checked: every record valid, none missing, no warning. */
async function validateOnce(
  ctx: Context,
  cli: string,
  file: string,
  count: number,
): Promise<{ ms: number; peakRss: number; cpuMs: number }> {
  const args = [
    "run",
    ...FULL_FLAGS,
    cli,
    "validate",
    file,
    "--json",
  ];
  const r = await runWithRss(ctx.deno, args, ctx.tmp, { stdout: "piped" });
  let summary: { records?: number; errors?: number; warnings?: number } = {};
  try {
    summary = JSON.parse(r.stdout);
  } catch { /* reported below */ }
  if (
    r.code !== 0 || summary.records !== count || summary.errors !== 0 || summary.warnings !== 0
  ) {
    throw new Error(
      `runrec validate exited ${r.code} with records=${summary.records} errors=${summary.errors}` +
        ` warnings=${summary.warnings} (expected ${count}, 0, 0): ${
          plain(r.stderr || r.stdout).trim().slice(0, 300)
        }`,
    );
  }
  return { ms: r.ms, peakRss: r.peakRss, cpuMs: r.cpuMs };
}

/** One timed run of Python's csv reader over the file. */
async function pythonOnce(
  ctx: Context,
  file: string,
): Promise<{ ms: number; peakRss: number; cpuMs: number }> {
  const r = await runWithRss("python3", ["-c", PYTHON_CSV, file], ctx.tmp);
  if (r.code !== 0) throw new Error(`python3 csv exited ${r.code}: ${r.stderr.slice(0, 300)}`);
  return { ms: r.ms, peakRss: r.peakRss, cpuMs: r.cpuMs };
}

/** Benchmark 4. */
export const validateLarge: Benchmark = {
  id: 4,
  name: "validate",
  title: "runrec validate of a large file vs Python csv; peak RSS, flat with size",
  async run(ctx: Context): Promise<Row[]> {
    const small = ctx.quick ? 100_000 : 1_000_000;
    const large = small * 4;
    const rounds = 2;
    const file = join(ctx.tmp, "RunRecords.csv");
    ctx.progress("bundling the CLI as deno task compile does");
    const cli = await bundleCli(join(ctx.tmp, "bundle"));
    const progress = (what: string) => (done: number) => {
      if (done % 250_000 < 16_000) ctx.progress(`${what}: ${formatCount(done)} records`);
    };

    ctx.progress(`generating ${formatCount(small)} records`);
    const smallBytes = await writeRecordFile(file, small, { progress: progress("generating") });
    const validateRuns: { ms: number; peakRss: number; cpuMs: number }[] = [];
    const pythonRuns: { ms: number; peakRss: number; cpuMs: number }[] = [];
    for (let round = 1; round <= rounds; round++) {
      ctx.progress(`${formatCount(small)} records: round ${round}/${rounds} (validate, python)`);
      validateRuns.push(await validateOnce(ctx, cli, file, small));
      pythonRuns.push(await pythonOnce(ctx, file));
    }

    const stages = await readerStages(ctx, ctx.quick ? 20_000 : 100_000);

    ctx.progress(`extending the file to ${formatCount(large)} records`);
    const largeBytes = smallBytes +
      await writeRecordFile(file, large, { from: small, progress: progress("extending") });
    ctx.progress(`${formatCount(large)} records: validate`);
    const largeRun = await validateOnce(ctx, cli, file, large);

    const ourMs = best(validateRuns.map((r) => r.ms));
    const pyMs = best(pythonRuns.map((r) => r.ms));
    const smallRss = Math.max(...validateRuns.map((r) => r.peakRss));
    // CPU time of the fastest run of each: runrec spreads the work over the cores, Python does not.
    const ourCpu = validateRuns.reduce((a, b) => (b.ms < a.ms ? b : a)).cpuMs;
    const pyCpu = pythonRuns.reduce((a, b) => (b.ms < a.ms ? b : a)).cpuMs;
    const pyRss = Math.max(...pythonRuns.map((r) => r.peakRss));
    const speedRatio = ourMs / pyMs;
    const flat = largeRun.peakRss / smallRss;
    const verdict = (ok: boolean) => ok ? "PASS" : "FAIL";

    ctx.print(
      `  ${formatCount(small)} records (${
        formatBytes(smallBytes)
      }), page cache warm, best of ${rounds}`,
    );
    ctx.print(
      `  runrec validate --json   best ${formatMs(ourMs)}  ${
        formatCount(small / (ourMs / 1000))
      } records/s  peak RSS ${formatMB(smallRss)}   runs: ${
        formatRuns(validateRuns.map((r) => r.ms))
      }`,
    );
    ctx.print(
      `  python3 csv.reader       best ${formatMs(pyMs)}  ${
        formatCount(small / (pyMs / 1000))
      } records/s  peak RSS ${formatMB(pyRss)}   runs: ${formatRuns(pythonRuns.map((r) => r.ms))}`,
    );
    ctx.print(
      `  ratio (time validate / python) ${speedRatio.toFixed(2)}   target < 1.00   ${
        verdict(speedRatio < 1)
      }`,
    );
    ctx.print(
      `  CPU time (user + system, all threads): validate ${formatMs(ourCpu)}, python ${
        formatMs(pyCpu)
      }, ratio ${(ourCpu / pyCpu).toFixed(2)} (informational: validate uses every core)`,
    );
    ctx.print(
      `  ${formatCount(large)} records (${formatBytes(largeBytes)}): validate ${
        formatMs(largeRun.ms)
      }  peak RSS ${formatMB(largeRun.peakRss)}`,
    );
    ctx.print(
      `  peak RSS ${formatMB(smallRss)} -> ${formatMB(largeRun.peakRss)}: x${
        flat.toFixed(2)
      } for x4 records   targets: <= 150 MB ${
        verdict(Math.max(smallRss, largeRun.peakRss) <= RSS_LIMIT)
      }, <= x1.2 ${verdict(flat <= FLAT_LIMIT)}`,
    );
    ctx.print(stages.text);

    const n = formatCount(small);
    const n4 = formatCount(large);
    return [
      {
        bench: "4 validate",
        what: `\`runrec validate --json\`, ${n} records (time)`,
        measured: `${formatMs(ourMs)} (${formatCount(small / (ourMs / 1000))} rec/s)`,
        reference: `python3 csv.reader: ${formatMs(pyMs)}`,
        ratio: speedRatio.toFixed(2),
        target: "< 1.00",
        verdict: verdict(speedRatio < 1),
      },
      {
        bench: "4 validate",
        what: `CPU time (user + system, all threads), ${n} records`,
        measured: formatMs(ourCpu),
        reference: `python3 csv.reader: ${formatMs(pyCpu)}`,
        ratio: (ourCpu / pyCpu).toFixed(2),
        target: "— (informational)",
        verdict: "INFO",
      },
      {
        bench: "4 validate",
        what: `peak RSS, ${n} records`,
        measured: formatMB(smallRss),
        reference: `python3 csv.reader: ${formatMB(pyRss)}`,
        ratio: "—",
        target: "≤ 150 MB",
        verdict: verdict(smallRss <= RSS_LIMIT),
      },
      {
        bench: "4 validate",
        what: `peak RSS, ${n4} records (time ${formatMs(largeRun.ms)})`,
        measured: formatMB(largeRun.peakRss),
        reference: `${n} records: ${formatMB(smallRss)}`,
        ratio: flat.toFixed(2),
        target: "≤ 150 MB and ratio ≤ 1.20",
        verdict: verdict(largeRun.peakRss <= RSS_LIMIT && flat <= FLAT_LIMIT),
      },
      ...stages.rows,
    ];
  },
};

/**
 * Where the reader's time goes, in this process, on a file of `sample` records:
 * checksum only; plus UTF-8 decode and `decodeRecord`; plus `validateRecord`;
 * and the full `readRecords` stream.
 */
async function readerStages(
  ctx: Context,
  sample: number,
): Promise<{ text: string; rows: Row[] }> {
  ctx.progress(`reader stages on the first ${formatCount(sample)} records (in-process)`);
  const part = join(ctx.tmp, "sample.csv");
  await writeRecordFile(part, sample);
  const text = await Deno.readTextFile(part);
  const lines = text.split("\n").slice(1, -1);
  const time = (fn: () => void) => {
    fn(); // warm-up
    const start = performance.now();
    fn();
    return performance.now() - start;
  };
  const checksum = time(() => {
    for (const line of lines) if (!checksumMatches(line)) throw new Error("bad checksum");
  });
  const decode = time(() => {
    for (const line of lines) decodeRecord(line);
  });
  const records = lines.map(decodeRecord);
  const validate = time(() => {
    for (const r of records) if (validateRecord(r).length) throw new Error("invalid");
  });
  let stream = 0;
  for (let i = 0; i < 2; i++) {
    const start = performance.now();
    let count = 0;
    for await (const event of readRecords(part)) if (event.kind === "record") count++;
    stream = performance.now() - start;
    if (count !== lines.length) throw new Error(`readRecords gave ${count} records`);
  }
  await Deno.remove(part);
  const us = (ms: number) => `${(ms * 1000 / lines.length).toFixed(1)} µs`;
  return {
    text: `  reader stages per record (in-process, ${formatCount(sample)} records): ` +
      `checksum ${us(checksum)}, decodeRecord ${us(decode)}, validateRecord ${us(validate)}; ` +
      `full readRecords stream ${us(stream)} (${formatMs(stream)})`,
    rows: [{
      bench: "4 validate",
      what: "breakdown per record: checksum / decodeRecord / validateRecord / readRecords",
      measured: `${us(checksum)} / ${us(decode)} / ${us(validate)} / ${us(stream)}`,
      reference: "—",
      ratio: "—",
      target: "— (informational)",
      verdict: "INFO",
    }],
  };
}
