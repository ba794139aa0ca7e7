/**
 * Stop 44's new users: an agent, a script and a CI job meeting runrec from its docs alone. Each
 * test is one friction they met, which failed before its fix.
 */
import { join } from "node:path";
import { emitArgs, runCli, runCliProcess } from "./cli.ts";
import { makeProject, ROOT, tempDir } from "./fixtures.ts";
import { assertEquals, assertIncludes } from "./assert.ts";

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("a stray word after --input or --output that names no file says it is a second path needing its own option, or a path needing quotes; nothing is written (newuser-44 F1)", async () => {
  const { del } = await makeProject();
  for (
    const [option, value, words] of [
      ["--input", "Datasheet.md", ["Gone.md"]], // a second path, misspelt or deleted
      ["--output", "Datasheet.md", ["Report.md"]], // an output not written yet
      ["--input", "Data", ["sheet", "v2.md"]], // a path with spaces, not there
    ] as const
  ) {
    const run = await runCli([
      ...emitArgs(del),
      option,
      value,
      ...words,
    ]);
    assertEquals(run.code, 2, run.stderr);
    const quoted = [value, ...words].join(" ");
    assertEquals(
      run.stderr,
      `runrec emit: unexpected argument "${words[0]}" (it follows ${option} ${value}: a second ` +
        `path needs its own ${option} (${option} ${words[0]}); a path holding spaces needs ` +
        `quotes (${option} '${quoted}')) (see runrec emit --help)\n`,
    );
  }
  assertEquals(await exists(join(del, "RunRecords.csv")), false);
  // Every word naming a file is stop 43's "takes one path" line, not this one.
  const many = await runCli(
    [...emitArgs(del), "--input", "Datasheet.md", "_STATUS.md"],
  );
  assertIncludes(many.stderr, "--input: takes one path, and 1 more followed it");
});

