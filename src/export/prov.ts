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
import type { Annotation } from "../annotations.ts";
import { DELETED, FIELDS, TBD } from "../schema.ts";
import type { Json } from "./json.ts";
import { runUuid } from "./openlineage.ts";
import { compareText, type ExportedRun, fileName } from "./runs.ts";

/** The prefixes every document declares (`prov` and `xsd` are PROV-JSON's own). */
export const PROV_PREFIXES: Readonly<Record<string, string>> = Object.freeze({
  // The activity of a run is the run's OpenLineage runId, so the two exports name runs alike.
  run: "urn:uuid:",
  file: "urn:runrec:file:",
  agent: "urn:runrec:agent:",
  runrec: "urn:runrec:terms#",
});

const TEXT_FIELDS = FIELDS.filter((f) => f.kind === "text").map((f) => f.name);

/** Characters a PROV-N local name may hold as they are; any other is percent-encoded. */
const LOCAL_NAME_CHAR = /[A-Za-z0-9_\-./@~&+*?#$!:]/;

/**
 * Text as the local part of a PROV qualified name: characters outside
 * PROV-N's set (and a final `.`) percent-encoded as UTF-8.
 *
 * @example
 * ```ts
 * import { localName } from "./prov.ts";
 * localName("examples/Data sheet.md"); // "examples/Data%20sheet.md"
 * ```
 */
export function localName(text: string): string {
  let out = "";
  const chars = Array.from(text);
  chars.forEach((c, i) => {
    const last = i === chars.length - 1;
    out += LOCAL_NAME_CHAR.test(c) && !(last && c === ".") ? c : percentEncoded(c);
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
  const entity: Record<string, Json> = {};
  const activity: Record<string, Json> = {};
  const agent: Record<string, Json> = {};
  const used: Json[] = [];
  const generated: Json[] = [];
  const invalidated: Json[] = [];
  const associated: Json[] = [];

  for (const run of runs) {
    const { record } = run;
    const runId = `run:${runUuid(run.namespace, record.RunID)}`;
    const start = record.RunTimestamp;
    const end = new Date(run.endMs).toISOString();
    const attributes: Record<string, Json> = {
      "prov:startTime": start,
      "prov:endTime": end,
      "prov:type": qualified("runrec:AgentRun"),
      "prov:label": record.RunID,
    };
    for (const name of TEXT_FIELDS) attributes[`runrec:${name}`] = record[name] as string;
    Object.assign(attributes, annotationAttributes(run.namespace, run.annotations));
    activity[runId] = attributes;

    const agentId = `agent:${localName(`${run.namespace}/${record.AgentName}`)}`;
    agent[agentId] = {
      "prov:type": qualified("prov:SoftwareAgent"),
      "prov:label": record.AgentName,
      "runrec:AgentType": record.AgentType,
    };
    associated.push({ "prov:activity": runId, "prov:agent": agentId });

    for (const file of files(run, record.InputHashes)) {
      entity[file.id] = file.attributes;
      used.push({ "prov:activity": runId, "prov:entity": file.id, "prov:time": start });
    }
    for (const file of files(run, record.OutputHashes)) {
      entity[file.id] = file.attributes;
      const relation = { "prov:entity": file.id, "prov:activity": runId, "prov:time": end };
      (file.sha256 === DELETED ? invalidated : generated).push(relation);
    }
  }
  const document: Record<string, Json> = { prefix: { ...PROV_PREFIXES }, entity, activity, agent };
  const relations: [string, string, Json[]][] = [
    ["used", "u", used],
    ["wasGeneratedBy", "g", generated],
    ["wasInvalidatedBy", "i", invalidated],
    ["wasAssociatedWith", "a", associated],
  ];
  for (const [kind, letter, list] of relations) {
    // The three relations every export has are always there; deletions are rare.
    if (list.length > 0 || kind !== "wasInvalidatedBy") document[kind] = numbered(letter, list);
  }
  return document;
}

/**
 * What a run's annotations say, as activity attributes, each a list in the
 * annotations' order, present only when not empty. PROV has no term for an
 * invalid activity (`prov:wasInvalidatedBy` is for entities), hence `runrec:`
 * terms. Another run is named by its activity, so the graph links the two.
 */
function annotationAttributes(
  namespace: string,
  annotations: readonly Annotation[],
): Record<string, Json> {
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
    // `other` is set for these two kinds (annotations.ts).
    const otherRun = qualified(`run:${runUuid(namespace, a.other ?? "")}`);
    if (a.kind === "superseded") lists["runrec:supersededBy"].push(otherRun);
    if (a.kind === "supersedes") lists["runrec:supersedes"].push(otherRun);
  }
  return Object.fromEntries(Object.entries(lists).filter(([, list]) => list.length > 0));
}

/** The relations under blank-node ids `_:<letter><n>`, n zero-padded so ids sort in order. */
function numbered(letter: string, relations: Json[]): Record<string, Json> {
  const width = String(relations.length).length;
  const out: Record<string, Json> = {};
  relations.forEach((relation, i) =>
    out[`_:${letter}${String(i + 1).padStart(width, "0")}`] = relation
  );
  return out;
}

/** A file of a run as an entity: one per content (`<path>@<sha256>`), else one per path. */
interface FileEntity {
  id: string;
  sha256: string;
  attributes: Record<string, Json>;
}

function files(run: ExportedRun, hashes: Record<string, string>): FileEntity[] {
  const list = Object.entries(hashes).map(([path, sha256]) => {
    const name = fileName(run, path);
    const hashed = sha256 !== TBD && sha256 !== DELETED;
    const attributes: Record<string, Json> = {
      "prov:type": qualified("runrec:File"),
      "prov:label": name,
      "runrec:namespace": run.namespace,
      "runrec:path": name,
    };
    if (hashed) attributes["runrec:sha256"] = sha256;
    const id = `file:${localName(`${run.namespace}/${name}`)}${hashed ? `@${sha256}` : ""}`;
    return { id, sha256, attributes };
  });
  return list.sort((a, b) => compareText(a.id, b.id));
}
