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
import { otherName } from "../annotations.ts";
import { checkRunsArgument } from "../argument_checks.ts";
import { DELETED, FIELDS, TBD } from "../schema.ts";
import { type Json, sortedJsonPretty } from "./json.ts";
import { runUuid } from "./openlineage.ts";
import { compareText, type ExportedRun, fileName, runEndTime } from "./runs.ts";
import { replacedFile } from "../errors.ts";
import { ownCopy } from "../codec.ts";
import type { RunAt, StreamedRuns } from "./streamed_runs.ts";

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
 * const runs = await collectRuns(["PKG-01_Field_Instruments"], { warn: console.error });
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
    yield sectionStart(s, name);
    let count = 0;
    for (const entry of entries) yield member(count++, entry);
    yield count === 0 ? "}" : "\n  }";
  }
  yield "\n}\n";
}

/**
 * The text of {@linkcode provDocumentText} for the runs of an export of any size, never all held
 * (mem-38 F2): a first pass over the runs keeps of each its activity's UUID and where it is (a
 * few numbers), besides the agents and file versions; activities are read again one by one in
 * their UUIDs' order, and relations by passes over the runs in order.
 *
 * @example
 * ```ts
 * import { streamRuns } from "./streamed_runs.ts";
 * import { provDocumentStreamed } from "./prov.ts";
 * const streamed = await streamRuns(["examples/"], { warn: console.error, unreadable: console.error });
 * for await (const piece of provDocumentStreamed(streamed)) console.log(piece);
 * ```
 */
export async function* provDocumentStreamed(streamed: StreamedRuns): AsyncGenerator<string> {
  const index = new ProvIndex();
  const places = new RunPlaces();
  for await (const { run, at } of streamed.placedRuns(true)) {
    index.add(run);
    places.add(run, at);
  }
  const relationsOf = async function* (kind: RelationKind) {
    let n = 0;
    for await (const { run } of streamed.placedRuns(false)) {
      yield* relations(run, n++, kind, index.deleted);
    }
  };
  const { counts } = index;
  const sections: [string, AsyncIterable<[string, Json]> | Iterable<[string, Json]>][] = [
    ["activity", places.activities(streamed, index.named)],
    ...index.heldSections(),
    ["used", numberedAsync("u", counts.used, relationsOf("used"))],
    ["wasAssociatedWith", numbered("a", streamed.count, places.associations())],
    ["wasGeneratedBy", numberedAsync("g", counts.generated, relationsOf("wasGeneratedBy"))],
  ];
  if (counts.invalidated > 0) {
    sections.push([
      "wasInvalidatedBy",
      numberedAsync("i", counts.invalidated, relationsOf("wasInvalidatedBy")),
    ]);
  }
  yield "{";
  for (const [s, [name, entries]] of sections.entries()) {
    yield sectionStart(s, name);
    let count = 0;
    for await (const entry of entries) yield member(count++, entry);
    yield count === 0 ? "}" : "\n  }";
  }
  yield "\n}\n";
}

/** The text that opens the document's member `name`, the `s`th. */
function sectionStart(s: number, name: string): string {
  return `${s === 0 ? "" : ","}\n  ${JSON.stringify(name)}: {`;
}

/** The text of the `count`th member of a section. */
function member(count: number, [key, value]: [string, Json]): string {
  // A JSON string holds no raw line break: every one is the indentation's.
  const text = sortedJsonPretty(value).replaceAll("\n", "\n    ");
  return `${count === 0 ? "" : ","}\n    ${JSON.stringify(key)}: ${text}`;
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
  // Of one id, the last run's attributes are kept.
  const activities = new Map<string, ExportedRun>();
  const index = new ProvIndex();
  for (const run of runs) {
    index.add(run);
    activities.set(activityId(run), run);
  }
  const { counts, deleted, named } = index;
  const relationsOf = function* (kind: RelationKind) {
    for (const [n, run] of runs.entries()) yield* relations(run, n, kind, deleted);
  };
  const sections: Section[] = [
    ["activity", inKeyOrder(activities, (run) => activityAttributes(run, named))],
    ...index.heldSections(),
    ["used", numbered("u", counts.used, relationsOf("used"))],
    ["wasAssociatedWith", numbered("a", runs.length, relationsOf("wasAssociatedWith"))],
    ["wasGeneratedBy", numbered("g", counts.generated, relationsOf("wasGeneratedBy"))],
  ];
  // The three relations every export has are always there; deletions are rare.
  if (counts.invalidated > 0) {
    sections.push([
      "wasInvalidatedBy",
      numbered("i", counts.invalidated, relationsOf("wasInvalidatedBy")),
    ]);
  }
  return sections;
}

