/**
 * Stop 54's flush --from, journalOnly, warning, supersede and remedy changes attacked through the
 * CLI: real processes, real files, real git repositories.
 *
 * ```sh
 * deno test -A tests/review1_54_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { recordsOf } from "./support/runs.ts";
import { saveLostMany } from "./support/spooled.ts";
import { runCliProcess } from "./cli.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { journalPath } from "../src/journal.ts";

Deno.test("flush --from of many lost records into one file keeps its journal under 2 MiB: each append reads it whole, and 3.3 MB of lines appended under one lock grew it to 9 MB, read for each record (review1-54 1)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const file = join(del, RECORD_FILE);
    // 300 records of 10 KB: 3.3 MB of lost-record lines, a journal entry of 30 KB for each
    // (the line, the one before it, the file's first).
    const saved = join(tmp, "lost.txt");
    const saving = await saveLostMany(del, saved, 300, 10_000);
    const run = await runCliProcess(["flush", "--from", saved], undefined, { TMPDIR: tmp });
    assertEquals(run.code, 0, run.stderr);
    const agents = (await recordsOf(del)).map((r) => r.AgentName);
    assertEquals(agents, saving);
    const journal = (await Deno.stat(journalPath(file))).size;
    console.log(`journal after 300 records: ${journal} bytes`);
    // Cut to under 1 MiB at each lock's look; a batch adds to it at most 256 KiB of lines' worth.
    assert(journal < 2 << 20, `journal of ${journal} bytes`);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

/** The `git --no-pager show …` commands `text` names between backquotes. */
function gitShowCommands(text: string): string[] {
  return [...text.matchAll(/`(git --no-pager show [^`]+)`/g)].map((m) => m[1]!);
}

Deno.test("the git --no-pager show a merge's remedy names, run as printed in bash, prints the version of a record file whose folder name holds a space, parentheses and a dollar sign: the path was not quoted (review1-54 2)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const folder = join(del, "..", "DEL-01-02_Pump (spare) $x");
    await Deno.rename(del, folder);
    const relative = "PKG-01_Pkg/1_Working/DEL-01-02_Pump (spare) $x";
    const env = { TMPDIR: tmp };
    const emit = async (agent: string, hour: string) => {
      const run = await runCliProcess(
        [
          "emit",
          relative,
          "--agent",
          agent,
          "--status",
          "SUCCESS",
          "--started",
          `2026-03-01T${hour}:00:00Z`,
        ],
        undefined,
        env,
        root,
      );
      assertEquals(run.code, 0, run.stderr);
    };
    await git(root, "init", "-q");
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "project");
    await emit("ONE", "09");
    await git(root, "add", "-A");
    await git(root, "commit", "-qm", "one");
    await git(root, "checkout", "-qb", "side");
    await emit("SIDE", "10");
    await git(root, "commit", "-qam", "side");
    await git(root, "checkout", "-q", "main");
    await emit("MAIN", "11");
    await git(root, "commit", "-qam", "main");
    // The merged branch's record dropped (ours), then main's own (the first parent's) dropped.
    await git(root, "merge", "-q", "-s", "ours", "side", "-m", "drops side's record");
    await git(root, "checkout", "-qb", "other", "HEAD~1");
    await git(root, "merge", "-q", "--no-commit", "-s", "ours", "side");
    await git(root, "checkout", "side", "--", `${relative}/${RECORD_FILE}`);
    await git(root, "commit", "-qm", "drops main's record");

    const cases = [
      ["main~1", "SIDE", "which the merged branch appended"],
      ["other~1", "MAIN", "keeping both sides' lines"],
    ];
    for (const [since, dropped, says] of cases) {
      const head = since.split("~")[0]!;
      await git(root, "checkout", "-q", head);
      const verify = await runCliProcess(["verify", "--since", since, "."], undefined, env, root);
      assertEquals(verify.code, 1, verify.stdout + verify.stderr);
      assert((verify.stdout + verify.stderr).includes(says!), verify.stdout + verify.stderr);
      const commands = gitShowCommands(verify.stdout + verify.stderr);
      assertEquals(commands.length, 1, verify.stdout + verify.stderr);
      // Run as printed, from the deliverable's folder: bash reads the command's words.
      const shown = await new Deno.Command("bash", {
        args: ["-c", commands[0]!],
        cwd: folder,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(shown.stderr);
      assertEquals(shown.code, 0, `${commands[0]}: ${stderr}`);
      assert(new TextDecoder().decode(shown.stdout).includes(`,${dropped},`), commands[0]);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});
