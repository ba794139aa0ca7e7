/**
 * Shared test fixtures: sample records and deliverable folders.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { ANNOTATOR } from "../src/annotations.ts";
import { inputContextSha } from "../src/manifest.ts";
import { createHash } from "node:crypto";
import { encodeRecord, splitCells } from "../src/codec.ts";
import { COLUMNS, HEADER, runIdPrefix, type RunRecord } from "../src/schema.ts";
import type { RecordDraft } from "../src/append_types.ts";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

const HASHES = { "_CONTEXT.md": "a".repeat(64), "../../../_Decomposition/D.md": "TBD" };

/** InputContextSHA of {@linkcode HASHES}: hashed once, not for each of the many sample records. */
const HASHES_CONTEXT_SHA = inputContextSha(HASHES);

/**
 * An annotation record's fields (SCHEMA.md: runrec's own agent, no files, no lifecycle change),
 * its checksum not set; `overrides` give the rest (its RunID, RunTimestamp and Notes).
 */
export function sampleAnnotation(overrides: Partial<RunRecord>): RunRecord {
  return sampleRecord({
    AgentName: ANNOTATOR,
    RunDuration: "PT0S",
    RunStatus: "SKIPPED",
    RunPassDirective: "ANNOTATE",
    InputContextSHA: inputContextSha({}),
    InputFiles: [],
    OutputFiles: [],
    StatusBefore: "TBD",
    StatusAfter: "TBD",
    InputHashes: {},
    OutputHashes: {},
    ...overrides,
  });
}

/** A valid record; `overrides` replace fields. */
export function sampleRecord(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    SchemaVersion: "v1.0",
    RunID: "RUN-DEL-01-02-20260222-1015-001",
    DeliverableID: "DEL-01-02",
    AgentName: "4_DOCUMENTS",
    AgentType: "TYPE_2",
    RunTimestamp: "2026-02-22T10:15:00.000Z",
    RunDuration: "PT2M34.5S",
    RunStatus: "SUCCESS",
    RunPassDirective: "FULL",
    InputContextSHA: HASHES_CONTEXT_SHA,
    InputFiles: ["_CONTEXT.md"],
    OutputFiles: ["Datasheet.md"],
    StatusBefore: "OPEN",
    StatusAfter: "INITIALIZED",
    ErrorSummary: "",
    Notes: "",
    InputHashes: { ...HASHES },
    OutputHashes: { "Datasheet.md": "b".repeat(64) },
    GitHead: "",
    Host: "test-host",
    RecordChecksum: "0".repeat(64),
    ...overrides,
  };
}

/** The longest {@linkcode minutelyHistory} made in this process: a shorter one is its start. */
const minutely: string[] = [HEADER];

/** A record file's lines (header first) holding `count` runs of DEL-01-02, one a minute from 2020 on. */
export function minutelyHistory(count: number): string[] {
  // Each line made once a process: a scale test asks for 20,000 or 200,000 runs in test after
  // test. One record is encoded and each line is it with its RunID, RunTimestamp and Notes put
  // in (none needs escaping) and its checksum made by node:crypto: encoding every record, its
  // checksum in the codec's TypeScript SHA-256, took most of a scale test's set-up.
  const start = Date.parse("2020-01-01T00:00:00Z");
  if (minutely.length - 1 >= count) return minutely.slice(0, count + 1);
  const cells = splitCells(encodeRecord(sampleRecord())).slice(0, -1);
  const [id, at, notes] = (["RunID", "RunTimestamp", "Notes"] as const).map((c) =>
    COLUMNS.indexOf(c)
  );
  for (let i = minutely.length - 1; i < count; i++) {
    const timestamp = new Date(start + i * 60_000).toISOString();
    cells[id] = `${runIdPrefix("DEL-01-02", timestamp)}001`;
    cells[at] = timestamp;
    cells[notes] = `run ${i}`;
    const body = cells.join(",");
    minutely.push(`${body},${createHash("sha256").update(body).digest("hex")}`);
  }
  return minutely.slice(0, count + 1); // a copy: callers splice theirs
}

