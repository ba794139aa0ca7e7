/**
 * reviewclock57: clock57's hash cache (src/hash_cache.ts) read line by line and attacked.
 *
 * @module
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { HASH_CACHE_FILE } from "../src/hash_cache.ts";
import { agedRoot } from "./support/aged_root.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { waitFor } from "./support/held.ts";
import { assert, assertEquals } from "./assert.ts";
import { runCliProcess } from "./cli.ts";

/** The folders the cache file at `root`'s `.git` has a line for. */
function cachedFolders(root: string): string[] {
  const [, ...lines] = Deno.readTextFileSync(join(root, ".git", HASH_CACHE_FILE)).trimEnd()
    .split("\n");
  return lines.map((line) => JSON.parse(line.split("\t")[0]));
}

/** The temporary files beside the cache (a run's probe, or its new cache before the rename). */
function temporaries(root: string): string[] {
  return [...Deno.readDirSync(join(root, ".git"))]
    .filter(({ name }) => name.startsWith(`${HASH_CACHE_FILE}.`) && name.endsWith(".tmp"))
    .map(({ name }) => join(root, ".git", name));
}

/** `file`'s size; 0 once it is gone (a probe is removed at once). */
function sizeOf(file: string): number {
  try {
    return Deno.statSync(file).size;
  } catch {
    return 0;
  }
}

/** How long the first run's rename is held: the other run must end within it. */
const RENAME_DELAY_MS = 6_000;

Deno.test("reviewclock57: two stale runs with one process id (two containers on one work tree) neither take nor spoil each other's temporary cache file", async () => {
  const aged = await agedRoot("reviewclock57 one pid", 2);
  const { root, deliverables: [first, second] } = aged;
  try {
    // Each run is process 1 of a PID namespace of its own, as in a container.
    const inNamespace = (del: string) => [
      ...["unshare", "--pid", "--fork", Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY],
      ...["stale", del, "--json"],
    ];
    // The cache holds the second deliverable's folder, not the first's; one file of the second is
    // written again (same bytes): a run over it reads that file (its probe first), keeps nothing.
    assertEquals((await runCliProcess(["stale", second], FULL_FLAGS)).code, 0);
    const rewritten = join(second, "Datasheet.md");
    Deno.writeFileSync(rewritten, Deno.readFileSync(rewritten));
    // The first run's rename of its new cache into place delayed (stale renames nothing else), while
    // the other run, with the same process id, reads files and so writes its probe file.
    const renames = "rename,renameat,renameat2";
    const delayed = new Deno.Command("strace", {
      args: [
        ...["-f", "-qq", "-o", "/dev/null", "-e", `trace=${renames}`],
        ...["-e", `inject=${renames}:delay_enter=${RENAME_DELAY_MS * 1000}`],
        ...inNamespace(first),
      ],
      stdout: "null",
      env: { NO_COLOR: "1" },
    }).spawn();
    // Its temporary file written: more than the probe's one byte.
    await waitFor(
      () => temporaries(root).some((file) => sizeOf(file) > 1),
      "the first run's new cache",
    );
    const started = Date.now();
    const other = await new Deno.Command(inNamespace(second)[0], {
      args: inNamespace(second).slice(1),
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assertEquals(other.code, 0, new TextDecoder().decode(other.stderr));
    assert(Date.now() - started < RENAME_DELAY_MS, "the other run ended after the first's rename");
    assertEquals((await delayed.status).code, 0);
    const folders = cachedFolders(root);
    assertEquals([first, second].filter((del) => !folders.includes(`${del}/`)), []);
    const again = JSON.parse((await runCliProcess(["stale", root, "--json"], FULL_FLAGS)).stdout);
    assertEquals(again.filesHashed, 1); // the file written a moment ago, not the first's
  } finally {
    await aged.unmount();
  }
});
