/**
 * The run record schema v1.0: one field table that validation, the CSV header,
 * the `--json` keys and SCHEMA.md's field table all come from.
 *
 * @module
 */
import { acceptedInputContextShas } from "./manifest.ts";
import { isLowerHex, isSha256Hex, SHA256_HEX } from "./sha256.ts";
import { durationProblem, runTimestampProblem } from "./time.ts";
import { checkRecordArgument } from "./argument_kinds.ts";

/** The schema version every record written by this release carries. */
export const SCHEMA_VERSION = "v1.0";

/** The only agent type runrec records. */
export const AGENT_TYPE = "TYPE_2";

/**
 * Outcomes of a run, in the order of the lifecycle table in SCHEMA.md. This
 * and the other tables are frozen: a caller's `push` must not make runrec
 * write a record `validate` rejects.
 */
export const RUN_STATUSES: readonly RunStatus[] = Object.freeze([
  "SUCCESS",
  "PARTIAL",
  "FAILED",
  "SKIPPED",
]);

/** One outcome of a run. */
export type RunStatus = "SUCCESS" | "PARTIAL" | "FAILED" | "SKIPPED";

/** Lifecycle states of a deliverable as `_STATUS.md` names them, plus `TBD` for unknown. */
export const LIFECYCLE_STATES: readonly string[] = Object.freeze([
  "OPEN",
  "INITIALIZED",
  "SEMANTIC_READY",
  "IN_PROGRESS",
  "CHECKING",
  "ISSUED",
  "RETIRED",
  "TBD",
]);

/** Placeholder for a value that could not be determined; never guessed. */
export const TBD = "TBD";

/** Hash value recorded for an output path that a run deleted. */
export const DELETED = "DELETED";

/** How a field's value is written in the CSV line. */
export type FieldKind = "text" | "list" | "hashes";

/** Whether a field must, should or may carry a value. */
export type Requirement = "MUST" | "SHOULD" | "MAY";

/** One row of the field table. */
export interface FieldSpec {
  /** Column name in the CSV header and key in JSON output. */
  readonly name: keyof RunRecord;
  /** `text`: one string; `list`: `;`-separated paths; `hashes`: `path=hash` pairs. */
  readonly kind: FieldKind;
  /** MUST: never empty. SHOULD: empty only when unknown. MAY: often empty. */
  readonly requirement: Requirement;
  /** Type as SCHEMA.md states it. */
  readonly type: string;
  /** Allowed values or format, as SCHEMA.md states it. */
  readonly allowed: string;
  /** Value written when the caller gives none. */
  readonly default: string;
  /** Where the value comes from. */
  readonly source: string;
  /** What the field means, in one line. */
  readonly meaning: string;
  /** A typical value as the CSV line holds it (empty: the field is often empty). */
  readonly example: string;
  /** Returns an error message for a bad value, or `undefined` when it is fine. */
  readonly check: (value: never) => string | undefined;
}

/**
 * One run record, keyed by column name. Lists are arrays and per-file hashes
 * are `{path: hash}` objects, exactly as `--json` prints them. Records are
 * plain objects: a caller may change its copy freely.
 */
export interface RunRecord {
  /** Schema version of the record: `v1.0`. */
  SchemaVersion: string;
  /** Unique id of the run: `RUN-{DeliverableID}-{YYYYMMDD}-{HHmm}-{SEQ}`. */
  RunID: string;
  /** The deliverable the run worked on, e.g. `DEL-01-02`. */
  DeliverableID: string;
  /** The agent that ran, e.g. `4_DOCUMENTS`. */
  AgentName: string;
  /** The agent type: always `TYPE_2`. */
  AgentType: string;
  /** When the run started: UTC ISO 8601 ending in `Z`. */
  RunTimestamp: string;
  /** How long the run took: an ISO 8601 duration such as `PT2M34.5S`. */
  RunDuration: string;
  /** The outcome: `SUCCESS`, `PARTIAL`, `FAILED` or `SKIPPED`. */
  RunStatus: string;
  /** The pass directive the run was dispatched with (free text, may be empty). */
  RunPassDirective: string;
  /** SHA-256 of the input manifest built from `InputHashes`, or `TBD`. */
  InputContextSHA: string;
  /** Files the run read, relative to the deliverable folder. */
  InputFiles: string[];
  /** Files the run wrote or deleted, relative to the deliverable folder. */
  OutputFiles: string[];
  /** Lifecycle state of the deliverable when the run started, or `TBD`. */
  StatusBefore: string;
  /** Lifecycle state of the deliverable when the run ended, or `TBD`. */
  StatusAfter: string;
  /** What went wrong (required for `FAILED` and `PARTIAL`). */
  ErrorSummary: string;
  /** Free text from the agent and from runrec. */
  Notes: string;
  /** SHA-256 (or `TBD`) of every governed input, by path. */
  InputHashes: Record<string, string>;
  /** SHA-256 (or `TBD`, `DELETED`) of every output, by path. */
  OutputHashes: Record<string, string>;
  /** Git `HEAD` of the work tree holding the folder, or empty. */
  GitHead: string;
  /** Host name of the machine that ran. */
  Host: string;
  /** SHA-256 of the line's bytes before its last comma. */
  RecordChecksum: string;
}

