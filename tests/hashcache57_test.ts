/**
 * clock57: stale's hash cache (src/hash_cache.ts) judges "old enough" by the file system's clock,
 * not the process's, keeps entries only for files on the cache's own file system, and a run
 * touches only the lines of the folders it hashes in.
 *
 * @module
 */
import { join } from "node:path";
import { makeStaleRoot } from "../scripts/bench/stale.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { HASH_CACHE_FILE } from "../src/hash_cache.ts";
import { agedRoot, ageInPlace } from "./support/aged_root.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { afterCtimeSecond } from "./support/ctime.ts";
import { spawnHeld } from "./support/held.ts";
import { sh } from "./support/sh.ts";
import { assert, assertEquals } from "./assert.ts";
import { clockMovedEnv, runCliProcess } from "./cli.ts";
import { git, tempDir } from "./fixtures.ts";
import { seededRandom } from "./seed.ts";

/** `stale TARGET --json` as a process: its exit code and report. */
async function stale(target: string, env?: Record<string, string>) {
  const out = await runCliProcess(["stale", target, "--json"], FULL_FLAGS, env);
  assert(out.code === 0 || out.code === 1, out.stderr);
  return { code: out.code, report: JSON.parse(out.stdout) };
}

/** Replaces `path`'s bytes with others of the same size, and puts its mtime back (`touch -d`). */
async function sameSizeEdit(path: string): Promise<void> {
  const bytes = Deno.readFileSync(path);
  const mtime = Deno.statSync(path).mtime!;
  bytes[100] = bytes[100] === 0x41 ? 0x42 : 0x41;
  Deno.writeFileSync(path, bytes);
  await sh(".", 'touch -d "$1" "$2"', [mtime.toISOString(), path]);
}

Deno.test("hashcache57: a run whose clock is ahead of the file system's keeps no file written a moment ago, so a same-size edit in the second of its last change, mtime put back, is DIRTY (review1-56's F4)", async () => {
  const root = join(await tempDir(), "root");
  const { files } = await makeStaleRoot(root, 3, seededRandom("hashcache57 ahead"));
  await git(root, "init", "-q");
  // libfaketime: Date.now() two minutes ahead; the kernel stamps file times from its own clock.
  const ahead = clockMovedEnv("+2m");
  assertEquals((await stale(root, ahead)).report.filesHashed, files.length);
  const second = await stale(root, ahead);
  assertEquals([second.report.filesHashed, second.report.filesCached], [files.length, 0]);

  // From the start of a second: rewritten, read by stale, then other bytes of one size with the
  // mtime put back, mostly within that second (Deno's ctime has whole seconds).
  const vendor = join(root, "PKG-01_Package_01", "0_References", "vendor.txt");
  await afterCtimeSecond(Date.now());
  Deno.writeFileSync(vendor, Deno.readFileSync(vendor));
  assertEquals((await stale(root, ahead)).code, 0);
  await sameSizeEdit(vendor);
  const after = await stale(root, ahead);
  assertEquals([after.code, after.report.summary.CLEAN], [1, 0]);
});

Deno.test("hashcache57: files on another file system than the cache's (a mounted references folder) are hashed each run, not kept: their times may come from another clock", async () => {
  const aged = await agedRoot("hashcache57 device", 2);
  const refs = join(aged.root, "PKG-01_Package_01", "0_References");
  let unmountRefs: (() => Promise<void>) | undefined;
  try {
    unmountRefs = await ageInPlace(refs);
    const inRefs = aged.files.filter((file) => file.startsWith(`${refs}/`));
    assertEquals(inRefs.length, 2);
    assert(Deno.statSync(inRefs[0]).dev !== Deno.statSync(aged.root).dev);
    await stale(aged.root);
    const second = await stale(aged.root);
    const counts = [second.code, second.report.filesHashed, second.report.filesCached];
    assertEquals(counts, [0, inRefs.length, aged.files.length - inRefs.length]);
  } finally {
    // The root's image is unmounted even when the references' failed to mount or unmount.
    try {
      await unmountRefs?.();
    } finally {
      await aged.unmount();
    }
  }
});

/** The cache file's folder lines, by folder. */
function cacheLines(root: string): Map<string, string> {
  const [, ...lines] = Deno.readTextFileSync(join(root, ".git", HASH_CACHE_FILE)).trimEnd()
    .split("\n");
  return new Map(lines.map((line) => [JSON.parse(line.split("\t")[0]), line]));
}

Deno.test("hashcache57: a run over one deliverable that learns something stats no file of the others' entries (strace) and leaves their lines as they were", async () => {
  const aged = await agedRoot("hashcache57 growth", 3);
  const { root, deliverables, files } = aged;
  try {
    assertEquals((await stale(root)).report.filesHashed, files.length);
    const before = cacheLines(root);
    const [own, ...others] = deliverables;
    const othersFiles = files.filter((file) => others.some((d) => file.startsWith(`${d}/`)));
    assert(othersFiles.length >= 2 * 8);
    await sameSizeEdit(join(own, "Datasheet.md")); // its entry is dropped: the run writes the cache

    const trace = join(await tempDir(), "trace");
    const traced = await new Deno.Command("strace", {
      args: [
        ...["-f", "-qq", "-o", trace, "-e", "trace=%stat,%file"],
        ...[Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, "stale", own, "--json"],
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assertEquals(traced.code, 1, new TextDecoder().decode(traced.stderr));
    const { filesHashed } = JSON.parse(new TextDecoder().decode(traced.stdout));
    assertEquals(filesHashed, 1);
    const touched = Deno.readTextFileSync(trace).split("\n")
      .flatMap((line) => [...line.matchAll(/"([^"]+)"/g)].map((m) => m[1]));
    assertEquals(othersFiles.filter((file) => touched.includes(file)), []);

    const after = cacheLines(root);
    for (const folder of others) assertEquals(after.get(`${folder}/`), before.get(`${folder}/`));
    assert(after.get(`${own}/`) !== before.get(`${own}/`));
    const whole = await stale(root);
    assertEquals([whole.report.filesHashed, whole.report.filesCached], [1, files.length - 1]);
  } finally {
    await aged.unmount();
  }
});

Deno.test("hashcache57: a run held while another writes the cache keeps the other's new folder lines when it writes its own", async () => {
  const aged = await agedRoot("hashcache57 two writers", 3);
  const { root, deliverables: [first, , third] } = aged;
  try {
    await stale(first); // the cache holds the first deliverable's folder, not the third's
    const datasheet = join(first, "Datasheet.md");
    await sameSizeEdit(datasheet); // so that the held run writes the cache too
    // Held as it opens the edited file, the cache read: the other run writes the cache meanwhile.
    const held = await spawnHeld(
      [Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, "stale", first, "--json"],
      { calls: "openat", path: datasheet, env: { NO_COLOR: "1" }, stdout: "piped" },
    );
    await held.held(1, "stale opening the edited Datasheet.md");
    assertEquals((await stale(third)).code, 0);
    assert(cacheLines(root).has(`${third}/`));
    await held.release();
    const out = await held.child.output();
    assertEquals(out.code, 1, new TextDecoder().decode(out.stderr));
    assert(cacheLines(root).has(`${third}/`), "the other run's folder line was dropped");
    assertEquals((await stale(third)).report.filesHashed, 0);
  } finally {
    await aged.unmount();
  }
});
