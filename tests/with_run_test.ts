import { join } from "node:path";
import { assert, assertEquals, assertIncludes, assertRejects, assertThrows } from "./assert.ts";
import { InputError } from "../src/errors.ts";
import { hashFile } from "../src/hash.ts";
import type { RunOutcome } from "../src/hook.ts";
import { finishRun, type RunHandle, startRun, withRun } from "../src/run.ts";
import { makeProject } from "./fixtures.ts";
import { hostFiles, pendingFiles, recordsOf } from "./support/runs.ts";

Deno.test("withRun: SUCCESS when the callback returns; inputs hashed before it, outputs after", async () => {
  const { root, del } = await makeProject();
  const host = hostFiles(del);
  const before = await hashFile(join(del, "Datasheet.md"));
  const outcomes: RunOutcome[] = [];
  const value = await withRun(del, {
    agent: "4_DOCUMENTS",
    inputs: ["Datasheet.md"],
    pass: "FULL",
    onOutcome: (o) => outcomes.push(o),
  }, async (run) => {
    // While the callback runs, the run is pending, watching this process.
    assertEquals(pendingFiles(del), [`${run.id}.json`]);
    await Deno.writeTextFile(join(del, "Datasheet.md"), "# Datasheet\n\nrewritten\n");
    run.output("Datasheet.md");
    return 42;
  });
  assertEquals(value, 42);
  const [record] = await recordsOf(del);
  assertEquals(outcomes[0].written?.record.RunID, record.RunID);
  assertEquals([record.AgentName, record.RunStatus, record.RunPassDirective], [
    "4_DOCUMENTS",
    "SUCCESS",
    "FULL",
  ]);
  assertEquals(record.InputHashes["Datasheet.md"], before);
  assertEquals(record.OutputHashes, { "Datasheet.md": await hashFile(join(del, "Datasheet.md")) });
  assertEquals([record.StatusBefore, record.StatusAfter], ["OPEN", "OPEN"]);
  assertEquals(pendingFiles(del), []);
  assertEquals(hostFiles(del), host);
  await Deno.remove(root, { recursive: true });
});

Deno.test("withRun: a throw records FAILED with its message and is re-thrown unchanged", async () => {
  const { root, del } = await makeProject();
  const thrown = new RangeError("the datasheet template is missing\nsecond line");
  let caught: unknown;
  try {
    await withRun(del, { agent: "4_DOCUMENTS", onOutcome: () => {} }, (run) => {
      run.output("Datasheet.md");
      run.status = "PARTIAL"; // a throw wins over what the callback set
      throw thrown;
    });
  } catch (e) {
    caught = e;
  }
  assert(caught === thrown, "not the same error");
  const [record] = await recordsOf(del);
  // The whole message: a record may hold line breaks (log's table shows the first line).
  assertEquals([record.RunStatus, record.ErrorSummary], [
    "FAILED",
    "the datasheet template is missing\nsecond line",
  ]);
  assertEquals(record.OutputFiles, ["Datasheet.md"]);
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("withRun: run.status and run.error set another outcome, in the words recordRun takes (trial-w F1); a bad status throws at once", async () => {
  const { root, del } = await makeProject();
  let id = "";
  await withRun(del, { agent: "DEPENDENCIES", onOutcome: () => {} }, (run) => {
    id = run.id;
    run.status = "PARTIAL";
    run.error = "2 of 3 registers";
    run.notes = "host outcome: PARTIAL_REGISTER";
  });
  await withRun(del, { agent: "DEPENDENCIES", onOutcome: () => {} }, (run) => {
    run.status = "SKIPPED";
  });
  await assertRejects(
    () =>
      withRun(del, { agent: "DEPENDENCIES", onOutcome: () => {} }, (run) => {
        run.status = "DONE" as "SUCCESS";
      }),
    Error,
    "run.status: must be one of",
  );
  // The words recordRun takes: any case, a host outcome word (trial-w F1).
  for (const word of ["partial", "PASS"]) {
    const value = await withRun(del, { agent: "DEPENDENCIES", onOutcome: () => {} }, (run) => {
      run.status = word as "PARTIAL";
      run.error = "half done";
      return "the work's value";
    });
    assertEquals(value, "the work's value");
  }
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.RunStatus, r.ErrorSummary]), [
    ["PARTIAL", "2 of 3 registers"],
    ["SKIPPED", ""],
    [
      "FAILED",
      "run.status: must be one of SUCCESS, PARTIAL, FAILED, SKIPPED (any case) or a host outcome " +
      "word (PASS, FAILED_INPUTS, ...)",
    ],
    ["PARTIAL", "half done"],
    ["SUCCESS", ""],
  ]);
  assertIncludes(records[4].Notes, "PASS");
  // The agent's notes, then the run's id, which every record of a started run names.
  assertEquals(records[0].Notes, `host outcome: PARTIAL_REGISTER | run ${id}`);
  await Deno.remove(root, { recursive: true });
});

