/**
 * Records a git command dropped: `git pull` checks that `RunRecords.csv` is
 * as committed, then unlinks it and writes the merged file, without runrec's
 * lock. strace holds git's `unlink` of the file for a few seconds while an
 * emit appends, so the record lands in the file git then replaces, every
 * time. The journal (`.runrec/RunRecords.csv.journal`) puts it back: `flush`,
 * or the next append. Lines of another branch, held by a stash, or of a file
 * begun anew are not.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/git_dropped_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { git, ROOT, sampleDraft, sampleRecord, tempDir } from "./fixtures.ts";
import { encodeRecord } from "../src/codec.ts";
import { HEADER, runIdPrefix } from "../src/schema.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { journalAppended, journalPath, lineContext, putBackDropped } from "../src/journal.ts";
import { emitArgs, runCli, runCliProcess } from "./cli.ts";
import { RUNREC } from "./support/runs.ts";
import { gitGate, type HeldProcess, spawnHeld, waitFor } from "./support/held.ts";
import { FULL_FLAGS, SANDBOXED_FLAGS } from "../src/cli/permissions.ts";
import { sha256Hex } from "../src/sha256.ts";

const DEL = join("PKG-01_Alpha", "1_Working", "DEL-01-02_Spec");

/** The agents of the file's records, in file order. */
async function agentsOf(file: string): Promise<string[]> {
  const lines = (await Deno.readTextFile(file)).split("\n").slice(1).filter((l) => l !== "");
  return lines.map((line) => line.split(",")[3]);
}

/** Whether `path` is a file. */
async function isFile(path: string): Promise<boolean> {
  return await Deno.lstat(path).then((info) => info.isFile, () => false);
}

/** The size of the file at `path`, or -1 when there is none. */
async function sizeOf(path: string): Promise<number> {
  return await Deno.lstat(path).then((info) => info.size, () => -1);
}

/**
 * An emit by OURS in `local` held at its fsync of `file` (its record written, its checks not yet
 * made) until released; the gits it starts go through `env`'s PATH when given.
 */
async function heldEmit(
  local: string,
  file: string,
  env?: Record<string, string>,
): Promise<HeldProcess> {
  const emitting = await spawnHeld(
    [...RUNREC, "emit", join(local, DEL), "--agent", "OURS", "--status", "SUCCESS"],
    { calls: "fsync", path: file, env, stdout: "piped" },
  );
  await emitting.held(1, "the emit at its fsync of the record file");
  return emitting;
}

/**
 * A `git pull` in `local` whose unlink of the record file is held `ms` once made (strace): less
 * than the 2 s an append waits for git's version, so that a process let go once the file is gone
 * meets git's file however slow the machine (held 4 s, it met one only if let go in git's last 2 s).
 */
function pullHeldAtUnlink(local: string, ms = 1000): Deno.ChildProcess {
  return pullHeld(local, "unlink,unlinkat", `delay_exit=${ms}000`);
}

/** A `git pull` in `local` whose `calls` on the record file strace holds as `inject` says. */
function pullHeld(local: string, calls: string, inject: string): Deno.ChildProcess {
  return new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", "/dev/null", "-P", join(DEL, RECORD_FILE)],
      ...["-e", `trace=${calls}`, "-e", `inject=${calls}:${inject}`],
      ...["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", "pull", "-q"],
      "--no-rebase",
    ],
    cwd: local,
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

async function emit(repo: string, agent: string) {
  const result = await runCliProcess(
    ["emit", join(repo, DEL), "--agent", agent, "--status", "SUCCESS"],
  );
  assertEquals(result.code, 0, result.stderr);
  return result;
}

/**
 * An emit by `agent` into `repo`'s deliverable by the CLI in this process: a repository's setup,
 * not a scenario (two of them in each of 25 tests cost 50 processes of ~0.3 s).
 */
async function emitHere(repo: string, agent: string) {
  const result = await runCli(["emit", join(repo, DEL), "--agent", agent, "--status", "SUCCESS"]);
  assertEquals(result.code, 0, result.stderr);
}

async function flush(repo: string) {
  return await runCliProcess(["flush", join(repo, DEL)]);
}

/**
 * An upstream repository with one run (its Notes `firstNotes`, when given),
 * a clone of it, and one more upstream run the clone has not pulled yet.
 */
async function cloneBehind(firstNotes?: string): Promise<{ local: string; file: string }> {
  const dir = await Deno.realPath(await tempDir({ prefix: "runrec-dropped-" }));
  const up = join(dir, "up");
  await Deno.mkdir(join(up, DEL), { recursive: true });
  await git(up, "init", "-q");
  await Deno.writeTextFile(join(up, ".gitattributes"), `${RECORD_FILE} merge=union\n`);
  if (firstNotes === undefined) await emitHere(up, "FIRST");
  else {
    // Longer than an argument may be: written by the store, as emit writes it.
    const draft = sampleDraft({
      DeliverableID: "DEL-01-02",
      AgentName: "FIRST",
      Notes: firstNotes,
    });
    await appendRecord(join(up, DEL, RECORD_FILE), draft, { fsync: false });
  }
  await git(up, "add", "-A");
  await git(up, "commit", "-qm", "first run");
  const local = join(dir, "local");
  await git(dir, "clone", "-q", up, local);
  await emitHere(up, "UPSTREAM");
  await git(up, "commit", "-qam", "upstream run");
  return { local, file: join(local, DEL, RECORD_FILE) };
}

/**
 * `git pull` in `local` held at its unlink of the record file, and an emit by
 * `agent` meanwhile: git checked the file before the emit and replaces it
 * after; the pull's exit code checked. With `flushWhileWritten`, git's unlink
 * is held 5 s instead (the emit must end within it: a second hold cannot end
 * on the test's word) and its write of its new file until a flush has looked
 * at that file, empty: the flush's output.
 */
