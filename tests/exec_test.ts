import { dirname, join } from "node:path";
import { outsidePendingFolder } from "../src/pending.ts";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { hashFile } from "../src/hash.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject } from "./fixtures.ts";
import { saysItChangedNothing } from "../src/snapshot.ts";
import { processGone, waitFor } from "./support/held.ts";
import { withRecordFile } from "../src/store.ts";
import {
  firstLine,
  hostFiles,
  pendingFiles,
  recordsOf,
  RUNREC,
  RUNREC_SH,
  unknownAgentWarnings,
  writeAgentFile,
} from "./support/runs.ts";

/** `runrec exec <del> --agent A <options> -- sh -c SCRIPT`, as a real process. */
function execSh(del: string, script: string, ...options: string[]) {
  return runCliProcess(["exec", del, "--agent", "A", ...options, "--", "sh", "-c", script]);
}

Deno.test("exec: outputs are exactly the files the command created, modified and deleted", async () => {
  const { root, del } = await makeProject();
  const host = hostFiles(del);
  await Deno.writeTextFile(join(del, "Guidance.md"), "# Guidance\n");
  await Deno.writeTextFile(join(del, "Same.md"), "same\n");
  const datasheetBefore = await hashFile(join(del, "Datasheet.md"));
  const result = await execSh(
    del,
    `cd '${del}' && mkdir sub && echo new > sub/New.md; ` +
      `echo more >> Datasheet.md; rm Guidance.md; echo same > Same.md; echo to-stdout`,
    "--input",
    "Datasheet.md",
  );
  assertEquals(result.code, 0, result.stderr);
  // stdout is the command's alone; runrec speaks on stderr.
  assertEquals(result.stdout, "to-stdout\n");
  const [record] = await recordsOf(del);
  assertMatch(result.stderr, new RegExp(`runrec: recorded ${record.RunID} \\(SUCCESS\\)`));
  assertEquals(record.RunStatus, "SUCCESS");
  assertEquals(record.OutputFiles, ["Datasheet.md", "Guidance.md", "sub/New.md"]);
  assertEquals(record.OutputHashes, {
    "Datasheet.md": await hashFile(join(del, "Datasheet.md")),
    "Guidance.md": "DELETED",
    "sub/New.md": await hashFile(join(del, "sub/New.md")),
  });
  // The input is recorded as it was when the command started.
  assertEquals(record.InputHashes["Datasheet.md"], datasheetBefore);
  assertEquals([record.StatusBefore, record.StatusAfter], ["OPEN", "OPEN"]);
  // Host files the command did not touch are byte-identical; nothing is left pending.
  assertEquals(hostFiles(del), host);
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: exit codes map to RunStatus and are exit codes of runrec exec", async () => {
  const { root, del } = await makeProject();
  const codes = ["--partial-codes", "4,5", "--skipped-codes", "6"];
  const cases: [number, string, string][] = [
    [0, "SUCCESS", ""],
    [3, "FAILED", "exit code 3"],
    [4, "PARTIAL", "exit code 4"],
    [6, "SKIPPED", ""],
  ];
  for (const [code, status, error] of cases) {
    const result = await execSh(del, `exit ${code}`, ...codes);
    assertEquals(result.code, code, result.stderr);
    const record = (await recordsOf(del)).at(-1)!;
    assertEquals([record.RunStatus, record.ErrorSummary], [status, error]);
    if (status === "SKIPPED") assertIncludes(record.Notes, "exit code 6");
  }
  const missing = await runCliProcess(["exec", del, "--agent", "A", "--", "no-such-command-x"]);
  assertEquals(missing.code, 127);
  assertMatch(missing.stderr, /command "no-such-command-x" could not be started: not found/);
  assertEquals((await recordsOf(del)).at(-1)!.RunStatus, "FAILED");
  const overlap = await execSh(del, "exit 0", "--partial-codes", "3", "--skipped-codes", "3");
  assertEquals(overlap.code, 2);
  assertMatch(overlap.stderr, /^runrec exec: exit code 3 is in both/);
  const zero = await execSh(del, "exit 0", "--partial-codes", "0");
  assertEquals(zero.code, 2);
  assertEquals((await recordsOf(del)).length, 5);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: a command that cannot be started says why as a shell would: a script not executable, one in the current folder not on PATH, a #! interpreter not there, a folder, a script on PATH not executable or its interpreter not there (newuser-57 F2, reviewnewuser-57 F3)", async () => {
  const { root, del } = await makeProject();
  try {
    Deno.writeTextFileSync(join(root, "agent.sh"), "echo hi\n");
    Deno.writeTextFileSync(join(root, "lens.py"), "#!/no/such/python9\nprint(1)\n");
    Deno.chmodSync(join(root, "lens.py"), 0o755);
    Deno.mkdirSync(join(root, "tools"));
    // On PATH: a script not executable, one whose #! interpreter is not there (reviewnewuser-57 F3).
    const bin = join(root, "bin");
    Deno.mkdirSync(bin);
    Deno.writeTextFileSync(join(bin, "step.sh"), "echo hi\n");
    Deno.writeTextFileSync(join(bin, "lens2.py"), "#!/no/such/python9\nprint(1)\n");
    Deno.chmodSync(join(bin, "lens2.py"), 0o755);
    const cases: [string, number, string][] = [
      [
        "step.sh",
        126,
        `permission denied: ${join(bin, "step.sh")} is not executable (chmod +x it, or name its ` +
        "interpreter: sh FILE)",
      ],
      ["lens2.py", 127, `${join(bin, "lens2.py")}: the interpreter its #! line names is not there`],
      [
        "./agent.sh",
        126,
        "permission denied: not executable (chmod +x it, or name its interpreter: sh FILE)",
      ],
      ["agent.sh", 127, "not found on PATH (the one in the current folder is ./agent.sh)"],
      ["./lens.py", 127, "the interpreter its #! line names is not there"],
      ["./tools", 126, "a folder, not a program"],
      ["no-such-command-x", 127, "not found"],
    ];
    for (const [command, code, why] of cases) {
      const out = await runCliProcess(
        ["exec", del, "--agent", "A", "--", command],
        undefined,
        { PATH: `${bin}:${Deno.env.get("PATH")}` },
        root,
      );
      assertEquals(out.code, code, out.stderr);
      assertIncludes(
        out.stderr,
        `runrec exec: command ${JSON.stringify(command)} could not be started: ${why}\n`,
      );
    }
    // --help gives the codes as these cases have them: 127 for a missing #! interpreter too.
    const help = (await runCliProcess(["exec", "--help"])).stdout.replaceAll("\n", " ");
    assertIncludes(
      help,
      "127 when CMD, or the interpreter its #! line names, cannot be found, 126",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("exec: a command killed by a signal is FAILED naming it; exit 128 + its number", async () => {
  const { root, del } = await makeProject();
  const result = await execSh(del, "kill -KILL $$");
  assertEquals(result.code, 137);
  const record = (await recordsOf(del)).at(-1)!;
  assertEquals([record.RunStatus, record.ErrorSummary], ["FAILED", "killed by signal SIGKILL"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: SIGTERM sent to runrec exec is passed to the command, and the run recorded", async () => {
  const { root, del } = await makeProject();
  const exec = spawnExec(del, "echo ready; exec sleep 600");
  assertEquals(await firstLine(exec.stdout), "ready");
  exec.kill("SIGTERM");
  const status = await exec.status;
  assertEquals(status.code, 143);
  const record = (await recordsOf(del)).at(-1)!;
  assertEquals([record.RunStatus, record.ErrorSummary], ["FAILED", "killed by signal SIGTERM"]);
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

/** `runrec exec <del> --agent A -- sh -c SCRIPT` spawned, its stdout piped (SCRIPT says "ready"). */
function spawnExec(
  del: string,
  script: string,
  streams: { stdout: "piped" | "null"; stderr: "piped" | "null" } = {
    stdout: "piped",
    stderr: "null",
  },
): Deno.ChildProcess {
  return new Deno.Command(RUNREC[0], {
    args: [...RUNREC.slice(1), "exec", del, "--agent", "A", "--", "sh", "-c", script],
    ...streams,
  }).spawn();
}

for (const [signal, code] of [["SIGHUP", 129], ["SIGQUIT", 131]] as const) {
  Deno.test(`exec: ${signal} sent to runrec exec is passed to the command, and the run recorded`, async () => {
    const { root, del } = await makeProject();
    // No core file where the test runs: SIGQUIT's default action dumps one.
    const exec = spawnExec(del, "ulimit -c 0; echo ready; exec sleep 600");
    assertEquals(await firstLine(exec.stdout), "ready");
    exec.kill(signal);
    const status = await exec.status;
    assertEquals(status.code, code);
    const record = (await recordsOf(del)).at(-1)!;
    assertEquals([record.RunStatus, record.ErrorSummary], ["FAILED", `killed by signal ${signal}`]);
    assertEquals(pendingFiles(del), []);
    await Deno.remove(root, { recursive: true });
  });
}

Deno.test("exec: a command that ignores the SIGHUP passed to it runs on; runrec waits and records what it did", async () => {
  const { root, del } = await makeProject();
  const exec = spawnExec(
    del,
    `trap '' HUP; echo ready; sleep 1; echo row >> '${join(del, "Dependencies.csv")}'`,
  );
  assertEquals(await firstLine(exec.stdout), "ready");
  exec.kill("SIGHUP");
  const status = await exec.status;
  assertEquals(status.code, 0);
  const record = (await recordsOf(del)).at(-1)!;
  assertEquals([record.RunStatus, record.OutputFiles], ["SUCCESS", ["Dependencies.csv"]]);
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: a command that leaves a process running is recorded with a warning saying its later writes are not in it", async () => {
  const { root, del } = await makeProject();
  const register = join(del, "Dependencies.csv");
  const before = await Deno.readTextFile(register);
  // The survivor writes once the record is there (30 s at most), however long exec takes.
  const recorded = `i=0; until [ -e '${join(del, "RunRecords.csv")}' ] || [ $i = 600 ]; do ` +
    "i=$((i+1)); sleep 0.05; done";
  const { code, stderr: said } = await execSh(
    del,
    `(${recorded}; echo late >> '${register}') >/dev/null 2>&1 & echo ok`,
  );
  assertEquals(code, 0, said);
  assertMatch(
    said,
    /runrec: warning: CMD left processes running \(process group \d+\); files they write later are not in this record; have CMD wait for them \(shell: wait\)\n/,
  );
  const [record] = await recordsOf(del);
  assertEquals([record.RunStatus, record.OutputFiles], ["SUCCESS", []]);
  assertMatch(record.Notes, /CMD left processes running \(process group \d+\)/);
  // What they write later is not known: stale --propagate does not take it for a run that wrote
  // nothing, though it changed no file while CMD ran (cycle37 F2).
  assertIncludes(record.Notes, "changed while CMD ran");
  assertEquals(saysItChangedNothing(record.Notes), false, record.Notes);
  await waitFor(async () => (await Deno.readTextFile(register)) !== before, "the survivor's write");
  assertEquals(await Deno.readTextFile(register), `${before}late\n`);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: SIGTERM sent to runrec exec reaches the command's own children too (its process group)", async () => {
  const { root, del } = await makeProject();
  const register = join(del, "Dependencies.csv");
  const before = await Deno.readTextFile(register);
  const pidFile = join(root, "grandchild.pid");
  // The grandchild says it is there (its pid, then "ready"); spared, it would live a minute.
  const exec = spawnExec(
    del,
    `sh -c 'echo $$ > "${pidFile}"; echo ready; sleep 60; echo late >> "${register}"'; echo after`,
  );
  assertEquals(await firstLine(exec.stdout), "ready");
  const grandchild = (await Deno.readTextFile(pidFile)).trim();
  exec.kill("SIGTERM");
  assertEquals((await exec.status).code, 143);
  const [record] = await recordsOf(del);
  assertEquals([record.RunStatus, record.ErrorSummary], ["FAILED", "killed by signal SIGTERM"]);
  // Gone, or a zombie nobody waits for (a container's PID 1 may not): SIGTERM reached it.
  await waitFor(async () => {
    const ps = await new Deno.Command("ps", { args: ["-o", "stat=", "-p", grandchild] }).output();
    const stat = new TextDecoder().decode(ps.stdout).trim();
    return stat === "" || stat.startsWith("Z");
  }, `the grandchild (pid ${grandchild}) gone`);
  assertEquals(await Deno.readTextFile(register), before);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: a signal that comes after CMD ended, while exec records the run, waits until the run is recorded; exec exits with CMD's code (env-signals F1)", async () => {
  const { root, del } = await makeProject();
  const file = join(del, "RunRecords.csv");
  const said = await withRecordFile(file, { holder: "the test" }, async () => {
    // The lock held here: exec, its CMD ended, waits for it to write the record.
    const exec = spawnExec(del, `echo x > '${del}/Out.md'`, { stdout: "null", stderr: "piped" });
    const reader = exec.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("waiting for the append lock")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`exec ended: ${text}`);
      text += value;
    }
    exec.kill("SIGTERM");
    // Still there: the signal waits (without the fix it ended exec, the run left pending).
    await new Promise((done) => setTimeout(done, 300));
    return { exec, reader, text };
  });
  const { exec, reader } = said;
  let text = said.text;
  for (let read = await reader.read(); !read.done; read = await reader.read()) text += read.value;
  assertEquals((await exec.status).code, 0, text);
  assertIncludes(text, "runrec exec: SIGTERM came after CMD ended: its run was recorded first");
  const [record] = await recordsOf(del);
  assertEquals([record.RunStatus, record.OutputFiles], ["SUCCESS", ["Out.md"]]);
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: a run that creates its deliverable folder (PREPARATION) is recorded in it", async () => {
  const { root } = await makeProject();
  const del = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-07_New");
  const result = await execSh(
    del,
    `mkdir '${del}' && printf '**Current State:** OPEN\\n' > '${del}/_STATUS.md' && ` +
      `echo '**DeliverableID:** DEL-01-07' > '${del}/_CONTEXT.md'`,
  );
  assertEquals(result.code, 0, result.stderr);
  const [record] = await recordsOf(del);
  assertEquals(record.DeliverableID, "DEL-01-07");
  assertEquals([record.StatusBefore, record.StatusAfter], ["TBD", "OPEN"]);
  assertEquals(record.OutputFiles, ["_CONTEXT.md", "_STATUS.md"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec on a folder CMD does not create: its code kept, the record printed as a lost-record line that flush --from appends once the folder is there", async () => {
  const { root } = await makeProject();
  const gone = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-08_Never");
  const failed = await execSh(gone, "exit 9");
  assertEquals(failed.code, 9);
  assertIncludes(failed.stderr, "DEL-01-08_Never: CMD did not create it");
  const lost = failed.stderr.split("\n").filter((l) => l.startsWith("runrec: lost-record: "));
  assertEquals(lost.length, 1, failed.stderr);
  // Not spooled: the folder may never be made under that name.
  const saved = join(root, "lost.txt");
  await Deno.writeTextFile(saved, failed.stderr);
  await Deno.mkdir(gone);
  const flushed = await runCliProcess(["flush", "--from", saved]);
  assertEquals(flushed.code, 0, flushed.stderr);
  const [record] = await recordsOf(gone);
  assertEquals([record.DeliverableID, record.RunStatus, record.ErrorSummary], [
    "DEL-01-08",
    "FAILED",
    "exit code 9",
  ]);
  assertIncludes(record.Notes, "the deliverable folder did not exist when CMD ended");
  await Deno.remove(root, { recursive: true });
});

Deno.test("flush --from - appends the lost-record lines piped in, each once; a line that is no record is named as standard input's", async () => {
  const { root } = await makeProject();
  const gone = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-08_Never");
  const failed = await execSh(gone, "exit 3");
  assertIncludes(failed.stderr, "runrec: lost-record: ");
  await Deno.mkdir(gone);
  const piped = (text: string) =>
    runCliProcess(["flush", "--from", "-"], undefined, undefined, undefined, text);
  // The whole stderr of the emit, as `2>&1 | runrec flush --from -` gives it.
  const first = await piped(failed.stderr);
  assertEquals(first.code, 0, first.stderr);
  assertEquals((await recordsOf(gone)).map((r) => r.ErrorSummary), ["exit code 3"]);
  const again = await piped(failed.stderr);
  assertEquals(again.code, 0, again.stderr);
  assertIncludes(again.stdout, "is already in its file; nothing appended");
  assertEquals((await recordsOf(gone)).length, 1);
  const none = await piped("no such line\n");
  assertEquals([none.code, none.stdout], [
    0,
    "standard input: no lost-record line in it; nothing appended\n",
  ]);
  const bad = await piped("runrec: lost-record: {not json\n");
  assertEquals(bad.code, 1, bad.stderr);
  assertIncludes(bad.stderr, "standard input:1: not a lost record");
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec on a misspelt folder beside the real one (a near name, or the same DeliverableID): exit 2 naming it, before the command runs; nothing recorded", async () => {
  const { root, del } = await makeProject();
  const marker = join(root, "ran");
  const before = hostFiles(del);
  const working = join(root, "PKG-01_Pkg", "1_Working");
  // A typo in the label (one edit), the same ID with another label, and a near name with no ID.
  for (const typo of ["DEL-01-02_Thimg", "DEL-01-02_Other", "Del-01-02_Thing"]) {
    const result = await execSh(
      join(working, typo),
      `touch '${marker}'; echo x >> '${del}/Datasheet.md'`,
    );
    assertEquals(result.code, 2, result.stderr);
    assertIncludes(result.stderr, `${typo}: no such folder: did you mean ${del}?`);
    assertEquals(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert(!(await Deno.stat(marker).then(() => true, () => false)), "the command ran");
  }
  assertEquals(hostFiles(del), before);
  assertEquals(await recordsOf(del), []);
  // A folder _CONTEXT.md gives the ID of, whatever its name.
  await Deno.rename(del, join(working, "Renamed"));
  const byContext = await execSh(join(working, "DEL-01-02_New"), `touch '${marker}'`);
  assertEquals(byContext.code, 2, byContext.stderr);
  assertIncludes(byContext.stderr, "did you mean");
  assertIncludes(byContext.stderr, "Renamed?");
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec on a folder whose number is written short (DEL-01-2_Thing beside DEL-01-02_Thing), or a new folder whose name holds no DeliverableID: exit 2 before the command runs, nothing recorded; start says the same (trial-r F1)", async () => {
  const { root, del } = await makeProject();
  const marker = join(root, "ran");
  const working = join(root, "PKG-01_Pkg", "1_Working");
  const short = join(working, "DEL-01-2_Thing");
  const typo = await execSh(short, `touch '${marker}'`);
  assertEquals(typo.code, 2, typo.stderr);
  assertIncludes(typo.stderr, `${short}: no such folder: did you mean ${del}?`);
  const started = await runCliProcess(["start", short, "--agent", "A"]);
  assertEquals(started.code, 2, started.stderr);
  assertIncludes(started.stderr, `did you mean ${del}?`);
  const unnamed = join(working, "New_Thing");
  const refused = await execSh(unnamed, `mkdir '${unnamed}'; touch '${marker}'`);
  assertEquals(refused.code, 2, refused.stderr);
  assertIncludes(refused.stderr, "DEL-XX-YY_Label");
  assertEquals(refused.stderr.trim().split("\n").length, 1, refused.stderr);
  assert(!(await Deno.stat(marker).then(() => true, () => false)), "the command ran");
  assertEquals(await recordsOf(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec on a new folder whose name is near a sibling's that claims another DeliverableID (DEL-01-03_Things beside DEL-01-02_Thing): the command runs and creates it, its run recorded (review-p F6)", async () => {
  const { root, del } = await makeProject();
  const created = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_Things");
  const result = await execSh(created, `mkdir '${created}' && echo x > '${created}/Draft.md'`);
  assertEquals(result.code, 0, result.stderr);
  assertEquals((await recordsOf(created)).map((r) => r.DeliverableID), ["DEL-01-03"]);
  assertEquals(await recordsOf(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: a bad --agent exits 2 before the command runs", async () => {
  const { root, del } = await makeProject();
  const marker = join(root, "ran");
  const result = await runCliProcess(["exec", del, "--agent", "", "--", "touch", marker]);
  assertEquals(result.code, 2);
  assert(!(await Deno.stat(marker).then(() => true, () => false)), "the command ran");
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec without --: CMD and every argument after it are CMD's own, options and -- too (exec D --agent A ls -la runs ls -la); --agent after CMD is said, before CMD runs (trial-q)", async () => {
  const { root, del } = await makeProject();
  const script = `printf '%s|' "$@" > '${join(del, "args.txt")}'`;
  const bare = await runCliProcess(
    ["exec", del, "--agent", "A", "sh", "-c", script, "x", "-la", "--pass", "P", "--", "--help"],
  );
  assertEquals(bare.code, 0, bare.stderr);
  assertEquals(await Deno.readTextFile(join(del, "args.txt")), "-la|--pass|P|--|--help|");
  const dashed = await runCliProcess(
    ["exec", del, "--agent", "A", "--", "sh", "-c", script, "x", "-la", "--", "y"],
  );
  assertEquals(dashed.code, 0, dashed.stderr);
  assertEquals(await Deno.readTextFile(join(del, "args.txt")), "-la|--|y|");
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.AgentName, r.RunPassDirective]), [["A", ""], ["A", ""]]);
  const marker = join(root, "ran");
  const late = await runCliProcess(["exec", del, "touch", marker, "--agent", "A"]);
  assertEquals(
    [late.code, late.stderr],
    [
      2,
      "runrec exec: --agent is required before CMD: touch and every argument after it are its " +
      "own (--agent after it too) (see runrec exec --help)\n",
    ],
  );
  assert(!(await Deno.stat(marker).then(() => true, () => false)), "the command ran");
  assertEquals([(await recordsOf(del)).length, pendingFiles(del)], [2, []]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec with an agent name no agent file has: one warning naming the closest known agent, the run recorded as given, the command's exit code", async () => {
  const { root, del } = await makeProject();
  await writeAgentFile(root, "REVIEWER");
  const result = await runCliProcess(["exec", del, "--agent", "REVIEWR", "--", "true"]);
  assertEquals(result.code, 0, result.stderr);
  const warned = unknownAgentWarnings(result.stderr);
  assertEquals(warned.length, 1, result.stderr);
  assertIncludes(warned[0], "did you mean REVIEWER?");
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["REVIEWR"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: a good run that changed no file of the deliverable (CMD wrote elsewhere) is recorded, with a warning and a note saying so; its exit code stands (trial-pipeline2 minor 3)", async () => {
  const { root, del } = await makeProject();
  const elsewhere = join(root, "Stage2.md");
  const result = await execSh(del, `echo stage2 > '${elsewhere}'`);
  assertEquals(result.code, 0, result.stderr);
  const note = `no file of ${del} changed while CMD ran (CMD runs in the current folder: did ` +
    "it write elsewhere?)";
  assertIncludes(result.stderr, `runrec: warning: ${note}\n`);
  assertEquals(result.stderr.split(note).length, 2, result.stderr); // said once
  let record = (await recordsOf(del)).at(-1)!;
  assertEquals([record.RunStatus, record.OutputFiles], ["SUCCESS", []]);
  assertIncludes(record.Notes, note);
  // stale --propagate reads the note as a run that wrote nothing (cycle37 F2).
  assert(saysItChangedNothing(record.Notes), record.Notes);
  // One that wrote into the deliverable, or failed, says nothing of it.
  for (const script of [`echo x > '${join(del, "Stage2.md")}'`, "exit 3"]) {
    const ran = await execSh(del, script);
    assertEquals(ran.stderr.includes("no file of"), false, ran.stderr);
    record = (await recordsOf(del)).at(-1)!;
    assertEquals(record.Notes.includes("no file of"), false, record.Notes);
    assertEquals(saysItChangedNothing(record.Notes), false, record.Notes);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec: an output the command replaced with a FIFO is TBD with a note, as finish records it, not DELETED (bad-input F5)", async () => {
  const { del } = await makeProject();
  const ran = await runCliProcess([
    ...["exec", del, "--agent", "4_DOCUMENTS", "--"],
    ...["sh", "-c", 'rm "$1" && mkfifo "$1"', "sh", join(del, "Datasheet.md")],
  ]);
  assertEquals(ran.code, 0, ran.stderr);
  const log = await runCliProcess(["log", del, "--json"]);
  const record = JSON.parse(log.stdout).at(-1);
  assertEquals(record.OutputHashes["Datasheet.md"], "TBD");
  assertIncludes(record.Notes, "output Datasheet.md could not be hashed: not a regular file");
});

/** Starts an exec whose CMD runs on, kills exec with SIGKILL once it has named CMD beside the run
 * (its `.command` marker; 30 s at most, the tests' event deadline), and returns CMD's pid. */
async function killExecLeavingItsCommand(del: string): Promise<number> {
  const marker = `'${join(del, ".runrec", "pending")}'/*.command`;
  // Named: the marker holds CMD's pid ($$), not exec's, which it holds from before CMD starts.
  const wait =
    `i=0; until grep -qs "^$$@" ${marker} || [ $i = 600 ]; do i=$((i+1)); sleep 0.05; done`;
  const exec = spawnExec(del, `${wait} >/dev/null 2>&1; echo $$; exec sleep 600`);
  const command = Number(await firstLine(exec.stdout));
  exec.kill("SIGKILL");
  await exec.status;
  return command;
}

Deno.test("exec killed by SIGKILL while its command runs on: reap leaves the run pending, naming the command, until the command ends, then writes it FAILED once (trial-37 F1)", async () => {
  const { root, del } = await makeProject();
  const command = await killExecLeavingItsCommand(del);
  try {
    // Not by age either: its command is seen running.
    const early = await runCliProcess(["reap", del, "--older-than", "0s"]);
    assertEquals(early.code, 0, early.stderr);
    assertEquals(await recordsOf(del), [], early.stderr);
    assertMatch(early.stderr, new RegExp(`left pending: .*its command \\(pid ${command}\\) runs`));
    assertEquals(pendingFiles(del).length, 2, pendingFiles(del).join()); // the run and its marker
  } finally {
    Deno.kill(command, "SIGKILL");
  }
  await processGone(command);
  const late = await runCliProcess(["reap", del]);
  assertEquals(late.code, 0, late.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.RunStatus), ["FAILED"]);
  assertEquals(pendingFiles(del), []); // no marker left
  await Deno.remove(root, { recursive: true });
});

Deno.test("runrec start and finish of the same agent and folder under runrec exec (an agent's block run by an orchestrator's exec): the start warns that exec records the run, and the second record's Notes say so; another agent's start does not (trial-37 F3)", async () => {
  const { root, del } = await makeProject();
  const inner = (agent: string) =>
    `T=$(${RUNREC_SH} start '${del}' --agent ${agent}) && ` +
    `${RUNREC_SH} finish "$T" --agent ${agent} --status SUCCESS`;
  const same = await execSh(del, inner("A"));
  assertEquals(same.code, 0, same.stderr);
  const [innerRecord, execRecord] = await recordsOf(del);
  const execId = execRecord.Notes.match(/run ([0-9]{8}T[0-9]{9}Z-[0-9a-f]{8})/)![1];
  assertIncludes(same.stderr, `this command runs under runrec exec, whose run ${execId} of A`);
  assertIncludes(same.stderr, `runrec annotate ${del} <its RunID> --invalidates`);
  assertIncludes(innerRecord.Notes, `started under runrec exec (run id ${execId})`);
  assertEquals(execRecord.Notes.includes("started under runrec exec"), false, execRecord.Notes);
  // Another agent's run under exec is a run of its own.
  const other = await execSh(del, inner("B"));
  assertEquals(other.code, 0, other.stderr);
  assertEquals(other.stderr.includes("runs under runrec exec"), false, other.stderr);
  assertEquals((await recordsOf(del)).at(-2)!.Notes.includes("under runrec exec"), false);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec whose command creates the deliverable folder, killed by SIGKILL: reap of the folder above writes its run FAILED, where no trace of it was left; a finished one leaves no copy behind (trial-37 F7)", async () => {
  const { root, del } = await makeProject();
  // This run's own TMPDIR: the reaped run is kept in its pending folder, which no other test may find.
  const tmp = join(root, "tmp");
  await Deno.mkdir(tmp);
  const env = { TMPDIR: tmp };
  const outside = join(tmp, `runrec-pending-${Deno.uid()}`);
  const made = join(dirname(del), "DEL-01-09_New");
  const create = `mkdir '${made}' && echo '**DeliverableID:** DEL-01-09' > '${made}/_CONTEXT.md'`;
  const done = await runCliProcess(
    ["exec", made, "--agent", "A", "--", "sh", "-c", create],
    undefined,
    env,
  );
  assertEquals(done.code, 0, done.stderr);
  const finished = (await recordsOf(made)).at(-1)!;
  const finishedId = finished.Notes.match(/run ([0-9]{8}T[0-9]{9}Z-[0-9a-f]{8})/)![1];
  assertEquals(existsFile(join(outside, `${finishedId}.json`)), false);
  await Deno.remove(made, { recursive: true });
  // CMD says its pid once exec has named it beside the run's copy (30 s at most), then runs on.
  const marker = `"${outside}/$RUNREC_EXEC_RUN.command"`;
  const wait =
    `i=0; until grep -qs "^$$@" ${marker} || [ $i = 600 ]; do i=$((i+1)); sleep 0.05; done`;
  const exec = new Deno.Command(RUNREC[0], {
    args: [
      ...RUNREC.slice(1),
      "exec",
      made,
      "--agent",
      "A",
      "--",
      "sh",
      "-c",
      `${create}; ${wait}; echo $$; exec sleep 600`,
    ],
    env,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const command = Number(await firstLine(exec.stdout));
  exec.kill("SIGKILL");
  await exec.status;
  Deno.kill(command, "SIGKILL");
  await processGone(command);
  const reaped = await runCliProcess(["reap", dirname(del)], undefined, env);
  assertEquals(reaped.code, 0, reaped.stderr);
  const records = await recordsOf(made);
  assertEquals(records.map((r) => [r.RunStatus, r.ErrorSummary]), [[
    "FAILED",
    "reaped: the agent never finished",
  ]]);
  const id = records[0].Notes.match(/run ([0-9]{8}T[0-9]{9}Z-[0-9a-f]{8})/)![1];
  assertEquals(existsFile(join(outside, `${id}.json`)), false);
  assertEquals(existsFile(join(outside, `${id}.command`)), false);
  await Deno.remove(root, { recursive: true });
});

/** Whether `path` is there. */
function existsFile(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("exec killed by SIGKILL, its run then finished by its token while its command runs on: the next reap removes the command's marker, which guards nothing any more (trial-37 F1)", async () => {
  const { root, del } = await makeProject();
  const command = await killExecLeavingItsCommand(del);
  try {
    const token = join(
      del,
      ".runrec",
      "pending",
      pendingFiles(del).find((f) => f.endsWith(".json"))!,
    );
    const finish = await runCliProcess([
      "finish",
      token,
      "--status",
      "FAILED",
      "--error",
      "killed",
    ]);
    assertEquals(finish.code, 0, finish.stderr);
    assertEquals(pendingFiles(del).filter((f) => f.endsWith(".command")).length, 1);
    assertEquals((await runCliProcess(["reap", del])).code, 0);
    assertEquals(pendingFiles(del), []);
    assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED"]);
  } finally {
    Deno.kill(command, "SIGKILL");
  }
  await processGone(command);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec whose command creates the deliverable folder, its run's copy finished meanwhile by another process: exec records no second record (trial-37 F7)", async () => {
  const { root, del } = await makeProject();
  const outside = outsidePendingFolder()!;
  const made = join(dirname(del), "DEL-01-09_New");
  const go = join(root, "go");
  const create = `mkdir '${made}' && echo '**DeliverableID:** DEL-01-09' > '${made}/_CONTEXT.md'`;
  const until = (path: string) =>
    `i=0; until [ -e ${path} ] || [ $i = 600 ]; do i=$((i+1)); sleep 0.05; done`;
  const exec = new Deno.Command(RUNREC[0], {
    args: [
      ...RUNREC.slice(1),
      ...["exec", made, "--agent", "A", "--", "sh", "-c"],
      `${create}; ${until(`"${outside}/$RUNREC_EXEC_RUN.command"`)}; echo $RUNREC_EXEC_RUN; ` +
      until(`'${go}'`),
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const id = await firstLine(exec.stdout);
  const other = await runCliProcess(["finish", join(outside, `${id}.json`), "--status", "FAILED"]);
  assertEquals(other.code, 0, other.stderr);
  await Deno.writeTextFile(go, "");
  const ended = await exec.output();
  assertEquals(ended.code, 0);
  assertEquals((await recordsOf(made)).map((r) => r.RunStatus), ["FAILED"]);
  assertIncludes(new TextDecoder().decode(ended.stderr), "run not recorded: ");
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec whose command creates the deliverable folder, its record neither written, spooled nor its lost-record line printed (stderr a full device): its run's copy stays pending and reap writes it FAILED, as a run of a folder that was there, where it left no trace (review-37 F1)", async () => {
  const { root } = await makeProject();
  const tmp = join(root, "tmp"); // this run's own TMPDIR: its user spool is made unusable below
  await Deno.mkdir(tmp);
  const made = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-09_New");
  // The record file a folder, the folder's spool and the user's spool files: nowhere to write.
  const create = `mkdir '${made}' && echo '**DeliverableID:** DEL-01-09' > '${made}/_CONTEXT.md'` +
    ` && mkdir '${made}/RunRecords.csv' && touch '${made}/.runrec-spool' "$TMPDIR/runrec-spool-$(id -u)"`;
  const exec = await new Deno.Command("sh", {
    args: ["-c", `exec ${RUNREC_SH} exec '${made}' --agent A -- sh -c "$0" 2>/dev/full`, create],
    env: { TMPDIR: tmp },
  }).output();
  assertEquals(exec.code, 0);
  // The faults gone, the run is found by a reap of the folder above.
  await Deno.remove(join(made, "RunRecords.csv"));
  await Deno.remove(join(made, ".runrec-spool"));
  await Deno.remove(join(tmp, `runrec-spool-${Deno.uid()}`));
  const reaped = await runCliProcess(["reap", dirname(made)], undefined, { TMPDIR: tmp });
  assertEquals(reaped.code, 0, reaped.stderr);
  assertEquals((await recordsOf(made)).map((r) => [r.RunStatus, r.ErrorSummary]), [[
    "FAILED",
    "reaped: the agent never finished",
  ]]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("exec whose command was to create the deliverable folder, killed by SIGKILL, the folder never made: reap's record of its run says the folder was not there at its start, not that it was removed during the run, and its warning does not ask for it back (review-37 F2)", async () => {
  const { root, del } = await makeProject();
  // This run's own TMPDIR: reap's record of the run waits in its user spool, which no other test
  // may find.
  const tmp = join(root, "tmp");
  await Deno.mkdir(tmp);
  const outside = join(tmp, `runrec-pending-${Deno.uid()}`);
  const never = join(dirname(del), "DEL-01-08_Never");
  // CMD says its pid once exec has named it beside the run's copy (30 s at most), then runs on.
  const marker = `"${outside}/$RUNREC_EXEC_RUN.command"`;
  const wait =
    `i=0; until grep -qs "^$$@" ${marker} || [ $i = 600 ]; do i=$((i+1)); sleep 0.05; done`;
  const exec = new Deno.Command(RUNREC[0], {
    args: [...RUNREC.slice(1), "exec", never, "--agent", "A", "--", "sh", "-c"].concat(
      `${wait}; echo $$; exec sleep 600`,
    ),
    env: { TMPDIR: tmp },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const command = Number(await firstLine(exec.stdout));
  exec.kill("SIGKILL");
  await exec.status;
  Deno.kill(command, "SIGKILL");
  await processGone(command);
  const reaped = await runCliProcess(["reap", dirname(del)], undefined, { TMPDIR: tmp });
  assertEquals(reaped.code, 0, reaped.stderr);
  assertIncludes(reaped.stderr, "the deliverable folder was not there at the run's start, nor is");
  assertIncludes(
    reaped.stderr,
    `${never}: not there at the run's start, nor now: its record waits`,
  );
  assertEquals(reaped.stderr.includes("removed during the run"), false, reaped.stderr);
  assertEquals(reaped.stderr.includes("is back"), false, reaped.stderr);
  await Deno.remove(root, { recursive: true });
});
