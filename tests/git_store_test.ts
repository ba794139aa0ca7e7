/**
 * Git as the distributed store, with real git: clones that append and
 * merge (merge=union), `verify --since` catching every kind of rewrite, and
 * the repository shapes CI meets (shallow clones, a branch behind its base,
 * a revision off the first-parent chain, submodules, a repository another
 * user owns). The streamed diff check of `history_log.ts` is tested on its
 * own at the end.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/git_store_test.ts
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import { runCli } from "./cli.ts";
import { join } from "node:path";
import { recordFileLog } from "../src/history_log.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import type { RecordDraft } from "../src/append_types.ts";
import { git, sampleDraft, tempDir } from "./fixtures.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { bundleCli } from "../scripts/compile.ts";
import { NOBODY } from "./support/nobody.ts";

const ATTRIBUTES = `${RECORD_FILE} merge=union eol=lf\n`;
const DEL = join("PKG-01_Alpha", "DEL-01-02_Spéc — €");

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function cli(args: string[]): Promise<Captured> {
  const { code, stdout, stderr } = await runCli(args);
  return { code, out: stdout, err: stderr };
}

/** A run of `agent` at `timestamp` whose text holds em dashes, euro signs and umlauts. */
function run(agent: string, timestamp: string): RecordDraft {
  return sampleDraft({
    AgentName: agent,
    RunTimestamp: timestamp,
    Notes: `${agent} — costs 5 € … “quoted” ü`,
  });
}

async function append(file: string, agent: string, timestamp: string) {
  await appendRecord(file, run(agent, timestamp), { fsync: false });
}

/** A repository with the .gitattributes recipe and one deliverable holding `runs` committed runs. */
async function repository(runs = 2): Promise<{ repo: string; file: string; base: string }> {
  const repo = await Deno.realPath(await tempDir({ prefix: "runrec-store-" }));
  await git(repo, "init", "-q");
  await Deno.writeTextFile(join(repo, ".gitattributes"), ATTRIBUTES);
  await Deno.mkdir(join(repo, DEL), { recursive: true });
  const file = join(repo, DEL, RECORD_FILE);
  for (let i = 0; i < runs; i++) await append(file, `BASE${i}`, `2026-03-01T0${i}:00:00Z`);
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "base runs");
  return { repo, file, base: await git(repo, "rev-parse", "HEAD") };
}

/** The record lines of `file`, without the header. */
async function recordLines(file: string): Promise<string[]> {
  return (await Deno.readTextFile(file)).split("\n").slice(1).filter((l) => l !== "");
}

// ---------------------------------------------------------------- clones

