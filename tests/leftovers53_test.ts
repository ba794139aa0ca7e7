/**
 * Items stops 51 and 52 left: annotations of records a put-back renumbered (a second
 * invalidation, a withdrawal withdrawn), a record committed at a detached HEAD, a journal line
 * of another branch put back here, a baseline whose input folder was empty. Real git
 * repositories, a clone and a pull with `merge=union`, runrec as real processes.
 *
 * ```sh
 * deno test -A tests/leftovers53_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { git, tempDir } from "./fixtures.ts";
import { recordsOf } from "./support/runs.ts";
import { agentEmitArgs, DEL, JOURNAL, unionProject } from "./support/journal_lost.ts";
import type { RunRecord } from "../src/schema.ts";

/**
 * A clone of a {@linkcode unionProject} where `onOld` ran on branch `old` (no record file), which
 * `git checkout -f main` then discarded; upstream runs of the minutes of the records whose agents
 * `taken` names took their RunIDs, pulled; `flush --from` of the journal put them back, those
 * renumbered. `run` runs runrec in the clone; `before` are the records as `onOld` left them.
 */
async function renumberedOnPull(
  onOld: (run: (...args: string[]) => ReturnType<typeof runCliProcess>) => Promise<void>,
  taken: (record: RunRecord, index: number) => boolean,
) {
  const up = await unionProject();
  const local = join(await tempDir({ prefix: "runrec-leftovers53-" }), "local");
  await git(up.root, "clone", "-q", up.root, local);
  const run = (...args: string[]) => runCliProcess(args, undefined, {}, local);
  await git(local, "checkout", "-q", "old");
  await onOld(run);
  const before = await recordsOf(join(local, DEL));
  await git(local, "checkout", "-f", "-q", "main");
  const takenIds: string[] = [];
  for (const at of before.filter(taken)) {
    while (!takenIds.includes(at.RunID)) {
      const out = await up.run(
        ...agentEmitArgs("THEIRS", "--started", at.RunTimestamp, "--duration", "0s"),
      );
      assertEquals(out.code, 0, out.stderr);
      takenIds.push(out.stdout.trim());
      assert(takenIds.length < 8, takenIds.join(" "));
    }
  }
  await git(up.root, "commit", "-qam", "their records");
  await git(local, "pull", "-q", "--no-rebase");
  const putBack = await run("flush", "--from", JOURNAL);
  assertEquals(putBack.code, 0, putBack.stderr);
  const after = (await recordsOf(join(local, DEL))).filter((r) => r.AgentName !== "THEIRS");
  /** The record as put back of `record` as `onOld` made it (the same agent and timestamp). */
  const now = (record: RunRecord) =>
    after.find((r) => r.RunTimestamp === record.RunTimestamp && r.AgentName === record.AgentName)!;
  return { local, run, before, now };
}

/** The kinds of the annotations `show --json` lists for `runId`. */
async function shownKinds(
  run: (...args: string[]) => ReturnType<typeof runCliProcess>,
  runId: string,
): Promise<string[]> {
  const out = await run("show", DEL, runId, "--json");
  assertEquals(out.code, 0, out.stderr);
  return JSON.parse(out.stdout).annotations.map((a: { kind: string }) => a.kind);
}

Deno.test("annotate --invalidates of a record a put-back renumbered, invalidated already under its former RunID: refused as any repeat, nothing written (leftovers-53 1)", async () => {
  const { local, run, before, now } = await renumberedOnPull(async (run) => {
    const ours = (await run(...agentEmitArgs("OURS"))).stdout.trim();
    const annotated = await run("annotate", DEL, ours, "--invalidates", "--note", "wrong inputs");
    assertEquals(annotated.code, 0, annotated.stderr);
  }, (r) => r.AgentName === "OURS");
  const [record, annotation] = before;
  const renumbered = now(record);
  assert(renumbered.RunID !== record.RunID, renumbered.RunID);
  assertEquals(await shownKinds(run, renumbered.RunID), ["invalidated"]);
  const lines = await Deno.readTextFile(join(local, DEL, "RunRecords.csv"));
  const again = await run("annotate", DEL, renumbered.RunID, "--invalidates", "--note", "again");
  assertEquals(again.code, 2, again.stdout + again.stderr);
  assertIncludes(
    again.stderr,
    `${renumbered.RunID} is already invalidated by annotation ${now(annotation).RunID}`,
  );
  assertEquals(await Deno.readTextFile(join(local, DEL, "RunRecords.csv")), lines);
});

Deno.test("a withdrawal withdrawn, all made before a put-back renumbered the records they name: the first invalidation is in force again, on the renumbered run, in show, log and stale (leftovers-53 2)", async () => {
  const { run, before, now } = await renumberedOnPull(async (run) => {
    const ours = (await run(...agentEmitArgs("OURS"))).stdout.trim();
    let named = ours;
    for (const note of ["wrong inputs", "the inputs were right", "they were wrong after all"]) {
      const out = await run("annotate", DEL, named, "--invalidates", "--note", note);
      assertEquals(out.code, 0, out.stderr);
      named = out.stdout.trim();
    }
  }, (_, index) => index < 3);
  const [record, invalidation, withdrawal, again] = before.map(now);
  assert(record.RunID !== before[0].RunID && withdrawal.RunID !== before[2].RunID, record.RunID);
  assertEquals(await shownKinds(run, record.RunID), ["invalidated"]);
  assertEquals(await shownKinds(run, invalidation.RunID), []);
  assertEquals(await shownKinds(run, withdrawal.RunID), ["invalidated"]);
  assertEquals(await shownKinds(run, again.RunID), []);
  const stale = await run("stale", DEL, "--agent", "OURS");
  assert(stale.stdout.startsWith("NO_BASELINE"), stale.stdout);
  const log = await run("log", DEL, "--format", "json");
  assertEquals(log.code, 0, log.stderr);
  const rows = JSON.parse(log.stdout) as { RunID: string; annotations?: { kind: string }[] }[];
  const row = rows.find((r) => r.RunID === record.RunID)!;
  assertEquals(row.annotations?.map((a) => a.kind), ["invalidated"], JSON.stringify(row));
  // The withdrawal withdrawn is said so, of the record it names now (not "marks … INVALIDATED").
  const table = (await run("log", DEL)).stdout.split("\n");
  const againRow = table.find((line) => line.startsWith(`${again.RunID} `))!;
  assertIncludes(againRow, `[withdraws ${withdrawal.RunID} (was ${before[2].RunID})]`);
  const withdrawalRow = table.find((line) => line.startsWith(`${withdrawal.RunID} `))!;
  assertIncludes(withdrawalRow, `[withdrawn by ${again.RunID}]`);
});
