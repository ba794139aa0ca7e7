/**
 * `gitHead` reads HEAD from the repository's files; every case is checked
 * against `git rev-parse HEAD` in a real temporary repository.
 */
import { strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { gitHead } from "../src/git.ts";
import { git as fixtureGit, makeProject, tempDir } from "./fixtures.ts";
import { finishRun, startRun } from "../src/run.ts";
import { memoLookups } from "../src/lookups.ts";
import { requireReadable } from "../src/required_permissions.ts";
import { NOBODY, runAsNobody } from "./support/nobody.ts";

/** Runs git in `cwd` with this process's environment (GIT_DIR included, when a test sets it). */
async function run(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string }> {
  const { code, stdout } = await new Deno.Command("git", {
    args: ["-c", "user.name=t", "-c", "user.email=t@example.org", ...args],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
    env: { GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" },
  }).output();
  return { code, stdout: new TextDecoder().decode(stdout).trim() };
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { code, stdout } = await run(cwd, ...args);
  if (code !== 0) throw new Error(`git ${args.join(" ")} failed in ${cwd}`);
  return stdout;
}

/** What `git rev-parse --verify -q HEAD` prints in `dir`, or `""`. */
async function revParse(dir: string): Promise<string> {
  const { code, stdout } = await run(dir, "rev-parse", "--verify", "-q", "HEAD");
  return code === 0 ? stdout : "";
}

async function withRepo(fn: (root: string) => Promise<void>, ...initArgs: string[]) {
  const root = await Deno.realPath(await tempDir({ prefix: "runrec_githead_" }));
  try {
    await git(root, "init", "-q", "-b", "main", ...initArgs);
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function commit(root: string, message: string): Promise<string> {
  await Deno.writeTextFile(join(root, `${message}.txt`), message);
  await git(root, "add", "-A");
  await git(root, "commit", "-q", "-m", message);
  return await git(root, "rev-parse", "HEAD");
}

async function same(dir: string, expected?: string) {
  const ours = await gitHead(dir);
  strictEqual(ours, await revParse(dir), dir);
  if (expected !== undefined) strictEqual(ours, expected, dir);
  // As emit asks it: from the look-ups its permission check made (its listings, the `.git` judged
  // and `HEAD` read there), the same answer.
  const lookups = memoLookups();
  requireReadable(dir, dir, lookups);
  strictEqual(await gitHead(dir, lookups), ours, `${dir}, from a run's look-ups`);
}

Deno.test("gitHead: a fresh repository (unborn branch) has no HEAD", async () => {
  await withRepo(async (root) => {
    await same(root, "");
    await Deno.mkdir(join(root, "a", "b"), { recursive: true });
    await same(join(root, "a", "b"), "");
  });
});

Deno.test("gitHead: outside any repository", async () => {
  const dir = await tempDir({ prefix: "runrec_githead_none_" });
  try {
    // /tmp is normally outside any work tree; if not, gitHead still agrees with git.
    await same(dir);
    strictEqual(await gitHead(join(dir, "missing", "folder")), await revParse(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gitHead: one commit, from the top and from a subfolder", async () => {
  await withRepo(async (root) => {
    const id = await commit(root, "one");
    await same(root, id);
    const sub = join(root, "PKG-01_X", "1_Working", "DEL-01-02_Y");
    await Deno.mkdir(sub, { recursive: true });
    await same(sub, id);
    const second = await commit(root, "two");
    await same(sub, second);
  });
});

Deno.test("gitHead: detached HEAD", async () => {
  await withRepo(async (root) => {
    const first = await commit(root, "one");
    await commit(root, "two");
    await git(root, "checkout", "-q", "--detach", first);
    await same(root, first);
  });
});

Deno.test("gitHead: packed refs (git pack-refs --all), then a newer loose ref", async () => {
  await withRepo(async (root) => {
    await commit(root, "one");
    await git(root, "branch", "other");
    const id = await commit(root, "two");
    await git(root, "pack-refs", "--all");
    strictEqual(
      await Deno.stat(join(root, ".git", "refs", "heads", "main")).catch(() => null),
      null,
    );
    await same(root, id);
    await git(root, "checkout", "-q", "other");
    await same(root);
    const newer = await commit(root, "three"); // loose again, shadows the packed one
    await same(root, newer);
  });
});

Deno.test("gitHead: HEAD pointing at a symbolic ref", async () => {
  await withRepo(async (root) => {
    const id = await commit(root, "one");
    await git(root, "symbolic-ref", "refs/heads/alias", "refs/heads/main");
    await git(root, "symbolic-ref", "HEAD", "refs/heads/alias");
    await same(root, id);
  });
});

Deno.test("gitHead: a linked work tree (git worktree add), packed or not", async () => {
  await withRepo(async (root) => {
    const first = await commit(root, "one");
    const tree = `${root}-wt`;
    try {
      await git(root, "worktree", "add", "-q", "-b", "feature", tree);
      await same(tree, first);
      const sub = join(tree, "sub");
      await Deno.mkdir(sub);
      await same(sub, first);
      const second = await commit(tree, "two");
      await same(tree, second);
      await same(root, first); // the main work tree is still on main
      await git(root, "pack-refs", "--all");
      await same(tree, second);
      await git(tree, "checkout", "-q", "--detach", first);
      await same(tree, first);
    } finally {
      await Deno.remove(tree, { recursive: true }).catch(() => {});
    }
  });
});

Deno.test("gitHead: a submodule-style .git file with a relative gitdir", async () => {
  await withRepo(async (root) => {
    const id = await commit(root, "one");
    // Move the git folder away and point at it as submodules do.
    const inner = join(root, "inner");
    await Deno.mkdir(inner);
    await Deno.rename(join(root, ".git"), join(root, "stored-git"));
    await Deno.writeTextFile(join(root, ".git"), "gitdir: stored-git\n");
    await same(root, id);
    await same(inner, id);
  });
});

Deno.test("gitHead: a SHA-256 repository", async () => {
  const probe = await tempDir({ prefix: "runrec_githead_probe_" });
  const supported = (await run(probe, "init", "-q", "--object-format=sha256")).code === 0;
  await Deno.remove(probe, { recursive: true });
  if (!supported) return; // this git cannot make one
  await withRepo(async (root) => {
    const id = await commit(root, "one");
    strictEqual(id.length, 64);
    await same(root, id);
  }, "--object-format=sha256");
});

/** `gitHead(dir)` and `git rev-parse HEAD` in `dir`, both with `env` set in this process. */
async function withEnvironment(env: Record<string, string>, fn: () => Promise<void>) {
  const before = Object.fromEntries(Object.keys(env).map((k) => [k, Deno.env.get(k)]));
  for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
  try {
    await fn();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) Deno.env.delete(k);
      else Deno.env.set(k, v);
    }
  }
}

Deno.test("gitHead: GIT_DIR names the repository, as git honours it (with or without GIT_WORK_TREE)", async () => {
  await withRepo(async (root) => {
    const ours = await commit(root, "ours");
    const other = await Deno.realPath(await tempDir({ prefix: "runrec_githead_other_" }));
    await git(other, "init", "-q", "-b", "main");
    const theirs = await commit(other, "theirs");
    const sub = join(root, "DEL-01-02_X");
    await Deno.mkdir(sub);
    const outside = await Deno.realPath(await tempDir({ prefix: "runrec_githead_none_" }));
    // GIT_DIR of the other repository: git reads its HEAD from any folder, this one's too.
    await withEnvironment({ GIT_DIR: join(other, ".git") }, async () => {
      await same(sub, theirs);
      await same(outside, theirs);
    });
    await withEnvironment({ GIT_DIR: join(other, ".git"), GIT_WORK_TREE: other }, async () => {
      await same(sub, theirs);
    });
    // GIT_WORK_TREE alone changes no HEAD.
    await withEnvironment({ GIT_WORK_TREE: other }, async () => {
      strictEqual(await gitHead(sub), ours);
    });
    await same(sub, ours);
  });
});

Deno.test("gitHead: a deliverable reached through a symbolic link has the HEAD of its real path", async () => {
  await withRepo(async (root) => {
    const id = await commit(root, "one");
    const del = join(root, "PKG-01_X", "DEL-01-02_Y");
    await Deno.mkdir(del, { recursive: true });
    const links = await Deno.realPath(await tempDir({ prefix: "runrec_githead_link_" }));
    await Deno.symlink(join(root, "PKG-01_X"), join(links, "pkg"));
    // git starts in the link's target (its working folder is a real path), and so does gitHead.
    await same(join(links, "pkg", "DEL-01-02_Y"), id);
    await same(join(links, "pkg"), id);
  });
});

Deno.test("gitHead: names that differ from .git only by case are not it", async () => {
  await withRepo(async (root) => {
    const id = await commit(root, "one");
    const sub = join(root, "sub");
    await Deno.mkdir(join(sub, ".GIT"), { recursive: true });
    await Deno.writeTextFile(join(sub, ".Git"), "gitdir: nowhere\n");
    await same(sub, id); // the root's .git, on a case-sensitive file system as git finds it
  });
  const outside = await tempDir({ prefix: "runrec_githead_case_" });
  try {
    await Deno.mkdir(join(outside, ".GIT"));
    await Deno.writeTextFile(join(outside, ".GIT", "HEAD"), `${"1".repeat(40)}\n`);
    await same(outside);
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("gitHead of an emit by a user who cannot list a folder on the way: found above it, not in it", async () => {
  await withRepo(async (root) => {
    const id = await commit(root, "one");
    const del = join(root, "PKG-01_X", "DEL-01-02_Y");
    await Deno.mkdir(del, { recursive: true });
    await Deno.writeTextFile(join(del, "_CONTEXT.md"), "**DeliverableID:** DEL-01-02\n");
    await Deno.chown(del, NOBODY, NOBODY);
    // Passed through, never listed: the package folder, then the repository's root itself.
    await Deno.chmod(root, 0o755);
    await Deno.chmod(join(root, "PKG-01_X"), 0o711);
    const emit = ["emit", del, "--agent", "A", "--status", "SUCCESS", "--no-fsync", "--json"];
    const below = await runAsNobody(emit);
    strictEqual(below.code, 0, below.stderr);
    strictEqual(JSON.parse(below.stdout).GitHead, id);
    // The root's listing holds its .git: unread, so no HEAD (as git's `.git` is not looked up).
    await Deno.chmod(root, 0o711);
    const unlisted = await runAsNobody(emit);
    strictEqual(unlisted.code, 0, unlisted.stderr);
    strictEqual(JSON.parse(unlisted.stdout).GitHead, "");
  });
});

Deno.test("gitHead of a started run: HEAD at start is kept in the pending run; when HEAD moved by finish, a note names both commits", async () => {
  const { root, del } = await makeProject();
  try {
    await fixtureGit(root, "init", "-q");
    await fixtureGit(root, "add", "-A");
    await fixtureGit(root, "commit", "-q", "-m", "base");
    const atStart = (await fixtureGit(root, "rev-parse", "HEAD")).trim();
    await fixtureGit(root, "checkout", "-q", "-b", "B");
    await Deno.writeTextFile(join(del, "Datasheet.md"), "# Datasheet\n\nbranch B\n");
    await fixtureGit(root, "commit", "-q", "-am", "B");
    const onB = (await fixtureGit(root, "rev-parse", "HEAD")).trim();
    await fixtureGit(root, "checkout", "-q", "main");

    // HEAD stays put: no note.
    const still = await startRun(del, { agent: "4_DOCUMENTS", inputs: ["Datasheet.md"] });
    strictEqual(still.run.gitHead, atStart);
    const kept = JSON.parse(await Deno.readTextFile(still.token!));
    strictEqual(kept.gitHead, atStart);
    const quiet = await finishRun(still, { status: "SUCCESS" });
    strictEqual(quiet.written?.record.GitHead, atStart);
    strictEqual(quiet.written?.record.Notes.includes("HEAD moved"), false);

    // Another branch checked out during the run: the inputs were read under atStart.
    const moved = await startRun(del, { agent: "4_DOCUMENTS", inputs: ["Datasheet.md"] });
    await fixtureGit(root, "checkout", "-q", "B");
    const outcome = await finishRun(moved, { status: "SUCCESS" });
    const record = outcome.written!.record;
    strictEqual(record.GitHead, onB); // SCHEMA.md: the commit checked out when the run ended
    const notes = record.Notes;
    strictEqual(
      notes.includes(
        `git HEAD moved during the run, from ${atStart} (when the inputs were hashed) to ${onB}`,
      ),
      true,
      notes,
    );
    strictEqual(notes.includes("something else did"), false, notes);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
