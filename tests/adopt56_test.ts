/**
 * Stop 56's adopting team: a year of run records kept by hand in the host procedure's own format
 * (16 columns, no RecordChecksum, the mistakes people make), brought to runrec. Each test is one
 * wrong answer they met, which failed before its fix.
 */
import { join } from "node:path";
import { RECORD_FILE } from "../src/deliverable.ts";
import { makeProject } from "./fixtures.ts";
import { runCli } from "./cli.ts";
import { assertEquals, assertIncludes } from "./assert.ts";

/** The host procedure's 16 REQ-01 columns, as its teams wrote the file by hand. */
const HAND_HEADER = "SchemaVersion,RunID,DeliverableID,AgentName,AgentType,RunTimestamp," +
  "RunDuration,RunStatus,RunPassDirective,InputContextSHA,InputFiles,OutputFiles,StatusBefore," +
  "StatusAfter,ErrorSummary,Notes";

/** Three runs of a year kept by hand: a RunID typed twice, a timestamp without a zone. */
const HAND_LINES = [
  "v1.0,RUN-DEL-01-02-20251203-0910-001,DEL-01-02,PREPARATION,TYPE_2,2025-12-03T09:10:00Z,PT1M," +
  "SUCCESS,FULL,TBD,,_STATUS.md,TBD,OPEN,,scaffold — first pass",
  "v1.0,RUN-DEL-01-02-20251203-0910-001,DEL-01-02,4_DOCUMENTS,TYPE_2,2025-12-03T09:10:00Z,PT3M," +
  "PARTIAL,FULL,TBD,_CONTEXT.md,Datasheet.md,OPEN,INITIALIZED,missing spec,typed twice",
  "v1.0,RUN-DEL-01-02-20260105-1400-001,DEL-01-02,DEPENDENCIES,TYPE_2,2026-01-05T14:00:00,PT2M," +
  "SUCCESS,FULL,TBD,Datasheet.md,Dependencies.csv,INITIALIZED,INITIALIZED,,no zone",
];

Deno.test("log of a file of hand-written lines says how many lines it could not read: every one, not the header alone (adopt-56 F1)", async () => {
  const { del } = await makeProject();
  await Deno.writeTextFile(join(del, RECORD_FILE), [HAND_HEADER, ...HAND_LINES, ""].join("\n"));
  const result = await runCli(["log", del]);
  assertEquals(result.code, 0);
  assertIncludes(result.stderr, "no records to list: 4 lines could not be read");
});
