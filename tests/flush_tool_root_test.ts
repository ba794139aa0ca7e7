/**
 * `runrec flush` of a root beside a tool root (`_Archive/`): its note says what flush skips, the
 * records spooled in the tool root's deliverables, never "not read" of a record file (flush reads
 * none, and may just have appended to it) (review-j 9).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { newSpoolEntry, SPOOL_FOLDER, spoolRecord } from "../src/spool.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assertEquals, assertIncludes } from "./assert.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { makeProject, sampleDraft, tempDir } from "./fixtures.ts";

/** A project whose deliverable ran once, then moved into `_Archive/`; the folder it is in now. */
async function archived(): Promise<{ root: string; archivedDel: string; file: string }> {
  const { root, del } = await makeProject();
  const emitted = await runCli(["emit", del, "--agent", "STAGE_1", "--status", "SUCCESS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  const archivedDel = join(root, "_Archive", "DEL-01-02_Thing");
  await Deno.mkdir(dirname(archivedDel));
  await Deno.rename(del, archivedDel);
  return { root, archivedDel, file: join(archivedDel, RECORD_FILE) };
}

/** The lines of a file. */
async function lineCount(file: string): Promise<number> {
  return (await Deno.readTextFile(file)).trimEnd().split("\n").length;
}

Deno.test("flush .: a record spooled in a tool root's deliverable is named as not flushed (never 'nothing spooled' alone); named, the tool root is flushed (review-j 9)", async () => {
  const { root, archivedDel, file } = await archived();
  const draft = sampleDraft({ DeliverableID: "DEL-01-02", AgentName: "LATE" });
  spoolRecord(archivedDel, newSpoolEntry(file, draft, "test fault"));
  const entries = [...Deno.readDirSync(join(archivedDel, SPOOL_FOLDER))];
  assertEquals(entries.filter((e) => e.name.endsWith(".json")).length, 1);
  const spool = await tempDir(); // no user's spool entries in the way
  const env = { RUNREC_SPOOL_DIR: spool };
  const flushed = await runCliProcess(["flush", "."], undefined, env, root);
  assertEquals(flushed.code, 0, flushed.stdout + flushed.stderr);
  assertEquals(await lineCount(file), 2);
  assertEquals(
    flushed.stdout,
    "nothing spooled outside the tool roots skipped (see the note)\n",
  );
  assertEquals(
    flushed.stderr,
    'runrec: note: skipped _Archive: a tool root (a "_" folder of an execution root, for ' +
      "snapshot copies) with 1 spooled record not flushed; name it to flush it: " +
      "runrec flush _Archive\n",
  );
  const named = await runCliProcess(["flush", ".", "_Archive"], undefined, env, root);
  assertEquals(named.code, 0, named.stdout + named.stderr);
  assertIncludes(named.stdout, "replayed into DEL-01-02");
  assertEquals(named.stderr, "");
  assertEquals(await lineCount(file), 3);
});

Deno.test("flush .: a record of the user's spool appended to a record file in a tool root is not called 'not read' of it; nothing left there, no note (review-j 9)", async () => {
  const { root, file } = await archived();
  const spool = await tempDir();
  const draft = sampleDraft({ DeliverableID: "DEL-01-02", AgentName: "LATE" });
  await Deno.writeTextFile(
    join(spool, "1-1-late.json"),
    JSON.stringify(newSpoolEntry(file, draft, "test fault")),
  );
  await Deno.chmod(spool, 0o700);
  const flushed = await runCliProcess(["flush", "."], undefined, { RUNREC_SPOOL_DIR: spool }, root);
  assertEquals(flushed.code, 0, flushed.stdout + flushed.stderr);
  assertIncludes(flushed.stdout, "replayed into DEL-01-02");
  assertEquals(flushed.stderr, "");
  assertEquals(await lineCount(file), 3);
});
