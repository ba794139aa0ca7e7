/**
 * Writing an export to `--out`: a regular file whole or not at all (a
 * reader of the file, or a crash halfway, never sees half an export); a FIFO,
 * a character device or a file descriptor (`/dev/stdout`) written into as it
 * is, since a reader may be waiting on it.
 *
 * @module
 */
import { failureReason, InputError } from "../errors.ts";
import { basename, dirname, join, resolve } from "../path.ts";

/** Where an export goes: the path to write, and how. */
export interface ExportTarget {
  /** The path written: `--out` itself, or the file its symbolic links lead to. */
  path: string;
  /**
   * `replace`: a regular file (or none yet), replaced whole through a
   * temporary file renamed over it; `stream`: a FIFO or character device,
   * opened and written into; `stdout`, `stderr`: the process's own
   * descriptor (`/dev/stdout`, `/proc/self/fd/2`), written by the caller.
   */
  how: "replace" | "stream" | "stdout" | "stderr";
}

/** `/dev/stdout`, `/dev/fd/3`, `/proc/self/fd/1`: a descriptor the caller opened (and redirected). */
const DESCRIPTOR = /^\/(?:dev\/(stdin|stdout|stderr|fd\/\d+)|proc\/(self|\d+)\/fd\/(\d+))$/;
const NAMED_FD: Record<string, number> = { stdin: 0, stdout: 1, stderr: 2 };

/** Links followed at most, as the kernel's limit (ELOOP). */
const MAX_LINKS = 40;

/**
 * Where `--out` leads. A symbolic link is followed to its target, which is
 * then replaced (as `sed -i --follow-symlinks` does), so the link stays; a
 * descriptor, FIFO or character device is a stream. Throws
 * {@linkcode InputError} (one line, naming `out`) for a folder, a socket, a
 * block device, a dangling link or a loop of links.
 *
 * @example
 * ```ts
 * import { exportTarget } from "./write.ts";
 * exportTarget("/dev/null").how; // "stream"
 * ```
 */
export function exportTarget(out: string): ExportTarget {
  let path = resolve(out);
  for (let links = 0;; links++) {
    const descriptor = DESCRIPTOR.exec(path);
    if (descriptor) return { path, how: ownDescriptor(out, descriptor) };
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound && links === 0) return { path, how: "replace" };
      if (e instanceof Deno.errors.NotFound) {
        throw new InputError(`${out}: is a symbolic link to ${path}, which does not exist`);
      }
      return { path, how: "replace" }; // not reachable: the write says why
    }
    if (info.isSymlink) {
      if (links === MAX_LINKS) throw new InputError(`${out}: too many levels of symbolic links`);
      path = resolve(dirname(path), Deno.readLinkSync(path));
      continue;
    }
    if (info.isFile) return { path, how: "replace" };
    if (info.isDirectory) throw new InputError(`${shown(out, path)}: is a folder, not a file`);
    if (info.isFifo || info.isCharDevice) return { path, how: "stream" };
    const what = info.isSocket ? "a socket" : info.isBlockDevice ? "a block device" : "not a file";
    throw new InputError(
      `${shown(out, path)}: is ${what}; export writes a file, a FIFO or a terminal`,
    );
  }
}

/**
 * Standard output or error, named by a descriptor path. Deno opens such paths
 * only with every permission, so they are written as the process's own
 * streams; any other descriptor is refused.
 */
function ownDescriptor(out: string, [, dev, pid, fd]: RegExpExecArray): "stdout" | "stderr" {
  const number = dev === undefined
    ? (pid === "self" || Number(pid) === Deno.pid ? Number(fd) : -1)
    : dev in NAMED_FD
    ? NAMED_FD[dev]
    : Number(dev.slice("fd/".length));
  if (number === 1) return "stdout";
  if (number === 2) return "stderr";
  throw new InputError(
    `${out}: a file descriptor other than standard output or error, which export cannot open; ` +
      "name a file, or redirect standard output (--out omitted)",
  );
}

/** `out`, and where its links led when that is elsewhere. */
function shown(out: string, path: string): string {
  return path === resolve(out) ? out : `${out} (a link to ${path})`;
}

/**
 * Writes the export, given piece by piece as `chunks`, to an
 * {@linkcode exportTarget} other than the process's own standard output or
 * error (the caller writes those): a stream is opened and written into; a
 * regular file is written through a temporary file beside it, flushed to
 * disk and renamed over it (on failure, and on SIGINT, SIGTERM or SIGHUP,
 * the temporary file is removed and the file left as it was). Each piece is
 * written as it comes, so that the export is never held whole. Throws
 * {@linkcode InputError} (one line, naming `out`) when it cannot be written;
 * one that `chunks` throws (a record file read again was replaced) as it is.
 *
 * @example
 * ```ts
 * import { writeExport } from "./write.ts";
 * await writeExport("lineage.jsonl", { path: "lineage.jsonl", how: "replace" }, ['{"eventType":"START"}\n']);
 * ```
 */
