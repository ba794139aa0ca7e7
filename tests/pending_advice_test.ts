/**
 * What runrec says about pending runs: the advice to reap names
 * `--older-than` for runs started without `--pid`; a second start of an
 * agent names its run still pending; `finish <del-dir> --agent X` picks X's
 * run among several agents'; `start --pid` of no process warns.
 */
import { join } from "node:path";
import { assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { whileReadOnly } from "./support/read_only.ts";
import { finishRun, startRun } from "../mod.ts";
import { RETRY_NOT_BEFORE_MS } from "../src/retried_start.ts";
import { pendingFiles, recordsOf } from "./support/runs.ts";

/** The id of the run a token names. */
function idOf(token: string): string {
  return token.split("/").at(-1)!.replace(/\.json$/, "");
}

Deno.test("runs started without --pid: reap says they need --older-than, and log's advice names it", async () => {
  const { root, del } = await makeProject();
  const start = await runCliProcess(["start", del, "--agent", "CHIRALITY_LENS"]);
  assertEquals(start.code, 0, start.stderr);
  const reap = await runCliProcess(["reap", del]);
  assertEquals([reap.code, reap.stdout], [0, ""], reap.stderr);
  assertMatch(reap.stderr, /1 pending run\(s\) started without --pid.*--older-than DURATION/);
  const log = await runCliProcess(["log", del]);
  assertMatch(log.stderr, /runrec reap \S+ --older-than DURATION once their agents are gone/);
  const reaped = await runCliProcess(["reap", del, "--older-than", "0s"]);
  assertEquals(reaped.code, 0, reaped.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a second start of an agent whose run is still pending warns, naming that run; another agent's start does not", async () => {
  const { root, del } = await makeProject();
  const first = await runCliProcess(["start", del, "--agent", "DEPENDENCIES"]);
  const other = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"]);
  assertEquals(other.stderr.includes("still pending"), false, other.stderr);
  const second = await runCliProcess(["start", del, "--agent", "DEPENDENCIES"]);
  assertEquals(second.code, 0, second.stderr);
  assertIncludes(
    second.stderr,
    `DEPENDENCIES's run ${idOf(first.stdout.trim())} (since `,
  );
  assertIncludes(second.stderr, `runrec finish ${first.stdout.trim()} --status S`);
  await Deno.remove(root, { recursive: true });
});

Deno.test("an emit while the same agent's started run is pending here warns, naming that run and what to do in each case: following it (take the emit back, finish the run) leaves one usable record; under exec, taking the emit back leaves the exec's record; another worker's run needs nothing (trial-x F1, review-x F1, review-y F1-F5)", async () => {
  const { root, del } = await makeProject();
  const token = (await runCliProcess(["start", del, "--agent", "DEPENDENCIES"])).stdout.trim();
  await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"]);
  const emit = await runCliProcess(["emit", del, "--agent", "DEPENDENCIES", "--status", "SUCCESS"]);
  assertEquals(emit.code, 0, emit.stderr);
  const emitted = emit.stdout.trim();
  const warnings = emit.stderr.split("\n").filter((l) => l.includes("still pending"));
  assertEquals(warnings.length, 1, emit.stderr); // the other agent's run is not named
  assertIncludes(warnings[0], `DEPENDENCIES's run ${idOf(token)} (since `);
  const takeBack = `runrec annotate ${del} ${emitted} --invalidates --note "recorded twice"`;
  assertIncludes(
    warnings[0],
    `if this emit recorded that same run, take this record back (${takeBack})`,
  );
  assertIncludes(warnings[0], `let that run be finished (runrec finish ${token} --status S ...;`);
  assertIncludes(warnings[0], "if it is another run of DEPENDENCIES at work, nothing to do");
  // As the warning says: one usable record of the run, the finish's, with the start's inputs.
  const annotate = ["annotate", del, emitted, "--invalidates", "--note", "recorded twice"];
  assertEquals((await runCliProcess(annotate)).code, 0);
  const finish = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(finish.code, 0, finish.stderr);
  const baseline = async (agent: string) =>
    JSON.parse((await runCliProcess(["stale", del, "--agent", agent, "--json"])).stdout)
      .checks[0].baseline.RunID;
  assertEquals(await baseline("DEPENDENCIES"), finish.stdout.trim());
  // Under exec: the emit inside names exec's run; taken back, exec's own record is the run's.
  const inner = await runCliProcess([
    ...["exec", del, "--agent", "CHIRALITY_LENS", "--"],
    ...[Deno.execPath(), "run", "-A", join(Deno.cwd(), "src/cli/main.ts")],
    ...["emit", del, "--agent", "CHIRALITY_LENS", "--status", "SUCCESS"],
  ]);
  assertEquals(inner.code, 0, inner.stderr);
  assertIncludes(inner.stderr, "one runrec exec or withRun started finishes itself");
  const [innerEmit, execRun] = (await recordsOf(del)).slice(-2).map((r) => r.RunID);
  await runCliProcess(["annotate", del, innerEmit, "--invalidates", "--note", "recorded twice"]);
  assertEquals(await baseline("CHIRALITY_LENS"), execRun);
  await Deno.remove(root, { recursive: true });
});

Deno.test("an emit or exec whose agent or output looks misspelt: the record is written, and a warning names its RunID and the annotate that takes it back; a clean emit gets none (trial-x F3)", async () => {
  const { root, del } = await makeProject();
  const takeBack = (runId: string) =>
    `take it back: runrec annotate ${del} ${runId} --invalidates --note "recorded in error"`;
  const emit = (agent: string, ...more: string[]) =>
    runCliProcess(["emit", del, "--agent", agent, "--status", "SUCCESS", ...more]);
  const agent = await emit("dependencies");
  assertEquals(agent.code, 0, agent.stderr);
  assertIncludes(agent.stderr, takeBack(agent.stdout.trim()));
  const output = await emit("DEPENDENCIES", "--output", "Dependencies.csv,_DEPENDENCIES.md");
  assertIncludes(output.stderr, takeBack(output.stdout.trim()));
  const exec = await runCliProcess(["exec", del, "--agent", "CHIRALTY_LENS", "--", "true"]);
  assertEquals(exec.code, 0, exec.stderr);
  const [execRun] = (await recordsOf(del)).slice(-1).map((r) => r.RunID);
  assertIncludes(exec.stderr, takeBack(execRun));
  const clean = await emit("DEPENDENCIES");
  assertEquals([clean.code, clean.stderr], [0, ""]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a start retried after its token was lost: its warning says to go on with this token, and to leave the earlier run alone unless its finish was forgotten (review-s F7); reap writes the earlier run FAILED noting the retry and naming the retry's record", async () => {
  const { root, del } = await makeProject();
  const start = ["start", del, "--agent", "4_DOCUMENTS", "--input", "_CONTEXT.md"];
  const lost = await runCliProcess(start); // the tool call timed out: its token never seen
  assertEquals(lost.code, 0, lost.stderr);
  await new Promise((resolve) => setTimeout(resolve, RETRY_NOT_BEFORE_MS)); // the timeout
  const retry = await runCliProcess(start);
  assertEquals(retry.code, 0, retry.stderr);
  assertMatch(
    retry.stderr,
    new RegExp(
      `4_DOCUMENTS's run ${idOf(lost.stdout.trim())} \\(since \\S+, \\d+\\.\\d s before this ` +
        "start, with the same inputs\\) is still pending here: if this start was retried after " +
        "its token was lost, go on with this token \\(the earlier run is reaped FAILED, its note " +
        "saying it was probably a retried start when this run is recorded first\\)",
    ),
  );
  // Not a retry is not a forgotten finish: a sibling of a fan-out must leave the earlier run
  // alone, not finish it with its own outcome (review-s F7).
  assertIncludes(
    retry.stderr,
    "; if the earlier run is another agent's still at work (a fan-out, another session), leave " +
      `it alone; only if its finish was forgotten, runrec finish ${lost.stdout.trim()} --status ` +
      "S ... records it",
  );
  assertEquals(retry.stderr.includes("else finish"), false, retry.stderr);
  const finish = await runCliProcess([
    ...["finish", retry.stdout.trim(), "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
  ]);
  assertEquals(finish.code, 0, finish.stderr);
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"]);
  assertEquals(reap.code, 0, reap.stderr);
  const [real, reaped] = await recordsOf(del);
  assertEquals([real.RunStatus, reaped.RunStatus], ["SUCCESS", "FAILED"]);
  const note = new RegExp(
    `probably a retried start: a start \\d+\\.\\d s later with the same inputs ` +
      `\\(run id ${idOf(retry.stdout.trim())}\\) is recorded as ${real.RunID}`,
  );
  assertMatch(reaped.Notes, note);
  assertMatch(reap.stdout, note);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a start retried in a read-only deliverable folder (both runs kept in $TMPDIR/runrec-pending-<uid>/): its warning names the earlier run kept there (soak4 F5)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const env = { TMPDIR: tmp };
  const start = ["start", del, "--agent", "4_DOCUMENTS", "--input", "_CONTEXT.md"];
  const [lost, retry] = await whileReadOnly(del, async () => {
    const lost = await runCliProcess(start, undefined, env);
    await new Promise((resolve) => setTimeout(resolve, RETRY_NOT_BEFORE_MS));
    return [lost, await runCliProcess(start, undefined, env)];
  });
  assertEquals([lost.code, retry.code], [0, 0], lost.stderr + retry.stderr);
  const kept = join(tmp, `runrec-pending-${Deno.uid()}`);
  assertEquals(lost.stdout.startsWith(kept), true, lost.stdout);
  assertMatch(
    retry.stderr,
    new RegExp(
      `4_DOCUMENTS's run ${idOf(lost.stdout.trim())} \\(since \\S+, \\d+\\.\\d s before this ` +
        "start, with the same inputs\\) is still pending here: if this start was retried after " +
        "its token was lost, go on with this token",
    ),
  );
  assertIncludes(
    retry.stderr,
    `only if its finish was forgotten, runrec finish ${lost.stdout.trim()} --status S ...`,
  );
  await Deno.remove(root, { recursive: true });
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("a retried start reaped before the retry is recorded: FAILED with no retried-start note, as the warning says; a twin started under a second before (a fan-out) is no retried start, for start nor reap (review-r F7)", async () => {
  const { root, del } = await makeProject();
  const gone = new Deno.Command("true").spawn();
  await gone.status;
  const start = ["start", del, "--agent", "4_DOCUMENTS", "--input", "_CONTEXT.md"];
  const lost = await runCliProcess([...start, "--pid", String(gone.pid)]);
  assertEquals(lost.code, 0, lost.stderr);
  await new Promise((resolve) => setTimeout(resolve, RETRY_NOT_BEFORE_MS));
  const retry = await runCliProcess(start);
  assertIncludes(retry.stderr, "probably a retried start when this run is recorded first");
  const reap = await runCliProcess(["reap", del]); // before the retry's finish
  assertEquals(reap.code, 0, reap.stderr);
  const finish = await runCliProcess([
    ...["finish", retry.stdout.trim(), "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
  ]);
  assertEquals(finish.code, 0, finish.stderr);
  const [reaped, real] = await recordsOf(del);
  assertEquals([reaped.RunStatus, real.RunStatus], ["FAILED", "SUCCESS"]);
  assertEquals(reaped.Notes.includes("retried"), false, reaped.Notes);
  // A fan-out: two runs of one agent started at once, on purpose.
  const options = { agent: "DEPENDENCIES", inputs: ["_CONTEXT.md"] };
  const one = await startRun(del, options);
  const two = await startRun(del, options);
  const warned = (two.warnings ?? []).join("\n");
  assertIncludes(warned, `DEPENDENCIES's run ${one.run.id} (since `);
  assertEquals(warned.includes("retried"), false, warned);
  await finishRun(two, { status: "SUCCESS" });
  const reapTwin = await runCliProcess(["reap", del, "--older-than", "0s"]);
  assertEquals(reapTwin.code, 0, reapTwin.stderr);
  const twin = (await recordsOf(del)).find((r) => r.Notes.includes(`run ${one.run.id}`))!;
  assertEquals(twin.RunStatus, "FAILED");
  assertEquals(twin.Notes.includes("retried"), false, twin.Notes);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a start of an agent with other inputs, another pass, or minutes after its pending run is no retry: the forgotten-finish warning, and reap notes no retry", async () => {
  const { root, del } = await makeProject();
  const start = (...more: string[]) =>
    runCliProcess(["start", del, "--agent", "4_DOCUMENTS", "--input", "_CONTEXT.md", ...more]);
  // A run started three minutes ago: its pending file as start would have written it then.
  const old = (await start()).stdout.trim();
  const run = JSON.parse(await Deno.readTextFile(old));
  const started = new Date(Date.parse(run.start.started) - 3 * 60_000).toISOString();
  const id = `${started.replace(/[-:.]/g, "")}-${run.id.split("-")[1]}`;
  // Its uptime then too, where start noted one: by it the run would be seconds old.
  const up = run.start.startedUptimeMs;
  const startedUptimeMs = up === undefined ? undefined : up - 3 * 60_000;
  await Deno.writeTextFile(
    join(del, ".runrec", "pending", `${id}.json`),
    JSON.stringify({ ...run, id, start: { ...run.start, started, startedUptimeMs } }),
  );
  await Deno.remove(old);
  const later = await start();
  assertIncludes(later.stderr, `4_DOCUMENTS's run ${id} (since ${started}) is still pending here`);
  assertEquals(later.stderr.includes("retried"), false, later.stderr);
  const finished = await runCliProcess([
    ...["finish", later.stdout.trim(), "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
  ]);
  assertEquals(finished.code, 0, finished.stderr);
  // Seconds apart, but another pass, or other inputs.
  for (const other of [["--pass", "2"], ["--input", "Datasheet.md"]]) {
    const first = (await start()).stdout.trim();
    const second = await start(...other);
    assertIncludes(second.stderr, `run ${idOf(first)} (since `);
    assertEquals(second.stderr.includes("retried"), false, second.stderr);
    const done = await runCliProcess([
      ...["finish", second.stdout.trim(), "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    ]);
    assertEquals(done.code, 0, done.stderr);
  }
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"]);
  assertEquals(reap.code, 0, reap.stderr);
  const failed = (await recordsOf(del)).filter((r) => r.RunStatus === "FAILED");
  assertEquals(failed.length, 3);
  for (const r of failed) assertEquals(r.Notes.includes("retried"), false, r.Notes);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <del-dir> --agent X picks X's run among pending runs of several agents", async () => {
  const { root, del } = await makeProject();
  const lens = (await runCliProcess(["start", del, "--agent", "CHIRALITY_LENS"])).stdout.trim();
  const deps = (await runCliProcess(["start", del, "--agent", "DEPENDENCIES"])).stdout.trim();
  const finish = await runCliProcess([
    "finish",
    del,
    "--agent",
    "CHIRALITY_LENS",
    "--status",
    "SUCCESS",
  ]);
  assertEquals(finish.code, 0, finish.stderr);
  const [record] = await recordsOf(del);
  assertIncludes(record.Notes, `run ${idOf(lens)}`);
  assertEquals(pendingFiles(del), [deps.split("/").at(-1)!]);
  // Two of one agent: still named with --run.
  await runCliProcess(["start", del, "--agent", "DEPENDENCIES"]);
  const two = await runCliProcess([
    "finish",
    del,
    "--agent",
    "DEPENDENCIES",
    "--status",
    "SUCCESS",
  ]);
  assertEquals(two.code, 2);
  assertIncludes(two.stderr, "2 pending runs of DEPENDENCIES; name one with --run");
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <del-dir> --agent X with no run of X says X has no pending run here, naming the other agents' runs only as context (review-q F7)", async () => {
  const { root, del } = await makeProject();
  const docs = idOf((await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"])).stdout.trim());
  const prep = idOf((await runCliProcess(["start", del, "--agent", "PREPARATION"])).stdout.trim());
  const finish = await runCliProcess([
    "finish",
    del,
    "--agent",
    "DEPENDENCIES",
    "--status",
    "SUCCESS",
  ]);
  assertEquals(finish.code, 2);
  const since = "since \\S+Z";
  assertMatch(
    finish.stderr,
    new RegExp(
      `^runrec finish: ${del}: DEPENDENCIES has no pending run here \\(its start may have ` +
        "failed, or it was never started, or is finished already\\); to record a run that " +
        `runrec start did not keep: runrec emit ${del} --agent DEPENDENCIES --status S \\.\\.\\.; ` +
        "pending here are only other agents' runs, which --agent DEPENDENCIES cannot finish: " +
        `${docs} \\(4_DOCUMENTS, ${since}\\), ${prep} \\(PREPARATION, ${since}\\)\n$`,
    ),
  );
  assertEquals(pendingFiles(del).length, 2);
  assertEquals(await recordsOf(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("start --pid of a process that does not exist warns (exit 0, the run kept)", async () => {
  const { root, del } = await makeProject();
  const gone = new Deno.Command("true").spawn();
  await gone.status;
  const start = await runCliProcess(["start", del, "--agent", "A", "--pid", String(gone.pid)]);
  assertEquals(start.code, 0, start.stderr);
  assertIncludes(start.stderr, `warning: --pid ${gone.pid}: no such process on this machine`);
  assertEquals(pendingFiles(del).length, 1);
  const alive = await runCliProcess(["start", del, "--agent", "B", "--pid", String(Deno.pid)]);
  assertEquals(alive.stderr.includes("no such process"), false, alive.stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("after a retried start, the agent's finish retried by folder: the first start's twin is not recorded (exit 2 'finished already' naming it, or naming both and --run for a run that is really another); after reap the same, naming the reaped twin (review-s F4)", async () => {
  const { root, del } = await makeProject();
  const start = ["start", del, "--agent", "4_DOCUMENTS", "--input", "_CONTEXT.md"];
  const lost = await runCliProcess(start); // its token never seen
  assertEquals(lost.code, 0, lost.stderr);
  const twin = idOf(lost.stdout.trim());
  await new Promise((resolve) => setTimeout(resolve, RETRY_NOT_BEFORE_MS));
  const retry = await runCliProcess(start);
  assertEquals(retry.code, 0, retry.stderr);
  const finished = await runCliProcess(
    ["finish", retry.stdout.trim(), "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
  );
  assertEquals(finished.code, 0, finished.stderr);
  const runId = finished.stdout.trim();
  const byFolder = (status: string) =>
    runCliProcess(["finish", del, "--agent", "4_DOCUMENTS", "--status", status]);
  const again = await byFolder("SUCCESS");
  assertEquals(again.code, 2, again.stderr);
  assertIncludes(again.stderr, "no run of 4_DOCUMENTS to finish by folder: its last run here, ");
  assertIncludes(again.stderr, `finished already (runrec log says): its record is ${runId}`);
  assertIncludes(
    again.stderr,
    `; ${twin} (4_DOCUMENTS, since `,
  );
  assertIncludes(again.stderr, `is recorded as ${runId}: reap writes it FAILED, saying so`);
  assertEquals(again.stderr.includes("runrec emit"), false, again.stderr);
  // Not a repeat of the recorded finish: both named, and the --run that records the twin.
  const unlike = await byFolder("FAILED");
  assertEquals(unlike.code, 2, unlike.stderr);
  assertIncludes(
    unlike.stderr,
    `only if it is another run (a fan-out), runrec finish ${del} --run ${twin} --status S ... ` +
      `records it; 4_DOCUMENTS's last run here, ${runId}, ended `,
  );
  assertEquals((await recordsOf(del)).map((r) => r.RunID), [runId]);
  // Reaped, the twin waits in .runrec/reaped/: the folder retry is still "finished already".
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"]);
  assertEquals(reap.code, 0, reap.stderr);
  const afterReap = await byFolder("SUCCESS");
  assertEquals(afterReap.code, 2, afterReap.stderr);
  assertIncludes(afterReap.stderr, `finished already (runrec log says): its record is ${runId}`);
  assertIncludes(afterReap.stderr, `; reap wrote ${twin} (4_DOCUMENTS, since `);
  assertIncludes(afterReap.stderr, `only if it is another run, finish it with --run ${twin}`);
  assertEquals(afterReap.stderr.includes("runrec emit"), false, afterReap.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.RunStatus), ["SUCCESS", "FAILED"]);
  await Deno.remove(root, { recursive: true });
});
