/**
 * The agent protocol hook: turn what an agent knows about its run (name,
 * outcome, inputs, outputs) into a complete record — hashes, lifecycle
 * state, deliverable identity, git HEAD — and append it.
 *
 * @module
 */
import { pathArgument } from "./shell_word.ts";
import { hashOutputs } from "./output_hashes.ts";
import {
  defaultDurationWarning,
  inputsChangedSinceWarning,
  pendingRunWarnings,
  repeatWarning,
  retiredWarning,
  withRunId,
} from "./run_warnings.ts";
import { agentText, NAMED_RUNS, runrecNote } from "./agent_notes.ts";
import { readNamedLines } from "./named_lines.ts";
import { ANNOTATION_AGENT } from "./annotation_shape.ts";
import { pathMeant, refuseMisspeltFolder, withoutDrivePaths } from "./meant_path.ts";
import { join, resolve, sep as SEP } from "./path.ts";
import {
  deliverableId,
  folderEntries,
  RECORD_FILE,
  requireFolder,
  requireRootInSight,
} from "./deliverable.ts";
import { InputError, OptionError } from "./errors.ts";
import {
  checkCaptureArguments,
  checkCompleteArguments,
  checkRunReport,
  checkWriteArguments,
  checkWriteOptions,
} from "./argument_checks.ts";
import { requireHostname, requireReadable, requireRecordable } from "./required_permissions.ts";
import { checkoutOf, gitHead, UNKNOWN_HEAD } from "./git.ts";
import {
  governedInputsIn,
  inputOnDisk,
  isRunrecOwn,
  relativePath,
  type SharedGovernedOptions,
} from "./inputs.ts";
import { type ProjectBounds, projectBounds } from "./project_bounds.ts";
import { inputFolderNote, inputFoldersIn } from "./input_folders.ts";
import { isGone, type Lookups, type MemoLookups, memoLookups, resolvedPath } from "./lookups.ts";
import { hostname } from "./lock.ts";
import { contextShaOf, NO_GOVERNED_INPUT } from "./manifest.ts";
import { kindOf } from "./walk.ts";
import { journalPath } from "./journal.ts";
import { sharedIdWarning } from "./claimed_ids.ts";
import { oneLine } from "./names.ts";
import {
  AGENT_TYPE,
  LIFECYCLE_STATES,
  RUN_STATUSES,
  runIdPrefix,
  type RunRecord,
  SCHEMA_VERSION,
  TBD,
} from "./schema.ts";
import { HOST_OUTCOMES, mapOutcome } from "./outcomes.ts";
import { placeholderProblem } from "./placeholders.ts";
import { meantAgentName } from "./agent_name_hint.ts";
import { recordedLateNote } from "./recorded_late.ts";
import { checkRun, findProfile, unknownAgentWarning } from "./profiles.ts";
import { readLifecycleState } from "./status.ts";
import { appendRecord, withRecordFile } from "./store.ts";
import {
  type AppendOptions,
  type AppendResult,
  checkAppendOptions,
  type RecordDraft,
  type SeqAtStart,
  WriteError,
} from "./append_types.ts";
import { draftProblems } from "./record_limits.ts";
import { agentsRecordedIn } from "./record_lines.ts";
import { readEarlierSeqs } from "./seq_allocation.ts";
import {
  lostRecordLine,
  newSpoolEntry,
  replayInto,
  spoolFolderNames,
  spoolFolders,
  spoolRecord,
} from "./spool.ts";
import { refuseLeftFolder } from "./git_moved_folder.ts";
import {
  clockStamp,
  durationProblem,
  elapsedSince,
  formatDuration,
  MAX_DURATION_MS,
  parseDuration,
  runStart,
} from "./time.ts";
import { optionalUptimeMs } from "./optional_access.ts";
import { miscasedRootWarnings, miscasedWarnings } from "./other_case.ts";

/** What an agent tells the hook about its run. */
export interface RunReport {
  /** The agent's name, e.g. `4_DOCUMENTS`. */
  agent: string;
  /**
   * `SUCCESS`, `PARTIAL`, `FAILED` or `SKIPPED`, in any case (`success` is recorded as
   * `SUCCESS`), or a host outcome word (`PASS`, `FAILED_INPUTS`, ...) recorded as its RunStatus,
   * the word kept at the start of ErrorSummary (FAILED, PARTIAL) or Notes (docs/AGENT_PROTOCOL.md,
   * "The outcome mapping").
   */
  status: string;
  /** Files the run read, relative to the deliverable folder or absolute. */
  inputs?: readonly string[];
  /** Files the run wrote, relative to the deliverable folder or absolute. */
  outputs?: readonly string[];
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
  /**
   * The host's agent files, for the agent's profile (default: an `agents/` folder in or above
   * the deliverable). One that is not a folder is refused (`InputError`).
   */
  agentsDir?: string;
  /** Read governed inputs and outputs outside the project too (`--allow-outside`). */
  allowOutside?: boolean;
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
  checkRunReport(delDir, report);
  const lookups = memoLookups();
  requireBuildable(delDir, lookups);
  return (await draftAndNotes(delDir, report, lookups)).draft;
}

/** What the start of a run fixes: its time, the lifecycle state and the governed inputs. */
export interface RunStartState {
  /** RunTimestamp: when the run started, UTC ISO 8601. */
  started: string;
  /** The lifecycle state at run start, or `TBD`. */
  statusBefore: string;
  /** The run's own inputs as InputFiles records them (a folder stands for its files). */
  inputFiles: string[];
  /** SHA-256 (or `TBD`) of every governed input at run start, by path. */
  inputHashes: Record<string, string>;
  /** What runrec noted at start (unreadable inputs, skipped URLs, `_STATUS.md` problems). */
  notes: string[];
  /**
   * Whether the start was not captured (its pending run file was gone before `finish`): its
   * inputs are unknown, and none is hashed at the end in their place.
   */
  inputsUnknown?: boolean;
  /**
   * Whether files outside the project are read (`--allow-outside`): the outputs too, at the end.
   */
  allowOutside?: boolean;
  /**
   * This host's uptime (ms) at the start, where runrec may ask: the run's duration is measured
   * by it when the wall clock was stepped during the run (clock-sweep F4).
   */
  startedUptimeMs?: number;
  /**
   * The notes to warn of at the start (among `notes`): inputs not found, which `stale` cannot
   * see change.
   */
  warnings?: string[];
}

