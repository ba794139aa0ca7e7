/**
 * `verify --since` at a merge on HEAD's first-parent chain: every line the
 * merged branch appended since the merge base must be in the merge's
 * version, with real git merges: `-s ours`, a conflict resolved with
 * `git checkout --ours`, and an honest `merge=union` merge that holds.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/verify_merge_drops_test.ts
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./cli.ts";
import { git, sampleDraft, tempDir } from "./fixtures.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { firstParentDropped } from "../src/history_messages.ts";

const DEL = join("PKG-01_Alpha", "DEL-01-02_Flow_Meter");
const PATH = `PKG-01_Alpha/DEL-01-02_Flow_Meter/${RECORD_FILE}`;

async function append(file: string, agent: string, timestamp: string) {
  await Deno.mkdir(join(file, ".."), { recursive: true });
  await appendRecord(file, sampleDraft({ AgentName: agent, RunTimestamp: timestamp }), {
    fsync: false,
  });
}

/**
 * A repository on branch main (with `merge=union` when `union`) holding one
 * committed run, BASE's: the repository, its record file and that commit.
 */
/** Runs git (as a committer) in `repo` where it may stop at a conflict: its output unread. */
function conflicting(repo: string, ...args: string[]): Promise<Deno.CommandOutput> {
  return new Deno.Command("git", {
    args: ["-c", "user.name=t", "-c", "user.email=t@t", ...args],
    cwd: repo,
    stdout: "null",
    stderr: "null",
  }).output();
}

async function committedBase(union: boolean) {
  const repo = await Deno.realPath(await tempDir({ prefix: "runrec-merge-drops-" }));
  await git(repo, "init", "-q", "-b", "main");
  const attributes = union ? `${RECORD_FILE} merge=union eol=lf\n` : `${RECORD_FILE} eol=lf\n`;
  await Deno.writeTextFile(join(repo, ".gitattributes"), attributes);
  const file = join(repo, DEL, RECORD_FILE);
  await append(file, "BASE", "2026-04-01T00:00:00Z");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "base");
  return { repo, file, base: await git(repo, "rev-parse", "HEAD") };
}

/**
 * A repository (with `merge=union` when `union`) holding one committed run
 * (`base`); branch B appends a run, main another and a commit that touches
 * no record file. Returns B's commit and the RunID of B's run (line 3 there).
 */
async function diverged(union: boolean) {
  const { repo, file, base } = await committedBase(union);
  await git(repo, "checkout", "-qb", "B");
  await append(file, "ON_B", "2026-04-02T00:00:00Z");
  await git(repo, "commit", "-qam", "B run");
  const b = await git(repo, "rev-parse", "HEAD");
  const runId = (await git(repo, "show", `${b}:${PATH}`)).split("\n")[2].split(",")[1];
  await git(repo, "checkout", "-q", "main");
  await append(file, "ON_MAIN", "2026-04-03T00:00:00Z");
  await git(repo, "commit", "-qam", "main run");
  await Deno.writeTextFile(join(repo, "notes.md"), "unrelated\n");
  await git(repo, "add", "notes.md");
  await git(repo, "commit", "-qm", "main: no record touched");
  return { repo, file, base, b, runId };
}

function assertDropped(stdout: string, b: string, runId: string, subject: string) {
  assert.match(
    stdout,
    new RegExp(
      `RunRecords\\.csv:3: K-APPEND-1 broken in commit [0-9a-f]{7} "${subject}": ` +
        `the merge drops record ${runId} \\(line 3 of ${b.slice(0, 7)}'s version\\)`,
    ),
  );
  // The remedy: where the lost lines are, and the union driver.
  assert.match(stdout, new RegExp(`git --no-pager show ${b.slice(0, 7)}:${PATH}`));
  assert.match(stdout, /merge=union/);
}

