/**
 * The run lifecycle (start, finish, reap, exec) under races and faults, each
 * with real processes: concurrent finishes of one token, a finisher killed
 * after its write, pending files edited by hand, a failing claim, an
 * unconfirmed write, record files that are a FIFO or a device, and stderr on
 * a full device.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir, writeTree } from "./fixtures.ts";
import {
  firstLine,
  isolatedProject,
  pendingFiles,
  recordsOf,
  RUNREC,
  RUNREC_SH,
} from "./support/runs.ts";
import { seededRandom } from "./seed.ts";
import { spawnHeld, waitFor } from "./support/held.ts";
import { pidAlive } from "../src/lock.ts";

/** A project under git with one commit, so that `git clean -fdx` removes `.runrec/`. */
async function gitProject(): Promise<{ root: string; del: string }> {
  const project = await makeProject();
  await git(project.root, "init", "-q");
  await git(project.root, "add", "-A");
  await git(project.root, "commit", "-qm", "init");
  return project;
}

async function startRun(del: string, agent: string): Promise<string> {
  const start = await runCliProcess(["start", del, "--agent", agent]);
  assertEquals(start.code, 0, start.stderr);
  return start.stdout.trim();
}

/** Runs runrec under strace with `straceArgs`; stdout and stderr piped. */
function underStrace(
  straceArgs: string[],
  args: string[],
  env: Record<string, string> = {},
): Deno.ChildProcess {
  return new Deno.Command("strace", {
    args: ["-f", "-qq", ...straceArgs, ...RUNREC, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
}

function noStackTrace(stderr: string): void {
  assert(!stderr.includes("    at "), stderr);
}

Deno.test("finish after git clean: concurrent finishes of one token record the run once", async () => {
  const { root, del } = await gitProject();
  // Seeded: how many finishers race in each round.
  const random = seededRandom("finish after git clean race");
  for (let round = 0; round < 6; round++) {
    const agent = `AGENT_${round}`;
    const token = await startRun(del, agent);
    await git(root, "clean", "-fdxq");
    // No copy of the run in the common git folder (a start by a runrec before stop 56): the token
    // is all (with the copy, the finishes claim it as the run's file: twice56).
    await Deno.remove(join(root, ".git", "runrec-journals"), { recursive: true });
    const racers = 3 + Math.floor(random() * 3);
    const results = await Promise.all(
      Array.from(
        { length: racers },
        () => runCliProcess(["finish", token, "--status", "SUCCESS", "--agent", agent]),
      ),
    );
    const won = results.filter((r) => r.code === 0);
    assertEquals(won.length, 1, results.map((r) => `${r.code} ${r.stderr}`).join("\n"));
    for (const lost of results.filter((r) => r.code !== 0)) {
      assertEquals(lost.code, 2, lost.stderr);
      assertMatch(lost.stderr, /^runrec finish: .*(finished already|being finished by)[^\n]*\n$/);
    }
    const records = (await recordsOf(del)).filter((r) => r.AgentName === agent);
    assertEquals(records.map((r) => r.RunID), [won[0].stdout.trim()]);
    // Later, once more: recorded already. No marker is left behind.
    const again = await runCliProcess(["finish", token, "--status", "SUCCESS", "--agent", agent]);
    assertEquals(again.code, 2, again.stderr);
    assertEquals([...Deno.readDirSync(join(del, ".runrec", "lost"))].map((e) => e.name), []);
  }
  assertEquals((await runCliProcess(["verify", del])).code, 0);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish killed after its write, then reap, then the finish retried: one record, no false warning", async () => {
  const { root, del } = await makeProject();
  const token = await startRun(del, "4_DOCUMENTS");
  // Every unlink after the first (the lock's, released once the record is written) waits on
  // entry; the one of the claim shows the record is written.
  const finish = underStrace(
    ["-e", "trace=unlink", "-e", "inject=unlink:delay_enter=5000000:when=2+"],
    ["finish", token, "--status", "SUCCESS"],
  );
  const reader = finish.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let trace = "";
  let claimUnlink: RegExpExecArray | null = null;
  while (!(claimUnlink = /^(?:\[pid +)?(\d+)\]? +unlink\("[^"]*\.claim-/m.exec(trace))) {
    const { value, done } = await reader.read();
    assert(!done, trace);
    trace += value;
  }
  const finisher = Number(claimUnlink[1]);
  Deno.kill(finisher, "SIGKILL"); // the thread's process: the finisher
  finish.kill("SIGKILL"); // strace, which would sit out its delay
  await finish.status;
  await waitFor(() => !pidAlive(finisher), "the finisher gone");
  await finish.stdout.cancel();
  await reader.cancel();
  assertEquals((await recordsOf(del)).length, 1);
  assertMatch(pendingFiles(del).join(), /\.claim-/);

  const reap = await runCliProcess(["reap", del]);
  assertEquals(reap.code, 0, reap.stderr);
  assertMatch(reap.stdout, /^\(recorded already\) \S+ 4_DOCUMENTS .*after writing its record\n$/);
  assertEquals(pendingFiles(del), []);

  const retried = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(retried.code, 2, retried.stderr);
  assertMatch(retried.stderr, /finished already/);
  assert(!retried.stderr.includes("FAILED"), retried.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.AgentName, r.RunStatus]), [["4_DOCUMENTS", "SUCCESS"]]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish of a pending file edited by hand: a moved start time or another folder is refused, the file kept", async () => {
  const { root, del } = await makeProject();
  const edits: [string, (run: Record<string, unknown>) => void, RegExp][] = [
    [
      "future",
      (run) => void ((run.start as { started: string }).started = "2099-01-01T00:00:00.000Z"),
      /not a pending run: its start time 2099-01-01T00:00:00.000Z is not its id's/,
    ],
    [
      "3 days ago",
      (run) =>
        void ((run.start as { started: string }).started = new Date(Date.now() - 3 * 86_400_000)
          .toISOString()),
      /not a pending run: its start time .* is not its id's/,
    ],
    [
      "another folder",
      (run) => void (run.delDir = join(root, "PKG-01_Pkg", "1_Working", "DEL-09-09_Other")),
      /not finished: it names another deliverable folder/,
    ],
  ];
  for (const [what, edit, refusal] of edits) {
    const token = await startRun(del, "4_DOCUMENTS");
    const run = JSON.parse(await Deno.readTextFile(token));
    edit(run);
    const text = JSON.stringify(run);
    await Deno.writeTextFile(token, text);
    const finish = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
    assertEquals(finish.code, 2, `${what}: ${finish.stderr}`);
    assertMatch(finish.stderr, new RegExp(`^runrec finish: ${RegExp.escape(token)}: `));
    assertMatch(finish.stderr, refusal);
    assertEquals(finish.stderr.split("\n").length, 2, finish.stderr);
    noStackTrace(finish.stderr);
    assertEquals(await Deno.readTextFile(token), text, what);
    await Deno.remove(token);
  }
  assertEquals(await recordsOf(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("reap: a claim whose rename fails (EIO) is named in one line; the other runs are reaped", async () => {
  const { root, del } = await makeProject();
  const working = join(root, "PKG-01_Pkg", "1_Working");
  await writeTree(working, {
    "DEL-01-03_More/_CONTEXT.md": "**DeliverableID:** DEL-01-03\n",
    "DEL-01-04_Most/_CONTEXT.md": "**DeliverableID:** DEL-01-04\n",
  });
  const dels = [del, join(working, "DEL-01-03_More"), join(working, "DEL-01-04_Most")];
  const tokens = [];
  for (const d of dels) tokens.push(await startRun(d, "R"));
  // The first run's claim fails: every rename of its pending file (-P), only there.
  const reap = await underStrace(
    ["-o", "/dev/null", "-P", tokens[0], "-e", "trace=rename", "-e", "inject=rename:error=EIO"],
    ["reap", root, "--older-than", "0s"],
    { TMPDIR: await tempDir() }, // an empty user spool: no replay's rename first
  ).output();
  const stderr = new TextDecoder().decode(reap.stderr);
  const stdout = new TextDecoder().decode(reap.stdout);
  assertEquals(reap.code, 2, stderr);
  noStackTrace(stderr);
  assertEquals(
    stderr,
    `runrec reap: ${
      tokens[0]
    }: not reaped: cannot claim it (rename: Input/output error (os error 5))\n`,
  );
  assertEquals(stdout.trim().split("\n").length, 2, stdout);
  const reaped = (await Promise.all(dels.map(recordsOf))).flat();
  assertEquals(reaped.map((r) => r.RunStatus), ["FAILED", "FAILED"]);
  // Still pending, it is reaped by the next reap.
  const again = await runCliProcess(["reap", root, "--older-than", "0s"]);
  assertEquals([again.code, again.stdout.trim().split("\n").length], [0, 1], again.stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("reap: a record written but not confirmed (fsync EIO) is said with its RunID, and replayed spool entries are said", async () => {
  const { root, del } = await makeProject();
  const file = join(del, RECORD_FILE);
  // A record spooled earlier: the record file was a folder then.
  await Deno.mkdir(file);
  const spooled = await runCliProcess(["emit", del, "--agent", "EARLIER", "--status", "SUCCESS"]);
  assertMatch(spooled.stderr, /spooled to/);
  await Deno.remove(file);
  await startRun(del, "R");
  const reap = await underStrace(
    ["-o", "/dev/null", "-P", file, "-e", "trace=fsync", "-e", "inject=fsync:error=EIO:when=2"],
    ["reap", del, "--older-than", "0s"],
    { TMPDIR: await tempDir() }, // only this folder's spool entry is replayed
  ).output();
  const stderr = new TextDecoder().decode(reap.stderr);
  const stdout = new TextDecoder().decode(reap.stdout);
  assertEquals(reap.code, 0, stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.AgentName), ["EARLIER", "R"]);
  assertMatch(stderr, new RegExp(`runrec: replayed ${records[0].RunID} from the spool\n`));
  assertMatch(stderr, /RUN-\S+ written but not confirmed/);
  assertMatch(stdout, new RegExp(`^${records[1].RunID} \\(written, not confirmed\\) \\S+ R `));
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish, finish of a lost token, reap and exec on a record file that is a FIFO or a device: spooled, no hang", async () => {
  const { root, del } = await gitProject();
  const file = join(del, RECORD_FILE);
  for (const kind of ["fifo", "device"]) {
    await Deno.remove(file).catch(() => {});
    const make = kind === "fifo" ? ["mkfifo", file] : ["mknod", file, "c", "1", "5"]; // /dev/zero
    assertEquals((await new Deno.Command(make[0], { args: make.slice(1) }).output()).code, 0);
    const run = async (args: string[]) => {
      // Bounded: a hang is this test's failure, not the suite's.
      const out = await new Deno.Command(RUNREC[0], {
        args: [...RUNREC.slice(1), ...args],
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 0, `${kind} ${args[0]}: ${stderr}`);
      assertMatch(stderr, /not a regular file\); spooled to/, `${kind} ${args[0]}`);
    };
    await run(["finish", await startRun(del, "A1"), "--status", "SUCCESS"]);
    const lost = await startRun(del, "A2");
    await Deno.remove(join(del, ".runrec"), { recursive: true });
    await run(["finish", lost, "--status", "SUCCESS", "--agent", "A2"]);
    await startRun(del, "A3");
    await run(["reap", del, "--older-than", "0s"]);
    await run(["exec", del, "--agent", "A4", "--", "true"]);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec with stderr on /dev/full exits with its command's code", async () => {
  const { root, del } = await makeProject();
  // A missing input: a note on stderr, printed before the RunID.
  for (const code of [0, 3]) {
    const exec = await new Deno.Command("sh", {
      args: [
        "-c",
        `${RUNREC_SH} exec '${del}' --agent E${code} --input NoSuch.md -- sh -c 'exit ${code}' 2>/dev/full`,
      ],
    }).output();
    assertEquals(exec.code, code);
  }
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["E0", "E3"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish racing a claim given back (a finish refused for its --status lets go): it claims the run, never says it is gone", async () => {
  const { root, del } = await makeProject();
  const token = await startRun(del, "4_DOCUMENTS");
  // This process holds the run, as a finish refused for its --status does until it lets go.
  const claim = `${token}.claim-${Deno.pid}@${Deno.hostname().replace(/[^0-9A-Za-z.-]/g, "_")}`;
  await Deno.rename(token, claim);
  // The finisher's claim (a rename of the run file) is held once it failed (the run is held),
  // and the run is given back before it looks for the holder.
  const finish = await spawnHeld([...RUNREC, "finish", token, "--status", "SUCCESS"], {
    calls: "rename",
    path: token,
    when: "1",
    afterMade: true,
  });
  await finish.made(1, "the finisher's claim of the run file");
  assertMatch(finish.trace(), /rename\("[^"]*\.json", "[^"]*\.claim-[^"]*"\) = -1 ENOENT/);
  await Deno.rename(claim, token);
  await finish.release();
  const { code, stderr } = await finish.child.output();
  const status = { code };
  const rest = new TextDecoder().decode(stderr);
  assertEquals(status.code, 0, rest);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS"]);
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish of a run started two days ago (a long session) records it: only a token whose file is gone is held to a day", async () => {
  const { root, del } = await makeProject();
  const token = await startRun(del, "4_DOCUMENTS");
  // The same run, as if `start` had been run two days ago: its id, file name and start agree.
  const run = JSON.parse(await Deno.readTextFile(token));
  const started = new Date(Date.now() - 2 * 24 * 3_600_000);
  const stamp = started.toISOString().replace(/[-:]/g, "").replace(".", "");
  run.id = `${stamp}-${run.id.split("-").at(-1)}`;
  run.start.started = started.toISOString();
  const old = join(dirname(token), `${run.id}.json`);
  await Deno.writeTextFile(old, JSON.stringify(run));
  await Deno.remove(token);
  const finish = await runCliProcess(["finish", old, "--status", "SUCCESS"]);
  assertEquals(finish.code, 0, finish.stderr);
  const [record] = await recordsOf(del);
  assertEquals(record.RunTimestamp, started.toISOString());
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish after git clean: an empty lost-run marker (an older runrec killed while writing it) does not block the token", async () => {
  const { root, del } = await gitProject();
  const token = await startRun(del, "A");
  await git(root, "clean", "-fdxq");
  const id = token.split("/").at(-1)!.replace(/\.json$/, "");
  await Deno.mkdir(join(del, ".runrec", "lost"), { recursive: true });
  await Deno.writeTextFile(join(del, ".runrec", "lost", id), "");
  const started = Date.now();
  const finish = await runCliProcess(["finish", token, "--status", "SUCCESS", "--agent", "A"]);
  assertEquals(finish.code, 0, finish.stderr);
  assert(Date.now() - started < 30_000, "it waited for a holder that does not exist");
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["A"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish whose claim rename is interrupted (EINTR) claims it again; one that fails (EIO) names the pending file, the run kept", async () => {
  const { root, del } = await makeProject();
  const interrupted = await startRun(del, "A");
  const once = underStrace(
    ["-o", "/dev/null", "-e", "trace=rename", "-e", "inject=rename:error=EINTR:when=1"],
    ["finish", interrupted, "--status", "SUCCESS"],
  );
  const [status, , stderr] = await Promise.all([
    once.status,
    once.stdout.cancel(),
    new Response(once.stderr).text(),
  ]);
  assertEquals(status.code, 0, stderr);
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["A"]);
  const failing = await startRun(del, "B");
  const eio = underStrace(
    ["-o", "/dev/null", "-e", "trace=rename", "-e", "inject=rename:error=EIO:when=1"],
    ["finish", failing, "--status", "SUCCESS"],
  );
  const [eioStatus, , eioErr] = await Promise.all([
    eio.status,
    eio.stdout.cancel(),
    new Response(eio.stderr).text(),
  ]);
  assertEquals(eioStatus.code, 2, eioErr);
  assertEquals(
    eioErr,
    `runrec finish: ${failing}: cannot claim it (rename: Input/output error (os error 5))\n`,
  );
  assertEquals(pendingFiles(del).length, 1, "the run stays pending for reap");
  await Deno.remove(root, { recursive: true });
});

Deno.test("reap whose stdout cannot be written: the run is reaped once, a warning, exit 0 (a retry finds nothing)", async () => {
  const { root, del } = await makeProject();
  for (const json of ["", " --json"]) {
    const start = await runCliProcess(["start", del, "--agent", "A", "--pid", "999999"]);
    assertEquals(start.code, 0, start.stderr);
    const full = await new Deno.Command("sh", {
      args: ["-c", `${RUNREC_SH} reap '${del}'${json} >/dev/full`],
      stdout: "null",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(full.stderr);
    assertEquals(full.code, 0, stderr);
    assertMatch(stderr, /^runrec: warning: the outcome could not be printed \(.*\)\n$/);
    assertEquals(await pendingFiles(del), []);
  }
  const again = await runCliProcess(["reap", del]);
  assertEquals(again.code, 0, again.stderr);
  assertEquals((await recordsOf(del)).length, 2, "each run reaped once");
  await Deno.remove(root, { recursive: true });
});

Deno.test("a late finish killed holding its claim on the run reap wrote FAILED: the retried finish takes the dead claim back and records the agent's outcome once (soak3 F2)", async () => {
  const { root, del } = await makeProject();
  const token = await startRun(del, "4_DOCUMENTS");
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"]);
  assertEquals(reap.code, 0, reap.stderr);
  // Killed once its claim of the reaped file is done.
  await lateFinishKilledAt(token, "rename,renameat,renameat2", "delay_exit", "killed");
  assertMatch(
    [...Deno.readDirSync(join(del, ".runrec", "reaped"))].map((e) => e.name).join(),
    /\.claim-/,
  );

  const retried = await runCliProcess([
    "finish",
    token,
    "--status",
    "SUCCESS",
    "--notes",
    "retried",
  ]);
  assertEquals(retried.code, 0, retried.stderr);
  noStackTrace(retried.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  assertMatch(records[1].Notes, /^retried.*supersedes=/);
  assertEquals([...Deno.readDirSync(join(del, ".runrec", "reaped"))], []);
  await Deno.remove(root, { recursive: true });
});

/**
 * Starts a run of 4_DOCUMENTS in `del` and reaps it, the reap killed after writing its FAILED
 * record, before it keeps the run in `reaped/`; returns the run's token.
 */
async function reapKilledBeforeKeeping(del: string): Promise<string> {
  const token = await startRun(del, "4_DOCUMENTS");
  // Every rename waits on its way in; the one into reaped/ is not done when seen.
  const reap = underStrace(
    [
      "-e",
      "trace=rename,renameat,renameat2",
      "-e",
      "inject=rename,renameat,renameat2:delay_enter=1000000",
    ],
    ["reap", del, "--older-than", "0s"],
  );
  const reader = reap.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let trace = "";
  let keep: RegExpExecArray | null = null;
  while (
    !(keep = /^(?:\[pid +)?(\d+)\]? +rename\S*\(.*\.claim-[^"]*", .*\.runrec\/reaped\//m.exec(
      trace,
    ))
  ) {
    const { value, done } = await reader.read();
    assert(!done, trace);
    trace += value;
  }
  Deno.kill(Number(keep[1]), "SIGKILL");
  await reap.status;
  await reap.stdout.cancel();
  await reader.cancel();
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED"]);
  assertMatch(pendingFiles(del).join(), /\.claim-/);
  return token;
}

Deno.test("a reap killed after writing FAILED, before keeping the run in reaped/: the agent's late finish records its outcome, superseding the FAILED record (review-r F1)", async () => {
  const { root, del } = await makeProject();
  const token = await reapKilledBeforeKeeping(del);
  const late = await runCliProcess(["finish", token, "--status", "SUCCESS", "--notes", "late"]);
  assertEquals(late.code, 0, late.stderr);
  noStackTrace(late.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  assertIncludes(records[1].Notes, `supersedes=${records[0].RunID}`);
  assertEquals(pendingFiles(del), []);
  const again = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(again.code, 2, again.stderr);
  assertMatch(again.stderr, /finished already/);
  assertEquals((await recordsOf(del)).length, 2);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a reap killed after writing FAILED, before keeping the run in reaped/: the next reap keeps it there and says so; the late finish then records the agent's outcome (review-r F1)", async () => {
  const { root, del } = await makeProject();
  const token = await reapKilledBeforeKeeping(del);
  const [failed] = await recordsOf(del);
  const reap = await runCliProcess(["reap", del]);
  assertEquals(reap.code, 0, reap.stderr);
  assertMatch(
    reap.stdout,
    new RegExp(
      `^\\(recorded already as ${failed.RunID}\\) \\S+ 4_DOCUMENTS .*: \\d+@\\S+ died holding ` +
        "the run after its FAILED record was written, before keeping it for its agent's late " +
        "finish: kept in \\.runrec/reaped/ now\\n$",
    ),
  );
  assertEquals(pendingFiles(del), []);
  assertEquals(
    [...Deno.readDirSync(join(del, ".runrec", "reaped"))].map((e) => e.name),
    [`${token.split("/").at(-1)}`],
  );
  const late = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(late.code, 0, late.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  assertIncludes(records[1].Notes, `supersedes=${failed.RunID}`);
  await Deno.remove(root, { recursive: true });
});

Deno.test("reap whose move of the run into reaped/ fails (EIO, ENOSPC): the run waits as its pending file, said; the late finish records the agent's outcome superseding the FAILED record, directly or after the next reap keeps it in reaped/ (soak4 F2)", async () => {
  for (const error of ["EIO", "ENOSPC"]) {
    for (const reapAgain of [false, true]) {
      const { root, del } = await makeProject();
      const token = await startRun(del, "4_DOCUMENTS");
      const id = token.split("/").at(-1)!.replace(/\.json$/, "");
      // Renames of the reap (an empty $TMPDIR): the claim, its marker folder's .gitignore, then
      // the move into reaped/ (-P cannot name a path that does not exist yet), which fails.
      const keep = join(del, ".runrec", "reaped", `${id}.json`);
      const reap = await underStrace(
        ["-o", "/dev/null", "-e", "trace=rename", "-e", `inject=rename:error=${error}:when=3`],
        ["reap", del, "--older-than", "0s"],
        { TMPDIR: await tempDir() },
      ).output();
      const stderr = new TextDecoder().decode(reap.stderr);
      assertEquals(reap.code, 0, stderr);
      noStackTrace(stderr);
      assertIncludes(
        stderr,
        `run ${id} not moved into ${dirname(keep)}/ (${
          error === "EIO"
            ? "Input/output error (os error 5)"
            : "No space left on device (os error 28)"
        }): it waits as ${token}, where its agent's late finish records its outcome`,
      );
      assertEquals(pendingFiles(del), [`${id}.json`]);
      const [failed] = await recordsOf(del);
      if (reapAgain) {
        const again = await runCliProcess(["reap", del]);
        assertEquals(again.code, 0, again.stderr);
        assertIncludes(
          again.stdout,
          `(recorded already as ${failed.RunID}) `,
        );
        assertIncludes(
          again.stdout,
          "its FAILED record was written by a reap that could not keep it for its agent's late " +
            "finish: kept in .runrec/reaped/ now",
        );
        assertEquals(pendingFiles(del), []);
        assertEquals([...Deno.readDirSync(dirname(keep))].map((e) => e.name), [`${id}.json`]);
      }
      const late = await runCliProcess(["finish", token, "--status", "SUCCESS", "--notes", "late"]);
      assertEquals(late.code, 0, late.stderr);
      const records = await recordsOf(del);
      assertEquals(records.map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
      assertIncludes(records[1].Notes, `supersedes=${failed.RunID}`);
      assertEquals(pendingFiles(del), []);
      const quiet = await runCliProcess(["reap", del, "--older-than", "0s"]);
      assertEquals([quiet.code, quiet.stdout], [0, ""], quiet.stderr);
      assertEquals((await recordsOf(del)).length, 2);
      await Deno.remove(root, { recursive: true });
    }
  }
});

Deno.test("a late finish of a reaped run whose file is gone (removed by hand, an older reap): exit 2 saying its only record is reap's FAILED one and how to record the outcome, never 'nothing more is needed' (soak4 F2)", async () => {
  const { root, del } = await makeProject();
  const token = await startRun(del, "4_DOCUMENTS");
  const id = token.split("/").at(-1)!.replace(/\.json$/, "");
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"]);
  assertEquals(reap.code, 0, reap.stderr);
  const [failed] = await recordsOf(del);
  await Deno.remove(join(del, ".runrec", "reaped", `${id}.json`));
  const late = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(late.code, 2, late.stderr);
  noStackTrace(late.stderr);
  assert(!late.stderr.includes("nothing more is needed"), late.stderr);
  assertIncludes(late.stderr, `its only record is the FAILED one reap wrote`);
  assertIncludes(late.stderr, "--status S ..., then runrec annotate ");
  assertIncludes(late.stderr, `--supersedes ${failed.RunID}`);
  assertEquals((await recordsOf(del)).length, 1);
  await Deno.remove(root, { recursive: true });
});

/**
 * Finishes the run `token` (reaped) late under strace, every `calls` syscall delayed on its way
 * in (`delay_enter`: killed before the call is made) or out (`delay_exit`: killed once it is
 * done), and kills the finish at its first such call on its claim of the reaped file.
 */
async function lateFinishKilledAt(
  token: string,
  calls: string,
  delay: "delay_enter" | "delay_exit",
  notes = "late",
): Promise<void> {
  const finish = underStrace(
    ["-e", `trace=${calls}`, "-e", `inject=${calls}:${delay}=1000000`],
    ["finish", token, "--status", "SUCCESS", "--notes", notes],
  );
  const reader = finish.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let trace = "";
  const read = async () => {
    const { value, done } = await reader.read();
    assert(!done, trace);
    trace += value;
  };
  // strace prints a call's start at its entry, the rest (") = 0") at its exit; with -f, a call
  // another thread interrupts ends "<unfinished ...>" there, and "<... resumed>" follows its exit.
  const call = /^(?:\[pid +)?(\d+)\]? +(\w+)\(.*reaped\/[^"]*\.claim-[^\n]*\n?/m;
  let seen: RegExpExecArray | null = null;
  const done = () => delay === "delay_enter" || seen![0].endsWith("\n");
  while (!(seen = call.exec(trace)) || !done()) await read();
  if (delay === "delay_exit" && seen[0].includes("<unfinished")) {
    const resumed = new RegExp(`^\\[pid +${seen[1]}\\] <\\.\\.\\. ${seen[2]} resumed>`, "m");
    while (!resumed.test(trace.slice(seen.index))) await read();
  }
  const finisher = Number(seen[1]);
  Deno.kill(finisher, "SIGKILL");
  finish.kill("SIGKILL"); // strace, which would sit out its delay
  await finish.status;
  await waitFor(() => !pidAlive(finisher), "the late finish gone");
  await finish.stdout.cancel();
  await reader.cancel();
}

Deno.test("reap settles a dead late finish's claim on a reaped run: removed once the agent's record is written, given back (kept in reaped/) when it is not; the agent's outcome then recorded once (soak4 F4)", async () => {
  const { root, del } = await makeProject();
  const reapedDir = join(del, ".runrec", "reaped");
  for (const written of [true, false]) {
    const token = await startRun(del, "4_DOCUMENTS");
    const id = token.split("/").at(-1)!.replace(/\.json$/, "");
    const reap = await runCliProcess(["reap", del, "--older-than", "0s"]);
    assertEquals(reap.code, 0, reap.stderr);
    const before = (await recordsOf(del)).length;
    // Killed as it removes its claim (its record written), or as it claims (nothing written).
    if (written) await lateFinishKilledAt(token, "unlink,unlinkat", "delay_enter");
    else await lateFinishKilledAt(token, "rename,renameat,renameat2", "delay_exit");
    assertMatch([...Deno.readDirSync(reapedDir)].map((e) => e.name).join(), /\.claim-/);
    const records = await recordsOf(del);
    assertEquals(records.length, before + (written ? 1 : 0));
    const settle = await runCliProcess(["reap", del, "--older-than", "0s"]);
    assertEquals(settle.code, 0, settle.stderr);
    noStackTrace(settle.stderr);
    if (written) {
      assertIncludes(settle.stdout, `(recorded already as ${records.at(-1)!.RunID}) `);
      assertIncludes(settle.stdout, "wrote its record and left its claim");
      assertEquals([...Deno.readDirSync(reapedDir)], []);
    } else {
      assertIncludes(
        settle.stdout,
        "died holding the run before its record was written: given back",
      );
      assertEquals([...Deno.readDirSync(reapedDir)].map((e) => e.name), [`${id}.json`]);
      const late = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
      assertEquals(late.code, 0, late.stderr);
      assertEquals([...Deno.readDirSync(reapedDir)], []);
    }
    const now = await recordsOf(del);
    assertEquals(now.slice(before - 1).map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
    assertIncludes(now.at(-1)!.Notes, `supersedes=${now[before - 1].RunID}`);
  }
  await Deno.remove(root, { recursive: true });
});

/**
 * A rewriter as git's checkout is one (a process of its own): it unlinks `file`, creates it anew
 * (`at: "empty"`) or not yet (`"missing"`), says so, and writes `saved`'s bytes once told to.
 */
async function heldRewrite(
  file: string,
  saved: string,
  at: "missing" | "empty",
): Promise<{ release: () => Promise<void> }> {
  const rewriter = new Deno.Command("sh", {
    args: [
      "-c",
      'rm -f "$1"; if [ "$3" = empty ]; then : > "$1"; fi; echo held; read go; cat "$2" > "$1"',
      "sh",
      file,
      saved,
      at,
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const said = await firstLine(rewriter.stdout);
  assertEquals(said, "held");
  return {
    release: async () => {
      const writer = rewriter.stdin.getWriter();
      await writer.write(new TextEncoder().encode("go\n"));
      await writer.close();
      assertEquals((await rewriter.status).code, 0);
    },
  };
}

Deno.test("finish of a recorded run while another program rewrites RunRecords.csv (unlink, create, write), held between the steps: finished already, never an emit's advice; with --agent nothing written (race-37 F2)", async () => {
  const { del, env } = await isolatedProject();
  const file = join(del, RECORD_FILE);
  const saved = join(dirname(del), "saved.csv");
  for (const at of ["missing", "empty"] as const) {
    for (const agent of [[], ["--agent", "DEPENDENCIES"]]) {
      const start = await runCliProcess(["start", del, "--agent", "DEPENDENCIES"], undefined, env);
      const token = start.stdout.trim();
      const first = await runCliProcess(["finish", token, "--status", "SUCCESS"], undefined, env);
      assertEquals(first.code, 0, first.stderr);
      const runId = first.stdout.trim();
      await Deno.copyFile(file, saved);
      const rewrite = await heldRewrite(file, saved, at);
      const again = await runCliProcess(
        ["finish", token, "--status", "SUCCESS", ...agent],
        undefined,
        env,
      );
      await rewrite.release();
      const said = `${at} ${agent.join(" ")}: ${again.code} ${again.stdout}${again.stderr}`;
      assertEquals(again.code, 2, said);
      assertEquals(again.stdout, "", said);
      assertMatch(again.stderr, /^runrec finish: [^\n]*finished already[^\n]*\n$/, said);
      assertIncludes(again.stderr, runId, said);
      assert(!again.stderr.includes("runrec emit"), said);
      // The way to tell a record git dropped from one removed by hand, once git is done.
      assertIncludes(again.stderr, "runrec flush", said);
      // Nothing spooled either: a flush appends nothing.
      const flush = await runCliProcess(["flush", del], undefined, env);
      assertEquals(flush.code, 0, flush.stderr);
      const records = await recordsOf(del);
      assertEquals(
        records.filter((r) => r.Notes.includes(token.match(/([^/]+)\.json$/)![1])).length,
        1,
        said,
      );
    }
  }
  assertEquals((await runCliProcess(["verify", del], undefined, env)).code, 0);
  await Deno.remove(dirname(dirname(dirname(del))), { recursive: true });
});

Deno.test("a late finish retried while git keeps its record in a stash: finished already (its journal says), not 'its only record is reap's FAILED one' with an emit that would record the outcome twice once the stash is popped (review-39b F2)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  const token = await startRun(del, "4_DOCUMENTS");
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"]);
  assertEquals(reap.code, 0, reap.stderr);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "reaped");
  const late = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(late.code, 0, late.stderr);
  const outcome = late.stdout.trim();
  // git stash takes the late finish's record (the file as committed holds reap's only); the
  // agent, its first answer lost, finishes again.
  await git(root, "stash", "-q");
  const again = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(again.code, 2, again.stderr);
  noStackTrace(again.stderr);
  assertIncludes(again.stderr, "finished already");
  assertIncludes(again.stderr, `its record is ${outcome}`);
  assertIncludes(again.stderr, "git stash pop brings it back");
  assert(!again.stderr.includes("runrec emit"), again.stderr);
  await git(root, "stash", "pop", "-q");
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  await Deno.remove(root, { recursive: true });
});

/** `word` as the shell reads it: one word `shellWord` quoted, or as it is. */
function unquoted(word: string): string {
  return word.startsWith("'") ? word.slice(1, -1).replaceAll(`'\\''`, "'") : word;
}

Deno.test("a late finish of a reaped run whose FAILED record a git stash holds (its run file gone): says the record is out of the file, not in it, and its commands, run in their order as written, bring it back, record the outcome and supersede reap's record (small-40 F4)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  const emitted = await runCliProcess(["emit", del, "--agent", "2_SPEC", "--status", "SUCCESS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "a run");
  const token = await startRun(del, "4_DOCUMENTS");
  const id = token.split("/").at(-1)!.replace(/\.json$/, "");
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"]);
  assertEquals(reap.code, 0, reap.stderr);
  const failed = (await recordsOf(del)).at(-1)!;
  assertEquals(failed.RunStatus, "FAILED");
  await Deno.remove(join(del, ".runrec", "reaped", `${id}.json`)); // as an older runrec's reap
  await git(root, "stash", "-q");
  const late = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(late.code, 2, late.stderr);
  noStackTrace(late.stderr);
  assert(!late.stderr.includes(`${failed.RunID} in `), late.stderr);
  assertIncludes(late.stderr, `${failed.RunID}, appended to ${join(del, RECORD_FILE)} at `);
  assertIncludes(late.stderr, "which the file as read now lacks");
  const said = late.stderr.match(
    /bring \S+ back first \((git stash pop), when a stash holds it; .*then runrec emit (\S+) --agent (\S+) --status S \.\.\., then runrec annotate (\S+) <the new RunID> --supersedes (\S+) --note "([^"]+)"/,
  );
  assert(said !== null, late.stderr);
  const [, pop, emitAt, agent, annotateAt, supersedes, note] = said;
  await git(root, ...pop.split(" ").slice(1));
  const outcome = await runCliProcess(
    ["emit", unquoted(emitAt), "--agent", agent, "--status", "SUCCESS"],
  );
  assertEquals(outcome.code, 0, outcome.stderr);
  const annotated = await runCliProcess([
    ...["annotate", unquoted(annotateAt), outcome.stdout.trim(), "--supersedes", supersedes],
    ...["--note", note],
  ]);
  assertEquals(annotated.code, 0, annotated.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.RunStatus), ["SUCCESS", "FAILED", "SUCCESS", "SKIPPED"]);
  assertEquals(records[1].RunID, failed.RunID);
  await Deno.remove(root, { recursive: true });
});

Deno.test("show of a RunID whose record a git stash holds, or git dropped: says so and what brings it back, not 'not found' alone, and that command, run as written, brings it back (small-40 F5)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  const emit = async (agent: string) => {
    const emitted = await runCliProcess(["emit", del, "--agent", agent, "--status", "SUCCESS"]);
    assertEquals(emitted.code, 0, emitted.stderr);
    return emitted.stdout.trim();
  };
  await emit("FIRST");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "a run");
  const show = (runId: string) => runCliProcess(["show", del, runId]);
  // A stash holds it: git stash pop.
  const stashed = await emit("STASHED");
  await git(root, "stash", "-q");
  const held = await show(stashed);
  assertEquals(held.code, 1, held.stderr);
  noStackTrace(held.stderr);
  assertIncludes(held.stderr, `${stashed} not found in ${join(del, RECORD_FILE)}, to which its `);
  assertIncludes(held.stderr, "a git stash holds it (git stash pop brings it back)");
  await git(root, "stash", "pop", "-q");
  assertEquals((await show(stashed)).code, 0);
  await git(root, "commit", "-qam", "the stashed run");
  // git dropped it (a checkout of the file): runrec flush DIR.
  const dropped = await emit("DROPPED");
  await git(root, "checkout", "--", join(del, RECORD_FILE));
  const gone = await show(dropped);
  assertEquals(gone.code, 1, gone.stderr);
  const flush = /git dropped it \(a checkout, pull or reset: (runrec flush (\S+)) puts it back\)/
    .exec(gone.stderr);
  assert(flush !== null, gone.stderr);
  const flushed = await runCliProcess(["flush", unquoted(flush[2])]);
  assertEquals(flushed.code, 0, flushed.stderr);
  assertEquals((await show(dropped)).code, 0);
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["FIRST", "STASHED", "DROPPED"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a finish retried after a checkout of another branch than the one its record was appended and committed on: finished already, nothing more needed, not an advice to record the run again once flush and log find nothing (review-40 F3)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "first");
  await git(root, "checkout", "-q", "-b", "feature");
  const token = await startRun(del, "4_DOCUMENTS");
  const finished = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(finished.code, 0, finished.stderr);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "a run on feature");
  await git(root, "checkout", "-q", "main");
  const again = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(again.code, 2, again.stderr);
  noStackTrace(again.stderr);
  assertIncludes(again.stderr, `finished already: its record is ${finished.stdout.trim()}`);
  assertIncludes(again.stderr, "a branch or stash holds (git says)");
  // Before: "… only then may the run be recorded again", which main then did, and a merge of
  // feature held the run twice.
  assertIncludes(again.stderr, "nothing more is needed");
  assert(!again.stderr.includes("recorded again"), again.stderr);
  await Deno.remove(root, { recursive: true });
});
