/**
 * `runrec stale` at the edges stop 48 found wrong: each was a false CLEAN or
 * a wrong verdict. Through the CLI, on generated projects, with real files and
 * links.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { checkOf, evidence, mkfifo, runrec, stale } from "./support/stale_json.ts";
import { runAsNobody } from "./support/nobody.ts";
import { assert, assertEquals } from "./assert.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { sha256Hex } from "../src/sha256.ts";

/** `_STATUS.md` in the host's list shape, its History holding `rows`. */
function statusList(state: string, rows: string[]): string {
  return `# Status: DEL-01-02 Thing\n\n**Current State:** ${state}\n**Last Updated:** 2026-02-22\n\n` +
    "## History\n- 2026-02-21 — State set to OPEN (PREPARATION)\n" + rows.join("");
}

/** `_STATUS.md` in the host's table shape, its History holding `rows` after the first. */
function statusTable(state: string, rows: string[]): string {
  return `# Status — DEL-01-02\n\n**Current State:** ${state}\n**Last Updated:** 2026-02-22\n\n` +
    "## History\n\n| Date | From | To | Agent/Actor | Notes |\n|---|---|---|---|---|\n" +
    "| 2026-02-21 | — | OPEN | ORCHESTRATOR/PREPARATION | Workspace scaffolding |\n" +
    rows.join("");
}

Deno.test("stale: a History row added to _STATUS.md that is not what a change of state writes (free text with a date and a state word, an actor of words, a From that is not the state before) is DIRTY; a change of state stays a note (stale-47's left item)", async () => {
  const { del } = await makeProject();
  const status = join(del, "_STATUS.md");
  await Deno.writeTextFile(status, statusList("OPEN", []));
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "_STATUS.md");
  await Deno.writeTextFile(status, statusTable("OPEN", []));
  await runrec(0, "emit", del, "--agent", "B", "--status", "SUCCESS", "--input", "_STATUS.md");
  await Deno.writeTextFile(status, statusList("OPEN", []));

  // What a change of state writes, in either shape: a note, CLEAN.
  const changes: [string, string][] = [
    ["A", statusList("INITIALIZED", ["- 2026-02-23 — State set to INITIALIZED (4_DOCUMENTS)\n"])],
    ["A", statusList("OPEN", ["- 2026-02-23 — State set to OPEN (ORCHESTRATOR)\n"])],
    [
      "B",
      statusTable("INITIALIZED", ["| 2026-02-23 | OPEN | INITIALIZED | 4_DOCUMENTS | Drafted |\n"]),
    ],
    [
      "B",
      statusTable("SEMANTIC_READY", [
        "| 2026-02-23 | OPEN | INITIALIZED | 4_DOCUMENTS | |\n",
        "| 2026-02-24 | INITIALIZED | SEMANTIC_READY | CHIRALITY_FRAMEWORK | |\n",
      ]),
    ],
  ];
  for (const [agent, text] of changes) {
    await Deno.writeTextFile(status, text);
    const check = checkOf((await stale(del)).checks, agent);
    assertEquals(check.verdict, "CLEAN", `${text}\n${JSON.stringify(check)}`);
  }
  // Words an agent reads, in the shape of a row, with a date and a state word: a change.
  const edits: [string, string][] = [
    ["A", statusList("OPEN", ["- 2026-02-23 — Client: items still OPEN go HART only\n"])],
    ["A", statusList("OPEN", ["- 2026-02-23 — OPEN: use 4-20mA HART only\n"])],
    [
      "A",
      statusList("INITIALIZED", [
        "- 2026-02-23 — State set to INITIALIZED (HART only, says the client)\n",
      ]),
    ],
    ["B", statusTable("OPEN", ["| 2026-02-23 | | | | OPEN items: HART only |\n"])],
    [
      "B",
      statusTable("INITIALIZED", ["| 2026-02-23 | CHECKING | INITIALIZED | 4_DOCUMENTS | |\n"]),
    ],
  ];
  for (const [agent, text] of edits) {
    await Deno.writeTextFile(status, text);
    const { code, checks } = await stale(del, "--agent", agent);
    const check = checkOf(checks, agent);
    assertEquals([code, evidence(check)], [1, [["changed", "_STATUS.md", undefined]]], text);
  }
});

