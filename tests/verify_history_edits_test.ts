/**
 * `runrec verify --since` across the history edits teams make every day: a
 * rebase (plain, and interactive: reorder, squash, drop, edit a record), a
 * cherry-pick resolved by hand, `git merge --squash`, `git commit --amend`,
 * `git filter-branch`, and revisions named by an annotated tag, a merged
 * branch's commit and `HEAD~N` across a merge. An edit that only moves whole
 * records between commits holds from the base and from the old tip; one that
 * changes, drops or reorders a committed record fails, naming it. Real git
 * repositories throughout.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/verify_history_edits_test.ts
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { runCli } from "./cli.ts";
import { git, sampleDraft, tempDir } from "./fixtures.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";

const DEL = "PKG-01_Alpha/DEL-01-02_Flow_Meter";

/** Appends one run by `agent` stamped `at` (its own minute: its own RunID) to `dir`'s file. */
async function run(dir: string, agent: string, at: string): Promise<void> {
  await appendRecord(
    join(dir, RECORD_FILE),
    sampleDraft({ AgentName: agent, RunTimestamp: at }),
    { fsync: false },
  );
}

/**
 * A repository whose deliverable holds one committed run, with
 * `RunRecords.csv merge=union` unless `union` is false; `base` is that commit.
 */
async function repository({ union = true } = {}) {
  const repo = await tempDir({ prefix: "runrec-history-edits-" });
  const del = join(repo, DEL);
  await Deno.mkdir(del, { recursive: true });
  await git(repo, "init", "-q");
  if (union) {
    await Deno.writeTextFile(join(repo, ".gitattributes"), `${RECORD_FILE} merge=union eol=lf\n`);
  }
  await run(del, "BASE", "2026-10-01T00:00:00Z");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "base");
  return { repo, del, file: join(del, RECORD_FILE), base: await git(repo, "rev-parse", "HEAD") };
}

/** Commits a run of `agent` in its own minute `minute` of 2026-10-02 (`subject` its agent). */
async function committedRun(repo: string, del: string, agent: string, minute: number) {
  await run(del, agent, `2026-10-02T00:${String(minute).padStart(2, "0")}:00Z`);
  await git(repo, "commit", "-qam", agent);
}

/** `verify <del> --since <rev>`: its exit code and what it printed. */
async function verifySince(repo: string, rev: string): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await runCli(["verify", join(repo, DEL), "--since", rev]);
  return { code, out: stdout + stderr };
}

/** The agents of the record file's lines, in order, and whether each RunID is there once. */
async function agents(file: string): Promise<{ agents: string[]; once: boolean }> {
  const lines = (await Deno.readTextFile(file)).split("\n").filter((l) => l.startsWith("v1.0,"));
  const ids = lines.map((l) => l.split(",")[1]);
  return { agents: lines.map((l) => l.split(",")[3]), once: new Set(ids).size === ids.length };
}

/** Runs `git rebase -i onto` with `edit` (a sed script) applied to its todo list. */
async function rebaseInteractive(
  repo: string,
  onto: string,
  edit: string,
  ...more: string[]
): Promise<void> {
  const editors = ["-c", "core.editor=true", "-c", `sequence.editor=sed -i '${edit}'`];
  await git(repo, ...editors, "rebase", "-q", "-i", ...more, onto);
}

Deno.test("verify --since across a rebase onto other runs, and an interactive rebase that reorders, squashes or drops commits of runs: every record kept, once; holds from the base and from the old tip", async () => {
  const rebases: Record<string, string> = {
    "reordered": "1{h;d};2{G}",
    "squashed": "2,$s/^pick/squash/",
    "one dropped (its record kept by the union pick after it)": "1s/^pick/drop/",
  };
  for (const [what, edit] of [["rebased onto main", ""], ...Object.entries(rebases)]) {
    const { repo, del, file, base } = await repository();
    await git(repo, "checkout", "-qb", "feat");
    for (const [i, agent] of ["F1", "F2", "F3"].entries()) await committedRun(repo, del, agent, i);
    const old = await git(repo, "rev-parse", "HEAD");
    if (edit === "") {
      await git(repo, "checkout", "-q", "main");
      await committedRun(repo, del, "M1", 10);
      await git(repo, "checkout", "-q", "feat");
      await git(repo, "rebase", "-q", "main");
    } else {
      // A union pick takes the lines before it along: a commit picked after them is empty.
      await rebaseInteractive(repo, base, edit, "--empty=drop");
    }
    const kept = await agents(file);
    assert.equal(kept.once, true, what);
    assert.deepEqual(
      kept.agents.toSorted(),
      ["BASE", "F1", "F2", "F3", ...edit === "" ? ["M1"] : []],
      what,
    );
    for (const since of [base, old]) {
      const { code, out } = await verifySince(repo, since);
      assert.equal(code, 0, `${what}, since ${since}: ${out}`);
      assert.match(out, /K-APPEND-1 holds/, what);
    }
  }
});

