/**
 * Black-box attacks on `stale`'s caches (`runrec-hashes`, `runrec-verdicts` in the common git
 * folder): a sequence of real actions, then `stale` run with the caches as they are and with them
 * moved aside. The two must say the same (exit code, report less its counters, stderr): a kept
 * hash or verdict given after what it rested on changed would be a wrong CLEAN. The cases that
 * held are listed in docs/FINDINGS.md ("### attackverdict58-58").
 *
 * @module
 */
import { dirname, join } from "node:path";
import { HASH_CACHE_FILE } from "../src/hash_cache.ts";
import { VERDICT_CACHE_FILE } from "../src/verdict_cache.ts";
import { agedRoot } from "./support/aged_root.ts";
import { NOBODY, runAsNobody } from "./support/nobody.ts";
import { sh } from "./support/sh.ts";
import { assertEquals } from "./assert.ts";
import { type CliResult, runCliProcess } from "./cli.ts";

/** Counters of what a run read, not of what it found: a cache changes them by design. */
const COUNTERS = ["filesHashed", "filesCached"];

/** A `--json` run's exit code, report less its counters, and stderr. */
function answer(out: CliResult): [number, unknown, string] {
  const report = JSON.parse(out.stdout) as Record<string, unknown>;
  for (const counter of COUNTERS) delete report[counter];
  return [out.code, report, out.stderr];
}

/** Removes `path` if it is there. */
function removeIfThere(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** `run()` with both caches of `root` moved aside (any it wrote removed), then put back. */
async function withoutCaches<T>(root: string, run: () => Promise<T>): Promise<T> {
  const caches = [HASH_CACHE_FILE, VERDICT_CACHE_FILE].map((name) => join(root, ".git", name));
  for (const file of caches) Deno.renameSync(file, `${file}.aside`);
  try {
    return await run();
  } finally {
    for (const file of caches) {
      removeIfThere(file);
      Deno.renameSync(`${file}.aside`, file);
    }
  }
}

/**
 * `args` run as nobody with `root`'s caches as they are, then without them: alike, and the input
 * nobody cannot read makes the run judged afresh DIRTY (exit 1).
 */
async function nobodySeesAsAfresh(root: string, args: string[]): Promise<void> {
  const cached = await runAsNobody(args);
  const afresh = await withoutCaches(root, () => runAsNobody(args));
  assertEquals(afresh.code, 1, afresh.stderr); // unreadable (permission denied): DIRTY
  assertEquals(answer(cached), answer(afresh));
}

Deno.test("attackverdict58: stale as another user, who cannot read an input, says what it says without the caches the owner filled", async () => {
  // A reference file only its owner reads, two minutes old like the rest: no chmod since.
  const aged = await agedRoot("attackverdict58 another user", 2, async ({ root }) => {
    await Deno.chmod(join(root, "PKG-01_Package_01", "0_References", "standard.md"), 0o600);
  });
  const { root } = aged;
  try {
    await Deno.chmod(dirname(dirname(root)), 0o755); // the mount's temporary folder: nobody passes
    // The same key as nobody's runs (HOME, working folder): the owner's verdicts apply to them.
    const owner = await runCliProcess(["stale", root, "--json"], undefined, {
      HOME: "/nonexistent",
    }, "/");
    assertEquals(owner.code, 0, owner.stderr);
    const args = ["stale", root, "--json"];
    await nobodySeesAsAfresh(root, args);
  } finally {
    await aged.unmount();
  }
});

Deno.test("attackverdict58: stale by the caches' own user, out of the group that let it read an input, says what it says without them", async () => {
  // The repository nobody's (its caches too); a reference file only group 1234 reads.
  const aged = await agedRoot("attackverdict58 a group left", 2, async ({ root }) => {
    const file = join(root, "PKG-01_Package_01", "0_References", "standard.md");
    await sh(root, 'chown -R "$1:$1" . && chown 0:1234 "$2" && chmod 640 "$2"', [
      `${NOBODY}`,
      file,
    ]);
  });
  const { root } = aged;
  try {
    await Deno.chmod(dirname(dirname(root)), 0o755);
    const args = ["stale", root, "--json"];
    const filled = await runAsNobody(args, "/", [1234]);
    assertEquals(filled.code, 0, filled.stderr);
    await nobodySeesAsAfresh(root, args);
  } finally {
    await aged.unmount();
  }
});
