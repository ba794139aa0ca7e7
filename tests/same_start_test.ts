/**
 * Runs of one agent started in the same millisecond (a `withRun` fan-out,
 * an orchestrator starting several at once) are told apart by their run id:
 * each is recorded once, none is taken for another's record, and `reap`
 * leaves a live run's pending file alone (review19 F5).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/same_start_test.ts
 * ```
 *
 * @module
 */
import { assert, assertEquals } from "./assert.ts";
import { finishRun, type StartedRun, startRun, withRun } from "../src/run.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject } from "./fixtures.ts";
import { pendingFiles, recordsOf } from "./support/runs.ts";
import { scriptRun } from "./support/library_script.ts";

/** How many of `starts` share a start time with another: the case under test. */
function sharing(starts: readonly string[]): number {
  return starts.filter((s) => starts.indexOf(s) !== starts.lastIndexOf(s)).length;
}

/**
 * Starts `n` runs of one agent at once, again until at least two share a
 * millisecond (nearly always the first time); the others are finished first.
 */
async function startTogether(del: string, n: number, pid?: number): Promise<StartedRun[]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const runs = await Promise.all(
      Array.from(
        { length: n },
        () => startRun(del, { agent: "4_DOCUMENTS", ...pid !== undefined ? { pid } : {} }),
      ),
    );
    if (sharing(runs.map((r) => r.run.start.started)) >= 2) return runs;
    for (const run of runs) await finishRun(run, { status: "SUCCESS" });
  }
  throw new Error("no two runs started in one millisecond in 20 attempts");
}

/** Each run's id is named by exactly one record of `del`, and no record names none. */
async function eachRecordedOnce(del: string, ids: readonly string[], before = 0): Promise<void> {
  const records = (await recordsOf(del)).slice(before);
  assertEquals(records.length, ids.length, records.map((r) => r.Notes).join("\n"));
  for (const id of ids) {
    assertEquals(records.filter((r) => r.Notes.includes(`run ${id}`)).length, 1, id);
  }
}