Deno.test("verify --since: an interactive rebase that edits a committed record (its checksum recomputed) fails from the base and from the old tip, naming the commit and the line", async () => {
  const { repo, del, file, base } = await repository();
  await committedRun(repo, del, "F1", 1);
  await committedRun(repo, del, "F2", 2);
  const old = await git(repo, "rev-parse", "HEAD");
  await rebaseInteractive(repo, base, "2s/^pick/edit/");
  // Stopped at F2's commit: F1's committed record becomes a FAILED one, its checksum made anew.
  const lines = (await Deno.readTextFile(file)).split("\n");
  const body = lines[2].slice(0, lines[2].lastIndexOf(",")).replace(",F1,", ",F1_EDITED,");
  lines[2] = `${body},${createHash("sha256").update(body).digest("hex")}`;
  await Deno.writeTextFile(file, lines.join("\n"));
  await git(repo, "commit", "-qa", "--amend", "--no-edit");
  await git(repo, "rebase", "--continue");
  const edited = await git(repo, "rev-parse", "--short=7", "HEAD");
  const fromBase = await verifySince(repo, base);
  assert.equal(fromBase.code, 1, fromBase.out);
  assert.match(
    fromBase.out,
    new RegExp(`:3: K-APPEND-1 broken in commit ${edited} "F2": line 3 differs`),
  );
  // From the old tip: checked from the commit both histories share (F1's), the same commit fails.
  const fromOld = await verifySince(repo, old);
  assert.equal(fromOld.code, 1, fromOld.out);
  assert.match(fromOld.out, /history was rewritten since/);
  assert.match(
    fromOld.out,
    new RegExp(`:3: K-APPEND-1 broken in commit ${edited} "F2": line 3 differs`),
  );
});

Deno.test("verify --since: a record edited in a commit, at HEAD or older: its line put back as printed (HEAD amended, an older one in a new commit), with no editor, holds; each record once", async () => {
  // No editor, as an agent has: a command that opens one fails.
  const env = { GIT_EDITOR: "false" };
  const sh = async (repo: string, command: string) => {
    const done = await new Deno.Command("sh", { args: ["-c", command], cwd: repo, env }).output();
    assert.equal(done.code, 0, `${command}: ${new TextDecoder().decode(done.stderr)}`);
    return new TextDecoder().decode(done.stdout);
  };
  for (const older of [false, true]) {
    const { repo, del, file, base } = await repository();
    await committedRun(repo, del, "F1", 1);
    const text = await Deno.readTextFile(file);
    const line = text.split("\n")[2];
    const body = line.slice(0, line.lastIndexOf(",")).replace(",F1,", ",F1_EDITED,");
    await Deno.writeTextFile(
      file,
      text.replace(line, `${body},${createHash("sha256").update(body).digest("hex")}`),
    );
    await git(repo, "commit", "-qam", "edit F1");
    const edit = await git(repo, "rev-parse", "--short=7", "HEAD");
    if (older) await committedRun(repo, del, "F2", 2);
    const broken = await verifySince(repo, base);
    assert.equal(broken.code, 1, broken.out);
    const was = await sh(repo, /`(git show [^`]+ \| sed -n 3p)`/.exec(broken.out)![1]);
    const putBack = () =>
      Deno.writeTextFile(
        file,
        Deno.readTextFileSync(file).replace(/^v1\.0,[^\n]*F1_EDITED[^\n]*\n/m, was),
      );
    // Before: `git commit --amend` whatever the commit, which opened an editor, took no edit,
    // and at HEAD~ went into F2's commit. Not a rebase: merge=union kept both lines there.
    await putBack();
    await sh(
      repo,
      /put that line back at line 3 in (?:that|a new) commit \(`([^`]+)`/.exec(broken.out)![1],
    );
    assert.equal(await git(repo, "status", "--porcelain"), "");
    assert.deepEqual(await agents(file), {
      agents: older ? ["BASE", "F1", "F2"] : ["BASE", "F1"],
      once: true,
    });
    const held = await verifySince(repo, older ? "HEAD" : base);
    assert.equal(held.code, 0, held.out);
    if (older) {
      // As said: a check from before the edit still fails, at the edit.
      const still = await verifySince(repo, base);
      assert.match(still.out, new RegExp(`broken in commit ${edit} "edit F1"`));
    }
  }
});