Deno.test("git store: three clones append non-ASCII runs, pull and merge with no conflict; verify and log see every run", async () => {
  const { repo, base } = await repository();
  const upstream = `${repo}-upstream.git`;
  await git(repo, "clone", "-q", "--bare", repo, upstream);
  const clones: string[] = [];
  for (const name of ["a", "b", "c"]) {
    const clone = `${repo}-${name}`;
    await git(repo, "clone", "-q", upstream, clone);
    clones.push(clone);
  }
  // Each clone records a run of its own (different minutes), then all pull and push in turn.
  for (const [i, clone] of clones.entries()) {
    await append(join(clone, DEL, RECORD_FILE), `CLONE_${"ABC"[i]}`, `2026-03-02T1${i}:00:00Z`);
    await git(clone, "commit", "-qam", `run in clone ${"abc"[i]} — €`);
  }
  for (const clone of clones) {
    await git(clone, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main");
    await git(clone, "push", "-q", "origin", "HEAD:main");
  }
  for (const clone of clones) await git(clone, "pull", "-q", "--no-rebase", "--no-edit");
  const heads = await Promise.all(clones.map((c) => git(c, "rev-parse", "HEAD")));
  assert.equal(new Set(heads).size, 1, "every clone ends on the same commit");
  for (const clone of clones) {
    const file = join(clone, DEL, RECORD_FILE);
    const lines = await recordLines(file);
    assert.equal(lines.length, 5, lines.join("\n"));
    const verified = await cli(["verify", clone, "--since", base]);
    assert.equal(verified.code, 0, verified.out + verified.err);
    assert.match(verified.out, /ok: 5 records, 0 errors, 0 warnings, K-APPEND-1 holds\n/);
    const log = await cli(["log", join(clone, DEL), "--format", "json"]);
    assert.equal(log.code, 0, log.err);
    const agents = (JSON.parse(log.out) as { AgentName: string; Notes: string }[])
      .map((r) => r.AgentName).sort();
    assert.deepEqual(agents, ["BASE0", "BASE1", "CLONE_A", "CLONE_B", "CLONE_C"]);
    assert.match(log.out, /CLONE_C — costs 5 € … “quoted” ü/);
  }
});

Deno.test("git store: two clones recording in the same minute collide on RunID; verify names both lines and the remedy", async () => {
  const { repo, base } = await repository();
  const other = `${repo}-other`;
  await git(repo, "clone", "-q", repo, other);
  await git(repo, "checkout", "-q", "--detach"); // let the clone push to main
  await append(join(repo, DEL, RECORD_FILE), "HERE", "2026-03-02T10:00:10Z");
  await git(repo, "commit", "-qam", "run here");
  const here = await git(repo, "rev-parse", "HEAD");
  await append(join(other, DEL, RECORD_FILE), "THERE", "2026-03-02T10:00:40Z");
  await git(other, "commit", "-qam", "run there");
  await git(other, "fetch", "-q", repo, here);
  await git(other, "merge", "-q", "--no-edit", "FETCH_HEAD");
  const { code, out } = await cli(["verify", other, "--since", base]);
  assert.equal(code, 1, out);
  assert.match(
    out,
    /:5: RunID RUN-DEL-01-02-20260302-1000-001 is already on line 4, a different record: line 4 THERE at 2026-03-02T10:00:40Z, line 5 HERE at 2026-03-02T10:00:10Z; two runs recorded apart \(in two clones, on two branches, or one stashed\) in the same minute got one RunID, SCHEMA.md 3.3; both records are intact, nothing to repair: merge as it is, accepting this one failed check \(verify --since a later commit only warns of it\); docs\/CI.md, "Two branches, one minute"\n/,
  );
  assert.match(out, /K-APPEND-1 holds\n$/);
});

Deno.test("git store: an emit into a record file left mid-merge (conflict markers, no recipe) is spooled, never appended, and flushed once the conflict is resolved", async () => {
  const { repo, file } = await repository(1);
  await Deno.remove(join(repo, ".gitattributes")); // no merge=union: git leaves a conflict
  await git(repo, "commit", "-qam", "no recipe");
  await git(repo, "checkout", "-qb", "side");
  await append(file, "SIDE", "2026-03-02T10:00:00Z");
  await git(repo, "commit", "-qam", "side run");
  await git(repo, "checkout", "-q", "main");
  await append(file, "MAIN", "2026-03-02T11:00:00Z");
  await git(repo, "commit", "-qam", "main run");
  await assert.rejects(git(repo, "merge", "-q", "--no-edit", "side")); // the conflict
  const conflicted = await Deno.readTextFile(file);
  assert.match(conflicted, />>>>>>> side\n$/);

  const emit = await cli(["emit", join(repo, DEL), "--agent", "LATE", "--status", "SUCCESS"]);
  assert.equal(emit.code, 0, emit.err);
  assert.match(emit.err, /an unresolved git merge conflict \(its last line is ">>>>>>> side"\)/);
  assert.match(emit.err, /spooled to /);
  assert.equal(await Deno.readTextFile(file), conflicted, "not appended after the markers");
  const validate = await cli(["validate", join(repo, DEL)]);
  assert.equal(validate.code, 1);
  assert.match(validate.out + validate.err, /:\d+: line is a git conflict marker "<<<<<<< HEAD"/);

  // Resolved as the message says: both sides kept, markers deleted. Then the spooled run lands.
  const resolved = conflicted.split("\n").filter((l) => !/^(<{7}|={7}|>{7})/.test(l)).join("\n");
  await Deno.writeTextFile(file, resolved);
  await git(repo, "commit", "-qam", "merge side");
  const flush = await cli(["flush", join(repo, DEL)]);
  assert.equal(flush.code, 0, flush.out + flush.err);
  const agents = (await recordLines(file)).map((l) => l.split(",")[3]);
  assert.deepEqual(agents, ["BASE0", "MAIN", "SIDE", "LATE"]);
  assert.equal((await cli(["verify", join(repo, DEL)])).code, 0);
});

// ---------------------------------------------------------------- rewrites

/** Each way of rewriting history, applied to a file of three runs. */
const REWRITES: Record<string, (lines: string[]) => string[]> = {
  edited: (l) => l.with(2, l[2].replace("BASE1", "BASE9")),
  deleted: (l) => l.toSpliced(2, 1),
  reordered: (l) => [l[0], l[2], l[1], l[3]],
  inserted: (l) => l.toSpliced(2, 0, l[3].replace("BASE2", "EXTRA")),
  "rewritten (every record new)": (l) => [l[0], ...l.slice(1).map((x) => x.replace("BASE", "NEW"))],
};

Deno.test("git store: verify --since catches an edited, deleted, reordered or forged inserted record and a rewritten file", async () => {
  for (const [name, rewrite] of Object.entries(REWRITES)) {
    const { repo, file, base } = await repository(3);
    const lines = (await Deno.readTextFile(file)).split("\n").slice(0, -1);
    await Deno.writeTextFile(file, rewrite(lines).join("\n") + "\n");
    await git(repo, "commit", "-qam", `${name}`);
    const culprit = await git(repo, "rev-parse", "HEAD");
    await append(file, "LATER", "2026-03-03T00:00:00Z");
    await git(repo, "commit", "-qam", "an honest run");
    const { code, out } = await cli(["verify", repo, "--since", base]);
    assert.equal(code, 1, `${name}: ${out}`);
    if (name === "inserted") {
      // Every earlier line kept, a whole line inserted (as a squash merge does): K-APPEND-1
      // holds, noted; the inserted copy's RecordChecksum fails the file's own check.
      assert.match(out, new RegExp(`note: commit ${culprit.slice(0, 7)} inserted 1 line\\(s\\)`));
      const json = JSON.parse((await cli(["verify", repo, "--since", base, "--json"])).out);
      assert.equal(json.files[0].history.failure, null);
      assert.deepEqual(json.files[0].problems.map((p: { line: number }) => p.line), [3]);
      continue;
    }
    assert.match(
      out,
      new RegExp(
        `K-APPEND-1 broken in commit ${culprit.slice(0, 7)} "${name.replace(/[()]/g, "\\$&")}"`,
      ),
      name,
    );
    const json = JSON.parse((await cli(["verify", repo, "--since", base, "--json"])).out);
    assert.equal(json.files[0].history.failure.commit, culprit, name);
    const firstChanged = name.startsWith("rewritten") || name === "reordered" ? 2 : 3;
    assert.equal(json.files[0].history.failure.line, firstChanged, name);
  }
});

Deno.test("git store: verify --since catches a file rewritten while its folder was renamed, in git's rename or not", async () => {
  for (const keep of [2, 0]) {
    // keep 2 of 3 runs: git still pairs the files; keep none: only the DeliverableID does.
    const { repo, file, base } = await repository(3);
    const renamed = join(repo, "PKG-01_Alpha", "DEL-01-02_Renamed — ü");
    await git(repo, "mv", join(repo, DEL), renamed);
    const lines = (await Deno.readTextFile(join(renamed, RECORD_FILE))).split("\n");
    const kept = [lines[0], ...lines.slice(1, 1 + keep), lines[3].replace("BASE2", "FORGED")];
    await Deno.writeTextFile(join(renamed, RECORD_FILE), kept.join("\n") + "\n");
    await git(repo, "add", "-A");
    await git(repo, "commit", "-qm", "rename and rewrite");
    assert.equal(await Deno.stat(file).catch(() => null), null);
    const { code, out } = await cli(["verify", repo, "--since", base]);
    assert.equal(code, 1, out);
    assert.match(out, /K-APPEND-1 broken in commit [0-9a-f]{7} "rename and rewrite"/, out);
    assert.doesNotMatch(out, /deleted or moved/);
  }
});

// ---------------------------------------------------------------- repository shapes

Deno.test("git store: a shallow clone is completed from a remote on this machine, and then sees a rewrite in the missing commits", async () => {
  const { repo, file } = await repository(3);
  await git(repo, "checkout", "-qb", "pr");
  const lines = (await Deno.readTextFile(file)).split("\n");
  await Deno.writeTextFile(file, lines.with(2, lines[2].replace("BASE1", "BASE7")).join("\n"));
  await git(repo, "commit", "-qam", "tamper");
  await append(file, "PR", "2026-03-03T00:00:00Z");
  await git(repo, "commit", "-qam", "honest pr run");
  const clone = `${repo}-shallow`;
  await git(repo, "clone", "-q", "--depth", "1", "--branch", "pr", `file://${repo}`, clone);
  await git(clone, "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main");
  assert.equal(await git(clone, "rev-parse", "--is-shallow-repository"), "true");
  const { code, out } = await cli(["verify", clone, "--since", "origin/main"]);
  assert.equal(code, 1, out);
  assert.match(out, /note: .* was a shallow clone: fetched the rest of its history from origin/);
  assert.match(out, /K-APPEND-1 broken in commit [0-9a-f]{7} "tamper": line 3 differs/);
});

Deno.test("git store: --since origin/main in a clone of one branch (--depth 1) says the ref was never fetched and how to fetch it", async () => {
  const { repo, file } = await repository(2);
  await git(repo, "checkout", "-qb", "pr");
  await append(file, "PR1", "2026-03-03T00:00:00Z");
  await git(repo, "commit", "-qam", "pr run 1");
  const clone = `${repo}-one-branch`;
  await git(repo, "clone", "-q", "--depth", "1", "--branch", "pr", `file://${repo}`, clone);
  const { code, out, err } = await cli(["verify", clone, "--since", "origin/main"]);
  assert.equal(code, 2, out + err);
  assert.match(
    err,
    /unknown revision "origin\/main" in [^:]*: this clone has no ref for origin's main \(a clone of one branch, .*\): git fetch origin main:refs\/remotes\/origin\/main first/,
  );
  // A name that is no remote's stays a plain unknown revision.
  const typo = await cli(["verify", clone, "--since", "upstream/main"]);
  assert.match(typo.err, /unknown revision "upstream\/main" in [^:]*\n$/);
  // In a repository with no remote (a copy begun with git init), CI's origin/main is said to
  // be no name there, and what to give instead (newuser-60 F9).
  const none = await cli(["verify", repo, "--since", "origin/main"]);
  assert.equal(none.code, 2, none.err);
  assert.match(
    none.err,
    /unknown revision "origin\/main" in [^:]*: this repository has no remote \(begun with git init, not cloned\): name one of its own branches or commits \(git branch lists them\)\n$/,
  );
});

/**
 * A repository whose branch `pr` adds two runs to main's, and a clone of `pr` one commit deep
 * with main fetched as `origin/main` one commit deep: CI's shallow checkout of a pull request.
 */
async function shallowPullRequest(): Promise<{ repo: string; clone: string }> {
  const { repo, file } = await repository(2);
  await git(repo, "checkout", "-qb", "pr");
  await append(file, "PR1", "2026-03-03T00:00:00Z");
  await git(repo, "commit", "-qam", "pr run 1");
  await append(file, "PR2", "2026-03-03T01:00:00Z");
  await git(repo, "commit", "-qam", "pr run 2");
  const clone = `${repo}-shallow`;
  await git(repo, "clone", "-q", "--depth", "1", "--branch", "pr", `file://${repo}`, clone);
  await git(clone, "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main");
  return { repo, clone };
}

Deno.test("git store: a shallow clone whose remote is not on this machine fails with exit 2 and how to fetch", async () => {
  const { clone } = await shallowPullRequest();
  // The remote CI clones from: never fetched from here (no network in a test), so refused.
  await git(clone, "remote", "set-url", "origin", "https://example.invalid/project.git");
  const { code, out, err } = await cli(["verify", clone, "--since", "origin/main"]);
  assert.equal(code, 2, out + err);
  assert.equal(out, "");
  assert.match(
    err,
    /^runrec verify: --since: .* is a shallow clone and lacks history since origin\/main: commit [0-9a-f]{7}'s parents are not here, so K-APPEND-1 cannot be checked; fetch it with `git fetch --unshallow` \(GitHub Actions: actions\/checkout with `fetch-depth: 0`\)\n$/,
  );
  // A name no fetch could explain is unknown; an ancestor cut off by the clone says how to fetch.
  const unknown = await cli(["verify", clone, "--since", "no-such-branch"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown revision "no-such-branch" in [^:]*\n$/);
  const cut = await cli(["verify", clone, "--since", "HEAD~2"]);
  assert.equal(cut.code, 2);
  assert.match(cut.err, /unknown revision "HEAD~2" in .*: a shallow clone, which may lack that/);
});

Deno.test("git store: a read-only shallow checkout, whose fetch fails, says so and to verify a full clone, which passes (newuser-42 F3)", async () => {
  const { repo, clone } = await shallowPullRequest();
  // CI's read-only checkout: a read-only bind mount of the clone (root, as the tests need).
  const mounted = `${repo}-ro`;
  await Deno.mkdir(mounted);
  const mount = await new Deno.Command("mount", { args: ["--bind", "-o", "ro", clone, mounted] })
    .output();
  assert.equal(mount.code, 0, new TextDecoder().decode(mount.stderr));
  try {
    for (const since of ["HEAD~2", "origin/main"]) {
      const { code, out, err } = await cli(["verify", mounted, "--since", since]);
      assert.equal(code, 2, out + err);
      assert.equal(err.split("\n").length, 2, err);
      assert.match(
        err,
        /`git fetch --unshallow` from the remote on this machine failed \(.*Read-only file system\): verify a clone made with the full history instead/,
      );
    }
  } finally {
    await new Deno.Command("umount", { args: [mounted] }).output();
  }
  const full = `${repo}-full`;
  await git(repo, "clone", "-q", "--branch", "pr", `file://${repo}`, full);
  const { code, out, err } = await cli(["verify", full, "--since", "origin/main"]);
  assert.equal(code, 0, out + err);
  assert.match(out, /K-APPEND-1 holds since origin\/main/);
});

Deno.test("git store: a branch behind its base fails --since the base, saying to check from the merge base, which holds", async () => {
  const { repo, file } = await repository(2);
  const forkPoint = await git(repo, "rev-parse", "HEAD");
  await git(repo, "checkout", "-qb", "feature");
  await append(file, "FEATURE", "2026-03-03T00:00:00Z");
  await git(repo, "commit", "-qam", "honest feature run");
  await git(repo, "checkout", "-q", "main");
  await append(file, "MAIN", "2026-03-03T01:00:00Z");
  await git(repo, "commit", "-qam", "main moved on");
  await git(repo, "checkout", "-q", "feature");
  // HEAD lacks main's new record: a branch or tag holding main does not tell a branch behind
  // from a rewrite that dropped it, so the record is required either way.
  const behind = await cli(["verify", repo, "--since", "main"]);
  assert.equal(behind.code, 1, behind.out);
  assert.match(
    behind.out,
    new RegExp(
      `note: HEAD does not contain main \\([0-9a-f]{7}\\): checked from their merge base ` +
        `${forkPoint.slice(0, 7)}, and every record main holds must still be in HEAD's files ` +
        `\\(for a branch only behind main, check from where it left: --since ` +
        `${forkPoint.slice(0, 7)}\\)\n`,
    ),
  );
  // The failure itself says what to run: its line is what a CI log shows first.
  assert.match(
    behind.out,
    new RegExp(
      `record RUN-\\S+ \\(line 4\\) is not in HEAD's version: dropped since [0-9a-f]{7}, which ` +
        `HEAD does not contain \\(a branch only behind it: check it --since ` +
        `${forkPoint.slice(0, 7)}, their merge base\\)`,
    ),
  );
  const { code, out } = await cli(["verify", repo, "--since", forkPoint.slice(0, 7)]);
  assert.equal(code, 0, out);
  assert.match(out, /K-APPEND-1 holds/);
  // A real rewrite on the branch is still caught.
  await Deno.writeTextFile(file, (await Deno.readTextFile(file)).replace("BASE0", "BASE8"));
  await git(repo, "commit", "-qam", "rewrite on the branch");
  const bad = await cli(["verify", repo, "--since", forkPoint]);
  assert.equal(bad.code, 1, bad.out);
  assert.match(bad.out, /K-APPEND-1 broken in commit [0-9a-f]{7} "rewrite on the branch"/);
});

Deno.test("git store: --since naming a merged side branch is checked from where the first-parent chain meets it", async () => {
  const { repo, file } = await repository(2);
  const forkPoint = await git(repo, "rev-parse", "HEAD");
  await git(repo, "checkout", "-qb", "side");
  await append(file, "SIDE", "2026-03-03T00:00:00Z");
  await git(repo, "commit", "-qam", "side run");
  await git(repo, "checkout", "-q", "main");
  await append(file, "MAIN", "2026-03-03T01:00:00Z");
  await git(repo, "commit", "-qam", "honest main run");
  await git(repo, "merge", "-q", "--no-edit", "side");
  await append(file, "AFTER", "2026-03-03T02:00:00Z");
  await git(repo, "commit", "-qam", "after the merge");
  const { code, out } = await cli(["verify", repo, "--since", "side"]);
  assert.equal(code, 0, out);
  assert.match(
    out,
    new RegExp(
      `note: side \\([0-9a-f]{7}\\) is not on HEAD's first-parent chain \\(a merged branch\\): ` +
        `checked from ${forkPoint.slice(0, 7)}, the newest commit of that chain it contains\n`,
    ),
  );
  assert.match(out, /ok: 5 records, 0 errors, 0 warnings, K-APPEND-1 holds\n/);
});

Deno.test("git store: a record file in a submodule is checked in the submodule's own history", async () => {
  const { repo: inner } = await repository(2);
  const parent = await Deno.realPath(await tempDir({ prefix: "runrec-store-parent-" }));
  await git(parent, "init", "-q");
  await Deno.writeTextFile(join(parent, ".gitattributes"), ATTRIBUTES);
  await git(parent, "submodule", "add", "-q", inner, "vendor/records");
  await git(parent, "commit", "-qm", "add the submodule");
  const base = await git(parent, "rev-parse", "HEAD");
  const sub = join(parent, "vendor", "records");
  const file = join(sub, DEL, RECORD_FILE);
  // An honest run in the submodule, recorded in the parent: holds, checked in the submodule.
  await append(file, "IN_SUB", "2026-03-03T00:00:00Z");
  await git(sub, "commit", "-qam", "run in the submodule");
  await git(parent, "commit", "-qam", "bump submodule");
  const ok = await cli(["verify", parent, "--since", base]);
  assert.equal(ok.code, 0, ok.out + ok.err);
  assert.match(
    ok.out,
    /note: submodule vendor\/records: checked in its own history, from [0-9a-f]{7}/,
  );
  assert.match(ok.out, /ok: 3 records, 0 errors, 0 warnings, K-APPEND-1 holds\n/);
  // A rewrite inside the submodule fails, naming the submodule's commit.
  await Deno.writeTextFile(file, (await Deno.readTextFile(file)).replace("BASE1", "BASE5"));
  await git(sub, "commit", "-qam", "rewrite in the submodule");
  await git(parent, "commit", "-qam", "bump submodule again");
  const rewritten = await cli(["verify", parent, "--since", base]);
  assert.equal(rewritten.code, 1, rewritten.out);
  assert.match(rewritten.out, /K-APPEND-1 broken in commit [0-9a-f]{7} "rewrite in the submodule"/);
  // The record file deleted in the submodule: gone, not passed.
  await git(sub, "reset", "-q", "--hard", "HEAD~1");
  await git(sub, "rm", "-q", file);
  await git(sub, "commit", "-qm", "drop the records");
  await git(parent, "commit", "-qam", "bump submodule to the deletion");
  const deleted = await cli(["verify", parent, "--since", base]);
  assert.equal(deleted.code, 1, deleted.out);
  assert.match(
    deleted.out,
    /vendor\/records\/PKG-01_Alpha\/DEL-01-02_Spéc — €\/RunRecords\.csv: K-APPEND-1 broken in commit [0-9a-f]{7} "drop the records": deletes the file, which held \d+ records? at [0-9a-f]{7}; a record file is only appended to: restore it /,
  );
});

Deno.test("git store: a repository another user owns gives git's dubious-ownership message and remedy (exit 2)", async () => {
  const { repo } = await repository(1);
  // Owned by another uid: git (2.35.2 and later) refuses it for this user, root included.
  await new Deno.Command("chown", { args: ["-R", "12345:12345", repo] }).output();
  const { code, out, err } = await cli(["verify", repo, "--since", "HEAD"]);
  assert.equal(code, 2, out + err);
  assert.match(err, /detected dubious ownership in repository at '.*'/);
  assert.match(err, /git config --global --add safe\.directory /);
  assert.equal(err.split("\n").length, 2, err);
  assert.doesNotMatch(err, /not in a git work tree/);
});

Deno.test("git store: with no HOME, the dubious-ownership remedy is one that works there, and it does (newuser-42 F1)", async () => {
  const { repo } = await repository(1);
  await new Deno.Command("chown", { args: ["-R", "12345:12345", repo] }).output();
  // A CI job's environment: no HOME, no TMPDIR, no TERM; git's `git config --global` fails so.
  const verify = async (env: Record<string, string>) => {
    const ran = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...FULL_FLAGS, CLI_ENTRY, "verify", repo, "--since", "HEAD"],
      clearEnv: true,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return { code: ran.code, out: decoder.decode(ran.stdout), err: decoder.decode(ran.stderr) };
  };
  const refused = await verify({});
  assert.equal(refused.code, 2, refused.out + refused.err);
  assert.equal(refused.err.split("\n").length, 2, refused.err);
  const remedy = /GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe\.directory GIT_CONFIG_VALUE_0=(\S+)/
    .exec(refused.err);
  assert.ok(remedy, refused.err);
  assert.match(refused.err, /HOME is unset/);
  const fixed = await verify({
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "safe.directory",
    GIT_CONFIG_VALUE_0: remedy[1],
  });
  assert.equal(fixed.code, 0, fixed.out + fixed.err);
  assert.match(fixed.out, /K-APPEND-1 holds/);
  await new Deno.Command("chown", { args: ["-R", "0:0", repo] }).output();
});

Deno.test("git store: as a user whose HOME is a folder it may not write (a container's HOME=/), the dubious-ownership remedy is the one through git's environment, and it works (review-43 F4)", async () => {
  const { repo } = await repository(1);
  const dir = await tempDir();
  // User nobody runs a copy of this deno (its own may sit in root's home) on the bundle.
  const deno = join(dir, "deno");
  await Deno.copyFile(Deno.execPath(), deno);
  const main = await bundleCli(join(dir, "bundle"));
  await Deno.mkdir(join(dir, "deno_dir"), { mode: 0o777 });
  for (const path of [dir, repo]) {
    await new Deno.Command("chmod", { args: ["-R", "a+rX", path] }).output();
  }
  await Deno.chmod(join(dir, "deno_dir"), 0o777);
  await new Deno.Command("chown", { args: ["-R", "12345:12345", repo] }).output();
  const verify = async (env: Record<string, string>) => {
    const ran = await new Deno.Command("setpriv", {
      args: [
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        "--clear-groups",
        deno,
        "run",
        ...FULL_FLAGS,
        main,
        "verify",
        repo,
        "--since",
        "HEAD",
      ],
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: "/",
        DENO_DIR: join(dir, "deno_dir"),
        ...env,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return { code: ran.code, out: decoder.decode(ran.stdout), err: decoder.decode(ran.stderr) };
  };
  const refused = await verify({});
  assert.equal(refused.code, 2, refused.out + refused.err);
  assert.equal(refused.err.split("\n").length, 2, refused.err);
  // Before: git's remedy alone, which fails there ("could not lock config file //.gitconfig").
  assert.match(refused.err, /HOME is \/, which this user may not write, so that git config fails/);
  const remedy = /GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe\.directory GIT_CONFIG_VALUE_0=(\S+)/
    .exec(refused.err);
  assert.ok(remedy, refused.err);
  const fixed = await verify({
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "safe.directory",
    GIT_CONFIG_VALUE_0: remedy[1],
  });
  assert.equal(fixed.code, 0, fixed.out + fixed.err);
  await new Deno.Command("chown", { args: ["-R", "0:0", repo] }).output();
});

// ---------------------------------------------------------------- the streamed diff check

Deno.test("history log: only a diff that adds lines at the end is proven an append", async () => {
  const repo = await Deno.realPath(await tempDir({ prefix: "runrec-store-log-" }));
  await git(repo, "init", "-q");
  const path = "DEL-01-02_X/RunRecords.csv";
  await Deno.mkdir(join(repo, "DEL-01-02_X"));
  const versions: [string, string][] = [
    ["h\na\nb\n", "first version"],
    ["h\na\nb\nc\n", "append"],
    ["h\na\nb\nc\nd", "append, torn (no final newline)"],
    ["h\na\nb\nc\nd\ne\n", "the torn line finished, then an append"],
    ["h\na\nX\nb\nc\nd\ne\n", "insert"],
    ["h\na\nX\nb\nc\nd\nE\n", "edit the last line"],
    ["h\na\nX\nb\nc\nd\nE\n\u00e9\u2014\n", "append non-ASCII"],
    ["h\na\nX\nb\nc\nd\n", "cut"],
  ];
  for (const [text, message] of versions) {
    await Deno.writeTextFile(join(repo, path), text);
    await git(repo, "add", "-A");
    await git(repo, "commit", "-qm", message);
  }
  const seen: [string, string, boolean][] = [];
  for await (const commit of recordFileLog(repo, undefined, `:(glob)**/${RECORD_FILE}`)) {
    for (const change of commit.changes) {
      seen.push([commit.subject, change.status, change.appended]);
    }
  }
  assert.deepEqual(seen, [
    ["first version", "A", true],
    ["append", "M", true],
    ["append, torn (no final newline)", "M", true],
    ["the torn line finished, then an append", "M", true],
    ["insert", "M", false],
    ["edit the last line", "M", false],
    ["append non-ASCII", "M", true],
    ["cut", "M", false],
  ]);
});
