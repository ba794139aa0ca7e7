/**
 * `runrec verify --since` against the way a repository is set up: a shallow
 * clone that holds the revision but not all of a merged branch, a record
 * file that `.gitignore` hides, a record file git stores through a filter
 * or another encoding, and `verifyHistory` called from a script without
 * `--allow-run`. Real git repositories throughout.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/verify_git_setup_test.ts
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
import { appendRun } from "./support/runs.ts";

const DEL = "DEL-01-02_Flow_Meter";

/** A repository with the documented `.gitattributes` and `extra` lines after it; no commit yet. */
async function repository(extra = "") {
  const repo = await tempDir({ prefix: "runrec-verify-setup-" });
  const del = join(repo, DEL);
  await Deno.mkdir(del, { recursive: true });
  await git(repo, "init", "-q");
  await Deno.writeTextFile(
    join(repo, ".gitattributes"),
    `${RECORD_FILE} merge=union eol=lf\n${extra}`,
  );
  return { repo, del, file: join(del, RECORD_FILE) };
}

/** Commits everything in `repo` with `message`; the new commit's id. */
async function commit(repo: string, message: string): Promise<string> {
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", message);
  return await git(repo, "rev-parse", "HEAD");
}

Deno.test("verify --since in a shallow clone that holds the revision but not the merged branch's fork point: exit 2, naming the merge", async () => {
  const { repo, del, file } = await repository();
  await appendRun(del, "R0", "2026-01-01T10:11:00Z");
  await commit(repo, "R0");
  // Branch B rewrites R0 (re-checksummed), then appends three runs.
  await git(repo, "checkout", "-qb", "B");
  const [header, r0] = (await Deno.readTextFile(file)).split("\n");
  const body = r0.slice(0, r0.lastIndexOf(",")).replace("20260101-1011", "20260101-0911")
    .replace("T10:11:00", "T09:11:00");
  const tampered = `${body},${createHash("sha256").update(body).digest("hex")}`;
  await Deno.writeTextFile(file, `${header}\n${tampered}\n`);
  await commit(repo, "B: tamper R0");
  for (const m of ["12", "13", "14"]) {
    await appendRun(del, "B", `2026-01-01T10:${m}:00Z`);
    await commit(repo, `B ${m}`);
  }
  await git(repo, "checkout", "-q", "main");
  for (const m of ["15", "16"]) {
    await appendRun(del, "M", `2026-01-01T10:${m}:00Z`);
    await commit(repo, `M ${m}`);
  }
  const base = await git(repo, "rev-parse", "HEAD");
  await git(repo, "merge", "-q", "--no-edit", "B");
  const merge = await git(repo, "rev-parse", "--short=7", "HEAD");
  // The full history fails at the merge.
  const full = await runCli(["verify", repo, "--since", base]);
  assert.equal(full.code, 1, full.stdout + full.stderr);
  assert.match(
    full.stdout,
    /whose branch did not only append: in commit [0-9a-f]{7} "B: tamper R0"/,
  );

  // A CI-like checkout: three commits deep, its origin not on this machine.
  const clone = await tempDir({ prefix: "runrec-verify-shallow-" });
  await git(clone, "clone", "-q", "--depth", "3", `file://${repo}`, "c");
  const shallow = join(clone, "c");
  await git(shallow, "remote", "set-url", "origin", "https://git.example.invalid/team/repo.git");
  const cut = await runCli(["verify", shallow, "--since", base]);
  assert.equal(cut.code, 2, cut.stdout + cut.stderr);
  assert.equal(cut.stdout, "");
  assert.match(
    cut.stderr,
    new RegExp(
      `^runrec verify: --since: .*c is a shallow clone and lacks the history of the branch ` +
        `that commit ${merge} "Merge branch 'B'" merges: commit [0-9a-f]{7}'s parents are not ` +
        "here, so the branch cannot be followed to where it left; fetch it with " +
        "`git fetch --unshallow` \\(GitHub Actions: actions/checkout with `fetch-depth: 0`\\)\n$",
    ),
  );
  assert.doesNotMatch(cut.stderr + cut.stdout, /holds/);

  // With its origin on this machine, the clone is completed and the rewrite found.
  await git(shallow, "remote", "set-url", "origin", `file://${repo}`);
  const completed = await runCli(["verify", shallow, "--since", base]);
  assert.equal(completed.code, 1, completed.stdout + completed.stderr);
  assert.match(completed.stdout, /was a shallow clone: fetched the rest of its history/);
  assert.match(completed.stdout, /"B: tamper R0"/);
});

