/**
 * The outcome words the host's agents report, and the RunStatus each one is
 * recorded as. The one table the agent blocks, docs/AGENT_PROTOCOL.md and
 * {@linkcode mapOutcome} all come from.
 *
 * @module
 */
import type { RunStatus } from "./schema.ts";

/** Where a record keeps the agent's own outcome word. */
export type KeptIn = "ErrorSummary" | "Notes";

/** One outcome word of the host's agents and how it is recorded. */
export interface HostOutcome {
  /** The word as the agent reports it, e.g. `FAILED_INPUTS`. */
  word: string;
  /** The agents that report it. */
  agents: readonly string[];
  /** What the agent means by it. */
  meaning: string;
  /** The RunStatus it is recorded as. */
  status: RunStatus;
  /** Why that RunStatus (SCHEMA.md section 4.1). */
  why: string;
  /** What the agent adds after the word, as a placeholder (`""`: nothing). */
  detail: string;
}

/**
 * Every outcome word of the host's agents that is not a RunStatus itself.
 * The word is kept at the start of ErrorSummary for FAILED and PARTIAL (where
 * the reason must go), else at the start of Notes: `FAILED_INPUTS: <detail>`.
 */
export const HOST_OUTCOMES: readonly HostOutcome[] = [
  {
    word: "PASS",
    detail: "",
    agents: ["CHIRALITY_FRAMEWORK"],
    meaning: "`_SEMANTIC.md` written and its QA checks pass",
    status: "SUCCESS",
    why: "the protocol ran to its end and its one intended output is valid",
  },
  {
    word: "FAIL",
    detail: "<the checks that failed>",
    agents: ["CHIRALITY_FRAMEWORK"],
    meaning: "`_SEMANTIC.md` written but its QA checks fail",
    status: "FAILED",
    why: "an output that fails its checks is not usable, and the state must not advance " +
      "to SEMANTIC_READY; PARTIAL would call it usable",
  },
  {
    word: "SKIPPED_PROTECT_HUMAN_WORK",
    detail: "state <the observed state>",
    agents: ["4_DOCUMENTS"],
    meaning: "`_STATUS.md` is past the states that allow overwriting; nothing written",
    status: "SKIPPED",
    why: "a precondition state was not met and nothing was written; the agent adds the " +
      "observed state in Notes",
  },
  {
    word: "FAILED_INPUTS",
    detail: "<what is missing>",
    agents: ["4_DOCUMENTS"],
    meaning: "inputs the pass directive needs are missing (P3_ONLY without drafts or " +
      "`_SEMANTIC_LENSING.md`); nothing written",
    status: "FAILED",
    why: "the work was due and could not be done: the deliverable is blocked until its " +
      "inputs are fixed, which is what FAILED asks ORCHESTRATOR to look at",
  },
  {
    word: "UNSUPPORTED_VARIANT",
    detail: "DECOMP_VARIANT <the variant>",
    agents: ["4_DOCUMENTS"],
    meaning: "`DECOMP_VARIANT` is DOMAIN, which this agent does not draft; nothing written",
    status: "SKIPPED",
    why: "a dispatch to the wrong agent, refused at Step 0 before any work: nothing was " +
      "attempted or broken, and a retry would refuse again, while FAILED invites a retry",
  },
];

/** Where the word of an outcome recorded as `status` is kept. */
export function keptIn(status: RunStatus): KeptIn {
  return status === "FAILED" || status === "PARTIAL" ? "ErrorSummary" : "Notes";
}

/** A host outcome as the fields of a record: the RunStatus, and the word in its place. */
export interface MappedOutcome {
  /** The RunStatus to record. */
  status: RunStatus;
  /** ErrorSummary (for FAILED and PARTIAL): the word, then the detail. */
  error?: string;
  /** Notes (for SUCCESS and SKIPPED): the word, then the detail. */
  notes?: string;
}

/**
 * The record fields for an outcome word and its detail: a RunStatus maps to
 * itself (the detail goes where SCHEMA.md wants it), a host word to its
 * RunStatus with the word kept. `undefined` for a word no one reports.
 *
 * @example
 * ```ts
 * import { mapOutcome } from "./outcomes.ts";
 * mapOutcome("FAILED_INPUTS", "_SEMANTIC_LENSING.md missing");
 * // { status: "FAILED", error: "FAILED_INPUTS: _SEMANTIC_LENSING.md missing" }
 * mapOutcome("PASS"); // { status: "SUCCESS", notes: "PASS" }
 * mapOutcome("DONE"); // undefined
 * ```
 */
export function mapOutcome(word: string, detail = ""): MappedOutcome | undefined {
  const runStatuses: readonly string[] = ["SUCCESS", "PARTIAL", "FAILED", "SKIPPED"];
  const host = HOST_OUTCOMES.find((o) => o.word === word);
  if (!host && !runStatuses.includes(word)) return undefined;
  const status = host ? host.status : word as RunStatus;
  const text = host ? (detail === "" ? word : `${word}: ${detail}`) : detail;
  if (text === "") return { status };
  return keptIn(status) === "ErrorSummary" ? { status, error: text } : { status, notes: text };
}
