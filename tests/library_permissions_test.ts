/**
 * The library under narrowed Deno permissions: each case runs a script in a
 * real Deno process with the permissions under test. A missing permission
 * must be one clear error before anything is read or written, never a
 * record that says "not found" or "outside", nor a DIRTY verdict.
 */
import { join } from "node:path";
import { filesOf } from "./support/runs.ts";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { git, makeProject, sampleDraft, tempDir } from "./fixtures.ts";
import { appendRecord } from "../src/store.ts";
import { runCliProcess } from "./cli.ts";
import { writeRecordFile } from "../scripts/bench/records.ts";
import { failureReason } from "../src/errors.ts";
import { MOD, runScript } from "./support/library_script.ts";

const RECORD = `return await rr.recordRun(Deno.args[0] ?? DEL, {
  agent: "4_DOCUMENTS", status: "SUCCESS", inputs: ["Datasheet.md"],
});`;

function recordIn(del: string): string {
  return `const DEL = ${JSON.stringify(del)};\nconst o = await (async () => { ${RECORD} })();\n` +
    `return { id: o.written?.record.RunID, host: o.written?.record.Host, ` +
    `sha: o.written?.record.InputContextSHA, hashes: o.written?.record.InputHashes, ` +
    `notes: o.written?.record.Notes, spooled: o.spooledTo };`;
}

Deno.test("library permissions: recordRun with --allow-read narrowed to a package folder throws naming --allow-read, and writes nothing", async () => {
  const { root, del } = await makeProject();
  const before = await filesOf(root);
  const pkg = join(root, "PKG-01_Pkg");
  const { answer } = await runScript(root, [
    `--allow-read=${pkg}`,
    "--allow-write",
    "--allow-sys=hostname",
  ], recordIn(del));
  assertEquals(answer.threw, "InputError", JSON.stringify(answer));
  assertEquals(
    answer.message,
    `${del}: no read access to "${root}", run again with the --allow-read flag`,
  );
  assertEquals(await filesOf(root), before);
});

Deno.test("library permissions: checkStaleness with --allow-read narrowed to a package folder throws, never a DIRTY verdict", async () => {
  const { root, del } = await makeProject();
  // A baseline written with every permission: unchanged inputs, so CLEAN when it can be judged.
  const full = await runScript(
    root,
    ["--allow-read", "--allow-write", "--allow-sys=hostname"],
    recordIn(del),
  );
  assert(typeof full.answer.id === "string", JSON.stringify(full.answer));
  const judge = `const r = await rr.checkStaleness([Deno.cwd() + "/PKG-01_Pkg"]);
return { verdicts: r.checks.map((c) => c.verdict) };`;
  const everything = await runScript(root, ["--allow-read"], judge);
  assertEquals(everything.answer.verdicts, ["CLEAN"]);
  const narrowed = await runScript(root, [`--allow-read=${join(root, "PKG-01_Pkg")}`], judge);
  assertEquals(narrowed.answer.threw, "InputError", JSON.stringify(narrowed.answer));
  assertEquals(
    narrowed.answer.message,
    `${
      join(root, "PKG-01_Pkg")
    }: no read access to "${root}", run again with the --allow-read flag`,
  );
});

Deno.test("library permissions: recordRun without --allow-sys=hostname throws naming the flag, never a Host of unknown", async () => {
  const { root, del } = await makeProject();
  const before = await filesOf(root);
  const { answer } = await runScript(root, ["--allow-read", "--allow-write"], recordIn(del));
  assertEquals(answer.threw, "InputError", JSON.stringify(answer));
  assertIncludes(String(answer.message), "run again with the --allow-sys=hostname flag");
  assertEquals(await filesOf(root), before);
});