/**
 * The longest line (without its `\n`) a record may take: 16 MiB. A record is
 * valid only if its encoded line fits (the writer checks it before writing);
 * a field is bounded by nothing else. Readers report a longer line as an
 * error without holding it in memory.
 */
export const LINE_LIMIT_BYTES = 16 * 1024 * 1024;

/** What every RunID matches: runrec's own, which no caller holds. */
export const RUN_ID_SYNTAX = /^RUN-DEL-[0-9]{2,}-[0-9]{2,}-[0-9]{8}-[0-9]{4}-[0-9]{3,}$/;
/** What every DeliverableID matches: runrec's own, which no caller holds. */
export const DELIVERABLE_ID_SYNTAX = /^DEL-[0-9]{2,}-[0-9]{2,}$/;
// The exported patterns are copies: a RegExp cannot be frozen (`compile` recompiles a frozen
// one), and a script's `compile(".*")` of runrec's own changed what it validated (lib-40 F4).
/** Regular expression every RunID matches (a copy: changing it changes nothing of runrec's). */
export const RUN_ID_PATTERN: RegExp = new RegExp(RUN_ID_SYNTAX);
/** Regular expression every DeliverableID matches (a copy, as {@linkcode RUN_ID_PATTERN}). */
export const DELIVERABLE_ID_PATTERN: RegExp = new RegExp(DELIVERABLE_ID_SYNTAX);
/** Regular expression of a lowercase hex SHA-256. */
export const SHA256_PATTERN: RegExp = SHA256_HEX;
/** Regular expression every AgentName matches. */
export const AGENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function oneOf(values: readonly string[]) {
  return (value: string) =>
    values.includes(value) ? undefined : `must be one of ${values.join(", ")}, got ${show(value)}`;
}

function matches(pattern: RegExp, what: string) {
  return (value: string) => pattern.test(value) ? undefined : `must be ${what}, got ${show(value)}`;
}

function anyText(_value: string) {
  return undefined;
}

/** Quotes a value for an error message, shortened so the message stays one line. */
function show(value: string): string {
  const s = JSON.stringify(value);
  return s.length > 60 ? `${s.slice(0, 57)}..."` : s;
}

/**
 * Checks a path as recorded: relative to the deliverable folder, POSIX
 * separators, normalised (no `.`, `..` only as leading segments, no `//`).
 */
export function checkPath(path: string): string | undefined {
  if (path === "") return "has an empty path";
  if (path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path)) {
    return `has an absolute path ${show(path)}`;
  }
  const segments = path.split("/");
  let leadingUp = true;
  for (const segment of segments) {
    if (segment === "..") {
      if (!leadingUp) return `has a non-normalised path ${show(path)}`;
      continue;
    }
    leadingUp = false;
    if (segment === "" || segment === ".") return `has a non-normalised path ${show(path)}`;
  }
  if (leadingUp) return `has a path that names no file ${show(path)}`;
  return undefined;
}

function checkPathList(paths: string[]): string | undefined {
  const seen = new Set<string>();
  for (const path of paths) {
    const problem = checkPath(path);
    if (problem) return problem;
    if (seen.has(path)) return `lists ${show(path)} twice`;
    seen.add(path);
  }
  return undefined;
}

function checkHashes(allowDeleted: boolean) {
  return (hashes: Record<string, string>): string | undefined => {
    for (const path of Object.keys(hashes)) {
      const hash = hashes[path];
      const problem = checkPath(path);
      if (problem) return problem;
      if (
        !isSha256Hex(hash) && hash !== TBD && !(allowDeleted && hash === DELETED)
      ) {
        return `has hash ${show(hash)} for ${show(path)}: must be 64 lowercase hex` +
          (allowDeleted ? `, ${TBD} or ${DELETED}` : ` or ${TBD}`);
      }
    }
    return undefined;
  };
}

