/**
 * A record appended while a merge is in progress (SCHEMA.md 8.3): a `git merge` stops on a
 * conflict in another file, an agent's run appends its record to the record file git already
 * merged, and the merge is committed with it. `verify --since` accepts whole records of new
 * RunIDs after the parents' lines, with a note, and still fails every other line the merge
 * added. Real git repositories, the CLI as a process.
 *
 * ```sh
 * deno test -A tests/merge_append_test.ts
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { runCliProcess } from "./cli.ts";
import { git } from "./fixtures.ts";
import { diverged, mergeStopped } from "./support/merge_stopped.ts";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";

/** The lines of a text file, without the empty string after the last `\n`. */
async function lines(file: string): Promise<string[]> {
  return (await Deno.readTextFile(file)).split("\n").filter((line) => line !== "");
}

/** The record lines of `file` holding `,AGENT,`. */
async function linesOf(file: string, agent: string): Promise<string[]> {
  return (await lines(file)).filter((line) => line.includes(`,${agent},`));
}

/** `line` with `from` replaced and its RecordChecksum recomputed. */
function forged(line: string, from: string, to: string): string {
  const body = line.slice(0, line.lastIndexOf(",")).replace(from, to);
  return `${body},${createHash("sha256").update(body).digest("hex")}`;
}

Deno.test("a run recorded while a merge stopped on another file's conflict, committed with git commit -a, holds with a note, from a base before the merge, its first parent and the merge itself (it failed: 'the merge added it')", async () => {
  const { root, emit, datasheet, base, file, verify } = await diverged();
  await mergeStopped(root);
  assertEquals((await emit("DURING", "2026-01-04T00:00:00Z")).code, 0);
  await Deno.writeTextFile(datasheet, "# Datasheet\n\nboth\n");
  await git(root, "commit", "-qa", "--no-edit");
  assertEquals((await lines(file)).at(-1)!.includes(",DURING,"), true);
  for (const since of [base, "main~1"]) {
    const held = await verify(since);
    assertEquals(held.code, 0, held.stdout + held.stderr);
    assertIncludes(
      held.stdout,
      "appended 1 record line(s) of no parent's version after its parents' lines (a run " +
        "recorded while the merge was in progress); accepted",
    );
  }
  const after = await verify("main");
  assertEquals(after.code, 0, after.stdout + after.stderr);
  assert(!after.stdout.includes("appended"), after.stdout);
  // The file goes on from the merge as from any commit.
  assertEquals((await emit("LATER", "2026-01-05T00:00:00Z")).code, 0);
  await git(root, "commit", "-qam", "later");
  assertEquals((await verify(base)).code, 0);
  for (const agent of ["BASE", "SIDE", "MAIN", "DURING", "LATER"]) {
    assertEquals((await linesOf(file, agent)).length, 1, agent);
  }
});

Deno.test("two runs recorded while a merge is in progress both hold; an octopus merge's appended run holds", async () => {
  const { root, emit, datasheet, base, verify, del } = await diverged();
  await mergeStopped(root);
  assertEquals((await emit("DURING_1", "2026-01-04T00:00:00Z")).code, 0);
  assertEquals((await emit("DURING_2", "2026-01-04T00:01:00Z")).code, 0);
  await Deno.writeTextFile(datasheet, "# Datasheet\n\nboth\n");
  await git(root, "commit", "-qa", "--no-edit");
  const two = await verify(base);
  assertEquals(two.code, 0, two.stdout + two.stderr);
  assertIncludes(two.stdout, "appended 2 record line(s) of no parent's version");

  // Octopus: two branches, one appending a run, one changing another file.
  const head = await git(root, "rev-parse", "HEAD");
  await git(root, "checkout", "-qb", "runs");
  assertEquals((await emit("RUNS", "2026-01-05T00:00:00Z")).code, 0);
  await git(root, "commit", "-qam", "runs");
  await git(root, "checkout", "-qb", "notes", head);
  await Deno.writeTextFile(join(del, "Notes.md"), "# Notes\n");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "notes");
  await git(root, "checkout", "-q", "main");
  // Octopus merges use no merge driver: only one branch may change the record file.
  await Deno.writeTextFile(datasheet, "# Datasheet\n\nmain 2\n");
  await git(root, "commit", "-qam", "main 2");
  await git(root, "merge", "-q", "--no-commit", "runs", "notes");
  const mergeHeads = await Deno.readTextFile(join(root, ".git", "MERGE_HEAD"));
  assertEquals(mergeHeads.trim().split("\n").length, 2, "a merge of two branches in progress");
  assertEquals((await emit("DURING_3", "2026-01-06T00:00:00Z")).code, 0);
  await git(root, "commit", "-qa", "--no-edit");
  assertEquals((await git(root, "rev-list", "--parents", "-n1", "HEAD")).split(" ").length, 4);
  const octopus = await verify("main~1");
  assertEquals(octopus.code, 0, octopus.stdout + octopus.stderr);
  assertIncludes(octopus.stdout, "appended 1 record line(s) of no parent's version");
});

