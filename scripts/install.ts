/**
 * `deno task install [--dir DIR]`: puts `runrec` and `runrec-sandboxed` on
 * the user's PATH.
 *
 * - `runrec` is the compiled binary where `deno compile` can build one (see
 *   scripts/compile.ts), otherwise a launcher: a small shell script (a `.cmd`
 *   file on Windows) that runs the production bundle with the production
 *   permission flags on the Deno binary that ran the install (never the npm
 *   wrapper, which costs a Node start-up per call).
 * - `runrec-sandboxed` is always a launcher, because its permissions are
 *   scoped to the folder it is started in plus runrec's own code folder, and
 *   only a launcher knows where that code folder is.
 * - The bundle goes to `DIR/.runrec-lib/`, with `install.json` naming the
 *   Deno binary; `runrec --version` reads it.
 *
 * DIR defaults to `$RUNREC_INSTALL_DIR`, else `~/.local/bin`. A relative DIR
 * is the caller's (`deno task` runs in the checkout, and names the caller's
 * folder in `INIT_CWD`). Installing again replaces every file.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BUILDS, BUNDLE_DIR, compileAll } from "./compile.ts";
import { FULL_FLAGS, sandboxedFlags } from "../src/cli/permissions.ts";
import { INSTALL_MARKER, type InstallMarker, VERSION } from "../src/cli/version.ts";

// A path, not a URL's: a checkout in `ci tools/` is not `ci%20tools/` (ci-trial F2).
const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The folder, inside the install folder, that holds the bundle the launchers run. */
export const LIB_FOLDER = ".runrec-lib";

const USAGE = `Usage: deno task install [--dir DIR]

Installs runrec and runrec-sandboxed into DIR (default: $RUNREC_INSTALL_DIR,
else ~/.local/bin), and runrec's bundle into DIR/${LIB_FOLDER}/.
`;

const WINDOWS = Deno.build.os === "windows";

/** A word for a POSIX shell, quoted. */
function shQuote(word: string): string {
  return /^[A-Za-z0-9_./,=:+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The launcher's text: runs `main` with `flags` on `deno`, passing the
 * arguments, the working folder, the streams and the exit code through.
 *
 * @example
 * ```ts
 * import { launcherScript } from "./install.ts";
 * const sh = launcherScript("/usr/bin/deno", ["--allow-read"], "/opt/lib/cli/main.js", "sh");
 * sh.endsWith(`exec "$deno" run --allow-read /opt/lib/cli/main.js "$@"\n`); // true
 * ```
 */
export function launcherScript(
  deno: string,
  flags: readonly string[],
  main: string,
  kind: "sh" | "cmd",
): string {
  if (kind === "cmd") {
    // cmd expands %...%: a literal percent sign in a path must be doubled.
    const q = (word: string) => `"${word.replaceAll("%", "%%")}"`;
    return [
      "@echo off",
      `rem runrec ${VERSION}: launcher written by deno task install; install again to update.`,
      `if not exist ${q(deno)} (`,
      `  echo runrec: ${deno.replaceAll("%", "%%")}, the Deno this launcher runs, is gone;` +
      " install runrec again 1>&2",
      "  exit /b 2",
      ")",
      `${q(deno)} run ${flags.map(q).join(" ")} ${q(main)} %*`,
      "exit /b %ERRORLEVEL%",
      "",
    ].join("\r\n");
  }
  return [
    "#!/bin/sh",
    `# runrec ${VERSION}: launcher written by deno task install; install again to update.`,
    `deno=${shQuote(deno)}`,
    `[ -x "$deno" ] || {`,
    // Installed by another user (CI: as root in the image, run as another): out of reach, not gone.
    `  [ -e "$deno" ] && why="is not runnable by this user" || why="is gone, or out of this user's reach"`,
    `  echo "runrec: $deno, the Deno this launcher runs, $why (uid $(id -u)); install runrec again, as this user or into a folder it can reach" >&2`,
    "  exit 2",
    "}",
    // Deno cannot start in a working folder removed since, nor with HOME a file: said in one
    // line, exit 2, not Deno's trace and exit 1, which reads as a check's failure (env-signals F3).
    // sh sets PWD at its start, and leaves it unset when the folder cannot be named (gone).
    `[ -n "\${PWD-}" ] && [ -d "$PWD" ] || { echo "runrec: the working folder is gone (removed since the shell entered it): cd to one that exists" >&2; exit 2; }`,
    `[ -z "\${HOME-}" ] || [ ! -e "$HOME" ] || [ -d "$HOME" ] || { echo "runrec: HOME ($HOME) is not a folder, and Deno cannot start so: set HOME to a folder" >&2; exit 2; }`,
    // Deno opens its caches (SQLite, which sizes a 32 KiB file each start) before runrec handles
    // SIGXFSZ: under a smaller `ulimit -f` the signal killed every start. Ignored here, the write
    // fails and Deno goes on uncached; runrec then handles the signal, so what it starts gets the
    // default back (an ignored signal is inherited by exec, a handled one is not).
    "trap '' XFSZ",
    `exec "$deno" run ${flags.map(shQuote).join(" ")} ${shQuote(main)} "$@"`,
    "",
  ].join("\n");
}

/** Writes `text` (or copies `from`) to `path` through a temporary file, so a reader sees old or new. */
async function replaceFile(path: string, content: { text: string } | { from: string }) {
  const temporary = `${path}.new-${Deno.pid}`;
  if ("text" in content) await Deno.writeTextFile(temporary, content.text);
  else await Deno.copyFile(content.from, temporary);
  if (!WINDOWS) await Deno.chmod(temporary, 0o755);
  await Deno.rename(temporary, path);
}

/** Copies the folder `from` to `to`, recursively. */
async function copyFolder(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) await copyFolder(join(from, entry.name), join(to, entry.name));
    else await Deno.copyFile(join(from, entry.name), join(to, entry.name));
  }
}

