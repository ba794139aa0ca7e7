/**
 * The pre-receive hook of docs/CI.md ("On the server: a pre-receive hook"), installed as the
 * page shows it into a real bare repository, with real pushes over a local path, each in a
 * network namespace with no network (`unshare -n`): appends land; an edited, removed or reordered
 * record, a rewritten earlier commit and a new branch that edits a record are refused with
 * runrec's lines shown to the pusher and no ref moved; a merged branch is deleted, one holding a
 * run no other ref holds is not; a `merge=union` merge of two branches' appends lands; once a
 * submodule is recorded every push is refused (the hook checks none out).
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { git, minutelyHistory, ROOT, tempDir, writeTree } from "./fixtures.ts";
import { runIn } from "./installed.ts";
import { waitFor } from "./support/held.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { DEL, documentedHook, edited, remoteLines, served } from "./support/pre_receive.ts";

Deno.test("server56: an append-only push lands; one that edits, removes or reorders a record is refused, runrec's line shown, the ref not moved", async () => {
  const { root, write, commit, push, onServer, refused } = await served();
  const hook = join(ROOT, "examples", "ci", "pre-receive");
  assertEquals(
    await documentedHook(),
    await Deno.readTextFile(hook),
    "docs/CI.md and the file differ",
  );
  assert(
    ((await Deno.stat(hook)).mode! & 0o111) !== 0,
    "examples/ci/pre-receive is not executable",
  );
  const lines = minutelyHistory(3);
  const base = await git(root, "rev-parse", "--short=7", "HEAD");
  await write(lines);
  const appended = await commit("append");
  const landed = await push("main");
  assertEquals(landed.code, 0, landed.stderr);
  // One line for a ref that passes; runrec's own lines only for one refused (below).
  assertEquals(remoteLines(landed), [
    `remote: runrec: refs/heads/main: ok: 1 record file, 3 records, K-APPEND-1 holds since ${base}`,
  ]);
  assertEquals(await onServer("main"), appended);
  const changes: [string, string[], RegExp][] = [
    [
      "edit",
      edited(lines, 1),
      /:2: K-APPEND-1 broken in commit [0-9a-f]{7} "edit": line 2 differs/,
    ],
    [
      "remove",
      [lines[0], lines[2], lines[3]],
      /:2: K-APPEND-1 broken in commit [0-9a-f]{7} "remove": record RUN-DEL-01-02-20200101-0000-001 \(line 2\) was removed/,
    ],
    [
      "reorder",
      [lines[0], lines[2], lines[1], lines[3]],
      /:2: K-APPEND-1 broken in commit [0-9a-f]{7} "reorder"/,
    ],
  ];
  for (const [what, changed, said] of changes) {
    await write(changed);
    await commit(what);
    const ran = await push("main");
    await refused(ran, "main", appended);
    assertMatch(
      ran.stderr,
      new RegExp(`remote: PKG-01_Pkg/1_Working/DEL-01-02_Thing/RunRecords\\.csv${said.source}`),
    );
    await git(root, "reset", "-q", "--hard", appended);
  }
  // Retired into _Archive/ (a tool root, which verify . skips): the hook names it, so an edit
  // there is refused too.
  await Deno.mkdir(join(root, "_Archive"));
  await git(root, "mv", DEL.split("/")[0], "_Archive/");
  const retired = await commit("retire");
  assertEquals((await push("main")).code, 0);
  await Deno.writeTextFile(
    join(root, "_Archive", DEL, RECORD_FILE),
    `${edited(lines, 2).join("\n")}\n`,
  );
  await commit("archive edited");
  const archived = await push("main");
  await refused(archived, "main", retired);
  assertMatch(
    archived.stderr,
    /remote: _Archive\/PKG-01_Pkg\/1_Working\/DEL-01-02_Thing\/RunRecords\.csv:3: K-APPEND-1 broken/,
  );
});

Deno.test("server56: a force-push that rewrites an earlier commit's record is refused, also as history rewritten from scratch, naming no temporary path; without runrec beside runrec-sandboxed, a push is refused; a push stopped mid-check leaves no clone", async () => {
  const { bin, root, hookTmp, write, commit, push, pushFrom, onServer, refused } = await served();
  const base = await git(root, "rev-parse", "HEAD");
  await write(minutelyHistory(3));
  await commit("third run");
  await write(minutelyHistory(4));
  const tip = await commit("fourth run");
  assertEquals((await push("main")).code, 0);
  // The third run's record edited in its own commit (a valid record, its checksum remade), the
  // fourth recorded again on top.
  await git(root, "reset", "-q", "--hard", base);
  await write(edited(minutelyHistory(3), 3));
  await commit("third run rewritten");
  await write(edited(minutelyHistory(4), 3));
  await commit("fourth run again");
  const forced = await push("--force", "main");
  await refused(forced, "main", tip);
  assertMatch(
    forced.stderr,
    /remote: runrec verify: note: HEAD does not contain [0-9a-f]{40} \([0-9a-f]{7}\), and no branch or tag does: history was rewritten since/,
  );
  assertMatch(
    forced.stderr,
    /remote: .*RunRecords\.csv:4: K-APPEND-1 broken in commit [0-9a-f]{7} "[^"]+": record RUN-DEL-01-02-20200101-0002-001 \(line 4\)/,
  );
  // An orphan branch holding the same runs, one edited: checked from its first version.
  await git(root, "checkout", "-q", "--orphan", "scratch");
  await commit("from scratch");
  const orphan = await push("--force", "scratch:main");
  await refused(orphan, "main", tip, "scratch");
  assertMatch(
    orphan.stderr,
    /remote: runrec verify: note: HEAD's history shares no commit with [0-9a-f]{40} \([0-9a-f]{7}\) \(history rewritten from scratch/,
  );
  assertIncludes(
    orphan.stderr,
    "record RUN-DEL-01-02-20200101-0002-001 (line 4) is not in HEAD's version as it was",
  );
  assertEquals(await onServer("main"), tip);
  // The schema check runs in runrec-sandboxed alone; without runrec (verify), the push is refused.
  await git(root, "checkout", "-q", "main");
  await git(root, "reset", "-q", "--hard", tip);
  await write(minutelyHistory(5));
  await commit("fifth run");
  const sandboxedOnly = await tempDir({ prefix: "runrec-sandboxed-only-" });
  await Deno.symlink(join(bin, "runrec-sandboxed"), join(sandboxedOnly, "runrec-sandboxed"));
  const withoutVerify = await pushFrom(sandboxedOnly, "/usr/bin:/bin", "main");
  await refused(withoutVerify, "main", tip);
  assertIncludes(withoutVerify.stderr, "RunRecords.csv: ok: 5 records, 0 errors, 0 warnings");
  assertMatch(withoutVerify.stderr, /remote: .*runrec: not found/);
  // The pusher's Ctrl-C (TERM to the push's process group) while the hook checks: nothing lands
  // and the hook's clone is removed.
  const stopped = new Deno.Command("unshare", {
    args: ["-n", "setsid", "git", "push", "origin", "main"],
    cwd: root,
    env: { RUNREC_INSTALL_DIR: bin, TMPDIR: hookTmp },
    stdout: "null",
    stderr: "null",
  }).spawn();
  const cloned = async () => {
    for await (const entry of Deno.readDir(hookTmp)) {
      const clone = join(hookTmp, entry.name, "clone", ".git");
      if (await Deno.lstat(clone).then(() => true, () => false)) {
        return true;
      }
    }
    return false;
  };
  await waitFor(cloned, "the hook's clone");
  Deno.kill(-stopped.pid, "SIGTERM");
  assertEquals((await stopped.status).signal, "SIGTERM");
  await waitFor(
    async () => (await Array.fromAsync(Deno.readDir(hookTmp))).length === 0,
    "the stopped hook's clone removed",
  );
  assertEquals(await onServer("main"), tip);
});

Deno.test("server56: a new branch is checked from where it leaves HEAD, a merged branch is deleted and an unmerged one holding runs is not, and a merge=union merge of two branches' appends lands", async () => {
  const { root, write, commit, push, onServer, refused } = await served();
  const main = await git(root, "rev-parse", "HEAD");
  const lines = minutelyHistory(4);
  // A new branch that appends lands, checked since its merge base with HEAD (main).
  await git(root, "checkout", "-q", "-b", "feature");
  await write(lines.slice(0, 4));
  const feature = await commit("feature appends");
  const created = await push("feature");
  assertEquals(created.code, 0, created.stderr);
  assertIncludes(created.stderr, `K-APPEND-1 holds since ${main.slice(0, 7)}`);
  // One that edits a record main holds is refused, and not created.
  await git(root, "checkout", "-q", "-b", "sneaky", "main");
  await write(edited(minutelyHistory(2), 1));
  await commit("sneaky edit");
  await refused(await push("sneaky"), "sneaky", "");
  // main appends a run of its own and merges the feature: merge=union keeps both appends.
  await git(root, "checkout", "-q", "main");
  await write([...lines.slice(0, 3), lines[4]]);
  await commit("main appends");
  await git(root, "merge", "-q", "--no-edit", "feature");
  const merged = await git(root, "rev-parse", "HEAD");
  const union = [...lines.slice(0, 3), lines[4], lines[3]];
  assertEquals(await git(root, "show", `HEAD:${DEL}/${RECORD_FILE}`), union.join("\n"));
  const landed = await push("main");
  assertEquals(landed.code, 0, landed.stderr);
  assertEquals(await onServer("main"), merged);
  // The merged branch deleted: nothing to check, the deletion lands.
  assertEquals(await onServer("feature"), feature);
  const deleted = await push(":feature");
  assertEquals(deleted.code, 0, deleted.stderr);
  assertEquals(await onServer("refs/heads/feature"), "");
  // A branch whose run no other ref holds is not deleted: its record would be lost.
  await git(root, "checkout", "-q", "-b", "unmerged");
  await write([...union, minutelyHistory(5)[5]]);
  const unmerged = await commit("a run not merged");
  assertEquals((await push("unmerged")).code, 0);
  const kept = await push(":unmerged");
  assertEquals(kept.code, 1, kept.stderr);
  assertMatch(
    kept.stderr,
    /remote: runrec: refs\/heads\/unmerged not deleted: its commit [0-9a-f]{7} "a run not merged" changed a record file and no other ref holds it/,
  );
  assertEquals(await onServer("refs/heads/unmerged"), unmerged);
});

Deno.test("server56: once a submodule is recorded, a push is refused (the hook's clone checks none out), the submodule named by its path in the pusher's clone, not the hook's", async () => {
  const { bin, root, write, commit, push, onServer, refused } = await served();
  const sub = await tempDir({ prefix: "runrec-sub-" });
  const emit = async () => {
    const ran = await runIn(sub, join(bin, "runrec"), [
      "emit",
      "DEL-02-01_S",
      "--agent",
      "4_DOCUMENTS",
      "--status",
      "SUCCESS",
    ]);
    assertEquals(ran.code, 0, ran.stderr);
    await git(sub, "add", "-A");
    await git(sub, "commit", "-qm", "a run");
  };
  await writeTree(sub, { "DEL-02-01_S/_CONTEXT.md": "**DeliverableID:** DEL-02-01\n" });
  await git(sub, "init", "-q");
  await emit();
  await git(root, "submodule", "add", "-q", sub, "PKG-02_Sub");
  const added = await commit("submodule");
  assertEquals((await push("main")).code, 0);
  // A run of the superproject's own, the submodule where it was: refused all the same.
  await write(minutelyHistory(3));
  await commit("a run");
  const appended = await push("main");
  await refused(appended, "main", added);
  assertIncludes(appended.stderr, "remote: runrec verify: --since: submodule PKG-02_Sub: commit");
  await git(root, "reset", "-q", "--hard", added);
  await emit();
  await git(join(root, "PKG-02_Sub"), "pull", "-q", "origin", "main");
  await commit("submodule moved");
  const moved = await push("main");
  await refused(moved, "main", added);
  assertMatch(
    moved.stderr,
    /remote: runrec verify: --since: submodule PKG-02_Sub: commit [0-9a-f]{7}, which [0-9a-f]{40} records for it, is not in its repository/,
  );
  assertEquals(await onServer("main"), added);
});
