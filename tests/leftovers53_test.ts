/**
 * Items stops 51 and 52 left: annotations of records a put-back renumbered (a second
 * invalidation, a withdrawal withdrawn), a record committed at a detached HEAD, a journal line
 * of another branch put back here, a baseline whose input folder was empty. Real git
 * repositories, a clone and a pull with `merge=union`, runrec as real processes.
 *
 * ```sh
 * deno test -A tests/leftovers53_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { git, makeProject } from "./fixtures.ts";
import { recordsOf } from "./support/runs.ts";
import {
  agentEmitArgs,
  DEL,
  detachedAfterOld,
  JOURNAL,
  renumberedOnPull,
  unionProject,
} from "./support/journal_lost.ts";
import { encodeRecord } from "../src/codec.ts";
import { renumberedNote } from "../src/record_limits.ts";

/** The kinds of the annotations `show --json` lists for `runId`. */
async function shownKinds(
  run: (...args: string[]) => ReturnType<typeof runCliProcess>,
  runId: string,
): Promise<string[]> {
  const out = await run("show", DEL, runId, "--json");
  assertEquals(out.code, 0, out.stderr);
  return JSON.parse(out.stdout).annotations.map((a: { kind: string }) => a.kind);
}

Deno.test("annotate --invalidates of a record a put-back renumbered, invalidated already under its former RunID: refused as any repeat, nothing written (leftovers-53 1)", async () => {
  const { local, run, before, now } = await renumberedOnPull(async (run) => {
    const ours = (await run(...agentEmitArgs("OURS"))).stdout.trim();
    const annotated = await run("annotate", DEL, ours, "--invalidates", "--note", "wrong inputs");
    assertEquals(annotated.code, 0, annotated.stderr);
  }, (r) => r.AgentName === "OURS");
  const [record, annotation] = before;
  const renumbered = now(record);
  assert(renumbered.RunID !== record.RunID, renumbered.RunID);
  assertEquals(await shownKinds(run, renumbered.RunID), ["invalidated"]);
  const lines = await Deno.readTextFile(join(local, DEL, "RunRecords.csv"));
  const again = await run("annotate", DEL, renumbered.RunID, "--invalidates", "--note", "again");
  assertEquals(again.code, 2, again.stdout + again.stderr);
  assertIncludes(
    again.stderr,
    `${renumbered.RunID} is already invalidated by annotation ${now(annotation).RunID}`,
  );
  assertEquals(await Deno.readTextFile(join(local, DEL, "RunRecords.csv")), lines);
});

Deno.test("a withdrawal withdrawn, all made before a put-back renumbered the records they name: the first invalidation is in force again, on the renumbered run, in show, log and stale (leftovers-53 2)", async () => {
  const { run, before, now } = await renumberedOnPull(async (run) => {
    const ours = (await run(...agentEmitArgs("OURS"))).stdout.trim();
    let named = ours;
    for (const note of ["wrong inputs", "the inputs were right", "they were wrong after all"]) {
      const out = await run("annotate", DEL, named, "--invalidates", "--note", note);
      assertEquals(out.code, 0, out.stderr);
      named = out.stdout.trim();
    }
  }, (_, index) => index < 3);
  const [record, invalidation, withdrawal, again] = before.map(now);
  assert(record.RunID !== before[0].RunID && withdrawal.RunID !== before[2].RunID, record.RunID);
  assertEquals(await shownKinds(run, record.RunID), ["invalidated"]);
  assertEquals(await shownKinds(run, invalidation.RunID), []);
  assertEquals(await shownKinds(run, withdrawal.RunID), ["invalidated"]);
  assertEquals(await shownKinds(run, again.RunID), []);
  const stale = await run("stale", DEL, "--agent", "OURS");
  assert(stale.stdout.startsWith("NO_BASELINE"), stale.stdout);
  const log = await run("log", DEL, "--format", "json");
  assertEquals(log.code, 0, log.stderr);
  const rows = JSON.parse(log.stdout) as { RunID: string; annotations?: { kind: string }[] }[];
  const row = rows.find((r) => r.RunID === record.RunID)!;
  assertEquals(row.annotations?.map((a) => a.kind), ["invalidated"], JSON.stringify(row));
  // The withdrawal withdrawn is said so, of the record it names now (not "marks … INVALIDATED").
  const table = (await run("log", DEL)).stdout.split("\n");
  const againRow = table.find((line) => line.startsWith(`${again.RunID} `))!;
  assertIncludes(againRow, `[withdraws ${withdrawal.RunID} (was ${before[2].RunID})]`);
  const withdrawalRow = table.find((line) => line.startsWith(`${withdrawal.RunID} `))!;
  assertIncludes(withdrawalRow, `[withdrawn by ${again.RunID}]`);
});

