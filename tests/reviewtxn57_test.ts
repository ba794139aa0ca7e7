/**
 * The reference-transaction hook of docs/CI.md (`examples/ci/reference-transaction`) where the
 * server differs from a plain `git-receive-pack`: a receive-pack started with git's options first
 * (as hosting software starts it), and a machine without `ps` (a slim container). The set-up of
 * `tests/support/pre_receive.ts`.
 *
 * @module
 */
import { delimiter, join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { git, minutelyHistory, tempDir } from "./fixtures.ts";
import { served } from "./support/pre_receive.ts";

/** A served repository whose branch `feat` alone holds a run (a loose ref on the server). */
async function withRun() {
  const server = await served(2, { transaction: true });
  const { root, write, commit, push } = server;
  await git(root, "checkout", "-q", "-b", "feat");
  await write(minutelyHistory(3));
  const run = await commit("a run not merged");
  assertEquals((await push("feat")).code, 0);
  await git(root, "checkout", "-q", "main");
  return { ...server, run };
}

Deno.test("reviewtxn57: a push to `git -c … receive-pack` (git's options first, as hosting software starts it), or to a receive-pack in a pid namespace that sees another's /proc, is checked as a push: a deletion vouched for by a ref an update hook then refuses is refused", async () => {
  const { bare, root, push, onServer, run } = await withRun();
  // An admin's check of its own refuses the new ref after pre-receive counted it as holding the run.
  await Deno.writeTextFile(
    join(bare, "hooks", "update"),
    '#!/bin/sh\ncase $1 in refs/heads/a-*) echo "a-* names are reserved" >&2; exit 1 ;; esac\n',
    { mode: 0o755 },
  );
  // The last in a pid namespace of its own whose /proc is still the machine's.
  const receivePacks = [
    "git-receive-pack",
    "git -c runrec.test=1 receive-pack",
    "unshare -pf git-receive-pack",
  ];
  for (const receivePack of receivePacks) {
    const ran = await push(`--receive-pack=${receivePack}`, "feat:refs/heads/a-keep", ":feat");
    assert(ran.code !== 0, ran.stderr);
    assertIncludes(ran.stderr, "runrec: refs/heads/feat not deleted: its commit ");
    assertEquals(
      await onServer("refs/heads/feat"),
      run,
      `the run is held by no ref (${receivePack})`,
    );
  }
  assertEquals(await git(root, "ls-remote", "origin", "refs/heads/a-keep"), "");
});

Deno.test("reviewtxn57: without ps (a slim container), git pack-refs packs a branch alone holding a run, and a lock left by a gone receive-pack is taken over", async () => {
  const { bare, root, push, pushWith, onServer, run } = await withRun();
  // PATH as it is, every program but ps.
  const noPs = await tempDir({ prefix: "runrec-no-ps-" });
  for (const dir of (Deno.env.get("PATH") ?? "").split(delimiter)) {
    const entries = await Array.fromAsync(Deno.readDir(dir)).catch(() => []);
    for (const { name } of entries) {
      // The first of a name on PATH, as the shell finds it.
      if (name !== "ps") await Deno.symlink(join(dir, name), join(noPs, name)).catch(() => {});
    }
  }
  const packed = await new Deno.Command("git", {
    args: ["pack-refs", "--all"],
    cwd: bare,
    env: { PATH: noPs },
  }).output();
  assertEquals(packed.code, 0, new TextDecoder().decode(packed.stderr));
  assertEquals(await onServer("refs/heads/feat"), run);
  assert(
    !(await Deno.stat(join(bare, "refs", "heads", "feat")).then(() => true, () => false)),
    "feat was not packed",
  );
  // A receive-pack killed between the prepared and committed states leaves its lock.
  const gone = new Deno.Command("true").spawn();
  await gone.status;
  const lock = join(bare, "runrec-deletion.lock");
  await Deno.mkdir(lock);
  await Deno.writeTextFile(join(lock, "pid"), `${gone.pid}\n`);
  await git(root, "merge", "-q", "--no-edit", "feat");
  assertEquals((await push("main")).code, 0);
  const started = Date.now();
  const deleted = await pushWith({ PATH: noPs }, ":feat");
  assertEquals(deleted.code, 0, deleted.stderr);
  assert(Date.now() - started < 30_000, "the lock was waited for");
  assertEquals(await onServer("refs/heads/feat"), "");
  assert(!(await Deno.stat(lock).then(() => true, () => false)), "the lock was left behind");
});

Deno.test("reviewtxn57: a tag moved to a tree and a deletion at once, each leaving the other's ref to hold a run, do not both land (the repository's lock, not git's, orders them)", async () => {
  const { bare, root, push, pushWith, onServer, run } = await withRun();
  await git(root, "tag", "t", run);
  assertEquals((await push("t")).code, 0);
  const tree = await git(root, "rev-parse", `${run}^{tree}`);
  // The first push's hook stops in its check (its `grep`: git puts its own folder first on a
  // hook's PATH, so not its `git`; not pre-receive's, which runs in the quarantine) until told to go
  // on, holding the repository's lock.
  const held = await tempDir({ prefix: "runrec-held-" });
  const path = Deno.env.get("PATH") ?? "";
  const grep = path.split(delimiter).map((dir) => join(dir, "grep")).find((file) => {
    try {
      return Deno.statSync(file).isFile;
    } catch {
      return false;
    }
  });
  await Deno.writeTextFile(
    join(held, "grep"),
    `#!/bin/sh\nif [ -z "\${GIT_QUARANTINE_PATH-}" ]; then\n` +
      `  : >"${held}/waiting"\n  while [ ! -e "${held}/go" ]; do sleep 0.1; done\nfi\n` +
      `exec "${grep}" "$@"\n`,
    { mode: 0o755 },
  );
  const exists = (file: string) => Deno.stat(file).then(() => true, () => false);
  const until = async (done: () => Promise<boolean>, ms: number) => {
    for (const end = Date.now() + ms; !(await done()) && Date.now() < end;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const moved = pushWith({ PATH: `${held}${delimiter}${path}` }, `+${tree}:refs/tags/t`);
  await until(() => exists(join(held, "waiting")), 30_000);
  let finished = false;
  const deleting = push(":feat").finally(() => finished = true);
  // The deletion is prepared (git holds packed-refs.lock) and its hook runs: it waits for the lock,
  // or, without one, its check passes against the tag not yet moved.
  await until(() => exists(join(bare, "packed-refs.lock")), 30_000);
  await until(() => Promise.resolve(finished), 2_000);
  await Deno.writeTextFile(join(held, "go"), "");
  const [first, second] = [await moved, await deleting];
  assertEquals(first.code, 0, first.stderr);
  assertEquals(await git(bare, "cat-file", "-t", "refs/tags/t"), "tree");
  assert(second.code !== 0, second.stderr);
  // This hook's refusal, not pre-receive's (which names no other push).
  assertIncludes(second.stderr, "changed a record file and no other ref holds it now");
  assertEquals(await onServer("refs/heads/feat"), run, "the run is held by no ref");
  assert(!(await exists(join(bare, "runrec-deletion.lock"))), "the lock was left behind");
});

/** The first `name` on PATH, as the shell finds it. */
function onPath(name: string): string {
  for (const dir of (Deno.env.get("PATH") ?? "").split(delimiter)) {
    try {
      if (Deno.statSync(join(dir, name)).isFile) return join(dir, name);
    } catch { /* not in this folder */ }
  }
  throw new Error(`no ${name} on PATH`);
}

Deno.test("edges58: a hook SIGKILLed as it takes the repository's lock (right after making it) leaves no lock that makes the next deleting push wait its minute", async () => {
  const { bare, root, push, pushWith, onServer } = await withRun();
  await git(root, "merge", "-q", "--no-edit", "feat");
  assertEquals((await push("main")).code, 0);
  // `mkdir` and `ln` that, once they made the lock, kill the hook that ran them.
  const killing = await tempDir({ prefix: "runrec-killing-" });
  for (const name of ["mkdir", "ln"]) {
    await Deno.writeTextFile(
      join(killing, name),
      `#!/bin/sh\n"${onPath(name)}" "$@" || exit\n` +
        `for last; do :; done\ncase $last in */runrec-deletion.lock) kill -9 $PPID ;; esac\n`,
      { mode: 0o755 },
    );
  }
  const killed = await pushWith({ PATH: `${killing}${delimiter}${Deno.env.get("PATH")}` }, ":feat");
  assert(killed.code !== 0, killed.stderr);
  assert((await onServer("refs/heads/feat")) !== "", "the hook was not killed");
  const started = Date.now();
  const deleted = await push(":feat");
  assertEquals(deleted.code, 0, deleted.stderr);
  assert(Date.now() - started < 30_000, "the lock was waited for");
  assertEquals(await onServer("refs/heads/feat"), "");
  assert(!(await Deno.lstat(join(bare, "runrec-deletion.lock")).then(() => true, () => false)));
});

Deno.test("edges58: a lock naming a live process that is not its holder (the holder's pid used again) is taken over at once; one naming its live holder is waited for until the holder is gone", async () => {
  const { bare, root, push, onServer } = await withRun();
  await git(root, "merge", "-q", "--no-edit", "feat");
  assertEquals((await push("main")).code, 0);
  const other = new Deno.Command("sleep", { args: ["60"] }).spawn();
  try {
    // The start time (field 22 of /proc/PID/stat, after the command's name in parentheses).
    // Read by cat: Deno lets only --allow-all read /proc.
    const read = await new Deno.Command("cat", { args: [`/proc/${other.pid}/stat`] }).output();
    const stat = new TextDecoder().decode(read.stdout);
    const start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    const lock = join(bare, "runrec-deletion.lock");
    // A receive-pack's lock whose process is gone, its pid now a `sleep` started after it.
    await Deno.symlink(`${other.pid} ${Number(start) - 1}`, lock);
    let started = Date.now();
    const deleted = await push(":feat");
    assertEquals(deleted.code, 0, deleted.stderr);
    assert(Date.now() - started < 30_000, "the lock was waited for");
    assertEquals(await onServer("refs/heads/feat"), "");
    // The same pid and its own start time: the holder, alive; waited for until it is gone.
    assertEquals((await push("main:refs/heads/feat")).code, 0);
    await Deno.symlink(`${other.pid} ${start}`, lock);
    started = Date.now();
    const waiting = push(":feat");
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assertEquals(await onServer("refs/heads/feat"), await git(root, "rev-parse", "main"));
    other.kill("SIGKILL");
    const waited = await waiting;
    assertEquals(waited.code, 0, waited.stderr);
    assert(Date.now() - started >= 3_000);
    assertEquals(await onServer("refs/heads/feat"), "");
  } finally {
    try {
      other.kill("SIGKILL");
    } catch { /* gone already */ }
    await other.status;
  }
});
