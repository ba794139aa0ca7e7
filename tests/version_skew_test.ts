/**
 * Two runrec versions on one repository (skew-39): a teammate or a CI image
 * pinned at an older runrec while others run this one. The older version's
 * part is played by the lines it wrote, kept under `tests/fixtures/skew/`
 * (`old30_RunRecords.csv`: two emits by runrec at 3d5f0a3, stop 30, into
 * `makeProject`'s deliverable; that runrec keeps no journal).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/version_skew_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { git, makeProject, ROOT, sampleDraft } from "./fixtures.ts";
import { runCliProcess } from "./cli.ts";
import { appendRecord, withRecordFile } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { RecordTooLarge } from "../src/record_limits.ts";
import { encodedLineBytes } from "../src/codec.ts";
import { LINE_LIMIT_BYTES } from "../src/schema.ts";

const OLD30_FILE = join(ROOT, "tests", "fixtures", "skew", "old30_RunRecords.csv");

/** The RunID and AgentName of each record line of `text`, in file order. */
function recordsOf(text: string): { runId: string; agent: string }[] {
  return text.split("\n").filter((line) => line.startsWith("v1.0,"))
    .map((line) => ({ runId: line.split(",")[1], agent: line.split(",")[3] }));
}

/** Emits a run of `agent` started at `started` into `del` with the CLI; returns its RunID. */
async function emitStarted(del: string, agent: string, started: string): Promise<string> {
  const emitted = await runCliProcess([
    ...["emit", del, "--agent", agent, "--status", "SUCCESS", "--started", started],
  ]);
  assertEquals(emitted.code, 0, emitted.stderr);
  return emitted.stdout.trim();
}

/**
 * A project whose record file an old runrec wrote (FIRST, committed), into which this runrec
 * emits (`emit`) a run of FIRST's minute for each of `agents` (OURS takes SEQ 002, noted in its
 * journal); git then drops them (a checkout of the file, as a pull replaces it), and the old
 * runrec, which cannot put them back, appends its run in their place under the same SEQ 002.
 * Returns the RunIDs the emits printed.
 */
async function oldWriterTookRunId(agents: readonly string[], emit = emitStarted) {
  const { root, del } = await makeProject();
  const file = join(del, RECORD_FILE);
  const [header, first, oldWriter] = (await Deno.readTextFile(OLD30_FILE)).split("\n");
  await Deno.writeTextFile(file, `${header}\n${first}\n`);
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "a run the old runrec recorded");
  const started = first.split(",")[5];
  const ids: string[] = [];
  for (const agent of agents) ids.push(await emit(del, agent, started));
  assertEquals(ids[0], oldWriter.split(",")[1]);
  await git(root, "checkout", "--", file);
  await Deno.writeTextFile(file, `${oldWriter}\n`, { append: true });
  return { root, del, file, ids };
}

Deno.test("version skew: a line git dropped, its RunID taken meanwhile by an older runrec that keeps no journal, is put back under the next free RunID, never a second record of one RunID (skew-39 F1)", async () => {
  // LATER takes SEQ 003, which no other record takes.
  const { del, file, ids: [oursId, laterId] } = await oldWriterTookRunId(["OURS", "LATER"]);
  const next = await runCliProcess(["emit", del, "--agent", "NEXT", "--status", "SUCCESS"]);
  assertEquals(next.code, 0, next.stderr);
  const records = recordsOf(await Deno.readTextFile(file));
  assertEquals(records.map((r) => r.agent), ["FIRST", "OLD_WRITER", "OURS", "LATER", "NEXT"]);
  const ids = records.map((r) => r.runId);
  assertEquals(new Set(ids).size, ids.length, `a RunID twice: ${ids.join(" ")}`);
  // Past the SEQs of the lines still to be put back: LATER keeps its own (no cascade).
  const putBack = records[2].runId;
  assertEquals([putBack, records[3].runId], [oursId.replace(/002$/, "004"), laterId]);
  // Each says why: the put-back record names the RunID it was given first, the next one both.
  const shown = await runCliProcess(["show", del, putBack, "--format", "json"]);
  assertIncludes(shown.stdout, `its RunID at its append, ${oursId}, was taken`);
  // show of the RunID the agent was given points to the record it now has.
  const given = await runCliProcess(["show", del, oursId]);
  assertEquals(given.code, 0, given.stderr);
  assertIncludes(given.stdout, "OLD_WRITER");
  assertIncludes(given.stderr, `${putBack} was appended as ${oursId}, then put back`);
  const log = await runCliProcess(["log", del, "--format", "json"]);
  const nextNotes = (JSON.parse(log.stdout) as { AgentName: string; Notes: string }[])
    .find((r) => r.AgentName === "NEXT")!.Notes;
  assertIncludes(nextNotes, `put back ${oursId} as ${putBack}`);
  for (const command of ["validate", "verify"]) {
    const checked = await runCliProcess([command, del]);
    assertEquals(checked.code, 0, `${command}: ${checked.stdout}${checked.stderr}`);
  }
  // Put back once: the journal now knows the line by its new RunID.
  const again = await runCliProcess(["flush", del]);
  assertEquals(again.code, 0, again.stderr);
  assert(recordsOf(await Deno.readTextFile(file)).length === 5, "put back twice");
});

