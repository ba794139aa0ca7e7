/**
 * Stop 48's new users: an agent calling the CLI as its run's last step, a Deno script author
 * importing mod.ts, and a CI engineer running the installed command on a merged checkout, each
 * from README.md and the docs it links alone. Each test is one friction they met, which failed
 * before its fix.
 */
import { join } from "node:path";
import { runCli, runCliProcess } from "./cli.ts";
import { git, makeProject } from "./fixtures.ts";
import { SANDBOXED_FLAGS } from "../src/cli/permissions.ts";
import { assertEquals } from "./assert.ts";

/** Records a run of `agent` in `del` with emit, and returns its RunID. */
async function emitted(del: string, agent = "4_DOCUMENTS"): Promise<string> {
  const run = await runCli(["emit", del, "--agent", agent, "--status", "SUCCESS"]);
  assertEquals(run.code, 0, run.stderr);
  return run.stdout.trim();
}

Deno.test("a deliverable named by its ID (or its folder's name) from inside its own folder is said to be the current folder, not 'did you mean ?' (newuser-48 F1)", async () => {
  const { del } = await makeProject();
  for (const given of ["DEL-01-02", "DEL-01-02_Thing"]) {
    for (
      const words of [
        ["start", given, "--agent", "4_DOCUMENTS"],
        ["emit", given, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
        ["log", given],
      ]
    ) {
      const run = await runCliProcess(words, undefined, {}, del);
      assertEquals(
        [run.code, run.stderr],
        [
          2,
          `runrec ${words[0]}: ${given}: no such folder: did you mean . (the current folder)?\n`,
        ],
      );
    }
  }
  assertEquals(await Deno.stat(join(del, "RunRecords.csv")).then(() => true, () => false), false);
});

Deno.test("a RunID pasted with its quotes ('RUN-…' inside \"…\") is named without them, as one in lower case is (newuser-48 F2)", async () => {
  const { del } = await makeProject();
  const id = await emitted(del);
  for (const given of [`'${id}'`, `"${id}"`, ` '${id}' `]) {
    const show = await runCli(["show", del, given]);
    assertEquals(show.code, 2, show.stderr);
    assertEquals(
      show.stderr,
      `runrec show: ${JSON.stringify(given)} is not a RunID (RUN-DEL-XX-YY-YYYYMMDD-HHmm-SEQ): ` +
        `did you mean ${id} (without the quotes around it)? (see runrec show --help)\n`,
    );
    const note = await runCli(["annotate", del, given, "--note", "checked"]);
    assertEquals(note.code, 2, note.stderr);
    assertEquals(note.stderr.includes(`did you mean ${id} (without the quotes around it)?`), true);
  }
  // Spaces alone, or lower case, keep their own words.
  const spaced = await runCli(["show", del, ` ${id}`]);
  assertEquals(spaced.stderr.includes(`did you mean ${id} (no spaces around it)?`), true);
  const lower = await runCli(["show", del, id.toLowerCase()]);
  assertEquals(lower.stderr.includes(`did you mean ${id}? (see`), true, lower.stderr);
});

Deno.test("--agent '4 documents' (prose, in lower case) names the built-in agent 4_DOCUMENTS, not 4_documents, which would then be warned of as no known agent (newuser-48 F3)", async () => {
  const { del } = await makeProject();
  for (
    const [given, meant] of [["4 documents", "4_DOCUMENTS"], ["Chirality lens", "CHIRALITY_LENS"]]
  ) {
    const run = await runCli(["emit", del, "--agent", given, "--status", "SUCCESS"]);
    assertEquals(run.code, 2, run.stderr);
    assertEquals(run.stderr.endsWith(`(did you mean ${meant}?)\n`), true, run.stderr);
  }
  // A project's own agent keeps the case given: runrec knows no list of them.
  const own = await runCli(["emit", del, "--agent", "my linter", "--status", "SUCCESS"]);
  assertEquals(own.stderr.endsWith("(did you mean my_linter?)\n"), true, own.stderr);
  assertEquals(await Deno.stat(join(del, "RunRecords.csv")).then(() => true, () => false), false);
});

Deno.test("a run token named from the execution root as the agent saw it from its folder (.runrec/pending/<id>.json) names the deliverable where that run is pending, not 'its file was removed … finish with --agent', and leaves no .runrec/ in the root (newuser-48 F4)", async () => {
  const { root, del } = await makeProject();
  const start = await runCli(["start", del, "--agent", "4_DOCUMENTS"]);
  assertEquals(start.code, 0, start.stderr);
  const token = start.stdout.trim();
  const relative = token.slice(del.length + 1); // .runrec/pending/<id>.json
  const id = relative.replace(/^.*\//, "").replace(/\.json$/, "");
  for (const agent of [[], ["--agent", "4_DOCUMENTS"]]) {
    const finish = await runCliProcess(
      ["finish", relative, "--status", "SUCCESS", ...agent],
      undefined,
      {},
      root,
    );
    assertEquals(finish.code, 2, finish.stderr);
    assertEquals(
      finish.stderr.startsWith(
        `runrec finish: ${root}: no pending run ${id}, but run ${id} (4_DOCUMENTS, since `,
      ),
      true,
      finish.stderr,
    );
    assertEquals(finish.stderr.includes(`is pending in ${del}: runrec finish ${token} `), true);
  }
  // A token no folder holds, from there: not a deliverable folder, said before anything is made.
  const gone = relative.replace(id, id.replace(/-[0-9a-f]{8}$/, "-deadbeef"));
  for (const agent of [[], ["--agent", "4_DOCUMENTS"]]) {
    const finish = await runCliProcess(
      ["finish", gone, "--status", "SUCCESS", ...agent],
      undefined,
      {},
      root,
    );
    assertEquals(finish.code, 2, finish.stderr);
    assertEquals(
      finish.stderr.startsWith(`runrec finish: ${root}: not a deliverable folder: `),
      true,
      finish.stderr,
    );
  }
  assertEquals(await Deno.stat(join(root, ".runrec")).then(() => true, () => false), false);
  assertEquals(await Deno.stat(join(del, "RunRecords.csv")).then(() => true, () => false), false);
  assertEquals(await Deno.stat(token).then(() => true, () => false), true);
});

Deno.test("log --since REV lists the records added since a git revision, as git log REV.. lists a branch's commits: after a merge, those of either side; a file REV lacks noted; an unknown revision, no repository or the sandboxed build exit 2 with one line (newuser-48 F5, stop 46's left item)", async () => {
  const { root, del } = await makeProject();
  const other = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_Other");
  await Deno.mkdir(other);
  await Deno.writeTextFile(join(root, ".gitattributes"), "RunRecords.csv merge=union eol=lf\n");
  await Deno.writeTextFile(join(root, ".gitignore"), ".runrec/\nRunRecords.csv.lock\n");
  const listed = async (...args: string[]) => {
    const run = await runCli(["log", root, "--format", "jsonl", ...args]);
    assertEquals(run.code, 0, run.stderr);
    const ids = run.stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l).RunID);
    return { ids, stderr: run.stderr };
  };
  const old = await emitted(del);
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  await git(root, "checkout", "-qb", "agents");
  const branch = [await emitted(del), await emitted(other)];
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "agent runs");
  await git(root, "checkout", "-q", "main");
  const ours = await emitted(del, "DEPENDENCIES");
  await git(root, "commit", "-qam", "main's run");
  await git(root, "merge", "-q", "--no-edit", "agents");
  // The branch's records since main before the merge; main's since the branch; all since base.
  const sinceMain = await listed("--since", "main~1");
  assertEquals(sinceMain.ids.toSorted(), branch.toSorted());
  assertEquals(
    sinceMain.stderr,
    `runrec log: note: ${join(other, "RunRecords.csv")}: not in main~1: each of its records ` +
      "counts as added\n",
  );
  assertEquals((await listed("--since", "agents")).ids, [ours]);
  const all = await listed("--since", "HEAD~2");
  assertEquals(all.ids.toSorted(), [...branch, ours].toSorted());
  assertEquals(all.ids.includes(old), false);
  assertEquals((await listed("--since", "HEAD")).ids, []);
  // With the other filters, and a time is still a time.
  assertEquals((await listed("--since", "HEAD~2", "--agent", "DEPENDENCIES")).ids, [ours]);
  assertEquals((await listed("--since", "1d")).ids.length, 4);
  // A folder renamed since (git mv) is followed to its file at REV, said in a note.
  const renamed = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_Other_Renamed");
  await git(root, "mv", other, renamed);
  await git(root, "commit", "-qm", "rename");
  const later = await emitted(renamed);
  const sinceRename = await listed("--since", "HEAD~1");
  assertEquals(sinceRename.ids, [later]);
  assertEquals(
    sinceRename.stderr,
    `runrec log: note: ${join(renamed, "RunRecords.csv")}: PKG-01_Pkg/1_Working/` +
      "DEL-01-03_Other/RunRecords.csv in HEAD~1 (renamed since)\n",
  );
  // Refused, one line, nothing listed.
  const unknown = await runCli(["log", root, "--since", "nosuch"]);
  assertEquals([unknown.code, unknown.stdout], [2, ""]);
  assertEquals(
    unknown.stderr,
    `runrec log: --since: "nosuch" is neither a time (2026-02-22, 2026-02-22T10:15:00Z, 24h, ` +
      `7d) nor a commit of the git repository holding ${join(del, "RunRecords.csv")} (see ` +
      "runrec log --help)\n",
  );
  const sandboxed = await runCliProcess(["log", ".", "--since", "main"], SANDBOXED_FLAGS, {}, root);
  assertEquals([sandboxed.code, sandboxed.stdout], [2, ""]);
  assertEquals(
    sandboxed.stderr,
    "runrec log: --since main: this runrec has no permission to run programs (sandboxed " +
      "build), so it cannot run git; use the runrec command (not runrec-sandboxed) for this\n",
  );
  await Deno.remove(join(root, ".git"), { recursive: true });
  const noRepository = await runCli(["log", del, "--since", "main"]);
  assertEquals([noRepository.code, noRepository.stdout], [2, ""]);
  assertEquals(
    noRepository.stderr,
    `runrec log: --since: "main" is not a time (2026-02-22, 2026-02-22T10:15:00Z, 24h, 7d), ` +
      `and ${join(del, "RunRecords.csv")} is in no git repository, where it could name a ` +
      "commit (see runrec log --help)\n",
  );
});