Deno.test("library permissions: startRun and withRun without write access to the folder throw naming --allow-write, before the work runs", async () => {
  const { root, del } = await makeProject();
  const before = await filesOf(root);
  const elsewhere = await tempDir();
  const flags = ["--allow-read", `--allow-write=${elsewhere}`, "--allow-sys=hostname"];
  const start = await runScript(
    root,
    flags,
    `await rr.startRun(${JSON.stringify(del)}, { agent: "X" }); return {};`,
  );
  assertEquals(start.answer.threw, "InputError", JSON.stringify(start.answer));
  assertEquals(
    start.answer.message,
    `${del}: no write access to "${del}", run again with the --allow-write flag`,
  );
  const withRun = await runScript(
    root,
    flags,
    `let ran = false;
try { await rr.withRun(${JSON.stringify(del)}, { agent: "X" }, () => { ran = true; }); }
catch (e) { return { threw: (e as Error).name, message: (e as Error).message, ran }; }
return { ran };`,
  );
  assertEquals([withRun.answer.threw, withRun.answer.ran], ["InputError", false]);
  assertIncludes(String(withRun.answer.message), "--allow-write");
  assertEquals(await filesOf(root), before);
});

Deno.test("library permissions: read and write granted on the execution root alone (the sandboxed build's grant) record what every permission records", async () => {
  const narrowedProject = await makeProject();
  const fullProject = await makeProject();
  const narrowed = await runScript(narrowedProject.root, [
    `--allow-read=${narrowedProject.root}`,
    `--allow-write=${narrowedProject.root}`,
    "--allow-sys=hostname",
  ], recordIn(narrowedProject.del));
  const full = await runScript(
    fullProject.root,
    ["--allow-read", "--allow-write", "--allow-sys=hostname"],
    recordIn(fullProject.del),
  );
  assert(typeof narrowed.answer.id === "string", JSON.stringify(narrowed.answer));
  // The reference beneath the execution root is hashed, not "outside" nor "not found".
  assert("../../../_Decomposition/D.md" in (narrowed.answer.hashes as object));
  assertEquals(
    [narrowed.answer.sha, narrowed.answer.hashes, narrowed.answer.notes],
    [full.answer.sha, full.answer.hashes, full.answer.notes],
  );
});

Deno.test("library permissions: a record file the process may not read is an InputError that says no permission (outside what this runrec may read: Deno --allow-read)", async () => {
  const { root, del } = await makeProject();
  await runScript(root, ["--allow-read", "--allow-write", "--allow-sys=hostname"], recordIn(del));
  const file = join(del, "RunRecords.csv");
  const { answer } = await runScript(
    root,
    [`--allow-read=${join(root, "_Decomposition")}`],
    `for await (const _ of rr.readRecords(${JSON.stringify(file)})) { /* read */ } return {};`,
  );
  assertEquals(answer, {
    threw: "InputError",
    message:
      `${file}: cannot read: no permission (outside what this runrec may read: Deno --allow-read)`,
  });
  assertEquals(
    failureReason(new Deno.errors.NotCapable("Requires read access")),
    "no permission (outside what this runrec may read: Deno --allow-read)",
  );
  // A write refused names the write flag, not --allow-read.
  assertEquals(
    failureReason(new Deno.errors.NotCapable('Requires write access to "/x"')),
    "no permission (outside what this runrec may write: Deno --allow-write)",
  );
});

Deno.test("library permissions: recordRun and emit without write access build the record and hand it back as lost (its line to save), never throw it away", async () => {
  const { root, del } = await makeProject();
  const before = await filesOf(root);
  const { answer } = await runScript(
    root,
    ["--allow-read", "--allow-sys=hostname", "--allow-env"],
    `const outcome = await rr.recordRun(${JSON.stringify(del)}, {
       agent: "A", status: "SUCCESS", notes: "precious",
     });
     return { written: outcome.written !== undefined, lost: outcome.lost ?? null };`,
  );
  assertEquals(answer.written, false);
  assertIncludes(String(answer.lost), "runrec: lost-record: {");
  assertIncludes(String(answer.lost), "precious");
  const cli = await runCliProcess(
    ["emit", del, "--agent", "A", "--status", "SUCCESS", "--notes", "precious", "--json"],
    ["--allow-read", "--allow-sys=hostname", "--allow-env", "--allow-run", "--no-prompt"],
  );
  assertEquals(cli.code, 0, cli.stderr);
  assertEquals(JSON.parse(cli.stdout).outcome, "lost");
  assertIncludes(cli.stderr, "runrec: lost-record: {");
  assertEquals(await filesOf(root), before);
});

