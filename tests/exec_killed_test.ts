/**
 * `runrec exec` killed with SIGKILL while its command, in a process group of
 * its own, runs on: `reap` leaves the run pending while the command lives
 * (it still writes the run's outputs), and reaps it once the command has
 * ended, though a process it left in its group runs on.
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

/** Whether process `pid` (a negative number: process group) still has a process. */
function alive(pid: number): boolean {
  try {
    Deno.kill(pid, 0 as unknown as Deno.Signal);
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

Deno.test("exec killed with SIGKILL while its command runs on: reap leaves the run while the command lives, and reaps it once it has ended, though a process it left runs on", async () => {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir() };
  const gate = join(await tempDir(), "gate");
  // No stream a terminal: the command gets a process group of its own; it prints its pid.
  const exec = new Deno.Command(RUNREC[0], {
    args: [
      ...RUNREC.slice(1),
      ...["exec", del, "--agent", "DEPENDENCIES", "--", "sh", "-c"],
      // A process left in the command's group (no wait) must not keep the run pending for ever.
      `echo $$; (sleep 60 &); while [ ! -e '${gate}' ]; do sleep 0.05; done; echo done > Dependencies.csv`,
    ],
    cwd: del,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  const pgid = Number(await firstLine(exec.stdout));
  try {
    // Watched: the command in the run's file, and the file no longer claimed by exec's rewrite.
    const watched = () => {
      const [file] = pendingFiles(del);
      try {
        if (!file.endsWith(".json")) return undefined;
        return JSON.parse(Deno.readTextFileSync(join(del, ".runrec", "pending", file))).command;
      } catch {
        return undefined; // being rewritten
      }
    };
    await until(() => watched() !== undefined, 5_000);
    exec.kill("SIGKILL");
    await exec.status;
    assertEquals(alive(pgid), true);
    const early = await runCliProcess(["reap", del], FULL_FLAGS, env);
    assertEquals([early.code, early.stdout], [0, ""], early.stderr);
    const older = await runCliProcess(["reap", del, "--older-than", "0s"], FULL_FLAGS, env);
    assertEquals([older.code, older.stdout], [0, ""], older.stderr);
    assertEquals(await recordsOf(del), []);
    await Deno.writeTextFile(gate, "");
    await until(() => !alive(pgid), 10_000);
    assertEquals(alive(-pgid), true); // the left `sleep 60`
    assertEquals(await Deno.readTextFile(join(del, "Dependencies.csv")), "done\n");
    const late = await runCliProcess(["reap", del], FULL_FLAGS, env);
    assertEquals(late.code, 0, late.stderr);
    assertIncludes(late.stdout, "is gone");
    const records = await recordsOf(del);
    assertEquals(records.map((r) => [r.RunStatus, r.ErrorSummary]), [["FAILED", REAPED_ERROR]]);
    assertEquals(pendingFiles(del), []);
  } finally {
    await Deno.writeTextFile(gate, ""); // the command ends, whatever failed
    try {
      Deno.kill(-pgid, "SIGKILL"); // and what it left
    } catch { /* gone */ }
    await until(() => !alive(-pgid), 10_000);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec whose command renames its deliverable folder at once, 10 times: each run recorded in the renamed folder, never held by exec's own claim", async () => {
  // exec adds the command to its pending run under a claim, just as the command starts: a
  // rename then moved the claim with the folder (the run was "being finished" by exec itself).
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir() };
  for (let i = 0; i < 10; i++) {
    const [from, to] = i % 2 === 0 ? [del, `${del}_X`] : [`${del}_X`, del];
    const exec = await runCliProcess(
      ["exec", from, "--agent", "DEPENDENCIES", "--", "mv", from, to],
      FULL_FLAGS,
      env,
    );
    assertEquals(exec.code, 0, exec.stderr);
    assertEquals(exec.stderr.includes("not recorded"), false, exec.stderr);
    assertEquals(pendingFiles(to), []);
  }
  const records = [...await recordsOf(del), ...await recordsOf(`${del}_X`)];
  assertEquals(records.length, 10);
  await Deno.remove(root, { recursive: true });
});
