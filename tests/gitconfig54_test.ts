/**
 * runrec under a user's git configuration: settings a user's `~/.gitconfig` (here a file
 * `GIT_CONFIG_GLOBAL` names), the system's or the repository's may hold change the output of the
 * gits runrec starts and reads; runrec's answers must not change with them. Real git
 * repositories, signed commits (an SSH key `ssh-keygen` makes), the CLI as a process.
 *
 * ```sh
 * deno test -A tests/gitconfig54_test.ts
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join, relative } from "node:path";
import { assertEquals, assertIncludes } from "./assert.ts";
import { emitArgs, runCliProcess } from "./cli.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { git, gitOutput, makeProject, tempDir } from "./fixtures.ts";
import { UNION } from "./support/merge_stopped.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";

/** The environment of a runrec whose user's git configuration is `config` (a gitconfig file's text). */
async function userConfig(config: string): Promise<Record<string, string>> {
  const file = join(await tempDir({ prefix: "runrec-gitconfig-" }), "gitconfig");
  await Deno.writeTextFile(file, config);
  return { GIT_CONFIG_GLOBAL: file };
}

/** A project with `.gitattributes`' union line and one run of `agent`, committed on `main`. */
async function recordedProject(agent: string) {
  const { root, del } = await makeProject();
  await Deno.writeTextFile(join(root, ".gitattributes"), UNION);
  await git(root, "init", "-q");
  await emitTo(del, agent);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", agent);
  return { root, del };
}

/** Records a run of `agent` in `del`. */
async function emitTo(del: string, agent: string): Promise<void> {
  const args = ["emit", del, "--agent", agent, "--status", "SUCCESS"];
  const emitted = await runCliProcess(args);
  assertEquals(emitted.code, 0, emitted.stderr);
}

Deno.test("verify of main, a run recorded and committed on a branch since: passes whatever git grep's settings (grep.lineNumber, grep.column, color.grep or color.ui always, grep.fullName); it named the run 'in no file, branch, tag or stash'", async () => {
  const { root, del } = await recordedProject("MAIN1");
  await git(root, "checkout", "-qb", "feature");
  await emitTo(del, "FEAT1");
  await git(root, "commit", "-qam", "FEAT1");
  await git(root, "checkout", "-q", "main");
  for (
    const setting of [
      "[grep]\n\tlineNumber = true\n",
      "[grep]\n\tcolumn = true\n",
      "[color]\n\tgrep = always\n",
      "[color]\n\tui = always\n",
      "[grep]\n\tfullName = true\n",
    ]
  ) {
    const env = await userConfig(setting);
    const verify = await runCliProcess(["verify", del], FULL_FLAGS, env, root);
    assertEquals(verify.code, 0, `${setting}${verify.stdout}${verify.stderr}`);
    assertIncludes(verify.stdout, "ok: 1 record, 0 errors, 0 warnings");
  }
});

