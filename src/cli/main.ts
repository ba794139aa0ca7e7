/**
 * The `runrec` command line: dispatches to one module per command and maps
 * every failure to one line on stderr and the exit codes of the contract
 * (0 ok, 1 a check found a problem, 2 usage or I/O error).
 *
 * @module
 */
import { type Command, EXIT, exitFor, type Io, parseCommandArgs, UsageError } from "./command.ts";
import { emitCommand } from "./emit.ts";
import { flushCommand } from "./flush.ts";
import { hashCommand } from "./hash.ts";
import { logCommand } from "./log.ts";
import { showCommand } from "./show.ts";
import { validateCommand } from "./validate.ts";
import { verifyCommand } from "./verify.ts";

/** Every command, in the order `runrec --help` lists them. */
export const COMMANDS: readonly Command[] = [
  emitCommand,
  validateCommand,
  verifyCommand,
  logCommand,
  showCommand,
  hashCommand,
  flushCommand,
];

/** The version `runrec --version` prints. */
export const VERSION = "0.1.0";

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "runrec: run records for agent pipelines that keep their state as files in git",
    "",
    "Usage: runrec <command> [options]   (runrec <command> --help for one command)",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Exit codes: 0 ok, 1 a check found a problem, 2 usage error or I/O failure.",
    "",
  ].join("\n");
}

/** The process's own standard streams. */
export function processIo(): Io {
  const encoder = new TextEncoder();
  const isTerminal = Deno.stdout.isTerminal();
  let noColor = false;
  try {
    noColor = Deno.env.get("NO_COLOR") !== undefined && Deno.env.get("NO_COLOR") !== "";
  } catch {
    noColor = true;
  }
  return {
    out: (text) => writeAll(Deno.stdout, encoder.encode(text)),
    err: (text) => writeAll(Deno.stderr, encoder.encode(text)),
    isTerminal,
    color: isTerminal && !noColor,
  };
}

function writeAll(stream: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += stream.writeSync(bytes.subarray(offset));
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
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(overview());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === "--version" || name === "-V") {
    io.out(`runrec ${VERSION}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`runrec: unknown command ${JSON.stringify(name)}; see runrec --help\n`);
    return EXIT.usage;
  }
  try {
    const parsed = parseCommandArgs(rest, command.options);
    if (parsed.values.help) {
      io.out(command.help.endsWith("\n") ? command.help : `${command.help}\n`);
      return EXIT.ok;
    }
    return await command.run(parsed, io);
  } catch (error) {
    const { code, message } = exitFor(error);
    const hint = error instanceof UsageError ? ` (see runrec ${name} --help)` : "";
    io.err(`runrec ${name}: ${message}${hint}\n`);
    return code;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args, processIo()));
}
