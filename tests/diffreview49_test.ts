/**
 * A review of stop 49's changes, run through the CLI: each test is a case a change got wrong,
 * which failed before its fix.
 */
import { join } from "node:path";
import { checkStaleness } from "../src/stale.ts";
import { assertEquals } from "./assert.ts";
import { runCli } from "./cli.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { git, makeProject, tempDir, writeTree } from "./fixtures.ts";

const WORKING = "PKG-02_Piping/1_Working";

/** An execution root where DEL-02-02 reads DEL-02-01 (its register says so). */
async function producerAndConsumer(): Promise<{ producer: string; consumer: string }> {
  const root = await tempDir({ prefix: "runrec-review49-" });
  const files: Record<string, string> = { "INIT.md": "# Session\n" };
  for (const [id, name] of [["DEL-02-01", "Pump"], ["DEL-02-02", "Valve"]]) {
    files[`${WORKING}/${id}_${name}/_STATUS.md`] = `# Status: ${id}\n\n**Current State:** OPEN\n`;
    files[`${WORKING}/${id}_${name}/_CONTEXT.md`] = `**DeliverableID:** ${id}\n`;
    files[`${WORKING}/${id}_${name}/Datasheet.md`] = `# Datasheet ${id}\n`;
  }
  files[`${WORKING}/DEL-02-02_Valve/Dependencies.csv`] =
    "RegisterSchemaVersion,DependencyID,FromPackageID,FromDeliverableID,FromDeliverableName," +
    "DependencyClass,AnchorType,Direction,DependencyType,TargetType,TargetPackageID," +
    "TargetDeliverableID,TargetRefID,TargetName,Statement,Status\n" +
    "v3.1,D2,PKG-02,DEL-02-02,x,INTERFACE,DOC,UPSTREAM,INFORMATION,DELIVERABLE,PKG-02," +
    "DEL-02-01,,name,data,ACTIVE\n";
  await writeTree(root, files);
  return {
    producer: join(root, WORKING, "DEL-02-01_Pump"),
    consumer: join(root, WORKING, "DEL-02-02_Valve"),
  };
}

/** Records a SUCCESS run of `dir` that started `minutes` ago and took one minute. */
async function run(dir: string, minutes: number, input: string): Promise<void> {
  const started = new Date(Date.now() - minutes * 60_000).toISOString();
  const result = await runCli([
    ...["emit", dir, "--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--started", started],
    ...["--duration", "PT1M", "--input", input],
  ]);
  assertEquals(result.code, 0, result.stderr);
}

/** A project in a git repository whose first commit holds one run; resolves to it and its RunID. */
async function committedRun(): Promise<{ root: string; del: string; runId: string }> {
  const { root, del } = await makeProject();
  const emit = await runCli(["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"]);
  assertEquals(emit.code, 0, emit.stderr);
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "a run");
  return { root, del, runId: emit.stdout.trim() };
}

Deno.test("stale --propagate: a producer's RunRecords.csv with CR-only line ends (every run on line 1, behind the header) is not read as holding no run: its consumer is told line 1 could not be read, and the producer is not 'no runs recorded'", async () => {
  const { producer, consumer } = await producerAndConsumer();
  await run(producer, 50, "Datasheet.md");
  await run(consumer, 40, "../DEL-02-01_Pump/Datasheet.md");
  await run(producer, 30, "Datasheet.md"); // ran since the consumer's run
  const file = join(producer, "RunRecords.csv");
  await Deno.writeTextFile(file, (await Deno.readTextFile(file)).replaceAll("\n", "\r"));
  const report = await checkStaleness([join(producer, "..")], { propagate: true });
  const unread = "RunRecords.csv line 1 could not be read (see runrec validate)";
  assertEquals(report.checks.map((c) => [c.deliverableId, c.verdict, c.notes]), [
    ["DEL-02-01", "NO_BASELINE", [unread]],
    ["DEL-02-02", "CLEAN", [
      `its producer DEL-02-01's ${unread}: were it a run since this deliverable's, this one ` +
      "would be STALE",
    ]],
  ]);
});

Deno.test("stale of a record file whose header, behind a byte-order mark, lost its newline (its first run glued to it) is NO_BASELINE, not CLEAN: only a header alone holds no run", async () => {
  const { producer } = await producerAndConsumer();
  await run(producer, 50, "Datasheet.md");
  await run(producer, 30, "Datasheet.md");
  const file = join(producer, "RunRecords.csv");
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, `\u{feff}${text.replace("\n", "")}`);
  const glued = await runCli(["stale", producer, "--json"]);
  assertEquals(
    JSON.parse(glued.stdout).checks.map((c: { verdict: string }) => c.verdict),
    ["NO_BASELINE"],
  );
  // The header alone behind the mark (an editor saved the file) is judged as before.
  await Deno.writeTextFile(file, `\u{feff}${text}`);
  const marked = await runCli(["stale", producer, "--json"]);
  assertEquals(
    JSON.parse(marked.stdout).checks.map((c: { verdict: string }) => c.verdict),
    ["CLEAN"],
  );
});