async function emitDuringPull(
  local: string,
  agent: string,
  flushWhileWritten = false,
): Promise<string> {
  const path = join(DEL, RECORD_FILE); // as git names it: strace's -P matches the path as called
  const pull = await spawnHeld(
    ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", "pull", "-q", "--no-rebase"],
    flushWhileWritten
      ? { calls: "write", path, cwd: local, timed: { "unlink,unlinkat": 5_000_000 } }
      : { calls: "unlink,unlinkat", path, cwd: local },
  );
  await pull.held(1, "git pull at its unlink of the record file", "unlink,unlinkat");
  await emit(local, agent);
  let flushed = "";
  if (flushWhileWritten) {
    const unlinked = /(?:unlinkat?\(|<\.\.\. unlinkat? resumed>).* = /;
    assert(!unlinked.test(pull.trace()), `the emit outlasted git's 5 s hold:\n${pull.trace()}`);
    await pull.held(1, "git pull at its write of its new file");
    assertEquals(await sizeOf(join(local, path)), 0, "git's new file, empty");
    const file = join(local, path);
    const flushing = await spawnHeld([...RUNREC, "flush", join(local, DEL)], {
      calls: "openat,read,statx,newfstatat,lstat",
      path: file,
      when: "1000", // none held: traced, to see the flush's first look at the file
      stdout: "piped",
    });
    await flushing.made(1, "the flush's first look at git's new file");
    await pull.release();
    await flushing.release();
    const { code, stdout, stderr } = await flushing.child.output();
    assertEquals(code, 0, new TextDecoder().decode(stderr));
    flushed = new TextDecoder().decode(stdout);
  } else await pull.release();
  const { code, stderr } = await pull.child.output();
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  return flushed;
}

Deno.test("git dropped: an emit during a git pull's replacement of the file is lost to git, and flush puts it back once", async () => {
  const { local, file } = await cloneBehind();
  await emitDuringPull(local, "OURS");
  // What git left: upstream's run, not ours (the loss the journal is for).
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM"]);
  const flushed = await flush(local);
  assertEquals(flushed.code, 0, flushed.stderr);
  assert(
    /RUN-\S+ {2}put back into .*RunRecords\.csv, which a git command \(pull, checkout, reset, revert\) had dropped it from\n/
      .test(flushed.stdout),
    flushed.stdout,
  );
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "OURS"]);
  const again = await flush(local);
  assertEquals(again.stdout, "nothing spooled\n");
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "OURS"]);
  // Byte for byte the line appended: its checksum holds, and validate agrees.
  const validated = await runCliProcess(["validate", file]);
  assertEquals(validated.code, 0, validated.stdout + validated.stderr);
});

Deno.test("git dropped: the next emit puts the dropped record back before its own and says so in its Notes", async () => {
  const { local, file } = await cloneBehind();
  await emitDuringPull(local, "OURS");
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM"]);
  await emit(local, "NEXT");
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "OURS", "NEXT"]);
  const shown = await runCliProcess(["log", join(local, DEL), "--json"]);
  const records = JSON.parse(shown.stdout) as { AgentName: string; Notes: string; RunID: string }[];
  const ours = records.find((r) => r.AgentName === "OURS")!;
  const next = records.find((r) => r.AgentName === "NEXT")!;
  // OURS took its SEQ before the pull brought UPSTREAM's: in one minute both took 002, and the
  // put back gives OURS the next free one, never a RunID twice (skew-39 F1).
  const ids = records.map((r) => r.RunID);
  assertEquals(new Set(ids).size, ids.length, `a RunID twice: ${ids.join(" ")}`);
  const was = /its RunID at its append, (RUN-[-0-9A-Z]+),/.exec(ours.Notes)?.[1];
  assert(
    next.Notes.includes(
      `put back ${
        was === undefined ? ours.RunID : `${was} as ${ours.RunID}`
      }, which a git command (pull, checkout, reset, revert) had dropped from RunRecords.csv: runs are never taken out (SCHEMA.md 7.1)`,
    ),
    next.Notes,
  );
  // A record file moved away (a deliverable retired to _Archive/) and begun anew holds none of
  // the earlier records: its lines were not dropped by git, and none is put back. Beside the
  // deliverable's other files: a folder left holding only runrec's state is one git emptied, where
  // the record waits in the spool (review-42 F2).
  await Deno.writeTextFile(join(local, DEL, "Datasheet.md"), "# Datasheet\n");
  await Deno.rename(file, join(local, "retired.csv"));
  await emit(local, "RESTARTED");
  assertEquals(await agentsOf(file), ["RESTARTED"]);
});

Deno.test("git dropped: a line of another branch, or one a stash holds, is not put back; one whose stash was dropped is", async () => {
  const { local, file } = await cloneBehind();
  await emit(local, "BEFORE_PULL");
  await git(local, "commit", "-qam", "a run before the pull");
  await git(local, "pull", "-q", "--no-rebase");
  // git's merged file holds the line: judged once, the entry then names the new file, so the
  // appends after a pull do not read the whole file again for it.
  assertEquals((await flush(local)).stdout, "nothing spooled\n");
  const { dev, ino, birthtime } = await Deno.stat(file);
  const [noted] = (await Deno.readTextFile(journalPath(file))).split("\n").filter((l) => l !== "");
  assertEquals(JSON.parse(noted).file, `${dev}:${ino}:${birthtime!.getTime()}`);
  // On a branch of its own, a run committed there; back on main, that file lacks it: not ours.
  await git(local, "checkout", "-q", "-b", "side");
  await emit(local, "SIDE");
  await git(local, "commit", "-qam", "side run");
  await git(local, "checkout", "-q", "main");
  assertEquals((await flush(local)).stdout, "nothing spooled\n");
  assertEquals(await agentsOf(file), ["FIRST", "BEFORE_PULL", "UPSTREAM"]);
  // A run not committed, then stashed: the stash holds it; `git stash pop` brings it back.
  await emit(local, "STASHED");
  await git(local, "stash", "-q");
  assertEquals((await flush(local)).stdout, "nothing spooled\n");
  assertEquals(await agentsOf(file), ["FIRST", "BEFORE_PULL", "UPSTREAM"]);
  await git(local, "stash", "pop", "-q");
  assertEquals(await agentsOf(file), ["FIRST", "BEFORE_PULL", "UPSTREAM", "STASHED"]);
  // Stashed again and the stash dropped: nothing holds the run any more; flush puts it back.
  await git(local, "stash", "-q");
  await git(local, "stash", "drop", "-q");
  const flushed = await flush(local);
  assert(flushed.stdout.includes("put back into"), flushed.stdout);
  assertEquals(await agentsOf(file), ["FIRST", "BEFORE_PULL", "UPSTREAM", "STASHED"]);
  // Back on the side branch, its run is where it was: nothing to put back.
  await git(local, "stash", "-q");
  await git(local, "checkout", "-q", "side");
  assertEquals((await flush(local)).stdout, "nothing spooled\n");
});

