/**
 * reviewpending-57: the review of pending-57's start/finish/reap changes, attacked with real
 * processes. A host whose name holds `~` (a UTS namespace of its own, `unshare --uts`): its
 * killed agents' runs are reaped, as before the claim's `~<start>` was added. A finisher in a time
 * namespace of its own (`unshare --time`, its boot counted elsewhere): its live claim is left.
 *
 * ```sh
 * deno test -A tests/review_pending57_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { DEL, repository } from "./support/work_tree_project.ts";
import { recordsOf, RUNREC, RUNREC_SH } from "./support/runs.ts";
import { spawnHeld } from "./support/held.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";

/**
 * Runs the shell script `script` in `cwd` on a host named `host` (a UTS namespace of its own),
 * with `$RUNREC` the CLI.
 */
async function onHost(cwd: string, env: Record<string, string>, host: string, script: string) {
  const out = await new Deno.Command("unshare", {
    args: [
      "--uts",
      "python3",
      "-c",
      "import os, socket, sys; socket.sethostname(sys.argv[1]); os.execvp('sh', sys.argv[2:])",
      host,
      "sh",
      "-c",
      `RUNREC="${RUNREC_SH.replaceAll('"', '\\"')}"; ${script}`,
    ],
    cwd,
    env: { NO_COLOR: "1", ...env },
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("a host whose name holds '~' and digits (vm~5): its killed agent's run is reaped FAILED, not left as another host's, and its late finish supersedes (reviewpending-57)", async () => {
  const { root, env } = await repository();
  const run = await onHost(
    root,
    env,
    "vm~5",
    `sleep 600 & agent=$!
     token=$(eval "$RUNREC start '${DEL}' --agent B --pid $agent") || exit 9
     kill -9 $agent; wait $agent
     eval "$RUNREC reap ." || exit 8
     eval "$RUNREC finish '$token' --status SUCCESS" || exit 7`,
  );
  assertEquals(run.code, 0, run.stderr);
  assertMatch(run.stdout, /B started \S+: its process [0-9]+ on vm~5 is gone/);
  const runs = (await recordsOf(join(root, DEL))).filter((r) => r.AgentName === "B");
  assertEquals(runs.map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  assertMatch(runs[1].Notes, new RegExp(`finished after reap: supersedes=${runs[0].RunID}`));
});

Deno.test("a live finisher in a time namespace of its own (unshare --time --boottime -5000): reap from outside leaves its claim (its start since boot told in another count), and the run is recorded once, SUCCESS (reviewpending-57)", async () => {
  const { root, env } = await repository();
  const agent = new Deno.Command("sleep", { args: ["600"] }).spawn();
  const started = await new Deno.Command("sh", {
    args: ["-c", `${RUNREC_SH} start '${DEL}' --agent B --pid ${agent.pid}`],
    cwd: root,
    env,
    stdout: "piped",
  }).output();
  agent.kill("SIGKILL");
  await agent.status;
  const token = new TextDecoder().decode(started.stdout).trim();
  const lock = join(root, DEL, "RunRecords.csv.lock");
  const finish = await spawnHeld(
    [
      "unshare",
      "--time",
      "--fork",
      "--boottime",
      "-5000",
      ...RUNREC,
      "finish",
      token,
      "--status",
      "SUCCESS",
    ],
    { calls: "openat,open", path: lock, cwd: root, env, when: "1" },
  );
  await finish.held(1, "the finisher, its run claimed, at its lock");
  const claims = [...Deno.readDirSync(join(root, DEL, ".runrec", "pending"))].map((e) => e.name);
  assertEquals(claims.length, 1);
  assertMatch(claims[0], /\.claim-[0-9]+@[^~]+~[0-9]+$/);
  const reap = await new Deno.Command("sh", {
    args: ["-c", `${RUNREC_SH} reap .`],
    cwd: root,
    env,
    stdout: "piped",
  }).output();
  const said = new TextDecoder().decode(reap.stdout);
  assertEquals(reap.code, 0);
  assert(!said.includes("died"), said);
  await finish.release();
  assertEquals((await finish.child.status).code, 0);
  const runs = (await recordsOf(join(root, DEL))).filter((r) => r.AgentName === "B");
  assertEquals(runs.map((r) => r.RunStatus), ["SUCCESS"], said);
});
