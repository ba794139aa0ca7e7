/**
 * The read commands `validate`, `log` and `show`, in process through `main`
 * and as a real subprocess (exit codes, one-line errors, no stack traces).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/cli_read_test.ts
 * ```
 *
 * @module
 */
import { CLI_ENTRY } from "./support/cli_entry.ts";
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { ANNOTATION_AGENT } from "../src/annotation_shape.ts";
import { appendAnnotation } from "../src/annotations.ts";
import { encodeRecord } from "../src/codec.ts";
import { AlignedTable, escapeMarkdownCell } from "../src/cli/format.ts";
import type { Io } from "../src/cli/command.ts";
import { parseInstant } from "../src/time.ts";
import { main } from "../src/cli/main.ts";
import { PROBLEMS_SHOWN } from "../src/cli/validate.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { inputContextSha } from "../src/manifest.ts";
import { HEADER, type RunRecord } from "../src/schema.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import type { RecordDraft } from "../src/append_types.ts";
import { resolveTargets } from "../src/targets.ts";
import { tempDir } from "./fixtures.ts";
import { runAsNobody } from "./support/nobody.ts";

const DENO = Deno.execPath();
const ENTRY = CLI_ENTRY;

interface Captured {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in process with a capturing Io. */
async function cli(args: string[], color = false): Promise<Captured> {
  let out = "";
  let err = "";
  const io: Io = {
    out: (t) => (out += t),
    err: (t) => (err += t),
    isTerminal: color,
    color,
  };
  const code = await main(args, io);
  return { code, out, err };
}

/** Runs the CLI as a subprocess with the flags of `dist/runrec`. */
async function cliProcess(args: string[]): Promise<Captured> {
  const output = await new Deno.Command(DENO, {
    args: ["run", ...FULL_FLAGS, ENTRY, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    out: decoder.decode(output.stdout),
    err: decoder.decode(output.stderr),
  };
}

interface DraftOptions {
  agent?: string;
  status?: string;
  timestamp?: string;
  outputs?: Record<string, string>;
  notes?: string;
  error?: string;
}

function draft(options: DraftOptions = {}): RecordDraft {
  const hashes = { "Input.md": "a".repeat(64), "../../_REFERENCES.md": "TBD" };
  const outputs = options.outputs ?? {};
  return {
    SchemaVersion: "v1.0",
    DeliverableID: "DEL-01-02",
    AgentName: options.agent ?? "4_DOCUMENTS",
    AgentType: "TYPE_2",
    RunTimestamp: options.timestamp ?? new Date().toISOString(),
    RunDuration: "PT1S",
    RunStatus: options.status ?? "SUCCESS",
    RunPassDirective: "FULL",
    InputContextSHA: inputContextSha(hashes),
    InputFiles: ["Input.md"],
    OutputFiles: Object.keys(outputs),
    StatusBefore: "OPEN",
    // A SKIPPED run leaves the state as it was (validate warns otherwise).
    StatusAfter: options.status === "SKIPPED" ? "OPEN" : "INITIALIZED",
    ErrorSummary: options.error ?? "",
    Notes: options.notes ?? "",
    InputHashes: hashes,
    OutputHashes: outputs,
    GitHead: "",
    Host: "ci-1",
  };
}

interface Fixture {
  root: string;
  dir: string;
  file: string;
  records: RunRecord[];
}

/** An execution root with one deliverable holding four varied records. */
async function fixture(): Promise<Fixture> {
  const root = await tempDir({ prefix: "runrec-cli-" });
  const dir = join(root, "PKG-01_Alpha", "1_Working", "DEL-01-02_Spec");
  await Deno.mkdir(dir, { recursive: true });
  const file = join(dir, RECORD_FILE);
  const drafts = [
    draft({ agent: "PREPARATION", timestamp: "2026-01-05T09:00:00Z" }),
    draft({
      agent: "4_DOCUMENTS",
      status: "FAILED",
      timestamp: "2026-02-10T10:15:00.250Z",
      error: "tool crashed | exit 3\nsee log",
      notes: "pipe | and `ticks` ```",
    }),
    draft({
      agent: "4_DOCUMENTS",
      timestamp: "2026-02-22T10:15:00Z",
      outputs: { "Datasheet.md": "b".repeat(64), 'Old, "quoted".md': "DELETED" },
    }),
    draft({ agent: "CHECKING", status: "SKIPPED", timestamp: "2026-03-01T00:00:00Z" }),
  ];
  const records: RunRecord[] = [];
  for (const d of drafts) records.push((await appendRecord(file, d, { fsync: false })).record);
  return { root, dir, file, records };
}

/** A record as `log` and `show` print it in JSON: its columns, then what annotations say of it. */
/** `record` as log and show give it in JSON, read from `line` of `file`. */
function asJson(record: RunRecord, file: string, line: number): Record<string, unknown> {
  return {
    ...record,
    invalidatedBy: [],
    supersededBy: [],
    annotations: [],
    recordFile: relative(Deno.cwd(), file),
    line,
  };
}

function recordLines(text: string): string[] {
  return text.split("\n").slice(1).filter((l) => l !== "");
}

// ---------------------------------------------------------------- targets

/** The whole table `AlignedTable` writes of `rows`. */
function renderTable(header: string[], rows: string[][]): string {
  const table = new AlignedTable(header);
  for (const row of rows) table.measure(row);
  return table.head() + rows.map((row) => table.line(row)).join("");
}

Deno.test("targets: file, deliverable folder, root, deliverable without records, missing", async () => {
  const { root, dir, file } = await fixture();
  const empty = join(root, "PKG-01_Alpha", "1_Working", "DEL-01-03_Empty");
  await Deno.mkdir(empty);
  await Deno.mkdir(join(root, "node_modules", "x"), { recursive: true });
  await Deno.writeTextFile(join(root, "node_modules", "x", RECORD_FILE), "junk\n");
  assert.deepEqual(await resolveTargets([file]), [{ path: file, target: file, exists: true }]);
  assert.deepEqual(await resolveTargets([dir]), [{ path: file, target: dir, exists: true }]);
  assert.deepEqual(await resolveTargets([empty]), [{
    path: join(empty, RECORD_FILE),
    target: empty,
    exists: false,
  }]);
  assert.deepEqual((await resolveTargets([root, file])).map((t) => t.path), [file]);
  await assert.rejects(() => resolveTargets([join(root, "nope")]), /no such file or folder/);
});

// ---------------------------------------------------------------- validate

Deno.test("validate: a clean deliverable exits 0 with a summary line", async () => {
  const { dir, file } = await fixture();
  const { code, out, err } = await cli(["validate", dir]);
  assert.equal(code, 0, err);
  assert.equal(out, `${file}: ok: 4 records, 0 errors, 0 warnings\n`);
});

Deno.test("validate: a corrupt line exits 1 naming file, line and field; warnings labelled", async () => {
  const { root, file } = await fixture();
  const text = await Deno.readTextFile(file);
  const broken = text.replace("PREPARATION", "PREPARATIOM") + "v1.0,RUN-DEL-01-02-2026";
  await Deno.writeTextFile(file, broken);
  const { code, out } = await cli(["validate", root]);
  assert.equal(code, 1);
  const lines = out.trimEnd().split("\n");
  assert.equal(lines[0], `${file}:2: RecordChecksum does not match the line`);
  assert.match(lines[1], new RegExp(`^${escapeRe(file)}:6: warning: torn record`));
  assert.equal(lines[2], `${file}: FAILED: 3 records, 1 error, 1 warning`);
  assert.equal(await Deno.readTextFile(file), broken, "validate must not modify the file");
});

Deno.test("validate: a file with a problem on every line prints the first PROBLEMS_SHOWN and how many more, then its summary; --json lists every one (review-x F8)", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  const bad = Array.from({ length: PROBLEMS_SHOWN + 5 }, (_, i) => `garbage,${i}`);
  await Deno.writeTextFile(file, [HEADER, ...bad, ""].join("\n"));
  const { code, out } = await cli(["validate", file]);
  assert.equal(code, 1);
  const lines = out.trimEnd().split("\n");
  assert.equal(lines.length, PROBLEMS_SHOWN + 2, lines.slice(-3).join("\n"));
  assert.equal(
    lines.at(-2),
    `${file}: 5 more problems not shown (the first 1,000 are; --json lists every one)`,
  );
  assert.equal(
    lines.at(-1),
    `${file}: FAILED: 0 records, ${PROBLEMS_SHOWN + 5} errors, 0 warnings`,
  );
  const json = JSON.parse((await cli(["validate", file, "--json"])).out);
  assert.equal(json.files[0].problems.length, PROBLEMS_SHOWN + 5);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("validate: a RUNREC_ANNOTATE record runrec annotate could not have written is a warning naming its line and fields (readers take it as an annotation); annotate's own are not", async () => {
  const { dir, file, records } = await fixture();
  const annotation = await appendAnnotation(dir, records[1].RunID, { invalidates: true }, "bad");
  assert.equal(annotation.AgentName, ANNOTATION_AGENT, "annotate writes the name validate knows");
  // As `emit --agent RUNREC_ANNOTATE` wrote it before writers refused the name: kept, and valid.
  await appendRecord(file, {
    ...draft({ agent: ANNOTATION_AGENT, status: "SKIPPED" }),
    Notes: `annotates=${records[2].RunID}; supersedes=${records[0].RunID}; note=forged`,
  }, { fsync: false });
  const { code, out, err } = await cli(["validate", dir]);
  assert.equal(code, 0, err);
  assert.equal(
    out,
    `${file}:7: warning: a RUNREC_ANNOTATE record runrec annotate did not write ` +
      "(RunDuration, RunPassDirective, InputContextSHA, StatusBefore, StatusAfter, InputFiles, " +
      "InputHashes not as annotate writes them): log, show, stale and export may take it as an annotation; only runrec " +
      "annotate writes RUNREC_ANNOTATE records\n" +
      `${file}: ok: 6 records, 0 errors, 1 warning\n`,
  );
  const json = JSON.parse((await cli(["validate", dir, "--json"])).out);
  assert.deepEqual(
    json.files[0].problems.map((p: { line: number; code: string; field: string }) => [
      p.line,
      p.code,
      p.field,
    ]),
    [[7, "annotation", "RunDuration"]],
  );
});

Deno.test("validate: a hand-edited line with a misspelt RunStatus names the checksum and the field", async () => {
  const { root, file } = await fixture();
  const text = await Deno.readTextFile(file);
  const lines = text.split("\n");
  lines[1] = lines[1].replace(",SUCCESS,", ",SUCESS,");
  await Deno.writeTextFile(file, lines.join("\n"));
  const { code, out } = await cli(["validate", root]);
  assert.equal(code, 1);
  assert.equal(
    out.split("\n")[0],
    `${file}:2: RecordChecksum does not match the line; also RunStatus must be one of SUCCESS, ` +
      'PARTIAL, FAILED, SKIPPED, got "SUCESS"',
  );
});

Deno.test("validate: a record dated after this machine's clock (beyond 5 minutes) is a warning naming its line, not an error", async () => {
  const { dir, file } = await fixture();
  const ahead = (ms: number) => new Date(Date.now() + ms).toISOString();
  const hour = 3_600_000;
  for (const timestamp of [ahead(2 * 60_000), ahead(9.5 * hour), ahead(73 * hour)]) {
    await appendRecord(file, draft({ timestamp }), { fsync: false });
  }
  const before = await Deno.readTextFile(file);
  const { code, out } = await cli(["validate", dir]);
  assert.equal(code, 0, out);
  const lines = out.trimEnd().split("\n");
  assert.match(
    lines[0],
    new RegExp(
      `^${escapeRe(file)}:7: warning: RunTimestamp \\S+ is 10 h after this machine's clock: `,
    ),
  );
  assert.match(
    lines[1],
    new RegExp(`^${escapeRe(file)}:8: warning: RunTimestamp \\S+ is 3 days after`),
  );
  assert.equal(lines[2], `${file}: ok: 7 records, 0 errors, 2 warnings`);
  assert.equal(await Deno.readTextFile(file), before, "validate must not modify the file");
});

Deno.test("validate: --json is one document with per-file problems and totals", async () => {
  const { dir, file } = await fixture();
  const empty = join(dir, "..", "DEL-01-03_Empty");
  await Deno.mkdir(empty);
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, text.replace(HEADER, "nope"));
  const { code, out } = await cli(["validate", dir, empty, "--json"]);
  assert.equal(code, 1);
  const doc = JSON.parse(out);
  assert.equal(doc.ok, false);
  assert.equal(doc.errors, 1);
  assert.equal(doc.records, 4);
  assert.equal(doc.files.length, 2);
  assert.deepEqual(doc.files[0].problems, [{
    line: 1,
    severity: "error",
    code: "header",
    field: "",
    message: 'header is not the v1.0 header: "nope"',
  }]);
  assert.equal(doc.files[1].exists, false);
  assert.equal(doc.files[1].records, 0);
});

Deno.test("validate: a deliverable folder without RunRecords.csv has no records yet, exit 0", async () => {
  const root = await tempDir();
  const dir = join(root, "DEL-07-01_New");
  await Deno.mkdir(dir);
  const { code, out } = await cli(["validate", dir]);
  assert.equal(code, 0);
  assert.match(out, /no records yet/);
});

Deno.test("validate: a missing target or no target exits 2 with one line", async () => {
  const missing = await cli(["validate", "/nonexistent/DEL-01-02_X"]);
  assert.equal(missing.code, 2);
  assert.equal(missing.err, "runrec validate: /nonexistent/DEL-01-02_X: no such file or folder\n");
  const none = await cli(["validate"]);
  assert.equal(none.code, 2);
  assert.match(
    none.err,
    /^runrec validate: missing <file\|del-dir\|root> \(see runrec validate --help\)\n$/,
  );
});

// ---------------------------------------------------------------- log

Deno.test("log: the default table has one aligned row per record", async () => {
  const { dir, records } = await fixture();
  const { code, out, err } = await cli(["log", dir]);
  assert.equal(code, 0, err);
  const lines = out.trimEnd().split("\n");
  assert.equal(lines.length, 5);
  assert.match(
    lines[0],
    /^RunID +RunTimestamp +Agent +Status +Pass +Before→After +Duration +Outputs +Error$/,
  );
  assert.ok(lines[3].startsWith(records[2].RunID));
  assert.match(lines[3], /SUCCESS +FULL +OPEN→INITIALIZED +PT1S +2$/);
  assert.match(lines[2], /FAILED +FULL +OPEN→INITIALIZED +PT1S +0 {2}tool crashed \| exit 3…$/);
  // Every column starts at the same offset on every line.
  const statusAt = lines[0].indexOf("Status");
  for (const line of lines.slice(1)) {
    assert.match(line.slice(statusAt), /^(SUCCESS|FAILED|SKIPPED) /);
  }
  assert.ok(!out.includes("\x1b["), "no colour when io.color is false");
});

Deno.test("log: colour only when io.color, and status is what is coloured", async () => {
  const { dir } = await fixture();
  const { out } = await cli(["log", dir], true);
  assert.ok(out.includes("\x1b[31mFAILED\x1b[39m"));
  assert.ok(out.includes("\x1b[32mSUCCESS\x1b[39m"));
});

Deno.test("log: --agent, --status, --since and --until filter; lists, case and durations are accepted (agent-trial F7)", async () => {
  const { dir, records } = await fixture();
  const ids = async (...args: string[]) => {
    const { code, out } = await cli(["log", dir, "--format", "jsonl", ...args]);
    assert.equal(code, 0);
    return out.trimEnd().split("\n").filter((l) => l).map((l) => JSON.parse(l).RunID);
  };
  const [a, b, c, d] = records.map((r) => r.RunID);
  assert.deepEqual(await ids("--agent", "4_DOCUMENTS"), [b, c]);
  assert.deepEqual(await ids("--status", "failed,skipped"), [b, d]);
  assert.deepEqual(await ids("--since", "2026-02-10T10:15:00.250Z"), [b, c, d]);
  assert.deepEqual(await ids("--since", "2026-02-10T11:15:00+01:00"), [b, c, d]);
  assert.deepEqual(await ids("--since", "2026-02-11"), [c, d]);
  // --until (before it), and a duration before now, as reap's --older-than (agent-trial F7).
  assert.deepEqual(await ids("--since", "2026-02-10", "--until", "2026-02-23"), [b, c]);
  assert.deepEqual(await ids("--until", "2026-02-10T10:15:00.250Z"), [a]);
  const ago = Math.ceil((Date.now() - Date.parse("2026-02-22T00:00:00Z")) / 86_400_000);
  assert.deepEqual(await ids("--since", `${ago}d`), [c, d]);
  assert.deepEqual(await ids("--until", "0s"), [a, b, c, d]);
  assert.deepEqual(await ids("--agent", "4_DOCUMENTS", "--status", "SUCCESS"), [c]);
  assert.deepEqual(await ids("--agent", "NOBODY"), []);
  assert.equal(a, records[0].RunID);
});

Deno.test("log: a bad --since, --status or --format exits 2 naming the option", async () => {
  const { dir } = await fixture();
  for (
    const [args, option] of [
      [["--since", "yesterday"], "--since"],
      [["--since", "2026-02-30"], "--since"],
      [["--status", "DONE"], "--status"],
      [["--format", "xml"], "--format"],
    ] as const
  ) {
    const { code, out, err } = await cli(["log", dir, ...args]);
    assert.equal(code, 2, args.join(" "));
    assert.equal(out, "");
    assert.ok(err.startsWith(`runrec log: ${option}`), err);
    assert.equal(err.split("\n").length, 2, "one line");
  }
});

Deno.test("log: --format csv reproduces the header and record lines byte for byte", async () => {
  const { file } = await fixture();
  const { code, out } = await cli(["log", file, "--format", "csv"]);
  assert.equal(code, 0);
  assert.equal(out, await Deno.readTextFile(file));
});

Deno.test("log: --format csv skips unreadable lines (warned on stderr, not stdout)", async () => {
  const { file } = await fixture();
  const original = await Deno.readTextFile(file);
  const lines = original.split("\n");
  lines[2] = lines[2].replace("4_DOCUMENTS", "4_DOCUMENTZ");
  await Deno.writeTextFile(file, lines.join("\n"));
  const { code, out, err } = await cli(["log", file, "--format", "csv", "--status", "SUCCESS"]);
  assert.equal(code, 0);
  const kept = recordLines(original).filter((l) => l.includes(",SUCCESS,"));
  assert.equal(out, [HEADER, ...kept].join("\n") + "\n");
  assert.equal(err, `runrec log: warning: ${file}:3: RecordChecksum does not match the line\n`);
});

Deno.test("log: encodeRecord reproduces every line of the file exactly", async () => {
  const { file, records } = await fixture();
  assert.deepEqual(recordLines(await Deno.readTextFile(file)), records.map(encodeRecord));
});

Deno.test("log: --format json is one array of record objects; jsonl one per line", async () => {
  const { dir, file, records } = await fixture();
  const wanted = records.map((r, i) => asJson(r, file, i + 2));
  const json = await cli(["log", dir, "--format", "json"]);
  assert.equal(json.code, 0);
  assert.deepEqual(JSON.parse(json.out), wanted);
  const alias = await cli(["log", dir, "--json"]);
  assert.deepEqual(JSON.parse(alias.out), wanted);
  const jsonl = await cli(["log", dir, "--format", "jsonl"]);
  assert.deepEqual(
    jsonl.out.trimEnd().split("\n").map((l) => JSON.parse(l)),
    wanted,
  );
  const none = await cli(["log", dir, "--format", "json", "--agent", "NOBODY"]);
  assert.deepEqual(JSON.parse(none.out), []);
  const third = JSON.parse(json.out)[2];
  assert.deepEqual(third.OutputFiles, ["Datasheet.md", 'Old, "quoted".md']);
  assert.equal(third.OutputHashes['Old, "quoted".md'], "DELETED");
});

Deno.test("log: --format md is a Markdown table with escaped cells", async () => {
  const { dir, records } = await fixture();
  const { code, out } = await cli(["log", dir, "--format", "md"]);
  assert.equal(code, 0);
  const lines = out.trimEnd().split("\n");
  assert.equal(
    lines[0],
    "| RunID | Timestamp | Agent | Status | Pass | Before→After | Duration | Error |",
  );
  assert.equal(lines[1], "|---|---|---|---|---|---|---|---|");
  assert.equal(lines.length, 2 + records.length);
  assert.equal(
    lines[3],
    `| ${
      records[1].RunID
    } | 2026-02-10T10:15:00.250Z | 4_DOCUMENTS | FAILED | FULL | OPEN→INITIALIZED | PT1S | tool crashed \\| exit 3… |`,
  );
});

// ---------------------------------------------------------------- show

Deno.test("show: --format json prints the record object exactly", async () => {
  const { dir, file, records } = await fixture();
  const { code, out } = await cli(["show", dir, records[2].RunID, "--format", "json"]);
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(out), asJson(records[2], file, 4));
  assert.deepEqual(Object.keys(JSON.parse(out)), Object.keys(asJson(records[2], file, 4)));
});

Deno.test("show: md is a readable document with fields, hashes, error and notes", async () => {
  const { dir, records, file } = await fixture();
  const failed = await cli(["show", dir, records[1].RunID]);
  assert.equal(failed.code, 0);
  const md = failed.out;
  assert.ok(md.startsWith(`# Run ${records[1].RunID}\n\nFrom \`${file}\`, line 3.\n`));
  assert.match(md, /\| RunStatus \| FAILED \|/);
  assert.match(md, /## Inputs \(2 files\)/);
  assert.match(md, new RegExp(`\\| Input.md \\| ${"a".repeat(64)} \\| input \\|`));
  assert.match(md, /\| \.\.\/\.\.\/_REFERENCES\.md \| TBD \| governed reference \|/);
  assert.match(md, /## Outputs \(0 files\)\n\n_none_/);
  // Free text sits in a fence longer than any backtick run in it.
  assert.ok(md.includes("## Notes\n\n````text\npipe | and `ticks` ```\n````\n"));
  assert.ok(md.includes("## Error summary\n\n```text\ntool crashed | exit 3\nsee log\n```\n"));
  const outputs = await cli(["show", dir, records[2].RunID, "--format", "md"]);
  assert.match(outputs.out, /\| Datasheet\.md \| b{64} \|/);
  assert.match(outputs.out, /\| Old, "quoted"\.md \| DELETED \|/);
});

Deno.test("show: unknown RunID exits 1; malformed RunID exits 2", async () => {
  const { dir, file } = await fixture();
  const unknown = await cli(["show", dir, "RUN-DEL-01-02-20200101-0000-001"]);
  assert.equal(unknown.code, 1);
  assert.equal(
    unknown.err,
    `runrec show: RUN-DEL-01-02-20200101-0000-001 not found in ${file}\n`,
  );
  const malformed = await cli(["show", dir, "RUN-1"]);
  assert.equal(malformed.code, 2);
  assert.match(malformed.err, /is not a RunID/);
});

Deno.test("show in a deliverable folder with no RunRecords.csv yet: exit 1 saying there is none, never 'not found in' a file that is not there (trial-37 F6)", async () => {
  const dir = join(await tempDir(), "DEL-01-05_Empty");
  await Deno.mkdir(dir);
  const shown = await cli(["show", dir, "RUN-DEL-01-05-20200101-0000-001"]);
  assert.equal(shown.code, 1);
  assert.equal(
    shown.err,
    `runrec show: RUN-DEL-01-05-20200101-0000-001 not found in ${dir}: no RunRecords.csv here ` +
      "(no run of it is recorded yet)\n",
  );
});

Deno.test("show: a RunID two merged branches share shows both records and warns; --line N picks one; a repeated line is one record", async () => {
  const { file, records } = await fixture();
  const lines = recordLines(await Deno.readTextFile(file));
  const other = { ...records[0], Notes: "another run, given the same RunID" };
  const otherLine = encodeRecord(other);
  await Deno.writeTextFile(file, `${HEADER}\n${lines.join("\n")}\n${lines[0]}\n${otherLine}\n`);
  const other_ = { ...other, RecordChecksum: otherLine.slice(-64) };
  const warning =
    `runrec show: warning: ${records[0].RunID} appears 2 times (${file}:2, ${file}:7): ` +
    "two runs collide (see runrec verify); showing each, --line N shows one\n";
  const json = await cli(["show", file, records[0].RunID, "--json"]);
  assert.equal(json.code, 0);
  assert.deepEqual(JSON.parse(json.out), [asJson(records[0], file, 2), asJson(other_, file, 7)]);
  assert.equal(json.err, warning);
  const md = await cli(["show", file, records[0].RunID]);
  assert.equal(md.code, 0);
  assert.equal(md.out.match(/^# Run /gm)?.length, 2, md.out);
  assert.ok(md.out.includes(`line 2.\n`) && md.out.includes(`line 7.\n`));
  assert.ok(md.out.includes("another run, given the same RunID"));
  assert.equal(md.err, warning);
  const picked = await cli(["show", file, records[0].RunID, "--line", "7", "--json"]);
  assert.equal(picked.code, 0);
  assert.equal(picked.err, "");
  assert.deepEqual(JSON.parse(picked.out), asJson(other_, file, 7));
  // Line 6 repeats line 2 byte for byte: the same record, shown by its line (help-texts F2).
  const repeat = await cli(["show", file, records[0].RunID, "--line", "6", "--json"]);
  assert.equal(repeat.code, 0, repeat.err);
  assert.deepEqual(JSON.parse(repeat.out), asJson(records[0], file, 6));
  const wrongLine = await cli(["show", file, records[0].RunID, "--line", "3"]);
  assert.equal(wrongLine.code, 1);
  // Where it is, so the next try needs no search (newuser-60 F4).
  assert.equal(
    wrongLine.err,
    `runrec show: ${records[0].RunID} not found on line 3 in ${file}; it is on lines 2, 6, 7\n`,
  );
  const badLine = await cli(["show", file, records[0].RunID, "--line", "x"]);
  assert.equal(badLine.code, 2);
  assert.match(badLine.err, /^runrec show: --line: expected a line number[^\n]*"x"[^\n]*\n$/);
});

Deno.test("show: --line is said as typed (99999999999999999999 was said as 100000000000000000000); only digits are a line number", async () => {
  const { file, records } = await fixture();
  const huge = await cli(["show", file, records[0].RunID, "--line", "99999999999999999999"]);
  assert.equal(huge.code, 1);
  assert.equal(
    huge.err,
    `runrec show: ${records[0].RunID} not found on line 99999999999999999999 in ${file}; it is ` +
      "on line 2\n",
  );
  for (const line of ["1e0", "0x1", " 2", "0"]) {
    const bad = await cli(["show", file, records[0].RunID, "--line", line]);
    assert.equal(bad.code, 2, line);
    assert.match(bad.err, /^runrec show: --line: expected a line number[^\n]*\n$/);
  }
  const padded = await cli(["show", file, records[0].RunID, "--line", "02", "--json"]);
  assert.equal(padded.code, 0, padded.err);
});

// ---------------------------------------------------------------- help, format

Deno.test("--help on validate, verify, log and show exits 0 with usage, options, example", async () => {
  for (const name of ["validate", "verify", "log", "show"]) {
    const { code, out } = await cli([name, "--help"]);
    assert.equal(code, 0, name);
    assert.match(out, new RegExp(`Usage: runrec ${name} `));
    assert.match(out, /Options:/);
    assert.match(out, /Example:\n {2}runrec /);
    assert.match(out, /Exit codes:/);
  }
});

Deno.test("log and show --help: every line fits 80 columns; every other command's fits 100; examples keep their line breaks", async () => {
  const { out: usage } = await cli(["--help"]);
  const names = [...usage.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]);
  assert.ok(names.includes("stale") && names.includes("annotate"), usage);
  for (const name of names) {
    const { out } = await cli([name, "--help"]);
    const limit = name === "log" || name === "show" ? 80 : 100;
    const wide = out.split("\n").filter((line) => [...line].length > limit);
    assert.deepEqual(wide, [], name);
    // An example's shell continuation written `\` in the source joins its lines: `\\` keeps it.
    assert.doesNotMatch(out, /\S {3,}--[a-z]/, name);
  }
});

Deno.test("format: table widths count code points and ignore colour; Markdown cells escaped", () => {
  const table = renderTable(["A", "B"], [["→→", "x"], ["\x1b[31mred\x1b[39m", "y"]]);
  assert.equal(table, "A    B\n→→   x\n\x1b[31mred\x1b[39m  y\n");
  assert.equal(escapeMarkdownCell("a|b\\c\r\nd<e&"), "a\\|b\\\\c<br>d&lt;e&amp;");
  assert.equal(
    parseInstant("2026-02-22T10:15:00.123456789Z"),
    Date.UTC(2026, 1, 22, 10, 15, 0, 123),
  );
  assert.equal(parseInstant("2026-02-22T24:00:00Z"), undefined);
});

Deno.test("format: a table of 200,000 rows (log of a large history) is aligned, not a stack overflow", () => {
  const rows = Array.from({ length: 200_000 }, (_, i) => [`RUN-${i}`, "SUCCESS"]);
  const lines = renderTable(["RunID", "Status"], rows).split("\n");
  assert.equal(lines.length, 200_002);
  assert.equal(lines[1], "RUN-0       SUCCESS");
  assert.equal(lines[200_000], "RUN-199999  SUCCESS");
});

// ---------------------------------------------------------------- subprocess

Deno.test("subprocess: validate exit codes 0, 1, 2 and one-line stderr without stack trace", async () => {
  const { dir, file } = await fixture();
  const ok = await cliProcess(["validate", dir]);
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.err, "");
  const bytes = await Deno.readFile(file);
  bytes[bytes.length - 10] ^= 1; // last record's checksum
  await Deno.writeFile(file, bytes);
  const bad = await cliProcess(["validate", dir]);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /:5: RecordChecksum does not match the line\n/);
  const missing = await cliProcess(["validate", join(dir, "nope.csv")]);
  assert.equal(missing.code, 2);
  assert.equal(missing.out, "");
  assert.equal(missing.err.split("\n").length, 2, missing.err);
  assert.doesNotMatch(missing.err, /\bat .*:\d+:\d+|Error:|Uncaught/);
});

Deno.test("subprocess: log --format csv and show --json through the real binary", async () => {
  const { dir, file, records } = await fixture();
  const csv = await cliProcess(["log", dir, "--format", "csv"]);
  assert.equal(csv.code, 0, csv.err);
  assert.equal(csv.out, await Deno.readTextFile(file));
  const show = await cliProcess(["show", dir, records[3].RunID, "--json"]);
  assert.equal(show.code, 0, show.err);
  assert.deepEqual(JSON.parse(show.out), asJson(records[3], file, 5));
  const unknown = await cliProcess(["show", dir, "RUN-DEL-01-02-20200101-0000-009"]);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.err.split("\n").length, 2);
  const badSince = await cliProcess(["log", dir, "--since", "soon"]);
  assert.equal(badSince.code, 2);
  assert.match(badSince.err, /^runrec log: --since: [^\n]*\n$/);
});

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

Deno.test("read commands: a RunRecords.csv that is a folder or a FIFO is named, exit 2", async () => {
  const root = await tempDir();
  const folder = join(root, "DEL-01-02_X", RECORD_FILE);
  const fifo = join(root, "DEL-01-03_Y", RECORD_FILE);
  await Deno.mkdir(folder, { recursive: true });
  await Deno.mkdir(join(root, "DEL-01-03_Y"));
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.equal(made.code, 0);
  const cases = [
    ["validate", root],
    ["validate", join(root, "DEL-01-02_X")],
    ["validate", folder],
    ["verify", fifo], // opening it would wait for a writer for ever
    ["log", join(root, "DEL-01-03_Y")],
    ["show", join(root, "DEL-01-02_X"), "RUN-DEL-01-02-20260222-1015-001"],
  ];
  for (const args of cases) {
    const { code, err } = await cli(args);
    assert.equal(code, 2, args.join(" "));
    assert.match(
      err,
      /RunRecords\.csv: (cannot read: )?not a regular file \(a folder, FIFO or device\)$/m,
    );
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("validate: the total counts a record file it cannot read (a symbolic link, a folder) as an error, as its exit 2 says; --json keeps it apart as unreadable (trial-q F6)", async () => {
  const { root, file } = await fixture();
  const linked = join(root, "PKG-01_Alpha", "1_Working", "DEL-01-03_Linked");
  const folder = join(root, "PKG-01_Alpha", "1_Working", "DEL-01-04_Folder", RECORD_FILE);
  await Deno.mkdir(linked);
  await Deno.symlink(file, join(linked, RECORD_FILE));
  await Deno.mkdir(folder, { recursive: true });
  const { code, out, err } = await cli(["validate", root]);
  assert.equal(code, 2, err);
  assert.equal(err.split("\n").length, 3, err); // each named on a line of its own
  assert.equal(
    out.trimEnd().split("\n").at(-1),
    "total: 3 files, 4 records, 2 errors (2 files unreadable), 0 warnings",
  );
  const json = JSON.parse((await cli(["validate", root, "--json"])).out);
  assert.deepEqual([json.errors, json.unreadable, json.ok], [0, 2, false]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("subprocess: log into a pipe closed early (| head) ends quietly with exit 0; validate keeps its exit 1", async () => {
  const { root, dir, file } = await fixture();
  // Enough records to fill the pipe's buffer, so that a write meets the closed pipe.
  for (let i = 0; i < 300; i++) {
    await appendRecord(
      file,
      draft({ timestamp: `2026-03-02T10:${String(i % 60).padStart(2, "0")}:00Z` }),
      {
        fsync: false,
      },
    );
  }
  for (const format of ["table", "csv", "json"]) {
    const command = [DENO, "run", ...FULL_FLAGS, ENTRY, "log", dir, "--format", format]
      .map((a) => `'${a}'`).join(" ");
    const { stdout } = await new Deno.Command("bash", {
      args: ["-c", `${command} 2>err.txt | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"`],
      cwd: root,
    }).output();
    assert.equal(new TextDecoder().decode(stdout).trim(), "0", format);
    assert.equal(await Deno.readTextFile(join(root, "err.txt")), "", format);
  }
  // A failed check keeps its exit code when its reader goes away: CI's pipefail must see it.
  const bad = join(root, "bad", RECORD_FILE);
  await Deno.mkdir(join(root, "bad"));
  await Deno.writeTextFile(bad, `${HEADER}\n${"not a record\n".repeat(3000)}`);
  const validate = [DENO, "run", ...FULL_FLAGS, ENTRY, "validate", bad].map((a) => `'${a}'`)
    .join(" ");
  const piped = await new Deno.Command("bash", {
    args: ["-c", `${validate} 2>&1 | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"`],
    cwd: root,
  }).output();
  assert.equal(new TextDecoder().decode(piped.stdout).trim(), "1");
});

Deno.test("subprocess: standard output on a full disk (>/dev/full) is one line naming standard output, exit 2, with and without --json (was a stack trace and exit 1 with --json)", async () => {
  const { root, dir, records } = await fixture();
  const runId = records[0].RunID;
  const commands = [
    ["validate", dir],
    ["verify", dir],
    ["log", dir],
    ["show", dir, runId],
    ["stale", root],
    ["hash", dir],
  ];
  const cases = [
    ...commands.flatMap((c) => [c, [...c, "--json"]]),
    ["export", dir, "--format", "prov"],
    ["log", dir, "--format", "json"],
    ["--help"],
    ["--version"],
  ];
  for (const args of cases) {
    const command = [DENO, "run", ...FULL_FLAGS, ENTRY, ...args].map((a) => `'${a}'`).join(" ");
    const output = await new Deno.Command("bash", {
      args: ["-c", `${command} >/dev/full`],
      cwd: root,
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    const said = args[0].startsWith("-") ? "runrec" : `runrec ${args[0]}`;
    assert.equal(output.code, 2, `${args.join(" ")}: ${stderr}`);
    assert.equal(
      stderr.split("\n").filter((l) => !l.includes("warning")).join("\n"),
      `${said}: cannot write to standard output: No space left on device\n`,
      args.join(" "),
    );
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("subprocess: standard error on a full disk (2>/dev/full) changes no reader's output nor exit code: its warnings are dropped (env-signals F2)", async () => {
  const { root, dir, records } = await fixture();
  // A run started and not finished: log, verify and stale warn of it on stderr.
  const started = await new Deno.Command(DENO, {
    args: ["run", ...FULL_FLAGS, ENTRY, "start", dir, "--agent", "B"],
    stdout: "null",
    stderr: "null",
  }).output();
  assert.equal(started.code, 0);
  const cases = [
    ["validate", dir],
    ["verify", dir],
    ["verify", dir, "--json"],
    ["log", dir],
    ["log", dir, "--json"],
    ["show", dir, records[0].RunID],
    ["stale", root],
    ["hash", dir],
    ["export", dir, "--format", "prov"],
  ];
  for (const args of cases) {
    const command = [DENO, "run", ...FULL_FLAGS, ENTRY, ...args].map((a) => `'${a}'`).join(" ");
    const run = async (stderr: string) => {
      const output = await new Deno.Command("bash", {
        args: ["-c", `${command} 2>${stderr}`],
        cwd: root,
        stdout: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      return { code: output.code, stdout: new TextDecoder().decode(output.stdout) };
    };
    const full = await run("/dev/full");
    const kept = await run("/dev/null");
    assert.deepEqual(full, kept, args.join(" "));
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("validate, verify and log fold a warning on every line (CR LF after a core.autocrlf checkout) into its first lines and a count; errors are never folded", async () => {
  const { file } = await fixture();
  const lines = (await Deno.readTextFile(file)).split("\n").filter((l) => l !== "");
  const broken = lines[1].replace(/.$/, (c) => (c === "0" ? "1" : "0")); // a checksum error
  await Deno.writeTextFile(file, [...lines, broken, broken].map((l) => `${l}\r\n`).join(""));
  const crlf = "line ends in CR LF; read without the CR";
  const more = `${file}: warning: ${lines.length + 2 - 3} more lines: ${crlf}`; // 3 shown
  for (const command of ["validate", "verify"]) {
    const { code, out } = await cli([command, file]);
    assert.equal(code, 1, command);
    const report = out.trimEnd().split("\n");
    assert.equal(report.filter((l) => l.includes(crlf)).length, 4, `${command}: ${out}`);
    assert.equal(report[0], `${file}:1: warning: ${crlf}`);
    assert.ok(report.includes(more), `${command}: ${out}`);
    // Both corrupt lines are named: errors are never folded.
    assert.equal(report.filter((l) => /:(\d+): RecordChecksum does not match/.test(l)).length, 2);
    assert.match(out, new RegExp(`${lines.length + 2} warnings`));
  }
  const log = await cli(["log", file]);
  assert.equal(log.err.split("\n").filter((l) => l.includes(crlf)).length, 4, log.err);
  assert.ok(log.err.includes(`runrec log: ${more}\n`), log.err);
});

Deno.test("log, show, export, validate and verify refuse a file that is not a record file (exit 2, one line; validate and verify printed a page of per-line errors, exit 1); a record file under another name is read, a damaged .csv checked line by line", async () => {
  const { dir, file } = await fixture();
  const notes = join(dir, "_CONTEXT.md");
  await Deno.writeTextFile(notes, "# Context\n\n**DeliverableID:** DEL-01-02\n");
  for (
    const args of [
      ["log", notes],
      ["show", notes, "RUN-DEL-01-02-20260222-1015-001"],
      ["export", notes, "--format", "prov"],
      ["validate", notes],
      ["verify", notes],
    ]
  ) {
    const { code, out, err } = await cli(args);
    assert.equal(code, 2, args.join(" "));
    assert.equal(out, "");
    assert.equal(
      err,
      `runrec ${args[0]}: ${notes}: not a run record file (its first line is not a runrec header ` +
        "line); give a RunRecords.csv or a deliverable folder\n",
    );
  }
  const copy = join(dir, "copy.csv");
  await Deno.copyFile(file, copy);
  const { code, out } = await cli(["log", copy, "--format", "csv"]);
  assert.equal(code, 0);
  assert.equal(out, await Deno.readTextFile(file));
  // A .csv whose header is damaged is what validate and verify diagnose, line by line, whatever
  // the case of its name and with git's .orig of a conflict after it (review-e F4).
  for (const name of ["damaged.csv", "Damaged.CSV", "RunRecords.csv.orig"]) {
    const damaged = join(dir, name);
    await Deno.writeTextFile(damaged, "SchemaVersio,RunID\n");
    for (const command of ["validate", "verify"]) {
      const checked = await cli([command, damaged]);
      assert.equal(checked.code, 1, `${command} ${name}`);
      assert.ok(checked.out.includes(`${name}:1: `), `${command} ${name}: ${checked.out}`);
    }
  }
});

Deno.test("validate and verify refuse another CSV (Dependencies.csv) as log does, exit 2; a RunRecords.csv with a damaged header, or a .csv copy without its header, is still checked, FAILED (trial-t F7, review-t F6, review-u F2, F3)", async () => {
  const { dir, file } = await fixture();
  const register = join(dir, "Dependencies.csv");
  await Deno.writeTextFile(
    register,
    "RegisterSchemaVersion,DependencyID,FromDeliverableID\nv3.1,DEP-01-02-001,DEL-01-02\n",
  );
  // Other tables whose headers are not plain names, a one-column list, a .csv.md (review-u F2).
  const others = {
    "instruments.csv": "Tag No.,Service,Range (bar)\nFT-101,Feed flow,0-10\n",
    "tags.csv": "Tag\nFT-101\n",
    "deps-de.csv": "RegisterSchemaVersion,DependencyID,Größe\n1,2,3\n",
    "report.csv.md": "# Report\ntext\n",
  };
  for (const [name, text] of Object.entries(others)) {
    await Deno.writeTextFile(join(dir, name), text);
  }
  for (const table of [register, ...Object.keys(others).map((name) => join(dir, name))]) {
    for (const command of ["validate", "verify", "log"]) {
      const { code, out, err } = await cliProcess([command, table]);
      assert.equal(code, 2, `${command} ${table}`);
      assert.equal(out, "");
      assert.equal(
        err,
        `runrec ${command}: ${table}: not a run record file (its first line is not a runrec ` +
          "header line); give a RunRecords.csv or a deliverable folder\n",
      );
    }
  }
  // The deliverable's own file, its header damaged, is a broken record file: FAILED, exit 1.
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, text.replace("SchemaVersion,", "SchemaVersio,"));
  const bom = join(dir, "bom.csv");
  await Deno.writeTextFile(bom, `\uFEFF${text}`);
  // A copy that lost its header line (`tail -n +2`) is checked too (review-t F6).
  const headless = join(dir, "records-backup.csv");
  await Deno.writeTextFile(headless, text.split("\n").slice(1).join("\n"));
  // Its first record is checked as one, not taken for a header (review-u F3).
  const tampered = join(dir, "tampered-backup.csv");
  const [first, ...rest] = text.split("\n").slice(1);
  await Deno.writeTextFile(tampered, [first.replace(",DEL-", ",DEX-"), ...rest].join("\n"));
  const caught = await cliProcess(["validate", tampered]);
  assert.equal(caught.code, 1);
  assert.ok(caught.out.includes("(a record: the header line is missing)"), caught.out);
  assert.ok(caught.out.includes(`${tampered}:1: RecordChecksum does not match`), caught.out);
  for (const damaged of [file, bom, headless]) {
    for (const command of ["validate", "verify"]) {
      const checked = await cliProcess([command, damaged]);
      assert.equal(checked.code, 1, `${command} ${damaged}`);
      assert.ok(checked.out.includes(`${damaged}:1: `), `${command}: ${checked.out}`);
    }
  }
});

Deno.test("log, validate, verify and export name a record file another user may not read once: path, cannot read, why", async () => {
  const { root, dir, file } = await fixture();
  await Deno.chmod(file, 0o600); // root's: nobody may not read it
  for (let folder = dir; folder !== dirname(root); folder = dirname(folder)) {
    await Deno.chmod(folder, 0o755);
  }
  const expected = `${file}: cannot read: permission denied`;
  for (const command of ["log", "validate", "verify", "export"]) {
    const args = command === "export" ? [command, file, "--format", "prov"] : [command, file];
    const { stderr } = await runAsNobody(args);
    assert.match(stderr, new RegExp(`^runrec ${command}: ${escapeRe(expected)}$`, "m"), stderr);
    assert.equal(stderr.split("cannot read").length, 2, stderr);
  }
});

Deno.test("read commands: an empty target exits 2 in one line naming it as the help does (was ': cannot read: Empty path is not allowed', or the current folder)", async () => {
  const cases: [string[], string][] = [
    [["log", ""], "<del-dir|file|root>"],
    [["log", ".", ""], "<del-dir|file|root>"],
    [["validate", ""], "<file|del-dir|root>"],
    [["verify", ""], "<file|del-dir|root>"],
    [["show", "", "RUN-DEL-01-02-20260101-0000-001"], "<del-dir|file>"],
    [["export", "", "--format", "prov"], "<del-dir|file|root>"],
    [["stale", ""], "<del-dir|root>"],
    [["flush", ""], "<del-dir|root>"],
  ];
  for (const [args, name] of cases) {
    const { code, out, err } = await cli(args);
    assert.deepEqual(
      [code, out, err],
      [
        2,
        "",
        `runrec ${args[0]}: ${name}: an empty path (. is the current folder) (see runrec ${
          args[0]
        } --help)\n`,
      ],
      args.join(" "),
    );
  }
  // A RunID is a word, not a path.
  const runId = await cli(["show", ".", ""]);
  assert.equal(runId.err, "runrec show: <RUNID>: empty (see runrec show --help)\n");
});
