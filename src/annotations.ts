/**
 * Annotations (REQ-03): a superseded or invalid run is annotated, never
 * removed. An annotation is itself a record line in `RunRecords.csv`,
 * appended through the store like any record (so K-APPEND-1, the lock, the
 * checksum and `verify` cover it), with AgentName `RUNREC_ANNOTATE`,
 * RunStatus `SKIPPED`, and Notes of the form
 *
 * ```text
 * annotates=<RUNID>; invalidates; note=<text>
 * annotates=<RUNID>; supersedes=<OLD RUNID>; note=<text>
 * annotates=<RUNID>; note=<text>
 * ```
 *
 * followed by ` | record <RUNID> checksum <16 hex>` for each run it names:
 * the start of that record's RecordChecksum, so that a RunID two clones both
 * allocated in one minute (SCHEMA.md 3.3) cannot make it mark another record.
 *
 * An annotation is withdrawn by invalidating it (`annotates=<ANNOTATION RUNID>;
 * invalidates; ...`): {@linkcode annotationsIn} then leaves it out, and
 * `annotationConflict` refuses repeats and supersede cycles.
 *
 * One run supersedes another by its own Notes: a run its agent finished
 * after `reap` wrote it as FAILED says `finished after reap: supersedes=<RUNID>`
 * among runrec's notes, so that it is linked even when it was spooled and
 * appended later. See docs/SCHEMA_EVOLUTION.md ("Annotations").
 *
 * @module
 */
import { clockStamp } from "./time.ts";
import { agentText } from "./agent_notes.ts";
import { join } from "./path.ts";
import { LATE_FINISH, recordKey } from "./late_finish.ts";
import { deliverableId, RECORD_FILE, requireFolder } from "./deliverable.ts";
import { InputError, type InputErrorOptions } from "./errors.ts";
import { checkAnnotationOptions } from "./argument_checks.ts";
import {
  checkPathArgument,
  checkRecordArgument,
  checkRecordsArgument,
  shownValue,
} from "./argument_kinds.ts";
import { requireRecordable } from "./required_permissions.ts";
import { hostname } from "./lock.ts";
import { inputContextSha } from "./manifest.ts";
import { firstCopies, type ReadEnd, readRecords, readRecordsOn } from "./reader.ts";
import { ownCopy } from "./codec.ts";
import {
  AGENT_TYPE,
  FIELDS,
  RUN_ID_SYNTAX,
  type RunRecord,
  SCHEMA_VERSION,
  TBD,
} from "./schema.ts";
import { withRecordFile } from "./store.ts";
import { formerKeys, RENUMBERED } from "./record_limits.ts";
import {
  type AppendOptions,
  checkAppendOptions,
  type RecordDraft,
  WriteError,
} from "./append_types.ts";

export { lateFinishNote } from "./late_finish.ts";

/** The AgentName of annotation records. */
export const ANNOTATOR = "RUNREC_ANNOTATE";

/** What an annotation says about the run it is filed under. */
export type AnnotationKind = "note" | "invalidated" | "superseded" | "supersedes";

/** One annotation of one run. */
export interface Annotation {
  /** The RunID of the annotation record itself (of the superseding run, for a late finish). */
  annotationId: string;
  /** When it was made (the annotation record's RunTimestamp). */
  timestamp: string;
  /** `invalidated`, `superseded` (by `other`), `supersedes` (`other`) or a plain `note`. */
  kind: AnnotationKind;
  /** For `superseded`: the newer run; for `supersedes`: the older run. */
  other?: string;
  /**
   * The start of the RecordChecksum of `other`'s record, when the annotation
   * names one: which of two records sharing that RunID it means.
   */
  otherTarget?: string;
  /**
   * The RunID `other`'s record has now, when a put-back gave it a new one after the annotation
   * was written: `other` is another record's RunID then.
   */
  otherNow?: string;
  /** The free text given with `--note`. */
  note: string;
  /**
   * The start of the RecordChecksum of the record it is about, when the
   * annotation names one; without it, it is about every record of the RunID
   * (see {@linkcode annotationsFor}).
   */
  target?: string;
}

const NOTES_PATTERN =
  /^annotates=(RUN-[A-Z0-9-]+); (?:(invalidates); |supersedes=(RUN-[A-Z0-9-]+); )?note=([\s\S]*)$/;

/**
 * runrec's note naming the record an annotation is about, after the note text (an old reader
 * takes it as part of that text, so it reads the annotation as before, by RunID).
 */
const RECORD_KEY = / \| record (RUN-[A-Z0-9-]+) checksum ([0-9a-f]{16,64})(?= \| |$)/g;

/**
 * ` | record ` in a note's own text, after any `(note) ` marks: the writer adds one mark and the
 * reader takes one away, so no text given with `--note` reads as runrec's {@linkcode RECORD_KEY}.
 */
const MARKED_KEY = / \| ((?:\(note\) )*)record(?= )/g;

/**
 * The Notes of an annotation record. `checksums` gives the RecordChecksum of
 * each record it names, by RunID: each is named by its first 16 hex digits, so
 * that a record of another clone with the same RunID is not meant. A part of
 * `note` that would read as such a name is marked `(note) `; one that would
 * read as a pending run's id or a machine note, `(agent) ` (./agent_notes.ts).
 *
 * @example
 * ```ts
 * import { annotationNotes } from "./annotations.ts";
 * annotationNotes("RUN-DEL-01-02-20260222-1015-001", { invalidates: true }, "wrong inputs", {
 *   "RUN-DEL-01-02-20260222-1015-001": "3f9a0c1e5b2d4f68".padEnd(64, "0"),
 * });
 * // "annotates=RUN-DEL-01-02-20260222-1015-001; invalidates; note=wrong inputs | record RUN-DEL-01-02-20260222-1015-001 checksum 3f9a0c1e5b2d4f68"
 * ```
 */
export function annotationNotes(
  runId: string,
  effect: { invalidates?: boolean; supersedes?: string },
  note: string,
  checksums: Readonly<Record<string, string>> = {},
): string {
  const middle = effect.invalidates
    ? "invalidates; "
    : effect.supersedes !== undefined
    ? `supersedes=${effect.supersedes}; `
    : "";
  // A pending run's id (`; run <id>`) or a machine note in it is the annotator's word, not runrec's.
  const text = agentText(note).replace(MARKED_KEY, " | (note) $1record");
  const keys = [runId, ...(effect.supersedes === undefined ? [] : [effect.supersedes])]
    .filter((id) => checksums[id] !== undefined)
    .map((id) => recordKey(id, checksums[id]));
  return `annotates=${runId}; ${middle}note=${text}${keys.join("")}`;
}

