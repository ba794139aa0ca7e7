/**
 * Reader for the lifecycle state in `_STATUS.md`: the `**Current State:**` line.
 * runrec only reads this file. Anything it cannot read for sure is `TBD`, with
 * a one-line reason; a state is never guessed.
 *
 * @module
 */
import { HostFileTooLarge, type ListFolder, markdownLines, readFolderFile } from "./deliverable.ts";
import { LIFECYCLE_STATES, TBD } from "./schema.ts";
import { otherCaseName } from "./other_case.ts";
import { dirname } from "./path.ts";
import { sha256Hex } from "./sha256.ts";

/** A lifecycle state, and why it is `TBD` when it is. */
export interface LifecycleReading {
  /** One of the lifecycle states, or `TBD`. */
  state: string;
  /** One line naming the file (and line) when the state could not be read. */
  problem?: string;
  /** The file does not exist (a deliverable folder not prepared yet, or it was deleted). */
  missing?: true;
}

// `**Current State:** X` or `**Current State**: X`, also as a list item: its label, its value.
const CURRENT_STATE = /^(\s*(?:[-*]\s+)?\*\*Current State(?::\*\*|\*\*:))(.*)$/;

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
    if (match) found.push({ line: i + 1, value: match[2].trim() });
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
 * (`missing`) or unreadable file is `TBD` with a problem, never an exception;
 * the problem of a missing one names the file beside it that has its name in
 * other case, found by `list` (default: a listing of the folder).
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
export function readLifecycleState(
  statusFile: string,
  list?: ListFolder,
): Promise<LifecycleReading> {
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
    // Read where case does not count (macOS, Windows): said, or the two machines' records differ unexplained.
    const other = otherCaseName(statusFile, list?.(dirname(statusFile)).keys());
    const found = other === undefined ? "" : `; ${other} beside it is that name in other case, ` +
      "which runrec reads only where case does not count (macOS, Windows): rename it (git mv)";
    return Promise.resolve({
      state: TBD,
      problem: `${statusFile}: not found${found}`,
      missing: true,
    });
  }
  return Promise.resolve(parseLifecycleState(text, statusFile));
}

// The lines a change of lifecycle state edits (the host system's file formats): the state (CURRENT_STATE), its
// date, history rows.
const LAST_UPDATED_LINE = /^(\s*(?:[-*]\s+)?\*\*Last Updated(?::\*\*|\*\*:))(.*)$/;
const HISTORY_HEADING = /^#{1,6}\s+History\s*#*\s*$/i;
const HEADING = /^#{1,6}\s/;
const LIST_ITEM = /^\s*[-*+]\s/;
const TABLE_LINE = /^\s*\|/;
const TABLE_SEPARATOR = /^\s*\|?\s*:?-{3,}/;
const DATE = /\d{4}-\d{2}-\d{2}/;
const STATES = LIFECYCLE_STATES.filter((s) => s !== TBD).join("|");
/**
 * A list row as a change of state writes it (the host's list shape): `- <date> — State set to
 * <STATE>`, its actor after it in parentheses, one word (`(4_DOCUMENTS)`).
 */
const LIST_STATE_ROW = new RegExp(
  `^\\s*[-*+]\\s+\\d{4}-\\d{2}-\\d{2}\\s+[—–-]{1,2}\\s+State set to (${STATES})(?:\\s+\\([^()\\s]+\\))?\\s*$`,
);
const STATE_CELL = new RegExp(`^(?:${STATES})$`);
/** A From cell that names no state: the first row of a history. */
const NO_STATE_CELL = /^(?:—|–|-|)$/;
/**
 * Past this many history rows (or this size), an earlier version is not rebuilt: too many to try.
 */
const MAX_HISTORY_ROWS = 20;
const MAX_STATUS_CHARS = 16 << 10;
/** At most this many earlier versions are hashed. */
const MAX_VERSIONS = 1000;

/**
 * The state `_STATUS.md` had when its hash was `earlierHash`, if the text
 * differs from that version only in what a change of lifecycle state edits
 * (the host system's file formats): the `**Current State:**` value (one of `states`), the
 * date of `**Last Updated:**`, and rows of the `## History` section added
 * since (at its end or its start), each as a change of state writes it (the
 * list's `- <date> — State set to <STATE> (<actor>)`, a table row whose Date
 * is a date and whose From and To are states), going on from the earlier
 * state. Told by rebuilding each such earlier version and
 * comparing its SHA-256 with `earlierHash`: a match proves nothing else
 * differs; any other edit, or one past the bounds, is `undefined`.
 *
 * @example
 * ```ts
 * import { lifecycleChangeFrom } from "./status.ts";
 * import { sha256Hex } from "./sha256.ts";
 * const then = "**Current State:** OPEN\n**Last Updated:** 2026-02-21\n\n## History\n" +
 *   "- 2026-02-21 — State set to OPEN\n";
 * const now = "**Current State:** INITIALIZED\n**Last Updated:** 2026-02-22\n\n## History\n" +
 *   "- 2026-02-21 — State set to OPEN\n- 2026-02-22 — State set to INITIALIZED\n";
 * lifecycleChangeFrom(now, sha256Hex(then), ["OPEN"]); // "OPEN"
 * lifecycleChangeFrom(now + "edited\n", sha256Hex(then), ["OPEN"]); // undefined
 * ```
 */
