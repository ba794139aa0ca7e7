/**
 * Environment faults not covered elsewhere, as one table: real read-only bind
 * mounts, `/dev/full` and a device node in place of the record file or its
 * lock, a FIFO, links inside and out of the deliverable, a spool folder that
 * is a link. Each `emit` runs as a real process under the production flags
 * and must, within a bounded time, say what its case documents, exit 0, keep
 * the record (in the file, a spool folder or a printed lost-record line) and
 * write nothing outside the deliverable but the spool folders it names.
 *
 * Covered elsewhere, not repeated here: a full tmpfs and a folder as
 * RunRecords.csv (emit_test.ts), RunRecords.csv as a link to a file or
 * dangling (spool_test.ts), the lock as a link, folder, FIFO, garbage, empty,
 * from the future or with an absurd lease (lock_test.ts, store_test.ts), a
 * spool folder of another user or open to others (spool_test.ts, emit_test.ts).
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { WriteError } from "../src/append_types.ts";
import { emitRecord } from "../src/hook.ts";
import { emitArgs, runCli, runCliProcess } from "./cli.ts";
import { TOO_MANY_OPEN_FILES } from "../src/errors.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";

/** The longest an emit may take in any of these faults (wall time: a lock wait is one). */
const BOUND_SECONDS = 30;

/** Where a case runs: the deliverable, an outside folder, and the spool folders it may use. */
interface Place {
  del: string;
  /** A folder outside the project: link targets live here; nothing may change in it. */
  outside: string;
  /** `$TMPDIR` for the emit: its `runrec-spool-<uid>/` is the last spool folder. */
  tmp: string;
  /** Environment for the emit. */
  env: Record<string, string>;
  /** Mount points to undo, last first. */
  mounts: string[];
}

/** One fault: how to make it, what emit must say, and where the record may end up. */
interface FaultCase {
  name: string;
  make(place: Place): Promise<void>;
  /** What stderr must say. */
  says: RegExp;
  /** Where the record must be: in the record file, a spool folder, or a printed lost-record line. */
  keeps: "file" | "spool" | "lost";
}

