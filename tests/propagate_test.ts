/**
 * `runrec stale --propagate` on a host-shaped execution root, as a user
 * trial built it: a deliverable named alone gets the answer its root gives,
 * RETIRED deliverables, register rows that name no deliverable or do not
 * parse, every reason of a STALE entry, cycles, and which run of a consumer
 * a producer's "ran since" is compared with.
 *
 * @module
 */
import { join } from "node:path";
import { parseDependencies, readDependencies } from "../src/dependencies.ts";
import { checkStaleness, type StaleDeliverable } from "../src/stale.ts";
import { readRecords } from "../src/reader.ts";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { ROOT, tempDir, writeTree } from "./fixtures.ts";
import { seededRandom } from "./seed.ts";

const WORKING = "PKG-02_Piping/1_Working";
const FOLDERS: Record<string, [string, string]> = {
  "DEL-02-01": ["DEL-02-01_Pump", "OPEN"],
  "DEL-02-02": ["DEL-02-02_Valve", "INITIALIZED"],
  "DEL-02-03": ["DEL-02-03_Pipe", "SEMANTIC_READY"],
  "DEL-02-04": ["DEL-02-04_CycA", "INITIALIZED"],
  "DEL-02-05": ["DEL-02-05_CycB", "INITIALIZED"],
  "DEL-02-06": ["DEL-02-06_Retired", "RETIRED"],
  "DEL-02-07": ["DEL-02-07_AfterRetired", "OPEN"],
};

const HEADER = "RegisterSchemaVersion,DependencyID,FromPackageID,FromDeliverableID," +
  "FromDeliverableName,DependencyClass,AnchorType,Direction,DependencyType,TargetType," +
  "TargetPackageID,TargetDeliverableID,TargetRefID,TargetName,Statement,Status";

/** A v3.1 row: `from` consumes `target` (UPSTREAM). */
function row(id: string, from: string, target: string, status = "ACTIVE"): string {
  return `v3.1,${id},PKG-02,${from},x,INTERFACE,DOC,UPSTREAM,INFORMATION,DELIVERABLE,PKG-02,` +
    `${target},,name,"needs, data",${status}`;
}

/** A host-shaped execution root with the deliverables of {@linkcode FOLDERS}. */
async function buildRoot(): Promise<{ root: string; dir: (id: string) => string }> {
  const root = join(await tempDir({ prefix: "runrec-propagate-" }), "root");
  const files: Record<string, string> = {
    "INIT.md": "# Session\n",
    "_Decomposition/Decomp.md": "# Decomposition\n",
  };
  for (const [id, [name, state]] of Object.entries(FOLDERS)) {
    const at = `${WORKING}/${name}`;
    files[`${at}/_STATUS.md`] = `# Status: ${id}\n\n**Current State:** ${state}  \n`;
    files[`${at}/_CONTEXT.md`] = `# Deliverable Context\n\n**DeliverableID:** ${id}\n`;
    files[`${at}/Datasheet.md`] = `# Datasheet ${id}\n`;
  }
  await writeTree(root, files);
  return { root, dir: (id) => join(root, WORKING, FOLDERS[id][0]) };
}

/** Writes a deliverable's register. */
async function register(dir: string, ...rows: string[]): Promise<void> {
  await Deno.writeTextFile(join(dir, "Dependencies.csv"), [HEADER, ...rows].join("\n") + "\n");
}

/** An ISO instant `minutes` minutes ago: runs are ordered by their times, not by waiting. */
function ago(minutes: number): string {
  return new Date(Date.now() - minutes * 60_000).toISOString();
}

/** Records a SUCCESS run that started `minutes` ago and took one minute; returns its RunID. */
function run(dir: string, agent: string, minutes: number, ...inputs: string[]) {
  return runWriting(dir, agent, minutes, [], ...inputs);
}

/** As {@linkcode run}, naming `outputs` as written too (their hashes as the files are now). */
async function runWriting(
  dir: string,
  agent: string,
  minutes: number,
  outputs: string[],
  ...inputs: string[]
) {
  const args = ["emit", dir, "--agent", agent, "--status", "SUCCESS", "--started", ago(minutes)];
  args.push("--duration", "PT1M", ...inputs.flatMap((i) => ["--input", i]));
  args.push(...outputs.flatMap((o) => ["--output", o]));
  const result = await runCli(args);
  assertEquals(result.code, 0, result.stderr);
  let last = "";
  for await (const event of readRecords(join(dir, "RunRecords.csv"))) {
    if (event.kind === "record") last = event.record.RunID;
  }
  return last;
}

/** A STALE entry's reasons, each as its chain of IDs and how it starts. */
function reasons(entry: StaleDeliverable | undefined): string[] {
  assert(entry, "no such STALE entry");
  return entry.reasons.map((r) =>
    [r.chain[0].producer, ...r.chain.map((e) => e.consumer)].join(">") +
    (r.ranSince
      ? ` ran since ${r.ranSince.consumerRun.RunID}`
      : r.invalidated
      ? ` invalidated ${r.invalidated.RunID} read by ${r.invalidated.consumerRun.RunID}`
      : " dirty")
  );
}

/** `stale --propagate --json` of `targets`, run as a real process. */
async function staleJson(...targets: string[]) {
  const result = await runCliProcess(["stale", ...targets, "--propagate", "--json"]);
  return { code: result.code, json: JSON.parse(result.stdout), stderr: result.stderr };
}

/** The JSON entry of `id` in the STALE list, `undefined` when it is not STALE. */
function entryOf(json: { stale: StaleDeliverable[] }, id: string): StaleDeliverable | undefined {
  return json.stale.find((s) => s.deliverableId === id);
}

Deno.test("stale --propagate: a deliverable named alone gets its execution root's answer (DIRTY two hops up, ran since, a cycle); the upstream ones checked are named", async () => {
  const { root, dir } = await buildRoot();
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await register(dir("DEL-02-03"), row("D3", "DEL-02-03", "DEL-02-02"));
  await register(dir("DEL-02-04"), row("D4", "DEL-02-04", "DEL-02-05"));
  await register(dir("DEL-02-05"), row("D5", "DEL-02-05", "DEL-02-04"));
  await run(dir("DEL-02-01"), "DEPENDENCIES", 50, "Datasheet.md");
  await run(dir("DEL-02-02"), "DEPENDENCIES", 40, "Datasheet.md");
  await run(dir("DEL-02-03"), "DEPENDENCIES", 30, "Datasheet.md");
  await run(dir("DEL-02-04"), "DEPENDENCIES", 20, "Datasheet.md");
  await run(dir("DEL-02-05"), "DEPENDENCIES", 10, "Datasheet.md"); // ran since DEL-02-04
  await Deno.writeTextFile(join(dir("DEL-02-01"), "Datasheet.md"), "rev\n", { append: true });

  const whole = await staleJson(root);
  assertEquals(whole.code, 1);
  assertEquals(whole.json.stale.map((s: StaleDeliverable) => s.deliverableId), [
    "DEL-02-02",
    "DEL-02-03",
    "DEL-02-04",
  ]);
  for (const id of ["DEL-02-03", "DEL-02-04"]) {
    const alone = await staleJson(dir(id));
    assertEquals(alone.code, 1, `${id} alone`);
    assertEquals(reasons(entryOf(alone.json, id)), reasons(entryOf(whole.json, id)), id);
    assertEquals(alone.json.summary.checks, 1);
  }
  assertEquals(reasons(entryOf(whole.json, "DEL-02-03")), ["DEL-02-01>DEL-02-02>DEL-02-03 dirty"]);
  // A deliverable in a cycle checked alone: the cycle is found; it is not STALE through its own
  // run (that chain comes back to where it starts), the other one is.
  const cycleAlone = await staleJson(dir("DEL-02-05"));
  assertEquals(cycleAlone.json.cycles, [["DEL-02-04", "DEL-02-05", "DEL-02-04"]]);
  assertEquals(entryOf(cycleAlone.json, "DEL-02-05"), undefined);
  assertEquals(
    reasons(entryOf(cycleAlone.json, "DEL-02-04")),
    reasons(entryOf(whole.json, "DEL-02-04")),
  );

  // Only what is upstream is checked, and the text says which.
  const text = await runCliProcess(["stale", dir("DEL-02-03"), "--propagate"]);
  assertEquals(text.code, 1);
  assertIncludes(
    text.stdout,
    "upstream of the targets, checked for --propagate: DEL-02-01, DEL-02-02\n",
  );
  const alone = await staleJson(dir("DEL-02-03"));
  assertEquals(
    alone.json.upstream.map((c: { deliverableId: string; verdict: string }) =>
      `${c.deliverableId} ${c.verdict}`
    ),
    ["DEL-02-01 DIRTY", "DEL-02-02 CLEAN"],
  );

  // The producer runs again (CLEAN now): its consumer "ran since", checked alone as well.
  await run(dir("DEL-02-01"), "DEPENDENCIES", 5, "Datasheet.md");
  await run(dir("DEL-02-02"), "DEPENDENCIES", 3, "Datasheet.md");
  const ranSince = await staleJson(dir("DEL-02-03"));
  assertEquals(ranSince.code, 1);
  assertEquals(
    reasons(entryOf(ranSince.json, "DEL-02-03")),
    reasons(entryOf((await staleJson(root)).json, "DEL-02-03")),
  );
  assertEquals(reasons(entryOf(ranSince.json, "DEL-02-03")).map((r) => r.split(" ")[0]), [
    "DEL-02-02>DEL-02-03",
  ]);
});

Deno.test("stale --propagate: a RETIRED deliverable is never STALE (listed apart, exit 0), nothing is STALE through it, but a run it made since its consumer read it counts", async () => {
  const { root, dir } = await buildRoot();
  await register(dir("DEL-02-06"), row("D6", "DEL-02-06", "DEL-02-01"));
  await register(dir("DEL-02-07"), row("D7", "DEL-02-07", "DEL-02-06"));
  await run(dir("DEL-02-01"), "DEPENDENCIES", 30, "Datasheet.md");
  await run(dir("DEL-02-06"), "DEPENDENCIES", 20, "Datasheet.md");
  await run(dir("DEL-02-07"), "DEPENDENCIES", 10, "Datasheet.md");
  await run(dir("DEL-02-01"), "DEPENDENCIES", 5, "Datasheet.md"); // ran since DEL-02-06
  for (const targets of [[dir("DEL-02-06"), dir("DEL-02-07")], [root]]) {
    const { code, json } = await staleJson(...targets);
    assertEquals(code, 0, JSON.stringify(json.stale));
    assertEquals(json.stale, []);
    assertEquals(json.retired.map((s: StaleDeliverable) => s.deliverableId), ["DEL-02-06"]);
  }
  const text = await runCliProcess(["stale", dir("DEL-02-06"), "--propagate"]);
  assertEquals(text.code, 0);
  assertIncludes(text.stdout, "(RETIRED in _STATUS.md: not STALE, not counted)");
  assertIncludes(text.stdout, "1 RETIRED not counted");
  // Not RETIRED any more: STALE, and so is its consumer.
  await Deno.writeTextFile(join(dir("DEL-02-06"), "_STATUS.md"), "**Current State:** OPEN\n");
  const { code, json } = await staleJson(root);
  assertEquals(code, 1);
  assertEquals(json.stale.map((s: StaleDeliverable) => s.deliverableId), [
    "DEL-02-06",
    "DEL-02-07",
  ]);
  // RETIRED again, and it ran since its consumer read it: that consumer is STALE all the same.
  await Deno.writeTextFile(join(dir("DEL-02-06"), "_STATUS.md"), "**Current State:** RETIRED\n");
  await run(dir("DEL-02-06"), "DEPENDENCIES", 2, "Datasheet.md");
  const since = await staleJson(root);
  assertEquals(since.code, 1);
  assertEquals(since.json.stale.map((s: StaleDeliverable) => s.deliverableId), ["DEL-02-07"]);
  const reason = entryOf(since.json, "DEL-02-07")!.reasons[0];
  assertEquals(reason.chain[0].producer, "DEL-02-06");
  assert(reason.ranSince !== undefined);
});

