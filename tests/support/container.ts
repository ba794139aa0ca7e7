/**
 * A container's first process for tests: in a pid namespace of its own, so that each such process
 * gets the same pid (a container restarted).
 *
 * @module
 */
import { FULL_FLAGS } from "../../src/cli/permissions.ts";
import { CLI_ENTRY } from "./cli_entry.ts";

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
