/**
 * What every CLI command shares: its shape, argument parsing, and the exit
 * codes of the CLI contract.
 *
 * @module
 */
import { jsonText } from "../json_text.ts";
import {
  CheckFailure,
  InputError,
  isOutOfDescriptors,
  OptionError,
  TOO_MANY_OPEN_FILES,
} from "../errors.ts";
import { requireFolder } from "../deliverable.ts";
import { isThere } from "../lookups.ts";
import { placeholderProblem } from "../placeholders.ts";
import { oneLine } from "../names.ts";
import { isStandardInput, readPathList } from "./path_list.ts";
import { isPathName, refuseStrayArguments, strayHint } from "./stray_arguments.ts";
import { UsageError } from "./usage_error.ts";

// Every command takes it from here, with the rest of what commands share.
export { UsageError };

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
  /**
   * Why output written so far reached nobody (standard output is /dev/null or
   * closed, or its reader has gone), else `undefined`; absent: it all arrived.
   */
  outLost?(): string | undefined;
}

/** One CLI command. */
export interface Command {
  /** The word after `runrec`. */
  name: string;
  /** One line for `runrec --help`. */
  summary: string;
  /** The full `--help` text. */
  help: string;
  /** The options {@linkcode parseCommandArgs} accepts (`help` is added). */
  options: OptionsConfig;
  /** The positional that is a command to run: it and all after it are its own (`exec`'s CMD). */
  commandAt?: number;
  /**
   * Why it does not take an option other commands do, by the option's name: said in place of
   * "did you mean" (`exec --status`: the status is CMD's exit code).
   */
  notTaken?: Record<string, string>;
  /**
   * It writes no record: a warning it cannot print (stderr on a full disk,
   * or closed) is dropped, and changes neither its output nor its exit code
   * (env-signals F2). A writer keeps stderr's failures: a lost-record line
   * that cannot go out must not pass for said.
   */
  readsOnly?: true;
  /** Runs with parsed arguments; returns the exit code. */
  run(parsed: Parsed, io: Io): Promise<number>;
}

/**
 * `io` whose `err` drops a write that fails (stderr on a full disk, or
 * closed): said nowhere, and no failure of the command.
 *
 * @example
 * ```ts
 * import { warningsMayDrop } from "./command.ts";
 * import { processIo } from "./main.ts";
 * warningsMayDrop(processIo()).err("runrec: warning: …\n"); // never throws
 * ```
 */
export function warningsMayDrop(io: Io): Io {
  return {
    ...io,
    err: (text) => {
      try {
        io.err(text);
      } catch { /* said nowhere */ }
    },
  };
}

/** Parsed arguments: option values by name, and the positionals. */
export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /**
   * The positionals that came straight after an option's value (`--notes hello world`:
   * `world`; `--output a.md b.md`: `b.md`), with that option's name and kind: text the shell
   * split, or paths given to an option that takes one, when they are more positionals than the
   * command takes.
   */
  afterValue?: AfterValue[];
  /** How many positionals came before a `--`, when one was given. */
  beforeSeparator?: number;
}

/** The positionals straight after one option's value. */
export interface AfterValue {
  /** The option as typed, `--notes`. */
  option: string;
  /** Its kind: free text, a repeatable value (a path each), or another. */
  kind: "text" | "multiple" | "one";
  /** The value it was given, which the positionals followed. */
  value?: string;
  /** The positionals that followed its value, before any other option. */
  words: string[];
  /** Where those words start among the positionals. */
  at: number;
}

/**
 * A `--name` the command does not take: its message gains "did you mean ...?" when one of
 * `known` (the command's long option names) is near it.
 *
 * @example
 * ```ts
 * import { UnknownOption } from "./command.ts";
 * new UnknownOption("--stauts", ["status", "agent"]).message; // "unknown option --stauts"
 * ```
 */
export class UnknownOption extends UsageError {
  /** Builds the error for `option` as typed, the command taking the options `known`. */
  constructor(readonly option: string, readonly known: readonly string[]) {
    super(`unknown option ${option}`);
  }
}

