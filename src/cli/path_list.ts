/**
 * The paths of a list file (`--inputs-from F`, `--outputs-from F`), for more
 * paths than a command line holds (Linux: 2 MiB of arguments in all), as
 * `git add --pathspec-from-file`, `tar -T` and `rsync --files-from` take
 * theirs: one a line, or NUL-separated with `--null`.
 *
 * @module
 */
import { failureReason, InputError } from "../errors.ts";
import { LINE_LIMIT_BYTES } from "../schema.ts";
import { leaveWarning } from "../notices.ts";

/**
 * The most bytes a list may hold: a record names each path it was given
 * at least once, and its line holds at most this (SCHEMA.md 6.5), so a
 * longer list (but of paths repeated) could not be recorded; reading stops
 * there, whatever is piped in.
 */
export const LIST_LIMIT_BYTES = LINE_LIMIT_BYTES;

/**
 * Whether `file` names standard input: `-`, or a name the system gives it
 * (`/dev/stdin`, `/dev/fd/0`), which Deno would refuse as a device without
 * `--allow-all`, and which a user expects to work as `-` does.
 *
 * @example
 * ```ts
 * import { isStandardInput } from "./path_list.ts";
 * isStandardInput("/dev/stdin"); // true
 * isStandardInput("inputs.txt"); // false
 * ```
 */
export function isStandardInput(file: string): boolean {
  return STANDARD_INPUT_NAMES.has(file);
}

const STANDARD_INPUT_NAMES = new Set(["-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"]);

/** What reads a list: a file, or standard input. */
interface ByteSource {
  readSync(buffer: Uint8Array): number | null;
}

/**
 * The paths listed in `file` (`-` or `/dev/stdin`: standard input) given with `option`, in
 * their order. Lines end in LF or CRLF, and the last may have no end; with
 * `nul`, a NUL ends each path instead, so that a path may hold a newline.
 * Empty and blank entries are skipped (no path is blank: `--input " "` is
 * refused). Bytes that are not UTF-8 read as U+FFFD, as Deno reads them in
 * an argument: such a path is recorded as `--input` records it (TBD, noted).
 * A list that cannot be read (standard input a terminal too), holds a NUL
 * without `nul`, is longer than {@linkcode LIST_LIMIT_BYTES}, or is a record
 * file (its header first) is an `InputError` naming `option`, the file and,
 * for a NUL, its line. A list of no paths is a warning: a pipe that gave
 * none (standard input closed or `/dev/null`, a `find` that found nothing)
 * is most likely a mistake, but a run may name no inputs, as `git add
 * --pathspec-from-file` takes an empty list; the run is recorded.
 *
 * @example
 * ```ts
 * import { readPathList } from "./path_list.ts";
 * Deno.writeTextFileSync("/tmp/inputs.txt", "a.md\r\nb.md\n\nc.md");
 * readPathList("--inputs-from", "/tmp/inputs.txt", false); // ["a.md", "b.md", "c.md"]
 * ```
 */
export function readPathList(option: string, file: string, nul: boolean): string[] {
  const stdin = isStandardInput(file);
  const where = `${option} ${stdin ? `${file} (standard input)` : file}`;
  let bytes: Uint8Array;
  try {
    if (stdin) {
      // Read from a terminal, runrec would wait for typing that no agent does.
      if (Deno.stdin.isTerminal()) {
        throw new InputError(`${where}: a terminal: pipe the list in, or name its file`);
      }
      bytes = readBounded(Deno.stdin, where);
    } else {
      using source = Deno.openSync(file);
      bytes = readBounded(source, where);
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const folder = error instanceof Deno.errors.IsADirectory
      ? ` (a folder given as ${option.replace(/s-from$/, "")} stands for its files)`
      : "";
    throw new InputError(`${where}: ${failureReason(error as Error)}${folder}`);
  }
  // TextDecoder drops a leading byte order mark (a list saved by a Windows editor).
  const text = new TextDecoder().decode(bytes);
  const entries = nul ? text.split("\0") : text.split("\n").map((line) => line.replace(/\r$/, ""));
  if (!nul) {
    const withNul = entries.findIndex((line) => line.includes("\0"));
    if (withNul >= 0) {
      throw new InputError(
        `${where}: line ${withNul + 1}: holds a NUL byte: a NUL-separated list needs --null ` +
          "(a list saved as UTF-16 is to be saved as UTF-8)",
      );
    }
  }
  const paths = entries.filter((path) => path.trim() !== "");
  // A record file named for a list (its own, most likely) would record each of its lines as a
  // path: a record holding the whole file, twice the size at each run, or its lines as DELETED.
  if (RECORD_HEADER_START.test(paths[0] ?? "")) {
    throw new InputError(
      `${where}: begins with a record file's header (SchemaVersion,RunID,…): a record file, ` +
        "not a list of paths",
    );
  }
  if (paths.length === 0) {
    leaveWarning(
      `${where}: empty${
        stdin ? " (standard input closed, /dev/null, or a pipe that gave nothing)" : ""
      }: no paths taken from it`,
    );
  }
  return paths;
}

/** How a record file begins (SCHEMA.md: the header), whatever its extension columns. */
const RECORD_HEADER_START = /^SchemaVersion,RunID,/;

/** All of `source`, refused once it passes {@linkcode LIST_LIMIT_BYTES}. */
function readBounded(source: ByteSource, where: string): Uint8Array {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  let size = 0;
  for (let read = source.readSync(buffer); read !== null; read = source.readSync(buffer)) {
    size += read;
    if (size > LIST_LIMIT_BYTES) {
      throw new InputError(
        `${where}: longer than ${LIST_LIMIT_BYTES} bytes (16 MiB), more than a record's line ` +
          "holds: a run of so many paths cannot be recorded",
      );
    }
    chunks.push(buffer.slice(0, read));
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}
