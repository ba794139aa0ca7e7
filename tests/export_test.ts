/**
 * `runrec export`: OpenLineage events checked with a real JSON Schema
 * validator (ajv) against the OpenLineage 2-0-2 schema and its facets'
 * schemas vendored in tests/fixtures/openlineage/, PROV-JSON checked for shape and for
 * references, on a copy of examples/ and on generated (seeded) execution
 * roots; determinism; `--out` written whole or not at all.
 *
 * @module
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { hash } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { ANNOTATOR } from "../src/annotations.ts";
import { encodeRecord } from "../src/codec.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { VERSION } from "../src/cli/version.ts";
import { sortedJson, sortedJsonPretty } from "../src/export/json.ts";
import {
  FACETS_SCHEMA_URL,
  openLineageEvents,
  openLineageLines,
  PRODUCER,
  runUuid,
} from "../src/export/openlineage.ts";
import { localName, PROV_PREFIXES, provDocument, provDocumentText } from "../src/export/prov.ts";
import { collectRuns } from "../src/export/runs.ts";
import { batched } from "../src/export/write.ts";
import { NAMESPACE_URL, RUNREC_RUN_NAMESPACE, uuidV5 } from "../src/export/uuid.ts";
import { inputContextSha } from "../src/manifest.ts";
import { readRecords } from "../src/reader.ts";
import {
  DELETED,
  FIELDS,
  HEADER,
  LIFECYCLE_STATES,
  RUN_STATUSES,
  type RunRecord,
  validateRecord,
} from "../src/schema.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { formatDuration, parseDuration } from "../src/time.ts";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { git, ROOT, sampleRecord, tempDir, writeTree } from "./fixtures.ts";
import { seededRandom } from "./seed.ts";
import { firstLine, RUNREC_SH } from "./support/runs.ts";

/** The OpenLineage schemas, vendored so that any clone runs these tests (its README says whence). */
const OPENLINEAGE_SCHEMAS = join(ROOT, "tests", "fixtures", "openlineage");
/** The project's shared copy, where a checkout sits beside it: the vendored one must equal it. */
const SHARED_OPENLINEAGE = join(ROOT, "..", "shared", "openlineage");
const OPENLINEAGE_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json";
const TEXT_FIELDS = FIELDS.filter((f) => f.kind === "text").map((f) => f.name as string);

// ajv-formats is CommonJS: its function is the module itself or its `default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: Ajv2020) => void;

type Obj = Record<string, unknown>;

// --- validators ----------------------------------------------------------------------------

/** The JSON Schema files of a folder, sorted. */
function schemaFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".json")).sort();
}

/** ajv (JSON Schema 2020-12) loaded with the OpenLineage schema, its facets and runrec's facets. */
function openLineageAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const files = schemaFiles(OPENLINEAGE_SCHEMAS);
  assert(files.includes("OpenLineage.json"), `no OpenLineage.json in ${OPENLINEAGE_SCHEMAS}`);
  for (const name of files) {
    ajv.addSchema(JSON.parse(Deno.readTextFileSync(join(OPENLINEAGE_SCHEMAS, name))));
  }
  ajv.addSchema(
    JSON.parse(Deno.readTextFileSync(join(ROOT, "src/export/openlineage_facets.json"))),
  );
  return ajv;
}

/** Every facet of an event, with where it sits. */
function facetsOf(event: Obj): [string, Obj][] {
  const found: [string, Obj][] = [];
  const add = (where: string, facets: unknown) => {
    for (const [name, facet] of Object.entries((facets ?? {}) as Obj)) {
      found.push([`${where}.${name}`, facet as Obj]);
    }
  };
  add("run", (event.run as Obj).facets);
  add("job", (event.job as Obj).facets);
  for (const side of ["inputs", "outputs"]) {
    ((event[side] ?? []) as Obj[]).forEach((d, i) => add(`${side}[${i}]`, d.facets));
  }
  return found;
}

/**
 * What is wrong with one event: the OpenLineage schema's errors, then each
 * facet checked against the schema its `_schemaURL` names (a facet whose
 * schema is unknown is an error: nothing goes unchecked).
 */
function openLineageProblems(ajv: Ajv2020, event: Obj): string[] {
  const problems: string[] = [];
  if (!ajv.validate(OPENLINEAGE_SCHEMA, event)) problems.push(ajv.errorsText(ajv.errors));
  for (const [where, facet] of facetsOf(event)) {
    const url = facet._schemaURL as string;
    const validate = ajv.getSchema(url);
    if (!validate) {
      problems.push(`${where}: no schema for ${url}`);
      continue;
    }
    if (!validate(facet)) problems.push(`${where}: ${ajv.errorsText(validate.errors)}`);
  }
  return problems;
}

/** A JSON Schema of the PROV-JSON shape (W3C member submission, section 2 and 3). */
const PROV_JSON_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $defs: {
    qualifiedName: { type: "string", pattern: "^(_|[A-Za-z_][A-Za-z0-9_.-]*):[^\\s]+$" },
    literal: {
      oneOf: [
        { type: ["string", "number", "boolean"] },
        {
          type: "object",
          properties: { $: { type: "string" }, type: { type: "string" }, lang: { type: "string" } },
          required: ["$"],
          additionalProperties: false,
        },
      ],
    },
    attributes: {
      type: "object",
      propertyNames: { $ref: "#/$defs/qualifiedName" },
      additionalProperties: {
        anyOf: [{ $ref: "#/$defs/literal" }, { type: "array", items: { $ref: "#/$defs/literal" } }],
      },
    },
    elements: {
      type: "object",
      propertyNames: { $ref: "#/$defs/qualifiedName" },
      additionalProperties: { $ref: "#/$defs/attributes" },
    },
    activityTimes: {
      properties: {
        "prov:startTime": { type: "string", format: "date-time" },
        "prov:endTime": { type: "string", format: "date-time" },
      },
    },
    relation: {
      type: "object",
      propertyNames: { $ref: "#/$defs/qualifiedName" },
      additionalProperties: {
        allOf: [
          { $ref: "#/$defs/attributes" },
          { properties: { "prov:time": { type: "string", format: "date-time" } } },
        ],
      },
    },
  },
  type: "object",
  required: [
    "prefix",
    "entity",
    "activity",
    "agent",
    "used",
    "wasGeneratedBy",
    "wasAssociatedWith",
  ],
  additionalProperties: false,
  properties: {
    prefix: {
      type: "object",
      propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_.-]*$" },
      additionalProperties: { type: "string", format: "uri" },
    },
    entity: { $ref: "#/$defs/elements" },
    activity: {
      allOf: [{ $ref: "#/$defs/elements" }, {
        additionalProperties: { $ref: "#/$defs/activityTimes" },
      }],
    },
    agent: { $ref: "#/$defs/elements" },
    used: {
      allOf: [{ $ref: "#/$defs/relation" }, {
        additionalProperties: { required: ["prov:activity"] },
      }],
    },
    wasGeneratedBy: {
      allOf: [{ $ref: "#/$defs/relation" }, {
        additionalProperties: { required: ["prov:entity"] },
      }],
    },
    wasInvalidatedBy: {
      allOf: [{ $ref: "#/$defs/relation" }, {
        additionalProperties: { required: ["prov:entity"] },
      }],
    },
    wasAssociatedWith: {
      allOf: [{ $ref: "#/$defs/relation" }, {
        additionalProperties: { required: ["prov:activity"] },
      }],
    },
  },
};

/** Which element map each relation's arguments must name. */
const PROV_ARGUMENTS: Record<string, Record<string, string>> = {
  used: { "prov:activity": "activity", "prov:entity": "entity" },
  wasGeneratedBy: { "prov:entity": "entity", "prov:activity": "activity" },
  wasInvalidatedBy: { "prov:entity": "entity", "prov:activity": "activity" },
  wasAssociatedWith: { "prov:activity": "activity", "prov:agent": "agent" },
};

/**
 * PROV-N's PN_LOCAL for the ASCII runrec writes (anything else percent-encoded): not starting
 * with `.` or `-`, not ending with `.`, no raw `:` (PROV-N escapes it as `\:`).
 */
const PN_LOCAL = new RegExp(
  "^(?:[A-Za-z0-9_/@~&+*?#$!]|%[0-9A-F]{2})" +
    "(?:(?:[-A-Za-z0-9_./@~&+*?#$!]|%[0-9A-F]{2})*(?:[-A-Za-z0-9_/@~&+*?#$!]|%[0-9A-F]{2}))?$",
);

/**
 * What is wrong with a PROV-JSON document: its shape (the schema above), then
 * every qualified name's prefix declared and every relation argument an
 * element of the right kind.
 */
function provProblems(document: Obj): string[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  if (!ajv.validate(PROV_JSON_SCHEMA, document)) return [ajv.errorsText(ajv.errors)];
  const problems: string[] = [];
  const prefixes = new Set([...Object.keys(document.prefix as Obj), "prov", "xsd", "_"]);
  const checkName = (name: string, where: string) => {
    const prefix = name.slice(0, name.indexOf(":"));
    if (!prefixes.has(prefix)) problems.push(`${where}: undeclared prefix in ${name}`);
    const local = name.slice(name.indexOf(":") + 1);
    if (prefix !== "_" && !PN_LOCAL.test(local)) {
      problems.push(`${where}: ${name}: not a PROV-N local name`);
    }
  };
  for (const kind of ["entity", "activity", "agent"]) {
    for (const [id, attributes] of Object.entries(document[kind] as Obj)) {
      checkName(id, kind);
      for (const [key, value] of Object.entries(attributes as Obj)) {
        checkName(key, `${kind} ${id}`);
        const typed = value as { $?: string; type?: string };
        if (typed?.type === "prov:QUALIFIED_NAME") checkName(typed.$!, `${kind} ${id} ${key}`);
      }
    }
  }
  // An annotation's link to another run names an activity of the document (annotate-sweep F1).
  for (const [id, attributes] of Object.entries(document.activity as Obj)) {
    for (const key of ["runrec:supersedes", "runrec:supersededBy"]) {
      for (const link of ((attributes as Obj)[key] ?? []) as { $: string }[]) {
        if (!Object.hasOwn(document.activity as Obj, link.$)) {
          problems.push(`activity ${id} ${key}: ${link.$} is not an activity`);
        }
      }
    }
  }
  for (const [relation, args] of Object.entries(PROV_ARGUMENTS)) {
    for (const [id, attributes] of Object.entries((document[relation] ?? {}) as Obj)) {
      for (const [argument, kind] of Object.entries(args)) {
        const target = (attributes as Obj)[argument] as string | undefined;
        if (target === undefined) continue;
        checkName(target, `${relation} ${id}`);
        if (!Object.hasOwn(document[kind] as Obj, target)) {
          problems.push(`${relation} ${id}: ${argument} ${target} is not an ${kind}`);
        }
      }
    }
  }
  return problems;
}

