/**
 * A W3C PROV-JSON document for run records: each run an activity, each file
 * version it read or wrote an entity carrying its SHA-256, each agent an
 * agent; `used`, `wasGeneratedBy`, `wasInvalidatedBy` (a deleted output) and
 * `wasAssociatedWith` between them. An annotated run's activity says what its
 * annotations say (`runrec:invalidatedBy`, `runrec:supersededBy`, …).
 * docs/EXPORT.md describes the mapping.
 *
 * @module
 */
import { checkRunsArgument } from "../argument_checks.ts";
import { DELETED, FIELDS, TBD } from "../schema.ts";
import { type Json, sortedJsonPretty } from "./json.ts";
import { runUuid } from "./openlineage.ts";
import { compareText, type ExportedRun, fileName, runEndTime } from "./runs.ts";

/** The prefixes every document declares (`prov` and `xsd` are PROV-JSON's own). */
export const PROV_PREFIXES: Readonly<Record<string, string>> = Object.freeze({
  // The activity of a run is the run's OpenLineage runId, so the two exports name runs alike.
  run: "urn:uuid:",
  file: "urn:runrec:file:",
  agent: "urn:runrec:agent:",
  runrec: "urn:runrec:terms#",
});

const TEXT_FIELDS = FIELDS.filter((f) => f.kind === "text").map((f) => f.name);

/**
 * Characters a PROV-N local name may hold as they are; any other is percent-encoded. `:` is
 * PROV-N's only as `\:` (PN_CHARS_ESC): percent-encoded too; so are `?` and `#`, which PROV-N
 * allows but which would start a query or a fragment of the URI the name expands to (review-x F8).
 */
const LOCAL_NAME_CHAR = /[A-Za-z0-9_\-./@~&+*$!]/;

/**
 * Text as the local part of a PROV qualified name: characters outside
 * PROV-N's set, a first `.` or `-` and a last `.` (PN_LOCAL) percent-encoded
 * as UTF-8.
 *
 * @example
 * ```ts
 * import { localName } from "./prov.ts";
 * localName("examples/Data sheet.md"); // "examples/Data%20sheet.md"
 * localName("my proj:x#y"); // "my%20proj%3Ax%23y"
 * ```
 */
export function localName(text: string): string {
  let out = "";
  const chars = Array.from(text);
  chars.forEach((c, i) => {
    const edge = (i === chars.length - 1 && c === ".") || (i === 0 && (c === "." || c === "-"));
    out += LOCAL_NAME_CHAR.test(c) && !edge ? c : percentEncoded(c);
  });
  return out;
}

