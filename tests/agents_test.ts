/**
 * `runrec agents install|check|remove` on agent files written in the host's
 * shape (tests/fixtures/agents/), including the awkward ones: no QA
 * Contract, `### Function N` headings, a stray second end marker, CRLF, no
 * final newline, front matter, a marker line quoted in a code block.
 *
 * @module
 */
import fc from "fast-check";
import { join } from "node:path";
import {
  examineForInstall,
  examineForRemove,
  readAgentFiles,
  replaceFileText,
  unifiedDiff,
} from "../src/agents.ts";
import { BLOCK_END, blockLines } from "../src/agent_block.ts";
import { BUILTIN_PROFILES } from "../src/profiles.ts";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { makeProject, ROOT } from "./fixtures.ts";
import { seeded } from "./seed.ts";

const FIXTURES = join(ROOT, "tests", "fixtures", "agents");
const ELIGIBLE = [
  "AGENT_4_DOCUMENTS.md",
  "AGENT_CHIRALITY_FRAMEWORK.md",
  "AGENT_CHIRALITY_LENS.md",
  "AGENT_DEPENDENCIES.md",
  "AGENT_PREPARATION.md",
  "AGENT_WORKING_ITEMS.md",
];

/** A copy of the fixture folder, and the bytes of each of its files. */
async function copyFixtures(): Promise<{ dir: string; original: Map<string, Uint8Array> }> {
  const dir = await Deno.makeTempDir({ prefix: "runrec-agents-" });
  const original = new Map<string, Uint8Array>();
  for (const entry of Deno.readDirSync(FIXTURES)) {
    const bytes = Deno.readFileSync(join(FIXTURES, entry.name));
    Deno.writeFileSync(join(dir, entry.name), bytes);
    original.set(entry.name, bytes);
  }
  return { dir, original };
}

function snapshot(dir: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const entry of Deno.readDirSync(dir)) {
    files.set(entry.name, Deno.readFileSync(join(dir, entry.name)));
  }
  return files;
}

