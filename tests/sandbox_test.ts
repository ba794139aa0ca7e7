/**
 * The installed `runrec-sandboxed`: everything a CI job needs works inside the
 * folder it is started in (its spool included), and any file outside it is
 * refused with one line naming the path, exit 2, nothing changed.
 *
 * @module
 */
import { basename, join, relative } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { git, makeProject, sampleRecord, tempDir } from "./fixtures.ts";
import { runCliProcess } from "./cli.ts";
import { FULL_FLAGS, SANDBOXED_FLAGS } from "../src/cli/permissions.ts";
import { type Ran, runIn, sharedInstall } from "./installed.ts";
import { LIB_FOLDER } from "../scripts/install.ts";
import { PARALLEL_FROM_BYTES } from "../src/check_pool.ts";
import { encodeRecord } from "../src/codec.ts";
import { HEADER } from "../src/schema.ts";
import { SPOOL_FOLDER } from "../src/spool.ts";
import { RECORD_FILE } from "../src/deliverable.ts";

const REFUSED = ": outside what this runrec may use (Deno --allow-read; runrec-sandboxed uses " +
  "only the folder it was started in)";
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Every file under `dir` with its bytes, keyed by relative path. */
async function tree(dir: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  const walk = async (at: string, prefix: string) => {
    for await (const entry of Deno.readDir(at)) {
      const path = join(at, entry.name);
      if (entry.isDirectory) await walk(path, `${prefix}${entry.name}/`);
      else found[`${prefix}${entry.name}`] = await Deno.readTextFile(path);
    }
  };
  await walk(dir, "");
  return found;
}

/** A sandbox: runrec installed, a repository to start in, and a folder beside it. */
async function setUp() {
  const { bin } = await sharedInstall();
  const repo = await makeProject();
  const outside = await makeProject();
  await Deno.writeTextFile(
    join(outside.del, RECORD_FILE),
    `${HEADER}\n${encodeRecord(sampleRecord())}\n`,
  );
  // Where a spool outside would go if the sandbox let runrec read these variables.
  const tmp = await Deno.makeTempDir({ prefix: "runrec-sandbox-tmp-" });
  const spool = await Deno.makeTempDir({ prefix: "runrec-sandbox-spool-" });
  const sandboxed = (args: string[], cwd = repo.root) =>
    runIn(cwd, join(bin, "runrec-sandboxed"), args, { TMPDIR: tmp, RUNREC_SPOOL_DIR: spool });
  const cleanUp = async () => {
    for (const dir of [repo.root, outside.root, tmp, spool]) {
      await Deno.remove(dir, { recursive: true });
    }
  };
  return { bin, repo, outside, tmp, spool, sandboxed, cleanUp };
}

function ok(ran: Ran, what: string): void {
  assertEquals(ran.code, 0, `${what}: ${ran.stderr}${ran.stdout}`);
}