Deno.test("verify --since at a merge: a merge -s ours that drops the merged branch's run fails, naming the merge, RunID and line", async () => {
  const { repo, base, b, runId } = await diverged(true);
  await git(repo, "merge", "-q", "-s", "ours", "--no-edit", "-m", "merge B (ours)", "B");
  for (const target of [repo, join(repo, DEL)]) {
    const { code, stdout } = await runCli(["verify", target, "--since", base]);
    assert.equal(code, 1, stdout);
    assertDropped(stdout, b, runId, "merge B \\(ours\\)");
  }
  // A later honest commit does not hide it.
  await append(join(repo, DEL, RECORD_FILE), "LATER", "2026-04-04T00:00:00Z");
  await git(repo, "commit", "-qam", "later run");
  const later = await runCli(["verify", repo, "--since", base]);
  assert.equal(later.code, 1, later.stdout);
  assertDropped(later.stdout, b, runId, "merge B \\(ours\\)");
});

Deno.test("verify --since at a merge: a conflict resolved with git checkout --ours fails; re-adding the lines holds", async () => {
  const { repo, file, base, b, runId } = await diverged(false);
  const merge = await conflicting(repo, "merge", "-q", "--no-edit", "B");
  assert.notEqual(merge.code, 0, "the merge should conflict without merge=union");
  await git(repo, "checkout", "--ours", "--", PATH);
  await git(repo, "add", PATH);
  await git(repo, "commit", "-qm", "merge B (checkout --ours)");
  const dropped = await runCli(["verify", repo, "--since", base]);
  assert.equal(dropped.code, 1, dropped.stdout);
  assertDropped(dropped.stdout, b, runId, "merge B \\(checkout --ours\\)");

  // The remedy the message gives: B's line re-added in a later commit does not undo the
  // merge's drop (history keeps it), but a merge redone with the lines kept holds.
  await git(repo, "reset", "-q", "--hard", "HEAD~1");
  await conflicting(repo, "merge", "-q", "--no-edit", "B");
  await git(repo, "checkout", "--ours", "--", PATH);
  const bLine = (await git(repo, "show", `${b}:${PATH}`)).split("\n")[2];
  await Deno.writeTextFile(file, `${await Deno.readTextFile(file)}${bLine}\n`);
  await git(repo, "add", PATH);
  await git(repo, "commit", "-qm", "merge B (lines kept)");
  const kept = await runCli(["verify", repo, "--since", base]);
  assert.equal(kept.code, 0, kept.stdout);
  assert.match(kept.stdout, /K-APPEND-1 holds/);
});

Deno.test("verify --since at a merge: a conflict resolved with git checkout --theirs fails, naming the first parent's dropped run and what to do", async () => {
  const { repo, file, base } = await diverged(false);
  const mainRunId = (await Deno.readTextFile(file)).split("\n")[2].split(",")[1];
  const merge = () => conflicting(repo, "merge", "-q", "--no-edit", "B");
  assert.notEqual((await merge()).code, 0, "the merge should conflict without merge=union");
  await git(repo, "checkout", "--theirs", "--", PATH);
  await git(repo, "add", PATH);
  await git(repo, "commit", "-qm", "merge B (checkout --theirs)");
  const dropped = await runCli(["verify", repo, "--since", base]);
  assert.equal(dropped.code, 1, dropped.stdout);
  // Not "line 3 differs": the record, whose version, and the remedy, as for the other side's.
  const previous =
    /the merge drops record (\S+) \(line 3 of ([0-9a-f]{7})'s version, its first parent's\): redo the merge keeping both sides' lines as they were \(`RunRecords\.csv merge=union` in \.gitattributes, or copy them from `git --no-pager show ([0-9a-f]{7}):(\S+)`\)/
      .exec(dropped.stdout);
  assert.ok(previous, dropped.stdout);
  assert.equal(previous[1], mainRunId);
  assert.equal(previous[3], previous[2]);
  assert.equal(previous[4], PATH);
  assert.ok((await git(repo, "show", `${previous[2]}:${PATH}`)).includes(mainRunId));

  // The remedy: the merge redone keeping both sides' lines holds.
  await git(repo, "reset", "-q", "--hard", "HEAD~1");
  await merge();
  const theirs = await git(repo, "show", `B:${PATH}`);
  await git(repo, "checkout", "--ours", "--", PATH);
  await Deno.writeTextFile(file, `${await Deno.readTextFile(file)}${theirs.split("\n")[2]}\n`);
  await git(repo, "add", PATH);
  await git(repo, "commit", "-qm", "merge B (both kept)");
  const kept = await runCli(["verify", repo, "--since", base]);
  assert.equal(kept.code, 0, kept.stdout);
});

