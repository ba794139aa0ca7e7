/**
 * The "record the run" block that `runrec agents install` adds to an agent
 * instruction file: `runrec start` as the run's first action, `runrec
 * finish` as its last step before reporting to ORCHESTRATOR, with the
 * agent's own command lines and outcome mapping. Its marker lines carry the
 * block format's version and a hash of the text between them, so that a
 * block edited by hand or written by an older runrec can be told apart.
 *
 * @module
 */
import type { AgentProfile } from "./profiles.ts";
import { HOST_OUTCOMES, keptIn } from "./outcomes.ts";
import type { RunStatus } from "./schema.ts";
import { sha256Hex } from "./sha256.ts";
import { shellWord } from "./shell_word.ts";

/** Version of the block's format, in its begin marker. */
export const BLOCK_VERSION = "v1";

/** How the begin marker line starts. */
export const BLOCK_BEGIN_PREFIX = "<!-- runrec:record-the-run:begin ";
/** The end marker line. */
export const BLOCK_END = "<!-- runrec:record-the-run:end -->";

const BEGIN_LINE = /^<!-- runrec:record-the-run:begin (v\d+) sha256:([0-9a-f]{16}) .*-->$/;

/** One row of an agent's outcome table: what it reports, and how to finish. */
interface OutcomeRow {
  /** The outcome, as the agent reports it or in words. */
  outcome: string;
  /** The RunStatus to give `--status`. */
  status: RunStatus;
  /** What else `runrec finish` takes (an `--error` or `--notes`), or `""`. */
  also: string;
}

/** What differs between the agents' blocks beyond their profile. */
interface BlockDetails {
  /** When the block applies, if not on every run. */
  when?: string;
  /** Arguments of `runrec start` beyond the deliverable, agent and inputs. */
  startExtra?: string;
  /** Which other files to give as `--input`. */
  moreInputs: string;
  /** Which outputs to name, beyond "each file the run wrote". */
  outputsNote?: string;
  /** Outcome rows of this agent, before the host words and the general rows. */
  rows: OutcomeRow[];
}

const FOUR_DOCS = "`Datasheet.md`, `Specification.md`, `Guidance.md`, `Procedure.md`";

const DETAILS: Record<string, BlockDetails> = {
  PREPARATION: {
    when: "Record Task Type C runs (one deliverable folder) only; other task types create no " +
      "deliverable folder and record nothing. `{DELIVERABLE_PATH}` is " +
      "`{pkg_folder}/1_Working/{DEL_ID}_{DelLabel}`, the folder this task creates: create it " +
      'first (`mkdir -p "{DELIVERABLE_PATH}"`), then run `runrec start` (StatusBefore is then ' +
      "`TBD`: there is no `_STATUS.md` yet).",
    startExtra: '--input "{DECOMPOSITION_REF}"',
    moreInputs: "`{DECOMPOSITION_REF}` is the decomposition's path from `{DELIVERABLE_PATH}`: " +
      "`../../../` and its path from the execution root. Add `--input PATH` for each reference " +
      "file you read for this deliverable.",
    outputsNote: "each file the task created (an existing file you skipped is not an output)",
    rows: [
      {
        outcome: "every file already existed (nothing created)",
        status: "SKIPPED",
        also: '`--notes "all files existed"`',
      },
      {
        outcome: "invalid deliverable ID, or `check_min_viable_fileset.sh` fails",
        status: "FAILED",
        also: '`--error "<the invalid ID or the missing files>"`',
      },
    ],
  },
  "4_DOCUMENTS": {
    startExtra: '--pass "{RUN_PASSES}"',
    moreInputs: "Add `--input PATH` for each other file you will read: the decomposition " +
      "(`{DECOMPOSITION_REF}`, from `{DELIVERABLE_PATH}`: `../../../_Decomposition/…`), " +
      "references not listed in `_REFERENCES.md`, and for Pass 3 the " +
      `four documents and \`_SEMANTIC_LENSING.md\`.`,
    outputsNote: `of ${FOUR_DOCS} and \`_STATUS.md\`, those this run wrote (\`_STATUS.md\` only ` +
      "when you changed the state)",
    rows: [{
      outcome: "`FULL` without `_SEMANTIC_LENSING.md` (Pass 3 skipped)",
      status: "PARTIAL",
      also: '`--error "Pass 3 skipped: _SEMANTIC_LENSING.md missing"`',
    }],
  },
  DEPENDENCIES: {
    moreInputs: "Add `--input PATH` for each reference file you read that `_REFERENCES.md` " +
      "does not list.",
    rows: [],
  },
  CHIRALITY_FRAMEWORK: {
    moreInputs: "Add `--input PATH` for each other file you read.",
    outputsNote: "`_SEMANTIC.md`, and `_STATUS.md` only when you changed it",
    rows: [],
  },
  CHIRALITY_LENS: {
    moreInputs: "Add `--input PATH` for each other file you read.",
    rows: [],
  },
};

