/**
 * `runrec verify --since REV` for records committed in REV..HEAD and gone
 * from HEAD: a record file created after REV and deleted later (on the
 * first-parent chain, on a merged branch, in the working tree), records
 * appended after REV and cut later, and a deliverable folder moved into a
 * tool root (`_Archive/`), which the walk of a root does not read. Real git
 * repositories throughout.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/verify_gone_test.ts
 * ```
 *
 * @module
 */
import { restoreCommands } from "./support/restore.ts";
import { join } from "node:path";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { HEADER, type RunRecord } from "../src/schema.ts";
import { decodeRecord, encodeRecord } from "../src/codec.ts";
import { assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { git, sampleDraft, tempDir } from "./fixtures.ts";

const DEL = "PKG-01_Alpha/1_Working/DEL-01-03_Level_Switch";
const OTHER = "PKG-01_Alpha/1_Working/DEL-01-02_Flow_Meter";
const FILE = `${DEL}/${RECORD_FILE}`;

/**
 * Appends one run by `agent`, started at 00:`minute`:`second`, to the record file of the
 * deliverable `del` of `repo`, whose ID is `id` (default: the one its folder's name starts with).
 */
async function record(
  repo: string,
  del: string,
  agent: string,
  minute: number,
  second = 0,
  id = del.split("/").at(-1)!.slice(0, "DEL-01-03".length),
) {
  await Deno.mkdir(join(repo, del), { recursive: true });
  const pad = (n: number) => String(n).padStart(2, "0");
  const at = `2026-10-01T00:${pad(minute)}:${pad(second)}.000Z`;
  await appendRecord(
    join(repo, del, RECORD_FILE),
    sampleDraft({
      AgentName: agent,
      RunTimestamp: at,
      DeliverableID: id,
    }),
    {
      fsync: false,
    },
  );
}

/**
 * An execution root in git (INIT.md, the `merge=union` recipe) whose one
 * commit, `first`, holds no record file: the REV of a lead's audit.
 */
async function project(): Promise<{ repo: string; first: string }> {
  const repo = await Deno.realPath(await tempDir({ prefix: "runrec-verify-gone-" }));
  await Deno.writeTextFile(join(repo, "INIT.md"), "# Init\n");
  await Deno.writeTextFile(join(repo, ".gitattributes"), `${RECORD_FILE} merge=union eol=lf\n`);
  await Deno.mkdir(join(repo, DEL), { recursive: true });
  await Deno.writeTextFile(join(repo, DEL, "_CONTEXT.md"), "# DEL-01-03\n");
  await git(repo, "init", "-q");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "first");
  return { repo, first: await git(repo, "rev-parse", "HEAD") };
}

/** Three runs recorded in DEL and committed; returns that commit. */
async function threeRuns(repo: string): Promise<string> {
  for (const minute of [1, 2, 3]) await record(repo, DEL, "4_DOCUMENTS", minute);
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "3 runs recorded");
  return await git(repo, "rev-parse", "HEAD");
}

/** `runrec verify ARGS` run in `repo`, paths relative to it. */
async function verify(repo: string, ...args: string[]) {
  const { code, stdout, stderr } = await runCliProcess(["verify", ...args], undefined, {}, repo);
  return { code, out: stdout, err: stderr };
}

const short = (id: string) => id.slice(0, 7);

Deno.test("verify --since: a record file created after REV whose records were committed and then deleted (git rm) fails, naming the commit that deleted it and the one that held them", async () => {
  const { repo, first } = await project();
  const runs = await threeRuns(repo);
  await git(repo, "rm", "-q", FILE);
  await git(repo, "commit", "-qm", "delete");
  const deleter = await git(repo, "rev-parse", "HEAD");

  const audit = await verify(repo, ".", "--since", first);
  assertEquals(audit.code, 1, audit.out + audit.err);
  assertIncludes(
    audit.out,
    `${FILE}: K-APPEND-1 broken in commit ${
      short(deleter)
    } "delete": deletes the file, which held 3 ` +
      `records at ${short(runs)}; a ` +
      `record file is only appended to: restore it in that commit (${
        restoreCommands(short(runs), FILE)
      }, then \`git commit --amend --allow-empty --no-edit\`)`,
  );
  assertEquals(audit.out.includes("no RunRecords.csv found"), false, audit.out);
  // As --since the commit that held them already said.
  assertEquals((await verify(repo, ".", "--since", runs)).code, 1);
  const json = JSON.parse((await runCli(["verify", repo, "--since", first, "--json"])).stdout);
  assertEquals(json.ok, false);
  assertEquals(json.gone.map((g: { path: string }) => g.path), [join(repo, FILE)]);
  const failure = json.gone[0].history.failure;
  assertEquals([failure.commit, failure.previous, failure.deleted], [deleter, runs, true]);

  // Deleted in the working tree, not committed: the same.
  await git(repo, "reset", "-q", "--hard", runs);
  await Deno.remove(join(repo, FILE));
  const working = await verify(repo, ".", "--since", first);
  assertEquals(working.code, 1, working.out);
  assertIncludes(
    working.out,
    `${FILE}: K-APPEND-1 broken: deleted in the working tree (not committed)\n`,
  );
  // A deliverable folder as the target: its own file, gone.
  const own = await verify(repo, DEL, "--since", first);
  assertEquals(own.code, 1, own.out);
  assertIncludes(own.out, `${FILE}: K-APPEND-1 broken: deleted in the working tree`);
});

Deno.test("verify --since: a record file a merged branch created and deleted, or deleted after main created it, fails at the merge", async () => {
  // Created and deleted on the branch: the merge's diff shows nothing of it.
  const { repo, first } = await project();
  await git(repo, "checkout", "-qb", "side");
  await threeRuns(repo);
  await git(repo, "rm", "-q", FILE);
  await git(repo, "commit", "-qm", "delete on the branch");
  const deleter = await git(repo, "rev-parse", "HEAD");
  await git(repo, "checkout", "-q", "main");
  await record(repo, OTHER, "MAIN", 4);
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "main run");
  await git(repo, "merge", "-q", "--no-ff", "--no-edit", "side");
  const merge = await git(repo, "rev-parse", "HEAD");
  const branch = await verify(repo, ".", "--since", first);
  assertEquals(branch.code, 1, branch.out);
  assertIncludes(
    branch.out,
    `${FILE}:1: K-APPEND-1 broken in commit ${short(merge)} "Merge branch 'side'": merges ` +
      `${short(deleter)}, whose branch did not only append: in commit ${short(deleter)} ` +
      `"delete on the branch": deletes the file`,
  );
  assertIncludes(branch.out, `${OTHER}/${RECORD_FILE}: ok: 1 record`);
  // The note says what the branch did, not that the merge left the file out.
  assertIncludes(
    branch.out,
    `${FILE}: note: created and deleted on the branch merge ${short(merge)} brought in\n`,
  );
  assertEquals(branch.out.includes("left out by merge"), false, branch.out);

  // Created on main, deleted by a branch that main merges.
  const second = await project();
  const runs = await threeRuns(second.repo);
  await git(second.repo, "checkout", "-qb", "side");
  await git(second.repo, "rm", "-q", FILE);
  await git(second.repo, "commit", "-qm", "delete on the branch");
  const deleting = short(await git(second.repo, "rev-parse", "HEAD"));
  await git(second.repo, "checkout", "-q", "main");
  await record(second.repo, OTHER, "MAIN", 4);
  await git(second.repo, "add", "-A");
  await git(second.repo, "commit", "-qm", "main run");
  await git(second.repo, "merge", "-q", "--no-ff", "--no-edit", "side");
  const merged = await git(second.repo, "rev-parse", "HEAD");
  const deleted = await verify(second.repo, ".", "--since", second.first);
  assertEquals(deleted.code, 1, deleted.out);
  assertIncludes(
    deleted.out,
    // The branch's commit that deleted it is named (ci-trial F3).
    `${FILE}: K-APPEND-1 broken in commit ${short(merged)} "Merge branch 'side'": merges ` +
      `${deleting}, whose branch deleted the file: in commit ${deleting} "delete on the branch": ` +
      `deletes the file, which held 3 records at ${
        short(runs)
      }; a record file is only appended to: restore it in a new commit (${
        restoreCommands(short(runs), FILE)
      }, then \`git commit -m "put back records"\`; a check from before ${deleting} still fails)`,
  );
});

