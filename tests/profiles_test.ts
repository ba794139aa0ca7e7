/**
 * Agent profiles, the notes `checkRun` gives, the lifecycle rules (also as
 * `validate` warnings), the outcome mapping, and docs/AGENT_PROTOCOL.md
 * kept in step with the code.
 *
 * @module
 */
import { join } from "node:path";
import {
  blockSection,
  DOC_PATH,
  outcomeSection,
  withSections,
} from "../scripts/agent_protocol_doc.ts";
import { blockLines } from "../src/agent_block.ts";
import { isLifecycleTransition, lifecycleProblems } from "../src/lifecycle.ts";
import { HOST_OUTCOMES, mapOutcome } from "../src/outcomes.ts";
import {
  BUILTIN_PROFILES,
  checkRun,
  findProfile,
  primaryOutputFiles,
  profileFromText,
  type RunFacts,
  unknownAgentWarning,
} from "../src/profiles.ts";
import { closestNames } from "../src/near_names.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assertEquals, assertIncludes } from "./assert.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { git, ROOT, sampleDraft, tempDir, writeTree } from "./fixtures.ts";

const FIXTURES = join(ROOT, "tests", "fixtures", "agents");
const fixtureProfile = (name: string) => {
  const path = join(FIXTURES, `AGENT_${name}.md`);
  return profileFromText(Deno.readTextFileSync(path), path);
};

Deno.test("profiles: read from the Agent Type table, joined with the built-in profile", () => {
  const docs = fixtureProfile("4_DOCUMENTS");
  assertEquals(docs.writeScope, "deliverable-local");
  assertEquals(docs.primaryOutputs, [
    "Datasheet.md",
    "Specification.md",
    "Guidance.md",
    "Procedure.md",
    "_STATUS.md",
  ]);
  assertEquals(docs.transitions, [["OPEN", "INITIALIZED"]]);
  assertEquals(docs.source, join(FIXTURES, "AGENT_4_DOCUMENTS.md"));
  // `{DELIVERABLE_PATH}/` dropped; `INITIALIZED → SEMANTIC_READY` with spaces read.
  const framework = fixtureProfile("CHIRALITY_FRAMEWORK");
  assertEquals(framework.primaryOutputs, ["_SEMANTIC.md", "_STATUS.md"]);
  assertEquals(framework.transitions, [["INITIALIZED", "SEMANTIC_READY"]]);
  // PREPARATION: its own scope word; `TBD → OPEN` from the built-in profile.
  const prep = fixtureProfile("PREPARATION");
  assertEquals(prep.writeScope, "workspace-scaffold-only");
  assertEquals(prep.transitions, [["TBD", "OPEN"]]);
  assertEquals(prep.primaryOutputs.length, 5);
  // An agent runrec does not know: everything from its table, CRLF or not.
  const working = fixtureProfile("WORKING_ITEMS");
  assertEquals(working.transitions, [["SEMANTIC_READY", "IN_PROGRESS"], [
    "IN_PROGRESS",
    "CHECKING",
  ]]);
  assertEquals(working.inputs, []);
  assertEquals(fixtureProfile("DEPENDENCIES").primaryOutputs, [
    "Dependencies.csv",
    "_DEPENDENCIES.md",
  ]);
  // A name with a space is kept (the block quotes it), and so is a folder (F5).
  assertEquals(
    primaryOutputFiles("Package folders; `_CONTEXT.md`, `OPEN`, `a b.md`, `*.md`, `figures/`"),
    ["_CONTEXT.md", "a b.md", "*.md", "figures/"],
  );
});

