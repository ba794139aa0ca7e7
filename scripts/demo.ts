/**
 * `deno task demo`: runs the host's agent pipeline on a copy of `examples/`
 * with runrec installed as a user installs it, each agent recording its run
 * through runrec's hooks, then shows the records and checks them.
 *
 * 1. Copies `examples/` (the execution root) into a temporary folder, leaving
 *    out DEL-01-01's folder: PREPARATION creates it.
 * 2. Installs runrec into `<folder>/bin` with `install()` of
 *    scripts/install.ts, the code of `deno task install`: the compiled binary
 *    where `deno compile` can build one, else a launcher over the bundle.
 * 3. Runs the agents of each deliverable in the pipeline's order. Each agent
 *    is a scripted stand-in and a real process (this file, `agent N`): it
 *    reads its inputs, writes its outputs and moves `_STATUS.md` where the
 *    host agent would. Most record themselves as docs/AGENT_PROTOCOL.md says
 *    (`runrec start` first, `runrec finish` last); some are wrapped in
 *    `runrec exec`; one is killed after `runrec start`, and its run reaped.
 * 4. Shows `runrec log`, `runrec validate` and `runrec verify`, and checks that
 *    every file no agent may write is byte-identical to before.
 *
 * Every command is printed as it runs, in the execution root, with what it
 * printed. The committed `examples/` folder is never touched.
 *
 * Usage: deno task demo [--keep] [--quiet]
 *
 *   --keep    keep the temporary folder (default: delete it at the end)
 *   --quiet   print only the folder, and the reason of a failure
 *
 * Exit code: 0 when every step and check passed; 1 with a one-line reason on
 * stderr otherwise; 2 for a usage error.
 *
 * @module
 */
import { basename, join, relative, resolve, sep } from "node:path";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { AGENTS } from "../examples/agents/simulated.ts";
import { readLifecycleState } from "../src/status.ts";
import { install } from "./install.ts";

/** The committed example execution root the demo copies. */
export const EXAMPLES_DIR: string = fileURLToPath(new URL("../examples/", import.meta.url));

/** Where the deliverable folders are, relative to the execution root. */
export const WORKING_DIR = "PKG-01_Field_Instruments/1_Working";

/** The deliverable folders of `examples/`, by deliverable ID. */
export const DELIVERABLES = {
  "DEL-01-01": "DEL-01-01_Pressure_Transmitter_Spec",
  "DEL-01-02": "DEL-01-02_Flow_Meter_Selection",
  "DEL-01-03": "DEL-01-03_Level_Switch_Datasheet",
} as const;

/** A deliverable ID of `examples/`. */
export type DeliverableKey = keyof typeof DELIVERABLES;

/** The deliverable PREPARATION creates in the demo (left out of the copy). */
const PREPARED: DeliverableKey = "DEL-01-01";

/** The four documents 4_DOCUMENTS writes, in its order. */
const DOCUMENTS = ["Datasheet.md", "Specification.md", "Guidance.md", "Procedure.md"];

/** The decomposition, relative to a deliverable folder. */
const DECOMPOSITION = "../../../_Decomposition/Example_Decomposition.md";

/** This script: the host, and (`agent N`) each agent. */
const DEMO_SCRIPT = fileURLToPath(import.meta.url);

/** The environment variable that tells an agent where the installed runrec is. */
const RUNREC_ENV = "RUNREC_DEMO_RUNREC";

/** The permission flags an agent process runs with. */
const AGENT_FLAGS = [
  "--allow-read",
  "--allow-write",
  "--allow-run",
  `--allow-env=${RUNREC_ENV}`,
  "--deny-net",
  "--no-prompt",
  "--no-config",
];

/** The exit code of an agent run by `runrec exec`, by outcome; exec is told 3 and 4. */
const EXIT_CODES: Record<string, number> = { SUCCESS: 0, FAILED: 1, PARTIAL: 3, SKIPPED: 4 };

/** The exit code of an agent that could not do what the demo script says (a bug). */
const AGENT_BROKEN = 70;

/** The line a killed agent prints when it is busy, so the host knows when to kill it. */
const BUSY_LINE = "# agent: working on the terms pass…";

/** Today's date (UTC) as `YYYY-MM-DD`, the form `_STATUS.md` uses. */
function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** A failed step or check of the demo: its message is the one-line reason. */
class DemoFailure extends Error {}

// ---------------------------------------------------------------------------
// Editing host files the way the agents do: append, and change only the
// lines that must change.

/** A History entry for a `_STATUS.md`. */
export interface StateMove {
  from: string;
  to: string;
  agent: string;
  date: string;
  note: string;
}