Deno.test("verify --since in a shallow clone whose cut lies before the revision holds as usual", async () => {
  const { repo, del } = await repository();
  for (const m of ["11", "12", "13", "14"]) {
    await appendRun(del, "A", `2026-01-01T10:${m}:00Z`);
    await commit(repo, `A ${m}`);
  }
  const base = await git(repo, "rev-parse", "HEAD~1");
  const clone = await tempDir({ prefix: "runrec-verify-shallow-" });
  await git(clone, "clone", "-q", "--depth", "2", `file://${repo}`, "c");
  const shallow = join(clone, "c");
  await git(shallow, "remote", "set-url", "origin", "https://git.example.invalid/team/repo.git");
  const ok = await runCli(["verify", shallow, "--since", base]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /K-APPEND-1 holds/);
});

Deno.test("verify of a record file .gitignore hides: a warning naming the line; with --since an error (exit 1), never 'holds'", async () => {
  const { repo, del, file } = await repository();
  await Deno.writeTextFile(join(repo, ".gitignore"), "# generated\n*.csv\n");
  const base = await commit(repo, "ignore generated csv");
  await appendRun(del, "A", "2026-01-01T10:00:00Z");
  assert.equal(await git(repo, "ls-files", "--", file), "");
  const line = `${file}:1: warning: git ignores this file (.gitignore:2: *.csv): its records ` +
    "are never committed and exist only in this clone; add `!RunRecords.csv` to .gitignore " +
    "after that line, then commit the file\n";
  const plain = await runCli(["verify", del]);
  assert.equal(plain.code, 0, plain.stdout + plain.stderr);
  assert.ok(plain.stdout.includes(line), plain.stdout);
  assert.match(plain.stdout, /: ok: 1 record, 0 errors, 1 warning\n/);

  const since = await runCli(["verify", del, "--since", base]);
  assert.equal(since.code, 1, since.stdout + since.stderr);
  assert.ok(
    since.stdout.includes(
      `${file}:1: git ignores this file (.gitignore:2: *.csv): its records are never committed ` +
        "and exist only in this clone, so --since has no history to check; add",
    ),
    since.stdout,
  );
  assert.doesNotMatch(since.stdout, /holds|versions? compared/);
  assert.match(since.stdout, /: FAILED: 1 record, 1 error, 0 warnings, K-APPEND-1 unchecked\n/);

  // Re-included and committed: checked as usual.
  await Deno.writeTextFile(join(repo, ".gitignore"), "# generated\n*.csv\n!RunRecords.csv\n");
  await commit(repo, "keep record files");
  const fixed = await runCli(["verify", del, "--since", base]);
  assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
  assert.doesNotMatch(fixed.stdout, /ignores/);
  assert.match(fixed.stdout, /K-APPEND-1 holds/);
});