Deno.test("stale: an input outside the execution root, not read at the run, is NO_BASELINE (its change cannot be seen), never CLEAN; DIRTY when another input changed (stale-47's left item)", async () => {
  const { del } = await makeProject();
  const outside = join(await tempDir({ prefix: "runrec-outside-" }), "glossary.md");
  await Deno.writeTextFile(outside, "v1\n");
  await Deno.symlink(outside, join(del, "glossary.md"));
  await runrec(
    0,
    "emit",
    del,
    "--agent",
    "A",
    "--status",
    "SUCCESS",
    "--input",
    "glossary.md",
    "--input",
    "Datasheet.md",
  );
  await Deno.writeTextFile(outside, "v2: what the agent reads has changed\n");
  for (const flags of [[], ["--allow-outside"]]) {
    const { code, checks } = await stale(del, ...flags);
    const check = checkOf(checks, "A");
    assertEquals([code, check.verdict, check.inputs], [0, "NO_BASELINE", []], flags.join(" "));
    assert(
      check.reason!.includes(
        "input glossary.md: outside the execution root at the run: not read then, so no change " +
          "can be told",
      ),
      check.reason,
    );
  }
  await Deno.writeTextFile(join(del, "Datasheet.md"), "# Datasheet, edited\n");
  const { code, checks } = await stale(del);
  const check = checkOf(checks, "A");
  assertEquals([code, evidence(check)], [1, [["changed", "Datasheet.md", undefined]]]);
  assert(check.notes.some((n) => n.includes("input glossary.md: outside")), check.notes.join("|"));
  // Read at the run (emit --allow-outside): compared, CLEAN when it is as read.
  await runrec(
    0,
    "emit",
    del,
    "--agent",
    "B",
    "--status",
    "SUCCESS",
    "--input",
    "glossary.md",
    "--allow-outside",
  );
  assertEquals(checkOf((await stale(del, "--allow-outside")).checks, "B").verdict, "CLEAN");
});

Deno.test("stale: _REFERENCES.md edited beyond its ContentHash: lines (its Notes, a reference's description) is DIRTY; a ContentHash: line filled in, added or brought up to date stays a note (stale-47's left item)", async () => {
  const { root, del } = await makeProject();
  const refs = join(del, "_REFERENCES.md");
  const d = join(root, "_Decomposition", "D.md");
  const text = (hash: string | undefined, description: string, notes: string) =>
    "# References\n\n## Applicable References\n- [D](../../../_Decomposition/D.md) — " +
    `${description}\n${hash === undefined ? "" : `  - ContentHash: ${hash}\n`}` +
    "- [Std](https://example.org/std)\n\n## Notes\n" + notes;
  await Deno.writeTextFile(refs, text("TBD", "scope", "- revision B applies\n"));
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "Datasheet.md");
  await Deno.writeTextFile(refs, text(undefined, "scope", "- revision B applies\n"));
  await runrec(0, "emit", del, "--agent", "B", "--status", "SUCCESS", "--input", "Datasheet.md");
  const dHash = sha256Hex(await Deno.readTextFile(d));

  // What the host's hash tool writes: the ContentHash filled in (A), or added (B).
  await Deno.writeTextFile(refs, text(dHash, "scope", "- revision B applies\n"));
  let { code, checks } = await stale(del);
  assertEquals(code, 0, JSON.stringify(checks));
  for (const agent of ["A", "B"]) {
    const check = checkOf(checks, agent);
    assertEquals(check.verdict, "CLEAN", JSON.stringify(check));
    assert(check.notes.includes("changed _REFERENCES.md (its references are the same)"));
  }
  // Words the agent reads, edited: a change, whatever the ContentHash lines did.
  for (
    const edited of [
      text(dHash, "scope", "- revision C applies, not B\n"),
      text("TBD", "scope", "- revision C applies, not B\n"),
      text(dHash, "scope, read only section 4", "- revision B applies\n"),
      text("TBD, but read revision C", "scope", "- revision B applies\n"),
    ]
  ) {
    await Deno.writeTextFile(refs, edited);
    ({ code, checks } = await stale(del, "--agent", "A"));
    assertEquals([code, evidence(checkOf(checks, "A"))], [1, [[
      "changed",
      "_REFERENCES.md",
      undefined,
    ]]], edited);
  }
  // The referenced file edited and its ContentHash brought up to date: that file is the change.
  await Deno.writeTextFile(refs, text(dHash, "scope", "- revision B applies\n"));
  await runrec(0, "emit", del, "--agent", "C", "--status", "SUCCESS", "--input", "Datasheet.md");
  await Deno.writeTextFile(d, "# Decomposition v2\n");
  await Deno.writeTextFile(
    refs,
    text(sha256Hex("# Decomposition v2\n"), "scope", "- revision B applies\n"),
  );
  ({ checks } = await stale(del, "--agent", "C"));
  const check = checkOf(checks, "C");
  assertEquals(evidence(check), [["changed", "../../../_Decomposition/D.md", undefined]]);
  assert(check.notes.includes("changed _REFERENCES.md (its references are the same)"));
});

