/**
 * What every benchmark of `scripts/bench.ts` shares: the run context, timing
 * of in-process work and of subprocesses, peak RSS of a subprocess, simple
 * statistics, number formatting and the result rows of the summary table.
 *
 * @module
 */
import { join } from "node:path";

/** Outcome of one row: a target met or missed, or a number reported for information. */
export type Verdict = "PASS" | "FAIL" | "INFO" | "WARN";

/** One row of the summary table. */
export interface Row {
  /** Benchmark number and short name, e.g. `1 hash-large`. */
  bench: string;
  /** What the row measures. */
  what: string;
  /** runrec's number, formatted. */
  measured: string;
  /** The reference's number, measured in the same run, formatted (`—` when none). */
  reference: string;
  /** The ratio the target is stated on, formatted (`—` when none). */
  ratio: string;
  /** The target, in words (`—` when informational). */
  target: string;
  /** Whether the target was met. */
  verdict: Verdict;
}

/** What a benchmark gets from the runner. */
export interface Context {
  /** Smaller sizes and fewer repetitions (`--quick`). */
  quick: boolean;
  /** The platform `deno` binary used for every subprocess. */
  deno: string;
  /** Repository root, absolute, without a trailing slash. */
  root: string;
  /** A temporary folder for this benchmark, removed afterwards. */
  tmp: string;
  /** Writes one progress line on stderr. */
  progress(message: string): void;
  /** Writes one result line on stdout. */
  print(message: string): void;
}

/** One benchmark: its name for `--only` and the function that runs it. */
export interface Benchmark {
  /** Number in the summary, 1-based. */
  id: number;
  /** Name for `--only`. */
  name: string;
  /** One line describing it. */
  title: string;
  /** Runs it and returns its rows. */
  run(ctx: Context): Promise<Row[]>;
}

/** A finished subprocess. */
export interface RunResult {
  /** Exit code. */
  code: number;
  /** Wall time from spawn to exit, in milliseconds. */
  ms: number;
  /** Standard output (empty unless `stdout: "piped"`). */
  stdout: string;
  /** Standard error (empty unless `stderr: "piped"`). */
  stderr: string;
}

/** Options of {@linkcode runCommand}. */
export interface RunOptions {
  /** Working folder. */
  cwd?: string;
  /** Capture standard output (default: discard it). */
  stdout?: "piped" | "null";
  /** Capture standard error (default: piped, so failures can be shown). */
  stderr?: "piped" | "null";
  /** Extra environment variables. */
  env?: Record<string, string>;
}

const decoder = new TextDecoder();

/**
 * Runs a program and measures its wall time. The output is read after the
 * process exits (`Deno.Command.output`), so piping does not slow it down much.
 *
 * @example
 * ```ts
 * import { runCommand } from "./common.ts";
 * const { code, ms } = await runCommand("true", []);
 * console.log(code, ms);
 * ```
 */
export async function runCommand(
  program: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const command = new Deno.Command(program, {
    args,
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: options.stdout ?? "null",
    stderr: options.stderr ?? "piped",
  });
  const start = performance.now();
  const output = await command.output();
  const ms = performance.now() - start;
  return {
    code: output.code,
    ms,
    stdout: options.stdout === "piped" ? decoder.decode(output.stdout) : "",
    stderr: options.stderr === "null" ? "" : decoder.decode(output.stderr),
  };
}

/**
 * Like {@linkcode runCommand}, but throws with the program's stderr when it
 * exits with a code other than `expected` (default 0).
 *
 * @example
 * ```ts
 * import { runChecked } from "./common.ts";
 * await runChecked("true", []);
 * ```
 */
export async function runChecked(
  program: string,
  args: string[],
  options: RunOptions = {},
  expected = 0,
): Promise<RunResult> {
  const result = await runCommand(program, args, options);
  if (result.code !== expected) {
    const shown = [program.split("/").pop(), ...args.slice(0, 4)].join(" ");
    throw new Error(
      `${shown} ... exited ${result.code}: ${plain(result.stderr).trim().slice(0, 300)}`,
    );
  }
  return result;
}

/** Peak resident set size and wall time of one subprocess. */
export interface RssResult extends RunResult {
  /** Peak RSS in bytes (`ru_maxrss` of the child). */
  peakRss: number;
  /** CPU time of the child, user plus system, in milliseconds (all its threads). */
  cpuMs: number;
}

let timeBinary: boolean | undefined;

/**
 * Runs a program and reports its peak RSS: through `/usr/bin/time -v` where it
 * exists, else through a tiny Python wrapper reading
 * `resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`. The wall time includes the
 * wrapper's own start (a few ms).
 *
 * @example
 * ```ts
 * import { runWithRss } from "./common.ts";
 * const { peakRss } = await runWithRss("true", [], "/tmp");
 * console.log(peakRss);
 * ```
 */
