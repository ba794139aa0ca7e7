/**
 * The runs an export covers: every valid record beneath the targets that is
 * a run (annotations are not: they are attached to the runs they are about),
 * with where its deliverable sits in its execution root, sorted so that the
 * same records always export in the same order.
 *
 * @module
 */
import {
  ambiguousAnnotations,
  type Annotation,
  annotationsFor,
  annotationsIn,
  isAnnotation,
} from "../annotations.ts";
import { checkCollectArguments } from "../argument_checks.ts";
import { workTreeOf } from "../git.ts";
import { findExecutionRoot, findGitRoot, requireRootInSight } from "../deliverable.ts";
import { InputError, readFailure } from "../errors.ts";
import { extraFields } from "../cli/record_json.ts";
import { describeLineProblem } from "../messages.ts";
import { basename, dirname, join, normalize, relative, resolve } from "../path.ts";
import { firstCopies, readRecords } from "../reader.ts";
import type { RunRecord } from "../schema.ts";
import { refuseOtherFiles, resolveTargets } from "../targets.ts";
import { parseDuration, parseInstant } from "../time.ts";

/** One record to export, placed in its execution root. */
export interface ExportedRun {
  /** The record as read. */
  record: RunRecord;
  /** The namespace of the run's job and files: `--namespace`, else the name of `base`. */
  namespace: string;
  /**
   * The folder the exported file names are relative to (absolute): the
   * deliverable's execution root, else its git root, else the deliverable
   * folder itself.
   */
  base: string;
  /** The deliverable folder relative to `base` (`.` when it is the base). */
  folder: string;
  /** The record file, as the target named it (for messages only: exports never show it). */
  file: string;
  /** The record file's line the record came from. */
  line: number;
  /**
   * The name its runId is made from: the RunID, or `<RunID>/<RecordChecksum>`
   * when another record of its file has that RunID (a collision of two
   * branches in one minute), so that distinct records stay distinct runs.
   */
  runName: string;
  /** When the run started, in ms since the epoch. */
  startMs: number;
  /** When the run ended (start plus RunDuration), in ms since the epoch. */
  endMs: number;
  /**
   * The annotations of the run in its record file (`runrec annotate`), by
   * timestamp, then annotation RunID; empty for most runs.
   */
  annotations: readonly Annotation[];
  /**
   * The cells a newer additive version of the record adds (SCHEMA.md 11), as
   * `[name, value]` by its header line's names, as `log --format json` keeps
   * them; empty for a record of this version.
   */
  extras: readonly [string, string][];
}

/** Options of {@linkcode collectRuns}. */
export interface CollectOptions {
  /**
   * One namespace for every run instead of each execution root's name; runs of several roots
   * under it are warned about (`warn`): their names would merge.
   */
  namespace?: string;
  /** Receives one line per skipped line or other warning. */
  warn(message: string): void;
  /**
   * Receives one line per record file that cannot be read (naming it and
   * why); the other files are read all the same. Without it, the first such
   * file throws {@linkcode InputError}.
   */
  unreadable?(message: string): void;
}

/**
 * Reads every record of the targets' record files (a deliverable folder, a
 * record file or a root with record files beneath it), skipping unreadable
 * lines with a warning, and returns the runs among them, each with its
 * annotations (annotation records themselves are not runs), sorted by start time, then RunID,
 * namespace, folder and line. Throws {@linkcode InputError} for a missing
 * target, and for a file that cannot be read unless `options.unreadable` is given.
 * Every run is held in the array returned: for a history too long for memory, the CLI's
 * `export` reads the runs again in order instead of holding them.
 *
 * @example
 * ```ts
 * import { collectRuns } from "@runrec/runrec";
 * const runs = await collectRuns(["PKG-01_Field_Instruments"], { warn: (m) => console.error(m) });
 * for (const run of runs) console.log(run.namespace, run.record.RunID);
 * ```
 */
