/**
 * The history view of `runrec log`: RunTimestamp order across files,
 * `--by path`, Pass and Error columns, case-insensitive `--agent`, the
 * Markdown history table of `--format md`, annotations in every format and
 * in JSON, and a newer version's extra columns on the way out (`log`, `show`).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/log_view_test.ts
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { checksumOf, encodeRecord, splitCells } from "../src/codec.ts";
import { HEADER } from "../src/schema.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { makeProject, sampleDraft, sampleRecord, tempDir } from "./fixtures.ts";
import { commandDetail } from "./support/doc_prose.ts";

/** A root with two deliverables whose runs interleave in time. */
async function twoDeliverables(): Promise<{ root: string; ids: Record<string, string> }> {
  const root = await tempDir({ prefix: "runrec-logview-" });
  const a = join(root, "PKG-01_P", "1_Working", "DEL-01-01_A");
  const b = join(root, "PKG-01_P", "1_Working", "DEL-01-02_B");
  await Deno.mkdir(a, { recursive: true });
  await Deno.mkdir(b, { recursive: true });
  const ids: Record<string, string> = {};
  const add = async (dir: string, del: string, name: string, at: string, more = {}) => {
    const draft = sampleDraft({ DeliverableID: del, RunTimestamp: at, ...more });
    ids[name] = (await appendRecord(join(dir, RECORD_FILE), draft, { fsync: false })).record.RunID;
  };
  // File order: a1, a2 (in A), then b1, b2 (in B); time order: a1, b1, a2, b2.
  await add(a, "DEL-01-01", "a1", "2026-02-01T09:00:00Z");
  await add(a, "DEL-01-01", "a2", "2026-02-03T09:00:00Z", {
    AgentName: "4_DOCUMENTS",
    RunStatus: "FAILED",
    RunPassDirective: "PASS-2",
    ErrorSummary: "pandoc exited 3\nstack follows",
  });
  await add(b, "DEL-01-02", "b1", "2026-02-02T09:00:00Z", { AgentName: "PREPARATION" });
  await add(b, "DEL-01-02", "b2", "2026-02-04T09:00:00Z", { AgentName: "Checking" });
  return { root, ids };
}

async function logIds(...args: string[]): Promise<string[]> {
  const { code, stdout, stderr } = await runCli(["log", ...args, "--format", "jsonl"]);
  assert.equal(code, 0, stderr);
  return stdout.split("\n").filter((l) => l).map((l) => JSON.parse(l).RunID);
}

Deno.test("log view: a root is listed by RunTimestamp across files; --by path keeps file order", async () => {
  const { root, ids } = await twoDeliverables();
  assert.deepEqual(await logIds(root), [ids.a1, ids.b1, ids.a2, ids.b2]);
  assert.deepEqual(await logIds(root, "--by", "time"), [ids.a1, ids.b1, ids.a2, ids.b2]);
  assert.deepEqual(await logIds(root, "--by", "path"), [ids.a1, ids.a2, ids.b1, ids.b2]);
});

Deno.test("log view: -n/--limit lists only the last N of the listing, still oldest first", async () => {
  const { root, ids } = await twoDeliverables();
  assert.deepEqual(await logIds(root, "-n", "2"), [ids.a2, ids.b2]);
  assert.deepEqual(await logIds(root, "--limit", "3", "--by", "path"), [ids.a2, ids.b1, ids.b2]);
  assert.deepEqual(await logIds(root, "--limit=1", "--agent", "preparation,4_documents"), [ids.a2]);
  assert.deepEqual(await logIds(root, "-n", "10"), [ids.a1, ids.b1, ids.a2, ids.b2]);
  for (const bad of ["0", "-1", "2.5", "ten", ""]) {
    const { code, stdout, stderr } = await runCli(["log", root, `--limit=${bad}`]);
    assert.equal(code, 2, bad);
    assert.equal(stdout, "");
    assert.match(stderr, /^runrec log: -n\/--limit: expected a whole number above 0/, bad);
  }
  // Typed as -n, the message names it so (it said only --limit).
  const short = await runCli(["log", root, "-n", "0"]);
  assert.match(short.stderr, /^runrec log: -n\/--limit: /);
});

Deno.test("log view: a bad --by exits 2 naming the option", async () => {
  const { root } = await twoDeliverables();
  const { code, stdout, stderr } = await runCli(["log", root, "--by", "agent"]);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.ok(stderr.startsWith("runrec log: --by"), stderr);
});