/** Options of {@linkcode captureStart}. */
export interface StartOptions {
  /** Files the run reads, relative to the deliverable folder or absolute. */
  inputs?: readonly string[];
  /** When the run started (UTC ISO 8601); default: now. */
  started?: string;
  /** The lifecycle state at start; default: `_STATUS.md` now. */
  statusBefore?: string;
  /** Read governed inputs and outputs outside the project too (`--allow-outside`). */
  allowOutside?: boolean;
  /**
   * Allow a deliverable folder that does not exist yet (a run that creates
   * it, as `startRun`'s `mayCreate`). Default `false`: a missing folder is
   * an {@linkcode InputError}.
   */
  mayCreate?: boolean;
}

/**
 * Captures the start of a run in `delDir`: the time, StatusBefore from
 * `_STATUS.md`, and the hashes of every governed input as they are now, so
 * that a file the run later rewrites is recorded as it was read. Throws
 * {@linkcode InputError} for bad arguments, a missing permission, or a
 * folder that does not exist (unless `mayCreate`: then StatusBefore is `TBD`).
 *
 * @example
 * ```ts
 * import { captureStart } from "./hook.ts";
 * const start = await captureStart("DEL-01-02_Flow", { inputs: ["Datasheet.md"] });
 * console.log(start.statusBefore, start.inputHashes["Datasheet.md"]);
 * ```
 */
export async function captureStart(
  delDir: string,
  options: StartOptions = {},
): Promise<RunStartState> {
  checkCaptureArguments(delDir, options);
  requireReadable(delDir);
  return await startState(delDir, options);
}

/**
 * Throws {@linkcode OptionError} when a path of `option` (`inputs` or
 * `outputs`) is empty or only white space: resolved, it would be the
 * deliverable folder, so every file in it (`--output "$OUT"` with OUT unset).
 *
 * @example
 * ```ts
 * import { refuseEmptyPaths } from "./hook.ts";
 * refuseEmptyPaths("outputs", ["Datasheet.md", "."]); // fine: . names the folder on purpose
 * refuseEmptyPaths("outputs", [""]); // throws: outputs: an empty path (...)
 * ```
 */
export function refuseEmptyPaths(option: "inputs" | "outputs", paths: readonly string[]): void {
  if (paths.some((p) => p.trim() === "")) {
    throw new OptionError((name) => `${name(option)}: ${EMPTY_PATH}`);
  }
}

const STATUS_FILE = "_STATUS.md";

/** Why `_STATUS.md` is no input (docs/AGENT_PROTOCOL.md section 1). */
const STATUS_NO_INPUT = "runrec records its state itself (StatusBefore, StatusAfter); as an " +
  "input, each later change of state shows this run DIRTY in runrec stale";

/** The note of a run given `_STATUS.md` as an input. */
const STATUS_INPUT_NOTE = `--input _STATUS.md: ${STATUS_NO_INPUT}, so leave it out of --input`;

/** The note of a run given a folder holding `_STATUS.md` (`--input .`) as an input. */
const STATUS_IN_FOLDER_NOTE = `_STATUS.md, in a folder given as --input: ${STATUS_NO_INPUT}, so ` +
  "name the files read instead of the folder";

/** Why an empty or blank path is refused, after the name of what gave it. */
export const EMPTY_PATH = "an empty path (name a file or folder; . is the deliverable folder)";

/**
 * {@linkcode captureStart} once its arguments and permissions are checked
 * (`emit` checks them once for the whole run: each check walks up to the
 * project's root).
 */
