/**
 * The `runrec` command line: dispatches to one module per command and maps
 * every failure to one line on stderr and the exit codes of the contract
 * (0 ok, 1 a check found a problem, 2 usage or I/O error).
 *
 * The commands are imported only when one runs: `emit` (what agents run
 * most) on its own, the others in two groups (those that record runs,
 * ./run_commands.ts, and the rest), so `--help` and `--version` load no
 * command at all; this table holds what `runrec --help` prints.
 *
 * @module
 */
import {
  type Command,
  errorWhere,
  EXIT,
  exitFor,
  type Io,
  parseCommandArgs,
  type Parsed,
  UnknownOption,
  UsageError,
  warningsMayDrop,
} from "./command.ts";
import { jsonText } from "../json_text.ts";
import { InputError } from "../errors.ts";
import { NOT_UTF8, withLongWordsShortened } from "../names.ts";
import { holdNotices, takeNotices } from "../notices.ts";
import { withMeantFolder } from "./meant_target.ts";
import { versionLine } from "./version.ts";

/** A command as `runrec --help` lists it, and how to load it. */
export interface CommandEntry {
  /** The word after `runrec`. */
  name: string;
  /** One line for `runrec --help` (the same as the command's own `summary`). */
  summary: string;
  /** Imports the command's module. */
  load(): Promise<Command>;
}

/** Every command, in the order `runrec --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "start",
    summary: "start a run (the agent's first step): its start time, StatusBefore, input hashes",
    load: async () => (await import("./run_commands.ts")).startCommand,
  },
  {
    name: "finish",
    summary: "finish a started run (the agent's last step) and append its record",
    load: async () => (await import("./run_commands.ts")).finishCommand,
  },
  {
    name: "emit",
    summary: "append one run record in one step, at the end of a run",
    load: async () => (await import("./emit.ts")).emitCommand,
  },
  {
    name: "exec",
    summary: "run a command as one recorded run (outputs and status from what it did)",
    load: async () => (await import("./run_commands.ts")).execCommand,
  },
  {
    name: "reap",
    summary: "write runs whose agent never finished as FAILED",
    load: async () => (await import("./run_commands.ts")).reapCommand,
  },
  {
    name: "validate",
    summary: "check every line of record files against the schema",
    load: async () => (await import("./other_commands.ts")).validateCommand,
  },
  {
    name: "verify",
    summary: "check checksums, duplicate RunIDs and append-only history (--since)",
    load: async () => (await import("./other_commands.ts")).verifyCommand,
  },
  {
    name: "log",
    summary: "list run records, filtered, as a table, Markdown, CSV, JSON or JSON Lines",
    load: async () => (await import("./other_commands.ts")).logCommand,
  },
  {
    name: "show",
    summary: "show one run record as Markdown or JSON",
    load: async () => (await import("./other_commands.ts")).showCommand,
  },
  {
    name: "stale",
    summary: "list deliverables whose inputs changed since each agent's last good run",
    load: async () => (await import("./other_commands.ts")).staleCommand,
  },
  {
    name: "export",
    summary: "export run records as OpenLineage events or W3C PROV-JSON",
    load: async () => (await import("./other_commands.ts")).exportCommand,
  },
  {
    name: "annotate",
    summary: "annotate a run as invalid or superseded (never removes it)",
    load: async () => (await import("./other_commands.ts")).annotateCommand,
  },
  {
    name: "hash",
    summary: "print the governed inputs' hashes and InputContextSHA",
    load: async () => (await import("./other_commands.ts")).hashCommand,
  },
  {
    name: "flush",
    summary: "append records spooled after failed writes",
    load: async () => (await import("./run_commands.ts")).flushCommand,
  },
  {
    name: "agents",
    summary: 'add, check or remove the "record the run" block in agent instruction files',
    load: async () => (await import("./other_commands.ts")).agentsCommand,
  },
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "runrec: run records for agent pipelines that keep their state as files in git",
    "",
    "Usage: runrec <command> [options]   (runrec <command> --help for one command)",
    "       runrec help <command>        (the same: that command's help)",
    "       runrec --version | -V        (the version, and where runrec runs from)",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Exit codes: 0 ok, 1 a check found a problem, 2 usage error or I/O failure; exec exits",
    "with its command's own code. A command asked for JSON (--json, --format json) that fails",
    'prints {"error": {command, code, message}} on stdout too.',
    "",
  ].join("\n");
}

/** The process's own standard streams. */
export function processIo(): Io {
  const encoder = new TextEncoder();
  let noColor = false;
  let dumb = false; // TERM=dumb: no colour nor cursor control, as git and grep do
  try {
    noColor = Deno.env.get("NO_COLOR") !== undefined && Deno.env.get("NO_COLOR") !== "";
    dumb = Deno.env.get("TERM") === "dumb";
  } catch {
    noColor = true;
  }
  const isTerminal = Deno.stdout.isTerminal() && !dumb;
  const out = writer(Deno.stdout, "standard output");
  const err = writer(Deno.stderr, "standard error");
  return {
    out: (text) => out.write(encoder.encode(text)),
    err: (text) => {
      err.write(encoder.encode(text));
      // A line a gone reader never got (`2>&1 | head -1`) is said nowhere, as on a full disk:
      // a lost record's line must not pass for said (trial-40 F1).
      if (err.gone()) throw new InputError("cannot write to standard error: its reader has gone");
    },
    isTerminal,
    color: isTerminal && !noColor,
    // Standard output sent to /dev/null (or closed: the runtime puts /dev/null in its place) is
    // the caller's choice: `finish <del-dir>` finds the run without its token.
    outLost: () => out.gone() ? "its reader has gone" : undefined,
  };
}

