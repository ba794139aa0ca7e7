/**
 * A started run's id (`20260222T101500123Z-1a2b3c4d`, made from its start
 * time), the name of its file (`<id>.json`, or `<id>.json.claim-<pid>@<host>~<start>`
 * while a finisher holds it), and the notes that name the run in its
 * records' Notes. Of no file: a module of its own, so that `exec` and the
 * lookups load none of ./pending.ts for them.
 *
 * @module
 */
import { NAMED_RUNS } from "./agent_notes.ts";

const ID = /^[0-9]{8}T[0-9]{9}Z-[0-9a-f]{8}$/;

/**
 * The name of a run's file: `<id>.json`, or `<id>.json.claim-<pid>@<host>~<start>` while a
 * finisher holds it (`~<start>` left out by an older runrec: ./run_claims.ts `claimerName`; group
 * 1: the id; group 2: the holder).
 *
 * @example
 * ```ts
 * import { FILE } from "./run_ids.ts";
 * FILE.exec("20260222T101500123Z-1a2b3c4d.json.claim-4242@build-07")?.[2]; // "4242@build-07"
 * ```
 */
export const FILE = /^([0-9]{8}T[0-9]{9}Z-[0-9a-f]{8})\.json(?:\.claim-([0-9]+@.*))?$/;

/**
 * A new run id for a run started at `started` (UTC ISO 8601): it sorts by
 * start time.
 *
 * @example
 * ```ts
 * import { newRunId } from "./run_ids.ts";
 * newRunId("2026-02-22T10:15:00.123Z"); // "20260222T101500123Z-1a2b3c4d"
 * ```
 */
export function newRunId(started: string): string {
  return `${started.replace(/[-:.]/g, "")}-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * When the run `id` started (UTC ISO 8601, milliseconds): the time its id
 * was made from by {@linkcode newRunId}.
 *
 * @example
 * ```ts
 * import { runIdStart } from "./run_ids.ts";
 * runIdStart("20260222T101500123Z-1a2b3c4d"); // "2026-02-22T10:15:00.123Z"
 * ```
 */
export function runIdStart(id: string): string {
  const [, y, mo, d, h, mi, s, ms] = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)(\d{3})Z/.exec(id)!;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`;
}

/**
 * Whether `text` is a run id.
 *
 * @example
 * ```ts
 * import { isRunId } from "./run_ids.ts";
 * isRunId("20260222T101500123Z-1a2b3c4d"); // true
 * ```
 */
export function isRunId(text: string): boolean {
  return ID.test(text);
}

/**
 * What the Notes of every record of a started run say to name it (its id),
 * so that a finisher that died after its write, a retried finish, `reap` and
 * a pending file that comes back find the record of this run and no other.
 *
 * @example
 * ```ts
 * import { runIdNote } from "./run_ids.ts";
 * runIdNote("20260222T101500123Z-1a2b3c4d"); // "run 20260222T101500123Z-1a2b3c4d"
 * ```
 */
export function runIdNote(id: string): string {
  return `run ${id}`;
}

/**
 * Whether `notes` name the run `id` as {@linkcode recordedRuns} reads them.
 *
 * @example
 * ```ts
 * import { namesRun } from "./run_ids.ts";
 * namesRun("part a | run 20260222T101500123Z-1a2b3c4d", "20260222T101500123Z-1a2b3c4d"); // true
 * ```
 */
export function namesRun(notes: string, id: string): boolean {
  return [...notes.matchAll(NAMED_RUNS)].some((m) => m[1] === id);
}

/**
 * What a record's Notes say to name the pending run it was recorded for
 * from its token alone (its file gone): a pending file of that run that comes
 * back later is then known as recorded, even under another agent's name.
 *
 * @example
 * ```ts
 * import { fromTokenNote } from "./run_ids.ts";
 * fromTokenNote("20260222T101500123Z-1a2b3c4d"); // "recorded from the token of run 20260222T101500123Z-1a2b3c4d"
 * ```
 */
export function fromTokenNote(id: string): string {
  return `recorded from the token of run ${id}`;
}
