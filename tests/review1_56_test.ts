/**
 * review1-56: the hash cache of `stale` (src/hash_cache.ts) attacked: a cache file that is no
 * regular file, and `stale`'s verdicts with the cache on and off agreeing over seeded edits.
 *
 * @module
 */
import { join } from "node:path";
import { makeStaleRoot, type StaleRoot } from "../scripts/bench/stale.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { HASH_CACHE_FILE } from "../src/hash_cache.ts";
import { agedRoot } from "./support/aged_root.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { sh } from "./support/sh.ts";
import { unmount } from "./support/read_only.ts";
import { assert, assertEquals } from "./assert.ts";
import { git, tempDir } from "./fixtures.ts";
import { seededRandom } from "./seed.ts";

/** A generated root of `count` deliverables in a git repository of its own. */
async function repositoryRoot(name: string, count: number): Promise<StaleRoot> {
  const root = join(await tempDir(), "root");
  const generated = await makeStaleRoot(root, count, seededRandom(name));
  await git(root, "init", "-q");
  return generated;
}

/** `stale ROOT --json` as a process, killed when it runs past `deadlineMs`. */
async function stale(root: string, deadlineMs = 30_000) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...FULL_FLAGS, CLI_ENTRY, "stale", root, "--json"],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    child.kill("SIGKILL");
  }, deadlineMs);
  const out = await child.output();
  clearTimeout(timer);
  const stderr = new TextDecoder().decode(out.stderr);
  assert(!late, `stale ${root} still running after ${deadlineMs} ms`);
  assert(out.code === 0 || out.code === 1, stderr);
  const report = JSON.parse(new TextDecoder().decode(out.stdout));
  return { code: out.code, report };
}

Deno.test("review1-56: a cache file that is a FIFO, or a symbolic link to one, is no cache: stale neither waits on it nor fails", async () => {
  const aged = await agedRoot("review1 fifo", 2);
  const { root, files } = aged;
  const cache = join(root, ".git", HASH_CACHE_FILE);
  const fifo = join(root, "..", "fifo");
  try {
    await sh(root, 'mkfifo "$1" "$2"', [cache, fifo]);
    const one = await stale(root, 15_000);
    assertEquals([one.code, one.report.filesHashed, one.report.filesCached], [0, files.length, 0]);
    assert(Deno.lstatSync(cache).isFile, "replaced by a cache");
    assertEquals((await stale(root)).report.filesCached, files.length);
    Deno.removeSync(cache);
    Deno.symlinkSync(fifo, cache);
    const two = await stale(root, 15_000);
    assertEquals([two.code, two.report.filesHashed, two.report.filesCached], [0, files.length, 0]);
  } finally {
    await aged.unmount();
  }
});

/** What a check says, without the counts that differ with the cache on and off. */
function verdicts(report: Record<string, unknown>): unknown {
  const { filesHashed: _h, filesCached: _c, ...rest } = report;
  return rest;
}

