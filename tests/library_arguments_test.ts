/**
 * Bad arguments to the library's entry points, as a plain JavaScript caller
 * (or an `any`) passes them: each is an InputError naming the file or the
 * option, thrown before anything is written or spooled.
 */
import { join, relative as relativePath } from "node:path";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { runCliProcess } from "./cli.ts";
import { filesOf, hostFiles, pendingFiles, recordsOf } from "./support/runs.ts";
import {
  annotationsFor,
  annotationsIn,
  appendAnnotation,
  checkRecordFile,
  checkStaleness,
  collectRuns,
  describeLineProblem,
  emitRecord,
  finishPendingRun,
  finishRun,
  firstCopies,
  formatDuration,
  governedInputs,
  hashFile,
  hashFiles,
  inputContextSha,
  InputError,
  isAnnotation,
  manifestText,
  openLineageEvents,
  parseDuration,
  provDocument,
  readRecords,
  reapRuns,
  recordRun,
  replayLostRecords,
  replaySpool,
  resolveTargets,
  type RunReport,
  runUuid,
  sortedJson,
  sortedJsonPretty,
  type StartedRun,
  startRun,
  validateRecord,
  verifyHistories,
  verifyHistory,
  verifyRecordFile,
  withRun,
} from "../mod.ts";
// The lower-level write path, exported from its module (not from mod.ts).
import { captureStart, completeDraft, writeRun } from "../src/hook.ts";

// deno-lint-ignore no-explicit-any
const any = (value: unknown): any => value;

Deno.test("library arguments: a mistyped folder is InputError no such folder in captureStart and governedInputs, so writeRun never spools it", async () => {
  const { root } = await makeProject();
  const typo = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thnig");
  const before = await filesOf(root);
  await assertRejects(() => captureStart(typo), InputError, `${typo}: no such folder`);
  await assertRejects(() => governedInputs(typo, []), InputError, `${typo}: no such folder`);
  await assertRejects(
    async () => {
      const start = await captureStart(typo);
      const built = await completeDraft(typo, start, { agent: "T", status: "SUCCESS" });
      await writeRun(typo, built);
    },
    InputError,
    "no such folder",
  );
  assertEquals(await filesOf(root), before);
});

Deno.test("library arguments: startRun with mayCreate still starts a run whose folder does not exist yet", async () => {
  const { root } = await makeProject();
  const made = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_New");
  const started = await startRun(made, { agent: "PREPARATION", mayCreate: true });
  assertEquals(started.creates, true);
  await Deno.mkdir(made);
  const outcome = await finishRun(started, { status: "SUCCESS" });
  assertEquals(typeof outcome.written?.record.RunID, "string");
});

Deno.test("library arguments: wrong JavaScript types are InputErrors naming the option, and nothing is written", async () => {
  const { root, del } = await makeProject();
  const before = await filesOf(root);
  const report = (extra: Record<string, unknown>): RunReport =>
    any({ agent: "A", status: "SUCCESS", ...extra });
  const cases: [string, () => Promise<unknown>, string][] = [
    ["inputs a string", () => recordRun(del, report({ inputs: "Datasheet.md" })), "report.inputs"],
    ["inputs [42]", () => recordRun(del, report({ inputs: [42] })), "a list holding number 42"],
    ["outputs {}", () => emitRecord(del, report({ outputs: {} })), "report.outputs"],
    ["a null report", () => recordRun(del, any(null)), "report: must be an object"],
    ["no agent", () => recordRun(del, any({ status: "SUCCESS" })), "report.agent"],
    ["agent 42", () => recordRun(del, report({ agent: 42 })), "report.agent"],
    ["durationMs '5'", () => recordRun(del, report({ durationMs: "5" })), "report.durationMs"],
    ["a folder of 42", () => recordRun(any(42), report({})), "delDir: must be a path"],
    ["an empty folder", () => recordRun("", report({})), "delDir: must be a path"],
    ["startRun inputs", () => startRun(del, any({ agent: "A", inputs: "x" })), "options.inputs"],
    ["startRun pass 7", () => startRun(del, any({ agent: "A", pass: 7 })), "options.pass"],
    ["finishRun({})", () => finishRun(any({}), { status: "SUCCESS" }), "started: must be the run"],
    ["finishRun(null)", () => finishRun(any(null), { status: "SUCCESS" }), "started: must be"],
    ["captureStart inputs", () => captureStart(del, any({ inputs: "x" })), "options.inputs"],
    ["completeDraft {}", () => completeDraft(del, any({}), report({})), "start.started"],
    [
      "completeDraft startedUptimeMs 1.5 (review F5)",
      async () =>
        completeDraft(del, { ...await captureStart(del), startedUptimeMs: 1.5 }, report({})),
      "start.startedUptimeMs: must be a whole number of ms",
    ],
    ["writeRun null", () => writeRun(del, any(null)), "built: must be an object"],
    ["checkStaleness a string", () => checkStaleness(any("nope")), "targets: must be a list"],
  ];
  for (const [label, call, message] of cases) {
    await assertRejects(call, InputError, message).catch((e) => {
      throw new Error(`${label}: ${(e as Error).message}`);
    });
  }
  assertEquals(await filesOf(root), before);
});