export async function collectRuns(
  targets: readonly string[],
  options: CollectOptions,
): Promise<ExportedRun[]> {
  checkCollectArguments(targets, options);
  const namespaceWrong = options.namespace === undefined
    ? undefined
    : namespaceProblem(options.namespace);
  if (namespaceWrong) {
    throw new InputError(`collectRuns: options.namespace ${namespaceWrong}`, {
      field: "options.namespace",
    });
  }
  const runs: ExportedRun[] = [];
  // Siblings share their execution root: look it up once per parent folder, not once per file.
  const executionRoots = new Map<string, string | undefined>();
  const keepUnreadable = options.unreadable !== undefined;
  const files = await resolveTargets(targets, { keepUnreadable });
  await refuseOtherFiles(files);
  for (const file of files) {
    if (!file.exists) continue;
    if (file.unreadable !== undefined) {
      options.unreadable!(`${file.path}: cannot read: ${file.unreadable}`);
      continue;
    }
    const place = await placeOf(file.path, executionRoots, options.namespace);
    const read: { record: RunRecord; line: number; extras: [string, string][] }[] = [];
    const firstCopy = firstCopies();
    // Said once the file is read: a throw of the caller's `warn` is its own, not the file's.
    const problems: string[] = [];
    try {
      for await (const event of readRecords(file.path)) {
        if (event.kind === "problem") {
          problems.push(`${file.path}:${event.line}: ${describeLineProblem(event)}`);
          continue;
        }
        if (firstCopy(event.record)) {
          read.push({ record: event.record, line: event.line, extras: extraFields(event) });
        }
      }
    } catch (e) {
      for (const problem of problems) options.warn(problem);
      const message = `${file.path}: cannot read: ${readFailure(e)}`;
      if (!options.unreadable) throw new InputError(message, { cause: e, path: file.path });
      options.unreadable(message);
      continue;
    }
    for (const problem of problems) options.warn(problem);
    // Annotations are per file: a RunID is unique only within its deliverable's file.
    const annotations = annotationsIn(read.map((r) => r.record));
    for (const line of ambiguousAnnotations(read.map((r) => r.record))) {
      options.warn(`${file.path}: ${line}`);
    }
    const collided = repeatedRunIds(file.path, read, options.warn);
    for (const { record, line, extras } of read) {
      if (isAnnotation(record)) continue;
      // A valid record has both; `?? 0` only satisfies the type checker.
      const startMs = parseInstant(record.RunTimestamp) ?? 0;
      const endMs = startMs + (parseDuration(record.RunDuration) ?? 0);
      const about = annotationsFor(annotations, record).sort(compareAnnotations);
      // Only a RunID that is not unique gets the checksum: other runIds stay as they were.
      const runName = collided.has(record.RunID)
        ? `${record.RunID}/${record.RecordChecksum}`
        : record.RunID;
      runs.push({
        record,
        file: file.path,
        line,
        runName,
        startMs,
        endMs,
        annotations: about,
        extras,
        ...place,
      });
    }
  }
  warnRepeatedRunIds(runs, options.warn);
  // Names are relative to each root: under one namespace, two roots' files and jobs merge.
  const bases = [...new Set(runs.map((r) => r.base))].sort(compareText);
  for (const warning of namespaceWarnings(bases, options.namespace)) options.warn(warning);
  return runs.sort(compareRuns);
}

/**
 * What an export's namespace risks, for the execution roots `bases` of its runs: one
 * `--namespace` over several roots merges their names; without one, a root that is the top of a
 * linked work tree names its runs after that work tree's folder, not the main one's, so the same
 * runs exported from each get other runIds.
 *
 * @example
 * ```ts
 * import { namespaceWarnings } from "./runs.ts";
 * for (const warning of namespaceWarnings(["/work/plant"], undefined)) console.error(warning);
 * ```
 */
export function namespaceWarnings(
  bases: readonly string[],
  namespace: string | undefined,
): string[] {
  if (namespace !== undefined) {
    return bases.length < 2 ? [] : [
      `--namespace ${namespace} spans ${bases.length} execution roots ` +
      `(${bases.join(", ")}): their jobs, runIds and file names merge; export each root ` +
      `with its own --namespace (e.g. ${namespace}/${basename(bases[0])})`,
    ];
  }
  return bases.filter((base) => workTreeOf(base, { linkedOnly: true })?.top === realFolder(base))
    .map((base) =>
      `no --namespace: the runs of ${base} are named under ${basename(base)}, this linked work ` +
      "tree's folder name, and exported from another work tree or clone get other runIds (a " +
      "server sent both holds each run twice); give a --namespace the same in every checkout " +
      "(e.g. github.com/acme/plant)"
    );
}

