/**
 * `runrec verify --since` against history shapes that share no first-parent
 * commit with the revision: an orphan rewrite, and a merge of unrelated
 * histories whose first parent is the orphan. Real git repositories
 * throughout.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/verify_history_shapes_test.ts
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./cli.ts";
import { git, tempDir } from "./fixtures.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { appendRun } from "./support/runs.ts";

const MAIN_DEL = "DEL-01-02_Flow_Meter";
const OTHER_DEL = "DEL-01-03_Level_Switch";

/**
 * A repository whose two deliverables hold committed runs (two in the
 * first, one in the other), tagged `base`.
 */
async function repository() {
  const repo = await tempDir({ prefix: "runrec-verify-shapes-" });
  const del = join(repo, MAIN_DEL);
  const other = join(repo, OTHER_DEL);
  await Deno.mkdir(del, { recursive: true });
  await Deno.mkdir(other, { recursive: true });
  await git(repo, "init", "-q");
  await Deno.writeTextFile(join(repo, ".gitattributes"), `${RECORD_FILE} merge=union eol=lf\n`);
  await appendRun(del, "A", "2026-10-01T00:00:00Z");
  await appendRun(del, "B", "2026-10-01T00:01:00Z");
  await appendRun(other, "C", "2026-10-01T00:02:00Z");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "base");
  await git(repo, "tag", "base");
  return { repo, del, other, file: join(del, RECORD_FILE), otherFile: join(other, RECORD_FILE) };
}

/** The lines of `file` without line `at` (1-based), written back. */
async function dropLine(file: string, at: number) {
  const lines = (await Deno.readTextFile(file)).split("\n");
  const runId = lines[at - 1].split(",")[1];
  lines.splice(at - 1, 1);
  await Deno.writeTextFile(file, lines.join("\n"));
  return runId;
}

Deno.test("verify --since a revision HEAD's history shares no commit with (an orphan rewrite): every record it held must be in HEAD, else exit 1", async () => {
  const { repo, file, otherFile } = await repository();
  // An orphan that keeps every record passes: nothing was lost.
  await git(repo, "checkout", "-q", "--orphan", "kept");
  await git(repo, "commit", "-qm", "history rewritten, records kept");
  const kept = await runCli(["verify", repo, "--since", "base"]);
  assert.equal(kept.code, 0, kept.stdout + kept.stderr);
  assert.match(kept.stdout, /HEAD's history shares no commit with base \([0-9a-f]{7}\)/);
  // One that drops a record and a whole record file fails, naming both.
  await git(repo, "checkout", "-q", "--orphan", "rewrite");
  const runId = await dropLine(file, 3);
  await Deno.remove(otherFile);
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "history rewritten from scratch");
  const out = await runCli(["verify", repo, "--since", "base"]);
  assert.equal(out.code, 1, out.stdout + out.stderr);
  assert.match(
    out.stdout,
    new RegExp(
      `${MAIN_DEL}/RunRecords\\.csv:3: K-APPEND-1 broken in commit [0-9a-f]{7} "history ` +
        `rewritten from scratch": record ${runId} \\(line 3\\) is not in HEAD's version: dropped ` +
        "when history was rewritten from scratch",
    ),
  );
  assert.match(
    out.stdout,
    new RegExp(`${OTHER_DEL}/RunRecords\\.csv: K-APPEND-1 broken in .*the file is not in HEAD`),
  );
  assert.doesNotMatch(out.stdout, /not in base;/);
});

Deno.test("verify --since a revision an unrelated-histories merge took in as its second parent: a record the merge dropped fails, and the note does not say they share no history", async () => {
  const { repo, file } = await repository();
  await git(repo, "checkout", "-q", "--orphan", "side");
  await git(repo, "rm", "-rq", "--cached", ".");
  await git(repo, "clean", "-fdxq");
  await Deno.writeTextFile(join(repo, "other.txt"), "x\n");
  await git(repo, "add", "other.txt");
  await git(repo, "commit", "-qm", "orphan start");
  await git(repo, "merge", "-q", "--allow-unrelated-histories", "--no-commit", "main");
  // The merge taken as it is: every record kept, a pass.
  await git(repo, "commit", "-qm", "honest merge");
  const honest = await runCli(["verify", repo, "--since", "base"]);
  assert.equal(honest.code, 0, honest.stdout + honest.stderr);
  await git(repo, "reset", "-q", "--hard", "HEAD~1");
  await git(repo, "merge", "-q", "--allow-unrelated-histories", "--no-commit", "main");
  const runId = await dropLine(file, 3);
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "merge main, dropping a record");
  const out = await runCli(["verify", repo, "--since", "base"]);
  assert.equal(out.code, 1, out.stdout + out.stderr);
  assert.match(
    out.stdout,
    new RegExp(
      `:3: K-APPEND-1 broken in commit [0-9a-f]{7} "merge main, dropping a record": record ` +
        `${runId} \\(line 3\\) is not in HEAD's version: dropped by this merge`,
    ),
  );
  assert.match(out.stdout, /base \([0-9a-f]{7}\) is not on HEAD's first-parent chain/);
  assert.doesNotMatch(out.stdout, /shares no history|shares no commit with base/);
});
