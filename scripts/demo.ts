/**
 * `deno task demo`: plays a few Type 2 agent runs on a copy of `examples/`
 * and records each one with `runrec emit`, then shows the records with
 * `runrec log`, `runrec validate` and `runrec verify`.
 *
 * Each agent is a scripted stand-in: it really reads its inputs, really
 * writes its outputs and moves `_STATUS.md` where the real agent would (as
 * the agents table of HOST_FORMATS.md says). The CLI runs in this process,
 * exactly as `runrec <command>` would. The committed `examples/` folder is
 * never touched: everything happens in a fresh temporary folder.
 *
 * Usage: deno task demo [--keep] [--quiet]
 *
 *   --keep    keep the temporary folder (default: delete it at the end)
 *   --quiet   print only the folder, warnings and errors
 *
 * Exit code: 0 when every step and every check returned 0; otherwise the
 * highest code any of them returned.
 *
 * @module
 */
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Io } from "../src/cli/command.ts";
import { main, processIo } from "../src/cli/main.ts";
import { readLifecycleState } from "../src/status.ts";

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

/** The four documents 4_DOCUMENTS writes, in its order. */
export const DOCUMENTS = ["Datasheet.md", "Specification.md", "Guidance.md", "Procedure.md"];

/** What a stand-in agent reports when it is done. */
export interface StepOutcome {
  /** `SUCCESS`, `PARTIAL`, `FAILED` or `SKIPPED`. */
  status: "SUCCESS" | "PARTIAL" | "FAILED" | "SKIPPED";
  /** Files it wrote (the runner adds `_STATUS.md` when it moves the state). */
  outputs: string[];
  /** The lifecycle state it moves `_STATUS.md` to, if any. */
  moveTo?: string;
  /** The note of the History entry (table-shaped histories have a Notes column). */
  moveNote?: string;
  /** What went wrong (`PARTIAL`, `FAILED`). */
  error?: string;
  /** Free text, e.g. why a run was `SKIPPED`. */
  notes?: string;
}

/** One scripted agent run. */
export interface Step {
  /** Agent name, e.g. `4_DOCUMENTS`. */
  agent: string;
  /** Which deliverable it runs on. */
  deliverable: DeliverableKey;
  /** The pass directive the ORCHESTRATOR dispatched it with. */
  pass: string;
  /** Files it reads, relative to the deliverable folder. */
  inputs: string[];
  /** Does the work in `dir`, given the text of every input; returns the outcome. */
  play(dir: string, read: ReadonlyMap<string, string>): Promise<StepOutcome>;
}

/** Today's date (UTC) as `YYYY-MM-DD`, the form `_STATUS.md` uses. */
export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

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

const FOUR_DOCUMENTS_INPUTS = ["_CONTEXT.md", "_DEPENDENCIES.md", "_REFERENCES.md", "_STATUS.md"];

/** 4_DOCUMENTS writing `docs`; all four move the state to INITIALIZED. */
function fourDocuments(deliverable: DeliverableKey, docs: string[], missing?: string): Step {
  return {
    agent: "4_DOCUMENTS",
    deliverable,
    pass: "FULL",
    inputs: FOUR_DOCUMENTS_INPUTS,
    async play(dir, read) {
      const files = Object.fromEntries(
        docs.map((d) => [d, documentText(d, deliverable, read.get("_CONTEXT.md"))]),
      );
      const outputs = await writeFiles(dir, files);
      if (missing) return { status: "PARTIAL", outputs, error: missing };
      return {
        status: "SUCCESS",
        outputs,
        moveTo: "INITIALIZED",
        moveNote: "Four documents drafted",
      };
    },
  };
}