Deno.test("library arguments: a misspelt option is an InputError naming it, never ignored; checkStaleness's options are checked too", async () => {
  const { root, del } = await makeProject();
  const started = await startRun(del, { agent: "A" });
  const before = await filesOf(root);
  const cases: [string, () => Promise<unknown>, string][] = [
    // Ignored, these would record a run without its inputs or outputs.
    [
      "recordRun input",
      () => recordRun(del, any({ agent: "A", status: "SUCCESS", input: ["Datasheet.md"] })),
      "report.input: not an option (the options are agent, status, inputs,",
    ],
    [
      "emitRecord output",
      () => emitRecord(del, any({ agent: "A", status: "SUCCESS", output: ["Datasheet.md"] })),
      "report.output: not an option",
    ],
    [
      "recordRun options fsnyc",
      () => recordRun(del, { agent: "A", status: "SUCCESS" }, any({ fsnyc: false })),
      "options.fsnyc: not an option",
    ],
    ["startRun input", () => startRun(del, any({ agent: "A", input: ["x"] })), "options.input"],
    [
      "finishRun output",
      () => finishRun(started, any({ status: "SUCCESS", output: ["Datasheet.md"] })),
      "report.output: not an option",
    ],
    [
      "finishRun options spooll",
      () => finishRun(started, { status: "SUCCESS" }, any({ spooll: false })),
      "options.spooll: not an option",
    ],
    [
      "withRun input",
      () => withRun(del, any({ agent: "A", input: ["x"] }), () => 1),
      "options.input: not an option",
    ],
    [
      "finishPendingRun outputz",
      () => finishPendingRun(started.token!, undefined, any({ status: "SUCCESS", outputz: [] })),
      "report.outputz: not an option",
    ],
    [
      "finishPendingRun options fsnyc",
      () => finishPendingRun(started.token!, undefined, { status: "SUCCESS" }, any({ fsnyc: 0 })),
      "options.fsnyc: not an option",
    ],
    [
      "emitRecord options spool (it never spools)",
      () => emitRecord(del, { agent: "A", status: "SUCCESS" }, any({ spool: false })),
      "options.spool: not an option",
    ],
    ["reapRuns a string", () => reapRuns(any(del)), "targets: must be a list of paths"],
    [
      "reapRuns olderThan",
      () => reapRuns([del], any({ olderThan: 0 })),
      "reapRuns: options.olderThan: not an option",
    ],
    [
      "reapRuns olderThanMs '0'",
      () => reapRuns([del], any({ olderThanMs: "0" })),
      "options.olderThanMs: must be a number",
    ],
    ["replaySpool 42", () => replaySpool(any(42)), "delDirs: must be a list of paths"],
    [
      "replaySpool onReplayed 42",
      () => replaySpool([del], {}, any(42)),
      "onReplayed: must be a function, got number 42",
    ],
    [
      "replaySpool fsnyc",
      () => replaySpool([del], any({ fsnyc: false })),
      "replaySpool: options.fsnyc: not an option",
    ],
    ["replayLostRecords nothing", () => replayLostRecords(any(undefined)), "file: must be a path"],
    // A string where a list belongs would have checked agents "4", "_", "D", ...
    [
      "checkStaleness agents a string",
      () => checkStaleness([del], any({ agents: "4_DOCUMENTS" })),
      "checkStaleness: options.agents: must be a list of names",
    ],
    [
      "checkStaleness agent",
      () => checkStaleness([del], any({ agent: ["4_DOCUMENTS"] })),
      "checkStaleness: options.agent: not an option (the options are agents,",
    ],
    [
      "checkStaleness propagate 'yes'",
      () => checkStaleness([del], any({ propagate: "yes" })),
      "options.propagate: must be true or false",
    ],
    [
      "checkStaleness onProgress 1",
      () => checkStaleness([del], any({ onProgress: 1 })),
      "options.onProgress: must be a function",
    ],
    // A glob that matched nothing checks nothing: refused, never an empty, passing report (trial-w F6).
    [
      "checkStaleness no targets",
      () => checkStaleness([]),
      "checkStaleness(): targets: no folder given (nothing would be checked)",
    ],
  ];
  for (const [label, call, message] of cases) {
    await assertRejects(call, InputError, message).catch((e) => {
      throw new Error(`${label}: ${(e as Error).message}`);
    });
  }
  // Nothing written, and the started run still pending: its finish can still record it.
  assertEquals(await filesOf(root), before);
  assertEquals(pendingFiles(del).length, 1);
  assertEquals((await finishRun(started, { status: "SUCCESS" })).written?.record.AgentName, "A");
  await Deno.remove(root, { recursive: true });
});

Deno.test("library arguments: finishRun with a bad report (outputs, agent, another run's agent) leaves the run pending", async () => {
  const { del } = await makeProject();
  const started: StartedRun = await startRun(del, { agent: "A" });
  await assertRejects(
    () => finishRun(started, any({ status: "SUCCESS", outputs: "Datasheet.md" })),
    InputError,
    "report.outputs",
  );
  await assertRejects(
    () => finishRun(started, any({ status: "SUCCESS", agent: 42 })),
    InputError,
    "report.agent: must be a string, got number 42",
  );
  await assertRejects(
    () => finishRun(started, { status: "SUCCESS", agent: "B" }),
    InputError,
    "agent B: run ",
  );
  assertEquals(pendingFiles(del).length, 1);
  assertEquals(await recordsOf(del), []);
});

Deno.test("library arguments: withRun with a work that is not a function writes nothing", async () => {
  const { del } = await makeProject();
  const host = hostFiles(del);
  await assertRejects(
    () => withRun(del, { agent: "A" }, any(null)),
    InputError,
    "work: must be a function, got null",
  );
  assertEquals(await recordsOf(del), []);
  assertEquals(pendingFiles(del), []);
  assertEquals(hostFiles(del), host);
});

Deno.test("library arguments: readRecords, checkRecordFile and hashFile name the file they cannot read", async () => {
  const { del } = await makeProject();
  const missing = join(await tempDir(), "nope.csv");
  const read = async (events: AsyncIterable<unknown>) => {
    for await (const _ of events) { /* read it all */ }
  };
  await assertRejects(
    () => read(readRecords(missing)),
    InputError,
    `${missing}: cannot read: not found`,
  );
  await assertRejects(() => read(readRecords(del)), InputError, `${del}: cannot read: is a folder`);
  await assertRejects(
    () => read(checkRecordFile(missing)),
    InputError,
    `${missing}: cannot read: not found`,
  );
  await assertRejects(
    () => read(checkRecordFile(del)),
    InputError,
    `${del}: cannot read: is a folder`,
  );
  await assertRejects(() => hashFile(missing), InputError, `${missing}: cannot hash: not found`);
  await assertRejects(() => hashFile(del), InputError, `${del}: cannot hash: is a folder`);
});

