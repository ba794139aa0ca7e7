/**
 * Recovery from a script, as `runrec flush` and `runrec reap` do it: each case
 * runs the library in real Deno processes (one that records, one that
 * recovers) against a real fault.
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { runScript } from "./support/library_script.ts";
import { RECORD_FILE } from "../src/deliverable.ts";

const ALL = ["--allow-read", "--allow-write", "--allow-env", "--allow-sys", "--allow-run"];

/** The records of `del`'s RunRecords.csv, as `[AgentName, RunStatus, Notes]`. */
async function recordsOf(del: string): Promise<string[][]> {
  const answer = (await runScript(
    del,
    ALL,
    `const rows = [];
    for await (const e of rr.readRecords(${JSON.stringify(join(del, RECORD_FILE))})) {
      if (e.kind === "record") rows.push([e.record.AgentName, e.record.RunStatus, e.record.Notes]);
      else rows.push(["problem", e.message]);
    }
    return { rows };`,
  )).answer;
  return answer.rows as string[][];
}

Deno.test("library recovery: replaySpool appends the record recordRun spooled, once", async () => {
  const { root, del } = await makeProject();
  const spool = await tempDir();
  const env = { RUNREC_SPOOL_DIR: spool };
  // A folder where the record file should be: the record cannot be written and is spooled.
  await Deno.mkdir(join(del, RECORD_FILE));
  const record = await runScript(
    del,
    ALL,
    `const o = await rr.recordRun(".", { agent: "A", status: "SUCCESS" });
     return { written: o.written !== undefined, spooledTo: o.spooledTo ?? null };`,
    env,
  );
  assertEquals(record.answer.written, false, record.stderr);
  assert(String(record.answer.spooledTo).startsWith(spool), JSON.stringify(record.answer));
  await Deno.remove(join(del, RECORD_FILE));
  const replay = `const r = await rr.replaySpool(".");
     return { ids: r.replayed.map((x) => x.record.RunID), failures: r.failures };`;
  const first = await runScript(del, ALL, replay, env);
  assertEquals((first.answer.ids as string[]).length, 1, JSON.stringify(first.answer));
  assertEquals(first.answer.failures, []);
  const second = await runScript(del, ALL, replay, env);
  assertEquals(second.answer, { ids: [], failures: [] });
  const rows = await recordsOf(del);
  assertEquals(rows.map(([agent, status]) => [agent, status]), [["A", "SUCCESS"]]);
  assertIncludes(rows[0][2], "replayed from spool entry");
  assertEquals([...Deno.readDirSync(spool)].filter((e) => e.name.endsWith(".json")), []);
  await Deno.remove(root, { recursive: true });
  await Deno.remove(spool, { recursive: true });
});

Deno.test("library recovery: replayLostRecords appends a lost record saved from a script, once", async () => {
  const { root, del } = await makeProject();
  // No write access and no spool (no --allow-env): the record comes back as a lost-record line.
  const record = await runScript(
    del,
    ["--allow-read", "--allow-sys=hostname"],
    `const o = await rr.recordRun(".", { agent: "A", status: "SUCCESS" });
     return { written: o.written !== undefined, lost: o.lost ?? null };`,
  );
  assertEquals(record.answer.written, false, record.stderr);
  const lost = String(record.answer.lost);
  assert(lost.startsWith("runrec: lost-record: {"), lost);
  const saved = join(await tempDir(), "lost.txt");
  await Deno.writeTextFile(saved, `other output\n${lost}\n`);
  const replay = `const r = await rr.replayLostRecords(${JSON.stringify(saved)});
     return { lines: r.lines, ids: r.replayed.map((x) => x.record.RunID),
       already: r.alreadyWritten.map((x) => x.runId), failures: r.failures };`;
  const first = await runScript(del, ALL, replay);
  assertEquals([first.answer.lines, (first.answer.ids as string[]).length], [1, 1]);
  const second = await runScript(del, ALL, replay);
  // The second names the RunID its record is in the file as.
  assertEquals(
    [second.answer.ids, second.answer.already, second.answer.failures],
    [[], first.answer.ids, []],
  );
  assertEquals((await recordsOf(del)).map(([agent, status]) => [agent, status]), [[
    "A",
    "SUCCESS",
  ]]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("library recovery: reapRuns records a run whose script died as FAILED, once", async () => {
  const { root, del } = await makeProject();
  // A script starts a run, naming itself as the agent's process, and exits without finishing
  // it: its process is gone.
  const started = await runScript(
    del,
    ALL,
    `const s = await rr.startRun(".", { agent: "A", pid: Deno.pid }); return { id: s.run.id };`,
  );
  const id = String(started.answer.id);
  assert(/^\d{8}T\d{9}Z-[0-9a-f]{8}$/.test(id), JSON.stringify(started.answer));
  const reap = `const r = await rr.reapRuns(["."]);
     return { reaped: r.reaped.map((x) => [x.run.id, x.reason, x.outcome?.written?.record.RunStatus]),
       problems: r.problems };`;
  const first = await runScript(del, ALL, reap);
  const reaped = first.answer.reaped as string[][];
  assertEquals(reaped.length, 1, JSON.stringify(first.answer));
  assertEquals([reaped[0][0], reaped[0][2]], [id, "FAILED"]);
  assertIncludes(reaped[0][1], "is gone");
  const second = await runScript(del, ALL, reap);
  assertEquals(second.answer, { reaped: [], problems: [] });
  const rows = await recordsOf(del);
  assertEquals(rows.map(([agent, status]) => [agent, status]), [["A", "FAILED"]]);
  assertIncludes(rows[0][2], `run ${id}`);
  await Deno.remove(root, { recursive: true });
});
