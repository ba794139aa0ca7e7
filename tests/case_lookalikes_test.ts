/**
 * Files runrec knows by name, named in other case (`runrecords.csv`,
 * `_References.md`), as a clone on macOS or Windows commits them: there runrec
 * reads and writes them under their own names; where case counts (Linux, CI)
 * they are other files, which no check may pass over without a word.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/case_lookalikes_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { git, makeProject, ROOT, tempDir } from "./fixtures.ts";
import { emitArgs, runCli } from "./cli.ts";
import { RECORD_FILE } from "../src/deliverable.ts";

/** The command the messages give to join a runrecords.csv into the RunRecords.csv beside it. */
const JOIN_COMMAND = '{ [ "$(tail -c 1 RunRecords.csv | wc -l)" -eq 1 ] || echo; ' +
  "tail -n +2 runrecords.csv; } >> RunRecords.csv && rm runrecords.csv";

/**
 * A project whose deliverable holds a run recorded on macOS (its record file named
 * runrecords.csv) and one recorded on Linux since, into the RunRecords.csv that emit writes
 * beside it; both committed when `inGit`. The second emit's result says what it warned of.
 */
async function recordFilePair(inGit = true) {
  const { root, del } = await makeProject();
  if (inGit) await git(root, "init", "-q");
  // Minutes apart: two runs of one minute would share a RunID (SCHEMA.md 3.3), another matter.
  const first = await runCli(
    emitArgs(del, "--started", "2026-01-01T10:00:00Z", "--duration", "1m"),
  );
  assertEquals(first.code, 0, first.stderr);
  await Deno.rename(join(del, RECORD_FILE), join(del, "runrecords.csv"));
  const second = await runCli(emitArgs(del));
  assertEquals(second.code, 0, second.stderr);
  if (inGit) {
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "a run recorded on macOS, one on Linux");
  }
  return { root, del, runs: [first.stdout.trim(), second.stdout.trim()], second };
}

