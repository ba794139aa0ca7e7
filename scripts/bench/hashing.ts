/**
 * Benchmarks 1 and 2: SHA-256 of one large file against `openssl dgst
 * -sha256`, and of many small files against `sha256sum`, plus `runrec hash`
 * end to end on a deliverable whose `_REFERENCES.md` lists the small files.
 *
 * @module
 */
import { join } from "node:path";
import { hashFile, hashFiles } from "../../src/hash.ts";
import { FULL_FLAGS } from "../../src/cli/permissions.ts";
import {
  type Benchmark,
  best,
  type Context,
  formatBytes,
  formatCount,
  formatMs,
  formatRuns,
  median,
  randomBytes,
  type Row,
  runChecked,
  timeAsync,
  writeAll,
} from "./common.ts";

const MiB = 1024 * 1024;

/** Writes `size` bytes by repeating one 16 MiB random block. */
async function writeLargeFile(path: string, size: number): Promise<void> {
  const block = randomBytes(Math.min(16 * MiB, size));
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  for (let written = 0; written < size; written += block.length) {
    await writeAll(file, block.subarray(0, Math.min(block.length, size - written)));
  }
}

/** Reads a file once and throws the bytes away, so every timed run finds it in the page cache. */
async function warmRead(path: string): Promise<void> {
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(4 * MiB);
  while (await file.read(buffer) !== null) { /* discard */ }
}

/** Benchmark 1: `hashFile` against `openssl dgst -sha256` on a 1 GiB file. */
export const hashLarge: Benchmark = {
  id: 1,
  name: "hash-large",
  title: "SHA-256 of one large file: hashFile vs openssl dgst -sha256",
  async run(ctx: Context): Promise<Row[]> {
    const size = ctx.quick ? 256 * MiB : 1024 * MiB;
    const rounds = 3;
    const path = join(ctx.tmp, "large.bin");
    ctx.progress(`writing ${formatBytes(size)} (a 16 MiB random block repeated)`);
    await writeLargeFile(path, size);
    ctx.progress("warm-up: one read, one hashFile, one openssl");
    await warmRead(path);
    const ours = await hashFile(path);
    const openssl = await runChecked("openssl", ["dgst", "-sha256", "-r", path], {
      stdout: "piped",
    });
    const theirs = openssl.stdout.split(" ")[0];
    if (ours !== theirs) throw new Error(`hashFile ${ours} differs from openssl ${theirs}`);

    const runrecMs: number[] = [];
    const opensslMs: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      ctx.progress(`round ${round}/${rounds}`);
      runrecMs.push((await timeAsync(() => hashFile(path))).ms);
      opensslMs.push((await runChecked("openssl", ["dgst", "-sha256", path])).ms);
    }
    const mibs = size / MiB;
    const ourRate = mibs / (best(runrecMs) / 1000);
    const theirRate = mibs / (best(opensslMs) / 1000);
    const ratio = ourRate / theirRate;
    const pass = ratio >= 0.9;
    ctx.print(`  file: ${formatBytes(size)}, page cache warm, best of ${rounds} (interleaved)`);
    ctx.print(
      `  runrec hashFile       best ${formatMs(best(runrecMs))}  ${ourRate.toFixed(0)} MiB/s` +
        `   runs: ${formatRuns(runrecMs)}`,
    );
    ctx.print(
      `  openssl dgst -sha256  best ${formatMs(best(opensslMs))}  ${theirRate.toFixed(0)} MiB/s` +
        `   runs: ${formatRuns(opensslMs)}`,
    );
    ctx.print(
      `  ratio (throughput runrec / openssl) ${ratio.toFixed(2)}   target >= 0.90   ` +
        (pass ? "PASS" : "FAIL"),
    );
    return [{
      bench: "1 hash-large",
      what: `hashFile, ${formatBytes(size)} file (throughput)`,
      measured: `${ourRate.toFixed(0)} MiB/s (${formatMs(best(runrecMs))})`,
      reference: `openssl dgst -sha256: ${theirRate.toFixed(0)} MiB/s (${
        formatMs(best(opensslMs))
      })`,
      ratio: ratio.toFixed(2),
      target: "≥ 0.90",
      verdict: pass ? "PASS" : "FAIL",
    }];
  },
};

/** Writes `count` files of `size` random bytes in folders of 100; returns their paths. */
async function writeSmallFiles(dir: string, count: number, size: number): Promise<string[]> {
  const pool = randomBytes(size + count);
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const folder = join(dir, `d${String(Math.floor(i / 100)).padStart(3, "0")}`);
    if (i % 100 === 0) await Deno.mkdir(folder, { recursive: true });
    const path = join(folder, `f${String(i).padStart(5, "0")}.txt`);
    // A different window of the pool per file, so no two files are equal.
    await Deno.writeFile(path, pool.subarray(i, i + size));
    paths.push(path);
  }
  return paths;
}