Deno.test("review1-56: over seeded edits (same size with mtime put back, replaced by mv, reverted, swapped, hard- or soft-linked, removed), stale with its cache filled says what it says without one", async () => {
  const random = seededRandom("review1 cache on and off");
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  // Old files, so that the runs keep what they read; an edited file is read again by each run.
  const aged = await agedRoot("review1 on and off", 3);
  const { root, files } = aged;
  try {
    const cache = join(root, ".git", HASH_CACHE_FILE);
    const original = new Map(files.map((f) => [f, Deno.readFileSync(f)]));
    const mtimeOf = (f: string) => Deno.statSync(f).mtime!.toISOString();
    const present = () =>
      files.filter((f) => {
        try {
          return Deno.lstatSync(f).isFile;
        } catch {
          return false;
        }
      });
    const another = (f: string) => pick(present().filter((other) => other !== f));
    const edits: Record<string, (f: string) => Promise<unknown>> = {
      sameSize: async (f) => {
        const bytes = Deno.readFileSync(f);
        const at = Math.floor(random() * bytes.length);
        bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
        const mtime = mtimeOf(f);
        Deno.writeFileSync(f, bytes);
        await sh(root, 'touch -d "$1" "$2"', [mtime, f]);
      },
      append: async (f) => await Deno.writeTextFile(f, "more\n", { append: true }),
      replacedByMv: async (f) => {
        await sh(
          root,
          'cp -p "$1" "$1.new" && printf X | dd of="$1.new" bs=1 seek=3 conv=notrunc status=none && touch -r "$1" "$1.new" && mv "$1.new" "$1"',
          [f],
        );
      },
      reverted: async (f) => {
        Deno.writeFileSync(f, original.get(f)!);
        await sh(root, 'touch -d "2026-03-01T08:00:00Z" "$1"', [f]);
      },
      swapped: async (f) => {
        const other = another(f);
        await sh(root, 'mv "$1" "$1.t" && mv "$2" "$1" && mv "$1.t" "$2"', [f, other]);
      },
      hardLinked: async (f) => await sh(root, 'ln -f "$1" "$2"', [another(f), f]),
      softLinked: async (f) => await sh(root, 'ln -sf "$1" "$2"', [another(f), f]),
      removed: async (f) => await Deno.remove(f),
    };
    const first = await stale(root);
    assertEquals([first.code, first.report.filesCached], [0, 0]);
    for (let round = 1; round <= 4; round++) {
      const done: string[] = [];
      for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
        const file = pick(present());
        const name = pick(Object.keys(edits));
        await edits[name](file);
        done.push(`${name} ${file.slice(root.length + 1)}`);
      }
      const on = await stale(root);
      Deno.renameSync(cache, `${cache}.kept`);
      const off = await stale(root);
      assertEquals(off.report.filesCached, 0);
      Deno.renameSync(`${cache}.kept`, cache);
      const context = `round ${round}: ${done.join(", ")}`;
      assertEquals([on.code, verdicts(on.report)], [off.code, verdicts(off.report)], context);
      assert(on.report.filesCached > 0, context);
    }
  } finally {
    await aged.unmount();
  }
});

Deno.test("review1-56: two read-only images (squashfs) mounted in turn on a references folder, their standard.md of one size and mtime, other bytes: the second is DIRTY, not CLEAN from the first's hash", async () => {
  const { root } = await repositoryRoot("review1 squashfs", 2);
  const refs = join(root, "PKG-01_Package_01", "0_References");
  const dir = await tempDir();
  // Two releases of a reference library, built as reproducible images are: each file's mtime kept
  // (ctime is mtime on squashfs), the same inode numbers; standard.md differs in one byte.
  await sh(
    dir,
    [
      'cp -a "$1" a && touch -d "2026-01-01T00:00:00Z" a/* && cp -a a b',
      "printf X | dd of=b/standard.md bs=1 seek=100 conv=notrunc status=none",
      "touch -r a/standard.md b/standard.md && ! cmp -s a/standard.md b/standard.md",
      "mksquashfs a a.img -quiet -no-progress >/dev/null && mksquashfs b b.img -quiet -no-progress >/dev/null",
    ].join(" && "),
    [refs],
  );
  await sh(dir, 'mount -o loop,ro a.img "$1"', [refs]);
  try {
    assertEquals((await stale(root)).code, 0);
    await unmount(refs);
    await sh(dir, 'mount -o loop,ro b.img "$1"', [refs]);
    const after = await stale(root);
    assertEquals([after.code, after.report.summary.CLEAN], [1, 0]);
  } finally {
    await unmount(refs);
  }
});

Deno.test("review1-56: a cache file of 1 GiB (sparse) is ignored, not read into memory, and replaced", async () => {
  const aged = await agedRoot("review1 huge", 1);
  const { root, files } = aged;
  try {
    const cache = join(root, ".git", HASH_CACHE_FILE);
    await sh(root, 'truncate -s 1G "$1"', [cache]);
    // The child's peak resident memory, as its parent sees it once it has ended.
    const peak = await sh(
      root,
      [
        'python3 -c "import resource, subprocess, sys',
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)",
        'print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)" "$@"',
      ].join("\n"),
      [Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, "stale", root],
    );
    assert(Number(peak) < 400 * 1024, `peak ${peak} KiB`);
    const after = await stale(root);
    // The first run replaced it with what it read; this one reads nothing.
    assertEquals([after.code, after.report.filesCached], [0, files.length]);
    assert(Deno.statSync(cache).size < 1 << 20);
  } finally {
    await aged.unmount();
  }
});
