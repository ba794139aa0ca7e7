/**
 * A Deno script importing mod.ts, misusing it as a script author does (library59): each error says
 * where it is at fault in `path` and `field` as its message does, in the library's own words.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { runCli } from "./cli.ts";
import { filesOf, recordsOf } from "./support/runs.ts";
import { acquireLock } from "../src/lock.ts";
import { streamed } from "../src/stale_history.ts";
import {
  annotationsFor,
  appendAnnotation,
  checkStaleness,
  collectRuns,
  emitRecord,
  finishPendingRun,
  governedInputs,
  inputContextSha,
  InputError,
  manifestText,
  recordRun,
  replaySpool,
  type RunHandle,
  verifyHistories,
  verifyHistory,
  withRun,
  WriteError,
} from "../mod.ts";

/** The InputError `call` rejects with: its message, path, line and field. */
async function refusal(call: () => unknown) {
  const error = await Promise.resolve().then(call).then(() => undefined, (e) => e);
  assert(error instanceof InputError, `not an InputError: ${error}`);
  const { message, path, line, field } = error;
  return { message, path, line, field };
}

Deno.test("library59: appendAnnotation of a folder gone or a file says no such folder or not a folder, as runrec annotate does, not that the folder has no deliverable ID; nothing written", async () => {
  const { root, del } = await makeProject();
  await recordRun(del, { agent: "A", status: "SUCCESS" });
  const runId = (await recordsOf(del))[0].RunID;
  const before = await filesOf(root);
  const gone = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-09_Gone");
  const annotate = (dir: string) => () => appendAnnotation(dir, runId, { invalidates: true }, "n");
  assertEquals(await refusal(annotate(gone)), {
    message: `${gone}: no such folder`,
    path: gone,
    line: undefined,
    field: undefined,
  });
  const file = join(del, "RunRecords.csv");
  const notFolder = await refusal(annotate(file));
  assertEquals(notFolder.path, file);
  assert(notFolder.message.startsWith(`${file}: is not a folder`), notFolder.message);
  assertEquals(await filesOf(root), before);
});

Deno.test("library59: checkStaleness's agents naming no agent is refused as agents, in its field, where it said --agent, the CLI's flag; the CLI still says --agent, in its --json field too", async () => {
  const { root, del } = await makeProject();
  await recordRun(del, { agent: "4_DOCUMENTS", status: "SUCCESS" });
  const reason = "no run by that agent in the deliverables checked, and no agent file names it " +
    "(agents with runs there: 4_DOCUMENTS); did you mean 4_DOCUMENTS?";
  assertEquals(await refusal(() => checkStaleness([root], { agents: ["4_DOCUMNETS"] })), {
    message: `agents 4_DOCUMNETS: ${reason}`,
    path: undefined,
    line: undefined,
    field: "agents",
  });
  const run = await runCli(["stale", root, "--agent", "4_DOCUMNETS", "--json"]);
  assertEquals(run.code, 2);
  const { error } = JSON.parse(run.stdout);
  assertEquals([error.message, error.field], [`--agent 4_DOCUMNETS: ${reason}`, "--agent"]);
});

Deno.test("library59: verifyHistory and verifyHistories of a file or folder outside git name it in path, not only in the message", async () => {
  const { del } = await makeProject();
  await recordRun(del, { agent: "A", status: "SUCCESS" });
  const file = join(del, "RunRecords.csv");
  for (
    const call of [() => verifyHistory(file, "HEAD"), () => verifyHistories([del], [file], "HEAD")]
  ) {
    const { message, path, field } = await refusal(call);
    assert(message.includes("not in a git work tree"), message);
    assert(message.startsWith(`${path}:`), `${path}: ${message}`);
    assertEquals(field, "since");
  }
  // A file outside the repository of the folder named, which is in one: the file, as given.
  const repo = await tempDir({ prefix: "runrec-repo-" });
  await git(repo, "init", "-q");
  await git(repo, "commit", "-q", "--allow-empty", "-m", "first");
  const other = await refusal(() => verifyHistories([repo], [file], "HEAD"));
  assertEquals([other.path, other.field], [file, "since"]);
});

