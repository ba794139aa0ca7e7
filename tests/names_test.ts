/**
 * Names runrec cannot carry (not valid UTF-8, paths past PATH_MAX) and names
 * in one-line messages (a line break, a backslash), with real files of such
 * names: each is named for what it is, the record is kept, and the rest of a
 * walk goes on.
 *
 * @module
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import {
  collidingReason,
  isLossyName,
  namesReadingAs,
  NOT_UTF8,
  oneLine,
  shortened,
  TOO_LONG,
  withLongWordsShortened,
} from "../src/names.ts";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { emitArgs, runCli, runCliProcess } from "./cli.ts";
import { makeProject } from "./fixtures.ts";
import { pendingFiles } from "./support/runs.ts";

/** Runs `script` in `cwd` with `bash` (`args` are `$0`, `$1`…): it can spell bytes that are not UTF-8. */
async function sh(cwd: string, script: string, ...args: string[]): Promise<string> {
  const output = await new Deno.Command("bash", {
    args: ["-c", script, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(`sh ${script}: ${new TextDecoder().decode(output.stderr)}`);
  }
  return text;
}

/** The records of a deliverable folder, as `log --format json` gives them. */
async function records(del: string): Promise<Record<string, unknown>[]> {
  const log = await runCli(["log", del, "--format", "json"]);
  assertEquals(log.code, 0, log.stderr);
  return JSON.parse(log.stdout);
}

/** Latin-1 `Lat1-été.md`: bytes E9, not UTF-8. */
const LATIN1 = String.raw`Lat1-\351t\351.md`;
/** The same name as Deno hands it to JavaScript. */
const LATIN1_LOSSY = "Lat1-\uFFFDt\uFFFD.md";

Deno.test("emit --input a name not valid UTF-8: TBD, noted as not valid UTF-8 (rename it), not as not found", async () => {
  const { del } = await makeProject();
  await sh(del, `printf 'latin-1 named\\n' > "$(printf '${LATIN1}')"`);
  // A real U+FFFD in a valid name is a name like any other; a missing one is not found.
  await Deno.writeTextFile(join(del, "real-\uFFFD.md"), "real\n");
  // A real process: the name reaches runrec as Deno.args gives it.
  const script = `exec "$0" run "$@" emit . --agent 4_DOCUMENTS --status SUCCESS --json ` +
    `--input "$(printf '${LATIN1}')" --input 'real-\uFFFD.md' --input 'gone-\uFFFD.md'`;
  const stdout = await sh(del, script, Deno.execPath(), ...FULL_FLAGS, CLI_ENTRY);
  const record = JSON.parse(stdout);
  assertEquals(record.InputHashes[LATIN1_LOSSY], "TBD");
  assert(/^[0-9a-f]{64}$/.test(record.InputHashes["real-\uFFFD.md"]), record.Notes);
  assertEquals(record.InputHashes["gone-\uFFFD.md"], "TBD");
  const notes: string[] = record.Notes.split(" | ");
  assertIncludes(notes.join("\n"), `--input ${LATIN1_LOSSY}: ${NOT_UTF8}`);
  assertIncludes(notes.join("\n"), `--input gone-\uFFFD.md: not found`);
  assert(!notes.includes(`--input ${LATIN1_LOSSY}: not found`), record.Notes);
  assertEquals(isLossyName(join(del, LATIN1_LOSSY)), true);
  assertEquals(isLossyName(join(del, "gone-\uFFFD.md")), false);
});

Deno.test("exec: an output created with a name not valid UTF-8 is TBD with its reason; _STATUS.md's problem said once", async () => {
  const { del } = await makeProject();
  await Deno.remove(join(del, "_STATUS.md"));
  const run = await runCli([
    "exec",
    del,
    "--agent",
    "4_DOCUMENTS",
    "--",
    "sh",
    "-c",
    String.raw`cd "$0" && printf new > "$(printf 'out-\374.md')"`,
    del,
  ]);
  assertEquals(run.code, 0, run.stderr);
  const record = (await records(del)).at(-1)!;
  const outputs = record.OutputHashes as Record<string, string>;
  assertEquals(outputs["out-\uFFFD.md"], "TBD");
  const notes = (record.Notes as string).split(" | ");
  assertIncludes(notes.join("\n"), `output out-\uFFFD.md could not be hashed: ${NOT_UTF8}`);
  assertEquals(
    notes.filter((n) => n.endsWith("_STATUS.md: not found")).length,
    1,
    notes.join("\n"),
  );
});

Deno.test("exec whose command edits a file named not valid UTF-8 does not say it changed no file: stale took that note for a run that wrote nothing (trial-40 F4)", async () => {
  const { del } = await makeProject();
  await sh(del, `printf old > "$(printf '${LATIN1}')"`);
  const run = await runCli([
    "exec",
    del,
    "--agent",
    "4_DOCUMENTS",
    "--",
    "sh",
    "-c",
    `cd "$0" && printf new >> "$(printf '${LATIN1}')"`,
    del,
  ]);
  assertEquals(run.code, 0, run.stderr);
  assert(!run.stderr.includes("changed while CMD ran"), run.stderr);
  const record = (await records(del)).at(-1)!;
  assert(!(record.Notes as string).includes("changed while CMD ran"), record.Notes as string);
});

Deno.test("a folder named not valid UTF-8 under a root: validate, log, verify, export and stale name it and read the rest", async () => {
  const { root, del } = await makeProject();
  const emitted = await runCli(emitArgs(del));
  assertEquals(emitted.code, 0, emitted.stderr);
  const runId = emitted.stdout.trim();
  await sh(root, String.raw`mkdir -p "$(printf 'PKG-02_\304rger')/1_Working/DEL-02-01_A"`);
  const shown = "PKG-02_\uFFFDrger";
  for (
    const args of [
      ["validate", root],
      ["log", root],
      ["verify", root],
      ["export", root, "--format", "prov", "--out", join(root, "..", "prov.json")],
    ]
  ) {
    const result = await runCli(args);
    assertEquals(result.code, 2, `${args[0]}: ${result.stderr}`);
    const line = result.stderr.split("\n").find((l) => l.includes(shown));
    assert(line !== undefined, `${args[0]} names the folder: ${result.stderr}`);
    assertIncludes(line, NOT_UTF8, args[0]);
    assert(!result.stderr.includes("No such file"), result.stderr);
  }
  // The rest was read.
  assertIncludes((await runCli(["log", root])).stdout, runId);
  assertIncludes((await runCli(["validate", root])).stdout + "", "DEL-01-02_Thing");
  const stale = await runCli(["stale", root]);
  assertIncludes(stale.stderr, `${shown}`);
  assertIncludes(stale.stderr, NOT_UTF8);
  assertIncludes(stale.stdout, "DEL-01-02");
});

Deno.test("--input a folder holding a path past PATH_MAX: its folder TBD with the reason, never 'holds no files'; stale DIRTY", async () => {
  const { del } = await makeProject();
  const segment = "d".repeat(200);
  // Deno cannot create a path this long; sh goes down one folder at a time.
  await sh(
    del,
    `mkdir deep && cd deep && for i in $(seq 22); do mkdir "$0" && cd "$0"; done; printf 'v1\\n' > f.md`,
    segment,
  );
  try {
    const emitted = await runCli(emitArgs(del, "--input", "deep", "--json"));
    assertEquals(emitted.code, 0, emitted.stderr);
    const record = JSON.parse(emitted.stdout);
    const notes: string[] = record.Notes.split(" | ");
    assert(!notes.some((n) => n.includes("holds no files")), record.Notes);
    const note = notes.find((n) => n.startsWith("--input deep: folder deep/"));
    assert(note !== undefined, record.Notes);
    assert(note.length <= 300, `${note.length} characters`);
    assert(note.endsWith(`cannot be listed: ${TOO_LONG}`), note);
    const unseen = Object.entries(record.InputHashes).filter(([p]) => p.startsWith("deep/"));
    assertEquals(unseen.length, 1, JSON.stringify(unseen.map(([p]) => shortened(p, 40))));
    assertEquals(unseen[0][1], "TBD");
    assertEquals(record.InputFiles, [unseen[0][0]]);
    // The file beneath changes: stale cannot see it, so it is not CLEAN.
    await sh(
      join(del, "deep"),
      `for i in $(seq 22); do cd "$0"; done; printf 'v2\\n' > f.md`,
      segment,
    );
    const stale = await runCli(["stale", del]);
    assertEquals(stale.code, 1, stale.stdout + stale.stderr);
    assertIncludes(stale.stdout, "DIRTY");
    assertIncludes(stale.stdout, TOO_LONG);
  } finally {
    await sh(del, "rm -rf deep");
  }
});

Deno.test("a name holding a line break is shown escaped on one line; the record keeps it exact", async () => {
  const { del } = await makeProject();
  const emitted = await runCli(
    [
      "emit",
      del,
      "--agent",
      "CHIRALITY_LENS",
      "--status",
      "SUCCESS",
      "--output",
      "gone\nname.md",
      "--json",
    ],
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  for (const line of emitted.stderr.trimEnd().split("\n")) {
    assert(line.startsWith("runrec:"), `a line of its own: ${JSON.stringify(line)}`);
  }
  assertIncludes(emitted.stderr, "output gone\\nname.md does not exist");
  const record = JSON.parse(emitted.stdout);
  assertEquals(Object.keys(record.OutputHashes), ["gone\nname.md"]);
  assertIncludes(record.Notes, "output gone\\nname.md does not exist");

  // stale's text output: one line per change; --json keeps the exact path.
  const name = "nl\nname.md";
  await Deno.writeTextFile(join(del, name), "v1\n");
  assertEquals((await runCli(emitArgs(del, "--input", name))).code, 0);
  await Deno.writeTextFile(join(del, name), "v2\n");
  const stale = await runCli(["stale", del, "--agent", "4_DOCUMENTS"]);
  assertEquals(stale.code, 1, stale.stderr);
  const changed = stale.stdout.split("\n").filter((l) => l.trimStart().startsWith("changed"));
  assertEquals(changed.map((l) => l.trim()), ["changed          nl\\nname.md"]);
  const json = await runCli(["stale", del, "--agent", "4_DOCUMENTS", "--json"]);
  assertEquals(JSON.parse(json.stdout).checks[0].inputs[0].path, name);
});

Deno.test("--input an existing file named with a backslash: the note says runrec reads it as a separator (rename it)", async () => {
  const { del } = await makeProject();
  await Deno.writeTextFile(join(del, "a\\b.md"), "x\n");
  const emitted = await runCli(emitArgs(del, "--input", "a\\b.md", "--json"));
  assertEquals(emitted.code, 0, emitted.stderr);
  const record = JSON.parse(emitted.stdout);
  assertIncludes(
    record.Notes,
    "--input a\\b.md: runrec reads a backslash as a folder separator, so it cannot name this file: rename it",
  );
  assert(!record.Notes.includes("--input a\\b.md: not found"), record.Notes);
  // One that does not exist either: not found, and why a backslash matters.
  const missing = await runCli(emitArgs(del, "--input", "c\\d.md", "--json"));
  assertIncludes(
    JSON.parse(missing.stdout).Notes,
    "--input c\\d.md: not found (runrec reads a backslash as a folder separator)",
  );
});

Deno.test("a FIFO and a dangling link inside an input folder get the note they get when named: TBD", async () => {
  const { del } = await makeProject();
  await Deno.mkdir(join(del, "inp"));
  await Deno.writeTextFile(join(del, "inp", "a.md"), "a\n");
  const made = await new Deno.Command("mkfifo", { args: [join(del, "inp", "fifo")] }).output();
  assert(made.success);
  await Deno.symlink("nowhere.md", join(del, "inp", "dangling"));
  const inFolder = JSON.parse((await runCli(emitArgs(del, "--input", "inp", "--json"))).stdout);
  const named = JSON.parse(
    (await runCli(emitArgs(del, "--input", "inp/fifo", "--input", "inp/dangling", "--json")))
      .stdout,
  );
  assertIncludes(inFolder.Notes, "--input inp: inp/fifo not a regular file");
  assertIncludes(inFolder.Notes, "--input inp: inp/dangling dangling symbolic link");
  assertIncludes(named.Notes, "--input inp/fifo: not a regular file");
  assertIncludes(named.Notes, "--input inp/dangling: dangling symbolic link");
  for (const record of [inFolder, named]) {
    assertEquals(record.InputHashes["inp/fifo"], "TBD");
    assertEquals(record.InputHashes["inp/dangling"], "TBD");
  }
});

Deno.test("oneLine escapes control characters and line separators only; shortened keeps both ends and surrogate pairs", () => {
  assertEquals(oneLine("a\nb\tc\u2028d\u0085e\u0000"), "a\\nb\\tc\\u2028d\\u0085e\\u0000");
  assertEquals(oneLine('Prüfung Ü "q" a\\b 日本'), 'Prüfung Ü "q" a\\b 日本');
  assertEquals(shortened("abcdefghij", 10), "abcdefghij");
  assertEquals(shortened("abcdefghijk", 5), "ab…jk");
  // A cut through a surrogate pair leaves it out whole: no lone surrogate.
  const cut = shortened("a😀bcdefg😀h", 6);
  assert(!/[\uD800-\uDFFF]/.test(cut.replace(/\p{Extended_Pictographic}/gu, "")), cut);
  assert(cut.length <= 6, cut);
});

/** `\xff.md`, `\xfe.md` (not UTF-8) and `\xef\xbf\xbd.md` (the valid UTF-8 of U+FFFD), as printf spells them. */
const COLLIDING = [String.raw`\377.md`, String.raw`\376.md`, String.raw`\357\277\275.md`];
/** The one name all of {@linkcode COLLIDING} read as. */
const SHOWN = "\uFFFD.md";

/** Writes `text` to each of `names` (printf spellings) in `dir`, made if need be. */
async function writeNamed(dir: string, names: string[], text: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  for (const name of names) await sh(dir, `printf '%s' "$1" > "$(printf '${name}')"`, text, text);
}

/** The SHA-256 of `text`, in hex. */
async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The stale report of `del` as JSON, and its exit code. */
async function staleJson(del: string): Promise<{ code: number; check: Record<string, unknown> }> {
  const stale = await runCli(["stale", del, "--agent", "4_DOCUMENTS", "--json"]);
  return { code: stale.code, check: JSON.parse(stale.stdout).checks[0] };
}

Deno.test("names that read as one (\\xff, \\xfe, valid \\xef\\xbf\\xbd) in an input folder: TBD under the shown name, a note saying how many, never a hash", async () => {
  const { del } = await makeProject();
  await writeNamed(join(del, "in"), COLLIDING, "x\n");
  await Deno.writeTextFile(join(del, "in", "ok.md"), "ok\n");
  assertEquals(namesReadingAs(join(del, "in", SHOWN)), 3);
  assertEquals(namesReadingAs(join(del, "in", "ok.md")), 1);
  const record = JSON.parse((await runCli(emitArgs(del, "--input", "in", "--json"))).stdout);
  assertEquals(record.InputHashes[`in/${SHOWN}`], "TBD");
  assert(/^[0-9a-f]{64}$/.test(record.InputHashes["in/ok.md"]), record.Notes);
  const notes: string[] = record.Notes.split(" | ");
  assertEquals(
    notes.filter((n) => n.includes(SHOWN)),
    [`--input in: in/${SHOWN} ${collidingReason(3, await sha256("x\n"))}`],
  );
  // Two names not valid UTF-8 alone collide too.
  const two = (await makeProject()).del;
  await writeNamed(join(two, "in"), COLLIDING.slice(0, 2), "x\n");
  const pair = JSON.parse((await runCli(emitArgs(two, "--input", "in", "--json"))).stdout);
  assertEquals(pair.InputHashes[`in/${SHOWN}`], "TBD");
  assertIncludes(pair.Notes, `--input in: in/${SHOWN} ${collidingReason(2)}`);
  assert(!pair.Notes.includes(NOT_UTF8), pair.Notes);
});

Deno.test("names that read as one, reached by --input or --output of the file and by _REFERENCES.md naming their folder: TBD with how many", async () => {
  const { del } = await makeProject();
  await writeNamed(join(del, "in"), [COLLIDING[0], COLLIDING[2]], "x\n");
  // A real process: the invalid name reaches runrec as Deno.args gives it.
  const script = `exec "$0" run "$@" emit . --agent 4_DOCUMENTS --status SUCCESS --json ` +
    `--input "in/$(printf '${COLLIDING[0]}')"`;
  const stdout = await sh(del, script, Deno.execPath(), ...FULL_FLAGS, CLI_ENTRY);
  const named = JSON.parse(stdout);
  assertEquals(named.InputHashes[`in/${SHOWN}`], "TBD");
  const valid = await sha256("x\n");
  assertIncludes(named.Notes, `--input in/${SHOWN}: ${collidingReason(2, valid)}`);

  await Deno.writeTextFile(join(del, "_REFERENCES.md"), "- [In](in/)\n", { append: true });
  const referenced = JSON.parse((await runCli(emitArgs(del, "--json"))).stdout);
  assertEquals(referenced.InputHashes[`in/${SHOWN}`], "TBD");
  assertIncludes(
    referenced.Notes,
    `_REFERENCES.md line 5: in/${SHOWN} ${collidingReason(2, valid)}`,
  );
  // Named as an output: the shown name is no one file, so no hash.
  const output = await sh(
    del,
    script.replace(
      `--input "in/$(printf '${COLLIDING[0]}')"`,
      `--output "in/$(printf '${COLLIDING[0]}')"`,
    ),
    Deno.execPath(),
    ...FULL_FLAGS,
    CLI_ENTRY,
  );
  assertEquals(JSON.parse(output).OutputHashes[`in/${SHOWN}`], "TBD");
  assertIncludes(
    JSON.parse(output).Notes,
    `output in/${SHOWN} could not be hashed: ${collidingReason(2)}`,
  );
  // Folders that read as one: TBD under the folder's shown name, their files unread.
  await sh(
    del,
    `for n in 'd\\377' 'd\\357\\277\\275'; do mkdir "$(printf "$n")" && touch "$(printf "$n")/f.md"; done`,
  );
  const folders = JSON.parse((await runCli(emitArgs(del, "--input", ".", "--json"))).stdout);
  assertEquals(folders.InputHashes["d\uFFFD"], "TBD");
  assertEquals(folders.InputHashes["d\uFFFD/f.md"], undefined);
  assertIncludes(folders.Notes, `--input .: d\uFFFD ${collidingReason(2)}`);
});

Deno.test("stale: names that read as one are CLEAN with a note while unchanged, DIRTY once another reads as them or the valid one is edited", async () => {
  const { del } = await makeProject();
  await writeNamed(join(del, "in"), [COLLIDING[0]], "x\n");
  assertEquals((await runCli(emitArgs(del, "--input", "in"))).code, 0);
  // One name not valid UTF-8, unchanged: CLEAN, in the words of emit's note.
  let stale = await staleJson(del);
  assertEquals(stale.check.verdict, "CLEAN", JSON.stringify(stale.check));
  assertIncludes(JSON.stringify(stale.check.notes), NOT_UTF8);
  // A valid name that reads as it is made: the shown path is no longer what the run saw.
  await writeNamed(join(del, "in"), [COLLIDING[2]], "valid\n");
  stale = await staleJson(del);
  assertEquals(stale.code, 1, JSON.stringify(stale.check));
  assertEquals(stale.check.verdict, "DIRTY");
  assertIncludes(JSON.stringify(stale.check.inputs), collidingReason(2, await sha256("valid\n")));

  // Emitted with the collision: unchanged is CLEAN with a note naming how many.
  assertEquals((await runCli(emitArgs(del, "--input", "in"))).code, 0);
  stale = await staleJson(del);
  assertEquals(stale.check.verdict, "CLEAN", JSON.stringify(stale.check));
  assertIncludes(JSON.stringify(stale.check.notes), `in/${SHOWN}`);
  assertIncludes(JSON.stringify(stale.check.notes), collidingReason(2, await sha256("valid\n")));
  // A third name reads as them: DIRTY.
  await writeNamed(join(del, "in"), [COLLIDING[1]], "x\n");
  stale = await staleJson(del);
  assertEquals(stale.check.verdict, "DIRTY", JSON.stringify(stale.check));
  assertIncludes(JSON.stringify(stale.check.inputs), collidingReason(3, await sha256("valid\n")));
  // The colliding valid file edited after a run that saw all three: DIRTY.
  assertEquals((await runCli(emitArgs(del, "--input", "in"))).code, 0);
  assertEquals((await staleJson(del)).check.verdict, "CLEAN");
  await writeNamed(join(del, "in"), [COLLIDING[2]], "edited\n");
  stale = await staleJson(del);
  assertEquals(stale.code, 1, JSON.stringify(stale.check));
  assertIncludes(JSON.stringify(stale.check.inputs), collidingReason(3, await sha256("edited\n")));
});

Deno.test("exec: an output named not valid UTF-8 beside a valid name that reads the same is TBD with how many, not the valid file's hash nor DELETED", async () => {
  const { del } = await makeProject();
  await writeNamed(del, [String.raw`out-\357\277\275.md`], "valid\n");
  const run = await runCli([
    "exec",
    del,
    "--agent",
    "4_DOCUMENTS",
    "--",
    "sh",
    "-c",
    String.raw`cd "$0" && printf new > "$(printf 'out-\377.md')"`,
    del,
  ]);
  assertEquals(run.code, 0, run.stderr);
  const record = (await records(del)).at(-1)!;
  assertEquals((record.OutputHashes as Record<string, string>)["out-\uFFFD.md"], "TBD");
  assertIncludes(
    record.Notes as string,
    `output out-\uFFFD.md could not be hashed: ${collidingReason(2)}`,
  );
});

Deno.test("two deliverable folders whose names read as one under a root: validate, log and stale name them, never read one twice", async () => {
  const { root, del } = await makeProject();
  assertEquals((await runCli(emitArgs(del))).code, 0);
  const work = join(root, "PKG-01_Pkg", "1_Working");
  await sh(
    work,
    `for n in 'DEL-01-03_\\377' 'DEL-01-03_\\357\\277\\275'; do d="$(printf "$n")"; ` +
      `mkdir "$d" && cp "$0/RunRecords.csv" "$d/"; done`,
    del,
  );
  const shown = "DEL-01-03_\uFFFD";
  for (const args of [["validate", root], ["log", root]]) {
    const result = await runCli(args);
    const line = result.stderr.split("\n").find((l) => l.includes(shown));
    assert(line !== undefined, `${args[0]} names the folders: ${result.stderr}`);
    assertIncludes(line, collidingReason(2), args[0]);
    assertEquals(result.code, 2, `${args[0]}: ${result.stderr}`);
  }
  const stale = await runCli(["stale", root]);
  const line = stale.stderr.split("\n").find((l) => l.includes(shown));
  assert(line !== undefined, `stale names the folders: ${stale.stderr}`);
  assertIncludes(line, collidingReason(2));
  assert(!stale.stdout.includes(shown), stale.stdout);
});

Deno.test("a working folder named not valid UTF-8: each command one line naming it and to rename it, exit 2; log printed its table first, exec's CMD is not run (trial-40 F5)", async () => {
  const { root, del } = await makeProject();
  const runrec = [Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY];
  // The package folder renamed to Latin-1 bytes, and each command run from the deliverable in it.
  await sh(root, `mv PKG-01_Pkg "$(printf 'PKG-01_\\344')"`);
  const inside = `"$(printf 'PKG-01_\\344')/${del.slice(join(root, "PKG-01_Pkg").length + 1)}"`;
  for (
    const words of [
      ["emit", ".", "--agent", "A", "--status", "SUCCESS"],
      ["exec", ".", "--agent", "A", "--", "touch", "ran"],
      ["log", "."],
      ["validate", "."],
      ["stale", "."],
    ]
  ) {
    const quoted = [...runrec, ...words].map((w) => `'${w}'`).join(" ");
    const ran = await new Deno.Command("bash", {
      args: ["-c", `cd ${inside} && exec ${quoted}`],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const [stdout, stderr] = [ran.stdout, ran.stderr].map((b) => new TextDecoder().decode(b));
    assertEquals(ran.code, 2, `${words[0]}: ${stdout}${stderr}`);
    assertEquals(stdout, "", words[0]);
    // The path as the system gives it, its bytes that are not UTF-8 escaped.
    const folder = join(root, String.raw`PKG-01_\xE4`, "1_Working", "DEL-01-02_Thing");
    assertEquals(stderr, `runrec ${words[0]}: the working folder ${folder}: ${NOT_UTF8}\n`);
  }
  // Nothing was run nor recorded.
  const left = await sh(root, `ls -A "$(printf 'PKG-01_\\344')"/1_Working/DEL-01-02_Thing`);
  assert(!/^(ran|RunRecords\.csv|\.runrec)$/m.test(left), left);
});

Deno.test("a working folder or a deliverable path with a backslash: exit 2 saying runrec reads it as a separator (rename it)", async () => {
  const { root, del } = await makeProject();
  const odd = join(root, "team\\proj");
  await Deno.rename(join(root, "PKG-01_Pkg"), odd);
  const relative = del.slice(join(root, "PKG-01_Pkg").length + 1);
  const fromInside = await runCliProcess(
    ["emit", relative, "--agent", "A", "--status", "SUCCESS"],
    undefined,
    {},
    odd,
  );
  assertEquals(fromInside.code, 2, fromInside.stderr);
  assertMatch(
    fromInside.stderr,
    /: runrec reads a backslash as a folder separator \(SCHEMA\.md 2\.2\), and the working folder .*team\\proj holds one: rename it\n$/,
  );
  const named = await runCliProcess(["stale", join(odd, relative)]);
  assertEquals(named.code, 2, named.stderr);
  assertMatch(
    named.stderr,
    /team\\proj.*: runrec reads a backslash .* the path holds one: rename it\n$/,
  );
  const logged = await runCliProcess(["log", join(odd, relative)]);
  assertEquals(logged.code, 2, logged.stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a folder or file whose name holds a backslash, met by a walk, is named with it and not read, never taken for the path join would make of it (fs-semantics F1)", async () => {
  const { root, del } = await makeProject();
  const emitted = await runCliProcess(["emit", del, "--agent", "A", "--status", "SUCCESS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  // P/Q holds a good record file; P\Q one with a garbage line.
  const good = join(root, "P", "Q", "DEL-01-05_Good");
  const odd = join(root, "P\\Q", "DEL-01-05_Good");
  for (const dir of [good, odd]) await Deno.mkdir(dir, { recursive: true });
  await Deno.copyFile(join(del, "RunRecords.csv"), join(good, "RunRecords.csv"));
  await Deno.writeTextFile(join(odd, "RunRecords.csv"), "garbage,line\n");
  const why = "P\\Q: cannot read: folder cannot be listed: its name holds a backslash, which " +
    "runrec reads as a folder separator (SCHEMA.md 2.2): not read (rename it)";
  for (const args of [["validate", "."], ["log", "."], ["verify", "."]]) {
    const ran = await runCliProcess(args, undefined, {}, root);
    assertEquals(ran.code, 2, `${args.join(" ")}: ${ran.stdout}${ran.stderr}`);
    assertIncludes(ran.stderr, why);
  }
  const stale = await runCliProcess(["stale", "."], undefined, {}, root);
  assertIncludes(stale.stderr, "P\\Q: cannot list folder (its name holds a backslash");
  // Given by its path, it is not passed off as the good file beside it.
  const given = await runCliProcess(
    ["validate", join("P\\Q", "DEL-01-05_Good", "RunRecords.csv")],
    undefined,
    {},
    root,
  );
  assertEquals(given.code, 2);
  assertIncludes(given.stderr, "a name in the path holds one: rename it");
  assert(!given.stderr.includes("write the file with /"), given.stderr);
  // A file so named in an input folder: said, not hashed as another.
  await Deno.mkdir(join(del, "notes"));
  await Deno.writeTextFile(join(del, "notes", "a\\b.md"), "x\n");
  const input = await runCliProcess(
    ["emit", del, "--agent", "B", "--status", "SUCCESS", "--input", "notes", "--json"],
  );
  assertEquals(input.code, 0, input.stderr);
  assertIncludes(
    JSON.parse(input.stdout).Notes,
    "--input notes: notes/a\\b.md its name holds a backslash",
  );
  assertEquals(
    Object.keys(JSON.parse(input.stdout).InputHashes).filter((k) => k.startsWith("notes/")),
    [],
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("validate and log name a record file whose path holds a line break on one line, as verify does (fs-semantics F2)", async () => {
  const { root, del } = await makeProject();
  const emitted = await runCliProcess(["emit", del, "--agent", "A", "--status", "SUCCESS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  const odd = join(del, "..", "DEL-01-07_Flow\nMeter");
  await Deno.mkdir(odd);
  const text = await Deno.readTextFile(join(del, "RunRecords.csv"));
  await Deno.writeTextFile(join(odd, "RunRecords.csv"), `${text}garbage,line\n`);
  for (const args of [["validate", "."], ["log", "."], ["verify", "."]]) {
    const ran = await runCliProcess(args, undefined, {}, root);
    const lines = `${ran.stdout}${ran.stderr}`.split("\n");
    assert(
      !lines.some((l) => l.startsWith("Meter/")),
      `${args.join(" ")}: ${ran.stdout}${ran.stderr}`,
    );
    assert(
      lines.some((l) => l.includes("DEL-01-07_Flow\\nMeter/RunRecords.csv:3: ")),
      `${args.join(" ")}: ${ran.stdout}${ran.stderr}`,
    );
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("a deliverable folder typed with backslashes for separators: exit 2 saying to write it with /, naming that folder, not 'rename it' (trial-r F3)", async () => {
  const { root, del } = await makeProject();
  const typed = "PKG-01_Pkg\\1_Working\\DEL-01-02_Thing";
  for (
    const args of [
      ["emit", typed, "--agent", "A", "--status", "SUCCESS"],
      ["stale", typed],
      ["start", typed, "--agent", "A"],
      ["exec", typed, "--agent", "A", "true"],
    ]
  ) {
    const result = await runCliProcess(args, undefined, {}, root);
    assertEquals(result.code, 2, result.stderr);
    assertEquals(
      result.stderr,
      `runrec ${args[0]}: ${typed}: runrec reads a backslash as a folder separator (SCHEMA.md ` +
        "2.2), and will not guess: write the folder with /: PKG-01_Pkg/1_Working/DEL-01-02_Thing\n",
    );
  }
  assertEquals((await runCliProcess(["log", del])).stderr, "runrec log: no records to list\n");
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a 100 KB argument is shortened in the error and its notes, keeping both ends and why (it came back in full, twice: 200 KB of stderr)", async () => {
  const { del } = await makeProject();
  const long = "a".repeat(100_000);
  for (
    const args of [
      ["log", long],
      ["emit", long, "--agent", "X", "--status", "SUCCESS"],
      ["emit", del, "--agent", "X", "--status", "SUCCESS", "--input", `${long}.md`],
    ]
  ) {
    const { stderr } = await runCli(args);
    assert(stderr.length < 20_000, `${args[0]}: ${stderr.length} characters`);
    assertIncludes(stderr, "…");
  }
  const { code, stderr } = await runCli(["log", long]);
  assertEquals(code, 2);
  assertMatch(stderr, /^runrec log: a+…a+: cannot read: /);
});

Deno.test("a path as long as a system accepts is not shortened in a message: the command it suggests still runs when pasted (a 246-character token path was cut)", () => {
  const token = `/${"deep/".repeat(800)}RUN-DEL-01-02-20261203-0600-001.json`;
  assert(token.length < 4_096);
  const line = `finish that run with its own token: runrec finish ${token} --status S ...`;
  assertEquals(withLongWordsShortened(line), line);
  assertIncludes(withLongWordsShortened(`${"a".repeat(5_000)}: cannot read`), "…");
});
