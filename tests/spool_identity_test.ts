/**
 * A replay counts as already written only when a record of the file IS the
 * entry's record (its fields, the marker at the end of its Notes), never when
 * a record merely quotes the marker. `flush` and `flush --from` run as real
 * processes.
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import {
  lostRecordLine,
  newSpoolEntry,
  SPOOL_FOLDER,
  type SpoolEntry,
  spoolRecord,
} from "../src/spool.ts";
import { withRecordFile } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import type { RecordDraft } from "../src/append_types.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, sampleDraft, tempDir } from "./fixtures.ts";

/** Agent names of the records in a record file, in file order. */
async function agentsIn(file: string): Promise<string[]> {
  const text = await Deno.readTextFile(file).catch(() => "");
  return text.trimEnd().split("\n").slice(1).filter((l) => l !== "").map((l) => l.split(",")[3]);
}

/** Appends a valid record whose Notes quote `entry`'s replay marker as a replay would put it. */
async function appendQuoting(file: string, entry: SpoolEntry, agent: string): Promise<void> {
  const quoted =
    `replayed from spool entry ${entry.id} (spooled ${entry.spooledAt}: ${entry.error})`;
  const forged: RecordDraft = sampleDraft({
    DeliverableID: "DEL-01-02",
    AgentName: agent,
    Notes: [entry.draft.Notes, quoted].filter(Boolean).join(" | "),
  });
  await withRecordFile(file, {}, (writer) => writer.append(forged));
}