function sectionBounds(lines: string[], heading: string): [number, number] | undefined {
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`);
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && !/^#{1,2}\s/.test(lines[end])) end++;
  return [start, end];
}

/**
 * Inserts `entry` after the last `- ` or `|` line of the `## heading`
 * section (appending the section when there is none). Other lines are kept
 * as they are.
 *
 * @example
 * ```ts
 * import { appendToSection } from "./demo.ts";
 * appendToSection("# X\n\n## Run History\n- a\n", "Run History", "- b");
 * // "# X\n\n## Run History\n- a\n- b\n"
 * ```
 */
export function appendToSection(text: string, heading: string, entry: string): string {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text.split(eol);
  const bounds = sectionBounds(lines, heading);
  if (!bounds) {
    const tail = text === "" || text.endsWith(eol) ? "" : eol;
    return `${text}${tail}${eol}## ${heading}${eol}${entry}${eol}`;
  }
  const [start, end] = bounds;
  let at = start + 1;
  for (let i = start + 1; i < end; i++) if (/^(- |\|)/.test(lines[i])) at = i + 1;
  lines.splice(at, 0, entry);
  return lines.join(eol);
}

/**
 * The History entry for a state move, in the shape the file already uses:
 * a table row when the History section is a table, a bullet otherwise.
 *
 * @example
 * ```ts
 * import { historyEntry } from "./demo.ts";
 * const move = { from: "OPEN", to: "INITIALIZED", agent: "4_DOCUMENTS", date: "2026-02-22", note: "" };
 * historyEntry("## History\n- 2026-02-21 — State set to OPEN (PREPARATION)\n", move);
 * // "- 2026-02-22 — State set to INITIALIZED (4_DOCUMENTS)"
 * ```
 */
export function historyEntry(text: string, move: StateMove): string {
  const lines = text.split(/\r?\n/);
  const bounds = sectionBounds(lines, "History");
  const isTable = bounds !== undefined &&
    lines.slice(bounds[0] + 1, bounds[1]).some((l) => l.startsWith("|"));
  return isTable
    ? `| ${move.date} | ${move.from} | ${move.to} | ${move.agent} | ${move.note} |`
    : `- ${move.date} — State set to ${move.to} (${move.agent})`;
}

/**
 * Replaces the value of a `**Field:** value` line, keeping the label and
 * any trailing spaces; every other line stays byte-identical.
 *
 * @example
 * ```ts
 * import { setBoldField } from "./demo.ts";
 * setBoldField("**Current State:** OPEN  \n", "Current State", "INITIALIZED");
 * // "**Current State:** INITIALIZED  \n"
 * ```
 */
export function setBoldField(text: string, field: string, value: string): string {
  const pattern = new RegExp(`^(\\*\\*${field}:\\*\\*[ \\t]*)\\S*`, "m");
  if (!pattern.test(text)) throw new Error(`no **${field}:** line`);
  return text.replace(pattern, (_all, label: string) => `${label}${value}`);
}

/**
 * `_STATUS.md` text after a state move: new `**Current State:**` and
 * `**Last Updated:**`, one more History entry; the rest unchanged.
 *
 * @example
 * ```ts
 * import { moveStatusText } from "./demo.ts";
 * const text = "**Current State:** OPEN\n**Last Updated:** 2026-02-21\n\n## History\n- 2026-02-21 — State set to OPEN (PREPARATION)\n";
 * moveStatusText(text, { from: "OPEN", to: "INITIALIZED", agent: "4_DOCUMENTS", date: "2026-02-22", note: "" });
 * ```
 */
export function moveStatusText(text: string, move: StateMove): string {
  let next = setBoldField(text, "Current State", move.to);
  next = setBoldField(next, "Last Updated", move.date);
  return appendToSection(next, "History", historyEntry(next, move));
}

// ---------------------------------------------------------------------------
// The stand-in agents.

/** What a stand-in agent reports when it is done. */
export interface StepOutcome {
  /** A RunStatus, or the host agent's own outcome word (`PASS`, `FAILED_INPUTS`, ...). */
  status: string;
  /** Files it wrote (the runner adds `_STATUS.md` when it moves the state). */
  outputs: string[];
  /** The lifecycle state it moves `_STATUS.md` to, if any. */
  moveTo?: string;
  /** The note of the History entry (table-shaped histories have a Notes column). */
  moveNote?: string;
  /** What went wrong (`PARTIAL`, `FAILED`, `FAILED_INPUTS`). */
  error?: string;
  /** Free text, e.g. why a run was `SKIPPED`. */
  notes?: string;
}

/**
 * How a run is recorded: the agent calls `runrec start` and `runrec finish`
 * itself; or `runrec exec` wraps the agent; or the agent calls `runrec start`
 * and is killed while it works (its run is then reaped).
 */
export type Hook = "start/finish" | "exec" | "killed";

/** One agent run of the pipeline. */
export interface Step {
  /** Agent name, e.g. `4_DOCUMENTS`. */
  agent: string;
  /** Which deliverable it runs on. */
  deliverable: DeliverableKey;
  /** The pass directive the ORCHESTRATOR dispatched it with, if any. */
  pass?: string;
  /** Files it reads, relative to the deliverable folder (its `runrec --input`s). */
  inputs: string[];
  /** How its run is recorded. */
  hook: Hook;
  /** Does the work in `dir`, given the text of every input; returns the outcome. */
  play(dir: string, read: ReadonlyMap<string, string>): Promise<StepOutcome>;
}

/** The `**Name:**` of a deliverable from its `_CONTEXT.md` text. */
function contextName(context: string | undefined): string {
  return /\*\*Name:\*\*\s*(.+)/.exec(context ?? "")?.[1].trim() ?? "Unnamed";
}

/** The `## Scope` paragraph of `_CONTEXT.md`, on one line. */
function contextScope(context: string | undefined): string {
  const match = /## Scope\s*\n([\s\S]*?)(?:\n#|$)/.exec(context ?? "");
  return match ? match[1].trim().replace(/\s+/g, " ") : "TBD";
}

function documentText(doc: string, id: string, context: string | undefined): string {
  const kind = doc.replace(/\.md$/, "");
  const name = contextName(context);
  return `# ${kind}: ${id} ${name}\n\n` +
    `Drafted by 4_DOCUMENTS (demo stand-in) from _CONTEXT.md.\n\n` +
    `Scope: ${contextScope(context)}\n`;
}

async function writeFiles(dir: string, files: Record<string, string>): Promise<string[]> {
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(join(dir, name), text);
  }
  return Object.keys(files);
}

