/**
 * What `runrec stale` reports (./stale.ts): a verdict per deliverable and
 * agent with its evidence, and with `--propagate` the deliverables made STALE
 * through `Dependencies.csv`; and the options that ask for it.
 *
 * @module
 */
import type { DependencyEdge } from "./dependencies.ts";
import type { RunRecord } from "./schema.ts";

/** What a check found for one deliverable and agent. */
export type Verdict = "CLEAN" | "DIRTY" | "NO_BASELINE" | "RETIRED";

/** How a path differs from the baseline. */
export type ChangeKind = "changed" | "added" | "removed" | "unreadable";

/** One path that is not as the baseline run left it. */
export interface FileChange {
  /** POSIX path relative to the deliverable folder, as records store it. */
  path: string;
  /** How it differs. */
  change: ChangeKind;
  /** Its hash in the baseline record (`TBD`, `DELETED`), or `null` when the run did not name it. */
  baseline: string | null;
  /** Its hash now, or `null` when there is none (gone, unreadable, no longer governed). */
  current: string | null;
  /** Why, in a few words: `deleted`, `no longer listed`, `is a folder`, `written by RUN-…`. */
  reason?: string;
  /**
   * The RunID of the run whose recorded output (OutputHashes) is the file's bytes now, when one
   * other than the baseline's is (its `reason` names it too), whenever it ran.
   */
  writer?: string;
  /**
   * The RunID this input change is since, when it is not the baseline's: a run of the same agent
   * whose output is on disk as it wrote it (the `writer` of an output change), compared as a
   * second baseline for that output; `baseline` is then its hash.
   */
  since?: string;
}

/** The record a check compares against. */
export interface Baseline {
  /** Its RunID. */
  RunID: string;
  /** `SUCCESS` or `PARTIAL`. */
  RunStatus: string;
  /** When it started. */
  RunTimestamp: string;
  /** Its line in `RunRecords.csv`. */
  line: number;
}

/** The staleness of one deliverable for one agent. */
export interface StaleCheck {
  /** The deliverable folder, as reached from the target given. */
  folder: string;
  /** `DEL-XX-YY`. */
  deliverableId: string;
  /** The agent; `""` when no agent has run on the deliverable. */
  agent: string;
  /**
   * `CLEAN`, `DIRTY` (an input differs), `NO_BASELINE` (nothing to compare against) or `RETIRED`
   * (the deliverable will not run again: nothing compared, see ./retired.ts).
   */
  verdict: Verdict;
  /** The record compared against (absent for `NO_BASELINE`); for `RETIRED`, its last good run. */
  baseline?: Baseline;
  /**
   * Governed inputs that differ from the baseline: every one of them; then those that differ from
   * what another good run of the agent read, whose output is on disk as it wrote it (`since`).
   */
  inputs: FileChange[];
  /**
   * Outputs of the baseline run edited, deleted or recreated since, each with the run whose
   * recorded output its bytes are (`writer`), when one is.
   */
  outputs: FileChange[];
  /** Why there is no baseline (`NO_BASELINE`), or why it will not run again (`RETIRED`). */
  reason?: string;
  /**
   * What else the check noticed: unreadable record lines, inputs missing or
   * outside the project at the run and now, references not checked.
   */
  notes: string[];
}

/** A run, as a STALE entry names it. */
export interface RunRef {
  /** Its RunID. */
  RunID: string;
  /** When it started. */
  RunTimestamp: string;
  /** Its line in its deliverable's record file: two records share a RunID after some merges. */
  line: number;
}

/** One reason a deliverable is STALE: a chain of ACTIVE dependencies from where it starts. */
export interface StaleReason {
  /**
   * Why the chain's first producer counts: it is `dirty` (a DIRTY check), it ran since
   * (`ranSince`), or a run of it the consumer may have read was `invalidated`.
   */
  cause: "dirty" | "ranSince" | "invalidated";
  /**
   * The edges from the deliverable it starts at to the STALE one, in order
   * (a shortest chain): that one is DIRTY, or `ranSince` says why it counts.
   */
  chain: DependencyEdge[];
  /**
   * When the chain starts at a producer that ran since: its SUCCESS or PARTIAL
   * run that ended last (not the last started), which ended after `consumerRun`, the run of the
   * chain's first consumer it was compared with, one per agent (see
   * {@linkcode StaleOptions.propagate}); in a cycle, its run that rewrote what `consumerRun` read.
   */
  ranSince?: RunRef & { consumerRun: RunRef };
  /**
   * When the chain starts at a producer's SUCCESS or PARTIAL run that an annotation invalidated,
   * and that `consumerRun` (compared as for `ranSince`) may have read: it read a file that run
   * wrote, with that run's hash of it (bytes a good run of the producer also wrote excepted) or,
   * where a hash is missing, with no good run of the producer rewriting it in between; when
   * either run names no file, it ended after that run started and no good run ended in between.
   */
  invalidated?: RunRef & { consumerRun: RunRef; annotation: { RunID: string; note: string } };
}