async function startState(
  delDir: string,
  options: StartOptions,
  known: Pick<SharedGovernedOptions, "bounds" | "lookups"> = {},
): Promise<RunStartState> {
  if (!options.mayCreate) requireFolder(resolve(delDir), delDir);
  const dir = resolve(delDir);
  refuseEmptyPaths("inputs", options.inputs ?? []);
  const drives = withoutDrivePaths(dir, options.inputs ?? [], "--input");
  const readAs: string[] = [...drives.said];
  const given = drives.kept.map((p) =>
    pathMeant(dir, p, "--input", readAs, { allowOutside: options.allowOutside })
  );
  const [inputs, before] = await Promise.all([
    governedInputsIn(dir, given, {
      allowOutside: options.allowOutside,
      mayCreate: options.mayCreate,
      ...known,
    }),
    options.statusBefore === undefined
      ? readLifecycleState(join(dir, "_STATUS.md"), known.lookups?.folderEntries)
      : givenState(options.statusBefore, "--status-before"),
  ]);
  const notes = [...readAs, ...inputs.notes];
  // No _STATUS.md yet is what a folder PREPARATION is making holds: TBD, no note. Still missing
  // at the end, finish notes it once.
  if ("problem" in before && before.problem && !("missing" in before)) {
    notes.push(`at start: ${before.problem}`);
  }
  // A folder given as input stands for the files beneath it, as in InputHashes.
  const folders = new Set<string>();
  // Each input as governedInputsIn keyed it: `..` after a linked folder as the file system reads it.
  const realDir = resolvedPath(dir);
  const inputFiles = given.flatMap((p) => {
    const onDisk = inputOnDisk(realDir, p);
    const rel = relativePath(realDir, onDisk);
    if (Object.hasOwn(inputs.hashes, rel)) return [rel];
    if (!isRunrecOwn(dir, rel) && kindOf(onDisk) === "folder") folders.add(rel);
    // The deliverable folder itself (`.`): every file beneath it, not what lies outside.
    if (rel === "") return Object.keys(inputs.hashes).filter((k) => !k.startsWith("../"));
    return Object.keys(inputs.hashes).filter((k) => k.startsWith(`${rel}/`));
  });
  // InputFiles lists only the files a folder held: `stale` needs the folder to see one added.
  // After the bounded input notes, so that no number of them crowds these out.
  notes.push(...[...folders].map(inputFolderNote));
  // Recorded as given, but every later change of state would show the run DIRTY for good.
  if (inputFiles.includes(STATUS_FILE)) {
    const named = given.some((p) => relativePath(realDir, inputOnDisk(realDir, p)) === STATUS_FILE);
    notes.push(named ? STATUS_INPUT_NOTE : STATUS_IN_FOLDER_NOTE);
  }
  // An input not found leaves the record blind to it: warned of, unless a placeholder's
  // warning (the caller's) says it already.
  const placeholders = given.filter((p) => placeholderProblem("--input", p) !== undefined);
  const missing = [
    ...drives.said,
    ...inputs.missing.filter((n) => !placeholders.some((p) => n.startsWith(`--input ${p}:`))),
  ];
  const uptime = options.started === undefined ? optionalUptimeMs() : undefined;
  return {
    started: options.started ?? clockStamp(),
    ...(uptime !== undefined ? { startedUptimeMs: uptime } : {}),
    statusBefore: before.state,
    inputFiles: [...new Set(inputFiles)],
    inputHashes: inputs.hashes,
    notes: notes.map((n) => ownNote(dir, n)),
    ...(missing.length > 0 ? { warnings: missing.map((n) => ownNote(dir, n)) } : {}),
    ...(options.allowOutside ? { allowOutside: true } : {}),
  };
}

/**
 * How long a run started at `start` has lasted: by the wall clock, or by this host's uptime when
 * the two disagree (the wall clock was stepped during the run: an NTP step, a VM restored from a
 * snapshot), said in a note (clock-sweep F4). Without the uptime, a wall clock that reads before
 * the start gives PT0S, noted (clock-sweep F1).
 */
function measuredDuration(start: RunStartState): { ms: number; note?: string } {
  const now = Date.now();
  const { ms, steppedMs } = elapsedSince(
    start.started,
    start.startedUptimeMs,
    now,
    optionalUptimeMs(),
  );
  if (steppedMs !== undefined) {
    const moved = formatDuration(Math.round(Math.abs(steppedMs) / 1000) * 1000);
    return {
      ms,
      note: `this machine's clock moved ${moved} ${steppedMs > 0 ? "ahead" : "back"} during ` +
        "the run (stepped?): RunDuration by its uptime, to the second",
    };
  }
  if (ms >= 0) return { ms };
  return {
    ms: 0,
    note: `this machine's clock read ${new Date(now).toISOString()} at the end, before the ` +
      "run's start (set back since?): RunDuration PT0S, not measured",
  };
}

/** What the end of a run adds to its start: the outcome and the outputs. */
export interface RunEnd {
  /** The agent's name, e.g. `4_DOCUMENTS`. */
  agent: string;
  /** `SUCCESS`, `PARTIAL`, `FAILED` or `SKIPPED`. */
  status: string;
  /** The pass directive the ORCHESTRATOR gave. */
  pass?: string;
  /** Files the run wrote, relative to the deliverable folder or absolute. */
  outputs?: readonly string[];
  /** Hashes of outputs the caller already knows (e.g. `exec`'s `DELETED`). */
  outputHashes?: Record<string, string>;
  /**
   * Lifecycle state at run end as the agent claims it: `_STATUS.md` wins, and
   * a claim that disagrees is noted (used only when `_STATUS.md` is unreadable).
   */
  statusAfter?: string;
  /**
   * The host's agent files (`AGENT_<NAME>.md`), for the agent's profile; default: an `agents/`
   * folder in or above the deliverable. One that is not a folder is refused (`InputError`).
   */
  agentsDir?: string;
  /** What went wrong (FAILED/PARTIAL; default `TBD` for those). */
  error?: string;
  /** Free text. */
  notes?: string;
  /** How long the run took, as an ISO 8601 duration (kept as given). */
  duration?: string;
  /** How long the run took in ms; default: from the start until now. */
  durationMs?: number;
  /**
   * The deliverable folder's files at start, when known: an output missing
   * now and not among them never existed (`TBD`, noted), not `DELETED`.
   */
  filesAtStart?: readonly string[];
  /**
   * The folders listed at start to find `filesAtStart` (relative, `""` the
   * deliverable folder): only an output whose nearest folder there at start
   * was listed can be told never to have existed.
   */
  foldersAtStart?: readonly string[];
  /**
   * The folders found at start but not listed (relative: a linked or an
   * unreadable one): an output beneath one may have existed. When not given,
   * only an output directly in a folder of `foldersAtStart` is told never to
   * have existed.
   */
  foldersUnlistedAtStart?: readonly string[];
  /**
   * The current folder at start (absolute): a relative output that names
   * nothing from the deliverable folder nor from the current folder is looked
   * for from there too (as a path given from the current folder is).
   */
  cwdAtStart?: string;
}

