/**
 * Small defects noticed and left at stop 50, each fixed: a retried finish of a run whose spooled
 * record is STUCK, the entries flush refuses as SCHEMA.md names them, the restore remedy of a record swapped
 * at the last line, and the library's messages in CLI options. Each test failed before its fix.
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { HEADER } from "../src/schema.ts";
import { lostRecordLine, newSpoolEntry } from "../src/spool.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { finishPendingRun, startRun, verifyHistory } from "../mod.ts";
import { git, makeProject, sampleDraft, tempDir } from "./fixtures.ts";
import { sh, whileReadOnly } from "./support/read_only.ts";
import { cliIn, stuckInOwnSpool } from "./support/stuck_entry.ts";
import { schemaParagraph } from "./support/doc_prose.ts";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";

Deno.test("a retried finish of a run whose spooled record is STUCK (its entry edited to another deliverable's ID) names the entry and why, and writes nothing, with or without --agent; not 'no record of it' with the way to record it again (leftovers-51 2)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const cli = cliIn(tmp);
    const { token, file, entryPath, entry } = await stuckInOwnSpool(del, tmp);
    const before = await Deno.readTextFile(file);
    for (const retry of [[], ["--agent", "A"]]) {
      const again = await cli("finish", token, ...retry, "--status", "SUCCESS");
      assertEquals(again.code, 2, again.stderr);
      assertIncludes(
        again.stderr,
        `finished already: its record is in the spool, ${entryPath}, STUCK (not replayed: its ` +
          `DeliverableID "DEL-09-09" is not that of the folder of its recordFile, ${del} ` +
          `(DEL-01-02): correct the one that is wrong): runrec flush ${del} appends it once ` +
          "that is corrected; nothing written, no emit or other finish (it would record the run " +
          "twice)",
      );
      assert(!again.stderr.includes("no record of it"), again.stderr);
      assertEquals(await Deno.readTextFile(file), before);
    }
    // Corrected as told, flush appends it: the run has one record.
    entry.draft.DeliverableID = "DEL-01-02";
    await Deno.writeTextFile(entryPath, JSON.stringify(entry));
    const flush = await cli("flush", del);
    assertEquals(flush.code, 0, flush.stderr);
    const agents = (await Deno.readTextFile(file)).trimEnd().split("\n").slice(1)
      .map((line) => line.split(",")[3]);
    assertEquals(agents, ["FIRST", "A"]);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("reap of a run whose record waits STUCK in the spool (a finish of its read-only folder, the entry then edited to another deliverable's ID) names the entry and does not reap it; it wrote the run FAILED beside its recorded SUCCESS (leftovers-51 2)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const env = { TMPDIR: tmp };
    const cli = (...args: string[]) => runCliProcess(args, FULL_FLAGS, env);
    assertEquals((await cli("emit", del, "--agent", "FIRST", "--status", "SUCCESS")).code, 0);
    const start = await cli("start", del, "--agent", "A");
    assertEquals(start.code, 0, start.stderr);
    const token = start.stdout.trim();
    // Read-only, the finish spools to the user's spool and leaves its pending file.
    await whileReadOnly(del, async () => {
      const spooled = await cli("finish", token, "--status", "SUCCESS");
      assertEquals(spooled.code, 0, spooled.stderr);
    });
    const spool = join(tmp, `runrec-spool-${Deno.uid()}`);
    const [name] = [...Deno.readDirSync(spool)].map((e) => e.name).filter((n) =>
      n.endsWith(".json")
    );
    const entry = JSON.parse(await Deno.readTextFile(join(spool, name)));
    entry.draft.DeliverableID = "DEL-09-09";
    await Deno.writeTextFile(join(spool, name), JSON.stringify(entry));
    const file = join(del, RECORD_FILE);
    const before = await Deno.readTextFile(file);
    const reap = await cli("reap", del, "--older-than", "0s");
    assertEquals(reap.code, 0, reap.stderr);
    assertIncludes(
      reap.stdout,
      `its record is in the spool, ${join(spool, name)}, STUCK (not replayed: its DeliverableID ` +
        `"DEL-09-09" is not that of the folder of its recordFile`,
    );
    assertIncludes(reap.stdout, "; not reaped");
    assertEquals(await Deno.readTextFile(file), before);
    assert(Deno.statSync(token).isFile, "the pending file waits for the flush");
    // log's warning of its pending file says so too, not that flush appends it as it is.
    const log = await cli("log", del);
    assertIncludes(
      log.stderr,
      `is recorded: its record is in the spool, ${join(spool, name)}, STUCK (not replayed: `,
    );
    assertIncludes(log.stderr, "appends it once that is corrected; not to be finished again\n");
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("SCHEMA.md 7.3, which flush --help points to, names each reason a spooled entry or --from line is refused, with the remedy its message gives: a gone folder, a folder of no deliverable, another deliverable's ID (leftovers-51 1)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    assertIncludes((await runCli(["flush", "--help"])).stdout, "Each refusal and its remedy");
    assertIncludes((await runCli(["flush", "--help"])).stdout, "SCHEMA.md 7.3");
    const help = await schemaParagraph("7.3");
    const pkg = join(del, "..", "..");
    const refusals: [string, string, string][] = [
      // recordFile, DeliverableID, the remedy the refusal gives
      [join(del, "..", "DEL-01-02_Gone", RECORD_FILE), "DEL-01-02", "move the folder back"],
      [join(pkg, RECORD_FILE), "DEL-01-02", "correct the recordFile"],
      [join(del, RECORD_FILE), "DEL-09-09", "correct the one that is wrong"],
    ];
    const saved = join(tmp, "lost.txt");
    await Deno.writeTextFile(
      saved,
      refusals.map(([file, id]) =>
        lostRecordLine(newSpoolEntry(file, sampleDraft({ DeliverableID: id }), "f")) + "\n"
      ).join(""),
    );
    const flush = await runCliProcess(["flush", "--from", saved], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(flush.code, 1, flush.stderr);
    const lines = flush.stderr.trimEnd().split("\n");
    refusals.forEach(([, , remedy], i) => {
      assertIncludes(
        lines.find((l) => l.includes(`lost.txt:${i + 1}: not replayed:`)) ?? "",
        remedy,
      );
    });
    for (
      const said of [
        "its deliverable folder is gone (renamed, moved or removed): move the folder back, or " +
        "move the entry into the .runrec-spool/ of the folder it belongs to (a --from line: set " +
        "its recordFile to that folder's RunRecords.csv);",
        "its recordFile's folder is not a deliverable folder (no DeliverableID in its " +
        "_CONTEXT.md or its name): correct the recordFile;",
        "its DeliverableID is not that of its recordFile's folder (one a record of the file has " +
        "counts: the deliverable renumbered since): correct the one that is wrong;",
        "Until then, a finish of its run again names the entry and writes nothing;",
      ]
    ) assertIncludes(help, said);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a record waiting in the deliverable's own spool when git mv renumbered the folder before its first record (the file held no record of the old ID) stays STUCK, never appended under an ID the folder never had, and says what to do: done as told, flush appends it once under the folder's ID (leftovers-51 3)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const env = { TMPDIR: tmp };
    const file = join(del, RECORD_FILE);
    await Deno.writeTextFile(file, `${HEADER}\n`); // begun, no record yet
    await git(root, "init", "-q");
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "deliverable");
    // The record file read-only for the first emit: its record goes to the folder's own spool.
    await sh("mount", "--bind", file, file);
    try {
      await sh("mount", "-o", "remount,ro,bind", file);
      const spooled = await runCliProcess(
        ["emit", del, "--agent", "FIRST", "--status", "SUCCESS"],
        FULL_FLAGS,
        env,
      );
      assertEquals(spooled.code, 0, spooled.stderr);
      assertMatch(spooled.stderr, /spooled to .*\.runrec-spool\//);
    } finally {
      await sh("umount", file);
    }
    const renumbered = join(del, "..", "DEL-01-05_Thing");
    await git(root, "mv", del, renumbered); // a rename: the untracked spool goes along
    await Deno.writeTextFile(join(renumbered, "_CONTEXT.md"), "**DeliverableID:** DEL-01-05\n");
    const newFile = join(renumbered, RECORD_FILE);
    const stuck = await runCliProcess(["flush", renumbered], FULL_FLAGS, env);
    assertEquals(stuck.code, 1, stuck.stderr);
    assertIncludes(
      stuck.stderr,
      `not replayed: recordFile ${file} is not this deliverable's (${newFile}); its folder is ` +
        `gone and its DeliverableID "DEL-01-02" is not DEL-01-05: if DEL-01-05_Thing is ` +
        `DEL-01-02_Thing renamed (git mv, mv), set the entry's recordFile to ${newFile} and its ` +
        `DeliverableID to DEL-01-05, then runrec flush ${renumbered}; else move it into the ` +
        ".runrec-spool/ of the folder it belongs to",
    );
    assertEquals(await Deno.readTextFile(newFile), `${HEADER}\n`);
    // Done as told: appended once, under the ID the folder has.
    const spool = join(renumbered, ".runrec-spool");
    const [name] = [...Deno.readDirSync(spool)].map((e) => e.name).filter((n) =>
      n.endsWith(".json")
    );
    const entry = JSON.parse(await Deno.readTextFile(join(spool, name)));
    entry.recordFile = newFile;
    entry.draft.DeliverableID = "DEL-01-05";
    await Deno.writeTextFile(join(spool, name), JSON.stringify(entry));
    for (const expected of [0, 0]) {
      const flush = await runCliProcess(["flush", renumbered], FULL_FLAGS, env);
      assertEquals(flush.code, expected, flush.stderr);
    }
    const rows = (await Deno.readTextFile(newFile)).trimEnd().split("\n").slice(1)
      .map((line) => line.split(",").slice(1, 4));
    assertEquals(rows.length, 1);
    assertMatch(rows[0][0], /^RUN-DEL-01-05-/);
    assertEquals(rows[0].slice(1), ["DEL-01-05", "FIRST"]);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

/** The message of what `call` throws (it must throw). */
async function thrown(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected it to throw");
}

