/**
 * The racy rule (racy git): a file's `stat` tells a change only once the
 * file is older than the file system's clock by more than that clock's
 * step. ./hash_cache.ts keeps a hash, and ./verdict_cache.ts a check, only
 * for files and folders older than a stamp taken before the run's reads.
 *
 * @module
 */

/**
 * How much older a file's mtime and ctime must be than the file system's
 * clock at the run's first read for its hash to be kept: past any file
 * system's timestamp step and the coarse clock the kernel stamps files with
 * (racy git), and past the time a page written through a shared memory map
 * stays dirty (Linux writes it back within ~35 s by default): only a clean
 * page's next write moves ctime, so bytes written into a page dirty since
 * before the read would not.
 */
export const RACY_MS = 60_000;

/** The file system's clock: a probe's device and mtime (ms). */
export type Stamp = { dev: number; at: number };
