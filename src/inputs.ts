/**
 * The governed input set of a run and the per-file hashes behind its
 * InputContextSHA: the run's inputs, `_REFERENCES.md`, and every local file it
 * lists, each keyed by its POSIX path relative to the deliverable folder.
 *
 * @module
 */
import { isAbsolute, join, relative, resolve, toPosix } from "./path.ts";
import { hashFiles } from "./hash.ts";
import { sortUtf8 } from "./manifest.ts";
import { parseReferences, resolveReference } from "./references.ts";
import {
  findExecutionRoot,
  findGitRoot,
  folderEntries,
  type ListFolder,
  readFolderFile,
} from "./deliverable.ts";
import { TBD } from "./schema.ts";

/** Per-file hashes of the governed inputs, and what could not be hashed. */
export interface GovernedInputs {
  /** POSIX path relative to the deliverable folder → SHA-256 hex, or `TBD`. */
  hashes: Record<string, string>;
  /** One line per skipped URL, placeholder, missing or unreadable file. */
  notes: string[];
}

const REFERENCES_FILE = "_REFERENCES.md";

/**
 * Files never taken into a folder's expansion: runrec's own record file and
 * lock change with every run, so governing them would make every run stale.
 */
const NEVER_GOVERNED = new Set(["RunRecords.csv", "RunRecords.csv.lock"]);

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
  return toPosix(relative(resolve(delDir), resolve(absPath)));
}

/** Where an input came from, for notes. */
interface Origin {
  /** How notes name the source: `--input X` or `_REFERENCES.md line N`. */
  label: string;
}

/** Every regular file beneath `dir` (symbolic links to files included), sorted. */
function filesBeneath(dir: string): string[] {
  const files: string[] = [];
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop()!;
    for (const entry of Deno.readDirSync(current)) {
      const path = join(current, entry.name);
      if (entry.isDirectory) {
        if (entry.name !== ".git") pending.push(path);
      } else if (!NEVER_GOVERNED.has(entry.name)) {
        // Symbolic links count when they lead to a file; linked folders are not
        // followed, which keeps cycles out.
        if (entry.isFile || (entry.isSymlink && isFile(path))) files.push(path);
      }
    }
  }
  return sortUtf8(files);
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** A short reason for a failed read; node:fs errors carry a `code`, Deno's a class. */
function reason(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (error instanceof Deno.errors.NotFound || code === "ENOENT") return "not found";
  if (
    error instanceof Deno.errors.PermissionDenied || code === "EACCES" || code === "EPERM"
  ) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory || code === "EISDIR") return "is a folder";
  if (error instanceof Deno.errors.InvalidData) return error.message;
  return `unreadable (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`;
}

/**
 * The governed inputs of a run in `delDir`: each of `inputs` (relative to the
 * deliverable folder, or absolute; a folder stands for every file beneath it),
 * `_REFERENCES.md` if present, and every local file or folder it lists,
 * resolved against the folder of `_REFERENCES.md`, then the execution root,
 * then the git root. URLs and placeholders are named in `notes`, not hashed;
 * a missing or unreadable file is hashed as `TBD` and named in `notes`.
 * Feed `hashes` to `inputContextSha` for the composite. `list` lists folders
 * for the walks to the roots (a `listingCache()` shares them within a run).
 *
 * @example
 * ```ts
 * import { governedInputs } from "./inputs.ts";
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
  inputs: string[],
  list: ListFolder = folderEntries,
): Promise<GovernedInputs> {
  const root = resolve(delDir);
  const notes: string[] = [];
  const missing = new Map<string, string>(); // absolute path → note
  const wanted = new Map<string, Origin>(); // absolute file path → first origin

  const want = (path: string, origin: Origin) => {
    if (!wanted.has(path)) wanted.set(path, origin);
  };

  // Adds a file, or every file beneath a folder; names what cannot be listed.
  const add = (path: string, origin: Origin) => {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(path);
    } catch (error) {
      missing.set(path, `${origin.label}: ${reason(error)}`);
      return;
    }
    if (info.isFile) return want(path, origin);
    if (!info.isDirectory) {
      // A FIFO, socket or device has no content to pin, and opening a FIFO waits for a writer.
      missing.set(path, `${origin.label}: not a regular file`);
      return;
    }
    try {
      const files = filesBeneath(path);
      if (files.length === 0) notes.push(`${origin.label}: folder holds no files`);
      for (const file of files) want(file, origin);
    } catch (error) {
      missing.set(path, `${origin.label}: folder ${reason(error)}`);
    }
  };

  for (const input of inputs) {
    add(isAbsolute(input) ? resolve(input) : resolve(root, input), {
      label: `--input ${input}`,
    });
  }

  const referencesPath = join(root, REFERENCES_FILE);
  let referencesText: string | undefined;
  try {
    referencesText = readFolderFile(referencesPath, list);
    if (referencesText !== undefined) want(referencesPath, { label: REFERENCES_FILE });
  } catch (error) {
    missing.set(referencesPath, `${REFERENCES_FILE}: ${reason(error)}`);
  }

  if (referencesText !== undefined) {
    const places = {
      referencesDir: root,
      executionRoot: await findExecutionRoot(root, list),
      gitRoot: await findGitRoot(root, list),
    };
    for (const reference of parseReferences(referencesText)) {
      const label = `${REFERENCES_FILE} line ${reference.line}`;
      if (reference.kind === "url") {
        notes.push(`${label}: external URL ${reference.target} not hashed`);
      } else if (reference.kind === "placeholder") {
        notes.push(`${label}: placeholder ${JSON.stringify(reference.target)} not hashed`);
      } else {
        const found = resolveReference(reference.target, places);
        if (found) {
          add(found, { label });
        } else {
          // Recorded where the host tool looks first: beside _REFERENCES.md.
          const expected = isAbsolute(reference.target)
            ? resolve(reference.target)
            : resolve(root, reference.target);
          missing.set(expected, `${label}: ${reference.target} not found`);
        }
      }
    }
  }

  const paths = [...wanted.keys()];
  const results = await hashFiles(paths);
  const unsorted: Record<string, string> = {};
  for (const path of paths) {
    const result = results.get(path)!;
    const key = relativePath(root, path);
    if (typeof result === "string") {
      unsorted[key] = result;
    } else {
      unsorted[key] = TBD;
      notes.push(`${wanted.get(path)!.label}: ${key} ${reason(result)}`);
    }
  }
  for (const [path, note] of missing) {
    const key = relativePath(root, path);
    if (key in unsorted) continue;
    unsorted[key] = TBD;
    notes.push(note);
  }

  const hashes: Record<string, string> = {};
  for (const key of sortUtf8(Object.keys(unsorted))) hashes[key] = unsorted[key];
  return { hashes, notes: [...new Set(notes)] };
}
