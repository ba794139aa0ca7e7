/**
 * `runrec exec` killed with SIGKILL while its command, in a process group of
 * its own, runs on: `reap` leaves the run pending while that group lives
 * (the command still writes the run's outputs), and reaps it once the group
 * is gone.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/exec_killed_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals, assertIncludes } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { REAPED_ERROR } from "../src/pending.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { firstLine, pendingFiles, recordsOf, RUNREC } from "./support/runs.ts";

/** Whether process group `pgid` still has a process. */
function groupAlive(pgid: number): boolean {
  try {
    Deno.kill(-pgid, 0 as unknown as Deno.Signal);
    return true;
  } catch {
    return false;
  }
}

async function until(done: () => boolean, ms: number): Promise<void> {
  for (const deadline = Date.now() + ms; !done() && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

Deno.test("exec killed with SIGKILL while its command runs on: reap leaves the run while the command's group lives, and reaps it once that is gone", async () => {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir() };
  const gate = join(await tempDir(), "gate");
  // No stream a terminal: the command gets a process group of its own; it prints its pid.
  const exec = new Deno.Command(RUNREC[0], {
    args: [
      ...RUNREC.slice(1),
      ...["exec", del, "--agent", "DEPENDENCIES", "--", "sh", "-c"],
      `echo $$; while [ ! -e '${gate}' ]; do sleep 0.05; done; echo done > Dependencies.csv`,
    ],
    cwd: del,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  const pgid = Number(await firstLine(exec.stdout));
  try {
    const [file] = pendingFiles(del);
    const watched = () => {
      try {
        return JSON.parse(Deno.readTextFileSync(join(del, ".runrec", "pending", file))).command;
      } catch {
        return undefined; // being rewritten
      }
    };
    await until(() => watched() !== undefined, 5_000);
    exec.kill("SIGKILL");
    await exec.status;
    assertEquals(groupAlive(pgid), true);
    const early = await runCliProcess(["reap", del], FULL_FLAGS, env);
    assertEquals([early.code, early.stdout], [0, ""], early.stderr);
    const older = await runCliProcess(["reap", del, "--older-than", "0s"], FULL_FLAGS, env);
    assertEquals([older.code, older.stdout], [0, ""], older.stderr);
    assertEquals(await recordsOf(del), []);
    await Deno.writeTextFile(gate, "");
    await until(() => !groupAlive(pgid), 10_000);
    assertEquals(await Deno.readTextFile(join(del, "Dependencies.csv")), "done\n");
    const late = await runCliProcess(["reap", del], FULL_FLAGS, env);
    assertEquals(late.code, 0, late.stderr);
    assertIncludes(late.stdout, "is gone");
    const records = await recordsOf(del);
    assertEquals(records.map((r) => [r.RunStatus, r.ErrorSummary]), [["FAILED", REAPED_ERROR]]);
    assertEquals(pendingFiles(del), []);
  } finally {
    await Deno.writeTextFile(gate, ""); // the command ends, whatever failed
    await until(() => !groupAlive(pgid), 10_000);
  }
  await Deno.remove(root, { recursive: true });
});
