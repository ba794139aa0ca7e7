/**
 * The test run of `deno task test`: each test file in a `deno test` process of
 * its own, three at a time (`--jobs N` for another number). The suite mostly
 * waits (on the processes it starts, on locks, on `fsync`, on deadlines): its
 * files take about a third of their wall time in CPU, so two at a time left
 * one of two cores idle and three keep both about busy. A process per file, not
 * `deno test --parallel`'s threads in one process, because some tests set
 * `TMPDIR` or `HOME` for the library calls they make in their own process.
 *
 * Each file's output is printed whole when it ends; then the ten slowest files
 * with their wall seconds, the totals, and the command that runs again each
 * file that failed. Stopped by SIGINT or SIGTERM
 * (a time limit), it prints what each file still running printed so far and
 * names it. The files were type-checked
 * by `deno check` before (`deno task test`), so they run with `--no-check`.
 *
 * The CLI processes the tests start run a bundle of the CLI built once here
 * (`RUNREC_TEST_CLI`, read by `tests/support/cli_entry.ts`), the code an
 * install runs: a process of it loads a few files, not each module of `src/`.
 *
 * Usage: deno run -A scripts/test.ts [--jobs N] [FILE|DIR]...  (default: tests/)
 *
 * Exit code: 0 when every test passed; 1 otherwise; 2 for a usage error (an
 * unknown option, a file or folder not there), said in one line.
 *
 * @module
 */
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, stripVTControlCharacters } from "node:util";
import { TEST_CLI_VAR } from "../tests/support/cli_entry.ts";

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
 * The files that take longest (20 s to two minutes on a 2-core machine, in
 * the order stop 55 measured them one at a time) start first, so that no long file
 * starts among the last and leaves one core idle while it ends. A file left
 * out of this list only costs time.
 */
const LONGEST_FIRST = [
  "large_history_test.ts",
  "record_size_test.ts",
  "propagate_test.ts",
  "git_dropped_test.ts",
  "scale_locks_test.ts",
  "run_races_test.ts",
  "fault_test.ts",
  "contention_test.ts",
  "verify_gone_test.ts",
  "ci_recipe_test.ts",
  "annotate_history_test.ts",
  "cli_read_test.ts",
  "install_test.ts",
  "read_only_finish_test.ts",
  "soak_test.ts",
  "soak_runs_test.ts",
  "spool_test.ts",
  "lock_test.ts",
  "hostile_test.ts",
  "emit_test.ts",
  "start_finish_test.ts",
  "stale_test.ts",
  "build_test.ts",
  "newuser46_test.ts",
  "exec_test.ts",
  "run_evidence_test.ts",
  "inputs_from_test.ts",
  "newuser51_test.ts",
];

/** One file's run: what `deno test` printed and its counts. */
interface FileRun {
  file: string;
  code: number;
  output: string;
  passed: number;
  failed: number;
  /** Wall seconds its `deno test` took. */
  seconds: number;
}

/** The files named, and the test files (`*_test.ts` and the like) directly in the folders named. */
function testFiles(paths: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(path);
    } catch (e) {
      throw new Error(`${path}: ${e instanceof Deno.errors.NotFound ? "not there" : e}`);
    }
    if (info.isFile) {
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

/** The files whose `deno test` runs now, with what each printed so far. */
const running = new Map<string, { child: Deno.ChildProcess; chunks: Uint8Array[] }>();

/** Set by SIGINT or SIGTERM: no file starts after it, and the files it ends print once. */
let stopping = false;

/** Where the test run's bundle of the CLI goes: beside the install's, under the ignored `dist/`. */
const TEST_BUNDLE = join(fileURLToPath(new URL("..", import.meta.url)), "dist", "test-bundle");

/**
 * Builds the test run's bundle of the CLI and returns its entry point. In a process of its own,
 * which may write: this script runs without `--allow-write` (`deno task test`).
 */
async function testBundle(): Promise<string> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      "--deny-net",
      join(root, "tests", "support", "test_bundle.ts"),
      TEST_BUNDLE,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (code !== 0) {
    console.error(
      `scripts/test.ts: the CLI's bundle was not built: ${decoder.decode(stderr).trim()}`,
    );
    Deno.exit(1);
  }
  return decoder.decode(stdout).trim();
}