// --- fixtures ------------------------------------------------------------------------------

const DEL_01 = "PKG-01_Field_Instruments/1_Working/DEL-01-01_Pressure_Transmitter_Spec";
const DEL_02 = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
const DEL_03 = "PKG-01_Field_Instruments/1_Working/DEL-01-03_Level_Switch_Datasheet";

/** A copy of examples/ (its own name kept) with one run of each RunStatus recorded. */
async function examplesWithRuns(): Promise<string> {
  const root = join(await tempDir({ prefix: "runrec-export-" }), "examples");
  const copied = await new Deno.Command("cp", { args: ["-R", join(ROOT, "examples"), root] })
    .output();
  assert(copied.success, "could not copy examples/");
  const emit = async (del: string, ...args: string[]) => {
    const result = await runCli(["emit", join(root, del), ...args]);
    assertEquals(result.code, 0, result.stderr);
  };
  await emit(DEL_02, "--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--input", "_CONTEXT.md")
    .then(() => {});
  await emit(
    DEL_02,
    ...["--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--input", "_CONTEXT.md"],
    ...["--output", "Datasheet.md", "--started", "2026-02-22T10:15:00Z", "--duration", "PT2M34.5S"],
  );
  await emit(
    DEL_02,
    ...["--agent", "4_DOCUMENTS", "--status", "PARTIAL", "--error", "Spec section 4 missing"],
    ...["--output", "Specification.md", "--started", "2026-02-22T11:00:00Z", "--duration", "PT1M"],
  );
  // A run that deletes Guidance.md and fails: its output hash is DELETED.
  const guidance = join(root, DEL_03, "Guidance.md");
  const exec = await runCli([
    ...["exec", join(root, DEL_03), "--agent", "DEPENDENCIES", "--"],
    ...["sh", "-c", `rm '${guidance}'; exit 1`],
  ]);
  assertEquals(exec.code, 1, exec.stderr);
  await emit(
    DEL_01,
    ...["--agent", "4_DOCUMENTS", "--status", "SKIPPED", "--notes", "OPEN, not INITIALIZED"],
    ...["--started", "2026-02-21T09:30:00Z", "--duration", "PT0.25S"],
  );
  return root;
}

/** The RunIDs of a deliverable's records, in file order. */
async function runIdsOf(del: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const event of readRecords(join(del, RECORD_FILE))) {
    if (event.kind === "record") ids.push(event.record.RunID);
  }
  return ids;
}

/**
 * {@linkcode examplesWithRuns} with three annotations: DEL-01-02's 10:15 run
 * invalidated, then superseded by its 11:00 run; a note on DEL-01-01's run.
 */
async function examplesWithAnnotations() {
  const root = await examplesWithRuns();
  const [, old, newer] = await runIdsOf(join(root, DEL_02));
  const [noted] = await runIdsOf(join(root, DEL_01));
  const annotate = async (del: string, ...args: string[]) => {
    const result = await runCli(["annotate", join(root, del), ...args]);
    assertEquals(result.code, 0, result.stderr);
  };
  await annotate(DEL_02, old, "--invalidates", "--note", "ran on the wrong decomposition");
  await annotate(DEL_02, newer, "--supersedes", old, "--note", "rerun; with, commas");
  await annotate(DEL_01, noted, "--note", "checked by hand");
  const annotations = [
    ...(await runIdsOf(join(root, DEL_02))).slice(3),
    ...(await runIdsOf(join(root, DEL_01))).slice(1),
  ];
  assertEquals(annotations.length, 3);
  return { root, old, newer, noted, annotations };
}

/** Runs `export` in this process; fails the test unless it exits 0. */
async function exported(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const result = await runCli(["export", ...args]);
  assertEquals(result.code, 0, result.stderr);
  return result;
}

