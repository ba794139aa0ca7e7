/**
 * Commands run again as they were, as an agent or orchestrator does when it
 * cannot tell whether the first try worked (retry-sweep): each run is said
 * once, or the repeat is warned of.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/retry_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals, assertIncludes } from "./assert.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { runCliProcess } from "./cli.ts";
import { isolatedProject, recordsOf } from "./support/runs.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";

Deno.test("retry: an emit retried after its first try was spooled is replayed with the repeat warned of, by flush and by the next emit (retry-sweep F1)", async () => {
  for (const replayBy of ["flush", "emit"] as const) {
    const { del, env } = await isolatedProject();
    const emit = [
      ...["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
      ...["--started", "2026-12-04T10:00:00Z", "--duration", "60s"],
    ];
    await Deno.mkdir(join(del, RECORD_FILE)); // the write fails: both tries are spooled
    for (let i = 0; i < 2; i++) {
      assertEquals((await runCliProcess(emit, FULL_FLAGS, env)).code, 0);
    }
    await Deno.remove(join(del, RECORD_FILE));
    const replayed = replayBy === "flush"
      ? await runCliProcess(["flush", del], FULL_FLAGS, env)
      : await runCliProcess(
        ["emit", del, "--agent", "DEPENDENCIES", "--status", "SUCCESS"],
        FULL_FLAGS,
        env,
      );
    assertEquals(replayed.code, 0, replayed.stderr);
    assertIncludes(replayed.stderr, "-1000-002 replayed into");
    assertIncludes(replayed.stderr, "repeats RUN-DEL-01-02-20261204-1000-001");
    assertIncludes(replayed.stderr, '--invalidates --note "recorded twice"');
  }
});

Deno.test("retry: an annotate retried as it was is refused, naming the annotation there; a withdrawn one may be made again (retry-sweep F4)", async () => {
  const { del, env } = await isolatedProject();
  const emitted = await runCliProcess(
    ["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  const runId = emitted.stdout.trim();
  const annotate = ["annotate", del, runId, "--note", "checked by QA"];
  const first = await runCliProcess(annotate, FULL_FLAGS, env);
  assertEquals(first.code, 0, first.stderr);
  const again = await runCliProcess(annotate, FULL_FLAGS, env);
  assertEquals(again.code, 2);
  assertIncludes(again.stderr, `annotated so already, by annotation ${first.stdout.trim()}`);
  assertEquals((await recordsOf(del)).length, 2);
  const withdraw = ["annotate", del, first.stdout.trim(), "--invalidates", "--note", "wrong"];
  assertEquals((await runCliProcess(withdraw, FULL_FLAGS, env)).code, 0);
  const remade = await runCliProcess(annotate, FULL_FLAGS, env);
  assertEquals(remade.code, 0, remade.stderr);
  assertEquals((await recordsOf(del)).length, 4);
});

Deno.test("retry: a flush killed after claiming a spool entry, not yet waited for by its parent (a zombie), leaves nothing stuck: the next flush replays the entry (race-sweep F1)", async () => {
  const { del, env } = await isolatedProject();
  const emit = ["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"];
  assertEquals((await runCliProcess(emit, FULL_FLAGS, env)).code, 0);
  const clean = await Deno.readTextFile(join(del, RECORD_FILE));
  await Deno.writeTextFile(join(del, RECORD_FILE), ">>>>>>> other\n", { append: true });
  assertEquals((await runCliProcess(emit, FULL_FLAGS, env)).code, 0); // refused: spooled
  await Deno.writeTextFile(join(del, RECORD_FILE), clean);
  // A parent (python) that kills its flush once the entry is claimed, and flushes again before
  // it waits for the killed one.
  const flush = [Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, "flush", del];
  const script = `
import json, os, subprocess, sys, time
spool = sys.argv[1]
cmd = json.loads(sys.argv[2])
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while not any(".claim-" in f for f in os.listdir(spool)):
    time.sleep(0.001)
p.kill()
time.sleep(0.3)
state = open("/proc/%d/stat" % p.pid).read().split()[2]
r = subprocess.run(cmd, capture_output=True, text=True)
print(json.dumps({"state": state, "code": r.returncode, "out": r.stdout, "err": r.stderr}))
p.wait()
`;
  const ran = await new Deno.Command("python3", {
    args: ["-c", script, join(del, ".runrec-spool"), JSON.stringify(flush)],
    env,
    stdout: "piped",
  }).output();
  const second = JSON.parse(new TextDecoder().decode(ran.stdout));
  assertEquals(second.state, "Z", "the killed flush is a zombie while the second runs");
  assertEquals(second.code, 0, second.err);
  assertIncludes(second.out, "replayed into");
  assertEquals((await recordsOf(del)).length, 2);
});
