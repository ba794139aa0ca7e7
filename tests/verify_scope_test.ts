/**
 * `verify --since` and plain `verify` agree on which record files a target
 * holds (as targets.ts resolves them): a deliverable folder its own
 * `RunRecords.csv`, a root every one beneath it that a walk reaches (not in a
 * tool root such as `_Reconciliation/`, which a note names). Real git
 * repositories.
 *
 * @module
 */
import { join } from "node:path";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assertEquals, assertIncludes } from "./assert.ts";
import { runCli } from "./cli.ts";
import { git, sampleDraft, tempDir } from "./fixtures.ts";

const DEL = join("PKG-01_A", "1_Working", "DEL-01-02_A");
const ARCHIVE = join(DEL, "archive", RECORD_FILE);
const SNAPSHOT = join("_Reconciliation", "snap", "DEL-01-02_A", RECORD_FILE);

/**
 * An execution root in git whose deliverable holds its record file, an
 * archived copy in a sub-folder, and a snapshot copy in a tool root, all
 * committed; then one more run appended to the deliverable's own file.
 */
async function project(): Promise<string> {
  const repo = await tempDir({ prefix: "runrec-verify-scope-" });
  await Deno.mkdir(join(repo, DEL, "archive"), { recursive: true });
  await Deno.mkdir(join(repo, SNAPSHOT, ".."), { recursive: true });
  await Deno.writeTextFile(join(repo, "INIT.md"), "# Init\n");
  await git(repo, "init", "-q");
  const own = join(repo, DEL, RECORD_FILE);
  const draft = sampleDraft({ RunTimestamp: "2026-10-01T00:00:00.000Z" });
  await appendRecord(own, draft, { fsync: false });
  await Deno.copyFile(own, join(repo, ARCHIVE));
  await Deno.copyFile(own, join(repo, SNAPSHOT));
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "c1");
  await appendRecord(own, sampleDraft({ RunTimestamp: "2026-10-01T00:01:00.000Z" }), {
    fsync: false,
  });
  return repo;
}

async function verify(...args: string[]) {
  const { code, stdout, stderr } = await runCli(["verify", ...args]);
  return { code, out: stdout + stderr, stdout, stderr };
}

Deno.test("verify <del-dir> --since: a committed record file in a sub-folder is not the deliverable's, and not deleted", async () => {
  const repo = await project();
  const del = join(repo, DEL);
  const since = await verify(del, "--since", "HEAD");
  assertEquals(since.code, 0, since.out);
  assertEquals(since.out.includes("archive"), false, since.out);
  assertEquals((await verify(del)).code, 0);
  // The sub-folder as the target holds it, and it holds.
  const archive = await verify(join(del, "archive"), "--since", "HEAD");
  assertEquals(archive.code, 0, archive.out);
  assertIncludes(archive.out, "K-APPEND-1 holds");

  // Deleted: the deliverable still holds only its own file; the sub-folder and the root lose one.
  await Deno.remove(join(repo, ARCHIVE));
  assertEquals((await verify(del, "--since", "HEAD")).code, 0);
  const gone = `${
    join(del, "archive", RECORD_FILE)
  }: K-APPEND-1 broken: deleted in the working tree`;
  const sub = await verify(join(del, "archive"), "--since", "HEAD");
  assertEquals(sub.code, 1, sub.out);
  assertIncludes(sub.out, gone);
  const root = await verify(repo, "--since", "HEAD");
  assertEquals(root.code, 1, root.out);
  assertIncludes(
    root.out,
    `${join(repo, ARCHIVE)}: K-APPEND-1 broken: deleted in the working tree`,
  );
});

Deno.test("verify <root> --since: holds the record files a walk finds, not a tool root's snapshot copies", async () => {
  const repo = await project();
  const since = await verify(repo, "--since", "HEAD");
  assertEquals(since.code, 0, since.out);
  // Both sides name the same files: the deliverable's and its archive, never the snapshot.
  const plain = await verify(repo);
  for (const { stdout, stderr } of [since, plain]) {
    assertIncludes(stdout, `${join(repo, DEL, RECORD_FILE)}: ok`);
    assertIncludes(stdout, `${join(repo, ARCHIVE)}: ok`);
    assertEquals(stdout.includes("_Reconciliation"), false, stdout);
    // Not read, and said so.
    assertIncludes(stderr, `skipped ${join(repo, "_Reconciliation")}: a tool root`);
  }
  // The snapshot deleted: not a file the root holds, so nothing is broken.
  await Deno.remove(join(repo, SNAPSHOT));
  const deleted = await verify(repo, "--since", "HEAD");
  assertEquals(deleted.code, 0, deleted.out);
  // The tool root given as the target is read, and its deleted copy is named.
  const tool = await verify(join(repo, "_Reconciliation"), "--since", "HEAD");
  assertEquals(tool.code, 1, tool.out);
  assertIncludes(tool.out, "snap/DEL-01-02_A/RunRecords.csv: K-APPEND-1 broken: deleted");
});
