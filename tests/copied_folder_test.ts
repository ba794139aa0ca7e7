/**
 * A deliverable folder copied (`cp -a`, a template for a new deliverable)
 * while a run is pending: the copy holds the run's file, and the run never
 * ran there. `reap` and `finish` never record it in the copy: the copy's file
 * goes when the original folder holds the run (pending or recorded), and is
 * named in one line otherwise. A folder moved with its DeliverableID, and a
 * run an older runrec started (no `deliverableId`, `startedIn`), are
 * recorded where they are.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/copied_folder_test.ts
 * ```
 *
 * @module
 */
import { basename, join } from "node:path";
import { assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { pendingFiles, recordsOf } from "./support/runs.ts";

/** A project with a run of 4_DOCUMENTS pending in `del`, and `copy`: `del` copied with cp -a. */
async function copiedWhilePending() {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir() };
  const start = await runCliProcess(
    ["start", del, "--agent", "4_DOCUMENTS", "--input", "Datasheet.md"],
    FULL_FLAGS,
    env,
  );
  assertEquals(start.code, 0, start.stderr);
  const token = start.stdout.trim();
  const copy = join(del, "..", "DEL-01-04_Copy");
  await new Deno.Command("cp", { args: ["-a", del, copy] }).output();
  await Deno.writeTextFile(join(copy, "_CONTEXT.md"), "**DeliverableID:** DEL-01-04\n");
  return {
    root,
    del,
    copy,
    env,
    token,
    copyToken: join(copy, ".runrec", "pending", basename(token)),
  };
}

const reap = (target: string, env: Record<string, string>) =>
  runCliProcess(["reap", target, "--older-than", "0s"], FULL_FLAGS, env);

Deno.test("a folder copied while a run is pending: the run finished in its folder, reap removes the copy's file and records nothing in the copy", async () => {
  const { root, del, copy, env, token } = await copiedWhilePending();
  const finish = await runCliProcess(
    ["finish", token, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(finish.code, 0, finish.stderr);
  const reaped = await reap(root, env);
  assertEquals(reaped.code, 0, reaped.stderr);
  assertMatch(reaped.stdout, /^\(a copy, removed\) .*DEL-01-04_Copy 4_DOCUMENTS .*recorded in /);
  assertEquals(await recordsOf(copy), []);
  assertEquals(pendingFiles(copy), []);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("finish with the copy's token: exit 2 naming the original's token; the original then records the run once", async () => {
  const { root, del, copy, env, token, copyToken } = await copiedWhilePending();
  const finish = await runCliProcess(
    ["finish", copyToken, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(finish.code, 2, finish.stderr);
  assertIncludes(finish.stderr, `runrec finish ${token} finishes it there`);
  assertEquals(finish.stderr.trim().split("\n").length, 1, finish.stderr);
  assertEquals(pendingFiles(copy), [basename(token)]); // left, unchanged
  // reap: the original's run is reaped there, the copy's file removed, nothing in the copy.
  const reaped = await reap(root, env);
  assertEquals(reaped.code, 0, reaped.stderr);
  assertEquals(await recordsOf(copy), []);
  assertEquals(pendingFiles(copy), []);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["FAILED"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a copy whose original folder is gone: reap names the file in one line (exit 2) and leaves it; nothing recorded", async () => {
  const { root, del, copy, env } = await copiedWhilePending();
  await Deno.remove(del, { recursive: true });
  const reaped = await reap(root, env);
  assertEquals(reaped.code, 2, reaped.stderr);
  assertMatch(
    reaped.stderr,
    /not reaped: run \S+ was started in DEL-01-02 \(.*\), not in this folder's DEL-01-04: a copied folder\?; delete the file/,
  );
  assertEquals(await recordsOf(copy), []);
  assertEquals(pendingFiles(copy).length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a project moved during the run, and a pending file an older runrec wrote (no deliverableId, startedIn): finished where they are", async () => {
  const { root, del, env, token } = await copiedWhilePending();
  await Deno.remove(join(del, "..", "DEL-01-04_Copy"), { recursive: true });
  const moved = `${root}-moved`;
  await Deno.rename(root, moved);
  const movedDel = del.replace(root, moved);
  const finish = await runCliProcess(
    ["finish", movedDel, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(finish.code, 0, finish.stderr);
  // An older runrec's file: its fields removed.
  const second =
    (await runCliProcess(["start", movedDel, "--agent", "4_DOCUMENTS"], FULL_FLAGS, env))
      .stdout.trim();
  const { deliverableId: _id, startedIn: _in, ...old } = JSON.parse(
    await Deno.readTextFile(second),
  );
  await Deno.writeTextFile(second, JSON.stringify(old));
  assertEquals((await reap(movedDel, env)).code, 0);
  assertEquals((await recordsOf(movedDel)).map((r) => r.RunStatus), ["SUCCESS", "FAILED"]);
  assertEquals(token.startsWith(root), true);
  await Deno.remove(moved, { recursive: true });
});
