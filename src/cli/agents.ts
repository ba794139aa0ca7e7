/**
 * `runrec agents install|check|remove <agents-dir>`: the "record the run"
 * block in the host's agent instruction files.
 *
 * @module
 */
import {
  type AgentFileReport,
  examineForInstall,
  examineForRemove,
  otherCaseAgentFiles,
  readAgentFiles,
  replaceFileText,
  unifiedDiff,
} from "../agents.ts";
import { type Command, EXIT, type Io, type Parsed, positionals, UsageError } from "./command.ts";
import { choiceMeant, plural } from "./format.ts";
import { InputError } from "../errors.ts";
import { pathArgument } from "../shell_word.ts";
import { join } from "../path.ts";
import { oneLine } from "../names.ts";

const HELP = `runrec agents: the "record the run" block in agent instruction files

Usage:
  runrec agents install <agents-dir> [--dry-run]
  runrec agents check <agents-dir>
  runrec agents remove <agents-dir> [--dry-run]

Works on the AGENT_*.md files directly in <agents-dir>. A file gets the block
when it is a Type 2 agent (AGENT_TYPE: 2, a line or a **AGENT_TYPE** table row)
whose WRITE_SCOPE is deliverable-local, or any WRITE_SCOPE for the five
deliverable agents (PREPARATION, 4_DOCUMENTS, DEPENDENCIES, CHIRALITY_FRAMEWORK,
CHIRALITY_LENS); every other file is listed as skipped, with the reason. A file
named so in other case (Agent_X.md), which is the agent's file where case does
not count (macOS, Windows), is named on stderr.

install   adds the block at the end of the PROTOCOL section (before the
          [[END:PROTOCOL]] line that closes it), or brings an older one up to
          date in place (moved back to the end when it is no longer last).
          Running it again changes nothing. Every other byte of the file stays
          as it was (line endings, front matter, final newline).
check     exits 1 naming each file whose block is missing, out of date, edited
          by hand, not at the end of PROTOCOL or written by a newer runrec, each
          skipped file that holds a block, each file named in other case, and
          a folder with no AGENT_*.md, or none that gets a block (for CI).
remove    takes the blocks out, leaving each file as it was before install.

When a file cannot be edited safely (no PROTOCOL section, two blocks), install
and remove name it and its line, change no file at all, and exit 2. Files are
written one at a time, each line printed once its file is written; a write that
fails, or a file changed by someone else meanwhile, stops there: stderr names
how many files were changed and how many not (exit 2): run the command again.

Options:
  --dry-run   show what install or remove would change (a diff); change nothing
  -h, --help  show this help

Exit codes: 0 done (check: every block current); 1 check found a block
missing, outdated, edited, newer or left in a skipped file, a file named in
other case, or no agent file that gets one; 2 usage error, unreadable folder,
no agent file that gets a block (install; remove: none at all), a file that
cannot be edited, or a write that failed.

Example:
  runrec agents install agents/ --dry-run
  runrec agents check agents/
`;

/** How each status reads in the output of each action. */
const WORDS = {
  install: {
    missing: "installed",
    outdated: "updated (the block was out of date)",
    edited: "replaced (the block had been edited by hand)",
    misplaced: "moved to the end of PROTOCOL (the block was not its last step)",
    current: "up to date",
  },
  remove: {
    missing: "no block",
    current: "removed",
    edited: "removed (it had been edited by hand)",
  },
  check: {
    missing: "block missing",
    outdated: "block out of date",
    edited: "block edited by hand",
    misplaced: "block not at the end of PROTOCOL (not its last step)",
    current: "ok",
  },
} as const;

type Action = keyof typeof WORDS;

function describe(action: Action, report: AgentFileReport, dryRun: boolean): string {
  if (report.status === "skipped") {
    return report.strayBlock === undefined
      ? `skipped: ${report.reason}`
      : `skipped: ${report.reason}; but it holds a runrec block (line ${report.strayBlock}): ` +
        "take it out by hand";
  }
  if (report.status === "newer") {
    return action === "check" ? `block ${report.reason}` : `left as it is: ${report.reason}`;
  }
  if (report.status === "problem") return `cannot edit: ${report.reason}`;
  const words: Record<string, string> = WORDS[action];
  const word = words[report.status] ?? report.status;
  return dryRun && report.after !== undefined ? `would be ${word}` : word;
}