/**
 * The field table: the single source of truth for the schema, in column order.
 *
 * @example Print the CSV header
 * ```ts
 * import { FIELDS } from "@runrec/runrec";
 * console.log(FIELDS.map((f) => f.name).join(","));
 * ```
 */
export const FIELDS: readonly FieldSpec[] = Object.freeze(([
  {
    name: "SchemaVersion",
    kind: "text",
    requirement: "MUST",
    type: "string",
    allowed: "`v1.0`",
    default: "`v1.0`",
    source: "runrec; follows `RegisterSchemaVersion` of Dependencies.csv",
    meaning: "The version of the schema the record follows.",
    example: "v1.0",
    check: oneOf([SCHEMA_VERSION]),
  },
  {
    name: "RunID",
    kind: "text",
    requirement: "MUST",
    type: "string",
    allowed:
      "`RUN-{DeliverableID}-{YYYYMMDD}-{HHmm}-{SEQ}`; unique in the file: a file-level rule " +
      "that `runrec verify` checks (3.3), not `validate`",
    default: "allocated under the append lock",
    source: "runrec",
    meaning: "Identifies the run; unique in the file.",
    example: "RUN-DEL-01-02-20260222-1015-001",
    check: matches(RUN_ID_SYNTAX, "RUN-DEL-XX-YY-YYYYMMDD-HHmm-SEQ"),
  },
  {
    name: "DeliverableID",
    kind: "text",
    requirement: "MUST",
    type: "string",
    allowed: "`DEL-XX-YY` (two or more digits each)",
    default: "from `_CONTEXT.md`, else the folder name",
    source: "`_CONTEXT.md`; folder name",
    meaning: "The deliverable the run worked on.",
    example: "DEL-01-02",
    check: matches(DELIVERABLE_ID_SYNTAX, "DEL-XX-YY"),
  },
  {
    name: "AgentName",
    kind: "text",
    requirement: "MUST",
    type: "string",
    allowed: "1-64 of `A-Z a-z 0-9 _ . -`, first a letter or digit",
    default: "none (the caller names itself)",
    source: "the agent (`--agent`)",
    meaning: "The agent that ran.",
    example: "4_DOCUMENTS",
    check: matches(
      AGENT_NAME_PATTERN,
      "an agent name of 1 to 64 ASCII letters, digits, _ . - starting with a letter or digit",
    ),
  },
  {
    name: "AgentType",
    kind: "text",
    requirement: "MUST",
    type: "string",
    allowed: "`TYPE_2`",
    default: "`TYPE_2`",
    source: "runrec",
    meaning: "The kind of agent: every agent runrec records is a type-2 agent.",
    example: "TYPE_2",
    check: oneOf([AGENT_TYPE]),
  },
  {
    name: "RunTimestamp",
    kind: "text",
    requirement: "MUST",
    type: "UTC ISO 8601 date-time",
    allowed: "`YYYY-MM-DDTHH:MM:SS[.f…]Z` (up to 9 fraction digits), years 2000-2999; " +
      "`emit --started` at most 5 minutes after the clock",
    default: "the time of the call minus `RunDuration` (`--started` overrides)",
    source: "the run's start",
    meaning: "When the run started, in UTC.",
    example: "2026-02-22T10:15:00.000Z",
    check: runTimestampProblem,
  },
  {
    name: "RunDuration",
    kind: "text",
    requirement: "MUST",
    type: "ISO 8601 duration",
    allowed: "`PnDTnHnMn.nS`, e.g. `PT2M34.5S`: at most 3 fraction digits, at most `P3650D`",
    default: "the time from `--started` to the call, else `PT0S`",
    source:
      "the agent (`--duration`, `--duration-ms`) or runrec (`start`/`finish`, `exec`; by the host's uptime, noted, when the wall clock was stepped during the run)",
    meaning: "How long the run took, exact to the millisecond.",
    example: "PT2M34.5S",
    check: durationProblem,
  },
  {
    name: "RunStatus",
    kind: "text",
    requirement: "MUST",
    type: "enum",
    allowed: RUN_STATUSES.map((s) => `\`${s}\``).join(", "),
    default: "none (the caller states the outcome)",
    source: "the agent (`--status`); `exec`: the exit code",
    meaning: "The outcome of the run.",
    example: "SUCCESS",
    check: oneOf(RUN_STATUSES),
  },
  {
    name: "RunPassDirective",
    kind: "text",
    requirement: "SHOULD",
    type: "string",
    allowed: "free text, e.g. `FULL`, `UPDATE`, `PASS-2`",
    default: "empty",
    source: "the ORCHESTRATOR's dispatch (`--pass`)",
    meaning: "The pass the ORCHESTRATOR dispatched the run with.",
    example: "FULL",
    check: anyText,
  },
  {
    name: "InputContextSHA",
    kind: "text",
    requirement: "MUST",
    type: "SHA-256",
    allowed: "64 lowercase hex, or `TBD` when no input could be hashed",
    default: "computed from `InputHashes`",
    source: "runrec (manifest algorithm in SCHEMA.md)",
    meaning: "One hash of everything the run read: the input manifest's SHA-256.",
    example: "3f5a…c2e1 (64 hex)",
    check: (value: string) =>
      isSha256Hex(value) || value === TBD
        ? undefined
        : `must be 64 lowercase hex or TBD, got ${show(value)}`,
  },
  {
    name: "InputFiles",
    kind: "list",
    requirement: "SHOULD",
    type: "list of paths",
    allowed: "`;`-separated paths relative to the deliverable folder",
    default: "empty",
    source: "the agent (`--input`)",
    meaning: "The files the run read, as the agent named them.",
    example: "_CONTEXT.md;Specification.md",
    check: checkPathList,
  },
  {
    name: "OutputFiles",
    kind: "list",
    requirement: "SHOULD",
    type: "list of paths",
    allowed: "`;`-separated paths relative to the deliverable folder",
    default: "empty",
    source:
      "the agent (`--output`; a folder stands for its files); `exec`: files created, modified or deleted",
    meaning: "The files the run wrote or deleted.",
    example: "Datasheet.md;Specification.md",
    check: checkPathList,
  },
  {
    name: "StatusBefore",
    kind: "text",
    requirement: "MUST",
    type: "enum",
    allowed: "a lifecycle state or `TBD`",
    default: "`--status-before`; `exec`/`start`: `_STATUS.md` at run start; else `TBD`",
    source: "`_STATUS.md`",
    meaning: "The deliverable's lifecycle state when the run started.",
    example: "OPEN",
    check: oneOf(LIFECYCLE_STATES),
  },
  {
    name: "StatusAfter",
    kind: "text",
    requirement: "MUST",
    type: "enum",
    allowed: "a lifecycle state or `TBD`",
    default:
      "`**Current State:**` of `_STATUS.md` at run end, else `--status-after` (noted), else `TBD`",
    source: "`_STATUS.md`",
    meaning: "The deliverable's lifecycle state when the run ended.",
    example: "INITIALIZED",
    check: oneOf(LIFECYCLE_STATES),
  },
  {
    name: "ErrorSummary",
    kind: "text",
    requirement: "MAY",
    type: "string",
    allowed: "free text; not empty when `RunStatus` is `FAILED` or `PARTIAL`",
    default: "empty; `TBD` for `FAILED`/`PARTIAL` without `--error`",
    source: "the agent (`--error`)",
    meaning: "What went wrong, for a run that failed or finished in part.",
    example: "Spec section 4 missing",
    check: anyText,
  },
  {
    name: "Notes",
    kind: "text",
    requirement: "MAY",
    type: "string",
    allowed: "free text",
    default:
      "empty, plus what runrec notes (lock recoveries, skipped URLs; a started run's id, `run <id>`)",
    source: "the agent (`--notes`) and runrec",
    meaning: "Free text from the agent, and what runrec noted.",
    example: "second pass after review",
    check: anyText,
  },
  {
    name: "InputHashes",
    kind: "hashes",
    requirement: "MUST",
    type: "map path → SHA-256",
    allowed: "`path=hash` pairs, `;`-separated; hash is 64 lowercase hex or `TBD`",
    default: "computed: every governed input",
    source: "runrec (`_REFERENCES.md`, `--input`)",
    meaning: "The content hash of each governed input at run start (`start`), or at `emit`.",
    example: "_CONTEXT.md=9b1d…04aa",
    check: checkHashes(false),
  },
  {
    name: "OutputHashes",
    kind: "hashes",
    requirement: "SHOULD",
    type: "map path → SHA-256",
    allowed: "`path=hash` pairs; hash is 64 lowercase hex, `TBD` or `DELETED`",
    default: "computed: every output file",
    source: "runrec (`--output`)",
    meaning: "The content hash of each output when the run ended.",
    example: "Datasheet.md=77c0…5e19",
    check: checkHashes(true),
  },
  {
    name: "GitHead",
    kind: "text",
    requirement: "MAY",
    type: "git object id",
    allowed: "40 or 64 lowercase hex, or empty outside a git work tree",
    default: "`HEAD` of the work tree holding the folder, else empty",
    source: "`git rev-parse HEAD`",
    meaning: "The git commit checked out when the run ended.",
    example: "4e8a…91bf (40 hex)",
    check: (value: string) =>
      value === "" || ((value.length === 40 || value.length === 64) && isLowerHex(value))
        ? undefined
        : `must be a git object id or empty, got ${show(value)}`,
  },
  {
    name: "Host",
    kind: "text",
    requirement: "SHOULD",
    type: "string",
    allowed: "host name of the machine that ran",
    default: "the host name, else empty",
    source: "the operating system",
    meaning: "The machine the run ran on.",
    example: "build-07",
    check: anyText,
  },
  {
    name: "RecordChecksum",
    kind: "text",
    requirement: "MUST",
    type: "SHA-256",
    allowed: "64 lowercase hex: SHA-256 of the line's bytes before the last comma",
    default: "computed when the line is encoded",
    source: "runrec",
    meaning: "Detects a changed or damaged line: SHA-256 of the rest of the line.",
    example: "d2c4…8f03 (64 hex)",
    check: (value: string) =>
      isSha256Hex(value) ? undefined : `must be 64 lowercase hex, got ${show(value)}`,
  },
] satisfies FieldSpec[]).map((field: FieldSpec) => Object.freeze(field)));