/** One option of a command. */
export interface OptionSpec {
  /** `string` takes a value (`--name value` or `--name=value`); `boolean` takes none. */
  type: "string" | "boolean";
  /** Repeatable: the values are collected into an array, in order. */
  multiple?: boolean;
  /** A one-letter alias, used as `-x`. */
  short?: string;
  /**
   * The value names a file listing values of this (repeatable) option, one a line
   * (`--inputs-from F` lists `--input` paths); they join its list where the file was given.
   */
  listOf?: string;
  /** Free text of any words (`--notes`, `--error`): words after its value were likely its own. */
  text?: true;
}

/** A command's options by long name (without the leading `--`). */
export type OptionsConfig = Record<string, OptionSpec>;

const HELP_OPTION: OptionSpec = { type: "boolean", short: "h" };

/** `--null`: the lists of `listOf` options are NUL-separated (as `tar --null`). */
const NULL_OPTION: OptionSpec = { type: "boolean" };

/**
 * `--inputs-from F` (and `--null`): the `--input` paths listed in a file
 * (`-`: standard input), for more than a command line holds.
 *
 * @example
 * ```ts
 * import { INPUTS_FROM, parseCommandArgs } from "./command.ts";
 * Deno.writeTextFileSync("/tmp/read.txt", "a.md\nb.md\n");
 * const options = { input: { type: "string", multiple: true }, ...INPUTS_FROM } as const;
 * parseCommandArgs(["--input", "x.md", "--inputs-from", "/tmp/read.txt"], options).values.input;
 * // ["x.md", "a.md", "b.md"]
 * ```
 */
export const INPUTS_FROM: OptionsConfig = {
  "inputs-from": { type: "string", multiple: true, listOf: "input" },
  null: NULL_OPTION,
};

/**
 * `--outputs-from F` (and `--null`): the `--output` paths listed in a file,
 * as {@linkcode INPUTS_FROM} lists inputs.
 *
 * @example
 * ```ts
 * import { OUTPUTS_FROM, parseCommandArgs } from "./command.ts";
 * Deno.writeTextFileSync("/tmp/wrote.txt", "a.md\0b\nc.md\0");
 * const options = { output: { type: "string", multiple: true }, ...OUTPUTS_FROM } as const;
 * parseCommandArgs(["--outputs-from", "/tmp/wrote.txt", "--null"], options).values.output;
 * // ["a.md", "b\nc.md"]
 * ```
 */
export const OUTPUTS_FROM: OptionsConfig = {
  "outputs-from": { type: "string", multiple: true, listOf: "output" },
  null: NULL_OPTION,
};

/**
 * Parses a command's arguments strictly: unknown options, missing values and
 * stray arguments are usage errors. Accepts `--name value`, `--name=value`,
 * `-x` (a `short` alias; letters may be grouped, `-hx`), repeated `multiple`
 * options, and `--`, after which every argument is a positional; a lone `-` is
 * a positional. A value that starts with `-` must be given as `--name=-value`.
 * With `commandAt`, the positional at that index is a command to run: it and
 * every argument after it are positionals, as `timeout` and `env` take theirs.
 * `-h`/`--help` is always accepted. The rules are those of `node:util`
 * `parseArgs` with `strict: true` and `allowPositionals: true` (which this
 * replaces: loading it starts Deno's Node compatibility layer), with messages
 * of one line in runrec's style (`--agent: missing its value`).
 *
 * @example
 * ```ts
 * import { parseCommandArgs } from "./command.ts";
 * const parsed = parseCommandArgs(["x", "--json"], { json: { type: "boolean" } });
 * parsed.values.json; // true
 * parsed.positionals; // ["x"]
 * parseCommandArgs(["--bogus"], {}); // throws UsageError: unknown option --bogus
 * ```
 */