Deno.test("verify --since: a cherry-pick whose conflict was resolved with git checkout --theirs names the run it took out and the one put in its place; the commands it gives put it back", async () => {
  const { repo, file, base, runId } = await diverged(false);
  const mainRunId = (await Deno.readTextFile(file)).split("\n")[2].split(",")[1];
  const pick = await conflicting(repo, "cherry-pick", "B");
  assert.notEqual(pick.code, 0, "the cherry-pick should conflict without merge=union");
  await git(repo, "checkout", "--theirs", "--", PATH);
  await git(repo, "add", PATH);
  await git(repo, "commit", "-qm", "B run, picked");
  const replaced = await runCli(["verify", repo, "--since", base]);
  assert.equal(replaced.code, 1, replaced.stdout);
  // Not "line 3 differs": which run went, which came, and the commands that put it back.
  assert.match(
    replaced.stdout,
    new RegExp(
      `:3: K-APPEND-1 broken in commit [0-9a-f]{7} "B run, picked": record ${mainRunId} ` +
        `\\(line 3\\) was removed and another run's record ${runId} put in its place, against ` +
        "the version in [0-9a-f]{7}; a record file is only appended to: put its lines back in " +
        "that commit",
    ),
  );
  const restore =
    /put its lines back in that commit \(`([^`]+)`, then `git commit --amend --allow-empty --no-edit`\)/
      .exec(replaced.stdout);
  assert.ok(restore, replaced.stdout);
  const { code } = await new Deno.Command("sh", { args: ["-c", restore[1]], cwd: repo }).output();
  assert.equal(code, 0);
  await git(repo, "commit", "-q", "--amend", "--no-edit");
  const kept = await runCli(["verify", repo, "--since", base]);
  assert.equal(kept.code, 0, kept.stdout);
  const ids = (await Deno.readTextFile(file)).split("\n").slice(1, -1).map((l) => l.split(",")[1]);
  assert.deepEqual(ids.slice(1), [mainRunId, runId]);
});

Deno.test("verify --since at a merge: a conflict committed with its markers, or with the empty lines where they were, says so and what to do; amended as told, it holds", async () => {
  for (const [left, kind] of [["markers", "a git conflict marker"], ["", "an empty line"]]) {
    const { repo, file, base } = await diverged(false);
    const merge = await conflicting(repo, "merge", "-q", "--no-edit", "B");
    assert.notEqual(merge.code, 0, "the merge should conflict without merge=union");
    const conflicted = await Deno.readTextFile(file);
    const marker = /^(?:<{7} |={7}$|>{7} ).*$/gm;
    await Deno.writeTextFile(file, left ? conflicted : conflicted.replace(marker, ""));
    await git(repo, "add", PATH);
    await git(repo, "commit", "-qm", "merge B (by hand)");
    const { code, stdout } = await runCli(["verify", repo, "--since", base]);
    assert.equal(code, 1, stdout);
    assert.match(
      stdout,
      new RegExp(
        `:3: K-APPEND-1 broken in commit [0-9a-f]{7} "merge B \\(by hand\\)": line 3 \\(${kind}\\) ` +
          "is in no parent's version: the merge added it: .*; keep each side's lines and no other " +
          "\\(`git add [^`]+ && git commit --amend --no-edit` before it is pushed",
      ),
      kind,
    );
    // As told: each side's lines and no other, the merge amended by the command printed, with
    // no editor, as an agent has (before: a bare amend, which took neither the edit nor ran).
    const kept = conflicted.split("\n").filter((line) =>
      line !== "" && !/^(?:<{7}|={7}|>{7})/.test(line)
    );
    await Deno.writeTextFile(file, `${kept.join("\n")}\n`);
    const amend = /\(`(git [^`]+)` before it is pushed/.exec(stdout)![1];
    const env = { GIT_EDITOR: "false" };
    const done = await new Deno.Command("sh", { args: ["-c", amend], cwd: repo, env }).output();
    assert.equal(done.code, 0, `${amend}: ${new TextDecoder().decode(done.stderr)}`);
    const amended = await runCli(["verify", repo, "--since", base]);
    assert.equal(amended.code, 0, `${kind}: ${amended.stdout}`);
  }
  // A merge that is no longer HEAD: an amend would go into a later commit, so a new commit is
  // what it says; done, the file is whole again, and a check from before that commit still fails,
  // as said (it takes lines out) (newuser-60 F3).
  const { repo, file } = await diverged(false);
  await conflicting(repo, "merge", "-q", "--no-edit", "B");
  await git(repo, "commit", "-qam", "merge B (by hand)");
  const merge = await git(repo, "rev-parse", "HEAD");
  await Deno.writeTextFile(join(repo, "later.md"), "later work\n");
  await git(repo, "add", "later.md");
  await git(repo, "commit", "-qm", "later work");
  const since = await runCli(["verify", repo, "--since", `${merge}~`]);
  assert.equal(since.code, 1, since.stdout);
  assert.match(
    since.stdout,
    /keep each side's lines and no other \(in a new commit: a check from before that commit /,
  );
  assert.doesNotMatch(since.stdout, /--amend/);
  const kept = (await Deno.readTextFile(file)).split("\n").filter((line) =>
    line !== "" && !/^(?:<{7}|={7}|>{7})/.test(line)
  );
  await Deno.writeTextFile(file, `${kept.join("\n")}\n`);
  await git(repo, "commit", "-qam", "conflict markers taken out");
  const fix = await git(repo, "rev-parse", "HEAD");
  assert.equal((await runCli(["verify", repo, "--since", fix])).code, 0);
  const fixed = await runCli(["verify", repo, "--since", merge]);
  assert.equal(fixed.code, 1, fixed.stdout);
  assert.match(
    fixed.stdout,
    /K-APPEND-1 broken in commit [0-9a-f]{7} "conflict markers taken out"/,
  );
});

Deno.test("verify --since at a merge: an honest merge=union merge holds; one identical line added on both sides counts once", async () => {
  const { repo, base } = await diverged(true);
  await git(repo, "merge", "-q", "--no-edit", "B");
  const union = await runCli(["verify", repo, "--since", base]);
  assert.equal(union.code, 0, union.stdout);
  assert.match(union.stdout, /K-APPEND-1 holds/);

  // Both sides append the same bytes (a cherry-pick): the union merge keeps the line once.
  const file = join(repo, DEL, RECORD_FILE);
  await git(repo, "checkout", "-qb", "C");
  await append(file, "BOTH", "2026-04-05T00:00:00Z");
  await git(repo, "commit", "-qam", "C run");
  await git(repo, "checkout", "-q", "main");
  await git(repo, "cherry-pick", "C");
  await git(repo, "merge", "-q", "--no-edit", "C");
  const text = await Deno.readTextFile(file);
  assert.equal(text.split("\n").filter((l) => l.includes(",BOTH,")).length, 1);
  const once = await runCli(["verify", repo, "--since", base]);
  assert.equal(once.code, 0, once.stdout);
});

const NEW_DEL = join("PKG-01_Alpha", "DEL-01-03_New_Gauge");
const NEW_PATH = `PKG-01_Alpha/DEL-01-03_New_Gauge/${RECORD_FILE}`;

/** Branch `name`, off the current HEAD, whose two runs create the record file of NEW_DEL. */
async function branchCreating(repo: string, name: string, back: string) {
  await git(repo, "checkout", "-qb", name);
  const file = join(repo, NEW_DEL, RECORD_FILE);
  await append(file, `${name}_1`, "2026-04-06T00:00:00Z");
  await append(file, `${name}_2`, "2026-04-07T00:00:00Z");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", `${name}: first runs of a new deliverable`);
  const tip = await git(repo, "rev-parse", "HEAD");
  await git(repo, "checkout", "-q", back);
  return tip;
}

Deno.test("verify --since at a merge: a merge -s ours that leaves out a record file the merged branch created fails, naming the file and its records", async () => {
  const { repo, base } = await diverged(true);
  const c = await branchCreating(repo, "C", "main");
  await git(repo, "merge", "-q", "-s", "ours", "--no-edit", "-m", "merge C (ours)", "C");
  const dropped = new RegExp(
    `${NEW_PATH}: K-APPEND-1 broken in commit [0-9a-f]{7} "merge C \\(ours\\)": the merge ` +
      `drops ${NEW_PATH}, which the merged branch created \\(2 records\\).*git --no-pager show ` +
      `${c.slice(0, 7)}:${NEW_PATH}`,
  );
  const ours = await runCli(["verify", repo, "--since", base]);
  assert.equal(ours.code, 1, ours.stdout);
  assert.match(ours.stdout, dropped);
  const json = await runCli(["verify", repo, "--since", base, "--json"]);
  assert.equal(json.code, 1, json.stdout);
  assert.deepEqual(JSON.parse(json.stdout).gone.map((g: { path: string }) => g.path), [
    join(repo, NEW_DEL, RECORD_FILE),
  ]);

  // A later run of that deliverable on main creates the file again: the branch's runs stay lost.
  // (The deliverable begun again on main holds a file: in a folder holding only runrec's state
  // the record would wait in the spool for the branch that took the files away.)
  await Deno.writeTextFile(join(repo, NEW_DEL, "_CONTEXT.md"), "**DeliverableID:** DEL-01-03\n");
  await append(join(repo, NEW_DEL, RECORD_FILE), "LATER", "2026-04-08T00:00:00Z");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "later run");
  const later = await runCli(["verify", repo, "--since", base]);
  assert.equal(later.code, 1, later.stdout);
  assert.match(later.stdout, /the merge drops .*, which the merged branch created \(2 records\)/);

  // The same branch merged keeping the file holds. The reset takes the later run out, on
  // purpose here: its journal line, which would be named as a record in no file
  // (journal_only_test), goes with it.
  await git(repo, "reset", "-q", "--hard", "HEAD~2");
  await Deno.remove(join(repo, NEW_DEL, ".runrec"), { recursive: true });
  await git(repo, "merge", "-q", "--no-edit", "C");
  const kept = await runCli(["verify", repo, "--since", base]);
  assert.equal(kept.code, 0, kept.stdout);
  assert.match(kept.stdout, new RegExp(`${NEW_PATH}: ok: .*K-APPEND-1 holds`));
});

Deno.test("verify --since at a merge: a branch whose own merge -s ours left out a file its merged branch created fails where it is merged", async () => {
  const { repo, base } = await diverged(true);
  await git(repo, "checkout", "-q", "B");
  await branchCreating(repo, "C", "B");
  await git(repo, "merge", "-q", "-s", "ours", "--no-edit", "-m", "B: merge C (ours)", "C");
  await git(repo, "checkout", "-q", "main");
  await git(repo, "merge", "-q", "--no-ff", "--no-edit", "-m", "merge B", "B");
  const { code, stdout } = await runCli(["verify", repo, "--since", base]);
  assert.equal(code, 1, stdout);
  assert.match(
    stdout,
    new RegExp(
      `K-APPEND-1 broken in commit [0-9a-f]{7} "merge B": merges [0-9a-f]{7}, whose branch ` +
        `did not only append: in commit [0-9a-f]{7} "B: merge C \\(ours\\)": the merge drops ` +
        `${NEW_PATH}, which the merged branch created \\(2 records\\)`,
    ),
  );
});

Deno.test("verify --since at a merge: the checkout its remedy gives, run from a subfolder while the merge is redone, keeps the file and the check holds (suggested-commands F4)", async () => {
  const { repo, base } = await diverged(true);
  await branchCreating(repo, "C", "main");
  await git(repo, "merge", "-q", "-s", "ours", "--no-edit", "-m", "merge C (ours)", "C");
  const sub = join(repo, "PKG-01_Alpha");
  const failed = await runCli(["verify", repo, "--since", base]);
  assert.equal(failed.code, 1, failed.stdout);
  const checkout = /redo the merge keeping it \(`(.+?)` before committing it\)/.exec(failed.stdout)
    ?.[1] ?? assert.fail(failed.stdout);
  await git(repo, "reset", "-q", "--hard", "HEAD~1");
  await git(repo, "merge", "-q", "-s", "ours", "--no-commit", "C");
  const done = await new Deno.Command("sh", { args: ["-c", checkout], cwd: sub }).output();
  assert.equal(done.code, 0, new TextDecoder().decode(done.stderr));
  await git(repo, "commit", "-qm", "merge C, keeping its runs");
  const held = await runCli(["verify", repo, "--since", base]);
  assert.equal(held.code, 0, held.stdout);
});

Deno.test("verify --since: a deliverable retired with git mv into _Archive/ while a branch recorded on it, then that branch merged (git follows the rename): both records are kept, and it holds; a merge that drops the branch's record still fails (ci-trial F1)", async () => {
  const { repo, file } = await committedBase(true);
  await Deno.writeTextFile(join(repo, "INIT.md"), "# root\n");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "an execution root");
  await git(repo, "checkout", "-qb", "feature");
  await append(file, "ON_FEATURE", "2026-04-02T00:00:00Z");
  await git(repo, "commit", "-qam", "feature run");
  await git(repo, "checkout", "-q", "main");
  await Deno.mkdir(join(repo, "_Archive"));
  await git(repo, "mv", DEL, "_Archive/");
  await git(repo, "commit", "-qm", "retire DEL-01-02");
  const retired = await git(repo, "rev-parse", "HEAD");
  const archived = join(repo, "_Archive", "DEL-01-02_Flow_Meter");
  for (const [strategy, code] of [["recursive", 0], ["ours", 1]] as const) {
    await git(repo, "checkout", "-q", "--detach", retired);
    await git(repo, "merge", "-q", "--no-ff", "-s", strategy, "feature", "-m", "Merge PR");
    const verified = await runCli(["verify", archived, "--since", retired]);
    assert.equal(verified.code, code, `${strategy}: ${verified.stdout}${verified.stderr}`);
    if (code === 0) {
      assert.match(verified.stdout, /K-APPEND-1 holds/);
      const lines = (await Deno.readTextFile(join(archived, RECORD_FILE))).trimEnd().split("\n");
      assert.deepEqual(lines.slice(1).map((l) => l.split(",")[3]), ["BASE", "ON_FEATURE"]);
    } else assert.match(verified.stdout, /K-APPEND-1 broken in commit .*Merge PR/);
  }
});

Deno.test("verify --since: a record file a merged branch deleted fails at the merge naming the branch's commit that deleted it, as a branch's edit is named (ci-trial F3)", async () => {
  const { repo, base } = await committedBase(false);
  await git(repo, "checkout", "-qb", "pr");
  await git(repo, "rm", "-q", join(DEL, RECORD_FILE));
  await git(repo, "commit", "-qm", "pr: drop records");
  const dropped = (await git(repo, "rev-parse", "--short", "HEAD")).trim();
  await git(repo, "checkout", "-q", "--detach", "main");
  await git(repo, "merge", "-q", "--no-ff", "pr", "-m", "Merge pull request #7");
  const verified = await runCli(["verify", repo, "--since", base]);
  assert.equal(verified.code, 1, verified.stdout);
  assert.match(
    verified.stdout,
    new RegExp(
      `"Merge pull request #7": merges ${dropped}, whose branch deleted the file: in commit ` +
        `${dropped} "pr: drop records": deletes the file, which held 1 record`,
    ),
  );
});

Deno.test("firstParentDropped: a first parent's record kept with other bytes is named as changed, with its line now; one gone as dropped; none when all are there", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  const REV = "0123456789abcdef0123456789abcdef01234567";
  const run = "v1.0,RUN-DEL-01-02-20260401-0000-001,DEL-01-02,A,TYPE_2,2026-04-01T00:00:00Z,x";
  const other = "v1.0,RUN-DEL-01-02-20260401-0000-002,DEL-01-02,B,TYPE_2,2026-04-01T00:00:30Z,y";
  const before = bytes(`h\n${run}\n`);
  const changed = firstParentDropped(before, bytes(`h\n${other}\n${run}z\n`), REV, "D/F");
  assert.equal(changed?.line, 2);
  assert.match(
    changed!.message,
    /^the merge changes record RUN-\S+-001 \(line 2 of 0123456's version, its first parent's; line 3 now, field column 7\): redo the merge/,
  );
  const dropped = firstParentDropped(before, bytes(`h\n${other}\n`), REV, "D/F");
  assert.match(dropped!.message, /^the merge drops record RUN-\S+-001 \(line 2 of 0123456's/);
  assert.equal(
    firstParentDropped(before, bytes(`h\n${other}\n${run}\n`), REV, "D/F"),
    undefined,
  );
});
