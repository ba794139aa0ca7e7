/**
 * Reader for the lifecycle state in `_STATUS.md`: the `**Current State:**` line.
 * runrec only reads this file. Anything it cannot read for sure is `TBD`, with
 * a one-line reason; a state is never guessed.
 *
 * @module
 */
import { HostFileTooLarge, markdownLines, readFolderFile } from "./deliverable.ts";
import { LIFECYCLE_STATES, TBD } from "./schema.ts";

/** A lifecycle state, and why it is `TBD` when it is. */
export interface LifecycleReading {
  /** One of the lifecycle states, or `TBD`. */
  state: string;
  /** One line naming the file (and line) when the state could not be read. */
  problem?: string;
}

// Accepts `**Current State:** X` and `**Current State**: X`, also as a list item.
const CURRENT_STATE = /^\s*(?:[-*]\s+)?\*\*Current State(?::\*\*|\*\*:)(.*)$/;

/**
 * The lifecycle state in `_STATUS.md` text: its `**Current State:**` line,
 * whose value must be exactly one of the lifecycle states (case and all),
 * surrounding spaces aside. Two such lines that disagree are `TBD` with a
 * problem: which one holds is not guessed.
 *
 * @example
 * ```ts
 * import { parseLifecycleState } from "./status.ts";
 * parseLifecycleState("# Status\n\n**Current State:** ISSUED  \n", "_STATUS.md");
 * // { state: "ISSUED" }
 * parseLifecycleState("**Current State:** DONE\n", "_STATUS.md");
 * // { state: "TBD", problem: '_STATUS.md line 1: Current State "DONE" is not a lifecycle state …' }
 * ```
 */
export function parseLifecycleState(text: string, fileName: string): LifecycleReading {
  const found: { line: number; value: string }[] = [];
  markdownLines(text).forEach((text, i) => {
    const match = CURRENT_STATE.exec(text);
    if (match) found.push({ line: i + 1, value: match[1].trim() });
  });
  if (found.length === 0) return { state: TBD, problem: `${fileName}: no **Current State:** line` };
  const { line, value } = found[0];
  const other = found.find((f) => f.value !== value);
  if (other) {
    return {
      state: TBD,
      problem: `${fileName} lines ${line} and ${other.line}: two Current State lines disagree ` +
        `(${shown(value)}, ${shown(other.value)})`,
    };
  }
  if ((LIFECYCLE_STATES as readonly string[]).includes(value)) return { state: value };
  return {
    state: TBD,
    // Shown cut short: the note goes into a record, whose fields are bounded.
    problem: `${fileName} line ${line}: Current State ${shown(value)} is not a ` +
      `lifecycle state (${LIFECYCLE_STATES.filter((s) => s !== TBD).join(", ")})`,
  };
}

/** A value as a note quotes it: JSON, at most 40 characters of it. */
function shown(value: string): string {
  return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}…` : JSON.stringify(value);
}

/**
 * The lifecycle state of the deliverable whose `_STATUS.md` is given. A missing
 * or unreadable file is `TBD` with a problem, never an exception.
 *
 * @example
 * ```ts
 * import { readLifecycleState } from "./status.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/_STATUS.md`, "**Current State:** OPEN\n");
 * console.log(await readLifecycleState(`${dir}/_STATUS.md`)); // { state: "OPEN" }
 * console.log((await readLifecycleState(`${dir}/nothing.md`)).state); // "TBD"
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function readLifecycleState(statusFile: string): Promise<LifecycleReading> {
  let text: string | undefined;
  try {
    text = readFolderFile(statusFile);
  } catch (error) {
    const why = error instanceof Deno.errors.InvalidData || error instanceof HostFileTooLarge
      ? error.message
      : error instanceof Error
      ? error.name
      : String(error);
    return Promise.resolve({ state: TBD, problem: `${statusFile}: unreadable (${why})` });
  }
  if (text === undefined) {
    return Promise.resolve({ state: TBD, problem: `${statusFile}: not found` });
  }
  return Promise.resolve(parseLifecycleState(text, statusFile));
}
