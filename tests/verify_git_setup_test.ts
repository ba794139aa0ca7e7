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
import { appendRecord, RECORD_FILE } from "../src/store.ts";

const DEL = "DEL-01-02_Flow_Meter";

/** Appends one run by `agent` stamped `at` to the record file of `dir`. */
async function run(dir: string, agent: string, at: string) {
  await appendRecord(
    join(dir, RECORD_FILE),
    sampleDraft({ AgentName: agent, RunTimestamp: at }),
    { fsync: false },
  );
}

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
  await run(del, "R0", "2026-01-01T10:11:00Z");
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
    await run(del, "B", `2026-01-01T10:${m}:00Z`);
    await commit(repo, `B ${m}`);
  }
  await git(repo, "checkout", "-q", "main");
  for (const m of ["15", "16"]) {
    await run(del, "M", `2026-01-01T10:${m}:00Z`);
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
    await run(del, "A", `2026-01-01T10:${m}:00Z`);
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
