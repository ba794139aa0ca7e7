/**
 * Claims of the design and the docs checked against the CLI, where they did not hold: each test
 * failed before its fix.
 */
import { join } from "node:path";
import { COMMANDS } from "../src/cli/main.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir, writeTree } from "./fixtures.ts";
import { assert, assertEquals } from "./assert.ts";

const NO_INPUT_NOTE = "no governed input (no input named, no _REFERENCES.md): InputContextSHA TBD";

Deno.test("a run with no governed input (no input named, no _REFERENCES.md) is recorded with InputContextSHA TBD and the reason in Notes, by emit, start/finish and exec (DESIGN CON-05), and stale says so as its NO_BASELINE reason; a run with inputs has no such note", async () => {
  const { del } = await makeProject();
  await Deno.remove(join(del, "_REFERENCES.md"));
  const emitted = await runCli(["emit", del, "--agent", "DEPENDENCIES", "--status", "SUCCESS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  const started = await runCli(["start", del, "--agent", "4_DOCUMENTS"]);
  assertEquals(started.code, 0, started.stderr);
  const finished = await runCli(["finish", started.stdout.trim(), "--status", "SUCCESS"]);
  assertEquals(finished.code, 0, finished.stderr);
  const execd = await runCli(["exec", del, "--agent", "CHIRALITY_LENS", "--", "true"]);
  assertEquals(execd.code, 0, execd.stderr);
  // One input named: its hash makes the InputContextSHA, and no such note is written.
  const named = await runCli(
    ["emit", del, "--agent", "DEPENDENCIES", "--status", "SUCCESS", "--input", "Datasheet.md"],
  );
  assertEquals(named.code, 0, named.stderr);
  const log = await runCli(["log", del, "--format", "json"]);
  assertEquals(log.code, 0, log.stderr);
  const records: { AgentName: string; InputContextSHA: string; Notes: string }[] = JSON.parse(
    log.stdout,
  );
  assertEquals(records.length, 4);
  for (const record of records.slice(0, 3)) {
    assertEquals(record.InputContextSHA, "TBD", record.AgentName);
    assert(record.Notes.split(" | ").includes(NO_INPUT_NOTE), record.Notes);
  }
  assert(/^[0-9a-f]{64}$/.test(records[3].InputContextSHA), records[3].InputContextSHA);
  assert(!records[3].Notes.includes("no governed input"), records[3].Notes);
  const validated = await runCli(["validate", del]);
  assertEquals(validated.code, 0, validated.stdout);
  // stale says why there is nothing to compare, not that the inputs were never captured.
  const stale = await runCli(["stale", del, "--agent", "CHIRALITY_LENS", "--json"]);
  assertEquals(stale.code, 0, stale.stderr);
  const [check] = JSON.parse(stale.stdout).checks;
  assertEquals(check.verdict, "NO_BASELINE");
  assert(
    check.reason.includes("had no governed input (no input named, no _REFERENCES.md)"),
    check.reason,
  );
});

Deno.test("a _CONTEXT.md named in other case (_context.md) is said, as _STATUS.md's is, not passed over without a word: where case does not count it is read and the runs take its ID (SCHEMA.md 1.3)", async () => {
  const { del } = await makeProject();
  await Deno.remove(join(del, "_CONTEXT.md"));
  await Deno.writeTextFile(join(del, "_context.md"), "**DeliverableID:** DEL-01-09\n");
  const emitted = await runCli(["emit", del, "--agent", "DEPENDENCIES", "--status", "SUCCESS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  const said = "_CONTEXT.md: not found; _context.md beside it is that name in other case, which " +
    "runrec reads only where case does not count (macOS, Windows): rename it (git mv); " +
    "recorded DEL-01-02 from the folder name";
  assert(emitted.stderr.includes(`runrec: note: ${said}\n`), emitted.stderr);
  assert(emitted.stdout.startsWith("RUN-DEL-01-02-"), emitted.stdout);
  const shown = await runCli(["show", del, emitted.stdout.trim(), "--format", "json"]);
  assertEquals(shown.code, 0, shown.stderr);
  assert(JSON.parse(shown.stdout).Notes.split(" | ").includes(said), shown.stdout);
  // No _CONTEXT.md in any case: the folder name, without a note.
  await Deno.remove(join(del, "_context.md"));
  const plain = await runCli(["emit", del, "--agent", "DEPENDENCIES", "--status", "SUCCESS"]);
  assertEquals(plain.code, 0, plain.stderr);
  assert(!plain.stderr.includes("_CONTEXT.md"), plain.stderr);
});

/**
 * The commands of a help text's `Example:` block (to its first blank line: the pointer to the
 * detail may follow), continuation lines joined, comments and `...` left out.
 */
function helpExamples(help: string): string[] {
  const block = (help.split(/^Examples?:\n/m)[1] ?? "").split("\n\n")[0];
  return block.replace(/ \\\n\s+/g, " ").split("\n").map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#") && line !== "...");
}

/** A command line's words, as sh splits them (quotes, no expansions but the ones given). */
function shellWords(line: string, vars: Record<string, string>): string[] {
  const words: string[] = [];
  for (const [, quoted, bare] of line.matchAll(/"([^"]*)"|(\S+)/g)) {
    words.push((quoted ?? bare).replace(/\$(\$|[A-Z]+)/g, (_, name) => vars[name] ?? ""));
  }
  return words;
}

Deno.test("every command's --help example runs as written in a project of the folders it names: none is a usage error (exit 2)", async () => {
  const root = await tempDir({ prefix: "runrec-help-" });
  const x = join(root, "x");
  const alpha = join(root, "alpha");
  const agents = join(Deno.cwd(), "tests", "fixtures", "agents", "AGENT_4_DOCUMENTS.md");
  const deliverable = (id: string) => ({
    "_CONTEXT.md": `**DeliverableID:** ${id}\n`,
    "_STATUS.md": "**Current State:** OPEN\n",
    "Datasheet.md": "# Datasheet\n",
  });
  const files: Record<string, string> = {
    "x/INIT.md": "# Init\n",
    "alpha/INIT.md": "# Init\n",
    "x/agents/AGENT_4_DOCUMENTS.md": await Deno.readTextFile(agents),
    "x/agents/dependencies.sh": '#!/bin/sh\necho dependency >> "$1/_DEPENDENCIES.md"\n',
    "x/lost-records.txt": "",
  };
  for (const [path, text] of Object.entries(deliverable("DEL-01-02"))) {
    files[`x/PKG-01_X/1_Working/DEL-01-02_Y/${path}`] = text;
    files[`alpha/PKG-01_Alpha/1_Working/DEL-01-02_Spec/${path}`] = text;
  }
  await writeTree(root, files);
  await Deno.chmod(join(x, "agents", "dependencies.sh"), 0o755);
  const spec = join(alpha, "PKG-01_Alpha", "1_Working", "DEL-01-02_Spec");
  // The RunID show's and annotate's examples name.
  const named = await runCli(
    ["emit", spec, "--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--input", "Datasheet.md"]
      .concat(["--started", "2026-02-22T10:15:00Z", "--duration", "PT1S"]),
  );
  assertEquals(named.stdout, "RUN-DEL-01-02-20260222-1015-001\n", named.stderr);
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "project");
  await git(root, "update-ref", "refs/remotes/origin/main", "HEAD");
  const cwdOf: Record<string, string> = {
    annotate: join(alpha, "PKG-01_Alpha", "1_Working"),
    export: alpha,
    log: alpha,
    show: alpha,
    stale: alpha,
    validate: alpha,
    verify: alpha,
  };
  const vars: Record<string, string> = { "$": String(Deno.pid) };
  const failures: string[] = [];
  let count = 0;
  // Every command runrec --help lists, in an order where each example finds what it needs.
  const order = ["start", "finish", "emit", "exec", "reap", "agents", "annotate"].concat(
    ["export", "validate", "verify", "log", "show", "hash", "stale", "flush"],
  );
  assertEquals([...order].sort(), COMMANDS.map((c) => c.name).sort());
  for (const command of order) {
    const help = (await runCli([command, "--help"])).stdout;
    for (const line of helpExamples(help)) {
      const cwd = cwdOf[command] ?? x;
      // finish's examples finish a run: one started for each.
      if (command === "finish") {
        const started = await runCliProcess(
          ["start", "PKG-01_X/1_Working/DEL-01-02_Y", "--agent", "4_DOCUMENTS"],
          undefined,
          {},
          cwd,
        );
        vars.TOKEN = started.stdout.trim();
      }
      const capture = /^([A-Z]+)=\$\((.*)\)$/.exec(line);
      const words = shellWords((capture?.[2] ?? line).replace(/ > \S+$/, ""), vars);
      assertEquals(words[0], "runrec", line);
      const result = await runCliProcess(words.slice(1), undefined, {}, cwd);
      count++;
      if (capture) vars[capture[1]] = result.stdout.trim();
      if (result.code === 2 || /^\s+at /m.test(result.stderr)) {
        failures.push(`runrec ${command} --help: ${line}: exit ${result.code}: ${result.stderr}`);
      }
    }
  }
  assert(count >= 28, `only ${count} examples found`);
  assertEquals(failures, []);
});
