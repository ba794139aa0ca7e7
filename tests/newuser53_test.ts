/**
 * Stop 53's new users: an agent harness that runs every command in a pseudo-terminal, and a
 * maintainer adding a column as docs/SCHEMA_EVOLUTION.md says. Each test is one friction they
 * met, which failed before its fix.
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { decodeRecord } from "../src/codec.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { emitArgs, runCliProcess } from "./cli.ts";
import { makeProject } from "./fixtures.ts";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import {
  assertNoRawControls,
  CONTROLS_FOLDER_ESCAPED,
  controlsFolder,
} from "./support/controls.ts";

/** What `args` prints on a pseudo-terminal (stdout and stderr both, as a harness sees them). */
async function onTerminal(args: string[], env: Record<string, string>): Promise<string> {
  const argv = [Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, ...args];
  const quoted = argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  // `script` gives the command a real pseudo-terminal for stdin, stdout and stderr.
  const output = await new Deno.Command("script", {
    args: ["-qec", quoted, "/dev/null"],
    env,
    stdin: "null",
    stdout: "piped",
  }).output();
  assertEquals(output.code, 0, new TextDecoder().decode(output.stdout));
  return new TextDecoder().decode(output.stdout);
}

const readDoc = (path: string) => Deno.readTextFile(new URL(`../${path}`, import.meta.url));

Deno.test("a harness's pseudo-terminal: the same record as piped, with TERM=dumb the same output, with NO_COLOR=1 no colour; AGENT_PROTOCOL.md says so and names GIT_PAGER=cat for the git commands runrec's messages name (newuser-53 F1)", async () => {
  const { del } = await makeProject();
  const piped = await runCliProcess(emitArgs(del));
  assertEquals(piped.code, 0, piped.stderr);
  await onTerminal(emitArgs(del), { TERM: "xterm", NO_COLOR: "" });
  const lines = (await Deno.readTextFile(join(del, "RunRecords.csv"))).trimEnd().split("\n");
  assertEquals(lines.length, 3, lines.join("\n"));
  // Only what each run must have of its own differs.
  const [first, second] = lines.slice(1).map((line) => {
    const { RunID: _id, RunTimestamp: _at, RecordChecksum: _sum, ...rest } = decodeRecord(line);
    return rest;
  });
  assertEquals(second, first);
  const runId = decodeRecord(lines[1]).RunID;
  for (const args of [["log", del], ["validate", del], ["verify", del], ["show", del, runId]]) {
    const expected = await runCliProcess(args);
    assertEquals([expected.code, expected.stderr], [0, ""], args.join(" "));
    const dumb = await onTerminal(args, { TERM: "dumb", NO_COLOR: "" });
    assertEquals(dumb.replaceAll("\r\n", "\n"), expected.stdout, args.join(" "));
  }
  // Colour on a terminal unless NO_COLOR is set (not empty, as no-color.org says).
  assert((await onTerminal(["log", del], { TERM: "xterm", NO_COLOR: "" })).includes("\x1b["));
  assert(!(await onTerminal(["log", del], { TERM: "xterm", NO_COLOR: "1" })).includes("\x1b["));
  const protocol = (await readDoc("docs/AGENT_PROTOCOL.md")).replace(/\s+/g, " ");
  for (const said of ["pseudo-terminal", "`NO_COLOR=1`", "`TERM=dumb`", "`GIT_PAGER=cat`"]) {
    assertIncludes(protocol, said);
  }
});