export function parseCommandArgs(
  args: string[],
  options: OptionsConfig,
  commandAt?: number,
): Parsed {
  const specs: OptionsConfig = { ...options, help: HELP_OPTION };
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) if (spec.short) byShort.set(spec.short, name);
  const values: Parsed["values"] = {};
  const positionals: string[] = [];
  /** The list files given, each with where its paths go in its option's list. */
  const lists: { option: string; file: string; into: string; at: number }[] = [];
  const afterValue: AfterValue[] = [];
  /** The option whose value the positionals now read came straight after. */
  let lastValue: AfterValue | undefined;
  let beforeSeparator: number | undefined;

  const store = (name: string, spec: OptionSpec, value: string | boolean) => {
    const kind = spec.text ? "text" : spec.multiple && !spec.listOf ? "multiple" : "one";
    lastValue = typeof value === "string"
      ? { option: `--${name}`, kind, value, words: [], at: positionals.length }
      : undefined;
    if (lastValue) afterValue.push(lastValue);
    if (spec.listOf !== undefined) {
      const list = values[spec.listOf];
      const at = Array.isArray(list) ? list.length : 0;
      lists.push({ option: `--${name}`, file: value as string, into: spec.listOf, at });
    } else if (spec.multiple) {
      const list = values[name];
      values[name] = Array.isArray(list) ? [...list, value as string] : [value as string];
    } else if (
      typeof value === "string" && typeof values[name] === "string" && values[name] !== value
    ) {
      // Two different values for a one-value option: keeping either would be a guess.
      throw new UsageError(`--${name}: given twice, with different values`);
    } else {
      values[name] = value;
    }
  };
  /** The value after `--name` (or `-x`) at `args[i + 1]`. */
  const nextValue = (name: string, typed: string, i: number): string => {
    const value = args[i + 1];
    if (value === undefined) throw new UsageError(`${typed}: missing its value`);
    // A value may start with a dash (`--error "- vendor data missing"`, `--notes -5`): an
    // agent's text must not cost its record. Only one of this command's own options is taken
    // for a forgotten value.
    if (value === "--" || namesOption(value)) {
      throw new UsageError(
        `${typed}: missing its value (got the option ${value}; to give that text, ` +
          `use --${name}=${value})`,
      );
    }
    return value;
  };

  /** Whether `arg` is one of this command's options (`--name`, `--name=x`, `-x`). */
  const namesOption = (arg: string): boolean => {
    if (arg.startsWith("--")) {
      const name = arg.slice(2).split("=")[0];
      return Object.hasOwn(specs, name);
    }
    return /^-[A-Za-z]/.test(arg) && byShort.has(arg[1]);
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      beforeSeparator = positionals.length;
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      if (positionals.length === commandAt) {
        positionals.push(...args.slice(i));
        lastValue?.words.push(...args.slice(i));
        break;
      }
      positionals.push(arg);
      lastValue?.words.push(arg);
    } else if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
      if (!spec || name === "" || name.startsWith("-")) {
        throw new UnknownOption(eq < 0 || name === "" ? arg : arg.slice(0, eq), Object.keys(specs));
      }
      if (spec.type === "boolean") {
        if (eq >= 0) throw new UsageError(`--${name}: takes no value`);
        store(name, spec, true);
      } else if (eq >= 0) {
        store(name, spec, arg.slice(eq + 1));
      } else {
        store(name, spec, nextValue(name, `--${name}`, i));
        i++;
      }
    } else {
      // A path that starts with a dash (`-DEL-01-09_X`) is read as options: said so, with the
      // way to give it, before one of its letters is taken for an option (`-h`: the help).
      if (arg.length > 2 && isThere(arg)) throw new UsageError(dashedPath(arg, "names"));
      // `-help`, `-agent X`: a long option with one dash, as some tools take them.
      const long = arg.slice(1).split("=")[0];
      if (arg.length > 2 && Object.hasOwn(specs, long) && specs[long].short !== long) {
        throw new UsageError(`unknown option ${arg}: did you mean -${arg}?`);
      }
      // One or more short aliases: -h, -hx, -ovalue.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j];
        const name = byShort.get(letter);
        if (name === undefined) {
          throw new UsageError(
            `unknown option -${letter}${arg.length > 2 ? ` (${dashedPath(arg, "if")})` : ""}`,
          );
        }
        const spec = specs[name];
        if (spec.type === "boolean") {
          store(name, spec, true);
        } else if (j + 1 < arg.length) {
          store(name, spec, arg.slice(j + 1));
          break;
        } else {
          store(name, spec, nextValue(name, `-${letter}`, i));
          i++;
        }
      }
    }
  }
  if (!values.help) readLists(lists, values, commandAt !== undefined);
  const followed = afterValue.filter((t) => t.words.length > 0);
  return {
    values,
    positionals,
    ...(followed.length > 0 ? { afterValue: followed } : {}),
    ...(beforeSeparator === undefined ? {} : { beforeSeparator }),
  };
}

