/**
 * `runrec stale`: which deliverables are out of date since each agent's last
 * good run, with the paths that changed as evidence, and (`--propagate`) the
 * deliverables that consume them.
 *
 * @module
 */
import {
  checkStaleness,
  type FileChange,
  type StaleCheck,
  type StaleDeliverable,
  type StaleReport,
} from "../stale.ts";
import {
  type Command,
  EXIT,
  type Io,
  type Parsed,
  positionals,
  stringOption,
  UsageError,
  writeJson,
} from "./command.ts";
import { paint, plural } from "./format.ts";
import { oneLine } from "../names.ts";

const HELP = `runrec stale: which deliverables changed since each agent's last good run

Usage: runrec stale <del-dir|root>... [--agent A] [--propagate] [--allow-outside] [--json]

For each deliverable and each agent that has run on it, the baseline is the
agent's latest SUCCESS or PARTIAL run that no annotation invalidated or
superseded. Its governed inputs are hashed as the run would read them now and
compared with the baseline's InputHashes.

  CLEAN        every governed input is as the baseline read it
  DIRTY        some are not: each is listed with the baseline's RunID
  NO_BASELINE  no good run to compare with, or a change may be out of sight;
               it says why: never assumed clean
  RETIRED      the deliverable will not run again: nothing compared
  STALE        (--propagate) it consumes a DIRTY deliverable, or one that ran
               since: listed with the chain of edges

Caches, in git's common folder: runrec-hashes, a file's hash while its stat is
the same (--json: filesCached); runrec-verdicts, a deliverable's checks while
all they looked at is. A file changed in the last minute is read again. To read
and judge all again: rm both from "$(git rev-parse --git-common-dir)"

Options:
  --agent A     only agent A (a comma-separated list for several; case does not
                matter, as in log)
  --allow-outside
                read inputs outside the project too, as emit --allow-outside does
  --propagate   follow the ACTIVE rows of every Dependencies.csv (v3.1) in the
                execution root from each DIRTY deliverable to its consumers,
                transitively
  --json        one JSON document: {checks, upstream, stale, retired, cycles,
                warnings, unreadable, filesHashed (read), filesCached, summary}
  -h, --help    show this help

Exit codes: 0 nothing is DIRTY or STALE (NO_BASELINE and RETIRED alone are 0);
1 a target is DIRTY or something is STALE; 2 usage error, a missing target, or
an unreadable record file (the rest is still checked and printed).

Example:
  runrec stale . --propagate
  runrec stale PKG-01_Alpha/1_Working/DEL-01-02_Spec --agent 4_DOCUMENTS --json

Each verdict's rules, roots, cycles, spooled records: docs/COMMANDS.md, "runrec
stale"; the rules in full, with examples: docs/TUTORIAL.md, "Which deliverables
are out of date".`;

/** The counts of a report, by verdict. */
export interface StaleSummary {
  /** Checks made (deliverable × agent). */
  checks: number;
  /** Checks whose inputs are as their baseline read them. */
  CLEAN: number;
  /** Checks with an input that differs. */
  DIRTY: number;
  /** Checks with no baseline to compare with. */
  NO_BASELINE: number;
  /** Checks of deliverables that will not run again: not compared, not counted. */
  RETIRED: number;
  /** Deliverables stale through their dependencies (`--propagate`). */
  STALE: number;
  /** Dependency cycles met (`--propagate`). */
  cycles: number;
  /** Record files that could not be read: their deliverables are not checked. */
  unreadable: number;
}

/**
 * The counts of a report.
 *
 * @example
 * ```ts
 * import { summarise } from "./stale.ts";
 * const empty = { checks: [], upstream: [], stale: [], retired: [], cycles: [], warnings: [] };
 * summarise({ ...empty, unreadable: [], filesHashed: 0, filesCached: 0 }).DIRTY; // 0
 * ```
 */
export function summarise(report: StaleReport): StaleSummary {
  const count = (verdict: StaleCheck["verdict"]) =>
    report.checks.filter((c) => c.verdict === verdict).length;
  return {
    checks: report.checks.length,
    CLEAN: count("CLEAN"),
    DIRTY: count("DIRTY"),
    NO_BASELINE: count("NO_BASELINE"),
    RETIRED: count("RETIRED"),
    STALE: report.stale.length,
    cycles: report.cycles.length,
    unreadable: report.unreadable.length,
  };
}