/** `folder` with its symbolic links resolved, as a work tree's top is given; itself if it cannot be. */
function realFolder(folder: string): string {
  try {
    return Deno.realPathSync(folder);
  } catch {
    return resolve(folder);
  }
}

/** Where a record file's runs are named from: `base`, `namespace` and `folder` of {@linkcode ExportedRun}. */
export type RunPlace = Pick<ExportedRun, "base" | "namespace" | "folder">;

/**
 * The {@linkcode RunPlace} of the runs of the record file `path`: its deliverable's execution root
 * (looked up once per parent folder, in `executionRoots`), else git root, else the folder itself.
 *
 * @example
 * ```ts
 * import { placeOf } from "./runs.ts";
 * const place = await placeOf("DEL-01-02_X/RunRecords.csv", new Map(), undefined);
 * console.log(place.namespace, place.folder);
 * ```
 */
export async function placeOf(
  path: string,
  executionRoots: Map<string, string | undefined>,
  namespace: string | undefined,
): Promise<RunPlace> {
  // The real folder: where the root lies, or a link leading to it, must not change a name.
  const deliverable = await Deno.realPath(dirname(path)).catch(() => resolve(dirname(path)));
  const parent = dirname(deliverable);
  if (!executionRoots.has(parent)) executionRoots.set(parent, findExecutionRoot(deliverable));
  let base = executionRoots.get(parent) ?? findGitRoot(deliverable);
  // A root this process may not see would name the runs otherwise (trial-q F3).
  if (base === undefined) requireRootInSight(deliverable, path);
  base ??= deliverable;
  return {
    base,
    namespace: namespace ?? basename(base),
    folder: relative(base, deliverable) || ".",
  };
}

/**
 * The order of an export's runs: by start time, then run name, namespace, folder and line.
 *
 * @example
 * ```ts
 * import { compareRuns } from "./runs.ts";
 * declare const runs: import("./runs.ts").ExportedRun[];
 * runs.sort(compareRuns);
 * ```
 */
export function compareRuns(a: ExportedRun, b: ExportedRun): number {
  return a.startMs - b.startMs || compareText(a.runName, b.runName) ||
    compareText(a.namespace, b.namespace) || compareText(a.folder, b.folder) || a.line - b.line;
}

/**
 * The order of a run's annotations: by time, so that the order lines were appended in does not
 * show in the export.
 *
 * @example
 * ```ts
 * import { compareAnnotations } from "./runs.ts";
 * declare const annotations: import("../annotations.ts").Annotation[];
 * annotations.sort(compareAnnotations);
 * ```
 */
export function compareAnnotations(a: Annotation, b: Annotation): number {
  // Text would not do: `…:00Z` sorts after `…:00.5Z`.
  return (parseInstant(a.timestamp) ?? 0) - (parseInstant(b.timestamp) ?? 0) ||
    compareText(a.annotationId, b.annotationId) || compareText(a.kind, b.kind);
}

/** Orders strings by UTF-16 code units: the same on every machine, unlike `localeCompare`. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The RunIDs that name two or more records of one file (copies byte for byte
 * already dropped), each warned about once: their runIds take the checksum.
 */
function repeatedRunIds(
  file: string,
  read: readonly { record: RunRecord; line: number }[],
  warn: (message: string) => void,
): Set<string> {
  const lines = new Map<string, number[]>();
  for (const { record, line } of read) {
    lines.set(record.RunID, [...(lines.get(record.RunID) ?? []), line]);
  }
  const repeated = new Set<string>();
  for (const [runId, at] of lines) {
    if (at.length < 2) continue;
    repeated.add(runId);
    warn(
      `${runId} names ${at.length} records in ${file} (lines ${at.join(", ")}: a RunID ` +
        "collision, see runrec verify); each runId is made from its RunID and RecordChecksum",
    );
  }
  return repeated;
}