/**
 * Reads the list files `lists` names into the lists of `values` they belong to, each where it
 * was given: the paths then are as if given one by one. `-` is standard input, read once; not
 * where a command to run (`exec`'s CMD) is given it.
 */
function readLists(
  lists: { option: string; file: string; into: string; at: number }[],
  values: Parsed["values"],
  runsCommand: boolean,
): void {
  if (values.null === true && lists.length === 0) {
    throw new UsageError("--null: no --inputs-from or --outputs-from list to read");
  }
  const fromStdin = lists.filter((l) => isStandardInput(l.file));
  const named = (l: { option: string; file: string }) => `${l.option} ${l.file}`;
  if (fromStdin.length > 1) {
    throw new UsageError(
      `${named(fromStdin[0])} and ${named(fromStdin[1])}: standard input is read once; ` +
        "give the other list in a file",
    );
  }
  if (fromStdin.length > 0 && runsCommand) {
    throw new UsageError(
      `${named(fromStdin[0])}: CMD is given runrec's standard input; give the list in a ` +
        "file (or <(command))",
    );
  }
  const empty = lists.find((l) => l.file === "");
  if (empty) throw new UsageError(`${empty.option}: an empty path (name a list file, or -)`);
  const read = lists.map((l) => readPathList(l.option, l.file, values.null === true));
  // From the last: inserting a list's paths leaves the places of those before it as they were.
  for (let i = lists.length - 1; i >= 0; i--) {
    const { into, at } = lists[i];
    const list = values[into];
    const given = Array.isArray(list) ? list : [];
    values[into] = [...given.slice(0, at), ...read[i], ...given.slice(at)];
  }
}

/** The value of a string option, or `undefined`. */
export function stringOption(parsed: Parsed, name: string): string | undefined {
  const v = parsed.values[name];
  return typeof v === "string" ? v : undefined;
}

/**
 * A string option naming a folder that must be there (`--agents-dir`): a
 * misspelt one is an `InputError` naming the flag, not a run checked against
 * no profile.
 */
export function folderOption(parsed: Parsed, name: string): string | undefined {
  const value = stringOption(parsed, name);
  if (value !== undefined) requireFolder(value, value, `--${name}`);
  return value;
}

