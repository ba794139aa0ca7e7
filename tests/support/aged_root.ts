/**
 * A generated execution root whose files are old by the file system's clock, for tests of stale's
 * hash cache (src/hash_cache.ts): it keeps a file's hash only when the file's mtime and ctime are
 * RACY_MS older than a file it writes itself, and no program can set a ctime back. The root is
 * written, then copied into an ext4 image whose every file's mtime and ctime are set two minutes
 * back (`mkfs.ext4 -d`, then `debugfs`), and the image is loop-mounted where it was written: the
 * same paths, files the kernel serves as it would files written two minutes ago.
 *
 * @module
 */
import { join } from "node:path";
import { makeStaleRoot, type StaleRoot } from "../../scripts/bench/stale.ts";
import { git, tempDir } from "../fixtures.ts";
import { seededRandom } from "../seed.ts";
import { unmount } from "./read_only.ts";
import { sh } from "./sh.ts";

/** How far back the files' times are set: past RACY_MS, with time for a test's runs. */
const AGE_SECONDS = 120;

/** A {@linkcode StaleRoot} on a mounted image of its own. */
export interface AgedRoot extends StaleRoot {
  /** Unmounts the image (the root's files are gone after). */
  unmount(): Promise<void>;
}

/**
 * `count` deliverables generated as `makeStaleRoot` does from `name`'s seed, in a git repository
 * of their own (`.git` in the root), every file and folder two minutes old; `prepare` runs on the
 * root before it is aged (files it makes are aged too). The root's parent is on the image too.
 *
 * @example
 * ```ts
 * import { agedRoot } from "./aged_root.ts";
 * const aged = await agedRoot("example", 1);
 * try {
 *   console.log(aged.files.length); // 10
 * } finally {
 *   await aged.unmount();
 * }
 * ```
 */
export async function agedRoot(
  name: string,
  count: number,
  prepare?: (generated: StaleRoot) => Promise<void>,
): Promise<AgedRoot> {
  const dir = await tempDir();
  const mount = join(dir, "mnt");
  const generated = await makeStaleRoot(join(mount, "root"), count, seededRandom(name));
  await git(generated.root, "init", "-q");
  await prepare?.(generated);
  const back = String(Math.floor(Date.now() / 1000) - AGE_SECONDS);
  await sh(
    dir,
    [
      'set -e; mount=$1; image=$1.img; back=$2; find "$mount" -exec touch -h -d "@$back" {} +',
      'truncate -s "$(( $(du -sm "$mount" | cut -f1) * 2 + 16 ))M" "$image"',
      'mkfs.ext4 -q -d "$mount" "$image"',
      // mkfs copies each file's mtime, and stamps ctime now: debugfs sets it back.
      '(cd "$mount" && find . -mindepth 1 | sed "s|^\\.\\(.*\\)|sif \\1 ctime @$back|") > "$image.sif"',
      'debugfs -w -f "$image.sif" "$image" >/dev/null 2>&1',
      'find "$mount" -mindepth 1 -delete && mount -o loop "$image" "$mount"',
    ].join("\n"),
    [mount, back],
  );
  return { ...generated, unmount: () => unmount(mount) };
}
