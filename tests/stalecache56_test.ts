/**
 * The hash cache of `stale` (src/hash_cache.ts): unchanged files are not read again, a change the
 * `stat` shows is hashed again, a racily clean file is never trusted, and a cache that two runs
 * wrote at once, that a killed run left, or that holds garbage still gives right verdicts.
 *
 * @module
 */
import { join } from "node:path";
import { makeStaleRoot, type StaleRoot } from "../scripts/bench/stale.ts";
import { cachedPaths } from "../scripts/bench/stale_hit_floor.ts";
import { FULL_FLAGS, SANDBOXED_FLAGS } from "../src/cli/permissions.ts";
import { HASH_CACHE_FILE } from "../src/hash_cache.ts";
import { checkStaleness } from "../src/stale.ts";
import { agedRoot } from "./support/aged_root.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { spawnHeld } from "./support/held.ts";
import { sh } from "./support/sh.ts";
import { unmount, whileReadOnly } from "./support/read_only.ts";
import { assert, assertEquals } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { git, tempDir } from "./fixtures.ts";
import { seededRandom } from "./seed.ts";

/** A generated root of `count` deliverables in a git repository of its own, in `parent`. */
async function repositoryRoot(name: string, count: number, parent: string): Promise<StaleRoot> {
  const root = join(parent, "root");
  const generated = await makeStaleRoot(root, count, seededRandom(name));
  await git(root, "init", "-q");
  return generated;
}

/** `stale ROOT --json` as a process: its exit code and report. */
async function stale(
  root: string,
  flags: readonly string[] = FULL_FLAGS,
  cwd?: string,
): Promise<
  { code: number; report: Record<string, unknown> & { summary: Record<string, number> } }
> {
  const out = await runCliProcess(["stale", root, "--json"], flags, undefined, cwd);
  assert(out.code === 0 || out.code === 1, out.stderr);
  return { code: out.code, report: JSON.parse(out.stdout) };
}

/** Replaces `path`'s bytes with others of the same size, and puts its mtime back (`touch -d`). */
async function sameSizeEdit(path: string): Promise<void> {
  const bytes = Deno.readFileSync(path);
  const mtime = Deno.statSync(path).mtime!;
  bytes[bytes.length - 2] = bytes[bytes.length - 2] === 0x41 ? 0x42 : 0x41;
  Deno.writeFileSync(path, bytes);
  await sh(".", 'touch -d "$1" "$2"', [mtime.toISOString(), path]);
  assertEquals(Deno.statSync(path).mtime!.getTime(), mtime.getTime());
}

