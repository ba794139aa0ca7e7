/**
 * Keeps SCHEMA.md in step with the field table in `src/schema.ts`, and its
 * claims (and docs/AGENT_PROTOCOL.md's, `runrec hash --help`'s) with what
 * runrec does.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-run tests/schema_doc_test.ts
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { COLUMNS, HEADER } from "../src/schema.ts";
import { sha256Hex } from "../src/sha256.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { extractFieldTable, renderFieldTable } from "../scripts/schema_table.ts";
import { makeProject } from "./fixtures.ts";
import { durationProblem } from "../src/time.ts";
import { inputContextSha } from "../src/manifest.ts";
import { readRecords } from "../src/reader.ts";
import { runCli } from "./cli.ts";

/** `text` with its line breaks and runs of spaces made one space, so phrases can be searched. */
function flat(text: string): string {
  return text.replace(/\s+/g, " ");
}

/** The problems runrec reports for a record file of `lines` (header first), as `line:code`. */
async function problemsOf(lines: string[]): Promise<string[]> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "RunRecords.csv"), lines.map((l) => `${l}\n`).join(""));
    const found: string[] = [];
    for await (const event of readRecords(join(dir, "RunRecords.csv"))) {
      if (event.kind === "problem") found.push(`${event.line}:${event.code}`);
    }
    return found;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const SCHEMA_MD = new URL("../SCHEMA.md", import.meta.url);

function readDoc(): string {
  return Deno.readTextFileSync(SCHEMA_MD);
}

/** The body of the `##` section whose heading contains `title`, up to the next `##` heading. */
function section(doc: string, title: string): string {
  const lines = doc.split("\n");
  const start = lines.findIndex((l) => l.startsWith("## ") && l.includes(title));
  assert.ok(start >= 0, `SCHEMA.md has no "## ... ${title}" section`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => l.startsWith("## "));
  return (end < 0 ? rest : rest.slice(0, end)).join("\n");
}

Deno.test("SCHEMA.md field table equals renderFieldTable()", () => {
  const actual = extractFieldTable(readDoc());
  const expected = renderFieldTable();
  if (actual !== expected) {
    const a = actual.split("\n");
    const e = expected.split("\n");
    const i = e.findIndex((line, n) => a[n] !== line);
    assert.fail(
      `SCHEMA.md field table is out of date (first difference at table line ${
        i < 0 ? e.length + 1 : i + 1
      }); run: deno run --allow-read --allow-write scripts/schema_table.ts`,
    );
  }
});

Deno.test("renderFieldTable() is stable under deno fmt", async () => {
  const doc = `# T\n\n${renderFieldTable()}\n`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(doc));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.equal(new TextDecoder().decode(stdout), doc);
});

Deno.test("the field table has one row per column, in CSV order", () => {
  const rows = renderFieldTable().split("\n").slice(2);
  assert.equal(rows.length, COLUMNS.length);
  rows.forEach((row, i) => {
    const cells = row.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    assert.equal(cells.length, 9, `row ${i + 1} has ${cells.length} cells: ${row}`);
    assert.ok(cells[2] !== "" && cells[6] !== "", `row ${i + 1} lacks a meaning or an example`);
    assert.equal(cells[0], String(i + 1));
    assert.equal(cells[1], `\`${COLUMNS[i]}\``);
  });
});

Deno.test("SCHEMA.md shows the exact header line with every column", () => {
  const body = section(readDoc(), "Purpose and scope");
  const blocks = [...body.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]);
  const block = blocks.find((b) => b.includes("SchemaVersion,"));
  assert.ok(block, "section 1 has no fenced block with the header line");
  for (const name of COLUMNS) {
    assert.ok(block.includes(name), `header line block lacks column ${name}`);
  }
  assert.ok(block.split("\n").includes(HEADER), `header line block is not exactly:\n${HEADER}`);
});

Deno.test("the K-PROV-1 table maps to every column and names no other", () => {
  // The second column of the table holds the field names, each in backticks.
  const body = section(readDoc(), "K-PROV-1");
  const rows = body.split("\n").filter((l) => l.startsWith("|")).slice(2);
  assert.ok(rows.length > 0, "K-PROV-1 section has no table");
  const named = new Set<string>();
  for (const row of rows) {
    const cells = row.split(/(?<!\\)\|/).slice(1, -1);
    const fields = cells[1] ?? ""; // columns: question | field(s) | how

    for (const m of fields.matchAll(/`([A-Za-z]+)`/g)) named.add(m[1]);
  }
  for (const name of COLUMNS) {
    assert.ok(named.has(name), `K-PROV-1 table does not map column ${name}`);
  }
  const known = new Set<string>(COLUMNS);
  for (const name of named) {
    assert.ok(known.has(name), `K-PROV-1 table names unknown column ${name}`);
  }
});

