/**
 * Five small defects noticed and left at stop 49, each fixed: a record file of hand-written lines
 * only, a second finish of another status, annotate through a link to a package, a SEQ of garbage
 * size in runrec's RunID notes, and exec's word before its `--` that names no command. Each test
 * failed before its fix.
 */
import { join } from "node:path";
import { runCli } from "./cli.ts";
import { finishedRun } from "./support/runs.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { HEADER } from "../src/schema.ts";
import { assert, assertEquals, assertIncludes } from "./assert.ts";

/** A record line of DEL-01-02 as written by hand: every field, an empty RecordChecksum. */
function handWritten(seq: string): string {
  return `v1.0,RUN-DEL-01-02-20261201-0900-${seq},DEL-01-02,4_DOCUMENTS,TYPE_2,` +
    "2026-12-01T09:00:00Z,PT5M,SUCCESS,,,,,OPEN,OPEN,,by hand,,,,vm,\n";
}

Deno.test("validate (and verify) of a RunRecords.csv whose record lines are all written by hand (no RecordChecksum) warn that the file holds no run record, not 'ok: 0 records' alone; one such line among good records stays the one torn warning (leftovers-50 1)", async () => {
  const { del } = await makeProject();
  const file = join(del, "RunRecords.csv");
  await Deno.writeTextFile(file, `${HEADER}\n${handWritten("001")}${handWritten("002")}`);
  const before = await Deno.readTextFile(file);
  const alone = await runCli(["validate", file]);
  assertEquals(alone.code, 0, alone.stdout);
  assertIncludes(
    alone.stdout,
    `${file}:2: warning: no run record in this file: none of its 2 record lines (line 2 on) has ` +
      "a whole RecordChecksum (an interrupted write leaves one such line; a line written by " +
      "hand is no run record, SCHEMA.md 1.5: runrec emit records a run)\n",
  );
  assertIncludes(alone.stdout, `${file}: ok: 0 records, 0 errors, 3 warnings\n`);
  const json = JSON.parse((await runCli(["validate", file, "--json"])).stdout);
  assertEquals(
    json.files[0].problems.map((p: { code: string }) => p.code),
    ["torn", "torn", "no-records"],
  );
  // verify says it too: its file checks are validate's.
  const verified = await runCli(["verify", file]);
  assertEquals(verified.code, 0, verified.stdout);
  assertIncludes(verified.stdout, ":2: warning: no run record in this file: none of its 2 record");
  assertEquals(await Deno.readTextFile(file), before);
  // Among good records, the same line is the torn warning it was, and nothing more.
  await Deno.remove(file);
  const emitted = await runCli(["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  await Deno.writeTextFile(file, handWritten("001"), { append: true });
  const mixed = await runCli(["validate", file]);
  assertEquals(mixed.code, 0, mixed.stdout);
  assertEquals(
    mixed.stdout,
    `${file}:3: warning: torn record (interrupted write); skipped\n` +
      `${file}: ok: 1 record, 0 errors, 1 warning\n`,
  );
  const verifiedMixed = await runCli(["verify", file]);
  assert(!verifiedMixed.stdout.includes("no run record"), verifiedMixed.stdout);
});

Deno.test("a second finish of one token with another status than the recorded one says the two differ, that its status is not recorded, and the annotate that marks the record; the same status is still 'nothing more is needed' (leftovers-50 2)", async () => {
  const { del } = await makeProject();
  const { token, runId } = await finishedRun(del, "SUCCESS");
  const file = join(del, "RunRecords.csv");
  const before = await Deno.readTextFile(file);
  const other = await runCli(["finish", token, "--status", "FAILED", "--error", "timed out"]);
  assertEquals(other.code, 2, other.stderr);
  assertEquals(other.stderr.trim().split("\n").length, 1, other.stderr);
  assertIncludes(
    other.stderr,
    `its record is ${runId} (SUCCESS) in ${file}; nothing written, this finish's FAILED differs ` +
      "from the recorded SUCCESS and is not recorded (a run has one record; an emit would " +
      `record it twice): if the record is wrong, mark it with runrec annotate ${del} ${runId} ` +
      "--invalidates --note '...'",
  );
  assert(!other.stderr.includes("nothing more is needed"), other.stderr);
  const same = await runCli(["finish", token, "--status", "SUCCESS"]);
  assertEquals(same.code, 2, same.stderr);
  assertIncludes(same.stderr, "nothing written, nothing more is needed");
  assertEquals(await Deno.readTextFile(file), before);
});

Deno.test("annotate given a symbolic link to a package folder annotates in the one deliverable beneath where it leads, naming that folder, as the package's own path does (leftovers-50 3)", async () => {
  const { root, del } = await makeProject();
  const emitted = await runCli(["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  const runId = emitted.stdout.trim();
  const elsewhere = await tempDir({ prefix: "runrec-links-" });
  const link = join(elsewhere, "pkg");
  await Deno.symlink(join(root, "PKG-01_Pkg"), link);
  const annotated = await runCli(["annotate", link, runId, "--note", "wrong inputs"]);
  assertEquals(annotated.code, 0, annotated.stderr);
  assertIncludes(annotated.stderr, `note: ${runId} is a run of `);
  assertIncludes(annotated.stderr, "PKG-01_Pkg/1_Working/DEL-01-02_Thing\n");
  const show = await runCli(["show", del, runId]);
  assertIncludes(show.stdout, "wrong inputs");
});

Deno.test("a SEQ of garbage size in runrec's RunID notes (.git/runrec-locks) is passed over: the next RunID's SEQ is the file's next, not 24 or 5,000 digits; a SEQ a run could have been given is still kept clear of; a folder's journal drops such a line itself (leftovers-50 4)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  const emit = ["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"];
  const first = await runCli(emit);
  assertEquals(first.code, 0, first.stderr);
  const locks = join(root, ".git", "runrec-locks");
  const notes = [...Deno.readDirSync(locks)].filter((e) => e.name.endsWith(".seqs"));
  assertEquals(notes.length, 1);
  const notesFile = join(locks, notes[0].name);
  const journal = join(del, ".runrec", "RunRecords.csv.journal");
  // This minute and the next two: the emit below may start in either.
  const minutes = [0, 1, 2].map((i) => {
    const t = new Date(Date.now() + i * 60_000).toISOString();
    return `RUN-DEL-01-02-${t.slice(0, 10).replaceAll("-", "")}-${
      t.slice(11, 16).replace(":", "")
    }-`;
  });
  const garbage = (seq: string) => minutes.map((prefix) => `${prefix}${seq}\n`).join("");
  await Deno.writeTextFile(notesFile, garbage("9".repeat(24)) + garbage("9".repeat(5000)), {
    append: true,
  });
  // Held before too: the journal keeps only its own entries, so this line is dropped unread.
  await Deno.writeTextFile(journal, garbage("8".repeat(30)), { append: true });
  const next = await runCli(emit);
  assertEquals(next.code, 0, next.stderr);
  assert(/-[0-9]{3}$/.test(next.stdout.trim()), next.stdout);
  // A SEQ an append can give is still one no later run takes again.
  await Deno.writeTextFile(notesFile, garbage("500"), { append: true });
  const after = await runCli(emit);
  assertEquals(after.code, 0, after.stderr);
  assert(Number(after.stdout.trim().slice(-3)) > 500, after.stdout);
  const validated = await runCli(["validate", del]);
  assertIncludes(validated.stdout, "ok: 3 records, 0 errors, 0 warnings");
});

Deno.test("exec --input a.md D b.md -- CMD (a second --input forgotten) is refused, exit 2, in one line naming b.md and --input b.md: nothing run, nothing recorded; a command's own -- after it still runs (leftovers-50 5)", async () => {
  const { del } = await makeProject();
  const ran = join(del, "ran.txt");
  const forgot = await runCli([
    "exec",
    "--agent",
    "4_DOCUMENTS",
    "--input",
    join(del, "Datasheet.md"),
    del,
    "b.md",
    "--",
    "sh",
    "-c",
    `echo x > ${ran}`,
  ]);
  assertEquals(forgot.code, 2, forgot.stderr);
  assertEquals(
    forgot.stderr,
    "runrec exec: unexpected argument b.md before --: it names no command, and CMD goes after " +
      "the --; did you mean --input b.md? (nothing run, nothing recorded) (see runrec exec " +
      "--help)\n",
  );
  // A script there but not executable is said to be so, with how to run it.
  const script = join(del, "tool.sh");
  await Deno.writeTextFile(script, `#!/bin/sh\necho x > ${ran}\n`);
  const notRun = await runCli(["exec", del, "--agent", "4_DOCUMENTS", script, "--", "x"]);
  assertEquals(notRun.code, 2, notRun.stderr);
  assertEquals(
    notRun.stderr,
    `runrec exec: unexpected argument ${script} before --: it is not a program (not executable: ` +
      `chmod +x ${script} to run it as CMD), and CMD goes after the --; did you mean --input ` +
      `${script}? (nothing run, nothing recorded) (see runrec exec --help)\n`,
  );
  const folder = await runCli(["exec", del, "--agent", "4_DOCUMENTS", "tests", "--", "x"]);
  assertEquals(folder.code, 2, folder.stderr);
  assertIncludes(folder.stderr, ": it is a folder, not a program, and CMD goes after the --");
  const left = [...Deno.readDirSync(del)].map((e) => e.name);
  assert(!left.includes("RunRecords.csv") && !left.includes("ran.txt"), left.join(", "));
  // A command on PATH before a -- is CMD, and the -- its own.
  const own = await runCli(["exec", del, "--agent", "4_DOCUMENTS", "sh", "-c", "exit 0", "--"]);
  assertEquals(own.code, 0, own.stderr);
});
