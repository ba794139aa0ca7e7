/**
 * Whether every line of one version of a record file is still in a later
 * one, in any order: what K-APPEND-1 asks of a version reached by another
 * path than first-parent appends (a revision on a merged side branch).
 * Lines are compared as bytes, as in `append_only.ts`.
 *
 * @module
 */
import { RUN_ID_PATTERN } from "./schema.ts";

const NEWLINE = 10;

/** A line of the earlier version that the later one lacks. */
export interface MissingLine {
  /** 1-based line number in the earlier version. */
  line: number;
  /** The record's RunID, or `undefined` for a line that holds none (the header, a torn line). */
  runId?: string;
}

/**
 * The first line of `earlier` that occurs nowhere in `later`, or
 * `undefined` when every one does. An unterminated last line counts as its
 * text: runrec ends a torn tail with `\n` before its next append.
 *
 * @example
 * ```ts
 * import { firstMissingLine } from "./kept_lines.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * firstMissingLine(bytes("h\na\nb\n"), bytes("h\nb\nc\na\n")); // undefined
 * firstMissingLine(bytes("h\na\nb\n"), bytes("h\nb\n")); // { line: 2, runId: undefined }
 * ```
 */
export function firstMissingLine(
  earlier: Uint8Array,
  later: Uint8Array,
): MissingLine | undefined {
  const kept = new Set(byteLines(later));
  const lines = byteLines(earlier);
  const at = lines.findIndex((line) => !kept.has(line));
  if (at < 0) return undefined;
  // The RunID is the second field; it holds no comma or quote, so no CSV parsing is needed.
  const runId = lines[at].split(",")[1];
  return { line: at + 1, runId: runId && RUN_ID_PATTERN.test(runId) ? runId : undefined };
}

/** The lines of `bytes` without their `\n`, one char per byte, so that string equality is byte equality. */
function byteLines(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== NEWLINE) continue;
    if (i > start || i < bytes.length) lines.push(latin1(bytes.subarray(start, i)));
    start = i + 1;
  }
  return lines;
}

/** One char per byte (code 0-255); in slices, as one call with every byte as an argument overflows the stack. */
function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return text;
}