/** PREPARATION, Task Type C: creates the deliverable folder from its row of the decomposition. */
function preparation(deliverable: DeliverableKey): Step {
  return {
    agent: "PREPARATION",
    deliverable,
    inputs: [DECOMPOSITION],
    hook: "exec",
    async play(dir, read) {
      const row = (read.get(DECOMPOSITION) ?? "").split("\n")
        .map((line) => line.split("|").map((cell) => cell.trim()))
        .find((cells) => cells[1] === deliverable);
      if (!row) return { status: "FAILED", outputs: [], error: `${deliverable} not decomposed` };
      const [, , name, sow, scope] = row;
      const date = today();
      await Deno.mkdir(dir);
      const outputs = await writeFiles(dir, {
        "_CONTEXT.md": `# Context\n\n**DeliverableID:** ${deliverable}\n**Name:** ${name}\n` +
          `**Package:** PKG-01 Field Instruments\n**SOW Item:** ${sow}\n\n## Scope\n${scope}.\n`,
        "_DEPENDENCIES.md": `# Dependencies: ${deliverable} ${name}\n\n## Summary\n` +
          `No dependencies identified yet.\n\n## Run History\n` +
          `- ${date} — PREPARATION: file created, no register yet\n`,
        "_REFERENCES.md": `# References: ${deliverable} ${name}\n\n## Applicable References\n` +
          `- [Example Decomposition](${DECOMPOSITION})\n  - ContentHash: TBD\n\n` +
          `## Notes\n- Prepared from the decomposition, ${sow}.\n`,
        "_SEMANTIC.md": `# Semantic: ${deliverable} ${name}\n\n` +
          `Placeholder. Filled in by CHIRALITY_FRAMEWORK.\n`,
        "_STATUS.md": `# Status: ${deliverable} ${name}\n\n**Current State:** OPEN\n` +
          `**Last Updated:** ${date}\n\n## History\n- ${date} — State set to OPEN (PREPARATION)\n`,
      });
      return { status: "SUCCESS", outputs };
    },
  };
}

/** What 4_DOCUMENTS reads, as its runrec block lists it. */
const FOUR_DOCUMENTS_INPUTS = ["_CONTEXT.md", "_DEPENDENCIES.md", "_REFERENCES.md"];

/** 4_DOCUMENTS with pass P1_P2: drafts the four documents, OPEN → INITIALIZED. */
function fourDocuments(deliverable: DeliverableKey): Step {
  return {
    agent: "4_DOCUMENTS",
    deliverable,
    pass: "P1_P2",
    inputs: FOUR_DOCUMENTS_INPUTS,
    hook: "start/finish",
    async play(dir, read) {
      const files = Object.fromEntries(
        DOCUMENTS.map((d) => [d, documentText(d, deliverable, read.get("_CONTEXT.md"))]),
      );
      const outputs = await writeFiles(dir, files);
      return { status: "SUCCESS", outputs, moveTo: "INITIALIZED", moveNote: "Documents drafted" };
    },
  };
}

/** 4_DOCUMENTS with pass P3_ONLY, which needs `_SEMANTIC_LENSING.md`: reports FAILED_INPUTS without it. */
function fourDocumentsPass3(deliverable: DeliverableKey): Step {
  return {
    agent: "4_DOCUMENTS",
    deliverable,
    pass: "P3_ONLY",
    inputs: [...FOUR_DOCUMENTS_INPUTS, ...DOCUMENTS],
    hook: "start/finish",
    async play(dir) {
      const lensing = await Deno.stat(join(dir, "_SEMANTIC_LENSING.md")).then(
        () => true,
        () => false,
      );
      if (!lensing) {
        return { status: "FAILED_INPUTS", outputs: [], error: "_SEMANTIC_LENSING.md missing" };
      }
      throw new Error("demo script: _SEMANTIC_LENSING.md unexpectedly present");
    },
  };
}

/** 4_DOCUMENTS with pass UPDATE on a deliverable whose documents are all present: nothing to do. */
function fourDocumentsUpdate(deliverable: DeliverableKey): Step {
  return {
    agent: "4_DOCUMENTS",
    deliverable,
    pass: "UPDATE",
    inputs: [...FOUR_DOCUMENTS_INPUTS, ...DOCUMENTS],
    hook: "exec",
    play(_dir, read) {
      const empty = DOCUMENTS.filter((d) => (read.get(d) ?? "").trim() === "");
      if (empty.length > 0) throw new Error(`demo script: ${empty.join(", ")} unexpectedly empty`);
      return Promise.resolve({ status: "SKIPPED", outputs: [] });
    },
  };
}

/** The bold terms of a document: `**Term**`. */
function boldTerms(text: string): string[] {
  return [...text.matchAll(/\*\*([^*:]+)\*\*/g)].map((m) => m[1].trim());
}

