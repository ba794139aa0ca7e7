/**
 * Stop 51's new users: a language-model agent told only to follow docs/AGENT_PROTOCOL.md, an
 * operator recovering the morning after an incident from the messages alone, and a reviewer of a
 * pull request. Each test is one friction they met, which failed before its fix; where a message
 * names a command, the test runs that command as printed, with `runrec` on PATH.
 */
import { join } from "node:path";
import { runCliProcess } from "./cli.ts";
import { git, makeProject, ROOT, tempDir } from "./fixtures.ts";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { whileReadOnly } from "./support/read_only.ts";
import { diverged, mergeStopped } from "./support/merge_stopped.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { shellWord } from "../src/shell_word.ts";

/** A folder holding a `runrec` that runs the CLI under test, for commands run as printed. */
async function runrecOnPath(): Promise<string> {
  const bin = await tempDir({ prefix: "runrec-bin-" });
  const words = [Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY].map(shellWord).join(" ");
  await Deno.writeTextFile(join(bin, "runrec"), `#!/bin/sh\nexec ${words} "$@"\n`);
  await Deno.chmod(join(bin, "runrec"), 0o755);
  return bin;
}

/** Runs `command` in a POSIX shell in `cwd`, `runrec` on PATH, with `env` added. */
async function runAsPrinted(cwd: string, command: string, env: Record<string, string> = {}) {
  const bin = await runrecOnPath();
  const out = await new Deno.Command("sh", {
    args: ["-c", command],
    cwd,
    env: { ...env, NO_COLOR: "1", PATH: `${bin}:${Deno.env.get("PATH")}` },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** The lines of `del`'s record file holding `text`. */
async function recordLinesWith(del: string, text: string): Promise<string[]> {
  const file = await Deno.readTextFile(join(del, "RunRecords.csv"));
  return file.split("\n").filter((line) => line.includes(text));
}

Deno.test("a record spooled in the temporary folder's spool names the command that replays it from a shell with another $TMPDIR, where it named none and a flush there said 'nothing spooled' (newuser-51 F1)", async () => {
  const { root, del } = await makeProject();
  const ciTmp = await tempDir({ prefix: "runrec-ci-tmp-" });
  const operatorTmp = await tempDir({ prefix: "runrec-op-tmp-" });
  // The CI job's emit: the deliverable read-only, so the record goes to the job's $TMPDIR spool.
  const emitted = await whileReadOnly(del, () =>
    runCliProcess(
      ["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--notes", "from CI"],
      FULL_FLAGS,
      { TMPDIR: ciTmp },
    ));
  assertEquals(emitted.code, 0, emitted.stderr);
  assertIncludes(emitted.stderr, `spooled to ${ciTmp}/runrec-spool-`);
  // The morning after, the operator's shell has another $TMPDIR: a plain flush finds nothing.
  const plain = await runCliProcess(["flush", del], FULL_FLAGS, { TMPDIR: operatorTmp });
  assertIncludes(plain.stdout, "nothing spooled");
  // The warning names the command that replays it; run as printed, it appends the record once.
  const command = emitted.stderr.match(/RUNREC_SPOOL_DIR=\S+ runrec flush \S+/)?.[0];
  assert(command !== undefined, `no flush command in: ${emitted.stderr}`);
  const flushed = await runAsPrinted(root, command, { TMPDIR: operatorTmp });
  assertEquals(flushed.code, 0, flushed.stdout + flushed.stderr);
  assertIncludes(flushed.stdout, "replayed into DEL-01-02");
  assertEquals((await recordLinesWith(del, "from CI")).length, 1);
  const again = await runAsPrinted(root, command, { TMPDIR: operatorTmp });
  assertEquals(again.code, 0, again.stdout + again.stderr);
  assertEquals((await recordLinesWith(del, "from CI")).length, 1);
});

Deno.test("an emit into a RunRecords.csv left mid-merge, and validate of it, name the git command that resolves the conflict keeping both sides' lines, which does (newuser-51 F2)", async () => {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  const emit = (agent: string, started: string) =>
    runCliProcess(
      ["emit", del, "--agent", agent, "--status", "SUCCESS", "--started", started],
      FULL_FLAGS,
      env,
    );
  // No .gitattributes: git merges the record file as text and stops at a conflict.
  await git(root, "init", "-q");
  assertEquals((await emit("BASE", "2026-01-01T00:00:00Z")).code, 0);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  await git(root, "checkout", "-qb", "side");
  assertEquals((await emit("SIDE", "2026-01-02T00:00:00Z")).code, 0);
  await git(root, "commit", "-qam", "side");
  await git(root, "checkout", "-q", "main");
  assertEquals((await emit("MAIN", "2026-01-03T00:00:00Z")).code, 0);
  await git(root, "commit", "-qam", "main");
  const merge = await new Deno.Command("git", {
    args: ["-c", "user.name=runrec test", "-c", "user.email=test@runrec.invalid", "merge", "side"],
    cwd: root,
    stdout: "null",
    stderr: "null",
  }).output();
  assertEquals(merge.code, 1, "the merge stops at a conflict");
  const during = await emit("DURING", "2026-01-04T00:00:00Z");
  assertEquals(during.code, 0, during.stderr);
  assertIncludes(during.stderr, "an unresolved git merge conflict");
  const validate = await runCliProcess(["validate", del], FULL_FLAGS, env);
  assertEquals(validate.code, 1);
  assertIncludes(validate.stdout, "git checkout -m of this file does it");
  // As the message says: the .gitattributes line, then the command it names, as printed.
  const command = during.stderr.match(/git checkout -m -- \S+/)?.[0];
  assert(command !== undefined, `no git command in: ${during.stderr}`);
  await Deno.writeTextFile(join(root, ".gitattributes"), "RunRecords.csv merge=union eol=lf\n");
  const resolved = await runAsPrinted(root, command);
  assertEquals(resolved.code, 0, resolved.stderr);
  assertEquals((await runCliProcess(["validate", del], FULL_FLAGS, env)).code, 0);
  // Then the merge is committed, and the spooled record appended after it.
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "merge side");
  const flushed = await runCliProcess(["flush", del], FULL_FLAGS, env);
  assertEquals(flushed.code, 0, flushed.stdout + flushed.stderr);
  await git(root, "commit", "-qam", "the run recorded during the merge");
  for (const agent of ["BASE", "SIDE", "MAIN", "DURING"]) {
    assertEquals((await recordLinesWith(del, `,${agent},`)).length, 1, agent);
  }
  const verify = await runCliProcess(["verify", del, "--since", "main~2"], FULL_FLAGS, env);
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
});

Deno.test("verify --since of a commit that edited a record's line names the record and the commands that show the edit and give its line back, where it said only 'line 2 differs (byte N of the file)' (newuser-51 F3)", async () => {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  await Deno.writeTextFile(join(root, ".gitattributes"), "RunRecords.csv merge=union eol=lf\n");
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  const emitted = await runCliProcess(
    ["emit", del, "--agent", "4_DOCUMENTS", "--status", "PARTIAL", "--error", "range missing"],
    FULL_FLAGS,
    env,
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  const runId = emitted.stdout.trim();
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "record the run");
  // A reviewer's "tidy" commit turns the PARTIAL into a SUCCESS by hand.
  const file = join(del, "RunRecords.csv");
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, text.replace(",PARTIAL,", ",SUCCESS,"));
  await git(root, "commit", "-qam", "tidy");
  const verify = await runCliProcess(["verify", del, "--since", "main~1"], FULL_FLAGS, env);
  assertEquals(verify.code, 1, verify.stdout);
  assertIncludes(verify.stdout, `line 2 differs`);
  assertIncludes(verify.stdout, `record ${runId} was edited`);
  // The commands it names, run as printed from the deliverable's folder, show the edit and give
  // the line as it was; put back and amended, the check holds.
  const diff = verify.stdout.match(/`(git --no-pager diff [^`]+)`/)?.[1];
  const show = verify.stdout.match(/`(git show [^`]+)`/)?.[1];
  assert(diff !== undefined && show !== undefined, verify.stdout);
  const shown = await runAsPrinted(del, diff);
  assertEquals(shown.code, 0, shown.stderr);
  assertIncludes(shown.stdout, "-v1.0,");
  const original = await runAsPrinted(del, show);
  assertEquals(original.code, 0, original.stderr);
  assertEquals(original.stdout, text.split("\n")[1] + "\n");
  const lines = (await Deno.readTextFile(file)).split("\n");
  lines[1] = original.stdout.trimEnd();
  await Deno.writeTextFile(file, lines.join("\n"));
  await git(root, "commit", "-qa", "--amend", "--no-edit", "--allow-empty");
  const again = await runCliProcess(["verify", del, "--since", "main~1"], FULL_FLAGS, env);
  assertEquals(again.code, 0, again.stdout + again.stderr);
});

Deno.test("a flush refused by a lock whose holder is stopped (Ctrl-Z) names the kill -CONT that lets it finish and the flush to run then, and a lock of another host says when its lease ends, where each said only that the holder runs or its lease had not expired (newuser-51 F4)", async () => {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  const spooled = await whileReadOnly(del, () =>
    runCliProcess(
      ["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--notes", "waited"],
      FULL_FLAGS,
      env,
    ));
  assertEquals(spooled.code, 0, spooled.stderr);
  // A holder of the lock, stopped as Ctrl-Z stops a terminal's runrec.
  const lock = join(del, "RunRecords.csv.lock");
  const holder = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "tests/support/hold_lock.ts"), lock, "30"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assert(!(await reader.read()).done, "the holder took the lock");
  reader.releaseLock();
  holder.kill("SIGSTOP");
  let released = false;
  try {
    const refused = await runCliProcess(["flush", del], FULL_FLAGS, env);
    assertEquals(refused.code, 1, refused.stdout + refused.stderr);
    assertIncludes(refused.stderr, `is stopped (kill -CONT ${holder.pid} lets it finish)`);
    const resume = refused.stderr.match(/kill -CONT \d+/)?.[0];
    const flush = refused.stderr.match(/runrec flush \S+ again once it is free/)?.[0];
    assert(resume !== undefined && flush !== undefined, refused.stderr);
    // As printed: the holder let go on (it releases once its work, here its stdin, ends), then
    // the flush.
    assertEquals((await runAsPrinted(root, resume)).code, 0);
    await holder.stdin.close();
    assert((await holder.status).success);
    released = true;
    const flushed = await runAsPrinted(root, flush.replace(/ again once it is free$/, ""), env);
    assertEquals(flushed.code, 0, flushed.stdout + flushed.stderr);
    assertEquals((await recordLinesWith(del, "waited")).length, 1);
  } finally {
    if (!released) holder.kill("SIGKILL");
    await holder.status;
  }
  // A lock of another host is judged by its lease: the refusal says when that lease ends.
  const acquired = new Date();
  await Deno.writeTextFile(
    lock,
    JSON.stringify({
      holder: "runrec exec (DEPENDENCIES)",
      acquired: acquired.toISOString(),
      lease_duration_s: 300,
      pid: 4242,
      deliverable_id: "DEL-01-02",
      schema_version: "v1.0",
      hostname: "ci-runner-7",
      token: "t",
    }),
  );
  const taken = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "tests/support/take_lock.ts"), lock, "300"],
  }).output();
  const outcome = JSON.parse(new TextDecoder().decode(taken.stdout));
  assertEquals(outcome.acquired, false);
  const ends = new Date(acquired.getTime() + 300_000).toISOString();
  assertIncludes(outcome.message, `lease of host ci-runner-7 not expired: it ends at ${ends}`);
});

