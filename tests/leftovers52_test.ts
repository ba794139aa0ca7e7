/**
 * Records a put-back renumbers or fails, left at stop 51: an annotation of a record put back
 * under a new RunID, a put-back that fails after it began the file, another version's journal
 * line, a spool entry whose own RunID was taken, a record made at a detached HEAD. Real git
 * repositories, a clone and a pull with `merge=union`, faults injected with strace, runrec as
 * real processes.
 *
 * ```sh
 * deno test -A tests/leftovers52_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { git, sampleDraft, tempDir } from "./fixtures.ts";
import { agentsOf, recordsOf, RUNREC } from "./support/runs.ts";
import {
  agentEmitArgs,
  DEL,
  detachedAfterOld,
  JOURNAL,
  lostOnOld,
  takenRunIdLines,
  unionProject,
} from "./support/journal_lost.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { checksumOf } from "../src/codec.ts";
import { newSpoolEntry, spoolRecord } from "../src/spool.ts";

/** Runs the CLI in `cwd`, with `env`. */
function cli(cwd: string, env: Record<string, string>, ...args: string[]) {
  return runCliProcess(args, undefined, env, cwd);
}

/** Runs the CLI under strace, failing the `when`-th write to `file` with ENOSPC. */
async function withWriteFailing(cwd: string, file: string, when: number, args: string[]) {
  const out = await new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", "/dev/null", "-P", file, "-e", "trace=write,pwrite64,writev"],
      ...["-e", `inject=write,pwrite64,writev:error=ENOSPC:when=${when}`],
      ...RUNREC,
      ...args,
    ],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("an annotation invalidating a record that flush --from put back under a new RunID marks that record: show lists it, stale takes it for no baseline (leftovers-52 1)", async () => {
  const up = await unionProject();
  const local = join(await tempDir({ prefix: "runrec-leftovers52-" }), "local");
  await git(up.root, "clone", "-q", up.root, local);
  const run = (...args: string[]) => cli(local, up.env, ...args);
  // On old (no record file), OURS's run and its annotation; git checkout -f main discards both.
  await git(local, "checkout", "-q", "old");
  const ours = (await run(...agentEmitArgs("OURS"))).stdout.trim();
  const [record] = await recordsOf(join(local, DEL));
  const annotate = await run("annotate", DEL, ours, "--invalidates", "--note", "wrong inputs");
  assertEquals(annotate.code, 0, annotate.stderr);
  await git(local, "checkout", "-f", "-q", "main");
  // Upstream, THEIRS's run of that minute takes the RunID; pulled.
  const theirs = await up.run(
    ...agentEmitArgs("THEIRS", "--started", record.RunTimestamp, "--duration", "0s"),
  );
  assertEquals(theirs.stdout.trim(), ours, "one RunID in both clones");
  await git(up.root, "commit", "-qam", "their record");
  await git(local, "pull", "-q", "--no-rebase");

  const putBack = await run("flush", "--from", JOURNAL);
  assertEquals(putBack.code, 0, putBack.stderr);
  const records = await recordsOf(join(local, DEL));
  const renumbered = records.find((r) => r.AgentName === "OURS")!;
  assert(renumbered.RunID !== ours, putBack.stdout);
  const shown = JSON.parse((await run("show", DEL, renumbered.RunID, "--json")).stdout);
  assertEquals(shown.annotations.map((a: { kind: string }) => a.kind), ["invalidated"]);
  const other = JSON.parse((await run("show", DEL, ours, "--json")).stdout);
  assertEquals(other.AgentName, "THEIRS");
  assertEquals(other.annotations, []);
  // log's row of the annotation names the record it marks, not THEIRS's that holds its old RunID.
  const log = await run("log", DEL);
  assertIncludes(log.stdout, `marks ${renumbered.RunID} (was ${ours}) INVALIDATED`);
  assert(!log.stdout.includes(`marks ${ours} INVALIDATED`), log.stdout);
  // Was CLEAN, with the invalidated run as OURS's baseline.
  const stale = await run("stale", DEL, "--agent", "OURS");
  assertMatch(stale.stdout, /^NO_BASELINE +DEL-01-02 +OURS /);
  assertIncludes(stale.stdout, "1 of them invalidated or superseded");
});