Deno.test("library arguments: a bad value names the option as the library knows it (status, durationMs, pid, pass), not the CLI's flag", async () => {
  const { root, del } = await makeProject();
  const before = await filesOf(root);
  const report = (extra: Partial<RunReport>): RunReport => ({
    agent: "A",
    status: "SUCCESS",
    ...extra,
  });
  const cases: [string, () => Promise<unknown>, string][] = [
    ["status DONE", () => recordRun(del, report({ status: any("DONE") })), "status must be one of"],
    ["durationMs 1.5", () => recordRun(del, report({ durationMs: 1.5 })), "durationMs: must be"],
    [
      "both durations",
      () => emitRecord(del, report({ duration: "PT1S", durationMs: 1000 })),
      "give duration or durationMs, not both",
    ],
    ["started yesterday", () => recordRun(del, report({ started: "yesterday" })), "started: not"],
    ["pid 0", () => startRun(del, { agent: "A", pid: 0 }), "pid: must be a process id"],
    ["pass placeholder", () => startRun(del, { agent: "A", pass: "{RUN_PASSES}" }), 'pass "{RUN'],
  ];
  for (const [label, call, start] of cases) {
    let message = "";
    try {
      await call();
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      message = e.message;
    }
    assertEquals(message.slice(0, start.length), start, `${label}: ${message}`);
  }
  assertEquals(await filesOf(root), before);
});

Deno.test("library arguments: verifyHistory's since that names no commit is named since, as the script knows it, and --since on the command line (newuser-42 F6)", async () => {
  const { root, del } = await makeProject();
  await recordRun(del, { agent: "A", status: "SUCCESS" });
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "a run");
  const file = join(del, "RunRecords.csv");
  for (
    const call of [
      () => verifyHistory(file, "no-such-rev"),
      () => verifyHistories([del], [file], "no-such-rev"),
    ]
  ) {
    const error = await call().then(() => undefined, (e) => e);
    assertEquals(error instanceof InputError, true, String(error));
    // Its start: "--since: …" holds "since: …" too.
    const start = `since: unknown revision "no-such-rev" in `;
    assertEquals(error.message.startsWith(start), true, error.message);
  }
  const cli = await runCliProcess(["verify", file, "--since", "no-such-rev"]);
  assertEquals(cli.code, 2, cli.stderr);
  assertEquals(
    cli.stderr.startsWith(`runrec verify: --since: unknown revision "no-such-rev" in `),
    true,
    cli.stderr,
  );
});

Deno.test("library arguments: verifyHistory and verifyHistories of a missing file throw an InputError naming it, not Deno's NotFound", async () => {
  const missing = join(await tempDir(), "nope", "RunRecords.csv");
  await assertRejects(
    () => verifyHistory(missing, "HEAD"),
    InputError,
    `${missing}: cannot read: not found`,
  );
  await assertRejects(
    () => verifyHistories([missing], [missing], "HEAD"),
    InputError,
    `${missing}: cannot read: not found`,
  );
});

Deno.test("library arguments: appendAnnotation refuses both effects, a runId or supersedes that is not a RunID, an empty note, and a record pick that is no checksum's start or matches no record; nothing is written", async () => {
  const { root, del } = await makeProject();
  const a = (await recordRun(del, { agent: "A", status: "SUCCESS" })).written!.record.RunID;
  const b = (await recordRun(del, { agent: "A", status: "SUCCESS" })).written!.record.RunID;
  const before = await filesOf(root);
  const cases: [string, () => Promise<unknown>, string][] = [
    [
      "both effects",
      () => appendAnnotation(del, b, { invalidates: true, supersedes: a }, "b replaces a"),
      "effect: invalidates and supersedes contradict each other",
    ],
    [
      "a lowercase runId",
      () => appendAnnotation(del, ` ${a.toLowerCase()}`, { invalidates: true }, "typo"),
      'runId: " run-del-',
    ],
    [
      "supersedes not a RunID",
      () => appendAnnotation(del, b, { supersedes: "A" }, "b replaces a"),
      'effect.supersedes: "A" is not a RunID',
    ],
    ["supersedes itself", () => appendAnnotation(del, b, { supersedes: b }, "x"), "itself"],
    ["an empty note", () => appendAnnotation(del, b, {}, " "), "note: a reason is required"],
    [
      "invalidates 'yes'",
      () => appendAnnotation(del, b, any({ invalidates: "yes" }), "x"),
      "effect.invalidates",
    ],
    ["a folder of 42", () => appendAnnotation(any(42), b, {}, "x"), "delDir: must be a path"],
    [
      "a record that is no checksum's start",
      () => appendAnnotation(del, b, { record: "abc" }, "x"),
      'effect.record: "abc" is not the start of a RecordChecksum (16 to 64 lowercase hex digits)',
    ],
    [
      "supersedesRecord without supersedes",
      () => appendAnnotation(del, b, { supersedesRecord: "0".repeat(16) }, "x"),
      "effect.supersedesRecord: given without effect.supersedes",
    ],
    [
      "a record of no record of the RunID",
      () => appendAnnotation(del, b, { record: "0".repeat(16) }, "x"),
      `effect.record: no record of ${b} has a RecordChecksum starting 0000000000000000`,
    ],
  ];
  for (const [label, call, message] of cases) {
    await assertRejects(call, InputError, message).catch((e) => {
      throw new Error(`${label}: ${(e as Error).message}`);
    });
  }
  assertEquals(await filesOf(root), before);
  assertEquals((await recordsOf(del)).length, 2);
});

