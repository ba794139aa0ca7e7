/**
 * Stop 59's new user: README and the CLI on a fresh copy of a project, with the mistakes a first
 * hour makes. Each test is one message that misled, and failed before its fix.
 */
import { join, relative } from "node:path";
import { RECORD_FILE } from "../src/deliverable.ts";
import { makeProject, ROOT, tempDir } from "./fixtures.ts";
import { emitArgs, runCli, runCliProcess } from "./cli.ts";
import { assert, assertEquals, assertIncludes } from "./assert.ts";

Deno.test("a folder named DEL-05-01 Débit Mètre (a space, not _) is refused with what its name lacks and the remedy, which then works (newuser-59 F1)", async () => {
  const { root } = await makeProject();
  const named = join(root, "PKG-01_Pkg", "1_Working", "DEL-05-01 Débit Mètre");
  await Deno.mkdir(named);
  const refused = await runCliProcess(emitArgs(named));
  assertEquals(refused.code, 2, refused.stderr);
  assertEquals(refused.stderr.trimEnd().split("\n").length, 1, refused.stderr);
  // It does start with DEL-05-01: not "does not start with DEL-XX-YY".
  assertIncludes(refused.stderr, 'the folder name has DEL-05-01 followed by " ", not by _');
  assertIncludes(
    refused.stderr,
    ": write the line **DeliverableID:** DEL-05-01 in its _CONTEXT.md, or rename it " +
      "DEL-05-01_Débit Mètre\n",
  );
  assertEquals([...Deno.readDirSync(named)], [], "nothing made by the refused emit");

  // A folder of no deliverable at all: the pattern and where an ID goes.
  const other = join(root, "PKG-01_Pkg", "0_References");
  const plain = await runCliProcess(emitArgs(other));
  assertEquals(plain.code, 2, plain.stderr);
  assertIncludes(
    plain.stderr,
    "the folder name does not start with DEL-XX-YY): name a deliverable folder, or write the " +
      "line **DeliverableID:** DEL-XX-YY in this one's _CONTEXT.md\n",
  );

  // The remedy, as said: the ID in _CONTEXT.md, the folder kept.
  await Deno.writeTextFile(join(named, "_CONTEXT.md"), "**DeliverableID:** DEL-05-01\n");
  const recorded = await runCliProcess(emitArgs(named));
  assertEquals(recorded.code, 0, recorded.stderr);
  assert(/^RUN-DEL-05-01-\d{8}-\d{4}-001\n$/.test(recorded.stdout), recorded.stdout);
  assert(Deno.statSync(join(named, RECORD_FILE)).isFile);
});

Deno.test("a path starting with ~ (or an --input holding $HOME) that no shell expanded (quoted, or an agent's framework with none) says so, with the home folder written out (newuser-59 F3)", async () => {
  const { root, del } = await makeProject();
  const fromHome = relative(root, del);
  const elsewhere = await tempDir({ prefix: "runrec-cwd-" });
  // Deno's cache stays where it is: it is found from HOME too.
  const denoDir = Deno.env.get("DENO_DIR") ?? join(Deno.env.get("HOME")!, ".cache", "deno");
  const env = { HOME: root, DENO_DIR: denoDir };
  for (const args of [emitArgs(`~/${fromHome}`), ["log", "~/PKG-01_Pkg"]]) {
    const refused = await runCliProcess(args, undefined, env, elsewhere);
    assertEquals(refused.code, 2, refused.stderr);
    assertEquals(
      refused.stderr.replace(/^runrec \w+: /, ""),
      `${args[1]}: not found: a leading ~ is the shell's to expand (quoted, or with no shell, ` +
        `it is not): write ${join(root, args[1].slice(2))}\n`,
    );
  }
  assertEquals([...Deno.readDirSync(elsewhere)], [], "nothing made where it ran");
  // An input path so given is noted (a run names what it read), and why it was not found.
  const hashed = await runCliProcess(
    ["hash", del, "--input", "~/notes.md", "--input", "$HOME/notes.md"],
    undefined,
    env,
    elsewhere,
  );
  assertEquals(hashed.code, 0, hashed.stderr);
  assertIncludes(
    hashed.stderr,
    "--input ~/notes.md: not found (a leading ~ is the shell's to expand (quoted, or with no " +
      `shell, it is not): write ${join(root, "notes.md")})\n`,
  );
  assertIncludes(
    hashed.stderr,
    "--input $HOME/notes.md: not found ($HOME is the shell's to expand (in ' quotes, or with no " +
      "shell, it is not): write its value)\n",
  );
  // As written out, it is recorded.
  const recorded = await runCliProcess(emitArgs(join(root, fromHome)), undefined, env, elsewhere);
  assertEquals(recorded.code, 0, recorded.stderr);
});

Deno.test("deno task demo with a misspelt option names it and the usage, not parseArgs' advice on positionals the demo has none of (newuser-59 F4)", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "scripts", "demo.ts"), "--kep"],
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(code, 2);
  assertEquals(
    new TextDecoder().decode(stderr),
    "demo: Unknown option '--kep'\nUsage: deno task demo [--keep] [--quiet]\n\n",
  );
});

Deno.test("agents install on a team's agent file with no PROTOCOL markers says which lines mark its protocol, which then works (newuser-59 F5)", async () => {
  const dir = await tempDir({ prefix: "runrec-agents-" });
  const file = join(dir, "AGENT_4_DOCUMENTS.md");
  const text = "# 4_DOCUMENTS\n\nAGENT_TYPE: 2\n\n## PROTOCOL\n\n1. Write the documents.\n";
  await Deno.writeTextFile(file, text);
  const refused = await runCli(["agents", "install", dir]);
  assertEquals(refused.code, 2, refused.stderr);
  assertEquals(
    refused.stdout,
    `${file}: cannot edit: no [[BEGIN:PROTOCOL]] line: mark the agent's protocol with a line ` +
      "[[BEGIN:PROTOCOL]] before it and [[END:PROTOCOL]] after it (the block goes last in it)\n",
  );
  assertEquals(await Deno.readTextFile(file), text, "no file changed");

  // As said: the two lines around the protocol.
  await Deno.writeTextFile(
    file,
    text.replace("## PROTOCOL\n", "[[BEGIN:PROTOCOL]]\n## PROTOCOL\n") + "[[END:PROTOCOL]]\n",
  );
  assertEquals((await runCli(["agents", "install", dir])).code, 0);
  const check = await runCli(["agents", "check", dir]);
  assertEquals(check.code, 0, check.stdout + check.stderr);
});