Deno.test("withRun: a bad agent name throws before the callback runs; a non-ASCII one is told ASCII letters", async () => {
  const { root, del } = await makeProject();
  let ran = false;
  // Named as the library knows it (`agent`), not as the CLI's --agent.
  await assertRejects(
    () => withRun(del, { agent: "" }, () => void (ran = true)),
    InputError,
    "agent is required and empty",
  );
  // Non-ASCII letters are letters to a user: the message says which letters count.
  await assertRejects(
    () => withRun(del, { agent: "DÉJÀ_VU" }, () => void (ran = true)),
    Error,
    "ASCII letters",
  );
  assert(!ran, "the callback ran");
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("withRun: a long message is cut between code points; a lone surrogate the callback gives is recorded as U+FFFD with a note", async () => {
  const { root, del } = await makeProject();
  const outcomes: RunOutcome[] = [];
  const onOutcome = (o: RunOutcome) => outcomes.push(o);
  // The emoji spans UTF-16 units 3,999 and 4,000: a cut at 4,000 units would split it.
  const message = "tool output: " + "x".repeat(3_986) + "😀 and more";
  await assertRejects(() =>
    withRun(del, { agent: "4_DOCUMENTS", onOutcome }, () => {
      throw new Error(message);
    })
  );
  await withRun(del, { agent: "4_DOCUMENTS", onOutcome }, (run) => {
    run.status = "PARTIAL";
    run.error = "cut by the caller: \uD83D"; // text cut with .slice() mid-pair
    run.notes = "\uDE00 notes";
  });
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.RunStatus), ["FAILED", "PARTIAL"]);
  assertEquals(outcomes.map((o) => o.written?.record.RunID), records.map((r) => r.RunID));
  assert(records[0].ErrorSummary.isWellFormed(), "ErrorSummary not well formed");
  assert(records[0].ErrorSummary.length <= 4_000, `${records[0].ErrorSummary.length} units kept`);
  assert(records[0].ErrorSummary.startsWith("tool output: xxx"), records[0].ErrorSummary);
  assertEquals(records[1].ErrorSummary, "cut by the caller: \uFFFD");
  assert(records[1].Notes.startsWith("\uFFFD notes"), records[1].Notes);
  assert(
    records[1].Notes.includes("run.error, run.notes held a lone UTF-16 surrogate"),
    records[1].Notes,
  );
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("withRun: run.output of an empty or blank path throws at the call, naming the call (not outputs); the run is FAILED with the outputs declared before it", async () => {
  const { root, del } = await makeProject();
  for (const path of ["", "  "]) {
    await assertRejects(
      () =>
        withRun(del, { agent: "CHIRALITY_LENS", onOutcome: () => {} }, (run) => {
          run.output("Datasheet.md");
          run.output(path);
        }),
      InputError,
      `run.output(${
        JSON.stringify(path)
      }): an empty path (name a file or folder; . is the deliverable folder)`,
    );
  }
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.RunStatus, r.OutputFiles]), [
    ["FAILED", ["Datasheet.md"]],
    ["FAILED", ["Datasheet.md"]],
  ]);
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("withRun: a pending run that cannot be saved (.runrec and $TMPDIR files, not folders) does not stop the work: the callback runs and its run is recorded, noted (trial-lib F4)", async () => {
  const { root, del } = await makeProject();
  await Deno.writeTextFile(join(del, ".runrec"), "a file where runrec keeps its folder\n");
  const tmpdir = Deno.env.get("TMPDIR");
  Deno.env.set("TMPDIR", join(del, ".runrec"));
  let ran = false;
  let value: string;
  try {
    value = await withRun(del, { agent: "4_DOCUMENTS", onOutcome: () => {} }, () => {
      ran = true;
      return "done";
    });
  } finally {
    if (tmpdir === undefined) Deno.env.delete("TMPDIR");
    else Deno.env.set("TMPDIR", tmpdir);
  }
  assertEquals([ran, value], [true, "done"]);
  const [record] = await recordsOf(del);
  assertEquals(record.RunStatus, "SUCCESS");
  assert(record.Notes.includes("pending run not saved"), record.Notes);
  await Deno.remove(root, { recursive: true });
});

Deno.test("startRun: a pending run that cannot be saved is kept in memory, with or without mayCreate: no token, notSaved says why, finishRun records it (review-l F9)", async () => {
  const { root, del } = await makeProject();
  await Deno.writeTextFile(join(del, ".runrec"), "a file where runrec keeps its folder\n");
  const tmpdir = Deno.env.get("TMPDIR");
  Deno.env.set("TMPDIR", join(del, ".runrec"));
  try {
    // mayCreate only allows a folder that does not exist yet: here it changes nothing.
    for (const mayCreate of [false, true]) {
      const started = await startRun(del, { agent: "4_DOCUMENTS", mayCreate });
      assertEquals([started.token, started.creates], [undefined, undefined]);
      assert((started.notSaved ?? "") !== "", "notSaved: why it was not saved");
      const outcome = await finishRun(started, { status: "SUCCESS" });
      assertEquals(typeof outcome.written?.record.RunID, "string");
    }
  } finally {
    if (tmpdir === undefined) Deno.env.delete("TMPDIR");
    else Deno.env.set("TMPDIR", tmpdir);
  }
  const records = await recordsOf(del);
  assertEquals(records.length, 2);
  for (const record of records) {
    assert(record.Notes.includes("pending run not saved"), record.Notes);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("withRun: an onOutcome that throws is said on stderr, and withRun still returns the work's value or re-throws the work's own error (trial-w F2)", async () => {
  const { root, del } = await makeProject();
  const onOutcome = () => {
    throw new Error("onOutcome bug");
  };
  const value = await withRun(del, { agent: "DEPENDENCIES", onOutcome }, () => 7);
  assertEquals(value, 7);
  await assertRejects(
    () =>
      withRun(del, { agent: "DEPENDENCIES", onOutcome }, () => {
        throw new Error("work failed");
      }),
    Error,
    "work failed",
  );
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS", "FAILED"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("withRun: the handle's id and delDir cannot be changed, and run.output, run.status, run.error or run.notes after the callback returned throws, never dropped unsaid (trial-w F8, review-w F7)", async () => {
  const { root, del } = await makeProject();
  let escaped: RunHandle | undefined;
  let id = "";
  await withRun(del, { agent: "DEPENDENCIES", onOutcome: () => {} }, (run) => {
    id = run.id;
    assertThrows(() => Object.assign(run, { id: "hijack" }), InputError, "run.id: cannot be set");
    assertEquals(run.id, id);
    escaped = run;
  });
  assertThrows(() => escaped!.output("late.md"), InputError, `run ${id} is finished already`);
  assertThrows(() => (escaped!.status = "FAILED"), InputError, "is finished already");
  assertThrows(() => (escaped!.error = "late"), InputError, "is finished already");
  assertThrows(() => (escaped!.notes = "late"), InputError, "is finished already");
  assertEquals((await recordsOf(del)).map((r) => [r.RunStatus, r.OutputFiles]), [["SUCCESS", []]]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("withRun: a throw of a plain object records it as JSON, an AggregateError with no message its errors (trial-w F9)", async () => {
  const { root, del } = await makeProject();
  const thrown = [
    { code: 42 },
    new AggregateError([new Error("a"), new Error("b")], ""),
    new TypeError(""),
  ];
  for (const error of thrown) {
    await assertRejects(() =>
      withRun(del, { agent: "DEPENDENCIES", onOutcome: () => {} }, () => {
        throw error;
      })
    );
  }
  assertEquals((await recordsOf(del)).map((r) => r.ErrorSummary), [
    '{"code":42}',
    "AggregateError: a; b",
    "TypeError",
  ]);
  await Deno.remove(root, { recursive: true });
});

/** Runs each misuse in a `withRun` of its own, each an InputError saying `said`; the records then. */
async function misusedRuns(del: string, misuses: [said: string, (run: RunHandle) => void][]) {
  for (const [said, misuse] of misuses) {
    await assertRejects(
      () => withRun(del, { agent: "4_DOCUMENTS", onOutcome() {} }, (run) => misuse(run)),
      InputError,
      said,
    );
  }
  return await recordsOf(del);
}

Deno.test("withRun: run.error or run.notes set to a non-string, or run.output of one, throws at the call naming it; the run is recorded FAILED saying so, never lost (library-sweep F1, F2)", async () => {
  const { del } = await makeProject();
  const misuses: [string, (run: RunHandle) => void][] = [
    ["run.error: must be a string", (run) => (run.error = 2 as unknown as string)],
    ["run.notes: must be a string", (run) => (run.notes = {} as unknown as string)],
    ["a path must be a string", (run) => run.output(42 as unknown as string)],
  ];
  const records = await misusedRuns(del, misuses);
  assertEquals(records.map((r) => r.RunStatus), ["FAILED", "FAILED", "FAILED"]);
  assertIncludes(records[0].ErrorSummary, "run.error: must be a string");
  assertEquals(pendingFiles(del), []);
});

Deno.test("withRun: a misspelt field of the run (run.erorr = …) or a read-only one (run.id) throws at the assignment, naming it; the run is recorded FAILED saying so, never SUCCESS without it (library-sweep F7)", async () => {
  const { del } = await makeProject();
  const misuses: [string, (run: RunHandle) => void][] = [
    [
      "run.erorr: not a field of the run",
      (run) => ((run as unknown as { erorr: string }).erorr = "x"),
    ],
    [
      "run.Status: not a field of the run",
      (run) => ((run as unknown as { Status: string }).Status = "PARTIAL"),
    ],
    ["run.id: cannot be set", (run) => ((run as { id: string }).id = "x")],
  ];
  const records = await misusedRuns(del, misuses);
  assertEquals(records.map((r) => r.RunStatus), ["FAILED", "FAILED", "FAILED"]);
  assertIncludes(records[0].ErrorSummary, "run.erorr: not a field of the run");
  // The fields it has are set as before.
  await withRun(del, { agent: "4_DOCUMENTS", onOutcome() {} }, (run) => {
    run.status = "PARTIAL";
    run.error = "half done";
    run.notes = "n";
  });
  const last = (await recordsOf(del)).at(-1)!;
  assertEquals([last.RunStatus, last.ErrorSummary], ["PARTIAL", "half done"]);
  assertEquals(last.Notes.startsWith("n | run "), true, last.Notes);
  assertEquals(pendingFiles(del), []);
});