Deno.test("git dropped: the journal keeps a line for a day after its append, stays under 1 MiB however many appends, and a spoilt entry harms no other", async () => {
  const dir = await tempDir();
  const del = join(dir, "DEL-01-02_Spec");
  await Deno.mkdir(del);
  const file = join(del, RECORD_FILE);
  await runCliProcess(emitArgs(del));
  const journal = journalPath(file);
  const entries = async () =>
    (await Deno.readTextFile(journal)).split("\n").filter((l) => l !== "").map((l) =>
      JSON.parse(l)
    );
  const [entry] = await entries();
  assertEquals(entry.line, (await Deno.readTextFile(file)).split("\n")[1]);
  // The entry made 26 hours old (by the wall clock and by the host's uptime: clock-sweep F3),
  // with a spoilt one (a full disk cut it short) after it.
  const DAY_AND_2H = 26 * 60 * 60 * 1000;
  assert(Number.isSafeInteger(entry.up), JSON.stringify(entry));
  const old = { ...entry, at: Date.now() - DAY_AND_2H, up: entry.up - DAY_AND_2H };
  await Deno.writeTextFile(journal, `\n${JSON.stringify(old)}\n{"at":17964`);
  await runCliProcess(emitArgs(del, "--notes", "second"));
  const left = await entries();
  assertEquals(left.length, 1, "the old entry dropped, the spoilt one skipped, the new one kept");
  assert(left[0].line.includes("second"));
  // 640 appends of 1 KiB lines in a row (an entry holds the line, the one before and the
  // first: past 1 MiB three times): the journal is cut to its newest half each time, and its
  // last line is the last append's.
  const notes = "n".repeat(600);
  const appends = 640;
  for (let i = 0; i < appends; i++) {
    await appendRecord(file, sampleDraft({ Notes: `${notes}${i}` }), { fsync: false });
  }
  const size = (await Deno.stat(journal)).size;
  assert(size <= 1 << 20 && size > 1 << 18, `journal of ${size} bytes`);
  const kept = await entries();
  assert(kept.at(-1).line.includes(`${notes}${appends - 1},`));
  assertEquals(
    kept.map((e) => Number(/n{600}(\d+),/.exec(e.line)![1])),
    Array.from({ length: kept.length }, (_, i) => appends - kept.length + i),
    "the newest lines, in order",
  );
  // Its last entry a day old (an older runrec's, without the uptime), the journal is removed: a
  // flush of the root then takes no lock.
  await Deno.writeTextFile(
    journal,
    `\n${JSON.stringify({ ...kept.at(-1), at: Date.now() - DAY_AND_2H, up: undefined })}`,
  );
  assertEquals((await runCliProcess(["flush", dir])).stdout, "nothing spooled\n");
  assertEquals(await Deno.stat(journal).then(() => true, () => false), false);
  assertEquals(await Deno.readTextFile(join(del, ".runrec", ".gitignore")), "*\n");
});

Deno.test("git dropped: a flush while git writes its new file (empty yet) waits for git's version and judges by it; a stash of another file holds nothing back; a detached HEAD that moved and a torn line before it are no obstacle (review-aa F1-F4)", async () => {
  const { local, file } = await cloneBehind();
  const during = await emitDuringPull(local, "OURS", true);
  // Judged by the empty file, nothing could be (review-aa F1); it waits for git's write instead.
  assertIncludes(during, "put back into");
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "OURS"]);
  assertEquals((await flush(local)).stdout, "nothing spooled\n");
  await git(local, "commit", "-qam", "ours");
  // Dropped (git checkout -- standing for git's replacement), then a stash of another file only.
  await Deno.writeTextFile(join(local, "notes.txt"), "a\n");
  await git(local, "add", "notes.txt");
  await git(local, "commit", "-qm", "notes");
  await emit(local, "BEFORE_STASH");
  await git(local, "checkout", "--", join(DEL, RECORD_FILE));
  await Deno.writeTextFile(join(local, "notes.txt"), "b\n");
  await git(local, "stash", "-q");
  assertIncludes((await flush(local)).stdout, "put back into");
  assertEquals((await agentsOf(file)).at(-1), "BEFORE_STASH");
  await git(local, "stash", "drop", "-q");
  await git(local, "commit", "-qam", "before stash");
  // A detached HEAD (a submodule's) moved to a later commit by the command that dropped the line.
  await git(local, "checkout", "-q", "--detach");
  await emit(local, "DETACHED");
  await Deno.copyFile(file, join(local, "..", "kept.csv"));
  await git(local, "checkout", "-q", "--", join(DEL, RECORD_FILE));
  await Deno.writeTextFile(join(local, "notes.txt"), "c\n");
  await git(local, "commit", "-qam", "later, detached");
  assertIncludes((await flush(local)).stdout, "put back into");
  assertEquals((await agentsOf(file)).at(-1), "DETACHED");
  // A torn line committed before the line: the record before it is the last whole one.
  await Deno.writeTextFile(file, "v1.0,RUN-DEL-01-02-20261204-0000-009,DEL-01-02,TORN", {
    append: true,
  });
  await git(local, "commit", "-qam", "a torn line");
  await emit(local, "AFTER_TORN");
  await git(local, "checkout", "-q", "--", join(DEL, RECORD_FILE));
  assertIncludes((await flush(local)).stdout, "put back into");
  assertEquals((await agentsOf(file)).at(-1), "AFTER_TORN");
});

Deno.test("git dropped: lines a pull moved are found in one read of the file, and the journal notes where they are now (review-aa F5)", async () => {
  const { local, file } = await cloneBehind();
  await emit(local, "OURS_1");
  await emit(local, "OURS_2");
  await git(local, "commit", "-qam", "ours");
  await git(local, "pull", "-q", "--rebase");
  // Rebased: upstream's run first, ours after it, in a new file.
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "OURS_1", "OURS_2"]);
  assertEquals((await flush(local)).stdout, "nothing spooled\n");
  const text = await Deno.readTextFile(file);
  const { dev, ino, birthtime } = await Deno.stat(file);
  const noted = (await Deno.readTextFile(journalPath(file))).split("\n").filter((l) => l !== "")
    .map((l) => JSON.parse(l));
  assertEquals(noted.length, 2);
  for (const entry of noted) {
    const at = new TextEncoder().encode(text.slice(0, text.indexOf(entry.line))).length;
    assertEquals([entry.offset, entry.file], [at, `${dev}:${ino}:${birthtime!.getTime()}`]);
  }
});

Deno.test("git dropped: a line moved to another branch on purpose, or held by the branch being checked out, is not put back; one journal entry missing spoils no later one (soak8 F1, F3, F4)", async () => {
  const { local, file } = await cloneBehind();
  await git(local, "pull", "-q", "--no-rebase");
  // Recorded on main, carried uncommitted to a new branch and committed there: not lost.
  await emit(local, "MEANT_FOR_FEATURE");
  await git(local, "checkout", "-q", "-b", "feature");
  await git(local, "commit", "-qam", "the run, on feature");
  await git(local, "checkout", "-q", "main");
  await emit(local, "NEXT_ON_MAIN");
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "NEXT_ON_MAIN"]);
  await git(local, "commit", "-qam", "next on main");
  // `git checkout feature` held at HEAD's update: its file is at the path, HEAD still main.
  const checkout = await spawnHeld(["git", "checkout", "-q", "feature"], {
    calls: "rename",
    path: join(local, ".git", "HEAD.lock"),
    cwd: local,
  });
  await checkout.held(1, "git checkout at its rename of HEAD.lock");
  assertEquals((await flush(local)).stdout, "nothing spooled\n", "main's line is main's");
  await checkout.release();
  assertEquals((await checkout.child.output()).code, 0);
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "MEANT_FOR_FEATURE"]);
  await git(local, "checkout", "-q", "main");
  // R2's journal entry lost (removed here, as a full disk or a kill at the wrong moment would):
  // R3 and R4, dropped with it, are put back all the same.
  for (const agent of ["R1", "R2", "R3", "R4"]) {
    await emit(local, agent);
    if (agent === "R2") {
      const journal = journalPath(file);
      const text = await Deno.readTextFile(journal);
      await Deno.writeTextFile(journal, text.slice(0, text.lastIndexOf("\n")));
    }
  }
  await git(local, "checkout", "-q", "--", join(DEL, RECORD_FILE));
  await flush(local);
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "NEXT_ON_MAIN", "R1", "R3", "R4"]);
});