/** CHIRALITY_FRAMEWORK: `_SEMANTIC.md` from the four documents, reported as `PASS`. */
function chiralityFramework(deliverable: DeliverableKey, hook: Hook): Step {
  return {
    agent: "CHIRALITY_FRAMEWORK",
    deliverable,
    inputs: [...DOCUMENTS, "_CONTEXT.md"],
    hook,
    async play(dir, read) {
      const name = contextName(read.get("_CONTEXT.md"));
      const terms = DOCUMENTS.map((d) =>
        `- **${d.replace(/\.md$/, "")}**: ${read.get(d)?.split("\n")[0].replace(/^#\s*/, "")}`
      );
      const text = `# Semantic: ${deliverable} ${name}\n\n## Terms\n${terms.join("\n")}\n\n` +
        `## Relations\n- The Datasheet states values; the Specification states requirements.\n`;
      const outputs = await writeFiles(dir, { "_SEMANTIC.md": text });
      return { status: "PASS", outputs, moveTo: "SEMANTIC_READY", moveNote: "Semantic model" };
    },
  };
}

/** CHIRALITY_LENS: which documents mention each term of `_SEMANTIC.md`. */
function chiralityLens(deliverable: DeliverableKey): Step {
  return {
    agent: "CHIRALITY_LENS",
    deliverable,
    inputs: [...DOCUMENTS, "_SEMANTIC.md"],
    hook: "start/finish",
    async play(dir, read) {
      const rows = boldTerms(read.get("_SEMANTIC.md") ?? "").map((term) => {
        const word = term.split(/\s+/)[0].toLowerCase();
        const hits = DOCUMENTS.filter((d) => read.get(d)?.toLowerCase().includes(word));
        return `| ${term} | ${hits.join(", ") || "—"} |`;
      });
      const text = `# Semantic Lensing: ${deliverable}\n\n| Term | Mentioned in |\n|---|---|\n` +
        `${rows.join("\n")}\n`;
      return {
        status: "SUCCESS",
        outputs: await writeFiles(dir, { "_SEMANTIC_LENSING.md": text }),
      };
    },
  };
}

/**
 * The v3.1 register layout, as DEL-01-03's committed `Dependencies.csv` has it: the columns
 * `runrec stale --propagate` follows (`Direction`, `TargetType`, `TargetDeliverableID`, `Status`).
 */
const REGISTER_HEADER = "RegisterSchemaVersion,DependencyID,FromPackageID,FromDeliverableID," +
  "FromDeliverableName,DependencyClass,AnchorType,Direction,DependencyType,TargetType," +
  "TargetPackageID,TargetDeliverableID,TargetRefID,TargetName,Statement,Status";

/** The start of a v3.1 row of `deliverable`'s register, up to its `Direction`. */
function registerRow(deliverable: DeliverableKey, seq: string, name: string): string {
  return `v3.1,DEP-${deliverable.slice(4)}-${seq},PKG-01,${deliverable},${name},EXECUTION,` +
    "NOT_APPLICABLE";
}

/**
 * The dependency rows DEPENDENCIES finds, and what it could not resolve. DEL-01-02's row to
 * DEL-01-03 is the edge DEL-01-03's own register holds, seen from the producer's side.
 */
const REGISTERS: Partial<Record<DeliverableKey, { rows: string[]; unresolved?: string }>> = {
  "DEL-01-01": {
    rows: [
      `${registerRow("DEL-01-01", "001", "Pressure Transmitter Spec")},UPSTREAM,INPUT,EXTERNAL,` +
      ",,PDC-01,Process design conditions,Process design conditions,ACTIVE",
    ],
  },
  "DEL-01-02": {
    rows: [
      `${registerRow("DEL-01-02", "001", "Flow Meter Selection")},UPSTREAM,INPUT,EXTERNAL,,,` +
      "PIPE-01,Client piping class,Line sizes from the client piping class,ACTIVE",
      `${registerRow("DEL-01-02", "002", "Flow Meter Selection")},DOWNSTREAM,INTERFACE,` +
      "DELIVERABLE,PKG-01,DEL-01-03,,Level Switch Datasheet,Common vendor for flow and level," +
      "ACTIVE",
    ],
    unresolved: "DEP-01-02-001 unresolved: the client piping class is not among the references",
  },
};

/** What DEPENDENCIES reads, as its runrec block lists it. */
const DEPENDENCIES_INPUTS = [...DOCUMENTS, "_CONTEXT.md", "_REFERENCES.md", "_DEPENDENCIES.md"];

/**
 * DEPENDENCIES: writes `Dependencies.csv` and appends to the Run History of
 * `_DEPENDENCIES.md`, a file it also reads. PARTIAL when a dependency is unresolved.
 */
function dependencies(deliverable: DeliverableKey): Step {
  return {
    agent: "DEPENDENCIES",
    deliverable,
    inputs: DEPENDENCIES_INPUTS,
    hook: "start/finish",
    async play(dir, read) {
      const { rows, unresolved } = REGISTERS[deliverable]!;
      const entry = `- ${today()} — DEPENDENCIES: register built, ${rows.length} ` +
        `dependencies recorded${unresolved ? ", 1 unresolved" : ""}`;
      const history = appendToSection(read.get("_DEPENDENCIES.md") ?? "", "Run History", entry);
      const outputs = await writeFiles(dir, {
        "Dependencies.csv": `${[REGISTER_HEADER, ...rows].join("\n")}\n`,
        "_DEPENDENCIES.md": history,
      });
      if (unresolved) return { status: "PARTIAL", outputs, error: unresolved };
      return { status: "SUCCESS", outputs };
    },
  };
}

