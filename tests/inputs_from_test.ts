/**
 * `--inputs-from F` and `--outputs-from F` (inputs-41): paths read from a list file or a pipe,
 * one a line or NUL-separated (`--null`), give the record the same paths given one by one give,
 * byte for byte; a list that cannot be read is one line naming it, exit 2, nothing written.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { runCli } from "./cli.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { filesOf, pendingFiles, recordsOf, RUNREC_SH } from "./support/runs.ts";
import { RECORD_FILE } from "../src/deliverable.ts";

const decoder = new TextDecoder();

/** Runs `sh -c script` in `cwd` with `$RUNREC` the CLI and `args` as "$@"; its exit and output. */
async function shell(
  cwd: string,
  script: string,
  args: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("sh", {
    args: ["-c", script.replaceAll("$RUNREC", RUNREC_SH), "sh", ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** The last line of `del`'s RunRecords.csv. */
async function lastLine(del: string): Promise<string> {
  const lines = (await Deno.readTextFile(join(del, RECORD_FILE))).trimEnd().split("\n");
  return lines[lines.length - 1];
}

/**
 * The last record line of `del` with what differs from run to run of a start (its RunID, times,
 * run id and checksum) put as names: the rest is compared byte for byte.
 */
async function withoutTimes(del: string): Promise<string> {
  const records = await recordsOf(del);
  const record = records[records.length - 1];
  let line = await lastLine(del);
  const runId = /(?:^| )run (\S+)$/.exec(record.Notes)?.[1];
  if (runId !== undefined) line = line.replaceAll(runId, "<run>");
  return line.replace(record.RunID, "<RunID>")
    .replace(`,${record.RunTimestamp},${record.RunDuration},`, ",<time>,<duration>,")
    .replace(/,[0-9a-f]{64}$/, ",<checksum>");
}

/** Two projects of `makeProject`'s with the same files, `files` added to each deliverable. */
async function twinProjects(files: string): Promise<[string, string]> {
  const dels: string[] = [];
  for (let i = 0; i < 2; i++) {
    const { del } = await makeProject();
    await shell(del, files);
    dels.push(del);
  }
  return [dels[0], dels[1]];
}

/** The files of the twins: one not UTF-8 (0xFF), one with a leading space, a folder. */
const FILES = "printf 'a\\n' > a.md && printf 'b\\n' > \"$(printf 'b\\377z.md')\" && " +
  "printf 's\\n' > ' sp ace.md' && mkdir sub && printf 'x\\n' > sub/x && printf 'y\\n' > sub/y";

Deno.test("inputs-from: emit with --inputs-from (CRLF, empty lines, a last line without its end, a name not UTF-8) and --outputs-from - (a real pipe), among --input and --output, writes the record byte for byte, prints the RunID and warnings, that the same paths given one by one do (inputs-41 F1)", async () => {
  const [one, listed] = await twinProjects(FILES);
  // Ended 20 s ago: both records have the same RunTimestamp and RunID, and no late note.
  const started = new Date(Date.now() - 30_000).toISOString();
  const common = `$RUNREC emit . --agent 4_DOCUMENTS --status SUCCESS --started ${started} ` +
    "--duration PT10S --no-fsync";
  const byOne = await shell(
    one,
    `${common} --input a.md --input sub --input "$(printf 'b\\377z.md')" --input gone.md ` +
      "--input ' sp ace.md' --output Datasheet.md --output new.md",
  );
  assertEquals(byOne.code, 0, byOne.stderr);
  const lists = await tempDir();
  // CRLF, an empty line, a bare LF, a name not UTF-8; then one line without its end.
  await shell(
    lists,
    "printf 'sub\\r\\n\\r\\n\\nb\\377z.md\\n' > in1.txt && printf ' sp ace.md' > in2.txt",
  );
  const byList = await shell(
    listed,
    `printf 'Datasheet.md\\r\\nnew.md\\n' | ${common} --input a.md --inputs-from "$1/in1.txt" ` +
      `--input gone.md --inputs-from "$1/in2.txt" --outputs-from -`,
    [lists],
  );
  assertEquals(byList.code, 0, byList.stderr);
  assertEquals(await lastLine(listed), await lastLine(one));
  assertEquals([byList.stdout, byList.stderr], [byOne.stdout, byOne.stderr]);
  const [record] = await recordsOf(listed);
  assertEquals(record.InputFiles, [
    "a.md",
    "sub/x",
    "sub/y",
    "b\uFFFDz.md",
    "gone.md",
    " sp ace.md",
  ]);
  assertEquals(record.OutputFiles, ["Datasheet.md", "new.md"]);
  assertMatch(byList.stderr, /gone\.md/); // warned of as not found, as --input warns
});

Deno.test("inputs-from: start --inputs-from - --null from a real pipe and finish --outputs-from F --null, names holding a newline, give the record start --input and finish --output give, byte for byte but its times and run id (inputs-41 F1)", async () => {
  const files = "printf 'a\\n' > a.md && printf 'n\\n' > \"$(printf 'new\\nline.md')\"";
  const [one, listed] = await twinProjects(files);
  const byOne = await shell(
    one,
    `T=$($RUNREC start . --agent 4_DOCUMENTS --input "$(printf 'new\\nline.md')" --input a.md) && ` +
      `printf 'w\\n' > out.md && $RUNREC finish "$T" --status SUCCESS --output out.md ` +
      `--output "$(printf 'new\\nline.md')" --no-fsync`,
  );
  assertEquals(byOne.code, 0, byOne.stderr);
  const lists = await tempDir();
  await Deno.writeTextFile(join(lists, "out.txt"), "out.md\0new\nline.md\0");
  const byList = await shell(
    listed,
    `T=$(printf 'new\\nline.md\\0a.md' | $RUNREC start . --agent 4_DOCUMENTS --null ` +
      `--inputs-from -) && printf 'w\\n' > out.md && $RUNREC finish "$T" --status SUCCESS ` +
      `--outputs-from "$1/out.txt" --null --no-fsync`,
    [lists],
  );
  assertEquals(byList.code, 0, byList.stderr);
  assertEquals(await withoutTimes(listed), await withoutTimes(one));
  const [record] = await recordsOf(listed);
  assertEquals(record.InputFiles, ["new\nline.md", "a.md"]);
  assertEquals(record.OutputFiles, ["out.md", "new\nline.md"]);
});

Deno.test("inputs-from: exec --inputs-from F records what exec --input does; exec --inputs-from - is refused before CMD runs (CMD is given runrec's stdin), exit 2, nothing written (inputs-41 F1)", async () => {
  const [one, listed] = await twinProjects("printf 'a\\n' > a.md && printf 'b\\n' > b.md");
  const cmd = "-- sh -c 'printf x > made.md'";
  const byOne = await shell(one, `$RUNREC exec . --agent GEN --input b.md --input a.md ${cmd}`);
  assertEquals(byOne.code, 0, byOne.stderr);
  const lists = await tempDir();
  await Deno.writeTextFile(join(lists, "in.txt"), "b.md\na.md\n");
  const byList = await shell(
    listed,
    `$RUNREC exec . --agent GEN --inputs-from "$1/in.txt" ${cmd}`,
    [
      lists,
    ],
  );
  assertEquals(byList.code, 0, byList.stderr);
  assertEquals(await withoutTimes(listed), await withoutTimes(one));

  const { del } = await makeProject();
  const before = await filesOf(del);
  const piped = await shell(
    del,
    `printf 'a.md\\n' | $RUNREC exec . --agent GEN --inputs-from - ${cmd}`,
  );
  assertEquals(piped.code, 2, piped.stderr);
  assertEquals(
    piped.stderr,
    "runrec exec: --inputs-from -: CMD is given runrec's standard input; give the list in a " +
      "file (or <(command)) (see runrec exec --help)\n",
  );
  assertEquals(await filesOf(del), before); // CMD did not run: no made.md, no record
});

Deno.test("inputs-from: hash --inputs-from F --null prints what hash --input prints (inputs-41 F1)", async () => {
  const { del } = await makeProject();
  await shell(del, "printf 'a\\n' > a.md && printf 'b\\n' > 'b c.md'");
  const lists = await tempDir();
  await Deno.writeTextFile(join(lists, "in.txt"), "b c.md\0a.md\0\0");
  const byOne = await runCli(["hash", del, "--input", "b c.md", "--input", "a.md"]);
  const byList = await runCli(["hash", del, "--inputs-from", join(lists, "in.txt"), "--null"]);
  assertEquals(byOne.code, 0, byOne.stderr);
  assertEquals(byList, byOne);
});

Deno.test("inputs-from: emit of 20,000 inputs of ~100-byte names listed in a file, more than a command line takes (E2BIG), records every one in its order", async () => {
  const { del } = await makeProject();
  const count = 20_000;
  // Names long enough that the arguments pass Linux's 2 MiB (with a pointer each): 2.5 MB.
  const long = "x".repeat(88);
  Deno.mkdirSync(join(del, "in"));
  const bytes = new TextEncoder().encode("x\n");
  const paths: string[] = [];
  for (let i = count; i > 0; i--) {
    Deno.writeFileSync(join(del, "in", `f${i}_${long}`), bytes);
    paths.push(`in/f${i}_${long}`);
  }
  const lists = await tempDir();
  const list = join(lists, "in.txt");
  await Deno.writeTextFile(list, paths.join("\n") + "\n");
  // Given one by one, they do not even reach runrec: the kernel refuses the command line.
  const args = paths.flatMap((p) => ["--input", p]);
  const tooLong = await shell(del, '"$@" > /dev/null 2>&1 || echo "refused $?"', [
    "true",
    ...args,
  ]).catch((error: Error) => ({ code: -1, stdout: "", stderr: error.message }));
  assertMatch(`${tooLong.stdout}${tooLong.stderr}`, /refused|Argument list too long|E2BIG/);

  const began = performance.now();
  const emit = await shell(
    del,
    '$RUNREC emit . --agent 4_DOCUMENTS --status SUCCESS --no-fsync --inputs-from "$1"',
    [list],
  );
  const seconds = (performance.now() - began) / 1000;
  assertEquals(emit.code, 0, emit.stderr);
  const [record] = await recordsOf(del);
  assertEquals(record.InputFiles, paths);
  assert(paths.every((p) => /^[0-9a-f]{64}$/.test(record.InputHashes[p])));
  console.log(`emit --inputs-from of ${count} paths: ${seconds.toFixed(1)} s`);
});

Deno.test("inputs-from: a list that cannot be read (missing, a folder, a NUL without --null, UTF-16, over 16 MiB from a pipe), stdin named twice or a terminal, --null with no list, an empty name: one line naming the option, the file and the line, exit 2, nothing written, a started run left pending (inputs-41 F1)", async () => {
  const { del } = await makeProject();
  const lists = await tempDir();
  const nulIn3 = join(lists, "nul.txt");
  await Deno.writeTextFile(nulIn3, "a.md\r\nb.md\nc\0d.md\n");
  const utf16 = join(lists, "utf16.txt");
  const text = "\uFEFFDatasheet.md\r\n";
  const units = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    new DataView(units.buffer).setUint16(2 * i, text.charCodeAt(i), true);
  }
  await Deno.writeFile(utf16, units);
  const started = await runCli(["start", del, "--agent", "A"]);
  assertEquals(started.code, 0, started.stderr);
  const token = started.stdout.trim();
  const pending = pendingFiles(del);
  const before = await filesOf(del);
  const emit = ["emit", del, "--agent", "A", "--status", "SUCCESS"];
  const cases: [string[], string][] = [
    [
      [...emit, "--inputs-from", "/no/such/list.txt"],
      "runrec emit: --inputs-from /no/such/list.txt: not found\n",
    ],
    [
      [...emit, "--outputs-from", lists],
      `runrec emit: --outputs-from ${lists}: is a folder (a folder given as --output stands ` +
      "for its files)\n",
    ],
    [
      ["start", del, "--agent", "A", "--inputs-from", nulIn3],
      `runrec start: --inputs-from ${nulIn3}: line 3: holds a NUL byte: a NUL-separated list ` +
      "needs --null (a list saved as UTF-16 is to be saved as UTF-8)\n",
    ],
    [
      ["finish", token, "--status", "SUCCESS", "--outputs-from", utf16],
      `runrec finish: --outputs-from ${utf16}: line 1: holds a NUL byte: a NUL-separated list ` +
      "needs --null (a list saved as UTF-16 is to be saved as UTF-8)\n",
    ],
    [
      [...emit, "--null", "--input", "a.md"],
      "runrec emit: --null: no --inputs-from or --outputs-from list to read (see runrec emit " +
      "--help)\n",
    ],
    [
      [...emit, "--inputs-from="],
      "runrec emit: --inputs-from: an empty path (name a list file, or -) (see runrec emit " +
      "--help)\n",
    ],
  ];
  for (const [args, said] of cases) {
    const out = await runCli(args);
    assertEquals([out.code, out.stdout, out.stderr], [2, "", said], args.join(" "));
  }
  const piped: [string, string][] = [
    [
      `head -c 17000000 /dev/zero | tr '\\0' 'a' | $RUNREC emit . --agent A --status SUCCESS ` +
      "--inputs-from -",
      "runrec emit: --inputs-from - (standard input): longer than 16777216 bytes (16 MiB), " +
      "more than a record's line holds: a run of so many paths cannot be recorded\n",
    ],
    [
      "printf 'a.md\\n' | $RUNREC emit . --agent A --status SUCCESS --inputs-from - " +
      "--outputs-from -",
      "runrec emit: --inputs-from - and --outputs-from -: standard input is read once; give " +
      "the other list in a file (see runrec emit --help)\n",
    ],
  ];
  for (const [script, said] of piped) {
    const out = await shell(del, script);
    assertEquals([out.code, out.stdout, out.stderr], [2, "", said], script);
  }
  // Standard input a terminal (a pseudo-terminal of script(1)): refused, not waited on for ever.
  const terminal = await shell(
    del,
    'script -qec "$RUNREC emit . --agent A --status SUCCESS --inputs-from -" /dev/null',
  );
  assertEquals(terminal.code, 2, terminal.stdout);
  assertEquals(
    terminal.stdout,
    "runrec emit: --inputs-from - (standard input): a terminal: pipe the list in, or name its " +
      "file\r\n",
  );
  assertEquals(await filesOf(del), before);
  assertEquals(pendingFiles(del), pending);
});

Deno.test("inputs-from: a list that is a record file (the deliverable's own RunRecords.csv, a copy with a blank line first, as --outputs-from and --null) is refused, exit 2, nothing written: each of its lines was recorded as a path (review-42 F1)", async () => {
  const { del } = await makeProject();
  const first = await runCli(["emit", del, "--agent", "A", "--status", "SUCCESS", "--no-fsync"]);
  assertEquals(first.code, 0, first.stderr);
  const lists = await tempDir();
  const copy = join(lists, "history.txt");
  await Deno.writeTextFile(copy, `\r\n${await Deno.readTextFile(join(del, RECORD_FILE))}`);
  const before = await filesOf(del);
  const own = join(del, RECORD_FILE);
  const cases: [string, string, string[]][] = [
    ["--inputs-from", own, []],
    ["--outputs-from", own, []],
    ["--inputs-from", copy, []],
    ["--outputs-from", own, ["--null"]],
  ];
  for (const [option, list, more] of cases) {
    const args = ["emit", del, "--agent", "A", "--status", "SUCCESS", option, list, ...more];
    const out = await runCli(args);
    const said = `runrec emit: ${option} ${list}: begins with a record file's header ` +
      "(SchemaVersion,RunID,…): a record file, not a list of paths\n";
    assertEquals([out.code, out.stdout, out.stderr], [2, "", said], args.join(" "));
  }
  assertEquals(await filesOf(del), before);
});

/** Ten 250-character names of `%`, spelt `%25` in a record: 1,200 files take it over 16 MiB. */
const DEEP = Array(10).fill("%".repeat(250)).join("/");

Deno.test("inputs-from: a list of paths too many for one record (16 MiB) gets the answer the same --input paths get: exit 2, record not written, saying its size (inputs-41 F1)", async () => {
  const { del } = await makeProject();
  Deno.mkdirSync(join(del, DEEP), { recursive: true });
  const paths: string[] = [];
  for (let i = 1; i <= 1_200; i++) {
    Deno.writeTextFileSync(join(del, DEEP, `f${i}`), "x\n");
    paths.push(`${DEEP}/f${i}`);
  }
  const list = join(await tempDir(), "in.txt");
  await Deno.writeTextFile(list, paths.join("\n"));
  const emit = ["emit", del, "--agent", "E", "--status", "SUCCESS"];
  // In this process: as arguments, 3 MB of paths are more than a command line takes.
  const byOne = await runCli([...emit, ...paths.flatMap((p) => ["--input", p])]);
  const byList = await runCli([...emit, "--inputs-from", list]);
  assertEquals(byList, byOne);
  assertEquals(byList.code, 2);
  assertMatch(
    byList.stderr,
    /record not written: its line would take \d+ bytes, more than the limit of 16777216 \(16 MiB.*: 1200 input and 0 output files are more than one record holds\n$/,
  );
  assertEquals(await recordsOf(del), []);
});

Deno.test("inputs-from: /dev/stdin and /dev/fd/0 are standard input, as - is: start and finish record the piped paths; exec and a second list from stdin are refused as for - (newuser-43 F2)", async () => {
  const { del } = await makeProject();
  await Deno.writeTextFile(join(del, "a.md"), "a\n");
  const run = await shell(
    del,
    `T=$(printf 'a.md\\n' | $RUNREC start . --agent 4_DOCUMENTS --inputs-from /dev/stdin) && ` +
      `printf 'w\\n' > out.md && printf 'out.md\\n' | $RUNREC finish "$T" --status SUCCESS ` +
      `--outputs-from /dev/fd/0 --no-fsync`,
  );
  assertEquals(run.code, 0, run.stderr);
  const [record] = await recordsOf(del);
  assertEquals(record.InputFiles, ["a.md"]);
  assertEquals(record.OutputFiles, ["out.md"]);

  const before = await filesOf(del);
  const exec = await shell(
    del,
    `printf 'a.md\\n' | $RUNREC exec . --agent GEN --inputs-from /dev/stdin -- touch made.md`,
  );
  assertEquals(exec.code, 2, exec.stderr);
  assertEquals(
    exec.stderr,
    "runrec exec: --inputs-from /dev/stdin: CMD is given runrec's standard input; give the " +
      "list in a file (or <(command)) (see runrec exec --help)\n",
  );
  const twice = await shell(
    del,
    `printf 'a.md\\n' | $RUNREC emit . --agent GEN --status SUCCESS --inputs-from /dev/stdin ` +
      `--outputs-from -`,
  );
  assertEquals(twice.code, 2, twice.stderr);
  assertMatch(twice.stderr, /^runrec emit: --inputs-from \/dev\/stdin and --outputs-from -: /);
  assertEquals(await filesOf(del), before);
});

Deno.test("inputs-from: a list of no paths (standard input closed or /dev/null, an empty file) warns in one line naming it, and the run is recorded (newuser-43 F3)", async () => {
  const { del } = await makeProject();
  const lists = await tempDir();
  await Deno.writeTextFile(join(lists, "none.txt"), "\n\n");
  const stdinWarning = (option: string) =>
    `runrec: warning: ${option} - (standard input): empty (standard input closed, /dev/null, ` +
    "or a pipe that gave nothing): no paths taken from it\n";
  for (
    const [script, warning] of [
      [
        `T=$($RUNREC start . --agent A1 --inputs-from - <&-) && $RUNREC finish "$T" --status SUCCESS --no-fsync`,
        stdinWarning("--inputs-from"),
      ],
      [
        `$RUNREC emit . --agent A2 --status SUCCESS --outputs-from - --no-fsync </dev/null`,
        stdinWarning("--outputs-from"),
      ],
      [
        `$RUNREC emit . --agent A3 --status SUCCESS --inputs-from "$1/none.txt" --no-fsync`,
        `runrec: warning: --inputs-from ${lists}/none.txt: empty: no paths taken from it\n`,
      ],
    ]
  ) {
    const run = await shell(del, script, [lists]);
    assertEquals(run.code, 0, `${script}: ${run.stderr}`);
    assert(run.stderr.split("\n").includes(warning.trimEnd()), `${script}: ${run.stderr}`);
    assertEquals(run.stderr.split(warning).length, 2, `${script}: said once: ${run.stderr}`);
  }
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.AgentName, r.InputFiles, r.OutputFiles]), [
    ["A1", [], []],
    ["A2", [], []],
    ["A3", [], []],
  ]);
});