Deno.test("version skew: the longest record an append takes, put back under a new RunID, still fits the 16 MiB line limit with its note (small-40 F1)", async () => {
  // OURS is as long as the append takes: 16 MiB, or as much less as it says it keeps for the note.
  const appendLongest = async (del: string, agent: string, started: string) => {
    const file = join(del, RECORD_FILE);
    const draft = sampleDraft({
      DeliverableID: "DEL-01-02",
      AgentName: agent,
      RunTimestamp: started,
    });
    const base = encodedLineBytes({
      ...draft,
      RunID: `RUN-DEL-01-02-${started.slice(0, 10).replaceAll("-", "")}-` +
        `${started.slice(11, 16).replace(":", "")}-002`,
      RecordChecksum: "",
    });
    const padded = (bytes: number) => ({ ...draft, Notes: "n".repeat(bytes - base) });
    try {
      return (await appendRecord(file, padded(LINE_LIMIT_BYTES))).record.RunID;
    } catch (e) {
      if (!(e instanceof RecordTooLarge)) throw e;
      assert(e.limit < LINE_LIMIT_BYTES, e.message);
      return (await appendRecord(file, padded(e.limit))).record.RunID;
    }
  };
  const { del, file, ids: [oursId] } = await oldWriterTookRunId(["OURS"], appendLongest);
  const next = await runCliProcess(["emit", del, "--agent", "NEXT", "--status", "SUCCESS"]);
  assertEquals(next.code, 0, next.stderr);
  const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
  assertEquals(recordsOf(lines.join("\n")).map((r) => r.agent), [
    "FIRST",
    "OLD_WRITER",
    "OURS",
    "NEXT",
  ]);
  const putBack = new TextEncoder().encode(lines[3]);
  assert(putBack.length <= LINE_LIMIT_BYTES, `put back in ${putBack.length} bytes`);
  assertIncludes(lines[3], `its RunID at its append, ${oursId}, was taken`);
  const checked = await runCliProcess(["verify", del]);
  assertEquals(checked.code, 0, checked.stdout + checked.stderr);
});

/** The fixture `name` an older runrec wrote, with its folder (`@ROOT@`) and host made this test's. */
async function oldStateFile(name: string, root: string): Promise<string> {
  const text = await Deno.readTextFile(join(ROOT, "tests", "fixtures", "skew", name));
  return text.replaceAll("@ROOT@", root).replaceAll("@HOST@", Deno.hostname());
}

