import { dirname, join } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import {
  ENTRY_POINT,
  FULL_FLAGS,
  SANDBOXED_FLAGS,
  sandboxedFlags,
} from "../src/cli/permissions.ts";
import { PARALLEL_FROM_BYTES } from "../src/check_pool.ts";
import { encodeRecord } from "../src/codec.ts";
import { HEADER } from "../src/schema.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { makeProject, ROOT, sampleRecord, tempDir } from "./fixtures.ts";
import { BUNDLE_DIR, bundleCli } from "../scripts/compile.ts";
import { makeDeliverable } from "../scripts/bench/emit.ts";
import { emitRecord } from "../src/hook.ts";

const decoder = new TextDecoder();
const OUTPUTS = ["dist/runrec", "dist/runrec-sandboxed"];

Deno.test("build: deno task runrec runs the entry point with exactly the production flags", async () => {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  assertEquals(config.tasks.runrec, `deno run ${FULL_FLAGS.join(" ")} ${ENTRY_POINT}`);
  assert(FULL_FLAGS.includes("--deny-net") && SANDBOXED_FLAGS.includes("--deny-net"));
  assert(SANDBOXED_FLAGS.includes("--deny-run") && !SANDBOXED_FLAGS.includes("--allow-run"));
});

/**
 * How to start each build: the compiled binary when denort is at hand; else the
 * bundle both binaries embed (`dist/bundle/`), under the identical flags; else,
 * when not even the bundle could be built, the source entry point.
 */
async function builds(): Promise<{ full: string[]; sandboxed: string[]; compiled: boolean }> {
  // Stale outputs from an older build: compile must replace or remove them, never keep them.
  await Deno.mkdir(join(ROOT, "dist"), { recursive: true });
  for (const output of OUTPUTS) await Deno.writeTextFile(join(ROOT, output), "stale build\n");
  const compile = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "scripts/compile.ts")],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const left = await Promise.all(
    OUTPUTS.map((o) => Deno.readTextFile(join(ROOT, o)).then((t) => t, () => undefined)),
  );
  assert(!left.includes("stale build\n"), `compile kept a stale binary: ${OUTPUTS}`);
  if (compile.code === 0) {
    console.log("build: compiled dist/runrec and dist/runrec-sandboxed; testing the binaries");
    return {
      full: [join(ROOT, "dist/runrec")],
      sandboxed: [join(ROOT, "dist/runrec-sandboxed")],
      compiled: true,
    };
  }
  const why = decoder.decode(compile.stderr).trim().split("\n").pop();
  const bundle = join(ROOT, BUNDLE_DIR, "cli", "main.js");
  const bundled = (await Deno.stat(bundle).catch(() => undefined))?.isFile === true;
  const entry = bundled ? bundle : join(ROOT, ENTRY_POINT);
  // Worker threads load from the code's folder: the sandboxed launcher lets it be read.
  const code = bundled ? join(ROOT, BUNDLE_DIR) : join(ROOT, "src");
  console.log(
    `build: deno compile could not run here (${why}); testing ${
      bundled ? `${BUNDLE_DIR}/cli/main.js, the bundle both binaries embed,` : ENTRY_POINT
    } under the identical permission flags instead`,
  );
  return {
    full: [Deno.execPath(), "run", ...FULL_FLAGS, entry],
    sandboxed: [Deno.execPath(), "run", ...sandboxedFlags(code), entry],
    compiled: false,
  };
}