Deno.test("library arguments: leaseSeconds, lockWaitMs, fsync, spool and workers out of range are InputErrors naming the option; nothing is written, spooled or started", async () => {
  const { root, del } = await makeProject();
  await recordRun(del, { agent: "A", status: "SUCCESS" }); // a record file for checkRecordFile
  const before = await filesOf(root);
  const report: RunReport = { agent: "A", status: "SUCCESS" };
  let ran = false;
  const cases: [string, () => Promise<unknown>, string][] = [
    ["emitRecord lease 0", () => emitRecord(del, report, { leaseSeconds: 0 }), "leaseSeconds: "],
    ["recordRun lease NaN", () => recordRun(del, report, { leaseSeconds: NaN }), "leaseSeconds: "],
    ["recordRun lease 301", () => recordRun(del, report, { leaseSeconds: 301 }), "leaseSeconds: "],
    ["recordRun wait -1", () => recordRun(del, report, { lockWaitMs: -1 }), "lockWaitMs: "],
    ["recordRun wait NaN", () => recordRun(del, report, { lockWaitMs: NaN }), "lockWaitMs: "],
    ["emitRecord wait ∞", () => emitRecord(del, report, { lockWaitMs: Infinity }), "lockWaitMs: "],
    ["recordRun fsync 'no'", () => recordRun(del, report, any({ fsync: "no" })), "fsync: "],
    ["recordRun spool 'no'", () => recordRun(del, report, any({ spool: "no" })), "spool: "],
    [
      "withRun lease 0",
      () => withRun(del, { agent: "A", leaseSeconds: 0 }, () => void (ran = true)),
      "leaseSeconds: ",
    ],
    [
      "appendAnnotation wait -1",
      () => appendAnnotation(del, "RUN-DEL-01-02-20260101-0000-001", {}, "x", { lockWaitMs: -1 }),
      "lockWaitMs: ",
    ],
    [
      "checkRecordFile workers -1",
      () => Array.fromAsync(checkRecordFile(join(del, "RunRecords.csv"), { workers: -1 })),
      "workers: ",
    ],
    [
      "checkRecordFile workers 1.5",
      () => Array.fromAsync(checkRecordFile(join(del, "RunRecords.csv"), { workers: 1.5 })),
      "workers: ",
    ],
  ];
  for (const [label, call, start] of cases) {
    let message = "";
    try {
      await call();
    } catch (e) {
      if (!(e instanceof InputError)) {
        throw new Error(`${label}: ${(e as Error).name}: ${(e as Error).message}`);
      }
      message = e.message;
    }
    assertEquals(message.slice(0, start.length), start, `${label}: ${message}`);
  }
  assertEquals(ran, false);
  assertEquals(await filesOf(root), before);
  // A finishRun with a bad option leaves its run pending, to finish again.
  const started = await startRun(del, { agent: "A" });
  await assertRejects(
    () => finishRun(started, { status: "SUCCESS" }, { leaseSeconds: 0 }),
    InputError,
    "leaseSeconds: ",
  );
  assertEquals(pendingFiles(del).length, 1);
  assertEquals((await recordsOf(del)).length, 1);
});

Deno.test("library arguments: collectRuns of a string (one target per character), a namespace that is no string, blank or holds a control character, openLineageEvents or provDocument of no runs, isAnnotation or annotationsFor of no record and annotationsIn of no list are InputErrors naming the argument", async () => {
  const warn = () => {};
  await assertRejects(
    () => collectRuns(any("examples"), { warn }),
    InputError,
    'targets: must be a list of paths (strings), got the string "examples"',
  );
  await assertRejects(
    () => collectRuns(["examples"], any({ warn, namespace: 5 })),
    InputError,
    "collectRuns: options.namespace: must be a string, got number 5",
  );
  await assertRejects(
    () => collectRuns(["examples"], any({ warn, namspace: "x" })),
    InputError,
    "collectRuns: options.namspace: not an option",
  );
  await assertRejects(
    () => collectRuns(["examples"], any({})),
    InputError,
    "collectRuns: options.warn: must be a function, got nothing",
  );
  for (const namespace of [" ", "a\nb"]) {
    await assertRejects(
      () => collectRuns(["examples"], { warn, namespace }),
      InputError,
      "collectRuns: options.namespace ",
    );
  }
  for (
    const [call, message] of [[
      () => isAnnotation(any(undefined)),
      "record: must be a record (an object), got nothing",
    ], [
      () => annotationsFor(new Map(), any("RUN-X")),
      "record: must be a record (an object), got ",
    ], [
      () => annotationsIn(any(undefined)),
      "records: must be a list of records, got nothing",
    ], [
      () => annotationsIn(any([undefined])),
      "records: must be a record (an object), got nothing",
    ]] as const
  ) {
    assertInputErrorStarting(call, message);
  }
  assertInputErrorStarting(() => openLineageEvents(any(undefined)), "runs: must be a list of runs");
  assertInputErrorStarting(
    () => provDocument(any([1])),
    "runs[0]: must be an object, got number 1",
  );
});

/** Fails unless `call` throws an {@linkcode InputError} whose message starts with `message`. */
function assertInputErrorStarting(call: () => unknown, message: string): void {
  let thrown: unknown;
  try {
    call();
  } catch (e) {
    thrown = e;
  }
  assertEquals(thrown instanceof InputError, true, String(thrown));
  assertEquals((thrown as Error).message.startsWith(message), true, String(thrown));
}

