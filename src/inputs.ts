/**
 * The governed input set of a run and the per-file hashes behind its
 * InputContextSHA: the run's inputs, `_REFERENCES.md`, and every local file it
 * lists, each keyed by its POSIX path relative to the deliverable folder.
 *
 * @module
 */
import { notFoundHint, unlikeToTheEye } from "./meant_path.ts";
import { lookalikeName } from "./other_case.ts";
import { isInsideProject, type ProjectBounds, projectBounds } from "./project_bounds.ts";
import { basename, dirname, isAbsolute, join, relative, resolve } from "./path.ts";
import { hashFiles } from "./hash.ts";
import { sortUtf8 } from "./manifest.ts";
import {
  onDisk,
  parseReferences,
  type Reference,
  referencedPath,
  type ReferencePlaces,
  resolveReading,
} from "./references.ts";
import { findExecutionRoot, findGitRoot, HostFileTooLarge, notAFolder } from "./deliverable.ts";
import { failureReason, InputError } from "./errors.ts";
import { directLookups, type Lookups, resolvedPath } from "./lookups.ts";

// Named by this module's options, so part of the public API with them.
export type { Lookups, PathKind } from "./lookups.ts";
export type { ProjectBounds } from "./project_bounds.ts";
export { isRunrecOwn } from "./own_files.ts";
import { checkPath, TBD } from "./schema.ts";
import { isRunrecOwn } from "./own_files.ts";
import { walk } from "./walk.ts";
import {
  BackslashInName,
  CollidingNames,
  collidingReason,
  nameReason,
  namesReadingAs,
  oneLine,
  shortened,
} from "./names.ts";
import { checkGovernedArguments } from "./argument_checks.ts";
import { shownValue } from "./argument_kinds.ts";

/** Per-file hashes of the governed inputs, and what could not be hashed. */
export interface GovernedInputs {
  /** POSIX path relative to the deliverable folder → SHA-256 hex, or `TBD`. */
  hashes: Record<string, string>;
  /**
   * One line per skipped URL, placeholder, missing or unreadable file, as a record's Notes hold
   * it: the same whichever interface records the run (`runrec stale` reads `--input P: why`
   * back), so an input is named as the CLI gives it, `--input P`.
   */
  notes: string[];
  /**
   * The files governed but not hashed, one line each (among `notes` too): a
   * folder that is a symbolic link or holds installed packages (unless its
   * files are hashed all the same, through another folder walked or as an
   * input named), the references past the first 1,000, those of a
   * `_REFERENCES.md` too large to read. A change there is unseen.
   */
  unseen: string[];
  /**
   * The notes of the `inputs` not found (among `notes` too), each with the
   * path likely meant when one is near: such an input is `TBD`, so `stale`
   * cannot see it change, and callers warn of it.
   */
  missing: string[];
}

/** Options of {@linkcode governedInputs}. */
export interface GovernedOptions {
  /** Hashes the absolute paths found (default {@linkcode hashFiles}). */
  hash?: (paths: string[]) => Promise<Map<string, string | Error>>;
  /**
   * The folder's git root, when already known (default: the work tree
   * holding `delDir`); given as `undefined`, it is known that there is none.
   */
  gitRoot?: string;
  /**
   * The folder's execution root, when already known, as `gitRoot` (default: the nearest folder
   * above `delDir` holding `INIT.md` or `_Decomposition/`).
   */
  executionRoot?: string;
  /**
   * Read inputs that resolve outside the project too (`--allow-outside`).
   * Default `false`: such an input is `TBD`, with a note naming the rule.
   */
  allowOutside?: boolean;
  /**
   * Allow a deliverable folder that does not exist yet (a run that creates
   * it). Default `false`: a missing folder is an {@linkcode InputError}.
   */
  mayCreate?: boolean;
}

/**
 * {@linkcode GovernedOptions}, and what runrec's own callers share across
 * folders (`stale`, a run's start): given to {@linkcode governedInputsIn}.
 */
