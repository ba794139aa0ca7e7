/**
 * Stop 52's merged changes attacked through the CLI: a renumbered record's annotations, a taken
 * RunID's remedy followed as printed, a detached HEAD's record, another version's journal line.
 * Real git repositories, runrec as real processes.
 *
 * ```sh
 * deno test -A tests/diffreview52_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { git, makeProject, sampleDraft, tempDir } from "./fixtures.ts";
import { agentsOf, recordsOf } from "./support/runs.ts";
import { agentEmitArgs, DEL, takenRunIdLines, unionProject } from "./support/journal_lost.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { ANNOTATOR } from "../src/annotations.ts";
import { newSpoolEntry, spoolRecord } from "../src/spool.ts";

Deno.test("a saved lost-record line whose RunID another record took, its RunID deleted as the message says and flush --from run again: appended once, the lines put back before not again", async () => {
  const { del, run, runId, entries, saved, write } = await takenRunIdLines();
  const refused = await run("flush", "--from", saved);
  assertEquals(refused.code, 1, refused.stderr);
  assertIncludes(refused.stderr, `then runrec flush --from ${saved} again`);
  assertEquals(await agentsOf(del), ["FIRST", "THEIRS", "NEXT"]);
  // As the message says: the line's "RunID" deleted, then flush --from that file again.
  delete entries[0].draft.RunID;
  await write();
  const again = await run("flush", "--from", saved);
  assertEquals(again.code, 0, again.stderr);
  assertEquals(await agentsOf(del), ["FIRST", "THEIRS", "NEXT", "MINE"]);
  const mine = (await recordsOf(del))[3];
  assert(mine.RunID !== runId, mine.RunID);
  // A third time: nothing written.
  const third = await run("flush", "--from", saved);
  assertEquals(third.code, 0, third.stderr);
  assertEquals(await agentsOf(del), ["FIRST", "THEIRS", "NEXT", "MINE"]);
});

Deno.test("an annotation withdrawn before git dropped it, put back under a new RunID with the record it marked: the withdrawal still holds (show of both and stale agree)", async () => {
  const up = await unionProject();
  const local = join(await tempDir({ prefix: "runrec-diffreview52-" }), "local");
  await git(up.root, "clone", "-q", up.root, local);
  const run = (...args: string[]) => runCliProcess(args, undefined, {}, local);
  // On old (no record file): OURS's run, an annotation invalidating it, and that annotation
  // withdrawn; git checkout -f main discards all three.
  await git(local, "checkout", "-q", "old");
  const ours = (await run(...agentEmitArgs("OURS"))).stdout.trim();
  assertEquals((await run("annotate", DEL, ours, "--invalidates", "--note", "wrong")).code, 0);
  const [record, annotation] = await recordsOf(join(local, DEL));
  const withdraw = await run("annotate", DEL, annotation.RunID, "--invalidates", "--note", "no");
  assertEquals(withdraw.code, 0, withdraw.stderr);
  await git(local, "checkout", "-f", "-q", "main");
  // Upstream, runs of those minutes take the run's and the annotation's RunIDs; pulled.
  const taken: string[] = [];
  for (const at of [record, annotation]) {
    while (!taken.includes(at.RunID)) {
      const out = await up.run(
        ...agentEmitArgs("THEIRS", "--started", at.RunTimestamp, "--duration", "0s"),
      );
      assertEquals(out.code, 0, out.stderr);
      taken.push(out.stdout.trim());
      assert(taken.length < 6, taken.join(" "));
    }
  }
  await git(up.root, "commit", "-qam", "their records");
  await git(local, "pull", "-q", "--no-rebase");

  const putBack = await run("flush", "--from", join(DEL, ".runrec", `${RECORD_FILE}.journal`));
  assertEquals(putBack.code, 0, putBack.stderr);
  const records = await recordsOf(join(local, DEL));
  const renumbered = records.find((r) => r.AgentName === "OURS")!;
  const marking = records.find((r) => r.AgentName === ANNOTATOR && r.Notes.includes(ours))!;
  assert(renumbered.RunID !== ours && marking.RunID !== annotation.RunID, putBack.stdout);
  const shown = async (runId: string) =>
    JSON.parse((await run("show", DEL, runId, "--json")).stdout).annotations.map((
      a: { kind: string },
    ) => a.kind);
  // The annotation is withdrawn: its own record says so, and the run it marked is unmarked.
  assertEquals(await shown(marking.RunID), ["invalidated"]);
  assertEquals(await shown(renumbered.RunID), []);
  const stale = await run("stale", DEL, "--agent", "OURS");
  assert(!stale.stdout.startsWith("NO_BASELINE"), stale.stdout);
});

Deno.test("annotationsFor of an AnnotationSource (RunID, RecordChecksum and Notes alone) whose Notes end with the renumbered note answers, not a TypeError", async () => {
  const { annotationsFor, annotationsIn } = await import("../mod.ts");
  const { renumberedNote } = await import("../src/record_limits.ts");
  const source = {
    RunID: "RUN-DEL-01-02-20260302-1000-004",
    RecordChecksum: "a".repeat(64),
    Notes: `an agent's words | ${renumberedNote("RUN-DEL-01-02-20260302-1000-001")}`,
  };
  assertEquals(annotationsFor(annotationsIn([source]), source), []);
});

Deno.test("a record with Notes of '|', commas, quotes and non-ASCII, renumbered twice by flush --from: the annotation made of it before still marks it", async () => {
  const up = await unionProject();
  const local = join(await tempDir({ prefix: "runrec-diffreview52-" }), "local");
  await git(up.root, "clone", "-q", up.root, local);
  const run = (...args: string[]) => runCliProcess(args, undefined, {}, local);
  const journal = join(DEL, ".runrec", `${RECORD_FILE}.journal`);
  await git(local, "checkout", "-q", "old");
  const notes = 'a | b, "c" — Zürich | put back after';
  const ours = (await run(...agentEmitArgs("OURS", "--notes", notes))).stdout.trim();
  const [record] = await recordsOf(join(local, DEL));
  assertEquals((await run("annotate", DEL, ours, "--invalidates", "--note", "wrong")).code, 0);
  await git(local, "checkout", "-f", "-q", "main");
  /** Upstream runs of the record's minute until one takes `runId`; pulled. */
  const take = async (runId: string) => {
    for (let i = 0; i < 6; i++) {
      const out = await up.run(
        ...agentEmitArgs("THEIRS", "--started", record.RunTimestamp, "--duration", "0s"),
      );
      assertEquals(out.code, 0, out.stderr);
      if (out.stdout.trim() === runId) break;
    }
    await git(up.root, "commit", "-qam", `their records up to ${runId}`);
    await git(local, "pull", "-q", "--no-rebase");
  };
  await take(ours);
  const once = await run("flush", "--from", journal);
  assertEquals(once.code, 0, once.stderr);
  const first = (await recordsOf(join(local, DEL))).find((r) => r.AgentName === "OURS")!;
  // Dropped again (never committed), its new RunID taken upstream, put back again.
  await git(local, "checkout", "-f", "-q", "main");
  await take(first.RunID);
  const twice = await run("flush", "--from", journal);
  assertEquals(twice.code, 0, twice.stderr);
  const records = await recordsOf(join(local, DEL));
  const renumbered = records.filter((r) => r.AgentName === "OURS");
  assertEquals(renumbered.length, 1, twice.stdout);
  assert(![ours, first.RunID].includes(renumbered[0].RunID), twice.stdout);
  assert(renumbered[0].Notes.startsWith(`${notes} | put back`), renumbered[0].Notes);
  const shown = JSON.parse((await run("show", DEL, renumbered[0].RunID, "--json")).stdout);
  assertEquals(shown.annotations.map((a: { kind: string }) => a.kind), ["invalidated"]);
  const stale = await run("stale", DEL, "--agent", "OURS");
  assert(stale.stdout.startsWith("NO_BASELINE"), stale.stdout);
});

