/**
 * A record file that another program (git's checkout, pull or reset) puts
 * in place of the one a writer looked at, before or while the writer
 * appends: the record lands in the file at the path, once, with a RunID
 * allocated from that file. strace holds the writer's system call while the
 * test replaces the file, as `git pull` does (a new file renamed into place).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/replaced_file_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { makeProject, sampleDraft } from "./fixtures.ts";
import { recordsOf, RUNREC } from "./support/runs.ts";
import { runCliProcess } from "./cli.ts";

const STARTED = "2026-01-01T10:00:30.000Z";

/** A project whose record file holds one run, and upstream's version of it with one more. */
async function projectWithUpstream() {
  const { root, del } = await makeProject();
  const file = join(del, RECORD_FILE);
  await appendRecord(file, sampleDraft({ RunTimestamp: "2026-01-01T09:00:00.000Z" }));
  // Upstream's version of the file: ours plus a run of the same minute as the one emitted.
  const theirs = join(root, "theirs.csv");
  await Deno.copyFile(file, theirs);
  await appendRecord(theirs, sampleDraft({ AgentName: "UPSTREAM", RunTimestamp: STARTED }));
  return { root, del, file, theirs };
}

const EMIT = ["emit", "--agent", "OURS", "--status", "SUCCESS", "--started", STARTED];

/** strace's lines for the system calls `trace` on `file` during an emit into `del`, as run. */
async function traceOf(file: string, del: string, trace: string): Promise<string[]> {
  const out = await new Deno.Command("strace", {
    args: ["-f", "-qq", "-y", "-P", file, "-e", `trace=${trace}`, ...RUNREC, ...emitArgs(del)],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return new TextDecoder().decode(out.stderr).split("\n").filter((l) => l.includes(`${trace}(`));
}

function emitArgs(del: string): string[] {
  return [EMIT[0], del, ...EMIT.slice(1)];
}

/**
 * Emits into `del` under strace (`straceArgs`, which hold a system call on
 * the record file); once `held(trace)` says the call is held, runs `meanwhile`
 * (by default: replaces the record file by `theirs`, as git writes a new file
 * in its place).
 */
async function emitWhileReplaced(
  del: string,
  file: string,
  theirs: string,
  straceArgs: string[],
  held: (trace: string) => boolean,
  meanwhile: () => Promise<void> = () => Deno.rename(theirs, file),
) {
  const emit = new Deno.Command("strace", {
    args: ["-f", "-qq", "-y", "-P", file, ...straceArgs, ...RUNREC, ...emitArgs(del)],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = emit.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let trace = "";
  while (!held(trace)) {
    const { value, done } = await reader.read();
    assert(!done, `the system call was never held: ${trace}`);
    trace += value;
  }
  await meanwhile();
  for (let r = await reader.read(); !r.done; r = await reader.read()) trace += r.value;
  const { code } = await emit.status;
  const stdout = new TextDecoder().decode(await new Response(emit.stdout).arrayBuffer());
  return { code, stdout, stderr: trace };
}

async function assertRecordedOnce(del: string, code: number, stdout: string, stderr: string) {
  assertEquals(code, 0, stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.AgentName).sort(), ["4_DOCUMENTS", "OURS", "UPSTREAM"], stderr);
  const ids = records.map((r) => r.RunID);
  assertEquals(new Set(ids).size, ids.length, `RunIDs repeat: ${ids}`);
  assertEquals(stdout.trim(), records.find((r) => r.AgentName === "OURS")!.RunID);
  assert(!stderr.includes("spooled") && !stderr.includes("not confirmed"), stderr);
}

Deno.test("record file replaced (git pull) while the record is written: it is appended to the file now at the path, once", async () => {
  const { root, del, file, theirs } = await projectWithUpstream();
  // The fsync after the write waits: the record is in the old file when it is replaced.
  const { code, stdout, stderr } = await emitWhileReplaced(
    del,
    file,
    theirs,
    ["-e", "trace=write,fsync", "-e", "inject=fsync:delay_enter=2000000"],
    (trace) => /write\(\d+<[^>]*RunRecords\.csv>/.test(trace),
  );
  await assertRecordedOnce(del, code, stdout, stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("record file replaced (git pull) between the writer's look and its open: the RunID is allocated from the new file", async () => {
  const { root, del, file, theirs } = await projectWithUpstream();
  // The open for append is the N-th open of the file: it waits, and the file is replaced once
  // the open before it (the writer's look) is done.
  const probe = await projectWithUpstream();
  const opens = await traceOf(probe.file, probe.del, "openat");
  await Deno.remove(probe.root, { recursive: true });
  const n = opens.findIndex((l) => l.includes("O_APPEND")) + 1;
  assert(n > 1, opens.join("\n"));
  const { code, stdout, stderr } = await emitWhileReplaced(
    del,
    file,
    theirs,
    ["-e", "trace=openat", "-e", `inject=openat:delay_enter=2000000:when=${n}`],
    (trace) => (trace.match(/openat\(/g) ?? []).length >= n - 1,
  );
  await assertRecordedOnce(del, code, stdout, stderr);
  await Deno.remove(root, { recursive: true });
});

/** strace arguments that hold the fsync after the record's write for 2 s. */
const HOLD_FSYNC = ["-e", "trace=write,fsync", "-e", "inject=fsync:delay_enter=2000000"];
const WRITTEN = (trace: string) => /write\(\d+<[^>]*RunRecords\.csv>/.test(trace);

Deno.test("record file replaced after the write by a copy that holds the record (git stash pop, an editor's save): one record, not written again", async () => {
  const { root, del, file, theirs } = await projectWithUpstream();
  const { code, stderr } = await emitWhileReplaced(
    del,
    file,
    theirs,
    HOLD_FSYNC,
    WRITTEN,
    async () => {
      // strace may show the write before it ends (another thread's call between): wait for it.
      for (let i = 0; i < 100 && !(await Deno.readTextFile(file)).includes(",OURS,"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await Deno.copyFile(file, theirs); // our record is in it
      await Deno.rename(theirs, file);
    },
  );
  assertEquals(code, 0, stderr);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.AgentName), ["4_DOCUMENTS", "OURS"], stderr);
  assert(stderr.includes("written but not confirmed"), stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("deliverable folder moved while the record is written: the record is in the moved file, not spooled nor written again", async () => {
  const { root, del, file, theirs } = await projectWithUpstream();
  const moved = `${del}_Moved`;
  const { code, stderr } = await emitWhileReplaced(
    del,
    file,
    theirs,
    HOLD_FSYNC,
    WRITTEN,
    () => Deno.rename(del, moved),
  );
  assertEquals(code, 0, stderr);
  assert(!stderr.includes("spooled"), stderr);
  assert(stderr.includes("written but not confirmed"), stderr);
  assertEquals((await recordsOf(moved)).map((r) => r.AgentName), ["4_DOCUMENTS", "OURS"]);
  await Deno.rename(moved, del);
  const flush = await runCliProcess(["flush", del]);
  assertEquals(flush.code, 0, flush.stderr);
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["4_DOCUMENTS", "OURS"]);
  await Deno.remove(root, { recursive: true });
});
