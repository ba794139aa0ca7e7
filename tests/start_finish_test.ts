import { basename, dirname, join } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch, assertRejects } from "./assert.ts";
import { InputError } from "../src/errors.ts";
import { hashFile } from "../src/hash.ts";
import { REAPED_ERROR } from "../src/pending.ts";
import type { RunRecord } from "../src/schema.ts";
import { reapRuns } from "../src/reap.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, sampleDraft, tempDir } from "./fixtures.ts";
import {
  firstLine,
  hostFiles,
  pendingFiles,
  recordsOf,
  RUNREC,
  RUNREC_SH,
  unknownAgentWarnings,
  writeAgentFile,
} from "./support/runs.ts";
import { spawnHeld } from "./support/held.ts";

Deno.test("start/finish: a file read at start and rewritten has its start hash as input, its new hash as output", async () => {
  const { root, del } = await makeProject();
  const host = hostFiles(del);
  const datasheetAtStart = await hashFile(join(del, "Datasheet.md"));
  const statusAtStart = await hashFile(join(del, "_STATUS.md"));
  const start = await runCliProcess([
    "start",
    del,
    "--agent",
    "4_DOCUMENTS",
    "--input",
    "Datasheet.md",
    "--input",
    "_STATUS.md",
    "--pass",
    "FULL",
  ]);
  assertEquals(start.code, 0, start.stderr);
  const token = start.stdout.trim();
  assertEquals(pendingFiles(del), [token.split("/").at(-1)!]);
  // The run rewrites what it read, as 4_DOCUMENTS does.
  await Deno.writeTextFile(join(del, "Datasheet.md"), "# Datasheet\n\nFilled in.\n");
  const status = "# Status: DEL-01-02 Thing\n\n**Current State:** INITIALIZED\n";
  await Deno.writeTextFile(join(del, "_STATUS.md"), status);
  const finish = await runCliProcess([
    "finish",
    token,
    "--status",
    "SUCCESS",
    "--output",
    "Datasheet.md",
    "--output",
    "_STATUS.md",
  ]);
  assertEquals(finish.code, 0, finish.stderr);
  const [record] = await recordsOf(del);
  assertEquals(finish.stdout.trim(), record.RunID);
  assertEquals(record.InputHashes["Datasheet.md"], datasheetAtStart);
  assertEquals(record.InputHashes["_STATUS.md"], statusAtStart);
  assertEquals(record.OutputHashes["Datasheet.md"], await hashFile(join(del, "Datasheet.md")));
  assertEquals(record.OutputHashes["_STATUS.md"], await hashFile(join(del, "_STATUS.md")));
  assert(record.InputHashes["Datasheet.md"] !== record.OutputHashes["Datasheet.md"]);
  assertEquals(
    [record.AgentName, record.RunStatus, record.RunPassDirective],
    ["4_DOCUMENTS", "SUCCESS", "FULL"],
  );
  assertEquals([record.StatusBefore, record.StatusAfter], ["OPEN", "INITIALIZED"]);
  assertEquals(record.InputFiles, ["Datasheet.md", "_STATUS.md"]);
  assertEquals(record.OutputFiles, ["Datasheet.md", "_STATUS.md"]);
  // The pending run is gone; the other host files are untouched.
  assertEquals(pendingFiles(del), []);
  assertEquals(hostFiles(del), { ...host, "_STATUS.md": status });
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish twice with one token: the second exits 2 and writes no second record", async () => {
  const { root, del } = await makeProject();
  const token = (await runCliProcess(["start", del, "--agent", "DEPENDENCIES"])).stdout.trim();
  const first = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(first.code, 0, first.stderr);
  const second = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(second.code, 2);
  assertMatch(
    second.stderr,
    /^runrec finish: .*no pending run .*: finished already \(runrec log says\)/,
  );
  assertEquals((await recordsOf(del)).length, 1);
  // A run whose pending file was removed (git clean -fdx) is recorded from its token, once.
  const lost = (await runCliProcess(["start", del, "--agent", "DEPENDENCIES"])).stdout.trim();
  await Deno.remove(join(del, ".runrec"), { recursive: true });
  const gone = await runCliProcess([
    "finish",
    lost,
    "--agent",
    "DEPENDENCIES",
    "--status",
    "SUCCESS",
  ]);
  assertEquals(gone.code, 0, gone.stderr);
  assertEquals((await recordsOf(del)).length, 2);
  const twice = await runCliProcess(["finish", lost, "--status", "SUCCESS"]);
  assertEquals(twice.code, 2);
  assertMatch(twice.stderr, /no pending run .*: finished already/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish: a token file that does not exist is named as a token, not as a folder", async () => {
  const { root, del } = await makeProject();
  const missing = join(root, "nonexistent-token.json");
  const out = await runCliProcess(["finish", missing, "--status", "SUCCESS"]);
  assertEquals(out.code, 2);
  assertEquals(
    out.stderr,
    `runrec finish: ${missing}: not a run token (runrec start prints ` +
      "<del-dir>/.runrec/pending/<id>.json) and no such folder\n",
  );
  assertEquals((await recordsOf(del)).length, 0);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish: two finishes and a reap of one run racing: one SUCCESS record, the other finish exits 2", async () => {
  const { root, del } = await makeProject();
  const token = (await runCliProcess(["start", del, "--agent", "DEPENDENCIES"])).stdout.trim();
  const results = await Promise.all([
    runCliProcess(["finish", token, "--status", "SUCCESS"]),
    runCliProcess(["finish", token, "--status", "SUCCESS"]),
    runCliProcess(["reap", del, "--older-than", "0s"]),
  ]);
  const finishes = results.slice(0, 2).map((r) => r.code).sort();
  // One finish writes the agent's record whoever won: a finish (reap then finds nothing), or
  // reap (its FAILED record is then superseded by the finish that came after it).
  assertEquals(finishes, [0, 2], results.map((r) => r.stderr).join(""));
  const records = await recordsOf(del);
  const runs = records.filter((r) => r.AgentName === "DEPENDENCIES");
  assertEquals(runs.filter((r) => r.RunStatus === "SUCCESS").length, 1);
  if (runs.length === 2) {
    const [failed, success] = runs;
    assertEquals(failed.ErrorSummary, REAPED_ERROR);
    assertIncludes(success.Notes, `finished after reap: supersedes=${failed.RunID}`);
  }
  assertEquals(records.length, runs.length);
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <del-dir>: finishes the folder's only pending run; with two, names them, exits 2 and says --agent picks one (newuser-42 F10)", async () => {
  const { root, del } = await makeProject();
  await runCliProcess(["start", del, "--agent", "DEPENDENCIES"]);
  const only = await runCliProcess(["finish", del, "--status", "PARTIAL", "--error", "half"]);
  assertEquals(only.code, 0, only.stderr);
  const a = JSON.parse(
    (await runCliProcess(["start", del, "--agent", "A", "--json"])).stdout,
  );
  await runCliProcess(["start", del, "--agent", "B"]);
  const ambiguous = await runCliProcess(["finish", del, "--status", "SUCCESS"]);
  assertEquals(ambiguous.code, 2);
  assertMatch(
    ambiguous.stderr,
    /2 pending runs; name one with --run \(or its agent with --agent\): .*\(A, since .*\(B, since/,
  );
  // Its agent picks it, as the message says (newuser-42 F10).
  const byAgent = await runCliProcess(["finish", del, "--agent", "B", "--status", "SUCCESS"]);
  assertEquals(byAgent.code, 0, byAgent.stderr);
  const byId = await runCliProcess(["finish", del, "--run", a.id, "--status", "SUCCESS"]);
  assertEquals(byId.code, 0, byId.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.AgentName, r.RunStatus, r.ErrorSummary]), [
    ["DEPENDENCIES", "PARTIAL", "half"],
    ["B", "SUCCESS", ""],
    ["A", "SUCCESS", ""],
  ]);
  assertEquals(records[2].RunTimestamp, a.start.started);
  await Deno.remove(root, { recursive: true });
});

Deno.test("start and finish: bad arguments exit 2 in one line; a bad --status leaves the run pending", async () => {
  const { root, del } = await makeProject();
  const noAgent = await runCliProcess(["start", del]);
  assertEquals(noAgent.code, 2);
  assertMatch(noAgent.stderr, /^runrec start: --agent is required/);
  const missing = await runCliProcess(["start", join(del, "nope"), "--agent", "A"]);
  assertEquals(missing.code, 2);
  assertEquals(pendingFiles(del), []);
  const token = (await runCliProcess(["start", del, "--agent", "A"])).stdout.trim();
  const bad = await runCliProcess(["finish", token, "--status", "DONE"]);
  assertEquals(bad.code, 2);
  assertMatch(bad.stderr, /^runrec finish: --status /);
  assert(!bad.stderr.includes("    at "), bad.stderr);
  assertEquals(pendingFiles(del).length, 1);
  assertEquals((await runCliProcess(["finish", token, "--status", "FAILED"])).code, 0);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("reap: an agent killed with SIGKILL after start is reaped once, as FAILED", async () => {
  const { root, del } = await makeProject();
  // The agent: a shell that starts its run, watching itself, then works until killed.
  const agent = new Deno.Command("sh", {
    args: [
      "-c",
      `${RUNREC_SH} start '${del}' --agent DEPENDENCIES --input _CONTEXT.md --pid $$ && exec sleep 600`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const token = await firstLine(agent.stdout);
  assertMatch(token, /\.runrec\/pending\/.*\.json$/);
  // While the agent lives, reap leaves its run alone.
  const early = await runCliProcess(["reap", root]);
  assertEquals([early.code, early.stdout], [0, ""], early.stderr);
  agent.kill("SIGKILL");
  assertEquals((await agent.status).signal, "SIGKILL");
  const reap = await runCliProcess(["reap", root]);
  assertEquals(reap.code, 0, reap.stderr);
  assertMatch(
    reap.stdout,
    /^RUN-DEL-01-02-\S+ \S+ DEPENDENCIES started .*: its process \d+ on .* is gone\n$/,
  );
  const again = await runCliProcess(["reap", root]);
  assertEquals([again.code, again.stdout, again.stderr], [0, "", "runrec reap: nothing to reap\n"]);
  const records = await recordsOf(del);
  assertEquals(records.length, 1);
  assertEquals([records[0].RunStatus, records[0].ErrorSummary], ["FAILED", REAPED_ERROR]);
  assertEquals(records[0].InputFiles, ["_CONTEXT.md"]);
  assertIncludes(records[0].Notes, "is gone");
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish after reap: the agent's record is written all the same and supersedes the FAILED one", async () => {
  const { root, del } = await makeProject();
  // A slow agent given a --pid that ended (a wrapper shell that exited): reap takes it for dead.
  const wrapper = new Deno.Command("true").spawn();
  const { pid } = wrapper;
  await wrapper.status;
  const start = await runCliProcess([
    "start",
    del,
    "--agent",
    "DEPENDENCIES",
    "--input",
    "_CONTEXT.md",
    "--pid",
    String(pid),
  ]);
  assertEquals(start.code, 0, start.stderr);
  const token = start.stdout.trim();
  const reap = await runCliProcess(["reap", del]);
  assertEquals(reap.code, 0, reap.stderr);
  const [failed] = await recordsOf(del);
  assertEquals([failed.RunStatus, failed.ErrorSummary], ["FAILED", REAPED_ERROR]);
  const id = token.split("/").at(-1)!.replace(/\.json$/, "");
  assertIncludes(failed.Notes, `run ${id}`);
  assertEquals(pendingFiles(del), []);
  // `finish <del-dir>` alone does not guess: it names the reaped run and how to finish it.
  const unnamed = await runCliProcess(["finish", del, "--status", "SUCCESS"]);
  assertEquals(unnamed.code, 2);
  assertMatch(
    unnamed.stderr,
    new RegExp(
      `no pending run .*; reap wrote ${id} \\(DEPENDENCIES, since .*\\) as FAILED: ` +
        "to finish one all the same, name it with --run; to record a run that runrec start " +
        "did not keep: runrec emit .* --agent NAME --status S \\.\\.\\.\n$",
    ),
  );
  // The agent was only slow: it finishes, and its record is written.
  await Deno.writeTextFile(join(del, "Dependencies.csv"), "RegisterSchemaVersion\n");
  const late = await runCliProcess([
    "finish",
    token,
    "--status",
    "SUCCESS",
    "--output",
    "Dependencies.csv",
    "--notes",
    "all rows extracted",
  ]);
  assertEquals(late.code, 0, late.stderr);
  const records = await recordsOf(del);
  assertEquals(records.length, 2, records.map((r) => r.RunID).join(" "));
  const [, success] = records;
  assertEquals(late.stdout.trim(), success.RunID);
  assertEquals([success.AgentName, success.RunStatus], ["DEPENDENCIES", "SUCCESS"]);
  // What start fixed is the run's: the same start, StatusBefore and input hashes as the FAILED record.
  assertEquals(success.RunTimestamp, failed.RunTimestamp);
  assertEquals(success.StatusBefore, failed.StatusBefore);
  assertEquals(success.InputHashes, failed.InputHashes);
  assertEquals(success.OutputFiles, ["Dependencies.csv"]);
  // The agent's notes, then runrec's: the record supersedes the FAILED one by its own Notes,
  // which name that record by RunID and checksum, as annotations do.
  assertMatch(
    success.Notes,
    // The run's id last: every record of a started run names it (review19 F5).
    new RegExp(
      `^all rows extracted \\| .*finished after reap: supersedes=${failed.RunID} \\| record ` +
        `${failed.RunID} checksum ${failed.RecordChecksum.slice(0, 16)} \\| run ${id}$`,
    ),
  );
  // log marks the FAILED record superseded; the record file is valid.
  const log = await runCliProcess(["log", del]);
  assertMatch(log.stdout, new RegExp(`${failed.RunID}.*SUPERSEDED by ${success.RunID}`));
  assertEquals((await runCliProcess(["validate", del])).code, 0);
  // Finishing it again is an error, as for any run: nothing more is written.
  const again = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(again.code, 2);
  assertMatch(again.stderr, /no pending run .*: finished already \(runrec log says\)/);
  assertEquals((await recordsOf(del)).length, 2);
  await Deno.remove(root, { recursive: true });
});

Deno.test("reap where .runrec/reaped cannot be made: the run is recorded as FAILED and waits as its pending file, said; each reap says so; its late finish records the agent's outcome (soak4 F2)", async () => {
  const { root, del } = await makeProject();
  const token = (await runCliProcess(["start", del, "--agent", "A"])).stdout.trim();
  // A file where the folder of reaped runs would go.
  await Deno.writeTextFile(join(del, ".runrec", "reaped"), "in the way\n");
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"]);
  assertEquals(reap.code, 0, reap.stderr);
  assertMatch(reap.stderr, /not moved into .*\/\.runrec\/reaped\/ \(.*\): it waits as /);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED"]);
  assertEquals(pendingFiles(del), [token.split("/").at(-1)!]);
  const again = await runCliProcess(["reap", del, "--older-than", "0s"]);
  assertEquals([again.code, again.stdout], [0, ""], again.stderr);
  assertMatch(again.stderr, /left pending: reaped already \(RUN-[^)]*\); not moved into /);
  assertEquals((await recordsOf(del)).length, 1);
  const late = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(late.code, 0, late.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  assertMatch(records[1].Notes, new RegExp(`supersedes=${records[0].RunID}`));
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish after reap under a real write fault (read-only bind mount): spooled, and superseding once appended", async () => {
  const { root, del } = await makeProject();
  const spool = await tempDir();
  const env = { RUNREC_SPOOL_DIR: spool };
  const token = (await runCliProcess(["start", del, "--agent", "A"])).stdout.trim();
  assertEquals((await runCliProcess(["reap", del, "--older-than", "0s"])).code, 0);
  const [failed] = await recordsOf(del);
  // The record file read-only: readable (the FAILED record is found), not writable.
  const file = join(del, RECORD_FILE);
  await sh("mount", "--bind", file, file);
  let mounted = true;
  try {
    await sh("mount", "-o", "remount,ro,bind", file);
    const late = await runCliProcess(["finish", token, "--status", "SUCCESS"], undefined, env);
    assertEquals(late.code, 0, late.stderr);
    assertMatch(late.stderr, /runrec: warning: record not written .*spooled to/);
    await sh("umount", file);
    mounted = false;
  } finally {
    if (mounted) await sh("umount", file);
  }
  const flush = await runCliProcess(["flush", del], undefined, env);
  assertEquals(flush.code, 0, flush.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  assertEquals(records[1].RunTimestamp, failed.RunTimestamp);
  const log = await runCliProcess(["log", del]);
  assertMatch(log.stdout, new RegExp(`${failed.RunID}.*SUPERSEDED by ${records[1].RunID}`));
  await Deno.remove(root, { recursive: true });
  await Deno.remove(spool, { recursive: true });
});

Deno.test("finish waits while a live process holds its run, then finishes it", async () => {
  const { root, del } = await makeProject();
  const token = (await runCliProcess(["start", del, "--agent", "A"])).stdout.trim();
  // This test process holds the run, as a racing reap or finish would, and lets go in a moment.
  const claim = `${token}.claim-${Deno.pid}@${Deno.hostname().replace(/[^0-9A-Za-z.-]/g, "_")}`;
  await Deno.rename(token, claim);
  // Stopped after its second try to claim the run (a rename of its file): it found the run held
  // and waited, rather than a fixed time having passed.
  const finishing = await spawnHeld([...RUNREC, "finish", token, "--status", "SUCCESS"], {
    calls: "rename,renameat,renameat2",
    path: token,
    when: "2",
    byStop: true,
    env: { NO_COLOR: "1" },
  });
  await finishing.held(2, "the finish tried to claim the run twice");
  assertEquals((await recordsOf(del)).length, 0);
  await Deno.rename(claim, token);
  await finishing.release();
  const finished = await finishing.child.output();
  await finishing.ended();
  const stderr = new TextDecoder().decode(finished.stderr);
  assertEquals(finished.code, 0, stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit --duration takes reap's short words too (154.5s, 90m), exactly; a fraction of a ms, another word or over ten years is refused naming it", async () => {
  const { root, del } = await makeProject();
  const emit = (duration: string) =>
    runCliProcess([
      "emit",
      del,
      "--agent",
      "B",
      "--status",
      "SUCCESS",
      "--duration",
      duration,
      "--json",
    ]);
  const seconds = await emit("154.5s");
  assertEquals(seconds.code, 0, seconds.stderr);
  assertEquals(JSON.parse(seconds.stdout).RunDuration, "PT2M34.5S");
  assertEquals(JSON.parse((await emit("90m")).stdout).RunDuration, "PT1H30M");
  assertEquals(JSON.parse((await emit("PT5S")).stdout).RunDuration, "PT5S");
  // Decimal, not binary: 1.001 s is 1001 ms, though 1.001 * 1000 is 1000.9999999999999.
  assertEquals(JSON.parse((await emit("1.001s")).stdout).RunDuration, "PT1.001S");
  assertEquals(JSON.parse((await emit("0.009h")).stdout).RunDuration, "PT32.4S");
  const refusals = [["0.0005s", "exact to the millisecond"], ["5x", "expected"], [
    "10000d",
    "ten years",
  ]];
  for (const [word, why] of refusals) {
    const refused = await emit(word);
    assertEquals(refused.code, 2);
    assertIncludes(refused.stderr, "runrec emit: --duration: ");
    assertIncludes(refused.stderr, why);
    assertIncludes(refused.stderr, `got "${word}"\n`);
  }
  assertEquals((await recordsOf(del)).length, 5);
  await Deno.remove(root, { recursive: true });
});

Deno.test("reap --older-than: a run with no process to watch is reaped once it is old enough", async () => {
  const { root, del } = await makeProject();
  const token = (await runCliProcess(["start", del, "--agent", "A"])).stdout.trim();
  const young = await runCliProcess(["reap", del, "--older-than", "1h"]);
  assertEquals([young.code, young.stdout], [0, ""]);
  const bad = await runCliProcess(["reap", del, "--older-than", "soon"]);
  assertEquals(bad.code, 2);
  assertMatch(bad.stderr, /--older-than: expected a duration/);
  // Two hours later (the clock is the only thing faked: the run is real).
  const later = await reapRuns([del], { olderThanMs: 3_600_000, now: Date.now() + 7_200_000 });
  assertEquals(later.reaped.length, 1);
  assertMatch(later.reaped[0].reason, /^started PT2H.* ago, longer than PT1H$/);
  assertEquals((await reapRuns([del], { olderThanMs: 0 })).reaped.length, 0);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED"]);
  // The agent was alive after all: its finish is recorded, after the FAILED record.
  assertEquals((await runCliProcess(["finish", token, "--status", "SUCCESS"])).code, 0);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish after reap refused for its --status: the advice names the token or --run given, and following it records the run", async () => {
  const { root, del } = await makeProject();
  const token = (await runCliProcess(["start", del, "--agent", "A"])).stdout.trim();
  const reaped = await reapRuns([del], { olderThanMs: 0, now: Date.now() + 1_000 });
  assertEquals(reaped.reaped.length, 1);
  const [failed] = await recordsOf(del);
  for (const given of [[token], [del, "--run", failed.RunID]]) {
    const blocked = await runCliProcess(["finish", ...given, "--status", "BLOCKED"]);
    assertEquals(blocked.code, 2);
    assertIncludes(
      blocked.stderr,
      `the run is still pending: run runrec finish ${given.join(" ")} again with --status `,
    );
    assert(!blocked.stderr.includes(".runrec/reaped"), blocked.stderr);
  }
  const again = await runCliProcess(["finish", token, "--status", "FAILED", "--notes", "BLOCKED"]);
  assertEquals(again.code, 0, again.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED", "FAILED"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("log and verify name runs started and not finished; verify --json lists them", async () => {
  const { root, del } = await makeProject();
  await runCliProcess(["start", del, "--agent", "CHIRALITY_LENS"]);
  const log = await runCliProcess(["log", root]);
  assertEquals(log.code, 0);
  assertMatch(
    log.stderr,
    /runrec log: warning: .*DEL-01-02_Thing: 1 run\(s\) started and not finished: CHIRALITY_LENS since /,
  );
  const verify = await runCliProcess(["verify", del]);
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
  // On stderr, as log's (trial-new F6): stdout is the check's own output.
  assertMatch(verify.stderr, /runrec verify: warning: .*1 run\(s\) started and not finished/);
  assert(!verify.stdout.includes("warning"), verify.stdout);
  const json = JSON.parse((await runCliProcess(["verify", del, "--json"])).stdout);
  assertEquals(json.pendingRuns.map((r: { agent: string }) => r.agent), ["CHIRALITY_LENS"]);
  await runCliProcess(["finish", del, "--status", "SUCCESS"]);
  const after = await runCliProcess(["log", root]);
  assert(!after.stderr.includes("not finished"), after.stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish under a real write fault exits 0, spools, and the next emit replays it once", async () => {
  const { root, del } = await makeProject();
  const spool = await tempDir();
  const env = { RUNREC_SPOOL_DIR: spool };
  const host = hostFiles(del);
  const token = (await runCliProcess(["start", del, "--agent", "DEPENDENCIES"])).stdout.trim();
  await Deno.mkdir(join(del, RECORD_FILE)); // a folder where the record file should be
  const finish = await runCliProcess(["finish", token, "--status", "SUCCESS"], undefined, env);
  assertEquals(finish.code, 0, finish.stderr);
  assertMatch(finish.stderr, /runrec: warning: record not written .*spooled to/);
  assertEquals(finish.stdout, "");
  // Spooled counts as safe: the run is no longer pending, so it cannot be written twice.
  assertEquals(pendingFiles(del), []);
  await Deno.remove(join(del, RECORD_FILE));
  const emit = await runCliProcess(
    ["emit", del, "--agent", "B", "--status", "SUCCESS"],
    undefined,
    env,
  );
  assertEquals(emit.code, 0, emit.stderr);
  assertEquals((emit.stderr.match(/replayed RUN-/g) ?? []).length, 1);
  const again = await runCliProcess(
    ["emit", del, "--agent", "C", "--status", "SUCCESS"],
    undefined,
    env,
  );
  assertEquals((again.stderr.match(/replayed RUN-/g) ?? []).length, 0);
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["DEPENDENCIES", "B", "C"]);
  assertEquals(hostFiles(del), host);
  await Deno.remove(root, { recursive: true });
  await Deno.remove(spool, { recursive: true });
});

/** Runs a command that must succeed (mount, umount). */
async function sh(command: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command(command, { args, stderr: "piped" }).output();
  assertEquals(
    out.code,
    0,
    `${command} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
  );
}

Deno.test("start in a read-only deliverable folder (real bind mount): the run is kept outside it and recorded once", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir(); // the user's temporary folder: runrec-pending-<uid>, runrec-spool-<uid>
  const env = { TMPDIR: tmp };
  await sh("mount", "--bind", del, del);
  let mounted = true;
  try {
    await sh("mount", "-o", "remount,ro,bind", del);
    const start = await runCliProcess(["start", del, "--agent", "A", "--pid", "1"], undefined, env);
    assertEquals(start.code, 0, start.stderr);
    const token = start.stdout.trim();
    assertMatch(
      token,
      new RegExp(`^${tmp}/runrec-pending-\\d+/[0-9]{8}T[0-9]{9}Z-[0-9a-f]{8}\\.json$`),
    );
    assertMatch(
      start.stderr,
      /(^|\n)runrec: note: pending run kept in .*runrec-pending-\d+ \(.*Read-only file system.*\)\n$/,
    );
    assertEquals((await Deno.stat(join(tmp, token.split("/").at(-2)!))).mode! & 0o777, 0o700);
    const finish = await runCliProcess(["finish", token, "--status", "SUCCESS"], undefined, env);
    assertEquals(finish.code, 0, finish.stderr);
    assertMatch(finish.stderr, /record not written .*spooled to/);
    // Finished: the run file is gone, and finishing again is refused.
    const again = await runCliProcess(["finish", token, "--status", "SUCCESS"], undefined, env);
    assertEquals(again.code, 2);
    assertMatch(again.stderr, /no pending run .*: finished already \(runrec log says\)/);
    await sh("umount", del);
    mounted = false;
    const flush = await runCliProcess(["flush", del], undefined, env);
    assertEquals(flush.code, 0, flush.stderr);
    const records = await recordsOf(del);
    assertEquals(records.map((r) => [r.AgentName, r.RunStatus]), [["A", "SUCCESS"]]);
    assertIncludes(records[0].Notes, "pending run kept in");
  } finally {
    if (mounted) await sh("umount", del);
  }
  await Deno.remove(root, { recursive: true });
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("reap finds a run kept outside its read-only deliverable folder; its FAILED record is spooled, then flushed; verify, log and stale name it meanwhile; a reap with another TMPDIR passes it over, as the start warns (attack59-59)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const env = { TMPDIR: tmp };
  const gone = new Deno.Command("true").spawn();
  await gone.status;
  await sh("mount", "--bind", del, del);
  let mounted = true;
  try {
    await sh("mount", "-o", "remount,ro,bind", del);
    const start = await runCliProcess(
      ["start", del, "--agent", "A", "--pid", String(gone.pid)],
      undefined,
      env,
    );
    assertEquals(start.code, 0, start.stderr);
    const token = start.stdout.trim();
    // Only a runrec of the start's temporary folder looks there: said at the start (attack59-59).
    assertIncludes(
      start.stderr,
      `runrec: warning: this run is kept in ${dirname(token)}, not in its deliverable folder: ` +
        "runrec reap, log, verify and stale find it there only with this temporary folder " +
        `(TMPDIR=${tmp}); one with another (a cron job's, a service's own /tmp) passes it over, ` +
        "and would never write it FAILED should its process die before its finish: reap with " +
        "that TMPDIR",
    );
    // Named by verify, log and stale of the same temporary folder, as a run pending in the
    // folder is.
    for (const command of ["verify", "log", "stale"]) {
      const named = await runCliProcess([command, del], undefined, env);
      assertIncludes(named.stderr, "1 run(s) started and not finished: A since");
    }
    const elsewhere = { TMPDIR: await tempDir() };
    const passedOver = await runCliProcess(["reap", root], undefined, elsewhere);
    assertEquals([passedOver.code, passedOver.stderr], [0, "runrec reap: nothing to reap\n"]);
    // A root above the deliverable: the run names its folder, so reap finds it.
    const reap = await runCliProcess(["reap", root], undefined, env);
    assertEquals(reap.code, 0, reap.stderr);
    assertMatch(reap.stdout, /^\(spooled\) .* A started .*: its process \d+ on .* is gone\n$/);
    // Kept for its late finish beside its token, where the token leads, not in the folder.
    const kept = join(dirname(token), "reaped", basename(token));
    assertEquals((await Deno.stat(kept)).isFile, true);
    assertEquals(await Deno.stat(token).then(() => "there", () => "gone"), "gone");
    await sh("umount", del);
    mounted = false;
  } finally {
    if (mounted) await sh("umount", del);
  }
  assertEquals((await runCliProcess(["flush", del], undefined, env)).code, 0);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.AgentName, r.RunStatus, r.ErrorSummary]), [
    ["A", "FAILED", REAPED_ERROR],
  ]);
  assertIncludes(records[0].Notes, "pending run kept in");
  await Deno.remove(root, { recursive: true });
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("finish after a finish killed mid-way: a dead process's claim is taken over; a run it recorded is not written twice", async () => {
  const { root, del } = await makeProject();
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  const host = Deno.hostname().replace(/[^0-9A-Za-z.-]/g, "_");
  // The killed finisher's claim: the run file renamed to its claim, its process gone.
  const first = (await runCliProcess(["start", del, "--agent", "A"])).stdout.trim();
  await Deno.rename(first, `${first}.claim-${dead.pid}@${host}`);
  const again = await runCliProcess(["finish", first, "--status", "SUCCESS"]);
  assertEquals(again.code, 0, again.stderr);
  assertEquals((await recordsOf(del)).map((r) => [r.AgentName, r.RunStatus]), [["A", "SUCCESS"]]);
  assertEquals(pendingFiles(del), []);
  // Killed after its write: the record is there, naming the run's id as a finish's record does
  // (not its start time and agent alone: runs started in one millisecond share those), so
  // finishing again writes nothing more.
  const second = JSON.parse(
    (await runCliProcess(["start", del, "--agent", "B", "--json"])).stdout,
  );
  // The record a finish writes, put there as the store writes it (an emit's --notes saying
  // `run <id>` is the agent's text, marked so: it names no run).
  await appendRecord(
    join(del, RECORD_FILE),
    sampleDraft({ AgentName: "B", RunTimestamp: second.start.started, Notes: `run ${second.id}` }),
  );
  await Deno.rename(second.token, `${second.token}.claim-${dead.pid}@${host}`);
  const twice = await runCliProcess(["finish", second.token, "--status", "SUCCESS"]);
  assertEquals(twice.code, 2);
  assertMatch(twice.stderr, /no pending run .*: finished already \(runrec log says\)/);
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["A", "B"]);
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("start with nowhere to keep the run: one line naming both places (env-signals F6) and saying to record it with emit, which does", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  // A file where .runrec/ would be, and a temporary folder that is a file: start cannot keep the run.
  await Deno.writeTextFile(join(del, ".runrec"), "in the way\n");
  const env = { TMPDIR: join(tmp, "a-file") };
  await Deno.writeTextFile(env.TMPDIR, "");
  const start = await runCliProcess(["start", del, "--agent", "DEPENDENCIES"], undefined, env);
  assertEquals(start.code, 2);
  assertEquals(start.stdout, "");
  assertMatch(
    start.stderr,
    /^runrec start: .*DEL-01-02_Thing: the run cannot be kept \(.*\); record it at its end with runrec emit .*DEL-01-02_Thing --agent DEPENDENCIES --status S \.\.\. \(finish's options\) instead of runrec finish\n$/,
  );
  // Both places named, the temporary folder's fault too, which is the one to fix (env-signals F6).
  assertIncludes(start.stderr, `; nor in ${env.TMPDIR}/runrec-pending-${Deno.uid()}: `);
  // What the agent block says to do then: emit with finish's options, and the run is recorded.
  const finish = await runCliProcess(["finish", del, "--status", "SUCCESS"], undefined, env);
  assertEquals(finish.code, 2);
  assertMatch(finish.stderr, /to record a run that runrec start did not keep: runrec emit /);
  const emit = await runCliProcess(
    ["emit", del, "--agent", "DEPENDENCIES", "--status", "SUCCESS", "--output", "Datasheet.md"],
    undefined,
    env,
  );
  assertEquals(emit.code, 0, emit.stderr);
  assertEquals((await recordsOf(del)).map((r) => [r.AgentName, r.RunStatus]), [
    ["DEPENDENCIES", "SUCCESS"],
  ]);
  await Deno.remove(root, { recursive: true });
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("finish <token> after the deliverable folder's label was renamed: found in the renamed folder", async () => {
  const { root, del } = await makeProject();
  const token = (await runCliProcess(["start", del, "--agent", "A"])).stdout.trim();
  const renamed = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-02_Renamed_Label");
  await Deno.rename(del, renamed);
  const finish = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(finish.code, 0, finish.stderr);
  assertEquals((await recordsOf(renamed)).map((r) => r.RunStatus), ["SUCCESS"]);
  assertEquals(pendingFiles(renamed), []);
  // A folder of another deliverable is not taken: it is named, with the finish that works.
  const other = (await runCliProcess(["start", renamed, "--agent", "B"])).stdout.trim();
  await Deno.rename(renamed, join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_Other"));
  const lost = await runCliProcess(["finish", other, "--status", "SUCCESS"]);
  assertEquals(lost.code, 2);
  assertMatch(
    lost.stderr,
    /DEL-01-02_Renamed_Label: no such folder .* is pending in .*DEL-01-03_Other \(DEL-01-03\): if it belongs there, runrec finish <that folder> --run /,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish --run takes the RunID reap printed; other arguments get one-line errors", async () => {
  const { root, del } = await makeProject();
  await runCliProcess(["start", del, "--agent", "A"]);
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"]);
  const runId = reap.stdout.split(" ")[0];
  assertMatch(runId, /^RUN-DEL-01-02-/);
  const late = await runCliProcess(["finish", del, "--run", runId, "--status", "SUCCESS"]);
  assertEquals(late.code, 0, late.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  const twice = await runCliProcess(["finish", del, "--run", runId, "--status", "SUCCESS"]);
  assertEquals(twice.code, 2);
  assertMatch(twice.stderr, /no pending run .*: finished already \(runrec log says\)/);
  const success = (await recordsOf(del))[1].RunID;
  const recorded = await runCliProcess(["finish", del, "--run", success, "--status", "SUCCESS"]);
  assertEquals(recorded.code, 2);
  assertEquals(
    recorded.stderr,
    `runrec finish: --run ${success}: recorded already as that RunID in ${
      join(del, RECORD_FILE)
    } ` +
      "(A, SUCCESS); nothing written, nothing more is needed (an emit would record the run " +
      "twice)\n",
  );
  const unknown = "RUN-DEL-01-02-20260101-0000-099";
  const notReaped = await runCliProcess(["finish", del, "--run", unknown, "--status", "SUCCESS"]);
  assertEquals(notReaped.code, 2);
  assertEquals(
    notReaped.stderr,
    `runrec finish: --run ${unknown}: not a run that reap wrote as FAILED in ${del}; --run ` +
      "takes the token or id runrec start printed, or the RunID of a reaped run\n",
  );
  const empty = await runCliProcess(["finish", "", "--status", "SUCCESS"]);
  assertEquals(empty.code, 2);
  assertEquals(
    empty.stderr,
    // What `runrec finish "$TOKEN"` gets after a start that printed no token: emit, as the agent
    // block says (agent-trial F6).
    "runrec finish: <token|del-dir>: empty: did runrec start print no token? Then it kept no " +
      "run: record it with runrec emit <del-dir> --agent A --status S and finish's other options " +
      "instead (see runrec finish --help)\n",
  );
  // A pending run file that is garbage: reap and finish name it; neither quotes broken JSON.
  await Deno.writeTextFile(
    join(del, ".runrec", "pending", "20260101T000000000Z-0badf00d.json"),
    'garbage "\n',
  );
  const reapBad = await runCliProcess(["reap", del]);
  assertMatch(
    reapBad.stderr,
    /0badf00d\.json: damaged pending run \(not valid JSON\): runrec finish .* records the run from its token \(inputs TBD\); left pending\n$/,
  );
  const finishBad = await runCliProcess(["finish", del, "--status", "SUCCESS"]);
  assertEquals(finishBad.code, 2);
  assertMatch(
    finishBad.stderr,
    /no pending run \(none started, or finished already\); unreadable: .*0badf00d\.json: damaged pending run \(not valid JSON\): .*; to record/,
  );
  assertEquals(finishBad.stderr.split("\n").length, 2, "one line");
  await Deno.remove(root, { recursive: true });
});

Deno.test("a damaged pending run file (emptied, cut): finish <token> --agent records it from the token, the damage noted; without --agent, reap and log say so; reap exits 0 (trial-r F6)", async () => {
  const { root, del } = await makeProject();
  const agent = "4_DOCUMENTS";
  const cut = (await runCliProcess(["start", del, "--agent", agent])).stdout.trim();
  const emptied = (await runCliProcess(["start", del, "--agent", "PREPARATION"])).stdout.trim();
  await Deno.writeTextFile(cut, (await Deno.readTextFile(cut)).slice(0, 40)); // cut JSON
  await Deno.writeTextFile(emptied, ""); // a sync tool's empty file
  const advice = (token: string) =>
    `${token}: damaged pending run (not valid JSON): runrec finish ${token} --agent NAME ` +
    "--status S records the run from its token (inputs TBD)";
  // Without --agent the run stays pending, and the line says what records it.
  const refused = await runCliProcess(["finish", cut, "--status", "SUCCESS"]);
  assertEquals(refused.code, 2);
  assertEquals(refused.stderr, `runrec finish: ${advice(cut)}\n`);
  assertEquals(pendingFiles(del).length, 2);
  const log = await runCliProcess(["log", del]);
  assertEquals(log.code, 0);
  assertMatch(
    log.stderr,
    /\(damaged: reap leaves it; runrec finish .* --agent NAME --status S records it from its token\)/,
  );
  // reap cannot tell a damaged run's agent: it leaves both, says how to record them, exits 0.
  const reap = await runCliProcess(["reap", del, "--older-than", "1s"]);
  assertEquals(reap.code, 0, reap.stderr);
  assertIncludes(reap.stderr, `runrec reap: ${advice(cut)}; left pending\n`);
  assertIncludes(reap.stderr, `runrec reap: ${advice(emptied)}; left pending\n`);
  assertEquals(await recordsOf(del), []);
  // finish with the token and --agent records the run from the token, the file removed.
  const done = await runCliProcess(["finish", cut, "--agent", agent, "--status", "SUCCESS"]);
  assertEquals(done.code, 0, done.stderr);
  assertMatch(
    done.stderr,
    /note: pending run file damaged \(not valid JSON\), removed: inputs not captured/,
  );
  const [record] = await recordsOf(del);
  assertEquals([record.AgentName, record.RunStatus, record.StatusBefore], [
    agent,
    "SUCCESS",
    "TBD",
  ]);
  assertEquals(pendingFiles(del), [emptied.split("/").at(-1)!]);
  // Once: a second finish finds the record.
  const again = await runCliProcess(["finish", cut, "--agent", agent, "--status", "SUCCESS"]);
  assertEquals(again.code, 2);
  assertMatch(again.stderr, /finished already .* nothing written/);
  assertEquals((await recordsOf(del)).length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("start, emit and exec: an empty <del-dir> or --agent exits 2 naming it as the help does (was 'delDir: must be a path', '--agent is required'); exec passes an empty ARG on", async () => {
  const { root, del } = await makeProject();
  for (const verb of ["start", "emit", "exec"]) {
    const rest = verb === "emit" ? ["--status", "SUCCESS"] : verb === "exec" ? ["--", "true"] : [];
    const folder = await runCliProcess([verb, "", "--agent", "A", ...rest]);
    assertEquals(
      [folder.code, folder.stderr],
      [
        2,
        `runrec ${verb}: <del-dir>: an empty path (. is the current folder) (see runrec ${verb} --help)\n`,
      ],
    );
    const agent = await runCliProcess([verb, del, "--agent", "", ...rest]);
    assertEquals(
      [agent.code, agent.stderr],
      [2, `runrec ${verb}: --agent: empty (it is required) (see runrec ${verb} --help)\n`],
    );
  }
  assertEquals(pendingFiles(del), []);
  assertEquals(await recordsOf(del), []);
  // The command's own arguments are its to judge: an empty one is passed on as given.
  const exec = await runCliProcess(["exec", del, "--agent", "A", "--", "test", "", "=", ""]);
  assertEquals(exec.code, 0, exec.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("reap: a file as target exits 2 'is not a folder', as flush and stale do, and reaps nothing (it reaped the file's folder)", async () => {
  const { root, del } = await makeProject();
  await runCliProcess(["start", del, "--agent", "A", "--pid", "999999"]);
  // A deliverable's file is named with its folder (newuser-45 F5).
  for (
    const [target, inside] of [
      [join(del, "Datasheet.md"), `; it is inside ${del}: name that`],
      ["/etc/passwd", ""],
    ]
  ) {
    const reap = await runCliProcess(["reap", target]);
    assertEquals([reap.code, reap.stdout, reap.stderr], [
      2,
      "",
      `runrec reap: ${target}: is not a folder${inside}\n`,
    ]);
    await assertRejects(() => reapRuns([target]), InputError, `${target}: is not a folder`);
  }
  assertEquals(pendingFiles(del).length, 1);
  assertEquals(await recordsOf(del), []);
  const empty = await runCliProcess(["reap", ""]);
  assertEquals(
    [empty.code, empty.stderr],
    [
      2,
      "runrec reap: <del-dir|root>: an empty path (. is the current folder) (see runrec reap --help)\n",
    ],
  );
  assertEquals((await runCliProcess(["reap", del])).code, 0);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("start/finish with an agent name no agent file has: finish warns once naming the closest known agent, records the run as given, exit 0", async () => {
  const { root, del } = await makeProject();
  await writeAgentFile(root, "REVIEWER");
  const started = await runCliProcess(["start", del, "--agent", "reviewer"]);
  assertEquals(started.code, 0, started.stderr);
  const finished = await runCliProcess(["finish", started.stdout.trim(), "--status", "SUCCESS"]);
  assertEquals(finished.code, 0, finished.stderr);
  const warned = unknownAgentWarnings(finished.stderr);
  assertEquals(warned.length, 1, finished.stderr);
  assertIncludes(warned[0], "did you mean REVIEWER?");
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["reviewer"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("start with a mis-cased or misspelt agent name warns at once, as emit does, naming the closest known agent; the run is started, exit 0; a known or project's own name is quiet (trial-t F10)", async () => {
  const { root, del } = await makeProject();
  await writeAgentFile(root, "REVIEWER");
  const startAs = async (agent: string) => {
    const started = await runCliProcess(["start", del, "--agent", agent]);
    assertEquals(started.code, 0, started.stderr);
    return { token: started.stdout.trim(), warned: unknownAgentWarnings(started.stderr) };
  };
  for (const [agent, meant] of [["chirality_lens", "CHIRALITY_LENS"], ["REVEIWER", "REVIEWER"]]) {
    const { token, warned } = await startAs(agent);
    assertEquals(warned.length, 1, warned.join("\n"));
    assertIncludes(warned[0], `runrec: warning: agent ${agent} is not a known agent (`);
    assertIncludes(warned[0], `did you mean ${meant}?`);
    assertIncludes(warned[0], "started as given");
    assertEquals(pendingFiles(del).includes(basename(token)), true, token);
  }
  for (const quiet of ["CHIRALITY_LENS", "REVIEWER", "PUBLISHER"]) {
    assertEquals((await startAs(quiet)).warned, []);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <del-dir> --agent A while only a run of A in other case is pending there (trial-t F10): exit 2 'did you mean' naming that run and the finish that records it, not emit; nothing written", async () => {
  const { root, del } = await makeProject();
  const started = await runCliProcess(["start", del, "--agent", "chirality_lens"]);
  assertEquals(started.code, 0, started.stderr);
  const id = basename(started.stdout.trim(), ".json");
  const finished = await runCliProcess([
    "finish",
    del,
    "--agent",
    "CHIRALITY_LENS",
    "--status",
    "SUCCESS",
  ]);
  assertEquals(finished.code, 2, finished.stderr);
  assertEquals(finished.stderr.trim().split("\n").length, 1, finished.stderr);
  assertIncludes(
    finished.stderr,
    "CHIRALITY_LENS has no pending run here; did you mean chirality_lens?",
  );
  assertIncludes(finished.stderr, `run ${id} (chirality_lens, since `);
  assertIncludes(finished.stderr, `--run ${id} --agent chirality_lens --status S ...`);
  assertEquals(finished.stderr.includes("runrec emit"), false, finished.stderr);
  assertEquals(await recordsOf(del), []);
  assertEquals(pendingFiles(del), [`${id}.json`]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("reap: a warning about the run it writes names that run's RunID and folder (reap is a supervisor's, not the agent's; review-g 12)", async () => {
  const { root, del } = await makeProject();
  await writeAgentFile(root, "REVIEWER");
  const started = await runCliProcess(["start", del, "--agent", "REVIEWR", "--pid", "999999"]);
  assertEquals(started.code, 0, started.stderr);
  const reaped = await runCliProcess(["reap", del], undefined, {}, root);
  assertEquals(reaped.code, 0, reaped.stderr);
  const [record] = await recordsOf(del);
  const warned = unknownAgentWarnings(reaped.stderr);
  assertEquals(warned.length, 1, reaped.stderr);
  assertIncludes(
    warned[0],
    `runrec: warning: ${record.RunID} (PKG-01_Pkg/1_Working/DEL-01-02_Thing): agent REVIEWR is `,
  );
  assertIncludes(warned[0], "did you mean REVIEWER?");
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish: the files a run's own _REFERENCES.md lists that its start did not hash are hashed at the end and noted, so stale finds the run CLEAN, then DIRTY when one changes (PREPARATION: trial-pipeline2 1)", async () => {
  const { root, del } = await makeProject();
  await Deno.remove(join(del, "_REFERENCES.md"));
  const token = (await runCliProcess(["start", del, "--agent", "PREPARATION"])).stdout.trim();
  // The run writes the references: one to the package's reference file.
  await Deno.writeTextFile(
    join(del, "_REFERENCES.md"),
    "# References\n\n## Applicable References\n- [R](../../0_References/ref.txt)\n",
  );
  const finished = await runCliProcess(
    ["finish", token, "--status", "SUCCESS", "--output", "_REFERENCES.md"],
  );
  assertEquals(finished.code, 0, finished.stderr);
  const [record] = await recordsOf(del);
  const ref = "../../0_References/ref.txt";
  assertEquals(
    record.InputHashes[ref],
    await hashFile(join(root, "PKG-01_Pkg/0_References/ref.txt")),
  );
  assertIncludes(
    record.Notes,
    `hashed at the end: 1 governed input the run's own _REFERENCES.md added (${ref})`,
  );
  const clean = await runCliProcess(["stale", del]);
  assertEquals(clean.code, 0, clean.stdout);
  assertIncludes(clean.stdout, "CLEAN");
  await Deno.writeTextFile(join(root, "PKG-01_Pkg/0_References/ref.txt"), "changed\n");
  const dirty = await runCliProcess(["stale", del]);
  assertEquals(dirty.code, 1, dirty.stdout);
  assertIncludes(dirty.stdout, `changed          ${ref}`);
  // A run that leaves _REFERENCES.md as it found it hashes nothing more.
  const again = (await runCliProcess(["start", del, "--agent", "A"])).stdout.trim();
  assertEquals((await runCliProcess(["finish", again, "--status", "SUCCESS"])).code, 0);
  assert(!(await recordsOf(del)).at(-1)!.Notes.includes("hashed at the end"));
});

/**
 * A run of `agent` on `del` recorded with start and finish (`--output output`), `work` done while
 * it runs; its record.
 */
async function runChangingReferences(
  del: string,
  agent: string,
  output: string,
  work: () => Promise<void>,
): Promise<RunRecord> {
  const token = (await runCliProcess(["start", del, "--agent", agent])).stdout.trim();
  await work();
  const finished = await runCliProcess([
    "finish",
    token,
    "--status",
    "SUCCESS",
    "--output",
    output,
  ]);
  assertEquals(finished.code, 0, finished.stderr);
  return (await recordsOf(del)).at(-1)!;
}

Deno.test("finish: references added to _REFERENCES.md during a run that did not name it as an output are not taken as read by it: stale finds the run DIRTY (review-k 1)", async () => {
  const { del } = await makeProject();
  // Someone else (a person, another run) adds a reference while the run works.
  const record = await runChangingReferences(del, "4_DOCUMENTS", "Datasheet.md", async () => {
    await Deno.writeTextFile(
      join(del, "_REFERENCES.md"),
      "- [R](../../0_References/ref.txt)\n",
      { append: true },
    );
    await Deno.writeTextFile(join(del, "Datasheet.md"), "# Datasheet, from the old list\n");
  });
  assert(!Object.hasOwn(record.InputHashes, "../../0_References/ref.txt"), record.Notes);
  assert(!record.Notes.includes("hashed at the end"), record.Notes);
  const stale = await runCliProcess(["stale", del]);
  assertEquals(stale.code, 1, stale.stdout);
  assertIncludes(stale.stdout, "added            ../../0_References/ref.txt");
});

Deno.test("finish: a reference the run's own _REFERENCES.md no longer lists is dropped at the end and noted, so stale finds the run CLEAN, as after emit (review-k 5)", async () => {
  const { del } = await makeProject();
  const record = await runChangingReferences(
    del,
    "PREPARATION",
    "_REFERENCES.md",
    () => Deno.writeTextFile(join(del, "_REFERENCES.md"), "# References\n\nNone.\n"),
  );
  const gone = "../../../_Decomposition/D.md";
  assert(!Object.hasOwn(record.InputHashes, gone), JSON.stringify(record.InputHashes));
  assertIncludes(
    record.Notes,
    `dropped at the end: 1 governed input the run's own _REFERENCES.md no longer lists (${gone})`,
  );
  const stale = await runCliProcess(["stale", del]);
  assertEquals(stale.code, 0, stale.stdout);
  assertIncludes(stale.stdout, "CLEAN");
});

Deno.test("finish: a reference the run's own _REFERENCES.md added that is not found is noted as not found, not as hashed (review-k 7)", async () => {
  const { del } = await makeProject();
  const record = await runChangingReferences(
    del,
    "PREPARATION",
    "_REFERENCES.md",
    () =>
      Deno.writeTextFile(
        join(del, "_REFERENCES.md"),
        "- [N](../../0_References/not-yet.md)\n",
        { append: true },
      ),
  );
  assertEquals(record.InputHashes["../../0_References/not-yet.md"], "TBD");
  assert(!record.Notes.includes("hashed at the end"), record.Notes);
  assertIncludes(record.Notes, "../../0_References/not-yet.md not found");
});

Deno.test("start/finish in a folder with no _STATUS.md yet (PREPARATION's block): StatusBefore TBD without a note; still none at the end is noted once (trial-pipeline3 F8)", async () => {
  const { root } = await makeProject();
  const del = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-05_New");
  await Deno.mkdir(del);
  const start = await runCliProcess(
    ["start", del, "--agent", "PREPARATION", "--input", "../../../_Decomposition/D.md"],
  );
  assertEquals(start.code, 0, start.stderr);
  assertEquals(start.stderr, "");
  await Deno.writeTextFile(join(del, "_CONTEXT.md"), "**DeliverableID:** DEL-01-05\n");
  await Deno.writeTextFile(join(del, "_STATUS.md"), "# Status\n\n**Current State:** OPEN\n");
  const finish = await runCliProcess([
    "finish",
    start.stdout.trim(),
    "--status",
    "SUCCESS",
    "--output",
    "_CONTEXT.md",
    "--output",
    "_STATUS.md",
  ]);
  assertEquals(finish.code, 0, finish.stderr);
  assertEquals(finish.stderr, "");
  const [prepared] = await recordsOf(del);
  assertEquals([prepared.StatusBefore, prepared.StatusAfter], ["TBD", "OPEN"]);
  assertMatch(prepared.Notes, /^run [0-9T]+Z-[0-9a-f]+$/); // the pending run's id, nothing else

  // _STATUS.md missing at the end too (deleted, or never written): one note, from finish.
  await Deno.remove(join(del, "_STATUS.md"));
  const again = await runCliProcess(["start", del, "--agent", "A"]);
  assertEquals(again.stderr, "");
  const ended = await runCliProcess(["finish", again.stdout.trim(), "--status", "SUCCESS"]);
  assertEquals(ended.code, 0, ended.stderr);
  // No input named and no _REFERENCES.md: that is noted too (InputContextSHA TBD, DESIGN CON-05).
  assertEquals(
    ended.stderr,
    "runrec: note: no governed input (no input named, no _REFERENCES.md): InputContextSHA TBD\n" +
      "runrec: note: _STATUS.md: not found\n",
  );
  const notes = (await recordsOf(del)).at(-1)!.Notes.split(" | ");
  assertEquals(notes.filter((n) => n.includes("_STATUS.md")), ["_STATUS.md: not found"]);
  await Deno.remove(root, { recursive: true });
});
