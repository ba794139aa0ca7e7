/**
 * `emit --started` (a run recorded late) warns of the inputs that changed after the run ended,
 * whose hashes are not what the run read: what was checked out then is asked of HEAD's reflog
 * before its first-parent history, a replaced file is found by its status-change time, and
 * inputs git holds as they were are not warned of, whatever else is named (review-o F5, F6, F8).
 *
 * @module
 */
import { join, relative } from "node:path";
import { assertEquals, assertIncludes } from "./assert.ts";
import { emitArgs, runCli } from "./cli.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";

/** An ISO time `hours` ago. */
const ago = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();

/**
 * Runs git in `cwd` as if `hours` ago: its commits and its reflog entries are dated then, as they
 * would be had it run then.
 */
async function gitAgo(hours: number, cwd: string, ...args: string[]): Promise<void> {
  const date = `@${Math.floor(Date.now() / 1000 - hours * 3600)} +0000`;
  const output = await new Deno.Command("git", {
    args: ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main", ...args],
    cwd,
    env: { GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date },
  }).output();
  assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
}

/** The warnings of a run of `del` recorded late: it started 2 hours ago and took 10 minutes. */
async function lateRunWarnings(
  del: string,
  inputs: string[],
  ...extra: string[]
): Promise<string[]> {
  const { code, stderr } = await runCli(
    emitArgs(
      del,
      "--started",
      ago(2),
      "--duration",
      "10m",
      ...inputs.flatMap((i) => ["--input", i]),
      ...extra,
    ),
  );
  assertEquals(code, 0, stderr);
  return stderr.split("\n").filter((line) => line.includes("after the run ended"));
}

/** A project whose every file git committed 5 hours ago, with `files` added in its deliverable. */
async function committedProject(files: Record<string, string>) {
  const { root, del } = await makeProject();
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(join(del, name), text);
  await gitAgo(5, root, "init", "-q");
  await gitAgo(5, root, "add", "-A");
  await gitAgo(5, root, "commit", "-qm", "five hours ago");
  return { root, del };
}

/** A clone of `root` made now (every file's times new), and its copy of `del`. */
async function cloneOf(root: string, del: string, ...options: string[]) {
  const clone = join(await tempDir({ prefix: "runrec-clone-" }), "clone");
  await git(root, "clone", "-q", ...options, `file://${root}`, clone);
  return { clone, del: join(clone, relative(root, del)) };
}

Deno.test("emit --started: an input changed by a branch merged by fast-forward after the run is warned of; what was checked out then is asked of HEAD's reflog (review-o F5)", async () => {
  const { root, del } = await committedProject({ "Input.md": "X: what the run read\n" });
  await gitAgo(4, root, "checkout", "-qb", "feature");
  await Deno.writeTextFile(join(del, "Input.md"), "Y: changed on the branch\n");
  await gitAgo(3, root, "commit", "-qam", "Y on feature");
  await gitAgo(2.5, root, "checkout", "-q", "main");
  // The run read X on main 2 hours ago; the branch was merged since.
  await git(root, "merge", "-q", "--ff-only", "feature");
  const warnings = await lateRunWarnings(del, ["Input.md"]);
  assertEquals(warnings.length, 1, "one warning");
  const [warning] = warnings;
  assertIncludes(warning, "Input.md changed after the run ended");
});

Deno.test("emit --started: an input replaced after the run by a mv of an older file (its modification time kept) is warned of (review-o F6)", async () => {
  const { del } = await committedProject({ "Spec.md": "v1: what the run read\n" });
  const draft = join(del, "..", "Spec_v2.md");
  await Deno.writeTextFile(draft, "v2 draft, written before the run\n");
  const threeHoursAgo = new Date(Date.now() - 3 * 3_600_000);
  await Deno.utime(draft, threeHoursAgo, threeHoursAgo);
  await Deno.rename(draft, join(del, "Spec.md"));
  assertEquals(Deno.statSync(join(del, "Spec.md")).mtime, threeHoursAgo);
  const warnings = await lateRunWarnings(del, ["Spec.md"]);
  assertEquals(warnings.length, 1, "one warning");
  const [warning] = warnings;
  assertIncludes(warning, "Spec.md changed after the run ended (modified or replaced since)");
});

Deno.test("emit --started in a fresh clone: an input outside the repository named first warns of itself only, not of the inputs git holds as they were (review-o F8)", async () => {
  const { root, del } = await committedProject({ "A.md": "a\n", "B.md": "b\n" });
  const outside = join(await tempDir({ prefix: "runrec-outside-" }), "Standard.md");
  await Deno.writeTextFile(outside, "a standard, written now\n");
  const { del: cloned } = await cloneOf(root, del);
  assertEquals(await lateRunWarnings(cloned, ["A.md", "B.md"]), []);
  const warnings = await lateRunWarnings(
    cloned,
    [outside, "A.md", "B.md"],
    "--allow-outside",
  );
  assertEquals(warnings.length, 1, "one warning");
  const [warning] = warnings;
  assertIncludes(warning, "Standard.md changed after the run ended");
  assertEquals([warning.includes("A.md"), warning.includes("B.md")], [false, false], warning);
});

Deno.test("emit --started in a shallow clone whose history starts after the run: an input is not said to have changed, but that git cannot tell (review-o F8)", async () => {
  const { root, del } = await committedProject({ "A.md": "a\n" });
  await Deno.writeTextFile(join(root, "other.txt"), "a later commit\n");
  await gitAgo(1, root, "add", "other.txt");
  await gitAgo(1, root, "commit", "-qm", "an hour ago");
  const { del: full } = await cloneOf(root, del);
  assertEquals(await lateRunWarnings(full, ["A.md"]), []);
  const { del: shallow } = await cloneOf(root, del, "--depth", "1");
  const warnings = await lateRunWarnings(shallow, ["A.md"]);
  assertEquals(warnings.length, 1, "one warning");
  const [warning] = warnings;
  assertIncludes(warning, "whether A.md changed after the run ended cannot be told");
});

Deno.test("emit --started in a fresh clone: a tracked symbolic link is compared as a link, and the file it leads to as its bytes; repointed or its file changed since, it is warned of (review-o F8)", async () => {
  const { root, del } = await makeProject();
  await Deno.writeTextFile(join(root, "Shared.md"), "shared spec\n");
  await Deno.writeTextFile(join(root, "Other.md"), "another spec\n");
  await Deno.symlink("../../../Shared.md", join(del, "Spec.md"));
  await gitAgo(5, root, "init", "-q");
  await gitAgo(5, root, "add", "-A");
  await gitAgo(5, root, "commit", "-qm", "five hours ago");
  const { clone, del: cloned } = await cloneOf(root, del);
  assertEquals(await lateRunWarnings(cloned, ["Spec.md"]), []);
  // Repointed at a file unchanged since.
  await Deno.remove(join(cloned, "Spec.md"));
  await Deno.symlink("../../../Other.md", join(cloned, "Spec.md"));
  assertEquals((await lateRunWarnings(cloned, ["Spec.md"])).length, 1);
  // Pointing where it did, at a file changed since.
  await Deno.remove(join(cloned, "Spec.md"));
  await Deno.symlink("../../../Shared.md", join(cloned, "Spec.md"));
  assertEquals(await lateRunWarnings(cloned, ["Spec.md"]), []);
  await Deno.writeTextFile(join(clone, "Shared.md"), "shared spec, changed\n");
  assertEquals((await lateRunWarnings(cloned, ["Spec.md"])).length, 1);
});
