/**
 * The demo (`deno task demo`) as a real process under the task's own flags:
 * it installs runrec and runs the agents through runrec's hooks; the records
 * must hold what each agent did. Also the guarantee it shows (runrec writes
 * only `RunRecords.csv`) and its `--deny-net` sandbox.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join, relative } from "node:path";
import {
  appendToSection,
  copyTree,
  type DeliverableKey,
  DELIVERABLES,
  EXAMPLES_DIR,
  hashTree,
  moveStatusText,
  SCRIPT,
  WORKING_DIR,
} from "../scripts/demo.ts";
import { readRecords } from "../src/reader.ts";
import type { RunRecord } from "../src/schema.ts";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { runCli } from "./cli.ts";
import { ROOT, tempDir } from "./fixtures.ts";

const decoder = new TextDecoder();

/** The flags of `deno task demo`, read from deno.json (between `deno run` and the script). */
async function demoTaskFlags(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const words = (config.tasks.demo as string).trim().split(/\s+/);
  assertEquals(words.slice(0, 2), ["deno", "run"], "the demo task starts with `deno run`");
  assertEquals(words.at(-1), "scripts/demo.ts", "the demo task runs scripts/demo.ts");
  return words.slice(2, -1);
}

function sortedKeys(object: Record<string, string>): string[] {
  return Object.keys(object).sort();
}

async function readAll(path: string): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for await (const event of readRecords(path)) {
    assert(event.kind === "record", `${path}:${event.line}: ${JSON.stringify(event)}`);
    records.push(event.record);
  }
  return records;
}

function deliverableDir(root: string, id: DeliverableKey): string {
  return join(root, WORKING_DIR, DELIVERABLES[id]);
}

