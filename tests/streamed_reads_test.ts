/**
 * The readers that read records again (`log`, `export`: mem-38): what they say
 * when a record file changes between their reads, and that they read a root of
 * more record files than the process may hold open (review-39).
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
import { RUNREC, RUNREC_SH } from "./support/runs.ts";
import { checksumOf, encodeRecord } from "../src/codec.ts";
import { readRecordBatches } from "../src/reader.ts";
import { inputContextSha } from "../src/manifest.ts";
import { HEADER, runIdPrefix, type RunRecord } from "../src/schema.ts";
import { sampleRecord, tempDir } from "./fixtures.ts";
import { RECORD_FILE } from "../src/deliverable.ts";

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

/** A root of `folders` deliverables of `runs` runs each, their runs taking turns in time. */
async function interleavedRoot(folders: number, runs: number): Promise<string> {
  const root = await tempDir({ prefix: "runrec-streamed-" });
  await Deno.writeTextFile(join(root, "INIT.md"), "# Init\n");
  const start = Date.parse("2026-01-01T00:00:00Z");
  for (let d = 0; d < folders; d++) {
    const id = `DEL-${String(1 + Math.floor(d / 100)).padStart(2, "0")}-${
      String(d % 100).padStart(2, "0")
    }`;
    const del = join(root, `PKG-${id.slice(4, 6)}_P`, "1_Working", `${id}_X`);
    await Deno.mkdir(del, { recursive: true });
    const lines = [HEADER];
    for (let i = 0; i < runs; i++) {
      const at = new Date(start + (i * folders + d) * 60_000).toISOString();
      lines.push(encodeRecord(sampleRecord({
        RunID: `${runIdPrefix(id, at)}001`,
        DeliverableID: id,
        RunTimestamp: at,
      })));
    }
    await Deno.writeTextFile(join(del, RECORD_FILE), `${lines.join("\n")}\n`);
  }
  return root;
}