Deno.test("withRun x3 in one process (Promise.all): each run recorded once, none refused as recorded already", async () => {
  const { root, del } = await makeProject();
  for (let attempt = 0;; attempt++) {
    const before = (await recordsOf(del)).length;
    const ids: string[] = [];
    const starts: string[] = [];
    const outcomes: string[] = [];
    await Promise.all(["a", "b", "c"].map((part) =>
      withRun(
        del,
        { agent: "4_DOCUMENTS", onOutcome: (o) => outcomes.push(o.written?.record.RunID ?? "-") },
        async (run) => {
          ids.push(run.id);
          starts.push(run.id.slice(0, 19));
          run.notes = `part ${part}`;
          await new Promise((resolve) => setTimeout(resolve, 50));
        },
      )
    ));
    assertEquals(outcomes.filter((o) => o !== "-").length, 3, outcomes.join());
    await eachRecordedOnce(del, ids, before);
    // Runs that started together ran together: the first of two to finish names the other.
    const records = (await recordsOf(del)).slice(before);
    for (const a of ids) {
      for (const b of ids.filter((b) => b !== a && b.slice(0, 19) === a.slice(0, 19))) {
        const named = records.filter((r) =>
          r.Notes.includes(`run ${a}`) || r.Notes.includes(`run ${b}`)
        )
          .some((r) =>
            r.Notes.includes("at the same time") && r.Notes.includes(a) && r.Notes.includes(b)
          );
        assert(named, records.map((r) => r.Notes).join("\n"));
      }
    }
    if (sharing(starts) >= 2) break;
    assert(attempt < 20, "no two runs started in one millisecond in 20 attempts");
  }
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("startRun x6 of one agent, then finishRun of each: six records, every finish writes", async () => {
  const { root, del } = await makeProject();
  const runs = await startTogether(del, 6);
  const before = (await recordsOf(del)).length; // runs of an attempt with no shared start
  const finished = await Promise.all(runs.map((run) => finishRun(run, { status: "SUCCESS" })));
  assert(finished.every((o) => o.written !== undefined));
  await eachRecordedOnce(del, runs.map((r) => r.run.id), before);
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("reap after one of two same-millisecond runs finished: the other's live run is left pending, then finished", async () => {
  const { root, del } = await makeProject();
  const [first, second, ...rest] = await startTogether(del, 2, Deno.pid);
  assertEquals(rest, []);
  // Records of earlier tries, whose runs did not share a millisecond, are not this pair's.
  const before = (await recordsOf(del)).length;
  // The pair sharing a start is the first two: startTogether makes sure some pair does.
  assertEquals(first.run.start.started, second.run.start.started);
  await finishRun(first, { status: "SUCCESS" });
  const reap = await runCliProcess(["reap", del]);
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals(reap.stdout, "");
  assertEquals(pendingFiles(del), [`${second.run.id}.json`]);
  const outcome = await finishRun(second, { status: "SUCCESS" });
  assert(outcome.written !== undefined);
  await eachRecordedOnce(del, [first.run.id, second.run.id], before);
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("withRun inside another withRun of the same agent, and a withRun fan-out: no run is warned of as 'still pending here' for a sibling of its own process, which finishes it itself (trial-37 F2)", async () => {
  const { root, del } = await makeProject();
  const warnings: string[] = [];
  const onOutcome = (o: { warnings: string[] }) => void warnings.push(...o.warnings);
  await withRun(del, { agent: "4_DOCUMENTS", onOutcome }, async () => {
    await withRun(del, { agent: "4_DOCUMENTS", onOutcome }, () => {});
    await Promise.all(
      [1, 2, 3].map(() => withRun(del, { agent: "4_DOCUMENTS", onOutcome }, () => {})),
    );
  });
  assertEquals(warnings.filter((w) => w.includes("still pending here")), []);
  assertEquals((await recordsOf(del)).length, 5);
  // Another process's pending run of the agent is still warned of.
  const other = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"]);
  assertEquals(other.code, 0, other.stderr);
  await withRun(del, { agent: "4_DOCUMENTS", onOutcome }, () => {});
  assertEquals(
    warnings.filter((w) => w.includes("still pending here")).length,
    1,
    warnings.join("\n"),
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("Workers of one process and its main thread, each recording several runs at once (recordRun, startRun and finishRun, withRun), in two such processes with README's permissions: every run recorded once, RunIDs distinct, nothing spooled or pending", async () => {
  const { del } = await makeProject();
  const script = new URL("./support/worker_writers.ts", import.meta.url).pathname;
  // README's flags: no --allow-run, so the lock of this very process is judged by its flock.
  const flags = ["--allow-read", "--allow-write", "--allow-sys=hostname"];
  const [workers, runs] = [2, 3];
  const processes = ["P1", "P2"].map((prefix) =>
    new Deno.Command(Deno.execPath(), {
      args: scriptRun(flags, script, del, prefix, `${workers}`, `${runs}`),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output()
  );
  for (const { success, stdout, stderr } of await Promise.all(processes)) {
    const said = new TextDecoder().decode(stderr);
    assert(success, said);
    assertEquals(JSON.parse(new TextDecoder().decode(stdout)), []);
    assertEquals(said, "");
  }
  const records = await recordsOf(del);
  const agents = ["P1", "P2"].flatMap((p) =>
    [...Array.from({ length: workers }, (_, i) => `${p}_W${i}`), `${p}_MAIN`].flatMap((thread) =>
      Array.from({ length: runs }, (_, n) => `${thread}_${n}`)
    )
  );
  assertEquals(records.map((r) => r.AgentName).sort(), agents.sort());
  assertEquals(new Set(records.map((r) => r.RunID)).size, agents.length);
  assertEquals(await pendingFiles(del), []);
});
