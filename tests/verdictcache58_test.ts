/**
 * The verdict cache of `stale` (src/verdict_cache.ts, src/observed.ts): a deliverable's kept
 * checks are given only while everything they looked at answers as it did. Each case changes
 * something a kept check rests on, then compares the run that finds the cache with one judged
 * afresh (the verdict file removed): exit code, stdout and stderr byte for byte.
 *
 * @module
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { VERDICT_CACHE_FILE } from "../src/verdict_cache.ts";
import { agedRoot } from "./support/aged_root.ts";
import { sh } from "./support/sh.ts";
import { whileReadOnly } from "./support/read_only.ts";
import { assert, assertEquals } from "./assert.ts";
import { type CliResult, runCliProcess } from "./cli.ts";

/** The folders of a kept file's lines, and each line's looks (`kinds`, argument, answer). */
function keptLines(root: string): Map<string, { looks: string[][]; value: unknown }> {
  const [, ...lines] = Deno.readTextFileSync(join(root, ".git", VERDICT_CACHE_FILE)).split("\n");
  return new Map(
    lines.filter((l) => l !== "").map((line) => {
      const tab = line.indexOf("\t");
      return [JSON.parse(line.slice(0, tab)), JSON.parse(line.slice(tab + 1))];
    }),
  );
}