function jsonLines(text: string): Obj[] {
  assert(text === "" || text.endsWith("\n"), "JSON Lines end in a newline");
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

function sha256Of(path: string): string {
  return hash("sha256", Deno.readFileSync(path), "hex");
}

/** Draws from the seeded generator. */
interface Draw {
  int(below: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

function drawer(random: () => number): Draw {
  const int = (below: number) => Math.floor(random() * below);
  return { int, pick: (items) => items[int(items.length)], chance: (p) => random() < p };
}

const GENERATED_PATHS = [
  "_CONTEXT.md",
  "_REFERENCES.md",
  "Datasheet.md",
  "Specification.md",
  "sub dir/naïve «file».md",
  "../../0_References/vendor-datasheet.txt",
  "../../../_Decomposition/D.md",
  "../../../../outside the root.md",
];

function hex64(draw: Draw): string {
  return Array.from({ length: 64 }, () => "0123456789abcdef"[draw.int(16)]).join("");
}

/** Valid records of one deliverable, `count` of them, RunIDs unique. */
function generatedRecords(draw: Draw, deliverable: string, count: number): RunRecord[] {
  const records: RunRecord[] = [];
  for (let seq = 1; seq <= count; seq++) {
    const start = new Date(Date.UTC(2025, 0, 1) + draw.int(365 * 86_400_000));
    const stamp = start.toISOString();
    const minute = `${stamp.slice(0, 10).replaceAll("-", "")}-${
      stamp.slice(11, 16).replace(":", "")
    }`;
    const status = draw.pick(RUN_STATUSES);
    const inputHashes: Record<string, string> = {};
    const outputHashes: Record<string, string> = {};
    for (const path of GENERATED_PATHS) {
      if (draw.chance(0.5)) inputHashes[path] = draw.chance(0.8) ? hex64(draw) : "TBD";
      if (draw.chance(0.3) && !path.startsWith("..")) {
        outputHashes[path] = draw.pick([hex64(draw), hex64(draw), "TBD", "DELETED"]);
      }
    }
    const record: RunRecord = {
      SchemaVersion: "v1.0",
      RunID: `RUN-${deliverable}-${minute}-${String(seq).padStart(3, "0")}`,
      DeliverableID: deliverable,
      AgentName: draw.pick(["4_DOCUMENTS", "DEPENDENCIES", "agent.v2-x"]),
      AgentType: "TYPE_2",
      RunTimestamp: stamp,
      RunDuration: formatDuration(draw.int(3_600_000)),
      RunStatus: status,
      RunPassDirective: draw.pick(["", "FULL", "UPDATE"]),
      InputContextSHA: inputContextSha(inputHashes),
      InputFiles: Object.keys(inputHashes).filter(() => draw.chance(0.5)),
      OutputFiles: Object.keys(outputHashes),
      StatusBefore: draw.pick(LIFECYCLE_STATES),
      StatusAfter: draw.pick(LIFECYCLE_STATES),
      ErrorSummary: status === "FAILED" || status === "PARTIAL"
        ? draw.pick(["TBD", 'quote " comma, newline\nend', "Spec section 4 missing"])
        : "",
      Notes: draw.pick(["", "note with , and ;", "ünïcode ✓"]),
      InputHashes: inputHashes,
      OutputHashes: outputHashes,
      GitHead: draw.chance(0.5) ? "" : hex64(draw).slice(0, 40),
      Host: "generated",
      RecordChecksum: "",
    };
    record.RecordChecksum = encodeRecord(record).slice(-64);
    assertEquals(validateRecord(record), [], `generated record ${record.RunID} is invalid`);
    records.push(record);
  }
  return records;
}

/**
 * Writes an execution root `<parent>/<name>` of `packages` × `deliverables`
 * folders with generated records; `order` arranges each file's records.
 */
async function generatedRoot(
  parent: string,
  name: string,
  records: Map<string, RunRecord[]>,
  order: (records: RunRecord[]) => RunRecord[] = (r) => r,
): Promise<string> {
  const root = join(parent, name);
  await writeTree(root, { "INIT.md": "# Init\n", "_Decomposition/D.md": "# D\n" });
  for (const [folder, list] of records) {
    const lines = order([...list]).map((r) => `${encodeRecord(r)}\n`).join("");
    await writeTree(root, { [`${folder}/${RECORD_FILE}`]: `${HEADER}\n${lines}` });
  }
  return root;
}

/** Generated records by deliverable folder: `packages` packages of `perPackage` deliverables. */
function generatedProject(draw: Draw, packages: number, perPackage: number) {
  const records = new Map<string, RunRecord[]>();
  for (let p = 1; p <= packages; p++) {
    for (let d = 1; d <= perPackage; d++) {
      const id = `DEL-${String(p).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
      const folder = `PKG-${String(p).padStart(2, "0")}_Gen/1_Working/${id}_Generated`;
      records.set(folder, generatedRecords(draw, id, 1 + draw.int(6)));
    }
  }
  return records;
}

function shuffled<T>(draw: Draw, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = draw.int(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

// --- tests ---------------------------------------------------------------------------------

Deno.test("export uuid: version-5 UUIDs match RFC 9562 and Python's uuid5", () => {
  const DNS = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
  // RFC 9562 appendix A.4.
  assertEquals(uuidV5(DNS, "www.example.com"), "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  // The Python documentation's example, and a UTF-8 name checked with Python 3's uuid.uuid5.
  assertEquals(uuidV5(DNS, "python.org"), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  assertEquals(
    uuidV5(NAMESPACE_URL, "naïve/RUN-DEL-01-02-20260222-1015-001"),
    "b25f2256-d4da-5b23-b033-a4ea42489c03",
  );
  // The documented derivation of runrec's namespace.
  assertEquals(uuidV5(NAMESPACE_URL, "https://jsr.io/@runrec/runrec/runs"), RUNREC_RUN_NAMESPACE);
  const docs = Deno.readTextFileSync(join(ROOT, "docs/EXPORT.md"));
  assertIncludes(docs, RUNREC_RUN_NAMESPACE);
  assertIncludes(docs, "https://jsr.io/@runrec/runrec/runs");
});

Deno.test("export openlineage: the vendored schemas are the published bytes (the SHA-256 their README lists) and equal the project's shared copy where a checkout has one beside it", () => {
  const listed = new Map(
    [
      ...Deno.readTextFileSync(join(OPENLINEAGE_SCHEMAS, "README.md")).matchAll(
        /^\| `(\w+\.json)` \| \S+ \| `([0-9a-f]{64})` \|$/gm,
      ),
    ].map((m) => [m[1], m[2]]),
  );
  const vendored = schemaFiles(OPENLINEAGE_SCHEMAS);
  assertEquals(vendored, [...listed.keys()].sort());
  for (const name of vendored) {
    assertEquals(
      hash("sha256", Deno.readFileSync(join(OPENLINEAGE_SCHEMAS, name))),
      listed.get(name),
      name,
    );
  }
  if (!existsSync(SHARED_OPENLINEAGE)) return;
  assertEquals(schemaFiles(SHARED_OPENLINEAGE), vendored);
  for (const name of vendored) {
    assertEquals(
      hash("sha256", Deno.readFileSync(join(SHARED_OPENLINEAGE, name))),
      listed.get(name),
      name,
    );
  }
});

Deno.test("export openlineage: every event of a copy of examples/ validates against OpenLineage 2-0-2 and its facets' schemas", async () => {
  const root = await examplesWithRuns();
  const { stdout } = await exported(root, "--format", "openlineage");
  const events = jsonLines(stdout);
  assertEquals(events.length, 10, "5 runs, 2 events each");
  const ajv = openLineageAjv();
  for (const event of events) {
    assertEquals(openLineageProblems(ajv, event), [], JSON.stringify(event));
  }
  // The validator is not a rubber stamp: a broken event fails it.
  const broken = structuredClone(events[0]);
  (broken.run as Obj).runId = "RUN-DEL-01-02";
  delete broken.producer;
  assertEquals(openLineageProblems(ajv, broken).length, 1);
  const noLanguage = structuredClone(events.find((e) => e.eventType === "FAIL")!);
  delete ((noLanguage.run as Obj).facets as Record<string, Obj>).errorMessage.programmingLanguage;
  assertMatch(openLineageProblems(ajv, noLanguage).join("\n"), /programmingLanguage/);
});

Deno.test("export openlineage: START then COMPLETE/FAIL/ABORT per record, mapped from RunStatus, at RunTimestamp and RunTimestamp + RunDuration", async () => {
  const root = await examplesWithRuns();
  const events = jsonLines((await exported(root, "--format", "openlineage")).stdout);
  const byRun = new Map<string, Obj[]>();
  for (const e of events) {
    const id = (e.run as Obj).runId as string;
    byRun.set(id, [...(byRun.get(id) ?? []), e]);
  }
  assertEquals(byRun.size, 5);
  const expected: Record<string, string> = {
    SUCCESS: "COMPLETE",
    PARTIAL: "COMPLETE",
    FAILED: "FAIL",
    SKIPPED: "ABORT",
  };
  for (const [runId, [start, end, ...rest]] of byRun) {
    assertEquals(rest, [], "two events per run");
    const facet = ((end.run as Obj).facets as Record<string, Obj>).runrec_run;
    const status = facet.RunStatus as string;
    assertEquals(start.eventType, "START");
    assertEquals(end.eventType, expected[status], status);
    assertEquals(runId, runUuid("examples", facet.RunID as string));
    assertEquals(start.eventTime, facet.RunTimestamp);
    const startMs = Date.parse(facet.RunTimestamp as string);
    const endMs = startMs + parseDuration(facet.RunDuration as string)!;
    assertEquals(end.eventTime, new Date(endMs).toISOString(), `${facet.RunID} end time`);
    assertEquals((start.job as Obj).name, facet.DeliverableID);
    assertEquals((start.job as Obj).namespace, "examples");
    const error = ((end.run as Obj).facets as Record<string, Obj>).errorMessage;
    if (status === "PARTIAL" || status === "FAILED") {
      assertEquals(error.message, facet.ErrorSummary);
    } else {
      assertEquals(error, undefined, `${status} has no error`);
    }
    assertEquals(start.outputs, [], "outputs are known at the end");
    assertEquals(start.inputs, end.inputs);
    assertEquals(Object.keys(facet).sort(), [...TEXT_FIELDS, "_producer", "_schemaURL"].sort());
  }
  const partial = events.find((e) =>
    ((e.run as Obj).facets as Record<string, Obj>).runrec_run.RunStatus === "PARTIAL" &&
    e.eventType !== "START"
  )!;
  assertEquals(
    ((partial.run as Obj).facets as Record<string, Obj>).errorMessage.message,
    "Spec section 4 missing",
  );
});

Deno.test("export openlineage: each file is a dataset named from the execution root, carrying its SHA-256", async () => {
  const root = await examplesWithRuns();
  const events = jsonLines((await exported(root, "--format", "openlineage")).stdout);
  let hashed = 0;
  for (const event of events) {
    for (const side of ["inputs", "outputs"]) {
      const names = ((event[side] as Obj[]) ?? []).map((d) => d.name as string);
      assertEquals(names, [...names].sort(), "datasets sorted by name");
      for (const dataset of (event[side] as Obj[]) ?? []) {
        assertEquals(dataset.namespace, "examples");
        const name = dataset.name as string;
        assert(!name.startsWith("/") && !name.includes(".."), `${name} is root-relative`);
        const sha256 = ((dataset.facets as Record<string, Obj>).runrec_file.sha256) as string;
        if (sha256 === "DELETED") {
          assertEquals(name, `${DEL_03}/Guidance.md`);
          continue;
        }
        assertEquals(sha256, sha256Of(join(root, name)), name);
        hashed++;
      }
    }
  }
  assert(hashed > 10, `only ${hashed} hashes checked`);
  // A reference through ../../../ is the same dataset as the file under the root.
  const names = events.flatMap((e) => (e.inputs as Obj[]).map((d) => d.name));
  assert(names.includes("_Decomposition/Example_Decomposition.md"), names.join(", "));
});

Deno.test("export prov: the document has PROV-JSON's shape, every reference resolves, and it says what the records say", async () => {
  const root = await examplesWithRuns();
  const { stdout } = await exported(root, "--format", "prov");
  const document = JSON.parse(stdout) as Obj;
  assertEquals(provProblems(document), []);
  // The checker is not a rubber stamp.
  const broken = structuredClone(document);
  const used = broken.used as Record<string, Obj>;
  used[Object.keys(used)[0]]["prov:entity"] = "file:nowhere";
  assertMatch(provProblems(broken).join("\n"), /file:nowhere is not an entity/);

  assertEquals(document.prefix, PROV_PREFIXES);
  const activities = document.activity as Record<string, Obj>;
  assertEquals(Object.keys(activities).length, 5);
  const events = jsonLines((await exported(root, "--format", "openlineage")).stdout);
  for (const event of events.filter((e) => e.eventType !== "START")) {
    const activity = activities[`run:${(event.run as Obj).runId}`];
    assert(activity, "each run is the activity of its OpenLineage runId");
    const runFacet = ((event.run as Obj).facets as Record<string, Obj>).runrec_run;
    assertEquals(activity["prov:label"], runFacet.RunID);
    assertEquals(activity["prov:startTime"], runFacet.RunTimestamp);
    assertEquals(activity["prov:endTime"], event.eventTime);
    assertEquals(activity["runrec:RunStatus"], runFacet.RunStatus);
  }
  const entities = document.entity as Record<string, Obj>;
  for (const [id, entity] of Object.entries(entities)) {
    const sha256 = entity["runrec:sha256"] as string | undefined;
    if (sha256 === undefined) continue;
    assertEquals(id, `file:${localName(`examples/${entity["runrec:path"]}`)}@${sha256}`);
    assertEquals(sha256, sha256Of(join(root, entity["runrec:path"] as string)));
  }
  const invalidated = Object.values(document.wasInvalidatedBy as Record<string, Obj>);
  assertEquals(invalidated.map((r) => r["prov:entity"]), [
    `file:examples/${DEL_03}/Guidance.md`,
  ]);
  const agents = Object.keys(document.agent as Obj).sort();
  assertEquals(agents, ["agent:examples/4_DOCUMENTS", "agent:examples/DEPENDENCIES"]);
  assertEquals(Object.keys(document.wasAssociatedWith as Obj).length, 5);
});

Deno.test("export annotations: annotation records are no runs: no events, activities or agents for them, in either format", async () => {
  const { root, annotations } = await examplesWithAnnotations();
  const events = jsonLines((await exported(root, "--format", "openlineage")).stdout);
  assertEquals(events.length, 10, "two events for each of the 5 runs, none for the 3 annotations");
  for (const event of events) {
    const runFacet = ((event.run as Obj).facets as Record<string, Obj>).runrec_run;
    assert(runFacet.AgentName !== ANNOTATOR, `an event for annotation ${runFacet.RunID}`);
    assert(!annotations.includes(runFacet.RunID as string), `${runFacet.RunID} exported`);
  }
  const out = join(await tempDir(), "lineage.jsonl");
  const written = await exported(root, "--format", "openlineage", "--out", out);
  assertEquals(written.stdout, `runrec export: wrote 5 runs as 10 OpenLineage events to ${out}\n`);

  const document = JSON.parse((await exported(root, "--format", "prov")).stdout) as Obj;
  assertEquals(provProblems(document), []);
  const activities = Object.values(document.activity as Record<string, Obj>);
  assertEquals(activities.length, 5);
  for (const activity of activities) {
    assert(!annotations.includes(activity["prov:label"] as string), "an annotation activity");
  }
  assertEquals(Object.keys(document.agent as Obj).sort(), [
    "agent:examples/4_DOCUMENTS",
    "agent:examples/DEPENDENCIES",
  ]);
  assertEquals(Object.keys(document.wasAssociatedWith as Obj).length, 5);
});

Deno.test("export annotations: an invalidated and a superseded run carry their annotations in both formats, schema-valid and byte-identical on every export", async () => {
  const { root, old, newer, noted, annotations } = await examplesWithAnnotations();
  const [invalidation, supersession, note] = annotations;
  const text = (await exported(root, "--format", "openlineage")).stdout;
  assertEquals((await exported(root, "--format", "openlineage")).stdout, text);
  const events = jsonLines(text);
  const ajv = openLineageAjv();
  for (const event of events) assertEquals(openLineageProblems(ajv, event), []);

  const annotationsOf = (runId: string) => {
    const mine = events.filter((e) => (e.run as Obj).runId === runUuid("examples", runId));
    assertEquals(mine.length, 2);
    const [start, end] = mine.map((e) => ((e.run as Obj).facets as Obj).runrec_annotations as Obj);
    assertEquals(start, end, "both events of a run carry the same annotations");
    return (end?.annotations as Obj[] | undefined)?.map(({ timestamp, ...rest }) => {
      assertMatch(timestamp as string, /^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
      return rest;
    });
  };
  assertEquals(annotationsOf(old), [
    {
      annotationRunID: invalidation,
      kind: "invalidated",
      note: "ran on the wrong decomposition",
    },
    {
      annotationRunID: supersession,
      kind: "superseded",
      otherRunID: newer,
      note: "rerun; with, commas",
    },
  ]);
  assertEquals(annotationsOf(newer), [
    {
      annotationRunID: supersession,
      kind: "supersedes",
      otherRunID: old,
      note: "rerun; with, commas",
    },
  ]);
  assertEquals(annotationsOf(noted), [
    { annotationRunID: note, kind: "note", note: "checked by hand" },
  ]);
  const annotated = events.filter((e) => ((e.run as Obj).facets as Obj).runrec_annotations);
  assertEquals(annotated.length, 6, "runs without annotations carry no runrec_annotations facet");
  // The facet's schema is not a rubber stamp.
  const broken = structuredClone(annotated[0]);
  const facet = ((broken.run as Obj).facets as Record<string, Obj>).runrec_annotations;
  (facet.annotations as Obj[])[0].kind = "deleted";
  assertMatch(openLineageProblems(ajv, broken).join("\n"), /runrec_annotations: .*allowed values/);
  delete (facet.annotations as Obj[])[0].kind;
  assertMatch(openLineageProblems(ajv, broken).join("\n"), /must have required property 'kind'/);

  const provText = (await exported(root, "--format", "prov")).stdout;
  assertEquals((await exported(root, "--format", "prov")).stdout, provText);
  const document = JSON.parse(provText) as Obj;
  assertEquals(provProblems(document), []);
  const activities = document.activity as Record<string, Obj>;
  const activityOf = (runId: string) => activities[`run:${runUuid("examples", runId)}`];
  const runName = (runId: string) => ({
    $: `run:${runUuid("examples", runId)}`,
    type: "prov:QUALIFIED_NAME",
  });
  const annotationKeys = (activity: Obj) =>
    Object.fromEntries(
      Object.entries(activity).filter(([key]) =>
        /^runrec:(invalidatedBy|supersededBy|supersedes|annotation)$/.test(key)
      ),
    );
  const stamps = (runId: string) =>
    (activityOf(runId)["runrec:annotation"] as string[]).map((a) => a.split(" ")[0]);
  const [invalidatedAt, supersededAt] = stamps(old);
  assertEquals(annotationKeys(activityOf(old)), {
    "runrec:invalidatedBy": [invalidation],
    "runrec:supersededBy": [runName(newer)],
    "runrec:annotation": [
      `${invalidatedAt} ${invalidation} invalidated: ran on the wrong decomposition`,
      `${supersededAt} ${supersession} superseded by ${newer}: rerun; with, commas`,
    ],
  });
  assertEquals(annotationKeys(activityOf(newer)), {
    "runrec:supersedes": [runName(old)],
    "runrec:annotation": [`${supersededAt} ${supersession} supersedes ${old}: rerun; with, commas`],
  });
  assertEquals(annotationKeys(activityOf(noted)), {
    "runrec:annotation": [`${stamps(noted)[0]} ${note} note: checked by hand`],
  });
  // The runs they name are activities of the document.
  assert(Object.hasOwn(activities, runName(newer).$) && Object.hasOwn(activities, runName(old).$));
  const plain = Object.values(activities).filter((a) =>
    Object.keys(annotationKeys(a)).length === 0
  );
  assertEquals(plain.length, 2);

  // The order the lines were appended in does not show: the same file reversed exports alike.
  const file = join(root, DEL_02, RECORD_FILE);
  const [header, ...lines] = Deno.readTextFileSync(file).trimEnd().split("\n");
  Deno.writeTextFileSync(file, [header, ...lines.reverse()].map((l) => `${l}\n`).join(""));
  assertEquals((await exported(root, "--format", "openlineage")).stdout, text);
  assertEquals((await exported(root, "--format", "prov")).stdout, provText);
});

Deno.test("export: the text written piece by piece is the whole document's, byte for byte: PROV-JSON as sortedJsonPretty of provDocument, OpenLineage as sortedJson of each event", async () => {
  // Annotations, a deleted output (wasInvalidatedBy), and no runs at all (every section empty).
  const { root } = await examplesWithAnnotations();
  const draw = drawer(seededRandom("export piece by piece"));
  const generated = await generatedRoot(await tempDir(), "proj", generatedProject(draw, 2, 3));
  const collected = (target: string) => collectRuns([target], { warn: () => {} });
  for (const runs of [await collected(root), await collected(generated), []]) {
    assertEquals([...provDocumentText(runs)].join(""), `${sortedJsonPretty(provDocument(runs))}\n`);
    assertEquals(
      [...openLineageLines(runs)].join(""),
      openLineageEvents(runs).map((event) => `${sortedJson(event)}\n`).join(""),
    );
  }
  assertEquals(await Array.fromAsync(batched(["ab", "c", "def", "g"], 3)), ["abc", "def", "g"]);
});

Deno.test("export prov: a supersede of or by a run whose RunID two records share (branches merged in one minute) links the activity of the record it names (annotate-sweep F1, export-sweep F1)", async () => {
  const root = await tempDir({ prefix: "runrec-export-" });
  const del = join(root, "DEL-01-02_X");
  await Deno.mkdir(del);
  const file = join(del, RECORD_FILE);
  const record = (RunID: string, RunTimestamp: string, Notes: string) =>
    sampleRecord({ RunID, RunTimestamp, AgentName: "A", Notes });
  const older = record("RUN-DEL-01-02-20260101-0000-001", "2026-01-01T00:00:00Z", "older");
  const shared = "RUN-DEL-01-02-20260102-0000-001";
  const onMain = record(shared, "2026-01-02T00:00:10Z", "main");
  const onBranch = record(shared, "2026-01-02T00:00:20Z", "branch");
  const lines = [older, onMain, onBranch].map((r) => encodeRecord({ ...r, RecordChecksum: "" }));
  await Deno.writeTextFile(file, [HEADER, ...lines].join("\n") + "\n");
  const annotated = await runCli(
    ["annotate", del, shared, "--line", "4", "--supersedes", older.RunID, "--note", "rerun"],
  );
  assertEquals(annotated.code, 0, annotated.stderr);
  const out = join(root, "prov.json");
  const exported = await runCli(["export", del, "--format", "prov", "--out", out]);
  assertEquals(exported.code, 0, exported.stderr);
  const document = JSON.parse(await Deno.readTextFile(out));
  assertEquals(provProblems(document), []);
  const activities = Object.entries(document.activity as Obj) as [string, Obj][];
  const byNotes = (notes: string) => activities.find(([, a]) => a["runrec:Notes"] === notes)!;
  const [branchId, branch] = byNotes("branch");
  const [olderId, old] = activities.find(([, a]) => a["prov:label"] === older.RunID)!;
  assertEquals((old["runrec:supersededBy"] as { $: string }[]).map((l) => l.$), [branchId]);
  assertEquals((branch["runrec:supersedes"] as { $: string }[]).map((l) => l.$), [olderId]);
  assertEquals(byNotes("main")[1]["runrec:supersedes"], undefined);
});

Deno.test("export prov: local names percent-encode what PROV-N does not allow, and ? and # (review-x F8)", () => {
  assertEquals(localName("a/b c.md"), "a/b%20c.md");
  assertEquals(localName("naïve"), "na%C3%AFve");
  assertEquals(localName("x."), "x%2E");
  assertEquals(localName("50%=half"), "50%25%3Dhalf");
  // Two hex digits also below 0x10 (a tab was %9).
  assertEquals(localName("tab\tx.md"), "tab%09x.md");
  assertEquals(localName("a@b~c&d+e*f$i!j"), "a@b~c&d+e*f$i!j");
  // `?` and `#` would start a query or a fragment of the URI the name expands to (review-x F8).
  assertEquals(localName("my proj:x#y?z"), "my%20proj%3Ax%23y%3Fz");
  // PROV-N's PN_LOCAL starts with neither `.` nor `-`, and has `:` only escaped.
  assertEquals(localName(".plant/x"), "%2Eplant/x");
  assertEquals(localName("-acme/a-b"), "%2Dacme/a-b");
  assertEquals(localName("a:b"), "a%3Ab");
});

Deno.test("export prov: a root in a hidden folder, a namespace starting with '-' and a file name with ':' give PROV-N local names", async () => {
  const parent = await tempDir({ prefix: "runrec-export-" });
  const root = join(parent, ".plant");
  const copied = await new Deno.Command("cp", { args: ["-R", join(ROOT, "examples"), root] })
    .output();
  assert(copied.success, "could not copy examples/");
  await Deno.writeTextFile(join(root, DEL_02, "a:b.md"), "colon\n");
  const emitted = await runCli([
    ...["emit", join(root, DEL_02), "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    ...["--input", "_CONTEXT.md", "--input", "a:b.md"],
  ]);
  assertEquals(emitted.code, 0, emitted.stderr);
  for (const namespace of [[], ["--namespace", "-acme"]]) {
    const { stdout } = await exported(root, "--format", "prov", ...namespace);
    const document = JSON.parse(stdout);
    assertEquals(provProblems(document), [], namespace.join(" "));
    const agents = Object.keys(document.agent);
    assertEquals(agents, [
      namespace.length ? "agent:%2Dacme/4_DOCUMENTS" : "agent:%2Eplant/4_DOCUMENTS",
    ]);
    assert(Object.keys(document.entity).some((id) => id.includes("/a%3Ab.md@")), stdout);
  }
});

Deno.test("export: generated execution roots (seeded) validate in both formats, whatever the file order", async () => {
  const draw = drawer(seededRandom("export generated roots"));
  const records = generatedProject(draw, 3, 4);
  const parentA = await tempDir();
  const parentB = await tempDir();
  const rootA = await generatedRoot(parentA, "proj", records);
  // The same records, each file in another order, in another place.
  const rootB = await generatedRoot(parentB, "proj", records, (list) => shuffled(draw, list));
  const ajv = openLineageAjv();
  for (const format of ["openlineage", "prov"]) {
    const a = (await exported(rootA, "--format", format)).stdout;
    const b = (await exported(rootB, "--format", format)).stdout;
    assertEquals(a, b, `${format}: the same records give the same bytes`);
    if (format === "prov") {
      assertEquals(provProblems(JSON.parse(a)), []);
      continue;
    }
    const events = jsonLines(a);
    const total = [...records.values()].reduce((n, list) => n + list.length, 0);
    assertEquals(events.length, 2 * total);
    for (const event of events) assertEquals(openLineageProblems(ajv, event), []);
    // Runs in start order (then RunID), START before its end event.
    const starts = events.filter((e) => e.eventType === "START").map((e) => e.eventTime as string);
    assertEquals(starts, [...starts].sort((x, y) => Date.parse(x) - Date.parse(y)));
    const outside = events.flatMap((e) => (e.inputs as Obj[]).map((d) => d.name as string))
      .filter((n) => n.startsWith(".."));
    assert(outside.every((n) => n === "../outside the root.md"), outside.join(", "));
  }
});

Deno.test("export: byte-identical output on every run, from any working folder, and a deliverable alone gives its lines of the root's export", async () => {
  const root = await examplesWithRuns();
  for (const format of ["openlineage", "prov"]) {
    const first = (await exported(root, "--format", format)).stdout;
    const second = (await exported(root, "--format", format)).stdout;
    assertEquals(second, first);
    // A real process started elsewhere, the target given as a relative path.
    const child = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...FULL_FLAGS,
        CLI_ENTRY,
        "export",
        "examples",
        "--format",
        format,
      ],
      cwd: join(root, ".."),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    assertEquals(child.code, 0, decoder.decode(child.stderr));
    assertEquals(decoder.decode(child.stdout), first, `${format}: from another working folder`);
  }
  const all = jsonLines((await exported(root, "--format", "openlineage")).stdout);
  const alone = jsonLines((await exported(join(root, DEL_02), "--format", "openlineage")).stdout);
  assertEquals(alone, all.filter((e) => (e.job as Obj).name === "DEL-01-02"));
  assertEquals(alone.length, 6);
});

Deno.test("export: a later export holds every line of an earlier one, so only new lines need sending", async () => {
  const root = await examplesWithRuns();
  const before = (await exported(root, "--format", "openlineage")).stdout.split("\n");
  const emitted = await runCli([
    ...["emit", join(root, DEL_01), "--agent", "PREPARATION", "--status", "SUCCESS"],
    ...["--started", "2026-02-20T08:00:00Z"], // earlier than every run so far: sorts first
  ]);
  assertEquals(emitted.code, 0, emitted.stderr);
  const after = (await exported(root, "--format", "openlineage")).stdout.split("\n");
  assertEquals(after.filter((line) => !before.includes(line)).length, 2);
  assertEquals(before.filter((line) => !after.includes(line)), []);
});

Deno.test("export: two records with one RunID are both exported as two runs (runIds of RunID and RecordChecksum), with a warning naming both lines; a line repeated byte for byte is one run", async () => {
  const draw = drawer(seededRandom("export repeated RunID"));
  const records = generatedProject(draw, 1, 1);
  const root = await generatedRoot(await tempDir(), "proj", records);
  const [folder, list] = [...records][0];
  const file = join(root, folder, RECORD_FILE);
  const collided = { ...list[0], Notes: "another run, given the same RunID" };
  Deno.writeTextFileSync(file, `${encodeRecord(collided)}\n`, { append: true });
  // A cherry-pick then a merge repeats a line: the same run, exported once.
  Deno.writeTextFileSync(file, `${encodeRecord(list[0])}\n`, { append: true });
  const result = await exported(root, "--format", "openlineage");
  const events = jsonLines(result.stdout);
  assertEquals(events.length, 2 * (list.length + 1));
  assertMatch(
    result.stderr,
    new RegExp(
      `warning: ${list[0].RunID} names 2 records in .*${RECORD_FILE} \\(lines 2, ${
        list.length + 2
      }: a RunID collision, see runrec verify\\); each runId is made from its RunID and ` +
        "RecordChecksum",
    ),
  );
  assert(!result.stderr.includes("share one run id"), result.stderr);
  // Distinct records, distinct runs; each collided runId from its RunID and RecordChecksum.
  const runIds = events.map((e) => (e.run as Obj).runId as string);
  assertEquals(new Set(runIds).size, list.length + 1);
  for (const record of [list[0], collided]) {
    const id = runUuid("proj", `${record.RunID}/${encodeRecordChecksum(record)}`);
    assertEquals(runIds.filter((r) => r === id).length, 2);
  }
  // The other runs keep today's runIds (RunID alone).
  for (const record of list.slice(1)) {
    assertEquals(runIds.filter((r) => r === runUuid("proj", record.RunID)).length, 2);
  }
  // In PROV: one activity per record, each associated with its own agent only.
  const prov = JSON.parse((await exported(root, "--format", "prov")).stdout);
  assertEquals(Object.keys(prov.activity).length, list.length + 1);
  const associations = Object.values(prov.wasAssociatedWith as Record<string, Obj>);
  assertEquals(new Set(associations.map((a) => a["prov:activity"])).size, list.length + 1);
});

Deno.test("export: a RunTimestamp with 9 fraction digits ends at RunTimestamp + RunDuration to the nanosecond, never before its start (was cut to the millisecond), in both formats", async () => {
  const draw = drawer(seededRandom("export nanoseconds"));
  const records = generatedProject(draw, 1, 1);
  const root = await generatedRoot(await tempDir(), "proj", records);
  const [folder, list] = [...records][0];
  const id = list[0].RunID.replace(/-\d{8}-\d{4}-\d+$/, "-20260101-0000-");
  const cases = [
    { RunID: `${id}901`, RunTimestamp: "2026-01-01T00:00:00.123456789Z", RunDuration: "PT0S" },
    { RunID: `${id}902`, RunTimestamp: "2026-01-01T00:00:59.9999Z", RunDuration: "PT1.5S" },
  ];
  const ends = ["2026-01-01T00:00:00.123456789Z", "2026-01-01T00:01:01.4999Z"];
  const output = {
    RunStatus: "SUCCESS",
    ErrorSummary: "",
    OutputFiles: ["Out.md"],
    OutputHashes: { "Out.md": "a".repeat(64) },
  };
  for (const fields of cases) {
    const line = encodeRecord({ ...list[0], ...output, ...fields });
    Deno.writeTextFileSync(join(root, folder, RECORD_FILE), `${line}\n`, { append: true });
  }
  const events = jsonLines((await exported(root, "--format", "openlineage")).stdout);
  const prov = JSON.parse((await exported(root, "--format", "prov")).stdout);
  const activities = Object.values(prov.activity as Record<string, Obj>);
  cases.forEach(({ RunID, RunTimestamp }, i) => {
    const times = events
      .filter((e) => ((e.run as Obj).facets as Record<string, Obj>).runrec_run.RunID === RunID)
      .map((e) => [e.eventType, e.eventTime]);
    assertEquals(times, [["START", RunTimestamp], ["COMPLETE", ends[i]]], RunID);
    const activity = activities.find((a) => a["prov:label"] === RunID)!;
    assertEquals([activity["prov:startTime"], activity["prov:endTime"]], [RunTimestamp, ends[i]]);
  });
  // Each output's generation is at the run's end too.
  const generated = Object.values(prov.wasGeneratedBy as Record<string, Obj>)
    .map((g) => g["prov:time"] as string);
  for (const end of ends) assert(generated.includes(end), `no output generated at ${end}`);
});

/** The RecordChecksum a record is written with (the last field of its encoded line). */
function encodeRecordChecksum(record: Parameters<typeof encodeRecord>[0]): string {
  return encodeRecord(record).split(",").at(-1)!;
}

Deno.test("export: --namespace names jobs, datasets and runIds; the same RunID in two projects gets two runIds", async () => {
  const draw = drawer(seededRandom("export namespaces"));
  const records = generatedProject(draw, 1, 1);
  const one = await generatedRoot(await tempDir(), "project-one", records);
  const two = await generatedRoot(await tempDir(), "project-two", records);
  const [a, b] = await Promise.all(
    [one, two].map(async (r) => jsonLines((await exported(r, "--format", "openlineage")).stdout)),
  );
  assertEquals((a[0].job as Obj).namespace, "project-one");
  assertEquals((b[0].job as Obj).namespace, "project-two");
  assert((a[0].run as Obj).runId !== (b[0].run as Obj).runId, "runIds differ across projects");
  const named = jsonLines(
    (await exported(one, "--format", "openlineage", "--namespace", "acme"))
      .stdout,
  );
  assertEquals((named[0].job as Obj).namespace, "acme");
  assertEquals((named[0].inputs as Obj[])[0]?.namespace ?? "acme", "acme");
  const runId = ((named[0].run as Obj).facets as Record<string, Obj>).runrec_run.RunID as string;
  assertEquals((named[0].run as Obj).runId, runUuid("acme", runId));
});

Deno.test("export: unreadable lines are skipped with a warning naming the file and line; the rest is exported", async () => {
  const draw = drawer(seededRandom("export bad lines"));
  const records = generatedProject(draw, 1, 1);
  const root = await generatedRoot(await tempDir(), "proj", records);
  const [folder, list] = [...records][0];
  const file = join(root, folder, RECORD_FILE);
  const good = Deno.readTextFileSync(file);
  // A torn line (an interrupted write) and a valid-checksum line that breaks the schema.
  const broken = { ...list[0], RunStatus: "DONE" };
  Deno.writeTextFileSync(
    file,
    `${good}${encodeRecord(broken)}\n${good.split("\n")[1].slice(0, 40)}`,
  );
  const before = Deno.readFileSync(file);
  const result = await exported(root, "--format", "openlineage");
  assertEquals(jsonLines(result.stdout).length, 2 * list.length);
  const warnings = result.stderr.trim().split("\n");
  assertEquals(warnings.length, 2, result.stderr);
  assertMatch(
    warnings[0],
    new RegExp(`^runrec export: warning: .*${RECORD_FILE}:${list.length + 2}: .*RunStatus`),
  );
  assertMatch(warnings[1], new RegExp(`${RECORD_FILE}:${list.length + 3}: `));
  assertEquals(Deno.readFileSync(file), before, "the record file is never changed");
});

Deno.test("export --out: writes the file whole (replacing an older one), prints a summary, and equals standard output", async () => {
  const root = await examplesWithRuns();
  const outDir = await tempDir();
  const out = join(outDir, "lineage.jsonl");
  Deno.writeTextFileSync(out, "an older export\n");
  const stdout = (await exported(root, "--format", "openlineage")).stdout;
  const written = await exported(root, "--format", "openlineage", "--out", out);
  assertEquals(Deno.readTextFileSync(out), stdout);
  assertEquals(written.stdout, `runrec export: wrote 5 runs as 10 OpenLineage events to ${out}\n`);
  assertEquals([...Deno.readDirSync(outDir)].map((e) => e.name), ["lineage.jsonl"]);
});

Deno.test("export --out: a folder, a missing folder (named as given, not by the temporary file) or a full disk (tiny tmpfs) is one error line, exit 2, the old file intact and no temporary file left, nor named (export-sweep F3)", async () => {
  const root = await examplesWithRuns();
  const outDir = await tempDir();
  const folder = await runCli(["export", root, "--format", "prov", "--out", outDir]);
  assertEquals(folder.code, 2);
  assertEquals(folder.stderr, `runrec export: ${outDir}: is a folder, not a file\n`);
  const missing = join(outDir, "no such folder", "x.json");
  const nowhere = await runCli(["export", root, "--format", "prov", "--out", missing]);
  assertEquals(nowhere.code, 2);
  // Named as given, never by the temporary file written first.
  assertEquals(
    nowhere.stderr,
    `runrec export: ${missing}: cannot write: no such folder ${dirname(missing)}\n`,
  );

  const mount = await tempDir();
  const mounted = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=16k", "tmpfs", mount],
    stderr: "piped",
  }).output();
  assertEquals(mounted.code, 0, `mount failed: ${new TextDecoder().decode(mounted.stderr)}`);
  try {
    const out = join(mount, "lineage.jsonl");
    Deno.writeTextFileSync(out, "the previous export\n");
    const full = await runCli(["export", root, "--format", "openlineage", "--out", out]);
    assert(full.stdout.length === 0, full.stdout);
    assertEquals(full.code, 2);
    assertMatch(
      full.stderr,
      /^runrec export: .*lineage\.jsonl: cannot write: No space left on device \(os error 28\)\n$/,
    );
    // Read-only: not the temporary file Deno's error names, gone already and never the user's
    // (export-sweep F3).
    await new Deno.Command("mount", { args: ["-o", "remount,ro", mount] }).output();
    const readOnly = await runCli(["export", root, "--format", "openlineage", "--out", out]);
    assertEquals(readOnly.code, 2);
    assertMatch(
      readOnly.stderr,
      /^runrec export: .*lineage\.jsonl: cannot write: Read-only file system \(os error 30\)\n$/,
    );
    assertEquals(Deno.readTextFileSync(out), "the previous export\n");
    assertEquals([...Deno.readDirSync(mount)].map((e) => e.name), ["lineage.jsonl"]);
  } finally {
    await new Deno.Command("umount", { args: [mount] }).output();
  }
});

Deno.test("export --out killed by SIGINT or SIGTERM while it writes removes its temporary file and ends by that signal; the older file is kept (was a hidden .FILE.<pid>-<rand>.tmp of the export's size, never removed)", async () => {
  const root = await tempDir();
  const del = join(root, "PKG-01_A", "1_Working", "DEL-01-02_X");
  // 10,000 records: their export (about 80 MB) is written for most of a second or more.
  const lines = Array.from({ length: 10_000 }, (_, i) => {
    const minute = String(Math.floor(i / 100) % 60).padStart(2, "0");
    const hour = String(Math.floor(i / 6000)).padStart(2, "0");
    const seq = String((i % 100) + 1).padStart(3, "0");
    return encodeRecord(sampleRecord({
      RunID: `RUN-DEL-01-02-20250101-${hour}${minute}-${seq}`,
      RunTimestamp: `2025-01-01T${hour}:${minute}:00.${seq}Z`,
    }));
  });
  await writeTree(del, { [RECORD_FILE]: `${HEADER}\n${lines.join("\n")}\n` });
  const outDir = join(root, "out");
  const out = join(outDir, "lineage.jsonl");
  await writeTree(outDir, { "lineage.jsonl": "an older export\n" });
  const temporary = () => [...Deno.readDirSync(outDir)].filter((e) => e.name.endsWith(".tmp"));
  for (const [signal, number] of [["SIGINT", 2], ["SIGTERM", 15]] as const) {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        ...["run", ...FULL_FLAGS, CLI_ENTRY, "export", del],
        ...["--format", "openlineage", "--out", out],
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    let ended = false;
    const status = child.status.finally(() => void (ended = true));
    // Killed once the temporary file holds a part of the export.
    while (!ended && !temporary().some((e) => Deno.statSync(join(outDir, e.name)).size > 1e6)) {
      await new Promise((done) => setTimeout(done, 5));
    }
    assert(!ended, "the export ended before it could be killed: give it more records");
    child.kill(signal);
    const { code, signal: endedBy } = await status;
    assert(endedBy === signal || code === 128 + number, `${signal}: exit ${code}, ${endedBy}`);
    assertEquals(temporary().map((e) => e.name), [], `${signal} left its temporary file`);
    assertEquals(Deno.readTextFileSync(out), "an older export\n");
  }
});

Deno.test("export --out never overwrites a record file, its lock or runrec's state: exit 2, every byte kept", async () => {
  const root = await examplesWithRuns();
  const del = join(root, "PKG-01_Field_Instruments", "1_Working", "DEL-01-02_Flow_Meter_Selection");
  const file = join(del, RECORD_FILE);
  const before = Deno.readFileSync(file);
  for (
    const out of [file, `${file}.lock`, join(del, ".runrec", "x.json"), RECORD_FILE]
  ) {
    const result = await runCli(["export", del, "--format", "prov", "--out", out]);
    assertEquals(result.code, 2, out);
    assertEquals(
      result.stderr,
      `runrec export: --out ${out}: a record file or runrec's own state, which export never ` +
        "overwrites (records are only ever appended); name another file " +
        "(see runrec export --help)\n",
    );
    assertEquals(result.stdout, "");
  }
  assertEquals(Deno.readFileSync(file), before);
  assertEquals((await runCli(["validate", del])).code, 0);
});

Deno.test("export: usage errors and missing targets are one line and exit 2", async () => {
  const root = await examplesWithRuns();
  const cases: [string[], RegExp][] = [
    [[root], /--format is required/],
    [[root, "--format", "csv"], /--format: "csv" is not one of openlineage, prov/],
    [["--format", "prov"], /missing <del-dir\|file\|root>/],
    [[join(root, "nope"), "--format", "prov"], /nope: no such file or folder/],
    [[root, "--format", "prov", "--namespace="], /--namespace needs a name/],
  ];
  for (const [args, pattern] of cases) {
    const result = await runCli(["export", ...args]);
    assertEquals(result.code, 2, args.join(" "));
    assertMatch(result.stderr, pattern);
    assertEquals(result.stderr.split("\n").length, 2, `one line: ${result.stderr}`);
    assertEquals(result.stdout, "");
  }
  const none = await tempDir();
  const nothing = await runCli(["export", none, "--format", "openlineage"]);
  assertEquals(nothing, {
    code: 0,
    stdout: "",
    stderr: "runrec export: warning: no run records to export\n",
  });
});

Deno.test("export: a blank --namespace or one holding a control character is refused in one line, exit 2 (it was put in every runId and job)", async () => {
  const root = await examplesWithRuns();
  const cases: [string, string][] = [
    [" ", "--namespace needs a name (got only blanks)"],
    ["\t", "--namespace needs a name (got only blanks)"],
    ["a\nb", "--namespace holds the control character U+000A: give one line of printable text"],
    ["acme\x1b[31m", "--namespace holds the control character U+001B: give one line"],
  ];
  for (const [namespace, message] of cases) {
    const result = await runCli(["export", root, "--format", "prov", "--namespace", namespace]);
    assertEquals([result.code, result.stdout], [2, ""], JSON.stringify(namespace));
    assert(result.stderr.startsWith(`runrec export: ${message}`), result.stderr);
    assertEquals(result.stderr.split("\n").length, 2, `one line: ${result.stderr}`);
  }
  await exported(root, "--format", "prov", "--namespace", "github.com/acme/plant a");
});

Deno.test("export: the facet schema names the record's text fields, the producer is this release, and the CLI never loads ajv", () => {
  const schema = JSON.parse(
    Deno.readTextFileSync(join(ROOT, "src/export/openlineage_facets.json")),
  );
  assertEquals(schema.$id, FACETS_SCHEMA_URL);
  const run = schema.$defs.RunrecRunFacet.allOf[1];
  assertEquals(run.required, TEXT_FIELDS);
  assertEquals(Object.keys(run.properties), TEXT_FIELDS);
  const deno = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  assertEquals(VERSION, deno.version);
  assertEquals(PRODUCER, `https://jsr.io/${deno.name}/${deno.version}`);
  for (const entry of Deno.readDirSync(join(ROOT, "src/export"))) {
    const text = Deno.readTextFileSync(join(ROOT, "src/export", entry.name));
    assert(!/from "(npm:)?ajv/.test(text), `${entry.name} imports ajv`);
  }
  assert(!Deno.readTextFileSync(join(ROOT, "src/cli/export.ts")).includes("ajv"));
});

Deno.test("export --out onto a FIFO writes into it for the reader waiting on it; the FIFO stays a FIFO", async () => {
  const root = await examplesWithRuns();
  const fifo = join(await tempDir(), "fifo2");
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert(made.success, "mkfifo failed");
  const expected = (await exported(root, "--format", "prov")).stdout;
  // The reader is a process of its own, so that a writer that never opens the FIFO cannot hang the test.
  const reader = new Deno.Command("cat", { args: [fifo], stdout: "piped" }).spawn();
  const result = await runCliProcess(["export", root, "--format", "prov", "--out", fifo]);
  const stillFifo = Deno.lstatSync(fifo).isFifo;
  if (!stillFifo) reader.kill();
  const read = new TextDecoder().decode((await reader.output()).stdout);
  assert(stillFifo, "the FIFO was replaced by a regular file");
  assertEquals([result.code, result.stdout], [0, ""], result.stderr);
  assertEquals(read, expected);
  assertEquals(result.stderr, `runrec export: wrote 5 runs as a PROV-JSON document to ${fifo}\n`);
});

Deno.test("export --out - writes to standard output, no file named - made; --out ./- writes that file (trial-t F8)", async () => {
  const root = await examplesWithRuns();
  const expected = (await exported(root, "--format", "prov")).stdout;
  const cwd = await tempDir();
  const args = ["export", root, "--format", "prov", "--out"];
  const result = await runCliProcess([...args, "-"], undefined, undefined, cwd);
  assertEquals([result.code, result.stdout, result.stderr], [0, expected, ""]);
  assert(!existsSync(join(cwd, "-")), "a file named - was written");
  const file = await runCliProcess([...args, "./-"], undefined, undefined, cwd);
  assertEquals([file.code, file.stdout], [
    0,
    "runrec export: wrote 5 runs as a PROV-JSON document to ./-\n",
  ]);
  assertEquals(await Deno.readTextFile(join(cwd, "-")), expected);
});

Deno.test("export --out /dev/stdout, /proc/self/fd/1 and /dev/null write into the descriptor; the summary goes to stderr", async () => {
  const root = await examplesWithRuns();
  const expected = (await exported(root, "--format", "openlineage")).stdout;
  for (const out of ["/dev/stdout", "/proc/self/fd/1"]) {
    const result = await runCliProcess(["export", root, "--format", "openlineage", "--out", out]);
    assertEquals(result.code, 0, `${out}: ${result.stderr}`);
    assertEquals(result.stdout, expected, out);
    assertEquals(result.stderr, `runrec export: wrote 5 runs as 10 OpenLineage events to ${out}\n`);
  }
  const nul = await runCliProcess(["export", root, "--format", "prov", "--out", "/dev/null"]);
  assertEquals([nul.code, nul.stdout], [0, ""], nul.stderr);
  assert(Deno.lstatSync("/dev/null").isCharDevice, "/dev/null is still the device");
  const other = await runCli(["export", root, "--format", "prov", "--out", "/dev/fd/7"]);
  assertEquals(other.code, 2);
  assertEquals(
    other.stderr,
    "runrec export: /dev/fd/7: a file descriptor other than standard output or error, which " +
      "export cannot open; name a file, or redirect standard output (--out omitted)\n",
  );
});

Deno.test("export --out through a symbolic link replaces the link's target whole and keeps the link; a dangling link or one to a record file is refused", async () => {
  const root = await examplesWithRuns();
  const dir = await tempDir();
  const target = join(dir, "exports", "lineage.jsonl");
  Deno.mkdirSync(join(dir, "exports"));
  Deno.writeTextFileSync(target, "an older export\n");
  const link = join(dir, "latest.jsonl");
  Deno.symlinkSync("exports/lineage.jsonl", link);
  const expected = (await exported(root, "--format", "openlineage")).stdout;
  const written = await exported(root, "--format", "openlineage", "--out", link);
  assertEquals(written.stdout, `runrec export: wrote 5 runs as 10 OpenLineage events to ${link}\n`);
  assert(Deno.lstatSync(link).isSymlink, "the link was replaced");
  assertEquals(Deno.readTextFileSync(target), expected);
  assertEquals([...Deno.readDirSync(join(dir, "exports"))].map((e) => e.name), ["lineage.jsonl"]);

  const dangling = join(dir, "dangling.jsonl");
  Deno.symlinkSync("nowhere/x.jsonl", dangling);
  const refused = await runCli(["export", root, "--format", "prov", "--out", dangling]);
  assertEquals(refused.code, 2);
  assertEquals(
    refused.stderr,
    `runrec export: ${dangling}: is a symbolic link to ${join(dir, "nowhere/x.jsonl")}, ` +
      "which does not exist\n",
  );
  assert(Deno.lstatSync(dangling).isSymlink);

  const del = join(root, "PKG-01_Field_Instruments", "1_Working", "DEL-01-02_Flow_Meter_Selection");
  const records = join(del, RECORD_FILE);
  const before = Deno.readFileSync(records);
  const toRecords = join(dir, "records.json");
  Deno.symlinkSync(records, toRecords);
  const kept = await runCli(["export", del, "--format", "prov", "--out", toRecords]);
  assertEquals(kept.code, 2);
  assertMatch(kept.stderr, new RegExp(`--out ${records}: a record file or runrec's own state`));
  assertEquals(Deno.readFileSync(records), before);
});

Deno.test("export docs: the Marquez recipe of docs/EXPORT.md sends an event over 128 KiB and every event after it", async () => {
  const docs = Deno.readTextFileSync(join(ROOT, "docs/EXPORT.md"));
  const section = docs.slice(docs.indexOf("### Sending the events to Marquez"));
  const recipe = /```sh\n([^]*?)```/.exec(section)![1];
  assertMatch(
    recipe,
    /^runrec export \. --format openlineage --namespace \S+ --out lineage\.jsonl$/m,
  );
  const dir = await tempDir();
  // A stand-in curl (the real program's argument handling is the kernel's: an argument over
  // 128 KiB never reaches it): it keeps what it was sent, from standard input for `@-`.
  Deno.mkdirSync(join(dir, "bin"));
  Deno.writeTextFileSync(
    join(dir, "bin", "curl"),
    `#!/bin/sh\nfor a; do last=$a; done\n` +
      `if [ "$last" = @- ]; then cat; else printf '%s' "$last"; fi >> ${dir}/received\n` +
      "printf '\\n' >> " + `${dir}/received\n`,
  );
  Deno.chmodSync(join(dir, "bin", "curl"), 0o755);
  const events = [
    JSON.stringify({ eventType: "START", inputs: "x".repeat(200 << 10) }),
    JSON.stringify({ eventType: "COMPLETE" }),
  ];
  Deno.writeTextFileSync(join(dir, "lineage.jsonl"), events.map((e) => `${e}\n`).join(""));
  const loop = recipe.split("\n").filter((line) => !line.startsWith("runrec ")).join("\n");
  const run = await new Deno.Command("bash", {
    args: ["-c", loop],
    cwd: dir,
    env: { PATH: `${join(dir, "bin")}:${Deno.env.get("PATH")}` },
    stderr: "piped",
  }).output();
  assertEquals(run.code, 0, new TextDecoder().decode(run.stderr));
  const received = Deno.readTextFileSync(join(dir, "received")).split("\n").filter((l) => l);
  assertEquals(received, events);
});

/**
 * Runs docs/EXPORT.md's Marquez recipe as written, with `sh`, in `dir` (holding `plant/`, a copy
 * of examples/ with records), runrec on PATH and MARQUEZ a local stand-in that answers 500 to its
 * `refused`-th POST (0: none): the recipe's exit and output, and what the server kept.
 */
async function sendToMarquez(
  dir: string,
  refused: number,
): Promise<{ code: number; stdout: string; kept: { contentType: string; body: string }[] }> {
  const docs = Deno.readTextFileSync(join(ROOT, "docs/EXPORT.md"));
  const section = docs.slice(docs.indexOf("### Sending the events to Marquez"));
  const recipe = /```sh\n([^]*?)```/.exec(section)![1];
  const kept = join(dir, `kept-${refused}.jsonl`);
  const server = new Deno.Command("python3", {
    args: [join(ROOT, "tests/support/lineage_server.py"), kept, String(refused)],
    stdout: "piped",
  }).spawn();
  try {
    const port = await firstLine(server.stdout);
    assertMatch(port, /^\d+$/);
    const script = recipe.replace(/^MARQUEZ=.*$/m, `MARQUEZ=http://127.0.0.1:${port}`);
    const run = await new Deno.Command("sh", {
      args: ["-c", script],
      cwd: join(dir, "plant"),
      env: { PATH: `${join(dir, "bin")}:${Deno.env.get("PATH")}` },
    }).output();
    const lines = existsSync(kept) ? Deno.readTextFileSync(kept).split("\n") : [];
    return {
      code: run.code,
      stdout: new TextDecoder().decode(run.stdout),
      kept: lines.filter((l) => l !== "").map((l) => JSON.parse(l)),
    };
  } finally {
    server.kill();
    await server.status;
  }
}

Deno.test("export docs: the Marquez recipe of docs/EXPORT.md, run as written with real curl, posts every event, each valid OpenLineage; a server refusing one makes it exit 1 saying how many were sent (newuser-43 F4)", async () => {
  const dir = await tempDir();
  const copy = await new Deno.Command("cp", {
    args: ["-r", join(ROOT, "examples"), join(dir, "plant")],
  }).output();
  assertEquals(copy.code, 0);
  for (const del of ["DEL-01-02_Flow_Meter_Selection", "DEL-01-03_Level_Switch_Datasheet"]) {
    const emitted = await runCli([
      "emit",
      join(dir, "plant/PKG-01_Field_Instruments/1_Working", del),
      ...["--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--input", "_CONTEXT.md"],
    ]);
    assertEquals(emitted.code, 0, emitted.stderr);
  }
  Deno.mkdirSync(join(dir, "bin"));
  Deno.writeTextFileSync(join(dir, "bin/runrec"), `#!/bin/sh\nexec ${RUNREC_SH} "$@"\n`);
  Deno.chmodSync(join(dir, "bin/runrec"), 0o755);

  const all = await sendToMarquez(dir, 0);
  assertEquals(all.code, 0, all.stdout);
  const events = Deno.readTextFileSync(join(dir, "plant/lineage.jsonl")).trimEnd().split("\n");
  assertEquals(events.length, 4);
  assertEquals(all.stdout.split("\n").slice(-2), ["sent 4 of 4 events", ""]);
  assertEquals(all.kept.map((k) => k.body.trimEnd()), events);
  const ajv = openLineageAjv();
  for (const { contentType, body } of all.kept) {
    assertEquals(contentType, "application/json");
    assertEquals(openLineageProblems(ajv, JSON.parse(body)), []);
  }
  // The server refuses the second event: the loop stops there, and the recipe fails (a CI step
  // running it fails): `|| break` alone left the loop's status 0.
  const refused = await sendToMarquez(dir, 2);
  assertEquals(refused.code, 1, refused.stdout);
  assertEquals(refused.stdout.split("\n").slice(-2), ["sent 1 of 4 events", ""]);
  assertEquals(refused.kept.map((k) => k.body.trimEnd()), events.slice(0, 1));
});

Deno.test("export: through a symbolic link to the deliverable folder or to the root, the same runIds, namespace and dataset names as through the real path", async () => {
  const dir = await tempDir();
  const copy = await new Deno.Command("cp", {
    args: ["-r", join(ROOT, "examples"), join(dir, "plant")],
  })
    .output();
  assertEquals(copy.code, 0);
  const del = join(
    dir,
    "plant",
    "PKG-01_Field_Instruments/1_Working/DEL-01-03_Level_Switch_Datasheet",
  );
  const emitted = await runCli([
    ...["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--input", "_CONTEXT.md"],
    ...["--started", "2026-02-22T10:00:00Z", "--duration", "PT1M"],
  ]);
  assertEquals(emitted.code, 0, emitted.stderr);
  await Deno.symlink(join(dir, "plant"), join(dir, "plant-link"));
  await Deno.symlink(del, join(dir, "del03"));
  const real = (await exported(del, "--format", "openlineage")).stdout;
  assert(real.includes('"namespace":"plant"'), real);
  for (
    const through of [
      join(
        dir,
        "plant-link",
        "PKG-01_Field_Instruments/1_Working/DEL-01-03_Level_Switch_Datasheet",
      ),
      join(dir, "del03"),
    ]
  ) {
    assertEquals((await exported(through, "--format", "openlineage")).stdout, real, through);
    assertEquals(
      (await exported(through, "--format", "prov")).stdout,
      (await exported(del, "--format", "prov")).stdout,
      through,
    );
  }
});

Deno.test("export prov: a deletion invalidates the version last read or written, and a later read of the missing file uses a placeholder of its own", async () => {
  const root = join(await tempDir({ prefix: "runrec-export-" }), "examples");
  const copied = await new Deno.Command("cp", { args: ["-R", join(ROOT, "examples"), root] })
    .output();
  assert(copied.success, "could not copy examples/");
  const del = join(root, DEL_01);
  const emit = async (...args: string[]) => {
    const result = await runCli(["emit", del, ...args, "--duration", "PT1M"]);
    assertEquals(result.code, 0, result.stderr);
  };
  // A reads old.md; B deletes it; C then tries to read it (missing: TBD).
  await Deno.writeTextFile(join(del, "old.md"), "a\n");
  await emit(
    "--agent",
    "A",
    "--status",
    "SUCCESS",
    "--input",
    "old.md",
    "--started",
    "2026-02-22T11:00:00Z",
  );
  await Deno.remove(join(del, "old.md"));
  await emit(
    "--agent",
    "B",
    "--status",
    "SUCCESS",
    "--output",
    "old.md",
    "--started",
    "2026-02-22T11:10:00Z",
  );
  await emit(
    ...["--agent", "C", "--status", "FAILED", "--error", "x", "--input", "old.md"],
    "--started",
    "2026-02-22T11:20:00Z",
  );
  const { stdout } = await exported(root, "--format", "prov");
  assertEquals((await exported(root, "--format", "prov")).stdout, stdout, "deterministic");
  const document = JSON.parse(stdout);
  assertEquals(provProblems(document), []);
  const old = `file:examples/${DEL_01}/old.md`;
  const relationsOf = (kind: string) =>
    Object.values(document[kind] as Record<string, Obj>).filter((r) =>
      (r["prov:entity"] as string).startsWith(`${old}@`) || r["prov:entity"] === old
    );
  const used = relationsOf("used");
  const invalidated = relationsOf("wasInvalidatedBy");
  assertEquals(used.length, 2);
  assertEquals(invalidated.length, 1);
  // The version A read is the one B's deletion ended.
  assertEquals(invalidated[0]["prov:entity"], `${old}@${hash("sha256", "a\n")}`);
  assertEquals(used[0]["prov:entity"], invalidated[0]["prov:entity"]);
  // C's read of the missing file uses an entity of its own, never invalidated.
  assertEquals(used[1]["prov:entity"], `${old}@TBD`);
  assertEquals(document.entity[`${old}@TBD`]["runrec:sha256"], undefined);
  // No entity is used after it was invalidated.
  for (const u of Object.values(document.used as Record<string, Obj>)) {
    for (const i of Object.values(document.wasInvalidatedBy as Record<string, Obj>)) {
      if (u["prov:entity"] !== i["prov:entity"]) continue;
      assert(u["prov:time"]! <= i["prov:time"]!, `${u["prov:entity"]} used after its invalidation`);
    }
  }
});

Deno.test("export: the cells a newer additive version (v1.1) adds are exported under their header's names, in runrec_run and as PROV attributes, as log --format json keeps them", async () => {
  const root = join(await tempDir({ prefix: "runrec-export-" }), "examples");
  const copied = await new Deno.Command("cp", { args: ["-R", join(ROOT, "examples"), root] })
    .output();
  assert(copied.success, "could not copy examples/");
  const del = join(root, DEL_02);
  const emitted = await runCli([
    ...["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--input", "_CONTEXT.md"],
    ...["--started", "2026-02-22T10:00:00Z", "--duration", "PT1M"],
  ]);
  assertEquals(emitted.code, 0, emitted.stderr);
  // A v1.1 record (one added column, ReviewedBy, before RecordChecksum), as a newer runrec writes.
  const file = join(del, RECORD_FILE);
  const [header, line] = (await Deno.readTextFile(file)).split("\n");
  const body = line.slice(0, line.lastIndexOf(",")).replace("v1.0,", "v1.1,")
    .replace("-1000-001", "-1030-001").replace("T10:00:00", "T10:30:00") + ',"alice, QA"';
  const v11 = header.replace(",RecordChecksum", ",ReviewedBy,RecordChecksum");
  await Deno.writeTextFile(file, `${v11}\n${body},${hash("sha256", body)}\n`, { append: true });
  const validated = await runCli(["validate", del]);
  assertEquals(validated.code, 0, validated.stdout + validated.stderr);
  const log = JSON.parse((await runCli(["log", del, "--format", "json"])).stdout);
  assertEquals(log.map((r: Obj) => r.ReviewedBy), [undefined, "alice, QA"]);

  const events = jsonLines((await exported(del, "--format", "openlineage")).stdout);
  const ajv = openLineageAjv();
  for (const event of events) assertEquals(openLineageProblems(ajv, event), []);
  const facets = events.map((e) => ((e.run as Obj).facets as Record<string, Obj>).runrec_run);
  assertEquals(facets.map((f) => f.ReviewedBy), [undefined, undefined, "alice, QA", "alice, QA"]);
  const prov = JSON.parse((await exported(del, "--format", "prov")).stdout);
  assertEquals(provProblems(prov), []);
  const activities = Object.values(prov.activity as Record<string, Obj>)
    .map((a) => [a["prov:label"], a["runrec:ReviewedBy"]]).sort();
  assertEquals(activities, [
    ["RUN-DEL-01-02-20260222-1000-001", undefined],
    ["RUN-DEL-01-02-20260222-1030-001", "alice, QA"],
  ]);
});

Deno.test("export: a --namespace spanning two execution roots is warned about, naming both and what to do; one root, or no --namespace, is not; but no --namespace in a linked work tree, whose folder names its runs, is (newuser-57 F4)", async () => {
  const repo = await tempDir({ prefix: "runrec-export-" });
  for (const name of ["plant-a", "plant-b"]) {
    const copied = await new Deno.Command("cp", {
      args: ["-R", join(ROOT, "examples"), join(repo, name)],
    }).output();
    assert(copied.success, "could not copy examples/");
    const emitted = await runCli([
      ...["emit", join(repo, name, DEL_03), "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
      ...["--input", "_CONTEXT.md", "--started", "2026-02-22T10:00:00Z", "--duration", "PT1M"],
    ]);
    assertEquals(emitted.code, 0, emitted.stderr);
  }
  const ns = "github.com/acme/repo";
  const spanning = await exported(repo, "--format", "openlineage", "--namespace", ns);
  assertIncludes(
    spanning.stderr,
    `--namespace ${ns} spans 2 execution roots (${join(repo, "plant-a")}, ${
      join(repo, "plant-b")
    }): their jobs, runIds and file names merge; export each root with its own --namespace ` +
      `(e.g. ${ns}/plant-a)`,
  );
  assertEquals((await exported(repo, "--format", "prov")).stderr.includes("spans"), false);
  const one = await exported(join(repo, "plant-a"), "--format", "prov", "--namespace", ns);
  assertEquals(one.stderr.includes("spans"), false, one.stderr);
  // A linked work tree's runs, without --namespace, are named after its folder, not the main
  // one's: the same runs get two runIds (newuser-57 F4).
  const main = join(repo, "plant-a");
  await git(main, "init", "-q", "-b", "main");
  await git(main, "add", "-A");
  await git(main, "-c", "user.name=A", "-c", "user.email=a@example.com", "commit", "-qm", "runs");
  const linked = join(repo, "plant-a-agent1");
  await git(main, "worktree", "add", "-q", "-b", "agent1", linked);
  const defaulted = await exported(linked, "--format", "openlineage");
  assertEquals(
    defaulted.stderr,
    `runrec export: warning: no --namespace: the runs of ${linked} are named under ` +
      "plant-a-agent1, this linked work tree's folder name, and exported from another work tree " +
      "or clone get other runIds (a server sent both holds each run twice); give a --namespace " +
      "the same in every checkout (e.g. github.com/acme/plant)\n",
  );
  const [fromLinked, fromMain] = [defaulted, await exported(main, "--format", "openlineage")]
    .map((e) => jsonLines(e.stdout)[0].run as Obj);
  assert(fromLinked.runId !== fromMain.runId, "the warning is true");
  assertEquals((await exported(linked, "--format", "prov", "--namespace", ns)).stderr, "");
  assertEquals((await exported(main, "--format", "prov")).stderr, "");
});

Deno.test("export prov: the document streamed (activities read again by id from their offsets, relations by passes in time order) is byte for byte the one of every run held, on generated roots with deletions, unhashed files, shuffled lines, repeated lines, RunID collisions and two copies merged under one --namespace (seeded; mem-38 F2)", async () => {
  const draw = drawer(seededRandom("export prov streamed"));
  let deletions = 0;
  for (let round = 0; round < 4; round++) {
    const parent = await tempDir({ prefix: "runrec-export-" });
    const project = generatedProject(draw, 1 + draw.int(2), 1 + draw.int(3));
    for (const list of project.values()) {
      // A collision: another record of a run's RunID and instant (two branches in one minute),
      // which deleted a file: each round exports a deletion, whatever the draws.
      const picked = draw.pick(list);
      const other = {
        ...picked,
        Notes: "the other branch's run",
        OutputFiles: [...new Set([...picked.OutputFiles, "Datasheet.md"])],
        OutputHashes: { ...picked.OutputHashes, "Datasheet.md": DELETED },
      };
      list.push({ ...other, RecordChecksum: encodeRecord(other).slice(-64) });
    }
    // Union merges: lines out of time order, one repeated byte for byte.
    const order = (records: RunRecord[]) => {
      const lines = shuffled(draw, records);
      return [...lines, draw.pick(lines)];
    };
    const a = await generatedRoot(parent, "a", project, order);
    const b = await generatedRoot(parent, "b", project, order);
    for (const namespace of [undefined, "github.com/acme/plant"]) {
      const targets = namespace === undefined ? [a] : [a, b];
      const held = await collectRuns(targets, { warn: () => {}, namespace });
      const options = namespace === undefined ? [] : ["--namespace", namespace];
      const streamed = (await exported(...targets, ...options, "--format", "prov")).stdout;
      if (streamed.includes('"wasInvalidatedBy"')) deletions++;
      assertEquals(
        streamed,
        [...provDocumentText(held)].join(""),
        `round ${round}: export ${targets.join(" ")} ${options.join(" ")}`,
      );
    }
  }
  assert(deletions > 0, "a deletion exported");
});