Deno.test("version skew: a pending run and a spool entry an older runrec wrote are finished and replayed by this one, each once (skew-39)", async () => {
  const { root, del } = await makeProject();
  const real = await Deno.realPath(root);
  const run = "20261205T142305360Z-ce6591b7";
  const token = join(del, ".runrec", "pending", `${run}.json`);
  const entry = join(del, ".runrec-spool", "1796480595506-3518-0001-dad5ea0c.json");
  for (
    const [path, name] of [[token, "old30_pending_run.json"], [entry, "old30_spool_entry.json"]]
  ) {
    await Deno.mkdir(join(path, ".."), { recursive: true });
    await Deno.writeTextFile(path, await oldStateFile(name, real));
  }
  const finished = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(finished.code, 0, finished.stderr);
  const flushed = await runCliProcess(["flush", del]);
  assertEquals(flushed.code, 0, flushed.stderr);
  for (const command of [["finish", token, "--status", "SUCCESS"], ["flush", del]]) {
    const again = await runCliProcess(command); // nothing twice
    assert(again.code <= 2, again.stderr);
  }
  const text = await Deno.readTextFile(join(del, RECORD_FILE));
  assertEquals(recordsOf(text).map((r) => r.agent).sort(), ["OLD_SPOOLED", "OLD_START"]);
  assertIncludes(text, `run ${run}`);
  const checked = await runCliProcess(["validate", del]);
  assertEquals(checked.code, 0, checked.stdout + checked.stderr);
});

Deno.test("version skew: a line git drops between an append's look at the journal and its write is put back by the next append, not hidden by that append's note (skew-39 F2)", async () => {
  const { root, del } = await makeProject();
  const file = join(del, RECORD_FILE);
  const emit = (agent: string) =>
    runCliProcess(["emit", del, "--agent", agent, "--status", "SUCCESS"]);
  await git(root, "init", "-q");
  assertEquals((await emit("FIRST")).code, 0);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "first run");
  assertEquals((await emit("DROPPED")).code, 0);
  // An append under the lock: its look at the journal finds nothing dropped; git's checkout
  // (a pull's) then replaces the file, and the append writes into git's file and notes it.
  await withRecordFile(file, { fsync: false }, async (writer) => {
    assertEquals(writer.restoreDropped(), []);
    await git(root, "checkout", "--", file);
    writer.append(sampleDraft({ DeliverableID: "DEL-01-02", AgentName: "OURS" }));
  });
  assertEquals(recordsOf(await Deno.readTextFile(file)).map((r) => r.agent), ["FIRST", "OURS"]);
  const next = await emit("NEXT");
  assertEquals(next.code, 0, next.stderr);
  assertEquals(
    recordsOf(await Deno.readTextFile(file)).map((r) => r.agent),
    ["FIRST", "OURS", "DROPPED", "NEXT"],
  );
});

Deno.test("version skew: a line put back under a new RunID is put back once, even when the journal cannot be rewritten after it, and verify and log do not say it is in no file meanwhile (review-39b F1, reviewnewuser-57 F1)", async () => {
  const { root, del, file } = await oldWriterTookRunId(["OURS"]);
  // A real fault: the journal's rewrite (its `.tmp`, then a rename) fails after the put-back, as
  // when the process is killed between the two.
  const tmp = join(del, ".runrec", `${RECORD_FILE}.journal.tmp`);
  await Deno.mkdir(join(tmp, "held"), { recursive: true });
  const next = await runCliProcess(["emit", del, "--agent", "NEXT", "--status", "SUCCESS"]);
  assertEquals(next.code, 0, next.stderr);
  await Deno.remove(tmp, { recursive: true });
  const agents = async () => recordsOf(await Deno.readTextFile(file)).map((r) => r.agent);
  assertEquals(await agents(), ["FIRST", "OLD_WRITER", "OURS", "NEXT"]);
  // A later git command replaces the file (stash, then pop: nothing dropped), so the next append
  // reads the journal whole.
  await git(root, "stash", "-q");
  await git(root, "stash", "pop", "-q");
  // Not said to be in no file meanwhile: the file holds it under its new RunID (reviewnewuser-57).
  for (const command of ["verify", "log"]) {
    const looked = await runCliProcess([command, del]);
    assert(!looked.stderr.includes("took out of it"), looked.stderr);
  }
  const last = await runCliProcess(["emit", del, "--agent", "LAST", "--status", "SUCCESS"]);
  assertEquals(last.code, 0, last.stderr);
  assertEquals(await agents(), ["FIRST", "OLD_WRITER", "OURS", "NEXT", "LAST"]);
  const lastLine = (await Deno.readTextFile(file)).trimEnd().split("\n").at(-1)!;
  assert(!lastLine.includes("put back"), `LAST tells of a put-back: ${lastLine}`);
  const checked = await runCliProcess(["verify", del]);
  assertEquals(checked.code, 0, checked.stdout + checked.stderr);
});