/**
 * A run committed and one not in `local`, then `git pull --rebase --autostash` held at its second
 * unlink of the record file (the checkout of upstream's commit) until released: the rebase under
 * way, the uncommitted line in its autostash, the file the local commit's (its first unlink was
 * the autostash's reset).
 */
async function pullRebaseHeld(local: string): Promise<HeldProcess> {
  await emit(local, "LOCAL");
  await git(local, "commit", "-qam", "a local run");
  await emit(local, "UNCOMMITTED");
  const pull = await spawnHeld(
    [
      ...["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", "pull", "-q"],
      ...["--rebase", "--autostash"],
    ],
    { calls: "unlink,unlinkat", path: join(DEL, RECORD_FILE), cwd: local, when: "2" },
  );
  await pull.held(2, "the rebase at its checkout of upstream's record file");
  assert(
    await isFile(join(local, ".git", "rebase-merge", "autostash")) ||
      await isFile(join(local, ".git", "MERGE_AUTOSTASH")),
    "the rebase under way, its autostash kept",
  );
  assertEquals(await agentsOf(join(local, DEL, RECORD_FILE)), ["FIRST", "LOCAL"]);
  return pull;
}

Deno.test("git dropped: a line a pull --rebase --autostash took aside is not put back while the rebase runs; the autostash brings it back once (soak8, w3)", async () => {
  const { local, file } = await cloneBehind();
  const pull = await pullRebaseHeld(local);
  assertEquals((await flush(local)).stdout, "nothing spooled\n");
  await pull.release();
  const { code, stderr } = await pull.child.output();
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "LOCAL", "UNCOMMITTED"]);
});

Deno.test("git dropped: an emit whose file a git stash replaced after its write is not written again: the stash keeps it, and its pop brings it back once", async () => {
  const { local, file } = await cloneBehind();
  await emit(local, "UNCOMMITTED");
  // The emit held at its fsync: `git stash` takes the file with its line, then resets it.
  const held = await heldEmit(local, file);
  assertIncludes(await Deno.readTextFile(file), ",OURS,", "the emit's write");
  await git(local, "stash", "-q");
  await held.release();
  const emitted = await held.child.output();
  assertEquals(emitted.code, 0);
  assertIncludes(
    new TextDecoder().decode(emitted.stderr),
    "replaced by git, which keeps the record (a stash: git stash pop brings it back)",
  );
  assertEquals(await agentsOf(file), ["FIRST"]);
  assertEquals((await flush(local)).stdout, "nothing spooled\n");
  await git(local, "stash", "pop", "-q");
  assertEquals(await agentsOf(file), ["FIRST", "UNCOMMITTED", "OURS"]);
});

for (
  const [moment, hold, readyWhen, firstNotes, finding] of [
    [
      "between git's unlink of the file and its create",
      { calls: "unlink,unlinkat", afterMade: true },
      -1,
      undefined,
      "git's pull succeeds and every record stays (soak8 F6)",
    ],
    [
      "between git's create of its new file and its write",
      { calls: "write" },
      0,
      undefined,
      "git's pull succeeds and every record stays (soak8 F6)",
    ],
    // A first record of 40 KB: git writes the file in pieces of 16 KiB.
    [
      "between two of git's writes of a large record file",
      { calls: "write", when: "2" },
      16384,
      "x".repeat(40_000),
      "every record stays (soak-39 F1)",
    ],
  ] as const
) {
  Deno.test(`git dropped: an emit ${moment} waits for git's version and appends to it: ${finding}`, async () => {
    const { local, file } = await cloneBehind(firstNotes);
    const pull = await spawnHeld(
      ["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", "pull", "-q", "--no-rebase"],
      { ...hold, path: join(DEL, RECORD_FILE), cwd: local },
    );
    // git is held with the file gone, there and empty, or after its first piece; its index.lock
    // taken. It goes on once the emit waits for its version: a third look at index.lock (an emit
    // that does not wait looks once or twice), not after a fixed 1.5 s an emit may come after.
    await waitFor(async () => (await sizeOf(file)) === readyWhen, moment);
    const emitting = await spawnHeld(
      [...RUNREC, "emit", join(local, DEL), "--agent", "OURS", "--status", "SUCCESS"],
      {
        calls: "statx,newfstatat,lstat,stat",
        path: join(local, ".git", "index.lock"),
        when: "1000", // none held: traced, to see the emit's looks
      },
    );
    await emitting.made(3, "the emit waiting for git's version (its third look at index.lock)");
    await pull.release();
    await emitting.release();
    const emitted = await emitting.child.output();
    assertEquals(emitted.code, 0, new TextDecoder().decode(emitted.stderr));
    const { code, stderr } = await pull.child.output();
    // Before: git's create failed ("File exists") and the file held our record alone, or git's
    // write covered our bytes (and the journal, noted against git's file, never looked for them
    // again).
    assertEquals(code, 0, new TextDecoder().decode(stderr));
    assertEquals((await flush(local)).stdout, "nothing spooled\n");
    assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "OURS"]);
    const validated = await runCliProcess(["validate", file]);
    assertEquals(validated.code, 0, validated.stdout + validated.stderr);
  });
}

/**
 * An emit by `agent` in `local`: how long it took, and how often it looked at `indexLock` (strace).
 * Its wait for git's version looks every 10 ms at least: the looks tell a wait from none, and
 * bound how long it was, whatever a loaded machine adds to the time.
 */
async function emitLooks(local: string, agent: string, indexLock: string) {
  const trace = join(await tempDir(), "trace");
  const started = performance.now();
  const { code, stderr } = await new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", trace, "-P", indexLock, "-e", "trace=statx,newfstatat,lstat,stat"],
      ...RUNREC,
      ...["emit", join(local, DEL), "--agent", agent, "--status", "SUCCESS"],
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - started;
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  const looks = (await Deno.readTextFile(trace)).split("\n").filter((l) => /index\.lock/.test(l));
  return {
    ms,
    looks: looks.length,
    said: `${agent}: ${looks.length} looks in ${ms.toFixed(0)} ms`,
  };
}

