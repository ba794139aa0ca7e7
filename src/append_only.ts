/**
 * K-APPEND-1 between two versions of a record file, on their bytes alone:
 * a later version must have the earlier one as a byte-for-byte prefix, or be
 * what a `merge=union` merge makes of it; a version reached another way (a
 * merged side branch) must keep every line, in any order.
 *
 * Lines are compared as bytes, never as decoded text: a record's Notes or
 * paths hold any UTF-8 (em dashes, euro signs), and a damaged line may hold
 * bytes that are no UTF-8 at all.
 *
 * @module
 */
import { RUN_ID_PATTERN } from "./schema.ts";
import { sha256Hex } from "./sha256.ts";

const NEWLINE = 10;

/** Why a later version breaks the rule: the first line where it differs. */
export interface PrefixProblem {
  /** 1-based line of the earlier version where the two first differ. */
  line: number;
  /** What happened, in words. */
  message: string;
}

/**
 * Why `later` does not start with `earlier`, with the first differing line,
 * or `undefined` when it does.
 *
 * @example
 * ```ts
 * import { prefixProblem } from "./append_only.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * prefixProblem(bytes("h\na\n"), bytes("h\na\nb\n")); // undefined
 * prefixProblem(bytes("h\na\n"), bytes("h\nb\n")); // { line: 2, message: "line 2 differs (byte 3 of the file)" }
 * ```
 */
export function prefixProblem(earlier: Uint8Array, later: Uint8Array): PrefixProblem | undefined {
  const n = Math.min(earlier.length, later.length);
  let i = 0;
  while (i < n && earlier[i] === later[i]) i++;
  if (i === earlier.length) return undefined;
  let line = 1;
  for (let j = 0; j < i; j++) if (earlier[j] === NEWLINE) line++;
  if (i === later.length) {
    return {
      line,
      message: `line ${line}: the file is cut to ${later.length} bytes (was ${earlier.length})`,
    };
  }
  return { line, message: `line ${line} differs (byte ${i + 1} of the file)` };
}

/**
 * How many lines a `merge=union` merge placed from the other parents, or
 * `undefined` when `merged` is not what such a merge makes of `firstParent`:
 * every line of the first parent's version in order, and every other line a
 * record with a valid checksum found in one of `otherParents`' versions.
 *
 * @example
 * ```ts
 * import { unionMergeLines } from "./append_only.ts";
 * declare const ours: Uint8Array, merged: Uint8Array, theirs: Uint8Array;
 * const placed = unionMergeLines(ours, merged, [theirs]);
 * if (placed === undefined) console.log("not a union merge");
 * ```
 */
export function unionMergeLines(
  firstParent: Uint8Array,
  merged: Uint8Array,
  otherParents: Uint8Array[],
): number | undefined {
  const ours = byteLines(firstParent);
  const theirs = new Set(otherParents.flatMap(byteLines));
  let j = 0;
  let placed = 0;
  for (const line of byteLines(merged)) {
    if (j < ours.length && line === ours[j]) {
      j++;
      continue;
    }
    if (!theirs.has(line) || !hasValidChecksum(line)) return undefined;
    placed++;
  }
  return j === ours.length ? placed : undefined;
}

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
 * import { firstMissingLine } from "./append_only.ts";
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

/**
 * The lines of `bytes` without their `\n`, each as a string of one char per
 * byte (code 0-255), so that string equality is byte equality. Not
 * `TextDecoder("latin1")`: the web maps that label to windows-1252, which
 * turns bytes 0x80-0x9F into other code points.
 */
function byteLines(bytes: Uint8Array): string[] {
  let text = "";
  // In slices: one call with every byte as an argument overflows the stack.
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Whether a line of {@linkcode byteLines} ends in the SHA-256 of the bytes before its last comma. */
function hasValidChecksum(byteLine: string): boolean {
  const line = byteLine.endsWith("\r") ? byteLine.slice(0, -1) : byteLine;
  const comma = line.lastIndexOf(",");
  if (comma < 0) return false;
  const body = Uint8Array.from(line.slice(0, comma), (c) => c.charCodeAt(0));
  return sha256Hex(body) === line.slice(comma + 1);
}
