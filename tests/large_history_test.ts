/**
 * A large history (tens of thousands of records in one deliverable): `export`
 * in both formats and `log --format json` write their output as they make it,
 * so a real V8 heap limit that holding the whole output would exceed (the
 * code before did: "Invalid string length", or out of memory) is enough;
 * what they write is checked by parsing it. `log` and `export` (both formats)
 * hold no record either (mem-38 F1, F2), and `stale` keeps of each agent its
 * baseline and the runs since (mem-38 F3): they fit 32 MiB, where holding the
 * records ran out of it.
 *
 * @module
 */
import { join } from "node:path";
import { encodeRecord } from "../src/codec.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { END_EVENT_TYPE } from "../src/export/openlineage.ts";
import { inputContextSha } from "../src/manifest.ts";
import { HEADER, runIdPrefix, type RunRecord } from "../src/schema.ts";
import { sha256Hex } from "../src/sha256.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assert, assertEquals } from "./assert.ts";
import { ROOT, sampleRecord, tempDir } from "./fixtures.ts";

/** Records in the file: enough that holding the output whole exceeds {@linkcode HEAP_MB}. */
const RECORDS = 40_000;

/**
 * The V8 old-space limit of each command, in MiB. Measured (docs/BENCHMARKS.md):
 * with 40,000 of these records each command needed 80 to 100 MiB, as the records
 * read were held; the code that built the whole output first needed 140 to
 * 160 MiB for log --format json, and more for export.
 */
const HEAP_MB = 120;

const STATUSES = ["SUCCESS", "SUCCESS", "SUCCESS", "PARTIAL", "FAILED", "SKIPPED"] as const;

/**
 * A deliverable folder whose record file holds `count` runs, one every ten minutes; with
 * `newVersions`, each writes a new version of one of 1,000 files (a PROV entity each).
 */
async function writeLargeHistory(count: number, newVersions = false): Promise<string> {
  const del = join(await tempDir({ prefix: "runrec-large-" }), "DEL-01-02_Large");
  await Deno.mkdir(del);
  const start = Date.parse("2023-01-01T00:00:00Z");
  const lines = [HEADER];
  for (let i = 0; i < count; i++) {
    const timestamp = new Date(start + i * 600_000).toISOString();
    const status = STATUSES[i % STATUSES.length];
    lines.push(encodeRecord(sampleRecord({
      RunID: `${runIdPrefix("DEL-01-02", timestamp)}001`,
      AgentName: `AGENT_${i % 50}`,
      RunTimestamp: timestamp,
      RunStatus: status,
      ErrorSummary: status === "FAILED" || status === "PARTIAL" ? 'it went "wrong", twice' : "",
      Notes: `run ${i}`,
      ...newVersions ? newVersion(`out/Sheet_${i % 1000}.md`, i) : {},
    })));
  }
  await Deno.writeTextFile(join(del, RECORD_FILE), `${lines.join("\n")}\n`);
  return del;
}

/** A run's outputs: version `n` of `path`, and with `datasheet` of Datasheet.md too. */
function newVersion(path: string, n: number, datasheet = false): Partial<RunRecord> {
  const hashes = { [path]: n.toString(16).padStart(64, "0") };
  if (datasheet) hashes["Datasheet.md"] = sha256Hex(`# Producer ${n}\n`);
  return { OutputFiles: Object.keys(hashes), OutputHashes: hashes };
}

let shared: Promise<string> | undefined;

/** The deliverable of {@linkcode RECORDS} runs, written once for every test of this file. */
function largeHistory(): Promise<string> {
  shared ??= writeLargeHistory(RECORDS);
  return shared;
}

