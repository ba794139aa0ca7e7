/**
 * Runs the examples of README, docs/TUTORIAL.md and docs/AGENT_PROTOCOL.md as written and checks the
 * output they show.
 *
 * Conventions (both files name the placeholders for their readers too):
 *
 * - An HTML comment `<!-- runnable -->` before a fenced block marks it as an
 *   example to run on a fresh copy of `examples/`, starting in the copy's
 *   root. `<!-- runnable: continue -->` runs its block in the session of the
 *   runnable block before it (same copy, same shell variables).
 * - In a `console` block, `$ ` starts a command; a line ending in `\`
 *   continues it; every other line is output the command must print (stdout
 *   and stderr together). A command must exit 0, or N when it ends with the
 *   shell comment `# exit N`. `runrec` is the CLI entry point run with the
 *   flags of the `runrec` task in deno.json.
 * - In expected output, `…` stands for any text (times, RunIDs, commit ids,
 *   host names), a run of spaces for any run of spaces, and a line that is
 *   only `…` for lines left out. The expected lines must appear in order;
 *   the output may hold more lines.
 * - A `ts` block is run with the `deno run FLAGS FILE.ts` the text before
 *   it gives (the import `./runrec/mod.ts` pointed at this checkout's
 *   `mod.ts`) and must exit 0; a `text` block
 *   right after it holds its expected output.
 *
 * @module
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { assert, assertEquals } from "./assert.ts";
import { git, makeProject, ROOT, tempDir } from "./fixtures.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";

/** The placeholder for text that differs on every run. */
const ANY = "…";

/** The documents whose examples run, from the repository root. */
const DOCUMENTS = ["README.md", "docs/TUTORIAL.md", "docs/AGENT_PROTOCOL.md"];

/** One command of a `console` block, with the output its document shows for it. */
interface Command {
  /** Where the command's first line is: `FILE line N`. */
  where: string;
  text: string;
  exitCode: number;
  expected: string[];
}

/** One runnable fenced block of a document. */
interface Example {
  /** The document. */
  file: string;
  line: number;
  language: string;
  continues: boolean;
  body: string[];
  /** The `text` block after a `ts` block: its expected output. */
  output: string[];
}

/** The runnable blocks of a Markdown text, in order. */
export function runnableExamples(markdown: string, file: string): Example[] {
  const lines = markdown.split("\n");
  const examples: Example[] = [];
  const fenceAt = (from: number): { at: number; language: string } | undefined => {
    let i = from;
    while (i < lines.length && lines[i].trim() === "") i++;
    const m = /^```(\w*)\s*$/.exec(lines[i] ?? "");
    return m ? { at: i, language: m[1] } : undefined;
  };
  const blockBody = (open: number): { body: string[]; close: number } => {
    const close = lines.findIndex((l, i) => i > open && l.startsWith("```"));
    assert(close > open, `${file} line ${open + 1}: unterminated code block`);
    return { body: lines.slice(open + 1, close), close };
  };
  lines.forEach((text, i) => {
    const marker = /^<!-- runnable(: continue)? -->$/.exec(text.trim());
    if (!marker) return;
    const fence = fenceAt(i + 1);
    assert(fence, `${file} line ${i + 1}: a runnable marker must precede a code block`);
    const { body, close } = blockBody(fence.at);
    let output: string[] = [];
    const next = fenceAt(close + 1);
    if (fence.language === "ts" && next?.language === "text") output = blockBody(next.at).body;
    examples.push({
      file,
      line: fence.at + 1,
      language: fence.language,
      continues: marker[1] !== undefined,
      body,
      output,
    });
  });
  return examples;
}

/** Splits a `console` block into commands and the output shown for each. */
export function consoleCommands(example: Example): Command[] {
  const commands: Command[] = [];
  let continued = false;
  example.body.forEach((text, i) => {
    const where = `${example.file} line ${example.line + 1 + i}`;
    const current = commands.at(-1);
    if (continued && current) {
      current.text += `\n${text}`;
    } else if (text.startsWith("$ ")) {
      commands.push({ where, text: text.slice(2), exitCode: 0, expected: [] });
    } else {
      assert(current, `${where}: output before the first command`);
      if (text.trim() !== "" && text.trim() !== ANY) current.expected.push(text);
    }
    continued = text.endsWith("\\");
  });
  for (const command of commands) {
    const exit = /#\s*exit (\d+)\s*$/.exec(command.text);
    if (exit) command.exitCode = Number(exit[1]);
  }
  return commands;
}