Deno.test("a record made at a detached HEAD and committed there before git checkout of another line: named with the commit that holds it and how to keep it, not as one to record again (leftovers-53 3)", async () => {
  const made = await detachedAfterOld();
  const { root, run, detached } = made;
  const appendedAt = made.appendedAt.slice(0, 12);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "the detached run's record");
  const holding = (await git(root, "rev-parse", "HEAD")).trim().slice(0, 12);
  await git(root, "checkout", "-q", "old");
  const verify = await run("verify", DEL);
  assertEquals(verify.code, 1, verify.stdout);
  // Was: "only in this work tree's journal … git checkout <appendedAt> first … to record it":
  // there runrec flush would record the run a second time beside the commit that holds it.
  assertIncludes(
    verify.stdout,
    `${detached} is in no file, branch, tag or stash, only in commit ${holding} and this work ` +
      "tree's journal",
  );
  const keep = `git branch kept-${detached} ${holding}`;
  assertIncludes(verify.stdout, `${keep} keeps it`);
  assert(!verify.stdout.includes(`git checkout ${appendedAt}`), verify.stdout);
  const json = JSON.parse((await run("verify", DEL, "--json")).stdout);
  assertEquals(json.journalOnly.map((j: { command: string }) => j.command), [keep]);
  // flush --from records it nowhere else: refused, naming the commit, nothing written.
  const lines = await Deno.readTextFile(join(root, DEL, "RunRecords.csv"));
  const refused = await run("flush", "--from", JOURNAL);
  assertEquals(refused.code, 1, refused.stdout + refused.stderr);
  assertIncludes(refused.stderr, `not put back here: ${detached} is in no file`);
  assertIncludes(refused.stderr, keep);
  assertEquals(await Deno.readTextFile(join(root, DEL, "RunRecords.csv")), lines);
  // Followed: a branch holds the commit, and the record is named no more.
  await git(root, ...keep.split(" ").slice(1));
  const kept = await run("verify", DEL);
  assertEquals(kept.code, 0, kept.stdout);
});

Deno.test("flush --from on main of a journal line another branch's run began a file with, that branch having a RunRecords.csv of its own since: refused with git checkout of it; followed, put back there, once (leftovers-53 4)", async () => {
  const { root, run } = await unionProject();
  await git(root, "checkout", "-q", "old"); // old has no RunRecords.csv
  const lost = (await run(...agentEmitArgs("OLD_RUN"))).stdout.trim();
  await git(root, "checkout", "-f", "-q", "main"); // git discards old's untracked file
  await git(root, "checkout", "-q", "old");
  const next = (await run(...agentEmitArgs("OLD_NEXT"))).stdout.trim(); // a file of old's own
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "old's record file");
  await git(root, "checkout", "-q", "main");
  const lines = await Deno.readTextFile(join(root, DEL, "RunRecords.csv"));
  const refused = await run("flush", "--from", JOURNAL);
  // Was: exit 0, old's run appended to main's file among main's runs.
  assertEquals(refused.code, 1, refused.stdout + refused.stderr);
  assertIncludes(
    refused.stderr,
    `not put back here: ${lost} is in no file, branch, tag or stash, only in this work tree's ` +
      "journal",
  );
  assertIncludes(
    refused.stderr,
    `git checkout old first to record it on that branch: there runrec flush --from ${JOURNAL} ` +
      "appends it",
  );
  assertEquals(await Deno.readTextFile(join(root, DEL, "RunRecords.csv")), lines);
  // As the message says.
  await git(root, "checkout", "-q", "old");
  const putBack = await run("flush", "--from", JOURNAL);
  assertEquals(putBack.code, 0, putBack.stderr);
  const onOld = (await recordsOf(join(root, DEL))).map((r) => r.RunID);
  assertEquals(onOld.filter((id) => id === lost).length, 1, onOld.join(" "));
  assert(onOld.includes(next), onOld.join(" "));
  await git(root, "commit", "-qam", "old's run put back");
  await git(root, "checkout", "-q", "main");
  assertEquals((await run("verify", DEL)).code, 0);
});

