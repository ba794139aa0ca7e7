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

/** The entry files of a spool folder. */
function entriesIn(folder: string): string[] {
  try {
    return [...Deno.readDirSync(folder)].map((e) => e.name).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
}

Deno.test("spool places: an entry in the user's spool whose folder's label was renamed is named by log of the renamed folder and appended to it by flush, which says so", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const env = { TMPDIR: tmp };
  const shared = join(tmp, `runrec-spool-${Deno.uid()}`);
  const emit = await emitReadOnly(del, "A", env);
  assertMatch(emit.stderr, new RegExp(`spooled to ${shared}/`));
  const renamed = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing_Renamed");
  await Deno.rename(del, renamed); // git mv of the label: same DeliverableID
  const log = await runCliProcess(["log", renamed], FULL_FLAGS, env);
  assertMatch(log.stderr, /Renamed\/RunRecords\.csv: 1 spooled record\(s\) not in the file yet/);
  const flush = await runCliProcess(["flush", renamed], FULL_FLAGS, env);
  assertEquals(flush.code, 0, flush.stderr);
  assertMatch(
    flush.stdout,
    new RegExp(`its folder ${del} is gone; appended to ${renamed}/RunRecords\\.csv`),
  );
  assertEquals(await agentsIn(join(renamed, RECORD_FILE)), ["A"]);
  assertEquals(entriesIn(shared), []);
});

Deno.test("spool places: an entry whose folder moved to another package is one STUCK line for a flush of that folder (exit 1), saying what to do; a flush of another deliverable warns and exits 0; the advice appends it once", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const env = { TMPDIR: tmp };
  const shared = join(tmp, `runrec-spool-${Deno.uid()}`);
  const other = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_Other");
  await Deno.mkdir(other);
  await Deno.writeTextFile(join(other, "_CONTEXT.md"), "**DeliverableID:** DEL-01-03\n");
  const emit = await emitReadOnly(del, "A", env);
  assertMatch(emit.stderr, new RegExp(`spooled to ${shared}/`));
  const [entry] = entriesIn(shared);
  const moved = join(root, "PKG-02_Pkg", "1_Working", "DEL-01-02_Thing");
  await Deno.mkdir(join(root, "PKG-02_Pkg", "1_Working"), { recursive: true });
  await Deno.rename(del, moved);

  const unrelated = await runCliProcess(["flush", other], FULL_FLAGS, env);
  assertEquals(unrelated.code, 0, unrelated.stderr);
  assertMatch(
    unrelated.stderr,
    new RegExp(
      `warning: not of the folders named, not failed for: STUCK: ${shared}/${entry}: ` +
        `its deliverable folder ${del} is gone`,
    ),
  );
  const named = await runCliProcess(["flush", moved], FULL_FLAGS, env);
  assertEquals(named.code, 1);
  assertEquals(
    named.stderr,
    `runrec: warning: STUCK: ${shared}/${entry}: its deliverable folder ${del} is gone ` +
      `(renamed, moved or removed); move the folder back, or move this entry into ` +
      `${moved}/.runrec-spool/ (mkdir it) and runrec flush ${moved}\n`,
  );
  assert(!/No such file|os error/.test(named.stderr), named.stderr);
  assertEquals(await agentsIn(join(moved, RECORD_FILE)), []);
  assertEquals(entriesIn(shared), [entry]);

  await Deno.mkdir(join(moved, ".runrec-spool"));
  await Deno.rename(join(shared, entry), join(moved, ".runrec-spool", entry));
  for (let i = 0; i < 2; i++) {
    const flush = await runCliProcess(["flush", moved], FULL_FLAGS, env);
    assertEquals(flush.code, 0, flush.stderr);
  }
  assertEquals(await agentsIn(join(moved, RECORD_FILE)), ["A"]);
});

Deno.test("spool places: a flush of one deliverable is not failed by another's record that stays spooled (its folder read-only): a warning, exit 0; a flush of that one still fails", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const env = { TMPDIR: tmp };
  const other = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_Other");
  await Deno.mkdir(other);
  await sh("mount", "--bind", del, del);
  try {
    await sh("mount", "-o", "remount,ro,bind", del);
    const emit = await runCliProcess(
      ["emit", del, "--agent", "A", "--status", "SUCCESS"],
      FULL_FLAGS,
      env,
    );
    assertMatch(emit.stderr, /spooled to /);
    const unrelated = await runCliProcess(["flush", other], FULL_FLAGS, env);
    assertEquals(unrelated.code, 0, unrelated.stderr);
    assertMatch(
      unrelated.stderr,
      /^runrec: warning: not of the folders named, not failed for: .*DEL-01-02_Thing\/RunRecords\.csv: 1 spooled record\(s\) not replayed: Read-only file system/,
    );
    const own = await runCliProcess(["flush", del], FULL_FLAGS, env);
    assertEquals(own.code, 1, own.stderr);
  } finally {
    await sh("umount", del);
  }
  const flush = await runCliProcess(["flush", other], FULL_FLAGS, env);
  assertEquals(flush.code, 0, flush.stderr);
  assertEquals(await agentsIn(join(del, RECORD_FILE)), ["A"]);
});
