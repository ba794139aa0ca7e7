/**
 * Test helper process: tries to take the append lock at a path once, waiting
 * up to `wait-ms` for a holder, and prints the outcome as one JSON line:
 * `{"acquired":true,"recoveries":[...],"ms":n}` or
 * `{"acquired":false,"kind":"held"|"unusable","message":"...","ms":n}`.
 * The lock taken is released before exiting. A test that runs it with a
 * timeout asserts a bound on the time a lock takes to judge. With `--on-line`
 * it prints `ready` first and tries once a line comes on stdin: a lock taken
 * just before is judged at once, not after this process's start.
 *
 * Usage: take_lock.ts <lock-path> <wait-ms> [--on-line]
 *
 * @module
 */
import { acquireLock, LockRefusedError } from "../../src/lock.ts";

const [path, waitMs, onLine] = Deno.args;
if (onLine === "--on-line") {
  console.log("ready");
  const reader = Deno.stdin.readable.getReader();
  await reader.read();
  reader.releaseLock();
}
const started = performance.now();
const ms = () => Math.round(performance.now() - started);
try {
  const lock = await acquireLock(path, {
    deliverableId: "DEL-01-02",
    holder: "take_lock",
    waitMs: Number(waitMs),
  });
  const stillHeld = lock.stillHeld();
  await lock.release();
  console.log(JSON.stringify({ acquired: true, recoveries: lock.recoveries, stillHeld, ms: ms() }));
} catch (e) {
  const kind = e instanceof LockRefusedError ? e.kind : (e as Error).name;
  console.log(JSON.stringify({ acquired: false, kind, message: (e as Error).message, ms: ms() }));
}
