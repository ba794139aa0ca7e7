/**
 * A token `runrec start` printed for a run kept outside its read-only
 * deliverable folder (`$TMPDIR/runrec-pending-<uid>/<id>.json`) is taken by a
 * `finish` whose `TMPDIR` differs, provided its folder is this user's and
 * open to no one else, as the folder start keeps it in must be.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/outside_token_test.ts
 * ```
 *
 * @module
 */
import { basename, dirname, join, relative } from "node:path";
import { assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { recordsOf } from "./support/runs.ts";

async function sh(command: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command(command, { args, stderr: "piped" }).output();
  if (!out.success) throw new Error(`${command}: ${new TextDecoder().decode(out.stderr)}`);
}

/**
 * Starts a run of `del` made read-only by a bind mount, with `TMPDIR=tmp`, naming the folder
 * as `named` (through a link, say); returns its token.
 */
async function startReadOnly(del: string, tmp: string, named = del): Promise<string> {
  await sh("mount", "--bind", del, del);
  try {
    await sh("mount", "-o", "remount,ro,bind", del);
    const start = await runCliProcess(["start", named, "--agent", "A"], FULL_FLAGS, {
      TMPDIR: tmp,
    });
    assertEquals(start.code, 0, start.stderr);
    return start.stdout.trim();
  } finally {
    await sh("umount", del); // writable again by the end of the run
  }
}

Deno.test("finish <token> of a run kept in start's TMPDIR, with another TMPDIR: recorded once; reap in start's TMPDIR finds nothing", async () => {
  const { root, del } = await makeProject();
  const [tmpA, tmpB] = [await tempDir(), await tempDir()];
  const token = await startReadOnly(del, tmpA);
  assertEquals(dirname(dirname(token)), tmpA);
  const finish = await runCliProcess(
    ["finish", token, "--agent", "A", "--status", "SUCCESS"],
    FULL_FLAGS,
    { TMPDIR: tmpB },
  );
  assertEquals(finish.code, 0, finish.stderr);
  const reap = await runCliProcess(["reap", root, "--older-than", "0s"], FULL_FLAGS, {
    TMPDIR: tmpA,
  });
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS"]);
  for (const dir of [root, tmpA, tmpB]) await Deno.remove(dir, { recursive: true });
});

Deno.test("finish <del-dir> and --run <id> of a run kept in start's TMPDIR, with another TMPDIR: exit 2 saying it may be kept in another TMPDIR and how to finish it, never 'finished already'; the token then records it once (soak6 F1)", async () => {
  const { root, del } = await makeProject();
  const [tmpA, tmpB] = [await tempDir(), await tempDir()];
  const token = await startReadOnly(del, tmpA);
  const id = basename(token).replace(/\.json$/, "");
  for (const how of [[], ["--agent", "A"], ["--run", id]]) {
    const finish = await runCliProcess(
      ["finish", del, ...how, "--status", "SUCCESS"],
      FULL_FLAGS,
      { TMPDIR: tmpB },
    );
    assertEquals(finish.code, 2, finish.stderr);
    assertIncludes(
      finish.stderr,
      "a run started while its folder was read-only is kept in its start's $TMPDIR, not in " +
        `this finish's (${tmpB}/runrec-pending-${Deno.uid()}): finish it by the token runrec ` +
        "start printed, or with that TMPDIR; ",
    );
    // Its emit would record the run twice once reap finds it (review-v F2): only for no start.
    assertMatch(
      finish.stderr,
      /; (only to record a run that runrec start did not keep|once its pending file is gone for good, record the run): runrec emit /,
    );
    assertEquals(finish.stderr.includes("finished already (runrec log says)"), false, how.join());
  }
  const byToken = await runCliProcess(
    ["finish", token, "--status", "SUCCESS"],
    FULL_FLAGS,
    { TMPDIR: tmpB },
  );
  assertEquals(byToken.code, 0, byToken.stderr);
  const reap = await runCliProcess(["reap", root, "--older-than", "0s"], FULL_FLAGS, {
    TMPDIR: tmpA,
  });
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS"]);
  for (const dir of [root, tmpA, tmpB]) await Deno.remove(dir, { recursive: true });
});

Deno.test("a run kept outside its read-only folder, started through a symbolic link: finish <del-dir> and reap through the real path find it (and the other way round); its RunID finishes it after reap: each recorded once (review-s F5)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const link = join(await tempDir(), "linked");
  await Deno.symlink(root, link);
  const viaLink = join(link, relative(root, del));
  const finishAs = async (folder: string, ...how: string[]) => {
    const out = await runCliProcess(["finish", folder, ...how, "--status", "SUCCESS"], FULL_FLAGS, {
      TMPDIR: tmp,
    });
    assertEquals(out.code, 0, out.stderr);
  };
  for (const [started, finished] of [[viaLink, del], [del, viaLink]]) {
    const token = await startReadOnly(del, tmp, started);
    assertEquals(dirname(dirname(token)), tmp);
    await finishAs(finished, "--agent", "A");
    await Deno.stat(token).then(
      () => {
        throw new Error(`${token} is still there: the run was not found by ${finished}`);
      },
      (e) => assertEquals(e instanceof Deno.errors.NotFound, true, String(e)),
    );
  }
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), ["SUCCESS", "SUCCESS"]);
  await startReadOnly(del, tmp, viaLink);
  const reap = await runCliProcess(["reap", root, "--older-than", "0s"], FULL_FLAGS, {
    TMPDIR: tmp,
  });
  assertEquals(reap.code, 0, reap.stderr);
  const reaped = (await recordsOf(del))[2];
  assertEquals(reaped?.RunStatus, "FAILED", reap.stdout);
  // Not "another deliverable folder": the same one, through the real path.
  await finishAs(del, "--run", reaped.RunID);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.RunStatus), ["SUCCESS", "SUCCESS", "FAILED", "SUCCESS"]);
  assertIncludes(records[3].Notes, `supersedes=${reaped.RunID}`);
  for (const dir of [root, tmp, dirname(link)]) await Deno.remove(dir, { recursive: true });
});