Deno.test("sandbox: runrec-sandboxed emits, spools, flushes, validates, verifies, logs, shows and hashes inside its folder", async () => {
  const { repo, tmp, spool, sandboxed, cleanUp } = await setUp();
  const del = "PKG-01_Pkg/1_Working/DEL-01-02_Thing";
  const emit = await sandboxed([
    "emit",
    del,
    "--agent",
    "4_DOCUMENTS",
    "--status",
    "SUCCESS",
    "--output",
    "Datasheet.md",
    "--json",
  ]);
  ok(emit, "emit");
  assertEquals(JSON.parse(emit.stdout).OutputFiles, ["Datasheet.md"]);
  // Its inputs are inside the folder it may read, though their ancestors are not.
  const stale = await sandboxed(["stale", "."]);
  ok(stale, "stale");
  assertMatch(stale.stdout, /1 check: 0 DIRTY, 1 CLEAN/);

  // A real fault: a folder where the record file belongs. The record goes to the
  // deliverable's own spool, inside, never to $TMPDIR or $RUNREC_SPOOL_DIR outside.
  await Deno.remove(join(repo.del, RECORD_FILE));
  await Deno.mkdir(join(repo.del, RECORD_FILE));
  const spooled = await sandboxed(["emit", del, "--agent", "4_DOCUMENTS", "--status", "FAILED"]);
  ok(spooled, "emit into the spool");
  assertMatch(spooled.stderr, /spool/);
  const entries = [...Deno.readDirSync(join(repo.del, SPOOL_FOLDER))].map((e) => e.name);
  assert(entries.some((n) => n.endsWith(".json")), entries.join(", "));
  assertEquals([...Deno.readDirSync(tmp)], []);
  assertEquals([...Deno.readDirSync(spool)], []);
  await Deno.remove(join(repo.del, RECORD_FILE));
  ok(await sandboxed(["flush", del]), "flush");
  const lines = (await Deno.readTextFile(join(repo.del, RECORD_FILE))).trimEnd().split("\n");
  // The header and the spooled record (the first record went with the file).
  assertEquals(lines.length, 2);

  ok(await sandboxed(["validate", "."]), "validate");
  ok(await sandboxed(["verify", "."]), "verify");
  const log = await sandboxed(["log", ".", "--json"]);
  ok(log, "log");
  assertEquals(JSON.parse(log.stdout).length, 1);
  const [logged] = JSON.parse(log.stdout);
  assertEquals(logged.RunStatus, "FAILED");
  ok(await sandboxed(["show", del, logged.RunID]), "show");
  ok(await sandboxed(["hash", del]), "hash");
  // Relative to the folder it starts in, from inside the deliverable too.
  ok(await sandboxed(["validate", "."], repo.del), "validate in the deliverable");
  await cleanUp();
});

Deno.test("sandbox: runrec-sandboxed validates a file large enough for worker threads inside its folder", async () => {
  const { repo, sandboxed, cleanUp } = await setUp();
  const lines = [HEADER];
  for (let i = 1, bytes = 0; bytes <= PARALLEL_FROM_BYTES; i++) {
    const RunID = `RUN-DEL-01-02-20260222-1015-${String(i).padStart(5, "0")}`;
    const line = encodeRecord(sampleRecord({ RunID, Notes: "x".repeat(900) }));
    lines.push(line);
    bytes += line.length + 1;
  }
  await Deno.writeTextFile(join(repo.del, RECORD_FILE), lines.join("\n") + "\n");
  const ran = await sandboxed(["validate", ".", "--json"]);
  ok(ran, "validate");
  assertEquals(JSON.parse(ran.stdout).records, lines.length - 1);
  await cleanUp();
});

Deno.test("sandbox: runrec-sandboxed refuses a file outside its folder in one line naming it, exit 2", async () => {
  const { bin, outside, sandboxed, cleanUp } = await setUp();
  const before = await tree(outside.root);
  const file = join(outside.del, RECORD_FILE);
  const attempts: [string[], string, string][] = [
    [["validate", file], "validate", file],
    [["validate", outside.root], "validate", outside.root],
    [["verify", outside.del], "verify", outside.del],
    [["log", outside.del], "log", outside.del],
    [["show", outside.del, sampleRecord().RunID], "show", outside.del],
    [["hash", outside.del], "hash", outside.del],
    [["emit", outside.del, "--agent", "X", "--status", "SUCCESS"], "emit", outside.del],
    [["flush", outside.del], "flush", outside.del],
    [["flush", "--from", file], "flush", file],
  ];
  for (const [args, command, path] of attempts) {
    const ran = await sandboxed(args);
    assertEquals(ran.code, 2, `${args.join(" ")}: ${ran.stdout}${ran.stderr}`);
    assertEquals(ran.stderr.split("\n").length, 2, `${args.join(" ")}: ${ran.stderr}`);
    assertMatch(
      ran.stderr,
      new RegExp(`^runrec ${command}: .*"${escape(path)}[^"]*"${escape(REFUSED)}\\n$`),
    );
  }

  // A CI job parsing `--json` learns which path was refused, as from any bad input (ci59).
  for (const target of [outside.del, "/"]) {
    const json = await sandboxed(["stale", "--json", target]);
    assertEquals(json.code, 2, json.stdout + json.stderr);
    assertEquals(JSON.parse(json.stdout).error.path, target, json.stdout);
  }

  // runrec's own code folder is readable (worker threads load from it) but not writable, nor
  // are the folders above it readable: a deliverable there is refused before anything is read.
  const lib = join(bin, LIB_FOLDER, "DEL-01-02_Thing");
  await Deno.mkdir(lib);
  for (const [name, text] of Object.entries(await tree(outside.del))) {
    if (name !== RECORD_FILE) await Deno.writeTextFile(join(lib, name), text);
  }
  const write = await sandboxed(["emit", lib, "--agent", "X", "--status", "SUCCESS", "--strict"]);
  assertEquals(write.code, 2, write.stdout + write.stderr);
  assertMatch(
    write.stderr,
    new RegExp(
      `^runrec emit: ${escape(lib)}: no read access to "${escape(bin)}"${escape(REFUSED)}`,
    ),
  );
  assert(!write.stderr.includes("    at "), write.stderr);
  assertEquals(Object.keys(await tree(lib)).includes(RECORD_FILE), false);
  await Deno.remove(lib, { recursive: true });

  assertEquals(await tree(outside.root), before);
  await cleanUp();
});

