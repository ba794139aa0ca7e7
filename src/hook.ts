/**
 * The agent protocol hook: turn what an agent knows about its run (name,
 * outcome, inputs, outputs) into a complete record — hashes, lifecycle
 * state, deliverable identity, git HEAD — and append it.
 *
 * @module
 */
import { isAbsolute, join, resolve, sep as SEP } from "./path.ts";
import { deliverableId, requireFolder } from "./deliverable.ts";
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
  draftProblems,
  RECORD_FILE,
  type RecordDraft,
  withRecordFile,
  WriteError,
} from "./store.ts";
import { lostRecordLine, newSpoolEntry, replayInto, spoolRecord } from "./spool.ts";
import {
  durationProblem,
  formatDuration,
  MAX_DURATION_MS,
  parseDuration,
  runStart,
} from "./time.ts";

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
  return (await draftAndNotes(delDir, report)).draft;
}

/** The draft, and the notes runrec itself added to it (for showing on stderr). */
async function draftAndNotes(
  delDir: string,
  report: RunReport,
): Promise<{ draft: RecordDraft; notes: string[] }> {
  const dir = resolve(delDir);
  requireFolder(dir, delDir);
  const notes: string[] = [];
  const durationMs = runDurationMs(report);
  const started = runStart(report.started, durationMs);
  const [{ id, note: idNote }, inputs, outputs, after, head] = await Promise.all([
    deliverableId(dir),
    governedInputs(dir, report.inputs ?? []),
    hashOutputs(dir, report.outputs ?? [], report.outputHashes ?? {}),
    report.statusAfter === undefined
      ? readLifecycleState(join(dir, "_STATUS.md"))
      : { state: report.statusAfter },
    gitHead(dir),
  ]);
  if (idNote) notes.push(idNote);
  notes.push(...inputs.notes, ...outputs.notes);
  if ("problem" in after && after.problem) notes.push(after.problem);
  // A folder given as input stands for the files beneath it, as in InputHashes.
  const inputFiles = (report.inputs ?? []).flatMap((p) => {
    const rel = relativePath(dir, resolve(dir, p));
    if (Object.hasOwn(inputs.hashes, rel)) return [rel];
    const beneath = Object.keys(inputs.hashes).filter((k) => k.startsWith(`${rel}/`));
    return beneath; // an empty folder stands for no file (noted by governedInputs)
  });
  const status = report.status;
  const error = report.error ?? ((status === "FAILED" || status === "PARTIAL") ? TBD : "");
  const draft: RecordDraft = {
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
    Notes: [report.notes ?? "", ...notes].filter((n) => n !== "").join(" | "),
    InputHashes: inputs.hashes,
    OutputHashes: outputs.hashes,
    GitHead: head,
    Host: hostname(),
  };
  // Records are committed: notes name paths relative to the deliverable, not this machine's.
  const local = (text: string) => text.replaceAll(`${dir}${SEP}`, "");
  draft.Notes = local(draft.Notes);
  checkDraft(draft);
  return { draft, notes: notes.map(local) };
}

/** The option that sets each field the caller gives, for error messages. */
const OPTION_OF: Partial<Record<string, string>> = {
  AgentName: "--agent",
  RunStatus: "--status",
  RunDuration: "--duration",
  StatusBefore: "--status-before",
  StatusAfter: "--status-after",
  InputFiles: "--input",
  OutputFiles: "--output",
};

/** Validates a draft as the store will; bad input is named by its option. */
function checkDraft(draft: RecordDraft): void {
  const [first] = draftProblems(draft);
  if (first) throw new InputError(`${OPTION_OF[first.field] ?? first.field} ${first.message}`);
}