/**
 * Completes the record draft of a run from its captured start and its end:
 * the duration, StatusAfter, the outputs' hashes as they are now, the
 * deliverable's identity and git HEAD. Throws {@linkcode InputError} for bad
 * arguments (named by their option) and a missing permission.
 *
 * @example
 * ```ts
 * import { captureStart, completeDraft } from "./hook.ts";
 * const start = await captureStart("DEL-01-02_Flow");
 * const { draft } = await completeDraft("DEL-01-02_Flow", start, {
 *   agent: "4_DOCUMENTS",
 *   status: "SUCCESS",
 *   outputs: ["Datasheet.md"],
 * });
 * console.log(draft.RunDuration);
 * ```
 */
export async function completeDraft(
  delDir: string,
  start: RunStartState,
  end: RunEnd,
): Promise<BuiltRecord> {
  checkCompleteArguments(delDir, start, end);
  requireBuildable(delDir);
  return await builtRecord(delDir, start, end);
}

/** {@linkcode completeDraft} once its arguments and permissions are checked. */
async function builtRecord(
  delDir: string,
  start: RunStartState,
  end: RunEnd,
  // What the caller knows already; `startUnseen`: no start was captured (emit), so StatusBefore is
  // the agent's word or TBD.
  known: { bounds?: ProjectBounds; lookups?: Lookups; startUnseen?: boolean } = {},
): Promise<BuiltRecord> {
  refuseEmptyPaths("outputs", end.outputs ?? []);
  // As the CLI's --agents-dir: a misspelt folder is refused, not a run checked against no profile.
  if (end.agentsDir !== undefined) requireFolder(end.agentsDir, end.agentsDir, "agentsDir");
  const dir = resolve(delDir);
  const measured = end.durationMs === undefined ? measuredDuration(start) : undefined;
  const durationMs = end.durationMs ?? measured!.ms;
  const [{ id, note: idNote }, outputs, after, head] = await Promise.all([
    deliverableId(dir),
    hashOutputs(
      dir,
      end.outputs ?? [],
      end.outputHashes ?? {},
      start.allowOutside === true,
      end.filesAtStart && end.foldersAtStart && {
        files: end.filesAtStart,
        folders: end.foldersAtStart,
        unlisted: end.foldersUnlistedAtStart,
        cwd: end.cwdAtStart,
      },
      known.bounds,
    ),
    readLifecycleState(join(dir, "_STATUS.md"), known.lookups?.folderEntries),
    // The folders up to the project's root are listed, and its `.git` judged, already (emit).
    gitHead(dir, known.lookups),
  ]);
  const notes = [...start.notes];
  // InputContextSHA is TBD then, and its reason goes into Notes (DESIGN CON-05); an input that
  // could not be read is named by its own note, inputs never captured (a finish from its token)
  // by the start's, a folder named that held no file by its input folder note.
  if (
    !start.inputsUnknown && Object.keys(start.inputHashes).length === 0 &&
    inputFoldersIn(start.notes.join(" | ")).length === 0
  ) {
    notes.push(NO_GOVERNED_INPUT);
  }
  if (measured?.note) notes.push(measured.note);
  // In a git work tree whose git folder cannot be read (the sandboxed build in a linked work tree):
  // GitHead is empty for want of a look, not for want of git (sandboxed-sweep F2).
  if (head === "" && checkoutOf(dir).head === UNKNOWN_HEAD) {
    notes.push("GitHead not read: this work tree's git folder is out of reach (empty)");
  }
  // The ID another folder of the root has too: its runs would share RunIDs, so a warning. Looked
  // for only when the ID is not the folder's (it reads other folders' records).
  const shared = idNote ? sharedIdWarning(dir, id) : undefined;
  const idNoted = shared ? `${idNote}; ${shared}` : idNote;
  if (idNoted) notes.push(idNoted);
  notes.push(...outputs.notes);
  // An output path is only a path: recorded as given, with a warning (as an input's is).
  const unfilled = (end.outputs ?? []).flatMap((p) => placeholderProblem("--output", p) ?? []);
  notes.push(...unfilled);
  // Unreadable at the start and at the end alike (`exec`): said once.
  const endProblem = "problem" in after ? after.problem : undefined;
  if (endProblem && !notes.includes(`at start: ${ownNote(dir, endProblem)}`)) {
    notes.push(endProblem);
  }
  // `_STATUS.md` is the authority; an agent's claim only stands in where it cannot be read.
  let statusAfter = after.state;
  let claimed: string | undefined;
  if (end.statusAfter !== undefined) {
    // _STATUS.md's state stands when it was read; else TBD (help-texts F3).
    const given = givenState(
      end.statusAfter,
      "--status-after",
      statusAfter === TBD ? TBD : `not used; StatusAfter is _STATUS.md's ${statusAfter}`,
    );
    if (given.problem) notes.push(given.problem);
    if (!given.problem) {
      claimed = given.state;
      if (statusAfter === TBD && claimed !== TBD) {
        statusAfter = claimed;
        // Not observed: the record says whose word it is (SCHEMA.md 4.3).
        notes.push(
          `StatusAfter ${claimed} as the agent gave it (--status-after): _STATUS.md unread`,
        );
      }
    }
  }
  // An agent's spelling must not cost its record: `success` is SUCCESS, an empty --error TBD,
  // and a host outcome word (FAILED_INPUTS, PASS, ...) its RunStatus, the word kept.
  const word = end.status.trim().toUpperCase();
  let status = RUN_STATUSES.find((s) => s === word) ?? end.status;
  let hostWordNote: string | undefined;
  let givenError = end.error;
  const host = HOST_OUTCOMES.find((o) => o.word === word);
  if (host) {
    // The agent's block may already lead its --error with the word: keep it once.
    const detail = (end.error ?? "").replace(new RegExp(`^${host.word}(?::\\s*|$)`), "");
    const mapped = mapOutcome(
      host.word,
      host.status === "FAILED" || host.status === "PARTIAL" ? detail : "",
    );
    status = mapped!.status;
    if (mapped!.error !== undefined) givenError = mapped!.error;
    if (mapped!.notes !== undefined) hostWordNote = mapped!.notes;
  }
  const needsError = status === "FAILED" || status === "PARTIAL";
  let error = givenError ?? (needsError ? TBD : "");
  if (needsError && error.trim() === "") {
    error = TBD;
    notes.push("--error was empty: recorded TBD");
  }
  if (!needsError && error !== "") {
    // SCHEMA.md 4.1: a SUCCESS or SKIPPED run has no ErrorSummary; what was said is kept.
    notes.push(`--error given for a ${status} run, kept here: ${error}`);
    error = "";
  }
  const draft: RecordDraft = {
    SchemaVersion: SCHEMA_VERSION,
    DeliverableID: id,
    AgentName: end.agent,
    AgentType: AGENT_TYPE,
    RunTimestamp: start.started,
    RunDuration: end.duration ?? formatDuration(Math.min(durationMs, MAX_DURATION_MS)),
    RunStatus: status,
    RunPassDirective: end.pass ?? "",
    InputContextSHA: contextShaOf(start.inputHashes),
    InputFiles: start.inputFiles,
    OutputFiles: Object.keys(outputs.hashes),
    StatusBefore: start.statusBefore,
    StatusAfter: statusAfter,
    ErrorSummary: error,
    // runrec's notes quote the agent's words (a kept --error, paths): those name no run either.
    Notes: [
      hostWordNote ?? "",
      agentText(localText(dir, end.notes ?? "")),
      ...notes.map((n) => recordedNote(dir, n)),
    ]
      .filter((n) => n !== "")
      .join(" | "),
    InputHashes: start.inputHashes,
    OutputHashes: outputs.hashes,
    GitHead: head,
    Host: hostname(),
  };
  // What the agent's profile says of this run: into Notes and warned about, never refused.
  const profile = findProfile(end.agent, dir, end.agentsDir, known.lookups);
  // A name runrec does not know (misspelt?) is warned of, not noted: the record keeps it as given.
  // Advice only, as the ID warning above: loading the edit distance may fail, the run may not.
  const unknown = profile === undefined
    ? await unknownAgentWarning(
      end.agent,
      dir,
      end.agentsDir,
      known.lookups,
      () => agentsRecordedIn(join(dir, RECORD_FILE)),
    ).catch(() => undefined)
    : undefined;
  const profileNotes = checkRun(profile, {
    runStatus: status,
    statusBefore: start.statusBefore,
    statusAfter,
    claimedStatusAfter: claimed,
    outputs: draft.OutputFiles,
  });
  draft.Notes = [draft.Notes, ...profileNotes.map((n) => recordedNote(dir, n))].filter((n) =>
    n !== ""
  )
    .join(" | ");
  draft.Notes = localText(dir, draft.Notes);
  checkDraft(draft);
  // RETIRED at the end of a run whose start was seen, and not at its start, is the run's doing.
  const retired = retiredWarning(dir, start.statusBefore, {
    statusAtEnd: known.startUnseen ? after.state : undefined,
    lookups: known.lookups,
  });
  const warned = [
    ...shared ? [idNoted!] : [],
    ...unknown ? [unknown] : [],
    ...retired ? [retired] : [],
    ...unfilled,
    ...outputs.warnings,
    ...profileNotes,
    ...miscasedWarnings((known.lookups?.folderEntries ?? folderEntries)(dir).keys()),
    ...miscasedRootWarnings(dir, known.lookups),
  ];
  return {
    draft,
    notes: notes.filter((n) =>
      !(shared && n === idNoted) && !unfilled.includes(n) && !outputs.warnings.includes(n)
    ).map((n) => ownNote(dir, n)),
    warnings: warned.map((n) => ownNote(dir, n)),
    ...unknown || retired || unfilled.length > 0 || outputs.warnings.length > 0
      ? { mayBeMistaken: true }
      : {},
  };
}