/**
 * An annotation `annotationConflict` refused when it was weighed
 * under the append lock: nothing was written.
 *
 * @example
 * ```ts
 * import { AnnotationRefused } from "@runrec/runrec";
 * const error = new AnnotationRefused("X is already invalidated by annotation Y", "Y");
 * console.log(error.withdraw); // "Y"
 * ```
 */
export class AnnotationRefused extends InputError {
  /** The existing annotation whose withdrawal would make way for this one, if any. */
  readonly withdraw?: string;
  /** Creates the error with a one-line message, and where it is at fault (the record file). */
  constructor(message: string, withdraw?: string, options?: InputErrorOptions) {
    super(message, options);
    this.name = "AnnotationRefused";
    this.withdraw = withdraw;
  }
}

/**
 * What an annotation says of the run it annotates: that it is invalid, that
 * it supersedes the run `supersedes`, or neither (a plain note). `record` and
 * `supersedesRecord` say which record `runId` and `supersedes` mean, by the
 * start of its RecordChecksum (16 or more hex digits): needed only where a
 * RunID names several records (two clones, one minute: SCHEMA.md 3.3).
 */
export interface AnnotationEffect {
  /** The run is invalid, or, for an annotation's RunID, the annotation is withdrawn. */
  invalidates?: boolean;
  /** The RunID of the run this run supersedes. */
  supersedes?: string;
  /** The start of the RecordChecksum of the record `runId` means. */
  record?: string;
  /** The start of the RecordChecksum of the record `supersedes` means. */
  supersedesRecord?: string;
}

/**
 * Appends an annotation of the run `runId` to `delDir`'s `RunRecords.csv`
 * and returns the annotation record as written. It reads the file before it
 * takes the append lock and, under the lock, the lines appended since (the
 * whole file again when it was not only appended to: replaced, rewritten,
 * cut short), so that appends meanwhile do not wait for a long history to be
 * read; it throws {@linkcode AnnotationRefused} when `annotationConflict`
 * refuses the annotation, weighed under the lock, so two annotations made at
 * once cannot both invalidate one run, and when the file holds no record of
 * a run it names (an annotation could never be taken back). It throws
 * {@linkcode InputError}, before anything is written, for what `runrec
 * annotate` refuses as usage: a `runId` or `effect.supersedes` that is not
 * a RunID, both effects at once, a run superseding itself, an empty note,
 * and a missing `--allow-write` or `--allow-sys=hostname` (naming the flag).
 * A RunID that names several records is refused unless `effect.record`
 * (`effect.supersedesRecord`) picks one; so is a pick that matches no record
 * of that RunID.
 *
 * @example
 * ```ts
 * import { appendAnnotation, recordRun } from "@runrec/runrec";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * const { written } = await recordRun(dir, { agent: "4_DOCUMENTS", status: "SUCCESS" });
 * const record = await appendAnnotation(
 *   dir,
 *   written!.record.RunID, // or one runrec log lists: RUN-DEL-01-02-20260222-1015-001
 *   { invalidates: true },
 *   "ran on the wrong decomposition",
 * );
 * console.log(record.RunID);
 * ```
 */
export async function appendAnnotation(
  delDir: string,
  runId: string,
  effect: AnnotationEffect,
  note: string,
  options: AppendOptions = {},
): Promise<RunRecord> {
  checkAnnotation(delDir, runId, effect, note, options);
  checkAppendOptions(options); // before the read: a caller's mistake is said at once
  requireRecordable(delDir);
  // As the CLI's annotate: a folder gone is said so, not "no deliverable ID" of its name.
  requireFolder(delDir);
  const file = join(delDir, RECORD_FILE);
  const draft: RecordDraft = {
    SchemaVersion: SCHEMA_VERSION,
    DeliverableID: deliverableId(delDir).id,
    AgentName: ANNOTATOR,
    AgentType: AGENT_TYPE,
    RunTimestamp: clockStamp(),
    RunDuration: "PT0S",
    RunStatus: "SKIPPED",
    RunPassDirective: "ANNOTATE",
    InputContextSHA: inputContextSha({}),
    InputFiles: [],
    OutputFiles: [],
    StatusBefore: TBD,
    StatusAfter: TBD,
    ErrorSummary: "",
    Notes: "", // under the lock: it names the records it annotates, as they are then
    InputHashes: {},
    OutputHashes: {},
    GitHead: "",
    Host: hostname(),
  };
  // The long read before the lock, so that appends meanwhile wait for none of it (scale-sweep F5);
  // under the lock, only what was appended since is read and weighed (all of it again when the
  // file was not only appended to).
  const named = [runId, ...(effect.supersedes === undefined ? [] : [effect.supersedes])];
  const history = await readHistory(file);
  let bearing = new Bearing(named).update(history.sources);
  return await withRecordFile(file, { holder: `runrec (${ANNOTATOR})`, ...options }, async (w) => {
    // What a git command dropped is put back first: it may be this annotation, made before and
    // dropped by a checkout, which a repeat must find (else it is written twice).
    const putBack = w.restoreDropped();
    const unwritten = putBack.length === 0
      ? "nothing written"
      : `nothing written but put back ${putBack.join(" ")}, which a git command had dropped`;
    const now = await readHistory(file, history);
    if (now.fromStart) bearing = new Bearing(named);
    const sources = bearing.update(now.sources).sources;
    const checksums = checksumsOf(file, sources, runId, effect);
    draft.Notes = annotationNotes(runId, effect, note, checksums);
    const conflict = annotationConflict(sources, runId, effect, checksums);
    if (conflict) {
      throw new AnnotationRefused(`${file}: ${conflict.message}; ${unwritten}`, conflict.withdraw, {
        path: file,
      });
    }
    // The same annotation of the same record, in force: an annotate retried (its answer lost, or
    // killed after its write) would say it twice (retry-sweep F4). Notes a writer added after
    // it (a lock recovered) do not make it another.
    const inForce = annotationsIn(sources);
    const repeat = sources.find((s) =>
      isAnnotation(s) && (s.Notes === draft.Notes || s.Notes!.startsWith(`${draft.Notes} | `)) &&
      !(inForce.get(s.RunID) ?? []).some((a) => a.kind === "invalidated")
    );
    if (repeat) {
      throw new AnnotationRefused(
        `${file}: ${runId} is annotated so already, by annotation ${repeat.RunID} (a retried ` +
          `annotate?); ${unwritten}`,
        undefined,
        { path: file },
      );
    }
    try {
      return w.append(draft).record;
    } catch (e) {
      if (!(e instanceof WriteError) || !e.landed) throw e;
      throw new AnnotationUnconfirmed(e.message, await landedAnnotation(file, draft), e);
    }
  });
}