/** Puts a fresh copy of the bundle at `lib`, replacing the old one in one rename. */
async function installBundle(lib: string, marker: InstallMarker): Promise<void> {
  const fresh = `${lib}.new-${Deno.pid}`;
  const old = `${lib}.old-${Deno.pid}`;
  await Deno.remove(fresh, { recursive: true }).catch(() => {});
  await copyFolder(join(ROOT, BUNDLE_DIR), fresh);
  await Deno.writeTextFile(join(fresh, INSTALL_MARKER), JSON.stringify(marker, null, 2) + "\n");
  const had = await Deno.rename(lib, old).then(() => true, () => false);
  await Deno.rename(fresh, lib);
  if (had) await Deno.remove(old, { recursive: true });
}

/** Whether `dir` is one of the folders of `$PATH`. */
function onPath(dir: string): boolean {
  const separator = WINDOWS ? ";" : ":";
  const folders = (Deno.env.get("PATH") ?? "").split(separator).filter((f) => f !== "");
  return folders.some((f) => resolve(f) === dir);
}

/** The install folder from the arguments and the environment, absolute. */
function installFolder(dir: string | undefined): string {
  // Empty is unset, as runrec reads every variable (and CI.md's `${RUNREC_INSTALL_DIR:-…}`): not
  // the current folder (env-signals F5).
  const chosen = dir ?? (Deno.env.get("RUNREC_INSTALL_DIR") || join(homeFolder(), ".local", "bin"));
  // A `~` no shell expanded (quoted, or in a variable): a folder named `~` here is never meant.
  if (chosen === "~" || chosen.startsWith("~/")) {
    const from = dir === undefined ? "RUNREC_INSTALL_DIR" : "--dir";
    throw new Error(
      `${from} ${chosen}: the shell did not expand ~ (quoted?): write $HOME${chosen.slice(1)}`,
    );
  }
  return resolve(Deno.env.get("INIT_CWD") ?? Deno.cwd(), chosen);
}

function homeFolder(): string {
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  if (!home) throw new Error("neither HOME nor USERPROFILE is set: give --dir DIR");
  return home;
}

/** Why `dir` cannot be the folder to install into, made if missing; `undefined` if it can. */
async function notAFolder(dir: string): Promise<string | undefined> {
  const found = await Deno.stat(dir).catch((e: Error) => e);
  if (found instanceof Deno.errors.NotADirectory) return "has a file on its way (not a folder)";
  if (found instanceof Deno.errors.NotFound) {
    const link = await Deno.lstat(dir).catch(() => undefined);
    return link?.isSymlink ? "is a symbolic link to nothing" : undefined;
  }
  if (found instanceof Error) return undefined; // mkdir says it, as it would have
  return found.isDirectory ? undefined : "is a file, not a folder";
}