Deno.test("library59: a withRun handle told too late, a run.error or run.notes of the wrong type, a field the handle has not, a bad hash given to inputContextSha and a file given to finishPendingRun as a token name their field or path", async () => {
  const { del } = await makeProject();
  let kept: RunHandle | undefined;
  await withRun(del, { agent: "A", onOutcome: () => {} }, (run) => {
    kept = run;
  });
  const late = await refusal(() => kept!.output("Datasheet.md"));
  assertEquals(late.field, "run.output()");
  assertEquals((await refusal(() => (kept!.status = "FAILED"))).field, "run.status");
  assertEquals((await refusal(() => (kept!.notes = "x"))).field, "run.notes");
  const during = (set: (run: RunHandle) => void) => () =>
    withRun(del, { agent: "A", onOutcome: () => {} }, set);
  // deno-lint-ignore no-explicit-any
  assertEquals((await refusal(during((run) => (run.error = 5 as any)))).field, "run.error");
  // deno-lint-ignore no-explicit-any
  assertEquals((await refusal(during((run) => ((run as any).outputs = [])))).field, "run.outputs");
  for (const hashing of [inputContextSha, manifestText]) {
    const bad = await refusal(() => hashing({ "a.md": "nothex" }));
    assertEquals(bad.field, 'hashes["a.md"]');
    assert(bad.message.startsWith(`${bad.field}:`), bad.message);
  }
  const datasheet = join(del, "Datasheet.md");
  const token = await refusal(() => finishPendingRun(datasheet, undefined, { status: "SUCCESS" }));
  assertEquals(token.path, datasheet);
  assert(token.message.startsWith(`${datasheet}: not a run token`), token.message);
});

Deno.test("library59: collectRuns lets a throw of the script's own warn through as it is, where it said the record file could not be read (and, given unreadable, skipped the file's runs)", async () => {
  const { del } = await makeProject();
  await recordRun(del, { agent: "A", status: "SUCCESS" });
  const file = join(del, "RunRecords.csv");
  await Deno.writeTextFile(file, "not a record\n", { append: true });
  const mine = new Error("the script's own bug");
  const warn = () => {
    throw mine;
  };
  const unreadable: string[] = [];
  for (const options of [{ warn }, { warn, unreadable: (m: string) => unreadable.push(m) }]) {
    const thrown = await collectRuns([del], options).then(() => undefined, (e) => e);
    assert(thrown === mine, `not the script's error: ${thrown}`);
  }
  assertEquals(unreadable, []);
  // A warn that returns is told the line, and the file's run is kept.
  const warnings: string[] = [];
  const runs = await collectRuns([del], { warn: (m) => warnings.push(m) });
  assertEquals([runs.length, warnings.length], [1, 1]);
  assert(warnings[0].startsWith(`${file}:3: `), warnings[0]);
});

