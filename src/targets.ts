/**
 * Turns the targets of the read commands (`validate`, `verify`, `log`,
 * `show`, `export`) into record files: a file is itself, a deliverable
 * folder is its `RunRecords.csv`, any other folder is every `RunRecords.csv`
 * beneath it; and the targets of `stale` and `flush` into deliverable folders.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "./path.ts";
import {
  DELIVERABLE_FOLDER,
  enclosingDeliverable,
  folderEntries,
  isToolRoot,
  notAFolder,
  refuseBackslash,
} from "./deliverable.ts";
import { InputError } from "./errors.ts";
import { sortUtf8 } from "./manifest.ts";
import { RECORD_FILE } from "./deliverable.ts";
import { LINKED_RECORD_FILE } from "./linked_record_file.ts";
import {
  isMiscasedRecordFile,
  MISCASED_RECORD_FILE,
  miscasedBesideRecordFile,
  miscasedReason,
  miscasedRecordFiles,
  miscasedRootMarker,
  miscasedRootMarkerReason,
} from "./other_case.ts";
import { holdsBackslash, holdsNoDeliverables, literalChild, walk } from "./walk.ts";
import { failureReason, refuseOutOfDescriptors } from "./errors.ts";
import { BackslashInName, CollidingNames, explainError, oneLine } from "./names.ts";
import { isLinkedWorktreeOf } from "./git.ts";
import { leaveNote } from "./notices.ts";
import { checkResolveArguments } from "./argument_checks.ts";

/** One record file a target stands for. */
export interface RecordTarget {
  /** Path of the record file, built from the target as given (relative stays relative). */
  path: string;
  /** The command-line target it came from. */
  target: string;
  /**
   * Whether the file exists. `false` only for a deliverable folder that has no
   * `RunRecords.csv` yet: no runs recorded, which is not an error.
   */
  exists: boolean;
  /**
   * Why the file cannot be read (a folder, FIFO or device of that name), or
   * why a folder beneath a root (then `path`) cannot be listed, when
   * {@linkcode ResolveOptions.keepUnreadable} listed it instead of throwing.
   */
  unreadable?: string;
  /**
   * `true` when `path` is a folder beneath a root that cannot be listed: the
   * record files it may hold are unread, not absent.
   */
  unlisted?: boolean;
}

/** Options of {@linkcode resolveTargets}. */
export interface ResolveOptions {
  /**
   * List a record file that is not a regular file with `unreadable` set,
   * so that one bad file does not stop the rest of a root being read.
   * Default: throw {@linkcode InputError} naming it.
   */
  keepUnreadable?: boolean;
  /**
   * Told each tool root skipped beneath a target that holds record files
   * (none a target names), with them, for a command that says so once it
   * knows more (`verify --since` follows a file moved there). Default: a
   * note on stderr naming the folder and the files not read.
   */
  skippedToolRoot?: (folder: string, files: string[]) => void;
  /**
   * The record files are looked for in git history too (`verify --since`: one
   * deleted from the work tree is checked): a folder inside a deliverable with
   * none in the work tree is no slip of the path here. Default: it is.
   */
  historyToo?: boolean;
}

async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw new InputError(`${path}: cannot read: ${(e as Error).message.split("\n")[0]}`, {
      cause: e,
      path,
    });
  }
}

async function lstatOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw new InputError(`${path}: cannot read: ${(e as Error).message.split("\n")[0]}`, {
      cause: e,
      path,
    });
  }
}

async function isLink(path: string): Promise<boolean> {
  return (await lstatOrUndefined(path))?.isSymlink === true;
}

/**
 * Says that the linked work tree `folder` was not looked in: the note the
 * command prints once when it ends. The default of the searches below.
 *
 * @example
 * ```ts
 * import { noteSkippedWorktree } from "./targets.ts";
 * noteSkippedWorktree(".worktrees/agent-1"); // "skipped .worktrees/agent-1: another worktree …"
 * ```
 */
export function noteSkippedWorktree(folder: string): void {
  leaveNote(`skipped ${oneLine(folder)}: another worktree of this repository; name it to check it`);
}

