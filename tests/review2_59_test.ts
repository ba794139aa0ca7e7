/**
 * review2-59: attack59's runs kept outside their folders, as verify, log and export of a root
 * name them: read once for the root, not once a folder, and said by export as the runs they are.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { makeProject, tempDir, writeTree } from "./fixtures.ts";
import { runCliProcess } from "./cli.ts";
import { recordsOf, runrecUnder } from "./support/runs.ts";
import { runScript } from "./support/library_script.ts";

/** Moves `del`'s pending run `token` into the user's folder of runs kept outside, for `delDir`. */
async function keepOutside(token: string, tmp: string, delDir: string): Promise<void> {
  const folder = join(tmp, `runrec-pending-${Deno.uid()}`);
  await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
  const run = JSON.parse(await Deno.readTextFile(token));
  await Deno.writeTextFile(join(folder, `${run.id}.json`), JSON.stringify({ ...run, delDir }));
  await Deno.remove(token);
}

Deno.test("verify, log and export of a root resolve the runs kept outside their folders once, not for each folder of the root (2,000 folders and 10 kept runs of a removed project: 3.4 s, 0.8 s with none); export says such a folder's runs, not '0 run(s) started and not finished: ' (review2-59)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const env = { TMPDIR: tmp };
  try {
    const working = dirname(del);
    const folders: Record<string, string> = {};
    for (let i = 1; i <= 150; i++) {
      const id = `DEL-02-${String(i).padStart(2, "0")}`;
      folders[`${id}_F${i}/_CONTEXT.md`] = `**DeliverableID:** ${id}\n`;
    }
    await writeTree(working, folders);
    // Three runs a project since removed kept outside its read-only folder.
    const gone = join(await tempDir(), "PKG-09_Gone", "1_Working", "DEL-09-01_Gone");
    for (const agent of ["G1", "G2", "G3"]) {
      const start = await runCliProcess(["start", del, "--agent", agent], undefined, env);
      assertEquals(start.code, 0, start.stderr);
      await keepOutside(start.stdout.trim(), tmp, gone);
    }
    const out = join(tmp, "trace");
    const wrapper = ["strace", "-f", "-qq", "-e", "trace=readlink", "-o", out];
    const verified = await runrecUnder(wrapper, ["verify", root], env);
    assertEquals(verified.code, 0, verified.stderr);
    const looks = (await Deno.readTextFile(out)).split("\n")
      .filter((line) => line.includes(dirname(dirname(dirname(gone))))).length;
    console.log(`${looks} readlink calls on the kept runs' folders`);
    // Each kept run's folder once (a few components); 151 folders × 3 runs × 2 sides before.
    assert(looks <= 30, `${looks} readlink calls`);
    // A run kept outside a folder of the root, named through a link to the root.
    const link = join(tmp, "link");
    await Deno.symlink(root, link);
    const start = await runCliProcess(["start", del, "--agent", "B"], undefined, env);
    assertEquals(start.code, 0, start.stderr);
    await keepOutside(start.stdout.trim(), tmp, join(link, del.slice(root.length)));
    const said = "1 run(s) started and not finished: B since";
    for (const command of [["verify", root], ["log", root], ["export", root, "--format", "prov"]]) {
      const named = await runCliProcess(command, undefined, env);
      assertEquals(named.code, 0, named.stderr);
      assertIncludes(named.stderr, said);
      assert(!named.stderr.includes("0 run(s)"), named.stderr);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("an onLockWait that throws what String() cannot take (Object.create(null)) changes nothing of the append: it was 'cannot take the lock', the record spooled; a thrown message's line break is said on one line (review2-59)", async () => {
  const { root, del } = await makeProject();
  try {
    const lock = JSON.stringify(new URL("../src/lock.ts", import.meta.url).href);
    // The lock held by the script itself, let go as its notice throws: the append waits, then
    // writes.
    const { answer, stderr } = await runScript(
      root,
      ["-A"],
      `const { acquireLock } = await import(${lock});
      const file = ${JSON.stringify(join(del, "RunRecords.csv"))};
      const written = [];
      for (const thrown of [Object.create(null), new Error("one\\ntwo")]) {
        const held = await acquireLock(file + ".lock", { deliverableId: "DEL-01-02", holder: "t" });
        const onLockWait = () => {
          void held.release();
          throw thrown;
        };
        const outcome = await rr.recordRun(${JSON.stringify(del)}, {
          agent: "R",
          status: "SUCCESS",
        }, { onLockWait });
        written.push(outcome.written?.record.RunID ?? outcome.warnings.join("; "));
      }
      return { written };`,
    );
    assertEquals(answer.written, (await recordsOf(del)).map((r) => r.RunID));
    assertEquals(
      stderr,
      "runrec: warning: onLockWait threw: {}\nrunrec: warning: onLockWait threw: one\\ntwo\n",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("withRun's onOutcome that throws a message with a line break is said on one line, as onLockWait's is (review2-59)", async () => {
  const { root, del } = await makeProject();
  try {
    const { answer, stderr } = await runScript(
      root,
      ["-A"],
      `const onOutcome = () => {
        throw new Error("one\\ntwo");
      };
      const del = ${JSON.stringify(del)};
      return { value: await rr.withRun(del, { agent: "W", onOutcome }, () => 7) };`,
    );
    assertEquals(answer.value, 7);
    assertEquals(stderr, "runrec: warning: onOutcome threw: one\\ntwo\n");
    assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["W"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
