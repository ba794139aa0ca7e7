/**
 * `runrec stale` verdicts at their edges (each once a false CLEAN or DIRTY):
 * a file added to an `--input` folder, inputs unreadable now, inputs
 * outside the project, inputs the run itself deleted, folders that cannot be
 * listed, and the evidence lines. Through the CLI, with real faults: another
 * user (`setpriv`), FIFOs, files outside the project.
 *
 * @module
 */
import { join } from "node:path";
import { checkOf, evidence, mkfifo, runrec, stale } from "./support/stale_json.ts";
import { inputFolderNote, inputFoldersIn } from "../src/input_folders.ts";
import { readRecords } from "../src/reader.ts";
import { decodeRecord, encodeRecord } from "../src/codec.ts";
import { runIdPrefix } from "../src/schema.ts";
import { checkStaleness } from "../src/stale.ts";
import { InputError } from "../src/errors.ts";
import type { RunRecord } from "../src/schema.ts";
import { assert, assertEquals, assertIncludes, assertMatch, assertRejects } from "./assert.ts";
import { type CliResult, runCli, runCliProcess } from "./cli.ts";
import { runAsNobody } from "./support/nobody.ts";
import { git, makeProject, tempDir, writeTree } from "./fixtures.ts";

const decoder = new TextDecoder();

async function sh(script: string): Promise<void> {
  const { code, stderr } = await new Deno.Command("sh", { args: ["-c", script] }).output();
  if (code !== 0) throw new Error(`sh failed: ${decoder.decode(stderr)}`);
}

/** Records a SUCCESS run of `agent` in `del` with `emit`'s further arguments `more`. */
function emitSuccess(del: string, agent: string, ...more: string[]): Promise<CliResult> {
  return runrec(0, "emit", del, "--agent", agent, "--status", "SUCCESS", ...more);
}

/** The records of a deliverable, in file order. */
async function records(del: string): Promise<RunRecord[]> {
  const found: RunRecord[] = [];
  for await (const event of readRecords(join(del, "RunRecords.csv"))) {
    if (event.kind === "record") found.push(event.record);
  }
  return found;
}

// --- 1. a file added to an --input folder ---------------------------------------------------

Deno.test("stale: a file added to an --input folder after emit is added, one deleted is removed", async () => {
  const { del } = await makeProject();
  await writeTree(del, { "inp/a.md": "a\n" });
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "inp");
  const [record] = await records(del);
  assertEquals(record.InputFiles, ["inp/a.md"]);
  assertEquals(inputFoldersIn(record.Notes), ["inp"]);
  assertEquals((await stale(del)).code, 0);

  await Deno.writeTextFile(join(del, "inp/new.md"), "n\n");
  let { code, checks } = await stale(del);
  assertEquals(code, 1);
  assertEquals(evidence(checkOf(checks, "A")), [["added", "inp/new.md", "now a governed input"]]);

  await Deno.remove(join(del, "inp/new.md"));
  await Deno.remove(join(del, "inp/a.md"));
  ({ code, checks } = await stale(del));
  assertEquals(code, 1);
  assertEquals(evidence(checkOf(checks, "A")), [["removed", "inp/a.md", "deleted"]]);
});

Deno.test("stale: an --input folder empty at the run is recorded; a file added to it is added", async () => {
  const { del } = await makeProject();
  await Deno.mkdir(join(del, "inp"));
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "inp/");
  const [record] = await records(del);
  assertEquals(record.InputFiles, []);
  assertIncludes(record.Notes, 'input folder "inp"');
  assertEquals((await stale(del)).code, 0);
  await Deno.writeTextFile(join(del, "inp/new.md"), "n\n");
  const { code, checks } = await stale(del);
  assertEquals(code, 1);
  assertEquals(evidence(checkOf(checks, "A")), [["added", "inp/new.md", "now a governed input"]]);
});

Deno.test("stale: an --input folder empty at the run and gone now is CLEAN with a note saying it is gone; a full one's files say it", async () => {
  const { del } = await makeProject();
  await Deno.mkdir(join(del, "inp"));
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "inp/");
  await Deno.remove(join(del, "inp"));
  const { code, checks } = await stale(del);
  assertEquals(code, 0);
  const check = checkOf(checks, "A");
  assertEquals(check.verdict, "CLEAN");
  assert(check.notes.includes('input folder "inp" is gone since the run'), check.notes.join(" | "));
  // A folder that held files: its files say it, as removed; no note besides.
  await Deno.mkdir(join(del, "full"));
  await Deno.writeTextFile(join(del, "full", "a.md"), "a\n");
  await runrec(0, "emit", del, "--agent", "B", "--status", "SUCCESS", "--input", "full");
  await Deno.remove(join(del, "full"), { recursive: true });
  const after = checkOf((await stale(del)).checks, "B");
  assertEquals(evidence(after), [["removed", "full/a.md", "deleted"]]);
  assert(!after.notes.some((n) => n.includes("is gone")), after.notes.join(" | "));
});

Deno.test("stale: a folder's note is said once in the text, with each check in --json", async () => {
  const { root, del } = await makeProject();
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS");
  await runrec(0, "emit", del, "--agent", "B", "--status", "SUCCESS");
  await Deno.writeTextFile(join(del, "RunRecords.csv"), "not a record\n", { append: true });
  await Deno.writeTextFile(join(root, "_Decomposition/D.md"), "changed\n"); // both DIRTY
  const note = "RunRecords.csv line 4 could not be read (see runrec validate)";
  const text = await runCli(["stale", del]);
  assertEquals(text.stdout.split(note).length - 1, 1, text.stdout);
  const { checks } = await stale(del);
  assertEquals(checks.map((c) => c.notes.includes(note)), [true, true]);
});

Deno.test("stale: --input . (emit), and an input folder of exec and start/finish: a file added is added", async () => {
  const { del } = await makeProject();
  await writeTree(del, { "inp/a.md": "a\n" });
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", ".");
  await runrec(0, "exec", del, "--agent", "B", "--input", "inp", "--", "true");
  const start = await runrec(0, "start", del, "--agent", "C", "--input", "inp", "--json");
  await runrec(0, "finish", JSON.parse(start.stdout).token, "--status", "SUCCESS");
  const notes = (await records(del)).map((r) => inputFoldersIn(r.Notes));
  assertEquals(notes, [["."], ["inp"], ["inp"]]);
  let { code, checks } = await stale(del);
  assertEquals([code, checks.map((c) => c.verdict)], [0, ["CLEAN", "CLEAN", "CLEAN"]]);

  await Deno.writeTextFile(join(del, "inp/new.md"), "n\n");
  await Deno.writeTextFile(join(del, "Top.md"), "t\n");
  ({ code, checks } = await stale(del));
  assertEquals(code, 1);
  assertEquals(evidence(checkOf(checks, "A")), [
    ["added", "Top.md", "now a governed input"],
    ["added", "inp/new.md", "now a governed input"],
  ]);
  for (const agent of ["B", "C"]) {
    assertEquals(evidence(checkOf(checks, agent)), [[
      "added",
      "inp/new.md",
      "now a governed input",
    ]]);
  }
});