/**
 * Whether the folder `name` of `dir` is a linked work tree of the
 * repository (`git worktree add .worktrees/agent-1`), which a search for
 * deliverables beneath a target leaves out: another checkout of the same
 * records, read there each record would count twice. One left out is told
 * to `skippedWorktree` (default: a note the command prints once).
 *
 * @example
 * ```ts
 * import { skipsLinkedWorktree } from "./targets.ts";
 * skipsLinkedWorktree("/work/repo/.worktrees", "agent-1"); // true after `git worktree add`
 * ```
 */
export function skipsLinkedWorktree(
  dir: string,
  name: string,
  skippedWorktree: (folder: string) => void = noteSkippedWorktree,
): boolean {
  const folder = join(dir, name);
  if (!isLinkedWorktreeOf(folder, dir)) return false;
  skippedWorktree(folder);
  return true;
}

/** Record files a note names one by one, at most: the rest are counted. */
const NAMED_AT_MOST = 3;

/**
 * Every `RunRecords.csv` beneath the tool root `folder` (a search beneath a
 * target does not read them), sorted; what cannot be listed there is not
 * read either.
 */
function toolRootRecordFiles(folder: string): string[] {
  const files: string[] = [];
  for (const entry of walk(folder, { unlistable: () => {} })) {
    if (entry.name === RECORD_FILE) files.push(entry.path);
  }
  return sortUtf8(files);
}

/**
 * The `Init.md` (`INIT.md` in other case, or a `_decomposition/`) of `dir`, as a path, when the
 * folder `name` of `dir` is a tool root where case does not count and holds record files: there
 * they are snapshots, skipped; here, `dir` no execution root, they would be read as deliverables.
 */
function miscasedToolRoot(dir: string, name: string): string | undefined {
  if (!name.startsWith("_")) return undefined;
  const marker = miscasedRootMarker(folderEntries(dir));
  if (marker === undefined || toolRootRecordFiles(join(dir, name)).length === 0) return undefined;
  return join(dir, marker);
}

/** What a reader does with {@linkcode miscasedToolRoot}'s marker: stops, naming it (exit 2). */
function refuseMiscasedRoot(marker: string): never {
  throw new InputError(`${oneLine(marker)}: ${miscasedRootMarkerReason(marker)}`, {
    path: marker,
  });
}

/**
 * Says which record files the tool root `folder` holds that were not read:
 * `unread`, beside `followed` more the command read all the same (a file
 * `verify --since` followed there); the note the command prints once when it
 * ends (none when all were read). A lead who moves a deliverable into
 * `_Archive/` learns its records are out of the check, not gone.
 *
 * @example
 * ```ts
 * import { noteSkippedToolRoot } from "./targets.ts";
 * noteSkippedToolRoot("_Archive", ["_Archive/DEL-01-04_Old/RunRecords.csv"]);
 * // runrec: note: skipped _Archive: a tool root (…) holding 1 RunRecords.csv, not read: …
 * ```
 */
export function noteSkippedToolRoot(
  folder: string,
  unread: readonly string[],
  followed = 0,
): void {
  if (unread.length === 0) return;
  const named = unread.slice(0, NAMED_AT_MOST).map(oneLine);
  const more = unread.length - named.length;
  const held = followed === 0
    ? `${unread.length} ${RECORD_FILE}, not read`
    : `${unread.length + followed} ${RECORD_FILE}, ${followed} followed and checked (moved ` +
      `there), ${unread.length} not read`;
  leaveNote(
    `skipped ${oneLine(folder)}: a tool root (a "_" folder of an execution root, for snapshot ` +
      `copies) holding ${held}: ${named.join(", ")}${more > 0 ? ` and ${more} more` : ""}; ` +
      "name it to read it",
  );
}

/**
 * What a command over `targets` does with each tool root its search skips
 * (`skippedToolRoot` of {@linkcode findRecordFiles} and
 * {@linkcode deliverableFolders}): tells `told` (default: the note of
 * `noteSkippedToolRoot`) the record files it holds, unless it holds
 * none or a target names it (it is read there).
 *
 * @example
 * ```ts
 * import { deliverableFolders, toolRootsSkipped } from "./targets.ts";
 * deliverableFolders(".", { skippedToolRoot: toolRootsSkipped(["."]) }); // notes _Archive
 * ```
 */
