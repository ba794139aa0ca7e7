/**
 * runrec's own state folders and their entries (`.runrec/`, its pending
 * runs, `.runrec-spool/`) holding what runrec did not put there: a symbolic
 * link, a folder where a file goes. Never written through, never passed over
 * in silence.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/state_entries_test.ts
 * ```
 *
 * @module
 */
import { dirname, join } from "node:path";
import { assertEquals, assertIncludes } from "./assert.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { runCliProcess } from "./cli.ts";
import { isolatedProject, recordsOf } from "./support/runs.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { runAsNobody } from "./support/nobody.ts";

const ENTRY = CLI_ENTRY;

Deno.test("state folders: a .runrec (or .runrec/pending) that is a symbolic link is not written through, nor read (sandboxed-sweep F1)", async () => {
  for (const linked of [".runrec", join(".runrec", "pending")]) {
    const { del, env } = await isolatedProject();
    const outside = await tempDir({ prefix: "runrec-outside-" });
    await Deno.mkdir(join(del, ".runrec"), { recursive: true });
    if (linked === ".runrec") await Deno.remove(join(del, ".runrec"));
    await Deno.symlink(outside, join(del, linked));
    const emitted = await runCliProcess(
      ["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
      FULL_FLAGS,
      env,
    );
    assertEquals(emitted.code, 0, emitted.stderr);
    await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"], FULL_FLAGS, env);
    await runCliProcess(["reap", del, "--older-than", "0s"], FULL_FLAGS, env);
    assertEquals([...Deno.readDirSync(outside)].map((e) => e.name), [], linked);
    // A run planted there is no run of this deliverable's.
    await Deno.writeTextFile(join(outside, "planted.json"), "{}");
    const log = await runCliProcess(["log", del], FULL_FLAGS, env);
    assertEquals(log.stderr.includes("planted"), false, log.stderr);
    assertEquals((await recordsOf(del)).length >= 1, true);
  }
});

Deno.test("state entries: a spool entry that is a link or a folder is STUCK for flush (exit 1) and named by log, never 'nothing spooled' (bad-input F1)", async () => {
  for (const kind of ["link", "folder"] as const) {
    const { del, env } = await isolatedProject();
    const entry = join(del, ".runrec-spool", "1796423902382-5083-0001-2a03405a.json");
    await Deno.mkdir(join(del, ".runrec-spool"));
    if (kind === "link") await Deno.symlink(join(del, "elsewhere.json"), entry);
    else await Deno.mkdir(entry);
    const flushed = await runCliProcess(["flush", del], FULL_FLAGS, env);
    assertEquals(flushed.code, 1, flushed.stdout + flushed.stderr);
    assertIncludes(flushed.stderr, `STUCK: ${entry}: not replayed: a `);
    const log = await runCliProcess(["log", del], FULL_FLAGS, env);
    assertIncludes(log.stderr, "1 STUCK");
  }
});

Deno.test("state entries: a folder under a pending run's name is named by finish and reap, never 'no pending run' alone (bad-input F2)", async () => {
  const { del, env } = await isolatedProject();
  const run = join(del, ".runrec", "pending", "20261204T100000000Z-abcdef12.json");
  await Deno.mkdir(run, { recursive: true });
  const finish = await runCliProcess(
    ["finish", del, "--agent", "A", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(finish.code, 2);
  assertIncludes(finish.stderr, `${run}: a folder, not a run file runrec wrote`);
  const reap = await runCliProcess(["reap", del], FULL_FLAGS, env);
  assertIncludes(reap.stderr, `${run}: a folder, not a run file runrec wrote`);
});

Deno.test("an append whose journal note fails (.runrec/ another user made under umask 077) is written with a warning saying a git drop of it will not be undone: not silently unprotected (env-signals F7)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  // A shared checkout: every folder open to all, the record file too.
  await new Deno.Command("chmod", { args: ["-R", "a+rwX", root] }).output();
  for (let dir = dirname(root); dir !== "/"; dir = dirname(dir)) {
    await new Deno.Command("chmod", { args: ["a+x", dir] }).output();
  }
  const emit = await new Deno.Command("sh", {
    args: [
      "-c",
      `umask 077; exec '${Deno.execPath()}' run ${FULL_FLAGS.join(" ")} '${ENTRY}' emit '${del}' ` +
      "--agent ROOT --status SUCCESS",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(emit.code, 0, new TextDecoder().decode(emit.stderr));
  await Deno.chmod(join(del, "RunRecords.csv"), 0o666);
  const other = await runAsNobody(["emit", del, "--agent", "OTHER", "--status", "SUCCESS"]);
  assertEquals(other.code, 0, other.stderr);
  const runId = other.stdout.trim();
  assertEquals((await recordsOf(del)).map((r) => r.RunID).at(-1), runId);
  assertIncludes(
    other.stderr,
    `runrec: warning: ${runId} is written, but could not be noted in ` +
      `${join(del, ".runrec", "RunRecords.csv.journal")} (permission denied): a git pull or ` +
      "checkout that drops it before it is committed will not be undone",
  );
  await Deno.remove(root, { recursive: true });
});
