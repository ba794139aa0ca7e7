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
agent's latest SUCCESS or PARTIAL run (by RunTimestamp) that no annotation
invalidated or superseded; of runs stamped alike (branches merged), the one that
ended later (never the line order: a merge either way gives one answer), with a
note naming one that read other inputs. Runs that started and ended alike but
read other inputs cannot be told apart: NO_BASELINE, naming them, until the
agent runs again. Its governed inputs are worked out again as the run would now
(its InputFiles, _REFERENCES.md and every file that lists now) and hashed, and
each path is compared with the baseline's InputHashes. A folder the run was
given as input (--input inp, named in its Notes as input folder "inp") is walked
again: a file added to it since is "added", one deleted "removed".

  CLEAN        every governed input is as the baseline read it
  DIRTY        some are not; each is listed: changed, added (now governed,
               e.g. a reference added to _REFERENCES.md), removed (deleted,
               no longer listed, or a path out of the folder that "does not
               resolve from the folder's place now": the folder it names is not
               there either, as when the deliverable folder moved since the
               run) or unreadable, with the baseline's RunID
  NO_BASELINE  the agent has no SUCCESS or PARTIAL run that is not invalidated
               or superseded (runrec annotate), or no run at all (an agent
               whose every run is invalidated, a misspelt name taken back, is
               a note unless named with --agent or no other agent ran in the
               folder); or no change
               was found where one may be out of sight: a line of RunRecords.csv
               could not be read (an error, or a torn line with records after
               it and none of its run) and may be this agent's later run or an
               annotation of it (its agent and start cells say, when whole;
               see runrec validate), or governed files are not hashed (a
               folder that is a symbolic link or holds installed packages
               whose files no other folder walked or input named hashes,
               references
               past the 1,000th, a _REFERENCES.md over 1 MiB). Each says why:
               staleness is unknown, never assumed clean. Beside a change
               (DIRTY) the same are notes
  RETIRED      the deliverable will not run again: its _STATUS.md says RETIRED,
               or it is in a tool root (_Archive/, any _… folder of an
               execution root, named as a target). Nothing is compared (its
               relative paths resolve from where it is now, not from where it
               ran); its last good run is shown, as it stood when retired. Not
               counted in the exit code