Deno.test("git dropped: an index.lock a killed git left delays only an append into a missing or empty record file, or one created since it was taken and written within 2 s, and by 2 s at most", async () => {
  const { local, file } = await cloneBehind();
  const indexLock = join(local, ".git", "index.lock");
  await Deno.writeFile(indexLock, new Uint8Array());
  const present = await emitLooks(local, "PRESENT", indexLock);
  // Written since the lock was taken, 3 s ago: not being written by git now, so no wait (soak-39
  // F1's wait made each append under a left lock wait 2 s).
  const now = Date.now() / 1000;
  await Deno.utime(indexLock, now - 10, now - 10);
  await Deno.utime(file, now - 3, now - 3);
  const later = await emitLooks(local, "LATER", indexLock);
  // Beside another file: a folder left holding only runrec's state is one git emptied (review-42 F2).
  await Deno.writeTextFile(join(local, DEL, "Datasheet.md"), "# Datasheet\n");
  await Deno.remove(file);
  const missing = await emitLooks(local, "ANEW", indexLock);
  const said = [present, later, missing].map((emit) => emit.said).join(", ");
  // No wait: a look or two. The wait: 2 s at least (a bound no load breaks), looking every 10 ms
  // or more seldom, so 2 s at most: not over 200 looks and those of no wait.
  assert(present.looks <= 10 && later.looks <= 10, said);
  assert(missing.ms >= 2000 && missing.looks > 10, said);
  assert(missing.looks <= 200 + present.looks, said);
  assertEquals(await agentsOf(file), ["ANEW"]);
});

Deno.test("git dropped: an emit that finds the record file gone just after its wait for git (git took the index and unlinked it between the two) waits for git's version, not creating a file that keeps git's out: git's pull succeeds and every record stays (review-40 F4)", async () => {
  const { local, file } = await cloneBehind();
  const indexLock = join(local, ".git", "index.lock");
  // The emit's second look at index.lock (its append's wait; the first is the journal's check)
  // returns "none" only once git has taken the index and unlinked the file (held so 1 s).
  const emitting = await spawnHeld(
    [...RUNREC, "emit", join(local, DEL), "--agent", "OURS", "--status", "SUCCESS"],
    {
      calls: "statx,newfstatat,lstat",
      path: indexLock,
      when: "2",
      afterMade: true,
      stdout: "piped",
    },
  );
  await emitting.held(2, "the emit's second look at index.lock");
  const pull = pullHeldAtUnlink(local);
  await waitFor(async () => (await sizeOf(file)) === -1, "git unlinked the record file");
  const seen = await emitting.release();
  const emittedAll = await emitting.child.output();
  const emitted = { code: emittedAll.code };
  const pulled = await pull.output();
  // Before: the emit created the file in git's moment; git's create failed ("File exists") and
  // the file held OURS alone, which the next checkout dropped for good.
  assertEquals(pulled.code, 0, new TextDecoder().decode(pulled.stderr));
  assertEquals(emitted.code, 0, seen.slice(-2000) + new TextDecoder().decode(emittedAll.stderr));
  assertEquals((await flush(local)).stdout, "nothing spooled\n");
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "OURS"]);
});

Deno.test("git dropped: a flush whose put-back finds the record file gone (git took the index and unlinked it after the journal's look) waits for git's version and puts the line back there, not into a file it creates: git's pull succeeds and every record stays (review-40 F4)", async () => {
  const { local, file } = await cloneBehind();
  await emit(local, "LOCAL");
  await git(local, "checkout", "-q", "--", join(DEL, RECORD_FILE)); // LOCAL dropped: journalled
  // The flush's 4th open of the record file (the put-back's look at it, after the journal's two
  // reads of it) is made once git has unlinked the file (and holds it so 1 s).
  const flushing = await spawnHeld([...RUNREC, "flush", join(local, DEL)], {
    calls: "openat",
    path: file,
    when: "4",
  });
  await flushing.held(4, "the flush's 4th open of the record file");
  const pull = pullHeldAtUnlink(local);
  await waitFor(async () => (await sizeOf(file)) === -1, "git unlinked the record file");
  await flushing.release();
  const { code, stderr } = await flushing.child.output();
  const flushed = { code };
  const seen = new TextDecoder().decode(stderr);
  const pulled = await pull.output();
  // Before: the put-back created the file in git's moment, git's create failed ("File exists"),
  // and the file held LOCAL alone.
  assertEquals(pulled.code, 0, new TextDecoder().decode(pulled.stderr));
  assertEquals(flushed.code, 0, seen.slice(-2000));
  await flush(local);
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "LOCAL"]);
});

for (
  const [open, when] of [
    ["its read of the SEQs (the file's 2nd open)", 2],
    ["its open for the append (the 4th)", 4],
  ] as const
) {
  Deno.test(`git dropped: an emit whose record file git unlinks before ${open} looks again once git's file is there and appends to it, not spooling the record (review-40 F5)`, async () => {
    const { local, file } = await cloneBehind();
    // That open is made once git has unlinked the file (and holds it so 1 s).
    const emitting = await spawnHeld(
      [...RUNREC, "emit", join(local, DEL), "--agent", "OURS", "--status", "SUCCESS"],
      { calls: "openat", path: file, when: String(when), stdout: "piped" },
    );
    await emitting.held(when, `the emit's open of the record file ${when} times`);
    const pull = pullHeldAtUnlink(local);
    await waitFor(async () => (await sizeOf(file)) === -1, "git unlinked the record file");
    await emitting.release();
    const emitted = await emitting.child.output();
    const stdout = new TextDecoder().decode(emitted.stdout);
    const seen = new TextDecoder().decode(emitted.stderr);
    const pulled = await pull.output();
    assertEquals(pulled.code, 0, new TextDecoder().decode(pulled.stderr));
    // Before: "record not written (No such file or directory …); spooled to …", no RunID printed.
    assert(!seen.includes("record not written"), seen.slice(-2000));
    assertMatch(stdout, /^RUN-DEL-01-02-\d{8}-\d{4}-\d{3}\n$/);
    assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "OURS"]);
  });
}