Deno.test("library arguments: read-only arrays (an `as const` configuration, frozen lists) are taken wherever paths are, and left as they were (trial-lib F6)", async () => {
  const { root, del } = await makeProject();
  const config = Object.freeze(
    {
      inputs: Object.freeze(["Datasheet.md"]),
      outputs: Object.freeze(["Datasheet.md"]),
    } as const,
  );
  await recordRun(del, { agent: "A", status: "SUCCESS", ...config });
  const started = await startRun(del, { agent: "B", inputs: config.inputs });
  await finishRun(started, { status: "success", outputs: config.outputs });
  await withRun(del, { agent: "C", inputs: config.inputs, onOutcome: () => {} }, () => {});
  const hashes = await hashFiles(config.inputs.map((p) => join(del, p)));
  assertEquals(hashes.size, 1);
  const files = Object.freeze([join(del, "RunRecords.csv")] as const);
  const verified = await verifyHistories(files, files, "HEAD").then(() => "ran", (e) => e.name);
  assertEquals(verified, "InputError"); // not a git repository: said, not a type error
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.AgentName, r.RunStatus, r.InputFiles]), [
    ["A", "SUCCESS", ["Datasheet.md"]],
    ["B", "SUCCESS", ["Datasheet.md"]],
    ["C", "SUCCESS", ["Datasheet.md"]],
  ]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("library arguments: the read and check functions refuse a wrong type naming the argument; a string is no list; a list with holes is refused (library-sweep F3-F5)", async () => {
  const { del } = await makeProject();
  const cases: [() => Promise<unknown>, string][] = [
    [async () => {
      for await (const _ of readRecords(any(42))) break;
    }, "path: must be"],
    [() => hashFile(any(undefined)), "path: must be"],
    [() => hashFiles(any("Datasheet.md")), "paths: must be"],
    [() => governedInputs(del, any("_CONTEXT.md")), "inputs: must be"],
    [() => governedInputs(del, any([, "_CONTEXT.md"])), "inputs: must be"],
    [() => verifyHistory(any(7), "HEAD"), "path: must be"],
    [() => verifyHistories(any("/abs/root"), [], "HEAD"), "targets: must be"],
    [() => verifyHistories([del], [], any(42)), "since: must be a git revision"],
    [() => checkStaleness(any([, del])), "targets"],
  ];
  for (const [call, said] of cases) await assertRejects(call, InputError, said);
});

Deno.test("library arguments: a report or options object whose fields are inherited (a prototype, a class's getters) or not enumerable is refused naming the field, never read here and spread away there; nothing is written (library-sweep F6)", async () => {
  const { root, del } = await makeProject();
  const started = await startRun(del, { agent: "A" });
  const before = await filesOf(root);
  const inherited = (fields: object) => any(Object.create(fields));
  class Report {
    get agent() {
      return "A";
    }
    get status() {
      return "SUCCESS";
    }
  }
  const hidden = Object.defineProperty({ status: "SUCCESS" }, "agent", { value: "A" });
  const withInheritedInputs = Object.assign(inherited({ inputs: ["_CONTEXT.md"] }), {
    agent: "A",
    status: "SUCCESS",
  });
  const cases: [string, () => Promise<unknown>, string][] = [
    [
      "recordRun inherited agent",
      () => recordRun(del, inherited({ agent: "A", status: "SUCCESS" })),
      `${del}: report.agent: inherited, not its own field (runrec reads only an object's own ` +
      "fields, as JSON.stringify does: give a plain object)",
    ],
    ["emitRecord a class's getters", () => emitRecord(del, any(new Report())), "report.agent: inh"],
    ["recordRun inherited inputs", () => recordRun(del, withInheritedInputs), "report.inputs: inh"],
    ["emitRecord agent not enumerable", () => emitRecord(del, any(hidden)), "report.agent: not en"],
    [
      "startRun inherited agent",
      () => startRun(del, inherited({ agent: "A" })),
      "options.agent: i",
    ],
    [
      "withRun inherited agent",
      () => withRun(del, inherited({ agent: "A" }), () => {}),
      "agent: i",
    ],
    [
      "finishRun inherited status",
      () => finishRun(started, inherited({ status: "SUCCESS" })),
      "report.status: inherited",
    ],
    [
      "finishPendingRun inherited status",
      () => finishPendingRun(started.token!, undefined, inherited({ status: "SUCCESS" })),
      "report.status: inherited",
    ],
    [
      "recordRun inherited fsync",
      () => recordRun(del, { agent: "A", status: "SUCCESS" }, inherited({ fsync: false })),
      "options.fsync: inherited",
    ],
    [
      "finishRun inherited spool",
      () => finishRun(started, { status: "SUCCESS" }, inherited({ spool: false })),
      "options.spool: inherited",
    ],
    [
      "appendAnnotation inherited invalidates",
      () =>
        appendAnnotation(
          del,
          "RUN-DEL-01-02-20260101-0000-001",
          inherited({ invalidates: true }),
          "x",
        ),
      "effect.invalidates: inherited",
    ],
    [
      "checkStaleness inherited agents",
      () => checkStaleness([del], inherited({ agents: ["A"] })),
      "checkStaleness: options.agents: inherited",
    ],
    [
      "collectRuns inherited warn",
      () => collectRuns([del], inherited({ warn: () => {} })),
      "collectRuns: options.warn: inherited",
    ],
    [
      "governedInputs inherited allowOutside",
      () => governedInputs(del, [], inherited({ allowOutside: true })),
      "governedInputs: options.allowOutside: inherited",
    ],
  ];
  for (const [label, call, message] of cases) {
    await assertRejects(call, InputError, message).catch((e) => {
      throw new Error(`${label}: ${(e as Error).message}`);
    });
  }
  assertEquals(await filesOf(root), before);
  assertEquals(pendingFiles(del).length, 1);
  // The same fields as a plain object's own are recorded.
  const plain = await recordRun(del, { ...{ agent: "A", status: "SUCCESS" } });
  assertEquals(plain.written?.record.AgentName, "A");
  await Deno.remove(root, { recursive: true });
});

