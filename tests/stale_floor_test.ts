/**
 * The floor under the stale benchmark (`scripts/bench/stale_floor.ts`) does the file system work
 * stale does on the bench's root: if the generated root changes, the floor must still hash what
 * stale hashes, or its measure is of something else. So must the floor of a kept verdict
 * (`scripts/bench/stale_hit_floor.ts`) look at what such a verdict would depend on.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { makeStaleRoot } from "../scripts/bench/stale.ts";
import { staleFloor } from "../scripts/bench/stale_floor.ts";
import { cachedPaths, staleHitFloor } from "../scripts/bench/stale_hit_floor.ts";
import { agedRoot } from "./support/aged_root.ts";
import { assert, assertEquals } from "./assert.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { tempDir } from "./fixtures.ts";
import { seededRandom } from "./seed.ts";

Deno.test("the stale floor hashes every file stale hashes on the bench's root, each once, and no other", async () => {
  const root = join(await tempDir(), "root");
  // A package's references are hashed once, not once a deliverable.
  const generated = await makeStaleRoot(root, 3, seededRandom("stale floor"));
  const floor = await staleFloor(root);
  const { stdout } = await runCli(["stale", root, "--json"]);
  const { filesHashed } = JSON.parse(stdout);
  assertEquals(floor, { folders: 3, hashed: generated.files.length });
  assertEquals(filesHashed, generated.files.length);
});

Deno.test("the kept verdict's floor looks at every file stale's hash cache holds on the bench's root, each deliverable folder, its record and status files, and the folders on the way", async () => {
  // Files old by the file system's clock, so that stale keeps their hashes (src/hash_cache.ts).
  const aged = await agedRoot("stale hit floor", 3);
  try {
    const { root } = aged;
    const filled = await runCliProcess(["stale", root, "--json"]);
    assertEquals(filled.code, 0, filled.stderr);
    const verdicts = join(await tempDir(), "verdicts.json");
    await Deno.writeTextFile(verdicts, filled.stdout);
    const kept = cachedPaths(root);
    assertEquals(kept.toSorted(), aged.files.toSorted());
    const looked = new Set(staleHitFloor(root, verdicts));
    const own = aged.deliverables.flatMap((dir) => [
      dir,
      join(dir, "RunRecords.csv"),
      join(dir, "_STATUS.md"),
    ]);
    const onTheWay = [...kept, ...own].flatMap((path) => {
      const folders = [];
      for (let up = dirname(path); up.startsWith(root); up = dirname(up)) folders.push(up);
      return folders;
    });
    for (const path of [...kept, ...own, ...onTheWay]) assert(looked.has(path), path);
  } finally {
    await aged.unmount();
  }
});
