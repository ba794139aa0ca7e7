/**
 * Stop 55's new users: a Deno script author whose long-lived orchestrator records its agents' runs
 * from Workers, and a CI job running the installed `runrec-sandboxed`. Each test is one friction
 * they met, which failed before its fix.
 */
import { join } from "node:path";
import { RECORD_FILE } from "../src/deliverable.ts";
import { sharedStatePath } from "../src/work_tree_lock.ts";
import { recordRun } from "../mod.ts";
import { ROOT, tempDir } from "./fixtures.ts";
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