async function sha256(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

const DOCS = ["Datasheet.md", "Specification.md", "Guidance.md", "Procedure.md"];

/** Per deliverable, what each run did: agent, RunStatus, StatusBefore, StatusAfter, outputs. */
const EXPECTED: Record<DeliverableKey, [string, string, string, string, string[]][]> = {
  "DEL-01-01": [
    ["PREPARATION", "SUCCESS", "TBD", "OPEN", [
      "_CONTEXT.md",
      "_DEPENDENCIES.md",
      "_REFERENCES.md",
      "_SEMANTIC.md",
      "_STATUS.md",
    ]],
    ["4_DOCUMENTS", "SUCCESS", "OPEN", "INITIALIZED", [...DOCS, "_STATUS.md"]],
    ["DEPENDENCIES", "SUCCESS", "INITIALIZED", "INITIALIZED", [
      "Dependencies.csv",
      "_DEPENDENCIES.md",
    ]],
    ["CHIRALITY_FRAMEWORK", "SUCCESS", "INITIALIZED", "SEMANTIC_READY", [
      "_SEMANTIC.md",
      "_STATUS.md",
    ]],
    ["CHIRALITY_LENS", "SUCCESS", "SEMANTIC_READY", "SEMANTIC_READY", ["_SEMANTIC_LENSING.md"]],
  ],
  "DEL-01-02": [
    ["4_DOCUMENTS", "FAILED", "INITIALIZED", "INITIALIZED", []],
    ["DEPENDENCIES", "PARTIAL", "INITIALIZED", "INITIALIZED", [
      "Dependencies.csv",
      "_DEPENDENCIES.md",
    ]],
    ["CHIRALITY_FRAMEWORK", "FAILED", "INITIALIZED", "INITIALIZED", []],
  ],
  "DEL-01-03": [
    ["4_DOCUMENTS", "SKIPPED", "SEMANTIC_READY", "SEMANTIC_READY", []],
    ["CHIRALITY_LENS", "SUCCESS", "SEMANTIC_READY", "SEMANTIC_READY", ["_SEMANTIC_LENSING.md"]],
  ],
};

const IDS = Object.keys(DELIVERABLES) as DeliverableKey[];

/**
 * Follows the files of deliverable `id` through its records: each run's
 * InputHashes must be the files as the runs before it left them (the state
 * at its start, not at its end), and the last outputs must be the files now.
 */
async function checkHashChain(root: string, id: DeliverableKey, records: RunRecord[]) {
  const dir = deliverableDir(root, id);
  // Every committed file, by its path from the deliverable; DEL-01-01's are PREPARATION's to create.
  const files: Record<string, string> = {};
  for (const [path, hash] of Object.entries(await hashTree(EXAMPLES_DIR))) {
    const fromDeliverable = relative(deliverableDir(EXAMPLES_DIR, id), join(EXAMPLES_DIR, path));
    if (!path.includes(DELIVERABLES["DEL-01-01"])) files[fromDeliverable] = hash;
  }
  for (const [i, record] of records.entries()) {
    const run = `${id} record ${i + 1} (${record.AgentName})`;
    for (const input of record.InputFiles) {
      assertEquals(record.InputHashes[input], files[input], `${run}: start-time hash of ${input}`);
    }
    assertEquals(sortedKeys(record.OutputHashes), [...record.OutputFiles].sort(), run);
    Object.assign(files, record.OutputHashes);
  }
  for (const file of new Set(records.flatMap((r) => r.OutputFiles))) {
    const now = await sha256(join(dir, file));
    assertEquals(now, files[file], `${id}/${file} is as the last run left it`);
  }
}

/**
 * Every file of the execution root is byte-identical to the committed one,
 * or an output of a record of its deliverable, or runrec's own.
 */
async function checkHostFiles(root: string, records: Record<DeliverableKey, RunRecord[]>) {
  const committed = await hashTree(EXAMPLES_DIR);
  const now = await hashTree(root);
  const outputs = new Set(
    IDS.flatMap((id) =>
      records[id].flatMap((r) => r.OutputFiles.map((f) => join(WORKING_DIR, DELIVERABLES[id], f)))
    ),
  );
  for (const [path, hash] of Object.entries(now)) {
    if (committed[path] === hash) continue;
    const runrecs = path.endsWith("/RunRecords.csv") || path.includes("/.runrec/");
    assert(runrecs || outputs.has(path), `${path} changed, but no record names it as an output`);
  }
  for (const path of Object.keys(committed)) {
    assert(path in now, `${path} was deleted`);
  }
}

/** Runs scripts/demo.ts under `flags` with `args`, from the repository root, without colour. */
function runDemo(
  flags: string[],
  args: string[],
  env: Record<string, string> = {},
): Promise<Deno.CommandOutput> {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, "scripts/demo.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("demo: installs runrec and runs the pipeline through its hooks; each record holds what its agent did", async () => {
  const flags = await demoTaskFlags();
  const committedBefore = await hashTree(EXAMPLES_DIR);
  const output = await runDemo(flags, ["--keep"]);
  const stdout = decoder.decode(output.stdout);
  const stderr = decoder.decode(output.stderr);
  const folder = /^demo folder: (.+)$/m.exec(stdout)?.[1];
  try {
    assertEquals(output.code, 0, `demo exit code; stderr:\n${stderr}\nstdout:\n${stdout}`);
    assert(folder !== undefined, `no "demo folder:" line in:\n${stdout}`);
    assert(!folder.startsWith(ROOT), "the demo works outside the repository");
    const root = join(folder, "examples");

    // runrec installed as `deno task install` installs it: a launcher here, or the binary.
    const version = await new Deno.Command(join(folder, "bin", "runrec"), { args: ["--version"] })
      .output();
    assertMatch(
      decoder.decode(version.stdout),
      /^runrec \S+ \((launcher over the bundle in .*\.runrec-lib\/|compiled binary)/,
    );

    const records = {} as Record<DeliverableKey, RunRecord[]>;
    for (const id of IDS) {
      records[id] = await readAll(join(deliverableDir(root, id), "RunRecords.csv"));
      const got = records[id].map((r) => [
        r.AgentName,
        r.RunStatus,
        r.StatusBefore,
        r.StatusAfter,
        [...r.OutputFiles].sort(),
      ]);
      const expected = EXPECTED[id].map(([a, s, b, f, o]) => [a, s, b, f, [...o].sort()]);
      assertEquals(got, expected, `${id}: agent, status, before, after, outputs of each run`);
      for (const record of records[id]) assertEquals(record.DeliverableID, id);
      await checkHashChain(root, id, records[id]);
      const pending = [...Deno.readDirSync(join(deliverableDir(root, id), ".runrec", "pending"))];
      assertEquals(pending, [], `${id}: no run left pending`);
    }
    // Each run's inputs are what its agent was dispatched to read.
    const runs = IDS.flatMap((id) => records[id]);
    assertEquals(runs.map((r) => r.InputFiles), SCRIPT.map((s) => s.inputs));

    // A file the run read and then rewrote: its start hash is the input, its new one the output.
    const [, dependencies] = records["DEL-01-02"];
    const committedDeps = await sha256(
      join(deliverableDir(EXAMPLES_DIR, "DEL-01-02"), "_DEPENDENCIES.md"),
    );
    const nowDeps = await sha256(join(deliverableDir(root, "DEL-01-02"), "_DEPENDENCIES.md"));
    assert(committedDeps !== nowDeps, "DEPENDENCIES rewrote _DEPENDENCIES.md");
    assertEquals(dependencies.InputHashes["_DEPENDENCIES.md"], committedDeps);
    assertEquals(dependencies.OutputHashes["_DEPENDENCIES.md"], nowDeps);

    // Host outcome words, mapped; the killed agent's run, reaped.
    const [failedInputs, , reaped] = records["DEL-01-02"];
    assertEquals(failedInputs.ErrorSummary, "FAILED_INPUTS: _SEMANTIC_LENSING.md missing");
    assertEquals(failedInputs.RunPassDirective, "P3_ONLY");
    assertMatch(records["DEL-01-01"][3].Notes, /^PASS\b/);
    assertEquals(reaped.ErrorSummary, "reaped: the agent never finished");
    assertMatch(reaped.Notes, /its process \d+ on .+ is gone/);

    await checkHostFiles(root, records);
    assertIncludes(stdout, "network: denied");
    assertIncludes(stdout, "$ TOKEN=$(runrec start");
    assertIncludes(stdout, `$ runrec finish "$TOKEN" --status FAILED_INPUTS`);
    assertIncludes(stdout, "$ runrec exec PKG-01_Field_Instruments/1_Working/DEL-01-01_");
    assertIncludes(stdout, "# host: killed the agent");
    assertIncludes(stdout, "$ runrec reap PKG-01_Field_Instruments/1_Working/DEL-01-02_");
    assertIncludes(stdout, "total: 3 files, 10 records, 0 errors, 0 warnings");
    assertIncludes(stdout, "demo: every step and check passed");
    assertIncludes(stdout, `kept demo folder: ${folder}`);
    assert(!stdout.includes("warning:"), `no runrec warning in:\n${stdout}`);
  } finally {
    if (folder) await Deno.remove(folder, { recursive: true });
  }
  assertEquals(await hashTree(EXAMPLES_DIR), committedBefore, "examples/ is byte-identical");
});

Deno.test("demo: a failure is one line on stderr and exit 1, and the folder is deleted without --keep", async () => {
  const flags = await demoTaskFlags();
  // A real fault: Deno's permission flags cannot name a folder with a comma, so install refuses.
  const tmp = await tempDir({ prefix: "runrec-demo,test-" });
  try {
    const output = await runDemo(flags, ["--quiet"], { TMPDIR: tmp });
    const stdout = decoder.decode(output.stdout);
    const stderr = decoder.decode(output.stderr);
    assertEquals(output.code, 1, stderr);
    const folder = /^demo folder: (.+)$/m.exec(stdout)?.[1];
    assert(folder !== undefined && folder.startsWith(tmp), stdout);
    assertEquals(stdout, `demo folder: ${folder}\n`, "--quiet prints only the folder");
    assertMatch(
      stderr,
      /^demo: failed: installing runrec failed: install: .+ has a comma in its path.*\n$/,
    );
    assertEquals([...Deno.readDirSync(tmp)], [], `${folder} was removed`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("conformance: runrec writes only RunRecords.csv; host files stay byte-identical", async () => {
  const root = await tempDir({ prefix: "runrec-demo-test-" });
  try {
    await copyTree(EXAMPLES_DIR, root);
    const before = await hashTree(root);
    const runs: [DeliverableKey, string[]][] = [
      ["DEL-01-01", ["--status", "SUCCESS", "--output", "_STATUS.md", "--status-before", "OPEN"]],
      ["DEL-01-01", ["--status", "PARTIAL", "--output", "_SEMANTIC.md", "--error", "x"]],
      ["DEL-01-02", [
        "--status",
        "SUCCESS",
        "--output",
        "_DEPENDENCIES.md",
        "--input",
        "_STATUS.md",
      ]],
      ["DEL-01-02", ["--status", "FAILED", "--input", "_DEPENDENCIES.md", "--error", "y"]],
      ["DEL-01-03", ["--status", "SUCCESS", "--output", "Dependencies.csv", "--pass", "FULL"]],
      ["DEL-01-03", ["--status", "SKIPPED", "--input", "Dependencies.csv", "--notes", "z"]],
    ];
    for (const [id, args] of runs) {
      const result = await runCli(["emit", deliverableDir(root, id), "--agent", "TEST", ...args]);
      assertEquals(result.code, 0, result.stderr);
    }
    for (const command of ["validate", "verify", "log"]) {
      const result = await runCli([command, root]);
      assertEquals(result.code, 0, `${command}: ${result.stderr}`);
    }
    const after = await hashTree(root);
    for (const [path, hash] of Object.entries(before)) {
      assertEquals(after[path], hash, `${path} is byte-identical`);
    }
    const added = sortedKeys(after).filter((p) => !(p in before));
    // Besides RunRecords.csv, only runrec's own state folder, which git ignores.
    const state = added.filter((p) => p.includes("/.runrec/"));
    for (const p of state.filter((p) => p.endsWith("/.gitignore"))) {
      assertEquals(await Deno.readTextFile(join(root, p)), "*\n", p);
    }
    const expected = Object.values(DELIVERABLES).map((d) => join(WORKING_DIR, d, "RunRecords.csv"));
    assertEquals(
      added.filter((p) => !state.includes(p)),
      expected.sort(),
      "the only new files are RunRecords.csv",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** Runs a fetch to a closed local port under `flags`; prints the permission state and error name. */
async function fetchUnder(flags: string[]): Promise<string> {
  const dir = await tempDir({ prefix: "runrec-demo-net-" });
  try {
    const script = join(dir, "net.ts");
    // Not port 9: fetch refuses "bad ports" like 9 with a TypeError before any permission check.
    await Deno.writeTextFile(
      script,
      `const { state } = await Deno.permissions.query({ name: "net", host: "127.0.0.1:65500" });
try {
  await fetch("http://127.0.0.1:65500/");
  console.log(state, "fetched");
} catch (e) {
  console.log(state, e instanceof Error ? e.name : String(e));
}
`,
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags, script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(output.code, 0, decoder.decode(output.stderr));
    return decoder.decode(output.stdout).trim();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("sandbox: the demo's flags deny the network (NotCapable, not a connection error)", async () => {
  const flags = await demoTaskFlags();
  assert(flags.includes("--deny-net"), `demo task flags: ${flags.join(" ")}`);
  assertMatch(await fetchUnder(flags), /^denied NotCapable$/);
  // Control: the same flags with the network allowed fail differently (nothing listens there).
  const allowed = flags.map((f) => f === "--deny-net" ? "--allow-net=127.0.0.1" : f);
  assertMatch(await fetchUnder(allowed), /^granted (?!NotCapable)\w+$/);
});

Deno.test("demo helpers: a state move keeps the file's shape and every other byte", () => {
  const table = "# Status — DEL-01-02\n\n**Current State:** INITIALIZED   \n" +
    "**Last Updated:** 2026-02-22\n\n## History\n\n| Date | From | To | Agent/Actor | Notes |\n" +
    "|---|---|---|---|---|\n| 2026-02-22 | OPEN | INITIALIZED | 4_DOCUMENTS | Drafted |\n";
  const move = {
    from: "INITIALIZED",
    to: "SEMANTIC_READY",
    agent: "CHIRALITY_FRAMEWORK",
    date: "2026-02-25",
    note: "Semantic model",
  };
  assertEquals(
    moveStatusText(table, move),
    table
      .replace("INITIALIZED   \n", "SEMANTIC_READY   \n")
      .replace("2026-02-22\n\n", "2026-02-25\n\n") +
      "| 2026-02-25 | INITIALIZED | SEMANTIC_READY | CHIRALITY_FRAMEWORK | Semantic model |\n",
  );
  const crlf = "**Current State:** OPEN\r\n**Last Updated:** 2026-02-21\r\n\r\n## History\r\n" +
    "- 2026-02-21 — State set to OPEN (PREPARATION)\r\n\r\n## Notes\r\n- n\r\n";
  assertEquals(
    moveStatusText(crlf, { ...move, from: "OPEN", to: "INITIALIZED", agent: "4_DOCUMENTS" }),
    "**Current State:** INITIALIZED\r\n**Last Updated:** 2026-02-25\r\n\r\n## History\r\n" +
      "- 2026-02-21 — State set to OPEN (PREPARATION)\r\n" +
      "- 2026-02-25 — State set to INITIALIZED (4_DOCUMENTS)\r\n\r\n## Notes\r\n- n\r\n",
  );
  assertEquals(
    appendToSection("# D\n\n## Run History\n- a\n", "Run History", "- b"),
    "# D\n\n## Run History\n- a\n- b\n",
  );
});
