/**
 * The path meant where the one given names nothing: a path given from the
 * current folder where runrec takes it from the deliverable folder (`emit $P
 * --output $P/Spec.md`, run from the execution root), a near name of a file
 * that is there (`Datashet.md`), several paths in one argument (`--input
 * "A.md,B.md"`), and a deliverable folder misspelt (`DEL-01-02_Selectoin`).
 *
 * @module
 */
import {
  DELIVERABLE_FOLDER,
  deliverableId,
  findExecutionRoot,
  findGitRoot,
} from "./deliverable.ts";
import { InputError } from "./errors.ts";
import { isInsideProject, projectBounds } from "./project_bounds.ts";
import { isThere } from "./lookups.ts";
import { optionalEnv } from "./optional_access.ts";
import { basename, dirname, isAbsolute, isAtOrBeneath, join, relative, resolve } from "./path.ts";
import { shellWord } from "./shell_word.ts";
import { deliverableFolders, SILENT_SEARCH } from "./targets.ts";

/**
 * Refuses a missing deliverable folder `delDir` that most likely names a
 * folder beside it (a typo, see {@linkcode meantFolders}): throws
 * {@linkcode InputError} saying which, `more` after it. Returns when
 * `delDir` is there or resembles nothing beside it: the caller says what
 * else is wrong.
 *
 * @example
 * ```ts
 * import { refuseMisspeltFolder } from "./meant_path.ts";
 * // "…/DEL-01-02_Flow_Selectoin: no such folder: did you mean …/DEL-01-02_Flow_Selection?"
 * await refuseMisspeltFolder("PKG-01_P/1_Working/DEL-01-02_Flow_Selectoin");
 * ```
 */
export async function refuseMisspeltFolder(delDir: string, more = ""): Promise<void> {
  const home = homeWrittenOut(delDir);
  if (home !== undefined) {
    throw new InputError(`${delDir}: not found: ${TILDE_SAID}: write ${home}${more}`, {
      path: delDir,
    });
  }
  const beside = (await meantFolders(delDir)).map((name) => join(dirname(delDir), name));
  // A slip higher up the path (`1_Workng/DEL-01-02_X`, or the folder named from the root).
  const meant = beside.length > 0 ? beside : foldersOfId(delDir);
  if (meant.length === 0) return;
  const shown = meant.map((path) => unlikeToTheEye(path, delDir));
  throw new InputError(
    `${visibleEnds(delDir)}: no such folder: did you mean ${shown.join(" or ")}?${more}`,
    { path: delDir },
  );
}

const TILDE_SAID = "a leading ~ is the shell's to expand (quoted, or with no shell, it is not)";

/**
 * `~/X` with the home folder written out, when `path` starts with a `~` that names nothing in
 * `base` (a folder named `~` there is what the path names): an agent's framework passes its
 * arguments with no shell to expand it.
 */
function homeWrittenOut(path: string, base = "."): string | undefined {
  if (!/^~(\/|$)/.test(path) || isThere(resolve(base, "~"))) return undefined;
  const home = optionalEnv("HOME") ?? optionalEnv("USERPROFILE");
  return home === undefined ? undefined : join(home, path.slice(2));
}

/**
 * The deliverable folders named for the DeliverableID that the missing `delDir`'s name starts
 * with, in the execution root `delDir` lies in (trial-x F2), named as `delDir` is (relative to
 * the current folder, or absolute); none when its name has no ID or no root is above it.
 */
function foldersOfId(delDir: string): string[] {
  const dir = resolve(delDir);
  const id = DELIVERABLE_FOLDER.exec(basename(dir))?.[1];
  const root = id === undefined || isThere(dir) ? undefined : findExecutionRoot(dir);
  if (root === undefined) return [];
  // A nested execution root is another project (review-x F3): its deliverables are not meant.
  const folders = deliverableFolders(root, SILENT_SEARCH).map((f) => resolve(f)).filter((f) =>
    DELIVERABLE_FOLDER.exec(basename(f))?.[1] === id && findExecutionRoot(f) === root
  );
  // The current folder itself (`start DEL-01-02` run inside it) is `.`, not an empty name.
  return folders.map((f) =>
    isAbsolute(delDir) ? f : relative(Deno.cwd(), f) || ". (the current folder)"
  );
}

/** Characters that show as nothing, or as a plain space. */
const UNSEEN = /[\u00A0\u2000-\u200F\u202F\u205F\u2060\u3000\uFEFF]/g;

