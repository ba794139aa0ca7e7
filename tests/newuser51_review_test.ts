/**
 * Stop 51's new users' fixes (newuser-51 F1-F10), reviewed by running each command a message
 * names as printed, in the situations their tests did not try: a branch whose name a shell reads,
 * a record file renamed in the commit that edited it. Each test failed before its fix.
 */
import { join } from "node:path";
import { runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { whileReadOnly } from "./support/read_only.ts";

/** Runs `command` in a POSIX shell in `cwd`, as a user pastes it; git's identity set. */
async function runAsPrinted(cwd: string, command: string) {
  const out = await new Deno.Command("sh", {
    args: ["-c", command],
    cwd,
    env: {
      GIT_AUTHOR_NAME: "runrec test",
      GIT_AUTHOR_EMAIL: "test@runrec.invalid",
      GIT_COMMITTER_NAME: "runrec test",
      GIT_COMMITTER_EMAIL: "test@runrec.invalid",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** The `git fetch` a message gives, up to the word ` first` after it. */
function fetchCommand(message: string): string {
  const command = message.match(/git fetch .*? first/)?.[0].replace(/ first$/, "");
  assert(command !== undefined, `no git fetch in: ${message}`);
  return command;
}

Deno.test("verify --since and log --since of a remote's branch this clone of one branch lacks, its name holding a quote and parentheses, give a git fetch that runs as printed (it was unquoted: a shell refused it) (newuser-51 F7)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  const emitted = await runCliProcess(
    ["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    FULL_FLAGS,
    { TMPDIR: await tempDir() },
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "a record");
  const branch = "feat/it's(1)";
  await git(root, "branch", branch);
  const clone = join(await tempDir(), "clone");
  await git(root, "clone", "-q", "--single-branch", "-b", "main", root, clone);
  const cloned = join(clone, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  for (const command of ["verify", "log"]) {
    const refused = await runCliProcess([command, cloned, "--since", `origin/${branch}`]);
    assertEquals(refused.code, 2, refused.stdout + refused.stderr);
    const fetch = fetchCommand(refused.stderr);
    const fetched = await runAsPrinted(clone, fetch);
    assertEquals(fetched.code, 0, `${fetch}: ${fetched.stderr}`);
    const now = await runCliProcess([command, cloned, "--since", `origin/${branch}`]);
    assertEquals(now.code, 0, now.stdout + now.stderr);
    await git(clone, "update-ref", "-d", `refs/remotes/origin/${branch}`);
  }
});

Deno.test("verify --since of a commit that edited a record's line and moved its folder gives a git diff that shows the edit (it named the old path only: the diff showed the file deleted) (newuser-51 F3)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  const env = { TMPDIR: await tempDir() };
  for (const notes of ["one", "two"]) {
    const emitted = await runCliProcess(
      ["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--notes", notes],
      FULL_FLAGS,
      env,
    );
    assertEquals(emitted.code, 0, emitted.stderr);
  }
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "two records");
  const before = await git(root, "rev-parse", "HEAD");
  // A hand edit (the run's status made FAILED) committed with a rename of the folder.
  const file = join(del, "RunRecords.csv");
  const lines = (await Deno.readTextFile(file)).split("\n");
  const asItWas = lines[2];
  lines[2] = asItWas.replace(",SUCCESS,", ",FAILED,");
  await Deno.writeTextFile(file, lines.join("\n"));
  const moved = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing moved");
  await git(root, "mv", del, moved);
  await git(root, "commit", "-qam", "hand edit, folder moved");
  const verified = await runCliProcess(["verify", moved, "--since", before]);
  assertEquals(verified.code, 1, verified.stdout + verified.stderr);
  const output = verified.stdout + verified.stderr;
  assertIncludes(output, "was edited: `git --no-pager diff");
  const diff = output.match(/`(git --no-pager diff [^`]*)` shows how/)?.[1];
  assert(diff !== undefined, `no git diff in: ${output}`);
  const shown = await runAsPrinted(moved, diff);
  assertEquals(shown.code, 0, shown.stderr);
  // The edit, not the file's deletion: the line as it was taken out, as it is put in.
  assertIncludes(shown.stdout, `-${asItWas}\n+${lines[2]}\n`);
  assert(!shown.stdout.includes("deleted file"), shown.stdout);
  const show = output.match(/`(git show [^`]*)` prints/)?.[1];
  assert(show !== undefined, `no git show in: ${output}`);
  const line = await runAsPrinted(moved, show);
  assertEquals(line.stdout, `${asItWas}\n`, line.stderr);
});

Deno.test("exec from the deliverable folder of its script not executable says why it did not start and no 'CMD runs in the current folder, not <del-dir>' (it is that folder); a bare name there is said to be looked for on PATH, and the path given runs it (newuser-51 F10)", async () => {
  const { del } = await makeProject();
  const env = { TMPDIR: await tempDir() };
  const script = join(del, "build.sh");
  await Deno.writeTextFile(script, "#!/bin/sh\necho built > Built.md\n");
  const exec = (command: string) =>
    runCliProcess(["exec", ".", "--agent", "BUILDER", "--", command], FULL_FLAGS, env, del);
  // Not executable (mode 644: no x bit, which stops root too).
  await Deno.chmod(script, 0o644);
  const denied = await exec("./build.sh");
  assertEquals(denied.code, 126, denied.stderr);
  assertIncludes(denied.stderr, "permission denied: not executable");
  assert(!denied.stderr.includes("CMD runs in the current folder"), denied.stderr);
  await Deno.chmod(script, 0o755);
  const bare = await exec("build.sh");
  assertEquals(bare.code, 127, bare.stderr);
  assertIncludes(bare.stderr, "(a name without a slash is looked for on PATH only: ./build.sh ");
  assert(!bare.stderr.includes("not <del-dir>"), bare.stderr);
  const path = bare.stderr.match(/PATH only: (\S+) runs the file here/)?.[1];
  assert(path !== undefined, bare.stderr);
  const ran = await exec(path);
  assertEquals(ran.code, 0, ran.stderr);
  assertEquals(await Deno.readTextFile(join(del, "Built.md")), "built\n");
});

Deno.test("a run given the deliverable folder (--input .) is told _STATUS.md, in that folder, shows it DIRTY after each change of state and to name the files read; it was told '--input _STATUS.md: … leave it out of --input', an option it was not given (newuser-51 F6)", async () => {
  const { del } = await makeProject();
  const env = { TMPDIR: await tempDir() };
  const emit = (input: string) =>
    runCliProcess(
      ["emit", ".", "--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--input", input],
      FULL_FLAGS,
      env,
      del,
    );
  const folder = await emit(".");
  assertEquals(folder.code, 0, folder.stderr);
  assertIncludes(folder.stderr, "note: _STATUS.md, in a folder given as --input: runrec records");
  assertIncludes(folder.stderr, "so name the files read instead of the folder");
  assert(!folder.stderr.includes("--input _STATUS.md"), folder.stderr);
  const named = await emit("_STATUS.md");
  assertEquals(named.code, 0, named.stderr);
  assertIncludes(named.stderr, "note: --input _STATUS.md: runrec records its state itself");
  assertIncludes(named.stderr, "so leave it out of --input");
  const notes = (await Deno.readTextFile(join(del, "RunRecords.csv"))).split("\n");
  assertIncludes(notes[1], "_STATUS.md, in a folder given as --input");
  // A leading "-" is written %2D (a spreadsheet would read "-…" as a formula).
  assertIncludes(notes[2], "-input _STATUS.md: runrec records");
});

Deno.test("a record spooled in $RUNREC_SPOOL_DIR's folder says a runrec without that variable does not look there, not 'with another $TMPDIR' (which does not matter to it), and the flush it names appends it once (newuser-51 F1)", async () => {
  const { root, del } = await makeProject();
  const spool = await tempDir({ prefix: "runrec-own-spool-" });
  await Deno.chmod(spool, 0o700);
  const tmp = await tempDir();
  const emitted = await whileReadOnly(del, () =>
    runCliProcess(
      ["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--notes", "from env spool"],
      FULL_FLAGS,
      { TMPDIR: tmp, RUNREC_SPOOL_DIR: spool },
    ));
  assertEquals(emitted.code, 0, emitted.stderr);
  assertIncludes(emitted.stderr, `spooled to ${spool}/`);
  assertIncludes(emitted.stderr, "(a runrec without this $RUNREC_SPOOL_DIR does not look there)");
  assert(!emitted.stderr.includes("another $TMPDIR"), emitted.stderr);
  // The same $TMPDIR, no $RUNREC_SPOOL_DIR: the record is not found, as the warning says.
  const plain = await runCliProcess(["flush", del], FULL_FLAGS, { TMPDIR: tmp });
  assertIncludes(plain.stdout, "nothing spooled");
  const command = emitted.stderr.match(/RUNREC_SPOOL_DIR=\S+ runrec flush \S+/)?.[0];
  assert(command !== undefined, emitted.stderr);
  const [assignment, ...words] = command.split(" ");
  const flushed = await runCliProcess(words.slice(1), FULL_FLAGS, {
    TMPDIR: tmp,
    RUNREC_SPOOL_DIR: assignment.slice("RUNREC_SPOOL_DIR=".length),
  }, root);
  assertEquals(flushed.code, 0, flushed.stdout + flushed.stderr);
  const file = await Deno.readTextFile(join(del, "RunRecords.csv"));
  assertEquals(file.split("\n").filter((line) => line.includes("from env spool")).length, 1);
});
