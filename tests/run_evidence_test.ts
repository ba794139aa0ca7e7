/**
 * Records that say what runrec knows: runs at the same time in one folder,
 * what the start's hashes show at finish, a run whose pending file is gone,
 * an outcome word runrec does not know, emit without a start, and
 * placeholders left unfilled (the defects of user trial 10, parts A-E).
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { blockBody } from "../src/agent_block.ts";
import { newRunId } from "../src/run_ids.ts";
import { BUILTIN_PROFILES } from "../src/profiles.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { pendingFiles, recordsOf, RUNREC } from "./support/runs.ts";

const q = (path: string) => `'${path.replaceAll("'", `'\\''`)}'`;

Deno.test("exec: two runs at once in one folder each name the other in Notes (real processes)", async () => {
  const { root, del } = await makeProject();
  const ready = join(root, "ready");
  const go = join(root, "go");
  for (const fifo of [ready, go]) {
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert(made.success);
  }
  // A writes its output, says so, and waits for the test to let it end.
  const lens = new Deno.Command(RUNREC[0], {
    args: [
      ...RUNREC.slice(1),
      ...["exec", del, "--agent", "CHIRALITY_LENS", "--", "sh", "-c"],
      `echo lens > ${q(join(del, "_SEMANTIC_LENSING.md"))}; echo up > ${q(ready)}; ` +
      `read x < ${q(go)}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await Deno.readTextFile(ready); // A's run is started and its command running
  const deps = await runCliProcess([
    ...["exec", del, "--agent", "DEPENDENCIES", "--", "sh", "-c"],
    `echo row >> ${q(join(del, "_DEPENDENCIES.md"))}`,
  ]);
  assertEquals(deps.code, 0, deps.stderr);
  await Deno.writeTextFile(go, "go\n");
  const lensEnd = await lens.output();
  assertEquals(lensEnd.code, 0, new TextDecoder().decode(lensEnd.stderr));
  const [first, second] = await recordsOf(del);
  assertEquals([first.AgentName, second.AgentName], ["DEPENDENCIES", "CHIRALITY_LENS"]);
  // DEPENDENCIES ended while CHIRALITY_LENS was pending; CHIRALITY_LENS after DEPENDENCIES' record.
  assertMatch(
    first.Notes,
    /run\(s\) \S+ \(CHIRALITY_LENS, started [^)]*, not finished\) active in this folder at the same time: files they changed may be among this run's outputs/,
  );
  assertIncludes(second.Notes, `${first.RunID} (DEPENDENCIES, ${first.RunTimestamp} for `);
  assertIncludes(second.Notes, "active in this folder at the same time");
  assertIncludes(
    new TextDecoder().decode(lensEnd.stderr),
    "active in this folder at the same time",
  );
  // A run alone in its folder is not said to have company.
  const alone = await runCliProcess(["exec", del, "--agent", "DEPENDENCIES", "--", "true"]);
  assertEquals(alone.code, 0, alone.stderr);
  assert(!(await recordsOf(del))[2].Notes.includes("at the same time"));
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish notes what the start's hashes show: an input changed unnamed, _STATUS.md moved unnamed, an output unchanged", async () => {
  const { root, del } = await makeProject();
  const start = await runCliProcess([
    ...["start", del, "--agent", "CHIRALITY_FRAMEWORK"],
    ...["--input", "Datasheet.md", "--input", "_CONTEXT.md"],
  ]);
  assertEquals(start.code, 0, start.stderr);
  await Deno.writeTextFile(join(del, "_SEMANTIC.md"), "# Semantic\n");
  await Deno.writeTextFile(join(del, "_CONTEXT.md"), "**DeliverableID:** DEL-01-02\nmore\n");
  const status = await Deno.readTextFile(join(del, "_STATUS.md"));
  await Deno.writeTextFile(join(del, "_STATUS.md"), status.replace("OPEN", "INITIALIZED"));
  const finish = await runCliProcess([
    ...["finish", start.stdout.trim(), "--status", "SUCCESS"],
    ...["--output", "_SEMANTIC.md", "--output", "Datasheet.md"],
  ]);
  assertEquals(finish.code, 0, finish.stderr);
  const [record] = await recordsOf(del);
  assertIncludes(
    record.Notes,
    "input(s) _CONTEXT.md changed or removed during the run and not named as outputs: this " +
      "run changed them without naming them, or something else did",
  );
  assertIncludes(
    record.Notes,
    "_STATUS.md moved from OPEN to INITIALIZED during the run and is not named as an output",
  );
  assertIncludes(
    record.Notes,
    "output(s) Datasheet.md byte for byte as read at start: named as outputs, not changed",
  );
  assert(!record.Notes.includes("_SEMANTIC.md byte for byte"), record.Notes);
  assertIncludes(finish.stderr, "runrec: note: input(s) _CONTEXT.md changed");
  // Named as it changed: nothing to say.
  const named = await runCliProcess(["start", del, "--agent", "X", "--input", "_CONTEXT.md"]);
  await Deno.writeTextFile(join(del, "_CONTEXT.md"), "**DeliverableID:** DEL-01-02\n");
  const clean = await runCliProcess([
    ...["finish", named.stdout.trim(), "--status", "SUCCESS", "--output", "_CONTEXT.md"],
  ]);
  assertEquals(clean.code, 0, clean.stderr);
  const notes = (await recordsOf(del))[1].Notes;
  assert(!/changed or removed|byte for byte|moved from/.test(notes), notes);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish: an output that existed neither at start nor at finish is TBD, never existed; one removed is DELETED", async () => {
  const { root, del } = await makeProject();
  const token = (await runCliProcess(["start", del, "--agent", "DEPENDENCIES"])).stdout.trim();
  await Deno.remove(join(del, "Dependencies.csv"));
  const finish = await runCliProcess([
    ...["finish", token, "--status", "SUCCESS"],
    ...["--output", "Dependencies.csv", "--output", "Nowhere.md"],
  ]);
  assertEquals(finish.code, 0, finish.stderr);
  const [record] = await recordsOf(del);
  assertEquals(record.OutputHashes, { "Dependencies.csv": "DELETED", "Nowhere.md": "TBD" });
  assertIncludes(
    record.Notes,
    "output Nowhere.md does not exist, nor did it at start: never existed, recorded TBD",
  );
  assertIncludes(record.Notes, "output Dependencies.csv does not exist: recorded as DELETED");
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish: an output deleted from a folder start did not list (node_modules, a linked folder) is DELETED, not never existed", async () => {
  const { root, del } = await makeProject();
  await Deno.mkdir(join(del, "node_modules"));
  await Deno.writeTextFile(join(del, "node_modules", "n.md"), "n\n");
  await Deno.mkdir(join(root, "shared"));
  await Deno.writeTextFile(join(root, "shared", "s.md"), "s\n");
  await Deno.symlink(join(root, "shared"), join(del, "linked"));
  await Deno.mkdir(join(del, "plain"));
  const token = (await runCliProcess(["start", del, "--agent", "DEPENDENCIES"])).stdout.trim();
  await Deno.remove(join(del, "node_modules", "n.md"));
  await Deno.remove(join(root, "shared", "s.md"));
  const finish = await runCliProcess([
    ...["finish", token, "--agent", "DEPENDENCIES", "--status", "SUCCESS"],
    ...["--output", "node_modules/n.md", "--output", "linked/s.md", "--output", "plain/p.md"],
  ]);
  assertEquals(finish.code, 0, finish.stderr);
  const [record] = await recordsOf(del);
  // plain/ was listed at start and held no p.md: that one alone is known never to have existed.
  assertEquals(record.OutputHashes, {
    "node_modules/n.md": "DELETED",
    "linked/s.md": "DELETED",
    "plain/p.md": "TBD",
  });
  assertIncludes(record.Notes, "output node_modules/n.md does not exist: recorded as DELETED");
  assertIncludes(record.Notes, "output linked/s.md does not exist: recorded as DELETED");
  assertIncludes(record.Notes, "output plain/p.md does not exist, nor did it at start");
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish: an output in a folder that did not exist at start (sub/dir/X.md) is TBD, never existed; beneath a linked folder or node_modules made since, DELETED", async () => {
  const { root, del } = await makeProject();
  await Deno.mkdir(join(root, "shared"));
  await Deno.symlink(join(root, "shared"), join(del, "linked"));
  const token = (await runCliProcess(["start", del, "--agent", "DEPENDENCIES"])).stdout.trim();
  // Folders made during the run: they did not exist at start, so neither did a file in them.
  await Deno.mkdir(join(del, "made", "deeper"), { recursive: true });
  const finish = await runCliProcess([
    ...["finish", token, "--agent", "DEPENDENCIES", "--status", "SUCCESS"],
    ...["--output", "sub/dir/X.md", "--output", "made/deeper/Y.md"],
    ...["--output", "linked/gone/Z.md", "--output", "node_modules/p/N.md"],
  ]);
  assertEquals(finish.code, 0, finish.stderr);
  const [record] = await recordsOf(del);
  // linked/ was there at start, not listed: what it held is unknown. node_modules is never listed.
  assertEquals(record.OutputHashes, {
    "sub/dir/X.md": "TBD",
    "made/deeper/Y.md": "TBD",
    "linked/gone/Z.md": "DELETED",
    "node_modules/p/N.md": "DELETED",
  });
  assertIncludes(record.Notes, "output sub/dir/X.md does not exist, nor did it at start");
  assertIncludes(record.Notes, "output made/deeper/Y.md does not exist, nor did it at start");
  assertIncludes(finish.stderr, "output sub/dir/X.md does not exist, nor did it at start");
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish of a run an older runrec started (no unlisted folders kept): only an output right in a listed folder is known never to have existed", async () => {
  const { root, del } = await makeProject();
  const token = (await runCliProcess(["start", del, "--agent", "DEPENDENCIES"])).stdout.trim();
  const { unlisted: _unlisted, cwd: _cwd, ...older } = JSON.parse(await Deno.readTextFile(token));
  await Deno.writeTextFile(token, JSON.stringify(older));
  const finish = await runCliProcess([
    ...["finish", token, "--agent", "DEPENDENCIES", "--status", "SUCCESS"],
    ...["--output", "Nowhere.md", "--output", "sub/dir/X.md"],
  ]);
  assertEquals(finish.code, 0, finish.stderr);
  const [record] = await recordsOf(del);
  assertEquals(record.OutputHashes, { "Nowhere.md": "TBD", "sub/dir/X.md": "DELETED" });
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish from another folder than its start: an output named from the start's folder is that file, noted; one missing there too is never existed", async () => {
  const { root, del } = await makeProject();
  const rel = "PKG-01_Pkg/1_Working/DEL-01-02_Thing";
  const start = await runCliProcess(
    ["start", rel, "--agent", "CHIRALITY_LENS"],
    undefined,
    {},
    root,
  );
  assertEquals(start.code, 0, start.stderr);
  await Deno.writeTextFile(join(del, "_SEMANTIC_LENSING.md"), "lens\n");
  // The agent's shell has moved on: the paths it gives are still from the execution root.
  const finish = await runCliProcess(
    [
      ...["finish", start.stdout.trim(), "--agent", "CHIRALITY_LENS", "--status", "SUCCESS"],
      ...["--output", `${rel}/_SEMANTIC_LENSING.md`, "--output", `${rel}/sub/Nowhere.md`],
    ],
    undefined,
    {},
    join(root, "_Decomposition"),
  );
  assertEquals(finish.code, 0, finish.stderr);
  const [record] = await recordsOf(del);
  assertEquals(Object.keys(record.OutputHashes).sort(), [
    `${rel}/sub/Nowhere.md`,
    "_SEMANTIC_LENSING.md",
  ]);
  assertMatch(record.OutputHashes["_SEMANTIC_LENSING.md"], /^[0-9a-f]{64}$/);
  assertEquals(record.OutputHashes[`${rel}/sub/Nowhere.md`], "TBD");
  assertIncludes(
    record.Notes,
    `--output ${rel}/_SEMANTIC_LENSING.md: recorded as _SEMANTIC_LENSING.md, the file it names ` +
      "from the folder runrec start ran in",
  );
  assert(!finish.stderr.includes("DELETED"), finish.stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish from another folder with <del-dir> given through a symbolic link: an output named from the start's folder is that file, hashed (review-r F5)", async () => {
  const { root, del } = await makeProject();
  const rel = "PKG-01_Pkg/1_Working/DEL-01-02_Thing";
  // The project reached through a link (a home folder on a data disk): start's kept folder is
  // the real one (as the system gives it), the finish names the deliverable through the link.
  const link = join(await tempDir(), "project");
  await Deno.symlink(root, link);
  const start = await runCliProcess(
    ["start", rel, "--agent", "CHIRALITY_LENS"],
    undefined,
    {},
    link,
  );
  assertEquals(start.code, 0, start.stderr);
  await Deno.writeTextFile(join(del, "_SEMANTIC_LENSING.md"), "lens\n");
  const finish = await runCliProcess(
    [
      ...["finish", join(link, rel), "--agent", "CHIRALITY_LENS", "--status", "SUCCESS"],
      ...["--output", `${rel}/_SEMANTIC_LENSING.md`],
    ],
    undefined,
    {},
    join(root, "_Decomposition"),
  );
  assertEquals(finish.code, 0, finish.stderr);
  assert(!finish.stderr.includes("does not exist"), finish.stderr);
  const [record] = await recordsOf(del);
  assertEquals(Object.keys(record.OutputHashes), ["_SEMANTIC_LENSING.md"]);
  assertMatch(record.OutputHashes["_SEMANTIC_LENSING.md"], /^[0-9a-f]{64}$/);
  assertIncludes(
    record.Notes,
    `--output ${rel}/_SEMANTIC_LENSING.md: recorded as _SEMANTIC_LENSING.md, the file it names ` +
      "from the folder runrec start ran in",
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish: an output the run deleted, named from <del-dir> as documented, is that file DELETED, not a file of the same name in start's or the current folder (review-s F8)", async () => {
  for (const finishIn of ["the project root", "start's folder"]) {
    const { root, del } = await makeProject();
    const drafts = join(del, "drafts");
    await Deno.mkdir(drafts);
    await Deno.writeTextFile(join(del, "Notes.md"), "a\n");
    await Deno.writeTextFile(join(drafts, "Notes.md"), "b\n");
    const start = await runCliProcess(
      ["start", del, "--agent", "CHIRALITY_LENS"],
      undefined,
      {},
      drafts,
    );
    assertEquals(start.code, 0, start.stderr);
    await Deno.remove(join(del, "Notes.md"));
    const finish = await runCliProcess(
      [...["finish", start.stdout.trim(), "--status", "SUCCESS"], ...["--output", "Notes.md"]],
      undefined,
      {},
      finishIn === "start's folder" ? drafts : root,
    );
    assertEquals(finish.code, 0, finish.stderr);
    const [record] = await recordsOf(del);
    assertEquals(record.OutputHashes, { "Notes.md": "DELETED" }, finishIn);
    assert(!record.Notes.includes("recorded as drafts/Notes.md"), record.Notes);
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("finish: an output the run deleted, named from the current folder or from start's, is recorded DELETED under its <del-dir> path, not TBD never existed (review-s F3)", async () => {
  for (const finishIn of ["start's folder", "another folder"]) {
    const { root, del } = await makeProject();
    const rel = "PKG-01_Pkg/1_Working/DEL-01-02_Thing";
    await Deno.writeTextFile(join(del, "Datasheet.md"), "sheet\n");
    const start = await runCliProcess(
      ["start", rel, "--agent", "CHIRALITY_LENS"],
      undefined,
      {},
      root,
    );
    assertEquals(start.code, 0, start.stderr);
    await Deno.remove(join(del, "Datasheet.md"));
    const finish = await runCliProcess(
      [
        ...["finish", start.stdout.trim(), "--status", "SUCCESS"],
        ...["--output", `${rel}/Datasheet.md`],
      ],
      undefined,
      {},
      finishIn === "start's folder" ? root : join(root, "_Decomposition"),
    );
    assertEquals(finish.code, 0, finish.stderr);
    assert(!finish.stderr.includes("never existed"), finish.stderr);
    const [record] = await recordsOf(del);
    assertEquals(record.OutputHashes, { "Datasheet.md": "DELETED" }, finishIn);
    assertIncludes(record.Notes, `--output ${rel}/Datasheet.md: recorded as Datasheet.md`);
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("finish after git clean -fdx removed the pending file: recorded from the token, noted; a second finish exits 2", async () => {
  const { root, del } = await makeProject();
  const token =
    (await runCliProcess(["start", del, "--agent", "DEPENDENCIES", "--input", "Datasheet.md"]))
      .stdout.trim();
  await Deno.remove(join(del, ".runrec"), { recursive: true }); // what git clean -fdx does to it
  const finish = await runCliProcess([
    ...["finish", token, "--agent", "DEPENDENCIES", "--status", "SUCCESS"],
    ...["--output", "_DEPENDENCIES.md"],
  ]);
  assertEquals(finish.code, 0, finish.stderr);
  const [record] = await recordsOf(del);
  assertEquals(finish.stdout.trim(), record.RunID);
  const id = token.split("/").at(-1)!.replace(/\.json$/, "");
  const stamp = id.replace(
    /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)(\d{3})Z-.*$/,
    "$1-$2-$3T$4:$5:$6.$7Z",
  );
  assertEquals(
    [record.AgentName, record.RunTimestamp, record.StatusBefore, record.StatusAfter],
    ["DEPENDENCIES", stamp, "TBD", "OPEN"],
  );
  assertEquals([record.InputFiles, record.InputContextSHA], [[], "TBD"]);
  assertIncludes(
    record.Notes,
    "pending run file gone before finish (git clean -x?): inputs not captured at start (TBD)",
  );
  assertEquals(Object.keys(record.OutputHashes), ["_DEPENDENCIES.md"]);
  // Recorded once: finishing again is refused as finished already.
  const again = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(again.code, 2);
  assertMatch(again.stderr, /no pending run .*: finished already/);
  // Without --agent nothing says the run was ever started: exit 2, saying what records it.
  const other = (await runCliProcess(["start", del, "--agent", "X"])).stdout.trim();
  await Deno.remove(join(del, ".runrec"), { recursive: true });
  const unnamed = await runCliProcess(["finish", other, "--status", "FAILED", "--error", "e"]);
  assertEquals(unnamed.code, 2);
  assertMatch(
    unnamed.stderr,
    /^runrec finish: .*: no pending run \S+, and no record of it: its file was removed .*; finish with --agent NAME records it from the token; to record the run: runrec emit /,
  );
  assertEquals((await recordsOf(del)).length, 1);
  const named = await runCliProcess([
    ...["finish", other, "--agent", "X", "--status", "FAILED", "--error", "e"],
  ]);
  assertEquals(named.code, 0, named.stderr);
  assertEquals((await recordsOf(del))[1].AgentName, "X");
  // --agent that is not the pending run's: exit 2, still pending.
  const third = (await runCliProcess(["start", del, "--agent", "X"])).stdout.trim();
  const wrong = await runCliProcess(["finish", third, "--agent", "Y", "--status", "SUCCESS"]);
  assertEquals(wrong.code, 2);
  assertMatch(
    wrong.stderr,
    /^runrec finish: --agent Y: run \S+ was started by X; it is still pending\n$/,
  );
  assertEquals(pendingFiles(del).length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish: a well-formed token of a run never started exits 2 and writes nothing: without --agent, from the future, or older than a day", async () => {
  const { root, del } = await makeProject();
  const hour = 3_600_000;
  const token = (ago: number) =>
    join(del, ".runrec", "pending", `${newRunId(new Date(Date.now() - ago).toISOString())}.json`);
  const attempts = [
    {
      token: token(2 * hour),
      agent: [],
      why: "finish with --agent NAME records it from the token",
    },
    { token: token(-hour), agent: ["--agent", "X"], why: "is in the future" },
    { token: token(25 * hour), agent: ["--agent", "X"], why: "is more than a day ago" },
  ];
  for (const { token, agent, why } of attempts) {
    const out = await runCliProcess(["finish", token, ...agent, "--status", "SUCCESS"]);
    assertEquals(out.code, 2, out.stderr);
    assertMatch(out.stderr, /^runrec finish: .*: no pending run \S+, and no record of it: .*\n$/);
    assertIncludes(out.stderr, why);
  }
  assertEquals(await recordsOf(del), []);
  // Named and recent, it is what git clean -x leaves of a run: recorded, noted.
  const recent = await runCliProcess([
    "finish",
    token(hour),
    "--agent",
    "X",
    "--status",
    "SUCCESS",
  ]);
  assertEquals(recent.code, 0, recent.stderr);
  assertIncludes((await recordsOf(del))[0].Notes, "recorded from the token");
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish --status with an unknown word: exit 2 says the run is still pending and how to finish, naming a word meant (agent-trial F7); again records it", async () => {
  const { root, del } = await makeProject();
  const token = (await runCliProcess(["start", del, "--agent", "RISK_REGISTER"])).stdout.trim();
  const blocked = await runCliProcess(["finish", token, "--status", "BLOCKED"]);
  assertEquals(blocked.code, 2);
  assertEquals(
    blocked.stderr,
    `runrec finish: --status must be one of SUCCESS, PARTIAL, FAILED, SKIPPED, got "BLOCKED"; ` +
      `the run is still pending: run runrec finish ${token} again with --status SUCCESS, ` +
      "PARTIAL, FAILED, SKIPPED or a host outcome word (PASS, FAIL, SKIPPED_PROTECT_HUMAN_WORK, " +
      "FAILED_INPUTS, UNSUPPORTED_VARIANT), your own word in --notes\n",
  );
  assertEquals(pendingFiles(del).length, 1);
  // A misspelt status or outcome word is named (agent-trial F7).
  for (const [typed, meant] of [["SUCCES", "SUCCESS"], ["sucess", "SUCCESS"], ["PASSED", "PASS"]]) {
    const typo = await runCliProcess(["finish", token, "--status", typed]);
    assertEquals(typo.code, 2);
    assertIncludes(
      typo.stderr,
      `got "${typed}" (did you mean ${meant}?); the run is still pending`,
    );
  }
  assertEquals(pendingFiles(del).length, 1);
  const again = await runCliProcess(["finish", token, "--status", "FAILED", "--notes", "BLOCKED"]);
  assertEquals(again.code, 0, again.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("agent block: finish again after a refused --status; emit's fallback gives --started and --status-before; finish names --agent", () => {
  for (const profile of Object.values(BUILTIN_PROFILES)) {
    const text = blockBody(profile).join("\n");
    assertIncludes(
      text,
      "If `runrec finish` exits 2 refusing `--status`, the run is still pending",
    );
    assertIncludes(text, `--started "{STARTED}" --status-before "{STATUS_BEFORE}"`);
    assertIncludes(text, `runrec finish "{RUN_TOKEN}" --agent ${profile.name} --status SUCCESS`);
  }
});

Deno.test("docs/AGENT_PROTOCOL.md: its finish synopsis gives --agent, as the block does", async () => {
  const doc = await Deno.readTextFile(new URL("../docs/AGENT_PROTOCOL.md", import.meta.url));
  assertIncludes(doc, "`runrec finish <token> --agent NAME --status S [--output P]...");
});

Deno.test("emit with the block's fallback options (--started, --status-before): the run's duration and StatusBefore, not PT0S and TBD", async () => {
  const { root, del } = await makeProject();
  const started = new Date(Date.now() - 60_000).toISOString();
  const emit = await runCliProcess([
    ...["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    ...["--started", started, "--status-before", "OPEN"],
  ]);
  assertEquals(emit.code, 0, emit.stderr);
  const [record] = await recordsOf(del);
  assertEquals([record.RunTimestamp, record.StatusBefore], [started, "OPEN"]);
  assert(record.RunDuration.startsWith("PT1M"), record.RunDuration);
  await Deno.remove(root, { recursive: true });
});

Deno.test("placeholders left unfilled: --pass and the token exit 2; an --input is warned of and noted; a file is not a token", async () => {
  const { root, del } = await makeProject();
  const pass = await runCliProcess([
    "start",
    del,
    "--agent",
    "4_DOCUMENTS",
    "--pass",
    "{RUN_PASSES}",
  ]);
  assertEquals(pass.code, 2);
  assertEquals(
    pass.stderr,
    'runrec start: --pass "{RUN_PASSES}" holds the placeholder {RUN_PASSES}, not filled in: ' +
      "give the value it stands for\n",
  );
  assertEquals(pendingFiles(del), []);
  const input = await runCliProcess([
    ...["start", del, "--agent", "PREPARATION", "--input", "{DECOMPOSITION_REF}"],
  ]);
  assertEquals(input.code, 0, input.stderr);
  assertIncludes(
    input.stderr,
    'runrec: warning: --input "{DECOMPOSITION_REF}" holds the placeholder {DECOMPOSITION_REF}',
  );
  const token = await runCliProcess(["finish", "{RUN_TOKEN}", "--status", "SUCCESS"]);
  assertEquals(token.code, 2);
  assertEquals(
    token.stderr,
    'runrec finish: <token> "{RUN_TOKEN}" holds the placeholder {RUN_TOKEN}, not filled in: ' +
      "give the value it stands for (the token runrec start printed)\n",
  );
  const finish = await runCliProcess(["finish", input.stdout.trim(), "--status", "SUCCESS"]);
  assertEquals(finish.code, 0, finish.stderr);
  assertIncludes(
    (await recordsOf(del))[0].Notes,
    '--input "{DECOMPOSITION_REF}" holds the placeholder',
  );
  const file = await runCliProcess(["finish", join(del, "Datasheet.md"), "--status", "SUCCESS"]);
  assertEquals(file.code, 2);
  assertEquals(
    file.stderr,
    `runrec finish: ${join(del, "Datasheet.md")}: not a run token (runrec start prints ` +
      "<del-dir>/.runrec/pending/<id>.json) but a file\n",
  );
  assertEquals((await recordsOf(del)).length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("emit, the block's fallback, treats placeholders as start does: --pass exits 2 writing nothing; an --input is warned of once and noted, and so is an --output (emit and finish)", async () => {
  const { root, del } = await makeProject();
  const emit = ["emit", del, "--agent", "PREPARATION", "--status", "SUCCESS"];
  const pass = await runCliProcess([...emit, "--pass", "{RUN_PASSES}", "--input", "_CONTEXT.md"]);
  assertEquals(pass.code, 2);
  assertEquals(
    pass.stderr,
    'runrec emit: --pass "{RUN_PASSES}" holds the placeholder {RUN_PASSES}, not filled in: ' +
      "give the value it stands for\n",
  );
  assertEquals(await recordsOf(del), []);
  const input = await runCliProcess([...emit, "--pass", "FULL", "--input", "{DECOMPOSITION_REF}"]);
  assertEquals(input.code, 0, input.stderr);
  const said = "holds the placeholder {DECOMPOSITION_REF}, not filled in";
  const lines = input.stderr.split("\n").filter((line) => line.includes(said));
  assertEquals(lines, [
    'runrec: warning: --input "{DECOMPOSITION_REF}" holds the placeholder {DECOMPOSITION_REF}, ' +
    "not filled in: give the value it stands for",
  ]);
  const [record] = await recordsOf(del);
  assertEquals(record.RunPassDirective, "FULL");
  assertIncludes(record.Notes, `--input "{DECOMPOSITION_REF}" ${said}`);
  // An --output holding one is warned of once and noted too, by emit and by finish (it was
  // recorded as DELETED without a word).
  const outputSaid = 'runrec: warning: --output "{PRIMARY_OUTPUT}" holds the placeholder ' +
    "{PRIMARY_OUTPUT}, not filled in: give the value it stands for";
  const emitted = await runCliProcess([...emit, "--output", "{PRIMARY_OUTPUT}"]);
  const started = await runCliProcess(["start", del, "--agent", "PREPARATION"]);
  const finished = await runCliProcess(
    ["finish", started.stdout.trim(), "--status", "SUCCESS", "--output", "{PRIMARY_OUTPUT}"],
  );
  for (const result of [emitted, finished]) {
    assertEquals(result.code, 0, result.stderr);
    assertEquals(result.stderr.split("\n").filter((l) => l.includes("placeholder {PRIMARY")), [
      outputSaid,
    ]);
  }
  for (const written of (await recordsOf(del)).slice(1)) {
    assertIncludes(written.Notes, '--output "{PRIMARY_OUTPUT}" holds the placeholder');
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("start and finish of a deliverable named through a symbolic link: no input is said to have changed when none did", async () => {
  const { root, del } = await makeProject();
  const link = join(root, "DEL-01-02");
  await Deno.symlink(del, link);
  const start = await runCliProcess(["start", link, "--agent", "DEPENDENCIES"]);
  assertEquals(start.code, 0, start.stderr);
  const finish = await runCliProcess([
    "finish",
    start.stdout.trim(),
    "--agent",
    "DEPENDENCIES",
    "--status",
    "SUCCESS",
  ]);
  assertEquals(finish.code, 0, finish.stderr);
  const [record] = await recordsOf(del);
  assert(record.InputHashes["../../../_Decomposition/D.md"]?.length === 64, record.Notes);
  assert(!record.Notes.includes("changed or removed during the run"), record.Notes);
  assert(!finish.stderr.includes("changed or removed during the run"), finish.stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("placeholders left unfilled in any word option or <del-dir> exit 2 with the one message, writing nothing (--started said only 'not an ISO 8601 date-time', --status-before was recorded TBD), but a folder really named {ACME} is recorded; a mistyped --status-before is TBD with a note", async () => {
  const { root, del } = await makeProject();
  const emit = ["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"];
  const said = (option: string, value: string) =>
    `${option} "${value}" holds the placeholder ${value}, not filled in: give the value it stands for`;
  for (
    const [command, option, value] of [
      [emit, "--started", "{STARTED}"],
      [[...emit, "--started", "2026-01-01T00:00:00Z"], "--status-before", "{STATUS_BEFORE}"],
      [emit, "--status-after", "{STATUS_AFTER}"],
      [["emit", del, "--status", "SUCCESS"], "--agent", "{AGENT}"],
      [["start", del], "--agent", "{AGENT}"],
    ] as const
  ) {
    const result = await runCliProcess([...command, option, value]);
    assertEquals(result.code, 2, result.stderr);
    assertEquals(result.stderr, `runrec ${command[0]}: ${said(option, value)}\n`);
  }
  for (const command of [["emit", "{DELIVERABLE_PATH}", "--agent", "X", "--status", "SUCCESS"]]) {
    const result = await runCliProcess(command);
    assertEquals(result.code, 2);
    assertEquals(result.stderr, `runrec emit: ${said("<del-dir>", "{DELIVERABLE_PATH}")}\n`);
  }
  assertEquals(await recordsOf(del), []);
  assertEquals(pendingFiles(del), []);
  // A folder that is really named so is no placeholder: its run is recorded (review-e F2).
  const braced = join(root, "{ACME}", "DEL-01-09_Braced");
  await Deno.mkdir(braced, { recursive: true });
  const kept = await runCliProcess(["emit", braced, "--agent", "X", "--status", "SUCCESS"]);
  assertEquals(kept.code, 0, kept.stderr);
  assertEquals((await recordsOf(braced)).length, 1);
  const typo = await runCliProcess([...emit, "--status-before", "INITALIZED"]);
  assertEquals(typo.code, 0, typo.stderr);
  // The states named beside it, so the typo is plain (newuser-60 F7).
  assertIncludes(
    typo.stderr,
    '--status-before "INITALIZED" is not a lifecycle state (OPEN, INITIALIZED, SEMANTIC_READY, ' +
      "IN_PROGRESS, CHECKING, ISSUED, RETIRED): TBD",
  );
  assertEquals((await recordsOf(del))[0].StatusBefore, "TBD");
  await Deno.remove(root, { recursive: true });
});

Deno.test("an --input or --output given as a Windows drive path (C:\\x, d:/x, C:) is left out of the record with a note and a warning naming it, never recorded outside the project; the run is recorded all the same, in emit, start, finish and exec (trial-r F3, review-t F2)", async () => {
  const { root, del } = await makeProject();
  const said = (option: string, value: string) =>
    `${option} ${value} is a Windows drive path, which names no file on ${Deno.build.os}: not ` +
    "recorded (give the path as this system names it)";
  const emit = await runCliProcess([
    ...["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    ...["--input", "C:\\Users\\me\\Spec.md", "--input", "Datasheet.md", "--output", "d:/out/x.md"],
  ]);
  assertEquals(emit.code, 0, emit.stderr);
  assertIncludes(emit.stderr, `runrec: warning: ${said("--input", "C:\\Users\\me\\Spec.md")}\n`);
  assertIncludes(emit.stderr, `runrec: warning: ${said("--output", "d:/out/x.md")}\n`);
  const started = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS", "--input", "C:"]);
  assertEquals(started.code, 0, started.stderr);
  assertIncludes(started.stderr, said("--input", "C:"));
  const finish = await runCliProcess([
    ...["finish", started.stdout.trim(), "--status", "SUCCESS"],
    ...["--output", "E:\\Datasheet.md", "--output", "Datasheet.md"],
  ]);
  assertEquals(finish.code, 0, finish.stderr);
  assertIncludes(finish.stderr, said("--output", "E:\\Datasheet.md"));
  const exec = await runCliProcess([
    ...["exec", del, "--agent", "4_DOCUMENTS", "--input", "c:/x.md", "--", "true"],
  ]);
  assertEquals(exec.code, 0, exec.stderr);
  assertIncludes(exec.stderr, said("--input", "c:/x.md"));
  const records = await recordsOf(del);
  assertEquals(records.length, 3);
  assertEquals(records[0].InputFiles, ["Datasheet.md"]);
  assertEquals(records[0].OutputFiles, []);
  assertEquals(records[1].OutputFiles, ["Datasheet.md"]);
  for (const r of records) {
    const paths = [...r.InputFiles, ...r.OutputFiles, ...Object.keys(r.InputHashes)];
    assertEquals(paths.filter((p) => /[A-Za-z]:/.test(p)), [], r.RunID);
  }
  assertIncludes(records[1].Notes, said("--input", "C:"));
  assertIncludes(records[1].Notes, said("--output", "E:\\Datasheet.md"));
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a drive-like name that names a file here (C: on Linux) is that file, recorded; hash --input gives the InputContextSHA emit records, a drive path left out alike (review-u F4, F5)", async () => {
  const { root, del } = await makeProject();
  if (Deno.build.os !== "windows") await Deno.writeTextFile(join(del, "C:"), "data\n");
  const inputs = ["--input", "C:", "--input", "E:\\Spec.md"];
  const emit = await runCliProcess(["emit", del, "--agent", "X", "--status", "SUCCESS", ...inputs]);
  assertEquals(emit.code, 0, emit.stderr);
  const [record] = await recordsOf(del);
  assertEquals(record.InputFiles, ["C:"]);
  assertIncludes(emit.stderr, "--input E:\\Spec.md is a Windows drive path");
  const hash = await runCliProcess(["hash", del, ...inputs, "--json"]);
  assertEquals(hash.code, 0, hash.stderr);
  assertEquals(JSON.parse(hash.stdout).InputContextSHA, record.InputContextSHA);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish of a run during which an annotation was made: the annotation is no run active at the same time (annotate-sweep F2)", async () => {
  const { root, del } = await makeProject();
  const earlier = await runCliProcess(["emit", del, "--agent", "A", "--status", "SUCCESS"]);
  assertEquals(earlier.code, 0, earlier.stderr);
  const token = (await runCliProcess(["start", del, "--agent", "A"])).stdout.trim();
  const annotated = await runCliProcess(
    ["annotate", del, earlier.stdout.trim(), "--note", "checked by hand"],
  );
  assertEquals(annotated.code, 0, annotated.stderr);
  const finished = await runCliProcess(["finish", token, "--status", "SUCCESS"]);
  assertEquals(finished.code, 0, finished.stderr);
  const last = (await recordsOf(del)).at(-1)!;
  assertEquals(last.RunID, finished.stdout.trim());
  assert(!last.Notes.includes("active in this folder at the same time"), last.Notes);
  await Deno.remove(root, { recursive: true });
});