/**
 * Installs runrec into the folder `args` names; returns the exit code (0
 * installed, 2 a usage error or a failure, with one line on stderr).
 *
 * @example
 * ```ts
 * import { install } from "./install.ts";
 * const code = await install(["--dir", "/tmp/bin"]);
 * ```
 */
export async function install(args: string[]): Promise<number> {
  let dir: string;
  try {
    const { values } = parseArgs({
      args,
      options: { dir: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    // `--dir "$BIN"` with BIN unset: not the current folder, as RUNREC_INSTALL_DIR empty is not either.
    if (values.dir === "") throw new Error("--dir is empty (an unset variable?): name a folder");
    dir = installFolder(values.dir);
  } catch (e) {
    console.error(`install: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const lib = join(dir, LIB_FOLDER);
  // Deno's permission lists are comma-separated: such a folder cannot be named in one.
  if (lib.includes(",")) {
    console.error(
      `install: ${dir} has a comma in its path, which Deno's permission flags cannot name`,
    );
    return 2;
  }
  // Said before the build, in words, not as mkdir's "File exists (os error 17)" after it.
  const problem = await notAFolder(dir);
  if (problem !== undefined) {
    console.error(`install: ${dir} ${problem}: give --dir a folder (made if missing)`);
    return 2;
  }
  const compiled = (await compileAll([])) === 0;
  const main = join(lib, "cli", "main.js");
  try {
    if ((await Deno.stat(join(ROOT, BUNDLE_DIR, "cli", "main.js"))).isFile !== true) {
      throw new Error("no bundle");
    }
  } catch {
    console.error(
      `install: the bundle was not built (see compile's error above); nothing installed`,
    );
    return 2;
  }

  const deno = Deno.execPath();
  const ext = WINDOWS ? ".cmd" : "";
  const kind = WINDOWS ? "cmd" : "sh";
  try {
    await Deno.mkdir(dir, { recursive: true });
    await installBundle(lib, { deno, denoVersion: Deno.version.deno, source: ROOT });
    const full = BUILDS.find((b) => b.output === "dist/runrec")!;
    if (compiled) {
      const exe = WINDOWS ? ".exe" : "";
      await replaceFile(join(dir, `runrec${exe}`), { from: join(ROOT, `${full.output}${exe}`) });
      if (WINDOWS) await Deno.remove(join(dir, "runrec.cmd")).catch(() => {});
    } else {
      await replaceFile(join(dir, `runrec${ext}`), {
        text: launcherScript(deno, FULL_FLAGS, main, kind),
      });
      if (WINDOWS) await Deno.remove(join(dir, "runrec.exe")).catch(() => {});
    }
    await replaceFile(join(dir, `runrec-sandboxed${ext}`), {
      text: launcherScript(deno, sandboxedFlags(lib), main, kind),
    });
  } catch (e) {
    console.error(`install: ${dir}: ${(e as Error).message.split("\n")[0]}`);
    return 2;
  }

  const check = await new Deno.Command(join(dir, `runrec${compiled && WINDOWS ? ".exe" : ext}`), {
    args: ["--version"],
    stdout: "piped",
    stderr: "piped",
  }).output().catch((e) => ({ code: -1, stdout: new Uint8Array(), stderr: e.message }));
  const version = new TextDecoder().decode(check.stdout).trim();
  if (check.code !== 0) {
    console.error(`install: ${dir}/runrec was installed but does not run: ${check.stderr}`);
    return 2;
  }
  const how = compiled
    ? "the compiled binary dist/runrec"
    : `a launcher: deno ${Deno.version.deno} (${deno}) runs the bundle in ${lib}/ ` +
      "(deno compile could not build a binary here)";
  console.log(`install: runrec ${VERSION} into ${dir}`);
  console.log(`  runrec            ${how}`);
  console.log(
    `  runrec-sandboxed  a launcher over the bundle in ${lib}/; reads and writes only the folder ` +
      "it is started in",
  );
  console.log(`  check: ${version}`);
  if (onPath(dir)) {
    console.log(`  ${dir} is on PATH: run \`runrec --help\` from any folder`);
  } else {
    console.log(
      `  ${dir} is NOT on PATH: add it, e.g. \`export PATH="${dir}:$PATH"\` in your shell profile`,
    );
  }
  return 0;
}

if (import.meta.main) Deno.exit(await install(Deno.args));
