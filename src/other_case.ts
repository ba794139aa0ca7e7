/**
 * Files runrec knows by name (`RunRecords.csv`, `_STATUS.md`) found named in
 * other case (`runrecords.csv`, `_Status.md`), as a clone on macOS or Windows
 * may commit them: there they are read and written under runrec's names; where
 * case counts (Linux, CI) they are other files, and said to be.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "./path.ts";
import { findExecutionRoot, findGitRoot, folderEntries, RECORD_FILE } from "./deliverable.ts";
import type { Lookups } from "./lookups.ts";
import type { EntryKind } from "./walk.ts";

/**
 * Why a file named `RunRecords.csv` in other case is not read: on a file
 * system that tells case apart (Linux, a CI runner) it is another file,
 * which runrec neither reads nor writes; on one that does not (macOS,
 * Windows) runrec reads and appends to it. Its records are then checked on one
 * machine and unseen on the other, so `validate` and `verify` in CI would
 * pass whatever it holds.
 *
 * @example
 * ```ts
 * import { MISCASED_RECORD_FILE } from "./other_case.ts";
 * console.error(`DEL-01-02_X/runrecords.csv: cannot read: ${MISCASED_RECORD_FILE}`);
 * ```
 */
export const MISCASED_RECORD_FILE = `is named ${RECORD_FILE} in other case: where case counts ` +
  `(Linux, CI) runrec neither reads nor writes it, so its records go unchecked; rename it ` +
  `${RECORD_FILE} (git mv)`;

/**
 * Why a file named `RunRecords.csv` in other case (`name`) beside a
 * `RunRecords.csv` is not read: {@linkcode MISCASED_RECORD_FILE}'s `git mv`
 * fails there (the destination exists), and `git mv -f` would drop the
 * records of `RunRecords.csv`; the two files' records are joined instead
 * (review-38 F1).
 *
 * @example
 * ```ts
 * import { miscasedBesideRecordFile } from "./other_case.ts";
 * console.error(`X/runrecords.csv: cannot read: ${miscasedBesideRecordFile("runrecords.csv")}`);
 * ```
 */
export function miscasedBesideRecordFile(name: string): string {
  return `is named ${RECORD_FILE} in other case, beside a ${RECORD_FILE}: where case counts ` +
    `(Linux, CI) runrec neither reads nor writes it, so its records go unchecked; join its ` +
    `records to ${RECORD_FILE}'s, in its folder: ${joinCommand(name)}`;
}

/**
 * The shell command that appends the records of `name` (not its header) to `RunRecords.csv` and
 * removes it. After a torn last line (an append a crash cut short) the records start on a line of
 * their own, as runrec's appends do: the first would be glued to it and lost (review-39 F2). `rm`,
 * not `git rm`: it works in a folder no repository holds, and `git commit -a` takes it.
 */
function joinCommand(name: string): string {
  return `{ [ "$(tail -c 1 ${RECORD_FILE} | wc -l)" -eq 1 ] || echo; tail -n +2 ${name}; } ` +
    `>> ${RECORD_FILE} && rm ${name}`;
}

/**
 * Whether `name` is `RunRecords.csv` in other case (`runrecords.csv`,
 * `RUNRECORDS.CSV`), not the name itself.
 *
 * @example
 * ```ts
 * import { isMiscasedRecordFile } from "./other_case.ts";
 * isMiscasedRecordFile("runrecords.csv"); // true
 * isMiscasedRecordFile("RunRecords.csv"); // false
 * ```
 */
export function isMiscasedRecordFile(name: string): boolean {
  return name !== RECORD_FILE && name.toLowerCase() === RECORD_FILE.toLowerCase();
}

/**
 * Of a folder's entry `names`, those that are `RunRecords.csv` in other case, sorted.
 *
 * @example
 * ```ts
 * import { miscasedRecordFiles } from "./other_case.ts";
 * miscasedRecordFiles(["_STATUS.md", "runrecords.csv"]); // ["runrecords.csv"]
 * ```
 */
export function miscasedRecordFiles(names: Iterable<string>): string[] {
  return [...names].filter(isMiscasedRecordFile).sort();
}