/** Runs one test file in a `deno test` process, its CLI processes on `cli`, and gathers what it printed. */
async function runFile(file: string, cli: string): Promise<FileRun> {
  const started = Date.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "--no-check", ...TEST_FLAGS, file],
    env: { [TEST_CLI_VAR]: cli },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Both streams in the order they came: what a file printed is there to show if the run is
  // stopped before the file ends (a CI time limit on a file that hangs).
  const chunks: Uint8Array[] = [];
  running.set(file, { child, chunks });
  const gather = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) chunks.push(chunk);
  };
  const [status] = await Promise.all([child.status, gather(child.stdout), gather(child.stderr)]);
  running.delete(file);
  let output = decoded(chunks);
  // deno test's last line: "ok | 12 passed | 0 failed (3s)" (with colours unless NO_COLOR); the
  // last such line, as a test may print one of its own.
  const plain = stripVTControlCharacters(output);
  const summary = [...plain.matchAll(/^(?:ok|FAILED) \| (\d+) passed.*?\| (\d+) failed/gm)].at(-1);
  const passed = summary ? Number(summary[1]) : 0;
  const failed = summary ? Number(summary[2]) : 0;
  if (status.signal !== null) output += `\n${file}: deno test was killed by ${status.signal}\n`;
  else if (!status.success && summary === undefined) {
    output += `\n${file}: deno test exited ${status.code} before its summary\n`;
  }
  // A file that failed with no failed test (it did not load, or leaked) counts as one failure.
  const code = status.code;
  const failedCount = code !== 0 ? Math.max(failed, 1) : failed;
  const seconds = Math.round((Date.now() - started) / 1000);
  return { file, code, output, passed, failed: failedCount, seconds };
}

/** The bytes of `chunks` as text. */
function decoded(chunks: Uint8Array[]): string {
  const decoder = new TextDecoder();
  return chunks.map((chunk) => decoder.decode(chunk, { stream: true })).join("") +
    decoder.decode();
}

/**
 * On SIGINT or SIGTERM (a CI time limit): what each file still running printed so far and its
 * name, its `deno test` ended, and exit 1, so that a file that hangs is named, not lost unseen.
 */
function stopOnSignals(started: number): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, async () => {
      if (stopping) return;
      stopping = true;
      const left = [...running.entries()];
      const seconds = Math.round((Date.now() - started) / 1000);
      for (const [file, { child, chunks }] of left) {
        try {
          child.kill("SIGKILL");
        } catch { /* ended meanwhile */ }
        await child.status;
        await Deno.stdout.write(
          new TextEncoder().encode(
            `${decoded(chunks)}\n${file}: still running after ${seconds}s when ${signal} came: ` +
              "stopped\n",
          ),
        );
      }
      const names = left.map(([file]) => relative(Deno.cwd(), file)).join(" ");
      console.log(`\nFAILED | stopped by ${signal} | still running: ${names || "none"}`);
      Deno.exit(1);
    });
  }
}

/** Says `problem` and the usage in one line, and exits 2: not a test that failed (1). */
function usageError(problem: string): never {
  console.error(`scripts/test.ts: ${problem} (usage: ${USAGE})`);
  Deno.exit(2);
}

const USAGE = "deno run -A scripts/test.ts [--jobs N] [FILE|DIR]...";

if (import.meta.main) {
  let parsed;
  try {
    parsed = parseArgs({
      args: Deno.args,
      options: { jobs: { type: "string" } },
      allowPositionals: true,
    });
  } catch (e) {
    usageError((e as Error).message.split(". ")[0]); // parseArgs' first sentence names the option
  }
  const { values, positionals } = parsed;
  const jobs = Number(values.jobs ?? 3);
  if (!Number.isInteger(jobs) || jobs < 1) {
    usageError(`--jobs ${values.jobs}: a whole number of at least 1`);
  }
  let files: string[];
  try {
    files = testFiles(positionals.length > 0 ? positionals : ["tests"]);
  } catch (e) {
    usageError((e as Error).message);
  }
  const started = Date.now();
  stopOnSignals(started);
  // Built for each run, so the tests never run a bundle older than `src/` (~1 CPU second).
  const cli = await testBundle();
  console.log(`the tests' CLI processes run ${relative(Deno.cwd(), cli)}, bundled from src/ now`);
  const runs: FileRun[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, async () => {
    while (next < files.length && !stopping) {
      const run = await runFile(files[next++], cli);
      runs.push(run);
      if (!stopping) await Deno.stdout.write(new TextEncoder().encode(run.output));
    }
  }));
  if (stopping) await new Promise<never>(() => {}); // the signal's listener prints and exits

  const passed = runs.reduce((n, run) => n + run.passed, 0);
  const failedRuns = runs.filter((run) => run.code !== 0);
  const failed = failedRuns.reduce((n, run) => n + run.failed, 0);
  const seconds = Math.round((Date.now() - started) / 1000);
  const took = `${Math.floor(seconds / 60)}m${seconds % 60}s`;
  // The files that bound the run's time, for LONGEST_FIRST and for a run that grew slower.
  const slowest = [...runs].sort((a, b) => b.seconds - a.seconds).slice(0, 10);
  console.log(
    `\nslowest files: ${
      slowest.map((run) => `${relative(Deno.cwd(), run.file)} ${run.seconds}s`).join(", ")
    }`,
  );
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