function runDurationMs(report: RunReport): number {
  if (report.duration !== undefined && report.durationMs !== undefined) {
    throw new InputError("give --duration or --duration-ms, not both");
  }
  if (report.duration !== undefined) {
    const problem = durationProblem(report.duration);
    if (problem) throw new InputError(`--duration ${problem}`);
    return parseDuration(report.duration)!;
  }
  if (report.durationMs !== undefined) {
    const ms = report.durationMs;
    if (!Number.isInteger(ms) || ms < 0 || ms > MAX_DURATION_MS) {
      throw new InputError(
        `--duration-ms: must be a whole number of milliseconds from 0 to ${MAX_DURATION_MS}`,
      );
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
  const absolute = outputs.map((p) => isAbsolute(p) ? resolve(p) : resolve(dir, p));
  // A FIFO or device has no content to pin, and opening a FIFO waits for a writer.
  const special = (p: string) => {
    try {
      const info = Deno.statSync(p);
      return !info.isFile && !info.isDirectory;
    } catch {
      return false; // missing or unreadable: the hash says so
    }
  };
  const results = await hashFiles(
    absolute.filter((p) => !Object.hasOwn(known, relativePath(dir, p)) && !special(p)),
  );
  for (const path of absolute) {
    const rel = relativePath(dir, path);
    if (Object.hasOwn(known, rel)) {
      hashes[rel] = known[rel];
      continue;
    }
    if (special(path)) {
      hashes[rel] = TBD;
      notes.push(`output ${rel} could not be hashed: not a regular file`);
      continue;
    }
    const result = results.get(path);
    if (typeof result === "string") {
      hashes[rel] = result;
    } else {
      hashes[rel] = TBD;
      const reason = result instanceof Deno.errors.NotFound ? "not found" : result?.name ?? "error";
      notes.push(`output ${rel} could not be hashed: ${reason}`);
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
  /** The record as built, before the store gave it a RunID. */
  draft: RecordDraft;
  /** What runrec noted in the record (unreadable inputs, skipped URLs, `_STATUS.md` problems). */
  notes: string[];
  /** The append, when it succeeded (or landed but could not be confirmed). */
  written?: AppendResult;
  /** The spool entry holding the record, when the append failed. */
  spooledTo?: string;
  /**
   * The lost-record line to print on stderr when the record could be neither
   * written nor spooled (see {@linkcode lostRecordLine}).
   */
  lost?: string;
  /** Records of earlier failures appended now from the spool, oldest first. */
  replayed: AppendResult[];
  /** One line each, for stderr. */
  warnings: string[];
}

/** Options of {@linkcode recordRun}. */
export interface RunOptions extends AppendOptions {
  /** Keep a record that cannot be written in the spool (default `true`). */
  spool?: boolean;
}

/**
 * The non-blocking hook: like {@linkcode emitRecord}, but a failed write never
 * throws. Under one append lock, records spooled by earlier failures for the
 * same file are appended first (so the file keeps time order), then this one;
 * if it cannot be written it goes to the spool (unless `spool: false`), to be
 * appended by the next successful call or `runrec flush`; if no spool folder
 * takes it, `lost` holds the line that carries it. Only bad input
 * ({@linkcode InputError}) throws, before anything is written.
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
  options: RunOptions = {},
): Promise<RunOutcome> {
  const { spool = true, ...appendOptions } = options;
  const { draft, notes } = await draftAndNotes(delDir, report);
  const file = join(resolve(delDir), RECORD_FILE);
  const outcome: RunOutcome = { draft, notes, replayed: [], warnings: [] };
  try {
    outcome.written = await withRecordFile(
      file,
      { holder: `runrec emit (${report.agent})`, ...appendOptions },
      (writer) => {
        try {
          const replay = replayInto(writer, delDir);
          outcome.replayed = replay.replayed;
          outcome.warnings.push(...replay.failures);
        } catch (e) {
          outcome.warnings.push(`spool not replayed: ${firstLine(e)}`);
        }
        return writer.append(draft);
      },
    );
  } catch (e) {
    if (e instanceof InputError) throw e;
    const reason = firstLine(e);
    if (e instanceof WriteError && e.landed) {
      // The bytes are in the file: spooling it would write it twice.
      outcome.warnings.push(`record written but not confirmed: ${reason}`);
    } else if (!spool) {
      outcome.warnings.push(`record not written: ${reason}`);
    } else {
      const entry = newSpoolEntry(file, draft, reason);
      try {
        const spooled = spoolRecord(delDir, entry);
        outcome.spooledTo = spooled.path;
        const passedOver = spooled.skipped.map((s) => ` (not in ${s})`).join("");
        outcome.warnings.push(
          `record not written (${reason}); spooled to ${spooled.path}${passedOver}`,
        );
      } catch (spoolError) {
        outcome.lost = lostRecordLine(entry);
        outcome.warnings.push(
          `record LOST: not written (${reason}) and not spooled (${firstLine(spoolError)}); ` +
            `its line follows: save it and append it with runrec flush --from FILE`,
        );
      }
    }
  }
  return outcome;
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0];
}