export function toolRootsSkipped(
  targets: readonly string[],
  told: (folder: string, files: string[]) => void = noteSkippedToolRoot,
): (folder: string) => void {
  const real = (path: string) => {
    try {
      return Deno.realPathSync(path);
    } catch { /* a name not valid UTF-8 reads back as not found: no target names it */ }
    return path;
  };
  let named: Set<string> | undefined; // resolved when a tool root is met: most roots have none
  return (folder) => {
    named ??= new Set(targets.map(real));
    if (named.has(real(folder))) return;
    const files = toolRootRecordFiles(folder);
    if (files.length > 0) told(folder, files);
  };
}

/** The default of the searches below: a tool root skipped is noted, whatever the targets. */
const noteToolRoot = toolRootsSkipped([]);

/**
 * Whether the folder `name` of `dir` is looked in for deliverables: not
 * installed packages nor runrec's state, not an execution root's tool roots
 * (snapshot copies; each told to `skippedToolRoot`), not a linked work tree
 * of the repository.
 */
function entered(
  dir: string,
  name: string,
  skippedWorktree: (folder: string) => void,
  skippedToolRoot: (folder: string) => void,
): boolean {
  if (holdsNoDeliverables(name)) return false;
  if (isToolRoot(dir, name)) {
    skippedToolRoot(join(dir, name));
    return false;
  }
  const marker = miscasedToolRoot(dir, name);
  if (marker !== undefined) refuseMiscasedRoot(marker);
  return !skipsLinkedWorktree(dir, name, skippedWorktree);
}

/**
 * Why a record file that is a folder, a FIFO or a device is not read: it would mislead or block.
 */
const NOT_REGULAR = "not a regular file (a folder, FIFO or device)";

/**
 * Every `RunRecords.csv` beneath `root`, sorted by path (UTF-8 byte order),
 * as {@linkcode walk} finds them: `.git`, `node_modules`, `.runrec*`, the
 * tool roots of an execution root (`_Reconciliation/`: snapshot copies; each
 * told to `options.skippedToolRoot`, default: a note the command prints
 * naming the record files it holds) and
 * linked work trees of the repository (`git worktree add`; each told to
 * `options.skippedWorktree`, default: a note the command prints) are
 * skipped, and symbolic links to folders are not followed (they could loop).
 * `why` says why one is not read: a symbolic link (it could lead to any
 * file), a folder, FIFO or device; it is named, never passed over, and never
 * opened. A folder beneath `root` that cannot
 * be listed (a name not valid UTF-8, no permission) is listed too, with
 * `unlisted` saying why: the record files it may hold are unread, not absent.
 *
 * @throws {InputError} when `root` itself cannot be listed.
 */
function findRecordFiles(
  root: string,
  options: {
    skippedWorktree?: (folder: string) => void;
    skippedToolRoot?: (folder: string) => void;
  } = {},
): { path: string; why?: string; unlisted?: string }[] {
  const skippedWorktree = options.skippedWorktree ?? noteSkippedWorktree;
  const skippedToolRoot = options.skippedToolRoot ?? noteToolRoot;
  const found = new Map<string, string | undefined>(); // path → why it is not read, if so
  const unlisted = new Map<string, string>();
  const unlistable = (dir: string, error: Error) => {
    refuseOutOfDescriptors(error); // the limit, not the folder: no folder is called unlisted
    if (dir === root) {
      throw new InputError(`${oneLine(dir)}: cannot list folder: ${failureReason(error)}`, {
        path: dir,
      });
    }
    unlisted.set(dir, failureReason(error));
  };
  const enter = (dir: string, name: string) => entered(dir, name, skippedWorktree, skippedToolRoot);
  for (const entry of walk(root, { unlistable, enter })) {
    // A link is named, never followed: it could lead to any file. A name in other case is named
    // too: where case counts its records would pass every check unread.
    if (isMiscasedRecordFile(entry.name)) found.set(entry.path, MISCASED_RECORD_FILE);
    if (entry.name !== RECORD_FILE) continue;
    found.set(
      entry.path,
      entry.linked ? LINKED_RECORD_FILE : entry.kind === "file" ? undefined : NOT_REGULAR,
    );
  }
  // Beside a RunRecords.csv, git mv would fail: the two are joined (review-38 F1).
  for (const [path, why] of found) {
    if (why === MISCASED_RECORD_FILE && found.has(join(dirname(path), RECORD_FILE))) {
      found.set(path, miscasedBesideRecordFile(basename(path)));
    }
  }
  return sortUtf8([...found.keys(), ...unlisted.keys()]).map((path) =>
    unlisted.has(path) ? { path, unlisted: unlisted.get(path)! } : { path, why: found.get(path) }
  );
}

