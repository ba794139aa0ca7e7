/**
 * Writing an export file whole or not at all: a reader of the file (or a
 * crash halfway) never sees half an export.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { basename, dirname, join } from "../path.ts";

/**
 * Writes `text` to `path` through a temporary file beside it, flushed to
 * disk and renamed over `path`; on failure the temporary file is removed and
 * `path` is left as it was. Throws {@linkcode InputError} (one line, naming
 * `path`) when the file cannot be written.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./write.ts";
 * writeFileAtomic("lineage.jsonl", '{"eventType":"START"}\n');
 * ```
 */
export function writeFileAtomic(path: string, text: string): void {
  let info: Deno.FileInfo | undefined;
  try {
    info = Deno.statSync(path);
  } catch { /* not there yet, or not reachable: the write below says which */ }
  if (info?.isDirectory) throw new InputError(`${path}: is a folder, not a file`);
  const random = crypto.randomUUID().slice(0, 8);
  const temporary = join(dirname(path), `.${basename(path)}.${Deno.pid}-${random}.tmp`);
  try {
    // `createNew`: never write through a file someone else made under this name.
    using file = Deno.openSync(temporary, { write: true, createNew: true, mode: 0o666 });
    const bytes = new TextEncoder().encode(text);
    let written = 0;
    while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
    file.syncSync();
  } catch (e) {
    removeQuietly(temporary);
    throw new InputError(`${path}: cannot write: ${(e as Error).message.split("\n")[0]}`);
  }
  try {
    Deno.renameSync(temporary, path);
  } catch (e) {
    removeQuietly(temporary);
    throw new InputError(`${path}: cannot write: ${(e as Error).message.split("\n")[0]}`);
  }
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch { /* never created, or already gone */ }
}
