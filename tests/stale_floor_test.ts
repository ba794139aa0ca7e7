/**
 * The floor under the stale benchmark (`scripts/bench/stale_floor.ts`) does the file system work
 * stale does on the bench's root: if the generated root changes, the floor must still hash what
 * stale hashes, or its measure is of something else.
 *
 * @module
 */
import { join } from "node:path";
import { makeStaleRoot } from "../scripts/bench/stale.ts";
import { staleFloor } from "../scripts/bench/stale_floor.ts";
import { assertEquals } from "./assert.ts";
import { runCli } from "./cli.ts";
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
