/**
 * RunIDs of one minute on two branches that name the deliverable folder
 * differently (`git mv` on one): each branch's runs get SEQs the other's
 * have not, in one work tree, so their merge holds no RunID twice. Real git
 * repositories and real runrec processes.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/renamed_seq_test.ts
 * ```
 *
 * @module
 */
import { dirname, join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { sharedStatePath } from "../src/work_tree_lock.ts";
import { git, tempDir } from "./fixtures.ts";
import { recordsOf, RUNREC } from "./support/runs.ts";
import { spawnHeld, waitFor } from "./support/held.ts";
import {
  assertEachOnce,
  committedProject,
  emit,
  emitWithFault,
  withOtherWorkTree,
} from "./support/work_trees.ts";

Deno.test("runs of one minute in a deliverable folder git mv renamed on one branch and not on the other, the branches switched between them in one work tree: no SEQ given twice, and the merges hold every run once with no RunID twice (review-44 F2)", async () => {
  const { root, del, env } = await committedProject();
  const renamed = join(dirname(del), "DEL-01-02_Thing_Sized");
  // One minute for every run below, its start: the runs are recorded in it whenever they end.
  const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
  await git(root, "checkout", "-qb", "renamed");
  await git(root, "mv", del, renamed);
  await git(root, "commit", "-qm", "the deliverable renamed");
  await emit(renamed, env, "RENAMED_1", minute);
  await git(root, "commit", "-qam", "a run on renamed");
  await git(root, "checkout", "-q", "main");
  await emit(del, env, "MAIN_1", minute); // before: SEQ 001 again, renamed's
  await git(root, "commit", "-qam", "a run on main");
  await git(root, "checkout", "-q", "renamed");
  await emit(renamed, env, "RENAMED_2", minute); // before: SEQ 002 again, main's
  await git(root, "commit", "-qam", "another run on renamed");
  // Three runs apart, the files are under half alike: git's rename detection needs a lower bar.
  await git(root, "merge", "-q", "--no-edit", "-X", "find-renames=10%", "main");
  await assertEachOnce(root, renamed, [
    "BASE",
    "MAIN_1",
    "RENAMED_1",
    "RENAMED_2",
  ]);
});

Deno.test("runs of one minute in a deliverable folder git mv moved into another package on one branch and not on the other, the branches switched between them in one work tree: no SEQ given twice, and the merge holds no RunID twice (review-45 F1)", async () => {
  const { root, del, env } = await committedProject();
  // Its _CONTEXT.md keeps DEL-01-02: the RunIDs of both places share their prefix.
  const moved = join(root, "PKG-02_Other", "1_Working", "DEL-01-02_Thing");
  await Deno.mkdir(dirname(moved), { recursive: true });
  const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
  await git(root, "checkout", "-qb", "moved");
  await git(root, "mv", del, moved);
  await git(root, "commit", "-qm", "the deliverable moved into another package");
  await emit(moved, env, "MOVED_1", minute);
  await git(root, "commit", "-qam", "a run on moved");
  await git(root, "checkout", "-q", "main");
  await emit(del, env, "MAIN_1", minute); // before: SEQ 001 again, moved's
  await git(root, "commit", "-qam", "a run on main");
  await git(root, "merge", "-q", "--no-edit", "moved");
  await assertEachOnce(root, moved, ["BASE", "MAIN_1", "MOVED_1"]);
});

Deno.test("runs of one minute in two work trees of one repository (git worktree add: an agent's branch each), one after the other: no SEQ given twice, and the branches' merge holds no RunID twice (review-45 F4)", async () => {
  const { root, del, env, other, otherDel, minute } = await withOtherWorkTree();
  await emit(del, env, "MAIN_1", minute);
  await emit(otherDel, env, "OTHER_1", minute); // before: SEQ 001 again, main's
  await emit(del, env, "MAIN_2", minute); // before: SEQ 002 again, other's
  await git(other, "commit", "-qam", "a run on other");
  await git(root, "commit", "-qam", "runs on main");
  await git(root, "merge", "-q", "--no-edit", "other");
  await assertEachOnce(root, del, ["BASE", "MAIN_1", "MAIN_2", "OTHER_1"]);
});

/**
 * Main's emit held at its write of the record file (its SEQ given, nothing written or journalled,
 * so that the other work tree can learn it from neither), the other work tree's emit of the same
 * minute meanwhile, and main's let go once the other has ended or says it waits for a lock: both
 * exit 0, neither spooled. Before review-46 F2 (review-47 F1 for a renamed folder) the other
 * ended at once with main's SEQ.
 */
async function emitsAtOneMoment(
  { del, env, otherDel, minute }: {
    del: string;
    env: Record<string, string>;
    otherDel: string;
    minute: string;
  },
): Promise<void> {
  const held = await spawnHeld(
    [
      ...RUNREC,
      ...["emit", del, "--agent", "MAIN_1", "--status", "SUCCESS", "--started", minute],
    ],
    { calls: "write,pwrite64", path: join(del, RECORD_FILE), env, stdout: "piped" },
  );
  await held.held(1, "main's emit at its write of the record file");
  // The other work tree's emit meanwhile: before, it took SEQ 001 too, at once. Main's is let
  // go once the other has ended, or says it waits for a lock.
  const otherEmit = new Deno.Command(RUNREC[0], {
    args: [
      ...RUNREC.slice(1),
      ...["emit", otherDel, "--agent", "OTHER_1", "--status", "SUCCESS", "--started", minute],
    ],
    env: { NO_COLOR: "1", ...env },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let said = "";
  let ended = false;
  const status = otherEmit.status.then((s) => {
    ended = true;
    return s;
  });
  const stderr = (async () => {
    for await (const chunk of otherEmit.stderr.pipeThrough(new TextDecoderStream())) said += chunk;
  })();
  await waitFor(
    () => ended || said.includes("waiting for the append lock"),
    () => `the other work tree's emit ended or waiting; it said: ${said}`,
  );
  await held.release();
  assertEquals((await held.child.output()).code, 0);
  assertEquals((await status).code, 0);
  await stderr;
  assert(!said.includes("spooled"), said);
}

Deno.test("runs of one minute in two work trees of one repository at the same moment (one's SEQ given and its line not yet written while the other gives its SEQ): no SEQ given twice, and the branches' merge holds no RunID twice (review-46 F2)", async () => {
  const { root, del, env, other, otherDel, minute } = await withOtherWorkTree();
  await emitsAtOneMoment({ del, env, otherDel, minute });
  await git(other, "commit", "-qam", "a run on other");
  await git(root, "commit", "-qam", "a run on main");
  await git(root, "merge", "-q", "--no-edit", "other");
  await assertEachOnce(root, del, ["BASE", "MAIN_1", "OTHER_1"]);
});

Deno.test("runs of one minute in two work trees of one repository, the first killed (kill -9) at its fsync, its line written and not journalled: the other work tree's emit gives the next SEQ, not that one again, and the merge holds no RunID twice (review-46 F3)", async () => {
  const { root, del, env, other, otherDel, minute } = await withOtherWorkTree();
  const killed = await emitWithFault(del, env, "MAIN_1", minute, {
    trace: "fsync",
    inject: "fsync:signal=KILL",
  });
  assertEquals(killed.signal, "SIGKILL");
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["BASE", "MAIN_1"]);
  await emit(otherDel, env, "OTHER_1", minute); // before: SEQ 001 again, the killed run's
  // The work trees' lock the killed run held is recovered, and said so as the file's own would be.
  const [recorded] = (await recordsOf(otherDel)).filter((r) => r.AgentName === "OTHER_1");
  assert(recorded.Notes.includes("recovered orphaned lock"), recorded.Notes);
  await git(other, "commit", "-qam", "a run on other");
  await git(root, "commit", "-qam", "a run on main");
  await git(root, "merge", "-q", "--no-edit", "other");
  await assertEachOnce(root, del, ["BASE", "MAIN_1", "OTHER_1"]);
});

Deno.test("runs of one minute in two work trees of one repository, the other's record written but not confirmed (its fsync failed, EIO) and that work tree removed after its run was committed: the next run here gives the next SEQ (review-47 F2, a landed write's note)", async () => {
  const { root, del, env, other, otherDel, minute } = await withOtherWorkTree();
  const unconfirmed = await emitWithFault(otherDel, env, "OTHER_1", minute, {
    trace: "fsync,fdatasync",
    inject: "fsync,fdatasync:error=EIO:when=1",
  });
  const said = new TextDecoder().decode(unconfirmed.stderr);
  assertEquals(unconfirmed.code, 0, said);
  assert(said.includes("written but not confirmed"), said);
  await git(other, "commit", "-qam", "a run on other");
  await git(root, "worktree", "remove", other); // its journal with it
  await emit(del, env, "MAIN_1", minute); // before: SEQ 001 again, other's
  await git(root, "commit", "-qam", "a run on main");
  await git(root, "merge", "-q", "--no-edit", "other");
  await assertEachOnce(root, del, ["BASE", "MAIN_1", "OTHER_1"]);
});

for (const fifo of [RECORD_FILE, `.runrec/${RECORD_FILE}.journal`]) {
  Deno.test(`an emit in a work tree of a repository whose other work tree's ${fifo} is a FIFO (mkfifo) does not wait on it: it is read only when a regular file (review-46 F3)`, async () => {
    const { root, del, env } = await committedProject();
    const other = join(await tempDir({ prefix: "runrec-wt-" }), "other");
    await git(root, "worktree", "add", "-q", other, "-b", "other");
    const otherFile = join(other, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing", fifo);
    await Deno.remove(otherFile).catch(() => {});
    await Deno.mkdir(dirname(otherFile), { recursive: true });
    const made = await new Deno.Command("mkfifo", { args: [otherFile] }).output();
    assertEquals(made.code, 0);
    const emitting = new Deno.Command(RUNREC[0], {
      args: [...RUNREC.slice(1), "emit", del, "--agent", "MAIN_1", "--status", "SUCCESS"],
      env: { NO_COLOR: "1", ...env },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let ended = false;
    const status = emitting.output().then((out) => {
      ended = true;
      return out;
    });
    try {
      await waitFor(() => ended, "the emit's end (it waited on the FIFO for a writer)");
    } finally {
      if (!ended) emitting.kill("SIGKILL");
    }
    const out = await status;
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["BASE", "MAIN_1"]);
  });
}

/**
 * {@linkcode withOtherWorkTree} whose other work tree renamed the deliverable folder (`git mv`,
 * committed on its branch): the same record file at another path there.
 */
async function withRenamedInOtherWorkTree() {
  const project = await withOtherWorkTree();
  const renamed = join(dirname(project.otherDel), "DEL-01-02_Thing_Sized");
  await git(project.other, "mv", project.otherDel, renamed);
  await git(project.other, "commit", "-qm", "the deliverable renamed");
  return { ...project, otherDel: renamed };
}

/** Merges `other` into the root's branch, git's rename detection at a low bar (few lines). */
async function mergeOther(root: string, other: string) {
  await git(other, "commit", "-qam", "a run on other");
  await git(root, "commit", "-qam", "a run on main");
  await git(root, "merge", "-q", "--no-edit", "-X", "find-renames=10%", "other");
}

Deno.test("runs of one minute in two work trees of one repository, the deliverable folder git mv renamed in one of them, one after the other: no SEQ given twice, and the merge holds no RunID twice (review-47 F1)", async () => {
  const { root, del, env, other, otherDel, minute } = await withRenamedInOtherWorkTree();
  await emit(del, env, "MAIN_1", minute);
  await emit(otherDel, env, "OTHER_1", minute); // before: SEQ 001 again, main's
  await emit(del, env, "MAIN_2", minute); // before: SEQ 002 again, other's
  await mergeOther(root, other);
  await assertEachOnce(root, otherDel.replace(other, root), [
    "BASE",
    "MAIN_1",
    "MAIN_2",
    "OTHER_1",
  ]);
});

Deno.test("runs of one minute in two work trees of one repository, the deliverable folder git mv renamed in one of them, at the same moment (one's SEQ given and its line not yet written while the other gives its SEQ): the other waits for the lock the work trees share for the deliverable, and the merge holds no RunID twice (review-47 F1)", async () => {
  const { root, del, env, other, otherDel, minute } = await withRenamedInOtherWorkTree();
  await emitsAtOneMoment({ del, env, otherDel, minute });
  await mergeOther(root, other);
  await assertEachOnce(root, otherDel.replace(other, root), ["BASE", "MAIN_1", "OTHER_1"]);
});

Deno.test("runs of one minute in two work trees of one repository, the other work tree removed (git worktree remove) after its run was committed: the next run here gives the next SEQ, and the merge of its branch holds no RunID twice (review-47 F2)", async () => {
  const { root, del, env, other, otherDel, minute } = await withOtherWorkTree();
  await emit(otherDel, env, "OTHER_1", minute);
  await git(other, "commit", "-qam", "a run on other");
  await git(root, "worktree", "remove", other); // its journal with it
  await emit(del, env, "MAIN_1", minute); // before: SEQ 001 again, other's
  await git(root, "commit", "-qam", "a run on main");
  await git(root, "merge", "-q", "--no-edit", "other");
  await assertEachOnce(root, del, ["BASE", "MAIN_1", "OTHER_1"]);
});

Deno.test("the RunIDs the work trees' appends note in the common .git folder are cut to their later half past 16 KiB (a FIFO where the cut writes is not waited on), and an append still reads the SEQ of its minute noted there (review-47 F2)", async () => {
  const { del, env, otherDel, minute } = await withOtherWorkTree();
  await emit(otherDel, env, "OTHER_1", minute); // the notes' folder made, the first note
  const notes = sharedStatePath(join(del, RECORD_FILE), "seqs")!;
  const prefix = `RUN-DEL-01-02-${minute.slice(0, 10).replaceAll("-", "")}-${
    minute.slice(11, 16).replace(":", "")
  }-`;
  // 1,000 notes of an earlier day (~32 KiB), then one of this minute, as a removed work tree's.
  const old = Array.from({ length: 1000 }, (_, i) => `RUN-DEL-01-02-20250101-0000-${i + 1}`);
  await Deno.writeTextFile(notes, [...old, `${prefix}050`, ""].join("\n"));
  // A FIFO left where the cut writes its new file: never opened (it would wait for a writer).
  const made = await new Deno.Command("mkfifo", { args: [`${notes}.tmp`] }).output();
  assertEquals(made.code, 0);
  await emit(del, env, "MAIN_1", minute);
  const [main] = (await recordsOf(del)).filter((r) => r.AgentName === "MAIN_1");
  assertEquals(main.RunID, `${prefix}051`);
  const kept = (await Deno.readTextFile(notes)).split("\n").filter((l) => l !== "");
  assertEquals(kept.length, 502, "the later half of 1,001 notes, and the new one");
  assertEquals(kept.slice(-2), [`${prefix}050`, `${prefix}051`]);
});
