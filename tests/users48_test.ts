/**
 * Three new users, end to end (users-48): a lineage engineer exporting to a lineage server, an
 * operator installing, compiling, upgrading and removing runrec, and a pipeline author following
 * docs/TUTORIAL.md. Each test is a friction one of them met.
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { makeProject, ROOT } from "./fixtures.ts";
import { runCliProcess } from "./cli.ts";
import { copyCheckout } from "./support/checkout_copy.ts";

const decoder = new TextDecoder();

/** A copy of the parts of this checkout that build and install runrec, in a folder of its own. */
async function checkoutCopy(): Promise<{ home: string; checkout: string }> {
  const home = await Deno.makeTempDir({ prefix: "runrec-users48-" });
  const checkout = join(home, "runrec");
  await copyCheckout(checkout);
  return { home, checkout };
}

/** Runs a script of `checkout` as `deno task` does, with `env` added. */
async function script(
  checkout: string,
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(checkout, "scripts", name), ...args],
    cwd: checkout,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

Deno.test("README.md stays under the 8,000 characters the project keeps it to", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  assert(readme.length < 8000, `README.md is ${readme.length} characters`);
});

Deno.test("deno task compile --help prints compile's own usage and builds nothing; an unknown option or a --target deno compile does not know is one error, exit 2, with no DENORT_BIN advice", async () => {
  const { home, checkout } = await checkoutCopy();
  try {
    // Passed on to deno compile, --help printed deno compile's help, then a stack trace
    // (spawning the dist/runrec that was never built), exit 1.
    const help = await script(checkout, "compile.ts", ["--help"]);
    assertEquals(help.code, 0, help.stderr);
    assert(help.stdout.startsWith("Usage: deno task compile [--target TRIPLE]\n"), help.stdout);
    assertEquals(help.stderr, "");
    assert(!(await exists(join(checkout, "dist"))), "compile --help built something");

    const unknown = await script(checkout, "compile.ts", ["--bogus"]);
    assertEquals(unknown.code, 2);
    assert(unknown.stderr.startsWith("compile: Unknown option '--bogus'\nUsage:"), unknown.stderr);
    assert(!(await exists(join(checkout, "dist"))), "compile --bogus built something");

    const triple = await script(checkout, "compile.ts", ["--target", "x86_64-unknown-plan9"]);
    assertEquals(triple.code, 2);
    assertIncludes(triple.stderr, "invalid value 'x86_64-unknown-plan9' for '--target'");
    assert(!triple.stderr.includes("DENORT_BIN"), triple.stderr);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("deno task compile --target another platform keeps the binaries it built: they cannot be started here to check them", async () => {
  const other = Deno.build.arch === "x86_64" ? "aarch64" : "x86_64";
  const target = `${other}-unknown-linux-gnu`;
  if (Deno.build.os !== "linux") return;
  const { home, checkout } = await checkoutCopy();
  try {
    // The full deno stands in for the other platform's denort (none can be fetched here): deno
    // compile embeds it; a binary for that platform could not be started on this one either.
    const built = await script(checkout, "compile.ts", ["--target", target], {
      DENORT_BIN: Deno.execPath(),
    });
    // Before: each binary was started with --version, failed, was removed: exit 2.
    assertEquals(built.code, 0, built.stderr);
    for (const output of ["dist/runrec", "dist/runrec-sandboxed"]) {
      assertIncludes(built.stderr, `compile: built ${output} for ${target} (not run here)\n`);
      assert(await exists(join(checkout, output)), `${output} was removed`);
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("deno task compile from another folder: a relative DENORT_BIN is named from the caller's folder, not the checkout deno task runs it in", async () => {
  const other = Deno.build.arch === "x86_64" ? "aarch64" : "x86_64";
  if (Deno.build.os !== "linux") return;
  const { home, checkout } = await checkoutCopy();
  try {
    // As `deno task --config CHECKOUT/deno.json compile` started in `home` runs it: in the
    // checkout, the caller's folder in INIT_CWD. A link to deno stands in for a denort.
    await Deno.symlink(Deno.execPath(), join(home, "denort"));
    const missing = await script(checkout, "compile.ts", [], {
      DENORT_BIN: "no-denort",
      INIT_CWD: home,
    });
    assertEquals(missing.code, 2);
    assertIncludes(
      missing.stderr,
      `DENORT_BIN=no-denort (${join(home, "no-denort")}) names no file`,
    );
    // Before: "DENORT_BIN=denort names no file", looked for in the checkout.
    const built = await script(checkout, "compile.ts", ["--target", `${other}-unknown-linux-gnu`], {
      DENORT_BIN: "denort",
      INIT_CWD: home,
    });
    assertEquals(built.code, 0, built.stderr);
    assert(await exists(join(checkout, "dist", "runrec")), built.stderr);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("deno task install --dir FILE: one line naming it as a file, exit 2, before anything is built", async () => {
  const { home, checkout } = await checkoutCopy();
  try {
    const file = join(home, "bin");
    await Deno.writeTextFile(file, "a file\n");
    const ran = await script(checkout, "install.ts", ["--dir", file]);
    assertEquals(ran.code, 2);
    // Before: the bundle was built, then "install: …: File exists (os error 17): mkdir '…'".
    assertEquals(
      ran.stderr,
      `install: ${file} is a file, not a folder: give --dir a folder (made if missing)\n`,
    );
    assert(!(await exists(join(checkout, "dist"))), "install built the bundle first");
    assertEquals(await Deno.readTextFile(file), "a file\n");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("deno task install --dir '' (a variable unset) is refused, exit 2: nothing installed into the current folder", async () => {
  const { home, checkout } = await checkoutCopy();
  try {
    const caller = join(home, "project");
    await Deno.mkdir(caller);
    const ran = await script(checkout, "install.ts", ["--dir", ""], { INIT_CWD: caller });
    // Before: runrec, runrec-sandboxed and .runrec-lib/ were installed into the caller's folder.
    assertEquals(ran.code, 2, ran.stdout);
    assert(
      ran.stderr.startsWith("install: --dir is empty (an unset variable?): name a folder\n"),
      ran.stderr,
    );
    assertEquals([...Deno.readDirSync(caller)], []);
    assert(!(await exists(join(checkout, "dist"))), "install built the bundle first");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("deno task install with a ~ no shell expanded (--dir '~/bin', RUNREC_INSTALL_DIR='~/.local/bin') is refused, exit 2: no folder named ~ made", async () => {
  const { home, checkout } = await checkoutCopy();
  try {
    const caller = join(home, "project");
    await Deno.mkdir(caller);
    const given = await script(checkout, "install.ts", ["--dir", "~/bin"], { INIT_CWD: caller });
    // Before: installed into <caller>/~/bin, exit 0.
    assertEquals(given.code, 2, given.stdout);
    assert(
      given.stderr.startsWith(
        "install: --dir ~/bin: the shell did not expand ~ (quoted?): write $HOME/bin\n",
      ),
      given.stderr,
    );
    const variable = await script(checkout, "install.ts", [], {
      INIT_CWD: caller,
      RUNREC_INSTALL_DIR: "~/.local/bin",
    });
    assertEquals(variable.code, 2, variable.stdout);
    assertIncludes(variable.stderr, "install: RUNREC_INSTALL_DIR ~/.local/bin: the shell did not");
    assertEquals([...Deno.readDirSync(caller)], []);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("log, verify and export name a folder's runs started and not finished as stale does, from the current folder, and so does the reap line they give", async () => {
  const { root, del } = await makeProject();
  try {
    const started = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"]);
    assertEquals(started.code, 0, started.stderr);
    const folder = del.slice(root.length + 1);
    const said = `${folder}: 1 run(s) started and not finished: 4_DOCUMENTS since `;
    const reap = `runrec reap ${folder} --older-than DURATION once their agents are gone`;
    // Before: log, verify and export named it by its absolute path; stale as here.
    for (const args of [["log", "."], ["verify", "."], ["export", ".", "--format", "prov"]]) {
      const out = await runCliProcess(args, undefined, {}, root);
      assertIncludes(out.stderr, `runrec ${args[0]}: warning: ${said}`);
      assertIncludes(out.stderr, reap);
      assert(!out.stderr.includes(root), out.stderr);
    }
    const stale = await runCliProcess(["stale", "."], undefined, {}, root);
    assertIncludes(stale.stderr, `runrec stale: warning: ${said}`);
    // From inside the folder: `.`, as the reap it names takes it.
    const inside = await runCliProcess(["verify", ".", "--json"], undefined, {}, del);
    assertEquals(JSON.parse(inside.stdout).pendingRuns.map((r: { delDir: string }) => r.delDir), [
      ".",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
