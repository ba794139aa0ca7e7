/**
 * The verdict cache's cost where it can keep nothing, and its file's format 2 (paths written from
 * each deliverable's folder): src/verdict_cache.ts, src/stale.ts.
 *
 * @module
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { answerer } from "../src/observed.ts";
import { fromFolder, inFolder, VERDICT_CACHE_FILE } from "../src/verdict_cache.ts";
import { makeStaleRoot } from "../scripts/bench/stale.ts";
import { agedRoot } from "./support/aged_root.ts";
import { git, tempDir } from "./fixtures.ts";
import { seededRandom } from "./seed.ts";
import { assert, assertEquals } from "./assert.ts";
import { runCliProcess } from "./cli.ts";

Deno.test("costverdict: a fresh clone's first stale records nothing and writes no verdict file (every folder too new to keep)", async () => {
  const origin = join(await tempDir(), "origin");
  await makeStaleRoot(origin, 3, seededRandom("costverdict clone"));
  await git(origin, "init", "-q");
  await git(origin, "add", "-A");
  await git(origin, "commit", "-qm", "generated");
  const clone = join(await tempDir(), "clone");
  await git(origin, "clone", "-q", origin, clone);
  const out = await runCliProcess(["stale", clone, "--json"], FULL_FLAGS);
  assertEquals(out.code, 0, out.stderr);
  assertEquals(JSON.parse(out.stdout).summary.CLEAN, 9);
  const file = join(clone, ".git", VERDICT_CACHE_FILE);
  assert(!(await exists(file)), "no verdict file: nothing in it could be kept");
});

Deno.test("costverdict: format 2's paths read back exactly; a kept line answers as written; a format 1 file is ignored and replaced", async () => {
  // Written from the folder and read back: beneath it, above it, beside it, `/`, names like ours.
  const dir = "/r/P-01/1_Working/DEL-01-01_A";
  for (
    const path of ["/", "/r", dir, `${dir}/a.md`, `${dir}x`, `${dir}/../y`, "/r/.git/HEAD", "/o/x"]
      .concat(["/r/~0", `${dir}/~1/b`, `${dir}/a\tb`])
  ) {
    assertEquals(inFolder(fromFolder(path, dir), dir), path, path);
  }
  assertEquals(fromFolder(`${dir}/a.md`, dir), "~0/a.md");
  assertEquals(fromFolder("/r/.git", dir), "~3/.git");
  for (const bad of ["~9", "~x", "~4", "~1a", `~${"9".repeat(5)}`]) {
    assertEquals(inFolder(bad, dir), undefined, bad);
  }

  const aged = await agedRoot("costverdict format", 2);
  const { root, deliverables: d } = aged;
  const json = ["stale", root, "--json"];
  const file = join(root, ".git", VERDICT_CACHE_FILE);
  try {
    const first = await runCliProcess(json, FULL_FLAGS);
    assertEquals(first.code, 0, first.stderr);
    const [header, ...lines] = Deno.readTextFileSync(file).trimEnd().split("\n");
    assertEquals(JSON.parse(header).format, "runrec-verdicts 2");
    assertEquals(lines.length, d.length);
    const answers = answerer(); // no stamp: each answer as it is now
    for (const line of lines) {
      const tab = line.indexOf("\t");
      const folder = JSON.parse(line.slice(0, tab)) as string;
      const { looks } = JSON.parse(line.slice(tab + 1)) as { looks: string[][] };
      // The root's path is in the line's key alone.
      assert(!JSON.stringify(looks).includes(root), `${folder}: a path written whole`);
      for (const [kinds, arg, then] of looks) {
        const paths = kinds.split(",").every((k) => !["env", "permission", "cwd"].includes(k));
        const path = paths ? inFolder(arg, folder)! : arg;
        for (const kind of kinds.split(",")) {
          const now = answers.answerTo(kind, path);
          assertEquals(kind === "real" ? fromFolder(now!, folder) : now, then, `${kind} ${path}`);
        }
      }
    }
    // Given: a kept report forged, every look as written, is what the next run says.
    const kept = Deno.readTextFileSync(file);
    const forged = kept.replaceAll('"verdict":"CLEAN"', '"verdict":"FORGED"');
    assert(forged !== kept);
    Deno.writeTextFileSync(file, forged);
    assert((await runCliProcess(json, FULL_FLAGS)).stdout.includes('"FORGED"'), "given");
    // The same lines under format 1's header: not read, and replaced by this format's.
    Deno.writeTextFileSync(file, forged.replace('"runrec-verdicts 2"', '"runrec-verdicts 1"'));
    const again = await runCliProcess(json, FULL_FLAGS);
    assert(!again.stdout.includes("FORGED"), "not given");
    assertEquals(Deno.readTextFileSync(file).split("\n")[0].includes('"runrec-verdicts 2"'), true);
    const sorted = (text: string) => text.split("\n").slice(1).sort();
    assertEquals(sorted(Deno.readTextFileSync(file)), sorted(kept), "the same lines");
    Deno.removeSync(file);
    const afresh = await runCliProcess(json, FULL_FLAGS);
    assertEquals([again.code, again.stdout], [afresh.code, afresh.stdout], "judged afresh");
  } finally {
    await aged.unmount();
  }
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
