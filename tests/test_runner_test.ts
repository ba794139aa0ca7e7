/**
 * `scripts/test.ts`, the test run of `deno task test`, given test files that
 * misbehave: one printing a summary line of its own, one killed, one that
 * hangs until the run is stopped. Its totals, exit code and output say which
 * file did what.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/test_runner_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { ROOT, tempDir } from "./fixtures.ts";

const RUNNER = join(ROOT, "scripts", "test.ts");

/** `scripts/test.ts` on `files`, started (its output piped), with `env` added. */
function startRunner(files: string[], env: Record<string, string> = {}): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-run", "--allow-env", "--deny-net", RUNNER, ...files],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Writes the test file `name` holding `text` in `dir`; returns its path. */
async function testFile(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("test runner: a file's own 'ok | 5 passed' line is not its summary, and a file killed is named with its signal (review-43 F2)", async () => {
  const dir = await tempDir();
  const printer = await testFile(
    dir,
    "prints_summary_test.ts",
    'console.log("ok | 5 passed | 0 failed (1s)");\n' +
      'Deno.test("fails", () => {\n  throw new Error("boom");\n});\n',
  );
  const killed = await testFile(
    dir,
    "killed_test.ts",
    'Deno.test("killed", () => {\n  Deno.kill(Deno.pid, "SIGKILL");\n});\n',
  );
  const { code, stdout } = await startRunner([printer, killed]).output();
  const output = new TextDecoder().decode(stdout);
  assertEquals(code, 1, output);
  // Before: "FAILED | 5 passed | 2 failed", the printed line taken for the file's summary.
  assertIncludes(output, "\nFAILED | 0 passed | 2 failed | 2 files, 3 at a time (");
  // Before: "killed ..." and nothing more about it.
  assertIncludes(output, `\n${killed}: deno test was killed by SIGKILL\n`);
});

Deno.test("test runner: stopped by SIGTERM while a file hangs, it prints what that file printed so far and names it, ends its deno test and exits 1 (review-43 F2)", async () => {
  const dir = await tempDir();
  const ready = join(dir, "ready");
  await new Deno.Command("mkfifo", { args: [ready] }).output();
  const hangs = await testFile(
    dir,
    "hangs_test.ts",
    'Deno.test("hangs", async () => {\n' +
      '  console.log("printed before the hang");\n' +
      '  await Deno.writeTextFile(Deno.env.get("READY")!, `${Deno.pid}\\n`);\n' +
      "  await new Promise((resolve) => setTimeout(resolve, 1e9));\n" +
      "});\n",
  );
  // One at a time (files in name order): the file after the one that hangs is not to start once
  // the signal came. Started, it would wait at its FIFO, a process to be seen after the run.
  const gate = join(dir, "gate");
  await new Deno.Command("mkfifo", { args: [gate] }).output();
  const after = await testFile(
    dir,
    "zz_after_test.ts",
    'await Deno.writeTextFile(Deno.env.get("GATE")!, "");\nDeno.test("after", () => {});\n',
  );
  const runner = startRunner(["--jobs", "1", hangs, after], { READY: ready, GATE: gate });
  // The FIFO opens once the test is in its hang, and names its `deno test` process.
  const pid = Number((await Deno.readTextFile(ready)).trim());
  runner.kill("SIGTERM");
  const { code, stdout } = await runner.output();
  const output = new TextDecoder().decode(stdout);
  const leftRunning = existsPath(`/proc/${pid}`);
  if (leftRunning) Deno.kill(pid, "SIGKILL"); // the test's own leftover, whatever it asserts
  const startedAfter = await processesNaming(after);
  for (const started of startedAfter) Deno.kill(started, "SIGKILL");
  // Before: killed by SIGTERM (143) with nothing printed of the file, its deno test left running.
  assertEquals(code, 1, output);
  assertIncludes(output, "printed before the hang");
  assertIncludes(output, `\n${hangs}: still running after `);
  assertIncludes(output, "\nFAILED | stopped by SIGTERM | still running: ");
  assert(!output.includes("zz_after_test.ts"), output);
  assertEquals(output.split("printed before the hang").length, 2, output); // printed once
  assert(!leftRunning, `deno test ${pid} still running`);
  assertEquals(startedAfter, [], "the file after started once the signal came");
});

/** The processes whose command line names `path` (`ps`: Deno reads `/proc` only with -A). */
async function processesNaming(path: string): Promise<number[]> {
  const { stdout } = await new Deno.Command("ps", { args: ["-eo", "pid=,args="] }).output();
  return new TextDecoder().decode(stdout).split("\n")
    .filter((line) => line.split(/\s+/).includes(path))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

/** Whether `path` is there. */
function existsPath(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("test runner: an unknown option or a file not there is one line and exit 2, not a stack trace and the exit of a failed test (review-43 F2)", async () => {
  const dir = await tempDir();
  const missing = join(dir, "no_such_test.ts");
  const usage = "(usage: deno run -A scripts/test.ts [--jobs N] [FILE|DIR]...)\n";
  for (
    const [args, said] of [
      [[missing], `scripts/test.ts: ${missing}: not there ${usage}`],
      [["--filter", "x", missing], `scripts/test.ts: Unknown option '--filter' ${usage}`],
    ] as const
  ) {
    const { code, stdout, stderr } = await startRunner([...args]).output();
    // Before: exit 1, as for a test that failed, and an uncaught error's stack trace.
    assertEquals([code, new TextDecoder().decode(stdout), new TextDecoder().decode(stderr)], [
      2,
      "",
      said,
    ]);
  }
});
