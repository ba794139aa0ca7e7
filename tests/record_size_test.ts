/**
 * Runs that touch many files (scale trial 12): a record is bounded by its
 * line, 16 MiB (SCHEMA.md 6.5), not field by field, so runs of tens of
 * thousands of files are recorded; a run whose record would be longer still
 * is said on stderr and never left pending for reap to record as FAILED.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { makeProject } from "./fixtures.ts";
import { filesOf, pendingFiles, recordsOf, RUNREC } from "./support/runs.ts";
import { LINE_LIMIT_BYTES } from "../src/schema.ts";

/** Writes `count` small files `f1`...`fN` into `dir` (made), fast: no fsync. */
function writeFiles(dir: string, count: number): void {
  Deno.mkdirSync(dir, { recursive: true });
  const bytes = new TextEncoder().encode("x\n");
  for (let i = 1; i <= count; i++) Deno.writeFileSync(join(dir, `f${i}`), bytes);
}

/**
 * A folder path of ten 250-character names of `%`, which the record spells
 * `%25`: 1,200 files in it take a record line over 16 MiB, a run that is
 * too large to record made in seconds rather than of 150,000 files.
 */
const DEEP = Array(10).fill("%".repeat(250)).join("/");
const TOO_MANY_DEEP = 1_200;