Deno.test("stale --propagate: an ACTIVE row naming a deliverable that does not exist is warned about with file and line", async () => {
  const { root, dir } = await buildRoot();
  await register(
    dir("DEL-02-03"),
    row("D3", "DEL-02-03", "DEL-02-02"),
    row("D4", "DEL-02-03", "DEL-02-06", "RETIRED"),
    row("D5", "DEL-02-03", "DEL-09-09"),
  );
  await run(dir("DEL-02-03"), "DEPENDENCIES", 10, "Datasheet.md");
  const result = await runCliProcess(["stale", dir("DEL-02-03"), "--propagate"]);
  assertEquals(result.code, 0, result.stderr);
  assertEquals(
    result.stderr,
    `runrec stale: warning: ${join(dir("DEL-02-03"), "Dependencies.csv")} line 4: ` +
      `TargetDeliverableID DEL-09-09 names no deliverable under ${root}; row not followed\n`,
  );
});

Deno.test("stale --propagate: a register row whose quote is never closed is skipped with its line; the other rows are followed", async () => {
  const { root, dir } = await buildRoot();
  const unclosed = row("D9", "DEL-02-03", "DEL-02-04").replace('"needs, data"', '"needs, data');
  await register(dir("DEL-02-03"), row("D3", "DEL-02-03", "DEL-02-02"), unclosed);
  await register(
    dir("DEL-02-05"),
    unclosed.replaceAll("DEL-02-03", "DEL-02-05"),
    row("D5", "DEL-02-05", "DEL-02-02"),
  );
  await run(dir("DEL-02-03"), "DEPENDENCIES", 10, "Datasheet.md");
  await run(dir("DEL-02-05"), "DEPENDENCIES", 10, "Datasheet.md");
  await run(dir("DEL-02-02"), "DEPENDENCIES", 5, "Datasheet.md"); // ran since both
  const { code, json } = await staleJson(root);
  assertEquals(code, 1);
  assertEquals(json.stale.map((s: StaleDeliverable) => s.deliverableId), [
    "DEL-02-03",
    "DEL-02-05",
  ]);
  assertEquals(json.warnings, [
    `${join(dir("DEL-02-03"), "Dependencies.csv")} line 3: a quoted field is never closed; ` +
    "that row is skipped",
    `${join(dir("DEL-02-05"), "Dependencies.csv")} line 2: a quoted field is never closed; ` +
    "that row is skipped",
  ]);
  // In the reader: the rows before and after the bad one, nothing of it.
  const text = [
    HEADER,
    row("A", "DEL-01-02", "DEL-01-01"),
    '"open',
    row("B", "DEL-01-03", "DEL-01-01"),
  ]
    .join("\n");
  const parsed = parseDependencies(text, "R.csv");
  assertEquals(parsed.edges.map((e) => [e.dependencyId, e.line]), [["A", 2], ["B", 4]]);
  assertEquals(parsed.warnings, [
    "R.csv line 3: a quoted field is never closed; that row is skipped",
  ]);
});

Deno.test("stale --propagate: a STALE entry lists every reason (downstream of a DIRTY producer and one that ran since), each with its cause, and names its own last run, each run with its line (trial-v F5)", async () => {
  const { root, dir } = await buildRoot();
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await register(dir("DEL-02-03"), row("D3", "DEL-02-03", "DEL-02-02"));
  await run(dir("DEL-02-01"), "DEPENDENCIES", 50, "Datasheet.md");
  const own = await run(dir("DEL-02-03"), "DEPENDENCIES", 40, "Datasheet.md");
  const producer = await run(dir("DEL-02-02"), "DEPENDENCIES", 30, "Datasheet.md");
  await Deno.writeTextFile(join(dir("DEL-02-01"), "Datasheet.md"), "rev\n", { append: true });
  const { json } = await staleJson(dir("DEL-02-03"));
  const entry = entryOf(json, "DEL-02-03");
  assertEquals(entry?.lastRun?.RunID, own);
  assertEquals(reasons(entry), [
    `DEL-02-02>DEL-02-03 ran since ${own}`,
    "DEL-02-01>DEL-02-02>DEL-02-03 dirty",
  ]);
  assertEquals(entry?.reasons[0].ranSince?.RunID, producer);
  // Said in the JSON too, and each run with its line (two records may share a RunID; trial-v F5).
  assertEquals(entry?.reasons.map((r) => r.cause), ["ranSince", "dirty"]);
  assertEquals(entry?.lastRun?.line, 2);
  assertEquals(entry?.reasons[0].ranSince?.line, 2);
  assertEquals(entry?.reasons[0].ranSince?.consumerRun.line, 2);
  const text = await runCliProcess(["stale", root, "--propagate"]);
  assertIncludes(
    text.stdout,
    `STALE        DEL-02-03  last run ${own}  ${dir("DEL-02-03")}\n` +
      `  via DEL-02-02 → DEL-02-03 [D3]  (DEL-02-02's ${producer} ran since DEL-02-03's ${own})\n` +
      "  via DEL-02-01 → DEL-02-02 [D2] → DEL-02-03 [D3]  (DEL-02-01 is DIRTY)\n",
  );
});

Deno.test("stale --propagate: ran since is cleared only by a consumer run that read the producer's files, when one ever did; else by any run", async () => {
  const { dir } = await buildRoot();
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await register(dir("DEL-02-03"), row("D3", "DEL-02-03", "DEL-02-02"));
  await run(dir("DEL-02-01"), "DEPENDENCIES", 50, "Datasheet.md");
  // DEL-02-02's DEPENDENCIES reads DEL-02-01's datasheet; DEL-02-03 names nothing of DEL-02-02.
  const reader = await run(
    dir("DEL-02-02"),
    "DEPENDENCIES",
    40,
    "Datasheet.md",
    "../DEL-02-01_Pump/Datasheet.md",
  );
  await run(dir("DEL-02-03"), "DEPENDENCIES", 35, "Datasheet.md");
  await run(dir("DEL-02-01"), "DEPENDENCIES", 30, "Datasheet.md"); // ran since DEL-02-02
  await run(dir("DEL-02-02"), "CHIRALITY_LENS", 20, "Datasheet.md"); // reads nothing upstream
  await run(dir("DEL-02-03"), "CHIRALITY_LENS", 10, "Datasheet.md"); // any run counts here
  const report = await checkStaleness([dir("DEL-02-02"), dir("DEL-02-03")], { propagate: true });
  // DEL-02-03 only through DEL-02-02: its own later run cleared DEL-02-02's "ran since".
  assertEquals(report.stale.map((s) => [s.deliverableId, reasons(s)]), [
    ["DEL-02-02", [`DEL-02-01>DEL-02-02 ran since ${reader}`]],
    ["DEL-02-03", [`DEL-02-01>DEL-02-02>DEL-02-03 ran since ${reader}`]],
  ]);
  // The agent that reads the producer runs again: nothing is STALE.
  await run(dir("DEL-02-02"), "DEPENDENCIES", 5, "../DEL-02-01_Pump/Datasheet.md");
  await run(dir("DEL-02-03"), "CHIRALITY_LENS", 2, "Datasheet.md");
  const after = await checkStaleness([dir("DEL-02-02"), dir("DEL-02-03")], { propagate: true });
  assertEquals(after.stale, []);
});

Deno.test("stale --propagate --agent: the agent limits the checks reported, not propagation: a consumer of a producer DIRTY for another agent is STALE", async () => {
  const { root, dir } = await buildRoot();
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await run(dir("DEL-02-01"), "4_DOCUMENTS", 50, "_CONTEXT.md");
  await run(dir("DEL-02-01"), "DEPENDENCIES", 40, "Datasheet.md");
  await run(dir("DEL-02-02"), "4_DOCUMENTS", 30, "_CONTEXT.md");
  // DEL-02-01 is DIRTY for its DEPENDENCIES run only.
  await Deno.writeTextFile(join(dir("DEL-02-01"), "Datasheet.md"), "rev\n", { append: true });
  const agent = ["--agent", "4_DOCUMENTS"];
  // Named alone: the upstream DEL-02-01 is checked (and shown) for every agent.
  const alone = await runCliProcess(["stale", dir("DEL-02-02"), "--propagate", "--json", ...agent]);
  assertEquals(alone.code, 1, alone.stdout);
  const aloneJson = JSON.parse(alone.stdout);
  assertEquals(reasons(entryOf(aloneJson, "DEL-02-02")), ["DEL-02-01>DEL-02-02 dirty"]);
  assertEquals(
    aloneJson.upstream.map((c: { agent: string; verdict: string }) => `${c.agent} ${c.verdict}`),
    ["4_DOCUMENTS CLEAN", "DEPENDENCIES DIRTY"],
  );
  // The whole root: only 4_DOCUMENTS checks are reported, DEL-02-02 is STALE all the same.
  const whole = await runCliProcess(["stale", root, "--propagate", "--json", ...agent]);
  assertEquals(whole.code, 1, whole.stdout);
  const wholeJson = JSON.parse(whole.stdout);
  assertEquals(reasons(entryOf(wholeJson, "DEL-02-02")), ["DEL-02-01>DEL-02-02 dirty"]);
  assert(wholeJson.checks.every((c: { agent: string }) => c.agent === "4_DOCUMENTS"));
  assertEquals(wholeJson.summary.DIRTY, 0);
});

Deno.test("stale --propagate: ran since compares the producer's run that ended last: a short parallel run started later does not hide a long one", async () => {
  const { dir } = await buildRoot();
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  const emit = async (del: string, agent: string, minutes: number, duration: string) => {
    const result = await runCli([
      "emit",
      del,
      "--agent",
      agent,
      "--status",
      "SUCCESS",
      "--input",
      "Datasheet.md",
      "--started",
      ago(minutes),
      "--duration",
      duration,
    ]);
    assertEquals(result.code, 0, result.stderr);
  };
  // Producer: a long run from 300 to 120 minutes ago; the consumer ran 180 minutes ago, in it.
  await emit(dir("DEL-02-01"), "4_DOCUMENTS", 300, "PT3H");
  await emit(dir("DEL-02-02"), "4_DOCUMENTS", 180, "PT1M");
  const before = await checkStaleness([dir("DEL-02-02")], { propagate: true });
  assertEquals(before.stale.map((s) => s.deliverableId), ["DEL-02-02"]);
  const long = before.stale[0].reasons[0].ranSince!.RunID;
  // A short run of another agent on the producer, started later, ended before the consumer ran.
  await emit(dir("DEL-02-01"), "CHIRALITY_LENS", 240, "PT1M");
  const after = await checkStaleness([dir("DEL-02-02")], { propagate: true });
  assertEquals(after.stale.map((s) => s.deliverableId), ["DEL-02-02"]);
  assertEquals(after.stale[0].reasons[0].ranSince!.RunID, long);
});