Deno.test("git dropped: a process whose wait for git ran out on an index.lock a killed git left in another repository still waits for git's version of a record file a later git pull replaces: git's pull succeeds and every record stays (review-41 F1)", async () => {
  const { local, file } = await cloneBehind();
  const stale = await Deno.realPath(await tempDir({ prefix: "runrec-stale-lock-" }));
  await Deno.mkdir(join(stale, DEL), { recursive: true });
  await git(stale, "init", "-q");
  await Deno.writeFile(join(stale, ".git", "index.lock"), new Uint8Array()); // a killed git's
  // One process (a script of the library): its first append waits out the stale lock (no record
  // file yet), then its second appends the moment git's pull has unlinked the other file.
  const script = join(stale, "appends.ts");
  await Deno.writeTextFile(
    script,
    `import { appendRecord } from ${JSON.stringify(join(ROOT, "src", "store.ts"))};
import { sampleDraft } from ${JSON.stringify(join(ROOT, "tests", "fixtures.ts"))};
const draft = (agent: string) => sampleDraft({ DeliverableID: "DEL-01-02", AgentName: agent });
await appendRecord(${JSON.stringify(join(stale, DEL, RECORD_FILE))}, draft("STALE"));
console.log("waited out");
for (;;) {
  try {
    Deno.lstatSync(${JSON.stringify(file)});
  } catch {
    break;
  }
}
console.log((await appendRecord(${JSON.stringify(file)}, draft("OURS"))).record.RunID);
`,
  );
  const appending = new Deno.Command(Deno.execPath(), {
    args: ["run", ...FULL_FLAGS, script],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = appending.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  while (!said.includes("waited out\n")) {
    const { value, done } = await out.read();
    assert(!done, said);
    said += value;
  }
  // git holds the file unlinked 1 s, less than an append's wait for it.
  const pull = pullHeldAtUnlink(local);
  for (let r = await out.read(); !r.done; r = await out.read()) said += r.value;
  const [appended, errors] = [await appending.status, await new Response(appending.stderr).text()];
  const pulled = await pull.output();
  assertEquals(appended.code, 0, errors);
  assertMatch(said, /\nRUN-DEL-01-02-\d{8}-\d{4}-\d{3}\n$/);
  // Before: the wait that ran out in the other repository was never made again in this process:
  // the append created the file in git's moment, git's create failed ("File exists").
  assertEquals(pulled.code, 0, new TextDecoder().decode(pulled.stderr));
  await flush(local);
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "OURS"]);
});

Deno.test("git dropped: under an index.lock a killed git or an open git commit -a holds, an append into a record file older than the lock waits for no append before it (review-40 F1)", async () => {
  const { local, file } = await cloneBehind();
  const indexLock = join(local, ".git", "index.lock");
  await Deno.writeFile(indexLock, new Uint8Array());
  // The file written a moment ago, and for a moment yet, by the emit before (its mtime ahead, so
  // that the wait it met would last its full 2 s): runrec's append, not git's write, as git
  // writes a new file and this one was created before the lock.
  const now = Date.now() / 1000;
  await Deno.utime(file, now, now + 1);
  const took = [
    await emitLooks(local, "NEXT", indexLock),
    await emitLooks(local, "AFTER", indexLock),
  ];
  // Before: each waited 2 s for the one before it (6 emits at once took 10 s, 0.6 s unlocked),
  // looking at index.lock every 10 ms; now a look or two.
  assert(took.every((emit) => emit.looks <= 10), took.map((emit) => emit.said).join(", "));
  assertEquals(await agentsOf(file), ["FIRST", "NEXT", "AFTER"]);
});

Deno.test("git dropped: 40 lines a git checkout dropped from a long record file, of 40 minutes, are put back reading the file a few times, not once per line (review-40 F2)", async () => {
  const repo = await Deno.realPath(await tempDir({ prefix: "runrec-dropped-" }));
  const del = join(repo, DEL);
  const file = join(del, RECORD_FILE);
  await Deno.mkdir(del, { recursive: true });
  await git(repo, "init", "-q");
  const lines = [HEADER];
  for (let i = 0; i < 5000; i++) {
    const at = new Date(Date.parse("2025-01-01T00:00:00Z") + i * 60_000).toISOString();
    const id = `${runIdPrefix("DEL-01-02", at)}001`;
    lines.push(encodeRecord(sampleRecord({ RunID: id, RunTimestamp: at, Notes: "n".repeat(600) })));
  }
  await Deno.writeTextFile(file, `${lines.join("\n")}\n`);
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "a long history");
  const size = (await Deno.stat(file)).size;
  for (let i = 0; i < 40; i++) {
    const at = new Date(Date.now() - (40 - i) * 120_000).toISOString();
    const draft = sampleDraft({ DeliverableID: "DEL-01-02", AgentName: `R${i}`, RunTimestamp: at });
    await appendRecord(file, draft, { fsync: false });
  }
  await git(repo, "checkout", "-q", "--", join(DEL, RECORD_FILE));
  // The bytes the flush reads from the record file, as strace sees its reads return.
  const traced = await new Deno.Command("strace", {
    args: ["-f", "-qq", "-e", "trace=read", "-P", file, ...RUNREC, "flush", del],
    stdout: "null",
    stderr: "piped",
  }).output();
  const trace = new TextDecoder().decode(traced.stderr);
  assertEquals(traced.code, 0, trace.slice(-2000));
  const read = [...trace.matchAll(/^(?:\[pid +\d+\] )?read\(.*\) = (\d+)$/gm)]
    .reduce((sum, m) => sum + Number(m[1]), 0);
  // Before: the whole file once per line (its RunID looked for, then the SEQ index rebuilt).
  assert(read < 8 * size, `${read} bytes read of a ${size}-byte file`);
  const agents = (await agentsOf(file)).slice(5000);
  assertEquals(agents, Array.from({ length: 40 }, (_, i) => `R${i}`));
  const verified = await runCliProcess(["verify", del]);
  assertEquals(verified.code, 0, verified.stdout + verified.stderr);
  await Deno.remove(repo, { recursive: true });
});

Deno.test("git dropped: the sandboxed build in a linked work tree, whose git folder it may not read, puts back no other branch's line and notes GitHead as not read (sandboxed-sweep F2)", async () => {
  const { local, file } = await cloneBehind();
  const tree = join(local, "..", "tree");
  await git(local, "worktree", "add", "-q", "-b", "feature", tree);
  const sandboxed = (agent: string) =>
    runCliProcess(
      ["emit", DEL, "--agent", agent, "--status", "SUCCESS", "--json"],
      SANDBOXED_FLAGS,
      {},
      tree,
    );
  const onFeature = await sandboxed("ON_FEATURE");
  assertEquals(onFeature.code, 0, onFeature.stderr);
  assertIncludes(JSON.parse(onFeature.stdout).Notes, "GitHead not read");
  await git(tree, "commit", "-qam", "a run on feature");
  await git(tree, "checkout", "-q", "-b", "other", "main");
  const onOther = await sandboxed("ON_OTHER");
  assertEquals(onOther.code, 0, onOther.stderr);
  // Before: feature's line was put back into other's file, as dropped by a git command.
  assertEquals(await agentsOf(join(tree, DEL, RECORD_FILE)), ["FIRST", "ON_OTHER"]);
  assertEquals(await agentsOf(file), ["FIRST"]);
});

/**
 * `runrec flush` of `repo` whose gits go through `gate`, closed: it waits at
 * its first git until `meanwhile` (run once it is there) has ended, then the
 * gate opens.
 */
