/**
 * A finish whose record can be neither written nor spooled (a full disk, the
 * user's spool on it too) keeps the run pending unless the record's
 * lost-record line actually went out: with stderr on /dev/full as well, the
 * run stays for `reap`, never removed with its record said nowhere (soak F1).
 * The disk is a real tiny tmpfs, stderr the real /dev/full, runrec a real
 * process.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { makeProject, ROOT, tempDir } from "./fixtures.ts";
import { firstLine, pendingFiles, recordsOf, RUNREC_SH } from "./support/runs.ts";
import { runScript } from "./support/library_script.ts";

async function sh(script: string, env: Record<string, string> = {}) {
  const out = await new Deno.Command("sh", { args: ["-c", script], env, stdout: "piped" })
    .output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

/**
 * A project on a 512 KiB tmpfs with `TMPDIR` on it too, so that a full disk
 * leaves no spool; `fill` takes its every free byte, `free` gives them back.
 */
async function projectOnTinyDisk() {
  const { root } = await makeProject();
  const mount = await tempDir();
  assertEquals((await sh(`mount -t tmpfs -o size=512k tmpfs '${mount}'`)).code, 0);
  await sh(`cp -a '${root}' '${mount}/p' && mkdir '${mount}/tmp'`);
  const del = join(mount, "p", "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  const filler = join(mount, "filler");
  return {
    del,
    root: join(mount, "p"),
    env: { TMPDIR: join(mount, "tmp") },
    fill:
      `dd if=/dev/zero of='${filler}' bs=4k 2>/dev/null; dd if=/dev/zero of='${filler}2' bs=1 2>/dev/null`,
    free: () => sh(`rm -f '${filler}' '${filler}2'`),
    cleanup: () => sh(`umount '${mount}'`),
  };
}

Deno.test("finish on a full disk with stderr on /dev/full: exit 2, the run stays pending, and reap records it once", async () => {
  const disk = await projectOnTinyDisk();
  try {
    const start = await sh(`${RUNREC_SH} start '${disk.del}' --agent 4_DOCUMENTS`, disk.env);
    const token = start.stdout.trim();
    await sh(disk.fill);
    const finish = await sh(
      `${RUNREC_SH} finish '${token}' --status SUCCESS 2>/dev/full`,
      disk.env,
    );
    assertEquals(finish.code, 2);
    // Said nowhere, so not removed: the run's file is back under its own name.
    assertEquals(pendingFiles(disk.del), [token.split("/").pop()!]);
    await disk.free();
    const reap = await sh(`${RUNREC_SH} reap '${disk.root}' --older-than 0s 2>&1`, disk.env);
    assertEquals(reap.code, 0, reap.stdout);
    const records = await recordsOf(disk.del);
    assertEquals(records.map((r) => r.RunStatus), ["FAILED"]);
    assertEquals(pendingFiles(disk.del), []);
  } finally {
    await disk.cleanup();
  }
});

Deno.test("finish --json on a full disk with stderr on /dev/full: the JSON carries lostRecord, the run leaves pending, flush --from appends it once", async () => {
  const disk = await projectOnTinyDisk();
  try {
    const start = await sh(`${RUNREC_SH} start '${disk.del}' --agent 4_DOCUMENTS`, disk.env);
    await sh(disk.fill);
    const finish = await sh(
      `${RUNREC_SH} finish '${start.stdout.trim()}' --status SUCCESS --json 2>/dev/full`,
      disk.env,
    );
    assertEquals(finish.code, 0, finish.stdout);
    const document = JSON.parse(finish.stdout);
    assertEquals(document.outcome, "lost");
    assertMatch(document.lostRecord, /^runrec: lost-record: \{/);
    assertEquals(pendingFiles(disk.del), [], "the record went out: its run is not pending");
    await disk.free();
    const saved = join(disk.env.TMPDIR, "lost.txt");
    await Deno.writeTextFile(saved, `${document.lostRecord}\n`);
    assertEquals((await sh(`${RUNREC_SH} flush --from '${saved}'`, disk.env)).code, 0);
    const reap = await sh(`${RUNREC_SH} reap '${disk.root}' --older-than 0s 2>&1`, disk.env);
    assertMatch(reap.stdout, /nothing to reap/);
    assertEquals((await recordsOf(disk.del)).map((r) => r.RunStatus), ["SUCCESS"]);
  } finally {
    await disk.cleanup();
  }
});

Deno.test("exec whose command fills the disk, stderr on /dev/full: its code stands, the run stays pending for reap", async () => {
  const disk = await projectOnTinyDisk();
  try {
    const exec = await sh(
      `cd '${disk.del}' && ${RUNREC_SH} exec . --agent 4_DOCUMENTS -- sh -c ` +
        `"echo y > out.txt; ${disk.fill.replaceAll("'", "")}; exit 0" 2>/dev/full`,
      disk.env,
    );
    assertEquals(exec.code, 0);
    const left = pendingFiles(disk.del);
    assertEquals(left.length, 1, `pending: ${left}`);
    assert(left[0].endsWith(".json"), left[0]);
    await disk.free();
    const reap = await sh(`${RUNREC_SH} reap '${disk.root}' 2>&1`, disk.env);
    assertMatch(reap.stdout, /is gone/);
    assertEquals((await recordsOf(disk.del)).map((r) => r.RunStatus), ["FAILED"]);
  } finally {
    await disk.cleanup();
  }
});

Deno.test("withRun whose work fills the disk, stderr on /dev/full: the work's value returned, the run stays pending for reap, its record never said nowhere (review-41 F3)", async () => {
  const disk = await projectOnTinyDisk();
  try {
    const { answer } = await runScript(
      disk.root,
      ["--allow-read", "--allow-write", "--allow-env", "--allow-sys", "--allow-run"],
      `const value = await rr.withRun(${JSON.stringify(disk.del)}, { agent: "4_DOCUMENTS" }, () => {
        new Deno.Command("sh", { args: ["-c", ${JSON.stringify(disk.fill)}] }).outputSync();
        return "done";
      });
      return { value };`,
      disk.env,
      "/dev/full",
    );
    // Before: the run's file removed as its lost-record line went to stderr, which took none (the
    // record said nowhere), and withRun threw "No space left on device" for the work's value.
    assertEquals(answer, { value: "done" });
    assertEquals(pendingFiles(disk.del).length, 1, `pending: ${pendingFiles(disk.del)}`);
    await disk.free();
    const reap = await sh(`${RUNREC_SH} reap '${disk.root}' 2>&1`, disk.env);
    assertMatch(reap.stdout, /is gone/);
    assertEquals((await recordsOf(disk.del)).map((r) => r.RunStatus), ["FAILED"]);
  } finally {
    await disk.cleanup();
  }
});

Deno.test("emit and finish whose record was written or spooled exit 0 though stderr fails (their notes unprinted): a caller told 2 would record the run again (soak3 F1)", async () => {
  const { root } = await makeProject();
  const del = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  const env = { TMPDIR: await tempDir() };
  // An input that names nothing: a warning goes to stderr, which is /dev/full.
  const emit = await sh(
    `${RUNREC_SH} emit '${del}' --agent 4_DOCUMENTS --status SUCCESS --input gone.md 2>/dev/full`,
    env,
  );
  assertEquals(emit.code, 0, emit.stdout);
  assertMatch(emit.stdout, /^RUN-DEL-01-02-/);
  const start = await sh(`${RUNREC_SH} start '${del}' --agent 4_DOCUMENTS --input gone.md`, env);
  const finish = await sh(
    `${RUNREC_SH} finish '${start.stdout.trim()}' --status SUCCESS 2>/dev/full`,
    env,
  );
  assertEquals(finish.code, 0, finish.stdout);
  assertEquals(pendingFiles(del), []);
  // Spooled (the folder read-only): its warning unprinted, the record waits all the same.
  assertEquals(
    (await sh(`mount --bind '${del}' '${del}' && mount -o remount,bind,ro '${del}'`)).code,
    0,
  );
  try {
    const spooled = await sh(
      `${RUNREC_SH} emit '${del}' --agent 4_DOCUMENTS --status SUCCESS --notes spooled 2>/dev/full`,
      env,
    );
    assertEquals(spooled.code, 0, spooled.stdout);
  } finally {
    await sh(`umount '${del}'`);
  }
  assertEquals((await sh(`${RUNREC_SH} flush '${del}' 2>/dev/null`, env)).code, 0);
  const records = await recordsOf(del);
  assertEquals(records.length, 3);
  assert(records.some((r) => r.Notes.startsWith("spooled")));
});

Deno.test("annotate whose RunID cannot be printed (stdout on /dev/full) exits 0 with the annotation appended once: a caller told 2 would append it again (soak3 F5)", async () => {
  const { root } = await makeProject();
  const del = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  const env = { TMPDIR: await tempDir() };
  const run = (await sh(`${RUNREC_SH} emit '${del}' --agent 4_DOCUMENTS --status SUCCESS`, env))
    .stdout.trim();
  const annotate = await sh(
    `${RUNREC_SH} annotate '${del}' '${run}' --note 'checked by QA' >/dev/full 2>/dev/null`,
    env,
  );
  assertEquals(annotate.code, 0);
  const records = await recordsOf(del);
  assertEquals(records.filter((r) => r.Notes.includes("checked by QA")).length, 1);
});

Deno.test("emit, finish and annotate that wait for a busy lock with stderr on /dev/full wait, write and exit 0: the unprintable wait note aborts nothing (soak4 F6)", async () => {
  const { root } = await makeProject();
  const del = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  const env = { TMPDIR: await tempDir() };
  const run = (await sh(`${RUNREC_SH} emit '${del}' --agent 4_DOCUMENTS --status SUCCESS`, env))
    .stdout.trim();
  const token = (await sh(`${RUNREC_SH} start '${del}' --agent PREPARATION`, env)).stdout.trim();
  for (
    const command of [
      `emit '${del}' --agent 4_DOCUMENTS --status SUCCESS --notes while-locked`,
      `finish '${token}' --status SUCCESS --notes while-locked`,
      `annotate '${del}' '${run}' --note while-locked`,
    ]
  ) {
    // A live holder, released a second on: past the 200 ms after which the wait is said.
    const holder = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(ROOT, "tests/support/hold_lock.ts"),
        join(del, "RunRecords.csv.lock"),
        "30",
      ],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    await firstLine(holder.stdout);
    const waiting = sh(`${RUNREC_SH} ${command} >/dev/null 2>/dev/full`, env);
    setTimeout(() => holder.stdin.close(), 1000);
    const result = await waiting;
    await holder.status;
    assertEquals(result.code, 0, command);
  }
  const records = await recordsOf(del);
  assertEquals(records.filter((r) => r.Notes.includes("while-locked")).length, 3);
  assertEquals(pendingFiles(del), []);
});

/**
 * `2>&4` in a script: fd 4 a pipe whose every reader has gone (a FIFO opened both ways, then
 * its read end closed), so each write to stderr fails with EPIPE from the first byte, as when
 * `2>&1 | head -1` has ended. Made this way, not by a reader that exits, it is not a race.
 */
function stderrToGonePipe(fifo: string, command: string): string {
  return `mkfifo '${fifo}' && exec 3<>'${fifo}' 4>'${fifo}' && exec 3<&- && ${command} 2>&4`;
}

for (
  const [what, options, finding] of [
    [
      "with stderr a pipe whose reader has gone: exit 2, the run stays pending, reap records it once (its lost-record line went nowhere: was exit 0, the record gone)",
      "",
      "trial-40 F1",
    ],
    [
      "--json with stdout and stderr pipes whose readers have gone: the document holding lostRecord reached nobody, so emit exits 2 and the run stays pending (was counted as said: exit 0, the record gone)",
      " --json >&4",
      "trial-40 F8",
    ],
  ] as const
) {
  Deno.test(`emit and finish on a full disk ${what} (${finding})`, async () => {
    const disk = await projectOnTinyDisk();
    try {
      const start = await sh(`${RUNREC_SH} start '${disk.del}' --agent 4_DOCUMENTS`, disk.env);
      const token = start.stdout.trim();
      await sh(disk.fill);
      const fifos = await tempDir();
      const emit = await sh(
        stderrToGonePipe(
          join(fifos, "emit"),
          `${RUNREC_SH} emit '${disk.del}' --agent 4_DOCUMENTS --status SUCCESS${options}`,
        ),
        disk.env,
      );
      assertEquals(emit.code, 2, emit.stdout);
      const finish = await sh(
        stderrToGonePipe(
          join(fifos, "finish"),
          `${RUNREC_SH} finish '${token}' --status SUCCESS${options}`,
        ),
        disk.env,
      );
      assertEquals(finish.code, 2, finish.stdout);
      assertEquals(pendingFiles(disk.del), [token.split("/").pop()!]);
      await disk.free();
      const reap = await sh(`${RUNREC_SH} reap '${disk.root}' --older-than 0s 2>&1`, disk.env);
      assertEquals(reap.code, 0, reap.stdout);
      assertEquals((await recordsOf(disk.del)).map((r) => r.RunStatus), ["FAILED"]);
      assertEquals(pendingFiles(disk.del), []);
    } finally {
      await disk.cleanup();
    }
  });
}