Deno.test("finish <token> whose runrec-pending folder is open to other users: exit 2 naming why, nothing written, the file left", async () => {
  const { root, del } = await makeProject();
  const [tmpA, tmpB, open] = [await tempDir(), await tempDir(), await tempDir()];
  const token = await startReadOnly(del, tmpA);
  const folder = join(open, basename(dirname(token)));
  await Deno.mkdir(folder);
  await Deno.chmod(folder, 0o777); // the setting refused, not a fault faked
  const planted = join(folder, basename(token));
  await Deno.copyFile(token, planted);
  const finish = await runCliProcess(
    ["finish", planted, "--agent", "A", "--status", "SUCCESS"],
    FULL_FLAGS,
    { TMPDIR: tmpB },
  );
  assertEquals(finish.code, 2, finish.stderr);
  assertIncludes(finish.stderr, "open to other users");
  assertEquals(finish.stderr.trim().split("\n").length, 1, finish.stderr);
  assertEquals(await recordsOf(del), []);
  await Deno.stat(planted);
  for (const dir of [root, tmpA, tmpB, open]) await Deno.remove(dir, { recursive: true });
});

Deno.test("finish <del-dir> --agent A of A's run kept outside its folder (read-only at start), an earlier run of A recorded: that run is finished and recorded once, not 'finished already' (review-r F4)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const earlier = await runCliProcess(["start", del, "--agent", "A"], FULL_FLAGS, { TMPDIR: tmp });
  assertEquals(earlier.code, 0, earlier.stderr);
  const first = await runCliProcess(
    ["finish", earlier.stdout.trim(), "--agent", "A", "--status", "SUCCESS"],
    FULL_FLAGS,
    { TMPDIR: tmp },
  );
  assertEquals(first.code, 0, first.stderr);
  const token = await startReadOnly(del, tmp);
  assertEquals(dirname(dirname(token)), tmp);
  const finish = await runCliProcess(
    ["finish", del, "--agent", "A", "--status", "PARTIAL", "--error", "half done"],
    FULL_FLAGS,
    { TMPDIR: tmp },
  );
  assertEquals(finish.code, 0, finish.stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.RunStatus), ["SUCCESS", "PARTIAL"]);
  assertIncludes(records[1].Notes, `run ${basename(token, ".json")}`);
  await Deno.stat(token).then(
    () => {
      throw new Error(`${token} is still there`);
    },
    (e) => assertEquals(e instanceof Deno.errors.NotFound, true, String(e)),
  );
  const reap = await runCliProcess(["reap", root, "--older-than", "0s"], FULL_FLAGS, {
    TMPDIR: tmp,
  });
  assertEquals(reap.code, 0, reap.stderr);
  assertEquals((await recordsOf(del)).length, 2);
  // Beside a run pending in the folder: both named; --run <its id> finishes it from its file.
  const kept = await startReadOnly(del, tmp);
  const inside = await runCliProcess(["start", del, "--agent", "A"], FULL_FLAGS, { TMPDIR: tmp });
  const two = await runCliProcess(
    ["finish", del, "--agent", "A", "--status", "SUCCESS"],
    FULL_FLAGS,
    { TMPDIR: tmp },
  );
  assertEquals(two.code, 2, two.stderr);
  assertIncludes(two.stderr, "2 pending runs of A; name one with --run: ");
  assertIncludes(two.stderr, basename(kept, ".json"));
  for (const named of [["--run", basename(kept, ".json")], ["--run", inside.stdout.trim()]]) {
    const out = await runCliProcess(
      ["finish", del, ...named, "--agent", "A", "--status", "SUCCESS"],
      FULL_FLAGS,
      { TMPDIR: tmp },
    );
    assertEquals(out.code, 0, out.stderr);
  }
  const reapAgain = await runCliProcess(["reap", root, "--older-than", "0s"], FULL_FLAGS, {
    TMPDIR: tmp,
  });
  assertEquals([reapAgain.code, reapAgain.stdout], [0, ""], reapAgain.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.RunStatus), [
    "SUCCESS",
    "PARTIAL",
    "SUCCESS",
    "SUCCESS",
  ]);
  for (const dir of [root, tmp]) await Deno.remove(dir, { recursive: true });
});