/** Two records with one run name in one namespace would be one run to a lineage tool: say so. */
function warnRepeatedRunIds(runs: ExportedRun[], warn: (message: string) => void): void {
  const seen = new Map<string, ExportedRun[]>();
  for (const run of runs) {
    const key = `${run.namespace}\n${run.runName}`;
    seen.set(key, [...(seen.get(key) ?? []), run]);
  }
  for (const same of seen.values()) {
    if (same.length < 2) continue;
    const where = same.map((r) => `${r.file}:${r.line}`).join(", ");
    warn(
      `${same[0].record.RunID} appears ${same.length} times in namespace ` +
        `${
          JSON.stringify(same[0].namespace)
        } (${where}); they share one run id (see runrec verify)`,
    );
  }
}

/**
 * A recorded path (relative to the deliverable folder) as a path from the
 * run's base folder, so that one file read by two deliverables is one name.
 *
 * @example
 * ```ts
 * import { fileName } from "./runs.ts";
 * fileName({ folder: "PKG-01_A/1_Working/DEL-01-02_X" }, "../../../_Decomposition/D.md");
 * // "_Decomposition/D.md"
 * ```
 */
export function fileName(run: Pick<ExportedRun, "folder">, path: string): string {
  // Both are relative and normalised: joining them needs no file system and no working folder.
  return normalize(join(run.folder, path));
}

/**
 * When a run ended, as UTC ISO 8601: its RunTimestamp plus its RunDuration.
 * A RunTimestamp's digits beyond the millisecond (up to 9 are allowed) are
 * kept, as durations are whole milliseconds: the end is never before the
 * start, which events and activities give as the RunTimestamp itself.
 *
 * @example
 * ```ts
 * import { runEndTime } from "./runs.ts";
 * declare const run: import("./runs.ts").ExportedRun; // RunTimestamp …00.123456789Z, PT1S
 * runEndTime(run); // "…01.123456789Z"
 * ```
 */
export function runEndTime(run: Pick<ExportedRun, "record" | "endMs">): string {
  const end = new Date(run.endMs).toISOString();
  const beyondMs = /\.\d{3}(\d+)Z$/.exec(run.record.RunTimestamp)?.[1];
  return beyondMs === undefined ? end : `${end.slice(0, -1)}${beyondMs}Z`;
}

// deno-lint-ignore no-control-regex
const CONTROL_CHARACTER = /[\x00-\x1f\x7f-\x9f]/;

/**
 * What is wrong with a namespace (`--namespace`, `collectRuns`'
 * `options.namespace`), as the rest of a sentence naming it, or `undefined`:
 * an empty or blank one, or one with a control character, would be in every
 * runId and job, where a lineage tool shows nothing or breaks a line; one with
 * blanks around it or a last `/` (pasted from a URL) is another namespace than
 * the same name without them, so its runs would be sent to a server twice.
 *
 * @example
 * ```ts
 * import { namespaceProblem } from "./runs.ts";
 * namespaceProblem("github.com/acme/plant"); // undefined
 * namespaceProblem(" "); // "needs a name (got only blanks)"
 * namespaceProblem("github.com/acme/plant/"); // "\"github.com/acme/plant/\" ends in /: … give github.com/acme/plant"
 * ```
 */
export function namespaceProblem(namespace: string): string | undefined {
  if (namespace === "") return "needs a name";
  if (namespace.trim() === "") return "needs a name (got only blanks)";
  const control = CONTROL_CHARACTER.exec(namespace)?.[0];
  if (control !== undefined) {
    const code = control.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    return `holds the control character U+${code}: give one line of printable text, ` +
      "such as github.com/acme/plant";
  }
  // Each id is `<namespace>/<name>`: a last "/" doubles it, and blanks are invisible.
  const plain = namespace.trim().replace(/\/+$/, "");
  if (plain === namespace) return undefined;
  if (plain === "") return `needs a name (got ${JSON.stringify(namespace)})`;
  const what = namespace.trim() === namespace ? "ends in /" : "has blanks around it";
  return `${JSON.stringify(namespace)} ${what}: every runId and name would differ from those ` +
    `of an export with ${plain}, the same project; give ${plain}`;
}