Deno.test("stale: the input folder note survives a flood of input notes, and odd folder names", async () => {
  const { del } = await makeProject();
  const odd = 'we"ird | input folder "x';
  await writeTree(del, { [`${odd}/a.md`]: "a\n" });
  // 25 missing inputs: a note each, more than the 20 input notes Notes keeps.
  const missing = Array.from({ length: 25 }, (_, i) => ["--input", `m${i}.md`]).flat();
  await emitSuccess(
    del,
    "A",
    ...missing,
    "--input",
    odd,
    "--notes",
    'second pass | input folder "not json',
  );
  const [record] = await records(del);
  assertIncludes(record.Notes, "more notes");
  assertEquals(inputFoldersIn(record.Notes), [odd]);
  assertEquals(inputFolderNote(odd), `input folder ${JSON.stringify(odd)}`);
  await Deno.writeTextFile(join(del, odd, "b.md"), "b\n");
  const { checks } = await stale(del);
  assertEquals(evidence(checkOf(checks, "A")), [["added", `${odd}/b.md`, "now a governed input"]]);
});

// --- 2. an input that cannot be hashed now ---------------------------------------------------

Deno.test("stale: an input missing at the run that is a FIFO now is DIRTY unreadable; readable now is added", async () => {
  const { del } = await makeProject();
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "Later.md");
  assertEquals((await records(del))[0].InputHashes["Later.md"], "TBD");
  // Still missing: nothing to compare, noted.
  let { code, checks } = await stale(del);
  assertEquals([code, evidence(checkOf(checks, "A"))], [0, []]);
  assertIncludes(checkOf(checks, "A").notes.join("\n"), "Later.md: could not be hashed at the run");

  await mkfifo(join(del, "Later.md"));
  ({ code, checks } = await stale(del));
  assertEquals(code, 1);
  assertEquals(evidence(checkOf(checks, "A")), [["unreadable", "Later.md", "not a regular file"]]);

  await Deno.remove(join(del, "Later.md"));
  await Deno.writeTextFile(join(del, "Later.md"), "appeared\n");
  ({ code, checks } = await stale(del));
  assertEquals(code, 1);
  assertEquals(evidence(checkOf(checks, "A")), [["added", "Later.md", "not found at the run"]]);
});

Deno.test("stale: a reference added since the run whose file cannot be read now (a dangling link, a FIFO) is DIRTY unreadable, as one missing at the run is; readable now, added (stale oracle seed 1931382106)", async () => {
  const { del } = await makeProject();
  await emitSuccess(del, "A");
  await Deno.mkdir(join(del, "refs"));
  await Deno.symlink("nowhere.md", join(del, "refs", "r2.txt"));
  await Deno.writeTextFile(join(del, "_REFERENCES.md"), "- `refs/r2.txt`: a reference\n", {
    append: true,
  });
  let { code, checks } = await stale(del);
  assertEquals(code, 1);
  const dangling = evidence(checkOf(checks, "A")).find(([, path]) => path === "refs/r2.txt");
  assertEquals(dangling?.[0], "unreadable", JSON.stringify(dangling));
  assertMatch(dangling?.[2] ?? "", /^now a governed input; dangling symbolic link/);

  await Deno.remove(join(del, "refs", "r2.txt"));
  await mkfifo(join(del, "refs", "r2.txt"));
  ({ checks } = await stale(del));
  assertEquals(
    evidence(checkOf(checks, "A")).find(([, path]) => path === "refs/r2.txt"),
    ["unreadable", "refs/r2.txt", "now a governed input; not a regular file"],
  );

  await Deno.remove(join(del, "refs", "r2.txt"));
  await Deno.writeTextFile(join(del, "refs", "r2.txt"), "readable\n");
  ({ checks } = await stale(del));
  assertEquals(
    evidence(checkOf(checks, "A")).find(([, path]) => path === "refs/r2.txt"),
    ["added", "refs/r2.txt", "now a governed input"],
  );
});

Deno.test("stale: an input unreadable to the checker now is DIRTY, whether missing or unreadable at the run; its note names it once (fs-semantics F3)", async () => {
  const { root, del } = await makeProject();
  await Deno.writeTextFile(join(del, "Secret.md"), "secret\n");
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "Later.md");
  await runrec(0, "emit", del, "--agent", "B", "--status", "SUCCESS", "--input", "Secret.md");
  await Deno.writeTextFile(join(del, "Later.md"), "appeared\n");
  await sh(`chmod -R a+rX '${root}' && chmod 600 '${del}/Later.md' '${del}/Secret.md'`);
  const result = await runAsNobody(["stale", del, "--json"]);
  assertEquals(result.code, 1, result.stderr);
  const { checks } = JSON.parse(result.stdout);
  assertEquals(evidence(checkOf(checks, "A")), [["unreadable", "Later.md", "permission denied"]]);
  assertEquals(evidence(checkOf(checks, "B")), [["unreadable", "Secret.md", "permission denied"]]);
  assert(!result.stdout.includes("could not be hashed at the run nor now"), result.stdout);
  // The note names the path once, after its colon (fs-semantics F3).
  const hashed = await runAsNobody(["hash", del, "--input", "Secret.md"]);
  assertIncludes(hashed.stderr, "--input Secret.md: permission denied\n");
});

// --- 3. inputs outside the project ------------------------------------------------------------

Deno.test('stale: an --allow-outside input is CLEAN with stale --allow-outside, named as outside without; one the run did not read is NO_BASELINE with or without, never "changed" (trial-v F3, stale-48)', async () => {
  const { del } = await makeProject();
  const outside = join(await tempDir({ prefix: "runrec-outside-" }), "o.md");
  await Deno.writeTextFile(outside, "o1\n");
  await emitSuccess(del, "A", "--input", outside, "--allow-outside");
  await runrec(0, "emit", del, "--agent", "B", "--status", "SUCCESS", "--input", outside);

  let result = await runrec(0, "stale", del, "--allow-outside", "--agent", "A");
  assertIncludes(result.stdout, "1 check: 0 DIRTY, 1 CLEAN");

  result = await runrec(1, "stale", del);
  assert(!result.stdout.includes("unreadable (unreadable"), result.stdout);
  let { checks } = await stale(del);
  const [row] = evidence(checkOf(checks, "A"));
  assertEquals(row.slice(0, 1), ["unreadable"]);
  assertIncludes(row[2]!, "outside the execution root: not read");
  assertIncludes(row[2]!, "stale run again with --allow-outside reads it");
  // Outside at the run and now: not read, so what it held is not known: no verdict (stale-48).
  assertEquals(checkOf(checks, "B").verdict, "NO_BASELINE");
  assertIncludes(checkOf(checks, "B").reason!, "at the run: not read then, so no change");
  assertEquals(checkOf(checks, "B").reason!.includes("stale --allow-outside"), false);

  // A folder read with --allow-outside: without it, its files are named, not the folder.
  await writeTree(join(outside, "..", "dir"), { "a.md": "a\n" });
  const folder = join(outside, "..", "dir");
  await emitSuccess(del, "C", "--input", folder, "--allow-outside");
  ({ checks } = await stale(del, "--agent", "C"));
  assertEquals(
    evidence(checkOf(checks, "C")).map((r) => [r[0], r[1]?.split("/").slice(-2).join("/")]),
    [
      ["unreadable", "dir/a.md"],
    ],
  );
  await Deno.writeTextFile(join(folder, "b.md"), "b\n");
  ({ checks } = await stale(del, "--agent", "C", "--allow-outside"));
  assertEquals(
    evidence(checkOf(checks, "C")).map((r) => [r[0], r[1]?.split("/").slice(-2).join("/")]),
    [
      ["added", "dir/b.md"],
    ],
  );

  await Deno.writeTextFile(outside, "o2\n");
  ({ checks } = await stale(del, "--allow-outside", "--agent", "A,B"));
  assertEquals(evidence(checkOf(checks, "A")).map((r) => r[0]), ["changed"]);
  // Not read at the run: no change can be told, read now or not (trial-v F3), nor a CLEAN.
  assertEquals(checkOf(checks, "B").verdict, "NO_BASELINE");
  assertEquals(checkOf(checks, "B").inputs, []);
  assertIncludes(
    checkOf(checks, "B").reason!,
    "outside the execution root at the run: not read then, so no change can be told " +
      "(emit --allow-outside records its hash)",
  );
});