Deno.test("library permissions: appendAnnotation without write access or the host name throws an InputError naming the flag, and writes nothing", async () => {
  const { root, del } = await makeProject();
  const before = await filesOf(root);
  const annotate = `await rr.appendAnnotation(${JSON.stringify(del)}, ` +
    `"RUN-DEL-01-02-20260101-0000-001", { invalidates: true }, "bad inputs"); return {};`;
  const elsewhere = await tempDir();
  const noWrite = await runScript(root, [
    "--allow-read",
    `--allow-write=${elsewhere}`,
    "--allow-sys=hostname",
  ], annotate);
  assertEquals(noWrite.answer, {
    threw: "InputError",
    message: `${del}: no write access to "${del}", run again with the --allow-write flag`,
  });
  const noHost = await runScript(root, ["--allow-read", "--allow-write"], annotate);
  assertEquals(noHost.answer.threw, "InputError", JSON.stringify(noHost.answer));
  assertIncludes(String(noHost.answer.message), "run again with the --allow-sys=hostname flag");
  assertEquals(await filesOf(root), before);
});

Deno.test("library permissions: verifyHistory without --allow-run throws GitUnavailableError naming the flag, not the CLI's builds", async () => {
  const { root, del } = await makeProject();
  await appendRecord(join(del, "RunRecords.csv"), sampleDraft(), { fsync: false });
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  const check = `return await rr.verifyHistory(${
    JSON.stringify(join(del, "RunRecords.csv"))
  }, "HEAD");`;
  const { answer } = await runScript(root, ["--allow-read", "--allow-env"], check);
  assertEquals(answer.threw, "GitUnavailableError", JSON.stringify(answer));
  assertEquals(
    answer.message,
    "no permission to run programs, so git cannot run: run deno again with --allow-run " +
      "(or --allow-run=git)",
  );
  const granted = await runScript(root, ["--allow-read", "--allow-env", "--allow-run=git"], check);
  assertEquals(granted.answer.failure, undefined, JSON.stringify(granted.answer));
  assertEquals(granted.answer.versionsCompared, 2);
});

Deno.test("library permissions: checkRecordFile on a large file with read access to the project only checks it here, printing nothing", async () => {
  const { root, del } = await makeProject();
  const file = join(del, "RunRecords.csv");
  await writeRecordFile(file, 12_000); // over the 8 MiB from which workers are started
  const count = `let n = 0; for await (const b of rr.checkRecordFile(${JSON.stringify(file)})) ` +
    "n += b.records; return { n };";
  const { answer, stderr } = await runScript(root, [`--allow-read=${root}`], count);
  assertEquals(answer, { n: 12_000 });
  assertEquals(stderr, "");
  await Deno.remove(root, { recursive: true });
});

Deno.test("library permissions: recordRun in a terminal with the flags README names asks nothing (optional variables and the uid are queried, not requested)", async () => {
  const { root, del } = await makeProject();
  const script = join(await tempDir({ prefix: "runrec-tty-" }), "record.ts");
  await Deno.writeTextFile(
    script,
    `import { recordRun } from ${JSON.stringify(MOD)};\n` +
      `const o = await recordRun(${JSON.stringify(del)}, { agent: "A", status: "SUCCESS" });\n` +
      `console.log(o.written !== undefined ? "written" : "not written");\n`,
  );
  // `script` gives deno a terminal, where a permission not granted would be asked for.
  const command = [Deno.execPath(), "run", "--allow-read", "--allow-write", "--allow-sys=hostname"]
    .concat(script).map((a) => `'${a}'`).join(" ");
  const out = await new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    stdin: "null",
    signal: AbortSignal.timeout(30_000), // a prompt left unanswered waits for ever
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert(!text.includes("requests"), text);
  assertIncludes(text, "written\r\n");
  await Deno.remove(root, { recursive: true });
});

