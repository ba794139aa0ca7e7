/**
 * Where a spooled record waits and who finds it: a relative
 * `$RUNREC_SPOOL_DIR` (not used, said once), a `$RUNREC_SPOOL_DIR` that is a
 * file, and an entry in the user's spool whose deliverable folder was renamed,
 * moved or removed (appended nowhere; a failure for a flush of a folder it was
 * at or beneath). Real read-only bind mounts make the writes fail; every
 * command runs as a real process under the production flags.
 *
 * @module
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { runScript } from "./support/library_script.ts";

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
  // Where the records go meanwhile, in the order tried (the deliverable here is read-only).
  const shared = `${tmp}/runrec-spool-${Deno.uid()}`;
  assertMatch(
    emit.stderr,
    new RegExp(`\\(meanwhile: the deliverable's own \\.runrec-spool/, else ${shared}\\)\n`),
  );
  assertMatch(emit.stderr, new RegExp(`spooled to ${shared}/`));
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

Deno.test("spool places: a relative $TMPDIR is not used, saying why; the record waits in /tmp's user spool, where flush from elsewhere appends it (env-signals F4)", async () => {
  const { root, del } = await makeProject();
  const agentCwd = await tempDir();
  const env = { TMPDIR: "reltmp" };
  const warning =
    /warning: \$TMPDIR "reltmp" is not used for runrec's spool and pending runs: it is a relative path/g;
  const emit = await emitReadOnly(del, "A", env, agentCwd);
  assertEquals(emit.code, 0, emit.stderr);
  assertEquals(emit.stderr.match(warning)?.length, 1, emit.stderr);
  assertMatch(emit.stderr, new RegExp(`spooled to /tmp/runrec-spool-${Deno.uid()}/`));
  // Nothing under the writer's working folder, where no one else would look.
  assertEquals([...Deno.readDirSync(agentCwd)], []);
  const flush = await runCliProcess(["flush", del], FULL_FLAGS, env, root);
  assertEquals(flush.code, 0, flush.stderr);
  assertMatch(flush.stdout, /replayed into DEL-01-02/);
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

/** The STUCK line of the user's spool entry `entry` whose folder `del` is gone, with its advice. */
function goneLine(entry: string, del: string, home?: string): string {
  const move = home
    ? `${home}/.runrec-spool/ (mkdir it) and runrec flush ${home}`
    : "the .runrec-spool/ of the folder this record belongs to (mkdir it) and runrec flush that folder";
  return `STUCK: ${entry}: its deliverable folder ${del} is gone (renamed, moved or removed); ` +
    `move the folder back, or move this entry into ${move}`;
}

Deno.test("spool places: an entry in the user's spool whose folder is gone is appended nowhere, not to the one folder of its ID beside it (a renamed label): flush and emit leave it as spooled, and it goes to its folder once that is back", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const env = { TMPDIR: tmp };
  const shared = join(tmp, `runrec-spool-${Deno.uid()}`);
  const emit = await emitReadOnly(del, "A", env);
  assertMatch(emit.stderr, new RegExp(`spooled to ${shared}/`));
  const [entry] = entriesIn(shared);
  const spooled = await Deno.readTextFile(join(shared, entry));
  const renamed = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing_Renamed");
  await Deno.rename(del, renamed); // a renamed label, a copy, another branch's: the same ID

  // A flush of the folder beside it: the entry is outside it, said with the advice, not failed.
  const flush = await runCliProcess(["flush", renamed], FULL_FLAGS, env);
  assertEquals(flush.code, 0, flush.stderr);
  assertEquals(
    flush.stderr,
    `runrec: warning: outside the folders named, not failed for: ${
      goneLine(join(shared, entry), del, renamed)
    }\n`,
  );
  // An emit there writes its own record and takes nothing from the user's spool.
  const next = await runCliProcess(
    ["emit", renamed, "--agent", "B", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
  );
  assertEquals(next.code, 0, next.stderr);
  assert(!/replayed/.test(next.stderr), next.stderr);
  assertEquals(await agentsIn(join(renamed, RECORD_FILE)), ["B"]);
  // The entry on disk is as spooled: it still names its own folder.
  assertEquals(await Deno.readTextFile(join(shared, entry)), spooled);

  await Deno.rename(renamed, del);
  const back = await runCliProcess(["flush", root], FULL_FLAGS, env);
  assertEquals(back.code, 0, back.stderr);
  assertEquals(await agentsIn(join(del, RECORD_FILE)), ["B", "A"]);
  assertEquals(entriesIn(shared), []);
});