Deno.test("library arguments: a misspelt option of a read function (governedInputs, checkRecordFile, verifyRecordFile, resolveTargets, verifyHistories) or of appendAnnotation is refused naming it, as the write functions' are, and so is an option of the wrong shape (governedInputs' hash, verifyRecordFile's collidedBefore); options that are no object are refused everywhere (library-sweep F7)", async () => {
  const { root, del } = await makeProject();
  const file = join(del, "RunRecords.csv");
  await recordRun(del, { agent: "A", status: "SUCCESS" });
  const before = await filesOf(root);
  const runId = (await recordsOf(del))[0].RunID;
  const report: RunReport = { agent: "A", status: "SUCCESS" };
  const cases: [string, () => Promise<unknown>, string][] = [
    [
      "governedInputs allowOutsid",
      () => governedInputs(del, [], any({ allowOutsid: true })),
      "governedInputs: options.allowOutsid: not an option (the options are hash, gitRoot, " +
      "executionRoot, allowOutside, mayCreate)",
    ],
    [
      "governedInputs internal lookups",
      () => governedInputs(del, [], any({ lookups: {} })),
      "governedInputs: options.lookups: not an option",
    ],
    ["governedInputs hash 5", () => governedInputs(del, [], any({ hash: 5 })), "options.hash: m"],
    [
      "governedInputs allowOutside 'yes'",
      () => governedInputs(del, [], any({ allowOutside: "yes" })),
      "governedInputs: options.allowOutside: must be true or false",
    ],
    ["governedInputs null", () => governedInputs(del, [], any(null)), "governedInputs: options: "],
    // A hash that answers otherwise was a TypeError from inside (results.get is not a function).
    [
      "governedInputs hash answering 5",
      () => governedInputs(del, ["_CONTEXT.md"], { hash: any(() => Promise.resolve(5)) }),
      "governedInputs: options.hash: must return a Map giving each path a hash (a string) or an " +
      "Error, got number 5",
    ],
    [
      "governedInputs hash answering no path",
      () => governedInputs(del, ["_CONTEXT.md"], { hash: () => Promise.resolve(new Map()) }),
      "governedInputs: options.hash: must return a Map giving each path a hash (a string) or an " +
      "Error, got nothing for ",
    ],
    [
      "checkRecordFile workrs",
      () => Array.fromAsync(checkRecordFile(file, any({ workrs: 0 }))),
      "checkRecordFile: options.workrs: not an option (the options are workers)",
    ],
    [
      "checkRecordFile null",
      () => Array.fromAsync(checkRecordFile(file, any(null))),
      "checkRecordFile: options: must be an object, got null",
    ],
    [
      "verifyRecordFile deliverableID",
      () => verifyRecordFile(file, () => {}, any({ deliverableID: "DEL-01-02" })),
      "verifyRecordFile: options.deliverableID: not an option",
    ],
    [
      "verifyRecordFile collidedBefore {}",
      () => verifyRecordFile(file, () => {}, any({ collidedBefore: {} })),
      "verifyRecordFile: options.collidedBefore.ids: must be a function, got nothing",
    ],
    [
      "verifyRecordFile null",
      () => verifyRecordFile(file, () => {}, any(null)),
      "verifyRecordFile: options: must be an object",
    ],
    [
      "resolveTargets keepUnreadble",
      () => resolveTargets([del], any({ keepUnreadble: true })),
      "resolveTargets: options.keepUnreadble: not an option",
    ],
    [
      "resolveTargets null",
      () => resolveTargets([del], any(null)),
      "resolveTargets: options: must be an object",
    ],
    [
      "verifyHistories unlistd",
      () => verifyHistories([del], [file], "HEAD", any({ unlistd: [] })),
      "verifyHistories: options.unlistd: not an option (the options are unlisted)",
    ],
    [
      "verifyHistories null",
      () => verifyHistories([del], [file], "HEAD", any(null)),
      "verifyHistories: options: must be an object",
    ],
    // Ignored, these would write a plain note for good where an invalidation was meant.
    [
      "appendAnnotation invalidate",
      () => appendAnnotation(del, runId, any({ invalidate: true }), "wrong input"),
      "effect.invalidate: not an option (the options are invalidates, supersedes,",
    ],
    [
      "appendAnnotation options fsnyc",
      () => appendAnnotation(del, runId, { invalidates: true }, "x", any({ fsnyc: false })),
      "options.fsnyc: not an option",
    ],
    [
      "appendAnnotation options null",
      () => appendAnnotation(del, runId, { invalidates: true }, "x", any(null)),
      "options: must be an object, got null",
    ],
    [
      "recordRun options null",
      () => recordRun(del, report, any(null)),
      `${del}: options: must be an object, got null`,
    ],
    ["recordRun options 5", () => recordRun(del, report, any(5)), "options: must be an object"],
    ["emitRecord options null", () => emitRecord(del, report, any(null)), "options: must be an"],
  ];
  for (const [label, call, message] of cases) {
    await assertRejects(call, InputError, message).catch((e) => {
      throw new Error(`${label}: ${(e as Error).message}`);
    });
  }
  assertEquals(await filesOf(root), before);
  await Deno.remove(root, { recursive: true });
});