async function runAction(parsed: Parsed, io: Io): Promise<number> {
  const [action, dir] = positionals(parsed, ["install|check|remove", "agents-dir"]);
  if (!Object.hasOwn(WORDS, action)) {
    const meant = await choiceMeant(action, Object.keys(WORDS));
    throw new UsageError(
      `unknown action ${JSON.stringify(action)}: install, check or remove${meant}`,
    );
  }
  const act = action as Action;
  const dryRun = parsed.values["dry-run"] === true;
  if (dryRun && act === "check") throw new UsageError("check changes nothing: no --dry-run");
  const files = readAgentFiles(dir);
  // Where case does not count they are the agents' files, and would go without a block unsaid.
  const otherCase = otherCaseAgentFiles(dir);
  if (otherCase.length > 0) {
    io.err(
      `runrec agents: ${
        otherCase.map((name) => oneLine(join(dir, name))).join(", ")
      }: named AGENT_*.md ` +
        "in other case, which runrec neither installs in nor checks: rename " +
        `${otherCase.length === 1 ? "it" : "them"} AGENT_<NAME>.md (git mv)\n`,
    );
  }
  // A mistyped folder must not look like success.
  if (files.length === 0 && act !== "check") {
    throw new InputError(`${dir}: no AGENT_*.md files: name the folder that holds the agent files`);
  }
  const reports = files.map(({ path, text }) =>
    act === "remove" ? examineForRemove(text, path) : examineForInstall(text, path)
  );
  const problems = reports.filter((r) => r.status === "problem");
  // Every file skipped: an install that adds nothing, or a check of nothing, must not pass either.
  const noneRecorded = reports.length > 0 && reports.every((r) => r.status === "skipped");
  let out = "";
  if (dryRun) {
    for (const r of reports) {
      if (r.after !== undefined) out += unifiedDiff(r.path, r.before, r.after);
    }
  }
  // One file that cannot be edited stops the whole install: the others only would have changed.
  const nothingWritten = dryRun || (problems.length > 0 && act !== "check");
  if (act !== "check" && !nothingWritten && !(act === "install" && noneRecorded)) {
    return writeAll(act, dir, reports, io);
  }
  for (const r of reports) out += `${oneLine(r.path)}: ${describe(act, r, nothingWritten)}\n`;
  io.out(out);
  const where = oneLine(dir);
  const noneHint =
    `${
      reports.length === 1
        ? `the one AGENT_*.md file in ${where} gets no block`
        : `none of the ${reports.length} AGENT_*.md files in ${where} gets a block`
    } (each skipped line says why): a deliverable agent's file says ` +
    "AGENT_TYPE: 2 and has the row | **WRITE_SCOPE** | deliverable-local |";
  if (noneRecorded && act === "install") {
    io.err(`runrec agents: ${noneHint}; no file was changed\n`);
    return EXIT.usage;
  }
  if (problems.length > 0 && act !== "check") {
    io.err(
      `runrec agents: ${plural(problems.length, "file")} cannot be edited; no file was changed\n`,
    );
    return EXIT.usage;
  }
  if (act === "check") {
    // A CI job pointed at the wrong folder must not pass for checking nothing.
    if (files.length === 0) {
      io.err(`runrec agents: ${oneLine(dir)}: no AGENT_*.md files to check\n`);
      return EXIT.check;
    }
    const failing = reports.filter((r) => !["current", "skipped", "newer"].includes(r.status));
    const newer = reports.filter((r) => r.status === "newer");
    const stray = reports.filter((r) => r.strayBlock !== undefined);
    const hints: string[] = [];
    if (noneRecorded) hints.push(noneHint);
    if (failing.length > 0) {
      // install refuses while any file cannot be edited: those come first, by hand.
      const first = problems.length > 0
        ? `fix by hand the ${plural(problems.length, "file")} install cannot edit, then `
        : "";
      hints.push(
        `${plural(failing.length, "file")} without a current block; ` +
          `${first}run runrec agents install ${pathArgument(dir)}`,
      );
    }
    if (newer.length > 0) {
      hints.push(`${plural(newer.length, "file")} with a block of a newer runrec: update runrec`);
    }
    if (otherCase.length > 0) hints.push(`${plural(otherCase.length, "file")} named in other case`);
    if (stray.length > 0) {
      hints.push(
        `${plural(stray.length, "skipped file")} holding a runrec block: take it out by hand`,
      );
    }
    if (hints.length > 0) {
      io.err(`runrec agents: ${hints.join("; ")}\n`);
      return EXIT.check;
    }
    return EXIT.ok;
  }
  return EXIT.ok;
}

/**
 * Writes the files `install` or `remove` changes, one at a time, each line
 * printed only once its file is written. The first write that fails stops
 * the rest: its line and theirs say "not", and stderr names what was and was
 * not changed (exit 2). A written file is complete, so running again finishes.
 */
function writeAll(act: "install" | "remove", dir: string, reports: AgentFileReport[], io: Io) {
  const written: string[] = [];
  let failure: string | undefined;
  let unwritten = 0;
  for (const r of reports) {
    if (r.after === undefined) {
      io.out(`${oneLine(r.path)}: ${describe(act, r, false)}\n`);
      continue;
    }
    if (failure !== undefined) {
      unwritten++;
      io.out(`${oneLine(r.path)}: not ${act === "install" ? "installed" : "removed"} (stopped)\n`);
      continue;
    }
    try {
      replaceFileText(r.path, r.after, r.before);
      written.push(r.path);
      io.out(`${oneLine(r.path)}: ${describe(act, r, false)}\n`);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      failure = e.message;
      unwritten++;
      const why = e.message.startsWith(`${r.path}: `)
        ? e.message.slice(r.path.length + 2)
        : e.message;
      io.out(
        `${oneLine(r.path)}: not ${act === "install" ? "installed" : "removed"}: ${oneLine(why)}\n`,
      );
    }
  }
  if (reports.length === 0) io.out(`${oneLine(dir)}: no AGENT_*.md files\n`);
  if (failure === undefined) return EXIT.ok;
  io.err(
    `runrec agents: ${failure}; ${plural(written.length, "file")} changed, ` +
      `${unwritten} not: fix the cause and run runrec agents ${act} ${pathArgument(dir)} again\n`,
  );
  return EXIT.usage;
}

// Agent files are small: they are read and written synchronously.
function run(parsed: Parsed, io: Io): Promise<number> {
  return runAction(parsed, io);
}

/**
 * The `agents` command.
 *
 * @example
 * ```ts
 * import { main, processIo } from "./main.ts";
 * const code = await main(["agents", "check", "agents/"], processIo());
 * ```
 */
export const agentsCommand: Command = {
  name: "agents",
  summary: 'add, check or remove the "record the run" block in agent instruction files',
  help: HELP,
  options: { "dry-run": { type: "boolean" } },
  // A CI job that passes --json to every command: check answers by its exit code.
  notTaken: {
    json: "agents prints one line a file and has no JSON output; check's exit code says it " +
      "(0: every block up to date, 1: not)",
  },
  run,
};
