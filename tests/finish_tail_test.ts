/**
 * A finish reads the record file from where it ended at the run's start (the
 * start keeps that mark in the pending run): a record of a run active
 * meanwhile was appended after the start, and so was the run's own record.
 * Each test here is a case where the file was not only appended to since
 * (a rewrite that put a record before the mark, a checkout to another
 * branch, a file begun anew, a rebase by git) or was, under a new inode (a
 * union merge, a copy of the file put in its place): the runs active
 * meanwhile are named all the same (finish-40 F1, F2).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/finish_tail_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { finishRun, type StartedRun, startRun } from "../mod.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { git, makeProject, minutelyHistory, sampleDraft } from "./fixtures.ts";
import { runCliProcess } from "./cli.ts";

/** What the finish of a run says of the runs active meanwhile. */
const SAME_TIME = "active in this folder at the same time";

/** A project whose record file holds `count` runs of 2020, one a minute. */
async function projectWithHistory(count = 50) {
  const { root, del } = await makeProject();
  const file = join(del, RECORD_FILE);
  await Deno.writeTextFile(file, `${minutelyHistory(count).join("\n")}\n`);
  return { root, del, file };
}

/** Appends a run of 2021, over long before any run here starts; returns its line. */
async function appendOldRun(file: string, agent = "EARLIER"): Promise<string> {
  const draft = sampleDraft({ AgentName: agent, RunTimestamp: "2021-01-01T00:00:00.000Z" });
  return lineOf(file, (await appendRecord(file, draft)).record.RunID);
}

/** Appends a run of `agent` that began now and lasts 2.5 minutes: active during the run started. */
async function appendRunNow(file: string, agent: string): Promise<string> {
  return (await appendRecord(file, sampleDraft({ AgentName: agent }))).record.RunID;
}

/** The line of `file` holding `runId`. */
async function lineOf(file: string, runId: string): Promise<string> {
  return (await Deno.readTextFile(file)).split("\n").find((line) => line.includes(runId))!;
}

/** The Notes of the record the finish of `started` wrote. */
async function finishedNotes(started: StartedRun): Promise<string> {
  const outcome = await finishRun(started, { status: "SUCCESS" });
  assert(outcome.written !== undefined, JSON.stringify(outcome.warnings));
  return outcome.written.record.Notes;
}

Deno.test("finish of a run during which the record file was rewritten with a record of a run active meanwhile before where the file ended at its start (a merge's order): that run is named (finish-40 F1)", async () => {
  const { del, file } = await projectWithHistory();
  const before = await appendOldRun(file);
  const started = await startRun(del, { agent: "A" });
  const other = await appendRunNow(file, "OTHER");
  // The other run's line before the one that was last at the start, as a union merge puts theirs.
  const lines = (await Deno.readTextFile(file)).split("\n").filter((l) => l !== "" && l !== before);
  await Deno.writeTextFile(file, `${[...lines, before].join("\n")}\n`);
  const notes = await finishedNotes(started);
  assertIncludes(notes, `${other} (OTHER, `);
  assertIncludes(notes, SAME_TIME);
});

Deno.test("finish of a run whose deliverable's record file was begun anew during it (removed, then a run active meanwhile and older runs appended, longer than at the start): the run active meanwhile is named (finish-40 F1)", async () => {
  const { del, file } = await projectWithHistory(10);
  const started = await startRun(del, { agent: "A" });
  const size = (await Deno.stat(file)).size;
  await Deno.remove(file);
  const other = await appendRunNow(file, "OTHER");
  while ((await Deno.stat(file)).size <= size) await appendOldRun(file);
  const notes = await finishedNotes(started);
  assertIncludes(notes, `${other} (OTHER, `);
});

Deno.test("finish of a run started on one branch and finished on another whose record file holds a run active meanwhile where the first branch's file held older runs: that run is named (finish-40 F1)", async () => {
  const { root, del, file } = await projectWithHistory();
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "history");
  await git(root, "branch", "other");
  await appendOldRun(file);
  await git(root, "commit", "-qam", "a run on main");
  const started = await startRun(del, { agent: "A" });
  await git(root, "checkout", "-q", "other");
  const other = await appendRunNow(file, "OTHER");
  for (let i = 0; i < 3; i++) await appendOldRun(file, "LATER");
  const notes = await finishedNotes(started);
  assertIncludes(notes, `${other} (OTHER, `);
});

