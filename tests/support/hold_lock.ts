/**
 * Test helper process: takes the append lock at a path, prints the lock
 * file's text on one line, then holds the lock until its stdin closes (or
 * until it is stopped or killed), and releases it.
 *
 * Usage: hold_lock.ts <lock-path> <lease-seconds>
 *
 * @module
 */
import { acquireLock } from "../../src/lock.ts";

const [path, leaseSeconds] = Deno.args;
const lock = await acquireLock(path, {
  deliverableId: "DEL-01-02",
  holder: "held by test",
  leaseSeconds: Number(leaseSeconds),
});
console.log(Deno.readTextFileSync(path));
// Holds the lock until the parent closes our stdin: an event, not a timer.
for await (const _ of Deno.stdin.readable) { /* ignore input */ }
await lock.release();