/**
 * Throws {@linkcode InputError} for an annotation that would be written but
 * annotate nothing (a RunID no reader matches, an empty note) or drop half
 * of what it was asked (both effects): the store is append-only, so such a
 * record could never be taken back. The same rules as `runrec annotate`'s.
 */
function checkAnnotation(
  delDir: unknown,
  runId: unknown,
  effect: unknown,
  note: unknown,
  options: unknown,
): void {
  checkPathArgument(delDir, "delDir");
  checkAnnotationOptions(delDir, effect, options);
  const { invalidates, supersedes, record, supersedesRecord } = effect as AnnotationEffect;
  for (const [name, prefix] of [["record", record], ["supersedesRecord", supersedesRecord]]) {
    if (prefix !== undefined && !CHECKSUM_START.test(prefix)) {
      throw new InputError(
        `${delDir}: effect.${name}: ${JSON.stringify(prefix)} is not the start of a ` +
          "RecordChecksum (16 to 64 lowercase hex digits)",
        { field: `effect.${name}` },
      );
    }
  }
  if (supersedesRecord !== undefined && supersedes === undefined) {
    throw new InputError(`${delDir}: effect.supersedesRecord: given without effect.supersedes`, {
      field: "effect.supersedesRecord",
    });
  }
  const notRunId = (name: string, id: unknown) =>
    new InputError(
      `${delDir}: ${name}: ${JSON.stringify(id)} is not a RunID (RUN-DEL-XX-YY-YYYYMMDD-HHmm-SEQ)`,
      { field: name },
    );
  if (typeof runId !== "string" || !RUN_ID_SYNTAX.test(runId)) throw notRunId("runId", runId);
  if (invalidates && supersedes !== undefined) {
    throw new InputError(
      `${delDir}: effect: invalidates and supersedes contradict each other; give one`,
      { field: "effect" },
    );
  }
  if (supersedes !== undefined) {
    if (!RUN_ID_SYNTAX.test(supersedes)) throw notRunId("effect.supersedes", supersedes);
    if (supersedes === runId) {
      throw new InputError(`${delDir}: effect.supersedes: a run cannot supersede itself`, {
        field: "effect.supersedes",
      });
    }
  }
  if (typeof note !== "string") {
    throw new InputError(`${delDir}: note: must be a string, got ${shownValue(note)}`, {
      field: "note",
    });
  }
  if (note.trim() === "") {
    throw new InputError(`${delDir}: note: a reason is required (why the run is annotated)`, {
      field: "note",
    });
  }
}

/** The start of a RecordChecksum that names one record: as many digits as an annotation writes, or more. */
const CHECKSUM_START = /^[0-9a-f]{16,64}$/;

/**
 * The RecordChecksum of each run an annotation names, by RunID, for
 * {@linkcode annotationNotes}: the one record of the RunID, or the one
 * `effect.record` (`effect.supersedesRecord`) picks. Throws
 * {@linkcode AnnotationRefused} for a RunID that names no record of the file,
 * for one that names several and no pick (which one is meant cannot be
 * told), and for a pick that matches no record of its RunID.
 */
function checksumsOf(
  file: string,
  sources: readonly AnnotationSource[],
  runId: string,
  effect: AnnotationEffect,
): Record<string, string> {
  const checksums: Record<string, string> = {};
  const named: [string | undefined, string | undefined, string][] = [
    [runId, effect.record, "effect.record"],
    [effect.supersedes, effect.supersedesRecord, "effect.supersedesRecord"],
  ];
  for (const [id, pick, option] of named) {
    if (id === undefined) continue;
    const all = [...new Set(sources.filter((r) => r.RunID === id).map((r) => r.RecordChecksum))];
    const found = all.filter((checksum) => pick === undefined || checksum.startsWith(pick));
    if (pick !== undefined && found.length === 0) {
      throw new AnnotationRefused(
        `${file}: ${option}: no record of ${id} has a RecordChecksum starting ${pick}; ` +
          "nothing written",
        undefined,
        { path: file, field: option },
      );
    }
    if (found.length === 0) {
      throw new AnnotationRefused(`${file}: no record of ${id} in it; nothing written`, undefined, {
        path: file,
      });
    }
    if (found.length > 1) {
      throw new AnnotationRefused(
        `${file}: ${id} names ${found.length} records (runs recorded in the same minute on two ` +
          `branches, SCHEMA.md 3.3): give the start of the RecordChecksum of the one meant ` +
          `(${option}); nothing written`,
        undefined,
        { path: file, field: option },
      );
    }
    checksums[id] = found[0];
  }
  return checksums;
}

/**
 * An annotation whose bytes reached the record file but whose fsync or
 * read-back failed: it is written, and must not be appended again.
 * `record` is the annotation as found in the file, when it could be read.
 *
 * @example
 * ```ts
 * import { AnnotationUnconfirmed, appendAnnotation } from "./annotations.ts";
 * try {
 *   await appendAnnotation("DEL-01-02_X", "RUN-DEL-01-02-20260222-1015-001", {}, "checked");
 * } catch (e) {
 *   if (!(e instanceof AnnotationUnconfirmed)) throw e;
 *   console.error(`annotation ${e.record?.RunID ?? ""} written but not confirmed: do not repeat it`);
 * }
 * ```
 */
export class AnnotationUnconfirmed extends WriteError {
  /**
   * Builds the error from the store's `WriteError` (whose `landed` is true);
   * `record`: the annotation as read back from the file, when it could be.
   */
  constructor(message: string, record: RunRecord | undefined, cause: WriteError) {
    super(message, { cause, landed: true, ...(record === undefined ? {} : { record }) });
    this.name = "AnnotationUnconfirmed";
  }
}

/** The annotation `draft` as it landed in `file` (its RunID is the store's), if it can be read. */
async function landedAnnotation(file: string, draft: RecordDraft): Promise<RunRecord | undefined> {
  try {
    for await (const event of readRecords(file)) {
      if (event.kind !== "record") continue;
      const r = event.record;
      // The draft's timestamp (to the millisecond), host and Notes tell it from any other;
      // the lock's recovery notes may follow its Notes.
      if (
        r.AgentName === ANNOTATOR && r.RunTimestamp === draft.RunTimestamp &&
        r.Host === draft.Host && r.Notes.startsWith(draft.Notes)
      ) return r;
    }
  } catch { /* unreadable now: the RunID stays unknown */ }
  return undefined;
}