Deno.test("flush --from that began the record file on a branch without it and failed to write the record (ENOSPC, injected) leaves no header-only file; run again, it puts the record back (leftovers-52 2)", async () => {
  const { root, cli: run, lost } = await lostOnOld();
  await git(root, "checkout", "-q", "old");
  const file = join(root, DEL, RECORD_FILE);
  // The first write to the file is its header, the second the record.
  const failed = await withWriteFailing(root, file, 2, ["flush", "--from", JOURNAL]);
  assertEquals(failed.code, 1, failed.stderr);
  assertIncludes(failed.stderr, "No space left on device");
  // Was: a file of the header alone, untracked, which the branch never had.
  await assertGone(file);
  assertEquals(await git(root, "status", "--porcelain"), "");
  const again = await run("flush", "--from", JOURNAL);
  assertEquals(again.code, 0, again.stderr);
  assertEquals((await recordsOf(join(root, DEL))).map((r) => r.RunID), [lost]);
  assertEquals((await run("verify", DEL)).code, 0);
});

/** Fails unless nothing is at `path`. */
async function assertGone(path: string): Promise<void> {
  try {
    await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  throw new Error(`${path} is there: ${JSON.stringify(await Deno.readTextFile(path))}`);
}

Deno.test("a record of another schema version that the journal holds and git dropped is not put back by the next append: verify and flush name it, with the runrec that wrote it (leftovers-52 3)", async () => {
  const { root, del, run } = await unionProject();
  assertEquals((await run(...agentEmitArgs("SECOND"))).code, 0);
  // A newer runrec's record (v2.0, its checksum its own), as its journal line.
  const journal = join(root, JOURNAL);
  let second = "";
  const edited = (await Deno.readTextFile(journal)).split("\n").map((text) => {
    if (!text.startsWith("{") || !text.includes(",SECOND,")) return text;
    const entry = JSON.parse(text);
    const body = entry.line.slice(0, entry.line.lastIndexOf(",")).replace(/^v1\.0,/, "v2.0,");
    entry.line = `${body},${checksumOf(body)}`;
    second = entry.line.split(",")[1];
    return JSON.stringify(entry);
  });
  await Deno.writeTextFile(journal, edited.join("\n"));
  await git(root, "checkout", "--", join(DEL, RECORD_FILE)); // drops SECOND's line
  const third = await run(...agentEmitArgs("THIRD"));
  assertEquals(third.code, 0, third.stderr);
  // Was: the v2.0 line written back, a record every later verify fails.
  assertEquals(await agentsOf(del), ["FIRST", "THIRD"]);
  for (const args of [["verify", DEL], ["flush", DEL]]) {
    const out = await run(...args);
    assertEquals(out.code, 1, out.stdout + out.stderr);
    assertIncludes(
      out.stdout + out.stderr,
      `${second} is in no file, branch, tag or stash, only in this work tree's journal`,
    );
    assertIncludes(
      out.stdout + out.stderr,
      `no append of this runrec puts it back: it writes records of its own version only; it is ` +
        `another runrec version's record (SchemaVersion must be one of v1.0, got "v2.0"): the ` +
        `runrec that wrote it puts it back, with runrec flush --from ${JOURNAL}`,
    );
  }
  const refused = await run("flush", "--from", JOURNAL);
  assertEquals(refused.code, 1, refused.stderr);
  assertIncludes(refused.stderr, `${second}: SchemaVersion must be one of v1.0, got "v2.0"`);
  assertEquals(await agentsOf(del), ["FIRST", "THIRD"]);
});

Deno.test("a spool entry whose own RunID another record took meanwhile is STUCK at once with the edit that frees it; one whose record is in the file is removed as written (leftovers-52 4)", async () => {
  const { del, run } = await unionProject();
  const taken = await run(
    ...agentEmitArgs("THEIRS", "--started", "2026-03-02T10:00:00Z", "--duration", "1s"),
  );
  const runId = taken.stdout.trim();
  const [, theirs] = await recordsOf(del);
  const file = join(del, RECORD_FILE);
  // An entry whose draft sets that RunID (runrec's never do: written by hand or another tool).
  const mine = newSpoolEntry(
    file,
    sampleDraft({
      RunID: runId,
      DeliverableID: "DEL-01-02",
      AgentName: "MINE",
      RunTimestamp: "2026-03-02T10:00:30.000Z",
    }),
    "lock held past its wait",
  );
  const { path } = spoolRecord(del, mine);
  const before = await Deno.readTextFile(file);
  const stuck = await run("flush", DEL);
  assertEquals(stuck.code, 1, stuck.stderr);
  // Was: "RunID … is already in the file", retried on every flush, STUCK only after three.
  assertIncludes(
    stuck.stderr,
    `STUCK: ${path}: record for ${file} still not written after 1 replay(s): its RunID ` +
      `${runId}, set in the entry (runrec sets none in a spooled record), is THEIRS's record ` +
      `of 2026-03-02T10:00:00.000Z in ${file} now; not renumbered, since whoever set it may ` +
      `have given it out: delete the entry's "RunID" (the file gives it the next free one) or ` +
      `set a free one, then runrec flush ${del}`,
  );
  assertEquals(await Deno.readTextFile(file), before);
  // Done as told: appended once, under the next free RunID.
  const entry = JSON.parse(await Deno.readTextFile(path));
  delete entry.draft.RunID;
  await Deno.writeTextFile(path, JSON.stringify(entry));
  const freed = await run("flush", DEL);
  assertEquals(freed.code, 0, freed.stderr);
  assertEquals(await agentsOf(del), ["FIRST", "THEIRS", "MINE"]);
  assert((await recordsOf(del))[2].RunID !== runId);

  // An entry of THEIRS's record itself (its write got through on a retry): removed, not STUCK.
  const { RecordChecksum: _, ...draft } = theirs;
  const same = newSpoolEntry(file, draft, "lock held past its wait");
  const second = spoolRecord(del, same).path;
  const written = await run("flush", DEL);
  assertEquals(written.code, 0, written.stderr);
  await assertGone(second);
  assertEquals(await agentsOf(del), ["FIRST", "THEIRS", "MINE"]);
});

Deno.test("a saved lost-record line whose own RunID another record took is named with the edit that frees it, and the lines after it are appended (leftovers-52 4)", async () => {
  const { del, run, runId, file, saved } = await takenRunIdLines();
  const flush = await run("flush", "--from", saved);
  assertEquals(flush.code, 1, flush.stderr);
  // Was: "lost records not replayed: … RunID … is already in the file", NEXT's line not appended.
  assertIncludes(
    flush.stderr,
    `${saved}:1: not replayed: its RunID ${runId}, set in the line (runrec sets none in a ` +
      `spooled record), is THEIRS's record of 2026-03-02T10:00:00.000Z in ${file} now; not ` +
      `renumbered, since whoever set it may have given it out: delete the line's "RunID" (the ` +
      `file gives it the next free one) or set a free one, then runrec flush --from ${saved} again`,
  );
  assertEquals(await agentsOf(del), ["FIRST", "THEIRS", "NEXT"]);
});

Deno.test("a record appended at a detached HEAD that git checkout -f took to another line of history is named so, with the commit to check out; followed, flush puts it back there (leftovers-52 5)", async () => {
  const { root, run, appendedAt: commit, detached } = await detachedAfterOld();
  await git(root, "checkout", "-f", "-q", "old");
  const verify = await run("verify", DEL);
  assertEquals(verify.code, 1, verify.stdout);
  const abbrev = commit.slice(0, 12);
  // Was: "the file here now holds neither … (begun anew since …)", and flush --from appending
  // it to old's file.
  assertIncludes(
    verify.stdout,
    `${detached} is in no file, branch, tag or stash, only in this work tree's journal`,
  );
  assertIncludes(
    verify.stdout,
    `it was appended at a detached HEAD (commit ${abbrev}), which HEAD has left since for ` +
      `another line of history, whose ${RECORD_FILE} lacks it, so no append puts it back; git ` +
      `checkout ${abbrev} first (or a branch at it: git switch -c NAME ${abbrev}) to record it ` +
      `on that line of history: there runrec flush ${DEL} puts it back, or names the command ` +
      "that does",
  );
  assert(!verify.stdout.includes("begun anew"), verify.stdout);
  await git(root, "checkout", "-q", abbrev);
  const flushed = await run("flush", DEL);
  assertEquals(flushed.code, 0, flushed.stderr);
  assertEquals(await agentsOf(join(root, DEL)), ["FIRST", "DETACHED"]);
  assertEquals((await run("verify", DEL)).code, 0);
});