/**
 * Writes whole buffers to a stream. Once its reader has gone away (`runrec
 * stale | head -1`), later output is dropped, and the command still ends
 * with its own exit code: a DIRTY tree must not look clean to a pipeline.
 * Any other failure (a full disk) is an {@linkcode InputError} naming the
 * stream (`what`), so that it is not taken for the failure of a file.
 */
function writer(
  stream: { writeSync(p: Uint8Array): number },
  what: string,
): { write(bytes: Uint8Array): void; gone(): boolean } {
  let gone = false;
  return {
    write(bytes) {
      if (gone) return;
      try {
        for (let offset = 0; offset < bytes.length;) {
          offset += stream.writeSync(bytes.subarray(offset));
        }
      } catch (e) {
        if (!(e instanceof Deno.errors.BrokenPipe)) {
          const reason = (e as Error).message.split("\n")[0].replace(/ \(os error \d+\)$/, "");
          throw new InputError(`cannot write to ${what}: ${reason}`, { cause: e });
        }
        gone = true;
      }
    },
    gone: () => gone,
  };
}

/**
 * Runs the CLI with `args` (without the program name) and returns the exit
 * code. Never throws: every error becomes one line on stderr.
 *
 * @example
 * ```ts
 * import { main, processIo } from "./main.ts";
 * const code = await main(["validate", "examples/"], processIo());
 * ```
 */