/** 4_DOCUMENTS with pass UPDATE on a deliverable whose documents are all present. */
function fourDocumentsUpdate(deliverable: DeliverableKey): Step {
  return {
    agent: "4_DOCUMENTS",
    deliverable,
    pass: "UPDATE",
    inputs: [...FOUR_DOCUMENTS_INPUTS, ...DOCUMENTS],
    play(_dir, read) {
      const empty = DOCUMENTS.filter((d) => (read.get(d) ?? "").trim() === "");
      if (empty.length > 0) throw new Error(`demo script: ${empty.join(", ")} unexpectedly empty`);
      return Promise.resolve({
        status: "SKIPPED",
        outputs: [],
        notes: "UPDATE: the four documents are present and no input changed; nothing to do",
      });
    },
  };
}

/** The bold terms of a document: `**Term**`. */
function boldTerms(text: string): string[] {
  return [...text.matchAll(/\*\*([^*:]+)\*\*/g)].map((m) => m[1].trim());
}

/** CHIRALITY_FRAMEWORK; `failure` makes it abort without writing anything. */
function chiralityFramework(deliverable: DeliverableKey, failure?: string): Step {
  return {
    agent: "CHIRALITY_FRAMEWORK",
    deliverable,
    pass: "FULL",
    inputs: [...DOCUMENTS, "_CONTEXT.md"],
    async play(dir, read) {
      if (failure) return { status: "FAILED", outputs: [], error: failure };
      const name = contextName(read.get("_CONTEXT.md"));
      const terms = DOCUMENTS.map((d) =>
        `- **${d.replace(/\.md$/, "")}**: ${read.get(d)?.split("\n")[0].replace(/^#\s*/, "")}`
      );
      const text = `# Semantic: ${deliverable} ${name}\n\n## Terms\n${terms.join("\n")}\n\n` +
        `## Relations\n- The Datasheet states values; the Specification states requirements.\n`;
      const outputs = await writeFiles(dir, { "_SEMANTIC.md": text });
      return { status: "SUCCESS", outputs, moveTo: "SEMANTIC_READY", moveNote: "Semantic model" };
    },
  };
}

/** CHIRALITY_LENS: which documents mention each term of `_SEMANTIC.md`. */
function chiralityLens(deliverable: DeliverableKey): Step {
  return {
    agent: "CHIRALITY_LENS",
    deliverable,
    pass: "FULL",
    inputs: [...DOCUMENTS, "_SEMANTIC.md"],
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

/** Dependency rows DEPENDENCIES finds for `examples/` DEL-01-02. */
const DEL_01_02_REGISTER = [
  "RegisterSchemaVersion,DependencyID,FromDeliverableID,ToDeliverableID,DependencyType,Description,Status",
  "v3.1,DEP-01-02-001,DEL-01-02,EXTERNAL,INPUT,Line sizes from the client piping class,OPEN",
  "v3.1,DEP-01-02-002,DEL-01-02,DEL-01-03,INTERFACE,Common vendor for flow and level instruments,OPEN",
];

/** DEPENDENCIES: writes `Dependencies.csv` and appends to the Run History of `_DEPENDENCIES.md`. */
function dependencies(deliverable: DeliverableKey): Step {
  return {
    agent: "DEPENDENCIES",
    deliverable,
    pass: "FULL",
    inputs: [...DOCUMENTS, "_CONTEXT.md", "_REFERENCES.md", "_DEPENDENCIES.md"],
    async play(dir, read) {
      const count = DEL_01_02_REGISTER.length - 1;
      const entry = `- ${today()} — DEPENDENCIES: register built, ${count} dependencies recorded`;
      const history = appendToSection(read.get("_DEPENDENCIES.md") ?? "", "Run History", entry);
      const outputs = await writeFiles(dir, {
        "Dependencies.csv": `${DEL_01_02_REGISTER.join("\n")}\n`,
        "_DEPENDENCIES.md": history,
      });
      return { status: "SUCCESS", outputs };
    },
  };
}

/**
 * The runs the demo plays, in order.
 *
 * @example
 * ```ts
 * import { SCRIPT } from "./demo.ts";
 * console.log(SCRIPT.map((s) => `${s.agent} on ${s.deliverable}`).join("\n"));
 * ```
 */
export const SCRIPT: readonly Step[] = [
  fourDocuments(
    "DEL-01-01",
    DOCUMENTS.slice(0, 3),
    "Procedure.md not written: no installation data in the references yet",
  ),
  fourDocuments("DEL-01-01", DOCUMENTS),
  chiralityFramework("DEL-01-01"),
  dependencies("DEL-01-02"),
  chiralityFramework(
    "DEL-01-02",
    "model session aborted before the terms pass (demo: simulated failure)",
  ),
  chiralityLens("DEL-01-03"),
  fourDocumentsUpdate("DEL-01-03"),
];

// ---------------------------------------------------------------------------
// Running the script.

/** Output of the demo: narration goes to `say`, the CLI writes to `io`. */
export interface DemoUi {
  say(text: string): void;
  io: Io;
}

/**
 * Copies the folder `from` to `to` (created), files and sub-folders.
 *
 * @example
 * ```ts
 * import { copyTree, EXAMPLES_DIR } from "./demo.ts";
 * const to = await Deno.makeTempDir();
 * await copyTree(EXAMPLES_DIR, to);
 * ```
 */
export async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory) await copyTree(source, target);
    else if (entry.isFile) await Deno.copyFile(source, target);
  }
}