Deno.test("verify --since of a record file git stores through a filter or checks out in another encoding: one line with the .gitattributes remedy, never 'holds'", async () => {
  // A line-preserving clean/smudge filter: git stores other bytes than the work tree holds.
  const { repo, del, file } = await repository("RunRecords.csv filter=mark\n");
  await git(repo, "config", "filter.mark.clean", "sed 's/^/#/'");
  await git(repo, "config", "filter.mark.smudge", "sed 's/^#//'");
  await appendRun(del, "A", "2026-01-01T10:00:00Z");
  const base = await commit(repo, "base");
  await appendRun(del, "B", "2026-01-01T10:05:00Z");
  await commit(repo, "run2");
  assert.equal(await git(repo, "status", "--short"), "");
  const remedy = "add `RunRecords.csv merge=union eol=lf -filter -working-tree-encoding -ident` " +
    "as the last line of .gitattributes\n";
  const filtered = await runCli(["verify", del, "--since", base]);
  assert.equal(filtered.code, 1, filtered.stdout + filtered.stderr);
  assert.ok(
    filtered.stdout.includes(
      `${file}:1: git stores this file through filter \`mark\` (.gitattributes), so its ` +
        `committed versions are not the bytes runrec wrote and cannot be checked; ${remedy}`,
    ),
    filtered.stdout,
  );
  assert.doesNotMatch(filtered.stdout, /differs|holds/);
  // Without --since the work tree's file is runrec's: nothing to say.
  const plain = await runCli(["verify", del]);
  assert.equal(plain.code, 0, plain.stdout + plain.stderr);
  assert.doesNotMatch(plain.stdout, /filter/);

  // A work tree in UTF-16 (working-tree-encoding): no NUL-byte or header verdicts.
  const other = await repository();
  await appendRun(other.del, "A", "2026-01-01T10:00:00Z");
  const start = await commit(other.repo, "base");
  await Deno.writeTextFile(
    join(other.repo, ".gitattributes"),
    "*.csv text working-tree-encoding=UTF-16LE-BOM eol=crlf\nRunRecords.csv merge=union\n",
  );
  await git(other.repo, "add", ".gitattributes");
  await git(other.repo, "commit", "-qm", "csv as UTF-16 for Excel");
  await Deno.remove(other.file);
  await git(other.repo, "checkout", "--", other.file);
  for (const args of [["verify", other.del], ["verify", other.del, "--since", start]]) {
    const encoded = await runCli(args);
    assert.equal(encoded.code, 1, encoded.stdout + encoded.stderr);
    assert.ok(
      encoded.stdout.includes(
        `${other.file}:1: git stores this file through working-tree-encoding UTF-16LE-BOM ` +
          "(.gitattributes), so the file here and its committed versions are not the bytes " +
          `runrec wrote and cannot be checked; ${remedy}`,
      ),
      encoded.stdout,
    );
    assert.doesNotMatch(encoded.stdout, /NUL|header|differs|holds/);
  }
  // The documented line last undoes both.
  await Deno.writeTextFile(
    join(other.repo, ".gitattributes"),
    "*.csv text working-tree-encoding=UTF-16LE-BOM eol=crlf\n" +
      "RunRecords.csv merge=union eol=lf -filter -working-tree-encoding\n",
  );
  await git(other.repo, "add", ".gitattributes");
  await git(other.repo, "commit", "-qm", "record files as runrec writes them");
  await Deno.remove(other.file);
  await git(other.repo, "checkout", "--", other.file);
  const fixed = await runCli(["verify", other.del, "--since", start]);
  assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
});

Deno.test("verify of a record file git checks out with $Id$ expanded (the ident attribute): one line naming the attribute and the remedy, not a checksum error", async () => {
  const { repo, del, file } = await repository("RunRecords.csv ident\n");
  await appendRun(del, "A", "2026-01-01T10:00:00Z");
  const base = await commit(repo, "base");
  // A file with no `$Id` in it is runrec's bytes whatever the attribute: nothing to say.
  const clean = await runCli(["verify", del, "--since", base]);
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  await appendRecord(
    file,
    sampleDraft({ AgentName: "B", RunTimestamp: "2026-01-01T10:05:00Z", Notes: "built from $Id$" }),
    { fsync: false },
  );
  await commit(repo, "a run");
  // As a fresh clone has it: git expands `$Id$` on checkout.
  await Deno.remove(file);
  await git(repo, "checkout", "--", file);
  assert.match(await Deno.readTextFile(file), /\$Id: [0-9a-f]{40} \$/);
  const remedy = "add `RunRecords.csv merge=union eol=lf -filter -working-tree-encoding -ident` " +
    "as the last line of .gitattributes\n";
  for (const args of [["verify", del], ["verify", del, "--since", base]]) {
    const out = await runCli(args);
    assert.equal(out.code, 1, out.stdout + out.stderr);
    assert.ok(
      out.stdout.includes(
        `${file}:1: git stores this file through the ident attribute, which expands \`$Id$\` in ` +
          "it on checkout (.gitattributes), so the file here and its committed versions are not " +
          `the bytes runrec wrote and cannot be checked; ${remedy}`,
      ),
      out.stdout,
    );
    assert.doesNotMatch(out.stdout, /RecordChecksum|differs|holds/);
  }
  // The documented line, last, undoes it.
  await Deno.writeTextFile(
    join(repo, ".gitattributes"),
    "RunRecords.csv merge=union eol=lf ident\n" +
      "RunRecords.csv merge=union eol=lf -filter -working-tree-encoding -ident\n",
  );
  await git(repo, "add", ".gitattributes");
  await git(repo, "commit", "-qm", "record files as runrec writes them");
  await Deno.remove(file);
  await git(repo, "checkout", "--", file);
  const fixed = await runCli(["verify", del, "--since", base]);
  assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
});