Deno.test("stalecache: a second stale reads no unchanged input (strace), and one changed with its size and mtime put back (touch -d) is DIRTY: its ctime moved", async () => {
  const aged = await agedRoot("stalecache warm", 20);
  const { root, deliverables, files } = aged;
  try {
    const first = await stale(root);
    assertEquals([first.code, first.report.summary.DIRTY], [0, 0]);
    assertEquals([first.report.filesHashed, first.report.filesCached], [files.length, 0]);
    assertEquals(cachedPaths(root).length, files.length);

    const trace = join(await tempDir(), "trace");
    const traced = await new Deno.Command("strace", {
      args: [
        ...["-f", "-qq", "-o", trace, "-e", "trace=openat"],
        ...[Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, "stale", root, "--json"],
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assertEquals(traced.code, 0, new TextDecoder().decode(traced.stderr));
    const second = JSON.parse(new TextDecoder().decode(traced.stdout));
    assertEquals([second.filesHashed, second.filesCached], [0, files.length]);
    // Only the files stale reads for their text are opened: the host files and the records.
    const readForText = new Set(["_CONTEXT.md", "_STATUS.md", "_REFERENCES.md", "RunRecords.csv"]);
    const opened = Deno.readTextFileSync(trace).split("\n")
      .flatMap((line) => /openat\(AT_FDCWD, "([^"]+)"/.exec(line)?.[1] ?? []);
    const unread = files.filter((file) => !readForText.has(file.split("/").at(-1)!));
    assert(unread.length > files.length / 2);
    assertEquals(unread.filter((file) => opened.includes(file)), []);

    const edited = join(deliverables[1], "Datasheet.md");
    await sameSizeEdit(edited);
    const third = await stale(root);
    assertEquals(third.code, 1);
    const checks = third.report.checks as { verdict: string; inputs: { path: string }[] }[];
    const dirty = checks.filter((check) => check.verdict === "DIRTY");
    assertEquals(dirty.map((c) => c.inputs.map((i) => i.path)), [["Datasheet.md"], [
      "Datasheet.md",
    ]]);
    assertEquals(third.report.filesHashed, 1);
  } finally {
    await aged.unmount();
  }
});

Deno.test("stalecache: a file rewritten within the second its hash was taken, on a file system of whole-second times, is hashed again (racy git)", async () => {
  const dir = await tempDir();
  const image = join(dir, "ext4.img");
  const mount = join(dir, "mnt");
  await Deno.mkdir(mount);
  // 128-byte inodes: mtime and ctime in whole seconds, the granularity racy git is about.
  await sh(dir, 'truncate -s 16M "$1" && mkfs.ext4 -q -I 128 "$1" 2>/dev/null', [image]);
  await sh(dir, 'mount -o loop "$1" "$2"', [image, mount]);
  try {
    const { deliverables } = await repositoryRoot("stalecache racy", 1, mount);
    const target = deliverables[0];
    const file = join(target, "Datasheet.md");
    const bytes = Deno.readFileSync(file);
    const other = bytes.slice();
    other[other.length - 2] = other[other.length - 2] === 0x41 ? 0x42 : 0x41;
    let sameSecond = false;
    for (let tries = 0; tries < 5 && !sameSecond; tries++) {
      // From the start of a second: written, hashed by stale, and written again within it.
      await new Promise((r) => setTimeout(r, 1000 - Date.now() % 1000));
      const second = Math.floor(Date.now() / 1000);
      Deno.writeFileSync(file, bytes);
      const clean = await checkStaleness([target]);
      assertEquals(clean.checks.map((c) => c.verdict), ["CLEAN", "CLEAN", "CLEAN"]);
      Deno.writeFileSync(file, other);
      sameSecond = Math.floor(Date.now() / 1000) === second;
    }
    assert(sameSecond, "five tries, and never written twice within one second");
    const after = await checkStaleness([target]);
    const dirty = after.checks.filter((c) => c.verdict === "DIRTY");
    assertEquals(dirty.map((c) => c.inputs.map((i) => i.path)), [["Datasheet.md"], [
      "Datasheet.md",
    ]]);
  } finally {
    await unmount(mount);
  }
});

Deno.test("stalecache: two stale runs at once, and one killed (kill -9) before its rename, leave a cache the next run uses; a corrupt or foreign one is ignored and replaced", async () => {
  const aged = await agedRoot("stalecache writers", 6);
  const { root, files } = aged;
  try {
    const cache = join(root, ".git", HASH_CACHE_FILE);
    const [one, two] = await Promise.all([stale(root), stale(root)]);
    assertEquals([one.code, two.code], [0, 0]);
    assertEquals(cachedPaths(root).length, files.length);
    const warm = await stale(root);
    assertEquals([warm.report.filesHashed, warm.report.filesCached], [0, files.length]);

    // Killed (SIGKILL) as it renames its new cache over the old one: stale renames nothing else.
    Deno.writeTextFileSync(cache, "the cache the killed run would replace\n");
    const renames = "rename,renameat,renameat2";
    const killed = await new Deno.Command("strace", {
      args: [
        ...["-f", "-qq", "-o", "/dev/null", "-e", `trace=${renames}`],
        ...["-e", `inject=${renames}:signal=KILL`],
        ...[Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, "stale", root],
      ],
      stdout: "null",
      stderr: "null",
      env: { NO_COLOR: "1" },
    }).output();
    assert(killed.code !== 0);
    const left = [...Deno.readDirSync(join(root, ".git"))].map((e) => e.name)
      .filter((name) => name.startsWith(`${HASH_CACHE_FILE}.`));
    assertEquals(left.length, 1); // its whole temporary file, beside the old cache
    const after = await stale(root);
    assertEquals([after.code, after.report.filesHashed], [0, files.length]);
    assertEquals((await stale(root)).report.filesCached, files.length);

    for (const garbage of ['{"format":"runrec-hashes 3","wri', "not json\n", '{"format":"x"}']) {
      Deno.writeTextFileSync(cache, garbage);
      const read = await stale(root);
      assertEquals([read.code, read.report.filesHashed], [0, files.length]);
      assertEquals(cachedPaths(root).length, files.length);
    }
  } finally {
    await aged.unmount();
  }
});

Deno.test("stalecache: the sandboxed build, which cannot tell who reads nor on what file system (no /proc, no programs), keeps no cache; the full one does; neither needs one where .git is outside its folder or read-only", async () => {
  const aged = await agedRoot("stalecache sandbox", 2);
  const { root, files } = aged;
  try {
    for (const run of [1, 2]) {
      const sandboxed = await stale(".", SANDBOXED_FLAGS, root);
      const counts = [sandboxed.code, sandboxed.report.filesHashed, sandboxed.report.filesCached];
      assertEquals(counts, [0, files.length, 0], `sandboxed run ${run}`);
    }
    const first = await stale(root);
    assertEquals([first.code, first.report.filesHashed], [0, files.length]);
    const second = await stale(root);
    assertEquals([second.report.filesHashed, second.report.filesCached], [0, files.length]);
    // A .git runrec cannot write to (a read-only mount): hashed every time, no error.
    Deno.removeSync(join(root, ".git", HASH_CACHE_FILE));
    await whileReadOnly(join(root, ".git"), async () => {
      for (const run of [1, 2]) {
        const ro = await stale(root);
        const counts = [ro.code, ro.report.filesHashed, ro.report.filesCached];
        assertEquals(counts, [0, files.length, 0], `run ${run}`);
      }
    });
    // The repository is the folder above the execution root, which the sandboxed build may not read.
    Deno.renameSync(join(root, ".git"), join(root, "..", ".git"));
    for (const run of [1, 2]) {
      const outside = await stale(".", SANDBOXED_FLAGS, root);
      const counts = [outside.code, outside.report.filesHashed, outside.report.filesCached];
      assertEquals(counts, [0, files.length, 0], `run ${run}`);
    }
    assertEquals(Deno.readDirSync(root).some((e) => e.name.startsWith("runrec")), false);
  } finally {
    await aged.unmount();
  }
});

Deno.test("stalecache: a folder switched while stale reads a file in it, and back, is no hash kept for the file it names after: the open file's stat is kept, not the path's", async () => {
  // The recorded runs read version a; version b (another file, another inode) is made with the
  // root, so that both are old enough to be kept.
  const refsOf = (root: string) => join(root, "PKG-01_Package_01", "0_References");
  const aged = await agedRoot("stalecache switched", 1, async ({ root }) => {
    await sh(root, 'cp -r "$1" "$1.b" && echo changed >> "$1.b/standard.md"', [refsOf(root)]);
  });
  const { root } = aged;
  const refs = refsOf(root);
  const standard = join(refs, "standard.md");
  const swap = (away: string, into: string) => {
    Deno.renameSync(refs, away);
    Deno.renameSync(into, refs);
  };
  try {
    swap(`${refs}.a`, `${refs}.b`);
    // Held as it opens standard.md (its stat taken): version a is put in place, then b again.
    const held = await spawnHeld(
      [Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, "stale", root, "--json"],
      { calls: "openat", path: standard, env: { NO_COLOR: "1" }, stdout: "piped" },
    );
    await held.held(1, "stale opening standard.md");
    swap(`${refs}.b`, `${refs}.a`);
    await held.release();
    const during = await held.child.output();
    assertEquals(during.code, 0, new TextDecoder().decode(during.stderr)); // it read version a
    swap(`${refs}.a`, `${refs}.b`);
    const after = await stale(root);
    assertEquals(after.code, 1);
    const checks = after.report.checks as { verdict: string; inputs: { path: string }[] }[];
    assertEquals(
      checks.map((c) => [c.verdict, c.inputs.map((i) => i.path)]),
      [0, 1, 2].map(() => ["DIRTY", ["../../0_References/standard.md"]]),
    );
  } finally {
    await aged.unmount();
  }
});