Deno.test("spool places: a flush of a root fails (exit 1) for a record of a deliverable beneath it whose folder is gone (moved out of the root), in --json's failures", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const env = { TMPDIR: tmp };
  const shared = join(tmp, `runrec-spool-${Deno.uid()}`);
  await emitReadOnly(del, "A", env);
  const [entry] = entriesIn(shared);
  await Deno.rename(del, join(tmp, "moved-out"));
  const flush = await runCliProcess(["flush", root], FULL_FLAGS, env);
  assertEquals(flush.code, 1, flush.stderr);
  assertEquals(flush.stderr, `runrec: warning: ${goneLine(join(shared, entry), del)}\n`);
  const json = await runCliProcess(["flush", root, "--json"], FULL_FLAGS, env);
  assertEquals(json.code, 1, json.stderr);
  const report = JSON.parse(json.stdout);
  assertEquals(report.failures, [goneLine(join(shared, entry), del)]);
  assertEquals(report.elsewhere, []);
  assertEquals(entriesIn(shared), [entry]);
});

Deno.test("spool places: an entry whose folder moved to another package is one STUCK line, a failure for a flush of the root (exit 1), a warning for a flush of the moved folder or another, with what to do; the advice appends it once", async () => {
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
  const line = goneLine(join(shared, entry), del, moved);

  const unrelated = await runCliProcess(["flush", other], FULL_FLAGS, env);
  assertEquals(unrelated.code, 0, unrelated.stderr);
  assertEquals(
    unrelated.stderr,
    `runrec: warning: outside the folders named, not failed for: ${
      goneLine(join(shared, entry), del)
    }\n`,
  );
  const named = await runCliProcess(["flush", moved], FULL_FLAGS, env);
  assertEquals(named.code, 0, named.stderr);
  assertEquals(
    named.stderr,
    `runrec: warning: outside the folders named, not failed for: ${line}\n`,
  );
  const all = await runCliProcess(["flush", root], FULL_FLAGS, env);
  assertEquals(all.code, 1);
  assertEquals(all.stderr, `runrec: warning: ${line}\n`);
  assert(!/No such file|os error/.test(all.stderr), all.stderr);
  assertEquals(await agentsIn(join(moved, RECORD_FILE)), []);
  assertEquals(entriesIn(shared), [entry]);

  await Deno.mkdir(join(moved, ".runrec-spool"));
  await Deno.rename(join(shared, entry), join(moved, ".runrec-spool", entry));
  for (let i = 0; i < 2; i++) {
    const flush = await runCliProcess(["flush", root], FULL_FLAGS, env);
    assertEquals(flush.code, 0, flush.stderr);
  }
  assertEquals(await agentsIn(join(moved, RECORD_FILE)), ["A"]);
});