function assertSameFiles(actual: Map<string, Uint8Array>, expected: Map<string, Uint8Array>) {
  assertEquals([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [name, bytes] of expected) {
    assert(
      actual.get(name)!.length === bytes.length &&
        actual.get(name)!.every((b, i) => b === bytes[i]),
      `${name} changed`,
    );
  }
}

const read = (dir: string, name: string) => Deno.readTextFileSync(join(dir, name));

Deno.test("agents install: one block per Type 2 deliverable agent, before the end marker that closes PROTOCOL", async () => {
  const { dir, original } = await copyFixtures();
  try {
    const out = await runCli(["agents", "install", dir]);
    assertEquals(out.code, 0, out.stderr);
    for (const name of ELIGIBLE) {
      assertIncludes(out.stdout, `${join(dir, name)}: installed\n`);
      const lines = read(dir, name).split(/\r?\n/);
      const begins = lines.flatMap((l, i) =>
        l.startsWith("<!-- runrec:record-the-run:begin") ? [i] : []
      );
      assertEquals(begins.length, 1, name);
      const end = lines.indexOf(BLOCK_END);
      // The block, one blank line, then the end marker that closes the section.
      assertEquals(lines[end + 1], "", name);
      assertEquals(lines[end + 2], "[[END:PROTOCOL]]", name);
      const protocolBegin = lines.indexOf("[[BEGIN:PROTOCOL]]");
      const firstClosing = lines.findIndex((l, i) =>
        i > protocolBegin && l === "[[END:PROTOCOL]]" && lines[i - 1] !== "```text"
      );
      assertEquals(firstClosing, end + 2, `${name}: the block ends the PROTOCOL section`);
    }
    // The stray second end marker of PREPARATION stays after its QA Contract, untouched.
    const prep = read(dir, "AGENT_PREPARATION.md");
    assertMatch(
      prep,
      /runrec:record-the-run:end -->\n\n\[\[END:PROTOCOL\]\]\n\n---\n\n### QA Contract/,
    );
    // The marker quoted in CHIRALITY_LENS's code block is not the end of its section.
    assertMatch(
      read(dir, "AGENT_CHIRALITY_LENS.md"),
      /```text\n\[\[END:PROTOCOL\]\]\n```\n[^]*Write `_SEMANTIC_LENSING.md`.\n<!-- runrec/,
    );
    assertIncludes(
      out.stdout,
      `${
        join(dir, "AGENT_AUDIT_DEPS.md")
      }: skipped: WRITE_SCOPE tool-root-only: writes no deliverable folder\n`,
    );
    assertIncludes(
      out.stdout,
      `${
        join(dir, "AGENT_ORCHESTRATOR.md")
      }: skipped: AGENT_TYPE 1: only Type 2 agents run on a deliverable\n`,
    );
    assert(!out.stdout.includes("README"), "a file not named AGENT_*.md is not an agent file");
    for (const name of ["AGENT_AUDIT_DEPS.md", "AGENT_ORCHESTRATOR.md", "README.md"]) {
      assertEquals(Deno.readFileSync(join(dir, name)), original.get(name), name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agents install: each agent's block names its own command lines and outcome words", async () => {
  const { dir } = await copyFixtures();
  try {
    await runCli(["agents", "install", dir]);
    const docs = read(dir, "AGENT_4_DOCUMENTS.md");
    assertIncludes(
      docs,
      'runrec start "{DELIVERABLE_PATH}" --agent 4_DOCUMENTS --pass "{RUN_PASSES}" --input _CONTEXT.md',
    );
    assertIncludes(
      docs,
      'runrec finish "{RUN_TOKEN}" --agent 4_DOCUMENTS --status SUCCESS --output Datasheet.md ' +
        "--output Specification.md " +
        "--output Guidance.md --output Procedure.md --output _STATUS.md\n",
    );
    for (const word of ["SKIPPED_PROTECT_HUMAN_WORK", "FAILED_INPUTS", "UNSUPPORTED_VARIANT"]) {
      assertIncludes(docs, `| \`${word}\``);
    }
    const framework = read(dir, "AGENT_CHIRALITY_FRAMEWORK.md");
    assertIncludes(framework, "--output _SEMANTIC.md --output _STATUS.md\n");
    assertIncludes(framework, "| `FAIL`  ");
    assert(!framework.includes("FAILED_INPUTS"), "4_DOCUMENTS' words are its own");
    const prep = read(dir, "AGENT_PREPARATION.md");
    assertIncludes(prep, '--agent PREPARATION --input "{DECOMPOSITION_REF}"');
    assertIncludes(prep, "Record Task Type C runs");
    // An agent without a built-in profile: its own table's outputs.
    const working = read(dir, "AGENT_WORKING_ITEMS.md");
    assertIncludes(working, "--agent WORKING_ITEMS\n");
    assertIncludes(
      working,
      "--output Datasheet.md --output Specification.md --output MEMORY.md --output _STATUS.md\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agents install: CRLF files get CRLF blocks; a missing final newline stays missing", async () => {
  const { dir, original } = await copyFixtures();
  try {
    await runCli(["agents", "install", dir]);
    const crlf = read(dir, "AGENT_DEPENDENCIES.md");
    assertEquals(crlf.replaceAll("\r\n", "").includes("\n"), false, "no bare LF in a CRLF file");
    assertIncludes(crlf, `${BLOCK_END}\r\n\r\n[[END:PROTOCOL]]\r\n`);
    const framework = Deno.readFileSync(join(dir, "AGENT_CHIRALITY_FRAMEWORK.md"));
    const before = original.get("AGENT_CHIRALITY_FRAMEWORK.md")!;
    assertEquals(framework.slice(-40), before.slice(-40));
    assert(before.at(-1) !== 10 && framework.at(-1) !== 10, "still no final newline");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agents install twice changes nothing; remove after install gives the original bytes", async () => {
  const { dir, original } = await copyFixtures();
  try {
    await runCli(["agents", "install", dir]);
    const installed = snapshot(dir);
    const again = await runCli(["agents", "install", dir]);
    assertEquals(again.code, 0);
    for (const name of ELIGIBLE) assertIncludes(again.stdout, `${join(dir, name)}: up to date\n`);
    assertSameFiles(snapshot(dir), installed);
    const removed = await runCli(["agents", "remove", dir]);
    assertEquals(removed.code, 0, removed.stderr);
    for (const name of ELIGIBLE) assertIncludes(removed.stdout, `${join(dir, name)}: removed\n`);
    assertSameFiles(snapshot(dir), original);
    const twice = await runCli(["agents", "remove", dir]);
    assertEquals(twice.code, 0);
    assertSameFiles(snapshot(dir), original);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Byte-level variants of a host file: line endings, final newline, BOM, extra protocol text. */
const variant: fc.Arbitrary<Variant> = fc.record({
  crlf: fc.boolean(),
  finalNewline: fc.constantFrom("keep", "drop", "double"),
  bom: fc.boolean(),
  inserted: fc.array(
    fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, "")),
      fc.constantFrom("", "   ", "| a | b |", "```", "~~~", "### QA Contract", "---", "\t"),
    ),
    { maxLength: 6 },
  ),
  trailingSpaces: fc.boolean(),
});

interface Variant {
  crlf: boolean;
  finalNewline: string;
  bom: boolean;
  inserted: string[];
  trailingSpaces: boolean;
}

function applyVariant(text: string, v: Variant): string {
  let out = text.replace(/\r\n/g, "\n");
  // Extra lines at the start of the protocol, fences balanced so the section stays readable.
  const fences = v.inserted.filter((l) => l === "```" || l === "~~~");
  const lines = [...v.inserted, ...fences.reverse()];
  out = out.replace("## PROTOCOL\n", `## PROTOCOL\n${lines.map((l) => `${l}\n`).join("")}`);
  if (v.trailingSpaces) out = out.replace("[[END:PROTOCOL]]\n", "[[END:PROTOCOL]]  \n");
  out = out.replace(/\n*$/, "");
  if (v.finalNewline === "keep") out += "\n";
  if (v.finalNewline === "double") out += "\n\n";
  if (v.crlf) out = out.replaceAll("\n", "\r\n");
  return v.bom ? `\uFEFF${out}` : out;
}

Deno.test("agents: install then remove is the identity, install is idempotent, and only the block is added (property)", () => {
  const fixtures = ELIGIBLE.map((name) => ({ name, text: read(FIXTURES, name) }));
  fc.assert(
    fc.property(fc.constantFrom(...fixtures), variant, ({ name, text }, v) => {
      const original = applyVariant(text, v);
      const installed = examineForInstall(original, name);
      if (installed.status === "problem") {
        // Only an unbalanced quote can hide the end marker; nothing else may fail.
        assertMatch(installed.reason!, /has no \[\[END:PROTOCOL\]\]/);
        return;
      }
      assertEquals(installed.status, "missing");
      const after = installed.after!;
      assertEquals(examineForInstall(after, name).status, "current");
      assertEquals(examineForInstall(after, name).after, undefined);
      assertEquals(examineForRemove(after, name).after, original);
      // One contiguous insertion: the original is a prefix and a suffix of the result.
      let head = 0;
      while (head < original.length && original[head] === after[head]) head++;
      assertEquals(after.slice(after.length - (original.length - head)), original.slice(head));
      const added = after.slice(head, after.length - (original.length - head));
      if (v.crlf) assertEquals(added.replaceAll("\r\n", "").includes("\n"), false);
    }),
    seeded("agents install/remove round trip", { numRuns: 300 }),
  );
});

Deno.test("agents install --dry-run prints a diff that git apply turns into the installed file, and writes nothing", async () => {
  const { dir, original } = await copyFixtures();
  try {
    const dry = await runCli(["agents", "install", dir, "--dry-run"]);
    assertEquals(dry.code, 0, dry.stderr);
    assertSameFiles(snapshot(dir), original);
    assertIncludes(dry.stdout, `--- ${join(dir, "AGENT_4_DOCUMENTS.md")}\n`);
    assertIncludes(dry.stdout, `${join(dir, "AGENT_4_DOCUMENTS.md")}: would be installed\n`);
    // The diff of each file, applied by git to a copy, gives what install writes.
    const work = await Deno.makeTempDir({ prefix: "runrec-agents-apply-" });
    try {
      for (const name of ELIGIBLE) {
        const before = new TextDecoder().decode(original.get(name));
        const after = examineForInstall(before, name).after!;
        Deno.writeTextFileSync(join(work, name), before);
        Deno.writeTextFileSync(join(work, "change.diff"), unifiedDiff(name, before, after));
        const git = await new Deno.Command("git", {
          args: ["apply", "-p0", "--whitespace=nowarn", "change.diff"],
          cwd: work,
          stderr: "piped",
        }).output();
        assertEquals(git.code, 0, `${name}: ${new TextDecoder().decode(git.stderr)}`);
        assertEquals(read(work, name), after, name);
      }
    } finally {
      await Deno.remove(work, { recursive: true });
    }
    const removeDry = await runCli(["agents", "remove", dir, "--dry-run"]);
    assertEquals(removeDry.code, 0);
    assertEquals(removeDry.stdout.includes("---"), false, "nothing to remove: no diff");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agents: unifiedDiff marks a last line without a newline, and keeps CR", () => {
  assertEquals(
    unifiedDiff("f.md", "a\r\nb", "a\r\nc"),
    "--- f.md\n+++ f.md\n@@ -1,2 +1,2 @@\n a\r\n-b\n\\ No newline at end of file\n" +
      "+c\n\\ No newline at end of file\n",
  );
  assertEquals(unifiedDiff("f.md", "same\n", "same\n"), "");
});

Deno.test("agents check: exits 1 naming missing, out-of-date and hand-edited blocks; 0 when all are current", async () => {
  const { dir } = await copyFixtures();
  try {
    const missing = await runCli(["agents", "check", dir]);
    assertEquals(missing.code, 1);
    for (const name of ELIGIBLE) {
      assertIncludes(missing.stdout, `${join(dir, name)}: block missing\n`);
    }
    assertIncludes(missing.stderr, "6 files without a current block");
    await runCli(["agents", "install", dir]);
    const ok = await runCli(["agents", "check", dir]);
    assertEquals([ok.code, ok.stderr], [0, ""]);
    assertIncludes(ok.stdout, `${join(dir, "AGENT_AUDIT_DEPS.md")}: skipped: `);

    // Edited by hand: the text no longer matches the hash in the begin marker.
    const lens = join(dir, "AGENT_CHIRALITY_LENS.md");
    Deno.writeTextFileSync(lens, read(dir, "AGENT_CHIRALITY_LENS.md").replace("carry on", "stop"));
    // Out of date: the agent's table now names another output than its block does.
    const deps = join(dir, "AGENT_DEPENDENCIES.md");
    Deno.writeTextFileSync(
      deps,
      read(dir, "AGENT_DEPENDENCIES.md").replace(
        "| **PRIMARY_OUTPUTS** | `Dependencies.csv`, `_DEPENDENCIES.md` |",
        "| **PRIMARY_OUTPUTS** | `Dependencies.csv` |",
      ),
    );
    const stale = await runCli(["agents", "check", dir]);
    assertEquals(stale.code, 1);
    assertIncludes(stale.stdout, `${lens}: block edited by hand\n`);
    assertIncludes(stale.stdout, `${deps}: block out of date\n`);
    assertIncludes(stale.stdout, `${join(dir, "AGENT_4_DOCUMENTS.md")}: ok\n`);

    const fixed = await runCli(["agents", "install", dir]);
    assertIncludes(fixed.stdout, `${lens}: replaced (the block had been edited by hand)\n`);
    assertIncludes(fixed.stdout, `${deps}: updated (the block was out of date)\n`);
    assertEquals((await runCli(["agents", "check", dir])).code, 0);
    const depsText = read(dir, "AGENT_DEPENDENCIES.md");
    assertIncludes(depsText, "--status SUCCESS --output Dependencies.csv\r\n");
    assertEquals(depsText.replaceAll("\r\n", "").includes("\n"), false, "updated in CRLF");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agents: an older block format (v0) is out of date and replaced in place", () => {
  const text = read(FIXTURES, "AGENT_CHIRALITY_LENS.md");
  const current = examineForInstall(text, "AGENT_CHIRALITY_LENS.md").after!;
  const older = current.replace(" v1 sha256:", " v0 sha256:");
  const report = examineForInstall(older, "AGENT_CHIRALITY_LENS.md");
  assertEquals(report.status, "outdated");
  assertEquals(report.after, current);
});

Deno.test("agents install: a file it cannot edit is named with its line, exit 2, and no file changes", async () => {
  const { dir, original } = await copyFixtures();
  try {
    const broken = "AGENT_BROKEN.md";
    const text =
      "AGENT_TYPE: 2\n| **WRITE_SCOPE** | deliverable-local |\n\n[[BEGIN:PROTOCOL]]\n## PROTOCOL\n";
    Deno.writeTextFileSync(join(dir, broken), text);
    original.set(broken, new TextEncoder().encode(text));
    const out = await runCli(["agents", "install", dir]);
    assertEquals(out.code, 2);
    assertIncludes(
      out.stdout,
      `${
        join(dir, broken)
      }: cannot edit: line 4: [[BEGIN:PROTOCOL]] has no [[END:PROTOCOL]] after it\n`,
    );
    assertEquals(out.stderr, "runrec agents: 1 file cannot be edited; no file was changed\n");
    // The other files are not said to be installed: nothing was written.
    assert(!/: installed\n/.test(out.stdout), out.stdout);
    assertMatch(out.stdout, /AGENT_\w+\.md: would be installed\n/);
    assertSameFiles(snapshot(dir), original);
    // check names it too, as a failed check, and says to fix it by hand first.
    const check = await runCli(["agents", "check", dir]);
    assertEquals(check.code, 1);
    assertIncludes(check.stdout, `${join(dir, broken)}: cannot edit: line 4`);
    assertMatch(
      check.stderr,
      /fix by hand the 1 file install cannot edit, then run runrec agents install/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agents remove: two blocks in a file are named, exit 2, nothing changes", async () => {
  const { dir } = await copyFixtures();
  try {
    await runCli(["agents", "install", dir]);
    const file = join(dir, "AGENT_CHIRALITY_LENS.md");
    const block = blockLines(BUILTIN_PROFILES["CHIRALITY_LENS"]).join("\n");
    Deno.writeTextFileSync(file, `${read(dir, "AGENT_CHIRALITY_LENS.md")}\n${block}\n`);
    const before = snapshot(dir);
    const out = await runCli(["agents", "remove", dir]);
    assertEquals(out.code, 2);
    assertMatch(
      out.stdout,
      /AGENT_CHIRALITY_LENS\.md: cannot edit: line \d+: a second runrec block begins \(the first at line 33\)\n/,
    );
    assertSameFiles(snapshot(dir), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agents install: a symlinked agent file is edited at its target, and its mode is kept", async () => {
  const { dir } = await copyFixtures();
  const elsewhere = await Deno.makeTempDir({ prefix: "runrec-agents-target-" });
  try {
    const target = join(elsewhere, "AGENT_CHIRALITY_LENS.md");
    Deno.renameSync(join(dir, "AGENT_CHIRALITY_LENS.md"), target);
    Deno.chmodSync(target, 0o640);
    Deno.symlinkSync(target, join(dir, "AGENT_CHIRALITY_LENS.md"));
    const out = await runCli(["agents", "install", dir]);
    assertEquals(out.code, 0, out.stderr);
    assert(Deno.lstatSync(join(dir, "AGENT_CHIRALITY_LENS.md")).isSymlink, "still a symlink");
    assertIncludes(Deno.readTextFileSync(target), "--agent CHIRALITY_LENS");
    assertEquals(Deno.statSync(target).mode! & 0o777, 0o640);
    assertEquals([...Deno.readDirSync(elsewhere)].length, 1, "no temporary file left");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(elsewhere, { recursive: true });
  }
});

Deno.test("agents: bad input is one line, exit 2 (no folder, not UTF-8, unknown action)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "runrec-agents-bad-" });
  try {
    const none = await runCli(["agents", "check", join(dir, "nope")]);
    assertEquals(none.code, 2);
    assertEquals(
      none.stderr,
      `runrec agents: ${join(dir, "nope")}: cannot read the agents folder: no such folder\n`,
    );
    Deno.writeFileSync(join(dir, "AGENT_X.md"), new Uint8Array([0x41, 0xff, 0x0a]));
    const latin = await runCli(["agents", "install", dir]);
    assertEquals([latin.code, latin.stderr], [
      2,
      `runrec agents: ${join(dir, "AGENT_X.md")}: not UTF-8 text\n`,
    ]);
    const action = await runCli(["agents", "instal", dir]);
    assertEquals(action.code, 2);
    assertIncludes(action.stderr, 'unknown action "instal": install, check or remove');
    const dry = await runCli(["agents", "check", dir, "--dry-run"]);
    assertEquals(dry.code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agents check: a folder with no AGENT_*.md fails (a CI job pointed at the wrong folder must not pass), said once on stderr (it was said on stdout too)", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "README.md"), "not an agent\n");
  const out = await runCli(["agents", "check", dir]);
  assertEquals(out.code, 1);
  assertEquals(out.stderr, `runrec agents: ${dir}: no AGENT_*.md files to check\n`);
  assertEquals(out.stdout, "");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("agent blocks: {DECOMPOSITION_REF} is said to be a path from the deliverable folder, which names the decomposition from every example deliverable", async () => {
  for (const agent of ["PREPARATION", "4_DOCUMENTS"]) {
    const block = blockLines(BUILTIN_PROFILES[agent]).join("\n");
    assertIncludes(block, "`{DECOMPOSITION_REF}`");
    assertMatch(
      block,
      /\{DECOMPOSITION_REF\}`?,? (?:is the decomposition's path )?from `\{DELIVERABLE_PATH\}`/,
    );
    assertIncludes(block, "`../../../");
  }
  // As the blocks say to write it, from each example deliverable it names the decomposition.
  const working = join(ROOT, "examples", "PKG-01_Field_Instruments", "1_Working");
  for await (const entry of Deno.readDir(working)) {
    const path = join(working, entry.name, "../../../_Decomposition/Example_Decomposition.md");
    assert((await Deno.stat(path)).isFile, path);
  }
});

/** The words `sh` makes of a command line: `runrec` swapped for a printer of its arguments. */
async function shellWords(line: string): Promise<string[]> {
  const script = line.replace(/^runrec /, "printf '%s\\n' ");
  const out = await new Deno.Command("sh", { args: ["-c", script], stderr: "piped" }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).split("\n").slice(0, -1);
}

Deno.test("agents install: outputs with a space, a quote or a folder are kept and single-quoted; the lines run in sh as written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "runrec-agents-quote-" });
  try {
    const base = read(FIXTURES, "AGENT_CHIRALITY_LENS.md");
    const outputs = "`My Notes.md`, `a\"b.md`, `it's.md`, `Register (v2).csv`, `figures/`";
    const text = base.replaceAll("CHIRALITY_LENS", "OUTSP")
      .replace("| `_SEMANTIC_LENSING.md` |", `| ${outputs} |`);
    Deno.writeTextFileSync(join(dir, "AGENT_OUTSP.md"), text);
    const out = await runCli(["agents", "install", dir]);
    assertEquals(out.code, 0, out.stderr);
    const installed = read(dir, "AGENT_OUTSP.md");
    const finish = installed.split("\n").find((l) => l.startsWith("runrec finish"))!;
    assertEquals((await shellWords(finish)).slice(6), [
      "--output",
      "My Notes.md",
      "--output",
      'a"b.md',
      "--output",
      "it's.md",
      "--output",
      "Register (v2).csv",
      "--output",
      "figures/",
    ]);
    // The prose list of outputs names them all too.
    assertIncludes(
      installed,
      "`My Notes.md`, `a\"b.md`, `it's.md`, `Register (v2).csv`, `figures/`",
    );
    const start = installed.split("\n").find((l) => l.startsWith("runrec start"))!;
    assertEquals(await shellWords(start), ["start", "{DELIVERABLE_PATH}", "--agent", "OUTSP"]);
    assertEquals((await runCli(["agents", "check", dir])).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agents install: an agent file whose name runrec cannot record is named, exit 2, nothing written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "runrec-agents-name-" });
  try {
    const base = read(FIXTURES, "AGENT_CHIRALITY_LENS.md");
    for (const name of ["A B", "X$(id)"]) {
      Deno.writeTextFileSync(
        join(dir, `AGENT_${name}.md`),
        base.replaceAll("CHIRALITY_LENS", name),
      );
    }
    const before = snapshot(dir);
    const out = await runCli(["agents", "install", dir]);
    assertEquals(out.code, 2);
    assertIncludes(
      out.stdout,
      `${
        join(dir, "AGENT_A B.md")
      }: cannot edit: agent name "A B" (from the file name) cannot be ` +
        "recorded: an AgentName is 1-64 of A-Z a-z 0-9 _ . -, first a letter or digit; rename the file\n",
    );
    assertIncludes(out.stdout, 'agent name "X$(id)"');
    assertSameFiles(snapshot(dir), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agent blocks: no block makes _STATUS.md an --input, so the lifecycle moving on leaves earlier runs CLEAN in stale", async () => {
  for (const profile of Object.values(BUILTIN_PROFILES)) {
    const block = blockLines(profile).join("\n");
    assert(
      !/--input '?_STATUS\.md/.test(block),
      `${profile.name}'s block gives --input _STATUS.md`,
    );
    assertIncludes(block, "Never give `_STATUS.md` as an `--input`");
  }
  // The 4_DOCUMENTS and CHIRALITY_FRAMEWORK runs as their blocks say, then a human's state change.
  const { del } = await makeProject();
  const status = join(del, "_STATUS.md");
  const setState = (from: string, to: string) =>
    Deno.writeTextFileSync(
      status,
      Deno.readTextFileSync(status).replace(
        `**Current State:** ${from}`,
        `**Current State:** ${to}`,
      ),
    );
  const run = async (agent: string, work: () => void, finishStatus: string) => {
    const lines = blockLines(BUILTIN_PROFILES[agent]);
    const line = (verb: string) =>
      lines.find((l) => l.startsWith(`runrec ${verb} `))!.replace("{DELIVERABLE_PATH}", del)
        .replace("{RUN_PASSES}", "FULL");
    const start = await runCli(await shellWords(line("start")));
    assertEquals(start.code, 0, start.stderr);
    work();
    const finish = (await shellWords(line("finish").replace("{RUN_TOKEN}", start.stdout.trim())))
      .map((w) => w === "SUCCESS" ? finishStatus : w);
    const done = await runCli(finish);
    assertEquals(done.code, 0, done.stderr);
  };
  await run("4_DOCUMENTS", () => {
    for (const doc of ["Datasheet", "Specification", "Guidance", "Procedure"]) {
      Deno.writeTextFileSync(join(del, `${doc}.md`), `# ${doc}\n`);
    }
    setState("OPEN", "INITIALIZED");
  }, "SUCCESS");
  await run("CHIRALITY_FRAMEWORK", () => {
    Deno.writeTextFileSync(join(del, "_SEMANTIC.md"), "# Semantic\n");
    setState("INITIALIZED", "SEMANTIC_READY");
  }, "PASS");
  setState("SEMANTIC_READY", "IN_PROGRESS");
  const stale = await runCli(["stale", del]);
  assertEquals(stale.code, 0, stale.stdout + stale.stderr);
  assert(!/^DIRTY/m.test(stale.stdout), stale.stdout);
  assertIncludes(stale.stdout, "2 checks: 0 DIRTY, 2 CLEAN");
});

Deno.test("agents install: a write that fails stops there; only written files say installed, stderr counts both, exit 2", async () => {
  const { dir, original } = await copyFixtures();
  try {
    // The temporary file install writes beside AGENT_DEPENDENCIES.md is taken by a folder.
    const blocker = join(dir, `AGENT_DEPENDENCIES.md.runrec-${Deno.pid}.tmp`);
    Deno.mkdirSync(blocker);
    Deno.writeTextFileSync(join(blocker, "keep"), "x");
    const out = await runCli(["agents", "install", dir]);
    assertEquals(out.code, 2);
    const line = (name: string) =>
      out.stdout.split("\n").find((l) => l.startsWith(join(dir, name)));
    for (
      const name of [
        "AGENT_4_DOCUMENTS.md",
        "AGENT_CHIRALITY_FRAMEWORK.md",
        "AGENT_CHIRALITY_LENS.md",
      ]
    ) {
      assertEquals(line(name), `${join(dir, name)}: installed`);
      assertIncludes(read(dir, name), "runrec:record-the-run:begin");
    }
    assertMatch(line("AGENT_DEPENDENCIES.md")!, /: not installed: cannot write: /);
    for (const name of ["AGENT_PREPARATION.md", "AGENT_WORKING_ITEMS.md"]) {
      assertEquals(line(name), `${join(dir, name)}: not installed (stopped)`);
    }
    for (
      const name of ["AGENT_DEPENDENCIES.md", "AGENT_PREPARATION.md", "AGENT_WORKING_ITEMS.md"]
    ) {
      assertEquals(read(dir, name), new TextDecoder().decode(original.get(name)));
    }
    assertMatch(
      out.stderr,
      /^runrec agents: .*AGENT_DEPENDENCIES\.md: cannot write: .*; 3 files changed, 3 not: fix the cause and run runrec agents install .* again\n$/,
    );
    // Once the cause is gone, the same command finishes the job.
    Deno.removeSync(blocker, { recursive: true });
    const again = await runCli(["agents", "install", dir]);
    assertEquals(again.code, 0, again.stderr);
    assertEquals((await runCli(["agents", "check", dir])).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agents install: an agent file changed between its read and its replacement is left as it is, and said so", async () => {
  const { dir } = await copyFixtures();
  try {
    const path = join(dir, "AGENT_CHIRALITY_LENS.md");
    const [file] = readAgentFiles(dir).filter((f) => f.path === path);
    const report = examineForInstall(file.text, file.path);
    Deno.writeTextFileSync(path, "edit 1\n", { append: true }); // an editor's save meanwhile
    const edited = read(dir, "AGENT_CHIRALITY_LENS.md");
    let message = "";
    try {
      replaceFileText(path, report.after!, report.before);
    } catch (e) {
      message = (e as Error).message;
    }
    assertEquals(message, `${path}: changed while runrec was editing it; left as it is`);
    assertEquals(read(dir, "AGENT_CHIRALITY_LENS.md"), edited);
    assertEquals([...Deno.readDirSync(dir)].filter((e) => e.name.includes(".runrec-")), []);
    // Unchanged since it was read: replaced.
    replaceFileText(path, `${edited}more\n`, edited);
    assertEquals(read(dir, "AGENT_CHIRALITY_LENS.md"), `${edited}more\n`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agents: a block written by a newer runrec is named as such; check exits 1 saying update runrec, install leaves it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "runrec-agents-newer-" });
  try {
    const name = "AGENT_CHIRALITY_LENS.md";
    const installed = examineForInstall(read(FIXTURES, name), name).after!;
    const newer = installed.replace("record-the-run:begin v1 ", "record-the-run:begin v2 ");
    Deno.writeTextFileSync(join(dir, name), newer);
    const check = await runCli(["agents", "check", dir]);
    assertEquals(check.code, 1);
    assertIncludes(
      check.stdout,
      `${name}: block written by a newer runrec (block format v2); this runrec writes v1: update runrec\n`,
    );
    assertEquals(
      check.stderr,
      "runrec agents: 1 file with a block of a newer runrec: update runrec\n",
    );
    const install = await runCli(["agents", "install", dir]);
    assertEquals(install.code, 0, install.stderr);
    assertIncludes(install.stdout, `${name}: left as it is: written by a newer runrec`);
    assertEquals(read(dir, name), newer);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agents install/remove on a folder with no agent file: exit 2; a skipped file that holds a block fails check", async () => {
  const empty = await Deno.makeTempDir({ prefix: "runrec-agents-empty-" });
  const dir = await Deno.makeTempDir({ prefix: "runrec-agents-stray-" });
  try {
    Deno.writeTextFileSync(join(empty, "simulated.ts"), "// not an agent file\n");
    for (const action of ["install", "remove"]) {
      const out = await runCli(["agents", action, empty]);
      assertEquals([out.code, out.stderr], [
        2,
        `runrec agents: ${empty}: no AGENT_*.md files: name the folder that holds the agent files\n`,
      ]);
    }
    const name = "AGENT_WORKING_ITEMS.md";
    Deno.writeFileSync(join(dir, name), Deno.readFileSync(join(FIXTURES, name)));
    assertEquals((await runCli(["agents", "install", dir])).code, 0);
    const path = join(dir, name);
    Deno.writeTextFileSync(
      path,
      read(dir, name).replace("| deliverable-local |", "| tool-root-only |"),
    );
    const check = await runCli(["agents", "check", dir]);
    assertEquals(check.code, 1);
    assertMatch(
      check.stdout,
      /: skipped: WRITE_SCOPE tool-root-only: writes no deliverable folder; but it holds a runrec block \(line \d+\): take it out by hand\n/,
    );
    assertIncludes(check.stderr, "1 skipped file holding a runrec block: take it out by hand");
    // No WRITE_SCOPE row: not judged, rather than said to write no deliverable folder.
    Deno.writeTextFileSync(path, read(dir, name).replace(/^.*WRITE_SCOPE.*\r?\n/m, ""));
    assertIncludes(
      (await runCli(["agents", "check", dir])).stdout,
      "WRITE_SCOPE not found: not judged",
    );
  } finally {
    await Deno.remove(empty, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agent blocks: the emit fallback is one full command with the start's --pass and --inputs and the finish's options", async () => {
  for (const profile of Object.values(BUILTIN_PROFILES)) {
    const lines = blockLines(profile);
    const words = async (verb: string) =>
      await shellWords(lines.find((l) => l.startsWith(`runrec ${verb} `))!);
    const [start, finish, emit] = [
      await words("start"),
      await words("finish"),
      await words("emit"),
    ];
    // emit "{DELIVERABLE_PATH}" --agent NAME <start's options> --started … --status-before … <finish's>
    assertEquals(emit.slice(0, start.length), ["emit", ...start.slice(1)]);
    assertEquals(emit.slice(start.length, start.length + 4), [
      "--started",
      "{STARTED}",
      "--status-before",
      "{STATUS_BEFORE}",
    ]);
    assertEquals(emit.slice(start.length + 4), finish.slice(4));
  }
  assertIncludes(
    blockLines(BUILTIN_PROFILES["4_DOCUMENTS"]).join("\n"),
    'runrec emit "{DELIVERABLE_PATH}" --agent 4_DOCUMENTS --pass "{RUN_PASSES}" --input _CONTEXT.md',
  );
});

Deno.test("agents install: a marker in an HTML comment or indented code is no marker; a block not last in PROTOCOL fails check and is moved; two PROTOCOL sections are refused", async () => {
  const base = read(FIXTURES, "AGENT_CHIRALITY_LENS.md");
  const quoted = "```text\n[[END:PROTOCOL]]\n```";
  const lastStep = (after: string) => {
    const lines = after.split("\n");
    const block = lines.findIndex((l) => l.startsWith("<!-- runrec:record-the-run:begin"));
    return block > lines.indexOf("### Write the worklist") &&
      lines.indexOf("[[END:PROTOCOL]]", block) > block;
  };
  for (const instead of ["<!--\n[[END:PROTOCOL]]\n-->", "    [[END:PROTOCOL]]"]) {
    const text = base.replace(quoted, instead);
    const report = examineForInstall(text, "AGENT_CHIRALITY_LENS.md");
    assert(lastStep(report.after!), `block before the last step with ${JSON.stringify(instead)}`);
  }
  const dir = await Deno.makeTempDir({ prefix: "runrec-agents-last-" });
  try {
    const name = "AGENT_CHIRALITY_LENS.md";
    Deno.writeTextFileSync(join(dir, name), base);
    assertEquals((await runCli(["agents", "install", dir])).code, 0);
    // A maintainer adds a step after the block.
    const step = "### Step 9 — Cleanup\nRemove scratch files.\n";
    const added = read(dir, name).replace(
      "<!-- runrec:record-the-run:end -->\n\n[[END:PROTOCOL]]",
      `<!-- runrec:record-the-run:end -->\n\n${step}[[END:PROTOCOL]]`,
    );
    Deno.writeTextFileSync(join(dir, name), added);
    const check = await runCli(["agents", "check", dir]);
    assertEquals(check.code, 1);
    assertIncludes(check.stdout, `${name}: block not at the end of PROTOCOL (not its last step)\n`);
    const install = await runCli(["agents", "install", dir]);
    assertEquals(install.code, 0, install.stderr);
    assertIncludes(install.stdout, `${name}: moved to the end of PROTOCOL`);
    const moved = read(dir, name);
    assert(moved.indexOf(step) < moved.indexOf("<!-- runrec:record-the-run:begin"), moved);
    assertIncludes(moved, "<!-- runrec:record-the-run:end -->\n\n[[END:PROTOCOL]]");
    assertEquals((await runCli(["agents", "check", dir])).code, 0);
    // An addendum: a second PROTOCOL section. Which end is "last" would be a guess: refused.
    Deno.writeTextFileSync(
      join(dir, name),
      `${base}\n[[BEGIN:PROTOCOL]]\n### Addendum\n[[END:PROTOCOL]]\n`,
    );
    const before = snapshot(dir);
    const two = await runCli(["agents", "install", dir]);
    assertEquals(two.code, 2);
    assertMatch(
      two.stdout,
      /: cannot edit: line \d+: a second \[\[BEGIN:PROTOCOL\]\] \(the first at line 20\); make it one PROTOCOL section\n/,
    );
    assertSameFiles(snapshot(dir), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agents: one agent file named where its folder is wanted says to name that folder, which then works (newuser-42 F7)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "runrec-agents-file-" });
  try {
    await Deno.copyFile(join(FIXTURES, "AGENT_4_DOCUMENTS.md"), join(dir, "AGENT_4_DOCUMENTS.md"));
    const file = join(dir, "AGENT_4_DOCUMENTS.md");
    for (const action of ["install", "check", "remove"]) {
      const named = await runCliProcess(["agents", action, file]);
      assertEquals([named.code, named.stderr], [
        2,
        `runrec agents: ${file}: cannot read the agents folder: is not a folder: name the ` +
        `folder that holds it, ${dir}\n`,
      ]);
    }
    const installed = await runCliProcess(["agents", "install", dir]);
    assertEquals([installed.code, installed.stdout], [0, `${file}: installed\n`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agents install on a new user's files, none marked Type 2: exit 2, nothing changed, each skip and stderr say the line or row that makes one; check exits 1; once marked, installed (newuser-57 F1)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "runrec-agents-none-" });
  try {
    // A deliverable agent's file without its AGENT_TYPE line, and a row written without bold.
    const docs = "# AGENT 4_DOCUMENTS\n\n[[BEGIN:PROTOCOL]]\n## Steps\n[[END:PROTOCOL]]\n";
    Deno.writeTextFileSync(join(dir, "AGENT_4_DOCUMENTS.md"), docs);
    Deno.writeTextFileSync(join(dir, "AGENT_HELPER.md"), "# Helper\n| AGENT_TYPE | 2 |\n");
    const before = snapshot(dir);
    const hint = `runrec agents: none of the 2 AGENT_*.md files in ${dir} gets a block (each ` +
      "skipped line says why): a deliverable agent's file says AGENT_TYPE: 2 and has the row " +
      "| **WRITE_SCOPE** | deliverable-local |";
    for (const args of [["install", dir], ["install", dir, "--dry-run"]]) {
      const out = await runCli(["agents", ...args]);
      assertEquals([out.code, out.stderr], [2, `${hint}; no file was changed\n`]);
      assertIncludes(
        out.stdout,
        `${join(dir, "AGENT_4_DOCUMENTS.md")}: skipped: no AGENT_TYPE line or row (a Type 2 ` +
          "agent's file has a line AGENT_TYPE: 2, or the row | **AGENT_TYPE** | TYPE 2 | in its " +
          "table)\n",
      );
      assertSameFiles(snapshot(dir), before);
    }
    const check = await runCli(["agents", "check", dir]);
    assertEquals([check.code, check.stderr], [1, `${hint}\n`]);
    // One file alone is said as one (it read "none of the 1 AGENT_*.md file": lead-57).
    Deno.removeSync(join(dir, "AGENT_HELPER.md"));
    const one = await runCli(["agents", "check", dir]);
    assertIncludes(one.stderr, `runrec agents: the one AGENT_*.md file in ${dir} gets no block (`);
    Deno.writeTextFileSync(join(dir, "AGENT_4_DOCUMENTS.md"), `AGENT_TYPE: 2\n${docs}`);
    const install = await runCli(["agents", "install", dir]);
    assertEquals([install.code, install.stderr], [0, ""]);
    assertIncludes(install.stdout, `${join(dir, "AGENT_4_DOCUMENTS.md")}: installed\n`);
    assertEquals((await runCli(["agents", "check", dir])).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
