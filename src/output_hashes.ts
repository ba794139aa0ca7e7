/**
 * The hashes of a run's outputs at its end: each output named or beneath an
 * output folder named, read unless it is outside the project, special or
 * runrec's own, and why each is `TBD` or `DELETED` when it is, in a note.
 *
 * @module
 */
import { basename, dirname, isAbsolute, resolve } from "./path.ts";
import { failureReason } from "./errors.ts";
import { hashFiles } from "./hash.ts";
import { inputOnDisk, isRunrecOwn, relativePath } from "./inputs.ts";
import { isInsideProject, type ProjectBounds, projectBounds } from "./project_bounds.ts";
import { directLookups, resolvedPath } from "./lookups.ts";
import { sortUtf8 } from "./manifest.ts";
import { kindOf, walk, walkSkips } from "./walk.ts";
import { collidingReason, explainError, namesReadingAs } from "./names.ts";
import { checkPath, DELETED, TBD } from "./schema.ts";
import { placeholderProblem } from "./placeholders.ts";
import { notFoundHint, pathMeant, withoutDrivePaths } from "./meant_path.ts";

/**
 * The outputs' hashes now. One outside the project is not read unless
 * `allowOutside` (RELIABILITY.md: the hash of a secret file is a disclosure): `TBD`, noted.
 *
 * @example
 * ```ts
 * import { hashOutputs } from "./output_hashes.ts";
 * const dir = "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection";
 * const { hashes, notes } = await hashOutputs(dir, ["Datasheet.md"], {}, false);
 * hashes["Datasheet.md"]; // its SHA-256, or "DELETED" with a note when it is gone
 * ```
 */
export async function hashOutputs(
  dir: string,
  outputs: readonly string[],
  known: Record<string, string>,
  allowOutside: boolean,
  atStart?: FolderAtStart,
  knownBounds?: ProjectBounds,
): Promise<{ hashes: Record<string, string>; notes: string[]; warnings: string[] }> {
  const filesAtStart = new Set(atStart?.files);
  const neverExisted = atStart ? existedNot(atStart) : () => false;
  const notes: string[] = [];
  // Outputs named that are not there and not known to have been: most likely a wrong path.
  const warnings: string[] = [];
  const hashes: Record<string, string> = {};
  const given: string[] = []; // each output file as named: by the caller, or beneath a folder given
  const absolute: string[] = [];
  let bounds = knownBounds; // else looked up for the first folder given, if any
  const drives = withoutDrivePaths(dir, outputs, "--output");
  notes.push(...drives.said);
  warnings.push(...drives.said);
  for (const named of drives.kept) {
    // A hash the caller knows names its file from `dir` already (exec's DELETED).
    const output = Object.hasOwn(known, named) ? named : pathMeant(dir, named, "--output", notes, {
      startCwd: atStart?.cwd,
      filesAtStart,
      allowOutside,
    });
    const path = outputPath(dir, output);
    const key = relativePath(dir, path);
    // As an input: RunRecords.csv changes with the very record naming it (trial-w F5).
    if (!Object.hasOwn(known, key) && isRunrecOwn(dir, key)) {
      notes.push(`--output ${named}: ${key} is runrec's own, not an output`);
      continue;
    }
    if (Object.hasOwn(known, key) || kindOf(path) !== "folder") {
      given.push(output);
      absolute.push(path);
      continue;
    }
    // A folder stands for the files beneath it, as for --input (runrec's own left out);
    // only inside the project: `--output /` must not hash a whole disk.
    bounds ??= projectBounds(dir);
    if (!isInsideProject(path, bounds)) {
      // `..` alone is no file path to record a TBD under: then the note alone says it.
      if (checkPath(relativePath(dir, path)) === undefined) hashes[relativePath(dir, path)] = TBD;
      notes.push(
        `output folder ${relativePath(dir, path)} is outside the ${bounds.kind}: ` +
          "its files are not listed (name them)",
      );
      continue;
    }
    const unlistable = (folder: string, error: Error) => {
      notes.push(
        `output folder ${relativePath(dir, folder) || "."} could not be listed: ${
          failureReason(error)
        }`,
      );
    };
    const files: string[] = [];
    for (const entry of walk(path, { unlistable })) {
      if (entry.kind === "folder" && entry.linked) {
        notes.push(
          `output folder ${relativePath(dir, entry.path)} is a symbolic link: its files are not ` +
            "hashed (name it as an output to hash them)",
        );
      } else if (entry.kind === "file" && !isRunrecOwn(dir, relativePath(dir, entry.path))) {
        files.push(entry.path);
      }
    }
    sortUtf8(files);
    if (files.length === 0) {
      notes.push(`output folder ${relativePath(dir, path) || "."} holds no files`);
    }
    for (const file of files) {
      given.push(file);
      absolute.push(file);
    }
  }
  // A FIFO or device has no content to pin, and opening a FIFO waits for a writer.
  const special = (p: string) => {
    try {
      const info = Deno.statSync(p);
      return !info.isFile && !info.isDirectory;
    } catch {
      return false; // missing or unreadable: the hash says so
    }
  };
  // A named output, or a link beneath an output folder, may lead out of the project.
  const keptOut = (p: string) =>
    !allowOutside && !isInsideProject(p, bounds ??= projectBounds(dir));
  const results = await hashFiles(
    absolute.filter((p) =>
      !Object.hasOwn(known, relativePath(dir, p)) && !keptOut(p) && !special(p)
    ),
  );
  for (const [i, path] of absolute.entries()) {
    const rel = relativePath(dir, path);
    // A hash the caller knows (exec's snapshot through a link) is kept out all the same.
    if (Object.hasOwn(known, rel) && (known[rel] === DELETED || !keptOut(path))) {
      hashes[rel] = known[rel];
      // `exec`'s snapshot could not hash it: say why, as for an output named.
      if (known[rel] === TBD) notes.push(`output ${rel} could not be hashed: ${unhashable(path)}`);
      continue;
    }
    if (keptOut(path)) {
      hashes[rel] = TBD;
      notes.push(
        `output ${rel} is outside the ${bounds!.kind}: not read, TBD ` +
          "(runrec reads no output outside the project; --allow-outside reads it)",
      );
      continue;
    }
    if (special(path)) {
      hashes[rel] = TBD;
      notes.push(`output ${rel} could not be hashed: not a regular file`);
      continue;
    }
    // Several names (not valid UTF-8) read as this one: its hash may be another file's.
    const colliding = namesReadingAs(path);
    if (colliding > 1) {
      hashes[rel] = TBD;
      notes.push(`output ${rel} could not be hashed: ${collidingReason(colliding)}`);
      continue;
    }
    const result = results.get(path);
    if (typeof result === "string") {
      hashes[rel] = result;
    } else if (result instanceof Deno.errors.NotFound && given[i].includes("\\")) {
      // Read as a separator (SCHEMA.md 2.2): the file may well exist under its own name.
      hashes[rel] = TBD;
      notes.push(`output ${given[i]} not found: a backslash is read as a folder separator`);
    } else if (result instanceof Deno.errors.NotFound && directLookups.lstat(path) === "symlink") {
      // The link is there, what it names is not: nothing to hash, and nothing was deleted.
      hashes[rel] = TBD;
      notes.push(`output ${rel} could not be hashed: a dangling symbolic link`);
    } else if (result instanceof Deno.errors.NotFound && neverExisted(rel)) {
      // Not there at start, not there now: the run deleted nothing (SCHEMA.md 2.4: TBD, noted).
      hashes[rel] = TBD;
      const note = `output ${rel} does not exist, nor did it at start: never existed, recorded ` +
        `TBD${await notFoundHint(dir, given[i], "--output", allowOutside)}`;
      notes.push(note);
      if (!placeholderProblem("--output", given[i])) warnings.push(note);
    } else if (result instanceof Deno.errors.NotFound) {
      // An output is a file the run wrote or deleted: gone now, it was deleted (SCHEMA.md 2.4).
      hashes[rel] = DELETED;
      // There at start (finish, exec): the run deleted it. Else (emit) it may be a wrong path.
      const deleted = filesAtStart.has(rel);
      const hint = deleted ? "" : (await notFoundHint(dir, given[i], "--output", allowOutside) ||
        "; if the run did not delete it, name the file it wrote (paths are relative to <del-dir>)");
      const note = `output ${rel} does not exist: recorded as ${DELETED}${hint}`;
      notes.push(note);
      if (!deleted && !placeholderProblem("--output", given[i])) warnings.push(note);
    } else {
      hashes[rel] = TBD;
      notes.push(`output ${rel} could not be hashed: ${failureReason(result)}`);
    }
  }
  return { hashes, notes, warnings };
}