async function run(command: string[], args: string[], cwd?: string) {
  const out = await new Deno.Command(command[0], {
    args: [...command.slice(1), ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("build: both builds record runs; the sandboxed one refuses a subprocess and files outside its folder", async () => {
  const { full, sandboxed } = await builds();
  const { root, del } = await makeProject();
  const git = (...args: string[]) =>
    new Deno.Command("git", {
      args: ["-c", "user.name=t", "-c", "user.email=t@t", ...args],
      cwd: root,
    })
      .output();
  await git("init", "-q");
  await git("add", "-A");
  await git("commit", "-qm", "init");

  const a = await run(full, ["emit", del, "--agent", "FULL", "--status", "SUCCESS", "--json"]);
  assertEquals(a.code, 0, a.stderr);
  assertMatch(JSON.parse(a.stdout).GitHead, /^[0-9a-f]{40}$/);
  // The sandboxed build may use only the folder it is started in: here, the project's.
  const b = await run(sandboxed, [
    "emit",
    del,
    "--agent",
    "SANDBOXED",
    "--status",
    "SUCCESS",
    "--json",
  ], root);
  assertEquals(b.code, 0, b.stderr);
  // GitHead is read from .git's files, so the sandboxed build records it without starting git.
  assertEquals(JSON.parse(b.stdout).GitHead, JSON.parse(a.stdout).GitHead);

  const outside = await run(sandboxed, ["validate", del]);
  assertEquals(outside.code, 2, outside.stdout);
  assertMatch(
    outside.stderr,
    /^runrec validate: .*Requires read access to .*: outside what this runrec may use/,
  );
  for (const build of [full, sandboxed]) {
    // Bad arguments: exit 2, one line pointing at the command's help (the bundle's emit is a
    // file of its own, with its own copy of the error classes).
    const bad = await run(build, ["emit", del, "--status", "SUCCESS"], root);
    assertEquals(bad.code, 2, bad.stderr);
    assertEquals(bad.stderr, "runrec emit: --agent is required (see runrec emit --help)\n");
    const validate = await run(build, ["validate", del], root);
    assertEquals(validate.code, 0, validate.stdout + validate.stderr);
    const hash = await run(build, ["hash", del, "--json"], root);
    assertEquals(hash.code, 0, hash.stderr);
  }
  const since = await run(full, ["verify", del, "--since", "HEAD"]);
  assertEquals(since.code, 0, since.stdout + since.stderr);
  const refused = await run(sandboxed, ["verify", del, "--since", "HEAD"], root);
  assertEquals(refused.code, 2);
  assertEquals(refused.stderr.trimEnd().split("\n").length, 1, refused.stderr);
  assertMatch(refused.stderr, /run|subprocess|git/i);
  assert(!refused.stderr.includes("    at "), refused.stderr);
  const lines = (await Deno.readTextFile(join(del, RECORD_FILE))).trimEnd().split("\n");
  assertEquals(lines.length, 3);
  await Deno.remove(root, { recursive: true });
});

Deno.test("build: a DENORT_BIN that names no file is said in one line naming it, exit 2, before any bundling", async () => {
  const missing = join(await tempDir(), "denort");
  const compile = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "scripts/compile.ts")],
    cwd: ROOT,
    env: { DENORT_BIN: missing },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const said = decoder.decode(compile.stderr).trim();
  assertEquals(compile.code, 2);
  assertEquals(said.split("\n").length, 1, said);
  assertIncludes(said, `DENORT_BIN=${missing} names no file`);
  assert(!said.includes("bundled"), said); // said before the bundling, not after it
});

Deno.test("build: the production flags deny the network", async () => {
  const dir = await tempDir();
  const script = join(dir, "net.ts");
  await Deno.writeTextFile(
    script,
    `try { await fetch("http://127.0.0.1:65500/"); console.log("reached"); }
     catch (e) { console.log((e as Error).name); }`,
  );
  for (const flags of [FULL_FLAGS, SANDBOXED_FLAGS]) {
    const out = await run([Deno.execPath(), "run", ...flags, script], []);
    assertIncludes(out.stdout, "NotCapable", out.stdout + out.stderr);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("build: both builds validate a file large enough for worker threads", async () => {
  const { full, sandboxed } = await builds();
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  const lines = [HEADER];
  let bytes = 0;
  for (let i = 1; bytes <= PARALLEL_FROM_BYTES; i++) {
    const RunID = `RUN-DEL-01-02-20260222-1015-${String(i).padStart(5, "0")}`;
    const line = encodeRecord(sampleRecord({ RunID, Notes: "x".repeat(900) }));
    lines.push(line);
    bytes += line.length + 1;
  }
  const damaged = 5000;
  lines[damaged - 1] = lines[damaged - 1].replace("SUCCESS", "SUCCESZ");
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  for (const build of [full, sandboxed]) {
    const result = await run(build, ["validate", file, "--json"], dir);
    assertEquals(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout);
    assertEquals(report.records, lines.length - 2);
    assertEquals(report.files[0].problems.map((p: { line: number }) => p.line), [damaged]);
    assertEquals(result.stderr, "");
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("build: in the bundle, emit's code is a handful of files, without the other commands' code; no command imports node: statically", async () => {
  const dir = await tempDir();
  const main = await bundleCli(dir);
  const cli = dirname(main);
  // main.js imports emit from a file of its own, which imports its chunks, and they theirs.
  const [emit] = /emit-\w+\.js/.exec(await Deno.readTextFile(main)) ?? [""];
  assert(emit !== "", "main.js imports no emit file");
  const loaded = new Set<string>();
  const load = async (file: string) => {
    if (loaded.has(file)) return;
    loaded.add(file);
    const text = await Deno.readTextFile(join(cli, file));
    // Static imports only: a dynamic import() loads when the rare case needs it.
    for (const [, name] of text.matchAll(/(?:from|import)"\.\/([^"]+)"/g)) await load(name);
  };
  await load(emit);
  assert(loaded.size <= 10, `emit loads ${loaded.size} files: ${[...loaded].join(" ")}`);
  let bytes = 0;
  for (const file of loaded) bytes += (await Deno.stat(join(cli, file))).size;
  // The code of the commands bundled with emit before stop 24 (pending runs, reap, start): 202 KB.
  // 155 KB at stop 32; the journal every append keeps (src/journal.ts) added 6 KB at stop 33;
  // the library's argument checks and the uptime clock (stop 36) ~5 KB, to 173 KB. The pending
  // runs and the shared-ID search, loaded on demand until stop 37, 35 KB more: imported with
  // the rest, emit measured no slower (401 paired runs). Path lists (--inputs-from) and the
  // folder git left behind a run (stop 41) ~10 KB more, to 225 KB. The arguments more than a
  // command takes said as what they were meant (src/cli/stray_arguments.ts) and an empty path
  // list's warning (stop 43) ~6 KB more, to 231 KB. Drafts, stashes and folders renamed on
  // another branch told apart (src/taken_away.ts, src/left_folder_seq.ts) and more messages for
  // mistyped arguments (stop 44) ~6 KB more, to 237 KB. The lock the work trees of a repository
  // share, the journal's read before the lock (review-46) and exec's word that names no command
  // (newuser-46) ~6 KB more, to 243 KB. A deadline on the git calls emit makes and the commit a
  // detached HEAD's journaled line is held in (stop 53) ~7 KB more, to 250 KB. A linked work
  // tree's journal kept in the common git folder, and read once that work tree is removed
  // (src/kept_journals.ts, stop 54), ~4.5 KB more, to 255 KB. runrec's search for the
  // repository stopping at $GIT_CEILING_DIRECTORIES, a journal's unchecked lines, removed work
  // trees' copies read once a command and named where git moved their folder (stop 55) ~3.9 KB
  // more (257.5 KB to 261.4 KB); spool-55's replay in batches and review1-55's journal checks 263.5
  // KB; `flush`'s replays moved out of src/spool.ts (src/spool_flush.ts), 255.9 KB; durability-56's
  // syncs 260.6 KB. The read commands' spool warnings moved out too (src/spool_pending.ts, stop 57),
  // 260.4 KB. The SHA-256 a WebAssembly module in base64 (src/sha256_wasm.ts, 12.7 KB) in place of
  // `@noble/hashes` (stop 57: cheaper cold; docs/BENCHMARKS.md), ~269 KB; errors that carry
  // their path and field (library-57) and claims that name their maker's start (pending-57), 271.9 KB.
  // A `.git` judged as git judges one (stop 58) and a new user's hints for a folder named with a
  // space after its ID and a `~` no shell expanded (newuser59), 275.4 KB.
  assert(bytes < 280_000, `emit loads ${bytes} bytes of code`);
  // No command group sets up Node compatibility at start (~20 ms): no static node: import.
  const groups = new Set(
    [...(await Deno.readTextFile(main)).matchAll(/import\("\.\/([^"]+)"\)/g)].map(([, f]) => f),
  );
  for (const group of groups) await load(group);
  for (const file of loaded) {
    const text = await Deno.readTextFile(join(cli, file));
    assert(!/(?:from|import)"node:/.test(text), `${file} imports node: statically`);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("build: emit into a file of 80 records runs no full garbage collection and at most one of the young generation (emit-speed-38 F2)", async () => {
  const dir = await tempDir();
  const main = await bundleCli(join(dir, "bundle"));
  const del = await makeDeliverable(join(dir, "root"));
  const report = { agent: "X", status: "SUCCESS", inputs: ["a.md"], outputs: ["b.md"] };
  // ~60 KB, under the SEQ index's first store: the emit reads the most it reads of a file.
  for (let i = 0; i < 80; i++) await emitRecord(del, report, { fsync: false });
  // V8 reports each collection on stdout. One or two of the young generation (0.6-2.5 ms each,
  // the first waiting for a worker thread) ran in such an emit while it started at 1 MiB.
  const flags = FULL_FLAGS.map((f) => f.startsWith("--v8-flags=") ? `${f},--trace-gc` : f);
  const args = ["emit", del, "--agent", "X", "--status", "SUCCESS", "--input", "a.md"];
  // The bundle's first run compiles it from source (its code cache is empty) and allocates more
  // (a collection seen 3 times in 4 under load): an installed runrec's runs are the later ones.
  assertEquals((await run([Deno.execPath(), "run", ...flags, main], args)).code, 0);
  const emit = await run([Deno.execPath(), "run", ...flags, main], [...args, "--output", "b.md"]);
  assertEquals(emit.code, 0, emit.stderr);
  // Stop 44's write path (drafts, stashes, renamed folders) took its allocation just past 2 MiB
  // in some runs: one collection of the young generation (~4 ms) in 5 of 30 warm runs here, where
  // 4 MiB from the start cost every run ~4 ms (docs/FINDINGS.md, stop 44, lead-44).
  const collections = emit.stdout.split("\n").filter((l) => /Scavenge|Mark-Compact/.test(l));
  assertEquals(collections.filter((l) => /Mark-Compact/.test(l)), []);
  assert(collections.length <= 1, collections.join("\n"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("build: two builds of one bundle folder at once, the bundle run all the while: every run finds the whole bundle, and one bundle is left", async () => {
  const dir = await tempDir();
  const outDir = join(dir, "bundle");
  const main = await bundleCli(outDir);
  const { del } = await makeProject();
  let building = true;
  const builds = Promise.all([bundleCli(outDir), bundleCli(outDir)]).finally(() => {
    building = false;
  });
  // Before: a build removed the folder first, so a run meanwhile found no main.js or chunk.
  const failures: string[] = [];
  let runs = 0;
  while (building) {
    const ran = await run([Deno.execPath(), "run", ...FULL_FLAGS, main], ["log", del, "--json"]);
    runs++;
    if (ran.code !== 0 || ran.stdout !== "[]\n") failures.push(`${ran.code}: ${ran.stderr}`);
  }
  assertEquals(await builds, [main, main]);
  assert(runs >= 2, `${runs} runs while the builds ran`);
  assertEquals(failures, []);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["bundle"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("build: the bundle is there at every moment of a build that replaces it, a second held by strace after its first rename: every run meanwhile finds the whole bundle (review-43 F5)", async () => {
  const dir = await tempDir();
  const outDir = join(dir, "bundle");
  const main = await bundleCli(outDir);
  const { del } = await makeProject();
  const script = join(dir, "build.ts");
  const compile = new URL("../scripts/compile.ts", import.meta.url).href;
  await Deno.writeTextFile(
    script,
    `import { bundleCli } from ${JSON.stringify(compile)};\nawait bundleCli(Deno.args[0]);\n`,
  );
  // Before: the first rename put the old folder aside, and for the 2 s strace held the build
  // there, no bundle was at `outDir` ("Module not found … main.js"); 5 of ~300 runs failed so
  // during two builds at once with nothing held.
  const build = new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", "/dev/null", "-e", "trace=rename"],
      ...["-e", "inject=rename:delay_exit=2000000:when=1"],
      ...[Deno.execPath(), "run", "-A", script, outDir],
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let building = true;
  const built = build.output().finally(() => {
    building = false;
  });
  const failures: string[] = [];
  let runs = 0;
  while (building) {
    const ran = await run([Deno.execPath(), "run", ...FULL_FLAGS, main], ["log", del, "--json"]);
    runs++;
    if (ran.code !== 0 || ran.stdout !== "[]\n") failures.push(`${ran.code}: ${ran.stderr}`);
  }
  const { code, stderr } = await built;
  assertEquals(code, 0, decoder.decode(stderr));
  assert(runs >= 2, `${runs} runs while the build ran`);
  assertEquals(failures, []);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["build.ts", "bundle"]);
});
