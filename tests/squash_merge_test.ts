/**
 * `verify --since` and a squash merge of a branch that had merged main: the branch's
 * `merge=union` put its records before main's newer ones, so `git merge --squash` (and GitHub's
 * "Squash and merge") commits them among main's lines in a single-parent commit. Every earlier
 * line kept, in order, and only whole lines added: that holds, with a note naming the commit;
 * any line changed, reordered or cut still fails. Real git repositories, the CLI as a process
 * and the library.
 *
 * ```sh
 * deno test -A tests/squash_merge_test.ts
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { UNION } from "./support/merge_stopped.ts";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { verifyHistory } from "../mod.ts";

const GIT_PATH = "PKG-01_Pkg/1_Working/DEL-01-02_Thing/RunRecords.csv";

/**
 * A project whose branch `feature` recorded FEAT1, merged main (MAIN1) in and recorded FEAT2,
 * while main went on to MAIN2, checked out on main: `git merge --squash feature` then puts
 * FEAT1 among main's lines (after BASE, before MAIN1) and FEAT2 at the end.
 */
async function backMerged() {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  const emit = async (agent: string, started: string) => {
    const args = ["emit", del, "--agent", agent, "--status", "SUCCESS", "--started", started];
    const emitted = await runCliProcess([...args, "--duration", "1m"], FULL_FLAGS, env);
    assertEquals(emitted.code, 0, emitted.stderr);
  };
  const commit = async (agent: string, started: string) => {
    await emit(agent, started);
    await git(root, "commit", "-qam", agent);
  };
  await Deno.writeTextFile(join(root, ".gitattributes"), UNION);
  await git(root, "init", "-q");
  await emit("BASE", "2026-01-01T00:00:00Z");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  const base = await git(root, "rev-parse", "HEAD");
  await git(root, "checkout", "-qb", "feature");
  await commit("FEAT1", "2026-01-02T00:00:00Z");
  await git(root, "checkout", "-q", "main");
  await commit("MAIN1", "2026-01-03T00:00:00Z");
  await git(root, "checkout", "-q", "feature");
  await git(root, "merge", "-q", "--no-edit", "main");
  await commit("FEAT2", "2026-01-04T00:00:00Z");
  await git(root, "checkout", "-q", "main");
  await commit("MAIN2", "2026-01-05T00:00:00Z");
  const file = join(del, "RunRecords.csv");
  const verify = (since: string, ...more: string[]) =>
    runCliProcess(["verify", del, "--since", since, ...more], FULL_FLAGS, env);
  const squash = () => git(root, "merge", "-q", "--squash", "feature");
  return { root, file, base, verify, squash };
}

/** The lines of `file`, each without its `\n`. */
async function linesOf(file: string): Promise<string[]> {
  return (await Deno.readTextFile(file)).split("\n").slice(0, -1);
}

/** `line` with its first `from` replaced by `to` and its RecordChecksum recomputed. */
function edited(line: string, from: string, to: string): string {
  const body = line.slice(0, line.lastIndexOf(",")).replace(from, to);
  return `${body},${createHash("sha256").update(body).digest("hex")}`;
}

Deno.test("verify --since: git merge --squash of a branch that had merged main, committed, holds with a note naming the commit, the file and the line inserted, in text, JSON and the library (it failed K-APPEND-1: 'line 3 differs')", async () => {
  const { root, file, base, verify, squash } = await backMerged();
  await squash();
  await git(root, "commit", "-qm", "Squash feature");
  const agents = (await linesOf(file)).slice(1).map((line) => line.split(",")[3]);
  assertEquals(agents, ["BASE", "FEAT1", "MAIN1", "MAIN2", "FEAT2"]);
  const commit = (await git(root, "rev-parse", "HEAD")).slice(0, 7);
  const note = `commit ${commit} inserted 1 line(s) among earlier lines of ${GIT_PATH}, as a ` +
    "squash merge or a rebase of a branch that had merged the other side places them; every " +
    "earlier line is kept, byte for byte and in order; accepted";
  for (const since of [base, "HEAD~1"]) {
    const held = await verify(since);
    assertEquals(held.code, 0, held.stdout + held.stderr);
    assertIncludes(held.stdout, `RunRecords.csv: note: ${note}\n`);
    assertIncludes(held.stdout, "K-APPEND-1 holds");
  }
  const json = await verify(base, "--json");
  assertEquals(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout);
  assertEquals(report.ok, true);
  assertEquals(report.files[0].history.failure, null);
  assertEquals(report.files[0].history.notes, [note]);
  const result = await verifyHistory(file, base);
  assertEquals(result.failure, undefined);
  assert(result.notes.includes(note), result.notes.join("\n"));
  // From the squash on, the file goes on as any other.
  assertEquals((await verify("HEAD")).stdout.includes("inserted"), false);
});

Deno.test("verify --since: the squash not committed yet (the working tree against HEAD) holds with a note", async () => {
  const { root, base, verify, squash } = await backMerged();
  await squash();
  const head = (await git(root, "rev-parse", "HEAD")).slice(0, 7);
  const held = await verify(base);
  assertEquals(held.code, 0, held.stdout + held.stderr);
  assertIncludes(
    held.stdout,
    `note: the working tree (against ${head}) inserted 1 line(s) among earlier lines of ` +
      `${GIT_PATH}, as a squash merge`,
  );
});