export async function main(args: string[], io: Io): Promise<number> {
  // `deno task runrec -- log .` passes its `--` on: it ends no options here (trial-37 F5).
  if (args[0] === "--") return main(args.slice(1), io);
  // `runrec help emit` is `runrec emit --help`.
  if (args[0] === "help" && args.length >= 2) {
    return main([args[1], "--help", ...args.slice(2)], io);
  }
  const [name, ...rest] = args;
  const entry = COMMANDS.find((c) => c.name === name);
  holdNotices();
  let outBegun = false;
  const own: Io = {
    ...io,
    out: (text) => {
      outBegun = true;
      io.out(text);
    },
  };
  try {
    return entry ? await runCommand(entry, rest, own) : await runWithoutCommand(name, rest, own);
  } catch (error) {
    const { code, message } = exitFor(error);
    const near = error instanceof UnknownOption ? await nearOption(error) : "";
    const hint = error instanceof UsageError ? `${near} (see runrec ${name} --help)` : "";
    const shown = withLongWordsShortened(withoutDenoAdvice(message));
    // The failure may be of the stream itself (standard output on a full disk): then the JSON
    // document cannot be written either, and the exit code is all that is left to say it.
    try {
      io.err(`${entry ? `runrec ${name}` : "runrec"}: ${shown}${hint}\n`);
    } catch { /* said nowhere */ }
    // A program that asked for JSON gets its one document even when the command failed. One
    // begun (`log --json`'s array, streamed, and a record file replaced under its reads) is left
    // unclosed, which no JSON parser takes for a whole one: an error document after it would make
    // the output two broken ones (small-40 F2).
    if (entry && !outBegun && await asksForJson(entry, rest)) {
      try {
        const said = { command: name, code, message: shown, ...errorWhere(error) };
        io.out(`${JSON.stringify({ error: said })}\n`);
      } catch { /* said on stderr */ }
    }
    return code;
  } finally {
    // Notes and warnings left on the way (a linked work tree skipped, a setting not used): once
    // each, however often met. One that cannot be printed (stderr on a full disk) does not
    // change the command's exit code.
    for (const notice of takeNotices()) {
      try {
        io.err(`runrec: ${withLongWordsShortened(notice)}\n`);
      } catch { /* said nowhere */ }
    }
  }
}

/**
 * Whether the command takes `--json` and its own words (those before `--`)
 * ask for it, as `--json` or `--format json`: never a word of `exec`'s CMD
 * or a positional after `--` (json-outputs F1, F2).
 */
async function asksForJson(entry: CommandEntry, rest: string[]): Promise<boolean> {
  const command = await entry.load().catch(() => undefined);
  if (command?.options.json === undefined) return false;
  const end = rest.indexOf("--");
  const own = end < 0 ? rest : rest.slice(0, end);
  // The format in any case, as the commands take it; `--json=true`, refused, asked for JSON too.
  return own.some((word, i) =>
    word === "--json" || word.startsWith("--json=") || /^--format=json$/i.test(word) ||
    (word === "--format" && own[i + 1]?.toLowerCase() === "json")
  );
}

/** `runrec`, `runrec --help`, `runrec --version` and an unknown command: no command to load. */
async function runWithoutCommand(
  name: string | undefined,
  rest: string[],
  io: Io,
): Promise<number> {
  if (name === undefined) {
    // No command is a usage error: its help goes where usage errors go.
    io.err(overview());
    return EXIT.usage;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    io.out(overview());
    return EXIT.ok;
  }
  if (name === "--version" || name === "-V") {
    if (rest.length > 0) {
      io.err(`runrec: unexpected argument ${jsonText(rest[0])} (see runrec --help)\n`);
      return EXIT.usage;
    }
    io.out(`${versionLine()}\n`);
    return EXIT.ok;
  }
  // `runrec version`, as git and others take it: the version is an option here.
  const near = /^-*version$/i.test(name)
    ? ["--version"]
    : name.startsWith("-")
    ? await nearTopOption(name)
    : await closestOf(name, COMMANDS.map((c) => c.name));
  const meant = near.length === 0 ? "" : `: did you mean ${near.join(" or ")}?`;
  const what = name.startsWith("-") ? "option" : "command";
  io.err(`runrec: unknown ${what} ${jsonText(name)}${meant} (see runrec --help)\n`);
  return EXIT.usage;
}

/** `-v`, `--verison`, `-help`: the option of runrec's own meant, as its short or long form. */
async function nearTopOption(name: string): Promise<string[]> {
  const word = name.replace(/^-+/, "");
  // One letter: only the same in other case (`-v`); any other is one edit from both.
  if (word.length === 1) {
    return ["-h", "-V"].filter((o) => o[1].toLowerCase() === word.toLowerCase());
  }
  if (/^help$/i.test(word)) return ["--help"];
  return (await closestOf(word, ["help", "version"])).map((w) => `--${w}`);
}

