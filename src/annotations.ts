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
 * An annotation is withdrawn by invalidating it (`annotates=<ANNOTATION RUNID>;
 * invalidates; ...`): {@linkcode annotationsIn} then leaves it out, and
 * {@linkcode annotationConflict} refuses repeats and supersede cycles.
 *
 * One run supersedes another by its own Notes: a run its agent finished
 * after `reap` wrote it as FAILED says `finished after reap: supersedes=<RUNID>`
 * among runrec's notes, so that it is linked even when it was spooled and
 * appended later. See docs/SCHEMA_EVOLUTION.md ("Annotations").
 *
 * @module
 */
import { join } from "./path.ts";
import { deliverableId } from "./deliverable.ts";
import { InputError } from "./errors.ts";
import { checkOptions, checkPathArgument } from "./argument_checks.ts";
import { requireRecordable } from "./required_permissions.ts";
import { hostname } from "./lock.ts";
import { inputContextSha } from "./manifest.ts";
import { firstCopies, readRecords } from "./reader.ts";
import { AGENT_TYPE, RUN_ID_PATTERN, type RunRecord, SCHEMA_VERSION, TBD } from "./schema.ts";
import {
  type AppendOptions,
  RECORD_FILE,
  type RecordDraft,
  withRecordFile,
  WriteError,
} from "./store.ts";

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
  /** The free text given with `--note`. */
  note: string;
}

/** runrec's note in a run that supersedes the FAILED record `reap` wrote for it. */
const LATE_FINISH = /(?:^| \| )finished after reap: supersedes=(RUN-[A-Z0-9-]+)(?: \| |$)/;

/**
 * The note runrec adds to the record of a run finished after `reap` wrote
 * it as FAILED under `reapedId`: the record then supersedes that one.
 *
 * @example
 * ```ts
 * import { lateFinishNote } from "./annotations.ts";
 * lateFinishNote("RUN-DEL-01-02-20260222-1015-001");
 * // "finished after reap: supersedes=RUN-DEL-01-02-20260222-1015-001"
 * ```
 */
export function lateFinishNote(reapedId: string): string {
  return `finished after reap: supersedes=${reapedId}`;
}

const NOTES_PATTERN =
  /^annotates=(RUN-[A-Z0-9-]+); (?:(invalidates); |supersedes=(RUN-[A-Z0-9-]+); )?note=([\s\S]*)$/;

/**
 * The Notes of an annotation record.
 *
 * @example
 * ```ts
 * import { annotationNotes } from "./annotations.ts";
 * annotationNotes("RUN-DEL-01-02-20260222-1015-001", { invalidates: true }, "wrong inputs");
 * // "annotates=RUN-DEL-01-02-20260222-1015-001; invalidates; note=wrong inputs"
 * ```
 */
export function annotationNotes(
  runId: string,
  effect: { invalidates?: boolean; supersedes?: string },
  note: string,
): string {
  const middle = effect.invalidates
    ? "invalidates; "
    : effect.supersedes !== undefined
    ? `supersedes=${effect.supersedes}; `
    : "";
  return `annotates=${runId}; ${middle}note=${note}`;
}

/**
 * An annotation {@linkcode annotationConflict} refused when it was weighed
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
  /** Creates the error with a one-line message. */
  constructor(message: string, withdraw?: string) {
    super(message);
    this.name = "AnnotationRefused";
    this.withdraw = withdraw;
  }
}

/**
 * Appends an annotation of the run `runId` to `delDir`'s `RunRecords.csv`
 * and returns the annotation record as written. Under the append lock it
 * reads the file and throws {@linkcode AnnotationRefused} when
 * {@linkcode annotationConflict} refuses the annotation, so two annotations
 * made at once cannot both invalidate one run. It does not check that the
 * runs it names exist: `runrec annotate` does that first. It throws
 * {@linkcode InputError}, before anything is written, for what `runrec
 * annotate` refuses as usage: a `runId` or `effect.supersedes` that is not
 * a RunID, both effects at once, a run superseding itself, an empty note,
 * and a missing `--allow-write` or `--allow-sys=hostname` (naming the flag).
 *
 * @example
 * ```ts
 * import { appendAnnotation } from "@runrec/runrec";
 * const record = await appendAnnotation(
 *   "DEL-01-02_X",
 *   "RUN-DEL-01-02-20260222-1015-001",
 *   { invalidates: true },
 *   "ran on the wrong decomposition",
 * );
 * console.log(record.RunID);
 * ```
 */
