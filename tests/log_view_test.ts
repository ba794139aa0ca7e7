/**
 * The history view of `runrec log`: RunTimestamp order across files,
 * `--by path`, Pass and Error columns, case-insensitive `--agent`, and the
 * Markdown history table of `--format md`.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/log_view_test.ts
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { appendRecord, RECORD_FILE } from "../src/store.ts";
import { runCli } from "./cli.ts";
import { sampleDraft, tempDir } from "./fixtures.ts";

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
