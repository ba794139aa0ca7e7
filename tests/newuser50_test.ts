/**
 * Stop 50's new users: a Deno script author importing mod.ts, a CI engineer relying on exit codes
 * and `--json` outputs, and a data engineer exporting lineage, each from README.md and the docs it
 * links alone. Each test is one friction they met, which failed before its fix.
 */
import { join } from "node:path";
import { runCli } from "./cli.ts";
import { makeProject, ROOT } from "./fixtures.ts";
import { inputContextSha, InputError, manifestText, validateRecord } from "../mod.ts";
import { assert, assertEquals, assertIncludes, assertThrows } from "./assert.ts";
import { sampleRecord } from "./fixtures.ts";

const EMPTY_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Deno.test("inputContextSha and manifestText refuse a hash that is neither 64 lowercase hex digits nor TBD, naming its path, where an upper-case SHA-256 alone gave TBD and a word beside a good hash went into the manifest (newuser-50 F1)", () => {
  // Another tool's SHA-256 in upper case: it was taken for an unreadable input, TBD.
  assertThrows(
    () => inputContextSha({ "a.md": EMPTY_SHA.toUpperCase() }),
    InputError,
    `hashes["a.md"]: must be a SHA-256 in 64 lowercase hex digits, or TBD, got the string ` +
      `"${EMPTY_SHA.toUpperCase().slice(0, 40)}" (in upper case: lower it)`,
  );
  // A word beside a good hash went into the manifest as if it were a hash.
  for (const call of [inputContextSha, manifestText]) {
    assertThrows(
      () => call({ "a.md": EMPTY_SHA, "b.md": "oops" }),
      InputError,
      `hashes["b.md"]: must be a SHA-256 in 64 lowercase hex digits, or TBD, got the string "oops"`,
    );
  }
  // What they take is unchanged.
  assertEquals(inputContextSha({ "a.md": "TBD" }), "TBD");
  assertEquals(
    manifestText({ "b.md": "TBD", "a.md": EMPTY_SHA }),
    `${EMPTY_SHA}  a.md\nTBD  b.md\n`,
  );
  // A record read or given whole is still judged field by field, not thrown at.
  const problems = validateRecord(sampleRecord({ InputHashes: { "a.md": "oops" } }));
  assert(problems.some((p) => p.field === "InputHashes"), JSON.stringify(problems));
});

Deno.test("a failing command asked for --json prints the {error: {command, code, message}} document docs/CI.md and runrec --help describe, for every command that takes --json (newuser-50 F2)", async () => {
  const ci = await Deno.readTextFile(join(ROOT, "docs", "CI.md"));
  assertIncludes(ci, '`{"error": {"command", "code", "message"}}`');
  const help = await runCli(["--help"]);
  assertIncludes(help.stdout, '{"error": {command, code, message}}');
  const { root } = await makeProject();
  const missing = join(root, "nope");
  const calls = [
    ["start", missing, "--agent", "A", "--json"],
    ["emit", missing, "--agent", "A", "--status", "SUCCESS", "--json"],
    ["finish", missing, "--status", "SUCCESS", "--json"],
    ["reap", missing, "--json"],
    ["stale", missing, "--json"],
    ["validate", missing, "--json"],
    ["verify", missing, "--json"],
    ["log", missing, "--format", "json"],
    ["show", missing, "RUN-DEL-01-02-20260222-1015-001", "--format", "json"],
    ["hash", missing, "--json"],
    ["flush", missing, "--json"],
  ];
  for (const args of calls) {
    const run = await runCli(args);
    assertEquals(run.code, 2, `${args[0]}: ${run.stderr}`);
    const document = JSON.parse(run.stdout);
    assertEquals(Object.keys(document), ["error"], args[0]);
    assertEquals(Object.keys(document.error).slice(0, 3), ["command", "code", "message"], args[0]);
    assertEquals(document.error.command, args[0]);
    assertEquals(document.error.code, 2);
  }
});