Deno.test("a record file named runrecords.csv (RunRecords.csv in other case, as a macOS clone may commit it) is named by validate, verify, verify --since, log, show, export and stale, exit 2, never passed over as no records: a rewrite of it passed CI's verify --since (trial-38 F1)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  const emitted = await runCli(emitArgs(del));
  assertEquals(emitted.code, 0, emitted.stderr);
  const runId = emitted.stdout.trim();
  const miscased = join(del, "runrecords.csv");
  await Deno.rename(join(del, RECORD_FILE), miscased);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "a run, recorded on macOS");
  // The attack: the committed record rewritten (its status), as verify --since must catch.
  const text = await Deno.readTextFile(miscased);
  await Deno.writeTextFile(miscased, text.replace(",SUCCESS,", ",FAILED,"));
  await git(root, "commit", "-qam", "rewrite a record");
  const commands = [
    ["validate", root],
    ["validate", del],
    ["verify", root],
    ["verify", root, "--since", "HEAD~1"],
    ["log", root],
    ["log", del],
    ["show", del, runId],
    ["export", root, "--format", "prov"],
    ["stale", root],
  ];
  for (const args of commands) {
    const { code, stderr } = await runCli(args);
    assertEquals(code, 2, `${args.join(" ")}: ${stderr}`);
    assert(
      stderr.includes(`${miscased}: `) && stderr.includes("is named RunRecords.csv in other case"),
      `${args.join(" ")}: ${stderr}`,
    );
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit into a folder holding runrecords.csv writes RunRecords.csv beside it and warns that the two are one file where case does not count (trial-38 F1)", async () => {
  const { root, del } = await makeProject();
  const miscased = join(del, "runrecords.csv");
  assertEquals((await runCli(emitArgs(del))).code, 0);
  await Deno.rename(join(del, RECORD_FILE), miscased);
  const before = await Deno.readFile(miscased);
  const { code, stderr } = await runCli(emitArgs(del));
  assertEquals(code, 0, stderr);
  assert(
    /warning: runrecords\.csv in this folder is RunRecords\.csv in other case: .*rename it RunRecords\.csv \(git mv\)/
      .test(stderr),
    stderr,
  );
  assertEquals(await Deno.readFile(miscased), before); // left as it was
  assert((await Deno.stat(join(del, RECORD_FILE))).isFile);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a _References.md (_REFERENCES.md in other case) is warned of when a run is recorded, and stale says the files it lists cannot be seen to change: it said CLEAN after the decomposition it lists changed (trial-38 F2)", async () => {
  const { root, del } = await makeProject();
  await Deno.rename(join(del, "_REFERENCES.md"), join(del, "_References.md"));
  const emitted = await runCli(emitArgs(del, "--input", "Datasheet.md"));
  assertEquals(emitted.code, 0, emitted.stderr);
  const warning = "_References.md is _REFERENCES.md in other case, which runrec reads only " +
    "where case does not count (macOS, Windows): the files it lists are not hashed here";
  assert(emitted.stderr.includes(`runrec: warning: ${warning}`), emitted.stderr);
  await Deno.writeTextFile(join(root, "_Decomposition", "D.md"), "# Decomposition, revised\n");
  const stale = await runCli(["stale", del]);
  assertEquals(stale.code, 0, stale.stderr);
  assert(stale.stdout.startsWith("NO_BASELINE"), stale.stdout);
  assert(stale.stdout.includes(`${warning} (rename it _REFERENCES.md: git mv)`), stale.stdout);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a _Status.md (_STATUS.md in other case): the record's note names it beside '_STATUS.md: not found', which alone left StatusBefore TBD here and a state where case does not count, unexplained (trial-38 F3)", async () => {
  const { root, del } = await makeProject();
  await Deno.rename(join(del, "_STATUS.md"), join(del, "_Status.md"));
  const { code, stdout, stderr } = await runCli(emitArgs(del));
  assertEquals(code, 0, stderr);
  const record = JSON.parse(
    (await runCli(["show", del, stdout.trim(), "--format", "json"])).stdout,
  );
  assertEquals([record.StatusBefore, record.StatusAfter], ["TBD", "TBD"]);
  assert(
    record.Notes.includes(
      "_STATUS.md: not found; _Status.md beside it is that name in other case, which runrec " +
        "reads only where case does not count (macOS, Windows): rename it (git mv)",
    ),
    record.Notes,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("stale --propagate warns of a dependencies.csv (Dependencies.csv in other case), whose rows it follows only where case does not count: its consumer was left out of STALE without a word (trial-38 F4)", async () => {
  const { root, del } = await makeProject();
  const consumer = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_User");
  await Deno.mkdir(consumer);
  await Deno.writeTextFile(join(consumer, "_CONTEXT.md"), "**DeliverableID:** DEL-01-03\n");
  const register = join(consumer, "dependencies.csv");
  await Deno.writeTextFile(
    register,
    "RegisterSchemaVersion,DependencyID,FromDeliverableID,Direction,TargetType," +
      "TargetDeliverableID,Status\nv3.1,DEP-1,DEL-01-03,UPSTREAM,DELIVERABLE,DEL-01-02,ACTIVE\n",
  );
  const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
  for (const [dir, minutes] of [[consumer, 30], [del, 10]] as const) {
    const { code, stderr } = await runCli([...emitArgs(dir), "--started", ago(minutes)]);
    assertEquals(code, 0, stderr);
  }
  const { stdout, stderr } = await runCli(["stale", root, "--propagate"]);
  assert(
    stderr.includes(
      `${register}: named Dependencies.csv in other case, which runrec follows only where ` +
        "case does not count (macOS, Windows): its rows are not followed here",
    ),
    stdout + stderr,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("verify --since follows a runrecords.csv renamed RunRecords.csv (as F1's message advises): a record dropped in the renaming commit breaks K-APPEND-1; a rename alone holds. The renamed file was checked as a new one, the drop passed (trial-38 F6)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  for (const status of ["FAILED", "SUCCESS"]) {
    assertEquals((await runCli([...emitArgs(del).slice(0, -1), status])).code, 0);
  }
  await Deno.rename(join(del, RECORD_FILE), join(del, "runrecords.csv"));
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "two runs, recorded on macOS");
  const base = (await git(root, "rev-parse", "HEAD")).trim();
  await git(root, "mv", join(del, "runrecords.csv"), join(del, RECORD_FILE));
  await git(root, "commit", "-qm", "renamed as runrec asks");
  const renamed = await runCli(["verify", root, "--since", base]);
  assertEquals(renamed.code, 0, renamed.stdout + renamed.stderr);
  // Again from the base: renamed, and the FAILED run dropped, in one commit.
  await git(root, "reset", "-q", "--hard", base);
  await git(root, "mv", join(del, "runrecords.csv"), join(del, RECORD_FILE));
  const file = join(del, RECORD_FILE);
  const lines = (await Deno.readTextFile(file)).split("\n");
  await Deno.writeTextFile(file, lines.filter((line) => !line.includes(",FAILED,")).join("\n"));
  await git(root, "commit", "-qam", "renamed, and the FAILED run dropped");
  const dropped = await runCli(["verify", root, "--since", base]);
  assertEquals(dropped.code, 1, dropped.stdout + dropped.stderr);
  assert(/K-APPEND-1 broken .* was removed/.test(dropped.stdout), dropped.stdout);
  assert(dropped.stdout.includes("renamed from"), dropped.stdout);
  await Deno.remove(root, { recursive: true });
});

Deno.test("agents install names an Agent_4_DOCUMENTS.md (AGENT_*.md in other case), the agent's file where case does not count, and agents check fails for it; both passed it over without a word, check exit 0 (trial-38 F7)", async () => {
  const dir = await tempDir({ prefix: "runrec-agents-" });
  const fixtures = join(ROOT, "tests", "fixtures", "agents");
  for await (const entry of Deno.readDir(fixtures)) {
    const name = entry.name.replace(/^AGENT_4_DOCUMENTS/, "Agent_4_DOCUMENTS");
    await Deno.copyFile(join(fixtures, entry.name), join(dir, name));
  }
  const said = `${join(dir, "Agent_4_DOCUMENTS.md")}: named AGENT_*.md in other case`;
  const install = await runCli(["agents", "install", dir]);
  assertEquals(install.code, 0, install.stderr);
  assert(install.stderr.includes(said), install.stderr);
  const check = await runCli(["agents", "check", dir]);
  assertEquals(check.code, 1, check.stdout + check.stderr);
  assert(check.stderr.includes(said), check.stderr);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a reference _REFERENCES.md names in other case or Unicode form than its file (Ref.txt for ref.txt, é composed for é decomposed) is noted with the file beside it and where it is read (a case alone on Windows too: review-38 F3): 'not found' alone, on the machine that leaves it unhashed, did not say why the other reads it (trial-38 F8)", async () => {
  const { root, del } = await makeProject();
  const decomposed = "Spe\u0301c.md";
  await Deno.writeTextFile(join(del, decomposed), "# Spec\n");
  await Deno.writeTextFile(
    join(del, "_REFERENCES.md"),
    "# References\n\n- [Ref](../../0_References/Ref.txt)\n- [Spec](Sp\u00e9c.md)\n",
  );
  const { code, stdout, stderr } = await runCli(emitArgs(del));
  assertEquals(code, 0, stderr);
  const record = JSON.parse(
    (await runCli(["show", del, stdout.trim(), "--format", "json"])).stdout,
  );
  // Where each is read: Windows too folds case, not Unicode forms (review-38 F3).
  const otherCase = "beside it is that name in other case, read only where case does not count " +
    "(macOS, Windows): write the name as the file has it";
  assert(record.Notes.includes(`Ref.txt not found; ref.txt ${otherCase}`), record.Notes);
  const otherForm = "beside it is that name in other case or Unicode form, read only where " +
    "names are folded so (macOS): write the name as the file has it";
  assert(record.Notes.includes(`copy it from a listing) ${otherForm}`), record.Notes);
  assert(record.Notes.includes('but is written "Spe\\u0301c.md"'), record.Notes);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a runrecords.csv beside a RunRecords.csv (emit on Linux writes one beside it) is named with a command that joins the two (by stale too, which said nothing), which leaves every record checked: the advice was git mv, which fails there (the destination exists), and with -f drops RunRecords.csv's records (review-38 F1)", async () => {
  const { root, del, second } = await recordFilePair();
  const miscased = join(del, "runrecords.csv");
  assert(
    second.stderr.includes(`join its records to RunRecords.csv's (${JOIN_COMMAND})`),
    second.stderr,
  );
  let command: string | undefined;
  for (const args of [["validate", root], ["verify", del], ["log", root], ["stale", root]]) {
    const { code, stderr } = await runCli(args);
    assertEquals(code, 2, `${args.join(" ")}: ${stderr}`);
    const advised = stderr.match(/, in its folder: (.+)\n/);
    assert(advised !== null && stderr.includes(`${miscased}: `), `${args.join(" ")}: ${stderr}`);
    assertEquals(advised[1], JOIN_COMMAND);
    command = advised[1];
  }
  // The advice, run as printed: both runs are in RunRecords.csv, checked, and nothing else is.
  const done = await new Deno.Command("sh", { args: ["-c", command!], cwd: del }).output();
  assertEquals(done.code, 0, new TextDecoder().decode(done.stderr));
  for (const args of [["validate", root], ["verify", root]]) {
    const { code, stdout, stderr } = await runCli(args);
    assertEquals(code, 0, `${args.join(" ")}: ${stderr}`);
    assert(stdout.includes("ok: 2 records"), `${args.join(" ")}: ${stdout}`);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("verify --since: a runrecords.csv joined into the RunRecords.csv beside it, as its message advises, loses nothing and passes; one removed without its records joined breaks K-APPEND-1 naming the record (review-38 left 2)", async () => {
  const { root, del } = await recordFilePair();
  const base = (await git(root, "rev-parse", "HEAD")).trim();
  const sh = async (command: string) => {
    const out = await new Deno.Command("sh", { args: ["-c", command], cwd: del }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  };
  // Removed, its records not joined: the macOS run is lost.
  await sh("git rm -q runrecords.csv");
  const dropped = await runCli(["verify", root, "--since", base]);
  assertEquals(dropped.code, 1, dropped.stdout + dropped.stderr);
  const lost =
    /K-APPEND-1 broken .*; the RunRecords\.csv beside it lacks record RUN-\S+ \(line 2\)/;
  assert(lost.test(dropped.stdout + dropped.stderr), dropped.stdout + dropped.stderr);
  await sh("git reset -q --hard");
  // Joined as advised: in the working tree, then committed.
  await sh(JOIN_COMMAND);
  for (const step of ["working tree", "commit"]) {
    if (step === "commit") await git(root, "commit", "-qam", "join the record files");
    const out = await runCli(["verify", root, "--since", base]);
    assertEquals(out.code, 0, `${step}: ${out.stdout}${out.stderr}`);
    assert(out.stdout.includes(`the ${RECORD_FILE} beside it holds every line`), out.stdout);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("an Init.md or _decomposition/ (INIT.md, _Decomposition/ in other case) marks an execution root where case does not count and none here: log, verify, validate, export and stale over the root, and stale --propagate, exit 2 naming it, where they read the snapshot in _Archive/ as a deliverable (log listed its run twice, verify failed on its ID, stale said DIRTY); emit warns and records; with no record file in a _ folder the root is read (rlimit-39 F1, trial-38's left case)", async () => {
  for (
    const [from, to, other] of [["INIT.md", "Init.md", "_Decomposition"], [
      "_Decomposition",
      "_decomposition",
      "INIT.md",
    ]]
  ) {
    const { root, del } = await makeProject();
    await Deno.rename(join(root, from), join(root, to));
    await Deno.remove(join(root, other), { recursive: true });
    const emitted = await runCli(emitArgs(del));
    assertEquals(emitted.code, 0, emitted.stderr);
    const named = `${join(root, to)}: is ${from} in other case: where case counts (Linux, CI) ` +
      "it marks no execution root";
    assert(emitted.stderr.includes(`runrec: warning: ${named}`), emitted.stderr);
    assertIncludes(await Deno.readTextFile(join(del, RECORD_FILE)), emitted.stdout.trim());
    // A snapshot, as a lead archives a deliverable where the root is one.
    const snapshot = join(root, "_Archive", "DEL-01-02_Thing");
    await Deno.mkdir(snapshot, { recursive: true });
    await Deno.copyFile(join(del, "_CONTEXT.md"), join(snapshot, "_CONTEXT.md"));
    await Deno.copyFile(join(del, RECORD_FILE), join(snapshot, RECORD_FILE));
    const readers = [
      ["log", root],
      ["verify", root],
      ["validate", root],
      ["export", root, "--format", "openlineage"],
      ["stale", root],
      ["stale", del, "--propagate"],
    ];
    for (const args of readers) {
      const { code, stdout, stderr } = await runCli(args);
      assertEquals(code, 2, `${args.join(" ")}: ${stderr}${stdout}`);
      assert(stderr.startsWith(`runrec ${args[0]}: ${named}`), `${args.join(" ")}: ${stderr}`);
    }
    await Deno.remove(join(snapshot, RECORD_FILE));
    const log = await runCli(["log", root]);
    assertEquals(log.code, 0, log.stderr);
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("annotate in a folder holding runrecords.csv names it and writes nothing, exit 2, as every reader does: alone, it said 'no RunRecords.csv here: no run is recorded yet' of a recorded run; beside a RunRecords.csv, it called a run of runrecords.csv 'not a run' (exit 1) and annotated the other file's runs without a word (review-39 F4)", async () => {
  const { root, del } = await makeProject();
  const emitted = await runCli(emitArgs(del, "--started", "2026-01-01T10:00:00Z"));
  assertEquals(emitted.code, 0, emitted.stderr);
  const macRun = emitted.stdout.trim();
  const miscased = join(del, "runrecords.csv");
  await Deno.rename(join(del, RECORD_FILE), miscased);
  const alone = await runCli(["annotate", del, macRun, "--note", "checked"]);
  assertEquals(alone.code, 2, alone.stderr);
  assert(
    alone.stderr.includes(`${miscased}: cannot read: is named RunRecords.csv in other case`) &&
      alone.stderr.includes("rename it RunRecords.csv (git mv)"),
    alone.stderr,
  );
  const linuxRun = (await runCli(emitArgs(del))).stdout.trim();
  const before = await Deno.readTextFile(join(del, RECORD_FILE));
  for (const runId of [macRun, linuxRun]) {
    const beside = await runCli(["annotate", del, runId, "--note", "checked"]);
    assertEquals(beside.code, 2, `${runId}: ${beside.stderr}`);
    assert(
      beside.stderr.includes(`${miscased}: cannot read: is named RunRecords.csv in other case, `) &&
        beside.stderr.includes(`, in its folder: ${JOIN_COMMAND}`),
      beside.stderr,
    );
  }
  assertEquals(await Deno.readTextFile(join(del, RECORD_FILE)), before);
  await Deno.remove(root, { recursive: true });
});

Deno.test("the command that joins a runrecords.csv into the RunRecords.csv beside it, run as printed, keeps every record where that file's last line is torn (a crash mid-append), in a git repository or none: the first record joined was glued to the torn line and lost, and outside git, git rm failed once the records were appended (review-39 F2)", async () => {
  for (const inGit of [true, false]) {
    const { root, del, runs } = await recordFilePair(inGit);
    // A crash cut the next append short: RunRecords.csv ends in a torn line.
    await Deno.writeTextFile(join(del, RECORD_FILE), "v1.0,RUN-DEL-01-02-2026", { append: true });
    const refused = await runCli(["log", root]);
    assertEquals(refused.code, 2, refused.stderr);
    const advised = refused.stderr.match(/, in its folder: (.+)\n/);
    assert(advised !== null, refused.stderr);
    const joined = await new Deno.Command("sh", { args: ["-c", advised[1]], cwd: del }).output();
    const said = `${inGit ? "git" : "no git"}: ${advised[1]}`;
    assertEquals(joined.code, 0, `${said}: ${new TextDecoder().decode(joined.stderr)}`);
    const log = await runCli(["log", root, "--format", "jsonl"]);
    assertEquals(log.code, 0, `${said}: ${log.stderr}`);
    const runIds = log.stdout.trim().split("\n").map((line) => JSON.parse(line).RunID);
    assertEquals(runIds.sort(), runs.sort(), said);
    assertEquals(await Deno.lstat(join(del, "runrecords.csv")).catch(() => "gone"), "gone", said);
    await Deno.remove(root, { recursive: true });
  }
});