/**
 * Whether a record is an annotation rather than a run. Throws
 * {@linkcode InputError} for a `record` that is not an object.
 *
 * @example
 * ```ts
 * import { appendAnnotation, isAnnotation, readRecords, recordRun } from "@runrec/runrec";
 *
 * const root = await Deno.makeTempDir();
 * const dir = `${root}/DEL-01-02_Flow_Meter`;
 * await Deno.mkdir(dir);
 * const { written } = await recordRun(dir, { agent: "4_DOCUMENTS", status: "SUCCESS" });
 * await appendAnnotation(dir, written!.record.RunID, {}, "checked by hand");
 * for await (const event of readRecords(`${dir}/RunRecords.csv`)) {
 *   if (event.kind === "record") console.log(isAnnotation(event.record)); // false, then true
 * }
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function isAnnotation(record: AnnotationSource): boolean {
  checkRecordArgument(record, "record");
  return record.AgentName === ANNOTATOR && NOTES_PATTERN.test(record.Notes ?? "");
}

/**
 * What {@linkcode annotationsIn} reads of a record: the whole of one that
 * annotates, the RunID and RecordChecksum of any other (to tell which RunIDs
 * name several records).
 */
export type AnnotationSource =
  & Pick<RunRecord, "RunID" | "RecordChecksum">
  & Partial<Pick<RunRecord, "AgentName" | "RunTimestamp" | "Notes">>;

/**
 * What {@linkcode annotationsIn} needs of `record`: the record itself when it
 * says anything it reads (an annotation, or a run whose Notes hold
 * `lateFinishNote`), else its RunID and RecordChecksum only. Given
 * these for every record, it answers as given every record, so a reader of a
 * large file need hold no run whole.
 *
 * @example
 * ```ts
 * import { annotationSource, annotationsIn } from "./annotations.ts";
 * declare const records: import("./schema.ts").RunRecord[];
 * const annotations = annotationsIn(records.map(annotationSource));
 * ```
 */
export function annotationSource(record: RunRecord): AnnotationSource {
  // A record a put-back renumbered, whole too: its former RunIDs (`keysOf`) are read from it.
  if (statementOf(record) !== undefined || keysOf(record).length > 1) return record;
  // Both copied: a source held per record must not hold its line (mem-39 F1).
  return { RunID: ownCopy(record.RunID), RecordChecksum: ownCopy(record.RecordChecksum) };
}

/**
 * The RunIDs an annotation record (or a late-finish note) names, whose other
 * records {@linkcode annotationsIn} weighs (a RunID that names several
 * records); `undefined` for a record that says nothing it reads. Given the
 * `annotationSource` of every record that says something and of every
 * record of the RunIDs they name, it answers as given every record: a
 * reader can gather those in a second read instead of holding a source of
 * every record.
 *
 * @example
 * ```ts
 * import { runIdsNamedBy } from "./annotations.ts";
 * declare const record: import("./schema.ts").RunRecord;
 * if (runIdsNamedBy(record) === undefined) console.log("a plain run");
 * ```
 */
export function runIdsNamedBy(record: AnnotationSource): string[] | undefined {
  const statement = statementOf(record);
  if (statement === undefined) return undefined;
  return statement.older ? [statement.subject, statement.older.runId] : [statement.subject];
}

function add(map: Map<string, Annotation[]>, runId: string, annotation: Annotation): void {
  const list = map.get(runId);
  if (list) list.push(annotation);
  else map.set(runId, [annotation]);
}

/** What one annotation record (or a late-finish note) says, before withdrawals are applied. */
interface Statement {
  /** The RunID it is about. */
  subject: string;
  annotation: Annotation;
  /** For `supersedes`: the annotation filed under the older run. */
  older?: { runId: string; annotation: Annotation };
  /** The record that says it, when that is an annotation record (which can be withdrawn). */
  source?: AnnotationSource;
}

function statementOf(record: AnnotationSource): Statement | undefined {
  const { Notes, AgentName } = record;
  if (Notes === undefined) return undefined;
  const base = { annotationId: record.RunID, timestamp: record.RunTimestamp ?? "" };
  if (AgentName !== ANNOTATOR) {
    const late = LATE_FINISH.exec(Notes);
    if (late === null) return undefined;
    const note = "finished after reap wrote it as FAILED";
    return {
      // The run names itself; the reaped run by RunID and checksum (by RunID alone before).
      subject: record.RunID,
      annotation: {
        ...base,
        note,
        kind: "supersedes",
        other: late[1],
        target: record.RecordChecksum,
        ...(late[2] === undefined ? {} : { otherTarget: late[2] }),
      },
      older: {
        runId: late[1],
        annotation: {
          ...base,
          note,
          kind: "superseded",
          other: record.RunID,
          otherTarget: record.RecordChecksum,
          ...(late[2] === undefined ? {} : { target: late[2] }),
        },
      },
    };
  }
  const match = NOTES_PATTERN.exec(Notes);
  if (!match) return undefined;
  const [, subject, invalidates, supersedes, text] = match;
  const keys = new Map([...text.matchAll(RECORD_KEY)].map(([, id, checksum]) => [id, checksum]));
  const note = text.replace(RECORD_KEY, "").replace(
    MARKED_KEY,
    (_, marks: string) => ` | ${marks.slice("(note) ".length)}record`,
  );
  const at = (id: string) => keys.has(id) ? { target: keys.get(id) } : {};
  const otherAt = (id: string) => keys.has(id) ? { otherTarget: keys.get(id) } : {};
  const source = record;
  if (invalidates) {
    return { subject, source, annotation: { ...base, note, kind: "invalidated", ...at(subject) } };
  }
  if (!supersedes) {
    return { subject, source, annotation: { ...base, note, kind: "note", ...at(subject) } };
  }
  return {
    subject,
    source,
    annotation: {
      ...base,
      note,
      kind: "supersedes",
      other: supersedes,
      ...at(subject),
      ...otherAt(supersedes),
    },
    older: {
      runId: supersedes,
      annotation: {
        ...base,
        note,
        kind: "superseded",
        other: subject,
        ...at(supersedes),
        ...otherAt(subject),
      },
    },
  };
}

/** Whether an annotation naming `target` (or no record) is about the record `checksum`. */
function isAbout(target: string | undefined, checksum: string): boolean {
  return target === undefined || checksum.startsWith(target);
}