/**
 * Why a command that reads the record file of a deliverable folder stops, when the folder's
 * entries (`names`) hold one named in other case: `<folder>/<name>: cannot read: …`, as every
 * reader names it; `undefined` when none is.
 *
 * @example
 * ```ts
 * import { miscasedRecordFileError } from "./other_case.ts";
 * miscasedRecordFileError("DEL-01-02_X", new Set(["runrecords.csv"])); // "DEL-01-02_X/runrecords.csv: cannot read: …"
 * ```
 */
export function miscasedRecordFileError(
  dir: string,
  names: ReadonlySet<string> | ReadonlyMap<string, unknown>,
): string | undefined {
  const name = miscasedRecordFiles(names.keys())[0];
  return name === undefined
    ? undefined
    : `${join(dir, name)}: cannot read: ${miscasedReason(name, names)}`;
}

/**
 * Why `name`, `RunRecords.csv` in other case among a folder's entries `names`, is not read:
 * beside a `RunRecords.csv` its records are to be joined to that file's, else it is renamed.
 *
 * @example
 * ```ts
 * import { miscasedReason } from "./other_case.ts";
 * miscasedReason("runrecords.csv", new Set(["runrecords.csv"])); // "is named … rename it RunRecords.csv (git mv)"
 * ```
 */
export function miscasedReason(
  name: string,
  names: ReadonlySet<string> | ReadonlyMap<string, unknown>,
): string {
  return names.has(RECORD_FILE) ? miscasedBesideRecordFile(name) : MISCASED_RECORD_FILE;
}

/**
 * A warning for each `RunRecords.csv` in other case among `names`, the
 * entries of the deliverable folder a command records in.
 *
 * @example
 * ```ts
 * import { miscasedWarnings } from "./other_case.ts";
 * miscasedWarnings(["_STATUS.md", "runrecords.csv"]); // ["runrecords.csv in this folder is …"]
 * ```
 */
export function miscasedWarnings(names: Iterable<string>): string[] {
  return miscasedRecordFiles(names).map((name) =>
    `${name} in this folder is ${RECORD_FILE} in other case: runrec appends to it only where ` +
    `case does not count (macOS, Windows); elsewhere (Linux, CI) it writes ${RECORD_FILE} ` +
    `beside it, and reads and checks only that: join its records to ${RECORD_FILE}'s ` +
    `(${joinCommand(name)}), or, where ${RECORD_FILE} is not beside it, rename it ` +
    `${RECORD_FILE} (git mv)`
  );
}

/**
 * The entry of `path`'s folder named as `path` but in other case
 * (`_Status.md` for `_STATUS.md`), if one is there: the file a host file's
 * reader finds where case does not count (macOS, Windows), and not here.
 * `names`: the folder's entries, when listed already (default: it is listed).
 *
 * @example
 * ```ts
 * import { otherCaseName } from "./other_case.ts";
 * otherCaseName("DEL-01-02_X/_STATUS.md"); // "_Status.md" beside no _STATUS.md
 * otherCaseName("DEL-01-02_X/_STATUS.md", ["_Status.md"]); // "_Status.md"
 * ```
 */
export function otherCaseName(
  path: string,
  names: Iterable<string> = folderEntries(dirname(path)).keys(),
): string | undefined {
  const name = basename(path);
  return [...names].find((entry) => entry !== name && entry.toLowerCase() === name.toLowerCase());
}

/**
 * The entry among `names` (the entries of `path`'s folder) that is `path`'s
 * name in other case or in another Unicode form (`Spe\u0301c.md` for
 * `Sp\u00e9c.md`), if one is: the file a reader finds where names are folded
 * so (macOS), and not here.
 *
 * @example
 * ```ts
 * import { lookalikeName } from "./other_case.ts";
 * lookalikeName("refs/Vendor.txt", ["vendor.txt"]); // "vendor.txt"
 * lookalikeName("refs/Sp\u00e9c.md", ["Spe\u0301c.md"]); // "Spe\u0301c.md"
 * ```
 */
export function lookalikeName(path: string, names: Iterable<string>): string | undefined {
  const folded = (name: string) => name.normalize("NFC").toLowerCase();
  const name = basename(path);
  return [...names].find((entry) => entry !== name && folded(entry) === folded(name));
}