Deno.test("sandbox: runrec-sandboxed exec starts nothing and records nothing: exit 2 in one line saying to run the command and emit", async () => {
  const { repo, sandboxed, cleanUp } = await setUp();
  const before = await tree(repo.del);
  const ran = await sandboxed(["exec", ".", "--agent", "X", "--", "true"], repo.del);
  assertEquals(ran.code, 2, ran.stdout + ran.stderr);
  assertMatch(ran.stderr, /^runrec exec: cannot start "true": .*nothing recorded; .*emit\n$/);
  assertEquals(await tree(repo.del), before);
  await cleanUp();
});

Deno.test("sandbox: runrec-sandboxed finish from a folder that does not hold the run says it may not read there, not that the folder is gone", async () => {
  const { outside, sandboxed, cleanUp } = await setUp();
  const started = await sandboxed([
    "start",
    "PKG-01_Pkg/1_Working/DEL-01-02_Thing",
    "--agent",
    "X",
  ]);
  ok(started, "start");
  const token = started.stdout.trim();
  const finished = await sandboxed(["finish", token, "--status", "SUCCESS"], outside.root);
  assertEquals(finished.code, 2, finished.stdout + finished.stderr);
  assertMatch(finished.stderr, /^runrec finish: .*: cannot read the folder: no permission/);
  assert(!finished.stderr.includes("no such folder"), finished.stderr);
  ok(await sandboxed(["finish", token, "--status", "SUCCESS"]), "finish where it started");
  await cleanUp();
});