/** Column names in order; the CSV header is these joined by commas. */
export const COLUMNS: readonly (keyof RunRecord)[] = Object.freeze(FIELDS.map((f) => f.name));

/**
 * The same record with its keys in column order, so JSON output lists fields
 * as the CSV header does.
 *
 * @example
 * ```ts
 * import { inColumnOrder } from "./schema.ts";
 * declare const record: import("./schema.ts").RunRecord;
 * Object.keys(inColumnOrder(record))[0]; // "SchemaVersion"
 * ```
 */
export function inColumnOrder(record: RunRecord): RunRecord {
  const ordered: Record<string, unknown> = {};
  for (const name of COLUMNS) ordered[name] = record[name];
  return ordered as unknown as RunRecord;
}

/** The exact header line (without its `\n`). */
export const HEADER: string = COLUMNS.join(",");

/** A problem with one field of a record. */
export interface FieldProblem {
  /** The column at fault. */
  field: keyof RunRecord | "";
  /** What is wrong, in words. */
  message: string;
}

/**
 * Validates a record against the field table and the cross-field rules
 * (RunID agrees with DeliverableID and RunTimestamp; every listed file has a
 * hash; InputContextSHA matches InputHashes; FAILED/PARTIAL carry an error).
 * Returns every problem found; an empty array means the fields are valid.
 * The record is valid when its line also fits in 16 MiB: the writer
 * encodes it and checks that.
 *
 * @example
 * ```ts
 * import { validateRecord } from "@runrec/runrec";
 * const problems = validateRecord({ RunStatus: "DONE" } as never);
 * console.log(problems[0].field); // "SchemaVersion"
 * ```
 */
