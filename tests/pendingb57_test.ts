/**
 * pendingb-57: a claim this very process made, judged against its own start. Deno reads a ctime
 * to the whole second: a claim made in the second the process started, past its first 100 ms,
 * looked made before the process, a predecessor's under its pid, and was taken over while its
 * finish wrote. One library process finishes one run twice at once, from its main thread twice,
 * and from its main thread and a Worker.
 *
 * ```sh
 * deno test -A tests/pendingb57_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { cli, DEL, repository } from "./support/work_tree_project.ts";
import { recordsOf } from "./support/runs.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";

const TWINS = new URL("./support/twin_finishes.ts", import.meta.url).pathname;

/** One outcome of a finish, or what it threw. */
type Finished = { threw?: string; warnings?: string[]; written?: { bytesWritten: number } };

/**
 * Finishes a run of agent `agent` twice at once in one process (`mode`: twice from its main
 * thread, or from it and a Worker), the process started just past a second's edge, so that its
 * claim falls in the second it started; whether it did, and the two outcomes.
 */
async function twinFinishes(
  root: string,
  env: Record<string, string>,
  agent: string,
  mode: string,
) {
  const started = await cli(root, env, "start", DEL, "--agent", agent, "--pid", `${Deno.pid}`);
  assertEquals(started.code, 0, started.stderr);
  while (Date.now() % 1000 < 110 || Date.now() % 1000 > 140) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TWINS, started.stdout.trim(), mode],
    cwd: root,
    env,
    stdout: "piped",
  }).output();
  assert(out.success);
  const { both, beganAt, start } = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    both: Finished[];
    beganAt: number;
    start: number;
  };
  const placed = start % 1000 > 100 && Math.floor(start / 1000) === Math.floor(beganAt / 1000);
  return { placed, both };
}

Deno.test("one run finished twice at once in one process (its main thread twice; it and a Worker), its claim made in the second the process started, past its first 100 ms: one finish writes, the other waits for it and says finished already; one record (pendingb-57)", async () => {
  const { root, env } = await repository();
  for (const mode of ["main", "both"]) {
    let placed = false;
    for (let attempt = 0; attempt < 3 && !placed; attempt++) {
      const agent = `B_${mode}_${attempt}`;
      const twins = await twinFinishes(root, env, agent, mode);
      placed = twins.placed;
      const [wrote, refused] = twins.both[0].threw === undefined ? twins.both : [
        twins.both[1],
        twins.both[0],
      ];
      assertEquals(wrote.warnings, [], JSON.stringify(wrote));
      assert(wrote.written!.bytesWritten > 0, JSON.stringify(wrote));
      assertMatch(refused.threw ?? JSON.stringify(refused), /finished already/);
      const runs = (await recordsOf(join(root, DEL))).filter((r) => r.AgentName === agent);
      assertEquals(runs.map((r) => r.RunStatus), ["SUCCESS"]);
    }
    assert(placed, `${mode}: no start and claim fell in one second past its first 100 ms`);
  }
});