Deno.test("verify --since: a cherry-pick of a run's commit onto other runs, its conflict resolved by hand (no merge=union): ours then theirs holds; theirs before ours holds with a note (a whole line inserted, every earlier line kept); theirs alone fails at the pick", async () => {
  const resolutions: Record<string, (ours: string, theirs: string) => string> = {
    "ours then theirs": (ours, theirs) => ours + theirs,
    "theirs before ours": (ours, theirs) => theirs + ours,
    "theirs alone": (_, theirs) => theirs,
  };
  for (const [how, resolve] of Object.entries(resolutions)) {
    const { repo, del, file, base } = await repository({ union: false });
    await git(repo, "checkout", "-qb", "X");
    await committedRun(repo, del, "X1", 1);
    await git(repo, "checkout", "-q", "main");
    await committedRun(repo, del, "M1", 2);
    await assert.rejects(git(repo, "cherry-pick", "X"), /conflict/i, how);
    const text = await Deno.readTextFile(file);
    await Deno.writeTextFile(
      file,
      text.replace(
        /<<<<<<< [^\n]*\n([^]*?)=======\n([^]*?)>>>>>>> [^\n]*\n/,
        (_, o, t) => resolve(o, t),
      ),
    );
    await git(repo, "add", file);
    await git(repo, "-c", "core.editor=true", "cherry-pick", "--continue");
    const { code, out } = await verifySince(repo, base);
    if (how === "ours then theirs") {
      assert.equal(code, 0, out);
      assert.deepEqual((await agents(file)).agents, ["BASE", "M1", "X1"]);
    } else if (how === "theirs before ours") {
      assert.equal(code, 0, out);
      assert.deepEqual((await agents(file)).agents, ["BASE", "X1", "M1"]);
      assert.match(out, /note: commit [0-9a-f]{7} inserted 1 line\(s\) among earlier lines/);
    } else {
      assert.equal(code, 1, `${how}: ${out}`);
      // Theirs alone put X1's run in M1's place: both named, with the restore commands.
      assert.match(
        out,
        /:3: K-APPEND-1 broken in commit [0-9a-f]{7} "X1": record RUN-\S+ \(line 3\) was removed and another run's record RUN-\S+ put in its place, .*put its lines back/,
        how,
      );
    }
  }
});

Deno.test("verify --since across git merge --squash (then the branch merged too), git commit --amend that adds a run, and git filter-branch that removes another file: holds from the base and from each commit left behind", async () => {
  const { repo, del, file, base } = await repository();
  await git(repo, "checkout", "-qb", "X");
  await committedRun(repo, del, "X1", 1);
  await committedRun(repo, del, "X2", 2);
  const squashed = await git(repo, "rev-parse", "HEAD");
  await git(repo, "checkout", "-q", "main");
  await committedRun(repo, del, "M1", 3);
  await git(repo, "merge", "-q", "--squash", "X");
  await git(repo, "commit", "-qm", "squash X");
  await git(repo, "merge", "-q", "--no-edit", "X");
  assert.deepEqual(await agents(file), { agents: ["BASE", "M1", "X1", "X2"], once: true });
  await Deno.writeTextFile(join(repo, "notes.txt"), "to be filtered out\n");
  await git(repo, "add", "notes.txt");
  await committedRun(repo, del, "M2", 4);
  const amended = await git(repo, "rev-parse", "HEAD");
  await run(del, "M3", "2026-10-02T00:05:00Z");
  await git(repo, "commit", "-qa", "--amend", "--no-edit");
  const filtered = await git(repo, "rev-parse", "HEAD");
  await new Deno.Command("git", {
    args: [
      "filter-branch",
      "-f",
      "--index-filter",
      "git rm -q --cached --ignore-unmatch notes.txt",
    ],
    cwd: repo,
    env: { FILTER_BRANCH_SQUELCH_WARNING: "1" },
    stdout: "null",
    stderr: "null",
  }).output();
  assert.notEqual(await git(repo, "rev-parse", "HEAD"), filtered, "filter-branch rewrote HEAD");
  for (const since of [base, squashed, amended, filtered]) {
    const { code, out } = await verifySince(repo, since);
    assert.equal(code, 0, `since ${since}: ${out}`);
    assert.match(out, /ok: 6 records, 0 errors, 0 warnings, K-APPEND-1 holds\n/);
  }
});

