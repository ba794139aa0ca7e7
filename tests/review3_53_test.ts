/**
 * Stop 53's review of the C1-control escaping of the text and JSON outputs and of
 * `flush --from -`: each test is a case found wrong through the CLI, with a real terminal
 * (script(1)), a real standard input and a real lost record; each failed before its fix.
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { emitArgs, runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { assert, assertEquals, assertIncludes } from "./assert.ts";

const decoder = new TextDecoder();

/** `argv` as one POSIX shell line. */
const shellLine = (argv: string[]) => argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");

/** The CLI's command line for `args`, for a shell. */
const runrecLine = (args: string[]) =>
  shellLine([Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, ...args]);

/** `script` in `cwd` with `args` as "$@": exit code, stdout and stderr. */
async function shell(cwd: string, script: string, ...args: string[]) {
  const out = await new Deno.Command("sh", {
    args: ["-c", script, "sh", ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("flush --from - at a terminal where nobody types is refused at once, as --inputs-from - is, not waited on for ever (review3-53 F1)", async () => {
  const { root } = await makeProject();
  for (const from of ["-", "/dev/stdin"]) {
    // script(1) gives runrec a pseudo-terminal; its own standard input stays open and silent,
    // as a harness's does. The deadline only ends a runrec that waits (the defect).
    const child = new Deno.Command("script", {
      args: ["-qec", runrecLine(["flush", "--from", from]), "/dev/null"],
      cwd: root,
      env: { NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      signal: AbortSignal.timeout(60_000),
    }).spawn();
    const out = await child.output();
    assertEquals([out.code, decoder.decode(out.stdout)], [
      2,
      `runrec flush: --from ${from} (standard input): a terminal: pipe the lost-record lines ` +
      "in, or name their file\r\n",
    ]);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("flush --from /dev/stdin reads standard input as - does; a standard input that cannot be read (a folder) names --from and standard input, exit 2 (review3-53 F2, F3)", async () => {
  const { root } = await makeProject();
  const gone = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-08_Never");
  const lost = await runCliProcess(["exec", gone, "--agent", "A", "--", "sh", "-c", "exit 3"]);
  assertIncludes(lost.stderr, "runrec: lost-record: ");
  await Deno.mkdir(gone);
  const saved = join(root, "lost.txt");
  await Deno.writeTextFile(saved, lost.stderr);
  const piped = await shell(root, `${runrecLine(["flush", "--from", "/dev/stdin"])} < "$1"`, saved);
  assertEquals(piped.code, 0, piped.stderr);
  assertIncludes(piped.stdout, "replayed into DEL-01-08");
  const records = (await Deno.readTextFile(join(gone, "RunRecords.csv"))).trimEnd().split("\n");
  assertEquals(records.length, 2);
  // A folder as standard input: one line naming what was read, not the system's words alone.
  const folder = await shell(root, `${runrecLine(["flush", "--from", "-"])} < "$1"`, root);
  assertEquals([folder.code, folder.stdout, folder.stderr], [
    2,
    "",
    "runrec flush: --from - (standard input): cannot read: is a folder\n",
  ]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a lost-record line writes the C1 controls of an agent's text as \\u escapes, none raw on stderr; flush --from - appends the record with them as given, and verify holds (review3-53 F4)", async () => {
  const { root } = await makeProject();
  const gone = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-08_Never");
  const pass = "P\u009b2J \u0085 \u009d0;t\u0007";
  const lost = await runCliProcess(["exec", gone, "--agent", "A", "--pass", pass, "--", "true"]);
  const line = lost.stderr.split("\n").find((l) => l.startsWith("runrec: lost-record: "));
  assert(line !== undefined, lost.stderr);
  assertEquals(lost.stderr.match(/[\x7F-\x9F]/g), null);
  assertIncludes(line, "P\\u009b2J \\u0085 \\u009d0;t\\u0007");
  await Deno.mkdir(gone);
  const flushed = await runCliProcess(["flush", "--from", "-"], undefined, undefined, root, line);
  assertEquals(flushed.code, 0, flushed.stderr);
  const shown = await runCliProcess(["log", gone, "--format", "jsonl"]);
  assertEquals(JSON.parse(shown.stdout).RunPassDirective, pass);
  const verified = await runCliProcess(["verify", gone]);
  assertEquals(verified.code, 0, verified.stdout + verified.stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("agents check of a folder with no AGENT_*.md whose name holds a C1 control names it escaped (review3-53 F5)", async () => {
  const dir = join(await tempDir(), "agents\u009b2J");
  await Deno.mkdir(dir);
  const check = await runCliProcess(["agents", "check", dir]);
  assertEquals([check.code, check.stderr], [
    1,
    `runrec agents: ${dir.replace("\u009b", "\\u009b")}: no AGENT_*.md files to check\n`,
  ]);
  await Deno.remove(join(dir, ".."), { recursive: true });
});

Deno.test("flush's line for a record put back that git checkout dropped names a folder whose name holds a C1 control and a line break escaped, on one line (review3-53 F6)", async () => {
  const { root, del } = await makeProject();
  const odd = join(del, "..", "DEL-01-02_Th\u009b2J\ning");
  await Deno.rename(del, odd);
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "project");
  const emitted = await runCliProcess(emitArgs(odd));
  assertEquals(emitted.code, 0, emitted.stderr);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "first run");
  const second = await runCliProcess(emitArgs(odd));
  assertEquals(second.code, 0, second.stderr);
  await git(root, "checkout", "--", join(odd, "RunRecords.csv")); // drops the second record
  const flushed = await runCliProcess(["flush", odd]);
  assertEquals(flushed.code, 0, flushed.stderr);
  // deno-lint-ignore no-control-regex -- the controls are what must not reach stdout
  assertEquals(flushed.stdout.match(/[\x00-\x09\x0B-\x1F\x7F-\x9F]/g), null);
  assertEquals(flushed.stdout.split("\n").length, 2, flushed.stdout);
  assertIncludes(flushed.stdout, "DEL-01-02_Th\\u009b2J\\ning/RunRecords.csv, which a git command");
  await Deno.remove(root, { recursive: true });
});