async function flushWhileGitWaits(repo: string, meanwhile: () => Promise<void>) {
  const gate = await gitGate();
  await gate.close();
  const flushing = new Deno.Command(RUNREC[0], {
    args: [...RUNREC.slice(1), "flush", join(repo, DEL)],
    env: gate.env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    await gate.asked("the flush asking git");
    await meanwhile();
  } finally {
    await gate.open();
  }
  const output = await flushing.output();
  return { code: output.code, stdout: new TextDecoder().decode(output.stdout) };
}

Deno.test("git dropped: a line an autostash or a stash held while the file was read, back in the file by the time git answers (the rebase ended, the stash popped), is not put back a second time (rebase-trace)", async () => {
  const { local, file } = await cloneBehind();
  // Under way: the autostash holds UNCOMMITTED, the file is the commit's.
  const pull = await pullRebaseHeld(local);
  // The flush reads the file now; git's answer comes once the rebase applied its autostash
  // (UNCOMMITTED back in the file), removed it and ended.
  let pulled: Deno.CommandOutput | undefined;
  const flushed = await flushWhileGitWaits(local, async () => {
    await pull.release();
    pulled = await pull.child.output();
  });
  assertEquals(pulled?.code, 0, new TextDecoder().decode(pulled?.stderr));
  assertEquals(flushed, { code: 0, stdout: "nothing spooled\n" });
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "LOCAL", "UNCOMMITTED"]);
  // The same with `git stash pop`, held at its unlink while the flush reads the file: it writes
  // the file, then drops the stash, while the flush waits for git.
  await git(local, "commit", "-qam", "rebased");
  await emit(local, "STASHED");
  await git(local, "stash", "-q");
  const pop = await spawnHeld(["git", "stash", "pop", "-q"], {
    calls: "unlink,unlinkat",
    path: join(DEL, RECORD_FILE),
    cwd: local,
  });
  await pop.held(1, "git stash pop at its unlink of the record file");
  assertEquals((await agentsOf(file)).at(-1), "UNCOMMITTED", "the stash holds STASHED");
  let popped = -1;
  const flushedAgain = await flushWhileGitWaits(local, async () => {
    await pop.release();
    popped = (await pop.child.output()).code;
  });
  assertEquals(flushedAgain, { code: 0, stdout: "nothing spooled\n" });
  assertEquals(popped, 0);
  assertEquals(await git(local, "stash", "list"), "", "popped: no stash holds STASHED");
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "LOCAL", "UNCOMMITTED", "STASHED"]);
});

Deno.test("git dropped: an emit whose file a git stash replaced after its write, popped while the emit asked git about it, is not written again (rebase-trace)", async () => {
  const { local, file } = await cloneBehind();
  // The emit held at its fsync (`git stash` takes the file with its line, then resets it), then
  // at its first git after: `git stash pop` brings the line back and drops the stash meanwhile.
  const gate = await gitGate();
  const held = await heldEmit(local, file, gate.env);
  await git(local, "stash", "-q");
  assertEquals(await agentsOf(file), ["FIRST"]);
  await gate.close();
  await held.release();
  try {
    await gate.asked("the emit asking git after its fsync");
    await git(local, "stash", "pop", "-q");
    assertEquals(await git(local, "stash", "list"), "");
  } finally {
    await gate.open();
  }
  const emitted = await held.child.output();
  assertEquals(emitted.code, 0);
  assertIncludes(
    new TextDecoder().decode(emitted.stderr),
    "replaced by a copy that holds the record",
  );
  assertEquals(await agentsOf(file), ["FIRST", "OURS"]);
});

Deno.test("git dropped: a line git dropped after the emit checked its write and before it noted the line in the journal is put back (rebase-trace)", async () => {
  const { local, file } = await cloneBehind();
  await emit(local, "BEFORE");
  await git(local, "commit", "-qam", "before");
  // The emit held at its second look at the stash reflog (its journal note's, after its write: the
  // first is the journal's check under the lock; before it, the journal's last line noted into
  // this very file asks none, review-46 F1), and the file replaced by git meanwhile
  // (`git checkout --` standing for a pull or a rebase's pick).
  const held = await spawnHeld(
    [...RUNREC, "emit", join(local, DEL), "--agent", "OURS", "--status", "SUCCESS"],
    {
      calls: "statx,newfstatat,stat,lstat",
      path: join(local, ".git", "logs", "refs", "stash"),
      when: "2",
      stdout: "piped",
    },
  );
  await held.held(2, "the emit's second look at the stash reflog");
  assertEquals(await agentsOf(file), ["FIRST", "BEFORE", "OURS"], "written and checked");
  await git(local, "checkout", "-q", "--", join(DEL, RECORD_FILE));
  await held.release();
  const emitted = await held.child.output();
  assertEquals(emitted.code, 0, new TextDecoder().decode(emitted.stderr));
  assertEquals(await agentsOf(file), ["FIRST", "BEFORE"]);
  assertIncludes((await flush(local)).stdout, "put back into");
  assertEquals(await agentsOf(file), ["FIRST", "BEFORE", "OURS"]);
});

Deno.test("git dropped: a finish retried after a git command dropped the first finish's record puts it back and answers finished already, by folder and by token (retry-sweep F2, F3)", async () => {
  const { local, file } = await cloneBehind();
  const del = join(local, DEL);
  for (const by of ["folder", "token"] as const) {
    const started = await runCliProcess(["start", del, "--agent", "AGENT_A"]);
    const token = started.stdout.trim();
    const finish = by === "folder"
      ? ["finish", del, "--agent", "AGENT_A", "--status", "SUCCESS"]
      : ["finish", token, "--status", "SUCCESS"];
    const first = await runCliProcess(finish);
    assertEquals(first.code, 0, first.stderr);
    await git(local, "checkout", "--", join(DEL, RECORD_FILE)); // drops the uncommitted line
    const retried = await runCliProcess(finish);
    // Before: "no pending run … runrec emit …", and that emit recorded the run twice.
    assertEquals(retried.code, 2, retried.stderr);
    assertIncludes(retried.stderr, "finished already");
    assertIncludes(retried.stderr, `${first.stdout.trim()} put back into`);
    // Each run once: the folder's, then the token's.
    const runs = by === "folder" ? ["AGENT_A"] : ["AGENT_A", "AGENT_A"];
    assertEquals(await agentsOf(file), ["FIRST", ...runs]);
    await git(local, "commit", "-qam", `AGENT_A's run, finished by ${by}`);
  }
});