/** Runs the CLI under the heap limit, its standard output written to `outFile`. */
async function runLimited(
  args: string[],
  outFile: string,
  heapMb = HEAP_MB,
): Promise<{ code: number; stderr: string }> {
  // The limit joins the V8 flags runrec is run with.
  const flags = FULL_FLAGS.map((flag) =>
    flag.startsWith("--v8-flags=") ? `${flag},--max-old-space-size=${heapMb}` : flag
  );
  if (!flags.some((flag) => flag.startsWith("--v8-flags="))) {
    flags.push(`--v8-flags=--max-old-space-size=${heapMb}`);
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, CLI_ENTRY, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const file = await Deno.open(outFile, { write: true, create: true, truncate: true });
  const [status, , stderr] = await Promise.all([
    child.status,
    child.stdout.pipeTo(file.writable),
    new Response(child.stderr).text(),
  ]);
  return { code: status.code, stderr };
}

Deno.test("large history: export --format openlineage of 40,000 records under a 120 MiB heap writes every event, one JSON object per line", async () => {
  const del = await largeHistory();
  const out = join(await tempDir(), "lineage.jsonl");
  const result = await runLimited(["export", del, "--format", "openlineage"], out);
  assertEquals(result.code, 0, result.stderr.slice(-2000));
  const lines = (await Deno.readTextFile(out)).split("\n");
  assertEquals(lines.pop(), "", "the last line ends in a newline");
  assertEquals(lines.length, 2 * RECORDS);
  const types = new Map<string, number>();
  for (const line of lines) {
    const event = JSON.parse(line) as { eventType: string };
    types.set(event.eventType, (types.get(event.eventType) ?? 0) + 1);
  }
  const expected = new Map([["START", RECORDS]]);
  for (let i = 0; i < RECORDS; i++) {
    const type = END_EVENT_TYPE[STATUSES[i % STATUSES.length]];
    expected.set(type, (expected.get(type) ?? 0) + 1);
  }
  assertEquals(types, expected);
});

Deno.test("large history: export --format prov of 40,000 records under a 120 MiB heap writes one PROV-JSON document with every run", async () => {
  const del = await largeHistory();
  const out = join(await tempDir(), "lineage.json");
  // --out: the document goes through the temporary file, written as it is made.
  const result = await runLimited(["export", del, "--format", "prov", "--out", out], "/dev/null");
  assertEquals(result.code, 0, result.stderr.slice(-2000));
  const document = JSON.parse(await Deno.readTextFile(out)) as Record<string, object>;
  assertEquals(Object.keys(document.activity).length, RECORDS);
  assertEquals(Object.keys(document.wasAssociatedWith).length, RECORDS);
  assertEquals(Object.keys(document.used).length, 2 * RECORDS);
  assertEquals(Object.keys(document.agent).length, 50);
});

Deno.test("large history: export --format openlineage of 40,000 records writes every event under a 32 MiB heap, reading the runs again in order, where holding them ran out of it (mem-38 F2)", async () => {
  const del = await largeHistory();
  const out = join(await tempDir(), "lineage.jsonl");
  const lineage = await runLimited(["export", del, "--format", "openlineage"], out, 32);
  assertEquals(lineage.code, 0, lineage.stderr.slice(-2000));
  const events = (await Deno.readTextFile(out)).trimEnd().split("\n").map((l) => JSON.parse(l));
  assertEquals(events.length, 2 * RECORDS);
  const starts = events.filter((e) => e.eventType === "START").map((e) => e.eventTime);
  const start = Date.parse("2023-01-01T00:00:00Z");
  assertEquals(
    starts,
    Array.from({ length: RECORDS }, (_, i) => new Date(start + i * 600_000).toISOString()),
  );
});

Deno.test("large history: export --format prov of 40,000 records writes one PROV-JSON document with every run under a 32 MiB heap, where holding them stopped with one line: each activity read again from its offset in the activities' order, relations by passes in time order (mem-38 F2)", async () => {
  const del = await largeHistory();
  const out = join(await tempDir(), "lineage.json");
  const prov = await runLimited(["export", del, "--format", "prov"], out, 32);
  assertEquals(prov.code, 0, prov.stderr.slice(-2000));
  const document = JSON.parse(await Deno.readTextFile(out)) as Record<string, object>;
  const activities = Object.values(document.activity) as { "prov:startTime": string }[];
  assertEquals(activities.length, RECORDS);
  assertEquals(new Set(activities.map((a) => a["prov:startTime"])).size, RECORDS, "every run once");
  assertEquals(Object.keys(document.wasAssociatedWith).length, RECORDS);
  assertEquals(Object.keys(document.used).length, 2 * RECORDS);
});

Deno.test("large history: export --format prov of 40,000 runs, each writing a new version of a file, fits a 48 MiB heap: each version's entity is held as its name copied from the record, where an object of attributes holding slices of the record's line ran out of it (mem-39 F4)", async () => {
  const del = await writeLargeHistory(RECORDS, true);
  const out = join(await tempDir(), "lineage.json");
  const prov = await runLimited(["export", del, "--format", "prov"], out, 48);
  assertEquals(prov.code, 0, prov.stderr.slice(-2000));
  const document = JSON.parse(await Deno.readTextFile(out)) as Record<string, object>;
  const entities = Object.values(document.entity) as Record<string, unknown>[];
  // Each run's version, and the two files every run read (one of them hashed).
  assertEquals(entities.length, RECORDS + 2);
  assertEquals(entities.filter((e) => typeof e["runrec:sha256"] === "string").length, RECORDS + 1);
});

Deno.test("large history: log --format json of 40,000 records under a 120 MiB heap writes the whole array", async () => {
  const del = await largeHistory();
  const out = join(await tempDir(), "log.json");
  const result = await runLimited(["log", del, "--format", "json"], out);
  assertEquals(result.code, 0, result.stderr.slice(-2000));
  const records = JSON.parse(await Deno.readTextFile(out)) as { RunID: string; Notes: string }[];
  assertEquals(records.length, RECORDS);
  assertEquals(records.at(-1)!.Notes, `run ${RECORDS - 1}`);
  assert(records.every((r, i) => r.Notes === `run ${i}`), "in time order, every record once");
});

Deno.test("large history: log -n 10 of 40,000 records holds only what it lists: the 10 latest fit a 32 MiB heap", async () => {
  const del = await largeHistory();
  const out = join(await tempDir(), "log.txt");
  const limited = await runLimited(["log", del, "-n", "10", "--format", "jsonl"], out, 32);
  assertEquals(limited.code, 0, limited.stderr.slice(-2000));
  const notes = (await Deno.readTextFile(out)).trim().split("\n").map((l) => JSON.parse(l).Notes);
  assertEquals(notes, Array.from({ length: 10 }, (_, i) => `run ${RECORDS - 10 + i}`));
});

Deno.test("large history: log without -n of 40,000 records lists every one under a 32 MiB heap, in table, jsonl and md --by path, where holding them all ran out of it (mem-38 F1)", async () => {
  const del = await largeHistory();
  const out = join(await tempDir(), "log.txt");
  const runs = Array.from({ length: RECORDS }, (_, i) => i);
  const jsonl = await runLimited(["log", del, "--format", "jsonl"], out, 32);
  assertEquals(jsonl.code, 0, jsonl.stderr.slice(-2000));
  const notes = (await Deno.readTextFile(out)).trim().split("\n").map((l) => JSON.parse(l).Notes);
  assertEquals(notes, runs.map((i) => `run ${i}`));
  // The table is measured in one read and written in another: every row as wide as the widest.
  const table = await runLimited(["log", del], out, 32);
  assertEquals(table.code, 0, table.stderr.slice(-2000));
  const lines = (await Deno.readTextFile(out)).trimEnd().split("\n");
  assertEquals(lines.length, RECORDS + 1);
  const statusAt = lines[0].indexOf("Status");
  assert(lines.slice(1).every((line) => STATUSES.some((s) => line.startsWith(s, statusAt))));
  const md = await runLimited(["log", del, "--format", "md", "--by", "path"], out, 32);
  assertEquals(md.code, 0, md.stderr.slice(-2000));
  const rows = (await Deno.readTextFile(out)).trimEnd().split("\n").slice(2);
  assertEquals(rows.length, RECORDS);
  assert(
    rows.every((row, i) =>
      row.includes(new Date(Date.parse("2023-01-01T00:00:00Z") + i * 600_000).toISOString())
    ),
  );
});

Deno.test("large history: annotate of a run in 40,000 records holds only the annotations: it fits a 32 MiB heap", async () => {
  const del = await largeHistory();
  const copy = join(await tempDir(), "DEL-01-02_Large");
  await Deno.mkdir(copy);
  await Deno.copyFile(join(del, RECORD_FILE), join(copy, RECORD_FILE));
  const last = `${
    runIdPrefix(
      "DEL-01-02",
      new Date(Date.parse("2023-01-01T00:00:00Z") + (RECORDS - 1) * 600_000).toISOString(),
    )
  }001`;
  const out = join(await tempDir(), "annotate.txt");
  const first = await runLimited(
    ["annotate", copy, last, "--invalidates", "--note", "wrong input"],
    out,
    32,
  );
  assertEquals(first.code, 0, first.stderr.slice(-2000));
  // The conflict check under the lock still sees the first annotation.
  const second = await runLimited(
    ["annotate", copy, last, "--invalidates", "--note", "again"],
    out,
    32,
  );
  assertEquals(second.code, 2, second.stderr);
  assert(second.stderr.includes("is already invalidated"), second.stderr);
});

Deno.test("large history: show of one run in 40,000 records holds only that run and the annotations: it fits a 32 MiB heap", async () => {
  const del = await largeHistory();
  const at = new Date(Date.parse("2023-01-01T00:00:00Z") + 123 * 600_000).toISOString();
  const out = join(await tempDir(), "show.json");
  const result = await runLimited(
    ["show", del, `${runIdPrefix("DEL-01-02", at)}001`, "--json"],
    out,
    32,
  );
  assertEquals(result.code, 0, result.stderr.slice(-2000));
  assertEquals(JSON.parse(await Deno.readTextFile(out)).Notes, "run 123");
});

/** The RunID of run `i` of the large history. */
function largeRunId(i: number): string {
  const at = new Date(Date.parse("2023-01-01T00:00:00Z") + i * 600_000).toISOString();
  return `${runIdPrefix("DEL-01-02", at)}001`;
}

Deno.test("large history: stale of 40,000 records keeps of each agent its baseline and the runs since, and the annotations: the checks of 50 agents (one's latest good run invalidated) fit a 32 MiB heap, where holding every record ran out of it (mem-38 F3)", async () => {
  const del = await largeHistory();
  const copy = join(await tempDir(), "DEL-01-02_Large");
  await Deno.mkdir(copy);
  await Deno.copyFile(join(del, RECORD_FILE), join(copy, RECORD_FILE));
  // Each agent's latest SUCCESS or PARTIAL run: AGENT_k ran runs k, k + 50, ….
  const good = (i: number) =>
    STATUSES[i % STATUSES.length] === "SUCCESS" ||
    STATUSES[i % STATUSES.length] === "PARTIAL";
  const latestGood = (agent: number, before = RECORDS) => {
    let i = agent + 50 * Math.floor((before - 1 - agent) / 50);
    while (!good(i)) i -= 50;
    return i;
  };
  const out = join(await tempDir(), "stale.json");
  const annotated = await runLimited(
    ["annotate", copy, largeRunId(latestGood(0)), "--invalidates", "--note", "wrong input"],
    out,
    32,
  );
  assertEquals(annotated.code, 0, annotated.stderr.slice(-2000));
  const all = await runLimited(["stale", copy, "--json"], out, 32);
  // DIRTY: the runs' inputs are not there.
  assertEquals(all.code, 1, all.stderr.slice(-2000));
  const checks = (JSON.parse(await Deno.readTextFile(out)) as {
    checks: { agent: string; verdict: string; baseline: { RunID: string } }[];
  }).checks;
  const expected = Array.from({ length: 50 }, (_, k) => k).map((k) => ({
    agent: `AGENT_${k}`,
    verdict: "DIRTY",
    RunID: largeRunId(k === 0 ? latestGood(0, latestGood(0)) : latestGood(k)),
  })).sort((a, b) => a.agent < b.agent ? -1 : 1);
  assertEquals(
    checks.map((c) => ({ agent: c.agent, verdict: c.verdict, RunID: c.baseline.RunID })),
    expected,
  );
  const one = await runLimited(["stale", copy, "--agent", "AGENT_0", "--json"], out, 32);
  assertEquals(one.code, 1, one.stderr.slice(-2000));
  const only = JSON.parse(await Deno.readTextFile(out)) as {
    checks: { baseline: { RunID: string } }[];
  };
  assertEquals(only.checks.map((c) => c.baseline.RunID), [expected[0].RunID]);
});

Deno.test("large history: stale of 40,000 records while a writer appends runs of a new agent exits with the checks of the 50 agents, each once, as its passes read the lines the first found (mem-38 F3)", async () => {
  const del = await largeHistory();
  const copy = join(await tempDir(), "DEL-01-02_Large");
  await Deno.mkdir(copy);
  await Deno.copyFile(join(del, RECORD_FILE), join(copy, RECORD_FILE));
  const writer = new Deno.Command(Deno.execPath(), {
    // More runs than it records while stale reads (~150/s): still at work when stale ends.
    args: ["run", "-A", join(ROOT, "tests/support/record_loop.ts"), copy, "100000", "9_LATE"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = writer.stdout.pipeThrough(new TextDecoderStream()).getReader();
  // The writer is at work (its first run recorded) before stale starts.
  let written = "";
  while (!written.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) break;
    written += value;
  }
  const out = join(await tempDir(), "stale.json");
  const stale = await runLimited(["stale", copy, "--json"], out, 32);
  writer.kill();
  await writer.status;
  await lines.cancel();
  await writer.stderr.cancel();
  assertEquals(stale.code, 1, stale.stderr.slice(-2000));
  const checks = (JSON.parse(await Deno.readTextFile(out)) as {
    checks: { agent: string; baseline?: { line: number } }[];
  }).checks;
  const agents = checks.map((c) => c.agent);
  assertEquals(agents.filter((a) => a.startsWith("AGENT_")).length, 50);
  assertEquals(agents.length, new Set(agents).size, "each agent once");
  // 9_LATE's baseline, when its runs were read, is one of the lines appended.
  const late = checks.find((c) => c.agent === "9_LATE");
  assert(late === undefined || (late.baseline?.line ?? RECORDS + 2) > RECORDS + 1, String(late));
});

/** A v3.1 register row: `consumer` consumes `producer` (UPSTREAM, ACTIVE). */
function dependencyRow(consumer: string, producer: string): string {
  return [
    "RegisterSchemaVersion,DependencyID,FromPackageID,FromDeliverableID,FromDeliverableName," +
    "DependencyClass,AnchorType,Direction,DependencyType,TargetType,TargetPackageID," +
    "TargetDeliverableID,TargetRefID,TargetName,Statement,Status",
    `v3.1,D1,PKG-01,${consumer},x,INTERFACE,DOC,UPSTREAM,INFORMATION,DELIVERABLE,PKG-01,` +
    `${producer},,name,needs data,ACTIVE`,
  ].join("\n") + "\n";
}

/**
 * A long history of deliverable `id` in `dir`: {@linkcode RECORDS} runs of 50 agents from
 * `offsetMs` past 2023 on, every ten minutes, each reading `read` (a file holding "# Producer")
 * and writing a new version of one of 1,000 files not on disk.
 */
async function writeReadingHistory(
  dir: string,
  id: string,
  read: string,
  offsetMs: number,
  writesDatasheet = false,
): Promise<void> {
  const inputs = { [read]: sha256Hex("# Producer\n") };
  const context = inputContextSha(inputs); // the same for every run: hashed once
  const start = Date.parse("2023-01-01T00:00:00Z") + offsetMs;
  const lines = [HEADER];
  for (let i = 0; i < RECORDS; i++) {
    const timestamp = new Date(start + i * 600_000).toISOString();
    const status = STATUSES[i % STATUSES.length];
    lines.push(encodeRecord(sampleRecord({
      RunID: `${runIdPrefix(id, timestamp)}001`,
      DeliverableID: id,
      AgentName: `AGENT_${i % 50}`,
      RunTimestamp: timestamp,
      RunStatus: status,
      ErrorSummary: status === "FAILED" || status === "PARTIAL" ? "exit 1" : "",
      Notes: `run ${i}`,
      InputFiles: [read],
      InputHashes: inputs,
      InputContextSHA: context,
      ...newVersion(`out/Sheet_${i % 1000}.md`, i, writesDatasheet),
    })));
  }
  await Deno.writeTextFile(join(dir, RECORD_FILE), `${lines.join("\n")}\n`);
}

Deno.test("large history: stale --propagate of a consumer of 40,000 records (50 agents reading the producer, each run writing a new version of a file), its producer run since, says STALE through each agent under a 32 MiB heap: propagation keeps of a long history only the runs its answers ask of (each output's last writer, each agent's latest reader), where holding every good run ran out of it (propmem-40 F1)", async () => {
  const root = join(await tempDir({ prefix: "runrec-large-propagate-" }), "root");
  const working = join(root, "PKG-01_X/1_Working");
  const producer = join(working, "DEL-01-01_Producer");
  const consumer = join(working, "DEL-01-02_Large");
  await Deno.mkdir(producer, { recursive: true });
  await Deno.mkdir(consumer);
  await Deno.writeTextFile(join(root, "INIT.md"), "# Session\n");
  await Deno.writeTextFile(join(producer, "Datasheet.md"), "# Producer\n");
  const start = Date.parse("2023-01-01T00:00:00Z");
  await writeReadingHistory(consumer, "DEL-01-02", "../DEL-01-01_Producer/Datasheet.md", 0);
  await Deno.writeTextFile(
    join(consumer, "Dependencies.csv"),
    dependencyRow("DEL-01-02", "DEL-01-01"),
  );
  // The producer ran after every consumer run: each agent's latest is compared with it.
  const at = new Date(start + RECORDS * 600_000).toISOString();
  await Deno.writeTextFile(
    join(producer, RECORD_FILE),
    `${HEADER}\n${
      encodeRecord(sampleRecord({
        RunID: `${runIdPrefix("DEL-01-01", at)}001`,
        DeliverableID: "DEL-01-01",
        RunTimestamp: at,
        InputFiles: [],
        InputHashes: {},
        InputContextSHA: inputContextSha({}),
        OutputFiles: ["Datasheet.md"],
        OutputHashes: { "Datasheet.md": sha256Hex("# Producer\n") },
      }))
    }\n`,
  );
  const out = join(await tempDir(), "stale.json");
  const result = await runLimited(["stale", consumer, "--propagate", "--json"], out, 32);
  assertEquals(result.code, 1, result.stderr.slice(-2000));
  const report = JSON.parse(await Deno.readTextFile(out)) as {
    stale: {
      deliverableId: string;
      lastRun: { RunID: string };
      reasons: { cause: string; ranSince: { consumerRun: { RunID: string } } }[];
    }[];
  };
  assertEquals(report.stale.map((s) => s.deliverableId), ["DEL-01-02"]);
  const [stale] = report.stale;
  // The consumer's latest good run is its last (39,999 is PARTIAL).
  assertEquals(stale.lastRun.RunID, largeRunId(RECORDS - 1));
  assertEquals(stale.reasons.map((r) => r.cause), Array(50).fill("ranSince"));
  // Each agent's latest good run, compared.
  const good = (i: number) => ["SUCCESS", "PARTIAL"].includes(STATUSES[i % STATUSES.length]);
  const latestGood = (agent: number) => {
    let i = agent + 50 * Math.floor((RECORDS - 1 - agent) / 50);
    while (!good(i)) i -= 50;
    return largeRunId(i);
  };
  assertEquals(
    stale.reasons.map((r) => r.ranSince.consumerRun.RunID).sort(),
    Array.from({ length: 50 }, (_, k) => latestGood(k)).sort(),
  );
});

Deno.test("large history: stale --propagate of two deliverables of 40,000 records that consume each other fits a 32 MiB heap, with room: propagation keeps of each long history only the runs its answers ask of (propmem-40 F1), and look-ups keep the files not found without a stack, which held the scopes of the calls that asked (propmem-40 F3: ~2 MiB of the margin)", async () => {
  const root = join(await tempDir({ prefix: "runrec-large-cycle-" }), "root");
  const working = join(root, "PKG-01_X/1_Working");
  const first = join(working, "DEL-01-01_First");
  const second = join(working, "DEL-01-02_Second");
  await Deno.mkdir(first, { recursive: true });
  await Deno.mkdir(second);
  await Deno.writeTextFile(join(root, "INIT.md"), "# Session\n");
  for (const dir of [first, second]) {
    await Deno.writeTextFile(join(dir, "Datasheet.md"), "# Producer\n");
  }
  // The first's runs write new versions of the Datasheet.md the second reads, each between two
  // of the second's runs.
  await writeReadingHistory(first, "DEL-01-01", "../DEL-01-02_Second/Datasheet.md", 300_000, true);
  await writeReadingHistory(second, "DEL-01-02", "../DEL-01-01_First/Datasheet.md", 0);
  await Deno.writeTextFile(
    join(first, "Dependencies.csv"),
    dependencyRow("DEL-01-01", "DEL-01-02"),
  );
  await Deno.writeTextFile(
    join(second, "Dependencies.csv"),
    dependencyRow("DEL-01-02", "DEL-01-01"),
  );
  const out = join(await tempDir(), "stale.json");
  const result = await runLimited(["stale", root, "--propagate", "--json"], out, 32);
  assertEquals(result.code, 1, result.stderr.slice(-2000));
  const report = JSON.parse(await Deno.readTextFile(out)) as {
    checks: unknown[];
    stale: { deliverableId: string; reasons: unknown[] }[];
    cycles: string[][];
  };
  assertEquals(report.checks.length, 100);
  assertEquals(report.cycles, [["DEL-01-01", "DEL-01-02", "DEL-01-01"]]);
  // The first's last run rewrote what each agent of the second read last, with other bytes.
  assertEquals(report.stale.map((s) => [s.deliverableId, s.reasons.length]), [["DEL-01-02", 50]]);
});

/**
 * A deliverable of {@linkcode RECORDS} runs whose every sixth run recorded the bytes its output
 * holds now: stale keeps those (whose the file is is told by bytes), 6,667 records, which fit a
 * 32 MiB heap one history at a time, not two.
 */
async function historyOfFilesNow(): Promise<string> {
  const del = join(await tempDir({ prefix: "runrec-large-" }), "DEL-01-02_Large");
  await Deno.mkdir(del);
  await Deno.writeTextFile(join(del, "Sheet.md"), "v0\n");
  filesNowText ??= filesNowHistory();
  await Deno.writeTextFile(join(del, RECORD_FILE), filesNowText);
  return del;
}

/** The record file of {@linkcode historyOfFilesNow}: made once, as each deliverable's is the same. */
let filesNowText: string | undefined;

/** The text of {@linkcode historyOfFilesNow}'s record file. */
function filesNowHistory(): string {
  const sheets = Array.from({ length: 6 }, (_, v) => sha256Hex(`v${v}\n`)); // hashed once each
  const start = Date.parse("2023-01-01T00:00:00Z");
  const lines = [HEADER];
  for (let i = 0; i < RECORDS; i++) {
    const timestamp = new Date(start + i * 600_000).toISOString();
    const status = STATUSES[i % STATUSES.length];
    lines.push(encodeRecord(sampleRecord({
      RunID: `${runIdPrefix("DEL-01-02", timestamp)}001`,
      AgentName: `AGENT_${i % 50}`,
      RunTimestamp: timestamp,
      RunStatus: status,
      ErrorSummary: status === "FAILED" || status === "PARTIAL" ? "exit 1" : "",
      Notes: `run ${i}`,
      OutputFiles: ["Sheet.md"],
      OutputHashes: { "Sheet.md": sheets[i % 6] },
    })));
  }
  return `${lines.join("\n")}\n`;
}

Deno.test("large history: stale of two deliverables of 40,000 records, each keeping 6,667 runs whose output is on disk now, fits a 32 MiB heap: long histories are checked one at a time, not as many at once as are checked (propmem-40 F2)", async () => {
  const first = await historyOfFilesNow();
  const second = await historyOfFilesNow();
  const out = join(await tempDir(), "stale.json");
  const result = await runLimited(["stale", first, second, "--json"], out, 32);
  assertEquals(result.code, 1, result.stderr.slice(-2000));
  const checks = (JSON.parse(await Deno.readTextFile(out)) as { checks: { folder: string }[] })
    .checks;
  assertEquals(checks.length, 100);
  assertEquals(new Set(checks.map((c) => c.folder)).size, 2);
});