Deno.test("sandbox: runrec-sandboxed started beneath the project root stops in one line, exit 2, where the answer depends on the root it cannot see: no DIRTY verdict, no record (trial-q F3)", async () => {
  const { bin, repo, sandboxed, cleanUp } = await setUp();
  try {
    // A reference beside the deliverable, inside the folder the sandbox is started in below.
    await Deno.writeTextFile(
      join(repo.del, "_REFERENCES.md"),
      "# References\n\n- [D](../../../_Decomposition/D.md)\n- [R](../../0_References/ref.txt)\n",
    );
    const del = "PKG-01_Pkg/1_Working/DEL-01-02_Thing";
    const emit = ["--agent", "FULL", "--status", "SUCCESS"];
    ok(await runIn(repo.root, join(bin, "runrec"), ["emit", del, ...emit]), "emit");
    const token = (await sandboxed(["start", del, "--agent", "LATE"])).stdout.trim();
    // Two copies of the deliverable in a tool root: the root's copies, not two live folders.
    for (const copy of ["v1", "v2"]) {
      await Deno.mkdir(join(repo.root, "_Archive", copy), { recursive: true });
      await Deno.copyFile(
        join(repo.del, RECORD_FILE),
        join(repo.root, "_Archive", copy, RECORD_FILE),
      );
      await Deno.copyFile(
        join(repo.del, "_CONTEXT.md"),
        join(repo.root, "_Archive", copy, "_CONTEXT.md"),
      );
    }
    ok(await sandboxed(["stale", del]), "stale from the root");
    ok(await sandboxed(["verify", "."]), "verify from the root");
    const before = await tree(repo.root);

    const pkg = join(repo.root, "PKG-01_Pkg");
    const thing = "1_Working/DEL-01-02_Thing";
    const beneath: [string, string[]][] = [
      [pkg, ["stale", thing]],
      [pkg, ["stale", "."]],
      [pkg, ["stale", ".", "--propagate", "--allow-outside"]],
      [pkg, ["emit", thing, ...emit]],
      [pkg, ["start", thing, "--agent", "X"]],
      [pkg, ["finish", token, "--status", "SUCCESS"]],
      [pkg, ["hash", thing]],
      [pkg, ["export", ".", "--format", "prov"]],
      [repo.del, ["emit", ".", ...emit]],
      [repo.del, ["start", ".", "--agent", "X"]],
      [repo.del, ["stale", "."]],
      [repo.del, ["hash", "."]],
      [join(repo.root, "_Archive"), ["verify", "."]],
    ];
    for (const [cwd, args] of beneath) {
      const ran = await sandboxed(args, cwd);
      const what = `${args.join(" ")} in ${cwd}: ${ran.stdout}${ran.stderr}`;
      assertEquals([ran.code, ran.stdout, ran.stderr.split("\n").length], [2, "", 2], what);
      assertMatch(
        ran.stderr,
        new RegExp(
          `^runrec ${args[0]}: .*: cannot see above ${escape(cwd)} for its project's root ` +
            ".*: start runrec from the repository root",
        ),
        what,
      );
    }
    // Its --json error names the folder, as the message does (ci59).
    const json = await sandboxed(["stale", "--json", "."], repo.del);
    assertEquals(json.code, 2, json.stdout + json.stderr);
    assertEquals(JSON.parse(json.stdout).error.path, repo.del, json.stdout);
    assertEquals(await tree(repo.root), before);
    // What needs no root works there still; from the root, the run started finishes.
    ok(await sandboxed(["validate", "."], pkg), "validate beneath the root");
    ok(await sandboxed(["log", thing], pkg), "log beneath the root");
    // One record file shares its DeliverableID with no other: verify needs no root for it.
    ok(await sandboxed(["verify", "."], pkg), "verify of one record file beneath the root");
    ok(await sandboxed(["finish", token, "--status", "SUCCESS"]), "finish from the root");
  } finally {
    await cleanUp();
  }
});

Deno.test("sandbox: runrec-sandboxed finish <del-dir> started beneath the project root: the run is still pending, and the finish to run again names the folder from anywhere, not from the folder it was told not to use (review-r F8)", async () => {
  const { repo, sandboxed, cleanUp } = await setUp();
  try {
    const del = "PKG-01_Pkg/1_Working/DEL-01-02_Thing";
    ok(await sandboxed(["start", del, "--agent", "LATE"]), "start");
    const finish = ["--agent", "LATE", "--status", "SUCCESS"];
    const pkg = join(repo.root, "PKG-01_Pkg");
    const beneath = await sandboxed(["finish", "1_Working/DEL-01-02_Thing", ...finish], pkg);
    assertEquals([beneath.code, beneath.stdout], [2, ""], beneath.stderr);
    assertMatch(
      beneath.stderr,
      new RegExp(
        `: start runrec from the repository root, naming the folder from there; the run is ` +
          `still pending: run runrec finish ${escape(repo.del)} again from the repository root\n$`,
      ),
    );
    ok(await sandboxed(["finish", repo.del, ...finish]), "that finish, from the root");
  } finally {
    await cleanUp();
  }
});

