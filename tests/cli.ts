/**
 * Running the CLI from tests: in this process, and as a real process under
 * the production permission flags.
 *
 * @module
 */
import type { Io } from "../src/cli/command.ts";
import { main } from "../src/cli/main.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";

/** Output of one CLI call. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process, capturing its output. */
export async function runCli(args: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
    isTerminal: false,
    color: false,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/**
 * Runs the CLI as a real process with the given permission flags (default:
 * production), in `cwd` (default: this process's), `stdin` (if any) piped in.
 */
export async function runCliProcess(
  args: string[],
  flags: readonly string[] = FULL_FLAGS,
  env: Record<string, string> = {},
  cwd?: string,
  stdin?: string,
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, CLI_ENTRY, ...args],
    cwd,
    stdin: stdin === undefined ? "inherit" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** The arguments of a successful `emit` by 4_DOCUMENTS on `del`, then `extra`. */
export function emitArgs(del: string, ...extra: string[]): string[] {
  return ["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS", ...extra];
}

/** Where Debian's `faketime` package puts libfaketime, by architecture. */
const LIBFAKETIME = [
  "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
];

/**
 * The environment that runs a process with its wall clock moved by `offset`
 * (libfaketime's form: `-1h`, `+3d`, `+90s`), as an NTP step or a VM restored
 * from a snapshot leaves it: `Date.now()` in Deno follows it; file times the
 * kernel writes, and the monotonic clock, do not. Throws when libfaketime is
 * not installed (`apt-get install faketime`). `NO_FAKE_STAT` leaves `stat` to
 * the kernel: libfaketime's `stat` hook waits on a semaphore its exit handler
 * has freed, and a Deno thread still in `fstat` at exit crashed 1 run in 8.
 */
export function clockMovedEnv(offset: string): Record<string, string> {
  const library = LIBFAKETIME.find((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
  if (library === undefined) throw new Error("libfaketime not found: apt-get install faketime");
  return {
    LD_PRELOAD: library,
    FAKETIME: offset,
    FAKETIME_DONT_FAKE_MONOTONIC: "1",
    NO_FAKE_STAT: "1",
  };
}