Deno.test("verify --since: records appended after REV to a file REV held and cut in a later commit fail, though REV..HEAD shows no change", async () => {
  const { repo } = await project();
  await record(repo, DEL, "BASE", 1);
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "rev");
  const rev = await git(repo, "rev-parse", "HEAD");
  const before = await Deno.readFile(join(repo, FILE));
  await record(repo, DEL, "LATER", 2);
  await git(repo, "commit", "-qam", "one more");
  await Deno.writeFile(join(repo, FILE), before);
  await git(repo, "commit", "-qam", "cut");
  const cut = await git(repo, "rev-parse", "HEAD");
  assertEquals(await git(repo, "diff", "--stat", rev, "HEAD"), "");
  const result = await verify(repo, ".", "--since", rev);
  assertEquals(result.code, 1, result.out);
  assertMatch(
    result.out,
    new RegExp(
      `${FILE}:3: K-APPEND-1 broken in commit ${short(cut)} "cut": line 3: .*record RUN-DEL-01-03-`,
    ),
  );
});

Deno.test("verify --since: a deliverable folder moved with git mv into _Archive/ (a tool root) is followed there and checked, with a note naming the folder; a rewrite or deletion there fails", async () => {
  const { repo, first } = await project();
  const runs = await threeRuns(repo);
  const archived = `_Archive/DEL-01-03_Level_Switch/${RECORD_FILE}`;
  await Deno.mkdir(join(repo, "_Archive"));
  await git(repo, "mv", DEL, "_Archive/");
  const note = `${archived}: note: moved into _Archive/, a tool root (a "_" folder of an ` +
    `execution root, for snapshot copies), which checks of the folders above skip: followed ` +
    "here and checked; to keep it checked, name it as a target, or move it out of _Archive/\n";
  let archive = "";
  // Staged, not committed yet; then committed.
  for (const step of ["staged", "committed"]) {
    if (step === "committed") {
      await git(repo, "commit", "-qm", "archive");
      archive = await git(repo, "rev-parse", "HEAD");
    }
    for (const since of [first, runs]) {
      const result = await verify(repo, ".", "--since", since);
      assertEquals(result.code, 0, `${step}: ${result.out}`);
      assertIncludes(result.out, note);
      assertIncludes(
        result.out,
        `${archived}: ok: 3 records, 0 errors, 0 warnings, K-APPEND-1 holds\n`,
      );
      assertEquals(result.out.includes("deleted"), false, result.out);
    }
  }
  const json = JSON.parse((await runCli(["verify", repo, "--since", first, "--json"])).stdout);
  assertEquals(json.files.map((f: { path: string; ok: boolean }) => [f.path, f.ok]), [[
    join(repo, archived),
    true,
  ]]);

  // A record cut there is caught: the file is checked, not merely named.
  const lines = (await Deno.readTextFile(join(repo, archived))).split("\n");
  await Deno.writeTextFile(
    join(repo, archived),
    [...lines.slice(0, 2), ...lines.slice(3)].join("\n"),
  );
  await git(repo, "commit", "-qam", "cut one");
  const rewritten = await verify(repo, ".", "--since", first);
  assertEquals(rewritten.code, 1, rewritten.out);
  assertMatch(
    rewritten.out,
    /_Archive\/DEL-01-03_Level_Switch\/RunRecords.csv:3: K-APPEND-1 broken in commit [0-9a-f]{7} "cut one"/,
  );

  // Deleted from there (the cut undone first): gone, named where it was deleted.
  await git(repo, "reset", "-q", "--hard", "HEAD~1");
  await git(repo, "rm", "-rq", "_Archive");
  await git(repo, "commit", "-qm", "drop the archive");
  const dropper = await git(repo, "rev-parse", "HEAD");
  for (const since of [first, runs]) {
    const gone = await verify(repo, ".", "--since", since);
    assertEquals(gone.code, 1, gone.out);
    assertMatch(
      gone.out,
      new RegExp(
        `${archived}: K-APPEND-1 broken in commit ${short(dropper)} "drop the archive": ` +
          // Last held at the commit that moved it there.
          `deletes the file, which held 3 records at ${short(archive)};`,
      ),
    );
  }
});

Deno.test("verify --since: a deliverable folder moved out of the target (another package) is followed and checked, its path printed relative to the working folder; renamed within it, it holds as before", async () => {
  const { repo, first } = await project();
  await threeRuns(repo);
  await git(repo, "mv", DEL, `${DEL}_v2`);
  await git(repo, "commit", "-qm", "rename");
  const renamed = await verify(repo, ".", "--since", first);
  assertEquals(renamed.code, 0, renamed.out);
  assertIncludes(renamed.out, `${DEL}_v2/${RECORD_FILE}: ok: 3 records`);

  await Deno.mkdir(join(repo, "PKG-02_Beta"));
  await git(repo, "mv", `${DEL}_v2`, "PKG-02_Beta/");
  await git(repo, "commit", "-qm", "move to another package");
  const moved = await verify(repo, "PKG-01_Alpha", "--since", first);
  assertEquals(moved.code, 0, moved.out);
  // As the working folder sees it, like every other path printed (it was absolute).
  const file = `PKG-02_Beta/DEL-01-03_Level_Switch_v2/${RECORD_FILE}`;
  assertIncludes(moved.out, `${file}: note: moved out of the targets; followed here and checked\n`);
  assertIncludes(moved.out, `${file}: ok: 3 records, 0 errors, 0 warnings, K-APPEND-1 holds\n`);
  assertEquals(moved.out.includes(repo), false, moved.out);
});

Deno.test("validate and verify of a root name the record files a tool root holds, which they do not read: each, or the first three and a count", async () => {
  const { repo } = await project();
  await threeRuns(repo);
  const snapshot = (n: number) => `_Reconciliation/SNAP-${n}/DEL-01-03_Level_Switch/${RECORD_FILE}`;
  for (const n of [1, 2, 3, 4, 5]) {
    await Deno.mkdir(join(repo, snapshot(n), ".."), { recursive: true });
    await Deno.copyFile(join(repo, FILE), join(repo, snapshot(n)));
  }
  await Deno.mkdir(join(repo, "_Archive", "DEL-01-04_Old"), { recursive: true });
  await Deno.copyFile(join(repo, FILE), join(repo, "_Archive", "DEL-01-04_Old", RECORD_FILE));
  await Deno.mkdir(join(repo, "_Scripts")); // holds no record file: not named
  const archive = `runrec: note: skipped _Archive: a tool root (a "_" folder of an execution ` +
    `root, for snapshot copies) holding 1 ${RECORD_FILE}, not read: ` +
    `_Archive/DEL-01-04_Old/${RECORD_FILE}; name it to read it\n`;
  const reconciliation = `runrec: note: skipped _Reconciliation: a tool root (a "_" folder of an ` +
    `execution root, for snapshot copies) holding 5 ${RECORD_FILE}, not read: ` +
    `${snapshot(1)}, ${snapshot(2)}, ${snapshot(3)} and 2 more; name it to read it\n`;
  for (const command of ["validate", "verify"]) {
    const { code, stdout, stderr } = await runCliProcess([command, "."], undefined, {}, repo);
    assertEquals(code, 0, stdout + stderr);
    assertIncludes(stderr, archive);
    assertIncludes(stderr, reconciliation);
    assertEquals(stderr.includes("_Scripts"), false, stderr);
    assertEquals(stdout.includes("_Archive") || stdout.includes("_Reconciliation"), false, stdout);
  }
  // Named, beside the root too, a tool root is read, and no note says it was skipped.
  for (const targets of [["_Archive"], [".", "_Archive"]]) {
    const named = await runCliProcess(["validate", ...targets], undefined, {}, repo);
    assertEquals(named.code, 0, named.stderr);
    assertIncludes(named.stdout, `_Archive/DEL-01-04_Old/${RECORD_FILE}: ok`);
    assertEquals(named.stderr.includes("skipped _Archive"), false, named.stderr);
  }
});

