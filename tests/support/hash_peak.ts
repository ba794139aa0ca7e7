/**
 * Hashes one file with `hashFile` and prints its hash and how far this process's peak resident
 * memory (`VmHWM`) rose meanwhile, in KiB: for a test that changes the file while it is hashed
 * (under `strace`, between its `stat` and its read).
 *
 * Usage: deno run -A tests/support/hash_peak.ts FILE
 *
 * @module
 */
import { hashFile } from "../../src/hash.ts";

const peak = () => Number(/VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))![1]);
const before = peak();
const hash = await hashFile(Deno.args[0]);
console.log(hash, peak() - before);
