/**
 * Stop 45's new users: an agent, a script and a CI job meeting runrec from its docs alone, and
 * the two items stop 44 left. Each test is one friction they met, which failed before its fix.
 */
import { join } from "node:path";
import { collectRuns, readRecords, recordRun } from "../mod.ts";
import { InputError } from "../src/errors.ts";
import { emitArgs, runCli, runCliProcess } from "./cli.ts";
import { makeProject, writeTree } from "./fixtures.ts";
import { assertEquals, assertIncludes, assertRejects } from "./assert.ts";

const readAll = async (path: string) => {
  for await (const _ of readRecords(path)) { /* read it all */ }
};

Deno.test("readRecords given a deliverable folder names the RunRecords.csv inside it, or says it holds none (newuser-45 F1)", async () => {
  const { del } = await makeProject();
  await assertRejects(
    () => readAll(del),
    InputError,
    `${del}: cannot read: is a folder, holding no RunRecords.csv (a record file is a ` +
      "deliverable's RunRecords.csv)",
  );
  const emitted = await runCli(["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  await assertRejects(
    () => readAll(del),
    InputError,
    `${del}: cannot read: is a folder (did you mean ${join(del, "RunRecords.csv")}?)`,
  );
  let records = 0;
  for await (const event of readRecords(join(del, "RunRecords.csv"))) {
    if (event.kind === "record") records++;
  }
  assertEquals(records, 1);
});

Deno.test("stale --agent in another case, of an agent that never ran in a folder checked, names it as the other folders' records spell it, or as its agent file does and says none ran (newuser-45 F2)", async () => {
  const { root, del } = await makeProject();
  const other = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_Other");
  await writeTree(other, { "_CONTEXT.md": "**DeliverableID:** DEL-01-03\n" });
  const emitted = await runCli(["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  const both = await runCli(["stale", del, other, "--agent", "4_documents", "--json"]);
  assertEquals(both.code, 0, both.stderr);
  const checks = (out: string) =>
    JSON.parse(out).checks.map((
      c: { deliverableId: string; agent: string; reason?: string },
    ) => [c.deliverableId, c.agent, c.reason ?? ""]);
  assertEquals(checks(both.stdout), [
    ["DEL-01-02", "4_DOCUMENTS", ""],
    ["DEL-01-03", "4_DOCUMENTS", "4_DOCUMENTS has no runs here"],
  ]);
  // Where it ran in none, the name is its (built-in) agent file's, and the reason says none ran.
  const alone = await runCli(["stale", other, "--agent", "4_documents", "--json"]);
  assertEquals(alone.code, 0, alone.stderr);
  assertEquals(checks(alone.stdout), [
    [
      "DEL-01-03",
      "4_DOCUMENTS",
      "4_DOCUMENTS has no runs here, nor in any other deliverable checked",
    ],
  ]);
  // Two spellings of one agent are one check.
  const twice = await runCli(["stale", other, "--agent", "4_documents,4_DOCUMENTS", "--json"]);
  assertEquals(checks(twice.stdout).length, 1);
});

Deno.test("show and annotate given a RunID pasted wrong (a digit off, dropped or swapped) name the recorded RunIDs one edit from it; still exit 1 (not there) or 2 (no RunID), nothing written (newuser-45 F3)", async () => {
  const { del } = await makeProject();
  const ids: string[] = [];
  for (const started of ["2026-02-22T10:15:00Z", "2026-02-22T10:15:30Z"]) {
    const emitted = await runCli(emitArgs(del, "--started", started, "--duration", "1s"));
    assertEquals(emitted.code, 0, emitted.stderr);
    ids.push(emitted.stdout.trim());
  }
  assertEquals(ids, ["RUN-DEL-01-02-20260222-1015-001", "RUN-DEL-01-02-20260222-1015-002"]);
  const file = join(del, "RunRecords.csv");
  const before = await Deno.readTextFile(file);
  const said = (run: { code: number; stderr: string }) => [run.code, run.stderr];
  // Not there: a SEQ no run has (both are one edit away), minutes swapped.
  assertEquals(said(await runCli(["show", del, "RUN-DEL-01-02-20260222-1015-009"])), [
    1,
    `runrec show: RUN-DEL-01-02-20260222-1015-009 not found in ${file} (did you mean ` +
    `${ids[0]} or ${ids[1]}?)\n`,
  ]);
  assertEquals(said(await runCli(["show", del, "RUN-DEL-01-02-20260222-1051-001"])), [
    1,
    `runrec show: RUN-DEL-01-02-20260222-1051-001 not found in ${file} (did you mean ${ids[0]}?)\n`,
  ]);
  assertEquals(
    said(await runCli(["annotate", del, ids[0], "--note", "rerun", "--supersedes", `${ids[1]}2`])),
    [
      1,
      `runrec annotate: --supersedes: ${ids[1]}2 is not a run in ${file} (did you mean ${
        ids[1]
      }?)\n`,
    ],
  );
  assertEquals(
    said(await runCli(["annotate", del, "RUN-DEL-01-02-20260222-1015-003", "--note", "x"])),
    [
      1,
      `runrec annotate: RUN-DEL-01-02-20260222-1015-003 is not a run in ${file} (did you mean ` +
      `${ids[0]} or ${ids[1]}?)\n`,
    ],
  );
  // No RunID: a SEQ of two digits (a recorded one, padded: newuser60 F5), a date missing a digit.
  for (
    const [given, meant] of [
      ["RUN-DEL-01-02-20260222-1015-01", `${ids[0]} (its SEQ has 3 digits or more)`],
      ["RUN-DEL-01-02-2026022-1015-002", ids[1]],
    ]
  ) {
    assertEquals(said(await runCli(["show", del, given])), [
      2,
      `runrec show: "${given}" is not a RunID (RUN-DEL-XX-YY-YYYYMMDD-HHmm-SEQ): did you mean ` +
      `${meant}? (see runrec show --help)\n`,
    ]);
  }
  // Nothing near: as before.
  assertEquals(said(await runCli(["show", del, "RUN-DEL-01-02-20250101-0000-001"])), [
    1,
    `runrec show: RUN-DEL-01-02-20250101-0000-001 not found in ${file}\n`,
  ]);
  assertEquals(await Deno.readTextFile(file), before);
});

Deno.test("an --input or --output that is a shell pattern no file matched says runrec expands none, and how to give many files (newuser-45 F4)", async () => {
  const { del } = await makeProject();
  const run = await runCli(
    emitArgs(del, "--input", "*.pdf", "--output", "out/*.md", "--input", "Datasheet.md"),
  );
  assertEquals(run.code, 0, run.stderr);
  assertIncludes(
    run.stderr,
    "warning: --input *.pdf: not found (a pattern no file matched, passed on as it stands: " +
      "runrec expands none; name each file, or list them: --inputs-from F)\n",
  );
  assertIncludes(
    run.stderr,
    "output out/*.md does not exist: recorded as DELETED (a pattern no file matched, passed on " +
      "as it stands: runrec expands none; name each file, or list them: --outputs-from F)\n",
  );
});

Deno.test("stale, reap and annotate given a file of a deliverable name the deliverable folder holding it (newuser-45 F5)", async () => {
  const { del } = await makeProject();
  const file = join(del, "Datasheet.md");
  for (
    const args of [["stale", file], ["reap", file], [
      "annotate",
      file,
      "RUN-DEL-01-02-20260222-1015-001",
      "--note",
      "x",
    ]]
  ) {
    const run = await runCli(args);
    const command = args[0];
    assertEquals(
      [run.code, run.stderr],
      [2, `runrec ${command}: ${file}: is not a folder; it is inside ${del}: name that\n`],
    );
  }
});

Deno.test("log --status misspelt says the status it most likely meant, as finish and emit do (newuser-45 F6)", async () => {
  const { del } = await makeProject();
  const run = await runCli(["log", del, "--status", "FAILED,sucess"]);
  assertEquals([run.code, run.stderr], [
    2,
    'runrec log: --status: "SUCESS" is not one of SUCCESS, PARTIAL, FAILED, SKIPPED (did you ' +
    "mean SUCCESS?) (see runrec log --help)\n",
  ]);
});

Deno.test("export --json, as a CI job passes to every command, says export's output is JSON already; nothing is written (newuser-45 F7)", async () => {
  const { del } = await makeProject();
  const out = join(del, "lineage.jsonl");
  const run = await runCli(["export", del, "--format", "openlineage", "--json", "--out", out]);
  assertEquals([run.code, run.stdout, run.stderr], [
    2,
    "",
    "runrec export: unknown option --json: export's output is JSON already (--format " +
    "openlineage: one event a line; --format prov: one document): leave --json out (see " +
    "runrec export --help)\n",
  ]);
  assertEquals(await Deno.stat(out).then(() => true, () => false), false);
});

Deno.test("show and annotate given the RunID alone, or before the folder, say <del-dir> comes first, with the command in that order (newuser-45 F8)", async () => {
  const { root, del } = await makeProject();
  const emitted = await runCli(emitArgs(del, "--started", "2026-02-22T10:15:00Z"));
  assertEquals(emitted.code, 0, emitted.stderr);
  const id = emitted.stdout.trim();
  const before = await Deno.readTextFile(join(del, "RunRecords.csv"));
  for (
    const [cwd, args, said] of [
      // From the deliverable folder: "missing <RUNID>" named the word that was there.
      [del, ["show", id], `missing <del-dir>: it comes before the RunID (runrec show . ${id} ...)`],
      // From the execution root: the folder holding the run.
      [
        root,
        ["annotate", id, "--note", "x", "--invalidates"],
        "missing <del-dir>: it comes " +
        `before the RunID (runrec annotate PKG-01_Pkg/1_Working/DEL-01-02_Thing ${id} ...)`,
      ],
      // The two swapped: "is not a RunID" named the folder.
      [del, ["show", id, "."], `<del-dir> comes before the RunID (runrec show . ${id} ...)`],
      [
        del,
        ["annotate", id.toLowerCase(), ".", "--note", "x"],
        "<del-dir> comes before the " +
        `RunID (runrec annotate . ${id} ...)`,
      ],
    ] as const
  ) {
    const run = await runCliProcess([...args], undefined, {}, cwd);
    assertEquals(
      [run.code, run.stderr],
      [2, `runrec ${args[0]}: ${said} (see runrec ${args[0]} --help)\n`],
    );
  }
  assertEquals(await Deno.readTextFile(join(del, "RunRecords.csv")), before);
});

Deno.test("a library call with its required options left out (collectRuns(targets)) names what they must hold (newuser-45 F9)", async () => {
  const { root, del } = await makeProject();
  const any = (value: unknown) => value as never;
  await assertRejects(
    () => collectRuns([root], any(undefined)),
    InputError,
    "collectRuns: options: must be an object holding warn (a function), got nothing",
  );
  await assertRejects(
    () => recordRun(del, any(undefined)),
    InputError,
    `${del}: report: must be an object holding agent (a string), status (a string), got nothing`,
  );
  // With them, as mod.ts's example gives them, it reads.
  assertEquals(await collectRuns([root], { warn: () => {} }), []);
});

Deno.test("log with nothing to filter says there are no records, or that its lines could not be read, not that none match (newuser-45 F10)", async () => {
  const { del } = await makeProject();
  const said = async (...args: string[]) => (await runCli(["log", del, ...args])).stderr;
  assertEquals(await said(), "runrec log: no records to list\n");
  const emitted = await runCli(emitArgs(del));
  assertEquals(emitted.code, 0, emitted.stderr);
  assertEquals(await said("--status", "FAILED"), "runrec log: no records match\n");
  // Its one record changed by hand: the line's warning, then why nothing is listed.
  const file = join(del, "RunRecords.csv");
  await Deno.writeTextFile(file, (await Deno.readTextFile(file)).replace(",SUCCESS,", ",FAILED,"));
  const damaged = await runCli(["log", del]);
  assertEquals(damaged.code, 0);
  assertEquals(
    damaged.stderr.split("\n").at(-2),
    "runrec log: no records to list: 1 line could not be read (the warnings above; runrec validate)",
  );
});

Deno.test("a duration given as a bare number (--duration 90, --older-than 1 hour split by the shell, --since 7) names the units to choose from; nothing is written (newuser-45 F11)", async () => {
  const { del } = await makeProject();
  const units = (n: string) =>
    ` (a number needs its unit, with no space: ${n}s, ${n}m, ${n}h or ${n}d)`;
  const emit = await runCli(emitArgs(del, "--duration", "90"));
  assertEquals(emit.code, 2);
  assertIncludes(emit.stderr, `got "90"${units("90")}`);
  const reap = await runCli(["reap", del, "--older-than", "1", "hour"]);
  assertEquals(reap.code, 2);
  assertIncludes(reap.stderr, `got "1"${units("1")}`);
  const log = await runCli(["log", del, "--since", "7"]);
  assertEquals(log.code, 2);
  assertIncludes(log.stderr, `got "7"${units("7")}`);
  assertEquals(await Deno.stat(join(del, "RunRecords.csv")).then(() => true, () => false), false);
});

Deno.test("agents check --json, as a CI job passes to every command, says agents has no JSON output and check answers by its exit code (newuser-45 left)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "runrec_agents_json_" });
  try {
    const run = await runCli(["agents", "check", dir, "--json"]);
    assertEquals([run.code, run.stdout], [2, ""]);
    assertEquals(
      run.stderr,
      "runrec agents: unknown option --json: agents prints one line a file and has no JSON " +
        "output; check's exit code says it (0: every block up to date, 1: not) (see runrec " +
        "agents --help)\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