/**
 * The options of {@linkcode deliverableFolders} for a lookup of runrec's own
 * (the folders of a DeliverableID, a copied folder's source): nothing it
 * skips or cannot list is the user's concern, so nothing is said.
 *
 * @example
 * ```ts
 * import { deliverableFolders, SILENT_SEARCH } from "./targets.ts";
 * deliverableFolders("examples", SILENT_SEARCH); // no note, whatever it skips
 * ```
 */
export const SILENT_SEARCH = {
  unlistable: () => {},
  skippedWorktree: () => {},
  skippedToolRoot: () => {},
  miscasedRoot: () => {},
} as const;

/**
 * The deliverable folders `target` stands for: itself when it is one (named
 * `DEL-XX-YY…` or holding `RunRecords.csv`), else every such folder beneath
 * it, whether or not it has a `RunRecords.csv` yet; and beneath each, every
 * folder holding a `RunRecords.csv` (a deliverable nested in another, whose
 * records `log` and `verify` read too), sorted. `.git`, `node_modules`,
 * `.runrec*`, the tool roots of an execution root (`_Reconciliation/`:
 * snapshot copies; each told to `options.skippedToolRoot`, default: a note
 * the command prints naming the record files it holds) and linked work trees
 * of the repository (each told to `options.skippedWorktree`, default: a note
 * the command prints) are skipped (a lookup of runrec's own passes
 * {@linkcode SILENT_SEARCH}); symbolic links to folders are not followed. `target` itself is
 * looked in whatever it is.
 *
 * @throws {InputError} when the target is missing, not a folder, or a folder
 * beneath it cannot be listed (unless `options.unlistable` is told of it).
 *
 * @example
 * ```ts
 * import { deliverableFolders } from "./targets.ts";
 * deliverableFolders("examples"); // ["examples/PKG-01_Field_Instruments/1_Working/DEL-01-01_…", …]
 * ```
 */