Deno.test("a failing command's --json error document holds the InputError's path, line and field beside its message, the field as the message names it (--status), and an option's folder as path, not '--agents-dir nope' (reviewlibrary-57)", async () => {
  const { root, del } = await makeProject();
  const missing = join(root, "nope");
  const emit = [del, "--agent", "A", "--status", "SUCCESS", "--json"];
  const cases: [string[], Record<string, unknown>][] = [
    [["stale", missing, "--json"], { message: `${missing}: no such folder`, path: missing }],
    [["emit", missing, "--agent", "A", "--status", "SUCCESS", "--json"], { path: missing }],
    [["emit", del, "--agent", "A", "--status", "DONE", "--json"], { field: "--status" }],
    [["emit", ...emit, "--duration-ms", "x"], { field: "--duration-ms" }],
    [["emit", ...emit, "--duration", "2 min"], { field: "--duration" }],
    [["emit", ...emit, "--agents-dir", missing], {
      message: `--agents-dir ${missing}: no such folder`,
      path: missing,
      field: "--agents-dir",
    }],
    [["validate", join(del, "RunRecords.csv"), "--json"], { path: join(del, "RunRecords.csv") }],
    // No InputError (a usage error): the three keys alone.
    [["stale", root, "--json=true"], {}],
  ];
  for (const [args, where] of cases) {
    const run = await runCli(args);
    assertEquals(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    const { error } = JSON.parse(run.stdout);
    const { command: _, code: __, message, ...rest } = error;
    const { message: said, ...expected } = where;
    if (said !== undefined) assertEquals(message, said);
    assertEquals(rest, expected, args.join(" "));
    // What the properties say, the message says too.
    for (const value of Object.values(rest)) assertIncludes(message, String(value));
  }
});

Deno.test("deno task compile with DENORT_BIN set empty (a CI variable not configured) does as with it unset, where deno compile was handed the empty path and said only 'No such file or directory' (newuser-50 F3)", async () => {
  const compile = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "scripts/compile.ts")],
    cwd: ROOT,
    env: { DENORT_BIN: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const said = new TextDecoder().decode(compile.stderr);
  assert(!said.includes("No such file or directory"), said);
  // Offline, as with DENORT_BIN unset: the download failed, and DENORT_BIN is the remedy.
  if (compile.code !== 0) {
    assertIncludes(said, "(set DENORT_BIN to a denort binary of this Deno version)");
  }
});

Deno.test("--json=true (a value given to --json) is refused, exit 2, with the {error: …} document on stdout, where stdout was empty and a job parsing it met no JSON (newuser-50 F4)", async () => {
  const { root } = await makeProject();
  for (const command of ["stale", "validate", "verify"]) {
    const run = await runCli([command, root, "--json=true"]);
    assertEquals(run.code, 2, run.stderr);
    assertIncludes(run.stderr, "--json: takes no value");
    assertEquals(JSON.parse(run.stdout), {
      error: { command, code: 2, message: "--json: takes no value" },
    });
  }
});

Deno.test("GitUnavailableError's example, run as written where the record file is missing, fails with that error, where it caught every error and printed nothing, exit 0 (newuser-50 F5)", async () => {
  const source = await Deno.readTextFile(join(ROOT, "src", "git.ts"));
  const doc = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\nexport class GitUnavailableError/.exec(source)![1];
  const example = /```ts\n([\s\S]*?)\s*\* ```/.exec(doc)![1].replace(/^\s*\* ?/gm, "")
    .replace('"@runrec/runrec"', JSON.stringify(new URL("../mod.ts", import.meta.url).href));
  const { root } = await makeProject(); // no RunRecords.csv, and no --allow-run
  await Deno.writeTextFile(join(root, "example.ts"), example);
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-read", "--allow-write", "--allow-env", "example.ts"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const said = new TextDecoder().decode(run.stderr);
  assertEquals(run.code, 1, said);
  assertIncludes(said, "RunRecords.csv: cannot read: not found");
});
