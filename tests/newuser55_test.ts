/**
 * Stop 55's new users: a Deno script author whose long-lived orchestrator records its agents' runs
 * from Workers, and a CI job running the installed `runrec-sandboxed`. Each test is one friction
 * they met, which failed before its fix.
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { sharedStatePath } from "../src/work_tree_lock.ts";
import { recordRun } from "../mod.ts";
import { makeProject, ROOT, tempDir } from "./fixtures.ts";
import { clockMovedEnv, emitArgs, runCliProcess } from "./cli.ts";
import { inContainer } from "./support/container.ts";
import { recordsOf } from "./support/runs.ts";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { waitFor } from "./support/held.ts";
import { withOtherWorkTree } from "./support/work_trees.ts";

const MOD = new URL("../mod.ts", import.meta.url).href;

Deno.test("a lock a Worker of this process left when it was ended (terminate) is taken over once its lease passes, not waited for as a live holder's for the life of the process (newuser-55 F1)", async () => {
  const { del } = await withOtherWorkTree();
  const lock = join(del, `${RECORD_FILE}.lock`);
  // A writer of the other work tree holds the lock they share: the Worker's append takes its own
  // file's lock, then waits for that one, so that it is ended holding it.
  const shared = sharedStatePath(join(del, RECORD_FILE), "lock")!;
  await Deno.mkdir(join(shared, ".."), { recursive: true });
  const holder = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "tests/support/hold_lock.ts"), shared, "30"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  await holder.stdout.getReader().read(); // its lock's text: held
  const script = join(await tempDir({ prefix: "runrec-worker-" }), "worker.ts");
  await Deno.writeTextFile(
    script,
    `import { recordRun } from ${JSON.stringify(MOD)};\n` +
      `self.onmessage = (e) => recordRun(e.data, { agent: "4_DOCUMENTS", status: "SUCCESS" }, ` +
      `{ leaseSeconds: 1, lockWaitMs: 60_000 });\n`,
  );
  const worker = new Worker(new URL(`file://${script}`), { type: "module" });
  worker.postMessage(del);
  await waitFor(() => Deno.lstat(lock).then(() => true, () => false), "the Worker's lock");
  worker.terminate(); // the orchestrator's timeout
  // Ended at its next turn of the event loop, not at once: the other writer holds on till then.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await holder.stdin.close();
  await holder.status;
  await new Promise((resolve) => setTimeout(resolve, 1100)); // its lease of a second passes
  assert(Deno.readTextFileSync(lock).includes(`"pid":${Deno.pid},`), "the ended Worker's lock");

  const started = Date.now();
  const outcome = await recordRun(del, { agent: "4_DOCUMENTS", status: "SUCCESS" }, {
    lockWaitMs: 3000,
  });
  assertEquals(outcome.warnings, []);
  assert(outcome.written !== undefined, "written, not spooled");
  assert(Date.now() - started < 3000, `not waited for: ${Date.now() - started} ms`);
  assertIncludes(outcome.written.record.Notes, "taken in this process");
});

/**
 * A deliverable with a record, and a record spooled (a folder in the lock's place refuses the lock
 * at once) whose replay by a container's `flush` was killed at its write: the lock and the
 * entry's claim name that process's pid. Returns the spool's entries as a function.
 */
async function killedReplay() {
  const { del } = await makeProject();
  const file = join(del, RECORD_FILE);
  assertEquals((await runCliProcess(emitArgs(del))).code, 0);
  await Deno.mkdir(`${file}.lock`);
  const spooled = await runCliProcess(["emit", del, "--agent", "SPOOLED", "--status", "PARTIAL"]);
  assertIncludes(spooled.stderr, "spooled to");
  await Deno.remove(`${file}.lock`);
  const strace = ["-P", file, "-e", "trace=write", "-e", "inject=write:signal=KILL"];
  const killed = await inContainer({ strace }, "flush", del);
  assertEquals(killed.code, 137, new TextDecoder().decode(killed.stderr));
  const pid = JSON.parse(await Deno.readTextFile(`${file}.lock`)).pid;
  const spool = join(del, ".runrec-spool");
  const entries = () => [...Deno.readDirSync(spool)].map((e) => e.name).filter((n) => n[0] !== ".");
  assert(
    new RegExp(`\\.claim-${pid}@${Deno.hostname()}(~[0-9]+)?$`).test(entries()[0]),
    entries().join(),
  );
  return { del, file, pid, entries };
}

Deno.test("a container's process restarted under the pid of one killed while it replayed the spool takes its lock and its claim of the entry back at once, and appends the record (newuser-55 F2)", async () => {
  const { del, file, pid, entries } = await killedReplay();
  // Its start and the next one's are told apart to the second, with a margin of three.
  await new Promise((resolve) => setTimeout(resolve, 4000));

  const started = Date.now();
  const next = await inContainer({}, ...emitArgs(del, "--strict"));
  const stderr = new TextDecoder().decode(next.stderr);
  assertEquals(next.code, 0, stderr);
  assert(Date.now() - started < 8000, `not waited for: ${Date.now() - started} ms`);
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), [
    "4_DOCUMENTS",
    "SPOOLED",
    "4_DOCUMENTS",
  ]);
  assertEquals(entries(), []);
  assertIncludes(
    await Deno.readTextFile(file),
    `pid ${pid} now belongs to another process than the one that took the lock`,
  );
});

Deno.test("a claim naming the replayer's own pid, older than the claims' lease, is taken back where the replayer cannot ask when it started (no --allow-run, as runrec-sandboxed) (newuser-55 F2)", async () => {
  const { del, entries } = await killedReplay();
  const flags = FULL_FLAGS.map((flag) => flag === "--allow-run" ? "--deny-run" : flag);
  // Two minutes on (the wall clock moved): past the lock's lease and the claim's.
  const next = await inContainer({ flags, env: clockMovedEnv("+2m") }, ...emitArgs(del));
  const stderr = new TextDecoder().decode(next.stderr);
  assertEquals(next.code, 0, stderr);
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), [
    "4_DOCUMENTS",
    "SPOOLED",
    "4_DOCUMENTS",
  ]);
  assertEquals(entries(), []);
});