/** What marks an execution root, by name and kind (deliverable.ts `isExecutionRoot`). */
const ROOT_MARKERS: readonly (readonly [string, EntryKind])[] = [
  ["INIT.md", "file"],
  ["_Decomposition", "folder"],
];

/**
 * The entry among `names` (a folder's listing: name → kind) that would mark
 * the folder an execution root but is named in other case (`Init.md`,
 * `_decomposition/`), when the folder holds neither marker as named; else
 * `undefined`.
 *
 * @example
 * ```ts
 * import { miscasedRootMarker } from "./other_case.ts";
 * miscasedRootMarker(new Map([["Init.md", "file"]])); // "Init.md"
 * miscasedRootMarker(new Map([["Init.md", "file"], ["_Decomposition", "folder"]])); // undefined
 * ```
 */
export function miscasedRootMarker(names: ReadonlyMap<string, EntryKind>): string | undefined {
  if (ROOT_MARKERS.some(([marker, kind]) => names.get(marker) === kind)) return undefined;
  for (const [name, kind] of names) {
    const lower = name.toLowerCase();
    if (ROOT_MARKERS.some(([marker, k]) => k === kind && marker.toLowerCase() === lower)) {
      return name;
    }
  }
  return undefined;
}

/**
 * Why `name`, an `INIT.md` or `_Decomposition/` in other case, is named:
 * where case does not count (macOS, Windows) it marks an execution root, and
 * where it counts (Linux, CI) it marks none, so the two read the project
 * apart: snapshots in its tool roots (`_Archive/`) as deliverables, inputs
 * under it as outside the project.
 *
 * @example
 * ```ts
 * import { miscasedRootMarkerReason } from "./other_case.ts";
 * miscasedRootMarkerReason("Init.md"); // "is INIT.md in other case: …"
 * ```
 */
export function miscasedRootMarkerReason(name: string): string {
  const [marker] = ROOT_MARKERS.find(([m]) => m.toLowerCase() === basename(name).toLowerCase())!;
  return `is ${marker} in other case: where case counts (Linux, CI) it marks no ` +
    "execution root, so runrec reads the project apart from macOS and Windows (snapshots in " +
    `its _ folders as deliverables, inputs under it as outside the project); rename it ${marker} ` +
    "(git mv)";
}

/**
 * The `INIT.md` or `_Decomposition/` in other case ({@linkcode
 * miscasedRootMarker}) in the nearest ancestor of `dir` (not `dir` itself)
 * that holds one, up to its git work tree's root (or `/` outside one), as a
 * path; `undefined` when there is none. Asked where no execution root was
 * found: each ancestor is listed. `list`: as {@linkcode folderEntries}.
 *
 * @example
 * ```ts
 * import { miscasedRootAbove } from "./other_case.ts";
 * miscasedRootAbove("examples/PKG-01_Field_Instruments"); // undefined: examples has INIT.md
 * ```
 */
export function miscasedRootAbove(
  dir: string,
  list: (dir: string) => ReadonlyMap<string, EntryKind> = folderEntries,
): string | undefined {
  const top = findGitRoot(dir);
  for (let at = resolve(dir); at !== top && dirname(at) !== at;) {
    at = dirname(at);
    const marker = miscasedRootMarker(list(at));
    if (marker !== undefined) return join(at, marker);
  }
  return undefined;
}

/**
 * A warning for a run recorded in `dir` when no execution root holds it but
 * an ancestor holds an `INIT.md` or `_Decomposition/` in other case: where
 * case does not count the run would be read otherwise. `lookups` answers the
 * look-ups (default: the system).
 *
 * @example
 * ```ts
 * import { miscasedRootWarnings } from "./other_case.ts";
 * miscasedRootWarnings("examples/PKG-01_Field_Instruments"); // []: examples has INIT.md
 * ```
 */
export function miscasedRootWarnings(dir: string, lookups?: Lookups): string[] {
  if (findExecutionRoot(dir, lookups) !== undefined) return [];
  const marker = miscasedRootAbove(dir, lookups?.folderEntries ?? folderEntries);
  return marker === undefined ? [] : [`${marker}: ${miscasedRootMarkerReason(marker)}`];
}