// --- 4. an input the run itself deleted -------------------------------------------------------

Deno.test("stale: an input the run deleted (start/finish, exec) is CLEAN after the run; recreated, added", async () => {
  const { del } = await makeProject();
  await Deno.writeTextFile(join(del, "Scratch.md"), "tmp\n");
  const start = await runrec(0, "start", del, "--agent", "X", "--input", "Scratch.md", "--json");
  await Deno.remove(join(del, "Scratch.md"));
  await runrec(
    0,
    "finish",
    JSON.parse(start.stdout).token,
    "--status",
    "SUCCESS",
    "--output",
    "Scratch.md",
  );
  await Deno.writeTextFile(join(del, "Tmp.md"), "tmp\n");
  await runrec(
    0,
    "exec",
    del,
    "--agent",
    "Y",
    "--input",
    "Tmp.md",
    "--",
    "rm",
    join(del, "Tmp.md"),
  );
  const [x, y] = await records(del);
  assertEquals([x.OutputHashes["Scratch.md"], y.OutputHashes["Tmp.md"]], ["DELETED", "DELETED"]);
  let { code, checks } = await stale(del);
  assertEquals([code, checks.map((c) => [c.agent, c.verdict])], [0, [["X", "CLEAN"], [
    "Y",
    "CLEAN",
  ]]]);

  await Deno.writeTextFile(join(del, "Scratch.md"), "back\n");
  ({ code, checks } = await stale(del, "--agent", "X"));
  assertEquals(code, 1);
  assertEquals(evidence(checkOf(checks, "X")), [[
    "added",
    "Scratch.md",
    "recreated since the run deleted it",
  ]]);
});

// --- 5. folders and host files the checker cannot read ----------------------------------------

/** A project readable by nobody with a run by A on its deliverable, which lists the package's references. */
async function projectForNobody(): Promise<{ root: string; del: string; refs: string }> {
  const { root, del } = await makeProject();
  const refs = join(root, "PKG-01_Pkg", "0_References");
  await writeTree(refs, { "private/p.md": "p\n" });
  await Deno.writeTextFile(join(del, "_REFERENCES.md"), "- [Package](../../0_References/)\n", {
    append: true,
  });
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "Datasheet.md");
  await sh(`chmod -R a+rX '${root}'`);
  return { root, del, refs };
}

Deno.test("stale: a folder beneath a root that cannot be listed is a warning; the rest is checked", async () => {
  const { root } = await projectForNobody();
  await writeTree(root, { "Archive/old/x.md": "x\n" });
  await sh(`chmod 700 '${root}/Archive'`);
  const result = await runAsNobody(["stale", root]);
  assertEquals(result.code, 0, result.stdout + result.stderr);
  assertIncludes(result.stderr, "Archive: cannot list folder (permission denied)");
  assertIncludes(result.stdout, "1 check: 0 DIRTY, 1 CLEAN");
  // Following the registers meets the folder again: still a warning, never exit 2.
  const propagated = await runAsNobody(["stale", root, "--propagate"]);
  assertEquals(propagated.code, 0, propagated.stdout + propagated.stderr);
  assertIncludes(propagated.stdout, "1 check: 0 DIRTY, 1 CLEAN");
});

Deno.test("stale: a referenced file in a folder that cannot be listed is unreadable, not removed", async () => {
  const { del, refs } = await projectForNobody();
  // Traversable, not listable: the file can be opened, the walk cannot see it.
  await sh(`chmod 711 '${refs}/private'`);
  let result = await runAsNobody(["stale", del, "--json"]);
  assertEquals(result.code, 1, result.stderr);
  assertEquals(evidence(checkOf(JSON.parse(result.stdout).checks, "A")), [[
    "unreadable",
    "../../0_References/private/p.md",
    "folder ../../0_References/private cannot be listed",
  ]]);
  // Not even traversable: the same.
  await sh(`chmod 700 '${refs}/private'`);
  result = await runAsNobody(["stale", del, "--json"]);
  assertEquals(evidence(checkOf(JSON.parse(result.stdout).checks, "A")), [[
    "unreadable",
    "../../0_References/private/p.md",
    "folder ../../0_References/private cannot be listed",
  ]]);
});

Deno.test("stale: an unreadable _REFERENCES.md is one unreadable line, not each reference removed", async () => {
  const { del } = await projectForNobody();
  await sh(`chmod 600 '${del}/_REFERENCES.md'`);
  const result = await runAsNobody(["stale", del, "--json"]);
  assertEquals(result.code, 1, result.stderr);
  const check = checkOf(JSON.parse(result.stdout).checks, "A");
  assertEquals(evidence(check), [["unreadable", "_REFERENCES.md", "permission denied"]]);
  assertIncludes(check.notes.join("\n"), "_REFERENCES.md cannot be read: 3 input(s) it listed");
});

// --- 6. evidence lines ------------------------------------------------------------------------

Deno.test("stale: a later run that wrote an input is named with its status when it did not succeed", async () => {
  const { del } = await makeProject();
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "Datasheet.md");
  await Deno.writeTextFile(join(del, "Datasheet.md"), "failed edit\n", { append: true });
  await runrec(
    0,
    "emit",
    del,
    "--agent",
    "A",
    "--status",
    "FAILED",
    "--error",
    "boom",
    "--output",
    "Datasheet.md",
  );
  const failed = (await records(del))[1].RunID;
  const { checks } = await stale(del);
  assertEquals(evidence(checkOf(checks, "A")), [[
    "changed",
    "Datasheet.md",
    `written by ${failed} (A, FAILED)`,
  ]]);
});