Deno.test("sandbox: runrec-sandboxed verify --since names what an installed user has instead, the runrec command (trial-pipeline2 minor 2)", async () => {
  const { sandboxed, cleanUp } = await setUp();
  try {
    const ran = await sandboxed(["verify", ".", "--since", "HEAD"]);
    assertEquals(ran.code, 2, ran.stderr);
    assertEquals(
      ran.stderr,
      "runrec verify: --since: this runrec has no permission to run programs (sandboxed " +
        "build), so it cannot run git; use the runrec command (not runrec-sandboxed) for this\n",
    );
  } finally {
    await cleanUp();
  }
});

Deno.test("sandbox: a committed RunRecords.csv that is a symbolic link out of the checkout, or a linked deliverable folder, is never read by validate, verify, log, show, stale or export (trial-new F2)", async () => {
  const { repo, outside, sandboxed, cleanUp } = await setUp();
  const secret = join(outside.root, "id_fake");
  await Deno.writeTextFile(
    secret,
    "-----BEGIN FAKE KEY-----\nAAAAB3NzaC1yc2EAAAADAQABAAABAQDsecretsecret\n",
  );
  const linkedFile = join(repo.root, "PKG-01_Pkg", "1_Working", "DEL-09-09_X");
  await Deno.mkdir(linkedFile);
  await Deno.symlink(secret, join(linkedFile, RECORD_FILE));
  // A deliverable folder that is a link out of the checkout: a search beneath `.` never enters it.
  await Deno.symlink(outside.del, join(repo.root, "PKG-01_Pkg", "1_Working", "DEL-09-08_Y"));
  const named = "PKG-01_Pkg/1_Working/DEL-09-09_X/RunRecords.csv";
  const why = `${named}: cannot read: is a symbolic link; runrec reads and writes only a ` +
    "regular file in the deliverable folder";
  const attempts: [string[], string][] = [
    [["validate", "."], why],
    [["validate", ".", "--json"], why.slice(why.indexOf("is a symbolic link"))],
    [["verify", "."], why],
    [["log", "."], why],
    [["stale", "."], why],
    [["export", ".", "--format", "openlineage", "--out", "x.json"], why],
    [
      ["show", "PKG-01_Pkg/1_Working/DEL-09-09_X", sampleRecord().RunID],
      why.replace(": cannot read", ""),
    ],
    [["log", named], why],
  ];
  for (const [args, message] of attempts) {
    const ran = await sandboxed(args);
    const all = ran.stdout + ran.stderr;
    assertEquals(ran.code, 2, `${args.join(" ")}: ${all}`);
    assert(all.includes(message), `${args.join(" ")}: ${all}`);
    for (const leak of ["BEGIN FAKE KEY", "AAAAB3", sampleRecord().RunID.slice(0, 20)]) {
      assert(!all.includes(leak), `${args.join(" ")} shows ${leak}: ${all}`);
    }
  }
  await cleanUp();
});

// The same entry point under the sandboxed flags and the full ones: the verdicts agree
// (sandboxed-sweep).