Deno.test("emit --started in a fresh clone of signed commits, log.showSignature=true: an input unchanged since is not said to have changed after the run ended (git's signature check came before the commit id)", async () => {
  const keys = await tempDir({ prefix: "runrec-key-" });
  const key = join(keys, "key");
  const made = await new Deno.Command("ssh-keygen", {
    args: ["-q", "-t", "ed25519", "-N", "", "-C", "t@t", "-f", key],
    stdout: "null",
  }).output();
  assertEquals(made.code, 0, new TextDecoder().decode(made.stderr));
  const allowed = join(keys, "allowed");
  await Deno.writeTextFile(allowed, `t@t ${await Deno.readTextFile(`${key}.pub`)}`);
  const { root, del } = await makeProject();
  await Deno.writeTextFile(join(del, "A.md"), "a\n");
  // Committed five hours ago, signed; cloned now, so HEAD's reflog does not reach the run.
  const fiveHoursAgo = `@${Math.floor(Date.now() / 1000 - 5 * 3600)} +0000`;
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  const signed = [
    "-c",
    "commit.gpgsign=true",
    "-c",
    "gpg.format=ssh",
    "-c",
    `user.signingkey=${key}`,
  ];
  const committed = await new Deno.Command("git", {
    args: ["-c", "user.name=t", "-c", "user.email=t@t", ...signed, "commit", "-qm", "signed"],
    cwd: root,
    env: { GIT_COMMITTER_DATE: fiveHoursAgo, GIT_AUTHOR_DATE: fiveHoursAgo },
  }).output();
  assertEquals(committed.code, 0, new TextDecoder().decode(committed.stderr));
  const clone = join(await tempDir({ prefix: "runrec-clone-" }), "clone");
  await git(root, "clone", "-q", `file://${root}`, clone);
  const cloned = join(clone, relative(root, del));
  const env = await userConfig(
    `[log]\n\tshowSignature = true\n[gpg]\n\tformat = ssh\n[gpg "ssh"]\n\tallowedSignersFile = ${allowed}\n`,
  );
  const started = new Date(Date.now() - 2 * 3_600_000).toISOString();
  const args = emitArgs(cloned, "--started", started, "--duration", "10m", "--input", "A.md");
  const emitted = await runCliProcess(args, FULL_FLAGS, env);
  assertEquals(emitted.code, 0, emitted.stderr);
  assertEquals(emitted.stderr.includes("after the run ended"), false, emitted.stderr);
});

Deno.test("verify --since of an orphan branch's history, log.showRoot=false: a record removed after its root commit still fails K-APPEND-1; the file's history was not seen ('nothing to compare', exit 0)", async () => {
  const { root, del } = await recordedProject("MAIN1");
  await git(root, "checkout", "-q", "--orphan", "restart");
  await git(root, "commit", "-qm", "restart");
  await emitTo(del, "NEW1");
  await git(root, "commit", "-qam", "NEW1");
  const file = join(del, "RunRecords.csv");
  const lines = (await Deno.readTextFile(file)).split("\n");
  await Deno.writeTextFile(file, [...lines.slice(0, -2), ""].join("\n"));
  await git(root, "commit", "-qam", "NEW1 removed");
  const env = await userConfig("[log]\n\tshowRoot = false\n");
  const verify = await runCliProcess(["verify", del, "--since", "main"], FULL_FLAGS, env, root);
  assertEquals(verify.code, 1, verify.stdout + verify.stderr);
  assertIncludes(verify.stdout, "K-APPEND-1 broken in commit");
  assertIncludes(verify.stdout, '"NEW1 removed"');
});

Deno.test("a pre-commit hook's verify after git --git-dir=.git --work-tree=. commit (git gives the hook GIT_DIR=.git, GIT_WORK_TREE=.): it still names the runs only the journal holds, and the commit is refused; it passed them ('ok', exit 0)", async () => {
  const { root, del } = await recordedProject("MAIN1");
  await git(root, "checkout", "-qb", "feature");
  await emitTo(del, "FEAT1");
  await emitTo(del, "FEAT2");
  // Both lines go with the branch's uncommitted file: the journal alone holds them.
  await git(root, "checkout", "-qf", "main");
  await git(root, "branch", "-qD", "feature");
  const seen = join(await tempDir({ prefix: "runrec-hook-" }), "seen");
  const runrec = [Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY].map((w) => `'${w}'`).join(" ");
  const hook = join(root, ".git", "hooks", "pre-commit");
  await Deno.writeTextFile(
    hook,
    `#!/bin/sh\necho "GIT_DIR=$GIT_DIR GIT_WORK_TREE=$GIT_WORK_TREE" > '${seen}'\n` +
      `exec ${runrec} verify '${relative(root, del)}'\n`,
  );
  await Deno.chmod(hook, 0o755);
  const commit = await gitOutput(
    root,
    ...["--git-dir=.git", "--work-tree=.", "commit", "-q", "--allow-empty", "-m", "gated"],
  );
  assertEquals(
    await Deno.readTextFile(seen),
    "GIT_DIR=.git GIT_WORK_TREE=.\n",
    "git 2.39 gives the hook these",
  );
  // git passes a hook's standard output on to its own standard error.
  const said = new TextDecoder().decode(commit.stderr);
  assertEquals(commit.code, 1, said);
  assertIncludes(said, "FAILED: 1 record, 2 errors");
  assertIncludes(said, "is in no file, branch, tag or stash, only in this work tree's journal");
});