/** Whether an output line matches an expected line (placeholders, any run of spaces). */
export function lineMatches(expected: string, actual: string): boolean {
  const pattern = expected.trim().split(ANY).map((part) =>
    part.split(/\s+/).map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("\\s+")
  ).join(".+?");
  return new RegExp(`^${pattern}$`).test(actual.trim());
}

/** The expected lines not found, in order, among the actual lines. */
function missingLines(expected: string[], actual: string[]): string[] {
  let from = 0;
  const missing: string[] = [];
  for (const want of expected) {
    const at = actual.findIndex((got, i) => i >= from && lineMatches(want, got));
    if (at < 0) missing.push(want);
    else from = at + 1;
  }
  return missing;
}

/** `runrec` for the examples: the CLI entry point under the `runrec` task's flags. */
async function writeShim(bin: string): Promise<void> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const words = (config.tasks.runrec as string).trim().split(/\s+/);
  assert(words[0] === "deno" && words[1] === "run", "the runrec task is not a deno run");
  const entry = words.indexOf("src/cli/main.ts");
  assert(entry > 1, "the runrec task does not run src/cli/main.ts");
  const args = [Deno.execPath(), "run", ...words.slice(2, entry), join(ROOT, "src/cli/main.ts")];
  const quoted = args.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  await Deno.mkdir(bin, { recursive: true });
  await Deno.writeTextFile(join(bin, "runrec"), `#!/bin/sh\nexec ${quoted} "$@"\n`, {
    mode: 0o755,
  });
}