Deno.test("log --since 1.1w names 7.7d, a duration log takes, not 7.700000000000001d (a float's product printed as is)", async () => {
  for (const [given, meant] of [["1.1w", "7.7d"], ["0.1 weeks ago", "0.7d"], ["1.5w", "10.5d"]]) {
    const said = await runCli(["log", ".", "--since", given]);
    assertEquals(said.code, 2, said.stderr);
    assertEquals(said.stderr.includes(`(did you mean ${meant}?)`), true, said.stderr);
  }
});

Deno.test("verify --since of a record file an editor put a byte-order mark in says to delete the mark, as validate does, not to commit it as a normalisation (which would leave a file runrec appends nothing to)", async () => {
  const { root, del } = await committedRun();
  const file = join(del, "RunRecords.csv");
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, `\u{feff}${text}`); // an editor's save
  const head = (await git(root, "rev-parse", "--short=7", "HEAD")).trim();
  const run = await runCli(["verify", file, "--since", "HEAD"]);
  assertEquals(run.code, 1, run.stdout);
  assertEquals(
    run.stdout.split("\n")[1],
    `${file}:1: K-APPEND-1 broken in the working tree: only the byte-order mark put in, ` +
      "records unchanged; line 1 is rewritten, which a merge with a branch holding the old one " +
      `doubles, against the version in ${head}; delete those 3 bytes (EF BB BF), as validate ` +
      "says; if the mark was committed, commit that on its own and verify --since that commit",
  );
  await Deno.writeTextFile(file, text); // the remedy taken
  const held = await runCli(["verify", file, "--since", "HEAD"]);
  assertEquals(held.code, 0, held.stdout);
});

Deno.test("annotate ROOT RUNID, its deliverable renumbered and a backup copy under the old ID beneath the root, is refused naming both folders, not written into the copy; without the copy it annotates in the folder whose file holds the RunID, as show finds it", async () => {
  const { root, del } = await makeProject();
  const emit = await runCli(["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"]);
  assertEquals(emit.code, 0, emit.stderr);
  const runId = emit.stdout.trim();
  const backup = join(root, "backup", "DEL-01-02_Thing");
  await Deno.mkdir(join(root, "backup"));
  await new Deno.Command("cp", { args: ["-r", del, backup] }).output();
  const renamed = join(del, "..", "DEL-01-07_Thing");
  await Deno.rename(del, renamed);
  await Deno.writeTextFile(join(renamed, "_CONTEXT.md"), "**DeliverableID:** DEL-01-07\n");
  const copied = await Deno.readTextFile(join(backup, "RunRecords.csv"));
  const live = await Deno.readTextFile(join(renamed, "RunRecords.csv"));
  const both = await runCli(["annotate", root, runId, "--invalidates", "--note", "bad"]);
  assertEquals(both.code, 2, both.stderr);
  assertEquals(both.stderr.includes(backup) && both.stderr.includes(renamed), true, both.stderr);
  assertEquals(await Deno.readTextFile(join(backup, "RunRecords.csv")), copied);
  assertEquals(await Deno.readTextFile(join(renamed, "RunRecords.csv")), live);
  await Deno.remove(join(root, "backup"), { recursive: true });
  const one = await runCli(["annotate", root, runId, "--invalidates", "--note", "bad"]);
  assertEquals(one.code, 0, one.stderr);
  const shown = await runCli(["show", root, runId]);
  assertEquals(shown.stdout.includes("bad"), true, shown.stdout);
});

Deno.test("annotate repeated after git checkout dropped the first annotation: the first is put back and the repeat refused (exit 2, saying so), not a second annotation of the same effect beside it", async () => {
  const { root, del, runId } = await committedRun();
  const args = ["annotate", del, runId, "--invalidates", "--note", "wrong input"];
  const first = await runCli(args);
  assertEquals(first.code, 0, first.stderr);
  await git(root, "checkout", "--", ".");
  const again = await runCli(args);
  assertEquals(again.code, 2, again.stderr);
  assertEquals(again.stderr.includes(`put back ${first.stdout.trim()}`), true, again.stderr);
  const lines = (await Deno.readTextFile(join(del, "RunRecords.csv"))).trimEnd().split("\n");
  assertEquals(lines.map((line) => line.split(",")[1]), ["RunID", runId, first.stdout.trim()]);
});

Deno.test("annotate ROOT RUNID with a FIFO or a folder named RunRecords.csv in another deliverable beneath: annotated in its own, neither opened (a FIFO would block) nor a raw OS error", async () => {
  const { root, del } = await makeProject();
  const emit = await runCli(["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"]);
  assertEquals(emit.code, 0, emit.stderr);
  const other = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-04_Other");
  await writeTree(other, { "_CONTEXT.md": "**DeliverableID:** DEL-01-04\n" });
  const fifo = await new Deno.Command("mkfifo", { args: [join(other, "RunRecords.csv")] }).output();
  assertEquals(fifo.code, 0);
  const third = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-05_Third", "RunRecords.csv");
  await Deno.mkdir(third, { recursive: true });
  const args = ["annotate", root, emit.stdout.trim(), "--invalidates", "--note", "bad"];
  // Bounded, so that a read of the FIFO fails the test rather than hangs it.
  const run = await new Deno.Command("timeout", {
    args: ["120", Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(run.code, 0, new TextDecoder().decode(run.stderr));
});