/** What the deliverable folder held at start, as a started run keeps it (see `RunEnd`). */
export interface FolderAtStart {
  files: readonly string[];
  folders: readonly string[];
  unlisted?: readonly string[];
  cwd?: string;
}

/**
 * Whether an output missing now never existed: its nearest folder that was there at start was
 * listed then and did not hold it (nor the folder leading to it). Beneath a folder not listed (a
 * linked one, `.git`) it may have existed.
 */
function existedNot(atStart: FolderAtStart): (rel: string) => boolean {
  const files = new Set(atStart.files);
  const listed = new Set(atStart.folders);
  const unlisted = atStart.unlisted && new Set(atStart.unlisted);
  return (rel) => {
    if (files.has(rel) || rel === ".." || rel.startsWith("../") || isAbsolute(rel)) return false;
    // Up from the output to the first folder listed; `below` is what it would have held.
    let below = rel;
    for (;;) {
      const folder = below.includes("/") ? dirname(below) : "";
      if (listed.has(folder)) {
        // An older runrec's start kept no unlisted folders: only an output right in it is sure.
        if (unlisted === undefined) return below === rel;
        return !unlisted.has(below) && !walkSkips(basename(below));
      }
      if (folder === "") return false;
      below = folder;
    }
  };
}

/** Why a file `exec`'s snapshot could not hash cannot be read (a FIFO is never opened). */
function unhashable(path: string): string {
  const colliding = namesReadingAs(path);
  if (colliding > 1) return collidingReason(colliding);
  try {
    if (!Deno.statSync(path).isFile) return "not a regular file";
    Deno.openSync(path).close();
    return "unreadable when the command ended";
  } catch (error) {
    return failureReason(explainError(path, error as Error));
  }
}

/**
 * Where `output`, as named from `dir`, is: `..` after a linked folder as the file system reads it,
 * as for --input (stale-47 F4), named from `dir` as every output is (`dir` may be reached through a
 * link itself).
 */
function outputPath(dir: string, output: string): string {
  if (!output.split(/[\\/]/).includes("..")) {
    return isAbsolute(output) ? resolve(output) : resolve(dir, output);
  }
  const realDir = resolvedPath(dir);
  return resolve(dir, relativePath(realDir, inputOnDisk(realDir, output)));
}