/** A record draft built for writing, with what runrec noted and warns about. */
export interface BuiltRecord {
  /** The draft. */
  draft: RecordDraft;
  /** Notes runrec added to the record (shown as `runrec: note:`). */
  notes: string[];
  /**
   * Warnings: notes also in the record (the agent's profile disagrees with the run), and an
   * agent name runrec does not know (not in the record).
   */
  warnings?: string[];
  /**
   * Whether a warning says the record may not be the run meant (an agent or a path misspelt):
   * once it is written, the write's warnings say how to take it back (trial-x F3).
   */
  mayBeMistaken?: boolean;
  /**
   * The highest SEQ of the record's minute where the record file ended at its run's start
   * (a started run's, saved by its start): the append reads only past that mark for its SEQ.
   */
  seqAtStart?: SeqAtStart;
  /**
   * Why the record is spooled beside the folder's file, not appended: git took the folder's files
   * away during its run (a checkout of a branch without the deliverable), where a file begun
   * would be that branch's, and would stop the checkout back.
   */
  spoolBecause?: string;
}

/**
 * A lifecycle state the caller gave, as `_STATUS.md`'s are read: any case and
 * spacing; anything else is `TBD` with a note saying what is recorded instead
 * (`recorded`), never a lost record.
 */
function givenState(
  value: string,
  option: string,
  recorded = TBD,
): { state: string; problem?: string } {
  const state = LIFECYCLE_STATES.find((s) => s === value.trim().toUpperCase());
  if (state) return { state };
  if (value === TBD) return { state: TBD };
  // The states named: a typo (`INITALIZED`) is plain beside them.
  const states = LIFECYCLE_STATES.filter((s) => s !== TBD).join(", ");
  return {
    state: TBD,
    problem: `${option} ${JSON.stringify(value)} is not a lifecycle state (${states}): ${recorded}`,
  };
}

/** Records are committed: notes name paths relative to the deliverable, not this machine's. */
function localText(dir: string, text: string): string {
  return text.replaceAll(`${dir}${SEP}`, "");
}