function changeLine(prefix: string, change: FileChange): string {
  const why = change.reason ? `  (${oneLine(change.reason)})` : "";
  return `  ${`${prefix}${change.change}`.padEnd(16)} ${oneLine(change.path)}${why}\n`;
}

/**
 * A report as text: a line per check (verdict, deliverable, agent, baseline
 * RunID, folder), its evidence indented below, then the STALE deliverables
 * and cycles, then a summary line (with the STALE and cycle counts when
 * `propagated`, zeros too).
 */
function renderStaleText(report: StaleReport, color: boolean, propagated: boolean): string {
  const lines = [...checkLines(report.checks, color)];
  if (report.upstream.length > 0) {
    const ids = [...new Set(report.upstream.map((c) => c.deliverableId))];
    lines.push(`upstream of the targets, checked for --propagate: ${ids.join(", ")}\n`);
    lines.push(...checkLines(report.upstream, color));
  }
  for (const stale of report.stale) lines.push(...staleLines("STALE", stale, color));
  for (const retired of report.retired) lines.push(...staleLines("RETIRED", retired, color));
  for (const cycle of report.cycles) lines.push(`cycle        ${cycle.join(" → ")}\n`);
  const s = summarise(report);
  let summary = `${
    plural(s.checks, "check")
  }: ${s.DIRTY} DIRTY, ${s.CLEAN} CLEAN, ${s.NO_BASELINE} NO_BASELINE`;
  if (s.NO_BASELINE > 0) {
    summary += " (staleness unknown: each says why)";
  }
  if (s.RETIRED > 0) summary += `, ${s.RETIRED} RETIRED (not compared, not counted)`;
  // One shape of summary line for --propagate, edges or none (trial-q F6).
  if (propagated) summary += `; ${s.STALE} STALE, ${s.cycles} cycle(s)`;
  if (report.retired.length > 0) summary += `; ${report.retired.length} RETIRED not counted`;
  if (s.unreadable > 0) summary += `; ${s.unreadable} record file(s) unreadable, not checked`;
  lines.push(`${summary}\n`);
  return lines.join("");
}

/** A line per check (verdict, deliverable, agent, baseline RunID, folder), its evidence below. */
function checkLines(checks: StaleCheck[], color: boolean): string[] {
  const colours = { CLEAN: "green", DIRTY: "red", NO_BASELINE: "yellow", RETIRED: "dim" } as const;
  const agentWidth = Math.max(1, ...checks.map((c) => c.agent.length));
  // A check with no baseline ("-") keeps the folder column where the others have it.
  const sinceWidth = Math.max(1, ...checks.map((c) => c.baseline?.RunID.length ?? 1));
  const lines: string[] = [];
  // A folder's notes come with each of its checks: the text says each once per folder.
  let folder: string | undefined;
  let noted = new Set<string>();
  for (const check of checks) {
    if (check.folder !== folder) [folder, noted] = [check.folder, new Set()];
    const verdict = paint(check.verdict.padEnd(11), colours[check.verdict], color);
    const since = (check.baseline?.RunID ?? "-").padEnd(sinceWidth);
    lines.push(
      `${verdict}  ${check.deliverableId}  ${(check.agent || "-").padEnd(agentWidth)}  ${since}  ${
        oneLine(check.folder)
      }\n`,
    );
    if (check.reason) lines.push(`  ${oneLine(check.reason)}\n`);
    for (const change of check.inputs) lines.push(changeLine("", change));
    for (const change of check.outputs) lines.push(changeLine("output ", change));
    for (const note of check.notes) {
      if (!noted.has(note)) lines.push(`  note: ${oneLine(note)}\n`);
      noted.add(note);
    }
  }
  return lines;
}

/**
 * A STALE (or RETIRED) deliverable: a line with its own last run and folder,
 * then a line per reason: the chain, and where it starts.
 */