export async function appendAnnotation(
  delDir: string,
  runId: string,
  effect: { invalidates?: boolean; supersedes?: string },
  note: string,
  options: AppendOptions = {},
): Promise<RunRecord> {
  checkAnnotation(delDir, runId, effect, note);
  requireRecordable(delDir);
  const file = join(delDir, RECORD_FILE);
  const draft: RecordDraft = {
    SchemaVersion: SCHEMA_VERSION,
    DeliverableID: deliverableId(delDir).id,
    AgentName: ANNOTATOR,
    AgentType: AGENT_TYPE,
    RunTimestamp: new Date().toISOString(),
    RunDuration: "PT0S",
    RunStatus: "SKIPPED",
    RunPassDirective: "ANNOTATE",
    InputContextSHA: inputContextSha({}),
    InputFiles: [],
    OutputFiles: [],
    StatusBefore: TBD,
    StatusAfter: TBD,
    ErrorSummary: "",
    Notes: annotationNotes(runId, effect, note),
    InputHashes: {},
    OutputHashes: {},
    GitHead: "",
    Host: hostname(),
  };
  return await withRecordFile(file, { holder: `runrec (${ANNOTATOR})`, ...options }, async (w) => {
    const conflict = annotationConflict(await annotatingRecordsOf(file), runId, effect);
    if (conflict) {
      throw new AnnotationRefused(
        `${file}: ${conflict.message}; nothing written`,
        conflict.withdraw,
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
function checkAnnotation(delDir: unknown, runId: unknown, effect: unknown, note: unknown): void {
  checkPathArgument(delDir, "delDir");
  checkOptions(delDir, "effect", effect, { invalidates: "flag", supersedes: "text" });
  const { invalidates, supersedes } = effect as { invalidates?: boolean; supersedes?: string };
  const notRunId = (name: string, id: unknown) =>
    new InputError(
      `${delDir}: ${name}: ${JSON.stringify(id)} is not a RunID (RUN-DEL-XX-YY-YYYYMMDD-HHmm-SEQ)`,
    );
  if (typeof runId !== "string" || !RUN_ID_PATTERN.test(runId)) throw notRunId("runId", runId);
  if (invalidates && supersedes !== undefined) {
    throw new InputError(
      `${delDir}: effect: invalidates and supersedes contradict each other; give one`,
    );
  }
  if (supersedes !== undefined) {
    if (!RUN_ID_PATTERN.test(supersedes)) throw notRunId("effect.supersedes", supersedes);
    if (supersedes === runId) {
      throw new InputError(`${delDir}: effect.supersedes: a run cannot supersede itself`);
    }
  }
  if (typeof note !== "string" || note.trim() === "") {
    throw new InputError(`${delDir}: note: a reason is required (why the run is annotated)`);
  }
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
  /** The annotation as read back from the file, or `undefined` when it could not be read. */
  readonly record?: RunRecord;
  /** Builds the error from the store's `WriteError` (whose `landed` is true). */
  constructor(message: string, record: RunRecord | undefined, cause: WriteError) {
    super(message, { cause, landed: true });
    this.name = "AnnotationUnconfirmed";
    this.record = record;
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
 * Whether a record is an annotation rather than a run.
 *
 * @example
 * ```ts
 * import { isAnnotation } from "@runrec/runrec";
 * declare const record: import("@runrec/runrec").RunRecord;
 * if (!isAnnotation(record)) console.log(record.RunID);
 * ```
 */
export function isAnnotation(record: RunRecord): boolean {
  return record.AgentName === ANNOTATOR && NOTES_PATTERN.test(record.Notes);
}

/**
 * Whether a record says anything {@linkcode annotationsIn} reads: an
 * annotation, or a run whose Notes hold {@linkcode lateFinishNote}. Given
 * only these, it answers as given every record, so a reader of a large file
 * need keep no other.
 *
 * @example
 * ```ts
 * import { makesAnnotations } from "./annotations.ts";
 * declare const records: import("./schema.ts").RunRecord[];
 * const kept = records.filter(makesAnnotations);
 * ```
 */
export function makesAnnotations(record: RunRecord): boolean {
  return statementOf(record) !== undefined;
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
}

function statementOf(record: RunRecord): Statement | undefined {
  const base = { annotationId: record.RunID, timestamp: record.RunTimestamp };
  if (record.AgentName !== ANNOTATOR) {
    const late = LATE_FINISH.exec(record.Notes);
    if (late === null) return undefined;
    const note = "finished after reap wrote it as FAILED";
    return {
      subject: record.RunID,
      annotation: { ...base, note, kind: "supersedes", other: late[1] },
      older: {
        runId: late[1],
        annotation: { ...base, note, kind: "superseded", other: record.RunID },
      },
    };
  }
  const match = NOTES_PATTERN.exec(record.Notes);
  if (!match) return undefined;
  const [, subject, invalidates, supersedes, note] = match;
  if (invalidates) return { subject, annotation: { ...base, note, kind: "invalidated" } };
  if (!supersedes) return { subject, annotation: { ...base, note, kind: "note" } };
  return {
    subject,
    annotation: { ...base, note, kind: "supersedes", other: supersedes },
    older: { runId: supersedes, annotation: { ...base, note, kind: "superseded", other: subject } },
  };
}

/**
 * The annotations among `records` that apply, by the RunID they are about,
 * in file order. `annotate B --supersedes A` files `superseded` under A and
 * `supersedes` under B; so does a run B whose Notes hold
 * {@linkcode lateFinishNote}`(A)`.
 *
 * An annotation that another annotation invalidates is withdrawn: it no
 * longer applies and is left out, and the withdrawal is filed under the
 * withdrawn annotation's RunID as `invalidated`. A withdrawal can itself be
 * withdrawn, which makes the first annotation apply again. This is the one
 * place that decides, so `log`, `show`, `stale` and `export` agree.
 *
 * @example
 * ```ts
 * import { annotationsIn } from "@runrec/runrec";
 * declare const records: import("@runrec/runrec").RunRecord[];
 * annotationsIn(records).get("RUN-DEL-01-02-20260222-1015-001")?.map((a) => a.kind);
 * ```
 */
export function annotationsIn(records: Iterable<RunRecord>): Map<string, Annotation[]> {
  const statements: Statement[] = [];
  const annotationIds = new Set<string>();
  for (const record of records) {
    const statement = statementOf(record);
    if (!statement) continue;
    statements.push(statement);
    if (record.AgentName === ANNOTATOR) annotationIds.add(record.RunID);
  }
  // Withdrawals: the annotation records that invalidate each annotation record.
  const withdrawals = new Map<string, string[]>();
  for (const { subject, annotation } of statements) {
    if (annotation.kind === "invalidated" && annotationIds.has(subject)) {
      withdrawals.set(subject, [...(withdrawals.get(subject) ?? []), annotation.annotationId]);
    }
  }
  const verdicts = new Map<string, boolean>();
  const applies = (id: string): boolean => {
    const known = verdicts.get(id);
    if (known !== undefined) return known;
    // Only a hand-edited file holds a withdrawal loop; it is cut where first met (file order).
    verdicts.set(id, true);
    const verdict = !(withdrawals.get(id) ?? []).some(applies);
    verdicts.set(id, verdict);
    return verdict;
  };
  const map = new Map<string, Annotation[]>();
  for (const { subject, annotation, older } of statements) {
    if (!applies(annotation.annotationId)) continue;
    add(map, subject, annotation);
    if (older) add(map, older.runId, older.annotation);
  }
  return map;
}

/**
 * The annotations of one record file, by the RunID they are about. Lines
 * that cannot be read are skipped (`validate` reports them).
 *
 * @example
 * ```ts
 * import { annotationsOf } from "@runrec/runrec";
 * const annotations = await annotationsOf("DEL-01-02_X/RunRecords.csv");
 * for (const [runId, about] of annotations) console.log(runId, about.map((a) => a.kind));
 * ```
 */
export async function annotationsOf(recordFile: string): Promise<Map<string, Annotation[]>> {
  return annotationsIn(await annotatingRecordsOf(recordFile));
}

/**
 * The annotations and annotating runs of a record file, each once (the first
 * copy after a union merge): all that {@linkcode annotationsIn} and
 * {@linkcode annotationConflict} read. A long history's other records are not held.
 */
async function annotatingRecordsOf(recordFile: string): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  const firstCopy = firstCopies();
  for await (const event of readRecords(recordFile)) {
    if (event.kind !== "record" || !firstCopy(event.record)) continue;
    if (isAnnotation(event.record) || makesAnnotations(event.record)) records.push(event.record);
  }
  return records;
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
 * const baseline = records.findLast((r) => isUsableBaseline(r, annotations));
 * ```
 */
export function isUsableBaseline(
  record: RunRecord,
  annotations: ReadonlyMap<string, readonly Annotation[]>,
): boolean {
  if (record.AgentName === ANNOTATOR) return false;
  if (record.RunStatus !== "SUCCESS" && record.RunStatus !== "PARTIAL") return false;
  return !(annotations.get(record.RunID) ?? []).some((a) =>
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
    if (a.kind === "superseded") marks.push(`SUPERSEDED by ${a.other}`);
  }
  return [...new Set(marks)].join("; ");
}

/** The RunID given to a proposed annotation while {@linkcode annotationConflict} weighs it. */
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

/** Why {@linkcode annotationConflict} refuses an annotation. */
export interface AnnotationConflict {
  /** One line: what is refused, naming the RunIDs and the existing annotation it meets. */
  message: string;
  /** The existing annotation record whose withdrawal would make way for it, if any. */
  withdraw?: string;
}

/**
 * Why the annotation `annotationNotes(runId, effect, …)` must not be added
 * to a file holding `records`, or `undefined` when it may: it would invalidate
 * (withdraw) again what an annotation already invalidates (withdraws), supersede
 * again a run already superseded, or make a supersede cycle (no run of the
 * cycle would be current, so `stale` would find no baseline). Withdrawing a
 * withdrawal makes the first annotation apply again, so it is weighed the
 * same way.
 *
 * @example
 * ```ts
 * import { annotationConflict } from "./annotations.ts";
 * declare const records: import("./schema.ts").RunRecord[];
 * const conflict = annotationConflict(records, "RUN-DEL-01-02-20260220-0800-003", {
 *   supersedes: "RUN-DEL-01-02-20260222-1015-001",
 * });
 * if (conflict) console.error(conflict.message);
 * ```
 */
export function annotationConflict(
  records: readonly RunRecord[],
  runId: string,
  effect: { invalidates?: boolean; supersedes?: string },
): AnnotationConflict | undefined {
  const annotationIds = new Set(records.filter(isAnnotation).map((r) => r.RunID));
  // Only the fields annotationsIn reads.
  const proposed = {
    AgentName: ANNOTATOR,
    RunID: PROPOSED,
    RunTimestamp: "",
    Notes: annotationNotes(runId, effect, ""),
  } as RunRecord;
  const before = annotationsIn(records);
  const after = annotationsIn([...records, proposed]);
  const withdrawable = (a: Annotation) =>
    annotationIds.has(a.annotationId) ? a.annotationId : undefined;
  for (const [id, list] of after) {
    for (const kind of ["invalidated", "superseded"] as const) {
      const now = list.filter((a) => a.kind === kind);
      const earlier = (before.get(id) ?? []).filter((a) => a.kind === kind);
      if (now.length < 2 || now.length <= earlier.length) continue;
      const existing = earlier[0] ?? now[0];
      if (kind === "invalidated") {
        const what = annotationIds.has(id) ? "withdrawn" : "invalidated";
        return {
          message: `${id} is already ${what} by annotation ${existing.annotationId}`,
          withdraw: withdrawable(existing),
        };
      }
      const by = withdrawable(existing) === undefined
        ? "its own Notes (finished after reap)"
        : `annotation ${existing.annotationId}`;
      return {
        message: `${id} is already superseded by ${existing.other} (${by})`,
        withdraw: withdrawable(existing),
      };
    }
  }
  const edge = (a: Annotation) => `${a.annotationId} ${a.other}`;
  const earlierEdges = new Set([...before.values()].flat().map(edge));
  for (const [newer, list] of after) {
    for (const a of list) {
      if (a.kind !== "supersedes" || a.other === undefined || earlierEdges.has(edge(a))) continue;
      const path = supersedePath(after, a.other, newer);
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