/**
 * A deliverable that consumes, through ACTIVE dependencies, one that is
 * DIRTY, one that ran well since the consumer last did (make's rule), or one
 * whose run the consumer may have read was invalidated since.
 */
export interface StaleDeliverable {
  /** `DEL-XX-YY`. */
  deliverableId: string;
  /** Its folder, when one in its execution root (not one nested in it) has that ID. */
  folder?: string;
  /** Its own latest SUCCESS or PARTIAL run, of any agent (absent when it has none). */
  lastRun?: RunRef;
  /**
   * Every reason: one per DIRTY deliverable, "ran since" or invalidated run it is reached from,
   * shortest first.
   */
  reasons: StaleReason[];
}

/** Everything `runrec stale` found. */
export interface StaleReport {
  /** One check per deliverable and agent, sorted by folder, then agent. */
  checks: StaleCheck[];
  /**
   * With `propagate`: the checks of the deliverables upstream of the targets
   * (through the registers) that are not targets themselves: what their
   * staleness depends on. Not counted as the targets' checks are.
   */
  upstream: StaleCheck[];
  /**
   * With `propagate`: consumers of DIRTY deliverables (and of producers that ran since), sorted by
   * ID; none RETIRED. Only the targets and what is downstream of them, each with the reasons
   * whose chain passes through a target.
   */
  stale: StaleDeliverable[];
  /**
   * With `propagate`: deliverables that would be STALE but whose `_STATUS.md`
   * says RETIRED: they will not run again, so they are not STALE, and nothing
   * is STALE through them.
   */
  retired: StaleDeliverable[];
  /** With `propagate`: dependency cycles met, each as IDs with the first repeated at the end. */
  cycles: string[][];
  /**
   * Registers that could not be read or followed, records still spooled and runs not finished
   * of the deliverables read (not counted until flushed or finished), and similar; each one line.
   */
  warnings: string[];
  /**
   * Record files that could not be read (a folder, FIFO or device of that
   * name, a read error), each one line naming the file and why; their
   * deliverables are not checked, the others are.
   */
  unreadable: string[];
  /** Distinct files read and hashed: each once, however many checks name it. */
  filesHashed: number;
  /**
   * Distinct files not read: their `stat` is as it was when a run before hashed them (the hash
   * cache in the common git folder, as git's index keeps one).
   */
  filesCached: number;
}

/** Options of {@linkcode checkStaleness}. */
export interface StaleOptions {
  /**
   * Only these agents' checks of the targets, each name in any case (`4_documents` is
   * `4_DOCUMENTS`, as `log --agent` reads it). An agent named that never ran is
   * reported `NO_BASELINE`. With `propagate`, upstream checks and STALE still use every agent.
   */
  agents?: readonly string[];
  /**
   * Follow ACTIVE `Dependencies.csv` rows from DIRTY deliverables to their
   * consumers, and check the deliverables upstream of the targets too. A
   * producer "ran since" a consumer when the good run of it that ended last
   * (make's rule: the latest end, not the latest start) ended after a
   * compared run of the consumer started. Each agent of the consumer is
   * compared on its own, as its outputs come from what it read: its latest
   * good run that read a file of the producer (a governed input under the
   * producer's folder, real paths compared), and each earlier one that did,
   * is still the last SUCCESS or PARTIAL run to have written one of its
   * outputs (one still there), and read a file of the producer that no later
   * run of the agent read again; when no good run of any agent read one, the
   * consumer's latest good run of any agent. A compared run is STALE too when
   * it may have read a producer's run invalidated since (`runrec annotate
   * --invalidates`). Each reason names its run. A chain of reasons that comes
   * back to the deliverable it starts at is a cycle: listed, not a reason (a
   * deliverable DIRTY only through files of one producer starts there); in a
   * cycle, a producer that ran since counts only when a file the consumer's
   * run read was rewritten since with other bytes, or a run names no file
   * (docs/TUTORIAL.md). A producer's output edited by hand is no reason (no
   * run made it).
   */
  propagate?: boolean;
  /**
   * Whether a record may be a baseline. Default: SUCCESS or PARTIAL, and not
   * invalidated or superseded by an annotation (`runrec annotate`).
   */
  isBaseline?: (record: RunRecord) => boolean;
  /**
   * Hashing threads: default one per core beyond the first (at least one, up
   * to 3) for 16 deliverables or more, else none.
   */
  workers?: number;
  /**
   * Read governed inputs outside the project too, as `emit --allow-outside`
   * did (default `false`: such an input is not read, and named as outside).
   */
  allowOutside?: boolean;
  /** Told the deliverables checked so far and their number, as checks end. */
  onProgress?: (done: number, total: number) => void;
}
