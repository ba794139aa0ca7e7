/**
 * runrec against a wall clock that moves under it (clock-sweep): real
 * processes whose clock libfaketime sets back or forward, as an NTP step or
 * a VM restored from a snapshot does between two commands.
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { clockMovedEnv, runCliProcess } from "./cli.ts";
import { makeProject } from "./fixtures.ts";
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