async function sh(command: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command(command, { args, stderr: "piped" }).output();
  assertEquals(
    out.code,
    0,
    `${command} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
  );
}

/** Makes `path` read-only with a real bind mount of itself. */
async function readOnly(place: Place, path: string): Promise<void> {
  await sh("mount", "--bind", path, path);
  place.mounts.push(path);
  await sh("mount", "-o", "remount,ro,bind", path);
}

/** Puts `/dev/full` at `path` (a real device: every write fails with ENOSPC). */
async function devFull(place: Place, path: string): Promise<void> {
  await Deno.writeTextFile(path, "");
  await sh("mount", "--bind", "/dev/full", path);
  place.mounts.push(path);
}

const CASES: FaultCase[] = [
  {
    name:
      "a read-only deliverable: spooled to $RUNREC_SPOOL_DIR, the lock file named (trial-lib F2)",
    make: (p) => readOnly(p, p.del),
    says:
      /record not written \(.*RunRecords\.csv\.lock: cannot take the lock: .*Read-only file system.*\); spooled to .*\/spool\//,
    keeps: "spool",
  },
  {
    name: "a read-only $RUNREC_SPOOL_DIR, the deliverable writable: written",
    make: (p) => readOnly(p, p.env.RUNREC_SPOOL_DIR),
    says: /^$/,
    keeps: "file",
  },
  {
    name: "a read-only deliverable, $RUNREC_SPOOL_DIR and $TMPDIR: the record printed as lost",
    async make(p) {
      await readOnly(p, p.env.RUNREC_SPOOL_DIR);
      await readOnly(p, p.tmp);
      await readOnly(p, p.del);
    },
    says: /record LOST: not written .* and not spooled .*\nrunrec: lost-record: /,
    keeps: "lost",
  },
  {
    name: "/dev/full as RunRecords.csv: refused as no regular file, spooled",
    make: (p) => devFull(p, join(p.del, RECORD_FILE)),
    says: /record not written \(.*not a regular file.*\); spooled to /,
    keeps: "spool",
  },
  {
    name: "/dev/full as the lock: not taken, spooled",
    make: (p) => devFull(p, join(p.del, `${RECORD_FILE}.lock`)),
    says: /record not written \(.*lock.*\); spooled to /,
    keeps: "spool",
  },
  {
    name: "an orphaned lock whose breaker is a folder: not taken, spooled, the lock named once",
    async make(p) {
      await Deno.symlink("nowhere", join(p.del, `${RECORD_FILE}.lock`));
      await Deno.mkdir(join(p.del, `${RECORD_FILE}.lock.break`));
    },
    says:
      /record not written \(\S*RunRecords\.csv\.lock: cannot take the lock: RunRecords\.csv\.lock\.break: a directory.*\); spooled to /,
    keeps: "spool",
  },
  {
    name: "a device node as RunRecords.csv: refused, spooled",
    make: (p) => sh("mknod", join(p.del, RECORD_FILE), "c", "1", "3"),
    says: /record not written \(.*not a regular file.*\); spooled to /,
    keeps: "spool",
  },
  {
    name: "a device node as the lock: not taken, spooled",
    make: (p) => sh("mknod", join(p.del, `${RECORD_FILE}.lock`), "c", "1", "3"),
    says: /record not written \(.*lock.*\); spooled to /,
    keeps: "spool",
  },
  {
    name: "a FIFO as RunRecords.csv: never opened, spooled",
    make: (p) => sh("mkfifo", join(p.del, RECORD_FILE)),
    says: /record not written \(.*not a regular file.*\); spooled to /,
    keeps: "spool",
  },
  {
    name: "RunRecords.csv a link to a file inside the deliverable: refused, spooled",
    async make(p) {
      await Deno.writeTextFile(join(p.del, "Other.csv"), "precious\n");
      await Deno.symlink("Other.csv", join(p.del, RECORD_FILE));
    },
    says: /is a symbolic link; runrec reads and writes only a regular file.*spooled to /,
    keeps: "spool",
  },
  {
    name: "RunRecords.csv a link to a file outside the project: refused, spooled",
    async make(p) {
      await Deno.writeTextFile(join(p.outside, "elsewhere.csv"), "precious\n");
      await Deno.symlink(join(p.outside, "elsewhere.csv"), join(p.del, RECORD_FILE));
    },
    says: /is a symbolic link; runrec reads and writes only a regular file.*spooled to /,
    keeps: "spool",
  },
  {
    name:
      "the deliverable's .runrec-spool/ a link out, RunRecords.csv a folder: nothing written through it",
    async make(p) {
      delete p.env.RUNREC_SPOOL_DIR;
      await Deno.mkdir(join(p.outside, "spool"), { mode: 0o700 });
      await Deno.symlink(join(p.outside, "spool"), join(p.del, ".runrec-spool"));
      await Deno.mkdir(join(p.del, RECORD_FILE));
    },
    says:
      /record not written \(.*\); spooled to .*runrec-spool-0\/.*\(not in .*\.runrec-spool: not used: a link, not a real folder of the deliverable\)/,
    keeps: "spool",
  },
  {
    name:
      "$RUNREC_SPOOL_DIR a link to a private folder, the deliverable read-only: passed over, saying why",
    async make(p) {
      await Deno.remove(p.env.RUNREC_SPOOL_DIR);
      await Deno.mkdir(join(p.outside, "spool"), { mode: 0o700 });
      await Deno.symlink(join(p.outside, "spool"), p.env.RUNREC_SPOOL_DIR);
      await readOnly(p, p.del);
    },
    says: /record not written \(.*\); spooled to .*runrec-spool-0.*\(not in .*link/,
    keeps: "spool",
  },
];

/** Every entry beneath `dir` with its size and mtime, so any write shows. */
function listing(dir: string, skip: (path: string) => boolean): Map<string, string> {
  const entries = new Map<string, string>();
  const visit = (path: string) => {
    if (skip(path)) return;
    const info = Deno.lstatSync(path);
    // A folder's own mtime changes when a spool folder is made in it: its entries tell.
    entries.set(path, info.isDirectory ? "folder" : `${info.size} ${info.mtime?.getTime()}`);
    if (info.isDirectory) { for (const e of Deno.readDirSync(path)) visit(join(path, e.name)); }
  };
  visit(dir);
  return entries;
}

/** The files of a spool folder and the folders beneath it, as text. */
function spoolText(dir: string): string {
  try {
    return [...Deno.readDirSync(dir)].map((e) => {
      const path = join(dir, e.name);
      return e.isFile ? Deno.readTextFileSync(path) : e.isDirectory ? spoolText(path) : "";
    }).join("\n");
  } catch {
    return "";
  }
}

for (const fault of CASES) {
  Deno.test(`environment fault: ${fault.name}`, async () => {
    const { root, del } = await makeProject();
    const base = await tempDir({ prefix: "runrec-env-" });
    const place: Place = {
      del,
      outside: join(base, "outside"),
      tmp: join(base, "tmp"),
      env: { RUNREC_SPOOL_DIR: join(base, "spool"), TMPDIR: join(base, "tmp") },
      mounts: [],
    };
    await Deno.mkdir(place.outside);
    await Deno.mkdir(place.tmp);
    await Deno.mkdir(place.env.RUNREC_SPOOL_DIR, { mode: 0o700 });
    try {
      await fault.make(place);
      const spools = [join(base, "spool"), join(place.tmp, "runrec-spool-0")];
      const before = listing(base, (p) => spools.includes(p));
      const projectBefore = listing(root, (p) => p.startsWith(del));
      const marker = `marker-${crypto.randomUUID()}`;
      const started = performance.now();
      const out = await runCliProcess(
        ["emit", del, "--agent", "A", "--status", "SUCCESS", "--notes", marker],
        undefined,
        place.env,
      );
      const seconds = (performance.now() - started) / 1000;
      assertEquals(out.code, 0, out.stderr);
      assert(seconds < BOUND_SECONDS, `took ${seconds.toFixed(1)} s`);
      assert(!/\n\s+at /.test(out.stderr), out.stderr);
      if (fault.says.source === "^$") {
        assert(!/warning|LOST/.test(out.stderr), out.stderr);
      } else assertMatch(out.stderr, fault.says);

      // Nothing lost: the record is where the case says, and nowhere else.
      let inFile = false;
      try {
        const info = Deno.lstatSync(join(del, RECORD_FILE));
        inFile = info.isFile && Deno.readTextFileSync(join(del, RECORD_FILE)).includes(marker);
      } catch { /* no record file */ }
      const inSpool = [...spools, join(del, ".runrec-spool")].some((s) =>
        spoolText(s).includes(marker)
      );
      const inLostLine = out.stderr.split("\n").some((l) =>
        l.startsWith("runrec: lost-record: ") && l.includes(marker)
      );
      assertEquals(
        { inFile, inSpool, inLostLine },
        {
          inFile: fault.keeps === "file",
          inSpool: fault.keeps === "spool",
          inLostLine: fault.keeps === "lost",
        },
      );
      // Nothing written outside the deliverable, spool folders aside.
      assertEquals(listing(base, (p) => spools.includes(p)), before);
      assertEquals(listing(root, (p) => p.startsWith(del)), projectBefore);
    } finally {
      for (const mount of place.mounts.reverse()) {
        await new Deno.Command("umount", { args: [mount] }).output();
      }
    }
  });
}

Deno.test("environment fault: emitRecord in a read-only deliverable throws a WriteError naming the lock file, as its docs say (was a plain Error; trial-lib F1)", async () => {
  const { root, del } = await makeProject();
  await sh("mount", "--bind", del, del);
  try {
    await sh("mount", "-o", "remount,ro,bind", del);
    const error = await emitRecord(del, { agent: "A", status: "SUCCESS" }).then(
      () => undefined,
      (e) => e,
    );
    assert(error instanceof WriteError, String(error));
    assertMatch(error.message, /RunRecords\.csv\.lock: cannot take the lock: .*Read-only/);
    assertEquals(error.landed, false);
  } finally {
    await new Deno.Command("umount", { args: [del] }).output();
  }
  await Deno.remove(root, { recursive: true });
});

/**
 * `emit` on `del` with Notes `marker`, as a real process whose writes to its record file fail as
 * the kernel fails one past a file-size limit (`ulimit -f`): EFBIG, with SIGXFSZ sent. Injected
 * with strace (`-P`: that file only), since a real limit small enough also stops Deno's own cache
 * writes (SQLite sizes a 32 KiB file at each start) before runrec runs, from source (the installed
 * launcher ignores the signal until runrec handles it: install_test.ts).
 */
async function emitPastFileSizeLimit(del: string, marker: string) {
  const limited = await new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", "/dev/null", "-P", join(del, RECORD_FILE)],
      ...["-e", "trace=write,pwrite64,writev", "-e", "inject=all:error=EFBIG:signal=XFSZ"],
      Deno.execPath(),
      "run",
      ...FULL_FLAGS,
      CLI_ENTRY,
      ...emitArgs(del, "--notes", marker),
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: limited.code, stderr: new TextDecoder().decode(limited.stderr) };
}

Deno.test("environment fault: a write past a file-size limit (ulimit -f) fails and the record is spooled and flushed later; runrec is not killed by SIGXFSZ (rlimit F1)", async () => {
  const { root, del } = await makeProject();
  const first = await runCliProcess(emitArgs(del));
  assertEquals(first.code, 0, first.stderr);
  const marker = `marker-${crypto.randomUUID()}`;
  const limited = await emitPastFileSizeLimit(del, marker);
  // Before: killed by the signal (exit 153), the record neither written, spooled nor printed.
  assertEquals(limited.code, 0, limited.stderr);
  assertMatch(limited.stderr, /record not written \(.*File too large.*\); spooled to /);
  const flushed = await runCliProcess(["flush", del]);
  assertEquals(flushed.code, 0, flushed.stderr);
  const text = Deno.readTextFileSync(join(del, RECORD_FILE));
  assertEquals(text.split(marker).length - 1, 1, text);
  await Deno.remove(root, { recursive: true });
});

/** `runrec args` as a real process under a real limit on open files (`ulimit -n limit`). */
async function underFileLimit(limit: number, args: string[]) {
  const command = [Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, ...args];
  const quoted = command.map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(" ");
  const out = await new Deno.Command("bash", {
    args: ["-c", `ulimit -n ${limit}; exec ${quoted}`],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("environment fault: under a low limit on open files (ulimit -n 28, 32, 40) stale, log, verify, validate and export answer in full (at 64 all do) or stop with one line naming the limit, exit 2; stale called readable record files and inputs unreadable (DIRTY) and its hash workers' start ended Deno in a panic (rlimit-39 F3, stop 37's limit)", async () => {
  const { root } = await makeProject();
  const working = join(root, "PKG-01_Pkg", "1_Working");
  // More deliverables than stale checks at once (16) or hashes in this thread (workers from 16).
  for (let d = 10; d < 40; d++) {
    const del = join(working, `DEL-01-${d}_T`);
    await Deno.mkdir(del);
    await Deno.writeTextFile(join(del, "_CONTEXT.md"), `**DeliverableID:** DEL-01-${d}\n`);
    const inputs = [];
    for (let i = 0; i < 4; i++) {
      await Deno.writeTextFile(join(del, `in${i}.md`), `input ${i}\n`);
      inputs.push("--input", `in${i}.md`);
    }
    const emitted = await runCli(emitArgs(del, ...inputs));
    assertEquals(emitted.code, 0, emitted.stderr);
  }
  const commands = [
    ["stale", root],
    ["log", root],
    ["verify", root],
    ["validate", root],
    ["export", root, "--format", "prov"],
  ];
  for (const limit of [28, 32, 40, 64]) {
    for (const args of commands) {
      const { code, stdout, stderr } = await underFileLimit(limit, args);
      const said = `ulimit -n ${limit}: ${args[0]}: exit ${code}\n${stderr}${stdout.slice(-600)}`;
      assert(!/unreadable|cannot read|Too many open files/.test(stdout + stderr), said);
      // With 64, stale's checks and the hash workers' start have the room they need.
      if (code === 2 && limit < 64) {
        assertEquals(stderr, `runrec ${args[0]}: ${TOO_MANY_OPEN_FILES}\n`, said);
        continue;
      }
      assertEquals(code, 0, said);
      if (args[0] === "stale") assertMatch(stdout, /31 checks: 0 DIRTY, 30 CLEAN, 1 NO_BASELINE/);
    }
  }
  await Deno.remove(root, { recursive: true });
});
