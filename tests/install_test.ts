/**
 * `deno task install`: the installed `runrec` works from any folder with the
 * caller's relative paths, says how it was installed, and a second install
 * replaces the first.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { makeProject, ROOT } from "./fixtures.ts";
import { freshInstall, installRunrec, pathWith, runIn } from "./installed.ts";
import { LIB_FOLDER } from "../scripts/install.ts";
import { copyCheckout } from "./support/checkout_copy.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { RECORD_FILE } from "../src/deliverable.ts";

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Names of the files under `dir`, recursively, sorted, with each file's bytes. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const walk = async (at: string, prefix: string) => {
    for await (const entry of Deno.readDir(at)) {
      const path = join(at, entry.name);
      if (entry.isDirectory) await walk(path, `${prefix}${entry.name}/`);
      else found.set(`${prefix}${entry.name}`, await Deno.readTextFile(path));
    }
  };
  await walk(dir, "");
  return new Map([...found].sort(([a], [b]) => a.localeCompare(b)));
}

Deno.test("install: runrec on PATH records into the deliverable it is run in, from a relative --dir", async () => {
  const home = await Deno.makeTempDir({ prefix: "runrec-install-" });
  // `deno task` runs in the checkout: `--dir bin` must still be the caller's `bin`.
  const { stdout } = await installRunrec(home, ["--dir", "bin"]);
  const bin = join(home, "bin");
  const lib = join(bin, LIB_FOLDER);
  assertIncludes(stdout, `install: runrec 0.1.0 into ${bin}\n`);
  assertIncludes(stdout, `${bin} is NOT on PATH`);
  const compiled = stdout.includes("runrec            the compiled binary");
  if (!compiled) {
    assertIncludes(stdout, `runrec            a launcher: deno ${Deno.version.deno}`);
    // The launcher runs the platform binary that ran the install, never the npm wrapper.
    const launcher = await Deno.readTextFile(join(bin, "runrec"));
    assertMatch(launcher, new RegExp(`^deno='?${escape(Deno.execPath())}'?$`, "m"));
    assertIncludes(launcher, ` run ${FULL_FLAGS.join(" ")} ${lib}/cli/main.js "$@"\n`);
  }

  const { root, del } = await makeProject();
  const env = { PATH: pathWith(bin) };
  const version = await runIn(del, "sh", ["-c", "runrec --version"], env);
  assertEquals(version.code, 0, version.stderr);
  assertMatch(
    version.stdout,
    compiled ? /^runrec 0\.1\.0 \(compiled binary\)\n$/ : new RegExp(
      `^runrec 0\\.1\\.0 \\(launcher over the bundle in ${escape(lib)}/, deno ${
        escape(Deno.version.deno)
      } at ${escape(Deno.execPath())}\\)\\n$`,
    ),
  );
  assertIncludes(stdout, `check: ${version.stdout}`);

  // `.` and `Datasheet.md` are the caller's: the deliverable the command runs in.
  const emit = await runIn(del, "sh", [
    "-c",
    "runrec emit . --agent 4_DOCUMENTS --status SUCCESS --output Datasheet.md --json",
  ], env);
  assertEquals(emit.code, 0, emit.stderr);
  const record = JSON.parse(emit.stdout);
  assertEquals(record.OutputFiles, ["Datasheet.md"]);
  assertEquals(record.DeliverableID, "DEL-01-02");
  const lines = (await Deno.readTextFile(join(del, RECORD_FILE))).trimEnd().split("\n");
  assertEquals(lines.length, 2);
  assertEquals(await Deno.stat(join(ROOT, RECORD_FILE)).then(() => true, () => false), false);

  // A deno.json in the caller's folder changes nothing (the launcher runs with --no-config).
  await Deno.writeTextFile(join(del, "deno.json"), '{ "imports": { "x": "jsr:@no/such" } }\n');
  const validate = await runIn(del, "sh", ["-c", "runrec validate ."], env);
  assertEquals(validate.code, 0, validate.stderr);
  assertMatch(validate.stdout, /RunRecords\.csv: ok: 1 record, 0 errors/);

  const sandboxed = await runIn(del, "sh", ["-c", "runrec-sandboxed --version"], env);
  assertEquals(sandboxed.code, 0, sandboxed.stderr);
  assertMatch(sandboxed.stdout, /; sandboxed: files in the folder it starts in, no programs\)\n$/);
  await Deno.remove(root, { recursive: true });
  await Deno.remove(home, { recursive: true });
});

Deno.test("install: a second install replaces every file; RUNREC_INSTALL_DIR names the folder", async () => {
  const { home, bin } = await freshInstall();
  const first = await snapshot(bin);
  assert(first.has("runrec") && first.has("runrec-sandboxed"), [...first.keys()].join(", "));
  assert(first.has(`${LIB_FOLDER}/cli/main.js`) && first.has(`${LIB_FOLDER}/install.json`));
  // A file left from an older bundle, and a damaged launcher: both go.
  await Deno.writeTextFile(join(bin, LIB_FOLDER, "stale-chunk.js"), "old\n");
  await Deno.writeTextFile(join(bin, "runrec-sandboxed"), "#!/bin/sh\nexit 3\n");

  const again = await installRunrec(home, [], {
    RUNREC_INSTALL_DIR: bin,
    PATH: pathWith(bin),
  });
  assertIncludes(again.stdout, `install: runrec 0.1.0 into ${bin}\n`);
  assertIncludes(again.stdout, `${bin} is on PATH`);
  const second = await snapshot(bin);
  assertEquals([...second.keys()], [...first.keys()]);
  for (const [name, text] of first) {
    assertEquals(second.get(name), text, name);
  }
  const sandboxed = await runIn(home, join(bin, "runrec-sandboxed"), ["--version"]);
  assertEquals(sandboxed.code, 0, sandboxed.stderr);
  await Deno.remove(home, { recursive: true });
});

Deno.test("install: a launcher whose Deno binary is gone says so in one line, exit 2", async () => {
  const home = await Deno.makeTempDir({ prefix: "runrec-install-" });
  const deno = join(home, "deno");
  // Its own name for the platform binary (a hard link: no copy of ~100 MB where it can).
  await Deno.link(Deno.execPath(), deno).catch(() => Deno.copyFile(Deno.execPath(), deno));
  const bin = join(home, "bin");
  const { stdout } = await installRunrec(home, ["--dir", bin], {}, deno);
  if (stdout.includes("the compiled binary")) {
    console.log("install: runrec is a compiled binary here; checking runrec-sandboxed only");
  }
  await Deno.remove(deno);
  const names = stdout.includes("the compiled binary")
    ? ["runrec-sandboxed"]
    : ["runrec", "runrec-sandboxed"];
  for (const name of names) {
    const ran = await runIn(home, join(bin, name), ["--version"]);
    assertEquals(ran.code, 2, ran.stdout);
    assertEquals(
      ran.stderr,
      `runrec: ${deno}, the Deno this launcher runs, is gone, or out of this user's reach ` +
        `(uid ${Deno.uid()}); install runrec again, as this user or into a folder it can reach\n`,
    );
  }
  await Deno.remove(home, { recursive: true });
});

Deno.test("install: the launcher in a working folder removed since, or with HOME a file, says so in one line, exit 2, not Deno's trace and exit 1 (env-signals F3)", async () => {
  const { home, bin } = await freshInstall();
  const gone = join(home, "gone");
  await Deno.mkdir(gone);
  const launcher = join(bin, "runrec");
  const out = await new Deno.Command("sh", {
    args: ["-c", `cd '${gone}' && rmdir '${gone}' && exec '${launcher}' --version`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const said = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 2, said);
  assertIncludes(said, "runrec: the working folder is gone (removed since the shell entered it)");
  assert(!said.includes("Stack backtrace"), said);
  const file = join(home, "a-file");
  await Deno.writeTextFile(file, "x\n");
  const homeFile = await runIn(home, launcher, ["--version"], { HOME: file });
  assertEquals(homeFile.code, 2, homeFile.stderr);
  assertEquals(
    homeFile.stderr,
    `runrec: HOME (${file}) is not a folder, and Deno cannot start so: set HOME to a folder\n`,
  );
  await Deno.remove(home, { recursive: true });
});

Deno.test("install: from a checkout whose path holds a space and an accented letter, runrec is installed and runs (ci-trial F2)", async () => {
  const home = await Deno.makeTempDir({ prefix: "runrec-install-" });
  const checkout = join(home, "ci tools", "café", "runrec");
  await copyCheckout(checkout);
  const bin = join(home, "bin");
  await installRunrec(home, ["--dir", bin], {}, Deno.execPath(), checkout);
  const ran = await runIn(home, join(bin, "runrec"), ["--version"]);
  assertEquals(ran.code, 0, ran.stderr);
  await Deno.remove(home, { recursive: true });
});

Deno.test("install: from a checkout mounted read-only, the error names the folder the bundle goes in (ci-trial F5)", async () => {
  const home = await Deno.makeTempDir({ prefix: "runrec-install-" });
  const [checkout, mounted] = [join(home, "checkout"), join(home, "read-only")];
  await copyCheckout(checkout);
  await Deno.mkdir(mounted);
  const mount = (...args: string[]) => new Deno.Command("mount", { args }).output();
  assertEquals((await mount("--bind", checkout, mounted)).code, 0);
  try {
    assertEquals((await mount("-o", "remount,bind,ro", mounted)).code, 0);
    const ran = await runIn(home, Deno.execPath(), [
      ...["task", "--quiet", "--config", join(mounted, "deno.json"), "install"],
      ...["--dir", join(home, "bin")],
    ]);
    assertEquals(ran.code, 2, ran.stderr);
    assertIncludes(
      ran.stderr,
      `compile: ${join(mounted, "dist", "bundle")} cannot be written (Read-only file system`,
    );
  } finally {
    await new Deno.Command("umount", { args: [mounted] }).output();
  }
  await Deno.remove(home, { recursive: true });
});

Deno.test("install: RUNREC_INSTALL_DIR set empty is unset: ~/.local/bin, not the current folder (env-signals F5)", async () => {
  const home = await Deno.makeTempDir({ prefix: "runrec-install-" });
  const ran = await installRunrec(home, [], { RUNREC_INSTALL_DIR: "", HOME: home });
  assertIncludes(ran.stdout, `install: runrec 0.1.0 into ${join(home, ".local", "bin")}\n`);
  assert(!(await Deno.lstat(join(home, "runrec")).catch(() => undefined)), "installed into cwd");
  await Deno.remove(home, { recursive: true });
});

Deno.test("install: a launcher run by another user than the one who installed it (CI: root's image, a job user) says its Deno is out of that user's reach, not only gone (trial-w F7)", async () => {
  const home = await Deno.makeTempDir({ prefix: "runrec-install-" }); // 0700: root's alone
  const deno = join(home, "deno");
  await Deno.link(Deno.execPath(), deno).catch(() => Deno.copyFile(Deno.execPath(), deno));
  const bin = await Deno.makeTempDir({ prefix: "runrec-install-bin-" });
  await Deno.chmod(bin, 0o755);
  const { stdout } = await installRunrec(home, ["--dir", bin], {}, deno);
  const name = stdout.includes("the compiled binary") ? "runrec-sandboxed" : "runrec";
  const ran = await new Deno.Command("setpriv", {
    args: ["--reuid=65534", "--regid=65534", "--clear-groups", join(bin, name), "--version"],
    cwd: "/",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(ran.code, 2);
  assertEquals(
    new TextDecoder().decode(ran.stderr),
    `runrec: ${deno}, the Deno this launcher runs, is gone, or out of this user's reach ` +
      "(uid 65534); install runrec again, as this user or into a folder it can reach\n",
  );
  await Deno.remove(home, { recursive: true });
  await Deno.remove(bin, { recursive: true });
});

Deno.test("install: a folder Deno's permission lists cannot name is refused before anything is written", async () => {
  const home = await Deno.makeTempDir({ prefix: "runrec-install-" });
  const bin = join(home, "a,b");
  const ran = await runIn(home, Deno.execPath(), [
    "run",
    "-A",
    join(ROOT, "scripts/install.ts"),
    "--dir",
    bin,
  ]);
  assertEquals(ran.code, 2);
  assertEquals(
    ran.stderr,
    `install: ${bin} has a comma in its path, which Deno's permission flags cannot name\n`,
  );
  assertEquals(await Deno.stat(bin).then(() => true, () => false), false);
  await Deno.remove(home, { recursive: true });
});

Deno.test("install: the launcher starts under a file-size limit below Deno's cache files (ulimit -f 16, a fresh DENO_DIR as after a Deno upgrade): the run is recorded, and what exec starts has SIGXFSZ's default back; Deno was killed by SIGXFSZ sizing its SQLite cache, exit 153, before runrec's handler (rlimit-39 F2, stop 37's rlimit F1 limit)", async () => {
  const { home, bin } = await freshInstall();
  const { root, del } = await makeProject();
  const denoDir = join(home, "deno-dir"); // empty: Deno's caches are made again, as after an upgrade
  await Deno.mkdir(denoDir);
  const limited = (command: string) =>
    runIn(del, "bash", ["-c", `ulimit -f 16; ${command}`], { DENO_DIR: denoDir });
  const launcher = join(bin, "runrec");
  const version = await limited(`'${launcher}' --version`);
  assertEquals(version.code, 0, version.stderr);
  const emitted = await limited(`'${launcher}' emit . --agent 4_DOCUMENTS --status SUCCESS`);
  assertEquals(emitted.code, 0, emitted.stderr);
  assertIncludes(await Deno.readTextFile(join(del, RECORD_FILE)), emitted.stdout.trim());
  // SigIgn's bit 24 is SIGXFSZ (25): runrec handles the signal, so its command inherits no "ignored".
  const exec = await limited(
    `'${launcher}' exec . --agent A -- sh -c 'grep SigIgn /proc/self/status'`,
  );
  assertEquals(exec.code, 0, exec.stderr);
  const ignored = BigInt(`0x${exec.stdout.match(/SigIgn:\s*([0-9a-f]+)/)![1]}`);
  assertEquals(ignored & (1n << 24n), 0n, exec.stdout);
  await Deno.remove(root, { recursive: true });
  await Deno.remove(home, { recursive: true });
});