/**
 * `meant` as suggested for `given`; when the two look the same (one letter
 * in two Unicode forms, a no-break or zero-width space), with the code
 * points of each: retyping what is shown would give the same miss (trial-y F1).
 *
 * @example
 * ```ts
 * import { unlikeToTheEye } from "./meant_path.ts";
 * unlikeToTheEye("Spe\u0301c.md", "Sp\u00e9c.md"); // 'Spéc.md (it looks like the name given, but is written "Spe\u0301c.md", …)'
 * ```
 */
export function unlikeToTheEye(meant: string, given: string): string {
  const seen = (text: string) => text.normalize("NFC").replace(UNSEEN, " ").replace(/ +/g, " ");
  if (meant === given || seen(meant) !== seen(given)) return meant;
  const escaped = (text: string) =>
    JSON.stringify(text).replace(
      /[^\x20-\x7e]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`,
    );
  return `${meant} (it looks like the name given, but is written ${escaped(meant)}, not ` +
    `${escaped(given)}: copy it from a listing)`;
}

/**
 * `path` as given, quoted and said when it begins or ends in white space (a path pasted with
 * its trailing space or line break): unquoted, it would look like the folder suggested for it.
 */
function visibleEnds(path: string): string {
  const end = /\s$/.exec(path)?.[0] ?? /^\s/.exec(path)?.[0];
  if (end === undefined) return path;
  const what = end === " " ? "a space" : end === "\t" ? "a tab" : "a line break";
  return `${JSON.stringify(path)} (the path ${/\s$/.test(path) ? "ends" : "begins"} in ${what})`;
}

/** Options of {@linkcode meantPath}. */
export interface MeantPathOptions {
  /** The folder `given` may be named from (default: the current folder). */
  from?: string;
  /**
   * The deliverable folder's files at a run's start (from `delDir`): one of
   * them counts as there, though the run may have deleted it since.
   */
  filesAtStart?: ReadonlySet<string>;
  /**
   * Whether a file outside the project may be meant (`--allow-outside`).
   * Default `false`: only one inside the project (the git work tree, else the
   * execution root), since runrec would not read another.
   */
  allowOutside?: boolean;
}

/**
 * The path from `delDir` (absolute) of the file `given` names from the
 * folder `options.from` (default: the current folder), when `given` is
 * relative, names nothing from `delDir`, and names something from `from`:
 * beneath `delDir`, or elsewhere in the project (another deliverable's file,
 * the execution root's), or anywhere with `options.allowOutside`; else
 * `undefined`. A path that names a file from `delDir` (or one among
 * `options.filesAtStart`) means that file: `undefined`.
 *
 * @example
 * ```ts
 * import { meantPath } from "./meant_path.ts";
 * // In /p, with /p/DEL-01-02_X/Spec.md there and no /p/DEL-01-02_X/DEL-01-02_X/Spec.md:
 * meantPath("/p/DEL-01-02_X", "DEL-01-02_X/Spec.md"); // "Spec.md"
 * meantPath("/p/DEL-01-02_X", "DEL-01-02_X/Spec.md", { from: "/p" }); // "Spec.md", from anywhere
 * // Spec.md deleted by the run since its start:
 * meantPath("/p/DEL-01-02_X", "DEL-01-02_X/Spec.md", { filesAtStart: new Set(["Spec.md"]) });
 * // Another deliverable's file, in the project of /p/DEL-01-02_X:
 * meantPath("/p/DEL-01-02_X", "DEL-01-03_Y/Datasheet.md"); // "../DEL-01-03_Y/Datasheet.md"
 * ```
 */
export function meantPath(
  delDir: string,
  given: string,
  options: MeantPathOptions = {},
): string | undefined {
  const filesAtStart = options.filesAtStart ?? new Set();
  if (isAbsolute(given)) return undefined;
  try {
    // Both folders with links resolved: the current folder (and start's, kept) is the system's
    // real one, while <del-dir> may be given through a link (a home folder on a data disk).
    const folder = withLinksResolved(delDir);
    const fromHere = resolve(withLinksResolved(options.from ?? Deno.cwd()), given);
    if (fromHere === folder) return undefined;
    // What `given` names from `delDir`, now or at start (deleted since), is the file meant.
    const fromDelDir = resolve(delDir, given);
    if (isThere(fromDelDir) || filesAtStart.has(relative(resolve(delDir), fromDelDir))) {
      return undefined;
    }
    if (!isAtOrBeneath(fromHere, folder)) {
      return pathToOutside(delDir, fromHere, options.allowOutside ?? false);
    }
    const meant = relative(folder, fromHere);
    return isThere(fromHere) || filesAtStart.has(meant) ? meant : undefined;
  } catch {
    return undefined; // no current folder (removed), or none runrec may read: no guess
  }
}

/**
 * The path from `delDir` (absolute) of another file that `given`, naming a file from `delDir`
 * (the one it means), names from the current folder, in the project: said, so that an agent that
 * named it from its own folder sees which one was read (review-t F3). `undefined` when the two
 * are one file, either is not a file, the other is outside the project, or `given` climbs out of
 * `delDir` (`.`, `../x`: named from it on purpose, review-u F6).
 */
function alsoNamedFromHere(delDir: string, given: string): string | undefined {
  if (isAbsolute(given) || !isAtOrBeneath(resolve(delDir, given), resolve(delDir))) {
    return undefined;
  }
  if (resolve(delDir, given) === resolve(delDir)) return undefined;
  try {
    const fromDelDir = resolve(delDir, given);
    const fromHere = resolve(Deno.cwd(), given);
    if (!Deno.statSync(fromDelDir).isFile || !Deno.statSync(fromHere).isFile) return undefined;
    if (withLinksResolved(fromDelDir) === withLinksResolved(fromHere)) return undefined;
    if (!isInsideProject(fromHere, projectBounds(delDir))) return undefined;
    return relative(resolve(delDir), fromHere);
  } catch {
    return undefined; // not there, no current folder (removed), or none runrec may read
  }
}

/**
 * The path from `delDir` of `fromHere` (absolute, outside the deliverable
 * folder), when it is there and runrec would read it: inside the project, or
 * anywhere when `allowOutside`. Taken from `delDir` as given, links unresolved,
 * as the inputs are resolved from it: checked to name the same file that way.
 */
function pathToOutside(
  delDir: string,
  fromHere: string,
  allowOutside: boolean,
): string | undefined {
  if (!isThere(fromHere)) return undefined;
  if (!allowOutside && !isInsideProject(fromHere, projectBounds(delDir))) return undefined;
  const meant = relative(resolve(delDir), fromHere);
  const same = withLinksResolved(resolve(delDir, meant)) === withLinksResolved(fromHere);
  return same ? meant : undefined;
}

/** `path` with its links resolved, or as it is where that cannot be (a folder runrec may not read). */
function withLinksResolved(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}

/**
 * `given` (relative), named from the git root or the execution root of
 * `delDir` (as `_REFERENCES.md`'s paths are read), as a path from `delDir`,
 * when it names a file or folder there; else `undefined`.
 */
function fromProjectTop(delDir: string, given: string): { top: string; path: string } | undefined {
  if (isAbsolute(given)) return undefined;
  const tops = [["git root", findGitRoot(delDir)], ["execution root", findExecutionRoot(delDir)]];
  for (const [top, root] of tops) {
    if (root === undefined || !isThere(resolve(root, given))) continue;
    return { top: top!, path: relative(resolve(delDir), resolve(root, given)) };
  }
  return undefined;
}

/**
 * What a note adds for a path `option` gave that names nothing from
 * `delDir` (absolute): the path meant from the current folder
 * ({@linkcode meantPath}); else where the path names a file outside the
 * project from there, which only `--allow-outside` reads (not `allowOutside`
 * already); else, when the argument holds several paths (commas, `;` or spaces) of
 * which one is there, one per option; else, for a shell pattern (`*.pdf`), that none
 * matched; else the names near it in its folder; else a `~` or `$NAME` no shell expanded.
 * `""` when none is.
 *
 * @example
 * ```ts
 * import { notFoundHint } from "./meant_path.ts";
 * // With /p/DEL-01-02_X/Datasheet.md and Spec.md there:
 * await notFoundHint("/p/DEL-01-02_X", "Datashet.md", "--input"); // " (did you mean Datasheet.md?)"
 * await notFoundHint("/p/DEL-01-02_X", "Datasheet.md,Spec.md", "--input");
 * // " (one path per --input: --input Datasheet.md --input Spec.md)"
 * ```
 */
export async function notFoundHint(
  delDir: string,
  given: string,
  option: string,
  allowOutside = false,
): Promise<string> {
  const fromHere = meantPath(delDir, given, { allowOutside });
  if (fromHere !== undefined) {
    return ` (paths are relative to <del-dir>: did you mean ${fromHere}?)`;
  }
  // Written from the project's top, as INIT.md and _REFERENCES.md name files (agent-trial F4).
  const fromTop = fromProjectTop(delDir, given);
  if (fromTop !== undefined) {
    return ` (paths are relative to <del-dir>: from the ${fromTop.top} it names ` +
      `${fromTop.path}: did you mean that?)`;
  }
  const outside = allowOutside ? "" : outsideHint(delDir, given);
  if (outside !== "") return outside;
  // `;` too: the record's own list separator (InputFiles), as SCHEMA.md shows the lists.
  const parts = given.split(/[,;\s]+/).filter((p) => p !== "");
  if (parts.length > 1 && parts.some((p) => isThere(resolve(delDir, p)))) {
    return ` (one path per ${option}: ${parts.map((p) => `${option} ${shellWord(p)}`).join(" ")})`;
  }
  // A shell passes a pattern that matched no file on as it is: runrec matches none itself.
  if (/[*?[]/.test(given)) {
    return ` (a pattern no file matched, passed on as it stands: runrec expands none; name ` +
      `each file, or list them: ${option}s-from F)`;
  }
  const path = resolve(delDir, given);
  const near = await nearNames(basename(path), dirname(path), () => true);
  // A name near it first: a `$` or `~` may be the file's own (`price$x.md`, Office's `~$x.docx`).
  if (near.length === 0) return unexpandedHint(delDir, given);
  const folder = dirname(given);
  const shown = near.map((name) =>
    unlikeToTheEye(folder === "." ? name : join(folder, name), given)
  );
  return ` (did you mean ${shown.join(" or ")}?)`;
}

/** Words a shell would have expanded in `given`, passed on quoted or with no shell; else `""`. */
function unexpandedHint(delDir: string, given: string): string {
  const home = homeWrittenOut(given, delDir);
  if (home !== undefined) return ` (${TILDE_SAID}: write ${home})`;
  // `${NAME}` is said as a placeholder not filled in, elsewhere.
  const variable = /\$([A-Za-z_][A-Za-z0-9_]*)/.exec(given)?.[1];
  return variable === undefined
    ? ""
    : ` ($${variable} is the shell's to expand (in ' quotes, or with no shell, it is not): ` +
      "write its value)";
}

/**
 * What a note adds for a path that names, from the current folder, a file
 * outside the project of `delDir`: where it is, and that `--allow-outside`
 * reads it. `""` for any other path.
 */
function outsideHint(delDir: string, given: string): string {
  if (meantPath(delDir, given, { allowOutside: true }) === undefined) return "";
  try {
    const { kind } = projectBounds(delDir);
    return ` (from the current folder it names ${resolve(given)}, outside the ${kind}: ` +
      "--allow-outside reads it)";
  } catch {
    return ""; // no project in sight: projectBounds says so where it matters
  }
}

/**
 * The folders beside the missing deliverable folder `delDir` that it most
 * likely meant: those claiming its DeliverableID (by name or `_CONTEXT.md`),
 * else those whose names are one or two edits from its name (as
 * `closestNames` counts them) and claim no other DeliverableID. Empty when `delDir` exists, or its parent
 * cannot be listed.
 */
async function meantFolders(delDir: string): Promise<string[]> {
  const dir = resolve(delDir);
  if (isThere(dir)) return [];
  const id = DELIVERABLE_FOLDER.exec(basename(dir))?.[1];
  const siblings = folderNames(dirname(dir));
  if (id !== undefined) {
    const claiming = siblings.filter((name) => claimedId(join(dirname(dir), name)) === id);
    if (claiming.length > 0) return claiming;
  }
  // A near name that claims another ID is another deliverable (DEL-01-01_Pump beside a new
  // DEL-01-02_Pumps), not a typo of this one.
  return await nearNames(
    basename(dir),
    dirname(dir),
    (name) =>
      siblings.includes(name) &&
      (id === undefined || claimedId(join(dirname(dir), name)) === undefined),
  );
}

/** The DeliverableID the folder claims, if any. */
function claimedId(folder: string): string | undefined {
  try {
    return deliverableId(folder).id;
  } catch {
    return undefined; // not a deliverable folder
  }
}

/** The names of the folders in `parent`; none when it cannot be listed. */
function folderNames(parent: string): string[] {
  try {
    return [...Deno.readDirSync(parent)].filter((e) => e.isDirectory).map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * The entries of `folder` whose names are near `name` and pass `keep`. The edit
 * distance is loaded only here: a path that is there never pays for it.
 */
async function nearNames(
  name: string,
  folder: string,
  keep: (name: string) => boolean,
): Promise<string[]> {
  let names: string[];
  try {
    names = [...Deno.readDirSync(folder)].map((e) => e.name).filter(keep);
  } catch {
    return []; // no such folder, or none runrec may list: no guess
  }
  if (names.length === 0) return [];
  const { closestNames } = await import("./near_names.ts");
  return closestNames(name, names);
}

/** A Windows drive path: `C:\\x`, `C:/x`, `C:`. */
const DRIVE_PATH = /^[a-zA-Z]:(?:[\\/]|$)/;

/**
 * `paths` (an `option`'s, named from `dir`) without the Windows drive paths among them where the
 * system has no drives and they name nothing, and what to say of each (a note, and a warning): `C:\\x` would be read as a folder
 * `C:` below the deliverable, a file that never exists, recorded outside the project (trial-r
 * F3). Left out, not refused: a run is recorded whatever paths its agent gave (review-t F2).
 *
 * @example
 * ```ts
 * import { withoutDrivePaths } from "./meant_path.ts";
 * withoutDrivePaths("/p/DEL-01-02_X", ["C:\\x.md", "a.md"], "--input");
 * // on Linux: { kept: ["a.md"], said: ["--input C:\\x.md is a Windows drive path, …"] }
 * ```
 */
export function withoutDrivePaths(
  dir: string,
  paths: readonly string[],
  option: string,
): { kept: string[]; said: string[] } {
  if (Deno.build.os === "windows") return { kept: [...paths], said: [] };
  // `C:` is a name like any other here: one that names something, from <del-dir> or from the
  // current folder, is that (review-u F5).
  const isDrive = (p: string) =>
    DRIVE_PATH.test(p) && !isThere(resolve(dir, p)) && !isThere(resolve(p));
  const drives = paths.filter(isDrive);
  return {
    kept: paths.filter((p) => !isDrive(p)),
    said: drives.map((p) =>
      `${option} ${p} is a Windows drive path, which names no file on ${Deno.build.os}: not ` +
      "recorded (give the path as this system names it)"
    ),
  };
}

/**
 * The path `option` gave, named from `dir` (absolute): one that names nothing there but a file
 * from the current folder (`$P/Spec.md` from the execution root, another deliverable's file, one
 * outside the project with `allowOutside`) is that file, and a note saying so goes to `notes`.
 * A file among `filesAtStart` (a run's outputs: from `dir`, listed at start) is there for this,
 * though the run deleted it. `startCwd`: the folder `runrec start` ran in, looked from next.
 *
 * @example
 * ```ts
 * import { pathMeant } from "./meant_path.ts";
 * const notes: string[] = [];
 * // Run from the execution root, the path names the file from here: recorded from <del-dir>.
 * pathMeant("/p/DEL-01-02_X", "DEL-01-02_X/Spec.md", "--input", notes, {});
 * ```
 */
export function pathMeant(
  dir: string,
  given: string,
  option: string,
  notes: string[],
  look: { startCwd?: string; filesAtStart?: ReadonlySet<string>; allowOutside?: boolean },
): string {
  const { filesAtStart, allowOutside } = look;
  let meant = meantPath(dir, given, { filesAtStart, allowOutside });
  let from = "the current folder";
  if (meant === undefined && look.startCwd !== undefined) {
    // A finish run from another folder than its start: the path may be named from the start's.
    meant = meantPath(dir, given, { from: look.startCwd, filesAtStart, allowOutside });
    from = "the folder runrec start ran in";
  }
  if (meant === undefined) {
    const other = alsoNamedFromHere(dir, given);
    if (other !== undefined) {
      notes.push(
        `${option} ${given}: read as <del-dir>'s; from the current folder it names another ` +
          `file, ${other}, which this record does not name`,
      );
    }
    return given;
  }
  notes.push(
    `${option} ${given}: recorded as ${meant}, the file it names from ${from} ` +
      "(paths are relative to <del-dir>)",
  );
  return meant;
}