Deno.test("a run kept outside its read-only folder and reaped FAILED stays beside its token: the late finish records the agent's outcome superseding the FAILED record, with the folder read-only still, writable again, or writable at the reap (soak4 F3); writable by the late finish, it appends reap's spooled record first and supersedes it, no advice to annotate, and reap's record, spooled, not called \"not found\" (soak5 F1, F2, review-u F8)", async () => {
  for (const when of ["read-only", "flushed first", "writable at reap", "writable at finish"]) {
    const { root, del } = await makeProject();
    const tmp = await tempDir();
    const env = { TMPDIR: tmp };
    await sh("mount", "--bind", del, del);
    await sh("mount", "-o", "remount,ro,bind", del);
    let mounted = true;
    const unmount = async () => {
      if (mounted) await sh("umount", del);
      mounted = false;
    };
    try {
      const start = await runCliProcess(["start", del, "--agent", "A"], FULL_FLAGS, env);
      assertEquals(start.code, 0, start.stderr);
      const token = start.stdout.trim();
      const kept = join(dirname(token), "reaped", basename(token));
      if (when === "writable at reap") await unmount();
      const reap = await runCliProcess(["reap", root, "--older-than", "0s"], FULL_FLAGS, env);
      assertEquals(reap.code, 0, reap.stderr);
      assertEquals((await Deno.stat(kept)).isFile, true, "kept beside the token");
      if (when === "flushed first") {
        await unmount();
        const flush = await runCliProcess(["flush", root], FULL_FLAGS, env);
        assertEquals(flush.code, 0, flush.stderr);
      }
      // Another reap meanwhile leaves it there.
      const again = await runCliProcess(["reap", root, "--older-than", "0s"], FULL_FLAGS, env);
      assertEquals([again.code, again.stdout], [0, ""], again.stderr);
      if (when === "writable at finish") await unmount();
      const late = await runCliProcess(
        ["finish", token, "--status", "PARTIAL", "--notes", "agent-outcome"],
        FULL_FLAGS,
        env,
      );
      assertEquals(late.code, 0, late.stderr);
      // The two records are linked once both are in the file: nothing for the user to annotate.
      assertEquals(late.stderr.includes("annotate"), false, late.stderr);
      await unmount();
      const flush = await runCliProcess(["flush", root], FULL_FLAGS, env);
      assertEquals(flush.code, 0, flush.stderr);
      const records = await recordsOf(del);
      assertEquals(records.map((r) => r.RunStatus), ["FAILED", "PARTIAL"], when);
      assertIncludes(records[1].Notes, `supersedes=${records[0].RunID}`);
      assertEquals(records[1].Notes.includes("not found"), false, records[1].Notes);
      // Spooled beside reap's record, the finish does not call that record "not found" (review-u F8).
      assertEquals(late.stderr.includes("not found"), false, `${when}: ${late.stderr}`);
      assertEquals([...Deno.readDirSync(dirname(kept))], [], "nothing left to finish");
      const after = await runCliProcess(["finish", token, "--status", "PARTIAL"], FULL_FLAGS, env);
      assertEquals(after.code, 2, after.stderr);
      assertEquals((await recordsOf(del)).length, 2);
    } finally {
      await unmount();
    }
    for (const dir of [root, tmp]) await Deno.remove(dir, { recursive: true });
  }
});