export interface SharedGovernedOptions extends GovernedOptions {
  /** The folder's project, when already known (default: `projectBounds`). */
  bounds?: ProjectBounds;
  /** Answers the file-system questions (default: the system, each time). */
  lookups?: Lookups;
  /**
   * Where the references of the folder's `_REFERENCES.md` led, kept for the next call on the same
   * folder with the same `lookups` and places (`stale` weighs several runs of one folder): an
   * empty object to start with. Its references are read again when the file's text differs.
   */
  references?: ReferenceMemo;
}

/** A `_REFERENCES.md`'s references, and where each that names a path was found. */
export interface ReferenceMemo {
  /** The text they were read from. */
  text?: string;
  /** Every reference, in file order. */
  all?: Reference[];
  /** Where the first {@linkcode MAX_REFERENCES} led, by index (`undefined`: nowhere, or no path). */
  found?: ({ path: string; reading: string } | undefined)[];
}

/** The host's list of a deliverable's references (the host system's file formats). */
export const REFERENCES_FILE = "_REFERENCES.md";

/** At most this many notes; a folder of unreadable files would otherwise flood Notes. */
const MAX_NOTES = 20;
/** A note is cut to this many characters: a hostile `_REFERENCES.md` line must not fill Notes. */
const MAX_NOTE_LENGTH = 300;
/**
 * At most this many references of `_REFERENCES.md` are followed: a real one
 * lists tens, and each costs a look-up and a place in the record's InputHashes.
 */
export const MAX_REFERENCES = 1000;

/** The note for an input the outside rule keeps runrec from reading. */
function outsideNote(label: string, shown: string, bounds: ProjectBounds): string {
  return `${label}: ${shown} is outside the ${bounds.kind}: not read, TBD ` +
    `(runrec reads no input outside the project; --allow-outside reads it)`;
}

/**
 * The path of `absPath` relative to the deliverable folder, with POSIX
 * separators, as records store it (`../../../_Decomposition/X.md`).
 *
 * @example
 * ```ts
 * import { relativePath } from "./inputs.ts";
 * relativePath("/p/PKG-01/1_Working/DEL-01-02", "/p/_Decomposition/X.md");
 * // "../../../_Decomposition/X.md"
 * ```
 */
export function relativePath(delDir: string, absPath: string): string {
  return relative(delDir, absPath); // which resolves both from the working folder
}

/** A short reason for a failed read; node:fs errors carry a `code`, Deno's a class. */
function reason(error: unknown): string {
  const name = nameReason(error);
  if (name !== undefined) return name;
  const code = (error as { code?: unknown })?.code;
  if (error instanceof Deno.errors.NotFound || code === "ENOENT") return "not found";
  if (
    error instanceof Deno.errors.PermissionDenied || code === "EACCES" || code === "EPERM"
  ) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory || code === "EISDIR") return "is a folder";
  if (error instanceof Deno.errors.NotCapable) return failureReason(error);
  if (error instanceof Deno.errors.InvalidData || error instanceof HostFileTooLarge) {
    return error.message;
  }
  return `unreadable (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`;
}

/** The notes, each once, at most {@linkcode MAX_NOTES} of them. */
function boundedNotes(notes: string[]): string[] {
  // Cut in the middle: a note ends in its reason.
  const cut = notes.map((n) => shortened(n, MAX_NOTE_LENGTH));
  const unique = [...new Set(cut)];
  if (unique.length <= MAX_NOTES) return unique;
  const shown = unique.slice(0, MAX_NOTES - 1);
  return [...shown, `and ${unique.length - shown.length} more notes (TBD in InputHashes)`];
}

/**
 * The absolute path of the file an `--input` names, given from the folder
 * `root` (a real path) as the file system reads it: `..` after a symbolic
 * link to a folder leads to the parent of the link's target, not back past
 * the link, as it does for the agent that reads the path (and for a
 * reference). The lexical path when that names the same file, or nothing.
 *
 * @example
 * ```ts
 * import { inputOnDisk } from "./inputs.ts";
 * inputOnDisk("/p/DEL-01-02_X", "a/../b.md"); // "/p/DEL-01-02_X/b.md" (no link: lexical)
 * ```
 */
