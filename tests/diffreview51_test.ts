/**
 * A run whose record waits STUCK in the spool, as a finish without its token and a finish
 * retried where the entry cannot be read see it. Each test failed before its fix.
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { whileReadOnly } from "./support/read_only.ts";
import { cliIn, stuckInOwnSpool } from "./support/stuck_entry.ts";
import { schemaParagraph } from "./support/doc_prose.ts";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";

/** The agents of the records of `file`, in file order. */
async function agentsOf(file: string): Promise<string[]> {
  return (await Deno.readTextFile(file)).trimEnd().split("\n").slice(1)
    .map((line) => line.split(",")[3]);
}

Deno.test("a finish by agent without a token, whose agent's last run's record waits STUCK in the spool, names that entry and writes nothing; it said the agent had no pending run and gave the emit that records the run twice (diffreview1-51)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const cli = cliIn(tmp);
    const { file, entryPath, entry } = await stuckInOwnSpool(del, tmp);
    const before = await Deno.readTextFile(file);
    for (const agent of [["--agent", "A"], []]) {
      const again = await cli("finish", del, ...agent, "--status", "SUCCESS");
      assertEquals(again.code, 2, again.stderr);
      assertIncludes(
        again.stderr,
        `finished already: its record is in the spool, ${entryPath}, STUCK (not replayed: its ` +
          `DeliverableID "DEL-09-09" is not that of the folder of its recordFile, ${del} ` +
          `(DEL-01-02): correct the one that is wrong): runrec flush ${del} appends it once ` +
          "that is corrected; nothing written, no emit or other finish (it would record the run " +
          "twice)",
      );
      assert(!again.stderr.includes("runrec emit"), again.stderr);
      assertEquals(await Deno.readTextFile(file), before);
    }
    // Corrected as told, flush appends it: the run has one record.
    entry.draft.DeliverableID = "DEL-01-02";
    await Deno.writeTextFile(entryPath, JSON.stringify(entry));
    const flush = await cli("flush", del);
    assertEquals(flush.code, 0, flush.stderr);
    assertEquals(await agentsOf(file), ["FIRST", "A"]);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("SCHEMA.md 7.3 (flush --help's reference) says which STUCK entries a retried finish does not see (one in a user's spool open to others is not read): that finish records the run, and flush, the folder mended, removes the entry; it said every STUCK entry made a finish write nothing (diffreview1-51)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const env = { TMPDIR: tmp };
    const cli = (...args: string[]) => runCliProcess(args, FULL_FLAGS, env);
    const start = await cli("start", del, "--agent", "A");
    assertEquals(start.code, 0, start.stderr);
    const token = start.stdout.trim();
    // Read-only, the finish spools to the user's spool and leaves its pending file.
    await whileReadOnly(del, async () => {
      assertEquals((await cli("finish", token, "--status", "SUCCESS")).code, 0);
    });
    const spool = join(tmp, `runrec-spool-${Deno.uid()}`);
    // The mode is what runrec checks here (others may write entries into the folder): not a
    // permission the fault needs to deny.
    await Deno.chmod(spool, 0o777);
    const again = await cli("finish", token, "--status", "SUCCESS");
    assertEquals(again.code, 0, again.stderr);
    assertMatch(again.stderr, /STUCK: .*: not replayed: the folder is open to other users/);
    await Deno.chmod(spool, 0o700);
    const flush = await cli("flush", del);
    assertEquals(flush.code, 0, flush.stderr);
    assertIncludes(flush.stdout, "is recorded already, as RUN-DEL-01-02-");
    assertEquals(await agentsOf(join(del, RECORD_FILE)), ["A"]);
    const help = await schemaParagraph("7.3");
    assertIncludes(
      help,
      "Until then, a finish of its run again names the entry and writes nothing; not where " +
        "the entry is not read (it cannot be, or its folder is another user's or open to " +
        "others): that finish records the run, and the flush once it is mended removes the " +
        "entry, its run recorded.",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});