const GENERAL_DETAILS: BlockDetails = {
  moreInputs: "Add `--input PATH` for each file of the deliverable you will read.",
  rows: [],
};

const GENERAL_ROWS: OutcomeRow[] = [
  { outcome: "protocol done, every intended output written", status: "SUCCESS", also: "" },
  {
    outcome: "protocol done, an intended output missing or incomplete",
    status: "PARTIAL",
    also: '`--error "<what is missing>"`',
  },
  {
    outcome: "stopped before the end of the protocol",
    status: "FAILED",
    also: '`--error "<why>"`',
  },
  {
    outcome: "nothing needed doing (a precondition not met)",
    status: "SKIPPED",
    also: '`--notes "<why>"`',
  },
];

/** The outcome rows of an agent's block: its own, its host words, then the general ones. */
function outcomeRows(agent: string): OutcomeRow[] {
  const words = HOST_OUTCOMES.filter((o) => o.agents.includes(agent)).map((o): OutcomeRow => {
    const text = o.detail === "" ? o.word : `${o.word}: ${o.detail}`;
    const option = keptIn(o.status) === "ErrorSummary" ? "--error" : "--notes";
    return { outcome: `\`${o.word}\``, status: o.status, also: `\`${option} "${text}"\`` };
  });
  return [...(DETAILS[agent]?.rows ?? []), ...words, ...GENERAL_ROWS];
}

/**
 * A Markdown table as `deno fmt` lays it out: cells padded to the widest in
 * their column, the rule made of dashes.
 *
 * @example
 * ```ts
 * import { alignedTable } from "./agent_block.ts";
 * alignedTable(["A", "Bee"], [["xyz", ""]]);
 * // ["| A   | Bee |", "| --- | --- |", "| xyz |     |"]
 * ```
 */
export function alignedTable(header: string[], rows: string[][]): string[] {
  const length = (s: string) => [...s].length;
  const widths = header.map((h, i) => Math.max(3, length(h), ...rows.map((r) => length(r[i]))));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => c + " ".repeat(widths[i] - length(c))).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

/**
 * The lines between the block's marker lines for an agent, without line
 * endings.
 *
 * @example
 * ```ts
 * import { blockBody } from "./agent_block.ts";
 * import { BUILTIN_PROFILES } from "./profiles.ts";
 * blockBody(BUILTIN_PROFILES["CHIRALITY_LENS"]).find((l) => l.startsWith("runrec start"));
 * // 'runrec start "{DELIVERABLE_PATH}" --agent CHIRALITY_LENS --input Datasheet.md ...'
 * ```
 */
