/**
 * `runrec stale` and the host's own edits of its files (hostfiles F17): the
 * host's hash tool filling in a `ContentHash:` line of `_REFERENCES.md`, and
 * the lifecycle moving `_STATUS.md` on (state, Last Updated, History rows),
 * are notes, not DIRTY; any other edit of either file stays DIRTY. Through
 * the CLI, with real files and the agents' own start/finish steps.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { type CliResult, runCli } from "./cli.ts";
import { makeProject, writeTree } from "./fixtures.ts";
import { sha256Hex } from "../src/sha256.ts";

/** One `runrec stale --json` check, as the JSON document gives it. */
interface JsonCheck {
  agent: string;
  verdict: string;
  inputs: { path: string; change: string; reason?: string }[];
  notes: string[];
}

/** Runs `runrec`, failing the test when it exits with another code than `code`. */
async function runrec(code: number, ...args: string[]): Promise<CliResult> {
  const result = await runCli(args);
  assertEquals(result.code, code, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
  return result;
}

/** The check of `agent` by `runrec stale <del> --json`, and stale's exit code. */
async function checkOf(del: string, agent: string): Promise<JsonCheck & { code: number }> {
  const result = await runCli(["stale", del, "--json"]);
  assert(result.code !== 2, result.stderr);
  const found = (JSON.parse(result.stdout).checks as JsonCheck[]).filter((c) => c.agent === agent);
  assertEquals(found.length, 1, result.stdout);
  return { ...found[0], code: result.code };
}

/** The changed paths of a check, as `change path` lines. */
function changed(check: JsonCheck): string[] {
  return check.inputs.map((c) => `${c.change} ${c.path}`).sort();
}

/** `_STATUS.md` in the host's list shape, with `rows` as its history. */
function statusList(state: string, updated: string, rows: [string, string][]): string {
  return `# Status: DEL-01-02 Thing\n\n**Current State:** ${state}  \n**Last Updated:** ${updated}\n\n` +
    "## History\n" + rows.map(([date, to]) => `- ${date} — State set to ${to} (agent)\n`).join("");
}

/** `_STATUS.md` in the host's table shape, CR LF line ends, with `rows` as its history. */
function statusTable(state: string, updated: string, rows: [string, string, string][]): string {
  const lines = [
    "# Status — DEL-01-02",
    "",
    `**Current State:** ${state}`,
    `**Last Updated:** ${updated}`,
    "",
    "## History",
    "",
    "| Date | From | To | Agent/Actor | Notes |",
    "|---|---|---|---|---|",
    ...rows.map(([date, from, to]) => `| ${date} | ${from} | ${to} | ORCHESTRATOR | |`),
    "",
    "## Notes",
    "- kept by hand",
  ];
  return lines.map((l) => `${l}\r\n`).join("");
}

Deno.test("F17: a ContentHash: line filled in is a note, not DIRTY; a reference added, removed or re-pointed stays DIRTY", async () => {
  const { root, del } = await makeProject();
  const refs = join(del, "_REFERENCES.md");
  await writeTree(root, { "_Decomposition/E.md": "# E\n" });
  await Deno.writeTextFile(
    refs,
    "# References\n\n## Applicable References\n- [D](../../../_Decomposition/D.md)\n" +
      "  - ContentHash: TBD\n- [Std](https://example.org/std)\n",
  );
  await runrec(0, "emit", del, "--agent", "LENS", "--status", "SUCCESS", "--input", "Datasheet.md");
  assertEquals((await checkOf(del, "LENS")).verdict, "CLEAN");

  // What the host's hash tool does: only the ContentHash sub-bullet changes.
  const hash = sha256Hex(await Deno.readTextFile(join(root, "_Decomposition/D.md")));
  const filled = (await Deno.readTextFile(refs)).replace(
    "ContentHash: TBD",
    `ContentHash: ${hash}`,
  );
  await Deno.writeTextFile(refs, filled);
  let check = await checkOf(del, "LENS");
  assertEquals([check.verdict, check.code], ["CLEAN", 0], JSON.stringify(check));
  assertIncludes(check.notes.join("\n"), "changed _REFERENCES.md (its references are the same)");
  const text = await runrec(0, "stale", del);
  assertIncludes(text.stdout, "changed _REFERENCES.md (its references are the same)");

  // A reference added: the file it leads to is new, and _REFERENCES.md itself is DIRTY.
  await Deno.writeTextFile(refs, `${filled}- [E](../../../_Decomposition/E.md)\n`);
  check = await checkOf(del, "LENS");
  assertEquals([check.verdict, check.code], ["DIRTY", 1]);
  assertEquals(changed(check), ["added ../../../_Decomposition/E.md", "changed _REFERENCES.md"]);

  // Re-pointed from D to E: D removed, E added, _REFERENCES.md changed.
  await Deno.writeTextFile(refs, filled.replace("D.md", "E.md"));
  check = await checkOf(del, "LENS");
  assertEquals(changed(check), [
    "added ../../../_Decomposition/E.md",
    "changed _REFERENCES.md",
    "removed ../../../_Decomposition/D.md",
  ]);

  // A URL reference added or removed changes no file, but the list: DIRTY, _REFERENCES.md alone.
  await Deno.writeTextFile(refs, `${filled}- [Other](https://example.org/other)\n`);
  check = await checkOf(del, "LENS");
  assertEquals([check.verdict, changed(check)], ["DIRTY", ["changed _REFERENCES.md"]]);
  await Deno.writeTextFile(refs, filled.replace("- [Std](https://example.org/std)\n", ""));
  check = await checkOf(del, "LENS");
  assertEquals([check.verdict, changed(check)], ["DIRTY", ["changed _REFERENCES.md"]]);

  // A referenced file edited with the ContentHash filled in: that file says so; the list is the same.
  await Deno.writeTextFile(refs, filled);
  await Deno.writeTextFile(join(root, "_Decomposition/D.md"), "# Decomposition v2\n");
  check = await checkOf(del, "LENS");
  assertEquals([check.verdict, changed(check)], ["DIRTY", [
    "changed ../../../_Decomposition/D.md",
  ]]);
  assertIncludes(check.notes.join("\n"), "changed _REFERENCES.md (its references are the same)");
});

Deno.test("F17: the lifecycle moving _STATUS.md on (state, Last Updated, History row) is a note; start/finish agents that read it stay CLEAN", async () => {
  const { del } = await makeProject();
  const status = join(del, "_STATUS.md");
  await Deno.writeTextFile(status, statusList("OPEN", "2026-02-21", [["2026-02-21", "OPEN"]]));
  // 4_DOCUMENTS as its block says: reads _STATUS.md, writes INITIALIZED.
  let token = (await runrec(
    0,
    ...["start", del, "--agent", "4_DOCUMENTS", "--input", "_STATUS.md", "--input", "_CONTEXT.md"],
  )).stdout.trim();
  await Deno.writeTextFile(join(del, "Datasheet.md"), "# Datasheet v1\n");
  await Deno.writeTextFile(
    status,
    statusList("INITIALIZED", "2026-02-22", [["2026-02-21", "OPEN"], [
      "2026-02-22",
      "INITIALIZED",
    ]]),
  );
  await runrec(
    0,
    ...["finish", token, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    ...["--output", "Datasheet.md", "--output", "_STATUS.md"],
  );
  // CHIRALITY_FRAMEWORK: reads the documents and _STATUS.md, writes SEMANTIC_READY.
  token = (await runrec(
    0,
    ...["start", del, "--agent", "CHIRALITY_FRAMEWORK", "--input", "Datasheet.md"],
    ...["--input", "_STATUS.md"],
  )).stdout.trim();
  await Deno.writeTextFile(
    status,
    statusList("SEMANTIC_READY", "2026-02-23", [
      ["2026-02-21", "OPEN"],
      ["2026-02-22", "INITIALIZED"],
      ["2026-02-23", "SEMANTIC_READY"],
    ]),
  );
  await runrec(
    0,
    ...["finish", token, "--agent", "CHIRALITY_FRAMEWORK", "--status", "SUCCESS"],
    ...["--output", "_STATUS.md"],
  );
  let docs = await checkOf(del, "4_DOCUMENTS");
  assertEquals([docs.verdict, docs.code], ["CLEAN", 0], JSON.stringify(docs));
  assertIncludes(
    docs.notes.join("\n"),
    "changed _STATUS.md (only its lifecycle state, INITIALIZED → SEMANTIC_READY)",
  );
  assertEquals((await checkOf(del, "CHIRALITY_FRAMEWORK")).verdict, "CLEAN");

  // A human: SEMANTIC_READY -> IN_PROGRESS, by hand. Both agents stay CLEAN.
  const inProgress = statusList("IN_PROGRESS", "2026-02-24", [
    ["2026-02-21", "OPEN"],
    ["2026-02-22", "INITIALIZED"],
    ["2026-02-23", "SEMANTIC_READY"],
    ["2026-02-24", "IN_PROGRESS"],
  ]);
  await Deno.writeTextFile(status, inProgress);
  docs = await checkOf(del, "4_DOCUMENTS");
  assertEquals([docs.verdict, docs.code], ["CLEAN", 0], JSON.stringify(docs));
  assertIncludes(
    docs.notes.join("\n"),
    "changed _STATUS.md (only its lifecycle state, INITIALIZED → IN_PROGRESS)",
  );
  const framework = await checkOf(del, "CHIRALITY_FRAMEWORK");
  assertEquals([framework.verdict, framework.code], ["CLEAN", 0], JSON.stringify(framework));
  assertIncludes(
    framework.notes.join("\n"),
    "changed _STATUS.md (only its lifecycle state, SEMANTIC_READY → IN_PROGRESS)",
  );
  assertIncludes((await runrec(0, "stale", del)).stdout, "only its lifecycle state");

  // Anything else edited in _STATUS.md is a change, whatever the state did.
  for (
    const edited of [
      inProgress.replace("# Status: DEL-01-02 Thing", "# Status: DEL-01-02 Thing (blocked)"),
      `${inProgress}\nA note by hand.\n`,
      inProgress.replace("- 2026-02-22 — State set to INITIALIZED (agent)\n", ""), // a row taken out
      inProgress.replace("(agent)\n- 2026-02-22", "(human)\n- 2026-02-22"), // an old row edited
    ]
  ) {
    await Deno.writeTextFile(status, edited);
    docs = await checkOf(del, "4_DOCUMENTS");
    assertEquals([docs.verdict, changed(docs)], ["DIRTY", ["changed _STATUS.md"]], edited);
  }
});

Deno.test("F17: a table-shaped History with CR LF line ends, and a history kept newest first, are lifecycle edits too", async () => {
  const { del } = await makeProject();
  const status = join(del, "_STATUS.md");
  const rows: [string, string, string][] = [["2026-02-21", "—", "OPEN"], [
    "2026-02-22",
    "OPEN",
    "INITIALIZED",
  ]];
  await Deno.writeTextFile(status, statusTable("INITIALIZED", "2026-02-22", rows));
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "_STATUS.md");
  const later: [string, string, string][] = [
    ...rows,
    ["2026-02-23", "INITIALIZED", "SEMANTIC_READY"],
    ["2026-02-25", "SEMANTIC_READY", "IN_PROGRESS"],
  ];
  await Deno.writeTextFile(status, statusTable("IN_PROGRESS", "2026-02-25", later));
  let check = await checkOf(del, "A");
  assertEquals(check.verdict, "CLEAN", JSON.stringify(check));
  assertIncludes(
    check.notes.join("\n"),
    "changed _STATUS.md (only its lifecycle state, INITIALIZED → IN_PROGRESS)",
  );
  // Newest first: rows added at the top.
  await Deno.writeTextFile(status, statusTable("INITIALIZED", "2026-02-22", [...rows].reverse()));
  await runrec(0, "emit", del, "--agent", "B", "--status", "SUCCESS", "--input", "_STATUS.md");
  await Deno.writeTextFile(status, statusTable("CHECKING", "2026-02-26", [...later].reverse()));
  check = await checkOf(del, "B");
  assertEquals(check.verdict, "CLEAN", JSON.stringify(check));
  // The Notes section below the History is no history: an edit there is a change.
  await Deno.writeTextFile(
    status,
    statusTable("CHECKING", "2026-02-26", [...later].reverse()).replace("kept by hand", "edited"),
  );
  check = await checkOf(del, "B");
  assertEquals([check.verdict, changed(check)], ["DIRTY", ["changed _STATUS.md"]]);
});

Deno.test("a file added to or removed from a folder given as input, beside an edit of _REFERENCES.md that keeps its references, is that file's change only: _REFERENCES.md is a note, not changed (oracle-41 F2)", async () => {
  const { del } = await makeProject();
  await writeTree(del, { "data/one.md": "one\n", "data/two.md": "two\n" });
  await runrec(0, "emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--input", "data");
  const references = join(del, "_REFERENCES.md");
  // The host's hash tool adds the reference's ContentHash line: the references are the same.
  const filled = `  - ContentHash: ${sha256Hex("# Decomposition\n")}\n`;
  await Deno.writeTextFile(references, `${await Deno.readTextFile(references)}${filled}`);
  await Deno.writeTextFile(join(del, "data", "three.md"), "three\n");
  let check = await checkOf(del, "4_DOCUMENTS");
  assertEquals([check.verdict, changed(check)], ["DIRTY", ["added data/three.md"]]);
  assertIncludes(check.notes.join("\n"), "changed _REFERENCES.md (its references are the same)");

  await Deno.remove(join(del, "data", "three.md"));
  await Deno.remove(join(del, "data", "two.md"));
  check = await checkOf(del, "4_DOCUMENTS");
  assertEquals([check.verdict, changed(check)], ["DIRTY", ["removed data/two.md"]]);
  assertIncludes(check.notes.join("\n"), "changed _REFERENCES.md (its references are the same)");
});
