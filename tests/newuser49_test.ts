/**
 * Stop 49's new users: an orchestrator author wrapping every agent run, a team lead reading a
 * week of history, and a maintainer upgrading a checkout whose record files were written by hand
 * or by an older tool, each from README.md and the docs it links alone. Each test is one friction
 * they met, which failed before its fix.
 */
import { join } from "node:path";
import { runCli, runCliProcess } from "./cli.ts";
import { git, makeProject } from "./fixtures.ts";
import { finishedRun, RUNREC_SH } from "./support/runs.ts";
import { HEADER } from "../src/schema.ts";
import { assertEquals } from "./assert.ts";

/** The 16 columns of the host procedure's REQ-01: the header an older tool wrote. */
const OLD_HEADER = HEADER.split(",").slice(0, 16).join(",");

/** Every file beneath `dir` with its bytes, to show a command changed none. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) {
      for (const [p, text] of await snapshot(path)) files.set(p, text);
    } else if (entry.isFile) files.set(path, await Deno.readTextFile(path));
  }
  return files;
}

Deno.test("a RunRecords.csv an older tool wrote (the 16 columns of REQ-01, no RecordChecksum) is said by the columns it lacks, not by its first 24 characters, which are ours; nothing is changed (newuser-49 F1)", async () => {
  const { del } = await makeProject();
  const file = join(del, "RunRecords.csv");
  await Deno.writeTextFile(
    file,
    `${OLD_HEADER}\nv1.0,RUN-DEL-01-02-20260201-0900-001,DEL-01-02,4_DOCUMENTS,TYPE_2,` +
      "2026-02-01T09:00:00Z,PT5M,SUCCESS,FULL,abc,Datasheet.md,Datasheet.md,OPEN,OPEN,,first\n",
  );
  const before = await snapshot(del);
  for (const command of ["validate", "verify"]) {
    const run = await runCli([command, file]);
    assertEquals(run.code, 1, run.stderr);
    const first = run.stdout.split("\n")[0];
    assertEquals(
      first,
      `${file}:1: header is not the v1.0 header: "…r,ErrorSummary,Notes" (from character 169): ` +
        "16 columns, without InputHashes, OutputHashes, GitHead, Host, RecordChecksum (a file " +
        "another tool wrote, or by hand: its lines have no RecordChecksum, so none is a run " +
        "record; SCHEMA.md 1.4, 1.5)",
    );
  }
  // A header of other names is quoted where it departs from ours.
  await Deno.writeTextFile(file, "SchemaVersion,RunID,When\n");
  const other = await runCli(["validate", file]);
  assertEquals(
    other.stdout.split("\n")[0],
    `${file}:1: header is not the v1.0 header: "SchemaVersion,RunID,When"`,
  );
  await Deno.writeTextFile(file, before.get(file)!);
  assertEquals(await snapshot(del), before);
});

Deno.test("show of a RunID whose only line has no whole RecordChecksum (written by hand, or torn) names that line, not 'not found' (newuser-49 F2)", async () => {
  const { del } = await makeProject();
  const file = join(del, "RunRecords.csv");
  const id = "RUN-DEL-01-02-20260201-0900-001";
  await Deno.writeTextFile(
    file,
    `${HEADER}\nv1.0,${id},DEL-01-02,4_DOCUMENTS,TYPE_2,2026-02-01T09:00:00Z,PT5M,SUCCESS,` +
      "FULL,,Datasheet.md,Datasheet.md,OPEN,OPEN,,,,,,,\n",
  );
  const before = await Deno.readTextFile(file);
  const show = await runCli(["show", del, id]);
  assertEquals(show.code, 2, show.stderr);
  assertEquals(
    show.stderr,
    `runrec show: ${file}: line 2 holds ${id} but cannot be read (torn record (interrupted ` +
      `write); skipped); see runrec validate ${file}\n`,
  );
  // A RunID on no line at all is still not found.
  const absent = await runCli(["show", del, "RUN-DEL-01-02-20260201-0900-002"]);
  assertEquals(absent.code, 1, absent.stderr);
  assertEquals(absent.stderr.includes("not found"), true, absent.stderr);
  assertEquals(await Deno.readTextFile(file), before);
});

Deno.test("log --since T --until T (or --until before --since) is refused, exit 2, saying --until is exclusive, not listed as 'no records match' (newuser-49 F3)", async () => {
  const { del } = await makeProject();
  const emit = await runCli(["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"]);
  assertEquals(emit.code, 0, emit.stderr);
  for (
    const [since, until] of [["2026-11-24", "2026-11-24"], ["2026-11-26", "2026-11-24"], [
      "1d",
      "2d",
    ]]
  ) {
    const run = await runCli(["log", del, "--since", since, "--until", until]);
    assertEquals([run.code, run.stdout], [2, ""], run.stderr);
    assertEquals(
      run.stderr,
      `runrec log: --until ${until} is not after --since ${since}: no RunTimestamp is in that ` +
        "range (--until is exclusive: --since 2026-02-21 --until 2026-02-22 is that day's runs) " +
        "(see runrec log --help)\n",
    );
  }
  // A range that holds the record lists it.
  const day = new Date().toISOString().slice(0, 10);
  const ok = await runCli(["log", del, "--since", day, "--until", "2999-01-01", "--format", "csv"]);
  assertEquals([ok.code, ok.stdout.split("\n").length], [0, 3], ok.stderr);
});

Deno.test("verify --since of a record file whose line was edited in the working tree (a FAILED made SUCCESS by hand) says how to see the change and to put it back, as a git user expects; nothing is changed (newuser-49 F4)", async () => {
  const { root, del } = await makeProject();
  for (const status of ["SUCCESS", "FAILED"]) {
    const emit = await runCli(["emit", del, "--agent", "4_DOCUMENTS", "--status", status]);
    assertEquals(emit.code, 0, emit.stderr);
  }
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "a failed run");
  const head = (await git(root, "rev-parse", "--short=7", "HEAD")).trim();
  const file = join(del, "RunRecords.csv");
  await Deno.writeTextFile(file, (await Deno.readTextFile(file)).replace(",FAILED,", ",SUCCESS,"));
  const before = await snapshot(del);
  const run = await runCli(["verify", file, "--since", "HEAD"]);
  assertEquals(run.code, 1, run.stdout);
  const broken = run.stdout.split("\n").find((line) => line.includes("K-APPEND-1 broken"));
  assertEquals(
    broken?.replace(/byte \d+/, "byte N"),
    `${file}:3: K-APPEND-1 broken in the working tree: line 3 differs (byte N of the file), ` +
      `field RunStatus, against the version in ${head}; \`git --no-pager diff --no-relative ${head} -- ${file}\` shows what changed: put ` +
      "the lines back as they were (records are never edited or removed: runrec annotate marks a " +
      "run)",
  );
  assertEquals(await snapshot(del), before);
});

Deno.test("log --since 1w (a week, as a lead reviewing one types it) names 7d, not 'neither a time nor a commit'; so do '2 weeks ago', git's 2.weeks.ago and yesterday, and reap --older-than 2w (newuser-49 F5)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  for (
    const [given, meant] of [
      ["1w", "7d"],
      ["2 weeks ago", "14d"],
      ["2.weeks.ago", "14d"], // git log --since's way
      ["yesterday", "1d"],
    ]
  ) {
    const run = await runCli(["log", del, "--since", given]);
    assertEquals(run.code, 2, run.stderr);
    assertEquals(
      run.stderr.endsWith(`got "${given}" (did you mean ${meant}?) (see runrec log --help)\n`),
      true,
      run.stderr,
    );
  }
  const reap = await runCli(["reap", del, "--older-than", "2w"]);
  assertEquals(reap.code, 2, reap.stderr);
  assertEquals(reap.stderr.endsWith(`got "2w" (did you mean 14d?)\n`), true, reap.stderr);
});

Deno.test("annotate . RUNID from the project's root (or a package folder), the RunID copied from log ., annotates it in its one deliverable folder beneath, with a note, as show . RUNID finds it (newuser-49 F6)", async () => {
  const { root, del } = await makeProject();
  const emit = await runCli(["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"]);
  assertEquals(emit.code, 0, emit.stderr);
  const id = emit.stdout.trim();
  const shown = await runCliProcess(["show", ".", id], undefined, {}, root);
  assertEquals(shown.code, 0, shown.stderr);
  const atRoot = await runCliProcess(
    ["annotate", ".", id, "--invalidates", "--note", "wrong vendor sheet"],
    undefined,
    {},
    root,
  );
  assertEquals(atRoot.code, 0, atRoot.stderr);
  assertEquals(
    atRoot.stderr,
    `runrec annotate: note: ${id} is a run of PKG-01_Pkg/1_Working/DEL-01-02_Thing\n`,
  );
  const fromPackage = await runCliProcess(
    ["annotate", "1_Working", atRoot.stdout.trim(), "--invalidates", "--note", "taken back"],
    undefined,
    {},
    join(root, "PKG-01_Pkg"),
  );
  assertEquals(fromPackage.code, 0, fromPackage.stderr);
  const lines = (await Deno.readTextFile(join(del, "RunRecords.csv"))).trimEnd().split("\n");
  assertEquals(lines.length, 4);
  assertEquals(lines.slice(2).every((line) => line.includes(",RUNREC_ANNOTATE,")), true);
  assertEquals(await Deno.stat(join(root, "RunRecords.csv")).then(() => true, () => false), false);
});

Deno.test("runrec start under an orchestrator's runrec exec of the same agent, the folder named from the project's root, says to annotate it by that name, not by its absolute path (newuser-49 F7)", async () => {
  const { root } = await makeProject();
  const del = "PKG-01_Pkg/1_Working/DEL-01-02_Thing";
  const inner = `T=$(${RUNREC_SH} start ${del} --agent A) && ` +
    `${RUNREC_SH} finish "$T" --agent A --status SUCCESS`;
  const run = await runCliProcess(
    ["exec", del, "--agent", "A", "--", "sh", "-c", inner],
    undefined,
    {},
    root,
  );
  assertEquals(run.code, 0, run.stderr);
  assertEquals(
    run.stderr.includes(`take this one back: runrec annotate ${del} <its RunID> --invalidates`),
    true,
    run.stderr,
  );
});

Deno.test("verify --since after the byte-order mark validate asks to delete was deleted says so (only the mark taken out, records unchanged) and to commit that on its own, not 'line 1 differs'; verified since that commit, it holds (newuser-49 F8)", async () => {
  const { root, del } = await makeProject();
  const emit = await runCli(["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"]);
  assertEquals(emit.code, 0, emit.stderr);
  const file = join(del, "RunRecords.csv");
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, `\u{feff}${text}`); // an editor's save
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "saved by an editor");
  const validate = await runCli(["validate", file]);
  assertEquals(validate.stdout.includes("delete those 3 bytes"), true, validate.stdout);
  await Deno.writeTextFile(file, text);
  const head = (await git(root, "rev-parse", "--short=7", "HEAD")).trim();
  const run = await runCli(["verify", file, "--since", "HEAD"]);
  assertEquals(run.code, 1, run.stdout);
  assertEquals(
    run.stdout.split("\n")[0],
    `${file}:1: K-APPEND-1 broken in the working tree: only the byte-order mark taken out, ` +
      "records unchanged; line 1 is rewritten, which a merge with a branch holding the old one " +
      `doubles, against the version in ${head}; commit that on its own and verify --since that ` +
      "commit",
  );
  await git(root, "commit", "-qam", "the mark taken out");
  const since = await runCli(["verify", file, "--since", "HEAD"]);
  assertEquals(since.code, 0, since.stdout);
});

Deno.test("a second finish of one token (two agents given it, or a retry after a lost answer) with another status names the recorded run's status, which the record it is refused for holds (newuser-49 F9)", async () => {
  const { del } = await makeProject();
  const { token, runId } = await finishedRun(del, "SUCCESS");
  const second = await runCli(["finish", token, "--status", "FAILED", "--error", "timed out"]);
  assertEquals(second.code, 2, second.stderr);
  assertEquals(
    second.stderr.includes(
      `finished already (runrec log says): its record is ${runId} (SUCCESS) in `,
    ),
    true,
    second.stderr,
  );
});

Deno.test("stale of a record file whose header a byte-order mark precedes (an editor saved it) judges its runs: the header holds no run, so it is not NO_BASELINE as 'line 1 may be a later run'; a line 1 like none of ours still may be (newuser-49, left)", async () => {
  const { del } = await makeProject();
  const file = join(del, "RunRecords.csv");
  for (let run = 0; run < 2; run++) {
    const emit = ["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"];
    const emitted = await runCli([...emit, "--input", "Datasheet.md"]);
    assertEquals(emitted.code, 0, emitted.stderr);
  }
  const written = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, `\u{feff}${written}`);
  const marked = await runCli(["stale", del, "--json"]);
  assertEquals(
    JSON.parse(marked.stdout).checks.map((c: { verdict: string }) => c.verdict),
    ["CLEAN"],
  );
  // A first line that is no header may be a record spoilt at its start, and a header with a
  // record glued to it (its newline lost) holds one: each still counts.
  const [header, ...records] = written.split("\n");
  for (const first of ["garbage,line\n", `\u{feff}${header}`, `\u{feff}${header}\r`]) {
    await Deno.writeTextFile(file, `${first}${records.join("\n")}`);
    const spoilt = await runCli(["stale", del, "--json"]);
    assertEquals(
      JSON.parse(spoilt.stdout).checks.map((c: { verdict: string }) => c.verdict),
      ["NO_BASELINE"],
      first,
    );
  }
});