Deno.test("log view: --agent matches like --status: case-insensitive, comma-separated", async () => {
  const { root, ids } = await twoDeliverables();
  assert.deepEqual(await logIds(root, "--agent", "checking"), [ids.b2]);
  assert.deepEqual(await logIds(root, "--agent", "CHECKING"), [ids.b2]);
  assert.deepEqual(await logIds(root, "--agent", "preparation, 4_documents"), [
    ids.a1,
    ids.b1,
    ids.a2,
  ]);
});

Deno.test("log view: an --agent with no record warns, naming the agents that have some and a near one, exit 0 (trial-t F4)", async () => {
  const { del } = await makeProject();
  await runCli(["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"]);
  const result = await runCliProcess(["log", del, "--agent", "4_DOCUMNETS"]);
  assert.equal(result.code, 0);
  assert.equal(
    result.stderr,
    "runrec log: no records match\n" +
      "runrec log: warning: --agent 4_DOCUMNETS: no record of that agent (agents with runs " +
      "there: 4_DOCUMENTS); did you mean 4_DOCUMENTS?\n",
  );
  // A name that matches, in any case, is no typo.
  assert.equal((await runCliProcess(["log", del, "--agent", "4_documents"])).stderr, "");
});

Deno.test("log view: the table has Pass and Error columns (first line of ErrorSummary)", async () => {
  const { root, ids } = await twoDeliverables();
  const { code, stdout } = await runCli(["log", root]);
  assert.equal(code, 0);
  const lines = stdout.trimEnd().split("\n");
  assert.match(lines[0], / Pass +Before→After +Duration +Outputs +Error$/);
  const failed = lines.find((l) => l.startsWith(ids.a2));
  assert.ok(failed, stdout);
  assert.match(failed, / FAILED +PASS-2 +OPEN→INITIALIZED +PT2M34\.5S +1 +pandoc exited 3…$/);
  assert.ok(!stdout.includes("stack follows"));
});

Deno.test("log view: --format md is the Markdown history table, in time order", async () => {
  const { root, ids } = await twoDeliverables();
  const { code, stdout } = await runCli(["log", root, "--format", "md"]);
  assert.equal(code, 0);
  const lines = stdout.trimEnd().split("\n");
  assert.deepEqual(lines.slice(0, 2), [
    "| RunID | Timestamp | Agent | Status | Pass | Before→After | Duration | Error |",
    "|---|---|---|---|---|---|---|---|",
  ]);
  assert.deepEqual(lines.slice(2).map((l) => l.split(" | ")[0].slice(2)), [
    ids.a1,
    ids.b1,
    ids.a2,
    ids.b2,
  ]);
  assert.equal(
    lines[4],
    `| ${ids.a2} | 2026-02-03T09:00:00Z | 4_DOCUMENTS | FAILED | PASS-2 | OPEN→INITIALIZED | ` +
      "PT2M34.5S | pandoc exited 3… |",
  );
});

Deno.test("log view: --format md shows an agent's Markdown in Pass and Error as written: emphasis, code and links escaped, a _ inside a word left", async () => {
  const root = await tempDir({ prefix: "runrec-logview-" });
  const draft = sampleDraft({
    RunTimestamp: "2026-02-01T09:00:00Z",
    RunStatus: "FAILED",
    RunPassDirective: "*PASS*_2",
    ErrorSummary: "*b* _e_ [l](http://x) `c` ~~s~~ in 4_DOCUMENTS | a\\b",
  });
  const { record } = await appendRecord(join(root, RECORD_FILE), draft, { fsync: false });
  const { code, stdout, stderr } = await runCli(["log", root, "--format", "md"]);
  assert.equal(code, 0, stderr);
  assert.equal(
    stdout.trimEnd().split("\n")[2],
    `| ${record.RunID} | 2026-02-01T09:00:00Z | ${record.AgentName} | FAILED | \\*PASS\\*\\_2 | ` +
      `${record.StatusBefore}→${record.StatusAfter} | ${record.RunDuration} | ` +
      "\\*b\\* \\_e\\_ \\[l\\](http://x) \\`c\\` \\~\\~s\\~\\~ in 4_DOCUMENTS \\| a\\\\b |",
  );
});

