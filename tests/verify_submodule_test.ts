/**
 * `runrec verify --since` where a deliverable folder is, or was, a
 * submodule: the submodule moved to a history without the commit the
 * revision records (a sibling, an orphan). Real git repositories
 * throughout.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/verify_submodule_test.ts
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

const DEL = "DEL-01-02_Flow_Meter";

/** The RunID of the last record of `dir`'s record file. */
async function lastRunId(dir: string): Promise<string> {
  const lines = (await Deno.readTextFile(join(dir, RECORD_FILE))).trimEnd().split("\n");
  return lines.at(-1)!.split(",")[1];
}

/**
 * A superproject whose deliverable folder `DEL` is a submodule holding two
 * committed runs; `s0` tags the superproject's commit of it.
 */
async function withSubmodule() {
  const root = await Deno.realPath(await tempDir({ prefix: "runrec-verify-sub-" }));
  const source = join(root, "source");
  await Deno.mkdir(source);
  await git(source, "init", "-q");
  await appendRun(source, "A", "2026-10-01T00:00:00Z");
  await appendRun(source, "B", "2026-10-01T00:01:00Z");
  await git(source, "add", "-A");
  await git(source, "commit", "-qm", "s1");
  const repo = join(root, "project");
  await Deno.mkdir(repo);
  await git(repo, "init", "-q");
  await Deno.writeTextFile(join(repo, ".gitattributes"), `${RECORD_FILE} merge=union eol=lf\n`);
  await git(repo, "submodule", "add", "-q", source, DEL);
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "the deliverable is a submodule");
  await git(repo, "tag", "s0");
  return { root, repo, source, sub: join(repo, DEL) };
}

Deno.test("verify --since: a submodule moved to a history without the commit the revision records (a sibling, an orphan) fails naming the dropped record; never a stack trace", async () => {
  const { repo, sub } = await withSubmodule();
  await appendRun(sub, "C", "2026-10-01T00:02:00Z");
  const dropped = await lastRunId(sub);
  await git(sub, "commit", "-qam", "run C");
  await git(repo, "commit", "-qam", "bump the submodule");
  await git(repo, "tag", "s1");
  // A sibling history that never had run C, still with a branch of its own.
  await git(sub, "checkout", "-qb", "other", "HEAD~1");
  await appendRun(sub, "D", "2026-10-01T00:03:00Z");
  await git(sub, "commit", "-qam", "run D");
  await git(repo, "commit", "-qam", "point the submodule at a sibling history");
  const sibling = await runCli(["verify", repo, "--since", "s1"]);
  assert.equal(sibling.code, 1, sibling.stdout + sibling.stderr);
  assert.match(
    sibling.stdout,
    new RegExp(
      `${DEL}/RunRecords\\.csv:4: K-APPEND-1 broken in commit [0-9a-f]{7} "run D": record ` +
        `${dropped} \\(line 4\\) is not in HEAD's version: dropped since [0-9a-f]{7}, which ` +
        "HEAD does not contain",
    ),
  );
  // An orphan history of the submodule: one verdict, not a TypeError.
  await git(sub, "checkout", "-q", "--orphan", "evil");
  await git(sub, "commit", "-qm", "orphan");
  await git(repo, "commit", "-qam", "point the submodule at an orphan history");
  const orphan = await runCli(["verify", repo, "--since", "s1"]);
  assert.equal(orphan.code, 1, orphan.stdout + orphan.stderr);
  assert.match(
    orphan.stdout,
    new RegExp(`record ${dropped} \\(line 4\\) is not in HEAD's version`),
  );
  assert.doesNotMatch(orphan.stdout + orphan.stderr, /Cannot read|undefined/);
  // The submodule's history as it was: holds.
  await git(sub, "checkout", "-q", "main");
  await git(repo, "commit", "-qam", "the submodule back on its history");
  const back = await runCli(["verify", repo, "--since", "s1"]);
  assert.equal(back.code, 0, back.stdout + back.stderr);
});

/**
 * A repository holding a deliverable folder `DEL` with two committed runs,
 * tagged `base`, and a copy of that folder elsewhere (`copy`), not yet a
 * repository.
 */
async function withFolder() {
  const root = await Deno.realPath(await tempDir({ prefix: "runrec-verify-replaced-" }));
  const repo = join(root, "project");
  const del = join(repo, DEL);
  await Deno.mkdir(del, { recursive: true });
  await git(repo, "init", "-q");
  await Deno.writeTextFile(join(repo, ".gitattributes"), `${RECORD_FILE} merge=union eol=lf\n`);
  await appendRun(del, "A", "2026-10-01T00:00:00Z");
  await appendRun(del, "B", "2026-10-01T00:01:00Z");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "base");
  await git(repo, "tag", "base");
  const copy = join(root, "copy");
  await Deno.mkdir(copy);
  await Deno.copyFile(join(del, RECORD_FILE), join(copy, RECORD_FILE));
  return { repo, del, copy };
}

/** `dir` made a repository of its files, committed. */
async function commitAll(dir: string, message: string) {
  await git(dir, "init", "-q");
  await git(dir, "add", "-A");
  await git(dir, "commit", "-qm", message);
}

/** What `git rm -r` left of a folder (ignored files, such as runrec's state), if anything. */
async function removeLeftOver(dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}

