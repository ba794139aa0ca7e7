/**
 * A second floor under benchmark 10: what `runrec stale` still does when each deliverable's
 * verdict is kept beside the hash cache, keyed by the `stat` of everything it read (git's
 * untracked cache; src/verdict_cache.ts, measured before it was built: docs/FINDINGS.md stale57). This thread finds the deliverable folders
 * (listing each), parses the hash cache and a verdict file (a `stale --json` report stands in for
 * one), takes the `stat` of every file the hash cache holds and of each deliverable folder, its
 * record file and host files, and of every folder on the way to each from the root, then writes the
 * verdicts back to a string, as a report would be made. Nothing is read, hashed or judged.
 *
 * Run it as the benchmark runs stale: `deno run <FULL_FLAGS> scripts/bench/stale_hit_floor.ts
 * ROOT VERDICTS.json`. A kept verdict cannot make `stale` take less than this.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileStatOf } from "../../src/hash.ts";
import { HASH_CACHE_FILE } from "../../src/hash_cache.ts";
import { deliverables } from "./stale_floor.ts";

/** What a verdict of a deliverable folder would depend on beside its inputs and outputs. */
const OWN = ["", "RunRecords.csv", "_CONTEXT.md", "_STATUS.md", "_REFERENCES.md"];

/**
 * The files whose hashes `root`'s hash cache holds: after its header, a line a folder, the folder
 * (JSON, ending in `/`), a tab, and its files' entries by name (JSON).
 *
 * @example
 * ```ts
 * import { cachedPaths } from "./stale_hit_floor.ts";
 * console.log(cachedPaths("/tmp/bench/root").length);
 * ```
 */
export function cachedPaths(root: string): string[] {
  const [, ...lines] = Deno.readTextFileSync(join(root, ".git", HASH_CACHE_FILE)).split("\n");
  return lines.filter((line) => line.includes("\t")).flatMap((line) => {
    const tab = line.indexOf("\t");
    const folder: string = JSON.parse(line.slice(0, tab));
    return Object.keys(JSON.parse(line.slice(tab + 1))).map((name) => folder + name);
  });
}

/**
 * Runs the floor over `root` (a git repository whose hash cache is filled) with the verdicts of
 * `verdicts` (a file); returns the paths it looked at.
 *
 * @example
 * ```ts
 * import { staleHitFloor } from "./stale_hit_floor.ts";
 * console.log(staleHitFloor("/tmp/bench/root", "/tmp/bench/verdicts.json").length);
 * ```
 */
export function staleHitFloor(root: string, verdicts: string): string[] {
  const folders = deliverables(root);
  const kept = JSON.parse(Deno.readTextFileSync(verdicts));
  const paths = new Set<string>(cachedPaths(root));
  for (const folder of folders) {
    for (const name of OWN) paths.add(name === "" ? folder : `${folder}/${name}`);
  }
  // Every folder on the way to each (a name replaced there moves that folder's mtime).
  for (const path of [...paths]) {
    for (let up = dirname(path); up.startsWith(root) && !paths.has(up); up = dirname(up)) {
      paths.add(up);
    }
  }
  const looked: string[] = [];
  for (const path of paths) {
    try {
      if (fileStatOf(Deno.statSync(path)) !== undefined) looked.push(path);
    } catch { /* gone: a verdict that depends on it is judged again */ }
  }
  // The report a hit prints is made from the kept verdicts.
  return JSON.stringify(kept).length > 0 ? looked : [];
}

if (import.meta.main) {
  console.log(`${staleHitFloor(Deno.args[0], Deno.args[1]).length} paths looked at`);
}