Deno.test("stale: the run named as an input's writer is the one whose recorded output is its bytes now, whenever it started (of several, the first started: the one that made them), never the file order", async () => {
  const { del } = await makeProject();
  const datasheet = join(del, "Datasheet.md");
  const emit = (agent: string, started: string, ...args: string[]) =>
    runrec(0, "emit", del, "--agent", agent, "--status", "SUCCESS", "--started", started, ...args);
  await emit("A", "2026-03-01T10:00:00Z", "--input", "Datasheet.md");
  await Deno.writeTextFile(datasheet, "version X\n");
  await emit("W1", "2026-03-01T11:00:00Z", "--output", "Datasheet.md");
  await Deno.writeTextFile(datasheet, "version Y\n");
  await emit("D", "2026-03-01T12:00:00Z", "--input", "Datasheet.md");
  await Deno.writeTextFile(datasheet, "version X\n");
  // Appended last, stamped before both baselines (a merged branch): it wrote those bytes too.
  await emit("W2", "2026-03-01T09:00:00Z", "--output", "Datasheet.md");
  const w2 = (await records(del))[3].RunID;
  const { checks } = await stale(del, "--agent", "A,D");
  // W1 and W2 recorded the bytes there now: W2 started first, so it made them (a later run may
  // record bytes again: a folder output, a run that failed and left the file). For D too: the
  // bytes D did not read are theirs, whatever the file order.
  for (const agent of ["A", "D"]) {
    assertEquals(evidence(checkOf(checks, agent)), [[
      "changed",
      "Datasheet.md",
      `written by ${w2} (W2)`,
    ]]);
  }
});

Deno.test("stale: an --agent with no run anywhere checked and no agent file is refused, exit 2, naming a near one (trial-t F4)", async () => {
  const { root, del } = await makeProject();
  await runrec(0, "emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS");
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS");
  await Deno.writeTextFile(join(root, "_Decomposition", "D.md"), "rev B\n");
  // The real agent is DIRTY: a CI gate must not pass on a misspelt name.
  await runrec(1, "stale", root, "--agent", "4_DOCUMENTS");
  for (const agents of ["4_DOCUMNETS", "A,4_DOCUMNETS"]) {
    const result = await runCliProcess(["stale", root, "--agent", agents]);
    assertEquals(result.code, 2);
    assertEquals(result.stdout, "");
    assertEquals(
      result.stderr,
      "runrec stale: --agent 4_DOCUMNETS: no run by that agent in the deliverables checked, and " +
        "no agent file names it (agents with runs there: 4_DOCUMENTS, A); did you mean 4_DOCUMENTS?\n",
    );
  }
  // No name near: no "did you mean".
  const far = await runrec(2, "stale", del, "--agent", "ZEBRA");
  assertIncludes(far.stderr, "(agents with runs there: 4_DOCUMENTS, A)\n");
  // An agent runrec knows (built in, or an agent file) that has not run here is no typo.
  let result = await runrec(1, "stale", del, "--agent", "CHIRALITY_LENS,4_DOCUMENTS");
  assertEquals(result.stderr, "");
  await writeTree(root, { "agents/AGENT_MY_LINTER.md": "# AGENT INSTRUCTIONS\n" });
  result = await runrec(0, "stale", del, "--agent", "MY_LINTER");
  assertIncludes(result.stdout, "NO_BASELINE");
  assertEquals(result.stderr, "");
});

// --- runrec's own files: only in a deliverable folder -----------------------------------------

Deno.test("stale: a data file named RunRecords.csv in an input folder is governed; another deliverable's record file is not", async () => {
  const { root, del } = await makeProject();
  const other = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_Other");
  await writeTree(del, { "data/RunRecords.csv": "tag,flow\nFT-101,120\n", "data/notes.md": "n\n" });
  await writeTree(other, { "_CONTEXT.md": "**DeliverableID:** DEL-01-03\n", "spec.md": "s\n" });
  await runrec(0, "emit", other, "--agent", "B", "--status", "SUCCESS");
  const emitted = await runrec(
    0,
    ...["emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "data"],
    ...["--input", "data/RunRecords.csv", "--input", "../DEL-01-03_Other", "--json"],
  );
  const record = JSON.parse(emitted.stdout);
  assertEquals(record.InputFiles, [
    "data/RunRecords.csv",
    "data/notes.md",
    "../DEL-01-03_Other/_CONTEXT.md",
    "../DEL-01-03_Other/spec.md",
  ]);
  assert(!record.Notes.includes("runrec's own"), record.Notes);
  assertEquals((await stale(del)).code, 0);

  // The other deliverable runs again: its record file changes, this one is still CLEAN.
  await runrec(0, "emit", other, "--agent", "B", "--status", "SUCCESS");
  let { code, checks } = await stale(del);
  assertEquals([code, evidence(checkOf(checks, "A"))], [0, []]);

  await Deno.writeTextFile(join(del, "data/RunRecords.csv"), "FT-102,80\n", { append: true });
  ({ code, checks } = await stale(del));
  assertEquals(code, 1);
  assertEquals(evidence(checkOf(checks, "A")), [["changed", "data/RunRecords.csv", undefined]]);
});

// --- unreadable at the run and now, for the same reason ----------------------------------------

Deno.test("stale: an input that is a FIFO, a socket or a symlink loop at the run and now is CLEAN with a note; readable later, DIRTY", async () => {
  const { del } = await makeProject();
  await mkfifo(join(del, "fifo"));
  await sh(
    `cd '${del}' && ln -s loopb loopa && ln -s loopa loopb && python3 -c ` +
      `"import socket; socket.socket(socket.AF_UNIX).bind('sock')"`,
  );
  const kinds = { A_FIFO: "fifo", A_SOCKET: "sock", A_LOOP: "loopa" };
  for (const [agent, input] of Object.entries(kinds)) {
    await runrec(0, "emit", del, "--agent", agent, "--status", "SUCCESS", "--input", input);
  }
  let { code, checks } = await stale(del);
  assertEquals(code, 0);
  const LOOP = "Too many levels of symbolic links";
  const reasons = { A_FIFO: "not a regular file", A_SOCKET: "not a regular file", A_LOOP: LOOP };
  for (const [agent, input] of Object.entries(kinds)) {
    const check = checkOf(checks, agent);
    assertEquals([check.verdict, evidence(check)], ["CLEAN", []]);
    assertIncludes(
      check.notes.join("\n"),
      `input ${input}: could not be read at the run nor now (${
        reasons[agent as keyof typeof reasons]
      })`,
    );
  }
  const text = await runrec(0, "stale", del);
  assert(!text.stdout.includes("dangling"), text.stdout);

  // Readable now: its content is new to the run.
  await Deno.remove(join(del, "fifo"));
  await Deno.writeTextFile(join(del, "fifo"), "now a file\n");
  await Deno.remove(join(del, "loopb"));
  await Deno.writeTextFile(join(del, "loopb"), "the loop is broken\n");
  ({ code, checks } = await stale(del));
  assertEquals(code, 1);
  const readable = "unreadable at the run, readable now";
  assertEquals(evidence(checkOf(checks, "A_FIFO")), [["changed", "fifo", readable]]);
  assertEquals(evidence(checkOf(checks, "A_LOOP")), [["changed", "loopa", readable]]);
  assertEquals(checkOf(checks, "A_SOCKET").verdict, "CLEAN");
});

Deno.test("stale: a FIFO inside an input folder and a dangling link, unreadable at the run and now, are CLEAN with a note", async () => {
  const { del } = await makeProject();
  await Deno.mkdir(join(del, "inbox"));
  await mkfifo(join(del, "inbox", "pipe"));
  await Deno.symlink("gone.md", join(del, "dangle.md"));
  const emit = await runrec(
    0,
    ..."emit . --agent A --status SUCCESS --input inbox --input dangle.md".split(" ").map((a) =>
      a === "." ? del : a
    ),
  );
  assertIncludes(emit.stderr, "dangle.md: dangling symbolic link");
  const { code, checks } = await stale(del);
  assertEquals(code, 0, JSON.stringify(checks));
  const check = checkOf(checks, "A");
  assertEquals([check.verdict, evidence(check)], ["CLEAN", []]);
  const notes = check.notes.join("\n");
  assertIncludes(
    notes,
    "input inbox/pipe: could not be read at the run nor now (not a regular file)",
  );
  assertIncludes(
    notes,
    "input dangle.md: could not be read at the run nor now (dangling symbolic link)",
  );
});

Deno.test("stale: a symlink loop made after the run is unreadable, named a loop, not dangling", async () => {
  const { del } = await makeProject();
  await Deno.writeTextFile(join(del, "loopa"), "a\n");
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "loopa");
  await Deno.remove(join(del, "loopa"));
  await sh(`cd '${del}' && ln -s loopb loopa && ln -s loopa loopb`);
  const { code, checks } = await stale(del);
  assertEquals(code, 1);
  assertEquals(evidence(checkOf(checks, "A")), [[
    "unreadable",
    "loopa",
    "Too many levels of symbolic links",
  ]]);
});

