/**
 * `runrec finish` given a token that is not its current run's: one character
 * mistyped, the old path of a folder that moved (and came back), or the
 * agent's previous, finished run. The finish refuses (exit 2) naming the run
 * pending with its token, writes nothing, and the run is recorded once when
 * finished with that token. Also a finish by folder repeated (its run recorded
 * already: never the advice to emit it), and a token mangled in a copy.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/finish_wrong_token_test.ts
 * ```
 *
 * @module
 */
import { basename, dirname, join, relative } from "node:path";
import { assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { RETRY_NOT_BEFORE_MS } from "../src/retried_start.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { runCliProcess } from "./cli.ts";
import { git, makeProject, sampleDraft, tempDir } from "./fixtures.ts";
import { pendingFiles, recordsOf, RUNREC } from "./support/runs.ts";
import { spawnHeld } from "./support/held.ts";
import { sh } from "./support/read_only.ts";

/** A project committed in git, and a private `$TMPDIR` (its user spool is the test's own). */
async function committedProject(): Promise<{ root: string; del: string; env: { TMPDIR: string } }> {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  return { root, del, env: { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) } };
}

async function start(
  del: string,
  env: Record<string, string>,
  ...more: string[]
): Promise<string> {
  const started = await runCliProcess(
    ["start", del, "--agent", "4_DOCUMENTS", "--input", "Datasheet.md", ...more],
    FULL_FLAGS,
    env,
  );
  assertEquals(started.code, 0, started.stderr);
  return started.stdout.trim();
}

/** `text` as a regular expression matching it literally. */
function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function finish(token: string, env: Record<string, string>, status = "SUCCESS") {
  return runCliProcess(
    ["finish", token, "--agent", "4_DOCUMENTS", "--status", status],
    FULL_FLAGS,
    env,
  );
}

Deno.test("finish with a token mistyped (one hex digit doubled, the last dropped): exit 2 naming the pending run's token, nothing written; that token records the run once", async () => {
  const { root, del, env } = await committedProject();
  const token = await start(del, env);
  for (
    const typo of [
      token.replace(/Z-([0-9a-f])/, "Z-$1$1").replace(/[0-9a-f]\.json$/, ".json"), // random part
      token.replace(/([0-9])Z-/, (_, d) => `${(Number(d) + 1) % 10}Z-`), // start time
    ]
  ) {
    const wrong = await finish(typo, env);
    assertEquals(wrong.code, 2, wrong.stderr);
    assertIncludes(wrong.stderr, `runrec finish ${token} `);
    assertEquals(wrong.stderr.trim().split("\n").length, 1, wrong.stderr);
    assertEquals(await recordsOf(del), []);
    assertEquals(pendingFiles(del), [basename(token)]);
  }
  assertEquals((await finish(token, env)).code, 0);
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.RunStatus, r.InputFiles]), [["SUCCESS", ["Datasheet.md"]]]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish with the token of a folder renamed during the run whose old path came back (git checkout): exit 2 naming the run's token in the renamed folder, never a second record", async () => {
  const { root, del, env } = await committedProject();
  const token = await start(del, env);
  const renamed = join(del, "..", "DEL-01-02_Renamed");
  await git(root, "mv", del, renamed); // the folder, its .runrec/ with it
  await git(root, "checkout", "-q", "HEAD", "--", del); // the old folder is back, without the run
  const wrong = await finish(token, env);
  assertEquals(wrong.code, 2, wrong.stderr);
  const moved = join(renamed, ".runrec", "pending", basename(token));
  assertIncludes(wrong.stderr, `runrec finish ${moved} `);
  assertEquals(await recordsOf(del), []);
  assertEquals((await finish(moved, env)).code, 0);
  const reap = await runCliProcess(["reap", root, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals(await recordsOf(del), []);
  assertEquals((await recordsOf(renamed)).map((r) => r.RunStatus), ["SUCCESS"]);
  await Deno.remove(root, { recursive: true });
});

/**
 * A project whose deliverable has a neighbour, DEL-01-03_Other (in a git repository with one
 * commit when `committed`), and a `$TMPDIR` of the test's own.
 */
async function projectWithNeighbour({ committed }: { committed: boolean }) {
  const { root, del } = await makeProject();
  const other = join(dirname(del), "DEL-01-03_Other");
  await Deno.mkdir(other);
  await Deno.writeTextFile(join(other, "_CONTEXT.md"), "**DeliverableID:** DEL-01-03\n");
  if (committed) {
    await git(root, "init", "-q");
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "base");
  }
  return { root, del, other, env: { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) } };
}