Deno.test("the library's errors name the argument a caller gave by its library name (run, agent, since), the CLI's by its option (--run, --agent, --since) (leftovers-51 6)", async () => {
  const { del } = await makeProject();
  const report = { status: "SUCCESS" };
  // finishPendingRun's run: not a token, id or RunID.
  assertEquals(
    await thrown(() => finishPendingRun(del, "garbage", report)),
    `run: "garbage" is not a run token, a pending run's id or a RunID`,
  );
  const cliRun = await runCli(["finish", del, "--run", "garbage", "--status", "SUCCESS"]);
  assertEquals(cliRun.code, 2);
  assertIncludes(cliRun.stderr, `--run: "garbage" is not a run token`);
  // A RunID of no reaped run.
  const runId = "RUN-DEL-01-02-20261201-0900-001";
  assertIncludes(
    await thrown(() => finishPendingRun(del, runId, report)),
    `run ${runId}: not a run that reap wrote as FAILED in ${del}; run takes the token`,
  );
  const cliRunId = await runCli(["finish", del, "--run", runId, "--status", "SUCCESS"]);
  assertIncludes(cliRunId.stderr, `--run ${runId}: not a run that reap wrote as FAILED in `);
  assertIncludes(cliRunId.stderr, "; --run takes the token");
  // Two runs pending, of two agents: which one is named by run (or agent).
  await startRun(del, { agent: "A" });
  await startRun(del, { agent: "B" });
  assertMatch(
    await thrown(() => finishPendingRun(del, undefined, report)),
    /: 2 pending runs; name one with run \(or its agent with agent\): /,
  );
  const cliTwo = await runCli(["finish", del, "--status", "SUCCESS"]);
  assertMatch(
    cliTwo.stderr,
    /: 2 pending runs; name one with --run \(or its agent with --agent\): /,
  );
  // verifyHistory's since, outside a git work tree.
  const file = join(del, RECORD_FILE);
  await Deno.writeTextFile(file, `${HEADER}\n`);
  assertEquals(
    await thrown(() => verifyHistory(file, "HEAD")),
    `${file}: not in a git work tree (since needs git history)`,
  );
  const cliSince = await runCli(["verify", del, "--since", "HEAD"]);
  assertEquals(cliSince.code, 2);
  assertIncludes(cliSince.stderr, ": not in a git work tree (--since needs git history)");
});