export function deliverableFolders(
  target: string,
  options: {
    unlistable?: (dir: string, error: Error) => void;
    skippedWorktree?: (folder: string) => void;
    skippedToolRoot?: (folder: string) => void;
    /** Told each folder listed and what it holds, for a caller that would list it again. */
    listed?: (dir: string, entries: readonly Deno.DirEntry[]) => void;
    /**
     * Told of an `Init.md` (`INIT.md` in other case) whose tool roots hold record files, read
     * here as deliverables (default: the search stops, naming it).
     */
    miscasedRoot?: (marker: string) => void;
  } = {},
): string[] {
  refuseBackslash(target);
  const miscasedRoot = options.miscasedRoot ?? refuseMiscasedRoot;
  const skippedWorktree = options.skippedWorktree ?? noteSkippedWorktree;
  const skippedToolRoot = options.skippedToolRoot ?? noteToolRoot;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(target);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new InputError(`${target}: no such folder`, { path: target });
    }
    throw new InputError(`${target}: cannot read: ${(error as Error).message.split("\n")[0]}`, {
      cause: error,
      path: target,
    });
  }
  // A file of a deliverable (`stale Datasheet.md`): its folder is what is checked.
  if (!info.isDirectory) throw new InputError(notAFolder(target), { path: target });
  const list = (dir: string, within?: string): Map<string, boolean> => {
    const names = new Map<string, boolean>(); // name → whether a folder (not through a link)
    const told = (path: string, why: Error) => {
      // Within a deliverable folder (`within`) only nested record files are sought: its own
      // check names what it cannot read, so a folder there that cannot be listed stops nothing.
      if (within !== undefined) {
        if (path !== within) options.unlistable?.(path, why);
        return;
      }
      // One folder beneath the target that cannot be listed need not hide the rest.
      if (path !== target && options.unlistable) options.unlistable(path, why);
      else {
        throw new InputError(`${oneLine(path)}: cannot list folder: ${failureReason(why)}`, {
          path,
        });
      }
    };
    const colliding = new Map<string, number>(); // folders named not valid UTF-8 may read as one
    try {
      const entries = [...Deno.readDirSync(dir)];
      for (const entry of entries) {
        if (names.has(entry.name)) colliding.set(entry.name, (colliding.get(entry.name) ?? 1) + 1);
        names.set(entry.name, entry.isDirectory || names.get(entry.name) === true);
      }
      options.listed?.(dir, entries);
    } catch (error) {
      told(dir, explainError(dir, error as Error));
    }
    for (const [name, count] of colliding) {
      if (names.get(name)) told(join(dir, name), new CollidingNames(count));
      names.delete(name);
    }
    for (const name of [...names.keys()].filter(holdsBackslash)) {
      if (names.get(name)) told(literalChild(dir, name), new BackslashInName());
      names.delete(name);
    }
    return names;
  };
  const found: string[] = [];
  // Each folder to look at, with the deliverable folder it is in (if any), and the folder it is
  // in (not for the target).
  const pending: [string, string | undefined, string?][] = [[target, undefined]];
  while (pending.length > 0) {
    const [dir, inDeliverable, parent] = pending.pop()!;
    // Outside a deliverable a DEL-named folder is one, records or not; within one, only a
    // folder holding records is (a nested deliverable, or a copy: its records count too).
    const named = inDeliverable === undefined && DELIVERABLE_FOLDER.test(basename(resolve(dir)));
    const names = list(dir, named ? dir : inDeliverable);
    // A linked work tree has a `.git` file: told by its listing, not by a look-up per folder.
    const gitFile = names.get(".git") === false;
    if (
      parent !== undefined && gitFile && skipsLinkedWorktree(parent, basename(dir), skippedWorktree)
    ) {
      continue;
    }
    const isDeliverable = named || names.has(RECORD_FILE);
    if (isDeliverable) found.push(dir);
    const within = inDeliverable ?? (isDeliverable ? dir : undefined);
    for (const [name, isFolder] of names) {
      if (!isFolder || name === ".git" || holdsNoDeliverables(name)) continue;
      if (isToolRoot(dir, name)) skippedToolRoot(join(dir, name));
      else {
        const marker = miscasedToolRoot(dir, name);
        if (marker !== undefined) miscasedRoot(marker);
        pending.push([join(dir, name), within, dir]);
      }
    }
  }
  return sortUtf8(found);
}

/** How every runrec header line starts, whatever its version. */
const HEADER_START = new TextEncoder().encode("SchemaVersion,");
/** Enough of a file's start to hold a header line of any runrec version. */
const HEADER_BYTES = 4096;

/**
 * Whether a file whose first line is not a runrec header is a record file with a damaged
 * header, which `validate` and `verify` check line by line: named as one (`RunRecords.csv`
 * in any case, git's `RunRecords.csv.orig` of a conflict), or its first line names a
 * `RunID` column, or starts with a byte-order mark; or a `.csv` whose first line is a record
 * (`v1.0,…`: its header lost, review-t F6), empty, or no text (NUL bytes, control characters,
 * invalid UTF-8: a lost write, UTF-16). Any other file is another table (`Dependencies.csv`,
 * trial-t F7; `Tag No.,Range (bar)`, review-u F2), refused as log refuses it.
 */
