/**
 * The test run of `deno task test`: each test file in a `deno test` process of
 * its own, two at a time (`--jobs N` for another number). The suite mostly
 * waits (on the processes it starts, on locks, on `fsync`): one `deno test`
 * keeps under one of two cores busy, two keep both. A process per file, not
 * `deno test --parallel`'s threads in one process, because some tests set
 * `TMPDIR` or `HOME` for the library calls they make in their own process.
 *
 * Each file's output is printed whole when it ends; then the totals, and the
 * command that runs again each file that failed. The files were type-checked
 * by `deno check` before (`deno task test`), so they run with `--no-check`.
 *
 * Usage: deno run -A scripts/test.ts [--jobs N] [FILE|DIR]...  (default: tests/)
 *
 * Exit code: 0 when every test passed; 1 otherwise.
 *
 * @module
 */
import { join, relative } from "node:path";
import { parseArgs, stripVTControlCharacters } from "node:util";

/** The permissions every test file runs with, as `deno task test` always gave them. */
const TEST_FLAGS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--allow-run",
  "--deny-net",
];

/**
 * The files that take longest (a minute or so on a 2-core machine) start
 * first, so that no long file starts last and leaves one core idle meanwhile.
 * A file left out of this list only costs time.
 */
const LONGEST_FIRST = [
  "large_history_test.ts",
  "git_dropped_test.ts",
  "verify_gone_test.ts",
  "hostile_test.ts",
  "propagate_test.ts",
  "run_races_test.ts",
  "scale_locks_test.ts",
  "read_only_finish_test.ts",
];

/** One file's run: what `deno test` printed and its counts. */
interface FileRun {
  file: string;
  code: number;
  output: string;
  passed: number;
  failed: number;
}

/** The files named, and the test files (`*_test.ts` and the like) directly in the folders named. */
function testFiles(paths: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (Deno.statSync(path).isFile) {
      files.push(path);
      continue;
    }
    for (const entry of Deno.readDirSync(path)) {
      if (entry.isFile && /(^|[._])test\.(ts|js|mts|mjs|tsx|jsx)$/.test(entry.name)) {
        files.push(join(path, entry.name));
      }
    }
  }
  const rank = (file: string) => {
    const i = LONGEST_FIRST.findIndex((name) => file.endsWith(`/${name}`) || file === name);
    return i === -1 ? LONGEST_FIRST.length : i;
  };
  return files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Runs one test file in a `deno test` process and gathers what it printed. */
async function runFile(file: string): Promise<FileRun> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--no-check", ...TEST_FLAGS, file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const output = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  // deno test's last line: "ok | 12 passed | 0 failed (3s)" (with colours unless NO_COLOR).
  const plain = stripVTControlCharacters(output);
  const summary = plain.match(/^(?:ok|FAILED) \| (\d+) passed.*?\| (\d+) failed/m);
  const passed = summary ? Number(summary[1]) : 0;
  const failed = summary ? Number(summary[2]) : 0;
  // A file that failed with no failed test (it did not load, or leaked) counts as one failure.
  return { file, code, output, passed, failed: code !== 0 ? Math.max(failed, 1) : failed };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { jobs: { type: "string" } },
    allowPositionals: true,
  });
  const jobs = Number(values.jobs ?? 2);
  if (!Number.isInteger(jobs) || jobs < 1) {
    console.error(`scripts/test.ts: --jobs ${values.jobs}: a whole number of at least 1`);
    Deno.exit(2);
  }
  const files = testFiles(positionals.length > 0 ? positionals : ["tests"]);
  const started = Date.now();
  const runs: FileRun[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, async () => {
    while (next < files.length) {
      const run = await runFile(files[next++]);
      runs.push(run);
      await Deno.stdout.write(new TextEncoder().encode(run.output));
    }
  }));

  const passed = runs.reduce((n, run) => n + run.passed, 0);
  const failedRuns = runs.filter((run) => run.code !== 0);
  const failed = failedRuns.reduce((n, run) => n + run.failed, 0);
  const seconds = Math.round((Date.now() - started) / 1000);
  const took = `${Math.floor(seconds / 60)}m${seconds % 60}s`;
  console.log(
    `\n${failed === 0 ? "ok" : "FAILED"} | ${passed} passed | ${failed} failed | ` +
      `${files.length} files, ${jobs} at a time (${took})`,
  );
  if (failedRuns.length > 0) {
    const names = failedRuns.map((run) => relative(Deno.cwd(), run.file)).join(" ");
    console.log(`failed in: ${names}`);
    console.log(`again: deno test ${TEST_FLAGS.join(" ")} ${names}`);
    Deno.exit(1);
  }
}
