import { dirname, join, relative } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch, assertRejects } from "./assert.ts";
import { InputError } from "../src/errors.ts";
import { withRun } from "../src/run.ts";
import { COLUMNS, SHA256_PATTERN } from "../src/schema.ts";
import { readRecords } from "../src/reader.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { emitArgs, runCli, runCliProcess } from "./cli.ts";
import { git, makeProject, ROOT, sampleDraft, tempDir, writeTree } from "./fixtures.ts";
import { sha256Hex } from "../src/sha256.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { recordRun } from "../src/hook.ts";
import { newSpoolEntry, SPOOL_FOLDER, spoolRecord } from "../src/spool.ts";
import {
  pendingFiles,
  recordsOf,
  RUNREC_SH,
  unknownAgentWarnings,
  writeAgentFile,
} from "./support/runs.ts";
import { sh } from "./support/sh.ts";

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("emit: writes a record with accurate metadata and prints its RunID", async () => {
  const { root, del } = await makeProject();
  const { code, stdout, stderr } = await runCli([
    "emit",
    del,
    "--agent",
    "4_DOCUMENTS",
    "--status",
    "SUCCESS",
    "--input",
    "_CONTEXT.md",
    "--output",
    "Datasheet.md",
    "--status-before",
    "OPEN",
    "--duration",
    "PT2M34.5S",
    "--pass",
    "FULL",
    "--json",
  ]);
  assertEquals(code, 0, stderr);
  const record = JSON.parse(stdout);
  // The columns, then what became of the record.
  assertEquals(Object.keys(record), [...COLUMNS, "outcome"]);
  assertEquals(record.outcome, "written");
  assertEquals(record.AgentName, "4_DOCUMENTS");
  assertEquals(record.DeliverableID, "DEL-01-02");
  assertEquals(record.StatusBefore, "OPEN");
  assertEquals(record.StatusAfter, "OPEN");
  assertEquals(record.RunDuration, "PT2M34.5S");
  assertEquals(record.InputFiles, ["_CONTEXT.md"]);
  assertEquals(record.OutputFiles, ["Datasheet.md"]);
  assertEquals(Object.keys(record.InputHashes).sort(), [
    "../../../_Decomposition/D.md",
    "_CONTEXT.md",
    "_REFERENCES.md",
  ]);
  assert(SHA256_PATTERN.test(record.InputContextSHA));
  assert(SHA256_PATTERN.test(record.OutputHashes["Datasheet.md"]));
  const second = await runCli(["emit", del, "--agent", "DEPENDENCIES", "--status", "SKIPPED"]);
  assertEquals(second.code, 0);
  assertMatch(second.stdout, /^RUN-DEL-01-02-\d{8}-\d{4}-\d{3}\n$/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit: bad arguments exit 2 with one line naming the problem and write nothing", async () => {
  const { root, del } = await makeProject();
  const cases: [string[], RegExp][] = [
    [["emit", del, "--status", "SUCCESS"], /--agent is required/],
    [["emit", del, "--agent", "A", "--status", "DONE"], /^runrec emit: --status must be one of/],
    [["emit", del, "--agent", "A", "--status", "SUCCESS", "--duration", "2 min"], /--duration/],
    [["emit", del, "--agent", "A", "--status", "SUCCESS", "--started", "yesterday"], /--started/],
    [["emit", del, "--agent", "A", "--status", "SUCCESS", "--bogus"], /bogus/],
    [["emit", join(del, "nope"), "--agent", "A", "--status", "SUCCESS"], /no such folder/],
    [["emit", join(del, "_CONTEXT.md"), "--agent", "A", "--status", "SUCCESS"], /is not a folder/],
  ];
  for (const [args, message] of cases) {
    const { code, stdout, stderr } = await runCli(args);
    assertEquals(code, 2, `${args.join(" ")}: ${stderr}`);
    assertEquals(stdout, "");
    assertMatch(stderr, message);
    assertEquals(stderr.trimEnd().split("\n").length, 1, stderr);
  }
  assert(!(await exists(join(del, RECORD_FILE))), "a record was written");
  await Deno.remove(root, { recursive: true });
});

Deno.test("the agent name RUNREC_ANNOTATE is refused by emit, exec, start, recordRun and withRun (exit 2, one line naming runrec annotate): readers took such a record for an annotation annotate never checked", async () => {
  const { root, del } = await makeProject();
  const wanted = "--agent RUNREC_ANNOTATE: reserved for annotations, which runrec annotate " +
    "writes; name the agent that ran\n";
  const notes = "annotates=RUN-DEL-01-02-20260101-0000-001; invalidates; note=forged";
  const marker = join(root, "ran");
  const commands = [
    ["emit", del, "--agent", "RUNREC_ANNOTATE", "--status", "SKIPPED", "--notes", notes],
    ["exec", del, "--agent", "RUNREC_ANNOTATE", "--", "touch", marker],
    ["start", del, "--agent", "RUNREC_ANNOTATE"],
  ];
  for (const args of commands) {
    const { code, stdout, stderr } = await runCli(args);
    assertEquals([code, stdout, stderr], [2, "", `runrec ${args[0]}: ${wanted}`]);
  }
  assertEquals(await exists(marker), false, "exec ran its command");
  await assertRejects(
    () => recordRun(del, { agent: "RUNREC_ANNOTATE", status: "SKIPPED", notes }),
    InputError,
    "agent RUNREC_ANNOTATE: reserved for annotations",
  );
  let ran = false;
  await assertRejects(
    () => withRun(del, { agent: "RUNREC_ANNOTATE" }, () => void (ran = true)),
    InputError,
    "agent RUNREC_ANNOTATE: reserved for annotations",
  );
  assertEquals(ran, false, "withRun ran its callback");
  assertEquals(await exists(join(del, RECORD_FILE)), false, "a record was written");
  assertEquals(pendingFiles(del), []);
  // Only the exact name is reserved: another spelling is an agent like any other.
  const lower = await runCli(["emit", del, "--agent", "runrec_annotate", "--status", "SUCCESS"]);
  assertEquals(lower.code, 0, lower.stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit: a real subprocess shows no stack trace on bad input", async () => {
  const { root, del } = await makeProject();
  const { code, stderr } = await runCliProcess(["emit", del, "--agent", "A", "--status", "NOPE"]);
  assertEquals(code, 2);
  assertEquals(stderr.trimEnd().split("\n").length, 1, stderr);
  assert(!stderr.includes("    at "), stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit: a folder where RunRecords.csv should be spools the record; exit 0, --strict 2", async () => {
  const { root, del } = await makeProject();
  const spool = await tempDir();
  await Deno.mkdir(join(del, RECORD_FILE));
  const env = { RUNREC_SPOOL_DIR: spool };
  const soft = await runCliProcess(
    ["emit", del, "--agent", "A", "--status", "SUCCESS", "--json"],
    undefined,
    env,
  );
  assertEquals(soft.code, 0, soft.stderr);
  assertMatch(soft.stderr, /runrec: warning: record not written .*not a regular file.*spooled to/);
  // --json still prints one document: the record as built, not yet given a RunID, and where it went.
  const built = JSON.parse(soft.stdout);
  assertEquals([built.AgentName, built.RunID, built.outcome], ["A", "", "spooled"]);
  assert(Deno.statSync(built.spooledTo).isFile, built.spooledTo);
  const strict = await runCliProcess(
    ["emit", del, "--agent", "A", "--status", "SUCCESS", "--strict"],
    undefined,
    env,
  );
  assertEquals(strict.code, 2);
  // An error, not a warning: --strict made the failed write the command's failure.
  assertMatch(strict.stderr, /^runrec emit: record not written: /m);
  assert(!strict.stderr.includes("warning: record not written"), strict.stderr);
  // --strict reports instead of spooling: a caller that retries must not get the record twice.
  const spooled = [...Deno.readDirSync(spool)].filter((e) => e.name.endsWith(".json"));
  assertEquals(spooled.length, 1);
  // Once the fault is gone, the next emit appends the spooled records too.
  await Deno.remove(join(del, RECORD_FILE));
  const next = await runCliProcess(
    ["emit", del, "--agent", "B", "--status", "SUCCESS"],
    undefined,
    env,
  );
  assertEquals(next.code, 0, next.stderr);
  assertEquals((next.stderr.match(/replayed RUN-/g) ?? []).length, 1);
  const lines = (await Deno.readTextFile(join(del, RECORD_FILE))).trimEnd().split("\n");
  assertEquals(lines.length, 3);
  // The older, spooled record comes first.
  assertIncludes(lines[1], "replayed from spool");
  assertIncludes(lines[2], ",B,");
  assertEquals([...Deno.readDirSync(spool)].filter((e) => e.name.endsWith(".json")).length, 0);
  const flush = await runCliProcess(["flush", del], undefined, env);
  assertEquals(flush.code, 0);
  assertIncludes(flush.stdout, "nothing spooled");
  await Deno.remove(root, { recursive: true });
  await Deno.remove(spool, { recursive: true });
});

Deno.test("emit: a full disk (tiny tmpfs) never fails the run and never loses the record", async () => {
  const { root, del } = await makeProject();
  const mount = await tempDir();
  const mounted = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mount],
    stderr: "piped",
  }).output();
  assertEquals(mounted.code, 0, `mount failed: ${new TextDecoder().decode(mounted.stderr)}`);
  const spool = await tempDir();
  const env = { RUNREC_SPOOL_DIR: join(mount, "spool"), TMPDIR: spool };
  try {
    // The deliverable lives on the tiny disk; the spool falls back outside it.
    const small = join(mount, "DEL-01-02_Thing");
    const file = join(small, RECORD_FILE);
    await new Deno.Command("cp", { args: ["-r", del, small] }).output();
    const first = await runCli(["emit", small, "--agent", "A", "--status", "SUCCESS"]);
    assertEquals(first.code, 0, first.stderr);
    const before = await Deno.readFile(file);
    await Deno.writeFile(join(mount, "reserve"), new Uint8Array(4096));
    await new Deno.Command("sh", {
      args: ["-c", `dd if=/dev/zero of=${join(mount, "filler")} bs=1k 2>/dev/null; true`],
    }).output();

    // Completely full: not even the lock file can be written.
    const noLock = await runCliProcess(
      ["emit", small, "--agent", "A", "--status", "SUCCESS"],
      undefined,
      env,
    );
    assertEquals(noLock.code, 0, noLock.stderr);
    // The file that could not be written is named (trial-lib F2).
    assertMatch(
      noLock.stderr,
      /record not written \(\S*RunRecords\.csv\.lock: cannot take the lock: No space left on device.*spooled to /,
    );
    assertIncludes(noLock.stderr, spool);
    assert(!(await exists(`${file}.lock`)), "a half-written lock was left behind");

    // One page free: the lock fits, the (large) record does not.
    await Deno.remove(join(mount, "reserve"));
    const big = await runCliProcess(
      ["emit", small, "--agent", "A", "--status", "FAILED", "--error", "x".repeat(9000)],
      undefined,
      env,
    );
    assertEquals(big.code, 0, big.stderr);
    assertMatch(big.stderr, /record not written .*(short write|No space left).*spooled to /);
    const after = await Deno.readFile(file);
    assertEquals(after.subarray(0, before.length), before, "earlier bytes changed");

    await Deno.remove(join(mount, "filler"));
    const flush = await runCliProcess(["flush", small], undefined, env);
    assertEquals(flush.code, 0, flush.stderr);
    // Each spooled record is replayed once: by the next emit (replays go first) or by flush.
    const byEmit = (big.stderr.match(/replayed RUN-/g) ?? []).length;
    const byFlush = (flush.stdout.match(/RUN-DEL-01-02-\d{8}-\d{4}-\d{3} {2}replayed/g) ?? [])
      .length;
    assertEquals(byEmit + byFlush, 2);
    const validate = await runCli(["validate", small, "--json"]);
    assertEquals(validate.code, 0, validate.stdout + validate.stderr);
    const events = [];
    for await (const e of readRecords(file)) events.push(e);
    const records = events.flatMap((e) => e.kind === "record" ? [e.record] : []);
    assertEquals(records.length, 3);
    assertEquals(records.filter((r) => r.Notes.includes("replayed from spool")).length, 2);
    // A short write may leave torn bytes: kept, reported as torn, followed by whole records.
    const problems = events.flatMap((e) => e.kind === "problem" ? [e.code] : []);
    assert(problems.every((c) => c === "torn"), problems.join());
  } finally {
    await new Deno.Command("umount", { args: [mount] }).output();
    await Deno.remove(mount, { recursive: true });
    await Deno.remove(root, { recursive: true });
    await Deno.remove(spool, { recursive: true });
  }
});

Deno.test("emit: a _CONTEXT.md ID that differs from the folder's is recorded and noted", async () => {
  const { root, del } = await makeProject();
  const renamed = join(del, "..", "DEL-09-01_Thing");
  await Deno.rename(del, renamed);
  const { code, stdout, stderr } = await runCli([
    "emit",
    renamed,
    "--agent",
    "A",
    "--status",
    "SUCCESS",
    "--json",
  ]);
  assertEquals(code, 0, stderr);
  const record = JSON.parse(stdout);
  assertEquals(record.DeliverableID, "DEL-01-02");
  assertIncludes(record.Notes, "_CONTEXT.md names DEL-01-02, the folder DEL-09-01");
  assertIncludes(stderr, "runrec: note: _CONTEXT.md names DEL-01-02");
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit: a record spooled in the deliverable's own .runrec-spool/ is replayed first", async () => {
  const { root, del } = await makeProject();
  const file = join(del, RECORD_FILE);
  const { path: spooledTo } = spoolRecord(
    del,
    newSpoolEntry(file, sampleDraft({ DeliverableID: "DEL-01-02", AgentName: "EARLIER" }), "fault"),
  );
  assertEquals(spooledTo.startsWith(join(del, SPOOL_FOLDER)), true, spooledTo);
  const outcome = await recordRun(del, { agent: "NOW", status: "SUCCESS" });
  assertEquals(outcome.warnings, []);
  assertEquals(outcome.replayed.map((r) => r.record.AgentName), ["EARLIER"]);
  const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
  assertEquals(lines.length, 3);
  assertIncludes(lines[1], ",EARLIER,");
  assertIncludes(lines[2], ",NOW,");
  const left = [...Deno.readDirSync(join(del, SPOOL_FOLDER))].filter((e) =>
    e.name.endsWith(".json")
  );
  assertEquals(left.length, 0);
  await Deno.remove(root, { recursive: true });
});

/** A temporary folder holding the user's shared spool with one entry for `del`. */
async function sharedSpoolWithEntry(del: string) {
  const tmp = await tempDir();
  const shared = join(tmp, `runrec-spool-${Deno.uid()}`);
  await Deno.mkdir(shared, { mode: 0o700 });
  // A record spooled there by an earlier run whose deliverable folder was not writable.
  const entry = {
    recordFile: join(del, RECORD_FILE),
    draft: sampleDraft({ DeliverableID: "DEL-01-02", AgentName: "SPOOLED" }),
    error: "test fault",
    spooledAt: new Date().toISOString(),
    attempts: 0,
  };
  await Deno.writeTextFile(join(shared, "1-1-test.json"), JSON.stringify(entry));
  return { tmp, shared };
}

Deno.test("emit: a record spooled in $TMPDIR/runrec-spool-<uid>/ is replayed by the next emit", async () => {
  const { root, del } = await makeProject();
  const { tmp, shared } = await sharedSpoolWithEntry(del);
  const env = { TMPDIR: tmp };
  const next = await runCliProcess(
    ["emit", del, "--agent", "B", "--status", "SUCCESS"],
    undefined,
    env,
  );
  assertEquals(next.code, 0, next.stderr);
  assertEquals((next.stderr.match(/replayed RUN-/g) ?? []).length, 1, next.stderr);
  const lines = (await Deno.readTextFile(join(del, RECORD_FILE))).trimEnd().split("\n");
  assertEquals(lines.map((l) => l.split(",")[3]).slice(1), ["SPOOLED", "B"]);
  assertEquals([...Deno.readDirSync(shared)], []);
  await Deno.remove(root, { recursive: true });
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("emit: a shared spool folder another user owns or may write is not replayed", async () => {
  const { root, del } = await makeProject();
  const { tmp, shared } = await sharedSpoolWithEntry(del);
  const emit = () =>
    runCliProcess(["emit", del, "--agent", "B", "--status", "SUCCESS"], undefined, { TMPDIR: tmp });
  // Open to everyone: anyone could have put the entry there.
  await Deno.chmod(shared, 0o777);
  const open = await emit();
  assertEquals(open.code, 0, open.stderr);
  assertMatch(
    open.stderr,
    /warning: STUCK: .*runrec-spool-\d+\/1-1-test\.json: not replayed: the folder is open to other users \(mode 777: others may write/,
  );
  // Owned by someone else (root may hand it over; the mode is private again).
  await Deno.chmod(shared, 0o700);
  await Deno.chown(shared, 4242, 4242);
  const foreign = await emit();
  assertEquals(foreign.code, 0, foreign.stderr);
  assertMatch(foreign.stderr, /not replayed: the folder is owned by uid 4242, not by this user/);
  // A link in its place, even to a private folder of the user's, is not the folder either.
  await Deno.chown(shared, Deno.uid(), Deno.gid());
  await Deno.rename(shared, `${shared}.real`);
  await Deno.symlink(`${shared}.real`, shared);
  const linked = await emit();
  assertMatch(linked.stderr, /not replayed: the folder is a link or a file, not a real folder/);
  const agents = (await Deno.readTextFile(join(del, RECORD_FILE))).trimEnd().split("\n").slice(1)
    .map((l) => l.split(",")[3]);
  assertEquals(agents, ["B", "B", "B"]);
  // The entry stays where it was, for its owner to inspect.
  assertEquals([...Deno.readDirSync(`${shared}.real`)].map((e) => e.name), ["1-1-test.json"]);
  await Deno.remove(root, { recursive: true });
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("emit: a record is not spooled into a shared spool folder that is not private", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const shared = join(tmp, `runrec-spool-${Deno.uid()}`);
  await Deno.mkdir(shared, { mode: 0o777 });
  await Deno.chmod(shared, 0o777);
  // A folder where RunRecords.csv belongs and a file where the own spool folder belongs:
  // only the shared folder is left, and it is not the user's alone.
  await Deno.mkdir(join(del, RECORD_FILE));
  await Deno.writeTextFile(join(del, SPOOL_FOLDER), "");
  const out = await runCliProcess(
    ["emit", del, "--agent", "B", "--status", "SUCCESS"],
    undefined,
    { TMPDIR: tmp },
  );
  assertEquals(out.code, 0, out.stderr);
  assertMatch(out.stderr, /record LOST: .*runrec-spool-\d+: not used: open to other users/);
  assertEquals([...Deno.readDirSync(shared)], []);
  await Deno.remove(root, { recursive: true });
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("emit: a FIFO in place of any file it reads is named, never opened", async () => {
  // Opening a FIFO waits for a writer: each case would hang the test if it were opened.
  for (const name of ["_STATUS.md", "_REFERENCES.md", "Out.md", RECORD_FILE, "_CONTEXT.md"]) {
    const { root, del } = await makeProject();
    await Deno.remove(join(del, name)).catch(() => {});
    const made = await new Deno.Command("mkfifo", { args: [join(del, name)] }).output();
    assertEquals(made.code, 0);
    const out = await runCli(emitA(del, "--output", "Out.md"));
    // A bad host file, _CONTEXT.md too, never stops the record (issue 8, defect 7).
    assertEquals(out.code, 0, `${name}: ${out.stderr}`);
    assertMatch(
      out.stderr,
      name === RECORD_FILE ? /not a regular file\); spooled to / : /not a regular file/,
    );
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("flush: a spool entry naming another file, or malformed, is reported and never replayed", async () => {
  const { root, del } = await makeProject();
  const spool = join(del, SPOOL_FOLDER);
  await Deno.mkdir(spool);
  const elsewhere = join(root, "notes.txt");
  const entry = (recordFile: unknown, id = "DEL-01-02") => ({
    recordFile,
    draft: sampleDraft({ DeliverableID: id }),
    error: "test",
    spooledAt: new Date().toISOString(),
    attempts: 0,
  });
  await Deno.writeTextFile(join(spool, "1-a.json"), JSON.stringify(entry(elsewhere)));
  await Deno.writeTextFile(join(spool, "2-b.json"), "{}");
  const other = join(root, "PKG-01_Pkg", "1_Working", "DEL-09-09_Other", RECORD_FILE);
  await Deno.writeTextFile(join(spool, "3-c.json"), JSON.stringify(entry(other, "DEL-09-09")));
  const out = await runCli(["flush", del]);
  assertMatch(
    out.stderr,
    /STUCK: .*1-a\.json: not replayed: recordFile .*notes\.txt is not a RunRecords\.csv/,
  );
  assertMatch(out.stderr, /STUCK: .*2-b\.json: not replayed: recordFile is not an absolute path/);
  assertMatch(
    out.stderr,
    /STUCK: .*3-c\.json: not replayed: recordFile .* is not this deliverable's/,
  );
  assertEquals(await Deno.stat(elsewhere).catch(() => undefined), undefined);
  assertEquals(await Deno.stat(other).catch(() => undefined), undefined);
  const left = [...Deno.readDirSync(spool)].map((e) => e.name).filter((n) => n.endsWith(".json"));
  assertEquals(left.sort(), ["1-a.json", "2-b.json", "3-c.json"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit: an --input folder that holds no file is noted, and the record written", async () => {
  const { root, del } = await makeProject();
  await Deno.mkdir(join(del, "empty", "sub"), { recursive: true });
  const out = await runCli(emitA(del, "--input", "empty", "--json"));
  assertEquals(out.code, 0, out.stderr);
  assertEquals(JSON.parse(out.stdout).InputFiles, []);
  assertIncludes(out.stderr, "runrec: note: --input empty: folder holds no files");
  await Deno.remove(root, { recursive: true });
});

/** `emit <del> --agent A --status SUCCESS` and `extra`. */
function emitA(del: string, ...extra: string[]): string[] {
  return ["emit", del, "--agent", "A", "--status", "SUCCESS", ...extra];
}

Deno.test("emit: an agent's spelling never costs its record: lower case, an empty --error, an unknown state, a leading dash", async () => {
  const { del } = await makeProject();
  const out = await runCli([
    "emit",
    del,
    "--agent",
    "4_DOCUMENTS",
    "--status",
    "failed",
    "--error",
    "",
    "--status-before",
    "in_progress",
    "--status-after",
    "DRAFT",
    "--notes",
    "- vendor data missing",
    "--json",
  ]);
  assertEquals(out.code, 0, out.stderr);
  const record = JSON.parse(out.stdout);
  assertEquals(
    [record.RunStatus, record.ErrorSummary, record.StatusBefore, record.StatusAfter],
    ["FAILED", "TBD", "IN_PROGRESS", "OPEN"], // _STATUS.md, not the claim, says where it ended
  );
  assertMatch(record.Notes, /^- vendor data missing \| .*--error was empty: recorded TBD/);
  // The note says what the record holds: _STATUS.md's state, not TBD (help-texts F3).
  assertMatch(
    record.Notes,
    /--status-after "DRAFT" is not a lifecycle state \(OPEN, [A-Z_, ]+\): not used; StatusAfter is _STATUS\.md's OPEN/,
  );
  // A status that is no RunStatus at all is still a usage error: nothing is guessed.
  const bad = await runCli(["emit", del, "--agent", "A", "--status", "DONE"]);
  assertEquals(bad.code, 2);
});

Deno.test("emit: the agent's profile is applied: outputs outside its scope, a change it may not make, a claim _STATUS.md denies", async () => {
  const { del } = await makeProject();
  // CHIRALITY_LENS writes only _SEMANTIC_LENSING.md and never moves _STATUS.md (built-in profile).
  await Deno.writeTextFile(
    join(del, "_STATUS.md"),
    "# Status: DEL-01-02 Thing\n\n**Current State:** ISSUED\n",
  );
  const out = await runCli([
    "emit",
    del,
    "--agent",
    "CHIRALITY_LENS",
    "--status",
    "SUCCESS",
    "--status-before",
    "ISSUED",
    "--status-after",
    "CHECKING",
    "--output",
    "Datasheet.md",
    "--json",
  ]);
  assertEquals(out.code, 0, out.stderr);
  const record = JSON.parse(out.stdout);
  assertEquals(record.StatusAfter, "ISSUED");
  assertMatch(record.Notes, /output Datasheet\.md is not among CHIRALITY_LENS's PRIMARY_OUTPUTS/);
  assertMatch(record.Notes, /SUCCESS from ISSUED/);
  assertMatch(record.Notes, /CHECKING/);
  assertMatch(out.stderr, /runrec: warning: output Datasheet\.md is not among/);
});

Deno.test("emit: a host outcome word as --status maps to its RunStatus, the word kept", async () => {
  const { del } = await makeProject();
  const json = async (...extra: string[]) => {
    const out = await runCli(["emit", del, "--agent", "A", ...extra, "--json"]);
    assertEquals(out.code, 0, out.stderr);
    return JSON.parse(out.stdout);
  };
  const failed = await json("--status", "FAILED_INPUTS", "--error", "_CONTEXT.md missing");
  assertEquals([failed.RunStatus, failed.ErrorSummary], [
    "FAILED",
    "FAILED_INPUTS: _CONTEXT.md missing",
  ]);
  // The word once, though the agent's --error already leads with it.
  const once = await json("--status", "FAILED_INPUTS", "--error", "FAILED_INPUTS: x missing");
  assertEquals(once.ErrorSummary, "FAILED_INPUTS: x missing");
  const passed = await json("--status", "pass");
  assertEquals(passed.RunStatus, "SUCCESS");
  assertMatch(passed.Notes, /^PASS/);
  const skipped = await json("--status", "SKIPPED_PROTECT_HUMAN_WORK");
  assertEquals(skipped.RunStatus, "SKIPPED");
  assertMatch(skipped.Notes, /^SKIPPED_PROTECT_HUMAN_WORK/);
});

Deno.test("emit and finish: an output the run deleted is DELETED; one that cannot be read (a dangling link too) is TBD with a reason in words", async () => {
  const { root, del } = await makeProject();
  await Deno.remove(join(del, "Dependencies.csv"));
  await Deno.symlink("nowhere.md", join(del, "link.md"));
  await Deno.mkdir(join(del, "figures"));
  await Deno.writeTextFile(join(del, "back\\slash.md"), "a POSIX name with a backslash\n");
  const emit = await runCli([
    "emit",
    del,
    "--agent",
    "4_DOCUMENTS",
    "--status",
    "SUCCESS",
    "--output",
    "Dependencies.csv",
    "--output",
    "figures",
    "--output",
    "back\\slash.md",
    "--output",
    "link.md",
  ]);
  assertEquals(emit.code, 0, emit.stderr);
  const token = (await runCliProcess(["start", del, "--agent", "A"])).stdout.trim();
  await Deno.remove(join(del, "Datasheet.md"));
  const finish = await runCliProcess([
    "finish",
    token,
    "--status",
    "SUCCESS",
    "--output",
    "Datasheet.md",
  ]);
  assertEquals(finish.code, 0, finish.stderr);
  const records = [];
  for await (const e of readRecords(join(del, RECORD_FILE))) {
    if (e.kind === "record") records.push(e.record);
  }
  assertEquals(records[0].OutputHashes, {
    "Dependencies.csv": "DELETED",
    "back/slash.md": "TBD", // not DELETED: the file is there, under a name runrec cannot give
    "link.md": "TBD", // not DELETED: the link is there, what it names is not
  });
  assertIncludes(records[0].Notes, "output link.md could not be hashed: a dangling symbolic link");
  assertIncludes(
    records[0].Notes,
    "output back\\slash.md not found: a backslash is read as a folder separator",
  );
  assertIncludes(records[0].Notes, "output Dependencies.csv does not exist: recorded as DELETED");
  assertIncludes(records[0].Notes, "output folder figures holds no files");
  assertEquals(records[1].OutputHashes, { "Datasheet.md": "DELETED" });
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit --input . records the deliverable's files as InputFiles; stale right after is CLEAN; an empty --input exits 2", async () => {
  const { root, del } = await makeProject();
  const emit = await runCli([
    "emit",
    del,
    "--agent",
    "DEPENDENCIES",
    "--status",
    "SUCCESS",
    "--input",
    ".",
    "--json",
  ]);
  assertEquals(emit.code, 0, emit.stderr);
  const record = JSON.parse(emit.stdout);
  assert(record.InputFiles.includes("Datasheet.md"), JSON.stringify(record.InputFiles));
  assert(record.InputFiles.includes("_CONTEXT.md"), JSON.stringify(record.InputFiles));
  assert(
    !record.InputFiles.some((p: string) => p.startsWith("../")),
    "outside files are references",
  );
  const stale = await runCli(["stale", del, "--agent", "DEPENDENCIES"]);
  assertEquals(stale.code, 0, stale.stdout + stale.stderr);
  assertMatch(stale.stdout, /1 checks?: 0 DIRTY, 1 CLEAN/);
  const empty = await runCli(["emit", del, "--agent", "A", "--status", "SUCCESS", "--input", ""]);
  assertEquals(empty.code, 2);
  assertMatch(empty.stderr, /--input: an empty path/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit and finish --output of a folder record each file beneath it (a .runrec-spool/ in an ordinary folder is data, SCHEMA.md 5.1); stale then sees an edit to one", async () => {
  const { root, del } = await makeProject();
  await Deno.mkdir(join(del, "figures", "sub"), { recursive: true });
  await Deno.writeTextFile(join(del, "figures", "b.svg"), "<svg/>\n");
  await Deno.writeTextFile(join(del, "figures", "sub", "a.svg"), "<svg></svg>\n");
  await Deno.mkdir(join(del, "figures", ".runrec-spool"));
  await Deno.writeTextFile(join(del, "figures", ".runrec-spool", "x.json"), "{}\n");
  await Deno.mkdir(join(del, "empty"));
  await Deno.symlink(join(del, "empty"), join(del, "figures", "linked"));
  const outside = await tempDir({ prefix: "runrec-outside-" });
  await Deno.writeTextFile(join(outside, "o.txt"), "outside\n");
  const emit = await runCli([
    "emit",
    del,
    "--agent",
    "4_DOCUMENTS",
    "--status",
    "SUCCESS",
    "--output",
    "figures/",
    "--output",
    "empty",
    "--output",
    outside,
    "--json",
  ]);
  assertEquals(emit.code, 0, emit.stderr);
  const record = JSON.parse(emit.stdout);
  const outsideKey = Object.keys(record.OutputHashes).find((k) => k.startsWith("../"));
  assertEquals(record.OutputFiles, [
    outsideKey,
    "figures/.runrec-spool/x.json",
    "figures/b.svg",
    "figures/sub/a.svg",
  ]);
  assertEquals(record.OutputHashes["figures/b.svg"], await sha256(join(del, "figures", "b.svg")));
  assertEquals(record.OutputHashes[outsideKey!], "TBD"); // never walked: `--output /` must not hash a disk
  assertIncludes(record.Notes, "output folder empty holds no files");
  assertIncludes(
    record.Notes,
    "output folder figures/linked is a symbolic link: its files are not hashed (name it as an " +
      "output to hash them)",
  );
  assertMatch(record.Notes, /output folder \.\.\/\S+ is outside the execution root/);
  // The same from the start/finish flow.
  const token = (await runCliProcess(["start", del, "--agent", "A"])).stdout.trim();
  const finish = await runCliProcess([
    "finish",
    token,
    "--status",
    "SUCCESS",
    "--output",
    "figures",
  ]);
  assertEquals(finish.code, 0, finish.stderr);
  const records = [];
  for await (const e of readRecords(join(del, RECORD_FILE))) {
    if (e.kind === "record") records.push(e.record);
  }
  assertEquals(records[1].OutputFiles, [
    "figures/.runrec-spool/x.json",
    "figures/b.svg",
    "figures/sub/a.svg",
  ]);
  await Deno.writeTextFile(join(del, "figures", "sub", "a.svg"), "edited\n", { append: true });
  const stale = await runCli(["stale", del, "--agent", "A"]);
  assertIncludes(stale.stdout, "figures/sub/a.svg");
  await Deno.remove(root, { recursive: true });
  await Deno.remove(outside, { recursive: true });
});

/** SHA-256 of a file by openssl, the oracle. */
async function sha256(path: string): Promise<string> {
  const out = await new Deno.Command("openssl", { args: ["dgst", "-sha256", "-r", path] }).output();
  return new TextDecoder().decode(out.stdout).split(" ")[0];
}

Deno.test("emit: --json says outcome written; a stdout that cannot be written costs a warning, not the exit code (a caller retrying would record the run twice)", async () => {
  const { root, del } = await makeProject();
  const json = await runCliProcess(["emit", del, "--agent", "A", "--status", "SUCCESS", "--json"]);
  assertEquals(json.code, 0, json.stderr);
  const written = JSON.parse(json.stdout);
  assertEquals(written.outcome, "written");
  assertMatch(written.RunID, /^RUN-DEL-01-02-/);
  for (const extra of [[], ["--json"]]) {
    const full = await new Deno.Command("sh", {
      args: [
        "-c",
        `"$0" "$@" >/dev/full`,
        Deno.execPath(),
        "run",
        ...FULL_FLAGS,
        CLI_ENTRY,
        "emit",
        del,
        "--agent",
        "A",
        "--status",
        "SUCCESS",
        ...extra,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(full.stderr);
    assertEquals(full.code, 0, stderr);
    assertMatch(stderr, /^runrec: warning: the outcome could not be printed \(.*\)\n$/);
  }
  const lines = (await Deno.readTextFile(join(del, RECORD_FILE))).trimEnd().split("\n");
  assertEquals(lines.length, 4, "one record per emit, each once");
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit: --status-after stands in for an unread _STATUS.md, and the record says it is the agent's word", async () => {
  const { root, del } = await makeProject();
  await Deno.remove(join(del, "_STATUS.md"));
  const out = await runCli([
    "emit",
    del,
    "--agent",
    "A",
    "--status",
    "SUCCESS",
    "--status-after",
    "INITIALIZED",
    "--json",
  ]);
  assertEquals(out.code, 0, out.stderr);
  const record = JSON.parse(out.stdout);
  assertEquals(record.StatusAfter, "INITIALIZED");
  assertMatch(
    record.Notes,
    /StatusAfter INITIALIZED as the agent gave it \(--status-after\): _STATUS\.md unread/,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit --strict --json of a record whose fsync or read-back fails: outcome unconfirmed, exit 0 (it is in the file: a retry would duplicate it), its RunID given (seeds-trace F2)", async () => {
  for (
    const fault of [
      // Only the record file's calls: Deno's own (its module cache) must not take the fault.
      ["trace=fsync,fdatasync", "inject=fsync,fdatasync:error=EIO:when=1", "fsync failed"],
      // The file is new: its first read is the post-write check's read-back.
      ["trace=read", "inject=read:retval=0:when=1", "post-write check"],
    ]
  ) {
    const { root, del } = await makeProject();
    const out = await new Deno.Command("strace", {
      args: [
        ...["-f", "-qq", "-o", "/dev/null", "-P", join(del, RECORD_FILE)],
        ...["-e", fault[0], "-e", fault[1]],
        ...[Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY],
        ...["emit", del, "--agent", "A", "--status", "SUCCESS", "--strict", "--json"],
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, stderr);
    const json = JSON.parse(new TextDecoder().decode(out.stdout));
    assertEquals(json.outcome, "unconfirmed");
    const lines = (await Deno.readTextFile(join(del, RECORD_FILE))).trimEnd().split("\n");
    assertEquals(lines.length, 2, "the record is in the file once");
    // Named by the RunID it is in the file as, for the orchestrator's summary.
    const runId = lines[1].split(",")[1];
    assertEquals(json.RunID, runId);
    assertMatch(stderr, new RegExp(`warning: ${runId} written but not confirmed: .*${fault[2]}`));
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("emit and finish: advice whose module cannot be loaded (EIO opening the edit distance's module) costs the warning, never the run (CI's fault sweep)", async () => {
  const { root, del } = await makeProject();
  const token = (await runCliProcess(["start", del, "--agent", "CASE"])).stdout.trim();
  const module = join(ROOT, "src", "near_names.ts");
  for (
    const args of [["emit", del, "--agent", "CASE", "--status", "SUCCESS"], [
      "finish",
      token,
      "--status",
      "SUCCESS",
    ]]
  ) {
    const out = await new Deno.Command("strace", {
      args: [
        // Only the module's opens: the record file's and Deno's own must not take the fault.
        ...["-f", "-qq", "-o", "/dev/null", "-P", module],
        ...["-e", "trace=openat", "-e", "inject=openat:error=EIO"],
        ...[Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, ...args],
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assertEquals(out.code, 0, `${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
  }
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["CASE", "CASE"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit checks that it may read the project once per run, and lists its folders instead of asking for names that are not there", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q"); // the project is a git work tree, as the host's is
  // Each permission check walked up to the project's root, stat-ing INIT.md, _Decomposition
  // and .git in every folder (emit made it four times); the walk to the git root, the one
  // above it (a superproject?) and the search for the agent's file asked again, each missing
  // name a thrown error. Now the check lists each folder once and the rest is answered from
  // the listings.
  const out = await new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-e", "trace=statx,newfstatat,stat,lstat,openat,readlink"],
      ...[Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY],
      ...["emit", del, "--agent", "A", "--status", "SUCCESS", "--no-fsync"],
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const lines = stderr.split("\n");
  const looks = lines.filter((l) => l.includes(join(del, "INIT.md")));
  assertEquals(looks.length, 0, looks.join("\n"));
  // No failing look-up of a name that marks a project's root or holds agent files, in the
  // project (above it, the search for agent files asks each folder). `.git` is asked by name:
  // the journal notes each append's HEAD (src/journal.ts), a stat per folder, no listing.
  const failed = lines.filter((l) =>
    l.includes("ENOENT") && l.includes(`"${root}/`) &&
    /\/(INIT\.md|_Decomposition|agents|\.claude|AGENT_A\.md)"/.test(l)
  );
  assertEquals(failed, []);
  await Deno.remove(root, { recursive: true });
});

/**
 * How often each folder was opened to be listed during `runrec emit <del>` (strace), and the
 * record's GitHead.
 */
async function emitListings(del: string): Promise<{ opened: Map<string, number>; head: string }> {
  const out = await new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-e", "trace=openat"],
      ...[Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY],
      ...["emit", del, "--agent", "A", "--status", "SUCCESS", "--no-fsync", "--json"],
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const opened = new Map<string, number>();
  for (const [, path] of stderr.matchAll(/openat\(AT_FDCWD, "([^"]*)", [A-Z_|]*O_DIRECTORY/g)) {
    opened.set(path, (opened.get(path) ?? 0) + 1);
  }
  return { opened, head: JSON.parse(new TextDecoder().decode(out.stdout)).GitHead };
}

/** `dir` and each folder above it, up to `top` (default `/`). */
function foldersUp(dir: string, top = "/"): string[] {
  const folders = [dir];
  while (folders.at(-1) !== top && folders.at(-1) !== "/") {
    folders.push(folders.at(-1)!.replace(/\/[^/]*$/, "") || "/");
  }
  return folders;
}

Deno.test("emit lists each folder once: gitHead's search for .git answers from the permission check's listings (a bare deliverable up to /, a git project)", async () => {
  // A deliverable outside any project: every folder up to / was listed by the permission check
  // and again by gitHead (in a folder of 200,000 names: docs/BENCHMARKS.md, stop 21).
  const bare = join(await Deno.realPath(await tempDir({ prefix: "runrec_crowd_" })), "DEL-01-02");
  await Deno.mkdir(bare);
  await Deno.writeTextFile(join(bare, "_CONTEXT.md"), "**DeliverableID:** DEL-01-02\n");
  const outside = await emitListings(bare);
  const upToRoot = foldersUp(bare);
  assertEquals(upToRoot.map((f) => [f, outside.opened.get(f)]), upToRoot.map((f) => [f, 1]));
  assertEquals(outside.head, "");

  // In a git work tree: the folders up to its root, and the .git folder (commondir?), once each.
  const { root, del } = await makeProject();
  const real = await Deno.realPath(del);
  const top = await Deno.realPath(root);
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-q", "-m", "base");
  const inGit = await emitListings(del);
  const project = [...foldersUp(real, top), join(top, ".git")];
  assertEquals(project.map((f) => [f, inGit.opened.get(f)]), project.map((f) => [f, 1]));
  assertEquals(inGit.head, (await git(root, "rev-parse", "HEAD")).trim());
  await Deno.remove(root, { recursive: true });
});

Deno.test("a misspelt --agents-dir is a one-line error naming the flag (exit 2) for emit, exec and finish; nothing written, the command not run, the run still pending", async () => {
  const { root, del } = await makeProject();
  const wanted = `runrec %s: --agents-dir ${join(root, "agnets")}: no such folder\n`;
  const bad = ["--agents-dir", join(root, "agnets")];
  const emit = await runCliProcess(["emit", del, "--agent", "A", "--status", "SUCCESS", ...bad]);
  assertEquals([emit.code, emit.stderr], [2, wanted.replace("%s", "emit")]);
  const marker = join(root, "ran");
  const exec = await runCliProcess(["exec", del, "--agent", "A", ...bad, "touch", marker]);
  assertEquals([exec.code, exec.stderr], [2, wanted.replace("%s", "exec")]);
  assertEquals(await Deno.stat(marker).then(() => true, () => false), false);
  const start = await runCliProcess(["start", del, "--agent", "A"]);
  assertEquals(start.code, 0, start.stderr);
  const token = start.stdout.trim();
  const finish = await runCliProcess(["finish", token, "--status", "SUCCESS", ...bad]);
  assertEquals([finish.code, finish.stderr], [2, wanted.replace("%s", "finish")]);
  assertEquals(await Deno.stat(join(del, RECORD_FILE)).then(() => true, () => false), false);
  const retried = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(retried.code, 0, retried.stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit and finish: an empty or blank --output exits 2 as an empty --input does (it stood for every file of the folder); nothing is written, finish's run stays pending", async () => {
  const { root, del } = await makeProject();
  const said = "--output: an empty path (name a file or folder; . is the deliverable folder)";
  for (const output of ["", " "]) {
    const emit = await runCli(emitArgs(del, "--output", "Datasheet.md", "--output", output));
    assertEquals([emit.code, emit.stderr], [2, `runrec emit: ${said}\n`]);
  }
  // Inputs and outputs are held to the same rule: a blank --input is refused too.
  const input = await runCli(emitArgs(del, "--input", "\t"));
  assertEquals([input.code, input.stderr], [
    2,
    `runrec emit: ${said.replace("output", "input")}\n`,
  ]);
  assert(!await exists(join(del, RECORD_FILE)));
  const token = (await runCli(["start", del, "--agent", "4_DOCUMENTS"])).stdout.trim();
  const finish = await runCli(["finish", token, "--status", "SUCCESS", "--output", ""]);
  assertEquals(finish.code, 2);
  assertIncludes(finish.stderr, `runrec finish: ${said}; the run is still pending`);
  assert(!await exists(join(del, RECORD_FILE)));
  const again = await runCli(["finish", token, "--status", "SUCCESS", "--output", "Datasheet.md"]);
  assertEquals(again.code, 0, again.stderr);
  const records = [];
  for await (const e of readRecords(join(del, RECORD_FILE))) {
    if (e.kind === "record") records.push(e);
  }
  assertEquals(records.map((e) => e.record.OutputFiles), [["Datasheet.md"]]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("the commands messages suggest quote a path with a space, so that they run as printed: flush's, reap's, emit's", async () => {
  const { root, del: plain } = await makeProject();
  const del = join(dirname(plain), "DEL-01-02_Has Space");
  await Deno.rename(plain, del);
  await Deno.mkdir(join(del, RECORD_FILE));
  const emit = await runCliProcess(emitArgs(del));
  assertEquals(emit.code, 0, emit.stderr);
  const flush = / or (runrec flush '[^']+');/.exec(emit.stderr)?.[1];
  assertEquals(flush, `runrec flush '${del}'`, emit.stderr);
  await Deno.remove(join(del, RECORD_FILE));
  // As a user pastes it: one shell line (it threw "DEL-01-02_Has: no such folder").
  assertIncludes(await sh(root, flush!.replace("runrec", RUNREC_SH)), "replayed into DEL-01-02");
  assertEquals((await recordsOf(del)).length, 1);
  await runCliProcess(["start", del, "--agent", "A", "--pid", "999999"]);
  const log = await runCliProcess(["log", del]);
  assertIncludes(log.stderr, `or runrec reap '${del}' once their agents are gone`);
  const other = join(dirname(del), "DEL-01-03_No Runs");
  await Deno.mkdir(other);
  // The run pending beside it is named with the finish that records it (trial-t F1).
  const beside = await runCliProcess(["finish", other, "--status", "SUCCESS"]);
  assertEquals(beside.code, 2);
  assertIncludes(beside.stderr, `runrec finish '${relative(Deno.cwd(), del)}' --run `);
  assertEquals((await runCliProcess(["reap", del])).code, 0);
  const finish = await runCliProcess(["finish", other, "--status", "SUCCESS"]);
  assertEquals(finish.code, 2);
  assertIncludes(finish.stderr, `runrec emit '${other}' --agent NAME`);
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit, start and finish from the execution root with paths from there: each is recorded as the file it names (hashed, a note saying so), the write scope sees that file, and stale sees the input change", async () => {
  const { root, del } = await makeProject();
  const p = "PKG-01_Pkg/1_Working/DEL-01-02_Thing";
  const fromRoot = (args: string[]) => runCliProcess(args, FULL_FLAGS, {}, root);
  const readAs = (option: string, name: string) =>
    `${option} ${p}/${name}: recorded as ${name}, the file it names from the current folder`;
  const emit = await fromRoot(
    ["emit", p, "--agent", "X", "--status", "SUCCESS", "--input", `${p}/Datasheet.md`]
      .concat(["--output", `${p}/Datasheet.md`, "--output", `${p}/Gone.md`]),
  );
  assertEquals(emit.code, 0, emit.stderr);
  assertIncludes(emit.stderr, `note: ${readAs("--input", "Datasheet.md")}`);
  assertIncludes(emit.stderr, `note: ${readAs("--output", "Datasheet.md")}`);
  // A path that names nothing from either folder is DELETED as before, now with a warning.
  assertIncludes(emit.stderr, `warning: output ${p}/Gone.md does not exist: recorded as DELETED`);
  const [record] = await recordsOf(del);
  const datasheet = record.InputHashes["Datasheet.md"];
  assertMatch(datasheet, SHA256_PATTERN);
  assertEquals(record.InputFiles, ["Datasheet.md"]);
  assertEquals(record.OutputHashes, { "Datasheet.md": datasheet, [`${p}/Gone.md`]: "DELETED" });
  // start and finish: the input hashed as the run read it; the output in the agent's write scope.
  await Deno.writeTextFile(join(del, "_SEMANTIC.md"), "# Semantic\n");
  const start = await fromRoot(
    ["start", p, "--agent", "CHIRALITY_LENS", "--input", `${p}/_SEMANTIC.md`],
  );
  assertEquals(start.code, 0, start.stderr);
  assertIncludes(start.stderr, `note: ${readAs("--input", "_SEMANTIC.md")}`);
  await Deno.writeTextFile(join(del, "_SEMANTIC_LENSING.md"), "# Lens\n");
  const finish = await fromRoot([
    "finish",
    start.stdout.trim(),
    "--agent",
    "CHIRALITY_LENS",
    "--status",
    "SUCCESS",
    "--output",
    `${p}/_SEMANTIC_LENSING.md`,
  ]);
  assertEquals(finish.code, 0, finish.stderr);
  assertIncludes(finish.stderr, `note: ${readAs("--output", "_SEMANTIC_LENSING.md")}`);
  assertEquals(finish.stderr.includes("PRIMARY_OUTPUTS"), false, finish.stderr);
  const lens = (await recordsOf(del)).at(-1)!;
  assertEquals(lens.InputFiles, ["_SEMANTIC.md"]);
  assertEquals(lens.OutputFiles, ["_SEMANTIC_LENSING.md"]);
  const clean = await fromRoot(["stale", p, "--agent", "CHIRALITY_LENS"]);
  assertEquals(clean.code, 0, clean.stdout + clean.stderr);
  await Deno.writeTextFile(join(del, "_SEMANTIC.md"), "# Semantic, changed\n");
  const dirty = await fromRoot(["stale", p, "--agent", "CHIRALITY_LENS"]);
  assertEquals(dirty.code, 1, dirty.stdout + dirty.stderr);
  assertMatch(dirty.stdout, /^DIRTY .*CHIRALITY_LENS/m);
  assertIncludes(dirty.stdout, "changed          _SEMANTIC.md");
  // Named from the deliverable folder, as the help says: no note.
  const right = await fromRoot(emitArgs(del, "--output", "Datasheet.md"));
  assertEquals(right.stderr.includes("recorded as"), false, right.stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("start, finish and emit from the execution root with paths from there to files outside <del-dir> (another deliverable's, the root's): each is recorded as that file from <del-dir> (../…), hashed, noted; stale is DIRTY naming it when it changes; a path that names a file from <del-dir> too keeps that meaning, noting the other file, not for . or a folder (trial-t F2, review-t F3, review-u F6)", async () => {
  const { root, del } = await makeProject();
  const p = "PKG-01_Pkg/1_Working";
  const other = join(root, p, "DEL-01-03_Other");
  await writeTree(other, { "Notes.md": "# Notes\n", "README.md": "# Other's readme\n" });
  await Deno.writeTextFile(join(root, "README.md"), "# Root readme\n");
  const fromRoot = (args: string[]) => runCliProcess(args, FULL_FLAGS, {}, root);
  const readAs = (option: string, given: string, meant: string) =>
    `note: ${option} ${given}: recorded as ${meant}, the file it names from the current folder`;
  const sibling = `${p}/DEL-01-02_Thing/Datasheet.md`;
  const start = await fromRoot(
    ["start", `${p}/DEL-01-03_Other`, "--agent", "X", "--input", sibling]
      .concat(["--input", "_Decomposition/D.md", "--input", "README.md"]),
  );
  assertEquals(start.code, 0, start.stderr);
  assertIncludes(start.stderr, readAs("--input", sibling, "../DEL-01-02_Thing/Datasheet.md"));
  assertIncludes(
    start.stderr,
    readAs("--input", "_Decomposition/D.md", "../../../_Decomposition/D.md"),
  );
  assertEquals(start.stderr.includes("not found"), false, start.stderr);
  // README.md names a file from <del-dir> too: that one, as the help says, and a note naming
  // the other file it names from the current folder (review-t F3).
  assertIncludes(
    start.stderr,
    "note: --input README.md: read as <del-dir>'s; from the current folder it names another " +
      "file, ../../../README.md, which this record does not name",
  );
  const finish = await fromRoot(
    [
      "finish",
      start.stdout.trim(),
      "--status",
      "SUCCESS",
      "--output",
      `${p}/DEL-01-02_Thing/Dependencies.csv`,
    ],
  );
  assertEquals(finish.code, 0, finish.stderr);
  assertIncludes(
    finish.stderr,
    readAs(
      "--output",
      `${p}/DEL-01-02_Thing/Dependencies.csv`,
      "../DEL-01-02_Thing/Dependencies.csv",
    ),
  );
  const [run] = await recordsOf(other);
  assertEquals(run.InputFiles, [
    "../DEL-01-02_Thing/Datasheet.md",
    "../../../_Decomposition/D.md",
    "README.md",
  ]);
  for (const path of run.InputFiles) assertMatch(run.InputHashes[path], SHA256_PATTERN);
  assertEquals(
    run.InputHashes["README.md"],
    sha256Hex(Deno.readFileSync(join(other, "README.md"))),
  );
  assertMatch(run.OutputHashes["../DEL-01-02_Thing/Dependencies.csv"], SHA256_PATTERN);
  const clean = await fromRoot(["stale", `${p}/DEL-01-03_Other`]);
  assertEquals(clean.code, 0, clean.stdout + clean.stderr);
  await Deno.writeTextFile(join(del, "Datasheet.md"), "Revised range: 0-200 m3/h\n", {
    append: true,
  });
  const dirty = await fromRoot(["stale", `${p}/DEL-01-03_Other`]);
  assertEquals(dirty.code, 1, dirty.stdout + dirty.stderr);
  assertMatch(dirty.stdout, /^DIRTY .*DEL-01-03 .*X /m);
  assertMatch(dirty.stdout, /changed +\.\.\/DEL-01-02_Thing\/Datasheet\.md/);
  // emit alike, for its inputs and outputs.
  const emit = await fromRoot(
    ["emit", `${p}/DEL-01-03_Other`, "--agent", "X", "--status", "SUCCESS", "--input", "INIT.md"]
      .concat(["--output", sibling]),
  );
  assertEquals(emit.code, 0, emit.stderr);
  assertIncludes(emit.stderr, readAs("--input", "INIT.md", "../../../INIT.md"));
  assertIncludes(emit.stderr, readAs("--output", sibling, "../DEL-01-02_Thing/Datasheet.md"));
  const emitted = (await recordsOf(other)).at(-1)!;
  assertEquals(emitted.InputFiles, ["../../../INIT.md"]);
  assertMatch(emitted.InputHashes["../../../INIT.md"], SHA256_PATTERN);
  assertMatch(emitted.OutputHashes["../DEL-01-02_Thing/Datasheet.md"], SHA256_PATTERN);
  // `.` and a folder name two things too, on purpose: no note (review-u F6).
  await Deno.mkdir(join(root, "_Decomposition", "docs"), { recursive: true });
  await Deno.mkdir(join(other, "docs"));
  const dot = await runCliProcess(
    ["emit", other, "--agent", "X", "--status", "SUCCESS", "--input", ".", "--input", "docs"],
    FULL_FLAGS,
    {},
    join(root, "_Decomposition"),
  );
  assertEquals(dot.code, 0, dot.stderr);
  assertEquals(dot.stderr.includes("read as <del-dir>'s"), false, dot.stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("an --input named from a current folder outside the project is not read unless --allow-outside: the warning says what it names there and that --allow-outside reads it; with it, it is recorded as that file, hashed (trial-t F2)", async () => {
  const { root, del } = await makeProject();
  const outside = await tempDir();
  await Deno.writeTextFile(join(outside, "x.md"), "# Outside\n");
  const fromOutside = (args: string[]) => runCliProcess(args, FULL_FLAGS, {}, outside);
  const kept = await fromOutside(["start", del, "--agent", "X", "--input", "x.md"]);
  assertEquals(kept.code, 0, kept.stderr);
  assertIncludes(
    kept.stderr,
    `warning: --input x.md: not found (from the current folder it names ${
      join(outside, "x.md")
    }, ` +
      "outside the execution root: --allow-outside reads it)",
  );
  const meant = relative(del, join(outside, "x.md"));
  const read = await fromOutside(
    ["emit", del, "--agent", "X", "--status", "SUCCESS", "--input", "x.md", "--allow-outside"],
  );
  assertEquals(read.code, 0, read.stderr);
  assertIncludes(read.stderr, `note: --input x.md: recorded as ${meant}, the file it names from`);
  const [record] = await recordsOf(del);
  assertEquals(record.InputFiles, [meant]);
  assertEquals(record.InputHashes[meant], sha256Hex(Deno.readFileSync(join(outside, "x.md"))));
  await Deno.remove(root, { recursive: true });
  await Deno.remove(outside, { recursive: true });
});

Deno.test("emit from the deliverable with an --input written from the project's top (as INIT.md names files): the warning names the path from <del-dir> (agent-trial F4)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  const emit = await runCliProcess(
    ["emit", ".", "--agent", "A", "--status", "SUCCESS", "--input", "_Decomposition/D.md"],
    undefined,
    {},
    del,
  );
  assertEquals(emit.code, 0, emit.stderr);
  assertIncludes(
    emit.stderr,
    "runrec: warning: --input _Decomposition/D.md: not found (paths are relative to <del-dir>: " +
      "from the git root it names ../../../_Decomposition/D.md: did you mean that?)",
  );
});

Deno.test("emit and start with an --input or --output that names nothing: a warning (not a note) with the path likely meant: a near name, one path per option; a file the run deleted (finish) is only noted", async () => {
  const { root, del } = await makeProject();
  await Deno.writeTextFile(join(del, "Specification.md"), "# Spec\n");
  // The PRIMARY_OUTPUTS warnings aside (4_DOCUMENTS writes neither misnamed output).
  const warnings = (stderr: string) =>
    stderr.split("\n").filter((l) =>
      l.startsWith("runrec: warning: ") && !l.includes("PRIMARY_OUTPUTS")
    );
  const emit = await runCliProcess(emitArgs(
    del,
    ...["--input", "Datashet.md", "--input", "Datasheet.md,Specification.md"],
    ...["--output", "Datasheet.md Specification.md", "--output", "Specificaton.md"],
  ));
  assertEquals(emit.code, 0, emit.stderr);
  assertEquals(warnings(emit.stderr), [
    "runrec: warning: --input Datashet.md: not found (did you mean Datasheet.md?)",
    "runrec: warning: --input Datasheet.md,Specification.md: not found (one path per --input: " +
    "--input Datasheet.md --input Specification.md)",
    "runrec: warning: output Datasheet.md Specification.md does not exist: recorded as DELETED " +
    "(one path per --output: --output Datasheet.md --output Specification.md)",
    "runrec: warning: output Specificaton.md does not exist: recorded as DELETED (did you mean " +
    "Specification.md?)",
    "runrec: warning: if a warning above means this record is not the run meant (a misspelt " +
    `agent or path), take it back: runrec annotate ${del} ${emit.stdout.trim()} --invalidates ` +
    '--note "recorded in error", then record the run as meant',
  ]);
  // Each said once: as a warning, not again as a note.
  assertEquals(emit.stderr.includes("note: --input Datashet.md"), false, emit.stderr);
  const start = await runCliProcess(["start", del, "--agent", "A", "--input", "Datashet.md"]);
  assertEquals(warnings(start.stderr), [
    "runrec: warning: --input Datashet.md: not found (did you mean Datasheet.md?)",
  ]);
  await Deno.remove(join(del, "Specification.md"));
  const finish = await runCliProcess(
    ["finish", start.stdout.trim(), "--status", "SUCCESS", "--output", "Specification.md"],
  );
  assertEquals(finish.code, 0, finish.stderr);
  assertIncludes(
    finish.stderr,
    "note: output Specification.md does not exist: recorded as DELETED",
  );
  assertEquals(warnings(finish.stderr), [], finish.stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit with an agent name no agent file nor built-in agent has: one warning naming the closest known agents (case, one or two edits), the run recorded as given, exit 0; a known name, or one close to none the project has, is not warned of", async () => {
  const { root, del } = await makeProject();
  await Deno.mkdir(join(root, "agents"));
  const table = "AGENT_TYPE: 2\n| **WRITE_SCOPE** | deliverable-local |\n";
  for (const name of ["CHIRALITY_LENS", "CHIRALITY_FRAMEWORK", "REVIEWER"]) {
    await Deno.writeTextFile(join(root, "agents", `AGENT_${name}.md`), table);
  }
  const warningsOf = async (agent: string) => {
    const emitted = await runCli(["emit", del, "--agent", agent, "--status", "SUCCESS"]);
    assertEquals(emitted.code, 0, emitted.stderr);
    return unknownAgentWarnings(emitted.stderr);
  };
  for (
    const [agent, meant] of [
      ["chirality_lens", "CHIRALITY_LENS"],
      ["CHIRALITY_LENZ", "CHIRALITY_LENS"],
      ["4_DOCUMENT", "4_DOCUMENTS"], // built in, no agent file
      ["REVEIWER", "REVIEWER"], // two letters swapped: one edit
    ]
  ) {
    const warned = await warningsOf(agent);
    assertEquals(warned.length, 1, warned.join("\n"));
    assertIncludes(warned[0], `agent ${agent} is not a known agent (no AGENT_${agent}.md in `);
    assertIncludes(warned[0], `did you mean ${meant}?`);
  }
  // Close to no name the project has: its own agent, with or without a file (review-g 12).
  assertEquals(await warningsOf("PUBLISHER"), []);
  for (const known of ["CHIRALITY_LENS", "REVIEWER", "4_DOCUMENTS"]) {
    assertEquals(await warningsOf(known), []);
  }
  assertEquals(
    (await recordsOf(del)).map((r) => r.AgentName),
    [
      "chirality_lens",
      "CHIRALITY_LENZ",
      "4_DOCUMENT",
      "REVEIWER",
      "PUBLISHER",
      "CHIRALITY_LENS",
      "REVIEWER",
      "4_DOCUMENTS",
    ],
  );
  // No agent files: only a name close to a built-in agent's is warned of.
  await Deno.remove(join(root, "agents"), { recursive: true });
  assertEquals(await warningsOf("PUBLISHER"), []);
  // CHIRALITY_LENZ is in this deliverable's records now: warned of once, at its first run.
  assertEquals(await warningsOf("CHIRALITY_LENZ"), []);
  const near = await warningsOf("CHIRALITY_LNES");
  assertEquals(near.length, 1);
  assertIncludes(near[0], "(no agent file, nor built in)");
  assertIncludes(near[0], "did you mean CHIRALITY_LENS?"); // a built-in name before a recorded one
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit: a project's own agent near a built-in name is warned of at its first run in a deliverable only; an agent file added for one leaves the others quiet; agents named alike do not warn of each other; a near miss of an agent file or a built-in's case is warned of every time (review-g 12, review-i 5, 6, trial-pipeline2 5, review-k 8)", async () => {
  const { root, del } = await makeProject();
  const warningsOf = async (agent: string) => {
    const emitted = await runCli(["emit", del, "--agent", agent, "--status", "SUCCESS"]);
    assertEquals(emitted.code, 0, emitted.stderr);
    return unknownAgentWarnings(emitted.stderr);
  };
  // No agent files: CHIRALITY_LENSES is two edits from CHIRALITY_LENS, once; then it is the
  // project's. 5_DOCUMENTS is of a series with 4_DOCUMENTS: no misspelling.
  const first = await warningsOf("CHIRALITY_LENSES");
  assertEquals(first.length, 1, first.join("\n"));
  assertIncludes(first[0], "did you mean CHIRALITY_LENS?");
  assertEquals(await warningsOf("CHIRALITY_LENSES"), []);
  assertEquals(await warningsOf("5_DOCUMENTS"), []);
  assertEquals(await warningsOf("QA_REVIEW"), []);
  // An agent file for one agent: the project's other agents stay quiet.
  await writeAgentFile(root, "5_DOCUMENTS");
  assertEquals(await warningsOf("QA_REVIEW"), []);
  assertEquals(await warningsOf("PUBLISHER"), []);
  // The project's agents named alike are no misspellings of each other, with an agent file for
  // one of them too (trial-pipeline2 5).
  for (const stage of ["STAGE_1", "STAGE_2", "STAGE_3"]) assertEquals(await warningsOf(stage), []);
  await writeAgentFile(root, "STAGE_1");
  for (const stage of ["STAGE_2", "STAGE_10"]) assertEquals(await warningsOf(stage), []);
  // A series by a short last part, an agent file for one of them: no misspelling, every run
  // (review-k 8).
  await writeAgentFile(root, "DRAFT_EN");
  for (const name of ["DRAFT_DE", "DRAFT_DE", "STAGE_1A"]) assertEquals(await warningsOf(name), []);
  // A misspelling of an agent file's name, or a built-in's in other case: every run, recorded or not.
  for (const typo of ["5_DOCUMENT", "5_DOCUMENT", "chirality_lens", "chirality_lens"]) {
    const warned = await warningsOf(typo);
    assertEquals(warned.length, 1, `${typo}: ${warned.join("\n")}`);
    const meant = typo === "5_DOCUMENT" ? "5_DOCUMENTS" : "CHIRALITY_LENS";
    assertIncludes(warned[0], `did you mean ${meant}? (an agent of the project's own: an AGENT_`);
  }
  assertEquals(
    (await recordsOf(del)).map((r) => r.AgentName).slice(0, 4),
    ["CHIRALITY_LENSES", "CHIRALITY_LENSES", "5_DOCUMENTS", "QA_REVIEW"],
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit repeated with the same --started, agent, status and outputs (a retry after a timeout): written again, with a warning naming the earlier record and how to withdraw this one; a run that differs is not warned of", async () => {
  const { root, del } = await makeProject();
  const emit = (status: string, ...extra: string[]) =>
    runCliProcess([
      ...["emit", del, "--agent", "4_DOCUMENTS", "--status", status],
      ...["--started", "2026-02-22T10:15:00Z", "--duration", "PT1M", ...extra],
    ]);
  const first = await emit("SUCCESS", "--output", "Datasheet.md");
  assertEquals(first.code, 0, first.stderr);
  assertEquals(first.stderr.includes("in the file already"), false, first.stderr);
  const again = await emit("SUCCESS", "--output", "Datasheet.md");
  assertEquals(again.code, 0, again.stderr);
  const [one, two] = (await recordsOf(del)).map((r) => r.RunID);
  assertEquals(again.stdout.trim(), two);
  assertIncludes(
    again.stderr,
    "warning: a record of 4_DOCUMENTS started at 2026-02-22T10:15:00.000Z with the same status, " +
      `inputs and outputs is in the file already: ${one}; if this one records that run again`,
  );
  assertIncludes(again.stderr, `runrec annotate ${del} ${two} --invalidates`);
  // Another output, another status: another run.
  const other = await emit("SUCCESS", "--output", "Dependencies.csv");
  const failed = await emit("FAILED", "--output", "Datasheet.md");
  for (const result of [other, failed]) {
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stderr.includes("in the file already"), false, result.stderr);
  }
  assertEquals((await recordsOf(del)).length, 4);
  await Deno.remove(root, { recursive: true });
});