Deno.test("sandboxed: a reference outside the repository, not read at the run, is the same note, not DIRTY, under the sandboxed build (sandboxed-sweep F4)", async () => {
  const { root, del } = await makeProject();
  const outside = `${basename(root)}-glossary.md`;
  await Deno.writeTextFile(join(root, "..", outside), "shared\n");
  await Deno.writeTextFile(join(del, "_REFERENCES.md"), `- ../../../../${outside}\n`, {
    append: true,
  });
  await git(root, "init", "-q");
  const emitted = await runCliProcess(
    ["emit", del, "--agent", "A", "--status", "SUCCESS"],
    FULL_FLAGS,
    {},
    root,
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  for (const flags of [FULL_FLAGS, SANDBOXED_FLAGS]) {
    const stale = await runCliProcess(["stale", del], flags, {}, root);
    assertEquals(stale.code, 0, stale.stdout + stale.stderr);
    assertIncludes(stale.stdout, "not read then, so no change can be told");
  }
});

Deno.test("sandboxed: a ~/ reference is keyed and judged as the full build does, not 'not found' (sandboxed-sweep F5)", async () => {
  const { root, del } = await makeProject();
  const home = await tempDir();
  await Deno.writeTextFile(join(home, "ref.txt"), "notes\n");
  await Deno.writeTextFile(join(del, "_REFERENCES.md"), "- ~/ref.txt\n", { append: true });
  await git(root, "init", "-q");
  const env = { HOME: home };
  const emitted = await runCliProcess(
    ["emit", del, "--agent", "A", "--status", "SUCCESS"],
    FULL_FLAGS,
    env,
    root,
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  const hashes: string[] = [];
  for (const flags of [FULL_FLAGS, SANDBOXED_FLAGS]) {
    const hashed = await runCliProcess(["hash", del], flags, env, root);
    assertEquals(hashed.code, 0, hashed.stderr);
    assert(!hashed.stdout.includes("~/ref.txt"), hashed.stdout);
    assert(!hashed.stderr.includes("not found"), hashed.stderr);
    hashes.push(hashed.stdout);
    const stale = await runCliProcess(["stale", del], flags, env, root);
    assertEquals(stale.code, 0, stale.stdout + stale.stderr);
    assertIncludes(stale.stdout, "not read then, so no change can be told");
  }
  // The same key and InputContextSHA from both builds.
  assertEquals(hashes[1], hashes[0]);
});

Deno.test("sandboxed: started beneath the root, reap and log suggest a reap that works: from the repository's root (sandboxed-sweep F6)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  const started = await runCliProcess(["start", del, "--agent", "A"], FULL_FLAGS, {}, root);
  assertEquals(started.code, 0, started.stderr);
  for (const args of [["reap"], ["log", "."]]) {
    const ran = await runCliProcess(args, SANDBOXED_FLAGS, {}, del);
    assert(!/runrec reap [.'\/]/.test(ran.stderr), `${args.join(" ")}: ${ran.stderr}`);
    assertIncludes(ran.stderr, "runrec reap FOLDER --older-than DURATION");
    assertIncludes(ran.stderr, "started from the repository's root, FOLDER naming");
  }
  // Done as said, it reaps.
  const folder = relative(root, del);
  const reap = await runCliProcess(
    ["reap", folder, "--older-than", "0s"],
    SANDBOXED_FLAGS,
    {},
    root,
  );
  assertEquals(reap.code, 0, reap.stderr);
  assertIncludes(reap.stdout, "longer than PT0S");
  // From the root the suggestion names the folder itself.
  const log = await runCliProcess(["log", folder], SANDBOXED_FLAGS, {}, root);
  assert(!log.stderr.includes("FOLDER"), log.stderr);
});

Deno.test("sandboxed: reap names the runs whose --pid it may not ask about, never 'nothing to reap' (sandboxed-sweep F3)", async () => {
  const { root, del } = await makeProject();
  const gone = new Deno.Command("true").spawn();
  await gone.status;
  const started = await runCliProcess(
    ["start", del, "--agent", "A", "--pid", String(gone.pid)],
    SANDBOXED_FLAGS,
    {},
    root,
  );
  assertEquals(started.code, 0, started.stderr);
  const reap = await runCliProcess(["reap", del], SANDBOXED_FLAGS, {}, root);
  assertEquals(reap.code, 0, reap.stderr);
  assertIncludes(reap.stderr, `its process ${gone.pid} on`);
  assertIncludes(reap.stderr, "cannot be asked about from here");
  const json = await runCliProcess(["reap", del, "--json"], SANDBOXED_FLAGS, {}, root);
  assertEquals(JSON.parse(json.stdout).unwatched.length, 1, json.stdout);
  // The full build asks, and reaps it.
  const full = await runCliProcess(["reap", del], FULL_FLAGS, {}, root);
  assertIncludes(full.stdout, "is gone");
});
