/**
 * Room for more open files, asked before starting worker threads: a thread
 * Deno cannot give its descriptors (under a low `ulimit -n`) ends the whole
 * process in a panic, which no caller can catch.
 *
 * @module
 */

/** Descriptors a worker thread takes as it starts: its event loop, the modules it loads. */
const PER_WORKER = 8;

/**
 * Files the starting thread opens while its workers load (stale checks 16
 * folders at once): a worker that then finds none left fails to load, with
 * Deno's own lines on stderr.
 */
const WHILE_WORKERS_LOAD = 32;

/**
 * Whether `count` worker threads, whose module is `url`, have the file
 * descriptors to start while this thread goes on reading.
 *
 * @example
 * ```ts
 * import { roomForWorkers } from "./descriptors.ts";
 * roomForWorkers(new URL(import.meta.url), 3); // true, unless `ulimit -n` is low
 * ```
 */
export function roomForWorkers(url: URL, count: number): boolean {
  return count === 0 || canOpenMore(url, count * PER_WORKER + WHILE_WORKERS_LOAD);
}

/**
 * Whether this process can open `count` more files now: `path` (a file it
 * may read) is opened that many times, and each closed again.
 */
function canOpenMore(path: string | URL, count: number): boolean {
  const opened: Deno.FsFile[] = [];
  try {
    while (opened.length < count) opened.push(Deno.openSync(path, { read: true }));
    return true;
  } catch {
    return false;
  } finally {
    for (const file of opened) file.close();
  }
}