/** Removes `root`'s verdict file, if a run wrote one (none with nothing to keep). */
function removeVerdicts(root: string): void {
  try {
    Deno.removeSync(join(root, ".git", VERDICT_CACHE_FILE));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** `runrec ...args`: its exit code, stdout and stderr. */
function said(out: CliResult): [number, string, string] {
  return [out.code, out.stdout, out.stderr];
}

/**
 * `runrec ...args` with the verdict cache as it is, then judged afresh (the file removed, which
 * that run writes again): both alike, byte for byte. Returns the fresh run.
 */
async function sameAsAfresh(root: string, args: string[], what: string): Promise<CliResult> {
  const cached = await runCliProcess(args, FULL_FLAGS);
  removeVerdicts(root);
  const afresh = await runCliProcess(args, FULL_FLAGS);
  assert(afresh.code === 0 || afresh.code === 1, afresh.stderr);
  assertEquals(said(cached), said(afresh), what);
  return afresh;
}

/** The verdicts of `folder`'s checks in a `--json` report, with their baselines' RunIDs. */
function verdictsOf(out: CliResult, folder: string): string[] {
  const report = JSON.parse(out.stdout) as {
    checks: { folder: string; verdict: string; agent: string; baseline?: { RunID: string } }[];
  };
  return report.checks.filter((c) => c.folder === folder)
    .map((c) => `${c.agent} ${c.verdict} ${c.baseline?.RunID ?? "-"}`);
}

/** Replaces `path`'s bytes with others of the same size, and puts its mtime back (`touch -d`). */
async function sameSizeEdit(path: string): Promise<void> {
  const bytes = Deno.readFileSync(path);
  const mtime = Deno.statSync(path).mtime!;
  bytes[bytes.length - 2] = bytes[bytes.length - 2] === 0x41 ? 0x42 : 0x41;
  Deno.writeFileSync(path, bytes);
  await sh(".", 'touch -d "$1" "$2"', [mtime.toISOString(), path]);
}

Deno.test("verdictcache: each change a kept check rests on gives the report judged afresh, byte for byte; stale57's two wrong CLEANs among them", async () => {
  const aged = await agedRoot("verdictcache changes", 8);
  const { root, deliverables: d } = aged;
  const json = ["stale", root, "--json"];
  try {
    const first = await runCliProcess(json, FULL_FLAGS);
    assertEquals(first.code, 0, first.stderr);
    assertEquals([...keptLines(root).keys()].sort(), [...d].sort(), "every deliverable kept");
    // Kept, and given: the text report, --json, --propagate alike.
    for (const args of [json, ["stale", root], ["stale", root, "--propagate", "--json"]]) {
      await sameAsAfresh(root, args, args.join(" "));
    }
    const before = await sameAsAfresh(root, json, "nothing changed");

    // What each case changes, and the folder whose verdicts it must change.
    const cases: [string, string | undefined, () => unknown][] = [
      ["an input edited, its size and mtime put back", d[0], async () => {
        await sameSizeEdit(join(d[0], "_CONTEXT.md"));
      }],
      ["a new _REFERENCES.md line", d[1], () => {
        Deno.writeTextFileSync(
          join(d[1], "_REFERENCES.md"),
          "- Other — Location: ../DEL-01-03_Item_03/Specification.md — added\n",
          { append: true },
        );
      }],
      ["a new record", d[2], async () => {
        const out = await runCliProcess(
          ["emit", d[2], "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
          FULL_FLAGS,
        );
        assertEquals(out.code, 0, out.stderr);
      }],
      ["an annotation invalidating a baseline", d[3], async () => {
        const runId = verdictsOf(before, d[3])[0].split(" ")[2];
        const out = await runCliProcess(
          ["annotate", d[3], runId, "--invalidates", "--note", "wrong inputs"],
          FULL_FLAGS,
        );
        assertEquals(out.code, 0, out.stderr);
      }],
      ["_STATUS.md moved to RETIRED", d[4], () => {
        Deno.writeTextFileSync(
          join(d[4], "_STATUS.md"),
          "# Status: DEL-01-05\n\n**Current State:** RETIRED\n",
        );
      }],
      // stale57's first: no file of any deliverable touched, the package folder's entry replaced.
      [
        "0_References moved out of the work tree, a symbolic link in its place",
        undefined,
        () => {
          const references = join(root, "PKG-01_Package_01", "0_References");
          Deno.renameSync(references, join(root, "..", "references_elsewhere"));
          Deno.symlinkSync("../../references_elsewhere", references);
        },
      ],
      ["an INIT.md in the package folder", undefined, () => {
        Deno.writeTextFileSync(join(root, "PKG-01_Package_01", "INIT.md"), "# Init\n");
      }],
      // stale57's second, with the kept checks still where this run looks for them: a `.git`
      // file in the folder above the deliverables naming the repository (a work tree begun there).
      ["a .git file in 1_Working", undefined, () => {
        const dotGit = join(root, "PKG-01_Package_01", "1_Working", ".git");
        Deno.writeTextFileSync(dotGit, `gitdir: ${join(root, ".git")}\n`);
      }],
    ];
    let last = before;
    for (const [what, folder, change] of cases) {
      await change();
      const afresh = await sameAsAfresh(root, json, what);
      if (folder !== undefined) {
        assert(
          verdictsOf(afresh, folder).join() !== verdictsOf(last, folder).join(),
          `${what}: a change the verdicts show`,
        );
      }
      last = afresh;
    }
    // Both of stale57's cases turned CLEAN verdicts DIRTY, with no kept file of theirs touched.
    assert(
      verdictsOf(last, d[7]).every((v) => v.includes(" DIRTY ")),
      verdictsOf(last, d[7]).join(),
    );
    // stale57's second as it was: `mkdir 1_Working/.git`. The repository runrec finds moves with
    // it (its caches too: none there), so the counts of files hashed are the caches' own.
    Deno.removeSync(join(root, "PKG-01_Package_01", "1_Working", ".git"));
    await sameAsAfresh(root, json, "the .git file removed");
    Deno.mkdirSync(join(root, "PKG-01_Package_01", "1_Working", ".git"));
    const counted = /\n {2}"files(Hashed|Cached)": \d+,/g;
    const cached = await runCliProcess(json, FULL_FLAGS);
    removeVerdicts(root);
    const afresh = await runCliProcess(json, FULL_FLAGS);
    assertEquals(cached.stdout.replace(counted, ""), afresh.stdout.replace(counted, ""));
    assertEquals([cached.code, cached.stderr], [afresh.code, afresh.stderr]);
  } finally {
    await aged.unmount();
  }
});

Deno.test("verdictcache: --agent is in the key; a read-only .git's cache is read and not written; a corrupt, foreign or future file is ignored and replaced", async () => {
  const aged = await agedRoot("verdictcache file", 4);
  const { root, deliverables: d } = aged;
  const json = ["stale", root, "--json"];
  const file = join(root, ".git", VERDICT_CACHE_FILE);
  try {
    assertEquals((await runCliProcess(json, FULL_FLAGS)).code, 0);
    const agent = ["stale", root, "--agent", "4_DOCUMENTS", "--json"];
    await sameAsAfresh(root, agent, "--agent after a run without");
    await sameAsAfresh(root, json, "no --agent after a run with");

    // A kept check's report forged, every look left as it was: given while the file is trusted.
    const kept = Deno.readTextFileSync(file);
    const forged = kept.replaceAll('"verdict":"CLEAN"', '"verdict":"FORGED"');
    assert(forged !== kept);
    Deno.writeTextFileSync(file, forged);
    assert(
      (await runCliProcess(json, FULL_FLAGS)).stdout.includes('"FORGED"'),
      "the forgery given",
    );
    const header = JSON.parse(kept.split("\n")[0]);
    const future = JSON.stringify({ ...header, written: Date.now() + 3_600_000 });
    const foreign = JSON.stringify({ ...header, format: "runrec-verdicts 0" });
    for (
      const [what, text] of [
        ["written an hour from now", forged.replace(/^.*\n/, `${future}\n`)],
        ["of another format", forged.replace(/^.*\n/, `${foreign}\n`)],
        ["corrupt", "\u0000garbage\n" + forged],
      ]
    ) {
      Deno.writeTextFileSync(file, text);
      const out = await sameAsAfresh(root, json, what);
      assert(!out.stdout.includes("FORGED"), what);
      assertEquals(
        Deno.readTextFileSync(file).split("\n")[0].includes('"runrec-verdicts 2"'),
        true,
      );
    }

    // A read-only .git: the kept checks are read, and a change still judged afresh.
    await sameSizeEdit(join(d[1], "_CONTEXT.md"));
    const kept2 = Deno.readTextFileSync(file);
    const readOnly = await whileReadOnly(
      join(root, ".git"),
      () => runCliProcess(json, FULL_FLAGS),
    );
    assertEquals(Deno.readTextFileSync(file), kept2, "not written");
    const afresh = await sameAsAfresh(root, json, "after the read-only run");
    assertEquals(said(readOnly), said(afresh), "read-only");
    assert(verdictsOf(afresh, d[1]).some((v) => v.includes(" DIRTY ")));
  } finally {
    await aged.unmount();
  }
});

Deno.test("verdictcache: a deliverable judged among others records the looks it records judged alone (no memo shared between checks hides one)", async () => {
  const aged = await agedRoot("verdictcache memo", 6);
  const { root, deliverables: d } = aged;
  try {
    // Judged twice, the second with the hash cache filled as the runs alone find it.
    assertEquals((await runCliProcess(["stale", root, "--json"], FULL_FLAGS)).code, 0);
    Deno.removeSync(join(root, ".git", VERDICT_CACHE_FILE));
    assertEquals((await runCliProcess(["stale", root, "--json"], FULL_FLAGS)).code, 0);
    const among = keptLines(root);
    for (const folder of [d[0], d[5]]) {
      Deno.removeSync(join(root, ".git", VERDICT_CACHE_FILE));
      assertEquals((await runCliProcess(["stale", folder, "--json"], FULL_FLAGS)).code, 0);
      const alone = keptLines(root).get(folder)!;
      // What was looked at and what it answered (a file's `stat` and its read answer alike: the
      // hash cache's memo gives a later check the hash with no `stat` of its own).
      const looks = (line: { looks: string[][] }) =>
        line.looks.map((l) => l.slice(1).join(" ")).sort();
      assertEquals(looks(among.get(folder)!), looks(alone), folder);
    }
  } finally {
    await aged.unmount();
  }
});
