/**
 * A record only the journal holds (SCHEMA.md 7.1), made as users make it: a run finished on a
 * branch made before the record file began an untracked file there, which `git checkout -f`
 * discarded.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { recordsOf } from "./runs.ts";
import type { RunRecord } from "../../src/schema.ts";
import { emitArgs, runCliProcess } from "../cli.ts";
import { git, makeProject, sampleDraft, tempDir } from "../fixtures.ts";
import { lostRecordLine, newSpoolEntry, type SpoolEntry } from "../../src/spool.ts";
import { RECORD_FILE } from "../../src/deliverable.ts";

/** The deliverable of `makeProject()`, relative to its root, as the tests name it. */
export const DEL = join("PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");

/** That deliverable's journal, relative to the project's root. */
export const JOURNAL = join(DEL, ".runrec", `${RECORD_FILE}.journal`);

/**
 * A project on main with one record committed (`first`), and a run finished on branch `old`
 * (made before the record file) whose new file `git checkout -f main` discarded: its record
 * (`lost`) is in the journal only. Left on main; `cli` runs runrec in the project's root.
 *
 * @example
 * ```ts
 * import { JOURNAL, lostOnOld } from "./journal_lost.ts";
 * const { cli } = await lostOnOld();
 * await cli("flush", "--from", JOURNAL); // puts `lost` back into main's file
 * ```
 */
export async function lostOnOld() {
  const { root, env, cli } = await committedProject();
  await git(root, "branch", "old");
  const first = (await cli(...emitArgs(DEL))).stdout.trim();
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "first record");
  const start = await cli("start", DEL, "--agent", "4_DOCUMENTS");
  assertEquals(start.code, 0, start.stderr);
  await git(root, "checkout", "-q", "old");
  const finish = await cli("finish", start.stdout.trim(), "--status", "SUCCESS");
  assertEquals(finish.code, 0, finish.stderr);
  await git(root, "checkout", "-f", "-q", "main");
  return { root, env, cli, first, lost: finish.stdout.trim() };
}

/** The arguments of an emit of `agent`'s successful run into the deliverable. */
export function agentEmitArgs(agent: string, ...extra: string[]): string[] {
  return ["emit", DEL, "--agent", agent, "--status", "SUCCESS", ...extra];
}

/**
 * A project on main, git-initialised with `merge=union` for record files and a branch `old` made
 * before the record file, and one record (FIRST's, of 2026-03-01T09:00:00Z) committed; `run` runs
 * runrec in its root.
 *
 * @example
 * ```ts
 * import { agentEmitArgs, unionProject } from "./journal_lost.ts";
 * const { run } = await unionProject();
 * await run(...agentEmitArgs("SECOND"));
 * ```
 */
export async function unionProject() {
  const { root } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-union-tmp-" }) };
  await Deno.writeTextFile(join(root, ".gitattributes"), `${RECORD_FILE} merge=union\n`);
  await git(root, "init", "-q", "-b", "main");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "project");
  await git(root, "branch", "old");
  const run = (...args: string[]) => runCliProcess(args, undefined, env, root);
  const first = await run(
    ...agentEmitArgs("FIRST", "--started", "2026-03-01T09:00:00Z", "--duration", "1s"),
  );
  assertEquals(first.code, 0, first.stderr);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "first record");
  return { root, env, del: join(root, DEL), run };
}

/**
 * A {@linkcode unionProject} where OTHER's record is committed on branch `old`, then HEAD is
 * detached at main (`appendedAt`, its commit) and DETACHED's run recorded there (`detached`, its
 * RunID), not committed: the setting of a record appended at a detached HEAD.
 *
 * @example
 * ```ts
 * import { detachedAfterOld } from "./journal_lost.ts";
 * const { run } = await detachedAfterOld();
 * await run("verify", "."); // DETACHED's record is in the file checked out
 * ```
 */
export async function detachedAfterOld() {
  const project = await unionProject();
  const { root, run } = project;
  await git(root, "checkout", "-q", "old");
  assertEquals((await run(...agentEmitArgs("OTHER"))).code, 0);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "old's record");
  await git(root, "checkout", "-q", "--detach", "main");
  const appendedAt = (await git(root, "rev-parse", "HEAD")).trim();
  const emitted = await run(...agentEmitArgs("DETACHED"));
  assertEquals(emitted.code, 0, emitted.stderr);
  return { ...project, appendedAt, detached: emitted.stdout.trim() };
}

/**
 * A {@linkcode unionProject} where THEIRS's run (2026-03-02T10:00:00Z) took a RunID, and a file
 * `saved` of two lost-record lines: MINE's, which sets that RunID, then NEXT's. `write` writes
 * `entries` to `saved` again (after a test edits them).
 *
 * @example
 * ```ts
 * import { takenRunIdLines } from "./journal_lost.ts";
 * const { run, saved } = await takenRunIdLines();
 * await run("flush", "--from", saved); // MINE's line refused, NEXT's appended
 * ```
 */