Deno.test("log and export of a root of 300 deliverables whose runs take turns in time, under a limit of 256 open files (macOS's default): every run, where each file's read stayed open to the end and the 256th failed with 'Too many open files' (review-39 F3)", async () => {
  const root = await interleavedRoot(300, 2);
  const commands = [
    ["log", root, "--format", "jsonl"],
    ["export", root, "--format", "openlineage"],
    ["export", root, "--format", "prov"],
  ];
  for (const args of commands) {
    const line = `ulimit -n 256 && exec ${RUNREC_SH} ${args.map((a) => `'${a}'`).join(" ")}`;
    const out = await new Deno.Command("sh", { args: ["-c", line], env: { NO_COLOR: "1" } })
      .output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, `${args.join(" ")}: ${stderr.slice(0, 500)}`);
    const stdout = new TextDecoder().decode(out.stdout);
    const runs = args[3] === "prov"
      ? Object.keys(JSON.parse(stdout).activity).length
      : stdout.trim().split("\n").length / (args[3] === "openlineage" ? 2 : 1);
    assertEquals(runs, 600, args.join(" "));
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("readRecordBatches from a record's place reads on as the whole read does from there: records, their offsets and the additive header above them, past CRLF lines, a line longer than a read's chunk and NUL bytes at the end (review-39 F3: a read that closed its file goes on there)", async () => {
  const sealed = (record: RunRecord, version = "v1.0", added = "") => {
    const line = encodeRecord(record);
    const body = line.slice(0, line.lastIndexOf(",")).replace("v1.0,", `${version},`) + added;
    return `${body},${checksumOf(body)}`;
  };
  const at = (i: number) => new Date(Date.parse("2026-03-01T08:00:00Z") + i * 60_000).toISOString();
  const run = (i: number, more: Partial<RunRecord> = {}) =>
    sampleRecord({ RunID: `${runIdPrefix("DEL-01-02", at(i))}001`, RunTimestamp: at(i), ...more });
  const inputs = Object.fromEntries(
    Array.from({ length: 1500 }, (_, i) => [`inputs/a/deep/folder/file-${i}.md`, "c".repeat(64)]),
  );
  const lines = [HEADER];
  for (let i = 0; i < 8; i++) lines.push(sealed(run(i)) + (i % 3 === 1 ? "\r" : ""));
  lines.push(sealed(run(8, {
    InputFiles: Object.keys(inputs),
    InputHashes: inputs,
    InputContextSHA: inputContextSha(inputs),
  })));
  lines.push(HEADER.replace(",RecordChecksum", ",ReviewedBy,RecordChecksum"));
  for (let i = 9; i < 12; i++) lines.push(sealed(run(i), "v1.1", `,rev-${i}`));
  const file = join(await tempDir({ prefix: "runrec-streamed-" }), RECORD_FILE);
  await Deno.writeTextFile(file, `${lines.join("\n")}\n\0\0`);
  const whole = (await Array.fromAsync(readRecordBatches(file))).flat();
  const records = whole.filter((e) => e.kind === "record");
  assertEquals(records.length, 12, JSON.stringify(whole.filter((e) => e.kind === "problem")));
  assert(records.at(-1)!.header !== undefined, "the v1.1 records are under their header");
  for (const from of records) {
    const on = (await Array.fromAsync(readRecordBatches(file, from))).flat()
      .filter((e) => e.kind === "record");
    assertEquals(on, records.filter((r) => r.line >= from.line), `from line ${from.line}`);
  }
});

/**
 * `runrec <args>` (by default `log <root> --json`) under strace, its first read of the record
 * file held at its close (the read done) while the test puts `theirs` in its place, as a checkout
 * does between the listing's read and the records'. Returns the exit code, stdout and runrec's
 * own stderr lines.
 */
async function replacedBetweenReads(
  root: string,
  file: string,
  theirs: string,
  args = ["log", root, "--json"],
) {
  const log = new Deno.Command("strace", {
    args: ["-f", "-qq", "-y", "-P", file, "-e", "trace=read,close"]
      .concat(["-e", "inject=close:delay_enter=2000000:when=1", ...RUNREC, ...args]),
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stdout = new Response(log.stdout).text(); // read as written: a full pipe would stop it
  const reader = log.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let trace = "";
  while (!/read\([^\n]*\) = 0\n/.test(trace)) {
    const { value, done } = await reader.read();
    assert(!done, `the first read never ended: ${trace}`);
    trace += value;
  }
  await Deno.rename(theirs, file);
  for (let r = await reader.read(); !r.done; r = await reader.read()) trace += r.value;
  const { code } = await log.status;
  const errors = trace.split("\n").filter((line) => line.startsWith(`runrec ${args[0]}: `));
  return { code, stdout: await stdout, errors };
}

Deno.test("log --json of a record file replaced between its reads (a checkout): one line on stderr naming the file and line, exit 2, and on stdout one JSON document (the error's) when no record was written yet, else the array left unclosed, never an error document after it (small-40 F2)", async () => {
  const root = await interleavedRoot(1, 200);
  const file = join(root, "PKG-01_P", "1_Working", "DEL-01-00_X", RECORD_FILE);
  const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
  // The first record dropped (nothing listed is written), or the 101st (100 are).
  for (const dropped of [1, 101]) {
    const theirs = `${file}.theirs`;
    await Deno.writeTextFile(theirs, lines.filter((_, i) => i !== dropped).join("\n") + "\n");
    const { code, stdout, errors } = await replacedBetweenReads(root, file, theirs);
    assertEquals(code, 2, errors.join("\n"));
    assertEquals(errors, [
      `runrec log: ${file}:${dropped + 1}: no longer holds the record listed (the file was ` +
      "replaced while it was read): run the command again",
    ]);
    if (dropped === 1) {
      assertEquals(JSON.parse(stdout).error.message, errors[0].slice("runrec log: ".length));
    } else {
      assert(
        !stdout.includes('"error"'),
        `an error document after the records: ${stdout.slice(-300)}`,
      );
      let whole = true;
      try {
        JSON.parse(stdout);
      } catch {
        whole = false;
      }
      assert(!whole, "a record file replaced while it was read gave a whole JSON document");
      const written = JSON.parse(`${stdout}\n]`) as { RunID: string }[];
      assert(written.length <= 100, `${written.length} records written`);
    }
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
  }
  await Deno.remove(root, { recursive: true });
});

/** strace's lines for the system calls `trace` on `file` during `runrec args`, as run. */
async function traceOf(file: string, trace: string, args: string[]): Promise<string[]> {
  const out = await new Deno.Command("strace", {
    args: ["-f", "-qq", "-y", "-P", file, "-e", `trace=${trace}`, ...RUNREC, ...args],
    stdout: "null",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stderr).split("\n").filter((l) =>
    /^(\[pid +\d+\] )?\w+\(/.test(l)
  );
}

Deno.test("validate of a record file replaced (a checkout's rename) between the reader's look and its open reads the file now at the path, where it said the file was a symbolic link (small-40 F3)", async () => {
  const root = await interleavedRoot(1, 20);
  const file = join(root, "PKG-01_P", "1_Working", "DEL-01-00_X", RECORD_FILE);
  const theirs = `${file}.theirs`;
  await Deno.copyFile(file, theirs); // a checkout of the same content: a new file all the same
  const args = ["validate", root];
  // The look (an lstat) is the last one before the first open: the open waits, and the file is
  // replaced once every look before it is done (other threads' stats, which follow links, aside).
  const isLook = (line: string) => line.includes("AT_SYMLINK_NOFOLLOW");
  const calls = await traceOf(file, "openat,statx,newfstatat,lstat", args);
  const looks = calls.slice(0, calls.findIndex((l) => l.includes("openat("))).filter(isLook).length;
  assert(looks > 0, calls.join("\n"));
  const validate = new Deno.Command("strace", {
    args: ["-f", "-qq", "-y", "-P", file, "-e", "trace=openat,statx,newfstatat,lstat", "-e"]
      .concat(["inject=openat:delay_enter=2000000:when=1", ...RUNREC, ...args]),
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stdout = new Response(validate.stdout).text();
  const reader = validate.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let trace = "";
  while (trace.split("\n").filter(isLook).length < looks) {
    const { value, done } = await reader.read();
    assert(!done, `the open was never held: ${trace}`);
    trace += value;
  }
  await Deno.rename(theirs, file);
  for (let r = await reader.read(); !r.done; r = await reader.read()) trace += r.value;
  const { code } = await validate.status;
  const said = trace.split("\n").filter((l) => l.startsWith("runrec")).join("\n");
  assertEquals(code, 0, `${said}\n${await stdout}`);
  await Deno.remove(root, { recursive: true });
});

Deno.test("export --format prov to stdout of a record file replaced between its reads: as log --json, one line on stderr, exit 2, and the document left unclosed, never a whole one (small-40 F2)", async () => {
  const root = await interleavedRoot(1, 200);
  const file = join(root, "PKG-01_P", "1_Working", "DEL-01-00_X", RECORD_FILE);
  const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
  const theirs = `${file}.theirs`;
  await Deno.writeTextFile(theirs, lines.filter((_, i) => i !== 101).join("\n") + "\n");
  const { code, stdout, errors } = await replacedBetweenReads(
    root,
    file,
    theirs,
    ["export", root, "--format", "prov"],
  );
  assertEquals(code, 2, errors.join("\n"));
  assertEquals(errors.length, 1, errors.join("\n"));
  assert(errors[0].endsWith("(the file was replaced while it was read): run the command again"));
  let whole = true;
  try {
    JSON.parse(stdout);
  } catch {
    whole = false;
  }
  assert(!whole, "a record file replaced while it was read gave a whole PROV document");
  await Deno.remove(root, { recursive: true });
});