Deno.test("exec --input a.md gone.md CMD…, with no -- at all, gone.md naming no file and no command, is refused as a second path: exit 2, nothing run, nothing recorded; after a --, or not after a path, a CMD not found is still a FAILED run, exit 127 (newuser-48 F6, stop 46's left item)", async () => {
  const { del } = await makeProject();
  for (const cmd of [["gone.md", "echo", "hi"], ["./gone.sh"]]) {
    const run = await runCliProcess([
      ...["exec", del, "--agent", "4_DOCUMENTS", "--input", "Datasheet.md"],
      ...cmd,
    ]);
    assertEquals(run.code, 2, run.stderr);
    assertEquals(
      run.stderr,
      `runrec exec: --input: takes one path, and 1 more followed it: give each its own (--input ` +
        `Datasheet.md --input ${cmd[0]}), or list them in a file (--inputs-from F); ${cmd[0]} ` +
        "was taken as CMD and names no command: nothing run, nothing recorded (see runrec exec " +
        "--help)\n",
    );
  }
  assertEquals(await Deno.stat(join(del, "RunRecords.csv")).then(() => true, () => false), false);
  assertEquals(
    await Deno.stat(join(del, ".runrec", "pending")).then(() => true, () => false),
    false,
  );
  // A command the shell finds is CMD; so is one given after a --, or after no path option.
  const found = await runCliProcess([
    ...["exec", del, "--agent", "4_DOCUMENTS", "--input", "Datasheet.md", "echo", "hi"],
  ]);
  assertEquals([found.code, found.stdout], [0, "hi\n"], found.stderr);
  for (
    const words of [
      ["--input", "Datasheet.md", "--", "gone.md"],
      ["gone.md"],
    ]
  ) {
    const run = await runCliProcess(["exec", del, "--agent", "4_DOCUMENTS", ...words]);
    assertEquals(run.code, 127, run.stderr);
  }
});