/** The notes and verdicts `verify` printed for `path`, one string. */
const linesOf = (out: string, path: string) =>
  out.split("\n").filter((line) => line.startsWith(`${path}:`)).join("\n");

Deno.test("verify --since: a deliverable folder moved into _Archive/ with a plain mv (git not told) is found by its records and fails until the move is added (committed as it is, the file is deleted); added, it is followed: appended to, it holds; rewritten, it fails naming both paths", async () => {
  const { repo, first } = await project();
  await threeRuns(repo);
  await record(repo, OTHER, "4_DOCUMENTS", 4);
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "a run of DEL-01-02");
  const archived = `_Archive/DEL-01-03_Level_Switch/${RECORD_FILE}`;
  await Deno.mkdir(join(repo, "_Archive"));
  await Deno.rename(join(repo, DEL), join(repo, "_Archive", "DEL-01-03_Level_Switch"));
  const moved = `${archived}: note: moved from ${FILE} in the working tree, not added to git ` +
    "(found by its records, not its name); checked against its history there\n";
  const untold = await verify(repo, ".", "--since", first);
  assertEquals(untold.code, 1, untold.out + untold.err);
  assertIncludes(untold.out, moved);
  assertIncludes(
    untold.out,
    `${archived}:1: K-APPEND-1 broken in the working tree: moved from ${FILE}, and git has not ` +
      "been told: committed as it is, that file is deleted and its records are left untracked; " +
      "`git add -A` (or git add of both paths) records the move, which is then followed",
  );
  // Followed, so not said to be unread (and _Archive holds no other record file).
  assertEquals(untold.err.includes("skipped _Archive"), false, untold.err);
  const json = JSON.parse((await runCli(["verify", repo, "--since", first, "--json"])).stdout);
  assertEquals(json.ok, false);
  const entry = json.files.find((f: { path: string }) => f.path === join(repo, archived));
  assertEquals(entry.history.renames.at(-1), { commit: "working tree", from: FILE, to: archived });

  // Added: followed as git pairs it. Appended to there, it holds; its package moved whole.
  await git(repo, "add", "-A");
  const held = await verify(repo, ".", "--since", first);
  assertEquals(held.code, 0, held.out + held.err);
  assertIncludes(held.out, `${archived}: ok: 3 records, 0 errors, 0 warnings, K-APPEND-1 holds\n`);
  await record(repo, "_Archive/DEL-01-03_Level_Switch", "LATER", 5);
  await Deno.rename(join(repo, "PKG-01_Alpha"), join(repo, "_Archive", "PKG-01_Alpha"));
  await git(repo, "add", "-A");
  const both = await verify(repo, ".", "--since", first);
  assertEquals(both.code, 0, both.out + both.err);
  assertIncludes(both.out, `${archived}: ok: 4 records, 0 errors, 0 warnings, K-APPEND-1 holds\n`);
  assertIncludes(both.out, `_Archive/${OTHER}/${RECORD_FILE}: ok: 1 record, 0 errors`);

  // A record cut: the moved file fails, naming the path HEAD has it at.
  const lines = (await Deno.readTextFile(join(repo, archived))).split("\n");
  await Deno.writeTextFile(
    join(repo, archived),
    [...lines.slice(0, 2), ...lines.slice(3)].join("\n"),
  );
  const cut = await verify(repo, ".", "--since", first);
  assertEquals(cut.code, 1, cut.out);
  assertMatch(
    cut.out,
    new RegExp(
      `${archived}:3: K-APPEND-1 broken in the working tree: record RUN-DEL-01-03-\\S+ \\(line 3\\) ` +
        `was removed, against the version of ${FILE} in [0-9a-f]{7}\n`,
    ),
  );
});

Deno.test("verify --since: a deliverable folder renumbered with a plain mv (DEL-01-03 to DEL-01-07, git not told) is found by its records and fails until the move is added; added, it is followed as after git mv", async () => {
  const { repo, first } = await project();
  await threeRuns(repo);
  const renumbered = DEL.replace("DEL-01-03", "DEL-01-07");
  await Deno.rename(join(repo, DEL), join(repo, renumbered));
  const result = await verify(repo, ".", "--since", first);
  assertEquals(result.code, 1, result.out);
  assertIncludes(
    result.out,
    `${renumbered}/${RECORD_FILE}: note: moved from ${FILE} in the working tree, not added to ` +
      "git (found by its records, not its name); checked against its history there\n",
  );
  assertIncludes(
    result.out,
    `${renumbered}/${RECORD_FILE}:1: K-APPEND-1 broken in the working tree: moved from ${FILE}, and git has not been told`,
  );
  // Told to git: followed.
  await git(repo, "add", "-A");
  const staged = await verify(repo, ".", "--since", first);
  assertEquals(staged.code, 0, staged.out);
  assertIncludes(staged.out, `${renumbered}/${RECORD_FILE}: ok: 3 records, 0 errors, 1 warning`);
});

Deno.test("verify --since: a deliverable folder moved with a plain mv into an _Archive/ that git ignores fails, naming the ignore line: its records would never be committed", async () => {
  const { repo, first } = await project();
  await threeRuns(repo);
  await Deno.writeTextFile(join(repo, ".gitignore"), "_Archive/\n");
  await git(repo, "add", ".gitignore");
  await git(repo, "commit", "-qm", "ignore the archive");
  await Deno.mkdir(join(repo, "_Archive"));
  await Deno.rename(join(repo, DEL), join(repo, "_Archive", "DEL-01-03_Level_Switch"));
  const result = await verify(repo, ".", "--since", first);
  assertEquals(result.code, 1, result.out);
  assertIncludes(
    result.out,
    `_Archive/DEL-01-03_Level_Switch/${RECORD_FILE}:1: git ignores this file (.gitignore:1: ` +
      "_Archive/): its records are never committed",
  );
});

Deno.test("verify --since: of two copies of a deliverable folder (cp -r twice, then rm) one is named as the move, and its note names the other; a file that only shares the folder's name or DeliverableID is not taken for it", async () => {
  const { repo, first } = await project();
  await threeRuns(repo);
  for (const root of ["_Archive", "_Backup"]) {
    await Deno.mkdir(join(repo, root, "DEL-01-03_Level_Switch"), { recursive: true });
    await Deno.copyFile(join(repo, FILE), join(repo, root, "DEL-01-03_Level_Switch", RECORD_FILE));
  }
  await Deno.remove(join(repo, DEL), { recursive: true });
  const result = await verify(repo, ".", "--since", first);
  assertEquals(result.code, 1, result.out + result.err);
  const [archived, backup] = ["_Archive", "_Backup"].map((root) =>
    `${root}/DEL-01-03_Level_Switch/${RECORD_FILE}`
  );
  assertIncludes(
    result.out,
    `${archived}: note: moved from ${FILE} in the working tree, not added to git (found by its ` +
      `records, not its name); ${backup} holds its records too (a copy), not followed: name it ` +
      "to check it; checked against its history there\n",
  );
  assertIncludes(result.out, `${archived}:1: K-APPEND-1 broken in the working tree: moved from`);
  // Many copies: three named, the rest counted.
  for (const n of [1, 2, 3, 4]) {
    const copy = join(repo, "_Backup", `take-${n}`, "DEL-01-03_Level_Switch");
    await Deno.mkdir(copy, { recursive: true });
    await Deno.copyFile(join(repo, archived), join(copy, RECORD_FILE));
  }
  const many = await verify(repo, ".", "--since", first);
  assertIncludes(many.out, " and 2 more hold its records too (copies), not followed");
  assertEquals(linesOf(result.out, backup), "");
  assertIncludes(result.err, `runrec: note: skipped _Backup: a tool root`);
  assertIncludes(result.err, `not read: ${backup}; name it to read it\n`);
  assertEquals(result.err.includes("skipped _Archive"), false, result.err);

  // Never by name alone: a folder of that name holding other records (a new file of the same
  // DeliverableID, another deliverable's file) is not the deliverable moved.
  await Deno.remove(join(repo, "_Backup"), { recursive: true });
  for (const agent of ["NEW", "OTHER"]) {
    await Deno.remove(join(repo, "_Archive"), { recursive: true });
    if (agent === "NEW") await record(repo, "_Archive/DEL-01-03_Level_Switch", agent, 9);
    else {
      await record(repo, "_Archive/DEL-01-02_Flow_Meter", agent, 9);
      await Deno.rename(
        join(repo, "_Archive", "DEL-01-02_Flow_Meter"),
        join(repo, "_Archive", "DEL-01-03_Level_Switch"),
      );
    }
    const other = await verify(repo, ".", "--since", first);
    assertEquals(other.code, 1, other.out);
    assertIncludes(other.out, `${FILE}: K-APPEND-1 broken: deleted in the working tree`);
    assertEquals(other.out.includes(archived), false, other.out);
  }
});

