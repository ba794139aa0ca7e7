/**
 * `runrec verify --since` against more git workflows: a merge that forges or adds a line, a deliverable moved to a new
 * DEL number, a sparse checkout, the message for a deleted record file, a
 * typo'd revision in a shallow clone, a record removed from among others,
 * and a merge of a branch that rewrote its records (swapped,
 * changed and restored; across renames, in a file it created, in a branch
 * of the branch). Real git repositories throughout.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/verify_git_workflows_test.ts
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import { annotateCommand, restoreCommands } from "./support/restore.ts";
import { journalPath } from "../src/journal.ts";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { runCli, runCliProcess } from "./cli.ts";
import { git, sampleDraft, tempDir } from "./fixtures.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";

const MAIN_DEL = "DEL-01-02_Flow_Meter";
const OTHER_DEL = "DEL-01-03_Level_Switch";

/** Appends one run by `agent` stamped `at` to the record file of `dir`. */
async function run(dir: string, agent: string, at: string, status = "SUCCESS") {
  await appendRecord(
    join(dir, RECORD_FILE),
    sampleDraft({
      AgentName: agent,
      RunTimestamp: at,
      RunStatus: status as "SUCCESS",
      ErrorSummary: status === "FAILED" ? "bad" : "",
    }),
    { fsync: false },
  );
}

/**
 * A repository (with the `merge=union` recipe) whose two deliverables in
 * `PKG-01_Alpha/` hold one committed run each; `base` is that commit.
 */
async function repository() {
  const repo = await tempDir({ prefix: "runrec-verify-git-" });
  const pkg = join(repo, "PKG-01_Alpha");
  const del = join(pkg, MAIN_DEL);
  const other = join(pkg, OTHER_DEL);
  await Deno.mkdir(del, { recursive: true });
  await Deno.mkdir(other, { recursive: true });
  await git(repo, "init", "-q");
  await Deno.writeTextFile(join(repo, ".gitattributes"), `${RECORD_FILE} merge=union eol=lf\n`);
  await run(del, "BASE", "2026-10-01T00:00:00Z");
  await run(other, "BASE", "2026-10-01T00:01:00Z");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "base");
  const base = await git(repo, "rev-parse", "HEAD");
  return { repo, del, other, file: join(del, RECORD_FILE), base };
}

/** `line` with a field replaced and its RecordChecksum recomputed: a forged record. */
function forged(line: string, from: string, to: string): string {
  const body = line.slice(0, line.lastIndexOf(",")).replace(from, to);
  return `${body},${createHash("sha256").update(body).digest("hex")}`;
}

/** Lines of a text file, without the empty string after the last `\n`. */
async function lines(file: string): Promise<string[]> {
  return (await Deno.readTextFile(file)).split("\n").filter((l) => l !== "");
}

/**
 * Branch X appends a FAILED run, main one run of its own; then main merges X
 * without committing. Returns X's commit.
 */
async function mergeInProgress(repo: string, del: string): Promise<string> {
  await git(repo, "checkout", "-qb", "X");
  await run(del, "X_AGENT", "2026-10-05T00:00:00Z", "FAILED");
  await git(repo, "commit", "-qam", "x1");
  const x = await git(repo, "rev-parse", "HEAD");
  await git(repo, "checkout", "-q", "main");
  await run(del, "MAIN_AGENT", "2026-10-01T00:02:00Z");
  await git(repo, "commit", "-qam", "m1");
  await git(repo, "merge", "-q", "--no-commit", "X");
  return x;
}

// ------------------------------------------------------------------ defect 1

Deno.test("verify --since: a merge that replaces the merged branch's record by a forged one fails", async () => {
  const { repo, del, file, base } = await repository();
  const x = await mergeInProgress(repo, del);
  const merged = await lines(file);
  const xLine = merged.at(-1)!;
  assert.match(xLine, /,FAILED,/);
  const forgedLine = forged(xLine, ",FAILED,", ",SUCCESS,");
  await Deno.writeTextFile(file, [...merged.slice(0, -1), forgedLine, ""].join("\n"));
  await git(repo, "commit", "-qam", "merge X (forged)");
  const runId = forgedLine.split(",")[1];
  for (const since of ["HEAD~1", base]) {
    const { code, stdout } = await runCli(["verify", repo, "--since", since]);
    assert.equal(code, 1, stdout);
    assert.match(
      stdout,
      new RegExp(
        `${MAIN_DEL}/RunRecords\\.csv:4: K-APPEND-1 broken in commit [0-9a-f]{7} "merge X \\(forged\\)": ` +
          `line 4 \\(record ${runId}\\) is in no parent's version: the merge added it`,
      ),
    );
  }
  // Still caught from the merged branch itself, as before.
  assert.equal((await runCli(["verify", repo, "--since", x])).code, 1);
});