Deno.test("git dropped: a line whose journal note was made while git's new file was still empty is put back once git has written it: the note keeps what the file held before the write (race-sweep F2)", async () => {
  const { local, file } = await cloneBehind();
  await emit(local, "BEFORE");
  const committed = await Deno.readTextFile(file);
  // As an append does it: the file's context read, the line written ...
  const context = lineContext(file, (await Deno.stat(file)).size);
  const line = committed.split("\n").at(-2)!.replace("BEFORE", "OURS").replace(
    /,[0-9a-f]{64}$/,
    "",
  );
  const ours = `${line},${sha256Hex(line)}`;
  await Deno.writeTextFile(file, `${ours}\n`, { append: true });
  const offset = (await Deno.stat(file)).size - ours.length - 1;
  // ... git then replaces the file (a checkout): unlinked, created empty, noted, then written.
  await Deno.remove(file);
  await Deno.writeTextFile(file, "");
  const readAfter = lineContext(file, offset); // what the note read before this fix
  journalAppended(file, offset, ours, context, true);
  await Deno.writeTextFile(file, committed);
  assertEquals([readAfter.previous, readAfter.first], ["", ""], "the empty file says nothing");
  const put: string[] = [];
  putBackDropped(file, (l) => {
    put.push(l);
    return { offset: Deno.statSync(file).size, line: l };
  });
  assertEquals(put, [ours]);
});

Deno.test("git dropped: where git cannot be asked (not on PATH, or refusing the repository), a line carried to another branch and committed there is not put back once HEAD is back; one dropped with no branch left since is (git-config F1)", async () => {
  const { local, file } = await cloneBehind();
  const noGit = { PATH: await tempDir() };
  const emitNoGit = async (agent: string) => {
    const ran = await runCliProcess(
      ["emit", join(local, DEL), "--agent", agent, "--status", "SUCCESS"],
      FULL_FLAGS,
      noGit,
    );
    assertEquals(ran.code, 0, ran.stderr);
  };
  await emitNoGit("CARRIED");
  await git(local, "checkout", "-q", "-b", "feature");
  await git(local, "commit", "-qam", "the run carried to feature");
  await git(local, "checkout", "-q", "-");
  await git(local, "pull", "-q", "--no-rebase"); // a fast-forward: git replaces the file
  // HEAD's reflog keeps seconds: the next note is made in a later second than the checkout's.
  await new Promise((r) => setTimeout(r, 1000 - Date.now() % 1000 + 50));
  await emitNoGit("AFTER");
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "AFTER"]);
  // Dropped with HEAD on its branch since: put back, without git as with it.
  await emitNoGit("DROPPED");
  await git(local, "checkout", "--", join(DEL, RECORD_FILE));
  await emitNoGit("NEXT");
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "AFTER", "DROPPED", "NEXT"]);
  // The branch's merge holds the carried run once.
  await git(local, "commit", "-qam", "runs on main");
  await git(local, "merge", "-q", "--no-edit", "feature");
  const merged = await agentsOf(file);
  assertEquals(merged.filter((agent) => agent === "CARRIED").length, 1, merged.join(" "));
});

Deno.test("git dropped: two records over 1 MiB appended during one git command are both put back: the journal's cut keeps its newest lines whatever their size (scale-sweep F2)", async () => {
  const { local, file } = await cloneBehind();
  for (const agent of ["BIG1", "BIG2"]) {
    const draft = sampleDraft({
      DeliverableID: "DEL-01-02",
      AgentName: agent,
      Notes: "x".repeat(1_200_000),
    });
    await appendRecord(file, draft, { fsync: false });
  }
  assertEquals(await agentsOf(file), ["FIRST", "BIG1", "BIG2"]);
  await git(local, "checkout", "--", join(DEL, RECORD_FILE)); // git drops both
  assertEquals(await agentsOf(file), ["FIRST"]);
  const flushed = await flush(local);
  assertEquals(flushed.code, 0, flushed.stderr);
  assertEquals(await agentsOf(file), ["FIRST", "BIG1", "BIG2"]);
});

Deno.test("git dropped: a record written but not confirmed (its fsync failed: the check after the write most often fails because git replaced the file under it) is noted in the journal too, and put back once git drops it (the soak after seeds-trace F2)", async () => {
  const { local, file } = await cloneBehind();
  const out = await new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", "/dev/null", "-P", file],
      ...["-e", "trace=fsync,fdatasync", "-e", "inject=fsync,fdatasync:error=EIO:when=1"],
      ...RUNREC,
      ...["emit", join(local, DEL), "--agent", "UNCONFIRMED", "--status", "SUCCESS"],
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  assertIncludes(stderr, "written but not confirmed");
  assertEquals(await agentsOf(file), ["FIRST", "UNCONFIRMED"]);
  await git(local, "checkout", "--", join(DEL, RECORD_FILE)); // git drops it
  assertEquals(await agentsOf(file), ["FIRST"]);
  const flushed = await flush(local);
  assertEquals(flushed.code, 0, flushed.stderr);
  assertEquals(await agentsOf(file), ["FIRST", "UNCONFIRMED"]);
});

Deno.test("git dropped: a line dropped after a record over 1 MiB (10,000 inputs' worth) is put back: the record before it is looked for as far back as a record may be long (scale-sweep F1)", async () => {
  const { local, file } = await cloneBehind("x".repeat(1_200_000));
  await emitDuringPull(local, "OURS");
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM"]);
  const flushed = await flush(local);
  assertEquals(flushed.code, 0, flushed.stderr);
  assertEquals(await agentsOf(file), ["FIRST", "UPSTREAM", "OURS"]);
});

Deno.test("git dropped: a record cut off in place by hand, its SEQ not given again by the next append, is put back after git replaces the file beside it, no RunID twice (race-37 F1)", async () => {
  const dir = await Deno.realPath(await tempDir({ prefix: "runrec-dropped-" }));
  await Deno.mkdir(join(dir, DEL), { recursive: true });
  await git(dir, "init", "-q");
  const file = join(dir, DEL, RECORD_FILE);
  // One minute for every record: SEQ is given per minute.
  const at = new Date().toISOString();
  const append = async (agent: string) => {
    const draft = sampleDraft({ DeliverableID: "DEL-01-02", AgentName: agent, RunTimestamp: at });
    return (await appendRecord(file, draft, { fsync: false })).record.RunID;
  };
  await append("FIRST");
  await git(dir, "add", "-A");
  await git(dir, "commit", "-qm", "first run");
  await append("KEPT");
  const cut = await append("CUT");
  // Cut off in place, as an editor that writes the file it opened does: the same inode.
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, text.slice(0, text.lastIndexOf("\n", text.length - 2) + 1));
  assertEquals(await agentsOf(file), ["FIRST", "KEPT"]);
  const next = await append("NEXT");
  // git's checkout of the file as committed drops KEPT and NEXT (and CUT): put back, each once.
  await git(dir, "checkout", "--", join(DEL, RECORD_FILE));
  const flushed = await flush(dir);
  assertEquals(flushed.code, 0, flushed.stderr);
  assertEquals(await agentsOf(file), ["FIRST", "KEPT", "CUT", "NEXT"]);
  const verified = await runCliProcess(["verify", join(dir, DEL)]);
  assertEquals(verified.code, 0, verified.stdout + verified.stderr);
  assert(next !== cut, `${next}: the SEQ of ${cut}, which the journal may put back, given again`);
});