Deno.test("findProfile: the agents/ folder above the deliverable, --agents-dir, built-in, unknown", async () => {
  const above = await Deno.makeTempDir({ prefix: "runrec-profiles-" });
  const root = join(above, "project");
  try {
    const del = join(root, "PKG-01_A", "1_Working", "DEL-01-02_B");
    await Deno.mkdir(del, { recursive: true });
    Deno.writeTextFileSync(join(root, "INIT.md"), ""); // the execution root: the project's root
    await Deno.mkdir(join(root, "agents"));
    await Deno.mkdir(join(root, "PKG-01_A", ".claude", "agents"), { recursive: true });
    const table = (outputs: string) =>
      `AGENT_TYPE: 2\n| **WRITE_SCOPE** | deliverable-local |\n| **PRIMARY_OUTPUTS** | ${outputs} |\n`;
    Deno.writeTextFileSync(join(root, "agents", "AGENT_CHIRALITY_LENS.md"), table("`Lens.md`"));
    Deno.writeTextFileSync(join(root, "agents", "AGENT_NEWCOMER.md"), table("`New.md`"));
    // Nearer than agents/ at the root: this one wins.
    Deno.writeTextFileSync(
      join(root, "PKG-01_A", ".claude", "agents", "AGENT_NEWCOMER.md"),
      table("`Nearer.md`"),
    );
    assertEquals(findProfile("CHIRALITY_LENS", del)?.primaryOutputs, ["Lens.md"]);
    assertEquals(findProfile("NEWCOMER", del)?.primaryOutputs, ["Nearer.md"]);
    // Found above, but no file for this agent: built in.
    assertEquals(findProfile("DEPENDENCIES", del)?.source, "built-in");
    assertEquals(findProfile("UNKNOWN_AGENT", del), undefined);
    // An agents dir given: only that one.
    assertEquals(findProfile("CHIRALITY_LENS", del, FIXTURES)?.primaryOutputs, [
      "_SEMANTIC_LENSING.md",
    ]);
    assertEquals(findProfile("NEWCOMER", del, FIXTURES), undefined);
    // A name that is a path is no agent's.
    assertEquals(findProfile("../agents/AGENT_NEWCOMER", del), undefined);
    // A deliverable that does not exist yet (PREPARATION's) is looked up all the same.
    assertEquals(findProfile("CHIRALITY_LENS", join(del, "..", "DEL-01-03_New"))?.primaryOutputs, [
      "Lens.md",
    ]);
    // Not above the project's top: with no .git, the execution root (trial-t F6).
    await Deno.mkdir(join(above, "agents"));
    Deno.writeTextFileSync(join(above, "agents", "AGENT_ABOVE.md"), table("`Above.md`"));
    assertEquals(findProfile("ABOVE", del), undefined);
    // The host keeps agents/ at its repository's root: a git work tree around the execution root
    // is the project.
    await git(above, "init", "-q");
    assertEquals(findProfile("ABOVE", del)?.primaryOutputs, ["Above.md"]);
    // A deliverable named through a link finds the agents of the project it is named in.
    const elsewhere = await Deno.makeTempDir({ prefix: "runrec-profiles-" });
    try {
      const real = join(elsewhere, "DEL-01-09_Linked");
      await Deno.mkdir(real);
      const linked = join(root, "PKG-01_A", "1_Working", "DEL-01-09_Linked");
      await Deno.symlink(real, linked);
      assertEquals(findProfile("ABOVE", linked)?.primaryOutputs, ["Above.md"]);
    } finally {
      await Deno.remove(elsewhere, { recursive: true });
    }
  } finally {
    await Deno.remove(above, { recursive: true });
  }
});