export async function runWithRss(
  program: string,
  args: string[],
  tmp: string,
  options: RunOptions = {},
): Promise<RssResult> {
  timeBinary ??= await isFile("/usr/bin/time");
  const report = join(tmp, `rss-${crypto.randomUUID()}.txt`);
  let result: RunResult;
  let peakKiB: number;
  let cpuMs: number;
  if (timeBinary) {
    result = await runCommand("/usr/bin/time", ["-v", "-o", report, program, ...args], options);
    const text = await Deno.readTextFile(report);
    const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
    if (!match) throw new Error(`/usr/bin/time -v printed no peak RSS: ${text.slice(0, 200)}`);
    peakKiB = Number(match[1]);
    const seconds = (label: string) =>
      Number(new RegExp(`${label} time \\(seconds\\): ([0-9.]+)`).exec(text)?.[1] ?? NaN);
    cpuMs = (seconds("User") + seconds("System")) * 1000;
  } else {
    const wrapper = "import resource,subprocess,sys\n" +
      "code=subprocess.call(sys.argv[2:])\n" +
      "u=resource.getrusage(resource.RUSAGE_CHILDREN)\n" +
      "open(sys.argv[1],'w').write(f'{u.ru_maxrss} {u.ru_utime+u.ru_stime}')\n" +
      "sys.exit(code)\n";
    result = await runCommand("python3", ["-c", wrapper, report, program, ...args], options);
    // ru_maxrss is KiB on Linux, bytes on macOS.
    const [raw, cpuSeconds] = (await Deno.readTextFile(report)).trim().split(" ").map(Number);
    peakKiB = Deno.build.os === "darwin" ? raw / 1024 : raw;
    cpuMs = cpuSeconds * 1000;
  }
  await Deno.remove(report).catch(() => {});
  return { ...result, peakRss: peakKiB * 1024, cpuMs };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/**
 * Times an async function, in milliseconds.
 *
 * @example
 * ```ts
 * import { timeAsync } from "./common.ts";
 * const { ms } = await timeAsync(() => Promise.resolve(1));
 * ```
 */
export async function timeAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/**
 * Median of a non-empty list of numbers.
 *
 * @example
 * ```ts
 * import { median } from "./common.ts";
 * median([3, 1, 2]); // 2
 * ```
 */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Smallest of a non-empty list of numbers (the best of several timings).
 *
 * @example
 * ```ts
 * import { best } from "./common.ts";
 * best([3, 1, 2]); // 1
 * ```
 */
export function best(values: number[]): number {
  return Math.min(...values);
}

/**
 * Milliseconds as `123 ms` or `1.234 s`.
 *
 * @example
 * ```ts
 * import { formatMs } from "./common.ts";
 * formatMs(1234.5); // "1.235 s"
 * ```
 */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(3)} s` : `${ms.toFixed(1)} ms`;
}

/**
 * Bytes as MiB (or GiB from 1 GiB up).
 *
 * @example
 * ```ts
 * import { formatBytes } from "./common.ts";
 * formatBytes(3 * 1024 * 1024); // "3.0 MiB"
 * ```
 */
export function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return mib >= 1024 ? `${(mib / 1024).toFixed(2)} GiB` : `${mib.toFixed(1)} MiB`;
}

/**
 * Bytes as decimal megabytes (MB = 10^6 bytes), the unit of the RSS target.
 *
 * @example
 * ```ts
 * import { formatMB } from "./common.ts";
 * formatMB(150_000_000); // "150.0 MB"
 * ```
 */
export function formatMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * A count with thousands separators.
 *
 * @example
 * ```ts
 * import { formatCount } from "./common.ts";
 * formatCount(1000000); // "1,000,000"
 * ```
 */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/**
 * A list of timings, for the detail lines.
 *
 * @example
 * ```ts
 * import { formatRuns } from "./common.ts";
 * formatRuns([1.234, 1000]); // "1.2 1000.0 ms"
 * ```
 */
export function formatRuns(ms: number[]): string {
  return `${ms.map((v) => v.toFixed(1)).join(" ")} ms`;
}

/**
 * Fills `size` bytes with cryptographically random data (64 KiB per call, the
 * limit of `getRandomValues`).
 *
 * @example
 * ```ts
 * import { randomBytes } from "./common.ts";
 * randomBytes(100_000).length; // 100000
 * ```
 */
export function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return bytes;
}

/**
 * Writes all of `bytes` to an open file (a single `write` may be short).
 *
 * @example
 * ```ts
 * import { writeAll } from "./common.ts";
 * using file = await Deno.open(await Deno.makeTempFile(), { write: true });
 * await writeAll(file, new Uint8Array(10));
 * ```
 */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
}

/**
 * Text without ANSI colour codes.
 *
 * @example
 * ```ts
 * import { plain } from "./common.ts";
 * plain("\x1b[31merror\x1b[0m"); // "error"
 * ```
 */
export function plain(text: string): string {
  return text.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
}

/**
 * The first line of a subprocess's stderr, for error messages.
 *
 * @example
 * ```ts
 * import { firstLine } from "./common.ts";
 * firstLine("a\nb"); // "a"
 * ```
 */
export function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}
