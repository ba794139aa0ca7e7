/**
 * Many records spooled at once, or saved as lost-record lines, for the tests of replays in
 * batches.
 *
 * @module
 */
import { join } from "node:path";
import { sampleDraft } from "../fixtures.ts";
import { lostRecordLine, newSpoolEntry, type SpoolEntry, spoolRecord } from "../../src/spool.ts";
import { RECORD_FILE } from "../../src/deliverable.ts";

/** `count` spool entries for `file`, agents `A<first>`… a minute apart, `notes` long each. */
function manyEntries(file: string, count: number, notes: number, first = 0): SpoolEntry[] {
  return Array.from({ length: count }, (_, i) =>
    newSpoolEntry(
      file,
      sampleDraft({
        AgentName: `A${first + i}`,
        RunTimestamp: new Date(Date.UTC(2026, 0, 1, 0, first + i)).toISOString(),
        Notes: "n".repeat(notes),
      }),
      "ENOSPC",
    ));
}

/**
 * The user's spool folder in `tmp` (what `TMPDIR=tmp runrec` looks in), made mode 700.
 *
 * @example
 * ```ts
 * import { madeUserSpool } from "./spooled.ts";
 * const folder = await madeUserSpool(await Deno.makeTempDir());
 * ```
 */
export async function madeUserSpool(tmp: string): Promise<string> {
  const folder = join(tmp, `runrec-spool-${Deno.uid()}`);
  await Deno.mkdir(folder, { mode: 0o700, recursive: true });
  return folder;
}

/**
 * `count` records spooled in `del`'s own spool, agents `A<first>`… (`A0`…) in spool order, `notes`
 * long each.
 */
export function spoolMany(del: string, count: number, notes: number, first = 0): string[] {
  const entries = manyEntries(join(del, RECORD_FILE), count, notes, first);
  for (const entry of entries) spoolRecord(del, entry);
  return entries.map((e) => e.draft.AgentName);
}

/**
 * `count` lost-record lines for `del`'s record file (what `flush --from` reads), the records
 * {@linkcode spoolMany} spools; returns their agents in order.
 */
export async function saveLostMany(
  del: string,
  saved: string,
  count: number,
  notes: number,
): Promise<string[]> {
  const entries = manyEntries(join(del, RECORD_FILE), count, notes);
  await Deno.writeTextFile(saved, entries.map((e) => lostRecordLine(e) + "\n").join(""));
  return entries.map((e) => e.draft.AgentName);
}
