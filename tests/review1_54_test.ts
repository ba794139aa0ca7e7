/**
 * Stop 54's flush --from, journalOnly, warning, supersede and remedy changes attacked through the
 * CLI: real processes, real files, real git repositories.
 *
 * ```sh
 * deno test -A tests/review1_54_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { makeProject, sampleDraft, tempDir } from "./fixtures.ts";
import { recordsOf } from "./support/runs.ts";
import { runCliProcess } from "./cli.ts";
import { lostRecordLine, newSpoolEntry } from "../src/spool.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { journalPath } from "../src/journal.ts";

Deno.test("flush --from of many lost records into one file keeps its journal under 2 MiB: each append reads it whole, and 3.3 MB of lines appended under one lock grew it to 9 MB, read for each record (review1-54 1)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const file = join(del, RECORD_FILE);
    // 300 records of 10 KB: 3.3 MB of lost-record lines, a journal entry of 30 KB for each
    // (the line, the one before it, the file's first).
    const saved = join(tmp, "lost.txt");
    await Deno.writeTextFile(
      saved,
      Array.from({ length: 300 }, (_, i) =>
        lostRecordLine(newSpoolEntry(
          file,
          sampleDraft({
            AgentName: `A${i}`,
            RunTimestamp: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
            Notes: "n".repeat(10_000),
          }),
          "ENOSPC",
        )) + "\n").join(""),
    );
    const run = await runCliProcess(["flush", "--from", saved], undefined, { TMPDIR: tmp });
    assertEquals(run.code, 0, run.stderr);
    const agents = (await recordsOf(del)).map((r) => r.AgentName);
    assertEquals(agents, Array.from({ length: 300 }, (_, i) => `A${i}`));
    const journal = (await Deno.stat(journalPath(file))).size;
    console.log(`journal after 300 records: ${journal} bytes`);
    // Cut to under 1 MiB at each lock's look; a batch adds to it at most 256 KiB of lines' worth.
    assert(journal < 2 << 20, `journal of ${journal} bytes`);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});