Deno.test("verify --since: a merge that appends a record in no parent after its parents' lines holds, noted; one among the merged lines fails", async () => {
  const { repo, del, file } = await repository();
  await mergeInProgress(repo, del);
  const merged = await lines(file);
  await run(del, "DURING_MERGE", "2026-10-06T00:00:00Z");
  await git(repo, "commit", "-qam", "merge X + a run emitted during the merge");
  const appended = await runCli(["verify", repo, "--since", "HEAD~1"]);
  assert.equal(appended.code, 0, appended.stdout);
  assert.match(
    appended.stdout,
    /note: merge [0-9a-f]{7} appended 1 record line\(s\) of no parent's version after its parents' lines/,
  );

  // The same line placed before X's: the merge's version keeps main's lines in order.
  const during = (await lines(file)).at(-1)!;
  await git(repo, "reset", "-q", "--hard", "HEAD~1");
  await git(repo, "merge", "-q", "--no-commit", "X");
  await Deno.writeTextFile(file, [...merged.slice(0, -1), during, merged.at(-1), ""].join("\n"));
  await git(repo, "commit", "-qam", "merge X (new line before X's)");
  const inserted = await runCli(["verify", repo, "--since", "HEAD~1"]);
  assert.equal(inserted.code, 1, inserted.stdout);
  assert.match(
    inserted.stdout,
    /RunRecords\.csv:4: K-APPEND-1 broken in commit [0-9a-f]{7} "merge X \(new/,
  );
  assert.match(inserted.stdout, /a record the merge appends belongs after its parents' lines/);
});

Deno.test("verify --since: an honest merge whose other side renamed the folder or added a file holds", async () => {
  const { repo, del, base } = await repository();
  // Main renames the folder; X appends under the old name and starts a new deliverable.
  await git(repo, "checkout", "-qb", "X");
  await run(del, "X_AGENT", "2026-10-05T00:00:00Z");
  const fresh = join(repo, "PKG-01_Alpha", "DEL-01-05_Fresh");
  await Deno.mkdir(fresh);
  await run(fresh, "X_FRESH", "2026-10-05T00:01:00Z");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "x1");
  await git(repo, "checkout", "-q", "main");
  await git(repo, "mv", del, join(repo, "PKG-01_Alpha", "DEL-01-02_Renamed"));
  await git(repo, "commit", "-qm", "rename");
  await git(repo, "merge", "-q", "--no-edit", "X");
  const ok = await runCli(["verify", repo, "--since", base]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /DEL-01-02_Renamed\/RunRecords\.csv: ok: 2 records, .*K-APPEND-1 holds/);
  assert.match(ok.stdout, /DEL-01-05_Fresh\/RunRecords\.csv: ok: 1 record, .*K-APPEND-1 holds/);

  // A new file the merge forges a line into fails too.
  const freshFile = join(fresh, RECORD_FILE);
  const [header, record] = await lines(freshFile);
  await git(repo, "reset", "-q", "--hard", "HEAD~1");
  await git(repo, "merge", "-q", "--no-commit", "X");
  await Deno.writeTextFile(freshFile, `${header}\n${forged(record, "X_FRESH", "X_FORGED")}\n`);
  await git(repo, "commit", "-qam", "merge X, fresh file forged");
  const bad = await runCli(["verify", repo, "--since", base]);
  assert.equal(bad.code, 1, bad.stdout);
  assert.match(
    bad.stdout,
    /DEL-01-05_Fresh\/RunRecords\.csv:2: K-APPEND-1 broken in commit [0-9a-f]{7} "merge X, fresh/,
  );
});

// ------------------------------------------------------------------ defect 2

Deno.test("verify --since: git mv of a deliverable folder to a new DEL number holds", async () => {
  const { repo, del, base } = await repository();
  const moved = join(repo, "PKG-01_Alpha", "DEL-01-04_Flow_Meter");
  await git(repo, "mv", del, moved);
  await git(repo, "commit", "-qm", "git mv DEL-01-02 -> DEL-01-04");
  const plain = await runCli(["verify", repo, "--since", base]);
  assert.equal(plain.code, 0, plain.stdout + plain.stderr);
  assert.match(
    plain.stdout,
    new RegExp(`note: renamed from PKG-01_Alpha/${MAIN_DEL}/RunRecords\\.csv in commit`),
  );
  assert.doesNotMatch(plain.stdout, /checked from its first version|deletes the file|broken/);
  // Moved again with a run appended in the same commit, then moved in the index only.
  const again = join(repo, "PKG-01_Alpha", "DEL-01-06_Flow_Meter");
  await git(repo, "mv", moved, again);
  await run(again, "AFTER_MOVE", "2026-10-07T00:00:00Z");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "move and run");
  await git(repo, "mv", again, join(repo, "PKG-01_Alpha", "DEL-01-07_Flow_Meter"));
  const more = await runCli(["verify", repo, "--since", base]);
  assert.equal(more.code, 0, more.stdout + more.stderr);
  assert.match(
    more.stdout,
    /DEL-01-07_Flow_Meter\/RunRecords\.csv: ok: 2 records, .*K-APPEND-1 holds/,
  );
  assert.match(
    more.stdout,
    /renamed from PKG-01_Alpha\/DEL-01-06_Flow_Meter\/RunRecords\.csv in the working tree/,
  );
});

// ------------------------------------------------------------------ defect 3