/** Benchmark 2: `hashFiles` against `sha256sum` on many small files; `runrec hash` end to end. */
export const hashMany: Benchmark = {
  id: 2,
  name: "hash-many",
  title: "SHA-256 of many 4 KiB files: hashFiles vs sha256sum; runrec hash end to end",
  async run(ctx: Context): Promise<Row[]> {
    const count = ctx.quick ? 2_000 : 10_000;
    const rounds = ctx.quick ? 3 : 5;
    // An execution root holding the corpus and one deliverable that lists it.
    const root = join(ctx.tmp, "root");
    const corpus = join(root, "corpus");
    const delDir = join(root, "PKG-01_Bench", "1_Working", "DEL-01-01_Hash_Bench");
    await Deno.mkdir(delDir, { recursive: true });
    await Deno.writeTextFile(join(root, "INIT.md"), "# Bench execution root\n");
    await Deno.writeTextFile(
      join(delDir, "_CONTEXT.md"),
      "# Deliverable Context\n\n- **Deliverable ID:** DEL-01-01\n- **Name:** Hash bench\n",
    );
    await Deno.writeTextFile(
      join(delDir, "_REFERENCES.md"),
      "# References: DEL-01-01\n\n## Applicable References\n- [Corpus](../../../corpus/)\n",
    );
    ctx.progress(`writing ${formatCount(count)} files of 4 KiB`);
    const paths = await writeSmallFiles(corpus, count, 4096);
    const list = join(ctx.tmp, "files.list");
    await Deno.writeTextFile(list, paths.map((p) => `${p}\0`).join(""));
    const sha256sumArgs = ["-0", "-a", list, "sha256sum"];

    ctx.progress("warm-up and cross-check: hashFiles and sha256sum agree on every file");
    const ours = await hashFiles(paths);
    const theirs = await runChecked("xargs", sha256sumArgs, { stdout: "piped" });
    let checked = 0;
    for (const line of theirs.stdout.split("\n")) {
      if (line === "") continue;
      const hash = line.slice(0, 64);
      const path = line.slice(66);
      if (ours.get(path) !== hash) throw new Error(`hashFiles and sha256sum differ on ${path}`);
      checked++;
    }
    if (checked !== count) throw new Error(`sha256sum hashed ${checked} of ${count} files`);

    const runrecMs: number[] = [];
    const sumMs: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      ctx.progress(`round ${round}/${rounds}`);
      runrecMs.push((await timeAsync(() => hashFiles(paths))).ms);
      sumMs.push((await runChecked("xargs", sha256sumArgs)).ms);
    }
    const ratio = best(runrecMs) / best(sumMs);
    const pass = ratio <= 1.0;

    ctx.progress("runrec hash end to end (subprocess): 1 warm-up, 3 runs");
    const cliArgs = ["run", ...FULL_FLAGS, join(ctx.root, "src/cli/main.ts"), "hash", delDir];
    const warm = await runChecked(ctx.deno, [...cliArgs, "--json"], { stdout: "piped" });
    const hashed = Object.keys(JSON.parse(warm.stdout).InputHashes ?? {}).length;
    if (hashed !== count + 1) {
      throw new Error(`runrec hash listed ${hashed} inputs, expected ${count + 1}`);
    }
    const cliMs: number[] = [];
    for (let i = 0; i < 3; i++) cliMs.push((await runChecked(ctx.deno, cliArgs)).ms);
    const cliRatio = best(cliMs) / best(sumMs);

    ctx.print(
      `  ${formatCount(count)} files of 4 KiB, page cache warm, best of ${rounds} (interleaved)`,
    );
    ctx.print(
      `  runrec hashFiles (in-process)        best ${formatMs(best(runrecMs))}  median ${
        formatMs(median(runrecMs))
      }   runs: ${formatRuns(runrecMs)}`,
    );
    ctx.print(
      `  xargs -0 -a LIST sha256sum           best ${formatMs(best(sumMs))}  median ${
        formatMs(median(sumMs))
      }   runs: ${formatRuns(sumMs)}`,
    );
    ctx.print(
      `  ratio (time runrec / sha256sum) ${ratio.toFixed(2)}   target <= 1.00   ` +
        (pass ? "PASS" : "FAIL"),
    );
    ctx.print(
      `  runrec hash <del-dir> (subprocess, ${formatCount(count + 1)} inputs)  best ${
        formatMs(best(cliMs))
      }   runs: ${formatRuns(cliMs)}   vs sha256sum ${cliRatio.toFixed(2)}x   (informational)`,
    );
    return [
      {
        bench: "2 hash-many",
        what: `hashFiles, ${formatCount(count)} × 4 KiB (time)`,
        measured: formatMs(best(runrecMs)),
        reference: `sha256sum via xargs: ${formatMs(best(sumMs))}`,
        ratio: ratio.toFixed(2),
        target: "≤ 1.00",
        verdict: pass ? "PASS" : "FAIL",
      },
      {
        bench: "2 hash-many",
        what: `\`runrec hash\` end to end, ${formatCount(count + 1)} inputs (time)`,
        measured: formatMs(best(cliMs)),
        reference: `sha256sum via xargs: ${formatMs(best(sumMs))}`,
        ratio: cliRatio.toFixed(2),
        target: "— (informational)",
        verdict: "INFO",
      },
    ];
  },
};
