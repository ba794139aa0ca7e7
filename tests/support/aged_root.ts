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
  const mount = join(await tempDir(), "mnt");
  const generated = await makeStaleRoot(join(mount, "root"), count, seededRandom(name));
  await git(generated.root, "init", "-q");
  await prepare?.(generated);
  return { ...generated, unmount: await ageInPlace(mount) };
}

/**
 * Replaces `folder` by a loop-mounted ext4 image of what it holds, every file and folder in it
 * two minutes old: a file system of its own (another device). Returns the unmount.
 *
 * @example
 * ```ts
 * import { ageInPlace } from "./aged_root.ts";
 * const folder = await Deno.makeTempDir();
 * Deno.writeTextFileSync(`${folder}/a.txt`, "a\n");
 * const unmount = await ageInPlace(folder);
 * console.log(Date.now() - Deno.statSync(`${folder}/a.txt`).ctime!.getTime() > 60_000); // true
 * await unmount();
 * ```
 */
export async function ageInPlace(folder: string): Promise<() => Promise<void>> {
  const image = `${await tempDir()}/aged.img`;
  const back = String(Math.floor(Date.now() / 1000) - AGE_SECONDS);
  await sh(
    folder,
    [
      'set -e; folder=$1; image=$2; back=$3; find "$folder" -exec touch -h -d "@$back" {} +',
      'truncate -s "$(( $(du -sm "$folder" | cut -f1) * 2 + 64 ))M" "$image"',
      'mkfs.ext4 -q -d "$folder" "$image"',
      // mkfs copies each file's mtime, and stamps ctime now: debugfs sets it back.
      '(cd "$folder" && find . -mindepth 1 | sed "s|^\\.\\(.*\\)|sif \\1 ctime @$back|") > "$image.sif"',
      'debugfs -w -f "$image.sif" "$image" >/dev/null 2>&1',
      'cd / && find "$folder" -mindepth 1 -delete && mount -o loop "$image" "$folder"',
    ].join("\n"),
    [folder, image, back],
  );
  return () => unmount(folder);
}