Deno.test("verify --since: a record file outside a sparse checkout is checked as committed, never deleted", async () => {
  const { repo, del, other, base } = await repository();
  await run(del, "MAIN2", "2026-10-02T00:00:00Z");
  await run(other, "OTHER2", "2026-10-02T00:01:00Z");
  await git(repo, "commit", "-qam", "second runs");
  await git(repo, "sparse-checkout", "set", "--no-cone", "/*", `!/PKG-01_Alpha/${OTHER_DEL}/`);
  const outside = await Deno.stat(join(other, RECORD_FILE)).then(() => true, () => false);
  assert.equal(outside, false, "outside the sparse checkout");
  const ok = await runCli(["verify", repo, "--since", base]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(
    ok.stdout,
    new RegExp(
      `note: .*${OTHER_DEL}/RunRecords\\.csv: outside the sparse checkout: checked as committed`,
    ),
  );
  assert.doesNotMatch(ok.stdout, /deleted|deletes/);

  // Its committed history rewritten: still a failure, named at the commit.
  await git(repo, "sparse-checkout", "disable");
  const otherFile = join(other, RECORD_FILE);
  await Deno.writeTextFile(
    otherFile,
    (await Deno.readTextFile(otherFile)).replace("OTHER2", "OTHER3"),
  );
  await git(repo, "commit", "-qam", "rewrite the other");
  await git(repo, "sparse-checkout", "set", "--no-cone", "/*", `!/PKG-01_Alpha/${OTHER_DEL}/`);
  const bad = await runCli(["verify", repo, "--since", base]);
  assert.equal(bad.code, 1, bad.stdout);
  assert.match(
    bad.stdout,
    new RegExp(
      `${OTHER_DEL}/RunRecords\\.csv:3: K-APPEND-1 broken in commit [0-9a-f]{7} "rewrite the other"`,
    ),
  );
});

// ------------------------------------------------------------------ defect 4

Deno.test("verify --since: a deleted record file is named as given, with the commit that deleted it", async () => {
  const { repo, other, base } = await repository();
  await git(repo, "rm", "-rq", other);
  await git(repo, "commit", "-qm", "drop D3");
  const dropper = (await git(repo, "rev-parse", "HEAD")).slice(0, 7);
  const relative = `PKG-01_Alpha/${OTHER_DEL}/RunRecords.csv`;
  const committed = await runCliProcess(["verify", ".", "--since", base], undefined, {}, repo);
  assert.equal(committed.code, 1, committed.stdout + committed.stderr);
  assert.ok(
    committed.stdout.includes(
      `${relative}: K-APPEND-1 broken in commit ${dropper} "drop D3": deletes the file, which held ` +
        `1 record at ${base.slice(0, 7)}; a ` +
        "record file is only appended to: restore it in that commit (" +
        `${
          restoreCommands(base.slice(0, 7), relative)
        }, then \`git commit --amend --allow-empty --no-edit\`) or, once pushed, ` +
        "in a new one (a check from before it still fails); to undo a run, keep its record " +
        `and mark it ${annotateCommand(`PKG-01_Alpha/${OTHER_DEL}`, "RUN-…")}\n`,
    ),
    committed.stdout,
  );
  assert.doesNotMatch(committed.stdout, /Level_Switch.*([0-9a-f]{40}|working tree)/);

  // Deleted and not committed.
  await git(repo, "reset", "-q", "--hard", "HEAD~1");
  await Deno.remove(join(other, RECORD_FILE));
  const uncommitted = await runCliProcess(
    ["verify", "PKG-01_Alpha", "--since", base],
    undefined,
    {},
    repo,
  );
  assert.equal(uncommitted.code, 1, uncommitted.stdout);
  assert.ok(
    uncommitted.stdout.includes(
      `${relative}: K-APPEND-1 broken: deleted in the working tree (not committed)\n`,
    ),
    uncommitted.stdout,
  );
  const json = JSON.parse((await runCli(["verify", repo, "--since", base, "--json"])).stdout);
  assert.deepEqual([json.ok, json.gone.map((g: { path: string }) => g.path)], [false, [
    join(other, RECORD_FILE),
  ]]);
  assert.equal(json.gone[0].history.failure.commit, "working tree");
});

// ------------------------------------------------------------------ defect 5

Deno.test("verify --since: a typo'd revision in a shallow clone is unknown; a missing commit id points at the shallow clone", async () => {
  const { repo, del, base } = await repository();
  await run(del, "SECOND", "2026-10-02T00:00:00Z");
  await git(repo, "commit", "-qam", "second");
  const parent = await tempDir({ prefix: "runrec-verify-depth1-" });
  const clone = join(parent, "clone");
  await git(parent, "clone", "-q", "--depth", "1", `file://${repo}`, clone);
  // A remote not on this machine: the clone cannot be completed.
  await git(clone, "remote", "set-url", "origin", "https://example.invalid/x.git");
  const typo = await runCli(["verify", clone, "--since", "nosuchrev"]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /^runrec verify: --since: unknown revision "nosuchrev" in .*\n$/);
  assert.doesNotMatch(typo.stderr, /shallow|unshallow/);
  const missing = await runCli(["verify", clone, "--since", base.slice(0, 10)]);
  assert.equal(missing.code, 2);
  assert.match(
    missing.stderr,
    /unknown revision ".{10}" in .*: a shallow clone, which may lack that commit: fetch it with `git fetch --unshallow`/,
  );
});

// ------------------------------------------------ a record removed from among others

Deno.test("verify --since: a record line removed from among others is named by its RunID and line", async () => {
  const { repo, del, file, base } = await repository();
  await run(del, "SECOND", "2026-10-02T00:00:00Z");
  await git(repo, "commit", "-qam", "second");
  const [header, first, second] = await lines(file);
  const removedId = first.split(",")[1];
  await Deno.writeTextFile(file, `${header}\n${second}\n`);
  await git(repo, "commit", "-qam", "drop the first record");
  const removed = await runCli(["verify", repo, "--since", base]);
  assert.equal(removed.code, 1, removed.stdout);
  assert.match(
    removed.stdout,
    new RegExp(
      `${MAIN_DEL}/RunRecords\\.csv:2: K-APPEND-1 broken in commit [0-9a-f]{7} "drop the first ` +
        `record": record ${removedId} \\(line 2\\) was removed, against the version in ` +
        "([0-9a-f]{7}); a record file is only appended to: put its lines back in that commit \\(",
    ),
  );
  const rev = /against the version in ([0-9a-f]{7});/.exec(removed.stdout)![1];
  assert.ok(
    removed.stdout.includes(
      `put its lines back in that commit (${
        restoreCommands(rev, `PKG-01_Alpha/${MAIN_DEL}/RunRecords.csv`)
      }, then \`git commit --amend --allow-empty --no-edit\`) or, once pushed, in a new one (a check from before it ` +
        `still fails); to undo a run, keep its record and mark it ` +
        `${annotateCommand(`PKG-01_Alpha/${MAIN_DEL}`, removedId)}\n`,
    ),
    removed.stdout,
  );
  // The remedy as printed, with a run appended since and not committed: every record is kept
  // (a checkout of the old version dropped the new run: review-z F1), and the check holds.
  await run(del, "LATER", "2026-10-05T00:00:00Z");
  const remedy = /\(`(.+?)`, then/.exec(removed.stdout)!;
  for (const command of [remedy[1], "git commit -q --amend --no-edit"]) {
    const done = await new Deno.Command("sh", { args: ["-c", command], cwd: repo }).output();
    assert.equal(done.code, 0, command);
  }
  const agents = (await lines(file)).slice(1).map((l) => l.split(",")[3]);
  assert.deepEqual(agents, ["BASE", "SECOND", "LATER"]);
  const mended = await runCli(["verify", repo, "--since", base]);
  assert.equal(mended.code, 0, mended.stdout);

  // A record changed, its RunID kept, is a line that differs, not a removal.
  await git(repo, "reset", "-q", "--hard", "HEAD~1");
  await Deno.writeTextFile(
    file,
    `${header}\n${first.replace(",SUCCESS,", ",FAILED,")}\n${second}\n`,
  );
  await git(repo, "commit", "-qam", "edit the first record");
  const changed = await runCli(["verify", repo, "--since", base]);
  assert.equal(changed.code, 1, changed.stdout);
  assert.match(
    changed.stdout,
    /:2: K-APPEND-1 broken in commit [0-9a-f]{7} "edit the first record": line 2 differs \(byte \d+ of the file\)/,
  );
});

// ------------------------------------------------ a rewrite on the branch a merge brings in

/**
 * The base gains a second run; branch `pr` rewrites the record file of `del`
 * with `rewrite` (its own commits); main appends a run of its own, then
 * merges `pr` with `--no-ff`, as GitHub's `pull_request` checkout does.
 * Returns the base and the abbreviated ids of `pr`'s head and the merge.
 */
async function mergedRewrite(
  repo: string,
  del: string,
  rewrite: () => Promise<void>,
): Promise<{ base: string; pr: string; merge: string }> {
  await run(del, "SECOND", "2026-10-02T00:00:00Z");
  await git(repo, "commit", "-qam", "second");
  const base = await git(repo, "rev-parse", "HEAD");
  await git(repo, "checkout", "-qb", "pr");
  await rewrite();
  const pr = await git(repo, "rev-parse", "--short=7", "HEAD");
  await git(repo, "checkout", "-q", "main");
  await run(del, "MAIN_AGENT", "2026-10-03T00:00:00Z");
  await git(repo, "commit", "-qam", "main run");
  await git(repo, "merge", "-q", "--no-ff", "-m", "merge pr", "pr");
  const merge = await git(repo, "rev-parse", "--short=7", "HEAD");
  return { base, pr, merge };
}

/** Writes `file` as `lines`, each ended by `\n`. */
async function writeLines(file: string, lines: string[]) {
  await Deno.writeTextFile(file, lines.map((l) => `${l}\n`).join(""));
}

Deno.test("verify --since at a merge: a record the merged branch inserted among committed ones holds (records are a set: an insertion takes nothing away), the merge's placing noted", async () => {
  const { repo, del, file } = await repository();
  const { base, merge } = await mergedRewrite(repo, del, async () => {
    const [header, first, second] = await lines(file);
    await run(del, "BACKDATED", "2020-01-01T00:00:00Z");
    await writeLines(file, [header, first, (await lines(file))[3], second]);
    await git(repo, "commit", "-qam", "backdated run placed among the committed ones");
  });
  const { code, stdout } = await runCli(["verify", repo, "--since", base]);
  assert.equal(code, 0, stdout);
  assert.doesNotMatch(stdout, /K-APPEND-1 broken/);
  // The merge itself placed the branch's lines among main's: noted as any union merge is.
  assert.match(stdout, new RegExp(`merge ${merge} placed \\d+ record line\\(s\\)`));
});

Deno.test("verify --since at a merge: a record the merged branch swapped, or changed and restored fails", async () => {
  const rewrites: Record<string, { line: number; commit: string }> = {
    swap: { line: 2, commit: "swap" },
    edit_restore: { line: 2, commit: "edit" },
  };
  for (const [name, expected] of Object.entries(rewrites)) {
    const { repo, del, file } = await repository();
    const { base, pr, merge } = await mergedRewrite(repo, del, async () => {
      const [header, first, second] = await lines(file);
      if (name === "swap") {
        await writeLines(file, [header, second, first]);
      } else {
        await writeLines(file, [header, first.replace(",SUCCESS,", ",FAILED,"), second]);
        await git(repo, "commit", "-qam", "edit");
        await writeLines(file, [header, first, second]);
        await run(del, "PR_AGENT", "2026-10-04T00:00:00Z"); // the branch brings a run
      }
      await git(repo, "commit", "-qam", expected.commit === "edit" ? "restore" : expected.commit);
    });
    const { code, stdout } = await runCli(["verify", repo, "--since", base]);
    assert.equal(code, 1, `${name}: ${stdout}`);
    assert.match(
      stdout,
      new RegExp(
        `${MAIN_DEL}/RunRecords\\.csv:${expected.line}: K-APPEND-1 broken in commit ${merge} ` +
          `"merge pr": merges ${pr}, whose branch did not only append: in commit [0-9a-f]{7} ` +
          `"${expected.commit}": line ${expected.line} differs \\(byte \\d+ of the file\\), ` +
          `${name === "swap" ? "" : "field RunStatus, "}against the version in ${
            base.slice(0, 7)
          }\n`,
      ),
      name,
    );
    assert.doesNotMatch(stdout, /merge=union\); accepted/, name);
  }
});

Deno.test("verify --since at a merge: a merged rewrite is found across a folder renamed on either side; honest appends hold", async () => {
  // Main renames the folder after the branch left; the branch swaps records under the old name.
  {
    const { repo, del, file, base } = await repository();
    await run(del, "SECOND", "2026-10-02T00:00:00Z");
    await git(repo, "commit", "-qam", "second");
    await git(repo, "checkout", "-qb", "pr");
    const [header, first, second] = await lines(file);
    await writeLines(file, [header, second, first]);
    await git(repo, "commit", "-qam", "swap");
    await git(repo, "checkout", "-q", "main");
    await git(repo, "mv", del, join(repo, "PKG-01_Alpha", "DEL-01-02_Renamed"));
    await git(repo, "commit", "-qm", "rename");
    await git(repo, "merge", "-q", "--no-ff", "-m", "merge pr", "pr");
    const { code, stdout } = await runCli(["verify", repo, "--since", base]);
    assert.equal(code, 1, stdout);
    assert.match(
      stdout,
      /DEL-01-02_Renamed\/RunRecords\.csv:2: K-APPEND-1 broken in commit [0-9a-f]{7} "merge pr": merges [0-9a-f]{7}, whose branch did not only append: in commit [0-9a-f]{7} "swap": line 2 differs/,
    );
  }
  // The branch renames the folder, then swaps; or renames and appends (honest).
  for (const honest of [false, true]) {
    const { repo, del, base } = await repository();
    const renamed = join(repo, "PKG-01_Alpha", "DEL-01-02_Renamed");
    const { pr } = await mergedRewrite(repo, del, async () => {
      await git(repo, "mv", del, renamed);
      await git(repo, "commit", "-qm", "rename");
      const file = join(renamed, RECORD_FILE);
      if (honest) await run(renamed, "PR_AGENT", "2026-10-04T00:00:00Z");
      else {
        const [header, first, second] = await lines(file);
        await writeLines(file, [header, second, first]);
      }
      await git(repo, "commit", "-qam", honest ? "pr run" : "swap");
    });
    const { code, stdout } = await runCli(["verify", repo, "--since", base]);
    if (honest) {
      assert.equal(code, 0, stdout);
      assert.match(stdout, /DEL-01-02_Renamed\/RunRecords\.csv: ok: 4 records, .*K-APPEND-1 holds/);
      continue;
    }
    assert.equal(code, 1, stdout);
    assert.match(
      stdout,
      new RegExp(
        `DEL-01-02_Renamed/RunRecords\\.csv:2: K-APPEND-1 broken in commit [0-9a-f]{7} "merge pr": ` +
          `merges ${pr}, whose branch did not only append: in commit ${pr} "swap": line 2 differs`,
      ),
    );
  }
});

Deno.test("verify --since at a merge: a record file the merged branch created and then cut a record from fails", async () => {
  const { repo, del, base } = await repository();
  const fresh = join(repo, "PKG-01_Alpha", "DEL-01-05_Fresh");
  const freshFile = join(fresh, RECORD_FILE);
  let dropped = "";
  await mergedRewrite(repo, del, async () => {
    await Deno.mkdir(fresh);
    await run(fresh, "FRESH_1", "2026-10-05T00:00:00Z");
    await run(fresh, "FRESH_2", "2026-10-05T00:01:00Z");
    await git(repo, "add", "-A");
    await git(repo, "commit", "-qm", "fresh");
    const [header, first, second] = await lines(freshFile);
    dropped = first.split(",")[1];
    await writeLines(freshFile, [header, second]);
    await git(repo, "commit", "-qam", "drop a fresh run");
  });
  const { code, stdout } = await runCli(["verify", repo, "--since", base]);
  assert.equal(code, 1, stdout);
  assert.match(
    stdout,
    new RegExp(
      `DEL-01-05_Fresh/RunRecords\\.csv:2: K-APPEND-1 broken in commit [0-9a-f]{7} "merge pr": ` +
        `merges [0-9a-f]{7}, whose branch did not only append: in commit [0-9a-f]{7} ` +
        `"drop a fresh run": record ${dropped} \\(line 2\\) was removed`,
    ),
  );
  assert.match(
    stdout,
    new RegExp(`${MAIN_DEL}/RunRecords\\.csv: ok: 3 records, .*K-APPEND-1 holds`),
  );
});

Deno.test("verify --since at a merge: a branch that merged main into itself holds; one that merged a rewrite fails", async () => {
  for (const honest of [true, false]) {
    const { repo, del, file, base } = await repository();
    await git(repo, "checkout", "-qb", "pr");
    await run(del, "PR_1", "2026-10-04T00:00:00Z");
    await git(repo, "commit", "-qam", "pr 1");
    // A branch of the branch, merged into it: honest, or with the base record changed.
    await git(repo, "checkout", "-qb", "sub");
    await run(del, "SUB", "2026-10-04T00:01:00Z");
    if (!honest) {
      const [header, first, ...rest] = await lines(file);
      await writeLines(file, [header, first.replace(",SUCCESS,", ",FAILED,"), ...rest]);
    }
    await git(repo, "commit", "-qam", "sub");
    await git(repo, "checkout", "-q", "main");
    await run(del, "MAIN_1", "2026-10-03T00:00:00Z");
    await git(repo, "commit", "-qam", "main 1");
    await git(repo, "checkout", "-q", "pr");
    await git(repo, "merge", "-q", "--no-edit", "main");
    await git(repo, "merge", "-q", "--no-ff", "-m", "merge sub", "sub");
    await run(del, "PR_2", "2026-10-04T00:02:00Z");
    await git(repo, "commit", "-qam", "pr 2");
    await git(repo, "checkout", "-q", "main");
    await git(repo, "merge", "-q", "--no-ff", "-m", "merge pr", "pr");
    const { code, stdout } = await runCli(["verify", repo, "--since", base]);
    if (honest) {
      assert.equal(code, 0, stdout);
      assert.match(stdout, new RegExp(`${MAIN_DEL}/RunRecords\\.csv: ok: 5 records, .*holds`));
      continue;
    }
    assert.equal(code, 1, stdout);
    assert.match(
      stdout,
      /RunRecords\.csv:2: K-APPEND-1 broken in commit [0-9a-f]{7} "merge pr": merges [0-9a-f]{7}, whose branch did not only append: in commit [0-9a-f]{7} "merge sub": merges [0-9a-f]{7}, whose branch did not only append: in commit [0-9a-f]{7} "sub": line 2 differs/,
    );
  }
});

Deno.test("verify --since a revision history was rewritten away from: a record it held and HEAD lacks fails, whether or not a branch still holds the revision", async () => {
  const { repo, del, file, base } = await repository();
  await run(del, "KEPT", "2026-10-02T00:00:00Z");
  await git(repo, "commit", "-qam", "kept run");
  await run(del, "DROPPED", "2026-10-03T00:00:00Z", "FAILED");
  await git(repo, "commit", "-qam", "failed run");
  const old = await git(repo, "rev-parse", "HEAD");
  const dropped = (await lines(file)).at(-1)!;
  // What a force-push publishes: the failed run's commit reset away, a new run committed instead,
  // as another clone made it (here, runrec's journal would put the dropped run back).
  await Deno.remove(journalPath(file));
  await git(repo, "reset", "-q", "--hard", "HEAD~1");
  await run(del, "AFTER", "2026-10-04T00:00:00Z");
  await git(repo, "commit", "-qam", "after the rewrite");
  const head = await git(repo, "rev-parse", "HEAD");
  const rewritten = await runCli(["verify", repo, "--since", old]);
  assert.equal(rewritten.code, 1, rewritten.stdout + rewritten.stderr);
  const runId = dropped.split(",")[1];
  assert.match(
    rewritten.stdout,
    new RegExp(
      `K-APPEND-1 broken in commit ${head.slice(0, 7)} "after the rewrite": record ${runId} ` +
        `\\(line 4\\) is not in HEAD's version: dropped when history was rewritten`,
    ),
  );
  assert.match(rewritten.stdout, /no branch or tag does: history was rewritten since/);
  // A branch or tag that still holds the revision proves nothing about HEAD: the same verdict.
  await git(repo, "branch", "keep", old);
  const kept = await runCli(["verify", repo, "--since", old]);
  assert.equal(kept.code, 1, kept.stdout + kept.stderr);
  assert.match(
    kept.stdout,
    new RegExp(
      `K-APPEND-1 broken in commit ${head.slice(0, 7)} "after the rewrite": record ${runId} ` +
        `\\(line 4\\) is not in HEAD's version: dropped since ${old.slice(0, 7)}, which HEAD ` +
        "does not contain",
    ),
  );
  assert.match(kept.stdout, /for a branch only behind .*, check from where it left: --since/);
  // Nothing rewritten: since the base, all holds.
  assert.equal((await runCli(["verify", repo, "--since", base])).code, 0);
});

Deno.test("verify --since in a partial clone (--filter=blob:none) fetches nothing, even from a reachable remote, and says how to get the contents: the fetch it names gets them", async () => {
  const { repo, del, base } = await repository();
  await run(del, "NEXT", "2026-10-02T00:00:00Z");
  await git(repo, "commit", "-qam", "next");
  await git(repo, "config", "uploadpack.allowFilter", "true");
  const clone = join(await tempDir({ prefix: "runrec-partial-" }), "clone");
  await git(repo, "clone", "-q", "--filter=blob:none", `file://${repo}`, clone);
  const objects = async () => await git(clone, "count-objects", "-v");
  const before = await objects();
  const out = await runCli(["verify", clone, "--since", base]);
  assert.equal(out.code, 2, out.stdout + out.stderr);
  assert.match(
    out.stderr,
    /^runrec verify: git log failed: fatal: .* \(a partial clone, made with --filter: .*: (git fetch --refetch[^)]*)\)\n$/m,
  );
  assert.equal(await objects(), before, "git fetched objects from the remote");
  // The fetch it names gets what was left out (a plain --refetch applies the filter again).
  const fetch = /: (git fetch --refetch[^)]*)\)\n/.exec(out.stderr)![1];
  await git(clone, ...fetch.split(" ").slice(1));
  const fetched = await runCli(["verify", clone, "--since", base]);
  assert.equal(fetched.code, 0, fetched.stdout + fetched.stderr);
});