Deno.test("verify . --since: the note on a tool root skipped names only the record files not followed there", async () => {
  const { repo, first } = await project();
  await threeRuns(repo);
  await record(repo, "_Archive/DEL-01-04_Old", "OLD", 7);
  await git(repo, "mv", DEL, "_Archive/");
  const [moved, old] = ["DEL-01-03_Level_Switch", "DEL-01-04_Old"].map((folder) =>
    `_Archive/${folder}/${RECORD_FILE}`
  );
  const note = (held: string) =>
    `runrec: note: skipped _Archive: a tool root (a "_" folder of an execution root, for ` +
    `snapshot copies) holding 2 ${RECORD_FILE}, ${held}; name it to read it\n`;
  const followed = await verify(repo, ".", "--since", first);
  assertEquals(followed.code, 0, followed.out + followed.err);
  assertIncludes(followed.out, `${moved}: note: moved into _Archive/`);
  assertIncludes(followed.err, note(`1 followed and checked (moved there), 1 not read: ${old}`));
  // Without --since nothing is followed: both are unread.
  const plain = await verify(repo, ".");
  assertEquals(plain.code, 0, plain.out + plain.err);
  assertIncludes(plain.err, note(`not read: ${moved}, ${old}`));
});

Deno.test("stale of a root names each tool root it skips that holds record files, on stderr (not in --json), and not one a target names; flush names none with no record spooled there", async () => {
  const { repo } = await project();
  await threeRuns(repo);
  await Deno.mkdir(join(repo, "_Archive"));
  await git(repo, "mv", DEL, "_Archive/");
  await Deno.mkdir(join(repo, "_Scripts")); // holds no record file: not named
  const note = `runrec: note: skipped _Archive: a tool root (a "_" folder of an execution root, ` +
    `for snapshot copies) holding 1 ${RECORD_FILE}, not read: _Archive/DEL-01-03_Level_Switch/` +
    `${RECORD_FILE}; name it to read it\n`;
  for (const command of ["stale", "flush"]) {
    const text = await runCliProcess([command, "."], undefined, {}, repo);
    // Flush reads no record file: its note is of records spooled there (tests/flush_tool_root_test.ts).
    const expected = command === "stale" ? note : "";
    assertEquals(text.code, 0, text.stdout + text.stderr);
    assertEquals(text.stderr, expected);
    const json = await runCliProcess([command, ".", "--json"], undefined, {}, repo);
    assertEquals(json.code, 0, json.stderr);
    assertEquals(json.stderr, expected);
    assertEquals(json.stdout.includes("_Archive"), false, json.stdout);
    JSON.parse(json.stdout);
    // Named, it is looked in (stale: RETIRED, as every deliverable in a tool root, exit 0).
    const named = await runCliProcess([command, ".", "_Archive"], undefined, {}, repo);
    assertEquals(named.code, 0, named.stdout + named.stderr);
    if (command === "stale") assertIncludes(named.stdout, "RETIRED      DEL-01-03");
    assertEquals(named.stderr.includes("skipped"), false, named.stderr);
  }
});

/** OTHER's record file, a header alone, committed; its path from the top. */
async function headerAlone(repo: string): Promise<string> {
  const file = `${OTHER}/${RECORD_FILE}`;
  await Deno.mkdir(join(repo, OTHER), { recursive: true });
  await Deno.writeTextFile(join(repo, file), `${HEADER}\n`);
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "a header alone");
  return file;
}

Deno.test("verify --since: deleting a record file that held no record (a header alone) passes, in the working tree or committed, whether REV had it or not; one with a record still fails", async () => {
  const { repo, first } = await project();
  const empty = await headerAlone(repo);
  const had = await git(repo, "rev-parse", "HEAD");
  // Deleted in the working tree, staged or not: the same verdict as once committed.
  await Deno.remove(join(repo, empty));
  const unstaged = await verify(repo, ".", "--since", first);
  assertEquals(unstaged.code, 0, unstaged.out);
  await git(repo, "rm", "-q", "--cached", empty);
  const staged = await verify(repo, ".", "--since", first);
  assertEquals(staged.code, 0, staged.out);
  await git(repo, "commit", "-qm", "drop it");
  for (const since of [first, had]) {
    const result = await verify(repo, ".", "--since", since);
    assertEquals(result.code, 0, result.out);
    assertEquals(result.out.includes("K-APPEND-1 broken"), false, result.out);
  }
  await threeRuns(repo);
  await git(repo, "rm", "-q", FILE);
  await git(repo, "commit", "-qm", "drop the records");
  const gone = await verify(repo, ".", "--since", first);
  assertEquals(gone.code, 1, gone.out);
  assertIncludes(gone.out, "deletes the file, which held 3 records");
});

Deno.test("verify --since: a header-only record file whose version in the index holds a record (appended and staged since HEAD) fails when deleted, as the record goes with it (review-k 3)", async () => {
  const { repo, first } = await project();
  const file = await headerAlone(repo);
  await record(repo, OTHER, "4_DOCUMENTS", 1);
  await git(repo, "add", file); // the record staged: a commit now would hold it
  await Deno.remove(join(repo, OTHER), { recursive: true });
  const result = await verify(repo, ".", "--since", first);
  assertEquals(result.code, 1, result.out);
  assertIncludes(result.out, `${file}: K-APPEND-1 broken: deleted in the working tree`);
});

Deno.test("verify --since: a folder moved among the targets with a plain mv (renamed, or to another package) fails until git is told of both sides; only the new side or only the deletion added still fails; all added passes (review-k 2)", async () => {
  for (
    const to of [
      "PKG-01_Alpha/1_Working/DEL-01-03_Level",
      "PKG-02_Beta/1_Working/DEL-01-03_Level_Switch",
    ]
  ) {
    const { repo } = await project();
    const rev = await threeRuns(repo);
    await Deno.mkdir(join(repo, to, ".."), { recursive: true });
    await Deno.rename(join(repo, DEL), join(repo, to));
    const untold = await verify(repo, ".", "--since", rev);
    assertEquals(untold.code, 1, untold.out);
    assertIncludes(untold.out, `moved from ${FILE}, and git has not been told`);
    await git(repo, "add", to); // the new side only
    assertEquals((await verify(repo, ".", "--since", rev)).code, 1);
    await git(repo, "reset", "-q");
    await git(repo, "add", "-u", DEL); // the deletion only
    assertEquals((await verify(repo, ".", "--since", rev)).code, 1);
    await git(repo, "add", "-A");
    const told = await verify(repo, ".", "--since", rev);
    assertEquals(told.code, 0, told.out);
  }
});

const ARCHIVED_DEL = "_Archive/DEL-01-03_Level_Switch";
const ARCHIVED = `${ARCHIVED_DEL}/${RECORD_FILE}`;

/**
 * DEL retired into `_Archive/` with a plain mv and restarted at its path: its
 * files copied back and one run recorded there. `edit` changes the archived
 * record file first (a record dropped, say). Nothing told to git.
 */