Deno.test("verify --since: a squash that also edits one of main's earlier records fails naming that record's line, committed or not (not the line inserted above it)", async () => {
  const { root, file, base, verify, squash } = await backMerged();
  await squash();
  const lines = await linesOf(file);
  // Line 4 of main's version (MAIN2) is line 5 of the squash's.
  assertIncludes(lines[4], ",MAIN2,");
  const runId = lines[4].split(",")[1];
  lines[4] = edited(lines[4], "SUCCESS", "FAILURE");
  await Deno.writeTextFile(file, lines.map((line) => `${line}\n`).join(""));
  const expected = `line 4: record ${runId} was changed (line 5 now, field RunStatus)`;
  const working = await verify(base);
  assertEquals(working.code, 1, working.stdout + working.stderr);
  assertIncludes(
    working.stdout,
    `RunRecords.csv:4: K-APPEND-1 broken in the working tree: ${expected}`,
  );
  await git(root, "commit", "-qam", "Squash feature");
  const committed = await verify(base);
  assertEquals(committed.code, 1, committed.stdout + committed.stderr);
  assertIncludes(committed.stdout, `RunRecords.csv:4: K-APPEND-1 broken in commit`);
  assertIncludes(committed.stdout, expected);
  assert(!committed.stdout.includes("inserted"), committed.stdout);
});

Deno.test("verify --since: a single-parent commit that swaps two earlier lines fails as before, and so does one that inserts a whole line and also swaps two", async () => {
  const { root, file, base, verify } = await backMerged();
  const lines = await linesOf(file);
  [lines[2], lines[3]] = [lines[3], lines[2]];
  await Deno.writeTextFile(file, lines.map((line) => `${line}\n`).join(""));
  await git(root, "commit", "-qam", "reorder");
  const failed = await verify(base);
  assertEquals(failed.code, 1, failed.stdout + failed.stderr);
  assertIncludes(failed.stdout, "RunRecords.csv:3: K-APPEND-1 broken in commit");
  assertIncludes(failed.stdout, "line 3 differs");
  assert(!failed.stdout.includes("inserted"), failed.stdout);
  // Back in order, then FEAT1's line inserted above the two swapped again.
  await git(root, "revert", "--no-edit", "HEAD");
  const feature = await git(root, "show", `feature:${GIT_PATH}`);
  const inserted = feature.split("\n").find((line) => line.includes(",FEAT1,"))!;
  const again = await linesOf(file);
  await Deno.writeTextFile(
    file,
    [again[0], again[1], inserted, again[3], again[2]].map((line) => `${line}\n`).join(""),
  );
  const both = await verify("HEAD");
  assertEquals(both.code, 1, both.stdout + both.stderr);
  assertIncludes(both.stdout, "RunRecords.csv:3: K-APPEND-1 broken in the working tree");
});

Deno.test("verify --since: a commit that inserts a partial line (no newline) among earlier lines fails, and so does a squash whose last line added has no newline", async () => {
  const { root, file, base, verify, squash } = await backMerged();
  const lines = await linesOf(file);
  const cut = lines[2].slice(0, 40);
  await Deno.writeTextFile(
    file,
    [lines[0], lines[1]].map((line) => `${line}\n`).join("") + cut +
      lines.slice(2).map((line) => `${line}\n`).join(""),
  );
  await git(root, "commit", "-qam", "partial");
  const failed = await verify(base);
  assertEquals(failed.code, 1, failed.stdout + failed.stderr);
  assertIncludes(failed.stdout, "RunRecords.csv:3: K-APPEND-1 broken in commit");
  assertIncludes(failed.stdout, "line 3 differs");
  await git(root, "reset", "-q", "--hard", "HEAD~1");
  await squash();
  const squashed = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, squashed.slice(0, -1));
  const torn = await verify(base);
  assertEquals(torn.code, 1, torn.stdout + torn.stderr);
  assertIncludes(torn.stdout, "RunRecords.csv:3: K-APPEND-1 broken in the working tree");
  assert(!torn.stdout.includes("inserted"), torn.stdout);
});

Deno.test("verify --since: a plain append gives no note, and a merge commit of the same branch still gives the merge's own", async () => {
  const { root, base, verify } = await backMerged();
  const appended = await verify(base, "--json");
  assertEquals(appended.code, 0, appended.stdout + appended.stderr);
  const report = JSON.parse(appended.stdout);
  assertEquals(report.files[0].history.notes, []);
  await git(root, "merge", "-q", "--no-edit", "--no-ff", "feature");
  const merged = await verify(base);
  assertEquals(merged.code, 0, merged.stdout + merged.stderr);
  assertIncludes(merged.stdout, "placed 2 record line(s) from its other parent");
  assert(!merged.stdout.includes("inserted"), merged.stdout);
});

Deno.test("verify --since: a squash whose conflict was left unresolved (its markers among main's lines, every one of those kept) fails K-APPEND-1 at line 3, in the working tree and committed, not only the file check", async () => {
  const { root, file, base, verify } = await backMerged();
  const [header, baseRun, main1, main2] = await linesOf(file);
  const feature = await git(root, "show", `feature:${GIT_PATH}`);
  const feat1 = feature.split("\n").find((line) => line.includes(",FEAT1,"))!;
  const conflicted = [
    header,
    baseRun,
    "<<<<<<< HEAD",
    main1,
    main2,
    "=======",
    feat1,
    ">>>>>>> feature",
  ];
  await Deno.writeTextFile(file, conflicted.map((line) => `${line}\n`).join(""));
  const working = await verify(base);
  assertEquals(working.code, 1, working.stdout + working.stderr);
  assertIncludes(
    working.stdout,
    "RunRecords.csv:3: K-APPEND-1 broken in the working tree: line 3 differs",
  );
  await git(root, "commit", "-qam", "Squash feature");
  const committed = await verify(base);
  assertEquals(committed.code, 1, committed.stdout + committed.stderr);
  assertIncludes(committed.stdout, "RunRecords.csv:3: K-APPEND-1 broken in commit");
  assert(!committed.stdout.includes("inserted"), committed.stdout);
});
