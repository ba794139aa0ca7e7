/**
 * The `runrec flush <folder>` a message suggests runs as printed, pasted into a shell: a folder
 * given relative to the current one and starting with `-` is printed `./-…`, which runrec takes
 * as a path, not as options (tidy-57). Real processes, a real fault (strace).
 *
 * ```sh
 * deno test -A tests/flush_remedy_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { makeProject } from "./fixtures.ts";
import { agentsOf, pasted, runrecUnder } from "./support/runs.ts";
import { RECORD_FILE } from "../src/deliverable.ts";

/** The `runrec flush …` that `stderr` suggests, run in `cwd` as pasted. */
function pastedFlush(cwd: string, stderr: string) {
  const command = /runrec flush ('[^']*'|\S+)/.exec(stderr)?.[0];
  assert(command !== undefined, stderr);
  return pasted(cwd, command);
}

Deno.test("the flush an emit suggests for the record it spooled runs as pasted for a folder given after -- as -PKG…: it printed -PKG…, which flush read as options, exit 2 (tidy-57)", async () => {
  const { root } = await makeProject();
  try {
    await Deno.rename(join(root, "PKG-01_Pkg"), join(root, "-PKG-01_Pkg"));
    const folder = join("-PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
    const del = join(root, folder);
    const emit = ["emit", "--agent", "OWN", "--status", "SUCCESS", "--", folder];
    // The record file's write fails: the record waits in the folder's spool.
    const full = ["-f", "-qq", "-o", "/dev/null", "-P", join(del, RECORD_FILE)];
    const failed = await runrecUnder(
      ["strace", ...full, "-e", "trace=write", "-e", "inject=write:error=ENOSPC"],
      emit,
      {},
      root,
    );
    assertEquals(failed.code, 0, failed.stderr);
    const spooled = await pastedFlush(root, failed.stderr);
    assertEquals(spooled.code, 0, spooled.stderr);
    assertEquals(await agentsOf(del), ["OWN"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
