/**
 * runrec against a wall clock that moves under it (clock-sweep): real
 * processes whose clock libfaketime sets back or forward, as an NTP step or
 * a VM restored from a snapshot does between two commands.
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { clockMovedEnv, runCliProcess } from "./cli.ts";
import { git, makeProject } from "./fixtures.ts";
import { RECORD_FILE } from "../src/store.ts";
import { pendingFiles, recordsOf } from "./support/runs.ts";

Deno.test("finish after this machine's clock was set back an hour since start records the run, its start kept, PT0S noted; a file written now with a start an hour ahead is still refused (clock-sweep F1)", async () => {
  const { root, del } = await makeProject();
  const token = (await runCliProcess(["start", del, "--agent", "X"])).stdout.trim();
  const started: string = JSON.parse(Deno.readTextFileSync(token)).start.started;
  const back = clockMovedEnv("-1h");
  const out = await runCliProcess(["finish", token, "--status", "SUCCESS"], FULL_FLAGS, back);
  assertEquals(out.code, 0, out.stderr);
  const [record] = await recordsOf(del);
  assertEquals(
    [record.RunTimestamp, record.RunDuration, record.RunStatus],
    [started, "PT0S", "SUCCESS"],
  );
  const read = /clock read (\S+) at the end, before the run's start \(set back since\?\)/
    .exec(record.Notes);
  assert(read, record.Notes);
  const setBack = Date.parse(started) - Date.parse(read[1]);
  assert(setBack > 3_590_000 && setBack < 3_610_000, `the clock read ${read[1]}: not an hour back`);
  assertEquals(pendingFiles(del), []);
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
  assertEquals((await recordsOf(del)).length, 1);
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
