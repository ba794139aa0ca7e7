/**
 * The agent protocol hook: turn what an agent knows about its run (name,
 * outcome, inputs, outputs) into a complete record — hashes, lifecycle
 * state, deliverable identity, git HEAD — and append it.
 *
 * @module
 */
import { isAbsolute, join, resolve } from "./path.ts";
import { deliverableId } from "./deliverable.ts";
import { InputError } from "./errors.ts";
import { gitHead } from "./git.ts";
import { hashFiles } from "./hash.ts";
import { governedInputs, relativePath } from "./inputs.ts";
import { hostname } from "./lock.ts";
import { inputContextSha } from "./manifest.ts";
import { AGENT_TYPE, SCHEMA_VERSION, TBD } from "./schema.ts";
import { readLifecycleState } from "./status.ts";
import {
  type AppendOptions,
  appendRecord,
  type AppendResult,
  RECORD_FILE,
  type RecordDraft,
  WriteError,
} from "./store.ts";
import { replaySpool, spoolRecord } from "./spool.ts";
import { formatDuration, normaliseTimestamp, parseDuration } from "./time.ts";

/** What an agent tells the hook about its run. */
export interface RunReport {
  /** The agent's name, e.g. `4_DOCUMENTS`. */
  agent: string;
  /** `SUCCESS`, `PARTIAL`, `FAILED` or `SKIPPED`. */
  status: string;
  /** Files the run read, relative to the deliverable folder or absolute. */
  inputs?: string[];
  /** Files the run wrote, relative to the deliverable folder or absolute. */
  outputs?: string[];
  /** The pass directive the ORCHESTRATOR gave. */
  pass?: string;
  /** When the run started (ISO 8601 with zone); default: now minus the duration. */
  started?: string;
  /** How long the run took, as an ISO 8601 duration. */
  duration?: string;
  /** How long the run took, in milliseconds (instead of `duration`). */
  durationMs?: number;
  /** Lifecycle state at run start; default `TBD` (the hook runs at the end). */
  statusBefore?: string;
  /** Lifecycle state at run end; default: `_STATUS.md` now. */
  statusAfter?: string;
  /** What went wrong (FAILED/PARTIAL). */
  error?: string;
  /** Free text. */
  notes?: string;
  /** Hashes of outputs the caller already knows (e.g. `exec`'s `DELETED`). */
  outputHashes?: Record<string, string>;
}

/**
 * Builds the record draft for a run of an agent on the deliverable folder
 * `delDir`: everything but the RunID and the checksum, which the store sets.
 * Throws {@linkcode InputError} for bad arguments (named in the message).
 *
 * @example
 * ```ts
 * import { buildDraft } from "./hook.ts";
 * const draft = await buildDraft("examples/PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection", {
 *   agent: "4_DOCUMENTS",
 *   status: "SUCCESS",
 *   outputs: ["Datasheet.md"],
 * });
 * console.log(draft.InputContextSHA);
 * ```
 */
export async function buildDraft(delDir: string, report: RunReport): Promise<RecordDraft> {
  const dir = resolve(delDir);
  requireDirectory(dir, delDir);
  const notes: string[] = report.notes ? [report.notes] : [];
  const durationMs = runDurationMs(report);
  let started: string;
  if (report.started !== undefined) {
    const parsed = normaliseTimestamp(report.started);
    if (!parsed) {
      throw new InputError(`--started: not an ISO 8601 date-time with zone: "${report.started}"`);
    }
    started = parsed;
  } else {
    started = new Date(Date.now() - durationMs).toISOString();
  }
  const [id, inputs, outputs, after, head] = await Promise.all([
    deliverableId(dir),
    governedInputs(dir, report.inputs ?? []),
    hashOutputs(dir, report.outputs ?? [], report.outputHashes ?? {}),
    report.statusAfter === undefined
      ? readLifecycleState(join(dir, "_STATUS.md"))
      : { state: report.statusAfter },
    gitHead(dir),
  ]);
  notes.push(...inputs.notes, ...outputs.notes);
  if ("problem" in after && after.problem) notes.push(after.problem);
  const inputFiles = (report.inputs ?? []).map((p) => relativePath(dir, resolve(dir, p)));
  const status = report.status;
  const error = report.error ?? ((status === "FAILED" || status === "PARTIAL") ? TBD : "");
  return {
    SchemaVersion: SCHEMA_VERSION,
    DeliverableID: id,
    AgentName: report.agent,
    AgentType: AGENT_TYPE,
    RunTimestamp: started,
    RunDuration: report.duration ?? formatDuration(durationMs),
    RunStatus: status,
    RunPassDirective: report.pass ?? "",
    InputContextSHA: inputContextSha(inputs.hashes),
    InputFiles: [...new Set(inputFiles)],
    OutputFiles: Object.keys(outputs.hashes),
    StatusBefore: report.statusBefore ?? TBD,
    StatusAfter: after.state,
    ErrorSummary: error,
    Notes: notes.join(" | "),
    InputHashes: inputs.hashes,
    OutputHashes: outputs.hashes,
    GitHead: head,
    Host: hostname(),
  };
}