function damagedRecordFile(path: string, firstLine: string): boolean {
  const name = basename(path);
  if (/runrecords/i.test(name) || firstLine.startsWith("\uFEFF")) return true;
  const cells = firstLine.split(",").map((cell) => cell.trim().replace(/^"|"$/g, ""));
  if (cells.includes("RunID")) return true;
  if (!/\.csv$/i.test(name)) return false;
  // deno-lint-ignore no-control-regex
  const noText = /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(firstLine);
  return firstLine === "" || /^v\d+\.\d+,/.test(firstLine) || noText;
}

/** The first line of `path`, from its first {@linkcode HEADER_BYTES} bytes; `undefined` if it cannot be opened. */
async function firstLineOf(path: string): Promise<string | undefined> {
  const handle = await Deno.open(path).catch(() => undefined);
  if (handle === undefined) return undefined;
  const start = new Uint8Array(HEADER_BYTES);
  let read = 0;
  try {
    while (read < start.length) {
      const n = await handle.read(start.subarray(read));
      if (n === null) break;
      read += n;
    }
  } finally {
    handle.close();
  }
  // The byte-order mark is kept: a header after one is not a runrec header.
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(start.subarray(0, read));
  return text.split(/\r?\n/, 1)[0];
}

/**
 * Throws {@linkcode InputError} for a file given by name (not a
 * `RunRecords.csv`) whose first line is not a runrec header line: another
 * file named by mistake (`log Datasheet.md`, `validate Dependencies.csv`), whose every line
 * would read as a broken record. Every command that reads records calls it; `validate`
 * and `verify` pass `keepDamaged`, keeping a record file with a damaged header
 * ({@linkcode damagedRecordFile}) to check it line by line.
 *
 * @example
 * ```ts
 * import { refuseOtherFiles, resolveTargets } from "./targets.ts";
 * await refuseOtherFiles(await resolveTargets(["DEL-01-02_X/Datasheet.md"])); // throws
 * ```
 */
export async function refuseOtherFiles(
  files: readonly RecordTarget[],
  options: { keepDamaged?: boolean } = {},
): Promise<void> {
  for (const file of files) {
    if (file.path !== file.target || basename(file.path) === RECORD_FILE) continue;
    if (file.unreadable !== undefined || !file.exists) continue;
    // One that cannot be opened is left to the reader, which names it and goes on.
    const firstLine = await firstLineOf(file.path);
    if (firstLine === undefined) continue;
    const bytes = new TextEncoder().encode(firstLine);
    if (HEADER_START.every((b, i) => bytes[i] === b)) continue;
    if (options.keepDamaged && damagedRecordFile(file.path, firstLine)) continue;
    throw new InputError(
      `${oneLine(file.path)}: not a run record file (its first line is not a runrec header ` +
        `line); give a ${RECORD_FILE} or a deliverable folder`,
      { path: file.path, line: 1 },
    );
  }
}

/**
 * {@linkcode refuseSlipInside} for a command that looks for deliverable
 * folders at or beneath `target` (reap, flush).
 *
 * @example
 * ```ts
 * import { refuseSlipInsideDeliverable } from "./targets.ts";
 * refuseSlipInsideDeliverable("examples"); // fine
 * ```
 */
export function refuseSlipInsideDeliverable(target: string): void {
  refuseSlipInside(
    target,
    "no deliverable folder",
    () => deliverableFolders(target, SILENT_SEARCH).length === 0,
  );
}

/**
 * Throws {@linkcode InputError} when `target` is a folder inside a deliverable
 * folder (its `figures/`, where a command was run from) in which nothing was
 * found (`nothingBeneath`, asked only then; `none` says what): what was looked
 * for is above it, and "none found" would pass a check over nothing
 * (agent-trial F3).
 *
 * @example
 * ```ts
 * import { refuseSlipInside } from "./targets.ts";
 * refuseSlipInside("examples/_Decomposition", "no RunRecords.csv"); // not inside one: fine
 * ```
 */
export function refuseSlipInside(
  target: string,
  none: string,
  nothingBeneath: () => boolean = () => true,
): void {
  const inside = enclosingDeliverable(target);
  if (inside === "" || !nothingBeneath()) return;
  throw new InputError(
    `${oneLine(target)}: ${none} in or beneath it${inside}: a slip of the path? (name the ` +
      "deliverable folder)",
    { path: target },
  );
}

