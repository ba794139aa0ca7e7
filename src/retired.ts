/**
 * Whether a deliverable folder will not run again: its `_STATUS.md` says RETIRED, or it sits in a
 * tool root of an execution root (`_Archive/`, `_Reconciliation/`: archived deliverables and
 * snapshot copies). `stale` lists such a deliverable apart and compares nothing: its relative
 * paths resolve from where it is now, not from where its runs ran.
 *
 * @module
 */
import { toolRootOwner } from "./deliverable.ts";
import type { Lookups } from "./lookups.ts";
import { join, relative } from "./path.ts";
import { parseLifecycleState } from "./status.ts";

/**
 * Why the deliverable folder `dir` (absolute) will not run again, in a few words, or `undefined`
 * when it may: `RETIRED in _STATUS.md`, or `in _Archive/, a tool root of the execution root`.
 * An unreadable `_STATUS.md` says nothing: the folder's place still may.
 *
 * @example
 * ```ts
 * import { retiredReason } from "./retired.ts";
 * import { directLookups } from "./lookups.ts";
 * retiredReason("/work/project/_Archive/DEL-01-03_Old", directLookups);
 * // "in _Archive/, a tool root of the execution root (archived, or a snapshot copy)"
 * ```
 */
export function retiredReason(dir: string, lookups: Lookups): string | undefined {
  const status = lookups.hostFile(join(dir, "_STATUS.md"));
  if (typeof status === "string" && parseLifecycleState(status, "_STATUS.md").state === "RETIRED") {
    return "RETIRED in _STATUS.md";
  }
  const root = toolRootOwner(dir, lookups);
  if (root === undefined) return undefined;
  return `in ${relative(root, dir).split("/")[0]}/, a tool root of the execution root ` +
    "(archived, or a snapshot copy)";
}