Deno.test("SCHEMA_EVOLUTION.md's steps for a version bump name what a trial v1.1 bump needed beyond FIELDS and KNOWN_VERSIONS: the reader's decoder of the previous version, the modules that know one header, the RunRecord type (newuser-53 F2)", async () => {
  const doc = (await readDoc("docs/SCHEMA_EVOLUTION.md")).replace(/\s+/g, " ");
  // Bumped as the page said before, every v1.0 file became unreadable: the reader has one decoder.
  const reader = await readDoc("src/reader.ts");
  assertIncludes(reader, "no decoder for ${reading.known.version}");
  assertIncludes(doc, "`cannot read: no decoder for v1.0`");
  for (
    const module of [
      "src/reader.ts",
      "src/record_file_state.ts",
      "src/line_classifier.ts",
      "src/header_layout.ts",
      "src/plain_record.ts",
      "src/export/openlineage_facets.json",
    ]
  ) {
    assertIncludes(doc, `\`${module}\``);
    await Deno.stat(new URL(`../${module}`, import.meta.url)); // a module renamed since: say so
  }
  assertIncludes(doc, "the `RunRecord` interface");
  assertIncludes(doc, "scripts/schema_table.ts");
});

Deno.test("C1 control characters (U+0080-U+009F: U+009B is CSI, U+009D OSC) in an agent's text are shown, not sent raw, by log's table and md, and show, as ESC is: a terminal that honours them was cleared or retitled (newuser-53 F3)", async () => {
  const { del } = await makeProject();
  const error = "a\u009b2Jb \u009d0;title\u009c c \u001b[2J d";
  const emitted = await runCliProcess(
    [
      "emit",
      del,
      "--agent",
      "4_DOCUMENTS",
      "--status",
      "FAILED",
      "--error",
      error,
      "--pass",
      "P\u009b1m",
    ],
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  const runId = emitted.stdout.trim();
  const outputs = [
    await runCliProcess(["log", del]),
    await runCliProcess(["log", del, "--format", "md"]),
    await runCliProcess(["show", del, runId]),
  ];
  for (const { code, stdout, stderr } of outputs) {
    assertEquals(code, 0, stderr);
    assertNoRawControls(stdout);
  }
  assertIncludes(outputs[0].stdout, "a\\u009b2Jb \\u009d0;title\\u009c c ␛[2J d");
  assertIncludes(outputs[1].stdout, "a\\u009b2Jb \\u009d0;title\\u009c c ␛\\[2J d");
  assertIncludes(outputs[2].stdout, "a\\u009b2Jb \\u009d0;title\\u009c c ␛[2J d");
});

Deno.test("JSON outputs write C1 control characters of an agent's text as \\u escapes (the same value), not raw: log --format json and jsonl, show --format json, emit --json (newuser-53 F4)", async () => {
  const { del } = await makeProject();
  const error = "a\u009b2Jb \u009d0;title\u009c \u007f end";
  const emitted = await runCliProcess(
    ["emit", del, "--agent", "4_DOCUMENTS", "--status", "FAILED", "--error", error, "--json"],
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  const runId = JSON.parse(emitted.stdout).RunID;
  const outputs = [
    emitted,
    await runCliProcess(["log", del, "--format", "json"]),
    await runCliProcess(["log", del, "--format", "jsonl"]),
    await runCliProcess(["show", del, runId, "--format", "json"]),
  ];
  for (const { code, stdout, stderr } of outputs) {
    assertEquals(code, 0, stderr);
    assertEquals(stdout.match(/[\u007f-\u009f]/g), null, stdout);
    assertIncludes(stdout, "a\\u009b2Jb \\u009d0;title\\u009c \\u007f end");
    const parsed = JSON.parse(stdout);
    assertEquals([parsed].flat()[0].ErrorSummary, error);
  }
});

Deno.test("agents check and install name an agent file whose name holds ESC or a C1 control escaped, not raw (newuser-53 F5)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "runrec-agents-names-" });
  const fixtures = new URL("./fixtures/agents/", import.meta.url);
  const named = "AGENT_X\u001b]0;t\u0007\u009b2J.md";
  await Deno.copyFile(new URL("AGENT_ORCHESTRATOR.md", fixtures), join(dir, named));
  await Deno.copyFile(new URL("AGENT_4_DOCUMENTS.md", fixtures), join(dir, "AGENT_4_DOCUMENTS.md"));
  for (const [action, code] of [["check", 1], ["install", 0]] as const) {
    const { code: got, stdout, stderr } = await runCliProcess(["agents", action, dir]);
    assertEquals(got, code, stderr);
    assertNoRawControls(stdout);
    assertIncludes(stdout, "AGENT_X\\u001b]0;t\\u0007\\u009b2J.md: skipped");
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a pending run's warning (log, verify, reap) and verify --json name a folder whose name holds ESC or a C1 control escaped, not raw (newuser-53 F6)", async () => {
  const { root } = await makeProject();
  const del = await controlsFolder(root);
  const started = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"]);
  assertEquals(started.code, 0, started.stderr);
  const emitted = await runCliProcess(emitArgs(del, "--input", "_CONTEXT.md"));
  assertEquals(emitted.code, 0, emitted.stderr);
  for (
    const args of [["log", root], ["verify", root], ["verify", root, "--json"], ["reap", root]]
  ) {
    const { stdout, stderr } = await runCliProcess(args);
    const both = stdout + stderr;
    assertIncludes(both, CONTROLS_FOLDER_ESCAPED, args.join(" "));
    assertNoRawControls(both);
  }
});

Deno.test("the warnings of log, verify, export and flush about a record spooled in a folder whose name holds ESC or a C1 control name it escaped, not raw (newuser-53 F7)", async () => {
  const { root } = await makeProject();
  const del = await controlsFolder(root);
  // A header of no version this runrec writes: the record is spooled, not appended.
  await Deno.writeTextFile(join(del, "RunRecords.csv"), "SchemaVersion,Foo\n");
  const emitted = await runCliProcess(emitArgs(del, "--input", "_CONTEXT.md"));
  assertEquals(emitted.code, 0, emitted.stderr);
  assertIncludes(emitted.stderr, "record not written");
  const commands = [["log", root], ["verify", root], ["export", root, "--format", "prov"], [
    "flush",
    root,
  ]];
  for (const args of commands) {
    const { stderr } = await runCliProcess(args);
    assertIncludes(stderr, CONTROLS_FOLDER_ESCAPED, args.join(" "));
    assertNoRawControls(stderr);
  }
});

Deno.test("reap's line for each run it writes FAILED names a folder whose name holds ESC or a C1 control escaped, not raw (newuser-53 F8)", async () => {
  const { root } = await makeProject();
  const del = await controlsFolder(root);
  const started = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"]);
  assertEquals(started.code, 0, started.stderr);
  const reaped = await runCliProcess(["reap", root, "--older-than", "0s"]);
  assertEquals(reaped.code, 0, reaped.stderr);
  assertIncludes(reaped.stdout, `${CONTROLS_FOLDER_ESCAPED} 4_DOCUMENTS started`);
  const both = reaped.stdout + reaped.stderr;
  assertNoRawControls(both);
});

Deno.test("an unknown command or a stray argument after --version is echoed with its C1 controls escaped, as its C0 ones were (newuser-53 F9)", async () => {
  for (const args of [["lo\u009bg"], ["--version", "x\u009d0;t\u009c"]]) {
    const { code, stderr } = await runCliProcess(args);
    assertEquals(code, 2, stderr);
    assertEquals(stderr.match(/[\u007f-\u009f]/g), null, stderr);
    assertIncludes(
      stderr,
      args.at(-1)!.replace(/[\u007f-\u009f]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`),
    );
  }
});

Deno.test("show of a run in a folder whose name holds ESC or a C1 control names its file escaped (newuser-53 F10)", async () => {
  const { root } = await makeProject();
  const del = await controlsFolder(root);
  const emitted = await runCliProcess(emitArgs(del, "--input", "_CONTEXT.md"));
  assertEquals(emitted.code, 0, emitted.stderr);
  const shown = await runCliProcess(["show", del, emitted.stdout.trim()]);
  assertEquals(shown.code, 0, shown.stderr);
  assertIncludes(shown.stdout, `${CONTROLS_FOLDER_ESCAPED}/RunRecords.csv\`, line 2.`);
  const both = shown.stdout + shown.stderr;
  assertNoRawControls(both);
});
