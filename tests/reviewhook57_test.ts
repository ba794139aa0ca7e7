/**
 * The second server hook of docs/CI.md, `examples/ci/reference-transaction`: two real pushes at
 * once, each deleting one of two branches that hold the same run, to a bare repository with both
 * documented hooks (the set-up of `tests/support/pre_receive.ts`).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { git, minutelyHistory, ROOT, tempDir, writeTree } from "./fixtures.ts";
import { documentedHook, remoteLines, served, TRANSACTION_SECTION } from "./support/pre_receive.ts";

Deno.test("reviewhook57: two pushes at once that each delete one of two branches holding the same run do not both land (the reference-transaction hook re-checks under a lock); pack-refs and an --atomic merge-and-delete pass", async () => {
  const hook = join(ROOT, "examples", "ci", "reference-transaction");
  assertEquals(
    await documentedHook(TRANSACTION_SECTION),
    await Deno.readTextFile(hook),
    "docs/CI.md and the file differ",
  );
  assert(((await Deno.stat(hook)).mode! & 0o111) !== 0, `${hook} is not executable`);
  const { bare, bin, root, write, commit, push, pushWith, onServer } = await served(2, {
    transaction: true,
  });
  await git(root, "checkout", "-q", "-b", "a");
  await write(minutelyHistory(3));
  const run = await commit("a run");
  await git(root, "branch", "b");
  await git(root, "checkout", "-q", "main");
  await writeTree(root, { "NOTES.md": "notes\n" });
  const notes = await commit("notes");
  assertEquals((await push("a", "b")).code, 0);
  // git pack-refs deletes the loose refs it packed: not a push, so the hook lets it be.
  await git(bare, "pack-refs", "--all");
  // The first push's check of main waits (its runrec held back) until the second push has landed.
  const held = await tempDir({ prefix: "runrec-held-" });
  const go = join(held, "go");
  await Deno.symlink(join(bin, "runrec-sandboxed"), join(held, "runrec-sandboxed"));
  await Deno.writeTextFile(
    join(held, "runrec"),
    `#!/bin/sh\n: >"${held}/waiting"\nwhile [ ! -e "${go}" ]; do sleep 0.1; done\n` +
      `exec "${bin}/runrec" "$@"\n`,
    { mode: 0o755 },
  );
  // Its clone in a folder of its own: the second push's helper finds its own emptied.
  const first = pushWith({ RUNREC_INSTALL_DIR: held, TMPDIR: await tempDir() }, ":a", "main");
  while (!(await Deno.stat(join(held, "waiting")).then(() => true, () => false))) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const second = await push(":b");
  assertEquals(second.code, 0, second.stderr);
  await Deno.writeTextFile(go, "");
  const late = await first;
  assert(late.code !== 0, late.stderr);
  assertIncludes(late.stderr, "runrec: refs/heads/a not deleted: its commit ");
  assertIncludes(late.stderr, '"a run" changed a record file and no other ref holds it now');
  assertEquals(await onServer("refs/heads/a"), run, "the run is held by no ref");
  assertEquals(await onServer("refs/heads/b"), "");
  assert(
    !(await Deno.stat(join(bare, "runrec-deletion.lock")).then(() => true, () => false)),
    "the lock was left behind",
  );
  // Merged, and deleted in the same --atomic push: one update, whose new main holds the run.
  await git(root, "merge", "-q", "--no-edit", "a");
  const merged = await push("--atomic", "main", ":a");
  assertEquals(merged.code, 0, merged.stderr);
  assertEquals(await onServer("refs/heads/a"), "");
  assert((await onServer("refs/heads/main")) !== notes);
});

Deno.test("reviewhook57: a deletion is not let through by a new ref git cannot create after the hook (its name clashes with a ref's folder: refs/heads/main/keep beside main)", async () => {
  const { root, write, commit, push, onServer } = await served();
  await git(root, "checkout", "-q", "-b", "feat");
  await write(minutelyHistory(3));
  const run = await commit("a run not merged");
  assertEquals((await push("feat")).code, 0);
  // git refuses main/keep after the hook (main is a ref, not a folder), and deletes feat all the same.
  const clash = await push("feat:refs/heads/main/keep", ":feat");
  assertEquals(clash.code, 1, clash.stderr);
  assertIncludes(clash.stderr, "remote: runrec: refs/heads/feat not deleted: its commit ");
  assertEquals(await onServer("refs/heads/feat"), run, "the run is held by no ref");
  // Where git can create it, the new ref holds the run: the branch is renamed.
  const renamed = await push("feat:refs/heads/keep/feat", ":feat");
  assertEquals(renamed.code, 0, renamed.stderr);
  assertEquals(await onServer("refs/heads/keep/feat"), run);
});

Deno.test("reviewhook57: a deletion is not let through by a new ref under a name git refuses after the hook (refs/heads/x.lock, sent by a client of one's own: git push refuses to send it)", async () => {
  const { bare, root, write, commit, push, onServer } = await served();
  await git(root, "checkout", "-q", "-b", "feat");
  await write(minutelyHistory(3));
  const run = await commit("a run not merged");
  assertEquals((await push("feat")).code, 0);
  // git receive-pack's own protocol: the commands, a flush, an empty pack (no new objects).
  const zero = "0".repeat(40);
  const line = (text: string) => `${(text.length + 4).toString(16).padStart(4, "0")}${text}`;
  const commands = line(`${zero} ${run} refs/heads/x.lock\0report-status\n`) +
    line(`${run} ${zero} refs/heads/feat\n`) + "0000";
  const header = new Uint8Array(
    [..."PACK"].map((c) => c.charCodeAt(0)).concat([0, 0, 0, 2, 0, 0, 0, 0]),
  );
  const pack = new Uint8Array([...header, ...createHash("sha1").update(header).digest()]);
  const receiving = new Deno.Command("git", {
    args: ["receive-pack", bare],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = receiving.stdin.getWriter();
  await writer.write(new Uint8Array([...new TextEncoder().encode(commands), ...pack]));
  await writer.close();
  const out = await receiving.output();
  const report = new TextDecoder().decode(out.stdout);
  assertIncludes(report, "ng refs/heads/feat pre-receive hook declined");
  assertIncludes(new TextDecoder().decode(out.stderr), "runrec: refs/heads/feat not deleted");
  assertEquals(await onServer("refs/heads/feat"), run, "the run is held by no ref");
});

Deno.test("reviewhook57: refs a push creates at one new commit (a --mirror, a branch and its tag) are checked once, each still given its line", async () => {
  const { bin, write, commit, pushWith } = await served();
  await write(minutelyHistory(3));
  await commit("a run");
  // runrec behind a shim that counts its runs.
  const counted = await tempDir({ prefix: "runrec-counted-" });
  for (const name of ["runrec", "runrec-sandboxed"]) {
    await Deno.writeTextFile(
      join(counted, name),
      `#!/bin/sh\necho "${name} $1" >>"${counted}/runs"\nexec "${bin}/${name}" "$@"\n`,
      { mode: 0o755 },
    );
  }
  const refs = ["refs/heads/x1", "refs/heads/x2", "refs/tags/t1"];
  const ran = await pushWith({ RUNREC_INSTALL_DIR: counted }, ...refs.map((ref) => `HEAD:${ref}`));
  assertEquals(ran.code, 0, ran.stderr);
  assertEquals(
    remoteLines(ran).map((line) => line.replace(/ since [0-9a-f]+$/, "")),
    refs.map((ref) => `remote: runrec: ${ref}: ok: 1 record file, 3 records, K-APPEND-1 holds`),
  );
  assertEquals(
    (await Deno.readTextFile(join(counted, "runs"))).trimEnd().split("\n"),
    ["runrec-sandboxed validate", "runrec verify"],
  );
});

Deno.test("reviewhook57: deleting a symbolic ref the server keeps (refs/heads/alias to feat, as an admin makes for a renamed branch) deletes its target: refused when the target alone holds a run", async () => {
  const { bare, root, write, commit, push, onServer } = await served();
  await git(root, "checkout", "-q", "-b", "feat");
  await write(minutelyHistory(3));
  const run = await commit("a run not merged");
  assertEquals((await push("feat")).code, 0);
  await git(bare, "symbolic-ref", "refs/heads/alias", "refs/heads/feat");
  const deleted = await push(":alias");
  assertEquals(deleted.code, 1, deleted.stderr);
  assertIncludes(deleted.stderr, "remote: runrec: refs/heads/alias not deleted: its commit ");
  assertEquals(await onServer("refs/heads/feat"), run, "the run is held by no ref");
});