Deno.test("agent files above a git-initialised project (another's agents/, a home folder's) are not read: no warning from them, no profile (trial-t F6)", async () => {
  const above = await tempDir({ prefix: "runrec-profiles-" });
  const table = "AGENT_TYPE: 2\n| **WRITE_SCOPE** | deliverable-local |\n" +
    "| **PRIMARY_OUTPUTS** | `Unrelated.md` |\n";
  await writeTree(above, { "agents/AGENT_CHIRALITY_LENS.md": table });
  const root = join(above, "project");
  const del = join(root, "PKG-01_A", "1_Working", "DEL-01-03_B");
  await writeTree(root, {
    "INIT.md": "# Init\n",
    "agents/simulated.ts": "// no agent file here\n",
    "PKG-01_A/1_Working/DEL-01-03_B/_CONTEXT.md": "**DeliverableID:** DEL-01-03\n",
    "PKG-01_A/1_Working/DEL-01-03_B/_STATUS.md": "# Status: DEL-01-03 B\n\n" +
      "**Current State:** SEMANTIC_READY\n**Last Updated:** 2026-02-22\n",
    "PKG-01_A/1_Working/DEL-01-03_B/_SEMANTIC_LENSING.md": "x\n",
    "PKG-01_A/1_Working/DEL-01-03_B/Brief.md": "y\n",
  });
  await git(root, "init", "-q");
  // An input named, so that the note of a run with none is not among the warnings looked for.
  const emit = (agent: string, ...more: string[]) =>
    runCliProcess([
      "emit",
      del,
      "--agent",
      agent,
      "--status",
      "SUCCESS",
      "--input",
      join(del, "Brief.md"),
      ...more,
    ]);
  const lens = await emit("CHIRALITY_LENS", "--output", "_SEMANTIC_LENSING.md");
  assertEquals([lens.code, lens.stderr], [0, ""]);
  const lenz = await emit("CHIRALITY_LENZ");
  assertEquals(lenz.code, 0);
  assertIncludes(
    lenz.stderr,
    "agent CHIRALITY_LENZ is not a known agent (no agent file, nor built in)",
  );
  assertEquals(findProfile("CHIRALITY_LENS", del)?.source, "built-in");
});

const clean: RunFacts = {
  runStatus: "SUCCESS",
  statusBefore: "OPEN",
  statusAfter: "INITIALIZED",
  outputs: ["Datasheet.md", "_STATUS.md", "RunRecords.csv", ".runrec/pending/x.json"],
};

Deno.test("checkRun: a run within its profile and the lifecycle gets no note", () => {
  assertEquals(checkRun(BUILTIN_PROFILES["4_DOCUMENTS"], clean), []);
  // A one-step record (emit) does not know the state at start: TBD → OPEN is not judged.
  assertEquals(
    checkRun(BUILTIN_PROFILES["4_DOCUMENTS"], {
      ...clean,
      statusBefore: "TBD",
      statusAfter: "OPEN",
    }),
    [],
  );
  assertEquals(
    checkRun(BUILTIN_PROFILES["PREPARATION"], {
      runStatus: "SUCCESS",
      statusBefore: "TBD",
      statusAfter: "OPEN",
      outputs: ["_STATUS.md", "_CONTEXT.md"],
    }),
    [],
  );
  assertEquals(checkRun(undefined, { ...clean, outputs: ["../../elsewhere.md"] }), []);
});

Deno.test("checkRun: an output outside the deliverable folder is said to be outside it; one in it but not among PRIMARY_OUTPUTS is said to be not among them", () => {
  assertEquals(
    checkRun(BUILTIN_PROFILES["4_DOCUMENTS"], {
      ...clean,
      outputs: ["Datasheet.md", "_CONTEXT.md", "../DEL-01-03_X/Datasheet.md", "/etc/hosts"],
    }),
    [
      "output _CONTEXT.md is not among 4_DOCUMENTS's PRIMARY_OUTPUTS (Datasheet.md, " +
      "Specification.md, Guidance.md, Procedure.md, _STATUS.md)",
      "output ../DEL-01-03_X/Datasheet.md is outside the deliverable folder (4_DOCUMENTS's " +
      "WRITE_SCOPE is deliverable-local)",
      "output /etc/hosts is outside the deliverable folder (4_DOCUMENTS's WRITE_SCOPE is " +
      "deliverable-local)",
    ],
  );
  // A folder in PRIMARY_OUTPUTS holds every file beneath it (F5), and nothing beside it.
  const figs = { ...BUILTIN_PROFILES["CHIRALITY_LENS"], primaryOutputs: ["figures/", "a b.md"] };
  assertEquals(
    checkRun(figs, {
      ...clean,
      statusAfter: "OPEN",
      outputs: ["figures/a.svg", "figures/x/b.svg", "a b.md", "figs.md"],
    }),
    ["output figs.md is not among CHIRALITY_LENS's PRIMARY_OUTPUTS (figures/, a b.md)"],
  );
  // PREPARATION as the host describes it scaffolds the workspace: outside is in scope.
  assertEquals(
    checkRun(fixtureProfile("PREPARATION"), {
      runStatus: "SUCCESS",
      statusBefore: "TBD",
      statusAfter: "OPEN",
      outputs: ["../../0_References/_REFERENCE_INDEX.md", "_STATUS.md"],
    }),
    [],
  );
});

