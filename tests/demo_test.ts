/**
 * The demo (`deno task demo`) as a real process under the task's own flags,
 * the guarantee it shows (runrec writes only `RunRecords.csv`), and its
 * `--deny-net` sandbox.
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
  moveStatusText,
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

/** SHA-256 of every regular file beneath `dir`, by path relative to `dir`. */
async function hashTree(dir: string, base = dir): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) Object.assign(hashes, await hashTree(path, base));
    else if (entry.isFile) {
      const bytes = await Deno.readFile(path);
      hashes[relative(base, path)] = createHash("sha256").update(bytes).digest("hex");
    }
  }
  return hashes;
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

const DOCS = ["Datasheet.md", "Specification.md", "Guidance.md", "Procedure.md"];
const FOUR_DOCUMENTS_READS = ["_CONTEXT.md", "_DEPENDENCIES.md", "_REFERENCES.md", "_STATUS.md"];

/** What the demo plays, per deliverable, as the records must show it. */
const EXPECTED: Record<DeliverableKey, Partial<RunRecord>[]> = {
  "DEL-01-01": [
    {
      AgentName: "4_DOCUMENTS",
      RunStatus: "PARTIAL",
      RunPassDirective: "FULL",
      StatusBefore: "OPEN",
      StatusAfter: "OPEN",
      InputFiles: FOUR_DOCUMENTS_READS,
      OutputFiles: DOCS.slice(0, 3),
    },
    {
      AgentName: "4_DOCUMENTS",
      RunStatus: "SUCCESS",
      RunPassDirective: "FULL",
      StatusBefore: "OPEN",
      StatusAfter: "INITIALIZED",
      InputFiles: FOUR_DOCUMENTS_READS,
      OutputFiles: [...DOCS, "_STATUS.md"],
    },
    {
      AgentName: "CHIRALITY_FRAMEWORK",
      RunStatus: "SUCCESS",
      RunPassDirective: "FULL",
      StatusBefore: "INITIALIZED",
      StatusAfter: "SEMANTIC_READY",
      InputFiles: [...DOCS, "_CONTEXT.md"],
      OutputFiles: ["_SEMANTIC.md", "_STATUS.md"],
    },
  ],
  "DEL-01-02": [
    {
      AgentName: "DEPENDENCIES",
      RunStatus: "SUCCESS",
      RunPassDirective: "FULL",
      StatusBefore: "INITIALIZED",
      StatusAfter: "INITIALIZED",
      InputFiles: [...DOCS, "_CONTEXT.md", "_REFERENCES.md", "_DEPENDENCIES.md"],
      OutputFiles: ["Dependencies.csv", "_DEPENDENCIES.md"],
    },
    {
      AgentName: "CHIRALITY_FRAMEWORK",
      RunStatus: "FAILED",
      RunPassDirective: "FULL",
      StatusBefore: "INITIALIZED",
      StatusAfter: "INITIALIZED",
      InputFiles: [...DOCS, "_CONTEXT.md"],
      OutputFiles: [],
    },
  ],
  "DEL-01-03": [
    {
      AgentName: "CHIRALITY_LENS",
      RunStatus: "SUCCESS",
      RunPassDirective: "FULL",
      StatusBefore: "SEMANTIC_READY",
      StatusAfter: "SEMANTIC_READY",
      InputFiles: [...DOCS, "_SEMANTIC.md"],
      OutputFiles: ["_SEMANTIC_LENSING.md"],
    },
    {
      AgentName: "4_DOCUMENTS",
      RunStatus: "SKIPPED",
      RunPassDirective: "UPDATE",
      StatusBefore: "SEMANTIC_READY",
      StatusAfter: "SEMANTIC_READY",
      InputFiles: [...FOUR_DOCUMENTS_READS, ...DOCS],
      OutputFiles: [],
    },
  ],
};

function pick(record: RunRecord, keys: string[]): Partial<RunRecord> {
  return Object.fromEntries(keys.map((k) => [k, record[k as keyof RunRecord]]));
}

