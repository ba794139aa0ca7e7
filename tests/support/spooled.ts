/**
 * Many records spooled at once, for the tests of replays in batches.
 *
 * @module
 */
import { join } from "node:path";
import { sampleDraft } from "../fixtures.ts";
import { newSpoolEntry, spoolRecord } from "../../src/spool.ts";
import { RECORD_FILE } from "../../src/deliverable.ts";

/** `count` records spooled in `del`'s own spool, agents `A0`… in spool order, `notes` long each. */
export function spoolMany(del: string, count: number, notes: number): string[] {
  const file = join(del, RECORD_FILE);
  const agents = Array.from({ length: count }, (_, i) => `A${i}`);
  for (const [i, agent] of agents.entries()) {
    const draft = sampleDraft({
      AgentName: agent,
      RunTimestamp: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
      Notes: "n".repeat(notes),
    });
    spoolRecord(del, newSpoolEntry(file, draft, "ENOSPC"));
  }
  return agents;
}