/** One of runrec's notes as recorded and shown: local, and on one line whatever names it holds. */
function ownNote(dir: string, note: string): string {
  return oneLine(localText(dir, note));
}

/**
 * One of runrec's notes as it goes into the record: local, on one line, and
 * the agent's words it quotes (a path, a kept `--error`) marked, so that they
 * never read as a machine note; made local first, so that cutting this
 * folder's path out of the Notes cannot join a phrase up again.
 */
function recordedNote(dir: string, note: string): string {
  return runrecNote(ownNote(dir, note));
}

/**
 * The draft of a one-step run (`emit`), and the notes runrec itself added to
 * it, once the caller has checked the report and the permissions. A
 * placeholder left unfilled is treated as `startRun` treats it: in a word
 * option (`--pass`, `--started`) the report's check refused it; in an
 * `--input` a warning, also noted.
 */
async function draftAndNotes(
  delDir: string,
  report: RunReport,
  lookups: MemoLookups,
): Promise<BuiltRecord> {
  requireFolder(resolve(delDir), delDir);
  const durationMs = runDurationMs(report);
  const started = runStart(report.started, durationMs);
  // Start and end are one moment here: one view of the project's folders, and its bounds once.
  const known = { lookups, bounds: projectBounds(delDir, undefined, lookups), startUnseen: true };
  // emit runs at the end: the state at start is only known when the agent says it.
  const start = await startState(delDir, {
    inputs: report.inputs,
    started,
    statusBefore: report.statusBefore ?? TBD,
    allowOutside: report.allowOutside,
  }, known);
  // A path is only a path: recorded as given (not found, TBD), with a warning.
  const unfilled = (report.inputs ?? []).flatMap((p) => placeholderProblem("--input", p) ?? []);
  start.notes.push(...unfilled);
  // A backfill says so: stale then knows why it is stamped before runs written earlier.
  const late = recordedLateNote(Date.parse(started) + durationMs, new Date());
  if (late !== undefined) start.notes.push(late);
  const built = await builtRecord(delDir, start, { ...report, durationMs }, known);
  const warned = new Set([
    ...unfilled.map((w) => ownNote(resolve(delDir), w)),
    ...start.warnings ?? [],
  ]);
  return {
    ...built,
    ...warned.size > 0 ? { mayBeMistaken: true } : {},
    notes: built.notes.filter((n) => !warned.has(n)), // shown once, as a warning
    warnings: [
      ...warned,
      ...defaultDurationWarning(delDir, report, built.draft),
      ...await inputsChangedSinceWarning(delDir, report, built.draft),
      ...built.warnings ?? [],
    ],
  };
}

/** The option that sets each field the caller gives, for error messages. */
const OPTION_OF: Partial<Record<string, string>> = {
  AgentName: "agent",
  RunStatus: "status",
  RunDuration: "duration",
  StatusBefore: "statusBefore",
  StatusAfter: "statusAfter",
  InputFiles: "inputs",
  OutputFiles: "outputs",
};

/**
 * Checks what a caller states about a run before it starts (agent name, pass
 * directive, status, error and notes text), as the record will be checked;
 * throws {@linkcode InputError} naming the option.
 *
 * @example
 * ```ts
 * import { checkRunArguments } from "./hook.ts";
 * checkRunArguments({ agent: "4_DOCUMENTS", status: "SUCCESS", pass: "FULL" });
 * ```
 */
export function checkRunArguments(end: RunEnd): void {
  checkDraft({
    SchemaVersion: SCHEMA_VERSION,
    DeliverableID: "DEL-01-01",
    AgentName: end.agent,
    AgentType: AGENT_TYPE,
    // Any valid time: the fields checked here are the agent's (the clock is checked at the start).
    RunTimestamp: "2026-01-01T00:00:00.000Z",
    RunDuration: "PT0S",
    RunStatus: end.status,
    RunPassDirective: end.pass ?? "",
    InputContextSHA: TBD,
    InputFiles: [],
    OutputFiles: [],
    StatusBefore: TBD,
    StatusAfter: TBD,
    ErrorSummary: end.error ?? "",
    Notes: end.notes ?? "",
    InputHashes: {},
    OutputHashes: {},
    GitHead: "",
    Host: hostname(),
  });
}

/** Validates a draft as the store will; bad input is named by its option. */
function checkDraft(draft: RecordDraft): void {
  // Readers take a record of that name for an annotation: one written here would skip every
  // check of annotate's (a supersede cycle, a second invalidation).
  if (draft.AgentName === ANNOTATION_AGENT) {
    throw new OptionError((name) =>
      `${name("agent")} ${ANNOTATION_AGENT}: reserved for annotations, which runrec annotate ` +
      "writes; name the agent that ran"
    );
  }
  const [first] = draftProblems(draft);
  if (!first) return;
  const option = OPTION_OF[first.field];
  if (option === undefined) {
    throw new InputError(`${first.field} ${first.message}`, { field: first.field });
  }
  // A word that starts as a status or host outcome word does (`SUCCES`, `sucess`, `PASSED`) was
  // most likely meant as that one (agent-trial F7).
  const start = draft.RunStatus.trim().slice(0, 3).toUpperCase();
  const meant = first.field === "RunStatus" && start.length === 3
    ? [...RUN_STATUSES, ...HOST_OUTCOMES.map((o) => o.word)].find((w) => w.startsWith(start))
    : undefined;
  const hint = meant !== undefined
    ? ` (did you mean ${meant}?)`
    : first.field === "AgentName"
    ? meantAgentName(draft.AgentName)
    : "";
  throw new OptionError((name) => `${name(option)} ${first.message}${hint}`);
}

