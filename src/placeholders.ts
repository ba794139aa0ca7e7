/**
 * Placeholders an agent's instruction block leaves for the agent to fill in
 * (`{RUN_TOKEN}`, `{RUN_PASSES}`, `{STARTED}`, `{DELIVERABLE_PATH}`): a value that still
 * holds one was copied without being filled in, and would be recorded as if
 * it were the run's.
 *
 * @module
 */
import { OptionError } from "./errors.ts";

/** `{UPPER_CASE}`: how the agent blocks and host instruction files write a placeholder. */
const PLACEHOLDER = /\{[A-Z][A-Z0-9_]*\}/;

/**
 * The first unfilled placeholder in `value`, or `undefined`.
 */
function placeholderIn(value: string): string | undefined {
  return PLACEHOLDER.exec(value)?.[0];
}

/**
 * What to say of an option whose value holds an unfilled placeholder, or
 * `undefined` when it holds none.
 *
 * @example
 * ```ts
 * import { placeholderProblem } from "./placeholders.ts";
 * placeholderProblem("--pass", "{RUN_PASSES}");
 * // '--pass "{RUN_PASSES}" holds the placeholder {RUN_PASSES}, not filled in: ...'
 * ```
 */
export function placeholderProblem(option: string, value: string): string | undefined {
  const found = placeholderIn(value);
  if (found === undefined) return undefined;
  return `${option} ${JSON.stringify(value)} holds the placeholder ${found}, not filled in: ` +
    "give the value it stands for";
}

/**
 * The options that hold a word or a time runrec checks: never free text
 * (`error`, `notes`), nor a path (an `--input` holding one is warned of: a
 * file may be named so).
 */
const WORD_OPTIONS = [
  "agent",
  "status",
  "pass",
  "started",
  "statusBefore",
  "statusAfter",
] as const;

/**
 * Throws an {@linkcode OptionError} naming the first option of `options`
 * that holds an unfilled placeholder (`{STARTED}`, `{STATUS_BEFORE}`,
 * `{RUN_PASSES}`): a value copied from an agent block without being filled
 * in is never recorded as if it were the run's. Every entry point of the
 * library checks its options with it, so the CLI's flags get it too.
 *
 * @example
 * ```ts
 * import { refusePlaceholders } from "./placeholders.ts";
 * refusePlaceholders({ agent: "X", pass: "FULL" }); // returns
 * refusePlaceholders({ started: "{STARTED}" }); // throws: started "{STARTED}" holds the placeholder ...
 * ```
 */
export function refusePlaceholders(options: Readonly<Record<string, unknown>>): void {
  for (const key of WORD_OPTIONS) {
    const value = options[key];
    if (typeof value !== "string" || placeholderIn(value) === undefined) continue;
    throw new OptionError((name) => placeholderProblem(name(key), value)!);
  }
}