/**
 * The RunIDs and checksums `record` is known by: its own and, for a whole record put back under a
 * new RunID, those it had before (leftovers-52 1), which an annotation made then names. A source
 * holding some fields alone (an {@linkcode AnnotationSource}) cannot be encoded again: its own.
 */
function keysOf(record: Pick<RunRecord, "RunID" | "RecordChecksum">): RecordKey[] {
  const fields = record as Partial<Record<string, unknown>>;
  const notes = fields.Notes;
  if (typeof notes !== "string" || !notes.endsWith(`(${RENUMBERED})`)) return [record];
  const whole = FIELDS.every(({ name }) => fields[name] !== undefined);
  return whole ? [record, ...formerKeys(record as RunRecord)] : [record];
}

/** A record's RunID and RecordChecksum. */
type RecordKey = Pick<RunRecord, "RunID" | "RecordChecksum">;

/**
 * The annotations that apply, the lines of {@linkcode ambiguousAnnotations}, and the annotations
 * as the supersede graph needs them ({@linkcode filedNow}).
 */
interface Resolved {
  annotations: Map<string, Annotation[]>;
  ambiguous: string[];
  now: Map<string, Annotation[]>;
}

/** Records a put-back renumbered, by each RunID they had: the checksum then and the RunID now. */
type Renumbered = ReadonlyMap<string, readonly { checksum: string; runId: string }[]>;

function resolve(sources: Iterable<AnnotationSource>): Resolved {
  const statements: Statement[] = [];
  // The first record of each RunID, and the records of those that name several (few).
  const firstOf = new Map<string, string>();
  const collided = new Map<string, Set<string>>();
  // By each RunID and checksum an annotation record is known by (its own, and any it had
  // before a put-back renumbered it): a withdrawal names the one it had then.
  const annotationRecords = new Map<
    string,
    { statement: Statement; checksum: string; former: boolean }[]
  >();
  // Records a put-back renumbered, by each RunID they had: an annotation's `other` names one so.
  const renumbered = new Map<string, { checksum: string; runId: string }[]>();
  for (const source of sources) {
    checkRecordArgument(source, "records");
    const { RunID, RecordChecksum } = source;
    for (const former of keysOf(source).slice(1)) {
      const known = { checksum: former.RecordChecksum, runId: RunID };
      renumbered.set(former.RunID, [...(renumbered.get(former.RunID) ?? []), known]);
    }
    const first = firstOf.get(RunID);
    if (first === undefined) firstOf.set(RunID, RecordChecksum);
    else if (first !== RecordChecksum) {
      collided.set(RunID, (collided.get(RunID) ?? new Set([first])).add(RecordChecksum));
    }
    const statement = statementOf(source);
    if (!statement) continue;
    statements.push(statement);
    if (statement.source) {
      for (const [index, { RunID, RecordChecksum }] of keysOf(source).entries()) {
        const known = { statement, checksum: RecordChecksum, former: index > 0 };
        annotationRecords.set(RunID, [...(annotationRecords.get(RunID) ?? []), known]);
      }
    }
  }
  // A key-less annotation (written before annotations named their record) of a RunID that
  // names several records: it marks each of them, and withdraws none (no false CLEAN).
  const keyless = new Map<string, Statement[]>();
  const unresolved = (id: string, a: Annotation, statement: Statement) => {
    if ((collided.get(id)?.size ?? 0) < 2 || a.target !== undefined) return false;
    keyless.set(id, [...(keyless.get(id) ?? []), statement]);
    return true;
  };
  // Withdrawals: the annotation records that invalidate each annotation record.
  const withdrawals = new Map<Statement, Statement[]>();
  for (const statement of statements) {
    const { subject, annotation, older } = statement;
    if (older) unresolved(older.runId, older.annotation, statement);
    if (unresolved(subject, annotation, statement) || annotation.kind !== "invalidated") continue;
    for (const { statement: withdrawn, checksum, former } of annotationRecords.get(subject) ?? []) {
      // A key-less withdrawal is of its RunID's record alone, as in `annotationsFor`.
      if (former && annotation.target === undefined) continue;
      if (!isAbout(annotation.target, checksum)) continue;
      withdrawals.set(withdrawn, [...(withdrawals.get(withdrawn) ?? []), statement]);
    }
  }
  const verdicts = new Map<Statement, boolean>();
  const applies = (statement: Statement): boolean => {
    const known = verdicts.get(statement);
    if (known !== undefined) return known;
    // Only a hand-edited file holds a withdrawal loop; it is cut where first met (file order).
    verdicts.set(statement, true);
    const verdict = !(withdrawals.get(statement) ?? []).some(applies);
    verdicts.set(statement, verdict);
    return verdict;
  };
  const withOtherNow = (a: Annotation): Annotation => {
    const now = a.otherTarget === undefined
      ? undefined
      : renumbered.get(a.other!)?.find((r) => r.checksum.startsWith(a.otherTarget!));
    return now === undefined ? a : { ...a, otherNow: now.runId };
  };
  const annotations = new Map<string, Annotation[]>();
  for (const statement of statements) {
    if (!applies(statement)) continue;
    add(annotations, statement.subject, withOtherNow(statement.annotation));
    if (statement.older) {
      add(annotations, statement.older.runId, withOtherNow(statement.older.annotation));
    }
  }
  // Said of those still in force: one withdrawn marks nothing (annotate-sweep F3).
  const inForce = [...keyless].map(([id, by]) =>
    [id, [
      ...new Set(by.filter(applies).map((st) => st.source?.RunID ?? st.annotation.annotationId)),
    ]] as const
  ).filter(([, by]) => by.length > 0);
  const ambiguous = inForce.sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([id, by]) =>
    `RunID ${id} names ${collided.get(id)!.size} records here (a collision: see runrec ` +
    `verify), and annotation ${by.join(", ")} names it by RunID alone (written before ` +
    "annotations named their record): read as marking each of them and withdrawing none"
  );
  const shared = new Set([...collided].filter(([, records]) => records.size > 1).map(([id]) => id));
  const now = filedNow(annotations, renumbered);
  return { annotations, ambiguous: [...ambiguous, ...supersedeCycles(now, shared)], now };
}

/**
 * `annotations` filed under the RunIDs their records have now: one written about a record a
 * put-back renumbered since (its `target` that record's checksum then) under the RunID it was
 * given, its `other` the RunID the other run has now (`otherNow`). The supersede graph follows
 * records, not the RunIDs written: the old ones name another clone's records now.
 */