function requireDirectory(dir: string, shown: string): void {
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(dir);
  } catch (e) {
    throw new InputError(`${shown}: cannot read the deliverable folder: ${(e as Error).message}`);
  }
  if (!stat.isDirectory) throw new InputError(`${shown}: is not a folder`);
}

function runDurationMs(report: RunReport): number {
  if (report.duration !== undefined && report.durationMs !== undefined) {
    throw new InputError("give --duration or --duration-ms, not both");
  }
  if (report.duration !== undefined) {
    const ms = parseDuration(report.duration);
    if (ms === undefined) {
      throw new InputError(
        `--duration: not an ISO 8601 duration like PT2M34.5S: "${report.duration}"`,
      );
    }
    return ms;
  }
  if (report.durationMs !== undefined) {
    if (!Number.isFinite(report.durationMs) || report.durationMs < 0) {
      throw new InputError(`--duration-ms: must be a number of milliseconds ≥ 0`);
    }
    return report.durationMs;
  }
  if (report.started !== undefined) {
    const started = Date.parse(report.started);
    if (!Number.isNaN(started)) return Math.max(0, Date.now() - started);
  }
  return 0;
}

async function hashOutputs(
  dir: string,
  outputs: string[],
  known: Record<string, string>,
): Promise<{ hashes: Record<string, string>; notes: string[] }> {
  const notes: string[] = [];
  const hashes: Record<string, string> = {};
  const absolute = outputs.map((p) => isAbsolute(p) ? p : resolve(dir, p));
  const results = await hashFiles(absolute.filter((p) => !(relativePath(dir, p) in known)));
  for (const path of absolute) {
    const rel = relativePath(dir, path);
    if (rel in known) {
      hashes[rel] = known[rel];
      continue;
    }
    const result = results.get(path);
    if (typeof result === "string") {
      hashes[rel] = result;
    } else {
      hashes[rel] = TBD;
      notes.push(`output ${rel} could not be hashed: ${result?.message ?? "unknown error"}`);
    }
  }
  return { hashes, notes };
}

/**
 * Builds the draft and appends it to the folder's `RunRecords.csv`.
 *
 * @example
 * ```ts
 * import { emitRecord } from "./hook.ts";
 * const { record } = await emitRecord("DEL-01-02_Flow", { agent: "DEPENDENCIES", status: "SUCCESS" });
 * console.log(record.RunID);
 * ```
 */
export async function emitRecord(
  delDir: string,
  report: RunReport,
  options: AppendOptions = {},
): Promise<AppendResult> {
  const draft = await buildDraft(delDir, report);
  return appendRecord(join(resolve(delDir), RECORD_FILE), draft, {
    holder: `runrec emit (${report.agent})`,
    ...options,
  });
}

/** What {@linkcode recordRun} did: written, or spooled, with warnings to show. */
export interface RunOutcome {
  /** The append, when it succeeded. */
  written?: AppendResult;
  /** The spool entry holding the record, when the append failed. */
  spooledTo?: string;
  /** Records of earlier failures appended now from the spool. */
  replayed: AppendResult[];
  /** One line each, for stderr. */
  warnings: string[];
}

/**
 * The non-blocking hook: like {@linkcode emitRecord}, but a failed write never
 * throws. The record goes to the spool instead (and is replayed by the next
 * successful append or `runrec flush`); earlier spooled records for the same
 * file are replayed after a success. Only bad input ({@linkcode InputError})
 * throws, before anything is written.
 *
 * @example
 * ```ts
 * import { recordRun } from "./hook.ts";
 * const outcome = await recordRun("DEL-01-02_Flow", { agent: "DEPENDENCIES", status: "SUCCESS" });
 * for (const warning of outcome.warnings) console.error(`runrec: warning: ${warning}`);
 * ```
 */
export async function recordRun(
  delDir: string,
  report: RunReport,
  options: AppendOptions = {},
): Promise<RunOutcome> {
  const draft = await buildDraft(delDir, report);
  const file = join(resolve(delDir), RECORD_FILE);
  const outcome: RunOutcome = { replayed: [], warnings: [] };
  try {
    outcome.written = await appendRecord(file, draft, {
      holder: `runrec emit (${report.agent})`,
      ...options,
    });
  } catch (e) {
    if (e instanceof InputError) throw e;
    const reason = (e as Error).message.split("\n")[0];
    if (e instanceof WriteError && e.landed) {
      outcome.warnings.push(`record written but not confirmed: ${reason}`);
      return outcome;
    }
    try {
      outcome.spooledTo = await spoolRecord(delDir, file, draft, reason);
      outcome.warnings.push(`record not written (${reason}); spooled to ${outcome.spooledTo}`);
    } catch (spoolError) {
      outcome.warnings.push(
        `record LOST: not written (${reason}) and not spooled (${(spoolError as Error).message})`,
      );
    }
    return outcome;
  }
  try {
    const { replayed, failures } = await replaySpool(delDir, file);
    outcome.replayed = replayed;
    outcome.warnings.push(...failures);
  } catch (e) {
    outcome.warnings.push(`spool not replayed: ${(e as Error).message}`);
  }
  return outcome;
}