Deno.test("finish with the run's token given with another deliverable's folder: exit 2 naming the run where it is pending, never a record in the other one", async () => {
  const { root, del, other, env } = await projectWithNeighbour({ committed: true });
  const token = await start(del, env);
  const wrong = await finish(token.replace(del, other), env);
  assertEquals(wrong.code, 2, wrong.stderr);
  assertIncludes(wrong.stderr, `runrec finish ${token} `);
  assertEquals(await recordsOf(other), []);
  assertEquals((await finish(token, env)).code, 0);
  const reap = await runCliProcess(["reap", root, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS"]);
  assertEquals(await recordsOf(other), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish with the agent's previous, finished token while its current run is pending: exit 2 naming the current run's token, not 'nothing more is needed'; a retried finish is not sent to a run started before it ended", async () => {
  const { root, del, env } = await committedProject();
  const first = await start(del, env);
  assertEquals((await finish(first, env)).code, 0);
  const second = await start(del, env);
  const stale = await finish(first, env, "PARTIAL");
  assertEquals(stale.code, 2, stale.stderr);
  assertIncludes(stale.stderr, `runrec finish ${second} `);
  assertEquals(stale.stderr.includes("nothing more is needed"), false, stale.stderr);
  assertEquals((await finish(second, env, "PARTIAL")).code, 0);
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS", "PARTIAL"]);
  // With no other run pending, the same stale finish says its status is not the record's.
  const again = await finish(first, env, "PARTIAL");
  assertEquals(again.code, 2);
  assertIncludes(again.stderr, "this finish's PARTIAL differs from the recorded SUCCESS");
  // Two instances of the agent: the first retries its finish (its answer lost). The other
  // instance's run, started before the first ended, is not offered for this outcome.
  const mine = await start(del, env);
  const theirs = await start(del, env);
  assertEquals((await finish(mine, env)).code, 0);
  const retried = await finish(mine, env);
  assertEquals(retried.code, 2);
  assertIncludes(retried.stderr, "nothing more is needed");
  assertEquals(retried.stderr.includes(theirs), false, retried.stderr);
  assertEquals((await finish(theirs, env)).code, 0);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), [
    "SUCCESS",
    "PARTIAL",
    "SUCCESS",
    "SUCCESS",
  ]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <another deliverable's folder> --run ID (the run pending in its own): exit 2 naming where it is pending and the finish that records it there, not emit; nothing written; that finish records it once", async () => {
  const { root, del, other, env } = await projectWithNeighbour({ committed: true });
  const id = basename(await start(del, env), ".json");
  const cwd = dirname(del); // the agent's folder: the folders named as it would type them
  const finishIn = (folder: string, ...more: string[]) =>
    runCliProcess(
      ["finish", folder, ...more, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
      FULL_FLAGS,
      env,
      cwd,
    );
  const wrong = await finishIn("DEL-01-03_Other", "--run", id);
  assertEquals(wrong.code, 2, wrong.stderr);
  assertEquals(wrong.stderr.trim().split("\n").length, 1, wrong.stderr);
  assertIncludes(wrong.stderr, `is pending in DEL-01-02 (DEL-01-02_Thing)`);
  assertIncludes(wrong.stderr, `runrec finish DEL-01-02_Thing --run ${id} `);
  assertEquals(wrong.stderr.includes("runrec emit"), false, wrong.stderr);
  assertEquals(await recordsOf(other), []);
  assertEquals(pendingFiles(del), [`${id}.json`]);
  assertEquals((await finishIn("DEL-01-02_Thing", "--run", id)).code, 0);
  const reap = await runCliProcess(["reap", root, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS"]);
  assertEquals(await recordsOf(other), []);
  // Pending nowhere (finished): the hint to record it with emit stays.
  const gone = await finishIn("DEL-01-03_Other", "--run", id);
  assertEquals(gone.code, 2, gone.stderr);
  assertIncludes(gone.stderr, "runrec emit");
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <another deliverable's folder> --run <the RunID reap gave its run>: exit 2 naming the finish in its own folder; that finish records the late outcome there", async () => {
  const { root, del, other, env } = await projectWithNeighbour({ committed: false });
  const id = basename(await start(del, env), ".json");
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  const [reaped] = await recordsOf(del);
  const cwd = dirname(del);
  const wrong = await runCliProcess(
    ["finish", "DEL-01-03_Other", "--run", reaped.RunID, "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
    cwd,
  );
  assertEquals(wrong.code, 2, wrong.stderr);
  assertIncludes(wrong.stderr, `runrec finish DEL-01-02_Thing --run ${id} `);
  assertEquals(await recordsOf(other), []);
  const right = await runCliProcess(
    ["finish", "DEL-01-02_Thing", "--run", id, "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
    cwd,
  );
  assertEquals(right.code, 0, right.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <del-dir> --agent A repeated after its finish (trial-q F1): exit 2 'finished already' naming the record, not emit; --run <its RunID> or <its id> the same; nothing written", async () => {
  const { root, del, env } = await committedProject();
  const id = basename(await start(del, env), ".json");
  const finishBy = (...named: string[]) =>
    runCliProcess(
      ["finish", del, ...named, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
      FULL_FLAGS,
      env,
    );
  const first = await finishBy();
  assertEquals(first.code, 0, first.stderr);
  const runId = first.stdout.trim();
  const file = join(del, RECORD_FILE);
  const again = await finishBy();
  assertEquals(again.code, 2, again.stderr);
  assertMatch(
    again.stderr,
    new RegExp(
      `^runrec finish: ${escaped(del)}: no pending run of 4_DOCUMENTS: its last run here, ${id} ` +
        `\\(started \\S+, ended \\S+\\), finished already \\(runrec log says\\): its record is ` +
        `${runId} in ${escaped(file)}; nothing written, nothing more is needed \\(an emit would ` +
        "record the run twice\\)\n$",
    ),
  );
  const byRunId = await finishBy("--run", runId);
  assertEquals(byRunId.code, 2, byRunId.stderr);
  assertEquals(
    byRunId.stderr,
    `runrec finish: --run ${runId}: recorded already as that RunID in ${file} (4_DOCUMENTS, ` +
      "SUCCESS); nothing written, nothing more is needed (an emit would record the run twice)\n",
  );
  const byId = await finishBy("--run", id);
  assertEquals(byId.code, 2, byId.stderr);
  assertIncludes(byId.stderr, `no pending run ${id}: finished already (runrec log says)`);
  assertIncludes(byId.stderr, "nothing more is needed");
  for (const out of [again, byRunId, byId]) {
    assertEquals(out.stderr.includes("runrec emit"), false, out.stderr);
  }
  // Another agent with no run here, and a run of this agent recorded two hours ago: emit is
  // the advice (a run whose start printed no token).
  const other = await runCliProcess(
    ["finish", del, "--agent", "DEPENDENCIES", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(other.code, 2, other.stderr);
  assertIncludes(other.stderr, "runrec emit");
  assertEquals((await recordsOf(del)).map((r) => r.RunID), [runId]);
  const old = await committedProject();
  const started = new Date(Date.now() - 2 * 3_600_000).toISOString();
  const oldId = `${started.replace(/[-:.]/g, "")}-0123abcd`;
  await appendRecord(
    join(old.del, RECORD_FILE),
    sampleDraft({ RunTimestamp: started, RunDuration: "PT1M", Notes: `run ${oldId}` }),
  );
  const finishOld = () =>
    runCliProcess(
      ["finish", old.del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
      FULL_FLAGS,
      old.env,
    );
  const late = await finishOld();
  assertEquals(late.code, 2, late.stderr);
  assertIncludes(late.stderr, "runrec emit");
  // A record as this finish would write it (SUCCESS, no outputs), ended a minute ago: finished
  // already.
  const recent = new Date(Date.now() - 120_000).toISOString();
  const recentId = `${recent.replace(/[-:.]/g, "")}-4567cdef`;
  await appendRecord(
    join(old.del, RECORD_FILE),
    sampleDraft({
      RunTimestamp: recent,
      RunDuration: "PT1M",
      Notes: `run ${recentId}`,
      OutputFiles: [],
      OutputHashes: {},
    }),
  );
  const retried = await finishOld();
  assertEquals(retried.code, 2, retried.stderr);
  assertIncludes(retried.stderr, `its last run here, ${recentId} `);
  assertEquals(retried.stderr.includes("runrec emit"), false, retried.stderr);
  await Deno.remove(root, { recursive: true });
  await Deno.remove(old.root, { recursive: true });
});

Deno.test("finish <del-dir> --agent A retried while the first finish still holds the run (trial-q F1): waits for it, then exit 2 'finished already', not emit", async () => {
  const { root, del, env } = await committedProject();
  const token = await start(del, env);
  const copy = await Deno.readTextFile(token);
  const first = await finish(token, env);
  assertEquals(first.code, 0, first.stderr);
  // The first finish as the retry sees it: its claim on the run, held by a live process.
  const holder = new Deno.Command("sleep", { args: ["30"] }).spawn();
  const claim = `${token}.claim-${holder.pid}@${Deno.hostname().replace(/[^0-9A-Za-z.-]/g, "_")}`;
  await Deno.writeTextFile(claim, copy);
  // Stopped after its second try to claim the run (a rename of its file): it found the run held
  // and waited, rather than a fixed time having passed.
  const retry = await spawnHeld(
    [...RUNREC, "finish", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    {
      calls: "rename,renameat,renameat2",
      path: token,
      when: "2",
      byStop: true,
      env: { NO_COLOR: "1", ...env },
    },
  );
  await retry.held(2, "the retry tried to claim the run twice");
  await Deno.remove(claim); // the first finish done: its record written, its claim removed
  holder.kill();
  await holder.status;
  await retry.release();
  const output = await retry.child.output();
  await retry.ended();
  const out = { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
  assertEquals(out.code, 2, out.stderr);
  assertIncludes(
    out.stderr,
    `finished already (runrec log says): its record is ${first.stdout.trim()}`,
  );
  assertEquals(out.stderr.includes("runrec emit"), false, out.stderr);
  assertEquals((await recordsOf(del)).length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish with a token as agents mangle it (trial-q F5): its id alone or its path without .json exit 2 'not a run token' with the finish that works; a space copied after it is dropped", async () => {
  const { root, del, env } = await committedProject();
  const token = await start(del, env);
  const id = basename(token, ".json");
  const bare = await finish(id, env);
  assertEquals(bare.code, 2, bare.stderr);
  assertEquals(
    bare.stderr,
    `runrec finish: ${id}: not a run token: runrec start prints <del-dir>/.runrec/pending/` +
      `<id>.json, the whole path; a run's id goes with its folder: runrec finish <del-dir> ` +
      `--run ${id} ...\n`,
  );
  const noJson = await finish(token.slice(0, -".json".length), env);
  assertEquals(noJson.code, 2, noJson.stderr);
  assertIncludes(noJson.stderr, `: not a run token: runrec start prints `);
  assertIncludes(noJson.stderr, `runrec finish ${del} --run ${id} ...`);
  assertEquals(pendingFiles(del), [`${id}.json`]);
  const spaced = await finish(`${token} `, env);
  assertEquals(spaced.code, 0, spaced.stderr);
  assertEquals(pendingFiles(del), []);
  assertEquals((await recordsOf(del)).map((r) => r.RunID), [spaced.stdout.trim()]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <del-dir>/.runrec/pending --agent A (a token cut at its folder) while the run is pending there: exit 2 'not a run token' with the finish that works, naming the run, not an emit into .runrec/pending (review-r F8)", async () => {
  const { root, del, env } = await committedProject();
  const id = basename(await start(del, env), ".json");
  for (const cut of [`${del}/.runrec/pending`, `${del}/.runrec/pending/`]) {
    const refused = await finish(cut, env);
    assertEquals(refused.code, 2, refused.stderr);
    assertEquals(refused.stderr.includes("runrec emit"), false, refused.stderr);
    assertIncludes(refused.stderr, `${cut}: not a run token: runrec start prints `);
    assertIncludes(refused.stderr, `runrec finish ${del} --run ${id} ...; pending there: ${id} `);
  }
  assertEquals(pendingFiles(del), [`${id}.json`]);
  const byId = await runCliProcess(
    ["finish", del, "--run", id, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(byId.code, 0, byId.stderr);
  assertEquals((await recordsOf(del)).length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish with a token in literal quotes (as a JSON tool call passes it): the quotes are dropped and the run recorded once; a quoted id-less path gets the right folder and id (review-r F8)", async () => {
  const { root, del, env } = await committedProject();
  const token = await start(del, env);
  const id = basename(token, ".json");
  const mangled = await finish(`'${token.slice(0, -".json".length)}'`, env);
  assertEquals(mangled.code, 2, mangled.stderr);
  assertIncludes(mangled.stderr, `runrec finish ${del} --run ${id} ...`);
  const quoted = await finish(`'${token}'`, env);
  assertEquals(quoted.code, 0, quoted.stderr);
  assertEquals(pendingFiles(del), []);
  const second = await start(del, env);
  const doubly = await finish(` "${second}" `, env);
  assertEquals(doubly.code, 0, doubly.stderr);
  assertEquals(pendingFiles(del), []);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.RunID), [quoted.stdout.trim(), doubly.stdout.trim()]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <del-dir> --agent A while A's reaped run waits for its late finish, a later run of A recorded: exit 2 naming the reaped run (--run), not 'finished already'; --run records it (review-r F2)", async () => {
  const { root, del, env } = await committedProject();
  const reapedId = basename(await start(del, env), ".json");
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  // Another pass: a second start of the same, over a second later on a busy machine, would read
  // as a retry of the first (retried_start.ts), whose reaped twin is then its run's. Waited so.
  await new Promise((resolve) => setTimeout(resolve, RETRY_NOT_BEFORE_MS));
  const later = await finish(await start(del, env, "--pass", "P2"), env);
  assertEquals(later.code, 0, later.stderr);
  const byFolder = () =>
    runCliProcess(
      ["finish", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
      FULL_FLAGS,
      env,
    );
  const late = await byFolder();
  assertEquals(late.code, 2, late.stderr);
  assertIncludes(late.stderr, `reap wrote ${reapedId} (4_DOCUMENTS, since `);
  assertIncludes(late.stderr, "to finish one all the same, name it with --run");
  assertEquals(late.stderr.includes("finished already (runrec log says)"), false, late.stderr);
  const named = await runCliProcess(
    ["finish", del, "--run", reapedId, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(named.code, 0, named.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED", "SUCCESS", "SUCCESS"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <del-dir> --agent A after A's run is recorded: 'finished already' only for a finish that repeats it (same status and --error, same outputs unchanged, within 10 minutes); else the advice to emit, naming that record (review-r F3)", async () => {
  const { root, del, env } = await committedProject();
  const id = basename(await start(del, env), ".json");
  const byFolder = (status: string, ...more: string[]) =>
    runCliProcess(
      ["finish", del, "--agent", "4_DOCUMENTS", "--status", status, ...more],
      FULL_FLAGS,
      env,
    );
  const first = await runCliProcess(
    [
      ...["finish", join(del, ".runrec", "pending", `${id}.json`), "--agent", "4_DOCUMENTS"],
      ...["--status", "FAILED", "--error", "tool crashed", "--output", "Datasheet.md"],
    ],
    FULL_FLAGS,
    env,
  );
  assertEquals(first.code, 0, first.stderr);
  const runId = first.stdout.trim();
  const repeated = "finished already (runrec log says)";
  const notRepeated = async (why: string, status: string, ...more: string[]) => {
    const out = await byFolder(status, ...more);
    assertEquals(out.code, 2, out.stderr);
    assertIncludes(out.stderr, `; 4_DOCUMENTS's last run here, ${runId}, ended `);
    assertIncludes(out.stderr, `(${why}): if this repeats its finish, nothing more is needed; `);
    assertIncludes(out.stderr, "runrec emit");
    assertEquals(out.stderr.includes(repeated), false, out.stderr);
  };
  await notRepeated(
    "recorded FAILED, this finish says SUCCESS",
    "SUCCESS",
    "--output",
    "Datasheet.md",
  );
  await notRepeated(
    "recorded with another --error",
    "FAILED",
    ...["--error", "out of memory", "--output", "Datasheet.md"],
  );
  await notRepeated("its outputs: Datasheet.md; this finish names: none", "FAILED");
  // The repeat: the same outcome, the output as recorded; --error left out is no difference.
  for (const more of [["--error", "tool crashed"], []]) {
    const again = await byFolder("FAILED", ...more, "--output", "Datasheet.md");
    assertEquals(again.code, 2, again.stderr);
    assertIncludes(again.stderr, `${repeated}: its record is ${runId}`);
    assertEquals(again.stderr.includes("runrec emit"), false, again.stderr);
  }
  await Deno.writeTextFile(join(del, "Datasheet.md"), "# Datasheet\n\nchanged since\n");
  await notRepeated(
    "changed since: Datasheet.md",
    "FAILED",
    ...["--error", "tool crashed", "--output", "Datasheet.md"],
  );
  assertEquals((await recordsOf(del)).map((r) => r.RunID), [runId]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <del-dir> --agent A whose record like it ended eleven minutes ago: no retry of it, the advice to emit naming it (review-r F3)", async () => {
  const { root, del, env } = await committedProject();
  const started = new Date(Date.now() - 12 * 60_000).toISOString();
  const oldId = `${started.replace(/[-:.]/g, "")}-89abcdef`;
  await appendRecord(
    join(del, RECORD_FILE),
    sampleDraft({
      RunTimestamp: started,
      RunDuration: "PT1M",
      Notes: `run ${oldId}`,
      OutputFiles: [],
      OutputHashes: {},
    }),
  );
  const old = await runCliProcess(
    ["finish", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(old.code, 2, old.stderr);
  assertIncludes(old.stderr, "(more than 10 minutes ago): if this repeats its finish");
  assertIncludes(old.stderr, "runrec emit");
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish given start's stdout and stderr together, one of its runrec: lines, or a RunID for a token: exit 2 in one line saying what was given and naming the token; nothing written (trial-r F2)", async () => {
  const { root, del, env } = await committedProject();
  const token = await start(del, env);
  const note = "runrec: note: _REFERENCES.md line 9: external URL https://x.example not hashed";
  const finish = (given: string) =>
    runCliProcess(
      ["finish", given, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
      FULL_FLAGS,
      env,
      root,
    );
  // `start 2>&1`, as agent harnesses capture it: the token line among runrec's lines.
  const both = await finish(`${token}\n${note}\n`);
  assertEquals(both.code, 2);
  assertEquals(
    both.stderr,
    "runrec finish: <token>: not a run token: it holds runrec's stderr lines; the token is the " +
      `one line runrec start printed on stdout: ${token}\n`,
  );
  const noteOnly = await finish(note);
  assertEquals(noteOnly.code, 2);
  assertEquals(
    noteOnly.stderr,
    `runrec finish: ${note}: not a run token: a line of runrec's stderr; the token is the one ` +
      "line runrec start printed on stdout\n",
  );
  // Another agent's RunID: where it is recorded, and this agent's run pending there.
  await appendRecord(join(del, RECORD_FILE), sampleDraft({ AgentName: "DEPENDENCIES" }), {
    fsync: false,
  });
  const [recorded] = await recordsOf(del);
  const runId = await finish(recorded.RunID);
  assertEquals(runId.code, 2);
  assertEquals(runId.stderr.split("\n").length, 2, "one line");
  assertMatch(
    runId.stderr,
    new RegExp(
      `^runrec finish: ${recorded.RunID}: a RunID, not a run token: recorded already in ` +
        `PKG-01_Pkg/1_Working/DEL-01-02_Thing/${RECORD_FILE} \\(DEPENDENCIES, SUCCESS\\); nothing ` +
        `written; pending there: 4_DOCUMENTS since [^:]+:[^:]+:[^:]+: runrec finish ${token} --status S \\.\\.\\.\\n$`,
    ),
  );
  const unknown = await finish("RUN-DEL-09-09-20260101-0000-001");
  assertEquals(unknown.code, 2);
  assertIncludes(unknown.stderr, "a RunID, not a run token: no record of it here; the token is");
  // Outside any execution root nothing is searched (from / it would be every folder).
  const outside = await runCliProcess(
    ["finish", recorded.RunID, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
    dirname(root),
  );
  assertEquals(outside.code, 2);
  assertIncludes(outside.stderr, "a RunID, not a run token: no record of it here");
  assertEquals((await recordsOf(del)).length, 1);
  assertEquals(pendingFiles(del), [basename(token)]);
  // The token itself finishes the run.
  assertEquals((await finish(token)).code, 0);
});

Deno.test("finish <del-dir> --status S without --agent (as start --help offers), retried: exit 2 'finished already' naming the folder's last run and its agent, not emit; a finish unlike it names that run (review-s F6)", async () => {
  const { root, del, env } = await committedProject();
  const id = basename(await start(del, env), ".json");
  const byFolder = (status: string) =>
    runCliProcess(["finish", del, "--status", status], FULL_FLAGS, env);
  const first = await byFolder("SUCCESS");
  assertEquals(first.code, 0, first.stderr);
  const runId = first.stdout.trim();
  const again = await byFolder("SUCCESS");
  assertEquals(again.code, 2, again.stderr);
  assertIncludes(
    again.stderr,
    `${del}: no pending run: the last run here, ${id} (4_DOCUMENTS, started `,
  );
  assertIncludes(
    again.stderr,
    `finished already (runrec log says): its record is ${runId} in ${join(del, RECORD_FILE)}; ` +
      "nothing written, nothing more is needed (an emit would record the run twice); if this " +
      "finish is of another agent's run, not 4_DOCUMENTS's, name that agent: runrec finish ",
  );
  assertEquals(again.stderr.includes("runrec emit"), false, again.stderr);
  const unlike = await byFolder("FAILED");
  assertEquals(unlike.code, 2, unlike.stderr);
  assertIncludes(
    unlike.stderr,
    `; the last run here, ${runId} of 4_DOCUMENTS, ended `,
  );
  assertIncludes(unlike.stderr, "(recorded SUCCESS, this finish says FAILED): if this repeats");
  assertEquals((await recordsOf(del)).map((r) => r.RunID), [runId]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <del-dir> --agent A retried after its first finish spooled the record (RunRecords.csv not writable): exit 2 'finished already: its record waits in the spool', not emit; the flush records the run once (review-s F1)", async () => {
  const { root, del, env } = await committedProject();
  const id = basename(await start(del, env), ".json");
  const file = join(del, RECORD_FILE);
  await Deno.writeTextFile(file, "");
  const byFolder = () =>
    runCliProcess(
      ["finish", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
      FULL_FLAGS,
      env,
    );
  await sh("mount", "--bind", "-o", "ro", file, file);
  let first, again;
  try {
    first = await byFolder();
    again = await byFolder();
  } finally {
    await sh("umount", file);
  }
  assertEquals(first.code, 0, first.stderr);
  assertIncludes(first.stderr, "record not written");
  assertEquals(again.code, 2, again.stderr);
  assertIncludes(
    again.stderr,
    `no pending run of 4_DOCUMENTS: its last run here, ${id} (started `,
  );
  assertMatch(
    again.stderr,
    new RegExp(
      `finished already: its record waits in the spool, ${escaped(del)}/\\.runrec-spool/\\S+` +
        `\\.json: runrec flush ${escaped(del)} appends it; nothing written, nothing more is needed`,
    ),
  );
  assertEquals(again.stderr.includes("runrec emit"), false, again.stderr);
  const flushed = await runCliProcess(["flush", del], FULL_FLAGS, env);
  assertEquals(flushed.code, 0, flushed.stderr);
  assertEquals((await recordsOf(del)).length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <del-dir> --agent A --output P repeated from another folder than start's, P named from start's folder: exit 2 'finished already' (the output compared as the file it names), not emit (review-s F9)", async () => {
  const { root, del, env } = await committedProject();
  const rel = relative(root, del);
  const start = await runCliProcess(
    ["start", rel, "--agent", "4_DOCUMENTS"],
    FULL_FLAGS,
    env,
    root,
  );
  assertEquals(start.code, 0, start.stderr);
  await Deno.writeTextFile(join(del, "_SEMANTIC_LENSING.md"), "lens\n");
  // The finish from elsewhere, the output named from start's folder (trial-q F2), twice.
  const finishFromElsewhere = () =>
    runCliProcess(
      [
        ...["finish", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
        ...["--output", `${rel}/_SEMANTIC_LENSING.md`],
      ],
      FULL_FLAGS,
      env,
      env.TMPDIR,
    );
  const first = await finishFromElsewhere();
  assertEquals(first.code, 0, first.stderr);
  const [record] = await recordsOf(del);
  assertEquals(Object.keys(record.OutputHashes), ["_SEMANTIC_LENSING.md"]);
  const again = await finishFromElsewhere();
  assertEquals(again.code, 2, again.stderr);
  assertIncludes(again.stderr, `finished already (runrec log says): its record is ${record.RunID}`);
  assertEquals(again.stderr.includes("runrec emit"), false, again.stderr);
  // The file changed since: no repeat, and the advice names the file as recorded.
  await Deno.writeTextFile(join(del, "_SEMANTIC_LENSING.md"), "lens, changed\n");
  const changed = await finishFromElsewhere();
  assertEquals(changed.code, 2, changed.stderr);
  assertIncludes(changed.stderr, "(changed since: _SEMANTIC_LENSING.md)");
  assertEquals((await recordsOf(del)).length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <del-dir> --agent A like an earlier run of A, A's next run recorded since: exit 2 naming that earlier record as the finish it may repeat, with the advice to emit, never 'finished already' (a new run whose start was lost may end alike); a finish like neither names A's last run only (soak5 F3, review-t F1)", async () => {
  const { root, del, env } = await committedProject();
  const token = await start(del, env);
  const failed = await runCliProcess(
    ["finish", token, "--agent", "4_DOCUMENTS", "--status", "FAILED", "--error", "tool crashed"],
    FULL_FLAGS,
    env,
  );
  assertEquals(failed.code, 0, failed.stderr);
  const first = failed.stdout.trim();
  const next = await finish(await start(del, env), env);
  assertEquals(next.code, 0, next.stderr);
  const second = next.stdout.trim();
  const like = await runCliProcess(
    ["finish", del, "--agent", "4_DOCUMENTS", "--status", "FAILED", "--error", "tool crashed"],
    FULL_FLAGS,
    env,
  );
  assertEquals(like.code, 2, like.stderr);
  assertIncludes(like.stderr, `4_DOCUMENTS's last run here, ${second}, ended `);
  assertIncludes(like.stderr, `but an earlier one, ${first}, ended `);
  assertIncludes(
    like.stderr,
    "has this outcome: if this repeats its finish, nothing more is needed",
  );
  assertIncludes(like.stderr, "runrec emit");
  assertEquals(like.stderr.includes("finished already (runrec log says)"), false, like.stderr);
  const unlike = await runCliProcess(
    ["finish", del, "--agent", "4_DOCUMENTS", "--status", "PARTIAL"],
    FULL_FLAGS,
    env,
  );
  assertEquals(unlike.code, 2, unlike.stderr);
  assertIncludes(unlike.stderr, `4_DOCUMENTS's last run here, ${second}, ended `);
  assertEquals(unlike.stderr.includes(first), false, unlike.stderr);
  assertIncludes(unlike.stderr, "runrec emit");
  assertEquals((await recordsOf(del)).map((r) => r.RunID), [first, second]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish <another deliverable's folder> --agent A, or without --agent, while A's run is pending in its own (trial-t F1): exit 2 naming that run and the finish that records it there, emit only for another instance's run (a fan-out); nothing written; an emit there is recorded without a warning (review-t F5); another agent is still told to emit", async () => {
  const { root, del, other, env } = await projectWithNeighbour({ committed: true });
  // A run of another agent in another package of the execution root counts too.
  const far = join(root, "PKG-02_Far", "1_Working", "DEL-02-01_Far");
  await Deno.mkdir(far, { recursive: true });
  await Deno.writeTextFile(join(far, "_CONTEXT.md"), "**DeliverableID:** DEL-02-01\n");
  const id = basename(await start(del, env), ".json");
  const lens = await runCliProcess(["start", far, "--agent", "CHIRALITY_LENS"], FULL_FLAGS, env);
  assertEquals(lens.code, 0, lens.stderr);
  const lensId = basename(lens.stdout.trim(), ".json");
  const cwd = dirname(del); // the agent's folder: the folders named as it would type them
  const inOther = (command: string, agent: string[]) =>
    runCliProcess(
      [command, "DEL-01-03_Other", ...agent, "--status", "SUCCESS", "--output", "Datasheet.md"],
      FULL_FLAGS,
      env,
      cwd,
    );
  const byAgent = await inOther("finish", ["--agent", "4_DOCUMENTS"]);
  assertEquals(byAgent.code, 2, byAgent.stderr);
  assertEquals(byAgent.stderr.trim().split("\n").length, 1, byAgent.stderr);
  assertIncludes(byAgent.stderr, "4_DOCUMENTS has no pending run here, but ");
  assertIncludes(byAgent.stderr, `run ${id} (4_DOCUMENTS, since `);
  assertIncludes(byAgent.stderr, "is pending in DEL-01-02 (DEL-01-02_Thing)");
  assertIncludes(byAgent.stderr, `runrec finish DEL-01-02_Thing --run ${id} `);
  assertEquals(byAgent.stderr.includes(lensId), false, byAgent.stderr);
  // Emit only for another instance's run (a fan-out), after the finish that records this one.
  assertMatch(
    byAgent.stderr,
    /finish it so, .*not with an emit here .*; if it is another instance's, .*leave it alone and record this run here: runrec emit DEL-01-03_Other --agent 4_DOCUMENTS /,
  );
  const alone = await inOther("finish", []);
  assertEquals(alone.code, 2, alone.stderr);
  assertEquals(alone.stderr.trim().split("\n").length, 1, alone.stderr);
  assertIncludes(alone.stderr, `runrec finish DEL-01-02_Thing --run ${id} `);
  assertIncludes(alone.stderr, `run ${lensId} (CHIRALITY_LENS, since `);
  assertIncludes(alone.stderr, "--agent NAME");
  assertEquals(alone.stderr.includes("runrec emit"), false, alone.stderr);
  assertEquals(await recordsOf(other), []);
  assertEquals(pendingFiles(del), [`${id}.json`]);
  // An agent with no run pending anywhere is still told how to record a run start did not keep.
  const another = await inOther("finish", ["--agent", "REVIEWER"]);
  assertEquals(another.code, 2, another.stderr);
  assertIncludes(another.stderr, "runrec emit DEL-01-03_Other --agent REVIEWER");
  // An emit there is recorded with no word of the run beside it: in a fan-out every instance's
  // emit would be told of every other's run (review-t F5).
  const emitted = await inOther("emit", ["--agent", "4_DOCUMENTS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  assertEquals(emitted.stderr.includes(id), false, emitted.stderr);
  const right = await runCliProcess(
    ["finish", "DEL-01-02_Thing", "--run", id, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
    cwd,
  );
  assertEquals(right.code, 0, right.stderr);
  const reap = await runCliProcess(["reap", del, "--older-than", "0s"], FULL_FLAGS, env);
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish $TOKEN unquoted in a folder whose name holds spaces: exit 2 saying to quote it, not 'unexpected argument'; quoted, it finishes (newuser-42 F4)", async () => {
  const { root, del: plain, env } = await committedProject();
  // The host's deliverable labels may hold spaces (and non-ASCII): `DEL-01-02_Flow Meter Ø`.
  const del = join(dirname(plain), "DEL-01-02_Flow Meter Ø");
  await Deno.rename(plain, del);
  const token = await start(del, env);
  const id = basename(token, ".json");
  // What the shell passes for `runrec finish $TOKEN` and `--run $TOKEN`: the token in words.
  const words = token.split(" ");
  assertEquals(words.length, 3);
  for (const args of [[...words], [del, "--run", ...words]]) {
    const split = await runCliProcess(
      ["finish", ...args, "--status", "SUCCESS"],
      FULL_FLAGS,
      env,
    );
    assertEquals(split.code, 2, split.stderr);
    assertMatch(
      split.stderr,
      /^runrec finish: (<token>|--run): split at its spaces into 3 arguments \(".*"\): quote it, as in runrec finish (<del-dir> --run )?"\$TOKEN" --status S\n$/,
    );
  }
  assertEquals(pendingFiles(del), [`${id}.json`]);
  const quoted = await finish(token, env);
  assertEquals(quoted.code, 0, quoted.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunID), [quoted.stdout.trim()]);
  await Deno.remove(root, { recursive: true });
});

Deno.test('finish <del-dir> "$TOKEN": a whole token after the folder is not called split (quoting is no remedy): exit 2 naming the forms that work, the run pending; finished by them, recorded once (review-43 F1)', async () => {
  const { root, del, env } = await committedProject();
  const token = await start(del, env);
  const id = basename(token, ".json");
  for (const folder of [del, "."]) {
    const both = await runCliProcess(
      ["finish", folder, token, "--status", "SUCCESS"],
      FULL_FLAGS,
      env,
      del,
    );
    assertEquals(both.code, 2, both.stderr);
    assertEquals(
      both.stderr,
      `runrec finish: <token>: given after the folder ${JSON.stringify(folder)}: the token names ` +
        `its folder itself: runrec finish "$TOKEN" --status S (or runrec finish <del-dir> --run ` +
        `"$TOKEN" --status S)\n`,
    );
  }
  assertEquals(pendingFiles(del), [`${id}.json`]);
  const byRun = await runCliProcess(
    ["finish", del, "--run", token, "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(byRun.code, 0, byRun.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunID), [byRun.stdout.trim()]);
  assertEquals(pendingFiles(del), []);
  // Unquoted where the folder's name has two spaces in a row: the words join to no folder, and
  // the last alone names none either: split all the same.
  const spaced = join(dirname(del), "DEL-01-02_Flow  Meter");
  await Deno.rename(del, spaced);
  const words = (await start(spaced, env)).split(/ +/);
  const split = await runCliProcess(["finish", ...words, "--status", "SUCCESS"], FULL_FLAGS, env);
  assertEquals(split.code, 2, split.stderr);
  assertIncludes(split.stderr, "<token>: split at its spaces into 2 arguments");
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish given runrec start --json's whole document (indented, or on one line) for its token: exit 2 naming its token field, the run stays pending; that token finishes it (newuser-43 F6)", async () => {
  const { del } = await makeProject();
  const started = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS", "--json"]);
  assertEquals(started.code, 0, started.stderr);
  const { token } = JSON.parse(started.stdout);
  for (const document of [started.stdout, JSON.stringify(JSON.parse(started.stdout))]) {
    const finish = await runCliProcess(["finish", document, "--status", "SUCCESS"]);
    assertEquals(finish.code, 2, finish.stderr);
    assertEquals(
      finish.stderr,
      `runrec finish: <token>: runrec start --json's whole document, not its token: give ` +
        `finish its "token" field: ${token}\n`,
    );
    assertEquals(pendingFiles(del).length, 1);
  }
  const finish = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(finish.code, 0, finish.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS"]);
});