Deno.test("library arguments: the exported helpers (firstCopies, describeLineProblem, annotationsFor, runUuid, sortedJson, inputContextSha, manifestText, validateRecord, formatDuration, parseDuration) refuse a wrong argument with an InputError naming it, never a TypeError from inside or a value made of garbage (library-sweep F8)", () => {
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  const hashes = new Map([["a.md", "0".repeat(64)]]); // hashFiles' shape, not an object's
  const cases: [string, () => unknown, string][] = [
    ["firstCopies()(null)", () => firstCopies()(any(null)), "record: must be a record (an object)"],
    ["describeLineProblem(null)", () => describeLineProblem(any(null)), "describeLineProblem: pr"],
    [
      "describeLineProblem({})",
      () => describeLineProblem(any({})),
      "describeLineProblem: problem.co",
    ],
    ["annotationsFor({})", () => annotationsFor(any({}), any({})), "annotations: must be a Map"],
    ["runUuid(5, …)", () => runUuid(any(5), "RUN-X"), "namespace: must be a string, got number 5"],
    ["runUuid(…, '')", () => runUuid("ns", ""), "runId: must be a string that is not empty"],
    ["sortedJson a cycle", () => sortedJson(any(cycle)), "value.self: an object that holds itself"],
    [
      "sortedJson a Date",
      () => sortedJson(any({ at: new Date(0) })),
      "value.at: a Date is no JSON",
    ],
    ["sortedJson NaN", () => sortedJsonPretty(any([1, NaN])), "value[1]: number NaN is no JSON"],
    ["sortedJson a hole", () => sortedJson(any([, 1])), "value[0]: nothing is no JSON value"],
    ["sortedJson a function", () => sortedJson(any(() => 1)), "value: a function is no JSON"],
    ["sortedJson undefined", () => sortedJson(any(undefined)), "value: nothing is no JSON value"],
    [
      "inputContextSha(null)",
      () => inputContextSha(any(null)),
      "hashes: must be an object of path",
    ],
    [
      "inputContextSha(a Map)",
      () => inputContextSha(any(hashes)),
      "hashes: must be an object of p",
    ],
    [
      "inputContextSha({a: 5})",
      () => inputContextSha(any({ a: 5 })),
      "hashes: must be an object of path → hash strings, got an object holding number 5",
    ],
    ["manifestText(null)", () => manifestText(any(null)), "hashes: must be an object of path"],
    ["validateRecord(null)", () => validateRecord(any(null)), "record: must be a record (an obj"],
    ["formatDuration(-1)", () => formatDuration(-1), "ms: must be a whole number of millisec"],
    [
      "formatDuration('5')",
      () => formatDuration(any("5")),
      "ms: must be a whole number of millisec",
    ],
    ["parseDuration(5)", () => parseDuration(any(5)), "text: must be a string, got number 5"],
  ];
  for (const [label, call, message] of cases) {
    let thrown: unknown;
    try {
      call();
    } catch (e) {
      thrown = e;
    }
    assertEquals(thrown instanceof InputError, true, `${label}: ${thrown}`);
    assertEquals((thrown as Error).message.startsWith(message), true, `${label}: ${thrown}`);
  }
  // What JSON leaves out (an object's field holding undefined) is still left out.
  assertEquals(sortedJson(any({ b: 1, a: undefined })), '{"b":1}');
});

Deno.test("library arguments: checkStaleness's and checkRecordFile's workers (1.5, -1, a billion), checkStaleness's agents, reapRuns' olderThanMs and now, the runs given to openLineageEvents and provDocument, and appendAnnotation's note are refused naming them when out of range, holed or of the wrong type (library-sweep F9)", async () => {
  const { root, del } = await makeProject();
  await recordRun(del, { agent: "A", status: "SUCCESS" });
  const runId = (await recordsOf(del))[0].RunID;
  const before = await filesOf(root);
  const cases: [string, () => Promise<unknown>, string][] = [
    // 1.5 threads were 1, -1 none, and 1e9 a billion workers started.
    [
      "checkStaleness workers 1.5",
      () => checkStaleness([del], { workers: 1.5 }),
      "checkStaleness: options.workers: must be a whole number of threads from 0 to 16, got number 1.5",
    ],
    ["checkStaleness workers -1", () => checkStaleness([del], { workers: -1 }), "options.workers"],
    // A billion threads ran the process out of memory, killing it (a fatal V8 error, no throw).
    [
      "checkStaleness workers 1e9",
      () => checkStaleness([del], { workers: 1e9 }),
      "options.workers",
    ],
    [
      "checkRecordFile workers 1e9",
      () => Array.fromAsync(checkRecordFile(join(del, "RunRecords.csv"), { workers: 1e9 })),
      "workers: must be a whole number of threads from 0 to 16, got 1000000000",
    ],
    // No agent checked: a report with no check passes a gate, as no targets would (trial-w F6).
    [
      "checkStaleness agents []",
      () => checkStaleness([del], { agents: [] }),
      "checkStaleness: options.agents: an empty list (no agent would be checked",
    ],
    // -1 was a RangeError from inside; NaN reaped nothing and said nothing.
    [
      "reapRuns olderThanMs -1",
      () => reapRuns([del], { olderThanMs: -1 }),
      "reapRuns: options.olderThanMs: must be a whole number of milliseconds, 0 or more",
    ],
    ["reapRuns olderThanMs NaN", () => reapRuns([del], { olderThanMs: NaN }), "options.olderThan"],
    ["reapRuns now NaN", () => reapRuns([del], { now: NaN }), "reapRuns: options.now: must be a t"],
    [
      "appendAnnotation note 5",
      () => appendAnnotation(del, runId, { invalidates: true }, any(5)),
      `${del}: note: must be a string, got number 5`,
    ],
  ];
  for (const [label, call, message] of cases) {
    await assertRejects(call, InputError, message).catch((e) => {
      throw new Error(`${label}: ${(e as Error).message}`);
    });
  }
  assertEquals(await filesOf(root), before);
  const runs = await collectRuns([del], { warn: () => {} });
  const { record, ...rest } = runs[0];
  const noHashes = { ...rest, record: { ...record, InputHashes: undefined } };
  for (
    const [given, message] of [
      [[, runs[0]], "runs[0]: must be an object, got nothing (a run as collectRuns returns it)"],
      [[{ record }], "runs[0].namespace: must be a string, got nothing"],
      [[runs[0], noHashes], "runs[1].record.InputHashes: must be an object of path → hash strings"],
    ] as const
  ) {
    assertInputErrorStarting(() => openLineageEvents(any(given)), message);
    assertInputErrorStarting(() => provDocument(any(given)), message);
  }
  assertEquals(openLineageEvents(runs).length, 2);
  await Deno.remove(root, { recursive: true });
});

