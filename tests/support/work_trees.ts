/**
 * A project in a git repository, and a second work tree of it, for the tests of RunIDs given in
 * several work trees of one repository (`git worktree add`): real git, real runrec processes.
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { FULL_FLAGS } from "../../src/cli/permissions.ts";
import { RECORD_FILE } from "../../src/deliverable.ts";
import { runCli, runCliProcess } from "../cli.ts";
import { git, makeProject, tempDir } from "../fixtures.ts";
import { recordsOf, RUNREC } from "./runs.ts";

/**
 * A project in a git repository whose record files merge by union, its deliverable holding one
 * run (BASE), committed; and the environment its runs use (their own spool).
 */
export async function committedProject() {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  await Deno.writeTextFile(join(root, ".gitattributes"), `${RECORD_FILE} merge=union eol=lf\n`);
  await git(root, "init", "-q");
  await emit(del, env, "BASE", "2026-01-01T00:00:00Z");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  return { root, del, env };
}

/**
 * {@linkcode committedProject} with a second work tree (`git worktree add`, branch `other`): its
 * copy of the deliverable, and the current minute, which runs of both stamp.
 */
export async function withOtherWorkTree() {
  const project = await committedProject();
  const other = join(await tempDir({ prefix: "runrec-wt-" }), "other");
  await git(project.root, "worktree", "add", "-q", other, "-b", "other");
  const otherDel = join(other, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
  return { ...project, other, otherDel, minute };
}

/** The records of `del` are the runs of `agents`, each once, no RunID twice, and verify passes. */
export async function assertEachOnce(root: string, del: string, agents: string[]) {
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.AgentName).sort(), agents);
  const runIds = records.map((r) => r.RunID);
  assertEquals(new Set(runIds).size, runIds.length, runIds.join("\n"));
  const verify = await runCli(["verify", root]);
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
}

/** `runrec emit <del> --agent <agent> --started <started>` as a process; exits 0. */
export async function emit(
  del: string,
  env: Record<string, string>,
  agent: string,
  started: string,
) {
  const emitted = await runCliProcess(
    ["emit", del, "--agent", agent, "--status", "SUCCESS", "--started", started],
    FULL_FLAGS,
    env,
  );
  assertEquals(emitted.code, 0, emitted.stderr);
}

/**
 * {@linkcode emit} under strace, which injects `inject` (`fsync:signal=KILL`, say) at the
 * system calls `trace` names on `del`'s record file only: a real fault at a chosen step.
 */
export function emitWithFault(
  del: string,
  env: Record<string, string>,
  agent: string,
  started: string,
  fault: { trace: string; inject: string },
): Promise<Deno.CommandOutput> {
  return new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", "/dev/null", "-P", join(del, RECORD_FILE)],
      ...["-e", `trace=${fault.trace}`, "-e", `inject=${fault.inject}`],
      ...RUNREC,
      ...["emit", del, "--agent", agent, "--status", "SUCCESS", "--started", started],
    ],
    env,
    stdout: "null",
    stderr: "piped",
  }).output();
}