Deno.test("a run recorded during a merge whose line was placed among the parents' lines fails, naming the command that moves it to the end, which does", async () => {
  const { root, emit, datasheet, base, file, verify } = await diverged();
  await mergeStopped(root);
  assertEquals((await emit("DURING", "2026-01-04T00:00:00Z")).code, 0);
  // An editor moves it above the merged side's line.
  const [header, baseLine, mainLine, sideLine, during] = await lines(file);
  assertIncludes(sideLine, ",SIDE,");
  await Deno.writeTextFile(file, [header, baseLine, mainLine, during, sideLine, ""].join("\n"));
  await Deno.writeTextFile(datasheet, "# Datasheet\n\nboth\n");
  await git(root, "commit", "-qa", "--no-edit");
  const runId = during.split(",")[1];
  const failed = await verify(base);
  assertEquals(failed.code, 1, failed.stdout);
  assertIncludes(
    failed.stdout,
    `line 4 (record ${runId}) is in no parent's version: the merge added it: a record the merge ` +
      "appends belongs after its parents' lines: move that line to the end of the file while " +
      "the merge is the last commit and not pushed",
  );
  const move = failed.stdout.match(/`(\(cd [^`]+\))`/)?.[1];
  assert(move !== undefined, failed.stdout);
  const moved = await new Deno.Command("sh", { args: ["-c", move], cwd: root }).output();
  assertEquals(moved.code, 0, new TextDecoder().decode(moved.stderr));
  assertEquals(await lines(file), [header, baseLine, mainLine, sideLine, during]);
  assertEquals(await git(root, "status", "--porcelain"), "");
  const held = await verify(base);
  assertEquals(held.code, 0, held.stdout + held.stderr);
  // Before the parents' lines too: the header's first.
  await Deno.writeTextFile(file, [header, during, baseLine, mainLine, sideLine, ""].join("\n"));
  await git(root, "commit", "-qa", "--amend", "--no-edit");
  assertIncludes((await verify(base)).stdout, `line 2 (record ${runId}) is in no parent's version`);
});