Deno.test("verify --since an annotated tag, a merged branch's commit (HEAD^2) and HEAD~2 across a merge: each checked from that commit; a merge -s ours then fails from the merged commit, naming its record", async () => {
  const { repo, del, base } = await repository();
  await git(repo, "tag", "-a", "-m", "released", "v1", base);
  await git(repo, "checkout", "-qb", "X");
  await committedRun(repo, del, "X1", 1);
  await git(repo, "checkout", "-q", "main");
  await committedRun(repo, del, "M1", 2);
  await git(repo, "merge", "-q", "--no-edit", "X");
  await committedRun(repo, del, "M2", 3);
  for (const since of ["v1", "HEAD~1^2", "HEAD~2"]) {
    const { code, out } = await verifySince(repo, since);
    assert.equal(code, 0, `${since}: ${out}`);
    assert.match(out, new RegExp(`K-APPEND-1 holds since ${since.replace("^", "\\^")} \\(`));
  }
  await git(repo, "checkout", "-q", "X");
  await committedRun(repo, del, "X2", 4);
  const dropped = (await Deno.readTextFile(join(del, RECORD_FILE))).trim().split("\n").at(-1)!;
  await git(repo, "checkout", "-q", "main");
  await git(repo, "merge", "-q", "-s", "ours", "--no-edit", "X");
  const { code, out } = await verifySince(repo, "HEAD^2");
  assert.equal(code, 1, out);
  assert.match(
    out,
    new RegExp(`record ${dropped.split(",")[1]} \\(line 4\\) is not in HEAD's version`),
  );
});

Deno.test("verify --since a commit an amend left behind: a record the amend changed (its checksum recomputed) is named as changed, with HEAD's line holding its run, not as dropped; one whose RunID HEAD holds for another run (two clones' runs of one minute) is dropped (githist-41 F2)", async () => {
  const { repo, del, file, base } = await repository();
  await committedRun(repo, del, "F1", 1);
  await committedRun(repo, del, "F2", 2);
  const before = await git(repo, "rev-parse", "HEAD");
  const lines = (await Deno.readTextFile(file)).split("\n");
  const runId = lines[3].split(",")[1];
  /** Commits F2's line with `from` replaced by `to`, its checksum made anew, by an amend. */
  const amendF2 = async (from: string, to: string) => {
    const body = lines[3].slice(0, lines[3].lastIndexOf(",")).replace(from, to);
    const edited = [
      ...lines.slice(0, 3),
      `${body},${createHash("sha256").update(body).digest("hex")}`,
    ];
    await Deno.writeTextFile(file, edited.join("\n") + "\n");
    await git(repo, "commit", "-qa", "--amend", "--no-edit");
    return await git(repo, "rev-parse", "--short=7", "HEAD");
  };
  const head = await amendF2(",FULL,", ",P3_ONLY,");
  // From the base, the amended commit only appended: nothing tells an edit from a new record.
  assert.equal((await verifySince(repo, base)).code, 0);
  const changed = await verifySince(repo, before);
  assert.equal(changed.code, 1, changed.out);
  assert.match(
    changed.out,
    new RegExp(
      `:4: K-APPEND-1 broken in commit ${head} "F2": record ${runId} \\(line 4\\) is not in ` +
        "HEAD's version as it was: HEAD's line 4 holds that run \\(RunID, AgentName, " +
        "RunTimestamp\\) with other bytes, field RunPassDirective, changed when history was rewritten \\(no branch or " +
        `tag holds ${before.slice(0, 7)}\\)`,
    ),
  );
  // Another agent's run under that RunID (a pull --rebase of another clone's run of that minute,
  // resolved with --ours): F2's record was dropped, whatever holds its RunID.
  await amendF2(",F2,", ",OTHER_CLONE,");
  const dropped = await verifySince(repo, before);
  assert.equal(dropped.code, 1, dropped.out);
  assert.match(
    dropped.out,
    new RegExp(`record ${runId} \\(line 4\\) is not in HEAD's version: dropped when history`),
  );
});