An input the baseline run wrote itself (also in its OutputHashes) is compared
with the hash it left. A file whose bytes differ from the run's only in line
endings (CR LF for LF, as a core.autocrlf checkout writes) is still changed
(hashes are of the raw bytes, as the host's), and its reason says so, with the
remedy: * text=auto eol=lf in .gitattributes (docs/TUTORIAL.md). Outputs of the
baseline edited, deleted or recreated since are listed too ("output changed
..."), naming the run whose recorded output (OutputHashes) their bytes are now,
whenever it started or ended (by content, not by time: runs overlap, and a
duration may be a default), of several the first (it made them; a later one
recorded them again); that alone does not make a deliverable DIRTY (K-VAL-1:
dirty means an input changed). But when such a run is another SUCCESS or PARTIAL
run of the same agent (two runs overlapped and the one that started first
finished last, or a file was put back), the output was made from what it read:
its inputs are compared too, and each that differs (and did not differ from the
baseline already) is listed "since RUN-... (Datasheet.md on disk is what it
wrote)", DIRTY, unless another such run made the same bytes from the inputs as
they are. So too a file another SUCCESS or PARTIAL run of the agent wrote and
the baseline did not, when that run ended after the baseline started (they
overlapped), while the file's bytes are that run's: runs that ended before the
baseline started are not compared (an agent that writes a dated report each run
is compared by its latest run). Records naming another DeliverableID than the
folder's are a copy's (no baseline) while that deliverable has its own folder,
else the folder was moved and they count. A root is every deliverable folder
beneath it, and every folder with a RunRecords.csv nested in one (an execution
root's tool roots, its folders named _… such as _Reconciliation/ or _Archive/,
and linked worktrees of the repository, such as .worktrees/agent-1, left out,
each with a note, a tool root's naming the record files it holds: name one to
check it); each file is hashed once however many records name it, on every core.
A folder named twice (through a symbolic link to it) is checked once; its
project and execution root are the real folder's.

Options:
  --agent A     only agent A (a comma-separated list for several); an agent
                that never ran on a deliverable is NO_BASELINE there, and one
                with no run in any deliverable checked and no agent file is
                warned about (misspelt?), naming the agents that have runs.
                With --propagate it limits only the targets' checks shown:
                upstream checks and STALE use every agent's verdict
  --allow-outside
                read inputs outside the project too, as emit --allow-outside
                does; without it such an input is not read: "unreadable (outside
                the ...)" where the run read it, a note where it did not
  --propagate   follow the ACTIVE rows of every Dependencies.csv (v3.1) in the
                execution root from each DIRTY deliverable to the deliverables
                that consume it, transitively, and list them as STALE, each with
                its last run and every reason (a chain of edges); so too a
                consumer whose producer's SUCCESS or PARTIAL run that ended last
                (the latest end, as make compares, not the latest start) ended
                after the consumer's run started ("ran since"): the latest good
                (SUCCESS or PARTIAL) run of each agent of the consumer that read
                a file under the producer's folder (a governed input there), and
                each earlier one that did, is still the last SUCCESS or PARTIAL
                run to have written one of its outputs (one still there) and
                read a file of the producer that no later run of the agent read
                again (whatever else it read), each agent on its own, as
                its outputs come from what it read (the reason names the run);
                only when no good run of any agent read one, its latest run of
                any agent (real paths compared: a read through a link to the
                producer's folder is one); so too a consumer one of whose runs
                so compared may have read a producer's run invalidated since
                (runrec annotate --invalidates): it read a file that run wrote
                and no good run of the producer rewrote it before it
                started (bytes a good run wrote are vouched for; those another
                invalidated run wrote, that run is named for; a FAILED run's or
                a hand edit on top do not clear it), or, when either run names
                no file, it ended after that run started and no good run of the
                producer, of any agent, ended in between; it clears when that
                agent of the consumer runs again after a good run of the
                producer rewrote that file. An agent that no longer reads the
                producer is compared by its last run that did until a later run
                supersedes it (runrec annotate --supersedes). A producer's
                output edited by hand after its run ("output changed") makes no
                consumer STALE: only a consumer whose run read that file sees it
                (DIRTY); run the producer again. The deliverables upstream of
                the targets are checked too, and named ("upstream of the
                targets"), so a deliverable named alone gets its root's answer.
                Those downstream of the targets are listed STALE (and count in
                the exit code) with the reasons that pass through the targets
                only: their own inputs are not checked; name the root for their
                full answer. RETIRED ones (_STATUS.md) are never STALE and
                staleness does not pass through them (a run of theirs since a
                consumer read them still counts): listed apart, not counted.
                Dependency cycles are listed, not looped on: a chain of reasons
                back to the deliverable it starts at is no reason; a row whose
                deliverable consumes itself is a cycle of one, listed, warned
                about and not followed; a row naming no deliverable, or one that
                does not parse, is warned about by file and line. Each execution
                root is its own graph (a copy of a project kept inside it is
                another); a row naming an ID that two folders of one root have
                (a backup copy) is refused, exit 2: move or rename the copy
  --json        one JSON document: {checks, upstream, stale, retired, cycles,
                warnings, unreadable, filesHashed, summary}; checks: each
                {folder, deliverableId, agent, verdict, baseline?, inputs,
                outputs, reason?, notes}, a change {path, change, baseline,
                current, reason?, writer? (the RunID whose output its bytes
                are), since? (the RunID an input change is since, when not the
                baseline's)}; upstream: the
                checks of deliverables upstream of the targets; stale, retired:
                each {deliverableId, folder, lastRun, reasons: [{chain,
                ranSince?, invalidated?}]}; unreadable: one line per record file
                that could not be read; filesHashed: distinct files hashed
  -h, --help    show this help

A progress bar is shown on stderr when both stdout and stderr are terminals
(never with --json).

Records still in the spool and runs started and not finished are not in the
record files yet, so the checks do not count them: each deliverable read that
has some is named in a warning (append them with runrec flush; finish runs
with runrec finish, or runrec reap).

A record file that cannot be read (a folder or FIFO of that name) is named on
stderr and its deliverable is not checked; every other deliverable still is.
A folder beneath a root that cannot be listed is named in a warning, and the
rest is checked. An input that cannot be read now is "unreadable", with why
(permission denied, folder ... cannot be listed, not a regular file, Too many
levels of symbolic links): its content is unknown. Only when it could not be
read at the run either, for the same reason (a FIFO then and now), is that no
change: a note says so, as for an input missing then and now. An input the
run itself deleted (DELETED in its OutputHashes) is expected gone.

Exit codes: 0 nothing is DIRTY or STALE (NO_BASELINE alone is 0: it is printed
and counted, but nothing is known to be out of date; so is an upstream check, a
RETIRED check or a RETIRED entry); 1 a target is DIRTY or something is STALE; 2
usage error or a missing target or an ID of two folders with --propagate
(nothing is checked), or an unreadable record file (the rest is still checked
and printed).

Example:
  runrec stale . --propagate
  runrec stale PKG-01_Alpha/1_Working/DEL-01-02_Spec --agent 4_DOCUMENTS --json
`;

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
 * summarise({ checks: [], upstream: [], stale: [], retired: [], cycles: [], warnings: [], unreadable: [], filesHashed: 0 }).DIRTY; // 0
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
 * and cycles, then a summary line.
 */
function renderStaleText(report: StaleReport, color: boolean): string {
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
  if (s.STALE > 0 || s.cycles > 0) summary += `; ${s.STALE} STALE, ${s.cycles} cycle(s)`;
  if (report.retired.length > 0) summary += `; ${report.retired.length} RETIRED not counted`;
  if (s.unreadable > 0) summary += `; ${s.unreadable} record file(s) unreadable, not checked`;
  lines.push(`${summary}\n`);
  return lines.join("");
}

/** A line per check (verdict, deliverable, agent, baseline RunID, folder), its evidence below. */
function checkLines(checks: StaleCheck[], color: boolean): string[] {
  const colours = { CLEAN: "green", DIRTY: "red", NO_BASELINE: "yellow", RETIRED: "dim" } as const;
  const agentWidth = Math.max(1, ...checks.map((c) => c.agent.length));
  const lines: string[] = [];
  // A folder's notes come with each of its checks: the text says each once per folder.
  let folder: string | undefined;
  let noted = new Set<string>();
  for (const check of checks) {
    if (check.folder !== folder) [folder, noted] = [check.folder, new Set()];
    const verdict = paint(check.verdict.padEnd(11), colours[check.verdict], color);
    const since = check.baseline?.RunID ?? "-";
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
      const width = 30;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      io.err(
        `\r\x1b[K[${"#".repeat(filled)}${
          "-".repeat(width - filled)
        }] ${done}/${total} deliverables`,
      );
      shown = true;
    },
    clear() {
      if (shown) io.err("\r\x1b[K");
    },
  };
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
    io.out(renderStaleText(report, io.color));
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
  run,
};
