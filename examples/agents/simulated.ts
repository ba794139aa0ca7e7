/**
 * Simulated deliverable agents for runrec's integration tests: each reads
 * the files its host agent reads and writes the files it writes, with the
 * `_STATUS.md` transition it makes, so that a record can be checked against
 * what the run really did.
 *
 * As a program: `deno run -A simulated.ts AGENT DEL_DIR OUTCOME`, where
 * OUTCOME is SUCCESS (exit 0), PARTIAL (half the outputs, exit 3), SKIPPED
 * (nothing, exit 4) or FAILED (nothing, exit 1).
 *
 * @module
 */

import { join } from "node:path";

/** What one agent reads and writes, relative to its deliverable folder. */
export interface AgentShape {
  reads: string[];
  writes: string[];
  /** The `_STATUS.md` transition of a successful run, if any. */
  transition?: [from: string, to: string];
}

const DOCUMENTS = ["Datasheet.md", "Specification.md", "Guidance.md", "Procedure.md"];

/** The five deliverable agents, as the host system describes them. */
export const AGENTS: Record<string, AgentShape> = {
  PREPARATION: {
    reads: ["../../../_Decomposition/D.md"],
    writes: ["_CONTEXT.md", "_DEPENDENCIES.md", "_REFERENCES.md", "_SEMANTIC.md", "_STATUS.md"],
    transition: ["", "OPEN"],
  },
  "4_DOCUMENTS": {
    reads: ["_CONTEXT.md", "_DEPENDENCIES.md", "_REFERENCES.md"],
    writes: [...DOCUMENTS, "_STATUS.md"],
    transition: ["OPEN", "INITIALIZED"],
  },
  DEPENDENCIES: {
    reads: [...DOCUMENTS, "_CONTEXT.md", "_REFERENCES.md"],
    writes: ["Dependencies.csv", "_DEPENDENCIES.md"],
  },
  CHIRALITY_FRAMEWORK: {
    reads: [...DOCUMENTS, "_CONTEXT.md"],
    writes: ["_SEMANTIC.md", "_STATUS.md"],
    transition: ["INITIALIZED", "SEMANTIC_READY"],
  },
  CHIRALITY_LENS: {
    reads: [...DOCUMENTS, "_SEMANTIC.md"],
    writes: ["_SEMANTIC_LENSING.md"],
  },
};

/** The exit code of each outcome. */
export const EXIT_CODES: Record<string, number> = {
  SUCCESS: 0,
  FAILED: 1,
  PARTIAL: 3,
  SKIPPED: 4,
};

/** The files a run with `outcome` writes. */
export function writtenBy(agent: string, outcome: string): string[] {
  const { writes } = AGENTS[agent];
  if (outcome === "SUCCESS") return writes;
  // A partial run writes its first files and leaves _STATUS.md alone.
  if (outcome === "PARTIAL") return writes.filter((f) => f !== "_STATUS.md").slice(0, 1);
  return [];
}

function statusText(id: string, state: string): string {
  return `# Status — ${id}\n\n**Current State:** ${state}\n**Last Updated:** 2026-02-22\n`;
}

/**
 * Runs `agent` on `delDir` with `outcome`: reads its inputs, writes its
 * outputs (fresh content each run), returns the files written.
 */
export async function simulate(agent: string, delDir: string, outcome: string): Promise<string[]> {
  const shape = AGENTS[agent];
  if (!shape || !(outcome in EXIT_CODES)) throw new Error(`unknown agent or outcome`);
  for (const input of shape.reads) await Deno.readTextFile(join(delDir, input));
  const id = /DEL-[0-9]+-[0-9]+/.exec(delDir)?.[0] ?? "DEL-00-00";
  const written = writtenBy(agent, outcome);
  if (agent === "PREPARATION" && written.length > 0) await Deno.mkdir(delDir, { recursive: true });
  for (const file of written) {
    const text = file === "_STATUS.md"
      ? statusText(id, shape.transition![1])
      : file === "_CONTEXT.md"
      ? `# Context: ${id}\n\n**DeliverableID:** ${id}\n`
      : `# ${file} by ${agent}\n\n${crypto.randomUUID()}\n`;
    await Deno.writeTextFile(join(delDir, file), text);
  }
  return written;
}

if (import.meta.main) {
  const [agent, delDir, outcome] = Deno.args;
  await simulate(agent, delDir, outcome);
  Deno.exit(EXIT_CODES[outcome]);
}