/** A valid draft for `appendRecord`, stamped now. */
export function sampleDraft(overrides: Partial<RecordDraft> = {}): RecordDraft {
  const { RunID: _id, RecordChecksum: _sum, ...rest } = sampleRecord();
  return { ...rest, RunTimestamp: new Date().toISOString(), ...overrides };
}

/** Writes `files` (path → text) under `dir`, creating folders. */
export async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    const full = join(dir, path);
    await Deno.mkdir(join(full, ".."), { recursive: true });
    await Deno.writeTextFile(full, text);
  }
}

/** Folders made by {@linkcode tempDir}, removed when the test process ends. */
const tempDirs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const dir of tempDirs) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* already removed by its test */ }
  }
});

/**
 * A new temporary folder that is removed when the test process ends, whether
 * or not its test passed (tests that remove theirs earlier may).
 */
export async function tempDir(options?: Deno.MakeTempOptions): Promise<string> {
  const dir = await Deno.makeTempDir(options);
  tempDirs.push(dir);
  return dir;
}

/** A small execution root with one deliverable; returns the root and the deliverable folder. */
export async function makeProject(): Promise<{ root: string; del: string }> {
  const root = await tempDir({ prefix: "runrec-test-" });
  const del = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  await writeTree(root, {
    "INIT.md": "# Init\n",
    "_Decomposition/D.md": "# Decomposition\n",
    "PKG-01_Pkg/0_References/ref.txt": "reference\n",
    "PKG-01_Pkg/1_Working/DEL-01-02_Thing/_CONTEXT.md": "**DeliverableID:** DEL-01-02\n",
    "PKG-01_Pkg/1_Working/DEL-01-02_Thing/_STATUS.md":
      "# Status: DEL-01-02 Thing\n\n**Current State:** OPEN\n**Last Updated:** 2026-02-22\n",
    "PKG-01_Pkg/1_Working/DEL-01-02_Thing/_REFERENCES.md":
      "# References\n\n## Applicable References\n- [D](../../../_Decomposition/D.md)\n",
    "PKG-01_Pkg/1_Working/DEL-01-02_Thing/_DEPENDENCIES.md": "# Dependencies\n\n## Run History\n",
    "PKG-01_Pkg/1_Working/DEL-01-02_Thing/Dependencies.csv": "RegisterSchemaVersion,ID\nv3.1,1\n",
    "PKG-01_Pkg/1_Working/DEL-01-02_Thing/Datasheet.md": "# Datasheet\n",
  });
  return { root, del };
}

/**
 * Runs git in `cwd` as {@linkcode git} does, and gives its whole output, failed or not: for a
 * test of what git's hooks print (on git's standard error) and its exit code.
 *
 * @example
 * ```ts
 * import { gitOutput } from "./fixtures.ts";
 * const { code, stderr } = await gitOutput(".", "commit", "-q", "--allow-empty", "-m", "x");
 * ```
 */
export function gitOutput(cwd: string, ...args: string[]): Promise<Deno.CommandOutput> {
  return new Deno.Command("git", {
    args: [
      ...["-c", "user.name=runrec test", "-c", "user.email=test@runrec.invalid"],
      ...["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"],
      ...["-c", "protocol.file.allow=always"],
      ...args,
    ],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
}

/**
 * Runs git in `cwd` with a fixed identity and no signing (file:// remotes
 * allowed, for submodules); throws with git's stderr when git fails.
 */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const output = await gitOutput(cwd, ...args);
  const decoder = new TextDecoder();
  if (output.code !== 0) {
    throw new Error(`git ${args.join(" ")}: ${decoder.decode(output.stderr)}`);
  }
  return decoder.decode(output.stdout).trim();
}
