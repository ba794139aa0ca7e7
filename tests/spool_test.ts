/**
 * The spool under real faults: replays killed mid-way, failed fsyncs, lost
 * records, read-only and foreign spool folders, a symlinked record file.
 * Each case runs the CLI as a real process; faults are injected with
 * `strace`, bind mounts and real links, never mocked.
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { newSpoolEntry, SPOOL_FOLDER, type SpoolEntry, spoolRecord } from "../src/spool.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, ROOT, sampleDraft, tempDir } from "./fixtures.ts";

/** A project with one record spooled in the deliverable's own spool folder, by agent EARLIER. */
async function projectWithSpooled() {
  const { root, del } = await makeProject();
  const tmp = await tempDir(); // the user's spool folder goes here, not in the real /tmp
  const file = join(del, RECORD_FILE);
  const draft = sampleDraft({ DeliverableID: "DEL-01-02", AgentName: "EARLIER" });
  spoolRecord(del, newSpoolEntry(file, draft, "test fault"));
  const env = { TMPDIR: tmp };
  const cleanup = async () => {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  };
  return { root, del, file, env, cleanup };
}

/** Agent names of the records in a record file, in file order. */
async function agentsIn(file: string): Promise<string[]> {
  const text = await Deno.readTextFile(file).catch(() => "");
  return text.trimEnd().split("\n").slice(1).filter((l) => l !== "").map((l) => l.split(",")[3]);
}

function entriesIn(folder: string): string[] {
  try {
    return [...Deno.readDirSync(folder)].map((e) => e.name).filter((n) => n !== ".gitignore")
      .sort();
  } catch {
    return [];
  }
}