Deno.test("log and show: escape sequences an agent wrote are shown, never sent to the terminal", async () => {
  const root = await tempDir({ prefix: "runrec-logview-" });
  const del = join(root, "PKG-01_P", "1_Working", "DEL-01-03_C");
  await Deno.mkdir(del, { recursive: true });
  const draft = sampleDraft({
    DeliverableID: "DEL-01-03",
    RunStatus: "FAILED",
    RunPassDirective: "\x1b[2J",
    ErrorSummary: "\x1b[31mred\x1b[0m",
    Notes: "bell\x07 and \x1b]0;title\x07",
  });
  const { record } = await appendRecord(join(del, RECORD_FILE), draft, { fsync: false });
  const table = await runCli(["log", del]);
  assert.equal(table.code, 0, table.stderr);
  assert.ok(!table.stdout.includes("\x1b"), JSON.stringify(table.stdout));
  assert.match(table.stdout, / ␛\[2J +.* ␛\[31mred␛\[0m\n$/);
  const show = await runCli(["show", del, record.RunID]);
  assert.equal(show.code, 0, show.stderr);
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\x00-\x08\x0B-\x1F\x7F]/.test(show.stdout), JSON.stringify(show.stdout));
  assert.ok(show.stdout.includes("␛[31mred␛[0m"));
  assert.ok(show.stdout.includes("bell␇ and ␛]0;title␇"));
  // The record keeps every character: json gives it back as it was recorded.
  const json = await runCli(["log", del, "--format", "jsonl"]);
  assert.equal(JSON.parse(json.stdout).ErrorSummary, "\x1b[31mred\x1b[0m");
});

/** A deliverable with two SUCCESS runs, the first invalidated, the second superseded by a third. */
async function annotated(): Promise<{ del: string; ids: string[]; notes: string[] }> {
  const { del } = await makeProject();
  const ids: string[] = [];
  for (const at of ["01", "02", "03"]) {
    const draft = sampleDraft({ RunTimestamp: `2026-02-${at}T09:00:00Z` });
    ids.push((await appendRecord(join(del, RECORD_FILE), draft, { fsync: false })).record.RunID);
  }
  const notes: string[] = [];
  for (const args of [[ids[0], "--invalidates"], [ids[2], "--supersedes", ids[1]]]) {
    const { code, stdout, stderr } = await runCli(["annotate", del, ...args, "--note", "why"]);
    assert.equal(code, 0, stderr);
    notes.push(stdout);
  }
  return { del, ids, notes };
}

Deno.test("log and show --json: an invalidated or superseded run says so (invalidatedBy, supersededBy, annotations)", async () => {
  const { del, ids } = await annotated();
  const records = (await runCli(["log", del, "--format", "jsonl"])).stdout.trimEnd().split("\n")
    .map((l) => JSON.parse(l));
  const [first, second, third, invalidation, supersession] = records;
  assert.deepEqual(first.invalidatedBy, [invalidation.RunID]);
  assert.deepEqual(first.supersededBy, []);
  assert.deepEqual(first.annotations, [{
    annotationId: invalidation.RunID,
    timestamp: invalidation.RunTimestamp,
    note: "why",
    kind: "invalidated",
    target: first.RecordChecksum.slice(0, 16),
  }]);
  assert.deepEqual(second.supersededBy, [ids[2]]);
  assert.deepEqual(second.invalidatedBy, []);
  assert.deepEqual(third.annotations.map((a: { kind: string }) => a.kind), ["supersedes"]);
  assert.deepEqual([third.invalidatedBy, third.supersededBy], [[], []]);
  assert.equal(supersession.AgentName, "RUNREC_ANNOTATE");
  const json = JSON.parse((await runCli(["log", del, "--json"])).stdout);
  assert.deepEqual(json, records, "json and jsonl agree");
  for (const [i, id] of ids.entries()) {
    const shown = await runCli(["show", del, id, "--json"]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(JSON.parse(shown.stdout), records[i]);
  }
  // What an agent does to pick the last usable SUCCESS: the invalidated and the superseded runs drop out.
  const usable = records.filter((r) =>
    r.RunStatus === "SUCCESS" && r.AgentName !== "RUNREC_ANNOTATE" &&
    r.invalidatedBy.length === 0 && r.supersededBy.length === 0
  );
  assert.deepEqual(usable.map((r) => r.RunID), [ids[2]]);
  const help = (await runCli(["log", "--help"])).stdout;
  for (const key of ["invalidatedBy", "supersededBy", "annotations"]) {
    assert.ok(help.includes(key), key);
    assert.ok((await runCli(["show", "--help"])).stdout.includes(key), key);
  }
});

Deno.test("log: the same filters list the same records in table, md, csv, json and jsonl (annotations are rows)", async () => {
  const { del, ids } = await annotated();
  const all = (await runCli(["log", del, "--format", "jsonl"])).stdout.trimEnd().split("\n")
    .map((l) => JSON.parse(l).RunID);
  const annotations = all.slice(3);
  const listed = async (format: string, ...filters: string[]): Promise<string[]> => {
    const { code, stdout, stderr } = await runCli(["log", del, ...filters, "--format", format]);
    assert.equal(code, 0, stderr);
    const lines = stdout.trimEnd().split("\n").filter((l) => l !== "");
    switch (format) {
      case "table":
        return lines.slice(1).map((l) => l.split(" ")[0]);
      case "md":
        return lines.slice(2).map((l) => l.split(" | ")[0].slice(2));
      case "csv":
        return lines.slice(1).map((l) => l.split(",")[1]);
      case "json":
        return JSON.parse(stdout).map((r: { RunID: string }) => r.RunID);
      default:
        return lines.map((l) => JSON.parse(l).RunID);
    }
  };
  const cases: [string[], string[]][] = [
    [[], all],
    [["--status", "SKIPPED"], annotations],
    [["--agent", "runrec_annotate"], annotations],
    [["--status", "SUCCESS"], ids],
    [["--agent", "4_DOCUMENTS,RUNREC_ANNOTATE", "--since", "2026-02-02"], [
      ids[1],
      ids[2],
      ...annotations,
    ]],
  ];
  for (const [filters, expected] of cases) {
    for (const format of ["table", "md", "csv", "json", "jsonl"]) {
      assert.deepEqual(
        await listed(format, ...filters),
        expected,
        `${format} ${filters.join(" ")}`,
      );
    }
  }
  const table = (await runCli(["log", del])).stdout;
  assert.match(table, new RegExp(`${annotations[0]} .* SKIPPED \\[marks ${ids[0]} INVALIDATED\\]`));
  assert.match(table, new RegExp(`${annotations[1]} .* SKIPPED \\[marks ${ids[1]} SUPERSEDED\\]`));
  assert.match(await commandDetail("log"), /every format lists them as rows/);
});

/** A record line of `version`: a v1.0 record's cells with `added` cells before RecordChecksum. */
function versionLine(version: string, seq: number, added: string[], agent = "4_DOCUMENTS"): string {
  const id = `RUN-DEL-01-02-20260222-1015-${String(seq).padStart(3, "0")}`;
  const v10 = encodeRecord(sampleRecord({ RunID: id, AgentName: agent }));
  const body = [version, ...splitCells(v10).slice(1, -1), ...added].join(",");
  return `${body},${checksumOf(body)}`;
}

const V11_HEADER = HEADER.replace(",RecordChecksum", ",ReviewedBy,RecordChecksum");

Deno.test("log and show: a v1.1 record keeps its extra column: csv keeps the v1.1 header line, json and show name it by its header", async () => {
  const root = await tempDir({ prefix: "runrec-logview-" });
  const del = join(root, "DEL-01-02_Mixed");
  await Deno.mkdir(del);
  const file = join(del, RECORD_FILE);
  const text = [
    HEADER,
    versionLine("v1.0", 1, []),
    V11_HEADER, // a v1.1 writer appends its header before its first record (SCHEMA.md 11.3)
    versionLine("v1.1", 2, ['"Zoë Ängström, QA"'], "DEPENDENCIES"),
    HEADER, // and a v1.0 writer its own after it
    versionLine("v1.0", 3, []),
  ].join("\n") + "\n";
  await Deno.writeTextFile(file, text);
  const id = "RUN-DEL-01-02-20260222-1015-002";
  for (const by of ["path", "time"]) {
    const csv = await runCli(["log", del, "--format", "csv", "--by", by]);
    assert.equal(csv.code, 0, csv.stderr);
    assert.equal(csv.stdout, text, `--by ${by}: the file, byte for byte`);
  }
  // Filtered to the v1.1 record alone: it still comes under its own header line.
  const alone = await runCli(["log", del, "--format", "csv", "--agent", "DEPENDENCIES"]);
  assert.equal(alone.stdout, `${V11_HEADER}\n${text.split("\n")[3]}\n`);
  const jsonl = (await runCli(["log", del, "--format", "jsonl"])).stdout.trimEnd().split("\n")
    .map((l) => JSON.parse(l));
  assert.deepEqual(jsonl.map((r) => r.ReviewedBy), [undefined, "Zoë Ängström, QA", undefined]);
  const keys = Object.keys(jsonl[1]);
  assert.deepEqual(keys.slice(keys.indexOf("Host"), keys.indexOf("Host") + 3), [
    "Host",
    "ReviewedBy",
    "RecordChecksum",
  ]);
  assert.equal(
    JSON.parse((await runCli(["log", del, "--json"])).stdout)[1].ReviewedBy,
    "Zoë Ängström, QA",
  );
  const shown = await runCli(["show", del, id, "--json"]);
  assert.equal(JSON.parse(shown.stdout).ReviewedBy, "Zoë Ängström, QA");
  const md = await runCli(["show", del, id]);
  assert.match(
    md.stdout,
    /\| SchemaVersion \| v1\.1 \|\n\| ReviewedBy \| Zoë Ängström, QA \|\n\| RecordChecksum \|/,
  );
  // A v1.1 cell no header line names goes by its position in the line.
  await Deno.writeTextFile(file, `${HEADER}\n${versionLine("v1.1", 4, ["bob"])}\n`);
  const unnamed = JSON.parse((await runCli(["log", del, "--json"])).stdout)[0];
  assert.equal(unnamed.column21, "bob");
});

Deno.test("log --format csv of a CR LF file writes LF line ends and warns, as docs/COMMANDS.md says", async () => {
  const root = await tempDir({ prefix: "runrec-logview-" });
  const del = join(root, "DEL-01-02_Crlf");
  await Deno.mkdir(del);
  const lf = `${HEADER}\n${versionLine("v1.0", 1, [])}\n`;
  await Deno.writeTextFile(join(del, RECORD_FILE), lf.replaceAll("\n", "\r\n"));
  const csv = await runCli(["log", del, "--format", "csv"]);
  assert.equal(csv.code, 0);
  assert.equal(csv.stdout, lf);
  assert.match(csv.stderr, /line ends in CR LF; read without the CR/);
  assert.match(await commandDetail("log"), /CR LF line ends are written as LF/);
});

Deno.test("log view: an ErrorSummary starting with a newline shows its first non-empty line", async () => {
  const { del } = await makeProject();
  const draft = sampleDraft({
    RunStatus: "FAILED",
    StatusAfter: "OPEN",
    ErrorSummary: "\n  \nvendor range missing\nsecond line",
  });
  await appendRecord(join(del, RECORD_FILE), draft, { fsync: false });
  await appendRecord(join(del, RECORD_FILE), { ...draft, ErrorSummary: "one line\n" }, {
    fsync: false,
  });
  const { code, stdout } = await runCli(["log", del]);
  assert.equal(code, 0);
  const rows = stdout.trimEnd().split("\n").slice(1);
  assert.match(rows[0], / vendor range missing…$/);
  assert.match(rows[1], / one line$/);
  const md = await runCli(["log", del, "--format", "md"]);
  assert.ok(md.stdout.includes("| vendor range missing… |"), md.stdout);
});

Deno.test("log view: two annotations two branches numbered alike each show their own deed", async () => {
  // Each branch annotates in its own copy of the folder; a union merge keeps both lines. Both
  // annotations take the minute's first SEQ: tried again in the rare case a minute turns between.
  for (let attempt = 1;; attempt++) {
    const { root, del } = await makeProject();
    const file = join(del, RECORD_FILE);
    const r1 = (await appendRecord(file, sampleDraft({ RunTimestamp: "2026-02-22T10:00:00Z" })))
      .record.RunID;
    const r2 = (await appendRecord(file, sampleDraft({ RunTimestamp: "2026-02-22T11:00:00Z" })))
      .record.RunID;
    const other = join(root, "branch-b");
    await Deno.mkdir(other);
    await Deno.copyFile(file, join(other, RECORD_FILE));
    await Deno.copyFile(join(del, "_CONTEXT.md"), join(other, "_CONTEXT.md"));
    const a = await runCli(["annotate", del, r2, "--invalidates", "--note", "A: r2 is bad"]);
    const b = await runCli(["annotate", other, r1, "--note", "B: just a note"]);
    assert.equal(a.code + b.code, 0, a.stderr + b.stderr);
    const theirs = (await Deno.readTextFile(join(other, RECORD_FILE))).trimEnd().split("\n").at(-1);
    await Deno.writeTextFile(file, `${theirs}\n`, { append: true });
    const md = (await runCli(["log", del, "--format", "md"])).stdout;
    const rows = md.split("\n").filter((l) => l.includes("RUNREC_ANNOTATE"));
    if (a.stdout.trim() !== b.stdout.trim() && attempt < 3) continue; // the minute turned
    assert.equal(a.stdout.trim(), b.stdout.trim(), "both annotations got one RunID");
    assert.equal(rows.length, 2, md);
    assert.ok(rows[0].includes(`marks ${r2} INVALIDATED`), rows[0]);
    assert.ok(rows[1].includes(`note on ${r1}`), rows[1]);
    return;
  }
});

Deno.test("log view: over two copies of a deliverable (worktrees) the table and md show each row's folder, and one copy's annotation marks only its own rows; one copy alone shows no Folder column (trial-r F4, review-t F7)", async () => {
  const { del, ids } = await annotated();
  const top = await tempDir({ prefix: "runrec-logview-copies-" });
  const [a, b] = [join(top, "a"), join(top, "b")];
  await Deno.mkdir(a);
  await Deno.mkdir(b);
  await Deno.writeTextFile(join(a, RECORD_FILE), await Deno.readTextFile(join(del, RECORD_FILE)));
  // b holds the three runs without the annotations.
  const lines = (await Deno.readTextFile(join(del, RECORD_FILE))).split("\n");
  await Deno.writeTextFile(join(b, RECORD_FILE), lines.slice(0, 4).join("\n") + "\n");
  const table = await runCli(["log", a, b, "--by", "path"]);
  assert.equal(table.code, 0, table.stderr);
  const rows = table.stdout.trimEnd().split("\n");
  assert.match(rows[0], /^Folder +RunID +RunTimestamp/);
  assert.equal(rows.length, 1 + 5 + 3, table.stdout);
  const folderOf = (row: string) => row.split(/ +/)[0];
  assert.deepEqual(rows.slice(1).map(folderOf), [a, a, a, a, a, b, b, b].map((d) => relativeTo(d)));
  // The annotations are a's: b's copy of ids[0] is not INVALIDATED, a's is.
  const rowOf = (folder: string, id: string) =>
    rows.find((r) => folderOf(r) === relativeTo(folder) && r.includes(id))!;
  assert.match(rowOf(a, ids[0]), /INVALIDATED/);
  assert.doesNotMatch(rowOf(b, ids[0]), /INVALIDATED|SUPERSEDED/);
  assert.doesNotMatch(rowOf(b, ids[1]), /INVALIDATED|SUPERSEDED/);
  const md = await runCli(["log", a, b, "--format", "md"]);
  assert.match(md.stdout, /^\| Folder \| RunID \| Timestamp \|/);
  // Decided from the files read, not from the rows the filters leave (review-t F7).
  const last = await runCli(["log", a, b, "-n", "1"]);
  assert.match(last.stdout, /^Folder +RunID/);
  const alone = await runCli(["log", a]);
  assert.match(alone.stdout, /^RunID +RunTimestamp/);
  await Deno.remove(top, { recursive: true });
});

Deno.test("log --json/--format jsonl and show --json: each record names its record file (from the current folder) and line, so two copies of a deliverable are told apart", async () => {
  const { del, ids } = await annotated();
  const top = await tempDir({ prefix: "runrec-logview-files-" });
  const [a, b] = [join(top, "a"), join(top, "b")];
  for (const copy of [a, b]) {
    await Deno.mkdir(copy);
    await Deno.copyFile(join(del, RECORD_FILE), join(copy, RECORD_FILE));
  }
  const json = await runCli(["log", a, b, "--by", "path", "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const records = JSON.parse(json.stdout) as { RunID: string; recordFile: string; line: number }[];
  const wanted = (copy: string) => relativeTo(join(copy, RECORD_FILE));
  assert.deepEqual(
    records.map((r) => [r.recordFile, r.line]),
    [a, b].flatMap((copy) => [2, 3, 4, 5, 6].map((line) => [wanted(copy), line])),
  );
  const lines = (await runCli(["log", a, b, "--by", "path", "--format", "jsonl"])).stdout
    .trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines, records);
  const show = await runCli(["show", b, ids[1], "--json"]);
  assert.equal(show.code, 0, show.stderr);
  const shown = JSON.parse(show.stdout);
  assert.deepEqual([shown.RunID, shown.recordFile, shown.line], [ids[1], wanted(b), 3]);
  await Deno.remove(top, { recursive: true });
});

/** `folder` as log names it: relative to the working folder. */
function relativeTo(folder: string): string {
  return relative(Deno.cwd(), folder);
}
