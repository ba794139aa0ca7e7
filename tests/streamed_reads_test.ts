/**
 * What the readers that read records again (`log`, `export`: mem-38) say when
 * the record file changes between their reads, and the advice they give about
 * a record file named in other case, followed as printed (review-39).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/streamed_reads_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { InputError } from "../src/errors.ts";
import { writeExport } from "../src/export/write.ts";
import { fixedRandom } from "./seed.ts";
import { LOG_HISTORY_FILES, writeLogHistory } from "./support/log_history.ts";
import { RUNREC } from "./support/runs.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { emitArgs, runCli } from "./cli.ts";
import { RECORD_FILE } from "../src/store.ts";

Deno.test("export --out a FIFO, its record file replaced (a checkout) once the first read is done: the one-line error names the record file, not a write to --out that never failed (review-39 F1)", async () => {
  const root = await tempDir({ prefix: "runrec-streamed-" });
  await writeLogHistory(root, fixedRandom(39), 8);
  const file = join(root, LOG_HISTORY_FILES[1]);
  // Another version of the file: its records in another order, as a rebase leaves them.
  const [header, ...records] = (await Deno.readTextFile(file)).trimEnd().split("\n");
  const theirs = `${file}.theirs`;
  await Deno.writeTextFile(theirs, [header, ...records.reverse()].join("\n") + "\n");
  const fifo = join(root, "lineage.fifo");
  for (const format of ["openlineage", "prov"]) {
    await new Deno.Command("mkfifo", { args: [fifo] }).output();
    // The export opens the FIFO once its first read is done: strace shows the open as it starts.
    const exporter = new Deno.Command("strace", {
      args: ["-f", "-qq", "-P", fifo, "-e", "trace=openat", ...RUNREC, "export", root, "--format"]
        .concat([format, "--out", fifo]),
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const reader = exporter.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let trace = "";
    while (!trace.includes("openat(")) {
      const { value, done } = await reader.read();
      assert(!done, `the FIFO was never opened: ${trace}`);
      trace += value;
    }
    const original = await Deno.readTextFile(file);
    await Deno.copyFile(theirs, `${file}.new`);
    await Deno.rename(`${file}.new`, file);
    await Deno.readFile(fifo); // the export's reader: it writes, and finds the file replaced
    for (let r = await reader.read(); !r.done; r = await reader.read()) trace += r.value;
    const { code } = await exporter.status;
    const errors = trace.split("\n").filter((line) => line.startsWith("runrec export: "))
      .filter((line) => !line.startsWith("runrec export: warning: "));
    assertEquals(code, 2, trace);
    assertEquals(errors.length, 1, trace);
    assert(
      errors[0].startsWith(`runrec export: ${file}:`) &&
        errors[0].endsWith(
          ": no longer holds the record listed (the file was replaced while it was read): run " +
            "the command again",
        ),
      `${format}: ${errors[0]}`,
    );
    await Deno.writeTextFile(file, original);
    await Deno.remove(fifo);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("writeExport to a regular file: an error of the export's own reading (a record file replaced) is thrown as it is, the temporary file removed and the file left as it was, not said as a write to --out that failed (review-39 F1)", async () => {
  const dir = await tempDir({ prefix: "runrec-streamed-" });
  const out = join(dir, "lineage.jsonl");
  await Deno.writeTextFile(out, "before\n");
  const replaced = new InputError("RunRecords.csv:7: no longer holds the record listed");
  async function* chunks() {
    yield '{"eventType":"START"}\n';
    throw replaced;
  }
  const thrown = await writeExport(out, { path: out, how: "replace" }, chunks()).then(
    () => undefined,
    (e: unknown) => e,
  );
  assertEquals(thrown, replaced);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["lineage.jsonl"]);
  assertEquals(await Deno.readTextFile(out), "before\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the command that joins a runrecords.csv into the RunRecords.csv beside it, run as printed, keeps every record where that file's last line is torn (a crash mid-append), in a git repository or none: the first record joined was glued to the torn line and lost, and outside git, git rm failed once the records were appended (review-39 F2)", async () => {
  for (const inGit of [true, false]) {
    const { root, del } = await makeProject();
    if (inGit) await git(root, "init", "-q");
    // Minutes apart: two runs of one minute would share a RunID, another matter.
    const first = await runCli(
      emitArgs(del, "--started", "2026-01-01T10:00:00Z", "--duration", "1m"),
    );
    assertEquals(first.code, 0, first.stderr);
    await Deno.rename(join(del, RECORD_FILE), join(del, "runrecords.csv"));
    const second = await runCli(emitArgs(del));
    assertEquals(second.code, 0, second.stderr);
    if (inGit) {
      await git(root, "add", "-A");
      await git(root, "commit", "-qm", "a run recorded on macOS, one on Linux");
    }
    // A crash cut the next append short: RunRecords.csv ends in a torn line.
    await Deno.writeTextFile(join(del, RECORD_FILE), "v1.0,RUN-DEL-01-02-2026", { append: true });
    const refused = await runCli(["log", root]);
    assertEquals(refused.code, 2, refused.stderr);
    const advised = refused.stderr.match(/, in its folder: (.+)\n/);
    assert(advised !== null, refused.stderr);
    const joined = await new Deno.Command("sh", { args: ["-c", advised[1]], cwd: del }).output();
    const said = `${inGit ? "git" : "no git"}: ${advised[1]}`;
    assertEquals(joined.code, 0, `${said}: ${new TextDecoder().decode(joined.stderr)}`);
    const log = await runCli(["log", root, "--format", "jsonl"]);
    assertEquals(log.code, 0, `${said}: ${log.stderr}`);
    const runIds = log.stdout.trim().split("\n").map((line) => JSON.parse(line).RunID);
    assertEquals(runIds.sort(), [first.stdout.trim(), second.stdout.trim()].sort(), said);
    assertEquals(await exists(join(del, "runrecords.csv")), false, said);
    await Deno.remove(root, { recursive: true });
  }
});

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}
