/**
 * The floor under benchmark 10 (`runrec stale` over a root of `makeStaleRoot`): only the file
 * system work stale's design asks for, none of its judging. This thread finds the deliverable
 * folders (listing each), then per folder, 16 at once: lists it again (the check's own listing),
 * reads `_CONTEXT.md`, `_STATUS.md`, `_REFERENCES.md` and `RunRecords.csv` as text (a `stat` then a
 * read each, as `readFolderFile` looks before it opens), and has one worker hash every other file
 * of the folder and the references `makeStaleRoot` writes, each distinct path once. No record is
 * parsed, nothing compared, no report made.
 *
 * Run it as the benchmark runs stale (docs/BENCHMARKS.md, stale):
 * `deno run <FULL_FLAGS> scripts/bench/stale_floor.ts ROOT`, and time it beside
 * `xargs -0 -a LIST sha256sum`. Stale can take no less time or CPU than this.
 *
 * @module
 */
import { normalize } from "node:path";
import { DELIVERABLE_FOLDER } from "../../src/deliverable.ts";

/** What `makeStaleRoot` writes in each `_REFERENCES.md`, from the deliverable folder. */
const REFERENCES = [
  "../../../_Decomposition/Decomposition.md",
  "../../0_References/standard.md",
  "../../0_References/vendor.txt",
];

/** Read by this thread, not hashed (as stale: the records and the lifecycle are not inputs). */
const READ_ONLY = new Set(["RunRecords.csv", "_STATUS.md"]);

/** Read by this thread, and hashed too (inputs stale reads for their text). */
const READ = ["_CONTEXT.md", "_STATUS.md", "_REFERENCES.md", "RunRecords.csv"];

/**
 * The deliverable folders beneath `dir`, each listed once (the search's listing); `.git` is not
 * searched, as stale does not.
 *
 * @example
 * ```ts
 * import { deliverables } from "./stale_floor.ts";
 * console.log(deliverables("/tmp/bench/root").length);
 * ```
 */
export function deliverables(dir: string, found: string[] = []): string[] {
  for (const entry of Deno.readDirSync(dir)) {
    if (!entry.isDirectory) continue;
    const path = `${dir}/${entry.name}`;
    if (DELIVERABLE_FOLDER.test(entry.name)) {
      [...Deno.readDirSync(path)];
      found.push(path);
    } else if (entry.name !== ".git") deliverables(path, found);
  }
  return found;
}

/**
 * Runs the floor over `root`; resolves to the folders and files done.
 *
 * @example
 * ```ts
 * import { staleFloor } from "./stale_floor.ts";
 * const { folders, hashed } = await staleFloor("/tmp/bench/root");
 * console.log(folders, hashed);
 * ```
 */
export async function staleFloor(root: string): Promise<{ folders: number; hashed: number }> {
  const worker = new Worker(new URL("./stale_floor_worker.ts", import.meta.url), {
    type: "module",
  });
  const waiting = new Map<number, () => void>();
  let jobs = 0;
  await new Promise<void>((ready) => {
    worker.onmessage = ({ data }) => data === null ? ready() : waiting.get(data.id)!();
  });
  const hash = (paths: string[]) =>
    new Promise<void>((done) => {
      const id = jobs++;
      waiting.set(id, done);
      worker.postMessage({ id, paths });
    });
  const folders = deliverables(root);
  const seen = new Set<string>();
  const check = async (dir: string) => {
    const names = [...Deno.readDirSync(dir)].map((entry) => entry.name);
    for (const name of READ) {
      Deno.statSync(`${dir}/${name}`);
      Deno.readTextFileSync(`${dir}/${name}`);
    }
    const paths = [
      ...names.filter((name) => !READ_ONLY.has(name)).map((name) => `${dir}/${name}`),
      ...REFERENCES.map((reference) => normalize(`${dir}/${reference}`)),
    ].filter((path) => !seen.has(path));
    for (const path of paths) seen.add(path);
    await hash(paths);
  };
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < folders.length) await check(folders[next++]);
  }));
  worker.terminate();
  return { folders: folders.length, hashed: seen.size };
}

if (import.meta.main) {
  const { folders, hashed } = await staleFloor(Deno.args[0] ?? ".");
  console.log(`${folders} deliverable folders, ${hashed} files hashed`);
}
