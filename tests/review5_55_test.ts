/**
 * Stop 55's fifth review: review2-55's lock `flock` and claim judgements attacked with real
 * processes.
 */
import { makeProject } from "./fixtures.ts";
import { finishRetriedInContainer } from "./support/container.ts";
import { pendingFiles, recordsOf } from "./support/runs.ts";
import { assert, assertEquals } from "./assert.ts";

Deno.test("a container's finish retried 0.3 s after its claim (well within the two seconds ps needs, past the 100 ms /proc needs) under the pid of the one killed holding the run's claim takes the claim over, not waited for 60 s as its own (review5-55 F1)", async () => {
  const { del } = await makeProject();
  // Sooner than 100 ms after the claim, a process under that pid may be the claimer itself (its
  // start time is known to the tick, the claim's ctime to a tick): a restart is never that quick.
  const { retried, ms } = await finishRetriedInContainer(del, 300);
  assertEquals(retried.code, 0, new TextDecoder().decode(retried.stderr));
  assert(ms < 10_000, `waited for its own pid: ${ms} ms`);
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["4_DOCUMENTS"]);
  assertEquals(pendingFiles(del), []);
});