async function retireAndRestart(repo: string, edit?: (lines: string[]) => string[]) {
  await Deno.mkdir(join(repo, "_Archive"));
  await Deno.rename(join(repo, DEL), join(repo, ARCHIVED_DEL));
  if (edit) {
    const lines = (await Deno.readTextFile(join(repo, ARCHIVED))).split("\n");
    await Deno.writeTextFile(join(repo, ARCHIVED), edit(lines).join("\n"));
  }
  await Deno.mkdir(join(repo, DEL));
  await Deno.copyFile(join(repo, ARCHIVED_DEL, "_CONTEXT.md"), join(repo, DEL, "_CONTEXT.md"));
  await record(repo, DEL, "PREPARATION", 9);
}

Deno.test("verify --since: a deliverable retired into an _Archive/ folder named with a date or a version (2026-12_DEL-01-03_…, DEL-01-03/v1) and restarted at its path passes: the archive's path claims its ID (review-n F1)", async () => {
  for (const archived of ["_Archive/2026-12_DEL-01-03_Level_Switch", "_Archive/DEL-01-03/v1"]) {
    const { repo } = await project();
    const runs = await threeRuns(repo);
    await Deno.mkdir(join(repo, archived, ".."), { recursive: true });
    await git(repo, "mv", DEL, archived);
    await Deno.mkdir(join(repo, DEL));
    await Deno.copyFile(join(repo, archived, "_CONTEXT.md"), join(repo, DEL, "_CONTEXT.md"));
    await record(repo, DEL, "PREPARATION", 9);
    await git(repo, "add", "-A");
    const result = await verify(repo, ".", "_Archive", "--since", runs);
    assertEquals(result.code, 0, `${archived}: ${result.out}${result.err}`);
    assertIncludes(result.out, `${FILE}: note: a new file at this path`);
  }
});

/** `lines` without the record file's line `n` (1-based: 3 is the second record). */
const withoutLine = (n: number) => (lines: string[]) => lines.filter((_, i) => i !== n - 1);

Deno.test("verify --since: a deliverable retired into _Archive/ and restarted at its path in one change (git: M at the old path, A in _Archive/) follows the records into _Archive/ and calls the old path's file a new one: untracked it fails until added, staged or committed (a squash merge) it holds", async () => {
  const { repo, first } = await project();
  const runs = await threeRuns(repo);
  await retireAndRestart(repo);
  const restartedNote = (where: string) =>
    `${FILE}: note: a new file at this path; the one it replaced was moved to ${ARCHIVED} in ` +
    `${where} (followed there)`;

  // Untracked: the move fails until git is told, and the new file is not called a rewrite.
  const untold = await verify(repo, ".", "--since", runs);
  assertEquals(untold.code, 1, untold.out + untold.err);
  assertIncludes(untold.out, `${restartedNote("the working tree")}; nothing to compare\n`);
  assertIncludes(
    untold.out,
    `${ARCHIVED}: note: moved from ${FILE} in the working tree, not added to git, where a new ` +
      "file begins (found by its records, not its name); checked against its history there\n",
  );
  assertIncludes(
    untold.out,
    `${ARCHIVED}:1: K-APPEND-1 broken in the working tree: moved from ${FILE}, and git has not ` +
      "been told: committed as it is, that file is rewritten and its records are left untracked",
  );
  assertIncludes(untold.out, `${FILE}: ok: 1 record, 0 errors, 0 warnings, K-APPEND-1 holds\n`);
  assertEquals(untold.out.includes("differs"), false, untold.out);

  // Staged (git add -A), then committed in one commit: followed, every record kept.
  await git(repo, "add", "-A");
  for (const step of ["staged", "committed"]) {
    if (step === "committed") await git(repo, "commit", "-qm", "retire and restart DEL-01-03");
    const commit = short(await git(repo, "rev-parse", "HEAD"));
    const where = step === "staged" ? "the working tree" : `commit ${commit}`;
    for (const since of [runs, first]) {
      const result = await verify(repo, ".", "--since", since);
      assertEquals(result.code, 0, `${step}: ${result.out}${result.err}`);
      assertIncludes(result.out, restartedNote(where));
      assertIncludes(
        result.out,
        `${ARCHIVED}: note: moved from ${FILE} in ${where}, where a new file begins (found by ` +
          "its records, not its name); checked against its history there\n",
      );
      assertIncludes(
        result.out,
        `${ARCHIVED}: ok: 3 records, 0 errors, 0 warnings, K-APPEND-1 holds\n`,
      );
      assertIncludes(result.out, `${FILE}: ok: 1 record, 0 errors, 0 warnings, K-APPEND-1 holds`);
    }
    // The archive named as the target: checked against REV's version of the old path.
    const archive = await verify(repo, "_Archive", "--since", runs);
    assertEquals(archive.code, 0, `${step}: ${archive.out}${archive.err}`);
    assertIncludes(archive.out, `${ARCHIVED}: ok: 3 records`);
    assertEquals(archive.out.includes("not in "), false, archive.out);
  }
  const json = JSON.parse((await runCli(["verify", repo, "--since", runs, "--json"])).stdout);
  const archived = json.files.find((f: { path: string }) => f.path === join(repo, ARCHIVED));
  assertEquals(archived.history.renames.at(-1).to, ARCHIVED);
  assertEquals(archived.history.versionsCompared, 3); // at REV, the commit, the working tree
});

Deno.test("verify --since: a deliverable retired with git mv and restarted at its path, the new file not added yet (git: R into _Archive/, the old path untracked), is followed into _Archive/ and holds", async () => {
  const { repo } = await project();
  const runs = await threeRuns(repo);
  await Deno.mkdir(join(repo, "_Archive"));
  await git(repo, "mv", DEL, "_Archive/");
  await Deno.mkdir(join(repo, DEL));
  await record(repo, DEL, "PREPARATION", 9);
  const result = await verify(repo, ".", "--since", runs);
  assertEquals(result.code, 0, result.out + result.err);
  assertIncludes(
    result.out,
    `${FILE}: note: a new file at this path; the one it replaced was moved to ${ARCHIVED} in the ` +
      "working tree (followed there); nothing to compare\n",
  );
  assertIncludes(
    result.out,
    `${ARCHIVED}: ok: 3 records, 0 errors, 0 warnings, K-APPEND-1 holds\n`,
  );
});

Deno.test("verify --since: a deliverable retired and restarted in one change whose archived copy dropped or changed a committed record fails, naming the archived file, untracked, staged or committed", async () => {
  const changeRecord = (lines: string[]) =>
    lines.map((line, i) => i === 2 ? line.replace("4_DOCUMENTS", "4_DOCUMENTZ") : line);
  for (const [what, edit] of [["dropped", withoutLine(3)], ["changed", changeRecord]] as const) {
    const { repo } = await project();
    const runs = await threeRuns(repo);
    await retireAndRestart(repo, edit);
    for (const step of ["untracked", "staged", "committed"]) {
      if (step === "staged") await git(repo, "add", "-A");
      if (step === "committed") await git(repo, "commit", "-qm", "retire and restart DEL-01-03");
      for (const targets of [["."], ["_Archive"], [".", "_Archive"]]) {
        const result = await verify(repo, ...targets, "--since", runs);
        const label = `${what}, ${step}, ${targets}: ${result.out}${result.err}`;
        assertEquals(result.code, 1, label);
        const where = step === "committed"
          ? 'in commit [0-9a-f]{7} "retire and restart'
          : "in the working tree";
        assertMatch(
          result.out,
          new RegExp(`${ARCHIVED}:3: K-APPEND-1 broken ${where}`),
          label,
        );
        // Not blamed on the new file at the old path.
        assertEquals(linesOf(result.out, `${FILE}:2`), "", label);
        // Put back where the records went, never over the new file at the old path.
        if (step === "committed" && what === "dropped") {
          assertIncludes(
            result.out,
            `put its lines back in that commit (${
              restoreCommands(short(runs), FILE, ARCHIVED)
            }, then \`git commit --amend --allow-empty --no-edit\`)`,
            label,
          );
          assertIncludes(
            result.out,
            `\`runrec annotate "$(git rev-parse --show-toplevel)"/${ARCHIVED_DEL} RUN-DEL-01-03-`,
            label,
          );
        }
      }
    }
  }
});