Deno.test("verify --since: a commit that only took out a record, at HEAD: the remedy as printed (the amend allowed to be empty) holds; one older than HEAD: put back in a new commit as printed, then that commit mended in the rebase printed, holds (newuser-60 F2, F3)", async () => {
  // No editor, as an agent has: a command that opens one fails.
  const env = { GIT_EDITOR: "false" };
  const sh = async (repo: string, command: string) => {
    const done = await new Deno.Command("sh", { args: ["-c", command], cwd: repo, env }).output();
    assert.equal(done.code, 0, `${command}: ${new TextDecoder().decode(done.stderr)}`);
  };
  const remedy = (stdout: string) => /\(`(\(cd .+?)`, then `([^`]+)`/.exec(stdout)!;
  for (const older of [false, true]) {
    const { repo, del, file, base } = await repository();
    await run(del, "SECOND", "2026-10-02T00:00:00Z");
    await git(repo, "commit", "-qam", "second");
    const [header, first, second] = await lines(file);
    await Deno.writeTextFile(file, `${header}\n${second}\n`);
    await git(repo, "commit", "-qam", "drop the first record"); // nothing else
    const dropped = (await git(repo, "rev-parse", "HEAD")).slice(0, 7);
    if (older) {
      // A later run, merged from a branch: the rebase printed keeps the merge.
      const main = await git(repo, "rev-parse", "--abbrev-ref", "HEAD");
      await git(repo, "checkout", "-qb", "side");
      await run(del, "LATER", "2026-10-03T00:00:00Z");
      await git(repo, "commit", "-qam", "a later run");
      await git(repo, "checkout", "-q", main);
      await git(repo, "merge", "-q", "--no-ff", "--no-edit", "side");
    }
    const broken = await runCli(["verify", repo, "--since", base]);
    assert.equal(broken.code, 1, broken.stdout);
    const [, restore, commit] = remedy(broken.stdout);
    await sh(repo, restore);
    if (!older) {
      // Before: `git commit --amend`, which git refuses for a commit left empty; then one that
      // opened an editor.
      await sh(repo, commit);
      const held = await runCli(["verify", repo, "--since", base]);
      assert.equal(held.code, 0, held.stdout);
      assert.ok((await lines(file)).includes(first));
      continue;
    }
    // Before: amend, which went into "a later run"; then a bare `git commit`, which aborts with
    // no editor to write its message in.
    await sh(repo, commit); // as printed
    assert.ok(
      broken.stdout.includes(
        `; a check from before ${dropped} still fails: to mend ${dropped} itself, not pushed ` +
          `yet, mark it \`edit\` in \`git rebase -i --rebase-merges ${dropped}~\`, run the same ` +
          "command there, " +
          "then `git commit --amend --allow-empty --no-edit` and `git rebase --continue`)",
      ),
      broken.stdout,
    );
    const since = await runCli(["verify", repo, "--since", dropped]);
    assert.equal(since.code, 0, since.stdout);
    // Not pushed: that commit mended itself, as printed (the put-back commit dropped first).
    await git(repo, "reset", "-q", "--hard", "HEAD~");
    const rebase = /`(git rebase -i [^`]+)`/.exec(broken.stdout)![1];
    await sh(repo, `GIT_SEQUENCE_EDITOR="sed -i 's/^pick ${dropped}/edit ${dropped}/'" ${rebase}`);
    const amend = /run the same command there, then `([^`]+)`/.exec(broken.stdout)![1];
    await sh(repo, `${restore} && ${amend} && git rebase --continue`);
    const mended = await runCli(["verify", repo, "--since", base]);
    assert.equal(mended.code, 0, mended.stdout);
    assert.equal(await git(repo, "rev-list", "--merges", "--count", "HEAD"), "1");
    assert.deepEqual((await lines(file)).slice(1).map((l) => l.split(",")[3]), [
      "BASE",
      "SECOND",
      "LATER",
    ]);
  }
});

