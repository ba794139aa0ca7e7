/**
 * spool-56's spool and flush changes attacked (review3-56): what a flush whose printout failed
 * says stays spooled, and what a batch whose one fsync failed says it left unconfirmed. Real
 * processes, real faults (`/dev/full`, an fsync failed by strace).
 *
 * ```sh
 * deno test -A tests/review3_56_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { makeProject, sampleDraft, tempDir } from "./fixtures.ts";
import { agentsOf, RUNREC_SH, runrecUnder } from "./support/runs.ts";
import { madeUserSpool, spoolMany } from "./support/spooled.ts";
import { runCliProcess } from "./cli.ts";
import { lostRecordLine, newSpoolEntry, SPOOL_FOLDER, writeEntry } from "../src/spool.ts";
import { RECORD_FILE } from "../src/deliverable.ts";

/** The entries of a spool folder (claims too). */
function entriesIn(folder: string): string[] {
  return [...Deno.readDirSync(folder)].map((e) => e.name).filter((name) => name.includes(".json"));
}

Deno.test("flush --json whose printout fails counts as still spooled the records it fails for in the user's spool: a gone folder's beneath the root, an unreadable entry; it said 0 (review3-56 1)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const agents = spoolMany(del, 30, 100);
    const spool = await madeUserSpool(tmp);
    // A deliverable beneath the root whose folder is gone (renamed, removed): its record stays.
    const gone = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-05_Gone", RECORD_FILE);
    writeEntry(
      { path: spool, private: true },
      newSpoolEntry(gone, sampleDraft({ DeliverableID: "DEL-01-05" }), "ENOSPC"),
    );
    await Deno.writeTextFile(join(spool, "1700000000000-1-0001-deadbeef.json"), "{not json\n");
    // The document, its failures with it, is lost: the stderr line is all the caller has.
    const sh = `${RUNREC_SH} flush '${root}' --json >/dev/full`;
    const run = await new Deno.Command("bash", {
      args: ["-c", sh],
      stderr: "piped",
      env: { TMPDIR: tmp, NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assertEquals(run.code, 1, stderr);
    assert(stderr.includes("): 30 record(s) appended, 2 still spooled; exit 1 says"), stderr);
    assertEquals(await agentsOf(del), agents);
    assertEquals(entriesIn(spool).length, 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("flush whose batch fsync fails names each batch's records, none folded into another's identical line: of 60 records in 3 batches it named 35 (review3-56 2)", async () => {
  const { root, del } = await makeProject();
  try {
    const agents = spoolMany(del, 60, 10_000);
    const file = join(del, RECORD_FILE);
    const fault = ["-P", file, "-e", "trace=fsync", "-e", "inject=fsync:error=EIO"];
    const { code, stderr } = await runrecUnder(
      ["strace", "-f", "-qq", "-o", "/dev/null", ...fault],
      ["flush", del],
    );
    assertEquals(code, 1, stderr);
    const named = [...stderr.matchAll(/: ([0-9]+) record\(s\) replayed, but fsync failed \(RUN-/g)]
      .reduce((n, m) => n + Number(m[1]), 0);
    assertEquals(named, 60, stderr);
    // In the file, unconfirmed: never appended again.
    assertEquals(await agentsOf(del), agents);
    assertEquals(entriesIn(join(del, SPOOL_FOLDER)), []);
    const again = await runCliProcess(["flush", del]);
    assertEquals([again.code, again.stdout], [0, "nothing spooled\n"], again.stderr);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("flush --from whose append fails mid-batch (ENOSPC) settles the runs of the records it appended before: their pending files stayed, their records unsynced (review3-56 3)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    // Ten lost records, each of a started run whose pending file a finish of a read-only
    // folder left (the run's record spooled, then lost).
    const pending = join(del, ".runrec", "pending");
    await Deno.mkdir(pending, { recursive: true });
    const lines: string[] = [];
    for (let i = 0; i < 10; i++) {
      const run = `20260101T0000000${i}0Z-0000abcd`;
      await Deno.writeTextFile(join(pending, `${run}.json`), "{}\n");
      const draft = sampleDraft({
        AgentName: `A${i}`,
        RunTimestamp: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
        Notes: `finished | run ${run}`,
      });
      lines.push(lostRecordLine(newSpoolEntry(join(del, RECORD_FILE), draft, "EROFS")));
    }
    const saved = join(tmp, "lost.txt");
    await Deno.writeTextFile(saved, lines.join("\n") + "\n");
    // The fourth record's write finds the disk full: three are in the file.
    const full = ["-e", "trace=write", "-e", "inject=write:error=ENOSPC:when=4"];
    const { code, stderr } = await runrecUnder(
      ["strace", "-f", "-qq", "-o", "/dev/null", "-P", join(del, RECORD_FILE), ...full],
      ["flush", "--from", saved],
    );
    assertEquals(code, 1, stderr);
    assertEquals(await agentsOf(del), ["A0", "A1", "A2"], stderr);
    // Said as what happened (spool-57 6): it was "lost records not replayed", of a batch of 3 in.
    assert(
      stderr.includes(": 3 lost record(s) appended, then 7 not, the append of the next "),
      stderr,
    );
    assert(!stderr.includes("lost records not replayed"), stderr);
    const left = [...Deno.readDirSync(pending)].map((e) => e.name).sort();
    assertEquals(left.length, 7, `pending files left: ${left.join(" ")}`);
    // The same flush again appends the rest, each once, and settles their runs.
    const again = await runCliProcess(["flush", "--from", saved]);
    assertEquals(again.code, 0, again.stderr);
    assertEquals(await agentsOf(del), lines.map((_, i) => `A${i}`));
    assertEquals([...Deno.readDirSync(pending)], []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