async function readInputs(dir: string, inputs: string[]): Promise<Map<string, string>> {
  const read = new Map<string, string>();
  for (const input of inputs) read.set(input, await Deno.readTextFile(join(dir, input)));
  return read;
}

async function moveStatus(dir: string, move: StateMove): Promise<void> {
  const path = join(dir, "_STATUS.md");
  await Deno.writeTextFile(path, moveStatusText(await Deno.readTextFile(path), move));
}

/** `runrec emit` arguments for a played step. */
export function emitArgs(
  dir: string,
  step: Step,
  outcome: StepOutcome,
  statusBefore: string,
  durationMs: number,
): string[] {
  const args = ["emit", dir, "--agent", step.agent, "--status", outcome.status];
  args.push("--pass", step.pass, "--status-before", statusBefore);
  args.push("--duration-ms", String(durationMs));
  for (const input of step.inputs) args.push("--input", input);
  for (const output of outcome.outputs) args.push("--output", output);
  if (outcome.error !== undefined) args.push("--error", outcome.error);
  if (outcome.notes !== undefined) args.push("--notes", outcome.notes);
  return args;
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * A command line for people: shell-quoted words, wrapped with ` \` before
 * `width` columns, continuation lines indented.
 *
 * @example
 * ```ts
 * import { formatCommand } from "./demo.ts";
 * formatCommand(["runrec", "emit", "DEL-01-01_X", "--error", "it's gone"], 80, "  ");
 * // "  $ runrec emit DEL-01-01_X --error 'it'\\''s gone'"
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

function indentIo(io: Io, prefix: string): Io {
  return {
    ...io,
    out: (text) => io.out(text.replace(/^(?=.)/gm, prefix)),
  };
}

function listed(files: string[]): string {
  return files.length === 0 ? "(nothing)" : files.join(", ");
}

/**
 * Plays one step in the execution root `root`: reads the state, runs the
 * stand-in agent (timed), moves `_STATUS.md` if it says so, then records the
 * run with `runrec emit`. Returns emit's exit code.
 *
 * @example
 * ```ts
 * import { playStep, SCRIPT } from "./demo.ts";
 * import { processIo } from "../src/cli/main.ts";
 * const code = await playStep("/tmp/copy-of-examples", SCRIPT[0], 1, {
 *   say: (t) => console.log(t),
 *   io: processIo(),
 * });
 * ```
 */
export async function playStep(root: string, step: Step, n: number, ui: DemoUi): Promise<number> {
  const folder = join(WORKING_DIR, DELIVERABLES[step.deliverable]);
  const dir = join(root, folder);
  const before = (await readLifecycleState(join(dir, "_STATUS.md"))).state;
  const started = performance.now();
  const outcome = await step.play(dir, await readInputs(dir, step.inputs));
  const outputs = [...outcome.outputs];
  if (outcome.moveTo !== undefined) {
    const note = outcome.moveNote ?? "";
    await moveStatus(dir, {
      from: before,
      to: outcome.moveTo,
      agent: step.agent,
      date: today(),
      note,
    });
    outputs.push("_STATUS.md");
  }
  const durationMs = Math.round(performance.now() - started);
  const after = outcome.moveTo ?? before;
  const move = after === before ? `${before} (no move)` : `${before} → ${after}`;
  ui.say(`\n[${n}/${SCRIPT.length}] ${step.agent} on ${step.deliverable} — ${move}`);
  ui.say(`      pass ${step.pass}; read ${listed(step.inputs)}`);
  ui.say(`      wrote ${listed(outputs)}`);
  const detail = outcome.error ?? outcome.notes;
  ui.say(`      outcome ${outcome.status}${detail ? `: ${detail}` : ""} (${durationMs} ms)`);
  const args = emitArgs(dir, step, { ...outcome, outputs }, before, durationMs);
  ui.say(formatCommand(["runrec", ...args.slice(0, 1), folder, ...args.slice(2)], 100, "      "));
  return await main(args, indentIo(ui.io, "      → "));
}

/** Runs `runrec <args>` on the demo folder, under a heading. */
async function check(root: string, args: string[], ui: DemoUi): Promise<number> {
  ui.say(`\n== runrec ${args.join(" ")} <demo folder>`);
  return await main([...args, root], ui.io);
}

/** Options of the demo. */
export interface DemoOptions {
  /** Keep the temporary folder. */
  keep: boolean;
  /** Print only the folder line, warnings and errors. */
  quiet: boolean;
}

/**
 * Plays the whole demo in a fresh copy of `examples/`; returns the exit
 * code (the highest any step or check returned).
 *
 * @example
 * ```ts
 * import { runDemo } from "./demo.ts";
 * const code = await runDemo({ keep: false, quiet: true });
 * ```
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const base = processIo();
  const ui: DemoUi = {
    say: (text) => options.quiet ? undefined : base.out(`${text}\n`),
    io: options.quiet ? { ...base, out: () => {} } : base,
  };
  const root = await Deno.makeTempDir({ prefix: "runrec-demo-" });
  base.out(`demo folder: ${root}\n`);
  let code = 0;
  try {
    await copyTree(EXAMPLES_DIR, root);
    const net = await Deno.permissions.query({ name: "net" });
    ui.say(`copied ${relative(Deno.cwd(), EXAMPLES_DIR) || "."} there; network: ${net.state}`);
    for (const [i, step] of SCRIPT.entries()) {
      code = Math.max(code, await playStep(root, step, i + 1, ui));
    }
    code = Math.max(code, await check(root, ["log", "--format", "table"], ui));
    code = Math.max(code, await check(root, ["validate"], ui));
    code = Math.max(code, await check(root, ["verify"], ui));
  } catch (error) {
    base.err(`demo: ${(error as Error).stack ?? error}\n`);
    code = Math.max(code, 2);
  } finally {
    if (options.keep) {
      ui.say(`\nkept demo folder: ${root}`);
    } else {
      await Deno.remove(root, { recursive: true });
      ui.say(`\nremoved demo folder ${root} (use --keep to keep it)`);
    }
  }
  ui.say(code === 0 ? "demo: all steps returned 0" : `demo: exit code ${code}`);
  return code;
}

const USAGE = "Usage: deno task demo [--keep] [--quiet]\n";

if (import.meta.main) {
  let options: DemoOptions;
  try {
    const { values } = parseArgs({
      args: Deno.args,
      options: {
        keep: { type: "boolean" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
    if (values.help) {
      console.log(USAGE.trimEnd());
      Deno.exit(0);
    }
    options = { keep: values.keep ?? false, quiet: values.quiet ?? false };
  } catch (error) {
    console.error(`demo: ${(error as Error).message}\n${USAGE}`);
    Deno.exit(2);
  }
  Deno.exit(await runDemo(options));
}