Deno.test("record size: exec of a command writing 20,000 files records SUCCESS with all 20,000 outputs", async () => {
  const { root, del } = await makeProject();
  const result = await runCliProcess([
    "exec",
    del,
    "--agent",
    "GEN",
    "--",
    "bash",
    "-c",
    `mkdir '${del}/out' && cd '${del}/out' && for i in $(seq 1 20000); do echo $i > f$i; done`,
  ]);
  assertEquals(result.code, 0, result.stderr);
  assert(!result.stderr.includes("not recorded"), result.stderr);
  const [record] = await recordsOf(del);
  assertEquals(record.RunStatus, "SUCCESS");
  assertEquals(record.OutputFiles.length, 20_000);
  assertEquals(Object.keys(record.OutputHashes).length, 20_000);
  assert(record.OutputFiles.includes("out/f20000"));
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("record size: start with 5,000 inputs, then finish records the run with all of them", async () => {
  const { root, del } = await makeProject();
  writeFiles(join(del, "in"), 5_000);
  const inputs = Array.from({ length: 5_000 }, (_, i) => ["--input", `in/f${i + 1}`]).flat();
  const start = await runCli(["start", del, "--agent", "BIG", ...inputs]);
  assertEquals(start.code, 0, start.stderr);
  const finish = await runCli(["finish", start.stdout.trim(), "--status", "SUCCESS"]);
  assertEquals(finish.code, 0, finish.stderr);
  const [record] = await recordsOf(del);
  assertEquals(record.InputFiles.length, 5_000);
  assert(Object.keys(record.InputHashes).length >= 5_000);
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("record size: emit --input of a folder of 50,000 small files records every file", async () => {
  const { root, del } = await makeProject();
  writeFiles(join(del, "big"), 50_000);
  const emit = await runCli(["emit", del, "--agent", "E", "--status", "SUCCESS", "--input", "big"]);
  assertEquals(emit.code, 0, emit.stderr);
  const [record] = await recordsOf(del);
  assertEquals(record.InputFiles.filter((p) => p.startsWith("big/")).length, 50_000);
  await Deno.remove(root, { recursive: true });
});

Deno.test("record size: exec of a run whose record would be over 16 MiB says so and leaves nothing pending", async () => {
  const { root, del } = await makeProject();
  const result = await runCliProcess([
    "exec",
    del,
    "--agent",
    "GEN",
    "--",
    "bash",
    "-c",
    `mkdir -p '${del}/${DEEP}' && cd '${del}/${DEEP}' && ` +
    `for i in $(seq 1 ${TOO_MANY_DEEP}); do echo $i > f$i; done; exit 3`,
  ]);
  // The command's exit code stands; the run is not recorded, and not left for reap.
  assertEquals(result.code, 3, result.stderr);
  assertMatch(
    result.stderr,
    new RegExp(
      `runrec: warning: run not recorded: .*RunRecords.csv: record not written: its line would ` +
        `take \\d+ bytes, more than the limit of ${LINE_LIMIT_BYTES} \\(16 MiB.*; its pending run ` +
        "is removed\n$",
    ),
  );
  assertEquals(result.stderr.split("\n").length, 2, result.stderr);
  assertEquals(await recordsOf(del), []);
  assertEquals(pendingFiles(del), []);
  const reap = await runCli(["reap", root, "--older-than", "0s"]);
  assertEquals([reap.code, reap.stdout], [0, ""], reap.stderr);
  assertEquals(await recordsOf(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("record size: finish of a run too large to record exits 2 saying why and removes the pending run", async () => {
  const { root, del } = await makeProject();
  const start = await runCli(["start", del, "--agent", "BIG"]);
  assertEquals(start.code, 0, start.stderr);
  writeFiles(join(del, DEEP), TOO_MANY_DEEP);
  const finish = await runCli([
    "finish",
    start.stdout.trim(),
    "--status",
    "SUCCESS",
    "--output",
    DEEP,
  ]);
  assertEquals(finish.code, 2, finish.stderr);
  assertMatch(finish.stderr, /record not written: its line would take \d+ bytes, more than/);
  assertMatch(finish.stderr, /0 input and 1200 output files .*; its pending run is removed\n$/);
  assertEquals(await recordsOf(del), []);
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("record size: start and exec of a run whose inputs alone take its record past 16 MiB exit 2 saying so, given by --input or --inputs-from, before the run is kept or CMD runs (it was kept, CMD ran, and its finish dropped the run; inputs-41 F2)", async () => {
  const { root, del } = await makeProject();
  writeFiles(join(del, DEEP), TOO_MANY_DEEP);
  const list = join(root, "inputs.txt");
  await Deno.writeTextFile(
    list,
    Array.from({ length: TOO_MANY_DEEP }, (_, i) => `${DEEP}/f${i + 1}`).join("\n"),
  );
  const before = await filesOf(del);
  const said = new RegExp(
    `^runrec (start|exec): ${RegExp.escape(join(del, "RunRecords.csv"))}: run not started: its ` +
      `inputs alone take \\d+ bytes of its record's line, more than the limit of ` +
      `${LINE_LIMIT_BYTES} \\(16 MiB, SCHEMA.md 6.5\\): 1200 input files are more than one ` +
      "record holds\n$",
  );
  const byFolder = await runCli(["start", del, "--agent", "BIG", "--input", DEEP]);
  assertEquals([byFolder.code, byFolder.stdout], [2, ""], byFolder.stderr);
  assertMatch(byFolder.stderr, said);
  const byList = await runCli(["start", del, "--agent", "BIG", "--inputs-from", list]);
  assertEquals(byList, byFolder);
  const exec = await runCliProcess([
    ...["exec", del, "--agent", "BIG", "--input", DEEP],
    ...["--", "sh", "-c", `echo ran > '${join(del, "ran.txt")}'`],
  ]);
  assertEquals([exec.code, exec.stdout], [2, ""], exec.stderr);
  assertMatch(exec.stderr, said);
  assertEquals(await filesOf(del), before); // no ran.txt, no pending run, no record
  await Deno.remove(root, { recursive: true });
});

Deno.test("record size: reap records every other pending run past one it cannot record, naming that one", async () => {
  const { root, del } = await makeProject();
  // The run reap cannot record sorts first, in DEL-01-01; the one it can, after it.
  const big = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-01_Big");
  writeFiles(join(big, DEEP), TOO_MANY_DEEP);
  const bigStart = await runCli(["start", big, "--agent", "BIG"]);
  assertEquals(bigStart.code, 0, bigStart.stderr);
  // Kept by a runrec before inputs-41 F2, which refuses such a start: its inputs, 1,200 files.
  const kept = JSON.parse(await Deno.readTextFile(bigStart.stdout.trim()));
  for (let i = 1; i <= TOO_MANY_DEEP; i++) {
    kept.start.inputFiles.push(`${DEEP}/f${i}`);
    kept.start.inputHashes[`${DEEP}/f${i}`] = "TBD";
  }
  await Deno.writeTextFile(bigStart.stdout.trim(), JSON.stringify(kept));
  const smallStart = await runCli(["start", del, "--agent", "SMALL"]);
  assertEquals(smallStart.code, 0, smallStart.stderr);

  const reap = await runCli(["reap", root, "--older-than", "0s"]);
  assertEquals(reap.code, 2, reap.stderr);
  const token = bigStart.stdout.trim();
  assertMatch(
    reap.stderr,
    new RegExp(`^runrec reap: ${RegExp.escape(token)}: not reaped: .*more than the limit of .*\n$`),
  );
  const [small] = await recordsOf(del);
  assertEquals([small.AgentName, small.RunStatus], ["SMALL", "FAILED"]);
  assertIncludes(reap.stdout, small.RunID);
  assertEquals(await recordsOf(big), []);
  assertEquals([pendingFiles(big), pendingFiles(del)], [[], []]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("record size: reap of many pending runs opens each run's file a few times, not once for every run reaped (it was n²/2: 45,450 opens for 300), and names no concurrent runs (scale-sweep F4)", async () => {
  const { root, del } = await makeProject();
  const count = 60;
  for (let i = 0; i < count; i++) {
    const started = await runCli(["start", del, "--agent", `AG_${i % 7}`]);
    assertEquals(started.code, 0, started.stderr);
  }
  const trace = join(root, "opens.txt");
  const out = await new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-e", "trace=openat", "-o", trace],
      ...RUNREC,
      ...["reap", del, "--older-than", "0s"],
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const opens = (await Deno.readTextFile(trace)).split("\n")
    .filter((l) => /\/\.runrec\/pending\/[^"/]+\.json"/.test(l)).length;
  assert(opens <= 4 * count, `${opens} opens of pending files for ${count} runs`);
  const records = await recordsOf(del);
  assertEquals(records.length, count);
  assert(records.every((r) => !r.Notes.includes("active in this folder at the same time")));
  assertEquals(pendingFiles(del), []);
});