Deno.test("checkRun: state changes the agent may not make, and the lifecycle rules", () => {
  const lens = BUILTIN_PROFILES["CHIRALITY_LENS"];
  const facts = (runStatus: string, statusBefore: string, statusAfter: string): RunFacts => ({
    runStatus,
    statusBefore,
    statusAfter,
    outputs: [],
  });
  assertEquals(checkRun(lens, facts("SUCCESS", "INITIALIZED", "SEMANTIC_READY")), [
    "_STATUS.md changed INITIALIZED → SEMANTIC_READY, a change CHIRALITY_LENS may not make " +
    "(it makes no state change)",
  ]);
  assertEquals(
    checkRun(BUILTIN_PROFILES["4_DOCUMENTS"], facts("SUCCESS", "INITIALIZED", "SEMANTIC_READY")),
    [
      "_STATUS.md changed INITIALIZED → SEMANTIC_READY, a change 4_DOCUMENTS may not make " +
      "(it may make OPEN → INITIALIZED)",
    ],
  );
  assertEquals(checkRun(lens, facts("SUCCESS", "ISSUED", "ISSUED")), [
    "SUCCESS from ISSUED, a terminal state",
  ]);
  assertEquals(checkRun(undefined, facts("SUCCESS", "RETIRED", "RETIRED")), [
    "SUCCESS from RETIRED, a terminal state",
  ]);
  // Not in the lifecycle at all: said once, not again as the agent's.
  assertEquals(checkRun(BUILTIN_PROFILES["4_DOCUMENTS"], facts("SUCCESS", "OPEN", "ISSUED")), [
    "OPEN → ISSUED is not a lifecycle transition",
  ]);
  assertEquals(checkRun(BUILTIN_PROFILES["4_DOCUMENTS"], facts("SKIPPED", "OPEN", "INITIALIZED")), [
    "SKIPPED run changed the state OPEN → INITIALIZED (a skipped run changes nothing)",
  ]);
  // Unknown states are not judged.
  assertEquals(checkRun(lens, facts("SKIPPED", "TBD", "CHECKING")), []);
  assertEquals(checkRun(lens, facts("FAILED", "OPEN", "TBD")), []);
});

Deno.test("checkRun: a claimed StatusAfter that disagrees with _STATUS.md is noted; _STATUS.md wins", () => {
  assertEquals(
    checkRun(BUILTIN_PROFILES["4_DOCUMENTS"], { ...clean, claimedStatusAfter: "SEMANTIC_READY" }),
    ["claimed StatusAfter SEMANTIC_READY disagrees with _STATUS.md (INITIALIZED); _STATUS.md recorded"],
  );
  assertEquals(checkRun(undefined, { ...clean, claimedStatusAfter: "INITIALIZED" }), []);
});

Deno.test("lifecycle: the host's transition rules", () => {
  const allowed = [
    ["TBD", "OPEN"],
    ["OPEN", "INITIALIZED"],
    ["INITIALIZED", "SEMANTIC_READY"],
    ["INITIALIZED", "IN_PROGRESS"],
    ["SEMANTIC_READY", "IN_PROGRESS"],
    ["IN_PROGRESS", "CHECKING"],
    ["CHECKING", "ISSUED"],
    ["CHECKING", "IN_PROGRESS"],
    ["ISSUED", "IN_PROGRESS"],
    ["OPEN", "RETIRED"],
    ["ISSUED", "RETIRED"],
    ["OPEN", "OPEN"],
  ];
  for (const [from, to] of allowed) {
    assertEquals(isLifecycleTransition(from, to), true, `${from}→${to}`);
  }
  const refused = [
    ["OPEN", "SEMANTIC_READY"],
    ["INITIALIZED", "OPEN"],
    ["CHECKING", "SEMANTIC_READY"],
    ["RETIRED", "OPEN"],
    ["OPEN", "ISSUED"],
  ];
  for (const [from, to] of refused) {
    assertEquals(isLifecycleTransition(from, to), false, `${from}→${to}`);
  }
  assertEquals(
    lifecycleProblems({ RunStatus: "FAILED", StatusBefore: "OPEN", StatusAfter: "INITIALIZED" }),
    [],
  );
});