Deno.test("verify --since: what a restart must not excuse still fails: the old path rewritten with its records nowhere else, and a rewrite in place (first record's DeliverableID and some RunIDs kept) beside a snapshot copy, untracked or committed with it", async () => {
  // The old path rewritten into a new file, the records it held kept nowhere.
  const { repo } = await project();
  const runs = await threeRuns(repo);
  await Deno.writeTextFile(
    join(repo, FILE),
    (await Deno.readTextFile(join(repo, FILE))).split("\n")[0] + "\n",
  );
  await record(repo, DEL, "PREPARATION", 9);
  for (const step of ["working tree", "committed"]) {
    if (step === "committed") await git(repo, "commit", "-qam", "start over");
    const result = await verify(repo, ".", "--since", runs);
    assertEquals(result.code, 1, result.out);
    assertMatch(result.out, new RegExp(`${FILE}:2: K-APPEND-1 broken .*line 2 differs`));
    assertEquals(result.out.includes("a new file at this path"), false, result.out);
  }

  // Rewritten in place (its first record dropped) beside an untracked snapshot copy of it.
  const other = await project();
  const before = await threeRuns(other.repo);
  const snapshot = `_Reconciliation/2026-12-03/DEL-01-03_Level_Switch/${RECORD_FILE}`;
  await Deno.mkdir(join(other.repo, snapshot, ".."), { recursive: true });
  await Deno.copyFile(join(other.repo, FILE), join(other.repo, snapshot));
  const lines = (await Deno.readTextFile(join(other.repo, FILE))).split("\n");
  await Deno.writeTextFile(join(other.repo, FILE), withoutLine(2)(lines).join("\n"));
  await record(other.repo, DEL, "PREPARATION", 9);
  for (const step of ["untracked", "committed with it"]) {
    if (step !== "untracked") {
      await git(other.repo, "add", "-A");
      await git(other.repo, "commit", "-qm", "snapshot, and rewrite");
    }
    for (const targets of [["."], [".", "_Reconciliation"]]) {
      const result = await verify(other.repo, ...targets, "--since", before);
      assertEquals(result.code, 1, `${step}: ${result.out}`);
      assertMatch(result.out, new RegExp(`${FILE}:2: K-APPEND-1 broken`), step);
      assertEquals(result.out.includes("a new file at this path"), false, result.out);
      assertEquals(result.out.includes("moved from"), false, result.out);
    }
  }
});

/** A record file's `lines` with every record edited by `edit` and its RecordChecksum recomputed: a rewrite that validates. */
const everyRecord = (edit: (record: RunRecord) => void) => (lines: string[]) =>
  lines.map((line, i) => {
    if (i === 0 || line === "") return line;
    const record = decodeRecord(line);
    edit(record);
    return encodeRecord(record);
  });

/** The record file at `path` of `repo` put through `edit`. */
async function rewrite(repo: string, path: string, edit: (lines: string[]) => string[]) {
  const lines = (await Deno.readTextFile(join(repo, path))).split("\n");
  await Deno.writeTextFile(join(repo, path), edit(lines).join("\n"));
}

Deno.test("verify --since: every record of the live file edited in place (RunIDs and RunTimestamps kept, checksums recomputed) beside a faithful copy added elsewhere fails, untracked, staged or committed, whatever the targets (review-l F1)", async () => {
  const { repo } = await project();
  const runs = await threeRuns(repo);
  const snapshot = `_Reconciliation/snap/${RECORD_FILE}`;
  await Deno.mkdir(join(repo, snapshot, ".."), { recursive: true });
  await Deno.copyFile(join(repo, FILE), join(repo, snapshot));
  await rewrite(repo, FILE, everyRecord((record) => record.Notes = "edited"));
  for (const step of ["untracked", "staged", "committed"]) {
    if (step === "staged") await git(repo, "add", "-A");
    if (step === "committed") await git(repo, "commit", "-qm", "snapshot, and edit");
    for (const targets of [["."], [DEL], [".", "_Reconciliation"]]) {
      const result = await verify(repo, ...targets, "--since", runs);
      const label = `${step}, ${targets}: ${result.out}${result.err}`;
      assertEquals(result.code, 1, label);
      assertMatch(result.out, new RegExp(`${FILE}:2: K-APPEND-1 broken .*line 2 differs`), label);
      assertEquals(result.out.includes("a new file at this path"), false, label);
    }
  }
});

Deno.test("verify --since: a rewrite that renumbers every run, or moves each later in its minute, beside a faithful copy (a snapshot, or a folder of the deliverable's ID in _Archive/) fails: a restart begins at run 001, and its copy keeps the folder's ID (review-m F1)", async () => {
  const edits: [string, (record: RunRecord) => void][] = [
    ["renumbered", (record) => record.RunID = record.RunID.replace(/-00(\d)$/, "-10$1")],
    [
      "later in its minute",
      (record) => record.RunTimestamp = record.RunTimestamp.replace(/:\d\d\.\d+Z$/, ":59.900Z"),
    ],
  ];
  for (const [what, edit] of edits) {
    for (const copyAt of [`_Reconciliation/snap/${RECORD_FILE}`, ARCHIVED]) {
      const { repo } = await project();
      const runs = await threeRuns(repo);
      await Deno.mkdir(join(repo, copyAt, ".."), { recursive: true });
      await Deno.copyFile(join(repo, FILE), join(repo, copyAt));
      await rewrite(
        repo,
        FILE,
        everyRecord((record) => {
          record.Notes = "edited";
          edit(record);
        }),
      );
      await git(repo, "add", "-A");
      const result = await verify(repo, ".", copyAt.split("/")[0], "--since", runs);
      assertEquals(result.code, 1, `${what}, ${copyAt}: ${result.out}${result.err}`);
    }
  }
});

Deno.test("verify --since: the live file rewritten (RunIDs kept, or all renumbered) is not excused by a staged git mv of a snapshot committed earlier: only a rename from the rewritten file's own path takes its records (review-l F2)", async () => {
  for (const renumbered of [false, true]) {
    const { repo } = await project();
    await threeRuns(repo);
    const [snapshot, moved] = ["snap", "snap2"].map((f) => `_Reconciliation/${f}/${RECORD_FILE}`);
    await Deno.mkdir(join(repo, snapshot, ".."), { recursive: true });
    await Deno.copyFile(join(repo, FILE), join(repo, snapshot));
    await git(repo, "add", "-A");
    await git(repo, "commit", "-qm", "routine snapshot");
    const since = await git(repo, "rev-parse", "HEAD");
    await rewrite(
      repo,
      FILE,
      everyRecord((record) => {
        record.Notes = "edited";
        if (renumbered) record.RunID = record.RunID.replace(/-001$/, "-101");
      }),
    );
    await Deno.mkdir(join(repo, moved, ".."));
    await git(repo, "mv", snapshot, moved);
    for (const step of ["rewrite unstaged", "all staged"]) {
      if (step === "all staged") await git(repo, "add", "-A");
      for (const targets of [["."], [DEL]]) {
        const result = await verify(repo, ...targets, "--since", since);
        const label = `${renumbered ? "renumbered" : "RunIDs kept"}, ${step}, ${targets}: ` +
          `${result.out}${result.err}`;
        assertEquals(result.code, 1, label);
        assertMatch(result.out, new RegExp(`${FILE}:2: K-APPEND-1 broken .*line 2 differs`), label);
        assertEquals(result.out.includes("a new file at this path"), false, label);
      }
    }
  }
});

