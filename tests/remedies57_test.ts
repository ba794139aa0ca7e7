/**
 * Every remedy command runrec prints runs as printed, pasted into a shell, for a deliverable folder
 * whose relative path starts with `-` (given after `--`, or named relative to the current folder by
 * reap and verify): it is printed `./-…`, which runrec, mkdir, mv and git take as a path, not as
 * options (remedies57). Real processes, a real git repository.
 *
 * ```sh
 * deno test -A tests/remedies57_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { git, makeProject, sampleDraft } from "./fixtures.ts";
import { pasted, recordsOf } from "./support/runs.ts";
import { cli } from "./support/work_tree_project.ts";
import { diverged, mergeStopped, UNION } from "./support/merge_stopped.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { journalPath } from "../src/journal.ts";
import { appendRecord } from "../src/store.ts";

const FOLDER = join("-PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");

/** The lines of a text file, without the empty string after the last `\n`. */
async function lines(file: string): Promise<string[]> {
  return (await Deno.readTextFile(file)).split("\n").filter((line) => line !== "");
}

/** A git repository whose one deliverable is at {@linkcode FOLDER}, committed: its root. */
async function dashedProject(): Promise<{ root: string; del: string }> {
  const { root } = await makeProject();
  await Deno.rename(join(root, "PKG-01_Pkg"), join(root, "-PKG-01_Pkg"));
  await git(root, "init", "-q", "-b", "main");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "project");
  return { root, del: join(root, FOLDER) };
}

/** The remedy `pattern` finds in `text`, its placeholders filled (`[placeholder, value]`). */
function remedy(text: string, pattern: RegExp, ...fill: [string, string][]): string {
  const found = pattern.exec(text)?.[0];
  assert(found !== undefined, `${pattern} not in: ${text}`);
  return fill.reduce((command, [placeholder, value]) => command.replace(placeholder, value), found);
}