export function validateRecord(record: RunRecord): FieldProblem[] {
  checkRecordArgument(record, "record");
  const problems: FieldProblem[] = [];
  for (const spec of FIELDS) {
    const message = checkField(spec, (record as unknown as Record<string, unknown>)[spec.name]);
    if (message) problems.push({ field: spec.name, message });
  }
  if (problems.length > 0) return problems;
  return crossFieldProblems(record);
}

/**
 * Checks one field's value on its own (shape, MUST, the field's rule);
 * returns what is wrong, or `undefined`.
 *
 * @example
 * ```ts
 * import { checkField, FIELDS } from "./schema.ts";
 * const status = FIELDS.find((f) => f.name === "RunStatus")!;
 * checkField(status, "DONE"); // "must be one of SUCCESS, PARTIAL, FAILED, SKIPPED, got \"DONE\""
 * ```
 */
export function checkField(spec: FieldSpec, value: unknown): string | undefined {
  const shapeProblem = checkShape(spec, value);
  if (shapeProblem) return shapeProblem;
  if (spec.kind === "text") {
    if (value === "") return spec.requirement === "MUST" ? "is required and empty" : undefined;
    if (!(value as string).isWellFormed()) return "holds a lone UTF-16 surrogate";
  }
  return (spec.check as (v: unknown) => string | undefined)(value);
}