Deno.test("a line a merge appended after its parents' lines still fails when it is no whole record, holds a RunID another line holds, or is a conflict's leftover", async () => {
  const { root, emit, datasheet, base, file, verify } = await diverged();
  await mergeStopped(root);
  assertEquals((await emit("DURING", "2026-01-04T00:00:00Z")).code, 0);
  await Deno.writeTextFile(datasheet, "# Datasheet\n\nboth\n");
  const merged = await lines(file);
  const during = merged.at(-1)!;
  const mainLine = merged.find((line) => line.includes(",MAIN,"))!;
  const sideLine = merged.find((line) => line.includes(",SIDE,"))!;
  const cases: [string, string[], string][] = [
    // Edited after it was written: its checksum no longer matches.
    [
      "checksum",
      [...merged.slice(0, -1), during.replace(",SUCCESS,", ",FAILED,")],
      "its RecordChecksum does not match its bytes",
    ],
    // The first parent's record again, changed and its checksum recomputed.
    [
      "the first parent's RunID",
      [...merged.slice(0, -1), forged(mainLine, ",SUCCESS,", ",FAILED,")],
      "another line of this version or of a parent's holds its RunID",
    ],
    // The merged parent's record, changed in place of its line.
    [
      "the other parent's RunID, its line gone",
      [...merged.filter((line) => line !== sideLine), during, forged(sideLine, "SIDE", "SIDF")],
      "another line of this version or of a parent's holds its RunID",
    ],
    // The run's record twice.
    ["twice", [...merged, during], "another line of this version or of a parent's holds its RunID"],
    ["a marker", [...merged, ">>>>>>> side"], "(a git conflict marker)"],
    ["a blank line", [...merged, ""], "(an empty line)"],
  ];
  await git(root, "commit", "-qa", "--no-edit");
  for (const [name, version, said] of cases) {
    await Deno.writeTextFile(file, [...version, ""].join("\n"));
    await git(root, "commit", "-qa", "--amend", "--no-edit");
    const failed = await verify(base);
    assertEquals(failed.code, 1, `${name}: ${failed.stdout}`);
    assertIncludes(failed.stdout, "is in no parent's version: the merge added it", name);
    assertIncludes(failed.stdout, said, name);
    assert(!failed.stdout.includes("accepted"), `${name}: ${failed.stdout}`);
  }
});

Deno.test("a run recorded during a non-union merge whose record file conflicted is spooled, then flushed after the conflict is resolved by hand and committed with the merge: it holds", async () => {
  const { root, del, env, emit, datasheet, base, file, verify } = await diverged("");
  await mergeStopped(root);
  const during = await emit("DURING", "2026-01-04T00:00:00Z");
  assertEquals(during.code, 0, during.stderr);
  assertIncludes(during.stderr, "an unresolved git merge conflict");
  assert(!during.stderr.includes("commit the merge before"), during.stderr);
  // Resolved by hand: both sides' lines, no markers.
  const kept = (await lines(file)).filter((line) => !/^(<{7}|={7}|>{7})/.test(line));
  await Deno.writeTextFile(file, [...kept, ""].join("\n"));
  await Deno.writeTextFile(datasheet, "# Datasheet\n\nboth\n");
  const flushed = await runCliProcess(["flush", del], FULL_FLAGS, env);
  assertEquals(flushed.code, 0, flushed.stdout + flushed.stderr);
  await git(root, "commit", "-qa", "--no-edit");
  const held = await verify(base);
  assertEquals(held.code, 0, held.stdout + held.stderr);
  assertIncludes(held.stdout, "appended 1 record line(s) of no parent's version");
  for (const agent of ["BASE", "SIDE", "MAIN", "DURING"]) {
    assertEquals((await linesOf(file, agent)).length, 1, agent);
  }
});

Deno.test("a deliverable's first run recorded while a merge is in progress begins its record file in the merge commit: it holds, as a file any commit begins", async () => {
  const { root, emit, datasheet, base, verify } = await diverged();
  const fresh = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_Fresh");
  await Deno.mkdir(fresh);
  await Deno.writeTextFile(join(fresh, "_CONTEXT.md"), "**DeliverableID:** DEL-01-03\n");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "a new deliverable");
  await mergeStopped(root);
  const first = await runCliProcess(
    ["emit", fresh, "--agent", "FIRST", "--status", "SUCCESS"],
    FULL_FLAGS,
  );
  assertEquals(first.code, 0, first.stderr);
  assertEquals((await emit("DURING", "2026-01-04T00:00:00Z")).code, 0);
  await Deno.writeTextFile(datasheet, "# Datasheet\n\nboth\n");
  await git(root, "add", "-A");
  await git(root, "commit", "-q", "--no-edit");
  const held = await verify(base);
  assertEquals(held.code, 0, held.stdout + held.stderr);
  const whole = await runCliProcess(["verify", root, "--since", base], FULL_FLAGS);
  assertEquals(whole.code, 0, whole.stdout + whole.stderr);
  assertIncludes(whole.stdout, "DEL-01-03_Fresh/RunRecords.csv: ok: 1 record");
});