export function inputOnDisk(root: string, input: string, lookups: Lookups = directLookups): string {
  const lexical = isAbsolute(input) ? resolve(input) : resolve(root, input);
  if (!input.split(/[\\/]/).includes("..")) return lexical;
  // The lexical path may be another file than the one read (stale-47 F4).
  return onDisk(isAbsolute(input) ? "/" : root, input, lookups) ?? lexical;
}

/** Whether the real path `path` is `folder` or lies beneath it. */
function isWithin(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith("/") ? folder : `${folder}/`);
}

/** How to hash a folder the walk does not enter, as its note says. */
const NAME_IT = " (name it as an input to hash them)";

/**
 * The governed inputs of a run in `delDir`: each of `inputs` (relative to the
 * deliverable folder, or absolute; a folder stands for every file beneath it),
 * `_REFERENCES.md` if present, and every local file or folder it lists,
 * resolved against the folder of `_REFERENCES.md`, then the git root, then the
 * execution root. URLs and placeholders are named in `notes`, not hashed; a
 * missing or unreadable file is hashed as `TBD` and named in `notes`, as is a
 * folder that cannot be listed. runrec's own files (record files, their
 * lock, spool and state folders) are left out. An input that resolves
 * outside the project (the execution root or git work tree holding
 * `delDir`: an absolute path, `..` past the root, `~`, a
 * symbolic link pointing out) is not read unless `options.allowOutside`: it
 * is `TBD`, and a note names the rule. Throws {@linkcode InputError} when
 * `delDir` does not exist (unless `options.mayCreate`) or is a file. Never throws for what the host files hold:
 * a bad host file
 * must not stop a run being recorded. Feed `hashes` to `inputContextSha`.
 * `options` lets a caller that checks many deliverables (`runrec stale`)
 * hash each file once, on several cores, and look up each root once.
 *
 * @example
 * ```ts
 * import { governedInputs } from "@runrec/runrec";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/Spec.md`, "");
 * const { hashes, notes } = await governedInputs(dir, ["Spec.md", "Gone.md"]);
 * console.log(hashes);
 * // { "Gone.md": "TBD", "Spec.md": "e3b0c442…b855" }
 * console.log(notes); // ["--input Gone.md: not found"]
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function governedInputs(
  delDir: string,
  inputs: readonly string[],
  options: GovernedOptions = {},
): Promise<GovernedInputs> {
  checkGovernedArguments(delDir, inputs, options);
  const { hash } = options;
  return await governedInputsIn(
    delDir,
    inputs,
    hash === undefined ? options : { ...options, hash: checkedHash(hash) },
  );
}

/**
 * A caller's `hash`, whose answer is refused unless it gives each path asked
 * a hash (a string) or an Error: another answer was a TypeError from inside.
 */
function checkedHash(
  hash: NonNullable<GovernedOptions["hash"]>,
): NonNullable<GovernedOptions["hash"]> {
  return async (paths) => {
    const results: unknown = await hash(paths);
    const isAnswer = (answer: unknown) => typeof answer === "string" || answer instanceof Error;
    const odd = results instanceof Map
      ? paths.find((path) => !isAnswer(results.get(path)))
      : undefined;
    if (!(results instanceof Map) || odd !== undefined) {
      const got = odd === undefined
        ? shownValue(results)
        : `${shownValue((results as Map<string, unknown>).get(odd))} for ${odd}`;
      throw new InputError(
        "governedInputs: options.hash: must return a Map giving each path a hash (a string) " +
          `or an Error, got ${got}`,
        { field: "options.hash" },
      );
    }
    return results;
  };
}

/**
 * The references of `text` and where the first {@linkcode MAX_REFERENCES} path ones lead, read
 * and resolved once per `memo` (the same folder, places and look-ups), as
 * {@linkcode SharedGovernedOptions.references} says.
 */