/**
 * The runs of the demo, deliverable by deliverable, each in the pipeline's
 * order: DEL-01-01 from nothing to SEMANTIC_READY with every agent; then
 * agents that fail, stop part-way, are killed, or find nothing to do.
 *
 * @example
 * ```ts
 * import { SCRIPT } from "./demo.ts";
 * console.log(SCRIPT.map((s) => `${s.agent} on ${s.deliverable} (${s.hook})`).join("\n"));
 * ```
 */
export const SCRIPT: readonly Step[] = [
  preparation("DEL-01-01"),
  fourDocuments("DEL-01-01"),
  dependencies("DEL-01-01"),
  chiralityFramework("DEL-01-01", "start/finish"),
  chiralityLens("DEL-01-01"),
  fourDocumentsPass3("DEL-01-02"),
  dependencies("DEL-01-02"),
  chiralityFramework("DEL-01-02", "killed"),
  fourDocumentsUpdate("DEL-01-03"),
  chiralityLens("DEL-01-03"),
];

// ---------------------------------------------------------------------------
// Shared by the host and the agents.

/** The folder of deliverable `id`, relative to the execution root. */
function deliverableFolder(id: DeliverableKey): string {
  return join(WORKING_DIR, DELIVERABLES[id]);
}

/** The options `runrec start` and `runrec exec` get for `step`. */
function startOptions(step: Step): string[] {
  const pass = step.pass === undefined ? [] : ["--pass", step.pass];
  return ["--agent", step.agent, ...pass, ...step.inputs.flatMap((input) => ["--input", input])];
}

/** The `runrec finish` options for what the agent reports. */
function finishOptions(outcome: StepOutcome): string[] {
  const args = ["--status", outcome.status];
  for (const output of outcome.outputs) args.push("--output", output);
  if (outcome.error !== undefined) args.push("--error", outcome.error);
  if (outcome.notes !== undefined) args.push("--notes", outcome.notes);
  return args;
}