function runDurationMs(report: RunReport): number {
  if (report.duration !== undefined && report.durationMs !== undefined) {
    throw new OptionError((name) => `give ${name("duration")} or ${name("durationMs")}, not both`);
  }
  if (report.duration !== undefined) {
    const problem = durationProblem(report.duration);
    if (problem) throw new OptionError((name) => `${name("duration")} ${problem}`);
    return parseDuration(report.duration)!;
  }
  if (report.durationMs !== undefined) {
    const ms = report.durationMs;
    if (!Number.isInteger(ms) || ms < 0 || ms > MAX_DURATION_MS) {
      throw new OptionError((name) =>
        `${name("durationMs")}: must be a whole number of milliseconds from 0 to ${MAX_DURATION_MS}`
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

/**
 * Builds the draft and appends it to the folder's `RunRecords.csv`. Unlike
 * {@linkcode recordRun}, which spools a record it cannot write, it throws.
 *
 * @throws {InputError} a bad argument, a missing folder or permission; nothing is written.
 * @throws {LockRefusedError} another writer holds the lock past the wait, or the lock file is
 * unusable.
 * @throws {WriteError} the record could not be written (a full disk, a read-only folder, the
 * lock file not made); `landed` says whether its bytes reached the file all the same.
 *
 * @example
 * ```ts
 * import { emitRecord } from "@runrec/runrec";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * const { record } = await emitRecord(dir, { agent: "DEPENDENCIES", status: "SUCCESS" });
 * console.log(record.RunID);
 * ```
 */
export async function emitRecord(
  delDir: string,
  report: RunReport,
  options: AppendOptions = {},
): Promise<AppendResult> {
  checkRunReport(delDir, report);
  checkWriteOptions(delDir, options, false); // AppendOptions: emitRecord never spools
  const lookups = memoLookups();
  requireRecordable(delDir, delDir, lookups);
  const { draft } = await draftAndNotes(delDir, report, lookups);
  return appendRecord(join(resolve(delDir), RECORD_FILE), draft, {
    holder: `runrec emit (${report.agent})`,
    ...options,
  });
}

/** What {@linkcode recordRun} did: written, or spooled, with warnings to show. */
export interface RunOutcome {
  /** The record as built, before the store gave it a RunID. */
  draft: RecordDraft;
  /**
   * What runrec noted in the record (unreadable inputs, skipped URLs, `_STATUS.md` problems): the
   * same whichever interface records the run, so an option is named as the CLI spells it
   * (`--input P`, `--status-before`, `--allow-outside`).
   */
  notes: string[];
  /** The append, when it succeeded. */
  written?: AppendResult;
  /** The record's bytes reached the file, but the write could not be confirmed. */
  unconfirmed?: boolean;
  /** That record, with its RunID (`unconfirmed`). */
  unconfirmedRecord?: RunRecord;
  /** The spool entry holding the record, when the append failed. */
  spooledTo?: string;
  /**
   * The lost-record line to print on stderr when the record could be neither
   * written nor spooled, or was spooled outside a deliverable folder that is
   * gone: saved to a file, {@linkcode replayLostRecords} appends it.
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
 * takes it, `lost` holds the line that carries it (no write access is such
 * a failed write too). Only bad input or a missing read or host-name
 * permission ({@linkcode InputError}) throws, before anything is written. A
 * record that repeats one the file holds (`sameRunAs`: a retried call) is
 * written, with a warning naming that record.
 *
 * @example
 * ```ts
 * import { recordRun } from "@runrec/runrec";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * const outcome = await recordRun(dir, { agent: "DEPENDENCIES", status: "SUCCESS" });
 * for (const warning of outcome.warnings) console.error(`runrec: warning: ${warning}`);
 * ```
 */
export async function recordRun(
  delDir: string,
  report: RunReport,
  options: RunOptions = {},
): Promise<RunOutcome> {
  checkRunReport(delDir, report);
  checkWriteOptions(delDir, options);
  await refuseMisspeltFolder(delDir);
  // The permission check lists each folder up to the project's root: the run asks them again.
  const lookups = memoLookups();
  requireBuildable(delDir, lookups);
  refuseLeftFolder(delDir, lookups);
  const built = await draftAndNotes(delDir, report, lookups);
  const writeOptions = { holder: `runrec emit (${report.agent})`, ...options };
  checkAppendOptions(writeOptions);
  const outcome = await writeBuilt(delDir, built, writeOptions);
  // A warning about this record names it once its RunID is known (written, not spooled).
  outcome.warnings.splice(
    0,
    outcome.warnings.length,
    ...withRunId(outcome.warnings, outcome.written?.record.RunID),
  );
  const repeated = outcome.written?.sameRunAs;
  if (repeated !== undefined) outcome.warnings.push(repeatWarning(delDir, outcome, repeated));
  outcome.warnings.push(
    ...pendingRunWarnings(delDir, report.agent, outcome.written?.record.RunID),
  );
  return outcome;
}

/**
 * What building a record needs: its project read, its root seen, the host
 * name known. Not write access: the run is over, and a record this process may
 * not write is a failed write like any other (spooled, or printed as a lost
 * record), never a lost one.
 */
function requireBuildable(delDir: string, lookups?: MemoLookups): void {
  requireReadable(delDir, delDir, lookups);
  requireRootInSight(delDir, delDir, lookups);
  requireHostname(delDir);
}

/**
 * Writes a built draft the way {@linkcode recordRun} does (replay the spool,
 * append, spool on failure, never throw for a failed write): the one write
 * path of `emit`, `finish`, `exec`, `reap` and `withRun`.
 *
 * @example
 * ```ts
 * import { captureStart, completeDraft, writeRun } from "./hook.ts";
 * const start = await captureStart("DEL-01-02_Flow");
 * const built = await completeDraft("DEL-01-02_Flow", start, { agent: "X", status: "SUCCESS" });
 * const outcome = await writeRun("DEL-01-02_Flow", built);
 * console.log(outcome.written?.record.RunID);
 * ```
 */
export async function writeRun(
  delDir: string,
  built: BuiltRecord,
  options: RunOptions = {},
): Promise<RunOutcome> {
  checkWriteArguments(delDir, built);
  checkAppendOptions(options); // a bad option is the caller's mistake: thrown, never spooled
  requireBuildable(delDir);
  return await writeBuilt(delDir, built, options);
}

/** Whether a spool entry may wait to be replayed by the next append into `delDir`'s file. */
function spoolMayHold(delDir: string): boolean {
  try {
    // The folders' names answer it: reading each entry would cost a finish the whole spool.
    return spoolFolders(delDir).some((folder) => {
      const { names, items } = spoolFolderNames(folder);
      return names.length > 0 || items.length > 0;
    });
  } catch {
    return true; // not listed here: the replay under the lock says why
  }
}

/** {@linkcode writeRun} once its arguments and permissions are checked. */
async function writeBuilt(
  delDir: string,
  built: BuiltRecord,
  options: RunOptions,
): Promise<RunOutcome> {
  const { spool = true, ...appendOptions } = options;
  const { draft, notes } = built;
  const file = join(resolve(delDir), RECORD_FILE);
  const outcome: RunOutcome = { draft, notes, replayed: [], warnings: [...built.warnings ?? []] };
  // A record of a started run is looked for in the file by its run's name under the lock: the
  // file is read before it, so that the lock waits only for what was appended since (scale37 F1).
  // A name known to lie past its run's start is looked for there alone (finish-40 F2), unless a
  // spool entry, replayed under the lock, is to be looked for too.
  const named = [...draft.Notes.matchAll(NAMED_RUNS)].map(([, id]) => `run ${id}`);
  if (named.length > 0) readNamedLines(file, spoolMayHold(delDir) ? undefined : named);
  // So is the SEQ of a minute before the file's latest, which the SEQ index does not keep
  // (scale37 F4): a run of this minute seldom is one (a clock behind another writer's). A
  // started run's is read past its start's mark under the lock instead (finish-40 F3).
  if (draft.RunTimestamp.slice(0, 16) < new Date().toISOString().slice(0, 16)) {
    readEarlierSeqs(file, runIdPrefix(draft.DeliverableID, draft.RunTimestamp), built.seqAtStart);
  }
  try {
    // Spooled as an append that failed is: the next append to the file once it is back replays it.
    if (built.spoolBecause !== undefined) throw new Error(built.spoolBecause);
    outcome.written = await withRecordFile(
      file,
      { holder: `runrec (${draft.AgentName})`, ...appendOptions },
      (writer) => {
        try {
          const replay = replayInto(writer, delDir);
          outcome.replayed = replay.replayed;
          outcome.warnings.push(...replay.failures, ...replay.repeats.map((r) => r.warning));
          for (const r of replay.alreadyRecorded) {
            outcome.warnings.push(
              `spool entry ${r.entry} not appended: run ${r.run} is recorded already, as ${r.runId}`,
            );
          }
        } catch (e) {
          outcome.warnings.push(`spool not replayed: ${firstLine(e)}`);
        }
        const written = writer.append(draft, built.seqAtStart);
        if (written.unjournalled !== undefined) {
          // Not silent: a later git drop of it would be, every time (env-signals F7).
          outcome.warnings.push(
            `${written.record.RunID} is written, but could not be noted in ` +
              `${journalPath(writer.path)} (${written.unjournalled}): a git pull or checkout ` +
              "that drops it before it is committed will not be undone; commit it first, or " +
              "make that folder writable to whoever appends here",
          );
        }
        if (written.journalUnsynced !== undefined) {
          outcome.warnings.push(
            `${written.record.RunID} is written and noted in ${journalPath(writer.path)}, but ` +
              `the note's fsync failed (${written.journalUnsynced}): after a power cut, a git ` +
              "command that drops the record may not be undone; commit it first",
          );
        }
        if (written.alreadyRecorded) {
          outcome.warnings.push(
            `this run is recorded already, as ${written.record.RunID}: not appended again`,
          );
        } else if (built.mayBeMistaken) {
          outcome.warnings.push(
            "if a warning above means this record is not the run meant (a misspelt agent or " +
              `path), take it back: runrec annotate ${pathArgument(delDir)} ` +
              `${written.record.RunID} --invalidates --note "recorded in error", then record ` +
              "the run as meant",
          );
        }
        return written;
      },
    );
  } catch (e) {
    if (e instanceof InputError) throw e;
    const reason = firstLine(e);
    if (e instanceof WriteError && e.landed) {
      // The bytes are in the file: spooling it would write it twice.
      outcome.unconfirmed = true;
      if (e.record !== undefined) outcome.unconfirmedRecord = e.record;
      const which = e.record === undefined ? "record" : e.record.RunID;
      outcome.warnings.push(`${which} written but not confirmed: ${reason}`);
    } else if (!spool) {
      outcome.warnings.push(`record not written: ${reason}`);
    } else {
      const entry = newSpoolEntry(file, draft, reason);
      try {
        const spooled = spoolRecord(delDir, entry);
        outcome.spooledTo = spooled.path;
        // A folder that is gone may never come back (a removed worktree): the record goes out
        // as a lost-record line too, for the orchestrator to keep; one entry id, so whichever is
        // replayed first appends it and the other finds it there.
        if (isGone(delDir)) outcome.lost = lostRecordLine(entry);
        const passedOver = spooled.skipped.map((s) => ` (not in ${s})`).join("");
        outcome.warnings.push(
          `record not written (${reason}); spooled to ${spooled.path}${passedOver}` +
            (spooled.caution ? `; ${spooled.caution}` : ""),
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