Deno.test("verify --since: a deliverable folder replaced by a submodule or a nested clone whose record file lacks a record fails at the deletion; one that keeps every line holds", async () => {
  for (const nested of ["submodule", "clone"]) {
    const { repo, del, copy } = await withFolder();
    const lines = (await Deno.readTextFile(join(copy, RECORD_FILE))).split("\n");
    const dropped = lines[2].split(",")[1];
    await Deno.writeTextFile(join(copy, RECORD_FILE), [lines[0], lines[1], ""].join("\n"));
    await commitAll(copy, "same folder, one record dropped");
    await git(repo, "rm", "-rq", DEL);
    await removeLeftOver(del);
    if (nested === "submodule") {
      await git(repo, "submodule", "add", "-q", copy, DEL);
      await git(repo, "commit", "-qm", "the folder becomes a submodule");
    } else {
      await git(repo, "commit", "-qm", "the folder becomes a submodule");
      await git(repo, "clone", "-q", copy, DEL);
    }
    const out = await runCli(["verify", repo, "--since", "base"]);
    assert.equal(out.code, 1, `${nested}: ${out.stdout}${out.stderr}`);
    assert.match(
      out.stdout,
      new RegExp(
        `${DEL}/RunRecords\\.csv:3: K-APPEND-1 broken in commit [0-9a-f]{7} "the folder becomes ` +
          `a submodule": deletes the file, which held \\d+ records? at [0-9a-f]{7}; the file now in its place, another repository's ` +
          `\\(${del}\\), lacks record ${dropped} \\(line 3\\)`,
      ),
      nested,
    );
  }
  // Every line kept: the deletion lost nothing, and a note says where they are.
  const { repo, del, copy } = await withFolder();
  await commitAll(copy, "same folder");
  await git(repo, "rm", "-rq", DEL);
  await removeLeftOver(del);
  await git(repo, "submodule", "add", "-q", copy, DEL);
  await git(repo, "commit", "-qm", "the folder becomes a submodule");
  const kept = await runCli(["verify", repo, "--since", "base"]);
  assert.equal(kept.code, 0, kept.stdout + kept.stderr);
  assert.match(kept.stdout, /the file now in its place, another repository's, holds every line/);
});

Deno.test("verify --since: a record file left out of the working tree (skip-worktree) whose folder now holds a nested clone is no stack trace", async () => {
  const { repo, del, copy } = await withFolder();
  await appendRun(del, "C", "2026-10-01T00:02:00Z");
  await git(repo, "commit", "-qam", "run C");
  await git(repo, "update-index", "--skip-worktree", `${DEL}/${RECORD_FILE}`);
  await Deno.remove(del, { recursive: true });
  await commitAll(copy, "another repository");
  await git(repo, "clone", "-q", copy, DEL);
  const out = await runCli(["verify", repo, "--since", "base"]);
  assert.doesNotMatch(out.stdout + out.stderr, /Cannot read properties/);
  assert.equal(out.code, 0, out.stdout + out.stderr);
});

Deno.test("verify --since: a submodule absorbed back as a plain folder is checked against the submodule's version of its record file, never told to fetch the submodule", async () => {
  const { repo, sub } = await withSubmodule();
  await git(repo, "rm", "-q", "--cached", DEL);
  await Deno.remove(join(sub, ".git"));
  await git(repo, "config", "-f", ".gitmodules", "--remove-section", `submodule.${DEL}`);
  await git(repo, "add", ".gitmodules", DEL);
  await git(repo, "commit", "-qm", "absorb the submodule as a plain folder");
  const kept = await runCli(["verify", repo, "--since", "s0"]);
  assert.equal(kept.code, 0, kept.stdout + kept.stderr);
  assert.match(
    kept.stdout,
    new RegExp(`note: ${DEL} was a submodule at s0 \\(commit [0-9a-f]{7}\\): every line of its`),
  );
  assert.doesNotMatch(kept.stdout + kept.stderr, /submodule update/);
  // A record dropped while absorbing it fails, naming it.
  const file = join(sub, RECORD_FILE);
  const lines = (await Deno.readTextFile(file)).split("\n");
  const dropped = lines[2].split(",")[1];
  await Deno.writeTextFile(file, [lines[0], lines[1], ""].join("\n"));
  await git(repo, "commit", "-q", "--amend", "-am", "absorb it, dropping a record");
  const out = await runCli(["verify", repo, "--since", "s0"]);
  assert.equal(out.code, 1, out.stdout + out.stderr);
  assert.match(
    out.stdout,
    new RegExp(
      `:3: K-APPEND-1 broken in commit [0-9a-f]{7} "absorb it, dropping a record": ${DEL} was a ` +
        `submodule at s0 \\(commit [0-9a-f]{7}\\): record ${dropped} \\(line 3\\) of its version ` +
        "is not in the file now",
    ),
  );
  // A fresh clone (a CI checkout) has no .git/modules of a folder that is no longer a
  // submodule: the submodule's version cannot be read there, so the file is unchecked, a failure.
  const clone = await tempDir({ prefix: "runrec_absorbed_clone_" });
  await git(clone, "clone", "-q", repo, "c");
  const fresh = await runCli(["verify", join(clone, "c"), "--since", "s0"]);
  assert.equal(fresh.code, 1, fresh.stdout + fresh.stderr);
  assert.match(fresh.stdout, /whose version of this file is not in this clone: unchecked/);
});
