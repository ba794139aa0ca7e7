/**
 * Where a RunID belongs: the deliverable it was allocated in, and that deliverable's folders
 * in the execution root. For the messages of `annotate`, `show` and `finish` given a RunID in
 * another deliverable's folder, which name the folder to give instead (trial-t F9).
 *
 * @module
 */
import { relative } from "./path.ts";
import { deliverableId, findExecutionRoot, isExecutionRoot } from "./deliverable.ts";
import { deliverableFolders, SILENT_SEARCH } from "./targets.ts";

/**
 * The DeliverableID a RunID was allocated in (`RUN-<DEL-XX-YY>-…`); `undefined` for a string
 * of another shape.
 *
 * @example
 * ```ts
 * import { deliverableOfRunId } from "./run_id_home.ts";
 * deliverableOfRunId("RUN-DEL-01-02-20260222-1015-001"); // "DEL-01-02"
 * ```
 */
export function deliverableOfRunId(runId: string): string | undefined {
  return /^RUN-(DEL-[0-9]+-[0-9]+)-/.exec(runId)?.[1];
}

/**
 * The deliverable folders with the ID `id` in the execution root around `delDir` (or beneath
 * it); none when there is no execution root.
 *
 * @example
 * ```ts
 * import { foldersOfDeliverable } from "./run_id_home.ts";
 * foldersOfDeliverable("examples", "DEL-01-02"); // [".../DEL-01-02_Flow_Meter_Selection"]
 * ```
 */
export function foldersOfDeliverable(delDir: string, id: string): string[] {
  const root = isExecutionRoot(delDir) ? delDir : findExecutionRoot(delDir);
  if (root === undefined) return [];
  return deliverableFolders(root, SILENT_SEARCH).filter((folder) => {
    try {
      return deliverableId(folder).id === id;
    } catch {
      return false; // not a deliverable after all: not the one sought
    }
  });
}

/**
 * Where the run `runId` belongs, as a clause: "DEL-01-03 (<folder>)", each folder as the user
 * would type it (relative to where runrec runs); the DeliverableID alone when no folder of
 * the execution root around `delDir` has it.
 *
 * @example
 * ```ts
 * import { runIdHome } from "./run_id_home.ts";
 * runIdHome("examples", "RUN-DEL-01-02-20260222-1015-001");
 * // "DEL-01-02 (examples/PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection)"
 * ```
 */
export function runIdHome(delDir: string, runId: string): string {
  const id = deliverableOfRunId(runId) ?? runId;
  const folders = foldersOfDeliverable(delDir, id).map((f) => relative(Deno.cwd(), f) || ".");
  return folders.length === 0 ? id : `${id} (${folders.join(", ")})`;
}