Deno.test("verify --since: git revert of an agent's commit fails, naming the removed record and how to keep it", async () => {
  const { repo, del, file, base } = await repository();
  await Deno.writeTextFile(join(del, "Datasheet.md"), "a bad change\n");
  await run(del, "BAD_AGENT", "2026-10-02T00:00:00Z");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "agent run (bad)");
  const runId = (await lines(file))[2].split(",")[1];
  const before = (await git(repo, "rev-parse", "HEAD")).slice(0, 7);
  await git(repo, "revert", "--no-edit", "HEAD");
  const reverted = await runCli(["verify", del, "--since", base]);
  assert.equal(reverted.code, 1, reverted.stdout);
  assert.ok(
    reverted.stdout.includes(
      `: record ${runId} removed, against the version in ${before}; a record file is only appended ` +
        `to: put its lines back in that commit (${
          restoreCommands(before, `PKG-01_Alpha/${MAIN_DEL}/RunRecords.csv`)
        }, then \`git commit --amend --allow-empty --no-edit\`) or, once ` +
        "pushed, in a new one (a check from before it still fails); to undo a run, keep its " +
        `record and mark it ${annotateCommand(`PKG-01_Alpha/${MAIN_DEL}`, runId)}\n`,
    ),
    reverted.stdout,
  );
  // Done as it says: the revert keeps the record file, the run is marked.
  const remedy = /\(`(.+?)`, then/.exec(reverted.stdout)!;
  const done = await new Deno.Command("sh", { args: ["-c", remedy[1]], cwd: repo }).output();
  assert.equal(done.code, 0, remedy[1]);
  await git(repo, "commit", "-q", "--amend", "--no-edit", "-a");
  const kept = await runCli(["verify", del, "--since", base]);
  assert.equal(kept.code, 0, kept.stdout);
});