function staleLines(label: "STALE" | "RETIRED", stale: StaleDeliverable, color: boolean): string[] {
  const head = label === "STALE" ? paint("STALE".padEnd(11), "red", color) : "RETIRED    ";
  const lines = [
    `${head}  ${stale.deliverableId}  last run ${stale.lastRun?.RunID ?? "-"}  ${
      oneLine(stale.folder ?? "(no folder)")
    }${label === "RETIRED" ? "  (RETIRED in _STATUS.md: not STALE, not counted)" : ""}\n`,
  ];
  for (const reason of stale.reasons) {
    const start = reason.chain[0].producer;
    const chain = reason.chain.map((e) => ` → ${e.consumer} [${e.dependencyId || "?"}]`).join("");
    const first = reason.chain[0].consumer;
    const { ranSince, invalidated } = reason;
    const why = ranSince !== undefined
      ? `${start}'s ${ranSince.RunID} ran since ${first}'s ${ranSince.consumerRun.RunID}`
      : invalidated !== undefined
      ? `${start}'s ${invalidated.RunID}, which ${first}'s ${invalidated.consumerRun.RunID} may ` +
        `have read, was invalidated by ${invalidated.annotation.RunID}: ` +
        oneLine(invalidated.annotation.note)
      : `${start} is DIRTY`;
    lines.push(`  via ${start}${chain}  (${why})\n`);
  }
  return lines;
}

/** A progress bar on stderr, redrawn at most every 100 ms, cleared when done. */
function progressBar(io: Io): { update(done: number, total: number): void; clear(): void } {
  let last = 0;
  let shown = false;
  return {
    update(done, total) {
      const now = performance.now();
      if (shown && done < total && now - last < 100) return;
      last = now;
      const counted = ` ${done}/${total} deliverables`;
      const columns = terminalColumns();
      // A line as wide as the terminal wraps, and `\r` then clears only its last row: the
      // others stay on the screen, one more each redraw (trial-40 F2). So it is kept narrower.
      const width = Math.max(0, Math.min(30, columns - 3 - counted.length));
      const filled = total === 0 ? width : Math.round((done / total) * width);
      const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]${counted}`;
      io.err(`\r\x1b[K${line.slice(0, columns - 1)}`);
      shown = true;
    },
    clear() {
      if (shown) io.err("\r\x1b[K");
    },
  };
}

/** The terminal's width in columns; 80 where it cannot be told (a terminal that says 0). */
function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}

function stderrIsTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

async function run(parsed: Parsed, io: Io): Promise<number> {
  const targets = positionals(parsed, ["del-dir|root"], "targets");
  const agentOption = stringOption(parsed, "agent");
  let agents: string[] | undefined;
  if (agentOption !== undefined) {
    agents = [...new Set(agentOption.split(",").map((a) => a.trim()).filter((a) => a !== ""))];
    if (agents.length === 0) throw new UsageError("--agent needs an agent name");
  }
  const json = parsed.values.json === true;
  const bar = !json && io.isTerminal && stderrIsTerminal() ? progressBar(io) : undefined;
  let report: StaleReport;
  try {
    report = await checkStaleness(targets, {
      agents,
      propagate: parsed.values.propagate === true,
      allowOutside: parsed.values["allow-outside"] === true,
      onProgress: bar?.update,
    });
  } finally {
    bar?.clear();
  }
  const summary = summarise(report);
  if (json) {
    writeJson(io, { ...report, summary });
  } else {
    for (const warning of report.warnings) io.err(`runrec stale: warning: ${oneLine(warning)}\n`);
    for (const line of report.unreadable) io.err(`runrec stale: ${oneLine(line)}\n`);
    io.out(renderStaleText(report, io.color, parsed.values.propagate === true));
  }
  if (summary.unreadable > 0) return EXIT.usage;
  return summary.DIRTY > 0 || summary.STALE > 0 ? EXIT.check : EXIT.ok;
}

/**
 * The `stale` command.
 *
 * @example
 * ```ts
 * import { main, processIo } from "./main.ts";
 * const code = await main(["stale", "examples", "--propagate"], processIo());
 * ```
 */
export const staleCommand: Command = {
  name: "stale",
  summary: "list deliverables whose inputs changed since each agent's last good run",
  help: HELP,
  options: {
    agent: { type: "string" },
    propagate: { type: "boolean" },
    "allow-outside": { type: "boolean" },
    json: { type: "boolean" },
  },
  readsOnly: true,
  run,
};