// --- a core.autocrlf checkout --------------------------------------------------------------------

Deno.test("stale: a file that a core.autocrlf checkout only gave CR LF is changed, its reason says only line endings", async () => {
  const { root, del } = await makeProject();
  await writeTree(del, { "spec.md": "l1\nl2\n", "other.md": "o1\n" });
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "c1");
  await runrec(
    0,
    ...["emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "spec.md"],
    ...["--input", "other.md"],
  );
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "c2");
  await git(root, "config", "core.autocrlf", "true");
  await Deno.remove(join(del, "spec.md"));
  await git(root, "checkout", "--", join(del, "spec.md"));
  assertEquals(await Deno.readTextFile(join(del, "spec.md")), "l1\r\nl2\r\n");
  assertEquals((await git(root, "status", "--short")).trim(), "");
  // A real edit is no line-ending change.
  await Deno.writeTextFile(join(del, "other.md"), "o2\r\n");

  const { code, checks } = await stale(del);
  assertEquals(code, 1);
  // The reason names the cause and the remedy the tutorial gives ("Two more lines for teams").
  const ONLY = "only line endings differ from the run: core.autocrlf? " +
    "`* text=auto eol=lf` in .gitattributes keeps them alike (docs/TUTORIAL.md)";
  assertEquals(evidence(checkOf(checks, "A")), [
    ["changed", "other.md", undefined],
    ["changed", "spec.md", ONLY],
  ]);
  const text = await runrec(1, "stale", del);
  assertIncludes(text.stdout, `spec.md  (${ONLY})`);
});

Deno.test("stale: a file over 16 MiB is not read whole to tell line endings: changed, without that reason", async () => {
  const { del } = await makeProject();
  const lines = "x".repeat(99) + "\n";
  await Deno.writeTextFile(join(del, "big.md"), lines.repeat(170_000)); // 17 MB
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "big.md");
  await Deno.writeTextFile(join(del, "big.md"), lines.replace("\n", "\r\n").repeat(170_000));
  const { checks } = await stale(del);
  assertEquals(evidence(checkOf(checks, "A")), [["changed", "big.md", undefined]]);
});