/** A fresh temporary folder with `runrec` on its PATH and a copy of `examples/`. */
async function freshCopy(): Promise<{ dir: string; copy: string; env: Record<string, string> }> {
  const dir = await tempDir({ prefix: "runrec-readme-" });
  const copy = join(dir, "try");
  await writeShim(join(dir, "bin"));
  await Deno.mkdir(join(dir, "home"));
  await Deno.mkdir(join(dir, "tmp"));
  const copied = await new Deno.Command("cp", { args: ["-R", join(ROOT, "examples"), copy] })
    .output();
  assert(copied.success, "could not copy examples/");
  const env = {
    PATH: `${join(dir, "bin")}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    HOME: join(dir, "home"), // no user git config
    // Deno's cache of the one npm package (pathe): where the test run found it.
    DENO_DIR: Deno.env.get("DENO_DIR") ?? join(Deno.env.get("HOME") ?? "/root", ".cache", "deno"),
    TMPDIR: join(dir, "tmp"),
    NO_COLOR: "1",
    LC_ALL: "C.UTF-8",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "README example",
    GIT_AUTHOR_EMAIL: "readme@example.com",
    GIT_COMMITTER_NAME: "README example",
    GIT_COMMITTER_EMAIL: "readme@example.com",
  };
  return { dir, copy, env };
}

const MARK = "\u001eRUNREC-README";

/** Runs a session's commands in one shell, returning each command's output and exit code. */
async function runSession(
  commands: Command[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ output: string[]; code: number }[]> {
  const script = ["exec 2>&1"];
  commands.forEach((c, i) => {
    script.push(
      `printf '\\n${MARK} start ${i}\\n'`,
      c.text,
      `printf '\\n${MARK} end ${i} %d\\n' $?`,
    );
  });
  const result = await new Deno.Command("bash", {
    args: ["--noprofile", "--norc", "-c", script.join("\n")],
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(result.stdout);
  return commands.map((_, i) => {
    const start = text.indexOf(`${MARK} start ${i}\n`);
    const end = new RegExp(`${MARK} end ${i} (\\d+)\\n`).exec(text);
    assert(start >= 0 && end, `the shell stopped before command ${i + 1}:\n${text}`);
    const output = text.slice(start, end.index).split("\n").slice(1);
    return { output: output.filter((l) => l.trim() !== ""), code: Number(end[1]) };
  });
}

/** Fails naming each command whose exit code or output differs from its document. */
function checkCommands(commands: Command[], results: { output: string[]; code: number }[]) {
  const failures: string[] = [];
  commands.forEach((command, i) => {
    const { output, code } = results[i];
    const missing = missingLines(command.expected, output);
    if (code !== command.exitCode || missing.length > 0) {
      failures.push(
        `${command.where}: $ ${command.text}\n` +
          `  exit ${code}, expected ${command.exitCode}\n` +
          missing.map((l) => `  missing: ${l}\n`).join("") +
          output.map((l) => `  output:  ${l}\n`).join(""),
      );
    }
  });
  assert(
    failures.length === 0,
    `examples differ from what they print:\n${failures.join("")}`,
  );
}

Deno.test("README: the placeholder matches any text, and only where it stands", () => {
  assert(lineMatches("RUN-DEL-01-02-…-001", "RUN-DEL-01-02-20261201-1622-001"));
  assert(!lineMatches("RUN-DEL-01-02-…-001", "RUN-DEL-01-02-20261201-1622-002"));
  assert(lineMatches("a  b (…)", "a b (x.y)"));
  assert(!lineMatches("a.b", "axb"), "a dot is literal");
});

/** README's CLI synopsis: one entry per `runrec <command> <words>` form, with its options. */
function readmeSynopsis(readme: string): { command: string; form: string; options: string[] }[] {
  const start = readme.indexOf("## The CLI");
  const block = /```text\n([\s\S]*?)```/.exec(readme.slice(start))![1];
  // A continuation line (indented) belongs to the form above it; `|` separates two forms.
  const lines = block.replace(/\n\s+(?=\S)/g, " ").trimEnd().split("\n");
  return lines.flatMap((line) => line.split(/\s+\|\s+(?=runrec )/)).map((form) => ({
    command: form.split(/\s+/)[1],
    form,
    options: [...form.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((m) => m[0]),
  }));
}

Deno.test("README: every option in the CLI synopsis is one its command's --help lists", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const forms = readmeSynopsis(readme);
  assert(forms.length >= 15, `only ${forms.length} synopsis forms found`);
  for (const { command, form, options } of forms) {
    const { code, stdout } = await runCli([command, "--help"]);
    assert(code === 0, `runrec ${command} --help exited ${code}`);
    // Where the help has one usage line per subcommand (agents), each subcommand's line must
    // list the option; elsewhere the help as a whole must.
    const subs = /^runrec \S+\s+([a-z|]+)\s/.exec(form)?.[1]?.split("|") ?? [];
    for (const option of options) {
      const usages = subs.map((sub) =>
        stdout.split("\n").find((l) => l.trim().startsWith(`runrec ${command} ${sub} `))
      );
      if (usages.length > 0 && usages.every((u) => u !== undefined)) {
        for (const [i, usage] of usages.entries()) {
          assert(usage!.includes(option), `README: runrec ${command} ${subs[i]} has no ${option}`);
        }
      } else {
        assert(stdout.includes(option), `README: runrec ${command} --help lists no ${option}`);
      }
    }
  }
  assert(
    readme.includes("main options; `runrec <command> --help` lists all"),
    "README must say its synopsis holds the main options only",
  );
});

Deno.test("README: flush's synopsis gives --from FILE instead of folders, not beside them, as flush --help does (trial-q F6)", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const [flush] = readmeSynopsis(readme).filter((f) => f.command === "flush");
  const { stdout } = await runCli(["flush", "--help"]);
  assert(/runrec flush --from FILE \[--json\] +\(no folder/.test(stdout), stdout);
  // The top-level [...] groups of the form: options in two groups may be given together.
  const groups = flush.form.match(/\[[^\]]*\]/g) ?? [];
  const folders = groups.findIndex((g) => g.includes("<del-dir"));
  const from = groups.findIndex((g) => g.includes("--from"));
  assertEquals(folders, from, `README: ${flush.form}`);
});

Deno.test("README: exec's exit code is the command's own, as exec --help says", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const { stdout } = await runCli(["exec", "--help"]);
  assert(stdout.includes("Exits with CMD's exit code"), "exec --help changed: update README");
  assert(/`exec` exits with CMD's own\s+code/.test(readme), "README does not say exec's exit code");
});

Deno.test("runrec --help names --version and -V", async () => {
  const { code, stdout } = await runCli(["--help"]);
  assert(code === 0);
  assert(stdout.includes("--version") && stdout.includes("-V"), stdout);
  const version = await runCli(["-V"]);
  assert(version.code === 0 && version.stdout.startsWith("runrec "), version.stdout);
});

Deno.test("README, mod.ts: GitHead is recorded without --allow-run, as they say", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "start");
  const head = await git(root, "rev-parse", "HEAD");
  const noRun = [...FULL_FLAGS.filter((f) => f !== "--allow-run"), "--deny-run"];
  const emitted = await runCliProcess(["emit", del, "--agent", "A", "--status", "SUCCESS"], noRun);
  assert(emitted.code === 0, emitted.stderr);
  const record = (await Deno.readTextFile(join(del, "RunRecords.csv"))).trimEnd().split("\n")[1];
  assert(record.split(",").at(-3) === head, `GitHead is not ${head}: ${record}`);
  for (const file of ["README.md", "mod.ts"]) {
    const text = (await Deno.readTextFile(join(ROOT, file))).replace(/\s*\n\s*\*?\s*/g, " ");
    assert(
      !/`--allow-run`,? (lets )?GitHead/.test(text),
      `${file} says --allow-run is for GitHead`,
    );
    assert(/GitHead needs (no `--allow-run`|it only in a reftable)/.test(text), file);
  }
});

Deno.test("README: Install says when the two commands are launchers tied to this Deno (npx's too), and what to add to PATH", async () => {
  const readme = (await Deno.readTextFile(join(ROOT, "README.md"))).replace(/\s+/g, " ");
  const install = readme.slice(readme.indexOf("## Install"), readme.indexOf("## The CLI"));
  assert(
    /no binary can be compiled.*launchers running the Deno that installed them: with npx, the one in its cache\. Install again .*once that Deno is gone/
      .test(install),
    install,
  );
  assert(install.includes('not on PATH, add it (`export PATH="DIR:$PATH"`)'), install);
  assert(!install.includes("puts `runrec` on your PATH"), install);
});

Deno.test("mod.ts: its module doc says which examples run as written", async () => {
  const text = (await Deno.readTextFile(join(ROOT, "mod.ts"))).replace(/\s*\n\s*\*\s*/g, " ");
  assert(text.includes("so each runs as written (`deno test --doc mod.ts`)"), "module examples");
  assert(
    text.includes("examples on single functions run as written from the top folder of a copy"),
  );
});

for (const file of DOCUMENTS) {
  const markdown = await Deno.readTextFile(join(ROOT, file));
  const examples = runnableExamples(markdown, file);

  Deno.test(`${file}: every console and ts example is marked runnable`, () => {
    const fences = [...markdown.matchAll(/^```(console|ts)$/gm)].length;
    // AGENT_PROTOCOL.md shows one script (its other blocks are sh: what an agent file says).
    const least = file === "docs/AGENT_PROTOCOL.md" ? 1 : 2;
    assert(examples.length >= least, `${file} has only ${examples.length} runnable examples`);
    assert(
      fences === examples.length,
      `${fences - examples.length} example(s) not marked runnable`,
    );
    assert(!examples[0].continues, "the first runnable example cannot continue another");
  });

  // One test per session: a runnable block and the `continue` blocks after it.
  const sessions: Example[][] = [];
  for (const example of examples) {
    if (example.continues) sessions.at(-1)?.push(example);
    else sessions.push([example]);
  }
  for (const session of sessions) {
    Deno.test(`${file}: the example at line ${session[0].line} prints what it shows`, () =>
      runExample(session));
  }
}

