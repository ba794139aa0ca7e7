/**
 * Stop 46's new users: an agent, a script author and a team lead meeting runrec from its docs
 * alone, and the items stop 45 left. Each test is one friction they met, which failed before
 * its fix.
 */
import { join } from "node:path";
import { recordRun } from "../mod.ts";
import { runCli } from "./cli.ts";
import { git, makeProject, ROOT, tempDir } from "./fixtures.ts";
import { assert, assertEquals, assertIncludes } from "./assert.ts";

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("exec --input a.md gone.md -- CMD, gone.md naming no file and no command, says --input takes one path and gone.md was taken as CMD; nothing run, nothing recorded (newuser-46 F1)", async () => {
  const { del } = await makeProject();
  const ran = join(del, "ran.txt");
  for (
    const [words, shown] of [
      [["gone.md"], "--input Datasheet.md --input gone.md"],
      [["gone.md", "Notes.md"], "--input Datasheet.md --input gone.md --input Notes.md"],
      [["./gone.sh"], "--input Datasheet.md --input ./gone.sh"],
    ]
  ) {
    const run = await runCli([
      ...["exec", del, "--agent", "4_DOCUMENTS", "--input", "Datasheet.md"],
      ...words,
      ...["--", "touch", ran],
    ]);
    assertEquals(run.code, 2, run.stderr);
    assertEquals(
      run.stderr,
      `runrec exec: --input: takes one path, and ${words.length} more followed it: give each ` +
        `its own (${shown}), or list them in a file (--inputs-from F); ${words[0]} was taken as ` +
        "CMD and names no command: nothing run, nothing recorded (see runrec exec --help)\n",
    );
  }
  assertEquals(await exists(ran), false);
  assertEquals(await exists(join(del, "RunRecords.csv")), false);
  assertEquals(await exists(join(del, ".runrec", "pending")), false);
  // A command the shell finds, after an option's value, is CMD, its -- its own.
  const found = await runCli([
    ...["exec", del, "--agent", "4_DOCUMENTS", "--input", "Datasheet.md"],
    ...["touch", "--", ran],
  ]);
  assertEquals(found.code, 0, found.stderr);
  assertEquals(await exists(ran), true);
});

/** The code blocks of the `@example`s of mod.ts's exports, each with its export's name. */
async function exportExamples(): Promise<{ name: string; code: string }[]> {
  const doc = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", join(ROOT, "mod.ts")],
    stdout: "piped",
  }).output();
  const nodes = JSON.parse(new TextDecoder().decode(doc.stdout)).nodes;
  const found: { name: string; code: string }[] = [];
  for (const module of Object.values(nodes) as { symbols: DocSymbol[] }[]) {
    for (const symbol of module.symbols) {
      for (const declaration of symbol.declarations) {
        for (const tag of declaration.jsDoc?.tags ?? []) {
          if (tag.kind !== "example") continue;
          for (const [, code] of (tag.doc ?? "").matchAll(/```ts\n([\s\S]*?)```/g)) {
            found.push({ name: symbol.name, code });
          }
        }
      }
    }
  }
  return found;
}

/** What `deno doc --json` says of an export, as far as its examples. */
interface DocSymbol {
  name: string;
  declarations: { jsDoc?: { tags?: { kind: string; doc?: string }[] } }[];
}

/**
 * Runs `code` as a script author would: saved in the top folder of a fresh copy of examples/
 * beside README's deno.json, run with README's flags. What an example
 * says it needs first is given it: a git clone whose origin/main holds a record (and
 * --allow-run), a lost-records.txt.
 */