Deno.test("library arguments: an InputError holds where it is at fault as path, line and field, not only in its message: a script tells a folder gone from a misspelt option without reading text (newuser-55's item)", async () => {
  const { root, del } = await makeProject();
  const gone = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-09_Gone");
  const at = async (call: () => Promise<unknown>) => {
    const error = await call().then(() => undefined, (e) => e);
    assert(error instanceof InputError, `not an InputError: ${error}`);
    const { path, line, field } = error;
    return { path, line, field };
  };
  const read = async (events: AsyncIterable<unknown>) => {
    for await (const _ of events) { /* read it all */ }
  };
  const none = { path: undefined, line: undefined, field: undefined };
  assertEquals(await at(() => recordRun(gone, { agent: "A", status: "SUCCESS" })), {
    ...none,
    path: gone,
  });
  assertEquals(await at(() => checkStaleness([gone])), { ...none, path: gone });
  assertEquals(await at(() => read(readRecords(join(del, "RunRecords.csv")))), {
    ...none,
    path: join(del, "RunRecords.csv"),
  });
  assertEquals(await at(() => hashFile(join(gone, "x.md"))), { ...none, path: join(gone, "x.md") });
  const report = { agent: "A", status: "SUCCESS" } as RunReport;
  assertEquals(await at(() => recordRun(del, { ...report, outptus: [] } as RunReport)), {
    ...none,
    field: "report.outptus",
  });
  assertEquals(await at(() => recordRun(del, { ...report, inputs: "a.md" } as never)), {
    ...none,
    field: "report.inputs",
  });
  assertEquals(await at(() => recordRun(del, { ...report, status: "DONE" })), {
    ...none,
    field: "status",
  });
  assertEquals(await at(() => recordRun(del, { ...report, durationMs: -1 })), {
    ...none,
    field: "durationMs",
  });
  assertEquals(await at(() => appendAnnotation(del, "RUN-X", { invalidates: true }, "n")), {
    ...none,
    field: "runId",
  });
  const runId = "RUN-DEL-01-02-20260222-1015-001";
  assertEquals(await at(() => appendAnnotation(del, runId, { invalidates: true }, " ")), {
    ...none,
    field: "note",
  });
  assertEquals(await at(() => finishPendingRun(del, "nope", { status: "SUCCESS" })), {
    ...none,
    field: "run",
  });
  // A finish refused for its report says the run is still pending, and still names the field;
  // to a script holding the run, the function it calls again, not a command it has no token for.
  const started = await startRun(del, { agent: "A" });
  assertEquals(await at(() => finishRun(started, { status: "DONE" })), {
    ...none,
    field: "status",
  });
  await assertRejects(
    () => finishRun(started, { status: "DONE" }),
    InputError,
    'got "DONE"; the run is still pending: call finishRun again with status SUCCESS,',
  );
  assertEquals(await recordsOf(del), []);
});

Deno.test("library arguments: each site that sets an InputError's path, line or field says the same in its message: path as given (relative stays relative), field as the message names it; a misspelt agentsDir is refused as the CLI's --agents-dir is, where the run was checked against no profile (reviewlibrary-57)", async () => {
  const { root, del } = await makeProject();
  const gone = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-09_Gone");
  const relative = join(
    relativePath(Deno.cwd(), root),
    "PKG-01_Pkg",
    "1_Working",
    "DEL-01-09_Gone",
  );
  const file = join(del, "_CONTEXT.md");
  const report = { agent: "A", status: "SUCCESS" } as RunReport;
  const read = async (events: AsyncIterable<unknown>) => {
    for await (const _ of events) { /* read it all */ }
  };
  const sites: [
    string,
    () => Promise<unknown>,
    { path?: string; line?: number; field?: string },
  ][] = [
    ["recordRun, no such folder", () => recordRun(gone, report), { path: gone }],
    ["recordRun, relative", () => recordRun(relative, report), { path: relative }],
    ["recordRun, a file", () => recordRun(file, report), { path: file }],
    ["startRun, no such folder", () => startRun(gone, { agent: "A" }), { path: gone }],
    ["checkStaleness", () => checkStaleness([relative]), { path: relative }],
    ["reapRuns", () => reapRuns([gone]), { path: gone }],
    ["readRecords", () => read(readRecords(join(gone, "RunRecords.csv"))), {
      path: join(gone, "RunRecords.csv"),
    }],
    ["hashFile", () => hashFile(join(gone, "x.md")), { path: join(gone, "x.md") }],
    ["report's unknown key", () => recordRun(del, { ...report, outptus: [] } as RunReport), {
      field: "report.outptus",
    }],
    ["report.status's type", () => recordRun(del, { ...report, status: 3 } as never), {
      field: "report.status",
    }],
    ["status's value", () => recordRun(del, { ...report, status: "DONE" }), { field: "status" }],
    ["durationMs", () => recordRun(del, { ...report, durationMs: -1 }), { field: "durationMs" }],
    ["options.workers", () => checkStaleness([del], { workers: -1 }), { field: "options.workers" }],
    [
      "note",
      () => appendAnnotation(del, "RUN-DEL-01-02-20260222-1015-001", { invalidates: true }, " "),
      {
        field: "note",
      },
    ],
    ["agentsDir", () => recordRun(del, { ...report, agentsDir: relative }), {
      path: relative,
      field: "agentsDir",
    }],
  ];
  for (const [site, call, where] of sites) {
    const error = await call().then(() => undefined, (e) => e);
    assert(error instanceof InputError, `${site}: not an InputError: ${error}`);
    const { path, line, field } = error;
    assertEquals({ path, line, field }, {
      path: undefined,
      line: undefined,
      field: undefined,
      ...where,
    }, site);
    if (path !== undefined) assert(error.message.includes(path), `${site}: ${error.message}`);
    if (field !== undefined) assert(error.message.includes(field), `${site}: ${error.message}`);
  }
  assertEquals(await recordsOf(del), []);
});