function filedNow(
  annotations: ReadonlyMap<string, readonly Annotation[]>,
  renumbered: Renumbered,
): Map<string, Annotation[]> {
  if (renumbered.size === 0) return annotations as Map<string, Annotation[]>;
  const now = new Map<string, Annotation[]>();
  for (const [runId, list] of annotations) {
    for (const a of list) {
      const target = a.target;
      const subject = target === undefined
        ? runId
        : renumbered.get(runId)?.find((r) => r.checksum.startsWith(target))?.runId ?? runId;
      add(now, subject, a.otherNow === undefined ? a : { ...a, other: a.otherNow });
    }
  }
  return now;
}

/**
 * One line per supersede cycle among `annotations`: `annotate` refuses to make one, but two
 * branches can each write half of it (A: Y supersedes X; B: X supersedes Y) and a union merge
 * joins them. No run of a cycle is a baseline, so each is named with the way out. A "cycle"
 * through a RunID that names several records (`shared`: two clones, one minute) may join
 * different records (review-v F3): there it is named only when the annotations name the same
 * record of that RunID going in and coming out (review-w F5).
 */
function supersedeCycles(
  annotations: ReadonlyMap<string, readonly Annotation[]>,
  shared: ReadonlySet<string>,
): string[] {
  const lines = new Map<string, string>();
  for (const [newer, list] of annotations) {
    for (const a of list) {
      if (a.kind !== "supersedes" || a.other === undefined) continue;
      const back = supersedePath(annotations, a.other, newer);
      if (back === undefined) continue;
      // Around the cycle from newer: each step supersedes the run the step before names.
      const subjects = [newer, a.other, ...back.slice(0, -1).map((b) => b.other!)];
      const steps = [a, ...back].map((c, k) => {
        const by = c.annotationId === subjects[k]
          ? "its own Notes"
          : `annotation ${c.annotationId}`;
        return `${subjects[k]} supersedes ${c.other} (${by})`;
      });
      const key = [...steps].sort().join(" ");
      const joined = (id: string, k: number) =>
        !shared.has(id) || sameRecord(annotations, [a, ...back], subjects, k);
      if (lines.has(key) || !subjects.every(joined)) continue;
      lines.set(
        key,
        `a supersede cycle: ${steps.join(", ")}; written apart (two branches merged?), so no ` +
          "run of it is a baseline: withdraw one (runrec annotate <del-dir> <ANNOTATION-RUNID> " +
          "--invalidates --note TEXT)",
      );
    }
  }
  return [...lines.values()];
}

/**
 * Whether the cycle's step into `subjects[k]` and its step out of it name the same record of
 * that RunID: the step out names its subject's record (`target`), the step in its older run's,
 * in the `superseded` annotation it filed under `subjects[k]`.
 */
function sameRecord(
  annotations: ReadonlyMap<string, readonly Annotation[]>,
  steps: readonly Annotation[],
  subjects: readonly string[],
  k: number,
): boolean {
  const into = steps[(k + steps.length - 1) % steps.length];
  const from = subjects[(k + steps.length - 1) % steps.length];
  const filed = annotations.get(subjects[k])?.find((x) =>
    x.kind === "superseded" && x.annotationId === into.annotationId && x.other === from
  );
  const inTarget = filed?.target;
  const outTarget = steps[k].target;
  if (inTarget === undefined || outTarget === undefined) return false;
  return inTarget.startsWith(outTarget) || outTarget.startsWith(inTarget);
}

/**
 * The annotations among `records` that apply, by the RunID they are about,
 * in file order; {@linkcode annotationsFor} picks those of one record.
 * `annotate B --supersedes A` files `superseded` under A and `supersedes`
 * under B; so does a run B whose Notes say it supersedes A (a late finish
 * of a run `reap` recorded FAILED).
 *
 * An annotation that another annotation invalidates is withdrawn: it no
 * longer applies and is left out, and the withdrawal is filed under the
 * withdrawn annotation's RunID as `invalidated`. A withdrawal can itself be
 * withdrawn, which makes the first annotation apply again. This is the one
 * place that decides, so `log`, `show`, `stale` and `export` agree.
 *
 * An annotation names its records by RunID and the start of their
 * RecordChecksum (`target`). One written before it did names a RunID alone:
 * where that RunID names several records (two clones, one minute), it marks
 * every record of it and withdraws no annotation, so that it can never make
 * a run a baseline by mistake (`runrec log` and `stale` warn of it).
 * `records` are every record of one file, each once, or an
 * {@linkcode AnnotationSource} of each.
 *
 * @example
 * ```ts
 * import { annotationsIn, appendAnnotation, readRecords, recordRun } from "@runrec/runrec";
 * import type { RunRecord } from "@runrec/runrec";
 *
 * const root = await Deno.makeTempDir();
 * const dir = `${root}/DEL-01-02_Flow_Meter`;
 * await Deno.mkdir(dir);
 * const { written } = await recordRun(dir, { agent: "4_DOCUMENTS", status: "SUCCESS" });
 * const runId = written!.record.RunID;
 * await appendAnnotation(dir, runId, { invalidates: true }, "ran on the wrong decomposition");
 * const records: RunRecord[] = [];
 * for await (const event of readRecords(`${dir}/RunRecords.csv`)) {
 *   if (event.kind === "record") records.push(event.record);
 * }
 * console.log(annotationsIn(records).get(runId)?.map((a) => a.kind)); // ["invalidated"]
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function annotationsIn(records: Iterable<AnnotationSource>): Map<string, Annotation[]> {
  checkRecordsArgument(records, "records");
  return resolve(records).annotations;
}

/**
 * One line per RunID that names several records among `records` and that an
 * annotation names by RunID alone, saying how {@linkcode annotationsIn} read
 * it; and one per supersede cycle (two branches each wrote half of one).
 *
 * @example
 * ```ts
 * import { ambiguousAnnotations } from "./annotations.ts";
 * declare const records: import("./schema.ts").RunRecord[];
 * for (const line of ambiguousAnnotations(records)) console.error(`warning: ${line}`);
 * ```
 */
export function ambiguousAnnotations(records: Iterable<AnnotationSource>): string[] {
  return resolve(records).ambiguous;
}