/** Of each run (by its number in the runs' order) that deleted files: the version each ended, by the file's path id. */
type DeletedVersions = Map<number, Map<string, string>>;

/**
 * What the document holds of runs given one by one, in order: agents, file versions (entities),
 * relations counted, the versions deletions end, and the run names of colliding RunIDs.
 */
class ProvIndex {
  // Of one id, the last run's attributes (agents) or file's (entities) are kept.
  agents = new Map<string, Json>();
  /** Each file version's entity, as its namespace, name and sha256: no object of attributes each. */
  entities = new Map<string, Trio>();
  counts = { used: 0, generated: 0, invalidated: 0 };
  deleted: DeletedVersions = new Map();
  /**
   * A file's runs by RunID, for the RunIDs several runs share: an annotation names another run
   * by RunID alone, and is linked to each (annotate-sweep F1). Any other RunID is its run's name.
   */
  named: RunsNamed = new Map();
  /** Path id → entity id of its last known version. */
  #last = new Map<string, string>();
  #runs = 0;

  /** Takes the next run. */
  add(run: ExportedRun): void {
    const n = this.#runs++;
    const { record } = run;
    if (run.runName !== record.RunID) {
      const key = `${run.file}\n${record.RunID}`;
      this.named.set(key, [...this.named.get(key) ?? [], run.runName]);
    }
    this.agents.set(ownCopy(agentId(run)), {
      "prov:type": qualified("prov:SoftwareAgent"),
      "prov:label": ownCopy(record.AgentName),
      "runrec:AgentType": ownCopy(record.AgentType),
    });
    const inputs = files(run, record.InputHashes);
    const outputs = files(run, record.OutputHashes);
    this.#seen(inputs);
    const ended = this.#deletions(n, outputs);
    this.#seen(outputs);
    for (const file of inputs) {
      this.#keep(file);
      this.counts.used++;
    }
    for (const file of outputs) {
      if (file.sha256 === DELETED) this.counts.invalidated++;
      else this.counts.generated++;
      // A deletion of a known version names that version's entity, declared where it was seen.
      if (file.sha256 !== DELETED || !ended.has(file.path)) this.#keep(file);
    }
  }

  /** The members the index holds whole: agents, entities, prefixes. */
  heldSections(): Section[] {
    return [
      ["agent", inKeyOrder(this.agents, (attributes) => attributes)],
      ["entity", inKeyOrder(this.entities, (trio) => fileAttributes(...trio))],
      ["prefix", Object.entries(PROV_PREFIXES).sort(([a], [b]) => compareText(a, b))],
    ];
  }

  /** Holds `file`'s entity, its text copied: slices of its record's line would hold the line (mem-39 F4). */
  #keep(file: FileEntity): void {
    const { id, namespace, name } = file;
    const held = this.entities.get(id);
    // One id is one version (its sha256 in it): only its name may differ, where names collide.
    if (held !== undefined) {
      if (held[0] !== namespace || held[1] !== name) held.splice(0, 2, namespace, ownCopy(name));
      return;
    }
    const key = ownCopy(id);
    // A version's sha256 ends its id: a slice of the id held costs no copy.
    const sha256 = file.sha256 === TBD
      ? TBD
      : file.sha256 === DELETED
      ? DELETED
      : key.slice(key.length - file.sha256.length);
    this.entities.set(key, [namespace, ownCopy(name), sha256]);
  }

  #seen(list: FileEntity[]): void {
    for (const { id, path, sha256 } of list) {
      if (id === path || sha256 === TBD || this.#last.get(path) === id) continue;
      this.#last.set(this.#last.has(path) ? path : ownCopy(path), ownCopy(id));
    }
  }

  /**
   * The version each deletion of run `n` invalidates: the one the run read, else the last one an
   * earlier run (in the runs' order) read or wrote; a deletion with none known is left out (it
   * invalidates the file's entity without a version). A version is invalidated once.
   */
  #deletions(n: number, outputs: FileEntity[]): Map<string, string> {
    const ended = new Map<string, string>();
    for (const file of outputs.filter((f) => f.sha256 === DELETED)) {
      const version = this.#last.get(file.path);
      if (version === undefined) continue;
      ended.set(file.path, version);
      this.#last.delete(file.path);
    }
    if (ended.size > 0) this.deleted.set(n, ended);
    return ended;
  }
}