Deno.test("spool identity: a record quoting a spooled entry's replay marker does not stop flush from appending the entry", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const file = join(del, RECORD_FILE);
    const draft = sampleDraft({ DeliverableID: "DEL-01-02", AgentName: "SPOOLED", Notes: "n" });
    const entry = newSpoolEntry(file, draft, "test fault");
    spoolRecord(del, entry);
    await appendQuoting(file, entry, "QUOTER"); // e.g. pulled from another clone
    const flush = await runCliProcess(["flush", del], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(flush.code, 0, flush.stderr);
    assertEquals(await agentsIn(file), ["QUOTER", "SPOOLED"]);
    const left = [...Deno.readDirSync(join(del, SPOOL_FOLDER))].map((e) => e.name);
    assertEquals(left.filter((n) => n.endsWith(".json")), []);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("spool identity: flush --from appends a lost record although another record quotes its marker", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const file = join(del, RECORD_FILE);
    const draft = sampleDraft({ DeliverableID: "DEL-01-02", AgentName: "LOST" });
    const entry = newSpoolEntry(file, draft, "test fault");
    await appendQuoting(file, { ...entry }, "QUOTER");
    const saved = join(tmp, "orchestrator.log");
    await Deno.writeTextFile(saved, `${lostRecordLine(entry)}\n`);
    const first = await runCliProcess(["flush", "--from", saved], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(first.code, 0, first.stderr);
    assertEquals(await agentsIn(file), ["QUOTER", "LOST"]);
    // Its own record found: the second flush appends nothing.
    const second = await runCliProcess(["flush", "--from", saved], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(second.code, 0, second.stderr);
    // The line names the RunID the record is in the file as, for the orchestrator's summary.
    const runId = first.stdout.split("  ")[0];
    assertMatch(runId, /^RUN-DEL-01-02-/);
    assertEquals(
      second.stdout,
      `${runId}  lost record ${entry.id} is already in its file; nothing appended\n`,
    );
    assertEquals(await agentsIn(file), ["QUOTER", "LOST"]);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("spool identity: an entry left behind after its replay was written (died before removing it) is removed, not appended again, and named with its RunID (retry-sweep F5)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const file = join(del, RECORD_FILE);
    const draft = sampleDraft({ DeliverableID: "DEL-01-02", AgentName: "SPOOLED", Notes: "n" });
    const entry = newSpoolEntry(file, draft, "test fault");
    const { path } = spoolRecord(del, entry);
    const saved = await Deno.readTextFile(path);
    const flush = await runCliProcess(["flush", del], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(flush.code, 0, flush.stderr);
    // The state a replay killed between its write and the entry's removal leaves.
    await Deno.writeTextFile(path, saved);
    const again = await runCliProcess(["flush", del], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(again.code, 0, again.stderr);
    const runId = flush.stdout.split("  ")[0];
    assertMatch(runId, /^RUN-DEL-01-02-/);
    assertEquals(
      again.stdout,
      `${runId}  spool entry ${entry.id} was already in its file; removed\n`,
    );
    assertEquals(await agentsIn(file), ["SPOOLED"]);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("spool: a record spooled in the deliverable's own spool folder says it waits there and that git clean -x, stash --all and worktree remove take it away; one in $RUNREC_SPOOL_DIR does not", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    await Deno.mkdir(join(del, RECORD_FILE)); // a folder where the record file belongs
    const args = ["emit", del, "--agent", "SPOOLED", "--status", "SUCCESS"];
    const own = await runCliProcess(args, FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(own.code, 0, own.stderr);
    assertMatch(
      own.stderr,
      /spooled to .*\.runrec-spool\/[^ ]*\.json; it waits there until the next write or runrec flush .*DEL-01-02_Thing; git clean -x, git stash --all and git worktree remove take it away: flush first\n/,
    );
    const env = { TMPDIR: tmp, RUNREC_SPOOL_DIR: join(tmp, "spool") };
    const elsewhere = await runCliProcess(args, FULL_FLAGS, env);
    assertEquals(elsewhere.code, 0, elsewhere.stderr);
    // It names the flush that finds it there (newuser-51 F1), not what git takes away.
    assertMatch(
      elsewhere.stderr,
      /spooled to .*\/spool\/[^ ]*\.json; it waits there until the next write with this spool folder, or RUNREC_SPOOL_DIR=\S+ runrec flush /,
    );
    assert(!elsewhere.stderr.includes("git clean -x"), elsewhere.stderr);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("spool: a $RUNREC_SPOOL_DIR under /proc is passed over saying why in runrec's words, not Deno's advice to run with --allow-all", async () => {
  const { root, del } = await makeProject();
  await Deno.mkdir(join(del, RECORD_FILE)); // the record cannot be written: it is spooled
  const out = await runCliProcess(
    ["emit", del, "--agent", "A", "--status", "SUCCESS"],
    undefined,
    { RUNREC_SPOOL_DIR: "/proc/runrec-spool" },
  );
  assertEquals(out.code, 0, out.stderr);
  assertMatch(
    out.stderr,
    /\(not in \/proc\/runrec-spool: no permission \(a system path runrec does not use\)\)/,
  );
  assert(!out.stderr.includes("--allow-all"), out.stderr);
  await Deno.remove(root, { recursive: true });
});

/** A second deliverable beside `del`: DEL-01-03_Other, with its `_CONTEXT.md`. */
async function otherDeliverable(del: string): Promise<string> {
  const other = join(del, "..", "DEL-01-03_Other");
  await Deno.mkdir(other);
  await Deno.writeTextFile(join(other, "_CONTEXT.md"), "**DeliverableID:** DEL-01-03\n");
  return other;
}

Deno.test("spool identity: flush --from refuses a lost record edited to name another deliverable (its DeliverableID, or its recordFile), naming the line; nothing appended anywhere", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const other = await otherDeliverable(del);
    const file = join(del, RECORD_FILE);
    const entry = newSpoolEntry(
      file,
      sampleDraft({ DeliverableID: "DEL-01-02", AgentName: "L" }),
      "f",
    );
    const saved = join(tmp, "lost.txt");
    const edited = [
      lostRecordLine({ ...entry, draft: { ...entry.draft, DeliverableID: "DEL-09-09" } }),
      lostRecordLine({ ...entry, recordFile: join(other, RECORD_FILE) }),
    ];
    await Deno.writeTextFile(saved, `${edited.join("\n")}\n`);
    const flush = await runCliProcess(["flush", "--from", saved], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(flush.code, 1, flush.stderr);
    assertMatch(
      flush.stderr,
      /lost\.txt:1: not replayed: its DeliverableID "DEL-09-09" is not that of the folder of its recordFile, .*DEL-01-02_Thing \(DEL-01-02\)/,
    );
    assertMatch(
      flush.stderr,
      /lost\.txt:2: not replayed: its DeliverableID "DEL-01-02" is not that of the folder of its recordFile, .*DEL-01-03_Other \(DEL-01-03\)/,
    );
    assertEquals(await agentsIn(file), []);
    assertEquals(await agentsIn(join(other, RECORD_FILE)), []);
    // The line as it was printed is appended where it belongs.
    await Deno.writeTextFile(saved, `${lostRecordLine(entry)}\n`);
    const fixed = await runCliProcess(["flush", "--from", saved], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(fixed.code, 0, fixed.stderr);
    assertEquals(await agentsIn(file), ["L"]);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("spool identity: a spooled entry edited to another deliverable's ID is STUCK, not appended; one of the folder name's ID after _CONTEXT.md changed it is appended", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const file = join(del, RECORD_FILE);
    const foreign = newSpoolEntry(
      file,
      sampleDraft({ DeliverableID: "DEL-01-03", AgentName: "F" }),
      "f",
    );
    spoolRecord(del, foreign);
    const flush = await runCliProcess(["flush", del], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(flush.code, 1, flush.stderr);
    assertMatch(flush.stderr, /STUCK.*its DeliverableID "DEL-01-03" is not that of the folder/);
    assertEquals(await agentsIn(file), []);
    // Made while the folder's name gave its ID; _CONTEXT.md declares another one since.
    await Deno.remove(join(del, SPOOL_FOLDER), { recursive: true });
    await Deno.writeTextFile(join(del, "_CONTEXT.md"), "**DeliverableID:** DEL-01-07\n");
    spoolRecord(
      del,
      newSpoolEntry(file, sampleDraft({ DeliverableID: "DEL-01-02", AgentName: "N" }), "f"),
    );
    const home = await runCliProcess(["flush", del], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(home.code, 0, home.stderr);
    assertEquals(await agentsIn(file), ["N"]);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("spool identity: flush --from of a lost record whose deliverable folder is gone says so and what to do; set to the renumbered folder, whose file holds records of its old ID, it is appended", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const entry = newSpoolEntry(
      join(del, RECORD_FILE),
      sampleDraft({ DeliverableID: "DEL-01-02", AgentName: "LOST" }),
      "f",
    );
    // The deliverable renumbered since (`git mv`): its file went along, its records' ID in it.
    await withRecordFile(
      join(del, RECORD_FILE),
      {},
      (writer) => writer.append(sampleDraft({ DeliverableID: "DEL-01-02", AgentName: "OLD" })),
    );
    const renumbered = join(del, "..", "DEL-01-05_Thing");
    await Deno.rename(del, renumbered);
    await Deno.writeTextFile(join(renumbered, "_CONTEXT.md"), "**DeliverableID:** DEL-01-05\n");
    const saved = join(tmp, "lost.txt");
    await Deno.writeTextFile(saved, `${lostRecordLine(entry)}\n`);
    const gone = await runCliProcess(["flush", "--from", saved], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(gone.code, 1, gone.stderr);
    assertMatch(
      gone.stderr,
      /lost\.txt:1: not replayed: its deliverable folder .*DEL-01-02_Thing is gone \(renamed, moved or removed\): move the folder back, or set the line's recordFile to the RunRecords\.csv of the folder where the deliverable is now, then run runrec flush --from .*lost\.txt again\n/,
    );
    assert(!gone.stderr.includes("lock"), gone.stderr);
    const moved = { ...entry, recordFile: join(renumbered, RECORD_FILE) };
    await Deno.writeTextFile(saved, `${lostRecordLine(moved)}\n`);
    const home = await runCliProcess(["flush", "--from", saved], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(home.code, 0, home.stderr);
    assertEquals(await agentsIn(join(renumbered, RECORD_FILE)), ["OLD", "LOST"]);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});
