/**
 * `start` and `emit` on a misspelt deliverable folder name the folder beside
 * it that was meant, as `exec` does; `withRun` warns of an input not found,
 * as `start` and `exec` do.
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals, assertIncludes } from "./assert.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { makeProject } from "./fixtures.ts";
import { pendingFiles, recordsOf } from "./support/runs.ts";
import type { RunOutcome } from "../src/hook.ts";
import { withRun } from "../src/run.ts";

Deno.test("start and emit on a misspelt folder beside the real one: exit 2, one line naming the folder meant; nothing kept", async () => {
  const { root, del } = await makeProject();
  const typo = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thimg");
  for (
    const args of [
      ["start", typo, "--agent", "4_DOCUMENTS"],
      ["emit", typo, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    ]
  ) {
    const result = await runCli(args);
    assertEquals(result.code, 2, result.stderr);
    assertEquals(
      result.stderr,
      `runrec ${args[0]}: ${typo}: no such folder: did you mean ${del}?\n`,
    );
  }
  // Nothing near it: the plain error, as before.
  const far = await runCli(["start", join(root, "Elsewhere"), "--agent", "4_DOCUMENTS"]);
  assertEquals(far.stderr, `runrec start: ${join(root, "Elsewhere")}: no such folder\n`);
  assertEquals([pendingFiles(del), await recordsOf(del)], [[], []]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("start and emit on a deliverable folder with a slip higher up its path, or named from the execution root: exit 2 naming the folder of its DeliverableID, as given (relative or absolute), not a nested root's (trial-x F2, review-x F3)", async () => {
  const { root, del } = await makeProject();
  const cases = [
    [join(root, "PKG-01_Pkg", "1_Workng", "DEL-01-02_Thing"), del],
    [join(root, "DEL-01-02_Thing"), del],
    ["DEL-01-02_Thing", join("PKG-01_Pkg", "1_Working", "DEL-01-02_Thing")],
  ];
  for (const [given, meant] of cases) {
    for (
      const args of [
        ["start", given, "--agent", "4_DOCUMENTS"],
        ["emit", given, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
      ]
    ) {
      const result = await runCliProcess(args, undefined, {}, root);
      assertEquals(
        [result.code, result.stderr],
        [2, `runrec ${args[0]}: ${given}: no such folder: did you mean ${meant}?\n`],
      );
    }
  }
  // A nested execution root's deliverable of that ID is another project's: not named (review-x F3).
  const nested = join(root, "sub", "PKG-01_Sub", "1_Working", "DEL-01-02_Other");
  await Deno.mkdir(nested, { recursive: true });
  await Deno.writeTextFile(join(root, "sub", "INIT.md"), "# Sub\n");
  const slip = join(root, "PKG-01_Pkg", "Working", "DEL-01-02_Thing");
  const one = await runCliProcess(["start", slip, "--agent", "A"], undefined, {}, root);
  assertEquals(one.stderr, `runrec start: ${slip}: no such folder: did you mean ${del}?\n`);
  // An ID no deliverable has: the plain error.
  const none = await runCliProcess(["start", "DEL-01-09_X", "--agent", "A"], undefined, {}, root);
  assertEquals(none.stderr, "runrec start: DEL-01-09_X: no such folder\n");
  assertEquals([pendingFiles(del), await recordsOf(del)], [[], []]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("withRun warns of an input not found, with the outcome", async () => {
  const { root, del } = await makeProject();
  const outcomes: RunOutcome[] = [];
  await withRun(del, {
    agent: "4_DOCUMENTS",
    inputs: ["NoSuch.md"],
    onOutcome: (o) => outcomes.push(o),
  }, () => {});
  assertEquals(outcomes.length, 1);
  assertIncludes(outcomes[0].warnings.join("\n"), "--input NoSuch.md: not found");
  assertEquals((await recordsOf(del)).length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("start, emit and exec on a folder given with a trailing space or line break: the path quoted and said, not a 'did you mean' the same-looking path (trial-r F7)", async () => {
  const { root, del } = await makeProject();
  for (const [end, words] of [[" ", "a space"], ["\n", "a line break"]]) {
    for (
      const args of [
        ["start", del + end, "--agent", "4_DOCUMENTS"],
        ["emit", del + end, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
        ["exec", del + end, "--agent", "4_DOCUMENTS", "true"],
      ]
    ) {
      const result = await runCli(args);
      assertEquals(result.code, 2, result.stderr);
      const said = `${JSON.stringify(del + end)} (the path ends in ${words}): no such folder: ` +
        `did you mean ${del}?`;
      assertEquals(result.stderr.startsWith(`runrec ${args[0]}: ${said}`), true, result.stderr);
      assertEquals(result.stderr.split("\n").length, 2, "one line");
    }
  }
  assertEquals([pendingFiles(del), await recordsOf(del)], [[], []]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a suggestion that looks like the name given (another Unicode form, a no-break space) shows the code points of both (trial-y F1)", async () => {
  const { del } = await makeProject();
  await Deno.writeTextFile(join(del, "Spu\u0308l.md"), "decomposed ü\n"); // NFD, as macOS writes
  const emitWith = (input: string) =>
    runCli(["emit", del, "--agent", "A", "--status", "SUCCESS", "--input", input]);
  const input = await emitWith("Sp\u00fcl.md");
  assertIncludes(
    input.stderr,
    'did you mean Spu\u0308l.md (it looks like the name given, but is written "Spu\\u0308l.md", not ' +
      '"Sp\\u00FCl.md": copy it from a listing)?',
  );
  // A folder named with a no-break space, given with a plain one.
  const folder = join(del, "..", "DEL-01-09_Two\u00a0Words");
  await Deno.mkdir(folder);
  const exec = await runCli([
    "exec",
    join(del, "..", "DEL-01-09_Two Words"),
    "--agent",
    "A",
    "--",
    "true",
  ]);
  assertEquals(exec.code, 2, exec.stderr);
  assertIncludes(exec.stderr, "(it looks like the name given, but is written ");
  assertIncludes(exec.stderr, "Two\\u00A0Words");
  // Names that differ to the eye are shown as they are.
  const plain = await emitWith("Spxl.md");
  assertEquals(plain.stderr.includes("looks like the name given"), false, plain.stderr);
});

Deno.test("the commands that read (log, show, annotate, stale, validate, verify, export, hash, reap, flush) on a deliverable folder named from the execution root or misspelt: exit 2 naming the folder meant, as start does (newuser-43 F10)", async () => {
  const { root } = await makeProject();
  const meant = join("PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  const runId = "RUN-DEL-01-02-20260222-1015-001";
  for (const given of ["DEL-01-02_Thing", join("PKG-01_Pkg", "1_Working", "DEL-01-02_Thign")]) {
    for (
      const args of [
        ["log", given],
        ["log", given, "--json"],
        ["show", given, runId],
        ["annotate", given, runId, "--note", "x"],
        ["stale", given],
        ["validate", given],
        ["verify", given],
        ["export", given, "--format", "prov"],
        ["hash", given],
        ["reap", given],
        ["flush", given],
      ]
    ) {
      const result = await runCliProcess(args, undefined, {}, root);
      assertEquals(
        [result.code, result.stderr],
        [2, `runrec ${args[0]}: ${given}: no such folder: did you mean ${meant}?\n`],
        args.join(" "),
      );
    }
  }
  // A name like no deliverable's: the plain error, as before.
  const none = await runCliProcess(["log", "nothing"], undefined, {}, root);
  assertEquals(none.stderr, "runrec log: nothing: no such file or folder\n");
  await Deno.remove(root, { recursive: true });
});