/**
 * The annotations of the map `annotations` (of {@linkcode annotationsIn})
 * that are about `record`: those under its RunID that name it, or name no
 * record; for a whole record put back under a new RunID (its Notes say so),
 * also those naming it by the RunID and checksum it had before. Throws {@linkcode InputError} for a `record` that is not an object.
 *
 * @example
 * ```ts
 * import { annotationsFor, annotationsIn, appendAnnotation, readRecords, recordRun } from "@runrec/runrec";
 * import type { RunRecord } from "@runrec/runrec";
 *
 * const root = await Deno.makeTempDir();
 * const dir = `${root}/DEL-01-02_Flow_Meter`;
 * await Deno.mkdir(dir);
 * const { written } = await recordRun(dir, { agent: "4_DOCUMENTS", status: "SUCCESS" });
 * await appendAnnotation(dir, written!.record.RunID, {}, "checked by hand");
 * const records: RunRecord[] = [];
 * for await (const event of readRecords(`${dir}/RunRecords.csv`)) {
 *   if (event.kind === "record") records.push(event.record);
 * }
 * const annotations = annotationsIn(records);
 * for (const r of records) console.log(r.AgentName, annotationsFor(annotations, r).length);
 * // 4_DOCUMENTS 1, then the annotation's own record: RUNREC_ANNOTATE 0
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function annotationsFor(
  annotations: ReadonlyMap<string, readonly Annotation[]>,
  record: Pick<RunRecord, "RunID" | "RecordChecksum">,
): Annotation[] {
  if (typeof (annotations as { get?: unknown } | null)?.get !== "function") {
    throw new InputError(
      `annotations: must be a Map (annotationsIn's or annotationsOf's result), got ${
        shownValue(annotations)
      }`,
      { field: "annotations" },
    );
  }
  checkRecordArgument(record, "record");
  // By a former RunID, only an annotation naming the record: a key-less one (written before
  // annotations named their record, so before put-backs renumbered) is of that RunID's record.
  return keysOf(record).flatMap(({ RunID, RecordChecksum }, index) =>
    (annotations.get(RunID) ?? []).filter((a) =>
      (index === 0 || a.target !== undefined) && isAbout(a.target, RecordChecksum)
    )
  );
}

/**
 * The annotations of one record file, by the RunID they are about. Lines
 * that cannot be read are skipped (`validate` reports them).
 *
 * @example
 * ```ts
 * import { annotationsOf, recordRun } from "@runrec/runrec";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * await recordRun(dir, { agent: "4_DOCUMENTS", status: "SUCCESS" }); // a record to read
 * const annotations = await annotationsOf(`${dir}/RunRecords.csv`);
 * for (const [runId, about] of annotations) console.log(runId, about.map((a) => a.kind));
 * ```
 */
export async function annotationsOf(recordFile: string): Promise<Map<string, Annotation[]>> {
  checkPathArgument(recordFile, "recordFile");
  return annotationsIn(await annotationSourcesOf(recordFile));
}

/**
 * The `annotationSource` of each record of a record file, each once
 * (the first copy after a union merge): all that {@linkcode annotationsIn}
 * reads.
 */
async function annotationSourcesOf(recordFile: string): Promise<AnnotationSource[]> {
  return (await readHistory(recordFile)).sources;
}

/** What {@linkcode readHistory} read of a record file, and where it stopped. */
interface History {
  /** The `annotationSource` of each record, each once, in file order. */
  sources: AnnotationSource[];
  /** Whether a record is the first copy read (a line repeated byte for byte is one record). */
  firstCopy: (record: RunRecord) => boolean;
  /** Where the read ended, for the next read to go on from. */
  end: ReadEnd;
  /** Whether the file was read from its start (not only appended to since `earlier`). */
  fromStart: boolean;
}

/**
 * The {@linkcode History} of a record file: read on from `earlier` (a read of
 * the same file, which it extends) when the file was only appended to since,
 * else read whole.
 */
async function readHistory(recordFile: string, earlier?: History): Promise<History> {
  let history: Omit<History, "end"> = { sources: [], firstCopy: firstCopies(), fromStart: true };
  const end = await readRecordsOn(recordFile, earlier?.end, (fromStart) => {
    if (!fromStart && earlier) history = { ...earlier, fromStart };
    const { sources, firstCopy } = history;
    return (record) => {
      if (firstCopy(record)) sources.push(annotationSource(record));
    };
  });
  return { ...history, end };
}

/**
 * The sources of a history that bear on an annotation naming the RunIDs
 * `named`: those that say something (annotations, late finishes) and every
 * record of a RunID that one of them or `named` is about. `annotationConflict`,
 * `checksumsOf` and the repeat check answer from them as from every record,
 * and the history's other runs (almost all of a long one) are not weighed.
 */
class Bearing {
  /** The sources that bear on it, in file order but for records of RunIDs named late. */
  readonly sources: AnnotationSource[] = [];
  readonly #names: Set<string>;
  /** How many of the history's sources were taken in. */
  #seen = 0;

  constructor(named: readonly string[]) {
    this.#names = new Set(named);
  }

