/**
 * Where a spooled record waits and who finds it: a relative
 * `$RUNREC_SPOOL_DIR` (not used, said once), a `$RUNREC_SPOOL_DIR` that is a
 * file, and an entry in the user's spool whose deliverable folder was renamed
 * or is gone. Real read-only bind mounts make the writes fail; every command
 * runs as a real process under the production flags.
 *
 * @module
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { RECORD_FILE } from "../src/store.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, tempDir } from "./fixtures.ts";

async function sh(command: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command(command, { args, stderr: "piped" }).output();
  assertEquals(
    out.code,
    0,
    `${command} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
  );
}

/**
 * Runs `emit` by `agent` on `del` while `del` is a real read-only bind mount
 * of itself, so that the record is spooled; the mount is gone on return.
 */
async function emitReadOnly(
  del: string,
  agent: string,
  env: Record<string, string>,
  cwd?: string,
) {
  await sh("mount", "--bind", del, del);
  try {
    await sh("mount", "-o", "remount,ro,bind", del);
    const args = ["emit", del, "--agent", agent, "--status", "SUCCESS"];
    return await runCliProcess(args, FULL_FLAGS, env, cwd);
  } finally {
    await sh("umount", del);
  }
}

/** Agent names of the records in a record file, in file order. */
async function agentsIn(file: string): Promise<string[]> {
  const text = await Deno.readTextFile(file).catch(() => "");
  return text.trimEnd().split("\n").slice(1).filter((l) => l !== "").map((l) => l.split(",")[3]);
}

Deno.test("spool places: a relative $RUNREC_SPOOL_DIR is not used, saying why once; the record waits in the user's spool, where log sees it and flush from elsewhere appends it", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const agentCwd = await tempDir();
  const env = { TMPDIR: tmp, RUNREC_SPOOL_DIR: ".runrec-spool-rel" };
  const warning =
    /warning: \$RUNREC_SPOOL_DIR "\.runrec-spool-rel" is not used: it is a relative path/g;
  const emit = await emitReadOnly(del, "A", env, agentCwd);
  assertEquals(emit.code, 0, emit.stderr);
  assertEquals(emit.stderr.match(warning)?.length, 1, emit.stderr);
  assertMatch(emit.stderr, new RegExp(`spooled to ${tmp}/runrec-spool-${Deno.uid()}/`));
  // Nothing under the writer's working folder, where no one else would look.
  assertEquals([...Deno.readDirSync(agentCwd)], []);
  const log = await runCliProcess(["log", del], FULL_FLAGS, env, root);
  assertMatch(log.stderr, /1 spooled record\(s\) not in the file yet/);
  assertEquals(log.stderr.match(warning)?.length, 1, log.stderr);
  const flush = await runCliProcess(["flush", "."], FULL_FLAGS, env, root);
  assertEquals(flush.code, 0, flush.stderr);
  assertMatch(flush.stdout, /replayed into DEL-01-02/);
  assertEquals(flush.stderr.match(warning)?.length, 1, flush.stderr);
  assertEquals(await agentsIn(join(del, RECORD_FILE)), ["A"]);
});

Deno.test("spool places: a $RUNREC_SPOOL_DIR that is a file is passed over as not a folder", async () => {
  const { del } = await makeProject();
  const tmp = await tempDir();
  const file = join(tmp, "not-a-folder");
  await Deno.writeTextFile(file, "in the way\n");
  const env = { TMPDIR: tmp, RUNREC_SPOOL_DIR: file };
  const emit = await emitReadOnly(del, "A", env);
  assertEquals(emit.code, 0, emit.stderr);
  assertMatch(
    emit.stderr,
    new RegExp(`\\(not in ${file}: not used: it is a file, not a folder\\)`),
  );
  assert(!/File exists/.test(emit.stderr), emit.stderr);
  assertEquals(await Deno.readTextFile(file), "in the way\n");
  const flush = await runCliProcess(["flush", del], FULL_FLAGS, env);
  assertEquals(flush.code, 0, flush.stderr);
  assertEquals(await agentsIn(join(del, RECORD_FILE)), ["A"]);
});
