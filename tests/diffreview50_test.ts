/**
 * Defects found reviewing stop 50's changes, each with the test that failed
 * on the code before its fix.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { lostRecordLine, newSpoolEntry } from "../src/spool.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { git, makeProject, sampleDraft, tempDir } from "./fixtures.ts";
import { sh } from "./support/read_only.ts";
import { finishedRun } from "./support/runs.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";

Deno.test("exec D --agent A -- CMD ... -- x: a CMD after exec's own -- is run whatever it names, its later -- its own: a command not found is a FAILED record (exit 127), a script not executable one too (exit 126), not refused as a word before the -- (diffreview-50)", async () => {
  const { del } = await makeProject();
  const file = join(del, "RunRecords.csv");
  const gone = await runCli(
    ["exec", del, "--agent", "A", "--", "runrec-no-such-command-50", "--", "x"],
  );
  assertEquals(gone.code, 127, gone.stderr);
  assertMatch(gone.stderr, /could not be started/);
  const script = join(del, "tool.sh");
  await Deno.writeTextFile(script, "#!/bin/sh\nexit 0\n");
  const notExecutable = await runCli(["exec", del, "--agent", "A", "--", script, "--", "x"]);
  assertEquals(notExecutable.code, 126, notExecutable.stderr);
  const statuses = (await Deno.readTextFile(file)).trimEnd().split("\n").slice(1)
    .map((line) => line.split(",")[7]);
  assertEquals(statuses, ["FAILED", "FAILED"]);
  // Without exec's own --, the word before the -- is still refused (leftovers-50 5).
  const stray = await runCli(["exec", del, "--agent", "A", "runrec-no-such-command-50", "--", "x"]);
  assertEquals(stray.code, 2, stray.stderr);
  assertMatch(stray.stderr, /unexpected argument runrec-no-such-command-50 before --/);
});

Deno.test("flush --from refuses a lost-record line edited to name a RunRecords.csv in a folder of no deliverable (a package folder, any folder): named, exit 1, no file begun there; spooled so, it is STUCK (diffreview-50)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const pkg = join(del, "..", "..");
    const entry = newSpoolEntry(
      join(pkg, RECORD_FILE),
      sampleDraft({ DeliverableID: "DEL-01-02", AgentName: "L" }),
      "f",
    );
    const saved = join(tmp, "lost.txt");
    await Deno.writeTextFile(saved, `${lostRecordLine(entry)}\n`);
    const flush = await runCliProcess(["flush", "--from", saved], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(flush.code, 1, flush.stderr);
    assertMatch(
      flush.stderr,
      /lost\.txt:1: not replayed: the folder of its recordFile, .*PKG-01_Pkg, is not a deliverable folder \(no DeliverableID in its _CONTEXT\.md or its name\): correct the recordFile\n/,
    );
    assert(!existsSync(join(pkg, RECORD_FILE)), "a record file was begun in the package folder");
    // The same entry in the user's spool waits, STUCK, and begins no file either.
    const spool = join(tmp, "spool");
    await Deno.mkdir(spool, { mode: 0o700 });
    await Deno.writeTextFile(join(spool, `${entry.id}.json`), JSON.stringify(entry));
    const env = { TMPDIR: tmp, RUNREC_SPOOL_DIR: spool };
    const fromSpool = await runCliProcess(["flush"], FULL_FLAGS, env);
    assertEquals(fromSpool.code, 1, fromSpool.stderr);
    assertMatch(fromSpool.stderr, /STUCK: .*not replayed: the folder of its recordFile, /);
    assert(!existsSync(join(pkg, RECORD_FILE)), "a record file was begun in the package folder");
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a second finish of one token with the recorded status in another spelling (success, or the host word PASS, for SUCCESS) is 'nothing more is needed', not told it differs and to invalidate the record (diffreview-50)", async () => {
  const { del } = await makeProject();
  const { token } = await finishedRun(del, "success");
  for (const status of ["success", "PASS"]) {
    const again = await runCli(["finish", token, "--status", status]);
    assertEquals(again.code, 2, again.stderr);
    assertMatch(again.stderr, /nothing written, nothing more is needed/);
    assert(!again.stderr.includes("--invalidates"), again.stderr);
  }
  // FAIL is FAILED: another status than the record's, said to differ.
  const fail = await runCli(["finish", token, "--status", "FAIL"]);
  assertEquals(fail.code, 2, fail.stderr);
  assertMatch(fail.stderr, /this finish's FAILED differs from the recorded SUCCESS/);
});

Deno.test("a record waiting in the deliverable's own spool when git mv renumbered the folder (DEL-01-02_Thing to DEL-01-05_Thing, its _CONTEXT.md too) is replayed into the file under its new name, whose records have the entry's ID; not STUCK as another deliverable's file (diffreview-50)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const env = { TMPDIR: tmp };
    const emit = (agent: string) =>
      runCliProcess(["emit", del, "--agent", agent, "--status", "SUCCESS"], FULL_FLAGS, env);
    assertEquals((await emit("FIRST")).code, 0);
    await git(root, "init", "-q");
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "first record");
    // The record file read-only for one emit: its record goes to the folder's own spool.
    const file = join(del, RECORD_FILE);
    await sh("mount", "--bind", file, file);
    try {
      await sh("mount", "-o", "remount,ro,bind", file);
      const spooled = await emit("SPOOLED");
      assertEquals(spooled.code, 0, spooled.stderr);
      assertMatch(spooled.stderr, /spooled to .*\.runrec-spool\//);
    } finally {
      await sh("umount", file);
    }
    const renumbered = join(del, "..", "DEL-01-05_Thing");
    await git(root, "mv", del, renumbered); // a rename: the untracked spool goes along
    await Deno.writeTextFile(join(renumbered, "_CONTEXT.md"), "**DeliverableID:** DEL-01-05\n");
    const flush = await runCliProcess(["flush", renumbered], FULL_FLAGS, env);
    assertEquals(flush.code, 0, flush.stderr);
    const rows = (await Deno.readTextFile(join(renumbered, RECORD_FILE))).trimEnd().split("\n")
      .slice(1).map((line) => line.split(",").slice(2, 4).join(","));
    assertEquals(rows, ["DEL-01-02,FIRST", "DEL-01-02,SPOOLED"]);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});
