/**
 * Placeholders an agent's instruction block leaves for the agent to fill in
 * (`{RUN_TOKEN}`, `{RUN_PASSES}`, `{DECOMPOSITION_REF}`): a value that still
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
 *
 * @example
 * ```ts
 * import { placeholderIn } from "./placeholders.ts";
 * placeholderIn("{RUN_PASSES}"); // "{RUN_PASSES}"
 * placeholderIn("FULL"); // undefined
 * ```
 */
export function placeholderIn(value: string): string | undefined {
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
 * Throws an {@linkcode OptionError} when the pass directive holds an unfilled
 * placeholder: a pass is the ORCHESTRATOR's word, never a guess to record.
 *
 * @example
 * ```ts
 * import { refusePlaceholderPass } from "./placeholders.ts";
 * refusePlaceholderPass("FULL"); // returns
 * refusePlaceholderPass("{RUN_PASSES}"); // throws: pass "{RUN_PASSES}" holds the placeholder ...
 * ```
 */
export function refusePlaceholderPass(pass: string | undefined): void {
  if (pass === undefined || placeholderIn(pass) === undefined) return;
  throw new OptionError((name) => placeholderProblem(name("pass"), pass)!);
}
