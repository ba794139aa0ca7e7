/**
 * What code shared with every command (the look-up memos of ./lookups.ts, git's folders in
 * ./git.ts) tells stale's recording layer (./observed.ts): a question a memo answers, and a memo's
 * answer with the looks behind it. Until that layer is installed both are plain (a memo is a
 * memo), so a command that records nothing, `emit`, never loads the layer.
 *
 * @module
 */

/** What a memo keeps: an answer, and, once recorded, what the work that found it asked. */
export type Remembered<V> = { value: V; seen?: ReadonlySet<string>; unkept?: string };

/** The kinds of look a memo answers for the system. */
export type LookKind = "lstat" | "stat" | "list" | "read" | "real" | "hash";

/** The recording layer's side of the two calls. */
export interface LookNotes {
  /** Notes `kind` of `path` for the work recorded now, if any. */
  noteLook(kind: LookKind, path: string): void;
  /** `memo`'s answer for `key`, found by `find` when it has none, its looks replayed. */
  remembered<K, V>(memo: Map<K, Remembered<V>>, key: K, find: () => V): V;
  /** Marks the work recorded now, if any, as not to be kept, for `why`. */
  unkept(why: string): void;
}

let layer: LookNotes | undefined;

/**
 * Installs the recording layer's side, or takes it off (`undefined`): ./observed.ts does.
 *
 * @example
 * ```ts
 * import { useLookNotes } from "./look_notes.ts";
 * useLookNotes({ noteLook() {}, remembered: (memo, key, find) => find(), unkept() {} });
 * ```
 */
export function useLookNotes(notes: LookNotes | undefined): void {
  layer = notes;
}

/**
 * A question a memo answers, noted as if it were asked of the system: what a recorded check rests
 * on is the question, asked again whenever its kept answer is to be trusted.
 *
 * @example
 * ```ts
 * import { noteLook } from "./look_notes.ts";
 * noteLook("lstat", "/tmp"); // outside a recording: nothing
 * ```
 */
export function noteLook(kind: LookKind, path: string): void {
  layer?.noteLook(kind, path);
}

/**
 * `memo`'s answer for `key`, found by `find` when it has none; with the recording layer
 * installed, a hit adds what the finding asked to the work recorded now, as if it had asked again.
 *
 * @example
 * ```ts
 * import { remembered, type Remembered } from "./look_notes.ts";
 * const memo = new Map<string, Remembered<boolean>>();
 * remembered(memo, "/", () => Deno.statSync("/").isDirectory); // true
 * ```
 */
export function remembered<K, V>(memo: Map<K, Remembered<V>>, key: K, find: () => V): V {
  if (layer !== undefined) return layer.remembered(memo, key, find);
  let kept = memo.get(key);
  if (kept === undefined) memo.set(key, kept = { value: find() });
  return kept.value;
}

/** The clock as it was before any layer: a look at it here is no look a kept answer rests on. */
const clock = Date.now;

/**
 * Whether `ms` is later than the clock now. Time runs on, so "not later" stays true and may be
 * kept; "later" will not be, so the work recorded now is marked not to be kept. A clock set back
 * since is caught by the kept file's "written later than now" (./git_folder_file.ts).
 *
 * @example
 * ```ts
 * import { aheadOfNow } from "./look_notes.ts";
 * aheadOfNow(0); // false
 * ```
 */
export function aheadOfNow(ms: number): boolean {
  const ahead = ms > clock();
  if (ahead) layer?.unkept("a time ahead of the clock");
  return ahead;
}