/**
 * Of each run, by its number in the runs' order: its activity's UUID (four 32-bit words, in the
 * order of its text), its agent and where it is: 40 bytes a run, in arrays, so that activities
 * are listed by UUID, and runs paired with agents, without holding runs.
 */
class RunPlaces {
  #count = 0;
  #uuids = new Uint32Array(4 * 1024);
  #files = new Uint32Array(1024);
  #lines = new Uint32Array(1024);
  #offsets = new Float64Array(1024);
  /** The index of the additive header above the record in `#headers`, plus 1; 0 for none. */
  #headerOf = new Uint32Array(1024);
  #headers = new Map<string, number>();
  #agentOf = new Uint32Array(1024);
  #agents = new Map<string, number>();

  /** Takes the next run, at `at`. */
  add(run: ExportedRun, at: RunAt): void {
    const n = this.#count++;
    if (n === this.#files.length) this.#grow();
    this.#uuids.set(uuidWords(runUuid(run.namespace, run.runName)), 4 * n);
    this.#files[n] = at.file;
    this.#lines[n] = at.line;
    this.#offsets[n] = at.offset;
    this.#headerOf[n] = at.header === undefined ? 0 : numberOf(this.#headers, at.header) + 1;
    this.#agentOf[n] = numberOf(this.#agents, agentId(run));
  }

  /** The activities, by id, each run read again: of runs sharing one, the last. */
  async *activities(streamed: StreamedRuns, named: RunsNamed): AsyncGenerator<[string, Json]> {
    const uuids = this.#uuids;
    const headers = [...this.#headers.keys()];
    const compare = (a: number, b: number) => {
      for (let w = 0; w < 4; w++) {
        const d = uuids[4 * a + w] - uuids[4 * b + w];
        if (d !== 0) return d;
      }
      return a - b;
    };
    const order = new Uint32Array(this.#count).map((_, i) => i).sort(compare);
    for (let i = 0; i < order.length; i++) {
      const n = order[i];
      if (i + 1 < order.length && sameWords(uuids, n, order[i + 1])) continue;
      const header = this.#headerOf[n] === 0 ? undefined : headers[this.#headerOf[n] - 1];
      const at = { file: this.#files[n], line: this.#lines[n], offset: this.#offsets[n], header };
      const run = streamed.runAt(at);
      const id = this.#activityId(n);
      // A file replaced since the first read holds another run there.
      if (`run:${runUuid(run.namespace, run.runName)}` !== id) {
        throw replacedFile(run.file, at.line);
      }
      yield [id, activityAttributes(run, named)];
    }
  }

  /** The `wasAssociatedWith` relation of each run, in the runs' order. */
  *associations(): Generator<Json> {
    const agents = [...this.#agents.keys()];
    for (let n = 0; n < this.#count; n++) {
      yield { "prov:activity": this.#activityId(n), "prov:agent": agents[this.#agentOf[n]] };
    }
  }

  #activityId(n: number): string {
    const hex = Array.from(
      this.#uuids.subarray(4 * n, 4 * n + 4),
      (w) => w.toString(16).padStart(8, "0"),
    ).join("");
    return `run:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
      hex.slice(20)
    }`;
  }

  #grow(): void {
    const grown = <T extends Uint32Array | Float64Array>(array: T): T => {
      const bigger = new (array.constructor as new (size: number) => T)(2 * array.length);
      bigger.set(array);
      return bigger;
    };
    this.#uuids = grown(this.#uuids);
    this.#files = grown(this.#files);
    this.#lines = grown(this.#lines);
    this.#offsets = grown(this.#offsets);
    this.#headerOf = grown(this.#headerOf);
    this.#agentOf = grown(this.#agentOf);
  }
}

/** The number of `key` in `numbers`, numbered from 0 in the order first met. */
function numberOf(numbers: Map<string, number>, key: string): number {
  let n = numbers.get(key);
  if (n === undefined) numbers.set(key, n = numbers.size);
  return n;
}

/** Whether runs `a` and `b` have one UUID. */
function sameWords(uuids: Uint32Array, a: number, b: number): boolean {
  for (let w = 0; w < 4; w++) if (uuids[4 * a + w] !== uuids[4 * b + w]) return false;
  return true;
}

/** A UUID's 128 bits as four 32-bit words, most significant first. */
function uuidWords(uuid: string): Uint32Array {
  const hex = uuid.replaceAll("-", "");
  return Uint32Array.from([0, 1, 2, 3], (w) => parseInt(hex.slice(8 * w, 8 * w + 8), 16));
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

/** The relations of one kind of run `n` (in the runs' order), its files by id. */
function* relations(
  run: ExportedRun,
  n: number,
  kind: RelationKind,
  deleted: DeletedVersions,
): Generator<Json> {
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
      const entity = deleted.get(n)?.get(file.path) ?? file.id;
      yield { "prov:entity": entity, "prov:activity": runId, "prov:time": end };
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
      ? `superseded by ${otherName(a)}`
      : a.kind === "supersedes"
      ? `supersedes ${otherName(a)}`
      : a.kind;
    lists["runrec:annotation"].push(`${a.timestamp} ${a.annotationId} ${says}: ${a.note}`);
    if (a.kind === "invalidated") lists["runrec:invalidatedBy"].push(a.annotationId);
    // `other` is set for the two kinds that name another run (annotations.ts): its activities,
    // by the RunID its record has now (a put-back may have renumbered it).
    const other = a.otherNow ?? a.other;
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
  const id = relationIds(letter, count);
  let n = 0;
  for (const relation of relations) yield [id(++n), relation];
}

/** {@linkcode numbered} for relations made as runs are read again. */
async function* numberedAsync(
  letter: string,
  count: number,
  relations: AsyncIterable<Json>,
): AsyncGenerator<[string, Json]> {
  const id = relationIds(letter, count);
  let n = 0;
  for await (const relation of relations) yield [id(++n), relation];
}

/** The id of the nth of `count` relations: n zero-padded, so that ids sort in order. */
function relationIds(letter: string, count: number): (n: number) => string {
  const width = String(count).length;
  return (n) => `_:${letter}${String(n).padStart(width, "0")}`;
}

/**
 * A file of a run as an entity: one per content (`<path>@<sha256>`); `<path>@TBD` for a version
 * that could not be hashed; `<path>` itself (no version) for a deletion, which relations replace
 * with the version it ended when one is known (`ProvIndex`).
 */
interface FileEntity {
  id: string;
  /** The id without a version: `file:<namespace>/<name>`. */
  path: string;
  namespace: string;
  name: string;
  sha256: string;
}

/** A file entity's namespace, name and sha256 (or TBD, or DELETED). */
type Trio = [namespace: string, name: string, sha256: string];

/** The attributes of a file's entity. */
function fileAttributes(namespace: string, name: string, sha256: string): Record<string, Json> {
  const attributes: Record<string, Json> = {
    "prov:type": qualified("runrec:File"),
    "prov:label": name,
    "runrec:namespace": namespace,
    "runrec:path": name,
  };
  if (sha256 !== TBD && sha256 !== DELETED) attributes["runrec:sha256"] = sha256;
  return attributes;
}

function files(run: ExportedRun, hashes: Record<string, string>): FileEntity[] {
  const list = Object.entries(hashes).map(([recorded, sha256]) => {
    const name = fileName(run, recorded);
    const { namespace } = run;
    const hashed = sha256 !== TBD && sha256 !== DELETED;
    const path = `file:${localName(`${namespace}/${name}`)}`;
    // An unhashable version is not the deleted file: a read of a missing file must not use
    // an entity a deletion invalidated (PROV: usage precedes invalidation).
    const id = hashed ? `${path}@${sha256}` : sha256 === TBD ? `${path}@TBD` : path;
    return { id, path, namespace, name, sha256 };
  });
  return list.sort((a, b) => compareText(a.id, b.id));
}