Deno.test("stale: an input unreadable (permission denied) at the run and now is NO_BASELINE, never CLEAN: it holds bytes neither read; a FIFO then and now stays a note", async () => {
  const { root, del } = await makeProject();
  await Deno.writeTextFile(join(del, "Secret.md"), "v1\n");
  await mkfifo(join(del, "pipe"));
  const sh = (script: string) => new Deno.Command("sh", { args: ["-c", script] }).output();
  await sh(`chmod -R a+rX '${root}' && chmod 777 '${del}' && chmod 600 '${del}/Secret.md'`);
  const emitted = await runAsNobody(
    ["emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "Secret.md", "--input", "pipe"],
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  await Deno.writeTextFile(join(del, "Secret.md"), "v2: edited by its owner\n");
  const result = await runAsNobody(["stale", del, "--json"]);
  assertEquals(result.code, 0, result.stderr);
  const check = checkOf(JSON.parse(result.stdout).checks, "A");
  assertEquals([check.verdict, check.inputs], ["NO_BASELINE", []], JSON.stringify(check));
  assert(
    check.reason!.includes("input Secret.md: could not be read at the run nor now (permission"),
    check.reason,
  );
  assert(!check.reason!.includes("pipe"), check.reason);
});

Deno.test("emit and stale with _REFERENCES.md a link to a file outside the project: it is named as outside, never as _REFERENCES.md 'in other case' to be renamed to its own name; stale is NO_BASELINE for what it could not read", async () => {
  const { del } = await makeProject();
  const outside = join(await tempDir({ prefix: "runrec-outside-" }), "refs.md");
  await Deno.writeTextFile(outside, "# References\n\n- [D](../../../_Decomposition/D.md)\n");
  await Deno.remove(join(del, "_REFERENCES.md"));
  await Deno.symlink(outside, join(del, "_REFERENCES.md"));
  const emitted = await runrec(
    0,
    "emit",
    del,
    "--agent",
    "A",
    "--status",
    "SUCCESS",
    "--input",
    "Datasheet.md",
  );
  const record = await Deno.readTextFile(join(del, "RunRecords.csv"));
  assert(!`${record}${emitted.stderr}`.includes("in other case"), record + emitted.stderr);
  assert(record.includes("_REFERENCES.md is outside the execution root"), record);
  const { code, checks } = await stale(del);
  const check = checkOf(checks, "A");
  assertEquals([code, check.verdict], [0, "NO_BASELINE"]);
  assert(!check.reason!.includes("in other case"), check.reason);
  assert(check.reason!.includes("input _REFERENCES.md: outside the execution root"), check.reason);
});

Deno.test("stale: an input outside the execution root, not read at the run, not there now is NO_BASELINE saying so, not DIRTY: the record cannot tell a file deleted since from one never there (emit does not look outside)", async () => {
  const { del } = await makeProject();
  const outside = join(await tempDir({ prefix: "runrec-outside-" }), "glossary.md");
  await Deno.writeTextFile(outside, "v1\n");
  // The baseline names a file deleted since, then (a later run) one that was never there.
  for (const input of [outside, join(dirname(outside), "never.md")]) {
    await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", input);
    await Deno.remove(outside).catch(() => {});
    for (const flags of [[], ["--allow-outside"]]) {
      const { code, checks } = await stale(del, ...flags);
      const check = checkOf(checks, "A");
      assertEquals([code, check.verdict], [0, "NO_BASELINE"], `${input} ${flags.join(" ")}`);
      assert(check.reason!.includes("(and not there now: deleted, or never there)"), check.reason);
    }
  }
});