Deno.test("remedies57: the emit, annotate, finish, verify, reap, agents install and validate a message suggests for a folder -PKG… run as pasted (they printed -PKG…, read as options, exit 2)", async () => {
  const { root, del } = await dashedProject();
  const run = (...args: string[]) => cli(root, {}, ...args);
  const pending = [];
  for (let i = 0; i < 2; i++) {
    const started = await run("start", "--agent", "OWN", "--", FOLDER);
    assertEquals(started.code, 0, started.stderr);
    pending.push(started.stdout.trim().replace(/^.*\//, "").replace(/\.json$/, ""));
  }
  const agents = async () => (await recordsOf(del)).map((r) => r.AgentName);
  const cases: {
    name: string;
    before?: () => Promise<void>;
    trigger: string[];
    pattern: RegExp;
    fill?: [string, string][];
    code?: number;
    then: (out: string) => Promise<void> | void;
  }[] = [
    {
      name: "finish of an agent with no pending run: emit",
      trigger: ["finish", "--agent", "OTHER", "--status", "SUCCESS", "--", FOLDER],
      pattern: /runrec emit \S+ --agent OTHER --status S \.\.\./,
      fill: [["--status S ...", "--status SUCCESS"]],
      then: async () => assertEquals(await agents(), ["OTHER"]),
    },
    {
      name: "emit while a run of its agent is pending: annotate",
      trigger: ["emit", "--agent", "OWN", "--status", "SUCCESS", "--", FOLDER],
      pattern: /runrec annotate \S+ RUN-\S+ --invalidates --note "recorded twice"/,
      then: async () => assertEquals(await agents(), ["OTHER", "OWN", "RUNREC_ANNOTATE"]),
    },
    {
      name: "finish by a token cut short: finish --run",
      trigger: [
        "finish",
        "--status",
        "SUCCESS",
        "--",
        join(FOLDER, ".runrec", "pending", pending[0].slice(0, 22)),
      ],
      pattern: /runrec finish \S+ --run \S+ \.\.\./,
      fill: [["...", "--status SUCCESS"]],
      then: async () => assertEquals((await agents()).at(-1), "OWN"),
    },
    {
      name: "verify with a revision given without --since",
      trigger: ["verify", "--", FOLDER, "main"],
      pattern: /runrec verify \S+ --since main/,
      then: (out) => assert(out.includes("RunRecords.csv"), out),
    },
    {
      name: "reap of runs started without --pid, folder relative to the current one",
      trigger: ["reap", "."],
      pattern: /runrec reap \S+ --older-than DURATION \(2h, 1d\)/,
      fill: [["DURATION (2h, 1d)", "0s"]],
      then: async () => assertEquals((await agents()).at(-1), "OWN"),
    },
    {
      name: "agents check of agent files without their block: agents install",
      before: async () => {
        await Deno.mkdir(join(root, "-agents"));
        await Deno.writeTextFile(
          join(root, "-agents", "AGENT_X.md"),
          "AGENT_TYPE: 2\n| **WRITE_SCOPE** | deliverable-local |\n\n" +
            "[[BEGIN:PROTOCOL]]\n## PROTOCOL\n[[END:PROTOCOL]]\n",
        );
      },
      trigger: ["agents", "check", "--", "-agents"],
      pattern: /runrec agents install \S+/,
      then: (out) => assert(out.includes("AGENT_X.md: installed"), out),
    },
    {
      name: "annotate of a file with a line that cannot be read: validate",
      before: () => Deno.writeTextFile(join(del, RECORD_FILE), "damaged\n", { append: true }),
      trigger: [
        "annotate",
        "--invalidates",
        "--note",
        "x",
        "--",
        FOLDER,
        "RUN-DEL-01-02-20990101-0000-001",
      ],
      pattern: /runrec validate \S+/,
      code: 1,
      then: (out) => assert(out.includes(`${RECORD_FILE}:`), out),
    },
  ];
  try {
    for (const { name, before, trigger, pattern, fill = [], code = 0, then } of cases) {
      await before?.();
      const said = await run(...trigger);
      const command = remedy(said.stderr, pattern, ...fill);
      const done = await pasted(root, command);
      assertEquals(done.code, code, `${name}: ${command}: ${done.stderr}`);
      await then(done.stdout + done.stderr);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("remedies57: verify --since's restore of a record file a commit deleted, pasted from the repository's top, makes its folder -PKG… again, puts it back and adds it (mkdir -p -PKG… failed)", async () => {
  const { root, del } = await dashedProject();
  const base = await git(root, "rev-parse", "HEAD");
  try {
    assertEquals(
      (await cli(root, {}, "emit", "--agent", "OWN", "--status", "SUCCESS", "--", FOLDER)).code,
      0,
    );
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "a run");
    // The whole folder removed (`git rm -r`), as the remedy's mkdir is for.
    await git(root, "rm", "-rq", "--", "-PKG-01_Pkg");
    await git(root, "commit", "-qm", "delete");
    const failed = await cli(root, {}, "verify", ".", "--since", base);
    assertEquals(failed.code, 1, failed.stdout + failed.stderr);
    const command = /\(`(.+?)`, then/.exec(failed.stdout)?.[1];
    assert(command !== undefined, failed.stdout);
    const done = await pasted(root, command);
    assertEquals(done.code, 0, `${command}: ${done.stderr}`);
    await git(root, "commit", "-q", "--amend", "--allow-empty", "--no-edit");
    assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["OWN"]);
    const held = await cli(root, {}, "verify", ".", "--since", base);
    assertEquals(held.code, 0, held.stdout + held.stderr);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("remedies57: the show annotate suggests for a RunID two merged branches both used runs as pasted for a folder -PKG… (it printed -PKG…, read as options, exit 2)", async () => {
  const { root, del } = await dashedProject();
  const file = join(del, RECORD_FILE);
  try {
    // One minute, two clones (branches): each gives SEQ 001, and the union merge keeps both.
    await Deno.writeTextFile(join(root, ".gitattributes"), `${RECORD_FILE} merge=union\n`);
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "union");
    const at = "2026-02-22T10:15:00Z";
    await git(root, "checkout", "-qb", "feature");
    await appendRecord(file, sampleDraft({ AgentName: "FEATURE", RunTimestamp: at }));
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "feature run");
    await git(root, "checkout", "-q", "main");
    await Deno.remove(journalPath(file));
    await Deno.remove(join(root, ".git", "runrec-locks"), { recursive: true });
    await appendRecord(file, sampleDraft({ AgentName: "MAIN", RunTimestamp: at }));
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "main run");
    await git(root, "merge", "-q", "--no-edit", "feature");
    const [{ RunID }] = await recordsOf(del);
    const said = await cli(
      root,
      {},
      "annotate",
      "--invalidates",
      "--note",
      "x",
      "--",
      FOLDER,
      RunID,
    );
    assertEquals(said.code, 2, said.stderr);
    const command = remedy(said.stderr, /runrec show \S+ RUN-\S+ --line N/, [
      "--line N",
      "--line 3",
    ]);
    const done = await pasted(root, command);
    assertEquals(done.code, 0, `${command}: ${done.stderr}`);
    assert(done.stdout.includes("FEATURE") || done.stdout.includes("MAIN"), done.stdout);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("remedies57: verify --since's move of a run a merge placed among its parents' lines, pasted, runs sed, mv and git add on the file under -PKG… (sed read -PKG… as options)", async () => {
  const { root, emit, datasheet, base, file, verify } = await diverged(UNION, "-PKG-01_Pkg");
  try {
    await mergeStopped(root);
    assertEquals((await emit("DURING", "2026-01-04T00:00:00Z")).code, 0);
    // An editor moves it above the merged side's line.
    const [header, baseLine, mainLine, sideLine, during] = await lines(file);
    await Deno.writeTextFile(file, [header, baseLine, mainLine, during, sideLine, ""].join("\n"));
    await Deno.writeTextFile(datasheet, "# Datasheet\n\nboth\n");
    await git(root, "commit", "-qa", "--no-edit");
    const failed = await verify(base);
    assertEquals(failed.code, 1, failed.stdout);
    const command = /`(\(cd [^`]+\))`/.exec(failed.stdout)?.[1];
    assert(command !== undefined, failed.stdout);
    const done = await pasted(root, command);
    assertEquals(done.code, 0, `${command}: ${done.stderr}`);
    assertEquals(await lines(file), [header, baseLine, mainLine, sideLine, during]);
    assertEquals((await verify(base)).code, 0);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("remedies57: the flush show suggests for a run a git checkout dropped from the file runs as pasted for a folder -PKG… and puts it back (it printed -PKG…)", async () => {
  const { root, del } = await dashedProject();
  try {
    const emit = ["emit", "--agent", "OWN", "--status", "SUCCESS", "--", FOLDER];
    assertEquals((await cli(root, {}, ...emit)).code, 0);
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "a run");
    const runId = (await cli(root, {}, ...emit)).stdout.trim();
    await git(root, "checkout", "--", join(FOLDER, RECORD_FILE));
    const said = await cli(root, {}, "show", "--", FOLDER, runId);
    assertEquals(said.code, 1, said.stderr);
    const done = await pasted(root, remedy(said.stderr, /runrec flush \S+/));
    assertEquals(done.code, 0, done.stderr);
    assertEquals((await recordsOf(del)).map((r) => r.RunID).at(-1), runId);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