  /**
   * Takes in the sources of `all` (the history, grown since the last call) after those already
   * seen, and returns itself. Records seen before of a RunID named only now are looked for
   * again: only an annotation of another run, appended meanwhile, names one.
   */
  update(all: readonly AnnotationSource[]): this {
    const added = all.slice(this.#seen);
    const newly = new Set<string>();
    for (const source of added) {
      const statement = statementOf(source);
      if (statement === undefined) continue;
      // Its own RunID is weighed by its own record: only the runs it is about need theirs.
      for (const id of [statement.subject, statement.older?.runId]) {
        if (id !== undefined && !this.#names.has(id)) newly.add(id);
      }
    }
    if (newly.size > 0) {
      for (let i = 0; i < this.#seen; i++) {
        if (newly.has(all[i].RunID) && statementOf(all[i]) === undefined) this.sources.push(all[i]);
      }
      for (const id of newly) this.#names.add(id);
    }
    for (const source of added) {
      // A record a put-back renumbered too: an annotation's `other` may name it as it was.
      if (
        this.#names.has(source.RunID) || statementOf(source) !== undefined ||
        keysOf(source).length > 1
      ) {
        this.sources.push(source);
      }
    }
    this.#seen = all.length;
    return this;
  }
}

/**
 * Whether a record can be a staleness baseline: a SUCCESS or PARTIAL run
 * (not an annotation) that no annotation invalidated or superseded.
 * `annotations` is the map of {@linkcode annotationsOf} (or of
 * {@linkcode annotationsIn}) for the record's file.
 *
 * @example
 * ```ts
 * import { annotationsIn, isUsableBaseline } from "./annotations.ts";
 * declare const records: import("./schema.ts").RunRecord[];
 * const annotations = annotationsIn(records);
 * const usable = records.filter((r) => isUsableBaseline(r, annotations));
 * // stale's baseline of an agent: its usable run latest by RunTimestamp (never the file order)
 * ```
 */
export function isUsableBaseline(
  record: RunRecord,
  annotations: ReadonlyMap<string, readonly Annotation[]>,
): boolean {
  if (record.AgentName === ANNOTATOR) return false;
  if (record.RunStatus !== "SUCCESS" && record.RunStatus !== "PARTIAL") return false;
  return !annotationsFor(annotations, record).some((a) =>
    a.kind === "invalidated" || a.kind === "superseded"
  );
}

/**
 * A short mark for a run's annotations: `INVALIDATED`, `SUPERSEDED by <id>`,
 * or empty.
 *
 * @example
 * ```ts
 * import { annotationMark } from "./annotations.ts";
 * annotationMark([]); // ""
 * ```
 */
export function annotationMark(annotations: readonly Annotation[] | undefined): string {
  const marks: string[] = [];
  for (const a of annotations ?? []) {
    if (a.kind === "invalidated") marks.push("INVALIDATED");
    if (a.kind === "superseded") marks.push(`SUPERSEDED by ${otherName(a)}`);
  }
  return [...new Set(marks)].join("; ");
}

/**
 * The run an annotation's `other` names, as it is known now: `N' (was N)` for one a put-back
 * renumbered since.
 *
 * @example
 * ```ts
 * import { otherName } from "./annotations.ts";
 * otherName({ annotationId: "A", timestamp: "", kind: "superseded", note: "", other: "N" }); // "N"
 * ```
 */
export function otherName(a: Annotation): string | undefined {
  return a.otherNow === undefined ? a.other : `${a.otherNow} (was ${a.other})`;
}

/** The RunID given to a proposed annotation while `annotationConflict` weighs it. */
const PROPOSED = "(this annotation)";

/** The `supersedes` annotations leading from `from` down to `to`, when `from` (transitively) supersedes `to`. */
function supersedePath(
  annotations: ReadonlyMap<string, readonly Annotation[]>,
  from: string,
  to: string,
): Annotation[] | undefined {
  const seen = new Set<string>();
  const search = (run: string): Annotation[] | undefined => {
    if (seen.has(run)) return undefined;
    seen.add(run);
    for (const a of annotations.get(run) ?? []) {
      if (a.kind !== "supersedes" || a.other === undefined) continue;
      if (a.other === to) return [a];
      const rest = search(a.other);
      if (rest) return [a, ...rest];
    }
    return undefined;
  };
  return search(from);
}

/** Why `annotationConflict` refuses an annotation. */
export interface AnnotationConflict {
  /** One line: what is refused, naming the RunIDs and the existing annotation it meets. */
  message: string;
  /** The existing annotation record whose withdrawal would make way for it, if any. */
  withdraw?: string;
}

/**
 * Why the annotation `annotationNotes(runId, effect, …, checksums)` must not
 * be added to a file holding `records`, or `undefined` when it may: it would
 * invalidate (withdraw) again what an annotation already invalidates
 * (withdraws), supersede again a run already superseded, or make a supersede
 * cycle (no run of the cycle would be current, so `stale` would find no
 * baseline). Withdrawing a withdrawal makes the first annotation apply again,
 * so it is weighed the same way. Each record of a RunID that names several is
 * weighed on its own; `checksums` says which records the annotation names
 * (without it, by RunID alone).
 */
function annotationConflict(
  records: readonly AnnotationSource[],
  runId: string,
  effect: { invalidates?: boolean; supersedes?: string },
  checksums: Readonly<Record<string, string>> = {},
): AnnotationConflict | undefined {
  const annotationIds = new Set(records.filter(isAnnotation).map((r) => r.RunID));
  const proposed: AnnotationSource = {
    AgentName: ANNOTATOR,
    RunID: PROPOSED,
    RecordChecksum: PROPOSED,
    RunTimestamp: "",
    Notes: annotationNotes(runId, effect, "", checksums),
  };
  const resolvedBefore = resolve(records);
  const resolvedAfter = resolve([...records, proposed]);
  const [before, after] = [resolvedBefore.annotations, resolvedAfter.annotations];
  const withdrawable = (a: Annotation) =>
    annotationIds.has(a.annotationId) ? a.annotationId : undefined;
  // Each record on its own (a RunID may name several), by every key it is known by: one a
  // put-back renumbered is marked by what was written of it under its former RunID too.
  for (const record of records) {
    for (const kind of ["invalidated", "superseded"] as const) {
      const now = annotationsFor(after, record).filter((a) => a.kind === kind);
      const earlier = annotationsFor(before, record).filter((a) => a.kind === kind);
      if (now.length < 2 || now.length <= earlier.length) continue;
      const existing = earlier[0] ?? now[0];
      const id = record.RunID;
      if (kind === "invalidated") {
        const what = isAnnotation(record) ? "withdrawn" : "invalidated";
        return {
          message: `${id} is already ${what} by annotation ${existing.annotationId}`,
          withdraw: withdrawable(existing),
        };
      }
      const by = withdrawable(existing) === undefined
        ? "its own Notes (finished after reap)"
        : `annotation ${existing.annotationId}`;
      return {
        message: `${id} is already superseded by ${otherName(existing)} (${by})`,
        withdraw: withdrawable(existing),
      };
    }
  }
  // The graph by the RunIDs records have now: a cycle through renumbered runs is one.
  const edge = (a: Annotation) => `${a.annotationId} ${a.other}`;
  const earlierEdges = new Set([...resolvedBefore.now.values()].flat().map(edge));
  for (const [newer, list] of resolvedAfter.now) {
    for (const a of list) {
      if (a.kind !== "supersedes" || a.other === undefined || earlierEdges.has(edge(a))) continue;
      const path = supersedePath(resolvedAfter.now, a.other, newer);
      if (path === undefined) continue;
      const middle = path.slice(0, -1).map((p) => p.other);
      const via = middle.length > 0 ? ` through ${middle.join(", ")}` : "";
      const named = path.map((p) => p.annotationId);
      return {
        message:
          `${newer} cannot supersede ${a.other}: ${a.other} already supersedes ${newer}${via} ` +
          `(annotation${named.length > 1 ? "s" : ""} ${named.join(", ")}), and a supersede cycle ` +
          "leaves no current run",
        withdraw: path.map(withdrawable).find((id) => id !== undefined),
      };
    }
  }
  return undefined;
}