async function runExample(code: string): Promise<{ code: number; stderr: string }> {
  const dir = await tempDir({ prefix: "runrec-newuser46-" });
  const copy = join(dir, "try");
  const copied = await new Deno.Command("cp", { args: ["-R", join(ROOT, "examples"), copy] })
    .output();
  assertEquals(copied.success, true);
  // README's deno.json, mapping the name to this checkout's mod.ts by its real path (a runrec/
  // link would have each copy's modules compiled anew: ~1 s a run).
  const mod = new URL("../mod.ts", import.meta.url).href;
  await Deno.writeTextFile(
    join(copy, "deno.json"),
    JSON.stringify({ imports: { "@runrec/runrec": mod } }),
  );
  await Deno.writeTextFile(join(copy, "example.ts"), code);
  const flags = ["--allow-read", "--allow-write", "--allow-sys=hostname"];
  if (code.includes("In a git clone of the project whose origin/main holds the record file")) {
    const del = join(copy, "PKG-01_Field_Instruments/1_Working/DEL-01-02_Flow_Meter_Selection");
    await recordRun(del, { agent: "4_DOCUMENTS", status: "SUCCESS" });
    await git(copy, "init", "-q");
    await git(copy, "add", "-A");
    await git(copy, "commit", "-qm", "a run");
    await git(copy, "update-ref", "refs/remotes/origin/main", "HEAD");
    flags.push("--allow-run");
  }
  if (code.includes("lost-records.txt")) {
    await Deno.writeTextFile(join(copy, "lost-records.txt"), "");
  }
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...flags, "example.ts"],
    cwd: copy,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  await Deno.remove(dir, { recursive: true });
  return { code: run.code, stderr: new TextDecoder().decode(run.stderr) };
}

Deno.test("the @example of each export of mod.ts runs as written in a copy of examples/, or once given what it says it needs first (newuser-46 F2)", async () => {
  const examples = await exportExamples();
  assert(examples.length >= 40, `only ${examples.length} examples found`);
  const failed: string[] = [];
  // Two at a time: the machine's two cores.
  for (let i = 0; i < examples.length; i += 2) {
    const pair = examples.slice(i, i + 2);
    const runs = await Promise.all(pair.map((example) => runExample(example.code)));
    runs.forEach((run, j) => {
      if (run.code !== 0) failed.push(`${pair[j].name}: ${run.stderr.split("\n")[0]}`);
    });
  }
  assertEquals(failed, []);
});