Deno.test("--format markdown (log, show) names md; annotate D RUNID 'why', the note without its --note, names --note; -help, -agent (one dash) name --help, --agent; runrec version names --version; exit 2, nothing written (newuser-48 F7)", async () => {
  const { del } = await makeProject();
  const id = await emitted(del);
  const file = join(del, "RunRecords.csv");
  const before = await Deno.readTextFile(file);
  const said = async (words: string[]) => {
    const run = await runCli(words);
    assertEquals([run.code, run.stdout], [2, ""], run.stderr);
    return run.stderr;
  };
  assertEquals(
    await said(["log", del, "--format", "Markdown"]),
    `runrec log: --format: "Markdown" is not one of table, md, csv, json, jsonl (did you mean ` +
      "md?) (see runrec log --help)\n",
  );
  assertEquals(
    await said(["log", del, "--format", "ndjson"]),
    `runrec log: --format: "ndjson" is not one of table, md, csv, json, jsonl (did you mean ` +
      "jsonl?) (see runrec log --help)\n",
  );
  assertEquals(
    await said(["show", del, id, "--format", "markdown"]),
    `runrec show: --format: "markdown" is not one of md, json (did you mean md?) (see runrec ` +
      "show --help)\n",
  );
  // A slip of typing in a word of a fixed few is named too, as a misspelt option is
  // (newuser-60 F6).
  const slips: [string[], string][] = [
    [
      ["log", del, "--format", "tabel"],
      '--format: "tabel" is not one of table, md, csv, json, jsonl (did you mean table?)',
    ],
    [["log", del, "--by", "tiem"], '--by: "tiem" is not one of time, path (did you mean time?)'],
    [
      ["show", del, id, "--format", "jsno"],
      '--format: "jsno" is not one of md, json (did you mean json?)',
    ],
    [
      ["export", del, "--format", "opnlineage"],
      '--format: "opnlineage" is not one of openlineage, prov (did you mean openlineage?)',
    ],
    [
      ["agents", "chek", del],
      'unknown action "chek": install, check or remove (did you mean check?)',
    ],
  ];
  for (const [words, said_] of slips) {
    assertEquals(
      await said(words),
      `runrec ${words[0]}: ${said_} (see runrec ${words[0]} --help)\n`,
    );
  }
  for (const words of [["wrong input"], ["wrong", "input"]]) {
    assertEquals(
      await said(["annotate", del, id, ...words, "--invalidates"]),
      `runrec annotate: unexpected argument ${JSON.stringify(words[0])}: a note goes after ` +
        "--note (--note 'wrong input') (see runrec annotate --help)\n",
    );
  }
  assertEquals(
    await said(["finish", "-help"]),
    "runrec finish: unknown option -help: did you mean --help? (see runrec finish --help)\n",
  );
  assertEquals(
    await said(["emit", del, "-agent", "4_DOCUMENTS", "--status", "SUCCESS"]),
    "runrec emit: unknown option -agent: did you mean --agent? (see runrec emit --help)\n",
  );
  assertEquals(
    await said(["version"]),
    'runrec: unknown command "version": did you mean --version? (see runrec --help)\n',
  );
  // Short options and their values are read as before.
  const limited = await runCli(["log", del, "-n1", "--format", "jsonl"]);
  assertEquals([limited.code, JSON.parse(limited.stdout).RunID], [0, id], limited.stderr);
  assertEquals(await Deno.readTextFile(file), before);
});