async function checkRecords(root: string, id: DeliverableKey): Promise<void> {
  const records = await readAll(join(deliverableDir(root, id), "RunRecords.csv"));
  const expected = EXPECTED[id];
  assertEquals(records.length, expected.length, `${id}: number of records`);
  for (const [i, record] of records.entries()) {
    assertEquals(pick(record, Object.keys(expected[i])), expected[i], `${id} record ${i + 1}`);
    assertEquals(record.DeliverableID, id);
    assertMatch(record.InputContextSHA, /^[0-9a-f]{64}$/);
    assertEquals(sortedKeys(record.OutputHashes), [...record.OutputFiles].sort());
    for (const hash of Object.values(record.OutputHashes)) assertMatch(hash, /^[0-9a-f]{64}$/);
    assert(record.InputFiles.every((p) => p in record.InputHashes), `${id}: input hashes`);
    assertMatch(record.RunDuration, /^PT/);
    const failing = record.RunStatus === "FAILED" || record.RunStatus === "PARTIAL";
    assert(failing === (record.ErrorSummary !== ""), `${id}: ErrorSummary of ${record.RunStatus}`);
  }
}

/** `_STATUS.md` of DEL-01-01 after the demo: two bullets appended, two lines changed. */
async function checkStatusMoves(root: string): Promise<void> {
  const name = join(DELIVERABLES["DEL-01-01"], "_STATUS.md");
  const before = await Deno.readTextFile(join(EXAMPLES_DIR, WORKING_DIR, name));
  const after = await Deno.readTextFile(join(root, WORKING_DIR, name));
  const date = /\*\*Last Updated:\*\* (\d{4}-\d{2}-\d{2})\n/.exec(after)?.[1];
  assert(date !== undefined, "Last Updated is a date");
  const expected = before
    .replace("**Current State:** OPEN\n", "**Current State:** SEMANTIC_READY\n")
    .replace("**Last Updated:** 2026-02-21\n", `**Last Updated:** ${date}\n`) +
    `- ${date} — State set to INITIALIZED (4_DOCUMENTS)\n` +
    `- ${date} — State set to SEMANTIC_READY (CHIRALITY_FRAMEWORK)\n`;
  assertEquals(after, expected);
}

/** Runs scripts/demo.ts under `flags` with `arg`, from the repository root, without colour. */
function runDemo(flags: string[], arg: string): Promise<Deno.CommandOutput> {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, "scripts/demo.ts", arg],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("demo: plays the script under the task's flags and records every run", async () => {
  const flags = await demoTaskFlags();
  const committedBefore = await hashTree(EXAMPLES_DIR);
  const output = await runDemo(flags, "--keep");
  const stdout = decoder.decode(output.stdout);
  const stderr = decoder.decode(output.stderr);
  const folder = /^demo folder: (.+)$/m.exec(stdout)?.[1];
  try {
    assertEquals(output.code, 0, `demo exit code; stderr:\n${stderr}\nstdout:\n${stdout}`);
    assert(folder !== undefined, `no "demo folder:" line in:\n${stdout}`);
    assert(!folder.startsWith(ROOT), "the demo works outside the repository");
    for (const id of Object.keys(DELIVERABLES) as DeliverableKey[]) {
      await checkRecords(folder, id);
    }
    await checkStatusMoves(folder);
    assertIncludes(stdout, "network: denied");
    assertIncludes(stdout, "[1/7] 4_DOCUMENTS on DEL-01-01 — OPEN (no move)");
    assertIncludes(stdout, "[3/7] CHIRALITY_FRAMEWORK on DEL-01-01 — INITIALIZED → SEMANTIC_READY");
    assertIncludes(stdout, "total: 3 files, 7 records, 0 errors");
    assertIncludes(stdout, `kept demo folder: ${folder}`);
  } finally {
    if (folder) await Deno.remove(folder, { recursive: true });
  }
  assertEquals(await hashTree(EXAMPLES_DIR), committedBefore, "examples/ is byte-identical");
});

Deno.test("demo: without --keep the folder is deleted, and the output says so", async () => {
  const flags = await demoTaskFlags();
  const output = await runDemo(flags, "--quiet");
  const stdout = decoder.decode(output.stdout);
  assertEquals(output.code, 0, decoder.decode(output.stderr));
  const folder = /^demo folder: (.+)$/m.exec(stdout)?.[1];
  assert(folder !== undefined, stdout);
  assertEquals(stdout, `demo folder: ${folder}\n`, "--quiet prints only the folder");
  let exists = true;
  try {
    await Deno.stat(folder);
  } catch (e) {
    exists = !(e instanceof Deno.errors.NotFound);
  }
  assert(!exists, `${folder} was removed`);
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