Deno.test("verify --since: a folder renumbered with git mv plus more runs than it held, in one commit, is followed by its bytes", async () => {
  const { repo, del, other, base } = await repository();
  const renumbered = join(repo, "PKG-01_Alpha", "DEL-01-04_Flow_Meter");
  await git(repo, "mv", del, renumbered);
  for (const m of ["11", "12", "13"]) await run(renumbered, "A", `2026-10-02T00:${m}:00Z`);
  // A dropped folder whose file another added one does not extend stays a deletion.
  await git(repo, "rm", "-rq", other);
  const added = join(repo, "PKG-01_Alpha", "DEL-01-07_Other");
  await Deno.mkdir(added);
  await run(added, "B", "2026-10-02T00:20:00Z");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "renumber DEL-01-02 -> DEL-01-04, three runs; swap DEL-01-03");
  const status = await git(repo, "show", "--name-status", "-M", "--format=", "HEAD");
  assert.match(status, /^A\tPKG-01_Alpha\/DEL-01-04_Flow_Meter\/RunRecords\.csv$/m, status);
  const { code, stdout } = await runCli(["verify", repo, "--since", base]);
  assert.equal(code, 1, stdout);
  assert.match(
    stdout,
    /DEL-01-04_Flow_Meter\/RunRecords\.csv: note: renamed from PKG-01_Alpha\/DEL-01-02_Flow_Meter\/RunRecords\.csv in commit [0-9a-f]{7}/,
  );
  assert.doesNotMatch(stdout, /DEL-01-02_Flow_Meter\/RunRecords\.csv: K-APPEND-1 broken/);
  assert.match(
    stdout,
    /DEL-01-03_Level_Switch\/RunRecords\.csv: K-APPEND-1 broken in commit [0-9a-f]{7} "renumber[^"]*": deletes the file/,
  );
  const moved = await runCli(["verify", renumbered, "--since", base]);
  assert.equal(moved.code, 0, moved.stdout);
  assert.match(moved.stdout, /K-APPEND-1 holds since/);
});