function resolvedReferences(
  text: string,
  places: ReferencePlaces,
  lookups: Lookups,
  memo: ReferenceMemo,
): Required<Omit<ReferenceMemo, "text">> {
  if (memo.text !== text || memo.all === undefined || memo.found === undefined) {
    memo.all = parseReferences(text);
    memo.found = memo.all.slice(0, MAX_REFERENCES).map((reference) =>
      reference.kind === "path" ? resolveReading(reference, places, lookups) : undefined
    );
    memo.text = text;
  }
  return { all: memo.all, found: memo.found };
}

/**
 * {@linkcode governedInputs} for runrec's own callers, which check their
 * arguments themselves and may share what they found across folders.
 *
 * @example
 * ```ts
 * import { governedInputsIn } from "./inputs.ts";
 * import { directLookups } from "./lookups.ts";
 * const dir = await Deno.makeTempDir();
 * const { hashes } = await governedInputsIn(dir, [], { lookups: directLookups });
 * console.log(hashes); // {}
 * await Deno.remove(dir);
 * ```
 */
export async function governedInputsIn(
  delDir: string,
  inputs: readonly string[],
  options: SharedGovernedOptions = {},
): Promise<GovernedInputs> {
  const hash = options.hash ?? hashFiles;
  // Keys are relative to the folder's real path: `..` from a linked folder leads
  // out of the real one, as the file system (and the host tool) resolve it.
  const lookups = options.lookups ?? directLookups;
  // A mistyped folder is bad input, not a run whose inputs are all missing.
  const kind = lookups.stat(resolve(delDir));
  if (!options.mayCreate && kind instanceof Deno.errors.NotFound) {
    throw new InputError(`${delDir}: no such folder`, { path: delDir });
  }
  // A file given for the folder: its inputs would be looked for beside it, as if none were named.
  if (kind === "file") throw new InputError(notAFolder(delDir), { path: delDir });
  const root = resolvedPath(resolve(delDir), lookups);
  const bounds = options.bounds ?? projectBounds(root, undefined, lookups);
  const notes: string[] = [];
  const unseen: string[] = [];
  // Files governed but not hashed: noted, and said by `stale`.
  const notHashed = (note: string) => {
    unseen.push(note);
    notes.push(note);
  };
  // Each folder walked, and the folders beneath it the walk did not enter (real paths).
  const walked: { root: string; skipped: string[] }[] = [];
  // Folders the walk did not enter (real paths), with their notes: unseen unless another walk
  // hashed their files (`current -> v3` beside `v3/`, or the folder named as an input).
  const notEntered: { real: string; note: string }[] = [];
  const unhashed = new Map<string, string>(); // absolute path → note; hashed as TBD
  // Absolute file path → the label of its first origin, and its key (relative to `root`).
  const wanted = new Map<string, { label: string; key: string }>();
  // Inputs named that are not there (absolute path → the input as given, and why).
  const notFound = new Map<string, { input: string; why: string }>();
  // Whether the outside rule keeps `path` from being read; if so, it is noted and TBD.
  const keptOut = (path: string, label: string): boolean => {
    if (options.allowOutside || isInsideProject(path, bounds, lookups)) return false;
    // Noted once per line that names it: several lines may reach the same file.
    notes.push(outsideNote(label, relativePath(root, path), bounds));
    if (!unhashed.has(path)) unhashed.set(path, "");
    return true;
  };

  // Paths several names read as (not valid UTF-8) → the note's start, and how many.
  const colliding = new Map<string, { note: string; count: number }>();

  const want = (path: string, label: string, key: string) => {
    if (!wanted.has(path)) wanted.set(path, { label, key });
  };

  // Adds a file, or every file beneath a folder; names what cannot be read or listed.
  const add = (path: string, label: string) => {
    const key = relativePath(root, path);
    if (isRunrecOwn(root, key, lookups)) {
      notes.push(`${label}: ${key} is runrec's own, not a governed input`);
      return;
    }
    if (keptOut(path, label)) return;
    // `--input` names the path; a reference's line is named with the path it led to.
    const what = label.startsWith("--input ") ? "" : `${key} `;
    const count = namesReadingAs(path);
    if (count > 1) return colliding.set(path, { note: `${label}: ${what}`, count });
    const kind = lookups.stat(path);
    if (kind instanceof Error) {
      const why = danglingLink(path, kind) ?? notFoundReason(kind, label);
      // Named and not there: noted once every input is added, with the path likely meant.
      if (what === "" && kind instanceof Deno.errors.NotFound && why.startsWith("not found")) {
        notFound.set(path, { input: label.slice("--input ".length), why });
      }
      unhashed.set(path, `${label}: ${what}${why}`);
      return;
    }
    // Found through a backslash read as a separator: said, as a path taken from the current
    // folder is (trial-x F4): the agent may have meant a file named with one.
    if (label.startsWith("--input ") && label.includes("\\")) {
      notes.push(`${label}: a backslash is read as a folder separator: recorded as ${key}`);
    }
    if (kind === "file") return want(path, label, key);
    if (kind !== "folder") {
      // A FIFO, socket or device has no content to pin, and opening a FIFO waits for a writer.
      unhashed.set(path, `${label}: ${what}not a regular file`);
      return;
    }
    let files = 0;
    let unlisted = 0;
    const thisWalk = { root: resolvedPath(path, lookups), skipped: [] as string[] };
    walked.push(thisWalk);
    // A folder not entered: a hole in this walk, and unseen unless another walk enters it.
    const skip = (location: string, real: string, note: string) => {
      thisWalk.skipped.push(join(resolvedPath(dirname(location), lookups), basename(location)));
      notEntered.push({ real, note });
    };
    const unlistable = (dir: string, error: Error) => {
      if (error instanceof BackslashInName) {
        // No key can name it: said, not hashed.
        const at = dir.lastIndexOf("/");
        const folder = relativePath(root, dir.slice(0, at));
        notHashed(
          `${label}: ${folder === "" ? "" : `${folder}/`}${dir.slice(at + 1)} ${error.message}`,
        );
        return;
      }
      unlisted++;
      if (error instanceof CollidingNames) {
        colliding.set(dir, { note: `${label}: ${relativePath(root, dir)} `, count: error.count });
        return;
      }
      // TBD under the folder's own path: what it holds is unknown, and `stale` must say so.
      const folder = relativePath(root, dir) || ".";
      unhashed.set(dir, `${label}: folder ${folder} cannot be listed: ${reason(error)}`);
    };
    // Named, as a linked folder is: a file beneath it that changes must not go unsaid.
    const packages = (folder: string) =>
      skip(
        folder,
        resolvedPath(folder, lookups),
        `${label}: folder ${relativePath(root, folder)} holds installed packages: its files are ` +
          `not hashed${NAME_IT}`,
      );
    for (const entry of walk(path, { unlistable, packages })) {
      if (entry.kind === "folder" && entry.linked) {
        // Not entered, so that links cannot loop; named, so that nothing is left out unsaid.
        const real = resolvedPath(entry.path, lookups);
        // One that leads out of the project is read only with --allow-outside (trial-w F4).
        const how = options.allowOutside || isInsideProject(real, bounds, lookups)
          ? NAME_IT
          : ` (it leads out of the ${bounds.kind}: with --allow-outside, name it to hash them)`;
        skip(
          entry.path,
          real,
          `${label}: folder ${relativePath(root, entry.path)} is a symbolic link: its files are ` +
            `not hashed${how}`,
        );
        continue;
      }
      if (entry.kind === "folder") continue;
      const entryKey = relativePath(root, entry.path);
      if (isRunrecOwn(root, entryKey, lookups)) continue;
      // A link beneath a project folder may point out of the project.
      if (keptOut(entry.path, label)) continue;
      if (entry.kind === "file") {
        files++;
        want(entry.path, label, entryKey);
        continue;
      }
      // A FIFO, device or dangling link: TBD and named, as when given by name.
      const kind = lookups.stat(entry.path);
      const why = kind instanceof Error
        ? danglingLink(entry.path, kind) ?? reason(kind)
        : "not a regular file";
      unhashed.set(entry.path, `${label}: ${entryKey} ${why}`);
    }
    if (files === 0 && unlisted === 0) notes.push(`${label}: folder holds no files`);
  };

  // A link whose target is gone is there all the same: said so, as `stale` says it.
  const danglingLink = (path: string, error: Error): string | undefined =>
    error instanceof Deno.errors.NotFound && lookups.lstat(path) === "symlink"
      ? "dangling symbolic link"
      : undefined;

  // Found where names are folded (macOS; Windows for case alone): said, or a reference unhashed
  // here goes unexplained.
  const lookalikeNote = (path: string): string => {
    const other = lookalikeName(path, lookups.folderEntries(dirname(path)).keys());
    if (other === undefined) return "";
    const where = other.toLowerCase() === basename(path).toLowerCase()
      ? "in other case, read only where case does not count (macOS, Windows)"
      : "in other case or Unicode form, read only where names are folded so (macOS)";
    return `; ${oneLine(unlikeToTheEye(other, basename(path)))} beside it is that name ${where}: ` +
      "write the name as the file has it";
  };

  // A backslash is a folder separator to runrec (SCHEMA.md 2.2): a file named with one is no name.
  const notFoundReason = (error: Error, label: string): string => {
    const input = label.startsWith("--input ") ? label.slice("--input ".length) : "";
    if (!(error instanceof Deno.errors.NotFound)) return reason(error);
    if (!input.includes("\\")) return reason(error);
    const named = lookups.lstat(isAbsolute(input) ? input : `${root}/${input}`);
    return named instanceof Error
      ? "not found (runrec reads a backslash as a folder separator)"
      : "runrec reads a backslash as a folder separator, so it cannot name this file: rename it";
  };

  for (const input of inputs) add(inputOnDisk(root, input, lookups), `--input ${input}`);
  const missing: string[] = [];
  for (const [path, { input, why }] of notFound) {
    const hint = why === "not found"
      ? await notFoundHint(root, input, "--input", options.allowOutside)
      : "";
    const note = `--input ${input}: ${why}${hint}`;
    unhashed.set(path, note);
    missing.push(shortened(note, MAX_NOTE_LENGTH));
  }

  const referencesPath = join(root, REFERENCES_FILE);
  let referencesText: string | undefined;
  // A _REFERENCES.md linked from outside is not read, nor what it lists.
  const read = keptOut(referencesPath, REFERENCES_FILE)
    ? undefined
    : lookups.hostFile(referencesPath);
  if (read instanceof HostFileTooLarge) {
    // Hashed all the same (hashing streams); only its list goes unread.
    want(referencesPath, REFERENCES_FILE, REFERENCES_FILE);
    notHashed(`${REFERENCES_FILE}: ${read.message}: the files it lists are not hashed`);
  } else if (read instanceof Error) {
    unhashed.set(referencesPath, `${REFERENCES_FILE}: ${reason(read)}`);
  } else if (read !== undefined) {
    referencesText = read;
    want(referencesPath, REFERENCES_FILE, REFERENCES_FILE);
  } else {
    // Read as _REFERENCES.md where case does not count (macOS, Windows): here its references would be
    // neither hashed nor missed, and stale CLEAN whatever they became (trial-38 F2).
    for (const name of lookups.folderEntries(root).keys()) {
      // Its own name is a _REFERENCES.md linked from outside, said as such above.
      if (name === REFERENCES_FILE || name.toLowerCase() !== REFERENCES_FILE.toLowerCase()) {
        continue;
      }
      const note = `${name} is ${REFERENCES_FILE} in other case, which runrec reads only where ` +
        `case does not count (macOS, Windows): the files it lists are not hashed here (rename ` +
        `it ${REFERENCES_FILE}: git mv)`;
      notHashed(note);
      missing.push(note);
    }
  }

  if (referencesText !== undefined) {
    const places = {
      referencesDir: root,
      gitRoot: "gitRoot" in options ? options.gitRoot : findGitRoot(root, lookups),
      executionRoot: "executionRoot" in options
        ? options.executionRoot
        : findExecutionRoot(root, lookups),
    };
    const { all: references, found: leadsTo } = resolvedReferences(
      referencesText,
      places,
      lookups,
      options.references ?? {},
    );
    if (references.length > MAX_REFERENCES) {
      notHashed(
        `${REFERENCES_FILE}: ${references.length} references, more than the ${MAX_REFERENCES} ` +
          `runrec follows: those from line ${references[MAX_REFERENCES].line} on are not hashed`,
      );
    }
    for (const [i, reference] of references.slice(0, MAX_REFERENCES).entries()) {
      const label = `${REFERENCES_FILE} line ${reference.line}`;
      if (reference.kind === "url") {
        notes.push(`${label}: external URL ${reference.target} not hashed`);
      } else if (reference.kind === "placeholder") {
        notes.push(`${label}: placeholder ${JSON.stringify(reference.target)} not hashed`);
      } else {
        const found = leadsTo[i];
        if (found) {
          add(found.path, label);
          if (found.reading !== reference.target) {
            notes.push(
              `${label}: link target ${reference.target} not found: read as ${found.reading}`,
            );
          }
        } else {
          // Recorded where the host tool looks first: beside _REFERENCES.md (`~/` in the home
          // folder, which a sandboxed build may not look in: sandboxed-sweep F5).
          const expected = referencedPath(reference.target, root);
          // Outside the project it is not read, found or not: the same answer from a build that
          // may not look there (the sandboxed build: sandboxed-sweep F4).
          if (keptOut(expected, label)) continue;
          const tried = reference.readings?.length ? ` (nor ${reference.readings.join(", ")})` : "";
          // Where runrec may not look (a sandbox's --allow-read), the file may well exist: say why.
          const looked = lookups.stat(expected);
          const why = looked instanceof Error && !(looked instanceof Deno.errors.NotFound)
            ? `cannot be read: ${reason(looked)}`
            : `not found${tried}${lookalikeNote(expected)}`;
          unhashed.set(expected, `${label}: ${reference.target} ${why}`);
        }
      }
    }
  }

  for (const { real, note } of notEntered) {
    const hashedElsewhere = walked.some(({ root, skipped }) =>
      isWithin(real, root) && !skipped.some((hole) => isWithin(real, hole))
    );
    if (!hashedElsewhere) notHashed(note);
  }

  // The valid name's file among names that read as one is hashed for its note only.
  const validOnes = [...colliding.keys()].filter((path) => lookups.stat(path) === "file");
  const hashes = new Map<string, string>();
  const results = await hash([...wanted.keys(), ...validOnes]);
  for (const [path, { note, count }] of colliding) {
    const valid = results.get(path);
    unhashed.set(
      path,
      note + collidingReason(count, typeof valid === "string" ? valid : undefined),
    );
  }
  for (const [path, { label, key }] of wanted) {
    const result = results.get(path)!;
    if (hashes.has(key)) continue;
    hashes.set(key, typeof result === "string" ? result : TBD);
    // `--input X: X permission denied` says X twice, and without its colon (fs-semantics F3).
    const what = label === `--input ${key}` ? "" : ` ${key}`;
    if (typeof result !== "string") notes.push(`${label}:${what} ${reason(result)}`);
  }
  for (const [path, note] of unhashed) {
    const key = relativePath(root, path);
    if (note !== "") notes.push(note);
    // `..` alone names a folder, not a file: noted, but no path to record a TBD under.
    if (!hashes.has(key) && checkPath(key) === undefined && !isRunrecOwn(root, key, lookups)) {
      hashes.set(key, TBD);
    }
  }
  const sorted = sortUtf8([...hashes.keys()]).map((key) => [key, hashes.get(key)!]);
  return {
    hashes: Object.fromEntries(sorted),
    notes: boundedNotes(notes),
    unseen,
    missing,
  };
}