Deno.test("spool places: the STUCK advice for a gone folder of another project names no folder of this one, and a flush of this project's deliverable of that ID is not failed for it", async () => {
  const a = await makeProject();
  const b = await makeProject();
  const tmp = await tempDir();
  const env = { TMPDIR: tmp };
  const shared = join(tmp, `runrec-spool-${Deno.uid()}`);
  await emitReadOnly(a.del, "A_RUN", env);
  const [entry] = entriesIn(shared);
  await Deno.remove(a.del, { recursive: true });
  const flush = await runCliProcess(["flush", b.del], FULL_FLAGS, env);
  assertEquals(flush.code, 0, flush.stderr);
  assertEquals(
    flush.stderr,
    `runrec: warning: outside the folders named, not failed for: ${
      goneLine(join(shared, entry), a.del)
    }\n`,
  );
  assert(!flush.stderr.includes(b.root), flush.stderr);
  assertEquals(await agentsIn(join(b.del, RECORD_FILE)), []);
  assertEquals(entriesIn(shared), [entry]);
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
      /^runrec: warning: outside the folders named, not failed for: .*DEL-01-02_Thing\/RunRecords\.csv: 1 spooled record\(s\) not replayed: \S*RunRecords\.csv\.lock: cannot take the lock: Read-only file system/,
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

Deno.test("flushes at once over one user spool: no false STUCK for an entry another flush took (each record once); an unreadable entry is still STUCK", async () => {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir() };
  const spool = join(env.TMPDIR, `runrec-spool-${Deno.uid()}`);
  let total = 0;
  for (let round = 0; round < 5; round++) {
    await sh("mount", "--bind", del, del);
    try {
      await sh("mount", "-o", "remount,ro,bind", del);
      // The 20 runs spooled by one process, the hook emit calls (recordRun): 20 CLI processes
      // took 6 s a round, and the flushes after are what this test is of.
      const { answer } = await runScript(
        root,
        ["--allow-read", "--allow-write", "--allow-env", "--allow-sys", "--allow-run"],
        `const spooled = [];\nfor (let i = 0; i < 20; i++) {\n` +
          `  const outcome = await rr.recordRun(${JSON.stringify(del)}, ` +
          `{ agent: \`S${round}_\${i}\`, status: "SUCCESS" });\n` +
          "  spooled.push(outcome.written === undefined && outcome.spooledTo !== undefined);\n}\n" +
          "return { spooled };",
        env,
      );
      assertEquals(answer.spooled, Array(20).fill(true), JSON.stringify(answer));
    } finally {
      await sh("umount", del);
    }
    total += 20;
    const flushes = await Promise.all(
      [1, 2, 3, 4].map(() => runCliProcess(["flush", root], FULL_FLAGS, env)),
    );
    for (const flush of flushes) {
      assertEquals(flush.stderr.includes("STUCK"), false, flush.stderr);
      // Exit 1 only for an entry another flush was appending as this one ended (CLAIMED by it).
      const others = flush.stderr.split("\n").filter((l) => l !== "" && !l.includes("CLAIMED by"));
      assertEquals([flush.code === 0 || flush.stderr.includes("CLAIMED by"), others], [true, []]);
    }
    const agents = await agentsIn(join(del, RECORD_FILE));
    assertEquals([agents.length, new Set(agents).size], [total, total]);
  }
  // An entry there that cannot be read is not "gone": said, exit 1.
  await Deno.writeTextFile(join(spool, "1-garbage.json"), "{ not json");
  const garbage = await runCliProcess(["flush", root], FULL_FLAGS, env);
  assertEquals(garbage.code, 1, garbage.stderr);
  assertMatch(garbage.stderr, /STUCK: .*1-garbage\.json: unreadable spool entry/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("spool places: a $RUNREC_SPOOL_DIR longer than any path is named shortened, once, in its STUCK line (env-signals F9)", async () => {
  const { del } = await makeProject();
  const long = `/${"a".repeat(100_000)}`;
  const flush = await runCliProcess(["flush", del], FULL_FLAGS, { RUNREC_SPOOL_DIR: long });
  assertEquals(flush.code, 1, flush.stderr);
  const [line] = flush.stderr.split("\n").filter((l) => l.includes("STUCK"));
  assert(line.length < 5_000, `${line.length} characters`);
  assertMatch(line, /STUCK: \/a+…a+: cannot list: /);
});