Deno.test("stale --propagate on a copy of examples/: DEL-01-03's v3.1 register makes it STALE once DEL-01-02 ran since, with no warning (newuser-46 F3)", async () => {
  const dir = await tempDir({ prefix: "runrec-newuser46-" });
  const copy = join(dir, "examples");
  const copied = await new Deno.Command("cp", { args: ["-R", join(ROOT, "examples"), copy] })
    .output();
  assertEquals(copied.success, true);
  const working = join(copy, "PKG-01_Field_Instruments", "1_Working");
  const consumer = join(working, "DEL-01-03_Level_Switch_Datasheet");
  const producer = join(working, "DEL-01-02_Flow_Meter_Selection");
  const register = await Deno.readTextFile(join(consumer, "Dependencies.csv"));
  const ran = await runCli([
    ...["emit", consumer, "--agent", "DEPENDENCIES", "--status", "SUCCESS"],
    ...["--output", "Dependencies.csv"],
  ]);
  assertEquals(ran.code, 0, ran.stderr);
  const before = await runCli(["stale", copy, "--propagate"]);
  assertEquals([before.code, before.stderr], [0, ""]);
  assertIncludes(before.stdout, "0 STALE, 0 cycle(s)");
  const since = await runCli([
    ...["emit", producer, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    ...["--output", "Datasheet.md"],
  ]);
  assertEquals(since.code, 0, since.stderr);
  const after = await runCli(["stale", producer, "--propagate", "--json"]);
  assertEquals(after.code, 1, after.stderr);
  assertEquals(after.stderr, "");
  const report = JSON.parse(after.stdout);
  assertEquals(
    report.stale.map((s: { deliverableId: string; reasons: { chain: object[] }[] }) => [
      s.deliverableId,
      s.reasons[0].chain.length,
    ]),
    [["DEL-01-03", 1]],
  );
  // runrec read the register and never wrote it.
  assertEquals(await Deno.readTextFile(join(consumer, "Dependencies.csv")), register);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("log --since main, a git revision as verify --since takes, outside a git repository says it is no time and names the file no repository holds (newuser-46 F4; newuser-48 F5 lists the records added since a revision in one)", async () => {
  const { del } = await makeProject();
  const emit = await runCli(["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"]);
  assertEquals(emit.code, 0, emit.stderr);
  for (const word of ["main", "origin/main", "HEAD~3"]) {
    const run = await runCli(["log", del, "--since", word]);
    assertEquals([run.code, run.stdout], [2, ""], run.stderr);
    assertIncludes(
      run.stderr,
      `--since: "${word}" is not a time (2026-02-22, 2026-02-22T10:15:00Z, 24h, 7d), and ` +
        `${join(del, "RunRecords.csv")} is in no git repository, where it could name a commit`,
    );
    assertEquals(run.stderr.split("\n").length, 2, run.stderr); // one line
  }
  // --until is told of times alone.
  const run = await runCli(["log", del, "--until", "main"]);
  assertEquals(run.code, 2, run.stderr);
  assertEquals(run.stderr.includes("git"), false, run.stderr);
});

Deno.test("finish given a token cut short (….jso, …/pending/2026) names the pending run it starts, to finish with --run; nothing written (newuser-46 F5)", async () => {
  const { del } = await makeProject();
  const started = await runCli(["start", del, "--agent", "4_DOCUMENTS"]);
  assertEquals(started.code, 0, started.stderr);
  const token = started.stdout.trim();
  const id = token.slice(token.lastIndexOf("/") + 1, -".json".length);
  for (const cut of [token.slice(0, -1), token.slice(0, -".json".length - 10)]) {
    const run = await runCli(["finish", cut, "--status", "SUCCESS"]);
    assertEquals(run.code, 2, run.stderr);
    assertIncludes(run.stderr, `: not a run token: `);
    assertIncludes(run.stderr, ` --run ${id} ...`);
  }
  assertEquals(await exists(join(del, "RunRecords.csv")), false);
  // The run it names finishes so.
  const finished = await runCli(["finish", del, "--run", id, "--status", "SUCCESS"]);
  assertEquals(finished.code, 0, finished.stderr);
});

Deno.test("verify main or verify . main, the revision given without its --since, says it goes after --since with the command to run; exit 2, nothing checked (newuser-46 F6)", async () => {
  const { root } = await makeProject();
  for (
    const [args, meant] of [
      [["main"], "runrec verify . --since main"],
      [[root, "origin/main"], `runrec verify ${root} --since origin/main`],
      [[root, "HEAD~1"], `runrec verify ${root} --since 'HEAD~1'`],
    ]
  ) {
    const run = await runCli(["verify", ...args]);
    assertEquals(run.code, 2, run.stderr);
    assertEquals(
      run.stderr,
      `runrec verify: ${args.at(-1)}: no such file or folder; a git revision goes after --since ` +
        `(${meant}) (see runrec verify --help)\n`,
    );
  }
  // A path not there that is no revision is said as before, one under a folder that is there too.
  const gone = await runCli(["verify", join(root, "gone")]);
  assertEquals(gone.stderr, `runrec verify: ${join(root, "gone")}: no such file or folder\n`);
  const mistyped = await runCli(["verify", "examples/DEL-99-99_Gone"]);
  assertEquals(mistyped.code, 2, mistyped.stderr);
  assertEquals(mistyped.stderr.includes("--since"), false, mistyped.stderr);
});

Deno.test("verify --since given a branch misspelt (mian, Main) names the branch or tag one or two edits from it; still exit 2 (newuser-46 F7)", async () => {
  const { root } = await makeProject();
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "first");
  await git(root, "tag", "release-2026");
  for (
    const [typed, meant] of [["mian", "main"], ["Main", "main"], ["relase-2026", "release-2026"]]
  ) {
    const run = await runCli(["verify", root, "--since", typed]);
    assertEquals(run.code, 2, run.stderr);
    assertIncludes(run.stderr, `unknown revision "${typed}" in ${root} (did you mean ${meant}?)`);
  }
  // Nothing near: said as before.
  const far = await runCli(["verify", root, "--since", "zzz"]);
  assertEquals(far.code, 2);
  assertEquals(far.stderr.includes("did you mean"), false, far.stderr);
});
