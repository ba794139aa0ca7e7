import { assert, assertEquals, assertMatch } from "./assert.ts";
import {
  COLUMNS,
  FIELDS,
  HEADER,
  RUN_ID_PATTERN,
  RUN_STATUSES,
  type RunRecord,
  validateRecord,
} from "../src/schema.ts";
import { sampleRecord } from "./fixtures.ts";

function problemsOf(overrides: Partial<RunRecord> | ((r: RunRecord) => void)) {
  const record = sampleRecord(typeof overrides === "function" ? {} : overrides);
  if (typeof overrides === "function") overrides(record);
  return validateRecord(record);
}

function assertRejectedField(
  overrides: Partial<RunRecord> | ((r: RunRecord) => void),
  field: string,
  messagePart?: RegExp,
) {
  const problems = problemsOf(overrides);
  assert(problems.length > 0, `expected ${field} to be rejected`);
  assertEquals(problems[0].field, field);
  if (messagePart) assertMatch(problems[0].message, messagePart);
}

Deno.test("schema: the sample record is valid", () => {
  assertEquals(validateRecord(sampleRecord()), []);
});

Deno.test("schema: header is the 16 procedure fields, extensions, then RecordChecksum", () => {
  assertEquals(
    HEADER.split(",").slice(0, 16).join(","),
    "SchemaVersion,RunID,DeliverableID,AgentName,AgentType,RunTimestamp,RunDuration,RunStatus," +
      "RunPassDirective,InputContextSHA,InputFiles,OutputFiles,StatusBefore,StatusAfter," +
      "ErrorSummary,Notes",
  );
  assertEquals(COLUMNS.at(-1), "RecordChecksum");
  assert(COLUMNS.includes("InputHashes") && COLUMNS.includes("OutputHashes"));
});

for (const spec of FIELDS) {
  Deno.test(`schema: missing ${spec.name} is rejected naming it`, () => {
    assertRejectedField((r) => delete (r as Partial<RunRecord>)[spec.name], spec.name, /missing/);
  });
  if (spec.requirement === "MUST" && spec.kind === "text") {
    Deno.test(`schema: empty ${spec.name} (MUST) is rejected naming it`, () => {
      assertRejectedField({ [spec.name]: "" }, spec.name, /required/);
    });
  }
}

const ENUMS: [keyof RunRecord, string][] = [
  ["SchemaVersion", "v2.0"],
  ["AgentType", "TYPE_1"],
  ["RunStatus", "DONE"],
  ["RunStatus", "success"],
  ["StatusBefore", "FINISHED"],
  ["StatusAfter", "open"],
];
for (const [field, value] of ENUMS) {
  Deno.test(`schema: ${field} = ${value} is rejected naming the field`, () => {
    assertRejectedField({ [field]: value }, field, /must be one of/);
  });
}

Deno.test("schema: every RunStatus of the lifecycle is accepted", () => {
  for (const status of RUN_STATUSES) {
    const error = status === "FAILED" || status === "PARTIAL" ? "disk full" : "";
    assertEquals(validateRecord(sampleRecord({ RunStatus: status, ErrorSummary: error })), []);
  }
});

Deno.test("schema: FAILED and PARTIAL need an ErrorSummary", () => {
  assertRejectedField({ RunStatus: "FAILED" }, "ErrorSummary", /FAILED/);
  assertRejectedField({ RunStatus: "PARTIAL" }, "ErrorSummary", /PARTIAL/);
});

for (
  const bad of [
    "RUN-DEL-1-02-20260222-1015-001",
    "RUN-DEL-01-02-20260222-1015-01",
    "RUN-DEL-01-02-2026022-1015-001",
    "RUN-DEL-01-02-20260222-101-001",
    "DEL-01-02-20260222-1015-001",
    "RUN-DEL-01-02-20260222-1015-001 ",
  ]
) {
  Deno.test(`schema: malformed RunID ${JSON.stringify(bad)} is rejected`, () => {
    assert(!RUN_ID_PATTERN.test(bad));
    assertRejectedField({ RunID: bad }, "RunID", /RUN-DEL/);
  });
}

Deno.test("schema: RunID must agree with DeliverableID and the RunTimestamp minute", () => {
  assertRejectedField({ RunID: "RUN-DEL-01-03-20260222-1015-001" }, "RunID", /DEL-01-02/);
  assertRejectedField({ RunID: "RUN-DEL-01-02-20260222-1016-001" }, "RunID", /20260222-1015/);
  assertEquals(validateRecord(sampleRecord({ RunID: "RUN-DEL-01-02-20260222-1015-1234" })), []);
});

for (
  const bad of [
    "2026-02-22 10:15:00Z",
    "2026-02-22T10:15:00",
    "2026-02-22T10:15:00+01:00",
    "2026-02-30T10:15:00Z",
    "2026-02-22T24:15:00Z",
    "22/02/2026",
  ]
) {
  Deno.test(`schema: malformed RunTimestamp ${JSON.stringify(bad)} is rejected`, () => {
    assertRejectedField({ RunTimestamp: bad }, "RunTimestamp");
  });
}

for (const bad of ["PT", "P", "2M34S", "PT2M34,5S", "PT-1S", "P1Y", "PT1.S"]) {
  Deno.test(`schema: malformed RunDuration ${JSON.stringify(bad)} is rejected`, () => {
    assertRejectedField({ RunDuration: bad }, "RunDuration", /ISO 8601 duration/);
  });
}

Deno.test("schema: good durations are accepted", () => {
  for (const d of ["PT0S", "PT2M34.5S", "PT1H", "P1DT2H", "PT0.001S"]) {
    assertEquals(validateRecord(sampleRecord({ RunDuration: d })), [], d);
  }
});

Deno.test("schema: paths must be relative, normalised and listed once", () => {
  for (const bad of ["/etc/passwd", "a/../b", "./a", "a//b", "..", "", "C:\\x"]) {
    const problems = validateRecord(
      sampleRecord({ OutputFiles: [bad], OutputHashes: { [bad]: "TBD" } }),
    );
    assert(problems.length > 0, `path ${JSON.stringify(bad)} accepted`);
  }
  assertRejectedField({ OutputFiles: ["a.md", "a.md"] }, "OutputFiles", /twice/);
});

Deno.test("schema: hashes are checked and InputContextSHA must match InputHashes", () => {
  assertRejectedField({ OutputHashes: { "Datasheet.md": "ABC" } }, "OutputHashes", /64 lowercase/);
  assertRejectedField({ InputContextSHA: "f".repeat(64) }, "InputContextSHA", /does not match/);
  assertRejectedField({ OutputFiles: ["Other.md"] }, "OutputHashes", /no hash for output/);
  assertRejectedField({ InputFiles: ["Other.md"] }, "InputHashes", /no hash for input/);
});

Deno.test("schema: GitHead is empty or 40 or 64 lowercase hex", () => {
  for (const head of ["", "a".repeat(40), "0123456789abcdef".repeat(4)]) {
    assertEquals(problemsOf({ GitHead: head }), [], head);
  }
  for (const head of ["A".repeat(40), "a".repeat(39), "a".repeat(41), "g".repeat(64), "TBD"]) {
    assertRejectedField({ GitHead: head }, "GitHead", /git object id/);
  }
});

Deno.test("schema: lone surrogates are rejected", () => {
  assertRejectedField({ Notes: "bad \ud800 text" }, "Notes", /surrogate/);
});