Deno.test("library59: checkStaleness with an isBaseline that throws rejects with that error, read whole or in passes: it left an unhandled rejection (which ended the script's process after the call had failed), and a long history read in passes was said unreadable", async () => {
  const { root, del } = await makeProject();
  await recordRun(del, { agent: "A", status: "SUCCESS" });
  await recordRun(del, { agent: "B", status: "SUCCESS" });
  const mine = new Error("the script's own rule failed");
  const whole = streamed.fromBytes;
  try {
    for (const fromBytes of [whole, 0]) {
      streamed.fromBytes = fromBytes; // 0: every history read in passes, as a long one is
      let calls = 0;
      const isBaseline = () => {
        if (++calls === 1) throw mine; // once: a later call would answer, and hide it
        return true;
      };
      const thrown = await checkStaleness([root], { isBaseline }).then(() => undefined, (e) => e);
      assert(thrown === mine, `not the script's error (fromBytes ${fromBytes}): ${thrown}`);
      // The test's sanitizers fail it on a rejection left unhandled meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    streamed.fromBytes = whole;
  }
});

Deno.test("library59: an onLockWait that throws changes nothing of the append: the record is written once the lock is free, where it was refused as 'cannot take the lock' (recordRun spooled it, emitRecord threw a WriteError)", async () => {
  const { del } = await makeProject();
  const file = join(del, "RunRecords.csv");
  const mine = new Error("the script's own notice failed");
  const held = async () => {
    const lock = await acquireLock(`${file}.lock`, { deliverableId: "DEL-01-02", holder: "test" });
    return () => {
      void lock.release(); // the holder lets go as the script's notice fails
      throw mine;
    };
  };
  const report = { status: "SUCCESS" } as const;
  const outcome = await recordRun(del, { ...report, agent: "R" }, { onLockWait: await held() });
  assertEquals([outcome.written?.record.AgentName, outcome.lost], ["R", undefined]);
  const emitted = await emitRecord(del, { ...report, agent: "E" }, { onLockWait: await held() });
  assertEquals((await recordsOf(del)).map((r) => r.RunID), [
    outcome.written?.record.RunID,
    emitted.record.RunID,
  ]);
});

Deno.test("library59: the argument checks and refusals a script meets that named their field or file in the message only: verifyHistory's since, governedInputs' hash, annotationsFor's annotations, an options that is no object, finishPendingRun's empty target, appendAnnotation's record file", async () => {
  const { del } = await makeProject();
  await recordRun(del, { agent: "A", status: "SUCCESS" });
  const file = join(del, "RunRecords.csv");
  const fields: [() => unknown, string][] = [
    [() => verifyHistory(file, 5 as never), "since"],
    [
      () => governedInputs(del, [], { hash: () => Promise.resolve(undefined as never) }),
      "options.hash",
    ],
    [() => annotationsFor(null as never, { RunID: "R", RecordChecksum: "c" }), "annotations"],
    [() => recordRun(del, { agent: "A", status: "SUCCESS" }, 5 as never), "options"],
    [() => finishPendingRun("", undefined, { status: "SUCCESS" }), "target"],
  ];
  for (const [call, field] of fields) {
    const said = await refusal(call);
    assertEquals(said.field, field, said.message);
    // The empty target's message says what it is ("the run's token or deliverable folder").
    if (field !== "target") assert(said.message.includes(field), said.message);
  }
  const unknown = "RUN-DEL-01-02-20200101-0000-001";
  const refused = await refusal(() => appendAnnotation(del, unknown, { invalidates: true }, "n"));
  assertEquals(refused.path, file);
  assert(refused.message.startsWith(`${file}: no record of ${unknown}`), refused.message);
});

Deno.test("library59: an InputError's message is one line when a name it holds has a line break (written \\n, as the CLI prints it); its path stays the name as given", async () => {
  const { root } = await makeProject();
  const broken = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-09_a\nb");
  const said = [
    await refusal(() => recordRun(broken, { agent: "A", status: "SUCCESS" })),
    await refusal(() => checkStaleness([broken])),
    await refusal(() => verifyHistory(join(broken, "RunRecords.csv"), "HEAD")),
  ];
  for (const { message, path } of said) {
    assert(!/[\n\r]/.test(message), message);
    assert(message.startsWith(`${broken.replace("\n", "\\n")}`), message);
    assert(path?.startsWith(broken), `${path}`);
  }
});

Deno.test("library59: replaySpool of a file (the record file named for its folder) is refused as not a folder, as runrec flush FILE is, where it answered that nothing waited; a folder gone is still taken", async () => {
  const { root, del } = await makeProject();
  await recordRun(del, { agent: "A", status: "SUCCESS" });
  const file = join(del, "RunRecords.csv");
  for (const delDirs of [file, [del, file]]) {
    const said = await refusal(() => replaySpool(delDirs));
    assertEquals(said.path, file);
    assert(said.message.startsWith(`${file}: is not a folder`), said.message);
  }
  const gone = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-09_Gone");
  assertEquals((await replaySpool(gone)).failures, []);
});

Deno.test("library59: a record not written to a folder whose name holds a line break says why: the reason was cut at the name's break (a WriteError's first line), leaving the folder's name and no cause", async () => {
  const { root } = await makeProject();
  const broken = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-09_a\nb");
  await Deno.mkdir(join(broken, "RunRecords.csv"), { recursive: true }); // a folder where it goes
  const outcome = await recordRun(broken, { agent: "A", status: "SUCCESS" });
  assertEquals(outcome.written, undefined);
  assert(outcome.spooledTo !== undefined, outcome.warnings.join("; "));
  assert(outcome.warnings[0].includes("RunRecords.csv: not a regular file"), outcome.warnings[0]);
  const thrown = await emitRecord(broken, { agent: "A", status: "SUCCESS" }).catch((e) => e);
  assert(thrown instanceof WriteError, `${thrown}`);
  assert(!thrown.message.includes("\n"), thrown.message);
});
