/**
 * What the spool holds for record files, for the commands that read them (`log`, `verify`,
 * `export`, `stale`) to warn that those records are not in their files yet. Apart from
 * ./spool.ts, which an append loads: no emit runs these.
 *
 * @module
 */
import { type Lookups, resolvedPath } from "./lookups.ts";
import { basename, dirname, join, resolve } from "./path.ts";
import { RECORD_FILE } from "./deliverable.ts";
import { deliverableFolders } from "./targets.ts";
import { kindOf } from "./walk.ts";
import { pathArgument } from "./shell_word.ts";
import {
  listSpoolFolder,
  outsideFolders,
  SPOOL_FOLDER,
  type SpoolFolder,
  spoolFolders,
  type SpoolItem,
} from "./spool.ts";

/** Spooled records of one record file that are not in it yet. */
export interface PendingRecords {
  /** The record file. */
  recordFile: string;
  /** Entries waiting to be replayed. */
  waiting: number;
  /** Entries a replayer has claimed (`pid@host` each). */
  claimedBy: string[];
  /** Entries in the deliverable's own spool folder that cannot be replayed, with why. */
  stuck: string[];
}

/**
 * What the spool holds for the record files the targets stand for (files
 * with nothing spooled are left out): a file is itself; a folder is the
 * `RunRecords.csv` of each deliverable folder it is or holds (named
 * `DEL-XX-YY…` or holding one), whether that file exists yet or not. This is
 * what `log`, `verify` and `export` warn about, since those records are not
 * in their files yet.
 *
 * A folder beneath a target that cannot be listed is passed over: the read
 * commands name it when they look for record files.
 *
 * @throws {InputError} for a target that cannot be listed.
 *
 * @example
 * ```ts
 * import { pendingRecords } from "./spool_pending.ts";
 * for (const p of pendingRecords(["."])) console.log(p.recordFile, p.waiting);
 * ```
 */
export function pendingRecords(
  targets: readonly string[],
  options: {
    /** Answers whether a deliverable's own spool folder is there (`stale`'s view of the files). */
    lookups?: Lookups;
  } = {},
): PendingRecords[] {
  const files = new Set<string>();
  for (const target of targets) {
    if (basename(resolve(target)) !== RECORD_FILE && kindOf(target) === "folder") {
      // A folder beneath it that cannot be listed, or a tool root: the command's own walk names it.
      const [unlistable, skippedToolRoot, miscasedRoot] = [() => {}, () => {}, () => {}];
      for (const dir of deliverableFolders(target, { unlistable, skippedToolRoot, miscasedRoot })) {
        files.add(join(resolve(dir), RECORD_FILE));
      }
    } else files.add(resolve(target));
  }
  const pending: PendingRecords[] = [];
  // The folders outside the deliverables are the same for every file: found and listed once.
  const outside = outsideFolders();
  const listed = new Map<string, SpoolItem[]>();
  const list = (folder: SpoolFolder) => {
    if (!folder.private) {
      // Most deliverables have no spool folder: known from their listing, it is not tried.
      const gone = options.lookups?.lstat(folder.path) instanceof Deno.errors.NotFound;
      return gone ? [] : listSpoolFolder(folder);
    }
    let items = listed.get(folder.path);
    if (items === undefined) listed.set(folder.path, items = listSpoolFolder(folder));
    return items;
  };
  // An entry names its file as the writer reached it: through a link to the project, or not.
  const reals = new Map<string, string>();
  const real = (path: string) => {
    let found = reals.get(path);
    if (found === undefined) reals.set(path, found = resolvedPath(path, options.lookups));
    return found;
  };
  for (const file of files) {
    const own = join(dirname(file), SPOOL_FOLDER);
    const items = spoolFolders(dirname(file), outside).flatMap(list).filter((i) =>
      i.entry
        ? i.entry.recordFile === file || real(i.entry.recordFile) === real(file)
        : i.path.startsWith(`${own}/`)
    );
    if (items.length === 0) continue;
    pending.push({
      recordFile: file,
      waiting: items.filter((i) => i.state === "waiting").length,
      claimedBy: items.flatMap((i) => i.state === "claimed" ? [i.claimedBy!] : []),
      stuck: items.flatMap((i) => i.state === "stuck" ? [`${i.path}: ${i.problem}`] : []),
    });
  }
  return pending;
}

/**
 * One line about a file's pending records, for a warning.
 *
 * @example
 * ```ts
 * import { describePending, pendingRecords } from "./spool_pending.ts";
 * for (const p of pendingRecords(["DEL-01-02_X"])) console.error(describePending(p));
 * ```
 */
export function describePending(p: PendingRecords): string {
  const parts = [`${p.waiting} spooled record(s) not in the file yet`];
  if (p.claimedBy.length > 0) {
    // Each replayer once: one flush claims thousands.
    const by = new Map<string, number>();
    for (const who of p.claimedBy) by.set(who, (by.get(who) ?? 0) + 1);
    const each = [...by].map(([who, n]) => by.size > 1 ? `${who} (${n})` : who);
    parts.push(`${p.claimedBy.length} claimed by ${each.join(", ")}`);
  }
  if (p.stuck.length > 0) parts.push(`${p.stuck.length} STUCK (${p.stuck.join("; ")})`);
  return `${p.recordFile}: ${parts.join(", ")}; append them with runrec flush ${
    pathArgument(dirname(p.recordFile))
  }`;
}