export async function writeExport(
  out: string,
  target: ExportTarget & { how: "replace" | "stream" },
  chunks: Iterable<string> | AsyncIterable<string>,
): Promise<void> {
  if (target.how === "stream") {
    try {
      // A FIFO blocks here until its reader opens it: that reader is whom the export is for.
      // Appending: a descriptor the shell opened with `>>` keeps what it holds.
      using stream = Deno.openSync(target.path, { append: true });
      await writeChunks(stream, chunks);
    } catch (e) {
      if (e instanceof InputError) throw e; // the export's records could not be read: said so
      throw new InputError(`${out}: cannot write: ${firstLine(e)}`);
    }
    return;
  }
  const { path } = target;
  const random = crypto.randomUUID().slice(0, 8);
  const temporary = join(dirname(path), `.${basename(path)}.${Deno.pid}-${random}.tmp`);
  using _removed = removedOnSignal(temporary);
  try {
    // `createNew`: never write through a file someone else made under this name.
    using file = Deno.openSync(temporary, { write: true, createNew: true, mode: 0o666 });
    await writeChunks(file, chunks);
    file.syncSync();
    Deno.renameSync(temporary, path);
  } catch (e) {
    removeQuietly(temporary);
    // The export's records could not be read again (a record file replaced): that error says so.
    if (e instanceof InputError) throw e;
    // Said of `out`, not of the temporary file Deno's message names (`open '….tmp'`, `rename
    // '….tmp' -> …`): it is gone, and never was the user's (export-sweep F3).
    const reason = e instanceof Deno.errors.NotFound
      ? `no such folder ${dirname(out)}`
      : failureReason(e as Error).replace(/: [a-z]+ '[^]*$/, "");
    throw new InputError(`${shown(out, path)}: cannot write: ${reason}`);
  }
}

/**
 * Small pieces joined into runs of at least `size` characters (the last may
 * be shorter): one write per run, not per piece.
 *
 * @example
 * ```ts
 * import { batched } from "./write.ts";
 * await Array.fromAsync(batched(["a", "b", "c"], 2)); // ["ab", "c"]
 * ```
 */
export async function* batched(
  chunks: Iterable<string> | AsyncIterable<string>,
  size = 1 << 16,
): AsyncGenerator<string> {
  let parts: string[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    parts.push(chunk);
    length += chunk.length;
    if (length < size) continue;
    yield parts.join("");
    parts = [];
    length = 0;
  }
  if (parts.length > 0) yield parts.join("");
}

/**
 * Written asynchronously, so that a signal's listener ({@linkcode removedOnSignal}) runs between
 * writes; in pieces of a MiB, as an asynchronous write costs more than a synchronous one.
 */
async function writeChunks(
  file: Deno.FsFile,
  chunks: Iterable<string> | AsyncIterable<string>,
): Promise<void> {
  const encoder = new TextEncoder();
  for await (const text of batched(chunks, 1 << 20)) {
    const bytes = encoder.encode(text);
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
  }
}

/** The signals that end runrec when it has no listener, by number (the shell's 128 + n). */
const ENDING_SIGNALS: readonly [Deno.Signal, number][] = [
  ["SIGINT", 2],
  ["SIGTERM", 15],
  ["SIGHUP", 1],
];

/**
 * Until disposed, a signal that would end runrec (Ctrl-C, `kill`, a closed
 * terminal) removes `path` first, then ends runrec as the signal would have:
 * an interrupted export leaves no hidden temporary file of its size behind.
 */
function removedOnSignal(path: string): Disposable {
  const listeners = new Map<Deno.Signal, () => void>();
  const stop = () => {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
    listeners.clear();
  };
  for (const [signal, number] of ENDING_SIGNALS) {
    const listener = () => {
      removeQuietly(path);
      stop();
      try {
        Deno.kill(Deno.pid, signal);
      } catch { /* no --allow-run (runrec-sandboxed) */ }
      // Not reached once the signal has ended runrec; else the exit code it would have given.
      Deno.exit(128 + number);
    };
    try {
      Deno.addSignalListener(signal, listener);
      listeners.set(signal, listener);
    } catch { /* a signal this platform does not have (Windows: SIGHUP) */ }
  }
  return { [Symbol.dispose]: stop };
}

function firstLine(e: unknown): string {
  return (e as Error).message.split("\n")[0];
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch { /* never created, or already gone */ }
}