function checkShape(spec: FieldSpec, value: unknown): string | undefined {
  if (value === undefined || value === null) return "is missing";
  if (spec.kind === "text") return typeof value === "string" ? undefined : "must be a string";
  if (spec.kind === "list") {
    if (!Array.isArray(value)) return "must be a list of paths";
    let wellFormed = true;
    for (const v of value) {
      if (typeof v !== "string") return "must be a list of paths";
      wellFormed &&= v.isWellFormed();
    }
    return wellFormed ? undefined : "holds a lone UTF-16 surrogate";
  }
  if (typeof value !== "object" || Array.isArray(value)) return "must be a map of path to hash";
  const hashes = value as Record<string, unknown>;
  for (const path of Object.keys(hashes)) {
    if (typeof hashes[path] !== "string" || !path.isWellFormed()) {
      return "must be a map of path to hash";
    }
  }
  return undefined;
}

/**
 * The start every RunID of a deliverable and minute shares:
 * `RUN-{DeliverableID}-{YYYYMMDD}-{HHmm}-` (UTC of the RunTimestamp).
 *
 * @example
 * ```ts
 * import { runIdPrefix } from "./schema.ts";
 * runIdPrefix("DEL-01-02", "2026-02-22T10:15:07.000Z"); // "RUN-DEL-01-02-20260222-1015-"
 * ```
 */
export function runIdPrefix(deliverableId: string, timestamp: string): string {
  const t = timestamp;
  return `RUN-${deliverableId}-${t.slice(0, 4)}${t.slice(5, 7)}${t.slice(8, 10)}-` +
    `${t.slice(11, 13)}${t.slice(14, 16)}-`;
}

/** The fields the cross-field rules read. */
export type CrossFields = Pick<
  RunRecord,
  | "RunID"
  | "DeliverableID"
  | "RunTimestamp"
  | "RunStatus"
  | "ErrorSummary"
  | "InputContextSHA"
  | "InputFiles"
  | "OutputFiles"
  | "InputHashes"
  | "OutputHashes"
>;

/**
 * The rules between fields, for fields that each passed {@linkcode checkField}:
 * RunID agrees with DeliverableID and the RunTimestamp minute; every listed
 * file has a hash; InputContextSHA matches InputHashes; FAILED and PARTIAL
 * carry an ErrorSummary. `inputContextShas` are the values InputContextSHA
 * may hold, `acceptedInputContextShas(r.InputHashes)` unless the caller
 * worked them out already (the reader hashes a block's manifests together).
 *
 * @example
 * ```ts
 * import { crossFieldProblems } from "./schema.ts";
 * declare const record: import("./schema.ts").RunRecord;
 * crossFieldProblems(record).length; // 0 for a valid record
 * ```
 */
export function crossFieldProblems(
  r: CrossFields,
  inputContextShas: readonly string[] = acceptedInputContextShas(r.InputHashes),
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const prefix = runIdPrefix(r.DeliverableID, r.RunTimestamp);
  if (!r.RunID.startsWith(prefix)) {
    problems.push({
      field: "RunID",
      message: `must start with ${prefix} (DeliverableID and RunTimestamp minute), got ${
        show(r.RunID)
      }`,
    });
  }
  for (const path of r.InputFiles) {
    if (!Object.hasOwn(r.InputHashes, path)) {
      problems.push({ field: "InputHashes", message: `has no hash for input ${show(path)}` });
    }
  }
  for (const path of r.OutputFiles) {
    if (!Object.hasOwn(r.OutputHashes, path)) {
      problems.push({ field: "OutputHashes", message: `has no hash for output ${show(path)}` });
    }
  }
  // A record written before paths were escaped (SCHEMA.md 5.4) may hold the old value.
  const [expected, ...older] = inputContextShas;
  if (r.InputContextSHA !== expected && !older.includes(r.InputContextSHA)) {
    problems.push({
      field: "InputContextSHA",
      message: `does not match InputHashes: expected ${expected}, got ${show(r.InputContextSHA)}`,
    });
  }
  if ((r.RunStatus === "FAILED" || r.RunStatus === "PARTIAL") && r.ErrorSummary === "") {
    problems.push({
      field: "ErrorSummary",
      message: `must not be empty when RunStatus is ${r.RunStatus} (use TBD when unknown)`,
    });
  }
  return problems;
}
