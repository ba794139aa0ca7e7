/**
 * Stop 55's fifth review: review2-55's lock `flock` and claim judgements attacked with real
 * processes (a container's process restarted under the pid of one killed mid-finish).
 */
import { join } from "node:path";
import { RECORD_FILE } from "../src/deliverable.ts";
import { makeProject } from "./fixtures.ts";
import { runCliProcess } from "./cli.ts";
import { inContainer } from "./support/container.ts";
import { pendingFiles, recordsOf } from "./support/runs.ts";
import { assert, assertEquals } from "./assert.ts";

Deno.test("a container's finish retried at once (within two seconds of the claim) under the pid of the one killed holding the run's claim takes it over", async () => {
  const { del } = await makeProject();
  const file = join(del, RECORD_FILE);
  const started = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"]);
  assertEquals(started.code, 0, started.stderr);
  const run = started.stdout.trim();
  const kill = ["-P", `${file}.lock`, "-e", "trace=openat", "-e", "inject=openat:signal=KILL"];
  const killed = await inContainer({ strace: kill }, "finish", run, "--status", "SUCCESS");
  assertEquals(killed.code, 137, new TextDecoder().decode(killed.stderr));
  const since = Date.now();
  const retried = await inContainer({}, "finish", run, "--status", "SUCCESS");
  const took = Date.now() - since;
  assertEquals(retried.code, 0, new TextDecoder().decode(retried.stderr));
  assert(took < 10_000, `waited for its own pid: ${took} ms`);
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["4_DOCUMENTS"]);
  assertEquals(pendingFiles(del), []);
});