Deno.test("flush --from of a record appended at a detached HEAD that git checkout -f left for another line: refused, naming the commit to check out, not appended to that line's file (leftovers-53 4)", async () => {
  const made = await detachedAfterOld();
  const { root, run, detached } = made;
  const commit = made.appendedAt.slice(0, 12);
  await git(root, "checkout", "-f", "-q", "old");
  const lines = await Deno.readTextFile(join(root, DEL, "RunRecords.csv"));
  const refused = await run("flush", "--from", JOURNAL);
  // Was: exit 0, the detached line's run appended to old's file.
  assertEquals(refused.code, 1, refused.stdout + refused.stderr);
  assertIncludes(refused.stderr, `not put back here: ${detached} is in no file`);
  assertIncludes(refused.stderr, `git checkout ${commit} first`);
  assertEquals(await Deno.readTextFile(join(root, DEL, "RunRecords.csv")), lines);
});

Deno.test("stale of a baseline whose only input was a folder that held no file: CLEAN while it holds none, DIRTY naming a file added since, not NO_BASELINE 'not captured at its start' (leftovers-53 4)", async () => {
  const { root } = await makeProject();
  const del = join(root, DEL);
  await Deno.remove(join(del, "_REFERENCES.md"));
  await Deno.mkdir(join(del, "inbox"));
  const run = (...args: string[]) => runCliProcess(args, undefined, {}, root);
  const emitted = await run(...agentEmitArgs("READER", "--input", "inbox"));
  assertEquals(emitted.code, 0, emitted.stderr);
  const stale = async () => {
    const out = await run("stale", DEL, "--agent", "READER", "--json");
    return JSON.parse(out.stdout).checks[0];
  };
  assertEquals((await stale()).verdict, "CLEAN");
  await Deno.writeTextFile(join(del, "inbox", "request.md"), "a request\n");
  // Was: NO_BASELINE, "recorded no inputs (InputContextSHA TBD: not captured at its start)",
  // though emit had said "stale reports a file added to it later".
  const check = await stale();
  assertEquals(check.verdict, "DIRTY", JSON.stringify(check));
  assertEquals(check.inputs.map((c: { path: string }) => c.path), ["inbox/request.md"]);
});

Deno.test("a key-less annotation (written before annotations named their record) of a RunID marks that RunID's record, not a run whose Notes merely quote a renumbered note naming it (leftovers-53 5)", async () => {
  const { root } = await makeProject();
  const run = (...args: string[]) => runCliProcess(args, undefined, {}, root);
  const source = (await run(...agentEmitArgs("SOURCE"))).stdout.trim();
  // An agent quoting, at the end of its notes, the note of a record put back under a new RunID.
  const quoting = await run(
    ...agentEmitArgs("QUOTER", "--notes", `the log said | ${renumberedNote(source)}`),
  );
  assertEquals(quoting.code, 0, quoting.stderr);
  const quoter = quoting.stdout.trim();
  const noted = await run("annotate", DEL, source, "--note", "looked at");
  assertEquals(noted.code, 0, noted.stderr);
  const records = await recordsOf(join(root, DEL));
  assert(records[1].Notes.endsWith(renumberedNote(source)), records[1].Notes);
  // The invalidation an older runrec wrote: its RunID alone, no record named.
  const older = encodeRecord({
    ...records[2],
    RunID: records[2].RunID.replace(/-\d{3}$/, "-099"),
    Notes: `annotates=${source}; invalidates; note=older`,
  });
  await Deno.writeTextFile(join(root, DEL, "RunRecords.csv"), `${older}\n`, { append: true });
  assertEquals(await shownKinds(run, source), ["note", "invalidated"]);
  // Was: ["invalidated"], QUOTER's run read as SOURCE's put back.
  assertEquals(await shownKinds(run, quoter), []);
  const stale = await run("stale", DEL, "--agent", "QUOTER");
  assert(!stale.stdout.startsWith("NO_BASELINE"), stale.stdout);
});