/**
 * Resolves command-line targets into record files, in the order given
 * (files beneath a root sorted), each file once:
 *
 * - a file → itself, whatever its name;
 * - a folder holding `RunRecords.csv`, or named `DEL-XX-YY_…` → its
 *   `RunRecords.csv` (`exists: false` when it has none yet);
 * - any other folder → every `RunRecords.csv` beneath it (possibly none),
 *   leaving out installed packages, runrec's own state, an execution root's
 *   tool folders (a note names the record files each holds) and the
 *   repository's other linked worktrees (name one to read it).
 *
 * Throws {@linkcode InputError} for a target that does not exist, for a
 * folder inside a deliverable folder with no record file beneath it (a slip
 * of the path, named so), and for a record file that is
 * not a regular file unless `options.keepUnreadable`.
 *
 * @example
 * ```ts
 * import { resolveTargets } from "@runrec/runrec";
 * for (const t of await resolveTargets(["PKG-01_Field_Instruments"])) {
 *   console.log(t.path, t.exists ? "" : "(no records yet)");
 * }
 * ```
 */
export async function resolveTargets(
  targets: readonly string[],
  options: ResolveOptions = {},
): Promise<RecordTarget[]> {
  checkResolveArguments(targets, options);
  const resolved: RecordTarget[] = [];
  const seen = new Set<string>();
  const skippedToolRoot = toolRootsSkipped(targets, options.skippedToolRoot);
  /** Lists `path`; `why` it is not read, if so (with `keepUnreadable`; else it throws). */
  const add = async (
    path: string,
    target: string,
    exists: boolean,
    why?: string,
    unlisted = false,
  ) => {
    if (why !== undefined && !options.keepUnreadable) {
      throw new InputError(`${oneLine(path)}: ${why}`, { path });
    }
    // Same file named twice (or through two targets): check it once.
    const key = exists && why === undefined ? await Deno.realPath(path).catch(() => path) : path;
    if (seen.has(key)) return;
    seen.add(key);
    resolved.push(
      why === undefined
        ? { path, target, exists }
        : { path, target, exists, unreadable: why, ...(unlisted ? { unlisted } : {}) },
    );
  };
  /** Names each `RunRecords.csv` of the deliverable folder `dir` in other case, as not read. */
  const addMiscased = async (dir: string) => {
    const names = folderEntries(dir);
    for (const name of miscasedRecordFiles(names.keys())) {
      await add(join(dir, name), dir, true, miscasedReason(name, names));
    }
  };
  for (const target of targets) {
    refuseBackslash(target);
    const info = await statOrUndefined(target);
    if (!info) throw new InputError(`${target}: no such file or folder`, { path: target });
    // A folder named through a link is read (its user named it); a file never is.
    if (info.isFile) {
      await add(target, target, true, (await isLink(target)) ? LINKED_RECORD_FILE : undefined);
      continue;
    }
    if (!info.isDirectory || basename(target.replace(/[\\/]+$/, "")) === RECORD_FILE) {
      await add(target, target, true, NOT_REGULAR);
      continue;
    }
    const own = join(target, RECORD_FILE);
    const ownInfo = await lstatOrUndefined(own);
    if (ownInfo) {
      const why = ownInfo.isSymlink ? LINKED_RECORD_FILE : ownInfo.isFile ? undefined : NOT_REGULAR;
      await add(own, target, true, why);
      await addMiscased(target);
    } else if (DELIVERABLE_FOLDER.test(basename(await Deno.realPath(target)))) {
      await add(own, target, false);
      await addMiscased(target);
    } else {
      const files = findRecordFiles(target, { skippedToolRoot });
      if (files.length === 0 && !options.historyToo) refuseSlipInside(target, `no ${RECORD_FILE}`);
      for (const file of files) {
        if (file.unlisted === undefined) await add(file.path, target, true, file.why);
        else {
          const why = `folder cannot be listed: ${file.unlisted}; record files beneath it not read`;
          await add(file.path, target, true, why, true);
        }
      }
    }
  }
  return resolved;
}
