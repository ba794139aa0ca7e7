/**
 * A run whose record waits STUCK in its deliverable's own spool: its finish met a read-only
 * record file (a real read-only bind mount) and spooled, and the entry was then edited to name
 * another deliverable, so that no flush replays it until it is corrected.
 *
 * @module
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../../src/cli/permissions.ts";
import { RECORD_FILE } from "../../src/deliverable.ts";
import { runCliProcess } from "../cli.ts";
import { assertEquals, assertMatch } from "../assert.ts";
import { sh } from "./read_only.ts";

/** The runrec CLI as a process with every permission, `TMPDIR` set to `tmp`. */
export function cliIn(tmp: string) {
  return (...args: string[]) => runCliProcess(args, FULL_FLAGS, { TMPDIR: tmp });
}

/**
 * Records agent FIRST's run in `del`, then starts agent A's and finishes it while the record file
 * is read-only, and edits the spooled entry's DeliverableID to DEL-09-09: the entry (at
 * `entryPath`, its JSON `entry`) is STUCK. Returns A's run token too.
 *
 * @example
 * ```ts
 * import { stuckInOwnSpool } from "./stuck_entry.ts";
 * const { token, entryPath } = await stuckInOwnSpool("/tmp/p/PKG-01/DEL-01-02_X", "/tmp/t");
 * ```
 */
export async function stuckInOwnSpool(del: string, tmp: string) {
  const cli = cliIn(tmp);
  assertEquals((await cli("emit", del, "--agent", "FIRST", "--status", "SUCCESS")).code, 0);
  const start = await cli("start", del, "--agent", "A");
  assertEquals(start.code, 0, start.stderr);
  const token = start.stdout.trim();
  // The record file read-only for the finish: its record goes to the folder's own spool.
  const file = join(del, RECORD_FILE);
  await sh("mount", "--bind", file, file);
  try {
    await sh("mount", "-o", "remount,ro,bind", file);
    const spooled = await cli("finish", token, "--status", "SUCCESS");
    assertEquals(spooled.code, 0, spooled.stderr);
    assertMatch(spooled.stderr, /spooled to .*\.runrec-spool\//);
  } finally {
    await sh("umount", file);
  }
  const spool = join(del, ".runrec-spool");
  const [name] = [...Deno.readDirSync(spool)].map((e) => e.name).filter((n) => n.endsWith(".json"));
  const entryPath = join(spool, name);
  const entry = JSON.parse(await Deno.readTextFile(entryPath));
  entry.draft.DeliverableID = "DEL-09-09"; // STUCK: another deliverable's ID
  await Deno.writeTextFile(entryPath, JSON.stringify(entry));
  return { token, file, entryPath, entry };
}