Deno.test("verify --since of a deliverable in a submodule, GIT_DIR and GIT_WORK_TREE naming the superproject (as git gives the hooks of git --git-dir=<abs> --work-tree=<abs>, or relative): checked in the submodule's own history; it stopped with 'not in its repository; fetch it' (exit 2)", async () => {
  const root = await Deno.realPath(await tempDir({ prefix: "runrec-gitconfig-sub-" }));
  const source = join(root, "source");
  const del = join(source, "DEL-01-02_Thing");
  await Deno.mkdir(del, { recursive: true });
  await Deno.writeTextFile(join(del, "_CONTEXT.md"), "**DeliverableID:** DEL-01-02\n");
  await git(source, "init", "-q");
  await emitTo(del, "FIRST");
  await git(source, "add", "-A");
  await git(source, "commit", "-qm", "first");
  const top = join(root, "super");
  await Deno.mkdir(top);
  await git(top, "init", "-q");
  await git(top, "submodule", "add", "-q", source, "sub");
  await git(top, "commit", "-qm", "sub at first");
  const inSub = join(top, "sub", "DEL-01-02_Thing");
  await emitTo(inSub, "SECOND");
  await git(join(top, "sub"), "commit", "-qam", "second");
  await git(top, "commit", "-qam", "sub at second");
  for (const [gitDir, workTree] of [[join(top, ".git"), top], [".git", "."]]) {
    const env = { GIT_DIR: gitDir, GIT_WORK_TREE: workTree };
    const verify = await runCliProcess(["verify", ".", "--since", "HEAD~1"], FULL_FLAGS, env, top);
    assertEquals(verify.code, 0, `${gitDir}: ${verify.stdout}${verify.stderr}`);
    assertIncludes(verify.stdout, "K-APPEND-1 holds since HEAD~1");
    assertIncludes(verify.stdout + verify.stderr, "submodule sub: checked in its own history");
  }
});

Deno.test("the git commands verify's messages give still show the change under diff.relative=true, run from another folder of the work tree (--no-relative); git log -S printed nothing", async () => {
  const { root, del } = await recordedProject("MAIN1");
  await Deno.mkdir(join(root, "elsewhere"));
  const file = join(del, "RunRecords.csv");
  const record = (await Deno.readTextFile(file)).trimEnd().split("\n").at(-1)!;
  // The same run's record again, its Host (the last cell before RecordChecksum) changed and its
  // RecordChecksum recomputed.
  const kept = record.slice(0, record.lastIndexOf(","));
  const body = `${kept.slice(0, kept.lastIndexOf(","))},another-host`;
  const copy = `${body},${createHash("sha256").update(body).digest("hex")}\n`;
  await Deno.writeTextFile(file, copy, { append: true });
  await git(root, "commit", "-qam", "edit");
  const verify = await runCliProcess(["verify", file], FULL_FLAGS, {}, root);
  const command = /the commit that added the copy: `(.+?)`/.exec(verify.stdout)?.[1];
  assertEquals(typeof command, "string", verify.stdout);
  const env = await userConfig("[diff]\n\trelative = true\n");
  const shown = await new Deno.Command("sh", {
    args: ["-c", command!],
    cwd: join(root, "elsewhere"),
    env,
  }).output();
  assertEquals(shown.code, 0, new TextDecoder().decode(shown.stderr));
  assertEquals(/^[0-9a-f]+ edit\n$/.test(new TextDecoder().decode(shown.stdout)), true);
});