Deno.test("library permissions: replaySpool() of the user's spool without the permissions that find it throws naming them, never 'nothing waits'; with them it replays (trial-lib F5)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir({ prefix: "runrec-perm-tmp-" });
  // A record waits in the user's spool: RunRecords.csv a folder, the deliverable's own spool a
  // file, so the emit's record goes to $TMPDIR's.
  await Deno.mkdir(join(del, "RunRecords.csv"));
  await Deno.writeTextFile(join(del, ".runrec-spool"), "a file where a folder is expected\n");
  const emitted = await runCliProcess(
    ["emit", del, "--agent", "A", "--status", "SUCCESS"],
    undefined,
    { TMPDIR: tmp },
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  assertIncludes(emitted.stderr, `spooled to ${tmp}`);
  await Deno.remove(join(del, "RunRecords.csv"));
  await Deno.remove(join(del, ".runrec-spool"));
  const replay = `const r = await rr.replaySpool();
return { replayed: r.replayed.length, failures: r.failures };`;
  const narrowed = await runScript(
    root,
    [
      "--allow-read",
      "--allow-write",
      "--allow-sys=hostname",
    ],
    replay,
    { TMPDIR: tmp },
  );
  assertEquals(narrowed.answer.threw, "InputError", JSON.stringify(narrowed.answer));
  assertIncludes(
    String(narrowed.answer.message),
    "--allow-env=RUNREC_SPOOL_DIR,TMPDIR,TEMP,TMP and --allow-sys=uid",
  );
  const granted = await runScript(
    root,
    [
      "--allow-read",
      "--allow-write",
      "--allow-sys=hostname,uid",
      "--allow-env",
    ],
    replay,
    { TMPDIR: tmp },
  );
  assertEquals(granted.answer, { replayed: 1, failures: [] });
  assertEquals((await Deno.readTextFile(join(del, "RunRecords.csv"))).split("\n").length, 3);
});

Deno.test("library permissions: replaySpool() without the permission to read $RUNREC_SPOOL_DIR throws naming it, never 'nothing waits' while a record waits there; with exactly the permissions it names it replays (review-o F7)", async () => {
  const { root, del } = await makeProject();
  const spool = await tempDir({ prefix: "runrec-perm-spool-" });
  await Deno.chmod(spool, 0o700);
  // A record waits in $RUNREC_SPOOL_DIR: RunRecords.csv is a folder, so the emit spools it.
  await Deno.mkdir(join(del, "RunRecords.csv"));
  const emitted = await runCliProcess(
    ["emit", del, "--agent", "A", "--status", "SUCCESS"],
    undefined,
    { RUNREC_SPOOL_DIR: spool },
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  assertIncludes(emitted.stderr, `spooled to ${spool}`);
  await Deno.remove(join(del, "RunRecords.csv"));
  const replay = `const r = await rr.replaySpool();
return { replayed: r.replayed.length, failures: r.failures };`;
  const flags = ["--allow-read", "--allow-write", "--allow-sys=hostname,uid"];
  const narrowed = await runScript(root, [...flags, "--allow-env=TMPDIR,TEMP,TMP"], replay, {
    RUNREC_SPOOL_DIR: spool,
  });
  assertEquals(narrowed.answer.threw, "InputError", JSON.stringify(narrowed.answer));
  const named = /--allow-env=\S+/.exec(String(narrowed.answer.message))?.[0];
  assertEquals(named, "--allow-env=RUNREC_SPOOL_DIR,TMPDIR,TEMP,TMP");
  const granted = await runScript(root, [...flags, named!], replay, { RUNREC_SPOOL_DIR: spool });
  assertEquals(granted.answer, { replayed: 1, failures: [] });
  assertEquals((await Deno.readTextFile(join(del, "RunRecords.csv"))).split("\n").length, 3);
});