Deno.test("finish of a run during which git merged (merge=union) and then rebased the record file: the runs active meanwhile on the other branch are named, whether the merge put them past where the file ended at the start or the rebase before (finish-40 F1)", async () => {
  const { root, del, file } = await projectWithHistory();
  await Deno.writeTextFile(join(root, ".gitattributes"), `${RECORD_FILE} merge=union\n`);
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "history");
  const tree = join(root, "..", `${root.split("/").at(-1)}-other`);
  await git(root, "worktree", "add", "-q", "-b", "other", tree);
  const otherFile = join(tree, del.slice(root.length), RECORD_FILE);
  await appendOldRun(file);
  await git(root, "commit", "-qam", "a run on main");
  // Merged: the other branch's record after ours, past the mark.
  const merged = await startRun(del, { agent: "A" });
  const first = await appendRunNow(otherFile, "OTHER");
  await git(tree, "commit", "-qam", "a run on other");
  await git(root, "merge", "-q", "--no-edit", "other");
  assertIncludes(await Deno.readTextFile(file), first);
  assertIncludes(await finishedNotes(merged), `${first} (OTHER, `);
  // Rebased: ours (since the merge's base) replayed after theirs, theirs before the mark.
  await git(root, "reset", "-q", "--hard", "HEAD~1");
  const rebased = await startRun(del, { agent: "B" });
  const second = await appendRunNow(otherFile, "SECOND");
  await git(tree, "commit", "-qam", "another run on other");
  await git(root, "rebase", "-q", "other");
  const text = await Deno.readTextFile(file);
  assert(text.indexOf(second) < text.indexOf("EARLIER"), "the rebase put theirs first");
  assertIncludes(await finishedNotes(rebased), `${second} (SECOND, `);
  await git(root, "worktree", "remove", "--force", tree);
});

Deno.test("finish of a run during which its record file was replaced by a copy of itself (a pull, a checkout back: a new inode, the same bytes) and a run active meanwhile appended: that run is named (finish-40 F1)", async () => {
  const { del, file } = await projectWithHistory();
  const started = await startRun(del, { agent: "A" });
  const copy = `${file}.copy`;
  await Deno.copyFile(file, copy);
  await Deno.rename(copy, file);
  const other = await appendRunNow(file, "OTHER");
  assertIncludes(await finishedNotes(started), `${other} (OTHER, `);
});

Deno.test("finish of a run during which an emit recorded a run with --started before this run's start: that run is named, its record appended after the start (finish-40 F1)", async () => {
  const { del, file } = await projectWithHistory();
  const token = (await runCliProcess(["start", del, "--agent", "A"])).stdout.trim();
  const started = new Date(Date.now() - 60_000).toISOString();
  const emitted = await runCliProcess(
    ["emit", del, "--agent", "OTHER", "--status", "SUCCESS", "--started", started],
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  const finished = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(finished.code, 0, finished.stderr);
  assertIncludes(await lineOf(file, finished.stdout.trim()), `${emitted.stdout.trim()} (OTHER, `);
});

Deno.test("a pending run an older runrec started (no mark of the record file) is finished reading the whole file: a run active meanwhile is named (finish-40 F1)", async () => {
  const { del, file } = await projectWithHistory();
  const token = (await runCliProcess(["start", del, "--agent", "A"])).stdout.trim();
  const run = JSON.parse(await Deno.readTextFile(token));
  assert(run.recordsAtStart?.size > 0, "this runrec keeps the mark");
  delete run.recordsAtStart;
  await Deno.writeTextFile(token, JSON.stringify(run, null, 1));
  const other = await appendRunNow(file, "OTHER");
  const finished = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(finished.code, 0, finished.stderr);
  assertIncludes(await lineOf(file, finished.stdout.trim()), `${other} (OTHER, `);
});