Deno.test("verify --since gives the same verdict whatever encoding the git config asks of git log (i18n.logOutputEncoding)", async () => {
  const { repo, del } = await repository();
  await appendRun(del, "A", "2026-01-01T10:00:00Z");
  const base = await commit(repo, "base");
  await git(repo, "checkout", "-qb", "feat");
  await appendRun(del, "F", "2026-01-01T10:10:00Z");
  await commit(repo, "feat run");
  await git(repo, "checkout", "-q", "main");
  await appendRun(del, "M", "2026-01-01T10:20:00Z");
  await commit(repo, "main run");
  // `-s ours` keeps main's file: feat's record is dropped.
  await git(repo, "merge", "-q", "-s", "ours", "feat", "-m", "merge feat – ours");
  const plain = await runCli(["verify", del, "--since", base]);
  assert.equal(plain.code, 1, plain.stdout + plain.stderr);
  await git(repo, "config", "i18n.logOutputEncoding", "UTF-16");
  const utf16 = await runCli(["verify", del, "--since", base]);
  assert.equal(utf16.code, 1, utf16.stdout + utf16.stderr);
  assert.equal(utf16.stdout, plain.stdout);
  assert.match(utf16.stdout, /"merge feat – ours": the merge drops record/);
});

Deno.test("verify --since HEAD in a repository with no commits yet says so, and how to check the files", async () => {
  const root = await tempDir({ prefix: "runrec-nocommit-" });
  const del = join(root, "DEL-01-02_Thing");
  await Deno.mkdir(del);
  await appendRecord(join(del, RECORD_FILE), sampleDraft(), { fsync: false });
  await git(root, "init", "-q");
  const { code, stderr } = await runCli(["verify", root, "--since", "HEAD"]);
  assert.equal(code, 2, stderr);
  assert.match(
    stderr,
    /unknown revision "HEAD" .*: the repository has no commits yet \(commit the record files first; runrec verify without --since checks them as they are\)\n$/,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("verify --since gives the same verdict with log.follow set in the git config, as many users set it: it ended in git's 'BUG: unsupported magic', exit 2 (trial-40 F7)", async () => {
  const { repo, del } = await repository();
  const base = await commit(repo, "base");
  await appendRun(del, "A", "2026-01-01T10:00:00Z");
  await commit(repo, "a run");
  await appendRun(del, "B", "2026-01-01T10:10:00Z");
  await commit(repo, "another run");
  // A root and one folder: a record file added since base is searched with a glob pathspec.
  for (const target of [repo, del]) {
    await git(repo, "config", "--unset-all", "log.follow").catch(() => {});
    const plain = await runCli(["verify", target, "--since", base]);
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    await git(repo, "config", "log.follow", "true");
    const following = await runCli(["verify", target, "--since", base]);
    assert.equal(following.code, 0, following.stdout + following.stderr);
    assert.equal(following.stdout, plain.stdout);
  }
});