export async function takenRunIdLines() {
  const project = await unionProject();
  const taken = await project.run(
    ...agentEmitArgs("THEIRS", "--started", "2026-03-02T10:00:00Z", "--duration", "1s"),
  );
  assertEquals(taken.code, 0, taken.stderr);
  const runId = taken.stdout.trim();
  const file = join(project.del, RECORD_FILE);
  const draft = (agent: string, extra: Record<string, string> = {}) =>
    sampleDraft({ DeliverableID: "DEL-01-02", AgentName: agent, ...extra });
  const entries: SpoolEntry[] = [
    draft("MINE", { RunID: runId, RunTimestamp: "2026-03-02T10:00:30.000Z" }),
    draft("NEXT"),
  ].map((d) => newSpoolEntry(file, d, "no spool folder took it"));
  const saved = join(project.root, "lost.txt");
  const write = () =>
    Deno.writeTextFile(saved, entries.map((e) => lostRecordLine(e) + "\n").join(""));
  await write();
  return { ...project, runId, file, entries, saved, write };
}

/**
 * A clone of a {@linkcode unionProject} where `onOld` ran on branch `old` (no record file), which
 * `git checkout -f main` then discarded; upstream runs of the minutes of the records whose agents
 * `taken` names took their RunIDs, pulled; `flush --from` of the journal put them back, those
 * renumbered. `run` runs runrec in the clone; `before` are the records as `onOld` left them;
 * `now` gives the record put back of one `onOld` made.
 */
export async function renumberedOnPull(
  onOld: (run: (...args: string[]) => ReturnType<typeof runCliProcess>) => Promise<void>,
  taken: (record: RunRecord, index: number) => boolean,
) {
  const up = await unionProject();
  const local = join(await tempDir({ prefix: "runrec-renumbered-" }), "local");
  await git(up.root, "clone", "-q", up.root, local);
  const run = (...args: string[]) => runCliProcess(args, undefined, {}, local);
  await git(local, "checkout", "-q", "old");
  await onOld(run);
  const before = await recordsOf(join(local, DEL));
  await git(local, "checkout", "-f", "-q", "main");
  const takenIds: string[] = [];
  for (const at of before.filter(taken)) {
    while (!takenIds.includes(at.RunID)) {
      const out = await up.run(
        ...agentEmitArgs("THEIRS", "--started", at.RunTimestamp, "--duration", "0s"),
      );
      assertEquals(out.code, 0, out.stderr);
      takenIds.push(out.stdout.trim());
      assert(takenIds.length < 8, takenIds.join(" "));
    }
  }
  await git(up.root, "commit", "-qam", "their records");
  await git(local, "pull", "-q", "--no-rebase");
  const putBack = await run("flush", "--from", JOURNAL);
  assertEquals(putBack.code, 0, putBack.stderr);
  const after = (await recordsOf(join(local, DEL))).filter((r) => r.AgentName !== "THEIRS");
  /** The record as put back of `record` as `onOld` made it (the same agent and timestamp). */
  const now = (record: RunRecord) =>
    after.find((r) => r.RunTimestamp === record.RunTimestamp && r.AgentName === record.AgentName)!;
  return { local, run, before, now };
}

/**
 * A {@linkcode renumberedOnPull} where NEWER's run superseded OLDER's on `old` and the put-back
 * renumbered both: `older` and `newer` are their records now, `olderWas` and `newerWas` as
 * written (RunIDs THEIRS's records hold now).
 *
 * @example
 * ```ts
 * import { DEL, supersededThenRenumbered } from "./journal_lost.ts";
 * const { run, older } = await supersededThenRenumbered();
 * await run("show", DEL, older.RunID); // "SUPERSEDED by <newer's RunID now> (was …)"
 * ```
 */
export async function supersededThenRenumbered() {
  const renumbered = await renumberedOnPull(async (run) => {
    const older = (await run(...agentEmitArgs("OLDER"))).stdout.trim();
    const newer = (await run(...agentEmitArgs("NEWER"))).stdout.trim();
    const annotated = await run("annotate", DEL, newer, "--supersedes", older, "--note", "redo");
    assertEquals(annotated.code, 0, annotated.stderr);
  }, (r) => ["OLDER", "NEWER"].includes(r.AgentName));
  const [olderWas, newerWas] = renumbered.before;
  const [older, newer] = [renumbered.now(olderWas), renumbered.now(newerWas)];
  assert(older.RunID !== olderWas.RunID && newer.RunID !== newerWas.RunID, "both renumbered");
  return { ...renumbered, older, newer, olderWas, newerWas };
}

/**
 * The test project as a git repository on `main`, its files in one commit; `cli` runs runrec in
 * its root, with a `$TMPDIR` of its own.
 *
 * @example
 * ```ts
 * import { committedProject, DEL } from "./journal_lost.ts";
 * const { cli } = await committedProject();
 * await cli("emit", DEL, "--agent", "4_DOCUMENTS", "--status", "SUCCESS");
 * ```
 */
export async function committedProject() {
  const { root } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-journal-tmp-" }) };
  const cli = (...args: string[]) => runCliProcess(args, undefined, env, root);
  await git(root, "init", "-q", "-b", "main");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "project");
  return { root, env, cli };
}