function shellWord(word: string): string {
  // A quoted shell variable ("$TOKEN") is shown as it is.
  if (/^"\$\w+"$/.test(word)) return word;
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * A command line for people: shell-quoted words, wrapped with ` \` before
 * `width` columns, continuation lines indented.
 *
 * @example
 * ```ts
 * import { formatCommand } from "./demo.ts";
 * formatCommand(["runrec", "finish", '"$TOKEN"', "--error", "it's gone"], 80, "  ");
 * // `  $ runrec finish "$TOKEN" --error 'it'\''s gone'`
 * ```
 */
export function formatCommand(words: string[], width: number, indent: string): string {
  const lines: string[] = [];
  let line = `${indent}$`;
  for (let i = 0; i < words.length; i++) {
    // Keep an option with its value.
    const isOption = words[i].startsWith("--") && i + 1 < words.length &&
      !words[i + 1].startsWith("--");
    const chunk = isOption ? `${words[i]} ${shellWord(words[++i])}` : shellWord(words[i]);
    if (line.length + 1 + chunk.length + 2 > width && line.trim() !== "$") {
      lines.push(`${line} \\`);
      line = `${indent}    ${chunk}`;
    } else {
      line += ` ${chunk}`;
    }
  }
  lines.push(line);
  return lines.join("\n");
}

/** Where command lines wrap. */
const WIDTH = 100;

function listed(files: string[]): string {
  return files.length === 0 ? "nothing" : files.join(", ");
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}

const decoder = new TextDecoder();

/**
 * Copies the folder `from` to `to` (created), files and sub-folders, except
 * the paths (relative to `from`) in `skip`.
 *
 * @example
 * ```ts
 * import { copyTree, EXAMPLES_DIR } from "./demo.ts";
 * const to = await Deno.makeTempDir();
 * await copyTree(EXAMPLES_DIR, to, ["ci"]);
 * ```
 */
export async function copyTree(from: string, to: string, skip: string[] = []): Promise<void> {
  const skipped = new Set(skip.map((path) => resolve(from, path)));
  const copy = async (source: string, target: string) => {
    await Deno.mkdir(target, { recursive: true });
    for await (const entry of Deno.readDir(source)) {
      const path = join(source, entry.name);
      if (skipped.has(path)) continue;
      if (entry.isDirectory) await copy(path, join(target, entry.name));
      else if (entry.isFile) await Deno.copyFile(path, join(target, entry.name));
    }
  };
  await copy(resolve(from), to);
}

/**
 * SHA-256 of every regular file beneath `dir`, by path relative to `dir`.
 *
 * @example
 * ```ts
 * import { EXAMPLES_DIR, hashTree } from "./demo.ts";
 * const hashes = await hashTree(EXAMPLES_DIR);
 * console.log(hashes["INIT.md"]);
 * ```
 */
export async function hashTree(dir: string, base = dir): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) Object.assign(hashes, await hashTree(path, base));
    else if (entry.isFile) {
      const bytes = await Deno.readFile(path);
      hashes[relative(base, path)] = createHash("sha256").update(bytes).digest("hex");
    }
  }
  return hashes;
}

async function readInputs(dir: string, inputs: string[]): Promise<Map<string, string>> {
  const read = new Map<string, string>();
  for (const input of inputs) read.set(input, await Deno.readTextFile(join(dir, input)));
  return read;
}

async function stateOf(dir: string): Promise<string> {
  return (await readLifecycleState(join(dir, "_STATUS.md"))).state;
}

// ---------------------------------------------------------------------------
// An agent: `deno run <AGENT_FLAGS> scripts/demo.ts agent N` runs step N of
// SCRIPT in the execution root (its working folder), printing what it does.

/** Runs the installed runrec as the agent does, printing the command and what runrec printed. */
async function agentRunrec(args: string[], shown: string): Promise<string> {
  console.log(shown);
  const runrec = Deno.env.get(RUNREC_ENV) ?? "runrec";
  const output = await new Deno.Command(runrec, { args, stdout: "piped", stderr: "piped" })
    .output();
  const stdout = decoder.decode(output.stdout).trim();
  const stderr = decoder.decode(output.stderr).trimEnd();
  if (stderr !== "") console.log(stderr);
  if (output.code !== 0) {
    throw new DemoFailure(`runrec ${args[0]} exited ${output.code}: ${lastLine(stderr)}`);
  }
  return stdout;
}

/**
 * Plays step `n` (1-based) of {@linkcode SCRIPT} as its agent's process:
 * `runrec start` first (unless `runrec exec` wraps it), reads the inputs,
 * does the work, moves `_STATUS.md`, then `runrec finish`. Returns the exit
 * code: under `runrec exec` the outcome's, else 0; 70 when the agent could
 * not do its part (a one-line reason on stderr).
 *
 * @example
 * ```ts
 * import { agentMain } from "./demo.ts";
 * // In a copy of examples/ without DEL-01-01, with RUNREC_DEMO_RUNREC set:
 * const code = await agentMain(2);
 * ```
 */
export async function agentMain(n: number): Promise<number> {
  try {
    const step = SCRIPT[n - 1];
    if (step === undefined) throw new DemoFailure(`no step ${n} in the demo script`);
    const folder = deliverableFolder(step.deliverable);
    const dir = resolve(folder);
    let token = "";
    if (step.hook !== "exec") {
      // A script passes its process id: once it is gone, runrec reap writes its run.
      const args = ["start", folder, ...startOptions(step), "--pid", String(Deno.pid)];
      const shown = formatCommand(["runrec", ...args], WIDTH - 12, "");
      token = await agentRunrec(args, `${shown.replace("$ runrec", "$ TOKEN=$(runrec")})`);
      console.log(`# TOKEN=…/.runrec/pending/${basename(token)}`);
    }
    const read = await readInputs(dir, step.inputs);
    console.log(`# agent: read ${listed(step.inputs)}`);
    if (step.hook === "killed") {
      console.log(BUSY_LINE);
      // Busy until the host kills it; the host never writes to stdin.
      for await (const _ of Deno.stdin.readable) { /* nothing comes */ }
      throw new DemoFailure("stdin was closed: the host was to kill this agent");
    }
    const before = await stateOf(dir);
    const outcome = await step.play(dir, read);
    const outputs = [...outcome.outputs];
    if (outcome.moveTo !== undefined) {
      const path = join(dir, "_STATUS.md");
      const move = {
        from: before,
        to: outcome.moveTo,
        agent: step.agent,
        date: today(),
        note: outcome.moveNote ?? "",
      };
      await Deno.writeTextFile(path, moveStatusText(await Deno.readTextFile(path), move));
      outputs.push("_STATUS.md");
    }
    const after = await stateOf(dir);
    const moved = after === before ? "" : ` (_STATUS.md ${before} → ${after})`;
    const detail = outcome.error ?? outcome.notes;
    console.log(`# agent: wrote ${listed(outputs)}${moved}`);
    console.log(`# agent: reports ${outcome.status}${detail === undefined ? "" : `: ${detail}`}`);
    if (step.hook === "exec") {
      const code = EXIT_CODES[outcome.status];
      if (code === undefined) throw new DemoFailure(`no exit code for ${outcome.status}`);
      return code;
    }
    const args = ["finish", token, ...finishOptions({ ...outcome, outputs })];
    const shown = ["runrec", "finish", `"$TOKEN"`, ...args.slice(2)];
    console.log(await agentRunrec(args, formatCommand(shown, WIDTH, "")));
    return 0;
  } catch (error) {
    console.error(`demo-agent ${n}: ${(error as Error).message.split("\n")[0]}`);
    return AGENT_BROKEN;
  }
}

// ---------------------------------------------------------------------------
// The host: installs runrec, dispatches the agents, checks what they left.

/** The demo's folders and output. */
interface Demo {
  /** The copy of `examples/`: the execution root, where every command runs. */
  root: string;
  /** The installed runrec. */
  runrec: string;
  /** Prints a line of narration (nothing with `--quiet`). */
  say(text: string): void;
}

const INDENT = "      ";

function indented(text: string): string {
  return text.trimEnd().replace(/^/gm, INDENT);
}

/** The command that runs step `n`'s agent. */
function agentCommand(n: number): string[] {
  return [Deno.execPath(), "run", ...AGENT_FLAGS, DEMO_SCRIPT, "agent", String(n)];
}

