/**
 * What every CLI command shares: its shape, argument parsing, and the exit
 * codes of the CLI contract.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CheckFailure, InputError } from "../errors.ts";

/** Exit codes of the CLI contract. */
export const EXIT = { ok: 0, check: 1, usage: 2 } as const;

/** Where a command writes; tests pass their own to capture output. */
export interface Io {
  /** Writes one chunk to standard output. */
  out(text: string): void;
  /** Writes one chunk to standard error. */
  err(text: string): void;
  /** Whether standard output is a terminal (tables align, colour allowed). */
  isTerminal: boolean;
  /** Whether colour is allowed (`NO_COLOR` unset and a terminal). */
  color: boolean;
}

/** One CLI command. */
export interface Command {
  /** The word after `runrec`. */
  name: string;
  /** One line for `runrec --help`. */
  summary: string;
  /** The full `--help` text. */
  help: string;
  /** The options `parseArgs` accepts (`help` is added). */
  options: NonNullable<ParseArgsConfig["options"]>;
  /** Runs with parsed arguments; returns the exit code. */
  run(parsed: Parsed, io: Io): Promise<number>;
}

/** Parsed arguments: option values by name, and the positionals. */
export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** A usage error: the CLI prints it with a pointer to `--help` and exits 2. */
export class UsageError extends InputError {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parses a command's arguments strictly: unknown options, missing values and
 * stray arguments are usage errors.
 *
 * @example
 * ```ts
 * import { parseCommandArgs } from "./command.ts";
 * const parsed = parseCommandArgs(["x", "--json"], { json: { type: "boolean" } });
 * parsed.values.json; // true
 * ```
 */
export function parseCommandArgs(
  args: string[],
  options: NonNullable<ParseArgsConfig["options"]>,
): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed["values"], positionals };
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]);
  }
}

/** The value of a string option, or `undefined`. */
export function stringOption(parsed: Parsed, name: string): string | undefined {
  const v = parsed.values[name];
  return typeof v === "string" ? v : undefined;
}

/** The values of a repeatable string option. */
export function listOption(parsed: Parsed, name: string): string[] {
  const v = parsed.values[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}

/** A required string option; a usage error when absent. */
export function requiredOption(parsed: Parsed, name: string): string {
  const v = stringOption(parsed, name);
  if (v === undefined || v === "") throw new UsageError(`--${name} is required`);
  return v;
}

/** Exactly `count` positionals, named for the error message. */
export function positionals(parsed: Parsed, names: string[], atLeast = false): string[] {
  const got = parsed.positionals;
  if (got.length < names.length || (!atLeast && got.length > names.length)) {
    throw new UsageError(
      got.length < names.length
        ? `missing ${names.slice(got.length).map((n) => `<${n}>`).join(" ")}`
        : `unexpected argument ${JSON.stringify(got[names.length])}`,
    );
  }
  return got;
}

/** Maps an error to the exit code and one line for stderr; unknown errors are I/O failures. */
export function exitFor(error: unknown): { code: number; message: string } {
  if (error instanceof CheckFailure) return { code: EXIT.check, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: EXIT.usage, message: message.split("\n")[0] };
}

/** Writes one JSON document and a newline. */
export function writeJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2) + "\n");
}