/** `": did you mean --status?"` for an option near one the command takes, else `""`. */
async function nearOption({ option, known }: UnknownOption): Promise<string> {
  const near = await closestOf(option.replace(/^-+/, ""), known);
  return near.length === 0 ? "" : `: did you mean ${near.map((n) => `--${n}`).join(" or ")}?`;
}

/** {@linkcode closestNames}, loaded only for a name not known (its package costs start-up). */
async function closestOf(name: string, known: readonly string[]): Promise<string[]> {
  return (await import("../near_names.ts")).closestNames(name, known);
}

/** Loads and runs one command: its help, or its run with parsed arguments. */
async function runCommand(entry: CommandEntry, rest: string[], io: Io): Promise<number> {
  const command = await entry.load();
  const parsed = withWhyNotTaken(
    command,
    () => parseCommandArgs(rest, command.options, command.commandAt),
  );
  if (parsed.values.help) {
    io.out(command.help.endsWith("\n") ? command.help : `${command.help}\n`);
    return EXIT.ok;
  }
  requireWorkingFolder();
  try {
    return await command.run(parsed, command.readsOnly ? warningsMayDrop(io) : io);
  } catch (error) {
    throw await withMeantFolder(error, parsed.positionals);
  }
}

/**
 * `parse()`, its unknown option said as the command's `notTaken` says why (`exec --status`: the
 * status is CMD's exit code), where a near option is no help.
 */
function withWhyNotTaken(command: Command, parse: () => Parsed): Parsed {
  try {
    return parse();
  } catch (error) {
    const why = error instanceof UnknownOption
      ? command.notTaken?.[error.option.replace(/^-+/, "")]
      : undefined;
    if (why === undefined) throw error;
    throw new UsageError(`unknown option ${(error as UnknownOption).option}: ${why}`);
  }
}

/**
 * Refuses a working folder whose path is not valid UTF-8 (legal on Linux): no path from it can
 * be told, so each command failed its own way, `log` once its table was printed, with Deno's
 * words and no remedy (trial-40 F5). One removed is left to each command, which names it.
 */
function requireWorkingFolder(): void {
  try {
    Deno.cwd();
  } catch (error) {
    if (!(error instanceof Deno.errors.InvalidData)) return;
    // Deno's message holds the path, its bytes that are not UTF-8 escaped (\xE4).
    const path = /"(.*)" is not valid UTF-8/.exec((error as Error).message)?.[1];
    throw new InputError(`the working folder${path === undefined ? "" : ` ${path}`}: ${NOT_UTF8}`);
  }
}

/**
 * Deno's permission errors end in advice to run again with a flag, which a user
 * of the installed command cannot follow: say instead what this runrec may use,
 * keeping the flag for whoever starts it with `deno run`.
 */
function withoutDenoAdvice(message: string): string {
  // Deno guards devices and /proc (`validate /dev/stdin`) with --allow-all alone: no build of
  // runrec has it, so neither the flag nor runrec-sandboxed is the remedy (trial-40 F6).
  const allowAll = /, run again with the --allow-all flag$/;
  if (allowAll.test(message)) {
    return message.replace(
      allowAll,
      ": a system path this runrec does not read (a device, /proc): save what it holds to a " +
        "file and name that",
    );
  }
  return message.replace(
    /, run again with the (--allow-[\w=-]+) flag$/,
    ": outside what this runrec may use (Deno $1; runrec-sandboxed uses only the folder it " +
      "was started in)",
  );
}

if (import.meta.main) {
  // Under a file-size limit (`ulimit -f`) a write past it would kill runrec with SIGXFSZ, the
  // record neither written nor spooled: handled, the write fails (EFBIG) and the record is spooled.
  try {
    Deno.addSignalListener("SIGXFSZ", () => {});
  } catch { /* a platform without the signal (Windows) */ }
  Deno.exit(await main(Deno.args, processIo()));
}