/** The values of a repeatable string option. */
export function listOption(parsed: Parsed, name: string): string[] {
  const v = parsed.values[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}

/** A required string option; a usage error when absent or empty (`--agent "$AGENT"`, unset). */
export function requiredOption(parsed: Parsed, name: string): string {
  const v = stringOption(parsed, name);
  if (v === undefined) throw new UsageError(`--${name} is required`);
  if (v === "") throw new UsageError(`--${name}: empty (it is required)`);
  return v;
}

/**
 * Says that `arg`, a word starting with `-`, is read as options, and how to give it as a path:
 * `names`, it is one here; `if`, it may be meant as one.
 */
function dashedPath(arg: string, is: "names" | "if"): string {
  const how = `write it ./${arg}, or after a -- that ends the options`;
  return is === "names"
    ? `${arg}: names a file or folder here, but a word starting with - is read as options: ${how}`
    : `if ${arg} is a path: a word starting with - is read as options: ${how}`;
}

/**
 * What may follow the named positionals: nothing, more of the last name's
 * kind (`log A B`), or a command's own arguments (`exec D CMD ARG...`),
 * which are passed on as given, empty ones too.
 */
export type MorePositionals = "none" | "targets" | "arguments";

/**
 * The positionals: one for each of `names`, then what `more` allows. An
 * empty one is refused, named as the help names it: `"$DIR"` with DIR unset
 * would otherwise be read as the current folder, or said in an internal name.
 * So is one holding an unfilled placeholder (`"{DELIVERABLE_PATH}"`).
 *
 * @example
 * ```ts
 * import { parseCommandArgs, positionals } from "./command.ts";
 * const [dir] = positionals(parseCommandArgs(["DEL-01-02_Y"], {}), ["del-dir"]); // "DEL-01-02_Y"
 * positionals(parseCommandArgs([""], {}), ["del-dir"]); // throws UsageError: <del-dir>: an empty path
 * ```
 */
export function positionals(
  parsed: Parsed,
  names: string[],
  more: MorePositionals = "none",
): string[] {
  const got = parsed.positionals;
  refuseStrayArguments(parsed, names, more);
  if (got.length < names.length || (more === "none" && got.length > names.length)) {
    throw new UsageError(
      got.length < names.length
        ? `missing ${names.slice(got.length).map((n) => `<${n}>`).join(" ")}`
        : `unexpected argument ${JSON.stringify(got[names.length])}${
          strayHint(parsed, got.length - names.length)
        }`,
    );
  }
  const checked = more === "arguments" ? got.slice(0, names.length) : got;
  const empty = checked.indexOf("");
  if (empty >= 0) {
    const name = names[Math.min(empty, names.length - 1)];
    // A folder or file is a path; a RunID or command is a word.
    const what = isPathName(name) ? "an empty path (. is the current folder)" : "empty";
    throw new UsageError(`<${name}>: ${what}`);
  }
  checked.forEach((value, i) => {
    const problem = placeholderProblem(`<${names[Math.min(i, names.length - 1)]}>`, value);
    // A folder may really be named so (`{ACME}`): only a path that is not there was left unfilled.
    if (problem !== undefined && !isThere(value)) throw new InputError(problem);
  });
  return got;
}

/** Maps an error to the exit code and one line for stderr; unknown errors are I/O failures. */
export function exitFor(error: unknown): { code: number; message: string } {
  if (error instanceof CheckFailure) return { code: EXIT.check, message: oneLine(error.message) };
  // Out of descriptors anywhere (a program not started, a file not opened): the limit is named.
  if (isOutOfDescriptors(error)) return { code: EXIT.usage, message: TOO_MANY_OPEN_FILES };
  const message = error instanceof OptionError
    ? error.messageWith(flagOf)
    : error instanceof Error
    ? error.message
    : String(error);
  // One line whatever the names it holds: a path with a newline cut it short (bad-input F6).
  return { code: EXIT.usage, message: oneLine(message) };
}

/**
 * Where an {@linkcode InputError} is at fault, for `--json`'s error document beside its
 * message: `path` and `line` as the error holds them, an option's `field` as the message
 * names it (`--duration-ms`); nothing for any other error.
 *
 * @example
 * ```ts
 * import { errorWhere } from "./command.ts";
 * import { OptionError } from "../errors.ts";
 * errorWhere(new OptionError((name) => `${name("durationMs")}: must be whole`)); // { field: "--duration-ms" }
 * ```
 */
export function errorWhere(error: unknown): { path?: string; line?: number; field?: string } {
  if (!(error instanceof InputError)) return {};
  const { path, line, field } = error;
  return {
    ...path !== undefined && { path },
    ...line !== undefined && { line },
    ...field !== undefined && { field: error instanceof OptionError ? flagOf(field) : field },
  };
}

/** The flag that gives a library option on the command line: `statusBefore` is `--status-before`. */
export function flagOf(key: string): string {
  const plural: Record<string, string> = {
    inputs: "--input",
    outputs: "--output",
    agents: "--agent",
  };
  return plural[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Writes one JSON document and a newline. */
export function writeJson(io: Io, value: unknown): void {
  io.out(jsonText(value, 2) + "\n");
}