export function blockBody(profile: AgentProfile): string[] {
  const name = profile.name;
  const details = DETAILS[name] ?? GENERAL_DETAILS;
  const startOptions = [
    details.startExtra,
    ...profile.inputs.map((p) => `--input ${shellWord(p)}`),
  ].filter(Boolean);
  const finishOptions = [
    "--status SUCCESS",
    ...profile.primaryOutputs.map((p) => `--output ${shellWord(p)}`),
  ];
  const start = [`runrec start "{DELIVERABLE_PATH}" --agent ${name}`, ...startOptions].join(" ");
  const finish = [`runrec finish "{RUN_TOKEN}" --agent ${name}`, ...finishOptions].join(" ");
  // The fallback in full: start's options and finish's, or the record loses its pass and inputs.
  const emit = [
    `runrec emit "{DELIVERABLE_PATH}" --agent ${name}`,
    ...startOptions,
    '--started "{STARTED}" --status-before "{STATUS_BEFORE}"',
    ...finishOptions,
  ].join(" ");
  const outputs = details.outputsNote ??
    (profile.primaryOutputs.length > 0
      ? `of ${profile.primaryOutputs.map((p) => `\`${p}\``).join(", ")}, those this run wrote`
      : "each file of the deliverable this run wrote");
  const rows = outcomeRows(name).map((r) => [r.outcome, `\`${r.status}\``, r.also]);
  return [
    "",
    "### Record the run (runrec)",
    "",
    "Every run is recorded in `{DELIVERABLE_PATH}/RunRecords.csv` by two `runrec` commands. " +
    "Recording never blocks the run: if a `runrec` command fails, carry on (but see the " +
    "last step: a `--status` refused is given again).",
    ...(details.when ? ["", details.when] : []),
    "",
    "**First action of the run, before any other step and before reading any file:**",
    "",
    "```sh",
    start,
    "```",
    "",
    "It prints one line, the run token: keep it as `{RUN_TOKEN}`. " +
    "Paths are relative to `{DELIVERABLE_PATH}`, or absolute. " + details.moreInputs +
    " Never give `_STATUS.md` as an `--input`, even when you read it: runrec records its state " +
    "itself (StatusBefore, StatusAfter), and as an input every later state change would show " +
    "this run out of date in `runrec stale`.",
    "",
    "**Last step, after every other step and check, before reporting to ORCHESTRATOR:**",
    "",
    "```sh",
    finish,
    "```",
    "",
    `Give \`--output PATH\` for each file the run wrote or deleted, and only those: ${outputs}. ` +
    "Choose `--status` by the outcome you report; the outcome word goes where the table says. " +
    "If `runrec finish` exits 2 refusing `--status`, the run is still pending: run the same " +
    "`runrec finish` again with a `--status` from this table (an outcome word of your own " +
    "goes in `--notes`):",
    "",
    ...alignedTable(["Outcome you report", "`--status`", "Also give"], rows),
    "",
    "If `runrec start` printed no token, note right then the time (`date -u " +
    "+%Y-%m-%dT%H:%M:%SZ`) as `{STARTED}` and the **Current State:** of `_STATUS.md` as " +
    "`{STATUS_BEFORE}`, and at the end run this instead of `runrec finish`, with the " +
    "`--input`s, `--status` and `--output`s you would have given to `runrec start` and " +
    "`runrec finish`:",
    "",
    "```sh",
    emit,
    "```",
    "",
    "Report every line `runrec` printed on stderr (they start with `runrec`) to ORCHESTRATOR " +
    "word for word; a line starting `runrec: lost-record:` carries the whole record, so report it in full.",
    "",
  ];
}

/** The hash of a block body in its begin marker: 16 hex digits of its SHA-256. */
export function bodyHash(body: readonly string[]): string {
  return sha256Hex(body.join("\n")).slice(0, 16);
}

/**
 * The block for an agent, marker lines included, without line endings.
 *
 * @example
 * ```ts
 * import { blockLines, BLOCK_END } from "./agent_block.ts";
 * import { BUILTIN_PROFILES } from "./profiles.ts";
 * const lines = blockLines(BUILTIN_PROFILES["DEPENDENCIES"]);
 * lines[0]; // "<!-- runrec:record-the-run:begin v1 sha256:… (written by runrec agents install) -->"
 * lines.at(-1) === BLOCK_END; // true
 * ```
 */
export function blockLines(profile: AgentProfile): string[] {
  const body = blockBody(profile);
  return [
    `${BLOCK_BEGIN_PREFIX}${BLOCK_VERSION} sha256:${bodyHash(body)} ` +
    "(written by runrec agents install) -->",
    ...body,
    BLOCK_END,
  ];
}

/** What a begin marker line says: the format version and the body's hash. */
export function parseBeginLine(line: string): { version: string; hash: string } | undefined {
  const match = BEGIN_LINE.exec(line.trim());
  return match ? { version: match[1], hash: match[2] } : undefined;
}