Deno.test("verify --since: a criss-cross history (each side merged the other's first run) whose union merge puts a first-parent line after a later one is accepted with a note: every line of both parents kept; a line dropped there still fails (soak7 F1)", async () => {
  const { repo, del, file, base } = await repository();
  const commit = async (at: string, message: string) => {
    await run(del, message.toUpperCase(), at);
    await git(repo, "commit", "-qam", message);
  };
  await git(repo, "branch", "b");
  await commit("2026-12-01T10:01:00Z", "a1");
  const a1 = await git(repo, "rev-parse", "HEAD");
  await git(repo, "checkout", "-q", "b");
  await commit("2026-12-01T10:02:00Z", "b1");
  await git(repo, "checkout", "-q", "main");
  await git(repo, "merge", "-q", "--no-edit", "b"); // main merges b1
  await git(repo, "checkout", "-q", "b");
  await git(repo, "merge", "-q", "--no-edit", a1); // b merges a1: criss-cross
  await git(repo, "checkout", "-q", "main");
  await commit("2026-12-01T10:03:00Z", "a2");
  await git(repo, "checkout", "-q", "b");
  await commit("2026-12-01T10:04:00Z", "b2");
  await git(repo, "checkout", "-q", "main");
  await git(repo, "merge", "-q", "--no-edit", "b"); // two merge bases
  // git's union merge of this history puts A1 after A2 when the diff of the virtual merge base
  // falls so (soak7 F1 saw it; it depends on the lines' bytes): made so here, in the merge.
  const all = await lines(file);
  const at = (agent: string) => all.find((l) => l.includes(`,${agent},`))!;
  const kept = all.filter((l) => !/,[AB][12],/.test(l));
  await Deno.writeTextFile(file, [...kept, at("B1"), at("A2"), at("A1"), at("B2"), ""].join("\n"));
  await git(repo, "commit", "-q", "--amend", "-a", "--no-edit");
  const ok = await runCliProcess(["verify", repo, "--since", base]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(
    ok.stdout,
    /merge [0-9a-f]{7} kept every line of its parents but not in the first parent.s order/,
  );
  // The same merge dropping one of the first parent's lines fails.
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, text.split("\n").filter((l) => !l.includes(",A1,")).join("\n"));
  await git(repo, "commit", "-q", "--amend", "-a", "--no-edit");
  const dropped = await runCliProcess(["verify", repo, "--since", base]);
  assert.equal(dropped.code, 1, dropped.stdout + dropped.stderr);
  await Deno.remove(repo, { recursive: true });
});

