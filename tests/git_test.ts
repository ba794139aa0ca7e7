/**
 * The git plumbing `verify --since` uses, against real temporary repositories:
 * renames and deletions between trees and against the working tree, blob ids
 * before and after git's line-end conversion, objects read in one batch.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  blobId,
  cleanBlobId,
  committedAsTheyAre,
  gitRepository,
  readObjects,
  treeChanges,
} from "../src/git.ts";
import { sampleDraft, tempDir } from "./fixtures.ts";
import { runCli } from "./cli.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";

const decoder = new TextDecoder();

async function git(cwd: string, ...args: string[]): Promise<string> {
  const output = await new Deno.Command("git", {
    args: ["-c", "user.name=t", "-c", "user.email=t@example.org", ...args],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, `git ${args.join(" ")}: ${decoder.decode(output.stderr)}`);
  return decoder.decode(output.stdout).trim();
}

async function withRepo(fn: (root: string) => Promise<void>) {
  const root = await Deno.realPath(await tempDir({ prefix: "runrec_git_" }));
  try {
    await git(root, "init", "-q", "-b", "main");
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const LINES = Array.from({ length: 20 }, (_, i) => `line ${i} — €\n`).join("");

Deno.test("git: treeChanges names renames (non-ASCII paths), deletions, and working-tree moves", async () => {
  await withRepo(async (root) => {
    await Deno.mkdir(join(root, "DEL-01-02_Ä"));
    await Deno.writeTextFile(join(root, "DEL-01-02_Ä", "RunRecords.csv"), LINES);
    await Deno.writeTextFile(join(root, "gone.txt"), "gone\n");
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "one");
    await git(root, "mv", "DEL-01-02_Ä", "DEL-01-02_B — x");
    await git(root, "rm", "-q", "gone.txt");
    await git(root, "commit", "-qm", "two");
    const changes = await treeChanges("HEAD~1", "HEAD", root);
    assert.deepEqual(
      changes.map((c) => [c.status, c.from, c.path]),
      [
        ["R", "DEL-01-02_Ä/RunRecords.csv", "DEL-01-02_B — x/RunRecords.csv"],
        ["D", undefined, "gone.txt"],
      ],
    );
    // Objects by `rev:path` in one cat-file: present, absent, and bytes as committed.
    const [now, before] = await readObjects([
      "HEAD:DEL-01-02_B — x/RunRecords.csv",
      "HEAD~1:DEL-01-02_B — x/RunRecords.csv",
    ], root);
    assert.equal(decoder.decode(now), LINES);
    assert.equal(before, undefined);
    // A plain move in the working tree: git sees the old path deleted (the new one is untracked).
    await Deno.rename(join(root, "DEL-01-02_B — x"), join(root, "DEL-01-02_C"));
    assert.deepEqual(await treeChanges("HEAD", undefined, root), [
      { status: "D", path: "DEL-01-02_B — x/RunRecords.csv" },
    ]);
  });
});

Deno.test("git: blobId hashes exact bytes given on stdin; cleanBlobId applies core.autocrlf", async () => {
  await withRepo(async (root) => {
    const lf = new TextEncoder().encode(LINES);
    const crlf = new TextEncoder().encode(LINES.replaceAll("\n", "\r\n"));
    await Deno.writeFile(join(root, "a.csv"), crlf);
    const plain = await git(root, "hash-object", "--no-filters", "a.csv");
    assert.equal(await blobId(crlf, root), plain);
    assert.equal(await cleanBlobId(join(root, "a.csv"), "a.csv", root), plain);
    await git(root, "config", "core.autocrlf", "true");
    assert.equal(await cleanBlobId(join(root, "a.csv"), "a.csv", root), await blobId(lf, root));
    // Large input: written while git's output is read, no deadlock on a full pipe.
    const big = new Uint8Array(4 << 20).fill(0x41);
    assert.match(await blobId(big, root), /^[0-9a-f]{40}$/);
  });
});

Deno.test("git: gitRepository and verify --since in a repository whose path holds a newline", async () => {
  const parent = await Deno.realPath(await tempDir({ prefix: "runrec_git_nl_" }));
  const root = join(parent, "new\nline", "repo");
  const del = join(root, "DEL-01-02_X");
  await Deno.mkdir(del, { recursive: true });
  try {
    await git(root, "init", "-q", "-b", "main");
    await appendRecord(join(del, RECORD_FILE), sampleDraft({ AgentName: "A" }), { fsync: false });
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "base");
    // The top is the whole path, newline included, not its first line.
    assert.equal((await gitRepository(del))?.top, root);
    await appendRecord(join(del, RECORD_FILE), sampleDraft({ AgentName: "B" }), { fsync: false });
    const { code, stdout } = await runCli(["verify", root, "--since", "HEAD"]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /K-APPEND-1 holds since HEAD/);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("git: committedAsTheyAre tells of a file in a folder whose name starts with `..` (`..data`), as of any other in the work tree (plain-37 F1)", async () => {
  await withRepo(async (root) => {
    await Deno.mkdir(join(root, "..data"));
    await Deno.writeTextFile(join(root, "..data", "a.md"), "a\n");
    await Deno.writeTextFile(join(root, "b.md"), "b\n");
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "one");
    const paths = [join(root, "..data", "a.md"), join(root, "b.md")];
    const { unchanged } = await committedAsTheyAre(paths, Date.now() + 60_000);
    assert.deepEqual([...unchanged].sort(), [...paths].sort());
  });
});