Deno.test("verify --since: a deliverable retired in one commit and restarted in the next calls the new file a new file at the old path, naming where the one it replaced went", async () => {
  const { repo } = await project();
  const runs = await threeRuns(repo);
  await Deno.mkdir(join(repo, "_Archive"));
  await Deno.rename(join(repo, DEL), join(repo, ARCHIVED_DEL));
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "retire");
  const retired = short(await git(repo, "rev-parse", "HEAD"));
  await Deno.mkdir(join(repo, DEL));
  await record(repo, DEL, "PREPARATION", 9);
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "restart");
  const restarted = short(await git(repo, "rev-parse", "HEAD"));
  const result = await verify(repo, ".", "--since", runs);
  assertEquals(result.code, 0, result.out);
  assertIncludes(
    result.out,
    `${FILE}: note: a new file at this path; the one it replaced was moved to ${ARCHIVED} in ` +
      `commit ${retired} (followed there); checked from its first version, in commit ${restarted}\n`,
  );
  assertEquals(result.out.includes(`${FILE}: note: not in`), false, result.out);
});

Deno.test("verify --since: of the copies a plain mv may have made, one git ignores is not taken for the move, and of two that kept every byte the one with more records is; the notes stay when the file followed fails its storage check", async () => {
  const { repo, first } = await project();
  await threeRuns(repo);
  await Deno.writeTextFile(join(repo, ".gitignore"), "_Backup/\n");
  await git(repo, "add", ".gitignore");
  await git(repo, "commit", "-qm", "ignore backups");
  const backup = `_Backup/DEL-01-03_Level_Switch/${RECORD_FILE}`;
  const retired = `_Retired/DEL-01-03_Level_Switch/${RECORD_FILE}`;
  await Deno.mkdir(join(repo, backup, ".."), { recursive: true });
  await Deno.copyFile(join(repo, FILE), join(repo, backup));
  await Deno.mkdir(join(repo, "_Retired"));
  await Deno.rename(join(repo, DEL), join(repo, "_Retired", "DEL-01-03_Level_Switch"));
  const result = await verify(repo, ".", "--since", first);
  assertEquals(result.code, 1, result.out + result.err);
  assertIncludes(
    result.out,
    `${retired}: note: moved from ${FILE} in the working tree, not added to git (found by its ` +
      `records, not its name); ${backup} holds its records too (a copy), not followed`,
  );
  assertIncludes(result.out, `${retired}:1: K-APPEND-1 broken in the working tree: moved from`);
  assertEquals(linesOf(result.out, backup), "", result.out);
  assertEquals(result.err.includes("not read: _Retired"), false, result.err);

  // Two copies that kept every byte: the one with more records (runs appended) is the move.
  await Deno.remove(join(repo, ".gitignore"));
  await record(repo, "_Retired/DEL-01-03_Level_Switch", "LATER", 5);
  const [early, late] = ["_A", "_B"].map((root) => `${root}/DEL-01-03_Level_Switch/${RECORD_FILE}`);
  await Deno.mkdir(join(repo, early, ".."), { recursive: true });
  await Deno.copyFile(join(repo, backup), join(repo, early));
  await Deno.mkdir(join(repo, late, ".."), { recursive: true });
  await Deno.copyFile(join(repo, retired), join(repo, late));
  await Deno.remove(join(repo, "_Retired"), { recursive: true });
  await Deno.remove(join(repo, "_Backup"), { recursive: true });
  const more = await verify(repo, ".", "--since", first);
  assertIncludes(more.out, `${late}: note: moved from ${FILE} in the working tree`);
  assertIncludes(more.out, `${early} holds its records too (a copy)`);

  // The only copy ignored: it fails its storage check, and still says where it came from.
  await Deno.remove(join(repo, "_A"), { recursive: true });
  await Deno.writeTextFile(join(repo, ".gitignore"), "_B/\n");
  const ignored = await verify(repo, ".", "--since", first);
  assertEquals(ignored.code, 1, ignored.out);
  assertIncludes(ignored.out, `${late}:1: git ignores this file (.gitignore:1: _B/)`);
  assertIncludes(ignored.out, `${late}: note: moved from ${FILE} in the working tree`);
});

Deno.test("verify --since: a path holding a newline is printed on one line (oneLine) in every per-file line and suggested command", async () => {
  const { repo, first } = await project();
  await threeRuns(repo);
  await Deno.mkdir(join(repo, "_Archive"));
  const folder = "_Archive/DEL-01-03\nnl";
  await git(repo, "mv", DEL, folder);
  await git(repo, "commit", "-qm", "archive");
  const lines = (await Deno.readTextFile(join(repo, folder, RECORD_FILE))).split("\n");
  await Deno.writeTextFile(join(repo, folder, RECORD_FILE), withoutLine(4)(lines).join("\n"));
  await git(repo, "commit", "-qam", "cut");
  for (const targets of [["."], ["_Archive"]]) {
    const result = await verify(repo, ...targets, "--since", first);
    assertEquals(result.code, 1, result.out);
    const shown = `_Archive/DEL-01-03\\nnl/${RECORD_FILE}`;
    for (const line of result.out.trimEnd().split("\n")) {
      assertEquals(line.startsWith(shown) || line.startsWith("runrec"), true, result.out);
    }
    assertIncludes(result.out, `${shown}:4: K-APPEND-1 broken in commit`);
  }
});

Deno.test("verify --since: a restart whose first run reuses a RunID of the retired file (recorded in its last minute, after it) is not taken for a new file: the old path fails K-APPEND-1, saying to restart in a later minute, and the shared RunID is its own error (review-o F1)", async () => {
  const { repo } = await project();
  const runs = await threeRuns(repo);
  await Deno.mkdir(join(repo, "_Archive"));
  await Deno.rename(join(repo, DEL), join(repo, ARCHIVED_DEL));
  await Deno.mkdir(join(repo, DEL));
  // Restarted in another clone: this one's notes of the RunIDs given (.git/runrec-locks) would
  // give the restart's run the next SEQ.
  await Deno.remove(join(repo, ".git", "runrec-locks"), { recursive: true });
  await record(repo, DEL, "PREPARATION", 3, 30); // the minute of the last run archived: its RunID
  await git(repo, "add", "-A");
  const remedy = "if a new file was begun here (a deliverable restarted), its first run reuses " +
    "RunID RUN-DEL-01-03-20261001-0003-001 of the last minute of the file it replaced, so it " +
    "cannot be told from those runs rewritten: restart in a later minute";
  for (const step of ["staged", "committed"]) {
    if (step === "committed") await git(repo, "commit", "-qm", "retire and restart DEL-01-03");
    const result = await verify(repo, ".", "_Archive", "--since", runs);
    assertEquals(result.code, 1, result.out);
    assertMatch(result.out, new RegExp(`${FILE}:2: K-APPEND-1 broken .*line 2 differs`));
    assertIncludes(result.out, remedy);
    assertEquals(result.out.includes("a new file at this path"), false, result.out);
    assertMatch(result.out, /two runs under one name/);
  }
});

