import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { parseLifecycleState, readLifecycleState } from "../src/status.ts";
import { tempDir } from "./fixtures.ts";

const LIST_SHAPE = `# Status: DEL-01-02 Some Deliverable

**Current State:** INITIALIZED
**Last Updated:** 2026-02-22

## History
- 2026-02-21 — State set to OPEN (PREPARATION)
- 2026-02-22 — State set to INITIALIZED (4_DOCUMENTS)
`;

const TABLE_SHAPE = `# Status — DEL-05-04

**Current State:** ISSUED
**Last Updated:** 2026-02-24

## History

| Date | From | To | Agent/Actor | Notes |
|---|---|---|---|---|
| 2026-02-24 | CHECKING | ISSUED | WORKING_ITEMS | ... |
| 2026-02-21 | — | OPEN | ORCHESTRATOR/PREPARATION | Workspace scaffolding |
`;

Deno.test("both _STATUS.md shapes give the Current State line, not the history", () => {
  deepStrictEqual(parseLifecycleState(LIST_SHAPE, "_STATUS.md"), { state: "INITIALIZED" });
  deepStrictEqual(parseLifecycleState(TABLE_SHAPE, "_STATUS.md"), { state: "ISSUED" });
});

Deno.test("trailing spaces, CRLF, a BOM and **Current State**: are accepted", () => {
  deepStrictEqual(parseLifecycleState("**Current State:** CHECKING   \n", "s"), {
    state: "CHECKING",
  });
  deepStrictEqual(parseLifecycleState("# S\r\n**Current State:** RETIRED \t\r\n", "s"), {
    state: "RETIRED",
  });
  deepStrictEqual(parseLifecycleState("\uFEFF**Current State:** OPEN", "s"), { state: "OPEN" });
  deepStrictEqual(parseLifecycleState("**Current State**: SEMANTIC_READY\n", "s"), {
    state: "SEMANTIC_READY",
  });
  deepStrictEqual(parseLifecycleState("- **Current State:** IN_PROGRESS\n", "s"), {
    state: "IN_PROGRESS",
  });
});

Deno.test("every lifecycle state is read as itself", () => {
  for (
    const state of [
      "OPEN",
      "INITIALIZED",
      "SEMANTIC_READY",
      "IN_PROGRESS",
      "CHECKING",
      "ISSUED",
      "RETIRED",
    ]
  ) {
    deepStrictEqual(parseLifecycleState(`**Current State:** ${state}\n`, "s"), { state });
  }
});

Deno.test("an unknown value is TBD with a problem naming file and line", () => {
  const reading = parseLifecycleState("# Status\n\n**Current State:** DONE\n", "a/_STATUS.md");
  strictEqual(reading.state, "TBD");
  ok(reading.problem?.startsWith('a/_STATUS.md line 3: Current State "DONE" is not'));
  strictEqual(reading.problem?.includes("\n"), false);
  strictEqual(parseLifecycleState("**Current State:** issued\n", "s").state, "TBD");
  strictEqual(parseLifecycleState("**Current State:** ISSUED (2026-02-24)\n", "s").state, "TBD");
  ok(parseLifecycleState("**Current State:**\n", "s").problem?.includes('""'));
});

Deno.test("no Current State line is TBD with a problem naming the file", () => {
  deepStrictEqual(parseLifecycleState("# Status\nCurrent State: OPEN\n", "x/_STATUS.md"), {
    state: "TBD",
    problem: "x/_STATUS.md: no **Current State:** line",
  });
});

Deno.test("readLifecycleState reads the file; a missing file is TBD with a problem, marked missing", async () => {
  const dir = await tempDir({ prefix: "runrec_status_" });
  try {
    const file = join(dir, "_STATUS.md");
    await Deno.writeTextFile(file, TABLE_SHAPE);
    deepStrictEqual(await readLifecycleState(file), { state: "ISSUED" });
    strictEqual(await Deno.readTextFile(file), TABLE_SHAPE); // read, never written
    deepStrictEqual(await readLifecycleState(join(dir, "missing.md")), {
      state: "TBD",
      problem: `${join(dir, "missing.md")}: not found`,
      missing: true,
    });
    const folder = await readLifecycleState(dir);
    strictEqual(folder.state, "TBD");
    ok(folder.problem?.startsWith(`${dir}: unreadable`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("two Current State lines that disagree are TBD with a problem naming both; two that agree are read", () => {
  deepStrictEqual(
    parseLifecycleState("**Current State:** OPEN\n\n**Current State:** ISSUED\n", "_STATUS.md"),
    {
      state: "TBD",
      problem: '_STATUS.md lines 1 and 3: two Current State lines disagree ("OPEN", "ISSUED")',
    },
  );
  deepStrictEqual(
    parseLifecycleState("**Current State:** OPEN\n- **Current State:** OPEN\n", "_STATUS.md"),
    { state: "OPEN" },
  );
});
