/**
 * Stop 56's adopting team: a year of run records kept by hand in the host procedure's own format
 * (16 columns, no RecordChecksum, the mistakes people make), brought to runrec. Each test is one
 * wrong answer they met, which failed before its fix.
 */
import { join } from "node:path";
import { RECORD_FILE } from "../src/deliverable.ts";
import { HEADER } from "../src/schema.ts";
import { makeProject } from "./fixtures.ts";
import { emitArgs, runCli } from "./cli.ts";
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

Deno.test("annotate given the root says no deliverable beneath it has the RunID, not 'is it a deliverable folder?', and names no folder for what is no RunID (adopt-56 F2)", async () => {
  const { root, del } = await makeProject();
  const { stdout } = await runCli(emitArgs(del));
  const runId = stdout.trim();
  // The root is a documented target: the RunID of a deliverable the project does not have.
  const absent = await runCli(["annotate", root, "RUN-DEL-09-09-20250901-0800-001", "--note", "x"]);
  assertEquals(absent.code, 2);
  assertEquals(
    absent.stderr,
    `runrec annotate: ${root}: no ${RECORD_FILE} here, and no deliverable folder beneath it is ` +
      "DEL-09-09 or records RUN-DEL-09-09-20250901-0800-001\n",
  );
  // A RunID cut short is no run of the deliverable its prefix names.
  const cut = await runCli(["annotate", root, runId.slice(0, 18), "--note", "x"]);
  assertEquals(cut.code, 2);
  assertEquals(cut.stderr.includes("is a run of"), false, cut.stderr);
  assertIncludes(cut.stderr, "is not a RunID");
  // A whole RunID is still found beneath the root, with its note.
  const found = await runCli(["annotate", root, runId, "--note", "checked"]);
  assertEquals(found.code, 0, found.stderr);
  assertIncludes(found.stderr, `note: ${runId} is a run of `);
});

Deno.test("a hand-kept file saved with a byte-order mark: validate and emit say its header is not runrec's, not that deleting the mark mends it (adopt-56 F3)", async () => {
  const { del } = await makeProject();
  const file = join(del, RECORD_FILE);
  const hand = `\uFEFF${[HAND_HEADER, ...HAND_LINES, ""].join("\r\n")}`;
  await Deno.writeTextFile(file, hand);
  const validated = await runCli(["validate", del]);
  assertEquals(validated.code, 1);
  const checked = { stderr: validated.stdout + validated.stderr };
  assertIncludes(
    checked.stderr,
    ":1: starts with a UTF-8 byte-order mark (EF BB BF) and is not the v1.0 header: ",
  );
  assertIncludes(checked.stderr, "16 columns, without InputHashes");
  assertEquals(checked.stderr.includes("delete those 3 bytes"), false, checked.stderr);
  const emitted = await runCli(emitArgs(del));
  assertEquals(emitted.code, 0);
  assertIncludes(emitted.stderr, "line 1 must be the v1.0 header line");
  assertIncludes(emitted.stderr, "the mark must go too");
  assertEquals(emitted.stderr.includes("delete those 3 bytes"), false, emitted.stderr);
  assertEquals(await Deno.readTextFile(file), hand); // spooled: the file is as it was
  // Only our header after the mark is mended by deleting it, as before.
  await Deno.writeTextFile(file, `\uFEFF${HEADER}\n`);
  const ours = await runCli(["validate", del]);
  assertIncludes(
    ours.stdout + ours.stderr,
    "delete those 3 bytes (until then, records wait in the spool)",
  );
});

Deno.test("validate warns of a CR LF file's trailing blank line as of an LF file's, not of its CR alone (adopt-56 F4)", async () => {
  const { del } = await makeProject();
  const { stdout } = await runCli(emitArgs(del));
  assertEquals(stdout.trim().startsWith("RUN-DEL-01-02-"), true, stdout);
  const file = join(del, RECORD_FILE);
  const lf = await Deno.readTextFile(file);
  for (const [name, text] of [["LF", `${lf}\n`], ["CR LF", `${lf.replaceAll("\n", "\r\n")}\r\n`]]) {
    await Deno.writeTextFile(file, text);
    const result = await runCli(["validate", del]);
    assertEquals(result.code, 0, name);
    assertIncludes(result.stdout + result.stderr, `${RECORD_FILE}:3: warning: empty line`);
  }
});

Deno.test("a hand-kept file with two columns swapped is named as the procedure's columns in another order, without RecordChecksum (adopt-56 F5)", async () => {
  const { del } = await makeProject();
  const swapped = HAND_HEADER.replace("RunID,DeliverableID", "DeliverableID,RunID");
  await Deno.writeTextFile(join(del, RECORD_FILE), `${swapped}\n${HAND_LINES[0]}\n`);
  const result = await runCli(["validate", del]);
  assertEquals(result.code, 1);
  assertIncludes(
    result.stdout + result.stderr,
    ": 16 columns, in another order (DeliverableID where RunID goes), without InputHashes, " +
      "OutputHashes, GitHead, Host, RecordChecksum (a file another tool wrote, or by hand",
  );
});