Deno.test("stale: in a sparse checkout an input left out of it is unreadable ('not checked out'), not deleted; inside the cone a deleted input is deleted and a deleted output expected; a run made there is CLEAN (git-config F2)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  await Deno.writeTextFile(join(del, "Old.md"), "to be deleted by the run\n");
  const token = (await runCli(["start", del, "--agent", "A", "--input", "Datasheet.md"])).stdout
    .trim();
  await Deno.remove(join(del, "Old.md"));
  const finished = await runCli(["finish", token, "--status", "SUCCESS", "--output", "Old.md"]);
  assertEquals(finished.code, 0, finished.stderr);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "records");
  const clone = join(await tempDir({ prefix: "runrec-sparse-" }), "clone");
  await git(root, "clone", "-q", "--sparse", `file://${root}`, clone);
  await git(clone, "sparse-checkout", "set", "PKG-01_Pkg/1_Working/DEL-01-02_Thing");
  const cloned = join(clone, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  const out = await runCli(["stale", cloned]);
  assertEquals(out.code, 1, out.stdout + out.stderr);
  assertIncludes(
    out.stdout,
    "../../../_Decomposition/D.md  (not checked out (a sparse checkout leaves it out))",
  );
  assert(!out.stdout.includes("deleted"), out.stdout);
  assert(!out.stdout.includes("Old.md"), out.stdout); // the run deleted it: expected gone
  // Inside the cone, a file really deleted is deleted.
  await Deno.remove(join(cloned, "Datasheet.md"));
  const inside = await runCli(["stale", cloned]);
  assertIncludes(inside.stdout, "Datasheet.md  (deleted)");
  // A run made in the sparse checkout found the left-out files nowhere, as they are now: CLEAN,
  // with a note, not DIRTY the moment it is recorded (git-config F2).
  const emitted = await runCli(["emit", cloned, "--agent", "B", "--status", "SUCCESS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  const after = await runCli(["stale", cloned, "--agent", "B"]);
  assertEquals(after.code, 0, after.stdout + after.stderr);
  assertIncludes(
    after.stdout,
    "input ../../../_Decomposition/D.md: not found at the run, not checked out (a sparse",
  );
});

Deno.test("stale: a run finished from its token after its pending run file went (git clean -x) recorded no inputs: NO_BASELINE saying so, not DIRTY with every input 'added' (agent-trial F1)", async () => {
  const { del } = await makeProject();
  await emitSuccess(del, "DEPENDENCIES"); // an earlier run that did capture its inputs
  const token =
    (await runrec(0, "start", del, "--agent", "DEPENDENCIES", "--input", "Datasheet.md"))
      .stdout.trim();
  await Deno.remove(join(del, ".runrec"), { recursive: true });
  await runrec(
    0,
    ...["finish", token, "--agent", "DEPENDENCIES", "--status", "SUCCESS"],
  );
  const { code, checks } = await stale(del);
  assertEquals(code, 0);
  const check = checkOf(checks, "DEPENDENCIES");
  assertEquals(check.verdict, "NO_BASELINE");
  assertIncludes(check.reason ?? "", "recorded no inputs (InputContextSHA TBD");
  assertEquals(check.inputs, []);
});

Deno.test("stale: an input in a producer's folder relabelled since the run (the ID kept) is read where it is now: CLEAN with a note, DIRTY when its bytes changed (agent-trial F2)", async () => {
  const { root, del } = await makeProject();
  const working = join(root, "PKG-01_Pkg", "1_Working");
  await Deno.mkdir(join(working, "DEL-01-03_Old_Label"));
  await Deno.writeTextFile(join(working, "DEL-01-03_Old_Label", "Datasheet.md"), "data\n");
  await emitSuccess(del, "A", "--input", "../DEL-01-03_Old_Label/Datasheet.md");
  await Deno.rename(join(working, "DEL-01-03_Old_Label"), join(working, "DEL-01-03_New_Label"));
  const relabelled = await stale(del);
  assertEquals(relabelled.code, 0, JSON.stringify(relabelled.checks));
  const check = checkOf(relabelled.checks, "A");
  assertEquals([check.verdict, check.inputs], ["CLEAN", []]);
  assert(
    check.notes.includes(
      "input ../DEL-01-03_Old_Label/Datasheet.md: read at ../DEL-01-03_New_Label/Datasheet.md, " +
        "its deliverable folder relabelled since the run",
    ),
    JSON.stringify(check.notes),
  );
  await Deno.writeTextFile(join(working, "DEL-01-03_New_Label", "Datasheet.md"), "edited\n");
  const edited = await stale(del);
  assertEquals(edited.code, 1);
  assertEquals(evidence(checkOf(edited.checks, "A")), [
    ["changed", "../DEL-01-03_Old_Label/Datasheet.md", undefined],
  ]);
  // Two folders of that ID: which one is meant cannot be told, so it reads as gone.
  await Deno.mkdir(join(working, "DEL-01-03_Copy"));
  await Deno.writeTextFile(join(working, "DEL-01-03_Copy", "Datasheet.md"), "data\n");
  const ambiguous = await stale(del);
  assertEquals(evidence(checkOf(ambiguous.checks, "A"))[0].slice(0, 2), [
    "removed",
    "../DEL-01-03_Old_Label/Datasheet.md",
  ]);
});

// --- 2. what the check cannot see: no CLEAN over it ----------------------------------------

/** `del`'s RunRecords.csv with `from` replaced by `to` in line `line` (a hand edit). */
async function editLine(del: string, line: number, from: string, to: string): Promise<void> {
  const path = join(del, "RunRecords.csv");
  const lines = (await Deno.readTextFile(path)).split("\n");
  assertIncludes(lines[line - 1], from);
  lines[line - 1] = lines[line - 1].replace(from, to);
  await Deno.writeTextFile(path, lines.join("\n"));
}

Deno.test("stale: a record line that cannot be read (the latest run, or an annotation) is no CLEAN: NO_BASELINE naming file and line; DIRTY stays DIRTY; a torn last line stays CLEAN with a note", async () => {
  const { del } = await makeProject();
  const datasheet = join(del, "Datasheet.md");
  const emit = () => emitSuccess(del, "WRITER", "--input", "Datasheet.md");
  await emit();
  await Deno.writeTextFile(datasheet, "v2\n");
  await emit();
  await Deno.writeTextFile(datasheet, "# Datasheet\n"); // as the first run read it
  assertEquals(checkOf((await stale(del)).checks, "WRITER").verdict, "DIRTY");
  // Line 3, the latest run, is changed by hand: the first run must not pass for the baseline.
  await editLine(del, 3, ",WRITER,", ",WRITEZ,");
  let { code, checks } = await stale(del);
  const unread = "RunRecords.csv line 3 could not be read (see runrec validate)";
  assertEquals(code, 0);
  assertEquals(checkOf(checks, "WRITER").verdict, "NO_BASELINE");
  assertIncludes(checkOf(checks, "WRITER").reason ?? "", unread);
  // A change seen is DIRTY all the same, with the line noted.
  await Deno.writeTextFile(datasheet, "v3\n");
  ({ code, checks } = await stale(del));
  assertEquals([code, checkOf(checks, "WRITER").verdict], [1, "DIRTY"]);
  assert(checkOf(checks, "WRITER").notes.includes(unread), checkOf(checks, "WRITER").notes.join());

  // An annotation invalidating the only run, changed by hand: that run is no baseline either.
  const other = await makeProject();
  await runrec(0, "emit", other.del, "--agent", "WRITER", "--status", "SUCCESS");
  const [run] = await records(other.del);
  await runrec(0, "annotate", other.del, run.RunID, "--invalidates", "--note", "bad run");
  assertEquals(checkOf((await stale(other.del)).checks, "WRITER").verdict, "NO_BASELINE");
  await editLine(other.del, 3, "note=bad run", "note=bad rum");
  ({ code, checks } = await stale(other.del));
  assertEquals([code, checkOf(checks, "WRITER").verdict], [0, "NO_BASELINE"]);
  assertIncludes(checkOf(checks, "WRITER").reason ?? "", unread);
  const text = await runCli(["stale", other.del]);
  assertIncludes(text.stdout, unread);
  assert(!text.stdout.includes("CLEAN  "), text.stdout);

  // A torn last line (an interrupted write: its record was never promised) is no such doubt,
  // but it is said: the run cut there is not recorded unless runrec spooled its record.
  const torn = await makeProject();
  await runrec(0, "emit", torn.del, "--agent", "WRITER", "--status", "SUCCESS");
  await Deno.writeTextFile(join(torn.del, "RunRecords.csv"), "v1.0,RUN-DEL-01-02-2026", {
    append: true,
  });
  ({ code, checks } = await stale(torn.del));
  assertEquals([code, checkOf(checks, "WRITER").verdict], [0, "CLEAN"]);
  const tornNote = "RunRecords.csv line 3 is torn (a write cut short): not a record, so not " +
    "weighed; its run is not recorded unless runrec spooled the record, which its next write " +
    "here appends (stale warns while one is spooled)";
  assertEquals(checkOf(checks, "WRITER").notes, [tornNote]);
  // The next append starts a new line after it: an old crash, recovered, is no longer said.
  await runrec(0, "emit", torn.del, "--agent", "OTHER", "--status", "SUCCESS");
  ({ code, checks } = await stale(torn.del));
  assertEquals([code, checkOf(checks, "WRITER").verdict, checkOf(checks, "WRITER").notes], [
    0,
    "CLEAN",
    [],
  ]);
});

Deno.test("stale: a line cut short in the middle of the file (the latest run's, its agent and start whole) is weighed as unreadable, not skipped for an older baseline; one whose run was recorded again (same agent and start) is a recovered crash", async () => {
  const { del } = await makeProject();
  const datasheet = join(del, "Datasheet.md");
  const file = join(del, "RunRecords.csv");
  const emit = (agent: string, ...more: string[]) =>
    emitSuccess(del, agent, "--input", "Datasheet.md", ...more);
  await emit("WRITER", "--started", "2026-11-01T10:00:00Z");
  await Deno.writeTextFile(datasheet, "v2\n");
  await emit("WRITER", "--started", "2026-11-02T10:00:00Z");
  await Deno.writeTextFile(datasheet, "# Datasheet\n"); // as the first run read it, not the second
  // Line 3, the latest run, is cut after its start; another agent's record comes after it.
  const lines = (await Deno.readTextFile(file)).split("\n");
  await Deno.writeTextFile(file, [lines[0], lines[1], lines[2].slice(0, 160)].join("\n"));
  await emit("OTHER");
  const check = checkOf((await stale(del)).checks, "WRITER");
  assertEquals(check.verdict, "NO_BASELINE", JSON.stringify(check));
  assertIncludes(check.reason ?? "", "RunRecords.csv line 3 could not be read");
  // Its run recorded again, with its start: the cut line was a crash that run recovered from.
  await emit("WRITER", "--started", "2026-11-02T10:00:00Z");
  const again = checkOf((await stale(del)).checks, "WRITER");
  assertEquals([again.verdict, again.notes], ["CLEAN", []]);
});

Deno.test("stale: an old unreadable line of another agent (its agent, start and RunID cells whole) is a note, not NO_BASELINE for every agent; one that may be the agent's later run still blocks", async () => {
  const { del } = await makeProject();
  const emit = (agent: string, ...more: string[]) =>
    emitSuccess(del, agent, "--input", "Datasheet.md", ...more);
  await emit("DEPENDENCIES", "--started", "2026-01-05T10:00:00Z", "--duration", "60s");
  await editLine(del, 2, ",DEPENDENCIES,", ",DEPENDENCIEZ,"); // damaged a month ago
  await emit("WRITER");
  await emit("DEPENDENCIES");
  const unread = "RunRecords.csv line 2 could not be read (see runrec validate)";
  let checks = (await stale(del)).checks;
  for (const agent of ["DEPENDENCIES", "WRITER"]) {
    const check = checkOf(checks, agent);
    assertEquals([check.verdict, check.notes], ["CLEAN", [unread]], agent);
  }
  // Its start changed to an older one that its RunID does not bear out: it may be the latest.
  await editLine(del, 2, "T10:00:00.000Z", "T09:00:00.000Z");
  await editLine(del, 2, ",DEPENDENCIEZ,", ",WRITER,");
  checks = (await stale(del)).checks;
  assertEquals(checkOf(checks, "DEPENDENCIES").verdict, "CLEAN");
  assertEquals(checkOf(checks, "WRITER").verdict, "NO_BASELINE");
  assertIncludes(checkOf(checks, "WRITER").reason ?? "", "RunRecords.csv line 2 could not be read");
});

Deno.test("stale: two baselines stamped alike are chosen by the later end, whatever their order in the file, and noted; ended alike too and read other inputs, NO_BASELINE naming both, never a coin toss", async () => {
  const { del } = await makeProject();
  const datasheet = join(del, "Datasheet.md");
  const emit = (duration: string) =>
    emitSuccess(
      del,
      "WRITER",
      "--input",
      "Datasheet.md",
      "--started",
      "2026-03-01T10:00:00Z",
      "--duration",
      duration,
    );
  await emit("60s");
  await Deno.writeTextFile(datasheet, "v2\n"); // as a second branch had it
  await emit("60s");
  const path = join(del, "RunRecords.csv");
  const [header, first, second] = (await Deno.readTextFile(path)).trimEnd().split("\n");
  // The same records in both orders a merge of the two branches leaves; either file content.
  const [one, two] = [first, second].map((l) => l.split(",")[1]);
  for (const content of ["v2\n", "# Datasheet\n"]) {
    await Deno.writeTextFile(datasheet, content);
    for (const order of [[first, second], [second, first]]) {
      await Deno.writeTextFile(path, [header, ...order, ""].join("\n"));
      const check = checkOf((await stale(del)).checks, "WRITER");
      // Never CLEAN over a coin toss: no verdict, naming both runs, whatever the bytes.
      assertEquals(check.verdict, "NO_BASELINE");
      for (const id of [one, two]) assertIncludes(check.reason ?? "", id);
      assertMatch(
        check.reason ?? "",
        /started and ended alike but read other inputs \(Datasheet\.md\): which ran last cannot be told \(branches merged\?\); run WRITER again to settle it$/,
      );
    }
  }

  // Of two stamped alike, the one that ended later is the baseline, in either order: noted as
  // started alike, not as "stamped earlier".
  await Deno.writeTextFile(path, [header, first, ""].join("\n"));
  await Deno.writeTextFile(datasheet, "v2\n");
  await emit("120s");
  const longer = (await records(del))[1].RunID;
  const [, a, b] = (await Deno.readTextFile(path)).trimEnd().split("\n");
  for (const order of [[a, b], [b, a]]) {
    await Deno.writeTextFile(path, [header, ...order, ""].join("\n"));
    const check = checkOf((await stale(del)).checks, "WRITER");
    assertEquals([check.verdict, check.baseline?.RunID], ["CLEAN", longer]);
    assertEquals(check.notes.length, 1, check.notes.join("\n"));
    assertMatch(
      check.notes[0],
      /^RUN-\S+ \(line \d\) started as the baseline did but read other inputs \(Datasheet\.md\): which ran last cannot be told \(branches merged\?\); the baseline is the one that ended later$/,
    );
  }
});

Deno.test("stale: a baseline stamped after this machine's clock is said so, not taken for a clock set back", async () => {
  const { del } = await makeProject();
  const path = join(del, "RunRecords.csv");
  await emitSuccess(del, "WRITER", "--input", "Datasheet.md");
  // Recorded by a host whose clock ran six days ahead (resealed: a whole record).
  const ahead = new Date(Date.now() + 6 * 86_400_000).toISOString();
  const lines = (await Deno.readTextFile(path)).split("\n");
  const record = decodeRecord(lines[1]);
  record.RunTimestamp = ahead;
  record.RunID = `${runIdPrefix(record.DeliverableID, ahead)}001`;
  lines[1] = encodeRecord(record);
  await Deno.writeTextFile(path, lines.join("\n"));
  await Deno.writeTextFile(join(del, "Datasheet.md"), "v2\n");
  await emitSuccess(del, "WRITER", "--input", "Datasheet.md");
  const check = checkOf((await stale(del)).checks, "WRITER");
  assertEquals([check.verdict, check.baseline?.RunID], ["DIRTY", record.RunID]);
  assert(
    check.notes.some((n) =>
      n.startsWith(`the baseline ${record.RunID} is stamped ${ahead}, after this machine's clock`)
    ),
    check.notes.join("\n"),
  );
});

Deno.test("stale: files the walk does not hash (a folder that is a symbolic link, installed packages, the list of a _REFERENCES.md over 1 MiB) are no CLEAN: NO_BASELINE saying so, a note beside a change", async () => {
  const { root, del } = await makeProject();
  const refs = join(root, "PKG-01_Pkg", "0_References");
  await writeTree(root, {
    "_Shared/vendor/flow.md": "range 0-100\n",
    "PKG-01_Pkg/0_References/node_modules/std/a.md": "v1\n",
  });
  await Deno.symlink("../../_Shared/vendor", join(refs, "vendor"));
  await Deno.writeTextFile(
    join(del, "_REFERENCES.md"),
    "- [Refs](../../0_References/)\n",
    { append: true },
  );
  await runrec(0, "emit", del, "--agent", "WRITER", "--status", "SUCCESS");
  await Deno.writeTextFile(join(root, "_Shared/vendor/flow.md"), "range 0-500\n");
  let { code, checks } = await stale(del);
  let check = checkOf(checks, "WRITER");
  assertEquals([code, check.verdict], [0, "NO_BASELINE"]);
  const linked = "folder ../../0_References/vendor is a symbolic link: its files are not hashed " +
    "(name it as an input to hash them), so a change there cannot be seen";
  const packages = "folder ../../0_References/node_modules holds installed packages: its files " +
    "are not hashed (name it as an input to hash them), so a change there cannot be seen";
  assertIncludes(check.reason ?? "", linked);
  assertIncludes(check.reason ?? "", packages);
  // A change it sees is DIRTY, and the notes say what it cannot see.
  await Deno.writeTextFile(join(refs, "ref.txt"), "changed\n");
  ({ code, checks } = await stale(del));
  check = checkOf(checks, "WRITER");
  assertEquals([code, check.verdict], [1, "DIRTY"]);
  assert(check.notes.some((n) => n.includes(linked)), check.notes.join("\n"));

  // A _REFERENCES.md too large to read: none of the files it lists is hashed.
  const big = await makeProject();
  const line = "- review note: checked the vendor literature for consistency with scope\n";
  await Deno.writeTextFile(join(big.del, "_REFERENCES.md"), line.repeat(15_000), { append: true });
  await runrec(0, "emit", big.del, "--agent", "WRITER", "--status", "SUCCESS");
  await Deno.writeTextFile(join(big.root, "_Decomposition/D.md"), "changed\n");
  ({ code, checks } = await stale(big.del));
  check = checkOf(checks, "WRITER");
  assertEquals([code, check.verdict], [0, "NO_BASELINE"]);
  assertMatch(
    check.reason ?? "",
    /^_REFERENCES\.md: too large: .*: the files it lists are not hashed, so a change there cannot be seen$/,
  );
});

Deno.test("stale: a linked folder whose files are hashed through another path (an alias beside its target) is CLEAN; one named as an input, as emit's note says, is CLEAN, and emit no longer notes it", async () => {
  const { root, del } = await makeProject();
  const refs = join(root, "PKG-01_Pkg", "0_References");
  await writeTree(root, {
    "PKG-01_Pkg/0_References/v3/iec.md": "IEC 61511 ed.3\n",
    "_Shared/vendor/flow.md": "range 0-100\n",
    "PKG-01_Pkg/0_References/node_modules/std/a.md": "v1\n",
  });
  await Deno.symlink("v3", join(refs, "current"));
  await Deno.writeTextFile(join(del, "_REFERENCES.md"), "- [Refs](../../0_References/)\n", {
    append: true,
  });
  // `current -> v3`: every file beneath it is hashed under v3/, so nothing is unseen.
  await Deno.rename(join(refs, "node_modules"), join(root, "node_modules.away"));
  await runrec(0, "emit", del, "--agent", "WRITER", "--status", "SUCCESS");
  let check = checkOf((await stale(del)).checks, "WRITER");
  assertEquals([check.verdict, check.notes], ["CLEAN", []]);
  // An edit through v3/ is seen.
  await Deno.writeTextFile(join(refs, "v3/iec.md"), "IEC 61511 ed.4\n");
  check = checkOf((await stale(del)).checks, "WRITER");
  assertEquals(evidence(check), [["changed", "../../0_References/v3/iec.md", undefined]]);

  // A link out of the folder and installed packages are unseen, until named as emit's note says.
  await Deno.rename(join(root, "node_modules.away"), join(refs, "node_modules"));
  await Deno.symlink("../../_Shared/vendor", join(refs, "vendor"));
  const emitted = await emitSuccess(
    del,
    "WRITER",
    "--input",
    "../../0_References/vendor",
    "--input",
    "../../0_References/node_modules",
  );
  assert(!emitted.stderr.includes("not hashed"), emitted.stderr);
  assert(!(await records(del)).at(-1)!.Notes.includes("not hashed"));
  check = checkOf((await stale(del)).checks, "WRITER");
  assertEquals([check.verdict, check.notes], ["CLEAN", []]);
  await Deno.writeTextFile(join(root, "_Shared/vendor/flow.md"), "range 0-500\n");
  await Deno.writeTextFile(join(refs, "node_modules/std/a.md"), "v2\n");
  check = checkOf((await stale(del)).checks, "WRITER");
  assertEquals(evidence(check), [
    ["changed", "../../0_References/node_modules/std/a.md", undefined],
    ["changed", "../../0_References/vendor/flow.md", undefined],
  ]);
});

Deno.test("stale: an empty path is a one-line usage error saying so, exit 2", async () => {
  const { del } = await makeProject();
  for (const args of [[""], [del, ""]]) {
    const result = await runCli(["stale", ...args]);
    assertEquals([result.code, result.stdout], [2, ""]);
    // The CLI names the argument as its help does; the library, as its signature does.
    assertMatch(
      result.stderr,
      /^runrec stale: <del-dir\|root>: an empty path \(\. is the current folder\) \(see runrec stale --help\)\n$/,
    );
  }
  await assertRejects(() => checkStaleness([""]), InputError, "targets: an empty path");
});

Deno.test("stale: an input folder read at the run that is a symbolic link loop now makes each of its files DIRTY unreadable, not removed (TUTORIAL 'Unreadable'; the stale oracle's seed 577232824)", async () => {
  const { del } = await makeProject();
  await writeTree(del, { "sub/a.md": "a\n", "sub/b.md": "b\n" });
  await emitSuccess(del, "4_DOCUMENTS", "--input", "sub");
  await Deno.remove(join(del, "sub"), { recursive: true });
  await Deno.symlink("sub", join(del, "sub"));
  const { code, checks } = await stale(del);
  assertEquals(code, 1);
  const check = checkOf(checks, "4_DOCUMENTS");
  assertEquals(
    [check.verdict, evidence(check).map(([change, path]) => [change, path])],
    ["DIRTY", [["unreadable", "sub/a.md"], ["unreadable", "sub/b.md"]]],
  );
});