Deno.test("stale --propagate: a copy of the project nested in the root is its own graph: its deliverables of the same IDs do not hide a STALE", async () => {
  const { root, dir } = await buildRoot();
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await run(dir("DEL-02-02"), "4_DOCUMENTS", 20, "Datasheet.md");
  await run(dir("DEL-02-01"), "4_DOCUMENTS", 10, "Datasheet.md"); // ran since DEL-02-02
  // An old copy of the project (no runs, one RETIRED) archived inside the root.
  const copy = await buildRoot();
  await register(copy.dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await Deno.writeTextFile(
    join(copy.dir("DEL-02-02"), "_STATUS.md"),
    "**Current State:** RETIRED\n",
  );
  const archive = join(root, "AAA", "old");
  await Deno.mkdir(join(root, "AAA"));
  await Deno.rename(copy.root, archive);
  for (
    const targets of [[root], [dir("DEL-02-02")], [dir("DEL-02-02"), archive], [
      archive,
      dir("DEL-02-02"),
    ]]
  ) {
    const { code, json } = await staleJson(...targets);
    assertEquals(code, 1, targets.join(" "));
    const entry = entryOf(json, "DEL-02-02");
    assertEquals(entry?.folder, dir("DEL-02-02"));
    assertEquals(json.retired, []);
    assert(
      json.upstream.every((c: { folder: string }) => !c.folder.startsWith(archive)),
      JSON.stringify(json.upstream),
    );
  }
});

Deno.test("stale --propagate: two folders of one root with the ID a register row names (a backup copy) are refused, naming both, exit 2", async () => {
  const { root, dir } = await buildRoot();
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await run(dir("DEL-02-01"), "4_DOCUMENTS", 30, "Datasheet.md");
  await run(dir("DEL-02-02"), "4_DOCUMENTS", 20, "Datasheet.md");
  const backup = join(root, WORKING, "DEL-02-01_A_backup");
  const cp = await new Deno.Command("cp", { args: ["-r", dir("DEL-02-01"), backup] }).output();
  assertEquals(cp.code, 0);
  await run(dir("DEL-02-01"), "4_DOCUMENTS", 10, "Datasheet.md"); // ran since DEL-02-02
  const result = await runCliProcess(["stale", root, "--propagate"]);
  assertEquals(result.code, 2, result.stdout);
  assertEquals(result.stdout, "");
  assertIncludes(result.stderr, "DEL-02-01 is the ID of 2 folders");
  assertIncludes(result.stderr, "): --propagate cannot tell which one this row means");
  assertIncludes(result.stderr, backup);
  // The library names its own option (leftovers-51 6).
  let said = "";
  await checkStaleness([root], { propagate: true }).catch((e) => said = e.message);
  assertIncludes(said, "): propagate cannot tell which one this row means");
  assertEquals(result.stderr.trim().split("\n").length, 1, result.stderr);
  // Without --propagate each folder is checked on its own, as before.
  assertEquals((await runCliProcess(["stale", root])).code, 0);
});

Deno.test("stale --propagate: a row naming its own deliverable as producer is a cycle of one, warned about and not followed: a rerun makes it current", async () => {
  const { root, dir } = await buildRoot();
  await register(dir("DEL-02-01"), row("D1", "DEL-02-01", "DEL-02-01"));
  await run(dir("DEL-02-01"), "4_DOCUMENTS", 10, "Datasheet.md");
  const { code, json, stderr } = await staleJson(root);
  assertEquals(code, 0, JSON.stringify(json.stale));
  assertEquals(json.stale, []);
  assertEquals(json.cycles, [["DEL-02-01", "DEL-02-01"]]);
  assertEquals(json.warnings, [
    `${join(dir("DEL-02-01"), "Dependencies.csv")} line 2: DEL-02-01 depends on itself ` +
    "(a cycle of one); row not followed: remove it",
  ]);
  assertEquals(stderr, "");
  const text = await runCliProcess(["stale", dir("DEL-02-01"), "--propagate"]);
  assertEquals(text.code, 0);
  assertIncludes(text.stdout, "cycle        DEL-02-01 → DEL-02-01\n");
});

Deno.test("stale --propagate: a row naming as its own producer an ID no folder has is warned of as naming no deliverable, not listed as a cycle of one (cycle37 F4)", async () => {
  const { root, dir } = await buildRoot();
  await register(dir("DEL-02-01"), row("D9", "DEL-02-09", "DEL-02-09"));
  const { code, json } = await staleJson(root);
  assertEquals([code, json.cycles], [0, []]);
  assertEquals(json.warnings, [
    `${join(dir("DEL-02-01"), "Dependencies.csv")} line 2: TargetDeliverableID DEL-02-09 ` +
    `names no deliverable under ${root}; row not followed`,
  ]);
});

Deno.test("stale --propagate: a deliverable named alone is told of a cycle of one as of other cycles, when it is that deliverable, upstream or downstream of it: not of another's (cycle37 F5)", async () => {
  const { dir } = await buildRoot();
  await register(dir("DEL-02-01"), row("D1", "DEL-02-01", "DEL-02-01"));
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await register(dir("DEL-02-04"), row("D4", "DEL-02-04", "DEL-02-05"));
  await register(dir("DEL-02-05"), row("D5", "DEL-02-05", "DEL-02-04"));
  const cyclesOf = async (id: string) => (await staleJson(dir(id))).json.cycles;
  assertEquals(await cyclesOf("DEL-02-01"), [["DEL-02-01", "DEL-02-01"]]);
  assertEquals(await cyclesOf("DEL-02-02"), [["DEL-02-01", "DEL-02-01"]]);
  assertEquals(await cyclesOf("DEL-02-04"), [["DEL-02-04", "DEL-02-05", "DEL-02-04"]]);
  assertEquals(await cyclesOf("DEL-02-03"), []);
});

Deno.test("stale --propagate: a deliverable named alone is not told of a sibling's cycles, downstream of its producer but not of it (a seed of the propagate oracle found it)", async () => {
  const { dir } = await buildRoot();
  // DEL-02-02 and DEL-02-03 both consume DEL-02-01; DEL-02-03 consumes itself too, and DEL-02-04
  // (another consumer of DEL-02-01) and DEL-02-05 consume each other.
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await register(
    dir("DEL-02-03"),
    row("D3", "DEL-02-03", "DEL-02-01"),
    row("D6", "DEL-02-03", "DEL-02-03"),
  );
  await register(
    dir("DEL-02-04"),
    row("D4", "DEL-02-04", "DEL-02-01"),
    row("D7", "DEL-02-04", "DEL-02-05"),
  );
  await register(dir("DEL-02-05"), row("D5", "DEL-02-05", "DEL-02-04"));
  const cyclesOf = async (id: string) => (await staleJson(dir(id))).json.cycles;
  assertEquals(await cyclesOf("DEL-02-02"), []);
  assertEquals(await cyclesOf("DEL-02-03"), [["DEL-02-03", "DEL-02-03"]]);
  assertEquals(await cyclesOf("DEL-02-05"), [["DEL-02-04", "DEL-02-05", "DEL-02-04"]]);
  // Their producer is upstream or downstream of each: it is told of both.
  assertEquals(await cyclesOf("DEL-02-01"), [
    ["DEL-02-03", "DEL-02-03"],
    ["DEL-02-04", "DEL-02-05", "DEL-02-04"],
  ]);
});

Deno.test("stale --propagate through a symbolic link to a deliverable folder reads its real execution root's graph: the STALE is kept", async () => {
  const { root, dir } = await buildRoot();
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await run(dir("DEL-02-02"), "4_DOCUMENTS", 20, "Datasheet.md");
  await run(dir("DEL-02-01"), "4_DOCUMENTS", 10, "Datasheet.md"); // ran since DEL-02-02
  // A convenience link outside the root, to the consumer's folder.
  const link = join(root, "..", "valve");
  await Deno.symlink(dir("DEL-02-02"), link);
  const { code, json, stderr } = await staleJson(link);
  assertEquals(code, 1, JSON.stringify(json));
  assertEquals(reasons(entryOf(json, "DEL-02-02")), [
    `DEL-02-01>DEL-02-02 ran since ${entryOf(json, "DEL-02-02")!.lastRun!.RunID}`,
  ]);
  assertEquals(json.warnings, []);
  assertEquals(stderr, "");
  // Named both ways, it is one deliverable: one check, as log and export count it.
  const both = await staleJson(link, dir("DEL-02-02"));
  assertEquals(both.code, 1);
  assertEquals(both.json.checks.length, 1, JSON.stringify(both.json.checks));
  assertEquals(both.json.stale.length, 1);
});

Deno.test("stale warns about spooled records and runs not finished of the deliverables it reads (a producer's spooled run would be STALE), naming flush and finish", async () => {
  const { dir } = await buildRoot();
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await run(dir("DEL-02-01"), "4_DOCUMENTS", 30, "Datasheet.md");
  await run(dir("DEL-02-02"), "4_DOCUMENTS", 20, "Datasheet.md");
  // The producer's newer run cannot be appended (something in the way): it waits in the spool.
  const file = join(dir("DEL-02-01"), "RunRecords.csv");
  await Deno.rename(file, `${file}.away`);
  await Deno.mkdir(file);
  const spooled = await runCli([
    "emit",
    dir("DEL-02-01"),
    "--agent",
    "4_DOCUMENTS",
    "--status",
    "SUCCESS",
    "--started",
    ago(10),
    "--duration",
    "PT1M",
  ]);
  assertEquals(spooled.code, 0, spooled.stderr);
  await Deno.remove(file);
  await Deno.rename(`${file}.away`, file);
  // Named alone, the consumer's upstream producer is read: its spooled record is named.
  const { code, json } = await staleJson(dir("DEL-02-02"));
  assertEquals([code, json.stale], [0, []]);
  const warning = `${file}: 1 spooled record(s) not in the file yet; append them with ` +
    `runrec flush ${dir("DEL-02-01")}; stale does not count them until then`;
  assertEquals(json.warnings, [warning]);
  const text = await runCliProcess(["stale", dir("DEL-02-02"), "--propagate"]);
  assertIncludes(text.stderr, `runrec stale: warning: ${warning}\n`);
  // A run started and not finished is named too, as log names it.
  const started = await runCli(["start", dir("DEL-02-02"), "--agent", "4_DOCUMENTS"]);
  assertEquals(started.code, 0, started.stderr);
  const pending = await staleJson(dir("DEL-02-02"));
  assertEquals(pending.json.warnings.length, 2, JSON.stringify(pending.json.warnings));
  assertIncludes(
    pending.json.warnings[1],
    `${dir("DEL-02-02")}: 1 run(s) started and not finished`,
  );
  // Once flushed, the producer's run counts: DEL-02-02 is STALE, and nothing is warned about.
  const flushed = await runCli(["flush", dir("DEL-02-01")]);
  assertEquals(flushed.code, 0, flushed.stderr);
  const after = await staleJson(dir("DEL-02-01"));
  assertEquals(after.json.warnings, []);
  assertEquals(after.json.stale.map((s: StaleDeliverable) => s.deliverableId), ["DEL-02-02"]);
});

/** Invalidates `runId` of `dir` with `note`; returns the annotation's RunID. */
async function invalidate(dir: string, runId: string, note: string): Promise<string> {
  const result = await runCli(["annotate", dir, runId, "--invalidates", "--note", note]);
  assertEquals(result.code, 0, result.stderr);
  return result.stdout.trim();
}

Deno.test("stale --propagate: a consumer whose run may have read a producer's run invalidated since is STALE, naming that run and the annotation, until the producer runs well and the consumer after it", async () => {
  const { root, dir } = await buildRoot();
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await register(dir("DEL-02-03"), row("D3", "DEL-02-03", "DEL-02-02"));
  const bad = await run(dir("DEL-02-01"), "4_DOCUMENTS", 50, "Datasheet.md");
  const reader = await run(dir("DEL-02-02"), "4_DOCUMENTS", 40, "../DEL-02-01_Pump/Datasheet.md");
  await run(dir("DEL-02-03"), "4_DOCUMENTS", 35, "Datasheet.md");
  assertEquals((await staleJson(root)).json.stale, []);
  const annotation = await invalidate(dir("DEL-02-01"), bad, "ran on the wrong decomposition");
  const invalid = await staleJson(root);
  assertEquals(invalid.code, 1, JSON.stringify(invalid.json));
  assertEquals(invalid.json.stale.map((s: StaleDeliverable) => [s.deliverableId, reasons(s)]), [
    ["DEL-02-02", [`DEL-02-01>DEL-02-02 invalidated ${bad} read by ${reader}`]],
    ["DEL-02-03", [`DEL-02-01>DEL-02-02>DEL-02-03 invalidated ${bad} read by ${reader}`]],
  ]);
  assertEquals(entryOf(invalid.json, "DEL-02-02")!.reasons[0].invalidated!.annotation, {
    RunID: annotation,
    note: "ran on the wrong decomposition",
  });
  const text = await runCliProcess(["stale", root, "--propagate"]);
  assertEquals(text.code, 1);
  assertIncludes(
    text.stdout,
    `  via DEL-02-01 → DEL-02-02 [D2]  (DEL-02-01's ${bad}, which DEL-02-02's ${reader} may have read, ` +
      `was invalidated by ${annotation}: ran on the wrong decomposition)\n`,
  );
  // Named alone, the consumer gets the same answer (its producer is checked upstream).
  assertEquals(
    reasons(entryOf((await staleJson(dir("DEL-02-02"))).json, "DEL-02-02")),
    reasons(entryOf(invalid.json, "DEL-02-02")),
  );
  // The consumer runs again: it still reads what the invalidated run left.
  const again = await run(dir("DEL-02-02"), "4_DOCUMENTS", 30, "../DEL-02-01_Pump/Datasheet.md");
  assertEquals(reasons(entryOf((await staleJson(root)).json, "DEL-02-02")), [
    `DEL-02-01>DEL-02-02 invalidated ${bad} read by ${again}`,
  ]);
  // The producer runs well, then the consumer and its consumer after it: nothing is STALE.
  await run(dir("DEL-02-01"), "4_DOCUMENTS", 20, "Datasheet.md");
  await run(dir("DEL-02-02"), "4_DOCUMENTS", 15, "../DEL-02-01_Pump/Datasheet.md");
  await run(dir("DEL-02-03"), "4_DOCUMENTS", 10, "Datasheet.md");
  const current = await staleJson(root);
  assertEquals([current.code, current.json.stale], [0, []]);
  // A producer's run invalidated that started after the consumer's ended was never read by it.
  const unread = await run(dir("DEL-02-01"), "4_DOCUMENTS", 5, "Datasheet.md");
  assertEquals((await staleJson(root)).json.stale.length, 2, "ran since, before the annotation");
  await invalidate(dir("DEL-02-01"), unread, "never used");
  const after = await staleJson(root);
  assertEquals([after.code, after.json.stale], [0, []]);
});

Deno.test("stale --propagate: in a cycle of two deliverables run in turn, only the one whose producer ran since is STALE: a chain back to where it starts is a cycle, listed, not a reason", async () => {
  const { root, dir } = await buildRoot();
  await register(dir("DEL-02-04"), row("D4", "DEL-02-04", "DEL-02-05"));
  await register(dir("DEL-02-05"), row("D5", "DEL-02-05", "DEL-02-04"));
  const reads = {
    "DEL-02-04": "../DEL-02-05_CycB/Datasheet.md",
    "DEL-02-05": "../DEL-02-04_CycA/Datasheet.md",
  };
  const turns: [keyof typeof reads, number][] = [
    ["DEL-02-04", 50],
    ["DEL-02-05", 40],
    ["DEL-02-04", 30],
    ["DEL-02-05", 20],
  ];
  for (const [i, [id, minutes]] of turns.entries()) {
    const ran = await run(dir(id), "4_DOCUMENTS", minutes, reads[id]);
    const { code, json } = await staleJson(root);
    if (i === 0) {
      assertEquals([code, json.stale], [0, []], "the other has not run");
      continue;
    }
    assertEquals(json.cycles, [["DEL-02-04", "DEL-02-05", "DEL-02-04"]]);
    // The other one has not run on what this run made; this one read the other's latest.
    const other = id === "DEL-02-04" ? "DEL-02-05" : "DEL-02-04";
    assertEquals(code, 1, `after ${id}'s run ${i}`);
    assertEquals(json.stale.map((s: StaleDeliverable) => s.deliverableId), [other], `turn ${i}`);
    assertEquals(entryOf(json, other)!.reasons.length, 1);
    assertEquals(entryOf(json, other)!.reasons[0].ranSince!.RunID, ran);
    const text = await runCliProcess(["stale", root, "--propagate"]);
    assert(!text.stdout.includes("cycle back"), text.stdout);
    assertIncludes(text.stdout, "1 STALE, 1 cycle(s)");
  }
});

Deno.test("stale --propagate: a cycle is listed from the register before anything ran; in it, a member that ran since marks the other STALE only when it rewrote what the other read with other bytes (or either names no file), so runs in turn that change nothing settle (trial-v F4)", async () => {
  const { root, dir } = await buildRoot();
  await register(dir("DEL-02-04"), row("D4", "DEL-02-04", "DEL-02-05"));
  await register(dir("DEL-02-05"), row("D5", "DEL-02-05", "DEL-02-04"));
  const before = await staleJson(root);
  assertEquals([before.code, before.json.cycles], [0, [["DEL-02-04", "DEL-02-05", "DEL-02-04"]]]);
  const reads = {
    "DEL-02-04": "../DEL-02-05_CycB/Datasheet.md",
    "DEL-02-05": "../DEL-02-04_CycA/Datasheet.md",
  };
  const turn = (id: keyof typeof reads, minutes: number) =>
    runWriting(dir(id), "4_DOCUMENTS", minutes, ["Datasheet.md"], reads[id]);
  await turn("DEL-02-04", 50);
  await turn("DEL-02-05", 40);
  await turn("DEL-02-04", 30); // its Datasheet.md as DEL-02-05 read it
  let { code, json } = await staleJson(root);
  assertEquals([code, json.stale], [0, []], "settled");
  await Deno.writeTextFile(join(dir("DEL-02-04"), "Datasheet.md"), "rev\n", { append: true });
  await turn("DEL-02-04", 20); // rewrites what DEL-02-05 read
  ({ code, json } = await staleJson(root));
  assertEquals(code, 1);
  const verdict = (id: string) =>
    json.checks.find((c: { deliverableId: string }) => c.deliverableId === id).verdict;
  assertEquals([verdict("DEL-02-04"), verdict("DEL-02-05")], ["CLEAN", "DIRTY"]);
  // DEL-02-05 is DIRTY only through DEL-02-04's file: that is DEL-02-04's own change, not one it
  // has not run on, so DEL-02-04 is not STALE through it (cycle37 F1).
  assertEquals(json.stale, []);
  await turn("DEL-02-05", 10); // reads the new one, its own Datasheet.md as before
  ({ code, json } = await staleJson(root));
  assertEquals([code, json.stale], [0, []], "settled again");
});

Deno.test("stale --propagate: in a cycle of three, a member DIRTY only through what the last run rewrote passes it on to the others, not back to the member that ran; DIRTY through its own file too, it passes that back as well (cycle37 F1)", async () => {
  const { root, dir } = await buildRoot();
  // DEL-02-01 → DEL-02-02 → DEL-02-03 → DEL-02-01, each reading the Datasheet.md before it.
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await register(dir("DEL-02-03"), row("D3", "DEL-02-03", "DEL-02-02"));
  await register(dir("DEL-02-01"), row("D1", "DEL-02-01", "DEL-02-03"));
  const reads: Record<string, string[]> = {
    "DEL-02-01": ["../DEL-02-03_Pipe/Datasheet.md"],
    "DEL-02-02": ["../DEL-02-01_Pump/Datasheet.md", "_CONTEXT.md"],
    "DEL-02-03": ["../DEL-02-02_Valve/Datasheet.md"],
  };
  const turn = (id: string, minutes: number) =>
    runWriting(dir(id), "4_DOCUMENTS", minutes, ["Datasheet.md"], ...reads[id]);
  await turn("DEL-02-01", 50);
  const second = await turn("DEL-02-02", 40);
  await turn("DEL-02-03", 35);
  assertEquals((await staleJson(root)).json.stale, [], "settled");
  await Deno.writeTextFile(join(dir("DEL-02-01"), "Datasheet.md"), "rev\n", { append: true });
  const rewrote = await turn("DEL-02-01", 30);
  let { code, json } = await staleJson(root);
  assertEquals(code, 1);
  const verdicts = () =>
    json.checks.map((c: { deliverableId: string; verdict: string }) =>
      `${c.deliverableId} ${c.verdict}`
    ).slice(0, 3);
  assertEquals(verdicts(), ["DEL-02-01 CLEAN", "DEL-02-02 DIRTY", "DEL-02-03 CLEAN"]);
  // DEL-02-03 has not run on what DEL-02-02 will make of it; DEL-02-01 made it.
  assertEquals(json.stale.map((s: StaleDeliverable) => s.deliverableId), ["DEL-02-03"]);
  assertEquals(reasons(entryOf(json, "DEL-02-03")), [
    "DEL-02-02>DEL-02-03 dirty",
    `DEL-02-01>DEL-02-02>DEL-02-03 ran since ${second}`,
  ]);
  assertEquals(entryOf(json, "DEL-02-03")!.reasons[1].ranSince!.RunID, rewrote);
  // A change of DEL-02-02's own input is one DEL-02-01 has not run on either.
  await Deno.writeTextFile(join(dir("DEL-02-02"), "_CONTEXT.md"), "edit\n", { append: true });
  ({ code, json } = await staleJson(root));
  assertEquals(json.stale.map((s: StaleDeliverable) => s.deliverableId), [
    "DEL-02-01",
    "DEL-02-03",
  ]);
  assertEquals(reasons(entryOf(json, "DEL-02-01")), ["DEL-02-02>DEL-02-03>DEL-02-01 dirty"]);
  // DEL-02-02 runs on both, rewriting nothing the others read: settled.
  await turn("DEL-02-02", 20);
  ({ code, json } = await staleJson(root));
  assertEquals([code, json.stale], [0, []], "settled again");
});

Deno.test("stale --propagate: a cycle through a RETIRED member is one all the same (docs/TUTORIAL.md): retiring it makes no member STALE, and a run that rewrote nothing the next member read leaves it CLEAN; the RETIRED one passes nothing on (cycle37)", async () => {
  const { root, dir } = await buildRoot();
  // DEL-02-01 → DEL-02-02 → DEL-02-06 (RETIRED later) → DEL-02-01.
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await register(dir("DEL-02-06"), row("D6", "DEL-02-06", "DEL-02-02"));
  await register(dir("DEL-02-01"), row("D1", "DEL-02-01", "DEL-02-06"));
  const status = join(dir("DEL-02-06"), "_STATUS.md");
  await Deno.writeTextFile(status, "**Current State:** OPEN\n");
  await writeTree(dir("DEL-02-01"), { "Notes.md": "# Notes\n" });
  const reads: Record<string, string> = {
    "DEL-02-01": "../DEL-02-06_Retired/Datasheet.md",
    "DEL-02-02": "../DEL-02-01_Pump/Datasheet.md",
    "DEL-02-06": "../DEL-02-02_Valve/Datasheet.md",
  };
  const turn = (id: string, minutes: number, wrote = "Datasheet.md") =>
    runWriting(dir(id), "4_DOCUMENTS", minutes, [wrote], reads[id]);
  await turn("DEL-02-06", 60);
  await turn("DEL-02-01", 50);
  await turn("DEL-02-02", 40);
  await turn("DEL-02-06", 35); // the same bytes, after DEL-02-01 read them
  assertEquals((await staleJson(root)).json.stale, [], "settled");
  await Deno.writeTextFile(status, "**Current State:** RETIRED\n");
  let { code, json } = await staleJson(root);
  assertEquals([code, json.stale, json.cycles.length], [0, [], 1], "retiring changes no file");
  await turn("DEL-02-01", 30, "Notes.md"); // rewrites nothing DEL-02-02 read
  ({ code, json } = await staleJson(root));
  assertEquals([code, json.stale], [0, []]);
  await Deno.writeTextFile(join(dir("DEL-02-01"), "Datasheet.md"), "rev\n", { append: true });
  await turn("DEL-02-01", 20);
  ({ code, json } = await staleJson(root));
  assertEquals(code, 1);
  assertEquals(json.stale, []); // DEL-02-02 is DIRTY; nothing passes through DEL-02-06
  assertEquals(json.retired.map((s: StaleDeliverable) => s.deliverableId), ["DEL-02-06"]);
});

Deno.test("stale --propagate: TUTORIAL's cycle rule, modelled: a cycle of two or three with a chain in and one out, runs in random order, some writing other bytes: DIRTY and STALE are what the rule says (cycle37 F1)", async () => {
  const random = seededRandom("cycle rule");
  for (let trial = 0; trial < 8; trial++) {
    const { root, dir } = await buildRoot();
    const members = ["DEL-02-01", "DEL-02-02", "DEL-02-03"].slice(0, 2 + Math.floor(random() * 2));
    const [into, out] = ["DEL-02-04", "DEL-02-05"];
    const plain: [string, string][] = [[into, members[0]], [members.at(-1)!, out]];
    const cyclic = members.map((m, i): [string, string] => [m, members[(i + 1) % members.length]]);
    const edges = [...cyclic, ...plain];
    const ids = [...members, into, out];
    const producers = (id: string) => edges.filter(([, c]) => c === id).map(([p]) => p);
    const consumers = (id: string) => edges.filter(([p]) => p === id).map(([, c]) => c);
    for (const id of ids) {
      const rows = producers(id).map((p) => row(`D-${p}`, id, p));
      if (rows.length > 0) await register(dir(id), ...rows);
    }
    // What each Datasheet.md holds, what each run read of its producers, and the order of runs.
    const bytes = new Map(ids.map((id) => [id, `# Datasheet ${id}\n`]));
    const read = new Map<string, Map<string, string>>();
    const ran = new Map<string, number>();
    const turn = async (id: string, step: number, rewrite: boolean) => {
      if (rewrite) {
        bytes.set(id, `# Datasheet ${id} ${step}\n`);
        await Deno.writeTextFile(join(dir(id), "Datasheet.md"), bytes.get(id)!);
      }
      read.set(id, new Map(producers(id).map((p) => [p, bytes.get(p)!])));
      ran.set(id, step);
      const inputs = producers(id).map((p) => `../${FOLDERS[p][0]}/Datasheet.md`);
      await runWriting(dir(id), "4_DOCUMENTS", 500 - step, ["Datasheet.md"], ...inputs);
    };
    const runs: string[] = [];
    for (const [step, id] of [into, ...members, out].entries()) await turn(id, step, false);
    for (let step = ids.length; step < ids.length + 8; step++) {
      const id = ids[Math.floor(random() * ids.length)];
      const rewrite = random() < 0.3;
      await turn(id, step, rewrite);
      runs.push(rewrite ? `${id}*` : id);
      // The rule: a DIRTY member passes its change on, not back to the one member it came from;
      // a producer that ran since does, on a plain edge; in the cycle, when it left other bytes.
      const changedIn = (id: string) =>
        producers(id).filter((p) => bytes.get(p) !== read.get(id)!.get(p));
      const dirty = ids.filter((id) => changedIn(id).length > 0);
      const reached = new Set<string>();
      const pass = (start: string, from?: string) => {
        const seen = new Set([start]);
        for (const queue = [start]; queue.length > 0;) {
          for (const c of consumers(queue.shift()!)) {
            if (c !== from && !seen.has(c)) queue.push(c), seen.add(c), reached.add(c);
          }
        }
      };
      for (const id of dirty) pass(id, changedIn(id).length === 1 ? changedIn(id)[0] : undefined);
      for (const [p, c] of edges) {
        const isPlain = plain.some(([a, b]) => a === p && b === c);
        if (ran.get(p)! > ran.get(c)! && (isPlain || changedIn(c).includes(p))) {
          reached.add(c), pass(c, p);
        }
      }
      const report = await checkStaleness([root], { propagate: true });
      const said = [
        [
          ...new Set(
            report.checks.filter((c) => c.verdict === "DIRTY").map((c) => c.deliverableId),
          ),
        ],
        report.stale.map((s) => s.deliverableId),
      ];
      const rule = [dirty.sort(), [...reached].filter((id) => !dirty.includes(id)).sort()];
      assertEquals(said, rule, `trial ${trial}: ${members.length} members, runs ${runs.join(" ")}`);
    }
  }
});

Deno.test("stale --propagate: in a cycle, exec runs in turn that change nothing (no output: exec says it changed no file) settle; one that changes what the other read is seen (cycle37 F2)", async () => {
  const { root, dir } = await buildRoot();
  await register(dir("DEL-02-04"), row("D4", "DEL-02-04", "DEL-02-05"));
  await register(dir("DEL-02-05"), row("D5", "DEL-02-05", "DEL-02-04"));
  const other = { "DEL-02-04": "DEL-02-05", "DEL-02-05": "DEL-02-04" } as const;
  // Reads the other's Datasheet.md and writes its own, the same bytes unless told otherwise.
  const turn = async (id: keyof typeof other, text = `# Datasheet ${id}`) => {
    const reads = `../${FOLDERS[other[id]][0]}/Datasheet.md`;
    const result = await runCliProcess([
      ...["exec", dir(id), "--agent", "4_DOCUMENTS", "--input", reads, "--"],
      ...["sh", "-c", 'cat "$1" > /dev/null && printf "%s\\n" "$2" > "$3"', "sh"],
      ...[join(dir(id), reads), text, join(dir(id), "Datasheet.md")],
    ]);
    assertEquals(result.code, 0, result.stderr);
  };
  for (const id of ["DEL-02-04", "DEL-02-05", "DEL-02-04", "DEL-02-05"] as const) {
    await turn(id);
    const { code, json } = await staleJson(root);
    assertEquals([code, json.stale], [0, []], `after ${id}'s run`);
  }
  // A run that rewrites what the other read: the other is DIRTY (it named the file), not CLEAN.
  await turn("DEL-02-04", "# Datasheet rev");
  const { code, json } = await staleJson(root);
  assertEquals(code, 1);
  assertEquals(
    json.checks.filter((c: { deliverableId: string }) => c.deliverableId === "DEL-02-05")
      .map((c: { verdict: string }) => c.verdict),
    ["DIRTY"],
  );
});

Deno.test("stale --propagate: in a cycle, a run that rewrote what the other member read is not hidden by a later run of it that wrote other files: STALE through the run that rewrote it (cycle37 F3)", async () => {
  const { root, dir } = await buildRoot();
  const [a, b] = [dir("DEL-02-04"), dir("DEL-02-05")];
  await register(a, row("D4", "DEL-02-04", "DEL-02-05"));
  await register(b, row("D5", "DEL-02-05", "DEL-02-04"));
  await writeTree(a, { "Notes.md": "# Notes\n", "Other.md": "# Other\n" });
  await writeTree(b, { "Spec.md": "# Spec\n" });
  await runWriting(b, "4_DOCUMENTS", 60, ["Datasheet.md"], "_CONTEXT.md");
  // Notes.md comes from B's datasheet; the agent's later run (its baseline) read none of B.
  const reader = await runWriting(a, "X", 50, ["Notes.md"], "../DEL-02-05_CycB/Datasheet.md");
  await runWriting(a, "X", 45, ["Other.md"], "_CONTEXT.md");
  const reads = ["../DEL-02-04_CycA/Notes.md", "../DEL-02-04_CycA/Other.md"];
  await runWriting(b, "4_DOCUMENTS", 44, ["Datasheet.md"], ...reads); // the same bytes
  assertEquals((await staleJson(root)).json.stale, [], "settled");
  await Deno.writeTextFile(join(b, "Datasheet.md"), "rev\n", { append: true });
  const rewrote = await runWriting(b, "4_DOCUMENTS", 40, ["Datasheet.md"], "_CONTEXT.md");
  await runWriting(b, "4_DOCUMENTS", 30, ["Spec.md"], "_CONTEXT.md");
  const { code, json } = await staleJson(root);
  assertEquals(code, 1, JSON.stringify(json.checks));
  assertEquals(reasons(entryOf(json, "DEL-02-04")), [`DEL-02-05>DEL-02-04 ran since ${reader}`]);
  assertEquals(entryOf(json, "DEL-02-04")!.reasons[0].ranSince!.RunID, rewrote);
});

Deno.test("stale --propagate: a consumer run that read the producer's file through a symbolic link in its own folder is a reader of the producer: another agent's later run does not clear ran since", async () => {
  const { dir } = await buildRoot();
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await Deno.symlink("../DEL-02-01_Pump", join(dir("DEL-02-02"), "upstream"));
  await run(dir("DEL-02-01"), "4_DOCUMENTS", 50, "Datasheet.md");
  const reader = await run(dir("DEL-02-02"), "X", 40, "upstream/Datasheet.md");
  await run(dir("DEL-02-01"), "CHIRALITY_LENS", 30, "Datasheet.md"); // ran since the reader
  await run(dir("DEL-02-02"), "Y", 20, "Datasheet.md"); // reads nothing upstream
  const { code, json } = await staleJson(dir("DEL-02-02"));
  assertEquals(code, 1, JSON.stringify(json));
  assertEquals(reasons(entryOf(json, "DEL-02-02")), [`DEL-02-01>DEL-02-02 ran since ${reader}`]);
});

Deno.test("stale --propagate: a producer's output edited by hand after its run makes no consumer STALE (docs/TUTORIAL.md says so); a consumer that read that file is DIRTY itself", async () => {
  const { root, dir } = await buildRoot();
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await register(dir("DEL-02-03"), row("D3", "DEL-02-03", "DEL-02-01"));
  await runWriting(dir("DEL-02-01"), "4_DOCUMENTS", 50, ["Datasheet.md"], "_CONTEXT.md");
  await run(dir("DEL-02-02"), "4_DOCUMENTS", 40, "_CONTEXT.md");
  await run(dir("DEL-02-03"), "4_DOCUMENTS", 40, "../DEL-02-01_Pump/Datasheet.md");
  await Deno.writeTextFile(join(dir("DEL-02-01"), "Datasheet.md"), "by hand\n", { append: true });
  const { code, json } = await staleJson(root);
  assertEquals(code, 1);
  const verdicts = json.checks.map((c: { deliverableId: string; verdict: string }) =>
    `${c.deliverableId} ${c.verdict}`
  );
  assertEquals(verdicts.slice(0, 3), ["DEL-02-01 CLEAN", "DEL-02-02 CLEAN", "DEL-02-03 DIRTY"]);
  assertEquals(json.stale, []);
  // The rules in full are TUTORIAL's (stale --help points there).
  const tutorial = Deno.readTextFileSync(join(ROOT, "docs/TUTORIAL.md")).replace(/\s+/g, " ");
  assertIncludes(
    tutorial,
    "A producer's output edited by hand after its run (`output changed` in its check) makes no consumer STALE",
  );
});

Deno.test("stale --propagate: a consumer that read a file an invalidated run wrote stays STALE through a good run of another agent of the producer that rewrote none of it; a good rewrite of the file, then the consumer's run, clears it", async () => {
  const { root, dir } = await buildRoot();
  const producer = dir("DEL-02-01");
  const datasheet = join(producer, "Datasheet.md");
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  const bad = await runWriting(producer, "4_DOCUMENTS", 50, ["Datasheet.md"], "_CONTEXT.md");
  const reads = "../DEL-02-01_Pump/Datasheet.md";
  const reader = await run(dir("DEL-02-02"), "4_DOCUMENTS", 40, reads);
  await invalidate(producer, bad, "wrong decomposition: Datasheet.md must not be trusted");
  assertEquals(reasons(entryOf((await staleJson(root)).json, "DEL-02-02")), [
    `DEL-02-01>DEL-02-02 invalidated ${bad} read by ${reader}`,
  ]);
  // The lens writes only its own file; the consumer reads the invalidated run's Datasheet.md again.
  await Deno.writeTextFile(join(producer, "_SEMANTIC_LENSING.md"), "# Lens\n");
  await runWriting(producer, "CHIRALITY_LENS", 30, ["_SEMANTIC_LENSING.md"], "_CONTEXT.md");
  const again = await run(dir("DEL-02-02"), "4_DOCUMENTS", 25, reads);
  const lensed = await staleJson(root);
  assertEquals(lensed.code, 1, JSON.stringify(lensed.json));
  assertEquals(reasons(entryOf(lensed.json, "DEL-02-02")), [
    `DEL-02-01>DEL-02-02 invalidated ${bad} read by ${again}`,
  ]);
  // The producer rewrites Datasheet.md well: the consumer's run read what is no longer there (its
  // own check is DIRTY), and no longer counts as reading the invalidated run.
  await Deno.writeTextFile(datasheet, "# Datasheet DEL-02-01, redone\n");
  await runWriting(producer, "4_DOCUMENTS", 20, ["Datasheet.md"], "_CONTEXT.md");
  const redone = await staleJson(root);
  const consumerCheck = redone.json.checks.find((c: { deliverableId: string }) =>
    c.deliverableId === "DEL-02-02"
  );
  assertEquals([consumerCheck.verdict, redone.json.stale], ["DIRTY", []]);
  await run(dir("DEL-02-02"), "4_DOCUMENTS", 10, reads);
  const current = await staleJson(root);
  assertEquals([current.code, current.json.stale], [0, []]);
});

Deno.test("stale --propagate: once a good run of the producer rewrote the file a consumer's run read from an invalidated run, the reason passed downstream is that run's ran since, not the invalidated run (docs/TUTORIAL.md; a seed of the propagate oracle found both)", async () => {
  const { root, dir } = await buildRoot();
  const producer = dir("DEL-02-01");
  const datasheet = join(producer, "Datasheet.md");
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await register(dir("DEL-02-03"), row("D3", "DEL-02-03", "DEL-02-02"));
  const bad = await runWriting(producer, "4_DOCUMENTS", 50, ["Datasheet.md"], "_CONTEXT.md");
  const reader = await run(dir("DEL-02-02"), "4_DOCUMENTS", 40, "../DEL-02-01_Pump/Datasheet.md");
  await run(dir("DEL-02-03"), "4_DOCUMENTS", 35, "Datasheet.md");
  await invalidate(producer, bad, "wrong decomposition");
  await Deno.writeTextFile(datasheet, "# Datasheet DEL-02-01, redone\n");
  const redone = await runWriting(producer, "DEPENDENCIES", 20, ["Datasheet.md"], "_CONTEXT.md");
  const { code, json } = await staleJson(root);
  // The consumer's check is DIRTY (what it read is gone); downstream of it, one reason per cause.
  assertEquals(code, 1);
  assertEquals(json.stale.map((s: StaleDeliverable) => [s.deliverableId, reasons(s)]), [
    ["DEL-02-03", [
      "DEL-02-02>DEL-02-03 dirty",
      `DEL-02-01>DEL-02-02>DEL-02-03 ran since ${reader}`,
    ]],
  ]);
  assertEquals(entryOf(json, "DEL-02-03")!.reasons[1].ranSince!.RunID, redone);
});

Deno.test("stale --propagate: an invalidated run whose files a consumer's run did not read makes it not STALE, before and after it runs again; a consumer run that read nothing of the producer is judged by times", async () => {
  const { root, dir } = await buildRoot();
  const producer = dir("DEL-02-01");
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await register(dir("DEL-02-03"), row("D3", "DEL-02-03", "DEL-02-01"));
  const documents = await runWriting(producer, "4_DOCUMENTS", 50, ["Datasheet.md"], "_CONTEXT.md");
  await Deno.writeTextFile(join(producer, "_SEMANTIC_LENSING.md"), "# Lens\n");
  const lens = await runWriting(producer, "CHIRALITY_LENS", 45, ["_SEMANTIC_LENSING.md"]);
  const reads = "../DEL-02-01_Pump/Datasheet.md";
  await run(dir("DEL-02-02"), "4_DOCUMENTS", 40, reads);
  // This consumer names no file of the producer: no evidence of what it read, so times decide.
  const blind = await run(dir("DEL-02-03"), "4_DOCUMENTS", 40, "_CONTEXT.md");
  await invalidate(producer, lens, "lens used the wrong glossary");
  const invalid = await staleJson(root);
  assertEquals(invalid.json.stale.map((s: StaleDeliverable) => [s.deliverableId, reasons(s)]), [
    ["DEL-02-03", [`DEL-02-01>DEL-02-03 invalidated ${lens} read by ${blind}`]],
  ]);
  await run(dir("DEL-02-02"), "4_DOCUMENTS", 30, reads);
  assertEquals(entryOf((await staleJson(root)).json, "DEL-02-02"), undefined);
  // The run that wrote what it read is invalidated too: now it is STALE, through that run only.
  await invalidate(producer, documents, "wrong datasheet");
  const both = await staleJson(root);
  assertEquals(both.code, 1);
  assertEquals(
    reasons(entryOf(both.json, "DEL-02-02")).map((r) => r.replace(/ read by .*/, "")),
    [`DEL-02-01>DEL-02-02 invalidated ${documents}`],
  );
});

Deno.test("stale --propagate: a consumer that read an invalidated run's file as a good run of the producer also wrote it (the same bytes) is not STALE through it", async () => {
  const { root, dir } = await buildRoot();
  const producer = dir("DEL-02-01");
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await runWriting(producer, "4_DOCUMENTS", 50, ["Datasheet.md"], "_CONTEXT.md");
  const bad = await runWriting(producer, "DEPENDENCIES", 45, ["Datasheet.md"], "_CONTEXT.md");
  await run(dir("DEL-02-02"), "4_DOCUMENTS", 40, "../DEL-02-01_Pump/Datasheet.md");
  await invalidate(producer, bad, "wrong register");
  const vouched = await staleJson(root);
  assertEquals([vouched.code, vouched.json.stale], [0, []]);
  // Had the invalidated run changed the bytes, the consumer would have read its own.
  await Deno.writeTextFile(join(producer, "Datasheet.md"), "# changed by the bad run\n");
  const changed = await runWriting(producer, "DEPENDENCIES", 35, ["Datasheet.md"], "_CONTEXT.md");
  const reader = await run(dir("DEL-02-02"), "4_DOCUMENTS", 30, "../DEL-02-01_Pump/Datasheet.md");
  await invalidate(producer, changed, "wrong register again");
  assertEquals(reasons(entryOf((await staleJson(root)).json, "DEL-02-02")), [
    `DEL-02-01>DEL-02-02 invalidated ${changed} read by ${reader}`,
  ]);
});

Deno.test("stale --propagate: a good run that overlapped an invalidated run and recorded its bytes too (exec counts every file changed meanwhile) vouches for nothing: the consumer is STALE through the invalidated run (trial-pipeline3 F2)", async () => {
  const { root, dir } = await buildRoot();
  const producer = dir("DEL-02-01");
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  const bad = await runWriting(producer, "4_DOCUMENTS", 45, ["Datasheet.md"], "_CONTEXT.md");
  await runWriting(producer, "DRAFT_EN", 45, ["Datasheet.md"]); // at the same time
  const reader = await run(dir("DEL-02-02"), "4_DOCUMENTS", 40, "../DEL-02-01_Pump/Datasheet.md");
  await invalidate(producer, bad, "wrong datasheet");
  assertEquals(reasons(entryOf((await staleJson(root)).json, "DEL-02-02")), [
    `DEL-02-01>DEL-02-02 invalidated ${bad} read by ${reader}`,
  ]);
});

Deno.test("stale --propagate: a consumer that read bytes a FAILED run of the producer left on top of an invalidated run's file stays STALE through it until a good run rewrites the file (review-e F1: the differing hash cleared it)", async () => {
  const { root, dir } = await buildRoot();
  const producer = dir("DEL-02-01");
  const datasheet = join(producer, "Datasheet.md");
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  const bad = await runWriting(producer, "4_DOCUMENTS", 50, ["Datasheet.md"], "_CONTEXT.md");
  // A FAILED run appends to the bad file and stops: what the consumer reads is still the bad run's.
  await Deno.writeTextFile(datasheet, "section 5 added\n", { append: true });
  const failed = await runCli([
    ...["emit", producer, "--agent", "4_DOCUMENTS", "--status", "FAILED", "--error", "timeout"],
    ...["--started", ago(45), "--duration", "PT1M", "--output", "Datasheet.md"],
  ]);
  assertEquals(failed.code, 0, failed.stderr);
  const reads = "../DEL-02-01_Pump/Datasheet.md";
  const reader = await run(dir("DEL-02-02"), "4_DOCUMENTS", 40, reads);
  await invalidate(producer, bad, "wrong range in Datasheet.md");
  const tainted = await staleJson(root);
  assertEquals(tainted.code, 1, JSON.stringify(tainted.json));
  assertEquals(reasons(entryOf(tainted.json, "DEL-02-02")), [
    `DEL-02-01>DEL-02-02 invalidated ${bad} read by ${reader}`,
  ]);
  await Deno.writeTextFile(datasheet, "# Datasheet DEL-02-01, redone\n");
  await runWriting(producer, "4_DOCUMENTS", 30, ["Datasheet.md"], "_CONTEXT.md");
  await run(dir("DEL-02-02"), "4_DOCUMENTS", 20, reads);
  const redone = await staleJson(root);
  assertEquals([redone.code, redone.json.stale], [0, []]);
});

Deno.test("stale --propagate: a producer's record line that cannot be read (maybe its latest run) is a note on each consumer's check, naming the file and line; without it the consumer is plain CLEAN", async () => {
  const { dir } = await buildRoot();
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await run(dir("DEL-02-01"), "DEPENDENCIES", 50, "Datasheet.md");
  await run(dir("DEL-02-02"), "DEPENDENCIES", 40, "../DEL-02-01_Pump/Datasheet.md");
  await run(dir("DEL-02-01"), "DEPENDENCIES", 30, "Datasheet.md"); // ran since DEL-02-02's run
  const notesOf = async () => {
    const report = await checkStaleness([dir("DEL-02-02")], { propagate: true });
    return { stale: report.stale.map((s) => s.deliverableId), notes: report.checks[0].notes };
  };
  assertEquals(await notesOf(), { stale: ["DEL-02-02"], notes: [] });
  // That latest producer run (line 3) is changed by hand: it no longer counts as a run.
  const file = join(dir("DEL-02-01"), "RunRecords.csv");
  const lines = (await Deno.readTextFile(file)).split("\n");
  lines[2] = lines[2].replace(",DEPENDENCIES,", ",DEPENDENCIEZ,");
  await Deno.writeTextFile(file, lines.join("\n"));
  assertEquals(await notesOf(), {
    stale: [],
    notes: [
      "its producer DEL-02-01's RunRecords.csv line 3 could not be read (see runrec validate): " +
      "were it a run since this deliverable's, this one would be STALE",
    ],
  });
  const text = await runCli(["stale", dir("DEL-02-02"), "--propagate"]);
  assertIncludes(text.stdout, "its producer DEL-02-01's RunRecords.csv line 3 could not be read");
});

Deno.test("stale --propagate: each agent of a consumer is compared: one whose latest run that read the producer is older than the producer's run is STALE through that run, though another agent read the producer since (a6); it clears when that agent runs again", async () => {
  const { root, dir } = await buildRoot();
  const producer = dir("DEL-02-01");
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  const reads = "../DEL-02-01_Pump/Datasheet.md";
  const bad = await runWriting(producer, "4_DOCUMENTS", 60, ["Datasheet.md"], "_CONTEXT.md");
  const documents = await run(dir("DEL-02-02"), "4_DOCUMENTS", 50, reads);
  await invalidate(producer, bad, "bad Datasheet");
  // The producer runs again (the same bytes: no check is DIRTY), then another agent reads it.
  const redone = await runWriting(producer, "4_DOCUMENTS", 40, ["Datasheet.md"], "_CONTEXT.md");
  await run(dir("DEL-02-02"), "DEPENDENCIES", 30, reads);
  const stale = await staleJson(root);
  assertEquals(stale.code, 1, JSON.stringify(stale.json));
  assertEquals(
    stale.json.checks.filter((c: { agent: string }) => c.agent !== "")
      .map((c: { deliverableId: string; agent: string; verdict: string }) =>
        `${c.deliverableId} ${c.agent} ${c.verdict}`
      ),
    ["DEL-02-01 4_DOCUMENTS CLEAN", "DEL-02-02 4_DOCUMENTS CLEAN", "DEL-02-02 DEPENDENCIES CLEAN"],
  );
  assertEquals(reasons(entryOf(stale.json, "DEL-02-02")), [
    `DEL-02-01>DEL-02-02 ran since ${documents}`,
  ]);
  assertEquals(entryOf(stale.json, "DEL-02-02")!.reasons[0].ranSince!.RunID, redone);
  const tutorial = Deno.readTextFileSync(join(ROOT, "docs/TUTORIAL.md")).replace(/\s+/g, " ");
  assertIncludes(tutorial, "Each agent of the consumer is compared on its own");
  // The agent whose outputs came from the old file runs again: nothing is STALE.
  await run(dir("DEL-02-02"), "4_DOCUMENTS", 20, reads);
  const current = await staleJson(root);
  assertEquals([current.code, current.json.stale], [0, []]);
});

Deno.test("stale --propagate: a consumer agent that read a file of an invalidated run is STALE through its run, though the consumer's latest reading run (another agent's) read another file of the producer", async () => {
  const { root, dir } = await buildRoot();
  const producer = dir("DEL-02-01");
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  const bad = await runWriting(producer, "4_DOCUMENTS", 60, ["Datasheet.md"], "_CONTEXT.md");
  await Deno.writeTextFile(join(producer, "_SEMANTIC_LENSING.md"), "# Lens\n");
  await runWriting(producer, "CHIRALITY_LENS", 55, ["_SEMANTIC_LENSING.md"], "_CONTEXT.md");
  const documents = await run(
    dir("DEL-02-02"),
    "4_DOCUMENTS",
    50,
    "../DEL-02-01_Pump/Datasheet.md",
  );
  await run(dir("DEL-02-02"), "DEPENDENCIES", 40, "../DEL-02-01_Pump/_SEMANTIC_LENSING.md");
  assertEquals((await staleJson(root)).json.stale, []);
  const annotation = await invalidate(producer, bad, "wrong decomposition");
  const invalid = await staleJson(root);
  assertEquals(invalid.code, 1, JSON.stringify(invalid.json));
  const entry = entryOf(invalid.json, "DEL-02-02");
  assertEquals(reasons(entry), [`DEL-02-01>DEL-02-02 invalidated ${bad} read by ${documents}`]);
  assertEquals(entry!.reasons[0].invalidated!.annotation.RunID, annotation);
});

Deno.test("stale --propagate: a normal day: consumer agents that read the producer are CLEAN once each ran after it, STALE through each one that has not; an agent's reading run invalidated since does not count, and one superseded clears the agent", async () => {
  const { root, dir } = await buildRoot();
  const producer = dir("DEL-02-01");
  const consumer = dir("DEL-02-02");
  await register(consumer, row("D2", "DEL-02-02", "DEL-02-01"));
  const reads = "../DEL-02-01_Pump/Datasheet.md";
  await runWriting(producer, "4_DOCUMENTS", 90, ["Datasheet.md"], "_CONTEXT.md");
  const dropped = await run(consumer, "CHIRALITY_LENS", 85, reads);
  await invalidate(consumer, dropped, "wrong glossary");
  await run(consumer, "CHIRALITY_FORMULATION", 82, reads);
  const formulated = await run(consumer, "CHIRALITY_FORMULATION", 80, reads);
  await run(consumer, "4_DOCUMENTS", 70, reads);
  const dependencies = await run(consumer, "DEPENDENCIES", 65, reads);
  const before = await staleJson(root);
  assertEquals([before.code, before.json.stale], [0, []]);
  // The producer runs again; one consumer agent runs after it: the others are STALE, each by its
  // run (the invalidated CHIRALITY_LENS run is no one's baseline).
  await runWriting(producer, "4_DOCUMENTS", 60, ["Datasheet.md"], "_CONTEXT.md");
  await run(consumer, "4_DOCUMENTS", 50, reads);
  const two = await staleJson(root);
  assertEquals(two.code, 1, JSON.stringify(two.json));
  assertEquals(reasons(entryOf(two.json, "DEL-02-02")), [
    `DEL-02-01>DEL-02-02 ran since ${formulated}`,
    `DEL-02-01>DEL-02-02 ran since ${dependencies}`,
  ]);
  // DEPENDENCIES runs again reading it; CHIRALITY_FORMULATION runs reading nothing of it, so its
  // latest run that did is still the one compared, until that run is superseded: superseding it
  // alone clears the agent, not its earlier reading run in turn (review-f F1).
  await run(consumer, "DEPENDENCIES", 40, reads);
  const unread = await run(consumer, "CHIRALITY_FORMULATION", 35, "_CONTEXT.md");
  assertEquals(reasons(entryOf((await staleJson(root)).json, "DEL-02-02")), [
    `DEL-02-01>DEL-02-02 ran since ${formulated}`,
  ]);
  const superseded = await runCli(
    ["annotate", consumer, unread, "--supersedes", formulated, "--note", "reads no datasheet now"],
  );
  assertEquals(superseded.code, 0, superseded.stderr);
  const current = await staleJson(root);
  assertEquals([current.code, current.json.stale], [0, []]);
});

Deno.test("stale --propagate: an agent's earlier run that read the producer stays compared while it is the last run to have written one of its outputs still there: a later reading run that wrote other files does not hide it (review-f F2)", async () => {
  const { root, dir } = await buildRoot();
  const producer = dir("DEL-02-01");
  const consumer = dir("DEL-02-02");
  await register(consumer, row("D2", "DEL-02-02", "DEL-02-01"));
  await writeTree(producer, { "Specification.md": "# Spec\n" });
  await writeTree(consumer, { "Interfaces.md": "# Interfaces\n", "Notes.md": "# Notes\n" });
  const bad = await runWriting(producer, "4_DOCUMENTS", 90, ["Datasheet.md"], "_CONTEXT.md");
  const fromDatasheet = await runWriting(
    consumer,
    "DEPENDENCIES",
    80,
    ["Interfaces.md"],
    "../DEL-02-01_Pump/Datasheet.md",
  );
  const fromSpec = await runWriting(
    consumer,
    "DEPENDENCIES",
    70,
    ["Notes.md"],
    "../DEL-02-01_Pump/Specification.md",
  );
  assertEquals((await staleJson(root)).json.stale, []);
  // The producer's run that wrote the datasheet read first is invalidated: Interfaces.md still
  // comes from it, though the agent's latest run read only the specification.
  await invalidate(producer, bad, "wrong range in Datasheet.md");
  const invalid = await staleJson(root);
  assertEquals(invalid.code, 1, JSON.stringify(invalid.json));
  assertEquals(reasons(entryOf(invalid.json, "DEL-02-02")), [
    `DEL-02-01>DEL-02-02 invalidated ${bad} read by ${fromDatasheet}`,
  ]);
  // The producer runs well again: both runs read it before that, so both are STALE by times.
  await runWriting(producer, "4_DOCUMENTS", 60, ["Datasheet.md"], "_CONTEXT.md");
  assertEquals(reasons(entryOf((await staleJson(root)).json, "DEL-02-02")), [
    `DEL-02-01>DEL-02-02 ran since ${fromDatasheet}`,
    `DEL-02-01>DEL-02-02 ran since ${fromSpec}`,
  ]);
  // The agent rewrites Interfaces.md from the new datasheet: its first run no longer stands; the
  // run that wrote Notes.md still does while Notes.md is there.
  await runWriting(
    consumer,
    "DEPENDENCIES",
    50,
    ["Interfaces.md"],
    "../DEL-02-01_Pump/Datasheet.md",
  );
  assertEquals(reasons(entryOf((await staleJson(root)).json, "DEL-02-02")), [
    `DEL-02-01>DEL-02-02 ran since ${fromSpec}`,
  ]);
  await Deno.remove(join(consumer, "Notes.md"));
  const current = await staleJson(root);
  assertEquals([current.code, current.json.stale], [0, []]);
});

Deno.test("stale --propagate: a deliverable named alone lists only what passes through it: a sibling consuming the same producer is not its answer (exit 0), nor a STALE one upstream of it", async () => {
  const { root, dir } = await buildRoot();
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await register(dir("DEL-02-03"), row("D3", "DEL-02-03", "DEL-02-01"));
  const reads = "../DEL-02-01_Pump/Datasheet.md";
  await runWriting(dir("DEL-02-01"), "4_DOCUMENTS", 60, ["Datasheet.md"], "_CONTEXT.md");
  const sibling = await run(dir("DEL-02-02"), "DEPENDENCIES", 50, reads);
  await runWriting(dir("DEL-02-01"), "4_DOCUMENTS", 40, ["Datasheet.md"], "_CONTEXT.md");
  await run(dir("DEL-02-03"), "DEPENDENCIES", 30, reads);
  const whole = await staleJson(root);
  assertEquals(whole.json.stale.map((s: StaleDeliverable) => s.deliverableId), ["DEL-02-02"]);
  const alone = await staleJson(dir("DEL-02-03"));
  assertEquals([alone.code, alone.json.stale], [0, []], JSON.stringify(alone.json));
  const text = await runCliProcess(["stale", dir("DEL-02-03"), "--propagate"]);
  assertEquals(text.code, 0, text.stdout);
  const itself = await staleJson(dir("DEL-02-02"));
  assertEquals(itself.code, 1);
  assertEquals(reasons(entryOf(itself.json, "DEL-02-02")), [
    `DEL-02-01>DEL-02-02 ran since ${sibling}`,
  ]);
  // Downstream of the STALE sibling: named alone, it is STALE through it, and the sibling, upstream
  // of it, is checked (named) but not listed.
  await register(dir("DEL-02-04"), row("D4", "DEL-02-04", "DEL-02-02"));
  await run(dir("DEL-02-04"), "DEPENDENCIES", 20, "../DEL-02-02_Valve/Datasheet.md");
  const downstream = await staleJson(dir("DEL-02-04"));
  assertEquals(downstream.code, 1);
  assertEquals(downstream.json.stale.map((s: StaleDeliverable) => s.deliverableId), ["DEL-02-04"]);
  assertEquals(reasons(entryOf(downstream.json, "DEL-02-04")), [
    `DEL-02-01>DEL-02-02>DEL-02-04 ran since ${sibling}`,
  ]);
});

Deno.test("stale --propagate: an agent's earlier run is covered by a later run of it that read the same producer files again: a rewrite of only the file that needed it, and a dated report each run, are CLEAN once it ran after the producer (review-g 1, 2)", async () => {
  const { root, dir } = await buildRoot();
  const producer = dir("DEL-02-01");
  const consumer = dir("DEL-02-02");
  await register(consumer, row("D2", "DEL-02-02", "DEL-02-01"));
  const reads = "../DEL-02-01_Pump/Datasheet.md";
  await writeTree(consumer, { "Sizing.md": "# Sizing\n", "Report-1.md": "1\n" });
  await runWriting(producer, "4_DOCUMENTS", 90, ["Datasheet.md"], "_CONTEXT.md");
  // Day 1: two documents and a report from the datasheet.
  await runWriting(
    consumer,
    "DEPENDENCIES",
    80,
    ["Datasheet.md", "Sizing.md", "Report-1.md"],
    reads,
  );
  // The producer changes; the agent reads it again and rewrites only what needed it, in a new report.
  await runWriting(producer, "4_DOCUMENTS", 70, ["Datasheet.md"], "_CONTEXT.md");
  await writeTree(consumer, { "Report-2.md": "2\n" });
  await runWriting(consumer, "DEPENDENCIES", 60, ["Datasheet.md", "Report-2.md"], reads);
  const current = await staleJson(root);
  assertEquals([current.code, current.json.stale], [0, []], JSON.stringify(current.json.stale));
  // The producer runs again: the agent's latest run is STALE, the one it covers is not named.
  await runWriting(producer, "4_DOCUMENTS", 50, ["Datasheet.md"], "_CONTEXT.md");
  const stale = await staleJson(root);
  assertEquals(stale.code, 1);
  assertEquals(entryOf(stale.json, "DEL-02-02")!.reasons.length, 1);
});

Deno.test("stale --propagate: targets in two execution roots: a target's ID in one root does not let a sibling of the same ID in the other through (review-g 8)", async () => {
  const first = await buildRoot();
  const second = await buildRoot();
  await register(second.dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await register(second.dir("DEL-02-03"), row("D3", "DEL-02-03", "DEL-02-01"));
  const reads = "../DEL-02-01_Pump/Datasheet.md";
  await runWriting(second.dir("DEL-02-01"), "4_DOCUMENTS", 60, ["Datasheet.md"], "_CONTEXT.md");
  await run(second.dir("DEL-02-03"), "DEPENDENCIES", 50, reads);
  await runWriting(second.dir("DEL-02-01"), "4_DOCUMENTS", 40, ["Datasheet.md"], "_CONTEXT.md");
  await run(second.dir("DEL-02-02"), "DEPENDENCIES", 30, reads);
  await run(first.dir("DEL-02-03"), "DEPENDENCIES", 20, "Datasheet.md");
  // The second root's DEL-02-03 is STALE, a sibling of the target DEL-02-02 there.
  assertEquals(
    (await staleJson(second.root)).json.stale.map((s: StaleDeliverable) => s.deliverableId),
    ["DEL-02-03"],
  );
  const both = await staleJson(second.dir("DEL-02-02"), first.dir("DEL-02-03"));
  assertEquals([both.code, both.json.stale], [0, []], JSON.stringify(both.json.stale));
});

Deno.test("stale --propagate: of two producer runs that ended alike, ran since names the one that started later, whatever their order in the file (a merge either way; review-g 11)", async () => {
  const { root, dir } = await buildRoot();
  const producer = dir("DEL-02-01");
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await run(dir("DEL-02-02"), "DEPENDENCIES", 90, "../DEL-02-01_Pump/Datasheet.md");
  // Two runs of the producer that end at the same instant: one long, one short started later.
  const end = Date.now() - 60 * 60_000;
  const producerRun = async (agent: string, minutes: number) => {
    const started = new Date(end - minutes * 60_000).toISOString();
    const args = ["emit", producer, "--agent", agent, "--status", "SUCCESS", "--output"];
    args.push("Datasheet.md", "--started", started, "--duration", `PT${minutes}M`);
    const result = await runCli(args);
    assertEquals(result.code, 0, result.stderr);
  };
  await producerRun("4_DOCUMENTS", 120);
  await producerRun("DEPENDENCIES", 20);
  const path = join(producer, "RunRecords.csv");
  const [header, long, short] = (await Deno.readTextFile(path)).trimEnd().split("\n");
  const named = [];
  for (const order of [[long, short], [short, long]]) {
    await Deno.writeTextFile(path, [header, ...order, ""].join("\n"));
    const entry = entryOf((await staleJson(root)).json, "DEL-02-02");
    named.push(entry!.reasons.map((r) => r.ranSince?.RunID));
  }
  const startedLater = short.split(",")[1];
  assertEquals(named, [[startedLater], [startedLater]]);
});

Deno.test("stale --propagate: the summary line counts STALE and cycles, zeros too, when no register has an edge; without --propagate it does not (trial-q F6)", async () => {
  const { root } = await buildRoot();
  const propagated = await runCli(["stale", root, "--propagate"]);
  assertEquals(propagated.code, 0, propagated.stderr);
  assertEquals(
    propagated.stdout.trimEnd().split("\n").at(-1),
    "7 checks: 0 DIRTY, 0 CLEAN, 6 NO_BASELINE (staleness unknown: each says why), 1 RETIRED " +
      "(not compared, not counted); 0 STALE, 0 cycle(s)",
  );
  const plain = await runCli(["stale", root]);
  assert(!plain.stdout.includes("STALE,"), plain.stdout);
});

Deno.test("propagate: a Dependencies.csv saved as UTF-16 is said to be UTF-16, not a register without its columns (bad-input F8)", async () => {
  const dir = await tempDir();
  const file = join(dir, "Dependencies.csv");
  const text = `${HEADER}\n`;
  const utf16 = new Uint8Array(2 + 2 * text.length);
  utf16.set([0xff, 0xfe]);
  for (let i = 0; i < text.length; i++) utf16[2 + 2 * i] = text.charCodeAt(i);
  await Deno.writeFile(file, utf16);
  const { edges, warnings } = readDependencies(file);
  assertEquals(edges, []);
  assertEquals(warnings, [
    `${file}: UTF-16 text, not UTF-8: save it as UTF-8; its rows are not followed`,
  ]);
});

Deno.test("stale --propagate: a copy of a producer's RunRecords.csv kept in a subfolder of it, DIRTY there, makes no consumer STALE: the folder the graph knows by that ID is CLEAN, and the root answers as the consumer named alone (propagate-sweep F2)", async () => {
  const { root, dir } = await buildRoot();
  const [producer, consumer] = [dir("DEL-02-01"), dir("DEL-02-02")];
  await register(consumer, row("D1", "DEL-02-02", "DEL-02-01"));
  await run(producer, "4_DOCUMENTS", 60, "Datasheet.md");
  await run(consumer, "4_DOCUMENTS", 50, "../DEL-02-01_Pump/Datasheet.md");
  await Deno.mkdir(join(producer, "backup"));
  await Deno.copyFile(join(producer, "RunRecords.csv"), join(producer, "backup", "RunRecords.csv"));
  const fromRoot = await staleJson(root);
  const backup = fromRoot.json.checks.find((c: { folder: string }) => c.folder.endsWith("backup"));
  assertEquals(backup?.verdict, "DIRTY", JSON.stringify(fromRoot.json.checks));
  assertEquals(entryOf(fromRoot.json, "DEL-02-02"), undefined);
  const alone = await staleJson(consumer);
  assertEquals([fromRoot.json.stale, alone.json.stale], [[], []]);
});

Deno.test("stale --propagate: a register row whose quoted Statement spans two lines, a trailing column left off, is followed: its quote is closed (propagate-sweep F3)", async () => {
  const { root, dir } = await buildRoot();
  const [producer, consumer] = [dir("DEL-02-01"), dir("DEL-02-02")];
  const twoLines = row("D1", "DEL-02-02", "DEL-02-01").replace(
    '"needs, data"',
    '"Pump curve,\nsee 4"',
  );
  await Deno.writeTextFile(
    join(consumer, "Dependencies.csv"),
    `${HEADER},Notes\n${twoLines}\n`,
  );
  await run(consumer, "4_DOCUMENTS", 50, "../DEL-02-01_Pump/Datasheet.md");
  await run(producer, "4_DOCUMENTS", 40, "Datasheet.md"); // ran since the consumer read it
  const { code, json } = await staleJson(root);
  assertEquals(json.warnings, []);
  assertEquals(code, 1);
  assertEquals(reasons(entryOf(json, "DEL-02-02")), [
    `DEL-02-01>DEL-02-02 ran since ${json.stale[0].reasons[0].ranSince.consumerRun.RunID}`,
  ]);
});

Deno.test("stale --propagate: a Dependencies.csv whose lines end in CR alone (Excel's CSV for Macintosh) is followed (propagate-sweep F7)", async () => {
  const { root, dir } = await buildRoot();
  const [producer, consumer] = [dir("DEL-02-01"), dir("DEL-02-02")];
  await Deno.writeTextFile(
    join(consumer, "Dependencies.csv"),
    `${HEADER}\r${row("D1", "DEL-02-02", "DEL-02-01")}\r`,
  );
  await run(consumer, "4_DOCUMENTS", 50, "../DEL-02-01_Pump/Datasheet.md");
  await run(producer, "4_DOCUMENTS", 40, "Datasheet.md");
  const { code, json } = await staleJson(root);
  assertEquals([code, json.warnings], [1, []]);
  assertEquals(json.stale.map((s: StaleDeliverable) => s.deliverableId), ["DEL-02-02"]);
});

Deno.test("stale --propagate: a producer retired and moved to _Archive/ counts as one retired in place: its last run, since its consumer read it, still makes the consumer STALE (propagate-sweep F8)", async () => {
  const { root, dir } = await buildRoot();
  const [producer, consumer] = [dir("DEL-02-01"), dir("DEL-02-02")];
  await register(consumer, row("D1", "DEL-02-02", "DEL-02-01"));
  await run(consumer, "4_DOCUMENTS", 50, "Datasheet.md");
  await run(producer, "4_DOCUMENTS", 40, "Datasheet.md"); // ran since the consumer
  await Deno.writeTextFile(join(producer, "_STATUS.md"), "**Current State:** RETIRED\n");
  const inPlace = await staleJson(root);
  await Deno.mkdir(join(root, "_Archive"));
  await Deno.rename(producer, join(root, "_Archive", "DEL-02-01_Pump"));
  const archived = await staleJson(root);
  for (const { code, json } of [inPlace, archived]) {
    assertEquals(code, 1, JSON.stringify(json.warnings));
    assertEquals(json.stale.map((s: StaleDeliverable) => s.deliverableId), ["DEL-02-02"]);
    assertMatch(reasons(entryOf(json, "DEL-02-02"))[0], /^DEL-02-01>DEL-02-02 ran since /);
  }
  assert(!archived.json.warnings.some((w: string) => w.includes("names no deliverable")));
});

Deno.test("stale --propagate: an archived copy of a deliverable named as the target answers for itself (RETIRED, nothing STALE through it), not for the live deliverable of its ID (propagate-sweep F1)", async () => {
  const { root, dir } = await buildRoot();
  const [upstream, live, consumer] = [dir("DEL-02-01"), dir("DEL-02-02"), dir("DEL-02-03")];
  await register(live, row("D1", "DEL-02-02", "DEL-02-01"));
  await register(consumer, row("D2", "DEL-02-03", "DEL-02-02"));
  await run(upstream, "4_DOCUMENTS", 70, "Datasheet.md");
  await run(live, "4_DOCUMENTS", 60, "../DEL-02-01_Pump/Datasheet.md");
  await run(consumer, "4_DOCUMENTS", 50, "../DEL-02-02_Valve/Datasheet.md");
  const copy = join(root, "_Archive", "DEL-02-02_Valve_2025");
  await Deno.mkdir(join(root, "_Archive"));
  await new Deno.Command("cp", { args: ["-r", live, copy] }).output();
  await Deno.writeTextFile(join(upstream, "Datasheet.md"), "changed\n"); // the live chain is DIRTY
  const archived = await staleJson(copy);
  assertEquals(archived.code, 0, JSON.stringify(archived.json));
  assertEquals([archived.json.stale, archived.json.upstream], [[], []]);
  assertEquals(archived.json.checks.map((c: { verdict: string }) => c.verdict), ["RETIRED"]);
  // The live one's answer: DIRTY, its consumer STALE through it.
  const fromRoot = await staleJson(root);
  assertEquals(fromRoot.json.stale.map((s: StaleDeliverable) => s.deliverableId), ["DEL-02-03"]);
  assertIncludes(
    reasons(entryOf(fromRoot.json, "DEL-02-03")).join(" "),
    "DEL-02-02>DEL-02-03 dirty",
  );
});

Deno.test("stale --propagate: beneath a target with no execution root above it, a row naming a deliverable the target does not hold is warned of and not followed, as the warning says (propagate-sweep F6)", async () => {
  const bare = join(await tempDir({ prefix: "runrec-propagate-" }), "bare");
  const del = join(bare, WORKING, "DEL-02-01_Pump");
  await writeTree(bare, {
    [`${WORKING}/DEL-02-01_Pump/_CONTEXT.md`]: "**DeliverableID:** DEL-02-01\n",
    [`${WORKING}/DEL-02-01_Pump/Spec.md`]: "s1\n",
  });
  // DEL-02-01 is consumed by DEL-02-09, which is nowhere.
  await register(del, row("D9", "DEL-02-09", "DEL-02-01"));
  await run(del, "4_DOCUMENTS", 40, "Spec.md");
  await Deno.writeTextFile(join(del, "Spec.md"), "s2\n"); // DIRTY
  const { code, json } = await staleJson(bare);
  assertEquals(code, 1);
  assertEquals(json.stale, []);
  assert(
    json.warnings.some((w: string) => w.includes("DEL-02-09 names no deliverable under")),
    JSON.stringify(json.warnings),
  );
});

Deno.test("stale --propagate: every dependency cycle is listed, a cycle through a deliverable another cycle went through too (propagate-sweep F4)", async () => {
  const { root, dir } = await buildRoot();
  await register(dir("DEL-02-01"), row("D1", "DEL-02-01", "DEL-02-03"));
  await register(dir("DEL-02-02"), row("D2", "DEL-02-02", "DEL-02-01"));
  await register(
    dir("DEL-02-03"),
    row("D3", "DEL-02-03", "DEL-02-02"),
    row("D4", "DEL-02-03", "DEL-02-01"),
  );
  const { json, stderr } = await staleJson(root);
  assertEquals(json.cycles, [
    ["DEL-02-01", "DEL-02-02", "DEL-02-03", "DEL-02-01"],
    ["DEL-02-01", "DEL-02-03", "DEL-02-01"],
  ], stderr);
  assertEquals(json.summary.cycles, 2);
});

Deno.test("stale --propagate: past 1,000 dependency cycles the first 1,000 are listed and a warning says there are more (propagate-sweep F4)", async () => {
  const { root, dir } = await buildRoot();
  const ids = Object.keys(FOLDERS);
  for (const id of ids) {
    await register(dir(id), ...ids.filter((o) => o !== id).map((o) => row(`D-${o}`, id, o)));
  }
  const { json, stderr } = await staleJson(root);
  assertEquals(json.cycles.length, 1000, stderr);
  assertIncludes(json.warnings.join("\n"), "more than 1000 dependency cycles");
});

Deno.test("stale --propagate: a target in a folder whose name starts with `..` (`..data`, as Kubernetes mounts name theirs) is inside its execution root: no warning that none is above it (plain-37 F1)", async () => {
  const root = join(await tempDir({ prefix: "runrec-propagate-" }), "root");
  const del = join(root, "..data", "DEL-02-01_Pump");
  await writeTree(root, {
    "INIT.md": "# Session\n",
    "..data/DEL-02-01_Pump/_CONTEXT.md": "**DeliverableID:** DEL-02-01\n",
    "..data/DEL-02-01_Pump/Spec.md": "s1\n",
  });
  await run(del, "4_DOCUMENTS", 40, "Spec.md");
  const { code, json, stderr } = await staleJson(del);
  assertEquals(code, 0, stderr);
  assertEquals(json.warnings, []);
});