/** Runs a process in the execution root; the agents learn there where runrec is. */
function command(demo: Demo, program: string, args: string[], piped: boolean): Deno.Command {
  return new Deno.Command(program, {
    args,
    cwd: demo.root,
    env: { [RUNREC_ENV]: demo.runrec },
    stdin: piped ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs the installed runrec, printing the command and what it printed; fails on a non-zero exit. */
async function hostRunrec(demo: Demo, args: string[]): Promise<string> {
  demo.say(formatCommand(["runrec", ...args], WIDTH, INDENT));
  const output = await command(demo, demo.runrec, args, false).output();
  const stdout = decoder.decode(output.stdout);
  const stderr = decoder.decode(output.stderr);
  if (stdout.trim() !== "") demo.say(indented(stdout));
  if (stderr.trim() !== "") demo.say(indented(stderr));
  if (output.code !== 0) {
    throw new DemoFailure(`runrec ${args[0]} exited ${output.code}: ${lastLine(stderr)}`);
  }
  return stdout;
}

/** The lines of a byte stream, as they come. */
async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    for (let at = buffer.indexOf("\n"); at >= 0; at = buffer.indexOf("\n")) {
      yield buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
    }
  }
  if (buffer !== "") yield buffer;
}

/** Starts step `n`'s agent, kills it once it is busy, then reaps its run. */
async function killAndReap(demo: Demo, n: number, folder: string): Promise<void> {
  const [program, ...args] = agentCommand(n);
  const agent = command(demo, program, args, true).spawn();
  const stderr = new Response(agent.stderr).text();
  let busy = false;
  for await (const line of linesOf(agent.stdout)) {
    demo.say(indented(line));
    if (line === BUSY_LINE) {
      busy = true;
      break;
    }
  }
  if (busy) agent.kill("SIGKILL");
  const status = await agent.status;
  await agent.stdin.close().catch(() => {});
  if (!busy) throw new DemoFailure(`step ${n}: the agent ended early: ${lastLine(await stderr)}`);
  await stderr;
  demo.say(indented(
    `# host: killed the agent (pid ${agent.pid}, ${status.signal}) before it finished; ` +
      "its run is pending",
  ));
  const reaped = await hostRunrec(demo, ["reap", folder]);
  if (reaped.trim() === "") throw new DemoFailure(`step ${n}: runrec reap reaped nothing`);
}

/** How each hook is described in the step's heading. */
const HOOKS: Record<Hook, string> = {
  "start/finish": "records its run: runrec start first, runrec finish last",
  exec: "runrec exec runs it and records the run",
  killed: "runrec start, then killed while it works",
};

/** Dispatches step `n` (1-based) as the host would, printing what happens. */
async function dispatch(demo: Demo, step: Step, n: number): Promise<void> {
  const folder = deliverableFolder(step.deliverable);
  const pass = step.pass === undefined ? "" : `, pass ${step.pass}`;
  demo.say(`\n[${n}/${SCRIPT.length}] ${step.agent}${pass}: ${HOOKS[step.hook]}`);
  if (step.hook === "killed") return await killAndReap(demo, n, folder);
  let output: Deno.CommandOutput;
  if (step.hook === "exec") {
    const options = [...startOptions(step), "--partial-codes", "3", "--skipped-codes", "4"];
    const shown = ["runrec", "exec", folder, ...options, "--", "demo-agent", String(n)];
    demo.say(formatCommand(shown, WIDTH, INDENT));
    const args = ["exec", folder, ...options, "--", ...agentCommand(n)];
    output = await command(demo, demo.runrec, args, false).output();
  } else {
    const [program, ...args] = agentCommand(n);
    output = await command(demo, program, args, false).output();
  }
  const stdout = decoder.decode(output.stdout);
  const stderr = decoder.decode(output.stderr);
  if (stdout.trim() !== "") demo.say(indented(stdout));
  if (stderr.trim() !== "") demo.say(indented(stderr));
  const expected = step.hook === "exec" ? Object.values(EXIT_CODES) : [0];
  if (!expected.includes(output.code)) {
    throw new DemoFailure(
      `step ${n}, ${step.agent} on ${step.deliverable}, exited ${output.code}: ` +
        lastLine(stderr || stdout),
    );
  }
}

/** Runs `fn` with what it prints on the console collected, not printed. */
async function collectingConsole<T>(fn: () => Promise<T>): Promise<[T, string[]]> {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = console.error = (...data: unknown[]) => lines.push(data.join(" "));
  try {
    return [await fn(), lines];
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** The installed runrec in `bin`: the binary, or the launcher script. */
async function installedRunrec(bin: string): Promise<string> {
  for (const name of ["runrec.exe", "runrec.cmd", "runrec"]) {
    const found = await Deno.stat(join(bin, name)).then((s) => s.isFile, () => false);
    if (found) return join(bin, name);
  }
  throw new DemoFailure(`no runrec in ${bin} after the install`);
}

/** Installs runrec into `bin` as `deno task install --dir bin` does; returns the command. */
async function installInto(bin: string, say: (text: string) => void): Promise<string> {
  say(`\n== installing runrec, as \`deno task install --dir ${bin}\` does`);
  // install() reports on the console: its lines are shown indented (or not, with --quiet).
  const [code, lines] = await collectingConsole(() => install(["--dir", bin]));
  say(indented(lines.join("\n")));
  if (code !== 0) {
    const reason = lines.findLast((l) => l.startsWith("install:")) ?? `exit code ${code}`;
    throw new DemoFailure(`installing runrec failed: ${reason}`);
  }
  return await installedRunrec(bin);
}

/** Whether `path` (relative to the execution root) is runrec's own: a record file or its state. */
function isRunrecFile(path: string): boolean {
  return basename(path) === "RunRecords.csv" || path.split(sep).includes(".runrec");
}

/**
 * Compares every file of the execution root with its hash before the runs:
 * each must be byte-identical, or written by an agent the demo ran on its
 * deliverable that may write it (its write set in the host system's file formats), or
 * runrec's own. Throws {@linkcode DemoFailure} naming the first other change.
 */
async function checkHostFiles(demo: Demo, before: Record<string, string>): Promise<void> {
  demo.say("\n== host files: SHA-256 of every file of the execution root, before and after");
  const mayWrite = new Set(
    SCRIPT.flatMap((step) =>
      AGENTS[step.agent].writes.map((file) => join(deliverableFolder(step.deliverable), file))
    ),
  );
  const after = await hashTree(demo.root);
  let same = 0, written = 0, records = 0, state = 0;
  for (const path of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (before[path] === after[path]) same++;
    else if (isRunrecFile(path) && before[path] === undefined) {
      if (basename(path) === "RunRecords.csv") records++;
      else state++;
    } else if (mayWrite.has(path)) written++;
    else {
      const change = after[path] === undefined
        ? "deleted"
        : before[path] === undefined
        ? "created"
        : "changed";
      throw new DemoFailure(`${path} was ${change}, though no agent run on it may write it`);
    }
  }
  demo.say(indented(
    `${same} files byte-identical; ${written} written by agents that may write them; ` +
      `${records} RunRecords.csv and ${state} files of runrec's git-ignored .runrec/ added by runrec`,
  ));
}

/** Options of the demo. */
export interface DemoOptions {
  /** Keep the temporary folder. */
  keep: boolean;
  /** Print only the folder line, and the reason of a failure. */
  quiet: boolean;
}

/**
 * Runs the whole demo in a fresh temporary folder; returns the exit code
 * (0 passed; 1 failed, with a one-line reason on stderr).
 *
 * @example
 * ```ts
 * import { runDemo } from "./demo.ts";
 * const code = await runDemo({ keep: false, quiet: true });
 * ```
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const say = (text: string) => options.quiet ? undefined : console.log(text);
  const folder = await Deno.makeTempDir({ prefix: "runrec-demo-" });
  console.log(`demo folder: ${folder}`);
  try {
    const root = join(folder, "examples");
    await copyTree(EXAMPLES_DIR, root, [deliverableFolder(PREPARED)]);
    const net = await Deno.permissions.query({ name: "net" });
    say(
      `copied examples/ to ${root}, without ${DELIVERABLES[PREPARED]} (PREPARATION creates ` +
        `it); network: ${net.state}`,
    );
    const runrec = await installInto(join(folder, "bin"), say);
    const demo: Demo = { root, runrec, say };
    say(
      `\nCommands run in ${root}, the execution root; runrec is ${runrec}.\n` +
        "Each agent is a scripted stand-in and a real process: it reads its inputs, writes its\n" +
        "outputs and moves _STATUS.md where the host's agent would. `demo-agent N` is\n" +
        `${INDENT}deno ${agentCommand(0).slice(1, -1).join(" ")} N\n` +
        "on the Deno running this demo.",
    );
    const before = await hashTree(root);
    for (const [i, step] of SCRIPT.entries()) {
      if (step.deliverable !== SCRIPT[i - 1]?.deliverable) {
        const dir = join(root, deliverableFolder(step.deliverable));
        const exists = await Deno.stat(dir).then(() => true, () => false);
        const state = exists ? await stateOf(dir) : "no folder yet";
        say(`\n== ${DELIVERABLES[step.deliverable]} (${state})`);
      }
      await dispatch(demo, step, i + 1);
    }
    say("\n== the records");
    await hostRunrec(demo, ["log", "."]);
    await hostRunrec(demo, ["validate", "."]);
    await hostRunrec(demo, ["verify", "."]);
    await checkHostFiles(demo, before);
    say("\ndemo: every step and check passed");
    return 0;
  } catch (error) {
    const reason = error instanceof DemoFailure
      ? error.message
      : `unexpected error: ${(error as Error).message ?? error}`;
    console.error(`demo: failed: ${reason.split("\n")[0]}`);
    return 1;
  } finally {
    if (options.keep) {
      say(`kept demo folder: ${folder}`);
    } else {
      await Deno.remove(folder, { recursive: true });
      say(`removed demo folder ${folder} (use --keep to keep it)`);
    }
  }
}

const USAGE = "Usage: deno task demo [--keep] [--quiet]\n";

if (import.meta.main) {
  let options: DemoOptions;
  try {
    const { values, positionals } = parseArgs({
      args: Deno.args,
      options: {
        keep: { type: "boolean" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals[0] === "agent" && positionals.length === 2) {
      Deno.exit(await agentMain(Number(positionals[1])));
    }
    if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
    if (values.help) {
      console.log(USAGE.trimEnd());
      Deno.exit(0);
    }
    options = { keep: values.keep ?? false, quiet: values.quiet ?? false };
  } catch (error) {
    // parseArgs' advice on positionals starting with "-" fits none the demo takes.
    const said = (error as Error).message.replace(/\. To specify a positional argument.*$/s, "");
    console.error(`demo: ${said}\n${USAGE}`);
    Deno.exit(2);
  }
  Deno.exit(await runDemo(options));
}
