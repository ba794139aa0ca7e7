/**
 * Stop 55's second review of newuser-55's pid judgements: a container's process restarted under the
 * pid of one killed mid-finish (each start of a container's first process gets the same pid).
 */
import { basename, join } from "node:path";
import { RECORD_FILE } from "../src/deliverable.ts";
import { makeProject, ROOT } from "./fixtures.ts";
import { clockMovedEnv, runCliProcess } from "./cli.ts";
import { finishRetriedInContainer } from "./support/container.ts";
import { pendingFiles, recordsOf } from "./support/runs.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";

Deno.test("a container's finish retried under the pid of the one killed while it held the run's claim takes the claim over at once and records the run, not waited for as its own (review2-55 F1)", async () => {
  const { del } = await makeProject();
  // A start told from the claim by the system's (to the second where only `ps` tells it).
  const { claim, retried, ms } = await finishRetriedInContainer(del, 2500);
  assert(/\.json\.claim-[0-9]+@/.test(claim), claim);
  assertEquals(retried.code, 0, new TextDecoder().decode(retried.stderr));
  assert(ms < 10_000, `waited for its own pid: ${ms} ms`);
  assertEquals((await recordsOf(del)).map((r) => `${r.AgentName} ${r.RunStatus}`), [
    "4_DOCUMENTS SUCCESS",
  ]);
  assertEquals(pendingFiles(del), []);
});

Deno.test("a Worker stalled inside its write past its lease is not taken over by another thread of its process: one header, RunIDs unique (review2-55 F2)", async () => {
  const { del } = await makeProject();
  const file = join(del, RECORD_FILE);
  // The first write to the record file (the Worker's) waits 3 s in the system, its check done.
  const stall = ["-P", file, "-e", "trace=write", "-e", "inject=write:delay_enter=3000000:when=1"];
  const out = await new Deno.Command("strace", {
    args: [
      ...["-f", "--seccomp-bpf", "-qq", "-o", "/dev/null", ...stall],
      ...[Deno.execPath(), "run", "-A", join(ROOT, "tests/support/stalled_worker.ts"), del],
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const [main, worker] = new TextDecoder().decode(out.stdout).trim().split("\n");
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assertMatch(worker, /^WORKER RUN-/);
  assertMatch(main, /^MAIN RUN-/);
  const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
  assertEquals(
    lines.filter((line) => line.startsWith("SchemaVersion,")).length,
    1,
    lines.join("\n"),
  );
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["WORKER", "MAIN"]);
  assert(worker.split(" ")[1] !== main.split(" ")[1], `one RunID twice: ${worker}, ${main}`);
});

Deno.test("a live finisher's claim on a pending run is not taken over by a reap whose clock is an hour on (its start is not told against the claim's ctime for another pid)", async () => {
  const { del } = await makeProject();
  const started = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"]);
  const run = started.stdout.trim();
  const finisher = new Deno.Command("sleep", { args: ["30"] }).spawn();
  try {
    // Claimed as a finish claims it, after the finisher started.
    Deno.renameSync(run, `${run}.claim-${finisher.pid}@${Deno.hostname()}`);
    const reap = await runCliProcess(["reap", del], undefined, clockMovedEnv("+1h"));
    assertEquals(reap.code, 0, reap.stderr);
    assertEquals(await recordsOf(del), []);
    assertEquals(pendingFiles(del), [`${basename(run)}.claim-${finisher.pid}@${Deno.hostname()}`]);
  } finally {
    finisher.kill();
    await finisher.status;
  }
});