Deno.test("an agent that comes to runrec only at its run's end and runs start then finish is told its start came too late and that such a run is one emit, where the note said only that its output was 'not changed by the run' (newuser-51 F5)", async () => {
  const { del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  // The run's work is done before runrec is called at all.
  await Deno.writeTextFile(join(del, "Datasheet.md"), "# Datasheet\n\nRevised.\n");
  const start = await runCliProcess(
    ["start", del, "--agent", "4_DOCUMENTS", "--input", "Datasheet.md"],
    FULL_FLAGS,
    env,
  );
  assertEquals(start.code, 0, start.stderr);
  const finish = await runCliProcess(
    ["finish", start.stdout.trim(), "--status", "SUCCESS", "--output", "Datasheet.md"],
    FULL_FLAGS,
    env,
  );
  assertEquals(finish.code, 0, finish.stderr);
  assertIncludes(
    finish.stderr,
    "runrec: note: output(s) Datasheet.md byte for byte as read at start: named as outputs, not " +
      "changed by the run, or changed before its runrec start (the run's first action; a run " +
      "recorded only at its end is one runrec emit)",
  );
  const protocol = await Deno.readTextFile(join(ROOT, "docs", "AGENT_PROTOCOL.md"));
  assertIncludes(protocol.replace(/\s+/g, " "), "A run that comes to recording only at its end");
});

Deno.test("a run given _STATUS.md as an input is told that each later change of state will show it DIRTY, as AGENT_PROTOCOL.md warns, where it was recorded silently and stale later said only 'changed _STATUS.md' (newuser-51 F6)", async () => {
  const { del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  const note = "--input _STATUS.md: runrec records its state itself (StatusBefore, StatusAfter); " +
    "as an input, each later change of state shows this run DIRTY in runrec stale, so leave it " +
    "out of --input";
  const emitted = await runCliProcess(
    ["emit", del, "--agent", "CHIRALITY_FRAMEWORK", "--status", "PASS"].concat(
      ["--input", "_STATUS.md", "--input", "Datasheet.md"],
    ),
    FULL_FLAGS,
    env,
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  assertIncludes(emitted.stderr, `runrec: note: ${note}`);
  const [line] = await recordLinesWith(del, "CHIRALITY_FRAMEWORK");
  assertIncludes(line, note);
  // A run that leaves it out is not told.
  const plain = await runCliProcess(
    ["emit", del, "--agent", "CHIRALITY_FRAMEWORK", "--status", "PASS", "--input", "Datasheet.md"],
    FULL_FLAGS,
    env,
  );
  assertEquals(plain.code, 0, plain.stderr);
  assert(!plain.stderr.includes("_STATUS.md"), plain.stderr);
});

Deno.test("verify --since and log --since of a misspelt remote branch (origin/mian) in a clone of one branch say 'did you mean origin/main?', where verify advised only fetching origin's mian and log named no ref (newuser-51 F7)", async () => {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  await git(root, "init", "-q");
  const emitted = await runCliProcess(
    ["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  const clone = join(await tempDir({ prefix: "runrec-clone-" }), "c");
  await git(root, "clone", "-q", "--single-branch", "--branch", "main", root, clone);
  await git(clone, "checkout", "-qb", "review");
  const cloned = join(clone, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  for (const command of ["verify", "log"]) {
    const run = await runCliProcess([command, cloned, "--since", "origin/mian"], FULL_FLAGS, env);
    assertEquals(run.code, 2, run.stdout + run.stderr);
    assertIncludes(run.stderr, "(did you mean origin/main?)");
  }
  // A remote's branch not fetched, with no ref near it, is still the fetch alone.
  const other = await runCliProcess(
    ["verify", cloned, "--since", "origin/develop"],
    FULL_FLAGS,
    env,
  );
  assertIncludes(other.stderr, "git fetch origin develop:refs/remotes/origin/develop first");
  assert(!other.stderr.includes("did you mean"), other.stderr);
});

Deno.test("verify --since of a merge commit holding a run recorded while the merge was in progress (merge=union, the conflict in another file) accepts it with a note, where it failed saying 'the merge added it' (newuser-51 F8; merge-51)", async () => {
  const { root, del, env, emit, datasheet } = await diverged();
  await mergeStopped(root);
  // A run recorded meanwhile, then the conflict resolved and everything committed.
  assertEquals((await emit("DURING", "2026-01-04T00:00:00Z")).code, 0);
  await Deno.writeTextFile(datasheet, "# Datasheet\n\nboth\n");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "merge side");
  for (const since of ["main~1", "main"]) {
    const verify = await runCliProcess(["verify", del, "--since", since], FULL_FLAGS, env);
    assertEquals(verify.code, 0, verify.stdout + verify.stderr);
  }
  for (const agent of ["BASE", "SIDE", "MAIN", "DURING"]) {
    assertEquals((await recordLinesWith(del, `,${agent},`)).length, 1, agent);
  }
});

Deno.test("emit --started hours ago without --duration names the record's own RunID in the annotate it advises, where it said '<this record's RunID>'; followed, the late record is superseded (newuser-51 F9)", async () => {
  const { del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  const started = new Date(Date.now() - 3 * 3_600_000).toISOString();
  const emit = (...extra: string[]) =>
    runCliProcess(
      [
        "emit",
        del,
        "--agent",
        "4_DOCUMENTS",
        "--status",
        "SUCCESS",
        "--started",
        started,
        ...extra,
      ],
      FULL_FLAGS,
      env,
    );
  const late = await emit();
  assertEquals(late.code, 0, late.stderr);
  const lateId = late.stdout.trim();
  assertIncludes(late.stderr, `--supersedes ${lateId} --note "real duration"`);
  assert(!late.stderr.includes("<this record's RunID>"), late.stderr);
  // As it says: recorded again with --duration, then the annotate with the new RunID filled in.
  const again = await emit("--duration", "45m");
  assertEquals(again.code, 0, again.stderr);
  const annotate = late.stderr.match(
    /runrec annotate \S+ <new RunID> --supersedes \S+ --note "real duration"/,
  )
    ?.[0].replace("<new RunID>", again.stdout.trim());
  assert(annotate !== undefined, late.stderr);
  const followed = await runAsPrinted(del, annotate, env);
  assertEquals(followed.code, 0, followed.stdout + followed.stderr);
  const log = await runCliProcess(["log", del], FULL_FLAGS, env);
  assertIncludes(log.stdout, `SUCCESS [SUPERSEDED by ${again.stdout.trim()}]`);
});

Deno.test("exec of a script of the deliverable folder given as ./build.sh, not found from the current folder where CMD runs, names the path that runs it from there, where it said only 'not found' (newuser-51 F10)", async () => {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  await Deno.writeTextFile(join(del, "build.sh"), "#!/bin/sh\necho built > Built.md\n");
  await Deno.chmod(join(del, "build.sh"), 0o755);
  const exec = (dir: string, command: string, target = del) =>
    runCliProcess(["exec", target, "--agent", "BUILDER", "--", command], FULL_FLAGS, env, dir);
  const missed = await exec(root, "./build.sh");
  assertEquals(missed.code, 127, missed.stderr);
  const path = join(del, "build.sh");
  assertIncludes(
    missed.stderr,
    `command "./build.sh" could not be started: not found (CMD runs in the current folder, not ` +
      `<del-dir>: from here it is ${path})`,
  );
  // That path, as printed, runs it; from the deliverable folder a bare name is made a path.
  const ran = await exec(root, path);
  assertEquals(ran.code, 0, ran.stderr);
  const bare = await exec(del, "build.sh", ".");
  assertEquals(bare.code, 127, bare.stderr);
  assertIncludes(bare.stderr, "looked for on PATH only: ./build.sh runs the file here)");
  // A command found nowhere near is as before.
  const gone = await exec(root, "./gone.sh");
  assertIncludes(gone.stderr, 'command "./gone.sh" could not be started: not found\n');
});
