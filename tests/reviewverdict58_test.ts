/**
 * reviewverdict58: the verdict cache (src/verdict_cache.ts, src/observed.ts) and the hash cache it
 * shares its file rules with (src/git_folder_file.ts), attacked where a kept answer could be given
 * to a run that judging afresh would answer otherwise.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { HASH_CACHE_FILE } from "../src/hash_cache.ts";
import { VERDICT_CACHE_FILE } from "../src/verdict_cache.ts";
import { agedRoot } from "./support/aged_root.ts";
import { runAsNobody } from "./support/nobody.ts";
import { assertEquals } from "./assert.ts";
import { runCliProcess } from "./cli.ts";

Deno.test("reviewverdict58: another user is not given the caches' answers about a file only their writer may read", async () => {
  // An input of DEL-01-01 only root may read, in a root anyone may look in.
  const aged = await agedRoot("reviewverdict58 users", 2, async ({ root, deliverables }) => {
    await Deno.chmod(join(deliverables[0], "_CONTEXT.md"), 0o600);
    await Deno.chmod(dirname(root), 0o755);
  });
  const { root } = aged;
  const json = ["stale", root, "--json"];
  try {
    for (let up = dirname(dirname(root)); up !== "/"; up = dirname(up)) {
      if ((Deno.statSync(up).mode! & 0o005) !== 0o005) Deno.chmodSync(up, 0o755);
    }
    const mine = await runCliProcess(json, FULL_FLAGS); // fills both caches
    assertEquals(mine.code, 0, mine.stderr);
    const cached = await runAsNobody(json);
    Deno.removeSync(join(root, ".git", VERDICT_CACHE_FILE));
    Deno.removeSync(join(root, ".git", HASH_CACHE_FILE));
    const afresh = await runAsNobody(json);
    assertEquals(afresh.code, 1, afresh.stderr); // the unreadable input is not CLEAN
    assertEquals([cached.code, cached.stdout, cached.stderr], [
      afresh.code,
      afresh.stdout,
      afresh.stderr,
    ]);
  } finally {
    await aged.unmount();
  }
});
