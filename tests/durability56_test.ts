/**
 * Durability across a power loss (durability-56): only what was fsynced
 * survives one, and a file created or renamed survives only once its folder
 * was fsynced too. Each test runs the CLI under
 * `strace -f -y -e trace=openat,mkdir,rename,renameat2,fsync,fdatasync,close,write` (`-y`
 * names each descriptor's path) and checks that every file holding the record
 * or the run, and every folder given a new entry on the way, is fsynced after
 * that entry was made and before the process reports success (its stdout or
 * stderr line).
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { emitArgs, runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir, writeTree } from "./fixtures.ts";
import { sh } from "./support/sh.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { mountReadOnly, unmount } from "./support/read_only.ts";
import { DEL, JOURNAL, lostOnOld } from "./support/journal_lost.ts";

/** A CLI run's system calls, one per line, in the order they were entered. */
interface Trace {
  code: number;
  stdout: string;
  stderr: string;
  calls: string[];
}

/** Runs the CLI with `args` under strace (in `cwd`, with `env`) and returns its calls. */
async function traced(
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<Trace> {
  const log = join(await tempDir({ prefix: "runrec-durable-" }), "trace");
  const out = await new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-y", "-s", "400", "-o", log],
      ...["-e", "trace=openat,mkdir,mkdirat,rename,renameat,renameat2,fsync,fdatasync,close,write"],
      ...[Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, ...args],
    ],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
    calls: (await Deno.readTextFile(log)).split("\n"),
  };
}

/** Where `pattern` is first matched among the calls, after call `from`; -1 when nowhere. */
function callAt(trace: Trace, pattern: RegExp, from = -1): number {
  return trace.calls.findIndex((c, i) => i > from && pattern.test(c));
}

