/**
 * review3-55: spool-55's replay in batches attacked: a file's records replayed in spool order when
 * its entries name it by two paths; flush's printout failing (standard output on a full disk) does
 * not stop the replay. Real processes, a real fault (/dev/full), a real symlink.
 *
 * ```sh
 * deno test -A tests/review3_55_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { makeProject, sampleDraft } from "./fixtures.ts";
import { agentsOf, RUNREC_SH } from "./support/runs.ts";
import { runCliProcess } from "./cli.ts";
import { spoolMany } from "./support/spooled.ts";
import { newSpoolEntry, spoolRecord } from "../src/spool.ts";
import { RECORD_FILE } from "../src/deliverable.ts";

Deno.test("flush appends a file's spooled records in spool order when the entries name the file by two paths (a symlinked folder): each path's entries were replayed as a file of their own, one after the other (review3-55 1)", async () => {
  const { root, del } = await makeProject();
  try {
    // The same deliverable through a symlink to the project (macOS's /tmp and /private/tmp).
    const link = `${root}-link`;
    await Deno.symlink(root, link);
    const linked = join(link, del.slice(root.length + 1));
    const agents = ["A0", "A1", "A2", "A3"];
    for (const [i, agent] of agents.entries()) {
      const dir = i % 2 === 0 ? del : linked;
      const draft = sampleDraft({
        AgentName: agent,
        RunTimestamp: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
      });
      spoolRecord(dir, newSpoolEntry(join(dir, RECORD_FILE), draft, "ENOSPC"));
      await new Promise((r) => setTimeout(r, 5)); // ids begin with the spool time
    }
    const flush = await runCliProcess(["flush", del]);
    assertEquals(flush.code, 0, flush.stderr);
    assertEquals(await agentsOf(del), agents);
    await Deno.remove(link);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("flush with standard output on a full disk (>/dev/full) still appends every spooled record, then says it could not print them and how many it appended, exit 0 (spool-56 3: it was 2): it stopped after the first record's line, the rest of the spool left (review3-55 2)", async () => {
  const { root, del } = await makeProject();
  try {
    // 60 records of 10 KB: three batches.
    const agents = spoolMany(del, 60, 10_000);
    const run = await new Deno.Command("sh", {
      args: ["-c", `${RUNREC_SH} flush "$0" >/dev/full`, del],
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assertEquals(run.code, 0, stderr);
    assert(
      stderr.includes("standard output failed (No space left on device): 60 record(s) appended"),
      stderr,
    );
    assertEquals(await agentsOf(del), agents);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
