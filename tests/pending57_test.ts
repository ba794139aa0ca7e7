/**
 * pending-57: the edges twice-56 and review4-56 left on start/finish/reap. A reaped run's file
 * `git stash pop` put back after its late finish is cleared by reap; a late finish claiming the
 * copy of a reaped run whose file was removed carries one note; a late finish from inside an
 * unrelated repository refuses where nothing names the run's work tree; a copy that cannot be
 * renamed into `reaped/` (another file system) is copied there; a claim naming a live pid whose
 * start differs (a pid reused) is taken back. Real git, real agents killed (SIGKILL), real mounts,
 * runrec as real processes.
 *
 * ```sh
 * deno test -A tests/pending57_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import {
  cli,
  DEL,
  keptRuns,
  killAgent,
  killedRun,
  repository,
  runsOfB,
  sleepingAgent,
} from "./support/work_tree_project.ts";
import { mountReadOnly, unmount } from "./support/read_only.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { git } from "./fixtures.ts";
import { recordsOf, RUNREC } from "./support/runs.ts";

/** The run id of a token. */
function killedId(token: string): string {
  return token.split("/").at(-1)!.replace(/\.json$/, "");
}

/** Whether `path` is there. */
async function there(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("a reaped run's file that git stash pop put back after its late finish superseded the FAILED record: reap removes it, writes nothing; one waiting for its late finish is left", async () => {
  const { root, env } = await repository();
  const token = await killedRun(root, env);
  const id = token.split("/").at(-1)!.replace(/\.json$/, "");
  const kept = join(root, DEL, ".runrec", "reaped", `${id}.json`);
  assertEquals((await cli(root, env, "reap", ".")).code, 0);
  assert(await there(kept), "reap keeps the run for its late finish");
  // Stashed with git's ignored files, and put back at once: the stash keeps a copy.
  await git(root, "stash", "push", "-q", "--all", "--", join(DEL, ".runrec", "reaped"));
  await git(root, "stash", "apply", "-q");
  const waiting = await cli(root, env, "reap", ".");
  assertEquals(waiting.code, 0, waiting.stderr);
  assert(await there(kept), `a run waiting for its late finish is left: ${waiting.stdout}`);

  const late = await cli(root, env, "finish", token, "--status", "SUCCESS");
  assertEquals(late.code, 0, late.stderr);
  assert(!await there(kept));
  await git(root, "stash", "pop", "-q");
  assert(await there(kept), "git stash pop puts the reaped file back");

  const reap = await cli(root, env, "reap", ".");
  assertEquals(reap.code, 0, reap.stderr);
  assertMatch(reap.stdout, /came back \(git stash pop, a restored copy\?\) after its late finish/);
  assert(!await there(kept), reap.stdout);
  assertEquals((await runsOfB(join(root, DEL))).map((r) => r.RunStatus), ["FAILED", "SUCCESS"]);
  const again = await cli(root, env, "reap", ".");
  assertEquals(again.code, 0, again.stderr);
  assertEquals((await runsOfB(join(root, DEL))).length, 2);
});

Deno.test("a killed agent's run whose pending file git clean -x removed, reaped FAILED from its copy while reaped/ is read-only (a bind mount): its late finish claims the copy and supersedes with one note, not also 'finished from its copy'", async () => {
  const { root, env } = await repository();
  const token = await killedRun(root, env);
  await git(root, "clean", "-qfdx");
  const reaped = join(root, DEL, ".runrec", "reaped");
  await Deno.mkdir(reaped, { recursive: true });
  await mountReadOnly(reaped);
  try {
    const reap = await cli(root, env, "reap", ".");
    assertEquals(reap.code, 0, reap.stderr);
    assertMatch(reap.stderr, /not moved into/);
  } finally {
    await unmount(reaped);
  }
  assertEquals((await keptRuns(root)).length, 1);
  const late = await cli(root, env, "finish", token, "--status", "SUCCESS");
  assertEquals(late.code, 0, late.stderr);
  const [failed, success] = await runsOfB(join(root, DEL));
  assertEquals([failed.RunStatus, success.RunStatus], ["FAILED", "SUCCESS"]);
  assertMatch(success.Notes, new RegExp(`finished after reap: supersedes=${failed.RunID}`));
  assert(!success.Notes.includes("finished from its copy"), success.Notes);
  assertEquals(await keptRuns(root), []);
});

/** The claim name of `pid` on this host, with the start (ms since boot) `startMs`. */
function claimOf(pid: number, startMs: number): string {
  return `${pid}@${Deno.hostname().replace(/[^0-9A-Za-z.-]/g, "_")}~${startMs}`;
}

/**
 * When the live process `pid` started, in ms since boot, as the system tells it (`/proc`, read
 * by `cat`: Deno refuses it without --allow-all).
 */
async function startSinceBootMs(pid: number): Promise<number> {
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`] }).output();
  const stat = new TextDecoder().decode(out.stdout);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]) * 10;
}

/**
 * A free pid given again, as the kernel gives a dead process's pid to a later one: a `sleep`
 * started with `pid` after this call (`ns_last_pid`, root; written by a shell, as Deno refuses
 * /proc to a test), some tries as other processes of the machine may take it first. Its end.
 */
async function processAt(pid: number): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const shell = new Deno.Command("sh", {
      args: ["-c", `echo ${pid - 1} > /proc/sys/kernel/ns_last_pid; sleep 600 & echo $!; wait`],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = shell.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    const child = Number(text.trim());
    const stop = async () => {
      if (child > 0) Deno.kill(child, "SIGKILL");
      await reader.cancel();
      await shell.status;
    };
    if (child === pid) return stop;
    await stop();
  }
  throw new Error(`pid ${pid} not given again in 200 tries`);
}

/** A free pid: one of a process just ended. */
async function freePid(): Promise<number> {
  const ended = sleepingAgent();
  await killAgent(ended);
  return ended.pid;
}

Deno.test("a pending run's claim naming a live pid whose start is another (its finisher killed, the pid given again) is reaped; one naming a live finisher with its own start, or in the old form, is left", async () => {
  const { root, env } = await repository();
  // The dead finisher's claim made first; the process that got its pid started after it.
  const pid = await freePid();
  const claims: Record<string, string> = { reused: claimOf(pid, 1_000) };
  const tokens: Record<string, string> = { reused: await killedRun(root, env) };
  await Deno.rename(tokens.reused, `${tokens.reused}.claim-${claims.reused}`);
  await new Promise((resolve) => setTimeout(resolve, 2_100)); // the claim's ctime: whole seconds
  const stopReused = await processAt(pid);
  try {
    claims.live = claimOf(pid, await startSinceBootMs(pid));
    claims.old = `${pid}@${Deno.hostname().replace(/[^0-9A-Za-z.-]/g, "_")}`;
    for (const name of ["live", "old"]) {
      tokens[name] = await killedRun(root, env);
      await Deno.rename(tokens[name], `${tokens[name]}.claim-${claims[name]}`);
    }
    // A real finisher killed (SIGKILL) at its record's write: its claim names its start.
    const killed = await killedRun(root, env);
    const finish = await new Deno.Command("strace", {
      args: [
        ...["-f", "-qq", "-o", "/dev/null", "-P", join(root, DEL, "RunRecords.csv")],
        ...["-e", "trace=write", "-e", "inject=write:signal=KILL"],
        ...RUNREC,
        ...["finish", killed, "--status", "SUCCESS"],
      ],
      cwd: root,
      env,
      stdout: "null",
      stderr: "null",
    }).output();
    assertEquals(finish.signal, "SIGKILL");
    const held = [...Deno.readDirSync(join(root, DEL, ".runrec", "pending"))].map((e) => e.name)
      .filter((name) => name.startsWith(killed.split("/").at(-1)!));
    assertEquals(held.length, 1);
    assertMatch(held[0], /\.claim-[0-9]+@[^~]+~[0-9]+$/);

    const reap = await cli(root, env, "reap", ".");
    assertEquals(reap.code, 0, reap.stderr);
    const runs = (await runsOfB(join(root, DEL))).filter((r) =>
      !r.Notes.includes(killedId(killed))
    );
    assertEquals(runs.map((r) => r.RunStatus), ["FAILED"], reap.stdout);
    assertEquals((await runsOfB(join(root, DEL))).length, 2, reap.stdout);
    assertMatch(reap.stdout, new RegExp(`the finisher ${claims.reused} died`));
    assert(runs[0].Notes.includes(killedId(tokens.reused)), runs[0].Notes);
    for (const name of ["live", "old"]) {
      assert(await there(`${tokens[name]}.claim-${claims[name]}`), `${name}: ${reap.stdout}`);
    }
  } finally {
    await stopReused();
  }
});

Deno.test("a spool entry's claim naming a live pid whose start is another is taken back by flush at once; one naming a live replayer with its own start is left to it", async () => {
  const { root, env } = await repository();
  const file = join(root, DEL, "RunRecords.csv");
  const spool = join(root, DEL, ".runrec-spool");
  const entries = () => [...Deno.readDirSync(spool)].map((e) => e.name).filter((n) => n[0] !== ".");
  const pid = await freePid();
  let stopReplayer: (() => Promise<void>) | undefined;
  try {
    // A folder in the lock's place refuses the lock at once: the record is spooled.
    await Deno.mkdir(`${file}.lock`);
    for (const agentName of ["REUSED", "LIVE"]) {
      const spooled = await cli(
        root,
        env,
        "emit",
        DEL,
        "--agent",
        agentName,
        "--status",
        "SUCCESS",
      );
      assertMatch(spooled.stderr, /spooled to/);
    }
    await Deno.remove(`${file}.lock`);
    const [first, second] = entries().sort();
    // The dead replayer's claim made first; the process that got its pid started after it.
    await Deno.rename(join(spool, first), join(spool, `${first}.claim-${claimOf(pid, 1_000)}`));
    await new Promise((resolve) => setTimeout(resolve, 2_100)); // the claim's ctime: whole seconds
    stopReplayer = await processAt(pid);
    const start = await startSinceBootMs(pid);
    await Deno.rename(join(spool, second), join(spool, `${second}.claim-${claimOf(pid, start)}`));
    const flush = await cli(root, env, "flush", DEL);
    const agents = (await recordsOf(join(root, DEL))).map((r) => r.AgentName);
    assert(agents.includes("REUSED") && !agents.includes("LIVE"), flush.stdout + flush.stderr);
    assertEquals(entries(), [`${second}.claim-${claimOf(pid, start)}`]);
  } finally {
    await stopReplayer?.();
  }
});