Deno.test("validate: lifecycle rules are warnings with their line; the exit code is unchanged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "runrec-lifecycle-" });
  try {
    const del = join(dir, "DEL-01-02_X");
    await Deno.mkdir(del);
    const file = join(del, RECORD_FILE);
    const drafts = [
      sampleDraft({ RunStatus: "SUCCESS", StatusBefore: "OPEN", StatusAfter: "INITIALIZED" }),
      sampleDraft({ RunStatus: "SUCCESS", StatusBefore: "ISSUED", StatusAfter: "ISSUED" }),
      sampleDraft({
        RunStatus: "SKIPPED",
        StatusBefore: "OPEN",
        StatusAfter: "INITIALIZED",
        ErrorSummary: "",
      }),
      sampleDraft({ RunStatus: "SUCCESS", StatusBefore: "OPEN", StatusAfter: "CHECKING" }),
    ];
    for (const d of drafts) await appendRecord(file, d, { fsync: false });
    const out = await runCli(["validate", del]);
    assertEquals(out.code, 0, out.stderr);
    assertEquals(
      out.stdout,
      [
        `${file}:3: warning: SUCCESS from ISSUED, a terminal state`,
        `${file}:4: warning: SKIPPED run changed the state OPEN → INITIALIZED (a skipped run changes nothing)`,
        `${file}:5: warning: OPEN → CHECKING is not a lifecycle transition`,
        `${file}: ok: 4 records, 0 errors, 3 warnings`,
        "",
      ].join("\n"),
    );
    const json = JSON.parse((await runCli(["validate", del, "--json"])).stdout);
    assertEquals(json.files[0].problems[0], {
      line: 3,
      severity: "warning",
      code: "lifecycle",
      field: "RunStatus",
      message: "SUCCESS from ISSUED, a terminal state",
    });
    assertEquals([json.ok, json.warnings], [true, 3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("outcomes: each host word maps to its RunStatus and is kept where SCHEMA.md puts the reason", () => {
  assertEquals(mapOutcome("PASS"), { status: "SUCCESS", notes: "PASS" });
  assertEquals(mapOutcome("FAIL", "cells 3, 7"), { status: "FAILED", error: "FAIL: cells 3, 7" });
  assertEquals(mapOutcome("SKIPPED_PROTECT_HUMAN_WORK", "state CHECKING"), {
    status: "SKIPPED",
    notes: "SKIPPED_PROTECT_HUMAN_WORK: state CHECKING",
  });
  assertEquals(mapOutcome("FAILED_INPUTS"), { status: "FAILED", error: "FAILED_INPUTS" });
  assertEquals(mapOutcome("UNSUPPORTED_VARIANT"), {
    status: "SKIPPED",
    notes: "UNSUPPORTED_VARIANT",
  });
  assertEquals(mapOutcome("PARTIAL", "Procedure.md missing"), {
    status: "PARTIAL",
    error: "Procedure.md missing",
  });
  assertEquals(mapOutcome("SUCCESS"), { status: "SUCCESS" });
  assertEquals(mapOutcome("DONE"), undefined);
  // Every word is in the block of each agent that reports it, and in no other.
  for (const profile of Object.values(BUILTIN_PROFILES)) {
    const block = blockLines(profile).join("\n");
    for (const outcome of HOST_OUTCOMES) {
      const reports = outcome.agents.includes(profile.name);
      assertEquals(
        block.includes(`| \`${outcome.word}\``),
        reports,
        `${profile.name} ${outcome.word}`,
      );
    }
  }
});

Deno.test("docs/AGENT_PROTOCOL.md: its outcome table and the five blocks are what the code generates", () => {
  const text = Deno.readTextFileSync(join(ROOT, DOC_PATH));
  const result = withSections(text, [outcomeSection(), blockSection()]);
  assertEquals(result.missing, undefined);
  assertEquals(
    result.text === text,
    true,
    "docs/AGENT_PROTOCOL.md is out of date: deno run --allow-read --allow-write " +
      "scripts/agent_protocol_doc.ts",
  );
  for (const name of Object.keys(BUILTIN_PROFILES)) assertIncludes(text, `### ${name}\n`);
});

Deno.test("closestNames: the same apart from case, or one or two edits away (one for short names); the nearest only", () => {
  const known = ["CHIRALITY_LENS", "CHIRALITY_FRAMEWORK", "4_DOCUMENTS", "QA", "DEPENDENCIES"];
  assertEquals(closestNames("chirality_lens", known), ["CHIRALITY_LENS"]);
  assertEquals(closestNames("CHIRALITY_LENZ", known), ["CHIRALITY_LENS"]);
  assertEquals(closestNames("CHIRALTIY_LENS", known), ["CHIRALITY_LENS"]); // a swap: one edit
  assertEquals(closestNames("4_DOCUMENT", known), ["4_DOCUMENTS"]);
  assertEquals(closestNames("DEPENDENCI", known), ["DEPENDENCIES"]); // two edits
  assertEquals(closestNames("DEPENDENCY", known), []); // three
  assertEquals(closestNames("QB", known), ["QA"]);
  assertEquals(closestNames("PM", known), []); // two edits of a short name make another word
  assertEquals(closestNames("LENSA", ["LENSB", "LENSC", "LENSAB"]), ["LENSAB", "LENSB", "LENSC"]);
  // A series: alike but for numbers, or for a last part of up to three characters (review-k 8).
  assertEquals(closestNames("LENS_A", ["LENS_B", "LENS_C", "LENS_AB", "STAGE_1"]), []);
  assertEquals(closestNames("DRAFT_DE", ["DRAFT_EN"]), []);
  assertEquals(closestNames("STAGE_1A", ["STAGE_1"]), []);
  assertEquals(closestNames("STAGE1", ["STAGE_1"]), ["STAGE_1"]); // not a series: a typo
  assertEquals(closestNames("REVIEW_ABCD", ["REVIEW_ABC"]), ["REVIEW_ABC"]); // four: a typo
  assertEquals(closestNames("LENS_A", ["LENS_a", "LENS_B"]), ["LENS_a"]); // case only: nearest
  // The same numbers written apart are one name misspelt (trial-r F1).
  assertEquals(closestNames("DEL-01-2_Flow", ["DEL-01-02_Flow", "DEL-01-03_Flow"]), [
    "DEL-01-02_Flow",
  ]);
  assertEquals(closestNames("STAGE_01", ["STAGE_1", "STAGE_2"]), ["STAGE_1"]);
});

Deno.test("unknownAgentWarning: --agents-dir's agent files are the known ones; a file there that cannot be read still names a known agent; a name close to none is not warned of", async () => {
  const dir = await Deno.makeTempDir({ prefix: "runrec-profiles-" });
  try {
    const del = join(dir, "DEL-01-02_B");
    await Deno.mkdir(del);
    const agents = join(dir, "elsewhere");
    await Deno.mkdir(join(agents, "AGENT_FOLDER.md"), { recursive: true }); // a folder: no agent
    Deno.writeTextFileSync(join(agents, "AGENT_REVIEWER.md"), "AGENT_TYPE: 2\n");
    assertEquals(await unknownAgentWarning("REVIEWER", del, agents), undefined);
    assertEquals(await unknownAgentWarning("DEPENDENCIES", del, agents), undefined); // built in
    const warned = await unknownAgentWarning("REVIEWR", del, agents) ?? "";
    assertIncludes(warned, `(no AGENT_REVIEWR.md in ${agents}, nor built in)`);
    assertIncludes(warned, "did you mean REVIEWER?");
    // A project's own agent with no file, close to no name the project has: not a misspelling.
    assertEquals(await unknownAgentWarning("FOLDER", del, agents), undefined);
    // Not found in agents/ above the deliverable: none there.
    assertEquals(await unknownAgentWarning("REVIEWR", del), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