function percentEncoded(c: string): string {
  return Array.from(
    new TextEncoder().encode(c),
    (b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`,
  ).join("");
}

function qualified(name: string): Json {
  return { $: name, type: "prov:QUALIFIED_NAME" };
}

/**
 * The PROV-JSON document of the runs (plain JSON; write it with
 * `sortedJsonPretty`). Relations are numbered in the runs' order, so the
 * same runs always give the same document.
 *
 * @example
 * ```ts
 * import { collectRuns, provDocument, sortedJsonPretty } from "@runrec/runrec";
 * const runs = await collectRuns(["examples/"], { warn: console.error });
 * console.log(sortedJsonPretty(provDocument(runs)));
 * ```
 */
export function provDocument(runs: readonly ExportedRun[]): Json {
  checkRunsArgument(runs, "runs");
  return Object.fromEntries(
    provSections(runs).map(([name, entries]) => [name, Object.fromEntries(entries)]),
  );
}

/**
 * The text of {@linkcode provDocument}, as `sortedJsonPretty` writes it and
 * a newline, piece by piece: each activity, entity and relation is built as
 * it is asked for, so that an export of many runs never holds the whole
 * document, as an object or as text.
 *
 * @example
 * ```ts
 * import { collectRuns } from "./runs.ts";
 * import { provDocumentText } from "./prov.ts";
 * const runs = await collectRuns(["examples/"], { warn: console.error });
 * const text = [...provDocumentText(runs)].join("");
 * ```
 */
export function* provDocumentText(runs: readonly ExportedRun[]): Generator<string> {
  const sections = provSections(runs);
  yield "{";
  for (const [s, [name, entries]] of sections.entries()) {
    yield `${s === 0 ? "" : ","}\n  ${JSON.stringify(name)}: {`;
    let count = 0;
    for (const [key, value] of entries) {
      // A JSON string holds no raw line break: every one is the indentation's.
      const text = sortedJsonPretty(value).replaceAll("\n", "\n    ");
      yield `${count++ === 0 ? "" : ","}\n    ${JSON.stringify(key)}: ${text}`;
    }
    yield count === 0 ? "}" : "\n  }";
  }
  yield "\n}\n";
}

/** A top-level member of the document: its name, and its members (built as iterated). */
type Section = [name: string, entries: Iterable<[string, Json]>];

/**
 * The document's members in key order, each with its members in key order,
 * as `sortedJsonPretty` would order them. One pass over the runs keeps only
 * ids, agents and file versions; activities and relations are built from the
 * runs again as they are iterated.
 */
function provSections(runs: readonly ExportedRun[]): Section[] {
  // Of one id, the last run's attributes (activities, agents) or file's (entities) are kept.
  const activities = new Map<string, ExportedRun>();
  const agents = new Map<string, Json>();
  const entities = new Map<string, Json>();
  const counts = { used: 0, generated: 0, invalidated: 0 };
  const deleted = deletedVersions(runs);
  // Each file's runs by RunID: an annotation names another run by RunID alone, which two records
  // may share (branches merged in one minute): it is linked to each (annotate-sweep F1).
  const named: RunsNamed = new Map();
  for (const run of runs) {
    const key = `${run.file}\n${run.record.RunID}`;
    named.set(key, [...named.get(key) ?? [], run.runName]);
  }
  for (const run of runs) {
    activities.set(activityId(run), run);
    const { record } = run;
    agents.set(agentId(run), {
      "prov:type": qualified("prov:SoftwareAgent"),
      "prov:label": record.AgentName,
      "runrec:AgentType": record.AgentType,
    });
    for (const file of files(run, record.InputHashes)) {
      entities.set(file.id, file.attributes);
      counts.used++;
    }
    for (const file of files(run, record.OutputHashes)) {
      if (file.sha256 === DELETED) counts.invalidated++;
      else counts.generated++;
      // A deletion of a known version names that version's entity, declared where it was seen.
      if (file.sha256 !== DELETED || !deleted.get(run)?.has(file.path)) {
        entities.set(file.id, file.attributes);
      }
    }
  }
  const sections: Section[] = [
    ["activity", inKeyOrder(activities, (run) => activityAttributes(run, named))],
    ["agent", inKeyOrder(agents, (attributes) => attributes)],
    ["entity", inKeyOrder(entities, (attributes) => attributes)],
    ["prefix", Object.entries(PROV_PREFIXES).sort(([a], [b]) => compareText(a, b))],
    ["used", numbered("u", counts.used, relations(runs, "used"))],
    ["wasAssociatedWith", numbered("a", runs.length, relations(runs, "wasAssociatedWith"))],
    ["wasGeneratedBy", numbered("g", counts.generated, relations(runs, "wasGeneratedBy"))],
  ];
  // The three relations every export has are always there; deletions are rare.
  if (counts.invalidated > 0) {
    const invalidated = relations(runs, "wasInvalidatedBy", deleted);
    sections.push(["wasInvalidatedBy", numbered("i", counts.invalidated, invalidated)]);
  }
  return sections;
}

/** Of each run that deleted files: the version each deletion ended, by the file's path id. */
type DeletedVersions = Map<ExportedRun, Map<string, string>>;

/**
 * The version each deletion invalidates: the one the deleting run read, else the last one an
 * earlier run (in the runs' order) read or wrote; a deletion with none known is left out (it
 * invalidates the file's entity without a version). A version is invalidated once.
 */
function deletedVersions(runs: readonly ExportedRun[]): DeletedVersions {
  const last = new Map<string, string>(); // path id → entity id of its last known version
  const found: DeletedVersions = new Map();
  const seen = (list: FileEntity[]) => {
    for (const f of list) if (f.id !== f.path && f.sha256 !== TBD) last.set(f.path, f.id);
  };
  for (const run of runs) {
    seen(files(run, run.record.InputHashes));
    const outputs = files(run, run.record.OutputHashes);
    for (const file of outputs.filter((f) => f.sha256 === DELETED)) {
      const version = last.get(file.path);
      if (version === undefined) continue;
      if (!found.has(run)) found.set(run, new Map());
      found.get(run)!.set(file.path, version);
      last.delete(file.path);
    }
    seen(outputs);
  }
  return found;
}

/** The entries of `map` by key (UTF-16 code units), each value made as it is iterated. */
function* inKeyOrder<T>(map: Map<string, T>, json: (value: T) => Json): Generator<[string, Json]> {
  for (const key of [...map.keys()].sort(compareText)) yield [key, json(map.get(key)!)];
}

/** The activity of a run: its runId, as in the OpenLineage export. */
function activityId(run: ExportedRun): string {
  return `run:${runUuid(run.namespace, run.runName)}`;
}

function agentId(run: ExportedRun): string {
  return `agent:${localName(`${run.namespace}/${run.record.AgentName}`)}`;
}

/** Each file's run names (`runName`) by RunID, keyed `<file>\n<RunID>`. */
type RunsNamed = Map<string, string[]>;

function activityAttributes(run: ExportedRun, named: RunsNamed): Json {
  const { record } = run;
  const attributes: Record<string, Json> = {
    "prov:startTime": record.RunTimestamp,
    "prov:endTime": runEndTime(run),
    "prov:type": qualified("runrec:AgentRun"),
    "prov:label": record.RunID,
  };
  for (const name of TEXT_FIELDS) attributes[`runrec:${name}`] = record[name] as string;
  // A newer version's cells are passed on (SCHEMA_EVOLUTION.md), never over a field of this one.
  for (const [name, value] of run.extras) {
    const key = `runrec:${localName(name)}`;
    if (!Object.hasOwn(attributes, key)) attributes[key] = value;
  }
  Object.assign(attributes, annotationAttributes(run, named));
  return attributes;
}

type RelationKind = "used" | "wasGeneratedBy" | "wasInvalidatedBy" | "wasAssociatedWith";

/** The relations of one kind, in the runs' order (each run's files by id). */
function* relations(
  runs: readonly ExportedRun[],
  kind: RelationKind,
  deleted: DeletedVersions = new Map(),
): Generator<Json> {
  for (const run of runs) {
    const runId = activityId(run);
    const { record } = run;
    if (kind === "wasAssociatedWith") {
      yield { "prov:activity": runId, "prov:agent": agentId(run) };
    } else if (kind === "used") {
      for (const file of files(run, record.InputHashes)) {
        yield { "prov:activity": runId, "prov:entity": file.id, "prov:time": record.RunTimestamp };
      }
    } else {
      const end = runEndTime(run);
      for (const file of files(run, record.OutputHashes)) {
        if ((file.sha256 === DELETED) !== (kind === "wasInvalidatedBy")) continue;
        const entity = deleted.get(run)?.get(file.path) ?? file.id;
        yield { "prov:entity": entity, "prov:activity": runId, "prov:time": end };
      }
    }
  }
}

/**
 * What a run's annotations say, as activity attributes, each a list in the
 * annotations' order, present only when not empty. PROV has no term for an
 * invalid activity (`prov:wasInvalidatedBy` is for entities), hence `runrec:`
 * terms. Another run is named by its activity, so the graph links the two.
 */
function annotationAttributes(run: ExportedRun, named: RunsNamed): Record<string, Json> {
  const { namespace, annotations } = run;
  const lists: Record<string, Json[]> = {
    "runrec:invalidatedBy": [],
    "runrec:supersededBy": [],
    "runrec:supersedes": [],
    "runrec:annotation": [],
  };
  for (const a of annotations) {
    const says = a.kind === "superseded"
      ? `superseded by ${a.other}`
      : a.kind === "supersedes"
      ? `supersedes ${a.other}`
      : a.kind;
    lists["runrec:annotation"].push(`${a.timestamp} ${a.annotationId} ${says}: ${a.note}`);
    if (a.kind === "invalidated") lists["runrec:invalidatedBy"].push(a.annotationId);
    // `other` is set for the two kinds that name another run (annotations.ts): its activities.
    const other = a.other;
    if (other === undefined) continue;
    const all = named.get(`${run.file}\n${other}`) ?? [other];
    // Of two records sharing the RunID, the one the annotation names by its checksum, if it does.
    const meant = all.filter((name) => name.split("/")[1]?.startsWith(a.otherTarget ?? "-"));
    const otherRuns = (meant.length > 0 ? meant : all)
      .map((name) => qualified(`run:${runUuid(namespace, name)}`));
    if (a.kind === "superseded") lists["runrec:supersededBy"].push(...otherRuns);
    if (a.kind === "supersedes") lists["runrec:supersedes"].push(...otherRuns);
  }
  return Object.fromEntries(Object.entries(lists).filter(([, list]) => list.length > 0));
}

/**
 * The `count` relations under blank-node ids `_:<letter><n>`, n zero-padded
 * so that ids sort in order.
 */
function* numbered(
  letter: string,
  count: number,
  relations: Iterable<Json>,
): Generator<[string, Json]> {
  const width = String(count).length;
  let n = 0;
  for (const relation of relations) {
    yield [`_:${letter}${String(++n).padStart(width, "0")}`, relation];
  }
}

/**
 * A file of a run as an entity: one per content (`<path>@<sha256>`); `<path>@TBD` for a version
 * that could not be hashed; `<path>` itself (no version) for a deletion, which relations replace
 * with the version it ended when one is known ({@linkcode deletedVersions}).
 */
interface FileEntity {
  id: string;
  /** The id without a version: `file:<namespace>/<name>`. */
  path: string;
  sha256: string;
  attributes: Record<string, Json>;
}

function files(run: ExportedRun, hashes: Record<string, string>): FileEntity[] {
  const list = Object.entries(hashes).map(([recorded, sha256]) => {
    const name = fileName(run, recorded);
    const hashed = sha256 !== TBD && sha256 !== DELETED;
    const attributes: Record<string, Json> = {
      "prov:type": qualified("runrec:File"),
      "prov:label": name,
      "runrec:namespace": run.namespace,
      "runrec:path": name,
    };
    if (hashed) attributes["runrec:sha256"] = sha256;
    const path = `file:${localName(`${run.namespace}/${name}`)}`;
    // An unhashable version is not the deleted file: a read of a missing file must not use
    // an entity a deletion invalidated (PROV: usage precedes invalidation).
    const id = hashed ? `${path}@${sha256}` : sha256 === TBD ? `${path}@TBD` : path;
    return { id, path, sha256, attributes };
  });
  return list.sort((a, b) => compareText(a.id, b.id));
}
