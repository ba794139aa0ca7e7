/**
 * A deliverable folder renumbered with `git mv` (`DEL-01-02_Thing` to
 * `DEL-01-05_Thing`, no `_CONTEXT.md` to keep its ID) while a run was pending
 * in it or its record waited in its spool: the record follows the files to
 * the new folder's record file, once, and no record file is begun in the
 * folder git left. Real git repositories and real runrec processes.
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/renumbered_folder_test.ts
 * ```
 *
 * @module
 */
import { dirname, join } from "node:path";
import { assertEquals, assertIncludes } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { recordsOf, RUNREC } from "./support/runs.ts";
import { spawnHeld } from "./support/held.ts";

/** A project in git whose deliverable (named, no ID in `_CONTEXT.md`) holds one committed run. */
async function committedProject() {
  const { root, del } = await makeProject();
  await Deno.remove(join(del, "_CONTEXT.md")); // its ID from its name: renumbering changes it
  const env = { TMPDIR: await tempDir({ prefix: "runrec-tmp-" }) };
  await Deno.writeTextFile(join(root, ".gitattributes"), `${RECORD_FILE} merge=union eol=lf\n`);
  await git(root, "init", "-q");
  await run(["emit", del, "--agent", "BASE", "--status", "SUCCESS"], env);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "base");
  const renumbered = join(dirname(del), "DEL-01-05_Thing");
  return { root, del, env, renumbered, base: await git(root, "rev-parse", "HEAD") };
}

/** A branch `without` on which the deliverable's package is removed; main stays checked out. */
async function branchWithoutDeliverable(root: string) {
  await git(root, "checkout", "-qb", "without");
  await git(root, "rm", "-rq", "PKG-01_Pkg");
  await git(root, "commit", "-qm", "a branch without the deliverable");
  await git(root, "checkout", "-q", "main");
}

/**
 * {@linkcode committedProject} with a branch that renumbered the deliverable folder and one
 * without the deliverable, and a run AWAY started on main: now on the branch without it, so a
 * finish spools its record (`token` finishes it).
 */
async function runAcrossRenumbering() {
  const project = await committedProject();
  const { root, del, env, renumbered } = project;
  await git(root, "checkout", "-qb", "renumbered");
  await git(root, "mv", del, renumbered);
  await git(root, "commit", "-qm", "the deliverable renumbered");
  await git(root, "checkout", "-q", "main");
  await branchWithoutDeliverable(root);
  const token = (await run(["start", del, "--agent", "AWAY"], env)).stdout.trim();
  await git(root, "checkout", "-q", "without");
  return { ...project, token };
}

/** A runrec command as a process; exits `code` (0 unless given). */
async function run(args: string[], env: Record<string, string>, code = 0) {
  const ran = await runCliProcess(args, FULL_FLAGS, env);
  assertEquals(ran.code, code, ran.stdout + ran.stderr);
  return ran;
}

/** The names in `folder`, sorted. */
function names(folder: string): string[] {
  return [...Deno.readDirSync(folder)].map((e) => e.name).sort();
}

Deno.test("finish of a run started before a rebase onto a branch that renumbered the deliverable folder: recorded once in the renumbered folder's file, none begun in the folder git left; a new run there is refused naming the new folder (review-44 F3)", async () => {
  const { root, del, env, renumbered, base } = await committedProject();
  await git(root, "checkout", "-qb", "feat");
  await git(root, "checkout", "-q", "main");
  await git(root, "mv", del, renumbered);
  await git(root, "commit", "-qm", "the deliverable renumbered");
  await git(root, "checkout", "-q", "feat");
  const token = (await run(["start", del, "--agent", "PENDING"], env)).stdout.trim();
  await git(root, "rebase", "-q", "main");
  assertEquals(names(del), [".runrec"]);
  await run(["finish", token, "--status", "SUCCESS"], env);
  // Before: spooled in the folder git left, and a flush of it began a RunRecords.csv there.
  await run(["flush", root], env);
  assertEquals(names(del).includes(RECORD_FILE), false);
  assertEquals((await recordsOf(renumbered)).map((r) => r.AgentName), ["BASE", "PENDING"]);
  const refused = await run(["emit", del, "--agent", "LATER", "--status", "SUCCESS"], env, 2);
  assertIncludes(refused.stderr, `git moved the deliverable's files to ${renumbered}`);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "the run's record");
  const verify = await runCli(["verify", root, "--since", base]);
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
});

Deno.test("a record spooled while a checkout had taken the deliverable away, then a checkout of a branch that renumbered its folder: flush appends it once to the renumbered folder's file, noted, not waiting for ever in the folder git left (review-44 F3)", async () => {
  const { root, del, env, renumbered, base, token } = await runAcrossRenumbering();
  const finished = await run(["finish", token, "--status", "SUCCESS"], env);
  assertIncludes(finished.stderr, "spooled to"); // githist-41 F4: it waits for the files
  await git(root, "checkout", "-q", "renumbered");
  const flushed = await run(["flush", root], env); // before: exit 1, the record waiting for ever
  assertIncludes(flushed.stdout + flushed.stderr, "replayed");
  assertEquals(names(del).includes(RECORD_FILE), false);
  const records = await recordsOf(renumbered);
  assertEquals(records.map((r) => r.AgentName), ["BASE", "AWAY"]);
  assertEquals(records[1].DeliverableID, "DEL-01-05");
  assertIncludes(
    records[1].Notes,
    "spooled for DEL-01-02_Thing, which git moved to DEL-01-05_Thing",
  );
  await run(["flush", root], env); // nothing left, nothing twice
  assertEquals((await recordsOf(renumbered)).length, 2);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "the run's record");
  const verify = await runCli(["verify", root, "--since", base]);
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
});