Deno.test("verify --since: the last minute's runs rewritten (RunIDs kept, each moved later in its minute, its notes edited) beside a faithful copy in a folder that names the ID (_Archive/2026-12_DEL-01-03_…, _Archive/DEL-01-03/v1, the deliverable's own backup/, an archived whole project) fail, staged or committed; the copy is compared by RunID too (review-o F1)", async () => {
  const copies = [
    "_Archive/2026-12_DEL-01-03_Level_Switch",
    "_Archive/DEL-01-03/v1",
    `${DEL}/backup`,
    "_Archive/project_2026-12/DEL-01-03_Level_Switch",
  ];
  for (const copy of copies) {
    const { repo } = await project();
    for (const second of [0, 10, 20]) await record(repo, DEL, "4_DOCUMENTS", 3, second);
    await git(repo, "add", "-A");
    await git(repo, "commit", "-qm", "3 runs in one minute");
    const runs = await git(repo, "rev-parse", "HEAD");
    await Deno.mkdir(join(repo, copy), { recursive: true });
    await Deno.copyFile(join(repo, FILE), join(repo, copy, RECORD_FILE));
    if (copy.includes("project")) {
      // An execution root of its own inside _Archive/, the deliverable's _CONTEXT.md with it.
      await Deno.writeTextFile(join(repo, "_Archive/project_2026-12/INIT.md"), "# Init\n");
      await Deno.copyFile(join(repo, DEL, "_CONTEXT.md"), join(repo, copy, "_CONTEXT.md"));
    }
    await rewrite(
      repo,
      FILE,
      everyRecord((record) => {
        record.RunTimestamp = record.RunTimestamp.replace(/:\d\d\.\d+Z$/, ":59.900Z");
        record.Notes = "was FAILED";
      }),
    );
    await git(repo, "add", "-A");
    const inArchive = copy.startsWith("_Archive");
    for (const step of ["staged", "committed"]) {
      if (step === "committed") await git(repo, "commit", "-qm", "tamper");
      for (const targets of inArchive ? [["."], [".", "_Archive"]] : [["."]]) {
        const result = await verify(repo, ...targets, "--since", runs);
        const label = `${copy}, ${step}, ${targets}: ${result.out}${result.err}`;
        assertEquals(result.code, 1, label);
        assertMatch(result.out, new RegExp(`${FILE}:2: K-APPEND-1 broken .*line 2 differs`), label);
        assertIncludes(result.out, "restart in a later minute", label);
        assertEquals(result.out.includes("a new file at this path"), false, label);
        // Read with it, the copy claims the ID as the restart rule would have: RunIDs compared.
        if (targets.length > 1 || !inArchive) {
          assertIncludes(
            result.out,
            `${FILE}:2: RunID RUN-DEL-01-03-20261001-0003-001 is also the RunID of ${copy}/` +
              `${RECORD_FILE}:2`,
            label,
          );
        }
      }
    }
  }
});

Deno.test("verify --since: a deliverable named without its ID (ID in _CONTEXT.md) retired with git mv and restarted in one commit still passes once its live folder, or its archive folder, is renamed in a later commit: each _CONTEXT.md is read as the restart's commit held it (review-o F3)", async () => {
  for (const renamed of ["live", "archive"]) {
    const { repo } = await project();
    const live = "PKG-01_Alpha/1_Working/Level_Switch";
    const archived = "_Archive/Level_Switch_2026-12";
    await git(repo, "mv", DEL, live);
    await Deno.writeTextFile(join(repo, live, "_CONTEXT.md"), "**DeliverableID:** DEL-01-03\n");
    for (const minute of [1, 2, 3]) await record(repo, live, "4_DOCUMENTS", minute, 0, "DEL-01-03");
    await git(repo, "add", "-A");
    await git(repo, "commit", "-qm", "3 runs recorded");
    const runs = await git(repo, "rev-parse", "HEAD");
    await Deno.mkdir(join(repo, "_Archive"));
    await git(repo, "mv", live, archived);
    await Deno.mkdir(join(repo, live));
    await Deno.copyFile(join(repo, archived, "_CONTEXT.md"), join(repo, live, "_CONTEXT.md"));
    await record(repo, live, "PREPARATION", 9, 0, "DEL-01-03");
    await git(repo, "add", "-A");
    await git(repo, "commit", "-qm", "retire + restart");
    const before = await verify(repo, ".", "_Archive", "--since", runs);
    assertEquals(before.code, 0, before.out + before.err);
    const [from, to] = renamed === "live"
      ? [live, `${live}_Specification`]
      : [archived, "_Archive/Level_Switch_retired"];
    await git(repo, "mv", from, to);
    await git(repo, "commit", "-qm", `rename the ${renamed} folder`);
    const after = await verify(repo, ".", "_Archive", "--since", runs);
    assertEquals(after.code, 0, `${renamed}: ${after.out}${after.err}`);
    const archive = renamed === "archive" ? to : archived;
    assertIncludes(after.out, `${archive}/${RECORD_FILE}: ok: 3 records, 0 errors, 0 warnings`);
    assertEquals(after.out.includes("not in "), false, after.out);
  }
});

Deno.test("verify . --since: a retired deliverable's record file in _Archive/ (a tool root, not read by the walk of .) deleted, committed or in the working tree, fails naming it; a snapshot copy there whose records a record file left holds is deleted freely (review-o F2)", async () => {
  const { repo } = await project();
  await threeRuns(repo);
  await Deno.mkdir(join(repo, "_Archive"));
  await git(repo, "mv", DEL, "_Archive/");
  await git(repo, "commit", "-qm", "retire DEL-01-03");
  const retired = await git(repo, "rev-parse", "HEAD");
  // Not committed: the working tree's deletion.
  await Deno.remove(join(repo, "_Archive"), { recursive: true });
  const lost = `it was in _Archive/, a tool root, which checks of the folders above skip, and ` +
    "record RUN-DEL-01-03-20261001-0001-001 is in no record file left";
  const working = await verify(repo, ".", "--since", retired);
  assertEquals(working.code, 1, working.out + working.err);
  assertIncludes(
    working.out,
    `${ARCHIVED}: K-APPEND-1 broken: deleted in the working tree (not committed); ${lost}\n`,
  );
  // Committed (git rm -r _Archive): the commit is named, and so is the version lost.
  await git(repo, "rm", "-rq", "--cached", "_Archive");
  await git(repo, "commit", "-qm", "clean up the archive");
  const cleaner = short(await git(repo, "rev-parse", "HEAD"));
  const committed = await verify(repo, ".", "--since", retired);
  assertEquals(committed.code, 1, committed.out + committed.err);
  assertIncludes(
    committed.out,
    `${ARCHIVED}: K-APPEND-1 broken in commit ${cleaner} "clean up the archive": deletes the ` +
      `file, which held 3 records at ${short(retired)}; ${lost}`,
  );
  const json = JSON.parse((await runCli(["verify", repo, "--since", retired, "--json"])).stdout);
  assertEquals(json.gone.map((g: { path: string }) => g.path), [join(repo, ARCHIVED)]);

  // Snapshot copies of a live file in a tool root, deleted: every record is in the live file.
  const other = await project();
  await threeRuns(other.repo);
  const snapshots = ["_Archive/snap", "_Reconciliation/2026-12-03/DEL-01-03_Level_Switch"];
  for (const snapshot of snapshots) {
    await Deno.mkdir(join(other.repo, snapshot), { recursive: true });
    await Deno.copyFile(join(other.repo, FILE), join(other.repo, snapshot, RECORD_FILE));
  }
  await git(other.repo, "add", "-A");
  await git(other.repo, "commit", "-qm", "snapshots");
  const taken = await git(other.repo, "rev-parse", "HEAD");
  await record(other.repo, DEL, "LATER", 5);
  await git(other.repo, "rm", "-rq", "_Archive", "_Reconciliation");
  await git(other.repo, "add", "-A");
  for (const step of ["staged", "committed"]) {
    if (step === "committed") await git(other.repo, "commit", "-qm", "drop the snapshots");
    const dropped = await verify(other.repo, ".", "--since", taken);
    assertEquals(dropped.code, 0, `${step}: ${dropped.out}${dropped.err}`);
    assertEquals(dropped.out.includes("_Archive"), false, dropped.out);
  }
  // A snapshot holding a record the live file does not (cut from it since): lost with it.
  await git(other.repo, "reset", "-q", "--hard", taken);
  const lines = (await Deno.readTextFile(join(other.repo, FILE))).split("\n");
  await Deno.writeTextFile(join(other.repo, FILE), withoutLine(4)(lines).join("\n"));
  await git(other.repo, "rm", "-rq", "_Archive", "_Reconciliation");
  await git(other.repo, "commit", "-qam", "cut a run, and drop its snapshots");
  const cut = await verify(other.repo, ".", "--since", taken);
  assertEquals(cut.code, 1, cut.out);
  assertMatch(cut.out, new RegExp(`${FILE}:4: K-APPEND-1 broken`));
  assertIncludes(
    cut.out,
    `_Archive/snap/${RECORD_FILE}: K-APPEND-1 broken in commit ${
      short(await git(other.repo, "rev-parse", "HEAD"))
    } "cut a run, and drop its snapshots": deletes the file, which held 3 records at ` +
      `${short(taken)}; it was in _Archive/, a tool root, which checks of the folders above ` +
      "skip, and record RUN-DEL-01-03-20261001-0003-001 is in no record file left",
  );
});
