/**
 * Records copied with a deliverable folder: which other deliverables, named
 * by its records, the folder was copied from.
 *
 * @module
 */
import { basename, dirname, resolve } from "./path.ts";
import { DELIVERABLE_FOLDER, findExecutionRoot } from "./deliverable.ts";
import { deliverableFolders, SILENT_SEARCH } from "./targets.ts";

/**
 * The other DeliverableIDs the records name (`named`) that a deliverable folder of the
 * same execution root (else of the folder's parent) has: the folder holding
 * them was copied from that one. Looked up only when there are any.
 *
 * @example
 * ```ts
 * import { copySources } from "./copy_sources.ts";
 * copySources("examples/DEL-01-02_X", "DEL-01-02", new Set(["DEL-01-02"])).size; // 0: none other
 * ```
 */
export function copySources(dir: string, id: string, named: ReadonlySet<string>): Set<string> {
  const others = new Set([...named].filter((d) => d !== id));
  if (others.size === 0) return others;
  const root = findExecutionRoot(dir) ?? dirname(dir);
  const present = new Set<string>();
  for (
    const folder of deliverableFolders(root, SILENT_SEARCH)
  ) {
    const folderId = DELIVERABLE_FOLDER.exec(basename(folder))?.[1];
    if (folderId !== undefined && others.has(folderId) && resolve(folder) !== dir) {
      present.add(folderId);
    }
  }
  return present;
}