/** Runs one session on a fresh copy of `examples/` and checks every command's output. */
async function runExample(session: Example[]): Promise<void> {
  const first = session[0];
  const { dir, copy, env } = await freshCopy();
  try {
    if (first.language === "ts") {
      const where = `${first.file} line ${first.line}`;
      assert(session.length === 1, `${where}: a ts example cannot continue`);
      const mod = pathToFileURL(join(ROOT, "mod.ts")).href;
      const source = first.body.join("\n").replaceAll('"./runrec/mod.ts"', `"${mod}"`);
      // Run as the text before the block says: `deno run FLAGS FILE.ts`, those flags only.
      const before = (await Deno.readTextFile(join(ROOT, first.file))).split("\n")
        .slice(0, first.line).join(" ");
      const said = [...before.matchAll(/`deno run ((?:--[\w=-]+ )+)(\w+\.ts)`/g)].at(-1);
      assert(said, `${where}: the text before it gives no \`deno run ... FILE.ts\``);
      await Deno.writeTextFile(join(copy, said[2]), source);
      const deno = Deno.execPath();
      const command: Command = {
        where,
        text: `'${deno}' run --no-config --no-prompt --deny-net ${said[1]}${said[2]}`,
        exitCode: 0,
        expected: first.output.filter((l) => l.trim() !== "" && l.trim() !== ANY),
      };
      checkCommands([command], await runSession([command], copy, env));
    } else {
      for (const example of session) {
        assert(
          example.language === "console",
          `${example.file} line ${example.line}: not a console block`,
        );
      }
      const commands = session.flatMap(consoleCommands);
      checkCommands(commands, await runSession(commands, copy, env));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("README: each `runrec agents` command it shows names a placeholder or a folder of AGENT_*.md files (agents/ of examples/ holds none)", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const named = [...readme.matchAll(/`runrec agents (?:install|check|remove) ([^`\s]+)[^`]*`/g)]
    .map((m) => m[1]);
  assert(named.length > 0, "README shows no runrec agents command");
  for (const dir of named) {
    if (/^<[a-z-]+>$/.test(dir)) continue;
    const files = [...Deno.readDirSync(join(ROOT, "examples", dir))].map((e) => e.name);
    assert(files.some((f) => /^AGENT_.*\.md$/.test(f)), `${dir} in a copy of examples/: ${files}`);
  }
});
