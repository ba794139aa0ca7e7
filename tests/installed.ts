/**
 * Installing runrec from tests, as a user does: `deno task install` run from
 * another folder, on the platform Deno binary running the tests.
 *
 * @module
 */
import { join } from "node:path";
import { ROOT } from "./fixtures.ts";

/** Output of one process. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

const decoder = new TextDecoder();

/** Runs `program` with `args` in `cwd`; `env` is added to this process's environment. */
export async function runIn(
  cwd: string,
  program: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Ran> {
  // INIT_CWD, set by the `deno task` running the tests, would stand for the caller's folder.
  const { INIT_CWD: _, ...inherited } = Deno.env.toObject();
  const out = await new Deno.Command(program, {
    args,
    cwd,
    clearEnv: true,
    env: { ...inherited, NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/**
 * `deno task install` of `checkout` (default: this one) with `args`, started
 * in `cwd` (the task itself runs in the checkout); fails the test when it does
 * not exit 0.
 */
export async function installRunrec(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
  deno: string = Deno.execPath(),
  checkout: string = ROOT,
): Promise<Ran> {
  const ran = await runIn(cwd, deno, [
    "task",
    "--quiet",
    "--config",
    join(checkout, "deno.json"),
    "install",
    ...args,
  ], env);
  if (ran.code !== 0) throw new Error(`install failed (${ran.code}): ${ran.stderr}${ran.stdout}`);
  return ran;
}

/** `PATH` with `dir` first. */
export function pathWith(dir: string): string {
  return `${dir}:${Deno.env.get("PATH") ?? ""}`;
}

/** A fresh folder with runrec installed into its `bin/`; returns both paths. */
export async function freshInstall(): Promise<{ home: string; bin: string; out: Ran }> {
  const home = await Deno.makeTempDir({ prefix: "runrec-install-" });
  const bin = join(home, "bin");
  const out = await installRunrec(home, ["--dir", bin]);
  return { home, bin, out };
}

let shared: Promise<{ home: string; bin: string; out: Ran }> | undefined;

/**
 * One install shared by the tests of a file (installing bundles the CLI, ~1.5 s),
 * removed when the test process ends. Tests must leave it as they found it.
 */
export function sharedInstall(): Promise<{ home: string; bin: string; out: Ran }> {
  if (!shared) {
    shared = freshInstall();
    shared.then(({ home }) =>
      globalThis.addEventListener("unload", () => Deno.removeSync(home, { recursive: true }))
    );
  }
  return shared;
}