Deno.test("SCHEMA.md field 17: InputHashes are the hashes at start (or emit), as start/finish record them", () => {
  // start_finish_test's first test shows the behaviour: a file rewritten during the run keeps its
  // start hash in InputHashes. The field table, the source of truth, must say the same.
  const row = extractFieldTable(readDoc()).split("\n").find((l) =>
    l.split("|")[2]?.trim() === "`InputHashes`"
  );
  assert.ok(row !== undefined, "no InputHashes row in the field table");
  const meaning = row.split("|")[3];
  assert.match(meaning, /at run start/, meaning);
  assert.doesNotMatch(meaning, /ended/, meaning);
});

Deno.test("SCHEMA.md 5.5: the worked example's commands write its record line (but Host, and the note of a run recorded late)", async () => {
  // Runs the section's two sh blocks as written, `runrec` being this checkout's CLI, in a
  // temporary folder outside git: only Host, and so RecordChecksum, may differ (and Notes, below).
  const body = section(readDoc(), "Governed inputs");
  const example = body.slice(body.indexOf("5.5."));
  const sh = [...example.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(sh.length, 2, "5.5 should hold two sh blocks: the setup and the run");
  const shown = /```text\n(v1\.0,[^\n]*)\n```/.exec(example)?.[1];
  assert.ok(shown, "5.5 shows no record line");
  const tmp = await Deno.makeTempDir();
  try {
    const runrec = [Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY]
      .map((word) => `'${word}'`).join(" ");
    const script = `set -e\nrunrec() { ${runrec} "$@"; }\n${sh[0]}${
      sh[1]
    }tail -n 1 RunRecords.csv\n`;
    const out = await new Deno.Command("sh", {
      args: ["-c", script],
      env: { TMPDIR: tmp, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    // emit prints the RunID first; tail prints the line.
    // Run today, the example's run of 2026-02-22 is recorded late, and says so; the line shown
    // is written at the run's end.
    const written = new TextDecoder().decode(out.stdout).trimEnd().split("\n").at(-1)!
      .replace(/ \| recorded late: written [^,|]* \(inputs hashed then\)/, "");
    const withoutHostAndChecksum = (line: string) => line.split(",").slice(0, -2).join(",");
    assert.equal(withoutHostAndChecksum(written), withoutHostAndChecksum(shown));
    const cut = shown.lastIndexOf(",");
    assert.equal(shown.slice(cut + 1), sha256Hex(shown.slice(0, cut)), "shown checksum is wrong");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("SCHEMA.md: RunID uniqueness is a file rule verify checks; RunDuration's limit is P3650D", async () => {
  const doc = flat(readDoc());
  assert.match(doc, /unique in the file: a file-level rule that `runrec verify` checks/);
  assert.match(doc, /That no two records share a `RunID` is a rule of the file, not of a record/);
  assert.match(extractFieldTable(readDoc()), /at most `P3650D`/);
  assert.equal(durationProblem("P3650D"), undefined);
  assert.ok(durationProblem("P3650DT0.001S"));
  // validate passes a file with a RunID twice: it checks each line alone.
  const { del } = await makeProject();
  const args = ["emit", del, "--agent", "A", "--status", "SUCCESS", "--started"];
  await runCli([...args, "2026-02-22T10:15:00Z"]);
  const file = join(del, "RunRecords.csv");
  const [header, line] = (await Deno.readTextFile(file)).trimEnd().split("\n");
  const again = line.replace(/,A,/, ",B,").slice(0, line.lastIndexOf(","));
  await Deno.writeTextFile(file, `${header}\n${line}\n${again},${sha256Hex(again)}\n`);
  assert.equal((await runCli(["validate", file])).code, 0);
  assert.equal((await runCli(["verify", file])).code, 1);
});

Deno.test("SCHEMA.md 8.1: torn is exactly what the reader calls torn", async () => {
  const doc = flat(readDoc());
  assert.match(doc, /\*\*Torn\*\*, exactly: a line after line 1 whose checksum does not match/);
  const good = "v1.0,RUN-DEL-01-02-20260222-1015-001,DEL-01-02,A,TYPE_2," +
    "2026-02-22T10:15:00.000Z,PT0S,SUCCESS,,TBD,,,TBD,TBD,,,,,,h";
  const whole = `${good},${sha256Hex(good)}`;
  const problems = await problemsOf([
    HEADER,
    "v1.0,RU", // a prefix of a record's start
    whole.slice(0, -5), // a checksum cut short
    "v1.3,RUN-DEL-01-02,x", // another v1.x: its column count is unknown
    `${good},x`, // 21 fields, the last no hex prefix: changed
    `${whole},extra`, // too many fields: changed
    `${good.replace("A,", "B,")},${sha256Hex(good)}`, // a whole checksum that does not match
    HEADER.slice(0, 40), // a cut header line
  ]);
  assert.deepEqual(problems, [
    "2:torn",
    "3:torn",
    "4:torn",
    "5:corrupt",
    "6:corrupt",
    "7:corrupt",
    "8:torn",
  ]);
});

Deno.test("SCHEMA.md 1.4, 8.1: an additive header may be line 1; a 0-byte file is a warning", async () => {
  const doc = flat(readDoc());
  assert.match(doc, /or, as line 1 too, the header line of a newer additive version/);
  assert.match(
    doc,
    /a 0-byte file \(no header, no records\) \| reported; a writer writes header and record \| warning/,
  );
  const added = HEADER.replace(",RecordChecksum", ",Reviewer,RecordChecksum");
  assert.deepEqual(await problemsOf([added]), []);
  const { del } = await makeProject();
  const file = join(del, "RunRecords.csv");
  await Deno.writeTextFile(file, "");
  const validated = await runCli(["validate", file]);
  assert.equal(validated.code, 0);
  assert.match(validated.stdout + validated.stderr, /warning: file is empty/);
  assert.equal((await runCli(["emit", del, "--agent", "A", "--status", "SUCCESS"])).code, 0);
  assert.equal((await Deno.readTextFile(file)).split("\n")[0], HEADER);
});

Deno.test("SCHEMA.md 4.1: SKIPPED with a changed state is a validate warning", async () => {
  assert.match(flat(readDoc()), /\| equals `StatusBefore` \(else a `validate` warning\) \|/);
  const { del } = await makeProject();
  const emitted = await runCli([
    "emit",
    del,
    "--agent",
    "A",
    "--status",
    "SKIPPED",
    "--status-before",
    "INITIALIZED",
  ]); // _STATUS.md says OPEN
  assert.equal(emitted.code, 0, emitted.stderr);
  const validated = await runCli(["validate", del]);
  assert.equal(validated.code, 0);
  assert.match(validated.stdout + validated.stderr, /warning: SKIPPED run changed the state/);
});

Deno.test("SCHEMA.md 5.4, hash --help: sha256sum reproduces InputContextSHA only with no TBD", async () => {
  const hash = "a".repeat(64);
  // A TBD input keeps its line in the manifest, where sha256sum prints none.
  assert.notEqual(
    inputContextSha({ "a.md": hash, "b.md": "TBD" }),
    inputContextSha({ "a.md": hash }),
  );
  assert.match(flat(readDoc()), /When every input was hashed \(no `TBD`\), this is what/);
  const help = flat((await runCli(["hash", "--help"])).stdout);
  assert.match(help, /When every input was hashed, "sha256sum PATHS/);
});

Deno.test("SCHEMA.md 7.3: names the notes of both replays, spooled and lost", () => {
  const doc = flat(readDoc());
  assert.match(doc, /replayed from spool entry <id> \(spooled <time>: <error>\)/);
  assert.match(
    doc,
    /`runrec flush --from`.*replayed from spool entry <id> \(lost <time>: <error>\)/,
  );
});

Deno.test("AGENT_PROTOCOL.md: runrec writes the outcome word alone; the agent adds the state", async () => {
  const protocol = flat(
    await Deno.readTextFile(new URL("../docs/AGENT_PROTOCOL.md", import.meta.url)),
  );
  assert.match(protocol, /runrec names no observed state itself/);
  const { del } = await makeProject();
  const emitted = await runCli([
    "emit",
    del,
    "--agent",
    "4_DOCUMENTS",
    "--status",
    "SKIPPED_PROTECT_HUMAN_WORK",
  ]);
  assert.equal(emitted.code, 0, emitted.stderr);
  const line = (await Deno.readTextFile(join(del, "RunRecords.csv"))).trimEnd().split("\n")[1];
  assert.match(line, /,SKIPPED,.*,,SKIPPED_PROTECT_HUMAN_WORK(,| \| )/);
  assert.doesNotMatch(line, /SKIPPED_PROTECT_HUMAN_WORK: state/);
});