Deno.test("verify --since: a merge of two branches with one merge base that swaps two of its first parent's records, keeping every line, fails naming the line, where it was accepted as a criss-cross union merge's order (review-45 F3)", async () => {
  const { repo, del, file, base } = await repository();
  const commit = async (at: string, message: string) => {
    await run(del, message.toUpperCase(), at);
    await git(repo, "commit", "-qam", message);
  };
  await commit("2026-12-01T10:01:00Z", "a1");
  await git(repo, "branch", "b");
  await commit("2026-12-01T10:02:00Z", "a2");
  await git(repo, "checkout", "-q", "b");
  await commit("2026-12-01T10:03:00Z", "b1");
  await git(repo, "checkout", "-q", "main");
  await git(repo, "merge", "-q", "--no-commit", "b");
  const all = await lines(file);
  const [a1, a2] = ["A1", "A2"].map((agent) => all.findIndex((l) => l.includes(`,${agent},`)));
  [all[a1], all[a2]] = [all[a2], all[a1]]; // by hand: every line kept, two records swapped
  await Deno.writeTextFile(file, [...all, ""].join("\n"));
  await git(repo, "commit", "-qam", "merge b, two records swapped");
  const swapped = await runCliProcess(["verify", repo, "--since", base]);
  assert.equal(swapped.code, 1, swapped.stdout + swapped.stderr); // before: 0, "accepted"
  assert.match(
    swapped.stdout,
    new RegExp(
      `:${a1 + 1}: K-APPEND-1 broken in commit [0-9a-f]{7} "merge b, two records ` +
        `swapped": line ${a1 + 1}: the merge moved lines of its first parent's version out of ` +
        "their order",
    ),
  );
  await Deno.remove(repo, { recursive: true });
});

Deno.test("verify --since: the restore command as printed, run from a subfolder of a work tree checked out with CR LF, keeps every record once and the check holds (review-aa F6, F7)", async () => {
  const { repo, del, file, base } = await repository();
  await git(repo, "config", "core.autocrlf", "true");
  await git(repo, "rm", "-q", "--cached", "-r", ".");
  await git(repo, "reset", "-q", "--hard");
  await run(del, "SECOND", "2026-10-02T00:00:00Z");
  await git(repo, "commit", "-qam", "agent run");
  await git(repo, "revert", "--no-edit", "HEAD");
  await Deno.remove(journalPath(file)); // as in a clone that did not record it
  await run(del, "LATER", "2026-10-05T00:00:00Z");
  const sub = join(repo, "PKG-01_Alpha");
  const failed = await runCliProcess(["verify", MAIN_DEL, "--since", base], undefined, {}, sub);
  assert.equal(failed.code, 1, failed.stdout);
  const remedy = /\(`(.+?)`, then/.exec(failed.stdout)!;
  for (const command of [remedy[1], "git commit -q --amend --no-edit"]) {
    const done = await new Deno.Command("sh", { args: ["-c", command], cwd: sub }).output();
    assert.equal(done.code, 0, `${command}: ${new TextDecoder().decode(done.stderr)}`);
  }
  const agents = (await lines(file)).slice(1).map((l) => l.split(",")[3]);
  assert.deepEqual(agents, ["BASE", "SECOND", "LATER"]);
  const held = await runCliProcess(["verify", MAIN_DEL, "--since", base], undefined, {}, sub);
  assert.equal(held.code, 0, held.stdout);
  // The same message's way to undo a run names the folder from the repository's top.
  const annotate = /`runrec (annotate .+?)`/.exec(failed.stdout)![1];
  assert.match(annotate, /--invalidates --note "undone"$/);
  const cli = `${Deno.execPath()} run -A ${join(Deno.cwd(), "src/cli/main.ts")}`;
  const undone = await new Deno.Command("sh", {
    args: ["-c", `${cli} ${annotate}`],
    cwd: sub,
  }).output();
  assert.equal(undone.code, 0, new TextDecoder().decode(undone.stderr));
  assert.equal((await lines(file)).at(-1)!.split(",")[3], "RUNREC_ANNOTATE");
});
