/**
 * A project in git whose `main` and `side` each recorded a run and changed Datasheet.md, so that
 * `git merge side` stops on Datasheet.md's conflict with the record file already merged: where a
 * run recorded during a merge is tried.
 *
 * @module
 */
import { join } from "node:path";
import { runCliProcess } from "../cli.ts";
import { git, makeProject, tempDir } from "../fixtures.ts";
import { assertEquals } from "../assert.ts";
import { FULL_FLAGS } from "../../src/cli/permissions.ts";

/** The `.gitattributes` line that merges record files by union, as the README asks. */
export const UNION = "RunRecords.csv merge=union eol=lf\n";

/**
 * The project, `attributes` its `.gitattributes` (none when empty), its package folder `pkg`,
 * checked out on `main`; each branch's record made by `emit` (an agent and its start), which the
 * caller may use again.
 *
 * @example
 * ```ts
 * import { diverged, mergeStopped } from "./merge_stopped.ts";
 * const { root, emit } = await diverged();
 * await mergeStopped(root);
 * await emit("DURING", "2026-01-04T00:00:00Z"); // a run recorded during the merge
 * ```
 */
export async function diverged(attributes = UNION, pkg = "PKG-01_Pkg") {
  const { root } = await makeProject();
  // A package named `-PKG-01_Pkg`: the shell commands a message prints must take it as a path.
  if (pkg !== "PKG-01_Pkg") await Deno.rename(join(root, "PKG-01_Pkg"), join(root, pkg));
  const del = join(root, pkg, "1_Working", "DEL-01-02_Thing");
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  const emit = (agent: string, started: string) =>
    runCliProcess(
      ["emit", del, "--agent", agent, "--status", "SUCCESS", "--started", started],
      FULL_FLAGS,
      env,
    );
  const datasheet = join(del, "Datasheet.md");
  if (attributes) await Deno.writeTextFile(join(root, ".gitattributes"), attributes);
  await git(root, "init", "-q");
  // Commands run as printed commit with git alone: the repository's own identity.
  await git(root, "config", "user.name", "runrec test");
  await git(root, "config", "user.email", "test@runrec.invalid");
  assertEquals((await emit("BASE", "2026-01-01T00:00:00Z")).code, 0);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  await git(root, "checkout", "-qb", "side");
  assertEquals((await emit("SIDE", "2026-01-02T00:00:00Z")).code, 0);
  await Deno.writeTextFile(datasheet, "# Datasheet\n\nside\n");
  await git(root, "commit", "-qam", "side");
  await git(root, "checkout", "-q", "main");
  assertEquals((await emit("MAIN", "2026-01-03T00:00:00Z")).code, 0);
  await Deno.writeTextFile(datasheet, "# Datasheet\n\nmain\n");
  await git(root, "commit", "-qam", "main");
  const base = await git(root, "rev-parse", "main~1");
  const file = join(del, "RunRecords.csv");
  const verify = (since: string) =>
    runCliProcess(["verify", del, "--since", since], FULL_FLAGS, env);
  return { root, del, env, emit, datasheet, base, file, verify };
}

/**
 * `git merge` of `branches` (`side` when none) in `root`, expected to stop on Datasheet.md's
 * conflict.
 *
 * @example
 * ```ts
 * import { diverged, mergeStopped } from "./merge_stopped.ts";
 * const { root } = await diverged();
 * await mergeStopped(root); // git merge side, stopped: Datasheet.md conflicts
 * ```
 */
export async function mergeStopped(root: string, ...branches: string[]): Promise<void> {
  const merge = await new Deno.Command("git", {
    args: ["merge", ...branches.length ? branches : ["side"]],
    cwd: root,
    stdout: "null",
    stderr: "null",
  }).output();
  assertEquals(merge.code, 1, "Datasheet.md conflicts");
}