Deno.test("a record spooled for a folder git renumbered, whose new folder's spool cannot take it (a file in its place): flush exits 1, the record waits, and no record file is begun in the folder git left; once the spool can be made it lands once (review-44 F3)", async () => {
  const { root, del, env, renumbered, token } = await runAcrossRenumbering();
  await run(["finish", token, "--status", "SUCCESS"], env);
  await git(root, "checkout", "-q", "renumbered");
  const spool = join(renumbered, ".runrec-spool");
  await Deno.writeTextFile(spool, "not a folder\n");
  // Before: the replay where it was spooled began a RunRecords.csv in the folder git left.
  const failed = await run(["flush", root], env, 1);
  assertIncludes(failed.stderr, `git moved the deliverable's files to ${renumbered}`);
  assertEquals(names(del).includes(RECORD_FILE), false);
  assertEquals((await recordsOf(renumbered)).map((r) => r.AgentName), ["BASE"]);
  await Deno.remove(spool);
  await run(["flush", root], env);
  assertEquals((await recordsOf(renumbered)).map((r) => r.AgentName), ["BASE", "AWAY"]);
  assertEquals(names(del).includes(RECORD_FILE), false);
});

Deno.test("a flush killed (kill -9) after it wrote a renumbered folder's spooled record into the new folder's spool and before it removed the old entry: the next flush appends the record once and leaves neither copy (review-44 F3)", async () => {
  const { root, del, env, renumbered, token } = await runAcrossRenumbering();
  await run(["finish", token, "--status", "SUCCESS"], env);
  await git(root, "checkout", "-q", "renumbered");
  const oldSpool = join(del, ".runrec-spool");
  const [entry] = names(oldSpool).filter((name) => name.endsWith(".json"));
  const flush = await spawnHeld([...RUNREC, "flush", root], {
    calls: "unlink,unlinkat",
    path: join(oldSpool, entry),
    env: { NO_COLOR: "1", ...env },
  });
  await flush.held(1, "flush at the removal of the entry it moved");
  assertEquals(names(join(renumbered, ".runrec-spool")).includes(entry), true);
  flush.child.kill("SIGKILL"); // dies as strace lets go of it, its unlink not made
  await flush.release();
  await flush.child.status;
  assertEquals(names(oldSpool).includes(entry), true); // two copies now
  await run(["flush", root], env);
  await run(["flush", root], env);
  assertEquals((await recordsOf(renumbered)).map((r) => r.AgentName), ["BASE", "AWAY"]);
  for (const spool of [oldSpool, join(renumbered, ".runrec-spool")]) {
    assertEquals(names(spool).filter((name) => name.endsWith(".json")), [], spool);
  }
  assertEquals(names(del).includes(RECORD_FILE), false);
});

Deno.test("a run pending, and a record spooled, while a rebase and a checkout moved the deliverable into another package under a new DEL number: each lands once in the moved folder's file, none begun in the folder git left (review-45, held)", async () => {
  const { root, del, env, base } = await committedProject();
  const moved = join(root, "PKG-02_Other", "1_Working", "DEL-02-03_Thing");
  await branchWithoutDeliverable(root);
  await git(root, "checkout", "-qb", "feat");
  await git(root, "checkout", "-q", "main");
  await Deno.mkdir(dirname(moved), { recursive: true });
  await git(root, "mv", del, moved);
  await git(root, "commit", "-qm", "the deliverable moved into PKG-02 as DEL-02-03");
  await git(root, "checkout", "-q", "feat");
  const pending = (await run(["start", del, "--agent", "PENDING"], env)).stdout.trim();
  const away = (await run(["start", del, "--agent", "AWAY"], env)).stdout.trim();
  await git(root, "checkout", "-q", "without");
  assertIncludes((await run(["finish", away, "--status", "SUCCESS"], env)).stderr, "spooled to");
  await git(root, "checkout", "-q", "feat");
  await git(root, "rebase", "-q", "main");
  assertEquals(names(del), [".runrec", ".runrec-spool"]);
  await run(["finish", pending, "--status", "SUCCESS"], env);
  await run(["flush", root], env);
  await run(["flush", root], env);
  assertEquals(names(del).includes(RECORD_FILE), false);
  const records = await recordsOf(moved);
  assertEquals(records.map((r) => r.AgentName).sort(), ["AWAY", "BASE", "PENDING"]);
  assertEquals(records.filter((r) => r.AgentName !== "BASE").map((r) => r.DeliverableID), [
    "DEL-02-03",
    "DEL-02-03",
  ]);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "the runs' records");
  const verify = await runCli(["verify", root, "--since", base]);
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
});
