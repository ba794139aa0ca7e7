/**
 * runrec against a wall clock that moves under it (clock-sweep): real
 * processes whose clock libfaketime sets back or forward, as an NTP step or
 * a VM restored from a snapshot does between two commands.
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { clockMovedEnv, runCliProcess } from "./cli.ts";
import { git, makeProject } from "./fixtures.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { pendingFiles, recordsOf } from "./support/runs.ts";

Deno.test("finish after this machine's clock was set back an hour since start records the run, its start kept, its duration by the uptime (PT0S, noted, from an older runrec's file); a file written now with a start an hour ahead is still refused (clock-sweep F1, F4)", async () => {
  const { root, del } = await makeProject();
  const back = clockMovedEnv("-1h");
  const finish = (token: string) =>
    runCliProcess(["finish", token, "--status", "SUCCESS"], FULL_FLAGS, back);
  const token = (await runCliProcess(["start", del, "--agent", "X"])).stdout.trim();
  const started: string = JSON.parse(Deno.readTextFileSync(token)).start.started;
  const out = await finish(token);
  assertEquals(out.code, 0, out.stderr);
  const [record] = await recordsOf(del);
  assertEquals([record.RunTimestamp, record.RunStatus], [started, "SUCCESS"]);
  assert(["PT0S", "PT1S"].includes(record.RunDuration), record.RunDuration);
  // The uptime is read in whole seconds: the step it measures is an hour to within a second.
  assertMatch(
    record.Notes,
    /this machine's clock moved PT(59M59S|1H|1H1S) back during the run \(stepped\?\): RunDuration by its uptime/,
  );
  assertEquals(pendingFiles(del), []);
  // An older runrec's pending file (no uptime): PT0S, and the clock's reading, noted.
  const older = (await runCliProcess(["start", del, "--agent", "X"])).stdout.trim();
  const olderRun = JSON.parse(Deno.readTextFileSync(older));
  delete olderRun.start.startedUptimeMs;
  Deno.writeTextFileSync(older, JSON.stringify(olderRun));
  assertEquals((await finish(older)).code, 0);
  const noUptime = (await recordsOf(del))[1];
  assertEquals(noUptime.RunDuration, "PT0S");
  const read = /clock read (\S+) at the end, before the run's start \(set back since\?\)/
    .exec(noUptime.Notes);
  assert(read, noUptime.Notes);
  const setBack = Date.parse(olderRun.start.started) - Date.parse(read[1]);
  assert(setBack > 3_590_000 && setBack < 3_610_000, `the clock read ${read[1]}: not an hour back`);
  // A pending file written now whose start is an hour ahead is no clock set back: refused.
  const ahead = (await runCliProcess(["start", del, "--agent", "X"])).stdout.trim();
  const run = JSON.parse(Deno.readTextFileSync(ahead));
  const later = new Date(Date.parse(run.start.started) + 3_600_000).toISOString();
  const id = `${later.replace(/[-:.]/g, "")}-${run.id.split("-")[1]}`;
  const forged = join(del, ".runrec", "pending", `${id}.json`);
  Deno.writeTextFileSync(
    forged,
    JSON.stringify({ ...run, id, start: { ...run.start, started: later } }),
  );
  Deno.removeSync(ahead);
  const refused = await runCliProcess(["finish", forged, "--status", "SUCCESS"]);
  assertEquals(refused.code, 2, refused.stderr);
  assertIncludes(refused.stderr, `its start time ${later} is in the future; it stays pending`);
  assertEquals((await recordsOf(del)).length, 2);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish after this machine's clock stepped two days forward during the run records its duration by the host's uptime, not PT48H, noted (clock-sweep F4)", async () => {
  const { root, del } = await makeProject();
  const token = (await runCliProcess(["start", del, "--agent", "X"])).stdout.trim();
  const out = await runCliProcess(
    ["finish", token, "--status", "SUCCESS"],
    FULL_FLAGS,
    clockMovedEnv("+2d"),
  );
  assertEquals(out.code, 0, out.stderr);
  const [record] = await recordsOf(del);
  // The run's own seconds (a few on a loaded machine), not the two days.
  assertMatch(record.RunDuration, /^PT[0-5]S$/);
  // The uptime is read in whole seconds: the step measured may be a second short, or the run's
  // seconds long.
  assertMatch(
    record.Notes,
    /this machine's clock moved PT(48H([1-5]S)?|47H59M59S) ahead during the run \(stepped\?\): RunDuration by its uptime/,
  );
  // Not stepped: the wall clock's milliseconds, no note.
  const plain = (await runCliProcess(["start", del, "--agent", "X"])).stdout.trim();
  assertEquals((await runCliProcess(["finish", plain, "--status", "SUCCESS"])).code, 0);
  const second = (await recordsOf(del))[1];
  assert(!second.Notes.includes("this machine's clock"), second.Notes);
  assert(/^PT\d+(\.\d+)?S$/.test(second.RunDuration), second.RunDuration);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a record git dropped is put back by the next emit though this machine's clock stepped two days forward in between: the journal's day is measured by the host's uptime too (clock-sweep F3)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "project");
  const emit = (agent: string, env: Record<string, string> = {}) =>
    runCliProcess(["emit", del, "--agent", agent, "--status", "SUCCESS"], FULL_FLAGS, env);
  assertEquals((await emit("FIRST")).code, 0);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "first");
  assertEquals((await emit("DROPPED")).code, 0);
  // git writes its own file in the record file's place (as a pull does): the line is gone.
  await git(root, "checkout", "--", join(del, RECORD_FILE));
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["FIRST"]);
  const later = await emit("LATER", clockMovedEnv("+2d"));
  assertEquals(later.code, 0, later.stderr);
  assertEquals(
    (await recordsOf(del)).map((r) => r.AgentName).sort(),
    ["DROPPED", "FIRST", "LATER"],
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("a machine whose clock reads 1970 (booted without its time, before NTP) is named by emit, start, exec and annotate, exit 2, nothing written (clock-sweep F5)", async () => {
  const { root, del } = await makeProject();
  // Deno itself, run from source, refuses npm packages published after its clock: allowed here.
  const flags = [...FULL_FLAGS, "--minimum-dependency-age=0"];
  const env = clockMovedEnv("@1970-01-01 00:00:10");
  const first = await runCliProcess(["emit", del, "--agent", "X", "--status", "SUCCESS"]);
  const runId = first.stdout.trim();
  for (
    const args of [
      ["emit", del, "--agent", "X", "--status", "SUCCESS"],
      ["start", del, "--agent", "X"],
      ["exec", del, "--agent", "X", "--", "touch", join(del, "ran")],
      ["annotate", del, runId, "--note", "n"],
    ]
  ) {
    const out = await runCliProcess(args, flags, env);
    assertEquals(out.code, 2, `${args[0]}: ${out.stderr}`);
    assertMatch(
      out.stderr,
      new RegExp(
        `^runrec ${args[0]}: this machine's clock reads 1970-01-01T00:00:1\\d\\.\\d{3}Z, outside ` +
          "the years 2000 to 2999 a RunTimestamp may hold: set the clock \\(NTP\\) and run again\n$",
      ),
    );
  }
  assertEquals((await recordsOf(del)).map((r) => r.RunID), [runId]);
  assertEquals(pendingFiles(del), []);
  assert(
    !(await Deno.stat(join(del, "ran")).then(() => true, () => false)),
    "exec ran its command",
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("reap --older-than 1d after this machine's clock stepped two days forward leaves a run started a moment ago pending: its age is the host's uptime's (clock-sweep F6)", async () => {
  const { root, del } = await makeProject();
  const token = (await runCliProcess(["start", del, "--agent", "X"])).stdout.trim();
  const ahead = clockMovedEnv("+2d");
  const reap = await runCliProcess(["reap", del, "--older-than", "1d"], FULL_FLAGS, ahead);
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals(await recordsOf(del), []);
  assertEquals(pendingFiles(del).length, 1);
  // Its agent's finish records it as the agent said, not over a FAILED record of reap's.
  const finish = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(finish.code, 0, finish.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a run started on another host (a folder shared) is aged and timed by the wall clock, not by that host's uptime against this one's: reap --older-than 1h leaves it, finish records seconds (review F2)", async () => {
  const { root, del } = await makeProject();
  const token = (await runCliProcess(["start", del, "--agent", "X"])).stdout.trim();
  const [name] = pendingFiles(del);
  const path = join(del, ".runrec", "pending", name);
  const run = JSON.parse(await Deno.readTextFile(path));
  // Another host booted two minutes before the run: this host's uptime says it began hours ago.
  run.host = "another-host.example";
  run.start.startedUptimeMs = 120_000;
  await Deno.writeTextFile(path, JSON.stringify(run));
  const reap = await runCliProcess(["reap", del, "--older-than", "1h"]);
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals(await recordsOf(del), []);
  assertEquals(pendingFiles(del).length, 1);
  const finish = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(finish.code, 0, finish.stderr);
  const [record] = await recordsOf(del);
  assertMatch(record.RunDuration, /^PT\d+(\.\d+)?S$/); // seconds, not hours
  assert(!record.Notes.includes("clock moved"), record.Notes);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a journal line noted three days ago on another host (a folder shared) is past its day, whatever that host's uptime said: a dropped line it names is not put back (review F3)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "project");
  const emit = (agent: string) =>
    runCliProcess(["emit", del, "--agent", agent, "--status", "SUCCESS"], FULL_FLAGS);
  assertEquals((await emit("FIRST")).code, 0);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "first");
  assertEquals((await emit("DROPPED")).code, 0);
  // Its entry as another host would have noted it three days ago, a minute after its boot: by
  // this host's uptime (hours) against that one's, it would read a minute old.
  const journal = join(del, ".runrec", `${RECORD_FILE}.journal`);
  const entries = (await Deno.readTextFile(journal)).split("\n").filter((l) => l !== "");
  const aged = entries.map((line) => {
    const entry = JSON.parse(line);
    return JSON.stringify({
      ...entry,
      at: entry.at - 3 * 86_400_000,
      up: 60_000,
      host: "another-host.example",
    });
  });
  await Deno.writeTextFile(journal, `${aged.join("\n")}\n`);
  await git(root, "checkout", "--", join(del, RECORD_FILE));
  assertEquals((await emit("LATER")).code, 0);
  assertEquals((await recordsOf(del)).map((r) => r.AgentName).sort(), ["FIRST", "LATER"]);
  await Deno.remove(root, { recursive: true });
});
