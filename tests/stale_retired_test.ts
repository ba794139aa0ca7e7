/**
 * `runrec stale` of deliverables that will not run again: one whose `_STATUS.md` says RETIRED, or
 * that sits in a tool root (`_Archive/`), is listed apart as RETIRED and not counted in the exit
 * code, with or without `--propagate`; and a reference that no longer resolves because its folder
 * moved is not called deleted (trial-pipeline2 3).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { assertEquals, assertIncludes } from "./assert.ts";
import { type CliResult, runCli } from "./cli.ts";
import { git, makeProject } from "./fixtures.ts";

/** One `runrec stale --json` check. */
interface JsonCheck {
  folder: string;
  verdict: string;
  baseline?: { RunID: string };
  reason?: string;
  inputs: { path: string; change: string; reason?: string }[];
}

/** Runs `runrec`, failing the test when it exits with another code than `code`. */
async function runrec(code: number, ...args: string[]): Promise<CliResult> {
  const result = await runCli(args);
  assertEquals(result.code, code, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
  return result;
}

/** The project's deliverable, with a CLEAN run of STAGE_1 that read a package reference. */
async function ranOnce() {
  const { root, del } = await makeProject();
  await runrec(0, "emit", del, "--agent", "STAGE_1", "--status", "SUCCESS", ...[
    "--input",
    "../../0_References/ref.txt",
    "--input",
    "Datasheet.md",
  ]);
  await runrec(0, "stale", del);
  return { root, del };
}

/** Sets the deliverable's `**Current State:**` to `state`. */
async function setState(del: string, state: string): Promise<void> {
  const file = join(del, "_STATUS.md");
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(
    file,
    text.replace(/\*\*Current State:\*\* \w+/, `**Current State:** ${state}`),
  );
}

/** `stale --json` of `targets`, which must exit with `code`. */
async function checks(code: number, ...targets: string[]): Promise<JsonCheck[]> {
  return JSON.parse((await runrec(code, "stale", ...targets, "--json")).stdout).checks;
}

Deno.test("stale: a RETIRED deliverable moved into _Archive/, named as the tutorial advises (stale . _Archive), is listed apart as RETIRED with its last run, not compared and not counted, with or without --propagate (trial-pipeline2 3)", async () => {
  const { root, del } = await ranOnce();
  await setState(del, "RETIRED");
  const archived = join(root, "_Archive", "DEL-01-02_Thing");
  await Deno.mkdir(dirname(archived), { recursive: true });
  await Deno.rename(del, archived);
  const archive = join(root, "_Archive");
  for (const propagate of [[], ["--propagate"]]) {
    const [check] = await checks(0, root, archive, ...propagate);
    assertEquals([check.folder, check.verdict, check.inputs], [archived, "RETIRED", []]);
    assertIncludes(check.reason ?? "", "RETIRED in _STATUS.md");
    const text = await runrec(0, "stale", root, archive, ...propagate);
    assertIncludes(text.stdout, `RETIRED      DEL-01-02  STAGE_1  RUN-DEL-01-02-`);
    assertIncludes(
      text.stdout,
      "0 DIRTY, 0 CLEAN, 0 NO_BASELINE, 1 RETIRED (not compared, not counted)",
    );
  }
});

Deno.test("stale: a deliverable RETIRED in place whose input changed since, and one in _Archive/ whose _STATUS.md was not set, are RETIRED, exit 0", async () => {
  const { root, del } = await ranOnce();
  await setState(del, "RETIRED");
  await Deno.writeTextFile(join(del, "Datasheet.md"), "edited after retirement\n");
  let [check] = await checks(0, del);
  assertEquals([check.verdict, check.inputs], ["RETIRED", []]);
  // In a tool root, whatever its _STATUS.md says.
  await setState(del, "OPEN");
  const archived = join(root, "_Archive", "DEL-01-02_Thing");
  await Deno.mkdir(dirname(archived), { recursive: true });
  await Deno.rename(del, archived);
  [check] = await checks(0, join(root, "_Archive"));
  assertEquals(check.verdict, "RETIRED");
  assertIncludes(check.reason ?? "", "_Archive");
});

Deno.test("stale: a reference that no longer resolves because its deliverable folder moved is not called deleted; one deleted beside the folder's place is", async () => {
  const { root, del } = await ranOnce();
  // Moved to another package, still OPEN: ../../0_References now leads to a folder not there.
  const moved = join(root, "PKG-02_Other", "1_Working", "DEL-01-02_Thing");
  await Deno.mkdir(dirname(moved), { recursive: true });
  await Deno.rename(del, moved);
  const [check] = await checks(1, moved);
  assertEquals(check.verdict, "DIRTY");
  assertEquals(check.inputs.map((c) => [c.path, c.change]), [[
    "../../0_References/ref.txt",
    "removed",
  ]]);
  const reason = check.inputs[0].reason ?? "";
  assertIncludes(reason, "does not resolve from the folder's place now");
  assertEquals(reason.includes("deleted"), false, reason);
  // Back in place, the reference deleted: "deleted".
  await Deno.rename(moved, del);
  await Deno.remove(join(root, "PKG-01_Pkg", "0_References", "ref.txt"));
  const [back] = await checks(1, del);
  assertEquals(back.inputs.map((c) => [c.path, c.reason]), [[
    "../../0_References/ref.txt",
    "deleted",
  ]]);
});

Deno.test("a run started or recorded in an _Archive/ copy, or in a deliverable RETIRED at its start (or, for emit, at its end), is warned of, with how to take the record back; a run that retires one is not, and a reaped run gets no take-back advice (trial-x F7, review-x F4, F7)", async () => {
  const { root, del } = await makeProject();
  const archived = join(root, "_Archive", "DEL-01-02_Thing");
  await Deno.mkdir(dirname(archived));
  await Deno.rename(del, archived);
  const copy = "an archived or snapshot copy (in _Archive/, a tool root of its execution root), " +
    "which stale does not check: was the live deliverable meant?";
  const emit = await runrec(0, "emit", archived, "--agent", "4_DOCUMENTS", "--status", "SUCCESS");
  assertIncludes(emit.stderr, `warning: recorded in ${copy}`);
  assertIncludes(emit.stderr, `runrec annotate ${archived} ${emit.stdout.trim()} --invalidates`);
  const started = await runrec(0, "start", archived, "--agent", "4_DOCUMENTS", "--pid", "999999");
  assertIncludes(started.stderr, `warning: started in ${copy}`);
  // Its agent gone: reaped FAILED, warned of, with no advice to take a crash back.
  const reap = await runrec(0, "reap", archived);
  assertIncludes(reap.stderr, `recorded in ${copy}`);
  assertEquals(reap.stderr.includes("take it back"), false, reap.stderr);
  await Deno.rename(archived, del);
  const status = join(del, "_STATUS.md");
  const open = await Deno.readTextFile(status);
  // A run that retires the deliverable: RETIRED only at its end.
  const start = await runrec(0, "start", del, "--agent", "4_DOCUMENTS");
  await Deno.writeTextFile(status, open.replace("OPEN", "RETIRED"));
  const finish = await runrec(0, "finish", start.stdout.trim(), "--status", "SUCCESS");
  assertEquals(finish.stderr.includes("RETIRED deliverable"), false, finish.stderr);
  // A run started on it once RETIRED: at start and at its finish.
  const again = await runrec(0, "start", del, "--agent", "4_DOCUMENTS");
  assertIncludes(again.stderr, "started in a RETIRED deliverable (its _STATUS.md said so at the");
  const late = await runrec(0, "finish", again.stdout.trim(), "--status", "SUCCESS");
  assertIncludes(late.stderr, "recorded in a RETIRED deliverable (its _STATUS.md said so at the");
  // emit knows no start: RETIRED at its end, no --status-before, is warned of.
  const stray = await runrec(0, "emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS");
  assertIncludes(stray.stderr, "if this run retired it, say so with --status-before");
  const said = await runrec(
    0,
    ...["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"],
    ...["--status-before", "ISSUED"],
  );
  assertEquals(said.stderr.includes("RETIRED deliverable"), false, said.stderr);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a linked work tree kept in a _-named folder of the checkout is a checkout, not a tool root: a run there is not warned of as retired, and stale there checks its deliverables; a whole clone archived in _Archive/ is a copy (review-x F2, review-y F4)", async () => {
  const { root } = await makeProject();
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  const tree = join(root, "_worktrees", "feat");
  await git(root, "worktree", "add", "-q", tree);
  const del = join(tree, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  const emit = await runrec(0, "emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS");
  assertEquals(emit.stderr.includes("retired"), false, emit.stderr);
  const stale = JSON.parse((await runrec(0, "stale", del, "--json")).stdout);
  assertEquals(stale.checks.map((c: JsonCheck) => c.verdict), ["CLEAN"]);
  // `stale _worktrees`: the note names the work tree skipped, and no warning says the folder
  // holds no deliverable (review-y F10).
  const skipped = await runrec(0, "stale", join(root, "_worktrees"));
  assertEquals(
    skipped.stderr,
    `runrec: note: skipped ${tree}: another worktree of this repository; name it to check it\n`,
  );
  // A whole clone archived (its .git a folder) is a copy all the same (review-y F4).
  const archived = join(root, "_Archive", "old");
  await git(root, "clone", "-q", root, archived);
  const copy = join(archived, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  const warned = await runrec(0, "emit", copy, "--agent", "4_DOCUMENTS", "--status", "SUCCESS");
  assertIncludes(warned.stderr, "recorded in an archived or snapshot copy (in _Archive/");
  await Deno.remove(root, { recursive: true });
});