/** Starts the CLI under `strace` with the given fault-injection arguments. */
function underStrace(args: string[], strace: string[], env: Record<string, string>) {
  return new Deno.Command("strace", {
    args: [
      "-f",
      "-qq",
      "-o",
      "/dev/null",
      ...strace,
      Deno.execPath(),
      "run",
      ...FULL_FLAGS,
      CLI_ENTRY,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
}

/** Waits (polling a folder, with a deadline) until a file whose name matches `pattern` appears. */
async function waitForFile(folder: string, pattern: RegExp, deadlineMs = 20_000): Promise<string> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    const name = entriesIn(folder).find((n) => pattern.test(n));
    if (name) return name;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no file matching ${pattern} appeared in ${folder} within ${deadlineMs} ms`);
}

Deno.test("spool: a replay killed right after claiming its entry is taken back and replayed by flush", async () => {
  const { del, file, env, cleanup } = await projectWithSpooled();
  try {
    // Every rename stalls for 3 s once done: the claim is a rename, and the kill lands in the stall.
    const child = underStrace(
      ["emit", del, "--agent", "NOW", "--status", "SUCCESS"],
      ["-e", "trace=rename,renameat,renameat2", "-e", "inject=all:delay_exit=3000000"],
      env,
    );
    const claim = await waitForFile(join(del, SPOOL_FOLDER), /\.claim-\d+@/);
    const pid = Number(/\.claim-(\d+)@/.exec(claim)![1]);
    Deno.kill(pid, "SIGKILL");
    await child.output();
    assertEquals(await agentsIn(file), [], "killed before its write");
    // The claimer is gone: flush takes the claim back and appends the record, once.
    const flush = await runCliProcess(["flush", del], FULL_FLAGS, env);
    assertEquals(flush.code, 0, flush.stderr);
    assertMatch(flush.stdout, /^RUN-DEL-01-02-\d{8}-\d{4}-001 {2}replayed into DEL-01-02\n$/);
    assertEquals(await agentsIn(file), ["EARLIER"]);
    assertEquals(entriesIn(join(del, SPOOL_FOLDER)), []);
    const again = await runCliProcess(["flush", del], FULL_FLAGS, env);
    assertEquals([again.code, again.stdout], [0, "nothing spooled\n"]);
  } finally {
    await cleanup();
  }
});

Deno.test("spool: flush lists an entry claimed by a live replayer, and replays one whose claimer is dead", async () => {
  const { del, file, env, cleanup } = await projectWithSpooled();
  try {
    const spool = join(del, SPOOL_FOLDER);
    const [entry] = entriesIn(spool);
    const host = Deno.hostname().replace(/[^0-9A-Za-z.-]/g, "_");
    // Claimed by this test process, which is alive: left alone, and shown.
    await Deno.rename(join(spool, entry), join(spool, `${entry}.claim-${Deno.pid}@${host}`));
    const live = await runCliProcess(["flush", del], FULL_FLAGS, env);
    assertEquals(live.code, 1, live.stderr);
    assertMatch(live.stderr, new RegExp(`CLAIMED by ${Deno.pid}@`));
    assertEquals(await agentsIn(file), []);
    // Claimed by a process that has ended: taken back and replayed.
    const ended = new Deno.Command("true").spawn();
    await ended.status;
    await Deno.rename(
      join(spool, `${entry}.claim-${Deno.pid}@${host}`),
      join(spool, `${entry}.claim-${ended.pid}@${host}`),
    );
    const dead = await runCliProcess(["flush", del], FULL_FLAGS, env);
    assertEquals(dead.code, 0, dead.stderr);
    assertEquals(await agentsIn(file), ["EARLIER"]);
  } finally {
    await cleanup();
  }
});

Deno.test("spool: a replay whose write landed but whose fsync failed is never appended again", async () => {
  const { del, file, env, cleanup } = await projectWithSpooled();
  try {
    const child = underStrace(
      ["flush", del],
      ["-e", "trace=fsync,fdatasync", "-e", "inject=all:error=EIO"],
      env,
    );
    const failed = await child.output();
    const stderr = new TextDecoder().decode(failed.stderr);
    assertMatch(stderr, /replayed, but .*fsync failed/);
    assertEquals(await agentsIn(file), ["EARLIER"], "the bytes landed");
    // However often it is flushed again, the record is in the file once.
    for (let i = 0; i < 2; i++) {
      const flush = await runCliProcess(["flush", del], FULL_FLAGS, env);
      assertEquals(flush.code, 0, flush.stderr);
    }
    const emit = await runCliProcess(["emit", del, "--agent", "NOW", "--status", "SUCCESS"], [
      ...FULL_FLAGS,
    ], env);
    assertEquals(emit.code, 0, emit.stderr);
    assertEquals(await agentsIn(file), ["EARLIER", "NOW"]);
  } finally {
    await cleanup();
  }
});

Deno.test("spool: an emit whose fsync fails keeps its landed record out of the spool", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const child = underStrace(
      ["emit", del, "--agent", "NOW", "--status", "SUCCESS"],
      ["-e", "trace=fsync,fdatasync", "-e", "inject=all:error=EIO"],
      { TMPDIR: tmp },
    );
    const out = await child.output();
    assertEquals(out.code, 0);
    assertMatch(new TextDecoder().decode(out.stderr), /RUN-\S+ written but not confirmed/);
    const next = await runCliProcess(["emit", del, "--agent", "NEXT", "--status", "SUCCESS"], [
      ...FULL_FLAGS,
    ], { TMPDIR: tmp });
    assertEquals(next.code, 0, next.stderr);
    assertEquals(await agentsIn(join(del, RECORD_FILE)), ["NOW", "NEXT"]);
    assertEquals(entriesIn(join(del, SPOOL_FOLDER)), []);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("spool: a record neither written nor spooled is printed whole and appended once by flush --from", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    // Every place is blocked: a folder where RunRecords.csv belongs, a file where the spool
    // folder belongs, and spool folders under a file (ENOTDIR).
    await Deno.mkdir(join(del, RECORD_FILE));
    await Deno.writeTextFile(join(del, SPOOL_FOLDER), "");
    const blocker = join(tmp, "a-file");
    await Deno.writeTextFile(blocker, "");
    const env = { TMPDIR: blocker, RUNREC_SPOOL_DIR: join(blocker, "spool") };
    const args = ["emit", del, "--agent", "LOST", "--status", "SUCCESS", "--notes", 'a, "b"'];
    const out = await runCliProcess(args, FULL_FLAGS, env);
    assertEquals(out.code, 0, "the agent's run does not fail");
    assertMatch(out.stderr, /runrec: warning: record LOST: .*runrec flush --from FILE/);
    const lost = out.stderr.split("\n").filter((l) => l.startsWith("runrec: lost-record: {"));
    assertEquals(lost.length, 1, out.stderr);
    // --json says so too, with the line to save: a script reading stdout alone cannot miss it.
    const json = JSON.parse((await runCliProcess([...args, "--json"], FULL_FLAGS, env)).stdout);
    assertEquals([json.RunID, json.outcome], ["", "lost"]);
    assert(json.lostRecord.startsWith("runrec: lost-record: {"), json.lostRecord);
    const saved = join(tmp, "orchestrator.log");
    await Deno.writeTextFile(saved, `some agent output\n${out.stderr}`);
    // The fault is fixed; the orchestrator appends what it saved, twice by mistake.
    await Deno.remove(join(del, RECORD_FILE));
    const first = await runCliProcess(["flush", "--from", saved], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(first.code, 0, first.stderr);
    assertMatch(first.stdout, /^RUN-DEL-01-02-\d{8}-\d{4}-001 {2}replayed into DEL-01-02\n$/);
    const savedText = await Deno.readTextFile(saved);
    const second = await runCliProcess(["flush", "--from", saved], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(second.code, 0, second.stderr);
    // The saved file is the orchestrator's: nothing is removed from it, and nothing appended.
    assertMatch(
      second.stdout,
      /^RUN-DEL-01-02-\d{8}-\d{4}-001 {2}lost record [0-9a-f-]+ is already in its file; nothing appended\n$/,
    );
    assertEquals(await Deno.readTextFile(saved), savedText);
    assertEquals(await agentsIn(join(del, RECORD_FILE)), ["LOST"]);
    const line = (await Deno.readTextFile(join(del, RECORD_FILE))).split("\n")[1];
    assertIncludes(line, `"a, ""b"" | replayed from spool entry `);
    const missing = await runCliProcess(["flush", "--from", join(tmp, "nope")], FULL_FLAGS);
    assertEquals(missing.code, 2);
    assertMatch(missing.stderr, /^runrec flush: --from .*nope: cannot read: .*\n$/);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("spool: flush --from a file with no lost-record line says so (exit 0); a garbled lost-record line is named (exit 1)", async () => {
  const tmp = await tempDir();
  try {
    const garbage = join(tmp, "g.txt");
    await Deno.writeTextFile(garbage, "garbage\n{not json either\n");
    const none = await runCliProcess(["flush", "--from", garbage], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(none.code, 1, none.stderr); // a line of JSON that is no record is reported
    assertMatch(none.stderr, /^runrec: warning: .*g\.txt:2: not a lost record: /);
    await Deno.writeTextFile(garbage, "garbage\nsome agent output\n");
    const empty = await runCliProcess(["flush", "--from", garbage], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals([empty.code, empty.stderr], [0, ""]);
    assertEquals(empty.stdout, `${garbage}: no lost-record line in it; nothing appended\n`);
    // A lost-record line cut short or mangled is named, never passed over in silence.
    await Deno.writeTextFile(
      garbage,
      'ok\nrunrec: lost-record: garbage\nrunrec: lost-record: {"id\n',
    );
    const cut = await runCliProcess(["flush", "--from", garbage], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(cut.code, 1, cut.stderr);
    assertMatch(cut.stderr, /g\.txt:2: not a lost record: .*\n.*g\.txt:3: not a lost record: /);
    assert(!cut.stdout.includes("nothing"), cut.stdout);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("spool: flush reports an entry in a read-only spool as STUCK, exit 1", async () => {
  const { del, file, env, cleanup } = await projectWithSpooled();
  const spool = join(del, SPOOL_FOLDER);
  const mount = (args: string[]) => new Deno.Command("mount", { args }).output();
  const bound = await mount(["--bind", spool, spool]);
  assertEquals(bound.code, 0, new TextDecoder().decode(bound.stderr));
  try {
    assertEquals((await mount(["-o", "remount,bind,ro", spool])).code, 0);
    const flush = await runCliProcess(["flush", del], FULL_FLAGS, env);
    assertEquals(flush.code, 1, flush.stderr);
    assertMatch(
      flush.stderr,
      /STUCK: .*\.json: cannot be claimed for replay: Read-only file system/,
    );
    assertEquals(await agentsIn(file), []);
  } finally {
    await new Deno.Command("umount", { args: [spool] }).output();
    await cleanup();
  }
});

Deno.test("spool: a $RUNREC_SPOOL_DIR open to others or owned by another user is neither replayed nor written", async () => {
  const { del, file, cleanup, env } = await projectWithSpooled();
  const spool = await tempDir();
  try {
    // An entry someone else could have put there, naming this deliverable's record file.
    const draft = sampleDraft({ DeliverableID: "DEL-01-02", AgentName: "PLANTED" });
    await Deno.writeTextFile(
      join(spool, "1-1-planted.json"),
      JSON.stringify(newSpoolEntry(file, draft, "x")),
    );
    await Deno.remove(join(del, SPOOL_FOLDER), { recursive: true });
    const withSpool = { ...env, RUNREC_SPOOL_DIR: spool };
    await Deno.chmod(spool, 0o777);
    const open = await runCliProcess(["emit", del, "--agent", "A", "--status", "SUCCESS"], [
      ...FULL_FLAGS,
    ], withSpool);
    assertEquals(open.code, 0, open.stderr);
    assertMatch(
      open.stderr,
      /STUCK: .*1-1-planted\.json: not replayed: the folder is open to other/,
    );
    await Deno.chmod(spool, 0o700);
    await Deno.chown(spool, 4242, 4242);
    const foreign = await runCliProcess(["flush"], FULL_FLAGS, withSpool);
    assertEquals(foreign.code, 1);
    assertMatch(foreign.stderr, /not replayed: the folder is owned by uid 4242/);
    assertEquals(await agentsIn(file), ["A"]);
    // Nor is a record spooled there: it goes to the deliverable's own spool folder.
    await Deno.mkdir(join(del, "blocked"));
    await Deno.remove(file);
    await Deno.mkdir(file);
    const spooled = await runCliProcess(["emit", del, "--agent", "B", "--status", "SUCCESS"], [
      ...FULL_FLAGS,
    ], withSpool);
    assertMatch(spooled.stderr, /spooled to .*\.runrec-spool\//);
    assertEquals(entriesIn(spool), ["1-1-planted.json"]);
  } finally {
    await Deno.remove(spool, { recursive: true });
    await cleanup();
  }
});

Deno.test("store: a RunRecords.csv that is a symbolic link is refused; its target is untouched", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const elsewhere = join(root, "elsewhere.csv");
    await Deno.writeTextFile(elsewhere, "precious\n");
    await Deno.symlink(elsewhere, join(del, RECORD_FILE));
    const out = await runCliProcess(["emit", del, "--agent", "A", "--status", "SUCCESS"], [
      ...FULL_FLAGS,
    ], { TMPDIR: tmp });
    assertEquals(out.code, 0, out.stderr);
    assertMatch(
      out.stderr,
      /RunRecords\.csv: is a symbolic link; runrec reads and writes only a regular file/,
    );
    assertMatch(out.stderr, /spooled to /);
    assertEquals(await Deno.readTextFile(elsewhere), "precious\n");
    // Dangling, too: following it would create a file outside the deliverable.
    await Deno.remove(elsewhere);
    const dangling = await runCliProcess(["emit", del, "--agent", "A", "--status", "SUCCESS"], [
      ...FULL_FLAGS,
    ], { TMPDIR: tmp });
    assertMatch(dangling.stderr, /is a symbolic link/);
    let created = true;
    await Deno.lstat(elsewhere).catch(() => created = false);
    assert(!created, "nothing created at the link's target");
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("spool: with the lock held by a live writer, an emit waits once, not once per spooled record", async () => {
  const { del, file, env, cleanup } = await projectWithSpooled();
  const spool = join(del, SPOOL_FOLDER);
  for (const agent of ["EARLIER2", "EARLIER3"]) {
    spoolRecord(
      del,
      newSpoolEntry(file, sampleDraft({ DeliverableID: "DEL-01-02", AgentName: agent }), "x"),
    );
  }
  const holder = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "tests/support/hold_lock.ts"), `${file}.lock`, "30"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const lines = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let held = "";
  while (!held.includes("\n")) held += (await lines.read()).value ?? "";
  try {
    // Two emits at once: each waits one lock deadline (10 s), whatever the spool holds.
    await Promise.all(["NOW1", "NOW2"].map(async (agent) => {
      const started = Date.now();
      const out = await runCliProcess(["emit", del, "--agent", agent, "--status", "SUCCESS"], [
        ...FULL_FLAGS,
      ], env);
      const took = Date.now() - started;
      assertEquals(out.code, 0, out.stderr);
      assertMatch(out.stderr, /spooled to /);
      // One deadline is 10 s; one per record (the three spooled and its own) would be 40 s.
      assert(took < 25_000, `${agent} took ${took} ms: it waited more than one deadline`);
    }));
    assertEquals(entriesIn(spool).filter((n) => n.endsWith(".json")).length, 5);
  } finally {
    await holder.stdin.close();
    await holder.status;
    lines.releaseLock();
    await holder.stdout.cancel().catch(() => {});
  }
  // The two emits' records in the order they were spooled: by the time their ids start with.
  const spooledNow = entriesIn(spool).filter((n) => n.endsWith(".json"))
    .map((n) => JSON.parse(Deno.readTextFileSync(join(spool, n))) as SpoolEntry)
    .filter((entry) => entry.draft.AgentName.startsWith("NOW"))
    .sort((a, b) => parseInt(a.id) - parseInt(b.id) || (a.id < b.id ? -1 : 1))
    .map((entry) => entry.draft.AgentName);
  assertEquals(spooledNow.toSorted(), ["NOW1", "NOW2"]);
  // The writer is done: the next emit appends the five spooled records in order, then its own.
  const next = await runCliProcess(["emit", del, "--agent", "LAST", "--status", "SUCCESS"], [
    ...FULL_FLAGS,
  ], env);
  assertEquals(next.code, 0, next.stderr);
  assertEquals(await agentsIn(file), ["EARLIER", "EARLIER2", "EARLIER3", ...spooledNow, "LAST"]);
  await cleanup();
});

Deno.test("spool: log and verify name records still in the spool, claimed ones too", async () => {
  const { del, file, env, cleanup } = await projectWithSpooled();
  try {
    const spool = join(del, SPOOL_FOLDER);
    spoolRecord(del, newSpoolEntry(file, sampleDraft({ DeliverableID: "DEL-01-02" }), "x"));
    const [first] = entriesIn(spool);
    await Deno.rename(join(spool, first), join(spool, `${first}.claim-${Deno.pid}@elsewhere`));
    const emit = await runCliProcess(["emit", del, "--agent", "A", "--status", "SUCCESS"], [
      ...FULL_FLAGS,
    ], { ...env, RUNREC_SPOOL_DIR: join(del, "no-such", "x") });
    assertEquals(emit.code, 0, emit.stderr);
    for (const command of ["log", "verify"]) {
      const out = await runCliProcess([command, del], FULL_FLAGS, env);
      assertEquals(out.code, 0, out.stderr);
      assertMatch(
        out.stdout + out.stderr,
        new RegExp(
          `warning: .*RunRecords\\.csv: 0 spooled record\\(s\\) not in the file yet, 1 claimed by ` +
            `${Deno.pid}@elsewhere; append them with runrec flush `,
        ),
        command,
      );
    }
    const json = JSON.parse(
      (await runCliProcess(["verify", del, "--json"], FULL_FLAGS, env)).stdout,
    );
    assertEquals(json.spooled[0].claimedBy, [`${Deno.pid}@elsewhere`]);
  } finally {
    await cleanup();
  }
});

Deno.test("spool: an entry spooled before its deliverable folder was renamed is replayed into the renamed one", async () => {
  const { root, del, env, cleanup } = await projectWithSpooled();
  try {
    const renamed = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing_Renamed");
    await Deno.rename(del, renamed);
    const flush = await runCliProcess(["flush", renamed], FULL_FLAGS, env);
    assertEquals(flush.code, 0, flush.stderr);
    assertEquals(await agentsIn(join(renamed, RECORD_FILE)), ["EARLIER"]);
    // Another deliverable's entry planted in this spool folder is still refused.
    const other = sampleDraft({ DeliverableID: "DEL-09-09", AgentName: "OTHER" });
    spoolRecord(renamed, newSpoolEntry(join(root, "gone", RECORD_FILE), other, "x"));
    const planted = await runCliProcess(["flush", renamed], FULL_FLAGS, env);
    assertEquals(planted.code, 1);
    assertMatch(planted.stderr, /STUCK: .*is not this deliverable's/);
  } finally {
    await cleanup();
  }
});

Deno.test("spool: a $RUNREC_SPOOL_DIR of mode 755 is used; one others may write is passed over, saying why", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const spool = join(tmp, "spool");
  try {
    await Deno.mkdir(spool, { mode: 0o755 });
    await Deno.chmod(spool, 0o755);
    await Deno.mkdir(join(del, RECORD_FILE)); // the write fails: the record is spooled
    const env = { TMPDIR: tmp, RUNREC_SPOOL_DIR: spool };
    const used = await runCliProcess(["emit", del, "--agent", "A", "--status", "SUCCESS"], [
      ...FULL_FLAGS,
    ], env);
    assertMatch(used.stderr, new RegExp(`spooled to ${spool}/[^ ]+\\.json; it waits there`));
    await Deno.chmod(spool, 0o775);
    const passed = await runCliProcess(["emit", del, "--agent", "B", "--status", "SUCCESS"], [
      ...FULL_FLAGS,
    ], env);
    assertMatch(
      passed.stderr,
      /spooled to .*\.runrec-spool\/[^ ]+\.json \(not in .*spool: not used: open to other users \(mode 775/,
    );
    // Both are replayed, oldest first across the two folders, once the fault is gone.
    await Deno.chmod(spool, 0o755);
    await Deno.remove(join(del, RECORD_FILE));
    const flush = await runCliProcess(["flush", del], FULL_FLAGS, env);
    assertEquals(flush.code, 0, flush.stderr);
    assertEquals(await agentsIn(join(del, RECORD_FILE)), ["A", "B"]);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

/**
 * Emits a record by `agent` into `del` while a folder stands where its
 * RunRecords.csv would be (and, with `blockOwnSpool`, a file where its
 * .runrec-spool would be, so the record goes to the user's spool), then
 * clears the way: the deliverable has no RunRecords.csv, the record waits.
 */
async function spoolFirstRecord(
  del: string,
  agent: string,
  env: Record<string, string>,
  blockOwnSpool = false,
) {
  const file = join(del, RECORD_FILE);
  await Deno.mkdir(file);
  if (blockOwnSpool) await Deno.writeTextFile(join(del, SPOOL_FOLDER), "in the way\n");
  const emit = await runCliProcess(["emit", del, "--agent", agent, "--status", "SUCCESS"], [
    ...FULL_FLAGS,
  ], env);
  assertEquals(emit.code, 0, emit.stderr);
  assertMatch(emit.stderr, /record not written .*; spooled to /);
  await Deno.remove(file);
  if (blockOwnSpool) await Deno.remove(join(del, SPOOL_FOLDER));
}

Deno.test("spool: a record spooled for a deliverable with no RunRecords.csv yet is named from a root by verify, log and export, and flushed by flush <root>", async () => {
  const { root } = await makeProject();
  const tmp = await tempDir();
  const env = { TMPDIR: tmp };
  const del = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_Fresh");
  const file = join(del, RECORD_FILE);
  try {
    await Deno.mkdir(del);
    await spoolFirstRecord(del, "FIRST", env);
    const verify = await runCliProcess(["verify", root, "--json"], FULL_FLAGS, env);
    assertEquals(verify.code, 0, verify.stderr);
    assertEquals(JSON.parse(verify.stdout).spooled, [
      { recordFile: file, waiting: 1, claimedBy: [], stuck: [] },
    ]);
    const text = await runCliProcess(["verify", root], FULL_FLAGS, env);
    // On stderr, as log's (trial-new F6).
    assertIncludes(text.stderr, `warning: ${file}: 1 spooled record(s) not in the file yet`);
    assert(!text.stdout.includes("warning"), text.stdout);
    const log = await runCliProcess(["log", root], FULL_FLAGS, env);
    assertEquals(log.code, 0, log.stderr);
    assertIncludes(log.stderr, `warning: ${file}: 1 spooled record(s) not in the file yet`);
    const exported = await runCliProcess(
      ["export", root, "--format", "openlineage"],
      FULL_FLAGS,
      env,
    );
    assertEquals(exported.code, 0, exported.stderr);
    assertIncludes(exported.stderr, `warning: ${file}: 1 spooled record(s) not in the file yet`);
    const flush = await runCliProcess(["flush", root], FULL_FLAGS, env);
    assertEquals(flush.code, 0, flush.stderr);
    assertMatch(flush.stdout, /^RUN-DEL-01-03-\d{8}-\d{4}-001 {2}replayed into DEL-01-03\n$/);
    assertEquals(await agentsIn(file), ["FIRST"]);
    assertEquals(entriesIn(join(del, SPOOL_FOLDER)), []);
    const after = await runCliProcess(["verify", root, "--json"], FULL_FLAGS, env);
    assertEquals(JSON.parse(after.stdout).spooled, []);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("spool: flush with no folder, run inside a deliverable folder, flushes it as flush . does, and the user's spool too", async () => {
  const { root, del: other } = await makeProject();
  const tmp = await tempDir();
  const env = { TMPDIR: tmp };
  const del = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_Fresh");
  try {
    await Deno.mkdir(del);
    await spoolFirstRecord(del, "OWN", env);
    // The other deliverable's own spool folder is blocked: its record goes to $TMPDIR's.
    await spoolFirstRecord(other, "SHARED", env, true);
    assertEquals(entriesIn(join(tmp, `runrec-spool-${Deno.uid()}`)).length, 1);
    const flush = await runCliProcess(["flush"], FULL_FLAGS, env, del);
    assertEquals(flush.code, 0, flush.stderr);
    assertIncludes(flush.stdout, "replayed into DEL-01-03\n");
    assertIncludes(flush.stdout, "replayed into DEL-01-02\n");
    assertEquals(await agentsIn(join(del, RECORD_FILE)), ["OWN"]);
    assertEquals(await agentsIn(join(other, RECORD_FILE)), ["SHARED"]);
    const again = await runCliProcess(["flush"], FULL_FLAGS, env, del);
    assertEquals([again.code, again.stdout], [0, "nothing spooled\n"]);
    const help = await runCliProcess(["flush", "--help"], FULL_FLAGS, env);
    assertIncludes(help.stdout, 'With no folder given, the current folder (as "flush .")');
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("spool: a spooled record is named by stale and log when the project is reached through a link, as flush replays it", async () => {
  const { root } = await makeProject();
  const tmp = await tempDir();
  const link = `${root}-link`;
  const env = { TMPDIR: tmp };
  const del = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  try {
    await Deno.symlink(root, link);
    await spoolFirstRecord(del, "FIRST", env, true); // in the user's spool, by its real path
    const linked = join(link, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing", RECORD_FILE);
    for (const command of ["stale", "log"]) {
      const out = await runCliProcess([command, link], FULL_FLAGS, env);
      assertIncludes(out.stdout + out.stderr, `${linked}: 1 spooled record(s) not in the file yet`);
    }
    const flush = await runCliProcess(["flush", link], FULL_FLAGS, env);
    assertEquals(flush.code, 0, flush.stderr);
    assertEquals(await agentsIn(join(del, RECORD_FILE)), ["FIRST"]);
  } finally {
    await Deno.remove(link);
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});
