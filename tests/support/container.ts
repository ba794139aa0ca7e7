/**
 * A container's first process for tests: in a pid namespace of its own, so that each such process
 * gets the same pid (a container restarted).
 *
 * @module
 */
import { FULL_FLAGS } from "../../src/cli/permissions.ts";
import { CLI_ENTRY } from "./cli_entry.ts";
import { join } from "node:path";
import { RECORD_FILE } from "../../src/deliverable.ts";
import { runCliProcess } from "../cli.ts";
import { pendingFiles } from "./runs.ts";
import { assertEquals } from "../assert.ts";

/**
 * `runrec args` as a container's process: first in a pid namespace of its own (under strace, which
 * `strace` may make inject a fault), so that each such process gets the same pid; with `flags`
 * (default: the full build's) and `env`.
 */
export function inContainer(
  options: { strace?: string[]; flags?: readonly string[]; env?: Record<string, string> },
  ...args: string[]
) {
  return new Deno.Command("unshare", {
    args: [
      ...["--pid", "--fork", "--mount-proc", "strace", "-f", "-qq", "-o", "/dev/null"],
      ...options.strace ?? [],
      ...[Deno.execPath(), "run", ...options.flags ?? FULL_FLAGS, CLI_ENTRY, ...args],
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
  }).output();
}

/**
 * A run started in `del` whose finish, as a container's process, is killed as it takes the append
 * lock (the run claimed under its pid), then retried after `pauseMs` as the container's process
 * restarted (under that pid): the killed claim's file, the retry's outcome and its time.
 */
export async function finishRetriedInContainer(del: string, pauseMs: number) {
  const started = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"]);
  assertEquals(started.code, 0, started.stderr);
  const run = started.stdout.trim();
  const lock = `${join(del, RECORD_FILE)}.lock`;
  const kill = ["-P", lock, "-e", "trace=openat", "-e", "inject=openat:signal=KILL"];
  const killed = await inContainer({ strace: kill }, "finish", run, "--status", "SUCCESS");
  assertEquals(killed.code, 137, new TextDecoder().decode(killed.stderr));
  const [claim] = pendingFiles(del);
  await new Promise((resolve) => setTimeout(resolve, pauseMs));
  const since = Date.now();
  const retried = await inContainer({}, "finish", run, "--status", "SUCCESS");
  return { claim, retried, ms: Date.now() - since };
}
