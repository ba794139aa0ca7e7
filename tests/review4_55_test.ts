/**
 * pending-55's kept copies of a linked work tree's pending runs (src/kept_runs.ts), attacked:
 * an agent alive while its work tree is removed (`git worktree remove --force`) finishes by its
 * token into the work tree that stands for it, claiming the copy, so no reap later records it
 * FAILED. Real git work trees, runrec as real processes.
 *
 * ```sh
 * deno test -A tests/review4_55_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { cli, DEL, KEPT, repository, workTree } from "./support/work_tree_project.ts";
import { assertEquals, assertMatch } from "./assert.ts";
import { git, tempDir } from "./fixtures.ts";
import { recordsOf } from "./support/runs.ts";
import { whileReadOnly } from "./support/read_only.ts";

/** The files beneath `folder`, as paths (none when it is not there). */
async function filesBeneath(folder: string): Promise<string[]> {
  const found: string[] = [];
  try {
    for await (const entry of Deno.readDir(folder)) {
      const path = join(folder, entry.name);
      if (entry.isDirectory) found.push(...await filesBeneath(path));
      else if (entry.name.endsWith(".json")) found.push(path);
    }
  } catch { /* none */ }
  return found;
}

Deno.test("agents alive while their linked work tree is removed (--force) finish by their tokens into the main work tree, once: no copy left for a reap (another TMPDIR's) to record FAILED", async () => {
  const { root, env } = await repository();
  const wt = await workTree(root, "-b", "t2");
  const agent = new Deno.Command("sleep", { args: ["600"], stdout: "null" }).spawn();
  const start = async () => {
    const started = await cli(wt, env, "start", DEL, "--agent", "B", "--pid", `${agent.pid}`);
    assertEquals(started.code, 0, started.stderr);
    return started.stdout.trim();
  };
  try {
    const [first, second] = [await start(), await start()];
    await git(root, "worktree", "remove", "--force", wt);

    const plain = await cli(root, env, "finish", first, "--status", "SUCCESS");
    assertEquals(plain.code, 0, plain.stderr);
    // From the token alone (--agent): was spooled for a folder that never comes back.
    const named = await cli(root, env, "finish", second, "--status", "SUCCESS", "--agent", "B");
    assertEquals(named.code, 0, named.stderr);
  } finally {
    agent.kill("SIGKILL");
    await agent.status;
  }

  const reap = await cli(root, { TMPDIR: await tempDir() }, "reap", ".");
  assertEquals(reap.code, 0, reap.stderr);
  const runs = (await recordsOf(join(root, DEL))).filter((r) => r.AgentName === "B");
  assertEquals(runs.map((r) => r.RunStatus), ["SUCCESS", "SUCCESS"], reap.stdout);
  assertEquals(await filesBeneath(join(root, KEPT)), []);
});

Deno.test("an agent alive in a linked work tree moved by plain mv: its finish by the old token records nothing in the main work tree; once repaired, its finish there records it once and leaves no copy", async () => {
  const { root, env } = await repository();
  const wt = await workTree(root, "-b", "t2");
  const agent = new Deno.Command("sleep", { args: ["600"], stdout: "null" }).spawn();
  const moved = `${wt}-moved`;
  try {
    const started = await cli(wt, env, "start", DEL, "--agent", "B", "--pid", `${agent.pid}`);
    assertEquals(started.code, 0, started.stderr);
    const token = started.stdout.trim();
    await Deno.rename(wt, moved);

    // Git lists the work tree still (prunable): the run is the moved work tree's, not main's.
    const old = await cli(root, env, "finish", token, "--status", "SUCCESS");
    assertEquals(old.code, 2, old.stderr);
    assertEquals((await recordsOf(join(root, DEL))).filter((r) => r.AgentName === "B"), []);

    await git(moved, "worktree", "repair");
    const id = token.split("/").at(-1)!.replace(/\.json$/, "");
    const there = await cli(moved, env, "finish", DEL, "--run", id, "--status", "SUCCESS");
    assertEquals(there.code, 0, there.stderr);
  } finally {
    agent.kill("SIGKILL");
    await agent.status;
  }
  const reap = await cli(root, env, "reap", ".");
  assertEquals(reap.code, 0, reap.stderr);
  const runs = [join(root, DEL), join(moved, DEL)].map(async (del) =>
    (await recordsOf(del)).filter((r) => r.AgentName === "B").map((r) => r.RunStatus)
  );
  assertEquals(await Promise.all(runs), [[], ["SUCCESS"]]);
  assertEquals(await filesBeneath(join(root, KEPT)), []);
});

Deno.test("a start in a linked work tree whose run's copy cannot be kept in the common git folder (read-only there, a bind mount) says so: git worktree remove would leave the run recorded by no one", async () => {
  const { root, env } = await repository();
  const wt = await workTree(root, "-b", "t2");
  await Deno.mkdir(join(root, KEPT));
  const started = await whileReadOnly(
    join(root, KEPT),
    () => cli(wt, env, "start", DEL, "--agent", "B"),
  );
  assertEquals(started.code, 0, started.stderr);
  assertMatch(
    started.stderr,
    /^runrec: warning: .*DEL-01-02_Thing: run \S+ not kept in the common git folder \(.*Read-only file system.*\): finish or reap it before git worktree remove of this work tree, which takes its file away\n$/,
  );
  const finish = await cli(wt, env, "finish", started.stdout.trim(), "--status", "SUCCESS");
  assertEquals(finish.code, 0, finish.stderr);
});

Deno.test("a work tree added again where a removed one was, its killed run reaped in the main work tree: the late finish by the token, from the new work tree, supersedes the FAILED record there, and records nothing in the new one", async () => {
  const { root, env } = await repository();
  const wt = await workTree(root, "-b", "t2");
  const agent = new Deno.Command("sleep", { args: ["600"], stdout: "null" }).spawn();
  const started = await cli(wt, env, "start", DEL, "--agent", "B", "--pid", `${agent.pid}`);
  agent.kill("SIGKILL");
  await agent.status;
  assertEquals(started.code, 0, started.stderr);
  await git(root, "worktree", "remove", wt);
  await git(root, "worktree", "add", "-q", "-b", "t3", wt);
  const reap = await cli(root, env, "reap", ".");
  assertEquals(reap.code, 0, reap.stderr);

  // Without --agent (was: exit 2, "its file was removed"); with it, a second record in t3.
  const late = await cli(wt, env, "finish", started.stdout.trim(), "--status", "SUCCESS");
  assertEquals(late.code, 0, late.stderr);
  const runs = [join(root, DEL), join(wt, DEL)].map(async (del) =>
    (await recordsOf(del)).filter((r) => r.AgentName === "B").map((r) => r.RunStatus)
  );
  assertEquals(await Promise.all(runs), [["FAILED", "SUCCESS"], []]);
  const [failed, success] = (await recordsOf(join(root, DEL))).filter((r) => r.AgentName === "B");
  assertMatch(success.Notes, new RegExp(`supersedes=${failed.RunID}`));
});