/** The first write of `text` to the process's stdout or stderr: where it reports. */
function reportAt(trace: Trace, text: string): number {
  const at = trace.calls.findIndex((c) => /^\d+ +write\([12]</.test(c) && c.includes(text));
  assert(at >= 0, `no report of ${text}:\n${trace.stdout}${trace.stderr}`);
  return at;
}

function quoted(path: string): string {
  return path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The call after which `path` is synced, by an fsync of a descriptor of it. */
function syncOf(path: string): RegExp {
  return new RegExp(`^\\d+ +f(?:data)?sync\\(\\d+<${quoted(path)}>\\)`);
}

/**
 * Asserts that `path` is fsynced after call `after` (where its new content or entry was
 * made) and before call `report`, and says which when not.
 */
function assertSyncedBetween(trace: Trace, path: string, after: number, report: number): void {
  assert(after >= 0, `${path}: the call that made it is not in the trace`);
  const synced = callAt(trace, syncOf(path), after);
  assert(
    synced >= 0 && synced < report,
    `${path}: not fsynced between its change (call ${after}: ${trace.calls[after]}) and the ` +
      `report (call ${report}: ${trace.calls[report]})${synced >= 0 ? `; only at ${synced}` : ""}`,
  );
}

/** The call that created `path` (an `openat` with `O_CREAT`, or a `mkdir`). */
function creationOf(trace: Trace, path: string): number {
  return callAt(
    trace,
    new RegExp(
      `^\\d+ +(?:openat\\(AT_FDCWD(?:<[^>]*>)?, "${
        quoted(path)
      }", [^)]*O_CREAT|mkdir(?:at)?\\((?:AT_FDCWD<[^>]*>, )?"${quoted(path)}")`,
    ),
  );
}

/** An `openat` of `path` to append to it. */
function openedToAppend(path: string): RegExp {
  return new RegExp(`^\\d+ +openat\\(AT_FDCWD(?:<[^>]*>)?, "${quoted(path)}", [^)]*O_APPEND`);
}

/** The rename that gave `folder` a new entry named `name`'s start (`…", "<folder>/<name>`). */
function renameInto(trace: Trace, folder: string, name: string): number {
  return callAt(
    trace,
    new RegExp(`^\\d+ +rename(?:at2?)?\\(.*"${quoted(folder)}/${quoted(name)}`),
  );
}

Deno.test("durability-56: emit into a new deliverable fsyncs the new RunRecords.csv and its folder before it prints the RunID; into an existing one, the file", async () => {
  const { del } = await makeProject();
  const file = join(del, RECORD_FILE);
  const first = await traced(emitArgs(del));
  assertEquals(first.code, 0, first.stderr);
  const runId = first.stdout.trim();
  const report = reportAt(first, runId);
  const created = creationOf(first, file);
  assertSyncedBetween(first, file, created, report);
  // Before: the new file's entry in its folder was never synced; a power loss could take it.
  assertSyncedBetween(first, del, created, report);
  // Before: its note in the journal (what puts it back after a git command drops it) was never
  // synced, nor the new journal's entry in .runrec/.
  const journal = join(del, ".runrec", `${RECORD_FILE}.journal`);
  const begun = creationOf(first, journal);
  assertSyncedBetween(first, journal, begun, report);
  assertSyncedBetween(first, join(del, ".runrec"), begun, report);

  const second = await traced(emitArgs(del));
  assertEquals(second.code, 0, second.stderr);
  const appended = callAt(
    second,
    openedToAppend(file),
  );
  const reported = reportAt(second, second.stdout.trim());
  assertSyncedBetween(second, file, appended, reported);
  assertSyncedBetween(second, journal, callAt(second, openedToAppend(journal)), reported);
});

Deno.test("durability-56: start in a new deliverable fsyncs the pending run, .runrec/pending/ and the folders that hold .runrec/ and pending/ before it prints the token", async () => {
  const { del } = await makeProject();
  const start = await traced(["start", del, "--agent", "4_DOCUMENTS"]);
  assertEquals(start.code, 0, start.stderr);
  const token = start.stdout.trim();
  const report = reportAt(start, token);
  const state = join(del, ".runrec");
  const pending = join(state, "pending");
  // Before: .runrec/ and pending/ were made and never synced in their folders.
  assertSyncedBetween(start, del, creationOf(start, state), report);
  assertSyncedBetween(start, state, creationOf(start, pending), report);
  const name = token.slice(token.lastIndexOf("/") + 1);
  assertSyncedBetween(start, pending, renameInto(start, pending, name), report);
});

Deno.test("durability-56: an emit spooled (its deliverable read-only) into a new $RUNREC_SPOOL_DIR fsyncs the entry and every folder made for it before it warns", async () => {
  const { root, del } = await makeProject();
  const outer = join(root, "spool");
  const spool = join(outer, "records");
  await mountReadOnly(del);
  let emit: Trace;
  try {
    emit = await traced(emitArgs(del), { RUNREC_SPOOL_DIR: spool });
  } finally {
    await unmount(del);
  }
  assertEquals(emit.code, 0, emit.stderr);
  const report = reportAt(emit, "spool");
  // Before: the spool folder (and the one above it, both made here) were not synced where
  // they were made: the entry, synced in them, could be gone with them.
  assertSyncedBetween(emit, root, creationOf(emit, outer), report);
  assertSyncedBetween(emit, outer, creationOf(emit, spool), report);
  const entry = (await Array.fromAsync(Deno.readDir(spool))).find((e) => e.name.endsWith(".json"));
  assert(entry !== undefined, "the record is spooled");
  assertSyncedBetween(emit, spool, renameInto(emit, spool, entry.name), report);
});

Deno.test("durability-56: reap of a run its agent left fsyncs the FAILED record, and .runrec/ and reaped/ for the run it keeps, before it reports", async () => {
  const { del } = await makeProject();
  assertEquals((await runCliProcess(emitArgs(del))).code, 0);
  const start = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"]);
  assertEquals(start.code, 0, start.stderr);
  const reap = await traced(["reap", del, "--older-than", "0s"]);
  assertEquals(reap.code, 0, reap.stderr);
  const file = join(del, RECORD_FILE);
  const runId = (await Deno.readTextFile(file)).trimEnd().split("\n").at(-1)!.split(",")[1];
  const report = reportAt(reap, runId);
  const appended = callAt(
    reap,
    openedToAppend(file),
  );
  assertSyncedBetween(reap, file, appended, report);
  const state = join(del, ".runrec");
  const reaped = join(state, "reaped");
  const end = reap.calls.length - 1;
  // Before: reaped/ was made and never synced in .runrec/.
  assertSyncedBetween(reap, state, creationOf(reap, reaped), end);
  const name = start.stdout.trim().slice(start.stdout.trim().lastIndexOf("/") + 1);
  assertSyncedBetween(reap, reaped, renameInto(reap, reaped, name.replace(/\.json$/, "")), end);
});

Deno.test("durability-56: flush --from that begins a RunRecords.csv the branch lacks fsyncs it and its folder before it reports the record put back", async () => {
  const { root, env, lost } = await lostOnOld();
  await git(root, "checkout", "-q", "old"); // old has no record file: the put back begins one
  const flush = await traced(["flush", "--from", JOURNAL], env, root);
  assertEquals(flush.code, 0, flush.stderr);
  const del = join(root, DEL);
  const file = join(del, RECORD_FILE);
  const report = reportAt(flush, lost);
  const created = creationOf(flush, file);
  assertSyncedBetween(flush, file, created, report);
  // Before: only the file's bytes were synced, not its entry in the deliverable's folder.
  assertSyncedBetween(flush, del, created, report);
});

/**
 * Runs `args` on a fresh ext4 file system (a loop device over an image in a temporary folder)
 * holding a project of one deliverable, then cuts the power: copies the image as the device
 * holds it the moment the CLI has reported (what the file system has not written back is not in
 * it), checks the copy with `e2fsck` and mounts it. Returns the CLI's stdout and the deliverable
 * as the copy holds it (`RunRecords.csv`'s text, or `undefined` when it is not there).
 */
async function cutAfter(args: (del: string) => string[]): Promise<
  { stdout: string; records: string | undefined; journal: string | undefined }
> {
  const dir = await tempDir({ prefix: "runrec-cut-" });
  const [image, copy, mounted] = ["disk.img", "cut.img", "mnt"].map((n) => join(dir, n));
  await sh(dir, 'truncate -s 32M "$1" && mkfs.ext4 -q "$1" && mkdir "$2"', [image, mounted]);
  const device = (await sh(dir, 'losetup -f --show "$1"', [image])).trim();
  let stdout = "";
  try {
    await sh(dir, 'mount "$1" "$2"', [device, mounted]);
    try {
      const del = join(mounted, "DEL-01-02_Thing");
      await writeTree(mounted, {
        "INIT.md": "# Init\n",
        "DEL-01-02_Thing/_CONTEXT.md": "**DeliverableID:** DEL-01-02\n",
      });
      await sh(dir, 'sync -f "$1"', [mounted]); // the project is on the disk before the run
      const run = await runCliProcess(args(del));
      assertEquals(run.code, 0, run.stderr);
      stdout = run.stdout.trim();
      // The file system writes back what was not synced after 5 s at the soonest: copied now,
      // the image is what a power cut leaves.
      await sh(dir, 'cp "$1" "$2"', [image, copy]);
    } finally {
      await sh(dir, 'umount "$1"', [mounted]);
    }
  } finally {
    await sh(dir, 'losetup -d "$1"', [device]);
  }
  // e2fsck exits 1 when it repaired what the cut left (an inode half written): that is a reboot.
  await sh(dir, 'e2fsck -fy "$1" >/dev/null 2>&1; [ $? -le 1 ]', [copy]);
  await sh(dir, 'mount -o loop,ro "$1" "$2"', [copy, mounted]);
  try {
    const file = join(mounted, "DEL-01-02_Thing", RECORD_FILE);
    const journal = join(mounted, "DEL-01-02_Thing", ".runrec", `${RECORD_FILE}.journal`);
    const read = (path: string) => Deno.readTextFile(path).catch(() => undefined);
    return { stdout, records: await read(file), journal: await read(journal) };
  } finally {
    await sh(dir, 'umount "$1"', [mounted]);
  }
}

Deno.test("durability-56: a power cut right after emit printed its RunID (the disk image as the device held it, fsck, mount) keeps the record and its journal note; with --no-fsync the same cut loses it", async () => {
  const kept = await cutAfter((del) => ["emit", del, "--agent", "A", "--status", "SUCCESS"]);
  assert(kept.records?.includes(`v1.0,${kept.stdout},`), `${kept.stdout} lost: ${kept.records}`);
  // And its note in the journal, which puts it back if a git command drops it later.
  assert(kept.journal?.includes(kept.stdout), `its journal note lost: ${kept.journal}`);
  // The cut is real: what was not synced is not on the disk.
  const lost = await cutAfter((del) => [
    ...["emit", del, "--agent", "A", "--status", "SUCCESS", "--no-fsync"],
  ]);
  assert(!lost.records?.includes(lost.stdout), `an unsynced record survived: ${lost.records}`);
});