Deno.test("stale --agent matches an agent's name in any case, as log --agent does, and says so in its help; a misspelt one is still refused (newuser-44 F2)", async () => {
  const { del } = await makeProject();
  const emitted = await runCli(
    ["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--input", "Datasheet.md"],
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  for (const asked of ["4_documents", "4_Documents"]) {
    const clean = await runCli(["stale", del, "--agent", asked, "--json"]);
    assertEquals(clean.code, 0, clean.stderr);
    const report = JSON.parse(clean.stdout);
    assertEquals(
      report.checks.map((c: { agent: string; verdict: string }) => [c.agent, c.verdict]),
      [["4_DOCUMENTS", "CLEAN"]],
    );
  }
  await Deno.writeTextFile(join(del, "Datasheet.md"), "# Datasheet, revised\n");
  const dirty = await runCli(["stale", del, "--agent", "4_documents"]);
  assertEquals(dirty.code, 1, dirty.stderr);
  assertIncludes(dirty.stdout, "DIRTY        DEL-01-02  4_DOCUMENTS");
  // log agrees.
  const log = await runCli(["log", del, "--agent", "4_documents", "--format", "json"]);
  assertEquals(JSON.parse(log.stdout).length, 1);
  const misspelt = await runCli(["stale", del, "--agent", "4_documnts"]);
  assertEquals(misspelt.code, 2);
  assertIncludes(misspelt.stderr, "did you mean 4_DOCUMENTS?");
  const help = await runCli(["stale", "--help"]);
  assertIncludes(help.stdout, "case does not\n                matter, as in log");
});

Deno.test("exec given --status or --output, which start, finish and emit take, says exec learns them from CMD and what to use instead; nothing runs (newuser-44 F3)", async () => {
  const { del } = await makeProject();
  const ran = join(del, "ran.txt");
  for (
    const [given, why] of [
      [["--status", "SUCCESS"], "exec records CMD's exit code as the status (0 SUCCESS,"],
      [["--status=FAILED"], "exec records CMD's exit code as the status (0 SUCCESS,"],
      [["--output", "Datasheet.md"], "exec records as outputs the files of <del-dir> CMD changed"],
      [["--outputs-from", "-"], "exec records as outputs the files of <del-dir> CMD changed"],
    ]
  ) {
    const run = await runCli(["exec", del, "--agent", "A", ...given, "--", "touch", ran]);
    assertEquals(run.code, 2, run.stderr);
    const option = given[0].split("=")[0];
    assertIncludes(run.stderr, `runrec exec: unknown option ${option}: ${why}`);
    assertIncludes(run.stderr, "record the run with runrec emit");
    assertEquals(run.stderr.split("\n").length, 2, run.stderr); // one line
  }
  assertEquals(await exists(ran), false);
  assertEquals(await exists(join(del, "RunRecords.csv")), false);
  // A misspelt option still gets its near one.
  const near = await runCli([...emitArgs(del), "--outptu", "x"]);
  assertIncludes(near.stderr, "unknown option --outptu: did you mean --output?");
});

Deno.test("exec with its <del-dir> left out (exec --agent A -- CMD) says <del-dir> is missing before the --, not that CMD is; nothing runs (newuser-44 F4)", async () => {
  const { del } = await makeProject();
  const ran = join(del, "ran.txt");
  for (const command of [["touch", ran], ["sh", "-c", `touch '${ran}'`]]) {
    const run = await runCli(["exec", "--agent", "A", "--", ...command]);
    assertEquals(run.code, 2, run.stderr);
    assertEquals(
      run.stderr,
      "runrec exec: missing <del-dir>: it comes before the -- (runrec exec <del-dir> --agent " +
        "NAME -- CMD...) (see runrec exec --help)\n",
    );
  }
  assertEquals(await exists(ran), false);
  // A <del-dir> after the -- is still read as one, as before.
  const after = await runCli(["exec", "--agent", "A", "--", del, "touch", ran]);
  assertEquals(after.code, 0, after.stderr);
  assertEquals(await exists(ran), true);
});

Deno.test("README: the deno.json it gives lets mod.ts's examples, which import @runrec/runrec, run as written (newuser-44 F5)", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const map = /`(\{ "imports": \{ "@runrec\/runrec": "[^"]+" \} \})`/.exec(readme);
  assertEquals(map !== null, true, "README gives no deno.json mapping @runrec/runrec");
  const dir = await tempDir({ prefix: "runrec-newuser44-" });
  try {
    // README's layout: a clone of this repository as runrec/, the script and deno.json beside it.
    await Deno.symlink(ROOT, join(dir, "runrec"));
    await Deno.writeTextFile(join(dir, "deno.json"), map![1]);
    // mod.ts's first module example, as written.
    const mod = await Deno.readTextFile(join(ROOT, "mod.ts"));
    const block = /@example Record a run in one step[^\n]*\n \* ```ts\n([\s\S]*?) \* ```/.exec(mod);
    assertEquals(block !== null, true, "mod.ts's first example not found");
    const source = block![1].split("\n").map((l) => l.replace(/^ \*( |$)/, "")).join("\n");
    assertIncludes(source, 'from "@runrec/runrec"');
    await Deno.writeTextFile(join(dir, "first.ts"), source);
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--allow-read",
        "--allow-write",
        "--allow-sys=hostname",
        "first.ts",
      ],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assertEquals(run.code, 0, stderr);
    assertEquals(
      /^RUN-DEL-01-02-\d{8}-\d{4}-001\n$/.test(new TextDecoder().decode(run.stdout)),
      true,
      new TextDecoder().decode(run.stdout),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a deliverable folder whose name starts with a dash is said to be read as options, with ./ or -- to give it, not 'unknown option -D' or the help; nothing is written (newuser-44 F6)", async () => {
  const { root } = await makeProject();
  const working = join(root, "PKG-01_Pkg", "1_Working");
  for (const name of ["-DEL-01-09_Dash", "-hDEL-01-09_Help"]) {
    const del = join(working, name);
    await Deno.mkdir(del);
    await Deno.writeTextFile(join(del, "_CONTEXT.md"), "**DeliverableID:** DEL-01-09\n");
    const run = await runCliProcess(
      ["emit", name, "--agent", "A", "--status", "SUCCESS"],
      undefined,
      {},
      working,
    );
    assertEquals(run.code, 2, run.stderr);
    assertEquals(
      run.stderr,
      `runrec emit: ${name}: names a file or folder here, but a word starting with - is read as ` +
        `options: write it ./${name}, or after a -- that ends the options (see runrec emit ` +
        "--help)\n",
    );
    assertEquals(run.stdout, "");
    assertEquals(await exists(join(del, "RunRecords.csv")), false);
    // Each way the line gives records the run.
    for (const given of [[`./${name}`, "--agent", "A"], ["--agent", "A", "--", name]]) {
      const ok = await runCliProcess(
        ["emit", "--status", "SUCCESS", ...given],
        undefined,
        {},
        working,
      );
      assertEquals(ok.code, 0, ok.stderr);
    }
  }
  // One not there may still be a path: the line says how to give it.
  const gone = await runCli(["log", "-DEL-01-07_Gone"]);
  assertEquals(gone.code, 2);
  assertIncludes(gone.stderr, "unknown option -D (if -DEL-01-07_Gone is a path: a word starting");
});

Deno.test("a Windows drive path given as the deliverable folder (C:\\proj\\DEL-01-03) is said to be one, which names nothing here, not 'rename it'; nothing is written (newuser-44 F7)", async () => {
  const { root } = await makeProject();
  for (const words of [["emit", "--agent", "A", "--status", "SUCCESS"], ["log"], ["stale"]]) {
    const run = await runCliProcess(
      [words[0], String.raw`C:\proj\PKG-01_Pkg\1_Working\DEL-01-02_Thing`, ...words.slice(1)],
      undefined,
      {},
      root,
    );
    assertEquals(run.code, 2, run.stderr);
    assertEquals(
      run.stderr,
      `runrec ${words[0]}: C:\\proj\\PKG-01_Pkg\\1_Working\\DEL-01-02_Thing: a Windows drive ` +
        `path, which names no folder on ${Deno.build.os}: give the path as this system names it ` +
        "(relative, or from /)\n",
    );
  }
  assertEquals(await exists(join(root, "C:")), false);
});

Deno.test("--input a.md;b.md, a list as the record writes it, gets the one-path-per-option hint a comma list gets (newuser-44 F8)", async () => {
  const { del } = await makeProject();
  await Deno.writeTextFile(join(del, "Spec.md"), "# Spec\n");
  for (const given of ["Datasheet.md;Spec.md", "Datasheet.md; Spec.md", "Datasheet.md,Spec.md"]) {
    const run = await runCli([
      ...emitArgs(del),
      "--input",
      given,
    ]);
    assertEquals(run.code, 0, run.stderr);
    assertIncludes(
      run.stderr,
      `--input ${given}: not found (one path per --input: --input Datasheet.md --input Spec.md)`,
    );
  }
});

Deno.test("show and annotate given a RunID in lower case, with a space, cut before its SEQ, or a run token, say what it likely was, not 'is not a RunID' alone (newuser-44 F9)", async () => {
  const { del } = await makeProject();
  const emitted = await runCli(emitArgs(del));
  const id = emitted.stdout.trim();
  const syntax = "is not a RunID (RUN-DEL-XX-YY-YYYYMMDD-HHmm-SEQ)";
  const cut = id.replace(/-[0-9]+$/, "");
  for (
    const [given, said] of [
      [id.toLowerCase(), `: did you mean ${id}?`],
      [`${id} `, `: did you mean ${id} (no spaces around it)?`],
      [cut, `: it lacks its -SEQ (${cut}-001 is that minute's first run; runrec log lists`],
      // A script's counter, not padded (newuser-60 F5).
      [`${cut}-1`, `: did you mean ${id} (its SEQ has 3 digits or more)?`],
      [join(del, ".runrec/pending/20260222T101500000Z-0a1b2c3d.json"), ": that is a run token;"],
    ]
  ) {
    const shown = await runCli(["show", del, given]);
    assertEquals(shown.code, 2, shown.stderr);
    assertIncludes(shown.stderr, `runrec show: ${JSON.stringify(given)} ${syntax}${said}`);
    const annotated = await runCli(["annotate", del, id, "--supersedes", given, "--note", "x"]);
    assertEquals(annotated.code, 2, annotated.stderr);
    assertIncludes(annotated.stderr, `--supersedes: ${JSON.stringify(given)} ${syntax}${said}`);
  }
  // Nothing was annotated: the file holds the one record.
  const lines = (await Deno.readTextFile(join(del, "RunRecords.csv"))).trim().split("\n");
  assertEquals(lines.length, 2);
});

Deno.test("a duration spelt in words (5min, 2 days, 12hours) is refused as before, with the short form the option takes (newuser-44 F10)", async () => {
  const { del } = await makeProject();
  const cases: [string[], string][] = [
    [["log", del, "--since", "5min"], "5m"],
    [["log", del, "--until", "2 days"], "2d"],
    [["reap", del, "--older-than", "12hours"], "12h"],
    [[...emitArgs(del), "--duration", "1.5 hrs"], "1.5h"],
  ];
  for (const [args, meant] of cases) {
    const run = await runCli(args);
    assertEquals(run.code, 2, run.stderr);
    assertIncludes(run.stderr, `(did you mean ${meant}?)`);
    // What it suggests is taken.
    const given = args.indexOf(args.find((a) => /^--(since|until|older-than|duration)$/.test(a))!);
    const fixed = await runCli(args.map((a, i) => i === given + 1 ? meant : a));
    assertEquals(fixed.code, 0, fixed.stderr);
  }
  const none = await runCli(["reap", del, "--older-than", "soon"]);
  assertEquals(none.stderr.includes("did you mean"), false, none.stderr);
});