export function lifecycleChangeFrom(
  text: string,
  earlierHash: string,
  states: readonly string[],
): string | undefined {
  if (text.length > MAX_STATUS_CHARS) return undefined;
  // Lines with their own ends, so that a rebuilt version keeps the file's bytes (CR LF and all).
  const lines = text.split(/(?<=\n)/);
  const content = (line: string) => line.replace(/\r?\n$/, "");
  const rows: number[] = [];
  // The rows that are a change of state as the host writes one, by line: the state set, and the
  // state it was set from where the row says (a table's From).
  const moves = new Map<number, StateMove>();
  let inHistory = false;
  let tableLines = 0;
  let header: string[] = [];
  lines.forEach((line, i) => {
    const bare = content(line);
    if (HEADING.test(bare)) {
      inHistory = HISTORY_HEADING.test(bare);
      tableLines = 0;
    } else if (inHistory && LIST_ITEM.test(bare)) {
      rows.push(i);
      const set = LIST_STATE_ROW.exec(bare);
      if (set) moves.set(i, { to: set[1] });
    } else if (inHistory && TABLE_LINE.test(bare)) {
      // A table's header and separator are no rows.
      if (tableLines === 0) header = cellsOf(bare).map((cell) => cell.toLowerCase());
      if (tableLines++ >= 2 && !TABLE_SEPARATOR.test(bare)) {
        rows.push(i);
        const move = tableMove(cellsOf(bare), header);
        if (move) moves.set(i, move);
      }
    } else if (bare.trim() === "") {
      tableLines = 0;
    }
  });
  if (rows.length > MAX_HISTORY_ROWS) return undefined;
  // The rows added since, in the order they were written: none, the last k, or the first k (a
  // history kept newest first). Each as a change of state writes it: a row of free text added
  // ("- 2026-03-01 — Client: OPEN items go HART only") is an edit of what the file says, which an
  // agent reading it reads (stale-47 F2), whatever date or state word it holds.
  const removals: number[][] = [[]];
  for (let k = 1; k <= rows.length; k++) {
    for (const added of [rows.slice(-k), rows.slice(0, k).reverse()]) {
      if (added.every((i) => moves.has(i))) removals.push(added);
    }
  }
  let tried = 0;
  for (const added of removals) {
    const removed = new Set(added);
    const kept = lines.filter((_, i) => !removed.has(i));
    // The earlier date: unchanged, or one a remaining row gives (the last change then).
    const dates = new Set<string | undefined>([undefined]);
    for (const i of rows) {
      const date = removed.has(i) ? null : DATE.exec(lines[i]);
      if (date) dates.add(date[0]);
    }
    for (const state of states) {
      // The rows added must go on from that state, step by step.
      if (!goesOnFrom(state, added.map((i) => moves.get(i)!))) continue;
      for (const date of dates) {
        if (++tried > MAX_VERSIONS) return undefined;
        const version = kept.map((line) => withValues(line, state, date)).join("");
        if (sha256Hex(version) === earlierHash) return state;
      }
    }
  }
  return undefined;
}

/** A history row's change of state: the state set, and the one it was set from where it says. */
interface StateMove {
  to: string;
  from?: string;
}

/** The cells of a table line, trimmed, without the empty ones its outer `|`s make. */
function cellsOf(line: string): string[] {
  const cells = line.trim().split("|").map((cell) => cell.trim());
  if (line.trim().startsWith("|")) cells.shift();
  if (line.trim().endsWith("|")) cells.pop();
  return cells;
}

/**
 * A table row as a change of state writes it (the host's table shape, its columns by the
 * header's names): a Date cell that is a date alone, a To (or State) cell that is a state, a From
 * cell, if any, that is a state or none (`—`). Its actor and notes are what the change wrote.
 */
function tableMove(cells: string[], header: string[]): StateMove | undefined {
  const cell = (...names: string[]) => {
    const at = header.findIndex((name) => names.includes(name));
    return at < 0 ? undefined : cells[at] ?? "";
  };
  const date = cell("date");
  const to = cell("to", "state", "new state");
  const from = cell("from");
  if (date === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
  if (to === undefined || !STATE_CELL.test(to)) return undefined;
  if (from === undefined || NO_STATE_CELL.test(from)) return { to };
  return STATE_CELL.test(from) ? { to, from } : undefined;
}

/**
 * Whether `moves`, in the order written, go on from `state` step by step: each set from the state
 * the one before set (where its row says). The Current State may have moved on without a row.
 */
function goesOnFrom(state: string, moves: readonly StateMove[]): boolean {
  let at = state;
  for (const move of moves) {
    if (move.from !== undefined && move.from !== at) return false;
    at = move.to;
  }
  return true;
}

/** `line` with its Current State value set to `state`, and its Last Updated date to `date`. */
function withValues(line: string, state: string, date: string | undefined): string {
  const end = /\r?\n$/.exec(line)?.[0] ?? "";
  const bare = line.slice(0, line.length - end.length);
  const stateLine = CURRENT_STATE.exec(bare);
  if (stateLine) {
    const [, label, rest] = stateLine;
    const value = rest.trim();
    const at = value === "" ? rest.length : rest.indexOf(value);
    return label + rest.slice(0, at) + state + rest.slice(at + value.length) + end;
  }
  const updated = date === undefined ? null : LAST_UPDATED_LINE.exec(bare);
  if (updated && DATE.test(updated[2])) {
    return updated[1] + updated[2].replace(DATE, date!) + end;
  }
  return line;
}