Deno.test("a record begun at a detached HEAD, its file cleaned away, then the branch at that same commit checked out: named as a file gone here (flush --from), not another line of history", async () => {
  const { root } = await makeProject();
  const run = (...args: string[]) => runCliProcess(args, undefined, {}, root);
  await git(root, "init", "-q", "-b", "main");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "project");
  await git(root, "checkout", "-q", "--detach");
  const runId = (await run(...agentEmitArgs("DETACHED"))).stdout.trim();
  // `git clean` of a reused CI workspace takes the untracked file; main is that same commit.
  await git(root, "clean", "-fdq", DEL);
  await git(root, "checkout", "-q", "main");
  const verify = await run("verify", DEL);
  assertEquals(verify.code, 1, verify.stdout);
  assertIncludes(verify.stdout, `${runId} is in no file, branch, tag or stash`);
  // Was: "appended at a detached HEAD (commit …), which HEAD has left since for another line
  // of history …; git checkout <that commit> first", where the commit is main's.
  assert(!verify.stdout.includes("detached HEAD"), verify.stdout);
  assertIncludes(verify.stdout, "the RunRecords.csv it was appended to is gone, and none is here");
  const flush = await run("flush", "--from", join(DEL, ".runrec", `${RECORD_FILE}.journal`));
  assertEquals(flush.code, 0, flush.stderr);
  assertEquals(await agentsOf(join(root, DEL)), ["DETACHED"]);
  assertEquals((await run("verify", DEL)).code, 0);
});

Deno.test("a spool entry whose RunID another record took, set to a free one of its minute as the message says: flush appends it under that RunID, once", async () => {
  const { del, run } = await unionProject();
  const taken = await run(
    ...agentEmitArgs("THEIRS", "--started", "2026-03-02T10:00:00Z", "--duration", "1s"),
  );
  const runId = taken.stdout.trim();
  const file = join(del, RECORD_FILE);
  const entry = newSpoolEntry(
    file,
    sampleDraft({
      RunID: runId,
      DeliverableID: "DEL-01-02",
      AgentName: "MINE",
      RunTimestamp: "2026-03-02T10:00:30.000Z",
    }),
    "lock held past its wait",
  );
  const { path } = spoolRecord(del, entry);
  assertEquals((await run("flush", DEL)).code, 1);
  const free = `${runId.slice(0, runId.lastIndexOf("-") + 1)}009`;
  const stuck = JSON.parse(await Deno.readTextFile(path));
  stuck.draft.RunID = free;
  await Deno.writeTextFile(path, JSON.stringify(stuck));
  const freed = await run("flush", DEL);
  assertEquals(freed.code, 0, freed.stderr);
  const again = await run("flush", DEL);
  assertEquals(again.code, 0, again.stderr);
  const mine = (await recordsOf(del)).filter((r) => r.AgentName === "MINE");
  assertEquals(mine.map((r) => r.RunID), [free]);
});
